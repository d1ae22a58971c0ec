"""Numbers as text, one way everywhere (the failure messages, the terminal summary, the Markdown
report and the comparisons). Standard library only.

>>> fmt(0.123456), fmt(3), fmt("inf"), fmt(None)
('0.123', '3', 'inf', '-')
>>> fmt([0.5, 0.25, 0.75])
'0.5 [0.25, 0.75]'
>>> format_share({"estimate": 0.9166, "low": 0.52, "high": 1.0, "level": 0.5, "n": 12})
'0.92 [0.52, 1.00] vs 0.5'
>>> format_share({"estimate": "nan", "low": 0.0, "high": 1.0, "level": 0.5, "n": 0})
'no trials (n 0) vs 0.5'
"""

from __future__ import annotations

import math


def fmt(v) -> str:
    """3 significant digits; a string as it is; None as "-"; [estimate, low, high] as "e [low, high]"."""
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (list, tuple)) and len(v) == 3 and all(isinstance(x, (int, float)) for x in v):
        return f"{fmt(v[0])} [{fmt(v[1])}, {fmt(v[2])}]"
    if isinstance(v, (int, float)):
        return f"{v:.3g}"
    return str(v)


def number(v) -> float:
    """A JSON report's number as a float: non-finite values are stored as strings ("inf", "nan")."""
    return float(v)


def format_share(part: dict) -> str:
    """A part record's share with its interval against its level, "0.92 [0.52, 1.00] vs 0.5"
    (claimed above the level unless the record says ``side: below``); "no trials (n 0) vs 0.5"
    when nothing could be counted (e.g. an escape gain without one discordant pair)."""
    level = f"{part['level']:g}" + (" (below)" if part.get("side") == "below" else "")
    estimate = number(part["estimate"])
    if not math.isfinite(estimate):
        return f"no trials (n {part['n']}) vs {level}"
    return f"{estimate:.2f} [{number(part['low']):.2f}, {number(part['high']):.2f}] vs {level}"
