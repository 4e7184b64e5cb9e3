"""The optimizer test problem, shared by tests/test_optim*.py and tests/golden/make_optim_golden.py.

Two parameter groups; group 1 runs at half the lr.  Grads are ``0.5 * p + 0.3 * noise_t``
(the same float operations in torch and NumPy), and some are None at some steps: p0 once
(step 50), p2 at steps 0, 1 and every 7th, p3 every 11th.  Group 0 is otherwise complete,
so the flat multi-tensor path of course.optim runs too.
"""
from __future__ import annotations

import itertools

import numpy as np

SHAPES = [[(2, 3), (4,)], [(3,), (2, 2)]]
STEPS = 110
SEED = 1234


def _sizes():
    return [int(np.prod(s)) for g in SHAPES for s in g]


def initial(dtype):
    rng = np.random.default_rng(SEED)
    return [rng.standard_normal(s).astype(dtype) for g in SHAPES for s in g]


def noise(dtype):
    rng = np.random.default_rng(SEED + 1)
    return [[(0.3 * rng.standard_normal(s)).astype(dtype) for g in SHAPES for s in g] for _ in range(STEPS)]


def grad_is_none(step: int, k: int) -> bool:
    return (k == 0 and step == 50) or (k == 2 and (step < 2 or step % 7 == 3)) or (k == 3 and step % 11 == 5)


def grid(**choices):
    """Every combination of the given keyword choices, as a list of dicts."""
    keys = list(choices)
    return [dict(zip(keys, values)) for values in itertools.product(*(choices[k] for k in keys))]


# optimizer name -> list of keyword dicts (every flag combination that torch accepts)
CONFIGS = {
    "SGD": [c for c in grid(lr=[0.05], momentum=[0.0, 0.9], dampening=[0.0, 0.3], nesterov=[False, True],
                            weight_decay=[0.0, 0.1], maximize=[False, True])
            if not (c["nesterov"] and (c["momentum"] == 0 or c["dampening"] != 0))],
    "Adam": grid(lr=[0.01], amsgrad=[False, True], weight_decay=[0.0, 0.1], maximize=[False, True],
                 decoupled_weight_decay=[False, True]) + [dict(lr=0.02, betas=(0.5, 0.9), eps=1e-3)],
    "AdamW": grid(lr=[0.01], amsgrad=[False, True], weight_decay=[0.0, 0.1], maximize=[False, True]) + [dict(lr=0.01)],
    "RMSprop": grid(lr=[0.01], momentum=[0.0, 0.9], centered=[False, True], weight_decay=[0.0, 0.1],
                    maximize=[False, True]) + [dict(lr=0.01, alpha=0.9, eps=1e-4)],
    "Adagrad": grid(lr=[0.1], lr_decay=[0.0, 0.01], weight_decay=[0.0, 0.1], initial_accumulator_value=[0.0, 0.5],
                    maximize=[False, True]),
    "Adadelta": grid(lr=[1.0], rho=[0.9, 0.5], weight_decay=[0.0, 0.1], maximize=[False, True], eps=[1e-6, 1e-3]),
    "Adamax": grid(lr=[0.01], weight_decay=[0.0, 0.1], maximize=[False, True]) + [dict(lr=0.02, betas=(0.5, 0.9), eps=1e-3)],
    "NAdam": grid(lr=[0.01], weight_decay=[0.0, 0.1], decoupled_weight_decay=[False, True], maximize=[False, True],
                  momentum_decay=[4e-3, 0.05]),
    "RAdam": grid(lr=[0.01], weight_decay=[0.0, 0.1], decoupled_weight_decay=[False, True], maximize=[False, True])
    + [dict(lr=0.01, betas=(0.8, 0.9), eps=1e-4)],
    "ASGD": grid(lr=[0.05], lambd=[1e-4, 0.1], t0=[1e6, 20.0], weight_decay=[0.0, 0.1], maximize=[False, True])
    + [dict(lr=0.05, alpha=0.5, t0=0.0)],
    "Rprop": grid(lr=[0.01], etas=[(0.5, 1.2), (0.3, 1.5)], step_sizes=[(1e-6, 50), (1e-3, 0.05)], maximize=[False, True]),
}


def groups_of(params, kwargs):
    """The two parameter groups; group 1 overrides lr (half of it)."""
    lr = kwargs.get("lr", 1e-3)
    return [{"params": params[:2]}, {"params": params[2:], "lr": lr * 0.5}]


def run(make_param, make_opt, set_grad, to_numpy, asarray, kwargs, dtype, steps=STEPS):
    """Run the problem in any framework; returns the trajectory, shape (steps, total size)."""
    params = [make_param(asarray(a)) for a in initial(dtype)]
    opt = make_opt(groups_of(params, kwargs), kwargs)
    noises = noise(dtype)
    out = np.empty((steps, sum(_sizes())), dtype=dtype)
    for t in range(steps):
        for k, p in enumerate(params):
            if grad_is_none(t, k):
                set_grad(p, None)
            else:
                set_grad(p, 0.5 * p.data + asarray(noises[t][k]))
        opt.step()
        out[t] = np.concatenate([to_numpy(p.data).reshape(-1) for p in params])
    return out


