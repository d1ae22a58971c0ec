"""Many runs as one computation: K members of the lecture's Transformer, hand-batched.

Notation as in models.py, plus K = members. Every member has its own parameters (stacked on a
leading K axis), its own init (engines.common.init_model, as the plain engine builds it), data
stream, dropout stream, test stream, learning rate, warm-up and schedule. Nothing is shared but
the arithmetic: each linear layer is one batched matmul over the K members.

Equivalence with the plain engine (engines.plain.run; tests/test_batched.py): on the CPU a member
draws the same data and the same dropout masks as the plain run with its seed: both draw from
masks.MaskStream with the run's ``dropout`` stream (setting.Streams) as key, at the same
counters, in the same order and shapes (see masks.py for why not PyTorch's generator; the FFN's
ReLU and dropout are one fused kernel here), and Adam is the plain engine's fused kernel, called
per member. The arithmetic differs only in float association (batched matmuls, LayerNorm's affine
applied outside), so curves agree to float tolerance until training chaos amplifies it.
On CUDA the plain path keeps PyTorch's fused dropout; there members draw their own masks from
per-member CUDA generators, statistically equivalent but not the same.

Settings can share a batch when they differ only in numbers (lr, warm-up, schedule, init);
``batch_key`` says which. The lecture's Transformer (any layout, positional encoding, attention
mask, post- or pre-LN) is batched here; the sequence CNN and RNN by engines/sequence.py's
forwards (``FORWARDS``); every model lists this engine in its models.ModelSpec.
"""

from __future__ import annotations

import math
import statistics
import time

import torch
import torch.nn.functional as F

from .. import masks, schedules
from ..masks import MaskStream
from ..models import MODELS, attention_bias, sinusoidal
from ..setting import RunResult, Setting, Streams, finish
from .common import Progress, init_model
from .sequence import cnn_forward, rnn_forward

BETAS, EPS = (0.9, 0.999), 1e-8  # Adam's defaults, as the lecture


def batch_key(setting: Setting) -> tuple:
    """Settings with equal keys can train as members of one batch."""
    return (setting.model_name, setting.model, setting.task, setting.steps, setting.eval_batches, setting.eval_mode)


class Members:
    """The stacked state of K members: parameters, Adam moments, generators, schedules."""

    def __init__(self, jobs: list[tuple[Setting, int]], device: str = "cpu"):
        if not jobs:
            raise ValueError("need at least one (setting, seed) job")
        keys = {batch_key(s) for s, _ in jobs}
        if len(keys) > 1:
            raise ValueError(f"jobs differ in more than numbers and cannot share a batch: {sorted(map(str, keys))}")
        batchable = sorted(name for name, spec in MODELS.items() if "batched" in spec.engines)
        for s, _ in jobs:
            if "batched" not in MODELS[s.model_name].engines:
                raise ValueError(f"model {s.model_name!r} cannot run on the batched engine; models it runs: "
                                 f"{', '.join(batchable)}")
        streams = [Streams.of(seed, s.replicate) for s, seed in jobs]  # raises on a bad seed
        self.jobs, self.dev = jobs, torch.device(device)
        self.setting = jobs[0][0]
        models = [dict(init_model(s, st).named_parameters()) for (s, _), st in zip(jobs, streams)]  # the plain path's init
        self.params = {n: torch.stack([m[n].detach() for m in models]).to(self.dev).requires_grad_() for n in models[0]}
        moments = [{n: torch.zeros_like(p) for n, p in self.params.items()} for _ in range(2)]  # Adam's m, v
        # Per-member views of the stacked state, as the fused kernel takes lists of tensors.
        self._p, self._m, self._v = ([list(t) for t in zip(*(x.detach().unbind(0) for x in d.values()))]
                                     for d in (self.params, *moments))
        self.steps = [torch.zeros((), dtype=torch.float32, device=self.dev) for _ in jobs]  # Adam's step count
        self.lr_at = [schedules.make(s.schedule, s.lr, s.warmup, s.steps) for s, _ in jobs]
        self.data = [st.generator("data", self.dev) for st in streams]
        self.test = [st.generator("test", self.dev) for st in streams]
        # On the CPU each member draws with its plain run's key (masks.install) at shared counters.
        self.drop = (MaskStream([st.dropout for st in streams], self.setting.dropout) if self.dev.type == "cpu"
                     else [st.generator("dropout", self.dev) for st in streams])

    @property
    def k(self) -> int:
        return len(self.jobs)

    def sample(self, generators) -> tuple[torch.Tensor, torch.Tensor]:
        """One batch per member: x (K, N0, N1, 2I), target (K, N0, N1, I)."""
        xs, ts = zip(*(self.setting.task.sample(g, self.dev) for g in generators))
        return torch.stack(xs), torch.stack(ts)

    def adam_step(self, lrs: list[float | None]) -> None:
        """torch.optim.Adam(fused=True)'s update (the plain path's optimizer), one fused call per
        member with its own lr; lr None skips a member (diverged: its state no longer matters)."""
        b1, b2 = BETAS
        with torch.no_grad():
            grads = zip(*(p.grad.unbind(0) for p in self.params.values()))  # member-major views
            for lr, step, p, g, m, v in zip(lrs, self.steps, self._p, grads, self._m, self._v):
                if lr is None:
                    continue
                step.add_(1)
                torch._fused_adam_(p, list(g), m, v, [], [step] * len(p), amsgrad=False, lr=lr, beta1=b1, beta2=b2,
                                   weight_decay=0.0, eps=EPS, maximize=False)
            for p in self.params.values():
                p.grad = None


