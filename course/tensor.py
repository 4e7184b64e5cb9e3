"""A small reverse-mode autograd on whole arrays, in the spirit of micrograd.

Each operation computes its result and, right beside it, the local derivative that
carries the output's gradient ``g`` back to its inputs.  ``Tensor.backward`` walks the
graph in reverse topological order and adds these contributions up.  The arrays are
NumPy, CuPy or any array-API arrays: every operation asks its data for its namespace.

>>> import numpy as np
>>> x = Parameter(np.array([1.0, 2.0, 3.0]))
>>> loss = (x * x).sum()          # L = sum x_i^2
>>> loss.backward()
>>> x.grad                        # dL/dx = 2 x
array([2., 4., 6.])
"""
from __future__ import annotations

import contextlib
import math
import threading

import array_api_compat
import numpy as np

from . import backend
from .blas_threads import for_matmul

__all__ = ["Tensor", "Parameter", "no_grad", "enable_grad", "is_grad_enabled", "tensor"]


class _GradState(threading.local):
    enabled = True  # every thread starts with gradients on


_state = _GradState()


def is_grad_enabled() -> bool:
    return _state.enabled


@contextlib.contextmanager
def _grad_mode(enabled: bool):
    previous = is_grad_enabled()
    _state.enabled = enabled
    try:
        yield
    finally:
        _state.enabled = previous


def no_grad():
    """Context manager (like ``torch.no_grad``): operations inside record no graph.

    >>> import numpy as np
    >>> w = Parameter(np.ones(2))
    >>> with no_grad():
    ...     y = w * 2.0
    >>> y.requires_grad
    False
    """
    return _grad_mode(False)


def enable_grad():
    """Context manager that turns graph recording back on inside a ``no_grad`` block."""
    return _grad_mode(True)


def _is_array(x) -> bool:
    if type(x) is np.ndarray:  # the common case, asked several times per operation
        return True
    return array_api_compat.is_array_api_obj(x) and not isinstance(x, (bool, int, float, complex))


_NUMPY = None  # array_api_compat's NumPy namespace, once asked for (importing it takes 0.2 s)


def _namespace(x):
    """``backend.namespace(x)``, with NumPy arrays answered at once (asked in every operation)."""
    if _NUMPY is not None and type(x) is np.ndarray:
        return _NUMPY
    return _first_namespace(x)


def _first_namespace(x):
    global _NUMPY
    xp = backend.namespace(x)
    if type(x) is np.ndarray:
        _NUMPY = xp
    return xp


def _keep_where(mask, x, xp):
    """``xp.where(mask, x, 0)``: ``x`` where ``mask`` is true, ``+0`` elsewhere (ReLU and its gradient).

    Speed only, for NumPy floats: ``np.where`` branches on every element, and on a random mask
    (a ReLU's) it takes 55 us for 64 x 256 float32.  Multiplying the floats' bit patterns, as
    integers, by the 0/1 mask gives the same bits (1 keeps all of them, NaN and -0.0 included;
    0 gives the pattern of +0.0) in 5 us.
    """
    if type(x) is np.ndarray and x.dtype.kind == "f" and x.dtype.itemsize in (2, 4, 8) and mask.shape == x.shape:
        bits = np.dtype(f"i{x.dtype.itemsize}")
        return np.multiply(x.view(bits), mask).view(x.dtype)
    return xp.where(mask, x, xp.zeros_like(x))


# ------------------------------------------------------------- version counters
# Each tensor has a version counter, ``t._version``, 0 at creation and shared with its views
# (``reshape``, ``.T``, basic indexing, ``detach()``), as in torch.  Code that changes ``t.data``
# in place must bump it: ``t._version += 1`` (or ``_bump_version(t)``), as an optimizer's step
# does.  An operation whose backward needs an input's values (``a * b`` needs ``b`` for ``a``'s
# gradient) records that input's version; ``backward`` raises if it has changed since.

