"""``Dropout``: zero each input element with probability ``p`` while training."""
from __future__ import annotations

import numbers

from .. import backend
from ..tensor import Tensor
from .init import generator
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    r"""In training, :math:`y = x \odot m / (1 - p)` with :math:`m_i \sim \mathrm{Bernoulli}(1 - p)`
    drawn afresh at every call; in eval mode :math:`y = x` (the input itself).

    Dividing by :math:`1 - p` keeps :math:`\mathbb{E}[y] = x`, so nothing changes scale when
    ``eval()`` switches dropout off.  The gradient is :math:`g \odot m / (1 - p)`: dropped
    elements get none.  ``p = 0`` returns the input; ``p = 1`` gives zeros.

    The mask comes from a NumPy generator (see :mod:`course.nn.init`), not torch's, so the
    masks differ from torch's; their distribution does not.

    Args:
        p: probability of an element being zeroed (default 0.5).
        inplace: accepted for torch's signature; must be False (arrays here are not changed in place).
        seed: an int, a ``numpy.random.Generator``, or None for the module-wide generator.

    >>> import numpy as np
    >>> drop = Dropout(0.5, seed=0)
    >>> y = drop(np.ones(8))
    >>> sorted(set(y.numpy().tolist()))      # kept elements are doubled
    [0.0, 2.0]
    >>> drop.eval()(np.ones(3))
    tensor([1., 1., 1.])

    Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from Overfitting", JMLR 2014.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, *, seed=None):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, numbers.Real):
            raise TypeError(f"dropout probability must be a number, got {p!r}")
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        if inplace:
            raise ValueError("inplace=True is not supported: course never changes an input in place")
        self.p, self.inplace = float(p), inplace
        self._seed = None if seed is None else generator(seed)  # None: the module-wide one, read per call

    def forward(self, x):
        if not self.training or self.p == 0 or x.size == 0:
            return x  # torch returns the very same tensor here
        xp = x.xp()
        if self.p == 1:
            return x * xp.zeros((), dtype=x.dtype)
        rng = self._seed if self._seed is not None else generator(None)
        keep = rng.random(x.shape) >= self.p  # P(keep) = 1 - p
        mask = backend.asarray(keep, like=x.data)
        noise = xp.astype(mask, x.dtype) / (1 - self.p)  # in x's dtype, as torch divides its float mask
        return x * Tensor(noise)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
