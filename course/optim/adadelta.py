"""Adadelta (``torch.optim.Adadelta``)."""
from __future__ import annotations

from .optimizer import EPS, LR, MAXIMIZE, SWITCHES, WEIGHT_DECAY, Optimizer, hyperparameter, namespace, regularized

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta: a step whose units match the parameter's, from two running averages.

    .. math::
        \begin{aligned}
        &\textbf{for } t = 1, 2, \dots: \\
        &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})
              \quad (\text{negated if maximize}) \\
        &\quad \textbf{if } \lambda \neq 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        &\quad v_t \leftarrow \rho v_{t-1} + (1 - \rho) g_t^2 \\
        &\quad \Delta x_t \leftarrow \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t \\
        &\quad u_t \leftarrow \rho u_{t-1} + (1 - \rho) \Delta x_t^2 \\
        &\quad \theta_t \leftarrow \theta_{t-1} - \gamma \Delta x_t
        \end{aligned}

    State: ``step``, ``square_avg`` (:math:`v`) and ``acc_delta`` (:math:`u`).  eps sits
    inside both square roots.  Zeiler, "ADADELTA: An Adaptive Learning Rate Method" (2012).

    Args:
        params: parameters or parameter groups.
        lr (float): scales :math:`\Delta x` (default: 1.0).
        rho (float): decay of the running averages :math:`\rho` (default: 0.9).
        eps (float): inside the square roots (default: 1e-6).
        weight_decay (float): L2 penalty :math:`\lambda` (default: 0).
        maximize (bool): maximize the objective (default: False).
        foreach, capturable, differentiable: torch's implementation switches (torch's defaults); they
            do not change the numbers; see :mod:`course.optim.optimizer`.

    Example:
        >>> import numpy as np, course
        >>> p = course.Parameter(np.array([1.0]))
        >>> opt = Adadelta([p], eps=1e-2)
        >>> p.grad = np.array([1.0])
        >>> opt.step()                   # sqrt(0.01) / sqrt(0.1 + 0.01) * 1
        >>> p.data.round(6)
        array([0.698489])
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach=None, *, capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize, capturable=capturable,
                        foreach=foreach, differentiable=differentiable)
        self._check_arguments(defaults)
        super().__init__(params, defaults)

    _hyperparameters = (LR, hyperparameter("rho", lambda v: 0.0 <= v <= 1.0, "Invalid rho value: {}"),
                        EPS, WEIGHT_DECAY, MAXIMIZE, SWITCHES)
    _load_defaults = {"foreach": None, "maximize": False, "differentiable": False, "capturable": False}

    def _state_spec(self, group):
        return {"step": "counter", "square_avg": "array", "acc_delta": "array"}

    def _init_state(self, param, group):
        xp = namespace(param)
        return {"step": 0.0, "square_avg": xp.zeros_like(param), "acc_delta": xp.zeros_like(param)}

    def _update(self, param, grad, state, group, s):
        xp = namespace(param)
        rho, eps = group["rho"], group["eps"]
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        grad = regularized(param, grad, group)  # maximize, weight decay
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        std = xp.sqrt(square_avg + eps)
        delta = xp.sqrt(acc_delta + eps)
        delta /= std
        delta *= grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param -= group["lr"] * delta
