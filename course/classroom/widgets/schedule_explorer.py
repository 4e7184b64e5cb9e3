"""Sliders for the learning-rate schedulers (notebook 07) and for ReduceLROnPlateau (notebook 08).

Every builder is a plain function returning a :class:`LiveFigure`: sliders, a matplotlib
figure drawn on Agg, and an ``ipywidgets.Output`` showing it as one PNG.  A slider change
reruns the *real* scheduler (through :func:`course.optim.lr_scheduler.simulate` or
:func:`course.classroom.plateau_demo.plateau_timeline`) and moves the existing artists (``set_data``);
nothing is replotted.  An invalid combination (e.g. OneCycleLR with ``pct_start`` at 1)
shows the scheduler's own error in the title instead of raising.

In a notebook::

    w = schedule_explorer("StepLR")   # or "CosineAnnealingLR", "OneCycleLR", ... (see SCHEDULES)
    w.static()                        # the first view as a PNG, for GitHub and nbviewer
    w                                 # the live widget (tag the cell nbval-ignore-output)

Without a browser (tests, benchmarks)::

    >>> w = schedule_explorer("StepLR")
    >>> w.sliders["step_size"].value = 10
    >>> float(w.lrs[9]), float(w.lrs[10])
    (0.1, 0.010000000000000002)
"""
from __future__ import annotations

import base64

import ipywidgets as W
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter, NullFormatter

from . import png
from .sliders import log_min, notch
from .view import WidgetView
from ...optim import lr_scheduler as S
from ..plateau_demo import noisy_validation_curve, plateau_timeline

__all__ = ["LiveFigure", "ScheduleExplorer", "PlateauExplorer", "schedule_explorer", "plateau_explorer",
           "SCHEDULES", "make_control"]


# ------------------------------------------------------------------ controls
def make_control(name: str, spec):
    """An input widget from a spec.

    ``(min, max, value)`` is an ``IntSlider`` when all are ints, else a ``FloatSlider``
    (an optional 4th entry is the step); ``(min, max, value, "log")`` is a ``FloatLogSlider``;
    a list of strings is a ``ToggleButtons``; a list of numbers a ``SelectionSlider``;
    a bool a ``Checkbox``.

    Example:
        >>> make_control("gamma", (0.05, 0.95, 0.1)).value
        0.1
        >>> make_control("mode", ["rel", "abs"]).value
        'rel'
    """
    style = {"description_width": "initial"}
    if isinstance(spec, bool):
        return W.Checkbox(value=spec, description=name, indent=False)
    if isinstance(spec, list):
        if all(isinstance(s, str) for s in spec):
            return W.ToggleButtons(options=spec, value=spec[0], description=name, style=style)
        return W.SelectionSlider(options=spec, value=spec[0], description=name, style=style,
                                 continuous_update=False)
    if not isinstance(spec, tuple) or len(spec) not in (3, 4):
        raise ValueError(f"Invalid control {name!r}: expected (min, max, value[, step or 'log']), got {spec!r}")
    lo, hi, value = spec[:3]
    if not lo < hi or not lo <= value <= hi:
        raise ValueError(f"Invalid control {name!r}: need min < max and min <= value <= max, got {spec!r}")
    common = dict(value=value, description=name, style=style, continuous_update=True)
    if len(spec) == 4 and spec[3] == "log":
        return W.FloatLogSlider(min=log_min(lo, value, 0.05), max=float(np.log10(hi)), step=0.05,
                                readout_format=".3g", **common)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in (lo, hi, value)):
        return W.IntSlider(min=lo, max=hi, step=spec[3] if len(spec) == 4 else 1, **common)
    step = spec[3] if len(spec) == 4 else notch(lo, hi, value, notches=100)
    return W.FloatSlider(min=lo, max=hi, step=step, readout_format=".3g", **common)


def _plain_log(ax):
    """A log axis with plain text labels (mathtext labels cost ~10 ms per redraw)."""
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=True))
    ax.yaxis.set_minor_formatter(NullFormatter())


Y_CAP = 1e300  # the largest |y| an axis is fitted to


