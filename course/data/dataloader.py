"""``DataLoader``: mini-batches from a dataset, each sample once per epoch."""
from __future__ import annotations

import math

import array_api_compat
import numpy as np

from .. import backend
from ..tensor import _is_array
from .dataset import TensorDataset

__all__ = ["DataLoader"]


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` samples.

    Each pass (epoch) visits every sample exactly once.  With ``shuffle=True`` each
    epoch uses a new permutation from a NumPy generator, so the sequence of epochs is
    reproducible from ``seed`` (without ``seed`` or ``generator``, seed 0 is used).

    Pseudo-code of one epoch::

        order = generator.permutation(n) if shuffle else range(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]      # the last batch may be smaller
            yield tuple(stack(sample[k] for sample in dataset[idx]) for k ...)

    Args:
        dataset: a ``TensorDataset``, or anything with ``__len__`` and ``__getitem__``
            returning an array or a tuple of arrays.
        batch_size: samples per batch, a positive integer.
        shuffle: reshuffle the samples at the start of every epoch.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        seed: seed of the shuffling generator (an int).
        generator: a ``numpy.random.Generator`` to shuffle with instead of ``seed``.

    >>> import numpy as np
    >>> loader = DataLoader(TensorDataset(np.arange(10), np.arange(10) * 2), batch_size=4, shuffle=True, seed=0)
    >>> len(loader), [tuple(x.shape) for x, y in loader]
    (3, [(4,), (4,), (2,)])
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 seed=None, generator=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size!r}")
        if not isinstance(shuffle, bool):
            raise TypeError(f"shuffle should be a boolean value, but got shuffle={shuffle!r}")
        if not isinstance(drop_last, bool):
            raise TypeError(f"drop_last should be a boolean value, but got drop_last={drop_last!r}")
        if seed is not None and generator is not None:
            raise ValueError("give either seed or generator, not both")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(f"generator must be a numpy.random.Generator, got {type(generator).__name__}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"seed must be an int, got {seed!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = generator if generator is not None else np.random.default_rng(0 if seed is None else seed)

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = self.generator.permutation(n) if self.shuffle else np.arange(n)
        for b in range(len(self)):
            yield self._batch(order[b * self.batch_size:(b + 1) * self.batch_size])

    def _batch(self, idx):
        if isinstance(self.dataset, TensorDataset):  # fast path: one gather per array
            return tuple(_take(a, idx) for a in self.dataset.arrays)
        samples = [self.dataset[int(i)] for i in idx]
        if isinstance(samples[0], tuple):
            return tuple(_stack([s[k] for s in samples]) for k in range(len(samples[0])))
        return _stack(samples)


def _take(array, idx):
    xp = backend.namespace(array)
    return xp.take(array, xp.asarray(idx, device=array_api_compat.device(array)), axis=0)


def _stack(items):
    if not _is_array(items[0]):
        items = [np.asarray(x) for x in items]
    return backend.namespace(items[0]).stack(items)
