import dataclasses
import math
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys

import pytest

from helpers import TINY
from trainability.runner import Runner, RunResult
from trainability.store import RunStore, StoreError


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
from trainability.runner import RunResult
from trainability.store import RunStore
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
