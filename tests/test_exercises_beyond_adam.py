"""The checkers of notebook 12: a stub is "not implemented yet", a classic mistake gets its own hint."""
import math

import numpy as np
import pytest

from course.classroom import exercises as E
from course.classroom import preconditioning as P

from checker_helpers import stub, verdict


@pytest.mark.parametrize("check", [E.check_jacobi_condition_number, E.check_adafactor_saving,
                                   E.check_ns_steps, E.check_shampoo_as_full_matrix])
def test_a_stub_is_not_implemented_yet(check):
    result, out = verdict(check, stub)
    assert result is False and "not implemented yet" in out


def test_jacobi_hints():
    result, out = verdict(E.check_jacobi_condition_number, lambda k, d: k)
    assert not result and "the bowl's own condition number" in out
    result, out = verdict(E.check_jacobi_condition_number, lambda k, d: 1.0)
    assert not result and "case 1" in out and "0 or 90 degrees" in out


def test_adafactor_saving_is_measured_for_every_shape():
    assert P.adam_state_elements(768, 3072) / P.adafactor_state_elements(768, 3072) == pytest.approx(
        2 * 768 * 3072 / (768 + 3072))
    assert P.adam_state_elements(4, 6, 5) / P.adafactor_state_elements(4, 6, 5) == pytest.approx(60 / 11)
    assert P.adam_state_elements(7) / P.adafactor_state_elements(7) == 2
    result, out = verdict(E.check_adafactor_saving, lambda shape: 1.0 if len(shape) == 1 else
                          2 * shape[-2] * shape[-1] / (shape[-2] + shape[-1]))
    assert not result and "cannot be factored" in out


def test_ns_steps_are_counted_on_a_matrix_and_the_linear_estimate_fails():
    def steps(fraction, threshold):
        x, k = fraction, 0
        while x < threshold:
            x, k = P.ns_polynomial(x), k + 1
        return k
    assert verdict(E.check_ns_steps, steps)[0]
    result, out = verdict(E.check_ns_steps, lambda f, t: 0 if f >= t else math.ceil(math.log(t / f) / math.log(3.4445)))
    assert not result and "x**3 and x**5" in out


def test_shampoo_full_matrix_row_order_is_named():
    def row_major(L, R):
        return np.kron(P.matrix_power(L, -0.25), P.matrix_power(R, -0.25))
    result, out = verdict(E.check_shampoo_as_full_matrix, row_major)
    assert not result and "stacks the rows" in out
    assert verdict(E.check_shampoo_as_full_matrix,
                   lambda L, R: np.kron(P.matrix_power(R, -0.25), P.matrix_power(L, -0.25)))[0]
