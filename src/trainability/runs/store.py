"""Finished runs in an embedded SQLite file, reused across claims, xdist workers and sessions.

A run is keyed by a hash of everything that determines its numbers (runs.keys: the full Setting,
the seed, the device type, the engine, the run code's version, torch's, and the source of a
user's own system, task or measurement). The store also keeps the values a property claim
measured on each example, keyed by the claim, the example, the claim file's source and the whole
package's code (``library_version``), so a re-run does not measure them again.

Safety: WAL journal and one transaction per run, so concurrent writers (xdist workers, several
sessions) lose nothing, and a killed process loses only the runs it had not finished. A file
that is not SQLite, a SQLite file of another program, a store of another schema version, one
that fails SQLite's quick_check, or one this process cannot write is refused with StoreError
before anything is read or written. This module imports neither torch nor the engines at import
time (the pytest plugin checks a store before any claim is collected).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .keys import CODE_VERSION, run_key

if TYPE_CHECKING:
    from ..training.result import RunResult
    from ..training.setting import Setting

# schema 2: runs keep their named measurements and periodic curves (RunResult.measured, .curves)
APP, SCHEMA = "trainability-run-store", "2"


class StoreError(RuntimeError):
    """The store file cannot be used; the message says why and what to do."""


class RunStore:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        hint = f"move {self.path} away, or pass --store with another path (--no-store to run without one)"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create the run store's folder {self.path.parent} ({e}); {hint}") from None
        try:
            self.db = sqlite3.connect(self.path, timeout=120, isolation_level=None)
            self.db.execute("PRAGMA busy_timeout = 120000")
            check = self.db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise StoreError(f"{self.path} is a corrupt run store (SQLite quick_check: {check}); {hint}")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("BEGIN IMMEDIATE")
            tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not tables:
                self.db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                self.db.execute("INSERT INTO meta VALUES ('app', ?), ('schema', ?)", (APP, SCHEMA))
                self.db.execute("CREATE TABLE runs (key TEXT PRIMARY KEY, seed INTEGER NOT NULL, device TEXT NOT NULL,"
                                " engine TEXT NOT NULL, code TEXT NOT NULL, torch TEXT NOT NULL,"
                                " setting TEXT NOT NULL, result TEXT NOT NULL, created REAL NOT NULL)")
            # measured values of population claims' draws (plugin.session.Claims.cached); added in place
            self.db.execute("CREATE TABLE IF NOT EXISTS measurements (key TEXT PRIMARY KEY, claim TEXT NOT NULL,"
                            " example TEXT NOT NULL, value TEXT NOT NULL, created REAL NOT NULL)")
            # runs being computed (claim_runs): so that processes sharing the store compute a run once
            self.db.execute("CREATE TABLE IF NOT EXISTS computing (key TEXT PRIMARY KEY, owner TEXT NOT NULL,"
                            " pid INTEGER NOT NULL, created REAL NOT NULL)")
            self.db.execute("COMMIT")
            meta = dict(self.db.execute("SELECT key, value FROM meta")) if "meta" in tables or not tables else {}
        except sqlite3.DatabaseError as e:
            if "readonly" in str(e):
                raise StoreError(f"{self.path} is read-only here ({e}): finished runs could not be saved; "
                                 f"{hint}") from None
            raise StoreError(f"{self.path} is not a usable run store ({e}); {hint}") from e
        if meta.get("app") != APP:
            self.db.close()
            raise StoreError(f"{self.path} is an SQLite file of another program (no trainability metadata); {hint}")
        if meta.get("schema") != SCHEMA:
            self.db.close()
            raise StoreError(f"{self.path} has store schema {meta.get('schema')!r}, this library writes {SCHEMA!r}; {hint}")
        try:  # a store that cannot be written fails now, not after the first run has trained
            with self.db:
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('opened', ?)", (repr(time.time()),))
        except sqlite3.DatabaseError as e:
            self.db.close()
            raise StoreError(f"{self.path} is read-only here ({e}): finished runs could not be saved; "
                             f"{hint}") from None

    def get(self, setting: Setting, seed: int, device: str, engine: str) -> RunResult | None:
        from ..training.result import RunResult

        row = self.db.execute("SELECT result FROM runs WHERE key = ?", (run_key(setting, seed, device, engine),)).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        for name in ("test_loss", "test_loss_nodrop"):
            data[name] = float(data[name])  # "inf" for diverged runs
        data["measured"] = {k: float(v) for k, v in data.get("measured", {}).items()}
        return RunResult(setting=setting, **data)

    def put(self, result: RunResult, engine: str) -> None:
        """Store one finished run in its own transaction; StoreError if the store refuses it."""
        data = {f.name: getattr(result, f.name) for f in dataclasses.fields(result) if f.name != "setting"}
        for name in ("test_loss", "test_loss_nodrop"):
            value = getattr(result, name)
            data[name] = value if math.isfinite(value) else str(value)
        data["measured"] = {k: v if math.isfinite(v) else str(v) for k, v in result.measured.items()}
        key = run_key(result.setting, result.seed, result.device, engine)
        try:
            with self.db:  # BEGIN ... COMMIT (or ROLLBACK on error)
                self.db.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                (key, result.seed, result.device, engine, CODE_VERSION, result.torch_version,
                                 json.dumps(dataclasses.asdict(result.setting), default=repr), json.dumps(data),
                                 time.time()))
        except sqlite3.Error as e:
            raise StoreError(f"cannot write to the run store {self.path} ({e})") from None

    def claim_runs(self, keys: list[str], owner: str) -> set[str]:
        """Mark the runs of ``keys`` as computed by ``owner`` (this process), unless a live process
        on this machine already computes them; returns the keys ``owner`` now holds. A claim of a
        process that is gone is taken over. One transaction: two processes never hold one key."""
        try:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                marks = ",".join("?" * len(keys))
                held = {k: (o, pid) for k, o, pid in self.db.execute(
                    f"SELECT key, owner, pid FROM computing WHERE key IN ({marks})", keys).fetchall()} if keys else {}
                mine = {k for k in keys if k not in held or held[k][0] == owner or not _alive(held[k][1])}
                self.db.executemany("INSERT OR REPLACE INTO computing VALUES (?, ?, ?, ?)",
                                    [(k, owner, os.getpid(), time.time()) for k in mine])
        except sqlite3.Error as e:
            raise StoreError(f"cannot write to the run store {self.path} ({e})") from None
        return mine

    def release_runs(self, keys, owner: str) -> None:
        """Drop ``owner``'s claims on ``keys`` (its runs are stored, or it gave up)."""
        keys = list(keys)
        if not keys:
            return
        try:
            with self.db:
                self.db.executemany("DELETE FROM computing WHERE key = ? AND owner = ?", [(k, owner) for k in keys])
        except sqlite3.Error:
            pass  # a claim left behind is taken over once its process is gone

    def get_measurement(self, key: str) -> dict | None:
        """The values stored under ``key`` by put_measurement, or None."""
        row = self.db.execute("SELECT value FROM measurements WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def put_measurement(self, key: str, claim: str, example: str, value: dict) -> None:
        """Store one example's measured values (a dict of floats; inf and nan survive)."""
        try:
            with self.db:
                self.db.execute("INSERT OR REPLACE INTO measurements VALUES (?, ?, ?, ?, ?)",
                                (key, claim, example, json.dumps(value), time.time()))
        except sqlite3.Error as e:
            raise StoreError(f"cannot write to the run store {self.path} ({e})") from None

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]

    def close(self) -> None:
        self.db.close()


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (claims are of processes sharing one store file)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _same_result(a: str, b: str) -> bool:
    """Two stored results of one key agree in everything but the wall time they took."""
    strip = lambda text: {k: v for k, v in json.loads(text).items() if k != "seconds"}  # noqa: E731
    return strip(a) == strip(b)


