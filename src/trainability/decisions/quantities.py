"""The claim vocabulary: what a part of a claim claims, as a share of seeds on which an event
happens, above a level. Each quantity is a frozen dataclass; ``Part.events`` turns the runs of a
claim's settings into the (trials,) bool array that decisions.sequential decides.

    typical seed  TypicalRatio(better, worse, t)   P(better_i < t x worse_i) > 1/2: the median
                  paired ratio is below t. Strict; a diverged run is worst, two diverged tie
                  (not better). metric "escape" compares steps to escape, censored at the run
                  length (a censored "better" is never faster, a censored "worse" loses to any
                  escape: the censoring counts against the claim). A metric that is better
                  higher (a registered measurement, e.g. an accuracy) reads better_i > t x worse_i.
    escape gain   EscapeGain(better, worse)        better raises the chance of escaping: among
                  the discordant pairs (exactly one escaped), the share where it was better's
                  run is above 1/2 (McNemar's exact test, group-sequential over the looks). The report adds
                  each escape rate (Wilson) and their difference with a simultaneous interval.
    escape rate   EscapeRate(setting, q, side)     P(escape) above (or below) q; "the typical run
                  escapes" is q = 1/2, above.
    level         Level(setting, t, side)          the typical run ends above (below) t x floor:
                  P(final / floor > t) > 1/2 (a diverged run counts as above every level); on a
                  metric that is not a loss, t is the metric's own value.
    gain grows    GainGrows(deep, shallow)         on more seeds a change's escape gain is larger at one
                                                   depth than at another than the reverse: a sign test
                                                   on the seed's two gains (the share it is, not a
                                                   difference of mean gains, which it does not test)
    dispersion    Dispersion(wider, narrower)      two of wider's seeds lie further apart in log loss
                  than two other seeds of narrower's: one trial per block of four seeds
    advantage     AdvantageGrows(easy, hard)       own / other's loss ratio is lower on the hard task
    grows                                          than on the easy one, per seed

Each part names the metric it reads (``metric``: the test loss by default; any metric of
decisions.runs, a registered run measurement included).

Every part is "the share of trials with event E is above q", so one test serves all of them
(sequential.py), and each is valid at its threshold for any shape of data (bimodal,
censored, diverged): the event is a function of one seed's runs (of one disjoint block of seeds
for a dispersion), so the trials are i.i.d.
Bernoulli whatever the losses look like. The geometric-mean ratio and P(better) stay in the
report as description only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import stats
from .runs import Runs, better, check_metric, is_loss, what
from .across import AdvantageGrows, Dispersion

@dataclass(frozen=True)
class TypicalRatio:
    better: str
    worse: str
    threshold: float  # e.g. 0.8: "at least 20% lower on most seeds"
    metric: str = "final"
    unmatched: bool = False  # the two differ in task or run length: a seed pairs their inits only
    limits: tuple[float, float] | None = None  # information limits (relative MSE) of better, worse: see describe
    name: str = field(default="typical seed", init=False)
    level: float = field(default=0.5, init=False)

    def __post_init__(self) -> None:
        _positive_ratio(self.threshold)
        check_metric(self.metric)
        if self.limits is not None and not is_loss(self.metric):
            raise ValueError(f"information limits are relative losses: a comparison of {what(self.metric)} takes none")

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.better, self.worse)

    @property
    def sign(self) -> str:
        return "<" if better(self.metric) == "lower" else ">"

    def statement(self) -> str:
        t = self.threshold
        how = f"{self.sign} {t:g} x {self.worse}'s"
        if better(self.metric) == "lower" and t < 1:
            how = f"at least {round(100 * (1 - t)):g}% below {self.worse}'s (< {t:g} x)"
        elif better(self.metric) == "higher" and t > 1:
            how = f"at least {round(100 * (t - 1)):g}% above {self.worse}'s (> {t:g} x)"
        elif t == 1:
            how = f"{'below' if better(self.metric) == 'lower' else 'above'} {self.worse}'s"
        text = f"on most seeds {self.better}'s {what(self.metric)} is {how}"
        if self.metric == "escape":
            text += " (a step count the run length censors counts against the claim for holds, for it for refuted)"
        return text

    def bounds(self, runs: dict[str, Runs]) -> tuple[np.ndarray, np.ndarray]:
        """(events counted against the claim, events counted for it): equal but for step counts, where
        a comparison the run length censors is undetermined (both runs censored; or the censored run's
        true count could fall on either side of t x the other's)."""
        events = self.events(runs)
        if self.metric != "escape":
            return events, events
        ra, rb = runs[self.better], runs[self.worse]
        a, b, ea, eb, t, steps = ra.escape, rb.escape, ra.escaped, rb.escaped, self.threshold, ra.steps
        known = (ea & eb) | (ea & ~eb & (a < t * steps)) | (~ea & eb & (steps >= t * b))
        true = np.where(ea & eb, a < t * b, ea & ~eb & (a < t * steps))
        return true & known, true | ~known

    def short(self) -> str:
        short = {"final": "loss", "final_nodrop": "loss (no dropout)", "escape": "steps"}.get(self.metric, self.metric)
        return f"{self.better} {short} {self.sign} {self.threshold:g} x {self.worse}"

    def events(self, runs: dict[str, Runs]) -> np.ndarray:
        if better(self.metric) == "lower":
            a, b = (runs[k].metric(self.metric) for k in self.labels)
            return stats.strictly_better(a, b, self.threshold)
        a, b = (runs[k].metric(self.metric) for k in self.labels)  # higher is better: a > t b, -inf worst
        return stats.strictly_better(-a, -b, self.threshold)

    def describe(self, runs: dict[str, Runs]) -> dict:
        a, b = (runs[k].metric(self.metric) for k in self.labels)
        if better(self.metric) == "higher":
            return {f"median {self.metric}, {self.better}": float(np.median(a)),
                    f"median {self.metric}, {self.worse}": float(np.median(b)), "P(better)": stats.prob_better(-a, -b)}
        out = {"median ratio": stats.median_ratio(a, b), "geometric mean ratio": stats.geometric_mean_ratio(a, b),
               "P(better)": stats.prob_better(a, b)}
        if self.limits is not None:
            out.update(limit_decides(self, runs))
        return out


@dataclass(frozen=True)
class EscapeGain:
    better: str
    worse: str
    name: str = field(default="escape gain", init=False)
    level: float = field(default=0.5, init=False)

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.better, self.worse)

    def statement(self) -> str:
        return f"{self.better} escapes the plateau more often than {self.worse} (share of discordant pairs > 1/2)"

    def short(self) -> str:
        return f"{self.better} escapes more often than {self.worse}"

    def events(self, runs: dict[str, Runs]) -> np.ndarray:
        a, b = runs[self.better].escaped, runs[self.worse].escaped
        return a[a != b]  # one trial per discordant pair: True where better escaped alone

    def describe(self, runs: dict[str, Runs]) -> dict:
        a, b = runs[self.better].escaped, runs[self.worse].escaped
        n, n10, n01 = len(a), int((a & ~b).sum()), int((~a & b).sum())
        ra, rb = stats.wilson(int(a.sum()), n), stats.wilson(int(b.sum()), n)
        # difference p_a - p_b = d (2 pi - 1), d = discordance, pi = share won: each bounded by
        # its confidence sequence at alpha / 2, so the pair holds jointly at 1 - alpha
        d, w = stats.bernoulli_cs(n10 + n01, n, stats.ALPHA / 2), stats.bernoulli_cs(n10, n10 + n01, stats.ALPHA / 2)
        ends = [dd * (2 * ww - 1) for dd in (d.low, d.high) for ww in (w.low, w.high)]
        return {f"escape rate {self.better}": [ra.estimate, ra.low, ra.high],
                f"escape rate {self.worse}": [rb.estimate, rb.low, rb.high],
                "discordant (better alone, worse alone)": [n10, n01],
                "difference in escape rates": [(n10 - n01) / n, min(ends), max(ends)]}


