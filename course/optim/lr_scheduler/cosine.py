"""Cosine annealing (Loshchilov & Hutter, SGDR, https://arxiv.org/abs/1608.03983), without and with warm restarts."""
from __future__ import annotations

import math
import numbers

from .base import (
    BASE_STATE_CHECKS,
    check_epoch,
    check_real,
    group_values,
    _is_real,
    LRScheduler,
    _prefix,
    show,
    state_int,
    state_real,
    transaction,
    zip_groups,
)

__all__ = ["CosineAnnealingLR", "CosineAnnealingWarmRestarts"]


def _float_or_int(owner, key, value):
    """The check of the constructor: a float or an int."""
    if not isinstance(value, (float, int)):
        raise TypeError(f"{_prefix(owner)}: invalid {key}: {show(value)} (expected a float or an int)")
    return value


class CosineAnnealingLR(LRScheduler):
    r"""Anneal the lr along half a cosine from its initial value to ``eta_min`` in ``T_max`` epochs.

    .. math::
        \eta_t = \eta_{min} + \tfrac12(\eta_0 - \eta_{min})\left(1 + \cos\frac{\pi t}{T_{max}}\right)

    Chainable, as torch computes it: each step rescales the distance to ``eta_min``,

    .. math::
        \eta_{t} = \eta_{min} + (\eta_{t-1} - \eta_{min})
                   \frac{1 + \cos(\pi t / T_{max})}{1 + \cos(\pi (t-1) / T_{max})}

    and past ``T_max`` the cosine keeps going: the lr climbs back up (no restart).

    Args:
        optimizer: wrapped optimizer.
        T_max (int): half period in epochs (> 0).
        eta_min (float): the lowest lr. Default: 0.
        last_epoch (int): index of the last epoch. Default: -1.

    Example:
        >>> from course.optim.lr_scheduler import CosineAnnealingLR, simulate
        >>> simulate(lambda opt: CosineAnnealingLR(opt, T_max=2), 5, lr=1.0).round(6).tolist()
        [1.0, 0.5, 0.0, 0.5, 1.0]
    """

    _state_checks = {**BASE_STATE_CHECKS, "T_max": state_real(0, low_open=True), "eta_min": state_real()}

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        if not _is_real(T_max) or not T_max > 0:
            raise ValueError(f"Invalid T_max: {T_max!r} (expected a positive number of epochs)")
        check_real("eta_min", eta_min)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_if_get_lr_called_directly()
        groups = self.optimizer.param_groups
        if self._is_initial:
            return group_values(self.optimizer, "lr")
        if self._step_count == 1 and self.last_epoch > 0:
            # resumed with last_epoch > 0: start from the closed form
            return [
                self.eta_min + (base_lr - self.eta_min) * (1 + math.cos((self.last_epoch) * math.pi / self.T_max)) / 2
                for base_lr, _ in zip_groups(type(self).__name__, base_lrs=self.base_lrs, param_groups=groups)
            ]
        if (self.last_epoch - 1 - self.T_max) % (2 * self.T_max) == 0:
            # leaving the minimum: the ratio form would divide by 1 + cos(pi) = 0
            return [
                group["lr"] + (base_lr - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2
                for base_lr, group in zip_groups(type(self).__name__, base_lrs=self.base_lrs, param_groups=groups)
            ]
        return [
            (1 + math.cos(math.pi * self.last_epoch / self.T_max))
            / (1 + math.cos(math.pi * (self.last_epoch - 1) / self.T_max))
            * (group["lr"] - self.eta_min)
            + self.eta_min
            for group in groups
        ]

    def _get_closed_form_lr(self) -> list:
        return [
            self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
            for base_lr in self.base_lrs
        ]


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing that restarts from the initial lr every ``T_i`` epochs (SGDR).

    .. math::
        \eta_t = \eta_{min} + \tfrac12(\eta_0 - \eta_{min})\left(1 + \cos\frac{\pi T_{cur}}{T_i}\right),
        \qquad T_0 \to T_1 = T_0 T_{mult} \to \dots

    ``T_cur`` counts epochs since the last restart; ``step(epoch)`` accepts fractional
    epochs (e.g. ``epoch + i / iters`` once per batch). Closed form from ``base_lrs``.

    Args:
        optimizer: wrapped optimizer.
        T_0 (int): epochs until the first restart (>= 1).
        T_mult (int): factor by which the period grows after each restart (>= 1). Default: 1.
        eta_min (float): the lowest lr. Default: 0.
        last_epoch (int): index of the last epoch. Default: -1.

    Example:
        >>> from course.optim.lr_scheduler import CosineAnnealingWarmRestarts, simulate
        >>> simulate(lambda opt: CosineAnnealingWarmRestarts(opt, T_0=2), 5, lr=1.0).round(6).tolist()
        [1.0, 0.5, 1.0, 0.5, 1.0]
    """

    _state_checks = {
        **BASE_STATE_CHECKS,
        "T_0": state_int(1),
        "T_i": state_int(1),
        "T_mult": state_int(1),
        "eta_min": _float_or_int,
        "T_cur": state_real(finite=True),
        "last_epoch": state_int(),
    }

    def __init__(self, optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        if not isinstance(T_0, int) or isinstance(T_0, bool) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if not isinstance(T_mult, int) or isinstance(T_mult, bool) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f"Expected float or int eta_min, but got {eta_min} of type {type(eta_min)}")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_if_get_lr_called_directly()
        return [
            self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
            for base_lr in self.base_lrs
        ]

    def step(self, epoch=None) -> None:
        """Advance one epoch, or jump to ``epoch`` (may be fractional: call it once per batch).

        As in torch this step neither counts calls nor warns about the call order.  The new
        ``T_cur``, ``T_i`` and ``last_epoch`` are computed first: a bad epoch changes nothing.
        """
        owner = type(self).__name__
        if epoch is not None:
            check_epoch(owner, epoch)
        T_cur, T_i = self.T_cur, self.T_i
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            T_cur = T_cur + 1
            if T_cur >= T_i:
                T_cur = T_cur % T_i
                T_i = T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            if not isinstance(epoch, numbers.Integral) and not math.isfinite(epoch):
                # torch: math.floor's ValueError (NaN) or OverflowError (inf), after T_cur changed
                error = ValueError if math.isnan(epoch) else OverflowError
                raise error(f"Expected a finite epoch, but got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    T_cur = epoch % self.T_0
                else:
                    # n restarts so far: T_0 (T_mult^n - 1) / (T_mult - 1) <= epoch
                    n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
                    T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                    T_i = self.T_0 * self.T_mult ** (n)
            else:
                T_i = self.T_0
                T_cur = epoch
        last_epoch = math.floor(epoch)
        with transaction(self):
            self.T_cur, self.T_i, self.last_epoch = T_cur, T_i, last_epoch
            self._get_lr_called_within_step = True
            try:
                values = self.get_lr()
            finally:
                self._get_lr_called_within_step = False
            self._set_lrs(values)

