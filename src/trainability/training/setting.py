"""What a run is: a Setting (everything but the seed), a seed, and the run's named random
streams. Nothing here trains; the engines (training.engines) do, and training.result holds what
a run produces.

A run is (Setting, seed) -> RunResult. Its random streams are split from the seed in one place,
``Streams.of(seed)``:
    init     the model's construction (PyTorch's default init)
    reinit   the setting's init scheme, applied after construction
    data     the training batches (fresh every step, as in the lecture)
    dropout  the dropout masks (see engines: a masks.MaskStream on the CPU for systems that declare
             one, else PyTorch's RNG seeded with it)
    test     the evaluation batches
    measure  the run measurements' own randomness (trainability.measure)
Paired comparisons use the same seed for both settings, so they see the same init (where the
init scheme is the same), the same data and the same dropout stream.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from dataclasses import dataclass, field

import torch

from ..checks import choice, positive_int, positive_number
from ..measure import MEASURES
from ..systems import get_system, system_name
from ..systems.transformer import TransformerConfig
from ..tasks import LectureTask, check_task
from .inits import check_init
from .optim import OPTIMIZERS
from .schedules import SCHEDULES

EVAL_MODES = ("train", "eval")
SIDES = ("below", "above")
PRECISIONS = ("fp32", "tf32")


def derive_seed(*parts) -> int:
    """A stable 63-bit seed from any printable parts (Python's hash() is salted per process).

    >>> derive_seed(0, "L6", 3) == derive_seed(0, "L6", 3) != derive_seed(0, "L6", 4)
    True
    """
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


@dataclass(frozen=True)
class Streams:
    """A run's random streams, each a 63-bit seed derived from the run's seed and its name."""

    init: int  # model construction: PyTorch's default initialisation
    reinit: int  # the setting's init scheme (inits.apply_init)
    data: int  # training batches
    dropout: int  # dropout masks
    test: int  # evaluation batches
    measure: int  # the run measurements' randomness (trainability.measure)

    @classmethod
    def of(cls, seed: int, replicate: int = 0) -> "Streams":
        """The streams of run ``seed``; replicate r > 0 draws independent streams under the same
        seed index (an A/A placebo's second arm), replicate 0 the run's own."""
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        tag = () if replicate == 0 else (replicate,)
        return cls(**{f.name: derive_seed(seed, f.name, *tag) for f in dataclasses.fields(cls)})

    def generator(self, name: str, device: torch.device | str = "cpu") -> torch.Generator:
        """A torch.Generator on ``device`` seeded with stream ``name``."""
        return torch.Generator(device=device).manual_seed(getattr(self, name))


@dataclass(frozen=True)
class Crossing:
    """When a run "escapes": the first step at which a curve's running mean over ``window`` points
    is on ``side`` of ``level`` (x the task's floor when ``relative``). The lecture's: the 50-step
    running training loss below 3.0 = 6/7 x its floor 3.5. ``curve`` is "train_loss" (one point
    per step) or a run measurement taken every k steps (trainability.measure; its points are
    steps k, 2k, ...)."""

    level: float = 6 / 7  # x floor when relative: the lecture's 3.0 of 3.5
    window: int = 50  # points in the running mean (steps, for the training loss)
    side: str = "below"
    curve: str = "train_loss"
    relative: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.level, bool) or not (isinstance(self.level, (int, float)) and math.isfinite(self.level)):
            raise ValueError(f"an escape level must be a finite number, got {self.level!r}")
        if self.relative and self.level <= 0:
            raise ValueError(f"a relative escape level is a positive multiple of the floor, got {self.level!r}")
        positive_int(self.window, "escape window")
        choice(self.side, SIDES, "escape side")

    def threshold(self, floor: float) -> float:
        return self.level * floor if self.relative else self.level

    def describe(self, floor: float | None = None) -> str:
        level = f"{self.level:.3g} x floor" if self.relative else f"{self.level:g}"
        if floor is not None and self.relative:
            level += f" = {self.threshold(floor):.4g}"
        return f"running {self.curve} over {self.window} {self.side} {level}"


@dataclass(frozen=True)
class Setting:
    """Everything that defines a run except its seed. Defaults: the lecture's "default" row.

    ``model`` is any registered system's config (trainability.register_system); ``system`` is
    found from its type. ``task`` is any task (trainability.tasks.base: a frozen dataclass with
    floor, sample and loss). Both are checked here, before any run."""

    model: object = TransformerConfig()  # the system's config: sizes, layout
    task: object = LectureTask()  # batch (16), length (10), in_dim (50)
    system: str = ""  # the registered system (systems.SYSTEMS); "" finds it from the model's type
    init: str = "default"  # key into inits.INITS
    init_scale: float | None = None  # std for "normal", bound for "uniform"
    init_rule: str = "matrices"  # "matrices" (dim > 1) or "all" (LayerNorm too)
    optimizer: str = "adam"  # key into optim.OPTIMIZERS (the lecture's: Adam, default betas and eps)
    lr: float = 1e-3  # the optimizer's peak learning rate
    warmup: int = 0  # linear warm-up steps; the lecture's "1%" of 1000 steps is 10
    schedule: str = "constant"  # after warm-up: key into schedules.SCHEDULES (the lecture's: constant)
    steps: int = 1000  # optimizer steps
    eval_batches: int = 1000  # the lecture's "test": fresh batches, no optimizer steps
    eval_mode: str = "train"  # "train": the lecture's test, dropout on; "eval": dropout off
    escape: Crossing = Crossing()  # when a run escapes its plateau (the lecture's: running loss < 3.0 over 50 steps)
    measures: tuple[str, ...] = ()  # run measurements (measure.MEASURES) besides the system's own
    precision: str = "fp32"  # "tf32": TF32 matmuls and convolutions on CUDA (faster, ~1e-3 relative); no effect on the CPU
    replicate: int = 0  # > 0: independent random streams under the same seed (A/A placebo claims)

    def __post_init__(self) -> None:
        if not self.system:
            object.__setattr__(self, "system", system_name(self.model))
        spec = get_system(self.system)
        if not isinstance(self.model, spec.config):
            raise ValueError(f"model {self.system!r} takes a {spec.config.__name__}, got a {type(self.model).__name__}")
        check_task(self.task)
        check_init(self.init, self.init_scale, self.init_rule)
        choice(self.optimizer, OPTIMIZERS, "optimizer", "optimizers")
        positive_number(self.lr, "lr")
        if not isinstance(self.replicate, int) or isinstance(self.replicate, bool) or self.replicate < 0:
            raise ValueError(f"replicate must be a non-negative int, got {self.replicate!r}")
        positive_int(self.steps, "steps")
        positive_int(self.eval_batches, "eval_batches",
                     " (the test loss is the run's reported number: at least one test batch)")
        if not isinstance(self.warmup, int) or not 0 <= self.warmup <= self.steps:
            raise ValueError(f"warmup must be an int of steps in [0, steps={self.steps}], got {self.warmup!r}")
        choice(self.schedule, SCHEDULES, "schedule", "schedules")
        choice(self.eval_mode, EVAL_MODES, "eval_mode")
        choice(self.precision, PRECISIONS, "precision")
        if not isinstance(self.escape, Crossing):
            raise ValueError(f"escape must be a Crossing (the escape rule), got {self.escape!r}")
        if isinstance(self.measures, str) or not isinstance(self.measures, tuple):
            raise ValueError(f"measures must be a tuple of measurement names, got {self.measures!r}")
        for name in self.all_measures:
            choice(name, MEASURES, "measurement", "measurements (trainability.register_measure)")
        if self.escape.curve != "train_loss":
            if self.escape.curve not in self.all_measures or MEASURES[self.escape.curve].every is None:
                periodic = [m for m in self.all_measures if MEASURES[m].every is not None]
                raise ValueError(f"the escape rule reads curve {self.escape.curve!r}, which this setting does not "
                                 f"measure during training; valid: train_loss, {', '.join(periodic) or '(no periodic measurement)'}")
        a, b = getattr(self.model, "in_dim", None), getattr(self.task, "in_dim", None)
        if a is not None and b is not None and a != b:
            raise ValueError(f"model.in_dim ({a}) != task.in_dim ({b})")

    @property
    def all_measures(self) -> tuple[str, ...]:
        """The run measurements this setting records: its system's, then its own."""
        return tuple(dict.fromkeys((*get_system(self.system).measures, *self.measures)))

    @property
    def dropout(self) -> float | None:
        """The model's dropout rate from its config (0 for the sequence CNN and RNN); None when the
        config does not say (a user's system: the plain engine then looks at the module)."""
        return getattr(self.model, "dropout", None)

    @property
    def test_has_dropout(self) -> bool:
        """Whether the test loss is taken with dropout active (the lecture's train-mode test of a
        model with dropout). Otherwise the dropout-off test loss is the same number, and the
        engines measure it once. A config without a dropout field says no here; the plain engine
        then looks for active dropout modules in the model itself."""
        return self.eval_mode == "train" and (self.dropout or 0) > 0

    def describe(self) -> str:
        """Short human label: the lr and warm-up, and what else differs from the defaults."""
        defaults = {f.name: f.default for f in dataclasses.fields(Setting)}
        parts = [f"lr={self.lr:g}", f"warmup={self.warmup}"]
        for f in ("init", "init_scale", "init_rule", "optimizer", "schedule", "eval_mode", "precision", "replicate"):
            if getattr(self, f) != defaults[f]:
                parts.append(f"{f}={getattr(self, f)}")
        if self.system != "lecture_transformer":
            parts.insert(0, self.system)
        return ", ".join(parts)