def run_course(name, kwargs, dtype, xp=np, steps=STEPS, chunk_bytes=None, spy=None):
    """The problem on course.optim with arrays of namespace ``xp``.

    ``chunk_bytes`` overrides the optimizer's chunk size (to force the chunked NumPy path on
    these small arrays); ``spy(size)`` is then called with the size of every rule call.
    """
    import course
    from course import optim

    def set_grad(p, g):
        p.grad = g

    def make_opt(groups, kw):
        opt = getattr(optim, name)(groups, **kw)
        if chunk_bytes is not None:
            opt.chunk_bytes = chunk_bytes
        if spy is not None:
            rule = opt._update

            def spied(param, *rest):
                spy(param.size)
                rule(param, *rest)

            opt._update = spied
        return opt

    return run(course.Parameter, make_opt, set_grad,
               lambda a: np.asarray(course.backend.to_numpy(a)), lambda a: xp.asarray(a), kwargs, dtype, steps)


# ------------------------------------------------------- comparison with the golden data
def load_golden(golden, name):
    """``(data, configs)`` of tests/golden/data/optim_<name>.npz (tuples as in CONFIGS)."""
    import json

    data = np.load(golden / f"optim_{name}.npz")
    configs = [{k: tuple(v) if isinstance(v, list) else v for k, v in c.items()} for c in json.loads(str(data["configs"]))]
    return data, configs


def relative_error(got, ref, shapes):
    """Largest over steps and parameters of max|got - ref| / max|ref|; inf unless ``got`` is
    finite wherever ``ref`` is (a NaN must never score 0, as ``max(0.0, nan)`` does)."""
    if not np.array_equal(np.isfinite(got), np.isfinite(ref)):
        return float("inf")
    errors, start = [], 0
    for shape in shapes:
        n = int(np.prod(shape))
        a, b = got[:, start:start + n], ref[:, start:start + n]
        start += n
        errors.append(np.max(np.abs(a - b), axis=1) / np.max(np.abs(b), axis=1))
    err = float(np.max(np.concatenate(errors)))  # np.max propagates NaN
    return float("inf") if err != err else err


# float64: 1e-9.  float32: relative to each parameter's size at each step, max over every config,
# on numpy and array_api_strict, measured on an AVX-512 Xeon and again with NumPy's SIMD
# limited to SSE4/AVX (NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
# OPENBLAS_CORETYPE=Sandybridge), same numbers; eps = 2**-23 = 1.19e-7.  Each bound is about
# 20x the measured max (at least 1e-6, ~8 eps), for other CPUs' last bits of exp and sqrt.
GOLDEN_TOL_F32 = {
    "SGD": 5e-5,       # measured 2.62e-6 (22 eps)
    "Adam": 5e-6,      # measured 2.65e-7 (2.2 eps)
    "AdamW": 5e-6,     # measured 2.65e-7 (2.2 eps)
    "RMSprop": 3e-5,   # measured 1.56e-6 (13 eps)
    "Adagrad": 4e-6,   # measured 2.03e-7 (1.7 eps)
    "Adadelta": 4e-5,  # measured 1.88e-6 (16 eps)
    "Adamax": 2e-6,    # measured 5.9e-8 (8.9e-8 before torch's lerp rounding was matched)
    "NAdam": 5e-6,     # measured 2.34e-7 (2.0 eps)
    "RAdam": 2e-6,     # measured 7.95e-8 (0.7 eps)
    "ASGD": 1e-5,      # measured 5.08e-7 (4.3 eps)
    "Rprop": 1e-6,     # measured 0: products by the etas and signs only
}


def golden_tol(name, dtype):
    return 1e-9 if np.dtype(dtype) == np.float64 else GOLDEN_TOL_F32[name]


# ---------------------------------------------------------------- L-BFGS problem
LBFGS_CONFIGS = [dict(lr=1.0, line_search_fn=None, max_iter=5), dict(lr=0.5, line_search_fn=None, history_size=3, max_iter=4),
                 dict(lr=1.0, line_search_fn="strong_wolfe"), dict(lr=1.0, line_search_fn="strong_wolfe", history_size=4, max_iter=7)]
LBFGS_STEPS = 6


def lbfgs_loss(params, dtype):
    """float64: a Rosenbrock-like valley, sum (1 - x)^2 + 10 (y - x^2)^2.

    float32: a well-conditioned bowl with a quartic term; in a narrow valley the line
    search's float32 decisions (made on last-bit differences of sums) would decide the path.
    """
    x, y = params
    if dtype == "float64":
        return ((1.0 - x) ** 2 + 10.0 * (y - x * x) ** 2).sum()
    return ((1.0 - x) ** 2 + 2.0 * (y - 0.5 * x) ** 2 + 0.1 * x * x * x * x).sum()


def lbfgs_initial(dtype):
    rng = np.random.default_rng(SEED + 2)
    return [rng.uniform(-1.5, 1.5, 5).astype(dtype), rng.uniform(-1.0, 2.0, 5).astype(dtype)]
