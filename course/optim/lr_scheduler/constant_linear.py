"""ConstantLR and LinearLR: the two warmup schedules (a constant factor, or a linear ramp)."""
from __future__ import annotations

from .base import BASE_STATE_CHECKS, LRScheduler, _is_real, check_int, group_values, state_int, state_real

__all__ = ["ConstantLR", "LinearLR"]


class ConstantLR(LRScheduler):
    r"""Multiply the lr by ``factor`` for the first ``total_iters`` epochs.

    .. math::
        \eta_t = \eta_0 \cdot \begin{cases} \text{factor} & t < \text{total\_iters} \\
                                             1 & t \ge \text{total\_iters} \end{cases}

    Chainable: the lr is multiplied by ``factor`` at epoch 0 and by ``1 / factor``
    at epoch ``total_iters``.

    Args:
        optimizer: wrapped optimizer.
        factor (float): in [0, 1]. Default: 1/3.
        total_iters (int): number of epochs at the reduced lr. Default: 5.
        last_epoch (int): index of the last epoch. Default: -1.

    Example:
        >>> from course.optim.lr_scheduler import ConstantLR, simulate
        >>> simulate(lambda opt: ConstantLR(opt, factor=0.5, total_iters=2), 4, lr=1.0).tolist()
        [0.5, 0.5, 1.0, 1.0]
    """

    _state_checks = {**BASE_STATE_CHECKS, "factor": state_real(0, 1), "total_iters": state_int(0)}

    def __init__(self, optimizer, factor: float = 1.0 / 3, total_iters: int = 5, last_epoch: int = -1) -> None:
        if not _is_real(factor) or factor > 1.0 or factor < 0 or factor != factor:
            raise ValueError(f"Constant multiplicative factor expected to be between 0 and 1, but got factor={factor!r}.")
        check_int("total_iters", total_iters, 0)
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_if_get_lr_called_directly()
        if self.last_epoch == 0:
            return [group["lr"] * self.factor for group in self.optimizer.param_groups]
        if self.last_epoch != self.total_iters:
            return group_values(self.optimizer, "lr")
        return [group["lr"] * (1.0 / self.factor) for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        return [
            base_lr * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
            for base_lr in self.base_lrs
        ]


class LinearLR(LRScheduler):
    r"""Ramp the lr's factor linearly from ``start_factor`` to ``end_factor`` over ``total_iters`` epochs.

    .. math::
        \eta_t = \eta_0 \left(s + (e - s)\,\frac{\min(t, T)}{T}\right)

    Chainable: each step multiplies the current lr by the ratio of successive factors,
    ``1 + (e - s) / (T s + (t - 1)(e - s))``.

    Args:
        optimizer: wrapped optimizer.
        start_factor (float): in (0, 1]. Default: 1/3.
        end_factor (float): in [0, 1]. Default: 1.0.
        total_iters (int): length of the ramp in epochs (>= 0; 0 keeps start_factor, as torch). Default: 5.
        last_epoch (int): index of the last epoch. Default: -1.

    Example:
        >>> from course.optim.lr_scheduler import LinearLR, simulate
        >>> simulate(lambda opt: LinearLR(opt, start_factor=0.25, total_iters=3), 5, lr=1.0).tolist()
        [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    _state_checks = {
        **BASE_STATE_CHECKS,
        "start_factor": state_real(0, 1, low_open=True),
        "end_factor": state_real(0, 1),
        "total_iters": state_int(0),
    }

    def __init__(
        self,
        optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if not _is_real(start_factor) or not 0 < start_factor <= 1.0:
            raise ValueError(
                "Starting multiplicative factor expected to be greater than 0 and less or equal to 1, "
                f"but got start_factor={start_factor!r}."
            )
        if not _is_real(end_factor) or not 0 <= end_factor <= 1.0:
            raise ValueError(
                f"Ending multiplicative factor expected to be between 0 and 1, but got end_factor={end_factor!r}."
            )
        check_int("total_iters", total_iters, 0)  # 0 as torch: the lr stays at start_factor
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_if_get_lr_called_directly()
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in self.optimizer.param_groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return group_values(self.optimizer, "lr")
        delta = self.end_factor - self.start_factor
        ratio = 1.0 + delta / (self.total_iters * self.start_factor + (self.last_epoch - 1) * delta)
        return [group["lr"] * ratio for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        return [
            base_lr
            * (
                self.start_factor
                + (self.end_factor - self.start_factor) * min(self.total_iters, self.last_epoch) / self.total_iters
            )
            for base_lr in self.base_lrs
        ]
