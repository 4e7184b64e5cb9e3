"""Scheduler semantics, one behaviour per test: the kinds of cases torch's own scheduler tests check.

Expected values are computed from the formulas in the docs (closed forms), never typed in.
"""
from __future__ import annotations

import copy
import math
import pickle
import warnings

import numpy as np
import pytest

import course
import course.optim.lr_scheduler as L


# ----------------------------------------------------------------------- helpers
def param():
    return course.Parameter(np.zeros(1))


def sgd(lrs=(0.1, 0.05), momentum=0.9):
    from course.optim import SGD

    return SGD([{"params": [param()], "lr": lr} for lr in lrs], lr=lrs[0], momentum=momentum)


def adam(lrs=(0.01,)):
    from course.optim import Adam

    return Adam([{"params": [param()], "lr": lr} for lr in lrs], lr=lrs[0])


def hyper(opt):
    """The param groups without their parameters (parameters compare by identity)."""
    return [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]


def lrs_of(opt):
    return [g["lr"] for g in opt.param_groups]


def run(opt, sched, steps, metrics=None):
    """The lrs used by each optimizer step of a loop."""
    seen = []
    for i in range(steps):
        seen.append(lrs_of(opt))
        opt.step()
        sched.step() if metrics is None else sched.step(metrics[i])
    return np.array(seen)


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


class FakeOptimizer:
    """Duck typing: schedulers need only param_groups, defaults and step."""

    def __init__(self, lr):
        self.param_groups = [{"params": [], "lr": lr, "momentum": 0.0}]
        self.defaults = {"lr": lr, "momentum": 0.0}
        self.calls = 0

    def step(self, closure=None):
        self.calls += 1


# ---------------------------------------------------------------- construction
def test_construction_takes_one_step_and_sets_initial_lr():
    opt = sgd()
    sched = L.StepLR(opt, step_size=3)
    assert sched.last_epoch == 0 and sched._step_count == 1
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    assert sched.base_lrs == [0.1, 0.05]
    assert sched.get_last_lr() == lrs_of(opt) == [0.1, 0.05]


def test_initial_lr_is_set_with_setdefault():
    opt = sgd()
    opt.param_groups[0]["initial_lr"] = 1.0  # e.g. left by an earlier scheduler
    sched = L.LambdaLR(opt, lambda e: 0.5)
    assert opt.param_groups[0]["initial_lr"] == 1.0
    assert sched.get_last_lr() == [0.5, 0.025]


def test_resuming_with_last_epoch_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        L.StepLR(sgd(), step_size=3, last_epoch=4)


def test_resuming_with_last_epoch_continues_from_the_current_lr():
    opt = sgd((1.0,))
    opt.param_groups[0]["initial_lr"] = 1.0
    sched = L.CosineAnnealingLR(opt, T_max=10, last_epoch=3)
    assert sched.last_epoch == 4 and lrs_of(opt) == [1.0]  # the construction step changes nothing
    opt.step()
    sched.step()  # chainable: the current lr times the ratio of epochs 5 and 4
    ratio = (1 + math.cos(math.pi * 5 / 10)) / (1 + math.cos(math.pi * 4 / 10))
    assert sched.get_last_lr()[0] == pytest.approx(ratio, rel=1e-12)


def test_not_an_optimizer_is_a_type_error():
    with pytest.raises(TypeError, match="object is not an Optimizer"):
        L.StepLR(object(), step_size=3)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        L.ReduceLROnPlateau([0.1])


def test_duck_typed_optimizer_works():
    opt = FakeOptimizer(1.0)
    sched = L.ExponentialLR(opt, gamma=0.5)
    seen = run(opt, sched, 4)
    assert seen[:, 0].tolist() == [1.0 * 0.5**k for k in range(4)]
    assert opt.calls == 4  # the wrapped step still calls the real one


# ------------------------------------------------- chainable form against closed form
CLOSED_FORM = [
    (L.StepLR, dict(step_size=7, gamma=0.5)),
    (L.MultiStepLR, dict(milestones=[3, 10, 10, 40], gamma=0.3)),
    (L.ExponentialLR, dict(gamma=0.97)),
    (L.ConstantLR, dict(factor=0.25, total_iters=17)),
    (L.LinearLR, dict(start_factor=0.1, end_factor=0.9, total_iters=60)),
    (L.PolynomialLR, dict(total_iters=80, power=1.7)),
    (L.CosineAnnealingLR, dict(T_max=45, eta_min=0.002)),
]


@pytest.mark.parametrize("cls,kw", CLOSED_FORM, ids=[c.__name__ for c, _ in CLOSED_FORM])
def test_chainable_form_follows_closed_form(cls, kw):
    opt = sgd()
    sched = cls(opt, **kw)
    for _ in range(300):
        closed = sched._get_closed_form_lr()
        np.testing.assert_allclose(lrs_of(opt), closed, rtol=1e-10, atol=1e-15)
        opt.step()
        sched.step()


def test_chainable_keeps_changes_made_from_outside():
    opt = sgd((1.0,))
    sched = L.StepLR(opt, step_size=2, gamma=0.5)
    opt.step()
    sched.step()
    opt.param_groups[0]["lr"] = 10.0  # e.g. a second scheduler or the user
    opt.step()
    sched.step()
    assert sched.get_last_lr() == [5.0]  # multiplied the current lr, not base_lr


