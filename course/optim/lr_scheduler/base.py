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

All or nothing: a ``step()``, a ``load_state_dict()`` or a construction that raises leaves
the scheduler, the callable objects it holds (lr_lambdas, scale_fn) and every param group as
they were.  Everything is computed and checked before anything is written, and the writes
run inside a :class:`transaction` that puts the old values back if something still fails.
``load_state_dict`` checks its input first (a dict; the keys torch needs; each value of the
right type and range for that scheduler) and names the key and value it refuses.
"""
from __future__ import annotations

import copy
import math
import numbers
import reprlib
import warnings
import weakref

__all__ = ["LRScheduler", "MissingKeyError"]

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
class MissingKeyError(KeyError, ValueError):
    """A key that is needed is missing: the ``KeyError`` torch raises, and a ``ValueError``.

    Its message reads as a sentence (a plain ``KeyError`` would print it quoted).
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def show(value) -> str:
    """A short repr of a value for an error message (long containers abbreviated)."""
    return _short.repr(value)


_short = reprlib.Repr()
_short.maxstring = 80
_short.maxother = 80


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


def check_epoch(owner: str, epoch, cause=None) -> None:
    """The deprecated ``step(epoch)``: a number (torch fails on anything else, or later)."""
    if not isinstance(epoch, numbers.Real):
        error = TypeError(f"{owner}.step(): epoch must be a number, but got {type(epoch).__name__} {show(epoch)}")
        raise error from cause


def zip_groups(owner: str, **two):
    """``zip(a, b, strict=True)`` of two lists, torch's way, with a clear ValueError.

    The pairs come first and the error only when one list runs out before the other, just
    where ``zip`` raises it: whatever the loop body does (a user lambda that raises), it
    happens in torch's order.
    """
    (name_a, a), (name_b, b) = two.items()
    for i in range(min(len(a), len(b))):
        yield a[i], b[i]
    check_same_length(owner, **two)


def check_same_length(owner: str, **sequences) -> None:
    """Sequences torch zips with ``strict=True``: unequal lengths are its ValueError, said clearly."""
    sizes = {name: len(seq) for name, seq in sequences.items()}
    if len(set(sizes.values())) > 1:
        detail = ", ".join(f"{name} has {n}" for name, n in sizes.items())
        raise ValueError(
            f"{owner}: {detail}, but they need one entry per param group (was a param group "
            "added to the optimizer after the scheduler was created?)"
        )


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


def group_value(groups, i: int, key: str, owner: str, why: str):
    """``groups[i][key]``, or the KeyError torch raises, with the group and the reason."""
    try:
        return groups[i][key]
    except KeyError:
        raise MissingKeyError(f"{owner}: param_groups[{i}] has no {key!r} ({why})") from None


# ------------------------------------------------------------------- all or nothing
def _stateful_objects(scheduler, out: list, seen: set) -> None:
    """The scheduler, the callable objects whose ``__dict__`` its state holds, and its sub-schedulers."""
    if id(scheduler) in seen or not isinstance(getattr(scheduler, "__dict__", None), dict):
        return
    seen.add(id(scheduler))
    out.append(scheduler)
    state = scheduler.__dict__
    fns = state.get("lr_lambdas")
    fns = list(fns) if isinstance(fns, (list, tuple)) else []
    fns.append(state.get("_scale_fn_custom"))
    for fn in fns:
        if fn is not None and id(fn) not in seen and isinstance(getattr(fn, "__dict__", None), dict):
            seen.add(id(fn))
            out.append(fn)
    subs = state.get("_schedulers")
    for sub in subs if isinstance(subs, (list, tuple)) else ():
        _stateful_objects(sub, out, seen)


