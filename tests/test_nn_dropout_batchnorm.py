"""course.nn.Dropout and course.nn.BatchNorm1d against torch 2.13.

BatchNorm1d: golden data from tests/golden/make_batchnorm_golden.py (outputs, gradients and
running statistics over training calls, then eval calls), and live against torch when it is
importable.  Dropout's mask comes from NumPy's generator, so it is tested by its statistics
and by its gradient given the mask.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import course
from course import nn
from course.tensor import Tensor, no_grad

sys.path.insert(0, str(Path(__file__).parent / "golden"))
from make_batchnorm_golden import CASES, DTYPES, EVAL_STEPS, OUT, TRAIN_STEPS, draw  # noqa: E402

GOLDEN = np.load(OUT)
# Errors are measured relative to each record's largest entry (near-zero entries, gradients
# that cancel, have no relative accuracy).  Measured against torch 2.13: float64 <= 1.7e-14;
# float32 <= 1.7e-6 (torch sums the statistics in double), except the input gradient of the
# N = 2 case, 5.1e-5: with two samples the normalized output is +-1 whatever x, so that
# gradient is O(eps / var) and pure cancellation.  Bounds are about 10x the measurements.
TOL = {"float64": 1e-9, "float32": 2e-5}
TOL_CANCELLING = {"float32": 5e-4}


def run_course(name, dtype, xp=np):
    """What the golden generator records, computed by course (on ``xp``'s arrays)."""
    shape, kwargs = CASES[name]
    weight, bias, xs, gs = draw(shape, dtype)
    bn = nn.BatchNorm1d(shape[1], dtype=dtype, **kwargs)
    if xp is not np:
        for t in list(bn.parameters()) + list(bn.buffers()):
            t.data = xp.asarray(np.asarray(t.data))
    if bn.weight is not None:
        bn.weight.data = xp.asarray(weight)
    if bn.bias is not None:
        bn.bias.data = xp.asarray(bias)
    rec = {k: [] for k in ("y", "gx", "gw", "gb", "rm", "rv", "nbt")}
    for i, (x, g) in enumerate(zip(xs, gs)):
        bn.train(i < TRAIN_STEPS)
        bn.zero_grad()
        tx = Tensor(xp.asarray(x), requires_grad=True)
        y = bn(tx)
        (y * Tensor(xp.asarray(g))).sum().backward()
        rec["y"].append(np.asarray(y.data))
        rec["gx"].append(np.asarray(tx.grad))
        if bn.weight is not None:
            rec["gw"].append(np.asarray(bn.weight.grad))
        if bn.bias is not None:
            rec["gb"].append(np.asarray(bn.bias.grad))
        if bn.running_mean is not None:
            rec["rm"].append(np.asarray(bn.running_mean.data))
            rec["rv"].append(np.asarray(bn.running_var.data))
            rec["nbt"].append(int(bn.num_batches_tracked.data))
    return {k: np.stack(v) for k, v in rec.items() if v}


def _compare(got, want, name, dtype, label):
    for key, value in want.items():
        assert key in got, f"{label}: course records no {key}"
        assert got[key].dtype == value.dtype or key == "nbt", f"{label}/{key}: dtype {got[key].dtype}"
        tol = TOL[dtype]
        if key == "gx" and CASES[name][0][0] == 2:
            tol = TOL_CANCELLING.get(dtype, tol)
        scale = float(np.max(np.abs(value))) if value.size else 0.0
        np.testing.assert_allclose(got[key], value, rtol=tol, atol=tol * scale, err_msg=f"{label}/{key}")
    assert set(got) == set(want), f"{label}: extra records {set(got) - set(want)}"


def _golden(name, dtype):
    prefix = f"{name}/{dtype}/"
    return {k[len(prefix):]: GOLDEN[k] for k in GOLDEN.files if k.startswith(prefix)}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(CASES))
def test_batchnorm_matches_golden(name, dtype):
    _compare(run_course(name, dtype), _golden(name, dtype), name, dtype, f"{name}/{dtype}")


