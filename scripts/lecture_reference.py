"""Lecture-scale reference runs on the CPU, for the rows of the lecture's tables that matter most
(issue 10: the symmetric/redrawn control, xavier, kaiming). Reference numbers, not verdicts: a few
seeds per row, run in the background while other work goes on, kept in a run store so nothing is
lost when the job is stopped and a later call resumes where it stopped.

    python scripts/lecture_reference.py [--seeds 8] [--store .trainability/lecture-reference.sqlite]
    python scripts/lecture_reference.py --table          # what the store holds so far

Each job is one seed across every row (a batch of those rows, so a stopped job loses at most the
batch in flight). Seeds derive from "lecture-reference", disjoint from every claim's. The test
loss is taken over 100 batches (the lecture's 1000 would add ~1 min a run; DIGEST.md's own
reference runs used 100 as well). A store is keyed by the engines' code version: a change to the
engines re-keys it (the numbers measured so far are recorded in the claim files' docstrings).

    python scripts/lecture_reference.py --seeds 2 --only "0.002"   # some rows only
"""

from __future__ import annotations

import argparse
import dataclasses
import logging

import numpy as np

from trainability.runs.pool import Runner
from trainability.training.setting import derive_seed
from trainability.decisions.stats import wilson
from trainability.runs.store import RunStore
from trainability.studies.rungs import LECTURE

WARM = dict(lr=1e-3, warmup_fraction=0.01)
ROWS = {  # label -> Tier.setting arguments, lecture units
    "default (deep-copied), 1% warm-up": WARM,
    "default redrawn per layer, 1% warm-up": dict(WARM, init="default_redrawn"),
    "xavier_uniform, 1% warm-up": dict(WARM, init="xavier_uniform"),
    "kaiming_uniform, 1% warm-up": dict(WARM, init="kaiming_uniform"),
    "default (deep-copied), no warm-up": dict(lr=1e-3),
    "default redrawn per layer, no warm-up": dict(lr=1e-3, init="default_redrawn"),
    # issue 10's proxy findings, to look at the lecture's scale: tiny inits train there when only the
    # matrices are re-initialised and stall when LayerNorm's weights are tiny too; uniform +-0.05 trains
    "normal 0.002 (matrices), 1% warm-up": dict(WARM, init="normal", init_scale=0.002),
    "normal 0.002, LayerNorm too, 1% warm-up": dict(WARM, init="normal", init_scale=0.002, init_rule="all"),
    "uniform +-0.05, 1% warm-up": dict(WARM, init="uniform", init_scale=0.05),
    "uniform +-0.05, LayerNorm too, 1% warm-up": dict(WARM, init="uniform", init_scale=0.05, init_rule="all"),
}


def settings(only: str = "") -> dict:
    """The rows (those whose label contains ``only``) at the lecture's scale, 100 test batches."""
    return {label: dataclasses.replace(LECTURE.setting(**kw), eval_batches=100) for label, kw in ROWS.items()
            if only in label}


def table(store: RunStore, n: int, only: str = "") -> str:
    lines = [f"{'row':<42}{'runs':>5}{'escaped (Wilson 95%)':>26}{'median final':>14}  escape steps"]
    for label, s in settings(only).items():
        found = [store.get(s, derive_seed(0, "lecture-reference", i), "cpu", "batched") for i in range(n)]
        runs = [r for r in found if r is not None]
        if not runs:
            lines.append(f"{label:<42}{0:>5}")
            continue
        esc = [r.escape_step for r in runs]
        k = sum(e is not None for e in esc)
        w = wilson(k, len(runs))
        lines.append(f"{label:<42}{len(runs):>5}{f'{k}/{len(runs)} [{w.low:.2f}, {w.high:.2f}]':>26}"
                     f"{np.median([r.final for r in runs]):>14.3f}  {sorted(e for e in esc if e is not None)}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--store", default=".trainability/lecture-reference.sqlite")
    parser.add_argument("--table", action="store_true", help="print what the store holds and exit")
    parser.add_argument("--only", default="", metavar="TEXT", help="only the rows whose label contains TEXT")
    args = parser.parse_args()
    rows = settings(args.only)
    if not rows:
        parser.error(f"no row's label contains {args.only!r}; rows: {'; '.join(ROWS)}")
    store = RunStore(args.store)
    if not args.table:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        jobs = [(s, derive_seed(0, "lecture-reference", i)) for i in range(args.seeds) for s in rows.values()]
        with Runner("cpu", workers=2, batch=len(rows), store=store) as runner:
            runner.results(jobs, label="lecture reference")
    print(table(store, args.seeds, args.only))


if __name__ == "__main__":
    main()
