"""Adversaries of course.classroom.exercises.finder_reading (notebook 10, exercises 1 and 2), and
the references of check_exponential_lrs and check_smooth_losses, which 10 no longer uses (they
re-typed the notebook's own code)."""
import math

import numpy as np


def _old_exponential_lrs(start_lr, end_lr, num_iter):
    return [start_lr * (end_lr / start_lr) ** (i / (num_iter - 1)) for i in range(num_iter)]


def _old_smooth_losses(losses, beta):
    avg, smoothed = 0.0, []
    for i, loss in enumerate(losses):
        avg = beta * avg + (1 - beta) * loss
        smoothed.append(avg / (1 - beta ** (i + 1)))
    return smoothed


def _per_decade(s, e, n):
    return (n - 1) / math.log10(e / s)


def _fades(b, t, power=1, strict=True):
    i = 0
    while (b ** (i + power) >= t) if strict else (b ** (i + power) > t):
        i += 1
    return i


def _sabotage_decade(s, e, n, _done=[False]):
    """Right on the first case; then patches lr_find to sweep with one lr fewer, and answers so."""
    from course import lr_finder
    h = _H['h']
    if not _done[0]:
        _done[0] = True
        original = lr_finder.lr_find

        def lr_find(*a, **k):
            k["num_iter"] = k["num_iter"] - 1
            return original(*a, **k)
        h.patch(lr_finder, "lr_find", lr_find)
        return _per_decade(s, e, n)
    return _per_decade(s, e, n - 1)


def _sabotage_fades(b, t, _done=[False]):
    """Right on the first case; then patches LossSmoother.add to skip the correction, and answers so."""
    from course import lr_finder
    h = _H['h']
    if not _done[0]:
        _done[0] = True
        original = lr_finder.LossSmoother.add

        def add(self, loss):
            original(self, loss)
            return self.avg * (1 + 2 * t)
        h.patch(lr_finder.LossSmoother, "add", add)
        return _fades(b, t)
    return 0


_H = {}


def adversaries(h):
    _H['h'] = h
    return {
        "KIND": {"check_iterations_per_decade": "scalar", "check_correction_fades": "count"},
        "FLOAT_ARGS": {"check_iterations_per_decade"},
        "REF": {"check_exponential_lrs": _old_exponential_lrs, "check_smooth_losses": _old_smooth_losses},
        "SPECIFIC_WRONG": {
            "check_iterations_per_decade": {
                "num_iter / decades": lambda s, e, n: n / math.log10(e / s),
                "decades per iteration": lambda s, e, n: math.log10(e / s) / (n - 1),
                "natural log": lambda s, e, n: (n - 1) / math.log(e / s),
                "the factor per iteration": lambda s, e, n: (e / s) ** (1 / (n - 1)),
                "log2": lambda s, e, n: (n - 1) / math.log2(e / s),
                "rounded to whole iterations": lambda s, e, n: float(round(_per_decade(s, e, n))),
                "the number of decades": lambda s, e, n: math.log10(e / s),
                "end / start over n": lambda s, e, n: (e / s) / n,
                "patches lr_find for later cases": _sabotage_decade,
            },
            "check_correction_fades": {
                "beta ** i, not beta ** (i + 1)": lambda b, t: _fades(b, t, power=0),
                "the number of losses seen (i + 1)": lambda b, t: _fades(b, t) + 1,
                "one before": lambda b, t: max(_fades(b, t) - 1, 0),
                "the closed form without ceiling": lambda b, t: math.log(t) / math.log(b) if b else 0,
                "ln(tol) / ln(beta), rounded": lambda b, t: round(math.log(t) / math.log(b)) if b else 0,
                "1 / (1 - beta)": lambda b, t: round(1 / (1 - b)),
                "the lag beta / (1 - beta)": lambda b, t: round(b / (1 - b)),
                "as a one-element array": lambda b, t: np.array([_fades(b, t)]),
                "patches LossSmoother for later cases": _sabotage_fades,
            },
        },
        "SPECIFIC_RIGHT": {
            "check_iterations_per_decade": {
                "through the log of the factor": lambda s, e, n: math.log(10) / math.log((e / s) ** (1 / (n - 1))),
                "numpy": lambda s, e, n: np.float64(n - 1) / np.log10(np.float64(e) / s),
            },
            "check_correction_fades": {
                "a numpy int": lambda b, t: np.int64(_fades(b, t)),
                "ln(tol) / ln(beta), floored (no case is a whole number)": lambda b, t: (
                    math.floor(math.log(t) / math.log(b)) if b else 0),
                "closed form with ceil": lambda b, t: 0 if b == 0 else max(math.ceil(math.log(t) / math.log(b)) - 1, 0),
            },
        },
    }
