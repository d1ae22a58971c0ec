"""The Markdown report: ``DIR/README.md`` (renders on GitHub) and its PNG figures, drawn from a
claims JSON report alone (``python -m trainability report REPORT.json -o DIR``, or
``pytest claims/ --claims-markdown DIR``). Nothing is trained.

Sections: the run's header; the suite-level summary; every claim with its parts; each of the
lecture's tables beside ours per rung (median, IQR, escape share with its Wilson interval,
diverged, where the lecture's single number falls among our seeds, and the claims that read the
row); the tables assembled across claims (L11); the figures (plots.py).
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile

from .report import lecture_rows as report_lecture_rows, share_of

SCHEMA = 3  # the JSON report's schema this library writes and reads (older ones: see check_report)


class ReportError(ValueError):
    """A report file that is not ours, or that this version cannot read."""


def check_report(report, where: str = "report") -> dict:
    """Refuse what is not a claims report of a schema this library reads."""
    if not isinstance(report, dict) or "claims" not in report or "schema" not in report:
        raise ReportError(f"{where} is not a trainability claims report (no 'schema' and 'claims' keys)")
    if not isinstance(report["schema"], int) or report["schema"] > SCHEMA:
        raise ReportError(f"{where} has schema {report['schema']!r}, newer than this library reads ({SCHEMA}): "
                          "upgrade trainability")
    return report


def fmt(v) -> str:
    if isinstance(v, str):
        return v
    if v is None:
        return "-"
    return f"{v:.3g}"


def _share(p: dict) -> str:
    """A part's share with its interval against its level; "no trials" when nothing was counted."""
    if not math.isfinite(share_of(p)):
        return f"no trials vs {p['level']:g}"
    return f"{fmt(p['estimate'])} [{fmt(p['low'])}, {fmt(p['high'])}] vs {p['level']:g}"


