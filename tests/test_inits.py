import math

import pytest
import torch
from hypothesis import given, strategies as st

from trainability.training.inits import INITS, apply_init, check_init, touched
from trainability.systems.transformer import TransformerConfig
from trainability.systems import build_model

SMALL = TransformerConfig(d_model=16, n_heads=2, n_layers=2, ffn=32, in_dim=4)


def _formula(name, scale, fan_in, fan_out):
    """(kind, parameter): ("uniform", bound) or ("normal", std) from each scheme's formula."""
    return {
        "xavier_uniform": ("uniform", math.sqrt(6 / (fan_in + fan_out))),
        "xavier_normal": ("normal", math.sqrt(2 / (fan_in + fan_out))),
        "kaiming_uniform": ("uniform", math.sqrt(6 / fan_in)),
        "kaiming_normal": ("normal", math.sqrt(2 / fan_in)),
        "normal": ("normal", scale),
        "uniform": ("uniform", scale),
    }[name]


@given(name=st.sampled_from(["xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "normal",
                             "uniform"]),
       fan_out=st.integers(64, 256), fan_in=st.integers(64, 256), scale=st.sampled_from([0.001, 0.02, 0.1]),
       seed=st.integers(0, 2**31))
def test_measured_spread_matches_each_schemes_formula(name, fan_out, fan_in, scale, seed):
    layer = torch.nn.Linear(fan_in, fan_out)
    scale = scale if name in ("normal", "uniform") else None
    apply_init(layer, name, scale, generator=torch.Generator().manual_seed(seed))
    w = layer.weight.detach().double()
    kind, value = _formula(name, scale, fan_in, fan_out)
    n = w.numel()
    if kind == "uniform":
        assert w.abs().max() <= value * (1 + 1e-6)
        assert w.abs().max() >= value * (1 - 10 / n)  # the max of n uniforms is within ~1/n of the bound
        std = value / math.sqrt(3)
    else:
        std = value
    # the sample std has relative standard error ~1/sqrt(2n); allow 6 of them
    assert w.std().item() == pytest.approx(std, rel=6 / math.sqrt(2 * n))


def test_matrices_rule_touches_only_dim_gt_1_and_all_rule_touches_layernorm():
    m = build_model("lecture_transformer", SMALL, seed=0)
    mats = touched(m, "normal", "matrices")
    assert mats and all(dict(m.named_parameters())[n].dim() > 1 for n in mats)
    assert "trans.layers.0.norm1.weight" not in mats
    assert set(touched(m, "normal", "all")) == {n for n, _ in m.named_parameters()}
    assert touched(m, "default") == []


def test_all_rule_with_tiny_normal_all_but_zeros_layernorm_gains():
    m = build_model("lecture_transformer", SMALL, seed=0)
    apply_init(m, "normal", 0.002, "all", generator=torch.Generator().manual_seed(0))
    assert m.trans.layers[0].norm1.weight.abs().max() < 0.02
    m = build_model("lecture_transformer", SMALL, seed=0)
    apply_init(m, "normal", 0.002, "matrices", generator=torch.Generator().manual_seed(0))
    assert torch.equal(m.trans.layers[0].norm1.weight, torch.ones(16))
    assert m.trans.layers[0].linear1.bias.abs().max() > 0.05  # default bias U(+-1/sqrt(16)) kept


@pytest.mark.parametrize("name, scale", [("default_redrawn", None), ("xavier_uniform", None), ("uniform", 0.01)])
def test_any_reinit_breaks_the_identical_layers(name, scale):
    m = build_model("lecture_transformer", SMALL, seed=0)
    apply_init(m, name, scale, generator=torch.Generator().manual_seed(0))
    a, b = m.trans.layers[0], m.trans.layers[1]
    assert not torch.equal(a.linear1.weight, b.linear1.weight)


def test_default_redrawn_keeps_pytorchs_default_distributions():
    m = build_model("lecture_transformer", TransformerConfig(d_model=64, n_heads=4, n_layers=2, ffn=256, in_dim=4), seed=0)
    apply_init(m, "default_redrawn", generator=torch.Generator().manual_seed(1))
    layer = m.trans.layers[1]
    assert torch.equal(layer.self_attn.in_proj_bias, torch.zeros(192))
    assert torch.equal(layer.self_attn.out_proj.bias, torch.zeros(64))
    assert torch.equal(layer.norm2.weight, torch.ones(64))
    assert layer.linear2.weight.abs().max() <= 1 / math.sqrt(256)
    assert layer.self_attn.in_proj_weight.abs().max() <= math.sqrt(6 / (64 + 192))


@pytest.mark.parametrize("args, match", [
    (("glorot",), "valid inits: " + ", ".join(INITS)),
    (("xavier_uniform", None, "all"), "undefined on 1-D tensors; use rule 'matrices'"),
    (("normal",), "needs a positive scale"),
    (("normal", -0.1), "needs a positive scale"),
    (("kaiming_normal", 0.1), "takes no scale"),
    (("default", 0.1), "takes no scale"),
    (("normal", 0.1, "some"), "valid rules: matrices, all"),
])
def test_bad_inits_name_the_valid_choices(args, match):
    with pytest.raises(ValueError, match=match):
        check_init(*args)
