"""The rest of torch.optim.Optimizer's surface: named parameters, hooks, torch's implementation
switches (foreach, fused, capturable, differentiable), old checkpoints, complex parameters,
L-BFGS corners, LinearLR(total_iters=0), duplicate parameters, no reference cycles.

Each feature is checked without torch (golden data, hand-derived facts), and live against torch
where it is importable (``pytest.importorskip`` inside the test).
"""
from __future__ import annotations

import copy
import gc
import importlib
import math
import pickle
import sys
import warnings
import weakref
from pathlib import Path

import numpy as np
import pytest

import course
from course import optim
from course.optim import optimizer as O

sys.path.insert(0, str(Path(__file__).parent))
import optim_complex_helpers as C  # noqa: E402
import optim_helpers as H  # noqa: E402

TORCH_NAMES = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop"]
# torch's switches per optimizer (torch 2.13's signatures) and what torch's __setstate__ gives a
# group saved without each key
SWITCHES = {"SGD": ["foreach", "differentiable", "fused"], "Adam": ["foreach", "capturable", "differentiable", "fused"],
            "AdamW": ["foreach", "capturable", "differentiable", "fused"],
            "RMSprop": ["capturable", "foreach", "differentiable"], "Adagrad": ["foreach", "differentiable", "fused"],
            "Adadelta": ["foreach", "capturable", "differentiable"], "Adamax": ["foreach", "differentiable", "capturable"],
            "NAdam": ["foreach", "capturable", "differentiable"], "RAdam": ["foreach", "capturable", "differentiable"],
            "ASGD": ["foreach", "differentiable", "capturable"], "Rprop": ["capturable", "foreach", "differentiable"]}
SETSTATE = {"SGD": ["nesterov", "maximize", "foreach", "differentiable", "fused"],
            "Adam": ["amsgrad", "maximize", "foreach", "capturable", "differentiable", "decoupled_weight_decay", "fused"],
            "AdamW": ["amsgrad", "maximize", "foreach", "capturable", "differentiable", "decoupled_weight_decay", "fused"],
            "RMSprop": ["momentum", "centered", "foreach", "maximize", "differentiable", "capturable"],
            "Adagrad": ["foreach", "maximize", "differentiable", "fused"],
            "Adadelta": ["foreach", "maximize", "differentiable", "capturable"],
            "Adamax": ["foreach", "maximize", "differentiable", "capturable"],
            "NAdam": ["maximize", "foreach", "capturable", "differentiable", "decoupled_weight_decay"],
            "RAdam": ["foreach", "maximize", "differentiable", "decoupled_weight_decay", "capturable"],
            "ASGD": ["foreach", "maximize", "differentiable", "capturable"],
            "Rprop": ["foreach", "maximize", "differentiable", "capturable"]}
# a config of each that steps every state array (momentum, amsgrad, centered...)
RICH = {"SGD": dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1), "Adam": dict(lr=0.01, amsgrad=True, weight_decay=0.1),
        "AdamW": dict(lr=0.01, amsgrad=True), "RMSprop": dict(lr=0.01, momentum=0.9, centered=True),
        "Adagrad": dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.5), "Adadelta": dict(lr=1.0, weight_decay=0.1),
        "Adamax": dict(lr=0.01, weight_decay=0.1), "NAdam": dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.1),
        "RAdam": dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.1), "ASGD": dict(lr=0.05, t0=3.0, lambd=0.1),
        "Rprop": dict(lr=0.01)}


def _params(shapes=((2, 3), (4,)), seed=0, dtype=np.float64, xp=np):
    rng = np.random.default_rng(seed)
    return [course.Parameter(xp.asarray(rng.standard_normal(s).astype(dtype))) for s in shapes]


def _grads(params, t, xp=np):
    rng = np.random.default_rng(100 + t)
    for p in params:
        p.grad = 0.5 * p.data + xp.asarray(rng.standard_normal(tuple(p.shape)).astype(np.asarray(p.data).dtype))


def _numpy(params):
    return [np.asarray(p.data).copy() for p in params]


def _torch_params(params):
    torch = pytest.importorskip("torch")
    return [torch.nn.Parameter(torch.from_numpy(np.asarray(p.data).copy())) for p in params]


# ======================================================================== 1. named parameters
def test_named_parameters_give_param_names_in_groups_and_state_dict():
    model = course.nn.Linear(3, 2)
    opt = optim.SGD(model.named_parameters(), lr=0.1, momentum=0.9)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.param_groups[0]["params"] == [model.weight, model.bias] or all(
        a is b for a, b in zip(opt.param_groups[0]["params"], [model.weight, model.bias]))
    sd = opt.state_dict()
    assert sd["param_groups"][0]["param_names"] == ["weight", "bias"]
    assert sd["param_groups"][0]["params"] == [0, 1]


def test_named_parameter_groups_and_add_param_group():
    a, b, c = _params(((2,), (3,), (1,)))
    opt = optim.Adam([{"params": [("a", a)]}, {"params": [("b", b)], "lr": 0.5}])
    assert [g["param_names"] for g in opt.param_groups] == [["a"], ["b"]]
    opt.add_param_group({"params": [("c", c)]})
    assert opt.state_dict()["param_groups"][2]["param_names"] == ["c"]
    assert opt.state_dict()["param_groups"][2]["params"] == [2]


