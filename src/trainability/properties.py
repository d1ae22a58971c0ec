"""Claims that must hold over a whole range of architectures: hypothesis properties whose every
measured value goes into the claim's record, not only the failing one."""

from __future__ import annotations

import time
from typing import Callable

from hypothesis import given
from hypothesis.strategies import SearchStrategy

from .verdicts import ClaimRefuted

Part = tuple[str, str, float, str]  # (statement, measured key, threshold, "below" | "above")


def decide_property(claims, claim_id: str, *, title: str, source: str, examples: SearchStrategy,
                    measure: Callable[[object], dict[str, float]], parts: list[Part], negations: list[Part] = ()):
    """Run ``measure`` on hypothesis examples (the active profile sets how many); every part must
    hold on every example. A failure is shrunk by hypothesis and reported with the measured ranges."""
    seen: list[dict[str, float]] = []

    @given(examples)
    def prop(example):
        values = measure(example)
        seen.append(values)
        for statement, key, threshold, direction in parts:
            v = values[key]
            assert v < threshold if direction == "below" else v > threshold, \
                f"{statement}: measured {key} = {v:.4g} (threshold {direction} {threshold:g}) at {example}"

    start = time.perf_counter()
    failure = None
    try:
        prop()
    except AssertionError as e:
        failure = e
    column = lambda key: [v[key] for v in seen]  # noqa: E731
    outcome = claims.record_property(
        claim_id, title=title, source=source, seconds=time.perf_counter() - start,
        parts=[(st, column(key), th, d) for st, key, th, d in parts],
        negations=[(st, column(key), th, d) for st, key, th, d in negations])
    if failure is not None:
        raise ClaimRefuted(f"{outcome.table()}\nfalsifying example (shrunk by hypothesis): {failure}") from failure
    claims.check(outcome)
    return outcome
