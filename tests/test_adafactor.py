"""Adafactor against torch 2.13's torch.optim.Adafactor: golden trajectories always, live where
torch is importable.  Measured over 120 steps and 5 configs: float64 within 6e-16 relative
(bound 1e-9), float32 within 2.4e-7 (bound 3e-6: torch computes the row and column means as a
norm squared, and its float32 reductions sum in another order, a few ulps per step)."""
import copy
import inspect
import sys
from pathlib import Path

import numpy as np
import pytest

import course
from course import optim
from course.optim.adafactor import factored_shapes

sys.path.insert(0, str(Path(__file__).parent / "golden"))
from make_adafactor_golden import CONFIGS, SHAPES, draws, groups  # noqa: E402

TOL = {"float64": 1e-9, "float32": 3e-6}


def _course_run(config, dtype, seed, steps=None):
    starts, grads = draws(dtype, seed)
    params = [course.Parameter(w.copy()) for w in starts]
    opt = optim.Adafactor(groups(params, config), **config)
    traj = []
    for g in grads[:steps]:
        for p, gi in zip(params, g):
            p.grad = None if gi is None else gi.copy()
        opt.step()
        traj.append([p.data.copy() for p in params])
    return traj, opt, params


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_matches_torch_golden(golden, name, dtype):
    data = np.load(golden / "adafactor.npz")
    traj, _, _ = _course_run(CONFIGS[name], np.dtype(dtype).type, seed=len(name))
    for i in range(len(traj[0])):
        ours = np.stack([t[i] for t in traj[9::10]])
        ref = data[f"{name}/{dtype}/traj{i}"]
        assert ours.dtype == np.dtype(dtype) and np.all(np.isfinite(ref))
        np.testing.assert_allclose(ours, ref, rtol=TOL[dtype], atol=TOL[dtype] * np.max(np.abs(ref)))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_matches_torch_live(name, dtype):
    torch = pytest.importorskip("torch")
    from make_adafactor_golden import run

    dt = np.dtype(dtype).type
    traj_t = run(CONFIGS[name], dt, seed=99)[2]
    traj, opt, params = _course_run(CONFIGS[name], dt, seed=99)
    for a, b in zip(traj, traj_t):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=TOL[dtype], atol=TOL[dtype] * max(1.0, float(np.max(np.abs(y)))))
    assert torch.__version__


def test_signature_defaults_and_group_keys_are_torchs():
    torch = pytest.importorskip("torch")
    theirs = inspect.signature(torch.optim.Adafactor.__init__).parameters
    ours = inspect.signature(optim.Adafactor.__init__).parameters
    assert list(ours) == list(theirs)
    for k in ours:
        assert ours[k].default == theirs[k].default and ours[k].kind == theirs[k].kind, k
    t = torch.optim.Adafactor([torch.nn.Parameter(torch.ones(2, 2))])
    c = optim.Adafactor([course.Parameter(np.ones((2, 2)))])
    assert c.state_dict()["param_groups"] == t.state_dict()["param_groups"]


BAD = [dict(lr=-1.0), dict(beta2_decay=0.1), dict(eps=(-1.0, 1e-3)), dict(eps=(None, -1.0)), dict(d=0.5),
       dict(weight_decay=-0.1)]


@pytest.mark.parametrize("kwargs", BAD, ids=str)
def test_bad_arguments_raise_torchs_error(kwargs):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as theirs:
        torch.optim.Adafactor([torch.nn.Parameter(torch.ones(2))], **kwargs)
    with pytest.raises(ValueError) as ours:
        optim.Adafactor([course.Parameter(np.ones(2))], **kwargs)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("kwargs,error", [(dict(lr=None), TypeError), (dict(eps=1e-3), TypeError),
                                          (dict(eps=(None,)), IndexError), (dict(eps=("a", 1e-3)), TypeError),
                                          (dict(d="big"), TypeError)], ids=str)
def test_bad_types_are_refused_at_construction(kwargs, error):
    with pytest.raises(error, match=next(iter(kwargs))):
        optim.Adafactor([course.Parameter(np.ones(2))], **kwargs)


def test_edited_group_is_refused_before_anything_moves():
    _, opt, params = _course_run(CONFIGS["decay"], np.float64, seed=1, steps=3)
    before = copy.deepcopy((opt.state_dict(), [p.data for p in params]))
    for p in params:
        p.grad = np.ones_like(p.data)
    for key, bad in [("d", 0.5), ("eps", (None, None)), ("beta2_decay", "x"), ("lr", None)]:
        good = opt.param_groups[1][key]
        opt.param_groups[1][key] = bad
        with pytest.raises((TypeError, ValueError), match="param group 1"):
            opt.step()
        opt.param_groups[1][key] = good
        after = (opt.state_dict(), [p.data for p in params])
        np.testing.assert_equal(after[1], before[1])
        assert after[0]["state"].keys() == before[0]["state"].keys()
        for i in after[0]["state"]:
            np.testing.assert_equal(after[0]["state"][i], before[0]["state"][i])


def test_complex_parameter_is_refused_before_anything_moves():
    a, z = course.Parameter(np.ones(3)), course.Parameter(np.ones(2, dtype=complex))
    opt = optim.Adafactor([a, z])
    a.grad, z.grad = np.ones(3), np.ones(2, dtype=complex)
    with pytest.raises(RuntimeError, match="complex"):
        opt.step()
    np.testing.assert_equal(a.data, np.ones(3))
    assert not opt.state


