"""Live comparisons with torch.optim.lr_scheduler, where torch is importable (``python3 -m pytest``).

Random configurations of every scheduler, warnings, state-dict keys, loading torch's own
state dicts, and which bad arguments both reject.
"""
from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch.optim import lr_scheduler as TL  # noqa: E402

import course  # noqa: E402
import course.optim.lr_scheduler as L  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "make_scheduler_golden", Path(__file__).parent / "golden" / "make_scheduler_golden.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


def course_optimizer(kind, lrs):
    from course.optim import SGD, Adam

    groups = [{"params": [course.Parameter(np.zeros(1))], "lr": lr} for lr in lrs]
    if kind == "sgd":
        return SGD(groups, lr=lrs[0], momentum=0.9)
    if kind == "adam":
        return Adam(groups, lr=lrs[0])
    return SGD(groups, lr=lrs[0])


def S(cls, **kw):
    return {"cls": cls, "kw": kw}


def random_spec(name, rng):
    """A random valid configuration of scheduler ``name`` (as a generator case)."""
    u = lambda lo, hi: float(rng.uniform(lo, hi))  # noqa: E731
    i = lambda lo, hi: int(rng.integers(lo, hi))  # noqa: E731
    groups = [float(10 ** rng.uniform(-3, 0)) for _ in range(i(1, 4))]
    extra = {}
    if name == "LambdaLR":
        sched = S(name, lr_lambda=str(rng.choice(["@inv_decay", "@pow097", "@tenth_drop"])))
    elif name == "MultiplicativeLR":
        sched = S(name, lr_lambda=str(rng.choice(["@times098", "@tenth_drop"])))
    elif name == "StepLR":
        sched = S(name, step_size=i(1, 40), gamma=u(0.05, 1.2))
    elif name == "MultiStepLR":
        sched = S(name, milestones=sorted(int(m) for m in rng.integers(0, 150, i(0, 6))), gamma=u(0.1, 0.9))
    elif name == "ConstantLR":
        sched = S(name, factor=u(0.01, 1.0), total_iters=i(0, 100))
    elif name == "LinearLR":
        sched = S(name, start_factor=u(0.01, 1.0), end_factor=u(0.0, 1.0), total_iters=i(1, 120))
    elif name == "ExponentialLR":
        sched = S(name, gamma=u(0.9, 1.02))
    elif name == "PolynomialLR":
        sched = S(name, total_iters=i(1, 150), power=u(0.0, 3.0))
    elif name == "CosineAnnealingLR":
        sched = S(name, T_max=i(1, 80), eta_min=float(rng.choice([0.0, 1e-4, 1e-3])))
    elif name == "CosineAnnealingWarmRestarts":
        sched = S(name, T_0=i(1, 30), T_mult=i(1, 4), eta_min=float(rng.choice([0.0, 1e-4])))
        if rng.random() < 0.5:
            extra["epochs"] = {"kind": "fraction", "per_epoch": i(1, 9)}
    elif name == "CyclicLR":
        mode = str(rng.choice(["triangular", "triangular2", "exp_range"]))
        sched = S(name, base_lr=[g / 10 for g in groups], max_lr=groups, step_size_up=i(1, 30),
                  step_size_down=int(rng.choice([0, 5, 17])) if rng.random() < 0.5 else None, mode=mode,
                  gamma=u(0.95, 1.0), base_momentum=u(0.5, 0.85), max_momentum=u(0.86, 0.99))
        extra["opt"] = str(rng.choice(["sgd", "adam"]))
    elif name == "OneCycleLR":
        sched = S(name, max_lr=groups, total_steps=200, pct_start=u(0.05, 0.6),
                  anneal_strategy=str(rng.choice(["cos", "linear"])), three_phase=bool(rng.random() < 0.5),
                  div_factor=u(2.0, 50.0), final_div_factor=u(10.0, 1e5))
        extra["opt"] = str(rng.choice(["sgd", "adam"]))
    elif name == "ReduceLROnPlateau":
        sched = S(name, mode=str(rng.choice(["min", "max"])), factor=u(0.05, 0.9), patience=i(0, 6),
                  threshold=float(rng.choice([0.0, 1e-4, 0.01])), threshold_mode=str(rng.choice(["rel", "abs"])),
                  cooldown=i(0, 4), min_lr=float(rng.choice([0.0, 1e-4])), eps=float(rng.choice([1e-8, 1e-4])))
        extra["metrics"] = {"seed": i(0, 1000), "kind": str(rng.choice(["noisy", "plateau", "rising", "flat"])),
                            "nan_at": [int(k) for k in rng.integers(0, 200, i(0, 3))]}
    elif name == "SequentialLR":
        sched = {"cls": name, "kw": {"milestones": [i(1, 40), i(41, 120)]},
                 "schedulers": [S("LinearLR", start_factor=u(0.05, 1.0), total_iters=i(1, 40)),
                                S("CosineAnnealingLR", T_max=i(5, 100)), S("ExponentialLR", gamma=u(0.9, 1.0))]}
    else:  # ChainedScheduler
        sched = {"cls": name, "schedulers": [S("ConstantLR", factor=u(0.1, 1.0), total_iters=i(0, 30)),
                                             S("StepLR", step_size=i(1, 30), gamma=u(0.1, 0.9)),
                                             S("CosineAnnealingLR", T_max=i(5, 100))]}
    return {"id": name, "sched": sched, "steps": 200, "groups": groups, "opt": extra.pop("opt", "sgd"), **extra}