MIXING = [
    (lambda a, b: optim.SGD([("a", a), b]), "all optimizer params should be with/without names. Some param names are missing"),
    (lambda a, b: optim.SGD([("a", a)]).add_param_group({"params": [b]}),
     "all optimizer param groups should be with/without names. cannot add param group without names to the optimizer"),
    (lambda a, b: optim.SGD([a]).add_param_group({"params": [("b", b)]}),
     "all optimizer param groups should be with/without names. cannot add param group with names to the optimizer"),
]


@pytest.mark.parametrize("case", range(len(MIXING)))
def test_mixing_named_and_unnamed_parameters_is_refused_in_torchs_words(case):
    make, message = MIXING[case]
    a, b = _params(((2,), (3,)))
    with pytest.raises(ValueError) as info:
        make(a, b)
    assert str(info.value) == message


@pytest.mark.parametrize("case", range(len(MIXING)))
def test_torch_refuses_the_same_mixing_with_the_same_words(case):
    torch = pytest.importorskip("torch")
    a, b = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(3))
    makes = [lambda: torch.optim.SGD([("a", a), b]), lambda: torch.optim.SGD([("a", a)]).add_param_group({"params": [b]}),
             lambda: torch.optim.SGD([a]).add_param_group({"params": [("b", b)]})]
    with pytest.raises(ValueError) as info:
        makes[case]()
    assert str(info.value) == MIXING[case][1]


def _as_torch_state_dict(sd):
    torch = pytest.importorskip("torch")
    out = copy.deepcopy(sd)
    for s in out["state"].values():
        for k, v in s.items():
            if isinstance(v, np.ndarray):
                s[k] = torch.from_numpy(v.copy())
            elif k == "step":
                s[k] = torch.tensor(float(v))
    return out


def test_named_state_dict_layout_and_loading_match_torch():
    torch = pytest.importorskip("torch")
    a, b, c = _params(((2, 3), (4,), (3,)))
    groups = lambda ps: [{"params": [("w", ps[0]), ("v", ps[1])]}, {"params": [("u", ps[2])], "lr": 0.5}]  # noqa: E731
    ours = optim.Adam(groups([a, b, c]), lr=0.01)
    tps = _torch_params([a, b, c])
    ref = torch.optim.Adam(groups(tps), lr=0.01)
    for p, q in zip([a, b, c], tps):
        p.grad = np.ones(p.shape)
        q.grad = torch.ones_like(q)
    ours.step()
    ref.step()
    sd, tsd = ours.state_dict(), ref.state_dict()
    assert len(sd["param_groups"]) == len(tsd["param_groups"])
    for g, tg in zip(sd["param_groups"], tsd["param_groups"]):
        assert sorted(g) == sorted(tg)
        assert g["param_names"] == tg["param_names"] and g["params"] == tg["params"]
    assert sorted(sd["state"]) == sorted(tsd["state"])
    # loading: the loaded names replace the optimizer's; a state dict without names keeps them
    for framework, opt, dict_ in (("course", optim.Adam(groups(_params(((2, 3), (4,), (3,)))), lr=0.01), sd),
                                  ("torch", torch.optim.Adam(groups(_torch_params([a, b, c])), lr=0.01), tsd)):
        renamed = copy.deepcopy(dict_)
        renamed["param_groups"][0]["param_names"] = ["x", "y"]
        opt.load_state_dict(renamed)
        assert opt.param_groups[0]["param_names"] == ["x", "y"], framework
        nameless = copy.deepcopy(dict_)
        for g in nameless["param_groups"]:
            del g["param_names"]
        opt.load_state_dict(nameless)
        assert opt.param_groups[0]["param_names"] == ["x", "y"], framework  # the optimizer's own stay
    # torch's named state dict loads into course, and steps as torch's optimizer does
    loaded = optim.Adam(groups(_params(((2, 3), (4,), (3,)))), lr=0.01)
    loaded.load_state_dict(tsd)
    assert loaded.param_groups[1]["param_names"] == ["u"]


# ======================================================================== 2. hooks
def _record_order(framework):
    """The order in which every kind of hook runs, and what each saw."""
    if framework == "torch":
        torch = pytest.importorskip("torch")
        mod = importlib.import_module("torch.optim.optimizer")
        p = torch.nn.Parameter(torch.ones(2, dtype=torch.float64))
        opt = torch.optim.SGD([p], lr=0.1)
        grad = lambda: torch.ones(2, dtype=torch.float64)  # noqa: E731
    else:
        mod = O
        p = course.Parameter(np.ones(2))
        opt = optim.SGD([p], lr=0.1)
        grad = lambda: np.ones(2)  # noqa: E731
    log = []
    handles = [
        mod.register_optimizer_step_pre_hook(lambda o, a, k: log.append(("global pre", o is opt, len(a), sorted(k)))),
        mod.register_optimizer_step_post_hook(lambda o, a, k: log.append(("global post", o is opt))),
        opt.register_step_pre_hook(lambda o, a, k: log.append(("pre 1", a[0] is opt))),
        opt.register_step_pre_hook(lambda o, a, k: log.append(("pre 2",))),
        opt.register_step_post_hook(lambda o, a, k: log.append(("post 1",))),
        opt.register_step_post_hook(lambda o, a, k: log.append(("post 2",))),
        opt.register_state_dict_pre_hook(lambda o: log.append(("sd pre 1",))),
        opt.register_state_dict_pre_hook(lambda o: log.append(("sd pre 0",)), prepend=True),
        opt.register_state_dict_post_hook(lambda o, sd: log.append(("sd post", sorted(sd)))),
        opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1}),
        opt.register_load_state_dict_pre_hook(lambda o, sd: log.append(("load pre", sorted(sd)))),
        opt.register_load_state_dict_pre_hook(lambda o, sd: log.append(("load pre 0",)), prepend=True),
        opt.register_load_state_dict_post_hook(lambda o: log.append(("load post",))),
        opt.register_load_state_dict_post_hook(lambda o: log.append(("load post 0",)), prepend=True),
    ]
    try:
        p.grad = grad()
        opt.step()
        log.append(("value", round(float(p.detach()[0] if framework == "torch" else p.data[0]), 12)))
        sd = opt.state_dict()
        log.append(("returned", sorted(sd)))
        del sd["extra"]
        opt.load_state_dict(sd)
        handles[2].remove()  # an instance pre hook, and a global one
        handles[0].remove()
        opt.step()
    finally:
        for h in handles:
            h.remove()
    p.grad = grad()
    opt.step()  # no hook any more
    return log


