"""The package's layers, on folders: every top-level folder (or module) is a band; no module imports
one of a band above its own, no import circle, no module over the size a reader takes in at once.
Imports are read from the source (every import statement, at module level or inside a function)."""

import ast
import subprocess
import sys
from pathlib import Path

import trainability

ROOT = Path(trainability.__file__).parent
BANDS = [  # bottom first; a module may import its own band's modules (no circle) and those below
    {"checks", "text", "numerics"},
    {"tasks"},
    {"systems"},
    {"measure"},
    {"training"},
    {"runs", "decisions"},
    {"studies"},
    {"report"},
    {"plugin"},
    {"cli", "__main__"},
]
LEVEL = {name: i for i, band in enumerate(BANDS) for name in band}
MOST_LINES = 450


def modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name:  # the package root re-exports lazily; it is nobody's dependency
            out[name] = path
    return out


def band(name: str) -> int:
    return LEVEL[name.split(".")[0]]


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that module ``name`` imports."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - node.level + 1]
            target = [*base, *(node.module.split(".") if node.module else [])]
            candidates = [".".join(target)] + [".".join([*target, a.name]) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("trainability"):
            target = node.module.split(".")[1:]
            candidates = [".".join(target)] + [".".join([*target, a.name]) for a in node.names]
        elif isinstance(node, ast.Import):
            candidates = [".".join(a.name.split(".")[1:]) for a in node.names if a.name.startswith("trainability.")]
        else:
            continue
        found |= {c for c in candidates if c in known and c != name}
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(name, path, set(mods)) for name, path in mods.items()}


def test_every_folder_and_module_has_a_band():
    tops = {name.split(".")[0] for name in modules()}
    assert tops == set(LEVEL), f"add new folders to BANDS (and to trainability/__init__.py's map): {tops ^ set(LEVEL)}"


def test_no_module_imports_one_above_its_band():
    upward = [(m, d) for m, deps in graph().items() for d in deps if band(d) > band(m)]
    assert not upward, f"upward imports (module -> what it imports): {upward}"


def test_the_imports_have_no_circle():
    g, state, circles = graph(), {}, []

    def visit(m, path):
        state[m] = "open"
        for d in sorted(g[m]):
            if state.get(d) == "open":
                circles.append(path[path.index(d):] + [d])
            elif d not in state:
                visit(d, path + [d])
        state[m] = "done"

    for m in sorted(g):
        if m not in state:
            visit(m, [m])
    assert not circles, f"import circles: {circles}"


def test_no_module_is_longer_than_a_reader_takes_in():
    long = {name: n for name, path in modules().items() if (n := len(path.read_text().splitlines())) > MOST_LINES}
    assert not long, f"split these modules (lines): {long}"


def test_the_checker_sees_upward_and_circular_imports(tmp_path):
    pkg = tmp_path / "trainability"
    (pkg / "training").mkdir(parents=True)
    (pkg / "tasks.py").write_text("from .training.plain import run\n")
    (pkg / "training" / "__init__.py").write_text("")
    (pkg / "training" / "plain.py").write_text("def f():\n    from .. import tasks\n")
    known = {"tasks", "training.plain"}
    assert imports("tasks", pkg / "tasks.py", known) == {"training.plain"}
    assert imports("training.plain", pkg / "training" / "plain.py", known) == {"tasks"}
    assert band("training.plain") > band("tasks")


def test_importing_the_plugin_or_the_package_loads_no_heavy_library():
    code = ("import sys, trainability, trainability.plugin, trainability.plugin.recorder, trainability.runs.progress; "
            "print(sorted(m for m in ('torch', 'numpy', 'scipy', 'numba', 'hypothesis') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
