"""Stochastic gradient descent, with momentum and Nesterov momentum (``torch.optim.SGD``)."""
from __future__ import annotations

from .optimizer import MAXIMIZE, SWITCHES, Optimizer, check, flag, hyperparameter, namespace, regularized

__all__ = ["SGD"]


def _not_negative(v):
    return not v < 0.0  # torch's SGD checks ``v < 0.0``: NaN passes


def _nesterov_ok(nesterov, momentum, dampening):
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError("Nesterov momentum requires a momentum and zero dampening")


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum.

    .. math::
        \begin{aligned}
        &\textbf{for } t = 1, 2, \dots: \\
        &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})
              \quad (\text{negated if maximize}) \\
        &\quad \textbf{if } \lambda \neq 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        &\quad \textbf{if } \mu \neq 0: \\
        &\qquad b_t \leftarrow g_t \ \text{if } t = 1
              \ \text{else}\ \mu b_{t-1} + (1 - \tau) g_t \\
        &\qquad g_t \leftarrow g_t + \mu b_t \ \text{if nesterov else}\ b_t \\
        &\quad \theta_t \leftarrow \theta_{t-1} - \gamma g_t
        \end{aligned}

    :math:`b` is ``state["momentum_buffer"]``.  Note the first step copies the gradient
    (no :math:`1 - \tau`), and this is the "torch" momentum convention
    (``v = mu*v + g; p -= lr*v``), not Sutskever's (``v = mu*v - lr*g; p += v``).
    Nesterov momentum: Sutskever et al., "On the importance of initialization and
    momentum in deep learning" (ICML 2013).

    Args:
        params: parameters or parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 1e-3).
        momentum (float): momentum factor :math:`\mu` (default: 0).
        dampening (float): dampening :math:`\tau` for momentum (default: 0).
        weight_decay (float): L2 penalty :math:`\lambda` (default: 0).
        nesterov (bool): use Nesterov momentum (default: False).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        foreach, differentiable, fused: torch's implementation switches (torch's defaults); they
            do not change the numbers (``fused=True``: see :mod:`course.optim.optimizer`).

    Example:
        >>> import numpy as np, course
        >>> p = course.Parameter(np.array([1.0]))
        >>> opt = SGD([p], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     p.grad = 2 * p.data          # d/dp of p**2
        ...     opt.step()
        >>> p.data.round(4)                  # 1 - 0.2, then 0.8 - 0.1*(0.9*2 + 1.6)
        array([0.46])
    """

    # torch's checks (``x < 0.0``: NaN passes, as in torch), then what the rule reads
    _hyperparameters = (
        hyperparameter("lr", _not_negative, "Invalid learning rate: {}", range_at_step=False),
        hyperparameter("momentum", _not_negative, "Invalid momentum value: {}"),
        hyperparameter("weight_decay", _not_negative, "Invalid weight_decay value: {}", true_ok=False),
        check(_nesterov_ok, "nesterov", "momentum", "dampening"),
        hyperparameter("dampening", when=lambda h: h["momentum"] != 0),  # read only with momentum
        flag("nesterov"),
        MAXIMIZE,
        SWITCHES,
    )
    _load_defaults = {"nesterov": False, "maximize": False, "foreach": None, "differentiable": False, "fused": False}

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach=None, differentiable: bool = False, fused=None):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable, fused=fused)
        self._check_arguments(defaults)
        super().__init__(params, defaults)

    def _state_spec(self, group):
        return {"momentum_buffer": "optional"}  # made by the first step with momentum

    def _flat_ready(self, state, group):
        # the momentum buffer is born as a copy of the first grad, one parameter at a time
        return group["momentum"] == 0 or "momentum_buffer" in state

    # ids of the momentum buffers this step made: a parameter listed twice in a group (torch warns)
    # finds its buffer missing at both places in that step, as torch's gathers them before its loop
    _made = frozenset()

    def _begin_step(self):
        self._made = set()

    def _update(self, param, grad, state, group, s):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        grad = regularized(param, grad, group)  # maximize, weight decay
        if momentum != 0:
            buf, made = state.get("momentum_buffer"), self._made
            if buf is None or id(buf) in made:
                buf = state["momentum_buffer"] = namespace(grad).asarray(grad, copy=True)
                if type(made) is set:
                    made.add(id(buf))
            else:
                buf *= momentum
                buf += grad if dampening == 0 else (1 - dampening) * grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        param -= lr * grad
