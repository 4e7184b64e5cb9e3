"""Checks for the exercises of notebook 04 (AdaGrad and RMSProp): derive, predict, diagnose.

Each expected answer is measured, not written down: the step sizes by stepping ``course.optim``
on a constant gradient, the eps placement from first steps taken both ways.

>>> import math
>>> def rmsprop_step_ratio(alpha, t):
...     return 1 / math.sqrt(1 - alpha ** t)
>>> check_rmsprop_step_ratio(rmsprop_step_ratio)
✓ check_rmsprop_step_ratio: all 8 cases match course.optim.RMSprop stepped on a constant gradient.
True
"""
from __future__ import annotations

import math

import numpy as np

from ... import optim
from ...tensor import Parameter
from ._checking import _BadReturn, checker
from .practice import _as_float, _number_mismatch, _run, _value

__all__ = ["check_adagrad_effective_lr", "check_rmsprop_step_ratio", "check_eps_inside"]

RTOL = 1e-9


def _steps_on_constant_gradient(opt_cls, g: float, t: int, **hyper) -> float:
    """The length of step ``t`` of ``opt_cls`` from zero state, every gradient ``g``."""
    p = Parameter(np.zeros(1))
    opt = opt_cls([p], **hyper)
    before = 0.0
    for _ in range(t):
        before = float(p.data[0])
        p.grad = np.array([g])
        opt.step()
    return abs(float(p.data[0]) - before)


@checker
def check_adagrad_effective_lr(adagrad_effective_lr) -> bool:
    """``adagrad_effective_lr(lr, g, t, eps) -> float``: AdaGrad's effective lr at step ``t``,
    ``|step t| / |g|``, when every gradient so far was ``g`` (``Adagrad(lr=lr, eps=eps)``, from zero)."""
    specs = [(0.1, 2.0, 25, 1e-10), (1.0, 0.3, 7, 1e-10), (0.5, -4.0, 100, 1e-10), (0.01, 1.5, 1, 1e-10),
             (0.2, 0.05, 400, 0.1), (1.0, -0.7, 3, 1.0), (0.3, 3.0, 1000, 1e-10), (2.0, 0.01, 50, 1e-3)]
    cases = [{"desc": f"lr={lr:g}, g={g:g}, t={t}, eps={eps:g}", "args": (lr, g, t, eps)} for lr, g, t, eps in specs]

    def expect(case):
        lr, g, t, eps = case["args"]
        return _steps_on_constant_gradient(optim.Adagrad, g, t, lr=lr, eps=eps) / abs(g)

    def check(case, expected):
        lr, g, t, eps = case["args"]
        got = _as_float(_value(adagrad_effective_lr, lr, g, t, eps), "a number (an effective lr)")
        if math.isclose(got, expected, rel_tol=RTOL):
            return None
        a = abs(g)
        if math.isclose(got, -expected, rel_tol=1e-6):
            hint = "an effective lr is a size: divide by |g|, not g (it is positive for a negative gradient too)."
        elif math.isclose(got, lr / (t * a + eps), rel_tol=1e-6):
            hint = "the sum of t squared gradients is t g**2; its root grows like sqrt(t), not t."
        elif math.isclose(got, lr / (math.sqrt(t) + eps), rel_tol=1e-6):
            hint = "the root of the sum has the size of the gradient: sqrt(t g**2) = sqrt(t) |g|."
        elif math.isclose(got, lr / math.sqrt(t * a * a + eps), rel_tol=1e-6):
            hint = "torch adds eps after the square root: lr / (sqrt(sum) + eps)."
        elif math.isclose(got, lr / (a + eps), rel_tol=1e-6):
            hint = "that is step 1; by step t the sum holds t squared gradients."
        elif math.isclose(got, lr / (math.sqrt(t) * a), rel_tol=1e-6):
            hint = "eps is still in the denominator: lr / (sqrt(t) |g| + eps) (it matters when eps is not tiny)."
        else:
            hint = "after t steps of g the sum is t g**2; the step divides lr g by sqrt(sum) + eps."
        return _number_mismatch(got, expected, hint)

    return _run("check_adagrad_effective_lr", "course.optim.Adagrad stepped on a constant gradient", cases, check,
                expect=expect)