@dataclass(frozen=True)
class EscapeRate:
    setting: str
    q: float = 0.5  # the claimed level of P(escape)
    direction: str = "above"
    name: str = field(default="escape rate", init=False)

    def __post_init__(self) -> None:
        _probability(self.q)
        stats.side([], 0.0, self.direction)  # raises on a bad direction

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.setting,)

    @property
    def level(self) -> float:
        return self.q if self.direction == "above" else 1 - self.q

    @property
    def complement(self) -> bool:
        """"below q" is decided as "P(not escaping) above 1 - q": the record reports the escape
        rate itself, the quantity the statement names (verdicts.part_record)."""
        return self.direction == "below"

    def statement(self) -> str:
        return f"P({self.setting} escapes) {self.direction} {self.q:g}"

    def short(self) -> str:
        return self.statement()

    def events(self, runs: dict[str, Runs]) -> np.ndarray:
        escaped = runs[self.setting].escaped
        return escaped if self.direction == "above" else ~escaped

    def describe(self, runs: dict[str, Runs]) -> dict:
        e = runs[self.setting].escaped
        w = stats.wilson(int(e.sum()), len(e))
        return {"escape rate (Wilson)": [w.estimate, w.low, w.high]}


@dataclass(frozen=True)
class Level:
    setting: str
    threshold: float  # in units of the task's floor for a loss (relative MSE), else the metric's own
    direction: str = "above"
    metric: str = "final"  # any metric (decisions.runs)
    name: str = field(default="level", init=False)
    level: float = field(default=0.5, init=False)

    def __post_init__(self) -> None:
        if isinstance(self.threshold, bool) or not (isinstance(self.threshold, (int, float))
                                                    and math.isfinite(self.threshold)):
            raise ValueError(f"a level's threshold must be a finite number, got {self.threshold!r}")
        check_metric(self.metric)
        if is_loss(self.metric) and self.threshold < 0:
            raise ValueError(f"a loss level's threshold is a relative MSE >= 0, got {self.threshold!r}")
        stats.side([], 0.0, self.direction)

    def _values(self, runs: dict[str, Runs]) -> np.ndarray:
        """A loss relative to the floor (a diverged run at inf, above every level), else the metric
        itself (a diverged run at its worst)."""
        r = runs[self.setting]
        if is_loss(self.metric):
            v = r.metric(self.metric)
            return np.where(np.isfinite(v), v, math.inf) / r.floor
        return r.metric(self.metric)

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.setting,)

    def _unit(self) -> str:
        return " x floor" if is_loss(self.metric) else ""

    def statement(self) -> str:
        if is_loss(self.metric):
            off = " (dropout off)" if self.metric == "final_nodrop" else ""
            diverged = "; a diverged run counts as above every level" if self.direction == "above" else \
                "; a diverged run never counts as below"
            return f"the typical {self.setting} run ends {self.direction} {self.threshold:g} x floor{off}{diverged}"
        return f"the typical {self.setting} run's {what(self.metric)} is {self.direction} {self.threshold:g}"

    def short(self) -> str:
        if is_loss(self.metric):
            return f"{self.setting} ends {self.direction} {self.threshold:g} x floor" + (
                " (no dropout)" if self.metric == "final_nodrop" else "")
        return f"{self.setting} {self.metric} {self.direction} {self.threshold:g}"

    def events(self, runs: dict[str, Runs]) -> np.ndarray:
        return stats.side(self._values(runs), self.threshold, self.direction)

    def describe(self, runs: dict[str, Runs]) -> dict:
        key = "median relative MSE" if is_loss(self.metric) else f"median {self.metric}"
        return {key: float(np.median(self._values(runs)))}


