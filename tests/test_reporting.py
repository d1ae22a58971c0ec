"""What a reader sees after a run: the Markdown report and its figures, report-to-report
comparison, and one report and run store from a suite split across machines (pytest-split)."""

import copy
import json
import sqlite3
import subprocess
import sys

import pytest

from trainability import cli
from trainability.report.compare import compare, merge_reports, replication
from trainability.report.markdown import ReportError, check_report, percentile

CLAIMS = """
import dataclasses
import pytest
from trainability.systems.transformer import TransformerConfig
from trainability.decisions.quantities import TypicalRatio
from trainability.decisions.verdicts import Design
from trainability.training.setting import Setting, Crossing
from trainability.tasks import LectureTask

TINY = Setting(model=TransformerConfig(in_dim=3, d_model=8, n_heads=2, n_layers=1, ffn=16),
               task=LectureTask(batch=4, length=3, in_dim=3), steps=30, eval_batches=2, escape=Crossing(window=4))
FAST, SLOW = "lr 1e-3, 1% warm-up", "lr 1e-5, no warm-up"  # two of the lecture's table-1 rows, by name
SETTINGS = {FAST: dataclasses.replace(TINY, lr=3e-3), SLOW: dataclasses.replace(TINY, lr=1e-6)}

pytestmark = pytest.mark.ladder  # decided per rung of the scale, as the lecture's claims are
DESIGN = Design(start=8, step=8, cap=8)  # one look at 8 seeds

EXPECTED = {"R1": {"*": ("holds", "a faster lr trains further in 30 steps")},
            "R2": {"*": ("refuted", "a tiny lr cannot win in 30 steps")},
            "R3": {"*": ("not holds", "A/A placebo")}}

@pytest.mark.claim("R1")
def test_fast(claims):
    claims.decide(title="fast beats slow", source="test", settings=SETTINGS, design=DESIGN,
                  parts=[TypicalRatio(FAST, SLOW, 0.8)], lecture={FAST: 0.10, SLOW: 2.31})

@pytest.mark.claim("R2")
def test_slow(claims):
    claims.decide(title="slow beats fast", source="test", settings=SETTINGS, design=DESIGN,
                  parts=[TypicalRatio(SLOW, FAST, 0.8)], lecture={FAST: 0.10, SLOW: 2.31})

@pytest.mark.claim("R3")
def test_placebo(claims):
    claims.placebo("a", SETTINGS[FAST], title="A/A", source="test", design=DESIGN)
"""
ARGS = ["--workers", "1", "-p", "no:randomly", "-q"]


