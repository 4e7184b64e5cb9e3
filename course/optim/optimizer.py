"""The ``Optimizer`` base class, shaped like ``torch.optim.Optimizer``.

An optimizer holds ``param_groups`` (dicts of hyperparameters with a ``'params'`` list),
``defaults`` and ``state`` (one dict per parameter).  A subclass writes its update rule
once, on arrays::

    _init_state(p, group)             -> the state torch creates at the first step
    _advance(state, group)            -> moves the per-parameter counters (Python numbers)
                                         and returns the numbers this step uses
    _update(param, grad, state, group, s)  the rule itself: in place, on arrays

and declares what it reads, once:

    _hyperparameters                  the checks of its hyperparameters (``hyperparameter``,
                                      ``pair``, ``check``), in torch's order and words: run on
                                      the constructor's arguments, on every group that steps
                                      (values a user edited into ``param_groups``) and on loaded groups
    _state_spec(group)                the keys of a parameter's state: counters and arrays

``step()`` applies the rule to every parameter that has a grad.  It is atomic: grads and
hyperparameters are checked before anything changes, and if a rule still fails midway the
counters (and the keys of each state) are put back.  On NumPy it first offers each group to
``fast_path.step_group``, which gives the same numbers in less time (a flat layout for many
small parameters, cache-sized chunks for large ones); see ``fast_path.py``.  That module is
speed machinery only: the plain loop in ``step()`` is the algorithm.

torch's implementation switches ``foreach``, ``fused``, ``capturable`` and ``differentiable`` are
accepted by every optimizer whose torch signature has them, with torch's defaults, and kept in
the param groups as torch keeps them (so torch's state dicts load, and course's have torch's keys).
They choose among torch's kernels; course has one implementation, so they do not change the
numbers.  ``foreach`` (any value) and ``fused=False`` change nothing.  ``fused=True`` is accepted
where torch accepts it on the CPU (SGD, Adam, AdamW, Adagrad: real floating parameters, refused
for complex ones at the first step, as torch's check does); the numbers are course's, which are
torch's single-tensor ones (torch's fused CPU kernel rounds a few of them differently, in the
last bits).  With torch's checks at construction: ``fused`` with ``foreach`` or with
``differentiable`` raises torch's RuntimeError.  ``capturable=True`` (steps captured in a CUDA
graph) and ``differentiable=True`` (autograd through the step) ask for what course has not got:
the step raises a RuntimeError saying so, where torch's own step fails for CPU tensors and leaf
parameters.

Complex parameters are stepped as torch steps them: through their real view (each element a
pair of real numbers, ``torch.view_as_real``), state arrays complex like the parameter.
"""
from __future__ import annotations

import copy
import functools
import numbers
import struct
import warnings
import weakref
from collections import OrderedDict, defaultdict

import numpy as np

from .. import backend
from ..tensor import Tensor, enable_grad
from . import fast_path

try:
    from ..tensor import _bump_version
except ImportError:  # a tensor module without version counters
    def _bump_version(t) -> None:
        t._version = getattr(t, "_version", 0) + 1

__all__ = ["Optimizer", "hyperparameter", "pair", "check", "flag", "check_common", "regularized",
           "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook", "RemovableHandle",
           "is_complex", "as_real", "SWITCHES"]


# ------------------------------------------------------------------------ hooks
class RemovableHandle:
    """What a ``register_*_hook`` returns: ``handle.remove()`` takes the hook out again (also as
    a context manager).  It holds its dict of hooks weakly, as torch's does."""

    next_id = 0

    def __init__(self, hooks_dict) -> None:
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1

    def remove(self) -> None:
        hooks_dict = self.hooks_dict_ref()
        if hooks_dict is not None:
            hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


# the hooks of every optimizer: pre hooks run before each instance's own, post hooks after
_global_optimizer_pre_hooks: OrderedDict = OrderedDict()
_global_optimizer_post_hooks: OrderedDict = OrderedDict()


def _register(hooks: OrderedDict, hook, prepend: bool = False) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook) -> RemovableHandle:
    """A pre hook of every optimizer's ``step``: ``hook(optimizer, args, kwargs)``, returning None or
    a new ``(args, kwargs)`` (``args`` starts with the optimizer, as torch passes it)."""
    return _register(_global_optimizer_pre_hooks, hook)


def register_optimizer_step_post_hook(hook) -> RemovableHandle:
    """A post hook of every optimizer's ``step``: ``hook(optimizer, args, kwargs)``, after a step that
    returned (not after one that raised)."""
    return _register(_global_optimizer_post_hooks, hook)


def _hooked(step):
    """``step`` with the step hooks around it, in torch's order: the global pre hooks, the
    instance's pre hooks (either may replace ``(args, kwargs)``), the step, the instance's post
    hooks, the global post hooks.  The hooks run outside the step's all-or-nothing: a pre hook's
    changes stay if the step then raises, and post hooks run only after a step that returned.
    A step that calls another hooked step (``super().step()``) runs the hooks once."""
    if getattr(step, "hooked", False):
        return step

    @functools.wraps(step)
    def hooked_step(*args, **kwargs):
        self = args[0]
        if self.__dict__.get("_in_step"):
            return step(*args, **kwargs)
        pre = self.__dict__.get("_optimizer_step_pre_hooks") or ()
        for hook in [*_global_optimizer_pre_hooks.values(), *(pre.values() if pre else ())]:
            result = hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), but got {result}.")
        self.__dict__["_in_step"] = True
        try:
            out = step(*args, **kwargs)
        finally:
            self.__dict__["_in_step"] = False
        post = self.__dict__.get("_optimizer_step_post_hooks") or ()
        if post or _global_optimizer_post_hooks:
            for hook in [*(post.values() if post else ()), *_global_optimizer_post_hooks.values()]:
                hook(self, args, kwargs)
        return out

    hooked_step.hooked = True
    return hooked_step


