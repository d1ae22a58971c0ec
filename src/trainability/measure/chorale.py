"""How a model trained on chorales of some keys does on others (the biaxial LSTM's key transfer,
L4): the mean loss on fresh sequences of the training keys ("seen"), on sequences of the task's
held-out keys ("unseen"), their difference ("gap"), and the difference between two independent
sets of training-key sequences ("heldout": zero in expectation, the A/A placebo's quantity).
Every set is BATCHES batches drawn from the run's measure stream. Registered, on import, as the
run measurement "key_gap"."""

from __future__ import annotations

import dataclasses

import torch

from ..tasks.chorale import ChoraleTask
from . import register_measure

BATCHES = 16


@torch.no_grad()
def key_gap(model: torch.nn.Module, setting, generator: torch.Generator) -> dict[str, float]:
    task = setting.task
    if not isinstance(task, ChoraleTask):
        raise ValueError(f"key_gap measures a ChoraleTask's keys; this setting's task is {type(task).__name__}")
    device = next(model.parameters()).device

    def mean_loss(t: ChoraleTask) -> float:
        total = 0.0
        for _ in range(BATCHES):
            x, y = t.sample(generator)
            total += float(t.loss(model(x.to(device)), y.to(device)))
        return total / BATCHES

    seen, again = mean_loss(task), mean_loss(task)
    unseen = mean_loss(dataclasses.replace(task, keys=task.unseen))
    return {"seen": seen, "unseen": unseen, "gap": unseen - seen, "heldout": again - seen}


register_measure("key_gap", key_gap, better="lower")
