"""Report to report: what moved between two claims reports (``python -m trainability compare OLD
NEW``), and one report from the shards of a split suite (``python -m trainability merge``).
Pure functions of report dicts (markdown.check_report validates them); no torch.

A part "moved" when its verdict changed, or its estimate left the other report's interval (either
way round). A claim in one report and not the other is listed too. ``changed`` is true when a
verdict changed or a claim is missing: a nightly job fails on it.

``replication`` (``compare --replication``) asks the other question: do the verdicts replicate on
fresh seeds (reports of different base seeds, same scale)? Hard flips (holds <-> refuted) apart
from moves to or from inconclusive, each part's two estimates and seeds, and what the power
computation expected: the chance the new design reaches the old verdict again if the old estimate
were the true share.
"""

from __future__ import annotations

import math

from ..text import fmt
from .markdown import ReportError, check_report
from .summary import adjust, share_of


def _key(r: dict) -> tuple[str, str]:
    return (r["claim_id"], r["tier"])


def _records(report: dict) -> dict[tuple[str, str], dict]:
    """The report's claims by (id, rung). Reports of schema 3 and older labelled a claim that does
    not scale with the session's scale ("cpu"); it is read as today's "-"."""
    legacy = report.get("schema", 0) <= 3 and report.get("scale") not in (report.get("rungs") or [])
    return {(r["claim_id"], "-" if legacy and r["tier"] == report.get("scale") else r["tier"]): r
            for r in report["claims"]}


def _versions(report: dict) -> str:
    lib = report.get("library") or {}
    return (f"torch {report.get('torch_version', '-')}, trainability {lib.get('version', '-')} "
            f"(code {lib.get('code', '-')}, git {lib.get('git_commit') or '-'})")


def same_run_design(old: dict, new: dict) -> None:
    """Two reports can be compared or merged only on the same base seed and scale."""
    for field in ("base_seed", "scale"):
        if old.get(field) != new.get(field):
            raise ReportError(f"the reports differ in {field}: {old.get(field)!r} vs {new.get(field)!r}; "
                              "compare reports of the same design (base seed and scale)")


def compare(old: dict, new: dict) -> dict:
    """{"rows": [...], "missing": [...], "changed": bool, "old": versions, "new": versions}."""
    check_report(old, "the old report")
    check_report(new, "the new report")
    same_run_design(old, new)
    a, b = _records(old), _records(new)
    rows, changed = [], False
    missing = [(k, "only in the old report") for k in a if k not in b] + [
        (k, "only in the new report") for k in b if k not in a]
    for k in a:
        if k not in b:
            continue
        ra, rb = a[k], b[k]
        if ra["verdict"] != rb["verdict"]:
            changed = True
        for i, (pa, pb) in enumerate(zip(ra["parts"], rb["parts"])):
            verdict_moved = pa["verdict"] != pb["verdict"]
            ea, eb = share_of(pa), share_of(pb)  # nan (no trials) is outside every interval: it moved unless both are nan
            estimate_moved = (not (math.isnan(ea) and math.isnan(eb))
                              and not (pa["low"] <= eb <= pa["high"] and pb["low"] <= ea <= pb["high"]))
            if verdict_moved or estimate_moved or ra["verdict"] != rb["verdict"]:
                rows.append(dict(claim=k[0], tier=k[1], part=i, statement=pb["statement"],
                                 claim_verdict=(ra["verdict"], rb["verdict"]), verdict=(pa["verdict"], pb["verdict"]),
                                 old=(pa["estimate"], pa["low"], pa["high"], pa["n"]),
                                 new=(pb["estimate"], pb["low"], pb["high"], pb["n"])))
    return {"rows": rows, "missing": missing, "changed": changed or bool(missing),
            "old": _versions(old), "new": _versions(new)}


