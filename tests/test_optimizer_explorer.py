"""Widgets driven headless: setting a slider moves the existing artists; extremes never crash."""
import base64

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course.classroom import landscapes as L, widgets  # noqa: E402
from course.classroom import widgets  # noqa: E402
from course.classroom.rates import momentum_rate  # noqa: E402
from course.classroom.trajectory import tune_lr  # noqa: E402

BUILDERS = {
    "lr": lambda: widgets.lr_explorer(steps=20),
    "sgd": lambda: widgets.sgd_explorer(steps=40),
    "momentum": lambda: widgets.momentum_explorer(steps=60),
    "momentum_rosenbrock": lambda: widgets.momentum_explorer("rosenbrock", lr=1e-3, steps=60),
    "rmsprop": lambda: widgets.rmsprop_explorer(steps=40),
    "adam": lambda: widgets.adam_explorer(steps=60),
    "race": lambda: widgets.race(steps=60, show=("SGD", "Adam", "RMSprop")),
}


def snapshot(w):
    return {label: line.get_xydata().copy() for label, line in w.lines.items() if line.get_visible()}


def contour_ids(w):
    return [id(c) for c in w.axes["contour"].collections]


def shown_png(w):
    return base64.b64decode(w.output.outputs[0]["data"]["image/png"])


@pytest.mark.parametrize("name", BUILDERS)
def test_each_slider_moves_the_existing_artists(name):
    w = BUILDERS[name]()
    lines = dict(w.lines)
    contours = contour_ids(w)
    assert contours, "the contour is drawn"
    assert shown_png(w)[:8] == b"\x89PNG\r\n\x1a\n" and shown_png(w) == w.png
    for slider_name, slider in w.sliders.items():
        if isinstance(slider.value, bool):
            continue
        before, png = snapshot(w), w.png
        losses = {k: ln.get_ydata().copy() for k, ln in w.loss_lines.items() if ln.get_visible()}
        lo, hi = slider.min, slider.max
        if hasattr(slider, "base"):  # log slider: min/max are exponents
            lo, hi = slider.base ** lo, slider.base ** hi
        if isinstance(slider.value, int):
            new = int(max(lo, min(hi, slider.value * 4 + 3)))
        else:
            new = next(v for v in (slider.value * 0.5, (slider.value + hi) / 2) if v != slider.value and v >= lo)
        slider.value = new
        after = snapshot(w)
        changed = any(not np.array_equal(before[k], after[k]) for k in after)
        changed_loss = any(not np.array_equal(losses[k], ln.get_ydata()) for k, ln in w.loss_lines.items()
                           if k in losses and ln.get_visible())
        assert changed or changed_loss, f"slider {slider_name} changed nothing"
        assert w.png != png and shown_png(w) == w.png
    assert w.lines == lines and contour_ids(w) == contours  # same artists: updated, never replotted


@pytest.mark.parametrize("name", BUILDERS)
def test_extreme_values_never_crash(name):
    w = BUILDERS[name]()
    window = w.landscape.window
    for slider in w.sliders.values():
        if isinstance(slider.value, bool):
            continue
        for value in (slider.max, slider.min):
            slider.value = value if not hasattr(slider, "base") else slider.base ** value
            for label, line in w.lines.items():
                if not line.get_visible():
                    continue
                xy = line.get_xydata()
                assert np.all(np.isfinite(xy))
                (x0, x1), (y0, y1) = window
                assert x0 - 0.1 * (x1 - x0) <= xy[:, 0].min() and xy[:, 0].max() <= x1 + 0.1 * (x1 - x0)
                assert y0 - 0.1 * (y1 - y0) <= xy[:, 1].min() and xy[:, 1].max() <= y1 + 0.1 * (y1 - y0)
                r = w.results[label]
                if r.diverged:
                    assert f"{label} diverged at step {r.diverged_at}" in w.status
                    assert f"diverged at step {r.diverged_at}" in line.get_label()
            assert_title_fits(w)
    assert w.png[:4] == b"\x89PNG"


def assert_title_fits(w):
    """The title stays inside the figure and above every panel, whatever the sliders say."""
    renderer = w.canvas.get_renderer()
    box = w.figure.texts[0].get_window_extent(renderer)
    assert w.figure.bbox.x0 <= box.x0 and box.x1 <= w.figure.bbox.x1, w.figure.texts[0].get_text()
    for ax in w.figure.axes:
        assert box.y0 >= ax.title.get_window_extent(renderer).y1 - 1, w.figure.texts[0].get_text()


