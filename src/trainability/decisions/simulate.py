"""Simulations of every claimed quantity *at its threshold*, on data shaped like ours, through
the designs the claims use: the rate of false "holds" (the true share equals the level, so the
claim is false) and the power at a stated alternative.

    python -m trainability.decisions.simulate [--sims N] [--seed S]   (or python -m trainability simulate)

prints the table (quantity x scenario x design -> false holds, false refuted, power);
tests/test_simulate.py runs it with fewer simulations and asserts every false-holds rate is at
most alpha plus two Monte-Carlo standard errors. Each scenario generates paired losses and
escapes (plateau at the floor, escapes to 0.1-0.5, diverged runs, ties, heavy tails) and turns
them into events with the claim's own quantity class, so the whole path from runs to verdict is
simulated, including every look of the design: the verdict is the one at the first decisive
look, as verdicts.decide stops.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import betaln

from . import stats
from .quantities import AdvantageGrows, Dispersion, EscapeGain, EscapeRate, GainGrows, Level, TypicalRatio
from .runs import Runs

FLOOR, STEPS = 3.5, 400
DESIGNS = {  # name -> (start, step, cap), as verdicts.Design
    "fixed 8": (8, 1, 8), "fixed 72": (72, 1, 72), "tier 12/6/24": (12, 6, 24), "L6 24/24/72": (24, 24, 72),
    "every seed 7..72": (7, 1, 72), "L6 extended to 144": (24, 24, 144),
    "escape 24/24/48": (24, 24, 48), "fixed 24": (24, 1, 24), "lecture 8/4/20": (8, 4, 20),
    "lecture escape 16/16/48": (16, 16, 48),
    "sequence 12/12/36": (12, 12, 36), "too free 16/16/48": (16, 16, 48), "spread 28/10/48": (28, 10, 48),
}


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


def verdicts_over_design(events: list[np.ndarray], level: float, design: tuple[int, int, int],
                         alpha: float = stats.ALPHA) -> np.ndarray:
    """events: per simulation, (cap,) bools in seed order (None entries: a seed with no trial, as
    a concordant pair for the escape gain). -> (sims,) verdict codes at the first decisive look:
    1 holds, -1 refuted, 0 inconclusive at the cap. Vectorised stats.share_verdict."""
    start, step, cap = design
    looks = list(range(start, cap, step)) + [cap]
    out = np.zeros(len(events), int)
    undecided = np.ones(len(events), bool)
    for n in looks:
        S = np.array([int(np.sum(e[:n] == 1)) for e in events])
        m = np.array([int(np.sum(e[:n] >= 0)) for e in events])
        log_m = np.where(m > 0, betaln(0.5 + S, 0.5 + m - S) - betaln(0.5, 0.5), 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_lik = np.where(S > 0, S * math.log(level), 0.0) + np.where(m - S > 0, (m - S) * math.log1p(-level), 0.0)
        decisive = (log_m - log_lik) >= math.log(1 / alpha)
        verdict = np.where(decisive & (S > level * m), 1, np.where(decisive & (S < level * m), -1, 0))
        newly = undecided & (verdict != 0)
        out[newly] = verdict[newly]
        undecided &= verdict == 0
    return out


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


def simulate(name: str, design: str, share: float, sims: int, seed: int) -> dict[str, float]:
    """Rates of holds, refuted and inconclusive over ``sims`` simulated claims."""
    scenario, rng = SCENARIOS[name], np.random.default_rng(seed)
    cap = DESIGNS[design][2]
    events = [trial_events(scenario, scenario.draw(rng, share, cap)) for _ in range(sims)]
    codes = verdicts_over_design(events, scenario.quantity.level, DESIGNS[design])
    return {"holds": float(np.mean(codes == 1)), "refuted": float(np.mean(codes == -1)),
            "inconclusive": float(np.mean(codes == 0))}


def table(sims: int = 2000, seed: int = 0) -> list[dict]:
    """One row per scenario x design: false holds and false refuted at the threshold, power."""
    rows = []
    for i, (name, sc) in enumerate(SCENARIOS.items()):
        for j, design in enumerate(DESIGNS):
            null = simulate(name, design, sc.null, sims, seed + 1000 * i + j)
            alt = simulate(name, design, sc.alternative, sims, seed + 1000 * i + j + 500)
            rows.append({"scenario": name, "design": design, "sims": sims, "false holds": null["holds"],
                         "refuted at the threshold": null["refuted"], "alternative share": sc.alternative,
                         "power": alt["holds"]})
    return rows


def quantile_rates(q: float, n: int, share: float, sims: int, seed: int) -> dict[str, float]:
    """The population claims' fixed-sample test (stats.quantile_verdict) on n draws whose true
    share is ``share``: rates of holds and refuted."""
    rng = np.random.default_rng(seed)
    verdicts = [stats.quantile_verdict(int(S), n, q)[0] for S in rng.binomial(n, share, sims)]
    return {v: verdicts.count(v) / sims for v in ("holds", "refuted", "inconclusive")}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sims", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    bound = stats.ALPHA + 2 * math.sqrt(stats.ALPHA * (1 - stats.ALPHA) / args.sims)
    print(f"alpha {stats.ALPHA}; a false-holds rate must be <= {bound:.4f} (alpha + 2 MC standard errors)")
    print(f"{'scenario':<32}{'design':<20}{'false holds':>12}{'refuted@t':>11}{'alt':>6}{'power':>8}")
    for r in table(args.sims, args.seed):
        print(f"{r['scenario']:<32}{r['design']:<20}{r['false holds']:>12.4f}{r['refuted at the threshold']:>11.4f}"
              f"{r['alternative share']:>6.2f}{r['power']:>8.3f}")
    for q, n, alt in ((0.9, 100, 0.99), (0.75, 20, 0.99)):
        null, power = quantile_rates(q, n, q, args.sims, args.seed), quantile_rates(q, n, alt, args.sims, args.seed + 1)
        print(f"{f'quantile q {q:g} / binomial':<32}{f'fixed {n} draws':<20}{null['holds']:>12.4f}"
              f"{null['refuted']:>11.4f}{alt:>6.2f}{power['holds']:>8.3f}")


if __name__ == "__main__":
    main()
