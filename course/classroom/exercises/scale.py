"""Checks for the exercises of notebook 13 (training at scale).

Each ``check_*`` runs your function on several cases, compares it with a reference computed
from ``course`` (before your function first runs, on data it never gets), prints one verdict
and returns True or False, as the other checkers do.

>>> def edge_threshold(lr, momentum):
...     return 2 * (1 + momentum) / lr
>>> check_edge_threshold(edge_threshold)
✓ check_edge_threshold: all 5 cases match the stability limit of course.optim.SGD on a quadratic.
True
>>> def edge_threshold(lr, momentum):
...     return 2 / lr
>>> check_edge_threshold(edge_threshold)  # doctest: +ELLIPSIS
✗ check_edge_threshold, case 1 (lr=0.1, momentum=0.9): returned 20, expected 38
    hint: ...
False
"""
from __future__ import annotations

import math

import numpy as np

from ... import optim
from ...tensor import Parameter
from .. import noise_scale
from ._checking import _precision_hint, _scalar, checker
from .practice import _int_answer, _run, _value

__all__ = ["check_first_rectified_step", "check_scaled_lr", "check_edge_threshold", "check_b_simple"]

RTOL = 1e-9


def _close(a, b):
    return math.isclose(a, b, rel_tol=RTOL, abs_tol=1e-12)


# ------------------------------------------------------------------ RAdam's first rectified step
def _radam_first_rectified(beta2: float, max_steps: int = 500) -> int:
    """The first step at which ``course.optim.RAdam`` takes its adaptive step, read off the steps
    themselves: with a constant gradient 4 the un-adapted step moves by ``lr * 4``, the
    adaptive one by ``lr * r_t * 4 / 4 <= lr``."""
    p = Parameter(np.zeros(1))
    opt = optim.RAdam([p], lr=1e-3, betas=(0.9, beta2))
    for t in range(1, max_steps + 1):
        before = float(p.data[0])
        p.grad = np.array([4.0])
        opt.step()
        if abs(float(p.data[0]) - before) < 2e-3:
            return t
    raise RuntimeError(f"RAdam with beta2={beta2} never rectified within {max_steps} steps")


@checker
def check_first_rectified_step(first_rectified_step) -> bool:
    """``first_rectified_step(beta2) -> int``: the first step ``t`` (counting from 1) at which
    RAdam (torch's rule) uses the adaptive, rectified step instead of plain momentum SGD."""
    cases = [{"desc": f"beta2={b}", "beta2": b} for b in (0.999, 0.7, 0.9, 0.75, 0.99, 0.8)]

    def check(case, expected):
        raw = _value(first_rectified_step, case["beta2"])
        got = _int_answer(raw)
        if got == expected:
            return None
        b = case["beta2"]
        rho_inf = 2 / (1 - b) - 1
        rho = [rho_inf - 2 * t * b ** t / (1 - b ** t) for t in range(1, expected + 3)]
        if got is None:
            hint = "a step number is a whole number."
        elif got < 1:
            hint = "steps count from 1: the first optimizer.step() is t = 1."
        elif got == expected - 1:
            hint = "steps count from 1 (the first optimizer.step() is t = 1), and the test is rho_t > 5."
        elif 0 < got < expected and rho[got - 1] > 4:
            hint = "torch's RAdam rectifies when rho_t > 5 (the paper's first version said 4)."
        else:
            hint = (f"rho_inf = 2 / (1 - beta2) - 1 = {rho_inf:.4g}; rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t); "
                    "find the first t with rho_t > 5.")
        return f"returned {raw!r}, expected {expected}", hint

    return _run("check_first_rectified_step", "the steps of course.optim.RAdam", cases, check,
                expect=lambda case: _radam_first_rectified(case["beta2"]))


