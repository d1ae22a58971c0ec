"""Collects the measured ratios and prints one line per target at the end of the run."""

import pytest

RATIOS: dict[str, tuple[float, float]] = {}  # target -> (measured ratio, goal)
ORDER = ["CPU-tier scale vs plain loop", "lecture scale on CPU vs plain loop", "cached re-run of claims (first / cached)",
         "GPU lecture scale vs plain loop", "GPU grid in 5 minutes (300 s / measured)"]


@pytest.fixture
def record_ratio():
    def record(target: str, measured: float, goal: float) -> None:
        RATIOS[target] = (measured, goal)

    return record


def pytest_terminal_summary(terminalreporter):
    if not RATIOS:
        return
    terminalreporter.section("trainability targets")
    for target in sorted(RATIOS, key=lambda t: ORDER.index(t) if t in ORDER else len(ORDER)):
        measured, goal = RATIOS[target]
        terminalreporter.write_line(f"{target}: {measured:.2f}x (target >= {goal:g}x)")
