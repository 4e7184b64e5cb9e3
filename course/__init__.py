"""course: how neural networks are optimized, from scratch, identical to torch.optim.

Top level: ``Tensor``, ``Parameter``, ``no_grad`` and the subpackages ``nn``, ``data``
and ``optim``; ``backend`` chooses NumPy or CuPy.
"""
from . import backend
from .tensor import Parameter, Tensor, enable_grad, is_grad_enabled, no_grad, tensor
from . import optim
from . import data, nn  # noqa: E402  (after tensor: they build on it)

__version__ = "0.1.0"

__all__ = ["Tensor", "Parameter", "no_grad", "enable_grad", "is_grad_enabled", "tensor", "backend", "nn", "data"]
