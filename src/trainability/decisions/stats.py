"""Statistics that turn runs into verdicts: short pure functions over arrays and counts.

Every claimed quantity here is a *share*: the probability p that an event happens on a seed (or
on an architecture drawn at random), claimed to be above a level q (trainability.decisions.quantities
says which event each quantity counts). The claims' verdicts are decided by the exact
group-sequential test of decisions.sequential; this module keeps the primitives around it:

    one_sided_e(S, n, q, side)  the one-sided Jeffreys-mixture e-value of "p > q" (or "p < q"):
                                a part's evidence for the suite level's e-BH and, past a raised
                                cap, the anytime-valid continuation (Ville's inequality)
    bernoulli_cs(S, n, alpha)   the two-sided anytime-valid confidence sequence (the beta-binomial
                                mixture boundary: Robbins 1970; Howard et al. 2021), which decided
                                every claim before issue 19 and still gives the escape gain's
                                simultaneous rate intervals in its description

With the Jeffreys Beta(1/2, 1/2) mixture,
    M_n(p) = B(1/2 + S, 1/2 + n - S) / B(1/2, 1/2) / (p^S (1 - p)^(n - S)),
a nonnegative martingale with mean 1 under p, so by Ville's inequality P(sup_n M_n(p) >= 1/alpha)
<= alpha, and CS_n = {p : M_n(p) < 1/alpha} is an interval around S/n; ``share_verdict`` reads it
against q (power.py compares that old test with the new one).

For a fixed, single-look sample (the quantile claims over drawn architectures) ``clopper_pearson``
is the exact interval and the more powerful one. ``wilson`` and the descriptive ratios (median,
geometric mean, P(better)) are for reports, never for verdicts.

Conventions: ``a`` and ``b`` are (seeds,) arrays of a loss-like metric (lower is better) for two
settings on the same paired seeds; non-finite values (diverged runs) rank worst.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps
from scipy.special import betainc, betaln

ALPHA = 0.05  # every claim's error budget: P(any false verdict over its whole design) <= ALPHA
SIDES = ("above", "below")


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float
    confidence: float


def log_evidence(S: int, n: int, p: float) -> float:
    """log M_n(p): the Jeffreys beta-binomial mixture against the point p, after S events in n.

    >>> round(math.exp(log_evidence(7, 7, 0.5)), 2)  # 7 of 7: evidence 26.8 against p = 1/2
    26.81
    """
    if n == 0:
        return 0.0
    log_mix = betaln(0.5 + S, 0.5 + n - S) - betaln(0.5, 0.5)
    log_lik = (S * math.log(p) if S else 0.0) + ((n - S) * math.log1p(-p) if n - S else 0.0)
    return float(log_mix - log_lik)


def one_sided_e(S: int, n: int, q: float, side: str = "holds") -> float:
    """An e-value against "p <= q" (side "holds") or "p >= q" (side "refuted") after S events in n:
    the Jeffreys Beta(1/2, 1/2) mixture of likelihood ratios restricted to the alternative's side
    (p' > q, or p' < q), renormalised. Under the null each ratio is a nonnegative supermartingale,
    so the mixture is one: E[e] <= 1 at any stopping time, and P(sup e >= 1/alpha) <= alpha (Ville).

    >>> round(one_sided_e(7, 7, 0.5), 1), round(one_sided_e(0, 7, 0.5, "refuted"), 1)
    (53.5, 53.5)
    >>> one_sided_e(3, 7, 0.5) < 1 < one_sided_e(6, 7, 0.5)
    True
    """
    _check_counts(S, n)
    _check_level(q)
    if side not in ("holds", "refuted"):
        raise ValueError(f"unknown side {side!r}; valid: holds, refuted")
    a, b = 0.5 + S, 0.5 + n - S
    if side == "holds":  # mass of the posterior-weighted mixture above q: 1 - I_q(a, b)
        part, norm = betainc(b, a, 1 - q), betainc(0.5, 0.5, 1 - q)
    else:
        part, norm = betainc(a, b, q), betainc(0.5, 0.5, q)
    if part <= 0:
        return 0.0
    log_lik = (S * math.log(q) if S else 0.0) + ((n - S) * math.log1p(-q) if n - S else 0.0)
    return float(math.exp(betaln(a, b) - betaln(0.5, 0.5) + math.log(part) - math.log(norm) - log_lik))


def e_bh(e_values: list[float], alpha: float = ALPHA) -> list[bool]:
    """The e-BH procedure (Wang and Ramdas 2022): reject the k hypotheses with the largest e-values,
    k the largest with e_(k) >= m / (alpha k). The false-discovery rate is at most alpha under any
    dependence between the e-values.

    >>> e_bh([1000.0, 45.0, 1.0, 0.5], alpha=0.05)
    [True, True, False, False]
    """
    m = len(e_values)
    order = sorted(range(m), key=lambda i: -e_values[i])
    k = max((r for r in range(1, m + 1) if e_values[order[r - 1]] >= m / (alpha * r)), default=0)
    out = [False] * m
    for i in order[:k]:
        out[i] = True
    return out


def bernoulli_cs(S: int, n: int, alpha: float = ALPHA) -> Interval:
    """S events in n trials -> the confidence sequence {p : M_n(p) < 1/alpha} at this n.

    >>> ci = bernoulli_cs(7, 7)
    >>> round(ci.low, 3), ci.high
    (0.521, 1.0)
    >>> bernoulli_cs(0, 0).low, bernoulli_cs(0, 0).high
    (0.0, 1.0)
    """
    _check_counts(S, n)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    est = S / n if n else math.nan
    if n == 0:
        return Interval(est, 0.0, 1.0, 1 - alpha)
    bound = math.log(1 / alpha)
    inside = lambda p: log_evidence(S, n, p) < bound  # noqa: E731
    centre = min(max(est, 1e-12), 1 - 1e-12)
    low = 0.0 if inside(1e-300) or S == 0 else _boundary(inside, centre, 0.0)
    high = 1.0 if inside(1 - 1e-16) or S == n else _boundary(inside, centre, 1.0)
    return Interval(est, low, high, 1 - alpha)


def _boundary(inside, centre: float, outside: float, tol: float = 1e-9) -> float:
    """The edge between an ``inside`` point and an ``outside`` end of [0, 1]."""
    while abs(outside - centre) > tol:
        mid = 0.5 * (centre + outside)
        centre, outside = (mid, outside) if inside(mid) else (centre, mid)
    return centre


def share_verdict(S: int, n: int, q: float, alpha: float = ALPHA) -> tuple[str, float]:
    """The claim "p > q" after S events in n: (verdict, anytime p-value of that verdict).

    holds: the confidence sequence lies wholly above q; refuted: wholly at or below q;
    inconclusive otherwise. The p-value is 1 / M_n(q) (capped at 1): the smallest alpha at which
    the confidence sequence would exclude q on the side the data lie; Holm's procedure takes it.

    >>> share_verdict(7, 7, 0.5)[0], share_verdict(0, 7, 0.5)[0], share_verdict(4, 7, 0.5)[0]
    ('holds', 'refuted', 'inconclusive')
    """
    _check_counts(S, n)
    _check_level(q)
    p_value = min(1.0, math.exp(-log_evidence(S, n, q))) if n else 1.0
    if p_value <= alpha and S > q * n:
        return "holds", p_value
    if p_value <= alpha and S < q * n:
        return "refuted", p_value
    return "inconclusive", p_value


def clopper_pearson(S: int, n: int, confidence: float = 1 - ALPHA) -> Interval:
    """Exact two-sided binomial interval for a single, fixed-size sample (never zero width).

    >>> ci = clopper_pearson(100, 100)
    >>> round(ci.low, 4), ci.high
    (0.9638, 1.0)
    """
    _check_counts(S, n)
    ci = sps.binomtest(S, n).proportion_ci(confidence, method="exact")
    return Interval(S / n, float(ci.low), float(ci.high), confidence)


def quantile_verdict(S: int, n: int, q: float, alpha: float = ALPHA) -> tuple[str, float]:
    """The claim "p > q" on one fixed sample of n: exact binomial tests, two-sided level alpha
    (alpha / 2 per side), the Clopper-Pearson interval's decision. (verdict, p-value)."""
    _check_counts(S, n)
    _check_level(q)
    above = float(sps.binomtest(S, n, q, alternative="greater").pvalue)
    below = float(sps.binomtest(S, n, q, alternative="less").pvalue)
    if above <= alpha / 2 and S > q * n:
        return "holds", min(1.0, 2 * above)
    if below <= alpha / 2 and S < q * n:
        return "refuted", min(1.0, 2 * below)
    return "inconclusive", min(1.0, 2 * min(above, below))


