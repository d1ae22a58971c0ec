"""L12, "too free": a Transformer's solution space is larger than an RNN's or a CNN's, so the
search is harder.

Claim (lecture, "why Transformers are hard to train" (b)): the Transformer is too free; the
space of solutions it can explore is larger than a CNN's or an RNN's, and a larger space is
harder to search.

Operationalisation. "Larger" is measured by what the model can fit; "harder to search" by how
long the search takes. With a positional encoding the Transformer can represent the n-gram and
moving-average targets (attention can pick positions), so the claim predicts that it
    (a) fits them: median relative MSE below 0.5 (explains over half the target's variance),
    (b) but needs more steps than the family whose bias matches the task (the CNN on n-grams,
        the GRU on moving averages) to reach the same level, half the floor: the matching
        family's steps are below 0.8 x the Transformer's on the typical seed (paired seeds;
        steps counted until the running training loss, window 20, falls below 0.5 x floor;
        "never" is censored at the run length).
If (a) failed the Transformer would not be "freer" here at all; if (b) failed, being freer would
not have made the search slower. The threshold 0.8 is table 1's: at least 20% fewer steps. Not
measured here: whether the Transformer's final loss varies more across seeds (a further reading
of "harder search"); the records carry each setting's IQR for that.

Setup: the tasks and budgets of claims/test_trained_bias.py (trainability.families: T 16, ~17k
parameters each, Adam lr 3e-3, no warm-up, dropout 0), with a sinusoidal positional encoding added
to the Transformer (no parameters) and 600 steps, so that the slower learner has time to arrive. Seeds 6, 12, 18, 24.

A single-seed look before these claims were run (seeds 0, 1): Transformer + PE reached half the
floor at steps 303 / 237 on n-grams against the CNN's 33 / 35, and at 31 / 34 on moving averages
against the GRU's 23 / 24; final relative MSE 0.019 / 0.015 and 0.007 / 0.004.
"""

import dataclasses

import pytest

from trainability.families import sequence_setting
from trainability.quantities import Level, TypicalRatio
from trainability.verdicts import Design

MATCHING = {"n-gram": "cnn", "moving-average": "rnn"}
DESIGN = Design(start=8, step=8, cap=24)  # a first look of 6 could not decide (7 of 7 is the fewest)
RESTATED = "issue 9: typical-seed share of escape steps and a typical-run level, instead of a geometric mean"


def setting(family: str, kind: str):
    return sequence_setting(family, kind, steps=600, reach=0.5)


@pytest.mark.claim("L12-{kind}")
@pytest.mark.parametrize("kind", list(MATCHING))
def test_L12_transformer_fits_but_searches_longer(claims, kind):
    match = MATCHING[kind]
    outcome = claims.decide(
        title=f"with a PE the Transformer fits the {kind} task, but takes longer than the {match}",
        source="lecture: why Transformers are hard to train (b)",
        settings={"transformer+PE": setting("transformer+PE", kind), match: setting(match, kind)},
        design=DESIGN,
        parts=[TypicalRatio(match, "transformer+PE", 0.8, metric="escape"), Level("transformer+PE", 0.5, "below")],
        revision="2", restated=RESTATED,
    )
    claims.check(outcome)


@pytest.mark.claim("L12-placebo")
def test_L12_placebo_cnn_against_itself(claims):
    cnn = setting("cnn", "n-gram")
    outcome = claims.decide(
        title="A/A placebo: the CNN's steps to escape against its own on independent streams",
        source="placebo for L12", settings={"cnn": cnn, "cnn (replicate)": dataclasses.replace(cnn, replicate=1)},
        design=DESIGN, extra={"placebo": True},
        parts=[TypicalRatio("cnn", "cnn (replicate)", 0.8, metric="escape")],
    )
    claims.check(outcome, {"*": ("not holds", "A/A placebo")})
