"""What every engine shares: the model at step 0, and progress lines for long runs.

A Runner's worker processes send their progress lines to the parent over a queue
(``send_progress_to``); elsewhere they are logged directly.
"""

from __future__ import annotations

import logging
import time

import torch

from ..inits import apply_init
from ..models import build_model
from ..setting import Setting, Streams

log = logging.getLogger("trainability")
_PROGRESS_QUEUE = None  # in a Runner's worker process: where progress lines go (to the parent)


def init_model(setting: Setting, streams: Streams) -> torch.nn.Module:
    """The run's model at step 0, on the CPU: construction seeded from the ``init`` stream, then the
    setting's init scheme from the ``reinit`` stream. Every engine builds its models with this."""
    model = build_model(setting.model_name, setting.model, seed=streams.init)
    return apply_init(model, setting.init, setting.init_scale, setting.init_rule,
                      generator=streams.generator("reinit", "cpu"))


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
