"""Every claimed quantity *at its threshold*, through the designs the claims use: exactly (the
group-sequential test's dynamic programme, decisions.sequential.operating) and by simulation on
data shaped like ours (plateau at the floor, escapes, diverged runs, ties, heavy tails), turned
into events by the claim's own quantity class, so the whole path from runs to verdict is checked.

    python -m trainability simulate [--sims N] [--claims DIR]

prints the simulation table (quantity x scenario x design -> false holds, false refuted, power)
and the exact table per design. tests/test_simulate.py asserts the exact rates (false holds at
most alpha through every look and a continuation, to 1e-9), that the simulation agrees with them,
and that each check catches a broken test: an uncorrected test at every look, a doubled alpha, a
quantity that counts ties as events (``MUTANTS``).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

import functools

from scipy.stats import binom

from . import stats
from .quantities import AdvantageGrows, Dispersion, EscapeGain, EscapeRate, GainGrows, Level, TypicalRatio
from .runs import Runs
from .sequential import Design, SequentialTest, operating

FLOOR, STEPS = 3.5, 400


def default_designs() -> dict[str, Design]:
    """Fixed designs of 24 and 72 seeds; the rungs' and the claim files' designs are added by the
    caller (studies.rungs.designs, report.status.registered_designs: they live above this band)."""
    return {"fixed 24": Design(24, 1, 24), "fixed 72": Design(72, 1, 72)}


def unique(designs: dict[str, Design]) -> dict[str, Design]:
    """One name per distinct design (the first)."""
    seen, out = set(), {}
    for name, d in designs.items():
        if d not in seen:
            seen.add(d)
            out[name] = d
    return out


@dataclass(frozen=True)
class Scenario:
    quantity: object  # a quantities part over settings "A" and "B"
    draw: Callable[[np.random.Generator, float, int], dict[str, Runs]]  # (rng, share, n) -> runs
    null: float  # the share at the threshold (the claim is false there)
    alternative: float  # a share at which the claim is true: power


def _runs(final, escaped) -> Runs:
    final = np.asarray(final, float)
    escaped = np.asarray(escaped, bool)
    return Runs(final=final, escape=np.where(escaped, 30.0, STEPS), escaped=escaped, floor=FLOOR, steps=STEPS)


def _plateau(rng, n):
    return FLOOR * (1 + 0.01 * rng.standard_normal(n))


def _escaped(rng, n):
    return rng.uniform(0.1, 0.5, n)


def rare_losses(rng, share, n):
    """A is 33% better on a share of seeds; on the rest A stays on the plateau while B escapes."""
    win = rng.random(n) < share
    b = np.where(win, _escaped(rng, n), _escaped(rng, n))
    a = np.where(win, 0.67 * b, _plateau(rng, n))
    return {"A": _runs(a, ~win), "B": _runs(b, np.ones(n, bool))}


def rare_wins(rng, share, n):
    """A escapes while B plateaus on a share of seeds; on the rest A is 1-15% better (not 20%)."""
    win = rng.random(n) < share
    b = np.where(win, _plateau(rng, n), _plateau(rng, n))
    a = np.where(win, _escaped(rng, n), b * rng.uniform(0.85, 0.99, n))
    return {"A": _runs(a, win), "B": _runs(b, np.zeros(n, bool))}


def heavy_tails(rng, share, n):
    """log(A / B) = log 0.8 + a Cauchy shifted so that P(A < 0.8 B) is the share."""
    shift = math.tan(math.pi * (share - 0.5))
    b = rng.lognormal(0.0, 1.0, n)
    with np.errstate(over="ignore"):  # a Cauchy draw past e^709 makes A infinite: a diverged run
        a = b * 0.8 * np.exp(rng.standard_cauchy(n) - shift)
    return {"A": _runs(a, a < 3.0), "B": _runs(b, b < 3.0)}


def ties_and_diverged(rng, share, n):
    """A finite while B diverged on a share of seeds; the rest: both diverged, or exactly equal."""
    u = rng.random(n)
    win, both_diverged = u < share, (u >= share) & (u < share + (1 - share) / 2)
    a = np.where(win, _escaped(rng, n), np.where(both_diverged, math.inf, 1.0))
    b = np.where(win | both_diverged, math.inf, 1.0)
    return {"A": _runs(a, win), "B": _runs(b, np.zeros(n, bool))}


def escapes(correlated: bool):
    def draw(rng, share, n):
        """Escape indicators with P(A alone) / P(one alone) = share, discordance ~0.35."""
        d = rng.random(n) < 0.35  # discordant seeds
        a_alone = rng.random(n) < share
        both = (~d) & (rng.random(n) < (0.5 if correlated else 0.1))
        ea, eb = np.where(d, a_alone, both), np.where(d, ~a_alone, both)
        return {"A": _runs(np.where(ea, 0.2, 3.5), ea), "B": _runs(np.where(eb, 0.2, 3.5), eb)}
    return draw


def gain_steps(rng, share, n):
    """Warm-up's escape gain at two depths ("A" over "B" deep, "C" over "D" shallow): on ~40% of
    seeds the two gains differ, and then the deep one is larger with probability ``share``; the
    gains are -1, 0 or 1 (0: both or neither escaped), so a difference of 1 or 2."""
    differ, up = rng.random(n) < 0.4, rng.random(n) < share
    pairs = np.array([(1, 0), (0, -1), (1, -1)])[rng.integers(0, 3, n)]  # (larger, smaller) gains
    same = rng.integers(-1, 2, n)
    deep = np.where(differ, np.where(up, pairs[:, 0], pairs[:, 1]), same)
    shallow = np.where(differ, np.where(up, pairs[:, 1], pairs[:, 0]), same)
    out = {}
    for (a, b), gain in ((("A", "B"), deep), (("C", "D"), shallow)):
        both = rng.random(n) < 0.5  # a zero gain: both escaped or neither
        ea, eb = np.where(gain == 0, both, gain == 1), np.where(gain == 0, both, gain == -1)
        out[a], out[b] = _runs(np.where(ea, 0.2, 3.5), ea), _runs(np.where(eb, 0.2, 3.5), eb)
    return out


def escape_rate(rng, share, n):
    e = rng.random(n) < share
    return {"A": _runs(np.where(e, _escaped(rng, n), _plateau(rng, n)), e)}


def bimodal_level(rng, share, n):
    """Plateau (relative MSE ~1) on a share of seeds, escaped (~0.05) on the rest."""
    p = rng.random(n) < share
    return {"A": _runs(np.where(p, _plateau(rng, n), 0.05 * FLOOR * np.ones(n)), ~p)}


def _bimodal_losses(rng, n):
    """Sequence-claim final losses: most seeds fit (relative MSE ~0.01-0.1, log-normal), a few
    stay near the floor, one in 50 diverges (inf)."""
    x = FLOOR * np.exp(rng.normal(math.log(0.03), 0.8, n))
    x = np.where(rng.random(n) < 0.15, _plateau(rng, n), x)
    return np.where(rng.random(n) < 0.02, math.inf, x)


def dispersion_blocks(rng, share, n):
    """Two settings whose spreads |log a_4k - log a_4k+1| and |log b_4k+2 - log b_4k+3| compare as
    the quantity reads them, the wider with probability ``share``: per block of four seeds, two
    pairs are drawn from one bimodal distribution (with plateaus and diverged runs), and the
    wider-spread pair goes to A's seeds (4k, 4k+1) with probability share, the other to B's
    (4k+2, 4k+3). The seeds each setting does not read hold the floor."""
    m = n // 4
    p, q = _bimodal_losses(rng, 2 * m).reshape(m, 2), _bimodal_losses(rng, 2 * m).reshape(m, 2)
    with np.errstate(invalid="ignore"):
        dp, dq = (np.abs(np.diff(np.log(z), axis=1))[:, 0] for z in (p, q))
    p_wider = np.nan_to_num(dp, nan=-1.0) > np.nan_to_num(dq, nan=-1.0)
    to_a = (rng.random(m) < share) == p_wider  # A gets p
    a, b = np.full(n, FLOOR), np.full(n, FLOOR)
    blocks = np.arange(m) * 4
    for i in range(2):
        a[blocks + i] = np.where(to_a, p[:, i], q[:, i])
        b[blocks + 2 + i] = np.where(to_a, q[:, i], p[:, i])
    return {"A": _runs(a, a < FLOOR), "B": _runs(b, b < FLOOR)}


def advantage_steps(rng, share, n):
    """Own ("A", "C") against other ("B", "D") on an easy and a hard task: the per-seed loss ratios
    of the two tasks come from one bimodal distribution, and the hard one is the smaller with
    probability ``share``."""
    own = _bimodal_losses(rng, 2 * n).reshape(2, n)
    other = _bimodal_losses(rng, 2 * n).reshape(2, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = own / other
    r = np.where(np.isnan(r), np.inf, r)  # both diverged: the largest ratio, never "smaller"
    hard_smaller = r[1] < r[0]
    swap = (rng.random(n) < share) != hard_smaller  # put the smaller ratio on the hard task w.p. share
    own = np.where(swap, own[::-1], own)
    other = np.where(swap, other[::-1], other)
    return {"A": _runs(own[0], own[0] < FLOOR), "B": _runs(other[0], other[0] < FLOOR),
            "C": _runs(own[1], own[1] < FLOOR), "D": _runs(other[1], other[1] < FLOOR)}


SCENARIOS: dict[str, Scenario] = {
    "typical seed / rare losses": Scenario(TypicalRatio("A", "B", 0.8), rare_losses, 0.5, 0.8),
    "typical seed / rare wins": Scenario(TypicalRatio("A", "B", 0.8), rare_wins, 0.5, 0.8),
    "typical seed / heavy tails": Scenario(TypicalRatio("A", "B", 0.8), heavy_tails, 0.5, 0.8),
    "typical seed / ties, diverged": Scenario(TypicalRatio("A", "B", 0.8), ties_and_diverged, 0.5, 0.8),
    "escape gain / independent": Scenario(EscapeGain("A", "B"), escapes(False), 0.5, 0.9),
    "escape gain / correlated": Scenario(EscapeGain("A", "B"), escapes(True), 0.5, 0.9),
    "gain grows / depth": Scenario(GainGrows(("A", "B"), ("C", "D")), gain_steps, 0.5, 0.9),
    "escape rate / q 0.5": Scenario(EscapeRate("A", 0.5), escape_rate, 0.5, 0.8),
    "level / bimodal": Scenario(Level("A", 0.9, "above"), bimodal_level, 0.5, 0.8),
    "dispersion / seed blocks": Scenario(Dispersion("A", "B"), dispersion_blocks, 0.5, 0.95),
    "advantage grows / bimodal": Scenario(AdvantageGrows(("A", "B"), ("C", "D")), advantage_steps, 0.5, 0.85),
}


@functools.lru_cache(maxsize=100_000)
def _bounds(q: float, alpha: float, looks: tuple, ms: tuple, continued: tuple = ()) -> tuple:
    """The test's (upper, lower) boundary per look for one path of trial counts (the boundaries
    depend on the counts only, so simulations of one design share them)."""
    test = SequentialTest(q, alpha, list(looks))
    for n, m in zip([*looks, *continued], ms):
        test.look(n, m, 0, m)
    return tuple((u, l) for _, _, u, l in [*test.bounds, *test.continued])


def verdicts_over_design(events: list[np.ndarray], level: float, design: Design) -> np.ndarray:
    """events: per simulation, (seeds,) codes in seed order (1 event, 0 no event, -1 no trial, as a
    concordant pair for the escape gain). -> (sims,) verdict codes as decisions.verdicts.decide
    reaches them: 1 holds, -1 refuted, 0 inconclusive at the last look."""
    looks, continued = tuple(design.sizes), tuple(design.looks[len(design.sizes):])
    out = np.zeros(len(events), int)
    for i, e in enumerate(events):
        ms = tuple(int(np.sum(e[:n] >= 0)) for n in (*looks, *continued))
        for (upper, lower), n in zip(_bounds(level, design.alpha, looks, ms, continued), (*looks, *continued)):
            S = int(np.sum(e[:n] == 1))
            if S >= upper:
                out[i] = 1
                break
            if S <= lower:
                out[i] = -1
                break
    return out


def exact(design: Design, q: float = 0.5, p: float | None = None, discordance: float = 1.0) -> dict:
    """The exact operating characteristics of the test on ``design`` at share p (default: q, the
    threshold, where "holds" is false), every seed a trial (or with probability ``discordance``)."""
    return operating(design.sizes, q, q if p is None else p, design.alpha, discordance,
                     design.looks[len(design.sizes):])


def uncorrected(design: Design, q: float = 0.5) -> float:
    """Mutant: a fixed-sample binomial test at alpha, applied at every look (the leak an
    earlier version of this project had): its exact false-holds rate."""
    upper = [next(c for c in range(n + 2) if c > n or binom.sf(c - 1, n, q) <= design.alpha) for n in design.sizes]
    dist, prev, total = np.ones(1), 0, 0.0
    for n, u in zip(design.sizes, upper):
        dist = np.convolve(dist, binom.pmf(np.arange(n - prev + 1), n - prev, q))[: n + 1]
        if u <= n:
            total += float(dist[u:].sum())
            dist = dist.copy()
            dist[u:] = 0.0
        prev = n
    return total


def doubled(design: Design, q: float = 0.5) -> float:
    """Mutant: the right test at twice its alpha: its exact false-holds rate."""
    return operating(design.sizes, q, q, 2 * design.alpha)["holds"]


class TiesCount(TypicalRatio):
    """Mutant: a typical-seed comparison that counts ties (two diverged runs, equal losses) as
    events for the claim."""

    def events(self, runs):
        a, b = (runs[k].metric(self.metric) for k in self.labels)
        return super().events(runs) | (np.nan_to_num(a, posinf=1e300) == np.nan_to_num(b, posinf=1e300))


MUTANTS = {"uncorrected test at every look": uncorrected, "doubled alpha": doubled}


def trial_events(scenario: Scenario, runs: dict[str, Runs]) -> np.ndarray:
    """(seeds,) codes in seed order: 1 event, 0 no event, -1 no trial (concordant escape pair)."""
    q = scenario.quantity
    if isinstance(q, EscapeGain):
        a, b = runs["A"].escaped, runs["B"].escaped
        return np.where(a == b, -1, a.astype(int))
    if isinstance(q, GainGrows):  # a seed whose two gains are equal is no trial
        deep, shallow = q.gains(runs)
        return np.where(deep == shallow, -1, (deep > shallow).astype(int))
    if isinstance(q, Dispersion):  # one trial per block of four seeds, complete at its fourth
        out = -np.ones(len(runs["A"].final), int)
        out[3::4][: len(q.events(runs))] = q.events(runs)
        return out
    return q.events(runs).astype(int)


def simulate(name: str, design: Design, share: float, sims: int, seed: int, scenario: Scenario | None = None) -> dict:
    """Rates of holds, refuted and inconclusive over ``sims`` simulated claims."""
    scenario, rng = scenario or SCENARIOS[name], np.random.default_rng(seed)
    events = [trial_events(scenario, scenario.draw(rng, share, design.last)) for _ in range(sims)]
    codes = verdicts_over_design(events, scenario.quantity.level, design)
    return {"holds": float(np.mean(codes == 1)), "refuted": float(np.mean(codes == -1)),
            "inconclusive": float(np.mean(codes == 0))}


def table(sims: int = 2000, seed: int = 0, designs: dict[str, Design] | None = None) -> list[dict]:
    """One row per scenario x design: false holds and false refuted at the threshold, power."""
    designs = unique(designs or default_designs())
    rows = []
    for i, (name, sc) in enumerate(SCENARIOS.items()):
        for j, (label, design) in enumerate(designs.items()):
            null = simulate(name, design, sc.null, sims, seed + 1000 * i + j)
            alt = simulate(name, design, sc.alternative, sims, seed + 1000 * i + j + 500)
            rows.append({"scenario": name, "design": label, "sims": sims, "false holds": null["holds"],
                         "refuted at the threshold": null["refuted"], "alternative share": sc.alternative,
                         "power": alt["holds"]})
    return rows


def quantile_rates(q: float, n: int, share: float, sims: int, seed: int) -> dict[str, float]:
    """The population claims' fixed-sample test (stats.quantile_verdict) on n draws whose true
    share is ``share``: rates of holds and refuted."""
    rng = np.random.default_rng(seed)
    verdicts = [stats.quantile_verdict(int(S), n, q)[0] for S in rng.binomial(n, share, sims)]
    return {v: verdicts.count(v) / sims for v in ("holds", "refuted", "inconclusive")}


def main(argv=None, extra_designs: dict[str, Design] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sims", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    designs = unique({**default_designs(), **(extra_designs or {})})
    print(f"exact, per design (alpha {stats.ALPHA} per side; trials = seeds; escape gains with a third discordant):")
    print(f"{'design':<44}{'false holds':>12}{'w. escape':>10}{'power 0.8':>10}{'seeds':>7}")
    for label, d in designs.items():
        null, alt, esc = exact(d), exact(d, p=0.8), exact(d, discordance=1 / 3)
        print(f"{label[:43]:<44}{null['holds']:>12.4f}{esc['holds']:>10.4f}{alt['holds']:>10.3f}{alt['seeds']:>7.1f}")
    bound = stats.ALPHA + 2 * math.sqrt(stats.ALPHA * (1 - stats.ALPHA) / args.sims)
    print(f"\nsimulated; a false-holds rate must be <= {bound:.4f} (alpha + 2 MC standard errors)")
    print(f"{'scenario':<32}{'design':<32}{'false holds':>12}{'refuted@t':>11}{'alt':>6}{'power':>8}")
    for r in table(args.sims, args.seed, designs):
        print(f"{r['scenario']:<32}{r['design'][:31]:<32}{r['false holds']:>12.4f}{r['refuted at the threshold']:>11.4f}"
              f"{r['alternative share']:>6.2f}{r['power']:>8.3f}")
    for q, n, alt in ((0.9, 100, 0.99), (0.75, 20, 0.99)):
        null, power = quantile_rates(q, n, q, args.sims, args.seed), quantile_rates(q, n, alt, args.sims, args.seed + 1)
        print(f"{f'quantile q {q:g} / binomial':<32}{f'fixed {n} draws':<32}{null['holds']:>12.4f}"
              f"{null['refuted']:>11.4f}{alt:>6.2f}{power['holds']:>8.3f}")


if __name__ == "__main__":
    main()
