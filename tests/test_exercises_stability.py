"""The checkers of 03's and 05's/06's derive exercises: stubs, the classic mistakes, and references
measured on course.optim (not copied from the formula they check)."""
import math

import numpy as np
import pytest

from course.classroom import exercises as E
from course.classroom.exercises import adam_derivations, stability

from checker_helpers import stub, verdict


@pytest.mark.parametrize("check", [E.check_nesterov_stable_lr, E.check_lion_resting_point,
                                   E.check_adamw_halving_steps, E.check_uncorrected_first_step])
def test_a_stub_is_not_implemented_yet(check):
    result, out = verdict(check, stub)
    assert result is False and "not implemented yet" in out


@pytest.mark.parametrize("h, momentum", [(1.0, 0.9), (3.0, 0.3), (0.1, 0.99)])
def test_nesterov_limit_is_measured_on_the_optimizer(h, momentum):
    measured = stability._nesterov_limit(h, momentum)
    assert measured == pytest.approx(2 * (1 + momentum) / (h * (1 + 2 * momentum)), rel=1e-12)
    assert measured < 2 * (1 + momentum) / h  # below the heavy ball's


def test_heavy_ball_answer_gets_its_hint():
    result, out = verdict(E.check_nesterov_stable_lr, lambda h, m: 2 * (1 + m) / h)
    assert not result and "heavy ball" in out


def test_lion_rests_at_minus_sign_over_decay_whatever_the_gradient_size():
    for g in (1e-3, 5.0, 1e6):
        assert stability._lion_rest(g, 0.5, lr=0.1) == pytest.approx(-2.0, rel=1e-12)
    assert abs(stability._lion_rest(0.0, 0.5, lr=0.1)) < 1e-12
    result, out = verdict(E.check_lion_resting_point, lambda g, wd: -g / wd)
    assert not result and "sign" in out


def test_adamw_halving_is_counted_on_adamw_and_the_approximation_fails():
    assert adam_derivations._halving_steps(0.5, 1.0) == 1
    assert adam_derivations._halving_steps(0.01, 0.1) == 693
    result, out = verdict(E.check_adamw_halving_steps, lambda lr, wd: math.ceil(math.log(2) / (lr * wd)))
    assert not result and "ln(1 - x)" in out


def test_uncorrected_first_step_is_read_from_adams_state():
    assert adam_derivations._uncorrected_ratio(0.9, 0.999) == pytest.approx(0.1 / math.sqrt(0.001), rel=1e-12)
    result, out = verdict(E.check_uncorrected_first_step, lambda b1, b2: 1.0)
    assert not result and "WITH bias correction" in out
    assert verdict(E.check_uncorrected_first_step, lambda b1, b2: (1 - b1) / np.sqrt(1 - b2))[0]
