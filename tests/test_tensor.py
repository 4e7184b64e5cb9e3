"""course.Tensor: every operation's gradient against central finite differences (float64),
with broadcasting, on NumPy and array_api_strict; dtypes, no_grad, detach, accumulation, errors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import course
from course import Parameter, Tensor, no_grad
from course.backend import to_numpy

FD_SETTINGS = settings(max_examples=20, derandomize=True, deadline=None, database=None,
                       suppress_health_check=[HealthCheck.function_scoped_fixture])


def draw(rng, shape, domain="any"):
    x = rng.normal(size=shape)
    if domain == "pos":
        return np.abs(x) + 0.3
    if domain == "nonzero":  # away from the kinks of relu and abs, and from poles
        return np.where(x >= 0, 1.0, -1.0) * (np.abs(x) + 0.2)
    return x


def check_gradients(xp, fn, *arrays, eps=1e-6, rtol=1e-6, atol=1e-7):
    """Backprop of sum(fn(*x) * w) against central differences, each input element in turn."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    params = [Parameter(xp.asarray(a)) for a in arrays]
    out = fn(*params)
    w = np.random.default_rng(1).normal(size=out.shape)
    (out * xp.asarray(w)).sum().backward()

    def loss(values):
        with no_grad():
            return float(np.sum(to_numpy(fn(*[Tensor(xp.asarray(v)) for v in values]).data) * w))

    for k, a in enumerate(arrays):
        numeric = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            plus = [v.copy() for v in arrays]
            minus = [v.copy() for v in arrays]
            plus[k][i] += eps
            minus[k][i] -= eps
            numeric[i] = (loss(plus) - loss(minus)) / (2 * eps)
        got = params[k].grad
        assert got is not None, f"input {k} got no gradient"
        assert tuple(got.shape) == a.shape and got.dtype == xp.float64
        np.testing.assert_allclose(to_numpy(got), numeric, rtol=rtol, atol=atol, err_msg=f"input {k}")


