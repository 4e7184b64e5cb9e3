"""The Optimizer contract: state dicts, checkpoints, pickling, None grads, bad grads, the fast paths.

Everything runs on every backend of the ``xp`` fixture (numpy, array_api_strict, cupy).
"""
from __future__ import annotations

import copy
import pickle
import threading
import time

import numpy as np
import pytest

import course
from course import optim
from course.optim.fast_path import THREADS, flat_layout
import optim_helpers as H

CASES = {name: configs[-1] for name, configs in H.CONFIGS.items()}
CASES["Lion"] = dict(lr=0.01, weight_decay=0.1)
SHAPES = [(2, 3), (4,), (3,)]


def make(xp, name, seed=0, dtype="float64"):
    rng = np.random.default_rng(seed)
    params = [course.Parameter(xp.asarray(rng.standard_normal(s).astype(dtype))) for s in SHAPES]
    opt = getattr(optim, name)([{"params": params[:2]}, {"params": params[2:], "lr": 0.003, "tag": "head"}], **CASES[name])
    return params, opt


def set_grads(xp, params, t):
    rng = np.random.default_rng(100 + t)
    for k, p in enumerate(params):
        noise = xp.asarray(rng.standard_normal(p.shape).astype(np.dtype(str(p.data.dtype).split(".")[-1])))
        p.grad = None if (t + k) % 5 == 2 else 0.5 * p.data + noise


def numpy_of(params):
    return [np.array(course.backend.to_numpy(p.data)) for p in params]


def snapshot(opt):
    """state_dict() as plain NumPy, for comparing."""
    sd = opt.state_dict()
    return {"groups": sd["param_groups"],
            "state": {k: {n: np.array(course.backend.to_numpy(v)) if hasattr(v, "shape") else v for n, v in s.items()}
                      for k, s in sd["state"].items()}}


def assert_same(a, b):
    assert a["groups"] == b["groups"]
    assert a["state"].keys() == b["state"].keys()
    for k in a["state"]:
        assert a["state"][k].keys() == b["state"][k].keys()
        for n in a["state"][k]:
            assert np.array_equal(a["state"][k][n], b["state"][k][n]), (k, n)


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_layout(xp, name):
    params, opt = make(xp, name)
    set_grads(xp, params, 0)  # params 2 has no grad at t=0
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["tag"] == "head" and sd["param_groups"][1]["lr"] == 0.003
    expected = [0, 1, 2] if name == "Adagrad" else [0, 1]  # Adagrad makes its state at construction
    assert sorted(sd["state"]) == expected
    for k in sd["state"]:
        for n, v in sd["state"][k].items():
            if hasattr(v, "shape"):
                assert tuple(v.shape) == SHAPES[k] and v.dtype == params[k].data.dtype
    # a snapshot: stepping again does not change it
    before = {k: {n: np.array(course.backend.to_numpy(v)) for n, v in s.items() if hasattr(v, "shape")} for k, s in sd["state"].items()}
    set_grads(xp, params, 1)
    opt.step()
    for k, s in before.items():
        for n, v in s.items():
            assert np.array_equal(course.backend.to_numpy(sd["state"][k][n]), v)


