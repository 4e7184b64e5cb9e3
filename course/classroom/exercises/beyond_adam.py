"""Checks for the exercises of notebook 12 (beyond Adam): preconditioners, Newton–Schulz, Adafactor.

Each expected answer is measured, not written down: the condition number by an eigensolver, the
singular values by running the iteration on a matrix, the state by stepping ``course.optim``.

>>> def adafactor_saving(shape):
...     if len(shape) == 1:
...         return 2.0
...     m, n = shape[-2:]
...     return 2 * m * n / (m + n)
>>> check_adafactor_saving(adafactor_saving)
✓ check_adafactor_saving: all 7 cases match the state of course.optim.Adam and Adafactor after one step.
True
"""
from __future__ import annotations

import math

import numpy as np

from .. import landscapes
from .. import preconditioning as P
from ._checking import _arr, _precision_hint, checker
from .practice import _as_float, _int_answer, _number_mismatch, _run, _value

__all__ = ["check_jacobi_condition_number", "check_adafactor_saving", "check_ns_steps",
           "check_shampoo_as_full_matrix"]

RTOL = 1e-9


@checker
def check_jacobi_condition_number(jacobi_condition_number) -> bool:
    """``jacobi_condition_number(kappa, degrees) -> float``: the condition number of the bowl of
    condition number ``kappa`` rotated by ``degrees``, after the diagonal preconditioning
    :math:`D^{-1/2} H D^{-1/2}` with :math:`D = \\operatorname{diag}(H)`."""
    cases = [{"desc": f"kappa={k:g}, rotated {d:g} degrees", "args": (k, d)}
             for k, d in [(100.0, 30.0), (100.0, 0.0), (100.0, 45.0), (10.0, 60.0), (4.0, 15.0),
                          (1.0, 30.0), (1e4, 10.0), (50.0, 135.0), (100.0, 90.0)]]

    def expect(case):
        H = landscapes.quadratic(condition_number=case["args"][0], rotation=case["args"][1]).hessian
        return P.preconditioned_condition_number(H, np.diag(np.diag(H)))

    def check(case, expected):
        kappa, degrees = case["args"]
        got = _as_float(_value(jacobi_condition_number, kappa, degrees), "a number (a condition number)")
        if math.isclose(got, expected, rel_tol=RTOL):
            return None
        if math.isclose(got, kappa, rel_tol=1e-6):
            hint = "that is the bowl's own condition number: the diagonal does help, except at 45 degrees."
        elif got < 1 - 1e-12:
            hint = "a condition number is largest over smallest eigenvalue: at least 1."
        elif math.isclose(got, 1.0, rel_tol=1e-9):
            hint = "the diagonal rounds the bowl only when its axes are the coordinates (0 or 90 degrees)."
        else:
            hint = ("D^{-1/2} H D^{-1/2} has ones on its diagonal and r = H_xy / sqrt(H_xx H_yy) off it: "
                    "its eigenvalues are 1 + r and 1 - r. Write H's entries with cos and sin of the angle.")
        return _number_mismatch(got, expected, hint)

    return _run("check_jacobi_condition_number", "the eigenvalues of D^-1/2 H D^-1/2", cases, check, expect=expect)


def _shape_text(shape):
    return " x ".join(str(k) for k in shape)


@checker
def check_adafactor_saving(adafactor_saving) -> bool:
    """``adafactor_saving(shape) -> float``: how many times fewer state elements ``optim.Adafactor``
    (torch's, which keeps no first moment) keeps than ``optim.Adam`` for one parameter of ``shape``."""
    cases = [{"desc": f"a {_shape_text(shape)} parameter", "shape": shape}
             for shape in [(768, 3072), (64, 10), (1000,), (3, 20, 30), (1, 1000), (512, 512), (2, 2, 5, 7)]]

    def expect(case):
        return P.adam_state_elements(*case["shape"]) / P.adafactor_state_elements(*case["shape"])

    def check(case, expected):
        shape = case["shape"]
        got = _as_float(_value(adafactor_saving, tuple(shape)), "a number (a ratio)")
        if math.isclose(got, expected, rel_tol=RTOL):
            return None
        size = math.prod(shape)
        m, n = (shape[-2], shape[-1]) if len(shape) > 1 else (1, shape[0])
        if len(shape) == 1:
            hint = ("a vector cannot be factored: Adafactor keeps one second moment per element, Adam two "
                    "numbers (exp_avg and exp_avg_sq).")
        elif math.isclose(got, expected / 2, rel_tol=1e-6):
            hint = "Adam keeps two arrays the size of the parameter: exp_avg and exp_avg_sq."
        elif math.isclose(got, 1 / expected, rel_tol=1e-6):
            hint = "the ratio is upside down: Adam's count over Adafactor's."
        elif len(shape) > 2 and math.isclose(got, 2 * size / (m + n), rel_tol=1e-6):
            hint = ("the leading dimensions are a stack of matrices: each one gets its own row and column "
                    "(torch factors over the last two dimensions).")
        else:
            hint = "count both: Adam 2 x size; Adafactor a row (m) and a column (n) per m x n matrix."
        return _number_mismatch(got, expected, hint)

    return _run("check_adafactor_saving", "the state of course.optim.Adam and Adafactor after one step",
                cases, check, expect=expect)


