"""Inductive bias at initialisation (L11): Transformer ~ bag-of-words, CNN ~ n-gram, RNN ~ moving
average; and the mechanism behind L8's kaiming collapse.

Claim (lecture, "why Transformers are hard to train", (a) the initial state): at initialisation a
Transformer leans toward bag-of-words, a CNN toward n-grams, an RNN toward a moving average.

Mechanism and measurement. influence[t, s] = mean over 32 N(0, 1) input sequences of the norm of
the Jacobian block d y_t / d x_s at initialisation (trainability.influence, torch.func.jacrev),
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

Protocol. Each claim is a hypothesis property over architectures (depth, width, heads, kernel,
sequence length, cell, seed), its own hypothesis test (trainability.properties): its examples are
drawn from a seed derived from the claim's id and the base seed, 50 in the ``ci`` profile, more
under ``explore``; a counterexample is shrunk and reported. Every measured value goes into the
record. (Until the run-core change every property claim shared one hypothesis seed; the ranges
measured then, quoted below, came from those examples.)

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
    The rule that names a family (influence.Profile.family): finite support -> n-gram; causal,
        full reach, R^2 >= 0.8... see the code; each family must be named as itself, every time.
Negations (each must be refuted on every example): "a Transformer's influence is causal", "a CNN
reaches beyond its receptive field", "an RNN's influence is flat", "a contracting tanh RNN's
influence does not decay".

L8 mechanism link: kaiming_uniform at the lecture's scale doubles the std of every matrix
(sqrt(2) gain against the default's 1/sqrt(3) on U(+-1/sqrt(fan_in))), sharpening first-layer
attention: DIGEST.md reports ~0.9 nats against ~2.76 (uniform over 16 is 2.77). Threshold: the
kaiming entropy is below half the default's on every one of 5 seeds. The entropy is measured with
dropout off (trainability.influence.attention_entropy): until the run-core change it ran the
attention in train mode, so its dropout drew from PyTorch's unseeded global RNG and the numbers
(default ~2.65 nats, ratio ~0.30) changed from run to run; the verdict did not. Without dropout
(base seed 0): the default's entropy is 2.76 nats on every seed (DIGEST.md: ~2.76), the kaiming /
default ratio 0.315-0.340.

Re-measured when each property claim got its own seed (run-core change; base seed 0, ``ci``
profile, 50 examples each; ranges over the examples): no PE: permutation change at most 7.6e-7,
flatness 0.028-0.141, entropy deficit 0.003-0.053 nats; with PE: flatness 0.043-0.408 (the
largest seen so far, below the 0.75 bound); CNN: support error 0 on every example; one-layer RNN:
R^2 0.886-1.000, decay -0.685 .. -0.390; stacked: decay -0.656 .. -0.223; tanh rate: decay - log
rho in [-0.274, +0.026]. Every part held and every negation was refuted, as before.
"""

import math

import pytest
import torch
from hypothesis import strategies as st

from trainability.influence import attention_entropy, by_lag, influence, profile
from trainability.inits import apply_init
from trainability.models import CNNConfig, RNNConfig, TransformerConfig, build_model
from trainability.setting import derive_seed

INPUTS = 32  # random input sequences per influence profile


def _measure(name, cfg, length, seed):
    model = build_model(name, cfg, seed=seed)
    model.train()  # dropout is 0 in every config here; train mode avoids the inference fast path
    inf = influence(model, length, 2 * cfg.in_dim, INPUTS, seed)
    return model, inf, profile(inf)


def _families(p, family):
    return {"own family": float(p.family() == family)}


transformers = st.builds(
    lambda dh, layers, in_dim, length, seed: (dh, layers, in_dim, length, seed),
    st.sampled_from([(8, 1), (8, 2), (16, 2), (16, 4), (32, 4)]), st.integers(1, 3), st.integers(1, 3),
    st.integers(4, 16), st.integers(0, 2**32))


