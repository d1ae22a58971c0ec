"""The controller side of the plugin: collects the claims' records from test reports (this
process's, or xdist workers' through ``user_properties``), prints the summary table and writes the
JSON and Markdown reports. Standard library and pytest at import time; the report code
(trainability.report) formats.
"""

from __future__ import annotations

import os
import platform
import time
from importlib import metadata

import pytest

from ..report.summary import (RECORD_KEY, adjust, format_grids, format_lecture_rows, format_table, suite_lines,
                              write_json)


class Recorder:
    """Collects claim records from test reports (this process's, or xdist workers' through
    ``user_properties``), prints the summary table and writes the JSON report."""

    def __init__(self, config: pytest.Config, scale: str):
        self.config, self.scale, self.records, self.start = config, scale, [], time.time()
        self.progress = None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if hasattr(self.config, "workerinput") or self.config.getoption("collectonly"):
            return
        claims = [item for item in session.items if item.get_closest_marker("claim") is not None]
        self.claim_ids = {item.nodeid for item in claims}
        if claims:
            from ..runs.progress import SessionProgress

            emit = _terminal_line(self.config)
            self.progress = SessionProgress(len(claims), self.config.getoption("progress_every"), emit).begin()

    def pytest_runtest_logstart(self, nodeid: str, location) -> None:
        if self.progress is not None and nodeid in self.claim_ids:
            self.progress.started(nodeid.split("::")[-1])

    def pytest_runtest_logfinish(self, nodeid: str, location) -> None:
        if self.progress is not None and nodeid in self.claim_ids:
            self.progress.finished()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        for key, value in report.user_properties:
            if key == RECORD_KEY:
                self.records.append(dict(value, nodeid=report.nodeid, outcome=report.outcome))

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.records:
            return
        from ..studies.rungs import TIERS

        tr = terminalreporter
        tr.section("trainability claims")
        tr.write_line(f"base seed {self.config.getoption('base_seed')}, scale {self.scale}:")
        for name in dict.fromkeys(r["tier"].split("@")[0] for r in self.records):
            if name in TIERS:  # the rungs the records ran at (a claim that does not scale has none)
                tr.write_line(f"  {name}: {TIERS[name].note}")
        suite = adjust(self.records)
        tr.write_line(format_table(self.records))
        for line in suite_lines(suite):
            tr.write_line(line)
        lecture = format_lecture_rows(self.records)
        for table in ([lecture] if lecture else []) + format_grids(self.records):
            tr.write_line("")
            tr.write_line(table)
        if self.config.getoption("claims_report"):
            tr.write_line(f"claims report: {self.config.getoption('claims_report')}")

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus) -> None:
        if self.progress is not None:
            self.progress.stop()
        path, markdown = self.config.getoption("claims_report"), self.config.getoption("claims_markdown")
        if not (path or markdown) or hasattr(self.config, "workerinput"):
            return  # xdist workers send their records to the controller, which writes the report
        report = self.report(exitstatus)
        if path:
            write_json(path, report)
        if markdown:
            from ..report.markdown import write

            readme = write(report, markdown)
            tr = self.config.pluginmanager.get_plugin("terminalreporter")
            if tr is not None:
                tr.write_line(f"claims markdown: {readme}")

    def report(self, exitstatus) -> dict:
        """The JSON report: the run's header and every claim's record."""
        from ..numerics import numerics
        from ..report.markdown import SCHEMA
        from ..studies.rungs import rungs_of

        suite = adjust(self.records) if self.records else None
        return {
            "schema": SCHEMA, "base_seed": self.config.getoption("base_seed"), "scale": self.scale,
            "rungs": [t.name for t in rungs_of(self.scale)], "seeds_cap": self.config.getoption("seeds"),
            "device": device_kind(self.config), "numerics": numerics(device_of(self.config)), "suite": suite,
            "torch_version": torch_version(),
            "python": platform.python_version(), "library": library_info(str(self.config.rootpath)),
            "seconds": time.time() - self.start, "exit_status": int(exitstatus), "claims": self.records,
        }


def _terminal_line(config: pytest.Config):
    """A function writing one line to the terminal with output capture lifted (main thread only),
    on a fresh line also after -q's progress dots; None without a terminal reporter."""
    tr = config.pluginmanager.get_plugin("terminalreporter")
    capman = config.pluginmanager.get_plugin("capturemanager")
    if tr is None:
        return None

    def emit(line: str) -> None:
        if capman is not None:
            with capman.global_and_fixture_disabled():
                tr.write_line(("\n" if tr._tw.width_of_current_line else "") + line)
        else:
            tr.write_line(line)

    return emit


def device_of(config: pytest.Config) -> str:
    """cuda:k for xdist worker gw<i> (k = i mod visible devices) with --gpu, else cpu."""
    if not config.getoption("gpu"):
        return "cpu"
    import torch

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    return f"cuda:{index % torch.cuda.device_count()}"


def device_kind(config: pytest.Config) -> str:
    if not config.getoption("gpu"):
        return "cpu"
    import torch

    return f"cuda ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else "cuda"


def torch_version() -> str:
    try:
        return metadata.version("torch")  # without importing torch
    except metadata.PackageNotFoundError:
        return "not installed"


def library_info(root: str) -> dict:
    """The library's version, hashes of its code (runs.keys: the whole package, the run code, the
    decision code) and the git commit of ``root`` when it is a checkout ("+dirty" when tracked
    files differ from it; None outside git)."""
    import subprocess

    from .. import __version__
    from ..runs.keys import CODE_VERSION, decide_version, library_version

    try:
        git = lambda *a: subprocess.run(["git", *a], cwd=root, capture_output=True, text=True, timeout=10).stdout  # noqa: E731
        commit = git("rev-parse", "HEAD").strip() or None
        if commit and git("status", "--porcelain", "--untracked-files=no").strip():
            commit += "+dirty"  # the working tree differs from the commit
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"version": __version__, "code": library_version(), "run_code": CODE_VERSION, "decide_code": decide_version(),
            "git_commit": commit}
