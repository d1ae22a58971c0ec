"""Every dotted ``trainability.x.y`` named in the README, the docs, the docstrings and comments of
the package, the claim files, the scripts and the benchmarks resolves: a module, or an attribute
of one. (docs/history.md quotes earlier text verbatim, old names included, and is left out.)"""

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
NAME = re.compile(r"\btrainability(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
SOURCES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "src").rglob("*.py")),
           *sorted((ROOT / "claims").rglob("*.py")), *sorted((ROOT / "scripts").glob("*")),
           *sorted((ROOT / "benchmarks").glob("*")), *sorted((ROOT / "tests").glob("*.py"))]
LEFT_OUT = {ROOT / "docs" / "history.md", Path(__file__)}  # (this file names broken ones on purpose)


def resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def named() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in SOURCES:
        if path in LEFT_OUT or not path.is_file() or path.suffix not in (".py", ".md", ".sh"):
            continue
        for match in NAME.findall(path.read_text()):
            name = match.rstrip(".")
            if name.endswith((".py", ".md", ".json")) or name in ("trainability.plugin",):  # file names, the entry point
                continue
            out.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return out


def test_every_dotted_name_in_the_prose_resolves():
    found = named()
    assert len(found) > 20  # the check reads the files it means to
    broken = {name: sorted(set(where)) for name, where in found.items() if not resolves(name)}
    assert not broken, f"dotted names that do not resolve (name: files): {broken}"


def test_the_checker_sees_a_broken_name():
    assert resolves("trainability.decisions.stats.bernoulli_cs") and resolves("trainability.Setting")
    assert not resolves("trainability.claims.property") and not resolves("trainability.models.MODELS")
