"""Update rules, read by both engines: ``OPTIMIZERS`` maps a name (Setting.optimizer) to an
``Optimizer``, which builds the plain engine's torch optimizer and the batched engine's member
stepper, and may gate the scheduled lr per update. A member's update is the plain run's update
on that member's parameters, bitwise on the CPU (tests/test_optim.py).

    adam          torch.optim.Adam(fused=True), default betas (0.9, 0.999) and eps 1e-8: the lecture's
    radam         torch.optim.RAdam (foreach), the same betas and eps. Liu et al. 2019's rectified
                  Adam: with rho_inf = 2 / (1 - beta2) - 1 and rho_t = rho_inf - 2 t beta2^t /
                  (1 - beta2^t), an update t with rho_t > 5 is Adam's with the lr scaled by
                  r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t));
                  while rho_t <= 5 (the first 5 updates at beta2 0.999) it is an un-adapted
                  momentum step, theta -= lr m_hat
    radam-paper   the authors' code (LiyuanLucasLiu/RAdam radam.py, its default
                  degenerated_to_sgd=False): the same, except that while rho_t < 5 the moments
                  move and the parameters do not (here: torch's RAdam with the lr gated to 0
                  for those updates). The two differ in the first 5 updates only.

>>> [round(rho(t), 3) for t in (1, 5, 6)]
[1.0, 4.996, 5.994]
>>> [OPTIMIZERS["radam-paper"].lr_scale(t) for t in (1, 5, 6)]
[0.0, 0.0, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
from torch.optim.radam import radam as radam_update

BETAS, EPS = (0.9, 0.999), 1e-8  # Adam's defaults, as the lecture


def rho(t: int, beta2: float = BETAS[1]) -> float:
    """RAdam's length of the approximated simple moving average at update t (1-based)."""
    rho_inf = 2 / (1 - beta2) - 1
    return rho_inf - 2 * t * beta2**t / (1 - beta2**t)


def _adam(params, lr: float) -> torch.optim.Optimizer:
    """The fused kernel where this torch has it (the same update rule, ~10% faster per step on the
    CPU proxy), else the default loop."""
    params = list(params)
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=lr)


def _radam(params, lr: float) -> torch.optim.Optimizer:
    return torch.optim.RAdam(list(params), lr=lr, betas=BETAS, eps=EPS, foreach=True)


class MemberSteps:
    """The optimizer state of K members whose parameters are stacked on a leading axis
    ({name: (K, ...)}), stepped one member at a time on per-member views, so that a member's
    arithmetic is its plain run's. ``step(lrs)`` reads the stacked .grad and clears it; lr None
    skips a member (diverged: its state no longer matters)."""

    def __init__(self, params: dict[str, torch.Tensor], kind: str):
        self.params, self.kind = params, kind
        moments = [{n: torch.zeros_like(p) for n, p in params.items()} for _ in range(2)]  # m, v
        self._p, self._m, self._v = ([list(t) for t in zip(*(x.detach().unbind(0) for x in d.values()))]
                                     for d in (params, *moments))
        device = next(iter(params.values())).device
        k, n = len(self._p), len(params)
        if kind == "adam":  # one step count per member, shared by its tensors (the fused kernel reads it)
            self.steps = [[torch.zeros((), dtype=torch.float32, device=device)] * n for _ in range(k)]
        else:  # torch's RAdam counts per tensor (its functional form increments each one)
            self.steps = [[torch.zeros((), dtype=torch.float32, device=device) for _ in range(n)] for _ in range(k)]

    def step(self, lrs: list[float | None]) -> None:
        b1, b2 = BETAS
        with torch.no_grad():
            grads = zip(*(p.grad.unbind(0) for p in self.params.values()))  # member-major views
            for lr, steps, p, g, m, v in zip(lrs, self.steps, self._p, grads, self._m, self._v):
                if lr is None:
                    continue
                if self.kind == "adam":  # torch.optim.Adam(fused=True)'s call
                    steps[0].add_(1)
                    torch._fused_adam_(p, list(g), m, v, [], steps, amsgrad=False, lr=lr, beta1=b1, beta2=b2,
                                       weight_decay=0.0, eps=EPS, maximize=False)
                else:  # torch.optim.RAdam(foreach=True)'s call
                    radam_update(p, list(g), m, v, steps, foreach=True, beta1=b1, beta2=b2, lr=lr, weight_decay=0.0,
                                 eps=EPS)
            for p in self.params.values():
                p.grad = None


class StackedAdam:
    """Adam for K members stacked on a leading axis, one launch per operation and tensor for all
    of them: the device path's optimizer (on the GPU a per-member call is a launch per member and
    tensor). The update is torch's fused Adam's, with per-member lr and step counts as (K,)
    vectors; it equals the per-member kernel to float rounding, not bitwise (tests/test_optim.py).
    ``step(lrs, active)``: lrs (K,) the members' lr, active (K,) bool the members that update."""

    def __init__(self, params: dict[str, torch.Tensor]):
        self.params = params
        self.m = {n: torch.zeros_like(p) for n, p in params.items()}
        self.v = {n: torch.zeros_like(p) for n, p in params.items()}
        first = next(iter(params.values()))
        self.steps = torch.zeros(first.shape[0], dtype=torch.float32, device=first.device)

    def step(self, lrs: torch.Tensor, active: torch.Tensor) -> None:
        b1, b2 = BETAS
        with torch.no_grad():
            self.steps += active.to(self.steps.dtype)
            t = self.steps.clamp(min=1.0)
            size = torch.where(active, lrs / (1 - b1**t), torch.zeros_like(lrs))  # (K,): 0 for the idle
            root = (1 - b2**t).sqrt()
            for n, p in self.params.items():
                shape = (-1,) + (1,) * (p.dim() - 1)
                g = p.grad
                keep = active.view(shape)
                self.m[n].copy_(torch.where(keep, self.m[n].lerp(g, 1 - b1), self.m[n]))
                self.v[n].copy_(torch.where(keep, self.v[n] * b2 + (1 - b2) * g * g, self.v[n]))
                denom = self.v[n].sqrt() / root.view(shape) + EPS
                p.sub_(size.view(shape) * self.m[n] / denom)
                p.grad = None


@dataclass(frozen=True)
class Optimizer:
    """plain(params, lr) -> a torch optimizer (the engine rewrites its lr each step); members(stacked
    params) -> a MemberSteps; stacked(stacked params) -> a StackedAdam-like stepper for the device
    path (None: the device path steps members one at a time too); lr_scale(t) multiplies the
    scheduled lr of update t (1-based)."""

    plain: Callable
    members: Callable[[dict], MemberSteps]
    note: str
    lr_scale: Callable[[int], float] = field(default=lambda t: 1.0)
    stacked: Callable[[dict], StackedAdam] | None = None


OPTIMIZERS: dict[str, Optimizer] = {
    "adam": Optimizer(_adam, lambda params: MemberSteps(params, "adam"), "Adam, torch.optim.Adam(fused=True)",
                      stacked=StackedAdam),
    "radam": Optimizer(_radam, lambda params: MemberSteps(params, "radam"),
                       "RAdam as torch.optim.RAdam: momentum steps while rho_t <= 5"),
    "radam-paper": Optimizer(_radam, lambda params: MemberSteps(params, "radam"),
                             "RAdam as the authors' code (degenerated_to_sgd=False): no update while rho_t < 5",
                             lr_scale=lambda t: 1.0 if rho(t) >= 5 else 0.0),
}
