"""course.classroom.memory_traffic: traced pass counts, the Adam forms against course.optim.Adam, the roofline, timing."""
import math

import numpy as np
import pytest

from course import backend, optim
from course.classroom import memory_traffic
from course.tensor import Parameter


def _adam_reference(p0, grads, **hyper):
    p = Parameter(p0.copy())
    opt = optim.Adam([p], **hyper)
    for g in grads:
        p.grad = g.copy()
        opt.step()
    return np.asarray(p.data)


@pytest.mark.parametrize("form", [memory_traffic.adam_expressions, memory_traffic.adam_inplace])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_forms_equal_course_optim(form, dtype):
    rng = np.random.default_rng(0)
    p0 = rng.normal(size=50).astype(dtype)
    grads = [rng.normal(size=50).astype(dtype) for _ in range(4)]
    hyper = dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)
    p, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
    for step, g in enumerate(grads, 1):
        form(p, g, m, v, lr=0.01, beta1=0.8, beta2=0.99, eps=1e-6, step=step)
    assert p.dtype == dtype
    np.testing.assert_allclose(p, _adam_reference(p0, grads, **hyper), rtol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("form", [memory_traffic.sgd_momentum_step, memory_traffic.sgd_momentum_inplace])
def test_momentum_form_equals_sgd(form):
    rng = np.random.default_rng(1)
    p0, grads = rng.normal(size=20), [rng.normal(size=20) for _ in range(3)]
    p, buf = p0.copy(), grads[0].copy()  # torch's first step: buf = g
    p -= 0.1 * buf
    for g in grads[1:]:
        form(p, g, buf, lr=0.1, momentum=0.9)
    ref = Parameter(p0.copy())
    opt = optim.SGD([ref], lr=0.1, momentum=0.9)
    for g in grads:
        ref.grad = g.copy()
        opt.step()
    np.testing.assert_allclose(p, ref.data, rtol=1e-12)


def test_trace_counts_follow_the_recorded_ops():
    t = memory_traffic.trace(memory_traffic.adam_expressions)
    assert t.passes == len(t.ops) and t.temporaries == sum(op.temporary for op in t.ops)
    assert t.bytes_per_param(4) == 4 * sum(op.reads + op.writes for op in t.ops)
    assert (t.inputs, t.outputs) == (4, 3)  # p, g, m, v in; p, m, v written
    assert t.fused_bytes_per_param(2) == 2 * 7
    inplace = memory_traffic.trace(memory_traffic.adam_inplace)
    assert inplace.temporaries < t.temporaries and inplace.bytes_per_param() < t.bytes_per_param()
    assert not any(op.name == "copy" for op in inplace.ops)
    assert inplace.flops_per_param == t.flops_per_param  # same arithmetic, fewer passes
    sgd = memory_traffic.trace(memory_traffic.sgd_step, lr=0.1)
    assert (sgd.inputs, sgd.outputs) == (2, 1) and sgd.fused_bytes_per_param(4) == 12


def test_momentum_inplace_traffic():
    expr = memory_traffic.trace(memory_traffic.sgd_momentum_step, lr=0.1, momentum=0.9)
    inplace = memory_traffic.trace(memory_traffic.sgd_momentum_inplace, lr=0.1, momentum=0.9)
    assert [op.temporary for op in inplace.ops].count(True) == inplace.temporaries == 1
    assert not any(op.name == "copy" for op in inplace.ops)
    # 4 passes: buf*=, buf+=, lr*buf (temporary), p-=; reads+writes of float32 each
    assert inplace.bytes_per_param(4) == 4 * sum(op.reads + op.writes for op in inplace.ops)
    assert inplace.bytes_per_param(4) < expr.bytes_per_param(4)
    assert inplace.fused_bytes_per_param(4) == expr.fused_bytes_per_param(4)


def test_traffic_and_roofline():
    traffic = memory_traffic.adam_traffic(4)
    assert traffic["fused kernel"] < traffic["in place"] < traffic["expressions"]
    h100 = memory_traffic.MACHINES["h100"]
    ai = memory_traffic.arithmetic_intensity(memory_traffic.trace(memory_traffic.adam_expressions).flops_per_param, traffic["fused kernel"])
    assert ai < h100.ridge  # memory-bound
    assert memory_traffic.attainable_flops(ai, h100) == pytest.approx(ai * h100.bandwidth)
    assert memory_traffic.attainable_flops(1e6, h100) == h100.flops
    assert memory_traffic.roofline_time(1e6, 4, 10, h100) == pytest.approx(1e7 / h100.flops)
    with pytest.raises(ValueError, match="bandwidth: 0"):
        memory_traffic.step_time_floor(28, 10, 0)
    with pytest.raises(ValueError, match="bytes_per_param: 0"):
        memory_traffic.arithmetic_intensity(1, 0)


def test_time_call_and_bandwidth_are_positive():
    calls = []
    t = memory_traffic.time_call(lambda: calls.append(1), repeats=3, warmup=2)
    assert t >= 0 and len(calls) == 5
    assert memory_traffic.measure_bandwidth(2 ** 16, repeats=2) > 0


def test_fused_kernel_constructs_with_cupy():
    pytest.importorskip("cupy")
    assert memory_traffic.fused_adam_kernel() is not None


@pytest.mark.skipif(not backend.gpu_available(), reason="needs a CUDA GPU with CuPy")
def test_fused_kernel_equals_expressions_on_gpu():
    import cupy

    rng = np.random.default_rng(0)
    p0, g = rng.normal(size=1000).astype(np.float32), rng.normal(size=1000).astype(np.float32)
    p, m, v = cupy.asarray(p0), cupy.zeros(1000, cupy.float32), cupy.zeros(1000, cupy.float32)
    memory_traffic.fused_adam_step(memory_traffic.fused_adam_kernel(), p, cupy.asarray(g), m, v, lr=0.01, step=1)
    q, mq, vq = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
    memory_traffic.adam_expressions(q, g, mq, vq, lr=0.01, step=1)
    np.testing.assert_allclose(cupy.asnumpy(p), q, rtol=1e-5)


def test_launch_step_time_adds_the_launches_to_the_bytes():
    h100 = memory_traffic.MACHINES["h100"]
    floor = memory_traffic.step_time_floor(28, 1e6, h100.bandwidth)
    t = memory_traffic.launch_step_time(28, 1e6, h100.bandwidth, kernels=16, launch_latency=5e-6)
    assert t == pytest.approx(16 * 5e-6 + floor, rel=1e-12)
    assert memory_traffic.launch_step_time(28, 1e6, h100.bandwidth) == floor  # no launch cost by default
    with pytest.raises(ValueError, match="bandwidth: 0"):
        memory_traffic.launch_step_time(28, 10, 0)
    with pytest.raises(ValueError, match="launch_latency"):
        memory_traffic.launch_step_time(28, 10, 1e9, kernels=1, launch_latency=-1e-6)


@pytest.mark.parametrize("kernels, bpp, latency", [(16, 148, 5e-6), (1, 28, 5e-6), (13, 124, 2e-6)])
def test_at_the_launch_crossover_bytes_and_launches_take_equally_long(kernels, bpp, latency):
    bw = memory_traffic.MACHINES["h100"].bandwidth
    n = memory_traffic.launch_crossover(kernels, bpp, bw, latency)
    bytes_part = memory_traffic.step_time_floor(bpp, n, bw)
    assert bytes_part == pytest.approx(kernels * latency, rel=1e-12)
    # a tenth of that size is launch-bound, ten times as much is bandwidth-bound
    assert memory_traffic.step_time_floor(bpp, n / 10, bw) < kernels * latency < memory_traffic.step_time_floor(bpp, 10 * n, bw)
    assert memory_traffic.CUDA_LAUNCH_LATENCY == 5e-6
    with pytest.raises(ValueError, match="bytes_per_param: 0"):
        memory_traffic.launch_crossover(1, 0, bw, latency)
