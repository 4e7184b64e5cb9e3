r"""Checks for the exercises of notebook 02 (SGD and mini-batches): the noise ball's consequences
(the lr that keeps the ball when the batch grows, the expected excess loss after ``t`` steps), a
mini-batch gradient, and the batches of a shuffled ``DataLoader``.

Each ``check_*`` runs your function on a few seeded cases, compares what it returns with the
reference (``course``'s autograd, ``course.data.DataLoader``), prints a verdict and returns
True or False; a stub (raises ``NotImplementedError``, returns ``None`` or ``...``) gets
"not implemented yet".

Example:
    >>> import numpy as np
    >>> def minibatch_gradient(X, y, w, indices):
    ...     Xb, yb = X[indices], y[indices]
    ...     return 2 * Xb.T @ (Xb @ w - yb) / len(indices)
    >>> check_minibatch_gradient(minibatch_gradient)
    ✓ check_minibatch_gradient: all 3 cases match course autograd of MSELoss.
    True
    >>> def epoch_batches(n, batch_size, epochs, seed):
    ...     rng = np.random.default_rng(seed)
    ...     out = []
    ...     for _ in range(epochs):
    ...         order = rng.permutation(n)
    ...         out += [order[i:i + batch_size] for i in range(0, n, batch_size)]
    ...     return out
    >>> check_epoch_batches(epoch_batches)
    ✓ check_epoch_batches: all 3 cases match course.data.DataLoader(shuffle=True, seed=seed).
    True
    >>> def lr_for_batch(lr, batch_size, new_batch_size, eigenvalues):
    ...     return lr * new_batch_size / batch_size            # the linear rule: small lrs only
    >>> check_lr_for_batch(lr_for_batch)  # doctest: +ELLIPSIS
    ✗ check_lr_for_batch, case 1 (lr=0.05, batch 1 -> 4, eigenvalues [0.2, 1.0]): returned 0.2, expected 0.1911095203
        hint: that is the linear rule lr x new_batch / batch, ...
    False
"""
from __future__ import annotations

import math

import numpy as np

from ...data import DataLoader, TensorDataset
from ...nn import MSELoss
from ...tensor import Parameter, Tensor
from ... import optim
from ._checking import _arr, _BadReturn, _call, _precision_hint, _run_checks, _scalar, checker
from .practice import _run, _value

__all__ = ["check_minibatch_gradient", "check_epoch_batches", "check_lr_for_batch", "check_expected_excess"]

RTOL = 1e-9


def _close(a, b):
    return a is not None and np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-6, atol=1e-12)


def _autograd_gradient(X, y, w, idx):
    """d/dw of MSELoss()(X[idx] @ w, y[idx]), by course's autograd."""
    p = Parameter(w.copy())
    MSELoss()(Tensor(X[idx]) @ p, Tensor(y[idx])).backward()
    return p.grad


@checker
def check_minibatch_gradient(fn) -> bool:
    r"""Check ``fn(X, y, w, indices) -> grad``: the gradient with respect to ``w`` of the mean
    squared error of the linear model ``X @ w`` on the rows ``indices`` only,

    .. math::
        \nabla_w \frac{1}{B}\sum_{i \in \mathcal B} (x_i^T w - y_i)^2
        = \frac{2}{B} X_{\mathcal B}^T (X_{\mathcal B} w - y_{\mathcal B}),
        \qquad B = |\mathcal B|,

    with ``X`` of shape ``(N, d)``, ``y`` and ``w`` columns of shape ``(N, 1)`` and ``(d, 1)``,
    and ``indices`` an integer array.  Compared with ``course``'s autograd of
    ``nn.MSELoss()(X[indices] @ w, y[indices])``, three batches per case (the last one smaller).
    """
    rng = np.random.default_rng(21)
    cases = []
    for n, d, batch in ((12, 3, 5), (20, 1, 8), (9, 4, 2)):
        X, w = rng.normal(size=(n, d)), rng.normal(size=(d, 1))
        y = X @ rng.normal(size=(d, 1)) + 0.3 * rng.normal(size=(n, 1))
        order = rng.permutation(n)
        batches = [order[:batch], order[batch:2 * batch], order[2 * batch:]]  # the last one is what is left
        cases.append({"X": X, "y": y, "w": w, "batches": batches, "hyper": {"N": n, "d": d, "batch_size": batch}})

    def learner(case):
        for idx in case["batches"]:
            yield {"grad": _arr(_call(fn, case["X"].copy(), case["y"].copy(), case["w"].copy(), idx.copy()))}

    def reference(case):
        return [{"grad": _autograd_gradient(case["X"], case["y"], case["w"], idx)} for idx in case["batches"]]

    def diagnose(case, step, got):
        X, y, w, idx = case["X"], case["y"], case["w"], case["batches"][step - 1]
        want, g = _autograd_gradient(X, y, w, idx), got.get("grad")
        if _close(g, -want):
            return "the sign: the residual is X @ w - y (prediction minus target)."
        if _close(g, want * len(idx)):
            return "MSELoss takes the mean over the batch: divide by the batch size (len(indices))."
        if _close(g, want / 2):
            return "the square gives a factor 2: d/dw (x.w - y)^2 = 2 x (x.w - y)."
        if _close(g, _autograd_gradient(X, y, w, np.arange(len(X)))):
            return "that is the full-batch gradient: use only the rows X[indices], y[indices]."
        return None

    return _run_checks("check_minibatch_gradient", "course autograd of MSELoss", cases, learner, reference,
                       "grad = 2 / B * Xb.T @ (Xb @ w - yb) with Xb, yb = X[indices], y[indices], B = len(indices).",
                       diagnose)


