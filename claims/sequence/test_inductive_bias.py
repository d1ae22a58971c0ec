"""Inductive bias at initialisation (L11): Transformer ~ bag-of-words, CNN ~ n-gram, RNN ~ moving
average; and the mechanism behind L8's kaiming collapse.

Claim (lecture, "why Transformers are hard to train", (a) the initial state): at initialisation a
Transformer leans toward bag-of-words, a CNN toward n-grams, an RNN toward a moving average.

Mechanism and measurement. influence[t, s] = mean over 32 N(0, 1) input sequences of the norm of
the Jacobian block d y_t / d x_s at initialisation (trainability.measure.influence, jacrev),
dropout off. Three statistics name its shape: flatness (coefficient of variation of the
off-diagonal influence), support (largest past / future lag with nonzero influence) and the
log-linear fit of influence against lag (decay per step, R^2).
    - Self-attention without a positional encoding is permutation-equivariant: y_t cannot depend
      on where the other tokens stand, only on which tokens there are (bag-of-words); at init
      the attention logits are small, so every other token counts about alike (flat).
    - A stack of L convolutions of width k sees exactly L(k-1) past positions (causal) or
      L(k-1)/2 on each side (centred), and nothing else: an n-gram, n = L(k-1) + 1.
    - A recurrence h_t = f(W_hh h_{t-1} + ...) passes the past through one Jacobian per step,
      so influence falls geometrically: by linearisation at rate log rho(W_hh) per step, with
      rho = g / sqrt(3) for PyTorch's U(+-1/sqrt(W)) init scaled by g; tanh saturation can only
      steepen it. A moving average with exponential weights.

Protocol (restated in issue 9). What can only fail through a bug is an invariant of the
implementation, tested in tests/test_invariants.py: permutation equivariance without a PE, reach
of every position both ways (with and without a PE), a CNN's influence being exactly its
receptive field (so "n-gram"), an RNN's causality and a stack's reach of the whole past. The
empirical statements are population claims (trainability.decisions.population): "in at least q = 0.9 of
the architectures drawn from D, the statistic is on the claimed side of t", decided on N = 100
seeded draws (D: each family's ``draw`` below, uniform over the ranges the hypothesis strategies
used) with an exact Clopper-Pearson interval; L8's entropy link uses 20 seeds of the lecture's
model at q = 0.75. Where a bound was registered and later restated after a hypothesis
counterexample, both are decided: the registered bound on its own draws (``-registered``
claims), the restated one on fresh draws (revision 2) with the reason in its record. Under
``HYPOTHESIS_PROFILE=explore`` each claim also searches for counterexamples (a search, not a
verdict). Every measured value is in the record.

Thresholds (from a sweep of 60 random architectures per family before these tests were written,
seed 0 of Python's random module; the bound sits above the largest value seen, with margin):
    Transformer, no PE: flatness < 0.25 (seen: at most 0.13; what remains is sampling noise of the
        32 inputs); permuting the other positions changes y_t by < 1e-5 relative (float
        rounding). Attention entropy: first stated as > 0.9 ln(n) (sweep: at least 0.97 ln(n));
        the explore profile found 0.87 ln(n) at d 8, 1 head, I 1, T 4. For small Gaussian-like
        logits the entropy deficit ln(n) - H is about Var(logits) / 2, an absolute amount, so
        a relative bound is strictest at the shortest sequences. Now: deficit < 0.25 nats
        (sweep of 400: at most 0.079; explore's worst: 0.18), under a fifth of ln(4).
    Transformer with sinusoidal PE: flatness < 0.75 (sweep: at most 0.35; explore: 0.51 at d 8,
        1 head, T 5, where the PE is large against the in_fc output). "Nearly flat" is a
        separation: halfway between the no-PE bound (0.25) and every local profile measured (CNN
        at least 1.2, RNN at least 1.06). The PE enters the logits only through the small
        init-time query/key products, so it tilts, but does not localise, the profile.
    CNN: the support equals the receptive field exactly (a structural zero, not a tolerance).
    RNN: no future influence (exact zero); R^2 of the log-linear fit > 0.7 (seen: at least 0.85
        for one layer). Decay rate, g in [0.3, 1.4]: first stated against log(g / sqrt(3)), the
        *expected* spectral radius (sweep: -0.16 .. +0.10, bound +0.15); the explore profile found
        +0.18 (g 0.5, width 32), because one finite W_hh's radius fluctuates around g / sqrt(3).
        Stated against the network's own radius rho(W_hh) = g x rho(default), the linearisation
        is an upper bound, as theory says (81 cases: -0.23 .. +0.015), up to the transient of a
        non-normal W_hh over a fit of 11 lags (explore: up to +0.058): decay in
        [log rho - 0.35, log rho + 0.15]; the record also carries decay - log(g / sqrt 3).
        The fit needs enough lags. A finite random W_hh has complex eigenvalue pairs, so the
        influence steps rather than glides down (width 16: 0.0375, 0.036 at lags 2, 3; 0.0016,
        0.0017 at lags 6, 7); over 5 lags those steps dominate R^2. Hypothesis found R^2 = 0.58 at
        T = 6, width 16 when sequences of 6-16 were allowed (12 seeds there: median 0.79, min
        0.24; at T = 12: median 0.96, min 0.89). A measurement that short cannot tell geometric
        from not, so the RNN claims use T in 12..20 (11-19 lags); the claim is about the decay,
        and the shortest sequences were not informative about it.
        Stacked RNNs are a separate claim. Under a randomized profile hypothesis found a 2-layer
        GRU (width 32, T 12) whose influence is humped: 0.0021 at lag 0, 0.00099 at lag 1, rising
        to 0.00185 at lag 4, then geometric (R^2 0.70). A stack of recurrences passes the input
        through several smoothing stages, so its kernel can peak after a delay: still a causal
        moving average over the whole past, but not an exponential one. The geometric claim (and
        the family rule's R^2 >= 0.7) is therefore stated for one recurrent layer, where the
        linearisation above applies; stacks are claimed causal, full-reach and decaying only.
    The rule that names a family (measure.influence.Profile.family): finite support -> n-gram;
        causal, full reach, geometric decay (R^2 >= 0.7) -> moving-average; full reach both ways
        and flat -> bag-of-words; each family must be named as itself.
Registered and restated bounds, as decided here (q = 0.9 of D each):
    transformer      flatness < 0.25 and classified bag-of-words (registered, never restated)
    entropy          registered: entropy > 0.9 ln(n); restated: deficit ln(n) - H < 0.25 nats
    transformer+PE   registered: flatness < 0.5; restated: < 0.75
    rnn (1 layer)    registered, on T in 6..16 with stacks included: R^2 > 0.7; restated: one
                     layer, T in 12..20, R^2 > 0.7, decays, classified moving-average
    rnn (stacked)    registered: R^2 > 0.7 (geometric, as one layer); restated: slope < 0
    tanh rate        registered: decay - log(g / sqrt 3) in (-0.3, 0.15); restated: decay -
                     log rho(W_hh) in (-0.35, 0.15) (the lower bound loosened without a recorded
                     counterexample)
The old "negations" (an RNN's influence is flat, and so on) were implied by the parts they
negated and are gone.

L8 mechanism link: kaiming_uniform at the lecture's scale doubles the std of every matrix
(sqrt(2) gain against the default's 1/sqrt(3) on U(+-1/sqrt(fan_in))), sharpening first-layer
attention: DIGEST.md reports ~0.9 nats against ~2.76 (uniform over 16 is 2.77). Threshold: the
kaiming entropy is below half the default's (registered as "on every one of 5 seeds"; now "on at
least 3/4 of seeds", 20 seeds, restated in issue 9 with fresh seeds). The entropy is measured with
dropout off (trainability.measure.attention.attention_entropy): until the run-core change it ran the
attention in train mode, so its dropout drew from PyTorch's unseeded global RNG and the numbers
changed from run to run (docs/history.md); the verdict did not.

Measured: docs/reports/proxy/README.md#l11-transformer and the section of every claim below
(these claims do not scale with the rung: the same small models at every scale).
"""


