"""LambdaLR and MultiplicativeLR: schedules given by a function of the epoch."""
from __future__ import annotations

import copy
import types

from .base import (
    check_state_values,
    copied_state,
    group_values,
    load_callable_states,
    LRScheduler,
    _prefix,
    zip_groups,
)

__all__ = ["LambdaLR", "MultiplicativeLR"]


def _lambdas(optimizer, lr_lambda) -> list:
    n = len(optimizer.param_groups)
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != n:
            raise ValueError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
        fns = list(lr_lambda)
    else:
        fns = [lr_lambda] * n
    for fn in fns:
        if not callable(fn):
            raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
    return fns


class _FunctionState:
    """One function (or one per group) of the epoch.  state_dict keeps a callable object's
    ``__dict__``; plain functions and lambdas are not saved.  A step in which a function
    raises changes nothing (the callable objects' ``__dict__`` included)."""

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1) -> None:
        self.optimizer = optimizer
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict:
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else getattr(fn, "__dict__", None)
            for fn in self.lr_lambdas
        ]
        return copy.deepcopy(state)

    def _checked_state(self, state_dict) -> dict:
        # as torch: 'lr_lambdas' is needed, and entry i (not None) is loaded into lr_lambdas[i].__dict__
        owner = type(self).__name__
        state = copied_state(self, state_dict, required=("lr_lambdas",))
        state["lr_lambdas"] = load_callable_states(self, "lr_lambdas", self.lr_lambdas, state["lr_lambdas"], owner)
        check_state_values(self, state, self._state_checks)
        self._check_loaded_lengths(owner, state)
        return state

    def _check_loaded_lengths(self, owner: str, state: dict) -> None:
        pass

    def _apply_state(self, state: dict) -> None:
        saved = state.pop("lr_lambdas")
        self.__dict__.update(state)
        for fn, fn_state in zip(self.lr_lambdas, saved):
            if fn_state is not None:
                fn.__dict__.update(fn_state)


class LambdaLR(_FunctionState, LRScheduler):
    r"""Set each group's lr to its initial lr times a function of the epoch.

    .. math::
        \eta_t = \eta_0 \cdot \lambda(t)

    (closed form: computed from ``base_lrs`` at every step).

    Args:
        optimizer: wrapped optimizer.
        lr_lambda (callable or list): ``epoch -> factor``, or one such function per group.
        last_epoch (int): index of the last epoch. Default: -1.

    Example:
        >>> from course.optim.lr_scheduler import LambdaLR, simulate
        >>> simulate(lambda opt: LambdaLR(opt, lambda epoch: 1 / (epoch + 1)), 4, lr=1.0).tolist()
        [1.0, 0.5, 0.3333333333333333, 0.25]
    """

    def get_lr(self) -> list:
        self._warn_if_get_lr_called_directly()
        pairs = zip_groups(type(self).__name__, lr_lambdas=self.lr_lambdas, base_lrs=self.base_lrs)
        return [base_lr * fn(self.last_epoch) for fn, base_lr in pairs]

    def _check_loaded_lengths(self, owner: str, state: dict) -> None:
        # get_lr zips lr_lambdas with base_lrs: torch would fail at the next step
        base_lrs = state.get("base_lrs", self.base_lrs)
        if len(base_lrs) != len(self.lr_lambdas):
            raise ValueError(
                f"{_prefix(owner)}: invalid base_lrs: {len(base_lrs)} entries, but {owner} has "
                f"{len(self.lr_lambdas)} lr_lambdas"
            )


class MultiplicativeLR(_FunctionState, LRScheduler):
    r"""Multiply each group's lr by a function of the epoch, at every step after the first.

    .. math::
        \eta_t = \eta_{t-1} \cdot \lambda(t) \quad (t \ge 1), \qquad \eta_0 = \text{lr}

    Args:
        optimizer: wrapped optimizer.
        lr_lambda (callable or list): ``epoch -> factor``, or one such function per group.
        last_epoch (int): index of the last epoch. Default: -1.

    Example:
        >>> from course.optim.lr_scheduler import MultiplicativeLR, simulate
        >>> simulate(lambda opt: MultiplicativeLR(opt, lambda epoch: 0.5), 4, lr=1.0).tolist()
        [1.0, 0.5, 0.25, 0.125]
    """

    def get_lr(self) -> list:
        self._warn_if_get_lr_called_directly()
        if self._is_initial:
            return group_values(self.optimizer, "lr")
        pairs = zip_groups(type(self).__name__, lr_lambdas=self.lr_lambdas, param_groups=self.optimizer.param_groups)
        return [group["lr"] * fn(self.last_epoch) for fn, group in pairs]
