"""Inductive bias after training (L11): each family does best on the kind of task its bias
matches, and more so as the task becomes more of its kind.

Claim (lecture, "why Transformers are hard to train" (a), turned into a trained prediction): a
Transformer leans toward bag-of-words, a CNN toward n-grams, an RNN toward a moving average. So on
a task of each kind the matching family should reach the lowest loss, and its advantage should
grow with how much of its kind the task is.

Fairness rules (issue 11; the 3 x 3 table they replace compared information, not bias):
  * Equal information. Every target is causal (y_t reads x_0 .. x_t) and every family reads
    causally: a causally masked Transformer with a sinusoidal positional encoding (without one it
    cannot tell positions apart), a causal CNN, a unidirectional GRU. All causal rather than all
    bidirectional because the RNN is causal by nature and a causal target is what a sequence
    model predicts; the bidirectional version would double the CNN's window and change nothing
    else, so it is not run.
  * Information limits, exact. tasks.SequenceTask.limit(reach) is the least relative MSE any
    predictor seeing x_{t-reach} .. x_t can reach. The Transformer and the GRU see the whole
    prefix (limit 0 everywhere); the CNN sees 8 positions back (limit > 0 on bag-of-words w16 and
    the moving averages with lam 0.8 and 0.95). Each comparison's record carries both limits and
    the gaps to them; a comparison is flagged "limit decides" when the worse family at its limit
    would still lose (0.8 x limit_worse >= median_better) or the better one at its limit could
    not win (limit_better >= 0.8 x median_worse): flagged comparisons are reported and not counted
    as evidence about bias below (they stay in every verdict and in the suite-level Holm family:
    the flag is read off the same runs). At the CPU tier no cell's or trend's verdict depends on a
    flagged part.
  * Matched budgets: about 10k parameters each (trainability.families: transformer 9,914, CNN
    9,794, GRU 10,177), 300 Adam steps of batch 16 x length 16, dropout 0, test over 50 batches.
  * Tuned learners, pre-registered (trainability.families.GRID and tune): per (task, family),
    lr in {1e-3, 3e-3, 1e-2, 3e-2} x warm-up {0, 30 steps}, and for the Transformer also post-LN
    (the lecture's) or pre-LN; 3 tuning seeds from the key "tuning", disjoint from the claims'
    seeds; the least median test loss wins; a winner at lr 3e-2 is tried at 0.1 too. The winners
    are in claims/sequence_tuning.json (scripts/tune_sequence.py) and in each record.

Difficulty sweeps (families.SWEEPS, easy to hard; the lecture's matching family in brackets):
    bag-of-words    [transformer]  window w in 4, 8, 16 (w 16: the whole prefix)
    n-gram          [cnn]          n in 2, 4, 8, signed sum of the last n inputs
    n-gram x        [cnn]          the same plus u_t * v_{t-n+1}, a product across the window
    moving-average  [rnn]          decay lam in 0.5, 0.8, 0.95 (memory 2, 5, 20 positions)

Quantities and thresholds.
  * Cell (one per task): on most seeds the matching family's test loss is below 0.8 x each other
    family's (quantities.TypicalRatio, 0.8 as in table 1: at least 20% less loss). Two parts; the
    cell holds when both hold.
  * Trend (one per sweep): on most seeds the matching family's loss ratio to each other family is
    lower at the hardest point than at the easiest (quantities.AdvantageGrows, a sign test on the
    seed's two ratios; simulate.py checks it at its threshold). The middle point is reported, not
    tested: a trend over the ends is what the sentence predicts.
  * Seeds: 12, 24, 36 paired seeds (the same seeds for every cell, key "L11" revision 3, so a seed
    pairs the families within a task and the tasks within a sweep); decided by the anytime-valid
    confidence sequences of stats.py. Placebo: the Transformer against itself on independent
    streams must not hold.
  * Restated (issue 11) from the 3 x 3 table of issue 9: new tasks, new families, tuned lrs,
    fresh seeds.

Measured (CPU, base seed 0, 2026-11-29; median relative MSE over the seeds that decided the cell;
the CNN's information limit in brackets where it is not 0; "limit" marks a comparison the limit
decides; every other family's limit is 0, so its gap to the limit is its loss):

    task               transformer   cnn [limit]             rnn       matching family   verdict (seeds)
    bag-of-words w4      0.0078      0.0039                  0.0015    transformer       refuted (12): GRU lowest
    bag-of-words w8      0.019       0.0070                  0.025     transformer       refuted (12): CNN lowest
    bag-of-words w16     0.0069      0.235 [0.206] limit     0.0041    transformer       refuted (24): GRU lowest
    n-gram n2            0.0028      0.0008                  0.0006    cnn               refuted (12): GRU as low
    n-gram n4            0.0052      0.0015                  0.0013    cnn               refuted (12): GRU as low
    n-gram n8            0.172       0.0024                  0.039     cnn               holds (12)
    n-gram n2 x          0.022       0.016                   0.0080    cnn               refuted (12): GRU lowest
    n-gram n4 x          0.049       0.027                   0.044     cnn               holds (12)
    n-gram n8 x          0.435       0.436                   0.476     cnn               refuted (12): none learns
    moving-average 0.5   0.0033      0.0017 [2e-6]           0.00054   rnn               holds (12)
    moving-average 0.8   0.0055      0.0152 [0.0067] limit   0.0011    rnn               holds (12)
    moving-average 0.95  0.0059      0.130 [0.105] limit     0.0021    rnn               holds (36)

Trends (share of seeds on which the matching family's loss ratio fell from the easiest point to
the hardest): bag-of-words holds (against the CNN 12/12, limit at w16; against the GRU 11/12:
the Transformer's ratio to the GRU fell from 4.8 to 2.3, still losing); n-gram holds (11/12,
12/12); n-gram x refuted (against the Transformer 0/12: at n8 with the product nobody learns, the
ratio went from 0.64 to 1.0; against the GRU 12/12); moving-average inconclusive at 36 (against
the Transformer 11/36, ratio 0.18 -> 0.27; against the CNN 36/36, limit at lam 0.95).

Tuned options (lr, warm-up, pre-LN): the Transformer took pre-LN on every bag-of-words w4 and
n-gram cell and post-LN on the others; most winners are lr 1e-2 or 3e-2 (none at the 0.1 edge).

What survives of the sentence: "RNN ~ moving average" (every lam, and not only by the CNN's
limit: the GRU beats the Transformer by ~5x). "CNN ~ n-gram" only for long windows (n8, n4 x),
where a GRU must hold exact delays; for short ones a GRU is as good or better. "Transformer ~
bag-of-words" is refuted at every window once targets are causal and the lrs are tuned: the
GRU (w4, w16) or the CNN (w8) is lower, though the Transformer's deficit shrinks as the window
grows. In this budget the GRU is the strongest learner on most local tasks.
"""