def _fit(ax, x, ys, log=False):
    """Axis limits that fit the finite data (an empty or all-NaN series keeps the old ones)."""
    y = np.concatenate([np.asarray(v, float).ravel() for v in ys]) if ys else np.array([])
    y = np.clip(y[np.isfinite(y) & ((y > 0) if log else True)], -Y_CAP, Y_CAP)  # spans near 1e308 overflow
    if len(x):
        ax.set_xlim(-0.5, max(1.0, float(np.max(x))) + 0.5)
    if not len(y):
        return
    lo, hi = float(y.min()), float(y.max())
    if log:
        ax.set_ylim(lo / 1.6, hi * 1.6)
    else:
        pad = 0.06 * (hi - lo) if hi > lo else max(abs(hi), 1e-3) * 0.1
        ax.set_ylim(lo - pad, hi + pad)


# ------------------------------------------------------------------ the live figure
class LiveFigure(WidgetView):
    """Controls plus a figure on Agg, redrawn into an ``ipywidgets.Output`` on every change.

    Attributes:
        sliders (dict): name -> input widget (set ``.value`` to redraw).
        figure, canvas, axes (list of Axes), output (ipywidgets.Output), box (the whole widget).
        status (str): the title's message ('' or the error of an invalid combination).
        png (bytes): the last rendered image.  ``encode_png``: set False to skip the PNG (benchmarks).
    """

    encode_png = True

    def __init__(self, controls: dict, panels: int = 1, figsize=(7.5, 3.2), dpi: int = 72, sharex=True,
                 title_on_axes: bool = False):
        self.sliders = {name: make_control(name, spec) for name, spec in controls.items()}
        self.status = ""
        self.png = b""
        self.figure = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        self.canvas = FigureCanvasAgg(self.figure)
        self.axes = list(self.figure.subplots(panels, 1, sharex=sharex, squeeze=False)[:, 0])
        # the status line: the figure's title, or the top axes' (below a legend placed above the axes)
        if title_on_axes:
            self._suptitle = self.axes[0].text(0.5, 1.03, "", transform=self.axes[0].transAxes, ha="center",
                                               va="bottom", fontsize=10)
        else:
            self._suptitle = self.figure.suptitle("", fontsize=10)
        self._layout_frozen = False
        self._background = None
        self.output = W.Output()
        self.box = W.VBox(list(self.sliders.values()) + [self.output])

    def _connect(self):
        self.update()
        for s in self.sliders.values():
            s.observe(lambda change: self.update(), names="value")

    def update(self):
        """Recompute with the current values, move the artists, render (what a slider change does)."""
        try:
            title = self._redraw(self.values())
            self.status = ""
        except (ValueError, ZeroDivisionError, TypeError) as err:  # the scheduler refused these values
            self._clear()
            title = self.status = f"invalid: {type(err).__name__}: {err}"
        self._suptitle.set_text("\n".join(t if len(t) < 110 else t[:107] + "..." for t in title.split("\n")))
        self.render()

    def _dynamic_artists(self):
        """The artists a change can move; None: all of them (a full draw)."""
        return None

    def _draw(self):
        dynamic = self._dynamic_artists()
        if dynamic is None:
            self.canvas.draw()
            return
        if self._background is None:  # draw what never moves once and keep its pixels
            shown = [(a, a.get_visible()) for a in dynamic]
            for a, _ in shown:
                a.set_visible(False)
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            for a, visible in shown:
                a.set_visible(visible)
        self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in sorted(dynamic, key=lambda a: a.get_zorder()):
            if artist.get_visible():
                artist.draw(renderer)

    def render(self):
        """Draw on Agg; encode a PNG and put it in the Output (unless ``encode_png`` is False)."""
        if not self._layout_frozen:  # constrained layout places the axes once, then stays put
            self.canvas.draw()
            self._layout_frozen = True
            self.figure.set_layout_engine("none")
        self._draw()
        if not self.encode_png:
            return
        self.png = png.encode(self.canvas)
        self.output.outputs = ({"output_type": "display_data", "metadata": {},
                                "data": {"image/png": base64.b64encode(self.png).decode("ascii"),
                                         "text/plain": f"<{type(self).__name__} figure>"}},)

    def static(self):
        """The current view as a PNG image (``IPython.display.Image``), for GitHub and nbviewer."""
        if not self.png:
            saved, self.encode_png = self.encode_png, True
            try:
                self.render()
            finally:
                self.encode_png = saved
        return super().static()

    def _redraw(self, values) -> str:  # pragma: no cover - subclasses
        raise NotImplementedError

    def _clear(self):  # pragma: no cover - subclasses
        raise NotImplementedError


