"""From runs to verdicts: paired comparisons and level checks over a sequential seed design.

A comparison claims "A's metric is below threshold x B's" on paired seeds (same seed = same
init, data and dropout stream for both). Its effect is the geometric mean of the per-seed
ratios A_i / B_i; its verdict is stats.verdict on the interval from inverting a paired sign-flip
test (exact under exchangeable settings). A BCa bootstrap interval is reported beside it.
The negation is the reverse claim ("B below threshold x A") on the same runs; it must come
out refuted wherever the claim holds.

Sequential design: start with ``start`` seeds; while any verdict is inconclusive add ``step``
seeds, up to ``cap``. Each look uses a (1 - alpha / looks) interval (Bonferroni over the
looks), so peeking cannot inflate the error rate past alpha / 2 per direction.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from . import stats
from .setting import RunResult, Setting, derive_seed


METRICS = ("final", "escape")


class ClaimRefuted(AssertionError):
    """The seeds refute the claim."""


class ClaimInconclusive(AssertionError):
    """The seed cap was reached without a decision; always a failure."""


class NegationNotRefuted(AssertionError):
    """The claim holds but its negation was not refuted: the check could not fail."""


@dataclass(frozen=True)
class Design:
    start: int = 8  # paired seeds at the first look
    step: int = 4  # seeds added per further look
    cap: int = 16  # most seeds per setting
    alpha: float = 0.05  # total two-sided error budget, split over the looks

    def __post_init__(self) -> None:
        if not (isinstance(self.start, int) and self.start >= 2):
            raise ValueError(f"a design needs at least 2 seeds to start, got {self.start!r}")
        if not (isinstance(self.step, int) and self.step >= 1):
            raise ValueError(f"seed step must be a positive int, got {self.step!r}")
        if not (isinstance(self.cap, int) and self.cap >= self.start):
            raise ValueError(f"seed cap ({self.cap!r}) must be an int >= start ({self.start})")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha!r}")

    @property
    def sizes(self) -> list[int]:
        """Seed counts at each look."""
        return list(range(self.start, self.cap, self.step)) + [self.cap]

    @property
    def confidence(self) -> float:
        return 1 - self.alpha / len(self.sizes)

    def with_cap(self, cap: int) -> "Design":
        """The design capped at ``cap`` seeds (``--seeds``): start shrinks to fit."""
        start = min(self.start, cap)
        return Design(start=start, step=self.step, cap=cap, alpha=self.alpha)


@dataclass(frozen=True)
class Pair:
    """One comparison inside a claim: ``better`` is claimed below ``threshold`` x ``worse``."""

    better: str  # label of a setting in the claim's settings
    worse: str
    threshold: float  # e.g. 0.8: "at least 20% lower on the typical seed"


@dataclass
class Outcome:
    """Everything a report needs about one claim."""

    claim_id: str
    title: str
    source: str
    tier: str
    verdict: str
    negation_verdict: str | None
    settings: dict[str, dict]
    comparisons: list[dict]
    n_seeds: int
    confidence: float
    base_seed: int
    seconds: float
    device: str
    torch_version: str
    extra: dict = field(default_factory=dict)

    def table(self) -> str:
        """Per-setting medians and spreads, then each comparison: for failure messages."""
        unit = "paired seeds" if self.settings else "examples"
        lines = [f"{self.claim_id} [{self.tier}] {self.title}: {self.verdict.upper()} "
                 f"(n={self.n_seeds} {unit}, {self.confidence:.4f} intervals, base seed {self.base_seed})"]
        for label, s in self.settings.items():
            lecture = f", lecture {s['lecture']}" if s.get("lecture") is not None else ""
            lines.append(f"  {label:<28} final median {s['median']:.4g} (IQR {s['q1']:.4g}-{s['q3']:.4g}), "
                         f"escape median {s['escape_median']:g}/{s['steps']}, escaped {s['escaped']}/{s['n']}, "
                         f"diverged {s['diverged']}{lecture}")
        for c in self.comparisons:
            lines.append(f"  {c['statement']}: effect {c['effect']:.3g} [{c['low']:.3g}, {c['high']:.3g}] "
                         f"vs threshold {c['threshold']:g} ({c['direction']}) -> {c['verdict']}"
                         + (f"; P(better) {c['p_better']:.2f}" if "p_better" in c else ""))
        if self.negation_verdict is not None:
            lines.append(f"  negation -> {self.negation_verdict}")
        return "\n".join(lines)

    def record(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


def _seeds(base_seed: int, claim_id: str, n: int) -> list[int]:
    return [derive_seed(base_seed, claim_id, i) for i in range(n)]


def _setting_summary(results: list[RunResult], lecture: float | None) -> dict:
    finals = np.array([r.final for r in results])
    escapes = np.array([r.escape for r in results], float)
    s = stats.summary(finals)
    s.update(escape_median=float(np.median(escapes)), escaped=sum(r.escape_step is not None for r in results),
             steps=results[0].setting.steps, lecture=lecture, setting=results[0].setting.describe(),
             relative_median=s["median"] / results[0].setting.task.floor)
    return s


def _invert(ci: stats.Interval) -> stats.Interval:
    inv = lambda v: math.inf if v == 0 else 1.0 / v  # noqa: E731
    return stats.Interval(inv(ci.estimate), inv(ci.high), inv(ci.low), ci.confidence)


def _combine(verdicts: list[str]) -> str:
    """A conjunction of sub-claims: holds if all hold, refuted if any is refuted."""
    if "refuted" in verdicts:
        return "refuted"
    return "holds" if all(v == "holds" for v in verdicts) else "inconclusive"


def decide(
    runner, *, claim_id: str, title: str, source: str, tier: str, settings: dict[str, Setting],
    pairs: list[Pair] = (), levels: list[tuple[str, float, str]] = (), design: Design, base_seed: int,
    lecture: dict[str, float] | None = None, extra: dict | None = None, metric: str = "final",
) -> Outcome:
    """Decide a claim made of paired comparisons (all must hold) and level checks.

    ``runner`` is anything with ``results(jobs, label) -> [RunResult]`` (a pool.Runner).

    ``levels`` are (label, threshold, direction) on the setting's relative MSE (final / floor),
    decided on the median with a distribution-free interval. ``metric`` is what the pairs compare:
    "final" (the test loss) or "escape" (steps until the running training loss is below the
    setting's escape_level, censored at the run length). ``extra`` goes into the record; with
    a "grid" title and a "row" name, the row's cells are the settings' median relative MSEs.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; valid metrics: {', '.join(METRICS)}")
    for p in pairs:
        for label in (p.better, p.worse):
            if label not in settings:
                raise ValueError(f"{claim_id}: comparison names {label!r}; settings are {', '.join(settings)}")
    start = time.perf_counter()
    lecture = lecture or {}
    seeds_all = _seeds(base_seed, claim_id, design.cap)
    confidence = design.confidence
    for n in design.sizes:
        seeds = seeds_all[:n]
        jobs = [(s, seed) for s in settings.values() for seed in seeds]
        done = runner.results(jobs, label=claim_id)
        by_label = {label: done[i * n:(i + 1) * n] for i, label in enumerate(settings)}
        finals = {label: np.array([r.final for r in rs]) for label, rs in by_label.items()}
        values = finals if metric == "final" else {label: np.array([r.escape for r in rs], float)
                                                   for label, rs in by_label.items()}
        comparisons, negations = [], []
        for k, p in enumerate(pairs):
            ci = stats.ratio_effect(values[p.better], values[p.worse], confidence,
                                    seed=derive_seed(base_seed, claim_id, "flips", k, n))
            boot = stats.ratio_bootstrap(values[p.better], values[p.worse], confidence,
                                         seed=derive_seed(base_seed, claim_id, "bootstrap", k, n))
            v = stats.verdict(ci, p.threshold, "below")
            neg = stats.verdict(_invert(ci), p.threshold, "below")
            negations.append(neg)
            unit = "" if metric == "final" else f" ({metric} steps)"
            comparisons.append(dict(statement=f"{p.better} < {p.threshold:g} x {p.worse}{unit}", effect=ci.estimate,
                                    low=ci.low, high=ci.high, threshold=p.threshold, direction="below", verdict=v,
                                    negation=f"{p.worse} < {p.threshold:g} x {p.better}", negation_verdict=neg,
                                    p_better=stats.prob_better(values[p.better], values[p.worse]),
                                    bootstrap_low=boot.low, bootstrap_high=boot.high))
        for label, threshold, direction in levels:
            floor = settings[label].task.floor
            ci = stats.median_ci(finals[label] / floor, confidence)
            v = stats.verdict(ci, threshold, direction)
            flipped = "below" if direction == "above" else "above"
            negations.append(stats.verdict(ci, threshold, flipped))
            comparisons.append(dict(statement=f"median relative MSE of {label} {direction} {threshold:g}",
                                    effect=ci.estimate, low=ci.low, high=ci.high, threshold=threshold,
                                    direction=direction, verdict=v))
        overall = _combine([c["verdict"] for c in comparisons])
        if overall != "inconclusive" or n == design.sizes[-1]:
            break
    # The negation of a conjunction is checked part by part: each reversed sub-claim must be
    # refuted where the claim holds.
    negation = None if not negations else "refuted" if all(v == "refuted" for v in negations) else _combine(negations)
    first = next(iter(by_label.values()))[0]
    summaries = {label: _setting_summary(rs, lecture.get(label)) for label, rs in by_label.items()}
    extra = dict(extra or {})
    if "grid" in extra:  # a row of a table assembled across claims: median relative MSE per setting
        extra["cells"] = {label: s["relative_median"] for label, s in summaries.items()}
    return Outcome(
        claim_id=claim_id, title=title, source=source, tier=tier, verdict=overall, negation_verdict=negation,
        settings=summaries, comparisons=comparisons, n_seeds=n, confidence=confidence, base_seed=base_seed,
        seconds=time.perf_counter() - start, device=first.device, torch_version=first.torch_version, extra=extra,
    )


def check(outcome: Outcome, expected: str = "holds", reason: str = "") -> None:
    """Raise unless the verdict is the one the claim file records.

    expected "holds": refuted raises ClaimRefuted, inconclusive ClaimInconclusive, and a holding
    claim whose negation is not refuted raises NegationNotRefuted.
    expected "refuted" (the evidence says the lecture is wrong at this tier): the caller turns
    ClaimRefuted into a strict xfail; a claim that starts to hold fails.
    """
    if expected not in ("holds", "refuted"):
        raise ValueError(f"expected verdict must be 'holds' or 'refuted', got {expected!r}")
    msg = outcome.table()
    if outcome.verdict == "inconclusive":
        raise ClaimInconclusive(f"inconclusive after the seed cap; add seeds (--seeds) or a bigger effect\n{msg}")
    if outcome.verdict == "refuted":
        raise ClaimRefuted(msg + (f"\n  expected refuted: {reason}" if expected == "refuted" else ""))
    if expected == "refuted":
        raise AssertionError(f"recorded as refuted ({reason}) but now holds: update the claim file\n{msg}")
    if outcome.negation_verdict != "refuted":
        raise NegationNotRefuted(f"the claim holds but its negation is {outcome.negation_verdict}\n{msg}")


def property_outcome(*, claim_id: str, title: str, source: str, tier: str, base_seed: int, seconds: float,
                     parts: list[tuple[str, list[float], float, str]],
                     negations: list[tuple[str, list[float], float, str]]) -> Outcome:
    """An Outcome for a property checked over a range of examples (hypothesis).

    parts and negations are (statement, values over the examples, threshold, direction). A part
    holds when every example's value is on the claimed side ("below": < threshold, "above": >),
    else it is refuted (one counterexample refutes a "for all"). A negation is refuted only when
    no example satisfies it. The effect shown is the median over examples, the interval their range.
    """
    def side(values, threshold, direction):
        v = np.asarray(values, float)
        return v < threshold if direction == "below" else v > threshold

    comparisons = []
    for statement, values, threshold, direction in parts:
        ok = side(values, threshold, direction)
        comparisons.append(dict(statement=statement, effect=float(np.median(values)), low=float(np.min(values)),
                                high=float(np.max(values)), threshold=threshold, direction=direction,
                                verdict="holds" if ok.all() else "refuted", examples=len(values)))
    negation_verdicts = ["refuted" if not side(values, threshold, direction).any() else "holds"
                         for _, values, threshold, direction in negations]
    for (statement, values, threshold, direction), v in zip(negations, negation_verdicts):
        comparisons.append(dict(statement=f"negation: {statement}", effect=float(np.median(values)),
                                low=float(np.min(values)), high=float(np.max(values)), threshold=threshold,
                                direction=direction, verdict=v, examples=len(values)))
    claim_parts = [c["verdict"] for c in comparisons[:len(parts)]]
    return Outcome(
        claim_id=claim_id, title=title, source=source, tier=tier, verdict=_combine(claim_parts),
        negation_verdict=("refuted" if all(v == "refuted" for v in negation_verdicts) else "holds")
        if negations else None,
        settings={}, comparisons=comparisons, n_seeds=len(parts[0][1]) if parts else 0, confidence=1.0,
        base_seed=base_seed, seconds=seconds, device="cpu", torch_version=str(torch.__version__),
    )
