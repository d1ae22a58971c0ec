"""A design's power before its first look (``python -m trainability power``): exact P(holds),
P(refuted), P(inconclusive) and the expected seeds used of the group-sequential test at each true
share, the way a claim author picks a design. ``--compare`` puts beside it the Jeffreys-mixture
confidence sequence the project used before issue 19 and the most powerful upper boundaries an
exhaustive search finds for the same looks (the benchmark the spending rule is chosen against).

>>> print(line(parse_design("24/24/24"), 0.5, 0.8))
design 24/24/24 level 0.5 share 0.8: holds 0.91 refuted 0.00 inconclusive 0.09 seeds 24.0
"""

from __future__ import annotations

import argparse

import numpy as np

from . import stats
from .sequential import Design, _advance, best_boundaries, operating


def parse_design(text: str, alpha: float = stats.ALPHA) -> Design:
    """"start/step/cap" -> Design; a fixed design of n seeds is "n/n/n" (or just "n")."""
    try:
        parts = [int(x) for x in text.split("/")]
    except ValueError:
        parts = []
    if len(parts) == 1:
        parts = parts * 3
    if len(parts) != 3:
        raise ValueError(f"a design is start/step/cap in seeds (e.g. 12/6/24; a fixed 24 is 24/24/24), got {text!r}")
    start, step, cap = parts
    return Design(start=start, step=step, cap=cap, alpha=alpha)


def line(design: Design, level: float, share: float, discordance: float = 1.0, continued: int | None = None) -> str:
    """One share's exact operating characteristics, in the form the issue fixed."""
    extra = design.looks[len(design.sizes):] if continued is None else \
        list(range(design.cap + design.step, continued, design.step)) + [continued]
    o = operating(design.sizes, level, share, design.alpha, discordance, extra)
    label = "/".join(map(str, (design.start, design.step, design.cap))) + (f"+{extra[-1]}" if extra else "")
    return (f"design {label} level {level:g} share {share:g}: holds {o['holds']:.2f} refuted {o['refuted']:.2f} "
            f"inconclusive {o['inconclusive']:.2f} seeds {o['seeds']:.1f}")


def confidence_sequence(looks: list[int], q: float, p: float, alpha: float = stats.ALPHA) -> dict:
    """Exact P(holds), P(refuted) of the Jeffreys-mixture confidence sequence (stats.share_verdict)
    checked at ``looks``, every seed a trial: the test the claims used before issue 19."""
    dist, prev, out = np.ones(1), 0, {"holds": 0.0, "refuted": 0.0}
    for n in looks:
        dist = _advance(dist, prev, n, p).copy()
        verdicts = [stats.share_verdict(s, n, q, alpha)[0] for s in range(n + 1)]
        for s, v in enumerate(verdicts):
            if v != "inconclusive":
                out[v] += float(dist[s])
                dist[s] = 0.0
        prev = n
    out["inconclusive"] = 1.0 - out["holds"] - out["refuted"]
    return out


def comparison(design: Design, level: float, share: float) -> str:
    """P(holds) at ``share`` of the group-sequential test, the old confidence sequence and the best
    boundaries for the same looks (the search is exhaustive: a few looks only)."""
    gs = operating(design.sizes, level, share, design.alpha)["holds"]
    cs = confidence_sequence(design.sizes, level, share, design.alpha)["holds"]
    best = best_boundaries(design.sizes, level, share, design.alpha)[0] if len(design.sizes) <= 4 else float("nan")
    return f"  P(holds) at share {share:g}: group-sequential {gs:.2f}, Jeffreys sequence {cs:.2f}, best boundaries {best:.2f}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m trainability power", description=__doc__.split("\n\n")[0])
    p.add_argument("--design", required=True, help="start/step/cap in seeds, e.g. 12/6/24 (fixed 24: 24/24/24)")
    p.add_argument("--level", type=float, default=0.5, help="the share's level q the part claims to exceed")
    p.add_argument("--shares", type=float, nargs="+", default=[0.5, 0.7, 0.8], help="true shares to evaluate")
    p.add_argument("--alpha", type=float, default=stats.ALPHA, help="per side, over all looks")
    p.add_argument("--discordance", type=float, default=1.0,
                   help="chance a seed is a trial (an escape gain's discordant pairs); 1: every seed")
    p.add_argument("--continued", type=int, default=None, help="a continuation's cap past the registered one")
    p.add_argument("--compare", action="store_true", help="also the old confidence sequence and the best boundaries")
    args = p.parse_args(argv)
    try:
        design = parse_design(args.design, args.alpha)
        stats._check_level(args.level)
        for s in args.shares:
            if not 0 <= s <= 1:
                raise ValueError(f"a share is a probability in [0, 1], got {s!r}")
        if not 0 < args.discordance <= 1:
            raise ValueError(f"discordance is a probability in (0, 1], got {args.discordance!r}")
        if args.continued is not None and args.continued <= design.cap:
            raise ValueError(f"a continuation's cap must be above the design's cap {design.cap}, got {args.continued}")
    except ValueError as e:
        p.error(str(e))
    for s in args.shares:
        print(line(design, args.level, s, args.discordance, args.continued))
        if args.compare:
            print(comparison(design, args.level, s))
    return 0


def placebo_power(record: dict, escapes: tuple[float, float] = (0.7, 0.3), advantage: float = 0.2) -> dict:
    """The chance an A/A placebo's check fails (some part holds) under a biased machinery, exactly,
    at the placebo's design, as a lower bound (the most powerful single part):

        escape bias  one arm escapes with probability escapes[0], its replicate with escapes[1],
                     independently: the escape gain's trials are the discordant seeds (a share
                     pa(1 - pb) + pb(1 - pa) of them) and its share pa(1 - pb) / that
        loss bias    one arm's final loss is (1 - advantage) x what it would be: a typical-seed
                     part at threshold t has share P((1 - advantage) a_i < t b_i), estimated from
                     the record's own paired per-seed finals, averaged over the two orders

    ``record``: a placebo's claim record (its two settings, parts and design). Returns {"escape":
    P(fail), "loss": P(fail), "loss share": the estimated share}, each only for the parts it has."""
    design = parse_design(record["extra"]["design"].split(",")[0])
    out = {}
    if any(p["quantity"] == "escape gain" for p in record["parts"]):
        pa, pb = escapes
        discordance = pa * (1 - pb) + pb * (1 - pa)
        out["escape"] = operating(design.sizes, 0.5, pa * (1 - pb) / discordance, design.alpha, discordance)["holds"]
    a, b = (np.array([float(x) for x in s["per_seed"]["final"]]) for s in list(record["settings"].values())[:2])
    for part in record["parts"]:
        if part["quantity"] != "typical seed":
            continue
        t = part.get("threshold") or 1.0
        with np.errstate(invalid="ignore"):
            share = float((np.mean((1 - advantage) * a < t * b) + np.mean((1 - advantage) * b < t * a)) / 2)
        power = operating(design.sizes, 0.5, share, design.alpha)["holds"]
        if power >= out.get("loss", -1.0):
            out.update({"loss": power, "loss share": share})
    return out
