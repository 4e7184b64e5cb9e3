"""The weight-decay explorer of notebook 05 (Adam + L2 against AdamW), driven headless."""
import importlib
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import course
from course import optim
from course.classroom import widgets

de = importlib.import_module("course.classroom.widgets.decay_explorer")  # the module (its function has its name)

A, C = np.array([10.0, 0.1]), np.array([1.0, 1.0])  # the bowl, written out again here


def by_hand(cls, lr, weight_decay, steps=de.STEPS):
    """The path of course.optim's cls on 0.5 * sum(A * (w - C)**2) from the origin, step by step."""
    p = course.Parameter(np.zeros(2))
    opt = cls([p], lr=lr, weight_decay=weight_decay)
    path = [p.data.copy()]
    for _ in range(steps):
        p.grad = A * (p.data - C)
        opt.step()
        path.append(p.data.copy())
    return np.array(path)


def shown_percents(text, label):
    part = [s for s in text.replace("\n", ";").split(";") if s.strip().startswith(label + ":")][0]
    return [int(v) for v in re.findall(r"(-?\d+)%", part)]


def test_it_is_exported_and_its_static_view_is_a_png():
    p = widgets.decay_explorer()
    assert p.png[:4] == b"\x89PNG"
    assert p.static().data[:4] == b"\x89PNG"
    assert set(p.controls) == {"weight_decay", "lr"}
    assert p.values() == {"weight_decay": 0.5, "lr": pytest.approx(0.05)}


@pytest.mark.parametrize("weight_decay, lr", [(0.5, 0.05), (1.0, 0.3), (0.1, 0.02)])
def test_the_paths_and_the_shown_numbers_are_course_optims_runs(weight_decay, lr):
    p = widgets.decay_explorer(weight_decay=weight_decay, lr=lr)
    lr = p.controls["lr"].value  # the slider's own grid value
    for label, cls in (("Adam + L2", optim.Adam), ("AdamW", optim.AdamW)):
        path = by_hand(cls, lr, weight_decay)
        np.testing.assert_allclose(p.lines[label].get_xydata(), path, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(p.lines[f"{label} end"].get_xydata(), path[-1:], rtol=1e-12)
        kept = path / C
        np.testing.assert_allclose(p.lines[f"{label} steep"].get_ydata(), kept[:, 0], rtol=1e-12)
        np.testing.assert_allclose(p.lines[f"{label} flat"].get_ydata(), kept[:, 1], rtol=1e-12)
        expected = sorted({round(100 * (1 - w)) + 0 for w in path[-1]})
        assert sorted(set(shown_percents(p.text, label))) == expected, p.text


def test_adam_l2_goes_to_the_l2_minimizer_and_adamw_shrinks_both_weights_alike():
    p = widgets.decay_explorer(weight_decay=0.5, lr=0.05)
    target = A * C / (A + 0.5)  # the minimizer of f + 0.25 |w|^2
    np.testing.assert_allclose(p.lines["l2 target"].get_xydata()[0], target, rtol=1e-12)
    np.testing.assert_allclose(p.runs["Adam + L2"].path[-1], target, rtol=1e-4)
    s = de.shrink(p.runs["AdamW"])
    assert abs(s[0] - s[1]) < 1e-6  # Adam's step ignores a coordinate's gradient scale (up to eps)
    assert 0.02 < s[0] < 0.5  # and it does shrink them
    l2 = de.shrink(p.runs["Adam + L2"])
    assert l2[1] > 10 * l2[0]  # L2: the flat weight much more than the steep one
    assert "AdamW: both shrunk by" in p.text


def test_without_decay_both_paths_are_the_same():
    p = widgets.decay_explorer(weight_decay=0.0)
    np.testing.assert_array_equal(p.lines["Adam + L2"].get_xydata(), p.lines["AdamW"].get_xydata())
    assert p.text.count("both shrunk by 0%") == 2


def test_each_slider_moves_the_paths():
    p = widgets.decay_explorer()
    for name, value in (("weight_decay", 1.5), ("lr", 0.2)):
        before = p.lines["AdamW"].get_xydata().copy()
        p.controls[name].value = value
        assert np.any(p.lines["AdamW"].get_xydata() != before), name


def test_a_run_that_has_not_settled_or_diverged_says_so():
    p = widgets.decay_explorer(lr=0.05).set(lr=1e-3)
    assert "Adam + L2: still moving at step 300" in p.text
    runs = de.decay_runs(1.0, 5.0)  # lr * weight_decay = 5: AdamW multiplies by -4 each step
    assert runs["AdamW"].diverged and np.isnan(de.shrink(runs["AdamW"])).all()
    assert "diverged at step" in de._summary("AdamW", runs["AdamW"])


@pytest.mark.parametrize("end", ["min", "max"])
def test_the_ends_of_the_sliders_draw(end):
    p = widgets.decay_explorer()
    p.set(**{name: getattr(c, end) if name == "weight_decay" else c.base ** getattr(c, end)
             for name, c in p.controls.items()})
    assert p.png[:4] == b"\x89PNG" and p.text


EXPLORER = widgets.decay_explorer()  # one widget, moved by every example


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(weight_decay=st.floats(0.0, 2.0), log10_lr=st.floats(-3.0, 0.0))
def test_any_slider_value_draws_without_error(weight_decay, log10_lr):
    p = EXPLORER
    p.set(weight_decay=weight_decay, lr=10.0 ** log10_lr)
    assert p.png[:4] == b"\x89PNG"
    assert "AdamW" in p.text and "Adam + L2" in p.text
    for line in ("Adam + L2", "AdamW"):
        xy = p.lines[line].get_xydata()
        assert np.all(np.isnan(xy) | (np.abs(xy) < 1e3))  # what is drawn is finite or left out

