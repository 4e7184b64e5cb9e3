"""Adafactor: second moments kept as a row and a column factor (``torch.optim.Adafactor``)."""
from __future__ import annotations

import math
import numbers

from ._lerp import lerp_
from .optimizer import MAXIMIZE, Optimizer, _at, _kind, _where, flag, hyperparameter, is_complex, namespace

__all__ = ["Adafactor"]


def _nonneg(v):
    return 0.0 <= v


def _eps_ok(h, where):
    """torch's checks of the pair ``(eps1, eps2)``: eps1 may be None (the dtype's machine epsilon)."""
    eps = h["eps"]
    try:
        eps1, eps2 = eps[0], eps[1]
    except (TypeError, IndexError, KeyError) as e:
        raise type(e)(f"Invalid eps: {eps!r}: eps must be a pair (eps1 or None, eps2), not {_kind(eps)}{_at(where)}") from None
    if where is not None and (isinstance(eps, (str, bytes, dict)) or len(eps) != 2):
        raise ValueError(f"Invalid eps: {eps!r}: eps must be a pair (eps1 or None, eps2){_at(where)}")
    for i, (v, name) in enumerate(((eps1, "epsilon1"), (eps2, "epsilon2"))):
        if i == 0 and v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"{name} should be >= 0 but is: {v!r}: eps[{i}] must be a real number, not {_kind(v)}{_at(where)}")
        if not 0.0 <= v:
            raise ValueError(f"{name} should be >= 0 but is: {v}{_at(where)}")


_eps_ok.names = ("eps",)


def _params_ok(h, where):
    """torch refuses complex parameters as the step reaches them; course before anything moves."""
    if type(where) is not int:
        return
    for i, p in enumerate(h["params"]):
        if p.grad is not None and is_complex(p.data):
            raise RuntimeError(f"Adafactor does not support complex parameters ({_where(i, where)})")


_params_ok.names = ()


def factored_shapes(shape) -> tuple:
    """The shapes of ``row_var`` and ``col_var`` for a parameter of ``shape`` (2+ dims): the
    last dimension, then the one before it, reduced to 1."""
    shape = tuple(shape)
    return shape[:-1] + (1,), shape[:-2] + (1, shape[-1])


