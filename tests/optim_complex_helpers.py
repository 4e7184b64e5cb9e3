"""The complex-parameter problem, shared by tests/test_optim_surface.py and
tests/golden/make_optim_complex_golden.py.

Three complex parameters (one 0-d); grads ``0.5 * p + 0.3 * noise_t`` with complex noise; a
few configs per optimizer from tests/optim_helpers.py (the first, a middle and the last one).
The trajectory is kept every ``EVERY`` steps.
"""
from __future__ import annotations

import numpy as np

import optim_helpers as H

SHAPES = [(3, 2), (4,), ()]
STEPS = 100
EVERY = 10
SEED = 99
NAMES = list(H.CONFIGS)  # the 11 optimizers of torch with elementwise rules


def configs(name):
    cs = H.CONFIGS[name]
    return [cs[0], cs[len(cs) // 2], cs[-1]]


def initial(dtype=np.complex128):
    rng = np.random.default_rng(SEED)
    return [np.asarray(rng.standard_normal(s) + 1j * rng.standard_normal(s)).astype(dtype) for s in SHAPES]


def noise(dtype=np.complex128):
    rng = np.random.default_rng(SEED + 1)
    return [[np.asarray(0.3 * (rng.standard_normal(s) + 1j * rng.standard_normal(s))).astype(dtype) for s in SHAPES]
            for _ in range(STEPS)]


def run(make_param, make_opt, to_numpy, asarray, kwargs, dtype=np.complex128, steps=STEPS):
    """The kept trajectory, shape (steps // EVERY, total size), complex."""
    params = [make_param(asarray(a)) for a in initial(dtype)]
    opt = make_opt(params, kwargs)
    noises = noise(dtype)
    out = []
    for t in range(steps):
        for k, p in enumerate(params):
            p.grad = asarray(np.asarray(0.5 * to_numpy(p) + noises[t][k]))
        opt.step()
        if (t + 1) % EVERY == 0:
            out.append(np.concatenate([np.ravel(to_numpy(p)) for p in params]))
    return np.array(out)