@pytest.mark.claim("L11-transformer")
def test_L11_transformer_without_pe_is_a_bag_of_words(claims):
    def measure(ex):
        (d, h), layers, in_dim, length, seed = ex
        cfg = TransformerConfig(in_dim=in_dim, d_model=d, n_heads=h, n_layers=layers, ffn=2 * d, dropout=0.0)
        model, _, p = _measure("lecture_transformer", cfg, length, derive_seed(claims.base_seed, "L11-T", seed))
        x = torch.randn(length, 4, 2 * in_dim, generator=torch.Generator().manual_seed(seed))
        perm = torch.cat([torch.tensor([0]), 1 + torch.randperm(length - 1, generator=torch.Generator().manual_seed(seed))])
        with torch.no_grad():  # position 0 stays, the others are shuffled: y_0 must not change
            y, y_perm = model(x)[0], model(x[perm])[0]
        change = float((y - y_perm).abs().max() / y.abs().max().clamp_min(1e-12))
        entropy = attention_entropy(model, x)
        return {"flatness": p.flatness, "permutation change": change, "future": p.future,
                "entropy deficit": math.log(length) - entropy, "entropy / ln n": entropy / math.log(length),
                **_families(p, "bag-of-words")}

    claims.property(
        title="a Transformer without PE is a flat bag-of-words at init",
        source="lecture: why Transformers are hard to train (a)", examples=transformers, measure=measure,
        parts=[("permuting the other positions leaves y_t unchanged", "permutation change", 1e-5, "below"),
               ("off-diagonal influence is flat", "flatness", 0.25, "below"),
               ("first-layer attention entropy near ln(n): deficit under 0.25 nats", "entropy deficit", 0.25, "below"),
               ("classified bag-of-words", "own family", 0.5, "above")],
        negations=[("a Transformer's influence is causal (no future reach)", "future", 0.5, "below")])


@pytest.mark.claim("L11-transformer-pe")
def test_L11_transformer_with_pe_stays_nearly_flat(claims):
    def measure(ex):
        (d, h), layers, in_dim, length, seed = ex
        cfg = TransformerConfig(in_dim=in_dim, d_model=d, n_heads=h, n_layers=layers, ffn=2 * d, dropout=0.0,
                                pos_encoding="sinusoidal")
        _, _, p = _measure("lecture_transformer", cfg, length, derive_seed(claims.base_seed, "L11-PE", seed))
        return {"flatness": p.flatness, "reach": min(p.past, p.future) / (length - 1)}

    claims.property(
        title="with a sinusoidal PE the Transformer's profile stays nearly flat",
        source="lecture: why Transformers are hard to train (a)", examples=transformers, measure=measure,
        parts=[("off-diagonal influence nearly flat (well below a local profile's >= 1)", "flatness", 0.75, "below"),
               ("reaches every position both ways", "reach", 0.99, "above")],
        negations=[("the PE makes the profile local (reach below the full length)", "reach", 0.99, "below")])


cnns = st.builds(lambda depth, kernel, causal, width, in_dim, seed: (depth, kernel, causal, width, in_dim, seed),
                 st.integers(1, 4), st.sampled_from([2, 3, 5]), st.booleans(), st.sampled_from([8, 16]),
                 st.integers(1, 3), st.integers(0, 2**32)).filter(lambda ex: ex[2] or ex[1] % 2 == 1)


@pytest.mark.claim("L11-cnn")
def test_L11_cnn_is_an_ngram(claims):
    def measure(ex):
        depth, kernel, causal, width, in_dim, seed = ex
        cfg = CNNConfig(in_dim=in_dim, width=width, depth=depth, kernel=kernel, causal=causal)
        past, future = cfg.reach
        length = past + future + 4  # room beyond the receptive field on the reaching side(s)
        _, inf, p = _measure("cnn", cfg, length, derive_seed(claims.base_seed, "L11-C", seed))
        lags = by_lag(inf)
        return {"support error": abs(p.past - past) + abs(p.future - future),
                "zero lags inside": sum(lags[lag] == 0 for lag in range(-future, past + 1)),
                "beyond": max(p.past - past, p.future - future), **_families(p, "n-gram")}

    claims.property(
        title="a CNN's influence is exactly its receptive field: an n-gram",
        source="lecture: why Transformers are hard to train (a)", examples=cnns, measure=measure,
        parts=[("support = receptive field (L(k-1) causal, L(k-1)/2 centred)", "support error", 0.5, "below"),
               ("nonzero at every lag inside the receptive field", "zero lags inside", 0.5, "below"),
               ("classified n-gram", "own family", 0.5, "above")],
        negations=[("a CNN reaches beyond its receptive field", "beyond", 0.5, "above")])


def rnns(layers):
    return st.builds(lambda cell, width, layers, in_dim, length, seed: (cell, width, layers, in_dim, length, seed),
                     st.sampled_from(["tanh", "lstm", "gru"]), st.sampled_from([16, 32, 64]), layers,
                     st.integers(1, 3), st.integers(12, 20), st.integers(0, 2**32))