_HOOK_DICTS = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
               "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
               "_optimizer_load_state_dict_post_hooks")


def namespace(x):
    """The array namespace of ``x`` (NumPy itself for NumPy arrays: it is called once per chunk)."""
    return np if type(x) is np.ndarray else backend.namespace(x)


def _is_array(v) -> bool:
    return hasattr(v, "shape") and hasattr(v, "dtype")


def _f32(x: float) -> float:
    """``x`` rounded to float32: torch keeps some counters as float32 tensors (beyond float32's
    range: +-inf, as torch's conversion gives; the real part of a complex, as torch's ``copy_``)."""
    try:
        return struct.unpack("f", struct.pack("f", x))[0]
    except OverflowError:
        with np.errstate(over="ignore"):
            return float(np.float32(x))
    except struct.error:
        if isinstance(x, complex):
            return _f32(x.real)
        raise


def _copy(v):
    if _is_array(v):
        return backend.namespace(v).asarray(v, copy=True)
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


def _where(i: int, g: int) -> str:
    return f"parameter {i} of param group {g}"


# ------------------------------------------------------------- hyperparameter checks
# A rule declares its hyperparameters once, as a tuple of checks (class attribute
# ``_hyperparameters``).  Each check is called as ``check(h, where)``: ``h`` is the dict of
# values, ``where`` is None for the constructor's arguments (then only torch's own checks run,
# with torch's exception types: what torch accepts at construction, course accepts), or the
# group: its index at a step, "loaded param group 0" at a load.  Then every check runs: the type
# the rule needs and torch's range, so that a value a user edited in fails before anything moves.

def _is_real(v) -> bool:
    """A real number the rules can compute with: int, float, bool, NumPy's integer and float
    scalars (not a 0-d array, not a course Tensor, not complex)."""
    t = type(v)
    return t is float or t is int or t is bool or isinstance(v, numbers.Real)


def _kind(v) -> str:
    """What ``v`` is, for a message: ``NoneType``, ``an array of shape (2,)``, ``a tuple of 1 value``."""
    if _is_array(v) and not isinstance(v, np.generic):
        return "an array of shape " + str(tuple(v.shape))
    if isinstance(v, (tuple, list)):
        return f"a {type(v).__name__} of {len(v)} value{'s' * (len(v) != 1)}"
    return type(v).__name__


def _at(where) -> str:
    """`` (in param group 1)``: ``where`` is a group's index at a step (formatted only when a check
    fails: the checks run at every step), a description elsewhere, None at construction."""
    if where is None:
        return ""
    return f" (in param group {where})" if type(where) is int else f" (in {where})"


def _value(h, name, where):
    try:
        return h[name]
    except KeyError:
        raise KeyError(f"{'param group ' + str(where) if type(where) is int else where} has no {name!r}") from None


def _test(ok, v, message, reason, where):
    """``ok(v)`` evaluated as torch evaluates its check; raise if it fails or cannot be evaluated.

    ``ok(v)`` raising TypeError (None, a string, complex) or ValueError (an array of several
    elements, whose truth is ambiguous) raises the same type, as torch does, with our words."""
    try:
        good = bool(ok(v))
    except TypeError:
        raise TypeError(f"{message.format(repr(v))}: {reason}, not {_kind(v)}{_at(where)}") from None
    except ValueError:
        raise ValueError(f"{message.format(repr(v))}: {reason}, not {_kind(v)}{_at(where)}") from None
    if not good:
        raise ValueError(message.format(v) + _at(where))


def hyperparameter(name, ok=None, message=None, *, torch_checks=None, at_step=True, when=None, true_ok=True,
                   range_at_step=True):
    """The check of a number hyperparameter ``name``.

    ``ok(v)``: the range test, written as torch writes it (``lambda v: 0.0 <= v``: NaN fails;
    SGD's ``lambda v: not v < 0.0``: NaN passes), raising ``ValueError(message.format(v))``.
    ``torch_checks``: does torch check it at construction (default: when ``ok`` is given)?
    ``when(h)``: check only then (SGD's dampening is read only with momentum).
    ``at_step=False``: only at construction (Adagrad's initial_accumulator_value: the rule
    reads ``defaults``).  ``true_ok=False``: ``True`` is refused at a step (torch's
    ``alpha=True`` raises there).  At a step the value must also be a real number (``_is_real``).
    ``range_at_step=False``: at a step only the type is checked (a scheduler may take the lr to
    a tiny negative by rounding, as ``LinearLR(end_factor=0)`` does, and torch steps with it).
    """
    message = message or f"Invalid {name} value: {{}}"
    at_init = ok is not None if torch_checks is None else torch_checks
    reason = f"{name} must be a real number"

    def check_number(h, where):
        if where is None:
            if not at_init:
                return
        elif not at_step:
            return
        if when is not None and not when(h):
            return
        v = h[name] if name in h else _value(h, name, where)
        if where is not None:
            t = type(v)
            if not (t is float or t is int or _is_real(v)):
                raise TypeError(f"{message.format(repr(v))}: {reason}, not {_kind(v)}{_at(where)}")
            if v is True and not true_ok:
                raise TypeError(f"{message.format(v)}: {reason}, not a bool{_at(where)}")
            if ok is None or not range_at_step:
                return
            if t is float or t is int:  # the common case, without the try
                if not ok(v):
                    raise ValueError(message.format(v) + _at(where))
                return
        if ok is not None:
            _test(ok, v, message, reason, where)

    check_number.names = (name,)
    return check_number


