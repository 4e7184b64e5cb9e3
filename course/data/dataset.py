"""``TensorDataset``: samples are the rows of equally long arrays."""
from __future__ import annotations

from ..tensor import Tensor, _is_array

__all__ = ["TensorDataset"]


class TensorDataset:
    """Sample ``i`` is ``tuple(a[i] for a in arrays)``; all arrays share their first dimension.

    Args:
        *arrays: NumPy/CuPy/array-API arrays or ``course.Tensor``s (their data is used).

    >>> import numpy as np
    >>> ds = TensorDataset(np.zeros((5, 2)), np.arange(5))
    >>> len(ds), int(ds[3][1])
    (5, 3)
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        arrays = tuple(a.data if isinstance(a, Tensor) else a for a in arrays)
        for i, a in enumerate(arrays):
            if not _is_array(a) or a.ndim == 0:
                raise TypeError(f"TensorDataset: argument {i} must be an array with a first dimension, "
                                f"got {type(a).__name__} {getattr(a, 'shape', '')}")
        lengths = [a.shape[0] for a in arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"Size mismatch between arrays: first dimensions are {lengths}")
        self.arrays = arrays

    def __len__(self):
        return self.arrays[0].shape[0]

    def __getitem__(self, index):
        return tuple(a[index, ...] for a in self.arrays)
