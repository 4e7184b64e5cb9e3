"""Widgets for the practice notebooks: pick an optimizer (09), sweep the lr (10), size an array (11).

Each builder returns a :class:`Panel`: sliders and dropdowns (``panel.controls``), a
matplotlib ``Figure`` drawn with Agg, and the artists a redraw moves (``panel.lines``).
A change of any control reruns the (cached) experiment, moves the existing artists
(``set_data``), renders one PNG and puts it in an ``ipywidgets.Image``.  Nothing needs
a browser, so tests and the benchmark drive a panel by setting ``control.value``.

In a notebook::

    picker = widgets.training_picker()
    picker.static()      # the first view, stored as a plain image (reads on GitHub)
    picker               # the live widget (tag the cell nbval-ignore-output)

The runs behind the 09 picker come from :func:`course.classroom.digits_runs.digits_run`, the
same function the notebook's comparison calls, memoized by its ``RunCache``.

>>> p = traffic_explorer()
>>> before = p.lines["marker"].get_xydata().copy()
>>> p.controls["log10_n"].value = 8
>>> bool((p.lines["marker"].get_xydata() != before).any())
True
"""
from __future__ import annotations

import math

import ipywidgets as W
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ... import lr_finder, nn
from .. import memory_traffic
from ..digits_runs import OPTIMIZERS, SCHEDULERS, RunCache, digits_loader, digits_mlp, make_optimizer
from . import png
from .view import WidgetView

__all__ = ["Panel", "training_picker", "finder_sweep", "finder_result", "finder_explorer", "traffic_explorer"]


# ------------------------------------------------------------------- panel


class Panel(WidgetView):
    """Controls, a figure, and the artists a change moves.

    Attributes:
        controls (dict): name -> ipywidgets control; setting ``.value`` redraws.
        figure, axes (dict name -> Axes), lines (dict name -> artist), text (the status line).
        png (bytes of the last render), image (the ``ipywidgets.Image`` showing it), box.
    """

    def __init__(self, controls: dict, figure: Figure, redraw, dynamic=(), dpi: int = 72):
        self.controls, self.figure, self._redraw = controls, figure, redraw
        self.figure.set_dpi(dpi)
        self.canvas = FigureCanvasAgg(figure)
        self.axes, self.lines, self.text = {}, {}, ""
        self.dynamic = list(dynamic)  # the artists a change moves; the rest is a saved background
        for artist in self.dynamic:
            artist.set_animated(True)
        self._background = None
        self.image = W.Image(format="png")
        self.box = W.VBox([W.HBox(list(controls.values())), self.image])
        self.png = b""
        for control in controls.values():
            control.observe(self._on_change, names="value")

    def update(self):
        """Recompute, move the artists, render (in full only when the redraw changed the axes)."""
        if self._redraw(self, **self.values()):
            self._background = None
        self.render()

    def render(self, encode: bool = True):
        """Draw (the saved background plus the moving artists) and, with ``encode``, show the PNG."""
        if self._background is None:  # draw the static part once and keep it
            self.canvas.draw()  # constrained layout places the axes ...
            self.figure.set_layout_engine("none")  # ... once: later full draws keep them
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(self._background)
        for artist in self.dynamic:
            self.figure.draw_artist(artist)
        if encode:
            self.png = png.encode(self.canvas)
            self.image.value = self.png

    def inputs(self) -> dict:
        return self.controls

    def _on_change(self, change):
        self.update()

    def __repr__(self):
        return f"<Panel {self.values()}>"


def _style():
    return {"description_width": "initial"}


def _finite_or_nan(values):
    a = np.asarray(values, dtype=float)
    return np.where(np.isfinite(a), a, np.nan)


