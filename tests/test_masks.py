"""Dropout from a MaskStream: the right distribution, reproducible, independent per member, and
the plain model with its masks re-routed still computes the lecture's encoder."""

import copy
import dataclasses
import math

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from helpers import TINY_MODEL
from trainability import masks
from trainability.masks import MaskStream, StreamAttention, StreamDropout, install, noise
from trainability.models import build_model


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_keep_rate_and_scale(p):
    q, n = 1 - p, 400_000
    values = noise([MaskStream(1)], (n,), q)[0].numpy()
    assert set(np.unique(values)) <= {0.0, np.float32(1 / np.float32(q))}
    rate, sd = (values > 0).mean(), math.sqrt(q * p / n)
    assert abs(rate - q) < 5 * sd, f"kept {rate:.5f}, expected {q} +- {5 * sd:.5f}"
    assert values.mean() == pytest.approx(1.0, abs=6 * sd / q)  # inverted dropout keeps the mean


def test_neighbouring_elements_are_independent():
    # The two halves of one 64-bit output fill neighbouring elements: their joint keep rate is q^2.
    q, n = 0.9, 400_000
    kept = noise([MaskStream(3)], (n,), q)[0].numpy() > 0
    both = (kept[0::2] & kept[1::2]).mean()
    sd = math.sqrt(q**2 * (1 - q**2) / (n // 2))
    assert abs(both - q**2) < 5 * sd, f"joint keep {both:.5f}, expected {q**2:.5f} +- {5 * sd:.5f}"


@given(seeds=st.lists(st.integers(0, 2**62), min_size=1, max_size=4, unique=True),
       shape=st.lists(st.integers(1, 7), min_size=1, max_size=3))
def test_a_members_masks_depend_on_its_seed_only(seeds, shape):
    together = noise([MaskStream(s) for s in seeds], tuple(shape), 0.7)
    for row, seed in zip(together, seeds):
        assert torch.equal(row, noise([MaskStream(seed)], tuple(shape), 0.7)[0])


def test_the_stream_moves_on_and_seeds_differ():
    stream = MaskStream(5)
    first, second = noise([stream], (1000,), 0.5), noise([stream], (1000,), 0.5)
    assert not torch.equal(first, second)
    assert not torch.equal(first, noise([MaskStream(6)], (1000,), 0.5))


def test_p_zero_draws_nothing_and_bad_seeds_are_refused():
    x, stream = torch.randn(2, 5), MaskStream(0)
    assert masks.dropout(x, [stream], 0.0) is x
    assert torch.equal(noise([stream], (4,), 0.5), noise([MaskStream(0)], (4,), 0.5))  # nothing consumed
    for bad in (-1, 1.5, "0"):
        with pytest.raises(ValueError, match="non-negative int"):
            MaskStream(bad)


@pytest.mark.parametrize("layout", ["faithful", "corrected"])
def test_installed_model_computes_the_lecture_encoder(layout):
    # With dropout 0 nothing is random: the re-routed model must equal nn.TransformerEncoder.
    cfg = dataclasses.replace(TINY_MODEL, dropout=0.0, layout=layout, n_layers=3)
    model = build_model("lecture_transformer", cfg, seed=0)
    routed = install(copy.deepcopy(model), MaskStream(0))
    x = torch.randn(5, 4, 2 * cfg.in_dim, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(routed(x), model(x), rtol=1e-5, atol=1e-6)
    assert [n for n, _ in routed.named_parameters()] == [n for n, _ in model.named_parameters()]


def test_stream_attention_shares_the_parameters_and_refuses_what_it_does_not_mirror():
    attn = torch.nn.MultiheadAttention(8, 2)
    routed = StreamAttention(attn, MaskStream(0))
    assert routed.in_proj_weight is attn.in_proj_weight and routed.out_proj is attn.out_proj
    x = torch.randn(3, 2, 8)
    with pytest.raises(ValueError, match="unmasked"):
        routed(x, x, x, need_weights=True)
    with pytest.raises(ValueError, match="batch_first=False"):
        StreamAttention(torch.nn.MultiheadAttention(8, 2, batch_first=True), MaskStream(0))


def test_stream_dropout_is_off_in_eval_mode_and_draws_in_train_mode():
    drop, x = StreamDropout(0.5, MaskStream(0)), torch.ones(100)
    assert torch.equal(drop.eval()(x), x)
    out = drop.train()(x)
    assert set(out.unique().tolist()) == {0.0, 2.0}


def test_install_refuses_other_models():
    with pytest.raises(ValueError, match="LectureTransformer"):
        install(torch.nn.Linear(2, 2), MaskStream(0))
