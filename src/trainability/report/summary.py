"""The claims' report: the terminal summary table, tables assembled from claims that each give one
row, and the JSON file. Pure functions of claim records (dicts, as verdicts.Outcome.record()
makes them and ``jsonable`` flattens them); no torch.
"""

from __future__ import annotations

import json
import math
import os

from ..text import fmt, format_share, number

RECORD_KEY = "trainability_claim"  # a test's user_properties entry that carries its claim's record


WIDTH = 100  # the terminal summary fits this many columns


def format_table(records: list[dict], width: int = WIDTH) -> str:
    """A line per claim (id, rung, verdict, its suite-level verdict, seeds, seconds), then a line
    per part, indented: the comparison it makes, its share [interval] against its level, and the
    part's own verdict ("part holds"), all within ``width`` columns (the JSON has the full text)."""
    share_w, verdict_w = 24, 17
    text_w = width - 2 - 1 - share_w - 2 - verdict_w
    lines = ["claim [rung]: VERDICT (suite-level verdict), seeds, seconds; what its file expects there",
             "  " + "part: what it claims".ljust(text_w) + " " + "share [95%] vs level".rjust(share_w) + "  " +
             "part verdict", "-" * width]
    for r in records:
        extra = r.get("extra") or {}
        kind = " (placebo)" if extra.get("placebo") else " (restated)" if r.get("restated") else ""
        rung = rung_text(r)
        lecture = ", ".join(f"{k} {v['lecture']}" for k, v in r["settings"].items() if v.get("lecture") is not None)
        head = (f"{r['claim_id']}{kind}{'' if rung == '-' else f' [{rung}]'}: {r['verdict'].upper()} "
                f"(suite: {r.get('suite_verdict', '-')}), n {r['n_seeds']}, {r['seconds']:.0f}s; {expected_word(r)}")
        lines.append(_clip(head + (f"; lecture {lecture}" if lecture else ""), width))
        for p in r["parts"]:
            share = format_share(p)
            flag = " (limit)" if (p.get("description") or {}).get("limit decides") else ""
            what = _clip(p.get("short", p["statement"]) + flag, text_w)
            lines.append(f"  {what.ljust(text_w)} {_clip(share, share_w).rjust(share_w)}  part {p['verdict']}")
    if any((r.get("extra") or {}).get("selected-for") for r in records):
        lines.append("* selected-for: the rung was chosen by a search that rewarded this claim's outcome")
    if any((p.get("description") or {}).get("limit decides") for r in records for p in r["parts"]):
        lines.append("(limit): an information limit, not learning, decides this comparison; reported, not counted")
    return "\n".join(line.rstrip() for line in lines)


def share_of(part: dict) -> float:
    """A part record's estimate as a float: nan when the part had no trials (e.g. an escape gain
    without one discordant pair), which a JSON report stores as the string "nan"."""
    return number(part["estimate"])


def rung_text(r: dict) -> str:
    """A record's rung as shown: "proxy*" for a selected-for rung, "-" for a claim that does not scale."""
    return r["tier"] + ("*" if (r.get("extra") or {}).get("selected-for") else "")


def expected_word(r: dict) -> str:
    """What the claim file expects at the record's rung, in a few words."""
    e = r.get("expected")
    return "never measured" if not e else f"expected {e['verdict']}"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


SIDES = ("holds", "refuted")


def _sides(part: dict) -> dict[str, tuple[float, float]]:
    """{side: (p-value, e-value)} of a part record. Records of reports before issue 19 carry one
    p-value (1 / the confidence sequence's e-value, for the side the data lean to): read as such."""
    if "p_values" in part:
        return {side: (float(part["p_values"][side]), float(part["e_values"][side])) for side in SIDES}
    p = float(part.get("p_value", 1.0))
    if "estimate" in part and "level" in part:
        lean = "holds" if number(part["estimate"]) > part["level"] else "refuted"
    else:  # a record without its estimate: the side its verdict took (an undecided part, "holds")
        lean = "refuted" if part.get("verdict") == "refuted" else "holds"
    return {side: (p, 1 / p) if side == lean else (1.0, 1.0) for side in SIDES}