@pytest.mark.parametrize("name", list(CASES))
def test_resume_from_pickled_checkpoint_is_bit_identical(xp, name):
    params, opt = make(xp, name)
    for t in range(40):
        set_grads(xp, params, t)
        opt.step()
    blob = pickle.dumps({"params": numpy_of(params), "optimizer": opt.state_dict()})
    for t in range(40, 80):
        set_grads(xp, params, t)
        opt.step()
    # a new process would do this: fresh parameters and optimizer, then load
    saved = pickle.loads(blob)
    params2, opt2 = make(xp, name, seed=99)
    for p, a in zip(params2, saved["params"]):
        p.data[...] = xp.asarray(a)
    opt2.load_state_dict(saved["optimizer"])
    for t in range(40, 80):
        set_grads(xp, params2, t)
        opt2.step()
    for a, b in zip(numpy_of(params), numpy_of(params2)):
        assert np.array_equal(a, b)
    assert_same(snapshot(opt), snapshot(opt2))


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "LBFGS"])
def test_whole_optimizer_pickles_with_a_scheduler_wrapping_step(name):
    from course.optim.lr_scheduler import StepLR

    p = [course.Parameter(np.linspace(-1, 1, 5)), course.Parameter(np.ones(3))]
    opt = getattr(optim, name)(p, lr=0.1)
    sched = StepLR(opt, step_size=2, gamma=0.5)

    def closure():
        opt.zero_grad()
        loss = (p[0] * p[0]).sum() + (p[1] * p[1] * p[1]).sum()
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
        sched.step()
    opt2, sched2 = pickle.loads(pickle.dumps((opt, sched)))
    p2 = opt2.param_groups[0]["params"]
    opt3 = copy.deepcopy(opt)

    def closure2():
        opt2.zero_grad()
        loss = (p2[0] * p2[0]).sum() + (p2[1] * p2[1] * p2[1]).sum()
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
        sched.step()
        opt2.step(closure2)
        sched2.step()
    for a, b in zip(p, p2):
        assert np.array_equal(a.data, b.data)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"] == 0.1 * 0.5**3
    assert opt3.param_groups[0]["params"][0] is not p[0]


@pytest.mark.parametrize("name", ["SGD", "Adam", "Adagrad", "LBFGS"])
def test_load_state_dict_rejects_mismatches_and_changes_nothing(xp, name):
    params, opt = (make(xp, name) if name != "LBFGS" else
                   (lambda ps: (ps, optim.LBFGS(ps)))([course.Parameter(xp.asarray(np.ones(s))) for s in SHAPES]))
    if name != "LBFGS":
        for t in range(3):
            set_grads(xp, params, t)
            opt.step()
    good = opt.state_dict()
    before = snapshot(opt)
    groups_before = opt.param_groups
    bad = []
    sd = copy.deepcopy(good); sd["param_groups"] = sd["param_groups"] * 2; bad.append(sd)  # noqa: E702
    sd = copy.deepcopy(good); sd["param_groups"][0]["params"] = sd["param_groups"][0]["params"][:1]; bad.append(sd)  # noqa: E702
    sd = copy.deepcopy(good); sd["state"][7] = {}; bad.append(sd)  # noqa: E702
    bad.append({"state": {}})
    if name != "LBFGS":
        sd = copy.deepcopy(good)
        sd["state"][0] = {k: (xp.zeros((5, 5)) if hasattr(v, "shape") else v) for k, v in sd["state"][0].items()}
        bad.append(sd)
    for sd in bad:
        with pytest.raises(ValueError):
            opt.load_state_dict(sd)
        assert_same(before, snapshot(opt))
        assert opt.param_groups is groups_before
    opt.load_state_dict(good)
    assert_same(before, snapshot(opt))


@pytest.mark.parametrize("name", list(CASES))
def test_none_grad_is_skipped_entirely(xp, name):
    params, opt = make(xp, name)
    set_grads(xp, params, 0)
    opt.step()
    frozen = params[1]
    before = np.array(course.backend.to_numpy(frozen.data))
    state_before = {k: np.array(course.backend.to_numpy(v)) if hasattr(v, "shape") else v
                    for k, v in opt.state.get(frozen, {}).items()}
    for t in range(1, 6):
        set_grads(xp, params, t)
        frozen.grad = None
        opt.step()
    assert np.array_equal(course.backend.to_numpy(frozen.data), before)  # no weight decay either
    after = opt.state.get(frozen, {})
    assert after.keys() == state_before.keys()
    for k, v in state_before.items():
        assert np.array_equal(np.asarray(course.backend.to_numpy(after[k]) if hasattr(after[k], "shape") else after[k]), v)


