r"""torch's ``lerp_``, in place, for the moving averages of Adam, Adamax, NAdam, RAdam and RMSprop.

:math:`\operatorname{lerp}(a, b, w) = a + w(b - a)` in exact arithmetic, but torch rounds it
one of two ways, whichever is accurate near its end (ATen's ``Lerp.h``)::

    |w| <  0.5:  a + w * (b - a)         exact at w = 0: a
    |w| >= 0.5:  b - (b - a) * (1 - w)   exact at w = 1: b

The two differ by more than rounding at extreme values: with :math:`\beta_1 = 0`
(``w = 1``), ``a = 1e20`` and ``b = 1``, the first form gives 0 and torch gives 1.

On CPUs with AVX2 or AVX-512 torch fuses each form into one multiply-add (one rounding
where NumPy rounds twice), so the last bit can differ there; torch's portable kernel
(``ATEN_CPU_CAPABILITY=default``) computes exactly these two forms, bit for bit.
"""
from __future__ import annotations

from .optimizer import _f32, namespace

__all__ = ["lerp_"]


def lerp_(start, end, weight):
    """``start <- lerp(start, end, weight)`` in place, rounded as torch does; returns ``start``.

    ``weight`` is a Python number (the branch is chosen here, once per call) or an array
    (chosen per element).  Works on any array-API array; ``start`` must be writable.

    Example:
        >>> import numpy as np
        >>> a = np.array([1e20, 0.0])
        >>> lerp_(a, np.array([1.0, 2.0]), 1.0)     # w = 1 gives end exactly
        array([1., 2.])
        >>> lerp_(a, np.array([3.0, 3.0]), 0.25)
        array([1.5 , 2.25])
    """
    xp = namespace(start)
    if isinstance(weight, (int, float)):
        if start.dtype == xp.float32:
            weight = _f32(weight)  # torch converts the weight to the tensor's dtype first
        if abs(weight) < 0.5:
            start += weight * (end - start)
        else:  # b - (b - a)(1 - w), in place as ((a - b)(1 - w)) + b: the same roundings
            start -= end
            start *= 1 - weight
            start += end
        return start
    diff = end - start
    small = xp.abs(weight) < 0.5
    start[...] = xp.where(small, start + weight * diff, end - diff * (1 - weight))
    return start
