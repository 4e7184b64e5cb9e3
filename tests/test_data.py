"""course.data: TensorDataset, DataLoader (every sample once, reproducible shuffling), the
synthetic generators, the shipped digits and the split helper."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import course.data as data
from course.backend import to_numpy
from course.data import DataLoader, TensorDataset


# ------------------------------------------------------------ TensorDataset
def test_tensor_dataset_items_and_length(xp):
    X, y = xp.reshape(xp.arange(12.0), (6, 2)), xp.arange(6)
    ds = TensorDataset(X, y)
    assert len(ds) == 6
    x3, y3 = ds[3]
    np.testing.assert_array_equal(to_numpy(x3), [6.0, 7.0])
    assert int(y3) == 3


def test_tensor_dataset_mismatched_lengths_names_them():
    with pytest.raises(ValueError, match=r"first dimensions are \[5, 4\]"):
        TensorDataset(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="at least one array"):
        TensorDataset()
    with pytest.raises(TypeError, match="argument 1 must be an array"):
        TensorDataset(np.zeros(3), [1, 2, 3])


def test_tensor_dataset_accepts_tensors():
    from course import Tensor

    ds = TensorDataset(Tensor(np.arange(3.0)))
    assert isinstance(ds.arrays[0], np.ndarray)


# ---------------------------------------------------------------- DataLoader
def _epoch(loader):
    return [tuple(to_numpy(a) for a in batch) for batch in loader]


@pytest.mark.parametrize("n,batch_size,drop_last", [(10, 3, False), (10, 3, True), (12, 4, False), (5, 8, False),
                                                    (5, 8, True), (1, 1, False)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_every_sample_exactly_once_per_epoch(n, batch_size, drop_last, shuffle, xp):
    X = xp.reshape(xp.arange(2.0 * n), (n, 2))
    loader = DataLoader(TensorDataset(xp.arange(n), X), batch_size=batch_size, shuffle=shuffle,
                        drop_last=drop_last, seed=1)
    expected_len = n // batch_size if drop_last else -(-n // batch_size)
    assert len(loader) == expected_len
    for _ in range(2):
        batches = _epoch(loader)
        assert len(batches) == expected_len
        assert all(len(idx) == batch_size for idx, _ in batches[:-1] if batches)
        seen = np.concatenate([idx for idx, _ in batches]) if batches else np.array([], dtype=int)
        for idx, xb in batches:  # rows stay together
            np.testing.assert_array_equal(xb, np.stack([2.0 * idx, 2.0 * idx + 1], axis=1))
        if drop_last:
            assert len(seen) == expected_len * batch_size and len(set(seen.tolist())) == len(seen)
        else:
            assert sorted(seen.tolist()) == list(range(n))
        if not shuffle:
            assert seen.tolist() == list(range(len(seen)))


def test_shuffle_is_reproducible_from_the_seed_and_reshuffles_each_epoch():
    def orders(**kw):
        loader = DataLoader(TensorDataset(np.arange(20)), batch_size=5, shuffle=True, **kw)
        return [np.concatenate([b[0] for b in loader]) for _ in range(3)]

    a, b, c = orders(seed=7), orders(seed=7), orders(seed=8)
    for e in range(3):
        np.testing.assert_array_equal(a[e], b[e])
    assert not np.array_equal(a[0], a[1]) and not np.array_equal(a[1], a[2])
    assert not np.array_equal(a[0], c[0])
    g1, g2 = orders(generator=np.random.default_rng(7)), orders(seed=7)
    np.testing.assert_array_equal(np.stack(g1), np.stack(g2))
    np.testing.assert_array_equal(np.stack(orders()), np.stack(orders()))  # no seed: still deterministic


def test_batches_are_copies_with_the_dataset_dtype():
    X = np.arange(6.0, dtype=np.float32).reshape(3, 2)
    (xb,) = next(iter(DataLoader(TensorDataset(X), batch_size=2)))
    assert xb.dtype == np.float32
    xb[...] = -1
    assert X.min() == 0  # the dataset is untouched


def test_generic_dataset_is_stacked():
    class Squares:
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.array([i, i * i]), i % 2

    batches = list(DataLoader(Squares(), batch_size=2))
    assert len(batches) == 3
    xb, yb = batches[1]
    np.testing.assert_array_equal(xb, [[2, 4], [3, 9]])
    np.testing.assert_array_equal(yb, [0, 1])


@pytest.mark.parametrize("bad", [0, -1, 1.5, None, True, "4"])
def test_bad_batch_size_is_a_value_error_naming_it(bad):
    with pytest.raises(ValueError, match=f"batch_size={bad!r}"):
        DataLoader(TensorDataset(np.zeros(4)), batch_size=bad)


def test_other_loader_errors():
    ds = TensorDataset(np.zeros(4))
    with pytest.raises(ValueError, match="either seed or generator"):
        DataLoader(ds, shuffle=True, seed=1, generator=np.random.default_rng(1))
    with pytest.raises(TypeError, match="shuffle should be a boolean"):
        DataLoader(ds, shuffle="yes")
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        DataLoader(ds, generator=3)


def test_a_model_trains_from_the_loader():
    from course import no_grad, nn

    X, y = data.make_regression(n_samples=128, seed=0)
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True, seed=0)
    model, loss_fn = nn.SimpleNN(seed=0), nn.MSELoss()
    epoch_losses = []
    for _ in range(15):
        total = 0.0
        for xb, yb in loader:
            model.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            with no_grad():
                for p in model.parameters():
                    p.data -= 0.05 * p.grad
            total += loss.item()
        epoch_losses.append(total / len(loader))
    assert epoch_losses[-1] < 0.3 * epoch_losses[0]


# ------------------------------------------------------------ synthetic data
GENERATORS = {
    "regression": lambda **kw: data.make_regression(n_samples=40, **kw),
    "moons": lambda **kw: data.make_moons(n_samples=40, **kw),
    "spirals": lambda **kw: data.make_spirals(n_samples=40, **kw),
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generators_are_seeded(name):
    make = GENERATORS[name]
    X1, y1 = make(seed=3)
    X2, y2 = make(seed=3)
    X3, _ = make(seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert X1.dtype == np.float32 and isinstance(X1, np.ndarray) and len(X1) == len(y1) == 40
    assert make(seed=3, dtype=np.float64)[0].dtype == np.float64


def test_make_regression_fits_simple_nn_and_is_nearly_linear():
    X, y = data.make_regression(n_samples=500, n_features=10, noise=0.1, seed=0)
    assert X.shape == (500, 10) and y.shape == (500, 1)
    A = np.hstack([X, np.ones((500, 1))]).astype(np.float64)
    residual = y - A @ np.linalg.lstsq(A, y, rcond=None)[0]
    assert 0.05 < residual.std() < 0.15  # the noise level, nothing more
    assert 0.5 < y.var() < 5


def test_make_moons_and_spirals_shapes_and_classes():
    X, y = data.make_moons(n_samples=101, noise=0.0, seed=0)
    assert X.shape == (101, 2) and y.dtype == np.int64 and np.bincount(y).tolist() == [50, 51]
    upper = X[y == 0]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, rtol=1e-6)  # on the unit circle
    X, y = data.make_spirals(n_samples=100, n_classes=4, seed=0)
    assert X.shape == (100, 2) and np.bincount(y).tolist() == [25, 25, 25, 25]
    assert np.all(np.hypot(X[:, 0], X[:, 1]) <= 1.0 + 1e-6)


def test_generator_errors():
    with pytest.raises(ValueError, match="n_samples must be an integer >= 1, got 0"):
        data.make_regression(n_samples=0)
    with pytest.raises(ValueError, match="noise must be >= 0"):
        data.make_moons(noise=-1.0)
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2"):
        data.make_spirals(n_classes=1)
    with pytest.raises(ValueError, match="n_features"):
        data.make_regression(n_features=0)


# ---------------------------------------------------------------- digits
def test_digits_ship_with_the_package_and_load():
    folder = Path(data.__file__).parent
    assert (folder / "digits.npz").stat().st_size < 200_000
    license_text = (folder / "DATA_LICENSE.md").read_text()
    assert "CC BY 4.0" in license_text and "Alpaydin" in license_text
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.dtype == np.float32 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    raw, _ = data.load_digits(dtype=np.float64, scale=False)
    np.testing.assert_array_equal(raw, np.round(raw))
    assert raw.max() == 16
    np.testing.assert_array_equal(raw / 16, X.astype(np.float64))


def test_digits_match_scikit_learn_where_installed():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = data.load_digits(dtype=np.float64, scale=False)
    ref = datasets.load_digits()
    np.testing.assert_array_equal(X, ref.data)
    np.testing.assert_array_equal(y, ref.target)


def test_train_val_split(xp):
    X, y = xp.reshape(xp.arange(40.0), (20, 2)), xp.arange(20)
    (Xt, yt), (Xv, yv) = data.train_val_split(X, y, val_fraction=0.25, seed=1)
    assert Xt.shape == (15, 2) and Xv.shape == (5, 2)
    ids = np.concatenate([to_numpy(yt), to_numpy(yv)])
    assert sorted(ids.tolist()) == list(range(20))
    np.testing.assert_array_equal(to_numpy(Xv)[:, 0], 2.0 * to_numpy(yv))  # rows stay paired
    (_, yt2), _ = data.train_val_split(X, y, val_fraction=0.25, seed=1)
    np.testing.assert_array_equal(to_numpy(yt), to_numpy(yt2))
    with pytest.raises(ValueError, match="val_fraction must be strictly between 0 and 1, got 1.0"):
        data.train_val_split(X, y, val_fraction=1.0)
    with pytest.raises(ValueError, match="same number of samples, got 20 and 19"):
        data.train_val_split(X, y[:19])