# ------------------------------------------------------------------ scaling rules
@checker
def check_scaled_lr(scaled_lr) -> bool:
    """``scaled_lr(lr, batch, new_batch, optimizer) -> float``: the lr for ``new_batch`` that keeps
    the noise ball of a run tuned at (``lr``, ``batch``): the linear rule for ``"SGD"``, the
    square-root rule for ``"Adam"``."""
    cases = [{"desc": f"{o}, lr={lr} at batch {b} -> batch {nb}", "args": (lr, b, nb, o)}
             for lr, b, nb, o in [(0.1, 32, 256, "SGD"), (1e-3, 64, 1000, "Adam"), (0.05, 128, 16, "SGD"),
                                  (3e-4, 512, 32, "Adam"), (0.07, 96, 1000, "SGD"), (0.01, 10, 90, "Adam")]]

    def expect(case):
        lr, b, nb, o = case["args"]
        return lr * nb / b if o == "SGD" else lr * math.sqrt(nb / b)

    def check(case, expected):
        lr, b, nb, o = case["args"]
        got = _scalar(_value(scaled_lr, lr, b, nb, o), "a number (the new lr)")
        if _close(got, expected):
            return None
        linear, root = lr * nb / b, lr * math.sqrt(nb / b)
        if _close(got, root) and o == "SGD":
            hint = "for SGD the noise ball's size goes as lr / B: keep lr / B fixed (the linear rule)."
        elif _close(got, linear) and o == "Adam":
            hint = ("Adam divides by sqrt(v), and v ~ noise / B grows as the batch shrinks: its ball goes as "
                    "lr / sqrt(B), so keep lr / sqrt(B) fixed.")
        elif _close(got, lr * b / nb) or _close(got, lr * math.sqrt(b / nb)):
            hint = "a larger batch has less noise, so it affords a larger lr, not a smaller one."
        else:
            hint = _precision_hint(expected, got) or "SGD: lr x (new_batch / batch); Adam: lr x sqrt(new_batch / batch)."
        return f"returned {got:.10g}, expected {expected:.10g}", hint

    return _run("check_scaled_lr", "the linear (SGD) and square-root (Adam) rules", cases, check, expect=expect)


# ------------------------------------------------------------------ the edge of stability with momentum
def _sgd_step_matrix(lr: float, momentum: float, h: float, nesterov: bool = False) -> np.ndarray:
    """The 2x2 matrix of one step of ``course.optim.SGD`` on ``h x**2 / 2``, acting on
    ``(p, momentum_buffer)``, read off the optimizer (its step is linear in both)."""
    columns = []
    for p0, b0 in ((1.0, 0.0), (0.0, 1.0)):
        p = Parameter(np.zeros(1))
        opt = optim.SGD([p], lr=lr, momentum=momentum, nesterov=nesterov)
        p.grad = np.zeros(1)
        opt.step()  # makes the buffer (with momentum), which we then overwrite
        p.data[...] = p0
        if "momentum_buffer" not in opt.state[p]:  # no momentum: a 1x1 map on p alone
            p.grad = h * np.asarray(p.data)
            opt.step()
            return np.array([[float(p.data[0])]])
        opt.state[p]["momentum_buffer"][...] = b0
        p.grad = h * np.asarray(p.data)
        opt.step()
        columns.append([float(p.data[0]), float(opt.state[p]["momentum_buffer"][0])])
    return np.array(columns).T


def _sgd_limit(lr: float, momentum: float) -> float:
    """The curvature at which ``course.optim.SGD`` stops converging on ``h x**2 / 2``: bisection on
    the spectral radius of its step matrix."""
    lo, hi = 0.5 / lr, 8.0 / lr
    for _ in range(60):
        mid = (lo + hi) / 2
        radius = float(np.abs(np.linalg.eigvals(_sgd_step_matrix(lr, momentum, mid))).max())
        lo, hi = (mid, hi) if radius < 1 else (lo, mid)
    return (lo + hi) / 2


