"""The prepared device script: what a session lent a GPU runs once, unchanged, in one call
(README: bash scripts/gpu.sh). Stages, in order, each bounded in time:

    smoke       (< 2 min) plain and batched runs at a tiny and at the lecture's scale, K = 1, 8, 64
                members, ~20 steps: ms per step, kernel launches per step (torch.profiler),
                batch-mate independence, run-to-run determinism, the CPU path's first loss, the
                numerics flags
    benchmark   the lecture's table rows x 10 seeds at the lecture's scale, batched, against the
                lecture's plain loop on the same GPU (benchmarks/test_gpu.py's target)
    claims      the lecture rung's claims on CUDA, ordered by what their verdict would change
                (the headline first), until the time left runs out

Writes JSON (and the claims' JSON report) to $OUT when set (the device tool's folder), else to
reports/gpu/. ``--dry-run`` lists the stages and the claims with estimated costs and runs
nothing (tested on the CPU: tests/test_gpu_script.py).

    python scripts/gpu.py [--dry-run] [--budget SECONDS]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SMOKE_SECONDS, BENCH_SECONDS = 120, 150
# The lecture rung's claims, ordered by what their verdict would change (claim id, pytest -k expression,
# runs of its full design at most): the headline and its deep-copy control first.
CLAIMS = [
    ("L6-chance", "L6_warmup_raises", 96),
    ("symmetry-cold", "redrawn_layers_escape_more_often_without_warmup", 96),
    ("symmetry-warm", "redrawn_layers_escape_more_often_with_warmup", 96),
    ("symmetry-warmup", "still_helps", 96),
    ("L8-default-xavier", "L8_default_beats_xavier", 40),
    ("L8-default-xavier-redrawn", "default_redrawn_beats", 40),
    ("L6-typical", "L6_with_warmup", 96),
    ("L7", "L7_lr_1e4", 60),
    ("L10-equal-steps", "equal_steps", 40),
    ("depth-warmup", "helps_more_at_6", 192),
]
TFLOP_PER_RUN = 12.6  # the lecture's setup: 1000 training steps and 2 x 1000 test forwards (benchmarks/NOTES.md)
EFFECTIVE_TFLOPS = 33.0  # FP32 on one H200 at the batched engine's shapes, estimated


def out_dir() -> Path:
    d = Path(os.environ["OUT"]) if os.environ.get("OUT") else ROOT / "reports" / "gpu"
    d.mkdir(parents=True, exist_ok=True)
    return d


def plan(budget: float) -> list[dict]:
    """The stages with their estimated seconds; claims until the budget is spent."""
    per_run = TFLOP_PER_RUN / EFFECTIVE_TFLOPS
    stages = [{"stage": "smoke", "seconds": SMOKE_SECONDS}, {"stage": "benchmark", "seconds": BENCH_SECONDS}]
    left = budget - SMOKE_SECONDS - BENCH_SECONDS
    for claim, selector, runs in CLAIMS:
        cost = runs * per_run + 15  # + the session's start
        stages.append({"stage": "claims", "claim": claim, "select": selector, "runs": runs, "seconds": round(cost),
                       "fits": cost <= left})
        left -= cost
    return stages


def smoke() -> dict:
    import torch

    from trainability.numerics import numerics
    from trainability.studies.rungs import LECTURE
    from trainability.training.engines import run, run_batch
    from helpers_gpu import launches_per_step, ms_per_step  # scripts/helpers_gpu.py

    dev = "cuda:0"
    tiny = LECTURE.setting(lr=1e-3, warmup_fraction=0.01)
    out = {"numerics": numerics(dev), "timing": []}
    small = dataclasses.replace(tiny, model=dataclasses.replace(tiny.model, d_model=32, ffn=256, in_dim=6),
                                task=dataclasses.replace(tiny.task, in_dim=6), steps=20, eval_batches=2)
    lecture = dataclasses.replace(tiny, steps=20, eval_batches=2)
    for name, s in (("tiny", small), ("lecture", lecture)):
        for k in (1, 8, 64):
            out["timing"].append({"scale": name, "members": k, "ms per member-step": ms_per_step(s, k, dev),
                                  "launches per step": launches_per_step(s, k, dev)})
        out["timing"].append({"scale": name, "plain ms per step": ms_per_step(s, 0, dev)})
    job = (lecture, 7)
    alone = run_batch([job], dev, pad_to=8)[0]
    crowded = run_batch([(dataclasses.replace(lecture, lr=3e-3), 8), job], dev, pad_to=8)[-1]
    again = run_batch([job], dev, pad_to=8)[0]
    cpu_first = run(dataclasses.replace(lecture, steps=1), 7).losses[0]
    out["checks"] = {"batch-mate independent": alone.losses == crowded.losses,
                     "run to run identical": alone.losses == again.losses,
                     "first loss, GPU vs CPU (same init, data, masks)": [alone.losses[0], cpu_first],
                     "max GPU memory (GB)": torch.cuda.max_memory_allocated() / 1e9}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="list what would run, with estimated costs")
    parser.add_argument("--budget", type=float, default=480.0, help="seconds for all stages (default 480)")
    args = parser.parse_args(argv)
    stages = plan(args.budget)
    if args.dry_run:
        for s in stages:
            what = s["stage"] if s["stage"] != "claims" else f"claims: {s['claim']} ({s['runs']} runs at most)"
            print(f"{what:<58} ~{s['seconds']:>4.0f} s" + ("" if s.get("fits", True) else "  (past the budget: skipped)"))
        print(f"budget {args.budget:.0f} s; estimates: {TFLOP_PER_RUN} TFLOP a lecture run at {EFFECTIVE_TFLOPS} TFLOP/s")
        return 0
    import torch

    if not torch.cuda.is_available():
        print("scripts/gpu.py needs CUDA (use --dry-run to see the plan)", file=sys.stderr)
        return 2
    d, start = out_dir(), time.time()
    (d / "smoke.json").write_text(json.dumps(smoke(), indent=2))
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONUNBUFFERED="1", HYPOTHESIS_PROFILE="ci")
    bench = subprocess.run([sys.executable, "-m", "pytest", "-p", "trainability.plugin", "benchmarks/test_gpu.py",
                            "-p", "no:xdist", "-s", "-q"], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=BENCH_SECONDS * 2)
    (d / "benchmark.txt").write_text(bench.stdout[-20000:] + bench.stderr[-5000:])
    chosen = [s for s in stages if s["stage"] == "claims" and s["fits"]]
    left = args.budget - (time.time() - start)
    if chosen and left > 60:
        select = " or ".join(s["select"] for s in chosen)
        try:
            subprocess.run([sys.executable, "-m", "pytest", "-p", "trainability.plugin", "claims/", "--gpu", "--scale",
                            "lecture", "-m", "ladder", "-k", select, "-q", "--store", "/tmp/gpu-runs.sqlite",
                            "--claims-report", str(d / "claims-lecture-gpu.json")], cwd=ROOT, env=env,
                           timeout=max(60, left - 30))
        except subprocess.TimeoutExpired:
            print("claims stage stopped at the budget; its runs are in /tmp/gpu-runs.sqlite", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