def _pytest(cwd, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "test_r.py", *ARGS, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One CPU-tier session of three tiny claims, with its JSON and Markdown reports."""
    d = tmp_path_factory.mktemp("suite")
    (d / "test_r.py").write_text(CLAIMS)
    done = _pytest(d, "--store=runs.sqlite", "--claims-report=out/claims.json", "--claims-markdown=report")
    assert done.returncode == 0, done.stdout + done.stderr
    return d, json.loads((d / "out" / "claims.json").read_text()), done.stdout


def test_the_markdown_report_has_every_section_and_figure(run):
    d, report, stdout = run
    text = (d / "report" / "README.md").read_text()
    for needle in ("| base seed | 0 |", "| scale | cpu |", "| rungs | proxy |", "| torch |", "git ", "run code ",
                   "Suite level, over both sides of every part", "under Holm", "under e-BH", "| [R1](#r1-proxy) | proxy | **holds** | holds |", "(#r3-proxy) (placebo)",
                   "### R1 [proxy]", "### R3 [proxy]", "typical seed", "expected **refuted** (", "a tiny lr cannot win",
                   "## The lecture's tables beside ours", "| table 1: row | lecture |",
                   "| lr 1e-3, 1% warm-up | 0.1 | proxy |", "R1 (holds), R2 (refuted)"):
        assert needle in text, needle
    pngs = {"forest.png", "table1-proxy-loss.png", "table1-proxy-escape.png", "claim-R3_proxy-loss.png"}
    for name in pngs:
        assert (d / "report" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert f"]({name})" in text
    assert not (d / "report" / "influence.png").exists()  # L11's figure only in a report with L11 claims
    assert "claims markdown:" in stdout


def test_the_json_keeps_per_seed_values_curves_and_versions(run):
    _, report, _ = run
    assert report["schema"] == 4 and report["library"]["code"] and report["rungs"] == ["proxy"]
    assert report["library"]["run_code"] and report["library"]["decide_code"]
    s = report["claims"][0]["settings"]["lr 1e-3, 1% warm-up"]
    assert len(s["per_seed"]["final"]) == s["n"] == len(s["per_seed"]["seed"])
    assert len(s["curve"]["median"]) == 30 and s["curve"]["step"][-1] == 30
    assert sorted(s["per_seed"]["final"])[len(s["per_seed"]["final"]) // 2] == pytest.approx(s["median"], rel=0.5)


def test_the_terminal_summary_fits_100_columns(run):
    _, _, stdout = run
    table = stdout[stdout.index("claim [rung]"):stdout.index("claims report:")]
    assert max(map(len, table.splitlines())) <= 100
    assert "R1 [proxy]: HOLDS" in table and "part holds" in table and "expected holds" in table


def test_compare_exits_0_on_identical_reports_and_1_on_a_changed_verdict(run, tmp_path, capsys):
    d, report, _ = run
    old = d / "out" / "claims.json"
    assert cli.main(["compare", str(old), str(old)]) == 0
    assert "No verdict changed" in capsys.readouterr().out
    altered = copy.deepcopy(report)
    r1 = next(c for c in altered["claims"] if c["claim_id"] == "R1")
    r1["verdict"] = r1["parts"][0]["verdict"] = "refuted"
    r1["parts"][0]["estimate"] = r1["parts"][0]["low"] = r1["parts"][0]["high"] = 0.0
    new = tmp_path / "new.json"
    new.write_text(json.dumps(altered))
    assert cli.main(["compare", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert "| R1 | proxy |" in out and "holds -> refuted" in out and "torch" in out
    result = compare(report, altered)
    assert result["changed"] and [r["claim"] for r in result["rows"]] == ["R1"]


@pytest.mark.parametrize("change, message", [
    (lambda r: r.update(base_seed=1), "differ in base_seed: 0 vs 1"),
    (lambda r: r.update(scale="ladder"), "differ in scale"),
    (lambda r: r.update(schema=99), "newer than this library reads"),
    (lambda r: r.pop("claims"), "not a trainability claims report")])
def test_compare_refuses_reports_it_cannot_compare(run, tmp_path, capsys, change, message):
    d, report, _ = run
    other = copy.deepcopy(report)
    change(other)
    path = tmp_path / "other.json"
    path.write_text(json.dumps(other))
    assert cli.main(["compare", str(d / "out" / "claims.json"), str(path)]) == 2
    assert message in capsys.readouterr().err


def test_a_part_without_trials_is_reported_not_a_crash(run, tmp_path, capsys):
    """An escape gain where no seed pair is discordant (every run escapes both ways) has no trials:
    its estimate is nan, stored in JSON as "nan". The terminal table, the Markdown report, the
    comparison and the forest plot each say so instead of failing (a lecture-rung run found this)."""
    from trainability.decisions.quantities import EscapeGain
    from trainability.report.summary import format_table, jsonable
    from trainability.decisions.sequential import SequentialTest
    from trainability.decisions.verdicts import part_record

    d, report, _ = run
    test = SequentialTest(0.5, 0.05, [8])
    test.look(8, 0, 0)
    empty = jsonable(part_record(EscapeGain("a", "b"), test, 8, 0, 0, 0))
    assert empty["estimate"] == "nan" and empty["n"] == 0 and empty["verdict"] == "inconclusive"
    altered = copy.deepcopy(report)
    r1 = next(c for c in altered["claims"] if c["claim_id"] == "R1")
    r1["verdict"], r1["parts"] = "inconclusive", [empty]
    assert "no trials (n 0) vs 0.5" in format_table(altered["claims"])
    path = tmp_path / "empty.json"
    path.write_text(json.dumps(altered))
    assert cli.main(["report", str(path), "-o", str(tmp_path / "md")]) == 0
    assert "no trials (n 0) vs 0.5" in (tmp_path / "md" / "README.md").read_text()
    assert (tmp_path / "md" / "forest.png").read_bytes()[:4] == b"\x89PNG"
    assert cli.main(["compare", str(path), str(path)]) == 0  # nan against nan has not moved
    assert cli.main(["compare", str(d / "out" / "claims.json"), str(path)]) == 1
    assert "holds -> inconclusive" in capsys.readouterr().out


def test_bad_input_to_the_commands_is_named(tmp_path, capsys):
    assert cli.main(["report", str(tmp_path / "missing.json"), "-o", str(tmp_path / "r")]) == 2
    assert "no report at" in capsys.readouterr().err
    (tmp_path / "x.json").write_text("not json")
    assert cli.main(["report", str(tmp_path / "x.json"), "-o", str(tmp_path / "r")]) == 2
    assert "not JSON" in capsys.readouterr().err and not (tmp_path / "r").exists()
    with pytest.raises(ReportError, match="not a trainability claims report"):
        check_report({"foo": 1})


def test_merging_refuses_a_claim_decided_twice_and_other_library_versions(run):
    _, report, _ = run
    with pytest.raises(ReportError, match=r"claim R1 \[proxy\] is in both a.json and b.json"):
        merge_reports([report, report], ["a.json", "b.json"])
    other = copy.deepcopy(report)
    other["library"]["code"] = "0000"
    other["claims"] = []
    with pytest.raises(ReportError, match="different library versions"):
        merge_reports([report, other], ["a.json", "b.json"])


def test_two_shards_merged_give_the_unsplit_verdicts(run, tmp_path):
    d, unsplit, _ = run
    for k in (1, 2):
        done = _pytest(d, "--splits", "2", "--group", str(k), f"--store=shard{k}.sqlite",
                       f"--claims-report=shard{k}.json")
        assert done.returncode == 0, done.stdout + done.stderr
    shards = [json.loads((d / f"shard{k}.json").read_text()) for k in (1, 2)]
    assert all(s["claims"] for s in shards)  # each shard decided something
    out = tmp_path / "merged.json"
    assert cli.main(["merge", str(d / "shard1.json"), str(d / "shard2.json"), "-o", str(out),
                     "--store", str(tmp_path / "merged.sqlite"), "--stores", str(d / "shard1.sqlite"),
                     str(d / "shard2.sqlite")]) == 0
    merged = json.loads(out.read_text())
    verdicts = lambda r: {(c["claim_id"], c["tier"]): (c["verdict"], c["suite_verdict"]) for c in r["claims"]}  # noqa: E731
    assert verdicts(merged) == verdicts(unsplit)
    assert merged["suite"] == unsplit["suite"]
    count = lambda p: sqlite3.connect(p).execute("SELECT COUNT(*) FROM runs").fetchone()[0]  # noqa: E731
    assert count(tmp_path / "merged.sqlite") == count(d / "runs.sqlite")  # no run lost or duplicated


def test_merging_stores_refuses_a_conflicting_run(run, tmp_path, capsys):
    d, _, _ = run
    bad = tmp_path / "bad.sqlite"
    db = sqlite3.connect(d / "runs.sqlite")
    db.execute(f"VACUUM INTO '{bad}'")
    db.close()
    db = sqlite3.connect(bad)
    key, result = db.execute("SELECT key, result FROM runs LIMIT 1").fetchone()
    data = json.loads(result)
    data["test_loss"] = 123.0
    db.execute("UPDATE runs SET result = ? WHERE key = ?", (json.dumps(data), key))
    db.commit()
    db.close()
    report = str(d / "out" / "claims.json")
    code = cli.main(["merge", report, "-o", str(tmp_path / "m.json"), "--store", str(tmp_path / "m.sqlite"),
                     "--stores", str(d / "runs.sqlite"), str(bad)])
    assert code == 2
    err = capsys.readouterr().err
    assert "differs between" in err and "runs.sqlite" in err and "bad.sqlite" in err
    assert not (tmp_path / "m.json").exists() and not (tmp_path / "m.sqlite").exists()


def test_where_the_lectures_number_falls_among_our_seeds():
    assert percentile(0.5, [0.1, 0.2, 0.6, 0.7]) == 50.0
    assert percentile(3.5, [0.1, "inf"]) == 50.0 and percentile(0.0, [0.1]) == 0.0


def test_the_session_progress_line_counts_claims_and_estimates_the_time_left():
    import io

    from trainability.runs.progress import RUNS, SessionProgress

    out = io.StringIO()
    p = SessionProgress(total=4, every=30, emit=lambda line: out.write(line + "\n"))
    p.start, p.last = 1000.0, 1e12  # no line is due while the claims start and finish
    assert "0/4 claims, 10s elapsed, estimating" in p.line(now=1010.0)
    p.started("test_a")
    p.started_current = 1010.0
    RUNS.update(done=3, asked=12)
    p.finished()
    p.started("test_b")
    p.started_current = 1050.0
    RUNS.update(done=5, asked=24)
    line = p.line(now=1060.0)
    assert "[#####---------------] 1/4 claims, 1m00s elapsed, ~3m00s left; now test_b (10s, runs 5/24)" in line
    p.last = 1000.0
    p.maybe_emit(now=1020.0)
    assert out.getvalue() == ""  # not yet due
    p.maybe_emit(now=1060.0)
    assert out.getvalue() == line + "\n"


def test_a_long_session_prints_progress_lines(run):
    # the line's content is tested above; here, that the option reaches the plugin and lines appear
    d = run[0]
    done = _pytest(d, "--no-store", "--progress-every", "0.05")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[trainability] [" in done.stdout and "claims," in done.stdout


def test_merging_stores_names_a_missing_store_and_other_code_versions(run, tmp_path, capsys):
    d, _, _ = run
    report = str(d / "out" / "claims.json")
    args = ["merge", report, "-o", str(tmp_path / "m.json"), "--store", str(tmp_path / "m.sqlite"), "--stores"]
    assert cli.main(args + [str(d / "runs.sqlite"), str(tmp_path / "nope.sqlite")]) == 2
    assert "no run store at" in capsys.readouterr().err
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(d / "runs.sqlite")
    db.execute(f"VACUUM INTO '{other}'")
    db.close()
    db = sqlite3.connect(other)
    db.execute("UPDATE runs SET code = 'older'")
    db.commit()
    db.close()
    assert cli.main(args + [str(d / "runs.sqlite"), str(other)]) == 2
    err = capsys.readouterr().err
    assert "different versions of the run code" in err and "older" in err
    assert not (tmp_path / "m.sqlite").exists() and not (tmp_path / "m.json").exists()


def test_a_replication_separates_hard_flips_from_moves_and_says_what_power_expected(run, tmp_path, capsys):
    d, report, _ = run
    old = d / "out" / "claims.json"
    with pytest.raises(ReportError, match="fresh seeds"):
        replication(report, report)
    again = copy.deepcopy(report)
    again["base_seed"] = 21
    path = tmp_path / "replicated.json"
    path.write_text(json.dumps(again))
    assert cli.main(["compare", "--replication", str(old), str(path)]) == 0
    assert "0 moved to or from inconclusive, 0 hard flips" in capsys.readouterr().out
    r1, r2 = (next(c for c in again["claims"] if c["claim_id"] == k) for k in ("R1", "R2"))
    r1["verdict"] = r1["parts"][0]["verdict"] = "refuted"  # holds -> refuted: a hard flip
    r2["verdict"] = r2["parts"][0]["verdict"] = "inconclusive"  # refuted -> inconclusive: a move
    path.write_text(json.dumps(again))
    assert cli.main(["compare", "--replication", str(old), str(path)]) == 1
    out = capsys.readouterr().out
    assert "1 moved to or from inconclusive, 1 hard flips" in out
    assert "| R1 | proxy | holds -> refuted (hard flip) | 8 -> 8 |" in out and "(move)" in out
    result = replication(report, again)
    from trainability.decisions.sequential import operating

    first = next(c for c in report["claims"] if c["claim_id"] == "R1")["parts"][0]
    row = next(r for r in result["rows"] if r["claim"] == "R1")
    # the design's one look of 8 seeds at R1's estimate as the true share: its chance to hold again
    assert row["parts"][0]["expected"] == pytest.approx(operating([8], 0.5, first["estimate"])["holds"])
    assert all(0 <= p["expected"] <= 1 for r in result["rows"] for p in r["parts"] if p["expected"] is not None)


def test_reports_of_two_rungs_merge_into_one_family(run):
    _, report, _ = run
    other = copy.deepcopy(report)
    other["scale"], other["rungs"] = "d32", ["d32"]
    for c in other["claims"]:
        c["tier"] = "d32"
    merged = merge_reports([report, other], ["proxy.json", "d32.json"])
    assert merged["scale"] == "cpu+d32" and merged["rungs"] == ["proxy", "d32"]
    assert merged["suite"]["parts"] == 2 * report["suite"]["parts"]
    other["base_seed"] = 5
    with pytest.raises(ReportError, match="differ in base_seed"):
        merge_reports([report, other], ["proxy.json", "d32.json"])
