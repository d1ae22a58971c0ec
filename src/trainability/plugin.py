"""pytest plugin: options, markers, the ``claims`` fixture, the summary table and JSON report.

Loaded through the ``pytest11`` entry point when installed, or ``-p trainability.plugin``.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time

import pytest

from . import verdicts
from .runner import Runner, available_cores
from .tiers import TIERS, get_tier

RECORD_KEY = "trainability_claim"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("trainability", "trainability claims")
    group.addoption("--gpu", action="store_true", help="run claims on CUDA at the lecture's scale (errors without CUDA)")
    group.addoption("--scale", choices=sorted(TIERS), default=None,
                    help="claim scale: cpu (calibrated proxy, default) or lecture (default with --gpu)")
    group.addoption("--seeds", type=int, default=None, metavar="N", help="cap on paired seeds per claim (>= 2)")
    group.addoption("--base-seed", type=int, default=0, metavar="N", help="base seed; per-claim seeds derive from it")
    group.addoption("--claims-report", default=None, metavar="PATH", help="write the claims' JSON report here")
    group.addoption("--workers", type=int, default=None, metavar="N",
                    help="CPU processes per pytest process for runs (default: cores / xdist workers)")
    group.addoption("--store", default=".trainability/runs.sqlite", metavar="PATH",
                    help="SQLite store of finished runs, shared by claims, workers and sessions")
    group.addoption("--no-store", action="store_true", help="neither read nor write the run store")
    group.addoption("--refresh", action="store_true", help="recompute every run and overwrite the store's copy")
    group.addoption("--batch", type=int, default=64, metavar="N",
                    help="most runs trained as one batched computation (default 64; 0: one plain loop per run)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "claim(id): a test that decides one of the lecture's claims")
    config.addinivalue_line("markers", "gpu: needs CUDA (run with --gpu)")
    config.addinivalue_line("markers", "slow: minutes on the CPU tier")
    seeds, base, workers = (config.getoption(o) for o in ("seeds", "base_seed", "workers"))
    if seeds is not None and seeds < 2:
        raise pytest.UsageError(f"--seeds must be at least 2 (a paired comparison needs two seeds), got {seeds}")
    if base < 0:
        raise pytest.UsageError(f"--base-seed must be non-negative, got {base}")
    if workers is not None and workers < 1:
        raise pytest.UsageError(f"--workers must be at least 1, got {workers}")
    if config.getoption("batch") < 0:
        raise pytest.UsageError(f"--batch must be non-negative (0: plain loop), got {config.getoption('batch')}")
    if not config.getoption("no_store"):
        from .store import RunStore, StoreError

        try:  # refuse a corrupt or foreign store before any run starts
            RunStore(store_path(config)).close()
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


def store_path(config: pytest.Config) -> str:
    return os.path.join(str(config.rootpath), config.getoption("store"))


def scale_of(config: pytest.Config) -> str:
    return config.getoption("scale") or ("lecture" if config.getoption("gpu") else "cpu")


def device_of(config: pytest.Config) -> str:
    """cuda:k for xdist worker gw<i> (k = i mod visible devices) with --gpu, else cpu."""
    if not config.getoption("gpu"):
        return "cpu"
    import torch

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    return f"cuda:{index % torch.cuda.device_count()}"


def pytest_report_header(config: pytest.Config) -> list[str]:
    import torch

    tier = get_tier(scale_of(config))
    return [f"trainability: base seed {config.getoption('base_seed')}, scale {tier.name} ({tier.note}), "
            f"device {device_of(config)}, torch {torch.__version__}"]


class ClaimSession:
    """Per-process state: the tier, the base seed, a seed cap (--seeds) and a runner with its
    in-memory cache and run store."""

    def __init__(self, config: pytest.Config):
        self.tier = get_tier(scale_of(config))
        self.base_seed = config.getoption("base_seed")
        self.seeds_cap = config.getoption("seeds")
        # Share the cores: xdist workers x run processes x threads <= cores.
        share = max(1, available_cores() // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
        workers = config.getoption("workers") or share
        store = None
        if not config.getoption("no_store"):
            from .store import RunStore

            store = RunStore(store_path(config))
        self.runner = Runner(device_of(config), workers, threads=max(1, share // workers),
                             batch=config.getoption("batch"), store=store, refresh=config.getoption("refresh"))


class Claims:
    """The ``claims`` fixture: decide a claim at the session's tier, record it, check it."""

    def __init__(self, session: ClaimSession, node: pytest.Item):
        self.session, self.node = session, node
        self.tier = session.tier

    def decide(self, claim_id: str, design: dict[str, verdicts.Design] | None = None, **kwargs) -> verdicts.Outcome:
        """verdicts.decide at this tier; ``design`` ({tier: Design}) overrides the tier's default
        for a claim that needs more seeds (``--seeds`` still caps it)."""
        s = self.session
        chosen = (design or {}).get(s.tier.name, s.tier.design)
        if s.seeds_cap is not None:
            chosen = chosen.with_cap(s.seeds_cap)
        outcome = verdicts.decide(s.runner, claim_id=claim_id, tier=s.tier.name, design=chosen,
                                  base_seed=s.base_seed, **kwargs)
        self.node.user_properties.append((RECORD_KEY, _jsonable(outcome.record())))
        return outcome

    def record_property(self, claim_id: str, **kwargs) -> verdicts.Outcome:
        """verdicts.property_outcome, recorded for the report (see property() in claim files)."""
        outcome = verdicts.property_outcome(claim_id=claim_id, tier=self.tier.name, base_seed=self.session.base_seed,
                                            **kwargs)
        self.node.user_properties.append((RECORD_KEY, _jsonable(outcome.record())))
        return outcome

    def check(self, outcome: verdicts.Outcome, expected: dict[str, tuple[str, str]] | None = None) -> None:
        """Assert the verdict this tier's record expects ({tier: (verdict, reason)}, default holds)."""
        verdict, reason = (expected or {}).get(self.tier.name, ("holds", ""))
        try:
            verdicts.check(outcome, verdict, reason)
        except verdicts.ClaimRefuted as e:
            if verdict == "refuted":
                pytest.xfail(f"expected refuted at the {self.tier.name} tier: {reason}\n{e}")
            raise


