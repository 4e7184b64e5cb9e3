"""course.nn.utils: clip_grad_norm_, clip_grad_value_ and get_total_norm, as torch.nn.utils.

Golden data from tests/golden/make_clip_grad_golden.py (torch 2.13); live comparisons with
torch when it is importable.  Tolerances: torch sums the squares in another order than
NumPy's pairwise sum, a few ulps in float64 (1e-12 relative is a thousand times that);
float32 gets 1e-6 (about 8 ulps).
"""
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import course
from course.nn.utils import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm

sys.path.insert(0, str(Path(__file__).parent / "golden"))
from make_clip_grad_golden import CASES, OUT, draw  # noqa: E402

TOL = {"float64": 1e-12, "float32": 1e-6}


def _params(grads):
    params = [course.Parameter(np.zeros(g.shape, dtype=g.dtype)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.copy()
    return params


@pytest.mark.parametrize("name", list(CASES))
def test_clipping_matches_torch_golden(name):
    data = np.load(OUT)
    dtype, _, max_norm, norm_type, clip_value = CASES[name]
    params = _params(draw(name))
    total = clip_grad_norm_(params, max_norm, norm_type=norm_type)
    assert total.dtype == np.dtype(dtype) and total.shape == ()
    np.testing.assert_allclose(total.data, data[f"{name}/total"], rtol=TOL[dtype], atol=0)
    for i, p in enumerate(params):
        assert p.grad.dtype == np.dtype(dtype)
        np.testing.assert_allclose(p.grad, data[f"{name}/norm_{i}"], rtol=TOL[dtype], atol=0)
    params = _params(draw(name))
    clip_grad_value_(params, clip_value)
    for i, p in enumerate(params):
        np.testing.assert_array_equal(p.grad, data[f"{name}/value_{i}"])  # a clamp: exact


def test_the_norm_is_the_norm_of_all_grads_as_one_vector():
    a, b = np.array([3.0, 0.0]), np.array([[0.0], [4.0]])
    params = _params([a, b])
    total = clip_grad_norm_(params, max_norm=1.0)
    assert float(total) == 5.0
    np.testing.assert_allclose(np.concatenate([p.grad.ravel() for p in params]), [0.6, 0, 0, 0.8], rtol=1e-6)
    assert float(get_total_norm([a, b], norm_type="inf")) == 4.0
    assert float(get_total_norm([a, b], norm_type=1)) == 7.0
    assert float(get_total_norm([a, b], norm_type=0)) == 2.0  # entries that are not zero


def test_small_grads_are_left_alone_up_to_torch_epsilon():
    params = _params([np.array([0.3, 0.4])])
    clip_grad_norm_(params, max_norm=1.0)
    # torch multiplies by min(1, max_norm / (norm + 1e-6)) = 1: unchanged
    np.testing.assert_array_equal(params[0].grad, [0.3, 0.4])


def test_parameters_without_grad_are_skipped_and_a_single_parameter_works():
    p, q = course.Parameter(np.zeros(2)), course.Parameter(np.zeros(2))
    p.grad = np.array([6.0, 8.0])
    assert float(clip_grad_norm_([p, q], 5.0)) == 10.0 and q.grad is None
    assert float(clip_grad_norm_(p, 100.0)) == pytest.approx(5.0)
    clip_grad_value_(p, 1.0)
    assert np.array_equal(p.grad, np.minimum(p.grad, 1.0))


def test_no_grads_give_a_zero_norm_and_an_empty_generator_warns():
    assert float(clip_grad_norm_([course.Parameter(np.zeros(2))], 1.0)) == 0.0
    with pytest.warns(UserWarning, match="empty generator"):
        clip_grad_norm_((p for p in []), 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clip_grad_norm_([], 1.0)  # a list is not a generator: no warning, as torch


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_error_if_nonfinite(bad):
    params = _params([np.array([1.0, bad])])
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(params[0].grad, [1.0, bad])  # unchanged: the error comes first
    total = clip_grad_norm_(params, 1.0)  # without the flag: scaled by the non-finite norm, as torch
    assert not np.isfinite(float(total))


def test_float32_stays_float32():
    params = _params([np.ones(4, np.float32) * 3])
    total = clip_grad_norm_(params, 1.0)
    assert total.dtype == np.float32 and params[0].grad.dtype == np.float32
    clip_grad_value_(params, 0.1)
    assert params[0].grad.dtype == np.float32


def test_runs_on_array_api_strict_arrays():
    xs = pytest.importorskip("array_api_strict")
    p = course.Parameter(xs.asarray([0.0, 0.0]))
    p.grad = xs.asarray([3.0, 4.0])
    total = clip_grad_norm_([p], 1.0)
    assert float(total) == 5.0
    np.testing.assert_allclose(np.asarray(p.grad), [0.6, 0.8], rtol=1e-6)  # 1/(5 + 1e-6), as torch
    clip_grad_value_([p], 0.7)
    np.testing.assert_allclose(np.asarray(p.grad), [0.6, 0.7], rtol=1e-6)
    clip_grads_with_norm_([p], 0.5, get_total_norm([p.grad]))
    assert float(get_total_norm([p.grad])) <= 0.5 + 1e-6


FLOATS = st.floats(-1e3, 1e3, allow_nan=False) | st.sampled_from([np.inf, -np.inf, np.nan, 0.0, 1e-300, 1e300])


@settings(derandomize=True, deadline=None, max_examples=150)
@given(shapes=st.lists(st.lists(st.integers(1, 4), min_size=0, max_size=2).map(tuple), min_size=1, max_size=4),
       values=st.lists(FLOATS, min_size=64, max_size=64), max_norm=st.floats(0, 10),
       norm_type=st.sampled_from([2.0, 1.0, 3.0, 0.5, math.inf, -math.inf, 0.0]),
       dtype=st.sampled_from(["float64", "float32"]), clip_value=st.floats(0, 5))
def test_against_torch_on_random_grads(shapes, values, max_norm, norm_type, dtype, clip_value):
    torch = pytest.importorskip("torch")
    it = iter(values * 8)
    grads = [np.array([next(it) for _ in range(int(np.prod(s)))], dtype=dtype).reshape(s) for s in shapes]
    params = _params(grads)
    tparams = [torch.nn.Parameter(torch.zeros(g.shape, dtype=getattr(torch, dtype))) for g in grads]
    for p, g in zip(tparams, grads):
        p.grad = torch.from_numpy(g.copy())
    with np.errstate(all="ignore"):
        total = clip_grad_norm_(params, max_norm, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(tparams, max_norm, norm_type=norm_type)
    tol = 10 * TOL[dtype] if norm_type not in (1.0, 2.0, math.inf, -math.inf, 0.0) else TOL[dtype]
    np.testing.assert_allclose(total.data, ttotal.numpy(), rtol=tol, atol=0, equal_nan=True)
    for p, tp in zip(params, tparams):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=tol, atol=0, equal_nan=True)
    for p, tp, g in zip(params, tparams, grads):  # value clipping on the same grads: a clamp, exact
        p.grad, tp.grad = g.copy(), torch.from_numpy(g.copy())
    clip_grad_value_(params, clip_value)
    torch.nn.utils.clip_grad_value_(tparams, clip_value)
    for p, tp in zip(params, tparams):
        np.testing.assert_array_equal(p.grad, tp.grad.numpy())
