import dataclasses
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


from trainability.tasks import SequenceTask  # noqa: E402


POINTS = [SequenceTask("bag-of-words", window=w) for w in (4, 16)] + [
    SequenceTask("n-gram", window=n, product=p) for n in (2, 8) for p in (False, True)] + [
    SequenceTask("moving-average", lam=lam) for lam in (0.5, 0.95)]


@pytest.mark.parametrize("task", POINTS, ids=lambda t: t.describe())
def test_sequence_task_floor_is_the_best_constant_predictors_loss(task):
    task = dataclasses.replace(task, batch=20000)
    _, target = task.sample(torch.Generator().manual_seed(1))
    assert target.shape == (16, 20000, 2)
    loss = task.loss(torch.zeros_like(target), target).item()  # every target has mean 0
    assert loss == pytest.approx(task.floor, rel=0.03)  # 640k draws: sampling error well under 1%


def test_sequence_targets_have_the_structure_they_claim():
    task = SequenceTask(kind="n-gram", window=3, batch=2)
    x, y = task.sample(torch.Generator().manual_seed(0))
    u, v = x[..., :2], x[..., 2:]
    assert torch.allclose(y[5], (u[5] - u[4] + u[3]) / 3**0.5 + u[5] * v[3], atol=1e-6)
    assert torch.allclose(y[1], (u[1] - u[0]) / 3**0.5, atol=1e-6)  # positions before 0 are zero
    bow = SequenceTask(kind="bag-of-words", window=4, batch=2)
    x, y = bow.sample(torch.Generator().manual_seed(0))
    z = (x[..., :2] + x[..., 2:]) / 2**0.5
    assert torch.allclose(y[9], z[6:10].sum(0) / 2, atol=1e-5) and torch.allclose(y[0], z[0] / 2, atol=1e-6)


@pytest.mark.parametrize("task", POINTS, ids=lambda t: t.describe())
def test_every_target_is_causal(task):
    x, y = task.sample(torch.Generator().manual_seed(0))
    x2 = x.clone()
    x2[9:] = torch.randn_like(x2[9:])  # change the future of position 8
    task_y = task.target(x2)
    assert torch.allclose(task_y[:9], y[:9], atol=1e-6) and not torch.allclose(task_y[9:], y[9:])


@pytest.mark.parametrize("task", POINTS, ids=lambda t: t.describe())
@pytest.mark.parametrize("reach", [0, 2, 5, 8])
def test_the_information_limit_is_what_a_least_squares_fit_on_the_window_reaches(task, reach):
    # Every target is linear in the inputs plus at most one product term; the best predictor from
    # x_{t-reach} .. x_t is then the least-squares fit on those inputs (and the product, when both
    # its factors are seen), so fitting it on 20k sequences must land on task.limit(reach).
    task = dataclasses.replace(task, batch=20000)
    x, y = task.sample(torch.Generator().manual_seed(2))
    x, y = x.double(), y.double()
    left = total = 0.0
    for t in range(task.length):
        seen = [x[s] for s in range(max(0, t - reach), t + 1)]  # each (B, 2I)
        if task.kind == "n-gram" and task.product and t - task.window + 1 >= max(0, t - reach):
            seen.append(x[t, :, :2] * x[t - task.window + 1, :, 2:])
        features = torch.cat(seen + [torch.ones(x.shape[1], 1, dtype=x.dtype)], 1)
        fit = torch.linalg.lstsq(features, y[t]).solution
        left += ((y[t] - features @ fit) ** 2).mean().item()
        total += (y[t] ** 2).mean().item()
    assert left / total == pytest.approx(task.limit(reach), abs=0.01)


def test_limits_are_zero_with_the_whole_prefix_and_grow_as_the_reach_shrinks():
    for task in POINTS:
        assert task.limit(None) == 0.0 == task.limit(task.length)
        limits = [task.limit(r) for r in range(task.length)]
        assert all(a >= b for a, b in zip(limits, limits[1:])), task.describe()
    assert SequenceTask("n-gram", window=8).limit(6) > 0.4  # the product's far factor unseen


@pytest.mark.parametrize("kwargs, match", [(dict(kind="trigram"), "valid: bag-of-words, n-gram, moving-average"),
                                           (dict(lam=1.0), r"lam must be in \(0, 1\)"),
                                           (dict(length=0), "length must be a positive int"),
                                           (dict(window=0), "window must be a positive int"),
                                           (dict(kind="n-gram", window=1), "needs window >= 2")])
def test_bad_sequence_tasks_name_the_valid_choices(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SequenceTask(**kwargs)
