"""The widget of notebook 13: the noise ball of SGD and Adam against the lr and the batch size.

:func:`noise_ball_explorer` reruns :func:`course.classroom.noise_scale.noise_ball` (a few seeded
runs of a few hundred steps on a 2-D quadratic, some milliseconds) at each change, and shows the
last iterates, the ball of the first view in gray, and for SGD the predicted 2-sigma ellipse.

>>> p = noise_ball_explorer()
>>> before = p.lines["ball"].get_xydata().copy()
>>> p.controls["log2_batch"].value = 8
>>> bool((p.lines["ball"].get_xydata() != before).any())
True
"""
from __future__ import annotations

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from .. import noise_scale
from .training_explorers import Panel

__all__ = ["noise_ball_explorer", "BALL_CURVATURES"]

BALL_CURVATURES = (1.0, 0.25)  # a 2-D bowl, one steep and one flat direction
_STEPS, _SEEDS, _KEEP = 600, 4, 300  # per redraw: 4 runs of 600 steps, the last 300 shown


def _ball(optimizer, lr, batch):
    xs = noise_scale.noise_ball(optimizer, lr, batch, _STEPS, _SEEDS, curvatures=BALL_CURVATURES, seed=0)
    return xs[-_KEEP:].reshape(-1, 2)


def _loss(points):
    return float(0.5 * (np.asarray(BALL_CURVATURES) * points ** 2).sum(axis=1).mean())


def noise_ball_explorer(optimizer: str = "SGD", lr: float = 0.1, batch: int = 8, limit: float = 1.2) -> Panel:
    """Sliders: the optimizer, ``log10(lr)`` and ``log2(batch)``.  The title gives the measured mean
    loss in the ball, ``lr / B`` and ``lr / sqrt(B)``, and says when a run diverged."""
    controls = {
        "optimizer": W.Dropdown(options=("SGD", "Adam"), value=optimizer, description="optimizer",
                                style={"description_width": "initial"}),
        "lr": W.FloatLogSlider(value=lr, base=10, min=-2.5, max=0.5, step=0.125, description="lr",
                               readout_format=".3g", style={"description_width": "initial"}),
        "log2_batch": W.IntSlider(value=int(round(np.log2(batch))), min=0, max=10, description="log2(batch)",
                                  style={"description_width": "initial"}),
    }
    fig = Figure(figsize=(6.5, 5.2), layout="constrained")
    ax = fig.subplots()
    first = _ball(optimizer, lr, batch)
    ax.plot(first[:, 0], first[:, 1], ".", color="0.75", ms=3, label=f"first view: {optimizer}, lr {lr:g}, B {batch}")
    lines = {}
    lines["ball"], = ax.plot([], [], ".", color="C0", ms=3, label="now: last iterates")
    lines["ellipse"], = ax.plot([], [], "--", color="C3", lw=2, label="SGD's predicted 2σ ellipse")
    ax.plot([0], [0], "k+", ms=12, mew=2)
    ax.set(xlim=(-limit, limit), ylim=(-limit, limit), aspect="equal")
    ax.set_xlabel("x₁ (curvature 1)", fontsize=13)
    ax.set_ylabel("x₂ (curvature 0.25)", fontsize=13)
    ax.tick_params(labelsize=11)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=10, loc="upper right")
    title = ax.set_title("", fontsize=11)
    angles = np.linspace(0, 2 * np.pi, 121)

    def redraw(panel, optimizer, lr, log2_batch):
        batch = 2 ** log2_batch
        points = _ball(optimizer, lr, batch)
        finite = np.all(np.isfinite(points), axis=1) & np.all(np.abs(points) < 1e6, axis=1)
        lines["ball"].set_data(points[finite, 0], points[finite, 1])
        var = noise_scale.sgd_ball_variance(lr, batch, BALL_CURVATURES)
        if optimizer == "SGD" and np.all(np.isfinite(var)):
            r = 2 * np.sqrt(var)
            lines["ellipse"].set_data(r[0] * np.cos(angles), r[1] * np.sin(angles))
        else:
            lines["ellipse"].set_data([], [])
        rates = f"lr/B = {lr / batch:.2g}, lr/√B = {lr / np.sqrt(batch):.2g}"
        if not finite.all():
            panel.text = f"{optimizer}, lr {lr:.3g}, B {batch}: diverged ({rates})"
        else:
            panel.text = f"{optimizer}, lr {lr:.3g}, B {batch}: mean loss {_loss(points):.2g}  ({rates})"
        title.set_text(panel.text)

    panel = Panel(controls, fig, redraw, [lines["ball"], lines["ellipse"], title])
    panel.axes, panel.lines = {"ball": ax}, lines
    panel.update()
    return panel