def _matrix_with(singular_values, rows: int, seed: int):
    """``(G, U, V)``: a ``rows x len(s)`` matrix ``G = U diag(s) V^T`` between seeded random rotations."""
    s = np.asarray(singular_values, dtype=float)
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.normal(size=(rows, s.size)))
    V, _ = np.linalg.qr(rng.normal(size=(s.size, s.size)))
    return (U * s) @ V.T, U, V


def _steps_until(fraction, threshold, limit: int = 200):
    """Run the float64 iteration, one step at a time, on a 6 x 3 matrix in which one singular value is
    ``fraction`` of the Frobenius norm; the first step count after which that value is >= threshold."""
    rest = math.sqrt(1 - fraction ** 2)
    G, U, V = _matrix_with([rest * 0.8, rest * 0.6, fraction], rows=6, seed=7)
    X = G
    for steps in range(limit + 1):
        if np.diag(U.T @ X @ V)[2] >= threshold:
            return steps
        X = P.newton_schulz(G, steps=steps + 1)
    return None


@checker
def check_ns_steps(ns_steps) -> bool:
    """``ns_steps(fraction, threshold) -> int``: how many Newton–Schulz steps (torch's coefficients) a
    singular value that is ``fraction`` of the matrix's Frobenius norm needs to reach ``threshold``."""
    cases = [{"desc": f"a singular value {f:g} of the norm, to reach {t:g}", "args": (f, t)}
             for f, t in [(1e-3, 0.5), (0.2, 0.68), (1e-5, 0.68), (0.3, 0.2), (3e-4, 0.5), (0.1, 1.0),
                          (1e-6, 0.8)]]  # the last four: where a x alone (the slope at 0) is off by one

    def expect(case):
        return _steps_until(*case["args"])

    def check(case, expected):
        fraction, threshold = case["args"]
        raw = _value(ns_steps, fraction, threshold)
        got = _int_answer(raw)
        if got == expected:
            return None
        linear = math.log(threshold / fraction) / math.log(P.NS_COEFFICIENTS[0])
        if got is None:
            hint = "a number of steps is a whole number."
        elif linear > 0 and got in (math.floor(linear), math.ceil(linear)):
            hint = ("a x (the linear part) is right only while x is small: near the threshold the x**3 and x**5 "
                    "terms slow the growth. Apply the whole polynomial step by step.")
        elif got == expected - 1 or got == expected + 1:
            hint = "off by one: count the steps after which the value is at or above the threshold (0 if it already is)."
        else:
            hint = ("each step maps the singular value x (a fraction of the norm) to a x + b x**3 + c x**5: "
                    "count the steps until it reaches the threshold.")
        return f"returned {raw!r}, expected {expected}", hint

    return _run("check_ns_steps", "a float64 Newton-Schulz run, step by step", cases, check, expect=expect)


@checker
def check_shampoo_as_full_matrix(shampoo_as_full_matrix) -> bool:
    """``shampoo_as_full_matrix(L, R) -> array``: the ``mn x mn`` matrix ``P`` with
    ``vec(L^{-1/4} G R^{-1/4}) = P vec(G)`` for every ``m x n`` ``G``, where ``vec`` stacks the
    columns (``G.flatten(order="F")``)."""
    rng = np.random.default_rng(12)
    cases = []
    for m, n, spread in [(3, 2, 10.0), (2, 2, 100.0), (2, 4, 3.0), (4, 3, 1e3)]:
        def spd(k):
            Q, _ = np.linalg.qr(rng.normal(size=(k, k)))
            S = (Q * np.geomspace(spread, 1.0, k)) @ Q.T
            return (S + S.T) / 2
        cases.append({"desc": f"L {m} x {m}, R {n} x {n}, condition numbers {spread:g}", "L": spd(m), "R": spd(n)})

    def expect(case):
        # column by column: the direction of each basis matrix E_ij, stacked by columns
        m, n = case["L"].shape[0], case["R"].shape[0]
        out = np.zeros((m * n, m * n))
        for k in range(m * n):
            E = np.zeros(m * n)
            E[k] = 1.0
            out[:, k] = P.shampoo_direction(E.reshape((m, n), order="F"), case["L"], case["R"], eps=0.0).flatten(order="F")
        return out

    def check(case, expected):
        L, R = case["L"], case["R"]
        got = _arr(_value(shampoo_as_full_matrix, L.copy(), R.copy()))
        if got.shape != expected.shape:
            return (f"returned shape {got.shape}, expected {expected.shape}",
                    "P acts on vec(G), which has m n entries: P is (m n) x (m n).")
        if np.allclose(got, expected, rtol=1e-8, atol=1e-10):
            return None
        l4, r4 = P.matrix_power(L, -0.25), P.matrix_power(R, -0.25)
        if np.allclose(got, np.kron(l4, r4), rtol=1e-6, atol=1e-9):
            hint = "that Kronecker product is for a vec that stacks the rows; with columns stacked the order flips."
        elif np.allclose(got, np.kron(P.matrix_power(R, -0.5), P.matrix_power(L, -0.5)), rtol=1e-6, atol=1e-9):
            hint = "each factor keeps its -1/4 power inside the Kronecker product."
        else:
            hint = "use vec(A X B) = (B^T kron A) vec(X) for column-stacked vec, with A = L^-1/4 and B = R^-1/4."
        return "P differs from the matrix of the map G -> L^-1/4 G R^-1/4", _precision_hint(expected, got) or hint

    return _run("check_shampoo_as_full_matrix", "the map G -> L^-1/4 G R^-1/4, column by column", cases, check,
                expect=expect)
