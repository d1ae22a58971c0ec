"""Dropout masks from a counter-based stream, applied by fused kernels, shared by the plain run and
the members of a batch.

Why not PyTorch's own masks on the CPU: F.dropout draws every mask element from the global
MT19937 generator one at a time (bernoulli_ through a double uniform), ~5 ns per element, then
makes three more passes (scale, multiply; backward multiply). At the CPU tier's scale that was
a third of a batched member-step, and a member must draw exactly its plain run's masks, so it
paid the same serial cost.

The stream: a run's key is its ``dropout`` stream (setting.Streams: derive_seed(seed, "dropout"));
the run's dropout calls consume consecutive counters c = 0, 1, 2, ... (one per element, in call
order: per layer the attention weights (B, H, S, S), the attention output (S, B, D), the FFN
hidden (S, B, F), the FFN output (S, B, D); then the test batches' masks in train-mode
evaluation). Element c is kept when u(c) < floor(q 2^32), q = 1 - p, with u(c) the top 32 bits of
SplitMix64's output mix(key + c * 0x9E3779B97F4A7C15): P(keep) = q to within 2^-32. Kept elements
are multiplied by scale(q) = float32(1 / q), as F.dropout does. A mask is a pure function of (key,
counter), so backward recomputes it instead of storing it, and a kernel computes it on the fly.

Kernels: on the CPU numba (one pass, ~0.2 ns per element) where numba is installed, else numpy
(vectorised, the same bits, slower); on any other device torch tensor ops (int64 arithmetic
wrapping as uint64 does, logical shifts by masking: a few launches for all K members at once),
also selectable on the CPU (``KERNEL = "torch"``, the CUDA path's code under CPU tests). All three
give the same bits (tests/test_masks.py). ``relu_dropout_`` fuses the FFN's ReLU with its dropout
and backward reads the gate off the output (f > 0 iff pre-activation > 0 and kept), so the batched
FFN keeps one hidden-sized tensor instead of three.

The plain run (engines.plain.run) keeps the lecture's nn.TransformerEncoder, its parameters, init and
arithmetic; ``install`` only replaces where its masks come from: the three nn.Dropout modules of
each layer become StreamDropout, and self-attention becomes StreamAttention, which computes
nn.MultiheadAttention's math with its dropout from the stream. A batch member k draws with its
own key at the same counters, so its masks are bitwise those of the plain run with its seed.

On CUDA both engines use it too, with the torch kernels: a seed draws the same masks on every
device, so runs on the GPU and on the CPU see the same init, data and masks (their float rounding
still differs: matmuls, reductions).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

_G, _M1, _M2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def threshold(q: float) -> int:
    """Keep when the 32-bit uniform is below this: floor(q 2^32)."""
    return min(math.floor(q * 2**32), 2**32 - 1)


def scale(q: float) -> float:
    """What a kept element is multiplied by: 1/q rounded to float32, as F.dropout's noise."""
    return float(np.float32(1.0) / np.float32(q))


def _uniform32_numpy(keys: np.ndarray, offset: int, n: int) -> np.ndarray:
    """(K, n) uint64 holding the 32-bit uniforms of counters offset .. offset + n - 1."""
    with np.errstate(over="ignore"):
        z = keys[:, None] + (np.arange(offset, offset + n, dtype=np.uint64) * _G)[None, :]
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return (z ^ (z >> np.uint64(31))) >> np.uint64(32)


def _dropout_numpy(x, out, keys, offset, thr, s):
    out[...] = np.where(_uniform32_numpy(keys, offset, x.shape[1]) < np.uint64(thr), x * np.float32(s), 0)


def _relu_dropout_numpy(a, keys, offset, thr, s):
    kept = _uniform32_numpy(keys, offset, a.shape[1]) < np.uint64(thr)
    a[...] = np.where(kept & (a > 0), a * np.float32(s), 0)


def _gate_numpy(g, f, s):
    g[...] = np.where(f > 0, g * np.float32(s), 0)


def _i64(u: np.uint64) -> int:
    """A uint64 constant as the int64 with the same bits (torch has no uint64 arithmetic)."""
    return int(u) - 2**64 if int(u) >= 2**63 else int(u)


_T_G, _T_M1, _T_M2 = _i64(_G), _i64(_M1), _i64(_M2)
_BLOCK = 1 << 24  # elements of (K, n) drawn at once by the torch kernel: ~128 MB of int64 per temporary


def _shr(z: torch.Tensor, k: int) -> torch.Tensor:
    """Logical right shift of int64 bits (>> is arithmetic on signed ints)."""
    return (z >> k) & ((1 << (64 - k)) - 1)


def _uniform32_torch(keys: torch.Tensor, offset: int, n: int) -> torch.Tensor:
    """(K, n) int64 holding the 32-bit uniforms of counters offset .. offset + n - 1 for int64 keys
    (K,): SplitMix64 in int64 arithmetic, whose multiplications wrap exactly as uint64's do."""
    c = torch.arange(offset, offset + n, dtype=torch.int64, device=keys.device)
    z = keys[:, None] + c[None, :] * _T_G
    z = (z ^ _shr(z, 30)) * _T_M1
    z = (z ^ _shr(z, 27)) * _T_M2
    return _shr(z ^ _shr(z, 31), 32)


