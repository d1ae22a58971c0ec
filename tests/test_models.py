import math
import pytest
import torch
from hypothesis import given, strategies as st

from trainability.systems import SYSTEMS, build_model, n_params
from trainability.systems.transformer import TransformerConfig


def test_lecture_model_has_the_lecture_parameter_count():
    assert n_params(build_model("lecture_transformer", seed=0)) == 7_929_138


def test_layers_start_identical_as_deep_copies():
    m = build_model("lecture_transformer", TransformerConfig(d_model=16, ffn=32, in_dim=4), seed=0)
    first = m.trans.layers[0].state_dict()
    for layer in m.trans.layers[1:]:
        for k, v in layer.state_dict().items():
            assert torch.equal(v, first[k]), k


def test_seeded_construction_is_reproducible_and_leaves_global_rng_alone():
    cfg = TransformerConfig(d_model=16, ffn=32, in_dim=4)
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a, b = build_model("lecture_transformer", cfg, seed=7), build_model("lecture_transformer", cfg, seed=7)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def _influence(layout: str):
    """Which output cells change when only x[0, 0] changes: (N0, N1) bool."""
    cfg = TransformerConfig(d_model=16, n_heads=2, n_layers=2, ffn=32, in_dim=3, dropout=0.0, layout=layout)
    m = build_model("lecture_transformer", cfg, seed=0)
    x = torch.randn(5, 4, 6, generator=torch.Generator().manual_seed(0))
    x2 = x.clone()
    x2[0, 0] += 1.0
    with torch.no_grad():
        return (m(x2) - m(x)).abs().amax(-1) > 1e-6


def test_faithful_layout_mixes_samples_not_positions():
    changed = _influence("faithful")  # attention over dim 0: the 16 samples in the lecture
    assert changed[:, 0].all() and not changed[:, 1:].any()


def test_corrected_layout_mixes_positions_not_samples():
    changed = _influence("corrected")  # attention over dim 1: the positions of one sample
    assert changed[0, :].all() and not changed[1:, :].any()


@given(d_heads=st.sampled_from([(8, 1), (8, 2), (12, 3), (16, 4)]), layers=st.integers(1, 3),
       n0=st.integers(1, 5), n1=st.integers(1, 5), in_dim=st.integers(1, 6),
       layout=st.sampled_from(["faithful", "corrected"]))
def test_output_shape_matches_task_over_sizes(d_heads, layers, n0, n1, in_dim, layout):
    d, h = d_heads
    m = build_model("lecture_transformer", TransformerConfig(in_dim=in_dim, d_model=d, n_heads=h, n_layers=layers,
                                                             ffn=2 * d, layout=layout), seed=0)
    assert m(torch.zeros(n0, n1, 2 * in_dim)).shape == (n0, n1, in_dim)


@pytest.mark.parametrize("kwargs, match", [
    (dict(d_model=30, n_heads=4), r"divisible by n_heads.*valid n_heads for d_model=30: \[1, 2, 3, 5, 6, 10, 15, 30\]"),
    (dict(d_model=0), "d_model must be a positive int"),
    (dict(n_layers=-1), "n_layers must be a positive int"),
    (dict(ffn=2.5), "ffn must be a positive int"),
    (dict(layout="sideways"), "valid layouts: faithful, corrected"),
    (dict(dropout=1.0), r"dropout must be in \[0, 1\)"),
])
def test_bad_configs_name_the_valid_choices(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TransformerConfig(**kwargs)


def test_unknown_model_names_the_registry():
    with pytest.raises(ValueError, match="valid models: " + ", ".join(sorted(SYSTEMS))):
        build_model("resnet")


from trainability.systems.cnn import CNNConfig
from trainability.systems.rnn import RNNConfig  # noqa: E402


@pytest.mark.parametrize("kwargs, match", [
    (dict(kernel=4), "centred CNN needs an odd kernel"),
    (dict(depth=0), "depth must be a positive int"),
])
def test_bad_cnn_configs_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CNNConfig(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(cell="transformer"), "valid cells: tanh, lstm, gru"),
    (dict(recurrent_scale=0.0), "recurrent_scale must be positive"),
])
def test_bad_rnn_configs_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RNNConfig(**kwargs)


def test_unknown_positional_encoding_names_the_choices():
    with pytest.raises(ValueError, match="valid: none, sinusoidal"):
        TransformerConfig(pos_encoding="rotary")


@pytest.mark.parametrize("name, cfg", [("cnn", CNNConfig(in_dim=2, width=8, depth=2, kernel=3, causal=True)),
                                       ("rnn", RNNConfig(in_dim=2, width=8, cell="gru"))])
def test_sequence_models_map_t_b_2i_to_t_b_i(name, cfg):
    assert build_model(name, cfg, seed=0)(torch.zeros(7, 3, 4)).shape == (7, 3, 2)


def test_attention_entropy_is_deterministic_and_leaves_the_mode_alone():
    """It used to run the attention in train mode, dropping weights with the unseeded global RNG."""
    from trainability.measure.attention import attention_entropy

    cfg = TransformerConfig(in_dim=3, d_model=8, n_heads=2, n_layers=1, ffn=16, dropout=0.5)
    model = build_model("lecture_transformer", cfg, seed=0)
    model.train()
    x = torch.randn(6, 4, 6, generator=torch.Generator().manual_seed(1))
    values = {attention_entropy(model, x) for _ in range(5)}
    assert len(values) == 1 and model.training
    assert 0 < values.pop() <= math.log(6) + 1e-6


@pytest.mark.parametrize("attention, window", [("causal", 4), ("window", 2), ("alibi", 4)])
@pytest.mark.parametrize("norm_first", [False, True])
def test_masked_attention_never_reads_the_future_and_a_window_never_reads_past_it(attention, window, norm_first):
    cfg = TransformerConfig(in_dim=2, d_model=8, n_heads=2, n_layers=1, ffn=16, dropout=0.0, attention=attention,
                            attn_window=window, norm_first=norm_first, pos_encoding="sinusoidal")
    model = build_model("lecture_transformer", cfg, seed=0)
    x = torch.randn(8, 3, 4, generator=torch.Generator().manual_seed(0))
    y = model(x)
    later = x.clone()
    later[5:] += 1.0  # positions 0..4 cannot see it
    assert torch.allclose(model(later)[:5], y[:5], atol=1e-6) and not torch.allclose(model(later)[5:], y[5:])
    earlier = x.clone()
    earlier[2] += 1.0  # one layer of a 2-window reads positions t-1, t: position 4 cannot see position 2
    moved = (model(earlier)[4] - y[4]).abs().max().item()
    assert (moved < 1e-6) == (attention == "window")


def test_unknown_attention_names_the_choices():
    with pytest.raises(ValueError, match="valid: full, causal, window, alibi"):
        TransformerConfig(attention="sliding")
    with pytest.raises(ValueError, match="attn_window must be a positive int"):
        TransformerConfig(attn_window=0)
