"""Tune every (task, family) of the sequence claims by trainability.studies.sequence.tune, the procedure
fixed in advance (its grid, seeds and criterion are in families.py), and print the winners as
claims/sequence/sequence_tuning.json, which the sequence claims read (studies.sequence.load_tuned), with every
option's median.

    python scripts/tune_sequence.py [--store .trainability/tuning.sqlite] [--json claims/sequence/sequence_tuning.json]

The tuning seeds come from the key "tuning", disjoint from every claim's seeds. About 4 minutes
on 2 cores; the store keeps the runs, so a rerun reads them.
"""

from __future__ import annotations

import argparse
import json
import time

from trainability.studies.sequence import EXTRA_LR, FAMILIES, GRID, TUNE_SEEDS, option_label, sweep_tasks, tune
from trainability.runs.pool import Runner
from trainability.runs.store import RunStore


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", default=".trainability/tuning.sqlite")
    parser.add_argument("--json", default="claims/sequence/sequence_tuning.json")
    parser.add_argument("--base-seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    tuned, table = {}, []
    with Runner("cpu", workers=2, store=RunStore(args.store)) as runner:
        for task in sweep_tasks():
            for family in FAMILIES:
                best, rows = tune(runner, family, task, args.base_seed)
                tuned[(task.describe(), family)] = best
                table.append(dict(task=task.describe(), family=family, option=best, label=option_label(best),
                                  options=rows))
                print(f"{task.describe():24} {family:12} {option_label(best):30} "
                      + "  ".join(f"{r['median']:.3g}" for r in rows), flush=True)
    print(f"\n# {sum(len(GRID[f]) for f in FAMILIES) * len(sweep_tasks()) * TUNE_SEEDS} runs, "
          f"{time.perf_counter() - start:.0f}s, base seed {args.base_seed}")
    with open(args.json, "w") as f:
        json.dump(dict(base_seed=args.base_seed, grid=GRID, extra_lr=EXTRA_LR, tune_seeds=TUNE_SEEDS, cells=table),
                  f, indent=1)
    print(f"written: {args.json}")


if __name__ == "__main__":
    main()
