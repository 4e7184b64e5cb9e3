"""course.Tensor follows four of torch's autograd rules, each checked on course alone (no torch
needed) and, where torch is importable, against torch itself:

1. version counters: a tensor changed in place (``t._version`` bumped, as an optimizer step
   does) after an operation saved it makes ``backward`` raise, as torch's in-place check;
2. the graph's saved values are freed by ``backward`` unless ``retain_graph=True``: a second
   backward raises where a node saved values (``a * b``), not where none did (``a + b``);
3. ``relu`` keeps NaN, and its gradient passes ``g`` at NaN;
4. dtypes: a Python/NumPy number or a 0-d operand does not promote within its category
   (float32 * 0-d float64 stays float32), as torch's wrapped numbers and 0-d tensors.
"""
from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course import Parameter, Tensor, nn, no_grad
from course.backend import to_numpy

T = importlib.import_module("course.tensor")  # the module (course.tensor is also a function)

PROPERTY = settings(max_examples=60, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

FREED = "Trying to backward through the graph a second time"


def as_numpy(grad):
    return grad.numpy().copy() if hasattr(grad, "numpy") else np.array(grad)  # torch adds into .grad in place
MODIFIED = "modified by an inplace operation"


def step(p, lr=0.1):
    """What an optimizer step does to a parameter: change its data in place, bump its version."""
    with no_grad():
        p.data -= lr * (p.grad if p.grad is not None else np.ones_like(p.data))
    p._version += 1


# ===================================================================== 1. versions
def test_version_starts_at_zero_and_is_shared_by_views(xp):
    p = Parameter(xp.ones((2, 3)))
    assert p._version == 0 and Tensor(xp.ones(2))._version == 0
    views = [p.T, p.reshape(6), p[0, ...], p[:, 1:], p.detach()]
    p._version += 1
    T._bump_version(p)
    assert p._version == 2
    assert [v._version for v in views] == [2] * len(views)
    views[0]._version += 1  # a change through a view is a change of its base, as in torch
    assert p._version == 3
    assert (p * 2.0)._version == 0 and p.exp()._version == 0  # results are new tensors
    assert Tensor(p.data)._version == 0  # a new tensor on the same data counts on its own


def test_a_reshape_that_copies_has_its_own_counter():
    p = Parameter(np.ones((2, 3)))
    copy = p.T.reshape(6)  # not contiguous: NumPy copies, as torch's reshape does
    p._version += 1
    assert copy._version == 0


def test_optimizer_step_between_forward_and_backward_raises():
    x = Tensor(np.ones((4, 3), dtype=np.float32))
    w1 = Parameter(np.full((5, 3), 0.1, dtype=np.float32))
    w2 = Parameter(np.full((2, 5), 0.2, dtype=np.float32))
    loss = ((x @ w1.T).relu() @ w2.T).sum()
    step(w2)
    with pytest.raises(RuntimeError, match=MODIFIED) as e:
        loss.backward()
    assert str(e.value).startswith(  # the saved tensor is the view w2.T, as in torch's message
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        "[(5, 2), float32] is at version 1; expected version 0 instead.")


def test_the_first_layers_weight_is_not_saved_so_it_may_change():
    # x @ w.T with a constant x saves x only (torch's MmBackward saves mat2 only when self needs a grad)
    x = Tensor(np.arange(6.0).reshape(2, 3))
    w = Parameter(np.ones((4, 3)))
    loss = (x @ w.T).sum()
    step(w)
    loss.backward()
    np.testing.assert_array_equal(w.grad, np.tile(x.data.sum(axis=0), (4, 1)))


def test_version_moves_twice_and_the_message_gives_both_numbers():
    a = Parameter(np.ones((2, 3)))
    b = Parameter(np.ones((2, 3)))
    loss = (a * b).sum()
    step(b)
    step(b)
    with pytest.raises(RuntimeError, match=r"\[\(2, 3\), float64\] is at version 2; expected version 0 instead"):
        loss.backward()


def test_a_saved_result_changed_in_place_raises_and_names_the_operation():
    a = Parameter(np.ones(3))
    y = a.exp()
    loss = y.sum()
    y.data += 1.0
    y._version += 1
    with pytest.raises(RuntimeError, match=r"\[\(3,\), float64\], which is the output of exp, is at version 1"):
        loss.backward()


def test_versions_recorded_later_are_the_ones_checked():
    p = Parameter(np.array([1.0, 2.0]))
    step(p)
    loss = (p * p).sum()  # saved at version 1
    loss.backward()
    np.testing.assert_array_equal(p.grad, 2 * p.data)


# (name, f(x, y) -> scalar loss, does a change of x after the forward make backward raise?)
# as torch: an operation saves what its backward reads (x * y saves y for x's gradient and x for
# y's; exp, relu, sigmoid, tanh, sqrt, log_softmax save their result, not x; 2.0 / x saves 1 / x)
VERSION_CASES = [
    ("add", lambda x, y, c: (x + y).sum(), False),
    ("sub", lambda x, y, c: (x - y).sum(), False),
    ("neg", lambda x, y, c: (-x).sum(), False),
    ("rsub", lambda x, y, c: (3.0 - x).sum(), False),
    ("mul_number", lambda x, y, c: (x * 2.0).sum(), False),
    ("div_number", lambda x, y, c: (x / 2.0).sum(), False),
    ("rdiv", lambda x, y, c: (3.0 / x).sum(), False),
    ("mean", lambda x, y, c: x.mean(), False),
    ("reshape_T_getitem", lambda x, y, c: x.reshape(1, 2).T[1:].sum(), False),
    ("mul_by_constant", lambda x, y, c: (x * c([1.0, 2.0])).sum(), False),
    ("constant_times_x", lambda x, y, c: (c([1.0, 2.0]) * x).sum(), False),
    ("div_by_constant", lambda x, y, c: (x / c([2.0, 4.0])).sum(), False),
    ("exp", lambda x, y, c: x.exp().sum(), False),
    ("relu", lambda x, y, c: x.relu().sum(), False),
    ("sigmoid", lambda x, y, c: x.sigmoid().sum(), False),
    ("tanh", lambda x, y, c: x.tanh().sum(), False),
    ("sqrt", lambda x, y, c: x.sqrt().sum(), False),
    ("log_softmax", lambda x, y, c: x.log_softmax(0).sum(), False),
    ("matmul_constant_first", lambda x, y, c: (c(np.ones((3, 2))) @ x).sum(), False),
    ("mul", lambda x, y, c: (x * y).sum(), True),
    ("y_mul_x_detached", lambda x, y, c: (y * x.detach()).sum(), True),  # detach shares the counter
    ("div_x_by_y", lambda x, y, c: (x / y).sum(), True),
    ("div_constant_by_y", lambda x, y, c: (x.detach() / y).sum(), True),
    ("pow_number", lambda x, y, c: (x ** 2).sum(), True),
    ("pow_zero", lambda x, y, c: (x ** 0).sum(), True),
    ("rpow", lambda x, y, c: (2.0 ** x).sum(), True),
    ("pow_tensor", lambda x, y, c: (x ** c([2.0, 3.0])).sum(), True),
    ("log", lambda x, y, c: x.log().sum(), True),
    ("sin", lambda x, y, c: x.sin().sum(), True),
    ("cos", lambda x, y, c: x.cos().sum(), True),
    ("abs", lambda x, y, c: x.abs().sum(), True),
    ("matmul", lambda x, y, c: x @ y, True),
    ("views_of_x_times_y", lambda x, y, c: (x.reshape(2, 1) * y.reshape(2, 1)).sum(), True),
]


def run_version_case(fn, lib):
    """Forward, change x in place, backward: ('raises', message) or ('ok', x.grad)."""
    if lib == "torch":
        import torch
        x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
        y = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
        loss = fn(x, y, lambda v: torch.tensor(v, dtype=torch.float64))
        with torch.no_grad():
            x.sub_(0.5)
    else:
        x, y = Parameter(np.array([1.0, 2.0])), Parameter(np.array([3.0, 4.0]))
        loss = fn(x, y, lambda v: Tensor(np.array(v)))
        x.data -= 0.5
        x._version += 1
    try:
        loss.backward()
    except RuntimeError as e:
        return "raises", str(e)
    return "ok", as_numpy(x.grad)


@pytest.mark.parametrize("name, fn, raises", VERSION_CASES, ids=[c[0] for c in VERSION_CASES])
def test_which_operations_check_the_version(name, fn, raises):
    outcome, value = run_version_case(fn, "course")
    assert outcome == ("raises" if raises else "ok"), value
    if raises:
        assert "expected version 0 instead" in value


def test_a_change_that_is_not_checked_does_not_change_the_gradient():
    x = Parameter(np.array([1.0, 2.0]))
    loss = (3.0 / x).sum()  # its backward reads 1 / x, saved at the forward
    step(x)
    loss.backward()
    np.testing.assert_array_equal(x.grad, -3.0 / np.array([1.0, 2.0]) ** 2)


@pytest.mark.parametrize("name, fn, raises", VERSION_CASES, ids=[c[0] for c in VERSION_CASES])
def test_which_operations_check_the_version_as_torch(name, fn, raises):
    pytest.importorskip("torch")
    (c_out, c_val), (t_out, t_val) = run_version_case(fn, "course"), run_version_case(fn, "torch")
    assert c_out == t_out, (c_val, t_val)
    if c_out == "ok":
        np.testing.assert_allclose(c_val, t_val, rtol=1e-15)


# ===================================================================== 2. freed graph
# (name, f(x, y) -> scalar loss, does a second backward raise?)  torch frees a node's saved
# values after the backward: nodes that saved none (add, sum, mean, views) can run again.
SECOND_BACKWARD_CASES = [
    ("add", lambda x, y: (x + y).sum(), False),
    ("sub", lambda x, y: (x - y).sum(), False),
    ("neg", lambda x, y: (-x).sum() + y.sum(), False),
    ("add_number", lambda x, y: (x + 2.0).sum() + (3.0 - y).sum(), False),
    ("sum", lambda x, y: x.sum(), False),
    ("sum_axis", lambda x, y: x.sum(axis=0, keepdims=True).sum(), False),
    ("mean", lambda x, y: x.mean() + y.mean(axis=0), False),
    ("views", lambda x, y: x.reshape(1, 2).T.sum() + y[1:].sum(), False),
    ("mul", lambda x, y: (x * y).sum(), True),
    ("mul_number", lambda x, y: (x * 2.0).sum(), True),  # torch saves the number as a tensor
    ("div_number", lambda x, y: (x / 2.0).sum(), True),
    ("rdiv", lambda x, y: (2.0 / x).sum(), True),
    ("pow", lambda x, y: (x ** 2).sum(), True),
    ("pow_zero", lambda x, y: (x ** 0).sum(), True),
    ("rpow", lambda x, y: (2.0 ** x).sum(), True),
    ("exp", lambda x, y: x.exp().sum(), True),
    ("log", lambda x, y: x.log().sum(), True),
    ("relu", lambda x, y: x.relu().sum(), True),
    ("sigmoid", lambda x, y: x.sigmoid().sum(), True),
    ("tanh", lambda x, y: x.tanh().sum(), True),
    ("abs", lambda x, y: x.abs().sum(), True),
    ("log_softmax", lambda x, y: x.log_softmax(0).sum(), True),
    ("matmul", lambda x, y: x @ y, True),
    ("one_saving_node_among_others", lambda x, y: (x + y).sum() + (x * y).sum(), True),
]


def run_twice(fn, lib, retain=False):
    if lib == "torch":
        import torch
        x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
        y = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
    else:
        x, y = Parameter(np.array([1.0, 2.0])), Parameter(np.array([3.0, 4.0]))
    loss = fn(x, y)
    loss.backward(retain_graph=True) if retain else loss.backward()
    first = as_numpy(x.grad)
    try:
        loss.backward()
    except RuntimeError as e:
        return "raises", str(e), first
    return "ok", as_numpy(x.grad), first


@pytest.mark.parametrize("name, fn, raises", SECOND_BACKWARD_CASES, ids=[c[0] for c in SECOND_BACKWARD_CASES])
def test_second_backward(name, fn, raises):
    outcome, value, first = run_twice(fn, "course")
    if raises:
        assert outcome == "raises" and value.startswith(FREED) and "retain_graph=True" in value
    else:
        assert outcome == "ok", value
        np.testing.assert_array_equal(value, 2 * first)  # the second adds the same gradient


@pytest.mark.parametrize("name, fn, raises", SECOND_BACKWARD_CASES, ids=[c[0] for c in SECOND_BACKWARD_CASES])
def test_retain_graph_allows_a_second_backward(name, fn, raises):
    outcome, value, first = run_twice(fn, "course", retain=True)
    assert outcome == "ok", value
    np.testing.assert_array_equal(value, 2 * first)


@pytest.mark.parametrize("name, fn, raises", SECOND_BACKWARD_CASES, ids=[c[0] for c in SECOND_BACKWARD_CASES])
def test_second_backward_as_torch(name, fn, raises):
    pytest.importorskip("torch")
    for retain in (False, True):
        c_out, c_val, c_first = run_twice(fn, "course", retain)
        t_out, t_val, t_first = run_twice(fn, "torch", retain)
        assert c_out == t_out, (c_val, t_val)
        np.testing.assert_allclose(c_first, t_first, rtol=1e-15)
        if c_out == "ok":
            np.testing.assert_allclose(c_val, t_val, rtol=1e-15)
        else:
            assert c_val.split(".")[0] == t_val.split(".")[0]  # the same first sentence


def test_retained_then_freed_then_raises():
    x = Parameter(np.array([1.0, 2.0]))
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()  # frees
    np.testing.assert_array_equal(x.grad, 2 * (2 * x.data))
    with pytest.raises(RuntimeError, match=FREED):
        loss.backward(retain_graph=True)


def test_a_subgraph_freed_by_one_loss_cannot_serve_another():
    x = Parameter(np.array([1.0, 2.0]))
    h = x.exp()
    h.sum().backward()
    with pytest.raises(RuntimeError, match=FREED):
        (h * 2.0).sum().backward()
    h2 = x.exp()  # a new forward pass builds a new graph
    (h2 * 2.0).sum().backward()


def test_a_training_loss_frees_its_graph():
    model = nn.Sequential(nn.Linear(3, 4, seed=0), nn.ReLU(), nn.Linear(4, 2, seed=1))
    loss = nn.CrossEntropyLoss()(model(np.ones((5, 3), dtype=np.float32)), np.array([0, 1, 0, 1, 1]))
    loss.backward()
    with pytest.raises(RuntimeError, match=FREED):
        loss.backward()


def test_freeing_drops_the_saved_arrays():
    x = Parameter(np.ones(3))
    y = x.exp()
    loss = y.sum()
    assert y._backward is not None
    loss.backward()
    assert y._backward is None  # the closure that held the saved arrays is gone
    assert loss._backward is not None  # SumBackward saved nothing: it stays usable


# ===================================================================== 3. relu and NaN
def test_relu_keeps_nan_and_passes_its_gradient(xp):
    x = Parameter(xp.asarray([np.nan, -1.0, 0.0, 2.0, np.inf, -np.inf]))
    y = x.relu()
    np.testing.assert_array_equal(to_numpy(y.data), [np.nan, 0.0, 0.0, 2.0, np.inf, 0.0])
    y.backward(xp.asarray([5.0, 5.0, 5.0, 5.0, 5.0, 5.0]))
    np.testing.assert_array_equal(to_numpy(x.grad), [5.0, 0.0, 0.0, 5.0, 5.0, 0.0])


def test_relu_gradient_keeps_a_nan_upstream_only_where_it_passes():
    x = Parameter(np.array([np.nan, 1.0, -1.0, 0.0]))
    x.relu().backward(np.array([5.0, np.nan, np.nan, np.inf]))
    np.testing.assert_array_equal(x.grad, [5.0, np.nan, 0.0, 0.0])


def test_relu_is_bit_identical_to_before_on_finite_inputs():
    rng = np.random.default_rng(0)
    for dtype in (np.float16, np.float32, np.float64):
        x = rng.standard_normal((64, 33)).astype(dtype)
        x[0, :6] = [0.0, -0.0, np.finfo(dtype).tiny, -np.finfo(dtype).tiny, np.finfo(dtype).max, np.finfo(dtype).min]
        before = T._keep_where(x > 0, x, np)  # the rule before NaN was handled
        bits = np.dtype(f"i{x.dtype.itemsize}")
        np.testing.assert_array_equal(Tensor(x).relu().data.view(bits), before.view(bits))


floats_with_specials = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=32),
                                 st.sampled_from([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0]))


