"""Bad input: every hyperparameter value torch 2.13 rejects, course rejects the same way."""
from __future__ import annotations

import math

import numpy as np
import pytest

import course
from course import optim

ADAM_LIKE = ["Adam", "AdamW", "Adamax", "NAdam", "RAdam"]


def _common(name, eps=True):
    rows = [(name, {"lr": -1.0}, "Invalid learning rate: -1.0"),
            (name, {"weight_decay": -0.1}, "Invalid weight_decay value: -0.1")]
    if eps:
        rows.append((name, {"eps": -1e-8}, "Invalid epsilon value: -1e-08"))
    return rows


# (optimizer, keyword arguments, the ValueError message torch gives)
BAD = (
    _common("SGD", eps=False) + [
        ("SGD", {"momentum": -0.5}, "Invalid momentum value: -0.5"),
        ("SGD", {"nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
        ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "Nesterov momentum requires a momentum and zero dampening"),
    ]
    + [row for name in ADAM_LIKE for row in _common(name) + [
        (name, {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
        (name, {"betas": (-0.1, 0.999)}, "Invalid beta parameter at index 0: -0.1"),
        (name, {"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0"),
        (name, {"betas": (0.9, -0.5)}, "Invalid beta parameter at index 1: -0.5"),
    ]]
    + [("NAdam", {"momentum_decay": -0.004}, "Invalid momentum_decay value: -0.004")]
    + _common("RMSprop") + [
        ("RMSprop", {"momentum": -0.9}, "Invalid momentum value: -0.9"),
        ("RMSprop", {"alpha": -0.99}, "Invalid alpha value: -0.99"),
    ]
    + _common("Adagrad") + [
        ("Adagrad", {"lr_decay": -0.1}, "Invalid lr_decay value: -0.1"),
        ("Adagrad", {"initial_accumulator_value": -1.0}, "Invalid initial_accumulator_value value: -1.0"),
    ]
    + _common("Adadelta") + [
        ("Adadelta", {"rho": 1.5}, "Invalid rho value: 1.5"),
        ("Adadelta", {"rho": -0.1}, "Invalid rho value: -0.1"),
    ]
    + _common("ASGD", eps=False)
    + [("Rprop", {"lr": -1.0}, "Invalid learning rate: -1.0"),
       ("Rprop", {"etas": (1.5, 1.2)}, "Invalid eta values: 1.5, 1.2"),
       ("Rprop", {"etas": (0.0, 1.2)}, "Invalid eta values: 0.0, 1.2"),
       ("Rprop", {"etas": (0.5, 0.9)}, "Invalid eta values: 0.5, 0.9"),
       ("LBFGS", {"lr": -1.0}, "Invalid learning rate: -1.0")]
)

# Lion is not in torch: the same rules as Adam's
LION_BAD = [("Lion", {"lr": -1.0}, "Invalid learning rate: -1.0"),
            ("Lion", {"betas": (1.0, 0.99)}, "Invalid beta parameter at index 0: 1.0"),
            ("Lion", {"betas": (0.9, 1.5)}, "Invalid beta parameter at index 1: 1.5"),
            ("Lion", {"weight_decay": -1.0}, "Invalid weight_decay value: -1.0")]

NAMES = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop", "LBFGS", "Lion"]


def params():
    return [course.Parameter(np.ones(3))]


@pytest.mark.parametrize("name,kwargs,message", BAD + LION_BAD, ids=[f"{n}-{list(k.items())[0]}" for n, k, _ in BAD + LION_BAD])
def test_bad_hyperparameter_is_rejected(name, kwargs, message):
    with pytest.raises(ValueError) as info:
        getattr(optim, name)(params(), **kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize("name,kwargs,message", BAD, ids=[f"{n}-{list(k.items())[0]}" for n, k, _ in BAD])
def test_torch_rejects_the_same(name, kwargs, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as info:
        getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(3))], **kwargs)
    assert str(info.value) == message


# torch's implementation switches, where torch's signature has them (tests/test_optim_surface.py
# compares them with torch); LBFGS and Lion have none
SWITCHES = {"SGD": "foreach differentiable fused", "Adam": "foreach capturable differentiable fused",
            "AdamW": "foreach capturable differentiable fused", "RMSprop": "capturable foreach differentiable",
            "Adagrad": "foreach differentiable fused", "Adadelta": "foreach capturable differentiable",
            "Adamax": "foreach differentiable capturable", "NAdam": "foreach capturable differentiable",
            "RAdam": "foreach capturable differentiable", "ASGD": "foreach differentiable capturable",
            "Rprop": "capturable foreach differentiable", "LBFGS": "", "Lion": ""}


@pytest.mark.parametrize("switch", ["foreach", "fused", "capturable", "differentiable"])
@pytest.mark.parametrize("name", NAMES)
def test_torch_switches_exist_where_torch_has_them(name, switch):
    if switch in SWITCHES[name].split():
        opt = getattr(optim, name)(params(), **{switch: False})
        assert opt.param_groups[0][switch] is False
    else:
        with pytest.raises(TypeError, match=switch):
            getattr(optim, name)(params(), **{switch: False})


def test_defaults_match_torch_signatures():
    torch = pytest.importorskip("torch")
    import inspect

    for name in NAMES[:-1]:
        ours = inspect.signature(getattr(optim, name)).parameters
        theirs = inspect.signature(getattr(torch.optim, name)).parameters
        assert list(ours) == list(theirs), name  # the switches too, in torch's order
        for key in ours:
            assert ours[key].default == theirs[key].default, (name, key)
            assert ours[key].kind == theirs[key].kind, (name, key)


@pytest.mark.parametrize("name", NAMES)
def test_nan_lr_is_rejected_where_torch_rejects_it(name):
    if name == "SGD":  # torch's SGD checks lr < 0.0 (and momentum, weight_decay): NaN passes, as in torch
        for key in ("lr", "momentum", "weight_decay"):
            getattr(optim, name)(params(), **{key: math.nan})
        return
    with pytest.raises(ValueError, match="Invalid learning rate: nan"):
        getattr(optim, name)(params(), lr=math.nan)


@pytest.mark.parametrize("name", NAMES[:-1])
def test_torch_treats_nan_lr_the_same(name):
    torch = pytest.importorskip("torch")
    got = None
    try:
        getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(3))], lr=math.nan)
    except ValueError as e:
        got = e
    assert (got is None) == (name == "SGD")


