import doctest

import pytest
from hypothesis import given, strategies as st

from trainability.training import schedules
from trainability.training.schedules import constant, join, linear, warmup_steps, warmup_then


def test_docstring_examples():
    assert doctest.testmod(schedules).failed == 0


@given(warmup=st.integers(0, 50), peak=st.floats(1e-6, 1.0), total=st.integers(51, 200))
def test_warmup_ramps_monotonically_to_peak_then_holds(warmup, peak, total):
    s = warmup_then(warmup, peak)
    lrs = [s(t) for t in range(total)]
    assert all(x <= y * (1 + 1e-12) for x, y in zip(lrs, lrs[1:]))
    assert lrs[max(warmup - 1, 0)] == pytest.approx(peak) and lrs[-1] == pytest.approx(peak)
    assert lrs[0] == pytest.approx(peak / warmup if warmup else peak)


def test_lecture_warmup_is_ten_steps_of_a_thousand():
    assert warmup_steps(0.01, 1000) == 10
    s = warmup_then(10, 1e-3)
    assert [round(s(t) / 1e-4) for t in range(12)] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10]


def test_join_composes_any_schedules():
    s = join([constant(1.0), linear(1.0, 0.0, 10), constant(0.5)], [5, 15])
    assert [s(0), s(4), s(5), s(10), s(15), s(99)] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5]


@pytest.mark.parametrize("call, match", [
    (lambda: constant(0.0), "value must be positive"),
    (lambda: linear(0, 1, 0), "steps must be positive"),
    (lambda: warmup_then(-1, 1e-3), "warmup must be a non-negative int"),
    (lambda: warmup_steps(1.5, 100), r"fraction must be in \[0, 1\]"),
    (lambda: join([constant(1.0)], [3]), "len\\(boundaries\\) \\+ 1"),
    (lambda: join([constant(1.0)] * 3, [5, 2]), "sorted"),
])
def test_bad_schedules_are_rejected(call, match):
    with pytest.raises(ValueError, match=match):
        call()
