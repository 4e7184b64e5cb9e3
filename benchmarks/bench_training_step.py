"""Time one training epoch of the digits MLP: course against torch eager, quiet and beside a busy core.

    python3 benchmarks/bench_training_step.py              # torch is used when importable
    python3 benchmarks/bench_training_step.py --rounds 15 --before

The model of notebooks 09-10: 64 -> 256 -> ReLU -> 10, cross-entropy, SGD (lr 0.05, momentum
0.9), one epoch = the 23 batches of 64 of the digits training split.  torch gets course's
initial weights.  Contenders: course, torch eager on 1 thread (``torch.set_num_threads(1)``)
and torch on its default threads; with ``--before``, also course with BLAS left at its default
threads (``course.blas_threads`` switched off: the code before the fix).

Two conditions: quiet, and busy, with one ``while True: pass`` process beside this one (started
here, stopped after the block, and ending itself after ``--busy-limit`` seconds in any case).
Contenders are timed interleaved, round after round; each block of timed epochs follows 0.2 s
of its own untimed epochs, longer than idle OpenBLAS workers (0.1 s) or torch's OpenMP threads
(10 ms) spin after the previous contender.  The table gives the median over the rounds of the
mean epoch time of each block, and course's time over torch's on 1 thread.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from course import Tensor, nn, optim  # noqa: E402
from course.data import load_digits, train_val_split  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

WARM_UP = 0.2  # seconds of untimed epochs before each timed block
BATCH = 64
TORCH_DEFAULT_THREADS = torch.get_num_threads() if torch is not None else None


def batches():
    X, y = load_digits()
    (Xt, yt), _ = train_val_split(X, y, seed=0)
    return [(Xt[i:i + BATCH], yt[i:i + BATCH]) for i in range(0, len(Xt), BATCH)]


def course_epoch(data, blas_fix=True):
    model = nn.Sequential(nn.Linear(64, 256, seed=1), nn.ReLU(), nn.Linear(256, 10, seed=2))
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    data = [(Tensor(x), Tensor(y)) for x, y in data]

    def epoch():
        with (contextlib.nullcontext() if blas_fix else blas_fix_off()):
            for x, y in data:
                opt.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                opt.step()
    return model, epoch


@contextlib.contextmanager
def blas_fix_off():
    """The code before the fix: matmuls run with BLAS's default threads."""
    module = importlib.import_module("course.tensor")  # the module: course.tensor is a function
    saved = module.for_matmul
    module.for_matmul = lambda a, b: contextlib.nullcontext()
    try:
        yield
    finally:
        module.for_matmul = saved


def torch_epoch(data, course_model, threads):
    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    with torch.no_grad():
        for p, q in zip(course_model.parameters(), model.parameters()):
            q.copy_(torch.from_numpy(np.array(p.data)))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    data = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in data]

    def epoch():
        torch.set_num_threads(threads)
        for x, y in data:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
    return epoch


def contenders(before):
    data = batches()
    model, epoch = course_epoch(data)
    out = {"course": epoch}
    if before:
        out["course, before the fix"] = course_epoch(data, blas_fix=False)[1]
    if torch is not None:
        out["torch, 1 thread"] = torch_epoch(data, model, 1)
        out[f"torch, {TORCH_DEFAULT_THREADS} threads"] = torch_epoch(data, model, TORCH_DEFAULT_THREADS)
    return out


def timed_block(epoch, epochs):
    t_end = time.perf_counter() + WARM_UP
    while time.perf_counter() < t_end:
        epoch()
    t0 = time.perf_counter()
    for _ in range(epochs):
        epoch()
    return (time.perf_counter() - t0) / epochs


@contextlib.contextmanager
def busy_core(limit_s):
    """One process spinning on a core beside this one, for at most ``limit_s`` seconds."""
    spin = f"import time\nend = time.monotonic() + {limit_s}\nwhile time.monotonic() < end: pass"
    proc = subprocess.Popen([sys.executable, "-c", spin])
    time.sleep(0.2)  # let it start spinning
    try:
        yield
    finally:
        proc.kill()
        proc.wait()


def run(condition, funcs, rounds, epochs, busy_limit):
    times = {name: [] for name in funcs}
    with busy_core(busy_limit) if condition == "busy" else contextlib.nullcontext():
        for _ in range(rounds):
            for name, f in funcs.items():
                times[name].append(timed_block(f, epochs))
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--epochs", type=int, default=3, help="timed epochs per block")
    ap.add_argument("--before", action="store_true", help="also time course with BLAS at its default threads")
    ap.add_argument("--busy-limit", type=float, default=120.0, help="seconds after which the busy process ends itself")
    args = ap.parse_args()

    funcs = contenders(args.before)
    names = list(funcs)
    torch1 = "torch, 1 thread"
    print(f"course vs torch eager, digits MLP 64-256-10, {len(batches())} batches of {BATCH}, SGD momentum; "
          f"ms per epoch, median of {args.rounds} rounds x {args.epochs} epochs"
          + ("" if torch is not None else " (torch not importable: course only)"))
    header = "| condition | " + " | ".join(names) + (" | course / torch 1 thread |" if torch else " |")
    if args.before and torch is not None:
        header += " before / torch 1 thread |"
    print(header)
    print("|---|" + "---:|" * (header.count("|") - 2))
    for condition in ("quiet", "busy"):
        med = run(condition, funcs, args.rounds, args.epochs, args.busy_limit)
        row = f"| {condition} | " + " | ".join(f"{med[n]:.2f}" for n in names) + " |"
        if torch is not None:
            row += f" **{med['course'] / med[torch1]:.2f}** |"
            if args.before:
                row += f" {med['course, before the fix'] / med[torch1]:.2f} |"
        print(row, flush=True)


if __name__ == "__main__":
    main()
