import dataclasses
import math

import numpy as np
import pytest

from helpers import TINY, FakeRunner
from trainability import stats
from trainability.verdicts import (ClaimInconclusive, ClaimRefuted, Design, NegationNotRefuted, Pair, check,
                                   decide)

A, B = TINY, dataclasses.replace(TINY, lr=2e-3)


def _decide(draw, threshold=0.8, design=Design(start=8, step=4, cap=16), base_seed=0):
    return decide(FakeRunner(draw), claim_id="T", title="t", source="test", tier="test",
                  settings={"A": A, "B": B}, pairs=[Pair("A", "B", threshold)], design=design, base_seed=base_seed)


def test_degenerate_constants_get_the_direction_right():
    ci = stats.ratio_effect(np.full(8, 10.0), np.full(8, 20.0), 0.95, seed=0)
    assert (ci.estimate, ci.low, ci.high) == pytest.approx((0.5, 0.5, 0.5))
    assert stats.verdict(ci, 0.8, "below") == "holds"
    reverse = stats.ratio_effect(np.full(8, 20.0), np.full(8, 10.0), 0.95, seed=0)
    assert stats.verdict(reverse, 0.8, "below") == "refuted"
    out = _decide(lambda s, rng: 10.0 if s is A else 20.0)
    assert out.verdict == "holds" and out.negation_verdict == "refuted" and out.n_seeds == 8
    check(out)  # passes


def test_diverged_runs_rank_worst():
    a, b = np.array([0.5, math.inf, 1.0]), np.array([math.inf, 3.0, 2.0])
    assert stats.prob_better(a, b) == pytest.approx(2 / 3)
    logs = stats.paired_log_ratios(a, b)
    assert np.all(np.isfinite(logs)) and logs[0] < 0 < logs[1]


def test_sign_flip_interval_is_exact_and_unbounded_with_too_few_seeds():
    x = np.array([0.3, 0.1, 0.5, 0.2, 0.4, 0.6, 0.15, 0.35])  # all positive: p(0) = 2 / 256
    ci = stats.sign_flip_mean_ci(x, 0.95, seed=0)
    assert 0 < ci.low < x.mean() < ci.high < x.max()
    assert stats.sign_flip_p(x, stats._sign_flips(8, 0)) == pytest.approx(2 / 256)
    wide = stats.sign_flip_mean_ci(x[:4], 0.95, seed=0)  # 2 / 16 > 0.05: nothing can be rejected
    assert wide.low == -math.inf and wide.high == math.inf


def test_bootstrap_interval_is_reported_beside_the_verdict_interval():
    out = _decide(lambda s, rng: rng.lognormal(0.0 if s is A else 1.0, 0.3))
    c = out.comparisons[0]
    assert c["bootstrap_low"] < c["effect"] < c["bootstrap_high"]


def test_median_interval_covers_the_median():
    ci = stats.median_ci(np.arange(1.0, 13.0), 0.95)
    assert ci.low <= 6.5 <= ci.high and ci.low >= 1.0 and ci.high <= 12.0


def test_all_diverged_runs_give_an_infinite_median_not_a_crash():
    ci = stats.median_ci(np.full(6, math.inf), 0.95)
    assert ci.estimate == ci.low == ci.high == math.inf
    assert stats.verdict(ci, 0.9, "above") == "holds"


def test_summary_reports_median_iqr_and_diverged():
    s = stats.summary(np.array([1.0, 2.0, 3.0, 4.0, math.inf]))
    assert s == {"median": 3.0, "q1": 2.0, "q3": 4.0, "n": 5, "diverged": 1}


@pytest.mark.parametrize("interval, verdict", [((0.5, 0.4, 0.7), "holds"), ((0.9, 0.8, 1.2), "refuted"),
                                               ((0.8, 0.6, 0.9), "inconclusive")])
def test_verdict_reads_the_interval_against_the_threshold(interval, verdict):
    assert stats.verdict(stats.Interval(*interval, 0.95), 0.8, "below") == verdict


def _plateau_like(s, rng):
    """The lecture's bimodal outcome: escape (loss ~0.1-0.3) w.p. 0.4, else the 3.5 plateau."""
    return rng.uniform(0.1, 0.3) if rng.random() < 0.4 else 3.5 + rng.normal(0, 0.01)


