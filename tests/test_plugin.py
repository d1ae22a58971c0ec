import json

import pytest
import torch

CLAIM_FILE = """
import dataclasses
from trainability.systems.transformer import TransformerConfig
from trainability.training.setting import Setting, Crossing
from trainability.tasks import LectureTask
from trainability.decisions.quantities import TypicalRatio

TINY = Setting(model=TransformerConfig(in_dim=3, d_model=8, n_heads=2, n_layers=1, ffn=16),
               task=LectureTask(batch=4, length=3, in_dim=3), steps=30, eval_batches=2, escape=Crossing(window=4))

import pytest

EXPECTED = {"T1": {"*": ("holds", "a faster lr trains further in 30 steps")},
            "T2": {"*": ("refuted", "a tiny lr cannot win in 30 steps")}}

@pytest.mark.claim("T1")
def test_lr_claim(claims):
    claims.decide(title="lr 3e-3 beats lr 1e-6", source="test",
                  settings={"fast": dataclasses.replace(TINY, lr=3e-3), "slow": dataclasses.replace(TINY, lr=1e-6)},
                  parts=[TypicalRatio("fast", "slow", 0.8)], lecture={"slow": 2.31})

@pytest.mark.claim("T2")
def test_expected_refuted(claims):
    claims.decide(title="lr 1e-6 beats lr 3e-3", source="test",
                  settings={"slow": dataclasses.replace(TINY, lr=1e-6), "fast": dataclasses.replace(TINY, lr=3e-3)},
                  parts=[TypicalRatio("slow", "fast", 0.8)])
"""

ARGS = ("--seeds", "8", "--workers", "1", "-p", "no:randomly")


def test_summary_table_and_json_report(pytester):
    pytester.makepyfile(test_claims=CLAIM_FILE)
    report = pytester.path / "out" / "claims.json"
    # In a subprocess: an in-process run would import parts of torch for the first time, and
    # pytester's sys.modules snapshot would unload them, breaking torch's op registry later.
    result = pytester.runpytest_subprocess(*ARGS, "--base-seed", "17", f"--claims-report={report}")
    result.assert_outcomes(passed=1, xfailed=1)
    result.stdout.fnmatch_lines(["trainability: base seed 17, scale cpu*", "*trainability claims*",
                                 "claim [[]rung[]]: VERDICT*", "T1: HOLDS (suite: holds)*expected holds*",
                                 "  fast loss < 0.8 x slow*part holds", "T2: REFUTED*expected refuted*",
                                 "suite level (over the 2 parts of these 2 claims*", "  *hypotheses*pieces of evidence*",
                                 "  Holm, any false verdict <= 0.05: 1 hold, 1 refuted",
                                 "  e-BH, false-discovery rate <= 0.05: 1 hold, 1 refuted*"])
    data = json.loads(report.read_text())
    assert data["base_seed"] == 17 and data["torch_version"] == torch.__version__
    t1 = next(c for c in data["claims"] if c["claim_id"] == "T1")
    for key in ("title", "source", "tier", "verdict", "suite_verdict", "settings", "parts", "n_seeds", "base_seed",
                "seconds", "torch_version", "device", "alpha"):
        assert key in t1, key
    assert t1["verdict"] == "holds" and t1["n_seeds"] == 8 and t1["settings"]["slow"]["lecture"] == 2.31
    assert t1["tier"] == "-" and t1["expected"] == {"verdict": "holds", "why": "a faster lr trains further in 30 steps",
                                            "provenance": "recorded after its first look"}
    assert data["library"]["run_code"] and data["library"]["decide_code"]
    assert {"median", "q1", "q3", "n", "diverged"} <= set(t1["settings"]["fast"])
    assert {"quantity", "estimate", "low", "high", "level", "method", "n", "verdict", "adjusted_verdict",
            "p_value"} <= set(t1["parts"][0])
    assert data["suite"]["method"] == "Holm and e-BH" and data["suite"]["claims"] == 2


def test_a_ladder_module_decides_each_claim_once_per_rung(pytester):
    pytester.makepyfile(test_ladder="""
import pytest
pytestmark = pytest.mark.ladder

@pytest.mark.claim("R")
def test_rung(claims, rung):
    assert claims.tier.name == claims.tier_label == rung

@pytest.mark.claim("S")
def test_other(claims):
    assert claims.tier_label == "-"  # a claim that does not scale
""", test_plain="""
import pytest

@pytest.mark.claim("P")
def test_plain(claims):
    assert claims.tier.name == "proxy" and claims.tier_label == "-"
""")
    result = pytester.runpytest_subprocess("-p", "no:randomly", "--no-store", "--co", "-q", "--scale", "ladder")
    result.stdout.fnmatch_lines(["*test_rung[[]proxy[]]", "*test_rung[[]d32[]]", "*test_rung[[]d64[]]",
                                 "*test_rung[[]d128[]]", "*test_rung[[]lecture[]]", "*test_other[[]lecture[]]",
                                 "*test_plain"])
    result = pytester.runpytest_subprocess("-p", "no:randomly", "--no-store", "--scale", "d64", "-k", "rung")
    result.assert_outcomes(passed=1)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "--no-store", "-k", "plain")
    result.assert_outcomes(passed=1)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "--no-store", "--scale", "huge")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--scale*invalid choice*huge*cpu*ladder*proxy*d32*"])


