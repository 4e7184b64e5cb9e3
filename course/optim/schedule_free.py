r"""Schedule-free AdamW and SGD (Defazio et al. 2024); not in torch.optim.

The reference is the ``schedulefree`` package (1.4.1): the same class names, arguments,
defaults, state (``z``, ``exp_avg_sq``), param-group keys (``k``, ``train_mode``,
``weight_sum``, ``lr_max``, ``scheduled_lr``) and errors, and the same numbers.

Both keep three sequences and store one of them in the parameters:

.. math::
    \begin{aligned}
    &\gamma_t = \text{lr}\cdot\min(1, t / T_{warmup}), \qquad
      w_t = t^{\,r}\,\bigl(\max_{i \le t} \gamma_i\bigr)^{p}, \qquad
      c_{t+1} = \frac{w_{t+1}}{\sum_{i \le t+1} w_i} \\
    &y_t = (1 - \beta) z_t + \beta x_t
      \quad \text{(where the gradient is taken)} \\
    &z_{t+1} = z_t - \gamma_{t+1}\, d_t
      \quad \text{(the base step, from } y_t \text{)} \\
    &x_{t+1} = (1 - c_{t+1}) x_t + c_{t+1} z_{t+1}
      \quad \text{(a running average of the } z \text{: the point to evaluate)}
    \end{aligned}

with :math:`p` = ``weight_lr_power``, :math:`\beta` = ``betas[0]`` (AdamW) or ``momentum`` (SGD),
and :math:`d_t` the base method's step: :math:`g_t + \lambda y_t` for SGD, and for AdamW
:math:`g_t / (\sqrt{v_t / (1 - \beta_2^t)} + \epsilon) + \lambda y_t` with
:math:`v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2`.  With :math:`r = 0` and no warmup,
:math:`c_{t+1} = 1/(t+1)`: :math:`x` is the plain average of every :math:`z`, so no learning
rate schedule is needed (the averaging does what a decaying schedule does).  :math:`x` is never
stored: the parameters hold :math:`y` in train mode and :math:`x` in eval mode, and
:math:`x = (y - (1 - \beta) z)/\beta` recovers it.  In train mode a step updates :math:`y` in
place, :math:`y \leftarrow \operatorname{lerp}(y, z_t, c_{t+1}) + \gamma(\beta(1 - c_{t+1}) - 1) d_t`,
and then :math:`z`.

Why ``train()`` and ``eval()``: the gradients are taken at :math:`y`, but the good point is
:math:`x` (the average).  Call ``opt.train()`` before training steps and ``opt.eval()`` before
evaluating or saving a checkpoint; ``step()`` in eval mode raises, as the package's does.
A new optimizer starts in eval mode (``train_mode=False``).

Differences from the package, none in the numbers: course leaves ``p.grad`` as it was (the
package overwrites it with :math:`d_t`); a step is all-or-nothing (its Python numbers are
computed, and may raise, before any array moves); complex parameters are refused at a step.
"""
from __future__ import annotations

from ._lerp import lerp_
from .optimizer import Optimizer, _bump_version, flag, hyperparameter, is_complex, namespace, pair

__all__ = ["AdamWScheduleFree", "SGDScheduleFree"]

_NOT_TRAINING = ("Optimizer was not in train mode when step is called. "
                 "Please insert .train() and .eval() calls on the "
                 "optimizer. See documentation for details.")  # the package's words

# what every step reads or writes in a group, besides the base method's hyperparameters
# (checked at a step and at a load: the package checks none of them at construction)
_COMMON = (
    hyperparameter("lr"), hyperparameter("warmup_steps"), hyperparameter("r"),
    hyperparameter("weight_lr_power"),
    hyperparameter("k", lambda v: 0 <= v, "Invalid k value: {}", torch_checks=False),
    hyperparameter("weight_sum"), hyperparameter("lr_max"), flag("train_mode"),
)