# ------------------------------------------------------------------ notebook 07: one scheduler
def _warmup_cosine(opt, v):
    warmup = S.LinearLR(opt, start_factor=v["start_factor"], total_iters=v["warmup"])
    cosine = S.CosineAnnealingLR(opt, T_max=v["T_max"], eta_min=v["eta_min"])
    return S.SequentialLR(opt, [warmup, cosine], milestones=[v["warmup"]])


# name -> (factory(optimizer, values), controls, steps, what one step is, lr of the optimizer)
SCHEDULES = {
    "StepLR": (lambda opt, v: S.StepLR(opt, step_size=v["step_size"], gamma=v["gamma"]),
               {"step_size": (1, 60, 30), "gamma": (0.05, 0.95, 0.1, 0.05)}, 100, "epoch", 0.1),
    "MultiStepLR": (lambda opt, v: S.MultiStepLR(opt, milestones=[v["first"], v["second"]], gamma=v["gamma"]),
                    {"first": (0, 100, 30), "second": (0, 100, 80), "gamma": (0.05, 0.95, 0.1, 0.05)}, 100, "epoch",
                    0.1),
    "ExponentialLR": (lambda opt, v: S.ExponentialLR(opt, gamma=v["gamma"]),
                      {"gamma": (0.8, 0.999, 0.95, 0.001)}, 100, "epoch", 0.1),
    "CosineAnnealingLR": (lambda opt, v: S.CosineAnnealingLR(opt, T_max=v["T_max"], eta_min=v["eta_min"]),
                          {"T_max": (1, 200, 100), "eta_min": (0.0, 0.05, 0.0, 0.001)}, 100, "epoch", 0.1),
    "LinearLR": (lambda opt, v: S.LinearLR(opt, start_factor=v["start_factor"], end_factor=v["end_factor"],
                                           total_iters=v["total_iters"]),
                 {"start_factor": (0.01, 1.0, 0.1, 0.01), "end_factor": (0.0, 1.0, 1.0, 0.01),
                  "total_iters": (0, 60, 10)}, 100, "epoch", 0.1),
    "ConstantLR": (lambda opt, v: S.ConstantLR(opt, factor=v["factor"], total_iters=v["total_iters"]),
                   {"factor": (0.0, 1.0, 0.5, 0.01), "total_iters": (0, 60, 10)}, 100, "epoch", 0.1),
    "PolynomialLR": (lambda opt, v: S.PolynomialLR(opt, total_iters=v["total_iters"], power=v["power"]),
                     {"total_iters": (1, 150, 80), "power": (0.1, 5.0, 1.0, 0.1)}, 100, "epoch", 0.1),
    "CosineAnnealingWarmRestarts": (
        lambda opt, v: S.CosineAnnealingWarmRestarts(opt, T_0=v["T_0"], T_mult=v["T_mult"], eta_min=v["eta_min"]),
        {"T_0": (1, 100, 10), "T_mult": (1, 4, 2), "eta_min": (0.0, 0.05, 0.0, 0.001)}, 100, "epoch", 0.1),
    "warmup+cosine": (_warmup_cosine,
                      {"warmup": (1, 50, 10), "start_factor": (0.01, 1.0, 0.1, 0.01), "T_max": (1, 200, 90),
                       "eta_min": (0.0, 0.05, 0.0, 0.001)}, 100, "epoch", 0.1),
    "OneCycleLR": (lambda opt, v: S.OneCycleLR(opt, max_lr=v["max_lr"], total_steps=300, pct_start=v["pct_start"],
                                               anneal_strategy=v["anneal_strategy"], div_factor=v["div_factor"],
                                               final_div_factor=v["final_div_factor"],
                                               three_phase=v["three_phase"]),
                   {"max_lr": (1e-3, 1.0, 0.1, "log"), "pct_start": (0.0, 1.0, 0.3, 0.01),
                    "div_factor": (1.0, 1e3, 25.0, "log"), "final_div_factor": (1.0, 1e5, 1e4, "log"),
                    "anneal_strategy": ["cos", "linear"], "three_phase": False}, 300, "batch", 0.1),
    "CyclicLR": (lambda opt, v: S.CyclicLR(opt, base_lr=v["base_lr"], max_lr=v["max_lr"],
                                           step_size_up=v["step_size_up"], step_size_down=v["step_size_down"],
                                           mode=v["mode"], gamma=v["gamma"]),
                 {"base_lr": (1e-4, 0.1, 0.001, "log"), "max_lr": (1e-3, 1.0, 0.1, "log"),
                  "step_size_up": (1, 150, 40), "step_size_down": (1, 150, 40),
                  "mode": ["triangular", "triangular2", "exp_range"], "gamma": (0.98, 1.0, 0.995, 0.001)},
                 300, "batch", 0.1),
}
CYCLES_MOMENTUM = ("OneCycleLR", "CyclicLR")


