"""The preconditioning helpers of notebook 12, against first principles and the library."""
import math

import numpy as np
import pytest

from course import optim
from course.classroom import landscapes, preconditioning as P, trajectory, widgets
from course.optim.muon import newton_schulz as bfloat16_newton_schulz


def test_matrix_power_inverts_and_roots():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(5, 5))
    S = A @ A.T + np.eye(5)
    np.testing.assert_allclose(P.matrix_power(S, -1.0), np.linalg.inv(S), rtol=1e-10)
    root = P.matrix_power(S, 0.5)
    np.testing.assert_allclose(root @ root, S, rtol=1e-10)
    quarter = P.matrix_power(S, 0.25)
    np.testing.assert_allclose(np.linalg.matrix_power(quarter, 4), S, rtol=1e-10)


@pytest.mark.parametrize("degrees", [0, 30, 45, 90])
def test_condition_numbers_of_rotated_bowls(degrees):
    H = landscapes.quadratic(condition_number=100, rotation=degrees).hessian
    assert P.preconditioned_condition_number(H, np.eye(2)) == pytest.approx(100)
    assert P.preconditioned_condition_number(H, H) == pytest.approx(1)
    jacobi = P.preconditioned_condition_number(H, np.diag(np.diag(H)))
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    r = abs(H[0, 1]) / math.sqrt(H[0, 0] * H[1, 1])
    assert jacobi == pytest.approx((1 + r) / (1 - r), rel=1e-9)
    assert (jacobi == pytest.approx(1)) == (degrees in (0, 90))
    assert (jacobi == pytest.approx(100)) == (degrees == 45)


def test_full_matrix_adagrad_is_rotation_invariant_and_adagrad_is_not():
    steps = {}
    for degrees in (0, 45):
        bowl = landscapes.quadratic(condition_number=100, rotation=degrees)
        full = trajectory.run(lambda p: P.FullMatrixAdagrad(p, lr=3.0), bowl, steps=60, autograd=False)
        diag = trajectory.run(lambda p: optim.Adagrad(p, lr=3.0), bowl, steps=60, autograd=False)
        steps[degrees] = (full.final_loss, diag.final_loss)
    assert steps[0][0] < 1e-10 and steps[45][0] < 1e-10
    assert steps[0][1] < 1e-10 and steps[45][1] > 1e-4


def test_full_matrix_adagrad_first_step_has_length_lr():
    from course.tensor import Parameter
    p = Parameter(np.array([1.0, 2.0]))
    opt = P.FullMatrixAdagrad([p], lr=0.5)
    p.grad = np.array([3.0, -4.0])
    opt.step()
    # G = g g^T: (G^1/2)^-1 g = g / |g| on g's direction
    np.testing.assert_allclose(p.data, [1.0 - 0.5 * 0.6, 2.0 + 0.5 * 0.8], rtol=1e-8)
    with pytest.raises(ValueError, match="one parameter"):
        P.FullMatrixAdagrad([Parameter(np.zeros(2)), Parameter(np.zeros(2))])


def test_shampoo_direction_on_commuting_factors():
    L, R = np.diag([16.0, 1.0]), np.diag([81.0, 1.0, 1.0])
    G = np.ones((2, 3))
    expected = np.array([[1 / 6, 1 / 2, 1 / 2], [1 / 3, 1.0, 1.0]])
    np.testing.assert_allclose(P.shampoo_direction(G, L, R), expected, rtol=1e-12)


def test_matrix_bowl_gradient_and_hessian():
    f, grad, W_star = P.matrix_bowl(m=3, n=2, condition_number=30, seed=1)
    assert f(W_star) == 0
    W = W_star + np.random.default_rng(2).normal(size=W_star.shape)
    E = np.zeros_like(W)
    E[1, 0] = 1e-6
    assert (f(W + E) - f(W - E)) / 2e-6 == pytest.approx(grad(W)[1, 0], rel=1e-6)


def test_float64_newton_schulz_follows_the_polynomial_and_bfloat16_is_close():
    rng = np.random.default_rng(3)
    U, _ = np.linalg.qr(rng.normal(size=(7, 4)))
    V, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    s = np.array([5.0, 2.0, 0.5, 0.01])
    G = (U * s) @ V.T
    x = s / np.linalg.norm(s)
    for _ in range(5):
        x = P.ns_polynomial(x)
    out = P.newton_schulz(G)
    np.testing.assert_allclose(np.sort(np.linalg.svd(out, compute_uv=False)), np.sort(x), rtol=1e-10)
    np.testing.assert_allclose(out @ V, U * x, atol=1e-10)  # the singular vectors stay
    # the library's bfloat16 iteration: close where the polynomial is not steep (all s / |s| > 0.1)
    G = (U * np.array([5.0, 3.0, 2.0, 1.0])) @ V.T
    np.testing.assert_allclose(bfloat16_newton_schulz(G), P.newton_schulz(G), atol=0.03)
    np.testing.assert_allclose(P.newton_schulz(G.T), P.newton_schulz(G).T, rtol=1e-12)  # a wide matrix: the transpose


def test_state_elements_are_measured():
    assert P.adam_state_elements(6, 4) == 48
    assert P.adafactor_state_elements(6, 4) == 10
    from course.tensor import Parameter
    ps = [Parameter(np.zeros((3, 2))), Parameter(np.zeros(5))]
    opt = optim.SGD(ps, lr=0.1, momentum=0.9)
    for p in ps:
        p.grad = np.ones(p.shape)
    opt.step()
    assert P.state_elements(opt) == {0: {"momentum_buffer": 6}, 1: {"momentum_buffer": 5}}


def test_rotation_explorer_moves_and_its_static_view_is_the_live_view():
    e = widgets.rotation_explorer(degrees=0, log10_lr=0.5)
    assert "diagonal: loss < 1e-6 at step" in e.text
    before = e.lines["diag"].get_xydata().copy()
    e.controls["degrees"].value = 45
    assert "diagonal: loss" in e.text and "after 100" in e.text
    assert not np.array_equal(before, e.lines["diag"].get_xydata())
    e.controls["log10_lr"].value = 1.0
    e.controls["log10_lr"].value = -1.0
    assert "rotation 45 degrees, lr 0.1" in e.text
    from io import BytesIO

    from PIL import Image
    stored, live = (np.asarray(Image.open(BytesIO(b))) for b in (e.static().data, e.png))
    assert np.array_equal(stored, live)
