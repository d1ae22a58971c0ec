"""Runs measure named metrics: a registered measurement of the trained model is recorded with the
run (both engines, the store, the JSON report) and claims compare it by name, as naturally as the
test loss; an escape is a crossing of any curve a run records."""

import dataclasses
import json
import math

import pytest
import torch

from helpers import TINY
from trainability.decisions.quantities import Level, TypicalRatio
from trainability.decisions.runs import Runs
from trainability.measure import MEASURES, register_measure
from trainability.runs.pool import Runner
from trainability.runs.store import RunStore
from trainability.training.engines import run, run_batch
from trainability.training.setting import Crossing


def output_scale(model, setting, generator):  # a measurement: the trained model's mean |output| on fresh inputs
    x, _ = setting.task.sample(generator)
    with torch.no_grad():
        return {"mean": float(model(x).abs().mean()), "max": float(model(x).abs().max())}


def weight_norm(model, setting, generator):  # taken every 2 steps: a curve
    return float(sum(p.detach().pow(2).sum() for p in model.parameters()) ** 0.5)


@pytest.fixture
def measured():
    register_measure("output", output_scale, better="lower")
    register_measure("norm", weight_norm, better="higher", every=2)
    yield dataclasses.replace(TINY, measures=("output", "norm"))
    del MEASURES["output"], MEASURES["norm"]


def test_a_run_records_its_measurements_on_both_engines(measured, one_thread):
    plain = run(measured, 0)
    assert set(plain.measured) == {"output.mean", "output.max", "norm"} and plain.measured["output.mean"] > 0
    assert len(plain.curves["norm"]) == TINY.steps // 2  # every 2 steps
    (member,) = run_batch([(measured, 0)])
    for k, v in plain.measured.items():
        assert member.measured[k] == pytest.approx(v, rel=1e-4)  # the member's module is its plain run's model
    assert member.curves["norm"] == pytest.approx(plain.curves["norm"], rel=1e-4)
    assert plain.metrics["norm"] == plain.measured["norm"] and plain.metrics["final"] == plain.final


def test_measurements_survive_the_store(measured, tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    with Runner(workers=1, store=store) as runner:
        (first,) = runner.results([(measured, 0)])
    with Runner(workers=1, store=store) as runner:
        (again,) = runner.results([(measured, 0)])
        assert runner.from_store == 1
    assert again.measured == first.measured and again.curves == first.curves


def test_an_escape_can_be_a_crossing_of_a_measured_curve(measured):
    rising = dataclasses.replace(measured, escape=Crossing(level=0.0, relative=False, side="above", window=1,
                                                           curve="norm"))
    r = run(rising, 0)
    assert r.escape_step == 2  # the norm's first point (step 2) is above 0


def test_quantities_compare_a_measured_metric_by_name_in_its_direction(measured):
    def runs(values, name="accuracy"):
        return Runs(final=torch.zeros(len(values)).numpy(), escape=torch.zeros(len(values)).numpy(),
                    escaped=torch.zeros(len(values), dtype=torch.bool).numpy(), floor=1.0, steps=10,
                    measured={name: torch.tensor(values, dtype=torch.float64).numpy()})

    register_measure("accuracy", output_scale, better="higher")
    try:
        r = {"A": runs([0.9, 0.5, math.nan]), "B": runs([0.6, 0.6, 0.6])}  # nan: not recorded (diverged)
        # higher is better: A > 1.2 x B, and a run without the measurement counts as the worst
        assert TypicalRatio("A", "B", 1.2, metric="accuracy").events(r).tolist() == [True, False, False]
        assert TypicalRatio("A", "B", 1.2, metric="accuracy").statement() == "on most seeds A's accuracy is at least 20% above B's (> 1.2 x)"
        # a level on a metric that is not a loss is in the metric's own units
        assert Level("A", 0.8, "above", metric="accuracy").events(r).tolist() == [True, False, False]
    finally:
        del MEASURES["accuracy"]


CLAIMS = """
import math
from dataclasses import dataclass, replace

import pytest
import torch
from torch import nn

import trainability as tr


@dataclass(frozen=True)
class Net:
    width: int = 8


def net(cfg):
    return nn.Sequential(nn.Linear(2, cfg.width), nn.ReLU(), nn.Linear(cfg.width, 2))


@dataclass(frozen=True)
class Blobs:  # two balanced classes at +-1.5 in both coordinates
    batch: int = 32
    floor: float = math.log(2)  # the cross-entropy of the best constant predictor

    def sample(self, generator, device="cpu"):
        y = torch.randint(0, 2, (self.batch,), generator=generator, device=device)
        return torch.randn(self.batch, 2, generator=generator, device=device) + 1.5 * (2 * y[:, None] - 1), y

    def loss(self, logits, y):
        return nn.functional.cross_entropy(logits, y)


def accuracy(model, setting, generator):
    x, y = replace(setting.task, batch=2000).sample(generator)
    with torch.no_grad():
        return float((model(x).argmax(-1) == y).float().mean())


tr.register_system("net", tr.System(config=Net, module=net))
tr.register_measure("accuracy", accuracy, better="higher")
BASE = tr.Setting(model=Net(), task=Blobs(), lr=3e-2, steps=60, eval_batches=2, measures=("accuracy",),
                  escape=tr.Crossing(level=0.5, window=5))
DESIGN = tr.Design(start=8, step=8, cap=8)
EXPECTED = {"acc-level": {"*": ("holds", "two well-separated blobs are learned in sixty steps")},
            "acc-beats": {"*": ("holds", "a learning rate of 1e-5 barely moves the classifier")}}


@pytest.mark.claim("acc-level")
def test_accuracy_level(claims):
    claims.decide(settings={"trained": BASE}, parts=[tr.Level("trained", 0.9, "above", metric="accuracy")],
                  design=DESIGN)


@pytest.mark.claim("acc-beats")
def test_accuracy_beats(claims):
    claims.decide(settings={"trained": BASE, "barely": replace(BASE, lr=1e-5)}, design=DESIGN,
                  parts=[tr.TypicalRatio("trained", "barely", 1.0, metric="accuracy")])
"""


def test_a_claim_decides_on_a_measured_metric_through_the_fixture(pytester):
    pytester.makepyfile(test_acc=CLAIMS)
    report = pytester.path / "r.json"
    result = pytester.runpytest_subprocess("-p", "no:randomly", "--claims-report", str(report))
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["acc-level: HOLDS*", "*trained accuracy above 0.9*part holds",
                                 "acc-beats: HOLDS*", "*trained accuracy > 1 x barely*part holds"])
    data = json.loads(report.read_text())
    level = next(c for c in data["claims"] if c["claim_id"] == "acc-level")
    accs = level["settings"]["trained"]["per_seed"]["measured"]["accuracy"]
    assert len(accs) == 8 and all(0.9 < a <= 1.0 for a in accs)
    assert level["settings"]["trained"]["measured_median"]["accuracy"] > 0.9
