r"""Weight averaging, as ``torch.optim.swa_utils``: SWA and EMA models, the SWA lr schedule.

Averaging the weights that SGD visits late in training lands nearer the middle of the region
the iterates bounce around in (the noise ball of notebook 02) than any single iterate:

.. math::
    \text{SWA:}\quad \bar\theta_{n+1} = \bar\theta_n + \frac{\theta - \bar\theta_n}{n + 1}
    \qquad\qquad
    \text{EMA:}\quad \bar\theta \leftarrow \operatorname{lerp}(\bar\theta, \theta, 1 - \text{decay})

* :class:`AveragedModel` keeps a copy of a model and averages into it at each
  ``update_parameters(model)`` (SWA by default; EMA through :func:`get_ema_multi_avg_fn`).
* :class:`SWALR` anneals every group's lr to ``swa_lr`` over ``anneal_epochs``, then holds it.
* :func:`update_bn` recomputes batch-norm statistics for the averaged weights.

Izmailov et al., "Averaging Weights Leads to Wider Optima and Better Generalization" (UAI 2018);
Polyak and Juditsky, "Acceleration of Stochastic Approximation by Averaging" (1992).
"""
from __future__ import annotations

import copy
import itertools
import math

import numpy as np

from .. import backend
from ..nn.module import Module
from ..tensor import Tensor, no_grad
from ._lerp import lerp_
from .lr_scheduler.base import LRScheduler, format_param

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn",
           "get_ema_avg_fn", "get_swa_avg_fn"]


def _is_float(a) -> bool:
    return a.dtype.kind in "fc" if hasattr(a.dtype, "kind") else "float" in str(a.dtype)


def _check_decay(decay) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def get_ema_multi_avg_fn(decay: float = 0.999):
    """``fn(averaged, current, n)``: EMA of lists of arrays, in place, with torch's lerp."""
    _check_decay(decay)

    def ema_update(ema_params, current_params, num_averaged) -> None:
        if _is_float(ema_params[0]):
            for a, c in zip(ema_params, current_params):
                lerp_(a, c, 1 - decay)
        else:
            for a, c in zip(ema_params, current_params):
                a[...] = a * decay + c * (1 - decay)

    return ema_update


def get_swa_multi_avg_fn():
    """``fn(averaged, current, n)``: the running mean of lists of arrays, in place.

    As torch, it lerps with the weight ``1 / (n + 1)`` computed in float32 (torch divides by
    its long counter, which gives a float32 tensor), so even a float64 average is off the exact
    mean by about 1e-8 relative.  :class:`AveragedModel`'s default divides exactly.
    """

    def swa_update(averaged_params, current_params, num_averaged) -> None:
        weight = float(np.float32(1.0) / np.float32(num_averaged + 1))  # torch's float32 division
        for a, c in zip(averaged_params, current_params):
            if _is_float(a):
                lerp_(a, c, weight)
            else:
                a[...] = a + (c - a) / (num_averaged + 1)

    return swa_update


def get_ema_avg_fn(decay: float = 0.999):
    """``fn(averaged, current, n) -> new average``: EMA of one array."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """``fn(averaged, current, n) -> new average``: the running mean of one array."""

    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    r"""A copy of ``model`` whose weights are the average of the weights it was shown.

    Args:
        model (Module): the model to average (deep-copied at construction).
        device: accepted for torch's signature; must be None (course has no devices).
        avg_fn: ``fn(averaged, current, n) -> new average`` per array (default: the SWA mean).
        multi_avg_fn: ``fn(averaged_list, current_list, n)`` that updates lists in place
            (e.g. :func:`get_ema_multi_avg_fn`); only one of the two may be given.
        use_buffers (bool): average the buffers too; otherwise copy them (default: False).

    The functions get arrays and ``n``, the number of models averaged so far, as an int.
    On the CPU torch's default is ``avg + (current - avg) / (n + 1)``, and so is course's.

    Example:
        >>> import numpy as np
        >>> from course import nn
        >>> model = nn.Linear(2, 1)
        >>> swa = AveragedModel(model)
        >>> for w in (1.0, 2.0, 6.0):
        ...     model.weight.data[...] = w
        ...     swa.update_parameters(model)
        >>> swa.module.weight.data, int(swa.n_averaged.item())
        (array([[3., 3.]], dtype=float32), 3)
    """

    def __init__(self, model: Module, device=None, avg_fn=None, multi_avg_fn=None, use_buffers: bool = False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        if device is not None:
            raise ValueError(f"device must be None: course keeps arrays where the model has them, got {device!r}")
        self.module = copy.deepcopy(model)
        first = next(iter(model.parameters()), None)
        xp = backend.namespace(first.data) if first is not None else backend.get()
        self.register_buffer("n_averaged", Tensor(xp.asarray(0, dtype=xp.int64)))  # torch's long counter
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Average ``model``'s current weights into this one (the first call copies them)."""
        if self.use_buffers:
            mine = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            theirs = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            mine, theirs = list(self.module.parameters()), list(model.parameters())
        n = int(self.n_averaged.item())
        averaged = [p.data for p in mine]
        current = [p.data for p in theirs][:len(averaged)]
        averaged = averaged[:len(current)]
        with no_grad():
            if n == 0:
                for a, c in zip(averaged, current):
                    a[...] = c
            elif self.avg_fn is None:
                (self.multi_avg_fn or _default_multi_avg)(averaged, current, n)
            else:
                for a, c in zip(averaged, current):
                    a[...] = self.avg_fn(a, c, n)
            if not self.use_buffers:
                for b_avg, b_model in zip(self.module.buffers(), model.buffers()):
                    b_avg.data[...] = b_model.data
        for p in mine:
            p._version += 1
        self.n_averaged.data[...] = n + 1


