"""course.Tensor against torch: outputs and gradients of every case in tests/golden/make_autograd_golden.py.

The golden file holds, per case, the inputs, torch's output and torch's gradients for
a random upstream gradient ``w``.  Both sides compute in float64; they must agree to
1e-12 relative to each array's largest entry (different but equally exact summation
orders differ in the last bits).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from course import Parameter
from course.backend import to_numpy

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("make_autograd_golden", HERE / "golden" / "make_autograd_golden.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

RTOL = 1e-12


@pytest.fixture(scope="module")
def data():
    with np.load(HERE / "golden" / "data" / "autograd.npz") as f:
        return dict(f)


def close(actual, expected, what):
    actual = np.asarray(to_numpy(actual), dtype=np.float64)
    scale = float(np.max(np.abs(expected))) if np.size(expected) else 0.0
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=RTOL * scale, err_msg=what)


def test_every_case_is_in_the_golden_file(data):
    assert {k.split("/")[0] for k in data if "/" in k} == set(gen.CASES)
    for name in gen.CASES:  # the inputs are drawn the same way now as when the file was written
        for k, x in enumerate(gen.inputs(name)):
            np.testing.assert_array_equal(x, data[f"{name}/x{k}"])


@pytest.mark.parametrize("name", sorted(gen.CASES))
def test_matches_torch(name, data, xp):
    fn, specs = gen.CASES[name]
    params = [Parameter(xp.asarray(data[f"{name}/x{k}"])) for k in range(len(specs))]
    out = fn(*params)
    close(out.data, data[f"{name}/out"], f"{name}: output")
    (out * xp.asarray(data[f"{name}/w"])).sum().backward()
    for k, p in enumerate(params):
        assert p.grad is not None and p.grad.dtype == xp.float64
        close(p.grad, data[f"{name}/g{k}"], f"{name}: gradient of input {k}")


@pytest.mark.parametrize("name", ["matmul", "log_softmax", "sigmoid", "mlp_layer"])
def test_matches_torch_live(name):
    """The same comparison with torch itself, where it is installed (system python3)."""
    torch = pytest.importorskip("torch")
    fn, _ = gen.CASES[name]
    xs = gen.inputs(name)
    ts = [torch.tensor(x, requires_grad=True) for x in xs]
    ps = [Parameter(x.copy()) for x in xs]
    out_t, out_c = fn(*ts), fn(*ps)
    w = gen.upstream(name, tuple(out_t.shape))
    (out_t * torch.from_numpy(w)).sum().backward()
    (out_c * w).sum().backward()
    close(out_c.data, out_t.detach().numpy(), name)
    for t, p in zip(ts, ps):
        close(p.grad, t.grad.numpy(), name)
