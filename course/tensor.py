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


_NUMPY = backend.namespace(np.empty(0))  # array_api_compat's NumPy namespace


def _namespace(x):
    """``backend.namespace(x)``, with NumPy arrays answered at once (asked in every operation)."""
    return _NUMPY if type(x) is np.ndarray else backend.namespace(x)


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
    Python numbers in expressions never change the dtype: float32 stays float32.

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
        """The same data, cut from the graph (no gradient flows through it)."""
        return Tensor(self.data)

    def zero_grad(self):
        self.grad = None

    # ----------------------------------------------------------- graph building
    def _make(self, data, parents, backward, op):
        """The result of an operation: it records ``parents`` and ``backward`` when a gradient can flow."""
        track = False
        if is_grad_enabled():
            for p in parents:
                if p.requires_grad:
                    track = True
                    break
        out = Tensor(data, requires_grad=track, _parents=tuple(parents) if track else (), _op=op)
        if track:
            out._backward = backward
        return out

    def _lift(self, other) -> "Tensor":
        """Wrap arrays as constant tensors; keep Python numbers as they are (no float32 -> float64)."""
        if isinstance(other, Tensor):
            return other
        if _is_array(other):
            return Tensor(other)
        if isinstance(other, (bool, int, float)):
            return _Scalar(other)
        if isinstance(other, (list, tuple)):
            return Tensor(self.xp().asarray(other, dtype=self.dtype, device=array_api_compat.device(self.data)))
        return NotImplemented

    # ----------------------------------------------------- elementwise binaries
    def __add__(self, other):
        other = self._lift(other)
        if other is NotImplemented:
            return other
        a, b = self, other
        return self._make(a.data + b.data, (a, b), lambda g: (
            _unbroadcast(g, a.shape) if a.requires_grad else None,
            _unbroadcast(g, b.shape) if b.requires_grad else None), "+")

    def __mul__(self, other):
        other = self._lift(other)
        if other is NotImplemented:
            return other
        a, b = self, other
        return self._make(a.data * b.data, (a, b), lambda g: (
            _unbroadcast(g * b.data, a.shape) if a.requires_grad else None,
            _unbroadcast(g * a.data, b.shape) if b.requires_grad else None), "*")

    def __sub__(self, other):
        other = self._lift(other)
        if other is NotImplemented:
            return other
        a, b = self, other
        return self._make(a.data - b.data, (a, b), lambda g: (
            _unbroadcast(g, a.shape) if a.requires_grad else None,
            _unbroadcast(-g, b.shape) if b.requires_grad else None), "-")

    def __truediv__(self, other):
        other = self._lift(other)
        if other is NotImplemented:
            return other
        a, b = self, other
        out = a.data / b.data
        # d(a/b)/da = 1/b,  d(a/b)/db = -a/b**2 = -out/b
        return self._make(out, (a, b), lambda g: (
            _unbroadcast(g / b.data, a.shape) if a.requires_grad else None,
            _unbroadcast(-g * out / b.data, b.shape) if b.requires_grad else None), "/")

    def __pow__(self, exponent):
        a = self
        xp = self.xp()
        if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
            out = a.data ** exponent
            # d(a**n)/da = n * a**(n-1); torch defines it as 0 for n == 0 (even at a == 0)
            if exponent == 0:
                return self._make(out, (a,), lambda g: (xp.zeros_like(g),), "**")
            return self._make(out, (a,), lambda g: (g * exponent * a.data ** (exponent - 1),), "**")
        b = self._lift(exponent)
        if b is NotImplemented:
            return b
        out = a.data ** b.data

        def backward(g):
            # d(a**b)/da = b * a**(b-1),  d(a**b)/db = a**b * log(a)  (0 where a == 0 and b >= 0, as torch)
            ga = _unbroadcast(g * b.data * a.data ** (b.data - 1), a.shape) if a.requires_grad else None
            gb = None
            if b.requires_grad:
                safe = xp.where(a.data == 0, xp.ones_like(a.data), a.data)
                gb = xp.where((a.data == 0) & (b.data >= 0), xp.zeros_like(out), g * out * xp.log(safe))
                gb = _unbroadcast(gb, b.shape)
            return ga, gb

        return self._make(out, (a, b), backward, "**")

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

        return self._make(out, (a, b), backward, "@")

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
        return self.sum(axis=axes, keepdims=keepdims) / count

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
        return self._make(out, (a,), lambda g: (xp.reshape(g, a.shape),), "reshape")

    def transpose(self):
        """Reverse the last two axes (``.T`` for a matrix)."""
        a = self
        xp = self.xp()
        if a.ndim < 2:
            return a
        return self._make(xp.matrix_transpose(a.data), (a,), lambda g: (xp.matrix_transpose(g),), "T")

    @property
    def T(self):
        return self.transpose()

    def __getitem__(self, index):
        a = self
        xp = self.xp()
        if isinstance(index, Tensor):
            index = index.data
        if not _is_basic_index(index) and is_grad_enabled() and a.requires_grad:
            # an index array may repeat an element, and the array API has no scatter-add
            raise TypeError("indexing a tensor that requires grad supports only ints, slices, "
                            "None and ...; index the data, or detach() first")
        out = a.data[index]

        def backward(g):
            full = xp.zeros(a.shape, dtype=g.dtype, device=array_api_compat.device(g))
            full[index] = g  # basic indexing never repeats an element
            return (full,)

        return self._make(out, (a,), backward, "getitem")

    # ------------------------------------------------------------ elementwise
    def exp(self):
        a = self
        out = self.xp().exp(a.data)
        return self._make(out, (a,), lambda g: (g * out,), "exp")  # d e^a = e^a

    def log(self):
        a = self
        return self._make(self.xp().log(a.data), (a,), lambda g: (g / a.data,), "log")  # d log a = 1/a

    def sqrt(self):
        a = self
        out = self.xp().sqrt(a.data)
        return self._make(out, (a,), lambda g: (g / (2 * out),), "sqrt")  # 1 / (2 sqrt a)

    def sin(self):
        a = self
        xp = self.xp()
        return self._make(xp.sin(a.data), (a,), lambda g: (g * xp.cos(a.data),), "sin")

    def cos(self):
        a = self
        xp = self.xp()
        return self._make(xp.cos(a.data), (a,), lambda g: (-g * xp.sin(a.data),), "cos")

    def abs(self):
        a = self
        xp = self.xp()
        return self._make(xp.abs(a.data), (a,), lambda g: (g * xp.sign(a.data),), "abs")

    def tanh(self):
        a = self
        out = self.xp().tanh(a.data)
        return self._make(out, (a,), lambda g: (g * (1 - out * out),), "tanh")  # 1 - tanh^2

    def sigmoid(self):
        a = self
        xp = self.xp()
        # Split by sign so that exp never overflows.
        e = xp.exp(-xp.abs(a.data))
        out = xp.where(a.data >= 0, 1 / (1 + e), e / (1 + e))
        return self._make(out, (a,), lambda g: (g * out * (1 - out),), "sigmoid")  # s (1 - s)

    def relu(self):
        a = self
        xp = self.xp()
        mask = a.data > 0
        out = _keep_where(mask, a.data, xp)  # xp.where(mask, a, 0)
        # the derivative at 0 is taken as 0, as torch does
        return self._make(out, (a,), lambda g: (_keep_where(mask, g, xp),), "relu")  # where(mask, g, 0)

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
                          "log_softmax")

    # --------------------------------------------------------------- backward
    def backward(self, gradient=None):
        """Accumulate ``d self / d leaf`` into the ``.grad`` of every leaf that requires grad.

        ``gradient`` is the gradient of some scalar with respect to ``self`` (default 1 for
        a one-element tensor).  Calling ``backward`` twice adds the two gradients, as torch does.
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

        grads = {id(self): gradient}
        for node in reversed(order):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if not node._parents:  # a leaf
                node._accumulate(g)
                continue
            for parent, pg in zip(node._parents, node._backward(g)):
                if pg is None or not parent.requires_grad:
                    continue
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

    @property
    def shape(self):
        return ()

    def xp(self):
        raise TypeError("a Python scalar has no array namespace")

    def __truediv__(self, other):
        # c / t, whose derivative is -c / t**2 = -out / t
        t = other
        out = self.data / t.data
        return t._make(out, (t,), lambda g: (-g * out / t.data,), "/")

    def __pow__(self, other):
        # c ** t, whose derivative is c**t * log(c)
        t = other
        out = self.data ** t.data
        return t._make(out, (t,), lambda g: (g * out * math.log(self.data),), "**")


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