def merge_stores(destination: str | os.PathLike, sources: list[str | os.PathLike]) -> dict:
    """Copy every run and measurement of ``sources`` into the store at ``destination`` (created if
    absent). A run already there with the same result is skipped (nothing duplicated); the same key
    with a different result (beyond its wall time) is an error naming both files; sources written by
    different versions of the run code are refused, naming the versions. All or nothing: one transaction."""
    found: dict[str, set[str]] = {}
    for src in sources:
        if not Path(src).is_file():
            raise StoreError(f"no run store at {src}")
        db = sqlite3.connect(f"file:{Path(src).resolve()}?mode=ro", uri=True)
        try:
            meta = dict(db.execute("SELECT key, value FROM meta"))
            if meta.get("app") != APP or meta.get("schema") != SCHEMA:
                raise StoreError(f"{src} is not a run store of this library (app {meta.get('app')!r}, schema "
                                 f"{meta.get('schema')!r}; this library writes {SCHEMA!r})")
            found[str(src)] = {r[0] for r in db.execute("SELECT DISTINCT code FROM runs")}
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{src} is not a usable run store ({e})") from None
        finally:
            db.close()
    codes = {c for cs in found.values() for c in cs}
    if len(codes) > 1:
        detail = "; ".join(f"{src}: {', '.join(sorted(cs)) or 'no runs'}" for src, cs in found.items())
        raise StoreError(f"the stores come from different versions of the run code ({detail}): merge stores of "
                         "one library version")
    existed = Path(destination).exists()
    dest = RunStore(destination)
    counts = {"added": 0, "already there": 0, "measurements": 0}
    origin: dict[str, str] = {}
    try:
        dest.db.execute("BEGIN IMMEDIATE")
        for (key,) in dest.db.execute("SELECT key FROM runs").fetchall():
            origin[key] = str(destination)
        for src in sources:
            db = sqlite3.connect(f"file:{Path(src).resolve()}?mode=ro", uri=True)
            try:
                for row in db.execute("SELECT * FROM runs"):
                    have = dest.db.execute("SELECT result FROM runs WHERE key = ?", (row[0],)).fetchone()
                    if have is None:
                        dest.db.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
                        origin[row[0]] = str(src)
                        counts["added"] += 1
                    elif _same_result(have[0], row[7]):
                        counts["already there"] += 1
                    else:
                        raise StoreError(f"run {row[0][:12]} (seed {row[1]}) differs between {origin.get(row[0])} "
                                         f"and {src}: the same setting and seed gave two results")
                for row in db.execute("SELECT * FROM measurements"):
                    dest.db.execute("INSERT OR IGNORE INTO measurements VALUES (?, ?, ?, ?, ?)", row)
                    counts["measurements"] += 1
            finally:
                db.close()
        dest.db.execute("COMMIT")
    except BaseException:
        dest.db.execute("ROLLBACK")
        dest.close()
        if not existed:  # nothing half-written: a store this call created goes again
            for suffix in ("", "-wal", "-shm"):
                Path(f"{destination}{suffix}").unlink(missing_ok=True)
        raise
    dest.close()
    return counts