@pytest.mark.claim("L11-rnn")
def test_L11_rnn_is_a_moving_average(claims):
    def measure(ex):
        cell, width, layers, in_dim, length, seed = ex
        cfg = RNNConfig(in_dim=in_dim, width=width, layers=layers, cell=cell)
        _, _, p = _measure("rnn", cfg, length, derive_seed(claims.base_seed, "L11-R", seed))
        return {"future": p.future, "r2": p.r2, "decay": p.decay, "flatness": p.flatness,
                **_families(p, "moving-average")}

    claims.property(
        title="an RNN's influence is causal and decays geometrically: a moving average",
        source="lecture: why Transformers are hard to train (a)", examples=rnns(st.just(1)), measure=measure,
        parts=[("no influence from the future", "future", 0.5, "below"),
               ("log influence linear in the lag", "r2", 0.7, "above"),
               ("decays", "decay", 0.0, "below"),
               ("classified moving-average", "own family", 0.5, "above")],
        negations=[("an RNN's influence is flat", "flatness", 0.25, "below")])


@pytest.mark.claim("L11-rnn-stacked")
def test_L11_stacked_rnn_is_causal_and_decays_in_the_tail(claims):
    def measure(ex):
        cell, width, layers, in_dim, length, seed = ex
        cfg = RNNConfig(in_dim=in_dim, width=width, layers=layers, cell=cell)
        _, _, p = _measure("rnn", cfg, length, derive_seed(claims.base_seed, "L11-R2", seed))
        return {"future": p.future, "reach": p.past / (length - 1), "decay": p.decay, "flatness": p.flatness}

    claims.property(
        title="a stacked RNN is causal, reaches the whole past and decays: a moving average",
        source="lecture: why Transformers are hard to train (a)", examples=rnns(st.integers(2, 3)), measure=measure,
        parts=[("no influence from the future", "future", 0.5, "below"),
               ("reaches the whole past", "reach", 0.99, "above"),
               ("decays overall (log-linear slope)", "decay", 0.0, "below")],
        negations=[("a stacked RNN's influence is flat", "flatness", 0.25, "below")])


@pytest.mark.claim("L11-rnn-rate")
def test_L11_tanh_rnn_decay_follows_the_recurrent_scale(claims):
    def measure(ex):
        g, width, seed = ex
        cfg = RNNConfig(in_dim=2, width=width, cell="tanh", recurrent_scale=g)
        model, _, p = _measure("rnn", cfg, 12, derive_seed(claims.base_seed, "L11-g", seed))
        rho = torch.linalg.eigvals(model.rnn.weight_hh_l0.detach()).abs().max().item()  # = g x the default's
        return {"decay - log rho": p.decay - math.log(rho), "decay - log(g/sqrt 3)": p.decay - math.log(g / 3**0.5),
                "decay": p.decay}

    claims.property(
        title="a tanh RNN decays at most at log rho(W_hh), which scales as log g",
        source="lecture: why Transformers are hard to train (a)",
        examples=st.tuples(st.floats(0.3, 1.4), st.sampled_from([32, 64]), st.integers(0, 2**32)), measure=measure,
        parts=[("decay at most log rho(W_hh) + 0.15 (linearisation, plus a finite-lag transient)", "decay - log rho",
                0.15, "below"),
               ("decay at least log rho(W_hh) - 0.35 (saturation steepens it only a little)", "decay - log rho",
                -0.35, "above")],
        negations=[("a contracting tanh RNN's influence does not decay", "decay", 0.0, "above")])


@pytest.mark.claim("L8-entropy")
def test_L8_kaiming_lowers_first_layer_attention_entropy(claims):
    # The lecture's exact model, 5 seeds: construction only, no training (fast at any tier).
    ratios, defaults, kaimings = [], [], []
    for i in range(5):
        seed = derive_seed(claims.base_seed, "L8-entropy", i)
        x = torch.randn(16, 10, 100, generator=torch.Generator().manual_seed(seed))
        model = build_model("lecture_transformer", seed=seed)
        default = attention_entropy(model, x)
        apply_init(model, "kaiming_uniform", generator=torch.Generator().manual_seed(seed))
        kaiming = attention_entropy(model, x)
        ratios.append(kaiming / default)
        defaults.append(default)
        kaimings.append(kaiming)
    outcome = claims.record_property(
        title="kaiming init sharpens first-layer attention far below the default's",
        source="lecture table 2 (kaiming 3.50) and DIGEST.md section 3", seconds=0.0,
        parts=[("kaiming / default entropy below 0.5", ratios, 0.5, "below"),
               ("default entropy near ln 16 = 2.77 (above 0.9 ln 16)", defaults, 0.9 * math.log(16), "above")],
        negations=[("kaiming keeps attention as uniform as the default (ratio above 0.9)", ratios, 0.9, "above")])
    print(f"entropy nats: default {defaults}, kaiming {kaimings}")
    claims.check(outcome)
