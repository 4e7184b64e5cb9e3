"""ReduceLROnPlateau, watched epoch by epoch: a noisy validation curve and the scheduler's timeline.

Notebook 08 uses two things from here:

* :func:`noisy_validation_curve` -- a seeded, made-up validation loss that falls fast and
  then flattens into noise, the shape that makes ReduceLROnPlateau act;
* :func:`plateau_timeline` -- runs the *real* ``course.optim.lr_scheduler.ReduceLROnPlateau``
  on a metric sequence and records what it says about itself after every ``step(metric)``
  (``best``, ``num_bad_epochs``, ``cooldown_counter``, ``in_cooldown`` and the lr in
  ``param_groups``).  Every mark in the notebook's timeline figure comes from these records.

Example:
    >>> t = plateau_timeline([1.0, 0.5, 0.5, 0.5, 0.5], lr=1.0, patience=1)
    >>> t.lr_used.tolist(), t.reductions.tolist()
    ([1.0, 1.0, 1.0, 1.0, 0.1], [3])
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["noisy_validation_curve", "plateau_timeline", "PlateauTimeline"]


def noisy_validation_curve(epochs: int = 100, seed: int = 0, noise: float = 0.015, floor: float = 0.3,
                           drop: float = 0.7, tau: float = 8.0, overfit: float = 0.0) -> np.ndarray:
    r"""A seeded validation-loss curve: a fast fall, then a noisy plateau (and an optional rise).

    .. math::

        v_t = \text{floor} + \text{drop}\, e^{-t/\tau} + \text{overfit}\cdot t/\text{epochs}
              + \text{noise}\cdot \varepsilon_t, \qquad \varepsilon_t \sim \mathcal N(0, 1)

    It does not react to the learning rate: it is a fixed sequence of metrics to feed
    ``scheduler.step(metric)``, so that the scheduler's decisions can be studied alone.

    Args:
        epochs (int): number of values. seed (int): seed of ``numpy.random.default_rng``.
        noise (float): standard deviation of the noise. floor, drop, tau: the curve's shape.
        overfit (float): how much the loss rises by the last epoch (0: no rise).

    Returns:
        A float64 array of shape ``(epochs,)``.

    Example:
        >>> v = noisy_validation_curve(50, seed=1)
        >>> v.shape, bool((noisy_validation_curve(50, seed=1) == v).all())
        ((50,), True)
    """
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"Invalid epochs: {epochs!r} (expected an integer >= 1)")
    if not noise >= 0:
        raise ValueError(f"Invalid noise: {noise!r} (expected a number >= 0)")
    if not tau > 0:
        raise ValueError(f"Invalid tau: {tau!r} (expected a positive number)")
    rng = np.random.default_rng(seed)
    t = np.arange(epochs, dtype=np.float64)
    return floor + drop * np.exp(-t / tau) + overfit * t / epochs + noise * rng.standard_normal(epochs)


@dataclass
class PlateauTimeline:
    """What ReduceLROnPlateau did at each epoch ``e`` (index = epoch), all read off the scheduler.

    Attributes:
        metrics: the value passed to ``step`` at epoch e.
        lr_used: ``param_groups[0]["lr"]`` during epoch e (before its ``step``).
        lr_after: the lr after ``step`` (what epoch e + 1 uses).
        best: ``scheduler.best`` after the step.
        num_bad_epochs, cooldown_counter: the scheduler's counters after the step.
        cooldown: True where the scheduler was ``in_cooldown`` at this step (its bad epochs are not counted).
        improved: True where ``best`` changed (a new best value).
        bad: not improved.  counted: bad and not in cooldown (these add up to ``patience``).
        triggered: the bad-epoch count exceeded ``patience`` here (a reduction was attempted).
        reductions: the epochs whose step lowered the lr (an int array).
    """

    metrics: np.ndarray
    lr_used: np.ndarray
    lr_after: np.ndarray
    best: np.ndarray
    num_bad_epochs: np.ndarray
    cooldown_counter: np.ndarray
    cooldown: np.ndarray
    improved: np.ndarray
    bad: np.ndarray
    counted: np.ndarray
    triggered: np.ndarray
    reductions: np.ndarray


def plateau_timeline(metrics, lr: float = 0.1, **kwargs) -> PlateauTimeline:
    """Run ``ReduceLROnPlateau(optimizer, **kwargs)`` on ``metrics`` and record its state after each step.

    .. code-block:: text

        for e, metric in enumerate(metrics):
            lr_used[e]  = group["lr"];  cooldown[e] = scheduler.in_cooldown
            optimizer.step();  scheduler.step(metric)
            best[e], num_bad_epochs[e], cooldown_counter[e], lr_after[e] = scheduler's state

    Args:
        metrics: the monitored values, one per epoch.
        lr (float): the optimizer's starting lr.
        **kwargs: ReduceLROnPlateau's arguments (mode, factor, patience, threshold,
            threshold_mode, cooldown, min_lr, eps).

    Example:
        >>> t = plateau_timeline([3.0, 2.0, 2.5, 2.5, 2.5, 2.5], lr=1.0, patience=1, cooldown=1, factor=0.5)
        >>> t.counted.tolist()
        [False, False, True, True, False, True]
        >>> t.cooldown.tolist(), t.lr_after.tolist()
        ([False, False, False, False, True, False], [1.0, 1.0, 1.0, 0.5, 0.5, 0.5])
    """
    import course
    from course.optim import SGD
    from course.optim.lr_scheduler import ReduceLROnPlateau

    values = [float(m) for m in metrics]
    optimizer = SGD([course.Parameter(np.zeros(1))], lr=lr)
    scheduler = ReduceLROnPlateau(optimizer, **kwargs)
    rec = {k: [] for k in ("lr_used", "lr_after", "best", "num_bad_epochs", "cooldown_counter", "cooldown")}
    improved = []
    for metric in values:
        rec["lr_used"].append(optimizer.param_groups[0]["lr"])
        rec["cooldown"].append(scheduler.in_cooldown)
        best_before = scheduler.best
        optimizer.step()  # no gradients: the step changes nothing, as in a run whose loss is fixed
        scheduler.step(metric)
        improved.append(scheduler.best != best_before)
        rec["best"].append(scheduler.best)
        rec["num_bad_epochs"].append(scheduler.num_bad_epochs)
        rec["cooldown_counter"].append(scheduler.cooldown_counter)
        rec["lr_after"].append(optimizer.param_groups[0]["lr"])
    arr = {k: np.array(v, dtype=bool if k == "cooldown" else (int if "counter" in k or "num" in k else float))
           for k, v in rec.items()}
    improved = np.array(improved, dtype=bool)
    bad = ~improved
    counted = bad & ~arr["cooldown"]
    # the count is reset to 0 after a step only by an improvement, by cooldown, or by a reduction
    triggered = counted & (arr["num_bad_epochs"] == 0)
    reductions = np.flatnonzero(arr["lr_after"] < arr["lr_used"])
    return PlateauTimeline(metrics=np.array(values), improved=improved, bad=bad, counted=counted,
                           triggered=triggered, reductions=reductions, **arr)
