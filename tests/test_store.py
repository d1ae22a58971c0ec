import dataclasses
import math
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from helpers import TINY
from trainability.runs.pool import Runner
from trainability.training.result import RunResult
from trainability.runs.store import RunStore, StoreError


def fake(seed: int, setting=TINY, test=0.5) -> RunResult:
    return RunResult(setting, seed, [3.5, 1.0, 0.5], test, None, 2, 0.1, "cpu")


def test_a_stored_run_comes_back_identical_and_keys_separate_what_differs(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    store.put(fake(1), "batched")
    store.put(dataclasses.replace(fake(2), test_loss=math.inf, diverged_at=0), "plain")
    got = store.get(TINY, 1, "cpu", "batched")
    assert got == fake(1)
    assert store.get(TINY, 2, "cpu", "plain").final == math.inf
    assert store.get(TINY, 1, "cpu", "plain") is None  # other engine
    assert store.get(TINY, 1, "cuda:0", "batched") is None  # other device type
    assert store.get(dataclasses.replace(TINY, lr=2e-3), 1, "cpu", "batched") is None  # other setting
    assert len(store) == 2


def test_the_runner_reuses_stored_runs_and_refresh_recomputes(tmp_path):
    path = tmp_path / "runs.sqlite"
    first = Runner("cpu", workers=1, store=RunStore(path)).results([(TINY, 0), (TINY, 1)])
    again = Runner("cpu", workers=1, store=RunStore(path))
    assert again.results([(TINY, 0), (TINY, 1)]) == first
    assert all(r.seconds == f.seconds for r, f in zip(again.cache.values(), first))  # read, not recomputed
    fresh = Runner("cpu", workers=1, store=RunStore(path), refresh=True).results([(TINY, 0)])
    assert fresh[0].losses == first[0].losses and fresh[0].seconds != first[0].seconds


def _writer(path: str, worker: int, n: int) -> None:
    store = RunStore(path)
    for i in range(n):
        store.put(fake(worker * 1000 + i), "batched")
        store.put(fake(i), "batched")  # every worker also writes the same shared keys


def test_concurrent_writers_lose_nothing(tmp_path):
    path = str(tmp_path / "runs.sqlite")
    RunStore(path).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, w, 40)) for w in range(1, 5)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert all(p.exitcode == 0 for p in procs)
    store = RunStore(path)
    assert len(store) == 4 * 40 + 40
    assert all(store.get(TINY, w * 1000 + i, "cpu", "batched") == fake(w * 1000 + i) for w in range(1, 5) for i in range(40))


KILLED_WRITER = """
import sys, time
sys.path.insert(0, {tests!r})
from helpers import TINY
from trainability.training.result import RunResult
from trainability.runs.store import RunStore
store = RunStore({path!r})
for i in range(100000):
    store.put(RunResult(TINY, i, [1.0] * 400, 0.5, None, 2, 0.1, "cpu"), "batched")
    print(i, flush=True)
"""


def test_a_killed_writer_loses_only_its_unfinished_run(tmp_path):
    path = str(tmp_path / "runs.sqlite")
    code = KILLED_WRITER.format(tests=os.path.dirname(__file__), path=path)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    reported = -1
    while reported < 50:  # let it commit at least 50 runs, then kill it mid-write
        reported = int(proc.stdout.readline())
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    store = RunStore(path)  # opens: the WAL recovers, quick_check passes
    assert len(store) >= reported + 1  # every run it reported finished is there
    assert all(store.get(TINY, i, "cpu", "batched") is not None for i in range(reported + 1))


def test_a_file_that_is_not_sqlite_is_refused_clearly(tmp_path):
    path = tmp_path / "runs.sqlite"
    path.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(StoreError, match="not a usable run store.*--store with another path"):
        RunStore(path)


def test_a_foreign_sqlite_file_is_refused_clearly(tmp_path):
    path = tmp_path / "other.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE users (name TEXT)")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="SQLite file of another program"):
        RunStore(path)


def test_a_corrupted_store_is_refused_clearly(tmp_path):
    path = tmp_path / "runs.sqlite"
    store = RunStore(path)
    for i in range(200):
        store.put(fake(i), "batched")
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    data = bytearray(path.read_bytes())
    data[4096 * 2:4096 * 4] = os.urandom(4096 * 2)  # scribble over two pages of the runs table
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="corrupt run store|not a usable run store"):
        RunStore(path)