@checker
def check_edge_threshold(edge_threshold) -> bool:
    """``edge_threshold(lr, momentum) -> float``: the sharpness above which gradient descent with
    heavy-ball momentum (``SGD(lr, momentum)``, torch's convention) diverges on a quadratic: the
    level at which its edge of stability would sit."""
    cases = [{"desc": f"lr={lr}, momentum={m}", "args": (lr, m)}
             for lr, m in [(0.1, 0.9), (1.0, 0.0), (0.01, 0.5), (2.0, 0.99), (0.3, 0.25)]]

    def expect(case):
        lr, m = case["args"]
        exact = 2 * (1 + m) / lr
        measured = _sgd_limit(lr, m)  # the closed form, confirmed on the optimizer itself
        if not math.isclose(exact, measured, rel_tol=1e-6):
            raise RuntimeError(f"the stability limit of SGD moved: {measured} against {exact}")
        return exact

    def check(case, expected):
        lr, m = case["args"]
        got = _scalar(_value(edge_threshold, lr, m), "a number (a sharpness)")
        if _close(got, expected):
            return None
        if _close(got, 2 / lr):
            hint = "that is plain GD's limit; momentum changes it (notebook 03: the 2x2 matrix of (p_t, p_t-1))."
        elif _close(got, 2 * (1 - m) / lr) or _close(got, 2 / (lr / (1 - m))):
            hint = ("lr / (1 - momentum) is the effective lr on a slow, flat direction; at the stability limit "
                    "the iterates flip sign every step, and momentum then *cancels* part of the step.")
        else:
            hint = _precision_hint(expected, got) or (
                "write p_t+1 = p_t - lr h p_t + momentum (p_t - p_t-1) and find the h at which an eigenvalue "
                "of its 2x2 matrix reaches -1.")
        return f"returned {got:.10g}, expected {expected:.10g}", hint

    return _run("check_edge_threshold", "the stability limit of course.optim.SGD on a quadratic", cases, check,
                expect=expect)


# ------------------------------------------------------------------ the simple noise scale
@checker
def check_b_simple(b_simple) -> bool:
    """``b_simple(per_sample) -> float``: ``tr(Sigma) / |G|**2`` from per-sample gradients (one row
    each), with ``G`` their mean and ``Sigma`` their covariance (divided by N, the number of rows)."""
    rng = np.random.default_rng(13)
    cases = []
    for n, d, signal in [(50, 3, 1.0), (200, 10, 0.2), (8, 2, 3.0), (1000, 5, 0.05), (30, 40, 0.5)]:
        g = rng.normal(size=(n, d)) + signal * rng.normal(size=d)
        cases.append({"desc": f"{n} samples, {d} parameters", "g": g})

    def check(case, expected):
        g = case["g"]
        got = _scalar(_value(b_simple, g.copy()), "a number (a batch size)")
        if _close(got, expected):
            return None
        n, mean = len(g), g.mean(axis=0)
        trace = float(((g - mean) ** 2).sum(axis=1).mean())
        if _close(got, trace * n / (n - 1) / float(mean @ mean)):
            hint = "Sigma here is divided by N (the samples are the whole data set), not by N - 1."
        elif _close(got, trace / float(np.linalg.norm(mean))):
            hint = "divide by the squared norm of the mean gradient, |G|**2."
        elif _close(got, trace / n / float(mean @ mean)):
            hint = "that is the noise of the full-batch mean (tr(Sigma) / N); B_simple is tr(Sigma) / |G|**2."
        elif _close(got, float((g ** 2).sum(axis=1).mean() / (mean @ mean))):
            hint = "Sigma is the covariance: subtract the mean gradient before squaring."
        else:
            hint = _precision_hint(expected, got) or (
                "tr(Sigma) = mean over samples of |g_i - G|**2, then divide by |G|**2.")
        return f"returned {got:.10g}, expected {expected:.10g}", hint

    return _run("check_b_simple", "course.classroom.noise_scale.b_simple", cases, check,
                expect=lambda case: noise_scale.b_simple(case["g"].copy()))