# --------------------------------------------------------------- 09 picker
def training_picker(optimizer: str = "Adam", lr: float = 1e-3, scheduler: str = "none", epochs: int = 20,
                    cache: RunCache | None = None, prefetch: bool = True) -> Panel:
    """Pick an optimizer, an lr and a scheduler; see train/val loss, val accuracy and the lr used.

    Gray lines keep the first view, for comparison.  A run whose loss becomes nan/inf is
    cut where it diverged and the title says so.  With ``prefetch``, after each change a
    background thread trains the other lr notches of the chosen optimizer and scheduler,
    nearest first, so that moving the slider shows runs that are ready.
    """
    cache = cache or RunCache(epochs=epochs)
    controls = {
        "optimizer": W.Dropdown(options=OPTIMIZERS, value=optimizer, description="optimizer", style=_style()),
        "lr": W.FloatLogSlider(value=lr, base=10, min=-4, max=0, step=0.25, description="lr",
                               readout_format=".3g", style=_style()),
        "scheduler": W.Dropdown(options=SCHEDULERS, value=scheduler, description="scheduler", style=_style()),
    }
    fig = Figure(figsize=(11, 3.4), layout="constrained")
    ax_loss, ax_acc, ax_lr = fig.subplots(1, 3)
    x = np.arange(1, cache.epochs + 1)
    first = cache.get(optimizer, lr, scheduler)
    lines = {}
    lines["ref_train"], = ax_loss.plot(x, _finite_or_nan(first.train_loss), color="0.75", lw=1.5)
    lines["ref_val"], = ax_loss.plot(x, _finite_or_nan(first.val_loss), color="0.75", lw=1.5, ls="--")
    lines["ref_acc"], = ax_acc.plot(x, first.val_accuracy, color="0.75", lw=1.5, label="first view")
    lines["ref_lr"], = ax_lr.plot(x, first.lr, color="0.75", lw=1.5)
    lines["train"], = ax_loss.plot([], [], color="C0", lw=2, label="train")
    lines["val"], = ax_loss.plot([], [], color="C1", lw=2, ls="--", label="validation")
    lines["acc"], = ax_acc.plot([], [], color="C2", lw=2, marker=".", label="this run")
    lines["lr"], = ax_lr.plot([], [], color="C3", lw=2, marker=".")
    ax_loss.set(yscale="log", ylim=(1e-3, 10), xlim=(1, max(2, cache.epochs)), xlabel="epoch", ylabel="cross-entropy loss")
    ax_loss.legend(loc="lower left", fontsize=8)
    ax_acc.axhline(0.1, color="0.5", lw=0.8, ls=":")
    ax_acc.set(ylim=(0, 1), xlim=(1, max(2, cache.epochs)), xlabel="epoch", ylabel="validation accuracy")
    ax_acc.legend(loc="lower right", fontsize=8)
    ax_lr.set(yscale="log", xlim=(1, max(2, cache.epochs)), xlabel="epoch", ylabel="lr used in the epoch")
    ax_lr.set_ylim(1e-7, 2)
    title = fig.suptitle("")

    def redraw(panel, optimizer, lr, scheduler):
        h = cache.get(optimizer, lr, scheduler)
        train, val = _finite_or_nan(h.train_loss), _finite_or_nan(h.val_loss)
        lines["train"].set_data(x, train)
        lines["val"].set_data(x, val)
        lines["acc"].set_data(x, h.val_accuracy)
        lines["lr"].set_data(x, h.lr)
        bad = np.flatnonzero(~np.isfinite(train))
        if bad.size:
            panel.text = f"{optimizer}, lr={lr:.3g}, {scheduler}: diverged in epoch {bad[0] + 1}"
        else:
            panel.text = (f"{optimizer}, lr={lr:.3g}, {scheduler}: final validation accuracy "
                          f"{h.val_accuracy[-1]:.3f}, best {max(h.val_accuracy):.3f}")
        title.set_text(panel.text)
        if prefetch:
            cache.prefetch([(optimizer, lr_at(k), scheduler) for k in sorted(range(len(notches)),
                                                                          key=lambda k: abs(k - notch_of(lr)))])

    slider = controls["lr"]
    notches = np.arange(slider.min, slider.max + slider.step / 2, slider.step)  # exponents

    def lr_at(k):
        return float(slider.base ** notches[k])

    def notch_of(lr):
        return int(np.argmin(np.abs(notches - np.log10(lr))))

    dynamic = [lines["train"], lines["val"], lines["acc"], lines["lr"], title]
    panel = Panel(controls, fig, redraw, dynamic)
    panel.axes = {"loss": ax_loss, "accuracy": ax_acc, "lr": ax_lr}
    panel.lines, panel.cache = lines, cache
    panel.update()
    return panel


# ---------------------------------------------------------------- 10 finder
def finder_sweep(start_lr: float = 1e-5, end_lr: float = 10.0, num_iter: int = 100, *, optimizer: str = "Adam",
                 batch_size: int = 64, hidden: int = 32, seed: int = 0):
    """The whole LR range test on the digits, with no early stop except at a non-finite loss.

    The training steps of a sweep do not depend on the smoothing ``beta`` nor on the stop
    rule, so :func:`finder_result` can derive ``lr_find``'s answer for any of them from it.
    """
    model = digits_mlp(hidden, seed)
    opt = make_optimizer(optimizer, model.parameters(), 1e-3)
    with np.errstate(all="ignore"):
        return lr_finder.lr_find(model, nn.CrossEntropyLoss(), opt, digits_loader(batch_size, seed),
                                 start_lr=start_lr, end_lr=end_lr, num_iter=num_iter, beta=0.0,
                                 diverge_factor=math.inf)