import math

import pytest
import torch

from trainability.measure.attention import attention_entropy
from trainability.measure.influence import influence, profile
from trainability.training.inits import apply_init
from trainability.systems.rnn import RNNConfig
from trainability.systems.transformer import TransformerConfig
from trainability.systems import build_model
from trainability.decisions.population import Bound

INPUTS = 32  # random input sequences per influence profile
N = 100  # architectures drawn per population claim
RESTATED = "bound restated after a hypothesis counterexample (see the docstring); decided on fresh draws"
_FLAT = ("without a positional encoding self-attention is permutation-equivariant, and small init-time logits weigh "
         "every other token alike")
_GEOMETRIC = "one recurrent layer passes the past through one Jacobian a step, so influence falls geometrically"
_ENTROPY = "small Gaussian-like logits at init leave the attention rows close to uniform"
_PE = "the positional encoding enters the logits only through small init-time products: it tilts the profile"
_STACK = "a stack of recurrences smooths in stages: its kernel can peak after a delay, but it decays"
_RATE = "the linearisation at the spectral radius bounds the decay, tanh saturation steepens it"
EXPECTED: dict[str, dict] = {
    "L11-transformer": {"*": ("holds", _FLAT)},
    "L11-entropy-registered": {"*": ("holds", _ENTROPY)},
    "L11-entropy": {"*": ("holds", _ENTROPY + "; the deficit is an absolute amount, about Var(logits) / 2")},
    "L11-transformer-pe-registered": {"*": ("holds", _PE)},
    "L11-transformer-pe": {"*": ("holds", _PE)},
    "L11-rnn-registered": {"*": ("holds", _GEOMETRIC)},
    "L11-rnn": {"*": ("holds", _GEOMETRIC)},
    "L11-rnn-stacked-registered": {"*": ("holds", _STACK + "; on most draws still close to geometric")},
    "L11-rnn-stacked": {"*": ("holds", _STACK)},
    "L11-rnn-rate-registered": {"*": ("holds", _RATE)},
    "L11-rnn-rate": {"*": ("holds", _RATE)},
    "L8-entropy": {"*": ("holds", "kaiming's sqrt(2) gain doubles the logits' scale and sharpens first-layer attention")},
}


