"""Inductive bias after training (L11): each family does best on the task that matches its bias.

Claim (lecture, "why Transformers are hard to train" (a), turned into a trained prediction): a
Transformer leans toward bag-of-words, a CNN toward n-grams, an RNN toward a moving average, so
on a task of each kind the matching family should reach the lowest loss: the diagonal of the
3 x 3 table (task x family) dominates.

Tasks (trainability.tasks.SequenceTask, T = 16, B = 16, I = 2, exact floors):
    bag-of-words    y_t = sum over all positions / sqrt(2T), the same at every t
    n-gram          y_t = u_t * v_{t-1} + u_{t-2}, a causal 3-token window
    moving-average  y_t = exponential moving average of the past, lam = 0.8 (window ~5)
Families at a matched budget (trainability.families, ~17k parameters): the lecture's Transformer without positional
encoding (d 32, 4 heads, 2 layers, ffn 64, 17,314), a causal CNN (width 53, depth 3, kernel 3,
reach 6 past, 17,757), a GRU (width 72, 16,994). Same optimizer for all: Adam lr 3e-3, no
warm-up, 300 steps, dropout 0, test loss over 50 fresh batches.

Protocol: per task, paired seeds (same data streams for the three families); each comparison is
a typical-seed share (trainability.quantities.TypicalRatio): on most seeds the own family's loss
is below 0.8 x the other's, decided by an anytime-valid confidence sequence; the row holds when
the own family beats both others. Threshold 0.8, as in table 1: at least 20% less loss. Seeds:
8, 16, 24 (runs take about a second; 7 of 7 is the fewest that can decide). Restated in issue 9
(it was a geometric mean with a sign-flip interval, and a first look at 6 seeds that could never
decide): decided on fresh seeds. Placebo: the Transformer against itself on independent streams
(Setting.replicate), on the bag-of-words task, must not hold.

These settings are the same at every tier (small by construction; there is no lecture-scale
version of this experiment). A single-seed look before the claims were run (seed 0, relative MSE)
already suggested where the lecture may be wrong: on the n-gram task the GRU (0.024) matched the
CNN (0.023), since a gated RNN holds a 3-token window as easily as a convolution. What the seeds
decide is recorded below; a "refuted" row is a strict expected failure.

Measured before the restatement (CPU, base seed 0, 12 paired seeds per row; median relative MSE;
the restated rows on fresh seeds: bag-of-words and moving-average hold on 8 of 8 seeds, n-gram is
refuted on 0 of 8 for the CNN against the GRU):

                    transformer      cnn       rnn     verdict
    bag-of-words        0.0027     0.665     0.485     holds    (0.0052, 0.0072 vs cnn, rnn)
    n-gram              0.954      0.0225    0.0229    refuted  (cnn / rnn 0.973 [0.898, 1.06])
    moving-average      0.397      0.0293    0.0016    holds    (0.0042, 0.055 vs transformer, cnn)
"""

import dataclasses

import pytest

from trainability.families import sequence_setting
from trainability.quantities import TypicalRatio
from trainability.verdicts import Design

FAMILIES = ("transformer", "cnn", "rnn")  # trainability.families: the same budget for all three
OWN = {"bag-of-words": "transformer", "n-gram": "cnn", "moving-average": "rnn"}
DESIGN = Design(start=8, step=8, cap=24)
_NGRAM = ("the CNN's loss was below 0.8 x the GRU's on 0 of 8 fresh seeds (median ratio 0.91; base seed 0), "
          "while it beat the Transformer on 8 of 8 (median ratio 0.023). A gated RNN holds a short causal window "
          "as well as a convolution, so 'CNN ~ n-gram' names a bias the CNN shares, not one it owns")
EXPECTED = {
    "bag-of-words": {},
    "n-gram": {"*": ("refuted", _NGRAM)},
    "moving-average": {},
}


def setting(family: str, kind: str):
    return sequence_setting(family, kind, steps=300, reach=0.85)


@pytest.mark.claim("L11-{kind}")
@pytest.mark.parametrize("kind", list(OWN))
def test_L11_each_family_is_best_on_its_own_task(claims, kind):
    own = OWN[kind]
    outcome = claims.decide(
        title=f"on the {kind} task the {own} has the lowest loss",
        source="lecture: why Transformers are hard to train (a)",
        settings={family: setting(family, kind) for family in FAMILIES},
        design=DESIGN,
        parts=[TypicalRatio(own, other, 0.8) for other in FAMILIES if other != own],
        extra={"grid": "L11 trained 3x3: median relative MSE (rows: task, columns: family)", "row": kind},
        revision="2", restated="issue 9: typical-seed shares instead of a geometric mean",
    )
    claims.check(outcome, EXPECTED[kind])


@pytest.mark.claim("L11-trained-placebo")
def test_L11_placebo_transformer_against_itself(claims):
    t = setting("transformer", "bag-of-words")
    outcome = claims.decide(
        title="A/A placebo: the Transformer against itself on independent streams (bag-of-words)",
        source="placebo for L11 after training",
        settings={"transformer": t, "transformer (replicate)": dataclasses.replace(t, replicate=1)},
        design=DESIGN, extra={"placebo": True},
        parts=[TypicalRatio("transformer", "transformer (replicate)", 0.8)],
    )
    claims.check(outcome, {"*": ("not holds", "A/A placebo")})
