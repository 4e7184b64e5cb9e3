"""RAdam (``torch.optim.RAdam``)."""
from __future__ import annotations

from ._lerp import lerp_
from .optimizer import BETAS, EPS, LR, MAXIMIZE, SWITCHES, WEIGHT_DECAY, Optimizer, flag, namespace, regularized

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam: Adam whose adaptive step is switched on, and rectified, once its variance is tractable.

    .. math::
        \begin{aligned}
        &\rho_\infty \leftarrow 2 / (1 - \beta_2) - 1 \\
        &\textbf{for } t = 1, 2, \dots: \\
        &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})
              \quad (\text{negated if maximize}) \\
        &\quad \textbf{if } \lambda \neq 0: \textbf{ if } \text{decoupled: }
              \theta_{t-1} \leftarrow \theta_{t-1}(1 - \gamma\lambda)
              \textbf{ else } g_t \leftarrow g_t + \lambda\theta_{t-1} \\
        &\quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t,\quad
               v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        &\quad \hat m_t \leftarrow m_t / (1 - \beta_1^t) \\
        &\quad \rho_t \leftarrow \rho_\infty - 2 t \beta_2^t / (1 - \beta_2^t) \\
        &\quad \textbf{if } \rho_t > 5: \\
        &\qquad r_t \leftarrow \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}
                {(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}},\quad
               l_t \leftarrow \frac{\sqrt{1 - \beta_2^t}}{\sqrt{v_t} + \epsilon} \\
        &\qquad \theta_t \leftarrow \theta_{t-1} - \gamma\, \hat m_t\, l_t\, r_t \\
        &\quad \textbf{else}: \theta_t \leftarrow \theta_{t-1} - \gamma\, \hat m_t
        \end{aligned}

    State: ``step``, ``exp_avg`` (:math:`m`) and ``exp_avg_sq`` (:math:`v`).  Liu et al.,
    "On the Variance of the Adaptive Learning Rate and Beyond" (ICLR 2020).

    Args:
        params: parameters or parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 1e-3).
        betas (tuple[float, float]): :math:`(\beta_1, \beta_2)` (default: (0.9, 0.999)).
        eps (float): added to the denominator (default: 1e-8).
        weight_decay (float): :math:`\lambda` (default: 0).
        decoupled_weight_decay (bool): decay the weights directly, as AdamW (default: False).
        maximize (bool): maximize the objective (default: False).
        foreach, capturable, differentiable: torch's implementation switches (torch's defaults); they
            do not change the numbers; see :mod:`course.optim.optimizer`.

    Example:
        >>> import numpy as np, course
        >>> p = course.Parameter(np.array([1.0]))
        >>> opt = RAdam([p], lr=0.1)
        >>> p.grad = np.array([2.0])
        >>> opt.step()                    # rho_1 = 1 <= 5: plain momentum SGD, lr * m_hat
        >>> p.data
        array([0.8])
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        self._check_arguments(defaults)
        defaults["betas"] = tuple(betas)
        super().__init__(params, defaults)

    _hyperparameters = (LR, EPS, BETAS, WEIGHT_DECAY, flag("decoupled_weight_decay"), MAXIMIZE, SWITCHES)
    _load_defaults = {"foreach": None, "maximize": False, "differentiable": False, "decoupled_weight_decay": False,
                      "capturable": False}

    def _state_spec(self, group):
        return {"step": "counter", "exp_avg": "array", "exp_avg_sq": "array"}

    def _init_state(self, param, group):
        xp = namespace(param)
        return {"step": 0.0, "exp_avg": xp.zeros_like(param), "exp_avg_sq": xp.zeros_like(param)}

    def _update(self, param, grad, state, group, step):
        xp = namespace(param)
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        # the Python numbers first: they can raise (a division by zero), and then nothing has moved yet
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            bias_correction2_sqrt = bias_correction2**0.5
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        grad = regularized(param, grad, group)  # maximize, weight decay
        lerp_(exp_avg, grad, 1 - beta1)  # towards grad, rounded as torch's lerp
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        bias_corrected_exp_avg = exp_avg / bias_correction1
        if rho_t > 5.0:
            exp_avg_sq_sqrt = xp.sqrt(exp_avg_sq)
            exp_avg_sq_sqrt += eps
            adaptive_lr = bias_correction2_sqrt / exp_avg_sq_sqrt
            param -= bias_corrected_exp_avg * lr * adaptive_lr * rect
        else:
            param -= bias_corrected_exp_avg * lr
