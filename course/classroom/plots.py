"""Plots of the course, on matplotlib, with one look throughout.

Every function draws into ``ax`` (or a new figure when ``ax`` is None) and returns the
axes; none calls ``plt.show()``.  Each optimizer has a fixed colour (:data:`COLORS`), so
Adam is the same red in every notebook.  Paths that blow up (NaN, inf, or far outside the
window) are cut at the first bad point, clipped to the window, and labelled
"diverged at step k".

Example:
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from course.classroom import landscapes, plots, trajectory
    >>> bowl = landscapes.quadratic(condition_number=10)
    >>> runs = [trajectory.run("SGD", bowl, steps=n, lr=lr, label=f"SGD lr={lr}")
    ...         for lr, n in ((0.5, 50), (2.1, 20), (2.5, 50))]
    >>> ax = plots.plot_trajectories(bowl, runs)
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['minimum', 'SGD lr=0.5', 'SGD lr=2.1 (left the window at step 8)', 'SGD lr=2.5 (diverged at step 33)']
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
from matplotlib.ticker import LogLocator
import numpy as np

from ..optim.lr_scheduler import simulate
from .landscapes import Landscape
from .rates import gd_rate, momentum_rate, optimal_momentum

__all__ = ["COLORS", "color_for", "clip_path", "contour", "plot_trajectories", "plot_losses",
           "plot_effective_steps", "plot_lr", "plot_gd_rate", "plot_momentum_heatmap", "loss_curve", "log_y",
           "plot_schedules"]

COLORS = {
    "GD": "#4d4d4d", "SGD": "#1f77b4", "Momentum": "#17becf", "Nesterov": "#393b79",
    "Adagrad": "#8c564b", "RMSprop": "#ff7f0e", "Adam": "#d62728", "AdamW": "#e377c2",
    "Adadelta": "#bcbd22", "Adamax": "#7f7f7f", "NAdam": "#9467bd", "RAdam": "#2ca02c",
    "ASGD": "#aec7e8", "Rprop": "#98df8a", "Lion": "#ffbb78", "LBFGS": "#c5b0d5",
}
_SPARE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]


def color_for(label: str, used=()) -> str:
    """The colour of an optimizer from its label's first word (``"Adam (lr=0.1)"`` -> Adam's);
    a spare colour for an unknown name or one already ``used``.

    Example:
        >>> color_for("Adam lr=0.01") == COLORS["Adam"], color_for("Adam", used=[COLORS["Adam"]]) != COLORS["Adam"]
        (True, True)
    """
    key = str(label).replace("(", " ").replace(":", " ").split()[0] if str(label).strip() else ""
    color = COLORS.get(key)
    if color is not None and color not in used:
        return color
    spares = [c for c in _SPARE + list(COLORS.values()) if c not in used and c != color]
    return spares[0] if spares else _SPARE[len(used) % len(_SPARE)]


def _new_ax(ax, figsize=(5.5, 4.0)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


# --------------------------------------------------------------- paths
def clip_path(path, window, diverged_at=None, margin: float = 0.02):
    """``(xy, message)``: ``path`` cut before its first non-finite point and clipped to the window.

    The message is ``"diverged at step k"`` when ``diverged_at`` is given or the path has a
    non-finite point (k = its index), else ``"left the window at step k"`` when the path
    ends far outside the window (k: the first step outside), else ``""``.

    Example:
        >>> xy, msg = clip_path([[0, 0], [5, 1], [np.inf, 2]], ((-1, 1), (-1, 1)))
        >>> xy.tolist(), msg
        ([[0.0, 0.0], [1.04, 1.0]], 'diverged at step 2')
    """
    xy = np.array(path, dtype=float).reshape(-1, 2)
    finite = np.all(np.isfinite(xy), axis=1)
    if not finite.all():
        first = int(np.argmin(finite))
        diverged_at = first if diverged_at is None else diverged_at
        xy = xy[:first]
    (x0, x1), (y0, y1) = window
    if diverged_at is not None:
        message = f"diverged at step {diverged_at}"
    elif len(xy) and _far_out(xy[-1], window):
        message = f"left the window at step {int(np.argmax([_outside(p, window) for p in xy]))}"
    else:
        message = ""
    mx, my = margin * (x1 - x0), margin * (y1 - y0)
    xy = np.column_stack([np.clip(xy[:, 0], x0 - mx, x1 + mx), np.clip(xy[:, 1], y0 - my, y1 + my)])
    return xy, message


def _outside(p, window):
    (x0, x1), (y0, y1) = window
    return not (x0 <= p[0] <= x1 and y0 <= p[1] <= y1)


def _far_out(p, window):
    """Outside the window enlarged by its own size on each side: clearly leaving, not wandering."""
    (x0, x1), (y0, y1) = window
    w, h = x1 - x0, y1 - y0
    return not (x0 - w <= p[0] <= x1 + w and y0 - h <= p[1] <= y1 + h)


def _as_items(results, labels=None):
    """Normalize results: a Result, an array (a path or losses), a list of them, or a dict label -> them."""
    if isinstance(results, dict):
        labels, results = list(results), list(results.values())
    elif hasattr(results, "path") or (isinstance(results, np.ndarray) and results.ndim in (1, 2)):
        results = [results]
    results = list(results)
    if labels is None:
        labels = [getattr(r, "label", "") or f"path {i}" for i, r in enumerate(results)]
    if len(labels) != len(results):
        raise ValueError(f"got {len(labels)} labels for {len(results)} results")
    return results, list(labels)


def _label(label, message):
    return f"{label} ({message})" if message else label


# ------------------------------------------------------------- contour
def contour(landscape: Landscape, ax=None, levels=30, n: int = 200, filled: bool = True, cmap="viridis"):
    """Contour plot of ``landscape`` over its window; minima marked with a star, saddles with an x.

    Levels are log-spaced above the minimum when ``landscape.log_levels`` (valleys show up),
    else linear.  ``levels`` is a count or an explicit list.  Returns the axes.

    Example:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from course.classroom.landscapes import rosenbrock
        >>> ax = contour(rosenbrock())
        >>> ax.get_xlabel(), ax.get_title()
        ('x', 'Rosenbrock (a=1, b=100)')
    """
    ax = _new_ax(ax)
    X, Y, Z = landscape.grid(n)
    if np.isscalar(levels) or isinstance(levels, int):
        levels = _levels(Z, int(levels), landscape.log_levels)
    norm = None
    if landscape.log_levels:
        from matplotlib.colors import LogNorm, Normalize

        zmin = float(levels[0])
        norm = Normalize() if zmin <= 0 else LogNorm(vmin=levels[0], vmax=levels[-1])
    if filled:
        ax.contourf(X, Y, Z, levels=levels, cmap=cmap, norm=norm, alpha=0.35, extend="both")
    ax.contour(X, Y, Z, levels=levels, cmap=cmap, norm=norm, linewidths=0.6, alpha=0.9)
    for i, (mx, my) in enumerate(landscape.minima):
        ax.plot([mx], [my], marker="*", markersize=13, color="gold", markeredgecolor="black",
                linestyle="none", zorder=5, label="minimum" if i == 0 else None)
    for i, (sx, sy) in enumerate(landscape.saddle_points):
        ax.plot([sx], [sy], marker="X", markersize=10, color="white", markeredgecolor="black",
                linestyle="none", zorder=5, label="saddle point" if i == 0 else None)
    (x0, x1), (y0, y1) = landscape.window
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(landscape.title)
    return ax


def _levels(Z, n, log):
    z = Z[np.isfinite(Z)]
    lo, hi = float(z.min()), float(z.max())
    if not log or hi <= lo:
        return np.linspace(lo, hi, n) if hi > lo else np.array([lo - 1, lo, lo + 1])
    # log-spaced above the minimum, from a small fraction of the range
    floor = max(float(np.percentile(z - lo, 0.2)), (hi - lo) * 1e-6)
    return lo + np.geomspace(floor, hi - lo, n)


# -------------------------------------------------------- trajectories
def plot_trajectories(landscape: Landscape, results, labels=None, ax=None, draw_contour: bool = True,
                      markers: bool = True):
    """Contour of ``landscape`` with one line per path, coloured by optimizer, with a legend.

    Args:
        results: a :class:`~course.classroom.trajectory.Result`, an ``(n, 2)`` path, a list of
            these, or a dict label -> these.
        labels: legend labels (default: each result's label).
        draw_contour (bool): draw the contour first (False: ``ax`` already has one).
        markers (bool): mark each iterate with a dot.

    Returns the axes.
    """
    results, labels = _as_items(results, labels)
    ax = contour(landscape, ax=ax) if draw_contour else _new_ax(ax)
    used = []
    for r, label in zip(results, labels):
        xy, msg = clip_path(getattr(r, "path", r), landscape.window, getattr(r, "diverged_at", None))
        color = color_for(label, used)
        used.append(color)
        ax.plot(xy[:, 0], xy[:, 1], "-o" if markers else "-", color=color, markersize=2.5, linewidth=1.5,
                label=_label(label, msg), zorder=4)
        if len(xy):
            ax.plot(xy[:1, 0], xy[:1, 1], "o", color=color, markersize=6, markeredgecolor="black", zorder=6)
    ax.legend(loc="best", fontsize=8)
    return ax


def loss_curve(result):
    """``(steps, y, ylabel, log)``: what :func:`plot_losses` draws for one result.

    ``y`` is :math:`f - f^*` when the landscape has a minimum (log scale), else ``f``;
    non-finite values are cut, values <= 0 become NaN on a log scale.
    """
    losses = np.asarray(getattr(result, "losses", result), dtype=float)
    land = getattr(result, "landscape", None)
    f_min = getattr(land, "f_min", None)
    finite = np.isfinite(losses)
    if not finite.all():
        losses = losses[: int(np.argmin(finite))]
    steps = np.arange(len(losses))
    if land is None:
        log = bool(len(losses)) and bool(np.all(losses > 0))
        return steps, losses, "loss", log
    if f_min is None:
        return steps, losses, "f(x, y)", False
    y = losses - f_min
    return steps, np.where(y > 0, y, np.nan), "f(x, y) - f*", True


def log_y(ax):
    """Make the y axis of ``ax`` a log axis with plain labels (0.05, 0.1, 0.2; no ``10^k``
    mathtext) and no minor ticks: it redraws about twice as fast as matplotlib's default log
    axis, which keeps a slider that replots quick. Call it after plotting: within two decades
    of data it labels 1, 2 and 5 times each power of ten, else the powers of ten only.

    Example:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> fig, ax = plt.subplots()
        >>> _ = ax.plot([1, 2, 3], [0.5, 0.2, 0.06])
        >>> log_y(ax)
        >>> [float(t) for t in ax.get_yticks() if 0.06 <= t <= 0.5]
        [0.1, 0.2, 0.5]
    """
    ax.set_yscale("log")
    lo, hi = ax.get_ylim()
    decades = math.log10(hi / lo) if lo > 0 else math.inf
    ax.yaxis.set_major_locator(LogLocator(subs=(1, 2, 5) if decades <= 2 else (1,)))
    ax.yaxis.set_major_formatter("{x:g}")
    ax.minorticks_off()


def plot_losses(results, labels=None, ax=None):
    """Loss against step, log scale (``f - f*`` when the minimum is known), one line per result.

    Example:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from course.classroom import trajectory
        >>> ax = plot_losses(trajectory.run("Adam", "rosenbrock", steps=20, lr=0.1))
        >>> ax.get_yscale(), ax.get_ylabel()
        ('log', 'f(x, y) - f*')
    """
    results, labels = _as_items(results, labels)
    ax = _new_ax(ax, figsize=(5.5, 3.5))
    used, any_log, ylabel = [], True, "loss"
    for r, label in zip(results, labels):
        steps, y, ylabel, log = loss_curve(r)
        any_log = any_log and log
        color = color_for(label, used)
        used.append(color)
        ax.plot(steps, y, color=color, label=_label(label, getattr(r, "message", "")))
    if any_log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return ax


def plot_effective_steps(results, labels=None, ax=None):
    r"""Per-coordinate effective step size :math:`-\Delta\theta_i / g_i` against step (log y).

    Solid: x, dashed: y.  For SGD both are the lr; adaptive methods give each coordinate
    its own.

    Example:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from course.classroom import landscapes, trajectory
        >>> r = trajectory.run("RMSprop", landscapes.quadratic(100), steps=20, lr=0.01)
        >>> len(plot_effective_steps(r).lines)
        2
    """
    results, labels = _as_items(results, labels)
    ax = _new_ax(ax, figsize=(5.5, 3.5))
    used = []
    for r, label in zip(results, labels):
        eff = np.abs(r.effective_lrs)
        color = color_for(label, used)
        used.append(color)
        steps = np.arange(1, len(eff) + 1)
        ax.plot(steps, eff[:, 0], "-", color=color, label=f"{label}: x")
        ax.plot(steps, eff[:, 1], "--", color=color, label=f"{label}: y")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("effective step size  |Δθ / g|")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return ax


def plot_lr(results, labels=None, ax=None, log: bool = False):
    """The lr each step used, against step: Results, arrays of lrs, or a dict label -> either.

    Example:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> ax = plot_lr({"halving": [1.0, 0.5, 0.25]})
        >>> ax.lines[0].get_ydata().tolist()
        [1.0, 0.5, 0.25]
    """
    if isinstance(results, dict):
        labels, results = list(results), list(results.values())
    elif hasattr(results, "lrs"):
        results = [results]
    elif len(results) and np.isscalar(results[0]):
        results = [results]
    if labels is None:
        labels = [getattr(r, "label", "") or f"lr {i}" for i, r in enumerate(results)]
    ax = _new_ax(ax, figsize=(5.5, 3.0))
    used = []
    for r, label in zip(results, labels):
        lrs = np.asarray(getattr(r, "lrs", r), dtype=float)
        color = color_for(label, used)
        used.append(color)
        ax.plot(np.arange(len(lrs)), lrs, "-", color=color, label=label, drawstyle="steps-post")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return ax


# ------------------------------------------------------- theory pictures
def plot_gd_rate(landscape_or_eigenvalues, ax=None, lr_max=None, n: int = 400):
    r"""Gradient descent's rate :math:`|1 - \gamma h|` per eigenvalue against the lr, with the
    stability limit :math:`2/L` marked and the unstable region shaded.

    Example:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from course.classroom.landscapes import quadratic
        >>> ax = plot_gd_rate(quadratic(10))
        >>> ax.get_xlabel()
        'learning rate'
    """
    h = _eigenvalues(landscape_or_eigenvalues)
    L = float(np.max(h))
    lr_max = 1.4 * 2 / L if lr_max is None else float(lr_max)
    ax = _new_ax(ax, figsize=(5.0, 3.2))
    lrs = np.linspace(0, lr_max, n)
    for v, c in zip(sorted(set(h.tolist()), reverse=True), ["tab:olive", "tab:cyan", "tab:pink", "tab:gray"] * len(h)):
        ax.plot(lrs, np.abs(1 - lrs * v), linewidth=1, color=c, label=f"|1 - lr·{v:g}|")
    ax.plot(lrs, gd_rate(lrs, h), color="black", linewidth=2, label="rate (max)")
    ax.axvline(2 / L, color="crimson", linestyle="--", linewidth=1.2)
    ax.axvspan(2 / L, lr_max, color="crimson", alpha=0.08)
    ax.text(2 / L, 1.95, "2/L ", color="crimson", fontsize=8, va="top", ha="right")
    ax.axhline(1.0, color="gray", linewidth=0.8)
    ax.set_xlim(0, lr_max)
    ax.set_ylim(0, 2)
    ax.set_xlabel("learning rate")
    ax.set_ylabel("rate per step")
    ax.legend(loc="lower left", fontsize=7)
    return ax


def plot_momentum_heatmap(landscape_or_eigenvalues, ax=None, lrs=None, momenta=None, n: int = 200,
                          mark_optimum: bool = True):
    r"""Distill-style heatmap of heavy-ball's rate over (lr, momentum), optimum starred.

    Rates :math:`\ge 1` (divergence) are shown in grey.  Uses
    :func:`course.classroom.rates.momentum_rate` (torch's convention).

    Example:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from course.classroom.landscapes import quadratic
        >>> ax = plot_momentum_heatmap(quadratic(100))
        >>> ax.get_ylabel()
        'momentum'
    """
    h = _eigenvalues(landscape_or_eigenvalues)
    L, mu = float(np.max(h)), float(np.min(h))
    lrs = np.linspace(0, 4.5 / L, n) if lrs is None else np.asarray(lrs, dtype=float)
    momenta = np.linspace(0, 0.99, n) if momenta is None else np.asarray(momenta, dtype=float)
    rate = momentum_rate(lrs[None, :], momenta[:, None], h)
    ax = _new_ax(ax, figsize=(5.0, 4.0))
    cmap = plt.get_cmap("magma_r").with_extremes(over="0.8")
    # the colours span the rates that converge (on an ill-conditioned bowl all of them are near 1)
    converging = rate[rate < 1]
    low = float(np.floor(20 * converging.min()) / 20) if converging.size else 0.0
    im = ax.pcolormesh(lrs, momenta, rate, cmap=cmap, vmin=low, vmax=1, shading="auto")
    levels = [v for v in (0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995) if v > low]
    lines = ax.contour(lrs, momenta, rate, levels=levels, colors="white", linewidths=0.8)
    ax.clabel(lines, fmt="%g", fontsize=9)
    ax.figure.colorbar(im, ax=ax, label="rate per step (grey: diverges)", extend="max")
    if mark_optimum and mu > 0:
        opt = optimal_momentum(L, mu)
        ax.plot([opt.lr], [opt.momentum], "*", color="cyan", markersize=14, markeredgecolor="black",
                label=f"optimum: lr {opt.lr:.3g}, momentum {opt.momentum:.3g}, rate {opt.rate:.3g}")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=10, frameon=False)
    ax.set_xlabel("learning rate")
    ax.set_ylabel("momentum")
    return ax


def _eigenvalues(x):
    if isinstance(x, Landscape):
        if x.L is None:
            raise ValueError(f"{x.title} is not a quadratic: it has no fixed eigenvalues")
        return np.array([x.L, x.mu])
    h = np.asarray(x, dtype=float).reshape(-1)
    if h.size == 0 or not np.all(np.isfinite(h)) or np.any(h < 0) or math.isclose(float(np.max(h)), 0.0):
        raise ValueError(f"Invalid eigenvalues: {x}")
    return h


def plot_schedules(schedules, steps: int | None = None, *, metrics=None, lr=0.1, optimizer=None, ax=None,
                   logy: bool = False, title: str | None = None, **line_kwargs):
    """Plot one or several lr schedules against the optimizer step; returns the Axes.

    Args:
        schedules: a factory (see :func:`course.optim.lr_scheduler.simulate`), a sequence of lrs, or a dict
            ``{label: factory or sequence}``.
        steps (int): steps to simulate (needed for factories).
        metrics, lr, optimizer: passed to ``simulate``.
        ax: the matplotlib Axes to draw on (default: a new figure).
        logy (bool): logarithmic lr axis.
        title (str): the title.
        **line_kwargs: passed to ``ax.plot`` (e.g. ``drawstyle="steps-post"``).

    Example:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from course.optim.lr_scheduler import StepLR
        >>> ax = plot_schedules({"StepLR": lambda opt: StepLR(opt, step_size=10)}, steps=40)
        >>> len(ax.get_lines())
        1
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    if not isinstance(schedules, dict):
        label = getattr(schedules, "__name__", None) if callable(schedules) else None
        schedules = {label: schedules}
    for label, schedule in schedules.items():
        if callable(schedule):
            if steps is None:
                raise ValueError("steps is needed to simulate a scheduler factory")
            values = simulate(schedule, steps, metrics, lr=lr, optimizer=optimizer)
        else:
            values = np.asarray(schedule, dtype=float)
        ax.plot(np.arange(len(values)), values, label=label, **line_kwargs)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("learning rate")
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    if any(label for label in schedules):
        ax.legend()
    return ax
