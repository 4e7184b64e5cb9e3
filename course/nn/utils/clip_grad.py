r"""Gradient clipping, as ``torch.nn.utils``: by total norm, or by value.

.. math::
    \|g\|_p = \Big(\sum_i \|g_i\|_p^p\Big)^{1/p}, \qquad
    g_i \leftarrow g_i \cdot \min\Big(1, \frac{\text{max\_norm}}{\|g\|_p + 10^{-6}}\Big)

The total norm is the norm of the vector of the gradients' own norms, as if every gradient were
one long vector.  ``norm_type`` may be ``inf`` (the largest absolute entry).  Clipping by norm
keeps the direction of the whole update and only shortens it; clipping by value changes the
direction.  Both act in place on ``p.grad``, between ``loss.backward()`` and ``optimizer.step()``.

``foreach`` is accepted for torch's signature; course has one implementation, so it changes
nothing.  Pascanu, Mikolov and Bengio, "On the difficulty of training recurrent neural networks"
(ICML 2013), introduced clipping the norm.
"""
from __future__ import annotations

import math
import types
import warnings

from ... import backend
from ...tensor import Tensor

__all__ = ["get_total_norm", "clip_grads_with_norm_", "clip_grad_norm_", "clip_grad_value_"]


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _array(g):
    return g.data if isinstance(g, Tensor) else g


def _grads(parameters):
    return [_array(p.grad) for p in parameters if p.grad is not None]


def _vector_norm(xp, x, p: float):
    """torch.linalg.vector_norm of a whole array: p = inf, -inf, 0 or any other number."""
    if x.size == 0:
        return xp.asarray(0.0 if p != -math.inf else math.inf, dtype=x.dtype)
    a = xp.abs(xp.reshape(x, (-1,)))
    if p == math.inf:
        return xp.max(a)
    if p == -math.inf:
        return xp.min(a)
    if p == 0:
        return xp.astype(xp.sum(xp.astype(a != 0, x.dtype)), x.dtype)
    if p == 1:
        return xp.sum(a)
    if p == 2:
        return xp.sqrt(xp.sum(a * a))
    return xp.sum(a ** p) ** (1.0 / p)


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """The ``norm_type``-norm of ``tensors`` (arrays or Tensors) viewed as one vector, a 0-d Tensor.

    Example:
        >>> import numpy as np
        >>> float(get_total_norm([np.array([3.0]), np.array([4.0])]))
        5.0
    """
    tensors = [_array(t) for t in _as_list(tensors)]
    norm_type = float(norm_type)
    if not tensors:
        return Tensor(backend.get().asarray(0.0))
    xp = backend.namespace(tensors[0])
    norms = [_vector_norm(xp, t, norm_type) for t in tensors]
    dtype = xp.result_type(*[n.dtype for n in norms])
    total = _vector_norm(xp, xp.stack([xp.astype(n, dtype) for n in norms]), norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it "
            "cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
            "anyway, set `error_if_nonfinite=False`")
    return Tensor(total)


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    r"""Scale every grad in place by :math:`\min(1, \text{max\_norm} / (\text{total\_norm} + 10^{-6}))`."""
    grads = _grads(_as_list(parameters))
    max_norm = float(max_norm)
    if not grads:
        return
    total = _array(total_norm)
    xp = backend.namespace(total)
    coef = xp.minimum(max_norm / (total + 1e-6), xp.asarray(1.0, dtype=total.dtype))  # nan stays nan
    for g in grads:
        g *= xp.astype(coef, g.dtype)  # torch multiplies every grad, also when coef is 1


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Clip the grads of ``parameters`` so that their total norm is at most ``max_norm``; return it.

    Args:
        parameters: a Parameter or an iterable of them (their ``.grad`` is changed in place).
        max_norm (float): the largest total norm allowed.
        norm_type (float): p of the p-norm; ``float("inf")`` for the largest entry (default: 2).
        error_if_nonfinite (bool): raise RuntimeError if the total norm is nan or inf
            (default: False: the grads are then scaled by the non-finite norm, as in torch).
        foreach: accepted for torch's signature; changes nothing.

    Returns:
        the total norm of the grads before clipping, a 0-d Tensor.

    Example:
        >>> import numpy as np, course
        >>> w = course.Parameter(np.zeros(2)); w.grad = np.array([3.0, 4.0])
        >>> float(clip_grad_norm_([w], max_norm=1.0))
        5.0
        >>> w.grad.round(6)
        array([0.6, 0.8])
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    total = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clip every grad of ``parameters`` in place to ``[-clip_value, clip_value]``.

    Example:
        >>> import numpy as np, course
        >>> w = course.Parameter(np.zeros(3)); w.grad = np.array([-5.0, 0.5, 2.0])
        >>> clip_grad_value_(w, 1.0); w.grad
        array([-1. ,  0.5,  1. ])
    """
    clip_value = float(clip_value)
    for g in _grads(_as_list(parameters)):
        xp = backend.namespace(g)
        g[...] = xp.minimum(xp.maximum(g, xp.asarray(-clip_value, dtype=g.dtype)), xp.asarray(clip_value, dtype=g.dtype))
