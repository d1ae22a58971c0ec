"""The Grid LSTM (Kalchbrenner, Danihelka & Graves, arXiv 1507.01526; DIGEST L4): depth as one more
dimension of a grid of LSTM cells. A block of N dimensions takes one hidden vector h_i and one
memory m_i per dimension; with H = [h_1; ..; h_N] every dimension computes (h'_i, m'_i) =
LSTM_i(H, m_i) with its own weights, the priority dimension last, from the others' new h'.

Two layouts (notation: K members, B batch, n width, D depth, k bits, T length, I operand width):
    depth       a 1-D grid along depth, the paper's parity network: the k-bit string enters once,
                projected into h_0 and m_0; D blocks of one dimension; one logit read from h_D.
                x (B, k) -> (B,)
    time-depth  a 2-D grid over time x depth (the paper's language model, coreylynch's layout):
                at step t layer l's time dimension reads H = [h^time_{t-1,l}; h^depth_{t,l-1}]
                and then its depth dimension, the priority one, reads the new h^time; layer 1's
                depth input is a projection of x_t (memory 0); the output reads the top h^depth.
                x (T, B, 2I) -> (T, B, I)

Options, named because the public implementations disagree (../shared/research/systems.md §1):
    cell        "lstm"; or "tanh", a non-LSTM dimension h' = tanh(V H + b) with no memory (the
                gate ablation; untied along depth it is the paper's feed-forward baseline)
    out         "paper": h' = tanh(g_o * m') (the paper; Bourez's code); "standard": g_o * tanh(m')
                (TensorFlow's LSTMCell, coreylynch, kkleidal)
    inputs      "paper": x projected into h and m at the grid's edge only; "lecture": x enters every
                block's gates as well, H = [x; h_1 .. h_N] (the lecture's formula, kkleidal's variant)
    tie_depth   one weight set for every depth step (the paper's "tied" 1-D network; time-depth:
                the depth dimension's weights shared over layers); False: one per layer
    tie_dims    every dimension of a block shares one weight set (TensorFlow's tied=True); this is
                a different tying from tie_depth (time-depth only: the 1-D grid has one dimension)
    forget_bias added to the forget gate's bias at construction (PyTorch's default bias is about 0,
                so f is about 1/2 and a memory decays like 2^-D along depth)
Tied weights are one Parameter (one storage), used at every place that shares it.

One implementation of the maths serves the module and the member-batched forward: ``_run`` takes
the parameters by name and a linear map, F.linear for one model, batching.linear for K members.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import choice, positive_int
from .batching import linear as members_linear
from .spec import System

LAYOUTS = ("depth", "time-depth")
CELLS = ("lstm", "tanh")
OUTS = ("paper", "standard")
INPUTS = ("paper", "lecture")


@dataclass(frozen=True)
class GridConfig:
    """A Grid LSTM network (module docstring)."""

    layout: str = "depth"  # "depth": the 1-D parity network; "time-depth": a 2-D sequence model
    in_dim: int = 8  # depth: k, the bits of the string; time-depth: I (reads 2I, writes I)
    width: int = 64  # n: the size of every h and m
    depth: int = 8  # D: blocks along depth (time-depth: layers)
    cell: str = "lstm"  # "lstm" or "tanh" (no gates, no memory: the ablation)
    out: str = "paper"  # h' = tanh(g_o * m') ("paper") or g_o * tanh(m') ("standard")
    inputs: str = "paper"  # "paper": x at the edge only; "lecture": x in every block's gates too
    tie_depth: bool = True  # one weight set along depth (the paper's tied 1-D network)
    tie_dims: bool = False  # the dimensions of a block share one weight set (time-depth only)
    forget_bias: float = 0.0  # added to the forget gate's bias at construction

    def __post_init__(self) -> None:
        choice(self.layout, LAYOUTS, "grid layout", "layouts")
        choice(self.cell, CELLS, "grid cell", "cells")
        choice(self.out, OUTS, "grid output form", "forms")
        choice(self.inputs, INPUTS, "grid input form", "forms")
        for name in ("in_dim", "width", "depth"):
            positive_int(getattr(self, name), f"GridConfig.{name}")
        if self.tie_dims and self.layout == "depth":
            raise ValueError("tie_dims ties the dimensions of a block together; the depth layout's block has one "
                             "dimension (tie_depth ties along depth)")

    @property
    def dims(self) -> int:
        """N, the dimensions of a block: 1 (depth) or 2 (time, depth; depth is the priority)."""
        return 1 if self.layout == "depth" else 2

    @property
    def x_width(self) -> int:
        return self.in_dim if self.layout == "depth" else 2 * self.in_dim

    def cell_name(self, layer: int, dim: int) -> str:
        """The weight set (a key of GridLSTM.cells) dimension ``dim`` of block ``layer`` uses;
        the time-depth layout's depth dimension is dim 1."""
        if self.tie_dims:
            dim = 0
        depth_dim = dim == self.dims - 1 and not self.tie_dims
        return f"l{0 if self.tie_depth and depth_dim else layer}d{dim}"


