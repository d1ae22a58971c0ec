"""A causal or centred 1-D CNN over the sequence axis (the L11 and L12 families): config, module
and batched forward. Notation: K members, T sequence length (dim 0), B batch, I the task's
operand width (reads 2I, writes I), W hidden width.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import positive_int
from .batching import plain_affine
from .spec import System


@dataclass(frozen=True)
class CNNConfig:
    """A 1-D convolution stack over the sequence axis (dim 0), same interface as the lecture's."""

    in_dim: int = 50  # I: reads 2I channels, writes I, as the lecture's model
    width: int = 64  # channels of every hidden convolution
    depth: int = 4  # L convolutions; receptive field L(k-1) + 1 positions
    kernel: int = 3  # k; odd when centred, so the window is symmetric
    causal: bool = False  # True: pad left only, position t sees t - L(k-1) .. t

    def __post_init__(self) -> None:
        for name in ("in_dim", "width", "depth", "kernel"):
            positive_int(getattr(self, name), f"CNNConfig.{name}")
        if not self.causal and self.kernel % 2 == 0:
            raise ValueError(f"a centred CNN needs an odd kernel, got {self.kernel}; use an odd kernel or causal=True")

    @property
    def reach(self) -> tuple[int, int]:
        """(past, future) positions an output sees: L(k-1) and 0 causal, L(k-1)/2 each centred."""
        span = self.depth * (self.kernel - 1)
        return (span, 0) if self.causal else (span // 2, span // 2)


class SequenceCNN(nn.Module):
    def __init__(self, cfg: CNNConfig):
        super().__init__()
        self.cfg = cfg
        chans = [2 * cfg.in_dim] + [cfg.width] * cfg.depth
        self.convs = nn.ModuleList(nn.Conv1d(a, b, cfg.kernel) for a, b in zip(chans, chans[1:]))
        self.out_fc = nn.Linear(cfg.width, cfg.in_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (T, B, 2I); convolutions run over T
        k = self.cfg.kernel - 1
        pad = (k, 0) if self.cfg.causal else (k // 2, k // 2)  # keeps the length T
        h = x.permute(1, 2, 0)  # (B, 2I, T)
        for i, conv in enumerate(self.convs):
            h = conv(nn.functional.pad(h, pad))  # (B, W, T)
            h = torch.relu(h) if i < len(self.convs) - 1 else h
        return self.out_fc(h.permute(2, 0, 1))  # (T, B, I)


def forward(P: dict[str, torch.Tensor], x: torch.Tensor, setting, drop=None) -> torch.Tensor:
    """SequenceCNN for K members: x (K, T, B, 2I) -> (K, T, B, I). A grouped convolution: member
    k's channels are group k, so one Conv1d call serves all (no dropout: ``drop`` is unused)."""
    cfg = setting.model
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
    return plain_affine(h, P["out_fc.weight"], P["out_fc.bias"]).reshape(K, T, B, -1)


def examples() -> list:
    from ..tasks import SequenceTask

    task = SequenceTask("n-gram", length=7, batch=3, window=3)
    return [(CNNConfig(in_dim=2, width=6, depth=2, kernel=3, causal=True), task),
            (CNNConfig(in_dim=2, width=6, depth=2, kernel=3, causal=False), task)]


NAME = "cnn"  # its key in systems.SYSTEMS
SYSTEM = System(config=CNNConfig, module=SequenceCNN, forward=forward, causal=lambda cfg: cfg.causal,
                examples=examples)
