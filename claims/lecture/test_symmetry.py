"""Symmetry: the identical starting layers of ``nn.TransformerEncoder``'s deep copy, not the missing
warm-up, may be what decides whether the lecture's 6-layer model escapes its plateau.

Claim (DIGEST.md section 3; issue 10): at lr 1e-3 and 6 layers, the lecture's default init (six
identical deep-copied layers: pytorch/pytorch issues 86274, 72253, 120396) escapes the 3.5 plateau
less often than the same default redrawn independently per layer, with the 1% warm-up and
without it; and once the layers differ, warm-up may no longer matter. DIGEST.md's lecture-scale
runs with the lecture's own loop motivated it.

Mechanism (not established here): at the deep copy every layer computes the same map, so the
early updates see a stack of one function applied six times; redrawing breaks that symmetry
without changing any weight's distribution (``default_redrawn``: each tensor redrawn from
PyTorch's default init).

Protocol: each rung's lecture-unit settings (lr 1e-3, 6 layers), default vs default_redrawn, with
the 1% warm-up and without: four settings on the paired seeds every claim on the lecture's model
shares (studies.lecture.SEEDS; the deep-copied rows are table 1's, so those runs are L6's).
Quantities (trainability.decisions.quantities): escape gain (among the seeds where exactly one of the
two escaped, the share won by the first, above 1/2) and escape rate (above 1/2).
    symmetry-warm     redrawn escapes more often than deep-copied, with warm-up; and the typical
                      redrawn run escapes
    symmetry-cold     the same gain without warm-up
    symmetry-warmup   once the layers are redrawn, warm-up still raises the chance of escaping
                      (the lecture's table-1 claim with the deep-copy confound removed)
    symmetry-placebo  the redrawn layers with warm-up against themselves on independent streams:
                      every part at its boundary, in both orders (decisions.quantities.placebo_parts),
                      run to the cap (24 seeds at the proxy, 48 at the other rungs); fails if any holds
Designs fixed before the first look: studies.rungs.ESCAPE_DESIGN (24/48 seeds below the lecture's
width, 16/32/48 at the lecture's; the gains live in the discordant pairs, 7 of 7 the fewest that
decide). symmetry-cold at the proxy was inconclusive at its cap under the confidence sequence
that decided every claim before issue 19, and its continuation past the cap (2026-11-29) was
withdrawn as a changed design; under the exact group-sequential test (issue 19, chosen by its
power on the registered designs, for every claim at once) the same registered design and seeds
decide it. docs/history.md keeps the earlier verdict, the continuation and the lecture-scale
reference runs.

Measured: docs/reports/proxy/README.md#symmetry-warm-proxy, #symmetry-cold-proxy,
#symmetry-warmup-proxy, #symmetry-placebo-proxy; the same sections in docs/reports/d32/README.md.
The d64 and lecture@8 entries of EXPECTED were measured before issue 19 (docs/history.md) and
have no committed report yet: `bash scripts/reports.sh d64` and `lecture-cpu8` make them.
"""

import pytest

from trainability.decisions.quantities import EscapeGain, EscapeRate, named
from trainability.studies import lecture as tables
from trainability.studies.rungs import ESCAPE_DESIGN

pytestmark = pytest.mark.ladder

DESIGN = ESCAPE_DESIGN
COPIED_WARM, REDRAWN_WARM = "deep-copied, 1% warm-up", "redrawn, 1% warm-up"
COPIED_COLD, REDRAWN_COLD = "deep-copied, no warm-up", "redrawn, no warm-up"
_ALL_ESCAPE = "both settings escape on every seed, so there is no discordant pair to decide the gain"
EXPECTED: dict[str, dict] = {
    "symmetry-warm": {
        "proxy": ("holds", "with warm-up the redrawn layers escape where the deep-copied ones stay on the plateau"),
        "d32": ("inconclusive", _ALL_ESCAPE + " (the redrawn escape rate holds)"),
        "d64": ("inconclusive", _ALL_ESCAPE),
        "lecture@8": ("inconclusive", "the capped design gives too few discordant pairs to decide the gain (the "
                                      "redrawn escape rate holds)"),
    },
    "symmetry-cold": {
        "proxy": ("holds", "without warm-up the redrawn layers escape where the deep-copied ones do not, on the few "
                           "seeds where only one of them escapes"),
        "d32": ("holds", "without warm-up the redrawn layers escape where the deep-copied ones often do not"),
        "d64": ("holds", "without warm-up the redrawn layers escape where the deep-copied ones often do not"),
        "lecture@8": ("holds", "at the lecture's width the redrawn layers escape without warm-up and the deep-copied "
                               "ones almost never do"),
    },
    "symmetry-warmup": {
        "proxy": ("holds", "at the proxy warm-up still raises the redrawn layers' chance of escaping"),
        "d32": ("inconclusive", "once the layers differ, runs escape with warm-up and without, leaving almost no "
                                "discordant pair"),
        "d64": ("inconclusive", "once the layers differ, runs escape with warm-up and without: no discordant pair"),
        "lecture@8": ("inconclusive", "once the layers differ, runs escape with warm-up and without: no discordant "
                                      "pair"),
        "lecture": ("inconclusive", "once the layers differ the lecture's runs escape with warm-up and without, too "
                                    "few discordant pairs", "predicted c2d3e8d"),
    },
    "symmetry-placebo": {"*": ("not holds", "A/A: the redrawn layers against themselves on independent streams",
                               "predicted 9d7b05c")},
}


def settings(tier):
    warm = dict(lr=1e-3, warmup_fraction=0.01)
    return {COPIED_WARM: tier.setting(**warm), REDRAWN_WARM: tier.setting(**warm, init="default_redrawn"),
            COPIED_COLD: tier.setting(lr=1e-3), REDRAWN_COLD: tier.setting(lr=1e-3, init="default_redrawn")}


def _decide(claims, title, parts):
    claims.decide(title=title, source="DIGEST.md section 3; issue 10", settings=named(settings(claims.tier), parts),
                  parts=parts, design=DESIGN, **tables.SEEDS)


@pytest.mark.slow
@pytest.mark.claim("symmetry-warm")
def test_redrawn_layers_escape_more_often_with_warmup(claims):
    _decide(claims, "with warm-up, layers redrawn per layer escape more often than deep-copied ones",
            [EscapeGain(REDRAWN_WARM, COPIED_WARM), EscapeRate(REDRAWN_WARM, 0.5)])


@pytest.mark.slow
@pytest.mark.claim("symmetry-cold")
def test_redrawn_layers_escape_more_often_without_warmup(claims):
    _decide(claims, "without warm-up, layers redrawn per layer escape more often than deep-copied ones",
            [EscapeGain(REDRAWN_COLD, COPIED_COLD)])


@pytest.mark.slow
@pytest.mark.claim("symmetry-warmup")
def test_warmup_still_helps_once_the_layers_differ(claims):
    _decide(claims, "with the layers redrawn, warm-up still raises the chance of escaping",
            [EscapeGain(REDRAWN_WARM, REDRAWN_COLD)])


@pytest.mark.slow
@pytest.mark.claim("symmetry-placebo")
def test_symmetry_placebo_redrawn_against_itself(claims):
    claims.placebo(REDRAWN_WARM, settings(claims.tier)[REDRAWN_WARM], source="DIGEST.md section 3; issue 19",
                   title="A/A placebo: the redrawn layers with warm-up against themselves on independent streams")
