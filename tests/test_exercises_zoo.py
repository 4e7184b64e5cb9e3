"""The checkers of notebook 06: right answers pass, classic mistakes fail naming the case, stubs say so."""
import numpy as np
import pytest

from course.classroom.exercises import check_adadelta_step, check_lion_step
from course.classroom.exercises import zoo


# Learner-style solutions, written from the formulas (not from course.optim).
def lion(p, g, m, lr, b1, b2, wd):
    c = b1 * m + (1 - b1) * g
    return p * (1 - lr * wd) - lr * np.sign(c), b2 * m + (1 - b2) * g


def lion_beta2_in_sign(p, g, m, lr, b1, b2, wd):
    m = b2 * m + (1 - b2) * g
    return p * (1 - lr * wd) - lr * np.sign(m), m


def lion_no_decay(p, g, m, lr, b1, b2, wd):
    return lion(p, g, m, lr, b1, b2, 0.0)


def adadelta(p, g, v, u, lr, rho, eps):
    v = rho * v + (1 - rho) * g * g
    delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
    u = rho * u + (1 - rho) * delta * delta
    return p - lr * delta, v, u


def adadelta_eps_outside(p, g, v, u, lr, rho, eps):
    v = rho * v + (1 - rho) * g * g
    delta = (np.sqrt(u) + eps) / (np.sqrt(v) + eps) * g
    u = rho * u + (1 - rho) * delta * delta
    return p - lr * delta, v, u


def adadelta_no_lr(p, g, v, u, lr, rho, eps):
    return adadelta(p, g, v, u, 1.0, rho, eps)


def stub(*args):
    raise NotImplementedError


@pytest.mark.parametrize("check,fn", [(check_lion_step, lion), (check_adadelta_step, adadelta)])
def test_correct_passes(check, fn, capsys):
    assert check(fn) is True
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("check", [check_lion_step, check_adadelta_step])
def test_stub_is_not_implemented_yet(check, capsys):
    assert check(stub) is False
    out = capsys.readouterr().out
    assert "not implemented yet" in out and "Traceback" not in out


@pytest.mark.parametrize("check,fn,case,hint", [
    (check_lion_step, lion_beta2_in_sign, "case 1", "the sign uses beta1"),
    (check_lion_step, lion_no_decay, "case 2", "weight decay is missing"),
    (check_adadelta_step, adadelta_eps_outside, "case 1", "INSIDE both square roots"),
    (check_adadelta_step, adadelta_no_lr, "case 2", "multiplies the update by lr"),
])
def test_classic_mistakes_fail_with_a_named_case_and_hint(check, fn, case, hint, capsys):
    assert check(fn) is False
    out = capsys.readouterr().out
    assert f"✗ {check.__name__}, {case}" in out
    assert hint in out
    assert "expected" in out and "got" in out


def test_learner_exception_is_reported_not_raised(capsys):
    def broken(p, g, m, lr, b1, b2, wd):
        return p + undefined_name  # noqa: F821

    assert check_lion_step(broken) is False
    assert "raised NameError" in capsys.readouterr().out


def test_wrong_return_type(capsys):
    assert check_adadelta_step(lambda p, g, v, u, lr, rho, eps: p) is False
    assert "must return a tuple" in capsys.readouterr().out


def test_reexported():
    assert set(zoo.__all__) == {"check_lion_step", "check_adadelta_step"}
