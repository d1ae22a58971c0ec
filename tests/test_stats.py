import dataclasses
import math

import numpy as np
import pytest

from helpers import TINY, FakeRunner
from trainability.decisions import stats
from trainability.decisions.quantities import (AdvantageGrows, Dispersion, EscapeGain, EscapeRate, GainGrows, Level,
                                            TypicalRatio, part)
from trainability.decisions.runs import Runs
from trainability.report.summary import adjust
from trainability.decisions.verdicts import ClaimInconclusive, ClaimRefuted, Design, check, decide

A, B = TINY, dataclasses.replace(TINY, lr=2e-3)
SETTINGS = {"A": A, "B": B}


def _decide(draw, parts=None, design=Design(start=8, step=4, cap=16), base_seed=0, **kwargs):
    return decide(runner=FakeRunner(draw), claim_id="T", title="t", source="test", tier="test", settings=SETTINGS,
                  parts=parts or [TypicalRatio("A", "B", 0.8)], design=design, base_seed=base_seed, **kwargs)


def test_a_clear_effect_holds_and_its_reverse_is_refuted_on_its_own():
    out = _decide(lambda s, rng: 10.0 if s is A else 20.0)
    assert out.verdict == "holds" and out.n_seeds == 8 and out.parts[0]["events"] == 8
    check(out)
    reverse = _decide(lambda s, rng: 10.0 if s is A else 20.0, parts=[TypicalRatio("B", "A", 0.8)])
    assert reverse.verdict == "refuted"  # decided on its own from its events, not inverted from the claim


def test_the_typical_seed_is_not_the_average_seed():
    # A escapes on 3 of 16 seeds and ties otherwise: the geometric mean says "much better", the
    # typical seed does not (the L6 finding), and the verdict follows the typical seed.
    def draw(s, rng):
        return 0.2 if (s is A and rng.random() < 0.2) else 3.5
    out = _decide(draw, design=Design(start=16, cap=16))
    p = out.parts[0]
    assert p["description"]["median ratio"] == pytest.approx(1.0) and p["description"]["geometric mean ratio"] < 1.0
    assert out.verdict == "refuted"


def test_escape_gain_uses_only_the_discordant_pairs():
    runs = {"A": Runs(np.zeros(6), np.zeros(6), np.array([1, 1, 0, 1, 0, 0], bool), 3.5, 10),
            "B": Runs(np.zeros(6), np.zeros(6), np.array([1, 0, 0, 0, 0, 1], bool), 3.5, 10)}
    g = EscapeGain("A", "B")
    assert g.events(runs).tolist() == [True, True, False]
    d = g.describe(runs)
    assert d["discordant (better alone, worse alone)"] == [2, 1]
    diff = d["difference in escape rates"]
    assert diff[0] == pytest.approx(1 / 6) and diff[1] < diff[0] < diff[2]


def test_diverged_runs_are_worst_and_two_diverged_tie():
    better = stats.strictly_better(np.array([0.5, math.inf, 1.0, math.inf]), np.array([math.inf, 3.0, 2.0, math.inf]))
    assert better.tolist() == [True, False, True, False]


def test_levels_and_escape_rates():
    runs = {"A": Runs(np.array([3.5, 3.4, 0.1, math.inf]), np.zeros(4), np.array([0, 0, 1, 0], bool), 3.5, 10)}
    assert Level("A", 0.9, "above").events(runs).tolist() == [True, True, False, True]  # diverged: above any level
    assert EscapeRate("A", 0.5, "below").events(runs).tolist() == [True, True, False, True]
    assert EscapeRate("A", 0.3, "below").level == pytest.approx(0.7)


def test_an_inconclusive_part_says_how_many_seeds_would_decide_it():
    out = _decide(lambda s, rng: rng.lognormal(0.0 if s is A else 0.1, 1.0), design=Design(start=8, step=8, cap=16))
    if out.verdict != "inconclusive":
        pytest.skip("this draw decided")
    assert "would decide it" in out.parts[0]["to_decide"]
    with pytest.raises(ClaimInconclusive, match="seed estimate"):
        check(out)


def test_expected_records_are_strict():
    holds = _decide(lambda s, rng: 10.0 if s is A else 20.0)
    with pytest.raises(AssertionError, match="now holds"):
        check(holds, "refuted", "seeds say so")
    with pytest.raises(AssertionError, match="recorded as inconclusive"):
        check(holds, "inconclusive", "too few seeds")
    with pytest.raises(AssertionError, match="a placebo's part holds"):
        check(holds, "not holds", "A/A")
    refuted = _decide(lambda s, rng: 20.0 if s is A else 10.0)
    check(refuted, "not holds", "A/A")  # a placebo that does not hold passes
    with pytest.raises(ClaimRefuted):
        check(refuted)


