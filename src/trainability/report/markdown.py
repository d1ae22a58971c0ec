"""The Markdown report: ``DIR/README.md`` (renders on GitHub) and its PNG figures, drawn from a
claims JSON report alone (``python -m trainability report REPORT.json -o DIR``, or
``pytest claims/ --claims-markdown DIR``). Nothing is trained.

Sections: the run's header; the suite-level summary; a table of every claim (its verdict, what
its file expects at that rung, the suite-level verdict); one section per claim (its parts, its
settings' numbers, its figure), whose heading ``<claim id> [<rung>]`` gives the anchor claim files
link to (``anchor``); each of the lecture's tables beside ours per rung; the tables assembled
across claims (L11); the figures (plots.py).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile

from ..text import fmt, format_share, number
from .summary import lecture_rows as report_lecture_rows, rung_text

SCHEMA = 4  # the JSON report's schema this library writes and reads (older ones: see check_report)


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


def heading(r: dict) -> str:
    """A claim's section heading: its id, and its rung in brackets when it has one."""
    return r["claim_id"] + ("" if r["tier"] == "-" else f" [{r['tier']}]")


def anchor(text: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation other than - and _ dropped, spaces as -.

    >>> anchor("L6-chance [lecture@8]"), anchor("L11-n-gram n4 x")
    ('l6-chance-lecture8', 'l11-n-gram-n4-x')
    """
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def header(report: dict) -> list[str]:
    lib = report.get("library") or {}
    code = f"code {lib.get('code', '-')}, run code {lib.get('run_code', '-')}, decision code {lib.get('decide_code', '-')}"
    rows = [("base seed", report.get("base_seed")), ("scale", report.get("scale")),
            ("rungs", ", ".join(sorted({r["tier"] for r in report["claims"]} - {"-"})) or "-"),
            ("seed cap", report.get("seeds_cap") or "none (each claim's design)"), ("device", report.get("device", "-")),
            ("numerics", _numerics(report.get("numerics"))),
            ("torch", report.get("torch_version")), ("python", report.get("python")),
            ("trainability", f"{lib.get('version', '-')} ({code}; git {lib.get('git_commit') or '-'})"),
            ("wall time", _duration(number(report.get("seconds", 0)))), ("exit status", report.get("exit_status"))]
    return ["| run | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]


def _numerics(n: dict | None) -> str:
    """The kernels' code path and precision flags the report's runs were computed with."""
    if not n:
        return "-"
    pins = ", ".join(f"{k}={v}" for k, v in (n.get("pins") or {}).items() if v) or "none"
    text = f"CPU kernels {n.get('cpu_capability')} (pins: {pins})"
    if n.get("gpu"):
        text += (f"; {n['gpu']} (capability {'.'.join(map(str, n.get('gpu_capability') or []))}), cuDNN "
                 f"{n.get('cudnn')}, TF32 matmul {n.get('matmul_tf32')} / cuDNN {n.get('cudnn_tf32')}, deterministic "
                 f"{n.get('deterministic_algorithms')}")
    return text


def suite_line(report: dict) -> str:
    s = report.get("suite")
    if not s:
        return "No claim was decided."
    if "fdr hold" not in s:  # a report before issue 19: Holm alone
        return (f"Suite level ({s['method']} over {s['parts']} parts; the chance of any false verdict is at most "
                f"{s['alpha']:g}): **{s['hold']} of {s['claims']} claims hold, {s['refuted']} are refuted**; "
                f"placebos holding: {s['placebos holding']}.")
    return (f"Suite level, over both sides of every part of this report's claims ({s['hypotheses']} hypotheses; "
            f"{s['claims']} claims in {s['evidence']} pieces of evidence, claims that read the same runs counted once): "
            f"under Holm (the chance of any false verdict at most {s['alpha']:g}) **{s['hold']} hold and "
            f"{s['refuted']} are refuted**; under e-BH (the expected share of false verdicts among the confirmed at "
            f"most {s['alpha']:g}) **{s['fdr hold']} hold and {s['fdr refuted']} are refuted**. Placebos with a "
            f"part holding: {s['placebos holding']}.")


def expected_text(r: dict) -> str:
    """What the claim file expects at the record's rung: its verdict, or "never measured"."""
    e = r.get("expected")
    return "never measured" if not e else e["verdict"]


def claims_table(records: list[dict]) -> list[str]:
    """One row per claim, linking to its section."""
    out = ["| claim | rung | verdict | expected | Holm | e-BH | evidence | seeds | parts holding |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        extra = r.get("extra") or {}
        kind = " (placebo)" if extra.get("placebo") else " (restated)" if r.get("restated") else ""
        rung = rung_text(r).replace("*", "\\*")
        holding = sum(p["verdict"] == "holds" for p in r["parts"])
        out.append(f"| [{r['claim_id']}](#{anchor(heading(r))}){kind} | {rung} | **{r['verdict']}** | {expected_text(r)} "
                   f"| {r.get('suite_verdict', '-')} | {r.get('fdr_verdict', '-')} | {r.get('evidence', '-')} "
                   f"| {r['n_seeds']} | {holding} of {len(r['parts'])} |")
    return out


def claim_section(r: dict, figure: str | list[tuple[str, str]] | None) -> list[str]:
    """A claim's own section: its statement, parts, settings and figures (a file name, or
    [(caption, file name)])."""
    e = r.get("expected")
    expect = (f"expected **{e['verdict']}** ({e.get('provenance', 'recorded after its first look')}): {e['why']}" if e else
              "no expectation recorded at this rung (never measured before)")
    lines = [f"### {heading(r)}", "", f"{r['title']} ({r['source']}).", "",
             f"Verdict **{r['verdict']}** on {r['n_seeds']} {'paired seeds' if r['settings'] else 'draws'} "
             f"(alpha {r['alpha']}, base seed {r['base_seed']}; suite level: {r.get('suite_verdict', '-')}); {expect}."]
    if r.get("restated"):
        lines += ["", f"Restated, decided on fresh seeds: {r['restated']}."]
    lines += ["", "| part: what it claims | share [95%] vs level | n | verdict | Holm / e-BH | alpha spent (holds / "
              "refuted) | description |", "|---|---|---|---|---|---|---|"]
    for p in r["parts"]:
        flag = " (limit decides)" if (p.get("description") or {}).get("limit decides") else ""
        desc = "; ".join(f"{k}: {fmt(v)}" for k, v in (p.get("description") or {}).items())
        todo = f" {p['to_decide']}" if p.get("to_decide") else ""
        spent = p.get("spent")
        spent = f"{spent['holds']:.4f} / {spent['refuted']:.4f}" if spent else "-"
        lines.append(f"| {p['quantity']}: {p['statement']}{flag} | {format_share(p)} | {p['n']} | {p['verdict']}{todo} "
                     f"| {p.get('adjusted_verdict', '-')} / {p.get('fdr_verdict', '-')} | {spent} | {desc} |")
    methods = list(dict.fromkeys(p["method"] for p in r["parts"] if p.get("method")))
    design = (r.get("extra") or {}).get("design")
    if methods or design:
        lines += ["", "Test: " + "; ".join(methods) + (f"; design {design}" if design else "") + "."]
    if r["settings"]:
        lines += ["", "| setting | runs as | median (IQR) | escaped | median escape step | lecture |", "|---|---|---|---|---|---|"]
        for label, s in r["settings"].items():
            measured = "".join(f"; {k} {fmt(v)}" for k, v in (s.get("measured_median") or {}).items())
            lines.append(f"| {label} | {s['setting']} | {fmt(s['median'])} ({fmt(s['q1'])}-{fmt(s['q3'])}){measured} | "
                         f"{s['escaped']}/{s['n']} | {fmt(s.get('escape_median'))} | {fmt(s.get('lecture'))} |")
    for caption, name in [("training loss", figure)] if isinstance(figure, str) else figure or []:
        lines += ["", f"![{heading(r)}: {caption}]({name})"]
    return lines + [""]


def lecture_rows(records: list[dict]) -> dict[int, dict[str, dict[str, dict]]]:
    """report.summary.lecture_rows without the rows that no lecture table has."""
    return {n: rows for n, rows in report_lecture_rows(records).items() if n is not None}


def percentile(value: float, finals) -> float:
    """Where the lecture's single number falls among our seeds: the share of seeds below it (%)."""
    xs = [number(v) for v in finals]
    below = sum(x < value for x in xs) + 0.5 * sum(x == value for x in xs)
    return 100 * below / len(xs)


def lecture_table(n: int, rows: dict[str, dict[str, dict]]) -> list[str]:
    from ..decisions.stats import wilson

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


def _file_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")


def figures(records: list[dict], directory: str) -> tuple[list[tuple[str, str]], dict[int, str]]:
    """Draw every figure into ``directory``: [(caption, file name)] of the report-wide figures, and
    {record index: [(caption, file name)]} of the claims' own figures (for claims that read no
    lecture table, whose curves the table figures show): the loss curves, and where the escape
    rule reads a measurement (the parity claims' "solved"), the escape-time survival."""
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
            name = _file_name(f"table{n}-{rung}")
            plots.loss_curves(f"table {n} at {rung}: training loss, median and IQR over seeds", rows,
                              os.path.join(directory, f"{name}-loss.png"))
            plots.survival(f"table {n} at {rung}: escape from the plateau (censored at the run's end)", rows,
                           os.path.join(directory, f"{name}-escape.png"))
            made += [(f"Table {n} at {rung}: loss curves", f"{name}-loss.png"),
                     (f"Table {n} at {rung}: escape-time survival", f"{name}-escape.png")]
    own = {}
    for i, r in enumerate(records):
        rows = {label: s for label, s in r["settings"].items() if "curve" in s}
        if rows and not any(s.get("lecture") is not None for s in r["settings"].values()):
            name = f"claim-{_file_name(heading(r))}-loss.png"
            floor = next(iter(rows.values())).get("floor", 1.0)
            plots.loss_curves(f"{heading(r)}: training loss, median and IQR over seeds", rows,
                              os.path.join(directory, name), floor=number(floor), linear=None)
            own[i] = [("training loss", name)]
            rule = next(iter(rows.values())).get("escape_rule", "")
            if rule and not rule.startswith("running train_loss"):  # an escape read off a measurement: show when
                name = f"claim-{_file_name(heading(r))}-escape.png"
                plots.survival(f"{heading(r)}: share of seeds not yet escaped ({rule})", rows,
                               os.path.join(directory, name))
                own[i].append(("escape-time survival", name))
    if any(r["claim_id"].startswith("L11-") for r in records):
        plots.influence(os.path.join(directory, "influence.png"))
        made.append(("L11 at initialisation: influence profiles by lag", "influence.png"))
    return made, own


def write(report: dict, directory: str, draw: bool = True) -> str:
    """Write ``directory``/README.md and its figures; returns the README's path. The report is
    built aside and moved into place at the end, so a failure leaves no half report; the README and
    PNG figures of an earlier report there are replaced, other files (the JSON report) are kept."""
    check_report(report)
    records = report["claims"]
    parent = os.path.dirname(os.path.abspath(directory))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".report-", dir=parent)
    try:
        made, own = figures(records, tmp) if draw and records else ([], {})
        lines = ["# trainability: claims report", "", *header(report), "", suite_line(report), "",
                 "## Claims", "", "The claim holds when every part holds and is refuted when one is. `expected` is "
                 "what the claim file records for that rung (\"never measured\": nothing yet); `Holm` and "
                 "`e-BH` are its verdicts at the suite level, under each control of the line above; `evidence` "
                 "names the first claim of its group of claims reading the same runs. \\* marks a rung chosen by a search "
                 "that rewarded the claim's outcome.", "", *claims_table(records), ""]
        tables = lecture_rows(records)
        if tables:
            lines += ["## The lecture's tables beside ours", "",
                      "Median and IQR of the test loss (0.5 x MSE) over the claim's seeds, the escape share "
                      "with its Wilson 95% interval, and where the lecture's single run falls among our seeds.", ""]
            for n in sorted(tables):
                lines += [*lecture_table(n, tables[n]), ""]
        lines += grids(records)
        lines += ["## Each claim", ""]
        for i, r in enumerate(records):
            lines += claim_section(r, own.get(i))
        if made:
            lines += ["## Figures", ""] + [f"**{caption}**\n\n![{caption}]({name})\n" for caption, name in made]
        with open(os.path.join(tmp, "README.md"), "w") as f:
            f.write("\n".join(lines) + "\n")
        if not os.path.isdir(directory):
            os.replace(tmp, directory)
            return os.path.join(directory, "README.md")
        for name in os.listdir(directory):
            if name == "README.md" or name.endswith(".png"):
                os.remove(os.path.join(directory, name))
        for name in os.listdir(tmp):
            os.replace(os.path.join(tmp, name), os.path.join(directory, name))
        os.rmdir(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return os.path.join(directory, "README.md")
