"""CyclicLR (Smith, Cyclical Learning Rates for Training Neural Networks, https://arxiv.org/abs/1506.01186)."""
from __future__ import annotations

import copy
import math
import types

from .base import (
    BASE_STATE_CHECKS,
    check_optimizer,
    check_positive,
    check_same_length,
    check_state_values,
    copied_state,
    format_param,
    group_value,
    _is_real,
    load_callable_states,
    LRScheduler,
    _prefix,
    show,
    state_bool,
    state_choice,
    state_real,
    state_reals,
    transaction,
    zip_groups,
)

__all__ = ["CyclicLR"]


def _triangular(x: float) -> float:
    return 1.0


def _triangular2(x: float) -> float:
    return 1 / (2.0 ** (x - 1))


def set_momentum(group: dict, use_beta1: bool, value: float) -> None:
    """Write the cycled momentum: ``group['momentum']``, or beta1 of ``group['betas']``."""
    if use_beta1:
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


def checked_momentum_groups(owner: str, groups: list, momentums: list, use_beta1: bool) -> list:
    """``(group, momentum)`` pairs to write, checked in torch's order, before anything is written.

    torch writes them group by group: a group without ``betas`` (when beta1 is cycled) is its
    KeyError, and more groups than momenta its zip ValueError, each after the earlier groups
    were written.  Here they are raised at the same points, but before any write.
    """
    pairs = []
    for i, (group, m) in enumerate(zip_groups(owner, param_groups=groups, base_momentums=momentums)):
        if use_beta1:
            group_value(groups, i, "betas", owner, "the scheduler cycles beta1, the first of the group's betas")
        pairs.append((group, m))
    return pairs


def momentum_key(optimizer, name: str) -> bool:
    """True when the optimizer has betas (cycle beta1), False for momentum; else ValueError."""
    defaults = getattr(optimizer, "defaults", {})
    if "momentum" not in defaults and "betas" not in defaults:
        raise ValueError(
            f"optimizer must support momentum or beta1 with `cycle_momentum` option enabled ({name} "
            f"got {type(optimizer).__name__}, which has neither 'momentum' nor 'betas'; pass cycle_momentum=False)"
        )
    return "betas" in defaults


