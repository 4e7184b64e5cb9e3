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

import copy
import math

import numpy as np

from ...optim import lr_scheduler as S
from ..plateau_demo import plateau_timeline
from ._checking import _BadReturn, _precision_hint, _raised, _scalar, _Stub, _TimedOut, checker
from ._checking import _call as _learner_call
from .practice import _int_answer, _run, _value

__all__ = ["check_step_lr", "check_cosine_lr", "check_warmup_cosine", "check_chained_lr", "check_first_epoch_below",
           "check_warm_restart_lr", "check_is_better", "check_drop_epochs", "DROP_EXERCISE"]


def _call(name, fn, args):
    """(ok, value): ok is False after printing why (not implemented yet, the error it raised,
    or that it did not return in time)."""
    try:
        return True, _learner_call(fn, *args)
    except _Stub:  # raises NotImplementedError, or returns None or ...
        print(f"{name}: not implemented yet -- replace `raise NotImplementedError` with your code, "
              "then run this cell again.")
    except _TimedOut as err:
        print(f"{name}: {err} on the case {_fmt(args)}\n"
              "  hint: look for a loop that never ends (a while loop whose condition never changes).")
    except _BadReturn as err:
        print(f"{name}: {err}\n  on the case {_fmt(args)}")
    except Exception as err:  # the learner's bug: say which case, never a traceback
        print(f"{name}: {_raised(err)}\n  on the case {_fmt(args)}")
    return False, None


def _fmt(args):
    return "(" + ", ".join(repr(a) for a in args) + ")"


def _close(got, expected):
    """(close, why not: '' or what is wrong with the kind of value returned)."""
    try:
        value = _scalar(got, "a number (the lr)")
    except _BadReturn as e:
        return False, str(e)
    return math.isclose(value, float(expected), rel_tol=1e-9, abs_tol=1e-12), ""


def _check_curves(name, fn, cases, hint):
    """cases: list of (label, args without epoch, expected lrs by epoch), all computed before ``fn`` runs."""
    total = 0
    for label, args, expected in cases:
        for epoch, want in enumerate(expected):
            ok, got = _call(name, fn, (*args, epoch))
            if not ok:
                return False
            total += 1
            close, why = _close(got, want)
            if not close:
                print(f"{name}: case {label} fails at epoch {epoch}: the call {getattr(fn, '__name__', 'fn')}"
                      f"{_fmt((*args, epoch))}\n"
                      f"  expected {float(want):.10g} (what the real scheduler gives epoch {epoch})\n"
                      f"  got      {got!r}" + (f"\n  ({why})" if why else "")
                      + f"\n  hint: {(not why and _precision_hint(want, got)) or hint}")
                return False
    print(f"{name}: all {len(cases)} cases pass ({total} values).")
    return True


# ------------------------------------------------------------------ notebook 07
@checker
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


@checker
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


@checker
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


# the exercises of notebook 07 today: predict or derive what a real scheduler does (the three
# closed-form checkers above are older exercises, kept working)
@checker
def check_chained_lr(fn) -> bool:
    """``fn(base_lr, start_factor, warmup, T_max, k)``: the lr the k-th ``optimizer.step()`` (from 0)
    uses under ``ChainedScheduler([LinearLR(opt, start_factor, total_iters=warmup),
    CosineAnnealingLR(opt, T_max)])``, stepped once per epoch, for ``0 <= k <= T_max``.

    The reference is the real composition run through ``simulate`` (5 cases, every k).
    """
    cases = []
    for base_lr, start_factor, warmup, T_max in [(0.1, 0.1, 10, 100), (1.0, 0.5, 3, 7), (0.05, 0.25, 8, 20),
                                                 (0.3, 0.01, 1, 5), (2.0, 0.2, 12, 12)]:
        def factory(opt, sf=start_factor, w=warmup, T=T_max):
            return S.ChainedScheduler([S.LinearLR(opt, start_factor=sf, total_iters=w),
                                       S.CosineAnnealingLR(opt, T_max=T)])

        lrs = S.simulate(factory, T_max + 1, lr=base_lr)
        cases.append((f"base_lr={base_lr}, start_factor={start_factor}, warmup={warmup}, T_max={T_max}",
                      (base_lr, start_factor, warmup, T_max), lrs))
    return _check_curves("check_chained_lr", fn, cases,
                         "ChainedScheduler steps both schedulers on the same lr, so their factors multiply: "
                         "LinearLR's (start_factor + (1 - start_factor) * min(k, warmup) / warmup) times the "
                         "cosine's (1 + cos(pi * k / T_max)) / 2, both counted from k = 0.")


