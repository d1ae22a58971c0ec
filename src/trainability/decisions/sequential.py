"""The exact group-sequential test every part of a claim is decided by (issue 19): for a share p of
trials with an event, claimed above a level q, two one-sided tests run side by side,

    holds     H0: p <= q, rejected when S crosses an upper boundary u_j at a look
    refuted   H0: p >= q, rejected when S crosses a lower boundary l_j at a look

each spending alpha over the design's looks as alpha(t) = alpha t, t = seeds so far / the design's
cap (a linear spending function: the most powerful of t, t^2, t^3 and within 0.03 of the best
boundaries found by exhaustive search on every registered design; ``python -m trainability power
--compare`` prints the table), the last registered look spending whatever is left. A look's
boundary is the most extreme one whose first-crossing probability under p = q, computed exactly by
dynamic programming over the trial counts actually seen, keeps the spent total within alpha(t):
so the false-holds rate is at most alpha exactly, whatever the looks' trial counts (the discordant
pairs of an escape gain are random: given which pairs are discordant, the signs are i.i.d., and the
boundaries depend on the counts only). A part stops at its first crossing; a claim that stops for
its other parts' sake only removes chances. Where an event cannot be determined (a censored step
count), the holds side counts it against the claim and the refuted side for it.

Continuing past the cap (a claim file raising its cap, with the reason, after an inconclusive
look): the alpha the registered looks did not spend (discreteness leaves some) goes to an
anytime-valid e-process over all trials, the one-sided Jeffreys mixture (``stats.one_sided_e``):
a look past the cap holds when it reaches 1 / (alpha - spent). Ville's inequality bounds that
continuation by what is left, so the whole, registered looks and continuation, stays within alpha.

Array shapes: a distribution over S is (m + 1,) for m trials so far.

>>> t = SequentialTest(q=0.5, alpha=0.05, looks=[12, 18, 24])
>>> t.look(12, 12, 12), t.bounds[0], round(t.spent["holds"], 4)  # 12 of 12 holds at look 1: its bound is 10
('holds', (12, 12, 10, 2), 0.0193)
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import binom

from ..checks import positive_int
from . import stats

SIDES = ("holds", "refuted")


def _advance(dist: np.ndarray, m_prev: int, m: int, q: float) -> np.ndarray:
    """The distribution over S after m trials from the one after m_prev: (m_prev + 1,) -> (m + 1,)."""
    if m == m_prev:
        return dist
    return np.convolve(dist, binom.pmf(np.arange(m - m_prev + 1), m - m_prev, q))[: m + 1]


@dataclass(frozen=True)
class Design:
    """A claim's seed design: looks at start, start + step, ..., cap seeds (the registered looks,
    fixed before the first look), alpha per part over all of them. ``extended`` raises the cap after
    an inconclusive look (the claim file says why in ``reason``): the looks past the old cap, at the
    same step, are a continuation, decided by the e-process with the alpha the registered looks did
    not spend (module docstring); the record keeps both caps."""

    start: int = 8  # paired seeds at the first look
    step: int = 4  # seeds added per further look
    cap: int = 16  # most seeds per setting, as registered
    alpha: float = stats.ALPHA  # the claim's error budget per part, over all looks
    extended: int | None = None  # a cap raised after an inconclusive look, continuing the same seeds
    reason: str = ""  # why it was raised

    def __post_init__(self) -> None:
        if not (isinstance(self.start, int) and self.start >= 2):
            raise ValueError(f"a design needs at least 2 seeds to start, got {self.start!r}")
        positive_int(self.step, "seed step")
        if not (isinstance(self.cap, int) and self.cap >= self.start):
            raise ValueError(f"seed cap ({self.cap!r}) must be an int >= start ({self.start})")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha!r}")
        if self.extended is not None:
            if not (isinstance(self.extended, int) and self.extended > self.cap):
                raise ValueError(f"an extended cap must be an int above the registered cap {self.cap}, got "
                                 f"{self.extended!r}")
            if not self.reason:
                raise ValueError("a design whose cap was raised says why (reason=...)")

    @property
    def sizes(self) -> list[int]:
        """Seed counts at each registered look."""
        return list(range(self.start, self.cap, self.step)) + [self.cap]

    @property
    def looks(self) -> list[int]:
        """Every look: the registered ones, then the continuation's up to the extended cap."""
        if self.extended is None:
            return self.sizes
        return self.sizes + list(range(self.cap + self.step, self.extended, self.step)) + [self.extended]

    @property
    def last(self) -> int:
        return self.extended or self.cap

    def with_cap(self, cap: int) -> "Design":
        """The design capped at ``cap`` seeds (``--seeds``): start shrinks to fit."""
        return Design(start=min(self.start, cap), step=self.step, cap=min(cap, self.cap), alpha=self.alpha,
                      extended=self.extended if self.extended and cap > self.cap and cap >= self.extended else None,
                      reason=self.reason if self.extended and cap > self.cap and cap >= self.extended else "")

    def describe(self) -> str:
        text = "/".join(map(str, [self.start, self.step, self.cap]))
        return text + (f", continued to {self.extended} ({self.reason})" if self.extended else "")


