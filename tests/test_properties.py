"""Property claims: each is its own hypothesis test (own seed, own example database key), its
examples reproducible from the claim id and the base seed; measured examples are reused from the
run store."""

from hypothesis import strategies as st

from trainability.properties import decide_property
from trainability.verdicts import property_outcome


class FakeClaims:
    """What decide_property needs of the ``claims`` fixture, without pytest."""

    def __init__(self, claim_id: str, base_seed: int = 0):
        self.id, self.base_seed, self.outcome = claim_id, base_seed, None

    def cached(self, measure):
        return measure

    def record_property(self, **kwargs):
        self.outcome = property_outcome(claim_id=self.id, tier="cpu", base_seed=self.base_seed, **kwargs)
        return self.outcome

    def check(self, outcome):
        assert outcome.verdict == "holds"


def _examples(claim_id: str, base_seed: int = 0) -> list[int]:
    drawn = []

    def measure(x):
        drawn.append(x)
        return {"x": float(x)}

    decide_property(FakeClaims(claim_id, base_seed), title="t", source="s", examples=st.integers(0, 10**9),
                    measure=measure, parts=[("x is below 2e9", "x", 2e9, "below")])
    return drawn


def test_each_property_claim_draws_its_own_examples_reproducibly():
    a, b = _examples("A"), _examples("B")
    assert a == _examples("A") and b == _examples("B")  # the same claim, the same examples
    assert a != b  # before, every property claim shared one derandomized seed: a == b
    assert _examples("A", base_seed=1) != a  # the base seed moves them


def test_each_property_claim_has_its_own_example_database_key():
    from hypothesis.internal.reflection import function_digest

    digests = {}
    for claim_id in ("A", "B"):
        seen = []
        import trainability.properties as properties

        original = properties.given

        def spy(*args, **kwargs):
            wrap = original(*args, **kwargs)
            return lambda f: seen.append(f) or wrap(f)

        properties.given = spy
        try:
            decide_property(FakeClaims(claim_id), title="t", source="s", examples=st.integers(0, 3),
                            measure=lambda x: {"x": float(x)}, parts=[("x below 9", "x", 9, "below")])
        finally:
            properties.given = original
        digests[claim_id] = function_digest(seen[0])
    assert digests["A"] != digests["B"]


CACHED_CLAIM = """
import pytest
from hypothesis import strategies as st

@pytest.mark.claim("P1")
def test_p1(claims):
    def measure(x):
        print("MEASURED", x)
        return {"x": float(x)}
    claims.property(title="t", source="s", examples=st.integers(0, 100), measure=measure,
                    parts=[("x below 1000", "x", 1000.0, "below")], negations=[("x above 1000", "x", 1000.0, "above")])
"""


def test_a_rerun_reads_measured_examples_from_the_store(pytester):
    pytester.makepyfile(test_p=CACHED_CLAIM)
    store = str(pytester.path / "s.sqlite")
    first = pytester.runpytest_subprocess("-s", "--store", store, "-p", "no:randomly")
    again = pytester.runpytest_subprocess("-s", "--store", store, "-p", "no:randomly")
    refreshed = pytester.runpytest_subprocess("-s", "--store", store, "--refresh", "-p", "no:randomly")
    for r in (first, again, refreshed):
        r.assert_outcomes(passed=1)
    count = lambda r: r.stdout.str().count("MEASURED")  # noqa: E731
    assert count(first) > 0 and count(again) == 0 and count(refreshed) == count(first)
