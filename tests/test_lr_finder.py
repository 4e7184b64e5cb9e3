"""The LR range test: exponential sweep, smoothing, early stop, restoration, suggestions."""
import math

import numpy as np
import pytest

from course import lr_finder, nn, optim
from course.data import DataLoader, TensorDataset, make_regression


def _setup(seed=0):
    X, y = make_regression(n_samples=128, n_features=10, seed=seed)
    loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True, seed=seed)
    model = nn.SimpleNN(seed=seed)
    return model, nn.MSELoss(), loader


def test_sweep_is_exponential_and_restores_everything():
    model, loss_fn, loader = _setup()
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    before = {k: np.array(v, copy=True) for k, v in model.state_dict().items()}
    model.eval()
    result = lr_finder.lr_find(model, loss_fn, optimizer, loader, start_lr=1e-5, end_lr=1.0, num_iter=30)
    ratios = np.diff(np.log(result.lrs))
    np.testing.assert_allclose(ratios, math.log(1e5) / 29, rtol=1e-12)
    assert result.lrs[0] == pytest.approx(1e-5)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(np.asarray(v), before[k])
    assert optimizer.param_groups[0]["lr"] == 0.05
    assert optimizer.state_dict()["state"] == {}
    assert all(p.grad is None for p in model.parameters())
    assert model.training is False  # the mode it was in


def test_smoothing_is_a_debiased_ewma():
    model, loss_fn, loader = _setup()
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    r = lr_finder.lr_find(model, loss_fn, optimizer, loader, start_lr=1e-6, end_lr=1e-3, num_iter=10, beta=0.9)
    avg = 0.0
    for i, loss in enumerate(r.losses):
        avg = 0.9 * avg + 0.1 * loss
        assert r.smoothed[i] == pytest.approx(avg / (1 - 0.9 ** (i + 1)), rel=1e-12)
    assert r.smoothed[0] == pytest.approx(r.losses[0])


def test_stops_when_the_loss_explodes():
    model, loss_fn, loader = _setup()
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    r = lr_finder.lr_find(model, loss_fn, optimizer, loader, start_lr=1e-4, end_lr=1e3, num_iter=200)
    assert r.stopped_early and len(r.lrs) < 200
    assert r.smoothed[-1] > 4 * min(r.smoothed) or not math.isfinite(r.smoothed[-1])


def test_suggestions_on_a_known_curve():
    lrs = [10 ** (k / 10 - 5) for k in range(51)]
    # falls linearly in log lr until k=30, then rises
    curve = [3.0 - 0.1 * k if k <= 30 else 0.0 + 0.5 * (k - 30) for k in range(51)]
    assert lr_finder.suggest(lrs, curve, "minimum/10") == pytest.approx(lrs[30] / 10)
    steep = lr_finder.suggest(lrs, curve, "steepest")
    assert lrs[1] <= steep <= lrs[29]
    valley = lr_finder.suggest(lrs, curve, "valley")
    assert lrs[10] <= valley <= lrs[25]  # well inside the falling stretch


@pytest.mark.parametrize("kwargs, match", [
    ({"start_lr": 0.0}, "start_lr"),
    ({"start_lr": 1.0, "end_lr": 0.1}, "end_lr"),
    ({"num_iter": 2}, "num_iter"),
    ({"beta": 1.0}, "beta"),
    ({"diverge_factor": 1.0}, "diverge_factor"),
])
def test_bad_arguments(kwargs, match):
    model, loss_fn, loader = _setup()
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    with pytest.raises(ValueError, match=match):
        lr_finder.lr_find(model, loss_fn, optimizer, loader, **kwargs)


def test_unknown_suggestion_method():
    with pytest.raises(ValueError, match="'best'"):
        lr_finder.suggest([1, 2, 3], [3, 2, 1], "best")