@dataclass
class SequentialTest:
    """One part's two one-sided tests along its design's looks (module docstring). ``look(n, m,
    S_lo, S_hi)`` at n seeds with m trials returns the part's verdict, which stays once reached."""

    q: float
    alpha: float
    looks: list[int]  # the registered looks, in seeds; the last is the cap
    verdict: str = "inconclusive"
    spent: dict = field(default_factory=lambda: {"holds": 0.0, "refuted": 0.0})
    bounds: list = field(default_factory=list)  # (n, m, upper, lower) per registered look taken
    continued: list = field(default_factory=list)  # the same per look past the registered cap

    def __post_init__(self) -> None:
        stats._check_level(self.q)
        self._dist = {side: np.ones(1) for side in SIDES}  # P(S = s, not yet crossed) under p = q
        self._m = 0

    def _target(self, n: int) -> float:
        if n >= self.looks[-1]:
            return self.alpha  # the last registered look spends what is left
        return self.alpha * n / self.looks[-1]

    def look(self, n: int, m: int, s_lo: int, s_hi: int | None = None) -> str:
        """The verdict after n seeds, m trials, s_lo events counted against the claim and s_hi for
        it (the same unless some are undetermined)."""
        s_hi = s_lo if s_hi is None else s_hi
        if not (0 <= s_lo <= s_hi <= m) or m < self._m:
            raise ValueError(f"need 0 <= S_lo <= S_hi <= m and m not below the last look's {self._m}; "
                             f"got {s_lo}, {s_hi}, {m}")
        if self.verdict != "inconclusive":
            return self.verdict
        if n > self.looks[-1]:  # a continuation past the cap: the e-process with what is left
            self._m = m
            return self._continue(n, m, s_lo, s_hi)
        target = self._target(n)
        upper, lower = m + 1, -1
        for side in SIDES:
            d = _advance(self._dist[side], self._m, m, self.q)
            if side == "holds":
                tail = np.cumsum(d[::-1])[::-1]  # tail[c] = P(S >= c, not crossed before)
                upper = next((c for c in range(m + 1) if c > self.q * m and self.spent[side] + tail[c] <= target + 1e-12),
                             m + 1)
                if upper <= m:
                    self.spent[side] += float(tail[upper])
                    d[upper:] = 0.0
            else:
                head = np.cumsum(d)  # head[c] = P(S <= c, not crossed before)
                lower = next((c for c in range(m, -1, -1) if c < self.q * m and self.spent[side] + head[c] <= target + 1e-12),
                             -1)
                if lower >= 0:
                    self.spent[side] += float(head[lower])
                    d[: lower + 1] = 0.0
            self._dist[side] = d
        self._m = m
        self.bounds.append((n, m, upper, lower))
        if s_lo >= upper:
            self.verdict = "holds"
        elif s_hi <= lower:
            self.verdict = "refuted"
        return self.verdict

    def tail(self, p0: float, s: int, side: str) -> float:
        """P_{p0}(an outcome at least as extreme as S = s at the last look taken), in the stagewise
        ordering (a crossing at an earlier look is more extreme than anything later), with the
        boundaries as set: the upper tail for "holds", the lower for "refuted"."""
        dist, prev, total = np.ones(1), 0, 0.0
        registered = self.bounds
        for j, (n, m, upper, lower) in enumerate(registered):
            dist = _advance(dist, prev, m, p0).copy()
            if j < len(registered) - 1:
                if side == "holds" and upper <= m:
                    total += float(dist[upper:].sum())
                if side == "refuted" and lower >= 0:
                    total += float(dist[: lower + 1].sum())
                if upper <= m:
                    dist[upper:] = 0.0
                if lower >= 0:
                    dist[: lower + 1] = 0.0
            else:
                total += float(dist[s:].sum() if side == "holds" else dist[: s + 1].sum())
            prev = m
        return min(1.0, total)

    def interval(self, s_lo: int, s_hi: int, alpha: float | None = None) -> tuple[float, float]:
        """(low, high): one-sided (1 - alpha) confidence bounds on p from the stagewise ordering at
        the last registered look taken, inverting ``tail``; "holds" at level q when low > q."""
        alpha = self.alpha if alpha is None else alpha
        m = self.bounds[-1][1] if self.bounds else 0

        def root(side, s, increasing):
            lo, hi = 0.0, 1.0
            for _ in range(50):
                mid = (lo + hi) / 2
                if (self.tail(mid, s, side) > alpha) == increasing:
                    hi = mid
                else:
                    lo = mid
            return (lo + hi) / 2

        low = 0.0 if s_lo == 0 else root("holds", s_lo, True)
        high = 1.0 if s_hi >= m else root("refuted", s_hi, False)
        return low, high

    def p_values(self, s_lo: int, s_hi: int) -> dict[str, float]:
        """The stagewise p-values at q of each side: valid for that side's null (Holm reads them)."""
        return {"holds": self.tail(self.q, s_lo, "holds"), "refuted": self.tail(self.q, s_hi, "refuted")}

    def _continue(self, n: int, m: int, s_lo: int, s_hi: int) -> str:
        """A look past the registered cap: each side's boundary is where the one-sided e-value over
        all m trials reaches 1 / (the alpha that side has not spent)."""
        bound = {side: _e_boundary(m, self.q, side, self.alpha - self.spent[side]) for side in SIDES}
        self.continued.append((n, m, bound["holds"], bound["refuted"]))
        if s_lo >= bound["holds"]:
            self.verdict = "holds"
        elif s_hi <= bound["refuted"]:
            self.verdict = "refuted"
        return self.verdict