_BELOW_CASES = [(0.1, 10, 100, 0.01), (1.0, 5, 30, 0.5), (0.05, 3, 53, 0.049), (0.2, 20, 120, 0.002),
                (0.1, 1, 11, 0.09), (0.4, 6, 66, 0.02), (1.0, 15, 40, 0.5)]


def _first_below(base_lr, warmup, total, threshold):
    """From the real SequentialLR: the first epoch >= warmup whose lr is below threshold."""
    def factory(opt):
        return S.SequentialLR(opt, [S.LinearLR(opt, start_factor=0.1, total_iters=warmup),
                                    S.CosineAnnealingLR(opt, T_max=total - warmup)], milestones=[warmup])

    lrs = S.simulate(factory, total, lr=base_lr)
    return next(e for e in range(warmup, total) if lrs[e] < threshold)


@checker
def check_first_epoch_below(fn) -> bool:
    """``fn(base_lr, warmup, total, threshold) -> int``: the first epoch (0-based, at or after the
    warmup) whose lr is below ``threshold`` under::

        SequentialLR(opt, [LinearLR(opt, start_factor=0.1, total_iters=warmup),
                           CosineAnnealingLR(opt, T_max=total - warmup)], milestones=[warmup])

    Compared with the real scheduler on 7 cases (none where the lr equals the threshold).
    """
    cases = [{"desc": f"base_lr={b}, warmup={w}, total={t}, threshold={th}", "args": (b, w, t, th)}
             for b, w, t, th in _BELOW_CASES]

    def check(case, expected):
        raw = _value(fn, *case["args"])
        got = _int_answer(raw)
        if got == expected:
            return None
        b, w, t, th = case["args"]
        x = (t - w) / math.pi * math.acos(2 * th / b - 1)  # cosine epochs until the lr reaches the threshold
        if got is None:
            hint = "an epoch is a whole number: round the epoch where the lr crosses the threshold up to the next one."
        elif got == expected - 1:
            hint = ("that epoch's lr is still at or above the threshold: the answer is the first whole epoch "
                    "strictly past the crossing point.")
        elif got == expected - w or got == expected - w - 1:
            hint = "the cosine starts at epoch `warmup`: add the warmup epochs to the cosine's own epoch count."
        else:
            hint = ("during the cosine, lr(e) = base_lr * (1 + cos(pi * (e - warmup) / (total - warmup))) / 2; "
                    f"solve lr(e) = threshold for e (here the crossing is {x:.3g} epochs into the cosine) and take "
                    "the next whole epoch.")
        return f"returned {raw!r}, expected {expected}", hint

    return _run("check_first_epoch_below", "the real SequentialLR", cases, check,
                expect=lambda case: _first_below(*case["args"]))


_RESTART_CASES = [(0.1, 0.0, 10, 2, 7), (1.0, 0.1, 5, 1, 4), (0.05, 0.001, 3, 3, 5), (0.2, 0.02, 1, 2, 3)]


def _restart_lrs(base_lr, eta_min, T_0, T_mult, iters, epochs):
    """(times t, lr the real scheduler writes after step(t)), t = epoch + i / iters once per batch."""
    import course

    opt = course.optim.SGD([course.Parameter(np.zeros(1))], lr=base_lr)
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult, eta_min=eta_min)
    ts, lrs = [], []
    for epoch in range(epochs):
        for i in range(iters):
            t = epoch + i / iters
            sched.step(t)
            ts.append(t)
            lrs.append(opt.param_groups[0]["lr"])
    return ts, lrs


