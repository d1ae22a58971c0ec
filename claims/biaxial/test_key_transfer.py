"""L4, the biaxial LSTM: weights shared over pitch carry what was learned in some keys to another.

Claim (DIGEST.md L4, the lecture's DeepJ figure; Mao, Shin & Cottrell, arXiv 1801.00887): the
biaxial LSTM runs one time-axis LSTM on every pitch with the same weights, so what it learns
about a chord in one key it knows in every transposition; an LSTM over the whole frame (dense over
pitch) has to learn each key's pitches separately.

Mechanism: with relative features only, the biaxial model's time axis commutes with a circular
pitch shift exactly (claims/biaxial/test_equivariance.py); its note axis, which scans the frame
from the lowest pitch, does not, so transfer is expected better than dense, not perfect. DeepJ's
absolute pitch position gives the time axis a per-pitch cue that it can use instead of the
relative ones.

Protocol (trainability.studies.biaxial, fixed before any claim seed ran): chorales of the six
diatonic triads of C and G, a chord every 4 frames, two octaves, 16 frames, batch 8, 400 Adam
steps, each arm's lr tuned on its own seeds by its loss on the training keys
(claims/biaxial/biaxial_tuning.json, scripts/tune_biaxial.py); arms of about 12,500 parameters:
biaxial (relative features), dense, biaxial + position. Quantity: the key gap, the mean loss on
chorales in F# and C# (the training keys transposed by a tritone: the same chain, the same Bayes
loss; C#, D#, G#, A# never sound in training) minus the loss on fresh chorales in C and G.

Quantities and thresholds.
  * L4-biaxial-transfer: on most seeds the biaxial model's gap is below the dense model's, and
    below the biaxial model's with the absolute position (TypicalRatio on metric key_gap.gap at
    t = 1: "below", the issue's word; a paired sign test on the seeds, valid for any shape).
  * L4-biaxial-placebo, an A/A placebo on held-out sequences of the training keys: the difference
    between two independent sets of C and G chorales is above zero on most seeds, and below, for
    the biaxial and the dense model (Level at 0 on metric key_gap.heldout: exactly a share of 1/2
    under the placebo, so each part sits at its boundary), on its own seeds; it fails if any part
    holds.
Designs (power from ``python -m trainability power``, before the first look): 12/12/24 for the
transfer (P(holds) 1.00 at a true share of 0.9, 0.92 at 0.8); the placebo 12 seeds, one look.

Measured: docs/reports/proxy/README.md#l4-biaxial-transfer, #l4-biaxial-placebo (these claims do
not scale with the rung).
"""

from pathlib import Path

import pytest

from trainability.decisions.quantities import Level, TypicalRatio
from trainability.decisions.verdicts import Design
from trainability.studies.biaxial import ARMS, chorale_setting, load_tuned

TUNED = load_tuned(Path(__file__).with_name("biaxial_tuning.json"))
DESIGN = Design(start=12, step=12, cap=24)
PLACEBO_DESIGN = Design(start=12, step=1, cap=12)
SOURCE = "DIGEST.md L4 (the DeepJ figure); arXiv 1801.00887; issue 21"
EXPECTED: dict[str, dict] = {  # claim id -> {"*": (verdict, why[, provenance])}; these claims run once (rung "-")
    "L4-biaxial-transfer": {"*": ("inconclusive", "sharing the time axis over pitch transfers far better than a dense "
                                                  "LSTM, but the note axis, which scans from the lowest pitch, is not "
                                                  "shared over keys in either biaxial variant, so the absolute position "
                                                  "costs little more")},
    "L4-biaxial-placebo": {"*": ("not holds", "A/A: two independent sets of chorales in the training keys",
                                 "predicted 2aef8ab")},
}


def settings(*arms) -> dict:
    return {arm: chorale_setting(arm, **TUNED[arm]) for arm in arms}


def tuned(*arms) -> dict:
    return {"tuned": {arm: f"lr {TUNED[arm]['lr']:g}" for arm in arms}}


@pytest.mark.claim("L4-biaxial-transfer")
def test_L4_shared_pitch_weights_transfer_to_an_unseen_key(claims):
    claims.decide(title="trained in C and G, the biaxial LSTM loses less in F# and C# than a dense LSTM or the biaxial "
                        "LSTM with the absolute pitch", source=SOURCE, settings=settings(*ARMS), design=DESIGN,
                  parts=[TypicalRatio("biaxial", "dense", 1.0, metric="key_gap.gap"),
                         TypicalRatio("biaxial", "biaxial + position", 1.0, metric="key_gap.gap")],
                  extra=tuned(*ARMS))


@pytest.mark.claim("L4-biaxial-placebo")
def test_L4_placebo_heldout_chorales_of_the_training_keys(claims):
    arms = ("biaxial", "dense")
    claims.decide(title="A/A placebo: two independent sets of chorales in the training keys differ in loss",
                  source=SOURCE, settings=settings(*arms), design=PLACEBO_DESIGN,
                  parts=[Level(arm, 0.0, direction, metric="key_gap.heldout") for arm in arms
                         for direction in ("above", "below")], extra={"placebo": True, **tuned(*arms)})
