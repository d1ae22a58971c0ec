"""Claims over a population of architectures: "in at least q of the architectures drawn from D, a
statistic is below (above) t", decided on N independent seeded draws with an exact
Clopper-Pearson interval (one fixed sample, one look).

D is a claim file's ``draw(rng) -> architecture`` function over a numpy Generator seeded from the
claim's id and the base seed (plus the claim's revision when it was restated: fresh draws). Each
draw is measured once; the run store keeps the values (plugin.session.Claims.cached), so a re-run reads
them. Under the ``explore`` hypothesis profile ``search`` also hunts for counterexamples to each
bound, with hypothesis choosing the generator seeds: a search, not a verdict.

Mathematical facts (permutation equivariance, a CNN's exact receptive field, an RNN's causality)
are not claims: they are invariants of the implementation, tested in tests/test_invariants.py.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..training.setting import derive_seed
from . import stats
from .verdicts import Outcome, combine, fixed_record


@dataclass(frozen=True)
class Bound:
    """One part of a population claim: in at least ``q`` of the draws, ``key`` is on the claimed
    side of ``threshold``."""

    text: str  # what the bound says, e.g. "off-diagonal influence is flat"
    key: str  # the measured statistic
    threshold: float
    direction: str  # "below" | "above"
    q: float = 0.9
    name: str = field(default="quantile", init=False)

    def __post_init__(self) -> None:
        stats.side([], 0.0, self.direction)  # raises on a bad direction
        if not 0 < self.q < 1:
            raise ValueError(f"a quantile's level q must be strictly between 0 and 1, got {self.q!r}")

    @property
    def level(self) -> float:
        return self.q

    def statement(self) -> str:
        return f"in at least {self.q:g} of draws: {self.text} ({self.key} {self.direction} {self.threshold:g})"

    def short(self) -> str:
        return f"{self.q:g} of draws: {self.key} {self.direction} {self.threshold:g}"

    def events(self, values: list[dict]) -> np.ndarray:
        return stats.side([v[self.key] for v in values], self.threshold, self.direction)


def draws(base_seed: int, claim_id: str, n: int, draw: Callable, revision: str | None = None) -> list:
    """The claim's n architectures: draw(rng) with one seeded numpy Generator."""
    tag = (claim_id,) if revision is None else (claim_id, revision)
    rng = np.random.default_rng(derive_seed(base_seed, *tag, "draws"))
    return [draw(rng) for _ in range(n)]


def decide_population(claims, *, title: str, source: str, draw: Callable, measure: Callable[[object], dict],
                      bounds: list[Bound], n: int = 100, revision: str | None = None,
                      restated: str | None = None, alpha: float = stats.ALPHA) -> Outcome:
    """Decide ``bounds`` on ``n`` architectures drawn by ``draw``; the claim id is ``claims.id``."""
    if not bounds:
        raise ValueError(f"{claims.id}: a population claim needs at least one Bound")
    for b in bounds:
        if stats.quantile_verdict(n, n, b.q, alpha)[0] != "holds":
            raise ValueError(f"{claims.id}: {n} draws can never show a share above {b.q:g} "
                             f"(Clopper-Pearson at alpha {alpha:g}); draw more")
    start = time.perf_counter()
    measured = claims.cached(measure)
    examples = draws(claims.base_seed, claims.id, n, draw, revision)
    values = [measured(ex) for ex in examples]
    records = []
    for b in bounds:
        column = np.array([v[b.key] for v in values], float)
        worst = int(np.argmax(column) if b.direction == "below" else np.argmin(column))
        description = {"median": float(np.median(column)), "range": [float(column.min()), float(column.max())],
                       "worst draw": repr(examples[worst])}
        records.append(fixed_record(b, b.events(values), alpha, description))
    outcome = Outcome(claim_id=claims.id, title=title, source=source, tier=claims.tier_label,
                      verdict=combine([r["verdict"] for r in records]), settings={}, parts=records, n_seeds=n,
                      alpha=alpha, base_seed=claims.base_seed, seconds=time.perf_counter() - start, device="cpu",
                      torch_version=_torch_version(), restated=restated)
    return outcome


def search(claims, *, draw: Callable, measure: Callable[[object], dict], bounds: list[Bound]) -> None:
    """Under HYPOTHESIS_PROFILE=explore: hypothesis picks generator seeds, hunting for a draw that
    breaks a bound (reported with the architecture). Elsewhere a no-op."""
    if os.environ.get("HYPOTHESIS_PROFILE") != "explore":
        return
    from hypothesis import given, settings, strategies as st
    from hypothesis.errors import InvalidArgument

    def check(seed):
        example = draw(np.random.default_rng(seed))
        values = measure(example)
        for b in bounds:
            v = values[b.key]
            assert stats.side([v], b.threshold, b.direction)[0], \
                f"{b.text}: measured {b.key} = {v:.4g} (bound {b.direction} {b.threshold:g}) at {example}"

    check._hypothesis_internal_add_digest = f"search {claims.id}".encode()  # its own database key
    try:
        profile = settings.get_profile("explore")
    except InvalidArgument:  # a project without this repository's profiles
        profile = settings(max_examples=200, deadline=None)
    settings(profile)(given(st.integers(0, 2**63 - 1))(check))()


def _torch_version() -> str:
    import torch

    return str(torch.__version__)
