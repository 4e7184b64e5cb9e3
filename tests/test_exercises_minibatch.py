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