def wilson(S: int, n: int, confidence: float = 1 - ALPHA) -> Interval:
    """Wilson score interval for a rate, for reports (never zero width at 0/n or n/n)."""
    _check_counts(S, n)
    if n == 0:
        return Interval(math.nan, 0.0, 1.0, confidence)
    z = float(sps.norm.ppf(0.5 + confidence / 2))
    p = S / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if S == 0 else max(0.0, centre - half)  # exactly 0 (not a rounding residue) at 0 of n
    high = 1.0 if S == n else min(1.0, centre + half)
    return Interval(p, low, high, confidence)


def holm(p_values: list[float], alpha: float = ALPHA) -> list[bool]:
    """Holm's step-down procedure: which hypotheses are rejected with family-wise error <= alpha
    under any dependence between them.

    >>> holm([0.01, 0.04, 0.03, 0.20], alpha=0.05)
    [True, False, False, False]
    """
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    rejected = [False] * len(p_values)
    for rank, i in enumerate(order):
        if p_values[i] > alpha / (len(p_values) - rank):
            break
        rejected[i] = True
    return rejected


def strictly_better(a: np.ndarray, b: np.ndarray, threshold: float = 1.0) -> np.ndarray:
    """(seeds,), (seeds,) -> (seeds,) bool: a_i < threshold x b_i, with diverged runs worst: a
    diverged a_i is never better, a diverged b_i loses to any finite a_i, two diverged tie (not
    better)."""
    a, b = _paired(a, b)
    fa, fb = np.isfinite(a), np.isfinite(b)
    return np.where(fa & fb, a < threshold * np.where(fb, b, 0.0), fa & ~fb)


