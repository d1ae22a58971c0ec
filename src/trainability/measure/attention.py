"""Attention measured at a model's state, not trained: the mechanism behind L8's kaiming collapse
(first-layer attention far sharper at init) and, later, entropy collapse."""

from __future__ import annotations

import torch
from torch import nn


def attention_entropy(model: nn.Module, x: torch.Tensor) -> float:
    """Mean entropy (nats) of the first encoder layer's attention rows at input x (S, B, 2I);
    ln(S) is the maximum (uniform attention). Measured with dropout off (the attention itself, not
    a random thinning of it; in train mode the weights would be dropped with PyTorch's unseeded
    global RNG), whatever mode the model is in; the mode is restored."""
    layer, training = model.trans.layers[0], model.training
    model.eval()
    try:
        with torch.no_grad():
            h = model.in_fc(x)
            _, w = layer.self_attn(h, h, h, need_weights=True, average_attn_weights=False)  # (B, H, S, S)
    finally:
        model.train(training)
    return float(-(w * torch.log(w.clamp_min(1e-30))).sum(-1).mean())