class _ScheduleFree(Optimizer):
    """What the two share: the weights :math:`c_{t+1}`, the step and the train/eval switch."""

    def _beta(self, group) -> float:
        raise NotImplementedError

    def _state_spec(self, group):
        return {"z": "array"}

    @staticmethod
    def _numbers(group) -> dict:
        """This step's Python numbers for ``group``, as the package computes them (they can raise:
        ``0.0 ** -1``), and the group's counters after it."""
        k = group["k"]
        sched = (k + 1) / group["warmup_steps"] if k < group["warmup_steps"] else 1.0
        lr = group["lr"] * sched
        lr_max = max(lr, group["lr_max"])
        weight = ((k + 1) ** group["r"]) * (lr_max ** group["weight_lr_power"])
        weight_sum = group["weight_sum"] + weight
        try:
            ckp1 = weight / weight_sum
        except ZeroDivisionError:  # lr = 0: no weight yet
            ckp1 = 0
        return dict(k=k + 1, lr=lr, lr_max=lr_max, weight_sum=weight_sum, ckp1=ckp1)

    def step(self, closure=None):
        """One step of every parameter that has a grad (train mode only); returns ``closure()``'s loss.

        Every group's counters move, also in a group without grads, as in the package."""
        if not self.param_groups[0]["train_mode"]:  # the package looks at the first group only
            raise Exception(_NOT_TRAINING)
        loss, all_grads = self._start_step(closure)
        numbers = [self._numbers(g) for g in self.param_groups]  # may raise: nothing has moved
        undo = []
        try:
            for g_idx, (group, grads, s) in enumerate(zip(self.param_groups, all_grads, numbers)):
                for i, (p, grad) in enumerate(zip(group["params"], grads)):
                    if grad is None:
                        continue
                    if is_complex(p.data):
                        raise TypeError(f"parameter {i} of param group {g_idx} is complex: schedule-free "
                                        "optimizers take real parameters only")
                    state = self._state_for(p, group, undo)
                    _bump_version(p)
                    self._update(p.data, grad, state, group, s)
        except BaseException:
            self._undo(undo)
            raise
        for group, s in zip(self.param_groups, numbers):
            group["scheduled_lr"] = s["lr"]  # for logging, as the package
            group["lr_max"], group["weight_sum"], group["k"] = s["lr_max"], s["weight_sum"], s["k"]
        return loss

    def _switch(self, to_train: bool) -> None:
        # every weight first (1/beta can raise), then the parameters move
        weights = []
        for group in self.param_groups:
            beta = self._beta(group)
            weights.append(None if group["train_mode"] == to_train else (1 - beta if to_train else 1 - 1 / beta))
        for group, w in zip(self.param_groups, weights):
            if w is None:
                continue
            for p in group["params"]:
                z = self.state.get(p, {}).get("z")
                if z is not None:  # a parameter that never stepped has no z and stays where it is
                    _bump_version(p)
                    lerp_(p.data, z, w)
            group["train_mode"] = to_train

    def train(self) -> None:
        r"""Train mode: the parameters move from :math:`x` to :math:`y = (1 - \beta) z + \beta x`."""
        self._switch(True)

    def eval(self) -> None:
        r"""Eval mode: the parameters move from :math:`y` to :math:`x`, the average to evaluate."""
        self._switch(False)


def _between_0_and_1(v):
    return not (v <= 0 or v >= 1)  # the package's test: NaN passes