class transaction:
    """``with transaction(scheduler):`` -- if the block raises, everything is put back.

    Saved on entry (shallow copies, cheap: a step rebinds attributes, it never mutates a
    value in place): the ``__dict__`` of the scheduler, of its sub-schedulers and of the
    callable objects it holds (``lr_lambdas``, ``scale_fn``), of the schedulers in ``also``,
    and every param group of the optimizer (keys a failed block added are removed).
    """

    __slots__ = ("objects", "groups")

    def __init__(self, scheduler, optimizer=None, also=()) -> None:
        found: list = []
        seen: set = set()
        for obj in (scheduler, *also):
            _stateful_objects(obj, found, seen)
        self.objects = [(obj, dict(obj.__dict__)) for obj in found]
        if optimizer is None:
            optimizer = scheduler.__dict__.get("optimizer")
        groups = getattr(optimizer, "param_groups", None)
        groups = groups if isinstance(groups, list) else []
        self.groups = [(g, dict(g)) for g in groups if isinstance(g, dict)]

    def __enter__(self) -> "transaction":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            self.rollback()
        return False

    def rollback(self) -> None:
        for obj, saved in self.objects:
            state = obj.__dict__
            state.clear()
            state.update(saved)
        for group, saved in self.groups:
            for key in [k for k in group if k not in saved]:
                del group[key]
            for key, value in saved.items():
                if key not in group or group[key] is not value:
                    group[key] = value


# --------------------------------------------------- checking a state_dict to load
def _prefix(owner: str) -> str:
    return f"{owner}.load_state_dict"


def state_int(minimum=None):
    def check(owner, key, value):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool):
            raise TypeError(f"{_prefix(owner)}: invalid {key}: {show(value)} (expected an integer)")
        if minimum is not None and value < minimum:
            raise ValueError(f"{_prefix(owner)}: invalid {key}: {show(value)} (expected an integer >= {minimum})")
        return value

    return check


def state_real(low=None, high=None, *, low_open=False, high_open=False, finite=False, nan=False, bool_ok=False):
    """A real number in [low, high] (or open ends); NaN only with ``nan=True``."""
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high}")
    if finite:
        parts.append("finite")
    expected = "a real number" + (" " + ", ".join(parts) if parts else "")

    def check(owner, key, value):
        if not isinstance(value, numbers.Real) or (isinstance(value, bool) and not bool_ok):
            raise TypeError(f"{_prefix(owner)}: invalid {key}: {show(value)} (expected {expected})")
        if math.isnan(value):
            if nan:
                return value
            raise ValueError(f"{_prefix(owner)}: invalid {key}: {show(value)} (expected {expected})")
        bad = (
            (finite and not math.isfinite(value))
            or (low is not None and (value <= low if low_open else value < low))
            or (high is not None and (value >= high if high_open else value > high))
        )
        if bad:
            raise ValueError(f"{_prefix(owner)}: invalid {key}: {show(value)} (expected {expected})")
        return value

    return check


def state_bool(owner, key, value):
    if not isinstance(value, bool):
        raise TypeError(f"{_prefix(owner)}: invalid {key}: {show(value)} (expected True or False)")
    return value


def state_reals(*, finite=False, nan=True):
    """A list (or tuple) of real numbers."""
    what = "finite real numbers" if finite else "real numbers"

    def check(owner, key, value):
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{_prefix(owner)}: invalid {key}: {show(value)} (expected a list of {what})")
        for i, v in enumerate(value):
            if not isinstance(v, numbers.Real) or isinstance(v, bool):
                raise TypeError(f"{_prefix(owner)}: invalid {key}[{i}]: {show(v)} (expected a list of {what})")
            if (finite and not math.isfinite(v)) or (not nan and math.isnan(v)):
                raise ValueError(f"{_prefix(owner)}: invalid {key}[{i}]: {show(v)} (expected a list of {what})")
        return value

    return check


def state_choice(*options):
    def check(owner, key, value):
        if not isinstance(value, str):
            raise TypeError(f"{_prefix(owner)}: invalid {key}: {show(value)} (expected one of {options})")
        if value not in options:
            raise ValueError(f"{_prefix(owner)}: invalid {key}: {show(value)} (expected one of {options})")
        return value

    return check


