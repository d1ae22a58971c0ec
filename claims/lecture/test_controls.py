"""Controls: does the lecture's conclusion survive its confounds?

Each control re-decides a lecture claim with one confound removed; its verdict says whether the
conclusion survives. The deep-copy confound (six identical starting layers under the default
init) has its own file (claims/lecture/test_symmetry.py: symmetry-warmup is L6 with it removed) and table
2's L8-default-xavier-redrawn. Here:

Layout (``batch_first``). The lecture builds ``nn.TransformerEncoderLayer`` without
``batch_first=True`` and feeds (16, 10, 2I) tensors, so attention runs across the 16 samples of a
batch, not along a sample's 10 positions (DIGEST.md; systems/transformer.py "faithful"). The "corrected"
layout transposes, so each sample attends over its own positions: the model the lecture meant.
    L6-layout        L6-chance under the corrected layout: warm-up's escape gain, and the typical
                     run without warm-up collapses (> 0.9 x floor)
    L8-layout        L8-xavier-kaiming's uniform pair under the corrected layout
Test mode. The lecture's "test" runs in train mode, dropout on. Every run also measures the same
test batches with dropout off (engines: ``test_loss_nodrop``; model.eval() draws no masks, so the
lecture's number is unchanged), so these controls read the same runs as the claims they control:
    L7-nodrop        L7 on the dropout-off loss
    L8-nodrop        L8-xavier-kaiming on the dropout-off loss

Protocol: as the claims they control (same quantities and thresholds, studies.lecture.SEEDS, the
escape design for L6-layout, the rung's default design otherwise). A control that does not hold
where its claim does is the finding: the conclusion does not survive that confound at that rung.
The dropout-off controls read the same runs as the claims they control, so they are one piece of
evidence with them, not a second.

Measured: docs/reports/proxy/README.md#l6-layout-proxy, #l8-layout-proxy, #l7-nodrop-proxy,
#l8-nodrop-proxy; the same sections in docs/reports/d32/README.md. L8-nodrop's lecture@8 entry
was measured before issue 19 (docs/history.md); `bash scripts/reports.sh lecture-cpu8` reports it.
"""

import pytest

from trainability.studies import lecture as tables
from trainability.studies.rungs import ESCAPE_DESIGN
from trainability.decisions.quantities import EscapeGain, Level, TypicalRatio

pytestmark = pytest.mark.ladder

WARM, COLD = "corrected layout, 1% warm-up", "corrected layout, no warm-up"
XU, KU = "xavier_uniform, corrected layout", "kaiming_uniform, corrected layout"
SLOW, FAST, SLOWER = "lr 1e-4, no warm-up", "lr 1e-3, no warm-up", "lr 1e-5, no warm-up"
_PROXY_XAVIER = "at the searched proxy xavier stays on the plateau as kaiming does, whatever the layout or test mode"
_PLATEAU_FADES = ("under the rule's lr the run without warm-up escapes on about half the seeds, so the typical run no "
                  "longer collapses (as in L6-chance)")
EXPECTED: dict[str, dict] = {
    "L6-layout": {"proxy": ("holds", "warm-up's escape gain does not depend on what attention mixes"),
                  "d32": ("inconclusive", "warm-up's gain survives the layout, but " + _PLATEAU_FADES)},
    "L8-layout": {"proxy": ("refuted", _PROXY_XAVIER),
                  "d32": ("holds", "xavier escapes and kaiming stays on the plateau under either layout")},
    "L7-nodrop": {"proxy": ("holds", "switching dropout off in the test lowers a trained run's loss and cannot make a "
                                     "collapsed run escape"),
                  "d32": ("inconclusive", "as L7 at d32: lr 1e-3 without warm-up escapes on about half the seeds")},
    "L8-nodrop": {"proxy": ("refuted", _PROXY_XAVIER),
                  "d32": ("holds", "switching dropout off in the test cannot make a collapsed kaiming run escape"),
                  "lecture": ("holds", "switching dropout off in the test cannot make a collapsed kaiming run escape")},
}


@pytest.mark.slow
@pytest.mark.claim("L6-layout")
def test_L6_survives_the_corrected_layout(claims):
    t = claims.tier
    s = {WARM: t.setting(lr=1e-3, warmup_fraction=0.01, layout="corrected"),
         COLD: t.setting(lr=1e-3, layout="corrected")}
    claims.decide(title="L6 with attention along each sample (batch_first)", source="lecture table 1; issue 10",
                  settings=s, parts=[EscapeGain(WARM, COLD), Level(COLD, 0.9)], design=ESCAPE_DESIGN, **tables.SEEDS)


@pytest.mark.claim("L8-layout")
def test_L8_survives_the_corrected_layout(claims):
    warm = dict(lr=1e-3, warmup_fraction=0.01, layout="corrected")
    t = claims.tier
    s = {XU: t.setting(**warm, init="xavier_uniform"), KU: t.setting(**warm, init="kaiming_uniform")}
    claims.decide(title="L8 (uniform pair) with attention along each sample (batch_first)",
                  source="lecture table 2; issue 10", settings=s, parts=[TypicalRatio(XU, KU, 0.8)], **tables.SEEDS)


@pytest.mark.claim("L7-nodrop")
def test_L7_survives_a_dropout_off_test(claims):
    s = tables.settings(claims.tier, 1)
    claims.decide(title="L7 on the test loss with dropout off", source="lecture table 1; issue 10",
                  settings={k: s[k] for k in (SLOW, FAST, SLOWER)}, **tables.SEEDS,
                  parts=[TypicalRatio(SLOW, FAST, 0.8, "final_nodrop"), TypicalRatio(SLOW, SLOWER, 0.8, "final_nodrop")])


@pytest.mark.claim("L8-nodrop")
def test_L8_survives_a_dropout_off_test(claims):
    s = tables.settings(claims.tier, 2)
    pairs = (("xavier_uniform", "kaiming_uniform"), ("xavier_normal", "kaiming_normal"))
    claims.decide(title="L8 on the test loss with dropout off", source="lecture table 2; issue 10",
                  settings={k: s[k] for pair in pairs for k in pair}, **tables.SEEDS,
                  parts=[TypicalRatio(a, b, 0.8, "final_nodrop") for a, b in pairs])
