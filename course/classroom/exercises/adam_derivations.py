"""Checks for the derive exercises of notebook 05 (Adam and AdamW): answers measured on ``course.optim``.

>>> def adamw_halving_steps(lr, weight_decay):
...     return math.ceil(math.log(0.5) / math.log(1 - lr * weight_decay))
>>> check_adamw_halving_steps(adamw_halving_steps)
✓ check_adamw_halving_steps: all 7 cases match course.optim.AdamW, step by step.
True
"""
from __future__ import annotations

import math

import numpy as np

from ... import optim
from ...tensor import Parameter
from ._checking import checker
from .practice import _as_float, _int_answer, _number_mismatch, _run, _value

__all__ = ["check_adamw_halving_steps", "check_uncorrected_first_step"]

RTOL = 1e-9


def _halving_steps(lr, weight_decay, limit: int = 10_000):
    """Step AdamW on a weight whose loss has no gradient until the weight is at most half."""
    p = Parameter(np.array([1.0]))
    opt = optim.AdamW([p], lr=lr, weight_decay=weight_decay)
    for k in range(1, limit + 1):
        p.grad = np.zeros(1)
        opt.step()
        if p.data[0] <= 0.5:
            return k
    return None


@checker
def check_adamw_halving_steps(adamw_halving_steps) -> bool:
    """``adamw_halving_steps(lr, weight_decay) -> int``: the number of ``AdamW`` steps after which a
    weight whose loss gradient is zero has shrunk to half of its start (or less)."""
    cases = [{"desc": f"lr={lr:g}, weight_decay={wd:g}", "args": (lr, wd)}
             for lr, wd in [(0.01, 0.1), (0.1, 0.5), (0.5, 1.0), (0.003, 1.0), (0.3, 2.0), (0.4, 0.5), (0.02, 1.0)]]

    def expect(case):
        return _halving_steps(*case["args"])

    def check(case, expected):
        lr, wd = case["args"]
        raw = _value(adamw_halving_steps, lr, wd)
        got = _int_answer(raw)
        if got == expected:
            return None
        rough = math.log(2) / (lr * wd)
        if got is None:
            hint = "a number of steps is a whole number: round up (the first step at or below one half)."
        elif got in (math.floor(rough), math.ceil(rough), round(rough)):
            hint = ("ln 2 / (lr * weight_decay) uses ln(1 - x) ~ -x, good only when lr * weight_decay is small: "
                    "solve (1 - lr * weight_decay)**k <= 1/2 exactly.")
        elif got == expected - 1:
            hint = "after that many steps the weight is still above one half: round up, not down."
        else:
            hint = ("with a zero gradient Adam's part of the step is 0 and each step only multiplies the weight "
                    "by 1 - lr * weight_decay: solve (1 - lr * weight_decay)**k <= 1/2 for the smallest k.")
        return f"returned {raw!r}, expected {expected}", hint

    return _run("check_adamw_halving_steps", "course.optim.AdamW, step by step", cases, check, expect=expect)


def _uncorrected_ratio(beta1, beta2):
    """Adam's first step, measured from course.optim.Adam's state: exp_avg / sqrt(exp_avg_sq) over |g|."""
    g = 3.0
    p = Parameter(np.array([0.0]))
    opt = optim.Adam([p], lr=1.0, betas=(beta1, beta2), eps=0.0)
    p.grad = np.array([g])
    opt.step()
    state = opt.state[p]
    return float(state["exp_avg"][0] / np.sqrt(state["exp_avg_sq"][0]) / (g / abs(g)))


@checker
def check_uncorrected_first_step(uncorrected_first_step) -> bool:
    """``uncorrected_first_step(beta1, beta2) -> float``: Adam's first step without bias correction,
    ``lr * m_1 / sqrt(v_1)``, as a multiple of the lr (eps negligible)."""
    cases = [{"desc": f"betas=({b1:g}, {b2:g})", "args": (b1, b2)}
             for b1, b2 in [(0.9, 0.999), (0.9, 0.99), (0.0, 0.999), (0.5, 0.5), (0.99, 0.9999), (0.8, 0.0)]]

    def expect(case):
        return _uncorrected_ratio(*case["args"])

    def check(case, expected):
        b1, b2 = case["args"]
        got = _as_float(_value(uncorrected_first_step, b1, b2), "a number (a multiple of the lr)")
        if math.isclose(got, expected, rel_tol=RTOL):
            return None
        if math.isclose(got, 1.0, rel_tol=1e-9):
            hint = "1 is the step WITH bias correction; without it, m_1 and v_1 keep their factors (1 - beta)."
        elif math.isclose(got, (1 - b1) / (1 - b2), rel_tol=1e-6):
            hint = "v is an average of squares: its root brings sqrt(1 - beta2), not (1 - beta2)."
        elif math.isclose(got, math.sqrt(1 - b2) / (1 - b1), rel_tol=1e-6):
            hint = "upside down: m_1 = (1 - beta1) g is on top, sqrt(v_1) = sqrt(1 - beta2) |g| below."
        else:
            hint = "from zero: m_1 = (1 - beta1) g and v_1 = (1 - beta2) g**2; the step is lr m_1 / sqrt(v_1)."
        return _number_mismatch(got, expected, hint)

    return _run("check_uncorrected_first_step", "course.optim.Adam's state after one step", cases, check,
                expect=expect)