def finder_result(sweep, beta: float = 0.98, diverge_factor: float = 4.0):
    """What ``lr_find(..., beta, diverge_factor)`` returns, computed from a full :func:`finder_sweep`."""
    lrs, losses, smoothed = [], [], []
    smoother, stopped = lr_finder.LossSmoother(beta, diverge_factor), False
    for lr, value in zip(sweep.lrs, sweep.losses):
        lrs.append(lr)
        losses.append(value)
        smoothed.append(smoother.add(value))
        if smoother.diverged(smoothed[-1]):
            stopped = True
            break
    return lr_finder.LRFinderResult(lrs, losses, smoothed, stopped)


SUGGESTION_STYLE = {"valley": ("C2", "-"), "steepest": ("C3", "--"), "minimum/10": ("C4", ":")}


def finder_explorer(beta: float = 0.98, start_lr: float = 1e-5, end_lr: float = 10.0, num_iter: int = 100,
                    **sweep_kwargs) -> Panel:
    """Loss against lr (log axis) with the three suggestions marked; sliders for beta and the lr range.

    Sweeps are cached per lr range; a beta change only re-smooths.
    """
    sweeps = {}

    def sweep_for(lo, hi):
        key = (float(f"{lo:.4g}"), float(f"{hi:.4g}"))
        if key not in sweeps:
            sweeps[key] = finder_sweep(*key, num_iter=num_iter, **sweep_kwargs)
        return sweeps[key]

    controls = {
        "beta": W.FloatSlider(value=beta, min=0.0, max=0.99, step=0.01, description="smoothing beta",
                              readout_format=".2f", style=_style()),
        "start_lr": W.FloatLogSlider(value=start_lr, base=10, min=-7, max=-3, step=1, description="start_lr",
                                     readout_format=".0e", style=_style()),
        "end_lr": W.FloatLogSlider(value=end_lr, base=10, min=-1, max=2, step=0.5, description="end_lr",
                                   readout_format=".2g", style=_style()),
    }
    fig = Figure(figsize=(7.5, 4), layout="constrained")
    ax = fig.subplots()
    lines = {}
    lines["raw"], = ax.plot([], [], color="0.7", lw=1, label="loss of each batch")
    lines["smoothed"], = ax.plot([], [], color="C0", lw=2, label="smoothed (debiased EWMA)")
    for name, (color, ls) in SUGGESTION_STYLE.items():
        lines[name] = ax.axvline(1.0, color=color, ls=ls, lw=1.5, label=name)
    ax.set(xscale="log", xlabel="learning rate (log scale)", ylabel="training loss")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    lo, hi = controls["start_lr"], controls["end_lr"]
    limits = [(0.7 * lo.base ** lo.min, 1.4 * hi.base ** hi.max), None]
    note = ax.text(0.99, 0.97, "", transform=ax.transAxes, ha="right", va="top", fontsize=8, family="monospace")
    title = ax.set_title("")

    def redraw(panel, beta, start_lr, end_lr):
        sweep = sweep_for(start_lr, end_lr)
        r = finder_result(sweep, beta)
        panel.result = r
        lines["raw"].set_data(r.lrs, _finite_or_nan(r.losses))
        lines["smoothed"].set_data(r.lrs, _finite_or_nan(r.smoothed))
        if limits[1] is None:  # axes fixed once (the sliders' whole lr range; the first sweep's loss scale),
            raw = [v for v in sweep.losses if math.isfinite(v)]  # so any change only moves lines
            limits[1] = (0.0, 1.6 * raw[0])
            ax.set_xlim(*limits[0])
            ax.set_ylim(*limits[1])
        text = []
        for name in SUGGESTION_STYLE:
            lr = r.suggestion(name) if len(r.lrs) >= 3 else float("nan")
            lines[name].set_xdata([lr, lr])
            text.append(f"{name:>10}: {lr:.2e}")
        note.set_text("\n".join(text))
        stop = f"stopped at lr={r.lrs[-1]:.2g}" if r.stopped_early else "ran to end_lr"
        panel.text = f"{len(r.lrs)} steps, {stop}"
        title.set_text(panel.text)

    dynamic = [lines["raw"], lines["smoothed"], *(lines[n] for n in SUGGESTION_STYLE), note, title]
    panel = Panel(controls, fig, redraw, dynamic)
    panel.axes, panel.lines, panel.sweeps = {"loss": ax}, lines, sweeps
    panel.update()
    return panel


# ------------------------------------------------------------- 11 traffic
def _traffic_kernels() -> dict:
    """Kernels per Adam step of each form: one per pass of the traced step, one for the fused kernel."""
    return {"expressions": memory_traffic.trace(memory_traffic.adam_expressions).passes,
            "in place": memory_traffic.trace(memory_traffic.adam_inplace).passes, "fused kernel": 1}


