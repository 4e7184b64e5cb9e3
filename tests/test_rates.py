"""Convergence rates from the eigenvalues, checked against independent computations and runs."""
import math

import numpy as np
import pytest

from course.classroom import landscapes as L
from course.classroom.rates import gd_rate, measured_rate, momentum_rate, optimal_gd, optimal_momentum
from course.classroom.trajectory import run


def spectral_radius(lr, beta, h):
    M = np.array([[1 - lr * h, -lr * beta], [h, beta]])
    return max(abs(np.linalg.eigvals(M)))


@pytest.mark.parametrize("lr,beta", [(0.5, 0.0), (1.0, 0.5), (3.0, 0.9), (0.1, 0.99), (4.5, 0.3)])
def test_momentum_rate_is_the_spectral_radius(lr, beta):
    h = [1.0, 0.3, 0.01]
    assert momentum_rate(lr, beta, h) == pytest.approx(max(spectral_radius(lr, beta, v) for v in h), rel=1e-9)


def test_heatmap_broadcasts():
    lrs, betas = np.linspace(0, 4, 7), np.linspace(0, 0.95, 5)
    grid = momentum_rate(lrs[None, :], betas[:, None], [1.0, 0.05])
    assert grid.shape == (5, 7)
    assert grid[3, 2] == pytest.approx(momentum_rate(lrs[2], betas[3], [1.0, 0.05]))


def test_gd_rate_and_optimum():
    assert gd_rate(1.5, [2.0, 0.5]) == pytest.approx(2.0)
    lr, rate = optimal_gd(1.0, 0.1)
    lrs = np.linspace(0.01, 2.2, 5001)
    rates = gd_rate(lrs, [1.0, 0.1])
    assert rate == pytest.approx(rates.min(), abs=1e-3) and lr == pytest.approx(lrs[np.argmin(rates)], abs=1e-3)
    assert momentum_rate(0.7, 0.0, [1.0, 0.1]) == pytest.approx(gd_rate(0.7, [1.0, 0.1]))


@pytest.mark.parametrize("L_, mu", [(1.0, 0.01), (10.0, 1.0), (2.0, 0.5)])
def test_optimal_momentum_is_the_best_pair(L_, mu):
    opt = optimal_momentum(L_, mu)
    kappa = L_ / mu
    assert opt.rate == pytest.approx((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1))
    assert momentum_rate(opt.lr, opt.momentum, [L_, mu]) == pytest.approx(opt.rate, rel=1e-6)
    lrs = np.linspace(0.01, 4.5 / L_, 301)
    betas = np.linspace(0, 0.99, 301)
    grid = momentum_rate(lrs[None, :], betas[:, None], [L_, mu])
    assert grid.min() >= opt.rate - 1e-9  # nothing on the grid beats it


def test_measured_rate_matches_theory():
    q = L.quadratic(condition_number=100, rotation=20)
    for lr, beta in [(1.0, 0.9), (3.0, 0.7), (0.5, 0.0)]:
        r = run("SGD", q, steps=300, lr=lr, momentum=beta)
        theory = momentum_rate(lr, beta, [q.L, q.mu])
        assert measured_rate(r, skip=50) == pytest.approx(theory, rel=0.01)
    opt = optimal_momentum(q.L, q.mu)
    r = run("SGD", q, steps=150, lr=opt.lr, momentum=opt.momentum)
    # at the optimum the eigenvalues are repeated: polynomial factors slow the start, so a wider tolerance
    assert measured_rate(r, skip=30) == pytest.approx(opt.rate, rel=0.03)


def test_torch_momentum_is_polyaks_heavy_ball():
    q = L.quadratic(condition_number=30, rotation=10)
    lr, beta = 0.8, 0.6
    r = run("SGD", q, steps=20, lr=lr, momentum=beta)
    x_prev, x = np.array(q.start), np.array(q.start) - lr * q.grad(np.array(q.start))
    np.testing.assert_allclose(r.path[1], x)
    for t in range(2, 21):
        x_prev, x = x, x - lr * q.grad(x) + beta * (x - x_prev)
        np.testing.assert_allclose(r.path[t], x, rtol=1e-12, atol=1e-14)


def test_bad_input():
    with pytest.raises(ValueError, match="mu"):
        optimal_momentum(1.0, 0.0)
    with pytest.raises(ValueError, match="mu"):
        optimal_gd(1.0, 2.0)
    with pytest.raises(ValueError, match="eigenvalues"):
        momentum_rate(0.1, 0.9, [-1.0])
    with pytest.raises(ValueError, match="at least 2 points"):
        measured_rate(np.zeros((5, 2)))
