"""The checkers of 01's derive exercises: stubs, the classic mistakes, and references measured on
course.optim.SGD (not copied from the formula they check)."""
import math

import pytest

from course.classroom import exercises as E
from course.classroom import rates
from course.classroom.exercises import descent

from checker_helpers import stub, verdict


@pytest.mark.parametrize("check", [E.check_gd_steps_needed, E.check_descent_lr_range])
def test_a_stub_is_not_implemented_yet(check):
    result, out = verdict(check, stub)
    assert result is False and "not implemented yet" in out


@pytest.mark.parametrize("lr, L, mu, tol", descent._STEP_CASES)
def test_steps_are_counted_on_sgd_and_no_case_sits_on_a_whole_number(lr, L, mu, tol):
    rate = max(abs(1 - lr * mu), abs(1 - lr * L))
    counted = descent._steps_needed(lr, L, mu, tol)
    if rate == 0:
        assert counted == 1
    else:
        exact = math.log(tol) / math.log(rate)
        assert abs(exact - round(exact)) > 0.01  # a last-bit change cannot move the answer
        assert counted == math.ceil(exact)


def test_the_flat_direction_alone_gets_the_steep_hint():
    result, out = verdict(E.check_gd_steps_needed, lambda lr, L, mu, tol: math.ceil(math.log(tol) / math.log(1 - lr * mu)))
    assert not result and "steep one is slower" in out


def test_rate_zero_takes_one_step():
    assert descent._steps_needed(0.5, 2.0, 2.0, 1e-8) == 1
    result, out = verdict(E.check_gd_steps_needed, lambda lr, L, mu, tol: 0)
    assert not result


@pytest.mark.parametrize("L, c", [(1.0, 0.5), (10.0, 0.75), (0.2, 0.1), (250.0, 0.36)])
def test_lr_range_is_bisected_on_a_measured_step(L, c):
    low, high = descent._lr_range(L, c)
    assert low == pytest.approx((1 - math.sqrt(1 - c)) / L, rel=1e-12)
    assert high == pytest.approx((1 + math.sqrt(1 - c)) / L, rel=1e-12)
    assert descent._decrease(1 / L, L) == pytest.approx(1 / (2 * L), rel=1e-12)  # the bound is tight on L x^2/2


def test_two_over_L_gets_its_hint_and_swapped_is_named():
    result, out = verdict(E.check_descent_lr_range, lambda L, c: (0.0, 2 / L))
    assert not result
    roots = lambda L, c: ((1 - math.sqrt(1 - c)) / L, (1 + math.sqrt(1 - c)) / L)  # noqa: E731
    result, out = verdict(E.check_descent_lr_range, lambda L, c: roots(L, c)[::-1])
    assert not result and "smaller lr first" in out
    assert verdict(E.check_descent_lr_range, roots)[0]


def test_regimes_are_read_off_the_optimizer_and_every_regime_is_a_case():
    seen = {descent._regime(*case) for case in descent._REGIME_CASES}
    assert seen == set(descent.REGIMES)
    assert descent._regime(0.25, 0.25, 1.0) == "critically damped"    # (1 + m - lr h)^2 = 4 m exactly
    assert descent._regime(1.0, 0.9, 1.0) == "underdamped"
    for lr, m, h in descent._REGIME_CASES:                              # no case near the stability limit
        assert abs(rates.momentum_rate(lr, m, [h]) - 1) > 1e-3   # far above rounding


def test_a_regime_that_is_not_a_word_gets_the_word_list():
    result, out = verdict(E.check_heavy_ball_regime, lambda lr, m, h: "spiralling")
    assert not result and "'underdamped'" in out and "exactly these words" in out


def test_gradient_descents_limit_gets_the_heavy_ball_limit_hint():
    def wrong(lr, m, h):
        return "diverging" if lr * h >= 2 else descent._regime(lr, m, h)
    result, out = verdict(E.check_heavy_ball_regime, wrong)
    assert not result and "2 (1 + momentum)" in out
