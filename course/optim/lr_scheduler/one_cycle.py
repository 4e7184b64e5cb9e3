"""OneCycleLR (Smith & Topin, Super-Convergence, https://arxiv.org/abs/1708.07120)."""
from __future__ import annotations

import math
import numbers

from .base import (
    BASE_STATE_CHECKS,
    check_optimizer,
    check_positive,
    format_param,
    group_value,
    LRScheduler,
    _prefix,
    show,
    state_bool,
    state_choice,
    state_int,
    transaction,
)
from .cyclic import checked_momentum_groups, momentum_key, set_momentum

__all__ = ["OneCycleLR"]


def _anneal_cos(start: float, end: float, pct: float) -> float:
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


def _anneal_linear(start: float, end: float, pct: float) -> float:
    return (end - start) * pct + start


_LR_KEYS = ("initial_lr", "max_lr", "min_lr")
_MOMENTUM_KEYS = ("max_momentum", "base_momentum")
_PHASE_KEYS = {"end_step", "start_lr", "end_lr", "start_momentum", "end_momentum"}


def _schedule_phases(owner, key, value):
    """A saved ``_schedule_phases``: a list of phases, each naming the group keys it anneals between."""
    where = f"{_prefix(owner)}: invalid {key}"
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{where}: {show(value)} (expected a list of phase dicts)")
    if not value:
        raise ValueError(f"{where}: {show(value)} (expected at least one phase)")
    for i, phase in enumerate(value):
        if not isinstance(phase, dict):
            raise TypeError(f"{where}[{i}]: {show(phase)} (expected a dict with keys {sorted(_PHASE_KEYS)})")
        if set(phase) != _PHASE_KEYS:
            raise ValueError(f"{where}[{i}]: {show(phase)} (expected the keys {sorted(_PHASE_KEYS)})")
        end = phase["end_step"]
        if not isinstance(end, numbers.Real) or isinstance(end, bool):
            raise TypeError(f"{where}[{i}]['end_step']: {show(end)} (expected a finite real number)")
        if not math.isfinite(end):
            raise ValueError(f"{where}[{i}]['end_step']: {show(end)} (expected a finite real number)")
        for name, allowed in (("start_lr", _LR_KEYS), ("end_lr", _LR_KEYS),
                              ("start_momentum", _MOMENTUM_KEYS), ("end_momentum", _MOMENTUM_KEYS)):
            if phase[name] not in allowed:
                raise ValueError(f"{where}[{i}][{name!r}]: {show(phase[name])} (expected one of {allowed})")
    return value


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy: warm the lr up to ``max_lr``, then anneal it far below the start (per batch).

    .. code-block:: text

        initial_lr = max_lr / div_factor;  min_lr = initial_lr / final_div_factor
        two phases (default):  initial_lr -> max_lr      over pct_start * total_steps - 1 steps
                               max_lr     -> min_lr      until step total_steps - 1
        three_phase=True:      initial_lr -> max_lr -> initial_lr (symmetric), then -> min_lr
        momentum (or beta1) moves the opposite way, max_momentum <-> base_momentum.

    Each piece is a cosine (``anneal_strategy='cos'``) or a straight line ('linear'),
    computed in closed form. The scheduler may be stepped ``total_steps`` times; one
    more step raises ValueError.

    Args:
        optimizer: wrapped optimizer.
        max_lr (float or list): peak lr, per group.
        total_steps (int): steps in the cycle; or give ``epochs`` and ``steps_per_epoch``.
        epochs (int), steps_per_epoch (int): total_steps = epochs * steps_per_epoch.
        pct_start (float): fraction of the cycle spent warming up. Default: 0.3.
        anneal_strategy (str): 'cos' or 'linear'. Default: 'cos'.
        cycle_momentum (bool): cycle momentum or beta1 inversely. Default: True.
        base_momentum (float or list): momentum at the peak lr. Default: 0.85.
        max_momentum (float or list): momentum at the ends. Default: 0.95.
        div_factor (float): initial_lr = max_lr / div_factor. Default: 25.
        final_div_factor (float): min_lr = initial_lr / final_div_factor. Default: 1e4.
        three_phase (bool): the paper's three phases instead of fastai's two. Default: False.
        last_epoch (int): index of the last batch. Default: -1.

    Example:
        >>> from course.optim.lr_scheduler import OneCycleLR, simulate
        >>> f = lambda opt: OneCycleLR(opt, max_lr=1.0, total_steps=6, pct_start=0.5,
        ...                            anneal_strategy="linear", div_factor=4.0, final_div_factor=1.0)
        >>> simulate(f, 6).tolist()
        [0.25, 0.625, 1.0, 0.75, 0.5, 0.25]
    """

    _state_checks = {
        **BASE_STATE_CHECKS,
        "total_steps": state_int(1),
        "_schedule_phases": _schedule_phases,
        "_anneal_func_type": state_choice("cos", "linear"),
        "cycle_momentum": state_bool,
        "use_beta1": state_bool,
    }

    def __init__(
        self,
        optimizer,
        max_lr,
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum=0.85,
        max_momentum=0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        # check everything before writing anything into the optimizer
        check_optimizer(optimizer)
        if total_steps is not None:
            if not isinstance(total_steps, int) or isinstance(total_steps, bool) or total_steps <= 0:
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {epochs}")
            if not isinstance(steps_per_epoch, int) or isinstance(steps_per_epoch, bool) or steps_per_epoch <= 0:
                raise ValueError(f"Expected positive integer steps_per_epoch, but got {steps_per_epoch}")
            total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        if not isinstance(pct_start, float) or pct_start < 0 or pct_start > 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        check_positive("div_factor", div_factor)
        check_positive("final_div_factor", final_div_factor)
        max_lrs = format_param("max_lr", optimizer, max_lr)
        if cycle_momentum:
            use_beta1 = momentum_key(optimizer, "OneCycleLR")
            max_momentums = format_param("max_momentum", optimizer, max_momentum)
            base_momentums = format_param("base_momentum", optimizer, base_momentum)

        with transaction(self, optimizer):  # a construction that fails leaves the groups as they were
            self.optimizer = optimizer
            self.total_steps = total_steps
            up_end = float(pct_start * total_steps) - 1
            if three_phase:
                self._schedule_phases = [
                    _phase(up_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                    _phase(float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr", "base_momentum",
                           "max_momentum"),
                    _phase(total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
                ]
            else:
                self._schedule_phases = [
                    _phase(up_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                    _phase(total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
                ]
            self._anneal_func_type = anneal_strategy
            if last_epoch == -1:
                for m, group in zip(max_lrs, optimizer.param_groups, strict=True):
                    group["initial_lr"] = m / div_factor
                    group["max_lr"] = m
                    group["min_lr"] = group["initial_lr"] / final_div_factor
            self.cycle_momentum = cycle_momentum
            if cycle_momentum:
                self.use_beta1 = use_beta1
                if last_epoch == -1:
                    for m_max, m_base, group in zip(max_momentums, base_momentums, optimizer.param_groups, strict=True):
                        set_momentum(group, use_beta1, m_max)
                        group["max_momentum"] = m_max
                        group["base_momentum"] = m_base
            super().__init__(optimizer, last_epoch)

    def _anneal_func(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            return _anneal_cos(start, end, pct)
        return _anneal_linear(start, end, pct)

    def get_lr(self) -> list:
        """The lrs at ``last_epoch``; also writes the annealed momentum (or beta1), as torch does.

        Every group's lr and momentum is computed before anything is written.
        """
        self._warn_if_get_lr_called_directly()
        owner = type(self).__name__
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise ValueError(
                f"Tried to step {step_num} times. The specified number of total steps is {self.total_steps}"
            )
        groups = self.optimizer.param_groups
        why = "OneCycleLR writes it into each group when it is created; a group added later needs it too"
        lrs, momentums = [], []
        for g in range(len(groups)):
            start_step = 0.0
            last = len(self._schedule_phases) - 1
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step_num <= end_step or i == last:
                    pct = (step_num - start_step) / (end_step - start_step)
                    start, end = (group_value(groups, g, phase[k], owner, why) for k in ("start_lr", "end_lr"))
                    lrs.append(self._anneal_func(start, end, pct))
                    if self.cycle_momentum:
                        start, end = (
                            group_value(groups, g, phase[k], owner, why) for k in ("start_momentum", "end_momentum")
                        )
                        momentums.append(self._anneal_func(start, end, pct))
                    break
                start_step = phase["end_step"]
        if self.cycle_momentum:
            for group, m in checked_momentum_groups(owner, groups, momentums, self.use_beta1):
                set_momentum(group, self.use_beta1, m)
        return lrs

    def _checked_state(self, state_dict) -> dict:
        state = super()._checked_state(state_dict)
        if {**self.__dict__, **state}.get("cycle_momentum") and "use_beta1" not in {**self.__dict__, **state}:
            raise ValueError(f"{_prefix(type(self).__name__)}: cycle_momentum is True, but there is no use_beta1")
        return state


def _phase(end_step, start_lr, end_lr, start_momentum, end_momentum) -> dict:
    return {
        "end_step": end_step,
        "start_lr": start_lr,
        "end_lr": end_lr,
        "start_momentum": start_momentum,
        "end_momentum": end_momentum,
    }