@PROPERTY
@given(x=hnp.arrays(st.sampled_from([np.float32, np.float64]), hnp.array_shapes(min_dims=0, max_dims=3, max_side=5),
                    elements=floats_with_specials),
       g_seed=st.integers(0, 2 ** 16))
def test_relu_property_nan_and_inf(x, g_seed):
    g = np.random.default_rng(g_seed).standard_normal(x.shape).astype(x.dtype)
    p = Parameter(x.copy())
    y = p.relu()
    keep = np.isnan(x) | (x > 0)
    np.testing.assert_array_equal(y.data, np.where(keep, x, 0))
    assert y.dtype == x.dtype and y.shape == x.shape
    assert not np.any(np.signbit(y.data[~keep]))  # +0 where it does not keep x
    y.backward(g)
    np.testing.assert_array_equal(p.grad, np.where(keep, g, 0))
    try:
        import torch
    except ImportError:
        return
    t = torch.tensor(x, requires_grad=True)
    ty = torch.relu(t)
    ty.backward(torch.from_numpy(g))
    np.testing.assert_array_equal(y.data, ty.detach().numpy())  # equal as numbers (torch keeps -0.0 as -0.0)
    np.testing.assert_array_equal(p.grad, t.grad.numpy())


# ===================================================================== 4. dtypes
F32_PARTNERS = {
    "python float": lambda: 0.1,
    "python int": lambda: 3,
    "numpy float64": lambda: np.float64(0.1),
    "numpy float32": lambda: np.float32(0.1),
    "numpy int64": lambda: np.int64(3),
    "0-d float64 array": lambda: np.array(0.1),
    "0-d float64 tensor": lambda: Tensor(np.array(0.1)),
    "0-d int64 tensor": lambda: Tensor(np.array(3)),
}
OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
       "/": lambda a, b: a / b, "**": lambda a, b: a ** b}