@pytest.mark.parametrize("draw", [_plateau_like, lambda s, rng: rng.lognormal(0.0, 1.0)], ids=["plateau", "lognormal"])
def test_false_holds_stay_at_or_below_the_nominal_level_under_identical_distributions(draw):
    # Both settings draw from the same distribution, and the threshold is 1.0 (the hardest: any
    # apparent improvement counts). The whole sequential procedure runs each time. The nominal
    # rate of a false "holds" is alpha / 2 = 0.025; 300 simulations estimate it within ~0.009.
    sims = 300
    verdicts = [_decide(draw, threshold=1.0, base_seed=i).verdict for i in range(sims)]
    rate = verdicts.count("holds") / sims
    print(f"false-holds rate {rate:.3f} over {sims} simulations (nominal 0.025)")
    assert rate <= 0.025 + 2 * math.sqrt(0.025 * 0.975 / sims), rate


def test_a_real_effect_is_found_and_its_negation_refuted():
    out = _decide(lambda s, rng: rng.lognormal(0.0 if s is A else 1.0, 0.3))
    assert out.verdict == "holds" and out.negation_verdict == "refuted"
    # A and B draw independently (sigma 0.3 each): the mean log ratio over 8 seeds has SD 0.15
    assert math.log(out.comparisons[0]["effect"]) == pytest.approx(-1.0, abs=4 * 0.15)


def test_sequential_design_adds_seeds_until_the_cap_then_fails_as_inconclusive():
    out = _decide(lambda s, rng: rng.lognormal(0.0 if s is A else 0.2, 1.0))
    assert out.verdict == "inconclusive" and out.n_seeds == 16
    with pytest.raises(ClaimInconclusive, match="inconclusive after the seed cap"):
        check(out)


def test_failure_messages_show_medians_effect_interval_seeds_and_threshold():
    out = _decide(lambda s, rng: rng.lognormal(1.0 if s is A else 0.0, 0.3))
    with pytest.raises(ClaimRefuted) as e:
        check(out)
    msg = str(e.value)
    for part in ("REFUTED", "final median", "IQR", "effect", "threshold 0.8", "n=8 paired seeds", "escaped"):
        assert part in msg


def test_expected_refuted_that_starts_to_hold_fails():
    out = _decide(lambda s, rng: 10.0 if s is A else 20.0)
    with pytest.raises(AssertionError, match="now holds"):
        check(out, "refuted", "seeds say so")


def test_a_holding_claim_whose_negation_is_not_refuted_fails():
    out = _decide(lambda s, rng: 10.0 if s is A else 20.0)
    out.negation_verdict = "inconclusive"
    with pytest.raises(NegationNotRefuted):
        check(out)


@pytest.mark.parametrize("kwargs, match", [(dict(start=1), "at least 2 seeds"), (dict(cap=4, start=8), "cap"),
                                           (dict(alpha=1.5), "alpha")])
def test_bad_designs_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Design(**kwargs)


def test_pairs_can_compare_steps_to_escape_instead_of_final_loss():
    out = decide(FakeRunner(lambda s, rng: 0.5 if s is A else 5.0), claim_id="T", title="t", source="test",
                 tier="test", settings={"A": A, "B": B}, pairs=[Pair("A", "B", 0.8)], design=Design(start=8, cap=8),
                 base_seed=0, metric="escape")
    # FakeRunner: final < 3 escapes at step 1, else never (censored at steps = 12): ratio 1/12
    assert out.comparisons[0]["effect"] == pytest.approx(1 / 12) and "(escape steps)" in out.comparisons[0]["statement"]
    with pytest.raises(ValueError, match="valid metrics: final, escape"):
        decide(FakeRunner(lambda s, rng: 1.0), claim_id="T", title="t", source="test", tier="test",
               settings={"A": A}, design=Design(), base_seed=0, metric="loss")


def test_design_looks_split_alpha():
    d = Design(start=8, step=4, cap=16)
    assert d.sizes == [8, 12, 16] and d.confidence == pytest.approx(1 - 0.05 / 3)
    assert d.with_cap(4).sizes == [4]
