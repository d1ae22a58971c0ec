"""The lecture's Transformer: its config, the faithful nn.Module (nn.TransformerEncoder, as the
lecture builds it) and the same model for K members at once (``forward``, the batched engine's).

Notation (shape comments):
    K  members of a batch of runs (the batched forward's leading axis)
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

import torch
from torch import nn

from ..checks import choice, positive_int
from .batching import affine, layer_norm, linear
from .spec import System

LAYOUTS = ("faithful", "corrected")
POS_ENCODINGS = ("none", "sinusoidal")
ATTENTIONS = ("full", "causal", "window", "alibi")  # what a position may attend to: see attention_bias


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
            positive_int(getattr(self, name), f"TransformerConfig.{name}")
        if self.d_model % self.n_heads:
            raise ValueError(
                f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads}); "
                f"valid n_heads for d_model={self.d_model}: {_divisors(self.d_model)}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        choice(self.layout, LAYOUTS, "layout", "layouts")
        choice(self.pos_encoding, POS_ENCODINGS, "pos_encoding")
        choice(self.attention, ATTENTIONS, "attention")
        positive_int(self.attn_window, "attn_window")


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


def forward(P: dict[str, torch.Tensor], x: torch.Tensor, setting, drop) -> torch.Tensor:
    """LectureTransformer for K members at once: x (K, N0, N1, 2I) -> (K, N0, N1, I). ``drop`` is
    the members' dropout (training.engines.batched.Dropout). The same arithmetic as the plain
    module with training.masks.install (StreamAttention, StreamDropout) to float association."""
    cfg = setting.model
    if cfg.layout == "corrected":
        x = x.transpose(1, 2)  # attention over the task's dim 1, as LectureTransformer does
    h = linear(x, P["in_fc.weight"], P["in_fc.bias"])  # (K, S, B, D)
    K, S, B, D = h.shape
    if cfg.pos_encoding == "sinusoidal":
        h = h + sinusoidal(S, D, h.device)[None, :, None, :]  # as LectureTransformer: position = dim 0
    H = cfg.n_heads
    bias = attention_bias(cfg, S, h.device)  # (H, S, S) or None: the plain model's mask
    for layer in range(cfg.n_layers):
        pre = f"trans.layers.{layer}."

        def attend(h):  # (K, S, B, D) -> (K, S, B, D), the self-attention block with its dropout
            qkv = linear(h, P[pre + "self_attn.in_proj_weight"], P[pre + "self_attn.in_proj_bias"])  # (K, S, B, 3D)
            # .contiguous(): a canonical layout whatever K is, so backward's kernels (and so a member's
            # rounding) do not depend on its batch-mates; at K = 1 a permuted view's strides differ.
            q, k, v = (t.reshape(K, S, B, H, D // H).permute(0, 2, 3, 1, 4).contiguous()
                       for t in qkv.chunk(3, -1))  # (K, B, H, S, hd)
            # the plain engine's attention is masks.StreamAttention: the same arithmetic without K
            logits = (q * (1 / math.sqrt(D // H))) @ k.transpose(-2, -1)  # (K, B, H, S, S)
            attn = torch.softmax(logits if bias is None else logits + bias, -1)
            a = (drop(attn) @ v).permute(0, 3, 1, 2, 4).contiguous().reshape(K, S, B, D)  # (K, S, B, D)
            return drop(linear(a, P[pre + "self_attn.out_proj.weight"], P[pre + "self_attn.out_proj.bias"]))

        def feed(h):  # (K, S, B, D) -> (K, S, B, D), the feed-forward block with its dropouts
            f = drop.relu(affine(h.reshape(K, S * B, D), P[pre + "linear1.weight"], P[pre + "linear1.bias"]))
            return drop(affine(f, P[pre + "linear2.weight"], P[pre + "linear2.bias"]).reshape(K, S, B, D))

        norm1 = lambda x: layer_norm(x, P[pre + "norm1.weight"], P[pre + "norm1.bias"])  # noqa: E731
        norm2 = lambda x: layer_norm(x, P[pre + "norm2.weight"], P[pre + "norm2.bias"])  # noqa: E731
        if cfg.norm_first:  # pre-LN: x + f(LN(x))
            h = h + attend(norm1(h))
            h = h + feed(norm2(h))
        else:  # the lecture's post-LN: LN(x + f(x))
            h = norm1(h + attend(h))
            h = norm2(h + feed(h))
    y = linear(h, P["out_fc.weight"], P["out_fc.bias"])  # (K, S, B, I)
    return y.transpose(1, 2) if cfg.layout == "corrected" else y


def is_causal(cfg: TransformerConfig) -> bool:
    """Output t reads inputs 0..t only along dim 0: under the faithful layout attention runs along
    dim 0, so a mask (causal, window, alibi) makes it causal; under the corrected layout attention
    runs along dim 1 and the rows of dim 0 never mix."""
    return cfg.layout == "corrected" or cfg.attention != "full"


def examples() -> list:
    """Small instances for the per-system checks: the lecture's task, and a masked sequence task."""
    from ..tasks import LectureTask, SequenceTask

    tiny = TransformerConfig(in_dim=3, d_model=8, n_heads=2, n_layers=2, ffn=16)
    seq = TransformerConfig(in_dim=2, d_model=8, n_heads=2, n_layers=2, ffn=16, dropout=0.0, pos_encoding="sinusoidal",
                            attention="causal", norm_first=True)
    return [(tiny, LectureTask(batch=4, length=3, in_dim=3)), (seq, SequenceTask(length=6, batch=3, window=3))]


NAME = "lecture_transformer"  # its key in systems.SYSTEMS
SYSTEM = System(config=TransformerConfig, module=LectureTransformer, forward=forward, dropout_stream=True,
                causal=is_causal, examples=examples)
