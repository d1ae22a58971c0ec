"""pytest plugin: options, markers, the ``claims`` fixture, and the hooks that collect claim
records into the summary table and the JSON report.

Loaded through the ``pytest11`` entry point (named ``trainability.plugin``) when installed, or
with ``-p trainability.plugin`` from a source checkout. Installed, it is loaded by every pytest
session in the environment, so this module imports only pytest and the standard library: torch
and the rest of the library load when a test first asks for the ``claims`` fixture (session.py),
and the report is formatted by report.py.
"""

from __future__ import annotations

import os
import platform
import time
from importlib import metadata

import pytest

from .report import RECORD_KEY, adjust, format_grids, format_lecture_rows, format_table, write_json
# = tiers.TIERS and tiers.SCALES, kept here as plain data so that loading the plugin imports no torch
# (tests/test_plugin.py checks they agree)
RUNGS = ("proxy", "d32", "d64", "d128", "lecture")
SCALES = {"cpu": ("proxy",), "ladder": RUNGS, **{name: (name,) for name in RUNGS}}
PATHS = ("relative paths are taken from the directory pytest was started in")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("trainability", f"trainability claims ({PATHS})")
    group.addoption("--gpu", action="store_true", help="run claims on CUDA, every rung of the ladder by default "
                                                       "(errors without CUDA)")
    group.addoption("--scale", choices=list(SCALES), default=None,
                    help="the rungs claims run at: cpu (the proxy rung, default), ladder (every rung, default with "
                         f"--gpu) or one rung ({', '.join(RUNGS)}); see trainability.tiers for the rule")
    group.addoption("--seeds", type=int, default=None, metavar="N", help="cap on paired seeds per claim (>= 2)")
    group.addoption("--base-seed", type=int, default=0, metavar="N", help="base seed; per-claim seeds derive from it")
    group.addoption("--claims-report", default=None, metavar="PATH",
                    help=f"write the claims' JSON report here ({PATHS})")
    group.addoption("--claims-markdown", default=None, metavar="DIR",
                    help=f"write the Markdown report with its figures into DIR (DIR/README.md; {PATHS})")
    group.addoption("--workers", type=int, default=None, metavar="N",
                    help="CPU processes per pytest process for runs (default: cores / xdist workers)")
    group.addoption("--store", default=None, metavar="PATH",
                    help="SQLite store of finished runs, shared by claims, workers and sessions "
                         f"(default: .trainability/runs.sqlite in pytest's rootdir; {PATHS})")
    group.addoption("--no-store", action="store_true", help="neither read nor write the run store")
    group.addoption("--refresh", action="store_true", help="recompute every run and overwrite the store's copy")
    group.addoption("--progress-every", type=float, default=20.0, metavar="SECONDS",
                    help="a session progress line on the terminal every SECONDS: claims done / total, time left, the "
                         "claim running now (default 20; 0: none)")
    group.addoption("--batch", type=int, default=64, metavar="N",
                    help="most runs trained as one batched computation (default 64; 0: one plain loop per run)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "claim(id): a test that decides the claim with this id (a {param} in the id "
                                       "takes the value of the test's parameter)")
    config.addinivalue_line("markers", "gpu: needs CUDA (run with --gpu)")
    config.addinivalue_line("markers", "ladder: claims decided once per rung of the session's scale (the test "
                                       "gets a [rung] id)")
    config.addinivalue_line("markers", "slow: over a minute on the CPU tier (-m 'not slow' skips them)")
    seeds, base, workers = (config.getoption(o) for o in ("seeds", "base_seed", "workers"))
    if seeds is not None and seeds < 2:
        raise pytest.UsageError(f"--seeds must be at least 2 (a paired comparison needs two seeds), got {seeds}")
    if base < 0:
        raise pytest.UsageError(f"--base-seed must be non-negative, got {base}")
    if workers is not None and workers < 1:
        raise pytest.UsageError(f"--workers must be at least 1, got {workers}")
    if config.getoption("batch") < 0:
        raise pytest.UsageError(f"--batch must be non-negative (0: plain loop), got {config.getoption('batch')}")
    # One rule for paths: relative to where pytest started; resolved once, so xdist workers agree.
    started = str(config.invocation_params.dir)
    store = config.getoption("store") or os.path.join(str(config.rootpath), ".trainability", "runs.sqlite")
    config.option.store = os.path.join(started, store)
    for option in ("claims_report", "claims_markdown"):
        if config.getoption(option):
            setattr(config.option, option, os.path.join(started, config.getoption(option)))
    if not config.getoption("no_store") and os.path.exists(config.option.store):
        from .store import RunStore, StoreError

        try:  # refuse a corrupt, foreign or read-only store before any run starts
            RunStore(config.option.store).close()
        except StoreError as e:
            raise pytest.UsageError(str(e)) from None
    if config.getoption("gpu"):
        import torch

        if not torch.cuda.is_available():
            raise pytest.UsageError(
                f"--gpu needs CUDA, but torch {torch.__version__} sees no CUDA device "
                f"(torch.version.cuda={torch.version.cuda}); run without --gpu for the CPU tier, or "
                "--scale lecture to run the lecture's scale on the CPU (slow). No silent CPU fallback.")
    config.pluginmanager.register(Recorder(config), "trainability-recorder")


def scale_of(config: pytest.Config) -> str:
    return config.getoption("scale") or ("ladder" if config.getoption("gpu") else "cpu")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test in a ``ladder`` module that decides a claim runs once per rung of the scale."""
    if "claims" in metafunc.fixturenames and metafunc.definition.get_closest_marker("ladder"):
        rungs = SCALES[scale_of(metafunc.config)]
        metafunc.parametrize("rung", rungs, ids=rungs)


def device_of(config: pytest.Config) -> str:
    """cuda:k for xdist worker gw<i> (k = i mod visible devices) with --gpu, else cpu."""
    if not config.getoption("gpu"):
        return "cpu"
    import torch

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    return f"cuda:{index % torch.cuda.device_count()}"


def _torch_version() -> str:
    try:
        return metadata.version("torch")  # without importing torch
    except metadata.PackageNotFoundError:
        return "not installed"


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"trainability: base seed {config.getoption('base_seed')}, scale {scale_of(config)}, "
            f"device {device_of(config)}, torch {_torch_version()}"]


@pytest.fixture(scope="session")
def claims_session(pytestconfig: pytest.Config):
    """Per-process state of the claims (session.ClaimSession): tier, base seed, runner, store."""
    from .session import ClaimSession

    c = pytestconfig
    session = ClaimSession(scale=scale_of(c), device=device_of(c), base_seed=c.getoption("base_seed"),
                           seeds_cap=c.getoption("seeds"), workers=c.getoption("workers"), batch=c.getoption("batch"),
                           store_path=None if c.getoption("no_store") else c.getoption("store"),
                           refresh=c.getoption("refresh"))
    yield session
    session.close()


@pytest.fixture
def rung():
    """The rung a ``ladder`` test runs at (parametrized per rung); None elsewhere."""
    return None


@pytest.fixture
def claims(claims_session, rung, request: pytest.FixtureRequest):
    """Decide, record and check the claim named by this test's ``claim`` marker (session.Claims)."""
    from .session import Claims

    return Claims(claims_session, request.node, rung)


class Recorder:
    """Collects claim records from test reports (this process's, or xdist workers' through
    ``user_properties``), prints the summary table and writes the JSON report."""

    def __init__(self, config: pytest.Config):
        self.config, self.records, self.start = config, [], time.time()
        self.progress = None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if hasattr(self.config, "workerinput") or self.config.getoption("collectonly"):
            return
        claims = [item for item in session.items if item.get_closest_marker("claim") is not None]
        self.claim_ids = {item.nodeid for item in claims}
        if claims:
            from .progress import SessionProgress

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
        from .tiers import rungs_of

        tr = terminalreporter
        tr.section("trainability claims")
        scale = scale_of(self.config)
        tr.write_line(f"base seed {self.config.getoption('base_seed')}, scale {scale}:")
        for tier in rungs_of(scale):
            tr.write_line(f"  {tier.name}: {tier.note}")
        suite = adjust(self.records)
        tr.write_line(format_table(self.records))
        tr.write_line(f"suite level ({suite['method']} over {suite['parts']} parts, any false verdict <= "
                      f"{suite['alpha']:g}):")
        tr.write_line(f"  {suite['hold']} of {suite['claims']} claims hold, {suite['refuted']} refuted; placebos "
                      f"holding: {suite['placebos holding']}")
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
            from .markdown import write

            readme = write(report, markdown)
            tr = self.config.pluginmanager.get_plugin("terminalreporter")
            if tr is not None:
                tr.write_line(f"claims markdown: {readme}")

    def report(self, exitstatus) -> dict:
        """The JSON report: the run's header and every claim's record."""
        from .markdown import SCHEMA
        from .tiers import rungs_of

        suite = adjust(self.records) if self.records else None
        return {
            "schema": SCHEMA, "base_seed": self.config.getoption("base_seed"), "scale": scale_of(self.config),
            "rungs": [t.name for t in rungs_of(scale_of(self.config))], "device": device_kind(self.config),
            "suite": suite, "torch_version": _torch_version(), "python": platform.python_version(),
            "library": library_info(str(self.config.rootpath)), "seconds": time.time() - self.start,
            "exit_status": int(exitstatus), "claims": self.records,
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


def device_kind(config: pytest.Config) -> str:
    if not config.getoption("gpu"):
        return "cpu"
    import torch

    return f"cuda ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else "cuda"


def library_info(root: str) -> dict:
    """The library's version, a hash of its code (store.library_version) and the git commit of
    ``root`` when it is a checkout ("+dirty" when tracked files differ from it; None outside git)."""
    import subprocess

    from . import __version__
    from .store import library_version

    try:
        git = lambda *a: subprocess.run(["git", *a], cwd=root, capture_output=True, text=True, timeout=10).stdout  # noqa: E731
        commit = git("rev-parse", "HEAD").strip() or None
        if commit and git("status", "--porcelain", "--untracked-files=no").strip():
            commit += "+dirty"  # the working tree differs from the commit
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"version": __version__, "code": library_version(), "git_commit": commit}
