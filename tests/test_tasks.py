import math

import pytest
import torch

from trainability.tasks import LectureTask


@pytest.fixture(scope="module")
def big_batch():
    task = LectureTask(batch=400, length=50, in_dim=50)  # 1e6 elements
    x, target = task.sample(torch.Generator().manual_seed(0))
    return task, x[..., :50], x[..., 50:], target


def test_floor_is_the_best_constant_predictors_loss(big_batch):
    task, a, b, target = big_batch
    loss = task.loss(torch.full_like(target, 2.0), target).item()  # E[target] = 2
    # 0.5 * (y - t)^2 has variance 0.25 * Var((t-2)^2) = 0.25 * (E[(t-2)^4] - 49) per element
    assert task.floor == 3.5
    assert loss == pytest.approx(3.5, abs=5 * math.sqrt(0.25 * 400 / 1e6))


def test_linear_level_is_the_best_linear_predictors_loss(big_batch):
    task, a, b, target = big_batch
    design = torch.stack([torch.ones_like(a), a, b], -1).reshape(-1, 3).double()
    coef = torch.linalg.lstsq(design, target.reshape(-1, 1).double()).solution
    loss = task.loss(design @ coef, target.reshape(-1, 1).double()).item()
    assert coef.squeeze().tolist() == pytest.approx([2.0, 2.0, 1.0], abs=0.02)
    assert task.linear_level == 1.0
    assert loss == pytest.approx(1.0, abs=0.02)


def test_sampling_is_determined_by_the_generator():
    task = LectureTask()
    x1, t1 = task.sample(torch.Generator().manual_seed(5))
    x2, t2 = task.sample(torch.Generator().manual_seed(5))
    assert x1.shape == (16, 10, 100) and t1.shape == (16, 10, 50)
    assert torch.equal(x1, x2) and torch.equal(t1, t2)
    assert torch.equal(t1, (x1[..., :50] + 1) ** 2 + x1[..., 50:])


def test_relative_mse_is_loss_over_floor():
    assert LectureTask().relative(3.5) == 1.0 and LectureTask().relative(0.35) == pytest.approx(0.1)


@pytest.mark.parametrize("field", ["batch", "length", "in_dim"])
def test_bad_task_sizes_are_rejected(field):
    with pytest.raises(ValueError, match=f"{field} must be a positive int"):
        LectureTask(**{field: 0})


from trainability.tasks import SEQUENCE_KINDS, SequenceTask  # noqa: E402


@pytest.mark.parametrize("kind", SEQUENCE_KINDS)
def test_sequence_task_floor_is_the_best_constant_predictors_loss(kind):
    task = SequenceTask(kind=kind, batch=20000)
    _, target = task.sample(torch.Generator().manual_seed(1))
    assert target.shape == (16, 20000, 2)
    loss = task.loss(torch.zeros_like(target), target).item()  # every target has mean 0
    assert loss == pytest.approx(task.floor, rel=0.03)  # 640k draws: sampling error well under 1%


def test_sequence_targets_have_the_structure_they_claim():
    task = SequenceTask(kind="n-gram", batch=2)
    x, y = task.sample(torch.Generator().manual_seed(0))
    u, v = x[..., :2], x[..., 2:]
    assert torch.allclose(y[5], u[5] * v[4] + u[3]) and torch.equal(y[0], torch.zeros_like(y[0]))
    bow = SequenceTask(kind="bag-of-words", batch=2)
    x, y = bow.sample(torch.Generator().manual_seed(0))
    assert torch.allclose(y[0], y[-1]) and torch.allclose(y[0], (x[..., :2] + x[..., 2:]).sum(0) / 32**0.5)


@pytest.mark.parametrize("kwargs, match", [(dict(kind="trigram"), "valid: bag-of-words, n-gram, moving-average"),
                                           (dict(lam=1.0), r"lam must be in \(0, 1\)"),
                                           (dict(length=0), "length must be a positive int")])
def test_bad_sequence_tasks_name_the_valid_choices(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SequenceTask(**kwargs)