import dataclasses
from pathlib import Path

import pytest

from trainability.families import FAMILIES, REACH, SWEEPS, load_tuned, option_label, sequence_setting
from trainability.quantities import AdvantageGrows, TypicalRatio
from trainability.verdicts import Design

TUNED = load_tuned(Path(__file__).with_name("sequence_tuning.json"))
DESIGN = Design(start=12, step=12, cap=36)
SEEDS = dict(seeds_from="L11", revision="3")
RESTATED = "issue 11: causal targets and families, exact information limits, tuned lrs, difficulty sweeps"
CELLS = {task.describe(): (sweep, own, task) for sweep, (own, points) in SWEEPS.items() for task in points}
_GRU = "the GRU's loss is lower still"
EXPECTED: dict[str, dict] = {  # cell or "trend <sweep>" -> {rung or "*": (verdict, reason)}; base seed 0
    "bag-of-words w4": {"*": ("refuted", f"the Transformer beat the GRU by 20% on 0 of 12 seeds: {_GRU} (median "
                                         "relative MSE 0.0078 vs 0.0015)")},
    "bag-of-words w8": {"*": ("refuted", "the Transformer beat the CNN by 20% on 0 of 12 seeds (0.019 vs 0.0070)")},
    "bag-of-words w16": {"*": ("refuted", "the Transformer beat the GRU on 4 of 24 seeds (0.0069 vs 0.0040); it beat "
                                          "the CNN on 24 of 24, but there the CNN's limit (0.206) decides")},
    "n-gram n2": {"*": ("refuted", "the CNN beat the GRU by 20% on 1 of 12 seeds (0.0008 vs 0.0006)")},
    "n-gram n4": {"*": ("refuted", "the CNN beat the GRU by 20% on 1 of 12 seeds (0.0015 vs 0.0013)")},
    "n-gram n2 x": {"*": ("refuted", "the CNN beat the GRU by 20% on 0 of 12 seeds (0.016 vs 0.0080)")},
    "n-gram n8 x": {"*": ("refuted", "no family learns it in 300 steps (0.44, 0.44, 0.48 relative MSE, all limits "
                                     "0): the CNN beat neither by 20% on any of 12 seeds")},
    "trend n-gram x": {"*": ("refuted", "the CNN's loss ratio to the Transformer's rose from n2 to n8 on 12 of 12 "
                                        "seeds (0.64 -> 1.0): at n8 with the product no family learns")},
    "trend moving-average": {"*": ("inconclusive", "the GRU's ratio to the Transformer's fell from lam 0.5 to 0.95 "
                                                   "on 11 of 36 seeds (about 100 would decide); against the CNN on "
                                                   "36 of 36, where the CNN's limit decides")},
}


