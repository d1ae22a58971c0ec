"""Many runs as one computation: K members of one system, each with its own parameters stacked on
a leading K axis, trained by the system's member-batched forward (System.forward, written beside
its module in trainability.systems). This engine holds no model maths: it stacks the members'
initial parameters (engines.common.init_model, as the plain engine builds them), draws each
member's data, dropout and test streams, steps the optimizer per member (training.optim) and
ends each member with setting.finish, as the plain engine does.

Equivalence with the plain engine (engines.plain.run; tests/test_batched.py and
tests/test_systems.py): on the CPU a member draws the same data and the same dropout masks as
the plain run with its seed (masks.MaskStream keyed by the run's ``dropout`` stream, at the same
counters, in the same order and shapes), and the optimizer's update is the plain engine's kernel
called per member. The arithmetic differs only in float association (batched matmuls, LayerNorm's
affine applied outside), so curves agree to float tolerance until training chaos amplifies it.
On CUDA the plain path keeps PyTorch's fused dropout; there members draw their own masks from
per-member CUDA generators, statistically equivalent but not the same.

Settings can share a batch when they differ only in numbers (lr, warm-up, schedule, init,
optimizer); ``batch_key`` says which.
"""

from __future__ import annotations

import math
import statistics
import time

import torch

from ...systems import SYSTEMS, build_model, get_system
from .. import masks, schedules
from ..masks import MaskStream
from ..optim import OPTIMIZERS
from ..result import RunResult, finish
from ..setting import Setting, Streams
from .common import Progress, init_model, measure, periodic


def batch_key(setting: Setting) -> tuple:
    """Settings with equal keys can train as members of one batch."""
    return (setting.system, setting.model, setting.task, setting.steps, setting.eval_batches, setting.eval_mode,
            setting.all_measures)


def batchable(setting: Setting) -> bool:
    """The batched engine can run it: its system has a member-batched forward and its task a
    per-member loss (tasks.base: ``losses``)."""
    return get_system(setting.system).batched and callable(getattr(setting.task, "losses", None))


class Members:
    """The stacked state of K members: parameters, optimizer state, generators, schedules."""

    def __init__(self, jobs: list[tuple[Setting, int]], device: str = "cpu"):
        if not jobs:
            raise ValueError("need at least one (setting, seed) job")
        keys = {batch_key(s) for s, _ in jobs}
        if len(keys) > 1:
            raise ValueError(f"jobs differ in more than numbers and cannot share a batch: {sorted(map(str, keys))}")
        for s, _ in jobs:
            if not batchable(s):
                able = sorted(name for name, spec in SYSTEMS.items() if spec.batched)
                raise ValueError(f"model {s.system!r} cannot run on the batched engine (it needs a System.forward and a "
                                 f"task with losses()); systems it runs: {', '.join(able)}")
        streams = [Streams.of(seed, s.replicate) for s, seed in jobs]  # raises on a bad seed
        self.jobs, self.dev, self.streams = jobs, torch.device(device), streams
        self.setting = jobs[0][0]
        self.forward = get_system(self.setting.system).forward
        models = [dict(init_model(s, st).named_parameters()) for (s, _), st in zip(jobs, streams)]  # the plain path's init
        self.params = {n: torch.stack([m[n].detach() for m in models]).to(self.dev).requires_grad_() for n in models[0]}
        optimizers = {s.optimizer for s, _ in jobs}
        self.optim = {name: OPTIMIZERS[name].members(self.params) for name in optimizers}  # one state per rule in use
        self.rules = [OPTIMIZERS[s.optimizer] for s, _ in jobs]
        self.lr_at = [schedules.make(s.schedule, s.lr, s.warmup, s.steps) for s, _ in jobs]
        self.data = [st.generator("data", self.dev) for st in streams]
        self.test = [st.generator("test", self.dev) for st in streams]
        # On the CPU each member draws with its plain run's key (masks.install) at shared counters.
        self.drop = (MaskStream([st.dropout for st in streams], self.setting.dropout or 0.0) if self.dev.type == "cpu"
                     else [st.generator("dropout", self.dev) for st in streams])

    @property
    def k(self) -> int:
        return len(self.jobs)

    def sample(self, generators) -> tuple[torch.Tensor, torch.Tensor]:
        """One batch per member: x (K, ...), target (K, ...)."""
        xs, ts = zip(*(self.setting.task.sample(g, self.dev) for g in generators))
        return torch.stack(xs), torch.stack(ts)

    def step(self, step: int, diverged: list) -> None:
        """The optimizer update of every live member at ``step`` (0-based), each with its own lr."""
        lrs = [None if diverged[i] is not None else self.lr_at[i](step) * self.rules[i].lr_scale(step + 1)
               for i in range(self.k)]
        if len(self.optim) == 1:
            next(iter(self.optim.values())).step(lrs)
            return
        for name, state in self.optim.items():  # members of several rules: each state steps its own
            keep = [p.grad for p in self.params.values()]
            state.step([lr if s.optimizer == name else None for lr, (s, _) in zip(lrs, self.jobs)])
            for p, g in zip(self.params.values(), keep):
                p.grad = g
        for p in self.params.values():
            p.grad = None

    def module(self, i: int) -> torch.nn.Module:
        """Member i as its system's nn.Module (train mode, on the members' device), for its run
        measurements: its current parameters in a freshly built module."""
        s = self.jobs[i][0]
        model = build_model(s.system, s.model, seed=0)  # seeded: construction leaves the global RNG alone
        with torch.no_grad():
            for name, p in model.named_parameters():
                p.copy_(self.params[name][i].detach().cpu())
        return model.to(self.dev)


