"""course.nn: Module bookkeeping (names, modes, state dicts), Linear, activations, Sequential, losses."""
from __future__ import annotations

import math

import numpy as np
import pytest

from course import Parameter, Tensor, nn
from course.backend import to_numpy


def small_model():
    return nn.Sequential(nn.Linear(3, 4, seed=0), nn.ReLU(), nn.Linear(4, 2, seed=1))


# ------------------------------------------------------------------ Module
def test_named_parameters_are_dotted_and_in_torch_order():
    model = nn.SimpleNN()
    assert [n for n, _ in model.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [n for n, _ in small_model().named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert list(model.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [n for n, _ in model.named_children()] == ["fc1", "relu", "fc2"]
    assert [n for n, _ in model.named_modules()] == ["", "fc1", "relu", "fc2"]


def test_nested_modules_and_shared_parameters():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = Parameter(np.ones(1))
            self.body = small_model()
            self.tied = self.body[0]  # the same layer twice: its parameters count once

        def forward(self, x):
            return self.tied(self.body[0](x)[..., :3]) * self.scale

    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias"]
    assert len(list(net.parameters())) == 5
    assert "tied.weight" in net.state_dict()  # state_dict keeps every name, like torch


def test_attribute_assignment_registers_and_reassignment_replaces():
    m = nn.Module()
    m.w = Parameter(np.zeros(2))
    m.child = nn.Linear(2, 2, seed=0)
    m.note = "plain attribute"
    assert [n for n, _ in m.named_parameters()] == ["w", "child.weight", "child.bias"]
    m.w = None  # allowed, as in torch: the parameter is gone
    assert [n for n, _ in m.named_parameters()] == ["child.weight", "child.bias"]
    with pytest.raises(TypeError, match="cannot assign ndarray as child module 'child'"):
        m.child = np.zeros(2)
    del m.child
    assert list(m.parameters()) == [] and m.note == "plain attribute"
    with pytest.raises(AttributeError, match="has no attribute 'child'"):
        m.child


def test_assigning_before_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1, seed=0)

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Bad()


def test_zero_grad_train_eval():
    model = nn.SimpleNN()
    model(np.ones((2, 10), dtype=np.float32)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(np.all(p.grad == 0) and p.grad.dtype == np.float32 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert model.training and all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    with pytest.raises(ValueError, match="boolean"):
        model.train("no")


def test_module_without_forward():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(np.ones(1))


def test_callable_on_arrays_and_tensors():
    model = small_model()
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    a, b = model(x), model(Tensor(x))
    assert isinstance(a, Tensor) and a.shape == (5, 2) and a.dtype == np.float32
    np.testing.assert_array_equal(a.data, b.data)


def test_state_dict_returns_copies():
    model = small_model()
    state = model.state_dict()
    before = {k: v.copy() for k, v in state.items()}
    for p in model.parameters():
        p.data -= 1.0
    for k in state:
        np.testing.assert_array_equal(state[k], before[k])
        assert state[k] is not dict(model.named_parameters())[k].data


def test_load_state_dict_round_trip_in_place():
    model, other = small_model(), nn.Sequential(nn.Linear(3, 4, seed=5), nn.ReLU(), nn.Linear(4, 2, seed=6))
    arrays = [p.data for p in other.parameters()]
    result = other.load_state_dict(model.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (k, v), p, a in zip(model.state_dict().items(), other.parameters(), arrays):
        np.testing.assert_array_equal(p.data, v)
        assert p.data is a  # copied into the same array (an optimizer's views stay valid)


def test_load_state_dict_casts_to_the_parameter_dtype():
    model = small_model()
    state = {k: v.astype(np.float64) + 1 for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    assert all(p.dtype == np.float32 for p in model.parameters())
    np.testing.assert_allclose(model.state_dict()["0.bias"], state["0.bias"].astype(np.float32))


def test_load_state_dict_validates_everything_before_changing_anything():
    model = small_model()
    before = model.state_dict()
    bad = dict(before)
    bad["0.weight"] = np.zeros((5, 3))
    bad["2.bias"] = np.ones(2)  # valid, but must not be written either
    del bad["0.bias"]
    bad["extra"] = np.zeros(1)
    with pytest.raises(RuntimeError) as e:
        model.load_state_dict(bad)
    message = str(e.value)
    assert 'Unexpected key(s) in state_dict: "extra"' in message
    assert 'Missing key(s) in state_dict: "0.bias"' in message
    assert "size mismatch for 0.weight: copying a param with shape (5, 3)" in message
    assert "current model is (4, 3)" in message
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_load_state_dict_non_strict():
    model = small_model()
    state = model.state_dict()
    fresh = nn.Sequential(nn.Linear(3, 4, seed=8), nn.ReLU(), nn.Linear(4, 2, seed=9))
    result = fresh.load_state_dict({"0.weight": state["0.weight"], "junk": np.zeros(1)}, strict=False)
    assert result.missing_keys == ["0.bias", "2.weight", "2.bias"] and result.unexpected_keys == ["junk"]
    np.testing.assert_array_equal(fresh.state_dict()["0.weight"], state["0.weight"])
    with pytest.raises(RuntimeError, match="size mismatch"):
        fresh.load_state_dict({"0.weight": np.zeros((1, 1))}, strict=False)
    with pytest.raises(TypeError, match="dict-like"):
        fresh.load_state_dict([1, 2])


def test_to_double_and_float():
    model = small_model().double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model(np.ones((1, 3))).dtype == np.float64
    assert all(p.dtype == np.float32 for p in model.float().parameters())


def test_repr():
    assert repr(small_model()) == ("Sequential(\n  (0): Linear(in_features=3, out_features=4, bias=True)\n"
                                   "  (1): ReLU()\n  (2): Linear(in_features=4, out_features=2, bias=True)\n)")


# ------------------------------------------------------------------ Linear
def test_linear_shapes_dtype_and_torch_init_bounds():
    layer = nn.Linear(25, 40, seed=3)
    assert layer.weight.shape == (40, 25) and layer.bias.shape == (40,)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    bound = 1 / math.sqrt(25)
    for p in (layer.weight, layer.bias):
        assert np.all(np.abs(p.data) <= bound)
    # uniform on [-bound, bound]: mean about 0, variance bound^2 / 3
    assert abs(layer.weight.data.mean()) < 0.1 * bound
    assert abs(layer.weight.data.var() / (bound**2 / 3) - 1) < 0.1


def test_linear_is_reproducible_from_its_seed_and_dtype_independent():
    a, b = nn.Linear(4, 3, seed=11), nn.Linear(4, 3, seed=11)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    c = nn.Linear(4, 3, seed=12)
    assert not np.array_equal(a.weight.data, c.weight.data)
    d = nn.Linear(4, 3, seed=11, dtype=np.float64)
    assert d.weight.dtype == np.float64
    np.testing.assert_array_equal(d.weight.data.astype(np.float32), a.weight.data)


def test_linear_global_generator_follows_manual_seed():
    nn.manual_seed(123)
    a1, a2 = nn.Linear(3, 3), nn.Linear(3, 3)
    nn.manual_seed(123)
    b1 = nn.Linear(3, 3)
    np.testing.assert_array_equal(a1.weight.data, b1.weight.data)
    assert not np.array_equal(a1.weight.data, a2.weight.data)  # the generator moved on


def test_linear_computes_x_wt_plus_b():
    layer = nn.Linear(3, 2, seed=0, dtype="float64")
    x = np.random.default_rng(1).normal(size=(4, 3))
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data.T + layer.bias.data, rtol=1e-15)
    no_bias = nn.Linear(3, 2, bias=False, seed=0)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]


def test_linear_errors():
    with pytest.raises(ValueError, match=r"input of shape \(4, 5\) does not end in in_features=3"):
        nn.Linear(3, 2, seed=0)(np.zeros((4, 5), dtype=np.float32))
    with pytest.raises(ValueError, match="in_features must be a non-negative integer, got -1"):
        nn.Linear(-1, 2)
    with pytest.raises(TypeError, match="floating dtype"):
        nn.Linear(2, 2, dtype="int64")
    with pytest.raises(TypeError, match="seed must be an int"):
        nn.Linear(2, 2, seed="zero")


def test_simple_nn_defaults_and_seed():
    model = nn.SimpleNN()
    assert model.fc1.weight.shape == (50, 10) and model.fc2.weight.shape == (1, 50)
    np.testing.assert_array_equal(model.fc1.weight.data, nn.SimpleNN(seed=0).fc1.weight.data)
    assert not np.array_equal(model.fc1.weight.data, nn.SimpleNN(seed=1).fc1.weight.data)
    assert isinstance(model.relu, nn.ReLU)
    x = np.random.default_rng(0).normal(size=(3, 10)).astype(np.float32)
    manual = model.fc2(model.fc1(x).relu())
    np.testing.assert_array_equal(model(x).data, manual.data)


# ---------------------------------------------------------- activations
@pytest.mark.parametrize("cls,fn", [
    (nn.ReLU, lambda x: np.maximum(x, 0)),
    (nn.Tanh, np.tanh),
    (nn.Sigmoid, lambda x: 1 / (1 + np.exp(-x))),
])
def test_activations(cls, fn, xp):
    x = np.linspace(-3, 3, 7)
    out = cls()(xp.asarray(x))
    np.testing.assert_allclose(to_numpy(out.data), fn(x), rtol=1e-14, atol=1e-15)


# ------------------------------------------------------------ Sequential
def test_sequential_indexing_iteration_and_append():
    model = small_model()
    assert len(model) == 3 and isinstance(model[0], nn.Linear) and model[-1] is model[2]
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and head[0] is model[0]
    model.append(nn.Sigmoid())
    assert [n for n, _ in model.named_children()] == ["0", "1", "2", "3"]
    x = np.ones((2, 3), dtype=np.float32)
    np.testing.assert_array_equal(model(x).data, model[3](model[2](model[1](model[0](x)))).data)
    with pytest.raises(IndexError, match="out of range"):
        model[4]
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)


def test_sequential_from_a_dict_keeps_the_names():
    model = nn.Sequential({"hidden": nn.Linear(2, 2, seed=0), "act": nn.Tanh()})
    assert [n for n, _ in model.named_parameters()] == ["hidden.weight", "hidden.bias"]


# ------------------------------------------------------------------ losses
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_values_and_gradient(reduction, xp):
    rng = np.random.default_rng(0)
    y, t = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    p = Parameter(xp.asarray(y))
    loss = nn.MSELoss(reduction=reduction)(p, xp.asarray(t))
    expected = {"mean": np.mean((y - t) ** 2), "sum": np.sum((y - t) ** 2), "none": (y - t) ** 2}[reduction]
    np.testing.assert_allclose(to_numpy(loss.data), expected, rtol=1e-14)
    loss.sum().backward()
    scale = {"mean": 2 / y.size, "sum": 2, "none": 2}[reduction]
    np.testing.assert_allclose(to_numpy(p.grad), scale * (y - t), rtol=1e-14)


def test_mse_warns_like_torch_when_shapes_differ():
    with pytest.warns(UserWarning, match="different to the input size"):
        out = nn.MSELoss(reduction="none")(np.zeros((3, 1)), np.zeros(3))
    assert out.shape == (3, 3)  # the broadcasting it warns about


def _log_softmax(x):
    m = x.max(axis=1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_values_and_gradient(reduction, xp):
    rng = np.random.default_rng(1)
    logits, target = rng.normal(size=(6, 4)), rng.integers(0, 4, size=6)
    p = Parameter(xp.asarray(logits))
    loss = nn.CrossEntropyLoss(reduction=reduction)(p, xp.asarray(target))
    per_sample = -_log_softmax(logits)[np.arange(6), target]
    expected = {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]
    np.testing.assert_allclose(to_numpy(loss.data), expected, rtol=1e-14)
    loss.sum().backward()
    softmax = np.exp(_log_softmax(logits))
    grad = softmax - np.eye(4)[target]  # the classic softmax minus one-hot
    np.testing.assert_allclose(to_numpy(p.grad), grad / (6 if reduction == "mean" else 1), rtol=1e-12, atol=1e-15)


def test_cross_entropy_float32_uint8_targets_and_unbatched():
    logits = np.random.default_rng(2).normal(size=(3, 5)).astype(np.float32)
    loss = nn.CrossEntropyLoss()(logits, np.array([4, 0, 2], dtype=np.uint8))
    assert loss.dtype == np.float32
    single = nn.CrossEntropyLoss()(logits[1], np.array(0))
    assert single.shape == () and single.item() == pytest.approx(-_log_softmax(logits[1:2])[0, 0], rel=1e-6)


def test_loss_errors():
    with pytest.raises(ValueError, match="'avg' is not a valid value for reduction"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="'total' is not a valid value for reduction"):
        nn.CrossEntropyLoss(reduction="total")
    ce = nn.CrossEntropyLoss()
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(2\)"):
        ce(np.zeros((3, 4)), np.array([0, 1]))
    with pytest.raises(TypeError, match="integer class indices"):
        ce(np.zeros((2, 4)), np.array([0.0, 1.0]))
    with pytest.raises(IndexError, match="Target 4 is out of bounds for 4 classes"):
        ce(np.zeros((2, 4)), np.array([0, 4]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds"):
        ce(np.zeros((2, 4)), np.array([-1, 0]))
    with pytest.raises(ValueError, match=r"input of shape \(N, C\) or \(C,\)"):
        ce(np.zeros((2, 3, 4)), np.array([0, 1]))


def test_losses_match_torch_live():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    logits, target = rng.normal(size=(7, 5)), rng.integers(0, 5, size=7)
    for reduction in ("mean", "sum", "none"):
        ours = nn.CrossEntropyLoss(reduction=reduction)(logits, target).data
        theirs = torch.nn.CrossEntropyLoss(reduction=reduction)(torch.from_numpy(logits), torch.from_numpy(target))
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-14)
        y, t = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
        ours = nn.MSELoss(reduction=reduction)(y, t).data
        theirs = torch.nn.MSELoss(reduction=reduction)(torch.from_numpy(y), torch.from_numpy(t))
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-14)
