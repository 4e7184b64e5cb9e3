"""Which array library the course computes with: NumPy by default, CuPy on request.

Generic code never imports numpy or cupy directly: it asks the arrays it is given
for their namespace (``namespace(x)``), so one rule runs on every backend.
"""
from __future__ import annotations

import os

import array_api_compat
import numpy as np

__all__ = ["BackendError", "namespace", "get", "use", "name", "asarray", "to_numpy", "info", "gpu_available"]


class BackendError(RuntimeError):
    """Raised when the requested backend cannot be used on this machine."""


_VALID = ("numpy", "cupy")
_current: str | None = None


_NAMESPACES: dict = {}  # tuple of array types -> namespace: it depends on the types only


def namespace(*arrays):
    """The array-API namespace shared by ``arrays`` (numpy, cupy, array_api_strict, ...).

    Memoized by the arrays' types: the autograd asks once per operation, and asking
    ``array_api_compat`` each time costs a tenth of a small network's training step.
    """
    key = tuple(map(type, arrays))
    xp = _NAMESPACES.get(key)
    if xp is None:
        xp = _NAMESPACES[key] = array_api_compat.array_namespace(*arrays)
    return xp


def _import_cupy():
    try:
        import cupy
    except Exception as e:  # ImportError, or a broken CUDA install
        raise BackendError(
            "COURSE_BACKEND=cupy was requested but CuPy is not installed "
            f"({type(e).__name__}: {e}). Install it with `pip install -e '.[gpu]'` "
            "(needs an NVIDIA GPU with CUDA 12), or unset COURSE_BACKEND to use NumPy."
        ) from None
    try:
        ok = bool(cupy.is_available())
    except Exception:
        ok = False
    if not ok:
        raise BackendError(
            "COURSE_BACKEND=cupy was requested and CuPy is installed, but no usable "
            "CUDA GPU was found. Run on a machine with an NVIDIA GPU, or unset "
            "COURSE_BACKEND (or call course.backend.use('numpy')) to use NumPy."
        )
    return cupy


def _resolve(requested: str):
    requested = requested.strip().lower()
    if requested not in _VALID:
        raise ValueError(f"unknown backend {requested!r}: expected one of {_VALID}")
    return np if requested == "numpy" else _import_cupy()


def use(backend: str) -> None:
    """Switch the default backend for new arrays: ``'numpy'`` or ``'cupy'``."""
    global _current
    _resolve(backend)  # fail now, with a clear message, rather than later
    _current = backend.strip().lower()


def name() -> str:
    """The default backend's name: ``'numpy'`` or ``'cupy'``."""
    return _current or os.environ.get("COURSE_BACKEND", "numpy").strip().lower() or "numpy"


def get():
    """The default backend's module (``numpy`` or ``cupy``)."""
    return _resolve(name())


def asarray(x, dtype=None, like=None):
    """``x`` as an array of the backend of ``like`` (an array), or of the default backend."""
    if like is not None:
        xp = namespace(like)
        return xp.asarray(x, dtype=dtype, device=array_api_compat.device(like))
    if array_api_compat.is_array_api_obj(x) and not isinstance(x, (int, float, bool)):
        xp = namespace(x)
        return x if dtype is None else xp.asarray(x, dtype=dtype)
    return get().asarray(x, dtype=dtype)


def to_numpy(x) -> np.ndarray:
    """Any array (NumPy, CuPy, array-API) or ``course.Tensor`` as a NumPy array, for plotting."""
    x = getattr(x, "data", x) if type(x).__name__ in ("Tensor", "Parameter") else x
    if isinstance(x, np.ndarray):
        return x
    if array_api_compat.is_cupy_array(x):
        return x.get()
    if hasattr(x, "__dlpack__") and not isinstance(x, (int, float)):
        try:
            return np.from_dlpack(x)
        except Exception:
            pass
    return np.asarray(x)


def gpu_available() -> bool:
    """True when CuPy is installed and can allocate on a CUDA GPU."""
    try:
        import cupy

        return bool(cupy.is_available())
    except Exception:
        return False


def info() -> dict:
    """What the course computes with: backend name, device, and whether a GPU is usable."""
    gpu = gpu_available()
    backend = name()
    out = {"backend": backend, "device": "cpu", "gpu_available": gpu}
    if backend == "cupy" and gpu:
        import cupy

        dev = cupy.cuda.Device()
        props = cupy.cuda.runtime.getDeviceProperties(dev.id)
        out["device"] = f"cuda:{dev.id} ({props['name'].decode()})"
    return out
