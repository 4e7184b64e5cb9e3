"""Schedule-free AdamW and SGD against the schedulefree package (1.4.1, on torch): golden
trajectories always (every backend), live where the package is importable.

The protocol (tests/golden/make_schedule_free_golden.py): 120 steps with warmup, two groups, a
parameter whose state is made late, eval()/train() round trips after steps 40, 80 and 120, the
parameters compared in both modes, the final states and group counters too.  Measured error,
max |course - schedulefree| / max |schedulefree| per array: float64 6.7e-15, float32 2.9e-6
(SGD's momentum=0.5 group, in eval mode: x = 2y - z doubles y's error).  The differences are
torch's last bits: its vectorized kernels fuse multiply-adds, and its sqrt is not correctly
rounded here (1 ulp off NumPy's and Python's on ~1.4% of float64 inputs).  With torch's portable
kernels (ATEN_CPU_CAPABILITY=default) SGD agrees bit for bit.  Bounds: about 10x the measured
ones in float32; 1e-9 in float64.
"""
import copy
import sys
from pathlib import Path

import numpy as np
import pytest

import course
from course import backend, optim

sys.path.insert(0, str(Path(__file__).parent / "golden"))
from make_schedule_free_golden import CONFIGS, COUNTERS, LATE, draws, run  # noqa: E402

TOL = {"float64": 1e-9, "float32": 3e-5}
CLASSES = ["AdamWScheduleFree", "SGDScheduleFree"]


def _close(ours, ref, dtype, what):
    assert ours.dtype == ref.dtype, what
    np.testing.assert_allclose(ours, ref, rtol=TOL[dtype], atol=TOL[dtype] * np.max(np.abs(ref)), err_msg=what)


