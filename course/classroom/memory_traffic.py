"""Why optimizer steps are memory-bound, and what fusing buys: a traffic model and a timer.

An elementwise optimizer step does a handful of flops per parameter but must read and
write every array it touches.  Written as array expressions, each operation is one
pass over memory that reads its inputs and writes a fresh temporary; a fused kernel
reads ``p, g`` and the state once and writes ``p`` and the state once.

.. math::

    t_{\\text{step}} \\ge \\max\\Big(\\frac{\\text{bytes per parameter} \\cdot n}{\\text{bandwidth}},\\;
    \\frac{\\text{flops per parameter} \\cdot n}{\\text{peak flop rate}}\\Big)

:func:`trace` counts the passes of a step written with array operators by running it
on recording arrays, so the counts are measured from the code, not typed by hand.

>>> t = trace(sgd_momentum_step, lr=0.1, momentum=0.9)
>>> t.passes, t.temporaries, t.bytes_per_param(4), t.fused_bytes_per_param(4)
(6, 4, 56, 20)
"""
from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

from .. import backend

__all__ = ["Machine", "MACHINES", "Op", "Trace", "trace", "sgd_step", "sgd_momentum_step", "sgd_momentum_inplace",
           "adam_expressions",
           "adam_inplace", "adam_traffic", "arithmetic_intensity", "attainable_flops", "step_time_floor", "roofline_time",
           "CUDA_LAUNCH_LATENCY", "launch_step_time", "launch_crossover",
           "time_call", "measure_bandwidth", "measure_call_overhead", "fused_adam_kernel", "fused_adam_step"]


# ------------------------------------------------------------------ machines
@dataclass(frozen=True)
class Machine:
    """Memory bandwidth (bytes/s) and peak float32 rate (flop/s) of a device, and where they come from."""

    name: str
    short: str
    bandwidth: float
    flops: float
    source: str

    @property
    def ridge(self) -> float:
        """Arithmetic intensity (flop/byte) above which the device is compute-bound."""
        return self.flops / self.bandwidth


MACHINES = {
    "cpu": Machine("one core of the course's build machine (AMD EPYC)", "1 CPU core", 48e9, 100e9,
                   "bandwidth: the one-thread floor that benchmarks/bench_optim.py measures, 46-51 GB/s "
                   "(benchmarks/README.md); flops estimated as 32 float32 flops per cycle at about 3 GHz"),
    "a100": Machine("NVIDIA A100 80GB SXM", "A100", 2.039e12, 19.5e12, "datasheet (HBM2e, float32 non-tensor)"),
    "h100": Machine("NVIDIA H100 SXM", "H100", 3.35e12, 67e12, "datasheet (HBM3, float32 non-tensor)"),
}


# ------------------------------------------------------------------- tracing
@dataclass(frozen=True)
class Op:
    """One elementwise pass: ``reads`` arrays in, one array out (a new temporary, or in place)."""

    name: str
    reads: int
    writes: int
    temporary: bool


@dataclass
class Trace:
    """The passes a step made, and how many distinct arrays it was given and wrote back."""

    ops: list
    inputs: int
    outputs: int

    @property
    def passes(self) -> int:
        return len(self.ops)

    @property
    def temporaries(self) -> int:
        return sum(op.temporary for op in self.ops)

    @property
    def flops_per_param(self) -> int:
        return sum(op.name != "copy" for op in self.ops)  # one flop per arithmetic pass and element

    def bytes_per_param(self, itemsize: int = 4) -> int:
        """Bytes moved per parameter when every pass goes to memory (arrays larger than the caches)."""
        return sum(op.reads + op.writes for op in self.ops) * itemsize

    def fused_bytes_per_param(self, itemsize: int = 4) -> int:
        """Bytes moved by one fused kernel: each input read once, each output written once."""
        return (self.inputs + self.outputs) * itemsize


class _Recorder(NDArrayOperatorsMixin):
    """A NumPy array that logs every elementwise operation done on it."""

    def __init__(self, array, log):
        self.array, self.log, self.written = array, log, False

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if method != "__call__" or kwargs:
            return NotImplemented
        raw = [x.array if isinstance(x, _Recorder) else x for x in inputs]
        reads = sum(isinstance(x, _Recorder) for x in inputs)
        if out is not None:
            target = out[0] if isinstance(out, tuple) else out
            ufunc(*raw, out=target.array)
            target.written = True
            self.log.append(Op(ufunc.__name__, reads, 1, False))
            return target
        self.log.append(Op(ufunc.__name__, reads, 1, True))
        return _Recorder(ufunc(*raw), self.log)

    def __setitem__(self, key, value):  # p[...] = expression: one more pass, a copy
        self.array[key] = value.array if isinstance(value, _Recorder) else value
        self.written = True
        self.log.append(Op("copy", int(isinstance(value, _Recorder)), 1, False))


