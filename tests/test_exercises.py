"""Exercise checks: right answers pass, wrong ones fail naming the case, stubs are 'not implemented yet'."""
import math

import numpy as np
import pytest

from course.classroom import exercises as E


# Learner-style solutions, written from the formulas (not from course.optim).
def gd(p, g, lr):
    return p - lr * g


def stable_lr(H):
    return 2 / np.linalg.eigvalsh(H).max()


def momentum(p, g, b, lr, mu):
    b = mu * b + g
    return p - lr * b, b


def nesterov(p, g, b, lr, mu):
    b = mu * b + g
    return p - lr * (g + mu * b), b


def optimal(L, mu):
    k = L / mu
    return (2 / (math.sqrt(L) + math.sqrt(mu))) ** 2, ((math.sqrt(k) - 1) / (math.sqrt(k) + 1)) ** 2


def adagrad(p, g, s, lr, eps):
    s = s + g * g
    return p - lr * g / (np.sqrt(s) + eps), s


def rmsprop(p, g, v, lr, alpha, eps):
    v = alpha * v + (1 - alpha) * g * g
    return p - lr * g / (np.sqrt(v) + eps), v


def adam(p, g, m, v, t, lr, b1, b2, eps):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    return p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps), m, v


def adamw(p, g, m, v, t, lr, b1, b2, eps, wd):
    return adam(p * (1 - lr * wd), g, m, v, t, lr, b1, b2, eps)


CORRECT = [(E.check_gd_step, gd), (E.check_stable_lr, stable_lr), (E.check_momentum_step, momentum),
           (E.check_nesterov_step, nesterov), (E.check_optimal_momentum, optimal), (E.check_adagrad_step, adagrad),
           (E.check_rmsprop_step, rmsprop), (E.check_adam_step, adam), (E.check_adamw_step, adamw)]
IDS = [c.__name__ for c, _ in CORRECT]


@pytest.mark.parametrize("check,fn", CORRECT, ids=IDS)
def test_correct_function_passes(check, fn, capsys):
    assert check(fn) is True
    out = capsys.readouterr().out
    assert out.startswith(f"✓ {check.__name__}: all 3 cases match")


def stub_raise(*args):
    raise NotImplementedError


def stub_none(*args):
    pass


def stub_ellipsis(*args):
    return ...


@pytest.mark.parametrize("check", [c for c, _ in CORRECT], ids=IDS)
@pytest.mark.parametrize("stub", [stub_raise, stub_none, stub_ellipsis])
def test_stub_is_not_implemented_yet(check, stub, capsys):
    assert check(stub) is False
    out = capsys.readouterr().out
    assert "not implemented yet" in out and "Traceback" not in out


def wrong_case(check, fn, capsys):
    assert check(fn) is False
    return capsys.readouterr().out


def test_wrong_gd_names_case_and_shows_expected_and_got(capsys):
    out = wrong_case(E.check_gd_step, lambda p, g, lr: p + lr * g, capsys)
    assert "✗ check_gd_step, case 1 (lr=0.1), step 1: param differs" in out
    assert "expected [" in out and "got      [" in out and "hint: a step moves *against* the gradient" in out


def test_a_bug_only_in_a_later_case_is_found(capsys):
    def adam_fixed_beta(p, g, m, v, t, lr, b1, b2, eps):  # ignores beta1: right only where beta1 == 0.9
        return adam(p, g, m, v, t, lr, 0.9, b2, eps)

    out = wrong_case(E.check_adam_step, adam_fixed_beta, capsys)
    assert "case 2 (lr=0.1, beta1=0.8" in out


def test_a_bug_only_in_a_later_step_is_found(capsys):
    def momentum_forgets(p, g, b, lr, mu):  # ignores the buffer: right at step 1 only
        return p - lr * g, g

    out = wrong_case(E.check_momentum_step, momentum_forgets, capsys)
    assert "case 1 (lr=0.1, momentum=0.9), step 2" in out


@pytest.mark.parametrize("check,fn,hint", [
    (E.check_adam_step, lambda p, g, m, v, t, lr, b1, b2, eps: (
        p - lr * (b1 * m + (1 - b1) * g) / (np.sqrt(b2 * v + (1 - b2) * g * g) + eps),
        b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g), "bias correction is missing"),
    (E.check_adam_step, lambda p, g, m, v, t, lr, b1, b2, eps: (
        p - lr * ((b1 * m + (1 - b1) * g) / (1 - b1 ** t)) / np.sqrt((b2 * v + (1 - b2) * g * g) / (1 - b2 ** t) + eps),
        b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g), "eps sits outside the square root"),
    (E.check_adamw_step, lambda p, g, m, v, t, lr, b1, b2, eps, wd: adam(p, g + wd * p, m, v, t, lr, b1, b2, eps),
     "that is Adam's L2 penalty"),
    (E.check_momentum_step, lambda p, g, b, lr, mu: (p + (mu * b - lr * g), mu * b - lr * g), "Sutskever"),
    (E.check_rmsprop_step, lambda p, g, v, lr, a, eps: (p - lr * g / np.sqrt(a * v + (1 - a) * g * g + eps),
                                                        a * v + (1 - a) * g * g), "eps goes outside"),
    (E.check_stable_lr, lambda H: 1 / np.linalg.eigvalsh(H).max(), "not the limit"),
])
def test_classic_mistakes_get_a_specific_hint(check, fn, hint, capsys):
    out = wrong_case(check, fn, capsys)
    assert hint in out


def test_exceptions_and_bad_returns_are_reported_not_raised(capsys):
    out = wrong_case(E.check_gd_step, lambda p, g, lr: p[10], capsys)
    assert "your function raised IndexError" in out
    out = wrong_case(E.check_momentum_step, lambda p, g, b, lr, mu: p - lr * g, capsys)
    assert "must return a tuple (new_param, new_buf), got ndarray" in out
    out = wrong_case(E.check_gd_step, lambda p, g, lr: (p - lr * g)[:2], capsys)
    assert "has shape (2,), expected (3,)" in out
    out = wrong_case(E.check_gd_step, lambda p, g, lr: "nope", capsys)
    assert "must return arrays of numbers, got str" in out


def test_learner_cannot_corrupt_the_cases(capsys):
    def in_place(p, g, lr):  # modifies its inputs, returns the same object: still correct
        p -= lr * g
        g *= 0
        return p

    assert E.check_gd_step(in_place) is True
