"""Adagrad (``torch.optim.Adagrad``)."""
from __future__ import annotations

from .optimizer import EPS, LR, MAXIMIZE, SWITCHES, WEIGHT_DECAY, Optimizer, is_complex, _nonneg, hyperparameter, namespace, regularized

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad: per-coordinate step sizes from the sum of all past squared gradients.

    .. math::
        \begin{aligned}
        &s_0 \leftarrow \text{initial\_accumulator\_value} \\
        &\textbf{for } t = 1, 2, \dots: \\
        &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})
              \quad (\text{negated if maximize}) \\
        &\quad \textbf{if } \lambda \neq 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1} \\
        &\quad \tilde\gamma \leftarrow \gamma / (1 + (t - 1)\eta) \\
        &\quad s_t \leftarrow s_{t-1} + g_t^2 \\
        &\quad \theta_t \leftarrow \theta_{t-1} - \tilde\gamma\, g_t / (\sqrt{s_t} + \epsilon)
        \end{aligned}

    State: ``step`` and ``sum`` (:math:`s`), created at construction, as torch does.
    Duchi, Hazan and Singer, "Adaptive Subgradient Methods for Online Learning and
    Stochastic Optimization" (JMLR 2011).

    Args:
        params: parameters or parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 1e-2).
        lr_decay (float): :math:`\eta` (default: 0).
        weight_decay (float): L2 penalty :math:`\lambda` (default: 0).
        initial_accumulator_value (float): the starting value of ``sum`` (default: 0).
        eps (float): added to the denominator (default: 1e-10).
        maximize (bool): maximize the objective (default: False).
        foreach, differentiable, fused: torch's implementation switches (torch's defaults); they
            do not change the numbers (``fused=True``: see :mod:`course.optim.optimizer`).

    Example:
        >>> import numpy as np, course
        >>> p = course.Parameter(np.array([1.0, 1.0]))
        >>> opt = Adagrad([p], lr=0.1)
        >>> p.grad = np.array([5.0, 0.5])
        >>> opt.step()                       # first step: lr * sign(g)
        >>> p.data
        array([0.9, 0.9])
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach=None, *,
                 maximize: bool = False, differentiable: bool = False, fused=None):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        self._check_arguments(defaults)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self._init_state(p.data, group)

    _hyperparameters = (
        LR,
        hyperparameter("lr_decay", _nonneg, "Invalid lr_decay value: {}"),
        WEIGHT_DECAY,
        # read from ``defaults`` (as torch does), when a state is made: checked at construction
        hyperparameter("initial_accumulator_value", _nonneg, "Invalid initial_accumulator_value value: {}", at_step=False),
        EPS,
        MAXIMIZE,
        SWITCHES,
    )
    _load_defaults = {"foreach": None, "maximize": False, "differentiable": False, "fused": None}

    def _check_loaded(self, saved_state):
        # torch's Adagrad reads 'step' from the first loaded state to learn its type
        if saved_state:
            k, first = next(iter(saved_state.items()))
            if "step" not in first:
                raise ValueError(f"loaded state of parameter index {k!r} has no 'step' (Adagrad reads the first state's)")

    def _state_spec(self, group):
        return {"step": "counter", "sum": "array"}

    def _init_state(self, param, group):
        xp = namespace(param)
        value = self.defaults["initial_accumulator_value"]
        if is_complex(param):
            value = complex(value, value)  # both parts of the real view, as torch
        return {"step": 0.0, "sum": xp.full_like(param, value)}

    def _update(self, param, grad, state, group, step):
        xp = namespace(param)
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])  # first: it can raise, and then nothing has moved yet
        state_sum = state["sum"]
        grad = regularized(param, grad, group)  # maximize, weight decay
        state_sum += grad * grad
        std = xp.sqrt(state_sum)
        std += group["eps"]
        param += -clr * grad / std
