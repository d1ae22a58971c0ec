"""Table 1: warm-up and learning rate (L6, L7).

Claims (DIGEST.md section 1):
    L6  Learning-rate warm-up makes the 6-layer model trainable at lr 1e-3; without it the model
        collapses. Lecture: 1% warm-up 0.10 vs no warm-up 3.37 (single runs).
    L7  Without warm-up the learning rate matters sharply: 1e-4 works (0.56), 1e-3 collapses
        (3.37), 1e-5 is too slow (2.31).

Mechanism. A post-LN Transformer trained with Adam at lr 1e-3 collapses within ~5 steps to a
near-constant output (the 3.5 floor of the best constant predictor) with many dead ReLUs;
whether and when it escapes that plateau later is stochastic (DIGEST.md section 3: over 8
paired seeds at the lecture's scale, warm-up escaped in 4, no warm-up in 1, and warm-up was
never worse within a pair). Warm-up shrinks Adam's first, badly-estimated steps (RAdam's
variance argument, Liu et al. 2019); a smaller lr shrinks every step.

Protocol. Paired seeds: each seed fixes the init, the data stream, the dropout stream and the
test batches, identical for every setting. Per run: the lecture's "test" loss (train mode,
fresh batches, no optimizer steps) and whether and when it escapes the plateau (running loss
below 3.0; "never" is censored at the run length). Every part is a share of seeds decided by an
anytime-valid confidence sequence (trainability.stats, alpha 0.05 per part over the whole
design), so the looks (the tier's Design, or L6's below) spend nothing.

Parts and thresholds (trainability.quantities).
    L6-chance   "warm-up raises the chance of escaping the plateau": escape gain (among the seeds
        where exactly one setting escaped, warm-up's share is above 1/2; McNemar, anytime), and
        "without warm-up the typical run ends near the floor": level, P(final / 3.5 > 0.9) > 1/2
        (explains under 10% of the variance; the lecture's 3.37 is 0.96, a plateau run 0.99-1.01).
    L6-typical  "with warm-up the typical run escapes": escape rate above 1/2, and "on most seeds
        warm-up's loss is below 0.8 x no warm-up's": typical seed. 0.8 means at least 20% less
        loss; a plateau run varies by about 1% (3.48-3.52), so plateau noise cannot meet it, while
        any escape (to ~0.1-0.3 at either tier) clears it by far.
    L7  typical seed, 1e-4 against 1e-3 and against 1e-5, each below 0.8.
    L6-placebo  warm-up against itself on independent streams (Setting.replicate): the same parts
        as the gain and the typical seed; it must not hold (a falsification that can fail).

Restated (issue 9, 2026-11-29). Until then L6 was "the geometric mean of the loss ratios is below
0.8", decided by an inverted sign-flip interval. A review of its 48 CPU-tier seeds found that
interval invalid away from ratio 1 and the quantity misleading: the median paired ratio was 0.999
(26 of 48 pairs within 1%); the whole 0.46 came from the seeds where warm-up escaped and no
warm-up did not (17 : 0). L6 is now two claims that say what the lecture's sentence means, L7's
comparisons are typical-seed shares, and all three are decided on fresh seeds (revision "2" in
the seed derivation). The expectations recorded below were written before those seeds ran, from
the old seeds' shares (warm-up escaped 18/48 there, so "the typical warm-up run escapes" needs
~180 seeds to refute at that share: more than the cap).

CPU tier calibration (scripts/calibrate.py, 8 held-out seeds per setting; lecture scale from
DIGEST.md section 3):

    candidate                          esc warm esc cold  plateau rel 1e-4 rel 1e-5 order warm worse   dist   sec
    lecture scale (DIGEST, 8 seeds)        0.50     0.12     1.00    0.157     0.66    ok    0 worse   0.00
    d32/F256/I50/lr x1/400 steps           1.00     1.00      nan    1.050     1.39    no    0 worse   4.00    62
    d32/F256/I50/lr x8/400 steps           0.00     0.00     1.00    0.704     1.09    no    0 worse   2.61    61
    d32/F256/I6/lr x4/400 steps            1.00     1.00      nan    0.208     0.84    no    4 worse   2.61    59
    d32/F256/I6/lr x8/400 steps            1.00     0.62     0.99    0.087     0.64    no    0 worse   2.09    59
    d64/F512/I12/lr x4/400 steps           1.00     0.62     1.00    0.145     0.72    no    0 worse   2.07   112
    d32/F256/I6/lr x12/400 steps           0.50     0.00     1.00    0.054     0.53    ok    0 pairs   0.36    68
    d32/F256/I6/lr x16/400 steps           0.38     0.00     1.00    0.040     0.45    ok    0 pairs   0.57    62
    d32/F256/I6/lr x8/250 steps            0.88     0.62     0.95    0.169     0.78    no    0 pairs   2.01    39

    chosen: d32/F256/I6/lr x12/400 steps (smallest distance). Fit: the warm-up/no-warm-up escape
    rates (4/8 vs 0/8; lecture 4/8 vs 1/8), the plateau at the floor (1.00), the ordering
    1e-4 < 1e-5 < 1e-3 and "warm-up never worse in a pair" all match. Misfit: proxy escapes come
    early (steps 22-35 of 400) where the lecture's came late (450-900 of 1000), and lr 1e-4
    ends lower (0.054 vs 0.157 relative).

    The calibration drew dropout masks from PyTorch's CPU generator. Since then the CPU tier
    draws them from a counter-based stream (trainability/masks.py: the same Bernoulli masks in
    distribution, so the calibration stands; the individual runs differ). Re-decided with it:
    L6 0.460 [0.285, 0.731] on 48 seeds (escapes 18/48 vs 1/48; before: 0.397 [0.235, 0.661],
    16/48 vs 1/48), L7 0.054 and 0.102 (before: 0.054 and 0.102).

Seeds. Since issue 10 every claim on the lecture's model draws its paired seeds from one key
(tables.SEEDS: L6's, revision 2), so L6, L7, table 2, the symmetry, depth, batch and control
claims read the same runs wherever they share a setting. L6's designs: tiers.ESCAPE_DESIGN
(24/48 seeds below the lecture's width): about a third of the pairs are discordant at the proxy,
and 7 of 7 are the fewest that decide. L6-typical and the placebo stop at 24 at the proxy (the
CI's budget; fewer seeds cannot inflate an anytime-valid error rate). L7: the rung's default.

Rungs (tiers.py). The proxy rung was chosen by the search above, which rewarded table 1's escape
gap and ordering: its table-1 verdicts are selected-for, and the report marks them (``*``). The
rule rungs (d32, d64, d128, lecture) were fixed by a rule before any claim ran there.

Measured, proxy rung (base seed 0): L6-chance holds at 24 seeds (warm-up escaped on 11/24, no
warm-up on 0/24: 11 of 11 discordant pairs; no warm-up ends above 0.9 x floor on 24/24);
L6-typical inconclusive at 24 (escape rate 11/24; typical seed 10/24: ~440 seeds would decide
it); L7 holds (12/12 and 12/12; medians 0.195, 3.51, 1.87); the placebo does not hold.
Earlier seeds (issue 9, before the shared key) agreed: L6-chance 11/11, L6-typical 30/72.

Measured, d32 rule rung (base seed 0, ``--scale d32``, 2026-11-29): warm-up escapes on every seed
(48/48, median 0.043) and no warm-up on 29/48 (median 0.055): L6-chance's escape gain holds (19
of 19) but its second part does not: the typical run without warm-up does not collapse (19/48
above 0.9 x floor), so L6-chance is inconclusive there; L6-typical inconclusive (escape rate
48/48 holds, typical seed 24/48 on the level); L7 inconclusive (1e-4 beats 1e-3 on 13/24, 1e-5 on
24/24); the placebo refuted (it does not hold). So along the ladder L6 weakens from the proxy to
d32: with the rule's lr (x 8 where the proxy has x 12) and 1000 steps, half the runs without
warm-up escape. At the lecture's scale DIGEST.md measured 1/8 escaping without warm-up.

Measured, d64 rule rung (base seed 0, ``--scale d64 -k ...``, L6-chance only): REFUTED. Warm-up
still wins every discordant pair (11 of 11; 48/48 against 37/48), but the typical run without
warm-up escapes (11/48 above 0.9 x floor). Along the ladder the no-warm-up escape rate climbs
from the proxy's 0/24 to d32's 29/48 and d64's 37/48, while the lecture's own scale collapses
(deep-copied, no warm-up: 0/6 in the CPU reference runs, 1/8 in DIGEST.md): under the rule the
collapse the lecture reports is not reached by the rungs below its width, so "without warm-up the
model collapses" is a claim about the lecture's exact setup, or about what the rule does not
carry (e.g. the lr rule), not one that holds across widths.

Measured, lecture rung (the lecture's exact setup on the CPU, ``--scale lecture --seeds 8``: the
design capped at its first 8 seeds; base seed 0, 2026-11-29; runs shared with
claims/test_symmetry.py): warm-up escaped on 4/8 seeds (steps 610-926; median 0.843, IQR
0.328-3.51), no warm-up on 1/8 (step 592; median 3.507): DIGEST.md's 4/8 and 1/8 again, on fresh
seeds. L6-chance inconclusive at 8: the gain is 3 of 3 discordant pairs and the no-warm-up run
ends above 0.9 x floor on 7/8, each too few to decide; the lecture's 0.10 is one of the escaping
half, its 3.37 the typical no-warm-up run. So at the lecture's width the table-1 contrast is
there, but the deep-copy control (claims/test_symmetry.py) decides it: with the layers redrawn
both settings escape on 8/8.

Expected verdicts are recorded per tier below; a recorded "refuted" or "inconclusive" is a strict
xfail (the test fails if the verdict changes), and a placebo fails if it holds.
"""

