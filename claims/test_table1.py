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
fresh batches, no optimizer steps) and the steps to escape the plateau (running loss below 3.0;
"never" is censored at the run length). Effect: geometric mean of the per-seed loss ratios with
a BCa bootstrap interval; sequential seeds (the tier's Design) with Bonferroni-split looks.

Thresholds.
    ratio < 0.8 (every comparison): "lower" must mean at least 20% less loss on the typical
        seed. A plateau run's loss varies by about 1% (3.48-3.52), so 0.8 cannot be met by
        plateau noise, while any escape (to ~0.1-0.3 at either tier) clears it by far.
    no-warm-up median relative MSE > 0.9 ("ends near the floor"): explains under 10% of the
        target's variance; the lecture's 3.37 is 0.96, a plateau run 0.99-1.01.
Negations (reverse claims on the same runs: "no warm-up beats warm-up", "1e-3 beats 1e-4",
"1e-5 beats 1e-4", "no warm-up ends well below the floor") must come out refuted wherever
the claim holds.

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

Seeds. L6's effect lives in the few discordant pairs (one setting escapes, the other does not):
at the CPU tier about 29% of warm-up runs escape against 4% without (first 24 seeds). At the
threshold, the sign-flip statistic then grows like 0.34 sqrt(n) standard deviations, so it
needs ~50-75 paired seeds to clear a 0.983 interval; L6 therefore looks at 24, 48 and 72 seeds
(L7's effects are large and every pair differs, so the tier's default 12/18/24 suffices). At the
lecture scale (4/8 vs 1/8 escapes) the same arithmetic gives a similar count: 16, 32, 48.

Expected verdicts are recorded per tier below; a recorded "refuted" is a strict xfail: the test
fails if the claim starts to hold, and an inconclusive verdict always fails.
"""

import pytest

from trainability.verdicts import Design, Pair

LECTURE = {"1e-3 + 1% warm-up": 0.10, "1e-3, no warm-up": 3.37, "1e-4, no warm-up": 0.56, "1e-5, no warm-up": 2.31}
L6_DESIGN = {"cpu": Design(start=24, step=24, cap=72), "lecture": Design(start=16, step=16, cap=48)}
EXPECTED = {
    "L6": {},
    "L7": {},
}


def table1(tier):
    return {
        "1e-3 + 1% warm-up": tier.setting(lr=1e-3, warmup_fraction=0.01),
        "1e-3, no warm-up": tier.setting(lr=1e-3),
        "1e-4, no warm-up": tier.setting(lr=1e-4),
        "1e-5, no warm-up": tier.setting(lr=1e-5),
    }


@pytest.mark.slow
@pytest.mark.claim("L6")
def test_L6_warmup_makes_lr_1e3_trainable(claims):
    s = table1(claims.tier)
    outcome = claims.decide(
        title="1% warm-up beats no warm-up at lr 1e-3; no warm-up ends near the floor",
        source="lecture table 1", lecture=LECTURE, design=L6_DESIGN,
        settings={k: s[k] for k in ("1e-3 + 1% warm-up", "1e-3, no warm-up")},
        pairs=[Pair("1e-3 + 1% warm-up", "1e-3, no warm-up", 0.8)],
        levels=[("1e-3, no warm-up", 0.9, "above")],
    )
    claims.check(outcome, EXPECTED["L6"])


@pytest.mark.claim("L7")
def test_L7_lr_1e4_beats_1e3_and_1e5(claims):
    s = table1(claims.tier)
    outcome = claims.decide(
        title="without warm-up, lr 1e-4 beats 1e-3 (collapse) and 1e-5 (too slow)",
        source="lecture table 1", lecture=LECTURE,
        settings={k: s[k] for k in ("1e-4, no warm-up", "1e-3, no warm-up", "1e-5, no warm-up")},
        pairs=[Pair("1e-4, no warm-up", "1e-3, no warm-up", 0.8), Pair("1e-4, no warm-up", "1e-5, no warm-up", 0.8)],
    )
    claims.check(outcome, EXPECTED["L7"])
