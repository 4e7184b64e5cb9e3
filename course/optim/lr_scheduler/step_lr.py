"""StepLR and MultiStepLR: multiply the lr by gamma at fixed epochs."""
from __future__ import annotations

import numbers
from bisect import bisect_right
from collections import Counter

from .base import (
    BASE_STATE_CHECKS,
    check_int,
    check_positive,
    group_values,
    LRScheduler,
    _prefix,
    show,
    state_int,
    state_real,
)

__all__ = ["StepLR", "MultiStepLR"]


class StepLR(LRScheduler):
    r"""Multiply the lr by ``gamma`` every ``step_size`` epochs.

    .. math::
        \eta_t = \eta_0 \cdot \gamma^{\lfloor t / \text{step\_size} \rfloor}

    Chainable: at a multiple of ``step_size`` the *current* lr is multiplied by gamma,
    so changes made to the lr from outside the scheduler are kept.

    Args:
        optimizer: wrapped optimizer.
        step_size (int): period of the decay, in epochs (>= 1).
        gamma (float): multiplicative factor. Default: 0.1.
        last_epoch (int): index of the last epoch. Default: -1.

    Example:
        >>> from course.optim.lr_scheduler import StepLR, simulate
        >>> simulate(lambda opt: StepLR(opt, step_size=2, gamma=0.5), 6, lr=1.0).tolist()
        [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    _state_checks = {**BASE_STATE_CHECKS, "step_size": state_int(1), "gamma": state_real(0, low_open=True, finite=True)}

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        check_int("step_size", step_size, 1)
        check_positive("gamma", gamma)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_if_get_lr_called_directly()
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return group_values(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


def _milestone_counter(owner, key, value):
    """A saved ``milestones``: a Counter of epochs (integers >= 0) to how often each is listed (>= 1)."""
    if not isinstance(value, Counter):
        raise TypeError(f"{_prefix(owner)}: invalid {key}: {show(value)} (expected a collections.Counter of epochs)")
    for epoch, count in value.items():
        ok = all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in (epoch, count))
        if not ok or epoch < 0 or count < 1:
            raise ValueError(
                f"{_prefix(owner)}: invalid {key}: {show(value)} (entry {show(epoch)}: {show(count)}; expected "
                "epochs >= 0 counted >= 1 times)"
            )
    return value


class MultiStepLR(LRScheduler):
    r"""Multiply the lr by ``gamma`` at each milestone epoch.

    .. math::
        \eta_t = \eta_0 \cdot \gamma^{\#\{m \in \text{milestones} : m \le t\}}

    A milestone listed twice decays twice.

    Args:
        optimizer: wrapped optimizer.
        milestones (list of int): epochs, non-decreasing, each >= 0.
        gamma (float): multiplicative factor. Default: 0.1.
        last_epoch (int): index of the last epoch. Default: -1.

    Example:
        >>> from course.optim.lr_scheduler import MultiStepLR, simulate
        >>> simulate(lambda opt: MultiStepLR(opt, milestones=[1, 3], gamma=0.5), 5, lr=1.0).tolist()
        [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    _state_checks = {
        **BASE_STATE_CHECKS,
        "milestones": _milestone_counter,
        "gamma": state_real(0, low_open=True, finite=True),
    }

    def __init__(self, optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1) -> None:
        milestones = list(milestones)
        for m in milestones:
            check_int("milestones entry", m, 0)
        if milestones != sorted(milestones):
            raise ValueError(f"Invalid milestones: {milestones} (expected a non-decreasing list)")
        check_positive("gamma", gamma)
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_if_get_lr_called_directly()
        if self.last_epoch not in self.milestones:
            return group_values(self.optimizer, "lr")
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        milestones = sorted(self.milestones.elements())
        return [base_lr * self.gamma ** bisect_right(milestones, self.last_epoch) for base_lr in self.base_lrs]
