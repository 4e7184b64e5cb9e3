"""Slider grids that hold their start value.

The browser snaps a slider to the grid ``min + k * step`` as soon as it shows it, so a start
value off the grid silently changes (momentum 0.9 becomes 0.896, lr 0.05 becomes 0.0501) and the
picture no longer matches the text beside it. These two helpers choose a grid through the value.
"""
from __future__ import annotations

import math

__all__ = ["notch", "log_min"]


def notch(lo: float, hi: float, value: float, notches: int = 200) -> float:
    """A round step (1, 2 or 5 times a power of ten) with about ``notches`` notches whose grid
    holds ``value``: the browser snaps a slider to its grid, and 0.9 must stay 0.9, not 0.896."""
    coarse = (hi - lo) / notches
    exponent = math.floor(math.log10(coarse))
    for e in range(exponent, exponent - 3, -1):
        for mantissa in (5, 2, 1):
            step = mantissa * 10.0**e
            if step <= coarse * (1 + 1e-9):
                k = (value - lo) / step
                if abs(k - round(k)) < 1e-6:
                    return step
    return coarse


def log_min(lo: float, value: float, step: float) -> float:
    """The exponent where a log slider starts: at ``lo`` or just above it, so that ``value`` lies
    on the grid of exponents (the browser snaps to it: lr 0.05 must stay 0.05, not 0.0501)."""
    notches = math.floor((math.log10(value) - math.log10(lo)) / step + 1e-9)
    return math.log10(value) - notches * step
