"""Parity accuracy of a model on the evaluation strings of its setting's ParityTask: the share
whose logit's sign gives the parity (all 2^k strings for k <= 16; 8192 drawn from the run's
measure stream above). Registered as run measurement "parity_accuracy", taken every EVERY steps
so that an escape rule can read "solved" (accuracy above ParityTask.solved_level) as a crossing. Importing this module registers it (the measure registry's own module is
part of every run's code key, so its registrations live beside their functions)."""

from __future__ import annotations

import torch

from ..tasks.parity import ParityTask, parity
from . import register_measure

EVERY = 25  # steps between evaluations: the resolution of a run's time to solve


@torch.no_grad()
def parity_accuracy(model: torch.nn.Module, setting, generator: torch.Generator) -> float:
    task = setting.task
    if not isinstance(task, ParityTask):
        raise ValueError(f"parity_accuracy measures a ParityTask's strings; this setting's task is "
                         f"{type(task).__name__}")
    x = task.strings(generator).to(next(model.parameters()).device)  # (N, k)
    return float(((model(x) > 0).float() == parity(x)).float().mean())


register_measure("parity_accuracy", parity_accuracy, better="higher", every=EVERY)