@checker
def check_rmsprop_step_ratio(rmsprop_step_ratio) -> bool:
    """``rmsprop_step_ratio(alpha, t) -> float``: the length of RMSProp's step ``t`` over the lr, when
    every gradient so far was the same (``RMSprop(alpha=alpha)`` from zero state, eps negligible)."""
    specs = [(0.99, 1), (0.99, 10), (0.9, 3), (0.999, 1), (0.5, 2), (0.99, 100), (0.9, 50), (0.0, 4)]
    cases = [{"desc": f"alpha={a:g}, t={t}", "args": (a, t)} for a, t in specs]

    def expect(case):
        alpha, t = case["args"]
        # eps = 0: the ratio of the rule itself, the same for every gradient (here 0.37)
        return _steps_on_constant_gradient(optim.RMSprop, 0.37, t, lr=0.01, alpha=alpha, eps=0.0) / 0.01

    def check(case, expected):
        alpha, t = case["args"]
        got = _as_float(_value(rmsprop_step_ratio, alpha, t), "a number (a ratio of step to lr)")
        if math.isclose(got, expected, rel_tol=RTOL):
            return None
        with np.errstate(all="ignore"):
            first = 1 / math.sqrt(1 - alpha) if alpha < 1 else math.inf
        if t > 1 and math.isclose(got, first, rel_tol=1e-6):
            hint = "that is the first step; v keeps filling up: after t steps it is (1 - alpha**t) g**2."
        elif math.isclose(got, 1 / (1 - alpha ** t), rel_tol=1e-6):
            hint = "the step divides by the square ROOT of v."
        elif math.isclose(got, math.sqrt(1 - alpha ** t), rel_tol=1e-6):
            hint = "upside down: a v below g**2 makes the step larger than the lr."
        elif math.isclose(got, 1.0, rel_tol=1e-6):
            hint = "1 is the limit for large t (v -> g**2); from zero state v is smaller at first."
        else:
            hint = ("unroll v_t = alpha v_(t-1) + (1 - alpha) g**2 from v_0 = 0: a geometric sum. The step is "
                    "lr g / sqrt(v_t).")
        return _number_mismatch(got, expected, hint)

    return _run("check_rmsprop_step_ratio", "course.optim.RMSprop stepped on a constant gradient", cases, check,
                expect=expect)


def _first_step(g, lr, alpha, eps, inside):
    """RMSProp's first step from zero state, eps after the root (course.optim, torch) or inside it."""
    if inside:
        return -lr * g / math.sqrt((1 - alpha) * g * g + eps)
    p = Parameter(np.zeros(1))
    p.grad = np.array([g])
    optim.RMSprop([p], lr=lr, alpha=alpha, eps=eps).step()
    return float(p.data[0])


# (g, lr, alpha, eps, inside): a mix of tiny and ordinary gradients, torch's and Keras's defaults; in every
# case the two placements give first steps at least 0.1% apart
_PLACEMENT_CASES = [(1e-6, 0.01, 0.99, 1e-8, False), (1e-6, 0.01, 0.99, 1e-8, True), (-3e-4, 0.001, 0.9, 1e-7, True),
                    (2e-3, 0.1, 0.9, 1e-7, False), (-1e-5, 0.05, 0.99, 1e-8, False), (5e-4, 0.001, 0.9, 1e-7, True),
                    (1e-2, 0.01, 0.99, 1e-4, True), (-2e-2, 0.3, 0.5, 1e-4, False), (1e-3, 0.02, 0.99, 1e-8, True),
                    (3e-4, 0.001, 0.999, 1e-8, False), (-1e-6, 0.002, 0.9, 1e-7, False), (4e-3, 0.1, 0.9, 1e-5, True)]


@checker
def check_eps_inside(eps_inside) -> bool:
    """``eps_inside(g, step, lr, alpha, eps) -> bool``: was ``step``, the first RMSProp step (from
    zero state) on gradient ``g``, taken with eps inside the square root (True) or after it (False)?"""
    cases = [{"desc": f"g={g:g}, lr={lr:g}, alpha={a:g}, eps={e:g}, step={_first_step(g, lr, a, e, inside):.6g}",
              "args": (g, _first_step(g, lr, a, e, inside), lr, a, e), "inside": inside}
             for g, lr, a, e, inside in _PLACEMENT_CASES]

    def check(case, expected):
        g, step, lr, alpha, eps = case["args"]
        got = _value(eps_inside, g, step, lr, alpha, eps)
        if not isinstance(got, (bool, np.bool_)):
            raise _BadReturn(f"your function returned {type(got).__name__} ({got!r}), expected True or False")
        if bool(got) == case["inside"]:
            return None
        where = "inside the root, sqrt(v + eps)" if case["inside"] else "after the root, sqrt(v) + eps (torch's)"
        if abs(step) > lr:
            hint = ("a step larger than lr does not tell by itself: both placements start above lr (v_1 is "
                    "(1 - alpha) g**2). Compute the first step both ways and pick the nearer one.")
        else:
            hint = ("v_1 = (1 - alpha) g**2; compute -lr g / (sqrt(v_1) + eps) and -lr g / sqrt(v_1 + eps), and "
                    "see which one the step equals.")
        return f"returned {bool(got)}, but this step was taken with eps {where}", hint

    return _run("check_eps_inside", "first steps taken with eps inside and after the root", cases, check)