def _profile(name, cfg, length, seed):
    model = build_model(name, cfg, seed=seed)
    model.train()  # dropout is 0 in every config here; train mode avoids the inference fast path
    return model, profile(influence(model, length, 2 * cfg.in_dim, INPUTS, seed))


def draw_transformer(rng):
    """D: (d, heads) from 5 shapes, 1-3 layers, I 1-3, T 4-16, a model seed."""
    d, h = [(8, 1), (8, 2), (16, 2), (16, 4), (32, 4)][rng.integers(5)]
    return d, h, int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(4, 17)), int(rng.integers(2**32))


def measure_transformer(ex, pe="none"):
    d, h, layers, in_dim, length, seed = ex
    cfg = TransformerConfig(in_dim=in_dim, d_model=d, n_heads=h, n_layers=layers, ffn=2 * d, dropout=0.0,
                            pos_encoding=pe)
    model, p = _profile("lecture_transformer", cfg, length, seed)
    x = torch.randn(length, 4, 2 * in_dim, generator=torch.Generator().manual_seed(seed))
    entropy = attention_entropy(model, x)
    return {"flatness": p.flatness, "bag-of-words": float(p.family() == "bag-of-words"),
            "entropy deficit": math.log(length) - entropy, "entropy / ln n": entropy / math.log(length)}


