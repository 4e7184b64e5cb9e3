"""The scheduler widgets of notebooks 07 and 08, driven headless (Agg), and the plateau timeline."""
from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import course  # noqa: E402
from course.optim import SGD  # noqa: E402
from course.optim import lr_scheduler as S  # noqa: E402
from course.classroom.plateau_demo import noisy_validation_curve, plateau_timeline  # noqa: E402
from course.classroom.widgets import SCHEDULES, make_control, plateau_explorer, schedule_explorer  # noqa: E402


def _extremes(slider):
    if hasattr(slider, "options"):
        return list(slider.options)
    if hasattr(slider, "min"):
        if type(slider).__name__ == "FloatLogSlider":
            return [10 ** slider.min, 10 ** slider.max]
        return [slider.min, slider.max]
    return [not slider.value, slider.value]


# ------------------------------------------------------------------ notebook 07
@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_every_slider_moves_the_curve_and_extremes_keep_working(name):
    w = schedule_explorer(name)
    assert w.status == ""
    first = w.lines["lr"].get_ydata().copy()
    np.testing.assert_array_equal(first, w.lrs)
    moved = set()
    for key, slider in w.sliders.items():
        start = slider.value
        for value in _extremes(slider):
            slider.value = value
            # either a valid curve, or the scheduler's own error in the title; never an exception
            if w.status:
                assert w.status.startswith("invalid: ")
                assert np.isnan(w.lines["lr"].get_ydata()).all()
            else:
                y = w.lines["lr"].get_ydata()
                assert len(y) == w.steps and np.isfinite(y).all()
                np.testing.assert_array_equal(y, w.lrs)
                if not np.array_equal(y, first):
                    moved.add(key)
        slider.value = start
        assert w.status == ""
        np.testing.assert_array_equal(w.lines["lr"].get_ydata(), first)
    # gamma of CyclicLR only matters in 'exp_range' mode; the rest must each move the curve
    expected = set(w.sliders) - ({"gamma"} if name == "CyclicLR" else set())
    assert expected <= moved, f"sliders that never changed the curve: {expected - moved}"
    assert w.output.outputs and "image/png" in w.output.outputs[0]["data"]


def test_curve_is_the_real_schedulers_lr():
    w = schedule_explorer("StepLR", step_size=10, gamma=0.5)
    want = S.simulate(lambda opt: S.StepLR(opt, step_size=10, gamma=0.5), 100, lr=0.1)
    np.testing.assert_array_equal(w.lines["lr"].get_ydata(), want)
    w.set(step_size=7, gamma=0.25)
    want = S.simulate(lambda opt: S.StepLR(opt, step_size=7, gamma=0.25), 100, lr=0.1)
    np.testing.assert_array_equal(w.lines["lr"].get_ydata(), want)

    w = schedule_explorer("warmup+cosine", warmup=5, T_max=40)
    def factory(opt):
        return S.SequentialLR(opt, [S.LinearLR(opt, start_factor=0.1, total_iters=5),
                                    S.CosineAnnealingLR(opt, T_max=40)], milestones=[5])
    np.testing.assert_array_equal(w.lrs, S.simulate(factory, 100, lr=0.1))

    w = schedule_explorer("OneCycleLR")
    one = S.simulate(lambda opt: S.OneCycleLR(opt, max_lr=0.1, total_steps=300), 300, key="momentum")
    np.testing.assert_array_equal(w.lines["momentum"].get_ydata(), one)


def test_png_changes_with_the_slider():
    w = schedule_explorer("ExponentialLR")
    before = w.png
    w.sliders["gamma"].value = 0.85
    assert w.png != before and w.png.startswith(b"\x89PNG")


def test_invalid_combination_shows_the_error_and_recovers():
    w = schedule_explorer("OneCycleLR")
    w.sliders["pct_start"].value = 1.0  # torch divides by a zero-length phase
    assert w.status.startswith("invalid: ZeroDivisionError")
    assert w.lrs.size == 0
    w.sliders["pct_start"].value = 0.5
    assert w.status == "" and w.lrs.size == 300