def test_hooks_run_in_torchs_order():
    log = _record_order("course")
    assert log[:7] == [("global pre", True, 1, []), ("pre 1", True), ("pre 2",), ("post 1",), ("post 2",),
                       ("global post", True), ("value", 0.9)]
    assert log[7:10] == [("sd pre 0",), ("sd pre 1",), ("sd post", ["param_groups", "state"])]
    assert log[10] == ("returned", ["extra", "param_groups", "state"])
    assert log[11:14] == [("load pre 0",), ("load pre", ["param_groups", "state"]), ("load post 0",)]
    assert log[14:] == [("load post",), ("pre 2",), ("post 1",), ("post 2",), ("global post", True)]


def test_hooks_order_matches_torch():
    assert _record_order("course") == _record_order("torch")


def test_pre_hook_may_replace_the_arguments_and_a_bad_return_raises_torchs_error():
    p = course.Parameter(np.array([1.0]))
    opt = optim.SGD([p], lr=0.1)
    p.grad = np.array([1.0])
    calls = []
    h = opt.register_step_pre_hook(lambda o, args, kwargs: (args, {"closure": lambda: calls.append(1) or 7.0}))
    assert opt.step() == 7.0 and calls == [1]
    h.remove()
    h = opt.register_step_pre_hook(lambda o, args, kwargs: 3)
    with pytest.raises(RuntimeError, match=r"must return None or a tuple of \(new_args, new_kwargs\), but got 3\.$"):
        opt.step()
    h.remove()
    assert p.data[0] == pytest.approx(0.9)  # one step (the closure's); the refused one changed nothing


def test_torch_raises_the_same_for_a_bad_pre_hook_return():
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.ones(1))
    opt = torch.optim.SGD([p], lr=0.1)
    opt.register_step_pre_hook(lambda o, args, kwargs: 3)
    p.grad = torch.ones(1)
    with pytest.raises(RuntimeError, match=r"must return None or a tuple of \(new_args, new_kwargs\), but got 3\.$"):
        opt.step()


def test_post_hooks_do_not_run_after_a_step_that_raised_and_handles_work_as_context_managers():
    p = course.Parameter(np.array([1.0]))
    opt = optim.SGD([p], lr=0.1)
    log = []
    with opt.register_step_post_hook(lambda o, a, k: log.append("post")):
        p.grad = np.array([1.0, 2.0])  # wrong shape: the step raises
        with pytest.raises(ValueError):
            opt.step()
        assert log == []
        p.grad = np.array([1.0])
        opt.step()
        assert log == ["post"]
    opt.step()
    assert log == ["post"]