@checker
def check_warm_restart_lr(fn) -> bool:
    """``fn(base_lr, eta_min, T_0, T_mult, t)``: the lr ``CosineAnnealingWarmRestarts(opt, T_0, T_mult,
    eta_min)`` writes after ``scheduler.step(t)``, ``t`` a fractional epoch ``epoch + i / iters``.

    Compared with the real scheduler stepped once per batch on 4 cases (restarts included).
    """
    name = "check_warm_restart_lr"
    cases = []
    for base_lr, eta_min, T_0, T_mult, iters in _RESTART_CASES:
        epochs = T_0 * (1 + T_mult + T_mult ** 2) + 2 if T_mult > 1 else 4 * T_0 + 1  # three cycles and more
        ts, lrs = _restart_lrs(base_lr, eta_min, T_0, T_mult, iters, min(epochs, 45))
        cases.append((f"base_lr={base_lr}, eta_min={eta_min}, T_0={T_0}, T_mult={T_mult}, {iters} batches per epoch",
                      (base_lr, eta_min, T_0, T_mult), ts, lrs))
    total = 0
    for label, args, ts, expected in cases:
        for t, want in zip(ts, expected):
            ok, got = _call(name, fn, (*args, t))
            if not ok:
                return False
            total += 1
            close, why = _close(got, want)
            if not close:
                T_0, T_mult = args[2], args[3]
                print(f"{name}: case {label} fails at t={t!r}: the call {getattr(fn, '__name__', 'fn')}"
                      f"{_fmt((*args, t))}\n"
                      f"  expected {float(want):.10g} (what the real scheduler writes after step({t!r}))\n"
                      f"  got      {got!r}" + (f"\n  ({why})" if why else "")
                      + "\n  hint: " + ((not why and _precision_hint(want, got)) or (
                          "find the cycle t falls in: cycle n lasts T_0 * T_mult**n epochs and starts at "
                          "T_0 * (T_mult**n - 1) / (T_mult - 1) (at n * T_0 when T_mult == 1); T_cur = t minus that "
                          "start, fraction kept; lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2"
                          + (f" (here T_0={T_0}, T_mult={T_mult})." if T_mult > 1 else "."))))
                return False
    print(f"{name}: all {len(cases)} cases pass ({total} values).")
    return True


# ------------------------------------------------------------------ notebook 08
@checker
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
    cases = []  # every expected answer first, before the learner's function runs
    for mode in ("min", "max"):
        for threshold_mode in ("rel", "abs"):
            for threshold in (0.0, 1e-4, 0.1):
                opt = SGD([course.Parameter(np.zeros(1))], lr=0.1)
                ref = S.ReduceLROnPlateau(opt, mode=mode, threshold_mode=threshold_mode, threshold=threshold)
                cases += [((a, best, mode, threshold_mode, threshold), bool(ref.is_better(a, best)))
                          for a, best in values]
    for args, want in cases:
        a, best, mode, threshold_mode, threshold = args
        ok, got = _call(name, fn, args)
        if not ok:
            return False
        total += 1
        if not isinstance(got, (bool, np.bool_)) or bool(got) != want:
            tip = ("the test is strict: a value equal to best is not an improvement"
                   if a == best else
                   f"mode {mode!r}, {threshold_mode!r}: "
                   + {("min", "rel"): "a < best * (1 - threshold)",
                      ("min", "abs"): "a < best - threshold",
                      ("max", "rel"): "a > best * (1 + threshold)",
                      ("max", "abs"): "a > best + threshold"}[(mode, threshold_mode)])
            if not isinstance(got, (bool, np.bool_)):
                tip = f"return True or False (a bool), not {type(got).__name__}; " + tip
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


