"""Timing and profiling helpers for scripts/gpu.py (the prepared device script)."""

from __future__ import annotations

import dataclasses
import time

import torch

from trainability.training.engines import run, run_batch


def ms_per_step(setting, members: int, device: str) -> float:
    """Milliseconds per member-step of ``members`` batched runs (0: one plain run), after a warm-up."""
    short = dataclasses.replace(setting, steps=2, eval_batches=1)
    if members == 0:
        run(short, 0, device)
        torch.cuda.synchronize()
        start = time.perf_counter()
        run(setting, 0, device)
        torch.cuda.synchronize()
        return 1000 * (time.perf_counter() - start) / setting.steps
    jobs = [(setting, seed) for seed in range(members)]
    run_batch([(short, seed) for seed in range(members)], device, pad_to=members)
    torch.cuda.synchronize()
    start = time.perf_counter()
    run_batch(jobs, device, pad_to=members)
    torch.cuda.synchronize()
    return 1000 * (time.perf_counter() - start) / (setting.steps * members)


def launches_per_step(setting, members: int, device: str, steps: int = 5) -> float:
    """CUDA kernels launched per training step of ``members`` batched runs (torch.profiler)."""
    from torch.profiler import ProfilerActivity, profile

    s = dataclasses.replace(setting, steps=steps, eval_batches=1)
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        run_batch([(s, seed) for seed in range(members)], device, pad_to=members)
        torch.cuda.synchronize()
    kernels = sum(e.count for e in prof.key_averages() if e.device_type == torch.autograd.DeviceType.CUDA)
    return kernels / (steps + 2)  # + the evaluation's two forwards, counted as steps
