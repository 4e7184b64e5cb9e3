"""Lion (Chen et al. 2023); not in torch.optim, written from the paper."""
from __future__ import annotations

from .optimizer import BETAS, LR, MAXIMIZE, WEIGHT_DECAY, Optimizer, namespace

__all__ = ["Lion"]


class Lion(Optimizer):
    r"""Lion (EvoLved Sign Momentum): the sign of an interpolated momentum, with decoupled weight decay.

    .. math::
        \begin{aligned}
        &\textbf{for } t = 1, 2, \dots: \\
        &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})
              \quad (\text{negated if maximize}) \\
        &\quad c_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        &\quad \theta_t \leftarrow \theta_{t-1}(1 - \gamma\lambda) - \gamma\, \operatorname{sign}(c_t) \\
        &\quad m_t \leftarrow \beta_2 m_{t-1} + (1 - \beta_2) g_t
        \end{aligned}

    State: ``exp_avg`` (:math:`m`).  Every coordinate moves by exactly lr (plus decay),
    so Lion wants a 3-10x smaller lr than AdamW and a larger weight decay.  Chen et al.,
    "Symbolic Discovery of Optimization Algorithms" (NeurIPS 2023), Algorithm 2.

    Args:
        params: parameters or parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 1e-4).
        betas (tuple[float, float]): :math:`(\beta_1, \beta_2)` (default: (0.9, 0.99)).
        weight_decay (float): decoupled weight decay :math:`\lambda` (default: 0.0).
        maximize (bool): maximize the objective (default: False).

    Example:
        >>> import numpy as np, course
        >>> p = course.Parameter(np.array([1.0, 1.0]))
        >>> opt = Lion([p], lr=0.1)
        >>> p.grad = np.array([5.0, -0.001])
        >>> opt.step()
        >>> p.data
        array([0.9, 1.1])
    """

    def __init__(self, params, lr: float = 1e-4, betas=(0.9, 0.99), weight_decay: float = 0.0, *,
                 maximize: bool = False):
        defaults = dict(lr=lr, betas=betas, weight_decay=weight_decay, maximize=maximize)
        self._check_arguments(defaults)
        defaults["betas"] = tuple(betas)
        super().__init__(params, defaults)

    _hyperparameters = (LR, BETAS, WEIGHT_DECAY, MAXIMIZE)  # Adam's rules (Lion is not in torch)
    _load_defaults = {"maximize": False}  # a group saved without it: the default

    def _state_spec(self, group):
        return {"exp_avg": "array"}

    def _init_state(self, param, group):
        return {"exp_avg": namespace(param).zeros_like(param)}

    def _update(self, param, grad, state, group, s):
        xp = namespace(param)
        lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
        exp_avg = state["exp_avg"]
        if group["maximize"]:
            grad = -grad
        update = exp_avg + (1 - beta1) * (grad - exp_avg)  # c_t, a lerp towards grad
        if weight_decay != 0:
            param *= 1 - lr * weight_decay
        param -= lr * xp.sign(update)
        exp_avg += (1 - beta2) * (grad - exp_avg)  # lerp towards grad
