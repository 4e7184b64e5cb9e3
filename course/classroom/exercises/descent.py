"""Checks for derive exercises about descent on a quadratic: how many steps gradient descent needs at
a given lr and which lrs keep the descent lemma's guaranteed decrease near its best (notebook 01),
and which regime heavy ball is in along one eigenvalue (notebook 03).

Every expected answer is measured on ``course.optim.SGD``: the steps by running it from each
eigenvector (the worst start is the slowest one), the lr range by bisection on the decrease of one
step on ``L x**2 / 2`` (where the descent lemma's bound is an equality), the regime from the
eigenvalues of its step matrix, read off the optimizer.

>>> import math
>>> def gd_steps_needed(lr, L, mu, tol):
...     rate = max(abs(1 - lr * mu), abs(1 - lr * L))
...     return 1 if rate == 0 else math.ceil(math.log(tol) / math.log(rate))
>>> check_gd_steps_needed(gd_steps_needed)
✓ check_gd_steps_needed: all 8 cases match course.optim.SGD run from each eigenvector.
True
"""
from __future__ import annotations

import math

import numpy as np

from ... import optim
from ...tensor import Parameter
from ._checking import _BadReturn, checker
from .practice import _as_float, _int_answer, _number_mismatch, _run, _value
from .scale import _sgd_step_matrix

__all__ = ["check_gd_steps_needed", "check_descent_lr_range", "check_heavy_ball_regime"]

RTOL = 1e-9

# (lr, L, mu, tol): log(tol) / log(rate) is at least 0.01 away from a whole number in each
_STEP_CASES = [(1.0, 1.0, 0.1, 1e-6), (0.3, 1.0, 0.1, 1e-6), (1.9, 1.0, 0.1, 1e-3), (0.5, 2.0, 2.0, 1e-8),
               (0.45, 4.0, 1.0, 1e-6), (0.02, 50.0, 1.0, 1e-4), (0.5, 2.0, 0.5, 1e-5), (0.9, 2.0, 0.2, 1e-6)]


def _steps_from(lr: float, h: float, tol: float, limit: int = 100_000):
    """Steps of ``SGD(lr)`` on ``h x**2 / 2`` from x = 1 until ``|x| <= tol``."""
    p = Parameter(np.array([1.0]))
    opt = optim.SGD([p], lr=lr)
    for k in range(1, limit + 1):
        p.grad = h * p.data
        opt.step()
        if abs(p.data[0]) <= tol:
            return k
    return None


def _steps_needed(lr, L, mu, tol):
    """The worst start is an eigenvector: the count of the slower of the two extreme directions."""
    return max(_steps_from(lr, L, tol), _steps_from(lr, mu, tol))


@checker
def check_gd_steps_needed(gd_steps_needed) -> bool:
    """``gd_steps_needed(lr, L, mu, tol) -> int``: the smallest number of steps after which gradient
    descent at ``lr``, on a quadratic whose Hessian has the extreme eigenvalues ``L`` and ``mu``, is within
    ``tol`` of the minimum relative to the start, ``||theta_t|| <= tol ||theta_0||``, from every start."""
    cases = [{"desc": f"lr={lr:g}, L={L:g}, mu={mu:g}, tol={tol:g}", "args": (lr, L, mu, tol)}
             for lr, L, mu, tol in _STEP_CASES]

    def expect(case):
        return _steps_needed(*case["args"])

    def check(case, expected):
        lr, L, mu, tol = case["args"]
        raw = _value(gd_steps_needed, lr, L, mu, tol)
        got = _int_answer(raw)
        if got == expected:
            return None
        flat, steep = abs(1 - lr * mu), abs(1 - lr * L)
        rate = max(flat, steep)
        counts = {}
        for name, r in (("flat", flat), ("steep", steep)):
            if 0 < r < 1:
                counts[name] = math.log(tol) / math.log(r)
        if got is None:
            hint = "a number of steps is a whole number: round up (the first step at or below tol)."
        elif got == expected - 1:
            hint = "after that many steps the slowest direction is still above tol: round up, not down."
        elif rate == 0 and got == 0:
            hint = "the rate is 0 here, but the start is not the minimum: it takes one step to get there."
        elif steep > flat and got == math.ceil(counts.get("flat", -1)):
            hint = ("that is the count of the flat direction; at this lr the steep one is slower "
                    "(|1 - lr L| > |1 - lr mu|): the rate is the larger of the two.")
        elif flat > steep and got == math.ceil(counts.get("steep", -1)):
            hint = "that is the count of the steep direction; here the flat one is slower: the rate is the larger."
        elif 0 < rate < 1 and got == math.ceil(math.log(tol) / math.log(rate) / 2):
            hint = "that is when the loss (rate squared per step) is below tol; the question is about the distance."
        else:
            hint = ("each eigendirection shrinks by |1 - lr lambda| per step; the worst start lies along the "
                    "slower of the two extremes: find the smallest t with rate**t <= tol.")
        return f"returned {raw!r}, expected {expected}", hint

    return _run("check_gd_steps_needed", "course.optim.SGD run from each eigenvector", cases, check, expect=expect)


