"""course.classroom.noise_scale: B_simple, its two-batch estimate, and the noise ball of SGD and Adam."""
import numpy as np
import pytest

import course
from course import nn, optim
from course.classroom import noise_scale as ns
from course.classroom.digits_runs import digits_mlp, digits_splits


def gradients(n=400, d=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) * np.linspace(0.5, 2, d) + rng.normal(size=d)


def test_b_simple_is_the_trace_of_the_covariance_over_the_squared_mean():
    g = gradients()
    mean = g.mean(axis=0)
    expected = np.trace(np.cov(g.T, bias=True)) / (mean @ mean)
    assert ns.b_simple(g) == pytest.approx(expected, rel=1e-12)
    assert ns.b_simple(np.tile(g[:1], (5, 1))) == 0.0  # no spread, no noise


def test_per_sample_gradients_average_to_the_full_batch_gradient():
    (X, y), _, _ = digits_splits()
    X, y = X[:24], y[:24]
    model, loss_fn = digits_mlp(8, 0), nn.CrossEntropyLoss()
    rows = ns.per_sample_gradients(model, loss_fn, X, y)
    model.zero_grad()
    loss_fn(model(X), y).backward()
    full = np.concatenate([np.asarray(p.grad).ravel() for p in model.parameters()])
    assert rows.shape == (24, full.size)
    np.testing.assert_allclose(rows.mean(axis=0), full, rtol=1e-5, atol=1e-7)  # float32 model
    single = ns.per_sample_gradients(model, loss_fn, X[3:4], y[3:4])
    np.testing.assert_array_equal(single[0], rows[3])


def test_batch_norms_follow_the_expectation_identity():
    g = gradients(seed=1)
    mean = g.mean(axis=0)
    trace = ((g - mean) ** 2).sum(axis=1).mean()
    for batch in (1, 8, 64):
        sampled = ns.batch_gradient_norms(g, batch, draws=20_000, seed=batch).mean()
        assert sampled == pytest.approx(mean @ mean + trace / batch, rel=0.03)


def test_two_batch_estimate_inverts_the_identity():
    g = gradients(seed=2)
    mean = g.mean(axis=0)
    trace = ((g - mean) ** 2).sum(axis=1).mean()
    exact = ns.two_batch_estimate(mean @ mean + trace / 4, 4, mean @ mean + trace / 100, 100)
    assert exact == pytest.approx(ns.b_simple(g), rel=1e-10)
    sampled = ns.two_batch_estimate(ns.batch_gradient_norms(g, 4, 40_000, seed=0).mean(), 4,
                                    ns.batch_gradient_norms(g, 100, 40_000, seed=1).mean(), 100)
    assert sampled == pytest.approx(ns.b_simple(g), rel=0.1)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_noise_ball_steps_are_course_optim_steps(name):
    lr, batch, steps, seeds, h = 0.05, 4, 60, 3, np.array([1.0, 0.25])
    xs = ns.noise_ball(name, lr, batch, steps, seeds, seed=5)
    noise = np.random.default_rng(5).normal(size=(steps, seeds, 2)) / np.sqrt(batch)
    p = course.Parameter(np.zeros((seeds, 2)))
    opt = optim.SGD([p], lr=lr) if name == "SGD" else optim.Adam([p], lr=lr)
    for t in range(steps):
        p.grad = h * np.asarray(p.data) + noise[t]
        opt.step()
        np.testing.assert_allclose(xs[t], p.data, rtol=1e-12, atol=1e-15)


def test_sgd_ball_matches_its_stationary_variance():
    xs = ns.noise_ball("SGD", 0.2, 2, steps=3000, seeds=200, seed=0)[1000:]
    measured = xs.var(axis=(0, 1))
    np.testing.assert_allclose(measured, ns.sgd_ball_variance(0.2, 2), rtol=0.05)
    # the same lr / batch, the same ball (to first order in lr h)
    small = ns.sgd_ball_variance(0.01, 1)
    np.testing.assert_allclose(ns.sgd_ball_variance(0.04, 4), small, rtol=0.02)
    assert np.all(np.isinf(ns.sgd_ball_variance(2.5, 1)[:1]))  # lr h = 2.5 > 2: no ball


def test_adam_ball_keeps_its_size_under_the_square_root_rule():
    def loss(lr, b):
        xs = ns.noise_ball("Adam", lr, b, steps=3000, seeds=32, seed=1)[1500:]
        return (0.5 * np.array([1.0, 0.25]) * xs ** 2).sum(axis=-1).mean()
    base = loss(0.01, 1)
    assert loss(0.01 * 8, 64) == pytest.approx(base, rel=0.25)       # sqrt rule: about the same (measured -16%)
    assert loss(0.01 * 64, 64) > 3 * base                              # linear rule: grows ~ sqrt(64)


def test_noise_ball_refuses_other_optimizers_and_keeps_divergence():
    with pytest.raises(ValueError, match="Invalid optimizer: 'RMSprop'"):
        ns.noise_ball("RMSprop", 0.1, 1)
    xs = ns.noise_ball("SGD", 3.0, 1, steps=400)
    assert not np.all(np.isfinite(xs[-1])) or np.abs(xs[-1]).max() > 1e6
