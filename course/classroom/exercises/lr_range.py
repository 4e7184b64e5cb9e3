"""Checks for the derivation exercises of notebook 10 (finding the learning rate): how far the
range test's smoothed loss lags behind the raw one.

Each ``check_*`` runs your function on several cases, compares it with a reference measured
on ``course.lr_finder.LossSmoother`` (before your function first runs), prints one verdict and
returns True or False, as the other checkers do.

>>> def ema_lag(beta):
...     return beta / (1 - beta)
>>> check_ema_lag(ema_lag)
✓ check_ema_lag: all 6 cases match the lag measured on course.lr_finder.LossSmoother.
True
>>> def ema_lag(beta):
...     return 1 / (1 - beta)
>>> check_ema_lag(ema_lag)  # doctest: +ELLIPSIS
✗ check_ema_lag, case 1 (beta=0.98): returned 50, expected 49
    hint: ...
False
"""
from __future__ import annotations

import math

from ... import lr_finder
from ._checking import _precision_hint, _scalar, checker
from .practice import _run, _value

__all__ = ["check_ema_lag", "check_debiased_lag"]

RTOL, ATOL = 1e-9, 1e-9


def _close(a, b):
    return math.isclose(a, b, rel_tol=RTOL, abs_tol=ATOL)


def _measured_lag(beta: float, i: int) -> float:
    """Feed ``LossSmoother(beta)`` the ramp ``L_k = -k`` (the loss falls by 1 per iteration) for
    iterations ``0 .. i``; the smoothed value at ``i`` equals the raw loss of ``lag`` iterations
    earlier, ``-(i - lag)``, so ``lag = smoothed_i + i``."""
    smoother = lr_finder.LossSmoother(beta, diverge_factor=math.inf)
    smoothed = 0.0
    for k in range(i + 1):
        smoothed = smoother.add(-float(k))
    return smoothed + i


def _fmt(x):
    return f"{x:.10g}"


@checker
def check_ema_lag(ema_lag) -> bool:
    """``ema_lag(beta) -> float``: for a loss that falls by the same amount every iteration, the
    number of iterations by which the range test's smoothed loss trails the raw one, long after
    the start (when the bias correction has faded)."""
    betas = (0.98, 0.9, 0.97, 0.5, 0.0, 0.993)
    cases = [{"desc": f"beta={b}", "beta": b} for b in betas]

    def expect(case):
        # long enough that beta ** n is below 1e-25: the bias correction has faded
        b = case["beta"]
        n = 10 if b == 0 else int(math.ceil(-25 / math.log10(b)))
        return _measured_lag(b, n)

    def check(case, expected):
        b = case["beta"]
        got = _scalar(_value(ema_lag, b), "a number (iterations)")
        if _close(got, expected):
            return None
        if _close(got, 1 / (1 - b)):
            hint = ("the newest loss is 0 iterations old, not 1: the loss k iterations old has weight "
                    "(1 - beta) * beta**k, and the lag is the mean age, sum over k of k (1 - beta) beta**k.")
        elif _close(got, (1 - b) / b) or _close(got, 1 - b):
            hint = "upside down: the lag grows as beta approaches 1 (a longer memory)."
        elif b > 0 and _close(got, -1 / math.log(b)):
            hint = ("-1 / ln(beta) is the time constant of a continuous decay; the EMA's weights are "
                    "discrete: take the mean age sum_k k (1 - beta) beta**k.")
        elif b > 0 and _close(got, math.log(0.5) / math.log(b)):
            hint = "that is the half-life of the weights (their median age), not their mean age."
        else:
            hint = _precision_hint(expected, got) or (
                "the loss k iterations old has weight (1 - beta) * beta**k; for a loss falling steadily, the "
                "average trails it by the mean age of the weights: sum over k of k (1 - beta) beta**k.")
        return f"returned {_fmt(got)}, expected {_fmt(expected)}", hint

    return _run("check_ema_lag", "the lag measured on course.lr_finder.LossSmoother", cases, check, expect=expect)


@checker
def check_debiased_lag(debiased_lag) -> bool:
    """``debiased_lag(i, beta) -> float``: the same lag at iteration ``i`` (counting from 0), with
    the bias correction: the smoothed value ``m_i / (1 - beta**(i + 1))`` after ``i + 1`` losses
    of a loss that falls by the same amount every iteration."""
    cases = [{"desc": f"i={i}, beta={b}", "i": i, "beta": b}
             for i, b in [(99, 0.98), (80, 0.98), (0, 0.9), (1, 0.5), (10, 0.9), (400, 0.99), (7, 0.0)]]

    def expect(case):
        return _measured_lag(case["beta"], case["i"])

    def check(case, expected):
        i, b = case["i"], case["beta"]
        got = _scalar(_value(debiased_lag, i, b), "a number (iterations)")
        if _close(got, expected):
            return None
        steady = b / (1 - b)
        if _close(got, steady):
            hint = ("that is the lag long after the start. Dividing by 1 - beta**(i + 1) makes the weights of "
                    "the i + 1 losses seen so far sum to 1: take their mean age over k = 0 .. i only.")
        elif i > 0 and b > 0 and _close(got, steady - i * b ** i / (1 - b ** i)):
            hint = "at iteration i the smoother has seen i + 1 losses (k = 0 .. i), so the power is i + 1."
        elif _close(got, i / 2):
            hint = "i / 2 is the mean age of equal weights; the EMA's weights fall off as beta**k."
        else:
            hint = _precision_hint(expected, got) or (
                "the loss k iterations old (k = 0 .. i) has weight (1 - beta) beta**k / (1 - beta**(i + 1)); the lag "
                "is their mean age: the sum of k times the weight.")
        return f"returned {_fmt(got)}, expected {_fmt(expected)}", hint

    return _run("check_debiased_lag", "the lag measured on course.lr_finder.LossSmoother", cases, check,
                expect=expect)