def test_two_schedulers_on_one_optimizer_multiply():
    opt = sgd((1.0,))
    a = L.StepLR(opt, step_size=3, gamma=0.1)
    b = L.ExponentialLR(opt, gamma=0.9)
    for epoch in range(1, 20):
        opt.step()
        a.step()
        b.step()
        assert opt.param_groups[0]["lr"] == pytest.approx(0.1 ** (epoch // 3) * 0.9**epoch, rel=1e-12)


def test_closed_form_schedulers_compute_from_base_lr():
    opt = sgd((1.0,))
    sched = L.LambdaLR(opt, lambda e: 0.9**e)
    opt.step()
    sched.step()
    opt.param_groups[0]["lr"] = 123.0  # ignored: LambdaLR starts from base_lrs every step
    opt.step()
    sched.step()
    assert sched.get_last_lr() == [0.9**2]


def test_steplr_decays_at_epoch_30_not_31():
    seen = run(*(lambda o: (o, L.StepLR(o, step_size=30, gamma=0.1)))(sgd((1.0,))), 61)[:, 0]
    assert np.all(seen[:30] == 1.0) and np.all(seen[30:60] == 0.1) and seen[60] == pytest.approx(0.01)


def test_multisteplr_repeated_milestone_decays_twice():
    seen = run(*(lambda o: (o, L.MultiStepLR(o, milestones=[2, 2], gamma=0.5)))(sgd((1.0,))), 4)[:, 0]
    assert seen.tolist() == [1.0, 1.0, 0.25, 0.25]


def test_cosine_bounces_back_after_t_max():
    opt = sgd((1.0,))
    seen = run(opt, L.CosineAnnealingLR(opt, T_max=10, eta_min=0.1), 21)[:, 0]
    expected = [0.1 + 0.9 * (1 + math.cos(math.pi * t / 10)) / 2 for t in range(21)]
    np.testing.assert_allclose(seen, expected, rtol=1e-12, atol=1e-15)
    assert seen[10] == pytest.approx(0.1) and seen[20] == pytest.approx(1.0)


def test_linear_warmup_reaches_base_lr_and_stays():
    opt = sgd((0.5,))
    seen = run(opt, L.LinearLR(opt, start_factor=0.2, total_iters=4), 8)[:, 0]
    expected = [0.5 * (0.2 + 0.8 * min(t, 4) / 4) for t in range(8)]
    np.testing.assert_allclose(seen, expected, rtol=1e-12)


def test_get_lr_outside_step_warns_and_points_to_get_last_lr():
    sched = L.StepLR(sgd(), step_size=2)
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()


def test_get_last_lr_is_a_copy():
    opt = sgd()
    sched = L.StepLR(opt, step_size=2)
    sched.get_last_lr()[0] = 99.0
    assert sched.get_last_lr() == [0.1, 0.05]


# ------------------------------------------------------------------ the warning
def test_scheduler_step_before_optimizer_step_warns():
    opt = sgd()
    sched = L.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match=r"lr_scheduler.step\(\)` before `optimizer.step\(\)"):
        sched.step()


def test_right_order_does_not_warn():
    opt = sgd()
    sched = L.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(opt, sched, 10)


def test_overridden_optimizer_step_warns():
    opt = sgd()
    sched = L.StepLR(opt, step_size=2)
    opt.step = lambda closure=None: None
    with pytest.warns(UserWarning, match="overridden"):
        sched.step()


def test_warning_only_at_the_first_step():
    opt = sgd()
    sched = L.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning):
        sched.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()  # still no optimizer.step(), but torch checks only the first call


def test_no_order_warning_from_plateau_or_warm_restarts():
    for make in (lambda o: L.ReduceLROnPlateau(o), lambda o: L.CosineAnnealingWarmRestarts(o, T_0=3)):
        opt = sgd()
        sched = make(opt)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sched.step(1.0) if isinstance(sched, L.ReduceLROnPlateau) else sched.step()


def test_wrapped_step_still_updates_and_returns_the_closure_value():
    opt = sgd((0.5,), momentum=0.0)
    p = opt.param_groups[0]["params"][0]
    L.StepLR(opt, step_size=2)
    L.ExponentialLR(opt, gamma=0.9)  # a second scheduler does not wrap twice
    assert opt.step.func is type(opt).step
    p.grad = np.ones(1)
    assert opt.step(lambda: 3.5) == 3.5
    np.testing.assert_allclose(p.data, [-0.5])  # ExponentialLR's construction step keeps the lr
    assert opt._opt_called


def test_tracked_optimizer_pickles_and_deep_copies():
    opt = sgd()
    sched = L.StepLR(opt, step_size=2, gamma=0.5)
    opt2, sched2 = pickle.loads(pickle.dumps((opt, sched)))
    opt3, sched3 = copy.deepcopy((opt, sched))
    for o, s in ((opt2, sched2), (opt3, sched3)):
        assert s.optimizer is o and o.step.optimizer is o  # the copy tracks the copy
        o._opt_called = False
        o.step()
        assert o._opt_called and not opt.__dict__.get("_opt_called")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for _ in range(3):
                o.step()
                s.step()
        assert lrs_of(o) == [0.1 * 0.5, 0.05 * 0.5]


def test_epoch_argument_is_deprecated_and_uses_closed_form():
    opt = sgd((1.0,))
    sched = L.StepLR(opt, step_size=3, gamma=0.5)
    opt.param_groups[0]["lr"] = 77.0  # the closed form ignores it
    opt.step()
    with pytest.warns(UserWarning, match="epoch parameter .* deprecated"):
        sched.step(7)
    assert sched.last_epoch == 7 and sched.get_last_lr() == [0.25]


# ----------------------------------------------------------------- state dicts
def test_state_dict_excludes_the_optimizer_and_is_a_copy():
    sched = L.MultiStepLR(sgd(), milestones=[2, 5])
    state = sched.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 0 and state["base_lrs"] == [0.1, 0.05]
    state["base_lrs"].append(1.0)
    assert sched.base_lrs == [0.1, 0.05]


