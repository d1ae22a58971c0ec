"""Population claims over drawn architectures: own seeded draws per claim, an exact interval, the
run store's copy of measured draws, and a counterexample search under ``explore`` only."""

import pytest

from trainability.decisions.population import Bound, decide_population, draws


class FakeClaims:
    """What decide_population needs of the ``claims`` fixture, without pytest."""

    tier_label = "-"

    def __init__(self, claim_id: str, base_seed: int = 0):
        self.id, self.base_seed = claim_id, base_seed

    def cached(self, measure):
        return measure


def _uniform(rng):
    return float(rng.random())


def test_each_claim_draws_its_own_architectures_reproducibly():
    a, b = draws(0, "A", 20, _uniform), draws(0, "B", 20, _uniform)
    assert a == draws(0, "A", 20, _uniform) and a != b
    assert draws(1, "A", 20, _uniform) != a and draws(0, "A", 20, _uniform, revision="2") != a


@pytest.mark.parametrize("threshold, verdict", [(1.01, "holds"), (0.5, "refuted"), (0.93, "inconclusive")])
def test_a_share_of_draws_is_decided_with_an_exact_interval(threshold, verdict):
    claims = FakeClaims("P")
    out = decide_population(claims, title="t", source="s", draw=_uniform, measure=lambda x: {"x": x},
                            bounds=[Bound("x is small", "x", threshold, "below", q=0.9)], n=100)
    assert out.verdict == verdict and out.claim_id == "P" and out.tier == "-"
    p = out.parts[0]
    assert p["method"].startswith("Clopper-Pearson") and p["n"] == 100 and p["low"] <= p["estimate"] <= p["high"]


def test_too_few_draws_to_ever_hold_is_refused():
    with pytest.raises(ValueError, match="can never show a share above 0.9"):
        decide_population(FakeClaims("P"), title="t", source="s", draw=_uniform, measure=lambda x: {"x": x},
                          bounds=[Bound("x", "x", 2.0, "below", q=0.9)], n=20)


CACHED_CLAIM = """
import pytest
from trainability.decisions.population import Bound

@pytest.mark.claim("P1")
def test_p1(claims):
    def measure(x):
        print("MEASURED", x)
        return {"x": x}
    claims.population(title="t", source="s", draw=lambda rng: float(rng.random()), measure=measure,
                      bounds=[Bound("x below 2", "x", 2.0, "below")], n=40)

EXPECTED = {"P1": {"*": ("holds", "every draw is below 2")}}
"""


def test_a_rerun_reads_measured_draws_from_the_store(pytester):
    pytester.makepyfile(test_p=CACHED_CLAIM)
    store = str(pytester.path / "s.sqlite")
    first = pytester.runpytest_subprocess("-s", "--store", store, "-p", "no:randomly")
    again = pytester.runpytest_subprocess("-s", "--store", store, "-p", "no:randomly")
    refreshed = pytester.runpytest_subprocess("-s", "--store", store, "--refresh", "-p", "no:randomly")
    for r in (first, again, refreshed):
        r.assert_outcomes(passed=1)
    count = lambda r: r.stdout.str().count("MEASURED")  # noqa: E731
    assert count(first) == 40 and count(again) == 0 and count(refreshed) == 40


def test_the_explore_profile_searches_for_counterexamples(monkeypatch):
    from trainability.decisions.population import search

    bounds = [Bound("x below 0.9", "x", 0.9, "below")]
    search(FakeClaims("S"), draw=_uniform, measure=lambda x: {"x": x}, bounds=bounds)  # not explore: no-op
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "explore")
    with pytest.raises(AssertionError, match="x below 0.9: measured x"):
        search(FakeClaims("S"), draw=_uniform, measure=lambda x: {"x": x}, bounds=bounds)
