r"""Preconditioners beyond the diagonal, for notebook 12: rotated bowls, full-matrix AdaGrad,
Shampoo's Kronecker factors, Newton–Schulz at full precision, and counting optimizer state.

A preconditioned step is :math:`\theta \leftarrow \theta - \gamma P^{-1} g`.  On the bowl
:math:`f = \tfrac12 \theta^T H \theta` it behaves like gradient descent on a bowl whose Hessian is
:math:`P^{-1/2} H P^{-1/2}`: :func:`preconditioned_condition_number` measures how round that is.

* diagonal :math:`P` (AdaGrad, RMSProp, Adam) can only rescale the axes: it rounds an
  axis-aligned bowl, not a rotated one;
* full-matrix AdaGrad (Duchi, Hazan and Singer, 2011), :math:`P = (\sum_t g_t g_t^T)^{1/2}`
  (:class:`FullMatrixAdagrad`), rotates with the bowl, at :math:`O(d^2)` memory and
  :math:`O(d^3)` time per step;
* Shampoo (Gupta, Koren and Singer, 2018) keeps one factor per side of a matrix parameter,
  :math:`L = \sum G G^T`, :math:`R = \sum G^T G`, and steps along :math:`L^{-1/4} G R^{-1/4}`
  (:func:`shampoo_direction`);
* Muon (Jordan et al., 2024) replaces the update by an orthogonalized one, computed by the
  quintic Newton–Schulz iteration: ``course.optim.muon.newton_schulz`` runs it in bfloat16 as
  torch does; :func:`newton_schulz` here is the same iteration in float64, whose singular
  values follow :func:`ns_polynomial` exactly.

>>> import numpy as np
>>> from course.classroom.landscapes import quadratic
>>> H = quadratic(condition_number=100, rotation=45).hessian
>>> round(preconditioned_condition_number(H, np.diag(np.diag(H))), 6)   # Jacobi: no help at 45 degrees
100.0
>>> round(preconditioned_condition_number(H, H), 6)                    # the full Hessian: round
1.0
"""
from __future__ import annotations

import math

import numpy as np

from .. import optim
from ..optim.muon import NS_COEFFICIENTS
from ..tensor import Parameter

__all__ = ["matrix_power", "preconditioned_condition_number", "FullMatrixAdagrad", "shampoo_direction",
           "matrix_bowl", "ns_polynomial", "newton_schulz", "state_elements", "adam_state_elements",
           "adafactor_state_elements"]


def matrix_power(S, power: float, eps: float = 0.0):
    r""":math:`(S + \epsilon I)^{p}` of a symmetric positive semi-definite matrix, by its eigendecomposition.

    >>> matrix_power(np.diag([4.0, 9.0]), -0.5)
    array([[0.5       , 0.        ],
           [0.        , 0.33333333]])
    """
    S = np.asarray(S, dtype=float)
    w, V = np.linalg.eigh((S + S.T) / 2)
    w = np.maximum(w, 0.0) + eps
    return (V * w ** power) @ V.T


def preconditioned_condition_number(H, P) -> float:
    r"""The condition number of :math:`P^{-1/2} H P^{-1/2}`: how round the bowl looks to the
    preconditioned step (1: perfectly round, a single lr fits every direction)."""
    root = matrix_power(P, -0.5)
    w = np.linalg.eigvalsh(root @ np.asarray(H, dtype=float) @ root)
    return float(w[-1] / w[0])


class FullMatrixAdagrad:
    r"""Full-matrix AdaGrad on one parameter: :math:`G_t = G_{t-1} + g_t g_t^T`,
    :math:`\theta_t = \theta_{t-1} - \gamma\,(G_t^{1/2} + \epsilon I)^{-1} g_t`.

    Only what :func:`course.classroom.trajectory.run` needs (``param_groups``, ``zero_grad``,
    ``step``), so that ``trajectory.run(lambda p: FullMatrixAdagrad(p, lr=1.0), bowl)`` works.
    With a diagonal :math:`G` this is ``torch.optim.Adagrad``; the full matrix costs
    :math:`d^2` numbers of state and an eigendecomposition (:math:`O(d^3)`) per step.
    """

    def __init__(self, params, lr: float = 1.0, eps: float = 1e-10):
        self.params = list(params)
        if len(self.params) != 1:
            raise ValueError(f"FullMatrixAdagrad takes one parameter, got {len(self.params)}")
        self.param_groups = [{"params": self.params, "lr": float(lr), "eps": float(eps)}]
        d = self.params[0].data.size
        self.state = {"sum_outer": np.zeros((d, d))}

    def zero_grad(self, set_to_none: bool = True):
        for p in self.params:
            p.grad = None

    def step(self):
        p, group = self.params[0], self.param_groups[0]
        g = np.asarray(p.grad, dtype=float).ravel()
        self.state["sum_outer"] += np.outer(g, g)
        w, V = np.linalg.eigh(self.state["sum_outer"])
        direction = V @ ((V.T @ g) / (np.sqrt(np.maximum(w, 0.0)) + group["eps"]))
        p.data[...] = p.data - group["lr"] * direction.reshape(p.data.shape)