def _decrease(lr: float, L: float) -> float:
    """``f(x) - f(x - lr f'(x))`` for one ``SGD(lr)`` step on ``f = L x**2 / 2`` from x = 1, over ``|f'(x)|**2``."""
    p = Parameter(np.array([1.0]))
    opt = optim.SGD([p], lr=lr)
    p.grad = L * p.data
    opt.step()
    return (L / 2 - L / 2 * float(p.data[0]) ** 2) / L ** 2


def _lr_range(L: float, fraction: float):
    """By bisection on the measured decrease: the lrs whose decrease is at least ``fraction`` of the best."""
    if fraction == 1:
        return 1 / L, 1 / L  # the double root, the best lr itself (bisection meets it only to ~sqrt(eps))
    best = _decrease(1 / L, L)
    target = fraction * best

    def edge(inside, outside):
        for _ in range(200):
            mid = (inside + outside) / 2
            inside, outside = (mid, outside) if _decrease(mid, L) >= target else (inside, mid)
        return (inside + outside) / 2
    return edge(1 / L, 0.0), edge(1 / L, 2 / L)


@checker
def check_descent_lr_range(descent_lr_range) -> bool:
    """``descent_lr_range(L, fraction) -> (low, high)``: the lrs at which the descent lemma's guaranteed
    decrease ``lr (1 - L lr / 2) ||g||**2`` is at least ``fraction`` times its largest value, for an
    L-smooth function (``0 < fraction <= 1``)."""
    cases = [{"desc": f"L={L:g}, fraction={c:g}", "args": (L, c)}
             for L, c in [(1.0, 0.5), (10.0, 0.75), (0.2, 0.1), (3.0, 0.99), (1.0, 1.0), (250.0, 0.36)]]

    def expect(case):
        return _lr_range(*case["args"])

    def check(case, expected):
        L, c = case["args"]
        raw = _value(descent_lr_range, L, c)
        if isinstance(raw, (str, bytes, dict)) or not hasattr(raw, "__len__") or len(raw) != 2:
            raise _BadReturn(f"returned {type(raw).__name__}, expected a pair (low, high)")
        got = [_as_float(v, "a number (a learning rate)") for v in raw]
        for which, g, e in zip(("low", "high"), got, expected):
            if math.isclose(g, e, rel_tol=RTOL):
                continue
            if math.isclose(got[0], expected[1], rel_tol=1e-6) and math.isclose(got[1], expected[0], rel_tol=1e-6):
                return "returned (high, low)", "return the smaller lr first."
            if math.isclose(g, e * L * L, rel_tol=1e-6) or math.isclose(g * L * L, e, rel_tol=1e-6):
                hint = "the lrs scale as 1/L: check where L enters (the best lr is 1/L)."
            elif which == "high" and math.isclose(g, 2 / L, rel_tol=1e-6):
                hint = "2/L is where the guarantee reaches 0; the question asks for a fraction of the best one."
            else:
                hint = ("the best guarantee is ||g||**2 / (2L), at lr = 1/L; solve lr (1 - L lr / 2) = fraction / (2L), "
                        "a quadratic in lr, for both roots.")
            message, hint = _number_mismatch(g, e, hint)
            return f"{which} lr: {message}", hint
        return None

    return _run("check_descent_lr_range", "the bisection on one course.optim.SGD step on L x**2 / 2", cases, check,
                expect=expect)


