r"""Convergence rates on a quadratic, from the eigenvalues: the theory behind notebooks 01 and 03.

On :math:`f(\theta) = \tfrac12 \theta^T A \theta`, every method below is linear, so it
decouples along the eigenvectors of :math:`A`.  Along one with eigenvalue :math:`h`:

*Gradient descent* multiplies the error by :math:`1 - \gamma h` per step, so the rate
is :math:`\max_h |1 - \gamma h|`: stable iff :math:`\gamma < 2 / L`, best at
:math:`\gamma = 2 / (L + \mu)`, with rate :math:`(\kappa - 1) / (\kappa + 1)`.

*Heavy-ball momentum in torch's convention* (``course.optim.SGD(momentum=beta)``):

.. math::
    v_{t+1} = \beta v_t + h\,\theta_t, \qquad \theta_{t+1} = \theta_t - \gamma v_{t+1}
    \quad\Longleftrightarrow\quad
    \begin{pmatrix}\theta_{t+1}\\ v_{t+1}\end{pmatrix} =
    \underbrace{\begin{pmatrix} 1 - \gamma h & -\gamma\beta \\ h & \beta \end{pmatrix}}_{M_h}
    \begin{pmatrix}\theta_t\\ v_t\end{pmatrix}

(the first step, ``buf = grad``, is the same as starting from :math:`v_0 = 0`).  It is
Polyak's heavy ball :math:`\theta_{t+1} = \theta_t - \gamma\nabla f + \beta(\theta_t -
\theta_{t-1})` with step :math:`\gamma`.  The rate is the spectral radius
:math:`\max_h \rho(M_h)`; the eigenvalues of :math:`M_h` solve
:math:`\lambda^2 - (1 + \beta - \gamma h)\lambda + \beta = 0`.  The best pair is

.. math::
    \gamma^* = \Big(\frac{2}{\sqrt L + \sqrt\mu}\Big)^2, \qquad
    \beta^* = \Big(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\Big)^2, \qquad
    \text{rate} = \sqrt{\beta^*} = \frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}.

*Nesterov momentum in torch's convention* (``SGD(momentum=beta, nesterov=True)``): along
:math:`h` the error obeys :math:`\lambda^2 - (1 + \beta)(1 - \gamma h)\lambda + \beta(1 - \gamma h) = 0`.
Its best constant pair on :math:`[\mu, L]` is :math:`\gamma = 4/(3L + \mu)`,
:math:`\beta = (\sqrt{3\kappa+1} - 2)/(\sqrt{3\kappa+1} + 2)`, rate :math:`1 - 2/\sqrt{3\kappa + 1}`
(Lessard, Recht and Packard 2016).  No method whose iterates stay in the span of the past
gradients beats :math:`(\sqrt\kappa - 1)/(\sqrt\kappa + 1)` on the worst quadratic of a large enough
dimension (Nesterov 1983, 2004): :func:`lower_bound_rate`.

Polyak, "Some methods of speeding up the convergence of iteration methods" (1964);
Goh, "Why Momentum Really Works", Distill (2017).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

__all__ = ["gd_rate", "optimal_gd", "momentum_rate", "optimal_momentum", "MomentumOptimum",
           "measured_rate", "nesterov_rate", "optimal_nesterov", "lower_bound_rate"]


def _eigs(eigenvalues):
    h = np.asarray(eigenvalues, dtype=float).reshape(-1)
    if h.size == 0 or not np.all(np.isfinite(h)) or np.any(h < 0):
        raise ValueError(f"Invalid eigenvalues: {eigenvalues} (need finite values >= 0)")
    return h


def gd_rate(lr, eigenvalues):
    r"""Rate :math:`\max_h |1 - \gamma h|` of gradient descent (< 1: converges).

    ``lr`` may be an array (the result broadcasts over it).

    Example:
        >>> gd_rate(1.0, [1.0, 0.1]), gd_rate(2.5, [1.0, 0.1])
        (0.9, 1.5)
    """
    h = _eigs(eigenvalues)
    lr = np.asarray(lr, dtype=float)
    out = np.max(np.abs(1.0 - lr[..., None] * h), axis=-1)
    return float(out) if out.ndim == 0 else out


def optimal_gd(L: float, mu: float):
    r"""``(lr, rate)`` of the best constant-lr gradient descent: :math:`2/(L+\mu)`, :math:`(\kappa-1)/(\kappa+1)`.

    Example:
        >>> [round(v, 6) for v in optimal_gd(1.0, 0.1)]
        [1.818182, 0.818182]
    """
    L, mu = _check_L_mu(L, mu)
    return 2.0 / (L + mu), (L - mu) / (L + mu)


def momentum_rate(lr, momentum, eigenvalues):
    r"""Rate of torch-style heavy-ball momentum: :math:`\max_h \rho(M_h)` (< 1: converges).

    ``lr`` and ``momentum`` broadcast, so ``momentum_rate(lrs[None, :], betas[:, None], h)``
    is the (momentum x lr) heatmap.

    Example:
        >>> round(momentum_rate(1.0, 0.0, [1.0, 0.1]), 12)     # no momentum: GD's rate
        0.9
        >>> opt = optimal_momentum(1.0, 0.01)
        >>> round(momentum_rate(opt.lr, opt.momentum, [1.0, 0.01]), 6), round(opt.rate, 6)
        (0.818182, 0.818182)
    """
    h = _eigs(eigenvalues)
    lr = np.asarray(lr, dtype=float)[..., None]
    beta = np.asarray(momentum, dtype=float)[..., None]
    trace = 1.0 + beta - lr * h
    disc = np.sqrt((trace * trace - 4.0 * beta).astype(complex))
    rho = np.maximum(np.abs(trace + disc), np.abs(trace - disc)) / 2.0
    out = np.max(rho, axis=-1)
    return float(out) if out.ndim == 0 else out


class MomentumOptimum(NamedTuple):
    lr: float
    momentum: float
    rate: float


def optimal_momentum(L: float, mu: float) -> MomentumOptimum:
    r"""The best ``(lr, momentum)`` of torch-style heavy ball on a quadratic, and its rate.

    Example:
        >>> opt = optimal_momentum(1.0, 0.01)            # kappa = 100
        >>> round(opt.lr, 6), round(opt.momentum, 6), round(opt.rate, 6)
        (3.305785, 0.669421, 0.818182)
    """
    L, mu = _check_L_mu(L, mu)
    sL, smu = math.sqrt(L), math.sqrt(mu)
    rate = (sL - smu) / (sL + smu)  # (sqrt(kappa) - 1) / (sqrt(kappa) + 1)
    return MomentumOptimum(lr=(2.0 / (sL + smu)) ** 2, momentum=rate * rate, rate=rate)


def nesterov_rate(lr, momentum, eigenvalues):
    r"""Rate of torch-style Nesterov momentum: the largest root in size of
    :math:`\lambda^2 - (1 + \beta)(1 - \gamma h)\lambda + \beta(1 - \gamma h)`, over the eigenvalues.

    ``lr`` and ``momentum`` broadcast, as in :func:`momentum_rate`.

    Example:
        >>> round(nesterov_rate(1.0, 0.0, [1.0, 0.1]), 12)     # no momentum: GD's rate
        0.9
        >>> round(nesterov_rate(1.0, 0.9, [1.0]), 12)           # lr h = 1: both roots 0
        0.0
    """
    h = _eigs(eigenvalues)
    lr = np.asarray(lr, dtype=float)[..., None]
    beta = np.asarray(momentum, dtype=float)[..., None]
    c = 1.0 - lr * h
    trace = (1.0 + beta) * c
    disc = np.sqrt((trace * trace - 4.0 * beta * c).astype(complex))
    rho = np.maximum(np.abs(trace + disc), np.abs(trace - disc)) / 2.0
    out = np.max(rho, axis=-1)
    return float(out) if out.ndim == 0 else out


def optimal_nesterov(L: float, mu: float) -> MomentumOptimum:
    r"""The best constant ``(lr, momentum)`` of torch-style Nesterov on eigenvalues in ``[mu, L]``,
    and its rate :math:`1 - 2/\sqrt{3\kappa + 1}` (Lessard, Recht and Packard 2016).

    Example:
        >>> opt = optimal_nesterov(1.0, 0.01)            # kappa = 100
        >>> round(opt.lr, 6), round(opt.momentum, 6), round(opt.rate, 6)
        (1.328904, 0.793275, 0.884722)
    """
    L, mu = _check_L_mu(L, mu)
    s = math.sqrt(3.0 * L / mu + 1.0)
    return MomentumOptimum(lr=4.0 / (3.0 * L + mu), momentum=(s - 2.0) / (s + 2.0), rate=1.0 - 2.0 / s)


def lower_bound_rate(L: float, mu: float) -> float:
    r""":math:`(\sqrt\kappa - 1)/(\sqrt\kappa + 1)`: no first-order method beats it on the worst quadratic.

    Example:
        >>> round(lower_bound_rate(1.0, 0.01), 6)
        0.818182
    """
    L, mu = _check_L_mu(L, mu)
    return (math.sqrt(L) - math.sqrt(mu)) / (math.sqrt(L) + math.sqrt(mu))


def _check_L_mu(L, mu):
    L, mu = float(L), float(mu)
    if not (math.isfinite(L) and math.isfinite(mu) and 0 < mu <= L):
        raise ValueError(f"Invalid eigenvalues: L={L}, mu={mu} (need 0 < mu <= L)")
    return L, mu


def measured_rate(path, minimum=(0.0, 0.0), skip: int = 0, tol: float = 1e-12) -> float:
    r"""The rate measured from a trajectory: :math:`e^{s}` where :math:`s` is the least-squares
    slope of :math:`\log \lVert\theta_t - \theta^*\rVert` against :math:`t`.

    Uses the points after ``skip`` whose distance is still above ``tol`` (below, rounding
    dominates).  ``path`` is an ``(n, 2)`` array or a :class:`~course.classroom.trajectory.Result`.

    Example:
        >>> import numpy as np
        >>> path = np.array([[0.5 ** t, 0.0] for t in range(20)])
        >>> round(measured_rate(path), 12)
        0.5
    """
    path = np.asarray(getattr(path, "path", path), dtype=float)
    d = np.linalg.norm(path - np.asarray(minimum, dtype=float), axis=-1)[skip:]
    ok = np.isfinite(d) & (d > tol)
    # stop at the first point that reached the floor (or broke): the tail is rounding noise
    n = int(np.argmin(ok)) if not ok.all() else len(d)
    if n < 2:
        raise ValueError(f"measured_rate needs at least 2 points above tol={tol} after skip={skip}, got {n}")
    t = np.arange(n, dtype=float)
    slope = np.polyfit(t, np.log(d[:n]), 1)[0]
    return float(math.exp(slope))