class Factor:
    def __init__(self, gamma):
        self.gamma = gamma

    def __call__(self, epoch):
        return self.gamma**epoch


def test_lambdalr_state_keeps_only_callable_objects():
    opt = sgd()
    sched = L.LambdaLR(opt, [lambda e: 1.0, Factor(0.5)])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None, {"gamma": 0.5}]
    other = L.LambdaLR(sgd(), [lambda e: 1.0, Factor(0.9)])
    other.load_state_dict(state)
    assert other.lr_lambdas[1].gamma == 0.5
    assert state["lr_lambdas"] == [None, {"gamma": 0.5}]  # loading leaves the dict whole


def test_cycliclr_state_keeps_only_callable_scale_objects():
    scale = Factor(0.9)
    sched = L.CyclicLR(sgd(), 0.01, 0.1, step_size_up=4, scale_fn=scale)
    state = sched.state_dict()
    assert state["_scale_fn_custom"] == {"gamma": 0.9}
    fn_sched = L.CyclicLR(sgd(), 0.01, 0.1, step_size_up=4, scale_fn=lambda x: 1.0)
    assert fn_sched.state_dict()["_scale_fn_custom"] is None
    other = L.CyclicLR(sgd(), 0.01, 0.1, step_size_up=4, scale_fn=Factor(0.1))
    other.load_state_dict(state)
    assert other._scale_fn_custom.gamma == 0.9


RESUMABLE = {
    "LambdaLR": lambda o: L.LambdaLR(o, Factor(0.98)),
    "MultiplicativeLR": lambda o: L.MultiplicativeLR(o, lambda e: 0.97),
    "StepLR": lambda o: L.StepLR(o, step_size=9, gamma=0.7),
    "MultiStepLR": lambda o: L.MultiStepLR(o, milestones=[5, 30, 31]),
    "ConstantLR": lambda o: L.ConstantLR(o, factor=0.4, total_iters=33),
    "LinearLR": lambda o: L.LinearLR(o, start_factor=0.1, total_iters=50),
    "ExponentialLR": lambda o: L.ExponentialLR(o, gamma=0.98),
    "PolynomialLR": lambda o: L.PolynomialLR(o, total_iters=70, power=2.0),
    "CosineAnnealingLR": lambda o: L.CosineAnnealingLR(o, T_max=17, eta_min=1e-3),
    "CosineAnnealingWarmRestarts": lambda o: L.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2),
    "CyclicLR": lambda o: L.CyclicLR(o, 0.01, 0.1, step_size_up=7, mode="exp_range", gamma=0.99),
    "OneCycleLR": lambda o: L.OneCycleLR(o, max_lr=0.3, total_steps=100, three_phase=True),
    "ReduceLROnPlateau": lambda o: L.ReduceLROnPlateau(o, patience=2, cooldown=1, factor=0.5),
    "SequentialLR": lambda o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.1, total_iters=5), L.ExponentialLR(o, gamma=0.95)], milestones=[5]),
    "ChainedScheduler": lambda o: L.ChainedScheduler(
        [L.ConstantLR(o, factor=0.5, total_iters=10), L.CosineAnnealingLR(o, T_max=30)]),
}


@pytest.mark.parametrize("name", list(RESUMABLE))
def test_resume_from_state_dicts_is_bit_identical(name):
    metrics = np.random.default_rng(0).random(100)
    plateau = name == "ReduceLROnPlateau"

    def loop(stop_at=None):
        opt = sgd()
        sched = RESUMABLE[name](opt)
        seen = []
        for i in range(100):
            if i == stop_at:
                o_state, s_state = pickle.loads(pickle.dumps((opt.state_dict(), sched.state_dict())))
                opt = sgd((9.0, 9.0))  # a fresh run, deliberately with other lrs
                sched = RESUMABLE[name](opt)
                opt.load_state_dict(o_state)
                sched.load_state_dict(s_state)
            seen.append(lrs_of(opt) + [g["momentum"] for g in opt.param_groups])
            opt.step()
            sched.step(metrics[i]) if plateau else sched.step()
        return np.array(seen)

    whole = loop()
    assert len(np.unique(whole[:, 0])) > 1  # the schedule moves
    np.testing.assert_array_equal(loop(stop_at=41), whole)


# ---------------------------------------------------------- ReduceLROnPlateau
def plateau(lr=1.0, **kw):
    opt = sgd((lr,))
    return opt, L.ReduceLROnPlateau(opt, **kw)


def test_plateau_patience_counts_epochs_after_the_best():
    opt, sched = plateau(patience=2, factor=0.5)
    seen = run(opt, sched, 6, metrics=[1.0, 2.0, 2.0, 2.0, 2.0, 2.0])[:, 0]
    # best at epoch 0; bad epochs 1, 2 are tolerated; the third bad epoch (3) reduces
    assert seen.tolist() == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5]
    assert sched.num_bad_epochs == 2 and sched.best == 1.0


def test_plateau_improvement_test_is_strict_rel():
    opt, sched = plateau(patience=0, threshold=0.1)
    sched.step(10.0)
    sched.step(10.0 * (1 - 0.1))  # exactly the threshold: not better
    assert sched.best == 10.0 and lrs_of(opt) == [0.1]
    sched.step(8.0)
    assert sched.best == 8.0 and sched.num_bad_epochs == 0