def pair(name, oks=(None, None), messages=(None, None), *, torch_checks=None):
    """The check of a pair hyperparameter (``betas``, ``step_sizes``): torch reads ``v[0]`` and
    ``v[1]`` at construction (TypeError if ``v`` cannot be indexed, IndexError if it is short) and
    unpacks exactly two values at a step (TypeError, ValueError); each must be a real number
    within ``oks[i]`` (torch's words: ``messages[i]``)."""
    at_init = any(ok is not None for ok in oks) if torch_checks is None else torch_checks
    reason = f"{name} must be a pair of real numbers"
    messages = [m or f"Invalid {name}[{i}] value: {{}}" for i, m in enumerate(messages)]

    ok0, ok1 = oks

    def check_pair(h, where):
        if where is None:
            if not at_init:
                return
        else:  # at a step: the common case first, two floats in range
            v = h[name] if name in h else _value(h, name, where)
            if type(v) is tuple and len(v) == 2:
                a, b = v
                if type(a) is float and type(b) is float and (ok0 is None or ok0(a)) and (ok1 is None or ok1(b)):
                    return
        v = _value(h, name, where)
        if where is not None and not (type(v) is tuple and len(v) == 2):
            try:
                n = len(v)
            except TypeError:
                raise TypeError(f"Invalid {name}: {v!r}: {reason}, not {_kind(v)}{_at(where)}") from None
            if n != 2 or isinstance(v, (str, bytes, dict)):
                raise ValueError(f"Invalid {name}: {v!r}: {reason}, not {_kind(v)}{_at(where)}")
        for i, (ok, message) in enumerate(zip(oks, messages)):
            if where is None and ok is None:
                continue
            try:
                x = v[i]
            except (TypeError, IndexError, KeyError) as e:
                raise type(e)(f"Invalid {name}: {v!r}: {reason}, not {_kind(v)}{_at(where)}") from None
            if where is not None:
                if not _is_real(x):
                    raise TypeError(f"{message.format(repr(x))}: {name}[{i}] must be a real number, not {_kind(x)}{_at(where)}")
                if ok is not None and not ok(x):
                    raise ValueError(message.format(x) + _at(where))
            elif ok is not None:
                _test(ok, x, message, f"{name}[{i}] must be a real number", where)

    check_pair.names = (name,)
    return check_pair


def check(fn, *names, torch_checks=True):
    """A check of several hyperparameters at once, written as torch writes it: ``fn(*values)``
    raises (ValueError in torch's words) or returns.  Exceptions other than ValueError (a
    comparison of None) become TypeErrors naming the values."""

    def check_custom(h, where):
        if where is None and not torch_checks:
            return
        try:
            values = [h[n] for n in names]
        except KeyError:
            values = [_value(h, n, where) for n in names]
        try:
            fn(*values)
        except ValueError as e:
            raise ValueError(f"{e}{_at(where)}") from None
        except (TypeError, IndexError, KeyError) as e:  # a comparison with None, a short tuple
            shown = ", ".join(f"{n}={v!r}" for n, v in zip(names, values))
            raise type(e)(f"Invalid {', '.join(names)}: {shown}{_at(where)}") from None

    check_custom.names = names
    return check_custom


def flag(name):
    """The check of a flag (``maximize``, ``amsgrad``...): torch reads its truth, so anything
    with one will do; at a step, a value without one (an array of several elements) fails."""

    def check_flag(h, where):
        if where is None:
            return
        v = _value(h, name, where)
        if type(v) is bool:
            return
        try:
            bool(v)
        except Exception:
            raise TypeError(f"Invalid {name} value: {name} must be a bool, not {_kind(v)}{_at(where)}") from None

    check_flag.names = (name,)
    return check_flag


def _switches(h, where):
    """torch's implementation switches at a step (see the module docstring)."""
    if where is None:  # construction: torch accepts them there, and checks fused after the groups
        return
    # at a step, and at a load: a loaded group that asks for them would make every later step fail
    if h.get("capturable"):
        raise RuntimeError(f"capturable=True{_at(where)}: it asks for steps that can be captured in a CUDA graph, "
                           "which course does not have (torch's step refuses it for CPU tensors too)")
    if h.get("differentiable"):
        raise RuntimeError(f"differentiable=True{_at(where)}: course's optimizer steps are not recorded by autograd, "
                           "so no gradient can flow through them")
    if h.get("fused") and type(where) is int:  # a loaded group has no params yet
        for p in h["params"]:
            if _dtype_kind(p.data) != "f":
                raise RuntimeError("`fused=True` requires all the params to be floating point Tensors, "
                                   f"but {p.data.dtype}{_at(where)}")


_switches.names = ()
SWITCHES = _switches


def _both_floats(betas):
    if not (isinstance(betas[0], float) and isinstance(betas[1], float)):
        raise ValueError("betas must be either both floats or both Tensors")  # torch's words (no Tensors here)


