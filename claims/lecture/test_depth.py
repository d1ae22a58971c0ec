"""Depth: the warm-up's benefit at lr 1e-3 grows with the number of layers (2, 4, 6).

Claim (DIGEST.md section 1, L6 with L9): at 6 layers lr 1e-3 needs the 1% warm-up (table 1), at 2
layers it does not (table 4: 0.086 without warm-up); the lecture's reading is that depth makes the
post-LN Transformer fragile, so the warm-up's benefit should grow with depth. The lecture ran 2
and 6 layers only; 4 is ours, to see a trend rather than two points.

Mechanism (the lecture's, not established here): in a post-LN stack the early updates of every
layer add up through the residual path and LayerNorm; more layers, larger early moves, more
chance of the output collapsing to the constant before warm-up has let Adam's moments settle.

Protocol: lr 1e-3, with and without the 1% warm-up, at 2, 4 and 6 layers: six settings on the
paired seeds every claim on the lecture's model shares (studies.lecture.SEEDS; 6 layers are table
1's two rows, so those runs are L6's). The benefit per seed is b_L = escaped(warm-up) - escaped(none) at
L layers, in {-1, 0, 1}; quantity "gain grows" (trainability.decisions.quantities.GainGrows): among the seeds
where b_deep != b_shallow, the share with b_deep > b_shallow, above 1/2 (a sign test: "on more
seeds the deeper model gains more from warm-up than the shallower than the reverse").
    depth-warmup   b_6 > b_2 (the lecture's two depths)
    depth-trend    b_4 > b_2 and b_6 > b_4 (a monotone trend over the three)
Design: ESCAPE_DESIGN (24/24/48 below the lecture's width): like L6, the trials are the
seeds where the gains differ, and 7 of 7 are the fewest that decide. Fixed before the first look
(depth-trend at the proxy: capped at 24, the CPU tier's budget).

Measured: docs/reports/proxy/README.md#depth-warmup-proxy, #depth-trend-proxy, and the same
sections in docs/reports/d32/README.md.
"""

import pytest

from trainability.studies import lecture as tables
from trainability.studies.rungs import ESCAPE_DESIGN
from trainability.decisions.quantities import GainGrows, named
from trainability.decisions.verdicts import Design

pytestmark = pytest.mark.ladder

DEPTHS = (2, 4, 6)
TREND_DESIGN = {**ESCAPE_DESIGN, "proxy": Design(start=24, step=24, cap=24)}
_STEP = ("the benefit is a step between 4 and 6 layers, not a trend: 4 layers escape without warm-up as 2 do, so the "
         "4-vs-2 gains almost never differ")
_DEEPER = "6 layers stay on the plateau without warm-up where 2 layers leave it either way"
EXPECTED: dict[str, dict] = {"depth-warmup": {"proxy": ("holds", _DEEPER), "d32": ("holds", _DEEPER)},
                             "depth-trend": {"proxy": ("inconclusive", _STEP), "d32": ("inconclusive", _STEP)}}


def label(layers: int, warm: bool) -> str:
    return f"{layers} layers, {'1% warm-up' if warm else 'no warm-up'}"


def settings(tier) -> dict:
    return {label(n, w): tier.setting(lr=1e-3, warmup_fraction=0.01 if w else 0.0, layers=n)
            for n in DEPTHS for w in (True, False)}


def gain(layers: int) -> tuple[str, str]:
    return label(layers, True), label(layers, False)


def _decide(claims, title, parts, design=ESCAPE_DESIGN):
    claims.decide(title=title, source="lecture tables 1 and 4; issue 10", settings=named(settings(claims.tier), parts),
                  parts=parts, design=design, **tables.SEEDS)


@pytest.mark.slow
@pytest.mark.claim("depth-warmup")
def test_warmup_helps_more_at_6_layers_than_at_2(claims):
    _decide(claims, "the warm-up's escape gain is larger at 6 layers than at 2", [GainGrows(gain(6), gain(2))])


@pytest.mark.slow
@pytest.mark.claim("depth-trend")
def test_warmup_benefit_grows_with_depth(claims):
    _decide(claims, "the warm-up's escape gain grows from 2 to 4 to 6 layers",
            [GainGrows(gain(4), gain(2)), GainGrows(gain(6), gain(4))], TREND_DESIGN)