class CyclicLR(LRScheduler):
    r"""Cycle the lr between ``base_lr`` and ``max_lr`` along triangles (per batch).

    .. code-block:: text

        cycle = floor(1 + t / (up + down));  x = 1 + t / (up + down) - cycle      # position in [0, 1)
        h     = x / r if x <= r else (x - 1) / (r - 1)                             # r = up / (up + down)
        lr    = base_lr + (max_lr - base_lr) * h * scale(cycle or t)
        momentum = max_momentum - (max_momentum - base_momentum) * h * scale(...)

    Modes: 'triangular' (scale 1), 'triangular2' (halve the height every cycle),
    'exp_range' (scale ``gamma ** t``); or a custom ``scale_fn`` evaluated on the cycle
    number or on the iteration (``scale_mode``). Closed form from ``base_lr``.

    Args:
        optimizer: wrapped optimizer.
        base_lr (float or list): lower lr of the cycle, per group. Written into the groups.
        max_lr (float or list): upper lr of the cycle, per group.
        step_size_up (int): iterations in the rising half. Default: 2000.
        step_size_down (int): iterations in the falling half (None: step_size_up).
        mode (str): 'triangular', 'triangular2' or 'exp_range'. Default: 'triangular'.
        gamma (float): base of 'exp_range'. Default: 1.0.
        scale_fn (callable): custom scale; overrides mode. Default: None.
        scale_mode (str): 'cycle' or 'iterations', for scale_fn. Default: 'cycle'.
        cycle_momentum (bool): cycle momentum (or Adam's beta1) inversely. Default: True.
        base_momentum (float or list): momentum at the lr's peak. Default: 0.8.
        max_momentum (float or list): momentum at the lr's base. Default: 0.9.
        last_epoch (int): index of the last batch. Default: -1.

    Example:
        >>> from course.optim.lr_scheduler import CyclicLR, simulate
        >>> simulate(lambda opt: CyclicLR(opt, base_lr=0.0, max_lr=1.0, step_size_up=2), 6).tolist()
        [0.0, 0.5, 1.0, 0.5, 0.0, 0.5]
    """

    _state_checks = {
        **BASE_STATE_CHECKS,
        "max_lrs": state_reals(),
        "total_size": state_real(0, low_open=True, finite=True),
        "step_ratio": state_real(0, 1, low_open=True),
        "gamma": state_real(0, low_open=True, finite=True),
        "scale_mode": state_choice("cycle", "iterations"),
        "cycle_momentum": state_bool,
        "use_beta1": state_bool,
        "base_momentums": state_reals(),
        "max_momentums": state_reals(),
    }

    def __init__(
        self,
        optimizer,
        base_lr,
        max_lr,
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn=None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum=0.8,
        max_momentum=0.9,
        last_epoch: int = -1,
    ) -> None:
        # check everything before writing anything into the optimizer
        check_optimizer(optimizer)
        base_lrs = format_param("base_lr", optimizer, base_lr)
        max_lrs = format_param("max_lr", optimizer, max_lr)
        check_positive("step_size_up", step_size_up)
        if step_size_down is not None and (not _is_real(step_size_down) or not step_size_down >= 0):
            raise ValueError(f"Invalid step_size_down: {step_size_down!r} (expected a number >= 0)")
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(f"mode is invalid and scale_fn is None: mode={mode!r}")
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"scale_fn should be callable, but got {type(scale_fn).__name__}")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"scale_mode {scale_mode!r} is unknown (expected 'cycle' or 'iterations')")
        check_positive("gamma", gamma)
        if cycle_momentum:
            use_beta1 = momentum_key(optimizer, "CyclicLR")
            base_momentums = format_param("base_momentum", optimizer, base_momentum)
            max_momentums = format_param("max_momentum", optimizer, max_momentum)

        with transaction(self, optimizer):  # a construction that fails leaves the groups as they were
            self._build(optimizer, base_lrs, max_lrs, step_size_up, step_size_down, mode, gamma, scale_fn,
                        scale_mode, cycle_momentum, last_epoch)
            if cycle_momentum:
                self._build_momentum(use_beta1, base_momentums, max_momentums, last_epoch)
            super().__init__(optimizer, last_epoch)
            self.base_lrs = base_lrs

    def _build(self, optimizer, base_lrs, max_lrs, step_size_up, step_size_down, mode, gamma, scale_fn,
               scale_mode, cycle_momentum, last_epoch) -> None:
        self.optimizer = optimizer
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups, strict=True):
                group["lr"] = lr
        self.max_lrs = max_lrs
        step_size_up = float(step_size_up)
        step_size_down = float(step_size_down) if step_size_down is not None else step_size_up
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum

    def _build_momentum(self, use_beta1, base_momentums, max_momentums, last_epoch) -> None:
        self.use_beta1 = use_beta1
        self.base_momentums = base_momentums
        self.max_momentums = max_momentums
        if last_epoch == -1:
            for m_max, m_base, group in zip(max_momentums, base_momentums, self.optimizer.param_groups, strict=True):
                set_momentum(group, use_beta1, m_max)
                group["max_momentum"] = m_max
                group["base_momentum"] = m_base

    def _init_scale_fn(self) -> None:
        # the built-in modes fix where the scale is evaluated
        if self._scale_fn_custom is None:
            self.scale_mode = "iterations" if self.mode == "exp_range" else "cycle"

    def scale_fn(self, x) -> float:
        """The amplitude scale at cycle (or iteration) x."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return _triangular(x)
        if self.mode == "triangular2":
            return _triangular2(x)
        return self.gamma**x

    def get_lr(self) -> list:
        """The lrs at ``last_epoch``; also writes the cycled momentum (or beta1), as torch does.

        Everything is computed and checked before the momentum is written.
        """
        self._warn_if_get_lr_called_directly()
        owner = type(self).__name__
        groups = self.optimizer.param_groups
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        at = cycle if self.scale_mode == "cycle" else self.last_epoch
        lrs = []
        for base_lr, max_lr in zip_groups(owner, base_lrs=self.base_lrs, max_lrs=self.max_lrs):
            base_height = (max_lr - base_lr) * scale_factor
            lrs.append(base_lr + base_height * self.scale_fn(at))
        if self.cycle_momentum:
            momentums = []
            moments = zip_groups(owner, base_momentums=self.base_momentums, max_momentums=self.max_momentums)
            for base_m, max_m in moments:
                base_height = (max_m - base_m) * scale_factor
                momentums.append(max_m - base_height * self.scale_fn(at))
            pairs = checked_momentum_groups(owner, groups, momentums, self.use_beta1)
            if self._get_lr_called_within_step:  # the step writes the lrs next: check them before writing
                check_same_length(owner, base_lrs=lrs, param_groups=groups)
            for group, m in pairs:
                set_momentum(group, self.use_beta1, m)
        return lrs

    def state_dict(self) -> dict:
        """As the base, but a custom scale_fn is kept only as a callable object's ``__dict__``."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_scale_fn_custom")}
        state = copy.deepcopy(state)
        fn = self._scale_fn_custom
        state["_scale_fn_custom"] = None
        if fn is not None and not isinstance(fn, types.FunctionType):
            state["_scale_fn_custom"] = copy.deepcopy(getattr(fn, "__dict__", None))
        return state

    def _checked_state(self, state_dict) -> dict:
        # as torch: '_scale_fn_custom' is needed; not None, it is loaded into the custom scale_fn's __dict__
        owner = type(self).__name__
        state = copied_state(self, state_dict, required=("_scale_fn_custom",))
        fn_state = state["_scale_fn_custom"]
        if fn_state is not None and self._scale_fn_custom is None:
            raise ValueError(
                f"{_prefix(owner)}: invalid _scale_fn_custom: {show(fn_state)}, but this {owner} has no "
                "custom scale_fn to load it into"
            )
        if fn_state is not None:
            fn_state = load_callable_states(self, "_scale_fn_custom", [self._scale_fn_custom], [fn_state], owner)[0]
        state["_scale_fn_custom"] = fn_state
        check_state_values(self, state, self._state_checks)
        merged = {**self.__dict__, **state}
        mode = merged.get("mode")
        if self._scale_fn_custom is None and mode not in ("triangular", "triangular2", "exp_range"):
            raise ValueError(f"{_prefix(owner)}: mode is invalid and scale_fn is None: mode={show(mode)}")
        check_same_length(_prefix(owner), base_lrs=merged["base_lrs"], max_lrs=merged["max_lrs"])
        if merged.get("cycle_momentum"):
            missing = [k for k in ("use_beta1", "base_momentums", "max_momentums") if k not in merged]
            if missing:
                raise ValueError(f"{_prefix(owner)}: cycle_momentum is True, but there is no {', '.join(missing)}")
            check_same_length(
                _prefix(owner), base_momentums=merged["base_momentums"], max_momentums=merged["max_momentums"]
            )
        return state

    def _apply_state(self, state: dict) -> None:
        fn_state = state.pop("_scale_fn_custom")
        self.__dict__.update(state)
        if fn_state is not None:
            self._scale_fn_custom.__dict__.update(fn_state)
        self._init_scale_fn()