@dataclass(frozen=True)
class GainGrows:
    """The benefit of one change (``deep``: (better, worse)) is larger than the same change's
    benefit elsewhere (``shallow``), per seed: b = escaped(better) - escaped(worse) in {-1, 0, 1};
    among the seeds where the two benefits differ, the share with b_deep > b_shallow is above 1/2
    (a sign test on the seed's difference of differences)."""

    deep: tuple[str, str]
    shallow: tuple[str, str]
    name: str = field(default="gain grows", init=False)
    level: float = field(default=0.5, init=False)

    @property
    def labels(self) -> tuple[str, ...]:
        return (*self.deep, *self.shallow)

    def statement(self) -> str:
        return (f"on more seeds {self.deep[0]} over {self.deep[1]} gains more escapes than {self.shallow[0]} over "
                f"{self.shallow[1]} than the reverse (a sign test: share of the seeds where the two gains differ "
                "> 1/2, not a comparison of mean gains)")

    def short(self) -> str:
        return f"gain {self.deep[0]} / {self.deep[1]} > {self.shallow[0]} / {self.shallow[1]}"

    def gains(self, runs: dict[str, Runs]) -> tuple[np.ndarray, np.ndarray]:
        b = [runs[a].escaped.astype(int) - runs[c].escaped.astype(int) for a, c in (self.deep, self.shallow)]
        return b[0], b[1]

    def events(self, runs: dict[str, Runs]) -> np.ndarray:
        deep, shallow = self.gains(runs)
        return (deep > shallow)[deep != shallow]

    def describe(self, runs: dict[str, Runs]) -> dict:
        deep, shallow = self.gains(runs)
        return {"mean escape gain, deep": float(deep.mean()), "mean escape gain, shallow": float(shallow.mean()),
                "seeds deep > shallow, deep < shallow": [int((deep > shallow).sum()), int((deep < shallow).sum())]}


