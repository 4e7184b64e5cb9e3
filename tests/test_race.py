"""course.classroom.race: notebook 06's race protocol (starts, tune on one set, score on another, ranks)."""
import math

import numpy as np
import pytest

from course.classroom import landscapes, race
from course.classroom.trajectory import run


def test_starts_are_seeded_in_the_box_around_the_default_start_and_the_two_sets_differ():
    for fname in race.FUNCTIONS:
        land = landscapes.get(fname)
        a = race.starts(land, 5, seed=3)
        assert a == race.starts(land, 5, seed=3) and a != race.starts(land, 5, seed=4)
        hx, hy = race.BOX[fname]
        assert all(abs(x - land.start[0]) <= hx and abs(y - land.start[1]) <= hy for x, y in a)
        t, s = race.tune_starts(land), race.score_starts(land)
        assert len(t) == race.TUNE_K and len(s) == race.SCORE_K and not set(t) & set(s)
    assert race.starts("quadratic", 2, seed=0, box=(0.0, 0.0)) == [landscapes.get("quadratic").start] * 2
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="Invalid k"):
            race.starts("beale", bad, seed=0)
    with pytest.raises(ValueError, match="Invalid box"):
        race.starts("beale", 2, seed=0, box=(-1.0, 0.1))


def test_escape_steps_counts_steps_until_the_loss_is_one_below_the_saddle():
    saddle = landscapes.saddle()
    r = run("SGD", saddle, steps=150, lr=0.3, autograd=False)
    n = race.escape_steps(r)
    assert n is not None and r.losses[n] < -1.0 and np.all(r.losses[:n] >= -1.0)
    assert race.score(r) == n
    never = run("SGD", saddle, steps=20, lr=1e-3, autograd=False)       # y grows by 1.002 per step
    assert race.escape_steps(never) is None and race.score(never) == math.inf
    # flying off along x (the loss grows) is not an escape
    fly = run("SGD", saddle, start=(-1.8, 0.0), steps=30, lr=1.5, autograd=False)
    assert race.escape_steps(fly) is None


def test_score_floors_converged_runs_and_marks_diverged_ones():
    land = landscapes.get("quadratic")
    r = run("SGD", land, steps=200, lr=0.5, autograd=False)
    assert race.score(r) == max(r.final_loss - land.f_min, 1e-12)
    assert race.score(run("SGD", land, steps=100, lr=50.0, autograd=False)) == math.inf


def test_tune_picks_the_lowest_median_score_then_the_smaller_lr():
    land = landscapes.get("rosenbrock")
    starts = race.tune_starts(land)
    lrs = [1e-4, 1e-3, 3e-3, 0.1]
    best, table = race.tune(("SGD", {"momentum": 0.9}), land, starts, lrs=lrs, return_all=True)
    med = {lr: np.median(v) for lr, v in table.items()}
    assert set(table) == set(lrs) and all(len(v) == len(starts) for v in table.values())
    assert med[best] == min(med.values())
    assert table[0.1] == [math.inf] * len(starts)                      # diverges from every start
    # on the saddle, ties in escape steps go to the smaller lr
    s = landscapes.saddle()
    big, t = race.tune("Adam", s, race.tune_starts(s), lrs=[3.0, 5.0, 30.0], return_all=True)
    assert np.median(t[3.0]) == np.median(t[5.0]) and big == 3.0
    with pytest.raises(ValueError, match="Invalid lrs"):
        race.tune("SGD", land, starts, lrs=[0.1, -1.0])
    with pytest.raises(ValueError, match="Invalid starts_"):
        race.tune("SGD", land, [], lrs=[0.1])


def test_ranks_tie_equal_values_and_put_infinity_last():
    assert race.ranks([0.5, 1e-12, 1e-12, math.inf]).tolist() == [3, 1, 1, 4]
    assert race.ranks([1.0, 1.0 + 1e-9, 2.0]).tolist() == [1, 1, 3]       # last-bit differences tie
    assert race.ranks([math.inf, math.inf, 0.1]).tolist() == [2, 2, 1]


def test_run_race_tunes_on_one_set_and_scores_on_the_other():
    opts = {"SGD": "SGD", "Adam": "Adam", "AdamW": ("AdamW", {"weight_decay": 0.0})}
    R = race.run_race(opts, functions=("rosenbrock", "saddle"), lrs=[1e-3, 1e-2, 0.1, 1.0], steps=40)
    assert R["scores"].shape == R["ranks"].shape == (3, 2, race.SCORE_K)
    for (label, fname), lr in R["tuned"].items():
        assert lr == race.tune(opts[label], fname, race.tune_starts(fname), lrs=[1e-3, 1e-2, 0.1, 1.0], steps=40)
        runs = R["results"][label, fname]
        assert [tuple(r.path[0]) for r in runs] == race.score_starts(fname)
    np.testing.assert_array_equal(R["scores"][1], R["scores"][2])       # Adam = AdamW without decay
    assert np.array_equal(R["ranks"][1], R["ranks"][2])
    for j in range(2):
        for k in range(race.SCORE_K):
            assert R["ranks"][:, j, k].tolist() == race.ranks(R["scores"][:, j, k]).tolist()