def test_plateau_improvement_test_is_strict_abs_and_max():
    opt, sched = plateau(mode="max", threshold_mode="abs", threshold=0.5, patience=5)
    for m, best, bad in [(1.0, 1.0, 0), (1.5, 1.0, 1), (1.5000001, 1.5000001, 0), (1.9, 1.5000001, 1)]:
        sched.step(m)
        assert (sched.best, sched.num_bad_epochs) == (best, bad)
    assert sched.is_better(3.0, 2.0) and not sched.is_better(2.5, 2.0)
    _, rel = plateau(mode="max", threshold=0.1)
    assert rel.is_better(1.1000001, 1.0) and not rel.is_better(1.1, 1.0)
    assert rel.best == -math.inf


def test_plateau_cooldown_ignores_bad_epochs():
    opt, sched = plateau(patience=0, cooldown=2, factor=0.5)
    seen = run(opt, sched, 8, metrics=[1.0] + [5.0] * 7)[:, 0]
    # reduce at epoch 1; epochs 2, 3 are cooldown; reduce again at 4; cooldown 5, 6; reduce at 7
    assert seen.tolist() == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    assert sched.in_cooldown and sched.cooldown_counter == 2


def test_plateau_min_lr_per_group_and_eps():
    opt = sgd((1.0, 1.0))
    sched = L.ReduceLROnPlateau(opt, patience=0, factor=0.1, min_lr=[0.05, 0.0])
    run(opt, sched, 5, metrics=[1.0, 2, 2, 2, 2])
    assert lrs_of(opt)[0] == 0.05 and lrs_of(opt)[1] == pytest.approx(1e-4)
    opt, sched = plateau(lr=1e-7, patience=0, factor=0.5, eps=1e-7)
    run(opt, sched, 3, metrics=[1.0, 2.0, 2.0])
    assert lrs_of(opt) == [1e-7]  # a cut of 5e-8 is below eps: skipped


def test_plateau_nan_is_a_bad_epoch():
    opt, sched = plateau(patience=1, factor=0.5)
    run(opt, sched, 3, metrics=[1.0, float("nan"), np.nan])
    assert sched.best == 1.0 and lrs_of(opt) == [0.5]


@pytest.mark.parametrize("make", [
    lambda xp: 0.25,
    lambda xp: 1,
    lambda xp: np.float32(0.25),
    lambda xp: np.asarray(0.25),
    lambda xp: np.asarray([0.25]),
    lambda xp: course.tensor(0.25),
    lambda xp: course.Parameter(np.asarray([[0.25]])),
    lambda xp: xp.asarray(0.25),
    lambda xp: xp.asarray([0.25]),
], ids=["float", "int", "np.float32", "0-d", "1-element", "Tensor", "Parameter", "backend 0-d", "backend (1,)"])
def test_plateau_metric_kinds(make, xp):
    opt, sched = plateau()
    value = make(xp)
    sched.step(value)
    assert sched.best == float(np.asarray(course.backend.to_numpy(value)).reshape(()))
    assert type(sched.best) is float


@pytest.mark.parametrize("bad", [np.zeros(2), np.zeros((2, 3)), [0.1, 0.2], [0.1], "0.5", None],
                         ids=["vector", "matrix", "list", "1-list", "str", "None"])
def test_plateau_non_scalar_metric_is_a_type_error_and_changes_nothing(bad):
    opt, sched = plateau()
    sched.step(1.0)
    before = sched.state_dict()
    with pytest.raises(TypeError, match="metric"):
        sched.step(bad)
    assert sched.state_dict() == before


def test_plateau_tensor_metric_non_scalar_is_a_type_error(xp):
    _, sched = plateau()
    with pytest.raises(TypeError, match="scalar"):
        sched.step(course.Tensor(xp.ones(3)))


def test_plateau_introspection_and_last_epoch():
    opt, sched = plateau()
    assert sched.last_epoch == 0 and sched.best == math.inf and not sched.in_cooldown
    assert sched.get_last_lr() == [1.0]
    sched.step(0.5)
    assert sched.last_epoch == 1
    with pytest.warns(UserWarning, match="deprecated"):
        sched.step(0.4, epoch=10)
    assert sched.last_epoch == 10


def test_plateau_new_param_group_with_min_lr_list_is_a_runtime_error():
    opt = sgd((1.0,))
    sched = L.ReduceLROnPlateau(opt, patience=0, min_lr=[0.0])
    opt.add_param_group({"params": [param()], "lr": 0.5})
    sched.step(1.0)
    with pytest.raises(RuntimeError, match="min_lrs"):
        sched.step(2.0)
    opt = sgd((1.0,))
    sched = L.ReduceLROnPlateau(opt, patience=0, min_lr=0.0)
    opt.add_param_group({"params": [param()], "lr": 0.5})
    run(opt, sched, 2, metrics=[1.0, 2.0])
    assert lrs_of(opt) == [0.1, 0.05]


def test_plateau_load_state_dict_checks_mode():
    _, sched = plateau()
    state = sched.state_dict()
    state["mode"] = "sideways"
    with pytest.raises(ValueError, match="sideways"):
        sched.load_state_dict(state)


# --------------------------------------------------------------------- CyclicLR
def test_cycliclr_writes_base_lr_and_momentum_into_groups():
    opt = sgd((5.0, 5.0))
    L.CyclicLR(opt, base_lr=[0.01, 0.02], max_lr=0.1, base_momentum=0.7, max_momentum=[0.9, 0.95])
    assert lrs_of(opt) == [0.01, 0.02]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.95]
    assert [g["base_momentum"] for g in opt.param_groups] == [0.7, 0.7]
    assert [g["max_momentum"] for g in opt.param_groups] == [0.9, 0.95]


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cycliclr_modes_follow_their_formula(mode):
    opt = sgd((0.0,))
    up, down, gamma = 4, 6, 0.97
    sched = L.CyclicLR(opt, base_lr=0.1, max_lr=1.1, step_size_up=up, step_size_down=down, mode=mode, gamma=gamma)
    seen = run(opt, sched, 60)[:, 0]
    for t, lr in enumerate(seen):
        cycle, pos = divmod(t, up + down)
        h = pos / up if pos <= up else (up + down - pos) / down
        scale = {"triangular": 1.0, "triangular2": 0.5**cycle, "exp_range": gamma**t}[mode]
        assert lr == pytest.approx(0.1 + 1.0 * h * scale, rel=1e-12, abs=1e-15)


