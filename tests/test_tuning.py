"""course.classroom.tuning: the lr grid and default-start tuning of the playground and the live race."""
from course.classroom import tuning
from course.classroom.trajectory import tune_lr


def test_race_lr_is_tune_lr_on_the_grid():
    for spec in ("SGD", ("SGD", {"momentum": 0.9}), "Adam"):
        name, kw = spec if isinstance(spec, tuple) else (spec, {})
        expected = tune_lr(name, "rosenbrock", lrs=tuning.GRID, steps=tuning.STEPS, autograd=False, **kw)
        assert tuning.race_lr(spec, "rosenbrock") == expected
