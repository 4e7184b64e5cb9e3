"""Landscapes: analytic gradient == autograd == finite differences; minima are minima."""
import math

import numpy as np
import pytest

import course
from course.classroom import landscapes as L

ALL = [L.quadratic(), L.quadratic(condition_number=50, rotation=30, scale=2.0), L.rosenbrock(), L.rosenbrock(a=2, b=10),
       L.beale(), L.himmelblau(), L.saddle(), L.rastrigin()]
IDS = [land.title for land in ALL]


def points(land, n=8, seed=0):
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = land.window
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


def finite_diff(land, xy, h=1e-6):
    g = np.zeros(2)
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        g[i] = (float(land(xy + e)) - float(land(xy - e))) / (2 * h)
    return g


@pytest.mark.parametrize("land", ALL, ids=IDS)
def test_analytic_grad_equals_autograd_and_finite_differences(land):
    for xy in points(land):
        analytic = land.grad(xy)
        p = course.Parameter(xy.copy())
        loss = land(p)
        loss.backward()
        scale = max(1.0, float(np.max(np.abs(analytic))))
        np.testing.assert_allclose(p.grad, analytic, rtol=1e-12, atol=1e-12 * scale)
        np.testing.assert_allclose(finite_diff(land, xy), analytic, rtol=1e-5, atol=1e-5 * scale)
        assert float(loss) == pytest.approx(float(land(xy)), rel=1e-14, abs=1e-14)


@pytest.mark.parametrize("land", ALL, ids=IDS)
def test_grids_and_batches(land):
    X, Y, Z = land.grid(20)
    assert Z.shape == (20, 20)
    i, j = 3, 7
    assert Z[i, j] == pytest.approx(float(land.f(X[i, j], Y[i, j])), rel=1e-12)
    batch = points(land, n=5)
    grads = land.grad(batch)
    assert grads.shape == (5, 2)
    np.testing.assert_allclose(grads[2], land.grad(batch[2]))
    np.testing.assert_allclose(land(batch), [float(land(b)) for b in batch], rtol=1e-12)


@pytest.mark.parametrize("land", ALL, ids=IDS)
def test_minima_are_stationary_with_the_listed_value(land):
    for m in land.minima:
        xy = np.array(m)
        assert np.max(np.abs(land.grad(xy))) < 1e-9
        assert float(land(xy)) == pytest.approx(land.f_min, abs=1e-12)
        # and a minimum: every nearby point is higher
        for d in ([1e-3, 0], [0, 1e-3], [-1e-3, 1e-3], [7e-4, -7e-4]):
            assert float(land(xy + np.array(d))) > land.f_min
        (x0, x1), (y0, y1) = land.window
        assert x0 <= m[0] <= x1 and y0 <= m[1] <= y1
    (x0, x1), (y0, y1) = land.window
    assert x0 <= land.start[0] <= x1 and y0 <= land.start[1] <= y1


def test_saddle_has_no_minimum_and_is_unbounded_below():
    s = L.saddle()
    assert s.minima == [] and s.f_min is None
    np.testing.assert_array_equal(s.grad(np.array([0.0, 0.0])), [0.0, -0.0])
    assert float(s(np.array([0.0, 1e3]))) < float(s(np.array([0.0, 0.0]))) < float(s(np.array([1e3, 0.0])))


def test_grid_minimum_of_rastrigin_and_himmelblau_count():
    X, Y, Z = L.rastrigin().grid(201)
    k = np.unravel_index(np.argmin(Z), Z.shape)
    assert abs(X[k]) < 0.06 and abs(Y[k]) < 0.06
    h = L.himmelblau()
    assert len(h.minima) == 4 and len(set(h.minima)) == 4


@pytest.mark.parametrize("kappa,rotation,scale", [(10, 0, 1.0), (100, 30, 2.0), (1, 45, 0.5), (4, 90, 3.0)])
def test_quadratic_hessian_eigenvalues_and_rotation(kappa, rotation, scale):
    q = L.quadratic(condition_number=kappa, rotation=rotation, scale=scale)
    assert q.L == pytest.approx(scale) and q.mu == pytest.approx(scale / kappa)
    np.testing.assert_allclose(np.linalg.eigvalsh(q.hessian), [scale / kappa, scale], rtol=1e-12)
    # the Hessian by finite differences of the analytic gradient
    H = np.column_stack([(q.grad(np.array([1.0, 2.0]) + e) - q.grad(np.array([1.0, 2.0]) - e)) / 2e-4
                         for e in (np.array([1e-4, 0.0]), np.array([0.0, 1e-4]))])
    np.testing.assert_allclose(H, q.hessian, atol=1e-9)
    # the flat direction (eigenvalue mu) points along the rotation angle
    t = math.radians(rotation)
    v = np.array([math.cos(t), math.sin(t)])
    np.testing.assert_allclose(q.hessian @ v, q.mu * v, atol=1e-12)


@pytest.mark.parametrize("bad", [dict(condition_number=0.5), dict(condition_number=float("nan")), dict(scale=0.0),
                                 dict(scale=-1.0), dict(rotation=float("inf"))])
def test_quadratic_rejects_bad_arguments(bad):
    name = next(iter(bad))
    with pytest.raises(ValueError, match=name):
        L.quadratic(**bad)


def test_registry():
    assert set(L.LANDSCAPES) == {"quadratic", "rosenbrock", "beale", "himmelblau", "saddle", "rastrigin"}
    assert L.get("Rosenbrock").name == "rosenbrock"
    assert L.get("quadratic", condition_number=7).condition_number == 7
    r = L.rosenbrock()
    assert L.get(r) is r
    with pytest.raises(ValueError, match="Unknown landscape: 'nope'"):
        L.get("nope")
    with pytest.raises(TypeError):
        L.get(r, a=2)


def test_bad_points_are_rejected():
    with pytest.raises(ValueError, match="2 coordinates"):
        L.beale()((1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="shape"):
        L.beale()(np.zeros(3))


@pytest.mark.parametrize("land", ALL, ids=IDS)
def test_backends_agree(land, xp):
    xy = points(land, n=1)[0]
    a = xp.asarray(xy)
    np.testing.assert_allclose(np.asarray(course.backend.to_numpy(land.grad(a))), land.grad(xy), rtol=1e-13)
    assert float(land(a)) == pytest.approx(float(land(xy)), rel=1e-13)
    p = course.Parameter(xp.asarray(xy))
    land(p).backward()
    np.testing.assert_allclose(course.backend.to_numpy(p.grad), land.grad(xy), rtol=1e-12, atol=1e-12)


def test_float32_stays_float32():
    p = course.Parameter(np.array([0.5, -0.25], dtype=np.float32))
    loss = L.rosenbrock()(p)
    loss.backward()
    assert loss.dtype == np.float32 and p.grad.dtype == np.float32
    assert L.rastrigin().grad(np.array([0.1, 0.2], dtype=np.float32)).dtype == np.float32
