"""Engines: the code that computes runs. One interface, ``ENGINES[name](jobs, device,
progress_every, pad_to) -> [RunResult]``, one result per (setting, seed) job, in order:

    plain    one run at a time, the lecture's loop (engines/plain.py); runs every system
    batched  jobs that share a ``batch_key`` as members of one computation (engines/batched.py);
             runs the systems with a member-batched forward (System.forward) on tasks with losses()

``choose`` picks one. Both engines build a run's model with engines.common.init_model and end it
with result.finish, so a member of a batch is its plain run to float tolerance
(tests/test_batched.py, tests/test_systems.py). The engine is part of a run's store key: the two
differ in float rounding.
"""

from __future__ import annotations

from ..setting import Setting
from .batched import batch_key, batchable, run_batch
from .common import device_path, on_device_path
from .plain import run, run_jobs

ENGINES = {"plain": run_jobs, "batched": run_batch}


def choose(setting: Setting, batch: bool) -> str:
    """The engine that computes ``setting``'s runs: "batched" where batching is on and the setting
    can be batched (engines.batched.batchable), else "plain"."""
    return "batched" if batch and batchable(setting) else "plain"


def group_key(setting: Setting, engine: str):
    """Jobs with equal keys may go to the engine in one call (None: each job on its own)."""
    return batch_key(setting) if engine == "batched" else None


__all__ = ["ENGINES", "choose", "group_key", "batch_key", "batchable", "device_path", "on_device_path", "run",
           "run_batch", "run_jobs"]
