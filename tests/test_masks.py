"""Dropout from a MaskStream: the right distribution, reproducible, independent per member, the
numba and numpy kernels bitwise alike, backward the recomputed mask, and the plain model with its
masks re-routed still computes the lecture's encoder."""

import copy
import dataclasses
import math

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from helpers import TINY_MODEL
from trainability.training import masks
from trainability.training.masks import MaskStream, StreamAttention, StreamDropout, dropout, install, relu_dropout_
from trainability.systems import build_model


def _draw(seeds, shape, p):
    return dropout(torch.ones(len(seeds), *shape), MaskStream(seeds, p))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_keep_rate_and_scale(p):
    q, n = 1 - p, 400_000
    values = _draw([1], (n,), p)[0].numpy()
    assert set(np.unique(values)) <= {0.0, np.float32(1) / np.float32(q)}
    rate, sd = (values > 0).mean(), math.sqrt(q * p / n)
    assert abs(rate - q) < 5 * sd, f"kept {rate:.5f}, expected {q} +- {5 * sd:.5f}"
    assert values.mean() == pytest.approx(1.0, abs=6 * sd / q)  # inverted dropout keeps the mean


def test_neighbouring_elements_and_members_are_independent():
    q, n = 0.9, 400_000
    kept = _draw([3, 4], (n,), 1 - q).numpy() > 0
    sd = math.sqrt(q**2 * (1 - q**2) / (n // 2))
    for both in ((kept[0, 0::2] & kept[0, 1::2]).mean(), (kept[0, : n // 2] & kept[1, : n // 2]).mean()):
        assert abs(both - q**2) < 5 * sd, f"joint keep {both:.5f}, expected {q**2:.5f} +- {5 * sd:.5f}"


@given(seeds=st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=4, unique=True),
       shape=st.lists(st.integers(1, 7), min_size=1, max_size=3))
def test_a_members_masks_depend_on_its_seed_only(seeds, shape):
    together = _draw(seeds, tuple(shape), 0.3)
    for row, seed in zip(together, seeds):
        assert torch.equal(row, _draw([seed], tuple(shape), 0.3)[0])


def test_the_stream_moves_on_and_seeds_differ():
    stream, x = MaskStream([5], 0.5), torch.ones(1, 1000)
    first, second = dropout(x, stream), dropout(x, stream)
    assert not torch.equal(first, second) and stream.offset == 2000
    assert not torch.equal(first, _draw([6], (1000,), 0.5))


def test_p_zero_draws_nothing_and_bad_input_is_refused():
    x, stream = torch.randn(2, 5), MaskStream([0, 1], 0.0)
    assert dropout(x, stream) is x and stream.offset == 0
    for bad in (-1, 1.5, "0", 2**64):
        with pytest.raises(ValueError, match="seed must be an int"):
            MaskStream([bad], 0.1)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        MaskStream([0], 1.0)


@pytest.mark.skipif("numba" not in masks.KERNELS, reason="numba not installed: only the numpy kernels exist")
@given(k=st.integers(1, 3), n=st.integers(1, 300), offset=st.integers(0, 2**40), p=st.sampled_from([0.1, 0.5]),
       seed=st.integers(0, 2**64 - 1))
def test_numba_and_numpy_kernels_agree_bitwise(k, n, offset, p, seed):
    rng = np.random.default_rng(seed % 2**32)
    keys = np.array([(seed + i * 7919) % 2**64 for i in range(k)], dtype=np.uint64)
    x, f = rng.standard_normal((k, n), dtype=np.float32), rng.standard_normal((k, n), dtype=np.float32)
    args = (keys, offset, masks.threshold(1 - p), masks.scale(1 - p))
    outs = {}
    for name, (drop, relu_drop, gate) in masks.KERNELS.items():
        out, a, g = np.empty_like(x), x.copy(), x.copy()
        drop(x, out, *args)
        relu_drop(a, *args)
        gate(g, f, masks.scale(1 - p))
        outs[name] = (out, a, g)
    # the device kernels (torch ops in int64, every device but the CPU's default), on CPU tensors
    tx, tf = torch.from_numpy(x), torch.from_numpy(f)
    out, a, g = torch.empty_like(tx), tx.clone(), tx.clone()
    tkeys = torch.from_numpy(keys.view(np.int64).copy())
    masks._dropout_torch(tx, out, tkeys, *args[1:])
    masks._relu_dropout_torch(a, tkeys, *args[1:])
    masks._gate_torch(g, tf, masks.scale(1 - p))
    outs["torch"] = (out.numpy(), a.numpy(), g.numpy())
    for other in ("numpy", "torch"):
        for numba_out, other_out in zip(outs["numba"], outs[other]):
            assert np.array_equal(numba_out, other_out), other


def test_the_device_kernel_draws_in_blocks_the_bits_it_draws_at_once(monkeypatch):
    keys = torch.tensor([3, -5, 2**62], dtype=torch.int64)
    whole = masks._uniform32_torch(keys, 11, 1000)
    monkeypatch.setattr(masks, "_BLOCK", 64)  # 21 columns a block for 3 members
    x = torch.randn(3, 1000)
    out = torch.empty_like(x)
    masks._dropout_torch(x, out, keys, 11, masks.threshold(0.5), 2.0)
    assert torch.equal(out != 0, (whole < masks.threshold(0.5)) & (x != 0))


def test_backward_applies_the_same_mask():
    x = torch.randn(2, 50, requires_grad=True)
    y = dropout(x, MaskStream([1, 2], 0.5))
    y.backward(torch.ones_like(y))
    assert torch.equal(x.grad, torch.where(y != 0, 2.0, 0.0))  # scale(0.5) = 2, kept where y != 0


def test_fused_relu_dropout_is_dropout_of_relu_forward_and_backward():
    a = torch.randn(2, 3, 40)
    a1, a2 = a.clone().requires_grad_(), a.clone().requires_grad_()
    fused = relu_dropout_(a1 * 1.0, MaskStream([8, 9], 0.2))  # * 1.0: a fresh tensor, as the FFN's matmul output
    plain = dropout(torch.relu(a2), MaskStream([8, 9], 0.2))
    assert torch.equal(fused, plain)
    g = torch.randn_like(fused)
    fused.backward(g)
    plain.backward(g)
    assert torch.equal(a1.grad, a2.grad)


@pytest.mark.parametrize("layout", ["faithful", "corrected"])
def test_installed_model_computes_the_lecture_encoder(layout):
    # With dropout 0 nothing is random: the re-routed model must equal nn.TransformerEncoder.
    cfg = dataclasses.replace(TINY_MODEL, dropout=0.0, layout=layout, n_layers=3)
    model = build_model("lecture_transformer", cfg, seed=0)
    routed = install(copy.deepcopy(model), 0)
    x = torch.randn(5, 4, 2 * cfg.in_dim, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(routed(x), model(x), rtol=1e-5, atol=1e-6)
    assert [n for n, _ in routed.named_parameters()] == [n for n, _ in model.named_parameters()]


def test_stream_attention_shares_the_parameters_and_refuses_what_it_does_not_mirror():
    attn = torch.nn.MultiheadAttention(8, 2)
    routed = StreamAttention(attn, MaskStream([0], 0.1))
    assert routed.in_proj_weight is attn.in_proj_weight and routed.out_proj is attn.out_proj
    x = torch.randn(3, 2, 8)
    with pytest.raises(ValueError, match="additive float mask, without weights"):
        routed(x, x, x, need_weights=True)
    with pytest.raises(ValueError, match="additive float mask"):
        routed(x, x, x, attn_mask=torch.ones(3, 3, dtype=torch.bool))
    routed.eval()  # no dropout: a float mask, shared or per head, gives nn.MultiheadAttention's output
    attn.eval()
    for mask in (torch.randn(3, 3), torch.randn(2 * 2, 3, 3)):
        torch.testing.assert_close(routed(x, x, x, attn_mask=mask)[0], attn(x, x, x, attn_mask=mask)[0])
    with pytest.raises(ValueError, match="batch_first=False"):
        StreamAttention(torch.nn.MultiheadAttention(8, 2, batch_first=True), MaskStream([0], 0.1))


def test_stream_dropout_is_off_in_eval_mode_and_draws_in_train_mode():
    drop, x = StreamDropout(MaskStream([0], 0.5)), torch.ones(100)
    assert torch.equal(drop.eval()(x), x)
    assert set(drop.train()(x).unique().tolist()) == {0.0, 2.0}


def test_install_refuses_other_models():
    with pytest.raises(ValueError, match="LectureTransformer"):
        install(torch.nn.Linear(2, 2), 0)