class ScheduleExplorer(LiveFigure):
    """One scheduler's lr (and, for OneCycleLR and CyclicLR, momentum) at every optimizer step.

    Attributes (besides :class:`LiveFigure`'s):
        name (str), steps (int), lrs (the simulated lrs, a float array), momenta (or None),
        lines (dict: 'lr', and 'momentum' where it cycles -> Line2D).
    """

    def __init__(self, name: str, steps: int | None = None, logy: bool = False, **initial):
        if name not in SCHEDULES:
            raise ValueError(f"Unknown scheduler {name!r}; choose from {sorted(SCHEDULES)}")
        self.name = name
        factory, controls, default_steps, self.unit, self.lr = SCHEDULES[name]
        self.factory = factory
        self.steps = default_steps if steps is None else steps
        if not isinstance(self.steps, int) or self.steps < 1:
            raise ValueError(f"Invalid steps: {steps!r} (expected an integer >= 1)")
        controls = dict(controls)
        for key, value in initial.items():  # a new starting value keeps the control's range
            if key not in controls:
                raise ValueError(f"{name} has no slider {key!r}; sliders: {list(controls)}")
            spec = controls[key]
            if isinstance(spec, list):
                controls[key] = [value] + [s for s in spec if s != value]
            elif isinstance(spec, bool):
                controls[key] = bool(value)
            else:
                controls[key] = spec[:2] + (value,) + spec[3:]
        self.momentum = name in CYCLES_MOMENTUM
        super().__init__(controls, panels=2 if self.momentum else 1,
                         figsize=(7.5, 4.6) if self.momentum else (7.5, 3.0))
        self.lrs, self.momenta = np.array([]), None
        x = np.arange(self.steps)
        ax = self.axes[0]
        self.lines = {"lr": ax.plot(x, np.full(self.steps, np.nan), color="tab:blue", drawstyle="steps-post",
                                    linewidth=1.8)[0]}
        ax.set_ylabel("learning rate")
        ax.grid(True, alpha=0.3)
        if logy:
            _plain_log(ax)
        if self.momentum:
            self.lines["momentum"] = self.axes[1].plot(x, np.full(self.steps, np.nan), color="tab:orange",
                                                       drawstyle="steps-post")[0]
            self.axes[1].set_ylabel("momentum")
            self.axes[1].grid(True, alpha=0.3)
        self.axes[-1].set_xlabel(f"optimizer step ({self.unit})")
        self._connect()

    def _simulate(self, values, key="lr"):
        return S.simulate(lambda opt: self.factory(opt, values), self.steps, lr=self.lr, key=key)

    def _redraw(self, values) -> str:
        self.lrs = self._simulate(values)
        x = np.arange(self.steps)
        self.lines["lr"].set_data(x, self.lrs)
        _fit(self.axes[0], x, [self.lrs], log=self.axes[0].get_yscale() == "log")
        if self.momentum:
            self.momenta = self._simulate(values, key="momentum")
            self.lines["momentum"].set_data(x, self.momenta)
            _fit(self.axes[1], x, [self.momenta])
        return (f"{self.name}: lr {self.lrs[0]:.3g} at step 0, {self.lrs[-1]:.3g} at step {self.steps - 1} "
                f"(min {self.lrs.min():.3g}, max {self.lrs.max():.3g})")

    def _clear(self):
        self.lrs = np.array([])
        self.momenta = None if not self.momentum else np.array([])
        for line in self.lines.values():
            line.set_ydata(np.full(self.steps, np.nan))

    def __repr__(self):
        return f"ScheduleExplorer({self.name}; sliders: {', '.join(self.sliders)})"


