"""One training run, and many of them.

A run is (Setting, seed) -> RunResult. Every source of randomness is seeded from the run's seed:
    init     the model's construction and any re-initialisation
    data     the training batches (fresh every step, as in the lecture)
    dropout  the lecture's Transformer on the CPU: a masks.MaskStream, shared with the batched
             path; otherwise PyTorch's global RNG, forked and seeded for the duration of the run
    test     the evaluation batches
Paired comparisons use the same seed for both settings, so they see the same init (where the
init scheme is the same), the same data and the same dropout stream.
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import dataclasses
import hashlib
import logging
import math
import multiprocessing
import os
import queue
import time
from dataclasses import dataclass, field

import torch

from .inits import apply_init, check_init
from .models import MODELS, TransformerConfig, build_model
from . import masks, schedules
from .schedules import SCHEDULES
from .tasks import LectureTask

log = logging.getLogger("trainability")
EVAL_MODES = ("train", "eval")


@dataclass(frozen=True)
class Setting:
    """Everything that defines a run except its seed. Defaults: the lecture's "default" row."""

    model: TransformerConfig = TransformerConfig()  # sizes, layout
    task: LectureTask = LectureTask()  # batch (16), length (10), in_dim (50)
    model_name: str = "lecture_transformer"  # key into models.MODELS
    init: str = "default"  # key into inits.INITS
    init_scale: float | None = None  # std for "normal", bound for "uniform"
    init_rule: str = "matrices"  # "matrices" (dim > 1) or "all" (LayerNorm too)
    lr: float = 1e-3  # Adam's peak learning rate (default betas, eps)
    warmup: int = 0  # linear warm-up steps; the lecture's "1%" of 1000 steps is 10
    schedule: str = "constant"  # after warm-up: key into schedules.SCHEDULES (the lecture's: constant)
    steps: int = 1000  # optimizer steps
    eval_batches: int = 1000  # the lecture's "test": fresh batches, no optimizer steps
    eval_mode: str = "train"  # "train": the lecture's test, dropout on; "eval": dropout off
    escape_level: float = 3.0  # escaped: running training loss below this (floor is 3.5)
    escape_window: int = 50  # running-mean window for the escape step

    def __post_init__(self) -> None:
        if self.model_name not in MODELS:
            raise ValueError(f"unknown model {self.model_name!r}; valid models: {', '.join(sorted(MODELS))}")
        if not isinstance(self.model, MODELS[self.model_name][0]):
            raise ValueError(f"model {self.model_name!r} takes a {MODELS[self.model_name][0].__name__}, "
                             f"got a {type(self.model).__name__}")
        check_init(self.init, self.init_scale, self.init_rule)
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive finite number, got {self.lr!r}")
        for name in ("steps", "escape_window"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) <= 0:
                raise ValueError(f"{name} must be a positive int, got {getattr(self, name)!r}")
        if not isinstance(self.eval_batches, int) or self.eval_batches < 0:
            raise ValueError(f"eval_batches must be a non-negative int, got {self.eval_batches!r}")
        if not isinstance(self.warmup, int) or not 0 <= self.warmup <= self.steps:
            raise ValueError(f"warmup must be an int of steps in [0, steps={self.steps}], got {self.warmup!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; valid schedules: {', '.join(SCHEDULES)}")
        if self.eval_mode not in EVAL_MODES:
            raise ValueError(f"unknown eval_mode {self.eval_mode!r}; valid: {', '.join(EVAL_MODES)}")
        if self.model.in_dim != self.task.in_dim:
            raise ValueError(f"model.in_dim ({self.model.in_dim}) != task.in_dim ({self.task.in_dim})")

    def describe(self) -> str:
        """Short human label: the lr and warm-up, and what else differs from the defaults."""
        defaults = {f.name: f.default for f in dataclasses.fields(Setting)}
        parts = [f"lr={self.lr:g}", f"warmup={self.warmup}"]
        for f in ("init", "init_scale", "init_rule", "schedule", "eval_mode"):
            if getattr(self, f) != defaults[f]:
                parts.append(f"{f}={getattr(self, f)}")
        if self.model_name != defaults["model_name"]:
            parts.insert(0, self.model_name)
        return ", ".join(parts)


