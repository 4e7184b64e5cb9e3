"""torch's lerp rounding in the moving averages, and torch's NaN and overflow behaviour.

The literals below come from torch 2.13 (CPU, float64, AVX-512), printed with repr();
the live test recomputes them where torch is installed.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import course
from course import optim
from course.optim._lerp import lerp_

NAN = float("nan")

# (optimizer, kwargs, grads per step, torch's param after the steps, torch's state arrays)
# -- values from torch 2.13
CASES = [
    ("Adam", dict(lr=0.1, betas=(0.0, 0.0)), [[1e20], [1.0]],
     [-0.19999999900000004], {"exp_avg": [1.0], "exp_avg_sq": [1.0]}),
    ("AdamW", dict(lr=0.1, betas=(0.0, 0.0)), [[1e20], [1.0]],
     [-0.19989999900000002], {"exp_avg": [1.0], "exp_avg_sq": [1.0]}),
    ("Adamax", dict(lr=0.1, betas=(0.0, 0.5)), [[1e20], [1.0]], [-0.1], {"exp_avg": [1.0], "exp_inf": [5e19]}),
    ("NAdam", dict(lr=0.1, betas=(0.0, 0.5)), [[1e20], [1.0]], [-0.1], {"exp_avg": [1.0], "exp_avg_sq": [2.5e39]}),
    ("RAdam", dict(lr=0.1, betas=(0.0, 0.5)), [[1e20], [1.0]], [-1e19], {"exp_avg": [1.0], "exp_avg_sq": [2.5e39]}),
    # the param is left out: square_avg - grad_avg**2 cancels to 0 here, and torch's fused
    # multiply-add keeps 1e40's rounding error (param -2814329.25; -1e26 without FMA)
    ("RMSprop", dict(lr=0.01, alpha=0.0, centered=True), [[1e20], [1.0]], None, {"square_avg": [1.0], "grad_avg": [1.0]}),
    # square_avg overflows to inf: torch's fused square_avg - grad_avg**2 stays inf, the step 0
    ("RMSprop", dict(lr=0.01, centered=True), [[1e300], [1.0]], [0.0],
     {"square_avg": [math.inf], "grad_avg": [9.900000000000009e297]}),
    # sign(nan) is 0 in torch: no step, and the step size is kept
    ("Rprop", dict(lr=0.01), [[1.0, NAN, 2.0], [1.0, 1.0, 2.0], [1.0, 1.0, -1.0]],
     [-0.0364, -0.022, -0.022], {"prev": [1.0, 1.0, 0.0], "step_size": [0.0144, 0.012, 0.006]}),
]
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


def run(framework, name, kwargs, grads):
    if framework == "torch":
        import torch

        p = torch.nn.Parameter(torch.zeros(len(grads[0]), dtype=torch.float64))
        opt = getattr(torch.optim, name)([p], **kwargs)
        for g in grads:
            p.grad = torch.tensor(g, dtype=torch.float64)
            with torch.no_grad():
                opt.step()
        param = p.detach().numpy()
    else:
        p = course.Parameter(np.zeros(len(grads[0])))
        opt = getattr(optim, name)([p], **kwargs)
        with np.errstate(over="ignore", invalid="ignore"):
            for g in grads:
                p.grad = np.array(g)
                opt.step()
        param = p.data
    state = {k: np.asarray(v, dtype=np.float64).tolist() for k, v in opt.state[p].items() if getattr(v, "ndim", 0)}
    return np.asarray(param, dtype=np.float64).tolist(), state


def same(a, b):
    return np.array_equal(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), equal_nan=True)


@pytest.mark.parametrize("name,kwargs,grads,param,state", CASES, ids=IDS)
def test_extreme_values_as_torch(name, kwargs, grads, param, state):
    got_param, got_state = run("course", name, kwargs, grads)
    if param is not None:
        assert same(got_param, param), (got_param, param)
    for k, v in state.items():
        assert same(got_state[k], v), (k, got_state[k], v)


@pytest.mark.parametrize("name,kwargs,grads,param,state", CASES, ids=IDS)
def test_literals_are_torchs(name, kwargs, grads, param, state):
    pytest.importorskip("torch")
    ref_param, ref_state = run("torch", name, kwargs, grads)
    if param is not None:
        assert same(ref_param, param)
    for k, v in state.items():
        assert same(ref_state[k], v), k
    got_param, got_state = run("course", name, kwargs, grads)
    if param is not None:
        assert same(got_param, ref_param)
    for k in state:
        assert same(got_state[k], ref_state[k]), k


# ------------------------------------------------------------------ the helper itself
def definition(a, b, w):
    """torch's two forms, written out (ATen's Lerp.h), in the arrays' dtype."""
    w = a.dtype.type(w)
    return a + w * (b - a) if abs(w) < 0.5 else b - (b - a) * (a.dtype.type(1) - w)


