"""Redraw time of the scheduler widgets (notebooks 07 and 08) per slider change.

    .venv/bin/python benchmarks/bench_schedule_widgets.py            # all widgets
    .venv/bin/python benchmarks/bench_schedule_widgets.py --rounds 9 --only StepLR plateau

For every widget and every one of its sliders, the slider is moved back and forth between
two values ``rounds`` times; one change = rerun the real scheduler, move the artists, draw
on Agg (and, in the second column, encode the PNG that the notebook shows).  The table
gives the median over all changes of a widget and its slowest slider.  Target: <= 60 ms.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from course.classroom.widgets import SCHEDULES, plateau_explorer, schedule_explorer  # noqa: E402

TARGET_MS = 60.0


def _two_values(slider):
    if hasattr(slider, "options"):
        options = list(slider.options)
        return options[0], options[-1]
    if type(slider).__name__ == "Checkbox":
        return True, False
    lo, hi = slider.min, slider.max
    a, b = lo + (hi - lo) * 0.3, lo + (hi - lo) * 0.6
    if type(slider).__name__ == "IntSlider":
        return int(round(a)), int(round(b))
    if type(slider).__name__ == "FloatLogSlider":  # min and max are exponents
        return 10 ** a, 10 ** b
    return a, b


def time_widget(widget, rounds: int, png: bool):
    widget.encode_png = png
    per_slider = {}
    for name, slider in widget.sliders.items():
        start = slider.value
        a, b = _two_values(slider)
        times = []
        for i in range(rounds):
            value = a if i % 2 == 0 else b
            if slider.value == value:  # make sure it is a change
                value = b if value == a else a
            t0 = time.perf_counter()
            slider.value = value
            times.append(time.perf_counter() - t0)
        slider.value = start
        per_slider[name] = times
    widget.encode_png = True
    return per_slider


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--only", nargs="*", help="widget names (keys of SCHEDULES, or 'plateau')")
    args = parser.parse_args(argv)
    builders = {name: (lambda n=name: schedule_explorer(n)) for name in SCHEDULES}
    builders["plateau"] = plateau_explorer
    names = args.only or list(builders)
    print("| widget | sliders | Agg only, median ms | with PNG, median ms | slowest slider (PNG) "
          f"| <= {TARGET_MS:.0f} ms |")
    print("|---|---:|---:|---:|---|---|")
    worst = 0.0
    for name in names:
        widget = builders[name]()
        agg = time_widget(widget, args.rounds, png=False)
        full = time_widget(widget, args.rounds, png=True)
        med_agg = statistics.median(t for ts in agg.values() for t in ts) * 1e3
        med_png = statistics.median(t for ts in full.values() for t in ts) * 1e3
        slow_name, slow = max(((k, statistics.median(v) * 1e3) for k, v in full.items()), key=lambda kv: kv[1])
        worst = max(worst, med_png)
        print(f"| {name} | {len(widget.sliders)} | {med_agg:.1f} | {med_png:.1f} | {slow_name} {slow:.1f} | "
              f"{'yes' if med_png <= TARGET_MS else 'NO'} |", flush=True)
    print(f"\nworst median with the PNG: {worst:.1f} ms (target {TARGET_MS:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
