"""Sliders wired to the course's plots: move a hyperparameter, watch the optimizer change.

Every builder is a plain function that returns an :class:`Explorer`.  In a notebook one
call shows it (the widget is the cell's result); without a browser, tests and benchmarks
drive it by setting ``explorer.sliders["lr"].value``.  How it stays fast and safe:

* the contour is drawn once; a slider change reruns the optimizers (analytic gradients)
  and moves the existing lines (``Line2D.set_data``), then renders one PNG into an
  ``ipywidgets.Output`` (``.widget-output img`` in the page);
* a run that blows up stops early, its path is clipped to the window and the figure's
  title says "diverged at step k"; an invalid combination (e.g. Nesterov without
  momentum) shows the optimizer's own error message instead of raising;
* ``explorer.static()`` is the first view as a plain PNG, for GitHub and nbviewer.

In a notebook::

    w = widgets.lr_explorer()     # 01: lr on a quadratic, 2/L marked
    w.static()                    # the first view, stored as an image
    w                             # the live widget (tag the cell nbval-ignore-output)

Example:
    >>> w = lr_explorer(steps=20)
    >>> before = w.lines["GD"].get_xydata().copy()
    >>> w.sliders["lr"].value = 2.2            # beyond 2 / L = 2
    >>> bool((w.lines["GD"].get_xydata() != before).any()), "diverge" in w.status
    (True, True)
"""
from __future__ import annotations

import base64
import math
import textwrap

import ipywidgets as W
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter, LogLocator, MaxNLocator, NullFormatter, NullLocator

from .. import landscapes as _landscapes
from . import png
from .. import plots
from .sliders import log_min, notch
from ..rates import gd_rate, measured_rate, momentum_rate, optimal_gd, optimal_momentum
from ..trajectory import accepted_kwargs, optimizer_name, run, tune_lr
from .view import WidgetView

__all__ = ["Explorer", "explore", "lr_explorer", "sgd_explorer", "momentum_explorer", "rmsprop_explorer",
           "adam_explorer", "race", "make_slider", "RACE_OPTIMIZERS"]

RUN_KEYS = ("steps", "noise", "batch_size", "seed", "scheduler")
PANELS = ("contour", "loss", "rate", "effective", "lr")
TITLE_SIZE = 11  # points
TITLE_CHAR_EM = 0.6  # a generous mean character width of DejaVu Sans, in ems
Y_CAP = 1e200  # the largest |y| an axis shows


# ------------------------------------------------------------------ sliders
def make_slider(name: str, spec):
    """A slider from a spec, with its range checked.

    ``spec`` is an ipywidgets value widget (used as is), ``(min, max, value)`` (a
    ``FloatSlider``, or an ``IntSlider`` when all three are ints), ``(min, max, value, "log")``
    (a ``FloatLogSlider``), or a bool (a ``Checkbox``).

    Example:
        >>> make_slider("lr", (1e-3, 1.0, 0.01, "log")).value
        0.01
        >>> make_slider("lr", (1.0, 0.1, 0.5))
        Traceback (most recent call last):
        ...
        ValueError: Invalid slider 'lr': min=1.0 must be < max=0.1
    """
    style = {"description_width": "initial"}
    if isinstance(spec, W.ValueWidget):
        return spec
    if isinstance(spec, bool):
        return W.Checkbox(value=spec, description=name, indent=False)
    if not isinstance(spec, (tuple, list)) or len(spec) not in (3, 4):
        raise ValueError(f"Invalid slider {name!r}: expected (min, max, value) or (min, max, value, 'log'), got {spec!r}")
    lo, hi, value = spec[:3]
    log = len(spec) == 4
    if log and spec[3] != "log":
        raise ValueError(f"Invalid slider {name!r}: the 4th entry must be 'log', got {spec[3]!r}")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (lo, hi, value)):
        raise ValueError(f"Invalid slider {name!r}: min, max and value must be finite numbers, got {spec!r}")
    if not lo < hi:
        raise ValueError(f"Invalid slider {name!r}: min={lo} must be < max={hi}")
    if not lo <= value <= hi:
        raise ValueError(f"Invalid slider {name!r}: value={value} must lie in [{lo}, {hi}]")
    layout = W.Layout(width="330px")
    if log:
        if not lo > 0:
            raise ValueError(f"Invalid slider {name!r}: a log slider needs min > 0, got {lo}")
        return W.FloatLogSlider(value=value, base=10, min=log_min(lo, value, 0.02), max=math.log10(hi), step=0.02,
                                description=name, readout_format=".3g", style=style, layout=layout)
    if all(isinstance(v, int) for v in (lo, hi, value)):
        return W.IntSlider(value=value, min=lo, max=hi, step=1, description=name, style=style, layout=layout)
    return W.FloatSlider(value=value, min=lo, max=hi, step=notch(lo, hi, value), description=name,
                         readout_format=".4g", style=style, layout=layout)