class AdamWScheduleFree(_ScheduleFree):
    r"""Schedule-free AdamW: Adam's normalized step, averaged instead of scheduled.

    The algorithm is in :mod:`course.optim.schedule_free` (:math:`\beta = \beta_1`):

    .. math::
        \begin{aligned}
        &\textbf{for } t = 1, 2, \dots: \\
        &\quad g_t \leftarrow \nabla f(y_{t-1}), \qquad
              v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        &\quad d_t \leftarrow g_t / \bigl(\sqrt{v_t / (1 - \beta_2^t)} + \epsilon\bigr) + \lambda y_{t-1} \\
        &\quad y_t \leftarrow (1 - c_t)\, y_{t-1} + c_t z_{t-1} + \gamma_t(\beta_1(1 - c_t) - 1)\, d_t \\
        &\quad z_t \leftarrow z_{t-1} - \gamma_t d_t
        \end{aligned}

    State: ``z`` (starts at the parameter) and ``exp_avg_sq`` (:math:`v`); the group keeps the
    counters ``k`` (steps taken), ``weight_sum``, ``lr_max`` and ``scheduled_lr``
    (:math:`\gamma_t`, for logging) and ``train_mode``.  There is no first moment: the
    interpolation :math:`y` plays its part.  Call ``train()`` before the steps and ``eval()``
    before evaluating or saving (see the module).  Defazio, Yang, Mehta, Mishchenko, Khaled and
    Cutkosky, "The Road Less Scheduled" (NeurIPS 2024); it won the self-tuning track of the
    AlgoPerf 2024 algorithms competition.

    Args:
        params: parameters or parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 0.0025).
        betas (tuple[float, float]): :math:`(\beta_1, \beta_2)`: the interpolation and the
            square average (default: (0.9, 0.999)).
        eps (float): added to the denominator (default: 1e-8).
        weight_decay (float): :math:`\lambda`, taken at :math:`y` (default: 0).
        warmup_steps (int): linear warmup of the lr over this many steps (default: 0).
        r (float): polynomial weighting :math:`t^r` of the average (default: 0).
        weight_lr_power (float): the average weighs each step by :math:`\gamma_{max}^p`
            (default: 2.0; 0: no lr weighting).
        foreach (bool): the package's implementation switch; it does not change the numbers
            (default: True).

    Example:
        >>> import numpy as np, course
        >>> p = course.Parameter(np.array([1.0]))
        >>> opt = AdamWScheduleFree([p], lr=0.1)
        >>> opt.train()                  # parameters at y, where the grads are taken
        >>> for _ in range(5):
        ...     p.grad = 2 * p.data      # d/dp of p**2
        ...     opt.step()
        >>> p.data.round(4)              # y
        array([0.6979])
        >>> opt.eval()                   # parameters at x, the average: evaluate here
        >>> p.data.round(4)
        array([0.7157])
        >>> opt.train()                  # back to y to train on
        >>> p.data.round(4)
        array([0.6979])
    """

    _hyperparameters = _COMMON + (
        pair("betas"), hyperparameter("eps"), hyperparameter("weight_decay"),
    )

    def __init__(self, params, lr: float = 0.0025, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, warmup_steps: int = 0, r: float = 0.0,
                 weight_lr_power: float = 2.0, foreach=True):
        defaults = dict(lr=lr, betas=betas, eps=eps, r=r, k=0, warmup_steps=warmup_steps, train_mode=False,
                        weight_sum=0.0, lr_max=-1.0, scheduled_lr=0.0, weight_lr_power=weight_lr_power,
                        weight_decay=weight_decay, foreach=foreach)
        self._check_arguments(defaults)
        super().__init__(params, defaults)

    def _beta(self, group):
        return group["betas"][0]

    def _state_spec(self, group):
        return {"z": "array", "exp_avg_sq": "array"}

    def _init_state(self, param, group):
        xp = namespace(param)
        return {"z": xp.asarray(param, copy=True), "exp_avg_sq": xp.zeros_like(param)}

    def _update(self, y, grad, state, group, s):
        xp = namespace(y)
        (beta1, beta2), eps, decay = group["betas"], group["eps"], group["weight_decay"]
        lr, ckp1 = s["lr"], s["ckp1"]
        bias_correction2 = 1 - beta2 ** s["k"]  # Python numbers first: they can raise
        y_step = lr * (beta1 * (1 - ckp1) - 1)
        z, exp_avg_sq = state["z"], state["exp_avg_sq"]
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        denom = xp.sqrt(exp_avg_sq / bias_correction2)
        denom += eps
        d = grad / denom
        if decay != 0:
            d += decay * y  # at y, before y moves
        lerp_(y, z, ckp1)
        y += y_step * d
        z -= lr * d


