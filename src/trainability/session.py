"""The state behind the ``claims`` fixture: one ClaimSession per pytest process (tier, base seed,
seed cap, a Runner with its store), and one Claims object per test, which decides, records and
checks that test's claim. The claim's id is the test's ``claim`` marker.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Callable

import pytest

from . import verdicts
from .pool import Runner, available_cores
from .properties import decide_population, search
from .report import RECORD_KEY, jsonable
from .store import RunStore, StoreError, library_version
from .tiers import get_tier, rungs_of


class ClaimSession:
    """Per-process state: the scale and its rungs, the base seed, a seed cap (--seeds) and a runner
    with its in-memory cache and run store."""

    def __init__(self, *, scale: str, device: str, base_seed: int, seeds_cap: int | None, workers: int | None,
                 batch: int, store_path: str | None, refresh: bool):
        self.scale, self.rungs = scale, rungs_of(scale)
        self.base_seed, self.seeds_cap = base_seed, seeds_cap
        # Share the cores: xdist workers x run processes x threads <= cores.
        share = max(1, available_cores() // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
        workers = workers or share
        store = None
        if store_path is not None:
            try:
                store = RunStore(store_path)
            except StoreError as e:
                raise pytest.UsageError(str(e)) from None
        self.runner = Runner(device, workers, threads=max(1, share // workers), batch=batch, store=store,
                             refresh=refresh)

    def close(self) -> None:
        self.runner.close()
        if self.runner.store is not None:
            self.runner.store.close()


def claim_id(node: pytest.Item) -> str:
    """The id in the test's ``claim`` marker, its {placeholders} filled from the test's parameters:
    ``@pytest.mark.claim("L12-{kind}")`` on a test parametrized by kind."""
    marker = node.get_closest_marker("claim")
    if marker is None or len(marker.args) != 1 or not isinstance(marker.args[0], str):
        raise pytest.UsageError(f"{node.nodeid} uses the claims fixture: mark it with @pytest.mark.claim(\"ID\") "
                                "(one string, the claim's id; {name} takes a parameter's value)")
    params = getattr(getattr(node, "callspec", None), "params", {})
    try:
        return marker.args[0].format(**params)
    except (KeyError, IndexError) as e:
        raise pytest.UsageError(f"{node.nodeid}: claim marker {marker.args[0]!r} names {e}, which is not one of "
                                f"the test's parameters ({', '.join(params) or 'none'})") from None


class Claims:
    """The ``claims`` fixture: decide this test's claim at one rung, record it, check it.

    In a ``ladder`` module the test runs once per rung of the session's scale (``rung``: its
    name); elsewhere (claims whose settings do not scale, e.g. the sequence tasks) once, with the
    session's first rung as ``tier`` and the scale's name as the label its record carries."""

    def __init__(self, session: ClaimSession, node: pytest.Item, rung: str | None = None):
        self.session, self.node = session, node
        self.tier = get_tier(rung) if rung is not None else session.rungs[0]
        self.tier_label = rung if rung is not None else session.scale
        self.base_seed = session.base_seed
        self.id = claim_id(node)

    def decide(self, design: verdicts.Design | dict[str, verdicts.Design] | None = None,
               **kwargs) -> verdicts.Outcome:
        """verdicts.decide at this rung; ``design`` (a Design, or {rung: Design}) overrides the
        rung's default for a claim that needs more seeds (``--seeds`` still caps it)."""
        s = self.session
        if isinstance(design, verdicts.Design):
            chosen = design
        else:
            chosen = (design or {}).get(self.tier.name, self.tier.design)
        if s.seeds_cap is not None:
            chosen = chosen.with_cap(s.seeds_cap)
        outcome = verdicts.decide(s.runner, claim_id=self.id, tier=self.tier_label, design=chosen,
                                  base_seed=s.base_seed, **kwargs)
        return self.record(outcome)

    def population(self, **kwargs) -> verdicts.Outcome:
        """properties.decide_population for this test's claim (a share over drawn architectures)."""
        return decide_population(self, **kwargs)

    def search(self, **kwargs) -> None:
        """properties.search: hunt for counterexamples under the ``explore`` profile only."""
        search(self, **kwargs)

    def record(self, outcome: verdicts.Outcome) -> verdicts.Outcome:
        """Attach the outcome's record to this test's report (the summary table and JSON)."""
        self.node.user_properties.append((RECORD_KEY, jsonable(outcome.record())))
        return outcome

    def cached(self, measure: Callable[[object], dict]) -> Callable[[object], dict]:
        """``measure`` reading and writing the run store: an example measured before by this claim,
        with this claim file and this library and torch, is read instead of measured again."""
        store = self.session.runner.store
        if store is None:
            return measure
        import torch

        source = hashlib.sha256(self.node.path.read_bytes()).hexdigest()
        context = [self.id, source, library_version(), str(torch.__version__)]

        def read_or_measure(example):
            key = hashlib.sha256(json.dumps([*context, repr(example)]).encode()).hexdigest()
            value = None if self.session.runner.refresh else store.get_measurement(key)
            if value is None:
                value = {k: v.item() if hasattr(v, "item") else v for k, v in measure(example).items()}
                try:
                    store.put_measurement(key, self.id, repr(example), value)
                except StoreError:
                    pass  # an optimisation only: the run store warns about failed writes of runs
            return value

        return read_or_measure

    def check(self, outcome: verdicts.Outcome, expected: dict[str, tuple[str, str]] | None = None) -> None:
        """Assert the verdict this rung's record expects ({rung: (verdict, reason)}, "*" for every
        rung; default holds; verdicts.EXPECTED lists the choices). A recorded "refuted" or
        "inconclusive" that comes out again is a strict expected failure (xfail), so the table
        shows it as such."""
        expected = expected or {}
        verdict, reason = expected.get(self.tier_label, expected.get(self.tier.name, expected.get("*", ("holds", ""))))
        try:
            verdicts.check(outcome, verdict, reason)
        except (verdicts.ClaimRefuted, verdicts.ClaimInconclusive) as e:
            if verdict in ("refuted", "inconclusive") and outcome.verdict == verdict:
                pytest.xfail(f"expected {verdict} at {self.tier_label}: {reason}\n{e}")
            raise