def _sqrt(x):
    if isinstance(x, _Recorder):
        return np.sqrt(x)
    return backend.namespace(x).sqrt(x)


def trace(step, n: int = 8, seed: int = 0, dtype=np.float32, **hyper) -> Trace:
    """Run ``step(p, g, *state, **hyper)`` on recording arrays of ``n`` elements and count its passes.

    The number of state arrays is read from the step's signature (the positional
    parameters after ``p`` and ``g``).
    """
    import inspect

    positional = [q for q in inspect.signature(step).parameters.values()
                  if q.kind in (q.POSITIONAL_ONLY, q.POSITIONAL_OR_KEYWORD) and q.default is q.empty]
    rng = np.random.default_rng(seed)
    log = []
    arrays = [_Recorder(rng.normal(size=n).astype(dtype), log) for _ in positional]
    if len(positional) > 2:  # second moments must be non-negative
        arrays[-1].array[...] = np.abs(arrays[-1].array)
    step(*arrays, **hyper)
    return Trace(log, inputs=len(arrays), outputs=sum(a.written for a in arrays))


# ------------------------------------------------------- steps as expressions
def sgd_step(p, g, *, lr):
    """Plain SGD, in place: ``p -= lr * g``."""
    p -= lr * g


def sgd_momentum_step(p, g, buf, *, lr, momentum):
    """SGD with momentum (torch's convention, after the first step), as expressions."""
    buf[...] = momentum * buf + g
    p[...] = p - lr * buf


def sgd_momentum_inplace(p, g, buf, *, lr, momentum):
    """The same momentum step with in-place operators: one temporary (``lr * buf``), no copies."""
    buf *= momentum
    buf += g
    p -= lr * buf


def adam_expressions(p, g, m, v, *, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, step=1):
    """Adam written as array expressions, the way one first writes it (torch's formula)."""
    m[...] = beta1 * m + (1 - beta1) * g
    v[...] = beta2 * v + (1 - beta2) * g * g
    denom = _sqrt(v) / math.sqrt(1 - beta2 ** step) + eps
    p[...] = p - lr / (1 - beta1 ** step) * m / denom


def adam_inplace(p, g, m, v, *, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, step=1):
    """The same Adam step with in-place operators (what torch's single-tensor path does)."""
    m *= beta1
    m += (1 - beta1) * g
    v *= beta2
    v += (1 - beta2) * g * g
    denom = _sqrt(v)
    denom /= math.sqrt(1 - beta2 ** step)
    denom += eps
    p -= lr / (1 - beta1 ** step) * m / denom


def adam_traffic(itemsize: int = 4) -> dict:
    """Bytes per parameter of an Adam step: expression form, in-place form, one fused kernel."""
    naive, inplace = trace(adam_expressions), trace(adam_inplace)
    return {"expressions": naive.bytes_per_param(itemsize), "in place": inplace.bytes_per_param(itemsize),
            "fused kernel": naive.fused_bytes_per_param(itemsize)}


# ---------------------------------------------------------------- roofline
def arithmetic_intensity(flops_per_param: float, bytes_per_param: float) -> float:
    """Flops per byte moved."""
    if bytes_per_param <= 0:
        raise ValueError(f"Invalid bytes_per_param: {bytes_per_param} (must be > 0)")
    return flops_per_param / bytes_per_param


def attainable_flops(intensity: float, machine: Machine) -> float:
    """The roofline: ``min(peak, intensity * bandwidth)`` in flop/s."""
    return min(machine.flops, intensity * machine.bandwidth)


def step_time_floor(bytes_per_param: float, n: float, bandwidth: float) -> float:
    """Seconds to move ``bytes_per_param * n`` bytes at ``bandwidth`` bytes/s (a lower bound).

    >>> step_time_floor(28, 10_000_000, 72e9) * 1e3   # Adam, 10M float32 on one core: about 4 ms
    3.888888888888889
    """
    if bandwidth <= 0:
        raise ValueError(f"Invalid bandwidth: {bandwidth} (must be > 0)")
    return bytes_per_param * n / bandwidth


# A typical published figure for one CUDA kernel launch (a few microseconds); not measured here.
CUDA_LAUNCH_LATENCY = 5e-6


