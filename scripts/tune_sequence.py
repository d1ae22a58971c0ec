"""Tune every (task, family) of the sequence claims by trainability.studies.sequence.tune, the procedure
fixed in advance (its grid, seeds and criterion are in families.py), and print the winners as
claims/sequence/sequence_tuning.json, which the sequence claims read (studies.sequence.load_tuned), with every
option's median.

    python scripts/tune_sequence.py [--store .trainability/tuning.sqlite] [--json claims/sequence/sequence_tuning.json]

The tuning seeds come from the key "tuning", disjoint from every claim's seeds. About 4 minutes
on 2 cores; the store keeps the runs, so a rerun reads them.
"""

from __future__ import annotations

import time

from tuning import arguments, runner as tuning_runner, write
from trainability.studies.sequence import EXTRA_LR, FAMILIES, GRID, TUNE_SEEDS, option_label, sweep_tasks, tune


def main(argv=None) -> None:
    args = arguments(__doc__, "claims/sequence/sequence_tuning.json", argv)
    start = time.perf_counter()
    tuned, table = {}, []
    with tuning_runner(args) as runner:
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
    write(args.json, dict(base_seed=args.base_seed, grid=GRID, extra_lr=EXTRA_LR, tune_seeds=TUNE_SEEDS, cells=table))


if __name__ == "__main__":
    main()
