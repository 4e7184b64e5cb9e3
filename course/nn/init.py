"""Where the random initial weights come from: NumPy generators, seeded.

``seed=None`` in a layer draws from one module-wide generator, like torch's global
generator: every fresh process starts from the same state (seed 0), and
``manual_seed(s)`` resets it.  An int seed gives the layer its own generator; a
``numpy.random.Generator`` is drawn from in place (how ``SimpleNN`` seeds its layers).
"""
from __future__ import annotations

import numpy as np

__all__ = ["manual_seed", "generator"]

_global = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Reset the generator that layers built with ``seed=None`` draw from."""
    global _global
    _global = np.random.default_rng(seed)


def generator(seed=None) -> np.random.Generator:
    """The generator a layer draws its initial weights from (see the module docstring)."""
    if seed is None:
        return _global
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, a numpy.random.Generator or None, got {seed!r}")
    return np.random.default_rng(seed)
