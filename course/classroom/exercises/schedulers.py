"""Checkers for the scheduler exercises of notebooks 07 and 08.

Each ``check_*`` calls the learner's function on several cases and compares it with the
*real* scheduler (run through :func:`course.optim.lr_scheduler.simulate`, or
``ReduceLROnPlateau.is_better``).  It prints one verdict -- all cases pass, or the first
case that fails with the expected value, the value it got and a hint -- and returns
True or False.  A stub that still raises ``NotImplementedError`` gets "not implemented yet".

Example:
    >>> def my_step_lr(base_lr, gamma, step_size, epoch):
    ...     return base_lr * gamma ** (epoch // step_size)
    >>> check_step_lr(my_step_lr)
    check_step_lr: all 5 cases pass (187 values).
    True
"""
from __future__ import annotations

import math

import numpy as np

from ...optim import lr_scheduler as S
from ..plateau_demo import plateau_timeline
from ._checking import _Stub
from ._checking import _call as _learner_call

__all__ = ["check_step_lr", "check_cosine_lr", "check_warmup_cosine", "check_is_better", "check_drop_epochs",
           "DROP_EXERCISE"]


def _call(name, fn, args):
    """(ok, value): ok is False after printing why (not implemented yet, or the error it raised)."""
    try:
        return True, _learner_call(fn, *args)
    except _Stub:  # raises NotImplementedError, or returns None or ...
        print(f"{name}: not implemented yet -- replace `raise NotImplementedError` with your code, "
              "then run this cell again.")
    except Exception as err:  # the learner's bug: say which case, never a traceback
        print(f"{name}: your function raised {type(err).__name__}: {err}\n  on the case {_fmt(args)}")
    return False, None


def _fmt(args):
    return "(" + ", ".join(repr(a) for a in args) + ")"


def _close(got, expected) -> bool:
    try:
        return math.isclose(float(got), float(expected), rel_tol=1e-9, abs_tol=1e-12)
    except (TypeError, ValueError):
        return False


def _check_curves(name, fn, cases, hint):
    """cases: list of (label, args without epoch, expected lrs by epoch)."""
    total = 0
    for label, args, expected in cases:
        for epoch, want in enumerate(expected):
            ok, got = _call(name, fn, (*args, epoch))
            if not ok:
                return False
            total += 1
            if not _close(got, want):
                print(f"{name}: case {label} fails at epoch {epoch}: the call {fn.__name__}{_fmt((*args, epoch))}\n"
                      f"  expected {float(want):.10g} (what the real scheduler gives epoch {epoch})\n"
                      f"  got      {got!r}\n  hint: {hint}")
                return False
    print(f"{name}: all {len(cases)} cases pass ({total} values).")
    return True


# ------------------------------------------------------------------ notebook 07
def check_step_lr(fn) -> bool:
    """``fn(base_lr, gamma, step_size, epoch)``: the lr epoch ``epoch`` (0-based) uses under StepLR.

    Compared with ``simulate(StepLR(opt, step_size, gamma), ...)`` on 5 cases.
    """
    cases = []
    for base_lr, gamma, step_size, epochs in [(0.1, 0.1, 30, 95), (1.0, 0.5, 1, 8), (0.05, 0.9, 7, 40),
                                              (0.3, 2.0, 4, 14), (0.1, 0.1, 100, 30)]:
        lrs = S.simulate(lambda opt: S.StepLR(opt, step_size=step_size, gamma=gamma), epochs, lr=base_lr)
        cases.append((f"base_lr={base_lr}, gamma={gamma}, step_size={step_size}", (base_lr, gamma, step_size), lrs))
    return _check_curves("check_step_lr", fn, cases,
                         "epoch e has seen e // step_size decays; epoch step_size is the first with a smaller lr.")


def check_cosine_lr(fn) -> bool:
    """``fn(base_lr, eta_min, T_max, epoch)``: the lr of CosineAnnealingLR at ``epoch``, for 0 <= epoch < 2 T_max.

    Compared with ``simulate(CosineAnnealingLR(opt, T_max, eta_min), 2 * T_max)`` on 4 cases
    (past T_max the cosine climbs back: the closed form keeps going).
    """
    cases = []
    for base_lr, eta_min, T_max in [(0.1, 0.0, 10), (1.0, 0.1, 7), (0.05, 0.001, 50), (0.1, 0.0, 1)]:
        lrs = S.simulate(lambda opt: S.CosineAnnealingLR(opt, T_max=T_max, eta_min=eta_min), 2 * T_max, lr=base_lr)
        cases.append((f"base_lr={base_lr}, eta_min={eta_min}, T_max={T_max}", (base_lr, eta_min, T_max), lrs))
    return _check_curves("check_cosine_lr", fn, cases,
                         "eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2 -- math.cos, and "
                         "epoch / T_max as a float.")