# (optimizer, keyword arguments, the exception torch raises at construction): values of the wrong
# type, where torch's own check (``not 0.0 <= lr``, ``betas[1]``) fails in Python's words
BAD_TYPES = [
    (name, kwargs, error)
    for name in ["Adam", "AdamW", "Adamax", "NAdam", "RAdam"]
    for kwargs, error in [({"lr": None}, TypeError), ({"eps": None}, TypeError), ({"weight_decay": None}, TypeError),
                          ({"lr": "0.1"}, TypeError), ({"eps": 1j}, TypeError), ({"weight_decay": [0.1]}, TypeError),
                          ({"betas": (0.9,)}, IndexError), ({"betas": None}, TypeError), ({"betas": 0.9}, TypeError),
                          ({"betas": (None, 0.999)}, TypeError), ({"betas": (0.9, "0.999")}, TypeError),
                          ({"lr": np.array([0.1, 0.2])}, ValueError)]
] + [
    ("Adam", {"betas": (0, 0.999)}, ValueError), ("AdamW", {"betas": (0.9, 1)}, ValueError),  # "both floats"
    ("NAdam", {"momentum_decay": None}, TypeError),
    ("SGD", {"lr": None}, TypeError), ("SGD", {"momentum": "0.9"}, TypeError), ("SGD", {"weight_decay": None}, TypeError),
    ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": None}, ValueError),
    ("RMSprop", {"alpha": None}, TypeError), ("RMSprop", {"momentum": None}, TypeError), ("RMSprop", {"eps": None}, TypeError),
    ("Adagrad", {"lr_decay": None}, TypeError), ("Adagrad", {"initial_accumulator_value": None}, TypeError),
    ("Adagrad", {"eps": None}, TypeError), ("Adadelta", {"rho": None}, TypeError), ("Adadelta", {"eps": None}, TypeError),
    ("ASGD", {"lr": None}, TypeError), ("ASGD", {"weight_decay": "0"}, TypeError),
    ("Rprop", {"etas": (0.5,)}, IndexError), ("Rprop", {"etas": None}, TypeError), ("Rprop", {"etas": (None, 1.2)}, TypeError),
    ("Rprop", {"lr": None}, TypeError), ("LBFGS", {"lr": None}, TypeError), ("LBFGS", {"max_iter": None}, TypeError),
]
# accepted at construction by torch (it fails at its first step; so does course, before anything changes)
TORCH_ACCEPTS = [("SGD", {"dampening": None}), ("SGD", {"momentum": 0.9, "dampening": "0"}), ("Rprop", {"step_sizes": None}),
                 ("Rprop", {"step_sizes": (1e-6,)}), ("ASGD", {"lambd": None}), ("ASGD", {"alpha": "0.75"}),
                 ("ASGD", {"t0": [1e6]}), ("Adam", {"betas": (0.9, 0.999, 0.5)}), ("Adam", {"amsgrad": np.array([True, False])}),
                 ("SGD", {"weight_decay": True}), ("Adam", {"lr": np.array(0.1)})]