@pytest.mark.parametrize("name", list(CASES))
def test_bad_grad_raises_naming_the_parameter_and_changes_nothing(xp, name):
    params, opt = make(xp, name)
    for t in range(2):
        set_grads(xp, params, t)
        opt.step()
    before_p, before_s = numpy_of(params), snapshot(opt)
    for p in params:
        p.grad = xp.ones(p.shape, dtype=p.data.dtype)
    wrong = [(xp.ones((7,), dtype=params[2].data.dtype), ValueError, "shape"),
             (xp.ones(params[2].shape, dtype=xp.float32), TypeError, "dtype"),
             (np.ones(params[2].shape) if xp is not np and "numpy" not in xp.__name__ else __import__("array_api_strict").ones(params[2].shape), TypeError, "is a")]
    for grad, error, word in wrong:
        params[2].grad = grad  # the last parameter: the others come first in the loop
        with pytest.raises(error, match=f"parameter 0 of param group 1.*{word}|{word}.*parameter 0 of param group 1"):
            opt.step()
        for a, b in zip(before_p, numpy_of(params)):
            assert np.array_equal(a, b)
        assert_same(before_s, snapshot(opt))


def test_zero_grad(xp):
    params, opt = make(xp, "SGD")
    set_grads(xp, params, 0)
    opt.zero_grad(set_to_none=False)
    assert params[2].grad is None and float(xp.sum(xp.abs(params[0].grad))) == 0.0
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_closure_and_add_param_group():
    w = course.Parameter(np.array([2.0]))
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    assert float(opt.step(closure)) == 4.0 and w.data[0] == 1.0
    b = course.Parameter(np.array([1.0]))
    opt.add_param_group({"params": b, "lr": 0.5, "momentum": 0.9})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["dampening"] == 0
    b.grad = np.array([1.0])
    opt.step()
    assert b.data[0] == 0.5


def test_flat_layout_is_invisible():
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (5,), (2, 2, 2)]
    params = [course.Parameter(rng.standard_normal(s).astype(np.float32)) for s in shapes]
    before = [p.data.copy() for p in params]
    opt = optim.Adam(params, lr=0.1)
    for p in params:
        p.grad = np.ones_like(p.data)
    opt.step()
    assert flat_layout(opt, opt.param_groups[0]) is not None, "the flat path is in use: nobody else holds the arrays"
    for p, b in zip(params, before):  # same dtype and shape, moved by lr (the array is now a view)
        assert p.data.dtype == np.float32 and p.data.shape == b.shape
        assert np.allclose(p.data, b - 0.1, atol=1e-6)
    held = params[0].data
    opt.step()
    assert held is params[0].data  # updated in place
    assert all(opt.state[p]["exp_avg"].shape == p.shape for p in params)
    params[1].data = np.zeros(5, dtype=np.float32)  # the user replaces an array: still updated correctly
    opt.step()
    assert np.all(params[1].data < 0)
    assert flat_layout(opt, opt.param_groups[0]) is None


@pytest.mark.parametrize("holds", ["array", "view", "state"])
def test_arrays_a_user_holds_are_the_ones_updated(holds):
    """torch updates the tensor it was given; so does course, whatever the group's layout."""
    w, q = np.zeros(3), np.zeros(2)
    view = w[:2] if holds == "view" else None
    params = [course.Parameter(w), course.Parameter(q)]
    if holds != "array":
        del w, q
    opt = optim.SGD(params, lr=0.5, momentum=0.9)
    for p in params:
        p.grad = np.ones_like(p.data)
    opt.step()
    if holds == "state":  # a state array held after a load is still the one updated
        opt.load_state_dict(opt.state_dict())
        buf = opt.state[params[0]]["momentum_buffer"]
    for p in params:
        p.grad = np.ones_like(p.data)
    opt.step()
    if holds == "array":
        assert np.array_equal(w, [-1.45] * 3) and np.array_equal(q, [-1.45] * 2)
        assert params[0].data is w and flat_layout(opt, opt.param_groups[0]) is None
    elif holds == "view":
        assert np.array_equal(view, [-1.45] * 2) and params[0].data.base is None
    else:
        assert buf is opt.state[params[0]]["momentum_buffer"] and np.array_equal(buf, [1.9] * 3)


