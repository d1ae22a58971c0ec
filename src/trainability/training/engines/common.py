"""What every engine shares: the model at step 0, its measurements, and progress lines for long runs.

A Runner's worker processes send their progress lines to the parent over a queue
(``send_progress_to``); elsewhere they are logged directly.
"""

from __future__ import annotations

import logging
import time

import torch

from ...measure import MEASURES, values
from ...systems import build_model
from ..inits import apply_init
from ..setting import Setting, Streams

log = logging.getLogger("trainability")
_PROGRESS_QUEUE = None  # in a Runner's worker process: where progress lines go (to the parent)


def init_model(setting: Setting, streams: Streams) -> torch.nn.Module:
    """The run's model at step 0, on the CPU: construction seeded from the ``init`` stream, then the
    setting's init scheme from the ``reinit`` stream. Every engine builds its models with this."""
    model = build_model(setting.system, setting.model, seed=streams.init)
    return apply_init(model, setting.init, setting.init_scale, setting.init_rule,
                      generator=streams.generator("reinit", "cpu"))


def measure(model: torch.nn.Module, setting: Setting, streams: Streams, names=None) -> dict[str, float]:
    """The setting's run measurements (or ``names``) of ``model``, in eval mode (the mode is
    restored), each with a generator from the run's ``measure`` stream: {metric name: value}."""
    out, training = {}, model.training
    model.eval()
    try:
        for name in setting.all_measures if names is None else names:
            value = MEASURES[name].fn(model, setting, streams.generator("measure", "cpu"))
            out.update(values(name, value))
    finally:
        model.train(training)
    return out


def periodic(setting: Setting) -> dict[str, int]:
    """{measurement: every k steps} for the setting's measurements taken during training."""
    return {n: MEASURES[n].every for n in setting.all_measures if MEASURES[n].every is not None}


def send_progress_to(queue) -> None:
    """In a worker process: send progress lines to ``queue`` (None: log them here)."""
    global _PROGRESS_QUEUE
    _PROGRESS_QUEUE = queue


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
