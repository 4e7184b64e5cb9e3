"""ChainedScheduler (several schedulers at once) and SequentialLR (one after another)."""
from __future__ import annotations

import copy
from bisect import bisect_right

from .base import (
    check_int,
    check_optimizer,
    check_state_values,
    copied_state,
    group_value,
    group_values,
    LRScheduler,
    _prefix,
    show,
    state_int,
    state_reals,
    transaction,
)
from .plateau import ReduceLROnPlateau

__all__ = ["ChainedScheduler", "SequentialLR"]


def _check_schedulers(owner: str, schedulers, optimizer) -> None:
    for i, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{owner} at index {i} should have `optimizer` as its attribute.")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(
                f"{owner} does not support `ReduceLROnPlateau` scheduler as it requires additional "
                f"kwargs to be specified when calling `step`, but got one at index {i} in the given "
                "schedulers sequence."
            )
        if scheduler.optimizer is not optimizer:
            raise ValueError(
                f"{owner} expects all schedulers to belong to the same optimizer, but got scheduler "
                f"{type(scheduler).__name__} at index {i} has {scheduler.optimizer}, which is different "
                f"from {type(optimizer).__name__}."
            )


class _Composite:
    """state_dict holds the state of every wrapped scheduler; loading checks them all before any is loaded."""

    def state_dict(self) -> dict:
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state = copy.deepcopy(state)
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def _checked_state(self, state_dict) -> dict:
        owner = type(self).__name__
        state = copied_state(self, state_dict, required=("_schedulers",))
        inner = state["_schedulers"]
        if not isinstance(inner, (list, tuple)):
            raise TypeError(
                f"{_prefix(owner)}: invalid _schedulers: {show(inner)} (expected a list with the state_dict of "
                "each wrapped scheduler)"
            )
        if len(inner) != len(self._schedulers):
            raise ValueError(
                f"{_prefix(owner)}: invalid _schedulers: {len(inner)} state dicts, but {owner} wraps "
                f"{len(self._schedulers)} schedulers"
            )
        checked = []
        for i, (scheduler, sub_state) in enumerate(zip(self._schedulers, inner)):
            check = getattr(scheduler, "_checked_state", None)
            try:
                checked.append((True, check(sub_state)) if check is not None else (False, sub_state))
            except (TypeError, ValueError) as err:  # the same type, saying which scheduler
                raise type(err)(f"{_prefix(owner)}: _schedulers[{i}]: {err}") from None
        state["_schedulers"] = checked
        check_state_values(self, state, self._state_checks)
        return state

    def _apply_state(self, state: dict) -> None:
        inner = state.pop("_schedulers")
        self.__dict__.update(state)
        for scheduler, (checked, sub_state) in zip(self._schedulers, inner):
            if checked:
                scheduler._apply_state(sub_state)
            else:  # not a course scheduler: its own load_state_dict
                scheduler.load_state_dict(sub_state)


class ChainedScheduler(_Composite, LRScheduler):
    r"""Step several chainable schedulers together: their effects multiply.

    .. code-block:: text

        step():  for s in schedulers: s.step()

    Args:
        schedulers (sequence): the schedulers, all on the same optimizer.
        optimizer: the optimizer (default: that of the first scheduler).

    Example:
        >>> from course.optim.lr_scheduler import ChainedScheduler, ConstantLR, ExponentialLR, simulate
        >>> def factory(opt):
        ...     return ChainedScheduler([ConstantLR(opt, factor=0.5, total_iters=2), ExponentialLR(opt, gamma=0.5)])
        >>> simulate(factory, 4, lr=1.0).tolist()
        [0.5, 0.25, 0.25, 0.125]
    """

    _state_checks = {"_last_lr": state_reals()}

    def __init__(self, schedulers, optimizer=None) -> None:
        schedulers = list(schedulers)
        if len(schedulers) < 1:
            raise ValueError(
                f"{type(self).__name__} expects at least one scheduler to be chained, but got no scheduler."
            )
        optimizer = optimizer or schedulers[0].optimizer
        check_optimizer(optimizer)
        _check_schedulers(type(self).__name__, schedulers, optimizer)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = group_values(schedulers[-1].optimizer, "lr")

    def step(self) -> None:
        """Step every scheduler; if one raises, the ones before it are undone too."""
        with transaction(self):
            for scheduler in self._schedulers:
                scheduler.step()
            self._last_lr = group_values(self._schedulers[-1].optimizer, "lr")