# ------------------------------------------------------------------- 03
REGIMES = ("underdamped", "critically damped", "overdamped", "bouncing", "diverging")

# (lr, momentum, h): two are exactly critical (a double root), none is near another boundary
_REGIME_CASES = [(1.0, 0.9, 1.0), (0.25, 0.25, 1.0), (0.01, 0.3, 1.0), (1.8, 0.05, 1.0), (3.0, 0.2, 1.0),
                 (2.25, 0.25, 1.0), (0.1, 0.95, 2.0), (0.5, 0.0, 1.0), (0.5, 0.0, 3.0), (4.0, 0.5, 1.0),
                 (0.001, 0.8, 1.0)]


def _regime(lr: float, momentum: float, h: float) -> str:
    """Read from the eigenvalues of the step matrix of ``course.optim.SGD(momentum)`` on ``h x**2 / 2``."""
    eigs = np.linalg.eigvals(_sgd_step_matrix(lr, momentum, h))
    if np.abs(eigs).max() >= 1:
        return "diverging"
    if eigs.size == 2 and abs(eigs[0] - eigs[1]) < 1e-6:  # a double root, found to ~sqrt(eps)
        return "critically damped"
    if np.abs(eigs.imag).max() > 1e-6:
        return "underdamped"
    dominant = eigs[np.argmax(np.abs(eigs))].real
    return "overdamped" if dominant > 0 else "bouncing"


@checker
def check_heavy_ball_regime(heavy_ball_regime) -> bool:
    """``heavy_ball_regime(lr, momentum, h) -> str``: what ``SGD(lr, momentum)`` does along an eigenvalue ``h``
    of a quadratic, one of ``"underdamped"`` (complex roots: it spirals in), ``"critically damped"`` (a
    double root), ``"overdamped"`` (real roots, the largest positive: it creeps in), ``"bouncing"`` (real
    roots, the largest negative: it changes sign every step) or ``"diverging"`` (a root of size >= 1)."""
    cases = [{"desc": f"lr={lr:g}, momentum={m:g}, h={h:g}", "args": (lr, m, h)} for lr, m, h in _REGIME_CASES]

    def expect(case):
        return _regime(*case["args"])

    def check(case, expected):
        lr, m, h = case["args"]
        got = _value(heavy_ball_regime, lr, m, h)
        if not isinstance(got, str):
            raise _BadReturn(f"returned {type(got).__name__}, expected one of the strings {', '.join(map(repr, REGIMES))}")
        if got not in REGIMES:
            return f"returned {got!r}", f"answer with one of {', '.join(map(repr, REGIMES))} (exactly these words)."
        if got == expected:
            return None
        trace = 1 + m - lr * h  # the sum of the roots; their product is m
        if expected == "diverging" or got == "diverging":
            hint = (f"check the size of the roots first: heavy ball is stable along h only for lr h < 2 (1 + momentum), "
                    f"here lr h = {lr * h:g} against {2 * (1 + m):g}.")
        elif expected == "critically damped" or got == "critically damped":
            hint = (f"a double root needs (1 + momentum - lr h)**2 = 4 momentum; "
                    f"here the left side is {trace ** 2:g}, the right {4 * m:g}.")
        elif "underdamped" in (expected, got):
            hint = (f"the roots are complex when (1 + momentum - lr h)**2 < 4 momentum; "
                    f"here {trace ** 2:g} against {4 * m:g}.")
        else:
            hint = (f"real roots have the sign of 1 + momentum - lr h (their sum), here {trace:g}: "
                    "positive creeps, negative bounces.")
        return f"returned {got!r}, expected {expected!r}", hint

    return _run("check_heavy_ball_regime", "the eigenvalues of course.optim.SGD's step matrix", cases, check,
                expect=expect)