_DROP_REFERENCE = copy.deepcopy(DROP_EXERCISE)  # the checker's own copy, made at import: the learner cannot reach it


def _restore_drop_exercise() -> bool:
    """Put :data:`DROP_EXERCISE` back as the exercise gives it (in place); True if it had changed."""
    if DROP_EXERCISE == _DROP_REFERENCE:
        return False
    DROP_EXERCISE.clear()
    DROP_EXERCISE.update(copy.deepcopy(_DROP_REFERENCE))
    return True


def _epoch_numbers(got):
    """The learner's answer as a sorted list of ints, or (None, why it is not a list of epochs)."""
    if isinstance(got, np.ndarray):
        if got.ndim != 1:
            return None, f"expected a list of epoch numbers, got an array of shape {got.shape}"
        got = got.tolist()
    if not isinstance(got, (list, tuple, set, frozenset)):
        return None, f"expected a list of epoch numbers, got {got!r}"
    epochs = []
    for e in got:
        if isinstance(e, (bool, np.bool_)):
            return None, f"expected a list of epoch numbers, got the bool {e!r} in it"
        if isinstance(e, (int, np.integer)):
            epochs.append(int(e))
        elif isinstance(e, (float, np.floating)) and math.isfinite(e) and float(e).is_integer():
            epochs.append(int(e))  # 5.0 is epoch 5
        elif isinstance(e, (float, np.floating)):
            return None, (f"{e!r} is not an epoch number: epochs are whole numbers 0, 1, 2, ... "
                          "(the index of the step(metric) call that lowers the lr)")
        else:
            return None, f"expected a list of epoch numbers, got {e!r} ({type(e).__name__}) in it"
    repeated = sorted({e for e in epochs if epochs.count(e) > 1})
    if repeated:
        return None, f"epoch {repeated[0]} is in your list more than once: each drop happens at one epoch"
    return sorted(epochs), ""


@checker
def check_drop_epochs(fn) -> bool:
    """``fn() -> list``: the epochs (0-based) whose ``step(metric)`` lowers the lr, on :data:`DROP_EXERCISE`.

    Compared with the real scheduler (:func:`course.classroom.plateau_demo.plateau_timeline`)
    on the exercise's own data: a copy made at import, which the learner's code cannot change.
    ``fn`` is called twice: an answer must not depend on how often it was asked.
    """
    name = "check_drop_epochs"
    ref = _DROP_REFERENCE
    t = plateau_timeline(list(ref["metrics"]), lr=ref["lr"], **copy.deepcopy(ref["kwargs"]))
    want = [int(e) for e in t.reductions]
    if _restore_drop_exercise():
        print(f"{name}: note: DROP_EXERCISE had been changed; it is back to the exercise's values.")
    answers, told = [], False
    for _ in range(2):
        ok, got = _call(name, fn, ())
        if _restore_drop_exercise() and not told:
            told = True
            print(f"{name}: note: your function changed DROP_EXERCISE; it is back to the exercise's values "
                  "(the check always uses them).")
        if not ok:
            return False
        epochs, why = _epoch_numbers(got)
        if epochs is None:
            print(f"{name}: {why}")
            return False
        answers.append(epochs)
    if answers[0] != answers[1]:
        print(f"{name}: your function gave {answers[0]} and then {answers[1]}: called twice, it must give the "
              "same epochs (does it change something outside itself?)")
        return False
    got_list = answers[0]
    if got_list != want:
        first = min(set(want) ^ set(got_list))
        print(f"{name}: your epochs {got_list} differ from the scheduler's at epoch {first}.\n"
              f"  hint: count bad epochs after each best (a tie is bad, threshold=0); the lr drops at the step where "
              f"the count passes patience={ref['kwargs']['patience']}; then cooldown="
              f"{ref['kwargs']['cooldown']} epochs are not counted.")
        return False
    print(f"{name}: correct -- the lr drops at the steps of epochs {want}.")
    return True
