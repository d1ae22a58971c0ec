"""Finished runs in an embedded SQLite file, reused across claims, xdist workers and sessions.

A run is keyed by a hash of everything that determines its numbers: the full Setting, the seed,
the device type, the engine (plain loop or batched members: they differ in float rounding),
the library's code version (a hash of the modules that compute runs) and the torch version.
A tier is only a mapping to Settings, so two tiers that ask for the same Setting share runs.

Safety: WAL journal and one transaction per run, so concurrent writers (xdist workers, several
sessions) lose nothing, and a killed process loses only the runs it had not finished. A file
that is not SQLite, a SQLite file of another program, a store of another schema version or one
that fails SQLite's quick_check is refused with StoreError before anything is read or written.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import sqlite3
import time
from pathlib import Path

import torch

from .runner import RunResult, Setting

APP, SCHEMA = "trainability-run-store", "1"
_RUN_MODULES = ("models.py", "tasks.py", "inits.py", "schedules.py", "runner.py", "batched.py", "masks.py")


class StoreError(RuntimeError):
    """The store file cannot be used; the message says why and what to do."""


def code_version() -> str:
    """A hash of the modules whose code decides a run's numbers."""
    h = hashlib.sha256()
    here = Path(__file__).parent
    for name in _RUN_MODULES:
        h.update(name.encode())
        h.update((here / name).read_bytes())
    return h.hexdigest()[:16]


CODE_VERSION = code_version()


def run_key(setting: Setting, seed: int, device: str, engine: str) -> str:
    parts = {"setting": dataclasses.asdict(setting), "seed": seed, "device": torch.device(device).type,
             "engine": engine, "code": CODE_VERSION, "torch": str(torch.__version__)}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=repr).encode()).hexdigest()


class RunStore:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        hint = f"move {self.path} away, or pass --store with another path (--no-store to run without one)"
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
            self.db.execute("COMMIT")
            meta = dict(self.db.execute("SELECT key, value FROM meta")) if "meta" in tables or not tables else {}
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path} is not a usable run store ({e}); {hint}") from e
        if meta.get("app") != APP:
            self.db.close()
            raise StoreError(f"{self.path} is an SQLite file of another program (no trainability metadata); {hint}")
        if meta.get("schema") != SCHEMA:
            self.db.close()
            raise StoreError(f"{self.path} has store schema {meta.get('schema')!r}, this library writes {SCHEMA!r}; {hint}")

    def get(self, setting: Setting, seed: int, device: str, engine: str) -> RunResult | None:
        row = self.db.execute("SELECT result FROM runs WHERE key = ?", (run_key(setting, seed, device, engine),)).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        data["test_loss"] = float(data["test_loss"])  # "inf" for diverged runs
        return RunResult(setting=setting, **data)

    def put(self, result: RunResult, engine: str) -> None:
        """Store one finished run in its own transaction."""
        data = {f.name: getattr(result, f.name) for f in dataclasses.fields(result) if f.name != "setting"}
        data["test_loss"] = result.test_loss if math.isfinite(result.test_loss) else str(result.test_loss)
        key = run_key(result.setting, result.seed, result.device, engine)
        with self.db:  # BEGIN ... COMMIT (or ROLLBACK on error)
            self.db.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (key, result.seed, result.device, engine, CODE_VERSION, str(torch.__version__),
                             json.dumps(dataclasses.asdict(result.setting), default=repr), json.dumps(data), time.time()))

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]

    def close(self) -> None:
        self.db.close()
