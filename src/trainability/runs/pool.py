"""The pool: many runs, scheduled. A Runner takes (setting, seed) jobs and returns RunResults,
from its in-memory cache, from a run store, or computed by an engine (trainability.training.engines) in
worker processes, with progress lines for long runs.

Worker processes are started with "spawn" (forking after torch has started threads can
deadlock), so a script that uses a Runner with workers > 1 must guard its top level with
``if __name__ == "__main__":`` (the workers import the script again); an unguarded script is
detected and told so. Workers die with their parent, even when it is killed with SIGKILL.
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import logging
import math
import multiprocessing
import os
import queue
import signal
import threading
import time
import warnings

import torch

from ..checks import positive_int
from ..training.engines import ENGINES, choose, group_key, on_device_path
from ..training.engines.common import send_progress_to
from ..training.result import RunResult
from ..training.setting import Setting
from .keys import Unkeyable, run_key, source_version
from .progress import RUNS, tick
from .store import StoreError

log = logging.getLogger("trainability")

UNGUARDED = ("trainability.Runner was started while a worker process was importing your script: the script "
             "uses a Runner at import time. Put that code under `if __name__ == \"__main__\":` (see the README's "
             "API example), or pass Runner(workers=1) to run in this process.")


class RunnerError(RuntimeError):
    """The runs could not be computed; the message says why and what to do."""


class StoreWarning(UserWarning):
    """Finished runs could not be written to the run store (they are kept in memory)."""


class EscapeWarning(UserWarning):
    """A setting's escape rule is already crossed at its first step: its "escapes" mean nothing."""


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


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


def die_with_parent(parent_pid: int, poll: float = 1.0) -> None:
    """End this process when ``parent_pid`` is gone: on Linux at once (prctl PR_SET_PDEATHSIG),
    elsewhere within ``poll`` seconds (a daemon thread watching the parent pid)."""
    try:
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(poll)
        os._exit(1)

    threading.Thread(target=watch, name="trainability-parent-watch", daemon=True).start()


def registering_modules() -> list[str]:
    """The modules (other than a script, which a spawned worker imports again anyway) whose import
    registered a system or run measurement this process knows: a worker imports them first, so
    that a setting unpickled there finds its measurement (e.g. trainability.measure.parity)."""
    import sys

    from ..measure import MEASURES
    from ..systems import SYSTEMS

    found = [m.fn.__module__ for m in MEASURES.values()] + [s.module.__module__ for s in SYSTEMS.values()]
    return sorted({name for name in found if name != "__main__" and name in sys.modules})


def _worker_init(threads: int, progress_queue, parent_pid: int, modules: tuple = ()) -> None:
    import importlib

    die_with_parent(parent_pid)
    torch.set_num_threads(threads)
    keep_freed_memory()
    send_progress_to(progress_queue)
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as e:  # a module importable only in its parent (a test file): its runs fail loudly later
            log.debug("worker could not import %s: %s", name, e)


def _run_chunk(chunk, progress_every: float) -> list[RunResult]:
    jobs, device, engine, pad_to = chunk
    return ENGINES[engine](jobs, device, progress_every, pad_to)