def launch_step_time(bytes_per_param: float, n: float, bandwidth: float, kernels: int = 1,
                     launch_latency: float = 0.0) -> float:
    """Seconds per step with a fixed cost per kernel launch: ``kernels * launch_latency + bytes / bandwidth``.

    For small tensors the launches dominate, which is why torch groups tensors (``foreach``) or fuses.

    >>> launch_step_time(28, 1000, 3.35e12, kernels=16, launch_latency=5e-6) * 1e6   # microseconds
    80.00835820895523
    """
    if bandwidth <= 0:
        raise ValueError(f"Invalid bandwidth: {bandwidth} (must be > 0)")
    if kernels < 0 or launch_latency < 0:
        raise ValueError(f"Invalid kernels or launch_latency: {kernels}, {launch_latency} (must be >= 0)")
    return kernels * launch_latency + step_time_floor(bytes_per_param, n, bandwidth)


def launch_crossover(kernels: int, bytes_per_param: float, bandwidth: float, launch_latency: float) -> float:
    """The number of parameters at which moving the bytes takes as long as launching the kernels.

    >>> round(launch_crossover(16, 28, 3.35e12, 5e-6))   # Adam as 16 kernels on an H100
    9571429
    """
    if bytes_per_param <= 0:
        raise ValueError(f"Invalid bytes_per_param: {bytes_per_param} (must be > 0)")
    return kernels * launch_latency * bandwidth / bytes_per_param


def roofline_time(flops_per_param: float, bytes_per_param: float, n: float, machine: Machine) -> float:
    """Seconds per step on the roofline: the slower of moving the bytes and doing the flops.

    >>> m = MACHINES["h100"]
    >>> roofline_time(13, 28, 1e7, m) == step_time_floor(28, 1e7, m.bandwidth)   # memory-bound
    True
    """
    return max(step_time_floor(bytes_per_param, n, machine.bandwidth), flops_per_param * n / machine.flops)


# ------------------------------------------------------------------ timing
def _synchronize(arrays):
    for a in arrays:
        if type(a).__module__.startswith("cupy"):
            import cupy

            cupy.cuda.get_current_stream().synchronize()
            return


def time_call(fn, *args, repeats: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``fn(*args)`` in seconds; waits for the GPU when an argument is a CuPy array."""
    for _ in range(warmup):
        fn(*args)
    _synchronize(args)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        _synchronize(args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure_bandwidth(n: int = 2 ** 24, xp=np, repeats: int = 5) -> float:
    """Bytes/s of ``a += b`` on ``n`` float32 (reads two arrays, writes one)."""
    a, b = xp.ones(n, dtype=xp.float32), xp.ones(n, dtype=xp.float32)

    def add():
        nonlocal a
        a += b

    return 12 * n / time_call(lambda *_: add(), a, b, repeats=repeats)


def measure_call_overhead(calls: int = 2000, repeats: int = 7) -> float:
    """Seconds per ``a += b`` on one-element float32 arrays: the fixed cost of a NumPy call, the CPU's
    analogue of a kernel launch (the bytes are negligible)."""
    a, b = np.ones(1, dtype=np.float32), np.ones(1, dtype=np.float32)

    def many():
        for _ in range(calls):
            np.add(a, b, out=a)

    return time_call(many, repeats=repeats) / calls


def fused_adam_kernel():
    """Adam as one CuPy ``ElementwiseKernel``: reads p, g, m, v once and writes p, m, v once.

    Call it as ``kernel(g, lr / bc1, beta1, beta2, 1 / sqrt(bc2), eps, p, m, v)``; the last
    three are updated in place.  Needs CuPy (constructing it works without a GPU).
    """
    import cupy

    return cupy.ElementwiseKernel(
        "T g, T lr_bc1, T beta1, T beta2, T inv_sqrt_bc2, T eps",
        "T p, T m, T v",
        """
        m = beta1 * m + (1 - beta1) * g;
        v = beta2 * v + (1 - beta2) * g * g;
        p = p - lr_bc1 * m / (sqrt(v) * inv_sqrt_bc2 + eps);
        """,
        "course_fused_adam",
    )


def fused_adam_step(kernel, p, g, m, v, *, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, step=1):
    """One Adam step with :func:`fused_adam_kernel` (scalars cast to the arrays' dtype)."""
    t = p.dtype.type
    kernel(g, t(lr / (1 - beta1 ** step)), t(beta1), t(beta2), t(1 / math.sqrt(1 - beta2 ** step)), t(eps),
           p, m, v)