class _Affine(torch.autograd.Function):
    """x (K, N, in), w (K, out, in), b (K, out) -> (K, N, out), a fresh tensor. Backward writes the
    weight gradient in w's own (K, out, in) layout; autograd's baddbmm backward writes it
    transposed and then copies it, a weight-sized pass per layer (32 MB a member at lecture scale)."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))

    @staticmethod
    def backward(ctx, g):  # g (K, N, out)
        x, w = ctx.saved_tensors
        gx = torch.bmm(g, w) if ctx.needs_input_grad[0] else None
        return gx, torch.bmm(g.transpose(1, 2), x), g.sum(1)


_affine = _Affine.apply


def _linear(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """x (K, ..., in), w (K, out, in), b (K, out) -> (K, ..., out)."""
    return _affine(x.reshape(x.shape[0], -1, x.shape[-1]), w, b).reshape(*x.shape[:-1], w.shape[1])


def _layer_norm(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Per-member affine LayerNorm over the last axis; x (K, S, B, D), w and b (K, D)."""
    shape = (x.shape[0],) + (1,) * (x.dim() - 2) + (x.shape[-1],)
    return torch.addcmul(b.view(shape), F.layer_norm(x, x.shape[-1:], eps=eps), w.view(shape))


class Dropout:
    """Member k's dropout masks: on the CPU from its key in a masks.MaskStream (bitwise its plain
    run's masks), on CUDA from its own torch.Generator. None: dropout off."""

    def __init__(self, streams: MaskStream | list | None, p: float):
        self.streams, self.p = (streams, p) if p > 0.0 else (None, p)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:  # x (K, ...)
        if self.streams is None:
            return x
        if isinstance(self.streams, MaskStream):
            return masks.dropout(x, self.streams)
        keep = 1 - self.p
        noise = torch.empty_like(x, memory_format=torch.contiguous_format)
        for member, g in zip(noise, self.streams):  # member k's draws, in place: no stacking copy
            member.bernoulli_(keep, generator=g)
        return x * noise.div_(keep)

    def relu(self, a: torch.Tensor) -> torch.Tensor:
        """dropout(relu(a)) for a fresh a (K, ...); on the CPU one fused kernel, in place."""
        if isinstance(self.streams, MaskStream):
            return masks.relu_dropout_(a, self.streams)
        return self(torch.relu(a))


