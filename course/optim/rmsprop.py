"""RMSprop (``torch.optim.RMSprop``)."""
from __future__ import annotations

from ._lerp import lerp_
from .optimizer import EPS, LR, MAXIMIZE, SWITCHES, WEIGHT_DECAY, Optimizer, _nonneg, flag, hyperparameter, namespace, regularized

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop: divide the gradient by a running root mean square of recent gradients.

    .. math::
        \begin{aligned}
        &\textbf{for } t = 1, 2, \dots: \\
        &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})
              \quad (\text{negated if maximize}) \\
        &\quad \textbf{if } \lambda \neq 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        &\quad v_t \leftarrow \alpha v_{t-1} + (1 - \alpha) g_t^2 \\
        &\quad \tilde v_t \leftarrow v_t \\
        &\quad \textbf{if } \text{centered}: g^{avg}_t \leftarrow \alpha g^{avg}_{t-1}
              + (1 - \alpha) g_t,\quad \tilde v_t \leftarrow v_t - (g^{avg}_t)^2 \\
        &\quad \textbf{if } \mu > 0: b_t \leftarrow \mu b_{t-1} + g_t / (\sqrt{\tilde v_t} + \epsilon),
              \quad \theta_t \leftarrow \theta_{t-1} - \gamma b_t \\
        &\quad \textbf{else}: \theta_t \leftarrow \theta_{t-1} - \gamma g_t / (\sqrt{\tilde v_t} + \epsilon)
        \end{aligned}

    State: ``step``, ``square_avg`` (:math:`v`), ``momentum_buffer`` (:math:`b`, starts
    at zero, when momentum > 0) and ``grad_avg`` (when centered).  eps sits after the
    square root.  Hinton, Lecture 6e of "Neural Networks for Machine Learning" (2012);
    centered: Graves, "Generating Sequences With Recurrent Neural Networks" (2013).

    Args:
        params: parameters or parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 1e-2).
        alpha (float): smoothing constant :math:`\alpha` (default: 0.99).
        eps (float): added to the denominator (default: 1e-8).
        weight_decay (float): L2 penalty :math:`\lambda` (default: 0).
        momentum (float): momentum factor :math:`\mu` (default: 0).
        centered (bool): normalize by an estimate of the variance (default: False).
        maximize (bool): maximize the objective (default: False).
        capturable, foreach, differentiable: torch's implementation switches (torch's defaults); they
            do not change the numbers; see :mod:`course.optim.optimizer`.

    Example:
        >>> import numpy as np, course
        >>> p = course.Parameter(np.array([1.0, 1.0]))
        >>> opt = RMSprop([p], lr=0.01, alpha=0.75)
        >>> p.grad = np.array([100.0, 0.01])
        >>> opt.step()                       # both coordinates move by lr / sqrt(1 - alpha)
        >>> p.data.round(6)
        array([0.98, 0.98])
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach=None, maximize: bool = False, differentiable: bool = False):
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        self._check_arguments(defaults)
        super().__init__(params, defaults)

    _hyperparameters = (LR, EPS, hyperparameter("momentum", _nonneg, "Invalid momentum value: {}"), WEIGHT_DECAY,
                        hyperparameter("alpha", _nonneg, "Invalid alpha value: {}"), flag("centered"), MAXIMIZE,
                        SWITCHES)
    _load_defaults = {"momentum": 0, "centered": False, "foreach": None, "maximize": False, "differentiable": False,
                      "capturable": False}

    def _state_spec(self, group):
        spec = {"step": "counter", "square_avg": "array"}
        if group["momentum"] > 0:
            spec["momentum_buffer"] = "array"
        if group["centered"]:
            spec["grad_avg"] = "array"
        return spec

    def _init_state(self, param, group):
        xp = namespace(param)
        state = {"step": 0.0, "square_avg": xp.zeros_like(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = xp.zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = xp.zeros_like(param)
        return state

    def _update(self, param, grad, state, group, s):
        xp = namespace(param)
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        square_avg = state["square_avg"]
        grad = regularized(param, grad, group)  # maximize, weight decay
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            lerp_(grad_avg, grad, 1 - alpha)  # towards grad, rounded as torch's lerp
            var = square_avg - grad_avg * grad_avg
            if xp.any(xp.isinf(square_avg)):
                # torch fuses this into one multiply-add, whose exact product cannot overflow:
                # inf - (a finite grad_avg squared) stays inf there, where NumPy gives inf - inf = nan
                var = xp.where(xp.isinf(square_avg) & xp.isfinite(grad_avg), square_avg, var)
            avg = xp.sqrt(var)
        else:
            avg = xp.sqrt(square_avg)
        avg += eps
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += grad / avg
            param -= lr * buf
        else:
            param += -lr * grad / avg
