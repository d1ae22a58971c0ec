"""The committed reports (docs/reports/<name>/) agree with the claim files and the code, without
training anything: each report's verdicts are its claims' EXPECTED at their rungs, it was made by
the current run code and decision code, each claim has its section, the claim files' links into
the reports resolve, and EXPECTED's reasons carry no counts (the numbers are the reports')."""

import re
from pathlib import Path

import pytest

from trainability.report.markdown import anchor, heading
from trainability.report.status import agrees, expectations, reports, status
from trainability.runs.keys import CODE_VERSION, PACKAGE, decide_version

ROOT = Path(__file__).parents[1]
CLAIMS, REPORTS = ROOT / "claims", ROOT / "docs" / "reports"
REGENERATE = "regenerate it with `bash scripts/reports.sh {name}` (seconds from a run store that has its runs)"
LINK = re.compile(r"(docs/reports/[\w@.-]+/README\.md)((?:#[\w-]+)?)|(?<![\w/])(#[a-z0-9][\w-]*)")


def test_there_are_committed_reports_for_the_cpu_tier_and_another_rung():
    assert {"proxy", "d32"} <= set(reports(REPORTS))


@pytest.mark.parametrize("name", sorted(reports(REPORTS)))
def test_a_committed_report_was_made_by_the_current_code(name):
    lib = reports(REPORTS)[name]["library"]
    assert lib.get("run_code") == CODE_VERSION, (
        f"docs/reports/{name} was made by run code {lib.get('run_code')}, the current one is {CODE_VERSION}: "
        + REGENERATE.format(name=name))
    assert lib.get("decide_code") == decide_version(), (
        f"docs/reports/{name} was decided by decision code {lib.get('decide_code')}, the current one is "
        f"{decide_version()}: " + REGENERATE.format(name=name))


@pytest.mark.parametrize("name", sorted(reports(REPORTS)))
def test_the_systems_a_report_used_have_not_changed_since(name):
    """Beyond the shared run code a claim's runs used their system's own file (e.g. systems/cnn.py):
    each claim records its hash, and an edit to that file shows the report stale."""
    import hashlib

    changed = sorted({f"{path} (claim {r['claim_id']})" for r in reports(REPORTS)[name]["claims"]
                      for path, digest in (r.get("code") or {}).items()
                      if not (PACKAGE / path).is_file()
                      or hashlib.sha256((PACKAGE / path).read_bytes()).hexdigest()[:16] != digest})
    assert not changed, f"docs/reports/{name}: changed since: {changed}; " + REGENERATE.format(name=name)


@pytest.mark.parametrize("name", sorted(reports(REPORTS)))
def test_a_committed_reports_verdicts_are_the_files_expectations(name):
    rows = [r for r in status(CLAIMS, REPORTS) if r["report"] == name]
    assert rows
    unexpected = [f"{r['claim']} [{r['rung']}]: measured {r['verdict']}, nothing expected there" for r in rows
                  if r["expected"] is None]
    differ = [f"{r['claim']} [{r['rung']}]: measured {r['verdict']}, expected {r['expected']}" for r in rows
              if r["expected"] is not None and not agrees(r)]
    assert not unexpected + differ, ("\n".join(unexpected + differ) + "\nrecord the verdict in the claim file's "
                                     "EXPECTED, or " + REGENERATE.format(name=name))


@pytest.mark.parametrize("name", sorted(reports(REPORTS)))
def test_every_claim_of_a_report_has_its_section(name):
    text = (REPORTS / name / "README.md").read_text()
    headings = {anchor(h) for h in re.findall(r"^### (.+)$", text, flags=re.M)}
    missing = [heading(r) for r in reports(REPORTS)[name]["claims"] if anchor(heading(r)) not in headings]
    assert not missing, f"docs/reports/{name}/README.md lacks sections for {missing}: " + REGENERATE.format(name=name)


def _links(text: str) -> list[tuple[str, str]]:
    """(report file, anchor) for every link into the reports; a bare #anchor belongs to the last file named."""
    out, current = [], None
    for path, frag, bare in LINK.findall(text):
        if path:
            current = path
            if frag:
                out.append((path, frag[1:]))
        elif current is not None:
            out.append((current, bare[1:]))
    return out


def test_the_claim_files_links_into_the_reports_resolve():
    found, broken = 0, []
    for path in sorted(CLAIMS.rglob("test_*.py")):
        text = path.read_text()
        broken += [f"{path.relative_to(ROOT)}: {report} (no such report)" for report, _, _ in LINK.findall(text)
                   if report and not (ROOT / report).is_file()]
        for report, frag in _links(text):
            found += 1
            target = ROOT / report
            headings = {anchor(h) for h in re.findall(r"^### (.+)$", target.read_text(), flags=re.M)} if \
                target.is_file() else set()
            if frag not in headings:
                broken.append(f"{path.relative_to(ROOT)}: {report}#{frag}")
    assert found > 20 and not broken, broken


def test_the_link_reader_sees_bare_anchors():
    text = "Measured: docs/reports/proxy/README.md#a-proxy, #b-proxy; docs/reports/d32/README.md#a-d32."
    assert _links(text) == [("docs/reports/proxy/README.md", "a-proxy"), ("docs/reports/proxy/README.md", "b-proxy"),
                            ("docs/reports/d32/README.md", "a-d32")]


COUNT = re.compile(r"\b\d+\s*/\s*\d+\b|\b\d+ of \d+\b|\b\d+\.\d+\b")


def test_expected_reasons_name_a_mechanism_not_counts():
    counted = {f"{claim} [{rung}]": why for claim, entries in expectations(CLAIMS).items()
               for rung, (_, why, *_) in entries.items() if COUNT.search(why)}
    assert not counted, f"an EXPECTED reason is one mechanism sentence without counts (the reports have them): {counted}"
    assert COUNT.search("escaped on 8/48 seeds") and COUNT.search("11 of 12") and not COUNT.search("lr 1e-3, 6 layers")
