"""ReduceLROnPlateau: cut the lr when a monitored metric stops improving."""
from __future__ import annotations

import copy
import math
import warnings

from .base import EPOCH_DEPRECATION_WARNING, LRScheduler, _is_real, check_int, check_optimizer, group_values

__all__ = ["ReduceLROnPlateau"]


def metric_to_float(metrics) -> float:
    """A Python float from a number, a one-element array or a one-element ``course.Tensor``."""
    if isinstance(metrics, (str, bytes)):
        raise TypeError(f"ReduceLROnPlateau needs a numeric metric, but got {type(metrics).__name__}")
    shape = getattr(metrics, "shape", None)
    if shape is not None:
        shape = tuple(shape)
        if math.prod(shape) != 1:
            raise TypeError(
                f"ReduceLROnPlateau needs a scalar metric (one element), but got {type(metrics).__name__} of shape {shape}"
            )
        if hasattr(metrics, "item") and not hasattr(metrics, "__array_namespace__"):
            return float(metrics.item())  # a course.Tensor or a NumPy scalar
        if shape:
            from ... import backend

            xp = backend.namespace(metrics)
            metrics = xp.reshape(metrics, ())
    try:
        return float(metrics)
    except (TypeError, ValueError) as err:
        raise TypeError(f"ReduceLROnPlateau needs a scalar metric, but got {metrics!r}") from err


class ReduceLROnPlateau(LRScheduler):
    r"""Multiply the lr by ``factor`` when the metric has not improved for more than ``patience`` epochs.

    .. code-block:: text

        step(metric):
            improved = metric < best * (1 - threshold)      mode 'min', 'rel'
                       metric < best - threshold            mode 'min', 'abs'
                       metric > best * (1 + threshold)      mode 'max', 'rel'
                       metric > best + threshold            mode 'max', 'abs'
            if improved: best = metric; num_bad_epochs = 0  else: num_bad_epochs += 1
            if in cooldown: cooldown_counter -= 1; num_bad_epochs = 0
            if num_bad_epochs > patience:
                for each group: new = max(lr * factor, min_lr)
                                if lr - new > eps: lr = new
                cooldown_counter = cooldown; num_bad_epochs = 0

    The tests are strict, so a metric equal to ``best`` is a bad epoch, and so is NaN
    (every comparison with NaN is false).

    Args:
        optimizer: wrapped optimizer.
        mode (str): 'min' or 'max'. Default: 'min'.
        factor (float): new_lr = lr * factor, with 0 <= factor < 1. Default: 0.1.
        patience (int): bad epochs tolerated before a reduction. Default: 10.
        threshold (float): how much better counts as better. Default: 1e-4.
        threshold_mode (str): 'rel' or 'abs'. Default: 'rel'.
        cooldown (int): epochs after a reduction during which bad epochs are not counted. Default: 0.
        min_lr (float or list): lower bound of the lr, for all groups or per group. Default: 0.
        eps (float): reductions smaller than eps are skipped. Default: 1e-8.

    Example:
        >>> from course.optim.lr_scheduler import ReduceLROnPlateau, simulate
        >>> losses = [1.0, 0.5, 0.5, 0.5, 0.5, 0.5]
        >>> simulate(lambda opt: ReduceLROnPlateau(opt, patience=1), 6, metrics=losses, lr=1.0).tolist()
        [1.0, 1.0, 1.0, 1.0, 0.1, 0.1]
    """

    def __init__(
        self,
        optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr=0,
        eps: float = 1e-8,
    ) -> None:
        if not _is_real(factor) or factor >= 1.0:
            raise ValueError(f"Factor should be < 1.0, but got factor={factor!r}.")
        if factor < 0:
            raise ValueError(f"Factor should be >= 0, but got factor={factor!r}.")
        check_optimizer(optimizer)
        check_int("patience", patience, 0)
        check_int("cooldown", cooldown, 0)
        self._check_modes(mode, threshold_mode)
        for name, value in (("threshold", threshold), ("eps", eps)):
            if not _is_real(value) or not value >= 0:
                raise ValueError(f"Invalid {name}: {value!r} (expected a number >= 0)")
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"expected {n} min_lrs, got {len(min_lr)}")
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * n
        self.factor = factor
        self.optimizer = optimizer
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = group_values(optimizer, "lr")
        self._init_is_better(mode=mode, threshold=threshold, threshold_mode=threshold_mode)
        self._reset()

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @staticmethod
    def _check_modes(mode, threshold_mode) -> None:
        if mode not in {"min", "max"}:
            raise ValueError(f"mode {mode} is unknown! (expected 'min' or 'max')")
        if threshold_mode not in {"rel", "abs"}:
            raise ValueError(f"threshold mode {threshold_mode} is unknown! (expected threshold_mode 'rel' or 'abs')")

    def _init_is_better(self, mode, threshold, threshold_mode) -> None:
        self._check_modes(mode, threshold_mode)
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def step(self, metrics, epoch=None) -> None:
        """One epoch with its metric (a float, a one-element array or ``course.Tensor``)."""
        current = metric_to_float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr(epoch)
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = group_values(self.optimizer, "lr")

    def _reduce_lr(self, epoch) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"The number of param groups in the `optimizer` ({len(groups)}) differs from when "
                    f"`ReduceLROnPlateau` was initialized ({len(self.min_lrs)}), usually due to a new param "
                    "group being added to the optimizer. Please modify the `min_lrs` field to match the "
                    "length of the `optimizer` param groups."
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for i, group in enumerate(groups):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, self.min_lrs[i])
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def is_better(self, a: float, best: float) -> bool:
        """The strict improvement test of the current mode and threshold_mode."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min" and self.threshold_mode == "abs":
            return a < best - self.threshold
        if self.mode == "max" and self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    _is_better = is_better  # torch's name

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(copy.deepcopy(state_dict))
        self._init_is_better(mode=self.mode, threshold=self.threshold, threshold_mode=self.threshold_mode)
