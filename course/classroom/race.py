"""The race protocol of notebook 06: start sets, tune on one set and score on another, ranks.

* :func:`starts` -- ``k`` seeded start points in a box around a function's default start;
  :data:`TUNE_SEED` and :data:`SCORE_SEED` give two different sets, :func:`tune_starts`
  and :func:`score_starts` draw them (:data:`TUNE_K` and :data:`SCORE_K` points);
* :func:`escape_steps` -- on a function without a minimum (the saddle): how many steps until
  the loss is :data:`ESCAPE_DEPTH` below the saddle's value (``None``: never);
* :func:`score` -- one run's score, lower is better: ``f - f*`` at the end (floored at
  1e-12, so that converged runs tie) or, without a minimum, the escape steps; diverged or
  never escaped: infinity;
* :func:`tune` -- the lr of a grid with the best median score over a set of starts;
* :func:`ranks` -- ranks with ties (1 = best), equal up to a relative 1e-6;
* :func:`run_race` -- all of it: each optimizer tuned per function on the tuning starts, then
  scored on the scoring starts.

The lr grid and run length are :data:`course.classroom.tuning.GRID` and ``STEPS``.

Example:
    >>> s = starts("rosenbrock", 3, seed=1)
    >>> len(s), s == starts("rosenbrock", 3, seed=1), s == starts("rosenbrock", 3, seed=2)
    (3, True, False)
    >>> ranks([0.5, 1e-12, 1e-12, float("inf")]).tolist()
    [3, 1, 1, 4]
"""
from __future__ import annotations

import math

import numpy as np

from .landscapes import get as get_landscape
from .trajectory import run
from .tuning import GRID, STEPS

__all__ = ["FUNCTIONS", "BOX", "TUNE_SEED", "SCORE_SEED", "TUNE_K", "SCORE_K", "ESCAPE_DEPTH", "GRID", "STEPS",
           "starts", "tune_starts", "score_starts", "escape_steps", "score", "tune", "ranks", "run_race"]

FUNCTIONS = ("rosenbrock", "beale", "saddle", "himmelblau")
# half-widths (x, y) of the box of start points around each default start; the saddle's y stays
# small, so that every start lies close to the saddle's stable axis (the hard case)
BOX = {"rosenbrock": (0.3, 0.3), "beale": (0.3, 0.3), "himmelblau": (0.3, 0.3), "saddle": (0.2, 0.03)}
TUNE_SEED, SCORE_SEED = 0, 1
TUNE_K, SCORE_K = 3, 5
ESCAPE_DEPTH = 1.0
FLOOR = 1e-12


def starts(landscape, k: int, seed: int, box=None) -> list:
    """``k`` seeded start points, uniform in a box of half-widths ``box`` around the default start.

    ``box`` defaults to :data:`BOX` for the race's functions, else (0.3, 0.3).
    """
    land = get_landscape(landscape)
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"Invalid k: {k!r} (expected an integer >= 1)")
    hx, hy = BOX.get(land.name, (0.3, 0.3)) if box is None else box
    if not (hx >= 0 and hy >= 0):
        raise ValueError(f"Invalid box: {box!r} (expected two half-widths >= 0)")
    x0, y0 = land.start
    u = np.random.default_rng(seed).uniform(-1.0, 1.0, size=(k, 2))
    return [(float(x0 + hx * a), float(y0 + hy * b)) for a, b in u]


def tune_starts(landscape, k: int = TUNE_K) -> list:
    """The starts the race tunes on (seed :data:`TUNE_SEED`)."""
    return starts(landscape, k, TUNE_SEED)


def score_starts(landscape, k: int = SCORE_K) -> list:
    """The starts the race scores on (seed :data:`SCORE_SEED`, a set different from the tuning one)."""
    return starts(landscape, k, SCORE_SEED)


def escape_steps(result, depth: float = ESCAPE_DEPTH):
    """The first step at which the loss is ``depth`` below the saddle's value (0), or None: never.

    Below that level the run has left the saddle downhill; a run that only flies off along the
    stable direction (the loss grows) never counts as escaped.
    """
    losses = np.asarray(result.losses, dtype=float)
    saddle_value = float(result.landscape.f(*result.landscape.saddle_points[0])) \
        if result.landscape.saddle_points else 0.0
    out = np.flatnonzero(losses < saddle_value - depth)
    return int(out[0]) if out.size else None


