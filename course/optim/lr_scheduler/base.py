"""The scheduler base class: what every learning-rate scheduler shares.

A scheduler owns no learning rate of its own: it rewrites ``group["lr"]`` in its
optimizer's ``param_groups``.  The life cycle, exactly as in ``torch.optim.lr_scheduler``:

.. code-block:: text

    construction:  group.setdefault("initial_lr", group["lr"])   # remembered once
                   base_lrs = [group["initial_lr"], ...]
                   last_epoch = -1;  step()                      # the initial step: last_epoch 0
    step():        last_epoch += 1
                   group["lr"] = get_lr()[i]                     # chainable or closed form
    get_last_lr(): the lrs the last step wrote
"""
from __future__ import annotations

import copy
import math
import numbers
import warnings

__all__ = ["LRScheduler"]

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being "
    "deprecated where possible. Please use `scheduler.step()` to step the "
    "scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available. "
    "Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose."
)

STEP_ORDER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
    "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
    "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this "
    "will result in PyTorch skipping the first value of the learning rate schedule. "
    "See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)

STEP_OVERRIDDEN_WARNING = (
    "Seems like `optimizer.step()` has been overridden after learning rate scheduler "
    "initialization. Please, make sure to call `optimizer.step()` before "
    "`lr_scheduler.step()`. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)


# ----------------------------------------------------------------- argument checks
def check_optimizer(optimizer) -> None:
    """Duck typing: anything with ``param_groups`` (a list of dicts with 'lr') and ``step``."""
    groups = getattr(optimizer, "param_groups", None)
    ok = (
        isinstance(groups, list)
        and all(isinstance(g, dict) and "lr" in g for g in groups)
        and callable(getattr(optimizer, "step", None))
    )
    if not ok:
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def _is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def check_int(name: str, value, minimum: int) -> None:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"Invalid {name}: {value!r} (expected an integer >= {minimum})")


def check_positive(name: str, value) -> None:
    if not _is_real(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"Invalid {name}: {value!r} (expected a positive number)")


def check_real(name: str, value) -> None:
    if not _is_real(value) or math.isnan(value):
        raise ValueError(f"Invalid {name}: {value!r} (expected a real number)")


def format_param(name: str, optimizer, value) -> list:
    """One value per param group: a scalar is repeated, a list must have the right length."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(value)} values, param_groups has {n}."
            )
        return list(value)
    return [value] * n


def group_values(optimizer, key: str) -> list:
    return [group[key] for group in optimizer.param_groups]


# ------------------------------------------- knowing whether optimizer.step() ran
class _StepTracker:
    """Replaces ``optimizer.step`` and notes each call in ``optimizer._opt_called``.

    torch wraps the bound method in a closure over a weak reference; a closure cannot be
    pickled or deep-copied safely, so this is a small object holding the optimizer and the
    plain function instead (a reference cycle that the garbage collector handles).
    """

    _wrapped_by_lr_sched = True

    def __init__(self, optimizer, step):
        self.optimizer = optimizer
        # a bound method is stored as its function, so pickling never re-reads optimizer.step
        self.bound = getattr(step, "__self__", None) is optimizer
        self.func = step.__func__ if self.bound else step
        self.__doc__ = getattr(step, "__doc__", None)

    def __call__(self, *args, **kwargs):
        self.optimizer._opt_called = True
        if self.bound:
            return self.func(self.optimizer, *args, **kwargs)
        return self.func(*args, **kwargs)

    def __repr__(self):
        return f"<optimizer.step of {type(self.optimizer).__name__}, tracked by an lr scheduler>"


def track_optimizer_step(optimizer) -> None:
    if not getattr(optimizer.step, "_wrapped_by_lr_sched", False):
        optimizer.step = _StepTracker(optimizer, optimizer.step)


# ----------------------------------------------------------------------- the base
class LRScheduler:
    """Base class of the schedulers: subclasses say how ``get_lr()`` computes the next lrs.

    .. code-block:: text

        __init__:  initial_lr = lr (setdefault), base_lrs, then one step (last_epoch = 0)
        step():    last_epoch += 1; lr_i = get_lr()[i]            (chainable form)
        step(e):   last_epoch = e;  lr_i = closed form at e       (deprecated; closed form)

    Args:
        optimizer: the optimizer whose ``param_groups[i]["lr"]`` this scheduler sets.
        last_epoch (int): index of the last epoch; -1 (default) starts a new schedule.
            Another value resumes one and needs ``initial_lr`` in every group.

    Example:
        >>> import numpy as np, course
        >>> from course.optim import SGD
        >>> from course.optim.lr_scheduler import StepLR
        >>> opt = SGD([course.Parameter(np.zeros(1))], lr=1.0)
        >>> sched = StepLR(opt, step_size=2, gamma=0.5)
        >>> lrs = []
        >>> for epoch in range(5):
        ...     lrs.append(opt.param_groups[0]["lr"])
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    _get_lr_called_within_step = False
    _is_initial = False

    def __init__(self, optimizer, last_epoch: int = -1) -> None:
        check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when "
                        "resuming scheduler with last_epoch >= 0."
                    )
        self.base_lrs = group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        track_optimizer_step(optimizer)
        self._initial_step()

    def _initial_step(self) -> None:
        """Reset the step count and take the construction step."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    # ------------------------------------------------------------- state
    def state_dict(self) -> dict:
        """Everything in ``self.__dict__`` except the optimizer (a copy)."""
        return copy.deepcopy({k: v for k, v in self.__dict__.items() if k != "optimizer"})

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a state returned by :meth:`state_dict`."""
        self.__dict__.update(copy.deepcopy(state_dict))

    def get_last_lr(self) -> list:
        """The learning rates the last step wrote, one per param group."""
        return list(self._last_lr)

    def get_lr(self) -> list:
        """The next learning rates (called by :meth:`step`; use :meth:`get_last_lr` to read)."""
        raise NotImplementedError

    def _warn_if_get_lr_called_directly(self) -> None:
        if not self._get_lr_called_within_step:
            warnings.warn(
                "To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                UserWarning,
                stacklevel=3,
            )

    # -------------------------------------------------------------- step
    def _check_step_order(self) -> None:
        # at the first step after construction: was optimizer.step() called first?
        if self._step_count == 1:
            if not getattr(self.optimizer.step, "_wrapped_by_lr_sched", False):
                warnings.warn(STEP_OVERRIDDEN_WARNING, UserWarning, stacklevel=3)
            elif not getattr(self.optimizer, "_opt_called", False):
                warnings.warn(STEP_ORDER_WARNING, UserWarning, stacklevel=3)

    def step(self, epoch=None) -> None:
        """Advance one epoch (call it after ``optimizer.step()``).

        ``epoch`` is deprecated as in torch: it sets ``last_epoch`` and uses the closed form.
        """
        self._check_step_order()
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        saved = (self._step_count, self.last_epoch)
        self._step_count += 1
        try:
            self._update_lr(epoch)
        except BaseException:  # a failed step changes nothing
            self._step_count, self.last_epoch = saved
            raise

    def _update_lr(self, epoch=None) -> None:
        self._get_lr_called_within_step = True
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed_form = getattr(self, "_get_closed_form_lr", None)
                values = closed_form() if closed_form is not None else self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = group_values(self.optimizer, "lr")
