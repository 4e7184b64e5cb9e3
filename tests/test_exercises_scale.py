"""The exercise checkers of notebook 13: stubs, right answers, the classic mistakes and their hints,
and the references they compute against the optimizers themselves."""
import contextlib
import io
import math

import numpy as np
import pytest

import course
from course import optim
from course.classroom import exercises as E
from course.classroom.exercises import scale


def run(check, fn):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = check(fn)
    return result, out.getvalue()


def stub(*args):
    raise NotImplementedError


def rho(t, b):
    return 2 / (1 - b) - 1 - 2 * t * b ** t / (1 - b ** t)


def first_rectified_step(beta2):
    return next(t for t in range(1, 1000) if rho(t, beta2) > 5)


def scaled_lr(lr, batch, new_batch, optimizer):
    return lr * new_batch / batch if optimizer == "SGD" else lr * math.sqrt(new_batch / batch)


def edge_threshold(lr, momentum):
    return 2 * (1 + momentum) / lr


def b_simple(g):
    mean = g.mean(axis=0)
    return float(((g - mean) ** 2).sum(axis=1).mean() / (mean @ mean))


RIGHT = {"check_first_rectified_step": first_rectified_step, "check_scaled_lr": scaled_lr,
         "check_edge_threshold": edge_threshold, "check_b_simple": b_simple}


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_the_right_answer_passes_and_a_stub_is_not_yet(name):
    check = getattr(E, name)
    ok, out = run(check, RIGHT[name])
    assert ok is True and out.startswith(f"✓ {name}: all"), out
    ok, out = run(check, stub)
    assert ok is False and "not implemented yet" in out, out


@pytest.mark.parametrize("name, wrong, hint", [
    ("check_first_rectified_step", lambda b: first_rectified_step(b) - 1, "steps count from 1"),
    ("check_first_rectified_step", lambda b: next(t for t in range(1, 99) if rho(t, b) > 4), "rho_t > 5"),
    ("check_first_rectified_step", lambda b: np.int8(first_rectified_step(b)), "wrap around"),
    ("check_scaled_lr", lambda lr, b, nb, o: lr * math.sqrt(nb / b), "linear rule"),
    ("check_scaled_lr", lambda lr, b, nb, o: lr * nb / b if o == "SGD" else lr * nb / b, "lr / sqrt(B)"),
    ("check_scaled_lr", lambda lr, b, nb, o: lr * b / nb, "not a smaller one"),
    ("check_edge_threshold", lambda lr, m: 2 / lr, "plain GD's limit"),
    ("check_edge_threshold", lambda lr, m: 2 * (1 - m) / lr, "cancels"),
    ("check_b_simple", lambda g: float(np.trace(np.cov(g.T)) / (g.mean(0) @ g.mean(0))), "not by N - 1"),
    ("check_b_simple", lambda g: float((g ** 2).sum(1).mean() / (g.mean(0) @ g.mean(0))), "subtract the mean"),
    ("check_b_simple", lambda g: b_simple(g) / len(g), "full-batch mean"),
])
def test_a_classic_mistake_fails_with_its_case_and_hint(name, wrong, hint):
    ok, out = run(getattr(E, name), wrong)
    assert ok is False, out
    assert f"✗ {name}, case " in out and "expected" in out and hint in out, out


def test_the_rectified_step_reference_is_read_off_radam_and_agrees_with_rho():
    for beta2 in (0.999, 0.9, 0.7, 0.75, 0.8, 0.99):
        assert scale._radam_first_rectified(beta2) == first_rectified_step(beta2)
    # and it really is where RAdam's step changes: momentum SGD before, a smaller adaptive step from then on
    p = course.Parameter(np.zeros(1))
    opt = optim.RAdam([p], lr=0.1, betas=(0.9, 0.7))
    moves = []
    for _ in range(12):
        before = float(p.data[0])
        p.grad = np.array([4.0])
        opt.step()
        moves.append(before - float(p.data[0]))
    np.testing.assert_allclose(moves[:9], 0.4, rtol=1e-12)  # lr * m_hat, m_hat = 4
    assert all(0 < m < 0.1 for m in moves[9:])  # from step 10: lr * r_t * m_hat / sqrt(v_hat)


@pytest.mark.parametrize("lr, momentum", [(0.1, 0.9), (1.0, 0.0), (0.3, 0.25), (2.0, 0.99)])
def test_the_edge_threshold_is_where_sgd_starts_to_diverge(lr, momentum):
    limit = scale._sgd_limit(lr, momentum)
    assert limit == pytest.approx(2 * (1 + momentum) / lr, rel=1e-9)
    ends = []
    for h in (0.9 * limit, 1.1 * limit):
        p = course.Parameter(np.ones(1))
        opt = optim.SGD([p], lr=lr, momentum=momentum)
        with np.errstate(all="ignore"):
            for _ in range(3000):
                p.grad = h * np.asarray(p.data)
                opt.step()
        ends.append(abs(float(p.data[0])))
    assert ends[0] < 1e-3 and not ends[1] < 1e3, ends  # nan counts as diverged


def test_b_simple_reference_is_the_covariance_trace():
    rng = np.random.default_rng(0)
    g = rng.normal(size=(40, 4)) + 1.0
    expected = np.trace(np.cov(g.T, bias=True)) / (g.mean(0) @ g.mean(0))
    assert course.classroom.noise_scale.b_simple(g) == pytest.approx(expected, rel=1e-12)


def test_the_learners_function_gets_copies():
    seen = []

    def scribbles(g):
        seen.append(g)
        value = b_simple(g)
        g[...] = 0
        return value

    assert run(E.check_b_simple, scribbles)[0] is True
    assert run(E.check_b_simple, b_simple)[0] is True  # the next check's data is intact
    assert len(seen) == 5