def _default_multi_avg(averaged, current, n) -> None:
    """torch's default on the CPU (where it has no foreach kernels): ``a + (c - a) / (n + 1)``."""
    swa = get_swa_avg_fn()
    for a, c in zip(averaged, current):
        a[...] = swa(a, c, n)


def update_bn(loader, model: Module, device=None) -> None:
    """Recompute the running statistics of every batch-norm layer of ``model`` over ``loader``.

    After :class:`AveragedModel`, the averaged weights never produced the activations whose
    statistics batch norm stored, so they are recomputed with one pass over the data: every
    layer with ``reset_running_stats()`` and a ``momentum`` (torch's batch-norm layers) is
    reset, its momentum set to None (a cumulative average), the model run in train mode on
    each batch (its first element, for ``(inputs, targets)`` batches), then everything is put
    back.  A model without such a layer is left as it is.
    """
    if device is not None:
        raise ValueError(f"device must be None: course keeps arrays where the model has them, got {device!r}")
    momenta = {}
    for module in model.modules():
        if callable(getattr(module, "reset_running_stats", None)) and hasattr(module, "momentum"):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    try:
        with no_grad():
            for batch in loader:
                if isinstance(batch, (list, tuple)):
                    batch = batch[0]
                model(batch)
    finally:
        for module, momentum in momenta.items():
            module.momentum = momentum
        model.train(was_training)


class SWALR(LRScheduler):
    r"""Anneal each group's lr from its value to ``swa_lr`` over ``anneal_epochs``, then hold it.

    .. math::
        \eta_t = \alpha_t\, \eta_{swa} + (1 - \alpha_t)\, \eta_{start}, \qquad
        \alpha_t = \begin{cases} (1 - \cos(\pi t / T)) / 2 & \text{cos} \\ t / T & \text{linear}
        \end{cases}, \quad t \le T

    Args:
        optimizer: wrapped optimizer.
        swa_lr (float or list): the lr to anneal to, one per group or one for all.
        anneal_epochs (int): T, the number of epochs of annealing (default: 10).
        anneal_strategy (str): ``"cos"`` (default) or ``"linear"``.
        last_epoch (int): index of the last epoch (default: -1).

    Example:
        >>> from course.optim.lr_scheduler import simulate
        >>> lrs = simulate(lambda o: SWALR(o, swa_lr=0.01, anneal_epochs=4, anneal_strategy="linear"), 6, lr=0.05)
        >>> [round(float(x), 3) for x in lrs]
        [0.05, 0.04, 0.03, 0.02, 0.01, 0.01]
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs: int = 10, anneal_strategy: str = "cos",
                 last_epoch: int = -1) -> None:
        swa_lrs = format_param("swa_lr", optimizer, swa_lr)
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        for value, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = value
        self._anneal_strategy = anneal_strategy
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def anneal_func(self, t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2 if self._anneal_strategy == "cos" else t

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list:
        self._warn_if_get_lr_called_directly()
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(self.optimizer.param_groups, prev_lrs)]