@pytest.mark.parametrize("partner", sorted(F32_PARTNERS))
@pytest.mark.parametrize("op", sorted(OPS))
def test_float32_stays_float32_beside_numbers_and_0d_operands(op, partner):
    a = Parameter(np.array([0.5, 1.5, 2.5], dtype=np.float32))
    b = F32_PARTNERS[partner]()
    for out in (OPS[op](a, b), OPS[op](b, a)):
        assert out.dtype == np.float32, f"{op} with {partner} gave {out.dtype}"
        out.sum().backward()
    assert a.grad.dtype == np.float32


def test_a_0d_float64_operand_is_used_as_float32():
    x = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    for op in ("+", "-", "*", "/"):
        for b in (np.array(0.1), Tensor(np.array(0.1)), np.float64(0.1)):
            np.testing.assert_array_equal(OPS[op](Tensor(x), b).data, OPS[op](x, np.float32(0.1)), err_msg=op)


def test_the_gradient_of_a_0d_operand_keeps_its_dtype():
    w = Parameter(np.array([0.1, 0.2, 0.3, 0.4], dtype=np.float32))
    s = Parameter(np.array(0.5))  # 0-d float64
    out = w * s
    assert out.dtype == np.float32
    out.sum().backward()
    assert s.grad.dtype == np.float64 and s.grad.shape == ()
    assert s.grad == np.float64(np.sum(w.data))  # summed in float32, then cast, as torch
    assert w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad, np.full(4, 0.5, dtype=np.float32))


