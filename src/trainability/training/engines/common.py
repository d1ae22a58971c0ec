"""What every engine shares: the model at step 0, its data, its numerics, its measurements, and
progress lines for long runs.

The same randomness on every device: a run's model is built on the CPU from its ``init`` and
``reinit`` streams, its training and test batches are drawn by CPU generators from its ``data``
and ``test`` streams and moved to the run's device (``batch``), and its dropout masks come from the
counter-based stream (training.masks) on every device. So a seed is the same init, data and
masks on the GPU as on the CPU; only float rounding differs.

The device path. On a device other than the CPU the engines differ from their CPU path where the
GPU needs it (the torch mask kernels, the batched optimizer over stacked tensors, chunks padded
to a fixed number of members); ``device_path()`` runs that code on the CPU too, which is how the
tests exercise the CUDA branches without CUDA.

A Runner's worker processes send their progress lines to the parent over a queue
(``send_progress_to``); elsewhere they are logged directly.
"""

from __future__ import annotations

import contextlib
import logging
import time

import torch

from ...measure import MEASURES, values
from ...numerics import pin_cuda
from ...systems import build_model
from .. import masks
from ..inits import apply_init
from ..setting import Setting, Streams

_FORCED = {"device path": False}

log = logging.getLogger("trainability")
_PROGRESS_QUEUE = None  # in a Runner's worker process: where progress lines go (to the parent)


def init_model(setting: Setting, streams: Streams) -> torch.nn.Module:
    """The run's model at step 0, on the CPU: construction seeded from the ``init`` stream, then the
    setting's init scheme from the ``reinit`` stream. Every engine builds its models with this."""
    model = build_model(setting.system, setting.model, seed=streams.init)
    return apply_init(model, setting.init, setting.init_scale, setting.init_rule,
                      generator=streams.generator("reinit", "cpu"))


def batch(task, generator: torch.Generator, device) -> tuple[torch.Tensor, torch.Tensor]:
    """One batch of ``task`` drawn by a CPU generator and moved to ``device`` (a no-op on the CPU)."""
    x, target = task.sample(generator, "cpu")
    return x.to(device), target.to(device)


def on_device_path(device) -> bool:
    """Whether runs on ``device`` take the engines' non-CPU path (module docstring)."""
    return torch.device(device).type != "cpu" or _FORCED["device path"]


@contextlib.contextmanager
def device_path():
    """Run the engines' non-CPU path on the CPU: the torch mask kernels, stacked optimizer steps,
    padded chunks (for tests of the CUDA branches on machines without CUDA)."""
    before = _FORCED["device path"], masks.KERNEL
    _FORCED["device path"], masks.KERNEL = True, "torch"
    try:
        yield
    finally:
        _FORCED["device path"], masks.KERNEL = before


def prepare(setting: Setting, device) -> None:
    """The numerics of a run on ``device``: on CUDA, TF32 only where the setting asks for it,
    deterministic cuDNN and algorithms (trainability.numerics)."""
    if torch.device(device).type == "cuda":
        pin_cuda(allow_tf32=setting.precision == "tf32")


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

    def due(self, done: int) -> bool:
        """Whether step ``done`` gets a line (so a caller computes the loss only then)."""
        return time.perf_counter() - self.last >= self.every and done < self.total

    def step(self, done: int, loss) -> None:
        """A line for step ``done`` if one is due; ``loss`` a float or a function returning one."""
        if not self.due(done):
            return
        now = time.perf_counter()
        self.last = now
        loss = loss() if callable(loss) else loss
        left = (now - self.start) / done * (self.total - done)
        message = f"{self.what}: step {done}/{self.total}, loss {loss:.4g}, {now - self.start:.0f}s, ~{left:.0f}s left"
        if _PROGRESS_QUEUE is not None:
            _PROGRESS_QUEUE.put(message)
        else:
            log.info(message)
