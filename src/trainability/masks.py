"""Dropout masks from a per-run stream that a batch of runs can replay at ~1.5 ns per element.

Why not PyTorch's own masks on the CPU: F.dropout draws every mask element from the global
MT19937 generator one at a time (bernoulli_ through a double uniform: two 32-bit outputs), ~5 ns
per element. At the CPU tier's scale that was 1.8 ms of a 5 ms batched member-step, and a member
of a batch must draw exactly its plain run's masks, so it paid the same serial cost.

Both paths now draw from a MaskStream instead: numpy's PCG64 seeded with the run's
derive_seed(seed, "dropout"); each 64-bit output gives two 32-bit uniforms u, and an element is
kept when u < floor(q 2^32), q = 1 - p: P(keep) = q to within 2^-32 (PyTorch's CPU kernel is
exact to 2^-53; both are far below anything a seed-level statistic can see). Kept elements are
scaled by 1/q, as F.dropout does. A run consumes its stream in call order: per layer the
attention weights (B, H, S, S), the attention output (S, B, D), the FFN hidden (S, B, F) and the
FFN output (S, B, D); then the test batches' masks in train-mode evaluation.

The plain run (runner.run) keeps the lecture's nn.TransformerEncoder, its parameters, init and
arithmetic; ``install`` only replaces where its masks come from: the three nn.Dropout modules of
each layer become StreamDropout, and self-attention becomes StreamAttention, which computes
nn.MultiheadAttention's math (SDPA's math path) with its dropout drawn from the stream. The
batched members (batched.py) draw from one stream each, so member k's masks are bitwise those
of the plain run with its seed.

On CUDA neither path uses this: plain runs keep PyTorch's fused dropout, and batched members
draw from their own CUDA generators (statistically equivalent masks, not the same ones).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn


class MaskStream:
    """One run's dropout randomness: a PCG64 stream, consumed in call order."""

    def __init__(self, seed: int):
        if not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        self._bits = np.random.PCG64(seed)

    def keep(self, q: float, out: np.ndarray) -> None:
        """Fill the bool array ``out`` (n,) with independent Bernoulli(q) draws."""
        n = out.shape[0]
        u = self._bits.random_raw((n + 1) // 2).view(np.uint32)[:n]  # two uniforms per output
        np.less(u, np.uint32(min(math.floor(q * 2**32), 2**32 - 1)), out=out)


def noise(streams: list[MaskStream], shape: tuple[int, ...], q: float, dtype=torch.float32) -> torch.Tensor:
    """(len(streams), *shape) CPU tensor of 0 and 1/q; row k drawn from streams[k]."""
    n = math.prod(shape)
    kept = np.empty((len(streams), n), dtype=bool)
    for row, stream in zip(kept, streams):
        stream.keep(q, row)
    scaled = np.multiply(kept, np.float32(1.0) / np.float32(q), dtype=np.float32)  # one pass: 0 or 1/q
    return torch.from_numpy(scaled).to(dtype).view(len(streams), *shape)


def dropout(x: torch.Tensor, streams: list[MaskStream], p: float) -> torch.Tensor:
    """x (K, ...) with member k's elements dropped by streams[k]; p = 0 draws nothing."""
    if p == 0.0:
        return x
    return x * noise(streams, tuple(x.shape[1:]), 1.0 - p, x.dtype)


class StreamDropout(nn.Module):
    """nn.Dropout whose masks come from a MaskStream (train mode only, as nn.Dropout)."""

    def __init__(self, p: float, stream: MaskStream):
        super().__init__()
        self.p, self.stream = p, stream

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout(x[None], [self.stream], self.p)[0] if self.training else x


class StreamAttention(nn.Module):
    """nn.MultiheadAttention's self-attention (batch_first=False, no masks, need_weights=False)
    over the same Parameter objects, with the attention-weight dropout from a MaskStream."""

    def __init__(self, attn: nn.MultiheadAttention, stream: MaskStream):
        super().__init__()
        if attn.batch_first or not attn._qkv_same_embed_dim or attn.in_proj_bias is None:
            raise ValueError("StreamAttention mirrors the lecture's attention: batch_first=False, packed qkv, biases")
        self.in_proj_weight, self.in_proj_bias, self.out_proj = attn.in_proj_weight, attn.in_proj_bias, attn.out_proj
        self.embed_dim, self.num_heads, self.dropout = attn.embed_dim, attn.num_heads, attn.dropout
        self.batch_first, self._qkv_same_embed_dim, self.stream = False, True, stream

    def forward(self, query, key, value, attn_mask=None, key_padding_mask=None, need_weights=False, is_causal=False):
        if attn_mask is not None or key_padding_mask is not None or need_weights or is_causal:
            raise ValueError("StreamAttention supports unmasked self-attention without weights only")
        S, B, D = query.shape  # (S, B, D)
        H = self.num_heads
        qkv = nn.functional.linear(query, self.in_proj_weight, self.in_proj_bias)  # (S, B, 3D)
        q, k, v = (t.reshape(S, B, H, D // H).permute(1, 2, 0, 3).contiguous()
                   for t in qkv.chunk(3, -1))  # (B, H, S, hd)
        weights = torch.softmax((q * (1 / math.sqrt(D // H))) @ k.transpose(-2, -1), -1)  # (B, H, S, S)
        if self.training:
            weights = dropout(weights[None], [self.stream], self.dropout)[0]
        out = (weights @ v).permute(2, 0, 1, 3).contiguous().reshape(S, B, D)  # (S, B, D)
        return self.out_proj(out), None


def install(model: nn.Module, stream: MaskStream) -> nn.Module:
    """Route every dropout of the lecture's encoder (models.LectureTransformer) through ``stream``."""
    layers = getattr(getattr(model, "trans", None), "layers", None)
    if layers is None:
        raise ValueError(f"install expects a LectureTransformer, got {type(model).__name__}")
    for layer in layers:
        layer.self_attn = StreamAttention(layer.self_attn, stream)
        for name in ("dropout", "dropout1", "dropout2"):
            setattr(layer, name, StreamDropout(getattr(layer, name).p, stream))
    return model
