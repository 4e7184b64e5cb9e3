"""The checkers of notebook 02: right answers pass, classic mistakes fail naming the case, stubs say so."""
import numpy as np
import pytest

from course.data import DataLoader, TensorDataset
from course.classroom.exercises import check_epoch_batches, check_minibatch_gradient
from course.classroom.exercises import minibatch


# Learner-style solutions, written from the formulas (not from course's autograd or DataLoader).
def gradient(X, y, w, idx):
    Xb, yb = X[idx], y[idx]
    return 2 * Xb.T @ (Xb @ w - yb) / len(idx)


def gradient_sum(X, y, w, idx):
    return gradient(X, y, w, idx) * len(idx)


def gradient_wrong_sign(X, y, w, idx):
    return -gradient(X, y, w, idx)


def gradient_no_two(X, y, w, idx):
    return gradient(X, y, w, idx) / 2


def gradient_full(X, y, w, idx):
    return gradient(X, y, w, np.arange(len(X)))


def gradient_flat(X, y, w, idx):
    return gradient(X, y, w, idx).ravel()  # shape (d,) instead of (d, 1)


def batches(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(epochs):
        order = rng.permutation(n)
        out += [order[i:i + batch_size] for i in range(0, n, batch_size)]
    return out


def batches_same_every_epoch(n, batch_size, epochs, seed):
    out = []
    for _ in range(epochs):
        order = np.random.default_rng(seed).permutation(n)  # a fresh generator each epoch
        out += [order[i:i + batch_size] for i in range(0, n, batch_size)]
    return out


def batches_unshuffled(n, batch_size, epochs, seed):
    return [np.arange(n)[i:i + batch_size] for _ in range(epochs) for i in range(0, n, batch_size)]


def batches_drop_last(n, batch_size, epochs, seed):
    return [b for b in batches(n, batch_size, epochs, seed) if len(b) == batch_size]


def stub(*args):
    raise NotImplementedError


@pytest.mark.parametrize("check,fn", [(check_minibatch_gradient, gradient), (check_epoch_batches, batches)])
def test_correct_passes(check, fn, capsys):
    assert check(fn) is True
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("check", [check_minibatch_gradient, check_epoch_batches])
def test_stub_is_not_implemented_yet(check, capsys):
    assert check(stub) is False
    out = capsys.readouterr().out
    assert "not implemented yet" in out and "Traceback" not in out


@pytest.mark.parametrize("check,fn,where,hint", [
    (check_minibatch_gradient, gradient_sum, "case 1", "divide by the batch size"),
    (check_minibatch_gradient, gradient_wrong_sign, "case 1", "the sign"),
    (check_minibatch_gradient, gradient_no_two, "case 1", "factor 2"),
    (check_minibatch_gradient, gradient_full, "case 1", "full-batch gradient"),
    (check_minibatch_gradient, gradient_flat, "case 1", "has shape (3,), expected (3, 1)"),
    (check_epoch_batches, batches_same_every_epoch, "case 1", "every epoch repeats the first one"),
    (check_epoch_batches, batches_unshuffled, "case 1", "samples in order"),
    (check_epoch_batches, batches_drop_last, "case 1", "returned 4 batches"),
])
def test_mistakes_fail_with_the_case_and_a_hint(check, fn, where, hint, capsys):
    assert check(fn) is False
    out = capsys.readouterr().out
    assert "✗" in out and where in out and hint in out, out


def test_a_crash_in_the_learners_code_is_reported_not_raised(capsys):
    def broken(X, y, w, idx):
        return X[idx] @ w.T  # shapes do not match
    assert check_minibatch_gradient(broken) is False
    assert "your function raised ValueError" in capsys.readouterr().out


def test_reference_gradient_is_the_analytic_one():
    rng = np.random.default_rng(0)
    X, y, w = rng.normal(size=(6, 2)), rng.normal(size=(6, 1)), rng.normal(size=(2, 1))
    idx = np.array([4, 0, 3])
    np.testing.assert_allclose(minibatch._autograd_gradient(X, y, w, idx), gradient(X, y, w, idx), rtol=1e-12)


def test_reference_batches_cover_every_sample_once_per_epoch_and_change_between_epochs():
    got = minibatch._loader_batches(10, 4, 2, seed=0)
    assert [len(b) for b in got] == [4, 4, 2, 4, 4, 2]
    epoch1, epoch2 = np.concatenate(got[:3]), np.concatenate(got[3:])
    assert sorted(epoch1.tolist()) == list(range(10)) == sorted(epoch2.tolist())
    assert not np.array_equal(epoch1, epoch2)
    loader = DataLoader(TensorDataset(np.arange(10) * 10), batch_size=4, shuffle=True, seed=0)
    np.testing.assert_array_equal(np.concatenate([b[0] for b in loader]), epoch1 * 10)


# ----------------------------------------------------------------- the noise ball's consequences
# Learner-style solutions, from the formulas (not from the checkers' bisection or course.optim).
def lr_for_batch(lr, batch_size, new_batch_size, eigenvalues):
    h = np.asarray(eigenvalues, dtype=float)
    target = new_batch_size / batch_size * np.sum(lr / (2 - lr * h))
    lo, hi = 0.0, 2 / h.max()
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.sum(mid / (2 - mid * h)) < target else (lo, mid)
    return (lo + hi) / 2


def expected_excess(lr, batch_size, noise, eigenvalues, start, steps):
    h, z0 = np.asarray(eigenvalues, float), np.asarray(start, float)
    decay = (1 - lr * h) ** (2 * steps)
    ball = lr * noise ** 2 / (batch_size * h * (2 - lr * h))
    return float(np.sum(h * (decay * z0 ** 2 + ball * (1 - decay))) / 2)


def _stationary(expected_excess_fn, lr, b, s, h, z0, t):
    return float(np.sum(np.asarray(h) * lr * s ** 2 / (b * np.asarray(h) * (2 - lr * np.asarray(h)))) / 2)


@pytest.mark.parametrize("check,fn", [(minibatch.check_lr_for_batch, lr_for_batch),
                                      (minibatch.check_expected_excess, expected_excess)])
def test_the_noise_ball_solutions_pass(check, fn, capsys):
    assert check(fn) is True
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("check", [minibatch.check_lr_for_batch, minibatch.check_expected_excess])
def test_the_noise_ball_stubs_are_not_implemented_yet(check, capsys):
    assert check(stub) is False
    out = capsys.readouterr().out
    assert "not implemented yet" in out and "Traceback" not in out


@pytest.mark.parametrize("check,fn,where,hint", [
    (minibatch.check_lr_for_batch, lambda lr, b, nb, h: lr * nb / b, "case 1", "the linear rule"),
    (minibatch.check_lr_for_batch, lambda lr, b, nb, h: lr * b / nb, "case 1", "affords a larger lr"),
    (minibatch.check_lr_for_batch, lambda lr, b, nb, h: lr_for_batch(lr, b, nb, h[:1]), "case 1",
     "sum over all the eigenvalues"),
    (minibatch.check_lr_for_batch, lambda lr, b, nb, h: min(lr * nb / b, 2 / max(h)) if nb > 20 else
     lr_for_batch(lr, b, nb, h), "case 2", "diverges"),
    (minibatch.check_lr_for_batch, lambda lr, b, nb, h: float(np.float32(lr_for_batch(lr, b, nb, h))), "case 1",
     "about 7 digits"),
    (minibatch.check_expected_excess, lambda lr, b, s, h, z, t: _stationary(None, lr, b, s, h, z, t), "case 1",
     "the ball the run settles in"),
    (minibatch.check_expected_excess, lambda lr, b, s, h, z, t: expected_excess(lr, b, 0.0, h, z, t), "case 1",
     "adds a variance"),
    (minibatch.check_expected_excess, lambda lr, b, s, h, z, t: 2 * expected_excess(lr, b, s, h, z, t), "case 1",
     "factor 1/2"),
    (minibatch.check_expected_excess, lambda lr, b, s, h, z, t: expected_excess(lr, 1, s, h, z, t)
     if b > 1 else expected_excess(lr, b, s, h, z, t), "case 2", "noise**2 / B"),
    (minibatch.check_expected_excess, lambda lr, b, s, h, z, t: expected_excess(lr, b, 0.0, h, z, t)
     + _stationary(None, lr, b, s, h, z, t), "case 1", "builds up"),
])
def test_noise_ball_mistakes_fail_with_the_case_and_a_hint(check, fn, where, hint, capsys):
    assert check(fn) is False
    out = capsys.readouterr().out
    assert "✗" in out and where in out and hint in out, out


def test_the_lr_for_a_larger_batch_keeps_the_ball_of_a_simulated_run():
    """The checker's answer, simulated: 20000 independent SGD runs on the 2-D quadratic with
    Gaussian gradient noise, at (lr, B) and at (new lr, 4 B), end in the same ball (3%), while the
    linear rule's lr gives a visibly larger one."""
    h, lr, B = np.array([0.2, 1.0]), 0.3, 2
    new_lr = minibatch._lr_for_ball(minibatch._ball(lr, B, h), 4 * B, h)
    assert new_lr < 4 * lr < 2 / h.max()

    def ball(g, b, seed):
        rng = np.random.default_rng(seed)
        z = np.zeros((20000, 2))
        for _ in range(300):  # (1 - g h)^600 < 1e-10 for both: stationary
            z = (1 - g * h) * z - g * rng.normal(scale=1 / np.sqrt(b), size=z.shape)
        return float(np.mean(np.sum(h * z ** 2, axis=1) / 2))

    before, after, linear = ball(lr, B, 0), ball(new_lr, 4 * B, 1), ball(4 * lr, 4 * B, 2)
    assert abs(after / before - 1) < 0.03
    assert linear / before > 1.15


def test_the_expected_excess_reference_matches_a_simulation():
    h, z0, lr, B, s, t = np.array([0.5, 2.0]), np.array([1.5, -1.0]), 0.2, 4, 1.0, 12
    rng = np.random.default_rng(5)
    z = np.tile(z0, (40000, 1))
    for _ in range(t):
        z = z - lr * (h * z + rng.normal(scale=s / np.sqrt(B), size=z.shape))
    measured = float(np.mean(np.sum(h * z ** 2, axis=1) / 2))
    want = minibatch._expected_excess_reference(lr, B, s, h, z0, t)
    assert abs(measured / want - 1) < 0.02
    assert want == pytest.approx(expected_excess(lr, B, s, h, z0, t), rel=1e-12)