def test_bad_arguments():
    with pytest.raises(ValueError, match="Unknown scheduler 'Nope'"):
        schedule_explorer("Nope")
    with pytest.raises(ValueError, match="no slider 'T_max'"):
        schedule_explorer("StepLR", T_max=3)
    with pytest.raises(ValueError, match="Invalid steps"):
        schedule_explorer("StepLR", steps=0)
    with pytest.raises(ValueError, match="Invalid control 'x'"):
        make_control("x", (1.0, 0.5, 0.7))
    w = schedule_explorer("StepLR")
    with pytest.raises(ValueError, match="no slider named 'foo'"):
        w.set(foo=1)


def test_static_is_a_png():
    w = schedule_explorer("CyclicLR")
    img = w.static()
    assert img.data.startswith(b"\x89PNG")
    assert "ScheduleExplorer(CyclicLR" in repr(w)


# ------------------------------------------------------------------ notebook 08: the timeline
def _manual_states(metrics, **kwargs):
    opt = SGD([course.Parameter(np.zeros(1))], lr=0.1)
    sched = S.ReduceLROnPlateau(opt, **kwargs)
    out = []
    for m in metrics:
        used = opt.param_groups[0]["lr"]
        sched.step(m)
        out.append((used, opt.param_groups[0]["lr"], sched.best, sched.num_bad_epochs, sched.cooldown_counter))
    return out


@pytest.mark.parametrize("kwargs", [{}, {"patience": 3, "cooldown": 2, "factor": 0.5},
                                    {"patience": 0, "threshold": 0.05, "threshold_mode": "abs", "min_lr": 1e-3},
                                    {"mode": "max", "patience": 2}])
def test_timeline_is_the_schedulers_own_state(kwargs):
    metrics = noisy_validation_curve(80, seed=3)
    t = plateau_timeline(metrics, lr=0.1, **kwargs)
    states = _manual_states(metrics, **kwargs)
    np.testing.assert_array_equal(t.lr_used, [s[0] for s in states])
    np.testing.assert_array_equal(t.lr_after, [s[1] for s in states])
    np.testing.assert_array_equal(t.best, [s[2] for s in states])
    np.testing.assert_array_equal(t.num_bad_epochs, [s[3] for s in states])
    np.testing.assert_array_equal(t.cooldown_counter, [s[4] for s in states])
    # consistency of the derived marks
    np.testing.assert_array_equal(t.reductions, np.flatnonzero(np.diff(np.append(t.lr_used, t.lr_after[-1])) < 0))
    assert not (t.counted & t.cooldown).any()
    assert (t.bad == ~t.improved).all()
    patience = kwargs.get("patience", 10)
    for e in np.flatnonzero(t.triggered):  # a trigger ends a run of patience + 1 counted bad epochs
        assert t.counted[e - patience:e + 1].all()
    assert set(t.reductions) <= set(np.flatnonzero(t.triggered))


def test_timeline_of_a_small_case():
    t = plateau_timeline([3.0, 2.0, 2.0, 2.0, 2.0, 1.0], lr=1.0, patience=1, cooldown=1, factor=0.5)
    np.testing.assert_array_equal(t.improved, [True, True, False, False, False, True])
    np.testing.assert_array_equal(t.cooldown, [False, False, False, False, True, False])
    np.testing.assert_array_equal(t.reductions, [3])
    np.testing.assert_array_equal(t.lr_used, [1.0, 1.0, 1.0, 1.0, 0.5, 0.5])


def test_noisy_curve_is_seeded_and_checked():
    a, b, c = noisy_validation_curve(seed=0), noisy_validation_curve(seed=0), noisy_validation_curve(seed=1)
    assert a.shape == (100,) and a.dtype == np.float64
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert noisy_validation_curve(10, noise=0.0)[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="Invalid epochs: 0"):
        noisy_validation_curve(0)
    with pytest.raises(ValueError, match="Invalid noise: -1"):
        noisy_validation_curve(noise=-1)