def _package_copy(tmp_path):
    import shutil

    import trainability

    root = tmp_path / "trainability"
    shutil.copytree(os.path.dirname(trainability.__file__), root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_the_code_version_covers_every_engine_file_and_what_the_engines_import(tmp_path):
    from trainability.runs.keys import code_version, run_modules

    root = _package_copy(tmp_path)
    names = {p.relative_to(root).as_posix() for p in run_modules(root)}
    assert {"training/engines/plain.py", "training/engines/batched.py", "training/setting.py",
            "systems/transformer.py", "tasks/lecture.py", "training/inits.py", "training/schedules.py",
            "training/masks.py", "training/optim.py", "measure/__init__.py", "numerics.py"} <= names
    # nothing that computes no run; other systems are found by the registry, not imported
    assert not names & {"runs/store.py", "runs/pool.py", "decisions/verdicts.py", "plugin/__init__.py",
                        "decisions/stats.py", "systems/cnn.py", "systems/rnn.py"}
    before = code_version(root)
    (root / "training" / "engines" / "fast.py").write_text("def run_jobs(jobs, device, progress_every):\n    return []\n")
    assert code_version(root) != before  # a new engine file, imported by nobody yet, is in the key
    added = code_version(root)
    (root / "helper.py").write_text("SCALE = 2.0\n")
    assert code_version(root) == added  # a module no engine imports is not
    (root / "systems" / "grid.py").write_text("NAME = 'grid'\n")
    assert code_version(root) == added  # nor a new system's file: it keys its own runs only
    plain = root / "training" / "engines" / "plain.py"
    plain.write_text(plain.read_text().replace("from .common import", "from ...helper import SCALE\nfrom .common import"))
    with_import = code_version(root)
    (root / "helper.py").write_text("SCALE = 3.0\n")
    assert code_version(root) != with_import  # once an engine imports it, its code is in the key


def test_a_system_outside_the_shared_code_keys_its_own_runs_by_its_file():
    from trainability.runs.keys import file_hashes, source_version
    from trainability.studies.sequence import sequence_setting
    from trainability.tasks import SequenceTask

    cnn, rnn = (sequence_setting(f, SequenceTask()) for f in ("cnn", "rnn"))
    assert list(file_hashes(cnn)) == ["systems/cnn.py"] and list(file_hashes(rnn)) == ["systems/rnn.py"]
    assert source_version(cnn) != source_version(rnn)
    assert file_hashes(TINY) == {} and source_version(TINY) is None  # the lecture's model is shared code


def _read_only_store(tmp_path) -> str:
    path = tmp_path / "ro" / "runs.sqlite"
    RunStore(path).close()
    for p in path.parent.iterdir():
        p.chmod(0o444)
    path.parent.chmod(0o555)
    return str(path)


OPEN_AS_ANOTHER_USER = """
import os, sys
from trainability.runs.store import RunStore, StoreError  # imported first: the Python lives under /root
if os.geteuid() == 0:  # root writes anything: check as an unprivileged user, as a user would meet it
    os.setgid(65534); os.setuid(65534)
try:
    RunStore(sys.argv[1])
except StoreError as e:
    print("StoreError:", e)
"""


def test_a_read_only_store_is_refused_at_the_start_with_a_clear_message(tmp_path):
    os.chmod(tmp_path, 0o755)
    path = _read_only_store(tmp_path)
    for parent in tmp_path.parents:  # the unprivileged user must reach the file to find it read-only
        if str(parent).startswith("/tmp/") and os.stat(parent).st_uid == os.geteuid():
            os.chmod(parent, os.stat(parent).st_mode | 0o055)
    out = subprocess.run([sys.executable, "-c", OPEN_AS_ANOTHER_USER, path], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "StoreError:" in out.stdout and "--store with another path" in out.stdout, out.stdout
    assert "is read-only here" in out.stdout, out.stdout


class _FailingStore:
    """A store that reads nothing and refuses every write, as a store made read-only mid-session."""

    path = "/nowhere/runs.sqlite"

    def __init__(self):
        self.puts = 0

    def get(self, *args):
        return None

    def put(self, result, engine):
        self.puts += 1
        raise StoreError(f"cannot write to the run store {self.path} (attempt to write a readonly database)")

    def claim_runs(self, keys, owner):  # a write too: refused, and the runs are computed here
        raise StoreError(f"cannot write to the run store {self.path} (attempt to write a readonly database)")

    def release_runs(self, keys, owner):
        pass


def test_a_store_that_fails_later_loses_none_of_the_sessions_results(one_thread):
    store = _FailingStore()
    runner = Runner("cpu", workers=1, store=store)
    with pytest.warns(UserWarning, match="readonly database.*kept in memory"):
        got = runner.results([(TINY, 0), (TINY, 1), (TINY, 2)])
    assert [r.seed for r in got] == [0, 1, 2] and all(r.losses for r in got)
    assert store.puts == 1 and [r.seed for r in runner.unstored] == [0, 1, 2]  # one failure, then no more tries
    assert runner.results([(TINY, 1)])[0] is got[1]  # still served from memory
    runner.close()


USER_SCRIPT = '''
import sys
import time
from dataclasses import dataclass

import torch
from torch import nn

import trainability as tr
from helpers_user import WIDTH
from trainability.runs.store import RunStore


@dataclass(frozen=True)
class Cfg:
    width: int = WIDTH


def build(cfg):
    return nn.Sequential(nn.Linear(1, cfg.width), nn.Tanh(), nn.Linear(cfg.width, 1))


@dataclass(frozen=True)
class Task:
    floor: float = 2.0

    def sample(self, generator, device="cpu"):
        x = torch.randn(8, 1, generator=generator, device=device)
        return x, 2 * x

    def loss(self, y, target):
        return ((y - target) ** 2).mean()


tr.register_system("user-mlp", tr.System(config=Cfg, module=build))
if __name__ == "__main__":
    s = tr.Setting(model=Cfg(), task=Task(), steps=3, eval_batches=1, escape=tr.Crossing(window=1))
    with tr.Runner(workers=1, store=RunStore(sys.argv[1])) as runner:
        (r,) = runner.results([(s, 0)])
    print("FROM STORE" if runner.from_store else "COMPUTED", r.final)
'''


def test_editing_a_users_model_or_its_helper_changes_its_runs_key(tmp_path):
    """The store keys a user's own system and task by their source files (runs.keys.source_version):
    after the model's Tanh becomes a ReLU, or a helper it imports changes, the old runs are not served."""
    script, helper, store = tmp_path / "user.py", tmp_path / "helpers_user.py", tmp_path / "runs.sqlite"
    script.write_text(USER_SCRIPT)
    helper.write_text("WIDTH = 4\n")

    def run() -> str:
        out = subprocess.run([sys.executable, str(script), str(store)], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout.split()[0]

    assert run() == "COMPUTED"
    assert run() == "FROM"  # the same code: read from the store
    script.write_text(USER_SCRIPT.replace("nn.Tanh()", "nn.ReLU()"))
    assert run() == "COMPUTED"  # the model's source changed
    assert run() == "FROM"
    helper.write_text("WIDTH = 4  # the same value, another file\n")
    assert run() == "COMPUTED"  # a file beside it that it imports changed


def test_code_without_a_source_file_is_computed_but_not_stored(tmp_path):
    from trainability.runs.keys import Unkeyable, source_version
    from trainability.runs.pool import Runner, StoreWarning
    from trainability.systems import SYSTEMS, System, register_system
    from trainability.training.setting import Crossing, Setting

    namespace = {}
    exec(USER_SCRIPT.split("tr.register_system")[0].replace("from helpers_user import WIDTH", "WIDTH = 3"), namespace)
    register_system("exec-mlp", System(config=namespace["Cfg"], module=namespace["build"]))
    try:
        s = Setting(model=namespace["Cfg"](), task=namespace["Task"](), steps=2, eval_batches=1, escape=Crossing(window=1))
        with pytest.raises(Unkeyable, match="has no source file"):
            source_version(s)
        store = RunStore(tmp_path / "runs.sqlite")
        with pytest.warns(StoreWarning, match="are not stored"):
            with Runner(workers=1, store=store) as runner:
                runner.results([(s, 0)])
        assert len(store) == 0
    finally:
        del SYSTEMS["exec-mlp"]


def test_processes_sharing_a_store_compute_a_run_once(tmp_path):
    """Two processes asking for the same runs at once (xdist workers on one store): the first
    claims them, the second waits and reads them from the store; a claim of a process that is gone
    is taken over."""
    from trainability.runs.keys import run_key
    from trainability.runs.pool import Runner

    path = tmp_path / "runs.sqlite"
    store = RunStore(path)
    key = run_key(TINY, 0, "cpu", "batched")
    assert store.claim_runs([key], "me") == {key}
    assert store.claim_runs([key], "me") == {key}  # one's own claim is one's own
    other = RunStore(path)
    assert other.claim_runs([key], "other") == set()  # a live process holds it
    store.db.execute("UPDATE computing SET pid = 999999999")  # as if its process were gone
    assert other.claim_runs([key], "other") == {key}
    other.release_runs([key], "other")
    assert store.db.execute("SELECT COUNT(*) FROM computing").fetchone()[0] == 0

    ctx = multiprocessing.get_context("spawn")
    jobs = [(TINY, s) for s in range(3)]
    first = ctx.Process(target=_compute, args=(str(path), jobs, str(tmp_path / "first.txt")))
    first.start()
    while not RunStore(path).db.execute("SELECT COUNT(*) FROM computing").fetchone()[0]:
        time.sleep(0.05)  # the first has claimed its runs
    runner = Runner("cpu", workers=1, store=RunStore(path))
    runner.poll = 0.1
    results = runner.results(jobs)
    first.join(60)
    assert runner.from_store == 3  # read from the store, none computed here
    assert [r.final for r in results] == [float(x) for x in (tmp_path / "first.txt").read_text().split()]


def _compute(path, jobs, out):
    from trainability.runs.pool import Runner

    results = Runner("cpu", workers=1, store=RunStore(path)).results(jobs)
    with open(out, "w") as f:
        f.write(" ".join(repr(r.final) for r in results))


def test_a_decorated_measurement_is_keyed_by_its_own_file():
    """torch.no_grad() wraps a function in torch's own code: its runs must still be keyed by the
    file that defines it (runs.keys unwraps decorators), so an edit there recomputes them."""
    from trainability.runs.keys import setting_files
    from trainability.studies.grid import grid_setting
    from trainability.studies.biaxial import chorale_setting

    for setting, name in ((grid_setting("grid lstm", 2, lr=1e-2), "parity.py"),
                          (chorale_setting("dense", lr=1e-2), "chorale.py")):
        inside, outside = setting_files(setting)
        assert any(p.parent.name == "measure" and p.name == name for p in inside), inside
        assert not any("torch" in p.parts for p in outside), outside