def test_failure_messages_show_the_parts_and_the_runs():
    out = _decide(lambda s, rng: rng.lognormal(1.0 if s is A else 0.0, 0.3))
    with pytest.raises(ClaimRefuted) as e:
        check(out)
    for text in ("REFUTED", "final median", "IQR", "typical seed", "share", "n=8 paired seeds", "escaped",
                 "median ratio"):
        assert text in str(e.value)


@pytest.mark.parametrize("make, match", [
    (lambda: part("mean ratio", better="A", worse="B"), "valid quantities: typical seed, escape gain"),
    (lambda: TypicalRatio("A", "B", 0.0), "ratio threshold must be a positive"),
    (lambda: TypicalRatio("A", "B", 0.8, metric="loss"), "valid metrics: final, final_nodrop, escape"),
    (lambda: EscapeRate("A", 1.0), "strictly between 0 and 1"),
    (lambda: Level("A", 0.9, "sideways"), "valid: above, below"),
])
def test_bad_parts_are_refused_with_the_valid_choices(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("kwargs, match", [
    (dict(parts=[TypicalRatio("A", "C", 0.8)]), "names 'C'; settings are A, B"),
    (dict(parts=[]), "at least one part"),
    (dict(design=Design(start=4, cap=12)), r"first look \(4 seeds\) cannot decide.*needs 6"),
])
def test_claims_that_cannot_be_decided_fail_before_any_run(kwargs, match):
    runner = FakeRunner(lambda s, rng: 1.0)
    with pytest.raises(ValueError, match=match):
        decide(runner=runner, **{**dict(claim_id="T", title="t", source="s", tier="test", settings=SETTINGS,
                                 parts=[TypicalRatio("A", "B", 0.8)], design=Design(), base_seed=0), **kwargs})
    assert runner.calls == 0


def test_settings_that_do_not_share_their_data_cannot_be_paired():
    other = dataclasses.replace(TINY, steps=TINY.steps + 1)
    with pytest.raises(ValueError, match="does not pair them"):
        decide(runner=FakeRunner(lambda s, rng: 1.0), claim_id="T", title="t", source="s", tier="test",
               settings={"A": A, "C": other}, parts=[TypicalRatio("A", "C", 0.8)], design=Design(), base_seed=0)
    with pytest.raises(ValueError, match="does not pair them"):  # every label of a four-setting part is checked
        decide(runner=FakeRunner(lambda s, rng: 1.0), claim_id="T", title="t", source="s", tier="test",
               settings={"A": A, "B": B, "C": other}, parts=[GainGrows(("A", "B"), ("B", "C"))], design=Design(),
               base_seed=0)
    # said on purpose (table 5's batch sizes): the seed pairs inits only, the share is still of i.i.d. seeds
    out = decide(runner=FakeRunner(lambda s, rng: 1.0 if s is A else 2.0), claim_id="T", title="t", source="s", tier="test",
                 settings={"A": A, "C": other}, parts=[TypicalRatio("A", "C", 0.8, unmatched=True)], design=Design(),
                 base_seed=0)
    assert out.verdict == "holds"


def test_a_gain_that_grows_is_a_sign_test_on_the_seeds_where_the_gains_differ():
    e = lambda *xs: np.array(xs, bool)  # noqa: E731
    runs = {"w6": Runs(np.zeros(5), np.zeros(5), e(1, 1, 1, 0, 1), 3.5, 10),
            "c6": Runs(np.zeros(5), np.zeros(5), e(0, 0, 1, 0, 0), 3.5, 10),
            "w2": Runs(np.zeros(5), np.zeros(5), e(1, 1, 1, 1, 0), 3.5, 10),
            "c2": Runs(np.zeros(5), np.zeros(5), e(1, 0, 1, 0, 0), 3.5, 10)}
    g = GainGrows(("w6", "c6"), ("w2", "c2"))  # gains per seed: deep 1 1 0 0 1, shallow 0 1 0 1 0
    assert g.events(runs).tolist() == [True, False, True]
    assert g.describe(runs)["seeds deep > shallow, deep < shallow"] == [2, 1]


def test_the_dropout_off_loss_is_its_own_metric():
    runs = {"A": Runs(np.array([1.0, 1.0]), np.zeros(2), np.zeros(2, bool), 3.5, 10, final_nodrop=np.array([0.1, 5.0])),
            "B": Runs(np.array([2.0, 2.0]), np.zeros(2), np.zeros(2, bool), 3.5, 10)}
    assert TypicalRatio("A", "B", 0.8).events(runs).tolist() == [True, True]
    assert TypicalRatio("A", "B", 0.8, "final_nodrop").events(runs).tolist() == [True, False]
    assert Level("A", 1.0, "above", "final_nodrop").events(runs).tolist() == [False, True]
    with pytest.raises(ValueError, match="valid metrics: final, final_nodrop, escape"):
        Level("A", 1.0, "above", "accuracy")  # not a metric, nor a registered measurement
    escape = {"A": Runs(np.zeros(3), np.array([5.0, 50.0, 10.0]), np.ones(3, bool), 3.5, 60)}
    assert Level("A", 20, "below", "escape").events(escape).tolist() == [True, False, True]  # steps, not x floor


def test_a_restated_claim_draws_fresh_seeds_and_says_so():
    seen = []

    class Spy(FakeRunner):
        def results(self, jobs, label=""):
            seen.append([seed for _, seed in jobs])
            return super().results(jobs, label)

    for revision in (None, "2"):
        decide(runner=Spy(lambda s, rng: 10.0 if s is A else 20.0), claim_id="T", title="t", source="s", tier="test",
               settings=SETTINGS, parts=[TypicalRatio("A", "B", 0.8)], design=Design(), base_seed=0,
               revision=revision, restated="why" if revision else None)
    assert not set(seen[0]) & set(seen[1])


@pytest.mark.parametrize("kwargs, match", [(dict(start=1), "at least 2 seeds"), (dict(cap=4, start=8), "cap"),
                                           (dict(alpha=1.5), "alpha")])
def test_bad_designs_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Design(**kwargs)


def test_design_looks_spend_nothing():
    d = Design(start=8, step=4, cap=16)
    assert d.sizes == [8, 12, 16] and d.alpha == stats.ALPHA and d.with_cap(4).sizes == [4]


def test_rates_never_have_zero_width_intervals():
    for S, n in ((0, 10), (10, 10)):
        for ci in (stats.wilson(S, n), stats.clopper_pearson(S, n), stats.bernoulli_cs(S, n)):
            assert ci.high - ci.low > 0.1


def test_suite_level_holm_keeps_only_what_survives_the_family():
    def record(cid, p, verdict, placebo=False):
        return {"claim_id": cid, "parts": [{"p_value": p, "verdict": verdict}], "extra": {"placebo": placebo}}
    records = [record("a", 0.001, "holds"), record("b", 0.03, "holds"), record("c", 0.02, "refuted"),
               record("d", 0.6, "inconclusive"), record("p", 0.5, "inconclusive", placebo=True)]
    suite = adjust(records, alpha=0.05)
    assert [r["suite_verdict"] for r in records] == ["holds", "inconclusive", "inconclusive", "inconclusive",
                                                      "inconclusive"]
    assert suite == {"method": "Holm and e-BH", "alpha": 0.05, "parts": 5, "hypotheses": 10, "not counted": 0,
                     "claims": 4, "hold": 1, "refuted": 0, "fdr hold": 1, "fdr refuted": 0, "evidence": 4,
                     "placebos holding": 0}


def test_a_claim_runs_only_the_settings_its_parts_name():
    from trainability.decisions.quantities import named

    parts = [GainGrows(("w6", "c6"), ("w2", "c2")), EscapeGain("w6", "c6")]
    settings = {k: k.upper() for k in ("c2", "w2", "c6", "w6", "unused")}
    assert list(named(settings, parts).items()) == [("w6", "W6"), ("c6", "C6"), ("w2", "W2"), ("c2", "C2")]
    with pytest.raises(KeyError):
        named(settings, [EscapeGain("w6", "nope")])


def _final(*xs, floor=1.0):
    x = np.array(xs, float)
    return Runs(x, np.zeros(len(x)), x < floor, floor, 10)


def test_dispersion_compares_spreads_on_disjoint_seeds_in_log_loss():
    # blocks of four seeds: wide's spread on seeds 0-1, narrow's on seeds 2-3 (the rest unread)
    x = math.nan  # a value the quantity must not read
    runs = {"wide": _final(0.01, 0.1, x, x, 0.02, 0.021, x, x, 0.1, math.inf, x, x, 0.5),
            "narrow": _final(x, x, 0.05, 0.06, x, x, 0.5, 0.4, x, x, 0.2, 0.2, 0.1)}
    d = Dispersion("wide", "narrow")  # spreads: wide ln10, ~0.05, inf; narrow ~0.18, 0.22, 0
    assert d.events(runs).tolist() == [True, False, True]  # the thirteenth seed is no trial
    both = {"wide": _final(math.inf, math.inf, 1, 1), "narrow": _final(1, 1, 0.1, 0.2)}
    assert d.events(both).tolist() == [False]  # a diverged run in both of wide's seeds: no event
    # scale does not matter: a setting that ends 10x higher with the same relative spread is not wider
    same = {"wide": _final(*(10 * np.array([0.05, 0.06, 1, 1]))), "narrow": _final(1, 1, 0.05, 0.06)}
    wide, narrow = d.spreads(same)
    assert np.allclose(wide, narrow, rtol=1e-9)


def test_a_design_for_seed_blocks_needs_four_seeds_a_trial():
    with pytest.raises(ValueError, match="it needs 24"):
        _decide(lambda s, rng: 1.0, parts=[Dispersion("A", "B")], design=Design(start=8, step=4, cap=16))


def test_an_advantage_that_grows_compares_each_seeds_two_loss_ratios():
    runs = {"own e": _final(1, 1, 1, math.inf, 1), "other e": _final(2, 2, 2, 1, math.inf),
            "own h": _final(1, 1, 1, 1, 1), "other h": _final(4, 2, 1, 1, 1)}
    a = AdvantageGrows(("own e", "other e"), ("own h", "other h"))
    # ratios easy 0.5 0.5 0.5 inf 0, hard 0.25 0.5 1 1 1: grows, ties, shrinks, grows (from inf), shrinks (from 0)
    assert a.events(runs).tolist() == [True, False, False, True, False]
    both = {"own e": _final(math.inf), "other e": _final(math.inf), "own h": _final(1.0), "other h": _final(2.0)}
    assert a.events(both).tolist() == [False]  # both diverged on the easy task: no event


def test_a_comparison_an_information_limit_decides_is_flagged():
    runs = {"gru": _final(0.01, 0.012, 0.011), "cnn": _final(0.2, 0.21, 0.22)}
    flag = lambda lim: TypicalRatio("gru", "cnn", 0.8, limits=lim).describe(runs)["limit decides"]  # noqa: E731
    assert flag((0.0, 0.2)) and not flag((0.0, 0.0)) and not flag((0.0, 0.01))
    assert flag((0.3, 0.0))  # the better family's own limit is above what it would need
    assert "limit decides" not in TypicalRatio("gru", "cnn", 0.8).describe(runs)


def test_a_part_an_information_limit_decides_stays_in_the_suite_level_family_and_is_counted():
    part = lambda v, p, limit=False: {"verdict": v, "p_value": p, "description": {"limit decides": limit}}  # noqa: E731
    records = [{"parts": [part("holds", 1e-6, limit=True), part("refuted", 1e-6)]},
               {"parts": [part("holds", 1e-6, limit=True)]}]
    counts = adjust(records)
    assert counts["parts"] == 3 and counts["not counted"] == 2  # the flag is read off the same runs
    assert records[0]["suite_verdict"] == "refuted" and records[1]["suite_verdict"] == "holds"


def test_a_continued_design_keeps_both_caps_and_reads_the_same_seeds():
    # A wins on about 70% of seeds: undecided at 16 seeds on some draws, and a continuation to 32
    # runs the same first 16 seeds again (the same runs) before adding new ones
    draw = lambda s, rng: (10.0 if rng.random() < 0.7 else 30.0) if s is A else 20.0  # noqa: E731
    first = _decide(draw, design=Design(start=8, step=4, cap=16))
    continued = _decide(draw, design=Design(start=8, step=4, cap=16, extended=32, reason="undecided at 16"))
    record = continued.record()
    assert record["extra"]["registered cap"] == 16 and record["extra"]["continued to"] == 32
    assert record["extra"]["continued because"] == "undecided at 16"
    if first.verdict != "inconclusive":
        assert continued.verdict == first.verdict and continued.n_seeds == first.n_seeds  # decided before the cap
    else:
        assert continued.n_seeds > 16 or continued.verdict != "inconclusive"
    with pytest.raises(ValueError, match="says why"):
        Design(start=8, step=4, cap=16, extended=32)