def _kept_torch(keys: torch.Tensor, offset: int, n: int, thr: int):
    """Yield (column slice, (K, width) bool kept) over blocks of columns."""
    width = max(1, _BLOCK // max(1, len(keys)))
    for start in range(0, n, width):
        stop = min(n, start + width)
        yield slice(start, stop), _uniform32_torch(keys, offset + start, stop - start) < thr


def _dropout_torch(x, out, keys, offset, thr, s):
    # s is float32(1 / q) as a Python float: the multiply is float32 x float32, as the CPU kernels'
    for cols, kept in _kept_torch(keys, offset, x.shape[1], thr):
        out[:, cols] = torch.where(kept, x[:, cols] * s, 0.0)


def _relu_dropout_torch(a, keys, offset, thr, s):
    for cols, kept in _kept_torch(keys, offset, a.shape[1], thr):
        v = a[:, cols]
        a[:, cols] = torch.where(kept & (v > 0), v * s, 0.0)


def _gate_torch(g, f, s):
    g.copy_(torch.where(f > 0, g * s, 0.0))


try:  # numba is a dependency; the numpy kernels keep a machine without it (e.g. a GPU box) working
    import numba

    @numba.njit(cache=True, inline="always")
    def _u32(key, c):
        z = key + c * _G
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return (z ^ (z >> np.uint64(31))) >> np.uint64(32)

    @numba.njit(cache=True)
    def _dropout_numba(x, out, keys, offset, thr, s):
        s32, t = np.float32(s), np.uint64(thr)
        for k in range(x.shape[0]):
            for i in range(x.shape[1]):
                out[k, i] = x[k, i] * s32 if _u32(keys[k], np.uint64(offset + i)) < t else np.float32(0)

    @numba.njit(cache=True)
    def _relu_dropout_numba(a, keys, offset, thr, s):
        s32, t = np.float32(s), np.uint64(thr)
        for k in range(a.shape[0]):
            for i in range(a.shape[1]):
                v = a[k, i]
                a[k, i] = v * s32 if (v > 0) & (_u32(keys[k], np.uint64(offset + i)) < t) else np.float32(0)

    @numba.njit(cache=True)
    def _gate_numba(g, f, s):
        s32 = np.float32(s)
        for k in range(g.shape[0]):
            for i in range(g.shape[1]):
                g[k, i] = g[k, i] * s32 if f[k, i] > 0 else np.float32(0)

    KERNELS = {"numba": (_dropout_numba, _relu_dropout_numba, _gate_numba),
               "numpy": (_dropout_numpy, _relu_dropout_numpy, _gate_numpy)}
except ImportError:  # pragma: no cover - exercised where numba is absent
    KERNELS = {"numpy": (_dropout_numpy, _relu_dropout_numpy, _gate_numpy)}
TORCH_KERNELS = (_dropout_torch, _relu_dropout_torch, _gate_torch)
KERNEL = "numba" if "numba" in KERNELS else "numpy"  # the CPU's; "torch": the other devices' kernels on the CPU too


def _torch_path(x: torch.Tensor) -> bool:
    return x.device.type != "cpu" or KERNEL == "torch"


class MaskStream:
    """The dropout randomness of K runs that draw in lockstep: one key each, one shared counter."""

    def __init__(self, seeds: list[int], p: float):
        for seed in seeds:
            if not isinstance(seed, int) or not 0 <= seed < 2**64:
                raise ValueError(f"seed must be an int in [0, 2^64), got {seed!r}")
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout p must be in [0, 1), got {p!r}")
        self.keys, self.p, self.offset = np.array(seeds, dtype=np.uint64), p, 0
        self._device_keys: dict = {}

    def device_keys(self, device) -> torch.Tensor:
        """The keys as an int64 tensor on ``device`` (the same bits), for the torch kernels."""
        device = torch.device(device)
        if device not in self._device_keys:
            self._device_keys[device] = torch.from_numpy(self.keys.view(np.int64).copy()).to(device)
        return self._device_keys[device]

    def take(self, n: int) -> int:
        """Reserve the next n counters; returns the first."""
        offset, self.offset = self.offset, self.offset + n
        return offset


def _apply_dropout(x: torch.Tensor, out: torch.Tensor, stream: MaskStream, offset: int) -> None:
    """out = member k's dropout of x (K, ...) at counters offset.., by the device's kernel."""
    q = 1 - stream.p
    x2, o2 = x.view(len(x), -1), out.view(len(out), -1)
    if _torch_path(x):
        _dropout_torch(x2, o2, stream.device_keys(x.device), offset, threshold(q), scale(q))
    else:
        KERNELS[KERNEL][0](x2.numpy(), o2.numpy(), stream.keys, offset, threshold(q), scale(q))


class _Dropout(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, stream: MaskStream):  # x (K, ...)
        x = x.contiguous()
        ctx.stream, ctx.offset = stream, stream.take(x[0].numel())
        out = torch.empty_like(x)
        _apply_dropout(x, out, stream, ctx.offset)
        return out

    @staticmethod
    def backward(ctx, g):  # the same mask, recomputed from its counters
        g = g.contiguous()
        out = torch.empty_like(g)
        _apply_dropout(g, out, ctx.stream, ctx.offset)
        return out, None


class _ReluDropout(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, stream: MaskStream):  # a (K, ...) contiguous, overwritten with the result
        ctx.mark_dirty(a)
        q = 1 - stream.p
        a2 = a.view(len(a), -1)
        if _torch_path(a):
            _relu_dropout_torch(a2, stream.device_keys(a.device), stream.take(a[0].numel()), threshold(q), scale(q))
        else:
            KERNELS[KERNEL][1](a2.numpy(), stream.keys, stream.take(a[0].numel()), threshold(q), scale(q))
        ctx.save_for_backward(a)
        ctx.scale = scale(q)
        return a

    @staticmethod
    def backward(ctx, g):
        (f,) = ctx.saved_tensors
        g = g.contiguous().clone()
        g2, f2 = g.view(len(g), -1), f.view(len(f), -1)
        if _torch_path(g):
            _gate_torch(g2, f2, ctx.scale)
        else:
            KERNELS[KERNEL][2](g2.numpy(), f2.numpy(), ctx.scale)
        return g, None


def dropout(x: torch.Tensor, stream: MaskStream | None) -> torch.Tensor:
    """x (K, ...) with member k's elements dropped by its key; a None stream or p = 0 is a no-op."""
    if stream is None or stream.p == 0.0:
        return x
    return _Dropout.apply(x, stream)


def relu_dropout_(a: torch.Tensor, stream: MaskStream | None) -> torch.Tensor:
    """dropout(relu(a)), computed in place on a (K, ...) that nothing else needs (a fresh output)."""
    if stream is None or stream.p == 0.0:
        return torch.relu(a)
    return _ReluDropout.apply(a.contiguous(), stream)


class StreamDropout(nn.Module):
    """nn.Dropout whose masks come from a MaskStream of one run (train mode only, as nn.Dropout)."""

    def __init__(self, stream: MaskStream):
        super().__init__()
        self.stream = stream

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout(x[None], self.stream)[0] if self.training else x


class StreamAttention(nn.Module):
    """nn.MultiheadAttention's self-attention (batch_first=False, need_weights=False, an optional
    additive float attn_mask of shape (S, S) or (B * H, S, S), no padding mask) over the same
    Parameter objects, with the attention-weight dropout from a MaskStream."""

    def __init__(self, attn: nn.MultiheadAttention, stream: MaskStream):
        super().__init__()
        if attn.batch_first or not attn._qkv_same_embed_dim or attn.in_proj_bias is None:
            raise ValueError("StreamAttention mirrors the lecture's attention: batch_first=False, packed qkv, biases")
        self.in_proj_weight, self.in_proj_bias, self.out_proj = attn.in_proj_weight, attn.in_proj_bias, attn.out_proj
        self.embed_dim, self.num_heads, self.dropout = attn.embed_dim, attn.num_heads, attn.dropout
        self.batch_first, self._qkv_same_embed_dim, self.stream = False, True, stream

    def forward(self, query, key, value, attn_mask=None, key_padding_mask=None, need_weights=False, is_causal=False):
        if key_padding_mask is not None or need_weights or is_causal or (
                attn_mask is not None and not attn_mask.is_floating_point()):
            raise ValueError("StreamAttention supports self-attention with an additive float mask, without weights")
        S, B, D = query.shape  # (S, B, D)
        H = self.num_heads
        qkv = nn.functional.linear(query, self.in_proj_weight, self.in_proj_bias)  # (S, B, 3D)
        q, k, v = (t.reshape(S, B, H, D // H).permute(1, 2, 0, 3).contiguous()
                   for t in qkv.chunk(3, -1))  # (B, H, S, hd)
        logits = (q * (1 / math.sqrt(D // H))) @ k.transpose(-2, -1)  # (B, H, S, S)
        if attn_mask is not None:
            logits = logits + attn_mask.reshape(-1, H, S, S) if attn_mask.dim() == 3 else logits + attn_mask
        weights = torch.softmax(logits, -1)  # (B, H, S, S)
        if self.training:
            weights = dropout(weights[None], self.stream)[0]
        out = (weights @ v).permute(2, 0, 1, 3).contiguous().reshape(S, B, D)  # (S, B, D)
        return self.out_proj(out), None


def install(model: nn.Module, seed: int) -> nn.Module:
    """Route every dropout of the lecture's encoder (systems.transformer.LectureTransformer) through one
    MaskStream keyed by ``seed``."""
    layers = getattr(getattr(model, "trans", None), "layers", None)
    if layers is None:
        raise ValueError(f"install expects a LectureTransformer, got {type(model).__name__}")
    stream = MaskStream([seed], model.cfg.dropout)
    for layer in layers:
        layer.self_attn = StreamAttention(layer.self_attn, stream)
        for name in ("dropout", "dropout1", "dropout2"):
            setattr(layer, name, StreamDropout(stream))
    return model
