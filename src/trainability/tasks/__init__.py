"""Tasks: what a run learns. The protocol (tasks.base: a frozen dataclass with a floor, sample and
loss, checked when a Setting is built) and the project's task families, one module each:

    lecture    the lecture's regression task, (a + 1)^2 + b (L6-L10)
    sequence   causal sequence tasks with exact information limits (L11, L12)
"""

from .base import Task, check_task, half_mse, half_mse_members
from .lecture import LectureTask
from .sequence import SEQUENCE_KINDS, SequenceTask

__all__ = ["Task", "check_task", "half_mse", "half_mse_members", "LectureTask", "SequenceTask", "SEQUENCE_KINDS"]