def shampoo_direction(G, L, R, eps: float = 1e-12):
    r"""Shampoo's step direction :math:`L^{-1/4}\, G\, R^{-1/4}` for a matrix gradient ``G``
    (``m x n``), with its accumulated factors ``L`` (``m x m``) and ``R`` (``n x n``)."""
    return matrix_power(L, -0.25, eps) @ np.asarray(G, dtype=float) @ matrix_power(R, -0.25, eps)


def matrix_bowl(m: int = 4, n: int = 3, condition_number: float = 30.0, seed: int = 0):
    r"""A matrix bowl :math:`f(W) = \tfrac12 \operatorname{tr}\big((W - W^*)^T A (W - W^*) B\big)`
    with rotated, ill-conditioned :math:`A` (``m x m``) and :math:`B` (``n x n``).

    Its gradient is :math:`A (W - W^*) B` and its Hessian the Kronecker product
    :math:`B \otimes A`, exactly the structure Shampoo's two factors model.
    Returns ``(f, grad, W_star)``, with ``f`` and ``grad`` functions of ``W``.
    """
    rng = np.random.default_rng(seed)

    def spd(k):
        Q, _ = np.linalg.qr(rng.normal(size=(k, k)))
        return (Q * np.geomspace(1.0, 1.0 / math.sqrt(condition_number), k)) @ Q.T

    A, B, W_star = spd(m), spd(n), rng.normal(size=(m, n))

    def f(W):
        D = W - W_star
        return 0.5 * float(np.trace(D.T @ A @ D @ B))

    def grad(W):
        return A @ (W - W_star) @ B

    return f, grad, W_star


def ns_polynomial(x, coefficients=NS_COEFFICIENTS):
    r"""What one Newton–Schulz step does to each singular value: :math:`a x + b x^3 + c x^5`."""
    a, b, c = coefficients
    return a * x + b * x ** 3 + c * x ** 5


def newton_schulz(G, steps: int = 5, coefficients=NS_COEFFICIENTS, eps: float = 1e-7):
    r"""The quintic Newton–Schulz iteration of ``torch.optim.Muon``, in float64.

    Scale :math:`X = G / \max(\lVert G\rVert_F, \epsilon)` (so every singular value is at most 1),
    then ``steps`` times :math:`X \leftarrow aX + (bA + cA^2)X` with :math:`A = XX^T`; on a
    tall matrix it works on the transpose.  Every singular value :math:`\sigma` goes through
    :func:`ns_polynomial`, the singular vectors stay: the result is about :math:`UV^T`.
    (torch computes it in bfloat16; this is the same iteration at full precision.)

    >>> s = np.linalg.svd(newton_schulz(np.diag([3.0, 4.0])), compute_uv=False)
    >>> x = np.array([0.8, 0.6])                  # the singular values 4 and 3, over the norm 5
    >>> for _ in range(5):                        # 5 steps, the default
    ...     x = ns_polynomial(x)
    >>> bool(np.allclose(s, x))
    True
    """
    X = np.asarray(G, dtype=float)
    tall = X.shape[0] > X.shape[1]
    if tall:
        X = X.T
    X = X / max(float(np.linalg.norm(X)), eps)
    a, b, c = coefficients
    for _ in range(int(steps)):
        A = X @ X.T
        X = a * X + (b * A + c * A @ A) @ X
    return X.T if tall else X


def state_elements(optimizer) -> dict:
    """Array elements of ``optimizer.state`` per parameter (0-d counters such as ``step`` left out):
    ``{param index: {state name: elements}}``, measured from the optimizer itself."""
    out = {}
    index = {id(p): k for k, p in enumerate(p for g in optimizer.param_groups for p in g["params"])}
    for p, st in optimizer.state.items():
        out[index[id(p)]] = {name: int(np.size(v)) for name, v in st.items()
                             if hasattr(v, "shape") and len(np.shape(v)) > 0}
    return out


def _state_after_one_step(cls, shape, **hyper):
    p = Parameter(np.zeros(shape, dtype=np.float32))
    opt = cls([p], **hyper)
    p.grad = np.ones(shape, dtype=np.float32)
    opt.step()
    return sum(state_elements(opt)[0].values())


def adam_state_elements(*shape: int) -> int:
    """Elements of Adam's state for a parameter of ``shape``, measured on ``course.optim.Adam``:
    ``exp_avg`` and ``exp_avg_sq``, twice the parameter's size."""
    return _state_after_one_step(optim.Adam, shape)


def adafactor_state_elements(*shape: int) -> int:
    """Elements of Adafactor's state for a parameter of ``shape``, measured on ``course.optim.Adafactor``:
    for 2+ dims a row and a column of second moments per matrix of the last two dims; for a
    vector, one second moment per element (no first moment in either case).

    >>> adafactor_state_elements(6, 4), adafactor_state_elements(3, 6, 4), adafactor_state_elements(5)
    (10, 30, 5)
    """
    return _state_after_one_step(optim.Adafactor, shape)
