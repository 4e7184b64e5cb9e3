r"""Checks for the exercises of notebook 02 (SGD and mini-batches): a mini-batch gradient, and
the batches of a shuffled ``DataLoader``.

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
"""
from __future__ import annotations

import numpy as np

from ...data import DataLoader, TensorDataset
from ...nn import MSELoss
from ...tensor import Parameter, Tensor
from ._checking import _arr, _BadReturn, _call, _run_checks, checker

__all__ = ["check_minibatch_gradient", "check_epoch_batches"]


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