def _bump_version(t) -> None:
    """Record that ``t.data`` was changed in place (torch's in-place operations do this)."""
    t._vc[0] += 1


_FREED = object()  # ``node._saved`` once backward has freed what the node saved
_RESULT = ((None, 0),)  # ``saved`` of an operation whose backward reads its own result only


def _freed_error():
    return RuntimeError(
        "Trying to backward through the graph a second time (or directly access saved tensors after they "
        "have already been freed). Saved intermediate values of the graph are freed when you call "
        ".backward(). Specify retain_graph=True if you need to backward through the graph a second time "
        "or if you need to access saved tensors after calling backward.")


def _modified_error(node, t, expected):
    what = f"[{t.shape}, {t.dtype}]" + (f", which is the output of {node._op}," if t is node else "")
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"{what} is at version {t._vc[0]}; expected version {expected} instead. Hint: it was changed in "
        "place (an optimizer step, or code that updates .data) after the forward pass that used it; "
        "call backward() before the update, or run the forward pass again.")


# ------------------------------------------------------------------ type promotion
_KIND_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}
_CATEGORIES = ("bool", "integral", "real floating", "complex floating")


def _category(xp, dtype) -> int:
    """0 bool, 1 integer, 2 floating, 3 complex: torch's type categories."""
    kind = getattr(dtype, "kind", None)  # NumPy and CuPy dtypes
    if isinstance(kind, str) and kind in _KIND_CATEGORY:
        return _KIND_CATEGORY[kind]
    for rank, name in enumerate(_CATEGORIES):
        if xp.isdtype(dtype, name):
            return rank
    raise TypeError(f"unsupported dtype {dtype}")


def _result_dtype(xp, x, y):
    """The dtype torch computes ``x op y`` in, for two arrays of different dtypes.

    A 0-d operand beside one with dimensions counts only when its category (bool < integer <
    floating) is higher: float32 with a 0-d float64 stays float32, int32 with a 0-d int64 stays
    int32, int64 with a 0-d float32 gives float32.  Otherwise the two promote as torch's
    ``promote_types``: within a category the wider type (as NumPy), across categories the
    type of the higher one (int64 with float32 gives float32, where NumPy gives float64).
    """
    dx, dy = x.dtype, y.dtype
    cx, cy = _category(xp, dx), _category(xp, dy)
    zx, zy = x.ndim == 0, y.ndim == 0
    if zx and not zy and cx <= cy:
        return dy
    if zy and not zx and cy <= cx:
        return dx
    if cx == cy or min(cx, cy) >= 2:  # same category (or real with complex): as NumPy and the array API
        return xp.result_type(dx, dy)
    return dx if cx > cy else dy


def _promoted(a, b):
    """``a.data`` and ``b.data`` cast to the dtype torch computes ``a op b`` in (see ``_result_dtype``).

    ``b`` may be a Python number (``_Scalar``): NumPy's rules for Python numbers already are
    torch's for its "wrapped numbers" (float32 stays float32, an integer array with a Python
    float gives the default float dtype), so it stays as it is.
    """
    x, y = a.data, b.data
    if type(b) is _Scalar or x.dtype == y.dtype:
        return x, y
    xp = _namespace(x)
    dtype = _result_dtype(xp, x, y)
    if x.dtype != dtype:
        x = xp.astype(x, dtype)
    if y.dtype != dtype:
        y = xp.astype(y, dtype)
    return x, y


