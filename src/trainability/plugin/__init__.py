"""pytest plugin: options, markers, the ``claims`` fixture and its rung parametrization.

Loaded through the ``pytest11`` entry point (named ``trainability.plugin``) when installed, or
with ``-p trainability.plugin`` from a source checkout. Installed, it is loaded by every pytest
session in the environment, so this module imports only pytest and the standard library: torch
and the rest of the library load when a test first asks for the ``claims`` fixture
(plugin/session.py, the worker side); the controller side that collects the claims' records
into the summary table and the reports is plugin/recorder.py, formatted by trainability.report.
"""

from __future__ import annotations

import os

import pytest

from .recorder import Recorder, device_of, torch_version

# = studies.rungs.TIERS and SCALES, kept here as plain data so that loading the plugin imports no torch
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
                         f"--gpu) or one rung ({', '.join(RUNGS)}); see trainability.studies.rungs for the rule")
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
        from ..runs.store import RunStore, StoreError

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
    config.pluginmanager.register(Recorder(config, scale_of(config)), "trainability-recorder")


def scale_of(config: pytest.Config) -> str:
    return config.getoption("scale") or ("ladder" if config.getoption("gpu") else "cpu")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test in a ``ladder`` module that decides a claim runs once per rung of the scale."""
    if "claims" in metafunc.fixturenames and metafunc.definition.get_closest_marker("ladder"):
        rungs = SCALES[scale_of(metafunc.config)]
        metafunc.parametrize("rung", rungs, ids=rungs)


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"trainability: base seed {config.getoption('base_seed')}, scale {scale_of(config)}, "
            f"device {device_of(config)}, torch {torch_version()}"]


@pytest.fixture(scope="session")
def claims_session(pytestconfig: pytest.Config):
    """Per-process state of the claims (plugin.session.ClaimSession): scale, base seed, runner, store."""
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
    """Decide, record and check the claim named by this test's ``claim`` marker (plugin.session.Claims)."""
    from .session import Claims

    return Claims(claims_session, request.node, rung)
