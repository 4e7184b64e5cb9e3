"""course.classroom.tuning: one protocol for the race (06) and the playground."""
import math

import numpy as np
import pytest

from course.classroom import landscapes, tuning
from course.classroom.trajectory import run, tune_lr


def test_race_lr_is_tune_lr_on_the_grid():
    for spec in ("SGD", ("SGD", {"momentum": 0.9}), "Adam"):
        name, kw = spec if isinstance(spec, tuple) else (spec, {})
        expected = tune_lr(name, "rosenbrock", lrs=tuning.GRID, steps=tuning.STEPS, autograd=False, **kw)
        assert tuning.race_lr(spec, "rosenbrock") == expected


def test_random_starts_seeded_and_inside_the_window():
    land = landscapes.get("beale")
    a, b = tuning.random_starts(land, 6, seed=1), tuning.random_starts(land, 6, seed=1)
    assert a == b and a != tuning.random_starts(land, 6, seed=2)
    (x0, x1), (y0, y1) = land.window
    assert all(x0 < x < x1 and y0 < y < y1 for x, y in a)
    with pytest.raises(ValueError, match="Invalid k"):
        tuning.random_starts(land, 0, seed=0)


def test_tune_on_starts_picks_the_lowest_median_gap():
    starts = tuning.random_starts("quadratic", 3, seed=0)
    lrs = [1e-3, 0.01, 0.1]
    best = tuning.tune_on_starts("SGD", "quadratic", starts, lrs=lrs, steps=50)
    med = {lr: np.median([tuning.final_gap(run("SGD", "quadratic", start=s, steps=50, lr=lr, autograd=False))
                          for s in starts]) for lr in lrs}
    assert med[best] == min(med.values())
    assert best == 0.1          # on a convex quadratic the largest stable lr gets closest


def test_final_gap_of_a_diverged_run_is_inf():
    r = run("SGD", "quadratic", steps=50, lr=100.0, autograd=False)
    assert r.diverged and tuning.final_gap(r) == math.inf


def test_escape_steps():
    path = np.array([[0.0, 0.01], [0.0, 0.5], [0.0, 0.99], [0.0, 1.2], [0.0, 0.0]])
    assert tuning.escape_steps(path, (0, 0), 1.0) == 3
    assert tuning.escape_steps(path[:3], (0, 0), 1.0) is None
    assert tuning.escape_steps(np.array([[0.0, 0.0], [np.nan, 0.0]]), (0, 0)) == 1
