"""Argument checks shared by every layer: each raises ValueError naming the argument, what it must
be and (for a choice) the valid values, before anything is built or trained. Standard library only.

>>> positive_int(3, "steps")
>>> positive_int(0, "TransformerConfig.d_model")
Traceback (most recent call last):
...
ValueError: TransformerConfig.d_model must be a positive int, got 0
>>> choice("adamw", ("adam", "radam"), "optimizer")
Traceback (most recent call last):
...
ValueError: unknown optimizer 'adamw'; valid: adam, radam
"""

from __future__ import annotations

import math


def positive_int(value, name: str, hint: str = "") -> None:
    """value is an int > 0 (not a bool)."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} must be a positive int{hint}, got {value!r}")


def positive_number(value, name: str, hint: str = "") -> None:
    """value is a finite real number > 0."""
    if isinstance(value, bool) or not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number{hint}, got {value!r}")


def probability(value, name: str) -> None:
    """value is strictly between 0 and 1."""
    if isinstance(value, bool) or not (isinstance(value, (int, float)) and 0 < value < 1):
        raise ValueError(f"{name} must be a probability strictly between 0 and 1, got {value!r}")


def choice(value, valid, what: str, kinds: str = "") -> None:
    """value is one of ``valid`` (a sequence or a dict's keys); ``kinds`` names them in the message
    ("valid layouts: ...")."""
    if value not in valid:
        raise ValueError(f"unknown {what} {value!r}; valid{' ' + kinds if kinds else ''}: {', '.join(map(str, valid))}")
