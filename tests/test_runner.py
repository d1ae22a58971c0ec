import dataclasses
import logging
import math
import warnings

import pytest
import torch

from helpers import TINY
from trainability.training.engines import run
from trainability.runs.pool import EscapeWarning, Runner
from trainability.training.result import crossing_step
from trainability.training.setting import Crossing, Setting


pytestmark = pytest.mark.usefixtures("one_thread")


def test_same_seed_gives_the_identical_curve_on_cpu():
    a, b = run(TINY, 3), run(TINY, 3)
    assert a.losses == b.losses and a.test_loss == b.test_loss and len(a.losses) == TINY.steps
    assert run(TINY, 4).losses != a.losses


def test_paired_seeds_share_init_data_and_dropout_across_settings():
    other = dataclasses.replace(TINY, lr=TINY.lr / 10)
    a, b = run(TINY, 5), run(other, 5)
    assert a.losses[0] == b.losses[0]  # step 0: same init, same batch, same dropout mask
    assert a.losses[1] != b.losses[1]  # then the learning rates differ


def test_nan_or_inf_marks_the_run_diverged_and_ranks_it_worst():
    blown = dataclasses.replace(TINY, init="normal", init_scale=1e30)
    r = run(blown, 0)
    assert r.diverged and r.diverged_at == 0 and r.final == math.inf and r.losses == []
    assert r.escape == TINY.steps  # censored: never escaped


def test_eval_mode_switches_dropout_off_in_the_test_loss():
    train_mode, eval_mode = run(TINY, 1), run(dataclasses.replace(TINY, eval_mode="eval"), 1)
    assert train_mode.losses == eval_mode.losses and train_mode.test_loss != eval_mode.test_loss


def test_the_schedule_acts_on_adams_learning_rate():
    # With lr scheduled to ~0 from the first step, a run's parameters barely move.
    decayed = dataclasses.replace(TINY, schedule="linear_decay", steps=2, warmup=0, lr=1e-9)
    fast = dataclasses.replace(TINY, steps=2, lr=1e-1)
    assert run(decayed, 0).losses[1] != run(fast, 0).losses[1]


def test_the_escape_step_is_the_first_window_past_the_level():
    assert crossing_step([3.5] * 5 + [0.1] * 5, threshold=3.0, window=4) == 6  # mean(3.5, 3.5, 3.5, 0.1) = 2.65
    assert crossing_step([3.5] * 10, threshold=3.0, window=4) is None
    assert crossing_step([0.1] * 3, threshold=3.0, window=4) is None  # fewer points than the window
    # a measurement taken every 50 steps crossing upward: its third point is step 150
    assert crossing_step([0.2, 0.6, 1.0], threshold=0.9, window=1, side="above", every=50) == 150
    assert Crossing().threshold(3.5) == 3.0  # the lecture's 3.0 is 6/7 of its floor, exactly
    assert Crossing(level=0.5, relative=False).threshold(3.5) == 0.5


def test_an_escape_level_the_first_loss_already_passes_is_warned_about():
    s = dataclasses.replace(TINY, escape=Crossing(level=10.0, window=2))  # 10 x floor: far above any loss at init
    with pytest.warns(EscapeWarning, match="already below the escape level"):
        (r,) = Runner("cpu", workers=1).results([(s, 0)])
    assert r.starts_escaped and r.escape_step == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the lecture's rule on its own task: no warning
        Runner("cpu", workers=1).results([(TINY, 0)])


@pytest.mark.parametrize("batch", [0, 64], ids=["plain", "batched"])
def test_runner_pool_matches_in_process_runs_and_caches(batch):
    from trainability.training.engines import run_batch

    runner = Runner("cpu", workers=2, batch=batch)
    try:
        jobs = [(TINY, 0), (TINY, 1), (TINY, 0)]
        got = runner.results(jobs)
        expected = [run(TINY, s) for s in (0, 1, 0)] if batch == 0 else run_batch([(TINY, 0), (TINY, 1), (TINY, 0)])
        assert [r.losses for r in got] == [r.losses for r in expected]  # bitwise: 1 thread everywhere
        assert len(runner.cache) == 2
    finally:
        runner.close()


