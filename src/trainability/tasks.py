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
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"LectureTask.{name} must be a positive int, got {value!r}")

    def sample(self, generator: torch.Generator, device: torch.device | str = "cpu"):
        """One batch: (x, target), x (N0, N1, 2I), target (N0, N1, I)."""
        shape = (self.batch, self.length, self.in_dim)
        a = torch.randn(shape, generator=generator, device=device)
        b = torch.randn(shape, generator=generator, device=device)
        return torch.cat([a, b], -1), (a + 1) ** 2 + b

    @staticmethod
    def loss(y: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The lecture's loss: 0.5 * mean squared error."""
        return (0.5 * (y - target) ** 2).mean()

    @staticmethod
    def losses(y: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The lecture's loss per member of a batch of runs: y, target (K, ...) -> (K,)."""
        return (0.5 * (y - target) ** 2).flatten(1).mean(1)

    def relative(self, loss: float) -> float:
        """Relative MSE: loss / floor, the fraction of the target's variance left unexplained."""
        return loss / self.floor


SEQUENCE_KINDS = ("bag-of-words", "n-gram", "moving-average")


@dataclass(frozen=True)
class SequenceTask:
    """Three synthetic sequence tasks, one per inductive bias (L11). x ~ N(0, 1) of shape
    (T, B, 2I); with u = x[..., :I] and v = x[..., I:], the target (T, B, I) is
        bag-of-words    y_t = sum_s (u_s + v_s) / sqrt(2T): the same for every t, order-free
        n-gram          y_t = u_t * v_{t-1} + u_{t-2}: a fixed function of a causal 3-token window
        moving-average  y_t = c * sum_{s<=t} (1-lam) lam^(t-s) (u_s + v_s) / sqrt(2), lam = 0.8,
                        c = sqrt((1+lam)/(1-lam)) so the stationary variance is 1
    (positions before 0 are zero). floor = 0.5 x the mean over positions of Var(y_t): the loss
    of the best constant predictor (every target has mean 0), exactly.
    """

    kind: str = "bag-of-words"
    length: int = 16  # T: dim 0, the sequence every model reads along
    batch: int = 16  # B: dim 1
    in_dim: int = 2  # I: the model reads 2I channels and writes I
    lam: float = 0.8  # the moving average's decay (effective window ~ 1 / (1 - lam) = 5)

    def __post_init__(self) -> None:
        if self.kind not in SEQUENCE_KINDS:
            raise ValueError(f"unknown sequence task {self.kind!r}; valid: {', '.join(SEQUENCE_KINDS)}")
        for name in ("length", "batch", "in_dim"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"SequenceTask.{name} must be a positive int, got {value!r}")
        if not 0 < self.lam < 1:
            raise ValueError(f"lam must be in (0, 1), got {self.lam!r}")

    @property
    def floor(self) -> float:
        T, lam = self.length, self.lam
        if self.kind == "bag-of-words":
            var = [1.0] * T
        elif self.kind == "n-gram":
            var = [float(t >= 1) + float(t >= 2) for t in range(T)]
        else:
            var = [1 - lam ** (2 * (t + 1)) for t in range(T)]
        return 0.5 * sum(var) / T

    def sample(self, generator: torch.Generator, device: torch.device | str = "cpu"):
        """One batch: (x, target), x (T, B, 2I), target (T, B, I)."""
        x = torch.randn((self.length, self.batch, 2 * self.in_dim), generator=generator, device=device)
        u, v = x[..., : self.in_dim], x[..., self.in_dim:]
        if self.kind == "bag-of-words":
            y = ((u + v).sum(0, keepdim=True) / (2 * self.length) ** 0.5).expand_as(u)
        elif self.kind == "n-gram":
            shift = lambda z, k: torch.cat([torch.zeros_like(z[:k]), z[:-k]]) if k < len(z) else torch.zeros_like(z)  # noqa: E731
            y = u * shift(v, 1) + shift(u, 2)
        else:
            w = (u + v) / 2**0.5
            out, e = [], torch.zeros_like(w[0])
            for t in range(self.length):
                e = self.lam * e + (1 - self.lam) * w[t]
                out.append(e)
            y = torch.stack(out) * ((1 + self.lam) / (1 - self.lam)) ** 0.5
        return x, y.contiguous()

    loss = staticmethod(LectureTask.loss)
    losses = staticmethod(LectureTask.losses)

    def relative(self, loss: float) -> float:
        return loss / self.floor