def test_cycliclr_momentum_moves_against_the_lr():
    opt = sgd((0.0,))
    sched = L.CyclicLR(opt, base_lr=0.0, max_lr=1.0, step_size_up=5, base_momentum=0.8, max_momentum=0.9)
    for _ in range(23):
        lr, m = opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]
        assert m == pytest.approx(0.9 - 0.1 * lr, rel=1e-12)
        opt.step()
        sched.step()


def test_cycliclr_cycles_adam_beta1_and_keeps_beta2():
    opt = adam()
    sched = L.CyclicLR(opt, 0.001, 0.01, step_size_up=2, base_momentum=0.8, max_momentum=0.9)
    seen = []
    for _ in range(5):
        seen.append(opt.param_groups[0]["betas"])
        opt.step()
        sched.step()
    assert [b[1] for b in seen] == [0.999] * 5
    np.testing.assert_allclose([b[0] for b in seen], [0.9, 0.85, 0.8, 0.85, 0.9], rtol=1e-12)


def test_cycliclr_needs_momentum_when_cycling_it():
    from course.optim import Adagrad

    opt = Adagrad([param()], lr=0.1)
    with pytest.raises(ValueError, match="cycle_momentum"):
        L.CyclicLR(opt, 0.01, 0.1)
    assert lrs_of(opt) == [0.1] and "initial_lr" not in opt.param_groups[0]  # nothing written
    L.CyclicLR(opt, 0.01, 0.1, cycle_momentum=False)  # fine without


def test_cycliclr_custom_scale_fn_modes():
    calls = []

    def scale(x):
        calls.append(x)
        return 1.0

    opt = sgd((0.0,))
    sched = L.CyclicLR(opt, 0.0, 1.0, step_size_up=2, scale_fn=scale, scale_mode="iterations")
    run(opt, sched, 5)
    assert calls == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]  # at the iteration, for the lr and the momentum
    calls.clear()
    opt = sgd((0.0,))
    sched = L.CyclicLR(opt, 0.0, 1.0, step_size_up=2, scale_fn=scale, scale_mode="cycle")
    run(opt, sched, 9)
    assert sorted(set(calls)) == [1, 2, 3]  # evaluated at the cycle number


# ------------------------------------------------------------------- OneCycleLR
def test_onecycle_shape_and_group_keys():
    opt = sgd((0.0,))
    sched = L.OneCycleLR(opt, max_lr=1.0, total_steps=100, pct_start=0.3, div_factor=25.0, final_div_factor=1e4)
    g = opt.param_groups[0]
    assert (g["initial_lr"], g["max_lr"], g["min_lr"]) == (1.0 / 25, 1.0, 1.0 / 25 / 1e4)
    seen = run(opt, sched, 100)[:, 0]
    peak = int(np.argmax(seen))
    assert peak == 29 and seen[peak] == 1.0  # end of warmup: step pct_start * total - 1
    assert seen[0] == pytest.approx(0.04) and seen[-1] == pytest.approx(4e-6, rel=1e-12)


def test_onecycle_steps_total_steps_times_then_raises_and_changes_nothing():
    opt = sgd((0.0,))
    sched = L.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    run(opt, sched, 10)  # the construction step plus 10 steps: last_epoch == total_steps
    before = (sched.state_dict(), hyper(opt))
    with pytest.raises(ValueError, match="Tried to step 11 times. The specified number of total steps is 10"):
        sched.step()
    assert (sched.state_dict(), hyper(opt)) == before


def test_onecycle_three_phase_is_symmetric():
    opt = sgd((0.0,))
    sched = L.OneCycleLR(opt, max_lr=1.0, total_steps=100, pct_start=0.25, three_phase=True,
                         anneal_strategy="linear")
    seen = run(opt, sched, 100)[:, 0]
    np.testing.assert_allclose(seen[:25], seen[48:23:-1], rtol=1e-12)  # up == mirror of down
    assert seen[48] == pytest.approx(0.04) and seen[-1] == pytest.approx(0.04 / 1e4)


def test_onecycle_epochs_times_steps_per_epoch():
    sched = L.OneCycleLR(sgd(), max_lr=0.1, epochs=3, steps_per_epoch=7)
    assert sched.total_steps == 21


def test_onecycle_cycles_beta1():
    opt = adam()
    sched = L.OneCycleLR(opt, max_lr=0.01, total_steps=20, base_momentum=0.85, max_momentum=0.95)
    assert opt.param_groups[0]["betas"] == (0.95, 0.999)
    run(opt, sched, 5)
    assert opt.param_groups[0]["lr"] == 0.01  # the peak: step pct_start * total_steps - 1 = 5
    assert opt.param_groups[0]["betas"] == (0.85, 0.999)


# ------------------------------------------------------ CosineAnnealingWarmRestarts
def test_warm_restarts_periods_grow_by_t_mult():
    opt = sgd((1.0,))
    seen = run(opt, L.CosineAnnealingWarmRestarts(opt, T_0=5, T_mult=2, eta_min=0.0), 40)[:, 0]
    restarts = [t for t in range(40) if seen[t] == 1.0]
    assert restarts == [0, 5, 15, 35]


