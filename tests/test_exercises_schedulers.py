"""The checkers of notebooks 07 and 08.

A right answer passes, a wrong one fails naming its case, a stub is 'not implemented yet'.
"""
from __future__ import annotations

import math

import pytest

from course.classroom.plateau_demo import plateau_timeline
from course.classroom.exercises.schedulers import (DROP_EXERCISE, check_chained_lr, check_cosine_lr, check_drop_epochs,
                                                   check_first_epoch_below, check_is_better, check_step_lr,
                                                   check_warm_restart_lr, check_warmup_cosine)


def step_lr(base_lr, gamma, step_size, epoch):
    return base_lr * gamma ** (epoch // step_size)


def step_lr_off_by_one(base_lr, gamma, step_size, epoch):  # decays one epoch late
    return base_lr * gamma ** ((epoch - 1) // step_size) if epoch > 0 else base_lr


def cosine_lr(base_lr, eta_min, T_max, epoch):
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * epoch / T_max)) / 2


def cosine_lr_clamped(base_lr, eta_min, T_max, epoch):  # stays at eta_min after T_max: not what torch does
    return cosine_lr(base_lr, eta_min, T_max, min(epoch, T_max))


def warmup_cosine(base_lr, start_factor, warmup, total, eta_min, epoch):
    if epoch < warmup:
        return base_lr * (start_factor + (1 - start_factor) * epoch / warmup)
    return cosine_lr(base_lr, eta_min, total - warmup, epoch - warmup)


def warmup_cosine_full_length(base_lr, start_factor, warmup, total, eta_min, epoch):  # T_max = total: wrong
    if epoch < warmup:
        return base_lr * (start_factor + (1 - start_factor) * epoch / warmup)
    return cosine_lr(base_lr, eta_min, total, epoch - warmup)


def is_better(a, best, mode, threshold_mode, threshold):
    if mode == "min":
        return a < (best * (1 - threshold) if threshold_mode == "rel" else best - threshold)
    return a > (best * (1 + threshold) if threshold_mode == "rel" else best + threshold)


def is_better_not_strict(a, best, mode, threshold_mode, threshold):
    if mode == "min":
        return a <= (best * (1 - threshold) if threshold_mode == "rel" else best - threshold)
    return a >= (best * (1 + threshold) if threshold_mode == "rel" else best + threshold)


def chained_lr(base_lr, start_factor, warmup, T_max, k):  # the factors of the two schedulers multiply
    return base_lr * (start_factor + (1 - start_factor) * min(k, warmup) / warmup) * (1 + math.cos(math.pi * k / T_max)) / 2


def chained_lr_sequential(base_lr, start_factor, warmup, T_max, k):  # the cosine waits for the warmup: wrong
    if k < warmup:
        return base_lr * (start_factor + (1 - start_factor) * k / warmup)
    return cosine_lr(base_lr, 0.0, T_max, k - warmup)


def first_epoch_below(base_lr, warmup, total, threshold):
    return warmup + math.floor((total - warmup) / math.pi * math.acos(2 * threshold / base_lr - 1)) + 1


def first_epoch_below_floor(base_lr, warmup, total, threshold):  # the last epoch still above: wrong
    return first_epoch_below(base_lr, warmup, total, threshold) - 1


def warm_restart_lr(base_lr, eta_min, T_0, T_mult, t):
    T_i = T_0
    while t >= T_i:  # subtract whole cycles, the fraction kept
        t, T_i = t - T_i, T_i * T_mult
    return cosine_lr(base_lr, eta_min, T_i, t)


def warm_restart_lr_no_growth(base_lr, eta_min, T_0, T_mult, t):  # restarts every T_0 epochs: wrong for T_mult > 1
    return cosine_lr(base_lr, eta_min, T_0, t % T_0)


def stub(*args):
    raise NotImplementedError


