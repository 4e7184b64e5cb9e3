"""Adamax (``torch.optim.Adamax``)."""
from __future__ import annotations

from ._lerp import lerp_
from .optimizer import BETAS, EPS, LR, MAXIMIZE, SWITCHES, WEIGHT_DECAY, Optimizer, namespace, regularized

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax: Adam with the infinity norm in place of the root mean square.

    .. math::
        \begin{aligned}
        &\textbf{for } t = 1, 2, \dots: \\
        &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})
              \quad (\text{negated if maximize}) \\
        &\quad \textbf{if } \lambda \neq 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        &\quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        &\quad u_t \leftarrow \max(\beta_2 u_{t-1},\ |g_t| + \epsilon) \\
        &\quad \theta_t \leftarrow \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t}\,\frac{m_t}{u_t}
        \end{aligned}

    State: ``step``, ``exp_avg`` (:math:`m`) and ``exp_inf`` (:math:`u`).  Kingma and Ba,
    "Adam: A Method for Stochastic Optimization" (ICLR 2015), section 7.

    Args:
        params: parameters or parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 2e-3).
        betas (tuple[float, float]): :math:`(\beta_1, \beta_2)` (default: (0.9, 0.999)).
        eps (float): added to :math:`|g|` (default: 1e-8).
        weight_decay (float): L2 penalty :math:`\lambda` (default: 0).
        maximize (bool): maximize the objective (default: False).
        foreach, differentiable, capturable: torch's implementation switches (torch's defaults); they
            do not change the numbers; see :mod:`course.optim.optimizer`.

    Example:
        >>> import numpy as np, course
        >>> p = course.Parameter(np.array([1.0, 1.0]))
        >>> opt = Adamax([p], lr=0.1)
        >>> p.grad = np.array([4.0, 0.25])
        >>> opt.step()                       # first step: lr * g / (|g| + eps)
        >>> p.data.round(6)
        array([0.9, 0.9])
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach=None, *, maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        self._check_arguments(defaults)
        defaults["betas"] = tuple(betas)
        super().__init__(params, defaults)

    _hyperparameters = (LR, EPS, BETAS, WEIGHT_DECAY, MAXIMIZE, SWITCHES)
    _load_defaults = {"foreach": None, "maximize": False, "differentiable": False, "capturable": False}

    def _state_spec(self, group):
        return {"step": "counter", "exp_avg": "array", "exp_inf": "array"}

    def _init_state(self, param, group):
        xp = namespace(param)
        return {"step": 0.0, "exp_avg": xp.zeros_like(param), "exp_inf": xp.zeros_like(param)}

    def _update(self, param, grad, state, group, step):
        xp = namespace(param)
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        clr = lr / (1 - beta1**step)  # first: it can raise, and then nothing has moved yet
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        grad = regularized(param, grad, group)  # maximize, weight decay
        lerp_(exp_avg, grad, 1 - beta1)  # towards grad, rounded as torch's lerp
        exp_inf *= beta2
        exp_inf[...] = xp.maximum(exp_inf, xp.abs(grad) + eps)
        param += -clr * exp_avg / exp_inf
