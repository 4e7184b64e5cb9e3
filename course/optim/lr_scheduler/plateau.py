"""ReduceLROnPlateau: cut the lr when a monitored metric stops improving."""
from __future__ import annotations

import math
import warnings

from .base import (
    EPOCH_DEPRECATION_WARNING,
    check_epoch,
    check_int,
    check_optimizer,
    check_state_values,
    copied_state,
    group_values,
    _is_real,
    LRScheduler,
    _prefix,
    show,
    state_int,
    state_real,
    state_reals,
    transaction,
)

__all__ = ["ReduceLROnPlateau"]


class MetricStrError(TypeError, ValueError):
    """A str metric: refused (a TypeError); torch's ``float('...')`` raises ValueError, so it is one too."""


def metric_to_float(metrics) -> float:
    """A Python float from a number, a one-element array or a one-element ``course.Tensor``."""
    if isinstance(metrics, (str, bytes)):
        raise MetricStrError(
            f"ReduceLROnPlateau needs a numeric metric, but got {type(metrics).__name__} {show(metrics)}"
        )
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

    _state_checks = {
        "factor": state_real(0, 1, high_open=True),
        "patience": state_int(0),
        "cooldown": state_int(0),
        "threshold": state_real(0),
        "eps": state_real(0),
        "min_lrs": state_reals(nan=False),
        "default_min_lr": lambda owner, key, value: value if value is None else state_real()(owner, key, value),
        "last_epoch": state_real(nan=True, bool_ok=True),
        "best": state_real(),
        "mode_worse": state_real(),
        "num_bad_epochs": state_int(0),
        "cooldown_counter": state_int(0),
        "_last_lr": state_reals(),
    }

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
    def _check_modes(mode, threshold_mode, where: str = "") -> None:
        # torch: 'mode ' + mode + ' is unknown!' -- a TypeError for anything but a str
        where = f"{where}: " if where else ""
        checks = (("mode", mode, ("min", "max")), ("threshold mode", threshold_mode, ("rel", "abs")))
        for name, value, options in checks:
            if not isinstance(value, str):
                raise TypeError(f"{where}{name} must be a str, {options[0]!r} or {options[1]!r}, but got {show(value)}")
            if value not in options:
                key = name.replace(" ", "_")
                raise ValueError(f"{where}{name} {value} is unknown! (expected {key} {options[0]!r} or {options[1]!r})")

    def _init_is_better(self, mode, threshold, threshold_mode) -> None:
        self._check_modes(mode, threshold_mode)
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def step(self, metrics, epoch=None) -> None:
        """One epoch with its metric (a float, a one-element array or ``course.Tensor``).

        The new counters and lrs are computed first; a step that raises changes nothing.
        """
        current = metric_to_float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        best, num_bad_epochs, cooldown_counter = self.best, self.num_bad_epochs, self.cooldown_counter
        if self.is_better(current, best):
            best = current
            num_bad_epochs = 0
        else:
            num_bad_epochs += 1
        if cooldown_counter > 0:  # in cooldown
            cooldown_counter -= 1
            num_bad_epochs = 0  # bad epochs in cooldown do not count
        reduced = None
        if num_bad_epochs > self.patience:
            reduced = self._reduced_lrs()
            cooldown_counter = self.cooldown
            num_bad_epochs = 0
        # torch stores any epoch and fails at the next step ('x' + 1): refused here, after every
        # error torch itself would raise in this step
        check_epoch(type(self).__name__, epoch)
        with transaction(self):
            self.last_epoch = epoch
            self.best = best
            self.num_bad_epochs = num_bad_epochs
            self.cooldown_counter = cooldown_counter
            if reduced is not None:
                self._write_reduced(*reduced)
            self._last_lr = group_values(self.optimizer, "lr")

    def _reduced_lrs(self) -> tuple:
        """``(min_lrs, lrs)``: the reduction's lrs (None: unchanged), computed without writing."""
        groups = self.optimizer.param_groups
        min_lrs = self.min_lrs
        if len(groups) != len(min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"The number of param groups in the `optimizer` ({len(groups)}) differs from when "
                    f"`ReduceLROnPlateau` was initialized ({len(min_lrs)}), usually due to a new param "
                    "group being added to the optimizer. Please modify the `min_lrs` field to match the "
                    "length of the `optimizer` param groups."
                )
            min_lrs = [self.default_min_lr] * len(groups)
        lrs = []
        for i, group in enumerate(groups):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lrs[i])
            lrs.append(new_lr if old_lr - new_lr > self.eps else None)
        return min_lrs, lrs

    def _write_reduced(self, min_lrs: list, lrs: list) -> None:
        self.min_lrs = min_lrs
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            if lr is not None:
                group["lr"] = lr

    def _reduce_lr(self, epoch) -> None:
        """torch's hook: reduce the lrs now (all groups or none)."""
        reduced = self._reduced_lrs()
        with transaction(self):
            self._write_reduced(*reduced)

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

    def _checked_state(self, state_dict) -> dict:
        # torch checks mode, then threshold_mode (after loading them: here, before)
        state = copied_state(self, state_dict)
        merged = {**self.__dict__, **state}
        self._check_modes(merged.get("mode"), merged.get("threshold_mode"), where=_prefix(type(self).__name__))
        check_state_values(self, state, self._state_checks)
        return state

    def _apply_state(self, state: dict) -> None:
        self.__dict__.update(state)
        self._init_is_better(mode=self.mode, threshold=self.threshold, threshold_mode=self.threshold_mode)
