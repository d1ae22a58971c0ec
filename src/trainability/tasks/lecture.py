"""The lecture's synthetic regression task and its reference levels.

a, b ~ N(0, 1) of shape (16, 10, I); input cat(a, b) on the last axis; target (a + 1)^2 + b;
loss 0.5 * mean squared error. Fresh data every step, drawn from an explicit generator.

Reference levels of the loss (per element, a and b independent):
    floor  = 0.5 * Var(target) = 0.5 * (Var((a+1)^2) + Var(b)) = 0.5 * (2 + 4 + 1) = 3.5,
             the loss of the best constant predictor (E[target] = 2): collapse.
    linear = 1.0, the best predictor linear in (a, b): target = 2 + 2a + b + (a^2 - 1), and
             a^2 - 1 (variance 2) is uncorrelated with a and b, so 0.5 * 2 = 1.
    perfect = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..checks import positive_int
from .base import half_mse, half_mse_members


@dataclass(frozen=True)
class LectureTask:
    """The lecture's task; defaults are the lecture's BATCH_SIZE, IN_LEN, IN_DIM."""

    batch: int = 16  # BATCH_SIZE: dim 0 of the tensor, the encoder's S in the faithful layout
    length: int = 10  # IN_LEN: dim 1, the encoder's B in the faithful layout
    in_dim: int = 50  # IN_DIM: width of a and of b

    floor: float = 3.5  # 0.5 * Var(target): best constant predictor (collapse)
    linear_level: float = 1.0  # best predictor linear in (a, b)

    def __post_init__(self) -> None:
        for name in ("batch", "length", "in_dim"):
            positive_int(getattr(self, name), f"LectureTask.{name}")

    def sample(self, generator: torch.Generator, device: torch.device | str = "cpu"):
        """One batch: (x, target), x (N0, N1, 2I), target (N0, N1, I)."""
        shape = (self.batch, self.length, self.in_dim)
        a = torch.randn(shape, generator=generator, device=device)
        b = torch.randn(shape, generator=generator, device=device)
        return torch.cat([a, b], -1), (a + 1) ** 2 + b

    loss = staticmethod(half_mse)  # the lecture's: 0.5 * mean squared error
    losses = staticmethod(half_mse_members)  # the same per member of a batch of runs: (K, ...) -> (K,)

    def describe(self) -> str:
        return f"lecture task (batch {self.batch}, length {self.length}, I {self.in_dim})"

    def relative(self, loss: float) -> float:
        """Relative MSE: loss / floor, the fraction of the target's variance left unexplained."""
        return loss / self.floor
