"""What a run is: a Setting (everything but the seed), a seed, the run's named random streams,
and the RunResult it produces. Nothing here trains; the engines (trainability.engines) do.

A run is (Setting, seed) -> RunResult. Its random streams are split from the seed in one place,
``Streams.of(seed)``:
    init     the model's construction (PyTorch's default init)
    reinit   the setting's init scheme, applied after construction
    data     the training batches (fresh every step, as in the lecture)
    dropout  the dropout masks (see engines: a masks.MaskStream on the CPU for models that declare
             one, else PyTorch's RNG seeded with it)
    test     the evaluation batches
Paired comparisons use the same seed for both settings, so they see the same init (where the
init scheme is the same), the same data and the same dropout stream.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from dataclasses import dataclass, field

import torch

from .inits import check_init
from .models import MODELS, TransformerConfig
from .schedules import SCHEDULES
from .tasks import LectureTask

EVAL_MODES = ("train", "eval")


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
class Setting:
    """Everything that defines a run except its seed. Defaults: the lecture's "default" row."""

    model: TransformerConfig = TransformerConfig()  # sizes, layout
    task: LectureTask = LectureTask()  # batch (16), length (10), in_dim (50)
    model_name: str = "lecture_transformer"  # key into models.MODELS
    init: str = "default"  # key into inits.INITS
    init_scale: float | None = None  # std for "normal", bound for "uniform"
    init_rule: str = "matrices"  # "matrices" (dim > 1) or "all" (LayerNorm too)
    lr: float = 1e-3  # Adam's peak learning rate (default betas, eps)
    warmup: int = 0  # linear warm-up steps; the lecture's "1%" of 1000 steps is 10
    schedule: str = "constant"  # after warm-up: key into schedules.SCHEDULES (the lecture's: constant)
    steps: int = 1000  # optimizer steps
    eval_batches: int = 1000  # the lecture's "test": fresh batches, no optimizer steps
    eval_mode: str = "train"  # "train": the lecture's test, dropout on; "eval": dropout off
    escape_level: float = 3.0  # escaped: running training loss below this (floor is 3.5)
    escape_window: int = 50  # running-mean window for the escape step
    replicate: int = 0  # > 0: independent random streams under the same seed (A/A placebo claims)

    def __post_init__(self) -> None:
        if self.model_name not in MODELS:
            raise ValueError(f"unknown model {self.model_name!r}; valid models: {', '.join(sorted(MODELS))}")
        spec = MODELS[self.model_name]
        if not isinstance(self.model, spec.config):
            raise ValueError(f"model {self.model_name!r} takes a {spec.config.__name__}, "
                             f"got a {type(self.model).__name__}")
        check_init(self.init, self.init_scale, self.init_rule)
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive finite number, got {self.lr!r}")
        if not isinstance(self.replicate, int) or self.replicate < 0:
            raise ValueError(f"replicate must be a non-negative int, got {self.replicate!r}")
        for name in ("steps", "escape_window"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) <= 0:
                raise ValueError(f"{name} must be a positive int, got {getattr(self, name)!r}")
        if not isinstance(self.eval_batches, int) or self.eval_batches <= 0:
            raise ValueError(f"eval_batches must be a positive int (the test loss is the run's reported number: "
                             f"at least one test batch), got {self.eval_batches!r}")
        if not isinstance(self.warmup, int) or not 0 <= self.warmup <= self.steps:
            raise ValueError(f"warmup must be an int of steps in [0, steps={self.steps}], got {self.warmup!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; valid schedules: {', '.join(SCHEDULES)}")
        if self.eval_mode not in EVAL_MODES:
            raise ValueError(f"unknown eval_mode {self.eval_mode!r}; valid: {', '.join(EVAL_MODES)}")
        if self.model.in_dim != self.task.in_dim:
            raise ValueError(f"model.in_dim ({self.model.in_dim}) != task.in_dim ({self.task.in_dim})")

    @property
    def dropout(self) -> float:
        """The model's dropout rate (0 for models without dropout: the sequence CNN and RNN)."""
        return getattr(self.model, "dropout", 0.0)

    @property
    def test_has_dropout(self) -> bool:
        """Whether the test loss is taken with dropout active (the lecture's train-mode test of a
        model with dropout). Otherwise the dropout-off test loss is the same number, and the
        engines measure it once."""
        return self.eval_mode == "train" and self.dropout > 0

    def describe(self) -> str:
        """Short human label: the lr and warm-up, and what else differs from the defaults."""
        defaults = {f.name: f.default for f in dataclasses.fields(Setting)}
        parts = [f"lr={self.lr:g}", f"warmup={self.warmup}"]
        for f in ("init", "init_scale", "init_rule", "schedule", "eval_mode", "replicate"):
            if getattr(self, f) != defaults[f]:
                parts.append(f"{f}={getattr(self, f)}")
        if self.model_name != defaults["model_name"]:
            parts.insert(0, self.model_name)
        return ", ".join(parts)


@dataclass
class RunResult:
    setting: Setting
    seed: int
    losses: list[float]  # training loss per step (shorter than setting.steps if diverged)
    test_loss: float  # mean loss over the evaluation batches; inf if diverged
    diverged_at: int | None  # step at which a loss was NaN/Inf, else None
    escape_step: int | None  # first step where the running loss < escape_level, else None
    seconds: float
    device: str
    torch_version: str = field(default_factory=lambda: str(torch.__version__))
    test_loss_nodrop: float = math.inf  # the same test batches with dropout off (model.eval()); inf if diverged

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def final(self) -> float:
        """The lecture's reported number: the "test" loss (inf when diverged)."""
        return math.inf if self.diverged else self.test_loss

    @property
    def final_nodrop(self) -> float:
        """The test loss with dropout off (the eval-mode control; inf when diverged)."""
        return math.inf if self.diverged else self.test_loss_nodrop

    @property
    def escape(self) -> int:
        """Steps to escape the plateau, censored at the run length ("never" = steps)."""
        return self.setting.steps if self.escape_step is None else self.escape_step


def escape_step(losses: list[float], level: float, window: int) -> int | None:
    """First step count t (1-based) with mean(losses[t - window : t]) < level, else None.

    >>> escape_step([3.5] * 5 + [0.1] * 5, level=3.0, window=4)
    6
    """
    if len(losses) < window:
        return None
    running = sum(losses[:window])
    for t in range(window, len(losses) + 1):
        if t > window:
            running += losses[t - 1] - losses[t - 1 - window]
        if running / window < level:
            return t
    return None


def finish(setting: Setting, seed: int, losses: list[float], diverged_at: int | None, test_loss: float,
           seconds: float, device, test_loss_nodrop: float = math.inf) -> RunResult:
    """The end of a run, for every engine: a non-finite test loss marks the run diverged at its
    last step (test loss inf), and the escape step is read off the training curve."""
    if diverged_at is not None:
        test_loss = test_loss_nodrop = math.inf
    elif not (math.isfinite(test_loss) and math.isfinite(test_loss_nodrop)):
        diverged_at, test_loss, test_loss_nodrop = setting.steps, math.inf, math.inf
    return RunResult(setting=setting, seed=seed, losses=losses, test_loss=test_loss, diverged_at=diverged_at,
                     escape_step=escape_step(losses, setting.escape_level, setting.escape_window),
                     seconds=seconds, device=str(device), test_loss_nodrop=test_loss_nodrop)
