"""Checks for the derive exercises 1 and 2 of notebook 10 (the LR finder): answers measured on
``course.lr_finder``.

>>> def iterations_per_decade(start_lr, end_lr, num_iter):
...     return (num_iter - 1) / math.log10(end_lr / start_lr)
>>> check_iterations_per_decade(iterations_per_decade)
✓ check_iterations_per_decade: all 4 cases match the lrs of course.lr_finder.lr_find.
True
>>> def correction_fades(beta, tolerance):
...     i = 0
...     while beta ** (i + 1) >= tolerance:
...         i += 1
...     return i
>>> check_correction_fades(correction_fades)
✓ check_correction_fades: all 5 cases match course.lr_finder.LossSmoother, iteration by iteration.
True
"""
from __future__ import annotations

import math

from ... import lr_finder
from ._checking import checker
from .practice import _as_float, _finder_run, _int_answer, _number_mismatch, _run, _value

__all__ = ["check_iterations_per_decade", "check_correction_fades"]

RTOL = 1e-10  # float32 inputs move the answer by ~2e-9 (cases 1, 2); float64 rounding by ~1e-15


@checker
def check_iterations_per_decade(iterations_per_decade) -> bool:
    """``iterations_per_decade(start_lr, end_lr, num_iter) -> float``: how many iterations of
    ``lr_find``'s sweep multiply the lr by 10."""
    cases = [{"desc": f"start_lr={s:g}, end_lr={e:g}, num_iter={n}", "args": (s, e, n)}
             for s, e, n in [(3e-5, 7.0, 100), (1.3e-6, 3.0, 50), (1e-3, 0.2, 7), (2e-4, 1.0, 41)]]

    def expect(case):
        lrs = _finder_run(*case["args"]).lrs  # the real sweep's lrs: measured, not the closed form
        return (len(lrs) - 1) * math.log(10) / math.log(lrs[-1] / lrs[0])

    def check(case, expected):
        s, e, n = case["args"]
        got = _as_float(_value(iterations_per_decade, s, e, n), "a number of iterations")
        if math.isclose(got, expected, rel_tol=RTOL):
            return None
        decades = math.log10(e / s)
        if math.isclose(got, n / decades, rel_tol=1e-6):
            hint = "num_iter lrs have num_iter - 1 steps between them (the first is start_lr, the last end_lr)."
        elif math.isclose(got, decades / (n - 1), rel_tol=1e-6):
            hint = "that is decades per iteration: turn it upside down."
        elif math.isclose(got, (n - 1) / math.log(e / s), rel_tol=1e-6):
            hint = "that counts iterations per factor e; a decade is a factor 10 (log10)."
        else:
            hint = "each iteration multiplies the lr by (end_lr / start_lr) ** (1 / (num_iter - 1)); how many make 10?"
        return _number_mismatch(got, expected, hint)

    return _run("check_iterations_per_decade", "the lrs of course.lr_finder.lr_find", cases, check, expect=expect)


def _fades(beta, tolerance, limit=100_000):
    """The first iteration at which the uncorrected average is within ``tolerance`` (relative) of
    the corrected one, measured on a :class:`course.lr_finder.LossSmoother` fed losses of 1."""
    s = lr_finder.LossSmoother(beta=beta)
    for i in range(limit):
        corrected = s.add(1.0)
        if (corrected - s.avg) / corrected < tolerance:
            return i
    raise AssertionError("the correction never faded")


@checker
def check_correction_fades(correction_fades) -> bool:
    """``correction_fades(beta, tolerance) -> int``: the first iteration ``i`` (from 0) at which the
    smoothed loss without the bias correction is less than ``tolerance`` (relative) below the
    corrected one."""
    cases = [{"desc": f"beta={b:g}, tolerance={t:g}", "args": (b, t)}
             for b, t in [(0.98, 0.01), (0.9, 0.05), (0.5, 1e-3), (0.99, 0.1), (0.0, 0.5)]]

    def expect(case):
        return _fades(*case["args"])

    def check(case, expected):
        b, t = case["args"]
        raw = _value(correction_fades, b, t)
        got = _int_answer(raw)
        if got == expected:
            return None
        if got is None:
            hint = "an iteration is a whole number: the first i for which the condition holds."
        elif got == expected + 1:
            hint = "iterations count from 0, and at iteration i the average has seen i + 1 losses: beta ** (i + 1)."
        elif got == expected - 1:
            hint = "at that iteration the gap is still at least the tolerance: round up."
        elif b == 0.0:
            hint = "with beta = 0 there is no average to correct: the gap is 0 from the first iteration."
        else:
            hint = ("the uncorrected average is (1 - beta ** (i + 1)) times the corrected one: the gap, relative, "
                    "is beta ** (i + 1).")
        return f"returned {raw!r}, expected {expected}", hint

    return _run("check_correction_fades", "course.lr_finder.LossSmoother, iteration by iteration", cases, check,
                expect=expect)
