"""The ``Optimizer`` base class, shaped like ``torch.optim.Optimizer``.

An optimizer holds ``param_groups`` (dicts of hyperparameters with a ``'params'`` list),
``defaults`` and ``state`` (one dict per parameter).  A subclass writes its update rule
once, on arrays::

    _init_state(p, group)             -> the state torch creates at the first step
    _advance(state, group)            -> moves the per-parameter counters (Python numbers)
                                         and returns the numbers this step uses
    _update(param, grad, state, group, s)  the rule itself: in place, on arrays

``step()`` applies the rule to every parameter that has a grad.  For speed on NumPy
(see ``benchmarks/README.md``) it applies the same rule over cache-sized chunks, and a
group of several NumPy parameters of one dtype gets a flat layout: at construction each
``p.data`` is re-pointed to a view of one flat buffer (same values, dtype and shape, still
updated in place), and its state lives in flat buffers too, so one call updates them all.
Nothing of this shows: ``state`` and ``state_dict()`` are per parameter, as in torch.
"""
from __future__ import annotations

import copy
import os
import struct
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .. import backend, blas_threads
from ..tensor import Tensor, enable_grad

__all__ = ["Optimizer"]

CHUNK_BYTES = 1 << 20  # of each array per chunk: bigger chunks, fewer Python calls (bench_chunks.py)
# Large arrays are split between this many threads (NumPy releases the GIL inside its loops,
# and torch's default CPU path uses every core too).  COURSE_THREADS=1 turns it off.
THREADS = max(1, min(2, int(os.environ.get("COURSE_THREADS", os.cpu_count() or 1))))
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(THREADS - 1, thread_name_prefix="course-optim")
    return _pool


_malloc_primed = False


def _prime_malloc() -> None:
    """Free one 16 MB block, so that malloc keeps the chunks' temporaries' memory.

    glibc's malloc serves big blocks with ``mmap`` and, once freed memory at the top of the heap
    exceeds twice its threshold, hands it back to the OS, so each chunk's temporaries were
    faulted in again, page by page.  The threshold starts at 128 KB and rises to the size of
    the biggest ``mmap``-ed block freed so far (its documented dynamic threshold, mallopt(3)).
    Raising it once is what any program that frees a 16 MB array does; elsewhere it is a no-op.
    Adam on 10M float32, 8 fresh processes each: 19.7-26.6 ms per step before, 11.3-13.9 after.
    """
    global _malloc_primed
    if not _malloc_primed:
        _malloc_primed = True
        np.empty(1 << 24, dtype=np.uint8)  # allocated and freed at once, its pages never touched


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


