"""The sequence families: matched budgets, causal reading, and the tuning procedure's rule."""

import math

import pytest

from helpers import FakeRunner
from trainability.studies import sequence as families
from trainability.studies.sequence import FAMILIES, GRID, REACH, sequence_setting, tune
from trainability.systems import build_model, n_params
from trainability.tasks import SequenceTask

TASK = SequenceTask("n-gram", window=4)


def test_the_families_have_matched_budgets_and_read_causally():
    import torch

    sizes = {f: n_params(build_model(name, cfg, seed=0)) for f, (name, cfg) in FAMILIES.items()}
    assert max(sizes.values()) / min(sizes.values()) < 1.05, sizes
    x = torch.randn(16, 2, 4, generator=torch.Generator().manual_seed(0))
    for f, (name, cfg) in FAMILIES.items():
        model = build_model(name, cfg, seed=0)
        later = x.clone()
        later[10:] += 1.0
        assert torch.allclose(model(later)[:10], model(x)[:10], atol=1e-6), f
        reach = REACH[f]
        if reach is not None:  # the CNN: x_{t - reach - 1} is out of sight, x_{t - reach} is not
            far, near = x.clone(), x.clone()
            far[15 - reach - 1] += 1.0
            near[15 - reach] += 1.0
            assert torch.allclose(model(far)[15], model(x)[15], atol=1e-6)
            assert not torch.allclose(model(near)[15], model(x)[15])


def test_tuning_picks_the_least_median_and_tries_past_the_top_lr():
    def draw(best_lr):
        # a loss that is least at best_lr (in log lr), whatever the other options
        return lambda s, rng: 0.01 * (1 + abs(math.log10(s.lr / best_lr))) * TASK.floor
    best, rows = tune(FakeRunner(draw(3e-3)), "cnn", TASK)
    assert best["lr"] == 3e-3 and best["warmup"] == 0  # ties: the first in grid order
    assert len(rows) == len(GRID["cnn"])
    best, rows = tune(FakeRunner(draw(0.1)), "rnn", TASK)
    assert best["lr"] == families.EXTRA_LR and len(rows) == len(GRID["rnn"]) + 1
    best, _ = tune(FakeRunner(lambda s, rng: math.inf if s.lr > 1e-3 else 1.0), "transformer", TASK)
    assert best["lr"] == 1e-3  # diverged options lose


def test_bad_family_options_are_refused():
    with pytest.raises(ValueError, match="valid families: transformer, cnn, rnn"):
        sequence_setting("lstm", TASK)
    with pytest.raises(ValueError, match="norm_first is a Transformer option"):
        sequence_setting("cnn", TASK, norm_first=True)


def test_the_recorded_tuning_covers_every_cell_with_an_option_of_its_grid():
    from pathlib import Path

    tuned = families.load_tuned(Path(__file__).parents[1] / "claims" / "sequence" / "sequence_tuning.json")
    for task in families.sweep_tasks():
        for f in FAMILIES:
            option = tuned[(task.describe(), f)]
            allowed = GRID[f] + [dict(o, lr=families.EXTRA_LR) for o in GRID[f]]
            assert option in allowed, (task.describe(), f, option)
