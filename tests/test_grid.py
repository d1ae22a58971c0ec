"""The Grid LSTM system and the parity task: tying by storage (what the forward reads, not equal
values), the two output forms and the priority dimension against hand-written equations, where the
input enters (paper: the edge only; lecture: every block), the forget bias, the parity task and its
exact accuracy measurement. The per-system checks (tests/test_systems.py) cover the batched forward."""

import math

import pytest
import torch

from trainability.measure import MEASURES
from trainability.measure.parity import EVERY, parity_accuracy
from trainability.systems import build_model
from trainability.systems import grid
from trainability.systems.grid import GridConfig
from trainability.tasks.parity import ParityTask, parity
from trainability.training.engines import run
from trainability.training.setting import Crossing, Setting

pytestmark = pytest.mark.usefixtures("one_thread")


def storages_read(cfg: GridConfig, x: torch.Tensor) -> dict[str, int]:
    """{parameter name the forward asks for: the data_ptr of what it gets}, for every read."""
    model = build_model("grid_lstm", cfg, seed=0)
    params, seen = dict(model.named_parameters()), {}

    def get(name):
        seen.setdefault(name, params[name].data_ptr())
        return params[name]

    grid._run(cfg, get, torch.nn.functional.linear, x, time_axis=0)
    return seen


def reads_by_place(cfg, x) -> dict[tuple[int, int], int]:
    ptrs = storages_read(cfg, x)
    return {(layer, d): ptrs[f"cells.{cfg.cell_name(layer, d)}.weight"] for layer in range(cfg.depth)
            for d in range(cfg.dims)}


def test_tying_along_depth_is_one_storage_read_at_every_depth():
    x = torch.zeros(3, 4)
    tied = reads_by_place(GridConfig(in_dim=4, width=5, depth=4), x)
    untied = reads_by_place(GridConfig(in_dim=4, width=5, depth=4, tie_depth=False), x)
    assert len(set(tied.values())) == 1
    assert len(set(untied.values())) == 4
    n = sum(p.numel() for p in build_model("grid_lstm", GridConfig(in_dim=4, width=5, depth=9)).parameters())
    assert n == sum(p.numel() for p in build_model("grid_lstm", GridConfig(in_dim=4, width=5, depth=2)).parameters())


def test_the_two_tyings_of_a_2d_grid_are_different_options():
    x = torch.zeros(3, 2, 4)  # (T, B, 2I)
    base = dict(layout="time-depth", in_dim=2, width=3, depth=3)
    along = reads_by_place(GridConfig(**base), x)  # depth weights shared over layers, time weights per layer
    assert len({along[(layer, 1)] for layer in range(3)}) == 1
    assert len({along[(layer, 0)] for layer in range(3)}) == 3
    assert along[(0, 0)] != along[(0, 1)]
    dims = reads_by_place(GridConfig(**base, tie_depth=False, tie_dims=True), x)  # one set per block
    assert all(dims[(layer, 0)] == dims[(layer, 1)] for layer in range(3))
    assert len({dims[(layer, 0)] for layer in range(3)}) == 3


def one_block(cfg, seed=0):
    torch.manual_seed(seed)
    model = build_model("grid_lstm", cfg, seed=seed)
    x = torch.randint(0, 2, (5, cfg.in_dim)).float()
    return model, x


@pytest.mark.parametrize("out", ["paper", "standard"])
def test_a_1d_block_is_the_lstm_equation_of_its_output_form(out):
    cfg = GridConfig(in_dim=3, width=4, depth=1, out=out)
    model, x = one_block(cfg)
    P = dict(model.named_parameters())
    h0 = x @ P["edge_h.weight"].T + P["edge_h.bias"]
    m0 = x @ P["edge_m.weight"].T + P["edge_m.bias"]
    g = h0 @ P["cells.l0d0.weight"].T + P["cells.l0d0.bias"]
    u, f, o, c = torch.sigmoid(g[:, :4]), torch.sigmoid(g[:, 4:8]), torch.sigmoid(g[:, 8:12]), torch.tanh(g[:, 12:])
    m = f * m0 + u * c
    h = torch.tanh(o * m) if out == "paper" else o * torch.tanh(m)
    expected = (h @ P["head.weight"].T + P["head.bias"]).squeeze(-1)
    with torch.no_grad():
        assert torch.allclose(model(x), expected, atol=1e-6)
        other = build_model("grid_lstm", GridConfig(in_dim=3, width=4, depth=1,
                                                    out="standard" if out == "paper" else "paper"), seed=0)
        assert not torch.allclose(other(x), expected, atol=1e-4)  # the two forms differ


