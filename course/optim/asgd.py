"""Averaged SGD (``torch.optim.ASGD``)."""
from __future__ import annotations

from .optimizer import LR, MAXIMIZE, SWITCHES, WEIGHT_DECAY, Optimizer, _f32, hyperparameter, namespace, regularized

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged stochastic gradient descent: SGD with a decaying step, plus a running average of the iterates.

    .. math::
        \begin{aligned}
        &\eta_0 \leftarrow \gamma,\quad \mu_0 \leftarrow 1 \\
        &\textbf{for } t = 1, 2, \dots: \\
        &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})
              \quad (\text{negated if maximize}) \\
        &\quad \textbf{if } \lambda \neq 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        &\quad \theta_t \leftarrow \theta_{t-1}(1 - \lambda_d \eta_{t-1}) - \eta_{t-1} g_t \\
        &\quad a_t \leftarrow a_{t-1} + \mu_{t-1}(\theta_t - a_{t-1})
              \quad (a_t \leftarrow \theta_t \text{ while } \mu = 1) \\
        &\quad \eta_t \leftarrow \gamma / (1 + \lambda_d \gamma t)^\alpha,\quad
               \mu_t \leftarrow 1 / \max(1, t - t_0)
        \end{aligned}

    State: ``step``, ``eta`` (:math:`\eta`), ``mu`` (:math:`\mu`), both float32 numbers
    as in torch, and ``ax`` (:math:`a`, the averaged parameters).  Polyak and Juditsky,
    "Acceleration of Stochastic Approximation by Averaging" (SIAM J. Control Optim. 1992).

    Args:
        params: parameters or parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 1e-2).
        lambd (float): decay term :math:`\lambda_d` (default: 1e-4).
        alpha (float): power of the eta update :math:`\alpha` (default: 0.75).
        t0 (float): the step at which averaging starts :math:`t_0` (default: 1e6).
        weight_decay (float): L2 penalty :math:`\lambda` (default: 0).
        maximize (bool): maximize the objective (default: False).
        foreach, differentiable, capturable: torch's implementation switches (torch's defaults); they
            do not change the numbers; see :mod:`course.optim.optimizer`.

    Example:
        >>> import numpy as np, course
        >>> p = course.Parameter(np.array([1.0]))
        >>> opt = ASGD([p], lr=0.5, lambd=0.0)
        >>> p.grad = np.array([1.0])
        >>> opt.step()
        >>> p.data, opt.state[p]["ax"]
        (array([0.5]), array([0.5]))
    """

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach=None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False):
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        self._check_arguments(defaults)
        super().__init__(params, defaults)

    # torch checks lr and weight_decay; the rule reads lambd, alpha and t0 too (no range: torch has none)
    _hyperparameters = (LR, WEIGHT_DECAY, hyperparameter("lambd"), hyperparameter("alpha"), hyperparameter("t0"), MAXIMIZE,
                        SWITCHES)
    _load_defaults = {"foreach": None, "maximize": False, "differentiable": False, "capturable": False}

    def _state_spec(self, group):
        return {"step": "counter", "eta": "counter", "mu": "counter", "ax": "array"}

    def _init_state(self, param, group):
        xp = namespace(param)
        return {"step": 0.0, "eta": _f32(group["lr"]), "mu": 1.0, "ax": xp.zeros_like(param)}

    def _advance(self, state, group):
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        eta, mu = state["eta"], state["mu"]  # this step uses the values from the last one
        state["step"] += 1
        step = state["step"]
        state["eta"] = _f32(lr / ((1 + lambd * lr * step) ** alpha))
        state["mu"] = _f32(1 / max(1, step - t0))
        return eta, mu

    def _update(self, param, grad, state, group, s):
        eta, mu = s
        ax = state["ax"]
        grad = regularized(param, grad, group)  # maximize, weight decay
        param *= 1 - group["lambd"] * eta
        param -= eta * grad
        if mu != 1:
            ax += (param - ax) * mu
        else:
            ax[...] = param
