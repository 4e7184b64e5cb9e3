"""The lr grid and the default-start tuning that the playground and the live race share.

* :data:`GRID`, :data:`STEPS` -- the lr grid (11 values, log spaced from 1e-4 to 10) and the
  run length that both the race in notebook 06 and the playground app tune with;
* :func:`race_lr` -- the lr that the live race (and the playground) gives an optimizer on a
  function: :func:`course.classroom.trajectory.tune_lr` on :data:`GRID` from the default start.

Notebook 06's race tunes on several start points and scores on others: :mod:`.race`.

Example:
    >>> race_lr("SGD", "quadratic") == race_lr("SGD", "quadratic", steps=STEPS)
    True
"""
from __future__ import annotations

import numpy as np

from .landscapes import get as get_landscape
from .trajectory import tune_lr

__all__ = ["GRID", "STEPS", "race_lr"]

GRID = np.logspace(-4, 1, 11)
STEPS = 150


def _spec(spec):
    return spec if isinstance(spec, tuple) else (spec, {})


def race_lr(spec, landscape, steps: int = STEPS, lrs=None) -> float:
    """The race's lr for ``spec`` (a name, or ``(name, kwargs)``) on ``landscape``: best of :data:`GRID`."""
    name, kw = _spec(spec)
    return tune_lr(name, get_landscape(landscape), lrs=GRID if lrs is None else lrs, steps=steps,
                   autograd=False, **kw)