def _shown(name: str, value, slider) -> str:
    """``name value`` as the slider's own readout shows it."""
    if isinstance(value, float):
        return f"{name} {value:{getattr(slider, 'readout_format', '.4g')}}"
    return f"{name} {value}"


def _normalize_optimizers(optimizers):
    """-> dict label -> (spec, fixed kwargs for that label)."""
    if isinstance(optimizers, dict):
        items = list(optimizers.items())
    elif isinstance(optimizers, (list,)):
        items = [(optimizer_name(o), o) for o in optimizers]
    else:
        items = [(optimizer_name(optimizers), optimizers)]
    out = {}
    for label, spec in items:
        if isinstance(spec, tuple):
            if len(spec) != 2 or not isinstance(spec[1], dict):
                raise TypeError(f"optimizer {label!r}: a tuple must be (class or name, kwargs), got {spec!r}")
            out[str(label)] = (spec[0], dict(spec[1]))
        else:
            out[str(label)] = (spec, {})
    if not out:
        raise ValueError("explore needs at least one optimizer")
    return out


# ----------------------------------------------------------------- explorer
class Explorer(WidgetView):
    """An interactive figure: sliders, a status line and a figure of one or more panels.

    Build it with :func:`explore` or one of the ready-made builders.  What tests and
    notebooks use:

    Attributes:
        sliders (dict): name -> ipywidgets slider (set ``.value`` to redraw).
        controls (dict): other inputs: ``"landscape"`` (Dropdown), ``"optimizers"``
            (SelectMultiple), when present.
        figure (matplotlib.figure.Figure), axes (dict panel -> Axes).
        lines (dict): label -> the path's ``Line2D`` on the contour; ``loss_lines``,
            ``effective_lines`` (label -> (x line, y line)), ``lr_lines`` likewise.
        results (dict): label -> the last :class:`~course.classroom.trajectory.Result` (None if invalid).
        status (str): what the title says, e.g. ``"SGD diverged at step 12"``.
        output (ipywidgets.Output), box (the whole widget), png (bytes of the last render).
    """

    def __init__(self, optimizers, landscape, sliders=None, fixed=None, steps=100, start=None,
                 panels=("contour", "loss"), landscapes=None, choose=False, describe=None, tuned_lr=None,
                 figsize=None, dpi=72, title=None, markers=True, show=None):
        self.optimizers = _normalize_optimizers(optimizers)
        self.landscape = _landscapes.get(landscape)
        self.fixed = dict(fixed or {})
        self.steps = int(steps)
        if self.steps < 1:
            raise ValueError(f"Invalid steps: {steps} (must be >= 1)")
        self.start = start
        panels = tuple(panels)
        bad = [p for p in panels if p not in PANELS]
        if bad or "contour" not in panels:
            raise ValueError(f"Invalid panels: {panels}: choose from {PANELS}, with 'contour' included")
        if "rate" in panels and self.landscape.L is None:
            raise ValueError("the 'rate' panel needs a quadratic landscape")
        self.panels = panels
        self.describe = describe
        self.tuned_lr = tuned_lr  # None, or a function (label, spec, landscape) -> lr
        self.title = title
        self.dpi = dpi
        self.markers = bool(markers)
        self.sliders = {name: make_slider(name, spec) for name, spec in (sliders or {}).items()}
        self._check_slider_names()
        self.controls = {}
        if landscapes:
            names = [str(n) for n in landscapes]
            for n in names:
                _landscapes.get(n)  # a clear error now for an unknown name
            self.controls["landscape"] = W.Dropdown(options=names, value=self.landscape.name, description="function")
            if self.landscape.name not in names:
                raise ValueError(f"landscape {self.landscape.name!r} is not among landscapes={names}")
        if choose:
            shown = list(self.optimizers) if show is None else [str(x) for x in show]
            unknown = [x for x in shown if x not in self.optimizers]
            if unknown:
                raise ValueError(f"show={unknown} are not among the optimizers {list(self.optimizers)}")
            self.controls["optimizers"] = W.SelectMultiple(options=list(self.optimizers), value=shown,
                                                           rows=min(8, len(self.optimizers)), description="optimizers")
        self.results = {}
        self.status = ""
        self.png = b""
        n = len(panels)
        self.figure = Figure(figsize=figsize or (4.3 * n, 4.2), dpi=dpi, layout="constrained")
        self.canvas = FigureCanvasAgg(self.figure)
        self._background, self._layout_frozen, self._title_lines = None, False, None
        self._background_at = None
        axs = self.figure.subplots(1, n, squeeze=False)[0]
        self.axes = dict(zip(panels, axs))
        self._build_static()
        for ax in self.axes.values():  # readable at notebook width: the PNG is shown at 72 dpi
            ax.tick_params(labelsize=11)
            ax.xaxis.label.set_size(12)
            ax.yaxis.label.set_size(12)
            ax.title.set_size(12)
        self.output = W.Output()
        self.status_html = W.HTML()
        rows = list(self.sliders.values()) + [c for k, c in self.controls.items() if k != "optimizers"]
        left = W.VBox(rows)
        top = W.HBox([left, self.controls["optimizers"]]) if "optimizers" in self.controls else left
        self.box = W.VBox([top, self.status_html, self.output])
        self.update()
        for s in self.sliders.values():
            s.observe(self._on_change, names="value")
        for key, c in self.controls.items():
            c.observe(self._on_landscape if key == "landscape" else self._on_change, names="value")

    def _check_slider_names(self):
        for name in self.sliders:
            if name in RUN_KEYS or (name == "lr_factor" and self.tuned_lr is not None):
                continue
            if not any(accepted_kwargs(spec, {name: 0.5}) for spec, _ in self.optimizers.values()):
                raise ValueError(f"slider {name!r} is not a hyperparameter of any of {list(self.optimizers)}")

    # ------------------------------------------------------------- drawing
    def _build_static(self):
        """Everything that does not move: contour, theory curves, axes labels; empty lines."""
        ax = self.axes["contour"]
        plots.contour(self.landscape, ax=ax)
        self.lines, self.start_markers = {}, {}
        used = []
        self.colors = {}
        for label in self.optimizers:
            color = plots.color_for(label, used)
            used.append(color)
            self.colors[label] = color
            (self.lines[label],) = ax.plot([], [], "-o" if self.markers else "-", color=color, markersize=2.5, linewidth=1.5, label=label,
                                           zorder=4)
            (self.start_markers[label],) = ax.plot([], [], "o", color=color, markersize=6,
                                                   markeredgecolor="black", zorder=6)
        self.loss_lines, self.effective_lines, self.lr_lines = {}, {}, {}
        if "loss" in self.axes:
            ax = self.axes["loss"]
            for label in self.optimizers:
                (self.loss_lines[label],) = ax.plot([], [], color=self.colors[label], label=label)
            log = self.landscape.f_min is not None
            if log:
                _plain_log(ax)
            ax.set_xlabel("step")
            ax.set_ylabel("f(x, y) - f*" if log else "f(x, y)")
            ax.grid(True, alpha=0.3)
            ax.set_title("loss")
        if "effective" in self.axes:
            ax = self.axes["effective"]
            for label in self.optimizers:
                self.effective_lines[label] = (ax.plot([], [], "-", color=self.colors[label], label=f"{label}: x")[0],
                                               ax.plot([], [], "--", color=self.colors[label], label=f"{label}: y")[0])
            _plain_log(ax)
            ax.set_xlabel("step")
            ax.set_ylabel("effective step |Δθ / g|")
            ax.grid(True, alpha=0.3)
            ax.set_title("effective step size (solid: x, dashed: y)")
        for key in ("loss", "effective"):
            if key in self.axes:
                self.axes[key].xaxis.set_major_locator(MaxNLocator(5, integer=True))
        if "lr" in self.axes:
            ax = self.axes["lr"]
            for label in self.optimizers:
                (self.lr_lines[label],) = ax.plot([], [], color=self.colors[label], label=label,
                                                  drawstyle="steps-post")
            ax.set_xlabel("step")
            ax.set_ylabel("learning rate")
            ax.grid(True, alpha=0.3)
        self.lr_marker = None
        if "rate" in self.axes:
            ax = self.axes["rate"]
            lr_max = self.sliders["lr"].max if "lr" in self.sliders else None
            plots.plot_gd_rate(self.landscape, ax=ax, lr_max=lr_max)
            self.lr_marker = ax.axvline(0.0, color="tab:blue", linewidth=2, label="lr")
            ax.set_title("gradient descent's rate")

    def _active(self):
        if "optimizers" in self.controls:
            return [label for label in self.optimizers if label in self.controls["optimizers"].value]
        return list(self.optimizers)

    def _run_all(self):
        values = self.values()
        self.results, messages, self.label_extra = {}, [], {}
        for label in self._active():
            spec, own = self.optimizers[label]
            merged = {**self.fixed, **values, **own}
            if self.tuned_lr is not None and "lr" not in own:
                merged["lr"] = self.tuned_lr(label, spec, self.landscape) * merged.pop("lr_factor", 1.0)
                self.label_extra[label] = f"lr={merged['lr']:.2g}"
            merged.pop("lr_factor", None)
            run_kw = {k: merged.pop(k) for k in RUN_KEYS if k in merged}
            run_kw.setdefault("steps", self.steps)
            try:
                self.results[label] = run(spec, self.landscape, start=self.start, label=label, autograd=False,
                                          **run_kw, **accepted_kwargs(spec, merged))
            except ValueError as e:  # an invalid combination: show torch's message, do not raise
                self.results[label] = None
                messages.append(f"{label}: invalid ({e})")
        return messages

    def update(self, *_):
        """Rerun the optimizers with the current values and redraw (what a slider change does).

        Never raises: should anything fail, the picture and the status line say what."""
        try:
            self._update()
        except Exception as e:  # noqa: BLE001 - a picture that says what went wrong, never a traceback
            self._show_failure(e)

    def _show_failure(self, error):
        self.status = f"could not draw these settings: {type(error).__name__}: {error}"
        self.status_html.value = f"<b>{_html(self.status)}</b>"
        for key, ax in self.axes.items():  # limits that surely draw
            if key not in ("contour", "rate"):
                ax.set_ylim(*((1e-3, 1e3) if ax.get_yscale() == "log" else (0.0, 1.0)))
        self._suptitle = self.figure.suptitle(self._fit_title(self.status), fontsize=TITLE_SIZE)
        for attempt in range(2):
            try:
                self.render()
                return
            except Exception:  # noqa: BLE001 - then without the curves
                for artist in self._dynamic_artists():
                    if artist is not self._suptitle:
                        artist.set_visible(False)
                self._background = None

    def _update(self):
        messages = self._run_all()
        window = self.landscape.window
        for label, line in self.lines.items():
            r = self.results.get(label)
            visible = r is not None
            line.set_visible(visible)
            self.start_markers[label].set_visible(visible)
            for d in (self.loss_lines, self.lr_lines):
                if label in d:
                    d[label].set_visible(visible)
            for pair in self.effective_lines.get(label, ()):
                pair.set_visible(visible)
            if not visible:
                line.set_label(f"_{label}")
                continue
            xy, msg = plots.clip_path(r.path, window, r.diverged_at)
            line.set_data(xy[:, 0], xy[:, 1])
            self.start_markers[label].set_data(xy[:1, 0], xy[:1, 1])
            extra = ", ".join(t for t in (self.label_extra.get(label, ""), msg) if t)
            line.set_label(f"{label} ({extra})" if extra else label)
            if msg:
                messages.append(f"{label} {msg}")
            if label in self.loss_lines:
                steps, y, _, _ = plots.loss_curve(r)
                self.loss_lines[label].set_data(steps, y)
            if label in self.effective_lines:
                eff = np.abs(r.effective_lrs)
                steps = np.arange(1, len(eff) + 1)
                for k, ln in enumerate(self.effective_lines[label]):
                    ln.set_data(steps, np.where(eff[:, k] > 0, eff[:, k], np.nan))
            if label in self.lr_lines:
                self.lr_lines[label].set_data(np.arange(len(r.lrs)), r.lrs)
        if self.lr_marker is not None:
            lr = float(self.sliders["lr"].value)
            self.lr_marker.set_xdata([lr, lr])
        steps = self.values().get("steps", self.steps)
        for key in ("loss", "effective", "lr"):
            if key in self.axes:  # x: all the steps, fixed (a run that stops early shows it)
                self.axes[key].set_xlim(0, max(1, steps))
                _rescale_y(self.axes[key])
        self.axes["contour"].legend(loc="upper right", fontsize=9)
        text = self.describe(self) if self.describe is not None else ""
        self.status = "; ".join([t for t in [text] + messages if t])
        # the figure's title: the explanation and invalid runs; divergence is in the legend already
        shown = "; ".join(t for t in [text] + [m for m in messages if ": invalid (" in m] if t)
        head = self.title or ""
        # the settings in the title: every slider notch shows, and a saved picture says what it is
        settings = " · ".join(_shown(k, v, self.sliders.get(k)) for k, v in self.values().items())
        self._suptitle = self.figure.suptitle(self._fit_title(" | ".join(t for t in (head, settings, shown) if t)),
                                              fontsize=TITLE_SIZE)
        self.status_html.value = f"<b>{_html(self.status)}</b>" if self.status else ""
        self.render()

    def _fit_title(self, text: str) -> str:
        """Wrap the title to the figure's width. The layout is frozen after the first draw, so a
        title never takes more lines than it had then (plus one spare): the rest is cut with '...'
        (the status line above the figure keeps the whole text)."""
        width = int(self.figure.get_figwidth() * 72 / (TITLE_CHAR_EM * TITLE_SIZE))
        lines = textwrap.wrap(text, width) or [""]
        if self._title_lines is None:
            self._title_lines = len(lines) + 1 if self.describe is not None else len(lines)
            return "\n".join(lines + ["" for _ in range(self._title_lines - len(lines))])
        if len(lines) > self._title_lines:
            lines = lines[:self._title_lines]
            lines[-1] = lines[-1][:width - 3] + "..."
        return "\n".join(lines)

    def _dynamic_artists(self):
        """What a redraw draws over the background: paths, legends, ticks and curves; not the
        contour, the theory curves, titles or frames."""
        cax = self.axes["contour"]
        out = list(cax.lines) + ([cax.legend_] if cax.legend_ is not None else [])
        for key, ax in self.axes.items():
            if key == "rate":
                out.append(self.lr_marker)
            elif key != "contour":  # the x axes are fixed: in the background until steps change
                out += [ax.yaxis] + list(ax.lines) + list(ax.spines.values())
        return out + [self._suptitle]

    def _background_key(self):
        """What the saved background shows that a slider can change: the x ranges."""
        return tuple(ax.get_xlim() for key, ax in self.axes.items() if key not in ("contour", "rate"))

    def _snapshot_background(self):
        """Draw everything that never moves once (the contour above all) and keep the pixels."""
        if not self._layout_frozen:
            self._layout_frozen = True
            self.canvas.draw()  # constrained layout places the axes once ...
            self.figure.set_layout_engine("none")  # ... and is frozen: later draws only move artists
        dynamic = [(a, a.get_visible()) for a in self._dynamic_artists()]
        for a, _ in dynamic:
            a.set_visible(False)
        self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        self._background_at = self._background_key()
        for a, visible in dynamic:
            a.set_visible(visible)

    def render(self):
        """Redraw what moves over the saved background (Agg), encode a PNG, show it in the Output."""
        if self._background is None or self._background_at != self._background_key():
            self._snapshot_background()
        self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in sorted(self._dynamic_artists(), key=lambda a: a.get_zorder()):
            if artist.get_visible():
                artist.draw(renderer)
        self.png = png.encode(self.canvas)
        self.output.outputs = ({"output_type": "display_data", "metadata": {},
                                "data": {"image/png": base64.b64encode(self.png).decode("ascii"),
                                         "text/plain": "<course.classroom.widgets figure>"}},)

    def _on_change(self, change):
        self.update()

    def _on_landscape(self, change):
        """A new test function: the one time the contour is drawn again."""
        try:
            self.landscape = _landscapes.get(change["new"])
            for ax in self.axes.values():
                ax.clear()
            self._build_static()
        except Exception as e:  # noqa: BLE001 - say so in the picture
            self._background = None
            self._show_failure(e)
            return
        self._background = None  # a new contour: take a new snapshot
        self.update()

    # ------------------------------------------------------------- showing
    def __repr__(self):
        return f"Explorer({', '.join(self.optimizers)} on {self.landscape.title}; sliders: {', '.join(self.sliders) or '-'})"


