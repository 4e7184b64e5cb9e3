"""Time one optimizer step: course.optim on NumPy against torch (default and fused=True) and the bandwidth floor.

    python3 benchmarks/bench_optim.py            # torch is used when importable
    python3 benchmarks/bench_optim.py --rounds 9 --only Adam

Shapes: (a) 1 tensor of 10M float32, (b) 500 tensors of 20k, (c) 2000 tensors of 100; Muon and
Adafactor, which work on matrices, get (m) 8 matrices of 256x256 and (n) 1 of 1024x512 instead.
All contenders of one case are timed interleaved, round after round, in this process,
each block of timed steps after 30 ms of its own untimed steps (see ``warm_up``);
the table shows medians, the ratios and the spread (max/min over rounds) of course's time.
The floor is the bytes the rule must move at the speed of in-place ``a += b`` on 50M float32.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import course  # noqa: E402
from course import optim  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

WARM_UP = 0.03  # seconds of untimed steps before each timed block (see warm_up)
SHAPES = {"a": [(10_000_000,)], "b": [(20_000,)] * 500, "c": [(100,)] * 2000,
          "m": [(256, 256)] * 8, "n": [(1024, 512)]}
MATRIX_ONLY = {"Muon", "Adafactor"}  # timed on the matrix shapes (m, n), the others on a, b, c
# name -> (kwargs, bytes moved per parameter: reads and writes of p, grad and state, float32)
OPTIMIZERS = {
    "Adam": (dict(lr=1e-3), 28),
    "AdamW": (dict(lr=1e-3), 28),
    "SGD": (dict(lr=1e-3, momentum=0.9), 20),
    "RMSprop": (dict(lr=1e-3), 20),
    "Adagrad": (dict(lr=1e-3), 20),
    # not bandwidth-bound: Muon's Newton-Schulz is 15 matrix products (emulated bfloat16 here),
    # Adafactor's step reduces rows and columns; their floor column is only a lower bound
    "Muon": (dict(lr=1e-3), 20),
    "Adafactor": (dict(lr=1e-3), 16),
}
TARGETS = {("Adam", "a"): ("default", 0.5), ("Adam", "c"): ("default", 0.1),
           ("SGD", "a"): ("fused", 1.5), ("RMSprop", "a"): ("default", 0.6)}


def bandwidth(rounds):
    a = np.ones(50_000_000, dtype=np.float32)
    b = np.ones(50_000_000, dtype=np.float32)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        a += b
        times.append(time.perf_counter() - t0)
    return 3 * a.nbytes / statistics.median(times)  # read a, read b, write a


def contenders(name, shapes):
    kwargs, _ = OPTIMIZERS[name]
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    params = [course.Parameter(a.copy()) for a in arrays]
    for p, g in zip(params, grads):
        p.grad = g
    out = {"course": getattr(optim, name)(params, **kwargs)}
    if torch is not None:
        for label, extra in (("default", {}), ("fused", {"fused": True})):
            tp = [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in arrays]
            for p, g in zip(tp, grads):
                p.grad = torch.from_numpy(g)
            try:
                out[label] = getattr(torch.optim, name)(tp, **kwargs, **extra)
                out[label].step()
            except (RuntimeError, TypeError, ValueError):
                out.pop(label, None)  # no fused path for this optimizer
    return out


def warm_up(opt, seconds=WARM_UP):
    """Untimed steps of the contender about to be timed, so that it is not charged for the last one.

    torch's OpenMP threads (libgomp) spin for about 10 ms after each parallel region and take
    the cores from whatever runs next: a course step right after a torch step measured 7.6 ms,
    then 6.7, 5.1 and a steady 4.6 ms (a flat 4.3 ms with GOMP_SPINCOUNT=0).
    """
    t0 = time.perf_counter()
    while True:
        opt.step()
        if time.perf_counter() - t0 > seconds:
            return


def time_case(name, shapes, rounds, steps):
    opts = contenders(name, shapes)
    for opt in opts.values():  # warm up: state is created, layouts are built
        opt.step()
    times = {k: [] for k in opts}
    for _ in range(rounds):
        for k, opt in opts.items():
            warm_up(opt)
            t0 = time.perf_counter()
            for _ in range(steps):
                opt.step()
            times[k].append((time.perf_counter() - t0) / steps)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--only", nargs="*", default=list(OPTIMIZERS))
    ap.add_argument("--shapes", default="abcmn")
    args = ap.parse_args()
    bw = bandwidth(args.rounds)
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'absent'}"
          f"{f' ({torch.get_num_threads()} threads)' if torch else ''}; bandwidth floor (a += b, 50M float32): {bw / 1e9:.1f} GB/s")
    print(f"{'optimizer':9} {'shape':5} {'course ms':>10} {'spread':>7} {'torch ms':>9} {'fused ms':>9} {'floor ms':>9}"
          f" {'/torch':>7} {'/fused':>7} {'/floor':>7}  target")
    for name in args.only:
        for shape_key in args.shapes:
            if (shape_key in "mn") != (name in MATRIX_ONLY):
                continue
            shapes = SHAPES[shape_key]
            numel = sum(int(np.prod(s)) for s in shapes)
            steps = 3 if numel > 5e6 else 10
            times = time_case(name, shapes, args.rounds, steps)
            med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
            spread = max(times["course"]) / min(times["course"])
            floor = OPTIMIZERS[name][1] * numel / bw * 1e3
            ours = med["course"]

            def ratio(k):
                return f"{ours / med[k]:7.2f}" if k in med else f"{'-':>7}"

            target = ""
            if (name, shape_key) in TARGETS:
                against, limit = TARGETS[(name, shape_key)]
                if against in med:
                    value = ours / med[against]
                    target = f"<= {limit} x {against}: {'met' if value <= limit else 'MISSED'} ({value:.2f})"
            print(f"{name:9} ({shape_key})   {ours:10.3f} {spread:7.2f} {med.get('default', float('nan')):9.3f}"
                  f" {med.get('fused', float('nan')):9.3f} {floor:9.3f} {ratio('default')} {ratio('fused')}"
                  f" {ours / floor:7.2f}  {target}", flush=True)


if __name__ == "__main__":
    main()
