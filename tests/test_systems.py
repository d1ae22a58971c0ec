"""The same checks on every registered system (scikit-learn's estimator checks, per system): seeded
construction is reproducible, the module maps the task's input to its target's shape, a system
that declares a batched forward computes its module for each member, a batch member trains as its
plain run, and declared causality holds (and its absence shows)."""

import dataclasses

import pytest
import torch

from trainability.systems import SYSTEMS, build_model
from trainability.training.engines import run, run_batch
from trainability.training.setting import Crossing, Setting

pytestmark = pytest.mark.usefixtures("one_thread")

CASES = [(name, i, cfg, task) for name, spec in SYSTEMS.items() for i, (cfg, task) in enumerate(spec.examples())]
IDS = [f"{name}-{i}" for name, i, _, _ in CASES]


def test_every_registered_system_has_examples_to_check():
    assert {name for name, *_ in CASES} == set(SYSTEMS), "give every System examples=... (small configs and tasks)"


def setting(name, cfg, task, **changes) -> Setting:
    return dataclasses.replace(Setting(model=cfg, task=task, system=name, lr=3e-3, steps=6, eval_batches=2,
                                       escape=Crossing(level=1.0, window=2)), **changes)


@pytest.mark.parametrize("name, i, cfg, task", CASES, ids=IDS)
def test_seeded_construction_is_reproducible(name, i, cfg, task):
    a, b, c = (dict(build_model(name, cfg, seed=s).named_parameters()) for s in (3, 3, 4))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(a[k], c[k]) for k in a if a[k].numel() > 1)


@pytest.mark.parametrize("name, i, cfg, task", CASES, ids=IDS)
def test_the_module_maps_the_tasks_input_to_its_targets_shape(name, i, cfg, task):
    x, target = task.sample(torch.Generator().manual_seed(0))
    assert build_model(name, cfg, seed=0)(x).shape == target.shape


@pytest.mark.parametrize("name, i, cfg, task", CASES, ids=IDS)
def test_a_batched_forward_computes_the_module_for_each_member(name, i, cfg, task):
    spec = SYSTEMS[name]
    if not spec.batched:
        pytest.skip(f"{name} declares no batched forward: it runs on the plain engine")
    models = [build_model(name, cfg, seed=s).eval() for s in (0, 1)]
    P = {n: torch.stack([dict(m.named_parameters())[n].detach() for m in models]) for n, _ in models[0].named_parameters()}
    xs = torch.stack([task.sample(torch.Generator().manual_seed(s))[0] for s in (0, 1)])

    class Off:  # dropout off: the modules are in eval mode
        def __call__(self, x):
            return x

        def relu(self, a):
            return torch.relu(a)

    with torch.no_grad():
        y = spec.forward(P, xs, setting(name, cfg, task), Off())
        for k, m in enumerate(models):
            assert torch.allclose(y[k], m(xs[k]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, i, cfg, task", CASES, ids=IDS)
def test_a_batch_member_trains_as_its_plain_run(name, i, cfg, task):
    if not SYSTEMS[name].batched:
        pytest.skip(f"{name} declares no batched forward")
    jobs = [(setting(name, cfg, task), 0), (setting(name, cfg, task, lr=1e-2, warmup=2), 1),
            (setting(name, cfg, task, optimizer="radam"), 2)]
    for (s, seed), member in zip(jobs, run_batch(jobs)):  # rtol 1e-4: float association only (tests/test_batched.py)
        plain = run(s, seed)
        assert member.losses == pytest.approx(plain.losses, rel=1e-4)
        assert member.test_loss == pytest.approx(plain.test_loss, rel=1e-4)


@pytest.mark.parametrize("name, i, cfg, task", CASES, ids=IDS)
def test_declared_causality_holds_and_its_absence_shows(name, i, cfg, task):
    spec = SYSTEMS[name]
    if spec.causal is None:
        pytest.skip(f"{name} declares nothing about causality")
    model = build_model(name, cfg, seed=0).eval()
    x, _ = task.sample(torch.Generator().manual_seed(0))
    s = x.shape[0] // 2
    bumped = x.clone()
    bumped[s:] += 1.0  # change every input from position s on (dim 0)
    with torch.no_grad():
        before, after = model(x)[:s], model(bumped)[:s]
    if spec.causal(cfg):
        assert torch.equal(before, after), f"{name} declares {cfg} causal, but outputs before {s} read later inputs"
    else:
        assert not torch.allclose(before, after), f"{name} declares {cfg} not causal, but it reads no later input"
