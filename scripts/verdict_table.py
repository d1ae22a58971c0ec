"""Print a Markdown table of two JSON reports' verdicts claim by claim (docs/history.md's tables):

    python scripts/verdict_table.py BEFORE.json AFTER.json

Each row: the claim, its rung, and per report its verdict, seeds, suite-level verdict under Holm
(and under e-BH where the report has it); a row whose claim verdict differs is marked changed.
"""

from __future__ import annotations

import json
import sys


def rows(path: str) -> dict:
    with open(path) as f:
        data = json.load(f)
    return {(c["claim_id"], c["tier"]): c for c in data["claims"]}


def cell(c) -> str:
    if c is None:
        return "(new)"
    out = [c["verdict"], str(c["n_seeds"]), c.get("suite_verdict", "-")]
    if "fdr_verdict" in c:
        out.append(c["fdr_verdict"])
    return ", ".join(out)


def main(argv=None) -> None:
    before, after = (rows(p) for p in (argv or sys.argv[1:]))
    print("| claim | rung | before: verdict, seeds, Holm | after: verdict, seeds, Holm, e-BH |\n|---|---|---|---|")
    for key, c in after.items():
        b = before.get(key)
        mark = " **changed**" if b is not None and b["verdict"] != c["verdict"] else ""
        print(f"| {key[0]} | {key[1]} | {cell(b)} | {cell(c)}{mark} |")


if __name__ == "__main__":
    main()