# ----------------------------------------------------------------- one input
UNARY = {
    "neg": (lambda a: -a, "any"),
    "exp": (lambda a: a.exp(), "any"),
    "log": (lambda a: a.log(), "pos"),
    "sqrt": (lambda a: a.sqrt(), "pos"),
    "tanh": (lambda a: a.tanh(), "any"),
    "sigmoid": (lambda a: a.sigmoid(), "any"),
    "sigmoid_saturated": (lambda a: (a * 8.0).sigmoid(), "any"),
    "relu": (lambda a: a.relu(), "nonzero"),
    "sin": (lambda a: a.sin(), "any"),
    "cos": (lambda a: a.cos(), "any"),
    "abs": (lambda a: a.abs(), "nonzero"),
    "pow2": (lambda a: a ** 2, "any"),
    "pow3": (lambda a: a ** 3, "any"),
    "pow_half": (lambda a: a ** 0.5, "pos"),
    "pow_neg": (lambda a: a ** -1.5, "pos"),
    "rpow": (lambda a: 2.0 ** a, "any"),
    "radd": (lambda a: 1.5 + a, "any"),
    "rsub": (lambda a: 3.0 - a, "any"),
    "sub_number": (lambda a: a - 3.0, "any"),
    "rmul": (lambda a: 0.5 * a, "any"),
    "div_number": (lambda a: a / 4.0, "any"),
    "rtruediv": (lambda a: 2.0 / a, "nonzero"),
    "sum": (lambda a: a.sum(), "any"),
    "sum_axis0": (lambda a: a.sum(axis=0), "any"),
    "sum_axis1_keepdims": (lambda a: a.sum(axis=1, keepdims=True), "any"),
    "sum_dim_torch": (lambda a: a.sum(dim=-1, keepdim=True), "any"),
    "mean": (lambda a: a.mean(), "any"),
    "mean_axis": (lambda a: a.mean(axis=-1), "any"),
    "mean_keepdims": (lambda a: a.mean(axis=0, keepdims=True), "any"),
    "reshape": (lambda a: a.reshape(4, 3) * a.reshape((4, 3)), "any"),
    "reshape_flat": (lambda a: a.reshape(-1) ** 2, "any"),
    "transpose": (lambda a: a.T * a.T, "any"),
    "getitem": (lambda a: a[1:, ::2] * a[:2, 1::2], "any"),
    "getitem_int": (lambda a: a[0, :] * a[-1, ...], "any"),
    "log_softmax": (lambda a: a.log_softmax(axis=-1), "any"),
    "log_softmax_axis0": (lambda a: a.log_softmax(axis=0), "any"),
    "log_softmax_dim": (lambda a: a.log_softmax(dim=1), "any"),
    "softmax_cross_entropy_like": (lambda a: -(a.log_softmax(axis=1)[:, 1]).mean(), "any"),
    "self_reuse": (lambda a: a * a.exp() + a / (a * a + 1.0), "any"),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradients(name, xp):
    fn, domain = UNARY[name]
    check_gradients(xp, fn, draw(np.random.default_rng(0), (3, 4), domain))


@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid", "pow2", "rpow", "sum", "mean", "neg", "rtruediv"])
def test_unary_gradients_on_0d_and_3d(name, xp):
    fn, domain = UNARY[name]
    rng = np.random.default_rng(2)
    check_gradients(xp, fn, draw(rng, (), domain))
    check_gradients(xp, fn, draw(rng, (2, 1, 3), domain))


def test_pow_zero_has_zero_gradient_even_at_zero(xp):
    a = Parameter(xp.asarray([0.0, 2.0]))
    (a ** 0).sum().backward()
    np.testing.assert_array_equal(to_numpy(a.grad), [0.0, 0.0])


def test_relu_gradient_at_zero_is_zero_as_in_torch(xp):
    a = Parameter(xp.asarray([-1.0, 0.0, 2.0]))
    a.relu().sum().backward()
    np.testing.assert_array_equal(to_numpy(a.grad), [0.0, 0.0, 1.0])


def test_sigmoid_does_not_overflow(xp):
    a = Parameter(xp.asarray([-1000.0, 1000.0]))
    out = a.sigmoid()
    out.sum().backward()
    np.testing.assert_array_equal(to_numpy(out.data), [0.0, 1.0])
    assert np.all(np.isfinite(to_numpy(a.grad)))


def test_log_softmax_is_stable_for_large_logits(xp):
    a = Parameter(xp.asarray([[1000.0, 0.0], [-1000.0, -1000.0]]))
    out = a.log_softmax(axis=1)
    np.testing.assert_allclose(to_numpy(out.data), [[0.0, -1000.0], [np.log(0.5), np.log(0.5)]])


# ------------------------------------------------------ binaries, broadcasting
BINARY = {
    "add": (lambda a, b: a + b, "any", "any"),
    "sub": (lambda a, b: a - b, "any", "any"),
    "mul": (lambda a, b: a * b, "any", "any"),
    "div": (lambda a, b: a / b, "any", "nonzero"),
    "pow": (lambda a, b: a ** b, "pos", "any"),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@FD_SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3))
def test_binary_gradients_with_broadcasting(name, shapes, xp):
    fn, da, db = BINARY[name]
    rng = np.random.default_rng(3)
    a, b = draw(rng, shapes.input_shapes[0], da), draw(rng, shapes.input_shapes[1], db)
    check_gradients(xp, fn, a, b)


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)), ((), (3,)), ((2, 1), ())])
def test_binary_gradients_named_broadcasts(name, shapes, xp):
    fn, da, db = BINARY[name]
    rng = np.random.default_rng(4)
    check_gradients(xp, fn, draw(rng, shapes[0], da), draw(rng, shapes[1], db))


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_with_a_constant_array_on_either_side(name, xp):
    fn, da, db = BINARY[name]
    rng = np.random.default_rng(5)
    a, b = draw(rng, (3, 4), da), draw(rng, (4,), db)
    check_gradients(xp, lambda t: fn(t, xp.asarray(b)), a)
    check_gradients(xp, lambda t: fn(Tensor(xp.asarray(a)), t), b)


@pytest.mark.parametrize("shapes", [
    ((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)),
    ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((3, 4), (2, 4, 2)), ((1, 3, 4), (2, 4, 2)),
    ((2, 3, 4), (4,)), ((4,), (2, 4, 3)),
])
def test_matmul_gradients(shapes, xp):
    rng = np.random.default_rng(6)
    check_gradients(xp, lambda a, b: a @ b, draw(rng, shapes[0]), draw(rng, shapes[1]))


def test_matmul_with_a_plain_array_on_the_left(xp):
    rng = np.random.default_rng(7)
    m = xp.asarray(rng.normal(size=(2, 3)))
    check_gradients(xp, lambda b: m @ b if xp.__name__.startswith("array_api_compat") else Tensor(m) @ b,
                    rng.normal(size=(3, 4)))


