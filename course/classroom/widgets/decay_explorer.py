r"""The weight-decay explorer of notebook 05: Adam with L2 (coupled) against AdamW (decoupled).

The landscape is a diagonal bowl with one steep and one flat weight,

.. math::
    f(w) = \tfrac12 \left[a_1 (w_1 - 1)^2 + a_2 (w_2 - 1)^2\right], \qquad a = (10, 0.1),

so the steep weight sees gradients 100 times larger than the flat one.  Both optimizers start
at the origin with the same ``lr`` and ``weight_decay`` :math:`\lambda` (the two sliders).  Left:
the level sets of :math:`f`, both paths and their end points, the minimum of :math:`f` and the
minimizer of :math:`f + \tfrac{\lambda}{2}\lVert w\rVert^2`, which is where Adam with L2 goes
(its fixed point is :math:`\nabla f + \lambda w = 0`, whatever its denominator).  Right: each
weight as a fraction of its unregularized optimum, against the step.  The title gives how much
each weight is shrunk at the end, :math:`1 - w_i / 1`.

AdamW's decay :math:`\gamma\lambda w` is not divided by :math:`\sqrt{\hat v}`; the loss's pull is,
and Adam's step does not change when a coordinate's gradients are rescaled (up to eps), so AdamW
shrinks the steep and the flat weight by the same fraction.  Adam + L2 shrinks each by
:math:`\lambda / (a_i + \lambda)`: the flat weight a lot, the steep one hardly.

>>> p = decay_explorer(weight_decay=0.5, lr=0.05)
>>> s = shrink(decay_runs(0.05, 0.5)["AdamW"])
>>> bool(abs(s[0] - s[1]) < 1e-6)
True
>>> p.controls["weight_decay"].value = 0.0
>>> "shrunk by 0%" in p.text
True
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from .. import plots
from ..landscapes import Landscape
from ..trajectory import run
from .optimizer_explorer import make_slider
from .training_explorers import Panel

__all__ = ["decay_explorer", "decay_bowl", "decay_runs", "l2_minimizer", "shrink", "settled", "CURVATURES", "OPTIMUM",
           "STEPS", "RUNS"]

CURVATURES = (10.0, 0.1)  # the steep weight w1, the flat weight w2
OPTIMUM = (1.0, 1.0)  # the minimum of f, away from the origin that decay pulls towards
START = (0.0, 0.0)
STEPS = 300
RUNS = {"Adam + L2": "Adam", "AdamW": "AdamW"}  # label -> course.optim class (weight_decay coupled / decoupled)
LEVELS = np.geomspace(2e-4, 0.08, 6)  # values of f on the drawn level sets
WINDOW = (-0.15, 1.3)
FONT = 13


def decay_bowl() -> Landscape:
    """The diagonal bowl of the explorer, with its analytic gradient (a :class:`Landscape`)."""
    (a1, a2), (c1, c2) = CURVATURES, OPTIMUM

    def f(x, y):
        return 0.5 * (a1 * (x - c1) ** 2 + a2 * (y - c2) ** 2)

    def grad(x, y):
        return a1 * (x - c1), a2 * (y - c2)

    return Landscape("decay bowl", f, grad, minima=[OPTIMUM], window=(WINDOW, WINDOW), start=START,
                     title=f"diagonal bowl (curvatures {a1:g} and {a2:g})")


def l2_minimizer(weight_decay: float) -> np.ndarray:
    r"""The minimizer of :math:`f + \tfrac{\lambda}{2}\lVert w\rVert^2`: :math:`a_i c_i / (a_i + \lambda)`."""
    a, c = np.asarray(CURVATURES), np.asarray(OPTIMUM)
    return a * c / (a + float(weight_decay))


def decay_runs(lr: float, weight_decay: float, steps: int = STEPS) -> dict:
    """``{"Adam + L2": Result, "AdamW": Result}``: ``course.optim.Adam`` and ``AdamW`` with the same
    ``lr`` and ``weight_decay`` from the origin (analytic gradients; a run that blows up stops)."""
    bowl = decay_bowl()
    return {label: run(cls, bowl, start=START, steps=steps, lr=float(lr), weight_decay=float(weight_decay),
                       autograd=False, label=label)
            for label, cls in RUNS.items()}


def shrink(result) -> np.ndarray:
    """How much of its optimum each weight lost at the end, ``1 - w_i / c_i`` (NaN if the run diverged)."""
    if result.diverged:
        return np.full(2, np.nan)
    return 1.0 - result.path[-1] / np.asarray(OPTIMUM)


def _plotted(values, cap: float = 1e3):
    """NaN where a value is not finite or far off the axes, so that any run can be drawn."""
    a = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(a) & (np.abs(a) < cap), a, np.nan)


def _ellipse(level: float, n: int = 160) -> np.ndarray:
    t = np.linspace(0.0, 2 * math.pi, n)
    r = np.sqrt(2 * level / np.asarray(CURVATURES))
    return np.asarray(OPTIMUM) + np.stack([r[0] * np.cos(t), r[1] * np.sin(t)], axis=1)


def _percent(s: float) -> str:
    return "—" if not math.isfinite(s) else f"{round(100 * s) + 0}%"  # + 0: never "-0%"


def settled(result, window: int = 30, tol: float = 0.01) -> bool:
    """Whether no weight moved more than ``tol`` (1% of its optimum) over the last ``window`` steps."""
    if result.diverged or len(result.path) <= window:
        return False
    return bool(np.all(np.abs(result.path[-1] - result.path[-1 - window]) <= tol))


def _summary(label, result) -> str:
    if result.diverged:
        return f"{label} {result.message}"
    if not settled(result):
        return f"{label}: still moving at step {result.steps}"
    s = shrink(result)
    if abs(s[0] - s[1]) < 0.005:
        return f"{label}: both shrunk by {_percent(s[0])}"
    return f"{label}: steep shrunk by {_percent(s[0])}, flat by {_percent(s[1])}"


def decay_explorer(weight_decay: float = 0.5, lr: float = 0.05) -> Panel:
    """Sliders ``weight_decay`` (0 to 2) and ``lr`` (log, 1e-3 to 1); see the module docstring.

    ``panel.runs`` holds the two :class:`~course.classroom.trajectory.Result` of the last redraw.
    """
    controls = {"weight_decay": make_slider("weight_decay", (0.0, 2.0, float(weight_decay))),
                "lr": make_slider("lr", (1e-3, 1.0, float(lr), "log"))}
    fig = Figure(figsize=(11, 4.9), layout="constrained")
    ax_path, ax_kept = fig.subplots(1, 2, width_ratios=[1, 1.15])
    colors = {label: plots.COLORS[cls] for label, cls in RUNS.items()}
    for level in LEVELS:
        ax_path.plot(*_ellipse(level).T, color="0.78", lw=1)
    ax_path.plot(*OPTIMUM, "k*", ms=15, label="minimum of f")
    lines = {}
    for label, color in colors.items():
        lines[label], = ax_path.plot([], [], "-", color=color, lw=2.2, label=label)
        lines[f"{label} end"], = ax_path.plot([], [], "o", color=color, ms=9, mec="black")
    lines["l2 target"], = ax_path.plot([], [], "P", color="black", ms=15, mfc="none", mew=1.8,
                                       label="minimum of f + (λ/2)‖w‖²")
    ax_path.set(xlim=WINDOW, ylim=WINDOW, aspect="equal")
    ax_path.set_xlabel("w₁ (steep: curvature 10)", fontsize=FONT)
    ax_path.set_ylabel("w₂ (flat: curvature 0.1)", fontsize=FONT)
    ax_path.legend(loc="upper left", fontsize=11)

    steps = np.arange(STEPS + 1)
    for label, color in colors.items():
        dark = tuple(0.55 * c for c in to_rgb(color))  # AdamW's two curves coincide: the flat one darker, on top
        for i, (name, style, shade, z) in enumerate((("steep", "-", color, 2), ("flat", "--", dark, 3))):
            lines[f"{label} {name}"], = ax_kept.plot([], [], style, color=shade, lw=2.2, zorder=z,
                                                     label=f"{label}: {name} w{'₁₂'[i]}")
    lines["l2 steep"] = ax_kept.axhline(np.nan, color="black", lw=1.2, ls=":", label="targets of Adam + L2")
    lines["l2 flat"] = ax_kept.axhline(np.nan, color="black", lw=1.2, ls=":")
    ax_kept.set(xlim=(0, STEPS), ylim=(-0.05, 1.25))
    ax_kept.set_xlabel("step", fontsize=FONT)
    ax_kept.set_ylabel("weight / its unregularized optimum", fontsize=FONT)
    ax_kept.legend(loc="center right", fontsize=11)
    for ax in (ax_path, ax_kept):
        ax.tick_params(labelsize=11)
        ax.grid(True, alpha=0.3)
    title = fig.suptitle("", fontsize=FONT)

    def redraw(panel, weight_decay, lr):
        runs = decay_runs(lr, weight_decay)
        for label, result in runs.items():
            path = _plotted(result.path)
            lines[label].set_data(path[:, 0], path[:, 1])
            end = path[-1:] if not result.diverged else np.full((1, 2), np.nan)
            lines[f"{label} end"].set_data(end[:, 0], end[:, 1])
            kept = _plotted(result.path / np.asarray(OPTIMUM))
            lines[f"{label} steep"].set_data(steps[:len(kept)], kept[:, 0])
            lines[f"{label} flat"].set_data(steps[:len(kept)], kept[:, 1])
        target = l2_minimizer(weight_decay)
        lines["l2 target"].set_data(target[:1], target[1:])
        for name, value in zip(("steep", "flat"), target / np.asarray(OPTIMUM)):
            lines[f"l2 {name}"].set_ydata([value, value])
        panel.runs = runs
        panel.text = (f"weight_decay {weight_decay:.3g}, lr {lr:.3g}, after {STEPS} steps:\n"
                      + ";  ".join(_summary(label, result) for label, result in runs.items()))
        title.set_text(panel.text)

    panel = Panel(controls, fig, redraw, [*lines.values(), title])
    panel.axes, panel.lines = {"path": ax_path, "kept": ax_kept}, lines
    panel.update()
    return panel
