"""Loss functions as modules: ``MSELoss`` and ``CrossEntropyLoss``, with torch's reductions."""
from __future__ import annotations

import warnings

import array_api_compat

from .. import backend
from ..tensor import Tensor, _is_array
from .module import Module

__all__ = ["MSELoss", "CrossEntropyLoss"]

_REDUCTIONS = ("mean", "sum", "none")


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{reduction!r} is not a valid value for reduction: expected 'mean', 'sum' or 'none'")
        self.reduction = reduction

    def _reduce(self, losses):
        if self.reduction == "mean":
            return losses.mean()
        if self.reduction == "sum":
            return losses.sum()
        return losses

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    r"""Mean squared error: :math:`\ell_i = (x_i - y_i)^2`, then the mean (default), sum or none.

    As in torch, a target whose shape differs from the input's is broadcast with a
    warning (an ``(N, 1)`` output against an ``(N,)`` target makes an ``(N, N)`` loss:
    usually a bug).

    Args:
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    >>> import numpy as np
    >>> MSELoss()(np.array([1.0, 2.0]), np.array([0.0, 0.0])).item()
    2.5
    """

    def forward(self, input, target):
        if input.shape != target.shape:
            warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                          f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
                          "Please ensure they have the same size.", UserWarning, stacklevel=3)
        diff = input - target
        return self._reduce(diff * diff)


class CrossEntropyLoss(_Loss):
    r"""Cross entropy between logits and integer class targets.

    .. math::
        \ell_n = -\log \frac{e^{x_{n, y_n}}}{\sum_c e^{x_{n, c}}} = -\text{log\_softmax}(x_n)_{y_n}

    then the mean over the batch (default), the sum, or none.

    Args:
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shapes: input ``(N, C)`` logits (or ``(C,)`` for one sample), target ``(N,)``
    integer classes in ``[0, C)`` (or a 0-d integer).

    >>> import numpy as np
    >>> round(CrossEntropyLoss()(np.zeros((2, 4)), np.array([1, 3])).item(), 6)  # log 4
    1.386294
    """

    def forward(self, input, target):
        target = target.data if isinstance(target, Tensor) else target
        xp = backend.namespace(input.data)
        if not _is_array(target):
            target = xp.asarray(target, device=array_api_compat.device(input.data))
        if not xp.isdtype(target.dtype, "integral"):
            raise TypeError(f"CrossEntropyLoss expects integer class indices as target, got dtype {target.dtype}")
        if input.ndim not in (1, 2):
            raise ValueError(f"CrossEntropyLoss expects input of shape (N, C) or (C,), got {input.shape}")
        if input.ndim == 1:  # one sample: add the batch axis, then remove it
            if target.ndim != 0:
                raise ValueError(f"for input of shape {input.shape}, target must be 0-d, got shape {tuple(target.shape)}")
            losses = self._per_sample(input.reshape(1, -1), xp.reshape(target, (1,)), xp)
            return self._reduce(losses.reshape(()))
        if tuple(target.shape) != input.shape[:1]:
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                             f"({target.shape[0] if target.ndim else 'none, target is 0-d'}): "
                             f"input {input.shape}, target {tuple(target.shape)}")
        return self._reduce(self._per_sample(input, target, xp))

    @staticmethod
    def _per_sample(logits, target, xp):
        n_classes = logits.shape[1]
        target = xp.astype(target, xp.int64, copy=False)  # no copy when it is int64 already
        if target.shape[0]:
            low, high = int(xp.min(target)), int(xp.max(target))
            if low < 0 or high >= n_classes:
                raise IndexError(f"Target {low if low < 0 else high} is out of bounds for {n_classes} classes")
        classes = xp.arange(n_classes, dtype=xp.int64, device=array_api_compat.device(target))
        onehot = xp.astype(target[:, None] == classes[None, :], logits.dtype)
        # picking log p[n, y_n] as a product with the one-hot rows keeps the gradient a plain mul
        return -(logits.log_softmax(axis=1) * onehot).sum(axis=1)