def test_the_harness_applies_the_files_expectations_and_reports_what_it_lacks(pytester):
    """EXPECTED is read by the fixture: a recorded verdict that comes out differently fails, a
    claim with no entry for its rung asserts nothing and is reported as never measured."""
    wrong = CLAIM_FILE.replace('("refuted", "a tiny lr', '("holds", "a tiny lr')
    pytester.makepyfile(test_claims=wrong)
    result = pytester.runpytest_subprocess(*ARGS)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*T2*REFUTED*"])
    silent = CLAIM_FILE.replace('"T2": {"*":', '"T3": {"*":')
    pytester.makepyfile(test_claims=silent)
    report = pytester.path / "r.json"
    result = pytester.runpytest_subprocess(*ARGS, f"--claims-report={report}")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["T2: REFUTED*never measured*"])
    t2 = next(c for c in json.loads(report.read_text())["claims"] if c["claim_id"] == "T2")
    assert t2["verdict"] == "refuted" and t2["expected"] is None


def test_records_survive_xdist_workers(pytester):
    pytester.makepyfile(test_claims=CLAIM_FILE)
    report = pytester.path / "claims.json"
    result = pytester.runpytest_subprocess(*ARGS, "-n", "2", f"--claims-report={report}")
    result.assert_outcomes(passed=1, xfailed=1)
    assert {c["claim_id"] for c in json.loads(report.read_text())["claims"]} == {"T1", "T2"}


@pytest.mark.parametrize("args, message", [
    (("--seeds", "-1"), "--seeds must be at least 2*got -1"),
    (("--base-seed", "-3"), "--base-seed must be non-negative*"),
    (("--workers", "0"), "--workers must be at least 1*"),
    (("--batch", "-2"), "--batch must be non-negative*"),
    (("--scale", "huge"), "*invalid choice: 'huge' (choose from *cpu*lecture*"),
])
def test_bad_options_fail_before_any_run(pytester, args, message):
    pytester.makepyfile(test_claims=CLAIM_FILE)
    result = pytester.runpytest(*args)
    assert result.ret != 0
    result.stderr.fnmatch_lines([f"*{message}*"])


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised when CUDA is absent")
def test_gpu_without_cuda_is_a_clear_error_not_a_fallback(pytester):
    pytester.makepyfile(test_claims=CLAIM_FILE)
    result = pytester.runpytest("--gpu")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--gpu needs CUDA*no CUDA device*No silent CPU fallback*"])


class _GpuConfig:
    def getoption(self, name, default=None):
        return name == "gpu"


def test_each_xdist_worker_takes_its_own_gpu(monkeypatch):
    from trainability import plugin

    monkeypatch.setattr(torch.cuda, "device_count", lambda: 3)  # as CUDA_VISIBLE_DEVICES leaves them
    for worker, device in [("gw0", "cuda:0"), ("gw2", "cuda:2"), ("gw3", "cuda:0"), ("gw7", "cuda:1")]:
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        assert plugin.device_of(_GpuConfig()) == device


def test_markers_are_registered(pytester):
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.claim(id)*", "@pytest.mark.gpu*", "@pytest.mark.slow*"])


def test_grid_rows_from_several_claims_make_one_table():
    from trainability.report.summary import format_grids

    records = [{"extra": {"grid": "G", "row": "a", "cells": {"x": 0.5, "y": 0.25}}},
               {"extra": {"grid": "G", "row": "b", "cells": {"x": 1.0, "y": 0.125}}}, {"extra": {}}]
    (table,) = format_grids(records)
    lines = table.splitlines()
    assert lines[0] == "G" and lines[1].split() == ["x", "y"]
    assert lines[2].split() == ["a", "0.5", "0.25"] and lines[3].split() == ["b", "1", "0.125"]


NO_RUN = """
import pytest

@pytest.mark.claim("P")
def test_p(claims):
    pass
"""


def test_relative_paths_are_taken_from_where_pytest_started(pytester):
    """--store and --claims-report: one rule (the directory pytest was started in), as --help says."""
    pytester.makeini("[pytest]\n")  # the rootdir is pytester.path
    pytester.makepyfile(test_claims=NO_RUN)
    sub = pytester.mkdir("sub")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(sub)
        result = pytester.runpytest_subprocess(*ARGS, str(pytester.path / "test_claims.py"),
                                               "--store", "runs/s.sqlite", "--claims-report", "out/r.json")
    result.assert_outcomes(passed=1)
    assert (sub / "runs" / "s.sqlite").is_file() and (sub / "out" / "r.json").is_file()
    assert not (pytester.path / "runs").exists()
    assert "relative paths are taken from the directory pytest was started in" in " ".join(
        pytester.runpytest("--help").stdout.lines)