def _loader_batches(n, batch_size, epochs, seed):
    loader = DataLoader(TensorDataset(np.arange(n)), batch_size=batch_size, shuffle=True, seed=seed)
    return [np.asarray(b[0]) for _ in range(epochs) for b in loader]


@checker
def check_epoch_batches(fn) -> bool:
    r"""Check ``fn(n, batch_size, epochs, seed) -> list of index arrays``: the batches of
    ``course.data.DataLoader(dataset, batch_size, shuffle=True, seed=seed)`` over ``epochs``
    epochs, as sample indices, all epochs in one list.

    The loader makes one generator, ``numpy.random.default_rng(seed)``, and draws a new
    ``permutation(n)`` at the start of every epoch; it cuts it into consecutive batches, the
    last one smaller when ``batch_size`` does not divide ``n``.
    """
    cases = [{"hyper": {"n": n, "batch_size": b, "epochs": e, "seed": s}}
             for n, b, e, s in ((10, 4, 2, 0), (12, 3, 3, 7), (7, 7, 2, 42))]
    for case in cases:  # before the learner's function runs: it cannot change these
        case["batches"] = _loader_batches(**case["hyper"])

    def learner(case):
        h = case["hyper"]
        out = _call(fn, h["n"], h["batch_size"], h["epochs"], h["seed"])
        if isinstance(out, np.ndarray) and out.ndim == 2:  # equal batches stacked: fine
            out = list(out)
        if not isinstance(out, (list, tuple)):
            raise _BadReturn(f"your function must return a list of index arrays, got {type(out).__name__}")
        expected = len(case["batches"])
        if len(out) != expected:
            raise _BadReturn(f"returned {len(out)} batches; {h['epochs']} epochs of n={h['n']} samples in batches "
                             f"of {h['batch_size']} make {expected} (the last batch of an epoch may be smaller)")
        for idx in out:
            yield {"indices": _arr(idx, integer=True)}

    def reference(case):
        return [{"indices": b} for b in case["batches"]]

    def diagnose(case, step, got):
        h = case["hyper"]
        per_epoch = -(-h["n"] // h["batch_size"])
        first = _loader_batches(h["n"], h["batch_size"], 1, h["seed"])
        k = (step - 1) % per_epoch
        idx = got.get("indices")
        if step > per_epoch and _close(idx, first[k]):
            return ("every epoch repeats the first one: make the generator once, before the loop over epochs, "
                    "and draw a new permutation from it each epoch.")
        if _close(idx, np.arange(h["n"])[k * h["batch_size"]:(k + 1) * h["batch_size"]]):
            return "these are the samples in order: shuffle with rng.permutation(n) at the start of each epoch."
        return None

    return _run_checks("check_epoch_batches", "course.data.DataLoader(shuffle=True, seed=seed)", cases, learner,
                       reference, "rng = np.random.default_rng(seed) once; each epoch: order = rng.permutation(n), "
                                  "then the batches order[i:i + batch_size] for i = 0, batch_size, ...", diagnose)


# ------------------------------------------------------------------ the noise ball's consequences
def _ball(lr, batch_size, eigenvalues, noise=1.0):
    """The expected excess loss in the ball, sum_h lr s^2 / (2 B (2 - lr h)) (infinite at lr >= 2/h)."""
    if any(lr * h >= 2 for h in eigenvalues):
        return math.inf
    return sum(lr * noise ** 2 / (2 * batch_size * (2 - lr * h)) for h in eigenvalues)


def _lr_for_ball(target, batch_size, eigenvalues):
    """The lr in (0, 2 / max h) whose ball at ``batch_size`` is ``target``, by bisection (the ball
    grows with the lr, from 0 to infinity)."""
    lo, hi = 0.0, 2 / max(eigenvalues)
    for _ in range(200):
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if _ball(mid, batch_size, eigenvalues) < target else (lo, mid)
    return (lo + hi) / 2


def _same_number(a, b):
    return math.isclose(a, b, rel_tol=RTOL, abs_tol=1e-15)


@checker
def check_lr_for_batch(lr_for_batch) -> bool:
    r"""``lr_for_batch(lr, batch_size, new_batch_size, eigenvalues) -> float``: the lr at which
    SGD with batches of ``new_batch_size`` has the same expected excess loss in its noise ball as
    SGD at ``lr`` with batches of ``batch_size``, on a quadratic with Hessian eigenvalues
    ``eigenvalues`` and independent gradient noise of variance :math:`s^2/B` per coordinate (the
    notebook's model). By the exact formula

    .. math::
        \mathbb E[f - f^*] = \sum_h \frac{\gamma s^2}{2B(2 - \gamma h)},

    the answer :math:`\gamma'` solves :math:`\sum_h \gamma'/(2 - \gamma' h) = \frac{B'}{B}\sum_h \gamma/(2 - \gamma h)`
    with :math:`0 < \gamma' < 2/\max h` (it does not depend on :math:`s`).
    """
    specs = [(0.05, 1, 4, [0.2, 1.0]), (0.2, 8, 64, [1.0, 2.0]), (0.3, 32, 8, [0.5]),
             (0.01, 2, 200, [0.1, 0.5, 3.0]), (0.4, 16, 48, [0.2, 1.0, 1.5]), (0.002, 3, 6, [4.0, 40.0])]
    cases = [{"desc": f"lr={lr}, batch {b} -> {nb}, eigenvalues {hs}", "args": (lr, b, nb, hs)}
             for lr, b, nb, hs in specs]

    def expect(case):
        lr, b, nb, hs = case["args"]
        return _lr_for_ball(_ball(lr, b, hs), nb, hs)     # the same ball at the new batch size

    def check(case, expected):
        lr, b, nb, hs = case["args"]
        got = _scalar(_value(lr_for_batch, lr, b, nb, np.array(hs, dtype=float)), "a number (the new lr)")
        if _same_number(got, expected):
            return None
        limit = 2 / max(hs)
        if not math.isfinite(got):
            hint = "the answer is a finite lr between 0 and 2 / max(eigenvalues)."
        elif _same_number(got, lr * nb / b):
            hint = ("that is the linear rule lr x new_batch / batch, the small-lr limit of the formula: it drops "
                    "the (2 - lr h) factors. Solve sum_h g / (2 - g h) = (new_batch / batch) sum_h lr / (2 - lr h) "
                    "for g (by bisection on (0, 2 / max h): the left side grows with g).")
        elif got >= limit:
            hint = f"beyond 2 / max(eigenvalues) = {limit:.6g} SGD diverges: the lr must stay below it."
        elif _same_number(got, lr * b / nb) or (nb > b) != (got > lr):
            hint = "less noise (a larger batch) affords a larger lr, more noise a smaller one."
        elif len(hs) > 1 and any(_same_number(got, _lr_for_ball(_ball(lr, b, [h]), nb, [h])) for h in hs):
            hint = "every eigen-direction adds its share to the ball: sum over all the eigenvalues."
        else:
            hint = _precision_hint(expected, got) or (
                "keep sum_h lr / (B (2 - lr h)) the same: sum_h g / (2 - g h) = (new_batch / batch) x "
                "sum_h lr / (2 - lr h), solved for g in (0, 2 / max h).")
        return f"returned {got:.10g}, expected {expected:.10g}", hint

    return _run("check_lr_for_batch", "the noise-ball formula, solved by bisection", cases, check, expect=expect)


def _expected_excess_reference(lr, batch_size, noise, eigenvalues, start, steps):
    """E[f(theta_t)] - f* for SGD with g = H theta + xi, xi ~ N(0, noise^2 / B): the mean follows
    ``course.optim.SGD`` on the noiseless quadratic, the variance its own recursion; then
    E[f] - f* = sum_h h (mean_h^2 + var_h) / 2."""
    h = np.asarray(eigenvalues, dtype=float)
    p = Parameter(np.asarray(start, dtype=float).copy())
    opt = optim.SGD([p], lr=lr)
    var = np.zeros_like(h)
    for _ in range(steps):
        p.grad = h * np.asarray(p.data)
        opt.step()
        var = (1 - lr * h) ** 2 * var + lr ** 2 * noise ** 2 / batch_size
    return float(np.sum(h * (np.asarray(p.data) ** 2 + var)) / 2)


@checker
def check_expected_excess(expected_excess) -> bool:
    r"""``expected_excess(lr, batch_size, noise, eigenvalues, start, steps) -> float``: the expected
    excess loss :math:`\mathbb E[f(\theta_t)] - f^*` after ``steps`` steps of SGD at ``lr`` on the
    quadratic :math:`f = \sum_h \tfrac12 h z_h^2` (eigenvalues ``eigenvalues``, start ``start``
    in the same eigen-coordinates), each gradient :math:`h z_h + \xi` with independent
    :math:`\xi \sim \mathcal N(0, s^2/B)`, :math:`s` = ``noise``, :math:`B` = ``batch_size``.

    Reference: the mean of every coordinate follows ``course.optim.SGD`` on the noiseless
    quadratic, the variance the recursion :math:`V_{t+1} = (1-\gamma h)^2 V_t + \gamma^2 s^2/B`.
    """
    specs = [(0.5, 1, 1.0, [0.2, 1.0], [2.0, 1.0], 10), (0.1, 16, 2.0, [1.0, 5.0], [-1.0, 0.5], 30),
             (0.02, 4, 0.5, [0.5], [3.0], 200), (1.5, 8, 1.0, [0.1, 1.0, 1.2], [1.0, -2.0, 0.3], 7),
             (0.3, 2, 3.0, [2.0, 0.4], [0.0, 0.0], 15), (0.05, 32, 1.5, [3.0, 0.7], [0.4, 1.2], 0)]
    cases = [{"desc": f"lr={lr}, batch {b}, noise {s}, eigenvalues {hs}, start {z0}, {t} steps",
              "args": (lr, b, s, hs, z0, t)} for lr, b, s, hs, z0, t in specs]

    def expect(case):
        return _expected_excess_reference(*case["args"])

    def check(case, expected):
        lr, b, s, hs, z0, t = case["args"]
        got = _scalar(_value(expected_excess, lr, b, s, np.array(hs, dtype=float), np.array(z0, dtype=float), t),
                      "a number (the expected excess loss)")
        if _same_number(got, expected):
            return None
        h, z = np.array(hs), np.array(z0)
        rho2 = (1 - lr * h) ** 2
        ball = lr * s ** 2 / (b * h * (2 - lr * h))                  # V_h, where the variance settles
        mean_part = float(np.sum(h * rho2 ** t * z ** 2) / 2)
        var_part = float(np.sum(h * ball * (1 - rho2 ** t)) / 2)
        if _same_number(got, float(np.sum(h * ball) / 2)) and t < 10 ** 6:
            hint = ("that is the ball the run settles in after many steps; after t steps the start has not been "
                    "forgotten yet and the variance has not built up: both carry a factor (1 - lr h)**(2 t).")
        elif _same_number(got, mean_part) and s > 0:
            hint = "the noise adds a variance to every coordinate: E[z^2] = (E z)^2 + Var z."
        elif _same_number(got, float(np.sum(h * (1 - lr * h) ** t * z ** 2) / 2)
                          + float(np.sum(h * ball * (1 - (1 - lr * h) ** t)) / 2)):
            hint = "the mean shrinks by (1 - lr h) per step, its square (and the variance) by (1 - lr h)**2."
        elif _same_number(got, 2 * expected):
            hint = "f = sum_h h z_h^2 / 2: keep the factor 1/2."
        elif _same_number(got, mean_part + float(np.sum(h * ball)) / 2) and t > 0:
            hint = "the variance starts at 0 (a fixed start) and builds up: V_h (1 - (1 - lr h)**(2 t))."
        elif _same_number(got, mean_part + b * var_part) or _same_number(got, mean_part + math.sqrt(b) * var_part):
            hint = "a batch of B averages B independent samples: the noise variance is noise**2 / B."
        else:
            hint = _precision_hint(expected, got) or (
                "per direction: E z_t = (1 - lr h)**t z_0, Var z_t = V_h (1 - (1 - lr h)**(2 t)) with "
                "V_h = lr s^2 / (B h (2 - lr h)); then E f - f* = sum_h h (E z_t^2 + Var z_t) / 2.")
        return f"returned {got:.10g}, expected {expected:.10g}", hint

    return _run("check_expected_excess", "course.optim.SGD's mean and the variance recursion", cases, check,
                expect=expect)
