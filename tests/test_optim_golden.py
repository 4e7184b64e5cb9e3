"""course.optim against torch 2.13: trajectories from tests/golden/make_optim_golden.py.

Every flag combination, two parameter groups, grads that are sometimes None, 110 steps,
on every backend (the ``xp`` fixture): float64 within 1e-9 and float32 within a bound
per optimizer (``optim_helpers.GOLDEN_TOL_F32``, ~20x what was measured), relative to each
parameter's size at each step; a NaN or inf where torch has none fails.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

import course
from course import optim
import optim_helpers as H

relative_error, load = H.relative_error, H.load_golden


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(H.CONFIGS))
def test_trajectories_match_torch(golden, xp, name, dtype):
    data, configs = load(golden, name)
    assert configs == H.CONFIGS[name], "golden data is stale: rerun tests/golden/make_optim_golden.py"
    shapes = [s for g in H.SHAPES for s in g]
    for i, kwargs in enumerate(configs):
        got = H.run_course(name, kwargs, np.dtype(dtype), xp)
        ref = data[f"{i}_{dtype}"]
        assert got.dtype == ref.dtype == np.dtype(dtype)
        assert np.all(np.isfinite(ref))
        assert np.all(np.isfinite(got)), f"{name}({kwargs}) {dtype}: NaN or inf in the trajectory"
        err = relative_error(got, ref, shapes)
        assert err <= H.golden_tol(name, dtype), f"{name}({kwargs}) {dtype}: relative error {err:.3g}"


def test_golden_trajectories_really_move(golden):
    """Guard against a vacuous comparison: every trajectory changes the parameters a lot."""
    for name in H.CONFIGS:
        data, configs = load(golden, name)
        start = np.concatenate([a.reshape(-1) for a in H.initial(np.float64)])
        for i in range(len(configs)):
            assert np.max(np.abs(data[f"{i}_float64"][-1] - start)) > 1e-2, (name, i)


def run_lbfgs(kwargs, dtype, xp):
    params = [course.Parameter(xp.asarray(a)) for a in H.lbfgs_initial(dtype)]
    opt = optim.LBFGS(params, **kwargs)

    def closure():
        opt.zero_grad()
        loss = H.lbfgs_loss(params, np.dtype(dtype).name)
        loss.backward()
        return loss

    out, losses = [], []
    for _ in range(H.LBFGS_STEPS):
        losses.append(float(opt.step(closure)))
        out.append(np.concatenate([course.backend.to_numpy(p.data) for p in params]))
    state = opt.state[params[0]]
    return np.array(out), np.array(losses), [state["func_evals"], state["n_iter"]]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lbfgs_matches_torch(golden, xp, dtype):
    data = np.load(golden / "optim_LBFGS.npz")
    configs = json.loads(str(data["configs"]))
    assert configs == H.LBFGS_CONFIGS
    for i, kwargs in enumerate(configs):
        traj, losses, counts = run_lbfgs(kwargs, np.dtype(dtype), xp)
        ref = data[f"{i}_{dtype}"]
        assert traj.dtype == ref.dtype
        if dtype == "float64":
            np.testing.assert_allclose(traj, ref, rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(losses, data[f"{i}_{dtype}_loss"], rtol=1e-9, atol=1e-12)
            assert counts == list(data[f"{i}_{dtype}_counts"])
        else:
            np.testing.assert_allclose(traj, ref, rtol=2e-4, atol=2e-4)


def test_relative_error_counts_nan_and_inf_as_failures():
    """``max(0.0, nan)`` is 0.0: an all-NaN trajectory once scored 0 and passed."""
    shapes = [(2, 3), (4,)]
    ref = np.arange(1.0, 31.0).reshape(3, 10)
    assert relative_error(ref.copy(), ref, shapes) == 0.0
    for bad in (np.nan, np.inf, -np.inf):
        got = ref.copy()
        got[1, 7] = bad  # in the second parameter: the first one's error is 0
        assert relative_error(got, ref, shapes) == np.inf, bad
    assert relative_error(np.full_like(ref, np.nan), ref, shapes) == np.inf
