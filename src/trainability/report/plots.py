"""The report's figures, drawn with matplotlib (Agg, no display) from claim records alone: the
records keep each setting's per-seed values and its training curve's quartiles, so nothing is
trained. Each function writes one PNG and returns its path.

    loss_curves     per lecture table and rung, and per claim that reads no lecture table: median
                    training loss with an inter-quartile band over seeds, the task's floor drawn
    survival        per lecture table and rung: the share of seeds not yet escaped by each step
                    (Kaplan-Meier with censoring at the run length; with one common censoring
                    time it is the empirical survival curve)
    forest          every claim part's share and interval against its level
    influence       L11 at initialisation: influence of input s on output t by lag, per family
"""

from __future__ import annotations

import math
import os

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _finite(values) -> np.ndarray:
    return np.array([float(v) if not isinstance(v, str) else math.inf for v in values], float)


def loss_curves(title: str, rows: dict[str, dict], path: str, floor: float = 3.5, linear: float | None = 1.0) -> str:
    """rows: label -> a setting record (with ``curve``). One line per row: median and IQR band; the
    task's floor and (for the lecture's task) the best linear predictor's level drawn."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(10, 4.5) if linear is not None else (8, 3.6))
    for i, (label, s) in enumerate(rows.items()):
        c = s["curve"]
        step, med, q1, q3 = (np.array(_finite(c[k])) for k in ("step", "median", "q1", "q3"))
        line, = ax.plot(step, med, label=f"{label} (n={s['n']})", **_style(plt, i))
        ax.fill_between(step, np.minimum(q1, 10 * floor), np.minimum(q3, 10 * floor), color=line.get_color(),
                        alpha=0.2)
    ax.axhline(floor, color="k", ls="--", lw=1, label=f"floor {floor:.3g} (best constant)")
    if linear is not None:
        ax.axhline(linear, color="k", ls=":", lw=1, label=f"linear {linear:g}")
    ax.set(yscale="log", xlabel="step", ylabel="training loss", title=title)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _save(fig, path, dpi=110 if linear is not None else 80)


def survival(title: str, rows: dict[str, dict], path: str) -> str:
    """rows: label -> setting record (with per-seed ``escape`` and ``escaped``). The share of seeds
    still on the plateau at each step; a censored seed (never escaped) stays in to the end."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(10, 4.5))
    for i, (label, s) in enumerate(rows.items()):
        t = _finite(s["per_seed"]["escape"])
        escaped = np.array(s["per_seed"]["escaped"], bool)
        steps = s["steps"]
        grid = np.arange(0, steps + 1)
        at_risk = np.array([(t >= g).sum() for g in grid], float)
        events = np.array([((t == g) & escaped).sum() for g in grid], float)
        surv = np.cumprod(np.where(at_risk > 0, 1 - events / np.maximum(at_risk, 1), 1.0))  # Kaplan-Meier
        ax.step(grid, surv, where="post", label=f"{label} ({int(escaped.sum())}/{len(t)} escaped)", **_style(plt, i))
    ax.set(xlabel="step", ylabel="share not yet escaped", ylim=(-0.02, 1.02), title=title)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _save(fig, path)


def _style(plt, i: int) -> dict:
    """Line i's colour and dash: 20 distinct colours, then dashed, so no two rows of a table share both."""
    return {"color": plt.get_cmap("tab20")(i % 20), "ls": "-" if i < 20 else "--"}


def forest(records: list[dict], path: str) -> str:
    """Every part's share with its interval (a horizontal bar) against its level (a tick)."""
    plt = _plt()
    rows = [(f"{r['claim_id']} [{r['tier']}] {p['quantity']}", p) for r in records for p in r["parts"]]
    fig, ax = plt.subplots(figsize=(9, 0.18 * len(rows) + 1.2))
    colour = {"holds": "tab:green", "refuted": "tab:red", "inconclusive": "tab:gray"}
    for i, (_, p) in enumerate(rows):
        y = len(rows) - 1 - i
        ax.plot([p["low"], p["high"]], [y, y], color=colour.get(p["verdict"], "k"), lw=2)
        ax.plot(float(p["estimate"]), y, "o", color=colour.get(p["verdict"], "k"), ms=3)  # "nan" (no trials): no dot
        ax.plot(p["level"], y, "|", color="k", ms=8)
    ax.set_yticks(range(len(rows)), [label for label, _ in reversed(rows)], fontsize=5)
    ax.set(xlim=(-0.02, 1.02), xlabel="share (interval: anytime-valid 95%); | the claimed level",
           title="every claim part: green holds, red refuted, grey inconclusive")
    return _save(fig, path)


def influence(path: str, length: int = 16, seed: int = 0) -> str:
    """L11 at initialisation: the mean influence of input position s on output t, by lag t - s,
    for the lecture's Transformer without a positional encoding and the sequence families (each
    profile normalised to its maximum). Deterministic: seeded models and inputs."""
    from ..measure.influence import by_lag
    from ..measure.influence import influence as measure
    from ..studies.sequence import FAMILIES
    from ..systems import build_model
    from ..systems.transformer import TransformerConfig

    models = {"transformer, no PE (lecture's)": ("lecture_transformer", TransformerConfig(
        in_dim=2, d_model=24, n_heads=4, n_layers=2, ffn=48, dropout=0.0))}
    models.update({f"{f} (L11)": spec for f, spec in FAMILIES.items()})
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label, (name, cfg) in models.items():
        prof = by_lag(measure(build_model(name, cfg, seed=seed), length, 4, 8, seed))  # reads 2I = 4
        lags = np.array(sorted(prof))
        values = np.array([prof[k] for k in lags])
        ax.plot(lags, values / max(values.max(), 1e-12), marker=".", label=label)
    ax.set(xlabel="lag t - s (positive: output t reads an earlier input)", ylabel="influence / max",
           title="L11 at initialisation: influence by lag")
    ax.legend(fontsize=7)
    return _save(fig, path)


def _save(fig, path: str, dpi: int = 110) -> str:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path
