"""The model families of the sequence-task claims (L11 after training, L12), at one matched budget.

Every family reads (T, B, 2I) and writes (T, B, I) with I = 2, at ~17k parameters:
    transformer     the lecture's encoder without a positional encoding: d 32, 4 heads, 2 layers,
                    ffn 64, dropout 0 (17,314 parameters)
    transformer+PE  the same with a sinusoidal positional encoding (no parameters)
    cnn             a causal CNN: width 53, depth 3, kernel 3, reach 6 past (17,757)
    rnn             a GRU of width 72 (16,994)
One optimiser for all (``sequence_setting``): Adam at lr 3e-3, no warm-up, test loss over 50 fresh
batches; the "escape" step is when the running training loss (window 20) first falls below
``reach`` x the task's floor.
"""

from __future__ import annotations

import dataclasses

from .models import CNNConfig, RNNConfig, TransformerConfig
from .setting import Setting
from .tasks import SequenceTask

_TRANSFORMER = TransformerConfig(in_dim=2, d_model=32, n_heads=4, n_layers=2, ffn=64, dropout=0.0)
FAMILIES: dict[str, tuple[str, object]] = {  # family -> (models.MODELS name, config)
    "transformer": ("lecture_transformer", _TRANSFORMER),
    "transformer+PE": ("lecture_transformer", dataclasses.replace(_TRANSFORMER, pos_encoding="sinusoidal")),
    "cnn": ("cnn", CNNConfig(in_dim=2, width=53, depth=3, kernel=3, causal=True)),
    "rnn": ("rnn", RNNConfig(in_dim=2, width=72, cell="gru")),
}


def sequence_setting(family: str, kind: str, *, steps: int, reach: float, lr: float = 3e-3,
                     eval_batches: int = 50) -> Setting:
    """A run of ``family`` on the SequenceTask ``kind`` (tasks.SEQUENCE_KINDS)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; valid families: {', '.join(FAMILIES)}")
    model_name, cfg = FAMILIES[family]
    task = SequenceTask(kind=kind)
    return Setting(model=cfg, task=task, model_name=model_name, lr=lr, steps=steps, eval_batches=eval_batches,
                   escape_level=reach * task.floor, escape_window=20)
