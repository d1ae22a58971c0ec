"""Table 5 (L10): batch 64 trains to a lower loss than batch 16.

Claim (DIGEST.md section 1, L10): with batch size 64 the model reaches 0.037 where batch 16
reached 0.10 (table 1's warm-up row). The lecture does not say whether that is per step or per
sample seen; we decide both, so the verdict says which holds:
    L10-equal-steps     1000 steps (the rung's run length) at batch 64 against batch 16: four
                        times the samples
    L10-equal-samples   batch 64 for 250 steps (a quarter of the rung's run length, 1% warm-up
                        of that) against batch 16 for 1000: the same samples seen

What "batch" is. The task's tensor is (16, 10, 2I), and under the lecture's faithful layout
(``batch_first=False``) the encoder reads dim 0 as its sequence: attention runs across the 16
"batch" rows, and the 10 positions are its batch. A batch of 64 therefore also lengthens what
attention mixes from 16 rows to 64 (systems/transformer.py; studies/lecture.py). The rows are independent samples, so
mixing them can only add noise; more rows to average over may be part of why 64 helps.

Protocol: lr 1e-3, 1% warm-up, 6 layers, the default init, at each rung; quantity "typical seed"
(trainability.decisions.quantities.TypicalRatio): on most seeds batch 64's loss is below 0.8 x batch 16's
(0.8 as in table 1; the lecture's ratio is 0.37). The two settings differ in task (and at equal
samples in run length), so a seed pairs their inits and dropout streams but not their data
(``unmatched=True``): the share is still of i.i.d. seeds, only less precise than a matched pair.
Seeds: studies.lecture.SEEDS; the rung's default design (12/18/24 below the lecture's width).

Measured: docs/reports/proxy/README.md#l10-equal-steps-proxy, #l10-equal-samples-proxy, and the
same sections in docs/reports/d32/README.md.
"""

import pytest

from trainability.studies import lecture as tables
from trainability.decisions.quantities import TypicalRatio

pytestmark = pytest.mark.ladder

B16, B64, B64_SHORT = "batch 16", "batch 64", "batch 64, a quarter of the steps"
_PER_STEP = "four times the samples per step lower the loss at equal steps"
_PER_SAMPLE = ("a quarter of the steps at batch 64 does not reach batch 16's loss after its full run: batch 64 wins "
               "per step, not per sample")
EXPECTED: dict[str, dict] = {"L10-equal-steps": {"proxy": ("holds", _PER_STEP), "d32": ("holds", _PER_STEP)},
                             "L10-equal-samples": {"proxy": ("refuted", _PER_SAMPLE), "d32": ("refuted", _PER_SAMPLE)}}


def settings(tier) -> dict:
    warm = dict(lr=1e-3, warmup_fraction=0.01)
    return {B16: tables.settings(tier, 1)["lr 1e-3, 1% warm-up"], B64: tables.settings(tier, 5)["batch 64"],
            B64_SHORT: tier.setting(**warm, batch=64, steps=250)}


def _decide(claims, title, longer):
    s = settings(claims.tier)
    claims.decide(title=title, source="lecture table 5", settings={longer: s[longer], B16: s[B16]},
                  lecture={B64: tables.TABLES[5]["batch 64"].lecture},  # batch 16: table 1's warm-up row
                  parts=[TypicalRatio(longer, B16, 0.8, unmatched=True)], **tables.SEEDS)


@pytest.mark.slow
@pytest.mark.claim("L10-equal-steps")
def test_L10_batch_64_beats_16_at_equal_steps(claims):
    _decide(claims, "at equal steps batch 64's loss is below 0.8 x batch 16's on most seeds", B64)


@pytest.mark.claim("L10-equal-samples")
def test_L10_batch_64_beats_16_at_equal_samples(claims):
    _decide(claims, "at equal samples seen batch 64's loss is below 0.8 x batch 16's on most seeds", B64_SHORT)