def _lr_ok(v):
    return 0.0 <= v


def _nonneg(v):
    return 0.0 <= v


def _beta_ok(v):
    return 0.0 <= v < 1.0


# the checks most optimizers share, as torch writes them
LR = hyperparameter("lr", _lr_ok, "Invalid learning rate: {}", range_at_step=False)
MAXIMIZE = flag("maximize")
EPS = hyperparameter("eps", _nonneg, "Invalid epsilon value: {}")
WEIGHT_DECAY = hyperparameter("weight_decay", _nonneg, "Invalid weight_decay value: {}", true_ok=False)
BETAS = pair("betas", (_beta_ok, _beta_ok), ("Invalid beta parameter at index 0: {}", "Invalid beta parameter at index 1: {}"))


_UNSET = object()


def check_common(lr, betas=_UNSET, eps=_UNSET, weight_decay=_UNSET) -> None:
    """torch's checks, in torch's order and words, for the hyperparameters most optimizers share
    (those given).  ``None`` or a string fails with a TypeError, a short ``betas`` with an
    IndexError, as in torch.  The optimizers declare theirs in ``_hyperparameters``."""
    h = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    for c in (LR, EPS, BETAS, WEIGHT_DECAY):
        if h[c.names[0]] is not _UNSET:
            c(h, None)


def regularized(param, grad, group):
    r"""The grad a rule uses: negated if ``maximize``; then, with weight decay :math:`\lambda`,
    plus :math:`\lambda\theta` (an L2 penalty), or, with ``decoupled_weight_decay``, no change to
    the grad but :math:`\theta \leftarrow \theta(1 - \gamma\lambda)` in place (AdamW's decay)."""
    if group["maximize"]:
        grad = -grad
    weight_decay = group.get("weight_decay", 0)
    if weight_decay != 0:
        if group.get("decoupled_weight_decay", False):
            param *= 1 - group["lr"] * weight_decay
        else:
            grad = grad + weight_decay * param
    return grad


def _floating(a) -> bool:
    """Is ``a`` (an array) of a floating point or complex dtype? (torch optimizes no other)"""
    dtype = a.dtype
    key = (type(dtype), dtype)  # the type first: dtypes of different libraries are not compared
    ok = _FLOATING.get(key)
    if ok is None:
        try:
            ok = np.dtype(dtype).kind in "fc"
        except TypeError:  # array_api_strict and others: their own dtype objects
            xp = backend.namespace(a)
            ok = bool(xp.isdtype(dtype, ("real floating", "complex floating")))
        _FLOATING[key] = ok
    return ok


_FLOATING: dict = {}
_COMPLEX: dict = {}
_REAL_OF = {np.dtype(np.complex64): np.dtype(np.float32), np.dtype(np.complex128): np.dtype(np.float64)}


def is_complex(a) -> bool:
    """Is ``a`` (an array) of a complex dtype? (cached per dtype: it is asked at every step)"""
    dtype = a.dtype
    key = (type(dtype), dtype)
    c = _COMPLEX.get(key)
    if c is None:
        c = _COMPLEX[key] = _dtype_kind(a) == "c"
    return c


def as_real(a):
    """The real view of a complex array, shape ``(..., 2)`` (``torch.view_as_real``).  On NumPy it
    shares ``a``'s memory; elsewhere it is a copy (the array API has no such views): write it
    back with ``_write_complex``."""
    if type(a) is np.ndarray:
        return a[..., None].view(_REAL_OF[a.dtype])
    xp = backend.namespace(a)
    return xp.stack([xp.real(a), xp.imag(a)], axis=-1)


def _as_complex(r, dtype, like):
    """A new complex array of ``dtype`` from a real one of shape ``(..., 2)``."""
    if type(r) is np.ndarray:
        return np.ascontiguousarray(r).view(dtype)[..., 0]
    xp = backend.namespace(like)
    return xp.astype(r[..., 0], dtype) + xp.astype(r[..., 1], dtype) * 1j


def _write_complex(a, r) -> None:
    """Put the real view ``r`` back into the complex array ``a`` (where ``r`` is a copy)."""
    if type(a) is not np.ndarray:
        a[...] = _as_complex(r, a.dtype, a)


def _dtype_kind(v) -> str:
    """NumPy's kind letter of an array's dtype (``'f'``, ``'i'``, ``'O'``...), on any backend."""
    try:
        return np.dtype(v.dtype).kind
    except TypeError:
        xp = backend.namespace(v)
        for kind, names in (("b", "bool"), ("i", "signed integer"), ("u", "unsigned integer"),
                            ("f", "real floating"), ("c", "complex floating")):
            if xp.isdtype(v.dtype, names):
                return kind
        return "O"


def _counter(value, key, where) -> float:
    """A loaded counter (``step``, ``eta``...) as course keeps it: a Python float.  Any real scalar
    is accepted: a Python number, a NumPy scalar, a 0-d array of any backend (torch's own
    ``step`` is a 0-d float32 tensor; ``.numpy()`` makes it a 0-d array)."""
    if type(value) is float:
        return value
    if _is_real(value) and not _is_array(value) or isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return float(value)
    if _is_array(value) and not isinstance(value, Tensor) and tuple(value.shape) == () and _dtype_kind(value) in "biuf":
        return float(value)
    raise TypeError(f"loaded state {key!r} of {where} must be a real number (a scalar or a 0-d array), not {_kind(value)}: {value!r}")