def test_lr_beyond_two_over_L_says_it_diverges():
    w = widgets.lr_explorer(condition_number=10, steps=200)
    w.sliders["lr"].value = 1.0
    assert "converges" in w.status and not w.results["GD"].diverged
    w.sliders["lr"].value = w.sliders["lr"].max  # 2.5 > 2/L = 2
    assert "> 2/L = 2: diverges" in w.status
    assert w.results["GD"].diverged and "GD diverged at step" in w.status
    assert "diverges" in w._suptitle.get_text()  # the figure says it too, and the legend says when
    assert f"diverged at step {w.results['GD'].diverged_at}" in w.lines["GD"].get_label()
    assert w.lr_marker.get_xdata()[0] == pytest.approx(2.5)


def test_invalid_combination_shows_the_error():
    w = widgets.momentum_explorer(steps=30)
    w.set(momentum=0.0, nesterov=True)  # torch: Nesterov needs momentum > 0
    assert "Momentum: invalid (Nesterov momentum requires" in w.status
    assert "Momentum: invalid" in w._suptitle.get_text()
    assert not w.lines["Momentum"].get_visible() and w.lines["GD"].get_visible()
    w.set(momentum=0.5)
    assert w.lines["Momentum"].get_visible() and "invalid" not in w.status


def test_momentum_title_gives_theory_and_measurement():
    w = widgets.momentum_explorer(steps=200, lr=1.0, momentum=0.8)
    q = w.landscape
    theory = momentum_rate(1.0, 0.8, [q.L, q.mu])
    assert f"theory: rate {theory:.4f}" in w.status
    measured = float(w.status.split("measured ")[1].split(";")[0])
    assert measured == pytest.approx(theory, rel=0.01)


def test_race_tunes_each_optimizer_and_switches_function():
    w = widgets.race(steps=40, show=("SGD", "Adam"))
    land = w.landscape
    assert w.tuned[("Adam", land.name)] == tune_lr("Adam", land, lrs=np.logspace(-4, 0, 9), steps=40)
    assert ("RMSprop", land.name) not in w.tuned  # tuned only when shown
    assert w.lines["Adam"].get_visible() and not w.lines["RMSprop"].get_visible()
    w.controls["optimizers"].value = ("SGD", "RMSprop")
    assert w.lines["RMSprop"].get_visible() and not w.lines["Adam"].get_visible()
    old_contours = contour_ids(w)
    before = snapshot(w)
    w.controls["landscape"].value = "beale"
    assert w.landscape.name == "beale" and contour_ids(w) != old_contours
    assert w.axes["contour"].get_title() == "Beale"
    assert not np.array_equal(snapshot(w)["SGD"], before["SGD"])
    lr = w.tuned[("SGD", "beale")]
    assert w.lines["SGD"].get_label().startswith(f"SGD (lr={lr:.2g}")
    w.sliders["lr_factor"].value = 100.0
    assert w.lines["SGD"].get_label().startswith(f"SGD (lr={100 * lr:.2g}")
    assert w.results["SGD"].lrs[0] == pytest.approx(100 * lr)


def test_static_view_and_display():
    w = widgets.adam_explorer(steps=20)
    img = w.static()
    assert img.format == "png" and len(img.data) < len(w.png)  # stored pictures are compressed harder
    from io import BytesIO

    from PIL import Image
    same = [np.asarray(Image.open(BytesIO(b))) for b in (img.data, w.png)]
    assert np.array_equal(*same)  # the same pixels as the live view
    bundle = w._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["text/plain"] == "Explorer(Adam, AdamW on Rosenbrock (a=1, b=100); sliders: lr, beta1, beta2, weight_decay)"


def test_explore_generic_and_validation():
    w = widgets.explore({"SGD": "SGD", "Adam": ("Adam", {"lr": 0.1})}, "beale",
                        {"lr": (1e-4, 0.1, 1e-3, "log"), "steps": (10, 200, 50)}, panels=("contour", "loss", "lr"))
    assert len(w.results["SGD"].lrs) == 50
    w.sliders["steps"].value = 120
    assert len(w.results["SGD"].lrs) == 120 and len(w.lr_lines["SGD"].get_xdata()) == 120
    assert w.results["Adam"].lrs[0] == 0.1  # a label's own kwargs win over the slider
    with pytest.raises(ValueError, match="slider 'alpha' is not a hyperparameter"):
        widgets.explore("SGD", "quadratic", {"alpha": (0.0, 1.0, 0.5)})
    with pytest.raises(ValueError, match="panels"):
        widgets.explore("SGD", "quadratic", {"lr": (0.0, 1.0, 0.5)}, panels=("loss",))
    with pytest.raises(ValueError, match="quadratic"):
        widgets.explore("SGD", "rosenbrock", {"lr": (0.0, 1.0, 0.5)}, panels=("contour", "rate"))
    with pytest.raises(ValueError, match="Unknown landscape"):
        widgets.explore("SGD", "quadratic", {"lr": (0.0, 1.0, 0.5)}, landscapes=["quadratic", "nope"])


