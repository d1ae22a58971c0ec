"""The GPU target: every setting of the lecture's tables (tables.rows(), 22 distinct rows)
x 10 seeds at the lecture's exact scale and protocol (1000 steps, 1000 test batches) on one GPU,
batched, in at most 5 minutes; and at least 10x the lecture's own loop on that GPU. The plain
loop is timed on a sample (2 runs x 200 steps: the whole grid would take it about an hour) and
compared as training model-steps per second; the batched time includes its evaluation, so the
ratio is conservative. Skips without CUDA."""

import dataclasses
import time

import pytest
import torch

from test_throughput import lecture_loop
from trainability.runs.pool import Runner
from trainability.studies.lecture import rows
from trainability.studies.rungs import LECTURE

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device: the GPU targets need one")

SEEDS, GRID_SECONDS = 10, 300.0


def test_lecture_grid_on_one_gpu(benchmark, record_ratio):
    device = "cuda:0"
    settings = [LECTURE.setting(**row.args) for row in rows().values()]
    jobs = [(s, seed) for s in settings for seed in range(SEEDS)]

    sample = dataclasses.replace(settings[0], steps=200)
    lecture_loop(dataclasses.replace(sample, steps=5), 99, device)  # CUDA context, kernels, allocator
    start = time.perf_counter()
    for seed in range(2):
        lecture_loop(sample, seed, device)
    plain_rate = 2 * sample.steps / (time.perf_counter() - start)

    runner = Runner(device, batch=64)
    runner.results([(dataclasses.replace(settings[0], steps=5, eval_batches=2), 10_000)])  # warm-up
    results = benchmark.pedantic(runner.results, args=(jobs,), rounds=1, iterations=1)
    grid_s = benchmark.stats.stats.mean
    batched_rate = sum(s.steps for s, _ in jobs) / grid_s
    diverged = sum(r.diverged for r in results)
    print(f"\nGPU grid: {len(settings)} settings x {SEEDS} seeds in {grid_s:.0f}s (target <= {GRID_SECONDS:.0f}s), "
          f"{diverged} diverged; plain loop {plain_rate:.1f} model-steps/s, batched {batched_rate:.1f}")
    benchmark.extra_info.update(grid_seconds=grid_s, plain_model_steps_per_s=plain_rate,
                                batched_model_steps_per_s=batched_rate, runs=len(jobs), diverged=diverged)
    record_ratio("GPU lecture scale vs plain loop", batched_rate / plain_rate, 10.0)
    record_ratio("GPU grid in 5 minutes (300 s / measured)", GRID_SECONDS / grid_s, 1.0)
