"""Golden values for course.Tensor's operations, computed by torch 2.13 in float64.

Run with the system interpreter (it has torch):

    python3 tests/golden/make_autograd_golden.py

For every case in ``CASES`` it draws the inputs (seeded), computes ``out = fn(*inputs)``
in torch, then backpropagates a random upstream gradient ``w`` (the gradient of
``sum(out * w)``).  It writes tests/golden/data/autograd.npz with, per case,
``<name>/x0, x1, ...``, ``<name>/w``, ``<name>/out`` and ``<name>/g0, g1, ...``.

The case functions are written so that the same code runs on torch tensors and on
course Tensors (torch's ``dim=``/``keepdim=`` spellings, which course accepts too);
tests/test_tensor_golden.py imports ``CASES`` from here and needs no torch.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "data" / "autograd.npz"
SEED = 20240601

# name -> (function, [(shape, domain), ...]); domains: "any", "pos" (> 0), "nonzero" (|x| > 0.2)
CASES = {
    # elementwise binaries, with broadcasting
    "add": (lambda a, b: a + b, [((3, 4), "any"), ((3, 4), "any")]),
    "add_bcast_row": (lambda a, b: a + b, [((3, 4), "any"), ((4,), "any")]),
    "add_bcast_outer": (lambda a, b: a + b, [((3, 1), "any"), ((1, 4), "any")]),
    "sub_bcast_3d": (lambda a, b: a - b, [((2, 3, 4), "any"), ((3, 1), "any")]),
    "mul_bcast": (lambda a, b: a * b, [((2, 1, 4), "any"), ((3, 1), "any")]),
    "mul_scalar_tensor": (lambda a, b: a * b, [((), "any"), ((2, 3), "any")]),
    "div": (lambda a, b: a / b, [((3, 4), "any"), ((3, 4), "nonzero")]),
    "div_bcast": (lambda a, b: a / b, [((4,), "any"), ((3, 1), "nonzero")]),
    "pow_tensor": (lambda a, b: a ** b, [((3, 4), "pos"), ((3, 4), "any")]),
    "pow_tensor_bcast": (lambda a, b: a ** b, [((3, 4), "pos"), ((4,), "any")]),
    # with Python numbers
    "add_number": (lambda a: a + 1.5, [((3, 4), "any")]),
    "rsub_number": (lambda a: 2.0 - a, [((3, 4), "any")]),
    "mul_number": (lambda a: 0.25 * a, [((3, 4), "any")]),
    "div_number": (lambda a: a / 3.0, [((3, 4), "any")]),
    "rdiv_number": (lambda a: 2.0 / a, [((3, 4), "nonzero")]),
    "pow_2": (lambda a: a ** 2, [((3, 4), "any")]),
    "pow_3": (lambda a: a ** 3, [((3, 4), "any")]),
    "pow_half": (lambda a: a ** 0.5, [((3, 4), "pos")]),
    "pow_neg": (lambda a: a ** -1.5, [((3, 4), "pos")]),
    "rpow_number": (lambda a: 2.5 ** a, [((3, 4), "any")]),
    "neg": (lambda a: -a, [((3, 4), "any")]),
    # matmul
    "matmul": (lambda a, b: a @ b, [((3, 4), "any"), ((4, 2), "any")]),
    "matmul_vec_mat": (lambda a, b: a @ b, [((4,), "any"), ((4, 2), "any")]),
    "matmul_mat_vec": (lambda a, b: a @ b, [((3, 4), "any"), ((4,), "any")]),
    "matmul_vec_vec": (lambda a, b: a @ b, [((4,), "any"), ((4,), "any")]),
    "matmul_batched": (lambda a, b: a @ b, [((2, 3, 4), "any"), ((2, 4, 5), "any")]),
    "matmul_batch_bcast": (lambda a, b: a @ b, [((2, 3, 4), "any"), ((4, 5), "any")]),
    "matmul_transpose": (lambda a, b: a @ b.T, [((3, 4), "any"), ((2, 4), "any")]),
    # reductions and shapes
    "sum_all": (lambda a: a.sum(), [((3, 4), "any")]),
    "sum_dim0": (lambda a: a.sum(dim=0), [((3, 4), "any")]),
    "sum_dim1_keepdim": (lambda a: a.sum(dim=1, keepdim=True), [((3, 4), "any")]),
    "sum_dims": (lambda a: a.sum(dim=(0, 2)), [((2, 3, 4), "any")]),
    "mean_all": (lambda a: a.mean(), [((3, 4), "any")]),
    "mean_dim": (lambda a: a.mean(dim=-1), [((2, 3, 4), "any")]),
    "mean_dims_keepdim": (lambda a: a.mean(dim=(0, 1), keepdim=True), [((2, 3, 4), "any")]),
    "reshape": (lambda a: a.reshape(4, 3) * a.reshape(4, 3), [((3, 4), "any")]),
    "reshape_infer": (lambda a: a.reshape(-1), [((2, 3, 2), "any")]),
    # elementwise functions
    "exp": (lambda a: a.exp(), [((3, 4), "any")]),
    "log": (lambda a: a.log(), [((3, 4), "pos")]),
    "tanh": (lambda a: a.tanh(), [((3, 4), "any")]),
    "relu": (lambda a: a.relu(), [((3, 4), "nonzero")]),
    "sigmoid": (lambda a: a.sigmoid(), [((3, 4), "any")]),
    "sigmoid_large": (lambda a: (a * 30.0).sigmoid(), [((3, 4), "any")]),
    "log_softmax": (lambda a: a.log_softmax(dim=-1), [((3, 5), "any")]),
    "log_softmax_dim0": (lambda a: a.log_softmax(dim=0), [((3, 5), "any")]),
    "log_softmax_large": (lambda a: (a * 100.0).log_softmax(dim=1), [((3, 5), "any")]),
    # small compositions: a layer, a loss
    "mlp_layer": (lambda x, w, b: (x @ w.T + b).tanh(), [((5, 3), "any"), ((4, 3), "any"), ((4,), "any")]),
    "mse": (lambda y, t: ((y - t) ** 2).mean(), [((6, 1), "any"), ((6, 1), "any")]),
    "reuse": (lambda a, b: (a * b + a.exp() * b).sum(dim=0) / (a ** 2 + 1.0).sum(dim=0), [((3, 4), "any"), ((4,), "any")]),
}


def draw(rng, shape, domain):
    x = rng.normal(size=shape)
    if domain == "pos":
        return np.abs(x) + 0.3
    if domain == "nonzero":
        return np.where(x >= 0, 1.0, -1.0) * (np.abs(x) + 0.2)
    return x


def inputs(name):
    """The inputs of case ``name`` (the same numbers every run)."""
    rng = np.random.default_rng([SEED, sorted(CASES).index(name)])
    return [np.asarray(draw(rng, shape, domain), dtype=np.float64) for shape, domain in CASES[name][1]]


def upstream(name, shape):
    rng = np.random.default_rng([SEED, sorted(CASES).index(name), 1])
    return np.asarray(rng.normal(size=shape), dtype=np.float64)


def main():
    import torch

    assert torch.__version__.startswith("2.13"), torch.__version__
    arrays = {"torch_version": np.array(torch.__version__)}
    for name, (fn, _) in CASES.items():
        xs = [torch.tensor(x, requires_grad=True) for x in inputs(name)]
        out = fn(*xs)
        w = upstream(name, tuple(out.shape))
        (out * torch.from_numpy(w)).sum().backward()
        for k, (x, t) in enumerate(zip(inputs(name), xs)):
            arrays[f"{name}/x{k}"] = x
            arrays[f"{name}/g{k}"] = t.grad.numpy()
        arrays[f"{name}/w"] = w
        arrays[f"{name}/out"] = out.detach().numpy()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT}: {len(CASES)} cases ({OUT.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