def test_a_gradient_takes_its_inputs_dtype_at_every_node():
    # torch casts each gradient to its input's dtype, non-leaves included: h's gradient is float64
    w = Parameter(np.array([0.1, 0.2, 0.3], dtype=np.float32))
    s = Parameter(np.array(0.7))
    h = s * 3.0  # a 0-d float64 non-leaf
    (w * h).sum().backward()
    assert s.grad.dtype == np.float64
    assert s.grad == np.float64(np.sum(w.data)) * 3.0


DTYPE_CASES = [  # (a, b, the dtype of a op b); "0d:" marks a 0-d operand
    ("float32", "0d:float64", "float32"),
    ("0d:float64", "float32", "float32"),
    ("float16", "0d:float64", "float16"),
    ("float64", "0d:float32", "float64"),
    ("int32", "0d:int64", "int32"),
    ("uint8", "0d:int64", "uint8"),
    ("int64", "0d:float32", "float32"),  # a higher category counts: its own dtype
    ("int64", "0d:float64", "float64"),
    ("bool", "0d:int32", "int32"),
    ("bool", "0d:bool", "bool"),
    ("0d:float32", "0d:float64", "float64"),  # two 0-d operands promote
    ("0d:int64", "0d:float32", "float32"),  # across categories: the float (NumPy: float64)
    ("int64", "float32", "float32"),  # torch's promote_types (NumPy: float64)
    ("int16", "float16", "float16"),
    ("float32", "float64", "float64"),
    ("uint8", "int8", "int16"),
    ("int32", "py:2.5", "float64"),  # a Python float with integers: the default float dtype
    ("bool", "py:2.5", "float64"),
    ("bool", "py:1", "int64"),
    ("int8", "py:3", "int8"),
    ("float16", "py:2.5", "float16"),
    ("int32", "np:float32", "float64"),  # a NumPy number acts as a Python number
    ("int16", "np:int64", "int16"),
]


