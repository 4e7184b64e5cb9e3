"""Adversaries of course.classroom.exercises.plateau_reading (notebook 08, exercise 1), and the
reference of check_is_better, which 08 no longer uses (its exercise re-typed the notebook's code)."""
import math

import numpy as np


def _patience(metrics, epoch, strict=True, offset=1):
    best, last = math.inf, 0
    for e, m in enumerate(metrics[:epoch + 1]):
        if (m < best) if strict else (m <= best):
            best, last = m, e
    return epoch - last - offset


def _old_is_better(a, best, mode, threshold_mode, threshold):
    if mode == "min":
        return a < (best * (1 - threshold) if threshold_mode == "rel" else best - threshold)
    return a > (best * (1 + threshold) if threshold_mode == "rel" else best + threshold)


def _sabotage(metrics, epoch, _done=[False]):
    """Right on the first case; then makes plateau_timeline cut one epoch later, and answers so."""
    from course.classroom import plateau_demo
    from course.classroom.exercises import plateau_reading
    h = _H['h']
    if not _done[0]:
        _done[0] = True
        original = plateau_demo.plateau_timeline

        def late(metrics, **kw):
            kw["patience"] = kw.get("patience", 10) + 1
            return original(metrics, **kw)
        h.patch(plateau_reading, "plateau_timeline", late)
        return _patience(metrics, epoch)
    return _patience(metrics, epoch) - 1


_H = {}


def adversaries(h):
    _H['h'] = h
    return {
        "KIND": {"check_patience_for_first_cut": "count"},
        "REF": {"check_is_better": _old_is_better},
        "SPECIFIC_WRONG": {"check_patience_for_first_cut": {
            "counts the bad epochs (no -1)": lambda m, e: _patience(m, e, offset=0),
            "a tie counts as a new best": lambda m, e: _patience(m, e, strict=False),
            "two fewer": lambda m, e: _patience(m, e, offset=2),
            "the epoch of the last best": lambda m, e: e - _patience(m, e, offset=0),
            "the epoch itself": lambda m, e: e,
            "the default patience 10": lambda m, e: 10,
            "from the global best, not the last best before the cut": lambda m, e: e - int(np.argmin(m)) - 1,
            "as a one-element list": lambda m, e: [_patience(m, e)],
            "a float, half an epoch off": lambda m, e: _patience(m, e) + 0.5,
            "patches plateau_timeline for later cases": _sabotage,
        }},
        "SPECIFIC_RIGHT": {"check_patience_for_first_cut": {
            "a numpy int": lambda m, e: np.int64(_patience(m, e)),
            "a whole float": lambda m, e: float(_patience(m, e)),
            "a loop over the real scheduler": lambda m, e: next(
                p for p in range(len(m) + 1)
                if list(__import__("course.classroom.plateau_demo", fromlist=["x"]).plateau_timeline(
                    m, lr=0.1, patience=p, threshold=0.0).reductions[:1]) == [e]),
        }},
    }
