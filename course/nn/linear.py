"""``Linear``: the affine layer ``y = x W^T + b``."""
from __future__ import annotations

import math

from .. import backend
from ..tensor import Parameter
from .init import generator
from .module import Module

__all__ = ["Linear"]


class Linear(Module):
    r"""Applies :math:`y = x W^T + b`, with ``W`` of shape ``(out_features, in_features)``.

    Initialization is torch's default: every entry of ``W`` and ``b`` is drawn from

    .. math::
        \mathcal{U}\left(-\frac{1}{\sqrt{\text{in\_features}}},\ \frac{1}{\sqrt{\text{in\_features}}}\right)

    (what ``kaiming_uniform_(a=sqrt(5))`` gives for ``W``), here from a NumPy generator.
    The numbers differ from torch's own generator, the distribution does not.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: learn an additive bias (default True).
        seed: an int, a ``numpy.random.Generator``, or None for the module-wide
            generator (see :mod:`course.nn.init`).
        dtype: floating dtype of the parameters, ``float32`` by default as in torch.

    >>> import numpy as np
    >>> layer = Linear(3, 2, seed=0)
    >>> layer.weight.shape, layer.bias.shape, layer.weight.dtype
    ((2, 3), (2,), dtype('float32'))
    >>> layer(np.ones((4, 3), dtype=np.float32)).shape
    (4, 2)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, seed=None, dtype="float32"):
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        self.in_features, self.out_features = in_features, out_features
        rng = generator(seed)
        bound = 1 / math.sqrt(in_features) if in_features > 0 else 0.0
        xp = backend.get()
        w = rng.uniform(-bound, bound, size=(out_features, in_features))
        self.weight = Parameter(_floating(xp, w, dtype))
        if bias:
            self.bias = Parameter(_floating(xp, rng.uniform(-bound, bound, size=(out_features,)), dtype))
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        if not x.shape or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear: input of shape {x.shape} does not end in in_features={self.in_features}")
        weight, bias = self.weight, self.bias  # each read once: both go through Module.__getattr__
        y = x @ weight.T
        return y + bias if bias is not None else y

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def _floating(xp, values, dtype):
    array = xp.asarray(values, dtype=dtype)
    if not backend.namespace(array).isdtype(array.dtype, "real floating"):
        raise TypeError(f"Linear needs a floating dtype, got {dtype!r}")
    return array
