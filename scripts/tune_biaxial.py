"""Tune every arm of the biaxial key-transfer claims by trainability.studies.biaxial.tune, the
procedure fixed in advance (grid, seeds and criterion in studies/biaxial.py), and write the
winners to claims/biaxial/biaxial_tuning.json, which the claims read, with every option's median.

    python scripts/tune_biaxial.py [--store .trainability/tuning.sqlite] [--json claims/biaxial/biaxial_tuning.json]

The tuning seeds come from the key "L4-biaxial-tuning", disjoint from every claim's. About 3
minutes on 2 cores; the store keeps the runs.
"""

from __future__ import annotations

import time

from tuning import arguments, runner as tuning_runner, write
from trainability.studies.biaxial import ARMS, EXTRA_LR, LRS, STEPS, TUNE_SEEDS, tune


def main(argv=None) -> None:
    args = arguments(__doc__, "claims/biaxial/biaxial_tuning.json", argv)
    start, table = time.perf_counter(), []
    with tuning_runner(args) as runner:
        for arm in ARMS:
            best, rows = tune(runner, arm, args.base_seed)
            table.append(dict(arm=arm, option=best, label=f"lr {best['lr']:g}", options=rows))
            print(f"{arm:20} lr {best['lr']:<8g} " + "  ".join(f"{r['label']}: {r['median']:.4g}" for r in rows),
                  flush=True)
    runs = sum(len(c["options"]) for c in table) * TUNE_SEEDS
    print(f"\n# {runs} runs, {time.perf_counter() - start:.0f}s, base seed {args.base_seed}")
    write(args.json, dict(base_seed=args.base_seed, lrs=LRS, extra_lr=EXTRA_LR, tune_seeds=TUNE_SEEDS, steps=STEPS,
                          cells=table))


if __name__ == "__main__":
    main()