def score(result) -> float:
    """One run's score, lower is better (see the module's docstring)."""
    land = result.landscape
    if land.f_min is None:
        steps = escape_steps(result)
        return math.inf if steps is None else float(steps)
    if result.diverged or not np.all(np.isfinite(result.losses)):
        return math.inf
    return max(float(result.final_loss) - land.f_min, FLOOR)


def _q(x: float) -> float:
    """``x`` to 4 significant digits: keys that differ in the last bits tie (then the smaller lr wins)."""
    return x if not math.isfinite(x) else float(f"{x:.4g}")


def tune(spec, landscape, starts_, lrs=None, steps: int = STEPS, return_all: bool = False):
    """The lr of ``lrs`` (default :data:`GRID`) with the lowest median :func:`score` over ``starts_``.

    Ties go to the lower median mean loss (faster) on functions with a minimum, and then to
    the smaller lr (on the saddle, directly to the smaller lr: the most careful lr that escapes
    as fast).  ``spec`` is an optimizer name or ``(name, kwargs)``.  With ``return_all``, also
    return ``lr -> list of scores``.
    """
    name, kw = spec if isinstance(spec, tuple) else (spec, {})
    land = get_landscape(landscape)
    lrs = [float(v) for v in (GRID if lrs is None else lrs)]
    if not lrs or any(not (v > 0 and math.isfinite(v)) for v in lrs):
        raise ValueError(f"Invalid lrs: {lrs} (need positive finite values)")
    if not starts_:
        raise ValueError("Invalid starts_: [] (need at least one start point)")
    best, best_key, table = None, None, {}
    for lr in sorted(lrs):
        runs = [run(name, land, start=s, steps=steps, lr=lr, autograd=False, **kw) for s in starts_]
        scores = [score(r) for r in runs]
        table[lr] = scores
        med = float(np.median(scores))
        if land.f_min is None:
            key = (med,)
        else:
            means = [float(np.mean(r.losses)) if math.isfinite(s) else math.inf for r, s in zip(runs, scores)]
            key = (_q(med), _q(float(np.median(means))))
        if best_key is None or key < best_key:       # strict: a tie keeps the smaller lr
            best, best_key = lr, key
    return (best, table) if return_all else best


def ranks(values) -> np.ndarray:
    """1 + the number of strictly better (lower) values; values equal to a relative 1e-6 tie."""
    v = np.asarray(values, dtype=float)
    out = []
    for x in v:
        better = [y < x and not (math.isfinite(x) and abs(x - y) <= 1e-6 * abs(x)) for y in v]
        out.append(1 + sum(better))
    return np.array(out, dtype=int)


def run_race(optimizers, functions=FUNCTIONS, lrs=None, steps: int = STEPS):
    """Tune every optimizer per function on :func:`tune_starts`, score on :func:`score_starts`.

    ``optimizers``: label -> name or ``(name, kwargs)``.  Returns a dict with ``tuned``
    (``(label, function) -> lr``), ``scores`` (an array labels x functions x scoring starts),
    ``ranks`` (the same shape: the rank of each optimizer on each function and start),
    ``results`` (``(label, function) -> list of Results`` on the scoring starts), ``labels``
    and ``functions``.
    """
    labels, functions = list(optimizers), list(functions)
    tuned, results = {}, {}
    scores = np.zeros((len(labels), len(functions), SCORE_K))
    for j, fname in enumerate(functions):
        land = get_landscape(fname)
        tset, sset = tune_starts(land), score_starts(land)
        for i, label in enumerate(labels):
            spec = optimizers[label]
            name, kw = spec if isinstance(spec, tuple) else (spec, {})
            lr = tune(spec, land, tset, lrs=lrs, steps=steps)
            tuned[label, fname] = lr
            results[label, fname] = [run(name, land, start=s, steps=steps, lr=lr, autograd=False, label=label, **kw)
                                     for s in sset]
            scores[i, j] = [score(r) for r in results[label, fname]]
    rk = np.zeros(scores.shape, dtype=int)
    for j in range(len(functions)):
        for k in range(SCORE_K):
            rk[:, j, k] = ranks(scores[:, j, k])
    return dict(tuned=tuned, scores=scores, ranks=rk, results=results, labels=labels, functions=functions)
