"""All or nothing: a scheduler step, or a load, that raises changes nothing; and it raises when torch does.

Two parts:

* regression tests, one per bug that was reproduced against torch 2.13 (each also checks
  torch's exception type where torch is importable);
* a property-based suite (hypothesis): random schedulers and hyperparameters, random
  sequences of ``step()``, ``step(epoch)``, ``step(metric, epoch)``, ``add_param_group``,
  ``state_dict``/``load_state_dict`` of saved states, and ``load_state_dict`` of corrupted
  state dicts (missing keys, wrong types, None, NaN/inf, a str where a dict is needed).
  Properties: a call that raises leaves the scheduler's ``__dict__`` (deep, NaN-aware, the
  sub-schedulers and callable objects included) and the optimizer's param groups as they
  were; where torch is importable, course raises exactly when torch raises, with torch's
  exception type, and after an accepted call the lrs, momenta, ``get_last_lr()`` and
  ``state_dict()`` equal torch's, bit for bit.

Where the types may differ (each case is counted in ``TALLY``, and printed by the last test):

* torch raises ``AttributeError`` or ``IndexError`` from the inside of its load_state_dict
  (``None.pop``, ``lr_lambdas[i]`` past the end): course raises a TypeError or ValueError
  that names the key.
* torch iterates a str given where a dict or a list of dicts is needed and fails with
  ``ValueError`` ("dictionary update sequence element..."): course says TypeError.
* torch accepts garbage at load (or a non-number epoch for ReduceLROnPlateau) and fails,
  or goes wrong silently, later: course refuses it at once (TypeError or ValueError).

To keep torch and course in step after a call that raised, the test puts torch's scheduler
back as it was (torch's own failed calls leave partial changes: that is the bug fixed here).
"""
from __future__ import annotations

import copy
import importlib.util
import math
import types
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import course
import course.optim.lr_scheduler as L
from course.optim.lr_scheduler.base import MissingKeyError

try:
    import torch
    from torch.optim import lr_scheduler as TL
except ImportError:  # the suite runs without torch; the comparisons are skipped
    torch = TL = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not importable")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # the step-order and epoch warnings