def operand(spec):
    kind, _, name = spec.rpartition(":")
    if kind == "py":
        return float(name) if "." in name else int(name)
    if kind == "np":
        return np.dtype(name).type(2)
    return Tensor(np.ones(() if kind == "0d" else (3,), dtype=name))


@pytest.mark.parametrize("a, b, expected", DTYPE_CASES)
def test_result_dtypes(a, b, expected):
    for op in ("+", "*"):
        for x, y in ((operand(a), operand(b)), (operand(b), operand(a))):
            if isinstance(x, Tensor) or isinstance(y, Tensor):
                assert OPS[op](x, y).dtype == np.dtype(expected), (a, op, b)


def test_result_dtypes_on_array_api_strict():
    xps = pytest.importorskip("array_api_strict")
    a = Parameter(xps.ones((3,), dtype=xps.float32))
    s = Parameter(xps.asarray(0.5, dtype=xps.float64))
    for out in (a * s, s * a, a / s, s / a, a ** s, s - a, a + xps.asarray(2.0), a * np.float64(2.0)):
        assert out.dtype == xps.float32
    (a * s).sum().backward()
    assert s.grad.dtype == xps.float64 and a.grad.dtype == xps.float32
    i = Tensor(xps.ones((3,), dtype=xps.int32))
    assert (i * Tensor(xps.asarray(2.0, dtype=xps.float32))).dtype == xps.float32  # strict refuses int * float


