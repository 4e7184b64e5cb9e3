"""Checks for two derive exercises about where an iteration stops being stable or comes to rest:
Nesterov's largest stable lr (notebook 03) and where Lion with weight decay leaves a weight (06).

Both expected answers are measured on ``course.optim``: the lr limit by bisection on the spectral
radius of ``SGD(nesterov=True)``'s step matrix, the resting point by running ``Lion``.

>>> def nesterov_stable_lr(h, momentum):
...     return 2 * (1 + momentum) / (h * (1 + 2 * momentum))
>>> check_nesterov_stable_lr(nesterov_stable_lr)
✓ check_nesterov_stable_lr: all 6 cases match the stability limit of course.optim.SGD(nesterov=True).
True
"""
from __future__ import annotations

import math

import numpy as np

from ... import optim
from ...tensor import Parameter
from ._checking import checker
from .practice import _as_float, _number_mismatch, _run, _value
from .scale import _sgd_step_matrix

__all__ = ["check_nesterov_stable_lr", "check_lion_resting_point"]

RTOL = 1e-9


def _nesterov_limit(h: float, momentum: float) -> float:
    """The largest lr at which ``SGD(momentum, nesterov=True)`` converges on ``h x**2 / 2``."""
    lo, hi = 0.0, 4.0 * (1 + momentum) / h
    for _ in range(80):
        mid = (lo + hi) / 2
        radius = float(np.abs(np.linalg.eigvals(_sgd_step_matrix(mid, momentum, h, nesterov=True))).max())
        lo, hi = (mid, hi) if radius < 1 else (lo, mid)
    return (lo + hi) / 2


@checker
def check_nesterov_stable_lr(nesterov_stable_lr) -> bool:
    """``nesterov_stable_lr(h, momentum) -> float``: the largest lr for which ``SGD(momentum=momentum,
    nesterov=True)`` converges along an eigenvalue ``h`` of a quadratic."""
    cases = [{"desc": f"h={h:g}, momentum={m:g}", "args": (h, m)}
             for h, m in [(1.0, 0.9), (10.0, 0.5), (0.2, 0.1), (1.0, 0.99), (4.0, 0.25), (0.5, 0.7)]]

    def expect(case):
        return _nesterov_limit(*case["args"])

    def check(case, expected):
        h, m = case["args"]
        got = _as_float(_value(nesterov_stable_lr, h, m), "a number (a learning rate)")
        if math.isclose(got, expected, rel_tol=RTOL):  # the bisection is good to about 1e-14, relative
            return None
        if math.isclose(got, 2 * (1 + m) / h, rel_tol=1e-6):
            hint = "that is the heavy ball's limit; Nesterov's extra look-ahead term changes it."
        elif math.isclose(got, 2 / h, rel_tol=1e-6):
            hint = "that is plain gradient descent's limit; momentum moves it."
        else:
            hint = ("write the step as a map of (theta_t, theta_t-1): its characteristic polynomial is "
                    "z**2 - (1 + m)(1 - lr h) z + m (1 - lr h); find the lr at which z = -1 is a root.")
        return _number_mismatch(got, expected, hint)

    return _run("check_nesterov_stable_lr", "the stability limit of course.optim.SGD(nesterov=True)", cases, check,
                expect=expect)


def _lion_rest(g: float, weight_decay: float, lr: float, steps: int = 4000) -> float:
    """Run Lion from 1.0 under a constant gradient until it stops moving; return where it is."""
    p = Parameter(np.array([1.0]))
    opt = optim.Lion([p], lr=lr, weight_decay=weight_decay)
    for _ in range(steps):
        p.grad = np.array([g])
        opt.step()
    return float(p.data[0])


@checker
def check_lion_resting_point(lion_resting_point) -> bool:
    """``lion_resting_point(g, weight_decay) -> float``: where ``Lion(weight_decay=weight_decay)``
    leaves a weight whose gradient is the constant ``g``, after many steps."""
    cases = [{"desc": f"gradient {g:g}, weight_decay={wd:g}", "args": (g, wd), "lr": min(0.2, 0.05 / wd)}
             for g, wd in [(3.0, 0.3), (-0.001, 0.07), (0.0, 1.0), (1e6, 1.7), (-40.0, 0.045), (0.5, 3.0)]]

    def expect(case):
        rest = _lion_rest(*case["args"], lr=case["lr"])
        return 0.0 if abs(rest) < 1e-12 else rest  # decayed to nothing: the float's own dust

    def check(case, expected):
        g, wd = case["args"]
        got = _as_float(_value(lion_resting_point, g, wd), "a number (a weight)")
        if math.isclose(got, expected, rel_tol=RTOL, abs_tol=1e-12):
            return None
        if math.isclose(got, -g / wd, rel_tol=1e-6) and g != 0:
            hint = "Lion steps by the sign of its momentum, not by the gradient: the size of g does not matter."
        elif math.isclose(got, g / wd, rel_tol=1e-6) or math.isclose(got, math.copysign(1 / wd, g), rel_tol=1e-6):
            hint = "the weight moves against the gradient: the sign is the other way round."
        elif math.isclose(got, 0.0, abs_tol=1e-12):
            hint = "the decay pulls the weight to 0, but the sign step keeps pushing: where do the two balance?"
        else:
            hint = ("each step is theta <- theta - lr (sign(c) + weight_decay theta) with sign(c) = sign(g) "
                    "(what is sign(0)?): find the theta at which the two terms cancel.")
        return _number_mismatch(got, expected, hint)

    return _run("check_lion_resting_point", "course.optim.Lion run to rest", cases, check, expect=expect)
