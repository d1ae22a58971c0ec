"""Session progress a person can follow on long suites: at most every ``every`` seconds one line
with claims done / total as a bar, elapsed time, an estimate of the time left, the claim running
now and for how long, and (in a single pytest process) its runs done / asked. A line, not a
carriage-return bar, so that it reads the same on a terminal and in a CI log. Standard library
only: the plugin loads it without torch.

    [trainability] [######--------------] 12/41 claims, 3m10s elapsed, ~7m left; now test_x (45s, runs 24/72)

Lines are written from the main thread only, where pytest can lift its output capture: at each
claim's start and end, and while a claim waits for its runs (pool.Runner calls ``tick`` about once
a second). Under xdist the controller sees claims start and end, not their runs.

The time left is the mean time per finished claim times the claims left: claims differ, so it is
a rough guide that sharpens as the session goes on.
"""

from __future__ import annotations

import sys
import time

RUNS = {"done": 0, "asked": 0}  # pool.Runner's count for the claim running in this process
_ACTIVE: list = []  # the session's SessionProgress, while one runs in this process


def tick() -> None:
    """Called by long waits (pool.Runner): emit a progress line if one is due."""
    if _ACTIVE:
        _ACTIVE[0].maybe_emit()


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}m{s:02d}s" if m else f"{s}s"


class SessionProgress:
    def __init__(self, total: int, every: float = 20.0, emit=None, width: int = 20):
        self.total, self.every, self.width = total, every, width
        self.emit = emit or (lambda line: print(line, file=sys.stderr, flush=True))
        self.done, self.current, self.started_current = 0, None, None
        self.start = self.last = time.time()

    def begin(self) -> "SessionProgress":
        if self.every > 0:
            _ACTIVE[:] = [self]
        return self

    def stop(self) -> None:
        if _ACTIVE and _ACTIVE[0] is self:
            _ACTIVE.clear()

    def started(self, name: str) -> None:
        self.current, self.started_current = name, time.time()
        RUNS.update(done=0, asked=0)
        self.maybe_emit()

    def finished(self) -> None:
        self.done += 1
        self.current = None
        self.maybe_emit()

    def maybe_emit(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        if self.every > 0 and now - self.last >= self.every:
            self.last = now
            self.emit(self.line(now))

    def line(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        elapsed = now - self.start
        filled = round(self.width * self.done / self.total) if self.total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        left = f"~{_clock(elapsed / self.done * (self.total - self.done))} left" if self.done else "estimating"
        text = f"[trainability] [{bar}] {self.done}/{self.total} claims, {_clock(elapsed)} elapsed, {left}"
        if self.current is not None:
            runs = f", runs {RUNS['done']}/{RUNS['asked']}" if RUNS["asked"] else ""
            text += f"; now {self.current} ({_clock(now - self.started_current)}{runs})"
        return text