def median_ratio(a: np.ndarray, b: np.ndarray) -> float:
    """The median of a_i / b_i (diverged runs filled as worst): the typical seed's ratio."""
    return float(np.exp(np.median(paired_log_ratios(a, b))))


def geometric_mean_ratio(a: np.ndarray, b: np.ndarray) -> float:
    """exp(mean log(a_i / b_i)), for reports: driven by the few seeds where one setting escapes."""
    return float(np.exp(np.mean(paired_log_ratios(a, b))))


def worst_filled(values: np.ndarray, *others: np.ndarray) -> np.ndarray:
    """(seeds,) -> (seeds,): non-finite entries replaced by a value worse than every finite one
    in ``values`` and ``others`` (2x their largest magnitude, at least 1)."""
    pool = np.concatenate([np.ravel(v) for v in (values, *others)]).astype(float)
    finite = pool[np.isfinite(pool)]
    worst = 2.0 * max(1.0, float(np.max(np.abs(finite))) if finite.size else 1.0)
    out = np.asarray(values, dtype=float).copy()
    out[~np.isfinite(out)] = worst
    return out


def paired_log_ratios(a: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """(seeds,), (seeds,) -> (seeds,): log(a_i / b_i), diverged runs filled as worst."""
    a, b = _paired(a, b)
    fa, fb = worst_filled(a, b), worst_filled(b, a)
    return np.log(np.maximum(fa, eps)) - np.log(np.maximum(fb, eps))


def prob_better(a: np.ndarray, b: np.ndarray) -> float:
    """(seeds,), (seeds,) -> P(a_i < b_i) over pairs, ties counted half (diverged = worst)."""
    fa, fb = worst_filled(a, b), worst_filled(b, a)
    return float(np.mean((fa < fb) + 0.5 * (fa == fb)))


def summary(x: np.ndarray) -> dict:
    """(seeds,) -> median, IQR, n and diverged count, for reports."""
    x = np.asarray(x, float)
    finite = np.isfinite(x)
    filled = np.where(finite, x, math.inf)
    q1, med, q3 = (float(np.quantile(filled, q, method="inverted_cdf")) for q in (0.25, 0.5, 0.75))
    return {"median": med, "q1": q1, "q3": q3, "n": int(x.size), "diverged": int((~finite).sum())}


def side(values, threshold: float, direction: str) -> np.ndarray:
    """values < threshold ("below") or values > threshold ("above"), elementwise: the one helper
    for a claimed side (the threshold itself counts against the claim)."""
    v = np.asarray(values, float)
    if direction == "below":
        return v < threshold
    if direction == "above":
        return v > threshold
    raise ValueError(f"unknown direction {direction!r}; valid: {', '.join(SIDES)}")


def _paired(a, b) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired arrays must both be (seeds,), got {a.shape} and {b.shape}")
    return a, b


def _check_counts(S: int, n: int) -> None:
    if not (isinstance(S, (int, np.integer)) and isinstance(n, (int, np.integer)) and 0 <= S <= n):
        raise ValueError(f"need whole counts 0 <= S <= n, got S={S!r}, n={n!r}")


def _check_level(q: float) -> None:
    if not (isinstance(q, (int, float)) and 0 < q < 1):
        raise ValueError(f"a share's level q must be a probability strictly between 0 and 1, got {q!r}")