# ------------------------------------------------------------------ notebook 08: the widget
def test_plateau_widget_marks_come_from_the_timeline():
    w = plateau_explorer(patience=5)
    t = w.timeline
    a = w.artists
    np.testing.assert_array_equal(a["best"].get_ydata(), t.best)
    np.testing.assert_array_equal(np.isfinite(a["bad"].get_ydata()), t.counted)
    np.testing.assert_array_equal(np.isfinite(a["new_best"].get_ydata()), t.improved)
    np.testing.assert_array_equal(a["lr"].get_ydata(), t.lr_used)
    xs = [seg[0][0] for seg in a["reductions"].get_segments()]
    np.testing.assert_array_equal(xs, t.reductions + 0.5)
    want = plateau_timeline(noisy_validation_curve(), lr=0.1, patience=5)
    np.testing.assert_array_equal(t.lr_used, want.lr_used)


def test_plateau_every_slider_changes_something_and_extremes_work():
    w = plateau_explorer(patience=5, cooldown=2, threshold=0.02)  # rel and abs differ at this threshold
    base = (w.artists["lr"].get_ydata().copy(), np.isfinite(w.artists["bad"].get_ydata()),
            np.isfinite(w.artists["ignored"].get_ydata()))
    for key, slider in w.sliders.items():
        start = slider.value
        changed = False
        for value in _extremes(slider):
            slider.value = value
            assert w.status == "", w.status
            now = (w.artists["lr"].get_ydata(), np.isfinite(w.artists["bad"].get_ydata()),
                   np.isfinite(w.artists["ignored"].get_ydata()))
            assert np.isfinite(now[0]).all()
            changed |= any(not np.array_equal(x, y) for x, y in zip(now, base))
        assert changed, f"slider {key} changed nothing"
        slider.value = start
    np.testing.assert_array_equal(w.artists["lr"].get_ydata(), base[0])


def test_plateau_factor_zero_and_min_lr():
    w = plateau_explorer(patience=2, min_lr=1e-3)
    assert min(w.timeline.lr_after) == pytest.approx(1e-3)
    w.sliders["factor"].value = 0.0  # the lr falls straight to min_lr
    assert min(w.timeline.lr_after) == pytest.approx(1e-3)
    assert np.all(w.axes[1].get_ylim()[0] > 0)
    assert math.isfinite(w.axes[1].get_ylim()[1])


def test_plateau_cooldown_shading_follows_the_slider():
    w = plateau_explorer(patience=3, cooldown=0)
    assert len(w.artists["cooldown"].get_paths()) == 0
    w.sliders["cooldown"].value = 4
    lefts = sorted(float(p.vertices[0, 0]) for p in w.artists["cooldown"].get_paths())
    np.testing.assert_array_equal(lefts, np.flatnonzero(w.timeline.cooldown) - 0.5)
    assert len(lefts) > 0


# ------------------------------------------------------------------ any metric, any slider value
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

METRIC = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([math.nan, math.inf, -math.inf]))


@settings(max_examples=25, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(METRIC, min_size=1, max_size=40), st.data())
def test_plateau_explorer_survives_any_metric_curve_and_slider_value(metrics, data):
    """Regression (nan in the metrics once raised "Axis limits cannot be NaN or Inf" at construction)."""
    w = plateau_explorer(metrics=metrics)
    for key in data.draw(st.permutations(list(w.sliders)))[:3]:
        s = w.sliders[key]
        if hasattr(s, "options"):
            s.value = data.draw(st.sampled_from(list(s.options)))
        else:
            s.value = data.draw(st.sampled_from([s.min, s.max, (s.min + s.max) / 2]))
        assert w.status == "" and w.timeline is not None
        assert len(w.timeline.lr_used) == len(metrics)
    assert w.png[:4] == b"\x89PNG"


def test_plateau_explorer_refuses_an_empty_curve():
    with pytest.raises(ValueError, match="metrics must be a non-empty"):
        plateau_explorer(metrics=[])