@functools.lru_cache(maxsize=100_000)
def _e_bound_cached(m: int, q: float, side: str, left: float) -> int:
    if left <= 0:
        return m + 1 if side == "holds" else -1
    reach = lambda c: stats.one_sided_e(c, m, q, side) >= 1 / left  # noqa: E731 (monotone in c)
    if side == "holds":
        lo, hi = math.floor(q * m) + 1, m + 1  # the least c in (qm, m] that reaches, else m + 1
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if reach(mid) else (mid + 1, hi)
        return lo
    lo, hi = -1, math.ceil(q * m) - 1  # the largest c in [0, qm) that reaches, else -1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if reach(mid) else (lo, mid - 1)
    return lo


def _e_boundary(m: int, q: float, side: str, left: float) -> int:
    """The e-process boundary at m trials for the alpha ``left``, rounded down to 1e-9 (conservative)."""
    return _e_bound_cached(m, q, side, math.floor(max(left, 0.0) * 1e9) / 1e9)


def operating(looks: list[int], q: float, p: float, alpha: float = stats.ALPHA, discordance: float = 1.0,
              continued: list[int] = ()) -> dict:
    """Exact P(holds), P(refuted), P(inconclusive) and the expected seeds used of the test on the
    registered ``looks`` (and a continuation's looks past the cap, ``continued``) when each seed is
    a trial with probability ``discordance`` (1: every seed) and a trial's event has probability
    ``p``. With discordance < 1 the trial counts' paths are enumerated."""
    paths = [([], 1.0)]
    prev = 0
    for n in [*looks, *continued]:  # the distribution of the trial counts at the looks (independent of the events)
        grown = []
        for ms, w in paths:
            last = ms[-1] if ms else 0
            if discordance >= 1.0:
                grown.append((ms + [last + n - prev], w))
                continue
            for k, pk in enumerate(binom.pmf(np.arange(n - prev + 1), n - prev, discordance)):
                if pk > 1e-12:
                    grown.append((ms + [last + k], w * pk))
        paths, prev = grown, n
    out = {"holds": 0.0, "refuted": 0.0, "inconclusive": 0.0, "seeds": 0.0}
    for ms, w in paths:
        r = _path(looks, list(continued), ms, q, p, alpha)
        for k in out:
            out[k] += float(w * r[k])
    return out


def _path(looks: list[int], continued: list[int], ms: list[int], q: float, p: float, alpha: float) -> dict:
    """The operating characteristics along one path of trial counts: the boundaries the test would
    set there (they depend on the counts only), then the events' distribution under p."""
    test = SequentialTest(q, alpha, looks)
    for n, m in zip([*looks, *continued], ms):
        if m == 0 and n <= looks[-1]:
            test.look(n, 0, 0, 0)
            continue
        # a trial count whose lowest and highest S cross nothing gives the boundaries alone
        test.look(n, m, 0, m)
    dist, prev_m = np.ones(1), 0
    res = {"holds": 0.0, "refuted": 0.0, "inconclusive": 0.0, "seeds": 0.0}
    for (n, m, upper, lower) in [*test.bounds, *test.continued]:
        dist = _advance(dist, prev_m, m, p)
        h, r = float(dist[upper:].sum()) if upper <= m else 0.0, float(dist[: lower + 1].sum()) if lower >= 0 else 0.0
        res["holds"] += h
        res["refuted"] += r
        res["seeds"] += (h + r) * n
        dist = dist.copy()
        if upper <= m:
            dist[upper:] = 0.0
        if lower >= 0:
            dist[: lower + 1] = 0.0
        prev_m = m
    res["inconclusive"] = float(dist.sum())
    res["seeds"] += res["inconclusive"] * ([*looks, *continued][-1])
    return res


def best_boundaries(looks: list[int], q: float, p1: float, alpha: float = stats.ALPHA) -> tuple[float, tuple]:
    """(power at p1, upper boundaries): the most powerful upper boundaries for trials = seeds with
    P(holds) <= alpha at p = q, by exhaustive search (a benchmark for the spending rule; few looks)."""
    from itertools import product

    best = (0.0, ())
    for upper in product(*[range(math.floor(q * n) + 1, n + 2) for n in looks]):
        h = _fixed(looks, upper, q)
        if h <= alpha:
            power = _fixed(looks, upper, p1)
            if power > best[0]:
                best = (power, upper)
    return best


def _fixed(looks, upper, p) -> float:
    dist, prev, total = np.ones(1), 0, 0.0
    for n, u in zip(looks, upper):
        dist = _advance(dist, prev, n, p).copy()
        if u <= n:
            total += float(dist[u:].sum())
            dist[u:] = 0.0
        prev = n
    return total
