"""Systems: what is trained. One module per system holds its config, its nn.Module and (optionally)
its member-batched forward, and ends with its registry entry (a ``System``, systems.spec):

    transformer   the lecture's nn.TransformerEncoder model (L5-L12)
    cnn           a 1-D CNN over the sequence axis (L11, L12)
    rnn           a recurrent stack: tanh, GRU, LSTM (L11, L12)

``SYSTEMS`` is the registry, a plain dict name -> System, filled from this folder: every module
with a ``SYSTEM`` (and its registry ``NAME``) is one, found when the package is imported. Adding a
system is adding its file; nothing here changes, so no other system's stored runs are re-keyed
(runs.keys). A user's own model joins with ``register_system`` (trainability.register_system),
at import time, so that worker processes that import the user's script register it too. A
Setting finds its system from its config's type.
"""

from __future__ import annotations

import importlib
import pkgutil

import torch
from torch import nn

from .spec import System


def _discover() -> dict[str, System]:
    """{NAME: SYSTEM} of every module of this folder that defines a SYSTEM, in file-name order."""
    out = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if isinstance(getattr(module, "SYSTEM", None), System):
            out[module.NAME] = module.SYSTEM
    return out


SYSTEMS: dict[str, System] = _discover()


def register_system(name: str, system: System) -> System:
    """Add ``system`` to SYSTEMS under ``name`` and return it. Registering the same system again is
    a no-op (a script imported again by a worker process runs its registration again); another
    system under a registered name, or a config type another name already has, is an error."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"a system's name is a non-empty string, got {name!r}")
    if not isinstance(system, System):
        raise TypeError(f"register_system takes a trainability.System, got {type(system).__name__}")
    have = SYSTEMS.get(name)
    if have is not None and have != system and not _same_definition(have, system):
        raise ValueError(f"a different system is registered as {name!r} already; registered: {', '.join(SYSTEMS)}")
    for other, s in SYSTEMS.items():
        if other != name and s.config is system.config:
            raise ValueError(f"config {system.config.__name__} is registered as system {other!r} already: one "
                             "config type per system, so that a Setting finds its system from its config")
    SYSTEMS[name] = system
    return system


def _same_definition(a: System, b: System) -> bool:
    """The same classes defined again (a module imported twice): same qualified names throughout."""
    def names(s: System):
        return tuple(getattr(getattr(s, f), "__qualname__", repr(getattr(s, f))) for f in ("config", "module", "forward"))
    return names(a) == names(b)


def system_name(cfg) -> str:
    """The registered name of the system whose config type ``cfg`` is."""
    for name, s in SYSTEMS.items():
        if type(cfg) is s.config:
            return name
    raise ValueError(f"no system takes a {type(cfg).__name__} config; register yours with "
                     f"trainability.register_system(name, trainability.System(config={type(cfg).__name__}, module=...)); "
                     f"registered systems: {', '.join(f'{n} ({s.config.__name__})' for n, s in SYSTEMS.items())}")


def get_system(name: str) -> System:
    if name not in SYSTEMS:
        raise ValueError(f"unknown system {name!r}; valid models: {', '.join(sorted(SYSTEMS))}")
    return SYSTEMS[name]


def build_model(name: str, cfg=None, *, seed: int | None = None) -> nn.Module:
    """Build system ``name`` from ``cfg`` (its config's defaults when None).

    With ``seed``, PyTorch's default initialisation draws from a forked global RNG seeded with
    it, so construction is reproducible and leaves the caller's RNG untouched.
    """
    spec = get_system(name)
    cfg = spec.config() if cfg is None else cfg
    if not isinstance(cfg, spec.config):
        raise TypeError(f"model {name!r} takes a {spec.config.__name__}, got {type(cfg).__name__}")
    if seed is None:
        return spec.module(cfg)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return spec.module(cfg)


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


__all__ = ["SYSTEMS", "System", "register_system", "system_name", "get_system", "build_model", "n_params"]