def _plain_log(ax):
    """A log axis with few plain "1e-05" labels and no minor ticks: each tick label costs ~1 ms
    per redraw, and mathtext labels far more."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(numticks=6))
    ax.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=True))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_minor_formatter(NullFormatter())


def _html(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _rescale_y(ax):
    """Fit the y axis to the finite data (NaNs and hidden lines ignored)."""
    ys = []
    for line in ax.lines:
        if not line.get_visible():
            continue
        y = np.asarray(line.get_ydata(), float)
        ok = np.isfinite(y)
        if ax.get_yscale() == "log":
            ok &= y > 0
        ys.append(y[ok])
    y = np.concatenate(ys) if ys else np.array([])
    if not len(y):
        return
    # values beyond +-1e200 (a run that blew up) are drawn off the axes: limits near float's
    # end (1e308) overflow matplotlib's ticks
    lo, hi = (min(max(float(v), -Y_CAP), Y_CAP) for v in (y.min(), y.max()))
    if ax.get_yscale() == "log":
        lo, hi = max(lo, 1 / Y_CAP), max(hi, 1 / Y_CAP)
        ax.set_ylim(lo / 2, hi * 2)
    else:
        pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.05
        ax.set_ylim(lo - pad, hi + pad)


def explore(optimizers, landscape="quadratic", sliders=None, **kwargs) -> Explorer:
    """The generic builder: sliders for any hyperparameters of any optimizers, on one landscape.

    Args:
        optimizers: a ``course.optim`` class or name, a list of them, or a dict label ->
            class, name or ``(class, kwargs)``; ``kwargs`` override the sliders for that
            label (e.g. ``{"GD": ("SGD", {"momentum": 0})}``).
        landscape: a :class:`~course.classroom.landscapes.Landscape` or its name.
        sliders (dict): name -> spec (see :func:`make_slider`).  Names are keyword arguments
            of the optimizers (each optimizer receives those it accepts; ``beta1``/``beta2``
            form ``betas``), or of :func:`course.classroom.trajectory.run`: ``steps``, ``noise``,
            ``batch_size``, ``seed``.
        fixed (dict): values used by every optimizer, below the sliders.
        steps (int): optimizer steps per run (default: 100).  start: the start point.
        panels (tuple): from ``"contour"`` (required), ``"loss"``, ``"rate"`` (GD's rate
            against lr, quadratics only), ``"effective"`` (per-coordinate step sizes), ``"lr"``.
        landscapes (list): names to choose from in a dropdown (redraws the contour).
        choose (bool): a multi-select of the optimizers to show; ``show``: those selected at first.
        markers (bool): a dot on every iterate (default: True).
        describe (callable): ``explorer -> str``, a line of explanation for the title.
        figsize, dpi, title: of the figure.

    Example:
        >>> w = explore("RMSprop", "quadratic", {"lr": (1e-3, 1.0, 0.05, "log"), "alpha": (0.0, 0.999, 0.9)},
        ...             steps=20)
        >>> y0 = w.loss_lines["RMSprop"].get_ydata().copy()
        >>> w.sliders["alpha"].value = 0.5
        >>> bool((w.loss_lines["RMSprop"].get_ydata() != y0).any())
        True
    """
    return Explorer(optimizers, landscape, sliders, **kwargs)


# ------------------------------------------------------------- 01: lr and 2/L
def lr_explorer(condition_number: float = 10.0, rotation: float = 0.0, lr: float = 0.5, steps: int = 30,
                lr_max=None) -> Explorer:
    """01: gradient descent on a quadratic, one lr slider, the stability limit 2/L marked.

    Panels: the trajectory, the loss, and GD's rate :math:`\\max|1 - lr\\,h|` against lr with
    2/L drawn and the current lr as a moving line.  The slider goes up to ``lr_max``
    (default 1.25 * 2/L) so that learners can cross the limit and see it diverge.
    """
    bowl = _landscapes.quadratic(condition_number=condition_number, rotation=rotation)
    limit = 2.0 / bowl.L
    lr_max = 1.25 * limit if lr_max is None else float(lr_max)
    best, _ = optimal_gd(bowl.L, bowl.mu)

    def describe(w):
        lr = w.sliders["lr"].value
        rate = gd_rate(lr, [bowl.L, bowl.mu])
        verdict = "converges" if lr < limit else ("oscillates forever" if lr == limit else "diverges")
        return (f"lr = {lr:.3g} {'<' if lr < limit else ('=' if lr == limit else '>')} 2/L = {limit:.3g}: "
                f"{verdict} (rate {rate:.3f} per step; best lr 2/(L+mu) = {best:.3g})")

    return Explorer({"GD": "SGD"}, bowl, {"lr": (0.0, lr_max, float(lr))}, steps=steps,
                    panels=("contour", "loss", "rate"), describe=describe)


# ----------------------------------------------------- 02: noise, batch size
def sgd_explorer(landscape=None, lr: float = 0.5, batch_size: int = 1, noise: float = 1.0, steps: int = 100,
                 max_batch: int = 256) -> Explorer:
    """02: full-batch GD against mini-batch SGD; sliders lr and batch size.

    The stochastic gradient is the true one plus Gaussian noise of standard deviation
    ``noise / sqrt(batch_size)`` (the mean of ``batch_size`` independent samples), seeded.
    With a constant lr, SGD stalls in a noise ball whose size shrinks with the lr and the
    batch size.
    """
    landscape = _landscapes.quadratic(condition_number=5) if landscape is None else landscape

    def describe(w):
        r = w.results.get("SGD")
        if r is None or r.diverged:
            return ""
        tail = r.losses[len(r.losses) // 2:]
        f_min = w.landscape.f_min or 0.0
        return f"SGD's mean loss over the last half: {float(np.mean(tail)) - f_min:.3g} (the noise ball)"

    return Explorer({"GD": ("SGD", {"noise": 0.0}), "SGD": "SGD"}, landscape,
                    {"lr": (1e-3, 2.0, float(lr), "log"), "batch_size": (1, int(max_batch), int(batch_size))},
                    fixed={"noise": float(noise)}, steps=steps, describe=describe)


# --------------------------------------------------------- 03: momentum
def momentum_explorer(landscape=None, lr: float = 1.0, momentum: float = 0.9, steps: int = 100,
                      nesterov: bool = False) -> Explorer:
    """03: lr and momentum sliders (and Nesterov), against plain GD at the same lr.

    On a quadratic (default: condition number 100) the title gives the theoretical rate
    (:func:`course.classroom.rates.momentum_rate`), the measured one, and the optimal pair.
    Works on any landscape, e.g. ``momentum_explorer("rosenbrock", lr=1e-3)``.
    """
    landscape = _landscapes.quadratic(condition_number=100) if landscape is None else _landscapes.get(landscape)
    quad = landscape.L is not None
    lr_max = 4.0 / landscape.L if quad else max(10 * lr, 0.01)
    lr_min = lr_max / 1e4

    def describe(w):
        if not quad:
            return ""
        lr, beta = w.sliders["lr"].value, w.sliders["momentum"].value
        opt = optimal_momentum(landscape.L, landscape.mu)
        theory = momentum_rate(lr, beta, [landscape.L, landscape.mu])
        text = f"theory: rate {theory:.4f}"
        r = w.results.get("Momentum")
        if r is not None and not r.diverged and not w.sliders["nesterov"].value:
            try:
                text += f", measured {measured_rate(r.path, landscape.minima[0], skip=len(r.path) // 4):.4f}"
            except ValueError:
                pass
        return text + f"; optimum lr = {opt.lr:.3g}, momentum = {opt.momentum:.3g} (rate {opt.rate:.4f})"

    return Explorer({"GD": ("SGD", {"momentum": 0.0, "nesterov": False}), "Momentum": "SGD"}, landscape,
                    {"lr": (lr_min, lr_max, float(lr), "log"), "momentum": (0.0, 0.99, float(momentum)),
                     "nesterov": bool(nesterov)}, steps=steps, describe=describe)


# ---------------------------------------------------------- 04: RMSprop
def rmsprop_explorer(landscape=None, lr: float = 0.05, alpha: float = 0.99, steps: int = 100,
                     sgd_lr=None) -> Explorer:
    """04: RMSprop's alpha (and lr) on a badly scaled bowl, against SGD at its best lr.

    The third panel shows the effective step size per coordinate, lr / (sqrt(v) + eps):
    large along the flat direction, small along the steep one.
    """
    landscape = _landscapes.quadratic(condition_number=50) if landscape is None else _landscapes.get(landscape)
    if sgd_lr is None:
        sgd_lr = optimal_gd(landscape.L, landscape.mu)[0] if landscape.L is not None else 1e-3
    return Explorer({"SGD": ("SGD", {"lr": float(sgd_lr)}), "RMSprop": "RMSprop"}, landscape,
                    {"lr": (1e-4, 1.0, float(lr), "log"), "alpha": (0.0, 0.999, float(alpha))},
                    steps=steps, panels=("contour", "loss", "effective"))


# ------------------------------------------------------------- 05: Adam
def adam_explorer(landscape="rosenbrock", lr: float = 0.05, beta1: float = 0.9, beta2: float = 0.999,
                  weight_decay: float = 0.0, steps: int = 150) -> Explorer:
    """05: Adam against AdamW with the same sliders: lr, beta1, beta2, weight_decay.

    With weight_decay = 0 the two paths coincide; with weight decay, Adam's L2 penalty is
    rescaled by the adaptive denominator while AdamW's decay is not.
    """
    return Explorer({"Adam": "Adam", "AdamW": "AdamW"}, landscape,
                    {"lr": (1e-4, 1.0, float(lr), "log"), "beta1": (0.0, 0.99, float(beta1)),
                     "beta2": (0.5, 0.9999, float(beta2)), "weight_decay": (0.0, 1.0, float(weight_decay))},
                    steps=steps)


# ------------------------------------------------------------- 06: race
RACE_OPTIMIZERS = {
    "SGD": "SGD", "Momentum": ("SGD", {"momentum": 0.9}), "Nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "Adagrad": "Adagrad", "RMSprop": "RMSprop", "Adadelta": "Adadelta", "Adam": "Adam", "AdamW": "AdamW",
    "Adamax": "Adamax", "NAdam": "NAdam", "RAdam": "RAdam", "Lion": "Lion", "Rprop": "Rprop",
}
RACE_LANDSCAPES = ("rosenbrock", "beale", "himmelblau", "saddle", "rastrigin", "quadratic")


def race(optimizers=None, landscape="rosenbrock", landscapes=RACE_LANDSCAPES, steps: int = 150, lrs=None,
         lr_factor: float = 1.0, show=("SGD", "Momentum", "RMSprop", "Adam", "RAdam", "Lion"),
         tune_on=None) -> Explorer:
    """06: every optimizer on one test function, each at its own tuned lr.

    Each lr comes from :func:`course.classroom.trajectory.tune_lr` over ``lrs`` (default: 9 values
    from 1e-4 to 1), once per optimizer and function, when first shown (cached).
    Controls: the test function, which optimizers to show (``show`` at first), and an
    ``lr_factor`` slider that multiplies every tuned lr (1 = tuned: how sensitive is each
    optimizer?).  The legend gives each lr used; ``w.tuned`` holds the tuned ones:
    ``(label, landscape name) -> lr``.

    ``tune_on``: None (tune from the default start, as above), or a function ``landscape ->
    start points``, e.g. :func:`course.classroom.race.tune_starts`: then each lr is
    :func:`course.classroom.race.tune` over those starts, notebook 06's protocol.
    """
    optimizers = dict(RACE_OPTIMIZERS if optimizers is None else _normalize_optimizers(optimizers))
    grid = np.logspace(-4, 0, 9) if lrs is None else lrs
    cache = {}

    def tuned(label, spec, land):
        key = (label, land.name)
        if key not in cache:
            _, own = explorer_specs[label]
            if tune_on is None:
                cache[key] = tune_lr(spec, land, lrs=grid, steps=steps, autograd=False, **own)
            else:
                from .. import race as protocol   # here: this function is also called race
                cache[key] = protocol.tune((spec, own), land, tune_on(land), lrs=grid, steps=steps)
        return cache[key]

    explorer_specs = _normalize_optimizers(optimizers)

    w = Explorer(optimizers, landscape, {"lr_factor": (0.01, 100.0, float(lr_factor), "log")}, steps=steps,
                 landscapes=list(landscapes), choose=True, tuned_lr=tuned,
                 figsize=(9.6, 4.2), markers=False, show=show)
    w.tuned = cache
    return w
