"""A recurrent stack over the sequence axis (the L11 and L12 families): config, module (PyTorch's
nn.RNN / nn.LSTM / nn.GRU) and the recurrence written out for K members. Notation: K members,
T sequence length (dim 0), B batch, I the task's operand width (reads 2I, writes I), W width,
G gates (1 tanh, 3 GRU, 4 LSTM).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..checks import choice, positive_int
from .batching import plain_affine
from .spec import System

CELLS = ("tanh", "lstm", "gru")


@dataclass(frozen=True)
class RNNConfig:
    """A recurrent stack over the sequence axis (dim 0), same interface as the lecture's."""

    in_dim: int = 50  # I: reads 2I, writes I
    width: int = 64  # hidden units per layer
    layers: int = 1
    cell: str = "tanh"  # "tanh" (Elman), "lstm" or "gru"
    recurrent_scale: float = 1.0  # multiplies the default-initialised hidden-to-hidden weights

    def __post_init__(self) -> None:
        for name in ("in_dim", "width", "layers"):
            positive_int(getattr(self, name), f"RNNConfig.{name}")
        choice(self.cell, CELLS, "cell", "cells")
        if not self.recurrent_scale > 0:
            raise ValueError(f"recurrent_scale must be positive, got {self.recurrent_scale!r}")


class SequenceRNN(nn.Module):
    def __init__(self, cfg: RNNConfig):
        super().__init__()
        self.cfg = cfg
        cls = {"tanh": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cfg.cell]
        self.rnn = cls(2 * cfg.in_dim, cfg.width, cfg.layers)
        with torch.no_grad():  # default init is U(+-1/sqrt(width)); scale the recurrence only
            for name, p in self.rnn.named_parameters():
                if name.startswith("weight_hh"):
                    p.mul_(cfg.recurrent_scale)
        self.out_fc = nn.Linear(cfg.width, cfg.in_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(x)  # x (T, B, 2I) -> h (T, B, W)
        return self.out_fc(h)  # (T, B, I)


def forward(P: dict[str, torch.Tensor], x: torch.Tensor, setting, drop=None) -> torch.Tensor:
    """SequenceRNN for K members: x (K, T, B, 2I) -> (K, T, B, I). The recurrence written out
    (PyTorch's gate order and equations: vmap cannot batch nn.RNN/GRU/LSTM), one batched matmul
    per step for all members; tanh, GRU and LSTM cells, any number of layers (no dropout)."""
    cfg = setting.model
    K, T, B, _ = x.shape
    h_seq = x
    for layer in range(cfg.layers):
        w_ih, w_hh = P[f"rnn.weight_ih_l{layer}"], P[f"rnn.weight_hh_l{layer}"]  # (K, G*W, in), (K, G*W, W)
        b_ih, b_hh = P[f"rnn.bias_ih_l{layer}"], P[f"rnn.bias_hh_l{layer}"]  # (K, G*W)
        W = w_hh.shape[-1]
        gi = plain_affine(h_seq.reshape(K, T * B, -1), w_ih, b_ih).reshape(K, T, B, -1)  # (K, T, B, G*W), all steps
        h = x.new_zeros(K, B, W)
        c = x.new_zeros(K, B, W)
        out = []
        for t in range(T):
            gh = plain_affine(h, w_hh, b_hh)  # (K, B, G*W)
            if cfg.cell == "gru":  # r, z, n as nn.GRU
                ir, iz, i_n = gi[:, t].chunk(3, -1)
                hr, hz, h_n = gh.chunk(3, -1)
                r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
                n = torch.tanh(i_n + r * h_n)
                h = n + z * (h - n)  # (1 - z) n + z h
            elif cfg.cell == "lstm":  # i, f, g, o as nn.LSTM
                i, f, g, o = (gi[:, t] + gh).chunk(4, -1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
            else:  # Elman, nn.RNN's tanh
                h = torch.tanh(gi[:, t] + gh)
            out.append(h)
        h_seq = torch.stack(out, 1)  # (K, T, B, W)
    y = plain_affine(h_seq.reshape(K, T * B, -1), P["out_fc.weight"], P["out_fc.bias"])
    return y.reshape(K, T, B, -1)


def examples() -> list:
    from ..tasks import SequenceTask

    task = SequenceTask("moving-average", length=6, batch=3)
    return [(RNNConfig(in_dim=2, width=5, layers=layers, cell=cell), task)
            for cell, layers in (("tanh", 1), ("gru", 2), ("lstm", 1))]


NAME = "rnn"  # its key in systems.SYSTEMS
SYSTEM = System(config=RNNConfig, module=SequenceRNN, forward=forward, causal=lambda cfg: True, examples=examples)
