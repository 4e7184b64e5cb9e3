"""course.backend: NumPy by default, CuPy on request, clear errors where CuPy cannot run."""
import numpy as np
import pytest

import course
from course import backend


def test_numpy_is_the_default(monkeypatch):
    monkeypatch.delenv("COURSE_BACKEND", raising=False)
    monkeypatch.setattr(backend, "_current", None)
    assert backend.name() == "numpy"
    assert backend.get() is np
    info = backend.info()
    assert info["backend"] == "numpy" and info["device"] == "cpu"
    assert isinstance(info["gpu_available"], bool)


def test_unknown_backend_is_a_value_error():
    with pytest.raises(ValueError, match="'torch'"):
        backend.use("torch")


@pytest.mark.skipif(backend.gpu_available(), reason="this machine has a GPU")
def test_cupy_without_gpu_says_what_to_do(monkeypatch):
    monkeypatch.setenv("COURSE_BACKEND", "cupy")
    monkeypatch.setattr(backend, "_current", None)
    with pytest.raises(backend.BackendError) as err:
        backend.get()
    message = str(err.value)
    assert "cupy" in message.lower() and ("GPU" in message or "not installed" in message)
    assert "COURSE_BACKEND" in message  # tells how to go back to NumPy


def test_use_fails_early_and_keeps_the_old_backend(monkeypatch):
    monkeypatch.setattr(backend, "_current", "numpy")
    if not backend.gpu_available():
        with pytest.raises(backend.BackendError):
            backend.use("cupy")
    assert backend.name() == "numpy"


def test_namespace_follows_the_arrays():
    import array_api_strict as xs

    assert backend.namespace(xs.asarray([1.0])) is xs
    with pytest.raises(TypeError):
        backend.namespace(xs.asarray([1.0]), np.ones(1))


def test_to_numpy_from_every_kind():
    import array_api_strict as xs

    expected = np.array([1.0, 2.0])
    for x in (expected, xs.asarray([1.0, 2.0]), course.Tensor(np.array([1.0, 2.0]))):
        out = backend.to_numpy(x)
        assert isinstance(out, np.ndarray)
        np.testing.assert_array_equal(out, expected)


def test_asarray_like_keeps_the_backend_and_dtype():
    import array_api_strict as xs

    like = xs.asarray([1.0], dtype=xs.float32)
    out = backend.asarray([3.0], dtype=xs.float32, like=like)
    assert backend.namespace(out) is xs and out.dtype == xs.float32


@pytest.mark.skipif(not backend.gpu_available(), reason="needs a CUDA GPU")
def test_cupy_backend_on_a_gpu(monkeypatch):
    import cupy

    monkeypatch.setattr(backend, "_current", None)
    backend.use("cupy")
    assert backend.get() is cupy
    assert backend.info()["device"].startswith("cuda:")
    x = course.Parameter(cupy.arange(3.0))
    (x * x).sum().backward()
    assert isinstance(x.grad, cupy.ndarray)
    np.testing.assert_allclose(backend.to_numpy(x.grad), [0.0, 2.0, 4.0])
