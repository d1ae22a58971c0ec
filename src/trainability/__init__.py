"""trainability: claims about why neural networks are hard or easy to train, as checks.

Folders are layer bands, bottom first; a module imports only its own band and the bands below
(tests/test_layers.py checks, on folders):
    checks, text, numerics   argument checks, number formatting, the numerics pinned and recorded
                   (standard library)
    tasks          what a run learns: the Task protocol, the lecture's task, the sequence tasks
    systems        what is trained: one module per system (config, nn.Module, batched forward)
    measure        a model measured, not trained: influence, attention, run measurements
    training       one run: Setting, RunResult, inits, schedules, optimizers, masks, engines
    runs, decisions   many runs (Runner, run store, keys); runs turned into verdicts (statistics,
                   quantities, designs, populations, simulations)
    studies        the named setups claims compare: rungs, the lecture's tables, sequence families
    report         summary table, JSON, Markdown, figures, comparisons (no torch)
    plugin         pytest hooks and options (light: loads the rest on first use), the claims fixture
    cli            python -m trainability (report, compare, merge, simulate)

The names below are loaded on first use, so ``import trainability`` does not import torch.
A claim about your own model: register it (``register_system``), describe runs (``Setting``),
name what you claim (a quantity: ``EscapeGain``, ``TypicalRatio``, ...) and ``decide``.
"""

from __future__ import annotations

import importlib

from .numerics import pin_environment

pin_environment()  # before torch picks its CPU kernels: the same code path, and so the same numbers, on every machine

_EXPORTS = {
    "systems": ("SYSTEMS", "System", "register_system", "build_model", "n_params"),
    "systems.transformer": ("LectureTransformer", "TransformerConfig"),
    "tasks": ("LectureTask", "SequenceTask", "Task", "check_task"),
    "measure": ("MEASURES", "Measurement", "register_measure"),
    "training.inits": ("INITS", "RULES", "apply_init", "touched"),
    "training.setting": ("Crossing", "Setting", "Streams", "derive_seed"),
    "training.result": ("RunResult",),
    "training.optim": ("OPTIMIZERS",),
    "training.engines": ("run",),
    "training.schedules": ("Schedule", "constant", "join", "linear", "warmup_steps", "warmup_then"),
    "runs.pool": ("Runner",),
    "studies.rungs": ("TIERS", "Tier", "get_tier"),
    "decisions.quantities": ("AdvantageGrows", "Dispersion", "EscapeGain", "EscapeRate", "GainGrows", "Level",
                          "TypicalRatio"),
    "decisions.verdicts": ("Design", "Outcome", "decide"),
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
