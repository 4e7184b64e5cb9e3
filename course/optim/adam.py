"""Adam and AdamW (``torch.optim.Adam``, ``torch.optim.AdamW``)."""
from __future__ import annotations

from ._lerp import lerp_
from .optimizer import BETAS, EPS, LR, MAXIMIZE, SWITCHES, WEIGHT_DECAY, Optimizer, _both_floats, check, flag, namespace, regularized

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam: momentum plus RMSprop plus bias correction.

    .. math::
        \begin{aligned}
        &\textbf{for } t = 1, 2, \dots: \\
        &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})
              \quad (\text{negated if maximize}) \\
        &\quad \textbf{if } \lambda \neq 0: \textbf{ if } \text{decoupled: }
              \theta_{t-1} \leftarrow \theta_{t-1}(1 - \gamma\lambda)
              \textbf{ else } g_t \leftarrow g_t + \lambda\theta_{t-1} \\
        &\quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        &\quad v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        &\quad \textbf{if } \text{amsgrad}: v^{max}_t \leftarrow \max(v^{max}_{t-1}, v_t)
              \text{ and use } v^{max}_t \text{ for } v_t \text{ below} \\
        &\quad \theta_t \leftarrow \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t}\,
              \frac{m_t}{\sqrt{v_t} / \sqrt{1 - \beta_2^t} + \epsilon}
        \end{aligned}

    State: ``step``, ``exp_avg`` (:math:`m`), ``exp_avg_sq`` (:math:`v`) and, with
    amsgrad, ``max_exp_avg_sq``.  Note where eps sits: after the bias-corrected square
    root.  Kingma and Ba, "Adam: A Method for Stochastic Optimization" (ICLR 2015);
    AMSGrad: Reddi et al., "On the Convergence of Adam and Beyond" (ICLR 2018).

    Args:
        params: parameters or parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 1e-3).
        betas (tuple[float, float]): :math:`(\beta_1, \beta_2)` (default: (0.9, 0.999)).
        eps (float): added to the denominator (default: 1e-8).
        weight_decay (float): :math:`\lambda`, an L2 penalty added to the grad (default: 0).
        amsgrad (bool): use AMSGrad (default: False).
        maximize (bool): maximize the objective (default: False).
        decoupled_weight_decay (bool): decay the weights directly, as AdamW (default: False).
        foreach, capturable, differentiable, fused: torch's implementation switches (torch's defaults); they
            do not change the numbers (``fused=True``: see :mod:`course.optim.optimizer`).

    Example:
        >>> import numpy as np, course
        >>> p = course.Parameter(np.array([1.0, -1.0]))
        >>> opt = Adam([p], lr=0.1)
        >>> p.grad = np.array([3.0, -0.01])
        >>> opt.step()                      # the first step moves each coordinate by ~lr
        >>> p.data.round(6)
        array([ 0.9, -0.9])
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach=None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False, fused=None,
                 decoupled_weight_decay: bool = False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable,
                        fused=fused, decoupled_weight_decay=decoupled_weight_decay)
        self._check_arguments(defaults)
        defaults["betas"] = tuple(betas)
        super().__init__(params, defaults)

    _hyperparameters = (LR, EPS, BETAS, WEIGHT_DECAY, check(_both_floats, "betas"),
                        flag("amsgrad"), MAXIMIZE, flag("decoupled_weight_decay"), SWITCHES)
    _load_defaults = {"amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
                      "differentiable": False, "decoupled_weight_decay": False, "fused": None}

    def _state_spec(self, group):
        spec = {"step": "counter", "exp_avg": "array", "exp_avg_sq": "array"}
        if group["amsgrad"]:
            spec["max_exp_avg_sq"] = "array"
        return spec

    def _init_state(self, param, group):
        xp = namespace(param)
        state = {"step": 0.0, "exp_avg": xp.zeros_like(param), "exp_avg_sq": xp.zeros_like(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = xp.zeros_like(param)
        return state

    def _update(self, param, grad, state, group, step):
        xp = namespace(param)
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        # the Python numbers first: they can raise (0 ** -1), and then nothing has moved yet
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        grad = regularized(param, grad, group)  # maximize, weight decay
        lerp_(exp_avg, grad, 1 - beta1)  # towards grad, rounded as torch's lerp
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        if group["amsgrad"]:
            max_exp_avg_sq = state["max_exp_avg_sq"]
            max_exp_avg_sq[...] = xp.maximum(max_exp_avg_sq, exp_avg_sq)
            exp_avg_sq = max_exp_avg_sq
        denom = xp.sqrt(exp_avg_sq)
        denom /= bias_correction2_sqrt
        denom += eps
        param += -step_size * exp_avg / denom


class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay, :math:`\theta \leftarrow \theta(1 - \gamma\lambda)`
    before the Adam step (weight_decay defaults to 1e-2).

    Loshchilov and Hutter, "Decoupled Weight Decay Regularization" (ICLR 2019).
    Same arguments as :class:`Adam`, without ``decoupled_weight_decay``.

    Example:
        >>> import numpy as np, course
        >>> p = course.Parameter(np.array([1.0]))
        >>> opt = AdamW([p], lr=0.1, weight_decay=0.5)
        >>> p.grad = np.array([0.0])         # no gradient: only the decay acts
        >>> opt.step()
        >>> p.data
        array([0.95])
    """

    _load_overrides = {"decoupled_weight_decay": True}  # as torch's AdamW.__setstate__, whatever was saved

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach=None, capturable: bool = False, differentiable: bool = False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
