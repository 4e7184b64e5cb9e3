"""PolynomialLR: decay the lr to zero along a polynomial in total_iters epochs."""
from __future__ import annotations

from .base import BASE_STATE_CHECKS, LRScheduler, _is_real, check_int, group_values, state_int, state_real

__all__ = ["PolynomialLR"]


class PolynomialLR(LRScheduler):
    r"""Decay the lr polynomially to 0 over ``total_iters`` epochs, then hold it.

    .. math::
        \eta_t = \eta_0 \left(1 - \frac{\min(t, T)}{T}\right)^{p}

    Chainable: each step multiplies the lr by ``((1 - t/T) / (1 - (t-1)/T)) ** p``.

    Args:
        optimizer: wrapped optimizer.
        total_iters (int): number of decay epochs (>= 1). Default: 5.
        power (float): the power p (>= 0). Default: 1.0.
        last_epoch (int): index of the last epoch. Default: -1.

    Example:
        >>> from course.optim.lr_scheduler import PolynomialLR, simulate
        >>> simulate(lambda opt: PolynomialLR(opt, total_iters=4, power=1.0), 6, lr=1.0).tolist()
        [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """

    _state_checks = {**BASE_STATE_CHECKS, "total_iters": state_int(1), "power": state_real(0)}

    def __init__(self, optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1) -> None:
        check_int("total_iters", total_iters, 1)
        if not _is_real(power) or not power >= 0:
            raise ValueError(f"Invalid power: {power!r} (expected a number >= 0)")
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_if_get_lr_called_directly()
        if self._is_initial or self.last_epoch > self.total_iters:
            return group_values(self.optimizer, "lr")
        decay = (
            (1.0 - self.last_epoch / self.total_iters) / (1.0 - (self.last_epoch - 1) / self.total_iters)
        ) ** self.power
        return [group["lr"] * decay for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        return [
            base_lr * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
            for base_lr in self.base_lrs
        ]