@dataclass
class RunResult:
    setting: Setting
    seed: int
    losses: list[float]  # training loss per step (shorter than setting.steps if diverged)
    test_loss: float  # mean loss over the evaluation batches; inf if diverged
    diverged_at: int | None  # step at which a loss was NaN/Inf, else None
    escape_step: int | None  # first step where the running loss < escape_level, else None
    seconds: float
    device: str
    torch_version: str = field(default_factory=lambda: str(torch.__version__))

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def final(self) -> float:
        """The lecture's reported number: the "test" loss (inf when diverged)."""
        return math.inf if self.diverged else self.test_loss

    @property
    def escape(self) -> int:
        """Steps to escape the plateau, censored at the run length ("never" = steps)."""
        return self.setting.steps if self.escape_step is None else self.escape_step


def derive_seed(*parts) -> int:
    """A stable 63-bit seed from any printable parts (Python's hash() is salted per process)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def escape_step(losses: list[float], level: float, window: int) -> int | None:
    """First step count t (1-based) with mean(losses[t - window : t]) < level, else None."""
    if len(losses) < window:
        return None
    running = sum(losses[:window])
    for t in range(window, len(losses) + 1):
        if t > window:
            running += losses[t - 1] - losses[t - 1 - window]
        if running / window < level:
            return t
    return None


def _generator(seed: int, device: torch.device) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def init_model(setting: Setting, seed: int) -> torch.nn.Module:
    """The run's model at step 0, on the CPU: construction seeded from (seed, "init"), then the
    setting's init scheme from (seed, "reinit"). The batched path builds its members with this too."""
    model = build_model(setting.model_name, setting.model, seed=derive_seed(seed, "init"))
    return apply_init(model, setting.init, setting.init_scale, setting.init_rule,
                      generator=_generator(derive_seed(seed, "reinit"), torch.device("cpu")))


def run(setting: Setting, seed: int, device: str = "cpu", progress_every: float = 30.0) -> RunResult:
    """Train one model as the lecture does and evaluate it; NaN/Inf marks the run diverged.
    A progress line at most every ``progress_every`` seconds (see Progress)."""
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    dev = torch.device(device)
    start = time.perf_counter()
    model = init_model(setting, seed).to(dev)
    if setting.model_name == "lecture_transformer" and dev.type == "cpu":
        masks.install(model, derive_seed(seed, "dropout"))  # see masks.py: why
    opt = adam(model.parameters(), setting.lr)
    lr_at = schedules.make(setting.schedule, setting.lr, setting.warmup, setting.steps)  # acts once per step
    data, test = _generator(derive_seed(seed, "data"), dev), _generator(derive_seed(seed, "test"), dev)
    losses: list[float] = []
    diverged_at = None
    test_loss = math.inf
    progress = Progress(f"seed {seed} [{setting.describe()}]", setting.steps, progress_every)
    devices = [dev.index or 0] if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(derive_seed(seed, "dropout"))
        model.train()
        for step in range(setting.steps):
            for group in opt.param_groups:
                group["lr"] = lr_at(step)
            x, target = setting.task.sample(data, dev)
            loss = setting.task.loss(model(x), target)
            value = loss.item()
            if not math.isfinite(value):
                diverged_at = step
                break
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(value)
            progress.step(step + 1, value)
        if diverged_at is None:
            test_loss = evaluate(model, setting, test, dev)
            if not math.isfinite(test_loss):
                diverged_at = setting.steps
                test_loss = math.inf
    return RunResult(
        setting=setting, seed=seed, losses=losses, test_loss=test_loss, diverged_at=diverged_at,
        escape_step=escape_step(losses, setting.escape_level, setting.escape_window),
        seconds=time.perf_counter() - start, device=str(dev),
    )