@pytest.fixture(scope="session")
def claims_session(pytestconfig: pytest.Config):
    session = ClaimSession(pytestconfig)
    yield session
    session.runner.close()
    if session.runner.store is not None:
        session.runner.store.close()


@pytest.fixture
def claims(claims_session: ClaimSession, request: pytest.FixtureRequest) -> Claims:
    return Claims(claims_session, request.node)


class Recorder:
    """Collects claim records from test reports (this process's, or xdist workers' through
    ``user_properties``), prints the summary table and writes the JSON report."""

    def __init__(self, config: pytest.Config):
        self.config, self.records, self.start = config, [], time.time()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        for key, value in report.user_properties:
            if key == RECORD_KEY:
                self.records.append(dict(value, nodeid=report.nodeid, outcome=report.outcome))

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.records:
            return
        tr = terminalreporter
        tr.section("trainability claims")
        tr.write_line(f"base seed {self.config.getoption('base_seed')}, scale {scale_of(self.config)}")
        tr.write_line(format_table(self.records))
        for table in format_grids(self.records):
            tr.write_line("")
            tr.write_line(table)
        if self.config.getoption("claims_report"):
            tr.write_line(f"claims report: {self.config.getoption('claims_report')}")

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus) -> None:
        path = self.config.getoption("claims_report")
        if not path or hasattr(self.config, "workerinput"):
            return  # xdist workers send their records to the controller, which writes the report
        import torch

        report = {
            "base_seed": self.config.getoption("base_seed"), "scale": scale_of(self.config),
            "torch_version": str(torch.__version__), "python": platform.python_version(),
            "seconds": time.time() - self.start, "exit_status": int(exitstatus), "claims": self.records,
        }
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        tmp = f"{path}.tmp"
        with open(tmp, "w") as f:
            json.dump(report, f, indent=2)
        os.replace(tmp, path)


def format_table(records: list[dict]) -> str:
    head = ("claim", "tier", "verdict", "effect [interval]", "threshold", "seeds", "negation", "lecture", "s")
    rows = []
    for r in records:
        for i, c in enumerate(r["comparisons"]):
            lecture = ", ".join(f"{k} {v['lecture']}" for k, v in r["settings"].items() if v.get("lecture") is not None)
            rows.append((
                r["claim_id"] if i == 0 else "", r["tier"] if i == 0 else "", r["verdict"] if i == 0 else "",
                f"{_fmt(c['effect'])} [{_fmt(c['low'])}, {_fmt(c['high'])}] {c['verdict']}",
                f"{c['direction']} {c['threshold']:g}", str(r["n_seeds"]) if i == 0 else "",
                (r["negation_verdict"] or "-") if i == 0 else "", lecture if i == 0 else "",
                f"{r['seconds']:.0f}" if i == 0 else ""))
    widths = [max(len(h), *(len(row[k]) for row in rows)) for k, h in enumerate(head)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, rows)])


def format_grids(records: list[dict]) -> list[str]:
    """Tables assembled from claims that each give one row: extra = {grid, row, cells}."""
    grids: dict[str, dict[str, dict]] = {}
    for r in records:
        extra = r.get("extra") or {}
        if "grid" in extra:
            grids.setdefault(extra["grid"], {})[extra["row"]] = extra["cells"]
    out = []
    for title, rows in grids.items():
        cols = list(next(iter(rows.values())))
        width = 2 + max(len(c) for c in [*cols, *(_fmt(v) for cells in rows.values() for v in cells.values())])
        lines = [title, "".ljust(16) + "".join(c.rjust(width) for c in cols)]
        lines += [row.ljust(16) + "".join(_fmt(cells.get(c, "-")).rjust(width) for c in cols) for row, cells in rows.items()]
        out.append("\n".join(lines))
    return out


def _fmt(v) -> str:
    return v if isinstance(v, str) else f"{v:.3g}"


def _jsonable(obj):
    """Plain JSON types (non-finite floats as strings): survives xdist and json.dump."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):  # numpy scalars
        obj = obj.item()
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else str(obj)
    if isinstance(obj, bool) or obj is None:
        return obj
    if isinstance(obj, int):
        return int(obj)
    return str(obj)  # str subclasses (torch.__version__ is a TorchVersion) and anything else