import dataclasses

import pytest

from trainability import tables
from trainability.tiers import ESCAPE_DESIGN
from trainability.quantities import EscapeGain, EscapeRate, Level, TypicalRatio
from trainability.verdicts import Design

pytestmark = pytest.mark.ladder

LECTURE = tables.lecture_numbers(1)  # the lecture's numbers for table 1's rows (trainability.tables)
L6_DESIGN = ESCAPE_DESIGN
# L6-typical at the proxy: inconclusive at 72 seeds before issue 10 (~440 would decide); capped at 24 there to
# keep the CPU tier's budget for the other tables (fewer seeds cannot inflate an anytime-valid error rate)
TYPICAL_DESIGN = {**L6_DESIGN, "proxy": Design(start=24, step=24, cap=24)}
PLACEBO_DESIGN = TYPICAL_DESIGN  # a placebo holds with probability <= alpha at any n; 24 seeds at the proxy
SELECTED = ("the proxy rung was chosen by a search that rewarded table 1's escape gap and ordering "
            "(scripts/calibrate.py): its table-1 verdicts are selected-for")
WARM, COLD, SLOW, SLOWER = "lr 1e-3, 1% warm-up", "lr 1e-3, no warm-up", "lr 1e-4, no warm-up", "lr 1e-5, no warm-up"
_TYPICAL = ("at the proxy rung warm-up escapes on about a third of the seeds, not on most: the share sits below "
            "1/2 but too close to refute within the 24 seeds the CPU tier affords (at 72: 30/72, ~440 would decide)")
