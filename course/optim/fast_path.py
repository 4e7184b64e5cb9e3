"""The NumPy fast path of ``Optimizer.step``: the same numbers as the plain loop, in less time.

The plain loop in ``optimizer.py`` calls a rule's ``_update`` once per parameter, on whole
arrays.  That is the code to read.  On NumPy it is slow in two opposite cases, and this module
fixes both without changing a bit of the result:

* **Many small parameters** (an MLP's weights and biases, 2000 tensors of 100): each
  ``_update`` costs a few NumPy calls of fixed overhead, so the time is Python's, not the
  arithmetic's.  A group of two or more NumPy float parameters of one dtype gets a *flat
  layout*: when the group is added, each ``p.data`` becomes a view of one flat buffer (same values,
  dtype and shape), and the state arrays become views of flat buffers too.  One rule call then
  updates every parameter of the group.
* **Large parameters** (10M floats): every NumPy operation of the rule writes a temporary
  as big as the parameter, so the step streams from memory several times more than the
  rule needs.  The rule is run on cache-sized chunks (``CHUNK_BYTES`` of each array), which
  keeps the temporaries in cache.  The chunks are shared among ``THREADS`` threads (NumPy
  releases the GIL inside its loops, and torch's CPU path uses every core too).

Why the numbers do not change: the rules are elementwise, and each element goes through the
same operations whether it sits in a chunk, a flat buffer or its own array.  Chunk
boundaries are fixed, so the threads do not matter either.  ``tests/test_optim_state.py``
checks the fast path against the golden data of every configuration, bit for bit against the
plain loop.

Nothing of it shows: ``state`` and ``state_dict()`` are per parameter, as in torch.  The flat
layout is made only where it cannot be seen: when nothing but the parameter holds its array
and nothing but the state holds the state arrays (so an array a user passed in, and still
holds, keeps being updated in place, as torch updates the tensor it was given).  A layout whose
views were replaced (``p.data = ...``) is dropped for good.  Should a rule fail midway, the
counters a flat step copied into every state are put back like the plain loop's (the ``undo``
list of ``Optimizer.step``), and every parameter a step updates has its version bumped.

Measured gain (``benchmarks/bench_optim.py``, Adam, float32, one core of a Xeon): 2000 tensors of
100, about 5x faster than the plain loop; 1 tensor of 10M, about 2x faster.

The base class reaches all of this through :func:`step_group`, after :func:`prepare` has
given each new group its layout.
"""
from __future__ import annotations

import os
import sys
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .. import blas_threads

try:
    from ..tensor import _bump_version
except ImportError:  # a tensor module without version counters
    def _bump_version(t) -> None:
        t._version = getattr(t, "_version", 0) + 1

__all__ = ["prepare", "step_group", "flat_layout", "CHUNK_BYTES", "THREADS"]

CHUNK_BYTES = 1 << 20  # of each array per chunk: bigger chunks, fewer Python calls (bench_chunks.py)
# Large arrays are split between this many threads.  COURSE_THREADS=1 turns it off.
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


def _is_array(v) -> bool:
    return hasattr(v, "shape") and hasattr(v, "dtype")


class _Holder:
    def __init__(self):
        self.data = np.empty(1)


def _refcount(array) -> int:
    return sys.getrefcount(array)


def _calibrate(array) -> int:
    return _refcount(array)  # called exactly as _unshared calls it


# What sys.getrefcount reports for an array that only one attribute holds (the interpreter's
# own count differs between Python versions, so it is measured rather than assumed).
_holder = _Holder()
_ALONE = _calibrate(_holder.data)
del _holder


def _unshared(array) -> bool:
    """Does nothing but its one owner hold ``array`` (no other name, container or view)?"""
    return type(array) is np.ndarray and array.base is None and _refcount(array) <= _ALONE