def forward(P: dict[str, torch.Tensor], x: torch.Tensor, setting: Setting, drop: Dropout) -> torch.Tensor:
    """The lecture's model for K members at once: x (K, N0, N1, 2I) -> (K, N0, N1, I)."""
    cfg = setting.model
    if cfg.layout == "corrected":
        x = x.transpose(1, 2)  # attention over the task's dim 1, as LectureTransformer does
    h = _linear(x, P["in_fc.weight"], P["in_fc.bias"])  # (K, S, B, D)
    K, S, B, D = h.shape
    if cfg.pos_encoding == "sinusoidal":
        h = h + sinusoidal(S, D, h.device)[None, :, None, :]  # as LectureTransformer: position = dim 0
    H = cfg.n_heads
    bias = attention_bias(cfg, S, h.device)  # (H, S, S) or None: the plain model's mask
    for layer in range(cfg.n_layers):
        pre = f"trans.layers.{layer}."

        def attend(h):  # (K, S, B, D) -> (K, S, B, D), the self-attention block with its dropout
            qkv = _linear(h, P[pre + "self_attn.in_proj_weight"], P[pre + "self_attn.in_proj_bias"])  # (K, S, B, 3D)
            # .contiguous(): a canonical layout whatever K is, so backward's kernels (and so a member's
            # rounding) do not depend on its batch-mates; at K = 1 a permuted view's strides differ.
            q, k, v = (t.reshape(K, S, B, H, D // H).permute(0, 2, 3, 1, 4).contiguous()
                       for t in qkv.chunk(3, -1))  # (K, B, H, S, hd)
            # the plain engine's attention is masks.StreamAttention: the same arithmetic without K
            logits = (q * (1 / math.sqrt(D // H))) @ k.transpose(-2, -1)  # (K, B, H, S, S)
            attn = torch.softmax(logits if bias is None else logits + bias, -1)
            a = (drop(attn) @ v).permute(0, 3, 1, 2, 4).contiguous().reshape(K, S, B, D)  # (K, S, B, D)
            return drop(_linear(a, P[pre + "self_attn.out_proj.weight"], P[pre + "self_attn.out_proj.bias"]))

        def feed(h):  # (K, S, B, D) -> (K, S, B, D), the feed-forward block with its dropouts
            f = drop.relu(_affine(h.reshape(K, S * B, D), P[pre + "linear1.weight"], P[pre + "linear1.bias"]))
            return drop(_affine(f, P[pre + "linear2.weight"], P[pre + "linear2.bias"]).reshape(K, S, B, D))

        norm1 = lambda x: _layer_norm(x, P[pre + "norm1.weight"], P[pre + "norm1.bias"])  # noqa: E731
        norm2 = lambda x: _layer_norm(x, P[pre + "norm2.weight"], P[pre + "norm2.bias"])  # noqa: E731
        if cfg.norm_first:  # pre-LN: x + f(LN(x))
            h = h + attend(norm1(h))
            h = h + feed(norm2(h))
        else:  # the lecture's post-LN: LN(x + f(x))
            h = norm1(h + attend(h))
            h = norm2(h + feed(h))
    y = _linear(h, P["out_fc.weight"], P["out_fc.bias"])  # (K, S, B, I)
    return y.transpose(1, 2) if cfg.layout == "corrected" else y


FORWARDS = {  # model name -> forward(P, x, setting, drop): K members, (K, ...) in and out
    "lecture_transformer": forward,
    "cnn": lambda P, x, setting, drop: cnn_forward(P, x, setting.model),
    "rnn": lambda P, x, setting, drop: rnn_forward(P, x, setting.model),
}


def run_batch(jobs: list[tuple[Setting, int]], device: str = "cpu", progress_every: float = 30.0) -> list[RunResult]:
    """Train K compatible (setting, seed) jobs as one computation; one RunResult per job.
    The engine interface (engines.ENGINES). A progress line at most every ``progress_every``
    seconds (engines.common.Progress)."""
    start = time.perf_counter()
    mb = Members(jobs, device)
    s, K = mb.setting, mb.k
    losses: list[list[float]] = [[] for _ in range(K)]
    diverged: list[int | None] = [None] * K
    alive = torch.ones(K, dtype=torch.bool, device=mb.dev)
    drop = Dropout(mb.drop, s.dropout)
    kinds = sorted({setting.describe() for setting, _ in jobs})
    progress = Progress(f"batch of {K} [{kinds[0] if len(kinds) == 1 else f'{len(kinds)} settings'}]", s.steps,
                        progress_every)
    for step in range(s.steps):
        if not alive.any():
            break
        x, target = mb.sample(mb.data)
        per_member = s.task.losses(FORWARDS[s.model_name](mb.params, x, s, drop), target)  # (K,)
        values = per_member.tolist()
        for i, value in enumerate(values):
            if diverged[i] is None and not math.isfinite(value):
                diverged[i] = step
        alive = torch.tensor([d is None for d in diverged], device=mb.dev)
        torch.where(alive, per_member, torch.zeros_like(per_member)).sum().backward()
        mb.adam_step([mb.lr_at[i](step) if diverged[i] is None else None for i in range(K)])
        for i, value in enumerate(values):
            if diverged[i] is None:
                losses[i].append(value)
        progress.step(step + 1, statistics.median([v for v in values if math.isfinite(v)] or [math.nan]))
    tests, nodrop = evaluate_batch(mb, alive)
    seconds = (time.perf_counter() - start) / K
    return [finish(setting, seed, losses[i], diverged[i], tests[i], seconds, mb.dev, nodrop[i])
            for i, (setting, seed) in enumerate(jobs)]


@torch.no_grad()
def evaluate_batch(mb: Members, alive: torch.Tensor) -> tuple[list[float], list[float]]:
    """engines.plain.evaluate for every member: mean loss over fresh test batches in the setting's
    mode (train: dropout on), and on the same batches with dropout off."""
    s = mb.setting
    drop = Dropout(mb.drop if s.eval_mode == "train" else None, s.dropout)
    off = Dropout(None, s.dropout)
    twice = s.test_has_dropout  # else the dropout-off loss is the first one
    total, total_off = torch.zeros(mb.k, device=mb.dev), torch.zeros(mb.k, device=mb.dev)
    for _ in range(s.eval_batches):
        x, target = mb.sample(mb.test)
        total += s.task.losses(FORWARDS[s.model_name](mb.params, x, s, drop), target)
        if twice:
            total_off += s.task.losses(FORWARDS[s.model_name](mb.params, x, s, off), target)
    first = (total / s.eval_batches).tolist()
    return first, (total_off / s.eval_batches).tolist() if twice else first
