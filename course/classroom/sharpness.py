r"""Sharpness: the top eigenvalue of the loss's Hessian, and the edge of stability (notebook 13).

``course``'s autograd gives first derivatives only, so a Hessian-vector product is a central
finite difference of two gradients,

.. math::
    H v \approx \frac{\nabla L(\theta + \epsilon u) - \nabla L(\theta - \epsilon u)}{2\epsilon}\,\|v\|,
    \qquad u = v / \|v\| ,

exact for a quadratic and accurate to :math:`O(\epsilon^2)` for a smooth loss (use float64
and a smooth network: tanh, not ReLU, whose kinks the difference would straddle).  Power
iteration on :math:`v \mapsto Hv` then finds the eigenvalue of largest magnitude, which for
a loss near a minimum is the top one, the **sharpness** :math:`\lambda_{\max}`.

Gradient descent on a quadratic is stable iff :math:`\gamma\lambda_{\max} < 2`.  On a neural
network, full-batch gradient descent raises :math:`\lambda_{\max}` during training (progressive
sharpening) until it reaches :math:`2/\gamma`, and then hovers there while the loss keeps
going down, not monotonically: the edge of stability (Cohen, Kaur, Li, Kolter and Talwalkar,
"Gradient Descent on Neural Networks Typically Occurs at the Edge of Stability", ICLR 2021).

>>> import numpy as np
>>> from course import nn
>>> X = np.eye(3) * np.array([[1.0], [2.0], [3.0]]); Y = np.zeros((3, 1))
>>> model = nn.Linear(3, 1, bias=False, seed=0, dtype="float64")
>>> round(top_eigenvalue(model, nn.MSELoss(), X, Y, iters=100).value, 6)   # 2/3 * 3**2
6.0
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import nn, optim

__all__ = ["flat_parameters", "set_flat_parameters", "flat_gradient", "hessian_vector_product",
           "top_eigenvalue", "dense_hessian", "TopEigen", "eos_mlp", "EdgeRun", "edge_of_stability_run"]


def flat_parameters(model) -> np.ndarray:
    """All parameters of ``model`` as one float64 vector (a copy)."""
    return np.concatenate([np.asarray(p.data, dtype=np.float64).ravel() for p in model.parameters()])


def set_flat_parameters(model, theta) -> None:
    """Write the vector ``theta`` back into ``model``'s parameters, in place."""
    params = list(model.parameters())
    total = sum(p.data.size for p in params)
    if total != len(theta):  # checked first: a failed call changes nothing
        raise ValueError(f"theta has {len(theta)} entries, the model {total}")
    start = 0
    for p in params:
        n = p.data.size
        p.data[...] = np.reshape(theta[start:start + n], p.data.shape)
        start += n


def flat_gradient(model, loss_fn, X, Y):
    """``(gradient of loss_fn(model(X), Y) as one vector, the loss)``, by autograd."""
    model.zero_grad()
    loss = loss_fn(model(X), Y)
    loss.backward()
    return np.concatenate([np.asarray(p.grad, dtype=np.float64).ravel() for p in model.parameters()]), loss.item()


def hessian_vector_product(model, loss_fn, X, Y, v, eps: float = 1e-4) -> np.ndarray:
    """:math:`Hv` by a central difference of two gradients, a step ``eps`` along ``v / |v|``.
    The parameters are put back exactly as they were."""
    theta = flat_parameters(model)
    norm = float(np.linalg.norm(v))
    if norm == 0:
        return np.zeros_like(theta)
    u = v / norm
    try:
        set_flat_parameters(model, theta + eps * u)
        plus, _ = flat_gradient(model, loss_fn, X, Y)
        set_flat_parameters(model, theta - eps * u)
        minus, _ = flat_gradient(model, loss_fn, X, Y)
    finally:
        set_flat_parameters(model, theta)
    return (plus - minus) / (2 * eps) * norm


class TopEigen(NamedTuple):
    value: float  # the Rayleigh quotient v.Hv / v.v at the last iterate
    vector: np.ndarray  # unit vector
    residual: float  # |Hv - value v| / |value|: small once converged


def top_eigenvalue(model, loss_fn, X, Y, iters: int = 20, v0=None, seed: int = 0, eps: float = 1e-4) -> TopEigen:
    """Power iteration on the finite-difference Hessian: the eigenvalue of largest magnitude.

    ``v0`` (e.g. the previous call's vector) warm-starts it, so that a few iterations suffice
    when the Hessian changed little."""
    v = np.random.default_rng(seed).normal(size=flat_parameters(model).size) if v0 is None else np.array(v0, float)
    v = v / np.linalg.norm(v)
    value, hv = 0.0, hessian_vector_product(model, loss_fn, X, Y, v, eps)
    for _ in range(iters):
        value = float(v @ hv)
        v = hv / np.linalg.norm(hv)
        hv = hessian_vector_product(model, loss_fn, X, Y, v, eps)
    value = float(v @ hv)
    return TopEigen(value, v, float(np.linalg.norm(hv - value * v) / abs(value)))


def dense_hessian(model, loss_fn, X, Y, eps: float = 1e-4) -> np.ndarray:
    """The whole Hessian, one finite-difference column per parameter, symmetrized (tiny models only)."""
    d = flat_parameters(model).size
    H = np.stack([hessian_vector_product(model, loss_fn, X, Y, e, eps) for e in np.eye(d)], axis=1)
    return (H + H.T) / 2


# ------------------------------------------------------------------ the edge of stability
def eos_mlp(hidden: int = 32, seed: int = 0, out_scale: float = 0.3):
    """``Linear(64, hidden) -> Tanh -> Linear(hidden, 10)`` in float64, the output layer scaled by
    ``out_scale`` so that training starts flat (low sharpness) and sharpens."""
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(64, hidden, seed=rng, dtype="float64"), nn.Tanh(),
                          nn.Linear(hidden, 10, seed=rng, dtype="float64"))
    for p in model[2].parameters():
        p.data *= out_scale
    return model


class EdgeRun(NamedTuple):
    lr: float
    losses: np.ndarray  # the full-batch loss before every step
    steps: np.ndarray  # where the sharpness was measured
    sharpness: np.ndarray


def edge_of_stability_run(X, Y, lr: float, steps: int = 500, every: int = 20, *, hidden: int = 32,
                          seed: int = 0, iters: int = 20, warm_iters: int = 6) -> EdgeRun:
    """Full-batch gradient descent (``optim.SGD``) on ``MSELoss`` with :func:`eos_mlp`, measuring
    the sharpness every ``every`` steps (power iteration warm-started from the last vector)."""
    model, loss_fn = eos_mlp(hidden, seed), nn.MSELoss()
    opt = optim.SGD(model.parameters(), lr=lr)
    losses, at, sharp, v = [], [], [], None
    for step in range(steps):
        if step % every == 0:
            top = top_eigenvalue(model, loss_fn, X, Y, iters=iters if v is None else warm_iters, v0=v)
            v = top.vector
            at.append(step)
            sharp.append(top.value)
        opt.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        losses.append(loss.item())
        opt.step()
    return EdgeRun(lr, np.array(losses), np.array(at), np.array(sharp))