_spec = importlib.util.spec_from_file_location(
    "make_scheduler_golden_atomic", Path(__file__).parent / "golden" / "make_scheduler_golden.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)  # its own copy: the functions added below stay in this module


def flaky_decay(epoch):
    """A user lambda that raises at some epochs."""
    if epoch % 11 == 7 or epoch > 45:
        raise ArithmeticError(f"flaky_decay refuses epoch {epoch}")
    return 0.97**epoch


def flaky_factor(epoch):
    if epoch % 9 == 5:
        raise ArithmeticError(f"flaky_factor refuses epoch {epoch}")
    return 0.98


gen.FUNCTIONS.update(flaky_decay=flaky_decay, flaky_factor=flaky_factor)

TALLY: Counter = Counter()


# ----------------------------------------------------------------------- helpers
def course_optimizer(kind, lrs):
    from course.optim import SGD, Adam

    groups = [{"params": [course.Parameter(np.zeros(1))], "lr": lr} for lr in lrs]
    if kind == "sgd":
        return SGD(groups, lr=lrs[0], momentum=0.9)
    if kind == "adam":
        return Adam(groups, lr=lrs[0])
    return SGD(groups, lr=lrs[0])


def new_param(lib):
    return torch.nn.Parameter(torch.zeros(1)) if lib == "torch" else course.Parameter(np.zeros(1))


def sgd(lrs=(0.1,)):
    return course_optimizer("sgd", list(lrs))


def hyper(opt):
    return [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]


def tree(sched):
    """The scheduler and its sub-schedulers."""
    out = [sched]
    for sub in sched.__dict__.get("_schedulers", ()):
        out.extend(tree(sub))
    return out


def snapshot(sched, opt):
    """A deep copy of everything a failed call must leave alone (the optimizer object is shared)."""
    memo = {id(opt): opt}
    return (copy.deepcopy(sched.__dict__, memo), copy.deepcopy(hyper(opt)),
            [list(g["params"]) for g in opt.param_groups])


def same(a, b) -> bool:
    """Deep equality, NaN equal to NaN, types included; objects by their ``__dict__``."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))
    if isinstance(a, (types.FunctionType, types.BuiltinFunctionType, types.MethodType, type)):
        return False  # not the same object
    if isinstance(getattr(a, "__dict__", None), dict):
        return same(vars(a), vars(b))
    return a == b


def unchanged(sched, opt, before) -> bool:
    state, groups, params = before
    return (same(sched.__dict__, state) and same(hyper(opt), groups)
            and all(a is b for g, ps in zip(opt.param_groups, params) for a, b in zip(g["params"], ps))
            and len(opt.param_groups) == len(params))


def outcome(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn()
        except Exception as err:  # noqa: BLE001 - the test compares what was raised
            return err
    return None


def fails_and_changes_nothing(sched, opt, call, error=Exception):
    before = snapshot(sched, opt)
    err = outcome(call)
    assert isinstance(err, error), f"expected {error.__name__}, got {err!r}"
    assert unchanged(sched, opt, before), f"{call} raised {err!r} but changed the state"
    return err


def torch_type(make, call):
    """The type torch raises for the same call (None where torch is not importable)."""
    if torch is None:
        return None
    opt = gen.torch_optimizer("sgd", [0.1])
    sched = make(TL, opt)
    err = outcome(lambda: call(TL, opt, sched))
    return type(err) if err is not None else None


def add_group(lib, opt, lr=0.3):
    opt.add_param_group({"params": [new_param(lib)], "lr": lr})


# ------------------------------------------------------------ regression tests
@pytest.mark.parametrize("cycle_momentum", [True, False])
@pytest.mark.parametrize("epoch", [None, 3])
def test_cycliclr_after_add_param_group_raises_like_torch_and_writes_no_group(cycle_momentum, epoch):
    def make(M, o):
        return M.CyclicLR(o, 0.01, 0.1, step_size_up=3, cycle_momentum=cycle_momentum)

    def call(M, o, s):
        add_group("torch" if M is TL else "course", o)
        s.step(epoch)

    opt = sgd()
    sched = make(L, opt)
    add_group("course", opt)
    err = fails_and_changes_nothing(sched, opt, lambda: sched.step(epoch), ValueError)
    assert "param group added" in str(err)
    expected = torch_type(make, call)
    assert expected in (None, ValueError)


@pytest.mark.parametrize("epoch", [None, 2, 5.5])
def test_warm_restarts_after_add_param_group_keeps_last_epoch_and_t_cur(epoch):
    opt = sgd()
    sched = L.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2)
    for _ in range(4):
        sched.step()
    add_group("course", opt)
    fails_and_changes_nothing(sched, opt, lambda: sched.step(epoch), ValueError)
    assert (sched.last_epoch, sched.T_cur, sched.T_i) == (4, 1, 6)
    assert torch_type(lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
                      lambda M, o, s: (add_group("torch", o), s.step(epoch))) in (None, ValueError)


@pytest.mark.parametrize("key, value, error", [
    ("mode", "foo", ValueError), ("mode", None, TypeError), ("threshold_mode", "foo", ValueError),
    ("threshold_mode", 3, TypeError), ("factor", 1.5, ValueError), ("factor", "x", TypeError),
    ("patience", -1, ValueError), ("patience", 2.5, TypeError), ("cooldown", None, TypeError),
    ("min_lrs", None, TypeError), ("best", float("nan"), ValueError), ("eps", -1.0, ValueError),
])
def test_plateau_load_refuses_bad_values_and_keeps_its_state(key, value, error):
    opt = sgd()
    sched = L.ReduceLROnPlateau(opt, patience=1)
    sched.step(1.0)
    state = sched.state_dict()
    state[key] = value
    err = fails_and_changes_nothing(sched, opt, lambda: sched.load_state_dict(state), error)
    assert key.replace("_", " ") in str(err) or key in str(err)
    assert sched.mode == "min" and sched.threshold_mode == "rel"
    if key in ("mode", "threshold_mode"):  # where torch raises, the same type
        def call(M, o, s):
            bad = s.state_dict()
            bad[key] = value
            s.load_state_dict(bad)
        assert torch_type(lambda M, o: M.ReduceLROnPlateau(o), call) in (None, error)


ALL = {
    "LambdaLR": lambda M, o: M.LambdaLR(o, gen.Warmup(5)),
    "MultiplicativeLR": lambda M, o: M.MultiplicativeLR(o, gen.times098),
    "StepLR": lambda M, o: M.StepLR(o, 3, 0.5),
    "MultiStepLR": lambda M, o: M.MultiStepLR(o, [2, 4]),
    "ConstantLR": lambda M, o: M.ConstantLR(o, factor=0.5, total_iters=3),
    "LinearLR": lambda M, o: M.LinearLR(o, start_factor=0.2, total_iters=4),
    "ExponentialLR": lambda M, o: M.ExponentialLR(o, gamma=0.9),
    "PolynomialLR": lambda M, o: M.PolynomialLR(o, total_iters=6, power=2.0),
    "CosineAnnealingLR": lambda M, o: M.CosineAnnealingLR(o, T_max=5),
    "CosineAnnealingWarmRestarts": lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=3),
    "CyclicLR": lambda M, o: M.CyclicLR(o, 0.01, 0.1, step_size_up=3, scale_fn=gen.Warmup(3)),
    "OneCycleLR": lambda M, o: M.OneCycleLR(o, max_lr=0.3, total_steps=20),
    "ReduceLROnPlateau": lambda M, o: M.ReduceLROnPlateau(o, patience=1),
    "SequentialLR": lambda M, o: M.SequentialLR(
        o, [M.ConstantLR(o, factor=0.5, total_iters=2), M.LambdaLR(o, gen.inv_decay)], milestones=[2]),
    "ChainedScheduler": lambda M, o: M.ChainedScheduler(
        [M.ConstantLR(o, factor=0.5, total_iters=2), M.ExponentialLR(o, gamma=0.9)]),
}


@pytest.mark.parametrize("name", list(ALL))
@pytest.mark.parametrize("bad", [None, "x", 5, [("last_epoch", 3)]], ids=["None", "str", "int", "pairs"])
def test_load_state_dict_of_a_non_dict_is_a_type_error_and_changes_nothing(name, bad):
    opt = sgd()
    sched = ALL[name](L, opt)
    err = fails_and_changes_nothing(sched, opt, lambda: sched.load_state_dict(bad), TypeError)
    assert "expects a dict" in str(err) and type(bad).__name__ in str(err)


@pytest.mark.parametrize("name, key", [("LambdaLR", "lr_lambdas"), ("MultiplicativeLR", "lr_lambdas"),
                                       ("CyclicLR", "_scale_fn_custom"), ("SequentialLR", "_schedulers"),
                                       ("ChainedScheduler", "_schedulers")])
def test_missing_key_torch_needs_is_its_key_error_and_a_value_error(name, key):
    opt = sgd()
    sched = ALL[name](L, opt)
    state = sched.state_dict()
    del state[key]
    err = fails_and_changes_nothing(sched, opt, lambda: sched.load_state_dict(state), KeyError)
    assert isinstance(err, ValueError) and isinstance(err, MissingKeyError)
    assert repr(key) in str(err) and not str(err).startswith('"')  # a sentence, not a quoted key

    def call(M, o, s):
        bad = s.state_dict()
        del bad[key]
        s.load_state_dict(bad)
    assert torch_type(ALL[name], call) in (None, KeyError)


@pytest.mark.parametrize("name", list(ALL))
def test_own_state_loads_back_and_the_schedule_goes_on_identically(name):
    def run(reload):
        opt = sgd((0.1, 0.05))
        sched = ALL[name](L, opt)
        seen = []
        for i in range(12):
            opt.step()
            sched.step(1.0 / (1 + i % 4)) if name == "ReduceLROnPlateau" else sched.step()
            if reload:
                sched.load_state_dict(sched.state_dict())
            seen.append([g["lr"] for g in opt.param_groups])
        return seen

    assert outcome(lambda: run(True)) is None
    assert run(True) == run(False)


def test_lambda_that_raises_changes_nothing_not_even_the_callable_objects():
    class Counting:
        def __init__(self):
            self.calls = 0

        def __call__(self, epoch):
            self.calls += 1
            if epoch == 3:
                raise ArithmeticError("no epoch 3")
            return 0.5

    first, second = Counting(), Counting()
    opt = sgd((0.1, 0.2))
    sched = L.LambdaLR(opt, [first, second])
    sched.step()
    sched.step()
    # at epoch 3 the first object counts a call, then the second raises
    fails_and_changes_nothing(sched, opt, sched.step, ArithmeticError)
    assert (first.calls, second.calls) == (3, 3) and sched.last_epoch == 2
    mult = L.MultiplicativeLR(opt, [first, second])
    fails_and_changes_nothing(mult, opt, lambda: mult.step(3), ArithmeticError)


def test_chained_scheduler_undoes_the_schedulers_before_the_one_that_failed():
    opt = sgd()
    sched = L.ChainedScheduler([L.ExponentialLR(opt, gamma=0.5), L.MultiplicativeLR(opt, flaky_factor)])
    for _ in range(4):
        sched.step()
    fails_and_changes_nothing(sched, opt, sched.step, ArithmeticError)  # epoch 5: the second raises
    assert sched._schedulers[0].last_epoch == 4


def test_sequential_failure_changes_neither_it_nor_its_schedulers():
    opt = sgd()
    sched = L.SequentialLR(opt, [L.ConstantLR(opt, factor=0.5, total_iters=2),
                                 L.LambdaLR(opt, flaky_decay)], milestones=[2])
    for _ in range(8):  # LambdaLR restarts at epoch 2: it is at its epoch 6
        sched.step()
    fails_and_changes_nothing(sched, opt, sched.step, ArithmeticError)  # flaky_decay(7)
    assert (sched.last_epoch, sched._schedulers[1].last_epoch) == (8, 6)
    # a group added before the milestone: the restart's closed form has one base_lr too few
    opt = sgd()
    sched = L.SequentialLR(opt, [L.ConstantLR(opt, factor=0.5, total_iters=5),
                                 L.ExponentialLR(opt, gamma=0.9)], milestones=[2])
    sched.step()
    add_group("course", opt)
    fails_and_changes_nothing(sched, opt, sched.step, ValueError)
    assert torch_type(lambda M, o: M.SequentialLR(o, [M.ConstantLR(o, factor=0.5, total_iters=5),
                                                      M.ExponentialLR(o, gamma=0.9)], milestones=[2]),
                      lambda M, o, s: (s.step(), add_group("torch", o), s.step())) in (None, ValueError)


def test_onecycle_group_added_without_its_keys_is_a_key_error_and_nothing_changes():
    opt = sgd()
    sched = L.OneCycleLR(opt, max_lr=0.3, total_steps=20)
    add_group("course", opt)
    err = fails_and_changes_nothing(sched, opt, sched.step, KeyError)
    assert "param_groups[1] has no 'initial_lr'" in str(err)
    opt.param_groups[1].update(initial_lr=0.01, max_lr=0.2, min_lr=1e-5, max_momentum=0.95, base_momentum=0.85)
    sched.step()  # with the keys, a new group is scheduled as in torch


def test_plateau_runtime_error_after_add_param_group_changes_nothing():
    opt = sgd()
    sched = L.ReduceLROnPlateau(opt, patience=0, min_lr=[0.0])
    sched.step(1.0)
    add_group("course", opt)
    fails_and_changes_nothing(sched, opt, lambda: sched.step(2.0), RuntimeError)
    assert sched.num_bad_epochs == 0 and sched.last_epoch == 1


@pytest.mark.parametrize("epoch, error", [(float("nan"), ValueError), (float("inf"), OverflowError),
                                          (-1, ValueError), ("3", TypeError)])
def test_warm_restarts_bad_epoch_raises_torchs_type_and_changes_nothing(epoch, error):
    opt = sgd()
    sched = L.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2)
    fails_and_changes_nothing(sched, opt, lambda: sched.step(epoch), error)
    assert torch_type(lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
                      lambda M, o, s: s.step(epoch)) in (None, error)


def test_a_construction_that_fails_leaves_the_param_groups_as_they_were():
    opt = sgd()
    before = copy.deepcopy(hyper(opt))
    assert isinstance(outcome(lambda: L.LambdaLR(opt, lambda e: 1 / 0)), ZeroDivisionError)
    assert isinstance(outcome(lambda: L.OneCycleLR(opt, max_lr=0.3, total_steps=10, pct_start=0.1)),
                      ZeroDivisionError)  # torch too: the first phase has no length
    assert isinstance(outcome(lambda: L.CyclicLR(opt, 0.01, 0.1, scale_fn=lambda x: 1 / 0)), ZeroDivisionError)
    assert hyper(opt) == before  # no initial_lr, max_lr, momentum ... left behind


def test_plateau_non_number_epoch_is_refused_at_once():
    # torch stores the epoch and fails at the next step ('x' + 1): course refuses it here
    opt = sgd()
    sched = L.ReduceLROnPlateau(opt)
    err = fails_and_changes_nothing(sched, opt, lambda: sched.step(1.0, "x"), TypeError)
    assert "epoch" in str(err)


# ============================================================ the property suite
FLOAT = dict(allow_nan=False, allow_infinity=False)
LAMBDAS = ["@inv_decay", "@pow097", "@tenth_drop", "@flaky_decay", "@Warmup(4)", "@Warmup(9)"]
FACTORS = ["@times098", "@tenth_drop", "@flaky_factor", "@Warmup(6)"]
CHAINABLE = ["LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
             "ExponentialLR", "PolynomialLR", "CosineAnnealingLR"]
NAMES = CHAINABLE + ["CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR", "ReduceLROnPlateau",
                     "SequentialLR", "ChainedScheduler"]


def per_group(draw, n, values):
    """One value for all groups, or a list with one per group."""
    if draw(st.booleans()):
        return draw(values)
    return [draw(values) for _ in range(n)]


@st.composite
def scheduler_spec(draw, name, n, opt):
    """A valid configuration of scheduler ``name`` (a gen-style spec) for ``n`` groups."""
    u = lambda lo, hi: st.floats(lo, hi, **FLOAT)  # noqa: E731
    i = st.integers
    if name == "LambdaLR":
        return gen.S(name, lr_lambda=per_group(draw, n, st.sampled_from(LAMBDAS)))
    if name == "MultiplicativeLR":
        return gen.S(name, lr_lambda=per_group(draw, n, st.sampled_from(FACTORS)))
    if name == "StepLR":
        return gen.S(name, step_size=draw(i(1, 12)), gamma=draw(u(0.05, 1.2)))
    if name == "MultiStepLR":
        return gen.S(name, milestones=sorted(draw(st.lists(i(0, 25), max_size=4))), gamma=draw(u(0.05, 0.95)))
    if name == "ConstantLR":
        return gen.S(name, factor=draw(st.one_of(u(0.0, 1.0), st.just(0.0))), total_iters=draw(i(0, 12)))
    if name == "LinearLR":
        return gen.S(name, start_factor=draw(u(0.01, 1.0)), end_factor=draw(u(0.0, 1.0)), total_iters=draw(i(1, 15)))
    if name == "ExponentialLR":
        return gen.S(name, gamma=draw(u(0.5, 1.05)))
    if name == "PolynomialLR":
        return gen.S(name, total_iters=draw(i(1, 15)), power=draw(u(0.0, 3.0)))
    if name == "CosineAnnealingLR":
        return gen.S(name, T_max=draw(i(1, 15)), eta_min=draw(st.sampled_from([0.0, 1e-4, 1e-3])))
    if name == "CosineAnnealingWarmRestarts":
        return gen.S(name, T_0=draw(i(1, 8)), T_mult=draw(i(1, 3)), eta_min=draw(st.sampled_from([0.0, 1e-4])))
    if name == "CyclicLR":
        kw = dict(base_lr=per_group(draw, n, u(1e-4, 1e-2)), max_lr=per_group(draw, n, u(0.02, 0.5)),
                  step_size_up=draw(i(1, 8)), step_size_down=draw(st.one_of(st.none(), i(0, 8))),
                  mode=draw(st.sampled_from(["triangular", "triangular2", "exp_range"])), gamma=draw(u(0.9, 1.0)),
                  cycle_momentum=opt != "plain" and draw(st.booleans()),
                  base_momentum=per_group(draw, n, u(0.5, 0.85)), max_momentum=per_group(draw, n, u(0.86, 0.99)))
        fn = draw(st.sampled_from([None, None, "@sine_scale", "@decay_scale", "@Warmup(5)"]))
        if fn is not None:
            kw.update(scale_fn=fn, scale_mode=draw(st.sampled_from(["cycle", "iterations"])))
        return gen.S(name, **kw)
    if name == "OneCycleLR":
        return gen.S(name, max_lr=per_group(draw, n, u(0.01, 1.0)), total_steps=draw(i(4, 30)),
                     pct_start=draw(u(0.05, 0.6)), anneal_strategy=draw(st.sampled_from(["cos", "linear"])),
                     three_phase=draw(st.booleans()), div_factor=draw(u(2.0, 50.0)),
                     final_div_factor=draw(u(10.0, 1e4)), cycle_momentum=opt != "plain" and draw(st.booleans()))
    if name == "ReduceLROnPlateau":
        return gen.S(name, mode=draw(st.sampled_from(["min", "max"])), factor=draw(u(0.0, 0.9)),
                     patience=draw(i(0, 3)), threshold=draw(st.sampled_from([0.0, 1e-4, 0.01])),
                     threshold_mode=draw(st.sampled_from(["rel", "abs"])), cooldown=draw(i(0, 2)),
                     min_lr=per_group(draw, n, st.sampled_from([0.0, 1e-4, 1e-3])),
                     eps=draw(st.sampled_from([1e-8, 1e-4])))
    subs = [draw(scheduler_spec(draw(st.sampled_from(CHAINABLE)), n, opt))
            for _ in range(draw(i(1, 3)))]
    if name == "ChainedScheduler":
        return {"cls": name, "schedulers": subs}
    milestones = sorted(draw(st.sets(i(0, 20), min_size=len(subs) - 1, max_size=len(subs) - 1)))
    return {"cls": name, "kw": {"milestones": milestones}, "schedulers": subs}


KINDS = {"None": None, "str": "x", "neg": -1, "float": 1.5, "negfloat": -0.5, "nan": math.nan, "inf": math.inf,
         "list": [], "dict": {}, "zero": 0, "true": True, "big": 10**6}
EPOCHS = st.one_of(st.integers(-2, 60), st.floats(-1.0, 60.0, **FLOAT),
                   st.sampled_from([math.nan, math.inf, -math.inf, "x", None]))
METRICS = st.one_of(st.floats(-10, 10, **FLOAT), st.sampled_from([math.nan, math.inf, -math.inf, None, 1.0]))
CORRUPTIONS = st.one_of(
    st.tuples(st.just("whole"), st.sampled_from(["None", "str", "list", "zero"])),
    st.tuples(st.just("missing"), st.integers(0, 99)),
    st.tuples(st.just("key"), st.integers(0, 99), st.sampled_from(sorted(KINDS))),
    st.tuples(st.just("inner"), st.integers(0, 9), st.integers(0, 99), st.sampled_from(sorted(KINDS) + ["missing"])),
    st.tuples(st.just("inner_whole"), st.integers(0, 9), st.sampled_from(["None", "str"])),
)


@st.composite
def scenarios(draw):
    name = draw(st.sampled_from(NAMES))
    n = draw(st.integers(1, 3))
    opt = draw(st.sampled_from(["sgd", "adam", "plain"] if name in ("CyclicLR", "OneCycleLR") else ["sgd"]))
    spec = {"sched": draw(scheduler_spec(name, n, opt)), "opt": opt,
            "groups": [draw(st.floats(1e-3, 1.0, **FLOAT)) for _ in range(n)]}
    step = st.just(("step",))
    if name == "ReduceLROnPlateau":
        step = st.tuples(st.just("metric"), METRICS, st.one_of(st.none(), st.none(), st.integers(0, 50),
                                                               st.just("x")))
    op = st.one_of(
        step, step, step, step, step, step, step, step,
        st.tuples(st.just("step_epoch"), EPOCHS), st.tuples(st.just("step_epoch"), EPOCHS),
        st.tuples(st.just("add_group"), st.floats(1e-3, 1.0, **FLOAT), st.sampled_from(["plain", "keys"])),
        st.just(("save",)), st.just(("load_saved",)), st.just(("load_own",)),
        st.tuples(st.just("load_bad"), CORRUPTIONS), st.tuples(st.just("load_bad"), CORRUPTIONS),
    )
    return spec, draw(st.lists(op, min_size=8, max_size=30))


def corrupt(state, corruption):
    """A corrupted copy of ``state``, or None where the corruption does not apply to it.

    Returns ``(bad_state, str_for_container)``: the second says a str stands where torch
    iterates a dict or a list of dicts (torch's ValueError there is course's TypeError).
    """
    kind = corruption[0]
    if kind == "whole":
        value = KINDS[corruption[1]]
        return value, isinstance(value, str)
    state = copy.deepcopy(state)
    target = state
    if kind in ("inner", "inner_whole"):
        inner = state.get("_schedulers")
        if not inner:
            return None
        index = corruption[1] % len(inner)
        if kind == "inner_whole":
            inner[index] = KINDS[corruption[2]]
            return state, isinstance(inner[index], str)
        target = inner[index]
        corruption = corruption[1:]
        kind = "missing" if corruption[2] == "missing" else "key"
    keys = sorted(target)
    key = keys[corruption[1] % len(keys)]
    if kind == "missing":
        del target[key]
        return state, False
    old = target[key]
    target[key] = copy.deepcopy(KINDS[corruption[2]])
    str_for_container = isinstance(target[key], str) and isinstance(old, (list, tuple, dict)) and old != []
    return state, str_for_container


def momentum_keys(group):
    return {k: group[k] for k in ("lr", "initial_lr", "momentum", "betas", "max_lr", "min_lr", "max_momentum",
                                  "base_momentum") if k in group}


class Side:
    """One library's optimizer and scheduler, and the calls of a scenario on them."""

    def __init__(self, lib, spec):
        self.lib = lib
        self.M = TL if lib == "torch" else L
        make = gen.torch_optimizer if lib == "torch" else course_optimizer
        self.opt = make(spec["opt"], spec["groups"])
        self.sched = None
        self.saved = None
        self.error = outcome(lambda: setattr(self, "sched", gen.build(self.M, self.opt, spec["sched"])))

    def call(self, op):
        s, opt = self.sched, self.opt
        kind = op[0]
        if kind == "step":
            return outcome(s.step)
        if kind == "metric":
            return outcome(lambda: s.step(op[1], op[2]) if op[2] is not None else s.step(op[1]))
        if kind == "step_epoch":
            return outcome(lambda: s.step(op[1]))
        if kind == "add_group":
            group = {"params": [new_param(self.lib)], "lr": op[1]}
            if op[2] == "keys":  # what OneCycleLR and SequentialLR need in a group
                group.update(initial_lr=op[1], max_lr=2 * op[1], min_lr=op[1] / 100, max_momentum=0.95,
                             base_momentum=0.85)
            return outcome(lambda: opt.add_param_group(group))
        if kind == "save":
            return outcome(lambda: setattr(self, "saved", copy.deepcopy(s.state_dict())))
        if kind == "load_saved":
            return outcome(lambda: s.load_state_dict(copy.deepcopy(self.saved)) if self.saved is not None else None)
        if kind == "load_own":
            return outcome(lambda: s.load_state_dict(s.state_dict()))
        raise AssertionError(op)

    def load(self, bad):
        return outcome(lambda: self.sched.load_state_dict(bad))

    # torch's failed calls leave partial changes: put it back, to go on in step with course
    def keep(self):
        objs = tree(self.sched)
        memo = {id(self.opt): self.opt, **{id(o): o for o in objs}}
        self.kept = ([(o, copy.deepcopy(o.__dict__, memo)) for o in objs], copy.deepcopy(hyper(self.opt)))

    def put_back(self):
        objs, groups = self.kept
        for obj, state in objs:
            obj.__dict__.clear()
            obj.__dict__.update(copy.deepcopy(state, {id(self.opt): self.opt, **{id(o): o for o, _ in objs}}))
        del self.opt.param_groups[len(groups):]
        for group, saved in zip(self.opt.param_groups, groups):
            for k in [k for k in group if k != "params"]:
                del group[k]
            group.update(saved)

    def fails_later(self):
        """Does torch, having accepted garbage, fail at one of the next calls?"""
        plateau = isinstance(self.sched, TL.ReduceLROnPlateau)
        calls = [lambda: self.sched.step(1.0) if plateau else self.sched.step()] * 3
        calls += [lambda: self.sched.step(1.0, 5) if plateau else self.sched.step(5), self.sched.state_dict]
        return any(outcome(c) is not None for c in calls)


def same_types(t_err, c_err, op, str_for_container=False):
    """Is course's exception the one torch raised (see the module docstring for the exceptions)?"""
    if isinstance(c_err, type(t_err)):
        return True
    if op[0] != "load_bad":
        return False
    if isinstance(t_err, (AttributeError, IndexError)):
        return isinstance(c_err, (TypeError, ValueError))
    return str_for_container and type(t_err) is ValueError and isinstance(c_err, TypeError)


def run_scenario(spec, ops, with_torch):
    TALLY["scenarios"] += 1
    c = Side("course", spec)
    t = Side("torch", spec) if with_torch else None
    if t is not None:
        assert (c.error is None) == (t.error is None), (spec, c.error, t.error)
        if c.error is not None:
            assert same_types(t.error, c.error, ("build",)), (spec, t.error, c.error)
    if c.error is not None:
        TALLY["constructions refused"] += 1
        return
    for op in ops:
        TALLY["calls"] += 1
        before = snapshot(c.sched, c.opt)
        if t is not None:
            t.keep()
        str_for_container = False
        if op[0] == "load_bad":
            bad = corrupt(c.sched.state_dict(), op[1])
            if bad is None:
                continue
            bad, str_for_container = bad
            c_err = c.load(bad)
            t_err = t.load(corrupt(t.sched.state_dict(), op[1])[0]) if t is not None else None
        else:
            c_err = c.call(op)
            t_err = t.call(op) if t is not None else None
        if c_err is not None:
            TALLY["calls that raised (course)"] += 1
            if not unchanged(c.sched, c.opt, before):
                TALLY["failing calls that changed state"] += 1
                raise AssertionError(f"{op} raised {c_err!r} and changed the state ({spec})")
            assert isinstance(c_err, (TypeError, ValueError, KeyError, RuntimeError, ArithmeticError)), c_err
        if t is None:
            continue
        TALLY["calls compared with torch"] += 1
        if t_err is not None and c_err is None:
            TALLY["mismatches"] += 1
            raise AssertionError(f"torch raised {t_err!r} at {op}, course did not ({spec})")
        if c_err is not None and t_err is None:
            stricter = op[0] == "load_bad" or (op[0] == "metric" and op[2] is not None) or op[0] == "step_epoch"
            if not stricter or not isinstance(c_err, (TypeError, ValueError)):
                TALLY["mismatches"] += 1
                raise AssertionError(f"course raised {c_err!r} at {op}, torch did not ({spec})")
            if op[0] == "load_bad":
                TALLY["garbage loads torch accepts, course refuses"] += 1
                TALLY["  ... and then torch fails later" if t.fails_later() else "  ... and torch goes on"] += 1
            else:
                TALLY["non-number epochs torch accepts, course refuses"] += 1
            t.put_back()
            continue
        if c_err is not None:  # both raised
            TALLY["calls both refused"] += 1
            if not same_types(t_err, c_err, op, str_for_container):
                TALLY["mismatches"] += 1
                raise AssertionError(f"{op}: torch raised {t_err!r}, course {c_err!r} ({spec})")
            if not isinstance(c_err, type(t_err)):
                TALLY["both refused, type mapped (see docstring)"] += 1
            t.put_back()
            continue
        TALLY["accepted calls compared"] += 1
        c_groups = [momentum_keys(g) for g in c.opt.param_groups]
        t_groups = [momentum_keys(g) for g in t.opt.param_groups]
        if not (same(c_groups, t_groups) and same(c.sched.get_last_lr(), t.sched.get_last_lr())
                and same(c.sched.state_dict(), t.sched.state_dict())):
            TALLY["mismatches"] += 1
            raise AssertionError(f"after {op}: course {c_groups} {c.sched.state_dict()}\n"
                                 f"torch {t_groups} {t.sched.state_dict()} ({spec})")


PROPERTY = settings(derandomize=True, deadline=None, database=None, max_examples=250,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@PROPERTY
@given(scenarios())
def test_failing_calls_change_nothing(scenario):
    """Course alone (no torch needed): whatever raises leaves every bit of state as it was."""
    run_scenario(*scenario, with_torch=False)


@needs_torch
@settings(PROPERTY, max_examples=400)
@given(scenarios())
def test_raises_exactly_when_torch_does_and_otherwise_matches_it(scenario):
    run_scenario(*scenario, with_torch=True)


def test_report_the_figures():
    """The counts of the property suite (``pytest -s`` prints them); none may be a mismatch."""
    if not TALLY["calls"]:
        pytest.skip("the property tests did not run in this session")
    width = max(map(len, TALLY))
    print("\nlr_scheduler atomicity suite:")
    for key in ["scenarios", "constructions refused", "calls", "calls that raised (course)",
                "failing calls that changed state", "calls compared with torch", "accepted calls compared",
                "calls both refused", "both refused, type mapped (see docstring)",
                "garbage loads torch accepts, course refuses", "  ... and then torch fails later",
                "  ... and torch goes on", "non-number epochs torch accepts, course refuses", "mismatches"]:
        print(f"  {key:<{width}}  {TALLY[key]}")
    assert TALLY["mismatches"] == 0 and TALLY["failing calls that changed state"] == 0