class GridLSTM(nn.Module):
    def __init__(self, cfg: GridConfig):
        super().__init__()
        self.cfg = cfg
        n, gates = cfg.width, 4 if cfg.cell == "lstm" else 1
        fan_in = cfg.dims * n + (cfg.x_width if cfg.inputs == "lecture" else 0)
        names = dict.fromkeys(cfg.cell_name(layer, d) for layer in range(cfg.depth) for d in range(cfg.dims))
        self.cells = nn.ModuleDict({name: nn.Linear(fan_in, gates * n) for name in names})
        if cfg.cell == "lstm" and cfg.forget_bias:
            with torch.no_grad():
                for cell in self.cells.values():
                    cell.bias[n:2 * n] += cfg.forget_bias  # gate order u, f, o, c
        self.edge_h = nn.Linear(cfg.x_width, n)  # x -> h at the grid's edge (time-depth: h^depth of layer 0)
        if cfg.cell == "lstm" and cfg.layout == "depth":
            self.edge_m = nn.Linear(cfg.x_width, n)  # x -> m at the edge (the paper's two projections)
        self.head = nn.Linear(n, 1 if cfg.layout == "depth" else cfg.in_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _run(self.cfg, self.get_parameter, F.linear, x, time_axis=0)


def _dimension(cfg: GridConfig, lin, w, b, H, m):
    """One dimension of a block: (h', m') from H (..., fan_in) and its memory m (..., n)."""
    if cfg.cell == "tanh":
        return torch.tanh(lin(H, w, b)), m
    u, f, o, c = lin(H, w, b).chunk(4, -1)
    m = torch.sigmoid(f) * m + torch.sigmoid(u) * torch.tanh(c)
    h = torch.tanh(torch.sigmoid(o) * m) if cfg.out == "paper" else torch.sigmoid(o) * torch.tanh(m)
    return h, m


def _block(cfg: GridConfig, get, lin, layer: int, hs: list, ms: list, x):
    """Block ``layer``: every dimension from H, the priority (last) one from the others' new h."""
    hs, ms = list(hs), list(ms)
    for d in range(cfg.dims):  # the priority dimension is the last: it reads the new hs
        H = torch.cat(([x] if cfg.inputs == "lecture" else []) + hs, -1)
        name = cfg.cell_name(layer, d)
        hs[d], ms[d] = _dimension(cfg, lin, get(f"cells.{name}.weight"), get(f"cells.{name}.bias"), H, ms[d])
    return hs, ms


def _run(cfg: GridConfig, get, lin, x: torch.Tensor, time_axis: int) -> torch.Tensor:
    """The network on x: (B, k) or (K, B, k) in the depth layout, (T, B, 2I) or (K, T, B, 2I)
    along ``time_axis`` in the time-depth layout."""
    edge = lin(x, get("edge_h.weight"), get("edge_h.bias"))  # (..., n)
    if cfg.layout == "depth":
        h = edge
        m = lin(x, get("edge_m.weight"), get("edge_m.bias")) if cfg.cell == "lstm" else torch.zeros_like(edge)
        hs, ms = [h], [m]
        for layer in range(cfg.depth):
            hs, ms = _block(cfg, get, lin, layer, hs, ms, x)
        return lin(hs[0], get("head.weight"), get("head.bias")).squeeze(-1)  # (..., B)
    inputs, edges = x.unbind(time_axis), edge.unbind(time_axis)  # T x (..., B, 2I), T x (..., B, n)
    zero = torch.zeros_like(edges[0])
    h_time, m_time = [zero] * cfg.depth, [zero] * cfg.depth  # per layer, carried along time
    out = []
    for x_t, e_t in zip(inputs, edges):
        h_depth, m_depth = e_t, zero  # layer 0's depth input: x_t projected, no memory
        for layer in range(cfg.depth):
            (h_time[layer], h_depth), (m_time[layer], m_depth) = _block(
                cfg, get, lin, layer, [h_time[layer], h_depth], [m_time[layer], m_depth], x_t)
        out.append(lin(h_depth, get("head.weight"), get("head.bias")))  # (..., B, I)
    return torch.stack(out, time_axis)


def forward(P: dict[str, torch.Tensor], x: torch.Tensor, setting, drop=None) -> torch.Tensor:
    """GridLSTM for K members (no dropout): x (K, B, k) -> (K, B), or (K, T, B, 2I) -> (K, T, B, I)."""
    return _run(setting.model, P.__getitem__, members_linear, x, time_axis=1)


def examples() -> list:
    from ..tasks import SequenceTask
    from ..tasks.parity import ParityTask

    bits = ParityTask(bits=4, batch=6)
    seq = SequenceTask("moving-average", length=5, batch=3, in_dim=2)
    return [(GridConfig(in_dim=4, width=5, depth=3), bits),
            (GridConfig(in_dim=4, width=5, depth=2, cell="tanh", tie_depth=False), bits),
            (GridConfig(in_dim=4, width=5, depth=2, out="standard", inputs="lecture", forget_bias=1.0), bits),
            (GridConfig(layout="time-depth", in_dim=2, width=4, depth=2), seq),
            (GridConfig(layout="time-depth", in_dim=2, width=4, depth=2, tie_depth=False, tie_dims=True,
                        inputs="lecture"), seq)]


NAME = "grid_lstm"  # its key in systems.SYSTEMS
# depth layout: dim 0 is the batch, whose strings are independent, so it is "causal" trivially
SYSTEM = System(config=GridConfig, module=GridLSTM, forward=forward, causal=lambda cfg: True, examples=examples)