def _is_behaviour(cls, key: str) -> bool:
    """A method or property of the class: an instance attribute of that name would shadow it."""
    for klass in cls.__mro__:
        if key in klass.__dict__:
            attr = klass.__dict__[key]
            return callable(attr) or isinstance(attr, (property, staticmethod, classmethod))
    return False


def copied_state(scheduler, state_dict, required=()) -> dict:
    """A deep copy of ``state_dict``, refused unless it is a dict with string keys and ``required``."""
    owner = type(scheduler).__name__
    if not isinstance(state_dict, dict):
        raise TypeError(
            f"{_prefix(owner)} expects a dict (as returned by state_dict()), but got "
            f"{type(state_dict).__name__} {show(state_dict)}"
        )
    for key in required:
        if key not in state_dict:
            raise MissingKeyError(
                f"{_prefix(owner)}: the state_dict has no {key!r} key (it has {show(sorted(map(str, state_dict)))})"
            )
    for key in state_dict:
        if not isinstance(key, str):
            raise TypeError(f"{_prefix(owner)}: invalid key {show(key)} (keys are attribute names, str)")
        if key == "optimizer" or _is_behaviour(type(scheduler), key):
            raise ValueError(
                f"{_prefix(owner)}: invalid key {key!r}: it would replace {owner}.{key} "
                "(a state_dict holds no optimizer and no methods)"
            )
    return copy.deepcopy(state_dict)


def check_state_values(scheduler, state: dict, checks: dict) -> None:
    """Check (and store back) each value of ``state`` that ``checks`` knows; unknown keys pass, as in torch."""
    owner = type(scheduler).__name__
    for key, check in checks.items():
        if key in state:
            state[key] = check(owner, key, state[key])


def load_callable_states(scheduler, key: str, fns: list, saved, owner: str) -> list:
    """Check the saved ``__dict__`` of each callable object, as torch applies them; return them as dicts.

    torch runs ``fns[i].__dict__.update(saved[i])`` for each entry that is not None: the same
    ``update`` is tried here on a scratch dict, so that bad entries raise torch's TypeError or
    ValueError, before anything is changed.
    """
    try:
        entries = list(saved)
    except TypeError:
        raise TypeError(
            f"{_prefix(owner)}: invalid {key}: {show(saved)} (expected a list with one entry per function: "
            "None or the dict of a callable object)"
        ) from None
    out = []
    for i, entry in enumerate(entries):
        if entry is None:
            out.append(None)
            continue
        if i >= len(fns):
            raise ValueError(
                f"{_prefix(owner)}: invalid {key}: {len(entries)} entries, but {owner} has {len(fns)} "
                f"functions ({key}[{i}] is {show(entry)})"
            )
        if not isinstance(getattr(fns[i], "__dict__", None), dict):
            raise TypeError(
                f"{_prefix(owner)}: invalid {key}[{i}]: {show(entry)}, but function {i} "
                f"({type(fns[i]).__name__}) has no __dict__ to load it into"
            )
        scratch: dict = {}
        try:
            scratch.update(entry)
        except (TypeError, ValueError) as err:
            raise type(err)(
                f"{_prefix(owner)}: invalid {key}[{i}]: {show(entry)} (expected None or a dict: {err})"
            ) from None
        for name in scratch:
            if not isinstance(name, str):
                raise TypeError(f"{_prefix(owner)}: invalid {key}[{i}]: key {show(name)} is not an attribute name")
        out.append(scratch)
    return out


# the state every scheduler of the base class has
BASE_STATE_CHECKS = {
    "base_lrs": state_reals(),
    "last_epoch": state_real(nan=True, bool_ok=True),
    "_step_count": state_int(0),
    "_get_lr_called_within_step": state_bool,
    "_is_initial": state_bool,
    "_last_lr": state_reals(),
}


