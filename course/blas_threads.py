"""One BLAS thread for small matrix products: speed machinery behind ``Tensor.__matmul__``.

Why.  NumPy's OpenBLAS splits every product with M*N*K above 262,144 between all cores.
The course's layers are small: a 64->256 layer on batches of 64 is M*N*K = 1M, where a
second thread gains little on a quiet machine (or, in a loop of products, loses).  With the other core busy (a second Jupyter kernel, nbval under
``pytest -n 2``, a browser), the main thread waits for a worker that the OS has not
scheduled, and the wait can be a whole time slice.  After each multi-threaded product the
worker also spins for about 0.1 s (``OPENBLAS_THREAD_TIMEOUT``: 2**28 cycles; 85 ms of CPU
measured), taking a core from whatever runs next.

What.  ``for_matmul(a, b)`` is a context manager around a NumPy matmul.  When one product of
``a @ b`` (the last two axes) has M*N*K below ``THRESHOLD``, BLAS runs on one thread inside
it, and the counts set before come back after it.  It only ever lowers the count, so larger
products run with whatever the user's environment allows (``OPENBLAS_NUM_THREADS``,
``OMP_NUM_THREADS``, or a ``threadpoolctl.threadpool_limits`` block that is active then):
it can never exceed a user's limit.  It acts on NumPy arrays only (CuPy, array_api_strict:
nothing happens) and from the main thread only: OpenBLAS has one thread count per process,
and threadpoolctl lets one Python thread set it, the main thread in practice.
``spinning()`` tells ``course.optim`` that BLAS workers may still be spinning, so that the
optimizer's own threads and BLAS's never ask for more cores than there are (below).

Bits.  OpenBLAS's result can depend on its thread count in the last bit for some shapes
(float64: the G B^T of 100x300 @ 300x200, 96x200 @ 200x300; float32 and float64 50x1000 @ 1000x30),
and, with OpenBLAS's Haswell kernel, float32 ones of the digits MLP (64x64 @ 64x256).  So a small product
now gives the bits of one thread on every machine, whatever its core count; a course product
equals plain ``np.matmul`` run on the same count (``tests/test_blas_threads.py``).

Measured on a 2-core build machine (Intel Xeon, NumPy 2.4 with OpenBLAS 0.3.31, float32,
mean time per product, 1 vs 2 BLAS threads; "busy": one ``while True: pass`` process beside):

    M x K x N          M*N*K    quiet 1 / 2 threads    busy 1 / 2 threads
    64 x 64 x 256        1M       20 /  26 us            20 /  63 us
    64 x 128 x 256       2M       36 /  33 us            37 /  79 us
    64 x 256 x 256       4M       70 /  54 us            72 / 163 us
    128 x 256 x 256      8M      130 /  89 us           130 / 263-468 us
    256 x 256 x 256     16M      260 / 152 us           241 / 493-598 us
    512 x 512 x 512    128M     1900 / 1066 us         1870-2350 / 1660-5820 us

A second thread starts to pay at about 2M in a loop of products, so ``THRESHOLD`` is 4M, where
it saves 20%.  With a busy core two threads lose 2-3x up to 128M; products above ``THRESHOLD``
keep the user's count all the same, as there is no cheap, reliable sign of a busy machine.  One epoch
of the digits MLP (64->256->10, 23 batches of 64, SGD with momentum,
``benchmarks/bench_training_step.py``): 11.0 ms quiet and 21.9 ms beside a busy core with
BLAS's default threads (48 ms in another run; 1028 ms in the issue), 12.8 and 12.7 ms now.
Quiet, the old default was 1.7 ms faster here: in a training loop the second thread, still
spinning from the last product, takes the next one at once.  Cost per call: about 2.4 us when
it acts (a get and two sets through threadpoolctl), 1.2 us for a large product, 0.2 us on
other arrays.
"""
from __future__ import annotations

import contextlib
import threading
import time

import numpy as np

__all__ = ["THRESHOLD", "for_matmul", "spinning"]

THRESHOLD = 4 * 2**20  # M*N*K of one product: below it, one BLAS thread (measured, above)
SPIN_SECONDS = 0.1  # how long an idle OpenBLAS worker spins before it sleeps (measured, above)

_MAIN = threading.main_thread().ident
_NOTHING = contextlib.nullcontext()
_blas = None  # threadpoolctl's controllers of the loaded BLAS libraries, found on first use
_wide_at = -1.0  # time.monotonic() of the last product that may have run on several threads


def _controllers():
    global _blas
    if _blas is None:
        try:  # once: ThreadpoolController() inspects the loaded libraries (about 0.7 ms)
            import threadpoolctl
            _blas = tuple(threadpoolctl.ThreadpoolController().select(user_api="blas").lib_controllers)
        except Exception:  # no threadpoolctl, or a library it cannot read: leave BLAS alone
            _blas = ()
    return _blas


class _OneThread:
    """BLAS on one thread inside; each library's previous count restored after."""

    __slots__ = ("saved",)

    def __enter__(self):
        self.saved = []
        for lib in _blas:
            n = lib.get_num_threads()  # read each time: a user's limits may have changed it
            if n is not None and n > 1:
                lib.set_num_threads(1)
                self.saved.append((lib, n))

    def __exit__(self, *exc):
        for lib, n in self.saved:
            lib.set_num_threads(n)


def for_matmul(a, b):
    """Context manager for ``a @ b``: one BLAS thread inside when one product is small.

    >>> import numpy as np
    >>> a, b = np.ones((64, 64)), np.ones((64, 256))
    >>> with for_matmul(a, b):
    ...     c = a @ b
    >>> float(c[0, 0])
    64.0
    """
    global _wide_at
    if type(a) is not np.ndarray or type(b) is not np.ndarray or a.ndim == 0 or b.ndim == 0:
        return _NOTHING
    if threading.get_ident() != _MAIN or not _controllers():
        return _NOTHING
    mnk = (a.shape[-2] if a.ndim > 1 else 1) * a.shape[-1] * (b.shape[-1] if b.ndim > 1 else 1)
    if mnk < THRESHOLD:
        return _OneThread()
    for lib in _blas:
        if (lib.get_num_threads() or 1) > 1:
            _wide_at = time.monotonic()
    return _NOTHING


def spinning() -> bool:
    """True within ``SPIN_SECONDS`` of a product that ran on several BLAS threads.

    Its idle workers then still spin and hold a core each, so more threads of ours would
    only take turns with them: after a 2-thread product, a 2-thread SGD step on 4M float32
    took 8.0 ms, against 5.4 ms on one thread and 5.3 ms on two with no spinning workers.
    """
    return time.monotonic() - _wide_at < SPIN_SECONDS