def test_subclass_step_calling_super_runs_the_hooks_once():
    class Mine(optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    p = course.Parameter(np.array([1.0]))
    opt = Mine([p], lr=0.1)
    log = []
    opt.register_step_pre_hook(lambda o, a, k: log.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: log.append("post"))
    p.grad = np.array([1.0])
    opt.step()
    assert log == ["pre", "post"]


def test_hooks_are_not_pickled_or_copied():
    p = course.Parameter(np.array([1.0]))
    opt = optim.SGD([p], lr=0.1)
    opt.register_step_pre_hook(print)
    opt.register_state_dict_post_hook(print)
    for clone in (pickle.loads(pickle.dumps(opt)), copy.deepcopy(opt)):
        assert not clone._optimizer_step_pre_hooks and not clone._optimizer_state_dict_post_hooks
        clone.register_step_post_hook(print)  # and it can take new ones
    assert len(opt._optimizer_step_pre_hooks) == 1


def test_global_hooks_are_exported_where_torch_has_them():
    torch = pytest.importorskip("torch")
    module = importlib.import_module("torch.optim.optimizer")
    for name in ("register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"):
        assert hasattr(module, name) and hasattr(O, name)
        assert hasattr(torch.optim, name) == hasattr(optim, name)


# ======================================================================== 3. switches
@pytest.mark.parametrize("name", TORCH_NAMES)
def test_switch_defaults_are_torchs(name):
    opt = getattr(optim, name)(_params())
    g = opt.param_groups[0]
    for key in SWITCHES[name]:
        assert g[key] == {"foreach": None, "fused": None, "capturable": False, "differentiable": False}[key], key


@pytest.mark.parametrize("name", TORCH_NAMES + ["LBFGS"])
def test_group_keys_match_torchs(name):
    torch = pytest.importorskip("torch")
    ours = getattr(optim, name)(_params()).state_dict()["param_groups"][0]
    ref = getattr(torch.optim, name)(_torch_params(_params())).state_dict()["param_groups"][0]
    assert sorted(ours) == sorted(ref)
    for k in ref:
        if k != "params":
            assert ours[k] == (tuple(ref[k]) if isinstance(ref[k], list) else ref[k]), k


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_switches_given_are_kept_as_torch_keeps_them(name):
    torch = pytest.importorskip("torch")
    given = {"foreach": False, "differentiable": False, "capturable": False, "fused": False}
    kwargs = {k: given[k] for k in SWITCHES[name]}
    ours = getattr(optim, name)(_params(), **kwargs).param_groups[0]
    ref = getattr(torch.optim, name)(_torch_params(_params()), **kwargs).param_groups[0]
    assert {k: ours[k] for k in kwargs} == {k: ref[k] for k in kwargs}


@pytest.mark.parametrize("name", TORCH_NAMES)
@pytest.mark.parametrize("foreach", [None, False, True])
def test_foreach_changes_no_number(name, foreach):
    base, other = _params(), _params()
    a = getattr(optim, name)(base, **RICH[name])
    b = getattr(optim, name)(other, foreach=foreach, **RICH[name])
    for t in range(5):
        _grads(base, t)
        _grads(other, t)
        a.step()
        b.step()
    for x, y in zip(_numpy(base), _numpy(other)):
        assert np.array_equal(x, y)


FUSED_ERRORS = [({"fused": True, "foreach": True}, "`fused` and `foreach` cannot be `True` together."),
                ({"fused": True, "differentiable": True}, "`fused` does not support `differentiable`"),
                ({"fused": True, "foreach": True, "differentiable": True}, "`fused` does not support `differentiable`")]


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad"])
@pytest.mark.parametrize("case", range(len(FUSED_ERRORS)))
def test_fused_with_foreach_or_differentiable_raises_torchs_error_at_construction(name, case):
    kwargs, message = FUSED_ERRORS[case]
    with pytest.raises(RuntimeError) as info:
        getattr(optim, name)(_params(), **kwargs)
    assert str(info.value) == message
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as info:
        getattr(torch.optim, name)(_torch_params(_params()), **kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad"])
def test_fused_is_checked_after_the_params_as_in_torch(name):
    with pytest.raises(ValueError, match="empty parameter list"):
        getattr(optim, name)([], fused=True, foreach=True)


TORCH_REFUSES = [(n, s) for n in TORCH_NAMES for s in ("capturable", "differentiable") if s in SWITCHES[n]]


@pytest.mark.parametrize("name,switch", TORCH_REFUSES)
def test_capturable_and_differentiable_raise_at_the_step_and_change_nothing(name, switch):
    params = _params()
    opt = getattr(optim, name)(params, **{switch: True})  # accepted at construction, as torch
    _grads(params, 0)
    before = _numpy(params)
    with pytest.raises(RuntimeError, match=f"{switch}=True"):
        opt.step()
    assert all(np.array_equal(a, b) for a, b in zip(before, _numpy(params)))
    assert not any(opt.state.values()) or name == "Adagrad"  # Adagrad makes its state at construction


@pytest.mark.parametrize("name,switch", TORCH_REFUSES)
def test_torch_on_the_cpu_refuses_them_at_the_step_too(name, switch):
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
    opt = getattr(torch.optim, name)([p], **{switch: True})
    p.grad = torch.ones_like(p)
    with pytest.raises((RuntimeError, AssertionError)):
        opt.step()


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad"])
def test_fused_true_on_real_parameters_gives_torchs_fused_numbers(name):
    """torch runs its fused CPU kernel; course its one implementation: float64 within 1e-9 over 100 steps."""
    torch = pytest.importorskip("torch")
    ours_p = _params(((5, 3), (7,)))
    ref_p = _torch_params(ours_p)
    ours = getattr(optim, name)(ours_p, fused=True, **RICH[name])
    ref = getattr(torch.optim, name)(ref_p, fused=True, **RICH[name])
    for t in range(100):
        _grads(ours_p, t)
        for p, q in zip(ours_p, ref_p):
            q.grad = torch.from_numpy(p.grad.copy())
        ours.step()
        ref.step()
    for p, q in zip(ours_p, ref_p):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-9, atol=0)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad"])
def test_fused_true_refuses_complex_parameters_at_the_step_as_torch(name):
    p = course.Parameter(np.ones(3, dtype=complex))
    opt = getattr(optim, name)([p], fused=True)  # torch too accepts it at construction
    p.grad = np.ones(3, dtype=complex)
    with pytest.raises(RuntimeError, match="`fused=True` requires all the params to be floating point Tensors"):
        opt.step()
    assert np.array_equal(p.data, np.ones(3))
    torch = pytest.importorskip("torch")
    q = torch.nn.Parameter(torch.ones(3, dtype=torch.complex128))
    ref = getattr(torch.optim, name)([q], fused=True)
    q.grad = torch.ones_like(q)
    with pytest.raises(RuntimeError, match="`fused=True` requires all the params to be floating point Tensors"):
        ref.step()


def test_nanogpt_adamw_call():
    """nanoGPT's configure_optimizers: two groups (decay, no decay), fused=False on the CPU."""
    model = [course.nn.Linear(4, 4), course.nn.Linear(4, 2)]
    params = {f"{i}.{n}": p for i, m in enumerate(model) for n, p in m.named_parameters()}
    decay = [p for n, p in params.items() if p.data.ndim >= 2]
    no_decay = [p for n, p in params.items() if p.data.ndim < 2]
    groups = [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}]
    opt = optim.AdamW(groups, lr=6e-4, betas=(0.9, 0.95), fused=False)
    for p in params.values():
        p.grad = np.ones(p.shape, dtype=p.data.dtype)
    opt.step()
    assert opt.param_groups[0]["fused"] is False and opt.param_groups[1]["weight_decay"] == 0.0


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_torchs_state_dict_with_switches_loads_and_steps_as_torch(name):
    torch = pytest.importorskip("torch")
    ours_p = _params()
    ref_p = _torch_params(ours_p)
    ref = getattr(torch.optim, name)(ref_p, **RICH[name])
    for t in range(3):
        _grads(ours_p, t)
        for p, q in zip(ours_p, ref_p):
            q.grad = torch.from_numpy(p.grad.copy())
        ref.step()
    for p, q in zip(ours_p, ref_p):
        p.data[...] = q.detach().numpy()
    ours = getattr(optim, name)(ours_p, **RICH[name])
    sd = ref.state_dict()
    ours.load_state_dict({"state": {k: {n: (v.numpy() if v.ndim else v.item()) for n, v in s.items()} for k, s in sd["state"].items()},
                          "param_groups": sd["param_groups"]})
    for key in SWITCHES[name]:
        assert ours.param_groups[0][key] == ref.param_groups[0][key]
    for t in range(3, 8):
        _grads(ours_p, t)
        for p, q in zip(ours_p, ref_p):
            q.grad = torch.from_numpy(p.grad.copy())
        ours.step()
        ref.step()
    for p, q in zip(ours_p, ref_p):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12, atol=1e-15)


