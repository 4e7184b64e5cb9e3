"""Checks for the scheduler exercises: your closed form against the real scheduler."""
from __future__ import annotations

import numpy as np

from .. import optim
from ..tensor import Parameter
from ._checking import _call, _run_checks

__all__ = ["check_step_lr", "check_cosine_lr"]



# ------------------------------------------------------ 07: schedulers
def _lr_curve(make, base_lr, n):
    p = Parameter(np.zeros(1))
    opt = optim.SGD([p], lr=base_lr)
    sched = make(opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def check_step_lr(fn) -> bool:
    r"""Check ``fn(base_lr, epoch, step_size, gamma) -> lr``: StepLR's closed form,
    :math:`\gamma_0 \cdot \text{gamma}^{\lfloor \text{epoch} / \text{step\_size} \rfloor}`, for epochs 0..39,
    against the lrs ``course.optim.lr_scheduler.StepLR`` gives.
    """
    from ..optim.lr_scheduler import StepLR

    cases = [{"param": None, "grads": [None], "hyper": h} for h in
             ({"base_lr": 0.1, "step_size": 10, "gamma": 0.1}, {"base_lr": 1.0, "step_size": 3, "gamma": 0.5},
              {"base_lr": 0.05, "step_size": 1, "gamma": 0.9})]

    def learner(case):
        h = case["hyper"]
        yield {"lr": np.array([float(_call(fn, h["base_lr"], e, h["step_size"], h["gamma"])) for e in range(40)])}

    def reference(case):
        h = case["hyper"]
        return [{"lr": np.array(_lr_curve(lambda o: StepLR(o, h["step_size"], h["gamma"]), h["base_lr"], 40))}]

    return _run_checks("check_step_lr", "course.optim.lr_scheduler.StepLR", cases, learner, reference,
                       "lr = base_lr * gamma ** (epoch // step_size): the first decay is at epoch step_size.")


def check_cosine_lr(fn) -> bool:
    r"""Check ``fn(base_lr, epoch, T_max, eta_min) -> lr``: cosine annealing,
    :math:`\eta_{min} + (\gamma_0 - \eta_{min})(1 + \cos(\pi\, \text{epoch} / T_{max})) / 2` for
    epochs 0..T_max, against ``course.optim.lr_scheduler.CosineAnnealingLR``.
    """
    from ..optim.lr_scheduler import CosineAnnealingLR

    cases = [{"param": None, "grads": [None], "hyper": h} for h in
             ({"base_lr": 0.1, "T_max": 10, "eta_min": 0.0}, {"base_lr": 1.0, "T_max": 25, "eta_min": 0.1},
              {"base_lr": 0.05, "T_max": 3, "eta_min": 0.001})]

    def learner(case):
        h = case["hyper"]
        yield {"lr": np.array([float(_call(fn, h["base_lr"], e, h["T_max"], h["eta_min"]))
                               for e in range(h["T_max"] + 1)])}

    def reference(case):
        h = case["hyper"]
        return [{"lr": np.array(_lr_curve(lambda o: CosineAnnealingLR(o, h["T_max"], h["eta_min"]), h["base_lr"],
                                          h["T_max"] + 1))}]

    return _run_checks("check_cosine_lr", "course.optim.lr_scheduler.CosineAnnealingLR", cases, learner, reference,
                       "lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2.")
