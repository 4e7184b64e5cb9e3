"""Explanatory drawings that are not data plots (the anatomy of a training loop)."""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

__all__ = ["training_loop"]

# (label, code, x, y) of each stage of one optimizer step, drawn clockwise.
_STAGES = [
    ("1. reset", "optimizer.zero_grad()", 0.50, 0.86),
    ("2. forward", "outputs = model(inputs)", 0.82, 0.62),
    ("3. loss", "loss = loss_fn(outputs, targets)", 0.72, 0.24),
    ("4. backward", "loss.backward()", 0.28, 0.24),
    ("5. update", "optimizer.step()", 0.18, 0.62),
]


def training_loop(ax=None):
    """Draw one optimizer step as a cycle, with ``scheduler.step()`` once per epoch.

    >>> ax = training_loop()
    >>> len(ax.texts) >= 6
    True
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 5.2))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    for title, code, x, y in _STAGES:
        ax.add_patch(FancyBboxPatch((x - 0.16, y - 0.06), 0.32, 0.12, boxstyle="round,pad=0.01",
                                    facecolor="#e8f0fb", edgecolor="#3b6ea8"))
        ax.text(x, y + 0.025, title, ha="center", va="center", fontsize=11, weight="bold")
        ax.text(x, y - 0.025, code, ha="center", va="center", fontsize=8, family="monospace")
    for (_, _, x0, y0), (_, _, x1, y1) in zip(_STAGES, _STAGES[1:] + _STAGES[:1]):
        ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), connectionstyle="arc3,rad=-0.25",
                                     arrowstyle="-|>", mutation_scale=14, color="#3b6ea8",
                                     shrinkA=38, shrinkB=38))
    ax.text(0.5, 0.45, "for inputs, targets in loader:\n(one optimizer step per batch)",
            ha="center", va="center", fontsize=10, style="italic")
    ax.text(0.5, 0.04, "after each epoch:  scheduler.step()   (ReduceLROnPlateau: scheduler.step(val_loss))",
            ha="center", va="center", fontsize=9, family="monospace", color="#a8423b")
    ax.set_title("Anatomy of a training loop")
    return ax
