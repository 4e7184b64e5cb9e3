"""The classroom playground (``make play``): a race of optimizers, with a scheduler to choose.

It is notebook 06's race widget plus a scheduler dropdown, served by Voila as an app with
no code cells, for a projector: pick a test function, the optimizers, a scheduler, move
the lr slider and watch them race.  Every optimizer starts at the lr that notebook 06's race
gives it: both tune with :func:`course.classroom.race.tune` on the race's tuning starts (the grid
:data:`~course.classroom.tuning.GRID`, 1e-4 to 10, and :data:`~course.classroom.tuning.STEPS` steps).
"""
from __future__ import annotations

import ipywidgets as W

from ..optim import lr_scheduler
from . import race as race_protocol
from . import tuning
from .widgets.optimizer_explorer import Explorer, race

__all__ = ["SCHEDULERS", "playground"]

# name -> factory(optimizer, steps); every scheduler is stepped once per optimizer step.
SCHEDULERS = {
    "constant lr": None,
    "StepLR (x0.5 every 30 steps)": lambda opt, steps: lr_scheduler.StepLR(opt, step_size=30, gamma=0.5),
    "ExponentialLR (gamma 0.98)": lambda opt, steps: lr_scheduler.ExponentialLR(opt, gamma=0.98),
    "CosineAnnealingLR": lambda opt, steps: lr_scheduler.CosineAnnealingLR(opt, T_max=steps),
    "warmup 10% + cosine": lambda opt, steps: lr_scheduler.SequentialLR(
        opt, [lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=max(1, steps // 10)),
              lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, steps - steps // 10))],
        milestones=[max(1, steps // 10)]),
    "OneCycleLR": lambda opt, steps: lr_scheduler.OneCycleLR(
        opt, max_lr=[g["lr"] for g in opt.param_groups], total_steps=steps),
}


def playground(landscape: str = "rosenbrock", steps: int = tuning.STEPS, scheduler: str = "constant lr") -> Explorer:
    """The race with a scheduler dropdown; returns the :class:`~course.classroom.widgets.Explorer`.

    >>> w = playground(steps=40)
    >>> w.controls["scheduler"].value = "CosineAnnealingLR"
    >>> lrs = w.results["Adam"].lrs
    >>> bool(lrs[-1] < lrs[0])
    True
    >>> w.figure.texts[0].get_text().split(" | ")[0]
    'lr schedule: CosineAnnealingLR'

    """
    if scheduler not in SCHEDULERS:
        raise ValueError(f"unknown scheduler {scheduler!r}: choose from {list(SCHEDULERS)}")
    w = race(landscape=landscape, steps=steps, lrs=tuning.GRID, tune_on=race_protocol.tune_starts)
    dropdown = W.Dropdown(options=list(SCHEDULERS), value=scheduler, description="scheduler")

    def choose(*_):
        make = SCHEDULERS[dropdown.value]
        w.fixed["scheduler"] = None if make is None else (lambda opt: make(opt, w.steps))
        w.title = f"lr schedule: {dropdown.value}"  # a projected or saved picture says which
        w.update()

    dropdown.observe(choose, names="value")
    w.controls["scheduler"] = dropdown
    top = w.box.children[0]
    left = top.children[0] if isinstance(top, W.HBox) else top
    left.children = (*left.children, dropdown)
    choose()
    return w