NAMES = [n for n in L.__all__ if n not in ("LRScheduler", "simulate")]


@pytest.mark.parametrize("name", NAMES)
def test_random_configurations_match_torch(name):
    rng = np.random.default_rng(NAMES.index(name))
    for _ in range(12):
        spec = random_spec(name, rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = gen.run_case(L, course_optimizer, spec)
            ref = gen.run_case(TL, gen.torch_optimizer, spec)
        for key in ref:
            np.testing.assert_allclose(ours[key], ref[key], rtol=1e-12, atol=0, err_msg=f"{spec} {key}")


def both(make):
    """The same construction with torch (torch optimizer) and with course."""
    t_opt = gen.torch_optimizer("sgd", [0.1, 0.05])
    c_opt = course_optimizer("sgd", [0.1, 0.05])
    return (t_opt, make(TL, t_opt)), (c_opt, make(L, c_opt))


MAKERS = {
    "LambdaLR": lambda M, o: M.LambdaLR(o, gen.Warmup(7)),
    "MultiplicativeLR": lambda M, o: M.MultiplicativeLR(o, gen.times098),
    "StepLR": lambda M, o: M.StepLR(o, 9, 0.7),
    "MultiStepLR": lambda M, o: M.MultiStepLR(o, [5, 30, 31]),
    "ConstantLR": lambda M, o: M.ConstantLR(o, factor=0.4, total_iters=33),
    "LinearLR": lambda M, o: M.LinearLR(o, start_factor=0.1, total_iters=50),
    "ExponentialLR": lambda M, o: M.ExponentialLR(o, gamma=0.98),
    "PolynomialLR": lambda M, o: M.PolynomialLR(o, total_iters=70, power=2.0),
    "CosineAnnealingLR": lambda M, o: M.CosineAnnealingLR(o, T_max=17, eta_min=1e-3),
    "CosineAnnealingWarmRestarts": lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2),
    "CyclicLR": lambda M, o: M.CyclicLR(o, 0.01, 0.1, step_size_up=7, mode="triangular2"),
    "OneCycleLR": lambda M, o: M.OneCycleLR(o, max_lr=0.3, total_steps=100, three_phase=True),
    "ReduceLROnPlateau": lambda M, o: M.ReduceLROnPlateau(o, patience=2, cooldown=1, factor=0.5),
    "SequentialLR": lambda M, o: M.SequentialLR(
        o, [M.LinearLR(o, start_factor=0.1, total_iters=5), M.ExponentialLR(o, gamma=0.95)], milestones=[5]),
    "ChainedScheduler": lambda M, o: M.ChainedScheduler(
        [M.ConstantLR(o, factor=0.5, total_iters=10), M.CosineAnnealingLR(o, T_max=30)]),
}


def step(opt, sched, i):
    opt.step()
    sched.step(1.0 / (1 + i % 7)) if isinstance(sched, (TL.ReduceLROnPlateau, L.ReduceLROnPlateau)) else sched.step()


@pytest.mark.parametrize("name", list(MAKERS))
def test_state_dict_has_torch_keys_and_loads_torch_state(name):
    (t_opt, t_sched), (c_opt, c_sched) = both(MAKERS[name])
    assert set(c_sched.state_dict()) == set(t_sched.state_dict())
    for i in range(23):
        step(t_opt, t_sched, i)
    # resume course's fresh scheduler from torch's state (plain Python values) and go on together
    c_sched.load_state_dict(t_sched.state_dict())
    for c_group, t_group in zip(c_opt.param_groups, t_opt.param_groups):
        c_group.update({k: v for k, v in t_group.items() if k != "params"})
    for i in range(23, 60):
        step(t_opt, t_sched, i)
        step(c_opt, c_sched, i)
        assert c_sched.get_last_lr() == t_sched.get_last_lr()


