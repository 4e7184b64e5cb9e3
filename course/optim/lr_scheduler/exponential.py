"""ExponentialLR: multiply the lr by gamma every epoch."""
from __future__ import annotations

from .base import BASE_STATE_CHECKS, LRScheduler, check_positive, group_values, state_real

__all__ = ["ExponentialLR"]


class ExponentialLR(LRScheduler):
    r"""Multiply the lr by ``gamma`` every epoch.

    .. math::
        \eta_t = \eta_0 \cdot \gamma^t

    Args:
        optimizer: wrapped optimizer.
        gamma (float): multiplicative factor (> 0).
        last_epoch (int): index of the last epoch. Default: -1.

    Example:
        >>> from course.optim.lr_scheduler import ExponentialLR, simulate
        >>> simulate(lambda opt: ExponentialLR(opt, gamma=0.5), 4, lr=1.0).tolist()
        [1.0, 0.5, 0.25, 0.125]
    """

    _state_checks = {**BASE_STATE_CHECKS, "gamma": state_real(0, low_open=True, finite=True)}

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1) -> None:
        check_positive("gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_if_get_lr_called_directly()
        # the construction step must not decay (a resumed scheduler would run one step ahead)
        if self._is_initial:
            return group_values(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]
