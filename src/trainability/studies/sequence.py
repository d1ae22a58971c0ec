"""The model families of the sequence-task claims (L11 after training, L12): causal, at one
matched budget, each tuned by one procedure fixed in advance.

Equal information access. Every task (tasks.SequenceTask) has a causal target, and every family
reads causally: position t sees x_0 .. x_t and nothing after. The families (T = 16, I = 2, about
10k parameters each):
    transformer  the lecture's encoder layer with a causal mask and a sinusoidal positional
                 encoding (without one it could not tell positions apart): d 24, 4 heads, 2
                 layers, ffn 48, dropout 0 (9,914 parameters); post-LN as the lecture, pre-LN a
                 tuning option
    cnn          a causal CNN: width 32, depth 4, kernel 3, so it sees x_{t-8} .. x_t
                 (9,794 parameters)
    rnn          a GRU of width 55 (10,177 parameters)
A family's information limit on a task is ``task.limit(REACH[family])``: the least relative MSE of
any predictor with its receptive field (0 for the transformer and the GRU, which see the whole
prefix; positive for the CNN where a target reaches further back than 8 positions).

Tuning (``GRID``, ``tune``): for each (task, family), every option of the family's grid trains on
``TUNE_SEEDS`` seeds drawn from the key "tuning" (disjoint from every claim's seeds, which come
from the claim's id), and the option with the least median relative test MSE wins (ties: the
first in grid order); a winner at the grid's top lr is tried once more at 0.1 (added after the
first tuned cell's winner sat on the edge, before any claim ran). Every family gets the same lrs
and warm-ups; the transformer also gets pre-LN as an option (labelled in the records), as the
issue that asked for tuning specified. The winners are recorded in claims/sequence/sequence_tuning.json
(scripts/tune_sequence.py) and read with ``load_tuned``.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..decisions.verdicts import seeds as derive_seeds
from ..systems.cnn import CNNConfig
from ..systems.rnn import RNNConfig
from ..systems.transformer import TransformerConfig
from ..tasks import SequenceTask
from ..training.setting import Crossing, Setting

TRANSFORMER = TransformerConfig(in_dim=2, d_model=24, n_heads=4, n_layers=2, ffn=48, dropout=0.0,
                                pos_encoding="sinusoidal", attention="causal")
FAMILIES: dict[str, tuple[str, object]] = {  # family -> (systems.SYSTEMS name, config)
    "transformer": ("lecture_transformer", TRANSFORMER),
    "cnn": ("cnn", CNNConfig(in_dim=2, width=32, depth=4, kernel=3, causal=True)),
    "rnn": ("rnn", RNNConfig(in_dim=2, width=55, cell="gru")),
}
REACH: dict[str, int | None] = {"transformer": None, "cnn": 8, "rnn": None}  # positions back a family sees

STEPS = 300  # optimizer steps of every sequence run (batch 16 x length 16)
EVAL_BATCHES = 50  # test batches: the test loss's sampling error is ~1% of the floor
LRS = (1e-3, 3e-3, 1e-2, 3e-2)
WARMUPS = (0, 30)  # none, or 10% of the steps
GRID: dict[str, list[dict]] = {  # family -> its options, in tie-break order
    "transformer": [dict(lr=lr, warmup=w, norm_first=nf) for nf in (False, True) for w in WARMUPS for lr in LRS],
    "cnn": [dict(lr=lr, warmup=w) for w in WARMUPS for lr in LRS],
    "rnn": [dict(lr=lr, warmup=w) for w in WARMUPS for lr in LRS],
}
TUNE_SEEDS = 3  # per option; a wrong pick costs the family, never the claim's error rate
EXTRA_LR = 0.1  # tried once, with the winner's other options, when the winner has the grid's top lr

# The difficulty sweeps of L11: sweep -> (the family whose bias the lecture matches to it, its
# points from easy to hard). Every point has the same shapes, so one budget serves all.
SWEEPS: dict[str, tuple[str, list[SequenceTask]]] = {
    "bag-of-words": ("transformer", [SequenceTask("bag-of-words", window=w) for w in (4, 8, 16)]),
    "n-gram": ("cnn", [SequenceTask("n-gram", window=n, product=False) for n in (2, 4, 8)]),
    "n-gram x": ("cnn", [SequenceTask("n-gram", window=n, product=True) for n in (2, 4, 8)]),
    "moving-average": ("rnn", [SequenceTask("moving-average", lam=lam) for lam in (0.5, 0.8, 0.95)]),
}


def sweep_tasks() -> list[SequenceTask]:
    return [task for _, points in SWEEPS.values() for task in points]


def sequence_setting(family: str, task: SequenceTask, *, lr: float = 3e-3, warmup: int = 0, norm_first: bool = False,
                     model=None, steps: int = STEPS, level: float = 0.2, window: int = 1) -> Setting:
    """A run of ``family`` on ``task``. ``model`` overrides the family's config (a variant made with
    dataclasses.replace); the "escape" clock is the first step whose running training loss over
    ``window`` steps (1: the step's own loss) is below ``level`` x the task's floor."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; valid families: {', '.join(FAMILIES)}")
    system, cfg = FAMILIES[family]
    cfg = model or cfg
    if norm_first:
        if not isinstance(cfg, TransformerConfig):
            raise ValueError(f"norm_first is a Transformer option; family {family!r} has none")
        cfg = dataclasses.replace(cfg, norm_first=True)
    return Setting(model=cfg, task=task, system=system, lr=lr, warmup=warmup, steps=steps,
                   eval_batches=EVAL_BATCHES, escape=Crossing(level=level, window=window))


