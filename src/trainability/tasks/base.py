"""What a task is, checked when a Setting is built (not after training).

A task is a frozen dataclass (hashable: it is part of a run's identity and its store key) with
    floor       float > 0: the loss of the best constant predictor, the scale every relative level
                (an escape level, "ends above 0.9 x floor") is measured in
    sample(generator, device) -> (x, target): one fresh training or test batch drawn from the
                torch.Generator alone (no global randomness)
    loss(y, target) -> scalar tensor: what is minimised and reported
and optionally
    losses(y, target) -> (K,): the loss per member of a batch of K runs (the batched engine needs
                it; ``half_mse_members`` is the lecture's); without it a task runs on the plain engine
    in_dim      the model's input width, checked against a config's ``in_dim`` where both have one
    describe()  a short label for reports
"""

from __future__ import annotations

import dataclasses
import math
from typing import Protocol, runtime_checkable

import torch


@runtime_checkable
class Task(Protocol):
    floor: float

    def sample(self, generator: torch.Generator, device: torch.device | str = "cpu") -> tuple: ...

    def loss(self, y: torch.Tensor, target: torch.Tensor) -> torch.Tensor: ...


def half_mse(y: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The lecture's loss: 0.5 * mean squared error."""
    return (0.5 * (y - target) ** 2).mean()


def half_mse_members(y: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The lecture's loss per member of a batch of runs: y, target (K, ...) -> (K,)."""
    return (0.5 * (y - target) ** 2).flatten(1).mean(1)


def check_task(task) -> None:
    """Raise TypeError naming what ``task`` lacks (module docstring), before any run."""
    name = type(task).__name__
    if not dataclasses.is_dataclass(task) or not type(task).__dataclass_params__.frozen:
        raise TypeError(f"a task must be a frozen dataclass (@dataclass(frozen=True)): its fields are part of a "
                        f"run's identity and store key; {name} is not")
    try:
        hash(task)
    except TypeError as e:
        raise TypeError(f"task {name} is not hashable ({e}): every field must be hashable (a tuple, not a list)") from None
    missing = [m for m in ("sample", "loss") if not callable(getattr(task, m, None))]
    if missing:
        raise TypeError(f"task {name} has no {' or '.join(missing)}(): a task needs sample(generator, device) -> "
                        "(x, target) and loss(y, target) -> a scalar tensor")
    floor = getattr(task, "floor", None)
    if isinstance(floor, bool) or not (isinstance(floor, (int, float)) and math.isfinite(floor) and floor > 0):
        raise TypeError(f"task {name} needs a floor: the loss of the best constant predictor (a positive float); "
                        f"relative levels (the escape level, 'ends above 0.9 x floor') are measured in it; got {floor!r}")