# ------------------------------------------- knowing whether optimizer.step() ran
class _StepTracker:
    """Replaces ``optimizer.step`` and notes each call in ``optimizer._opt_called``.

    Like torch's wrapper it holds the optimizer weakly, so the optimizer and its ``step`` make
    no reference cycle: a deleted optimizer (and its schedulers) is freed at once, without
    the garbage collector.  A small object rather than torch's closure, so that it pickles and
    deep-copies: its state holds the optimizer itself (pickle's memo handles the loop) and
    the plain function, so unpickling never re-reads ``optimizer.step``.
    """

    _wrapped_by_lr_sched = True

    def __init__(self, optimizer, step):
        self._optimizer = weakref.ref(optimizer)
        # a bound method is stored as its function
        self.bound = getattr(step, "__self__", None) is optimizer
        self.func = step.__func__ if self.bound else step
        self.__doc__ = getattr(step, "__doc__", None)

    @property
    def optimizer(self):
        return self._optimizer()

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_optimizer"] = self._optimizer()
        return state

    def __setstate__(self, state):
        state = dict(state)
        optimizer = state.pop("_optimizer", None)
        if optimizer is None:  # an older pickle held it strongly, as ``optimizer``
            optimizer = state.pop("optimizer", None)
        self.__dict__.update(state)
        self._optimizer = weakref.ref(optimizer)

    def __call__(self, *args, **kwargs):
        optimizer = self._optimizer()
        optimizer._opt_called = True
        if self.bound:
            return self.func(optimizer, *args, **kwargs)
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

    A step or a load that raises changes nothing (see the module's docstring).

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
    # key -> check(owner, key, value) for load_state_dict; subclasses add theirs
    _state_checks: dict = BASE_STATE_CHECKS

    def __init__(self, optimizer, last_epoch: int = -1) -> None:
        check_optimizer(optimizer)
        with transaction(self, optimizer):  # a construction that fails leaves the groups as they were
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
        with transaction(self):
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
        """Restore a state returned by :meth:`state_dict`.

        The whole dict is checked first; a TypeError or ValueError naming the key and the
        value refuses it, and then nothing has changed.
        """
        state = self._checked_state(state_dict)
        with transaction(self):
            self._apply_state(state)

    def _checked_state(self, state_dict) -> dict:
        """A checked deep copy of ``state_dict``, ready for :meth:`_apply_state` (which cannot fail)."""
        state = copied_state(self, state_dict)
        check_state_values(self, state, self._state_checks)
        return state

    def _apply_state(self, state: dict) -> None:
        self.__dict__.update(state)

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
        A step that raises changes nothing.
        """
        self._check_step_order()
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        with transaction(self):
            self._step_count += 1
            self._update_lr(epoch)

    def _update_lr(self, epoch=None) -> None:
        self._get_lr_called_within_step = True
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed_form = getattr(self, "_get_closed_form_lr", None)
                try:
                    values = closed_form() if closed_form is not None else self.get_lr()
                except TypeError as err:  # torch's TypeError, said clearly where the epoch caused it
                    check_epoch(type(self).__name__, epoch, cause=err)
                    raise
        finally:
            self._get_lr_called_within_step = False
        self._set_lrs(values, epoch)

    def _set_lrs(self, values, epoch=None) -> None:
        """Write one lr per group (all or none: the lengths are checked first).

        A non-number ``epoch`` that torch would have stored (a lambda that ignores it) is
        refused here, after every error torch itself raises in this step.
        """
        groups = self.optimizer.param_groups
        values = list(values)
        if len(values) != len(groups):  # torch: zip(strict=True)'s ValueError, after writing the first groups
            raise ValueError(
                f"{type(self).__name__} computed {len(values)} lrs for {len(groups)} param groups: it keeps "
                f"one base_lr per group it was created with ({len(self.__dict__.get('base_lrs', ()))}); was a "
                "param group added to the optimizer after the scheduler was created?"
            )
        if epoch is not None:
            check_epoch(type(self).__name__, epoch)
        for group, lr in zip(groups, values):
            group["lr"] = lr
        self._last_lr = group_values(self.optimizer, "lr")


class _LRScheduler(LRScheduler):
    """torch's old name of :class:`LRScheduler`, kept so that ``class Warmup(_LRScheduler)`` works."""
