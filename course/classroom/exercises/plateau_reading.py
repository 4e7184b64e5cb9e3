"""Checks for the reading exercise of notebook 08: choose ``patience`` from a validation curve.

>>> def patience_for_first_cut(metrics, epoch):
...     best, last = math.inf, 0
...     for e, m in enumerate(metrics[:epoch + 1]):
...         if m < best:
...             best, last = m, e
...     return epoch - last - 1
>>> check_patience_for_first_cut(patience_for_first_cut)
✓ check_patience_for_first_cut: all 6 cases match the real ReduceLROnPlateau, patience by patience.
True
"""
from __future__ import annotations

import math

from ..plateau_demo import noisy_validation_curve, plateau_timeline
from ._checking import checker
from .practice import _int_answer, _run, _value

__all__ = ["check_patience_for_first_cut"]


def _first_cut(metrics, patience):
    """The epoch whose ``step(metric)`` first lowers the lr (threshold 0, mode min), or None."""
    t = plateau_timeline(list(metrics), lr=0.1, patience=patience, threshold=0.0)
    return int(t.reductions[0]) if len(t.reductions) else None


def _patience_for(metrics, epoch):
    """The patience whose first cut is in the step of ``epoch``, found by running the scheduler."""
    for p in range(len(metrics) + 1):
        if _first_cut(metrics, p) == epoch:
            return p
    raise AssertionError(f"no patience cuts first at epoch {epoch}")  # the cases are chosen so that one does


def _cases():
    short = [1.0, 0.9, 0.95, 0.92, 0.85, 0.86, 0.87, 0.88, 0.9, 0.86]
    tie = [3.0, 2.0, 2.0, 1.0, 1.5]
    cases = [("a short curve", short, 8), ("the same curve", short, 3), ("a tie with the best", tie, 2)]
    for seed, patience in ((0, 6), (1, 4), (2, 7)):
        curve = [round(float(x), 4) for x in noisy_validation_curve(seed=seed)[:60]]
        cases.append((f"noisy_validation_curve(seed={seed})[:60]", curve, _first_cut(curve, patience)))
    return [{"desc": f"{d}, first cut at epoch {e}", "metrics": m, "epoch": e} for d, m, e in cases]


def _last_best(metrics, epoch, strict=True):
    best, last = math.inf, 0
    for e, m in enumerate(metrics[:epoch + 1]):
        if (m < best) if strict else (m <= best):
            best, last = m, e
    return last


@checker
def check_patience_for_first_cut(patience_for_first_cut) -> bool:
    """``patience_for_first_cut(metrics, epoch) -> int``: the ``patience`` of ``ReduceLROnPlateau``
    (``mode="min"``, ``threshold=0``, no cooldown) whose first lr cut is in the ``step`` of ``epoch``.

    The expected patience is found by running the real scheduler with every patience."""
    cases = _cases()

    def expect(case):
        return _patience_for(case["metrics"], case["epoch"])

    def check(case, expected):
        metrics, epoch = list(case["metrics"]), case["epoch"]
        raw = _value(patience_for_first_cut, list(metrics), epoch)
        got = _int_answer(raw)
        if got == expected:
            return None
        if got is None:
            hint = "patience is a whole number of epochs."
        elif got == epoch - _last_best(metrics, epoch):
            hint = ("the cut comes in the step where num_bad_epochs *exceeds* patience: with the last best at "
                    "epoch b, that is epoch b + patience + 1.")
        elif got == epoch - _last_best(metrics, epoch, strict=False) - 1:
            hint = "a tie with the best is not an improvement (the test is strict): it is a bad epoch."
        elif 0 <= got <= len(metrics):
            cut = _first_cut(metrics, got)
            where = "never cuts" if cut is None else f"cuts first at epoch {cut}"
            hint = (f"with patience={got} the real scheduler {where}. Find the last new best before epoch "
                    f"{epoch}, and count the bad epochs after it.")
        else:
            hint = "patience counts bad epochs after the last best: 0, 1, 2, ..."
        return f"returned {raw!r}, expected {expected}", hint

    return _run("check_patience_for_first_cut", "the real ReduceLROnPlateau, patience by patience", cases, check,
                expect=expect)
