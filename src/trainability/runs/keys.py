"""What a stored run is keyed by: everything that determines its numbers.

    setting   the full Setting (dataclasses.asdict), the seed, the device type, the engine (plain
              loop or batched members: they differ in float rounding), torch's version and the
              numerics in effect (trainability.numerics: the CPU kernels' code path; on CUDA the
              GPU, cuDNN and the precision flags)
    code      the shared run code's version (``code_version``): a hash of every module of the
              training.engines package and of every module of the package they import,
              transitively, read from their import statements (``run_modules``): the inits,
              schedules, optimizers, masks, measurement registry, the lecture's Transformer and
              tasks, with no list to keep. Systems are found by the registry at import
              (systems.SYSTEMS), not imported by name, so another system's file is not in it.
    source    the code a run of this setting builds or calls beyond that (``source_version``):
              the files defining its config, module, batched forward, task and measurements, with
              the package modules they import (a system of this package, e.g. systems/cnn.py),
              and for a user's own code outside the package each such file with the files beside
              it that it imports. Edit the model's forward and its runs are computed again; add
              another system and no stored run is re-keyed. Code without a source file (a class
              made in a REPL or by exec) cannot be keyed: ``Unkeyable``, and the Runner does not
              store it.

A tier is only a mapping to Settings, so two tiers that ask for the same Setting share runs.
``library_version`` hashes every module of the package (what a property claim's measurement may
depend on). Standard library only at import time.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import inspect
import json
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # src/trainability


class Unkeyable(ValueError):
    """A run's code has no source file to key it by; the message names the object."""


def _imported_files(path: Path, root: Path) -> list[Path]:
    """Source files of the package (rooted at ``root``) that ``path`` imports, anywhere in it."""
    package = path.parent.relative_to(root).parts  # the importing module's package, below root
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
            stems = [(*base, *(node.module.split(".") if node.module else ()))]
            stems += [(*stems[0], alias.name) for alias in node.names]  # "from . import masks"
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            stems = [tuple(n.split(".")[1:]) for n in names if n.split(".")[0] == root.name]
        else:
            continue
        for stem in stems:
            for candidate in (root.joinpath(*stem, "__init__.py"), root.joinpath(*stem).with_suffix(".py")):
                if stem and candidate.is_file():
                    out.append(candidate)
    return out


def _closure(start, root: Path = PACKAGE) -> list[Path]:
    """``start`` and, transitively, every module of the package they import."""
    todo, seen = list(start), set()
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            todo += _imported_files(path, root)
    return sorted(seen)


def run_modules(root: Path = PACKAGE) -> list[Path]:
    """The files whose code decides every run's numbers: the engines package and, transitively,
    every module of the package they import."""
    return _closure(sorted((root / "training" / "engines").glob("*.py")), root)


def _hash_files(paths, root: Path) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def code_version(root: Path = PACKAGE) -> str:
    """A hash of the modules whose code decides a run's numbers (``run_modules``)."""
    return _hash_files(run_modules(root), root)


CODE_VERSION = code_version()


@functools.lru_cache(maxsize=None)  # the files are read once per process
def library_version(root: Path = PACKAGE) -> str:
    """A hash of every module of the package: what a property claim's measurement may depend on."""
    return _hash_files(sorted(root.rglob("*.py")), root)


def decide_version(root: Path = PACKAGE) -> str:
    """A hash of the package's decision code (decisions/): what turns runs into verdicts."""
    return _hash_files(sorted((root / "decisions").glob("*.py")), root)


def _source_file(obj) -> Path:
    while isinstance(obj, functools.partial):
        obj = obj.func
    obj = inspect.unwrap(obj)  # a decorated function (torch.no_grad, functools.wraps) is keyed by its own file
    try:
        return Path(inspect.getsourcefile(obj)).resolve()
    except (TypeError, OSError):
        raise Unkeyable(f"{getattr(obj, '__qualname__', obj)!r} has no source file, so its runs cannot be keyed by "
                        "its code (define it in a module or script file)") from None


def _local_imports(path: Path) -> list[Path]:
    """The files beside ``path`` that it imports by module name (``import helpers``, ``from
    helpers import f``), so that a helper's edit changes the key too."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            candidate = path.parent.joinpath(*name.split(".")).with_suffix(".py")
            if candidate.is_file():
                out.append(candidate.resolve())
    return out


@functools.lru_cache(maxsize=256)
def _file_digest(path: Path, mtime_ns: int, size: int) -> str:
    files, todo = set(), [path]
    while todo:
        p = todo.pop()
        if p not in files:
            files.add(p)
            todo += _local_imports(p)
    h = hashlib.sha256()
    for p in sorted(files):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def code_objects(setting) -> list:
    """The classes and functions a run of ``setting`` builds or calls besides the engines: its
    config, module, batched forward, task and measurements."""
    from ..measure import MEASURES
    from ..systems import get_system

    spec = get_system(setting.system)
    objs = [type(setting.model), spec.module, spec.forward, type(setting.task),
            *(MEASURES[m].fn for m in setting.all_measures)]
    return [o for o in objs if o is not None]


@functools.lru_cache(maxsize=None)
def _shared() -> frozenset:
    return frozenset(run_modules())


def setting_files(setting) -> tuple[list[Path], list[Path]]:
    """(package files, outside files) that a run of ``setting`` uses beyond the shared run code:
    the package modules (and their package imports) defining its code objects, and the source files
    of a user's own code. Unkeyable without a source file."""
    files = {_source_file(o) for o in code_objects(setting)}
    inside = [p for p in _closure(sorted(p for p in files if PACKAGE in p.parents)) if p not in _shared()]
    return inside, sorted(p for p in files if PACKAGE not in p.parents)


def file_hashes(setting) -> dict[str, str]:
    """{package-relative path: hash} of the package files ``setting_files`` names: what a report
    records per claim, so that a later change to one of them shows the report stale."""
    inside, _ = setting_files(setting)
    return {p.relative_to(PACKAGE).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in inside}


def source_version(setting) -> str | None:
    """A hash of the code ``setting`` uses beyond the shared run code (module docstring), None when
    there is none (``code_version`` covers it all). Unkeyable without a source file."""
    inside, outside = setting_files(setting)
    if not inside and not outside:
        return None
    h = hashlib.sha256()
    for p in inside:
        h.update(p.relative_to(PACKAGE).as_posix().encode())
        h.update(p.read_bytes())
    for p in outside:
        st = os.stat(p)
        h.update(_file_digest(p, st.st_mtime_ns, st.st_size).encode())
    return h.hexdigest()[:16]


def run_key(setting, seed: int, device: str, engine: str) -> str:
    import torch

    from ..numerics import key as numerics_key

    parts = {"setting": dataclasses.asdict(setting), "seed": seed, "device": torch.device(device).type,
             "engine": engine, "code": CODE_VERSION, "torch": str(torch.__version__), "numerics": numerics_key(device)}
    source = source_version(setting)
    if source is not None:
        parts["source"] = source
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=repr).encode()).hexdigest()
