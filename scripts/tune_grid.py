"""Tune every arm of the Grid LSTM parity claims by trainability.studies.grid.tune, the procedure
fixed in advance (its grid, seeds and criterion are in studies/grid.py), and write the winners
to claims/grid/grid_tuning.json, which the claims read (studies.grid.load_tuned), with every
option's row (solved seeds, median steps to solve, median test loss).

    python scripts/tune_grid.py [--store .trainability/tuning.sqlite] [--json claims/grid/grid_tuning.json]

The tuning seeds come from the key "L4-grid-tuning", disjoint from every claim's seeds. About 4
minutes on 2 cores; the store keeps the runs, so a rerun reads them.
"""

from __future__ import annotations

import time

from tuning import arguments, runner as tuning_runner, write
from trainability.studies.grid import FORGET_BIASES, LRS, STEPS, TUNE_SEEDS, TUNED_DEPTHS, option_label, options, tune


def main(argv=None) -> None:
    args = arguments(__doc__, "claims/grid/grid_tuning.json", argv)
    start = time.perf_counter()
    table = []
    with tuning_runner(args) as runner:
        for arm, depths in TUNED_DEPTHS.items():
            for depth in depths:
                best, rows = tune(runner, arm, depth, args.base_seed)
                table.append(dict(arm=arm, depth=depth, option=best, label=option_label(best), options=rows))
                print(f"{arm:10} D={depth:<3} {option_label(best):28} "
                      + "  ".join(f"{r['label']}: {r['solved']}/{TUNE_SEEDS} {r['median_steps']:.0f}" for r in rows),
                      flush=True)
    runs = sum(len(options(a)) * len(d) for a, d in TUNED_DEPTHS.items()) * TUNE_SEEDS
    print(f"\n# {runs} runs, {time.perf_counter() - start:.0f}s, base seed {args.base_seed}")
    write(args.json, dict(base_seed=args.base_seed, lrs=LRS, forget_biases=FORGET_BIASES, tune_seeds=TUNE_SEEDS,
          steps=STEPS, cells=table))


if __name__ == "__main__":
    main()
