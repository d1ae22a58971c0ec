"""Every claimed quantity is valid at its threshold: the simulation table's assertions (the table
itself: ``python -m trainability.decisions.simulate``)."""

import math

import numpy as np
import pytest

from trainability.decisions import simulate
from trainability.decisions import stats

SIMS = 400
BOUND = stats.ALPHA + 2 * math.sqrt(stats.ALPHA * (1 - stats.ALPHA) / SIMS)


@pytest.fixture(scope="module")
def rows():
    return simulate.table(sims=SIMS, seed=1)


def test_false_holds_at_the_threshold_stay_within_alpha_for_every_scenario_and_design(rows):
    assert len(rows) == len(simulate.SCENARIOS) * len(simulate.DESIGNS)
    bad = [(r["scenario"], r["design"], r["false holds"]) for r in rows if r["false holds"] > BOUND]
    assert not bad, f"false-holds rates above {BOUND:.3f}: {bad}"
    bad = [(r["scenario"], r["design"], r["refuted at the threshold"]) for r in rows
           if r["refuted at the threshold"] > BOUND]
    assert not bad, f"false-refuted rates above {BOUND:.3f}: {bad}"


def test_the_designs_have_power_at_the_stated_alternatives(rows):
    # With 72 seeds every scenario's alternative is found most of the time: the test is not vacuous.
    weak = [(r["scenario"], r["power"]) for r in rows if r["design"] == "fixed 72" and r["power"] < 0.8]
    assert not weak, weak


def test_the_vectorised_verdicts_are_stats_share_verdict():
    rng = np.random.default_rng(0)
    events = [(rng.random(40) < p).astype(int) for p in rng.uniform(0, 1, 200)]
    codes = simulate.verdicts_over_design(events, 0.5, (40, 1, 40))
    expected = [{"holds": 1, "refuted": -1, "inconclusive": 0}[stats.share_verdict(int(e.sum()), 40, 0.5)[0]]
                for e in events]
    assert codes.tolist() == expected


@pytest.mark.parametrize("p", [0.05, 0.5, 0.8])
def test_the_confidence_sequence_covers_at_every_n_at_once(p):
    # Ville: P(some n <= 200 excludes the true p) <= alpha, however often one looks.
    rng = np.random.default_rng(int(p * 100))
    sims, misses = 300, 0
    for _ in range(sims):
        S = np.cumsum(rng.random(200) < p)
        misses += any(stats.log_evidence(int(S[n - 1]), n, p) >= math.log(1 / stats.ALPHA) for n in range(1, 201))
    assert misses / sims <= stats.ALPHA + 2 * math.sqrt(stats.ALPHA * (1 - stats.ALPHA) / sims), misses / sims


@pytest.mark.parametrize("q, n", [(0.9, 100), (0.75, 20)])
def test_the_population_claims_fixed_sample_test_is_valid_at_its_level(q, n):
    # exact binomial tests at alpha / 2 per side: false holds <= alpha / 2 (discreteness only lowers it)
    rates = simulate.quantile_rates(q, n, q, sims=2000, seed=3)
    assert rates["holds"] <= stats.ALPHA / 2 + 2 * math.sqrt(stats.ALPHA / 2 * (1 - stats.ALPHA / 2) / 2000)
    assert simulate.quantile_rates(q, n, 0.99, sims=500, seed=4)["holds"] > 0.8  # and it has power
