"""Shared test helpers: tiny settings, and a runner that draws finals instead of training."""

import math

import numpy as np

from trainability.systems.transformer import TransformerConfig
from trainability.training.result import RunResult
from trainability.training.setting import Setting, derive_seed, Crossing
from trainability.tasks import LectureTask

TINY_MODEL = TransformerConfig(in_dim=3, d_model=8, n_heads=2, n_layers=2, ffn=16)
TINY = Setting(model=TINY_MODEL, task=LectureTask(batch=4, length=3, in_dim=3), steps=12, eval_batches=3,
               escape=Crossing(window=4))


class FakeRunner:
    """results() returns RunResults whose final loss is draw(setting, rng) for a seeded rng."""

    def __init__(self, draw):
        self.draw, self.calls = draw, 0

    def results(self, jobs, label=""):
        self.calls += 1
        out = []
        for setting, seed in jobs:
            rng = np.random.default_rng(derive_seed(seed, setting.lr))
            final = float(self.draw(setting, rng))
            out.append(RunResult(setting, seed, [final], final if math.isfinite(final) else math.inf,
                                 None if math.isfinite(final) else 0, 1 if final < 3.0 else None, 0.0, "cpu"))
        return out
