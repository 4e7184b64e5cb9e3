"""A small reverse-mode autograd on whole arrays, in the spirit of micrograd.

Each operation computes its result and, right beside it, the local derivative that
carries the output's gradient ``g`` back to its inputs.  ``Tensor.backward`` walks the
graph in reverse topological order and adds these contributions up.  The arrays are
NumPy, CuPy or any array-API arrays: every operation asks its data for its namespace.
"""
from __future__ import annotations

import contextlib
import math
import threading

import array_api_compat

from . import backend

__all__ = ["Tensor", "Parameter", "no_grad", "enable_grad", "is_grad_enabled", "tensor"]

_state = threading.local()


def is_grad_enabled() -> bool:
    return getattr(_state, "enabled", True)


@contextlib.contextmanager
def _grad_mode(enabled: bool):
    previous = is_grad_enabled()
    _state.enabled = enabled
    try:
        yield
    finally:
        _state.enabled = previous


def no_grad():
    """Context manager (like ``torch.no_grad``): operations inside record no graph."""
    return _grad_mode(False)


def enable_grad():
    return _grad_mode(True)


def _is_array(x) -> bool:
    return array_api_compat.is_array_api_obj(x) and not isinstance(x, (bool, int, float, complex))


def _unbroadcast(g, shape):
    """Sum ``g`` down to ``shape``: the gradient of broadcasting is summation."""
    if tuple(g.shape) == tuple(shape):
        return g
    xp = backend.namespace(g)
    extra = g.ndim - len(shape)
    if extra:
        g = xp.sum(g, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = xp.sum(g, axis=axes, keepdims=True)
    return g


def _normalize_axis(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(a % ndim if ndim else 0)
    return tuple(out)


class Tensor:
    """An array with a gradient: ``Tensor(data, requires_grad=False)``.

    ``data`` is a NumPy/CuPy/array-API array (Python numbers and lists become arrays of
    the default backend).  After ``loss.backward()``, every tensor that requires grad and
    is a leaf holds ``d loss / d self`` in ``.grad``, an array of its own dtype.
    """

    __array_priority__ = 1000  # make `ndarray + Tensor` call Tensor.__radd__

    def __init__(self, data, requires_grad: bool = False, _parents=(), _op: str = ""):
        if isinstance(data, Tensor):
            data = data.data
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
        return math.prod(self.shape)

    @property
    def is_leaf(self):
        return not self._parents

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"tensor({backend.to_numpy(self.data)!r}{grad})".replace("array(", "").replace(")" + grad + ")", grad + ")")

    def xp(self):
        return backend.namespace(self.data)

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
        """The same data, cut from the graph."""
        return Tensor(self.data)

    def zero_grad(self):
        self.grad = None

    # ----------------------------------------------------------- graph building
    def _make(self, data, parents, backward, op):
        parents = tuple(parents)
        track = is_grad_enabled() and any(p.requires_grad for p in parents)
        out = Tensor(data, requires_grad=track, _parents=parents if track else (), _op=op)
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
        return self._make(a.data + b.data, (a, b),
                          lambda g: (_unbroadcast(g, a.shape), _unbroadcast(g, b.shape)), "+")

    def __mul__(self, other):
        other = self._lift(other)
        if other is NotImplemented:
            return other
        a, b = self, other
        return self._make(a.data * b.data, (a, b),
                          lambda g: (_unbroadcast(g * b.data, a.shape), _unbroadcast(g * a.data, b.shape)), "*")

    def __sub__(self, other):
        other = self._lift(other)
        if other is NotImplemented:
            return other
        a, b = self, other
        return self._make(a.data - b.data, (a, b),
                          lambda g: (_unbroadcast(g, a.shape), _unbroadcast(-g, b.shape)), "-")

    def __truediv__(self, other):
        other = self._lift(other)
        if other is NotImplemented:
            return other
        a, b = self, other
        out = a.data / b.data
        # d(a/b)/da = 1/b,  d(a/b)/db = -a/b**2 = -out/b
        return self._make(out, (a, b),
                          lambda g: (_unbroadcast(g / b.data, a.shape), _unbroadcast(-g * out / b.data, b.shape)), "/")

    def __pow__(self, exponent):
        a = self
        if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
            out = a.data ** exponent
            # d(a**n)/da = n * a**(n-1)
            return self._make(out, (a,), lambda g: (g * exponent * a.data ** (exponent - 1),), "**")
        b = self._lift(exponent)
        if b is NotImplemented:
            return b
        out = a.data ** b.data
        xp = self.xp()
        # d(a**b)/da = b * a**(b-1),  d(a**b)/db = a**b * log(a)
        return self._make(out, (a, b), lambda g: (
            _unbroadcast(g * b.data * a.data ** (b.data - 1), a.shape),
            _unbroadcast(g * out * xp.log(a.data), b.shape) if b.requires_grad else None), "**")

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
        out = xp.matmul(a.data, b.data)

        def backward(g):
            # Treat vectors as 1xN / Nx1 matrices, then undo that.
            a2 = a.data if a.ndim > 1 else xp.reshape(a.data, (1, -1))
            b2 = b.data if b.ndim > 1 else xp.reshape(b.data, (-1, 1))
            g2 = xp.reshape(g, tuple(xp.matmul(a2, b2).shape))
            ga = xp.matmul(g2, xp.matrix_transpose(b2))  # dL/dA = G B^T
            gb = xp.matmul(xp.matrix_transpose(a2), g2)  # dL/dB = A^T G
            return (xp.reshape(_unbroadcast(ga, a2.shape), a.shape),
                    xp.reshape(_unbroadcast(gb, b2.shape), b.shape))

        return self._make(out, (a, b), backward, "@")

    def __rmatmul__(self, other):
        other = self._lift(other)
        if other is NotImplemented:
            return other
        return other.__matmul__(self)

    # -------------------------------------------------------------- reductions
    def sum(self, axis=None, keepdims: bool = False):
        a = self
        xp = self.xp()
        axes = _normalize_axis(axis, a.ndim)
        out = xp.sum(a.data, axis=axes, keepdims=keepdims)

        def backward(g):
            if not keepdims:
                g = xp.reshape(g, tuple(1 if i in axes else n for i, n in enumerate(a.shape)))
            return (xp.broadcast_to(g, a.shape),)

        return self._make(out, (a,), backward, "sum")

    def mean(self, axis=None, keepdims: bool = False):
        axes = _normalize_axis(axis, self.ndim)
        count = math.prod(self.shape[i] for i in axes)
        return self.sum(axis=axes, keepdims=keepdims) * (1.0 / count)

    # ------------------------------------------------------------------ shapes
    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        a = self
        xp = self.xp()
        try:
            out = xp.reshape(a.data, shape)
        except ValueError:
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

        def backward(g):
            full = xp.zeros(a.shape, dtype=g.dtype, device=array_api_compat.device(g))
            full[index] = g  # basic indexing never repeats an element
            return (full,)

        return self._make(a.data[index], (a,), backward, "getitem")

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
        return self._make(out, (a,), lambda g: (g / (2 * out),), "sqrt")

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
        out = xp.where(mask, a.data, xp.zeros_like(a.data))
        return self._make(out, (a,), lambda g: (xp.where(mask, g, xp.zeros_like(g)),), "relu")

    def log_softmax(self, axis: int = -1):
        a = self
        xp = self.xp()
        shifted = a.data - xp.max(a.data, axis=axis, keepdims=True)
        out = shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))
        # d/dx of x - logsumexp(x): g - softmax * sum(g)
        return self._make(out, (a,), lambda g: (g - xp.exp(out) * xp.sum(g, axis=axis, keepdims=True),),
                          "log_softmax")

    # --------------------------------------------------------------- backward
    def backward(self, gradient=None):
        """Accumulate ``d self / d leaf`` into the ``.grad`` of every leaf that requires grad."""
        if not self.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        xp = self.xp()
        if gradient is None:
            if self.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs, got shape {self.shape}")
            gradient = xp.ones_like(self.data)
        elif isinstance(gradient, Tensor):
            gradient = gradient.data

        order, seen = [], set()

        def visit(t):  # iterative DFS: deep graphs must not hit the recursion limit
            stack = [(t, False)]
            while stack:
                node, done = stack.pop()
                if done:
                    order.append(node)
                    continue
                if id(node) in seen:
                    continue
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node._parents if p.requires_grad)

        visit(self)
        grads = {id(self): gradient}
        for node in reversed(order):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if node.is_leaf:
                node._accumulate(g)
                continue
            for parent, pg in zip(node._parents, node._backward(g)):
                if pg is None or not parent.requires_grad:
                    continue
                grads[id(parent)] = pg if id(parent) not in grads else grads[id(parent)] + pg

    def _accumulate(self, g):
        xp = self.xp()
        if g.dtype != self.dtype:
            g = xp.astype(g, self.dtype)  # gradients keep their parameter's dtype
        if tuple(g.shape) != self.shape:
            g = xp.broadcast_to(g, self.shape)
        if self.grad is None:
            self.grad = xp.asarray(g, copy=True)
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

    def __add__(self, other):
        return other.__add__(self.data)

    def __mul__(self, other):
        return other.__mul__(self.data)

    def __truediv__(self, other):
        # c / t = c * t**-1, whose derivative is -c / t**2
        t = other
        out = self.data / t.data
        return t._make(out, (t,), lambda g: (-g * out / t.data,), "/")

    def __pow__(self, other):
        t = other
        xp = t.xp()
        out = self.data ** t.data
        return t._make(out, (t,), lambda g: (g * out * math.log(self.data),), "**")


class Parameter(Tensor):
    """A leaf tensor that an optimizer updates: ``p.data`` is changed in place, ``p.grad`` is read."""

    def __init__(self, data, requires_grad: bool = True):
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """Build a Tensor, like ``torch.tensor``."""
    if dtype is not None:
        data = backend.asarray(data, dtype=dtype)
    return Tensor(data, requires_grad=requires_grad)