class Adafactor(Optimizer):
    r"""Adafactor: an Adam-like step whose second moment costs :math:`n + m` numbers for an
    :math:`n \times m` matrix instead of :math:`nm`.

    .. math::
        \begin{aligned}
        &\textbf{for } t = 1, 2, \dots: \\
        &\quad G_t \leftarrow \nabla_\theta f_t(\theta_{t-1}) \quad (\text{negated if maximize}) \\
        &\quad \hat\beta_{2,t} \leftarrow 1 - t^{\tau}, \quad
               \rho_t \leftarrow \min(\gamma, 1/\sqrt t), \quad
               \alpha_t \leftarrow \max(\epsilon_2, \mathrm{RMS}(\theta_{t-1}))\,\rho_t \\
        &\quad \theta_{t-1} \leftarrow \theta_{t-1}(1 - \gamma\lambda) \\
        &\quad \textbf{if } \theta \text{ has 2+ dims: }
               R_t \leftarrow \hat\beta_{2,t} R_{t-1} + (1 - \hat\beta_{2,t})\,\mathrm{mean}_{\text{cols}}(G_t^2), \;
               C_t \leftarrow \hat\beta_{2,t} C_{t-1} + (1 - \hat\beta_{2,t})\,\mathrm{mean}_{\text{rows}}(G_t^2), \\
        &\quad\qquad \hat V_t \leftarrow R_t C_t / \max(\mathrm{mean}(R_t), \epsilon_1) \\
        &\quad \textbf{else: } \hat V_t \leftarrow \hat\beta_{2,t} \hat V_{t-1} + (1 - \hat\beta_{2,t})\, G_t^2 \\
        &\quad U_t \leftarrow G_t / \max(\sqrt{\hat V_t}, \epsilon_1), \quad
               \theta_t \leftarrow \theta_{t-1} - \alpha_t\, U_t / \max(1, \mathrm{RMS}(U_t)/d)
        \end{aligned}

    :math:`R_t C_t` (a column times a row) is the rank-one matrix closest to the full second
    moment: the outer product of its row and column means, divided by the overall mean.  There
    is no first moment.  The step is relative to the size of the weights (:math:`\alpha_t`) and
    clipped to an RMS of :math:`d`.  As torch (and unlike the paper), ``lr`` caps
    :math:`\rho_t`, which is :math:`1/\sqrt t` at first, and scales the decoupled weight decay;
    :math:`\epsilon_1` floors the variance estimate (its default, None, is the dtype's machine
    epsilon).  A parameter of 3+ dims is factored over its last two.  State: ``step``, and
    ``row_var``/``col_var`` (:math:`R`, :math:`C`) for matrices, ``variance`` (:math:`\hat V`)
    for vectors and scalars.

    Shazeer and Stern, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost" (ICML 2018).

    Args:
        params: parameters or parameter groups.
        lr (float): :math:`\gamma`, the cap of the relative step size (default: 1e-2).
        beta2_decay (float): :math:`\tau \le 0`, the decay of :math:`1 - \hat\beta_2` (default: -0.8).
        eps (tuple[float or None, float]): :math:`(\epsilon_1, \epsilon_2)` (default: (None, 1e-3)).
        d (float): the clipping threshold, at least 1 (default: 1.0).
        weight_decay (float): decoupled weight decay :math:`\lambda` (default: 0.0).
        foreach: torch's implementation switch; it does not change the numbers.
        maximize (bool): maximize the objective (default: False).

    Example: a 100 x 50 matrix keeps 150 second-moment numbers.
        >>> import numpy as np, course
        >>> w = course.Parameter(np.ones((100, 50)))
        >>> opt = Adafactor([w])
        >>> w.grad = np.full((100, 50), 0.5)
        >>> opt.step()
        >>> s = opt.state[w]
        >>> s["row_var"].shape, s["col_var"].shape
        ((100, 1), (1, 50))
        >>> float(w.data[0, 0])            # 1 - min(0.01, 1/sqrt(1)) * RMS(w) * 1: the update's RMS is 1
        0.99
    """

    def __init__(self, params, lr: float = 1e-2, beta2_decay: float = -0.8, eps=(None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0, *, foreach=None, maximize: bool = False):
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize)
        self._check_arguments(defaults)
        super().__init__(params, defaults)

    # torch's checks in torch's order and words, then what the step reads
    _hyperparameters = (
        hyperparameter("lr", _nonneg, "Learning rate should be >= 0 but is: {}", range_at_step=False),
        hyperparameter("beta2_decay", lambda v: 0.0 >= v, "beta2_decay should be <= 0 but is: {}"),
        _eps_ok,
        hyperparameter("d", lambda v: 1.0 <= v, "Clipping threshold d should be >= 1 but is: {}"),
        hyperparameter("weight_decay", _nonneg, "weight_decay should be >= 0 but is: {}"),
        MAXIMIZE,
        flag("foreach"),
        _params_ok,
    )
    _load_defaults = {"foreach": None, "maximize": False}

    def _state_spec(self, group):
        # which arrays a state holds depends on the parameter's dims: _load_state checks them
        return {"step": "counter", "row_var": "optional", "col_var": "optional", "variance": "optional"}

    def _init_state(self, param, group):
        xp = namespace(param)
        if param.ndim > 1:
            row, col = factored_shapes(param.shape)
            return {"step": 0.0, "row_var": xp.zeros(row, dtype=param.dtype), "col_var": xp.zeros(col, dtype=param.dtype)}
        return {"step": 0.0, "variance": xp.zeros_like(param)}

    def _flat_ready(self, state, group):
        return False  # not elementwise: norms and means over each whole parameter

    def _load_state(self, p, group, s, where):
        need = ("row_var", "col_var") if p.data.ndim > 1 else ("variance",)
        if s:
            missing = [k for k in ("step",) + need if s.get(k) is None]
            if missing:
                raise ValueError(f"loaded state of {where} has no {', '.join(map(repr, missing))}")
        return super()._load_state(p, group, s, where)

    def _load_array(self, p, key, value, where):
        if key in ("row_var", "col_var") and p.data.ndim > 1:
            shape = factored_shapes(p.data.shape)[key == "col_var"]
            if not hasattr(value, "shape") or tuple(value.shape) != shape:
                got = tuple(value.shape) if hasattr(value, "shape") else _kind(value)
                raise ValueError(f"loaded state {key!r} of {where} has shape {got}, expected {shape}")
            xp = namespace(p.data)
            like = xp.zeros(shape, dtype=p.data.dtype)  # cast through a stand-in of the right shape
            return super()._load_array(type("_P", (), {"data": like})(), key, value, where)
        return super()._load_array(p, key, value, where)

    def _update(self, param, grad, state, group, step):
        xp = namespace(param)
        lr, d, weight_decay = group["lr"], group["d"], group["weight_decay"]
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(xp.finfo(param.dtype).eps)
        size = math.prod(param.shape)
        # the Python numbers first: nothing has moved yet if one raises
        one_minus_beta2 = step ** group["beta2_decay"]
        rho = min(lr, 1 / step**0.5)
        alpha = max(eps2, float(xp.sqrt(xp.sum(param * param))) / size**0.5) * rho
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            param *= 1 - lr * weight_decay
        if param.ndim > 1:
            row_var, col_var = state["row_var"], state["col_var"]
            row_mean = xp.sqrt(xp.sum(grad * grad, axis=-1, keepdims=True))  # torch: a norm, squared
            lerp_(row_var, row_mean * row_mean / grad.shape[-1], one_minus_beta2)
            col_mean = xp.sqrt(xp.sum(grad * grad, axis=-2, keepdims=True))
            lerp_(col_var, col_mean * col_mean / grad.shape[-2], one_minus_beta2)
            var_estimate = row_var @ col_var  # (..., n, 1) @ (..., 1, m): the rank-one estimate
            var_estimate /= xp.maximum(xp.mean(row_var, axis=-2, keepdims=True), xp.asarray(eps1, dtype=param.dtype))
        else:
            variance = state["variance"]
            lerp_(variance, grad * grad, one_minus_beta2)
            var_estimate = xp.asarray(variance, copy=True)
        floor = xp.asarray(eps1 * eps1, dtype=param.dtype)  # squared: the root below gives eps1 back
        update = 1 / xp.sqrt(xp.maximum(var_estimate, floor))
        update *= grad
        denom = max(1.0, float(xp.sqrt(xp.sum(update * update))) / (size**0.5 * d))
        param += (-alpha / denom) * update