def check_warmup_cosine(fn) -> bool:
    """``fn(base_lr, start_factor, warmup, total, eta_min, epoch)``: linear warmup, then cosine to ``eta_min``.

    The reference is the real composition, stepped ``total`` times::

        SequentialLR(opt, [LinearLR(opt, start_factor, total_iters=warmup),
                           CosineAnnealingLR(opt, T_max=total - warmup, eta_min)], milestones=[warmup])
    """
    cases = []
    for base_lr, start_factor, warmup, total, eta_min in [(0.1, 0.1, 5, 50, 0.0), (1.0, 0.25, 4, 12, 0.1),
                                                          (0.01, 0.01, 20, 100, 1e-4), (0.5, 0.5, 1, 6, 0.0)]:
        def factory(opt, sf=start_factor, w=warmup, T=total - warmup, m=eta_min):
            return S.SequentialLR(opt, [S.LinearLR(opt, start_factor=sf, total_iters=w),
                                        S.CosineAnnealingLR(opt, T_max=T, eta_min=m)], milestones=[w])

        lrs = S.simulate(factory, total, lr=base_lr)
        cases.append((f"base_lr={base_lr}, start_factor={start_factor}, warmup={warmup}, total={total}, "
                      f"eta_min={eta_min}", (base_lr, start_factor, warmup, total, eta_min), lrs))
    return _check_curves("check_warmup_cosine", fn, cases,
                         "warmup: base_lr * (start_factor + (1 - start_factor) * epoch / warmup); then the cosine "
                         "restarts at epoch `warmup` with T_max = total - warmup.")


# ------------------------------------------------------------------ notebook 08
def check_is_better(fn) -> bool:
    """``fn(a, best, mode, threshold_mode, threshold) -> bool``: ReduceLROnPlateau's improvement test.

    Compared with the real scheduler's ``is_better`` on every mode, threshold_mode and a
    grid of values (equal values, a best of +-inf, thresholds 0, 1e-4 and 0.1).
    """
    import course
    from course.optim import SGD

    name, total = "check_is_better", 0
    values = [(0.5, 1.0), (1.0, 1.0), (0.99995, 1.0), (0.95, 1.0), (0.85, 1.0), (1.2, 1.0), (1.05, 1.0),
              (2.0, float("inf")), (2.0, float("-inf")), (-0.95, -1.0), (-1.05, -1.0)]
    for mode in ("min", "max"):
        for threshold_mode in ("rel", "abs"):
            for threshold in (0.0, 1e-4, 0.1):
                opt = SGD([course.Parameter(np.zeros(1))], lr=0.1)
                ref = S.ReduceLROnPlateau(opt, mode=mode, threshold_mode=threshold_mode, threshold=threshold)
                for a, best in values:
                    args = (a, best, mode, threshold_mode, threshold)
                    ok, got = _call(name, fn, args)
                    if not ok:
                        return False
                    total += 1
                    want = ref.is_better(a, best)
                    if not isinstance(got, (bool, type(want))) or bool(got) != want:
                        tip = ("the test is strict: a value equal to best is not an improvement"
                               if a == best else
                               f"mode {mode!r}, {threshold_mode!r}: "
                               + {("min", "rel"): "a < best * (1 - threshold)",
                                  ("min", "abs"): "a < best - threshold",
                                  ("max", "rel"): "a > best * (1 + threshold)",
                                  ("max", "abs"): "a > best + threshold"}[(mode, threshold_mode)])
                        print(f"{name}: case fn{_fmt(args)} fails\n  expected {want}\n  got      {got!r}\n"
                              f"  hint: {tip}")
                        return False
    print(f"{name}: all {total} cases pass.")
    return True


DROP_EXERCISE = {
    "metrics": [1.0, 0.8, 0.7, 0.72, 0.71, 0.7, 0.69, 0.75, 0.7, 0.7, 0.71, 0.6, 0.65, 0.62, 0.61, 0.64],
    "kwargs": {"patience": 2, "cooldown": 2, "factor": 0.5, "threshold": 0.0},
    "lr": 0.1,
}
"""The sequence of exercise 2 of notebook 08: ``ReduceLROnPlateau(opt, **kwargs)`` stepped on ``metrics``."""


def check_drop_epochs(fn) -> bool:
    """``fn() -> list``: the epochs (0-based) whose ``step(metric)`` lowers the lr, on :data:`DROP_EXERCISE`.

    Compared with the real scheduler (:func:`course.classroom.plateau_demo.plateau_timeline`).
    """
    name = "check_drop_epochs"
    ok, got = _call(name, fn, ())
    if not ok:
        return False
    t = plateau_timeline(DROP_EXERCISE["metrics"], lr=DROP_EXERCISE["lr"], **DROP_EXERCISE["kwargs"])
    want = [int(e) for e in t.reductions]
    try:
        got_list = sorted(int(e) for e in got)
    except (TypeError, ValueError):
        print(f"{name}: expected a list of epoch numbers, got {got!r}")
        return False
    if got_list != want:
        first = next((e for e in sorted(set(want) ^ set(got_list))), None)
        print(f"{name}: your epochs {got_list} differ from the scheduler's at epoch {first}.\n"
              f"  hint: count bad epochs after each best (a tie is bad, threshold=0); the lr drops at the step where "
              f"the count passes patience={DROP_EXERCISE['kwargs']['patience']}; then cooldown="
              f"{DROP_EXERCISE['kwargs']['cooldown']} epochs are not counted.")
        return False
    print(f"{name}: correct -- the lr drops at the steps of epochs {want}.")
    return True
