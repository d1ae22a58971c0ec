"""Claims that must hold over a whole range of architectures: hypothesis properties whose every
measured value goes into the claim's record, not only the failing one.

Each property claim is its own hypothesis test: its example database key is the claim's id, and
its examples are drawn from a seed derived from the claim's id and the session's base seed (so
``--base-seed`` changes them, and the report's base seed reproduces them). The active hypothesis
profile sets how many examples are drawn.
"""

from __future__ import annotations

import time
from typing import Callable

from hypothesis import given, seed
from hypothesis.strategies import SearchStrategy

from .setting import derive_seed
from .verdicts import ClaimRefuted

Part = tuple[str, str, float, str]  # (statement, measured key, threshold, "below" | "above")


def decide_property(claims, *, title: str, source: str, examples: SearchStrategy,
                    measure: Callable[[object], dict[str, float]], parts: list[Part], negations: list[Part] = ()):
    """Run ``measure`` on hypothesis examples; every part must hold on every example. A failure is
    shrunk by hypothesis and reported with the measured ranges. The claim id is the test's
    ``claim`` marker (``claims.id``)."""
    claim_id = claims.id
    seen: list[dict[str, float]] = []
    measure = claims.cached(measure)  # the run store's copy of an example measured before, if any

    def check(example):
        values = measure(example)
        seen.append(values)
        for statement, key, threshold, direction in parts:
            v = values[key]
            assert v < threshold if direction == "below" else v > threshold, \
                f"{statement}: measured {key} = {v:.4g} (threshold {direction} {threshold:g}) at {example}"

    # hypothesis keys its example database by the test's source, the same for every claim here;
    # this attribute (what hypothesis itself sets for parametrized tests) makes the key the claim's.
    check._hypothesis_internal_add_digest = claim_id.encode()
    prop = seed(derive_seed(claims.base_seed, claim_id, "hypothesis"))(given(examples)(check))
    start = time.perf_counter()
    failure = None
    try:
        prop()
    except AssertionError as e:
        failure = e
    column = lambda key: [v[key] for v in seen]  # noqa: E731
    outcome = claims.record_property(
        title=title, source=source, seconds=time.perf_counter() - start,
        parts=[(st, column(key), th, d) for st, key, th, d in parts],
        negations=[(st, column(key), th, d) for st, key, th, d in negations])
    if failure is not None:
        raise ClaimRefuted(f"{outcome.table()}\nfalsifying example (shrunk by hypothesis): {failure}") from failure
    claims.check(outcome)
    return outcome
