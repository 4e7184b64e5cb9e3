"""The trajectory runner: paths, losses, lrs really used, divergence, tuning."""
import math

import numpy as np
import pytest

import course
from course.classroom import landscapes as L
from course.optim import SGD, Adam, RMSprop
from course.optim.lr_scheduler import ReduceLROnPlateau, StepLR
from course.classroom.trajectory import Result, make_optimizer, run, tune_lr


def test_gd_path_is_the_closed_form():
    q = L.quadratic(condition_number=10, rotation=25)
    lr, steps = 0.7, 40
    r = run("SGD", q, steps=steps, lr=lr)
    M = np.eye(2) - lr * q.hessian
    x0 = np.array(q.start)
    expected = np.array([np.linalg.matrix_power(M, t) @ x0 for t in range(steps + 1)])
    np.testing.assert_allclose(r.path, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(r.losses, [0.5 * x @ q.hessian @ x for x in expected], rtol=1e-12, atol=1e-300)
    assert r.lrs.shape == (steps,) and np.all(r.lrs == lr)
    assert r.grads.shape == (steps, 2) and not r.diverged and r.diverged_at is None and r.message == ""
    np.testing.assert_allclose(r.grads, expected[:-1] @ q.hessian.T, rtol=1e-12, atol=1e-14)


def test_lrs_are_the_ones_each_step_used():
    land = L.rosenbrock()
    r = run("SGD", land, steps=25, lr=1e-3, scheduler=lambda o: StepLR(o, step_size=5, gamma=0.5))
    np.testing.assert_allclose(r.lrs, [1e-3 * 0.5 ** (t // 5) for t in range(25)], rtol=1e-15)
    # replay: each step is x - lrs[t] * grad(x) with the lr recorded for that step
    for t in range(25):
        np.testing.assert_allclose(r.path[t + 1], r.path[t] - r.lrs[t] * land.grad(r.path[t]), rtol=1e-13)


def test_scheduler_as_tuple_and_plateau_gets_the_loss():
    r = run(SGD, "quadratic", steps=12, scheduler=(StepLR, {"step_size": 4, "gamma": 0.1}), lr=0.1)
    assert r.lrs.tolist() == pytest.approx([0.1] * 4 + [0.01] * 4 + [0.001] * 4)
    # lr=0: the loss never improves, so the plateau scheduler must cut the lr
    r = run("SGD", "quadratic", steps=10, lr=0.0,
            scheduler=lambda o: ReduceLROnPlateau(o, patience=1, factor=0.5))
    assert r.lrs[-1] == 0.0  # 0 * factor stays 0, but the run went through step(metric) without error
    r = run("Adam", "quadratic", steps=12, lr=1.0, scheduler=lambda o: ReduceLROnPlateau(o, patience=0, factor=0.5))
    assert r.lrs[-1] < 1.0 and len(set(r.lrs.tolist())) > 1


def test_optimizer_specs_agree():
    land = L.rosenbrock()
    a = run("SGD", land, steps=30, lr=1e-3, momentum=0.9)
    b = run(SGD, land, steps=30, lr=1e-3, momentum=0.9)
    c = run((SGD, {"lr": 1e-3, "momentum": 0.9}), land, steps=30)
    d = run(lambda params: SGD(params, lr=1e-3, momentum=0.9), land, steps=30)
    for r in (b, c, d):
        np.testing.assert_array_equal(r.path, a.path)
    assert a.label == "SGD" and d.label == "<lambda>"
    assert run("Adam", land, steps=2, lr=0.1, beta1=0.5, beta2=0.9).path.shape == (3, 2)
    p = course.Parameter(np.zeros(2))
    assert make_optimizer("Adam", [p], beta2=0.9).defaults["betas"] == (0.9, 0.9)


def test_bad_specs_and_arguments():
    with pytest.raises(ValueError, match="Unknown optimizer: 'Adamm'"):
        run("Adamm", "quadratic")
    with pytest.raises(TypeError, match="factory"):
        run(lambda ps: SGD(ps, lr=0.1), "quadratic", lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        run("SGD", "quadratic", lr=-1.0)
    with pytest.raises(ValueError, match="steps"):
        run("SGD", "quadratic", steps=-1, lr=0.1)
    with pytest.raises(ValueError, match="start"):
        run("SGD", "quadratic", start=np.zeros(3), lr=0.1)
    with pytest.raises(ValueError, match="batch_size"):
        run("SGD", "quadratic", lr=0.1, batch_size=0)


def test_autograd_and_analytic_gradients_give_the_same_run():
    for land in (L.rosenbrock(), L.beale(), L.rastrigin()):
        a = run("Adam", land, steps=50, lr=0.05)
        b = run("Adam", land, steps=50, lr=0.05, autograd=False)
        np.testing.assert_allclose(a.path, b.path, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(a.losses, b.losses, rtol=1e-12, atol=1e-13)


def test_divergence_stops_early_without_raising():
    q = L.quadratic(condition_number=10)
    lr = 2.5  # > 2 / L = 2: the y coordinate grows by |1 - 2.5| = 1.5 per step
    r = run("SGD", q, steps=1000, lr=lr)
    y0 = q.start[1]
    first = next(t for t in range(1, 100) if abs(y0 * (1 - lr) ** t) > 1e6)
    assert r.diverged and r.diverged_at == first and r.message == f"diverged at step {first}"
    assert r.path.shape == (first + 1, 2) and r.losses.shape == (first + 1,) and r.lrs.shape == (first,)
    r = run("SGD", q, steps=1000, lr=lr, bound=100.0)
    assert r.diverged_at == next(t for t in range(1, 100) if abs(y0 * (1 - lr) ** t) > 100)


def test_non_finite_values_stop_the_run():
    class Explode:  # an "optimizer" that writes NaN at its third step
        def __init__(self, params):
            self.p = params[0]
            self.param_groups = [{"lr": 0.1, "params": params}]
            self.t = 0

        def zero_grad(self):
            self.p.grad = None

        def step(self):
            self.t += 1
            self.p.data[...] = np.nan if self.t == 3 else self.p.data - 0.1 * self.p.grad

    r = run(Explode, "rosenbrock", steps=50)
    assert r.diverged and r.diverged_at == 3 and np.isnan(r.path[-1]).all() and len(r.path) == 4
    r = run("SGD", "rosenbrock", steps=200, lr=1.0)  # overflows to inf/nan: numpy warnings are silenced
    assert r.diverged and r.diverged_at < 200


def test_noise_model_is_seeded_and_scaled():
    q = L.quadratic()
    a = run("SGD", q, steps=20, lr=0.1, noise=1.0, seed=3)
    b = run("SGD", q, steps=20, lr=0.1, noise=1.0, seed=3)
    c = run("SGD", q, steps=20, lr=0.1, noise=1.0, seed=4)
    np.testing.assert_array_equal(a.path, b.path)
    assert not np.array_equal(a.path, c.path)
    for batch in (1, 16):
        r = run("SGD", q, steps=4000, lr=0.01, noise=2.0, batch_size=batch, seed=0, autograd=False)
        noise = r.grads - q.grad(r.path[:-1])
        assert np.std(noise) == pytest.approx(2.0 / math.sqrt(batch), rel=0.05)


def test_effective_lrs():
    q = L.quadratic(condition_number=20)
    r = run("SGD", q, steps=10, lr=0.3)
    np.testing.assert_allclose(r.effective_lrs, 0.3, rtol=1e-10)
    lr, alpha, eps = 0.01, 0.9, 1e-8
    r = run("RMSprop", q, steps=10, lr=lr, alpha=alpha, eps=eps)
    v = np.zeros(2)
    for t in range(10):  # replay RMSprop's square average from the recorded grads
        v = alpha * v + (1 - alpha) * r.grads[t] ** 2
        np.testing.assert_allclose(r.effective_lrs[t], lr / (np.sqrt(v) + eps), rtol=1e-8)


def test_runs_on_other_backends(xp):
    start = xp.asarray([-1.2, 1.0])
    r = run("Adam", "rosenbrock", start=start, steps=20, lr=0.05)
    ref = run("Adam", "rosenbrock", start=(-1.2, 1.0), steps=20, lr=0.05)
    np.testing.assert_allclose(r.path, ref.path, rtol=1e-12)
    assert isinstance(r, Result) and r.path.dtype == np.float64
    r32 = run("SGD", "quadratic", start=np.array([1.0, 1.0], dtype=np.float32), steps=3, lr=0.1)
    assert r32.path.shape == (4, 2)


def test_tune_lr_picks_the_best_final_loss():
    land = L.rosenbrock()
    grid = [1e-4, 1e-3, 3e-3, 1e-2, 3e-2]
    best, results = tune_lr("SGD", land, lrs=grid, steps=100, return_all=True)
    finals = {lr: (math.inf if run("SGD", land, steps=100, lr=lr).diverged
                   else run("SGD", land, steps=100, lr=lr).final_loss) for lr in grid}
    assert best == min(finals, key=finals.get)
    assert not results[best].diverged and results[3e-2].diverged
    assert tune_lr("SGD", land, lrs=grid, steps=100) == best
    # every candidate diverges: the smallest is the careful answer
    assert tune_lr("SGD", land, lrs=[1.0, 10.0], steps=50) == 1.0
    with pytest.raises(TypeError, match="lr"):
        tune_lr("SGD", land, lr=0.1)
    with pytest.raises(ValueError, match="Invalid lrs"):
        tune_lr("SGD", land, lrs=[0.1, -1.0])


def test_tune_lr_breaks_ties_by_speed():
    q = L.quadratic(condition_number=1)  # lr = 1 solves it in one step; smaller lrs also reach ~0 in 200 steps
    best = tune_lr("SGD", q, lrs=[0.3, 0.5, 1.0], steps=200)
    assert best == 1.0