@pytest.mark.parametrize("name,kwargs,error", BAD_TYPES, ids=[f"{n}-{k}" for n, k, _ in BAD_TYPES])
def test_bad_types_are_rejected_at_construction(name, kwargs, error):
    with pytest.raises(error) as info:
        getattr(optim, name)(params(), **kwargs)
    if error is not ValueError or "must be" in str(info.value):
        message = str(info.value)
        assert any(k in message for k in kwargs) or "learning rate" in message or "epsilon" in message, message
        assert any(repr(v) in message or str(v) in message for v in kwargs.values()) or "beta" in message, message


@pytest.mark.parametrize("name,kwargs,error", BAD_TYPES, ids=[f"{n}-{k}" for n, k, _ in BAD_TYPES])
def test_torch_rejects_the_same_types(name, kwargs, error):
    torch = pytest.importorskip("torch")
    with pytest.raises(error):
        getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(3))], **kwargs)


@pytest.mark.parametrize("name,kwargs", TORCH_ACCEPTS, ids=[f"{n}-{k}" for n, k in TORCH_ACCEPTS])
def test_what_torch_accepts_at_construction_is_refused_at_the_first_step(name, kwargs):
    ps = params()
    opt = getattr(optim, name)(ps, **kwargs)
    if name == "SGD" and "momentum" not in kwargs and "dampening" in kwargs:
        ps[0].grad = np.ones(3)
        opt.step()  # without momentum the dampening is never read: torch steps too
        opt.param_groups[0]["momentum"] = 0.9
    before = ps[0].data.copy()
    ps[0].grad = np.ones(3)
    with pytest.raises((TypeError, ValueError)) as info:
        opt.step()
    assert "param group 0" in str(info.value)
    assert np.array_equal(ps[0].data, before) and not opt.state.get(ps[0])


def test_lion_defaults_are_the_papers():
    opt = optim.Lion(params())
    assert (opt.defaults["lr"], opt.defaults["betas"], opt.defaults["weight_decay"]) == (1e-4, (0.9, 0.99), 0.0)


def test_bad_params_argument():
    p = course.Parameter(np.ones(2))
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(TypeError, match="Only Tensors of floating point and complex dtype"):
        optim.SGD([course.Parameter(np.arange(3))], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {p}}], lr=0.1)
    with pytest.raises(ValueError, match="per-parameter options"):
        optim.LBFGS([{"params": [p]}, {"params": [course.Parameter(np.ones(1))]}])
    with pytest.raises(ValueError, match="line_search_fn"):
        optim.LBFGS([p], line_search_fn="armijo")
