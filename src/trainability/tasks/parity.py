"""k-bit parity with the whole string seen at once (the Grid LSTM paper's experiment, DIGEST L4).

Processing one bit at a time reduces parity to 2-bit parity; the paper feeds the whole string
through one projection, so depth must do the work. The target of x in {0,1}^k is sum(x) mod 2.
The model writes one logit per string; the loss is binary cross-entropy with logits, so the best
constant predictor (p = 1/2) loses ln 2: the floor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..checks import choice, positive_int

LABELS = ("parity", "random")
EXACT_BITS = 16  # up to this k an evaluation enumerates all 2^k strings; above, SAMPLED fresh ones
SAMPLED = 8192


@dataclass(frozen=True)
class ParityTask:
    """x (B, k) of fair bits, target (B,) in {0., 1.}: the parity, or with labels="random" a fair
    coin independent of x (the placebo: no model may beat chance on the parity of a string)."""

    bits: int = 8  # k
    batch: int = 64  # B: fresh strings every step
    labels: str = "parity"

    def __post_init__(self) -> None:
        positive_int(self.bits, "ParityTask.bits")
        positive_int(self.batch, "ParityTask.batch")
        choice(self.labels, LABELS, "parity labels")

    @property
    def floor(self) -> float:
        """ln 2: the binary cross-entropy of the constant prediction 1/2."""
        return math.log(2.0)

    @property
    def in_dim(self) -> int:
        return self.bits

    def sample(self, generator: torch.Generator, device="cpu") -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.randint(0, 2, (self.batch, self.bits), generator=generator).float()  # (B, k)
        if self.labels == "random":
            target = torch.randint(0, 2, (self.batch,), generator=generator).float()
        else:
            target = parity(x)
        return x.to(device), target.to(device)

    def loss(self, y: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(y, target)

    def losses(self, y: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Per member: y, target (K, B) -> (K,)."""
        return F.binary_cross_entropy_with_logits(y, target, reduction="none").flatten(1).mean(1)

    def strings(self, generator: torch.Generator) -> torch.Tensor:
        """The evaluation strings (N, k): all 2^k of them for k <= EXACT_BITS, else SAMPLED drawn."""
        if self.bits <= EXACT_BITS:
            codes = torch.arange(2 ** self.bits)
            return ((codes.unsqueeze(1) >> torch.arange(self.bits)) & 1).float()
        return torch.randint(0, 2, (SAMPLED, self.bits), generator=generator).float()

    def solved_level(self) -> float:
        """An accuracy above this is every evaluation string right (half a string below 1)."""
        n = 2 ** self.bits if self.bits <= EXACT_BITS else SAMPLED
        return 1.0 - 0.5 / n

    def describe(self) -> str:
        return f"parity k{self.bits}" + (" (random labels)" if self.labels == "random" else "")


def parity(x: torch.Tensor) -> torch.Tensor:
    """sum of the bits mod 2 along the last axis: (..., k) -> (...,), as floats.

    >>> parity(torch.tensor([[1., 0., 1.], [1., 1., 1.]])).tolist()
    [0.0, 1.0]
    """
    return (x.sum(-1).round().long() % 2).float()
