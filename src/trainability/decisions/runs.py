"""One setting's runs on a claim's seeds, as (seeds,) arrays of named metrics, and what each metric
is: which way is better, what a diverged run counts as, whether it is a loss in units of the
task's floor.

Built-in metrics (training.result):
    final         the lecture's test loss (lower is better; inf when diverged)
    final_nodrop  the same with dropout off (lower; inf when diverged)
    escape        steps to escape, censored at the run length (lower; the run length when never)
and every run measurement registered in trainability.measure, by its name ("name.key" for a
measurement that returns several values), with the direction it was registered with; a run that
recorded none (it diverged) counts as its worst value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..measure import MEASURES

BUILTIN = {"final": ("the test loss", "lower", True), "final_nodrop": ("the test loss with dropout off", "lower", True),
           "escape": ("steps to escape", "lower", False)}  # name -> (what, better, a loss in floor units)


def check_metric(name: str) -> None:
    """Raise ValueError naming the valid metrics for an unknown one."""
    if name in BUILTIN or name.split(".")[0] in MEASURES:
        return
    registered = f", or a registered measurement ({', '.join(MEASURES)})" if MEASURES else \
        " (or a measurement registered with trainability.register_measure)"
    raise ValueError(f"unknown metric {name!r}; valid metrics: {', '.join(BUILTIN)}{registered}")


def better(name: str) -> str:
    """"lower" or "higher": which way metric ``name`` is better."""
    return BUILTIN[name][1] if name in BUILTIN else MEASURES[name.split(".")[0]].better


def is_loss(name: str) -> bool:
    """Whether the metric is a loss (its levels are read in units of the task's floor)."""
    return name in BUILTIN and BUILTIN[name][2]


def what(name: str) -> str:
    return {"final": "loss", "final_nodrop": "loss (dropout off)", "escape": "steps to escape"}.get(name, name)


@dataclass(frozen=True)
class Runs:
    """One setting's runs on a claim's seeds, as (seeds,) arrays."""

    final: np.ndarray  # the test loss; inf when diverged
    escape: np.ndarray  # steps to escape the plateau, censored at the run length
    escaped: np.ndarray  # bool: escaped within the run
    floor: float  # the task's best constant loss
    steps: int
    final_nodrop: np.ndarray | None = None  # the test loss with dropout off (eval mode); None: as final
    measured: dict[str, np.ndarray] = field(default_factory=dict)  # run measurements; nan: not recorded

    def __post_init__(self) -> None:
        if self.final_nodrop is None:
            object.__setattr__(self, "final_nodrop", self.final)

    @classmethod
    def of(cls, results) -> "Runs":
        names = sorted({k for r in results for k in r.measured})
        return cls(final=np.array([r.final for r in results], float),
                   final_nodrop=np.array([r.final_nodrop for r in results], float),
                   escape=np.array([r.escape for r in results], float),
                   escaped=np.array([r.escape_step is not None for r in results]),
                   floor=results[0].setting.task.floor, steps=results[0].setting.steps,
                   measured={k: np.array([r.measured.get(k, math.nan) for r in results], float) for k in names})

    def metric(self, name: str) -> np.ndarray:
        """(seeds,) values of metric ``name``; a run without it (diverged) counts as its worst."""
        if name in BUILTIN:
            return getattr(self, name)
        check_metric(name)
        worst = math.inf if better(name) == "lower" else -math.inf
        values = self.measured.get(name)
        if values is None:
            return np.full(len(self.final), worst)
        return np.where(np.isnan(values), worst, values)

    def oriented(self, name: str) -> np.ndarray:
        """The metric turned so that lower is better (a higher-is-better metric negated), with a
        diverged run at +inf: what stats' paired comparisons take."""
        v = self.metric(name)
        return v if better(name) == "lower" else -v
