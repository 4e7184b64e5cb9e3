"""course.training.fit: the loop every comparison notebook uses."""
import numpy as np
import pytest

from course import nn, optim, training
from course.data import DataLoader, TensorDataset, make_regression


def _data(seed=0):
    X, y = make_regression(n_samples=160, n_features=10, seed=seed)
    return X[:128], y[:128], X[128:], y[128:]


def test_fit_records_and_matches_a_hand_written_loop():
    Xtr, ytr, Xva, yva = _data()
    runs = []
    for by_hand in (False, True):
        model = nn.SimpleNN(seed=1)
        loss_fn = nn.MSELoss()
        opt = optim.Adam(model.parameters(), lr=0.01)
        sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        loader = DataLoader(TensorDataset(Xtr, ytr), batch_size=32, shuffle=True, seed=3)
        if by_hand:
            for _ in range(5):
                for xb, yb in loader:
                    opt.zero_grad()
                    loss = loss_fn(model(xb), yb)
                    loss.backward()
                    opt.step()
                sched.step()
            runs.append(model.state_dict())
        else:
            hist = training.fit(model, loss_fn, opt, loader, epochs=5, scheduler=sched, val=(Xva, yva))
            runs.append(model.state_dict())
    for k in runs[0]:
        np.testing.assert_array_equal(np.asarray(runs[0][k]), np.asarray(runs[1][k]))
    assert hist.lr == [0.01, 0.01, 0.005, 0.005, 0.0025]
    assert len(hist.train_loss) == len(hist.val_loss) == 5
    assert hist.train_loss[-1] < hist.train_loss[0]


def test_plateau_is_stepped_with_the_validation_loss():
    Xtr, ytr, Xva, yva = _data()
    model = nn.SimpleNN(seed=1)
    opt = optim.SGD(model.parameters(), lr=1e-6)  # too small to improve by half: every epoch is bad
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5, threshold=0.5)
    loader = DataLoader(TensorDataset(Xtr, ytr), batch_size=64)
    hist = training.fit(model, nn.MSELoss(), opt, loader, epochs=6, scheduler=sched, val=(Xva, yva))
    assert hist.lr[-1] < hist.lr[0]
    assert sched.best == hist.val_loss[0]  # no later epoch beat it by the 50% threshold


def test_accuracy():
    logits = np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]])
    assert training.accuracy(logits, np.array([0, 1, 1])) == pytest.approx(2 / 3)


def test_bad_interval():
    model = nn.SimpleNN()
    with pytest.raises(ValueError, match="scheduler_interval"):
        training.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), [], 1, scheduler_interval="step")


def test_graph_size_counts_intermediates_and_is_empty_under_no_grad():
    import numpy as np
    from course import nn
    from course.tensor import Tensor, no_grad
    from course.training import graph_size
    w = Tensor(np.ones(4), requires_grad=True)
    y = (w * 2.0 + 1.0).sum()
    assert graph_size(y) == (3, 4 * 8 + 4 * 8 + 8)
    with no_grad():
        assert graph_size((w * 2.0).sum()) == (0, 0)
    net = nn.Sequential(nn.Linear(3, 5, seed=0), nn.ReLU(), nn.Linear(5, 2, seed=1))
    small = graph_size(net(np.ones((2, 3), np.float32)).sum())
    big = graph_size(net(np.ones((20, 3), np.float32)).sum())
    assert big[0] == small[0] and big[1] > small[1]  # same graph, larger arrays
