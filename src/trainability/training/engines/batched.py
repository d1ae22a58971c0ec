"""Many runs as one computation: K members of one system, each with its own parameters stacked on
a leading K axis, trained by the system's member-batched forward (System.forward, written beside
its module in trainability.systems). This engine holds no model maths: it stacks the members'
initial parameters (engines.common.init_model, as the plain engine builds them), draws each
member's data, dropout and test streams, steps the optimizer per member (training.optim) and
ends each member with result.finish, as the plain engine does.

Equivalence with the plain engine (engines.plain.run; tests/test_batched.py and
tests/test_systems.py): a member draws the same data and the same dropout masks as the plain run
with its seed (CPU generators; masks.MaskStream keyed by the run's ``dropout`` stream, at the
same counters, in the same order and shapes), and on the CPU the optimizer's update is the plain
engine's kernel called per member. The arithmetic differs only in float association (batched
matmuls, LayerNorm's affine applied outside), so curves agree to float tolerance until training
chaos amplifies it.

The device path (engines.common: on CUDA, or under ``device_path()``): one launch per operation
for all K members where the CPU path loops (Adam over stacked tensors, training.optim.StackedAdam),
no host synchronisation per step (divergence and losses are kept on the device and read at the
end), and a chunk padded to ``pad_to`` members with inert ones (copies of member 0 that never
update and whose loss is dropped), so that every kernel sees the same K whatever the chunk's
composition and a member's rounding does not depend on its batch-mates.

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
from ..optim import OPTIMIZERS, MemberSteps
from ..result import RunResult, finish
from ..setting import Setting, Streams
from .common import Progress, batch, init_model, measure, on_device_path, periodic, prepare

CHECK_EVERY = 25  # on the device path, steps between checks whether every member has diverged (a host sync)


def batch_key(setting: Setting) -> tuple:
    """Settings with equal keys can train as members of one batch."""
    return (setting.system, setting.model, setting.task, setting.steps, setting.eval_batches, setting.eval_mode,
            setting.all_measures, setting.precision)


def batchable(setting: Setting) -> bool:
    """The batched engine can run it: its system has a member-batched forward and its task a
    per-member loss (tasks.base: ``losses``)."""
    return get_system(setting.system).batched and callable(getattr(setting.task, "losses", None))


class Members:
    """The stacked state of K members (the real ones, then any inert padding): parameters,
    optimizer state, generators, schedules."""

    def __init__(self, jobs: list[tuple[Setting, int]], device: str = "cpu", pad_to: int | None = None):
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
        self.device_path = on_device_path(device)
        self.pad = max(0, (pad_to or 0) - len(jobs)) if self.device_path else 0
        self.setting = jobs[0][0]
        self.forward = get_system(self.setting.system).forward
        models = [dict(init_model(s, st).named_parameters()) for (s, _), st in zip(jobs, streams)]  # the plain path's init
        models += models[:1] * self.pad  # inert members: member 0's parameters, never updated
        self.params = {n: torch.stack([m[n].detach() for m in models]).to(self.dev).requires_grad_() for n in models[0]}
        names = list(dict.fromkeys(s.optimizer for s, _ in jobs))
        self.rules = [OPTIMIZERS[s.optimizer] for s, _ in jobs]
        self.optim = {}
        for name in names:  # one state per rule in use; the device path's stacked Adam where the rule has one
            rule = OPTIMIZERS[name]
            self.optim[name] = rule.stacked(self.params) if self.device_path and rule.stacked else rule.members(self.params)
        self.lr_at = [schedules.make(s.schedule, s.lr, s.warmup, s.steps) for s, _ in jobs]
        self.data = [st.generator("data") for st in streams]  # CPU generators on every device
        self.test = [st.generator("test") for st in streams]
        dropout = [st.dropout for st in streams]
        self.drop = MaskStream(dropout + dropout[:1] * self.pad, self.setting.dropout or 0.0)

    @property
    def k(self) -> int:
        """Members in the computation, inert ones included."""
        return len(self.jobs) + self.pad

    @property
    def real(self) -> int:
        return len(self.jobs)

    def sample(self, generators) -> tuple[torch.Tensor, torch.Tensor]:
        """One batch per member, drawn on the CPU and moved at once: x (K, ...), target (K, ...); an
        inert member sees member 0's batch."""
        xs, ts = zip(*(self.setting.task.sample(g, "cpu") for g in generators))
        xs, ts = torch.stack(list(xs) + [xs[0]] * self.pad), torch.stack(list(ts) + [ts[0]] * self.pad)
        if self.dev.type == "cuda":  # page-locked, so the copy does not wait for the device
            return xs.pin_memory().to(self.dev, non_blocking=True), ts.pin_memory().to(self.dev, non_blocking=True)
        return xs.to(self.dev), ts.to(self.dev)

    def rates(self, step: int) -> list[float]:
        """Each real member's lr at ``step`` (0-based): its schedule times its rule's gate."""
        return [self.lr_at[i](step) * self.rules[i].lr_scale(step + 1) for i in range(self.real)]

    def step(self, step: int, alive: torch.Tensor) -> None:
        """The optimizer update of every live member at ``step`` (0-based), each with its own lr."""
        kinds = [s.optimizer for s, _ in self.jobs]
        stacked = [n for n, o in self.optim.items() if not isinstance(o, MemberSteps)]
        if stacked and not hasattr(self, "_table"):  # the device path: every step's lrs on the device, once
            steps = self.setting.steps
            self._table = torch.tensor([self.rates(t) + [0.0] * self.pad for t in range(steps)], dtype=torch.float32,
                                       device=self.dev)  # (steps, K)
            self._rule_of = {n: torch.tensor([k == n for k in kinds] + [False] * self.pad, device=self.dev)
                             for n in self.optim}
        rates = None if len(stacked) == len(self.optim) else self.rates(step)
        live = None if rates is None else alive.tolist()
        keep = [p.grad for p in self.params.values()] if len(self.optim) > 1 else None
        for name, state in self.optim.items():
            if keep is not None:
                for p, g in zip(self.params.values(), keep):
                    p.grad = g
            if name in stacked:
                state.step(self._table[step], alive & self._rule_of[name])
            else:
                mine = [k == name for k in kinds]
                state.step([rate if live[i] and mine[i] else None for i, rate in enumerate(rates)] + [None] * self.pad)
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
    """The members' dropout masks from their keys in a masks.MaskStream (bitwise each plain run's
    masks, on every device). None: dropout off."""

    def __init__(self, stream: MaskStream | None, p: float):
        self.stream = stream if p > 0.0 else None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:  # x (K, ...)
        return x if self.stream is None else masks.dropout(x, self.stream)

    def relu(self, a: torch.Tensor) -> torch.Tensor:
        """dropout(relu(a)) for a fresh a (K, ...): one fused kernel, in place."""
        return torch.relu(a) if self.stream is None else masks.relu_dropout_(a, self.stream)