def test_the_priority_dimension_reads_the_new_time_state():
    cfg = GridConfig(layout="time-depth", in_dim=1, width=3, depth=1, cell="tanh")
    model = build_model("grid_lstm", cfg, seed=1)
    P = dict(model.named_parameters())
    x = torch.randn(2, 1, 2)  # (T, B, 2I)
    h_time = torch.zeros(1, 3)
    outs = []
    for t in range(2):
        h_depth = x[t] @ P["edge_h.weight"].T + P["edge_h.bias"]
        h_time = torch.tanh(torch.cat([h_time, h_depth], -1) @ P["cells.l0d0.weight"].T + P["cells.l0d0.bias"])
        h_depth = torch.tanh(torch.cat([h_time, h_depth], -1) @ P["cells.l0d1.weight"].T + P["cells.l0d1.bias"])
        outs.append(h_depth @ P["head.weight"].T + P["head.bias"])
    with torch.no_grad():
        assert torch.allclose(model(x), torch.stack(outs), atol=1e-6)


@pytest.mark.parametrize("inputs, reads_x", [("paper", False), ("lecture", True)])
def test_the_paper_form_reads_the_input_at_the_edge_only(inputs, reads_x):
    cfg = GridConfig(in_dim=4, width=5, depth=3, inputs=inputs)
    model, x = one_block(cfg)
    with torch.no_grad():
        for name in ("edge_h", "edge_m"):
            getattr(model, name).weight.zero_()
        changed = not torch.allclose(model(x), model(1 - x))
    assert changed == reads_x


def test_the_forget_bias_is_added_to_the_forget_gate_only():
    a = build_model("grid_lstm", GridConfig(in_dim=2, width=3, depth=1), seed=4).cells["l0d0"].bias.detach()
    b = build_model("grid_lstm", GridConfig(in_dim=2, width=3, depth=1, forget_bias=1.0), seed=4).cells["l0d0"].bias.detach()
    assert torch.equal(b - a, torch.tensor([0.0] * 3 + [1.0] * 3 + [0.0] * 6))


@pytest.mark.parametrize("changes, word", [(dict(layout="3-d"), "layouts: depth, time-depth"),
                                           (dict(cell="gru"), "cells: lstm, tanh"),
                                           (dict(out="peephole"), "forms: paper, standard"),
                                           (dict(tie_dims=True), "one dimension"), (dict(depth=0), "positive int")])
def test_a_bad_grid_config_is_refused_naming_the_valid_choices(changes, word):
    with pytest.raises(ValueError, match=word):
        GridConfig(**changes)


def test_the_parity_task_enumerates_every_string_and_labels_it():
    task = ParityTask(bits=5)
    x = task.strings(torch.Generator().manual_seed(0))
    assert x.shape == (32, 5) and len({tuple(r) for r in x.tolist()}) == 32
    assert parity(x).tolist() == [bin(i).count("1") % 2 for i in range(32)]
    assert task.floor == pytest.approx(math.log(2)) and 31 / 32 < task.solved_level() < 1
    big = ParityTask(bits=20).strings(torch.Generator().manual_seed(0))
    assert big.shape == (8192, 20)


def test_random_labels_are_independent_of_the_string():
    xs, ys = ParityTask(bits=3, batch=4000, labels="random").sample(torch.Generator().manual_seed(0))
    agree = (ys == parity(xs)).float().mean().item()
    assert abs(agree - 0.5) < 0.03  # 4000 fair coins: sd 0.008
    xs, ys = ParityTask(bits=3, batch=100).sample(torch.Generator().manual_seed(0))
    assert torch.equal(ys, parity(xs))


class Exact(torch.nn.Module):
    """Computes parity exactly (a logit of +-1), or a constant."""

    def __init__(self, constant=False):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.constant = constant

    def forward(self, x):
        return torch.full(x.shape[:1], 1.0) if self.constant else parity(x) * 2 - 1 + self.w


def test_the_accuracy_is_exact_over_every_string():
    s = Setting(model=GridConfig(in_dim=6), task=ParityTask(bits=6), measures=("parity_accuracy",))
    g = torch.Generator().manual_seed(0)
    assert parity_accuracy(Exact(), s, g) == 1.0
    assert parity_accuracy(Exact(constant=True), s, g) == 0.5
    assert MEASURES["parity_accuracy"].better == "higher" and MEASURES["parity_accuracy"].every == EVERY


def test_solved_is_a_crossing_on_the_accuracy_curve():
    task = ParityTask(bits=2, batch=16)
    solved = Crossing(level=task.solved_level(), window=1, side="above", curve="parity_accuracy", relative=False)
    s = Setting(model=GridConfig(in_dim=2, width=8, depth=2), task=task, lr=3e-2, steps=4 * EVERY, eval_batches=1,
                escape=solved, measures=("parity_accuracy",))
    r = run(s, 0)
    curve = r.curves["parity_accuracy"]
    assert len(curve) == 4 and all(v in (0.0, 0.25, 0.5, 0.75, 1.0) for v in curve)
    first = next((i for i, v in enumerate(curve) if v == 1.0), None)
    assert r.escape_step == (None if first is None else (first + 1) * EVERY)
    assert r.escape_step is not None  # 2-bit parity by a 2-layer grid in 100 Adam steps at lr 0.03
