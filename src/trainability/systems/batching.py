"""Member-axis primitives for batched forwards: every tensor carries K members on a leading axis,
each member with its own parameters; one batched matmul serves all of them.

Two affine maps, because the recorded runs of each system were computed with its own:
    affine        the lecture Transformer's: a custom autograd Function whose backward writes the
                  weight gradient in the weight's own (K, out, in) layout (autograd's baddbmm
                  backward writes it transposed and copies it: a weight-sized pass per layer,
                  32 MB a member at the lecture's scale)
    plain_affine  autograd's baddbmm, the sequence CNN's and RNN's (switching them to ``affine``
                  would change their float rounding, and so their recorded runs)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


class _Affine(torch.autograd.Function):
    """x (K, N, in), w (K, out, in), b (K, out) -> (K, N, out), a fresh tensor."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))

    @staticmethod
    def backward(ctx, g):  # g (K, N, out)
        x, w = ctx.saved_tensors
        gx = torch.bmm(g, w) if ctx.needs_input_grad[0] else None
        return gx, torch.bmm(g.transpose(1, 2), x), g.sum(1)


affine = _Affine.apply


def plain_affine(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """x (K, N, in), w (K, out, in), b (K, out) -> (K, N, out), through autograd's baddbmm."""
    return torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))


def linear(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``affine`` over any middle axes: x (K, ..., in), w (K, out, in), b (K, out) -> (K, ..., out)."""
    return affine(x.reshape(x.shape[0], -1, x.shape[-1]), w, b).reshape(*x.shape[:-1], w.shape[1])


def layer_norm(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Per-member affine LayerNorm over the last axis: x (K, ..., D), w and b (K, D)."""
    shape = (x.shape[0],) + (1,) * (x.dim() - 2) + (x.shape[-1],)
    return torch.addcmul(b.view(shape), F.layer_norm(x, x.shape[-1:], eps=eps), w.view(shape))
