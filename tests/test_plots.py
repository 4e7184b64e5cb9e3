"""Plots: clipping of diverged paths, colours, scales, the theory pictures."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course.classroom import landscapes as L, plots  # noqa: E402
from course.classroom.rates import optimal_momentum  # noqa: E402
from course.classroom.trajectory import run  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_clip_path_cuts_at_non_finite_and_clips_to_window():
    window = ((-1.0, 1.0), (-2.0, 2.0))
    xy, msg = plots.clip_path([[0, 0], [0.5, 3.0], [50.0, -1.0], [np.nan, 0.0], [0.0, 0.0]], window)
    assert msg == "diverged at step 3" and xy.shape == (3, 2)
    assert np.all(np.isfinite(xy))
    assert xy[:, 0].max() <= 1.0 + 0.04 + 1e-12 and xy[:, 1].max() <= 2.0 + 0.08 + 1e-12
    xy, msg = plots.clip_path([[0, 0], [0.5, 0.5]], window)
    assert msg == "" and xy.tolist() == [[0.0, 0.0], [0.5, 0.5]]
    _, msg = plots.clip_path([[0, 0], [0.5, 0.5]], window, diverged_at=7)
    assert msg == "diverged at step 7"
    _, msg = plots.clip_path([[0, 0], [0.5, 0.5], [1.5, 0.0], [10.0, 0.0]], window)
    assert msg == "left the window at step 2"


def test_contour_marks_minima_and_uses_log_levels():
    land = L.himmelblau()
    ax = plots.contour(land)
    stars = [ln for ln in ax.lines if ln.get_marker() == "*"]
    got = sorted(tuple(ln.get_xydata()[0]) for ln in stars)
    assert got == sorted(land.minima)
    assert ax.get_xlim() == land.window[0] and ax.get_ylim() == land.window[1]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "y")
    levels = plots._levels(land.grid(50)[2], 20, True)
    gaps = np.diff(levels)
    assert np.all(gaps > 0) and gaps[-1] > 10 * gaps[0]  # log-spaced: much wider at the top
    lin = plots._levels(L.rastrigin().grid(50)[2], 20, False)
    np.testing.assert_allclose(np.diff(lin), np.diff(lin)[0])
    ax = plots.contour(L.saddle())
    assert any(ln.get_marker() == "X" for ln in ax.lines)


def test_plot_trajectories_clips_and_labels_divergence():
    q = L.quadratic(condition_number=10)
    ok = run("SGD", q, steps=30, lr=0.5, label="SGD")
    bad = run("Adam", q, steps=30, lr=0.5, label="Adam")
    blown = run("SGD", q, steps=100, lr=2.5, label="SGD big")
    ax = plots.plot_trajectories(q, [ok, bad, blown])
    assert legend_texts(ax)[1:] == ["SGD", "Adam", f"SGD big (diverged at step {blown.diverged_at})"]
    paths = [ln for ln in ax.lines if ln.get_label() in legend_texts(ax)[1:]]
    for ln in paths:
        xy = ln.get_xydata()
        assert np.all(np.isfinite(xy))
        assert xy[:, 1].max() <= 4 + 0.2 and xy[:, 1].min() >= -4 - 0.2
    np.testing.assert_allclose(paths[0].get_xydata(), ok.path)
    assert paths[1].get_color() == plots.COLORS["Adam"] and paths[0].get_color() == plots.COLORS["SGD"]
    assert paths[2].get_color() != paths[0].get_color()  # same optimizer twice: told apart
    ax = plots.plot_trajectories(q, {"raw": np.array([[0.0, 0.0], [np.inf, 1.0]])})
    assert legend_texts(ax)[-1] == "raw (diverged at step 1)"


def test_color_for():
    assert plots.color_for("RMSprop (alpha=0.9)") == plots.COLORS["RMSprop"]
    assert plots.color_for("Lion") == plots.COLORS["Lion"]
    a = plots.color_for("something new")
    assert a not in plots.COLORS.values() and plots.color_for("x", used=[a]) != a
    assert len(set(plots.COLORS.values())) == len(plots.COLORS)


def test_plot_losses_scales():
    r = run("Adam", "rosenbrock", steps=30, lr=0.05)
    ax = plots.plot_losses(r)
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "f(x, y) - f*"
    np.testing.assert_allclose(ax.lines[0].get_ydata(), r.losses - 0.0)
    s = run("SGD", "saddle", steps=30, lr=0.1)
    ax = plots.plot_losses(s)
    assert ax.get_yscale() == "linear" and ax.get_ylabel() == "f(x, y)"
    blown = run("SGD", "quadratic", steps=200, lr=3.0)
    ax = plots.plot_losses(blown)
    assert "diverged at step" in legend_texts(ax)[0]
    assert np.all(np.isfinite(ax.lines[0].get_ydata()))
    ax = plots.plot_losses(np.array([3.0, 2.0, 1.0]), labels=["raw"])
    assert ax.get_yscale() == "log"


def test_plot_effective_steps_and_lr():
    r = run("SGD", "quadratic", steps=10, lr=0.2)
    ax = plots.plot_effective_steps(r)
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"
    np.testing.assert_allclose(ax.lines[0].get_ydata(), 0.2)
    ax = plots.plot_lr({"a": r, "b": [0.1, 0.05]})
    np.testing.assert_allclose(ax.lines[0].get_ydata(), r.lrs)
    assert ax.lines[1].get_ydata().tolist() == [0.1, 0.05]
    assert ax.get_ylabel() == "learning rate"


def test_theory_pictures():
    q = L.quadratic(condition_number=25)
    ax = plots.plot_gd_rate(q)
    vlines = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
    assert vlines and vlines[0].get_xdata()[0] == pytest.approx(2 / q.L)
    ax = plots.plot_momentum_heatmap(q)
    opt = optimal_momentum(q.L, q.mu)
    star = [ln for ln in ax.lines if ln.get_marker() == "*"][0]
    np.testing.assert_allclose(star.get_xydata()[0], [opt.lr, opt.momentum])
    with pytest.raises(ValueError, match="not a quadratic"):
        plots.plot_gd_rate(L.rosenbrock())


def test_no_show_and_axes_reuse():
    fig, ax = plt.subplots()
    assert plots.contour(L.beale(), ax=ax) is ax
    assert plots.plot_losses(run("SGD", "beale", steps=5, lr=1e-3), ax=ax) is ax


def test_log_y_labels_plainly_and_thins_out_over_many_decades():
    fig, (narrow, wide) = plt.subplots(1, 2)
    narrow.plot([1, 2, 3], [0.5, 0.2, 0.06])
    wide.plot([1, 2, 3], [1.0, 1e-3, 1e-6])
    plots.log_y(narrow)
    plots.log_y(wide)
    fig.canvas.draw()
    for ax in (narrow, wide):
        assert ax.get_yscale() == "log" and not ax.yaxis.get_minorticklocs().size
        labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        assert labels and not any("$" in t or "^" in t for t in labels), labels
    lo, hi = wide.get_ylim()
    ticks = [t for t in wide.get_yticks() if lo <= t <= hi]
    assert all(np.isclose(np.log10(t), round(np.log10(t))) for t in ticks), ticks
    plt.close(fig)
