"""The checkers of notebooks 07 and 08.

A right answer passes, a wrong one fails naming its case, a stub is 'not implemented yet'.
"""
from __future__ import annotations

import math

import pytest

from course.classroom.plateau_demo import plateau_timeline
from course.classroom.exercises.schedulers import (DROP_EXERCISE, check_cosine_lr, check_drop_epochs, check_is_better,
                                       check_step_lr, check_warmup_cosine)


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


def stub(*args):
    raise NotImplementedError


CHECKS = [
    (check_step_lr, step_lr, step_lr_off_by_one, "epoch 30"),
    (check_cosine_lr, cosine_lr, cosine_lr_clamped, "T_max=10 fails at epoch 11"),
    (check_warmup_cosine, warmup_cosine, warmup_cosine_full_length, "warmup=5"),
    (check_is_better, is_better, is_better_not_strict, "equal to best"),
]


@pytest.mark.parametrize("check, right, wrong, where", CHECKS, ids=[c[0].__name__ for c in CHECKS])
def test_right_passes_wrong_fails_stub_is_not_implemented(check, right, wrong, where, capsys):
    assert check(right) is True
    assert "pass" in capsys.readouterr().out
    assert check(wrong) is False
    out = capsys.readouterr().out
    assert where in out and "expected" in out and "got" in out and "hint" in out
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