def format_comparison(result: dict) -> str:
    """Markdown: the versions, then one row per part that moved."""
    lines = [f"old: {result['old']}", f"new: {result['new']}", ""]
    if not result["rows"] and not result["missing"]:
        return "\n".join(lines + ["No verdict changed and no estimate left its interval."])
    lines += ["| claim | rung | part | claim verdict | part verdict | old share [95%] (n) | new share [95%] (n) |",
              "|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        cv = " -> ".join(r["claim_verdict"]) if r["claim_verdict"][0] != r["claim_verdict"][1] else r["claim_verdict"][0]
        pv = " -> ".join(r["verdict"]) if r["verdict"][0] != r["verdict"][1] else r["verdict"][0]
        o, n = r["old"], r["new"]
        lines.append(f"| {r['claim']} | {r['tier']} | {r['statement']} | {cv} | {pv} | {fmt(o[0])} [{fmt(o[1])}, "
                     f"{fmt(o[2])}] ({o[3]}) | {fmt(n[0])} [{fmt(n[1])}, {fmt(n[2])}] ({n[3]}) |")
    for (claim, tier), where in result["missing"]:
        lines.append(f"| {claim} | {tier} | - | {where} | | | |")
    lines += ["", "A verdict changed or a claim is missing." if result["changed"] else
              "No verdict changed; some estimates moved beyond their intervals."]
    return "\n".join(lines)


def replication(old: dict, new: dict) -> dict:
    """{"rows": per claim in both, "hard flips", "moves", "same", "only one": claim keys}."""
    from ..decisions.power import parse_design  # on first use: this module stays light
    from ..decisions.sequential import operating

    check_report(old, "the first report")
    check_report(new, "the replication")
    if old.get("scale") != new.get("scale"):
        raise ReportError(f"the reports differ in scale: {old.get('scale')!r} vs {new.get('scale')!r}; a "
                          "replication runs the same claims at the same rungs")
    if old.get("base_seed") == new.get("base_seed"):
        raise ReportError(f"both reports have base seed {old.get('base_seed')}: a replication runs on fresh seeds "
                          "(--base-seed); compare them without --replication")
    a, b = _records(old), _records(new)
    rows, counts = [], {"hard flips": 0, "moves": 0, "same": 0}
    for k in a:
        if k not in b:
            continue
        ra, rb = a[k], b[k]
        pair = {ra["verdict"], rb["verdict"]}
        kind = "same" if len(pair) == 1 else "hard flip" if pair == {"holds", "refuted"} else "move"
        counts["hard flips" if kind == "hard flip" else "moves" if kind == "move" else "same"] += 1
        parts = []
        for pa, pb in zip(ra["parts"], rb["parts"]):
            expected = None
            design = (rb.get("extra") or {}).get("design")
            share = share_of(pa)
            if design and not math.isnan(share) and pa.get("seeds"):
                d = parse_design(design.split(",")[0], float(rb.get("alpha", 0.05)))
                o = operating(d.sizes, pa["level"], min(max(share, 0.0), 1.0), d.alpha,
                              min(1.0, pa["n"] / pa["seeds"]) or 1e-9)
                expected = o.get(pa["verdict"], o["inconclusive"])
            parts.append(dict(statement=pb["statement"], verdict=(pa["verdict"], pb["verdict"]),
                              old=(pa["estimate"], pa["n"], pa.get("seeds", ra["n_seeds"])),
                              new=(pb["estimate"], pb["n"], pb.get("seeds", rb["n_seeds"])), expected=expected))
        rows.append(dict(claim=k[0], tier=k[1], kind=kind, verdict=(ra["verdict"], rb["verdict"]),
                         seeds=(ra["n_seeds"], rb["n_seeds"]), parts=parts))
    only = [k for k in a if k not in b] + [k for k in b if k not in a]
    return {"rows": rows, **counts, "only one": only, "base seeds": (old.get("base_seed"), new.get("base_seed")),
            "old": _versions(old), "new": _versions(new)}


def format_replication(result: dict) -> str:
    """Markdown: the counts, then every claim whose verdict moved, with its parts."""
    s0, s1 = result["base seeds"]
    lines = [f"first: base seed {s0}, {result['old']}", f"replication: base seed {s1}, {result['new']}", "",
             f"{len(result['rows'])} claims in both: {result['same']} the same verdict, {result['moves']} moved to or "
             f"from inconclusive, {result['hard flips']} hard flips (holds <-> refuted)", ""]
    moved = [r for r in result["rows"] if r["kind"] != "same"]
    if moved:
        lines += ["| claim | rung | verdict | seeds | part | share (trials / seeds) | P(old verdict again) |",
                  "|---|---|---|---|---|---|---|"]
        for r in moved:
            for i, p in enumerate(r["parts"]):
                head = (f"| {r['claim']} | {r['tier']} | {' -> '.join(r['verdict'])} ({r['kind']}) | "
                        f"{r['seeds'][0]} -> {r['seeds'][1]} |" if i == 0 else "| | | | |")
                o, n = p["old"], p["new"]
                exp = "-" if p["expected"] is None else f"{p['expected']:.2f}"
                lines.append(f"{head} {p['statement']} ({' -> '.join(p['verdict'])}) | {fmt(o[0])} ({o[1]}/{o[2]}) -> "
                             f"{fmt(n[0])} ({n[1]}/{n[2]}) | {exp} |")
        lines += ["", "P(old verdict again): the replication's design at the first report's estimate as the true "
                      "share (decisions.sequential.operating); a low one says the move is power, not a contradiction."]
    for claim, tier in result["only one"]:
        lines.append(f"{claim} [{tier}]: in one report only")
    return "\n".join(lines)


def merge_reports(reports: list[dict], names: list[str]) -> dict:
    """One report from the reports of a split suite's shards, or of several rungs' reports (the
    d32, d64 and lecture reports into one family): the claims of all (a claim decided at one rung
    in two reports is an error naming both), one suite-level adjustment over them all. The reports
    share a base seed; the merged scale and rungs are the union of theirs."""
    if not reports:
        raise ReportError("nothing to merge: give at least one report")
    for r, name in zip(reports, names):
        check_report(r, name)
    first = reports[0]
    for r, name in zip(reports[1:], names[1:]):
        if r.get("base_seed") != first.get("base_seed"):
            raise ReportError(f"{names[0]} and {name} differ in base_seed: {first.get('base_seed')!r} vs "
                              f"{r.get('base_seed')!r}; merge reports of the same seeds")
        for field in ("schema", "torch_version"):
            if r.get(field) != first.get(field):
                raise ReportError(f"{names[0]} and {name} differ in {field}: {first.get(field)!r} vs {r.get(field)!r}")
        if (r.get("library") or {}).get("code") != (first.get("library") or {}).get("code"):
            raise ReportError(f"{names[0]} and {name} come from different library versions (code "
                              f"{(first.get('library') or {}).get('code')} vs {(r.get('library') or {}).get('code')})")
    seen: dict[tuple[str, str], str] = {}
    claims = []
    for r, name in zip(reports, names):
        for c in r["claims"]:
            if _key(c) in seen:
                raise ReportError(f"claim {c['claim_id']} [{c['tier']}] is in both {seen[_key(c)]} and {name}")
            seen[_key(c)] = name
            claims.append({k: v for k, v in c.items() if k not in ("suite_verdict",)})
    scales = list(dict.fromkeys(r.get("scale") for r in reports))
    rungs = list(dict.fromkeys(t for r in reports for t in (r.get("rungs") or [])))
    merged = dict(first, claims=claims, scale="+".join(map(str, scales)), rungs=rungs, seconds=sum(float(r.get("seconds", 0)) for r in reports),
                  exit_status=max(int(r.get("exit_status", 0)) for r in reports), merged_from=list(names))
    merged["suite"] = adjust(claims) if claims else None
    return merged
