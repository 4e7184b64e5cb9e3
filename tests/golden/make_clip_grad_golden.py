"""Golden values for course.nn.utils' gradient clipping, computed by torch 2.13.

Run with the system interpreter (it has torch):

    python3 tests/golden/make_clip_grad_golden.py

For every case in ``CASES`` it draws seeded grads of the given shapes and dtype, and records
torch's ``clip_grad_norm_`` (the total norm it returns and the clipped grads) and
``clip_grad_value_``.  It writes tests/golden/data/clip_grad.npz; tests/test_nn_utils.py
imports ``CASES`` and ``draw`` from here and needs no torch.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "data" / "clip_grad.npz"
SHAPES = [(5, 3), (7,), (2, 2, 2), (1,)]
# name -> (dtype, scale of the grads, max_norm, norm_type, clip_value)
CASES = {
    "l2_clipped": ("float64", 1.0, 0.5, 2.0, 0.3),
    "l2_not_clipped": ("float64", 0.01, 10.0, 2.0, 1.0),
    "l1": ("float64", 1.0, 1.0, 1.0, 0.5),
    "inf": ("float64", 3.0, 1.0, float("inf"), 2.0),
    "p3": ("float64", 1.0, 0.7, 3.0, 0.1),
    "p_half": ("float64", 1.0, 0.7, 0.5, 0.1),
    "huge": ("float64", 1e150, 1.0, 2.0, 1e149),
    "l2_f32": ("float32", 1.0, 0.5, 2.0, 0.3),
    "inf_f32": ("float32", 2.0, 0.25, float("inf"), 0.5),
}


def draw(name):
    dtype, scale, *_ = CASES[name]
    rng = np.random.default_rng(sorted(CASES).index(name))
    return [(scale * rng.standard_normal(s)).astype(dtype) for s in SHAPES]


def main():
    import torch

    out = {"cases": json.dumps(CASES)}
    for name, (dtype, scale, max_norm, norm_type, clip_value) in CASES.items():
        grads = draw(name)
        params = [torch.nn.Parameter(torch.zeros(g.shape, dtype=getattr(torch, dtype))) for g in grads]
        for p, g in zip(params, grads):
            p.grad = torch.from_numpy(g.copy())
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        out[f"{name}/total"] = total.numpy()
        for i, p in enumerate(params):
            out[f"{name}/norm_{i}"] = p.grad.numpy()
            p.grad = torch.from_numpy(grads[i].copy())
        torch.nn.utils.clip_grad_value_(params, clip_value)
        for i, p in enumerate(params):
            out[f"{name}/value_{i}"] = p.grad.numpy()
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT} ({len(CASES)} cases)")


if __name__ == "__main__":
    main()