class Runner:
    """Runs (setting, seed) jobs, in a pool of processes on CPU, caching results in memory.

    Jobs that can share a batch (engines.batch_key) train as members of one computation, at most
    ``batch`` members each, split so that every worker gets a chunk; batch=0 runs every job on
    the plain engine. ``workers`` processes each get ``threads`` intra-op threads (default
    cores // workers: more threads than cores makes PyTorch's CPU kernels spin against each
    other, 10-20x slower); workers=1 runs in-process. A ``store`` (runs.store.RunStore) is read
    before computing and written as each run finishes; ``refresh`` recomputes and overwrites.
    Use it as a context manager, or call close().
    """

    def __init__(self, device: str = "cpu", workers: int | None = None, threads: int | None = None,
                 batch: int = 64, store=None, refresh: bool = False, progress_every: float = 30.0):
        if not isinstance(batch, int) or batch < 0:
            raise ValueError(f"batch must be a non-negative int (0: plain runs), got {batch!r}")
        for name, value in (("workers", workers), ("threads", threads)):
            if value is not None:
                positive_int(value, name, " (or None: from the cores)")
        self.device, self.batch = device, batch
        self.store, self.refresh = store, refresh
        self.progress_every = progress_every  # seconds between a long run's progress lines (Progress)
        cores = available_cores()
        self.workers = max(1, cores if workers is None else workers) if device == "cpu" else 1
        self.threads = max(1, cores // self.workers if threads is None else threads)
        self.cache: dict[tuple[Setting, int, str], RunResult] = {}
        self.unstored: list[RunResult] = []  # finished runs the store could not take (kept here)
        self.from_store = 0  # runs this runner read from its store rather than computed
        self._owner, self._claimed, self.poll = f"{os.getpid()}-{id(self)}-{time.time()}", set(), 2.0
        self._keyable: dict[Setting, bool] = {}  # whether a setting's runs can be keyed (runs.keys.Unkeyable)
        self._warned: set[str] = set()
        self._pool: cf.ProcessPoolExecutor | None = None
        self._progress = None  # the workers' progress queue

    def __enter__(self) -> "Runner":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def engine(self, setting: Setting) -> str:
        """The engine that computes (and so rounds) ``setting``'s runs: engines.choose."""
        return choose(setting, self.batch > 0)

    def results(self, jobs: list[tuple[Setting, int]], label: str = "") -> list[RunResult]:
        """One RunResult per job, in order; each distinct job is computed at most once."""
        todo = [(s, seed) for s, seed in dict.fromkeys(jobs) if (s, seed, self.device) not in self.cache]
        if self.store is not None and not self.refresh:
            for s, seed in todo:
                if not self.keyable(s):
                    continue
                stored = self.store.get(s, seed, self.device, self.engine(s))
                if stored is not None:
                    self.cache[(s, seed, self.device)] = stored
            asked = len(todo)
            todo = [(s, seed) for s, seed in todo if (s, seed, self.device) not in self.cache]
            if asked > len(todo):
                self.from_store += asked - len(todo)
                log.info("%s: %d of %d runs from the store %s", label, asked - len(todo), asked, self.store.path)
        waiting = self._claim(todo) if todo and self.store is not None and not self.refresh else []
        todo = [job for job in todo if job not in waiting]
        start = time.perf_counter()
        RUNS["asked"] += len(todo)
        try:
            for done, result in enumerate(self._map(todo), 1):
                RUNS["done"] += 1
                self.cache[(result.setting, result.seed, self.device)] = result
                self._store(result)
                self._check_escape(result)
                log.info("%s run %d/%d [%s] seed %d: final %.4g, escape %s, %.1fs (elapsed %.0fs)",
                         label, done, len(todo), result.setting.describe(), result.seed, result.final,
                         result.escape_step if result.escape_step is not None else "never",
                         result.seconds, time.perf_counter() - start)
        finally:
            self._release()
        if waiting:
            self._wait_for(waiting, label)
        return [self.cache[(s, seed, self.device)] for s, seed in jobs]

    def _key(self, job) -> str:
        return run_key(job[0], job[1], self.device, self.engine(job[0]))

    def _claim(self, todo) -> list:
        """Claim ``todo`` in the store; returns the jobs another live process computes already."""
        keyed = [job for job in todo if self.keyable(job[0])]
        keys = {self._key(job): job for job in keyed}
        try:
            mine = self.store.claim_runs(list(keys), self._owner)
        except StoreError:
            return []  # a store that cannot be written is warned about when the first run is
        self._claimed |= mine
        return [job for key, job in keys.items() if key not in mine]

    def _release(self) -> None:
        if self._claimed:
            self.store.release_runs(self._claimed, self._owner)
            self._claimed = set()

    def _wait_for(self, jobs, label: str) -> None:
        """Read the runs another process computes from the store as they arrive; compute here any
        whose process is gone."""
        log.info("%s: %d runs are being computed by another process; waiting for them", label, len(jobs))
        while jobs:
            for s, seed in list(jobs):
                stored = self.store.get(s, seed, self.device, self.engine(s))
                if stored is not None:
                    self.cache[(s, seed, self.device)] = stored
                    self.from_store += 1
                    jobs.remove((s, seed))
            if jobs:
                orphans = self._claim(jobs)  # jobs no live process computes any more are ours now
                mine = [job for job in jobs if job not in orphans]
                if mine:
                    self.results(mine, label)
                    jobs = [job for job in jobs if job not in mine]
                if jobs:
                    tick()
                    time.sleep(self.poll)

    def keyable(self, setting: Setting) -> bool:
        """Whether ``setting``'s runs can be keyed by their code (runs.keys); if not, they are neither
        read from nor written to the store, and a warning says so once."""
        if setting not in self._keyable:
            try:
                source_version(setting)
                self._keyable[setting] = True
            except Unkeyable as e:
                self._keyable[setting] = False
                warnings.warn(StoreWarning(f"runs of {setting.describe()} are not stored: {e}; they are computed "
                                           "every session"), stacklevel=3)
        return self._keyable[setting]

    def _check_escape(self, result: RunResult) -> None:
        """Warn once per setting whose escape rule is crossed at the first step (result.starts_escaped)."""
        label = result.setting.describe()
        if result.starts_escaped and label not in self._warned:
            self._warned.add(label)
            rule = result.setting.escape
            warnings.warn(EscapeWarning(
                f"{label}: the first point of {rule.curve} is already {rule.side} the escape level "
                f"({rule.describe(result.setting.task.floor)}), so every run 'escapes' at step {rule.window}, plateau or "
                f"not; set Setting(escape=Crossing(level=...)) below the task's starting loss (levels are x its floor, "
                f"{result.setting.task.floor:.4g})"), stacklevel=3)

    def _store(self, result: RunResult) -> None:
        """Write a finished run; a store that fails stops being written, and the run is kept."""
        if self.store is None or not self.keyable(result.setting):
            return
        if self.unstored:  # the store failed earlier: keep the run here
            self.unstored.append(result)
            return
        try:
            self.store.put(result, self.engine(result.setting))
        except StoreError as e:
            self.unstored.append(result)
            warnings.warn(StoreWarning(f"{e}. This session's runs are kept in memory (its verdicts and report are "
                                       "complete), but no further run will be written to the store."), stacklevel=2)

    def chunks(self, todo: list[tuple[Setting, int]]) -> list[tuple[list, str, str, int | None]]:
        """(jobs, device, engine, pad_to) units of work: jobs that share a batch grouped, each group
        split into at least one chunk per worker and at most ``batch`` members per chunk; on the
        device path a chunk is padded to ``batch`` members (engines.batched: fixed shapes)."""
        out, groups = [], {}
        for job in todo:
            engine = self.engine(job[0])
            key = group_key(job[0], engine)
            if key is None:
                out.append(([job], self.device, engine, None))
            else:
                groups.setdefault((engine, key), []).append(job)
        for (engine, _), jobs in groups.items():
            n = max(math.ceil(len(jobs) / self.batch), min(self.workers, len(jobs)))
            size = math.ceil(len(jobs) / n)
            pad = self.batch if on_device_path(self.device) else None  # fixed chunk shapes (engines.batched)
            out += [(jobs[i:i + size], self.device, engine, pad) for i in range(0, len(jobs), size)]
        return out

    def _map(self, todo):
        chunks = self.chunks(todo)
        if self.workers == 1 or len(chunks) <= 1:
            torch.set_num_threads(self.threads)
            keep_freed_memory()
            for chunk in chunks:
                yield from _run_chunk(chunk, self.progress_every)
                tick()
            return
        if getattr(multiprocessing.current_process(), "_inheriting", False):
            raise SystemExit(UNGUARDED)  # we are a worker importing an unguarded script: say so, once, and end
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")  # fork after torch threads can deadlock
            self._progress = ctx.Queue()
            self._pool = cf.ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_worker_init,
                                                initargs=(self.threads, self._progress, os.getpid(),
                                                          tuple(registering_modules())))
        try:
            pending = {self._pool.submit(_run_chunk, chunk, self.progress_every) for chunk in chunks}
            while pending:
                done, pending = cf.wait(pending, timeout=1.0, return_when=cf.FIRST_COMPLETED)
                self._log_progress()
                tick()
                for future in done:
                    yield from future.result()
        except cf.process.BrokenProcessPool:
            self._pool = None
            raise RunnerError(
                "a worker process died before finishing its runs. If you ran a script that uses a Runner at import "
                "time, put that code under `if __name__ == \"__main__\":` (see the README's API example) or pass "
                "Runner(workers=1); otherwise the machine may have run out of memory (fewer workers or a smaller "
                "batch)") from None

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
        if self.unstored:
            log.warning("%d finished runs were not written to the store %s (kept in memory only)",
                        len(self.unstored), getattr(self.store, "path", self.store))
