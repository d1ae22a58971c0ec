"""``python -m trainability``: commands over finished work (no training).

    report REPORT.json -o DIR             the Markdown report with its figures (markdown.write)
    compare OLD.json NEW.json             what moved; exit 1 when a verdict changed or a claim is missing
            [--replication]               NEW on other seeds: hard flips (exit 1), moves, what power expected
    merge -o OUT.json A.json B.json ...   one report from a split suite's shards
          [--store OUT.sqlite --stores A.sqlite B.sqlite ...]   and one run store from theirs
    power --design 12/6/24 [--level Q --shares P ...] [--compare]
                                          a design's exact P(holds / refuted / inconclusive) and seeds
    simulate [--sims N]                   the validity table of every quantity (trainability.decisions.simulate)
    status [--claims DIR] [--reports DIR] what each claim file expects per rung against what the
                                          committed reports measured (trainability.report.status)
"""

from __future__ import annotations

import argparse
import json
import sys


def _load(path: str) -> dict:
    from .report.markdown import ReportError

    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise ReportError(f"no report at {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ReportError(f"{path} is not a claims report (not JSON: {e})") from None


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["power"]:  # its own parser (decisions.power): the options a design needs
        from .decisions.power import main as power

        return power(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m trainability", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("report", help="write the Markdown report of a claims JSON report")
    p.add_argument("report")
    p.add_argument("-o", "--out", required=True, help="directory for README.md and the figures")
    p.add_argument("--no-figures", action="store_true")
    p = sub.add_parser("compare", help="list the parts whose verdict or estimate moved between two reports")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--replication", action="store_true",
                   help="NEW reran OLD's claims on another base seed: hard flips, moves, and what power expected")
    p = sub.add_parser("merge", help="merge the reports (and run stores) of a split suite's shards")
    p.add_argument("reports", nargs="+")
    p.add_argument("-o", "--out", required=True, help="the merged JSON report")
    p.add_argument("--store", help="the merged run store (with --stores)")
    p.add_argument("--stores", nargs="*", default=[], help="the shards' run stores")
    sub.add_parser("power", help="a design's exact operating characteristics (power --help)", add_help=False)
    p = sub.add_parser("simulate", help="the validity table of every quantity at its threshold")
    p.add_argument("--sims", type=int, default=2000)
    p.add_argument("--claims", default=None, help="also every design the claim files in DIR use")
    p = sub.add_parser("status", help="expected verdicts per rung against the committed reports' measurements")
    p.add_argument("--claims", default="claims", help="the claim files' folder (default: claims)")
    p.add_argument("--reports", default="docs/reports", help="the committed reports' folder (default: docs/reports)")
    args = parser.parse_args(argv)

    from .report.markdown import ReportError
    from .runs.store import StoreError

    try:
        if args.command == "report":
            from .report.markdown import write

            print(write(_load(args.report), args.out, draw=not args.no_figures))
        elif args.command == "compare":
            from .report.compare import compare, format_comparison, format_replication, replication

            if args.replication:
                result = replication(_load(args.old), _load(args.new))
                print(format_replication(result))
                return 1 if result["hard flips"] else 0
            result = compare(_load(args.old), _load(args.new))
            print(format_comparison(result))
            return 1 if result["changed"] else 0
        elif args.command == "merge":
            from .report.compare import merge_reports
            from .report.summary import write_json

            if bool(args.store) != bool(args.stores):
                parser.error("--store and --stores go together")
            merged = merge_reports([_load(p) for p in args.reports], args.reports)
            if args.store:
                from .runs.store import merge_stores

                counts = merge_stores(args.store, args.stores)
                print(f"store {args.store}: {counts['added']} runs added, {counts['already there']} already there")
            write_json(args.out, merged)
            print(f"report {args.out}: {len(merged['claims'])} claims from {len(args.reports)} reports")
        elif args.command == "status":
            from .report.status import agrees, format_status, status

            rows = status(args.claims, args.reports)
            print(format_status(rows))
            return 1 if any(r["state"] == "measured" and not agrees(r) for r in rows) else 0
        else:
            from .decisions.simulate import main as simulate
            from .studies.rungs import designs

            extra = designs()
            if args.claims:
                from .report.status import registered_designs

                extra.update(registered_designs(args.claims))
            simulate(["--sims", str(args.sims)], extra)
    except (ReportError, StoreError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
