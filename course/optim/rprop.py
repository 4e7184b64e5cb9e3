"""Rprop (``torch.optim.Rprop``)."""
from __future__ import annotations

from .optimizer import LR, MAXIMIZE, SWITCHES, Optimizer, is_complex, check, namespace, pair, regularized

__all__ = ["Rprop"]


def _etas_ok(etas):
    if not 0.0 < etas[0] < 1.0 < etas[1]:
        raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")


class Rprop(Optimizer):
    r"""Resilient backpropagation: only the sign of the gradient counts; each coordinate tunes its own step.

    .. math::
        \begin{aligned}
        &\textbf{for } t = 1, 2, \dots: \\
        &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})
              \quad (\text{negated if maximize}) \\
        &\quad \eta_t \leftarrow \begin{cases}
              \min(\eta_{t-1}\eta_+, \Gamma_{max}) & g_t g_{t-1} > 0 \\
              \max(\eta_{t-1}\eta_-, \Gamma_{min}) & g_t g_{t-1} < 0 \ (\text{and then } g_t \leftarrow 0) \\
              \eta_{t-1} & \text{otherwise} \end{cases} \\
        &\quad \theta_t \leftarrow \theta_{t-1} - \eta_t \operatorname{sign}(g_t)
        \end{aligned}

    State: ``step``, ``prev`` (:math:`g_{t-1}`, zero where the sign flipped) and
    ``step_size`` (:math:`\eta`, starts at lr).  Riedmiller and Braun, "A Direct Adaptive
    Method for Faster Backpropagation Learning: The RPROP Algorithm" (ICNN 1993).

    Args:
        params: parameters or parameter groups.
        lr (float): the initial step size (default: 1e-2).
        etas (tuple[float, float]): :math:`(\eta_-, \eta_+)` (default: (0.5, 1.2)).
        step_sizes (tuple[float, float]): :math:`(\Gamma_{min}, \Gamma_{max})` (default: (1e-6, 50)).
        maximize (bool): maximize the objective (default: False).
        capturable, foreach, differentiable: torch's implementation switches (torch's defaults); they
            do not change the numbers; see :mod:`course.optim.optimizer`.

    Example:
        >>> import numpy as np, course
        >>> p = course.Parameter(np.array([1.0, 1.0]))
        >>> opt = Rprop([p], lr=0.1)
        >>> for g in ([1.0, 1.0], [1.0, -1.0]):
        ...     p.grad = np.array(g)
        ...     opt.step()
        >>> opt.state[p]["step_size"]        # grew where the sign stayed, shrank where it flipped
        array([0.12, 0.05])
    """

    def __init__(self, params, lr: float = 1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable: bool = False, foreach=None, maximize: bool = False, differentiable: bool = False):
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        self._check_arguments(defaults)
        defaults["etas"] = tuple(etas)
        try:
            defaults["step_sizes"] = tuple(step_sizes)  # torch does not check them: a step does
        except TypeError:
            pass
        super().__init__(params, defaults)

    # torch checks lr and etas; the rule reads step_sizes too (two real numbers, no range: torch has none)
    _hyperparameters = (LR, pair("etas", torch_checks=False), check(_etas_ok, "etas"), pair("step_sizes"), MAXIMIZE, SWITCHES)
    _load_defaults = {"foreach": None, "maximize": False, "differentiable": False, "capturable": False}

    def _state_spec(self, group):
        return {"step": "counter", "prev": "array", "step_size": "array"}

    def _init_state(self, param, group):
        xp = namespace(param)
        lr = complex(group["lr"], group["lr"]) if is_complex(param) else group["lr"]  # both parts of the real view, as torch
        return {"step": 0.0, "prev": xp.zeros_like(param), "step_size": xp.full_like(param, lr)}

    def _update(self, param, grad, state, group, s):
        xp = namespace(param)
        (etaminus, etaplus), (step_size_min, step_size_max) = group["etas"], group["step_sizes"]
        prev, step_size = state["prev"], state["step_size"]
        grad = regularized(param, grad, group)  # maximize, weight decay
        sign = xp.sign(grad * prev)
        step_size *= xp.where(sign > 0, etaplus, xp.where(sign < 0, etaminus, xp.ones_like(sign)))
        step_size[...] = xp.clip(step_size, step_size_min, step_size_max)
        grad = xp.where(sign < 0, 0.0, grad)  # after a sign flip: no step, and forget the grad
        param -= xp.where(xp.isnan(grad), 0.0, xp.sign(grad)) * step_size  # torch's sign(nan) is 0: no step
        prev[...] = grad