CHECKS = [
    (check_step_lr, step_lr, step_lr_off_by_one, "epoch 30"),
    (check_cosine_lr, cosine_lr, cosine_lr_clamped, "T_max=10 fails at epoch 11"),
    (check_warmup_cosine, warmup_cosine, warmup_cosine_full_length, "warmup=5"),
    (check_is_better, is_better, is_better_not_strict, "equal to best"),
    (check_chained_lr, chained_lr, chained_lr_sequential, "warmup=10, T_max=100 fails at epoch 1"),
    (check_first_epoch_below, first_epoch_below, first_epoch_below_floor, "expected 82"),
    (check_warm_restart_lr, warm_restart_lr, warm_restart_lr_no_growth, "T_mult=2, 7 batches per epoch fails at t=10.14"),
]


@pytest.mark.parametrize("check, right, wrong, where", CHECKS, ids=[c[0].__name__ for c in CHECKS])
def test_right_passes_wrong_fails_stub_is_not_implemented(check, right, wrong, where, capsys):
    assert check(right) is True
    out = capsys.readouterr().out
    assert "pass" in out or "match" in out
    assert check(wrong) is False
    out = capsys.readouterr().out
    assert where in out and "expected" in out and ("got" in out or "returned" in out) and "hint" in out
    assert check(stub) is False
    out = capsys.readouterr().out
    assert "not implemented yet" in out and "Traceback" not in out


def test_a_crashing_answer_is_reported_not_raised(capsys):
    assert check_step_lr(lambda base_lr, gamma, step_size, epoch: 1 / 0) is False
    out = capsys.readouterr().out
    assert "ZeroDivisionError" in out and "(0.1, 0.1, 30, 0)" in out


def test_wrong_type_is_a_failure(capsys):
    assert check_is_better(lambda *args: "yes") is False
    assert "got      'yes'" in capsys.readouterr().out
    assert check_step_lr(lambda *args: "0.1") is False
    assert "got      '0.1'" in capsys.readouterr().out
    assert check_step_lr(lambda *args: None) is False  # a stub that only says `pass`
    assert "not implemented yet" in capsys.readouterr().out


def test_drop_epochs(capsys):
    truth = plateau_timeline(DROP_EXERCISE["metrics"], lr=DROP_EXERCISE["lr"], **DROP_EXERCISE["kwargs"])
    answer = [int(e) for e in truth.reductions]
    assert len(answer) >= 2  # the exercise is worth doing
    assert check_drop_epochs(lambda: answer) is True
    assert "correct" in capsys.readouterr().out
    late = [e + 1 for e in answer]  # the classic mistake: one epoch late
    assert check_drop_epochs(lambda: late) is False
    assert f"at epoch {answer[0]}" in capsys.readouterr().out
    assert check_drop_epochs(stub) is False
    assert "not implemented yet" in capsys.readouterr().out
    assert check_drop_epochs(lambda: "five") is False
    assert "expected a list" in capsys.readouterr().out


def test_first_epoch_below_names_the_missing_warmup(capsys):
    assert check_first_epoch_below(lambda b, w, t, th: first_epoch_below(b, w, t, th) - w) is False
    assert "add the warmup epochs" in capsys.readouterr().out


def test_the_new_07_references_are_torchs():
    """The three checkers' references come from course's schedulers: they must be torch's numbers."""
    torch = pytest.importorskip("torch")
    from course.classroom.exercises.schedulers import _BELOW_CASES, _RESTART_CASES, _first_below, _restart_lrs

    def torch_opt(lr):
        return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)

    for base_lr, eta_min, T_0, T_mult, iters in _RESTART_CASES:
        ts, lrs = _restart_lrs(base_lr, eta_min, T_0, T_mult, iters, 12)
        opt = torch_opt(base_lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult, eta_min=eta_min)
        want = []
        for t in ts:
            sched.step(t)
            want.append(opt.param_groups[0]["lr"])
        assert lrs == pytest.approx(want, rel=1e-12, abs=1e-15)
    for base_lr, warmup, total, threshold in _BELOW_CASES:
        opt = torch_opt(base_lr)
        L = torch.optim.lr_scheduler
        sched = L.SequentialLR(opt, [L.LinearLR(opt, start_factor=0.1, total_iters=warmup),
                                     L.CosineAnnealingLR(opt, T_max=total - warmup)], milestones=[warmup])
        lrs = []
        for _ in range(total):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        assert _first_below(base_lr, warmup, total, threshold) == next(
            e for e in range(warmup, total) if lrs[e] < threshold)