def _compare(ours, ref, dtype):
    assert set(ours) == set(ref)
    for key in ref:
        if key.startswith("group"):  # k, weight_sum, lr_max, scheduled_lr: Python numbers
            np.testing.assert_allclose(ours[key], ref[key], rtol=1e-12, err_msg=key)
        else:
            assert ours[key].dtype == np.dtype(dtype), key  # dtype kept
            _close(ours[key], ref[key], dtype, key)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_matches_schedulefree_golden(golden, xp, name, dtype):
    data = np.load(golden / "schedule_free.npz")
    prefix = f"{name}/{dtype}/"
    ref = {k[len(prefix):]: data[k] for k in data.files if k.startswith(prefix)}
    ours = run("course", name, np.dtype(dtype).type, seed=len(name), xp=None if xp.__name__.endswith(".numpy") else xp)
    _compare(ours, ref, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_matches_schedulefree_live(name, dtype):
    pytest.importorskip("torch")
    schedulefree = pytest.importorskip("schedulefree")
    ref = run("schedulefree", name, np.dtype(dtype).type, seed=99)
    _compare(run("course", name, np.dtype(dtype).type, seed=99), ref, dtype)
    assert schedulefree.AdamWScheduleFree  # the reference was really used


# ------------------------------------------------------------------ helpers
def _setup(cls, seed=3, **kw):
    starts, noises = draws(np.float64, seed)
    params = [course.Parameter(w.copy()) for w in starts]
    opt = getattr(optim, cls)([{"params": params[:2], **kw}, {"params": params[2:]}])
    return params, opt, noises


def _steps(params, opt, noises, ts):
    for t in ts:
        for i, (p, noise) in enumerate(zip(params, noises[t - 1])):
            p.grad = None if i == 2 and t < LATE else noise + 0.5 * p.data
        opt.step()


def _snapshot(params, opt):
    return ([p.data.copy() for p in params], copy.deepcopy(opt.state_dict()))


def _same(a, b):
    (pa, sa), (pb, sb) = a, b
    for x, y in zip(pa, pb):
        np.testing.assert_array_equal(x, y)
    assert sa["param_groups"] == sb["param_groups"]
    assert sa["state"].keys() == sb["state"].keys()
    for k in sa["state"]:
        assert sa["state"][k].keys() == sb["state"][k].keys()
        for key in sa["state"][k]:
            np.testing.assert_array_equal(sa["state"][k][key], sb["state"][k][key])


# ------------------------------------------------------------------ train / eval
@pytest.mark.parametrize("cls", CLASSES)
def test_step_in_eval_mode_raises_and_changes_nothing(cls):
    params, opt, noises = _setup(cls)
    for p in params:
        p.grad = np.ones_like(p.data)
    before = _snapshot(params, opt)
    with pytest.raises(Exception, match="not in train mode") as err:  # a fresh optimizer is in eval mode
        opt.step()
    assert type(err.value) is Exception  # the package raises a plain Exception
    _same(before, _snapshot(params, opt))
    opt.train()
    _steps(params, opt, noises, range(1, 11))
    opt.eval()
    before = _snapshot(params, opt)
    called = []
    with pytest.raises(Exception, match="not in train mode"):
        opt.step(lambda: called.append(1))
    assert not called  # raised before the closure, as the package
    _same(before, _snapshot(params, opt))


@pytest.mark.parametrize("cls", CLASSES)
def test_eval_mode_error_is_the_packages(cls):
    torch = pytest.importorskip("torch")
    schedulefree = pytest.importorskip("schedulefree")
    t_opt = getattr(schedulefree, cls)([torch.nn.Parameter(torch.ones(2))])
    c_opt = getattr(optim, cls)([course.Parameter(np.ones(2))])
    with pytest.raises(Exception) as t_err:
        t_opt.step()
    with pytest.raises(Exception) as c_err:
        c_opt.step()
    assert type(c_err.value) is type(t_err.value) and str(c_err.value) == str(t_err.value)


@pytest.mark.parametrize("cls", CLASSES)
def test_switches_move_between_y_and_x(cls):
    params, opt, noises = _setup(cls)
    opt.train()
    _steps(params, opt, noises, range(1, LATE))  # parameter 2 has no state yet
    y = [p.data.copy() for p in params]
    beta = opt.param_groups[0]["betas"][0] if "betas" in opt.defaults else opt.param_groups[0]["momentum"]
    opt.train()  # already in train mode: nothing moves
    for p, a in zip(params, y):
        np.testing.assert_array_equal(p.data, a)
    opt.eval()
    assert [g["train_mode"] for g in opt.param_groups] == [False, False]
    for i in (0, 1):  # x = (y - (1 - beta) z) / beta
        z = opt.state[params[i]]["z"]
        np.testing.assert_allclose(params[i].data, (y[i] - (1 - beta) * z) / beta, rtol=1e-12, atol=1e-12)
        assert not np.allclose(params[i].data, y[i])
    np.testing.assert_array_equal(params[2].data, y[2])  # no z: stays
    x = [p.data.copy() for p in params]
    opt.eval()  # already in eval mode
    for p, a in zip(params, x):
        np.testing.assert_array_equal(p.data, a)
    opt.train()
    for p, a in zip(params, y):
        np.testing.assert_allclose(p.data, a, rtol=1e-14, atol=1e-15)


def test_grads_are_left_alone():
    for cls in CLASSES:
        p = course.Parameter(np.array([1.0, -2.0]))
        opt = getattr(optim, cls)([p], weight_decay=0.1)
        opt.train()
        g = np.array([0.5, 3.0])
        p.grad = g.copy()
        opt.step()
        np.testing.assert_array_equal(p.grad, g)  # the package overwrites it; course does not


# ------------------------------------------------------------------ state dicts
@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("cls", CLASSES)
def test_resume_is_bit_exact(cls, mode):
    """Saved after step 50 in either mode, loaded into a new optimizer, continued: the same bits
    as the run that never stopped (and took the same switches)."""
    params, opt, noises = _setup(cls, warmup_steps=10)
    opt.train()
    _steps(params, opt, noises, range(1, 51))
    if mode == "eval":
        opt.eval()
        opt.train()
    _steps(params, opt, noises, range(51, 121))
    opt.eval()
    full_x = _snapshot(params, opt)
    opt.train()
    full_y = _snapshot(params, opt)

    params2, opt2, _ = _setup(cls, warmup_steps=10)
    opt2.train()
    _steps(params2, opt2, noises, range(1, 51))
    if mode == "eval":
        opt2.eval()  # the package's advice: save in eval mode
    saved = copy.deepcopy(opt2.state_dict())
    assert saved["param_groups"][0]["train_mode"] is (mode == "train")
    params3 = [course.Parameter(p.data.copy()) for p in params2]
    opt3 = getattr(optim, cls)([{"params": params3[:2], "warmup_steps": 0}, {"params": params3[2:]}])
    opt3.load_state_dict(saved)
    assert opt3.param_groups[0]["train_mode"] is (mode == "train") and opt3.param_groups[0]["k"] == 50
    if mode == "eval":
        opt3.train()
    _steps(params3, opt3, noises, range(51, 121))
    opt3.eval()
    _same(full_x, _snapshot(params3, opt3))
    opt3.train()
    _same(full_y, _snapshot(params3, opt3))


@pytest.mark.parametrize("cls", CLASSES)
def test_loads_the_packages_state_dict(cls):
    torch = pytest.importorskip("torch")
    schedulefree = pytest.importorskip("schedulefree")
    starts, noises = draws(np.float64, 4)
    tp = [torch.nn.Parameter(torch.tensor(w.copy())) for w in starts]
    t_opt = getattr(schedulefree, cls)(tp, lr=0.05, warmup_steps=5)
    t_opt.train()
    for t in range(60):
        for p, n in zip(tp, noises[t]):
            p.grad = torch.tensor(n.copy())
        t_opt.step()
        if t == 29:
            t_opt.eval()
            sd = t_opt.state_dict()
            saved = {"state": {k: {n: v.numpy().copy() for n, v in s.items()} for k, s in sd["state"].items()},
                     "param_groups": copy.deepcopy(sd["param_groups"])}
            cp = [course.Parameter(p.detach().numpy().copy()) for p in tp]
            t_opt.train()
    c_opt = getattr(optim, cls)(cp)
    c_opt.load_state_dict(saved)
    c_opt.train()
    for t in range(30, 60):
        for p, n in zip(cp, noises[t]):
            p.grad = n.copy()
        c_opt.step()
    t_opt.eval()
    c_opt.eval()
    for p, q in zip(cp, tp):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_load_refuses_a_bad_counter_and_changes_nothing():
    params, opt, noises = _setup("AdamWScheduleFree")
    opt.train()
    _steps(params, opt, noises, range(1, 11))
    saved = opt.state_dict()
    before = _snapshot(params, opt)
    for key, value, error in (("k", -3, ValueError), ("k", None, TypeError), ("weight_sum", "x", TypeError),
                              ("betas", (0.9,), ValueError)):
        bad = copy.deepcopy(saved)
        bad["param_groups"][0][key] = value
        with pytest.raises(error, match=key):
            opt.load_state_dict(bad)
        _same(before, _snapshot(params, opt))
    bad = copy.deepcopy(saved)
    del bad["state"][0]["z"]
    with pytest.raises(ValueError, match="'z'"):
        opt.load_state_dict(bad)
    _same(before, _snapshot(params, opt))


# ------------------------------------------------------------------ bad input
BAD_SGD = [dict(lr=-0.1), dict(weight_decay=-1e-3), dict(momentum=0), dict(momentum=1.0), dict(momentum=-0.5),
           dict(lr=-1, momentum=2)]


@pytest.mark.parametrize("kwargs", BAD_SGD)
def test_sgd_refuses_at_construction(kwargs):
    with pytest.raises(ValueError) as err:
        optim.SGDScheduleFree([course.Parameter(np.ones(2))], **kwargs)
    name = next(iter(kwargs))
    assert str(kwargs[name]) in str(err.value) and ("learning rate" if name == "lr" else name.lower()) in str(err.value).lower()


@pytest.mark.parametrize("kwargs", BAD_SGD + [dict(lr=float("nan")), dict(momentum=float("nan")), dict(lr=None)])
def test_construction_errors_are_the_packages(kwargs):
    torch = pytest.importorskip("torch")
    schedulefree = pytest.importorskip("schedulefree")
    for cls in CLASSES:
        kw = {k: v for k, v in kwargs.items() if cls == "SGDScheduleFree" or k != "momentum"}
        try:
            getattr(schedulefree, cls)([torch.nn.Parameter(torch.ones(2))], **kw)
            t_err = None
        except Exception as e:
            t_err = e
        try:
            getattr(optim, cls)([course.Parameter(np.ones(2))], **kw)
            c_err = None
        except Exception as e:
            c_err = e
        assert type(c_err) is type(t_err), (cls, kw, c_err, t_err)
        if isinstance(t_err, ValueError):
            assert str(c_err) == str(t_err)


def test_adamw_accepts_what_the_package_accepts():
    # the package checks nothing at construction; neither does course
    opt = optim.AdamWScheduleFree([course.Parameter(np.ones(2))], lr=-1.0, eps=-1.0, weight_decay=-2.0,
                                  betas=(1.5, 2.0))
    assert opt.param_groups[0]["betas"] == (1.5, 2.0)


@pytest.mark.parametrize("cls", CLASSES)
def test_a_failing_step_changes_nothing(cls):
    params, opt, noises = _setup(cls)
    opt.train()
    _steps(params, opt, noises, range(1, 11))
    for p in params:
        p.grad = np.ones_like(p.data)
    before = _snapshot(params, opt)
    for key, value, error in (("lr", None, TypeError), ("k", "3", TypeError), ("train_mode", np.ones(2), TypeError)):
        opt.param_groups[1][key], old = value, opt.param_groups[1][key]
        with pytest.raises(error):
            opt.step()
        opt.param_groups[1][key] = old
        _same(before, _snapshot(params, opt))
    params[1].grad = np.ones(7)  # wrong shape
    with pytest.raises(ValueError, match="shape"):
        opt.step()
    _same(before, _snapshot(params, opt))
    # 0.0 ** -1 in the weight: the package's ZeroDivisionError, before anything moves
    params[1].grad = np.ones_like(params[1].data)
    opt.param_groups[1].update(lr=0.0, lr_max=0.0, weight_lr_power=-1.0)
    before = _snapshot(params, opt)
    with pytest.raises(ZeroDivisionError):
        opt.step()
    _same(before, _snapshot(params, opt))


def test_complex_parameters_are_refused_at_a_step():
    p = course.Parameter(np.ones(2, dtype=complex))
    opt = optim.SGDScheduleFree([p])
    opt.train()
    p.grad = np.ones(2, dtype=complex)
    with pytest.raises(TypeError, match="real parameters"):
        opt.step()
    assert not opt.state and opt.param_groups[0]["k"] == 0


@pytest.mark.parametrize("cls", CLASSES)
def test_zero_lr_and_group_without_grads_match_the_package(cls):
    """lr = 0: the weight sum stays 0 and the package's ZeroDivisionError gives c = 0; a group
    with no grads still counts its steps."""
    torch = pytest.importorskip("torch")
    schedulefree = pytest.importorskip("schedulefree")
    starts, noises = draws(np.float64, 5)
    tp = [torch.nn.Parameter(torch.tensor(w.copy())) for w in starts]
    cp = [course.Parameter(w.copy()) for w in starts]
    t_opt = getattr(schedulefree, cls)([{"params": tp[:1], "lr": 0.0}, {"params": tp[1:2]}, {"params": tp[2:]}])
    c_opt = getattr(optim, cls)([{"params": cp[:1], "lr": 0.0}, {"params": cp[1:2]}, {"params": cp[2:]}])
    for o in (t_opt, c_opt):
        o.train()
    for t in range(8):
        for i, (p, q, n) in enumerate(zip(tp, cp, noises[t])):
            g = None if i == 1 else n  # group 1 never has a grad
            p.grad = None if g is None else torch.tensor(g.copy())
            q.grad = None if g is None else g.copy()
        t_opt.step()
        c_opt.step()
    for tg, cg in zip(t_opt.param_groups, c_opt.param_groups):
        assert [cg[c] for c in COUNTERS] == [tg[c] for c in COUNTERS]
    for p, q in zip(tp, cp):
        np.testing.assert_allclose(q.data, p.detach().numpy(), rtol=1e-12)


def test_array_api_strict_state_keeps_its_backend():
    xps = pytest.importorskip("array_api_strict")
    p = course.Parameter(xps.asarray(np.ones(3, dtype=np.float32)))
    opt = optim.AdamWScheduleFree([p], lr=0.1)
    opt.train()
    p.grad = xps.asarray(np.array([1.0, -1.0, 0.5], dtype=np.float32))
    opt.step()
    opt.eval()
    assert type(opt.state[p]["z"]) is type(p.data) and p.data.dtype == xps.float32
    assert np.all(backend.to_numpy(p.data) != 1.0)
