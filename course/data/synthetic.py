"""Seeded synthetic data sets: regression, two moons and spirals, as NumPy arrays."""
from __future__ import annotations

import math

import numpy as np

__all__ = ["make_regression", "make_moons", "make_spirals"]


def _check(n_samples, noise, minimum=1):
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < minimum:
        raise ValueError(f"n_samples must be an integer >= {minimum}, got {n_samples!r}")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")


def make_regression(n_samples: int = 256, n_features: int = 10, noise: float = 0.1, seed: int = 0,
                    dtype=np.float32):
    r"""A linear regression problem sized for ``SimpleNN``: ``y = X w + b + noise * e``.

    .. math::
        X_{ij} \sim \mathcal N(0, 1),\quad w_j \sim \mathcal N(0, 1/d),\quad
        b \sim \mathcal N(0, 1),\quad e_i \sim \mathcal N(0, 1)

    so that the targets have a variance of about 2 whatever the number of features ``d``.

    Returns:
        ``X`` of shape ``(n_samples, n_features)`` and ``y`` of shape ``(n_samples, 1)``
        (a column, like ``SimpleNN``'s output), both of ``dtype``.

    >>> X, y = make_regression(n_samples=5)
    >>> X.shape, y.shape, X.dtype
    ((5, 10), (5, 1), dtype('float32'))
    """
    _check(n_samples, noise)
    if isinstance(n_features, bool) or not isinstance(n_features, (int, np.integer)) or n_features < 1:
        raise ValueError(f"n_features must be an integer >= 1, got {n_features!r}")
    rng = np.random.default_rng(seed)
    w = rng.normal(0.0, 1.0 / math.sqrt(n_features), size=(n_features, 1))
    b = rng.normal()
    X = rng.normal(size=(n_samples, n_features))
    y = X @ w + b + noise * rng.normal(size=(n_samples, 1))
    return X.astype(dtype), y.astype(dtype)


def make_moons(n_samples: int = 200, noise: float = 0.1, seed: int = 0, dtype=np.float32):
    """Two interleaving half circles in 2-D, one class each (a classic non-linear problem).

    Class 0 lies on the upper half circle of radius 1 around (0, 0); class 1 on the
    lower half circle around (1, 0.5).  Gaussian noise of standard deviation ``noise``
    is added to every coordinate, and the samples come in a shuffled order.

    Returns:
        ``X`` of shape ``(n_samples, 2)`` (``dtype``) and ``y`` of shape ``(n_samples,)`` (int64).

    >>> X, y = make_moons(10)
    >>> X.shape, sorted(set(y.tolist()))
    ((10, 2), [0, 1])
    """
    _check(n_samples, noise, minimum=2)
    rng = np.random.default_rng(seed)
    n0 = n_samples // 2
    n1 = n_samples - n0
    t0 = np.linspace(0.0, math.pi, n0)
    t1 = np.linspace(0.0, math.pi, n1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    X = np.concatenate([upper, lower]) + noise * rng.normal(size=(n_samples, 2))
    y = np.concatenate([np.zeros(n0, dtype=np.int64), np.ones(n1, dtype=np.int64)])
    order = rng.permutation(n_samples)
    return X[order].astype(dtype), y[order]


def make_spirals(n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, seed: int = 0, dtype=np.float32):
    r"""``n_classes`` interleaved spiral arms in 2-D (not separable by a linear model).

    Arm ``k`` has points at radius :math:`r \in [0, 1]` and angle
    :math:`\theta = 4 r + 2\pi k / K + \text{noise} \cdot \mathcal N(0, 1)`.

    Returns:
        ``X`` of shape ``(n_samples, 2)`` (``dtype``) and ``y`` of shape ``(n_samples,)`` (int64),
        in a shuffled order.

    >>> X, y = make_spirals(30, n_classes=3)
    >>> X.shape, np.bincount(y).tolist()
    ((30, 2), [10, 10, 10])
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    _check(n_samples, noise, minimum=n_classes)
    rng = np.random.default_rng(seed)
    counts = [n_samples // n_classes + (k < n_samples % n_classes) for k in range(n_classes)]
    X, y = [], []
    for k, m in enumerate(counts):
        r = np.linspace(0.0, 1.0, m)
        theta = 4.0 * r + 2.0 * math.pi * k / n_classes + noise * rng.normal(size=m)
        X.append(np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1))
        y.append(np.full(m, k, dtype=np.int64))
    X, y = np.concatenate(X), np.concatenate(y)
    order = rng.permutation(n_samples)
    return X[order].astype(dtype), y[order]