def adam(params, lr: float) -> torch.optim.Adam:
    """Adam with default betas and eps, as the lecture; the fused kernel where this torch has it
    (the same update rule, ~10% faster per step on the CPU proxy), else the default loop."""
    params = list(params)
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=lr)


@torch.no_grad()
def evaluate(model: torch.nn.Module, setting: Setting, generator: torch.Generator, device) -> float:
    """The lecture's "test": mean loss over fresh batches, no optimizer steps, train mode by
    default (dropout on); eval_mode="eval" switches dropout off."""
    if setting.eval_batches == 0:
        return math.nan
    model.train(setting.eval_mode == "train")
    total = torch.zeros((), device=device)
    for _ in range(setting.eval_batches):
        x, target = setting.task.sample(generator, device)
        total += setting.task.loss(model(x), target)
    model.train()
    return total.item() / setting.eval_batches


# ---------------------------------------------------------------------------- many runs


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse instead of handing it back to the OS.

    A training step frees and reallocates the same activation-sized buffers (MBs each) every
    step. By default glibc serves those with fresh mmaps, or trims the heap, so each step
    faults its pages in again; on this project's VMs page faults are expensive, and that cost
    was 20-25% of a batched CPU-tier step (benchmarks/NOTES.md). Numerics are untouched.
    Returns False (and changes nothing) where the C library is not glibc.
    """
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
    return all((mallopt(M_MMAP_THRESHOLD, 32 << 20), mallopt(M_TRIM_THRESHOLD, 1 << 30), mallopt(M_TOP_PAD, 64 << 20)))


_PROGRESS_QUEUE = None  # in a Runner's worker process: where progress lines go (to the parent)


class Progress:
    """Progress lines for long runs, at most one per ``every`` seconds, e.g. "seed 3 [lr=0.001,
    warmup=10]: step 400/1000, loss 3.49, 84s, ~126s left". Logged (logger "trainability", level
    INFO: ``--log-cli-level=INFO``); from a Runner's worker processes they travel to the parent
    over a queue and are logged there."""

    def __init__(self, what: str, total: int, every: float):
        self.what, self.total, self.every = what, total, every
        self.start = self.last = time.perf_counter()

    def step(self, done: int, loss: float) -> None:
        now = time.perf_counter()
        if now - self.last < self.every or done >= self.total:
            return
        self.last = now
        left = (now - self.start) / done * (self.total - done)
        message = f"{self.what}: step {done}/{self.total}, loss {loss:.4g}, {now - self.start:.0f}s, ~{left:.0f}s left"
        if _PROGRESS_QUEUE is not None:
            _PROGRESS_QUEUE.put(message)
        else:
            log.info(message)


def _worker_init(threads: int, progress_queue=None) -> None:
    global _PROGRESS_QUEUE
    torch.set_num_threads(threads)
    keep_freed_memory()
    _PROGRESS_QUEUE = progress_queue


def _run_chunk(chunk, progress_every: float) -> list[RunResult]:
    jobs, device, batched = chunk
    if not batched:
        return [run(setting, seed, device, progress_every) for setting, seed in jobs]
    from .batched import run_batch

    return run_batch(jobs, device, progress_every)


class Runner:
    """Runs (setting, seed) jobs, in a pool of processes on CPU, caching results in memory.

    Jobs that can share a batch (batched.batch_key) train as members of one computation, at most
    ``batch`` members each, split so that every worker gets a chunk; batch=0 runs every job on
    the plain path. ``workers`` processes each get ``threads`` intra-op threads (default
    cores // workers: more threads than cores makes PyTorch's CPU kernels spin against each
    other, 10-20x slower); workers=1 runs in-process.
    """

    def __init__(self, device: str = "cpu", workers: int | None = None, threads: int | None = None,
                 batch: int = 64, store=None, refresh: bool = False, progress_every: float = 30.0):
        if not isinstance(batch, int) or batch < 0:
            raise ValueError(f"batch must be a non-negative int (0: plain runs), got {batch!r}")
        self.device, self.batch = device, batch
        self.store, self.refresh = store, refresh  # a store.RunStore; refresh: recompute, overwrite
        self.progress_every = progress_every  # seconds between a long run's progress lines (Progress)
        cores = available_cores()
        self.workers = max(1, cores if workers is None else workers) if device == "cpu" else 1
        self.threads = max(1, cores // self.workers if threads is None else threads)
        self.cache: dict[tuple[Setting, int, str], RunResult] = {}
        self._pool: cf.ProcessPoolExecutor | None = None
        self._progress = None  # the workers' progress queue

    def engine(self, setting: Setting) -> str:
        """"batched" or "plain": the path that computes (and so the rounding of) a run."""
        return "batched" if self.batch and setting.model_name == "lecture_transformer" else "plain"

    def results(self, jobs: list[tuple[Setting, int]], label: str = "") -> list[RunResult]:
        todo = [(s, seed) for s, seed in dict.fromkeys(jobs) if (s, seed, self.device) not in self.cache]
        if self.store is not None and not self.refresh:
            for s, seed in todo:
                stored = self.store.get(s, seed, self.device, self.engine(s))
                if stored is not None:
                    self.cache[(s, seed, self.device)] = stored
            asked = len(todo)
            todo = [(s, seed) for s, seed in todo if (s, seed, self.device) not in self.cache]
            if asked > len(todo):
                log.info("%s: %d of %d runs from the store %s", label, asked - len(todo), asked, self.store.path)
        start = time.perf_counter()
        for done, result in enumerate(self._map(todo), 1):
            self.cache[(result.setting, result.seed, self.device)] = result
            if self.store is not None:
                self.store.put(result, self.engine(result.setting))
            log.info("%s run %d/%d [%s] seed %d: final %.4g, escape %s, %.1fs (elapsed %.0fs)",
                     label, done, len(todo), result.setting.describe(), result.seed, result.final,
                     result.escape_step if result.escape_step is not None else "never",
                     result.seconds, time.perf_counter() - start)
        return [self.cache[(s, seed, self.device)] for s, seed in jobs]

    def chunks(self, todo: list[tuple[Setting, int]]) -> list[tuple[list, str, bool]]:
        """(jobs, device, batched) units of work: batchable jobs grouped, each group split into
        at least one chunk per worker and at most ``batch`` members per chunk."""
        from .batched import batch_key

        out, groups = [], {}
        for job in todo:
            if self.engine(job[0]) == "plain":
                out.append(([job], self.device, False))
            else:
                groups.setdefault(batch_key(job[0]), []).append(job)
        for jobs in groups.values():
            n = max(math.ceil(len(jobs) / self.batch), min(self.workers, len(jobs)))
            size = math.ceil(len(jobs) / n)
            out += [(jobs[i:i + size], self.device, True) for i in range(0, len(jobs), size)]
        return out

    def _map(self, todo):
        chunks = self.chunks(todo)
        if self.workers == 1 or len(chunks) <= 1:
            torch.set_num_threads(self.threads)
            keep_freed_memory()
            for chunk in chunks:
                yield from _run_chunk(chunk, self.progress_every)
            return
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")  # fork after torch threads can deadlock
            self._progress = ctx.Queue()
            self._pool = cf.ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_worker_init,
                                                initargs=(self.threads, self._progress))
        pending = {self._pool.submit(_run_chunk, chunk, self.progress_every) for chunk in chunks}
        while pending:
            done, pending = cf.wait(pending, timeout=1.0, return_when=cf.FIRST_COMPLETED)
            self._log_progress()
            for future in done:
                yield from future.result()

    def _log_progress(self) -> None:
        """Log the progress lines the workers have sent so far."""
        while True:
            try:
                log.info(self._progress.get_nowait())
            except queue.Empty:
                return

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
            self._log_progress()
            self._progress.close()


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

