"""``BatchNorm1d``: normalize each feature over the batch, with running statistics for eval."""
from __future__ import annotations

from .. import backend
from ..tensor import Parameter, Tensor
from .module import Module

__all__ = ["BatchNorm1d"]


class BatchNorm1d(Module):
    r"""Batch normalization over a ``(N, C)`` or ``(N, C, L)`` input, per feature ``c``:

    .. math::
        y = \frac{x - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}}\,\gamma_c + \beta_c

    In training, :math:`\mu_c` and :math:`\sigma_c^2` are the mean and the *biased* variance
    over the batch (and over ``L``), and the gradient flows through them.  Each training call
    also updates the buffers, with the *unbiased* variance (:math:`n/(n-1)` times, :math:`n`
    the values per feature):

    .. math::
        \hat\mu \leftarrow (1 - m)\,\hat\mu + m\,\mu_c, \qquad
        \hat\sigma^2 \leftarrow (1 - m)\,\hat\sigma^2 + m\,\tfrac{n}{n-1}\sigma_c^2

    with :math:`m` = ``momentum``, or :math:`m = 1/t` at the ``t``-th batch when ``momentum``
    is None (a plain average of all batches so far).  In eval mode the buffers replace the
    batch statistics, so an example's output no longer depends on its batch.

    Args:
        num_features: ``C``.
        eps: added to the variance under the root (default 1e-5).
        momentum: weight of the new batch in the running statistics (default 0.1), or None.
        affine: learn :math:`\gamma` (``weight``, ones at first) and :math:`\beta` (``bias``, zeros).
        track_running_stats: keep ``running_mean``, ``running_var`` and ``num_batches_tracked``;
            without them eval mode uses the batch's statistics too.
        dtype: floating dtype of parameters and buffers, ``float32`` by default as in torch.
        bias: with ``affine``, learn :math:`\beta` too (default True).

    >>> import numpy as np
    >>> bn = BatchNorm1d(2)
    >>> y = bn(np.array([[1.0, 10.0], [3.0, 30.0]], dtype=np.float32))
    >>> y.numpy().round(3), bn.running_mean.numpy().round(3)
    (array([[-1., -1.],
           [ 1.,  1.]], dtype=float32), array([0.2, 2. ], dtype=float32))
    >>> bn.eval()(np.array([[2.0, 20.0]], dtype=np.float32)).numpy().round(3)  # a batch of one is fine in eval
    array([[1.716, 3.937]], dtype=float32)

    Ioffe and Szegedy, "Batch Normalization: Accelerating Deep Network Training by Reducing
    Internal Covariate Shift", ICML 2015.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype="float32", *, bias: bool = True):
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features < 0:
            raise ValueError(f"num_features must be a non-negative integer, got {num_features!r}")
        if device is not None:
            raise ValueError(f"device must be None: course makes arrays on the default backend, got {device!r}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        xp = backend.get()
        dtype = getattr(xp, dtype) if isinstance(dtype, str) else dtype
        if not xp.isdtype(dtype, "real floating"):
            raise TypeError(f"BatchNorm1d needs a floating dtype, got {dtype!r}")
        if affine:
            self.weight = Parameter(xp.ones(num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(xp.zeros(num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(xp.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(xp.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(xp.asarray(0, dtype=xp.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches counted (what ``update_bn`` calls)."""
        if self.track_running_stats:
            xp = backend.namespace(self.running_mean.data)
            self.running_mean.data = xp.zeros_like(self.running_mean.data)
            self.running_var.data = xp.ones_like(self.running_var.data)
            self.num_batches_tracked.data = xp.zeros_like(self.num_batches_tracked.data)

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            xp = backend.namespace(self.weight.data)
            self.weight.data = xp.ones_like(self.weight.data)
            if self.bias is not None:
                self.bias.data = xp.zeros_like(self.bias.data)

    def forward(self, x):
        if x.ndim not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {x.ndim}D input)")
        if x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm1d: input of shape {x.shape} does not have num_features="
                             f"{self.num_features} channels in dimension 1")
        axes = (0,) if x.ndim == 2 else (0, 2)
        shape = (1, self.num_features) + (() if x.ndim == 2 else (1,))  # broadcasts over batch and L
        xp = x.xp()
        use_batch = self.training or self.running_mean is None
        if use_batch:
            n = x.size // self.num_features if self.num_features else 0
            if self.training and n <= 1:
                raise ValueError(f"Expected more than 1 value per channel when training, got input size {x.shape}")
            mean = x.mean(axis=axes, keepdims=True)
            centred = x - mean
            var = (centred * centred).mean(axis=axes, keepdims=True)  # biased, as the forward uses
            out = centred / (var + self.eps).sqrt()
            if self.training and self.track_running_stats:
                self._update_running(xp, mean.data, var.data, n)
        else:
            mean = xp.reshape(self.running_mean.data, shape)
            var = xp.reshape(self.running_var.data, shape)
            out = (x - Tensor(mean)) / Tensor(xp.sqrt(var + self.eps))
        weight, bias = self.weight, self.bias
        if weight is not None:
            out = out * weight.reshape(shape)
        if bias is not None:
            out = out + bias.reshape(shape)
        return out

    def _update_running(self, xp, mean, var, n):
        count = self.num_batches_tracked.data
        self.num_batches_tracked.data = xp.asarray(count + 1, dtype=count.dtype)
        factor = 1.0 / int(self.num_batches_tracked.data) if self.momentum is None else self.momentum
        mean = xp.reshape(mean, (self.num_features,))
        unbiased = xp.reshape(var, (self.num_features,)) * (n / (n - 1))
        rm, rv = self.running_mean, self.running_var
        rm.data = xp.astype((1 - factor) * rm.data + factor * mean, rm.data.dtype)
        rv.data = xp.astype((1 - factor) * rv.data + factor * unbiased, rv.data.dtype)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")
