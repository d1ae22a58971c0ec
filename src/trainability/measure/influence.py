"""Influence profiles at initialisation (L11): how much output position t depends on input s.

influence[t, s] = mean over random inputs of || d y_t / d x_s ||_F, the Frobenius norm of the
(I, 2I) Jacobian block, computed with torch.func.jacrev. Every model here treats batch elements
independently, so the Jacobian of y summed over the batch holds each input's own Jacobian: one
jacrev call serves all the random inputs.

Statistics that name the shape (lag = t - s; positive lags look into the past):
    flatness  coefficient of variation (std / mean) of the off-diagonal influences: ~0 when every
              other position counts alike (bag-of-words), large when influence is local or decays
    support   (past, future): the largest lags with nonzero influence (above rel_tol x the largest)
    decay     least-squares fit of log mean-influence against lag over the past support:
              slope (per-step log decay) and R^2 (1 = exactly geometric)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy import stats as sps
from torch import nn
from torch.func import functional_call, jacrev


def influence(model: nn.Module, length: int, in_width: int, inputs: int, seed: int) -> np.ndarray:
    """(T, T) mean Jacobian-block norm [t, s] over ``inputs`` N(0, 1) sequences of ``length``."""
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}
    x = torch.randn(length, inputs, in_width, generator=torch.Generator().manual_seed(seed))  # (T, n, 2I)

    def summed(x):  # (T, n, 2I) -> (T, I): batch elements are independent
        return functional_call(model, (params, buffers), (x,)).sum(1)

    jac = jacrev(summed)(x)  # (T, I, T, n, 2I): [t, :, s, b, :] = d y[t, b] / d x[s, b]
    return jac.pow(2).sum(dim=(1, 4)).sqrt().mean(-1).numpy()  # (T, T)


def by_lag(inf: np.ndarray) -> dict[int, float]:
    """(T, T) -> {lag: mean influence over the (t, t - lag) pairs}, lags -(T-1) .. T-1."""
    T = inf.shape[0]
    return {lag: float(np.mean(np.diagonal(inf, offset=-lag))) for lag in range(-(T - 1), T)}


@dataclass(frozen=True)
class Profile:
    flatness: float  # CV of off-diagonal influence
    past: int  # largest past lag with influence
    future: int  # largest future lag with influence
    decay: float  # slope of log influence per lag of the past (nan if < 3 lags)
    r2: float  # R^2 of that fit
    length: int

    def family(self) -> str:
        """The rule: finite window -> n-gram; causal, full reach and geometric decay (R^2 >= 0.7,
        the bound the L11 claims measured for one recurrent layer) -> moving-average; full reach
        both ways and flat (flatness < 0.25) -> bag-of-words; else unclassified."""
        full = self.length - 1
        if max(self.past, self.future) < full:
            return "n-gram"
        if self.future == 0 and self.past == full and self.r2 >= 0.7 and self.decay < 0:
            return "moving-average"
        if self.past == full and self.future == full and self.flatness < 0.25:
            return "bag-of-words"
        return "unclassified"


def profile(inf: np.ndarray, rel_tol: float = 0.0) -> Profile:
    T = inf.shape[0]
    off = inf[~np.eye(T, dtype=bool)]
    flatness = float(off.std() / off.mean()) if off.size and off.mean() > 0 else math.inf
    lags = by_lag(inf)
    cut = rel_tol * max(lags.values())
    past = max([lag for lag, v in lags.items() if lag >= 0 and v > cut], default=0)
    future = max([-lag for lag, v in lags.items() if lag <= 0 and v > cut], default=0)
    fit_lags = [lag for lag in range(1, past + 1) if lags[lag] > 0]
    decay = r2 = math.nan
    if len(fit_lags) >= 3:
        fit = sps.linregress(fit_lags, np.log([lags[lag] for lag in fit_lags]))
        decay, r2 = float(fit.slope), float(fit.rvalue**2)
    return Profile(flatness, past, future, decay, r2, T)
