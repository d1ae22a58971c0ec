"""What the library needs to know about a system: one ``System`` per registry entry
(trainability.systems.SYSTEMS), written beside the system's config and module in its own file.

Notation (shape comments throughout the systems): K members of a batch of runs (a leading axis of
every stacked parameter and activation in a batched forward); the rest per system.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class System:
    """A registry entry. Only ``config`` and ``module`` are required: the plain engine runs any
    nn.Module; batching, a counter-based dropout stream and the declared properties are options."""

    config: type  # its frozen config dataclass; a variant is dataclasses.replace(cfg, ...)
    module: Callable[[Any], Any]  # module(cfg) -> the nn.Module; PyTorch's default init from the global RNG
    # forward(P, x, setting, drop) -> y for K members at once: P the stacked parameters {name: (K, ...)}
    # named as module(cfg).named_parameters() names them, x (K, ...) the task's batch per member, drop the
    # members' dropout (called as drop(x) and drop.relu(a)); None: the system runs on the plain engine only
    forward: Callable | None = None
    dropout_stream: bool = False  # its dropouts can come from a training.masks.MaskStream (masks.install) on the CPU
    causal: Callable[[Any], bool] | None = None  # cfg -> True when output t reads inputs 0..t only (along dim 0)
    examples: Callable[[], list] | None = None  # () -> [(cfg, task)]: small instances the per-system checks run
    measures: tuple[str, ...] = ()  # measurements (trainability.measure.MEASURES) every run of it records

    def __post_init__(self) -> None:
        if not (isinstance(self.config, type) and dataclasses.is_dataclass(self.config)
                and self.config.__dataclass_params__.frozen):
            raise TypeError(f"System.config must be a frozen dataclass type (@dataclass(frozen=True)), got "
                            f"{self.config!r}: a config is part of a run's identity and store key")
        if not callable(self.module):
            raise TypeError(f"System.module must be callable as module(cfg) -> nn.Module, got {self.module!r}")
        for name in ("forward", "causal", "examples"):
            value = getattr(self, name)
            if value is not None and not callable(value):
                raise TypeError(f"System.{name} must be callable or None, got {value!r}")
        if isinstance(self.measures, str) or not all(isinstance(m, str) for m in self.measures):
            raise TypeError(f"System.measures is a tuple of measurement names, got {self.measures!r}")

    @property
    def batched(self) -> bool:
        """Whether the batched engine can run it (it has a member-batched forward)."""
        return self.forward is not None