@pytest.mark.parametrize("spec,match", [((1.0, 0.5, 0.7), "min=1.0 must be < max=0.5"),
                                        ((0.0, 1.0, 2.0), "value=2.0 must lie in"),
                                        ((0.0, 1.0, 0.1, "log"), "log slider needs min > 0"),
                                        ((0.0, float("inf"), 0.1), "finite"),
                                        ((0.0, 1.0), "expected"),
                                        ((0.1, 1.0, 0.5, "lin"), "'log'")])
def test_make_slider_validates(spec, match):
    with pytest.raises(ValueError, match=match):
        widgets.make_slider("lr", spec)


def test_make_slider_kinds():
    import ipywidgets as W

    assert isinstance(widgets.make_slider("n", (1, 10, 2)), W.IntSlider)
    assert isinstance(widgets.make_slider("lr", (1e-3, 1.0, 0.1, "log")), W.FloatLogSlider)
    assert isinstance(widgets.make_slider("nesterov", True), W.Checkbox)
    s = W.FloatSlider(value=0.3)
    assert widgets.make_slider("x", s) is s


def pixels(png_bytes):
    from io import BytesIO

    from PIL import Image
    return np.asarray(Image.open(BytesIO(png_bytes)))


@pytest.mark.parametrize("moves", [{"lr": 0.02}, {"steps": 150}, {"steps": 30, "lr": 0.005}])
def test_blitting_draws_the_same_pixels_as_a_full_redraw(moves):
    """A change draws only what moves over a saved background; the picture must be exactly what
    drawing the whole figure gives (the steps slider changes the x axes, which live in the
    background, so the background must be taken again)."""
    w = widgets.explore({"SGD": "SGD", "Adam": "Adam"}, "beale",
                        {"lr": (1e-4, 0.1, 1e-3, "log"), "steps": (10, 200, 50)}, panels=("contour", "loss", "lr"))
    w.set(**moves)
    blitted = w.png
    assert w.axes["loss"].get_xlim() == (0, moves.get("steps", 50))
    w._background = None  # force the full draw
    w.render()
    assert np.array_equal(pixels(blitted), pixels(w.png))


@pytest.mark.parametrize("build", [lambda: widgets.lr_explorer(steps=10),
                                   lambda: widgets.schedule_explorer("StepLR"),
                                   lambda: widgets.traffic_explorer()])
def test_every_widget_sets_by_name_and_a_bad_name_moves_nothing(build):
    w = build()
    name, control = next(iter(w.inputs().items()))
    before, png = w.values(), w.png
    with pytest.raises(ValueError, match="no slider named 'nope'"):
        w.set(**{name: control.value}, nope=1)
    assert w.values() == before and w.png == png
    new = control.max if not hasattr(control, "base") else control.base ** control.max
    assert w.set(**{name: new}) is w and w.values() != before and w.png != png
    assert w.static().data[:4] == b"\x89PNG" and repr(w) in str(w._repr_mimebundle_())


def test_a_blown_up_run_on_a_log_axis_still_draws():
    """Regression: on beale, Adam at lr 0.1 once raised OverflowError from matplotlib's log ticks."""
    w = widgets.explore("Adam", "beale", {"lr": (1e-4, 0.1, 1e-3, "log")})
    for value in (0.1, 1e-4, 0.1):
        w.sliders["lr"].value = value
        assert not w.status.startswith("could not draw"), w.status
    assert w.png[:4] == b"\x89PNG"


def test_race_tune_on_uses_the_race_protocol_of_notebook_06():
    from course.classroom import race as protocol
    grid = [1e-3, 1e-2, 0.1, 1.0]
    w = widgets.race(steps=40, lrs=grid, show=("SGD", "Adam"), tune_on=protocol.tune_starts)
    land = w.landscape
    for label in ("SGD", "Adam"):
        assert w.tuned[(label, land.name)] == protocol.tune(label, land, protocol.tune_starts(land), lrs=grid, steps=40)
    assert w.static().format == "png"      # a static first view
    w.controls["landscape"].value = "saddle"
    assert w.tuned[("Adam", "saddle")] == protocol.tune("Adam", "saddle", protocol.tune_starts("saddle"), lrs=grid,
                                                         steps=40)
    # there the two protocols differ: escape steps over the tuning starts, not the default start's loss
    assert w.tuned[("SGD", "saddle")] != tune_lr("SGD", "saddle", lrs=grid, steps=40)
    # the default (no tune_on) is unchanged: tune_lr from the default start
    assert widgets.race(steps=40, show=("SGD",)).tuned[("SGD", land.name)] == tune_lr("SGD", land, lrs=np.logspace(-4, 0, 9),
                                                                                      steps=40)