def draw_rnn(layers=(1, 1), lengths=(12, 20)):
    def draw(rng):
        """D: cell tanh/LSTM/GRU, width 16/32/64, the given layers and T range, I 1-3, a model seed."""
        return (["tanh", "lstm", "gru"][rng.integers(3)], [16, 32, 64][rng.integers(3)],
                int(rng.integers(layers[0], layers[1] + 1)), int(rng.integers(1, 4)),
                int(rng.integers(lengths[0], lengths[1] + 1)), int(rng.integers(2**32)))
    return draw


def measure_rnn(ex):
    cell, width, layers, in_dim, length, seed = ex
    _, p = _profile("rnn", RNNConfig(in_dim=in_dim, width=width, layers=layers, cell=cell), length, seed)
    return {"r2": p.r2, "decay": p.decay, "moving-average": float(p.family() == "moving-average")}


def draw_rate(rng):
    """D: recurrent scale g ~ U(0.3, 1.4), width 32/64, a model seed (tanh cell, I 2, T 12)."""
    return float(rng.uniform(0.3, 1.4)), [32, 64][rng.integers(2)], int(rng.integers(2**32))


def measure_rate(ex):
    g, width, seed = ex
    model, p = _profile("rnn", RNNConfig(in_dim=2, width=width, cell="tanh", recurrent_scale=g), 12, seed)
    rho = torch.linalg.eigvals(model.rnn.weight_hh_l0.detach()).abs().max().item()  # = g x the default's
    return {"decay - log rho": p.decay - math.log(rho), "decay - log(g/sqrt 3)": p.decay - math.log(g / 3**0.5)}


def _population(claims, title, draw, measure, bounds, **kwargs):
    claims.population(title=title, source="lecture: why Transformers are hard to train (a)", draw=draw,
                      measure=measure, bounds=bounds, n=N, **kwargs)
    claims.search(draw=draw, measure=measure, bounds=bounds)


@pytest.mark.claim("L11-transformer")
def test_L11_transformer_without_pe_is_a_flat_bag_of_words(claims):
    _population(claims, "a Transformer without PE is a flat bag-of-words at init", draw_transformer,
                measure_transformer, [Bound("off-diagonal influence is flat", "flatness", 0.25, "below"),
                                      Bound("classified bag-of-words", "bag-of-words", 0.5, "above")])


@pytest.mark.claim("L11-entropy-registered")
def test_L11_entropy_as_registered(claims):
    _population(claims, "first-layer attention entropy above 0.9 ln(n) at init (as registered)", draw_transformer,
                measure_transformer, [Bound("entropy above 0.9 ln(n)", "entropy / ln n", 0.9, "above")])


@pytest.mark.claim("L11-entropy")
def test_L11_entropy_restated(claims):
    _population(claims, "first-layer attention entropy within 0.25 nats of ln(n) at init", draw_transformer,
                measure_transformer, [Bound("entropy deficit under 0.25 nats", "entropy deficit", 0.25, "below")],
                revision="2", restated=RESTATED)


@pytest.mark.claim("L11-transformer-pe-registered")
def test_L11_pe_flatness_as_registered(claims):
    _population(claims, "with a sinusoidal PE the profile stays flat: flatness < 0.5 (as registered)",
                draw_transformer, lambda ex: measure_transformer(ex, "sinusoidal"),
                [Bound("flatness below 0.5", "flatness", 0.5, "below")])


@pytest.mark.claim("L11-transformer-pe")
def test_L11_pe_flatness_restated(claims):
    _population(claims, "with a sinusoidal PE the profile stays nearly flat: flatness < 0.75",
                draw_transformer, lambda ex: measure_transformer(ex, "sinusoidal"),
                [Bound("flatness below 0.75 (well below a local profile's >= 1)", "flatness", 0.75, "below")],
                revision="2", restated=RESTATED)