def run_batch(jobs: list[tuple[Setting, int]], device: str = "cpu", progress_every: float = 30.0,
              pad_to: int | None = None) -> list[RunResult]:
    """Train K compatible (setting, seed) jobs as one computation; one RunResult per job.
    The engine interface (engines.ENGINES). A progress line at most every ``progress_every``
    seconds (engines.common.Progress). ``pad_to``: on the device path, pad the chunk to this many
    members (module docstring)."""
    start = time.perf_counter()
    prepare(jobs[0][0], device)
    mb = Members(jobs, device, pad_to)
    s, K, R = mb.setting, mb.k, mb.real
    alive = torch.tensor([True] * R + [False] * mb.pad, device=mb.dev)
    diverged_at = torch.full((K,), -1, dtype=torch.int64, device=mb.dev)  # the step whose loss was NaN/Inf
    losses = torch.empty(s.steps, K, device=mb.dev)
    drop = Dropout(mb.drop, s.dropout or 0.0)
    every, check = periodic(s), CHECK_EVERY if mb.device_path else 1
    curves: list[dict] = [{} for _ in range(R)]
    kinds = sorted({setting.describe() for setting, _ in jobs})
    progress = Progress(f"batch of {R} [{kinds[0] if len(kinds) == 1 else f'{len(kinds)} settings'}]", s.steps,
                        progress_every)
    done = 0
    for step in range(s.steps):
        if step % check == 0 and not alive.any():
            break
        x, target = mb.sample(mb.data)
        per_member = s.task.losses(mb.forward(mb.params, x, s, drop), target)  # (K,)
        value = per_member.detach()
        finite = torch.isfinite(value)
        diverged_at = torch.where(alive & ~finite, step, diverged_at)
        alive = alive & finite
        losses[step] = value
        torch.where(alive, per_member, torch.zeros_like(per_member)).sum().backward()
        mb.step(step, alive)
        done = step + 1
        for name, k in every.items():
            if done % k == 0:
                live = alive.tolist()
                for i in range(R):
                    if live[i]:
                        curves[i].setdefault(name, []).append(measure(mb.module(i), jobs[i][0], mb.streams[i], [name])[name])
        progress.step(done, lambda: statistics.median([v for v in value[:R].tolist() if math.isfinite(v)] or [math.nan]))
    tests, nodrop = evaluate_batch(mb)
    table, stops = losses[:done].T.tolist(), diverged_at.tolist()
    diverged = [None if d < 0 else d for d in stops]
    measured = [measure(mb.module(i), jobs[i][0], mb.streams[i]) if diverged[i] is None and jobs[i][0].all_measures
                else {} for i in range(R)]
    seconds = (time.perf_counter() - start) / R
    return [finish(setting, seed, table[i][:done if diverged[i] is None else diverged[i]], diverged[i], tests[i],
                   seconds, mb.dev, nodrop[i], measured[i], curves[i]) for i, (setting, seed) in enumerate(jobs)]


@torch.no_grad()
def evaluate_batch(mb: Members) -> tuple[list[float], list[float]]:
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
    first = (total / s.eval_batches).tolist()[:mb.real]
    return first, (total_off / s.eval_batches).tolist()[:mb.real] if twice else first
