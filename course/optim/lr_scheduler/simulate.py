"""A scheduler's whole lr sequence without a model, and a plot of one or several."""
from __future__ import annotations

import numpy as np

from .plateau import ReduceLROnPlateau

__all__ = ["simulate", "plot_schedules"]


def _default_optimizer(param_groups):
    from course.optim import SGD  # momentum, so that CyclicLR and OneCycleLR can cycle it

    return SGD(param_groups, lr=param_groups[0]["lr"], momentum=0.9)


def simulate(factory, steps: int, metrics=None, *, lr=0.1, optimizer=None, key: str = "lr"):
    """The lr each ``optimizer.step()`` of a real training run uses, step for step.

    .. code-block:: text

        opt = optimizer(param groups with lr)        # default: SGD(momentum=0.9)
        scheduler = factory(opt)
        for i in range(steps):
            record group[key] for every group        # what this optimizer.step() uses
            opt.step()
            scheduler.step()  or  scheduler.step(metrics[i])   # ReduceLROnPlateau

    Args:
        factory: ``optimizer -> scheduler``.
        steps (int): number of optimizer steps (epochs, or batches for per-batch schedulers).
        metrics: one metric per step, for ReduceLROnPlateau (required there, refused elsewhere).
        lr (float or list): the optimizer's lr; a list makes one param group per entry.
        optimizer: ``param_groups -> optimizer`` (default: ``SGD(momentum=0.9)``).
        key (str): what to record from each group: 'lr' (default), 'momentum', or 'beta1'.

    Returns:
        A float64 NumPy array of shape ``(steps,)`` for one group, ``(steps, groups)`` for several.

    Example:
        >>> from course.optim.lr_scheduler import StepLR, simulate
        >>> simulate(lambda opt: StepLR(opt, step_size=3, gamma=0.1), 7, lr=1.0).tolist()
        [1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.010000000000000002]
    """
    import course

    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"Invalid steps: {steps!r} (expected an integer >= 0)")
    lrs = list(lr) if isinstance(lr, (list, tuple)) else [lr]
    groups = [{"params": [course.Parameter(np.zeros(1))], "lr": value} for value in lrs]
    opt = (optimizer or _default_optimizer)(groups)
    scheduler = factory(opt)
    plateau = isinstance(scheduler, ReduceLROnPlateau)
    if plateau and metrics is None:
        raise ValueError("ReduceLROnPlateau needs metrics: one value per step")
    if not plateau and metrics is not None:
        raise ValueError(f"metrics are only for ReduceLROnPlateau, not {type(scheduler).__name__}")
    if plateau and len(metrics) < steps:
        raise ValueError(f"metrics has {len(metrics)} values, but steps={steps}")
    out = np.empty((steps, len(opt.param_groups)))
    for i in range(steps):
        for j, group in enumerate(opt.param_groups):
            out[i, j] = group["betas"][0] if key == "beta1" else group[key]
        for group in opt.param_groups:  # a zero gradient: the step runs but the weights stay
            for p in group["params"]:
                p.grad = np.zeros_like(p.data)
        opt.step()
        if plateau:
            scheduler.step(metrics[i])
        else:
            scheduler.step()
    return out[:, 0] if out.shape[1] == 1 else out


def plot_schedules(schedules, steps: int | None = None, *, metrics=None, lr=0.1, optimizer=None, ax=None,
                   logy: bool = False, title: str | None = None, **line_kwargs):
    """Plot one or several lr schedules against the optimizer step; returns the Axes.

    Args:
        schedules: a factory (see :func:`simulate`), a sequence of lrs, or a dict
            ``{label: factory or sequence}``.
        steps (int): steps to simulate (needed for factories).
        metrics, lr, optimizer: passed to :func:`simulate`.
        ax: the matplotlib Axes to draw on (default: a new figure).
        logy (bool): logarithmic lr axis.
        title (str): the title.
        **line_kwargs: passed to ``ax.plot`` (e.g. ``drawstyle="steps-post"``).

    Example:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from course.optim.lr_scheduler import StepLR, plot_schedules
        >>> ax = plot_schedules({"StepLR": lambda opt: StepLR(opt, step_size=10)}, steps=40)
        >>> len(ax.get_lines())
        1
    """
    if ax is None:
        import matplotlib.pyplot as plt

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