def setting(family: str, task):
    return sequence_setting(family, task, **TUNED[(task.describe(), family)])


def label(family: str, task) -> str:
    return f"{family} @ {task.describe()}"


@pytest.mark.claim("L11-{cell}")
@pytest.mark.parametrize("cell", list(CELLS))
def test_L11_the_matching_family_has_the_lowest_loss(claims, cell):
    sweep, own, task = CELLS[cell]
    limits = {f: task.limit(REACH[f]) for f in FAMILIES}
    outcome = claims.decide(
        title=f"on {cell} the {own} has the lowest loss (at least 20% below each other family)",
        source="lecture: why Transformers are hard to train (a)",
        settings={f: setting(f, task) for f in FAMILIES}, design=DESIGN,
        parts=[TypicalRatio(own, other, 0.8, limits=(limits[own], limits[other])) for other in FAMILIES if other != own],
        extra={"grid": "L11 after training: median relative MSE (rows: task, columns: family)", "row": cell,
               "sweep": sweep, "limits": limits,
               "tuned": {f: option_label(TUNED[(cell, f)]) for f in FAMILIES}},
        **SEEDS, restated=RESTATED)
    claims.check(outcome, EXPECTED.get(cell))


@pytest.mark.claim("L11-trend-{sweep}")
@pytest.mark.parametrize("sweep", list(SWEEPS))
def test_L11_the_advantage_grows_with_difficulty(claims, sweep):
    own, points = SWEEPS[sweep]
    easy, hard = points[0], points[-1]
    others = [f for f in FAMILIES if f != own]
    outcome = claims.decide(
        title=f"{sweep}: the {own}'s advantage grows from {easy.describe()} to {hard.describe()}",
        source="lecture: why Transformers are hard to train (a), as a trend",
        settings={label(f, t): setting(f, t) for t in (easy, hard) for f in FAMILIES}, design=DESIGN,
        parts=[AdvantageGrows((label(own, easy), label(o, easy)), (label(own, hard), label(o, hard)),
                              limits=(hard.limit(REACH[own]), hard.limit(REACH[o]))) for o in others],
        extra={"limits": {label(f, t): t.limit(REACH[f]) for t in (easy, hard) for f in FAMILIES}},
        **SEEDS, restated=RESTATED)
    claims.check(outcome, EXPECTED.get(f"trend {sweep}"))


@pytest.mark.claim("L11-trained-placebo")
def test_L11_placebo_transformer_against_itself(claims):
    task = SWEEPS["bag-of-words"][1][1]
    t = setting("transformer", task)
    outcome = claims.decide(
        title=f"A/A placebo: the Transformer against itself on independent streams ({task.describe()})",
        source="placebo for L11 after training",
        settings={"transformer": t, "transformer (replicate)": dataclasses.replace(t, replicate=1)},
        design=DESIGN, extra={"placebo": True}, **SEEDS,
        parts=[TypicalRatio("transformer", "transformer (replicate)", 0.8)])
    claims.check(outcome, {"*": ("not holds", "A/A placebo")})
