"""The checkers of notebook 04: a stub is "not implemented yet", the right answers pass, a classic
mistake gets its own hint, and the expected values come from course.optim, not from a formula."""
import math

import numpy as np
import pytest

import course
from course import optim
from course.classroom import exercises as E
from course.classroom.exercises import adaptive as A

from checker_helpers import stub, verdict


def _adagrad_lr(lr, g, t, eps):
    return lr / (math.sqrt(t) * abs(g) + eps)


def _ratio(alpha, t):
    return 1 / math.sqrt(1 - alpha ** t)


def _inside(g, step, lr, alpha, eps):
    v = (1 - alpha) * g * g
    return abs(step + lr * g / math.sqrt(v + eps)) < abs(step + lr * g / (math.sqrt(v) + eps))


@pytest.mark.parametrize("check", [E.check_adagrad_effective_lr, E.check_rmsprop_step_ratio, E.check_eps_inside])
def test_a_stub_is_not_implemented_yet(check):
    result, out = verdict(check, stub)
    assert result is False and "not implemented yet" in out


@pytest.mark.parametrize("check, fn", [(E.check_adagrad_effective_lr, _adagrad_lr),
                                       (E.check_rmsprop_step_ratio, _ratio), (E.check_eps_inside, _inside)])
def test_the_right_answers_pass(check, fn):
    result, out = verdict(check, fn)
    assert result is True and out.startswith("✓"), out


def test_the_measured_steps_are_the_closed_forms():
    # what the checkers measure on course.optim agrees with the derivations, to rounding
    assert A._steps_on_constant_gradient(optim.Adagrad, -3.0, 40, lr=0.2, eps=0.0) == pytest.approx(
        0.2 / math.sqrt(40), rel=1e-12)
    assert A._steps_on_constant_gradient(optim.RMSprop, 0.5, 7, lr=0.1, alpha=0.9, eps=0.0) == pytest.approx(
        0.1 / math.sqrt(1 - 0.9 ** 7), rel=1e-12)


def test_the_placement_cases_are_torch_and_keras_steps_far_apart():
    for g, lr, alpha, eps, inside in A._PLACEMENT_CASES:
        after = A._first_step(g, lr, alpha, eps, False)
        p = course.Parameter(np.zeros(1))
        p.grad = np.array([g])
        optim.RMSprop([p], lr=lr, alpha=alpha, eps=eps).step()
        assert after == float(p.data[0])
        within = A._first_step(g, lr, alpha, eps, True)
        assert abs(after / within - 1) > 1e-3  # the two placements are told apart far above rounding
    assert 0 < sum(c[-1] for c in A._PLACEMENT_CASES) < len(A._PLACEMENT_CASES)


def test_adagrad_hints():
    result, out = verdict(E.check_adagrad_effective_lr, lambda lr, g, t, eps: lr / (t * abs(g) + eps))
    assert not result and "sqrt(t), not t" in out
    result, out = verdict(E.check_adagrad_effective_lr, lambda lr, g, t, eps: lr / (math.sqrt(t) * g + eps))
    assert not result and "|g|" in out and "case 3" in out
    result, out = verdict(E.check_adagrad_effective_lr, lambda lr, g, t, eps: lr / math.sqrt(t * g * g + eps))
    assert not result and "after the square root" in out
    result, out = verdict(E.check_adagrad_effective_lr, lambda lr, g, t, eps: lr / (math.sqrt(t) * abs(g)))
    assert not result and "eps is still in the denominator" in out


def test_rmsprop_ratio_hints():
    result, out = verdict(E.check_rmsprop_step_ratio, lambda a, t: 1 / math.sqrt(1 - a))
    assert not result and "that is the first step" in out and "case 2" in out
    result, out = verdict(E.check_rmsprop_step_ratio, lambda a, t: math.sqrt(1 - a ** t))
    assert not result and "upside down" in out
    result, out = verdict(E.check_rmsprop_step_ratio, lambda a, t: 1 / (1 - a ** t))
    assert not result and "ROOT" in out


def test_eps_inside_refuses_guesses_and_non_bools():
    for guess in (True, False):
        result, out = verdict(E.check_eps_inside, lambda *args, _g=guess: _g)
        assert not result and "✗" in out
    result, out = verdict(E.check_eps_inside, lambda *args: 1)
    assert not result and "expected True or False" in out
    # "a step above lr means eps after the root" is a heuristic that fails
    result, out = verdict(E.check_eps_inside, lambda g, step, lr, a, eps: abs(step) < lr)
    assert not result and "hint" in out