def traffic_explorer(log10_n: float = 7.0, launch_us: float = 5.0, itemsize: int = 4) -> Panel:
    """Predicted time per Adam step against the number of parameters: launches plus bytes.

    Lines: the expression form, the in-place form and one fused kernel, on one CPU core (bytes /
    bandwidth) and on an H100, where each kernel also costs ``launch_us`` microseconds to launch
    (``kernels * launch + bytes / bandwidth``, :func:`course.classroom.memory_traffic.launch_step_time`;
    about 5 us is a typical published figure for a CUDA launch, not a measurement).  Open circles mark,
    for each H100 form, the size at which moving the bytes takes as long as the launches
    (:func:`~course.classroom.memory_traffic.launch_crossover`): below it the launches set the time.
    The ``log10_n`` slider moves a marker and prints bytes and times for that size.
    """
    forms = memory_traffic.adam_traffic(itemsize)
    kernels = _traffic_kernels()
    machines = {"cpu": memory_traffic.MACHINES["cpu"], "h100": memory_traffic.MACHINES["h100"]}
    controls = {"log10_n": W.FloatSlider(value=log10_n, min=3, max=9, step=0.25, description="log10(parameters)",
                                         readout_format=".2f", style=_style()),
                "launch_us": W.FloatSlider(value=launch_us, min=0, max=20, step=0.5,
                                           description="GPU launch (µs per kernel)", readout_format=".1f",
                                           style=_style())}
    fig = Figure(figsize=(9, 5.6), layout="constrained")
    ax = fig.subplots()
    ns = np.logspace(3, 9, 61)
    lines = {}

    def times(mkey, form, n, launch):
        bpp, bw = forms[form], machines[mkey].bandwidth
        if mkey == "cpu":
            return memory_traffic.step_time_floor(bpp, n, bw) * 1e3
        return memory_traffic.launch_step_time(bpp, n, bw, kernels=kernels[form], launch_latency=launch) * 1e3

    for m_i, mkey in enumerate(machines):
        for f_i, form in enumerate(forms):
            label = f"{form}, {machines[mkey].short}" + (f" ({kernels[form]} launch{'es' if kernels[form] > 1 else ''})"
                                                         if mkey == "h100" else "")
            lines[f"{mkey}:{form}"], = ax.plot(ns, [times(mkey, form, n, launch_us * 1e-6) for n in ns],
                                               color=f"C{f_i}", ls="-" if m_i == 0 else "--", lw=2, label=label)
    lines["crossover"], = ax.plot([], [], "o", mfc="none", mec="k", ms=9, mew=1.5,
                                  label="H100: bytes take as long as launches")
    lines["marker"], = ax.plot([], [], "ko", ms=5)
    lines["size"] = ax.axvline(10 ** log10_n, color="0.4", lw=1)
    ax.set(xscale="log", yscale="log", xlabel="parameters", ylabel="ms per Adam step", ylim=(3e-4, 1e4),
           xlim=(1e3, 1e9))
    ax.xaxis.label.set_fontsize(14)
    ax.yaxis.label.set_fontsize(14)
    ax.tick_params(labelsize=12)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=11, loc="upper left")
    title = ax.set_title("", fontsize=12)
    dynamic = [lines["marker"], lines["size"], lines["crossover"], title] + [lines[f"h100:{f}"] for f in forms]

    def redraw(panel, log10_n, launch_us):
        n, launch = 10 ** log10_n, launch_us * 1e-6
        for form in forms:
            lines[f"h100:{form}"].set_ydata([times("h100", form, m, launch) for m in ns])
        cross = {form: memory_traffic.launch_crossover(kernels[form], forms[form], machines["h100"].bandwidth, launch)
                 for form in forms}
        shown = [form for form in forms if 1e3 <= cross[form] <= 1e9]
        lines["crossover"].set_data([cross[f] for f in shown], [times("h100", f, cross[f], launch) for f in shown])
        xs, ys = [], []
        for mkey in machines:
            for form in forms:
                xs.append(n)
                ys.append(times(mkey, form, n, launch))
        lines["marker"].set_data(xs, ys)
        lines["size"].set_xdata([n, n])
        fused = forms["fused kernel"]
        panel.text = (f"n = {n:.3g}: fused Adam moves {fused * n / 1e6:.1f} MB, "
                      f"{times('cpu', 'fused kernel', n, launch):.3g} ms on one CPU core, "
                      f"{times('h100', 'fused kernel', n, launch):.3g} ms on an H100")
        title.set_text(panel.text + (f"\nlaunches of {launch_us:g} µs set the H100 time below "
                                     f"{cross['fused kernel']:.1g} (fused), {cross['expressions']:.1g} (expressions)"
                                     if launch > 0 else "\nno launch cost: bytes alone set the time"))
        return False  # fixed axes: only the lines move

    panel = Panel(controls, fig, redraw, dynamic)
    panel.axes, panel.lines = {"time": ax}, lines
    panel.update()
    return panel
