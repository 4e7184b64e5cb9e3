"""course.blas_threads: one BLAS thread for small products, the user's limits kept, the bits unchanged."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import threadpoolctl

import course
from course import blas_threads, optim

SMALL = (64, 64, 256)  # M, K, N of the digits MLP's first layer: below THRESHOLD
BIG = (256, 256, 128)  # M*N*K = 8M: above it


def blas_counts():
    return [info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]


@pytest.fixture
def two_threads(monkeypatch):
    """BLAS on two threads around the test (as on a 2-core machine), from the main thread."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("course.blas_threads acts from the main thread only")
    if not blas_threads._controllers():
        pytest.skip("no BLAS library that threadpoolctl can control")
    monkeypatch.setattr(blas_threads, "_wide_at", -1.0)  # leave no 'spinning' behind for other tests
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        if max(blas_counts()) < 2:
            pytest.skip("BLAS does not run two threads here")
        yield


@pytest.fixture
def matmul_spy(monkeypatch):
    """Every np.matmul call records the BLAS thread counts inside it."""
    seen, real = [], np.matmul

    def spy(*args, **kwargs):
        seen.append(max(blas_counts()))
        return real(*args, **kwargs)

    monkeypatch.setattr(np, "matmul", spy)
    return seen


def operands(m, k, n, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)


def test_small_products_run_on_one_thread_and_the_count_comes_back(two_threads, matmul_spy):
    a, b = operands(*SMALL)
    x, w = course.Tensor(a), course.Parameter(b)
    (x @ w).sum().backward()
    assert matmul_spy == [1, 1], matmul_spy  # forward, and dL/dw (x needs no gradient)
    assert max(blas_counts()) == 2


def test_big_products_keep_the_count(two_threads, matmul_spy):
    a, b = operands(*BIG)
    x, w = course.Parameter(a), course.Parameter(b)
    (x @ w).sum().backward()
    assert matmul_spy == [2, 2, 2], matmul_spy
    assert blas_threads.spinning()  # a 2-thread product just ran


def test_the_users_limit_is_never_raised(two_threads, matmul_spy):
    for shape in (SMALL, BIG):
        a, b = operands(*shape)
        with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
            course.Parameter(a) @ course.Parameter(b)
            assert max(blas_counts()) == 1
        assert max(blas_counts()) == 2
    assert matmul_spy == [1, 1]
    assert not blas_threads.spinning()  # the big product ran on one thread: nothing spins


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [SMALL, (64, 256, 64), (100, 300, 200), (1000, 50, 30), BIG, (512, 512, 512)])
def test_the_bits_are_plain_np_matmul_on_the_chosen_threads(two_threads, shape, dtype):
    """Forward and both gradients equal plain NumPy products, run on the thread count chosen for the size.

    OpenBLAS's bits can depend on the thread count (float64 (100, 300, 200): G B^T differs in the
    last bit; (1000, 50, 30): A^T G, float32 too), so a small product now gives the bits of one
    thread on every machine, whatever its core count.  (Whether 1 and 2 threads agree for a shape
    is OpenBLAS's business and depends on its kernel: with SkylakeX they agree for the digits MLP's
    products, with Haswell not in float32, so nothing here asserts it.)
    """
    a, b = operands(*shape, dtype=dtype, seed=sum(shape))
    g = np.random.default_rng(1).standard_normal((shape[0], shape[2])).astype(dtype)
    x, w = course.Parameter(a), course.Parameter(b)
    y = x @ w
    (y * course.Tensor(g)).sum().backward()
    small = shape[0] * shape[1] * shape[2] < blas_threads.THRESHOLD
    with threadpoolctl.threadpool_limits(limits=1 if small else 2, user_api="blas"):
        plain = [a @ b, g @ b.T, a.T @ g]
    for got, want in zip([y.data, x.grad, w.grad], plain):
        assert got.tobytes() == want.tobytes()


class FakeBlas:
    """Stands in for threadpoolctl's controller of one library: records what is set."""

    def __init__(self, n):
        self.n, self.sets = n, []

    def get_num_threads(self):
        return self.n

    def set_num_threads(self, n):
        self.sets.append(n)
        self.n = n


def test_no_op_on_array_api_strict_arrays(monkeypatch):
    import array_api_strict as xs

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("course.blas_threads acts from the main thread only")
    fake = FakeBlas(2)
    monkeypatch.setattr(blas_threads, "_blas", (fake,))
    a, b = operands(*SMALL)
    x, w = course.Tensor(xs.asarray(a)), course.Parameter(xs.asarray(b))
    (x @ w).sum().backward()
    assert fake.sets == []
    assert np.array_equal(np.asarray(w.grad), a.T @ np.ones((SMALL[0], SMALL[2]), np.float32))
    course.Tensor(a) @ course.Parameter(b)  # the same product on NumPy arrays does act
    assert fake.sets == [1, 2]


@pytest.mark.parametrize("spinning", [False, True])
def test_the_optimizer_runs_on_one_thread_while_blas_workers_spin(monkeypatch, spinning):
    from course.optim import fast_path

    monkeypatch.setattr(fast_path, "THREADS", 2)
    monkeypatch.setattr(blas_threads, "spinning", lambda: spinning)
    names = []
    p = course.Parameter(np.zeros(64 * 1024, np.float32))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.chunk_bytes = 4096  # 64 chunks
    rule = opt._update

    def spy(param, *rest):
        names.append(threading.current_thread().name)
        time.sleep(0.001)  # so that a second thread, if there is one, surely takes a chunk
        rule(param, *rest)

    opt._update = spy
    p.grad = np.ones_like(p.data)
    for _ in range(3):
        names.clear()
        opt.step()
        if len(set(names)) > 1:
            break
    assert (len(set(names)) == 1) == spinning, set(names)