def option_label(option: dict) -> str:
    """ "lr 0.003, warm-up 30, pre-LN" """
    text = f"lr {option['lr']:g}, warm-up {option['warmup']}"
    return text + (", pre-LN" if option.get("norm_first") else "")


def tune(runner, family: str, task: SequenceTask, base_seed: int = 0) -> tuple[dict, list[dict]]:
    """The tuning procedure: every option of GRID[family] on TUNE_SEEDS seeds from the key
    "tuning"; the least median relative test MSE wins (ties: grid order). A winner at the grid's
    top lr is also tried at EXTRA_LR (an edge is not an optimum), and the better of the two wins.
    Returns the winner and one row per option tried (its label and median)."""
    seeds = derive_seeds(base_seed, "tuning", TUNE_SEEDS)

    def medians(options):
        jobs = [(sequence_setting(family, task, **o), s) for o in options for s in seeds]
        results = runner.results(jobs, label=f"tuning {family} on {task.describe()}")
        out = []
        for i, o in enumerate(options):
            finals = [r.final / task.floor for r in results[i * len(seeds):(i + 1) * len(seeds)]]
            m = float(np.median(finals))
            out.append(dict(option=o, label=option_label(o), median=m if math.isfinite(m) else math.inf))
        return out

    rows = medians(GRID[family])
    best = min(range(len(rows)), key=lambda i: (rows[i]["median"], i))
    if rows[best]["option"]["lr"] == max(LRS):
        rows += medians([dict(rows[best]["option"], lr=EXTRA_LR)])
        best = min(range(len(rows)), key=lambda i: (rows[i]["median"], i))
    return rows[best]["option"], rows


def load_tuned(path) -> dict[tuple[str, str], dict]:
    """{(task.describe(), family): option} from the JSON scripts/tune_sequence.py writes."""
    import json

    with open(path) as f:
        data = json.load(f)
    return {(c["task"], c["family"]): c["option"] for c in data["cells"]}


__all__ = ["FAMILIES", "REACH", "GRID", "STEPS", "SWEEPS", "TRANSFORMER", "sequence_setting", "tune",
           "option_label", "sweep_tasks", "load_tuned"]