# ------------------------------------------------------------- reductions
@FD_SETTINGS
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple), data=st.data(),
       keepdims=st.booleans(), mean=st.booleans())
def test_reductions_over_any_axes(shape, data, keepdims, mean, xp):
    axes = data.draw(st.lists(st.integers(-len(shape), len(shape) - 1), unique_by=lambda a: a % len(shape),
                              max_size=len(shape)).map(tuple))
    axis = None if not axes else axes if len(axes) > 1 else axes[0]
    rng = np.random.default_rng(8)
    x = draw(rng, shape)
    fn = (lambda a: a.mean(axis=axis, keepdims=keepdims)) if mean else (lambda a: a.sum(axis=axis, keepdims=keepdims))
    expected = (np.mean if mean else np.sum)(x, axis=axis, keepdims=keepdims)
    assert fn(Tensor(xp.asarray(x))).shape == np.shape(expected)
    np.testing.assert_allclose(to_numpy(fn(Tensor(xp.asarray(x))).data), expected, rtol=1e-12)
    check_gradients(xp, fn, x)


# ------------------------------------------------------------------ dtypes
FLOAT32_OPS = {name: fn for name, (fn, _) in UNARY.items()}


@pytest.mark.parametrize("name", sorted(FLOAT32_OPS))
def test_float32_stays_float32(name, xp):
    _, domain = UNARY[name]
    a = Parameter(xp.asarray(draw(np.random.default_rng(9), (3, 4), domain), dtype=xp.float32))
    out = FLOAT32_OPS[name](a)
    assert out.dtype == xp.float32, f"{name} promoted to {out.dtype}"
    (out * 2.0).sum().backward()
    assert a.grad.dtype == xp.float32


@pytest.mark.parametrize("name", sorted(BINARY))
def test_float32_binaries_stay_float32(name, xp):
    fn, da, db = BINARY[name]
    rng = np.random.default_rng(10)
    a = Parameter(xp.asarray(draw(rng, (3, 4), da), dtype=xp.float32))
    b = Parameter(xp.asarray(draw(rng, (4,), db), dtype=xp.float32))
    out = fn(a, b)
    assert out.dtype == xp.float32
    out.mean().backward()
    assert a.grad.dtype == b.grad.dtype == xp.float32
    w = Parameter(xp.asarray(draw(rng, (4, 2)), dtype=xp.float32))
    (a @ w).sum().backward()
    assert w.grad.dtype == xp.float32


def test_integer_python_numbers_keep_float32(xp):
    a = Parameter(xp.ones((2,), dtype=xp.float32))
    out = (a + 1) * 2 - 3 / a + a ** 2 + 2 ** a
    assert out.dtype == xp.float32


# -------------------------------------------------------- graph semantics
def test_backward_accumulates_into_grad(xp):
    a = Parameter(xp.asarray([1.0, 2.0]))
    (a * 3.0).sum().backward()
    (a * a).sum().backward()
    np.testing.assert_array_equal(to_numpy(a.grad), [3.0 + 2.0, 3.0 + 4.0])


def test_a_tensor_used_twice_gets_both_contributions(xp):
    a = Parameter(xp.asarray([2.0]))
    b = a * 3.0
    (b * b + b).sum().backward()  # d/da (9a^2 + 3a) = 18a + 3
    assert float(a.grad[0]) == 39.0


