"""The two quantities that compare seeds across settings other than pair by pair: a dispersion
(one trial per disjoint block of four seeds) and an advantage that grows from an easy task to a
hard one (one seed's four runs). Both are read by decisions.quantities like the others."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .runs import Runs


def _log_losses(r: Runs) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(r.final)  # inf stays inf (diverged), 0 -> -inf


@dataclass(frozen=True)
class Dispersion:
    """``wider``'s final loss varies more from seed to seed than ``narrower``'s, on a log scale
    (orders of magnitude, so a setting that only ends higher is not "wider"). Seeds are taken in
    disjoint blocks of four: wider's runs on seeds 4k and 4k+1, narrower's on 4k+2 and 4k+3, so
    the two spreads of a trial come from independent runs (on shared seeds two settings' spreads
    can be dependent, and then equal spreads in law do not give a share of 1/2). The event is
    |log a_4k - log a_4k+1| > |log b_4k+2 - log b_4k+3|; a pair with a diverged run in both seeds
    is no event for its side, and ties are no event. The blocks are i.i.d. and the two spreads
    are independent draws, so with equal spread laws the share is at most 1/2: the threshold."""

    wider: str
    narrower: str
    name: str = field(default="dispersion", init=False)
    level: float = field(default=0.5, init=False)
    seeds_per_trial: int = field(default=4, init=False)

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.wider, self.narrower)

    def statement(self) -> str:
        return (f"two seeds of {self.wider} end further apart (log loss) than two other seeds of {self.narrower} "
                f"(share of blocks of four seeds > 1/2)")

    def short(self) -> str:
        return f"{self.wider} spreads wider than {self.narrower}"

    def spreads(self, runs: dict[str, Runs]) -> tuple[np.ndarray, np.ndarray]:
        """(blocks,) |difference of log losses|: wider's on seeds 4k, 4k+1; narrower's on 4k+2, 4k+3."""
        out = []
        for label, first in ((self.wider, 0), (self.narrower, 2)):
            x = _log_losses(runs[label])
            n = len(x) // 4 * 4
            with np.errstate(invalid="ignore"):
                out.append(np.abs(x[first:n:4] - x[first + 1:n:4]))  # inf - inf = nan: no event
        return out[0], out[1]

    def events(self, runs: dict[str, Runs]) -> np.ndarray:
        a, b = self.spreads(runs)
        with np.errstate(invalid="ignore"):
            return np.nan_to_num(a, nan=-1.0) > np.nan_to_num(b, nan=np.inf)

    def describe(self, runs: dict[str, Runs]) -> dict:
        out = {}
        for label in self.labels:
            x = _log_losses(runs[label]) / math.log(10)
            q1, q3 = np.percentile(x, [25, 75]) if np.all(np.isfinite(x)) else (math.nan, math.nan)
            out[f"IQR of log10 loss, {label}"] = float(q3 - q1)
        a, b = self.spreads(runs)
        out["median pair spread (log10), wider, narrower"] = [float(np.nanmedian(a) / math.log(10)),
                                                              float(np.nanmedian(b) / math.log(10))]
        return out


@dataclass(frozen=True)
class AdvantageGrows:
    """``own``'s advantage over ``other`` grows from one task to a harder one, per seed: with
    r = own's loss / other's loss on a task, the event is r_hard < r_easy (strictly); the share of
    seeds is above 1/2. Labels: (own, other) on the easy task, then on the hard one. A diverged
    own run is the worst ratio, a diverged other the best; both diverged is no event."""

    easy: tuple[str, str]  # (own, other) settings on the easy task
    hard: tuple[str, str]  # the same families on the hard task
    limits: tuple[float, float] | None = None  # information limits (relative MSE) of own, other on the hard task
    name: str = field(default="advantage grows", init=False)
    level: float = field(default=0.5, init=False)

    @property
    def labels(self) -> tuple[str, ...]:
        return (*self.easy, *self.hard)

    def statement(self) -> str:
        return (f"on most seeds the loss ratio {self.hard[0]} / {self.hard[1]} is below {self.easy[0]} / "
                f"{self.easy[1]} (the advantage grows)")

    def short(self) -> str:
        return f"{self.hard[0]} / {self.hard[1]} < {self.easy[0]} / {self.easy[1]}"

    def ratios(self, runs: dict[str, Runs]) -> tuple[np.ndarray, np.ndarray]:
        out = []
        for own, other in (self.easy, self.hard):
            a, b = runs[own].final, runs[other].final
            with np.errstate(divide="ignore", invalid="ignore"):
                out.append(np.where(np.isinf(a) & np.isinf(b), np.nan, a / b))  # inf/x = inf, x/inf = 0
        return out[0], out[1]

    def events(self, runs: dict[str, Runs]) -> np.ndarray:
        easy, hard = self.ratios(runs)
        with np.errstate(invalid="ignore"):
            return np.nan_to_num(hard, nan=np.inf) < np.nan_to_num(easy, nan=-np.inf)

    def describe(self, runs: dict[str, Runs]) -> dict:
        easy, hard = self.ratios(runs)
        out = {"median loss ratio own / other, easy": float(np.nanmedian(easy)),
               "median loss ratio own / other, hard": float(np.nanmedian(hard))}
        if self.limits is not None:  # limit_decides' rule at the hard end, threshold 1
            (lo, lt), (mo, mt) = self.limits, (float(np.median(runs[k].final)) / runs[k].floor for k in self.hard)
            out.update({"information limits at the hard end (own, other)": [lo, lt],
                        "limit decides": bool(lt >= mo or lo >= mt)})
        return out