def messages(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def test_warnings_are_torchs():
    (t_opt, t_sched), (c_opt, c_sched) = both(MAKERS["StepLR"])
    assert messages(t_sched.step) == messages(c_sched.step) != []  # step before optimizer.step()
    (t_opt, t_sched), (c_opt, c_sched) = both(MAKERS["StepLR"])
    t_opt.step, c_opt.step = (lambda closure=None: None), (lambda closure=None: None)
    assert messages(t_sched.step) == messages(c_sched.step) != []
    (t_opt, t_sched), (c_opt, c_sched) = both(MAKERS["StepLR"])
    t_opt.step()
    c_opt.step()
    assert messages(lambda: t_sched.step(3)) == messages(lambda: c_sched.step(3)) != []
    assert messages(t_sched.get_lr) == messages(c_sched.get_lr) != []


def test_plateau_metric_like_torch():
    (t_opt, t_sched), (c_opt, c_sched) = both(MAKERS["ReduceLROnPlateau"])
    for value in [0.5, torch.tensor(0.4), np.asarray(0.4), course.tensor(0.3), float("nan")]:
        t_sched.step(value if not isinstance(value, course.Tensor) else float(value))
        c_sched.step(value if not isinstance(value, torch.Tensor) else float(value))
        assert (c_sched.best, c_sched.num_bad_epochs) == (t_sched.best, t_sched.num_bad_epochs) or (
            np.isnan(c_sched.best) and np.isnan(t_sched.best))


TORCH_REJECTS = [
    lambda M, o: M.ConstantLR(o, factor=1.5),
    lambda M, o: M.LinearLR(o, start_factor=0.0),
    lambda M, o: M.LinearLR(o, end_factor=2.0),
    lambda M, o: M.ReduceLROnPlateau(o, factor=1.0),
    lambda M, o: M.ReduceLROnPlateau(o, mode="up"),
    lambda M, o: M.ReduceLROnPlateau(o, threshold_mode="x"),
    lambda M, o: M.ReduceLROnPlateau(o, min_lr=[0.0]),
    lambda M, o: M.CyclicLR(o, 0.01, 0.1, mode="x"),
    lambda M, o: M.CyclicLR(o, [0.01], 0.1),
    lambda M, o: M.OneCycleLR(o, 0.1),
    lambda M, o: M.OneCycleLR(o, 0.1, total_steps=0),
    lambda M, o: M.OneCycleLR(o, 0.1, total_steps=10, pct_start=2.0),
    lambda M, o: M.OneCycleLR(o, 0.1, total_steps=10, anneal_strategy="x"),
    lambda M, o: M.OneCycleLR(o, 0.1, epochs=1, steps_per_epoch=0),
    lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    lambda M, o: M.LambdaLR(o, [gen.inv_decay]),
    lambda M, o: M.SequentialLR(o, [], []),
]


@pytest.mark.parametrize("make", TORCH_REJECTS)
def test_what_torch_rejects_is_rejected_alike(make):
    t_opt = gen.torch_optimizer("sgd", [0.1, 0.05])
    c_opt = course_optimizer("sgd", [0.1, 0.05])
    with pytest.raises(ValueError) as t_err:
        make(TL, t_opt)
    with pytest.raises(ValueError) as c_err:
        make(L, c_opt)
    # same message, perhaps with the argument's name and value added
    assert str(c_err.value).startswith(str(t_err.value).rstrip(".!").split(",")[0].split("(")[0].strip())


def test_onecycle_overstep_message_is_torchs():
    (t_opt, t_sched), (c_opt, c_sched) = both(lambda M, o: M.OneCycleLR(o, 0.1, total_steps=5))
    for i in range(5):
        step(t_opt, t_sched, i)
        step(c_opt, c_sched, i)
    with pytest.raises(ValueError) as t_err:
        step(t_opt, t_sched, 5)
    with pytest.raises(ValueError) as c_err:
        step(c_opt, c_sched, 5)
    assert str(c_err.value) == str(t_err.value)


@pytest.mark.parametrize("name", [n for n in __import__("course.optim", fromlist=["__all__"]).__all__
                                  if hasattr(torch.optim, n) and n != "Optimizer"
                                  and isinstance(getattr(torch.optim, n), type)])
def test_momentum_cycling_accepts_the_same_optimizers_as_torch(name):
    import course.optim as optim

    t_opt = getattr(torch.optim, name)([torch.nn.Parameter(torch.zeros(1, 1))], lr=0.01)  # 2-D for Muon
    c_opt = getattr(optim, name)([course.Parameter(np.zeros((1, 1)))], lr=0.01)
    outcomes = []
    for M, opt in ((TL, t_opt), (L, c_opt)):
        try:
            M.CyclicLR(opt, 0.001, 0.01)
            outcomes.append(None)
        except ValueError:
            outcomes.append(ValueError)
    assert outcomes[0] == outcomes[1]
    assert [g.get("momentum", g.get("betas")) for g in c_opt.param_groups] == [
        g.get("momentum", g.get("betas")) for g in t_opt.param_groups]
