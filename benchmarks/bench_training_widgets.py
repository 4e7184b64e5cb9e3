"""Redraw time per control change of the practice widgets (notebooks 09-11), Agg only and with the PNG.

``python benchmarks/bench_training_widgets.py`` prints, for each control, the median time of
one change: the experiment lookup (cached runs), moving the artists and drawing with Agg,
without and with encoding the PNG the notebook shows. Target: <= 60 ms per change.
Runs that are not cached yet (a first visit) cost one training run more; their time is
printed separately.
"""
from __future__ import annotations

import statistics
import time

import matplotlib

matplotlib.use("Agg")

from course.classroom import digits_runs, widgets  # noqa: E402

TARGET_MS = 60.0


def _median_ms(fn, values, rounds=3):
    times = []
    for _ in range(rounds):
        for v in values:
            start = time.perf_counter()
            fn(v)
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def _change(panel, name, encode):
    def apply(value):
        panel.controls[name].value = value  # observers redraw with the PNG
    if encode:
        return apply

    def agg_only(value):  # the same redraw, without the PNG encoding
        control = panel.controls[name]
        control.unobserve(panel._on_change, names="value")
        control.value = value
        control.observe(panel._on_change, names="value")
        if panel._redraw(panel, **panel.values()):
            panel._background = None
        panel.render(encode=False)
    return agg_only


def main():
    rows = []
    picker = widgets.training_picker(prefetch=False)  # no background training while timing
    lrs = [1e-3, 10 ** -2.5, 1e-2, 10 ** -1.5]
    picker.cache.precompute(lrs=lrs)
    start = time.perf_counter()
    picker.cache.get("Adam", 0.3, "cosine")
    miss_ms = (time.perf_counter() - start) * 1e3
    finder = widgets.finder_explorer()
    for lo in (1e-6, 1e-5):
        for hi in (10.0, 100.0):
            finder.sweeps.setdefault((lo, hi), widgets.finder_sweep(lo, hi))
    traffic = widgets.traffic_explorer()
    cases = [
        ("09 picker", picker, "lr", lrs),
        ("09 picker", picker, "scheduler", list(digits_runs.SCHEDULERS)),
        ("09 picker", picker, "optimizer", list(digits_runs.OPTIMIZERS)),
        ("10 finder", finder, "beta", [0.9, 0.5, 0.98, 0.0]),
        ("10 finder", finder, "start_lr", [1e-6, 1e-5]),
        ("10 finder", finder, "end_lr", [100.0, 10.0]),
        ("11 traffic", traffic, "log10_n", [4.0, 5.5, 7.0, 8.5]),
    ]
    print(f"{'widget':<11} {'control':<10} {'Agg only ms':>11} {'with PNG ms':>11}  target <= {TARGET_MS:.0f} ms")
    for label, panel, name, values in cases:
        agg = _median_ms(_change(panel, name, False), values)
        png = _median_ms(_change(panel, name, True), values)
        verdict = "met" if png <= TARGET_MS else "MISSED"
        rows.append((label, name, agg, png))
        print(f"{label:<11} {name:<10} {agg:>11.1f} {png:>11.1f}  {verdict}")
    print(f"09 picker, a run not cached yet (20 epochs of training): {miss_ms:.0f} ms")
    return rows


if __name__ == "__main__":
    main()