def bits_equal(x, y):
    """Equal, NaN to NaN; a zero's sign aside (lerp_ computes b - t as (-t) + b)."""
    return np.array_equal(x, y, equal_nan=True)


floats = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 1e20, -1e20, 3.4e38, -3.4e38, 1e-30, 1e-45, math.inf, -math.inf]),
)
weights = st.one_of(st.sampled_from([0.0, 0.5, 1.0, 0.1, 0.9, 1 - 0.9, 1 - 0.999, 0.49999999, 0.50000001, -0.7, 1.5]),
                    st.floats(-2.0, 2.0, width=32))


@settings(derandomize=True, max_examples=400, deadline=None)
@given(st.lists(st.tuples(floats, floats), min_size=1, max_size=8), weights, st.sampled_from(["float64", "float32"]))
def test_lerp_helper_is_torchs_definition(pairs, w, dtype):
    a = np.array([p[0] for p in pairs], dtype=dtype)
    b = np.array([p[1] for p in pairs], dtype=dtype)
    with np.errstate(all="ignore"):
        expected = definition(a, b, w)
        got = a.copy()
        assert lerp_(got, b, w) is got  # in place
        assert got.dtype == a.dtype
        assert bits_equal(got, expected), (a, b, w, got, expected)
        per_element = a.copy()  # an array weight: the branch per element
        lerp_(per_element, b, np.full(a.shape, w, dtype=dtype))
        assert bits_equal(per_element, expected)
        finite = np.isfinite(b - a)
    if w == 0.0:  # exact at the ends (where b - a does not overflow)
        assert bits_equal(got[finite], a[finite])
    if w == 1.0:
        assert bits_equal(got[finite], b[finite])


def test_lerp_helper_on_array_api_strict_and_chunks():
    xs = pytest.importorskip("array_api_strict")
    a, b = np.array([1e20, 2.0, -3.0, 0.0]), np.array([1.0, 4.0, 5.0, 1e-300])
    for w in (0.0, 0.25, 0.5, 1.0):
        got = xs.asarray(a.copy())
        lerp_(got, xs.asarray(b), w)
        with np.errstate(all="ignore"):
            assert bits_equal(np.asarray(got), definition(a, b, w))
        chunked = a.copy()  # views of one array, as the optimizers' chunked path passes them
        for s in (slice(0, 1), slice(1, 3), slice(3, 4)):
            lerp_(chunked[s], b[s], w)
        assert bits_equal(chunked, np.asarray(got))


def test_lerp_helper_rounds_a_float32_weight_first():
    """torch converts the weight to float32 before choosing the form."""
    a, b = np.array([1.0], dtype=np.float32), np.array([3.0], dtype=np.float32)
    w = 0.49999999  # < 0.5, but np.float32(w) == 0.5: the second form
    got = lerp_(a.copy(), b, w)
    assert np.float32(w) == 0.5 and got.dtype == np.float32 and got[0] == 2.0


def test_lerp_bit_for_bit_with_torchs_portable_kernel(tmp_path):
    """With ATEN_CPU_CAPABILITY=default (no fused multiply-add) torch computes the two forms exactly."""
    pytest.importorskip("torch")
    import subprocess
    import sys

    rng = np.random.default_rng(0)
    n = 10_001
    for dtype in ("float64", "float32"):
        a = (rng.standard_normal(n) * 10.0 ** rng.integers(-20, 20, n)).astype(dtype)
        b = (rng.standard_normal(n) * 10.0 ** rng.integers(-20, 20, n)).astype(dtype)
        np.save(tmp_path / "a.npy", a)
        np.save(tmp_path / "b.npy", b)
        for w in (0.0, 0.1, 1 - 0.9, 1 - 0.999, 0.5, 0.9, 1.0):
            code = ("import numpy as np, torch, sys; d = sys.argv[1]; "
                    "a = torch.from_numpy(np.load(d + '/a.npy')); b = torch.from_numpy(np.load(d + '/b.npy')); "
                    f"np.save(d + '/t.npy', a.lerp_(b, {w!r}).numpy())")
            subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True,
                           env={**__import__("os").environ, "ATEN_CPU_CAPABILITY": "default"})
            with np.errstate(all="ignore"):
                assert np.array_equal(lerp_(a.copy(), b, w), np.load(tmp_path / "t.npy")), (dtype, w)
