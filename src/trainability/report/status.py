"""What the claim files expect against what the committed reports measured, per claim and rung:
``python -m trainability status`` (nothing is trained). Each claim file's ``EXPECTED[claim][rung]
= (verdict, why)`` is read by importing the file; each report is a ``claims.json`` under the
reports folder (docs/reports/<name>/).

A row is "measured" when a report decided the claim at that rung, "expected, never measured"
when the file records an expectation there and no report measured it, and "measured, nothing
expected" when a report has a verdict the file does not record.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path


def expectations(claims_dir: str | Path) -> dict[str, dict[str, tuple[str, str]]]:
    """{claim id: {rung or "*": (verdict, why)}} from every claim file under ``claims_dir``."""
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for path in sorted(Path(claims_dir).rglob("test_*.py")):
        spec = importlib.util.spec_from_file_location(f"_claimspec_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for claim, entries in (getattr(module, "EXPECTED", None) or {}).items():
            if claim in out:
                raise ValueError(f"claim {claim!r} has expectations in two files (the second: {path})")
            out[claim] = dict(entries)
    return out


def registered_designs(claims_dir: str | Path) -> dict[str, object]:
    """{"file: name[rung]": Design} for every seed design the claim files define at module level (a
    Design, or a dict of them per rung), as the claims use them."""
    from ..decisions.sequential import Design

    out = {}
    for path in sorted(Path(claims_dir).rglob("test_*.py")):
        spec = importlib.util.spec_from_file_location(f"_claimdesigns_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, value in vars(module).items():
            if isinstance(value, Design):
                out[f"{path.stem}: {name}"] = value
            elif isinstance(value, dict) and value and all(isinstance(v, Design) for v in value.values()):
                out.update({f"{path.stem}: {name}[{rung}]": d for rung, d in value.items()})
    return out


def reports(reports_dir: str | Path) -> dict[str, dict]:
    """{report name: the JSON report} for every docs/reports/<name>/claims.json."""
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(Path(reports_dir).glob("*/claims.json"))}


def status(claims_dir: str | Path, reports_dir: str | Path) -> list[dict]:
    """One row per (claim, rung) that a file expects or a report measured."""
    from ..decisions.verdicts import expectation

    expected, measured = expectations(claims_dir), reports(reports_dir)
    rows, seen = [], set()
    for name, report in measured.items():
        for r in report["claims"]:
            entry = expectation(expected, r["claim_id"], r["tier"])
            seen.add((r["claim_id"], r["tier"]))
            rows.append(dict(claim=r["claim_id"], rung=r["tier"], report=name, verdict=r["verdict"],
                             expected=entry[0] if entry else None,
                             state="measured" if entry else "measured, nothing expected"))
    for claim, entries in expected.items():
        for rung, (verdict, *_) in entries.items():
            if rung != "*" and (claim, rung) not in seen:
                rows.append(dict(claim=claim, rung=rung, report=None, verdict=None, expected=verdict,
                                 state="expected, never measured"))
    return rows


def agrees(row: dict) -> bool:
    """A measured verdict is the one expected ("not holds": anything but holds)."""
    if row["expected"] is None or row["verdict"] is None:
        return False
    return row["verdict"] != "holds" if row["expected"] == "not holds" else row["verdict"] == row["expected"]


def format_status(rows: list[dict]) -> str:
    lines = [f"{'claim':<34}{'rung':<12}{'expected':<14}{'measured':<14}{'report':<14}state"]
    for r in sorted(rows, key=lambda r: (r["claim"], r["rung"])):
        state = r["state"] if r["state"] != "measured" or agrees(r) else "measured, DIFFERS from expected"
        lines.append(f"{r['claim'][:33]:<34}{r['rung']:<12}{r['expected'] or '-':<14}{r['verdict'] or '-':<14}"
                     f"{r['report'] or '-':<14}{state}")
    return "\n".join(lines)