# ------------------------------------------------------------------ the flat layout
class _Flat:
    """One flat NumPy buffer for a group's parameters, and views of it."""

    def __init__(self, params):
        arrays = [p.data for p in params]
        self.sizes = [a.size for a in arrays]
        self.total = sum(self.sizes)
        self.dtype = arrays[0].dtype
        self.data = np.concatenate([a.reshape(-1) for a in arrays])
        self.views = self.split(self.data, arrays)
        del arrays
        for p, v in zip(params, self.views):
            p.data = v  # same values, dtype and shape; now a view of the flat buffer
        self.grad = np.empty(self.total, dtype=self.dtype)
        self.state = {}  # name -> (flat buffer, per-parameter views)
        self.synced = None  # (states, names, keys per state) while every state is known to be views of these buffers

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


# optimizer id -> (weak reference to it, {id(group's params list): (params list, _Flat or None)})
_layouts: dict = {}


def _layouts_of(opt) -> dict:
    entry = _layouts.get(id(opt))
    if entry is None or entry[0]() is not opt:
        entry = _layouts[id(opt)] = (weakref.ref(opt), {})
        weakref.finalize(opt, _layouts.pop, id(opt), None)
    return entry[1]


def prepare(opt, group) -> None:
    """Give a new group its flat layout, where it cannot be seen (called by ``add_param_group``).

    At construction nobody but the parameters holds their arrays, unless the user does (then
    the group keeps its arrays, and the plain or chunked path updates them in place)."""
    params = group["params"]
    dtype = getattr(params[0].data, "dtype", None) if params else None
    if len(params) > 1 and all(
            _unshared(p.data) and p.data.dtype == dtype and dtype.kind == "f" for p in params):
        _layouts_of(opt)[id(params)] = (params, _Flat(params))


def flat_layout(opt, group):
    """The ``_Flat`` layout of ``group`` in use, or None (for tests and benchmarks)."""
    entry = _layouts_of(opt).get(id(group["params"]))
    return entry[1] if entry is not None and entry[0] is group["params"] else None


class _Counters:
    """The counters that one flat step copies into every state of a group, as ``Optimizer._undo``
    puts a state back (``clear``, then ``update`` with the copy made before the step)."""

    def __init__(self, states, flat):
        self.states, self.flat = states, flat

    def clear(self):
        self.flat.synced = None  # check everything again at the next step

    def update(self, saved):
        for st in self.states:
            st.update(saved)


# ------------------------------------------------------------------ the one entry point
def step_group(opt, group, grads, undo=None) -> bool:
    """Step ``group`` of ``opt`` the fast way; False when the plain loop must do it.

    ``grads`` are the group's checked grads (None where a parameter has none).  ``undo`` (a
    list) gets what ``Optimizer._undo`` needs to put the counters back, should the rule fail.
    """
    params = group["params"]
    if not params or type(params[0].data) is not np.ndarray:
        return False
    if undo is None:
        undo = []
    if _step_flat(opt, group, grads, undo):
        return True
    chunk_bytes = getattr(opt, "chunk_bytes", CHUNK_BYTES)
    if all(p.data.nbytes < 2 * chunk_bytes for p in params):
        return False
    for p, grad in zip(params, grads):
        if grad is not None:
            state = opt._state_for(p, group, undo)
            undo.append((state, dict(state)))
            s = opt._advance(state, group)
            _bump_version(p)
            _apply(opt, p.data, grad, state, group, s)
    return True


def _apply(opt, param, grad, state, group, s) -> None:
    """The rule on whole arrays, or over cache-sized chunks of large NumPy arrays."""
    if getattr(param.dtype, "kind", "") == "c":  # through its real view, whole (see Optimizer._complex_update)
        return opt._complex_update(param, grad, state, group, s)
    chunk_bytes = getattr(opt, "chunk_bytes", CHUNK_BYTES)
    arrays = {k: v for k, v in state.items() if _is_array(v)}
    everything = [param, grad, *arrays.values()]
    if (type(param) is not np.ndarray or param.nbytes < 2 * chunk_bytes
            or not opt._flat_ready(state, group)
            or not all(type(a) is np.ndarray and a.flags.c_contiguous for a in everything)):
        return opt._update(param, grad, state, group, s)
    _chunked(opt, everything[0].reshape(-1), everything[1].reshape(-1), state,
             {k: v.reshape(-1) for k, v in arrays.items()}, group, s)