def adjust(records: list[dict], alpha: float = 0.05) -> dict:
    """The suite level, two controls over one family: both sides of every part of every claim of
    the report (a part is two hypotheses: "p <= q", rejected by "holds", and "p >= q", by "refuted").

        Holm    on the parts' p-values: the chance of any false verdict in the suite is at most
                alpha under any dependence (claims share runs); a reader who takes each verdict on
                its own has this promise.
        e-BH    on the parts' e-values (the one-sided Jeffreys mixture at the part's last look):
                the expected share of false verdicts among those confirmed is at most alpha under
                any dependence. It confirms what Holm cannot: a part decided early (12 of 12 seeds)
                carries too small a p-value advantage for a family of a hundred, but its e-value
                grows with every unanimous seed.

    A part keeps its verdict at the suite level under a control when that control rejects the
    verdict's side. A part flagged "limit decides" stays in the family (the flag is read off the same
    runs, so leaving it out would choose the family from the data). Sets ``adjusted_verdict``
    (Holm) and ``fdr_verdict`` (e-BH) on each part, ``suite_verdict`` and ``fdr_verdict`` on each
    claim, and ``evidence`` (the group of claims reading the same runs) on each claim; returns counts."""
    from ..decisions.stats import e_bh, holm  # on first use: this module stays light for the plugin

    hypotheses = [(part, side, pe) for r in records for part in r["parts"] for side, pe in _sides(part).items()]
    by_holm = holm([pe[0] for _, _, pe in hypotheses], alpha)
    by_ebh = e_bh([pe[1] for _, _, pe in hypotheses], alpha)
    kept = {"holm": set(), "ebh": set()}
    for (part, side, _), h, e in zip(hypotheses, by_holm, by_ebh):
        if h:
            kept["holm"].add((id(part), side))
        if e:
            kept["ebh"].add((id(part), side))
    for r in records:
        for part in r["parts"]:
            for key, control in (("adjusted_verdict", "holm"), ("fdr_verdict", "ebh")):
                part[key] = part["verdict"] if (id(part), part["verdict"]) in kept[control] else "inconclusive"
        for key, field in (("suite_verdict", "adjusted_verdict"), ("fdr_verdict", "fdr_verdict")):
            verdicts = [p[field] for p in r["parts"]]
            r[key] = ("refuted" if "refuted" in verdicts else
                      "holds" if verdicts and all(v == "holds" for v in verdicts) else "inconclusive")
    groups = evidence_groups(records)
    flagged = [p for r in records for p in r["parts"] if (p.get("description") or {}).get("limit decides")]
    claims = [r for r in records if not (r.get("extra") or {}).get("placebo")]
    placebos = [r for r in records if r not in claims]
    return {"method": "Holm and e-BH", "alpha": alpha, "parts": sum(len(r["parts"]) for r in records),
            "hypotheses": len(hypotheses), "not counted": len(flagged), "claims": len(claims),
            "hold": sum(r["suite_verdict"] == "holds" for r in claims),
            "refuted": sum(r["suite_verdict"] == "refuted" for r in claims),
            "fdr hold": sum(r["fdr_verdict"] == "holds" for r in claims),
            "fdr refuted": sum(r["fdr_verdict"] == "refuted" for r in claims),
            "evidence": len({groups[id(r)] for r in claims}),
            "placebos holding": sum(any(p["verdict"] == "holds" for p in r["parts"]) for r in placebos)}


def suite_lines(suite: dict) -> list[str]:
    """The suite level in the terminal: both controls, the pieces of evidence, the placebos."""
    return [f"suite level (over the {suite['parts']} parts of these {suite['claims']} claims and their placebos,",
            f"  both sides of each: {suite['hypotheses']} hypotheses; {suite['evidence']} pieces of evidence):",
            f"  Holm, any false verdict <= {suite['alpha']:g}: {suite['hold']} hold, {suite['refuted']} refuted",
            f"  e-BH, false-discovery rate <= {suite['alpha']:g}: {suite.get('fdr hold', '-')} hold, "
            f"{suite.get('fdr refuted', '-')} refuted; placebos with a part holding: {suite['placebos holding']}"]


