"""The claims' report: the terminal summary table, tables assembled from claims that each give one
row, and the JSON file. Pure functions of claim records (dicts, as verdicts.Outcome.record()
makes them and ``jsonable`` flattens them); no torch.
"""

from __future__ import annotations

import json
import math
import os

RECORD_KEY = "trainability_claim"  # a test's user_properties entry that carries its claim's record


def format_table(records: list[dict]) -> str:
    """One line per part of each claim: verdict, effect [interval], threshold, seeds, negation."""
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


def write_json(path: str, report: dict) -> None:
    """Write ``report`` to ``path`` atomically (a reader never sees half a file)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(report, f, indent=2)
    os.replace(tmp, path)


def _fmt(v) -> str:
    return v if isinstance(v, str) else f"{v:.3g}"


def jsonable(obj):
    """Plain JSON types (non-finite floats as strings): survives xdist and json.dump."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):  # numpy scalars
        obj = obj.item()
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else str(obj)
    if isinstance(obj, bool) or obj is None:
        return obj
    if isinstance(obj, int):
        return int(obj)
    return str(obj)  # str subclasses (torch.__version__ is a TorchVersion) and anything else
