"""The state behind the ``claims`` fixture: one ClaimSession per pytest process (scale, base seed,
seed cap, a Runner with its store), and one Claims object per test, which decides, records and
checks that test's claim. The claim's id is the test's ``claim`` marker; what the claim file
expects at each rung is its module-level ``EXPECTED`` dict, applied here, once, for every file.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Callable

import pytest

from ..decisions import verdicts
from ..decisions.population import decide_population, search
from ..report.summary import RECORD_KEY, jsonable
from ..runs.keys import library_version
from ..runs.pool import Runner, available_cores
from ..runs.store import RunStore, StoreError
from ..studies.rungs import get_tier, rungs_of

UNSCALED = "-"  # the rung label of a claim that does not scale (it runs once, the same at every rung)


class ClaimSession:
    """Per-process state: the scale and its rungs, the base seed, a seed cap (--seeds) and a runner
    with its in-memory cache and run store."""

    def __init__(self, *, scale: str, device: str, base_seed: int, seeds_cap: int | None, workers: int | None,
                 batch: int, store_path: str | None, refresh: bool):
        self.scale, self.rungs = scale, rungs_of(scale)
        self.base_seed, self.seeds_cap = base_seed, seeds_cap
        # Share the cores: xdist workers x run processes x threads <= cores. On CUDA one process
        # per xdist worker drives its GPU and takes all of its share of the cores as threads.
        share = max(1, available_cores() // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
        workers = 1 if device.startswith("cuda") else workers or share
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


def rung_label(rung: str, design: verdicts.Design, capped: verdicts.Design, outcome: verdicts.Outcome) -> str:
    """The label a claim's record carries: its rung, or "<rung>@<cap>" when ``--seeds`` capped its
    design into another one (a capped run that was decided at a look of the full design, on the
    same seeds, is the full design's verdict, and keeps the rung's own label)."""
    if capped == design:
        return rung
    decided = outcome.verdict != "inconclusive" and outcome.n_seeds in design.sizes and design.start <= capped.cap
    return rung if decided else f"{rung}@{capped.cap}"


class Claims:
    """The ``claims`` fixture: decide this test's claim at one rung, record it, and check it against
    its file's ``EXPECTED`` for that rung.

    In a ``ladder`` module the test runs once per rung of the session's scale (``rung``: its
    name); elsewhere (claims whose settings do not scale, e.g. the sequence tasks) once, with the
    session's first rung as ``tier`` and the label "-"."""

    def __init__(self, session: ClaimSession, node: pytest.Item, rung: str | None = None):
        self.session, self.node = session, node
        self.tier = get_tier(rung) if rung is not None else session.rungs[0]
        self.tier_label = rung if rung is not None else UNSCALED
        self.base_seed = session.base_seed
        self.id = claim_id(node)

    @property
    def expected(self) -> dict:
        """The claim file's EXPECTED ({claim id: {rung or "*": (verdict, why)}}; {} without one)."""
        return getattr(getattr(self.node, "module", None), "EXPECTED", None) or {}

    def decide(self, design: verdicts.Design | dict[str, verdicts.Design] | None = None,
               **kwargs) -> verdicts.Outcome:
        """verdicts.decide at this rung, then the file's expectation applied; ``design`` (a Design, or
        {rung: Design}) overrides the rung's default for a claim that needs more seeds (``--seeds``
        still caps it)."""
        s = self.session
        if isinstance(design, verdicts.Design):
            chosen = design
        else:
            chosen = (design or {}).get(self.tier.name, self.tier.design)
        capped = chosen.with_cap(s.seeds_cap) if s.seeds_cap is not None else chosen
        outcome = verdicts.decide(runner=s.runner, claim_id=self.id, tier=self.tier_label, design=capped,
                                  base_seed=s.base_seed, **kwargs)
        if self.tier_label != UNSCALED:
            outcome.tier = rung_label(self.tier_label, chosen, capped, outcome)
        return self._settle(outcome)

    def placebo(self, label: str, setting, *, escape: bool = True, spread: bool = False,
                design: verdicts.Design | dict[str, verdicts.Design] | None = None, **kwargs) -> verdicts.Outcome:
        """An A/A placebo: ``setting`` against itself on independent streams (Setting.replicate),
        every part at its boundary in both orders (quantities.placebo_parts), run to its cap
        (default studies.rungs.PLACEBO_DESIGN; a dict or Design overrides), on the claim's own
        seeds unless ``seeds_from`` says otherwise; fails its check if any part holds."""
        import dataclasses

        from ..decisions.quantities import placebo_parts
        from ..studies.rungs import PLACEBO_DESIGN

        twin = f"{label} (replicate)"
        settings = {label: setting, twin: dataclasses.replace(setting, replicate=1)}
        extra = {**kwargs.pop("extra", {}), "placebo": True}
        return self.decide(design=PLACEBO_DESIGN if design is None else design, settings=settings,
                           parts=placebo_parts(label, twin, escape=escape, spread=spread), extra=extra,
                           seeds_from=kwargs.pop("seeds_from", self.id), **kwargs)

    def population(self, **kwargs) -> verdicts.Outcome:
        """decisions.population.decide_population for this test's claim (a share over drawn
        architectures), then the file's expectation applied."""
        return self._settle(decide_population(self, **kwargs))

    def search(self, **kwargs) -> None:
        """decisions.population.search: hunt for counterexamples under the ``explore`` profile only."""
        search(self, **kwargs)

    def _settle(self, outcome: verdicts.Outcome) -> verdicts.Outcome:
        """Record the outcome with what the file expects at its rung, then check it: a recorded
        "refuted" or "inconclusive" that comes out again is a strict expected failure (xfail); no
        recorded expectation asserts nothing and is reported as never measured."""
        entry = verdicts.expectation(self.expected, self.id, outcome.tier)
        outcome.expected = None if entry is None else {"verdict": entry[0], "why": entry[1], "provenance": entry[2]}
        self.node.user_properties.append((RECORD_KEY, jsonable(outcome.record())))
        if entry is None:
            return outcome
        verdict, why, _ = entry
        try:
            verdicts.check(outcome, verdict, why)
        except (verdicts.ClaimRefuted, verdicts.ClaimInconclusive) as e:
            if verdict in ("refuted", "inconclusive") and outcome.verdict == verdict:
                pytest.xfail(f"expected {verdict} at {outcome.tier}: {why}\n{e}")
            raise
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
