"""What a run produces: a RunResult, its named metrics, and the end-of-run bookkeeping every engine
shares (``finish``).

Metrics (RunResult.metrics, name -> float; quantities compare them by name):
    final         the lecture's "test" loss: the mean over the setting's test batches (inf if diverged)
    final_nodrop  the same test batches with dropout off (the eval-mode control; inf if diverged)
    escape        steps to escape (the setting's Crossing), censored at the run length
    escaped       1.0 if the run escaped within its steps, else 0.0
    <measure>     each run measurement (trainability.measure), "<name>.<key>" for a dict; a diverged
                  run records none (the quantities read it as the measurement's worst value)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from .setting import Setting


@dataclass
class RunResult:
    setting: Setting
    seed: int
    losses: list[float]  # training loss per step (shorter than setting.steps if diverged)
    test_loss: float  # mean loss over the evaluation batches; inf if diverged
    diverged_at: int | None  # step at which a loss was NaN/Inf, else None
    escape_step: int | None  # the escape rule's first crossing (setting.escape), else None
    seconds: float
    device: str
    torch_version: str = field(default_factory=lambda: str(torch.__version__))
    test_loss_nodrop: float = math.inf  # the same test batches with dropout off (model.eval()); inf if diverged
    measured: dict[str, float] = field(default_factory=dict)  # run measurements (trainability.measure)
    curves: dict[str, list[float]] = field(default_factory=dict)  # periodic measurements, one value per k steps

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def final(self) -> float:
        """The lecture's reported number: the "test" loss (inf when diverged)."""
        return math.inf if self.diverged else self.test_loss

    @property
    def final_nodrop(self) -> float:
        """The test loss with dropout off (the eval-mode control; inf when diverged)."""
        return math.inf if self.diverged else self.test_loss_nodrop

    @property
    def escape(self) -> int:
        """Steps to escape the plateau, censored at the run length ("never" = steps)."""
        return self.setting.steps if self.escape_step is None else self.escape_step

    @property
    def starts_escaped(self) -> bool:
        """The escape rule's curve is already past its level at the first point: every such run
        "escapes" at once, plateau or not (the level suits another task's scale)."""
        rule = self.setting.escape
        curve = self.losses if rule.curve == "train_loss" else self.curves.get(rule.curve, [])
        return bool(curve) and _beyond(curve[0], rule.threshold(self.setting.task.floor), rule.side)

    @property
    def metrics(self) -> dict[str, float]:
        """Every named metric of the run (module docstring)."""
        out = {"final": self.final, "final_nodrop": self.final_nodrop, "escape": float(self.escape),
               "escaped": float(self.escape_step is not None)}
        out.update(self.measured)
        return out


def _beyond(value: float, threshold: float, side: str) -> bool:
    return value < threshold if side == "below" else value > threshold


def crossing_step(values: list[float], threshold: float, window: int, side: str = "below", every: int = 1) -> int | None:
    """The step of the first point t (1-based) with mean(values[t - window : t]) on ``side`` of
    ``threshold``, else None; a curve measured every k steps has its t-th point at step t x k.

    >>> crossing_step([3.5] * 5 + [0.1] * 5, threshold=3.0, window=4)
    6
    >>> crossing_step([0.1, 0.5, 0.9, 1.0], threshold=0.95, window=1, side="above", every=10)
    40
    """
    if len(values) < window:
        return None
    running = sum(values[:window])
    for t in range(window, len(values) + 1):
        if t > window:
            running += values[t - 1] - values[t - 1 - window]
        if _beyond(running / window, threshold, side):
            return t * every
    return None


def finish(setting: Setting, seed: int, losses: list[float], diverged_at: int | None, test_loss: float,
           seconds: float, device, test_loss_nodrop: float = math.inf, measured: dict | None = None,
           curves: dict | None = None) -> RunResult:
    """The end of a run, for every engine: a non-finite test loss marks the run diverged at its
    last step (test loss inf, no measurements), and the escape step is read off the escape rule's
    curve."""
    measured, curves = dict(measured or {}), dict(curves or {})
    if diverged_at is not None:
        test_loss = test_loss_nodrop = math.inf
    elif not (math.isfinite(test_loss) and math.isfinite(test_loss_nodrop)):
        diverged_at, test_loss, test_loss_nodrop = setting.steps, math.inf, math.inf
    if diverged_at is not None:
        measured = {}
    rule = setting.escape
    if rule.curve == "train_loss":
        curve, every = losses, 1
    else:
        from ..measure import MEASURES

        curve, every = curves.get(rule.curve, []), MEASURES[rule.curve].every
    step = crossing_step(curve, rule.threshold(setting.task.floor), rule.window, rule.side, every)
    return RunResult(setting=setting, seed=seed, losses=losses, test_loss=test_loss, diverged_at=diverged_at,
                     escape_step=step, seconds=seconds, device=str(device), test_loss_nodrop=test_loss_nodrop,
                     measured=measured, curves=curves)
