"""The learning-rate range test (Smith 2017, "Cyclical Learning Rates for Training Neural Networks").

Train for a few hundred mini-batches while the learning rate grows exponentially from
``start_lr`` to ``end_lr``; record the loss; stop once it explodes; put the model and
the optimizer back as they were. Good learning rates sit where the loss falls fastest.

.. math::

    \\eta_i = \\eta_{start} \\left(\\frac{\\eta_{end}}{\\eta_{start}}\\right)^{i / (n - 1)},\\qquad
    \\bar L_i = \\frac{\\beta \\bar m_{i-1} + (1 - \\beta) L_i}{1 - \\beta^{i+1}}
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass

__all__ = ["LRFinderResult", "LossSmoother", "lr_find", "suggest"]


@dataclass
class LRFinderResult:
    """The sweep: ``lrs[i]`` was used for the step whose loss is ``losses[i]``."""

    lrs: list
    losses: list
    smoothed: list
    stopped_early: bool

    def suggestion(self, method: str = "valley") -> float:
        return suggest(self.lrs, self.smoothed, method)

    @property
    def suggestions(self) -> dict:
        return {m: self.suggestion(m) for m in ("valley", "steepest", "minimum/10")}


class LossSmoother:
    """The range test's running loss: a bias-corrected EWMA, and its test for divergence.

    >>> s = LossSmoother(beta=0.5)
    >>> [s.add(x) for x in (4.0, 2.0)]     # the first value is the loss itself
    [4.0, 2.6666666666666665]
    >>> s.diverged(11.0), s.diverged(10.0)  # more than diverge_factor (4) times the best
    (True, False)
    """

    def __init__(self, beta: float = 0.98, diverge_factor: float = 4.0):
        self.beta, self.diverge_factor = beta, diverge_factor
        self.avg, self.count, self.best = 0.0, 0, math.inf

    def add(self, loss: float) -> float:
        """Take one loss; return the smoothed value so far."""
        self.avg = self.beta * self.avg + (1 - self.beta) * loss
        self.count += 1
        smoothed = self.avg / (1 - self.beta ** self.count)
        self.best = min(self.best, smoothed)
        return smoothed

    def diverged(self, smoothed: float) -> bool:
        return not math.isfinite(smoothed) or smoothed > self.diverge_factor * self.best


def _longest_descent(losses):
    """Start and end of the longest strictly decreasing subsequence of ``losses``."""
    n = len(losses)
    length = [1] * n  # length[i]: longest decreasing run that ends at i
    first = list(range(n))  # where that run starts
    for i in range(n):
        for j in range(i):
            if losses[i] < losses[j] and length[j] + 1 > length[i]:
                length[i], first[i] = length[j] + 1, first[j]
    end = max(range(n), key=lambda i: (length[i], -i))
    return first[end], end


def suggest(lrs, smoothed, method: str = "valley") -> float:
    """A learning rate from a range test's curve.

    - ``'minimum/10'``: a tenth of the lr at the lowest loss (past it, training is unstable).
    - ``'steepest'``: where the loss falls fastest against log lr.
    - ``'valley'``: inside the longest stretch of falling loss, a little past its middle.

    >>> lrs = [10 ** (k / 10 - 4) for k in range(41)]
    >>> losses = [2.0 - 0.04 * k if k < 30 else 0.8 + 0.3 * (k - 30) for k in range(41)]
    >>> round(suggest(lrs, losses, "minimum/10"), 6)   # the minimum is at lr = 0.1
    0.01
    """
    if len(lrs) != len(smoothed) or len(lrs) < 3:
        raise ValueError(f"need at least 3 points of equal length, got {len(lrs)} lrs and {len(smoothed)} losses")
    if method == "minimum/10":
        best = min(range(len(smoothed)), key=lambda i: smoothed[i])
        return lrs[best] / 10
    if method == "steepest":
        logs = [math.log10(lr) for lr in lrs]
        slopes = [(smoothed[i + 1] - smoothed[i - 1]) / (logs[i + 1] - logs[i - 1]) for i in range(1, len(lrs) - 1)]
        return lrs[1 + min(range(len(slopes)), key=lambda i: slopes[i])]
    if method == "valley":
        start, end = _longest_descent(smoothed)
        third = (end - start) / 3
        return lrs[start + int(third) + int(third / 2)]
    raise ValueError(f"unknown method {method!r}: expected 'valley', 'steepest' or 'minimum/10'")


def _batches(loader):
    while True:  # cycle through the data as long as the sweep needs
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise ValueError("the loader yielded no batch")


def lr_find(model, loss_fn, optimizer, loader, start_lr: float = 1e-7, end_lr: float = 10.0,
            num_iter: int = 100, beta: float = 0.98, diverge_factor: float = 4.0,
            restore: bool = True) -> LRFinderResult:
    """Run the LR range test with ``optimizer`` on ``model`` and return the curve.

    The model's parameters and the optimizer's state and learning rates are restored
    afterwards (``restore=True``), so the test leaves no trace.
    """
    if not 0 < start_lr < end_lr:
        raise ValueError(f"need 0 < start_lr < end_lr, got start_lr={start_lr}, end_lr={end_lr}")
    if not isinstance(num_iter, int) or num_iter < 3:
        raise ValueError(f"num_iter must be an integer >= 3, got {num_iter!r}")
    if not 0 <= beta < 1:
        raise ValueError(f"beta must be in [0, 1), got {beta}")
    if diverge_factor <= 1:
        raise ValueError(f"diverge_factor must be > 1, got {diverge_factor}")
    saved_model = model.state_dict()
    saved_optimizer = copy.deepcopy(optimizer.state_dict())
    was_training = getattr(model, "training", True)
    lrs, losses, smoothed = [], [], []
    smoother, stopped = LossSmoother(beta, diverge_factor), False
    try:
        model.train()
        batches = _batches(loader)
        for i in range(num_iter):
            lr = start_lr * (end_lr / start_lr) ** (i / (num_iter - 1))
            for group in optimizer.param_groups:
                group["lr"] = lr
            inputs, targets = next(batches)
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            optimizer.step()
            value = float(loss.item())
            lrs.append(lr)
            losses.append(value)
            smoothed.append(smoother.add(value))
            if smoother.diverged(smoothed[-1]):
                stopped = True
                break
    finally:
        if restore:
            model.load_state_dict(saved_model)
            optimizer.load_state_dict(saved_optimizer)
            optimizer.zero_grad()
            model.train(was_training)
    return LRFinderResult(lrs, losses, smoothed, stopped)
