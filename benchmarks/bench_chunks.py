"""Time one step of each optimizer on one big array for several chunk sizes (NumPy, no torch).

    python3 benchmarks/bench_chunks.py                    # 10M float32
    python3 benchmarks/bench_chunks.py --dtype float64 --only Adam SGD

``course.optim`` applies a rule over chunks of a big array, ``chunk_bytes`` of each array at a
time (``CHUNK_BYTES`` in ``course/optim/fast_path.py``).  Bigger chunks mean fewer Python calls
per step, and NumPy's temporaries, as big as a chunk, still stay in the caches.  But glibc's
malloc hands freed memory back to the OS once there is more than twice its threshold of it,
and the threshold starts at 128 KB: then every chunk's temporaries are faulted in again,
page by page, and the step time jumps two- to fivefold.  ``course.optim`` raises the threshold
once by freeing a 16 MB block (``_prime_malloc``); ``--no-prime`` shows the step without it.
Malloc adapts to what the process freed before, so each size is timed in a fresh process,
as a user's program starts.  The table shows the median over rounds of the median of 7 steps,
in ms, each process after 50 ms of untimed steps; ``*`` marks the setting.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import course  # noqa: E402
from course import optim  # noqa: E402
from course.optim import fast_path  # noqa: E402

CASES = {
    "SGD": dict(momentum=0.9),
    "SGD nesterov": dict(momentum=0.9, nesterov=True),
    "Adam": {},
    "Adam amsgrad": dict(amsgrad=True),
    "AdamW": {},
    "RMSprop": {},
    "RMSprop centered": dict(centered=True, momentum=0.9),
    "Adagrad": {},
    "Adadelta": {},
    "Adamax": {},
    "NAdam": {},
    "RAdam": {},
    "ASGD": {},
    "Rprop": {},
    "Lion": {},
}
SIZES_KB = [128, 256, 384, 512, 768, 1024]


def child(case, kb, numel, dtype, no_prime):
    """Print the median step time of one case at one chunk size, in this fresh process."""
    rng = np.random.default_rng(0)
    name = case.split()[0]
    p = course.Parameter(rng.standard_normal(numel).astype(dtype))
    p.grad = rng.standard_normal(numel).astype(dtype)
    opt = getattr(optim, name)([p], lr=1e-3, **CASES[case])
    chosen = fast_path.CHUNK_BYTES
    opt.chunk_bytes = kb * 1024
    if no_prime:
        fast_path._malloc_primed = True  # as if done: skip it
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 0.05:
        opt.step()
    steps = []
    for _ in range(7):
        t0 = time.perf_counter()
        opt.step()
        steps.append(time.perf_counter() - t0)
    print(statistics.median(steps) * 1e3, chosen // 1024)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--numel", type=int, default=10_000_000)
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--only", nargs="*", default=list(CASES))
    ap.add_argument("--sizes", nargs="*", type=int, default=SIZES_KB, help="chunk_bytes in KB")
    ap.add_argument("--no-prime", action="store_true", help="leave malloc's threshold where it starts")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.child[0], int(args.child[1]), args.numel, args.dtype, args.no_prime)
    print(f"numpy {np.__version__}, {args.numel:,} {args.dtype}, {fast_path.THREADS} threads,"
          f" malloc {'not ' if args.no_prime else ''}primed; ms per step for chunk_bytes in KB (* = the setting)")
    print(f"{'case':17}" + "".join(f"{kb:>9}" for kb in args.sizes))
    for case in args.only:
        times, chosen = {kb: [] for kb in args.sizes}, None
        for _ in range(args.rounds):
            for kb in args.sizes:
                cmd = [sys.executable, __file__, "--numel", str(args.numel), "--dtype", args.dtype,
                       "--child", case, str(kb)] + ["--no-prime"] * args.no_prime
                out = subprocess.run(cmd, capture_output=True, text=True, check=True)
                ms, chosen = out.stdout.split()
                times[kb].append(float(ms))
        row = "".join(f"{statistics.median(times[kb]):8.2f}{'*' if str(kb) == chosen else ' '}" for kb in args.sizes)
        print(f"{case:17}{row}", flush=True)


if __name__ == "__main__":
    main()