TORCH_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


@PROPERTY
@given(da=st.sampled_from(TORCH_DTYPES), db=st.sampled_from(TORCH_DTYPES), za=st.booleans(), zb=st.booleans(),
       op=st.sampled_from(["+", "*", "/"]))
def test_result_dtypes_as_torch(da, db, za, zb, op):
    torch = pytest.importorskip("torch")
    x, y = np.ones(() if za else (3,), dtype=da), np.ones(() if zb else (3,), dtype=db)
    expected = str(OPS[op](torch.from_numpy(x), torch.from_numpy(y)).dtype).replace("torch.", "")
    if expected == "float32" and op == "/" and "float" not in da + db:
        expected = "float64"  # integer true division gives the default float dtype: course's is float64
    assert str(OPS[op](Tensor(x), Tensor(y)).dtype) == expected


@pytest.mark.parametrize("partner", ["python float", "numpy float64", "0-d float64 tensor"])
def test_float32_values_and_gradients_as_torch(partner):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = (np.abs(rng.standard_normal(200)) + 0.1).astype(np.float32)
    g = rng.standard_normal(200).astype(np.float32)
    for op in ("+", "-", "*", "/"):
        for reverse in (False, True):
            b = F32_PARTNERS[partner]()
            tb = torch.tensor(np.asarray(b.data if isinstance(b, Tensor) else b)) if "tensor" in partner else b
            p, t = Parameter(x.copy()), torch.tensor(x, requires_grad=True)
            out = OPS[op](b, p) if reverse else OPS[op](p, b)
            tout = OPS[op](tb, t) if reverse else OPS[op](t, tb)
            assert str(tout.dtype) == "torch.float32" and out.dtype == np.float32
            np.testing.assert_array_equal(out.data, tout.detach().numpy(), err_msg=f"{op} {reverse}")
            out.backward(g)
            tout.backward(torch.from_numpy(g))
            np.testing.assert_array_equal(p.grad, t.grad.numpy(), err_msg=f"{op} {reverse}")


def test_division_and_reciprocal_bits_as_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    a = rng.standard_normal(500).astype(np.float32)
    b = (np.abs(rng.standard_normal(500)) + 0.1).astype(np.float32)
    g = rng.standard_normal(500).astype(np.float32)
    pa, pb = Parameter(a.copy()), Parameter(b.copy())
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (pa / pb).backward(g)
    (ta / tb).backward(torch.from_numpy(g))
    np.testing.assert_array_equal(pb.grad, tb.grad.numpy())  # -g * ((a / b) / b), as torch
    pb.grad = None
    tb.grad = None
    out, tout = 3.0 / pb, 3.0 / tb  # torch: reciprocal(b) * 3
    np.testing.assert_array_equal(out.data, tout.detach().numpy())
    out.backward(g)
    tout.backward(torch.from_numpy(g))
    np.testing.assert_array_equal(pb.grad, tb.grad.numpy())
