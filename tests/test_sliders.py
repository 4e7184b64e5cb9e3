"""Slider grids hold the start value, so the browser's snapping leaves it as it is."""
import math

import pytest
from hypothesis import given, strategies as st

from course.classroom.widgets.sliders import log_min, notch
from course.classroom.widgets import make_control
from course.classroom.widgets import make_slider


def on_grid(lo, step, value):
    k = (value - lo) / step
    return abs(k - round(k)) < 1e-6


@pytest.mark.parametrize("lo, hi, value", [(0.0, 0.99, 0.9), (0.5, 0.9999, 0.999), (0.0, 1.0, 0.37),
                                           (1e-3, 3.0, 0.5), (0.05, 0.95, 0.1)])
def test_notch_is_round_and_holds_the_value(lo, hi, value):
    step = notch(lo, hi, value)
    assert on_grid(lo, step, value)
    assert step <= (hi - lo) / 200 * (1 + 1e-9)
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert min(abs(mantissa - m) for m in (1, 2, 5)) < 1e-9


def test_notch_falls_back_to_even_notches_for_an_awkward_value():
    assert notch(0.0, 1.0, math.pi / 10) == pytest.approx(1 / 200)


@given(st.floats(1e-6, 1.0), st.floats(1.0, 1e3), st.floats(0.0, 1.0), st.sampled_from([0.02, 0.05, 0.25]))
def test_log_min_starts_at_or_above_lo_with_the_value_on_the_grid(lo, span, frac, step):
    hi = lo * span * 10
    value = lo * (hi / lo) ** frac
    start = log_min(lo, value, step)
    assert math.log10(lo) - 1e-9 <= start <= math.log10(value) + 1e-9
    assert start < math.log10(lo) + step
    assert on_grid(start, step, math.log10(value))


@pytest.mark.parametrize("spec, value", [((0.0, 0.99, 0.9), 0.9), ((1e-3, 3.0, 0.05, "log"), 0.05)])
def test_explorer_sliders_keep_their_start_value_on_the_grid(spec, value):
    s = make_slider("x", spec)
    assert s.value == value
    assert on_grid(s.min, s.step, math.log10(value) if spec[-1] == "log" else value)


@pytest.mark.parametrize("spec, value", [((0.05, 0.95, 0.13), 0.13), ((1e-4, 1.0, 0.03, "log"), 0.03)])
def test_scheduler_controls_keep_their_start_value_on_the_grid(spec, value):
    s = make_control("x", spec)
    assert s.value == pytest.approx(value)
    assert on_grid(s.min, s.step, math.log10(value) if spec[-1] == "log" else value)