_CHANCE_D32 = ("at the d32 rule rung warm-up raises the chance of escaping (19 of 19 discordant pairs; escaped 48/48 "
               "against 29/48), but the typical run without warm-up does not collapse: it ended above 0.9 x floor on "
               "19/48 seeds (~270 seeds would decide at that share)")
_TYPICAL_D32 = ("at the d32 rule rung the warm-up run escapes on every seed (48/48: that part holds) but beats no warm-up "
                "by 20% on 24/48 seeds: the share sits on the level, which no seed count decides")
_L7_D32 = ("at the d32 rule rung lr 1e-3 without warm-up escapes on 11/24 seeds, so lr 1e-4 beats it on 13/24 only; it "
           "beats 1e-5 on 24/24")
_CHANCE_D64 = ("at the d64 rule rung warm-up still raises the chance of escaping (11 of 11 discordant pairs; 48/48 "
               "against 37/48), but the typical run without warm-up escapes: it ended above 0.9 x floor on 11/48 seeds, "
               "share 0.23 [0.08, 0.45], below the level")
EXPECTED = {
    "L6-chance": {"d32": ("inconclusive", _CHANCE_D32), "d64": ("refuted", _CHANCE_D64)},
    "L6-typical": {"proxy": ("inconclusive", _TYPICAL), "d32": ("inconclusive", _TYPICAL_D32)},
    "L6-placebo": {"*": ("not holds", "A/A: warm-up against itself")},
    "L7": {"d32": ("inconclusive", _L7_D32)},
}