def test_warm_restarts_fractional_epochs_match_closed_form():
    opt = sgd((1.0,))
    sched = L.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.1)
    iters = 4
    for epoch in range(10):
        for i in range(iters):
            e = epoch + i / iters
            sched.step(e)
            # closed form: find the period that contains e
            start, period = 0, 2
            while e >= start + period:
                start, period = start + period, period * 2
            expected = 0.1 + 0.9 * (1 + math.cos(math.pi * (e - start) / period)) / 2
            assert sched.get_last_lr()[0] == pytest.approx(expected, rel=1e-12, abs=1e-15)
            assert sched.last_epoch == math.floor(e)


def test_warm_restarts_negative_epoch():
    sched = L.CosineAnnealingWarmRestarts(sgd(), T_0=3)
    with pytest.raises(ValueError, match="non-negative epoch"):
        sched.step(-1)


# --------------------------------------------------------------- composites
def test_sequential_resets_lr_and_restarts_the_next_scheduler():
    opt = sgd((1.0,))
    warm = L.LinearLR(opt, start_factor=0.5, total_iters=4)
    cos = L.CosineAnnealingLR(opt, T_max=10)
    assert lrs_of(opt) == [0.5]  # the second construction step kept the warmup's lr ...
    sched = L.SequentialLR(opt, [warm, cos], milestones=[4])
    assert lrs_of(opt) == [0.5] and cos.last_epoch == -1  # ... and SequentialLR re-did it
    seen = run(opt, sched, 14)[:, 0]
    expected = [0.5 + 0.5 * t / 4 for t in range(4)] + [(1 + math.cos(math.pi * t / 10)) / 2 for t in range(10)]
    np.testing.assert_allclose(seen, expected, rtol=1e-12, atol=1e-15)
    assert sched.last_epoch == 14 and sched.get_last_lr() == cos.get_last_lr()


def test_chained_multiplies_each_scheduler():
    opt = sgd((1.0,))
    sched = L.ChainedScheduler([L.ConstantLR(opt, factor=0.5, total_iters=3), L.ExponentialLR(opt, gamma=0.9)])
    seen = run(opt, sched, 8)[:, 0]
    np.testing.assert_allclose(seen, [(0.5 if t < 3 else 1.0) * 0.9**t for t in range(8)], rtol=1e-12)


@pytest.mark.parametrize("cls", ["SequentialLR", "ChainedScheduler"])
def test_composites_reject_bad_schedulers(cls):
    opt = sgd()
    make = (lambda s, m=(): L.SequentialLR(opt, s, milestones=list(m))) if cls == "SequentialLR" else (
        lambda s, m=(): L.ChainedScheduler(s, opt))
    with pytest.raises(ValueError, match="at least one"):
        make([])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        make([L.StepLR(opt, 2), L.ReduceLROnPlateau(opt)], [3])
    with pytest.raises(ValueError, match="same optimizer"):
        make([L.StepLR(opt, 2), L.StepLR(sgd(), 2)], [3])
    with pytest.raises(TypeError, match="optimizer"):
        make([L.StepLR(opt, 2), "not a scheduler"], [3])


def test_sequential_milestones():
    opt = sgd()
    with pytest.raises(ValueError, match="number of milestones"):
        L.SequentialLR(opt, [L.StepLR(opt, 2), L.StepLR(opt, 3)], milestones=[1, 2])
    with pytest.raises(ValueError, match="milestones"):
        L.SequentialLR(opt, [L.StepLR(opt, 2), L.StepLR(opt, 3), L.StepLR(opt, 3)], milestones=[5, 2])


# ------------------------------------------------------------------- bad input
def sgd1():
    return sgd((0.1,))


