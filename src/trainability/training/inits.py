"""Initialisation schemes, as a dict of small in-place functions, and the rule for which tensors
they touch.

Rules (which parameters a scheme re-draws):
    "matrices": only tensors with dim > 1 (weight matrices, the packed attention in_proj).
        Biases and LayerNorm keep PyTorch's defaults (0, and weight 1 / bias 0). This is what
        the lecture must have done for xavier_* / kaiming_*, which raise on 1-D tensors.
    "all": every parameter, LayerNorm weights and biases included. Only for schemes defined on
        1-D tensors (normal, uniform). With normal(0.002) or uniform(+-0.001) this all but zeros
        the LayerNorm gains: a candidate cause of the lecture's 2.95 / 3.44.

Schemes:
    default          leave PyTorch's construction as is (all L layers identical: deep copies)
    default_redrawn  PyTorch's default distributions, redrawn independently per tensor (breaks
                     the identical-layers symmetry without changing any distribution)
    xavier_uniform   U(+-sqrt(6 / (fan_in + fan_out)))
    xavier_normal    N(0, 2 / (fan_in + fan_out))
    kaiming_uniform  U(+-sqrt(6 / fan_in))          (nn.init defaults: a=0, gain sqrt(2))
    kaiming_normal   N(0, 2 / fan_in)
    normal           N(0, scale^2)                   (scale = std, required)
    uniform          U(+-scale)                      (scale = a, required)
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn

InitFn = Callable[[torch.Tensor, torch.Generator], None]
RULES = ("matrices", "all")


def _scaled(draw: Callable[[torch.Tensor, float, torch.Generator], object]):
    def factory(scale: float | None) -> InitFn:
        if scale is None or not scale > 0:
            raise ValueError(f"this init needs a positive scale, got {scale!r}")
        return lambda t, g: draw(t, scale, g)

    return factory


def _fixed(fn: Callable[..., object]):
    def factory(scale: float | None) -> InitFn:
        if scale is not None:
            raise ValueError(f"this init takes no scale, got {scale!r}")
        return lambda t, g: fn(t, generator=g)

    return factory


# name -> factory(scale) -> in-place init function. "default" and "default_redrawn" are handled
# by apply_init (they depend on the module, not only the tensor).
INITS: dict[str, Callable[[float | None], InitFn] | None] = {
    "default": None,
    "default_redrawn": None,
    "xavier_uniform": _fixed(nn.init.xavier_uniform_),
    "xavier_normal": _fixed(nn.init.xavier_normal_),
    "kaiming_uniform": _fixed(nn.init.kaiming_uniform_),
    "kaiming_normal": _fixed(nn.init.kaiming_normal_),
    "normal": _scaled(lambda t, s, g: nn.init.normal_(t, 0.0, s, generator=g)),
    "uniform": _scaled(lambda t, s, g: nn.init.uniform_(t, -s, s, generator=g)),
}
MATRIX_ONLY = ("xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal")


def check_init(name: str, scale: float | None = None, rule: str = "matrices") -> None:
    """Raise ValueError, naming the valid choices, for any bad (name, scale, rule)."""
    if name not in INITS:
        raise ValueError(f"unknown init {name!r}; valid inits: {', '.join(INITS)}")
    if rule not in RULES:
        raise ValueError(f"unknown init rule {rule!r}; valid rules: {', '.join(RULES)}")
    if name in ("default", "default_redrawn"):
        if scale is not None:
            raise ValueError(f"init {name!r} takes no scale, got {scale!r}")
        return
    if rule == "all" and name in MATRIX_ONLY:
        raise ValueError(f"init {name!r} is undefined on 1-D tensors; use rule 'matrices' with it")
    INITS[name](scale)  # raises on a bad scale


def touched(model: nn.Module, name: str, rule: str = "matrices") -> list[str]:
    """Names of the parameters that apply_init(model, name, rule=rule) re-draws."""
    if name == "default":
        return []
    if name == "default_redrawn":
        return [n for n, p in model.named_parameters()]
    return [n for n, p in model.named_parameters() if rule == "all" or p.dim() > 1]


@torch.no_grad()
def apply_init(
    model: nn.Module, name: str, scale: float | None = None, rule: str = "matrices", *, generator: torch.Generator
) -> nn.Module:
    """Re-initialise ``model`` in place with scheme ``name`` and return it."""
    check_init(name, scale, rule)
    if name == "default":
        return model
    if name == "default_redrawn":
        _redraw_default(model, generator)
        return model
    fn = INITS[name](scale)
    for _, p in model.named_parameters():
        if rule == "all" or p.dim() > 1:
            fn(p, generator)
    return model


def _redraw_default(model: nn.Module, g: torch.Generator) -> None:
    """PyTorch's default init, each tensor drawn afresh from ``g``.

    nn.Linear: weight kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in)), bias U(+-1/sqrt(fan_in)).
    nn.MultiheadAttention: in_proj_weight xavier_uniform on the packed (3D, D) matrix, in_proj_bias
    0, out_proj weight as nn.Linear, out_proj bias 0. nn.LayerNorm: weight 1, bias 0.
    """
    attention_out = set()
    for m in model.modules():
        if isinstance(m, nn.MultiheadAttention):
            nn.init.xavier_uniform_(m.in_proj_weight, generator=g)
            nn.init.zeros_(m.in_proj_bias)
            nn.init.kaiming_uniform_(m.out_proj.weight, a=math.sqrt(5), generator=g)
            nn.init.zeros_(m.out_proj.bias)
            attention_out.add(id(m.out_proj))
    for m in model.modules():
        if isinstance(m, nn.Linear) and id(m) not in attention_out:
            nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=g)
            bound = 1 / math.sqrt(m.weight.shape[1])
            nn.init.uniform_(m.bias, -bound, bound, generator=g)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