@pytest.mark.parametrize("name", ["2d", "3d", "cumulative"])
def test_batchnorm_on_array_api_strict_arrays(name):
    xs = pytest.importorskip("array_api_strict")
    _compare(run_course(name, "float64", xp=xs), _golden(name, "float64"), name, "float64", f"strict/{name}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(CASES))
def test_batchnorm_live_against_torch(name, dtype):
    pytest.importorskip("torch")
    from make_batchnorm_golden import torch_records
    _compare(run_course(name, dtype), torch_records(name, dtype), name, dtype, f"live/{name}/{dtype}")


# ------------------------------------------------------------------ BatchNorm1d: behaviour
def test_batchnorm_buffers_state_dict_and_repr_follow_torch():
    bn = nn.BatchNorm1d(3)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert bn.num_batches_tracked.dtype == np.int64 and bn.running_var.dtype == np.float32
    assert repr(bn) == ("BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                        "track_running_stats=True)")
    bare = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert bare.state_dict() == {} and list(bare.parameters()) == []
    assert list(nn.BatchNorm1d(3, bias=False).state_dict())[:2] == ["weight", "running_mean"]
    bn.double()
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64


def test_batchnorm_state_dict_round_trip_restores_running_stats():
    rng = np.random.default_rng(0)
    bn = nn.BatchNorm1d(4, dtype="float64")
    for _ in range(3):
        bn(rng.standard_normal((5, 4)) * 3 + 1)
    saved = bn.state_dict()
    fresh = nn.BatchNorm1d(4, dtype="float64")
    fresh.load_state_dict(saved)
    x = rng.standard_normal((2, 4))
    np.testing.assert_array_equal(fresh.eval()(x).data, bn.eval()(x).data)
    assert int(fresh.num_batches_tracked.data) == 3


def test_batchnorm_eval_uses_running_stats_and_train_does_not():
    rng = np.random.default_rng(1)
    bn = nn.BatchNorm1d(2, dtype="float64")
    x = rng.standard_normal((6, 2)) * 5 + 10
    train_out = bn(x).data
    np.testing.assert_allclose(train_out.mean(axis=0), 0, atol=1e-12)  # normalized over the batch
    eval_out = bn.eval()(x).data  # buffers moved only 10% of the way: far from normalized
    assert np.all(np.abs(eval_out.mean(axis=0)) > 1)
    # in eval an example's output does not depend on the rest of its batch
    np.testing.assert_allclose(bn(x[:1]).data, eval_out[:1], rtol=1e-15)


def test_batchnorm_reset_running_stats():
    bn = nn.BatchNorm1d(2, dtype="float64")
    bn(np.array([[1.0, 2.0], [3.0, 8.0]]))
    bn.reset_running_stats()
    np.testing.assert_array_equal(bn.running_mean.data, [0, 0])
    np.testing.assert_array_equal(bn.running_var.data, [1, 1])
    assert int(bn.num_batches_tracked.data) == 0


def test_batchnorm_bad_input_raises_like_torch():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        bn(np.ones((2, 3, 4, 5), np.float32))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        bn(np.ones((1, 3), np.float32))
    bn.eval()(np.ones((1, 3), np.float32))  # fine in eval
    with pytest.raises(ValueError, match="num_features=3"):
        bn(np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match="num_features"):
        nn.BatchNorm1d(-1)


def test_batchnorm_messages_are_torchs():
    torch = pytest.importorskip("torch")
    for shape in ((2, 3, 4, 5), (1, 3)):
        with pytest.raises(ValueError) as theirs:
            torch.nn.BatchNorm1d(3)(torch.ones(shape))
        with pytest.raises(ValueError) as ours:
            nn.BatchNorm1d(3)(np.ones(shape, np.float32))
        assert str(ours.value).split(", got")[0] == str(theirs.value).split(", got")[0]


# ------------------------------------------------------------------ update_bn
def _bn_net(seed):
    return nn.Sequential(nn.Linear(4, 6, seed=seed, dtype="float64"), nn.BatchNorm1d(6, dtype="float64"),
                         nn.ReLU(), nn.Linear(6, 2, seed=seed + 1, dtype="float64"),
                         nn.BatchNorm1d(2, momentum=0.3, dtype="float64"))


def test_update_bn_recomputes_stats_as_a_plain_average():
    from course.optim.swa_utils import update_bn
    rng = np.random.default_rng(3)
    loader = [(rng.standard_normal((5, 4)) + 2, None) for _ in range(4)]
    net = _bn_net(0)
    net(rng.standard_normal((5, 4)))  # stale statistics from another batch
    net.eval()
    update_bn(loader, net)
    assert not net.training and net[4].momentum == 0.3  # restored
    # the first layer's running mean is the average of the four batch means
    with no_grad():
        h = [net[0](x).data for x, _ in loader]
    np.testing.assert_allclose(net[1].running_mean.data, np.mean([a.mean(axis=0) for a in h], axis=0), rtol=1e-12)
    assert int(net[1].num_batches_tracked.data) == 4


def test_update_bn_matches_torch():
    torch = pytest.importorskip("torch")
    from course.optim.swa_utils import update_bn
    rng = np.random.default_rng(4)
    batches = [rng.standard_normal((5, 4)) * 2 - 1 for _ in range(5)]
    net = _bn_net(10)
    tnet = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(),
                               torch.nn.Linear(6, 2), torch.nn.BatchNorm1d(2, momentum=0.3)).double()
    tnet.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in net.state_dict().items()})
    update_bn([(x, 0) for x in batches], net)
    torch.optim.swa_utils.update_bn([(torch.from_numpy(x), 0) for x in batches], tnet)
    theirs = tnet.state_dict()
    for key, value in net.state_dict().items():
        np.testing.assert_allclose(np.asarray(value), theirs[key].numpy(), rtol=1e-12, atol=1e-15, err_msg=key)


