"""The classroom playground: every scheduler choice runs every optimizer and redraws."""
import numpy as np
import pytest

from course.classroom.playground import SCHEDULERS, playground


@pytest.fixture(scope="module")
def app():
    return playground(steps=60)


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_each_scheduler_drives_the_race(app, name):
    before = app.png
    app.controls["scheduler"].value = name
    for label in app._active():
        r = app.results[label]
        assert r is not None, f"{label} failed with {name}: {app.status}"
        lrs = np.asarray(r.lrs)
        if SCHEDULERS[name] is None:
            assert np.all(lrs == lrs[0])
        else:
            assert not np.all(lrs == lrs[0]), f"{name} did not change {label}'s lr"
    if name != "constant lr":
        assert app.png != before


def test_scheduler_and_function_together(app):
    app.controls["scheduler"].value = "CosineAnnealingLR"
    app.controls["landscape"].value = "himmelblau"
    r = app.results["Adam"]
    assert r.lrs[-1] < r.lrs[0]
    assert app.landscape.name == "himmelblau"


def test_unknown_scheduler():
    with pytest.raises(ValueError, match="unknown scheduler"):
        playground(scheduler="warm restarts")


def test_playground_tunes_like_notebook_06():
    """One tuning protocol: the playground's lrs are race.tune's on the race's tuning starts (06)."""
    from course.classroom import race as protocol
    from course.classroom import tuning
    from course.classroom.widgets import RACE_OPTIMIZERS

    w = playground()
    assert w.tuned, "the race tuned nothing"
    for (label, fname), lr in w.tuned.items():
        spec = RACE_OPTIMIZERS[label]
        spec = spec if isinstance(spec, tuple) else (spec, {})
        assert lr == protocol.tune(spec, fname, protocol.tune_starts(fname), lrs=tuning.GRID), (label, fname)
    assert max(tuning.GRID) == 10.0 and min(tuning.GRID) == 1e-4
    assert tuning.race_lr("NAdam", "rosenbrock") == 10.0   # above the old grid's top (1): where they differed