@pytest.mark.parametrize("batch, prefix", [(0, "seed "), (64, "batch of ")], ids=["plain", "batched"])
def test_long_runs_report_progress_from_the_worker_processes(batch, prefix, caplog):
    runner = Runner("cpu", workers=2, batch=batch, progress_every=0.0)  # a line every step
    try:
        with caplog.at_level(logging.INFO, logger="trainability"):
            runner.results([(TINY, 0), (TINY, 1)], label="t")
    finally:
        runner.close()
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith(prefix)]
    assert lines and all("left" in line for line in lines), [r.getMessage() for r in caplog.records]
    assert any(f"step {TINY.steps - 1}/{TINY.steps}" in line for line in lines)


def test_progress_lines_are_throttled(caplog):
    with caplog.at_level(logging.INFO, logger="trainability"):
        run(TINY, 0, progress_every=3600.0)
        quiet = len(caplog.records)
        run(TINY, 0, progress_every=0.0)
    assert quiet == 0 and len(caplog.records) == TINY.steps - 1  # never after the last step


@pytest.mark.parametrize("changes, match", [
    (dict(lr=0.0), "lr must be a positive finite"),
    (dict(lr=-1e-3), "lr must be a positive finite"),
    (dict(steps=0), "steps must be a positive int"),
    (dict(warmup=13), r"warmup must be an int of steps in \[0, steps=12\]"),
    (dict(eval_mode="test"), "valid: train, eval"),
    (dict(schedule="step"), "valid schedules: constant, linear_decay, cosine"),
    (dict(init="he"), "valid inits: default, default_redrawn"),
    (dict(system="resnet"), "valid models: biaxial_lstm, cnn, grid_lstm, lecture_transformer, rnn"),
    (dict(system="rnn"), "model 'rnn' takes a RNNConfig, got a TransformerConfig"),
    (dict(eval_batches=-1), "eval_batches must be a positive int"),
    (dict(eval_batches=0), r"eval_batches must be a positive int \(the test loss is the run's reported number"),
    (dict(optimizer="sgd"), "valid optimizers: adam, radam, radam-paper"),
    (dict(measures=("accuracy",)), "unknown measurement 'accuracy'"),
    (dict(escape=Crossing(curve="accuracy")), "escape rule reads curve 'accuracy'.*valid: train_loss"),
])
def test_bad_settings_fail_before_any_training(changes, match):
    with pytest.raises(ValueError, match=match):
        dataclasses.replace(TINY, **changes)


@dataclasses.dataclass
class _Loose:  # a task that is not frozen
    floor: float = 1.0

    def sample(self, generator, device="cpu"):
        return torch.zeros(1), torch.zeros(1)

    def loss(self, y, target):
        return (y - target).pow(2).mean()


@dataclasses.dataclass(frozen=True)
class _NoFloor:
    def sample(self, generator, device="cpu"):
        return torch.zeros(1), torch.zeros(1)

    def loss(self, y, target):
        return (y - target).pow(2).mean()


@dataclasses.dataclass(frozen=True)
class _UnregisteredConfig:
    width: int = 3


@pytest.mark.parametrize("changes, error, match", [
    (dict(task=_Loose()), TypeError, "a task must be a frozen dataclass"),
    (dict(task=_NoFloor()), TypeError, "needs a floor: the loss of the best constant predictor"),
    (dict(model=_UnregisteredConfig(), system=""), ValueError, "no system takes a _UnregisteredConfig config; register"),
    (dict(escape=3.0), ValueError, "escape must be a Crossing"),
])
def test_a_users_task_or_model_is_checked_when_the_setting_is_built(changes, error, match):
    """What used to fail late (a task without floor after training, a non-frozen one in the pool) is
    refused here, naming what is missing."""
    with pytest.raises(error, match=match):
        dataclasses.replace(TINY, **changes)


def test_negative_seed_is_rejected():
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        run(TINY, -1)


def test_mismatched_model_and_task_widths_are_rejected():
    with pytest.raises(ValueError, match=r"model.in_dim \(50\) != task.in_dim \(3\)"):
        Setting(task=TINY.task)
