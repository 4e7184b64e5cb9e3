"""The rotated-bowl explorer of notebook 12: a diagonal preconditioner against the full matrix.

Two sliders, the bowl's rotation and the lr (one lr for both methods), and two panels: the
trajectories of ``course.optim.Adagrad`` (diagonal) and of full-matrix AdaGrad
(:class:`~course.classroom.preconditioning.FullMatrixAdagrad`) over the bowl's level sets, and
their losses per step.  Every artist is moved with ``set_data`` (the level sets are ellipses
drawn as lines, not a contour plot), so a change costs two 100-step runs and one PNG.

>>> e = rotation_explorer(degrees=0)
>>> e.controls["degrees"].value = 45
>>> "45" in e.text
True
"""
from __future__ import annotations

import math

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from ... import optim
from .. import landscapes, trajectory
from ..preconditioning import FullMatrixAdagrad
from .training_explorers import Panel

__all__ = ["rotation_explorer"]

STEPS = 100
CONDITION_NUMBER = 100.0
LEVELS = np.geomspace(1e-4, 2.0, 7)  # loss values of the drawn level sets


def _ellipse(bowl, level, n: int = 200):
    """The level set f = level of the bowl 0.5 z^T H z, as an (n, 2) array."""
    w, V = np.linalg.eigh(bowl.hessian)
    t = np.linspace(0.0, 2 * math.pi, n)
    circle = np.stack([np.cos(t), np.sin(t)])
    return (V @ (np.sqrt(2 * level / w)[:, None] * circle)).T


def _first_below(losses, tol: float = 1e-6):
    below = np.flatnonzero(np.asarray(losses) < tol)
    return int(below[0]) if below.size else None


def _summary(name, result):
    if result.diverged:
        return f"{name}: {result.message}"
    hit = _first_below(result.losses)
    return f"{name}: loss < 1e-6 at step {hit}" if hit is not None else f"{name}: loss {result.final_loss:.0e} after {STEPS}"


def rotation_explorer(degrees: float = 30.0, log10_lr: float = 0.5) -> Panel:
    """Rotate a bowl of condition number 100 and watch diagonal AdaGrad lose its advantage.

    At 0 degrees the bowl's axes are the coordinates and the diagonal preconditioner rounds it
    exactly; rotated, it can only rescale the coordinates, while the full matrix turns with
    the bowl.  The title says when each run's loss first falls below 1e-6.
    """
    controls = {
        "degrees": W.FloatSlider(value=degrees, min=0, max=90, step=5, description="rotation (degrees)",
                                 readout_format=".0f", style={"description_width": "initial"}),
        "log10_lr": W.FloatSlider(value=log10_lr, min=-1, max=1, step=0.25, description="log10(lr)",
                                  readout_format=".2f", style={"description_width": "initial"}),
    }
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    ax_path, ax_loss = fig.subplots(1, 2, width_ratios=[1.3, 1])
    lines = {f"level{i}": ax_path.plot([], [], color="0.75", lw=1)[0] for i in range(len(LEVELS))}
    lines["diag"], = ax_path.plot([], [], "o-", color="C1", ms=3, lw=1.5, label="Adagrad (diagonal)")
    lines["full"], = ax_path.plot([], [], "o-", color="C0", ms=3, lw=1.5, label="full-matrix AdaGrad")
    ax_path.plot([0], [0], "k*", ms=10)
    ax_path.set(xlim=(-6, 6), ylim=(-4, 4), xlabel="x", ylabel="y", aspect="equal")
    ax_path.legend(loc="lower right", fontsize=11)
    lines["diag_loss"], = ax_loss.plot([], [], color="C1", lw=2)
    lines["full_loss"], = ax_loss.plot([], [], color="C0", lw=2)
    ax_loss.axhline(1e-6, color="0.5", lw=0.8, ls=":")
    ax_loss.set(yscale="log", ylim=(1e-12, 1e2), xlim=(0, STEPS), xlabel="step", ylabel="loss")
    for ax in (ax_path, ax_loss):
        ax.tick_params(labelsize=11)
        ax.xaxis.label.set_size(12)
        ax.yaxis.label.set_size(12)
    title = fig.suptitle("", fontsize=12)

    def redraw(panel, degrees, log10_lr):
        bowl = landscapes.quadratic(condition_number=CONDITION_NUMBER, rotation=degrees)
        lr = 10.0 ** log10_lr
        for i, level in enumerate(LEVELS):
            lines[f"level{i}"].set_data(*_ellipse(bowl, level).T)
        with np.errstate(all="ignore"):
            diag = trajectory.run(lambda p: optim.Adagrad(p, lr=lr), bowl, steps=STEPS, autograd=False)
            full = trajectory.run(lambda p: FullMatrixAdagrad(p, lr=lr), bowl, steps=STEPS, autograd=False)
        for key, result in (("diag", diag), ("full", full)):
            lines[key].set_data(*result.path.T)
            losses = np.where(np.isfinite(result.losses), result.losses, np.nan)
            lines[f"{key}_loss"].set_data(np.arange(len(losses)), np.maximum(losses, 1e-300))
        panel.text = (f"rotation {degrees:.0f} degrees, lr {lr:.3g}: {_summary('diagonal', diag)}; "
                      f"{_summary('full matrix', full)}")
        title.set_text(panel.text)

    dynamic = [*lines.values(), title]
    panel = Panel(controls, fig, redraw, dynamic)
    panel.axes, panel.lines = {"path": ax_path, "loss": ax_loss}, lines
    panel.update()
    return panel