BAD = [
    ("step_size", lambda: L.StepLR(sgd1(), step_size=0)),
    ("step_size", lambda: L.StepLR(sgd1(), step_size=2.5)),
    ("gamma", lambda: L.StepLR(sgd1(), step_size=2, gamma=-0.1)),
    ("gamma", lambda: L.StepLR(sgd1(), step_size=2, gamma=0)),
    ("gamma", lambda: L.ExponentialLR(sgd1(), gamma=float("nan"))),
    ("gamma", lambda: L.MultiStepLR(sgd1(), milestones=[2], gamma=-1.0)),
    ("milestones", lambda: L.MultiStepLR(sgd1(), milestones=[5, 2])),
    ("milestones", lambda: L.MultiStepLR(sgd1(), milestones=[-1, 2])),
    ("milestones", lambda: L.MultiStepLR(sgd1(), milestones=[1.5])),
    ("factor", lambda: L.ConstantLR(sgd1(), factor=1.5)),
    ("factor", lambda: L.ConstantLR(sgd1(), factor=-0.5)),
    ("total_iters", lambda: L.ConstantLR(sgd1(), total_iters=-1)),
    ("start_factor", lambda: L.LinearLR(sgd1(), start_factor=0.0)),
    ("start_factor", lambda: L.LinearLR(sgd1(), start_factor=1.5)),
    ("end_factor", lambda: L.LinearLR(sgd1(), end_factor=1.5)),
    ("total_iters", lambda: L.LinearLR(sgd1(), total_iters=-1)),  # 0 is valid, as in torch
    ("total_iters", lambda: L.PolynomialLR(sgd1(), total_iters=0)),
    ("power", lambda: L.PolynomialLR(sgd1(), power=-1.0)),
    ("T_max", lambda: L.CosineAnnealingLR(sgd1(), T_max=0)),
    ("eta_min", lambda: L.CosineAnnealingLR(sgd1(), T_max=5, eta_min="0")),
    ("T_0", lambda: L.CosineAnnealingWarmRestarts(sgd1(), T_0=0)),
    ("T_0", lambda: L.CosineAnnealingWarmRestarts(sgd1(), T_0=2.0)),
    ("T_mult", lambda: L.CosineAnnealingWarmRestarts(sgd1(), T_0=2, T_mult=0)),
    ("T_mult", lambda: L.CosineAnnealingWarmRestarts(sgd1(), T_0=2, T_mult=1.5)),
    ("eta_min", lambda: L.CosineAnnealingWarmRestarts(sgd1(), T_0=2, eta_min="x")),
    ("lr_lambdas", lambda: L.LambdaLR(sgd1(), [lambda e: 1.0, lambda e: 1.0])),
    ("lr_lambdas", lambda: L.MultiplicativeLR(sgd1(), [lambda e: 1.0, lambda e: 1.0])),
    ("Factor", lambda: L.ReduceLROnPlateau(sgd1(), factor=1.0)),
    ("Factor", lambda: L.ReduceLROnPlateau(sgd1(), factor=2.0)),
    ("mode", lambda: L.ReduceLROnPlateau(sgd1(), mode="up")),
    ("threshold_mode", lambda: L.ReduceLROnPlateau(sgd1(), threshold_mode="pct")),
    ("patience", lambda: L.ReduceLROnPlateau(sgd1(), patience=-1)),
    ("cooldown", lambda: L.ReduceLROnPlateau(sgd1(), cooldown=1.5)),
    ("threshold", lambda: L.ReduceLROnPlateau(sgd1(), threshold=-0.1)),
    ("min_lrs", lambda: L.ReduceLROnPlateau(sgd1(), min_lr=[0.0, 0.0])),
    ("mode", lambda: L.CyclicLR(sgd1(), 0.01, 0.1, mode="square")),
    ("scale_mode", lambda: L.CyclicLR(sgd1(), 0.01, 0.1, scale_fn=abs, scale_mode="epoch")),
    ("step_size_up", lambda: L.CyclicLR(sgd1(), 0.01, 0.1, step_size_up=0)),
    ("step_size_down", lambda: L.CyclicLR(sgd1(), 0.01, 0.1, step_size_down=-1)),
    ("base_lr", lambda: L.CyclicLR(sgd1(), [0.01, 0.02], 0.1)),
    ("max_lr", lambda: L.CyclicLR(sgd1(), 0.01, [0.1, 0.2])),
    ("max_momentum", lambda: L.CyclicLR(sgd1(), 0.01, 0.1, max_momentum=[0.9, 0.9])),
    ("gamma", lambda: L.CyclicLR(sgd1(), 0.01, 0.1, mode="exp_range", gamma=0.0)),
    ("total_steps", lambda: L.OneCycleLR(sgd1(), 0.1)),
    ("total_steps", lambda: L.OneCycleLR(sgd1(), 0.1, total_steps=0)),
    ("total_steps", lambda: L.OneCycleLR(sgd1(), 0.1, total_steps=10.0)),
    ("epochs", lambda: L.OneCycleLR(sgd1(), 0.1, epochs=0, steps_per_epoch=2)),
    ("steps_per_epoch", lambda: L.OneCycleLR(sgd1(), 0.1, epochs=2, steps_per_epoch=-2)),
    ("pct_start", lambda: L.OneCycleLR(sgd1(), 0.1, total_steps=10, pct_start=1.5)),
    ("pct_start", lambda: L.OneCycleLR(sgd1(), 0.1, total_steps=10, pct_start=1)),
    ("anneal_strategy", lambda: L.OneCycleLR(sgd1(), 0.1, total_steps=10, anneal_strategy="exp")),
    ("div_factor", lambda: L.OneCycleLR(sgd1(), 0.1, total_steps=10, div_factor=0.0)),
    ("max_lr", lambda: L.OneCycleLR(sgd1(), [0.1, 0.2], total_steps=10)),
    ("base_momentum", lambda: L.OneCycleLR(sgd1(), 0.1, total_steps=10, base_momentum=[0.8, 0.8])),
]


@pytest.mark.parametrize("name,make", BAD, ids=[f"{i}-{n}" for i, (n, _) in enumerate(BAD)])
def test_bad_arguments_raise_value_error_naming_them(name, make):
    with pytest.raises(ValueError, match=name):
        make()


def test_bad_arguments_leave_the_optimizer_untouched():
    for make in (
        lambda o: L.CyclicLR(o, 0.01, 0.1, mode="square"),
        lambda o: L.CyclicLR(o, 0.01, 0.1, max_momentum=[0.9, 0.9]),
        lambda o: L.OneCycleLR(o, 0.1, total_steps=10, base_momentum=[0.8, 0.8]),
        lambda o: L.OneCycleLR(o, [0.1, 0.2], total_steps=10),
        lambda o: L.StepLR(o, step_size=0),
    ):
        opt = sgd1()
        before = hyper(opt)
        with pytest.raises(ValueError):
            make(opt)
        assert hyper(opt) == before and "_opt_called" not in vars(opt)
        assert not getattr(opt.step, "_wrapped_by_lr_sched", False)


def test_non_callable_lambda_is_a_type_error():
    for cls in (L.LambdaLR, L.MultiplicativeLR):
        with pytest.raises(TypeError, match="lr_lambda"):
            cls(sgd1(), 0.5)