def _num(v) -> float:
    return math.inf if isinstance(v, str) else float(v)


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def header(report: dict) -> list[str]:
    lib = report.get("library") or {}
    rows = [("base seed", report.get("base_seed")), ("scale", report.get("scale")),
            ("rungs", ", ".join(report.get("rungs") or []) or "-"), ("device", report.get("device", "-")),
            ("torch", report.get("torch_version")), ("python", report.get("python")),
            ("trainability", f"{lib.get('version', '-')} (code {lib.get('code', '-')}, git {lib.get('git_commit') or '-'})"),
            ("wall time", _duration(_num(report.get("seconds", 0)))), ("exit status", report.get("exit_status"))]
    return ["| run | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]


def suite_line(report: dict) -> str:
    s = report.get("suite")
    if not s:
        return "No claim was decided."
    return (f"Suite level ({s['method']} over {s['parts']} parts; the chance of any false verdict is at most "
            f"{s['alpha']:g}): **{s['hold']} of {s['claims']} claims hold, {s['refuted']} are refuted**; placebos "
            f"holding: {s['placebos holding']}.")


def claims_table(records: list[dict]) -> list[str]:
    """One row per part: which comparison it is, its share and interval against its level."""
    out = ["| claim | rung | verdict | suite | part: what it claims | share [95%] vs level | n | part verdict |",
           "|---|---|---|---|---|---|---|---|"]
    for r in records:
        extra = r.get("extra") or {}
        kind = " (placebo)" if extra.get("placebo") else " (restated)" if r.get("restated") else ""
        tier = r["tier"] + ("\\*" if extra.get("selected-for") else "")
        for i, p in enumerate(r["parts"]):
            first = i == 0
            flag = " (limit decides)" if (p.get("description") or {}).get("limit decides") else ""
            out.append(f"| {r['claim_id'] + kind if first else ''} | {tier if first else ''} | "
                       f"{'**' + r['verdict'] + '**' if first else ''} | {r.get('suite_verdict', '-') if first else ''} "
                       f"| {p['quantity']}: {p['statement']}{flag} | {_share(p)} | {p['n']} | {p['verdict']} |")
    return out


def lecture_rows(records: list[dict]) -> dict[int, dict[str, dict[str, dict]]]:
    """report.lecture_rows without the rows that no lecture table has."""
    return {n: rows for n, rows in report_lecture_rows(records).items() if n is not None}


def percentile(value: float, finals) -> float:
    """Where the lecture's single number falls among our seeds: the share of seeds below it (%)."""
    xs = [_num(v) for v in finals]
    below = sum(x < value for x in xs) + 0.5 * sum(x == value for x in xs)
    return 100 * below / len(xs)


def lecture_table(n: int, rows: dict[str, dict[str, dict]]) -> list[str]:
    from .stats import wilson

    out = [f"| table {n}: row | lecture | rung | median | IQR | escaped [95%] | diverged | lecture's percentile | "
           "claims that read it |", "|---|---|---|---|---|---|---|---|---|"]
    for label, by_rung in rows.items():
        for i, (rung, s) in enumerate(by_rung.items()):
            w = wilson(int(s["escaped"]), int(s["n"]))
            pct = percentile(s["lecture"], s["per_seed"]["final"]) if "per_seed" in s else None
            out.append(f"| {label if i == 0 else ''} | {fmt(s['lecture']) if i == 0 else ''} | {rung} | {fmt(s['median'])} "
                       f"| {fmt(s['q1'])}-{fmt(s['q3'])} | {s['escaped']}/{s['n']} [{w.low:.2f}, {w.high:.2f}] | "
                       f"{s.get('diverged', 0)} | {'-' if pct is None else f'{pct:.0f}'} | "
                       f"{', '.join(sorted(set(s['claims'])))} |")
    return out


def grids(records: list[dict]) -> list[str]:
    """The tables assembled across claims (extra: grid, row, cells), with each cell's verdict."""
    found: dict[str, dict[str, tuple[dict, str]]] = {}
    for r in records:
        extra = r.get("extra") or {}
        if "grid" in extra:
            found.setdefault(extra["grid"], {})[extra["row"]] = (extra["cells"], r["verdict"])
    out = []
    for title, rows in found.items():
        cols = list(next(iter(rows.values()))[0])
        out += [f"**{title}**", "", "| row | " + " | ".join(cols) + " | verdict |", "|---" * (len(cols) + 2) + "|"]
        out += [f"| {row} | " + " | ".join(fmt(cells.get(c, "-")) for c in cols) + f" | {verdict} |"
                for row, (cells, verdict) in rows.items()]
        out.append("")
    return out


def figures(records: list[dict], directory: str) -> list[tuple[str, str]]:
    """Draw every figure into ``directory``; [(caption, file name)]."""
    from . import plots

    made = [("Every claim part's share and interval against its level", "forest.png")]
    plots.forest(records, os.path.join(directory, "forest.png"))
    by_table = lecture_rows(records)
    for n in sorted(by_table):
        rungs = sorted({rung for by_rung in by_table[n].values() for rung in by_rung})
        for rung in rungs:
            rows = {label: by_rung[rung] for label, by_rung in by_table[n].items() if rung in by_rung
                    and "curve" in by_rung[rung]}
            if not rows:
                continue
            name = f"table{n}-{rung}"
            plots.loss_curves(f"table {n} at {rung}: training loss, median and IQR over seeds", rows,
                              os.path.join(directory, f"{name}-loss.png"))
            plots.survival(f"table {n} at {rung}: escape from the plateau (censored at the run's end)", rows,
                           os.path.join(directory, f"{name}-escape.png"))
            made += [(f"Table {n} at {rung}: loss curves", f"{name}-loss.png"),
                     (f"Table {n} at {rung}: escape-time survival", f"{name}-escape.png")]
    plots.influence(os.path.join(directory, "influence.png"))
    made.append(("L11 at initialisation: influence profiles by lag", "influence.png"))
    return made


def write(report: dict, directory: str, draw: bool = True) -> str:
    """Write ``directory``/README.md and its figures; returns the README's path. The directory is
    built aside and moved into place at the end, so a failure leaves no half report."""
    check_report(report)
    records = report["claims"]
    parent = os.path.dirname(os.path.abspath(directory))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".report-", dir=parent)
    try:
        made = figures(records, tmp) if draw and records else []
        lines = ["# trainability: claims report", "", *header(report), "", suite_line(report), "",
                 "## Claims", "", "Each row under a claim is one of its parts; the claim holds when every part "
                 "holds and is refuted when one is. `suite` is the verdict after Holm's adjustment over the "
                 "whole suite. \\* marks a rung chosen by a search that rewarded the claim's outcome.", "",
                 *claims_table(records), ""]
        tables = lecture_rows(records)
        if tables:
            lines += ["## The lecture's tables beside ours", "",
                      "Median and IQR of the test loss (0.5 x MSE) over the claim's seeds, the escape share "
                      "with its Wilson 95% interval, and where the lecture's single run falls among our seeds.", ""]
            for n in sorted(tables):
                lines += [*lecture_table(n, tables[n]), ""]
        lines += grids(records)
        if made:
            lines += ["## Figures", ""] + [f"**{caption}**\n\n![{caption}]({name})\n" for caption, name in made]
        with open(os.path.join(tmp, "README.md"), "w") as f:
            f.write("\n".join(lines) + "\n")
        if os.path.isdir(directory):
            shutil.rmtree(directory)
        os.replace(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return os.path.join(directory, "README.md")
