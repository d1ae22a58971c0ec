"""What the tuning scripts (tune_sequence.py, tune_grid.py, tune_biaxial.py) share: their command
line, their runner (two workers, the tuning store) and the JSON file they write."""

from __future__ import annotations

import argparse
import json

from trainability.runs.pool import Runner
from trainability.runs.store import RunStore


def arguments(doc: str, default_json: str, argv=None) -> argparse.Namespace:
    """--store (the tuning runs' store), --json (where the winners go), --base-seed."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--store", default=".trainability/tuning.sqlite")
    parser.add_argument("--json", default=default_json)
    parser.add_argument("--base-seed", type=int, default=0)
    return parser.parse_args(argv)


def runner(args: argparse.Namespace) -> Runner:
    return Runner("cpu", workers=2, store=RunStore(args.store))


def write(path: str, data: dict) -> None:
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
    print(f"written: {path}")
