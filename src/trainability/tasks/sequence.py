"""Synthetic causal sequence tasks with exact information limits (L11, L12)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..checks import choice, positive_int
from .base import half_mse, half_mse_members

SEQUENCE_KINDS = ("bag-of-words", "n-gram", "moving-average")


@dataclass(frozen=True)
class SequenceTask:
    """Synthetic sequence tasks, one per inductive bias (L11), every target causal: y_t depends
    on x_0 .. x_t only, so a causal model can reach zero loss. x ~ N(0, 1) of shape (T, B, 2I);
    with u = x[..., :I], v = x[..., I:] and z = (u + v) / sqrt(2) (unit variance), the target
    (T, B, I) is
        bag-of-words    y_t = sum_{s = t-w+1 .. t} z_s / sqrt(w): an order-free sum over the last
                        w = ``window`` positions (w = T: the whole prefix)
        n-gram          y_t = sum_{k < n} (-1)^k u_{t-k} / sqrt(n)  [+ u_t * v_{t-n+1} with
                        ``product``]: a fixed function of the last n = ``window`` positions, its two
                        ends multiplied (a window only a model that holds all n positions can use)
        moving-average  y_t = c * sum_{s <= t} (1-lam) lam^(t-s) z_s, c = sqrt((1+lam)/(1-lam)),
                        so the stationary variance is 1; memory ~ 1 / (1 - lam) positions
    (positions before 0 are zero). ``floor`` = 0.5 x the mean over positions of Var(y_t): the loss
    of the best constant predictor (every target has mean 0), exactly. ``limit(reach)``: the best
    relative MSE of any predictor that sees only x_{t-reach} .. x_t, exactly.
    """

    kind: str = "bag-of-words"
    length: int = 16  # T: dim 0, the sequence every model reads along
    batch: int = 16  # B: dim 1
    in_dim: int = 2  # I: the model reads 2I channels and writes I
    lam: float = 0.8  # moving-average: the decay (memory ~ 1 / (1 - lam) = 5 positions)
    window: int = 16  # bag-of-words: positions summed; n-gram: n, the positions the target reads
    product: bool = True  # n-gram: add the multiplicative term u_t * v_{t-n+1}

    def __post_init__(self) -> None:
        choice(self.kind, SEQUENCE_KINDS, "sequence task")
        for name in ("length", "batch", "in_dim", "window"):
            positive_int(getattr(self, name), f"SequenceTask.{name}")
        if not 0 < self.lam < 1:
            raise ValueError(f"lam must be in (0, 1), got {self.lam!r}")
        if self.kind == "n-gram" and self.product and self.window < 2:
            raise ValueError("an n-gram with a product term needs window >= 2 (it multiplies the window's two ends)")

    def describe(self) -> str:
        """Short label: "bag-of-words w8", "n-gram n4 x", "moving-average lam 0.95"."""
        if self.kind == "bag-of-words":
            return f"bag-of-words w{self.window}"
        if self.kind == "n-gram":
            return f"n-gram n{self.window}" + (" x" if self.product else "")
        return f"moving-average lam {self.lam:g}"

    def _variances(self, reach: int | None = None) -> tuple[list[float], list[float]]:
        """Per position t: Var(y_t), and the variance a predictor seeing x_{t-reach} .. x_t cannot
        explain (its conditional expectation's residual; reach None: the whole prefix)."""
        T, w, lam = self.length, self.window, self.lam
        R = T if reach is None else reach
        var, left = [], []
        for t in range(T):
            if self.kind == "bag-of-words":
                first = max(0, t - w + 1)  # summed positions first .. t, each contributes 1 / w
                var.append((t - first + 1) / w)
                left.append(max(0, (t - R - 1) - first + 1) / w)  # positions first .. t-R-1 unseen
            elif self.kind == "n-gram":
                lags = [k for k in range(w) if t - k >= 0]
                prod = 1.0 if self.product and t - w + 1 >= 0 else 0.0  # u_t v_{t-n+1}, both unit, independent
                var.append(len(lags) / w + prod)
                # unseen lags are independent noise; the product's conditional mean is 0 once v_{t-n+1} is unseen
                left.append(sum(1 for k in lags if k > R) / w + (prod if w - 1 > R else 0.0))
            else:
                var.append(1 - lam ** (2 * (t + 1)))
                left.append(lam ** (2 * (R + 1)) - lam ** (2 * (t + 1)) if t > R else 0.0)
        return var, left

    @property
    def floor(self) -> float:
        var, _ = self._variances()
        return 0.5 * sum(var) / self.length

    def limit(self, reach: int | None = None) -> float:
        """The information limit: the least relative MSE (loss / floor) of any predictor of y_t
        from x_{t-reach} .. x_t (reach None: all of x_0 .. x_t, where every target here is 0).
        Exact: the unseen inputs enter the target linearly or through a product with an unseen
        factor, so the best predictor leaves exactly their variance.

        >>> SequenceTask("bag-of-words", window=16).limit(reach=7)  # 8 of up to 16 positions seen
        0.2647058823529412
        """
        var, left = self._variances(reach)
        return sum(left) / sum(var)

    def sample(self, generator: torch.Generator, device: torch.device | str = "cpu"):
        """One batch: (x, target), x (T, B, 2I), target (T, B, I)."""
        x = torch.randn((self.length, self.batch, 2 * self.in_dim), generator=generator, device=device)
        return x, self.target(x)

    def target(self, x: torch.Tensor) -> torch.Tensor:
        """The target of inputs x (T, B, 2I): (T, B, I)."""
        u, v = x[..., : self.in_dim], x[..., self.in_dim:]
        z = (u + v) / 2**0.5
        w = self.window
        if self.kind == "bag-of-words":
            c = torch.cumsum(z, 0)  # (T, B, I)
            y = (c - torch.cat([torch.zeros_like(c[:w]), c[:-w]])[: len(c)]) / w**0.5
        elif self.kind == "n-gram":
            y = sum((-1) ** k * _shift(u, k) for k in range(w)) / w**0.5
            if self.product:
                y = y + u * _shift(v, w - 1)
        else:
            out, e = [], torch.zeros_like(z[0])
            for t in range(self.length):
                e = self.lam * e + (1 - self.lam) * z[t]
                out.append(e)
            y = torch.stack(out) * ((1 + self.lam) / (1 - self.lam)) ** 0.5
        return y.contiguous()

    loss = staticmethod(half_mse)
    losses = staticmethod(half_mse_members)

    def relative(self, loss: float) -> float:
        return loss / self.floor


def _shift(z: torch.Tensor, k: int) -> torch.Tensor:
    """z delayed by k positions along dim 0, zeros before position 0: out[t] = z[t - k]."""
    if k == 0:
        return z
    if k >= len(z):
        return torch.zeros_like(z)
    return torch.cat([torch.zeros_like(z[:k]), z[:-k]])
