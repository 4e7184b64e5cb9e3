"""Median redraw time of each course widget per slider change, headless (Agg).

A redraw is what one slider change costs in a notebook: rerun the optimizers, move the
existing artists (``set_data``), draw over the saved background with Agg, encode the PNG
that the ``Output`` widget shows.  The contour is never redrawn.  Target: <= 60 ms.

    .venv/bin/python benchmarks/bench_widgets.py [--repeats 15]

Prints a Markdown table (for benchmarks/README.md, "## Widget redraw time").
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402

from course.classroom import widgets  # noqa: E402

BUILDERS = {
    "01 lr_explorer (lr)": (widgets.lr_explorer, "lr"),
    "02 sgd_explorer (lr, batch_size)": (widgets.sgd_explorer, "lr"),
    "03 momentum_explorer, bowl (momentum)": (widgets.momentum_explorer, "momentum"),
    "03 momentum_explorer, Rosenbrock (lr)": (lambda: widgets.momentum_explorer("rosenbrock", lr=1e-3), "lr"),
    "04 rmsprop_explorer (alpha)": (widgets.rmsprop_explorer, "alpha"),
    "05 adam_explorer (beta1)": (widgets.adam_explorer, "beta1"),
    "06 race, 6 optimizers (lr_factor)": (widgets.race, "lr_factor"),
}


def slider_values(slider, n):
    lo, hi = slider.min, slider.max
    if hasattr(slider, "base"):  # log slider: exponents
        return [slider.base ** e for e in np.linspace(lo + 0.2 * (hi - lo), hi - 0.2 * (hi - lo), n)]
    return list(np.linspace(lo + 0.2 * (hi - lo), hi - 0.2 * (hi - lo), n))


class Clock:
    """Wraps a function and adds up the time spent in it."""

    def __init__(self, fn):
        self.fn, self.total = fn, 0.0

    def __call__(self, *args, **kwargs):
        t = time.perf_counter()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.total += time.perf_counter() - t


def bench(builder, name, repeats):
    w = builder()
    slider = w.sliders[name]
    runs = Clock(w._run_all)
    w._run_all = runs
    encode = Clock(widgets.png.encode)
    widgets.png.encode = encode
    total, compute, png = [], [], []
    try:
        for v in slider_values(slider, repeats):
            runs.total = encode.total = 0.0
            t = time.perf_counter()
            slider.value = v
            total.append(time.perf_counter() - t)
            compute.append(runs.total)
            png.append(encode.total)
    finally:
        widgets.png.encode = encode.fn
    ms = lambda xs: 1e3 * statistics.median(xs)  # noqa: E731
    agg = [t - c - p for t, c, p in zip(total, compute, png)]
    return ms(total), ms(compute), ms(agg), ms(png), w.figure.canvas.get_width_height()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15, help="slider changes per widget (default 15)")
    args = ap.parse_args()
    print(f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores; "
          f"median of {args.repeats} slider changes each\n")
    print("| widget (slider moved) | optimizers run | Agg draw | PNG encode | total per change | figure (px) |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, (builder, slider) in BUILDERS.items():
        total, compute, agg, png, (wpx, hpx) = bench(builder, slider, args.repeats)
        print(f"| {label} | {compute:.1f} ms | {agg:.1f} ms | {png:.1f} ms | **{total:.1f} ms** | {wpx}x{hpx} |")


if __name__ == "__main__":
    main()