def evidence_groups(records: list[dict]) -> dict[int, int]:
    """Claims that read the same runs (a setting and seed of the same rung) are one piece of
    evidence: {id(record): group number}, groups by connected runs; also set as ``evidence`` (the
    group's first claim id) on each record. A record without run identities is its own group."""
    parent = list(range(len(records)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[tuple, int] = {}
    for i, r in enumerate(records):
        for s in (r.get("settings") or {}).values():
            for seed in (s.get("per_seed") or {}).get("seed", []) if s.get("key") else []:
                run = (r.get("tier", "-"), s["key"], seed)
                if run in owner:
                    parent[find(i)] = find(owner[run])
                else:
                    owner[run] = i
    out = {id(r): find(i) for i, r in enumerate(records)}
    first = {}
    for i, r in enumerate(records):
        first.setdefault(find(i), r.get("claim_id", f"#{i}"))
        r["evidence"] = first[find(i)]
    return out


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
        width = 2 + max(len(c) for c in [*cols, *(fmt(v) for cells in rows.values() for v in cells.values())])
        lines = [title, "".ljust(16) + "".join(c.rjust(width) for c in cols)]
        lines += [row.ljust(16) + "".join(fmt(cells.get(c, "-")).rjust(width) for c in cols) for row, cells in rows.items()]
        out.append("\n".join(lines))
    return out


def lecture_rows(records: list[dict]) -> dict[int | None, dict[str, dict[str, dict]]]:
    """{lecture table (None: a label no table has): {row label: {rung: setting record + "claims"}}}:
    per rung the claim with the most seeds gives the numbers, and every claim that reads the row
    is listed with its verdict ("claims")."""
    from ..studies.lecture import TABLES  # plain data

    table_of = {label: n for n, table in sorted(TABLES.items(), reverse=True) for label in table}
    out: dict[int | None, dict[str, dict[str, dict]]] = {}
    for r in records:
        for label, s in r["settings"].items():
            if s.get("lecture") is None:
                continue
            cell = out.setdefault(table_of.get(label), {}).setdefault(label, {})
            best = cell.get(r["tier"])
            claims = (best or {}).get("claims", []) + [f"{r.get('claim_id', '?')} ({r.get('verdict', '?')})"]
            if best is None or s["n"] > best["n"]:
                best = dict(s)
            best["claims"] = claims
            cell[r["tier"]] = best
    return out


def format_lecture_rows(records: list[dict]) -> str | None:
    """The lecture's single numbers beside ours, grouped by the lecture's table, one line per row
    and rung: our median and IQR over the claim's seeds, and the escape share with its Wilson 95%
    interval (per rung, the claim with the most seeds wins)."""
    from ..decisions.stats import wilson  # on first use: this module stays light for the plugin

    groups = {(f"table {n}" if n is not None else "other"): rows for n, rows in lecture_rows(records).items()}
    if not groups:
        return None
    lines = [f"{'the lecture vs ours':<32}{'rung':<9}{'lecture':>8}{'median':>8}{'IQR':>14}  escaped [95%]"]
    for group in sorted(groups):
        lines.append(group)
        for label, by_rung in groups[group].items():
            for i, (rung, s) in enumerate(by_rung.items()):
                w = wilson(int(s["escaped"]), int(s["n"]))
                iqr = f"{fmt(s['q1'])}-{fmt(s['q3'])}"
                lines.append(f"  {label if i == 0 else '':<30}{rung:<9}{fmt(s['lecture']) if i == 0 else '':>8}"
                             f"{fmt(s['median']):>8}{iqr:>14}  {s['escaped']}/{s['n']} [{w.low:.2f}, {w.high:.2f}]")
    return "\n".join(lines)


def write_json(path: str, report: dict) -> None:
    """Write ``report`` to ``path`` atomically (a reader never sees half a file)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(report, f, indent=2)
    os.replace(tmp, path)


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
