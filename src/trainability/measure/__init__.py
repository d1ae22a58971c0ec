"""Measures: a model measured, not trained. Two kinds live here:

    influence   influence profiles at initialisation (L11): how much output t depends on input s
    attention   attention entropy (L8's kaiming mechanism)

and the registry of *run measurements*: functions of a trained model that a run records beside
its losses (``MEASURES``, name -> Measurement). A system declares the ones every run of it takes
(System.measures) and a Setting adds its own (Setting.measures); each is run by the engine after
training, before the model is discarded (and, with ``every``, every that many steps during
training, which gives a curve an escape rule can read), on the model in eval mode, with a
torch.Generator of its own (the run's ``measure`` stream). Its value (a float, or a dict of named
floats recorded as "name.key") is stored with the run in the run store and the JSON report, and
quantities compare it by name (``metric="name"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from ..checks import positive_int

BETTER = ("lower", "higher")


@dataclass(frozen=True)
class Measurement:
    """fn(model, setting, generator) -> float or {key: float}; ``better`` says which way is better
    (a diverged run's value is the worst); ``every``: also measured every that many steps."""

    fn: Callable
    better: str = "lower"
    every: int | None = None

    def __post_init__(self) -> None:
        if not callable(self.fn):
            raise TypeError(f"a measurement's fn must be callable as fn(model, setting, generator), got {self.fn!r}")
        if self.better not in BETTER:
            raise ValueError(f"unknown direction {self.better!r}; valid: {', '.join(BETTER)}")
        if self.every is not None:
            positive_int(self.every, "a measurement's every", " of steps (or None)")

    @property
    def worst(self) -> float:
        """The value a diverged run records."""
        return math.inf if self.better == "lower" else -math.inf


MEASURES: dict[str, Measurement] = {}


def register_measure(name: str, fn: Callable, better: str = "lower", every: int | None = None) -> Measurement:
    """Register a run measurement under ``name`` (at import time, as register_system). Registering
    the same function again is a no-op; another function under a taken name is an error."""
    if not isinstance(name, str) or not name or "." in name:
        raise ValueError(f"a measurement's name is a non-empty string without dots, got {name!r}")
    m = Measurement(fn, better, every)
    have = MEASURES.get(name)
    if have is not None and getattr(have.fn, "__qualname__", None) != getattr(fn, "__qualname__", None):
        raise ValueError(f"another measurement is registered as {name!r} already; registered: {', '.join(MEASURES)}")
    MEASURES[name] = m
    return m


def values(name: str, value) -> dict[str, float]:
    """A measurement's result as metrics: {name: v} for a float, {name.key: v} for a dict."""
    if isinstance(value, dict):
        return {f"{name}.{k}": float(v) for k, v in value.items()}
    return {name: float(value)}


__all__ = ["MEASURES", "Measurement", "register_measure", "values"]
