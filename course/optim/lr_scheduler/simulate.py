"""A scheduler's whole lr sequence without a model, and a plot of one or several."""
from __future__ import annotations

import numpy as np

from .plateau import ReduceLROnPlateau

__all__ = ["simulate"]


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
