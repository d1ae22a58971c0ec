"""Learning-rate schedules in the optax style: a Schedule maps a step (0-based) to a learning
rate; small factories return closures; warm-up-then-constant is a composition (``join``).
"""

from __future__ import annotations

import bisect
import math
from typing import Callable, Sequence

Schedule = Callable[[int], float]


def constant(value: float) -> Schedule:
    """lr(t) = value.

    >>> constant(1e-3)(0), constant(1e-3)(999)
    (0.001, 0.001)
    """
    _positive("value", value)
    return lambda step: value


def linear(start: float, end: float, steps: int) -> Schedule:
    """lr(t) = start + (end - start) * min(t, steps) / steps.

    >>> s = linear(0.0, 1.0, 4)
    >>> [s(t) for t in range(6)]
    [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """
    _positive("steps", steps)
    return lambda step: start + (end - start) * min(step, steps) / steps


def join(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    """Run schedules[i] from boundaries[i-1] on; each sees its own step count starting at 0.

    >>> s = join([linear(0.0, 1.0, 2), constant(1.0)], [2])
    >>> [s(t) for t in range(4)]
    [0.0, 0.5, 1.0, 1.0]
    """
    if len(schedules) != len(boundaries) + 1:
        raise ValueError(f"join needs len(boundaries) + 1 schedules, got {len(schedules)} and {len(boundaries)}")
    if list(boundaries) != sorted(boundaries) or any(b < 0 for b in boundaries):
        raise ValueError(f"boundaries must be non-negative and sorted, got {list(boundaries)}")
    starts = [0, *boundaries]

    def schedule(step: int) -> float:
        i = bisect.bisect_right(boundaries, step)
        return schedules[i](step - starts[i])

    return schedule


def warmup_then(warmup: int, peak: float, after: Schedule | None = None) -> Schedule:
    """Linear warm-up to ``peak`` over ``warmup`` steps, then ``after`` (constant(peak)).

    The ramp is lr(t) = peak * (t + 1) / warmup for t < warmup: the first step already moves
    (lr = peak / warmup) and step warmup - 1 reaches peak. warmup = 0 is no warm-up.

    >>> s = warmup_then(4, 1.0)
    >>> [s(t) for t in range(6)]
    [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    """
    _positive("peak", peak)
    if not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be a non-negative int of steps, got {warmup!r}")
    after = constant(peak) if after is None else after
    if warmup == 0:
        return after
    return join([linear(peak / warmup, peak + peak / warmup, warmup), after], [warmup])


def warmup_steps(fraction: float, total: int) -> int:
    """Steps of a warm-up given as a fraction of the run: round(fraction * total), at least 1
    when fraction > 0 (the lecture's "1% warm-up" of 1000 steps is 10 steps).

    >>> warmup_steps(0.01, 1000), warmup_steps(0.01, 300), warmup_steps(0.0, 300)
    (10, 3, 0)
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"warm-up fraction must be in [0, 1], got {fraction!r}")
    _positive("total", total)
    return 0 if fraction == 0 else max(1, round(fraction * total))


def cosine(start: float, end: float, steps: int) -> Schedule:
    """lr(t) = end + (start - end) * (1 + cos(pi * min(t, steps) / steps)) / 2.

    >>> s = cosine(1.0, 0.0, 2)
    >>> [round(s(t), 6) for t in range(4)]
    [1.0, 0.5, 0.0, 0.0]
    """
    _positive("steps", steps)
    return lambda step: end + (start - end) * (1 + math.cos(math.pi * min(step, steps) / steps)) / 2


# name -> factory(peak lr, steps after warm-up) -> Schedule; a run's schedule is
# warmup_then(warmup, lr, SCHEDULES[name](lr, steps - warmup)). The lecture's is "constant".
SCHEDULES: dict[str, Callable[[float, int], Schedule]] = {
    "constant": lambda lr, steps: constant(lr),
    "linear_decay": lambda lr, steps: linear(lr, 0.0, max(steps, 1)),
    "cosine": lambda lr, steps: cosine(lr, 0.0, max(steps, 1)),
}


def make(name: str, lr: float, warmup: int, steps: int) -> Schedule:
    """The schedule of a run: linear warm-up over ``warmup`` steps, then SCHEDULES[name].

    >>> s = make("linear_decay", 1.0, 2, 6)
    >>> [s(t) for t in range(6)]
    [0.5, 1.0, 1.0, 0.75, 0.5, 0.25]
    """
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; valid schedules: {', '.join(SCHEDULES)}")
    return warmup_then(warmup, lr, SCHEDULES[name](lr, steps - warmup))


def _positive(name: str, value) -> None:
    if not (isinstance(value, (int, float)) and value > 0):
        raise ValueError(f"{name} must be positive, got {value!r}")