@pytest.mark.parametrize("name", list(CASES))
def test_fast_numpy_paths_equal_the_plain_rule(name):
    """Chunks of a big array (shared among threads) and the flat buffer of many small ones give the plain bits."""
    import array_api_strict as xs

    big, small = (20_123,), [(37,)] * 40 + [(3, 5)]  # big: 20 chunks of 1024 float32, shared by the threads
    results = []
    for xp in (np, xs):
        rng = np.random.default_rng(1)
        params = [course.Parameter(xp.asarray(rng.standard_normal(s).astype(np.float32))) for s in [big] + small]
        opt = getattr(optim, name)([{"params": params[:1]}, {"params": params[1:]}], **CASES[name])
        opt.chunk_bytes = 4096
        calls = []  # (elements, thread) of every rule call
        rule, pause = opt._update, 0.002 if xp is np else 0  # a pause: the other thread surely takes a chunk

        def spy(param, *rest):
            calls.append((param.size, threading.current_thread().name))
            time.sleep(pause)
            rule(param, *rest)

        opt._update = spy
        for t in range(4):
            for p in params:
                p.grad = 0.5 * p.data + xp.asarray(rng.standard_normal(p.shape).astype(np.float32))
            before = len(calls)
            opt.step()
        last = calls[before:]
        results.append(numpy_of(params))
        if xp is np:  # the last step took the fast paths: 20 chunks of the big array, 2 of the flat buffer
            sizes = sorted(size for size, _ in last)
            assert sizes == sorted([1024] * 20 + [20_123 - 19 * 1024, 40 * 37 + 15 - 1024]), sizes
            if THREADS > 1:
                assert len({thread for _, thread in last}) > 1, "the chunks are shared among threads"
    for a, b in zip(*results):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(H.CONFIGS))
def test_fast_numpy_paths_match_the_golden_data(golden, name, dtype):
    """Every golden config through the fast NumPy paths: chunks of one element (the flat buffer
    of group 0 has ten, shared among the threads), against torch's trajectory and the plain rule's bits."""
    import array_api_strict as xs

    data, configs = H.load_golden(golden, name)
    assert configs == H.CONFIGS[name]
    shapes = [s for g in H.SHAPES for s in g]
    for i, kwargs in enumerate(configs):
        sizes = []
        fast = H.run_course(name, kwargs, np.dtype(dtype), np, chunk_bytes=np.dtype(dtype).itemsize, spy=sizes.append)
        assert sizes.count(1) > 0.9 * len(sizes), "nearly every rule call was on a chunk of one element"
        ref = data[f"{i}_{dtype}"]
        err = H.relative_error(fast, ref, shapes)
        assert err <= H.golden_tol(name, dtype), f"{name}({kwargs}) {dtype}: relative error {err:.3g}"
        plain = H.run_course(name, kwargs, np.dtype(dtype), xs)  # no fast paths off NumPy
        assert np.array_equal(fast, plain), f"{name}({kwargs}) {dtype}: the fast paths change bits"


def test_lion_follows_the_paper():
    """Against a direct transcription of Algorithm 2 of Chen et al. (2023), in float64."""
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal(50)
    lr, beta1, beta2, wd = 0.01, 0.9, 0.99, 0.1
    p = course.Parameter(x0.copy())
    opt = optim.Lion([p], lr=lr, betas=(beta1, beta2), weight_decay=wd)
    theta, m = x0.copy(), np.zeros(50)
    for _ in range(30):
        g = np.sin(3 * theta) + theta
        p.grad = np.sin(3 * p.data) + p.data
        opt.step()
        c = beta1 * m + (1 - beta1) * g
        theta = theta - lr * (np.sign(c) + wd * theta)
        m = beta2 * m + (1 - beta2) * g
    np.testing.assert_allclose(p.data, theta, rtol=1e-12, atol=1e-12)
    assert np.max(np.abs(theta - x0)) > 0.2