class Dropout:
    """Member k's dropout masks: on the CPU from its key in a masks.MaskStream (bitwise its plain
    run's masks), on CUDA from its own torch.Generator. None: dropout off."""

    def __init__(self, streams: MaskStream | list | None, p: float):
        self.streams, self.p = (streams, p) if p > 0.0 else (None, p)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:  # x (K, ...)
        if self.streams is None:
            return x
        if isinstance(self.streams, MaskStream):
            return masks.dropout(x, self.streams)
        keep = 1 - self.p
        noise = torch.empty_like(x, memory_format=torch.contiguous_format)
        for member, g in zip(noise, self.streams):  # member k's draws, in place: no stacking copy
            member.bernoulli_(keep, generator=g)
        return x * noise.div_(keep)

    def relu(self, a: torch.Tensor) -> torch.Tensor:
        """dropout(relu(a)) for a fresh a (K, ...); on the CPU one fused kernel, in place."""
        if isinstance(self.streams, MaskStream):
            return masks.relu_dropout_(a, self.streams)
        return self(torch.relu(a))


def run_batch(jobs: list[tuple[Setting, int]], device: str = "cpu", progress_every: float = 30.0) -> list[RunResult]:
    """Train K compatible (setting, seed) jobs as one computation; one RunResult per job.
    The engine interface (engines.ENGINES). A progress line at most every ``progress_every``
    seconds (engines.common.Progress)."""
    start = time.perf_counter()
    mb = Members(jobs, device)
    s, K = mb.setting, mb.k
    losses: list[list[float]] = [[] for _ in range(K)]
    diverged: list[int | None] = [None] * K
    alive = torch.ones(K, dtype=torch.bool, device=mb.dev)
    drop = Dropout(mb.drop, s.dropout or 0.0)
    every = periodic(s)
    curves: list[dict] = [{} for _ in range(K)]
    kinds = sorted({setting.describe() for setting, _ in jobs})
    progress = Progress(f"batch of {K} [{kinds[0] if len(kinds) == 1 else f'{len(kinds)} settings'}]", s.steps,
                        progress_every)
    for step in range(s.steps):
        if not alive.any():
            break
        x, target = mb.sample(mb.data)
        per_member = s.task.losses(mb.forward(mb.params, x, s, drop), target)  # (K,)
        values = per_member.tolist()
        for i, value in enumerate(values):
            if diverged[i] is None and not math.isfinite(value):
                diverged[i] = step
        alive = torch.tensor([d is None for d in diverged], device=mb.dev)
        torch.where(alive, per_member, torch.zeros_like(per_member)).sum().backward()
        mb.step(step, diverged)
        for i, value in enumerate(values):
            if diverged[i] is None:
                losses[i].append(value)
        for name, k in every.items():
            if (step + 1) % k == 0:
                for i in range(K):
                    if diverged[i] is None:
                        curves[i].setdefault(name, []).append(
                            measure(mb.module(i), jobs[i][0], mb.streams[i], [name])[name])
        progress.step(step + 1, statistics.median([v for v in values if math.isfinite(v)] or [math.nan]))
    tests, nodrop = evaluate_batch(mb, alive)
    measured = [measure(mb.module(i), jobs[i][0], mb.streams[i]) if diverged[i] is None and jobs[i][0].all_measures
                else {} for i in range(K)]
    seconds = (time.perf_counter() - start) / K
    return [finish(setting, seed, losses[i], diverged[i], tests[i], seconds, mb.dev, nodrop[i], measured[i], curves[i])
            for i, (setting, seed) in enumerate(jobs)]


@torch.no_grad()
def evaluate_batch(mb: Members, alive: torch.Tensor) -> tuple[list[float], list[float]]:
    """engines.plain.evaluate for every member: mean loss over fresh test batches in the setting's
    mode (train: dropout on), and on the same batches with dropout off."""
    s = mb.setting
    p = s.dropout or 0.0
    drop = Dropout(mb.drop if s.eval_mode == "train" else None, p)
    off = Dropout(None, p)
    twice = s.test_has_dropout  # else the dropout-off loss is the first one
    total, total_off = torch.zeros(mb.k, device=mb.dev), torch.zeros(mb.k, device=mb.dev)
    for _ in range(s.eval_batches):
        x, target = mb.sample(mb.test)
        total += s.task.losses(mb.forward(mb.params, x, s, drop), target)
        if twice:
            total_off += s.task.losses(mb.forward(mb.params, x, s, off), target)
    first = (total / s.eval_batches).tolist()
    return first, (total_off / s.eval_batches).tolist() if twice else first
