"""Elementwise activations as modules (each calls the Tensor method of the same name)."""
from __future__ import annotations

from .module import Module

__all__ = ["ReLU", "Tanh", "Sigmoid"]


class ReLU(Module):
    r"""``max(0, x)`` elementwise; its derivative is 1 where ``x > 0`` and 0 elsewhere.

    >>> import numpy as np
    >>> ReLU()(np.array([-1.0, 2.0]))
    tensor([0., 2.])
    """

    def forward(self, x):
        return x.relu()


class Tanh(Module):
    r""":math:`\tanh x`; its derivative is :math:`1 - \tanh^2 x`.

    >>> import numpy as np
    >>> Tanh()(np.array([0.0]))
    tensor([0.])
    """

    def forward(self, x):
        return x.tanh()


class Sigmoid(Module):
    r""":math:`\sigma(x) = 1 / (1 + e^{-x})`; its derivative is :math:`\sigma(1 - \sigma)`.

    >>> import numpy as np
    >>> Sigmoid()(np.array([0.0]))
    tensor([0.5])
    """

    def forward(self, x):
        return x.sigmoid()
