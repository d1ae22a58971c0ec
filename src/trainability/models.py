"""Model factories.

Notation (used in shape comments throughout):
    T  sequence length of the sequence models (dim 0: CNN, RNN, and the Transformer as it reads)
    W  hidden width of the CNN and RNN
    S  sequence length as ``nn.TransformerEncoder`` sees it (dim 0 when batch_first=False)
    B  batch as the encoder sees it (dim 1 when batch_first=False)
    I  task input width per operand (the lecture's IN_DIM = 50); the model reads 2*I
    D  d_model
    F  feed-forward width
    H  attention heads
    L  encoder layers

The lecture feeds a (16, 10, 2I) tensor with ``batch_first=False``: the encoder reads it as
S=16, B=10, so attention mixes the 16 *independent samples* and the 10 positions are the batch.
That is the ``faithful`` layout. The ``corrected`` layout transposes to batch_first, so attention
runs over the 10 positions of each sample. Both are the same module; only the view differs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

LAYOUTS = ("faithful", "corrected")
POS_ENCODINGS = ("none", "sinusoidal")
ATTENTIONS = ("full", "causal", "window", "alibi")  # what a position may attend to: see attention_bias
CELLS = ("tanh", "lstm", "gru")


@dataclass(frozen=True)
class TransformerConfig:
    """The lecture's encoder; defaults are the lecture's sizes (7,929,138 parameters)."""

    in_dim: int = 50  # I: width of each operand a, b; the model reads cat(a, b) = 2I
    d_model: int = 256  # D: the lecture's D_MODEL
    n_heads: int = 4  # H: the lecture's N_HEAD; D must be divisible by H
    n_layers: int = 6  # L: the lecture's N_LAYER (tables 1-2); 2 in tables 3-4
    ffn: int = 2048  # F: PyTorch's default dim_feedforward, never set by the lecture
    dropout: float = 0.1  # PyTorch's default; on during the lecture's "test" (train mode)
    layout: str = "faithful"  # "faithful": attention across samples (batch_first=False)
    pos_encoding: str = "none"  # the lecture's has none; "sinusoidal" adds Vaswani et al.'s after in_fc
    attention: str = "full"  # the lecture's: every position; "causal", "window", "alibi": see attention_bias
    attn_window: int = 4  # "window": a position attends to itself and the attn_window - 1 before it
    norm_first: bool = False  # the lecture's post-LN; True: pre-LN (LayerNorm before each sublayer)

    def __post_init__(self) -> None:
        for name in ("in_dim", "d_model", "n_heads", "n_layers", "ffn"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"TransformerConfig.{name} must be a positive int, got {value!r}")
        if self.d_model % self.n_heads:
            raise ValueError(
                f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads}); "
                f"valid n_heads for d_model={self.d_model}: {_divisors(self.d_model)}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if self.layout not in LAYOUTS:
            raise ValueError(f"unknown layout {self.layout!r}; valid layouts: {', '.join(LAYOUTS)}")
        if self.pos_encoding not in POS_ENCODINGS:
            raise ValueError(f"unknown pos_encoding {self.pos_encoding!r}; valid: {', '.join(POS_ENCODINGS)}")
        if self.attention not in ATTENTIONS:
            raise ValueError(f"unknown attention {self.attention!r}; valid: {', '.join(ATTENTIONS)}")
        if not isinstance(self.attn_window, int) or isinstance(self.attn_window, bool) or self.attn_window <= 0:
            raise ValueError(f"attn_window must be a positive int, got {self.attn_window!r}")


def _divisors(n: int) -> list[int]:
    return [k for k in range(1, n + 1) if n % k == 0]


class LectureTransformer(nn.Module):
    """Linear(2I -> D), nn.TransformerEncoder(post-LN layer, L), Linear(D -> I).

    ``nn.TransformerEncoder`` deep-copies the layer it is given, so all L layers start with
    identical weights: that is how the lecture ran, and any re-initialisation breaks it.
    """

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.cfg = cfg
        layer = nn.TransformerEncoderLayer(cfg.d_model, cfg.n_heads, dim_feedforward=cfg.ffn, dropout=cfg.dropout,
                                           norm_first=cfg.norm_first)
        # enable_nested_tensor only matters in eval-mode fast paths; off keeps both modes one code path.
        self.trans = nn.TransformerEncoder(layer, cfg.n_layers, enable_nested_tensor=False)
        self.in_fc = nn.Linear(2 * cfg.in_dim, cfg.d_model)
        self.out_fc = nn.Linear(cfg.d_model, cfg.in_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (N0, N1, 2I) exactly as the task produces it, (16, 10, 2I) in the lecture
        if self.cfg.layout == "corrected":
            x = x.transpose(0, 1)  # attention now runs over dim 1 of the task's tensor
        h = self.in_fc(x)  # (S, B, D)
        if self.cfg.pos_encoding == "sinusoidal":
            h = h + sinusoidal(h.shape[0], self.cfg.d_model, h.device)[:, None, :]  # position = index on dim 0
        bias = attention_bias(self.cfg, h.shape[0], h.device)  # (H, S, S) or None
        if bias is not None:  # nn.MultiheadAttention takes a per-head mask as (B * H, S, S), batch-major
            bias = bias.expand(h.shape[1], *bias.shape).reshape(-1, *bias.shape[1:])
        h = self.trans(h, mask=bias)  # (S, B, D)
        y = self.out_fc(h)  # (S, B, I)
        if self.cfg.layout == "corrected":
            y = y.transpose(0, 1)
        return y


def attention_bias(cfg: TransformerConfig, length: int, device=None) -> torch.Tensor | None:
    """(H, S, S) additive bias on the attention logits, query i (row) to key j (column), or None
    for the lecture's full attention. Every row keeps its diagonal, so no row is empty.
        causal   0 for j <= i, -inf after: a position sees its past only
        window   causal, and only the last attn_window positions: j in i - attn_window + 1 .. i
        alibi    causal, with a linear penalty -m_h (i - j) (Press et al. 2022, ALiBi): head h's
                 slope m_h = 2^(-8 h / H), h = 1 .. H, a soft and head-dependent window

    >>> attention_bias(TransformerConfig(n_heads=1, attention="window", attn_window=2), 3)[0]
    tensor([[0., -inf, -inf],
            [0., 0., -inf],
            [-inf, 0., 0.]])
    """
    if cfg.attention == "full":
        return None
    i = torch.arange(length, device=device)
    lag = (i[:, None] - i[None, :]).float()  # (S, S): i - j
    bias = torch.zeros(length, length, device=device).masked_fill(lag < 0, -math.inf)
    if cfg.attention == "window":
        bias = bias.masked_fill(lag >= cfg.attn_window, -math.inf)
    bias = bias.expand(cfg.n_heads, length, length)  # (H, S, S)
    if cfg.attention == "alibi":
        slopes = 2.0 ** (-8.0 * torch.arange(1, cfg.n_heads + 1, device=device) / cfg.n_heads)  # (H,)
        bias = bias - slopes[:, None, None] * lag.clamp(min=0)
    return bias.contiguous()


def sinusoidal(length: int, d: int, device=None) -> torch.Tensor:
    """(length, d): PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(t / 10000^(2i/d))."""
    t = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    freq = torch.exp(-math.log(10000.0) * torch.arange(0, d, 2, device=device, dtype=torch.float32) / d)
    pe = torch.zeros(length, d, device=device)
    pe[:, 0::2] = torch.sin(t * freq)
    pe[:, 1::2] = torch.cos(t * freq[: d // 2])
    return pe


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
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"CNNConfig.{name} must be a positive int, got {value!r}")
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
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"RNNConfig.{name} must be a positive int, got {value!r}")
        if self.cell not in CELLS:
            raise ValueError(f"unknown cell {self.cell!r}; valid cells: {', '.join(CELLS)}")
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


@dataclass(frozen=True)
class ModelSpec:
    """A registry entry: how to build a model, and what the engines may do with it."""

    config: type  # its frozen config dataclass; a variant is dataclasses.replace(cfg, ...)
    module: Callable[..., nn.Module]  # module(cfg) -> the model
    engines: tuple[str, ...]  # engines that can run it (trainability.engines.ENGINES), preferred last
    dropout_stream: bool = False  # its dropout can be drawn from a masks.MaskStream (masks.install) on the CPU


# Registry: name -> ModelSpec. Every model is hand-batched (engines/batched.py, engines/sequence.py).
MODELS: dict[str, ModelSpec] = {
    "lecture_transformer": ModelSpec(TransformerConfig, LectureTransformer, ("plain", "batched"), dropout_stream=True),
    "cnn": ModelSpec(CNNConfig, SequenceCNN, ("plain", "batched")),
    "rnn": ModelSpec(RNNConfig, SequenceRNN, ("plain", "batched")),
}


def build_model(name: str, cfg=None, *, seed: int | None = None) -> nn.Module:
    """Build model ``name`` from ``cfg`` (the registry's default config when None).

    With ``seed``, PyTorch's default initialisation draws from a forked global RNG seeded with
    it, so construction is reproducible and leaves the caller's RNG untouched.
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; valid models: {', '.join(sorted(MODELS))}")
    cfg_cls, module_cls = MODELS[name].config, MODELS[name].module
    cfg = cfg_cls() if cfg is None else cfg
    if not isinstance(cfg, cfg_cls):
        raise TypeError(f"model {name!r} takes a {cfg_cls.__name__}, got {type(cfg).__name__}")
    if seed is None:
        return module_cls(cfg)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return module_cls(cfg)


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())