# ------------------------------------------------------------------ Dropout
def test_dropout_keep_rate_and_scaling():
    p = 0.3
    x = np.full(200_000, 2.0, dtype=np.float32)
    y = nn.Dropout(p, seed=0)(x).data
    kept = y != 0
    sigma = np.sqrt(p * (1 - p) / x.size)
    assert abs(kept.mean() - (1 - p)) < 5 * sigma
    np.testing.assert_array_equal(y[kept], np.float32(2.0) * (np.float32(1.0) / np.float32(1 - p)))
    assert y.dtype == np.float32
    assert abs(y.mean() - 2.0) < 5 * 2.0 * np.sqrt(p / (1 - p) / x.size)  # unbiased in expectation


def test_dropout_draws_a_fresh_mask_each_call_and_seeds_repeat():
    x = np.ones(64)
    drop = nn.Dropout(0.5, seed=7)
    a, b = drop(x).data, drop(x).data
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(nn.Dropout(0.5, seed=7)(x).data, a)
    nn.manual_seed(5)
    first = nn.Dropout(0.5)(x).data
    nn.manual_seed(5)
    np.testing.assert_array_equal(nn.Dropout(0.5)(x).data, first)


def test_dropout_eval_and_p0_return_the_input_p1_zeros():
    t = Tensor(np.arange(1.0, 5.0), requires_grad=True)
    assert nn.Dropout(0.4).eval()(t) is t
    assert nn.Dropout(0.0)(t) is t
    y = nn.Dropout(1.0)(t)
    np.testing.assert_array_equal(y.data, 0)
    y.sum().backward()
    np.testing.assert_array_equal(t.grad, 0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_dropout_backward_given_the_mask(dtype):
    p = 0.25
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((50, 8)) + 3).astype(dtype)  # no zeros: the mask is y != 0
    g = rng.standard_normal((50, 8)).astype(dtype)
    t = Tensor(x, requires_grad=True)
    y = nn.Dropout(p, seed=1)(t)
    (y * Tensor(g)).sum().backward()
    mask = y.data != 0
    noise = mask.astype(dtype) / (1 - p)  # a Python float keeps the array's dtype
    assert noise.dtype == dtype
    np.testing.assert_array_equal(y.data, x * noise)
    np.testing.assert_array_equal(t.grad, g * noise)
    torch = pytest.importorskip("torch")
    tx = torch.from_numpy(x).requires_grad_(True)
    ty = tx * (torch.from_numpy(mask).to(tx.dtype).div_(1 - p))  # what torch's CPU dropout computes
    (ty * torch.from_numpy(g)).sum().backward()
    np.testing.assert_array_equal(y.data, ty.detach().numpy())
    np.testing.assert_array_equal(t.grad, tx.grad.numpy())


def test_dropout_validates_p_with_torchs_words():
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match=f"dropout probability has to be between 0 and 1, but got {p}"):
            nn.Dropout(p)
    with pytest.raises(TypeError, match="dropout probability"):
        nn.Dropout("0.5")
    assert repr(nn.Dropout(0.2)) == "Dropout(p=0.2, inplace=False)"


def test_dropout_message_is_torchs():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as theirs:
        torch.nn.Dropout(1.5)
    with pytest.raises(ValueError) as ours:
        nn.Dropout(1.5)
    assert str(ours.value) == str(theirs.value)


def test_dropout_on_array_api_strict_arrays():
    xs = pytest.importorskip("array_api_strict")
    t = Tensor(xs.ones((1000,), dtype=xs.float64), requires_grad=True)
    y = nn.Dropout(0.5, seed=0)(t)
    y.sum().backward()
    values = np.asarray(y.data)
    assert set(np.unique(values)) <= {0.0, 2.0} and 400 < (values != 0).sum() < 600
    np.testing.assert_array_equal(np.asarray(t.grad), values)  # d y / d x = mask / (1 - p) = y here


def test_dropout_in_a_model_trains_and_eval_is_deterministic():
    net = nn.Sequential(nn.Linear(3, 16, seed=0), nn.ReLU(), nn.Dropout(0.5, seed=1), nn.Linear(16, 1, seed=2))
    x = np.ones((4, 3), np.float32)
    assert not np.array_equal(net(x).data, net(x).data)
    net.eval()
    np.testing.assert_array_equal(net(x).data, net(x).data)