# ======================================================================== 4. old checkpoints
def _run(name, kwargs, params, steps, start=0, opt=None):
    opt = opt or getattr(optim, name)(params, **kwargs)
    for t in range(start, start + steps):
        _grads(params, t)
        opt.step()
    return opt


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_a_checkpoint_saved_before_a_key_existed_loads_and_steps(name):
    whole = _params()
    _run(name, RICH[name], whole, 10)
    for key in SETSTATE[name]:
        params = _params()
        first = _run(name, RICH[name], params, 5)
        sd = first.state_dict()
        for g in sd["param_groups"]:
            del g[key]
        resumed = getattr(optim, name)(params, **RICH[name])
        resumed.load_state_dict(sd)
        _run(name, RICH[name], params, 5, start=5, opt=resumed)
        for a, b in zip(_numpy(whole), _numpy(params)):
            if key in RICH[name] and RICH[name][key] is not False:  # a flag that was on comes back off, as in torch
                break
            assert np.array_equal(a, b), key


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_the_defaults_a_loaded_group_gets_are_torchs(name):
    torch = pytest.importorskip("torch")
    for key in SETSTATE[name]:
        ours = getattr(optim, name)(_params(), **RICH[name])
        tp = _torch_params(_params())
        ref = getattr(torch.optim, name)(tp, **RICH[name])
        tsd = ref.state_dict()
        del tsd["param_groups"][0][key]
        ref.load_state_dict(tsd)
        sd = ours.state_dict()
        del sd["param_groups"][0][key]
        ours.load_state_dict(sd)
        assert ours.param_groups[0][key] == ref.param_groups[0][key], key


def test_lion_checkpoint_without_maximize_loads():
    params = _params()
    opt = _run("Lion", {}, params, 2)
    sd = opt.state_dict()
    del sd["param_groups"][0]["maximize"]
    fresh = optim.Lion(params)
    fresh.load_state_dict(sd)
    _run("Lion", {}, params, 2, start=2, opt=fresh)
    assert fresh.param_groups[0]["maximize"] is False


# ======================================================================== 5. complex parameters
def _course_complex(name, kwargs, xp=np, chunk_bytes=None):
    def make_opt(ps, kw):
        opt = getattr(optim, name)(ps, **kw)
        if chunk_bytes:
            opt.chunk_bytes = chunk_bytes
        return opt

    return C.run(course.Parameter, make_opt, lambda p: np.asarray(p.data), xp.asarray, kwargs)


@pytest.mark.parametrize("name", C.NAMES)
def test_complex_parameters_match_the_golden_torch_data(name, golden):
    data = np.load(golden / "optim_complex.npz")
    for i, kwargs in enumerate(C.configs(name)):
        ref = data[f"{name}_{i}"]
        got = _course_complex(name, kwargs)
        assert got.dtype == np.complex128
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=0, err_msg=f"{name} {kwargs}")


@pytest.mark.parametrize("name", C.NAMES)
def test_complex_parameters_match_torch_live(name):
    torch = pytest.importorskip("torch")
    for kwargs in H.CONFIGS[name]:
        with torch.no_grad():
            ref = C.run(torch.nn.Parameter, lambda ps, kw: getattr(torch.optim, name)(ps, **kw),
                        lambda p: p.detach().numpy(), torch.from_numpy, kwargs, steps=50)
        got = C.run(course.Parameter, lambda ps, kw: getattr(optim, name)(ps, **kw), lambda p: np.asarray(p.data),
                    np.asarray, kwargs, steps=50)
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=0, err_msg=f"{name} {kwargs}")


