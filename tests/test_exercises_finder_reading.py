"""check_iterations_per_decade and check_correction_fades (10, exercises 1 and 2): measured on
course.lr_finder, hints per mistake."""
import math

import pytest

from course import lr_finder
from course.classroom import exercises as E
from course.classroom.exercises import finder_reading

from checker_helpers import stub, verdict


def per_decade(s, e, n):
    return (n - 1) / math.log10(e / s)


def fades(b, t):
    i = 0
    while b ** (i + 1) >= t:
        i += 1
    return i


@pytest.mark.parametrize("check", [E.check_iterations_per_decade, E.check_correction_fades])
def test_a_stub_is_not_implemented_yet(check):
    result, out = verdict(check, stub)
    assert result is False and "not implemented yet" in out


def test_the_references_pass():
    assert verdict(E.check_iterations_per_decade, per_decade)[0] is True
    assert verdict(E.check_correction_fades, fades)[0] is True


def test_the_sweep_takes_per_decade_iterations_to_grow_tenfold():
    from course.classroom.exercises.practice import _finder_run
    lrs = _finder_run(1e-4, 1.0, 41).lrs  # 10 iterations per decade
    assert lrs[10] / lrs[0] == pytest.approx(10, rel=1e-12) and lrs[20] / lrs[10] == pytest.approx(10, rel=1e-12)


@pytest.mark.parametrize("beta, tol", [(0.98, 0.01), (0.9, 0.05), (0.5, 1e-3)])
def test_fades_is_measured_on_the_smoother_and_independent_of_the_losses(beta, tol):
    i = finder_reading._fades(beta, tol)
    assert beta ** (i + 1) < tol <= beta ** i
    s = lr_finder.LossSmoother(beta=beta)
    for k, loss in enumerate([3.0, 1.0, 7.0, 2.0] * (i // 4 + 2)):  # other losses, the same relative gap
        corrected = s.add(loss)
        assert (corrected - s.avg) / corrected == pytest.approx(beta ** (k + 1), rel=1e-9)


@pytest.mark.parametrize("check, wrong, words", [
    (E.check_iterations_per_decade, lambda s, e, n: n / math.log10(e / s), "num_iter - 1"),
    (E.check_iterations_per_decade, lambda s, e, n: math.log10(e / s) / (n - 1), "upside down"),
    (E.check_iterations_per_decade, lambda s, e, n: (n - 1) / math.log(e / s), "log10"),
    (E.check_correction_fades, lambda b, t: fades(b, t) + 1, "beta ** (i + 1)"),
    (E.check_correction_fades, lambda b, t: max(fades(b, t) - 1, 0), "round up"),
    (E.check_correction_fades, lambda b, t: 0.5, "whole number"),
])
def test_a_mistake_gets_its_hint(check, wrong, words):
    result, out = verdict(check, wrong)
    assert result is False and words in out and "case" in out, out