def _unbroadcast(g, shape):
    """Sum ``g`` down to ``shape``: the gradient of broadcasting is summation."""
    if tuple(g.shape) == tuple(shape):
        return g
    xp = _namespace(g)
    extra = g.ndim - len(shape)
    if extra:
        g = xp.sum(g, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = xp.sum(g, axis=axes, keepdims=True)
    return g


def _normalize_axis(axis, ndim):
    """``axis`` (None, an int or a tuple) as a tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        if ndim:  # a 0-d tensor accepts axis 0 or -1, like torch, and has nothing to reduce
            out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"axis {axis} repeats an axis")
    return tuple(out)


def _axis_args(axis, keepdims, dim, keepdim):
    """Accept torch's ``dim``/``keepdim`` spelling beside NumPy's ``axis``/``keepdims``."""
    if dim is not None:
        if axis is not None:
            raise TypeError("give either axis or dim, not both")
        axis = dim
    return axis, bool(keepdims or keepdim)


def _is_basic_index(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) and not isinstance(p, bool) for p in parts)


class Tensor:
    """An array with a gradient: ``Tensor(data, requires_grad=False)``.

    ``data`` is a NumPy/CuPy/array-API array (Python numbers and lists become arrays of
    the default backend).  After ``loss.backward()``, every tensor that requires grad and
    is a leaf holds ``d loss / d self`` in ``.grad``, an array of its own dtype.
    Dtypes combine as in torch: a Python or NumPy number, or a 0-d operand, never changes the
    dtype within its category (float32 * 2.0, float32 * 0-d float64 stay float32; int32 + 0-d
    int64 stays int32); from a higher category it promotes (an integer tensor with a Python
    float gives the default float dtype, float64 here as in NumPy, where torch's is float32).
    ``_version`` counts in-place changes of ``data`` (see ``_bump_version``).

    >>> import numpy as np
    >>> a = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    >>> b = (a * 0.5 + 1).sum(axis=1)
    >>> b.shape, b.dtype
    ((2,), dtype('float32'))
    """

    __array_ufunc__ = None  # NumPy defers to us: `ndarray + Tensor` calls Tensor.__radd__

    def __init__(self, data, requires_grad: bool = False, _parents=(), _op: str = ""):
        if type(data) is np.ndarray:  # the common case: nothing to convert
            pass
        elif isinstance(data, Tensor):
            data = data.data
        elif isinstance(data, np.generic):  # NumPy reductions return scalars: keep arrays
            data = np.asarray(data)
        elif not _is_array(data):
            data = backend.get().asarray(data)
        self.data = data
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._parents = _parents  # the tensors this one was computed from
        self._backward = None  # g -> one gradient per parent (None: no gradient)
        self._op = _op
        self._vc = [0]  # the version counter: a list, so that views can share it
        self._saved = None  # ((tensor or None for self, its version), ...) that _backward reads

    @property
    def _version(self) -> int:
        """How many times ``data`` was changed in place (shared with views, as torch's ``_version``)."""
        return self._vc[0]

    @_version.setter
    def _version(self, value: int):
        self._vc[0] = value

    # ------------------------------------------------------------------ basics
    @property
    def shape(self):
        return tuple(self.data.shape)

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        """Number of elements (NumPy's ``size``; torch calls it ``numel()``)."""
        return math.prod(self.shape)

    def numel(self):
        return self.size

    @property
    def is_leaf(self):
        return not self._parents

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self):
        text = repr(backend.to_numpy(self.data))
        if text.startswith("array(") and text.endswith(")"):
            text = text[len("array("):-1]
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"tensor({text}{grad})"

    def xp(self):
        return _namespace(self.data)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.size != 1:
            raise ValueError(f"a Tensor with {self.size} elements cannot be converted to a Python scalar")
        xp = self.xp()
        value = xp.reshape(self.data, ())
        if xp.isdtype(self.dtype, "bool"):
            return bool(value)
        if xp.isdtype(self.dtype, "integral"):
            return int(value)
        return float(value)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def numpy(self):
        """The data as a NumPy array (a copy for GPU data)."""
        return backend.to_numpy(self.data)

    def detach(self) -> "Tensor":
        """The same data, cut from the graph (no gradient flows through it); it shares the version counter."""
        out = Tensor(self.data)
        out._vc = self._vc
        return out

    def zero_grad(self):
        self.grad = None

    # ----------------------------------------------------------- graph building
    def _make(self, data, parents, backward, op, saved=None):
        """The result of an operation: it records ``parents`` and ``backward`` when a gradient can flow.

        ``saved``: None when ``backward`` needs no values (it can run again after a backward,
        as torch's AddBackward), else the pairs ``(tensor, its version now)`` of the tensors
        whose values it reads (``(None, 0)``: the result itself), maybe none (it saves a Python
        number): ``Tensor.backward`` checks the versions, and frees the node's saved values
        unless ``retain_graph=True``, as torch does.
        """
        track = False
        if is_grad_enabled():
            for p in parents:
                if p.requires_grad:
                    track = True
                    break
        out = Tensor(data, requires_grad=track, _parents=tuple(parents) if track else (), _op=op)
        if track:
            out._backward = backward
            out._saved = saved
        return out

    def _lift(self, other) -> "Tensor":
        """Wrap arrays as constant tensors; keep Python and NumPy numbers as numbers (no float32 -> float64)."""
        if isinstance(other, Tensor):
            return other
        kind = type(other)
        if kind is float or kind is int or kind is bool:
            return _Scalar(other)
        if isinstance(other, np.generic) and other.dtype.kind in "biuf":
            return _Scalar(other.item())  # np.float64(2.0) acts as 2.0, as in torch
        if _is_array(other):
            return Tensor(other)
        if isinstance(other, (bool, int, float)):
            return _Scalar(other)
        if isinstance(other, (list, tuple)):
            return Tensor(self.xp().asarray(other, dtype=self.dtype, device=array_api_compat.device(self.data)))
        return NotImplemented

    # ----------------------------------------------------- elementwise binaries
    # Each computes in the dtype torch does (``_promoted``) and names in ``saved`` the tensors
    # whose values its backward reads, as torch's nodes save them: ``a * b`` saves ``b`` for
    # ``a``'s gradient and ``a`` for ``b``'s; ``a * 2.0`` saves the number only (then ``a`` may
    # change, but the graph cannot be run twice); ``a + b`` saves nothing.
    def __add__(self, other):
        other = self._lift(other)
        if other is NotImplemented:
            return other
        a, b = self, other
        x, y = _promoted(a, b)
        return self._make(x + y, (a, b), lambda g: (
            _unbroadcast(g, a.shape) if a.requires_grad else None,
            _unbroadcast(g, b.shape) if b.requires_grad else None), "+")

    def __mul__(self, other):
        other = self._lift(other)
        if other is NotImplemented:
            return other
        a, b = self, other
        x, y = _promoted(a, b)
        if type(b) is _Scalar:
            saved = ()
        else:
            saved = ((b, b._vc[0]),) if a.requires_grad else ()
            if b.requires_grad:
                saved += ((a, a._vc[0]),)
        return self._make(x * y, (a, b), lambda g: (
            _unbroadcast(g * y, a.shape) if a.requires_grad else None,
            _unbroadcast(g * x, b.shape) if b.requires_grad else None), "*", saved)

    def __sub__(self, other):
        other = self._lift(other)
        if other is NotImplemented:
            return other
        a, b = self, other
        x, y = _promoted(a, b)
        return self._make(x - y, (a, b), lambda g: (
            _unbroadcast(g, a.shape) if a.requires_grad else None,
            _unbroadcast(-g, b.shape) if b.requires_grad else None), "-")

    def __truediv__(self, other):
        other = self._lift(other)
        if other is NotImplemented:
            return other
        a, b = self, other
        x, y = _promoted(a, b)
        if type(b) is _Scalar:
            saved = ()
        else:
            saved = ((b, b._vc[0]), (a, a._vc[0])) if b.requires_grad else ((b, b._vc[0]),)
        # d(a/b)/da = 1/b,  d(a/b)/db = -a/b**2, computed as torch does: -g * ((a / b) / b)
        return self._make(x / y, (a, b), lambda g: (
            _unbroadcast(g / y, a.shape) if a.requires_grad else None,
            _unbroadcast(-g * ((x / y) / y), b.shape) if b.requires_grad else None), "/", saved)

    def __pow__(self, exponent):
        a = self
        xp = self.xp()
        if isinstance(exponent, np.generic) and exponent.dtype.kind in "biuf":
            exponent = exponent.item()
        if isinstance(exponent, (bool, int, float)):
            out = a.data ** exponent
            saved = ((a, a._vc[0]),)  # torch's PowBackward0 saves a, even for n == 0
            # d(a**n)/da = n * a**(n-1); torch defines it as 0 for n == 0 (even at a == 0)
            if exponent == 0:
                return self._make(out, (a,), lambda g: (xp.zeros_like(g),), "**", saved)
            return self._make(out, (a,), lambda g: (g * exponent * a.data ** (exponent - 1),), "**", saved)
        b = self._lift(exponent)
        if b is NotImplemented:
            return b
        x, y = _promoted(a, b)
        out = x ** y

        def backward(g):
            # d(a**b)/da = b * a**(b-1),  d(a**b)/db = a**b * log(a)  (0 where a == 0 and b >= 0, as torch)
            ga = _unbroadcast(g * y * x ** (y - 1), a.shape) if a.requires_grad else None
            gb = None
            if b.requires_grad:
                safe = xp.where(x == 0, xp.ones_like(x), x)
                gb = xp.where((x == 0) & (y >= 0), xp.zeros_like(out), g * out * xp.log(safe))
                gb = _unbroadcast(gb, b.shape)
            return ga, gb

        saved = ((a, a._vc[0]), (b, b._vc[0]), (None, 0))  # torch saves both and the result
        return self._make(out, (a, b), backward, "**", saved)

    def __radd__(self, other):
        return self.__add__(other)

    def __rmul__(self, other):
        return self.__mul__(other)

    def __rsub__(self, other):
        return (-self).__add__(other)

    def __rtruediv__(self, other):
        other = self._lift(other)
        if other is NotImplemented:
            return other
        return other.__truediv__(self)

    def __rpow__(self, other):
        other = self._lift(other)
        if other is NotImplemented:
            return other
        return other.__pow__(self)

    def __neg__(self):
        a = self
        return self._make(-a.data, (a,), lambda g: (-g,), "neg")

    # ------------------------------------------------------------------ matmul
    def __matmul__(self, other):
        other = self._lift(other)
        if other is NotImplemented or isinstance(other, _Scalar):
            raise TypeError("matmul: both operands must be arrays or tensors, not scalars")
        a, b = self, other
        if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align")
        xp = self.xp()
        try:
            with for_matmul(a.data, b.data):  # BLAS threads by size (speed only)
                out = xp.matmul(a.data, b.data)
        except ValueError:  # batch dimensions that do not broadcast
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align") from None

        def backward(g):
            # Treat vectors as 1xN / Nx1 matrices, then undo that.
            a2 = a.data if a.ndim > 1 else xp.reshape(a.data, (1, -1))
            b2 = b.data if b.ndim > 1 else xp.reshape(b.data, (-1, 1))
            g2 = xp.reshape(g, tuple(out.shape) + (1,)) if b.ndim == 1 else g
            if a.ndim == 1:
                g2 = xp.reshape(g2, tuple(g2.shape[:-1]) + (1, g2.shape[-1]))
            ga = gb = None  # a constant, such as the input batch, needs no gradient
            with for_matmul(a2, b2):  # both products have the forward's M*N*K
                if a.requires_grad:
                    ga = xp.matmul(g2, xp.matrix_transpose(b2))  # dL/dA = G B^T
                if b.requires_grad:
                    gb = xp.matmul(xp.matrix_transpose(a2), g2)  # dL/dB = A^T G
            return (None if ga is None else xp.reshape(_unbroadcast(ga, a2.shape), a.shape),
                    None if gb is None else xp.reshape(_unbroadcast(gb, b2.shape), b.shape))

        saved = ((b, b._vc[0]),) if a.requires_grad else ()
        if b.requires_grad:
            saved += ((a, a._vc[0]),)
        return self._make(out, (a, b), backward, "@", saved)

    def __rmatmul__(self, other):
        other = self._lift(other)
        if other is NotImplemented:
            return other
        if isinstance(other, _Scalar):
            raise TypeError("matmul: both operands must be arrays or tensors, not scalars")
        return other.__matmul__(self)

    # -------------------------------------------------------------- reductions
    def sum(self, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False):
        """Sum over ``axis`` (torch: ``dim``); the gradient copies ``g`` back over the summed axes."""
        axis, keepdims = _axis_args(axis, keepdims, dim, keepdim)
        a = self
        xp = self.xp()
        axes = _normalize_axis(axis, a.ndim)
        out = xp.sum(a.data, axis=axes, keepdims=keepdims)

        def backward(g):
            if not keepdims:
                g = xp.reshape(g, tuple(1 if i in axes else n for i, n in enumerate(a.shape)))
            return (xp.broadcast_to(g, a.shape),)

        return self._make(out, (a,), backward, "sum")

    def mean(self, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False):
        """Mean over ``axis``: the sum divided by the number of summed elements, as torch computes it."""
        axis, keepdims = _axis_args(axis, keepdims, dim, keepdim)
        axes = _normalize_axis(axis, self.ndim)
        count = math.prod(self.shape[i] for i in axes)
        out = self.sum(axis=axes, keepdims=keepdims) / count
        out._saved = None  # one node in torch (MeanBackward), which saves no values
        return out

    # ------------------------------------------------------------------ shapes
    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        a = self
        xp = self.xp()
        try:
            out = xp.reshape(a.data, shape)
        except (ValueError, TypeError):
            raise ValueError(f"reshape: cannot reshape a tensor of shape {a.shape} into shape {shape}") from None
        out = self._make(out, (a,), lambda g: (xp.reshape(g, a.shape),), "reshape")
        if type(a.data) is not np.ndarray or np.may_share_memory(out.data, a.data):
            out._vc = a._vc  # a view shares its base's version counter; a copy does not
        return out

    def transpose(self):
        """Reverse the last two axes (``.T`` for a matrix)."""
        a = self
        xp = self.xp()
        if a.ndim < 2:
            return a
        out = self._make(xp.matrix_transpose(a.data), (a,), lambda g: (xp.matrix_transpose(g),), "T")
        out._vc = a._vc  # a view
        return out

    @property
    def T(self):
        return self.transpose()

    def __getitem__(self, index):
        a = self
        xp = self.xp()
        if isinstance(index, Tensor):
            index = index.data
        basic = _is_basic_index(index)
        if not basic and is_grad_enabled() and a.requires_grad:
            # an index array may repeat an element, and the array API has no scatter-add
            raise TypeError("indexing a tensor that requires grad supports only ints, slices, "
                            "None and ...; index the data, or detach() first")
        out = a.data[index]

        def backward(g):
            full = xp.zeros(a.shape, dtype=g.dtype, device=array_api_compat.device(g))
            full[index] = g  # basic indexing never repeats an element
            return (full,)

        out = self._make(out, (a,), backward, "getitem")
        if basic:
            out._vc = a._vc  # basic indexing gives a view
        return out

    # ------------------------------------------------------------ elementwise
    def exp(self):
        a = self
        out = self.xp().exp(a.data)
        return self._make(out, (a,), lambda g: (g * out,), "exp", _RESULT)  # d e^a = e^a

    def log(self):
        a = self
        saved = ((a, a._vc[0]),)
        return self._make(self.xp().log(a.data), (a,), lambda g: (g / a.data,), "log", saved)  # d log a = 1/a

    def sqrt(self):
        a = self
        out = self.xp().sqrt(a.data)
        return self._make(out, (a,), lambda g: (g / (2 * out),), "sqrt", _RESULT)  # 1 / (2 sqrt a)

    def sin(self):
        a = self
        xp = self.xp()
        return self._make(xp.sin(a.data), (a,), lambda g: (g * xp.cos(a.data),), "sin", ((a, a._vc[0]),))

    def cos(self):
        a = self
        xp = self.xp()
        return self._make(xp.cos(a.data), (a,), lambda g: (-g * xp.sin(a.data),), "cos", ((a, a._vc[0]),))

    def abs(self):
        a = self
        xp = self.xp()
        return self._make(xp.abs(a.data), (a,), lambda g: (g * xp.sign(a.data),), "abs", ((a, a._vc[0]),))

    def tanh(self):
        a = self
        out = self.xp().tanh(a.data)
        return self._make(out, (a,), lambda g: (g * (1 - out * out),), "tanh", _RESULT)  # 1 - tanh^2

    def sigmoid(self):
        a = self
        xp = self.xp()
        # Split by sign so that exp never overflows.
        e = xp.exp(-xp.abs(a.data))
        out = xp.where(a.data >= 0, 1 / (1 + e), e / (1 + e))
        return self._make(out, (a,), lambda g: (g * out * (1 - out),), "sigmoid", _RESULT)  # s (1 - s)

    def relu(self):
        """``max(a, 0)`` with NaN kept, as torch; the gradient is ``g`` where ``a > 0`` or NaN, else 0 (at 0 too).

        One difference is left: ``relu(-0.0)`` is ``+0.0`` here (as before), ``-0.0`` in torch.
        """
        a = self
        xp = self.xp()
        data = a.data
        if type(data) is np.ndarray:
            mask = np.less_equal(data, 0)  # an array, or a NumPy bool for 0-d data
            if type(mask) is np.ndarray:
                np.logical_not(mask, out=mask)  # not (a <= 0): a > 0, or NaN
            else:
                mask = np.logical_not(mask)
        else:
            mask = xp.logical_not(data <= 0)
        out = _keep_where(mask, data, xp)  # xp.where(mask, a, 0)
        # torch's gradient is threshold_backward(g, result, 0): 0 where result <= 0, g elsewhere
        # (NaN included); torch saves the result, so a may change but the result may not
        return self._make(out, (a,), lambda g: (_keep_where(mask, g, xp),), "relu", _RESULT)  # where(mask, g, 0)

    def log_softmax(self, axis: int = -1, *, dim=None):
        """``x - logsumexp(x)`` along ``axis`` (torch: ``dim``), computed without overflow."""
        axis, _ = _axis_args(None if dim is not None else axis, False, dim, False)
        a = self
        xp = self.xp()
        if a.ndim == 0:
            raise ValueError("log_softmax needs a tensor with at least one dimension")
        (axis,) = _normalize_axis(axis, a.ndim)
        shifted = a.data - xp.max(a.data, axis=axis, keepdims=True)
        out = shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))
        # d/dx of x - logsumexp(x): g - softmax * sum(g)
        return self._make(out, (a,), lambda g: (g - xp.exp(out) * xp.sum(g, axis=axis, keepdims=True),),
                          "log_softmax", _RESULT)

    # --------------------------------------------------------------- backward
    def backward(self, gradient=None, retain_graph=None):
        """Accumulate ``d self / d leaf`` into the ``.grad`` of every leaf that requires grad.

        ``gradient`` is the gradient of some scalar with respect to ``self`` (default 1 for
        a one-element tensor).  As in torch, the values the graph saved for its backward are
        freed afterwards unless ``retain_graph=True``: a second backward through a node that
        saved values (``a * b``, ``exp``, ...; not ``a + b`` or ``sum``) raises RuntimeError.
        It also raises if a saved tensor was changed in place since the forward pass (its
        ``_version`` moved, as an optimizer step does).  Leaves' gradients add up over calls.
        """
        if not self.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        xp = self.xp()
        if gradient is None:
            if self.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs, got shape {self.shape}")
            gradient = xp.ones_like(self.data)
        elif isinstance(gradient, Tensor):
            gradient = gradient.data
        if not _is_array(gradient):
            gradient = xp.asarray(gradient, dtype=self.dtype, device=array_api_compat.device(self.data))
        if tuple(gradient.shape) != self.shape:
            raise ValueError(f"backward: gradient of shape {tuple(gradient.shape)} does not match "
                             f"the tensor's shape {self.shape}")

        # Topological order by an iterative DFS (deep graphs must not hit the recursion limit):
        # a node comes after all its parents.  The order fixes the order in which gradients
        # are added up, so it fixes their bits too.
        order, seen = [], set()
        stack = [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for p in node._parents:
                if p.requires_grad:
                    stack.append((p, False))

        retain = bool(retain_graph)  # torch's default: create_graph, which course does not have
        grads = {id(self): gradient}
        for node in reversed(order):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if not node._parents:  # a leaf
                node._accumulate(g)
                continue
            saved = node._saved
            if saved is not None:  # the node reads saved values: are they still there, unchanged?
                if saved is _FREED:
                    raise _freed_error()
                for t, version in saved:
                    if t is None:
                        t = node
                    if t._vc[0] != version:
                        raise _modified_error(node, t, version)
            parent_grads = node._backward(g)
            if saved is not None and not retain:
                node._saved = _FREED
                node._backward = None  # drop the saved arrays, as torch frees its saved tensors
            for parent, pg in zip(node._parents, parent_grads):
                if pg is None or not parent.requires_grad:
                    continue
                dtype = parent.data.dtype
                if pg.dtype is not dtype and pg.dtype != dtype:  # a gradient has its input's dtype (torch casts it)
                    pg = _namespace(pg).astype(pg, dtype)
                key = id(parent)
                grads[key] = pg if key not in grads else grads[key] + pg

    def _accumulate(self, g):
        xp = self.xp()
        if g.dtype != self.dtype:
            g = xp.astype(g, self.dtype)  # gradients keep their parameter's dtype
        if tuple(g.shape) != self.shape:
            g = xp.broadcast_to(g, self.shape)
        if self.grad is None:
            self.grad = xp.asarray(g, copy=True)  # own the memory: g may be a view
        else:
            self.grad = self.grad + g


class _Scalar(Tensor):
    """A Python number in an expression: a constant that never promotes the dtype."""

    def __init__(self, value):
        self.data = value
        self.grad = None
        self.requires_grad = False
        self._parents = ()
        self._backward = None
        self._op = "scalar"
        self._vc = [0]
        self._saved = None

    @property
    def shape(self):
        return ()

    def xp(self):
        raise TypeError("a Python scalar has no array namespace")

    def __truediv__(self, other):
        # c / t as torch computes it, reciprocal(t) * c; the derivative -c / t**2 is -(g c) r**2.
        # torch saves r, not t: t may change in place before the backward.
        t, c = other, self.data
        r = 1 / t.data
        return t._make(r * c, (t,), lambda g: (-(g * c) * (r * r),), "/", ())

    def __pow__(self, other):
        # c ** t, whose derivative is c**t * log(c)
        t = other
        out = self.data ** t.data
        return t._make(out, (t,), lambda g: (g * out * math.log(self.data),), "**", ((t, t._vc[0]), (None, 0)))


class Parameter(Tensor):
    """A leaf tensor that an optimizer updates: ``p.data`` is changed in place, ``p.grad`` is read.

    >>> import numpy as np
    >>> Parameter(np.zeros(2, dtype=np.float32))
    Parameter containing:
    tensor([0., 0.], dtype=float32, requires_grad=True)
    """

    def __init__(self, data, requires_grad: bool = True):
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """Build a Tensor, like ``torch.tensor``.

    >>> tensor([1.0, 2.0], dtype="float32").dtype
    dtype('float32')
    """
    if dtype is not None:
        data = backend.asarray(data, dtype=dtype)
    return Tensor(data, requires_grad=requires_grad)
