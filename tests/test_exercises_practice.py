"""The exercise checkers of 09-11: stubs, right answers and classic mistakes."""
import numpy as np
import pytest

from course.classroom.exercises import practice as pe


def stub(*args, **kwargs):
    raise NotImplementedError


def train_one_epoch(model, loss_fn, optimizer, loader):
    total, count = 0.0, 0
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(x)
        count += len(x)
    return total / count


def mean_of_batches(model, loss_fn, optimizer, loader):
    losses = []
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)


def no_zero_grad(model, loss_fn, optimizer, loader):
    for x, y in loader:
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return loss.item()


def accuracy(logits, targets):
    return float(np.mean(np.argmax(logits, axis=1) == targets))


def exponential_lrs(start_lr, end_lr, num_iter):
    return [start_lr * (end_lr / start_lr) ** (i / (num_iter - 1)) for i in range(num_iter)]


def smooth_losses(losses, beta, debias=True):
    avg, out = 0.0, []
    for i, loss in enumerate(losses):
        avg = beta * avg + (1 - beta) * loss
        out.append(avg / (1 - beta ** (i + 1)) if debias else avg)
    return out


def momentum_step(p, g, buf, *, lr, momentum):
    buf *= momentum
    buf += g
    p -= lr * buf


def momentum_with_copies(p, g, buf, *, lr, momentum):
    buf[...] = momentum * buf + g
    p[...] = p - lr * buf


def roofline_time(flops, nbytes, n, bandwidth, peak):
    return max(nbytes * n / bandwidth, flops * n / peak)


CHECKS = [
    (pe.check_train_one_epoch, train_one_epoch, [(mean_of_batches, "weight each batch"), (no_zero_grad, "zero_grad")]),
    (pe.check_accuracy, accuracy, [(lambda l, t: 100 * accuracy(l, t), "percentage"),
                                   (lambda l, t: float(np.mean(np.argmin(l, axis=1) == t)), "axis=1")]),
    (pe.check_exponential_lrs, exponential_lrs,
     [(lambda s, e, n: [s * (e / s) ** (i / n) for i in range(n)], "num_iter - 1")]),
    (pe.check_smooth_losses, smooth_losses, [(lambda l, b: smooth_losses(l, b, debias=False), "1 - beta ** (i + 1)")]),
    (pe.check_momentum_step_inplace, momentum_step, [(momentum_with_copies, "temporaries"),
                                                     (lambda p, g, buf, *, lr, momentum: None, "p differs")]),
    (pe.check_roofline_time, roofline_time, [(lambda f, b, n, bw, pk: b * n / bw + f * n / pk, "max(")]),
]


@pytest.mark.parametrize("check, good, bad", CHECKS, ids=[c[0].__name__ for c in CHECKS])
def test_checker(check, good, bad, capsys):
    assert check(stub) is False
    assert "not implemented yet" in capsys.readouterr().out
    assert check(good) is True
    assert capsys.readouterr().out.startswith("✓")
    for fn, needle in bad:
        assert check(fn) is False
        out = capsys.readouterr().out
        assert out.startswith("✗") and needle in out, out


def test_a_raising_function_is_reported_not_raised(capsys):
    def broken(*args, **kwargs):
        raise KeyError("oops")

    assert pe.check_accuracy(broken) is False
    assert "raised KeyError" in capsys.readouterr().out


def test_returning_none_counts_as_not_implemented(capsys):
    assert pe.check_accuracy(lambda logits, targets: None) is False
    assert "not implemented yet" in capsys.readouterr().out


# ------------------------------------------------------------------ 09: the new exercises
import math as _math


def per_step_t_max(n_train, batch_size, epochs, drop_last=False):
    per_epoch = n_train // batch_size if drop_last else _math.ceil(n_train / batch_size)
    return per_epoch * epochs


def test_per_step_t_max_accepts_the_right_answer_and_refuses_slips(capsys):
    assert pe.check_per_step_t_max(per_step_t_max)
    assert not pe.check_per_step_t_max(lambda n, b, e, drop_last=False: e)
    assert "counts epochs" in capsys.readouterr().out
    assert not pe.check_per_step_t_max(lambda n, b, e, drop_last=False: (n // b) * e)
    assert "round up" in capsys.readouterr().out
    assert not pe.check_per_step_t_max(lambda n, b, e, drop_last=False: _math.ceil(n / b) * e)
    assert not pe.check_per_step_t_max(stub)


def test_loop_bugs_checker(capsys):
    right = {"A": pe.LOOP_BUGS[0], "B": pe.LOOP_BUGS[1], "C": pe.LOOP_BUGS[2]}
    assert pe.check_loop_bugs(right)
    assert not pe.check_loop_bugs({"A": ..., "B": ..., "C": ...})
    assert "not implemented yet" in capsys.readouterr().out
    assert not pe.check_loop_bugs(dict(right, B=pe.LOOP_BUGS[3]))
    assert "loop B" in capsys.readouterr().out
    assert not pe.check_loop_bugs(dict(right, A="something else"))
    assert not pe.check_loop_bugs({"A": pe.LOOP_BUGS[0]})
    assert not pe.check_loop_bugs([pe.LOOP_BUGS[0]])


def adam_first_step_ratio(lr, weight):
    return lr * np.sqrt(weight.size) / np.linalg.norm(weight)


def test_adam_first_step_ratio_checker(capsys):
    assert pe.check_adam_first_step_ratio(adam_first_step_ratio)
    assert not pe.check_adam_first_step_ratio(lambda lr, w: lr / np.linalg.norm(w))
    assert "root of the number" in capsys.readouterr().out
    assert not pe.check_adam_first_step_ratio(lambda lr, w: lr * w.size / np.linalg.norm(w))
    assert not pe.check_adam_first_step_ratio(stub)


def accumulating(model, loss_fn, optimizer, loader, accumulate):
    return pe._accumulating_reference(model, loss_fn, optimizer, loader, accumulate)


def test_accumulating_epoch_checker(capsys):
    assert pe.check_accumulating_epoch(accumulating)
    unscaled = lambda m, l, o, d, a: pe._accumulating_reference(m, l, o, d, a, scale=False)
    assert not pe.check_accumulating_epoch(unscaled)
    assert "loss / accumulate" in capsys.readouterr().out
    no_left = lambda m, l, o, d, a: pe._accumulating_reference(m, l, o, d, a, leftover=False)
    assert not pe.check_accumulating_epoch(no_left)
    assert "once more after the loop" in capsys.readouterr().out
    assert not pe.check_accumulating_epoch(train_one_epoch_ignoring_accumulate)
    assert not pe.check_accumulating_epoch(stub)


def train_one_epoch_ignoring_accumulate(model, loss_fn, optimizer, loader, accumulate):
    return train_one_epoch(model, loss_fn, optimizer, loader)