def test_the_default_store_lives_in_the_rootdir(pytester):
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_claims=NO_RUN)
    sub = pytester.mkdir("sub")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(sub)
        result = pytester.runpytest_subprocess(*ARGS, str(pytester.path / "test_claims.py"))
    result.assert_outcomes(passed=1)
    assert (pytester.path / ".trainability" / "runs.sqlite").is_file() and not (sub / ".trainability").exists()


def test_an_unrelated_project_gets_no_store_and_no_torch(pytester):
    pytester.makepyfile(test_plain="import sys\n\ndef test_x():\n    assert 'torch' not in sys.modules\n")
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1)
    assert not (pytester.path / ".trainability").exists()


def test_the_plugin_loads_with_dash_p_when_it_is_also_installed(pytester):
    pytester.makepyfile(test_plain="def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "trainability.plugin")
    result.assert_outcomes(passed=1)
    assert "already registered" not in result.stderr.str()


def test_a_read_only_store_is_refused_before_any_run(pytester, monkeypatch):
    from trainability.runs import store as store_module

    pytester.makepyfile(test_claims=NO_RUN)
    path = pytester.path / "ro.sqlite"
    store_module.RunStore(path).close()
    # root may write any file, so make the store's write refuse as a read-only file's would
    pytester.makeconftest("""
import sqlite3
from trainability.runs import store

class _ReadOnly(sqlite3.Connection):
    def execute(self, sql, *args):
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "CREATE")):
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return super().execute(sql, *args)

_connect = sqlite3.connect
store.sqlite3.connect = lambda *a, **k: _connect(*a, factory=_ReadOnly, **k)
""")
    result = pytester.runpytest_subprocess(*ARGS, "--store", str(path))
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*ro.sqlite is read-only here (attempt to write a readonly database)*"])
    assert "passed" not in result.stdout.str()


def test_the_claim_id_comes_from_the_marker_with_parameters_filled_in(pytester):
    pytester.makepyfile(test_ids="""
import pytest

@pytest.mark.claim("X-{kind}")
@pytest.mark.parametrize("kind", ["a", "b"])
def test_marked(claims, kind):
    assert claims.id == f"X-{kind}" and claims.base_seed == 5

def test_unmarked(claims):
    pass

@pytest.mark.claim("Y-{nope}")
def test_bad_template(claims):
    pass
""")
    result = pytester.runpytest_subprocess("--no-store", "--base-seed", "5", "-p", "no:randomly")
    result.assert_outcomes(passed=2, errors=2)
    result.stdout.fnmatch_lines(["*mark it with @pytest.mark.claim*", "*names 'nope'*not one of the test's parameters*"])


def test_the_slow_marker_selects_the_slow_claims(pytestconfig):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "pytest", "claims/", "--co", "-q", "-m", "slow", "-p", "no:randomly"],
                         cwd=str(pytestconfig.rootpath), capture_output=True, text=True)
    selected = [line for line in out.stdout.splitlines() if "::" in line]
    assert selected and all("claims/" in s for s in selected), out.stdout + out.stderr


def test_the_plugins_scales_are_the_tiers():
    from trainability.plugin import RUNGS, SCALES
    from trainability.studies.rungs import SCALES as TIER_SCALES, TIERS

    assert RUNGS == tuple(TIERS) and SCALES == TIER_SCALES


def test_the_lectures_numbers_stand_beside_ours():
    from trainability.report.summary import format_lecture_rows

    s = {"lecture": 0.1, "n": 24, "median": 3.3, "q1": 0.12, "q3": 3.5, "escaped": 11}
    records = [{"tier": "cpu", "settings": {"warm": dict(s, n=12)}}, {"tier": "cpu", "settings": {"warm": s, "x": {
        "lecture": None, "n": 3}}}]
    lines = format_lecture_rows(records).splitlines()
    assert len(lines) == 3 and lines[1] == "other" and lines[2].split() == ["warm", "cpu", "0.1", "3.3", "0.12-3.5",
                                                                            "11/24", "[0.28,", "0.65]"]
    records[1]["settings"]["xavier_uniform"] = dict(s, lecture=0.191)
    records.append({"tier": "d64", "settings": {"xavier_uniform": dict(s, median=0.2, escaped=24)}})
    lines = format_lecture_rows(records).splitlines()
    at = lines.index("table 2")  # one line per rung, the lecture's number once
    assert lines[at + 1].split()[:3] == ["xavier_uniform", "cpu", "0.191"]
    assert lines[at + 2].split() == ["d64", "0.2", "0.12-3.5", "24/24", "[0.86,", "1.00]"]
    assert format_lecture_rows([{"tier": "cpu", "settings": {}}]) is None