@pytest.mark.parametrize("name", C.NAMES)
def test_complex_parameters_on_array_api_strict_equal_numpy(name):
    xs = pytest.importorskip("array_api_strict")
    kwargs = C.configs(name)[-1]
    ref = _course_complex(name, kwargs)
    got = _course_complex(name, kwargs, xp=xs)
    np.testing.assert_allclose(got, ref, rtol=1e-13, atol=0)


@pytest.mark.parametrize("name", ["Adam", "RMSprop", "Rprop", "SGD"])
def test_a_large_complex_parameter_steps_as_a_small_one(name):
    """The chunked NumPy path hands complex parameters to the plain rule on the real view."""
    rng = np.random.default_rng(4)
    init = rng.standard_normal(5000) + 1j * rng.standard_normal(5000)
    results = []
    for chunk_bytes in (None, 1024):
        p = course.Parameter(init.copy())
        opt = getattr(optim, name)([p], **RICH[name])
        if chunk_bytes:
            opt.chunk_bytes = chunk_bytes
        for t in range(5):
            p.grad = 0.5 * p.data + (t + 1j)
            opt.step()
        results.append(p.data.copy())
    assert np.array_equal(*results)


def test_complex_adam_first_step_moves_both_parts_by_lr():
    """Through the real view, Adam's first step moves each real number by about lr."""
    p = course.Parameter(np.array([1.0 + 1.0j]))
    opt = optim.Adam([p], lr=0.1)
    p.grad = np.array([3.0 - 0.5j])
    opt.step()
    np.testing.assert_allclose(p.data, [0.9 + 1.1j], rtol=1e-7)
    assert opt.state[p]["exp_avg_sq"].dtype == np.complex128  # the state is complex, as torch's


def test_complex_state_starts_with_both_parts_as_torch():
    """Adagrad's sum and Rprop's step size start at complex(v, v), as torch makes them."""
    p = course.Parameter(np.zeros(2, dtype=complex))
    assert np.array_equal(optim.Adagrad([p], initial_accumulator_value=0.5).state[p]["sum"], [0.5 + 0.5j] * 2)
    opt = optim.Rprop([p], lr=0.25)
    p.grad = np.zeros(2, dtype=complex)
    opt.step()
    assert np.array_equal(opt.state[p]["step_size"], [0.25 + 0.25j] * 2)


# ======================================================================== 6. L-BFGS corners
def _lbfgs_run(framework, kwargs, x0, loss, steps=2):
    """``loss``: 'linear' (a plane: the line search extrapolates through 0/0), 'zero' (a flat
    loss: zero grad), or 'quadratic'."""
    A = np.diag([1.0, 4.0, 9.0])[: len(x0), : len(x0)]
    w = np.array([1.0, -2.0, 0.5])[: len(x0)]
    if framework == "torch":
        torch = pytest.importorskip("torch")
        p = torch.nn.Parameter(torch.from_numpy(np.array(x0)))
        opt = torch.optim.LBFGS([p], **kwargs)
        At, wt = torch.from_numpy(A), torch.from_numpy(w)

        def closure():
            opt.zero_grad()
            out = {"linear": lambda: wt @ p, "zero": lambda: 0.0 * p.sum(), "quadratic": lambda: 0.5 * p @ At @ p - wt @ p}[loss]()
            out.backward()
            return out
    else:
        p = course.Parameter(np.array(x0))
        opt = optim.LBFGS([p], **kwargs)

        def closure():
            x = p.data
            p.grad = {"linear": w.copy(), "zero": np.zeros_like(x), "quadratic": A @ x - w}[loss]
            return {"linear": w @ x, "zero": 0.0, "quadratic": 0.5 * x @ A @ x - w @ x}[loss]
    out = []
    for _ in range(steps):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # torch's division by zero is silent: course's too
            opt.step(closure)
        out.append(np.array(p.detach().numpy() if framework == "torch" else p.data))
    state = opt.state[opt.param_groups[0]["params"][0]]
    return np.array(out), int(state["func_evals"]), int(state["n_iter"])


LBFGS_CASES = [
    (dict(tolerance_grad=-math.inf), [3.0, -1.0, 2.0], "quadratic"),
    # -inf tolerances, a few iterations (run to machine precision, the last bits of the two-loop
    # recursion decide the path: torch's add_(alpha=) rounds some of them differently)
    (dict(tolerance_grad=-math.inf, line_search_fn="strong_wolfe", tolerance_change=-math.inf, max_iter=3), [3.0, -1.0, 2.0], "quadratic"),
    (dict(tolerance_grad=-math.inf), [1.0, 2.0], "zero"),
    (dict(tolerance_grad=-math.inf, line_search_fn="strong_wolfe"), [1.0, 2.0], "zero"),
    (dict(line_search_fn="strong_wolfe", max_iter=4), [1.0, 2.0, 3.0], "linear"),
    (dict(line_search_fn="strong_wolfe", max_iter=20, lr=0.1), [0.5, -0.5], "linear"),
]


