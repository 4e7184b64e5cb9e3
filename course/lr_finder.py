"""The learning-rate range test, as fastai's LR finder runs it (Howard & Gugger, fastai).

Train for about a hundred mini-batches while the learning rate grows exponentially from
``start_lr`` to ``end_lr``; record a smoothed loss; stop once it exceeds 4 times the best
smoothed loss so far; put the model and the optimizer back as they were. Good learning
rates sit where the loss falls fastest.

The idea goes back to Smith's *LR range test* (Smith 2017, "Cyclical Learning Rates for
Training Neural Networks"), which differs in three ways: the lr grew **linearly**, over
**several epochs**, and one read the **accuracy** curve (where it starts to rise, where it
becomes ragged or falls: the bounds of a cyclical schedule). The exponential sweep, the
bias-corrected smoothing, the 4x stop and the suggestion rules (:func:`valley`) are fastai's.

.. math::

    \\eta_i = \\eta_{start} \\left(\\frac{\\eta_{end}}{\\eta_{start}}\\right)^{i / (n - 1)},\\qquad
    m_i = \\beta m_{i-1} + (1 - \\beta) L_i,\\quad \\bar L_i = \\frac{m_i}{1 - \\beta^{i+1}}
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass

__all__ = ["LRFinderResult", "LossSmoother", "lr_find", "suggest", "valley", "SUGGESTIONS"]

# the rules of :func:`suggest`, in the order ``LRFinderResult.suggestions`` lists them
SUGGESTIONS = ("valley", "longest-descent", "steepest", "minimum/10")


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
        return {m: self.suggestion(m) for m in SUGGESTIONS}


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


def _descent_lengths(losses):
    """``lds[i]``: the length of the longest strictly decreasing subsequence of ``losses`` that
    ends at ``i``, and ``first[i]``: the index where that subsequence starts."""
    n = len(losses)
    lds, first = [1] * n, list(range(n))
    for i in range(n):
        for j in range(i):
            if losses[i] < losses[j] and lds[j] + 1 > lds[i]:
                lds[i], first[i] = lds[j] + 1, first[j]
    return lds, first


def _longest_end(lds):
    """The first index with the largest length (ties go to the earliest end)."""
    return max(range(len(lds)), key=lambda i: (lds[i], -i))


def _middle_third_pick(start, end):
    """About half-way into the middle third of ``start .. end``: the index fastai's ``valley`` takes."""
    third = (end - start) / 3
    return start + int(third) + int(third / 2)


def valley(lrs, losses, num_iter=None) -> float:
    """fastai's ``valley`` suggestion: a point in the middle of the longest descent of the curve.

    1. Read the curve as fastai does: without its first ``num_iter // 10`` points (the flat
       start) and its last 5 (the blow-up), and only up to its first NaN. ``num_iter`` is the
       length the sweep was asked for; by default the number of points given (the same for a
       sweep that ran to ``end_lr``). If fewer than 3 points would be left (a sweep that
       stopped within a few steps), the whole curve is read.
    2. For every point ``i``, ``lds[i]`` is the length of the longest strictly decreasing
       subsequence ending at ``i``. The descent ends at the first point of largest length,
       ``end``, and is taken to start at ``start = end - lds[end]`` (its length counted back from
       the end, whether or not the subsequence skips points).
    3. With ``third = (end - start) / 3``, pick ``start + int(third) + int(third / 2)``: about
       half-way into the middle third (no lower than the first point: a curve that never
       falls would give ``start = -1`` and the pick -1, which fastai reads as the last point).

    >>> lrs = [10.0 ** (k - 10) for k in range(20)]
    >>> losses = [5, 5, 4, 3, 2, 1, 0.5, 0.4, 0.3, 0.2, 0.1, 0.2, 0.5, 1, 2, 4, 8, 16, 32, 64]
    >>> valley(lrs, losses)    # read 2 .. 14; 4, 3, ..., 0.1 ends at 10 with lds 9: start 1, pick 1 + 3 + 1
    1e-05
    """
    if len(lrs) != len(losses) or len(lrs) < 3:
        raise ValueError(f"need at least 3 points of equal length, got {len(lrs)} lrs and {len(losses)} losses")
    num_iter = len(lrs) if num_iter is None else num_iter
    lo, hi = num_iter // 10, len(lrs) - 5
    if hi - lo < 3:
        lo, hi = 0, len(lrs)
    lrs, losses = list(lrs[lo:hi]), list(losses[lo:hi])
    nans = [i for i, v in enumerate(losses) if v != v]
    if nans and nans[0] >= 1:
        lrs, losses = lrs[:nans[0]], losses[:nans[0]]
    lds, _ = _descent_lengths(losses)
    end = _longest_end(lds)
    return lrs[max(0, _middle_third_pick(end - lds[end], end))]


def suggest(lrs, smoothed, method: str = "valley") -> float:
    """A learning rate from a range test's curve.

    - ``'valley'``: fastai's rule, see :func:`valley`.
    - ``'longest-descent'``: the same arithmetic on the whole curve (nothing trimmed) and from
      where the longest decreasing subsequence really starts. The flat, noisy start lengthens
      that subsequence to the left, so this pick is usually smaller and more cautious.
    - ``'minimum/10'``: a tenth of the lr at the lowest loss (past it, training is unstable).
    - ``'steepest'``: where the loss falls fastest against log lr (central differences).

    fastai's ``minimum`` and ``steep`` read its trimmed curve (see :func:`valley`), and ``steep``
    takes forward differences; the last two here read the whole curve.

    >>> lrs = [10 ** (k / 10 - 4) for k in range(41)]
    >>> losses = [2.0 - 0.04 * k if k < 30 else 0.8 + 0.3 * (k - 30) for k in range(41)]
    >>> round(suggest(lrs, losses, "minimum/10"), 6)   # the minimum is at lr = 0.1
    0.01
    """
    if len(lrs) != len(smoothed) or len(lrs) < 3:
        raise ValueError(f"need at least 3 points of equal length, got {len(lrs)} lrs and {len(smoothed)} losses")
    if method == "valley":
        return valley(lrs, smoothed)
    if method == "longest-descent":
        lds, first = _descent_lengths(smoothed)
        end = _longest_end(lds)
        return lrs[_middle_third_pick(first[end], end)]
    if method == "minimum/10":
        best = min(range(len(smoothed)), key=lambda i: smoothed[i])
        return lrs[best] / 10
    if method == "steepest":
        logs = [math.log10(lr) for lr in lrs]
        slopes = [(smoothed[i + 1] - smoothed[i - 1]) / (logs[i + 1] - logs[i - 1]) for i in range(1, len(lrs) - 1)]
        return lrs[1 + min(range(len(slopes)), key=lambda i: slopes[i])]
    raise ValueError(f"unknown method {method!r}: expected one of {', '.join(map(repr, SUGGESTIONS))}")


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
