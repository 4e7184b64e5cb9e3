"""The UCI 8x8 handwritten digits, shipped with the package (no download), and a split helper."""
from __future__ import annotations

from pathlib import Path

import array_api_compat
import numpy as np

from .. import backend

__all__ = ["load_digits", "train_val_split"]

_FILE = Path(__file__).with_name("digits.npz")


def load_digits(dtype=np.float32, scale: bool = True):
    """The 1,797 UCI handwritten digits as ``(X, y)``: 64 pixel features, 10 classes.

    Source: Alpaydin and Kaynak (1998), UCI Machine Learning Repository, CC BY 4.0
    (see ``DATA_LICENSE.md`` in this folder).

    Args:
        dtype: dtype of ``X``.
        scale: divide the pixel counts (0..16) by 16, so that features lie in [0, 1].

    Returns:
        ``X`` of shape ``(1797, 64)`` and ``y`` of shape ``(1797,)`` (int64 class labels).

    >>> X, y = load_digits()
    >>> X.shape, y.shape, X.dtype, float(X.max()), int(y.max())
    ((1797, 64), (1797,), dtype('float32'), 1.0, 9)
    """
    with np.load(_FILE) as f:
        images, labels = f["images"], f["labels"]
    X = images.reshape(len(images), -1).astype(np.float64)
    if scale:
        X = X / 16.0
    return X.astype(dtype), labels.astype(np.int64)


def train_val_split(X, y, val_fraction: float = 0.2, seed: int = 0):
    """Shuffle the samples with ``seed`` and split them: ``(X_train, y_train), (X_val, y_val)``.

    The validation part has ``round(val_fraction * n)`` samples (at least one of each part).

    >>> X, y = np.arange(20).reshape(10, 2), np.arange(10)
    >>> (Xt, yt), (Xv, yv) = train_val_split(X, y, val_fraction=0.3)
    >>> Xt.shape, Xv.shape, sorted(yt.tolist() + yv.tolist()) == list(range(10))
    ((7, 2), (3, 2), True)
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be strictly between 0 and 1, got {val_fraction!r}")
    n = X.shape[0]
    if y.shape[0] != n:
        raise ValueError(f"X and y must have the same number of samples, got {n} and {y.shape[0]}")
    if n < 2:
        raise ValueError(f"need at least 2 samples to split, got {n}")
    n_val = min(max(round(val_fraction * n), 1), n - 1)
    order = np.random.default_rng(seed).permutation(n)
    val, train = order[:n_val], order[n_val:]

    def take(a, idx):
        xp = backend.namespace(a)
        return xp.take(a, xp.asarray(idx, device=array_api_compat.device(a)), axis=0)

    return (take(X, train), take(y, train)), (take(X, val), take(y, val))