class SGDScheduleFree(_ScheduleFree):
    r"""Schedule-free SGD: the plain gradient step, averaged instead of scheduled.

    The algorithm is in :mod:`course.optim.schedule_free` (:math:`\beta` = ``momentum``):

    .. math::
        \begin{aligned}
        &\textbf{for } t = 1, 2, \dots: \\
        &\quad d_t \leftarrow \nabla f(y_{t-1}) + \lambda y_{t-1} \\
        &\quad y_t \leftarrow (1 - c_t)\, y_{t-1} + c_t z_{t-1} + \gamma_t(\beta(1 - c_t) - 1)\, d_t \\
        &\quad z_t \leftarrow z_{t-1} - \gamma_t d_t
        \end{aligned}

    State: ``z`` (starts at the parameter); the group keeps ``k``, ``weight_sum``, ``lr_max``,
    ``scheduled_lr`` and ``train_mode``.  The momentum is the interpolation
    :math:`y = (1 - \beta) z + \beta x`: no momentum buffer.  Call ``train()`` before the steps
    and ``eval()`` before evaluating or saving (see the module).  Defazio et al., "The Road Less
    Scheduled" (NeurIPS 2024).

    Args:
        params: parameters or parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 1.0).
        momentum (float): :math:`\beta`, strictly between 0 and 1 (default: 0.9).
        weight_decay (float): :math:`\lambda`, an L2 penalty taken at :math:`y` (default: 0).
        warmup_steps (int): linear warmup of the lr over this many steps (default: 0).
        r (float): polynomial weighting :math:`t^r` of the average (default: 0).
        weight_lr_power (float): the average weighs each step by :math:`\gamma_{max}^p` (default: 2).
        foreach (bool): the package's implementation switch; it does not change the numbers
            (default: True).

    Example:
        >>> import numpy as np, course
        >>> p = course.Parameter(np.array([1.0]))
        >>> opt = SGDScheduleFree([p], lr=0.1)
        >>> opt.train()
        >>> for _ in range(3):
        ...     p.grad = 2 * p.data      # d/dp of p**2
        ...     opt.step()
        >>> p.data.round(4)              # y
        array([0.631])
        >>> opt.eval()                   # x: the average of z_1, z_2, z_3
        >>> p.data.round(4)
        array([0.6459])
    """

    _hyperparameters = (
        hyperparameter("lr", lambda v: not v < 0.0, "Invalid learning rate: {}", range_at_step=False),
        hyperparameter("weight_decay", lambda v: not v < 0.0, "Invalid weight_decay value: {}"),
        hyperparameter("momentum", _between_0_and_1, "Momentum must be between 0 and 1 exclusive: {}"),
    ) + _COMMON[1:]

    def __init__(self, params, lr: float = 1.0, momentum: float = 0.9, weight_decay: float = 0,
                 warmup_steps: int = 0, r: float = 0.0, weight_lr_power: float = 2, foreach=True):
        defaults = dict(lr=lr, momentum=momentum, r=r, k=0, warmup_steps=warmup_steps, train_mode=False,
                        weight_sum=0.0, lr_max=-1.0, scheduled_lr=0.0, weight_lr_power=weight_lr_power,
                        weight_decay=weight_decay, foreach=foreach)
        self._check_arguments(defaults)
        super().__init__(params, defaults)

    def _beta(self, group):
        return group["momentum"]

    def _init_state(self, param, group):
        return {"z": namespace(param).asarray(param, copy=True)}

    def _update(self, y, grad, state, group, s):
        lr, ckp1, decay = s["lr"], s["ckp1"], group["weight_decay"]
        y_step = lr * (group["momentum"] * (1 - ckp1) - 1)
        z = state["z"]
        d = grad + decay * y if decay != 0 else grad
        lerp_(y, z, ckp1)
        y += y_step * d
        z -= lr * d