# optimizer -> {id(group's params list): (the list, the state spec its states were checked against)}
_checked_specs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Optimizer:
    """Base class of all optimizers: ``Optimizer(params, defaults)``.

    Args:
        params: an iterable of :class:`course.Parameter`, or of dicts (parameter groups)
            with a ``'params'`` entry and any hyperparameters that override ``defaults``.
        defaults (dict): the hyperparameters of every group that does not set its own.

    Example:
        >>> import numpy as np, course
        >>> from course.optim import SGD
        >>> p = course.Parameter(np.array([1.0, 2.0]))
        >>> opt = SGD([p], lr=0.5)
        >>> p.grad = np.array([1.0, 1.0])
        >>> opt.step()
        >>> p.data
        array([0.5, 1.5])
        >>> sorted(opt.state_dict()["param_groups"][0])[:3]   # torch's keys, foreach and all
        ['dampening', 'differentiable', 'foreach']
    """

    # The checks of the hyperparameters, in torch's order (see ``hyperparameter``).
    _hyperparameters: tuple = ()
    # What torch's ``__setstate__`` fills in where a loaded group lacks it (flags added later),
    # and what it sets whatever the loaded group says (AdamW's decoupled_weight_decay).
    _load_defaults: dict = {}
    _load_overrides: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:  # every step has the step hooks around it (torch patches the class's)
            cls.step = _hooked(cls.__dict__["step"])

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        for name in _HOOK_DICTS:
            setattr(self, name, OrderedDict())
        self.state = defaultdict(dict)  # parameter -> its state, as torch's
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors "
                f"or dicts, but got {type(params).__name__}"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)
        if defaults.get("fused"):  # torch's checks, after the groups, in its order
            if defaults.get("differentiable"):
                raise RuntimeError("`fused` does not support `differentiable`")
            if defaults.get("foreach"):
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __getstate__(self) -> dict:
        # the hooks are not pickled or deep-copied (torch's __getstate__ leaves them out too)
        return {k: v for k, v in self.__dict__.items() if k not in _HOOK_DICTS and k != "_in_step"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        for name in _HOOK_DICTS:
            self.__dict__.setdefault(name, OrderedDict())
        self.defaults.setdefault("differentiable", False)  # as torch's

    def _hooks(self, name) -> OrderedDict:
        hooks = self.__dict__.get(name)
        if hooks is None:  # an instance made without Optimizer.__init__
            hooks = self.__dict__[name] = OrderedDict()
        return hooks

    # -------------------------------------------------------------------- hooks
    def register_step_pre_hook(self, hook) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` before each ``step``; it may return a new ``(args, kwargs)``
        (``args[0]`` is the optimizer, as in torch).  Runs before the step's checks: outside its
        all-or-nothing."""
        return _register(self._hooks("_optimizer_step_pre_hooks"), hook)

    def register_step_post_hook(self, hook) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` after each ``step`` that returned."""
        return _register(self._hooks("_optimizer_step_post_hooks"), hook)

    def register_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer)`` before ``state_dict()`` builds the dict (first if ``prepend``)."""
        return _register(self._hooks("_optimizer_state_dict_pre_hooks"), hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer, state_dict)`` on the built dict; it may change it in place or return a new one."""
        return _register(self._hooks("_optimizer_state_dict_post_hooks"), hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer, state_dict)`` on a shallow copy of the dict given to ``load_state_dict``;
        it may change it or return the one to load.  Runs before the load's checks."""
        return _register(self._hooks("_optimizer_load_state_dict_pre_hooks"), hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer)`` after a ``load_state_dict`` that succeeded."""
        return _register(self._hooks("_optimizer_load_state_dict_post_hooks"), hook, prepend)

    def _check_arguments(self, arguments: dict) -> None:
        """torch's checks of the constructor's arguments: what torch rejects at construction,
        course rejects there too, with the same exception type (and torch's words)."""
        for c in self._hyperparameters:
            c(arguments, None)

    def _check_group(self, group: dict, where) -> None:
        """Every check of one group: the types the rule needs and torch's ranges (``where``: the
        group's index, or a description of it)."""
        for c in self._hyperparameters:
            c(group, where)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters (a dict with ``'params'``), e.g. for fine-tuning."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of tensors in sets will change between runs. Please use a list instead.")
        params = list(params)
        # named parameters: (name, parameter) pairs, as ``named_parameters()`` yields them
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            params = [p[1] for p in params]
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not _is_array(p.data) or not _floating(p.data):
                # torch refuses them earlier, in nn.Parameter / requires_grad_()
                raise TypeError("Only Tensors of floating point and complex dtype can require gradients, but "
                                f"{_where(i, len(self.param_groups))} has dtype {getattr(p.data, 'dtype', None)}")
        group = {k: v for k, v in param_group.items() if k != "params"}
        if names:
            group["param_names"] = names
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        duplicates = len({id(p) for p in params}) != len(params)
        if duplicates:  # torch's warning; each copy then steps, as in torch
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error; "
                          "see github.com/pytorch/pytorch/issues/40967 for more information", stacklevel=3)
        seen = set()
        for g in self.param_groups:
            seen.update(id(p) for p in g["params"])
            if ("param_names" in group) != ("param_names" in g):
                raise ValueError("all optimizer param groups should be with/without names. cannot add param group "
                                 f"{'with names' if 'param_names' in group else 'without names'} to the optimizer")
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        group["params"] = params
        self.param_groups.append(group)
        if not duplicates:
            fast_path.prepare(self, group)  # NumPy: a flat layout, where it cannot be seen

    # -------------------------------------------------------------------- grads
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the grads: set them to None (default) or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad[...] = 0

    def _checked_grads(self):
        """Every parameter's grad, checked before anything is changed: None, or like p."""
        out = []
        floating = None
        for g_idx, group in enumerate(self.param_groups):
            grads = []
            for i, p in enumerate(group["params"]):
                g = p.grad
                if g is not None:
                    if isinstance(g, Tensor):
                        g = g.data
                    a = p.data
                    if type(g) is not type(a):
                        raise TypeError(f"grad of {_where(i, g_idx)} is a {type(g).__module__}.{type(g).__name__}, but the parameter is a {type(a).__module__}.{type(a).__name__}")
                    if g.shape != a.shape:
                        raise ValueError(f"grad of {_where(i, g_idx)} has shape {tuple(g.shape)}, expected {tuple(a.shape)}")
                    dtype = a.dtype
                    if g.dtype != dtype:
                        raise TypeError(f"grad of {_where(i, g_idx)} has dtype {g.dtype}, expected {dtype}")
                    if dtype is not floating:  # p.data replaced by integers since the group was added?
                        if not _floating(a):
                            raise TypeError(f"{_where(i, g_idx)} has dtype {dtype}: only floating point and complex "
                                            "parameters can be optimized")
                        floating = dtype  # the last dtype that passed: most parameters share it
                grads.append(g)
            out.append(grads)
        return out

    def _check_step(self, all_grads) -> None:
        """The hyperparameters of every group that will step, and the keys of its states, checked
        before anything changes.  It runs at every step: a few Python calls per group."""
        checks, known = self._hyperparameters, None
        for g_idx, (group, grads) in enumerate(zip(self.param_groups, all_grads)):
            for g in grads:  # stops at the first grad: usually the first
                if g is not None:
                    break
            else:
                continue  # no grad: the group does not step
            for c in checks:
                c(group, g_idx)
            spec = self._state_spec(group)
            if spec:
                if known is None:
                    known = _checked_specs.get(self)
                    if known is None:
                        known = _checked_specs[self] = {}
                params = group["params"]
                entry = known.get(id(params))
                if entry is None or entry[0] is not params or entry[1] != spec:
                    self._check_states(group, g_idx, spec)
                    known[id(params)] = (params, spec)

    def _check_states(self, group, g_idx, spec) -> None:
        """Does every state of ``group`` hold the keys its flags need? (``amsgrad`` turned on
        after the first step: no ``max_exp_avg_sq``, a KeyError in torch's step.)  States are made
        and loaded with the keys of their group's flags, so ``_check_step`` calls this again only
        when the flags change: it remembers each group's spec (not pickled, not copied)."""
        params = group["params"]
        required = [k for k, kind in spec.items() if kind != "optional"]
        for i, p in enumerate(params):
            s = self.state.get(p)
            if s:
                missing = [k for k in required if k not in s]
                if missing:
                    raise KeyError(f"the state of {_where(i, g_idx)} has no {', '.join(map(repr, missing))}, which the "
                                   "group's flags need: they were changed after its first step")

    # --------------------------------------------------------------------- step
    @_hooked
    def step(self, closure=None):
        """Update every parameter that has a grad; return ``closure()``'s loss if given.

        Atomic: a bad grad or hyperparameter raises before anything changes; should a rule
        still fail midway, every state's counters and keys are put back (see ``_undo``)."""
        loss, all_grads = self._start_step(closure)
        self._begin_step()
        undo = []  # how to put the states back, should a rule fail midway
        try:
            for group, grads in zip(self.param_groups, all_grads):
                if fast_path.step_group(self, group, grads, undo):  # NumPy: same numbers, less time
                    continue
                for p, grad in zip(group["params"], grads):
                    if grad is not None:
                        state = self._state_for(p, group, undo)
                        undo.append((state, dict(state)))
                        s = self._advance(state, group)
                        _bump_version(p)  # p.data changes in place: a graph that saved it is stale
                        a = p.data
                        if is_complex(a):
                            self._complex_update(a, grad, state, group, s)
                        else:
                            self._update(a, grad, state, group, s)
        except BaseException:
            self._undo(undo)
            raise
        return loss

    def _start_step(self, closure):
        """What every step does before its rule: ``closure()``'s loss, then the grads, checked
        with the hyperparameters (nothing has moved if this raises)."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        all_grads = self._checked_grads()
        self._check_step(all_grads)
        return loss, all_grads

    def _undo(self, undo) -> None:
        """Put back what ``step`` recorded, last first: each state's keys and counters (a
        ``(state, shallow copy)`` pair) and the states it created (``(None, p, before)``).
        Arrays a rule already changed in place stay changed: the checks before a step are
        what keeps that from happening."""
        for entry in reversed(undo):
            if entry[0] is None:
                _, p, before = entry
                if before is None:
                    self.state.pop(p, None)
                else:
                    self.state[p] = before
            else:
                state, saved = entry
                state.clear()
                state.update(saved)

    def _state_for(self, p, group, undo=None) -> dict:
        """``p``'s state, made by ``_init_state`` if it has none yet (recorded in ``undo``)."""
        state = self.state.get(p)
        if not state:
            if undo is not None:
                undo.append((None, p, state))
            state = self.state[p] = self._init_state(p.data, group)
        return state

    # ---------------------------------------------------------- rule (subclasses)
    def _init_state(self, param, group) -> dict:
        """The state torch creates for ``param`` at its first step."""
        return {}

    def _state_spec(self, group) -> dict:
        """The keys of a parameter's state under ``group``'s flags: ``'counter'`` (a Python
        number), ``'array'`` (like the parameter) or ``'optional'`` (an array, or None: not yet
        made).  A loaded state must hold every counter and array (or be empty: a fresh start)."""
        return {}

    def _advance(self, state, group):
        """Move the Python-number counters in ``state``; return what ``_update`` needs.
        By default: count the step, as torch does for every rule that keeps ``state["step"]``."""
        if "step" not in state:
            return None
        state["step"] += 1
        return state["step"]

    def _begin_step(self) -> None:
        """Called once per ``step``, after the checks, before any update (none by default)."""

    def _flat_ready(self, state, group) -> bool:
        """Can the rule run on pieces of the arrays (the fast path)? Not while it still creates state."""
        return True

    def _update(self, param, grad, state, group, s) -> None:
        raise NotImplementedError

    def _complex_update(self, param, grad, state, group, s) -> None:
        """The rule on the real views of a complex parameter, its grad and its complex state
        arrays, as torch's ``view_as_real``: each complex number is a pair of real ones."""
        views = {k: as_real(v) for k, v in state.items() if _is_array(v) and is_complex(v)}
        real_state = {**state, **views}
        real_param = as_real(param)
        self._update(real_param, as_real(grad), real_state, group, s)
        _write_complex(param, real_param)
        for k, v in real_state.items():
            if k in views and v is views[k]:
                _write_complex(state[k], v)  # updated in place
            elif k not in state or v is not state[k]:  # made or replaced by the rule
                state[k] = (_as_complex(v, param.dtype, param)
                            if _is_array(v) and tuple(v.shape) == tuple(real_param.shape) else v)

    # ------------------------------------------------------------ state dicts
    def _index(self):
        """Every parameter, and its index in a state dict: its position over all groups, as torch's.
        A parameter listed twice in one group (torch warns) gets its last position in that group,
        as torch's mapping gives it."""
        params = [p for g in self.param_groups for p in g["params"]]
        index, start = {}, 0
        for g in self.param_groups:
            group_index = {id(p): i for i, p in enumerate(g["params"], start) if id(p) not in index}
            index.update(group_index)
            start += len(g["params"])
        return params, index

    def state_dict(self) -> dict:
        """A snapshot in torch's layout: ``{'state': {index: {...}}, 'param_groups': [...]}``.

        ``state`` is keyed by the parameter's position over all groups; each group lists
        its parameters as those positions (and, for named parameters, their ``param_names``).
        Arrays are copies.  The state dict hooks run before and after, as torch's.
        """
        for hook in list(self._hooks("_optimizer_state_dict_pre_hooks").values()):
            hook(self)
        params, index = self._index()
        groups = []
        for g in self.param_groups:
            group = copy.deepcopy({k: v for k, v in g.items() if k != "params"})
            group["params"] = [index[id(p)] for p in g["params"]]
            groups.append(group)
        state = {}
        for p in params:
            if (s := self.state.get(p)) and index[id(p)] not in state:
                state[index[id(p)]] = {k: _copy(v) for k, v in s.items()}
        state_dict = {"state": state, "param_groups": groups}
        for hook in list(self._hooks("_optimizer_state_dict_post_hooks").values()):
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a ``state_dict()`` (course's or torch's, with arrays of any backend).

        Everything is checked and cast first, so a state dict that is refused changes
        nothing, and one that is accepted steps: the groups' hyperparameters as ``step()``
        checks them; each state's counters (any real scalar: a Python number, a NumPy scalar,
        a 0-d array) and arrays (the parameter's shape, a numeric dtype, cast to the
        parameter's), with every key the rule reads.  A group saved before a flag existed gets
        its default, as torch's ``__setstate__`` gives it.  ``param_names`` are kept from the
        loaded groups (or the optimizer's, where the loaded ones have none); they do not
        decide which parameter gets which state: the order does, as in torch.

        The load hooks: the pre hooks see a shallow copy of ``state_dict`` before it is checked,
        the post hooks run after a load that succeeded.
        """
        if isinstance(state_dict, dict):
            state_dict = state_dict.copy()  # shallow, as torch's: a hook may change it
            for hook in list(self._hooks("_optimizer_load_state_dict_pre_hooks").values()):
                result = hook(self, state_dict)
                if result is not None:
                    state_dict = result
        if not isinstance(state_dict, dict):
            raise TypeError(f"state_dict must be a dict, but got {type(state_dict).__name__}")
        if "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("state_dict must be a dict with 'state' and 'param_groups'")
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved_state, dict):
            raise TypeError(f"state_dict['state'] must be a dict, but got {type(saved_state).__name__}")
        if not isinstance(saved_groups, (list, tuple)):
            raise TypeError(f"state_dict['param_groups'] must be a list, but got {type(saved_groups).__name__}")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, the optimizer has {len(self.param_groups)}")
        for i, (g, sg) in enumerate(zip(self.param_groups, saved_groups)):
            if not isinstance(sg, dict):
                raise TypeError(f"loaded param group {i} must be a dict, but got {type(sg).__name__}")
            ids = sg.get("params")
            if not isinstance(ids, (list, tuple)) or len(ids) != len(g["params"]):
                raise ValueError(f"loaded state dict contains a parameter group {i} that doesn't match the size of optimizer's group")
        id_map, group_of = {}, {}
        for g, sg in zip(self.param_groups, saved_groups):
            for k, p in zip(sg["params"], g["params"]):
                try:
                    if k in id_map and id_map[k] is not p:  # the same index twice: a duplicate parameter only
                        raise ValueError(f"loaded state dict lists parameter index {k!r} more than once")
                except TypeError:
                    raise TypeError(f"loaded parameter index {k!r} must be hashable") from None
                id_map[k] = p
        # the new groups: copies, checked as a step checks them
        new_groups = []
        for i, (g, sg) in enumerate(zip(self.param_groups, saved_groups)):
            group = copy.deepcopy({k: v for k, v in sg.items() if k != "params"})
            for key, value in self._load_defaults.items():
                group.setdefault(key, value)
            group.update(self._load_overrides)
            missing = [k for k in self.defaults if k not in group]
            if missing:
                raise ValueError(f"loaded param group {i} has no {', '.join(map(repr, missing))}")
            self._check_group(group, f"loaded param group {i}")
            if "param_names" in g and "param_names" not in group:
                group["param_names"] = g["param_names"]
            group["params"] = g["params"]
            new_groups.append(group)
            for p in g["params"]:
                group_of[id(p)] = group
        where = {id(p): _where(i, gi) for gi, g in enumerate(self.param_groups) for i, p in enumerate(g["params"])}
        new_state = {}
        for k, s in saved_state.items():
            try:
                p = id_map.get(k)
            except TypeError:
                p = None
            if p is None:
                raise ValueError(f"loaded state dict has state for parameter index {k!r}, which no group lists")
            if not isinstance(s, dict):
                raise TypeError(f"loaded state for parameter index {k!r} must be a dict, but got {type(s).__name__}")
            new_state[p] = self._load_state(p, group_of[id(p)], s, f"parameter index {k!r} ({where[id(p)]})")
        self._check_loaded(saved_state)
        # all checked: now change things
        self.state = defaultdict(dict, new_state)
        self.param_groups[:] = new_groups
        for hook in list(self._hooks("_optimizer_load_state_dict_post_hooks").values()):
            hook(self)

    def _check_loaded(self, saved_state: dict) -> None:
        """A rule's own check of the loaded states as a whole (none by default)."""

    def _load_state(self, p, group, s: dict, where: str) -> dict:
        """One parameter's loaded state, checked and cast: counters become Python floats,
        arrays fresh arrays of ``p``'s backend and dtype; None for an array not yet made is dropped."""
        spec = self._state_spec(group)
        if s:
            missing = [k for k, kind in spec.items() if kind != "optional" and k not in s]
            if missing:
                raise ValueError(f"loaded state of {where} has no {', '.join(map(repr, missing))}")
        out = {}
        for key, value in s.items():
            kind = spec.get(key, "counter" if key == "step" else None)
            if kind == "counter":
                out[key] = _counter(value, key, where)
                if key == "step" and out[key] < 0:  # the rules' powers of it would fail, midway
                    raise ValueError(f"loaded state 'step' of {where} must be at least 0, not {value!r}")
            elif kind == "optional" and value is None:
                continue
            elif kind is not None:
                out[key] = self._load_array(p, key, value, where)
            elif (_is_array(value) and not isinstance(value, (Tensor, np.generic))
                  and _dtype_kind(value) in ("biufc" if _dtype_kind(p.data) == "c" else "biuf")):
                out[key] = self._cast(p, key, value)  # a key the rule does not read: cast as torch casts it
            else:
                out[key] = copy.deepcopy(value)  # a key the rule does not read, kept as torch keeps it
        return out

    def _load_array(self, p, key, value, where):
        a = p.data
        if not _is_array(value) or isinstance(value, Tensor):
            raise TypeError(f"loaded state {key!r} of {where} must be an array of shape {tuple(a.shape)}, not {_kind(value)}")
        if tuple(value.shape) != tuple(a.shape):
            raise ValueError(f"loaded state {key!r} of {where} has shape {tuple(value.shape)}, expected {tuple(a.shape)}")
        kind = _dtype_kind(value)
        if kind not in ("biufc" if _dtype_kind(a) == "c" else "biuf"):
            raise TypeError(f"loaded state {key!r} of {where} has dtype {value.dtype}, which cannot be cast to {a.dtype}")
        try:
            return self._cast(p, key, value)
        except Exception as e:
            raise TypeError(f"loaded state {key!r} of {where} cannot be cast to {a.dtype}: {e}") from None

    def _cast(self, p, key, value):
        """A loaded value as a fresh array of ``p``'s backend and dtype (numbers stay numbers)."""
        if isinstance(value, list):
            return [self._cast(p, key, v) for v in value]
        if not _is_array(value):
            return value
        xp = backend.namespace(p.data)
        if type(value) is not type(p.data):
            value = backend.to_numpy(value)  # across backends through NumPy
            return backend.asarray(value, dtype=p.data.dtype, like=p.data)
        return xp.asarray(value, dtype=p.data.dtype, copy=True)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params"]
        return "\n".join(lines + [")"])