def limit_decides(part: TypicalRatio, runs: dict[str, Runs]) -> dict:
    """Whether an information limit, not learning, decides a loss comparison (the rule fixed for
    the sequence claims): with medians m and limits l in relative MSE and threshold t, the worse
    side at its limit would still lose (t x l_worse >= m_better), or the better side at its limit
    could not win (l_better >= t x m_worse). A flagged comparison is reported, not counted."""
    (lb, lw), t = part.limits, part.threshold
    mb, mw = (float(np.median(getattr(runs[k], part.metric))) / runs[k].floor for k in part.labels)
    return {"information limits (better, worse)": [lb, lw], "gaps to the limits (median - limit)": [mb - lb, mw - lw],
            "limit decides": bool(t * lw >= mb or lb >= t * mw)}


Part = TypicalRatio | EscapeGain | EscapeRate | Level | GainGrows | Dispersion | AdvantageGrows
QUANTITIES: dict[str, type] = {"typical seed": TypicalRatio, "escape gain": EscapeGain, "escape rate": EscapeRate,
                               "level": Level, "gain grows": GainGrows, "dispersion": Dispersion,
                               "advantage grows": AdvantageGrows}
PAIRED = (TypicalRatio, EscapeGain, GainGrows)


def placebo_parts(a: str, b: str, escape: bool = True, spread: bool = False) -> list:
    """An A/A placebo's parts (``a`` against its replicate ``b``), each at its boundary and in both
    orders, so that a machinery favouring either arm shows: each arm's escape gain over the other
    (the share is 1/2 exactly under A/A), each arm's loss below the other's on most seeds (t = 1),
    and with ``spread`` each arm's seed-to-seed spread wider than the other's. Decided on one look
    at the design's cap; the placebo fails if any part holds (decisions.verdicts.check)."""
    parts = [TypicalRatio(a, b, 1.0), TypicalRatio(b, a, 1.0)]
    if escape:
        parts = [EscapeGain(a, b), EscapeGain(b, a), *parts]
    if spread:
        parts += [Dispersion(a, b), Dispersion(b, a)]
    return parts


def named(settings: dict, parts: list) -> dict:
    """The settings the parts name, in the order they first name them: a claim file keeps one
    dict of its family's settings and decides each claim on the ones it needs."""
    labels = dict.fromkeys(label for p in parts for label in p.labels)
    return {label: settings[label] for label in labels}


def part(quantity: str, **kwargs) -> Part:
    """A part by its quantity's name: part("typical seed", better="A", worse="B", threshold=0.8)."""
    if quantity not in QUANTITIES:
        raise ValueError(f"unknown quantity {quantity!r}; valid quantities: {', '.join(QUANTITIES)}")
    return QUANTITIES[quantity](**kwargs)


def _positive_ratio(t) -> None:
    if not (isinstance(t, (int, float)) and math.isfinite(t) and t > 0):
        raise ValueError(f"a ratio threshold must be a positive finite number, got {t!r}")


def _probability(q) -> None:
    if not (isinstance(q, (int, float)) and 0 < q < 1):
        raise ValueError(f"a probability level must be strictly between 0 and 1, got {q!r}")
