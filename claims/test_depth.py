"""Depth: the warm-up's benefit at lr 1e-3 grows with the number of layers (2, 4, 6).

Claim (DIGEST.md section 1, L6 with L9): at 6 layers lr 1e-3 needs the 1% warm-up (table 1), at 2
layers it does not (table 4: 0.086 without warm-up); the lecture's reading is that depth makes the
post-LN Transformer fragile, so the warm-up's benefit should grow with depth. The lecture ran 2
and 6 layers only; 4 is ours, to see a trend rather than two points.

Mechanism (the lecture's, not established here): in a post-LN stack the early updates of every
layer add up through the residual path and LayerNorm; more layers, larger early moves, more
chance of the output collapsing to the constant before warm-up has let Adam's moments settle.

Protocol: lr 1e-3, with and without the 1% warm-up, at 2, 4 and 6 layers: six settings on the
paired seeds every claim on the lecture's model shares (tables.SEEDS; 6 layers are table 1's two
rows, so those runs are L6's). The benefit per seed is b_L = escaped(warm-up) - escaped(none) at
L layers, in {-1, 0, 1}; quantity "gain grows" (trainability.quantities.GainGrows): among the seeds
where b_deep != b_shallow, the share with b_deep > b_shallow, above 1/2 (a sign test: "on more
seeds the deeper model gains more from warm-up than the shallower than the reverse").
    depth-warmup   b_6 > b_2 (the lecture's two depths)
    depth-trend    b_4 > b_2 and b_6 > b_4 (a monotone trend over the three)
Design: ESCAPE_DESIGN (24/24/48 below the lecture's width): like L6, the trials are the
seeds where the gains differ, and 7 of 7 are the fewest that decide. Fixed before the first look.
Verdicts per rung are recorded in EXPECTED (a rung missing there is expected to hold).

Measured, proxy rung (base seed 0): depth-warmup holds at 24 (11 of 11 seeds where the gains
differ: warm-up escaped 11/24 at 6 layers and 0/24 without; 24/24 both ways at 2 layers).
depth-trend is inconclusive: at 4 layers runs escape without warm-up as at 2 (47/48 and 48/48 at
48 seeds), so the 4-vs-2 gains differed on 1 seed of 48, while 6 vs 4 held (22 of 23). At this
rung the warm-up's benefit is a step between 4 and 6 layers, not a gradual trend. d32 rule rung:
the same picture (depth-warmup 13 of 13; every 2- and 4-layer run escaped both ways, 48/48, so
4 vs 2 never differed; 6 vs 4 held 19 of 19): depth-trend inconclusive there too.
"""

import pytest

from trainability import tables
from trainability.tiers import ESCAPE_DESIGN
from trainability.quantities import GainGrows, named
from trainability.verdicts import Design

pytestmark = pytest.mark.ladder

DEPTHS = (2, 4, 6)
# depth-trend at the proxy: 4 layers escape without warm-up as 2 do (47/48, 48/48), so b_4 and b_2 differed on 1
# seed of 48: no seed count decides "b_4 > b_2" there; capped at 24 to spare the CPU tier's budget
TREND_DESIGN = {**ESCAPE_DESIGN, "proxy": Design(start=24, step=24, cap=24)}
_TREND = ("at the proxy rung the benefit is a step between 4 and 6 layers, not a trend: 4 layers escape without "
          "warm-up as 2 do (47/48 and 48/48 seeds), so the 4-vs-2 part had 1 seed of 48 where the gains differ and "
          "cannot be decided; 6 vs 4 holds (22 of 23)")
_TREND_D32 = ("at the d32 rule rung every 2- and 4-layer run escaped, with warm-up and without (48/48 each): the gains "
              "never differed, so 4 vs 2 cannot be decided; 6 vs 4 holds (19 of 19)")
EXPECTED: dict[str, dict] = {"depth-warmup": {},
                             "depth-trend": {"proxy": ("inconclusive", _TREND), "d32": ("inconclusive", _TREND_D32)}}


def label(layers: int, warm: bool) -> str:
    return f"{layers} layers, {'1% warm-up' if warm else 'no warm-up'}"


def settings(tier) -> dict:
    return {label(n, w): tier.setting(lr=1e-3, warmup_fraction=0.01 if w else 0.0, layers=n)
            for n in DEPTHS for w in (True, False)}


def gain(layers: int) -> tuple[str, str]:
    return label(layers, True), label(layers, False)


def _decide(claims, title, parts, design=ESCAPE_DESIGN):
    outcome = claims.decide(title=title, source="lecture tables 1 and 4; issue 10",
                            settings=named(settings(claims.tier), parts), parts=parts, design=design, **tables.SEEDS)
    claims.check(outcome, EXPECTED[claims.id])


@pytest.mark.slow
@pytest.mark.claim("depth-warmup")
def test_warmup_helps_more_at_6_layers_than_at_2(claims):
    _decide(claims, "the warm-up's escape gain is larger at 6 layers than at 2", [GainGrows(gain(6), gain(2))])


@pytest.mark.slow
@pytest.mark.claim("depth-trend")
def test_warmup_benefit_grows_with_depth(claims):
    _decide(claims, "the warm-up's escape gain grows from 2 to 4 to 6 layers",
            [GainGrows(gain(4), gain(2)), GainGrows(gain(6), gain(4))], TREND_DESIGN)
