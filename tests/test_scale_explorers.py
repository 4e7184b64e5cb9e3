"""The noise-ball explorer of notebook 13, driven headless."""
import time

import numpy as np
import pytest

from course.classroom import noise_scale, widgets
from course.classroom.widgets import scale_explorers as se


def test_the_explorer_shows_the_runs_of_noise_ball():
    p = widgets.noise_ball_explorer(optimizer="SGD", lr=0.1, batch=8)
    xs = noise_scale.noise_ball("SGD", 0.1, 8, se._STEPS, se._SEEDS, curvatures=se.BALL_CURVATURES)
    np.testing.assert_array_equal(p.lines["ball"].get_xydata(), xs[-se._KEEP:].reshape(-1, 2))
    assert p.text.startswith("SGD, lr 0.1, B 8: mean loss")
    assert p.png[:4] == b"\x89PNG"


def test_each_control_moves_the_ball():
    p = widgets.noise_ball_explorer()
    for name, value in (("lr", 0.01), ("log2_batch", 6), ("optimizer", "Adam")):
        before = p.lines["ball"].get_xydata().copy()
        p.controls[name].value = value
        after = p.lines["ball"].get_xydata()
        assert after.shape != before.shape or np.any(after != before), name


def test_the_sgd_ellipse_is_the_predicted_two_sigma_ball_and_adam_has_none():
    p = widgets.noise_ball_explorer(optimizer="SGD", lr=0.2, batch=4)
    xy = p.lines["ellipse"].get_xydata()
    r = 2 * np.sqrt(noise_scale.sgd_ball_variance(0.2, 4, se.BALL_CURVATURES))
    np.testing.assert_allclose(np.abs(xy).max(axis=0), r, rtol=1e-3)
    p.controls["optimizer"].value = "Adam"
    assert p.lines["ellipse"].get_xydata().size == 0


def test_a_diverging_run_says_so():
    p = widgets.noise_ball_explorer(optimizer="SGD", lr=3.0, batch=1)
    assert "diverged" in p.text
    assert p.lines["ellipse"].get_xydata().size == 0  # no finite prediction above 2 / h


def test_the_static_view_is_a_png():
    image = widgets.noise_ball_explorer().static()
    assert image.data[:4] == b"\x89PNG"


def test_a_redraw_is_fast():
    p = widgets.noise_ball_explorer()
    times = []
    for lr in (0.003, 0.03, 0.3, 1.0, 3.0):
        for b in (0, 5, 10):
            start = time.perf_counter()
            p.set(lr=lr, log2_batch=b)
            times.append((time.perf_counter() - start) / 2)  # two redraws per set
    assert np.median(times) < 0.1, np.median(times)
