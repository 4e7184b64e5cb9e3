"""One lr-tuning protocol for notebook 06's race and the playground, so both give the same lrs.

* :data:`GRID`, :data:`STEPS` -- the lr grid (11 values, log spaced from 1e-4 to 10) and the
  run length that both the race in notebook 06 and the playground app tune with;
* :func:`race_lr` -- the lr that the live race (and the playground) gives an optimizer on a
  function: :func:`course.classroom.trajectory.tune_lr` on :data:`GRID` from the default start;
* :func:`random_starts` -- seeded start points inside a function's window, to tune on one
  set and score on another;
* :func:`tune_on_starts` -- the lr with the lowest median final suboptimality over several starts;
* :func:`escape_steps` -- how many steps a run takes to leave a ball around a point (the saddle).

Example:
    >>> race_lr("SGD", "quadratic") == race_lr("SGD", "quadratic", steps=STEPS)
    True
    >>> escape_steps(np.array([[0.0, 0.0], [0.5, 0.0], [1.5, 0.0]]), center=(0, 0), radius=1.0)
    2
"""
from __future__ import annotations

import math

import numpy as np

from .landscapes import get as get_landscape
from .trajectory import run, tune_lr

__all__ = ["GRID", "STEPS", "race_lr", "random_starts", "tune_on_starts", "final_gap", "escape_steps"]

GRID = np.logspace(-4, 1, 11)
STEPS = 150


def _spec(spec):
    return spec if isinstance(spec, tuple) else (spec, {})


def race_lr(spec, landscape, steps: int = STEPS, lrs=None) -> float:
    """The race's lr for ``spec`` (a name, or ``(name, kwargs)``) on ``landscape``: best of :data:`GRID`."""
    name, kw = _spec(spec)
    return tune_lr(name, get_landscape(landscape), lrs=GRID if lrs is None else lrs, steps=steps,
                   autograd=False, **kw)


def random_starts(landscape, k: int, seed: int, shrink: float = 0.8) -> list:
    """``k`` seeded start points, uniform in the central ``shrink`` share of the landscape's window."""
    land = get_landscape(landscape)
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"Invalid k: {k!r} (expected an integer >= 1)")
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = land.window
    cx, cy, hx, hy = (x0 + x1) / 2, (y0 + y1) / 2, shrink * (x1 - x0) / 2, shrink * (y1 - y0) / 2
    return [(float(cx + hx * u), float(cy + hy * v)) for u, v in rng.uniform(-1, 1, size=(k, 2))]


def final_gap(result) -> float:
    """``f - f*`` at the end of a run, floored at 1e-12; infinity if it diverged."""
    if result.diverged or not np.all(np.isfinite(result.losses)):
        return math.inf
    f_min = result.landscape.f_min if result.landscape.f_min is not None else 0.0
    return max(float(result.final_loss) - f_min, 1e-12)


def tune_on_starts(spec, landscape, starts, lrs=None, steps: int = STEPS) -> float:
    """The lr of ``lrs`` (default :data:`GRID`) with the lowest median :func:`final_gap` over ``starts``.

    Ties (several lrs that reach the floor) go to the smaller median mean loss, then to the smaller lr.
    """
    name, kw = _spec(spec)
    land = get_landscape(landscape)
    best, best_key = None, None
    for lr in (GRID if lrs is None else lrs):
        runs = [run(name, land, start=s, steps=steps, lr=float(lr), autograd=False, **kw) for s in starts]
        gaps = [final_gap(r) for r in runs]
        means = [float(np.mean(r.losses)) if math.isfinite(g) else math.inf for r, g in zip(runs, gaps)]
        key = (float(np.median(gaps)), float(np.median(means)))
        if best_key is None or key < best_key:
            best, best_key = float(lr), key
    return best


def escape_steps(path, center, radius: float = 1.0):
    """The first step index at which ``path`` is farther than ``radius`` from ``center`` (None: never)."""
    path = np.asarray(path, dtype=float)
    dist = np.linalg.norm(path - np.asarray(center, dtype=float), axis=1)
    out = np.flatnonzero(~(dist <= radius))   # nan/inf count as left
    return int(out[0]) if out.size else None
