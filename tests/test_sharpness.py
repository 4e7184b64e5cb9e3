"""course.classroom.sharpness: Hessian-vector products, the power iteration, the edge-of-stability run."""
import numpy as np
import pytest

from course import nn, optim
from course.classroom import sharpness as sh


def quadratic_problem(n=20, d=5, seed=0):
    """A linear model under the MSE: the loss is a quadratic with Hessian 2/n X^T X, exactly."""
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(n, d)) * np.linspace(0.3, 2.0, d), rng.normal(size=(n, 1))
    return nn.Linear(d, 1, bias=False, seed=seed, dtype="float64"), nn.MSELoss(), X, Y, 2 / n * X.T @ X


def tiny_tanh(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(12, 3))
    Y = rng.normal(size=(12, 2))
    model = nn.Sequential(nn.Linear(3, 4, seed=rng, dtype="float64"), nn.Tanh(),
                          nn.Linear(4, 2, seed=rng, dtype="float64"))
    return model, nn.MSELoss(), X, Y


def test_flat_parameters_round_trip_and_wrong_length():
    model, *_ = tiny_tanh()
    theta = sh.flat_parameters(model)
    assert theta.size == sum(p.data.size for p in model.parameters()) == 3 * 4 + 4 + 4 * 2 + 2
    sh.set_flat_parameters(model, theta * 2)
    np.testing.assert_array_equal(sh.flat_parameters(model), theta * 2)
    with pytest.raises(ValueError, match="theta has 3 entries"):
        sh.set_flat_parameters(model, np.zeros(3))


def test_hvp_on_a_quadratic_is_the_hessian_times_v():
    model, loss_fn, X, Y, H = quadratic_problem()
    v = np.random.default_rng(1).normal(size=H.shape[0])
    np.testing.assert_allclose(sh.hessian_vector_product(model, loss_fn, X, Y, v), H @ v, rtol=1e-7, atol=1e-9)
    assert not sh.hessian_vector_product(model, loss_fn, X, Y, np.zeros_like(v)).any()


def test_hvp_puts_the_parameters_back_exactly():
    model, loss_fn, X, Y = tiny_tanh()
    before = sh.flat_parameters(model)
    sh.hessian_vector_product(model, loss_fn, X, Y, np.ones_like(before))
    np.testing.assert_array_equal(sh.flat_parameters(model), before)


def test_top_eigenvalue_of_a_quadratic_with_known_eigenvalues():
    model, loss_fn, X, Y, H = quadratic_problem()
    top = sh.top_eigenvalue(model, loss_fn, X, Y, iters=300)
    evals, evecs = np.linalg.eigh(H)
    assert top.value == pytest.approx(evals[-1], rel=1e-6)
    assert abs(top.vector @ evecs[:, -1]) == pytest.approx(1.0, abs=1e-5)
    assert top.residual < 1e-3


def test_top_eigenvalue_matches_numpy_on_the_dense_hessian_of_a_tiny_net():
    model, loss_fn, X, Y = tiny_tanh()
    H = sh.dense_hessian(model, loss_fn, X, Y)
    np.testing.assert_allclose(H, H.T)
    evals = np.linalg.eigvalsh(H)
    top = sh.top_eigenvalue(model, loss_fn, X, Y, iters=500)
    largest = evals[np.argmax(np.abs(evals))]  # power iteration finds the largest magnitude
    assert top.value == pytest.approx(largest, rel=1e-5)


def test_dense_hessian_equals_torchs():
    torch = pytest.importorskip("torch")
    model, loss_fn, X, Y = tiny_tanh(seed=3)
    W1, b1, W2, b2 = (np.array(p.data) for p in model.parameters())
    sizes = [W1.size, b1.size, W2.size, b2.size]
    Xt, Yt = torch.tensor(X), torch.tensor(Y)

    def loss(theta):
        w1, c1, w2, c2 = torch.split(theta, sizes)
        h = torch.tanh(Xt @ w1.reshape(W1.shape).T + c1)
        return ((h @ w2.reshape(W2.shape).T + c2 - Yt) ** 2).mean()

    theta = torch.tensor(sh.flat_parameters(model))
    ref = torch.autograd.functional.hessian(loss, theta).numpy()
    np.testing.assert_allclose(sh.dense_hessian(model, loss_fn, X, Y), ref, rtol=1e-5, atol=1e-8)


def test_a_warm_start_converges_in_fewer_iterations():
    model, loss_fn, X, Y, H = quadratic_problem(seed=2)
    cold = sh.top_eigenvalue(model, loss_fn, X, Y, iters=300)
    warm = sh.top_eigenvalue(model, loss_fn, X, Y, iters=2, v0=cold.vector)
    assert warm.value == pytest.approx(cold.value, rel=1e-9)
    assert sh.top_eigenvalue(model, loss_fn, X, Y, iters=2).residual > warm.residual


def test_edge_run_is_plain_full_batch_gd_and_measures_at_its_steps():
    rng = np.random.default_rng(0)
    X, Y = rng.random((30, 64)), np.eye(10)[rng.integers(0, 10, 30)]
    run = sh.edge_of_stability_run(X, Y, lr=0.5, steps=25, every=10, hidden=8)
    model, loss_fn = sh.eos_mlp(8, 0), nn.MSELoss()
    first = sh.top_eigenvalue(model, loss_fn, X, Y, iters=20).value
    opt, losses = optim.SGD(model.parameters(), lr=0.5), []
    for _ in range(25):
        opt.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        losses.append(loss.item())
        opt.step()
    np.testing.assert_array_equal(run.losses, losses)
    np.testing.assert_array_equal(run.steps, [0, 10, 20])
    assert run.sharpness[0] == first and run.lr == 0.5


def test_eos_mlp_scales_only_the_output_layer():
    a, b = sh.eos_mlp(16, 1, out_scale=1.0), sh.eos_mlp(16, 1, out_scale=0.3)
    pa, pb = [np.array(p.data) for p in a.parameters()], [np.array(p.data) for p in b.parameters()]
    np.testing.assert_array_equal(pa[0], pb[0])
    np.testing.assert_allclose(pa[2] * 0.3, pb[2])
    assert pb[0].dtype == np.float64


def test_full_batch_gd_sharpens_to_two_over_lr_and_stays():
    """The edge of stability on 200 digits (Cohen et al. 2021): at lr 2 the sharpness rises from
    about 0.75 to 2/lr = 1 and hovers there; at lr 0.5 it is still rising, far below 2/lr = 4."""
    from course.data import load_digits
    X, y = load_digits(dtype=np.float64)
    pick = np.random.default_rng(0).permutation(len(X))[:200]
    X, Y = X[pick], np.eye(10)[y[pick]]
    fast = sh.edge_of_stability_run(X, Y, lr=2.0, steps=300, every=20)
    late = fast.sharpness[fast.steps >= 100]
    assert fast.sharpness[0] < 0.8
    assert 0.9 < late.min() and late.max() < 1.5  # around 2 / lr = 1, never far above it
    assert np.any(np.diff(fast.losses) > 0)  # not monotone, unlike GD on a quadratic below 2/L
    slow = sh.edge_of_stability_run(X, Y, lr=0.5, steps=300, every=100)
    assert np.all(np.diff(slow.sharpness) > 0) and slow.sharpness[-1] < 0.6 * 2 / 0.5
    assert np.all(np.diff(slow.losses) < 0)