def test_lbfgs_tolerance_grad_minus_inf_runs_every_iteration():
    _, evals, n_iter = _lbfgs_run("course", dict(tolerance_grad=-math.inf, tolerance_change=-math.inf, max_iter=7),
                                  [3.0, -1.0, 2.0], "quadratic", steps=1)
    assert n_iter == 7 and evals == 7  # max_iter iterations: one evaluation before, one after each but the last


def test_lbfgs_zero_grad_with_tolerance_grad_minus_inf_stops_without_moving():
    """The first step length min(1, 1 / sum|g|) * lr is min(1, inf) * lr: no ZeroDivisionError; the
    direction is no descent (g.d = 0), so the iteration stops, as in torch."""
    traj, evals, n_iter = _lbfgs_run("course", dict(tolerance_grad=-math.inf), [1.0, 2.0], "zero", steps=1)
    assert np.array_equal(traj[0], [1.0, 2.0]) and evals == 1 and n_iter == 1


def test_lbfgs_line_search_through_a_linear_region_extrapolates_as_torch():
    """On a plane the cubic's denominator is 0 (equal slopes, d2 = 0): torch's tensors give inf and
    the step is clipped to 10x; course's 0-d values do the same instead of raising."""
    traj, evals, _ = _lbfgs_run("course", dict(line_search_fn="strong_wolfe", max_iter=4), [1.0, 2.0, 3.0], "linear", steps=1)
    # max_eval = 4 * 5 // 4 = 5: one evaluation first, then the line search may take 4 more but
    # the first trial counts too; every trial extrapolated (10x), none raised
    assert np.all(np.isfinite(traj)) and evals == 6


@pytest.mark.parametrize("case", range(len(LBFGS_CASES)))
def test_lbfgs_corners_match_torch(case):
    kwargs, x0, loss = LBFGS_CASES[case]
    pytest.importorskip("torch")
    ours = _lbfgs_run("course", kwargs, x0, loss)
    ref = _lbfgs_run("torch", kwargs, x0, loss)
    np.testing.assert_allclose(ours[0], ref[0], rtol=1e-12, atol=0)
    assert ours[1:] == ref[1:]


CUBIC = [(0.0, 1.0, -1.0, 1.0, 0.5, -1.0), (1.0, 1.0, -1.0, 1.0, 0.5, 2.0), (1.0, 2.0, -1.0, 1.0, 2.0, -1.0),
         (0.0, 1.0, -2.0, 0.5, 0.0, 1.0), (0.0, 1.0, 1.0, 2.0, 0.0, 1.0), (0.0, 0.0, -1.0, 1.0, -1.0, -1.0),
         (2.0, 0.0, 1.0, 0.5, 1.0, -3.0), (0.0, 1.0, -1.0, 1.0, 1.0, math.nan), (0.0, 1.0, -1.0, 1.0, 1.0, math.inf)]


@pytest.mark.parametrize("args", CUBIC)
def test_cubic_interpolation_matches_torchs_at_every_corner(args):
    """Positions and values are Python floats, slopes 0-d (tensors in torch): same results, nan included."""
    torch = pytest.importorskip("torch")
    from torch.optim.lbfgs import _cubic_interpolate as torch_cubic

    from course.optim.lbfgs import _cubic_interpolate

    x1, f1, g1, x2, f2, g2 = args
    T = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    for zero_d_steps in (False, True):  # the steps: Python floats, or 0-d (tensors in torch, after the first one)
        ox1, ox2 = (np.float64(x1), np.float64(x2)) if zero_d_steps else (x1, x2)
        tx1, tx2 = (T(x1), T(x2)) if zero_d_steps else (x1, x2)
        for bounds in (None, "steps"):
            ob = (ox2 + 0.01 * (ox2 - ox1), 10 * ox2) if bounds else None
            tb = (tx2 + 0.01 * (tx2 - tx1), 10 * tx2) if bounds else None
            with np.errstate(all="ignore"):
                try:
                    ours = float(_cubic_interpolate(ox1, f1, np.float64(g1), ox2, f2, np.float64(g2), bounds=ob))
                except ZeroDivisionError:
                    ours = "ZeroDivisionError"
            try:
                ref = float(torch_cubic(tx1, f1, T(g1), tx2, f2, T(g2), bounds=tb))
            except ZeroDivisionError:
                ref = "ZeroDivisionError"
            assert ours == ref or (ours != ours and ref != ref), (zero_d_steps, bounds, ours, ref)


# ======================================================================== 7. schedulers, duplicates
def test_linear_lr_with_zero_total_iters_keeps_the_start_factor():
    p = course.Parameter(np.ones(1))
    opt = optim.SGD([p], lr=1.0)
    sched = optim.lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=0)
    lrs = [sched.get_last_lr()[0]]
    for _ in range(4):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    assert lrs == [0.5] * 5


def test_linear_lr_with_zero_total_iters_matches_torch():
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.ones(1))
    opt = torch.optim.SGD([p], lr=1.0)
    sched = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.5, end_factor=0.9, total_iters=0)
    ref = [sched.get_last_lr()[0]]
    q = course.Parameter(np.ones(1))
    copt = optim.SGD([q], lr=1.0)
    csched = optim.lr_scheduler.LinearLR(copt, start_factor=0.5, end_factor=0.9, total_iters=0)
    ours = [csched.get_last_lr()[0]]
    for _ in range(6):
        opt.step(), sched.step(), copt.step(), csched.step()
        ref.append(sched.get_last_lr()[0])
        ours.append(csched.get_last_lr()[0])
    assert ours == ref


