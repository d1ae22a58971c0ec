"""Batched forwards of the sequence families (models.SequenceCNN, models.SequenceRNN) for the
batched engine: K members at once, each with its own parameters stacked on a leading K axis,
named as the plain modules name them. Notation as in models.py, plus K = members.

    cnn  a grouped convolution: member k's channels are group k, so one Conv1d call serves all
    rnn  the recurrence written out (PyTorch's gate order and equations), one batched matmul per
         step for all members; tanh, GRU and LSTM cells, any number of layers

Both compute what the plain module computes, to float association (tests/test_batched.py).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _affine(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """x (K, N, in), w (K, out, in), b (K, out) -> (K, N, out)."""
    return torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))


def cnn_forward(P: dict[str, torch.Tensor], x: torch.Tensor, cfg) -> torch.Tensor:
    """models.SequenceCNN for K members: x (K, T, B, 2I) -> (K, T, B, I)."""
    K, T, B, C = x.shape
    k = cfg.kernel - 1
    pad = (k, 0) if cfg.causal else (k // 2, k // 2)
    h = x.permute(2, 0, 3, 1).reshape(B, K * C, T)  # (B, K*C, T): member k's channels are group k
    for i in range(cfg.depth):
        w, b = P[f"convs.{i}.weight"], P[f"convs.{i}.bias"]  # (K, W, Cin, k), (K, W)
        h = F.conv1d(F.pad(h, pad), w.reshape(-1, *w.shape[2:]), b.reshape(-1), groups=K)  # (B, K*W, T)
        h = torch.relu(h) if i < cfg.depth - 1 else h
    W = h.shape[1] // K
    h = h.reshape(B, K, W, T).permute(1, 3, 0, 2).reshape(K, T * B, W)  # (K, T*B, W)
    return _affine(h, P["out_fc.weight"], P["out_fc.bias"]).reshape(K, T, B, -1)


def rnn_forward(P: dict[str, torch.Tensor], x: torch.Tensor, cfg) -> torch.Tensor:
    """models.SequenceRNN for K members: x (K, T, B, 2I) -> (K, T, B, I)."""
    K, T, B, _ = x.shape
    h_seq = x
    for layer in range(cfg.layers):
        w_ih, w_hh = P[f"rnn.weight_ih_l{layer}"], P[f"rnn.weight_hh_l{layer}"]  # (K, G*W, in), (K, G*W, W)
        b_ih, b_hh = P[f"rnn.bias_ih_l{layer}"], P[f"rnn.bias_hh_l{layer}"]  # (K, G*W)
        W = w_hh.shape[-1]
        gi = _affine(h_seq.reshape(K, T * B, -1), w_ih, b_ih).reshape(K, T, B, -1)  # (K, T, B, G*W), all steps
        h = x.new_zeros(K, B, W)
        c = x.new_zeros(K, B, W)
        out = []
        for t in range(T):
            gh = _affine(h, w_hh, b_hh)  # (K, B, G*W)
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
    y = _affine(h_seq.reshape(K, T * B, -1), P["out_fc.weight"], P["out_fc.bias"])
    return y.reshape(K, T, B, -1)