class _Flat:
    """One flat NumPy buffer for a group's parameters, and views of it (NumPy only)."""

    def __init__(self, params):
        arrays = [p.data for p in params]
        self.sizes = [a.size for a in arrays]
        self.total = sum(self.sizes)
        self.dtype = arrays[0].dtype
        self.data = np.concatenate([a.reshape(-1) for a in arrays])
        self.views = self.split(self.data, arrays)
        for p, v in zip(params, self.views):
            p.data = v  # same values, dtype and shape; now a view of the flat buffer
        self.grad = np.empty(self.total, dtype=self.dtype)
        self.state = {}  # name -> (flat buffer, per-parameter views)
        self.synced = None  # (states, names) while every state is known to be views of these buffers

    def split(self, flat, like):
        out, start = [], 0
        for a, n in zip(like, self.sizes):
            out.append(flat[start:start + n].reshape(a.shape))
            start += n
        return out

    def state_views(self, name):
        if name not in self.state:
            buf = np.empty(self.total, dtype=self.dtype)
            self.state[name] = (buf, self.split(buf, self.views))
        return self.state[name]


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

    chunk_bytes = CHUNK_BYTES  # of each array per chunk of a large NumPy array

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self.state = {}
        self.param_groups = []
        self._layouts = {}
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
        self._make_layout(group)

    def _make_layout(self, group) -> None:
        params = group["params"]
        arrays = [p.data for p in params]
        if len(arrays) > 1 and all(
            type(a) is np.ndarray and a.dtype == arrays[0].dtype and a.dtype.kind == "f" for a in arrays
        ):
            self._layouts[id(params)] = (params, _Flat(params))

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
        all_grads = self._checked_grads()
        for group, grads in zip(self.param_groups, all_grads):
            if not self._step_flat(group, grads):
                for p, g in zip(group["params"], grads):
                    if g is not None:
                        self._step_param(p, g, group)
        return loss

    def _step_param(self, p, grad, group) -> None:
        state = self.state.get(p)
        if not state:
            state = self.state[p] = self._init_state(p.data, group)
        s = self._advance(state, group)
        self._apply(p.data, grad, state, group, s)

    def _apply(self, param, grad, state, group, s) -> None:
        """The rule on whole arrays, or over cache-sized chunks of large NumPy arrays."""
        arrays = {k: v for k, v in state.items() if _is_array(v)}
        everything = [param, grad, *arrays.values()]
        if (type(param) is not np.ndarray or param.nbytes < 2 * self.chunk_bytes
                or not self._flat_ready(state, group)
                or not all(type(a) is np.ndarray and a.flags.c_contiguous for a in everything)):
            return self._update(param, grad, state, group, s)
        self._chunked(everything[0].reshape(-1), everything[1].reshape(-1), state,
                      {k: v.reshape(-1) for k, v in arrays.items()}, group, s)

    def _chunked(self, param, grad, state, arrays, group, s) -> None:
        """Apply the rule chunk by chunk to flat NumPy arrays, the chunks shared among ``THREADS``.

        Each thread takes the next chunk when it is done with one, so a thread slowed down by
        something else on the machine holds nobody up.  Chunk boundaries are fixed and every
        element goes through the same operations whichever thread runs its chunk, so the
        result does not depend on the threads.
        """
        _prime_malloc()
        chunk = max(1, self.chunk_bytes // param.itemsize)
        starts = range(0, param.size, chunk)
        todo, lock = iter(starts), threading.Lock()

        def work():
            chunk_state = dict(state)  # one per thread: the chunk's views of the state arrays
            while True:
                with lock:
                    start = next(todo, None)
                if start is None:
                    return
                stop = start + chunk
                chunk_state.update((k, v[start:stop]) for k, v in arrays.items())
                self._update(param[start:stop], grad[start:stop], chunk_state, group, s)

        # Idle BLAS workers spin for a while after a multi-threaded product, holding a core.
        threads = 1 if blas_threads.spinning() else THREADS
        if threads == 1 or len(starts) < 4 * threads:
            return work()
        futures = [_executor().submit(work) for _ in range(threads - 1)]
        try:
            work()  # this thread works too
        finally:
            for f in futures:
                f.result()

    def _step_flat(self, group, grads) -> bool:
        """One rule call per chunk of the group's flat buffers; False when its assumptions fail."""
        entry = self._layouts.get(id(group["params"]))
        if entry is None or entry[0] is not group["params"]:
            return False
        params, flat = entry
        if any(p.data is not v for p, v in zip(params, flat.views)):
            del self._layouts[id(params)]  # someone replaced p.data: the layout is gone for good
            return False
        if any(g is None for g in grads):
            flat.synced = None
            return False
        if not self._flat_states_ready(params, flat, group):
            return False
        states, names = flat.synced
        np.concatenate(grads, axis=None, out=flat.grad)
        scalars = {k: v for k, v in states[0].items() if not _is_array(v)}
        s = self._advance(scalars, group)
        if scalars:
            for st in states:
                st.update(scalars)
        self._chunked(flat.data, flat.grad, scalars, {name: flat.state[name][0] for name in names}, group, s)
        return True

    def _flat_states_ready(self, params, flat, group) -> bool:
        """Are all states views of the flat state buffers, with the same counters? Make them so if possible."""
        state = self.state
        if flat.synced is not None:  # nothing but flat steps since the last full check: identities suffice
            states, names = flat.synced
            if all(state.get(p) is s for p, s in zip(params, states)) and all(
                    s[n] is v for n in names for s, v in zip(states, flat.state[n][1])):
                return True
        flat.synced = None
        states = [state.get(p) for p in params]
        for i, s in enumerate(states):
            if not s:
                states[i] = state[params[i]] = self._init_state(params[i].data, group)
        first = states[0]
        scalars = {k: v for k, v in first.items() if not _is_array(v)}
        names = [k for k, v in first.items() if _is_array(v)]
        for s in states:  # same counters and the same state names in every parameter
            if s.keys() != first.keys() or any(s[k] != v for k, v in scalars.items()):
                return False
            if any(not _is_array(s[k]) or s[k].dtype != flat.dtype for k in names):
                return False
        if not self._flat_ready(first, group):
            return False
        for name in names:  # adopt: state arrays become views of one flat buffer
            _, views = flat.state_views(name)
            for s, v in zip(states, views):
                if s[name] is not v:
                    v[...] = s[name]
                    s[name] = v
        flat.synced = (states, names)
        return True

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
        """Can the rule run on pieces of the arrays? (Not while it still creates state.)"""
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
        self.state = new_state
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

    # ------------------------------------------------------------------ pickle
    def __getstate__(self):
        d = self.__dict__.copy()
        d["_layouts"] = {}  # views do not survive pickling; rebuilt on load
        return d

    def __setstate__(self, d):
        self.__dict__.update(d)
        self._layouts = {}
        for group in self.param_groups:
            self._make_layout(group)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params"]
        return "\n".join(lines + [")"])