# --------------------------------------------------------------- simulate, plot
def test_simulate_equals_a_real_training_loop():
    from course.optim import SGD

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((32, 3)), rng.standard_normal((32, 1))

    def factory(opt):
        return L.SequentialLR(opt, [L.LinearLR(opt, start_factor=0.1, total_iters=5),
                                    L.CosineAnnealingLR(opt, T_max=25, eta_min=1e-3)], milestones=[5])

    w = course.Parameter(np.zeros((3, 1)))
    opt = SGD([w], lr=0.05, momentum=0.9)
    sched = factory(opt)
    used = []
    for _ in range(30):  # a real loop: the lr that each update actually uses
        opt.zero_grad()
        loss = ((course.Tensor(x) @ w - course.Tensor(y)) ** 2).mean()
        loss.backward()
        used.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    np.testing.assert_array_equal(L.simulate(factory, 30, lr=0.05), used)


def test_simulate_plateau_groups_and_momentum():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95]
    out = L.simulate(lambda o: L.ReduceLROnPlateau(o, patience=1, factor=0.5), 6, metrics, lr=[1.0, 0.2])
    assert out.shape == (6, 2)
    opt = sgd((1.0, 0.2))
    np.testing.assert_array_equal(out, run(opt, L.ReduceLROnPlateau(opt, patience=1, factor=0.5), 6, metrics))
    mom = L.simulate(lambda o: L.CyclicLR(o, 0.0, 1.0, step_size_up=2), 5, key="momentum")
    np.testing.assert_allclose(mom, [0.9, 0.85, 0.8, 0.85, 0.9], rtol=1e-12)
    beta1 = L.simulate(lambda o: L.OneCycleLR(o, 0.01, total_steps=4), 4, key="beta1",
                       optimizer=lambda groups: __import__("course.optim", fromlist=["Adam"]).Adam(groups))
    assert beta1[0] == 0.95


def test_simulate_checks_metrics():
    with pytest.raises(ValueError, match="metrics"):
        L.simulate(lambda o: L.ReduceLROnPlateau(o), 5)
    with pytest.raises(ValueError, match="metrics"):
        L.simulate(lambda o: L.StepLR(o, 2), 5, metrics=[1.0] * 5)
    with pytest.raises(ValueError, match="steps"):
        L.simulate(lambda o: L.StepLR(o, 2), -1)


def test_simulate_shows_the_wrong_order_pitfall():
    """Stepping the scheduler before the optimizer skips the first lr (and warns)."""
    opt = sgd((1.0,))
    sched = L.StepLR(opt, step_size=1, gamma=0.5)
    used = []
    with pytest.warns(UserWarning, match="before"):
        for _ in range(3):
            sched.step()
            used.append(opt.param_groups[0]["lr"])
            opt.step()
    right = L.simulate(lambda o: L.StepLR(o, step_size=1, gamma=0.5), 4, lr=1.0)
    np.testing.assert_array_equal(used, right[1:])


def test_plot_schedules_draws_what_simulate_returns():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course.classroom.plots import plot_schedules

    schedules = {
        "step": lambda o: L.StepLR(o, step_size=10, gamma=0.5),
        "cosine": lambda o: L.CosineAnnealingLR(o, T_max=40),
        "given": [0.1, 0.05, 0.01],
    }
    ax = plot_schedules(schedules, steps=40, logy=True, title="lrs")
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == list(schedules)
    np.testing.assert_array_equal(lines[0].get_ydata(), L.simulate(schedules["step"], 40))
    np.testing.assert_array_equal(lines[2].get_ydata(), [0.1, 0.05, 0.01])
    assert ax.get_yscale() == "log" and ax.get_title() == "lrs"
    fig, own = plt.subplots()
    assert plot_schedules(schedules["cosine"], steps=5, ax=own) is own
    with pytest.raises(ValueError, match="steps"):
        plot_schedules(schedules["cosine"])
    plt.close("all")


# ------------------------------------------------------- with every optimizer
_optim = __import__("course.optim", fromlist=["__all__"])
OPTIMIZER_NAMES = [n for n in _optim.__all__  # the optimizer classes (not the submodules)
                   if n != "Optimizer" and isinstance(getattr(_optim, n), type)]


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_schedulers_drive_every_optimizer(name):
    import course.optim as optim

    p = course.Parameter(np.ones((1, 3)))  # 2-D: Muon takes matrices only
    opt = getattr(optim, name)([p], lr=0.01)
    if hasattr(opt, "train"):  # schedule-free: steps only in train mode, as the schedulefree package
        opt.train()
    sched = L.StepLR(opt, step_size=2, gamma=0.5)
    used = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the wrapped step counts: no order warning
        for _ in range(5):
            def closure():
                p.grad = 2 * p.data  # d/dp of |p|^2
                return float(np.sum(p.data**2))
            used.append(opt.param_groups[0]["lr"])
            opt.step(closure)
            sched.step()
    assert used == [0.01, 0.01, 0.005, 0.005, 0.0025]
    assert not np.array_equal(p.data, np.ones((1, 3)))  # the optimizer really stepped
    cycles = "momentum" in opt.defaults or "betas" in opt.defaults
    if cycles:
        L.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    else:
        with pytest.raises(ValueError, match="cycle_momentum"):
            L.OneCycleLR(opt, max_lr=0.1, total_steps=10)


def test_the_old_base_class_name_works_for_a_hand_written_scheduler():
    class Warmup(L._LRScheduler):
        def __init__(self, optimizer, steps):
            self.steps = steps
            super().__init__(optimizer)

        def get_lr(self):
            return [base * min(1.0, (self.last_epoch + 1) / self.steps) for base in self.base_lrs]

    opt = course.optim.SGD([course.Parameter(np.zeros(1))], lr=1.0)
    sched = Warmup(opt, 4)
    lrs = []
    for _ in range(6):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    assert issubclass(L._LRScheduler, L.LRScheduler)
