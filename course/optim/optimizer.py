"""The ``Optimizer`` base class, shaped like ``torch.optim.Optimizer``.

An optimizer holds ``param_groups`` (dicts of hyperparameters with a ``'params'`` list),
``defaults`` and ``state`` (one dict per parameter).  A subclass writes its update rule
once, on arrays::

    _init_state(p, group)             -> the state torch creates at the first step
    _advance(state, group)            -> moves the per-parameter counters (Python numbers)
                                         and returns the numbers this step uses
    _update(param, grad, state, group, s)  the rule itself: in place, on arrays

``step()`` applies the rule to every parameter that has a grad.  On NumPy it first offers
each group to ``fast_path.step_group``, which gives the same numbers in less time (a flat
layout for many small parameters, cache-sized chunks for large ones); see ``fast_path.py``.
That module is speed machinery only: the plain loop in ``step()`` is the algorithm.
"""
from __future__ import annotations

import copy
import struct
from collections import defaultdict

import numpy as np

from .. import backend
from ..tensor import Tensor, enable_grad
from . import fast_path

__all__ = ["Optimizer"]


def namespace(x):
    """The array namespace of ``x`` (NumPy itself for NumPy arrays: it is called once per chunk)."""
    return np if type(x) is np.ndarray else backend.namespace(x)


def _is_array(v) -> bool:
    return hasattr(v, "shape") and hasattr(v, "dtype")


def _f32(x: float) -> float:
    """``x`` rounded to float32: torch keeps some counters as float32 tensors."""
    return struct.unpack("f", struct.pack("f", x))[0]


def _copy(v):
    if _is_array(v):
        return backend.namespace(v).asarray(v, copy=True)
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


def _where(i: int, g: int) -> str:
    return f"parameter {i} of param group {g}"


def check_common(lr, betas=None, eps=None, weight_decay=None) -> None:
    """torch's checks, in torch's order and words, for the hyperparameters most optimizers share."""
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if eps is not None and not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    for i, beta in enumerate(betas or ()):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
    if weight_decay is not None and not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


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
        >>> sorted(opt.state_dict()["param_groups"][0])[:3]
        ['dampening', 'lr', 'maximize']
    """

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
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
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter group contains the same parameter more than once")
        group = {k: v for k, v in param_group.items() if k != "params"}
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        group["params"] = params
        self.param_groups.append(group)
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
                    if g.dtype != a.dtype:
                        raise TypeError(f"grad of {_where(i, g_idx)} has dtype {g.dtype}, expected {a.dtype}")
                grads.append(g)
            out.append(grads)
        return out

    # --------------------------------------------------------------------- step
    def step(self, closure=None):
        """Update every parameter that has a grad; return ``closure()``'s loss if given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group, grads in zip(self.param_groups, self._checked_grads()):
            if fast_path.step_group(self, group, grads):  # NumPy: same numbers, less time
                continue
            for p, grad in zip(group["params"], grads):
                if grad is not None:
                    state = self._state_for(p, group)
                    s = self._advance(state, group)
                    self._update(p.data, grad, state, group, s)
        return loss

    def _state_for(self, p, group) -> dict:
        """``p``'s state, made by ``_init_state`` if it has none yet."""
        state = self.state.get(p)
        if not state:
            state = self.state[p] = self._init_state(p.data, group)
        return state

    # ---------------------------------------------------------- rule (subclasses)
    def _init_state(self, param, group) -> dict:
        """The state torch creates for ``param`` at its first step."""
        return {}

    def _advance(self, state, group):
        """Move the Python-number counters in ``state``; return what ``_update`` needs.
        By default: count the step, as torch does for every rule that keeps ``state["step"]``."""
        if "step" not in state:
            return None
        state["step"] += 1
        return state["step"]

    def _flat_ready(self, state, group) -> bool:
        """Can the rule run on pieces of the arrays (the fast path)? Not while it still creates state."""
        return True

    def _update(self, param, grad, state, group, s) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------ state dicts
    def _index(self):
        params = [p for g in self.param_groups for p in g["params"]]
        return params, {id(p): i for i, p in enumerate(params)}

    def state_dict(self) -> dict:
        """A snapshot in torch's layout: ``{'state': {index: {...}}, 'param_groups': [...]}``.

        ``state`` is keyed by the parameter's position over all groups; each group lists
        its parameters as those positions.  Arrays are copies.
        """
        params, index = self._index()
        groups = []
        for g in self.param_groups:
            group = copy.deepcopy({k: v for k, v in g.items() if k != "params"})
            group["params"] = [index[id(p)] for p in g["params"]]
            groups.append(group)
        state = {index[id(p)]: {k: _copy(v) for k, v in s.items()} for p in params if (s := self.state.get(p))}
        return {"state": state, "param_groups": groups}

    def _check_state_value(self, p, key, value, where) -> None:
        if _is_array(value) and value.ndim > 0 and tuple(value.shape) != tuple(p.data.shape):
            raise ValueError(f"loaded state {key!r} of {where} has shape {tuple(value.shape)}, expected {tuple(p.data.shape)}")

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a ``state_dict()``; everything is checked first, so a mismatch changes nothing."""
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("state_dict must be a dict with 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, the optimizer has {len(self.param_groups)}")
        for i, (g, sg) in enumerate(zip(self.param_groups, saved_groups)):
            if "params" not in sg or len(sg["params"]) != len(g["params"]):
                raise ValueError(f"loaded state dict contains a parameter group {i} that doesn't match the size of optimizer's group")
        id_map = {}
        for g, sg in zip(self.param_groups, saved_groups):
            id_map.update(zip(sg["params"], g["params"]))
        where = {id(p): _where(i, gi) for gi, g in enumerate(self.param_groups) for i, p in enumerate(g["params"])}
        for k, s in state_dict["state"].items():
            if k not in id_map:
                raise ValueError(f"loaded state dict has state for parameter index {k!r}, which no group lists")
            if not isinstance(s, dict):
                raise ValueError(f"loaded state for parameter index {k!r} must be a dict, got {type(s).__name__}")
            for key, value in s.items():
                self._check_state_value(id_map[k], key, value, where[id(id_map[k])])
        # all checked: now change things
        new_state = {}
        for k, s in state_dict["state"].items():
            p = id_map[k]
            new_state[p] = {key: self._cast(p, key, value) for key, value in s.items()}
        self.state = defaultdict(dict, new_state)
        for i, (g, sg) in enumerate(zip(self.param_groups, saved_groups)):
            group = copy.deepcopy({k: v for k, v in sg.items() if k != "params"})
            group["params"] = g["params"]
            self.param_groups[i] = group

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