def schedule_explorer(name: str = "StepLR", steps: int | None = None, logy: bool = False,
                      **initial) -> ScheduleExplorer:
    """Sliders for one scheduler's arguments; the curve is the lr each optimizer step really used.

    Args:
        name (str): a key of :data:`SCHEDULES` ('StepLR', 'MultiStepLR', 'ExponentialLR',
            'CosineAnnealingLR', 'LinearLR', 'ConstantLR', 'PolynomialLR',
            'CosineAnnealingWarmRestarts', 'warmup+cosine', 'OneCycleLR', 'CyclicLR').
        steps (int): optimizer steps to simulate (default: 100 epochs, or 300 batches).
        logy (bool): logarithmic lr axis.
        **initial: starting slider values, e.g. ``gamma=0.5``.

    Example:
        >>> w = schedule_explorer("CosineAnnealingLR", T_max=50)
        >>> round(float(w.lrs[50]), 6), round(float(w.lrs[99]), 6)    # T_max=50 < 100 epochs: it climbs back
        (0.0, 0.099901)
    """
    return ScheduleExplorer(name, steps=steps, logy=logy, **initial)


# ------------------------------------------------------------------ notebook 08: ReduceLROnPlateau
PLATEAU_CONTROLS = {
    "patience": (0, 30, 10),
    "factor": (0.0, 0.95, 0.1, 0.05),
    "threshold": (1e-5, 0.3, 1e-4, "log"),
    "threshold_mode": ["rel", "abs"],
    "cooldown": (0, 20, 0),
    "min_lr": [0.0, 1e-4, 1e-3, 1e-2],
}


def _finite_limits(values, pad=0.05):
    """y limits around the finite values (a nan or inf metric is drawn as a gap, not a limit)."""
    finite = np.clip(values[np.isfinite(values)], -Y_CAP, Y_CAP)  # spans near 1e308 overflow
    if not finite.size:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    return lo - pad * span, hi + pad * span


