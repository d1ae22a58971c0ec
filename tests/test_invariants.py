"""Invariants of the implementation behind L11: facts that follow from the architectures' maths
and can only fail through a bug. They were parts of the L11 property claims; they are tested here,
over the same ranges (hypothesis), and the empirical statements stay claims (claims/
test_inductive_bias.py)."""

import torch
from hypothesis import given, strategies as st

from trainability.measure.influence import by_lag, influence, profile
from trainability.systems.cnn import CNNConfig
from trainability.systems.rnn import RNNConfig
from trainability.systems.transformer import TransformerConfig
from trainability.systems import build_model

INPUTS = 8


def _profile(name, cfg, length, seed):
    model = build_model(name, cfg, seed=seed)
    model.train()
    inf = influence(model, length, 2 * cfg.in_dim, INPUTS, seed)
    return model, inf, profile(inf)


transformers = st.tuples(st.sampled_from([(8, 1), (8, 2), (16, 2), (16, 4), (32, 4)]), st.integers(1, 3),
                         st.integers(1, 3), st.integers(4, 16), st.integers(0, 2**32), st.sampled_from(["none", "sinusoidal"]))


@given(transformers)
def test_a_transformer_reaches_every_position_both_ways_and_without_pe_ignores_order(ex):
    (d, h), layers, in_dim, length, seed, pe = ex
    cfg = TransformerConfig(in_dim=in_dim, d_model=d, n_heads=h, n_layers=layers, ffn=2 * d, dropout=0.0,
                            pos_encoding=pe)
    model, _, p = _profile("lecture_transformer", cfg, length, seed)
    assert p.past == p.future == length - 1  # softmax weights are never zero
    if pe == "none":  # permutation equivariance: shuffling the other positions leaves y_0 alone
        x = torch.randn(length, 4, 2 * in_dim, generator=torch.Generator().manual_seed(seed))
        perm = torch.cat([torch.tensor([0]), 1 + torch.randperm(length - 1, generator=torch.Generator().manual_seed(seed))])
        with torch.no_grad():
            y, y_perm = model(x)[0], model(x[perm])[0]
        assert float((y - y_perm).abs().max() / y.abs().max().clamp_min(1e-12)) < 1e-5


cnns = st.tuples(st.integers(1, 4), st.sampled_from([2, 3, 5]), st.booleans(), st.sampled_from([8, 16]),
                 st.integers(1, 3), st.integers(0, 2**32)).filter(lambda ex: ex[2] or ex[1] % 2 == 1)


@given(cnns)
def test_a_cnns_influence_is_exactly_its_receptive_field(ex):
    depth, kernel, causal, width, in_dim, seed = ex
    cfg = CNNConfig(in_dim=in_dim, width=width, depth=depth, kernel=kernel, causal=causal)
    past, future = cfg.reach
    _, inf, p = _profile("cnn", cfg, past + future + 4, seed)
    assert (p.past, p.future) == (past, future)
    assert all(by_lag(inf)[lag] > 0 for lag in range(-future, past + 1))
    assert p.family() == "n-gram"


rnns = st.tuples(st.sampled_from(["tanh", "lstm", "gru"]), st.sampled_from([16, 32]), st.integers(1, 3),
                 st.integers(1, 3), st.integers(6, 20), st.integers(0, 2**32))


@given(rnns)
def test_an_rnn_is_causal_and_reaches_the_whole_past(ex):
    cell, width, layers, in_dim, length, seed = ex
    _, _, p = _profile("rnn", RNNConfig(in_dim=in_dim, width=width, layers=layers, cell=cell), length, seed)
    assert p.future == 0 and p.past == length - 1