class SequentialLR(_Composite, LRScheduler):
    r"""Run schedulers one after another, switching at the milestone epochs.

    .. code-block:: text

        construction: lr = initial_lr; undo the other schedulers' construction steps
        step():       t += 1; i = number of milestones <= t
                      t == milestones[i-1]: schedulers[i] restarts at its epoch 0 (closed form)
                      otherwise:            schedulers[i].step()

    Args:
        optimizer: wrapped optimizer.
        schedulers (list): the schedulers, all on ``optimizer``.
        milestones (list of int): increasing epochs; one fewer than schedulers.
        last_epoch (int): index of the last epoch. Default: -1.

    Example:
        >>> from course.optim.lr_scheduler import SequentialLR, ConstantLR, ExponentialLR, simulate
        >>> def factory(opt):
        ...     warmup = ConstantLR(opt, factor=0.1, total_iters=2)
        ...     decay = ExponentialLR(opt, gamma=0.5)
        ...     return SequentialLR(opt, [warmup, decay], milestones=[2])
        >>> simulate(factory, 5, lr=1.0).round(6).tolist()
        [0.1, 0.1, 1.0, 0.5, 0.25]
    """

    _state_checks = {"last_epoch": state_int(), "_last_lr": state_reals()}  # _milestones: _checked_state

    def __init__(self, optimizer, schedulers, milestones, last_epoch: int = -1) -> None:
        schedulers = list(schedulers)
        milestones = list(milestones)
        name = type(self).__name__
        if len(schedulers) < 1:
            raise ValueError(f"{name} expects at least one scheduler, but got no scheduler.")
        check_optimizer(optimizer)
        _check_schedulers(name, schedulers, optimizer)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more than the number "
                f"of milestone points, but got number of schedulers {len(schedulers)} and the number of "
                f"milestones to be equal to {len(milestones)}"
            )
        for m in milestones:
            check_int("milestones entry", m, 0)
        if any(b <= a for a, b in zip(milestones, milestones[1:])):
            raise ValueError(f"Invalid milestones: {milestones} (expected an increasing list)")
        # a construction that fails leaves the groups and the wrapped schedulers as they were
        with transaction(self, optimizer, also=schedulers):
            self._schedulers = schedulers
            self._milestones = milestones
            self.last_epoch = last_epoch + 1
            self.optimizer = optimizer
            groups = optimizer.param_groups
            lrs = [group_value(groups, i, "initial_lr", name, "set by the wrapped schedulers")
                   for i in range(len(groups))]
            for group, lr in zip(groups, lrs):
                group["lr"] = lr
            # every wrapped scheduler already took its construction step: take it back
            self._undo_construction_step(self)
            first = self._schedulers[bisect_right(self._milestones, 0)]
            first._initial_step()
            self._last_lr = first.get_last_lr()

    def _undo_construction_step(self, scheduler) -> None:
        if hasattr(scheduler, "_schedulers"):
            for s in scheduler._schedulers:
                self._undo_construction_step(s)
        elif hasattr(scheduler, "last_epoch"):
            scheduler.last_epoch -= 1

    def step(self) -> None:
        """One epoch of the scheduler whose turn it is (all or nothing)."""
        with transaction(self):
            self.last_epoch += 1
            idx = bisect_right(self._milestones, self.last_epoch)
            scheduler = self._schedulers[idx]
            if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
                scheduler._update_lr(0)  # restart the next scheduler at its epoch 0
            else:
                scheduler.step()
            self._last_lr = scheduler.get_last_lr()

    def _checked_state(self, state_dict) -> dict:
        state = super()._checked_state(state_dict)
        if "_milestones" in state:
            owner = type(self).__name__
            milestones = state["_milestones"]
            where = f"{_prefix(owner)}: invalid _milestones: {show(milestones)}"
            if not isinstance(milestones, (list, tuple)):
                raise TypeError(f"{where} (expected a list of increasing epochs)")
            for m in milestones:
                if not isinstance(m, int) or isinstance(m, bool):
                    raise TypeError(f"{where} (expected a list of increasing epochs, integers)")
            if any(m < 0 for m in milestones) or any(b <= a for a, b in zip(milestones, milestones[1:])):
                raise ValueError(f"{where} (expected a list of increasing epochs >= 0)")
            if len(milestones) != len(self._schedulers) - 1:
                raise ValueError(f"{where} (expected {len(self._schedulers) - 1}: one fewer than the schedulers)")
        return state
