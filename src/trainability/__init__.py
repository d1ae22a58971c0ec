"""trainability: claims about why neural networks are hard or easy to train, as checks.

Layers, each importing only the ones below it (tests/test_layers.py checks):
    0  models, tasks, inits, schedules, masks, stats, influence   building blocks
    1  setting                 what a run is: Setting, seed streams, RunResult
    2  engines, store, quantities   what computes a run (plain, batched); where finished runs are
                               kept; what a claim's part claims (a share of seeds)
    3  pool, verdicts          many runs scheduled (Runner); runs turned into verdicts
    4  tiers, families, properties, simulate     scales, claim families, validity simulations
    5  session, report, markdown, plots, compare   the pytest fixture's state; the summary table,
                               JSON and Markdown reports, figures; report-to-report comparison
    6  plugin, cli             pytest hooks and options (light: loads the rest on first use);
                               python -m trainability (report, compare, merge, simulate)

The names below are loaded on first use, so ``import trainability`` does not import torch.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "inits": ("INITS", "RULES", "apply_init", "touched"),
    "models": ("MODELS", "LectureTransformer", "TransformerConfig", "build_model", "n_params"),
    "setting": ("RunResult", "Setting", "Streams", "derive_seed"),
    "engines": ("run",),
    "pool": ("Runner",),
    "schedules": ("Schedule", "constant", "join", "linear", "warmup_steps", "warmup_then"),
    "tasks": ("LectureTask", "SequenceTask"),
    "tiers": ("TIERS", "Tier", "get_tier"),
    "quantities": ("AdvantageGrows", "Dispersion", "EscapeGain", "EscapeRate", "GainGrows", "Level", "TypicalRatio"),
    "verdicts": ("Design", "Outcome", "decide"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)
__version__ = "0.1.0"


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'trainability' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
