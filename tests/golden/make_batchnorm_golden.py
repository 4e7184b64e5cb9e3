"""Golden values for course.nn.BatchNorm1d, computed by torch 2.13.

Run with the system interpreter (it has torch):

    python3 tests/golden/make_batchnorm_golden.py

Each case in ``CASES`` builds a ``BatchNorm1d`` with the given keywords, sets its weight and
bias to seeded values, then runs ``TRAIN_STEPS`` training calls on seeded inputs (``draw``),
each followed by a backward of ``(y * g).sum()`` with a seeded ``g``, and records the output,
the gradients of input, weight and bias, and the buffers after each call; then ``EVAL_STEPS``
eval calls (output and input gradient).  Writes tests/golden/data/batchnorm.npz;
tests/test_nn_dropout_batchnorm.py imports ``CASES`` and ``draw`` from here and needs no torch.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "data" / "batchnorm.npz"
TRAIN_STEPS, EVAL_STEPS = 12, 3
# name -> (input shape (N, C) or (N, C, L), BatchNorm1d keywords)
CASES = {
    "2d": ((8, 4), {}),
    "3d": ((5, 3, 6), {}),
    "cumulative": ((6, 4), {"momentum": None}),
    "momentum_0.5": ((4, 3, 2), {"momentum": 0.5, "eps": 1e-3}),
    "no_affine": ((7, 3), {"affine": False}),
    "no_bias": ((7, 3), {"bias": False}),
    "untracked": ((6, 3), {"track_running_stats": False}),
    "pair": ((2, 5), {}),
}
DTYPES = ("float64", "float32")


def draw(shape, dtype, steps=TRAIN_STEPS + EVAL_STEPS):
    """Seeded weight, bias (C,) and per call an input (shifted and scaled per feature) and an upstream grad."""
    rng = np.random.default_rng(sum(shape) * 31 + len(shape))
    c = shape[1]
    weight = (1 + 0.5 * rng.standard_normal(c)).astype(dtype)
    bias = rng.standard_normal(c).astype(dtype)
    scale = np.reshape(np.exp(rng.standard_normal(c)), (1, c) + (1,) * (len(shape) - 2))
    shift = np.reshape(3 * rng.standard_normal(c), (1, c) + (1,) * (len(shape) - 2))
    xs = [(shift + scale * rng.standard_normal(shape)).astype(dtype) for _ in range(steps)]
    gs = [rng.standard_normal(shape).astype(dtype) for _ in range(steps)]
    return weight, bias, xs, gs


def torch_records(name, dtype):
    """torch's records for one case: name -> array stacked over the calls."""
    import torch
    shape, kwargs = CASES[name]
    weight, bias, xs, gs = draw(shape, dtype)
    bn = torch.nn.BatchNorm1d(shape[1], dtype=getattr(torch, dtype), **kwargs)
    with torch.no_grad():
        if bn.weight is not None:
            bn.weight.copy_(torch.from_numpy(weight))
        if bn.bias is not None:
            bn.bias.copy_(torch.from_numpy(bias))
    rec = {k: [] for k in ("y", "gx", "gw", "gb", "rm", "rv", "nbt")}
    for i, (x, g) in enumerate(zip(xs, gs)):
        bn.train(i < TRAIN_STEPS)
        bn.zero_grad()
        tx = torch.from_numpy(x.copy()).requires_grad_(True)
        y = bn(tx)
        (y * torch.from_numpy(g)).sum().backward()
        rec["y"].append(y.detach().numpy())
        rec["gx"].append(tx.grad.numpy())
        if bn.weight is not None:
            rec["gw"].append(bn.weight.grad.numpy())
        if bn.bias is not None:
            rec["gb"].append(bn.bias.grad.numpy())
        if bn.running_mean is not None:
            rec["rm"].append(bn.running_mean.numpy().copy())
            rec["rv"].append(bn.running_var.numpy().copy())
            rec["nbt"].append(int(bn.num_batches_tracked))
    return {k: np.stack(v) for k, v in rec.items() if v}


def main():
    arrays = {}
    for name in CASES:
        for dtype in DTYPES:
            for key, value in torch_records(name, dtype).items():
                arrays[f"{name}/{dtype}/{key}"] = value
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB, {len(arrays)} arrays)")


if __name__ == "__main__":
    main()