def test_state_is_factored_and_small():
    w, b = course.Parameter(np.ones((300, 200))), course.Parameter(np.ones(200))
    opt = optim.Adafactor([w, b])
    w.grad, b.grad = np.ones((300, 200)), np.ones(200)
    opt.step()
    assert set(opt.state[w]) == {"step", "row_var", "col_var"} and set(opt.state[b]) == {"step", "variance"}
    assert opt.state[w]["row_var"].shape == (300, 1) and opt.state[w]["col_var"].shape == (1, 200)
    floats = sum(v.size for s in opt.state.values() for v in s.values() if hasattr(v, "size"))
    assert floats == 300 + 200 + 200  # Adam would keep 2 * (300 * 200 + 200)
    assert factored_shapes((4, 5, 6)) == ((4, 5, 1), (4, 1, 6))


def test_resume_is_bit_exact():
    config = CONFIGS["clip_eps"]
    full, _, _ = _course_run(config, np.float32, seed=5)
    half, opt, params = _course_run(config, np.float32, seed=5, steps=60)
    saved = opt.state_dict()
    starts, grads = draws(np.float32, 5)
    fresh = [course.Parameter(p.data.copy()) for p in params]
    again = optim.Adafactor(groups(fresh, config), **config)
    again.load_state_dict(saved)
    for t, g in enumerate(grads[60:], 60):
        for p, gi in zip(fresh, g):
            p.grad = None if gi is None else gi.copy()
        again.step()
        for p, ref in zip(fresh, full[t]):
            np.testing.assert_array_equal(p.data, ref)


def test_load_refuses_wrong_state_and_keeps_the_old():
    _, opt, params = _course_run(CONFIGS["default"], np.float64, seed=2, steps=4)
    good = opt.state_dict()
    for corrupt in (lambda s: s["state"][0].pop("row_var"),
                    lambda s: s["state"][0].__setitem__("col_var", np.zeros((6, 4))),
                    lambda s: s["state"][2].pop("variance"),
                    lambda s: s["state"][1].__setitem__("row_var", "zeros")):
        bad = copy.deepcopy(good)
        corrupt(bad)
        with pytest.raises((ValueError, TypeError), match="loaded state"):
            opt.load_state_dict(bad)
        now = opt.state_dict()
        for i in good["state"]:
            np.testing.assert_equal(now["state"][i], good["state"][i])


def test_loads_a_torch_checkpoint():
    torch = pytest.importorskip("torch")
    starts, grads = draws(np.float64, 7)
    tp = [torch.nn.Parameter(torch.tensor(w.copy())) for w in starts]
    topt = torch.optim.Adafactor(groups(tp, {}))
    for g in grads[:5]:
        for p, gi in zip(tp, g):
            p.grad = None if gi is None else torch.tensor(gi.copy())
        topt.step()
    sd = topt.state_dict()
    saved = {"param_groups": sd["param_groups"],
             "state": {k: {n: (float(v) if n == "step" else v.numpy()) for n, v in s.items()} for k, s in sd["state"].items()}}
    cp = [course.Parameter(p.detach().numpy().copy()) for p in tp]
    copt = optim.Adafactor(groups(cp, {}))
    copt.load_state_dict(saved)
    for g in grads[5:15]:
        for p, q, gi in zip(tp, cp, g):
            p.grad = None if gi is None else torch.tensor(gi.copy())
            q.grad = None if gi is None else gi.copy()
        topt.step()
        copt.step()
    for p, q in zip(tp, cp):
        np.testing.assert_allclose(q.data, p.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_array_api_strict_equals_numpy():
    xps = pytest.importorskip("array_api_strict")
    starts, grads = draws(np.float64, seed=3)
    a = [course.Parameter(w.copy()) for w in starts]
    b = [course.Parameter(xps.asarray(w.copy())) for w in starts]
    oa, ob = optim.Adafactor(groups(a, {}), weight_decay=0.1), optim.Adafactor(groups(b, {}), weight_decay=0.1)
    for g in grads[:20]:
        for p, q, gi in zip(a, b, g):
            p.grad = None if gi is None else gi.copy()
            q.grad = None if gi is None else xps.asarray(gi.copy())
        oa.step()
        ob.step()
    for p, q in zip(a, b):
        np.testing.assert_allclose(np.asarray(q.data), p.data, rtol=1e-12)


@pytest.mark.parametrize("d", [1.0, 2.0])
def test_the_update_is_clipped_to_rms_d(d):
    w = course.Parameter(np.full(8, 2.0))
    opt = optim.Adafactor([w], lr=0.1, d=d)
    w.grad = np.full(8, 1e-3)
    opt.step()
    before = w.data.copy()
    w.grad = np.ones(8)  # a sudden large grad: v = 0.426 * 1e-6 + 0.574 * 1, so U = 1/sqrt(0.574) = 1.32
    opt.step()
    alpha = float(np.sqrt(np.mean(before**2))) * 0.1  # RMS(w) * min(lr, 1/sqrt(t))
    u = 1 / np.sqrt(2.0**-0.8 + (1 - 2.0**-0.8) * 1e-6)
    rms = float(np.sqrt(np.mean((before - w.data) ** 2)))
    assert u > 1.3 and rms == pytest.approx(alpha * min(u, d), rel=1e-12)  # clipped at d = 1, not at d = 2