def _chunked(opt, param, grad, state, arrays, group, s) -> None:
    """Apply the rule chunk by chunk to flat NumPy arrays, the chunks shared among ``THREADS``.

    Each thread takes the next chunk when it is done with one, so a thread slowed down by
    something else on the machine holds nobody up.  Chunk boundaries are fixed and every
    element goes through the same operations whichever thread runs its chunk, so the
    result does not depend on the threads.
    """
    _prime_malloc()
    chunk = max(1, getattr(opt, "chunk_bytes", CHUNK_BYTES) // param.itemsize)
    starts = range(0, param.size, chunk)
    todo, lock = iter(starts), threading.Lock()
    update = opt._update

    def work():
        chunk_state = dict(state)  # one per thread: the chunk's views of the state arrays
        while True:
            with lock:
                start = next(todo, None)
            if start is None:
                return
            stop = start + chunk
            chunk_state.update((k, v[start:stop]) for k, v in arrays.items())
            update(param[start:stop], grad[start:stop], chunk_state, group, s)

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


def _step_flat(opt, group, grads, undo) -> bool:
    """One rule call per chunk of the group's flat buffers; False when its assumptions fail."""
    params = group["params"]
    flat = flat_layout(opt, group)
    if flat is None:
        return False
    if any(p.data is not v for p, v in zip(params, flat.views)):
        del _layouts_of(opt)[id(params)]  # someone replaced p.data: the layout is gone for good
        return False
    if any(g is None for g in grads):
        flat.synced = None
        return False
    if not _flat_states_ready(opt, params, flat, group, undo):
        return False
    states, names, _ = flat.synced
    np.concatenate(grads, axis=None, out=flat.grad)
    scalars = {k: v for k, v in states[0].items() if not _is_array(v)}
    if scalars:
        undo.append((_Counters(states, flat), dict(scalars)))
    s = opt._advance(scalars, group)
    if scalars:
        for st in states:
            st.update(scalars)
    for p in params:
        _bump_version(p)
    _chunked(opt, flat.data, flat.grad, scalars, {name: flat.state[name][0] for name in names}, group, s)
    return True


def _flat_states_ready(opt, params, flat, group, undo) -> bool:
    """Are all states views of the flat state buffers, with the same counters? Make them so if possible."""
    state = opt.state
    if flat.synced is not None:  # nothing but flat steps since the last full check: identities suffice
        states, names, size = flat.synced
        if opt._flat_ready(states[0], group) and all(  # a flag edited since may need new state
                state.get(p) is s and len(s) == size for p, s in zip(params, states)) and all(
                s[n] is v for n in names for s, v in zip(states, flat.state[n][1])):
            return True
    flat.synced = None
    states = [opt._state_for(p, group, undo) for p in params]
    first = states[0]
    scalars = {k: v for k, v in first.items() if not _is_array(v)}
    names = [k for k, v in first.items() if _is_array(v)]
    for s in states:  # same counters and the same state names in every parameter
        if s.keys() != first.keys() or any(s[k] != v for k, v in scalars.items()):
            return False
        if any(not _is_array(s[k]) or s[k].dtype != flat.dtype for k in names):
            return False
    for name in names:  # arrays like each parameter (a loaded key the rule does not read may be other)
        if any(s[name].shape != v.shape for s, v in zip(states, flat.views)):
            return False
    if not opt._flat_ready(first, group):
        return False
    views = {name: flat.state_views(name)[1] for name in names}
    if any(s[n] is not v and not _unshared(s.get(n)) for n in names for s, v in zip(states, views[n])):
        return False  # someone else holds a state array: it must stay the one updated
    for name in names:  # adopt: state arrays become views of one flat buffer
        for s, v in zip(states, views[name]):
            if s[name] is not v:
                v[...] = s[name]
                s[name] = v
    flat.synced = (states, names, len(first))
    return True
