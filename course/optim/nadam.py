"""NAdam (``torch.optim.NAdam``)."""
from __future__ import annotations

from ._lerp import lerp_
from .optimizer import (BETAS, EPS, LR, MAXIMIZE, SWITCHES, WEIGHT_DECAY, Optimizer, _f32, _nonneg, flag, hyperparameter,
                        namespace, regularized)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam: Adam with Nesterov momentum and a momentum schedule.

    .. math::
        \begin{aligned}
        &\textbf{for } t = 1, 2, \dots: \\
        &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})
              \quad (\text{negated if maximize}) \\
        &\quad \textbf{if } \lambda \neq 0: \textbf{ if } \text{decoupled: }
              \theta_{t-1} \leftarrow \theta_{t-1}(1 - \gamma\lambda)
              \textbf{ else } g_t \leftarrow g_t + \lambda\theta_{t-1} \\
        &\quad \mu_t \leftarrow \beta_1 (1 - \tfrac12\, 0.96^{t\psi}),\quad
               \mu_{t+1} \leftarrow \beta_1 (1 - \tfrac12\, 0.96^{(t+1)\psi}) \\
        &\quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        &\quad v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        &\quad d_t \leftarrow \sqrt{v_t / (1 - \beta_2^t)} + \epsilon \\
        &\quad \theta_t \leftarrow \theta_{t-1}
              - \gamma \frac{1 - \mu_t}{1 - \prod_{i \le t}\mu_i} \frac{g_t}{d_t}
              - \gamma \frac{\mu_{t+1}}{1 - \prod_{i \le t+1}\mu_i} \frac{m_t}{d_t}
        \end{aligned}

    State: ``step``, ``mu_product`` (:math:`\prod \mu_i`, kept in float32 as torch
    does), ``exp_avg`` (:math:`m`) and ``exp_avg_sq`` (:math:`v`).  Dozat, "Incorporating
    Nesterov Momentum into Adam" (ICLR 2016 workshop).

    Args:
        params: parameters or parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 2e-3).
        betas (tuple[float, float]): :math:`(\beta_1, \beta_2)` (default: (0.9, 0.999)).
        eps (float): added to the denominator (default: 1e-8).
        weight_decay (float): :math:`\lambda` (default: 0).
        momentum_decay (float): :math:`\psi` (default: 4e-3).
        decoupled_weight_decay (bool): decay the weights directly, as AdamW (default: False).
        maximize (bool): maximize the objective (default: False).
        foreach, capturable, differentiable: torch's implementation switches (torch's defaults); they
            do not change the numbers; see :mod:`course.optim.optimizer`.

    Example:
        >>> import numpy as np, course
        >>> p = course.Parameter(np.array([1.0]))
        >>> opt = NAdam([p], lr=0.1)
        >>> p.grad = np.array([2.0])
        >>> opt.step()
        >>> p.data.round(4)
        array([0.8944])
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach=None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable)
        self._check_arguments(defaults)
        defaults["betas"] = tuple(betas)
        super().__init__(params, defaults)

    _hyperparameters = (LR, EPS, BETAS, WEIGHT_DECAY,
                        hyperparameter("momentum_decay", _nonneg, "Invalid momentum_decay value: {}"),
                        flag("decoupled_weight_decay"), MAXIMIZE, SWITCHES)
    _load_defaults = {"maximize": False, "foreach": None, "capturable": False, "differentiable": False,
                      "decoupled_weight_decay": False}

    def _state_spec(self, group):
        return {"step": "counter", "mu_product": "counter", "exp_avg": "array", "exp_avg_sq": "array"}

    def _init_state(self, param, group):
        xp = namespace(param)
        return {"step": 0.0, "mu_product": 1.0, "exp_avg": xp.zeros_like(param), "exp_avg_sq": xp.zeros_like(param)}

    def _advance(self, state, group):
        beta1, psi = group["betas"][0], group["momentum_decay"]
        state["step"] += 1
        step = state["step"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
        state["mu_product"] = _f32(state["mu_product"] * _f32(mu))  # a float32 product in torch
        return step, mu, mu_next, state["mu_product"]

    def _update(self, param, grad, state, group, s):
        xp = namespace(param)
        step, mu, mu_next, mu_product = s
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        # the Python numbers first: they can raise (a division by zero), and then nothing has moved yet
        bias_correction2 = 1 - beta2**step
        mu_product_next = mu_product * mu_next
        grad_coefficient = -lr * (1.0 - mu) / (1.0 - mu_product)
        exp_avg_coefficient = (-lr * mu_next) / (1.0 - mu_product_next)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        grad = regularized(param, grad, group)  # maximize, weight decay
        lerp_(exp_avg, grad, 1 - beta1)  # towards grad, rounded as torch's lerp
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        denom = xp.sqrt(exp_avg_sq / bias_correction2)
        denom += eps
        param += grad_coefficient * grad / denom
        param += exp_avg_coefficient * exp_avg / denom