class PlateauExplorer(LiveFigure):
    """A validation curve with ReduceLROnPlateau's decisions marked, from :func:`plateau_timeline`.

    Top panel: the metric, the running ``best``, the new bests, the counted bad epochs, the
    cooldown epochs (shaded) and their ignored bad epochs, and a vertical line after each reduction.  Bottom
    panel: the lr each epoch used (log scale).

    Attributes (besides :class:`LiveFigure`'s):
        metrics (the curve), lr (starting lr), timeline (the last :class:`~course.classroom.plateau_demo.PlateauTimeline`),
        artists (dict name -> artist: 'metric', 'best', 'new_best', 'bad', 'ignored', 'cooldown' (shaded
            epochs), 'reductions', 'lr').
    """

    def __init__(self, metrics=None, lr: float = 0.1, **initial):
        self.metrics = noisy_validation_curve() if metrics is None else np.asarray(metrics, dtype=float)
        if self.metrics.ndim != 1 or not self.metrics.size:
            raise ValueError(f"metrics must be a non-empty sequence of numbers, one per epoch, got shape {self.metrics.shape}")
        self.lr = lr
        controls = dict(PLATEAU_CONTROLS)
        for key, value in initial.items():
            if key not in controls:
                raise ValueError(f"no slider {key!r}; sliders: {list(controls)}")
            spec = controls[key]
            controls[key] = [value] + [s for s in spec if s != value] if isinstance(spec, list) else \
                spec[:2] + (value,) + spec[3:]
        super().__init__(controls, panels=2, figsize=(8.0, 5.2), title_on_axes=True)
        self.timeline = None
        n = len(self.metrics)
        x = np.arange(n)
        ax, lax = self.axes
        nan = np.full(n, np.nan)
        self.artists = {
            "metric": ax.plot(x, self.metrics, ".-", color="0.55", linewidth=0.8, markersize=4, label="metric")[0],
            "best": ax.plot(x, nan, color="tab:green", drawstyle="steps-post", label="best")[0],
            "new_best": ax.plot(x, nan, "o", color="tab:green", markersize=5, label="new best")[0],
            "bad": ax.plot(x, nan, "x", color="tab:red", markersize=6, label="bad epoch (counted)")[0],
            "ignored": ax.plot(x, nan, "x", color="tab:purple", markersize=6, alpha=0.6,
                               label="bad epoch in cooldown (ignored)")[0],
            "cooldown": ax.add_collection(PolyCollection([], transform=ax.get_xaxis_transform(), facecolor="tab:purple",
                                                         alpha=0.12, edgecolor="none", label="cooldown epoch")),
            "reductions": ax.vlines([], 0, 1, colors="black", linestyles="--", linewidth=1,
                                    transform=ax.get_xaxis_transform(), label="lr reduced after this epoch"),
            "lr": lax.plot(x, nan, color="tab:blue", drawstyle="steps-post", linewidth=1.8)[0],
        }
        ax.set_ylim(*_finite_limits(self.metrics))
        ax.set_ylabel("validation metric")
        ax.grid(True, alpha=0.3)
        # outside the axes, so that it stays in the saved background and costs nothing per redraw
        self.figure.legend(handles=[a for k, a in self.artists.items() if k != "lr"], fontsize=7,
                           loc="outside upper center", ncol=3)
        _plain_log(lax)
        lax.set_ylabel("lr used")
        lax.set_xlabel("epoch")
        lax.grid(True, alpha=0.3)
        self._connect()

    def _dynamic_artists(self):
        # the metric curve, its axes and the legend never move; the marks, the lr panel and the title do
        a = self.artists
        return [a[k] for k in ("cooldown", "best", "new_best", "bad", "ignored", "reductions")] + [self.axes[1],
                                                                                                  self._suptitle]

    def _redraw(self, values) -> str:
        t = self.timeline = plateau_timeline(self.metrics, lr=self.lr, **values)
        x = np.arange(len(t.metrics))
        a = self.artists
        a["best"].set_ydata(t.best)
        a["new_best"].set_ydata(np.where(t.improved, t.metrics, np.nan))
        a["bad"].set_ydata(np.where(t.counted, t.metrics, np.nan))
        a["ignored"].set_ydata(np.where(t.bad & t.cooldown, t.metrics, np.nan))
        a["reductions"].set_segments([[(e + 0.5, 0.0), (e + 0.5, 1.0)] for e in t.reductions])
        a["cooldown"].set_verts([[(e - 0.5, 0), (e + 0.5, 0), (e + 0.5, 1), (e - 0.5, 1)]
                                 for e in np.flatnonzero(t.cooldown)])
        a["lr"].set_data(x, t.lr_used)
        _fit(self.axes[1], x, [t.lr_used, t.lr_after], log=True)
        first = f"the first after epoch {t.reductions[0]}" if len(t.reductions) else "none"
        # the settings are in the title, so that every slider notch shows, even when no decision changes
        settings = " · ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items())
        return (f"{settings}\nReduceLROnPlateau: {len(t.reductions)} reductions ({first}), "
                f"final lr {t.lr_after[-1]:.3g}")

    def _clear(self):
        self.timeline = None
        for key in ("best", "new_best", "bad", "ignored", "lr"):
            self.artists[key].set_ydata(np.full(len(self.metrics), np.nan))
        self.artists["reductions"].set_segments([])
        self.artists["cooldown"].set_verts([])

    def __repr__(self):
        return f"PlateauExplorer({len(self.metrics)} epochs; sliders: {', '.join(self.sliders)})"


def plateau_explorer(metrics=None, lr: float = 0.1, **initial) -> PlateauExplorer:
    """Sliders for ReduceLROnPlateau on a fixed metric curve (default: :func:`~course.classroom.plateau_demo.noisy_validation_curve`).

    Args:
        metrics: one value per epoch (default: the seeded noisy validation curve).
        lr (float): the starting lr.
        **initial: starting values for patience, factor, threshold, threshold_mode, cooldown, min_lr.

    Example:
        >>> w = plateau_explorer(patience=5)       # the other sliders start at torch's defaults
        >>> before = w.timeline.reductions.tolist()
        >>> w.sliders["patience"].value = 20
        >>> len(w.timeline.reductions) < len(before)
        True
    """
    return PlateauExplorer(metrics, lr=lr, **initial)