def test_backward_with_an_explicit_gradient(xp):
    a = Parameter(xp.asarray([1.0, 2.0, 3.0]))
    (a * a).backward(xp.asarray([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(to_numpy(a.grad), [2.0, 0.0, -6.0])


def test_no_grad_records_nothing(xp):
    a = Parameter(xp.asarray([1.0, 2.0]))
    with no_grad():
        assert not course.is_grad_enabled()
        b = (a * 2.0).exp().sum()
        with course.enable_grad():
            c = a * 2.0
    assert course.is_grad_enabled()
    assert not b.requires_grad and b.is_leaf
    assert c.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        b.backward()
    assert a.grad is None


def test_no_grad_is_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            1 / 0
    assert course.is_grad_enabled()


def test_parameter_update_under_no_grad_is_not_recorded(xp):
    p = Parameter(xp.asarray([1.0, 2.0]))
    (p * p).sum().backward()
    with no_grad():
        p.data -= 0.1 * p.grad
    np.testing.assert_allclose(to_numpy(p.data), [0.8, 1.6])
    assert p.is_leaf and p.requires_grad


def test_detach_shares_data_and_stops_gradients(xp):
    a = Parameter(xp.asarray([1.0, 2.0]))
    d = a.detach()
    assert d.data is a.data and not d.requires_grad and d.is_leaf
    (a * d).sum().backward()  # only the path through `a` counts
    np.testing.assert_array_equal(to_numpy(a.grad), [1.0, 2.0])


def test_constants_get_no_grad(xp):
    a = Parameter(xp.asarray([1.0]))
    c = Tensor(xp.asarray([5.0]))
    (a * c).sum().backward()
    assert c.grad is None and not c.requires_grad


def test_deep_graphs_do_not_hit_the_recursion_limit():
    a = Parameter(np.array(1.0))
    out = a
    for _ in range(5000):
        out = out + 1.0
    out.backward()
    assert float(a.grad) == 1.0


def test_item_float_int_and_len(xp):
    t = Tensor(xp.asarray([[2.5]]))
    assert t.item() == 2.5 and isinstance(t.item(), float) and float(t) == 2.5
    assert Tensor(xp.asarray(3)).item() == 3 and isinstance(Tensor(xp.asarray(3)).item(), int)
    assert len(Tensor(xp.zeros((4, 2)))) == 4
    with pytest.raises(ValueError, match="2 elements cannot be converted"):
        Tensor(xp.asarray([1.0, 2.0])).item()


def test_numpy_operands_on_either_side():
    a = Parameter(np.array([1.0, 2.0], dtype=np.float32))
    for out in (np.ones(2, dtype=np.float32) + a, np.ones(2, dtype=np.float32) * a,
                np.ones(2, dtype=np.float32) - a, np.ones(2, dtype=np.float32) / a,
                np.ones((3, 2), dtype=np.float32) @ a):
        assert isinstance(out, Tensor) and out.requires_grad and out.dtype == np.float32
    (np.array([3.0, 4.0]) * a).sum().backward()
    np.testing.assert_array_equal(a.grad, np.array([3.0, 4.0], dtype=np.float32))
    assert a.grad.dtype == np.float32  # the parameter's dtype, even from a float64 constant


def test_reductions_give_arrays_not_numpy_scalars():
    t = Tensor(np.ones(3, dtype=np.float32)).sum()
    assert isinstance(t.data, np.ndarray) and t.data.shape == () and t.dtype == np.float32


def test_repr():
    assert repr(Tensor(np.array([1.0, 2.0]))) == "tensor([1., 2.])"
    assert repr(Parameter(np.array([1.0], dtype=np.float32))) == \
        "Parameter containing:\ntensor([1.], dtype=float32, requires_grad=True)"


# ------------------------------------------------------------------ errors
def test_matmul_shape_error_reads_like_the_issue(xp):
    a, b = Tensor(xp.zeros((3, 4))), Tensor(xp.zeros((5, 2)))
    with pytest.raises(ValueError) as e:
        a @ b
    assert str(e.value) == "matmul: shapes (3, 4) and (5, 2) do not align"
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3, 4\) and \(3, 4, 2\) do not align"):
        Tensor(xp.zeros((2, 3, 4))) @ Tensor(xp.zeros((3, 4, 2)))
    with pytest.raises(TypeError, match="not scalars"):
        a @ 2.0


def test_other_errors(xp):
    a = Parameter(xp.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"cannot reshape a tensor of shape \(2, 3\) into shape \(4,\)"):
        a.reshape(4)
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        a.sum(axis=2)
    with pytest.raises(ValueError, match="repeats an axis"):
        a.sum(axis=(0, -2))
    with pytest.raises(RuntimeError, match=r"only for scalar outputs, got shape \(2, 3\)"):
        (a * 2.0).backward()
    with pytest.raises(ValueError, match="does not match"):
        (a * 2.0).backward(xp.ones((3,)))
    with pytest.raises(ValueError, match="at least one dimension"):
        Parameter(xp.asarray(1.0)).log_softmax()
    with pytest.raises(TypeError, match="supports only ints, slices"):
        a[xp.asarray([0, 0])]
    assert a.grad is None  # nothing above touched the state


def test_index_arrays_are_fine_without_grad(xp):
    t = Tensor(xp.asarray([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(to_numpy(t[xp.asarray([2, 0])].data), [3.0, 1.0])