@pytest.mark.claim("L11-rnn-registered")
def test_L11_rnn_geometric_as_registered(claims):
    _population(claims, "an RNN's influence decays geometrically (R^2 > 0.7; T 6-16, stacks included: as registered)",
                draw_rnn(layers=(1, 3), lengths=(6, 16)), measure_rnn,
                [Bound("log influence linear in the lag", "r2", 0.7, "above")])


@pytest.mark.claim("L11-rnn")
def test_L11_rnn_is_a_moving_average(claims):
    _population(claims, "a one-layer RNN's influence decays geometrically: a moving average", draw_rnn(), measure_rnn,
                [Bound("log influence linear in the lag", "r2", 0.7, "above"),
                 Bound("decays", "decay", 0.0, "below"),
                 Bound("classified moving-average", "moving-average", 0.5, "above")],
                revision="2", restated=RESTATED)


@pytest.mark.claim("L11-rnn-stacked-registered")
def test_L11_stacked_rnn_geometric_as_registered(claims):
    _population(claims, "a stacked RNN's influence decays geometrically (R^2 > 0.7, as registered)",
                draw_rnn(layers=(2, 3)), measure_rnn, [Bound("log influence linear in the lag", "r2", 0.7, "above")])


@pytest.mark.claim("L11-rnn-stacked")
def test_L11_stacked_rnn_decays(claims):
    _population(claims, "a stacked RNN's influence decays overall (log-linear slope < 0)", draw_rnn(layers=(2, 3)),
                measure_rnn, [Bound("decays overall", "decay", 0.0, "below")], revision="2", restated=RESTATED)


@pytest.mark.claim("L11-rnn-rate-registered")
def test_L11_tanh_rate_as_registered(claims):
    _population(claims, "a tanh RNN decays at log(g / sqrt 3) (as registered)", draw_rate, measure_rate,
                [Bound("decay - log(g/sqrt 3) below 0.15", "decay - log(g/sqrt 3)", 0.15, "below"),
                 Bound("decay - log(g/sqrt 3) above -0.3", "decay - log(g/sqrt 3)", -0.3, "above")])


@pytest.mark.claim("L11-rnn-rate")
def test_L11_tanh_rate_follows_its_radius(claims):
    _population(claims, "a tanh RNN decays at most at log rho(W_hh), which scales as log g", draw_rate, measure_rate,
                [Bound("decay at most log rho(W_hh) + 0.15", "decay - log rho", 0.15, "below"),
                 Bound("decay at least log rho(W_hh) - 0.35", "decay - log rho", -0.35, "above")],
                revision="2", restated=RESTATED)


def draw_seed(rng):
    return int(rng.integers(2**62))


def measure_entropy(seed):
    """The lecture's exact model at init: first-layer attention entropy, default and kaiming."""
    x = torch.randn(16, 10, 100, generator=torch.Generator().manual_seed(seed))
    model = build_model("lecture_transformer", seed=seed)
    default = attention_entropy(model, x)
    apply_init(model, "kaiming_uniform", generator=torch.Generator().manual_seed(seed))
    kaiming = attention_entropy(model, x)
    return {"kaiming / default": kaiming / default, "default": default, "kaiming": kaiming}


@pytest.mark.claim("L8-entropy")
def test_L8_kaiming_lowers_first_layer_attention_entropy(claims):
    claims.population(
        title="kaiming init sharpens first-layer attention far below the default's",
        source="lecture table 2 (kaiming 3.50) and DIGEST.md section 3", draw=draw_seed, measure=measure_entropy,
        bounds=[Bound("kaiming / default entropy below 0.5", "kaiming / default", 0.5, "below", q=0.75),
                Bound("default entropy near ln 16 = 2.77 (above 0.9 ln 16)", "default", 0.9 * math.log(16), "above",
                      q=0.75)],
        n=20, revision="2", restated="issue 9: a share of seeds instead of 'every one of 5'; fresh seeds")