DUPLICATE_WARNING = ("optimizer contains a parameter group with duplicate parameters; in future, this will cause an "
                     "error; see github.com/pytorch/pytorch/issues/40967 for more information")


def test_a_duplicate_parameter_warns_in_torchs_words_and_steps_twice():
    p, q = _params(((3,), (2,)))
    with pytest.warns(UserWarning) as record:
        opt = optim.SGD([p, q, p], lr=0.1)
    assert [str(w.message) for w in record] == [DUPLICATE_WARNING]
    assert record[0].filename.endswith("sgd.py")  # stacklevel=3: the optimizer's __init__, as torch's points at its own
    before = p.data.copy()
    p.grad = np.ones(3)
    q.grad = np.ones(2)
    opt.step()
    np.testing.assert_allclose(p.data, before - 0.2)  # listed twice: stepped twice, as in torch
    assert opt.state_dict()["param_groups"][0]["params"] == [2, 1, 2]  # torch's mapping: the last position


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_duplicate_parameters_step_and_save_as_torch(name):
    torch = pytest.importorskip("torch")
    p, q = _params(((3,), (2,)))
    tp, tq = _torch_params([p, q])
    with warnings.catch_warnings(record=True) as ours_w:
        warnings.simplefilter("always")
        ours = getattr(optim, name)([{"params": [p, q, p]}], **RICH[name])
    with warnings.catch_warnings(record=True) as ref_w:
        warnings.simplefilter("always")
        ref = getattr(torch.optim, name)([{"params": [tp, tq, tp]}], **RICH[name])
    assert [str(w.message) for w in ours_w] == [str(w.message) for w in ref_w if "duplicate" in str(w.message)]
    for t in range(6):
        _grads([p, q], t)
        tp.grad, tq.grad = torch.from_numpy(p.grad.copy()), torch.from_numpy(q.grad.copy())
        ours.step()
        ref.step()
    np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(q.data, tq.detach().numpy(), rtol=1e-12)
    sd, tsd = ours.state_dict(), ref.state_dict()
    assert sd["param_groups"][0]["params"] == tsd["param_groups"][0]["params"]
    assert sorted(sd["state"]) == sorted(tsd["state"])
    with pytest.warns(UserWarning, match="duplicate parameters"):
        again = getattr(optim, name)([{"params": [p, q, p]}], **RICH[name])  # the saved dict loads back
    again.load_state_dict(sd)


SCHEDULERS = {
    "StepLR": lambda S, o: S.StepLR(o, 2), "LambdaLR": lambda S, o: S.LambdaLR(o, lambda e: 0.9**e),
    "LinearLR": lambda S, o: S.LinearLR(o), "OneCycleLR": lambda S, o: S.OneCycleLR(o, 1.0, total_steps=10),
    "CyclicLR": lambda S, o: S.CyclicLR(o, 0.01, 0.1), "ReduceLROnPlateau": lambda S, o: S.ReduceLROnPlateau(o),
    "SequentialLR": lambda S, o: S.SequentialLR(o, [S.ConstantLR(o), S.ExponentialLR(o, 0.9)], [2]),
    "ChainedScheduler": lambda S, o: S.ChainedScheduler([S.ConstantLR(o), S.ExponentialLR(o, 0.9)]),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, 3),
}


def _freed_without_gc(framework, name):
    """Are a deleted scheduler, then its deleted optimizer, freed at once (no reference cycle)?"""
    gc.collect()
    gc.disable()
    try:
        if framework == "torch":
            torch = pytest.importorskip("torch")
            p = torch.nn.Parameter(torch.ones(2))
            opt, S = torch.optim.SGD([p], lr=0.1, momentum=0.9), torch.optim.lr_scheduler
            p.grad = torch.ones(2)
        else:
            p = course.Parameter(np.ones(2))
            opt, S = optim.SGD([p], lr=0.1, momentum=0.9), optim.lr_scheduler
            p.grad = np.ones(2)
        sched = SCHEDULERS[name](S, opt)
        opt.step()
        sched.step(*([1.0] if name == "ReduceLROnPlateau" else []))
        sched_ref, opt_ref = weakref.ref(sched), weakref.ref(opt)
        del sched
        sched_freed = sched_ref() is None
        del opt
        return sched_freed, opt_ref() is None
    finally:
        gc.enable()


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_a_deleted_scheduler_and_optimizer_are_freed_without_the_garbage_collector(name):
    assert _freed_without_gc("course", name) == (True, True)


@pytest.mark.parametrize("name", [n for n in SCHEDULERS if n != "StepLR"])
def test_torch_frees_them_too(name):
    assert _freed_without_gc("torch", name) == (True, True)


def test_the_tracked_step_still_pickles_and_deep_copies():
    p = course.Parameter(np.ones(2))
    opt = optim.SGD([p], lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, 2)
    for clone_opt, clone_sched in (pickle.loads(pickle.dumps((opt, sched))), copy.deepcopy((opt, sched))):
        assert clone_sched.optimizer is clone_opt and clone_opt.step.optimizer is clone_opt
        clone_opt.param_groups[0]["params"][0].grad = np.ones(2)
        clone_opt._opt_called = False
        clone_opt.step()
        assert clone_opt._opt_called is True
