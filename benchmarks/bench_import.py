"""How long ``import course`` takes, in fresh processes (the library alone: no classroom, no plots).

    python3 benchmarks/bench_import.py            # 7 fresh processes, median and range

The NumPy namespace of array_api_compat (0.2 s to import: it loads NumPy's lazy submodules)
is imported at the first operation on a Tensor, not at ``import course``.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = ("import time; t = time.perf_counter(); import course; t = time.perf_counter() - t; "
        "import sys; print(t, sorted(m for m in sys.modules if m.startswith(('matplotlib', 'ipywidgets', "
        "'course.classroom'))))")


def main(runs: int = 7) -> None:
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", CODE], cwd=ROOT, capture_output=True, text=True, check=True)
        seconds, loaded = out.stdout.split(" ", 1)
        times.append(float(seconds))
    print(f"import course: median {statistics.median(times):.3f} s, range {min(times):.3f}-{max(times):.3f} s "
          f"over {runs} fresh processes; also loaded from the classroom and plotting: {loaded.strip()}")


if __name__ == "__main__":
    main()