def table1(tier):
    return tables.settings(tier, 1)


def _extra(claims, **kwargs) -> dict:
    return {**kwargs, **({"selected-for": SELECTED} if claims.tier.name == "proxy" else {})}


def _l6(claims, title, parts, settings=None, design=L6_DESIGN, extra=None):
    s = table1(claims.tier)
    return claims.decide(title=title, source="lecture table 1", lecture=LECTURE, design=design,
                         settings=settings or {WARM: s[WARM], COLD: s[COLD]}, parts=parts, **tables.SEEDS,
                         restated="issue 9: quantities that say what the sentence means",
                         extra=_extra(claims, **(extra or {})))


@pytest.mark.slow
@pytest.mark.claim("L6-chance")
def test_L6_warmup_raises_the_chance_of_escaping(claims):
    outcome = _l6(claims, "1% warm-up raises the chance of escaping the plateau; without it the typical run collapses",
                  [EscapeGain(WARM, COLD), Level(COLD, 0.9, "above")])
    claims.check(outcome, EXPECTED["L6-chance"])


@pytest.mark.slow
@pytest.mark.claim("L6-typical")
def test_L6_with_warmup_the_typical_run_escapes(claims):
    outcome = _l6(claims, "with 1% warm-up the typical run escapes and beats no warm-up by 20%",
                  [EscapeRate(WARM, 0.5, "above"), TypicalRatio(WARM, COLD, 0.8)], design=TYPICAL_DESIGN)
    claims.check(outcome, EXPECTED["L6-typical"])


@pytest.mark.slow
@pytest.mark.claim("L6-placebo")
def test_L6_placebo_warmup_against_itself(claims):
    warm = table1(claims.tier)[WARM]
    twin = f"{WARM} (replicate)"
    outcome = _l6(claims, "A/A placebo: warm-up against itself on independent streams",
                  [EscapeGain(WARM, twin), TypicalRatio(WARM, twin, 0.8)],
                  settings={WARM: warm, twin: dataclasses.replace(warm, replicate=1)}, extra={"placebo": True},
                  design=PLACEBO_DESIGN)
    claims.check(outcome, EXPECTED["L6-placebo"])


@pytest.mark.claim("L7")
def test_L7_lr_1e4_beats_1e3_and_1e5(claims):
    s = table1(claims.tier)
    outcome = claims.decide(
        title="without warm-up, lr 1e-4 beats 1e-3 (collapse) and 1e-5 (too slow) on most seeds",
        source="lecture table 1", lecture=LECTURE,
        settings={k: s[k] for k in (SLOW, COLD, SLOWER)},
        parts=[TypicalRatio(SLOW, COLD, 0.8), TypicalRatio(SLOW, SLOWER, 0.8)], **tables.SEEDS,
        restated="issue 9: typical-seed shares instead of a geometric mean; issue 10: L6's seeds (tables.SEEDS)",
        extra=_extra(claims),
    )
    claims.check(outcome, EXPECTED["L7"])
