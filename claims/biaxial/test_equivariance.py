"""L4, the biaxial LSTM: transposition equivariance, exactly, as shares of drawn models.

Claim (DIGEST.md L4; DeepJ, arXiv 1801.00887; Johnson 2017 designed the biaxial LSTM to be
transposition-invariant): with relative features the biaxial model's time axis does not care
which key it is in. Exactly: time_axis(shift_k x) = shift_k time_axis(x) for a circular pitch
shift by k, whatever the weights.

Mechanism: the time-axis LSTM is one set of weights applied to every pitch; the note itself, the
pitch-class counts (P a multiple of 12), a circular convolution over pitch and the beat all move
with the shift. The pitch-class one-hot moves with shifts by whole octaves only; the absolute
position moves with none.

Protocol: each claim draws 100 models (trainability.decisions.population: pitches 12, 24 or 36,
time width 2-8, 1-2 layers, counts on or off, a convolution of 0, 3, 4 or 7 taps with circular
padding, beat 0 or 4, a weight seed, a shift, a random roll of 6 frames) and measures the relative
error max |time_axis(shift x) - shift time_axis(x)| / max |time_axis(x)|.

Quantity and threshold: the share of draws with error at most 1e-5 (float32 rounding of the same
sums in another order, with room; exact equality is what is seen), above 0.95 (Clopper-Pearson:
100 of 100 shows it).
    L4-biaxial-equivariant   relative features, any shift: holds
    L4-biaxial-octaves       with the pitch-class one-hot, shifts by whole octaves: holds
    L4-biaxial-position      with the absolute position, shifts of 1 to P - 1: the control, refuted
The unit tests (tests/test_biaxial.py) check the same after training steps, with hypothesis.

Measured: docs/reports/proxy/README.md#l4-biaxial-equivariant, #l4-biaxial-octaves,
#l4-biaxial-position.
"""

import pytest
import torch

from trainability.decisions.population import Bound
from trainability.systems import build_model
from trainability.systems.biaxial import BiaxialConfig

N = 100
TOL = 1e-5
BOUND = [Bound(f"time axis commutes with the shift (relative error <= {TOL:g})", "error", TOL, "below", q=0.95)]
SOURCE = "DIGEST.md L4; arXiv 1801.00887; issue 21"
EXPECTED: dict[str, dict] = {
    "L4-biaxial-equivariant": {"*": ("holds", "one weight set on every pitch and relative features move with the shift",
                                     "predicted 2aef8ab")},
    "L4-biaxial-octaves": {"*": ("holds", "a pitch class is unchanged by a shift of whole octaves", "predicted 2aef8ab")},
    "L4-biaxial-position": {"*": ("refuted", "the absolute position does not move with the shift", "predicted 2aef8ab")},
}


def draw(kind):
    def drawn(rng):
        """(config fields, weight seed, shift, roll seed)."""
        octaves = int(rng.integers(1, 4))
        fields = dict(pitches=12 * octaves, time_width=int(rng.integers(2, 9)), time_layers=int(rng.integers(1, 3)),
                      bins=bool(rng.integers(2)), conv=int(rng.choice([0, 3, 4, 7])), beat=int(rng.choice([0, 4])),
                      pitch_class=kind == "octaves", position=kind == "position")
        if kind == "octaves":
            shift = 12 * int(rng.integers(0, octaves))
        elif kind == "position":
            shift = int(rng.integers(1, 12 * octaves))
        else:
            shift = int(rng.integers(0, 12 * octaves))
        return tuple(sorted(fields.items())), int(rng.integers(2**31)), shift, int(rng.integers(2**31))
    return drawn


def measure(example) -> dict:
    fields, seed, shift, roll_seed = example
    cfg = BiaxialConfig(**dict(fields))
    model = build_model("biaxial_lstm", cfg, seed=seed).eval()
    g = torch.Generator().manual_seed(roll_seed)
    frames = (torch.rand(6, 2, cfg.pitches, generator=g) < 0.3).float()
    with torch.no_grad():
        a = model.time_axis(torch.roll(frames, shift, dims=-1))
        b = torch.roll(model.time_axis(frames), shift, dims=2)
    return {"error": float((a - b).abs().max() / b.abs().max().clamp_min(1e-12))}


def _population(claims, kind: str, title: str):
    claims.population(title=title, source=SOURCE, draw=draw(kind), measure=measure, bounds=BOUND, n=N)


@pytest.mark.claim("L4-biaxial-equivariant")
def test_L4_the_time_axis_commutes_with_transposition(claims):
    _population(claims, "equivariant", "with relative features the time axis commutes with every circular pitch shift")


@pytest.mark.claim("L4-biaxial-octaves")
def test_L4_with_pitch_classes_it_commutes_with_octave_shifts(claims):
    _population(claims, "octaves", "with the pitch-class one-hot the time axis commutes with shifts by whole octaves")


@pytest.mark.claim("L4-biaxial-position")
def test_L4_control_the_absolute_position_breaks_it(claims):
    _population(claims, "position", "control: with the absolute position the time axis commutes with the shift")
