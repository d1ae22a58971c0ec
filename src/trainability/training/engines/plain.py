"""The plain engine: one run, the lecture's loop (its modules, a torch optimizer, one batch a step).

Every system can run here, a user's own nn.Module included. The lecture's encoder draws its
dropout masks from a masks.MaskStream keyed by the run's ``dropout`` stream on every device (the
system declares it: ``System.dropout_stream``), so a batched member draws exactly the same
masks; every other model draws from PyTorch's RNG, forked and seeded with the same stream for the
duration of the run. Batches come from CPU generators (engines.common.batch).
"""

from __future__ import annotations

import math
import time

import torch

from ...systems import get_system
from .. import masks, schedules
from ..optim import OPTIMIZERS
from ..result import RunResult, finish
from ..setting import Setting, Streams
from .common import Progress, batch, init_model, measure, periodic, prepare


def run(setting: Setting, seed: int, device: str = "cpu", progress_every: float = 30.0) -> RunResult:
    """Train one model as the lecture does and evaluate it; NaN/Inf marks the run diverged.
    A progress line at most every ``progress_every`` seconds (engines.common.Progress)."""
    streams = Streams.of(seed, setting.replicate)
    dev = torch.device(device)
    prepare(setting, dev)
    start = time.perf_counter()
    model = init_model(setting, streams).to(dev)
    twice = setting.test_has_dropout or (setting.dropout is None and setting.eval_mode == "train" and any(
        isinstance(m, torch.nn.Dropout) and m.p > 0 for m in model.modules()))  # a config that does not say
    if get_system(setting.system).dropout_stream:
        masks.install(model, streams.dropout)  # see masks.py: why
    rule = OPTIMIZERS[setting.optimizer]
    opt = rule.plain(model.parameters(), setting.lr)
    lr_at = schedules.make(setting.schedule, setting.lr, setting.warmup, setting.steps)  # acts once per step
    data, test = streams.generator("data"), streams.generator("test")  # CPU generators on every device
    losses: list[float] = []
    diverged_at = None
    test_loss = test_nodrop = math.inf
    measured, curves, every = {}, {}, periodic(setting)
    progress = Progress(f"seed {seed} [{setting.describe()}]", setting.steps, progress_every)
    devices = [dev.index or 0] if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(streams.dropout)
        model.train()
        for step in range(setting.steps):
            for group in opt.param_groups:
                group["lr"] = lr_at(step) * rule.lr_scale(step + 1)
            x, target = batch(setting.task, data, dev)
            loss = setting.task.loss(model(x), target)
            value = loss.item()
            if not math.isfinite(value):
                diverged_at = step
                break
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(value)
            for name, k in every.items():
                if (step + 1) % k == 0:
                    curves.setdefault(name, []).append(measure(model, setting, streams, [name])[name])
            progress.step(step + 1, value)
        if diverged_at is None:
            test_loss, test_nodrop = evaluate(model, setting, test, dev, twice)
            measured = measure(model, setting, streams)
    return finish(setting, seed, losses, diverged_at, test_loss, time.perf_counter() - start, dev, test_nodrop,
                  measured, curves)


def run_jobs(jobs: list[tuple[Setting, int]], device: str = "cpu", progress_every: float = 30.0,
             pad_to: int | None = None) -> list[RunResult]:
    """The engine interface (engines.ENGINES): one plain run per (setting, seed) job, in order
    (``pad_to`` is the batched engine's and means nothing here)."""
    return [run(setting, seed, device, progress_every) for setting, seed in jobs]


@torch.no_grad()
def evaluate(model: torch.nn.Module, setting: Setting, generator: torch.Generator, device,
             twice: bool | None = None) -> tuple[float, float]:
    """The lecture's "test": mean loss over ``setting.eval_batches`` fresh batches, no optimizer
    steps, train mode by default (dropout on); eval_mode="eval" switches dropout off. Returns it
    and the same batches' mean loss with dropout off (model.eval(), which draws no masks, so the
    first number is what it would be alone; measured once when the test has no dropout)."""
    twice = setting.test_has_dropout if twice is None else twice
    totals = torch.zeros(2, device=device)
    for _ in range(setting.eval_batches):
        x, target = batch(setting.task, generator, device)
        model.train(setting.eval_mode == "train")
        totals[0] += setting.task.loss(model(x), target)
        if twice:
            model.eval()
            totals[1] += setting.task.loss(model(x), target)
    model.train()
    first, nodrop = (totals / setting.eval_batches).tolist()
    return first, nodrop if twice else first
