r"""Checks for the exercises of notebook 06 (the optimizer zoo): one Lion step, one Adadelta step.

Each ``check_*`` runs your function on a few seeded cases (several steps each, with
different shapes and hyperparameters), compares every returned array with
``course.optim``, prints a verdict and returns True or False; a stub (raises
``NotImplementedError``, returns ``None`` or ``...``) gets "not implemented yet".

Example:
    >>> import numpy as np
    >>> def lion_step(param, grad, exp_avg, lr, beta1, beta2, weight_decay):
    ...     update = np.sign(beta1 * exp_avg + (1 - beta1) * grad)
    ...     param = param * (1 - lr * weight_decay) - lr * update
    ...     return param, beta2 * exp_avg + (1 - beta2) * grad
    >>> check_lion_step(lion_step)
    ✓ check_lion_step: all 3 cases match course.optim.Lion.
    True
    >>> def lion_step(param, grad, exp_avg, lr, beta1, beta2, weight_decay):
    ...     raise NotImplementedError
    >>> check_lion_step(lion_step)
    … check_lion_step: not implemented yet. Write your function, run its cell, then run this check again.
    False
"""
from __future__ import annotations

import numpy as np

from ... import optim
from ._checking import _arr, _as_tuple, _call, _make_cases, _reference, _run_checks, checker

__all__ = ["check_lion_step", "check_adadelta_step"]


def _close(a, b):
    return a is not None and np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-6)


@checker
def check_lion_step(fn) -> bool:
    r"""Check ``fn(param, grad, exp_avg, lr, beta1, beta2, weight_decay) -> (new_param, new_exp_avg)``:
    one Lion step (Chen et al., 2023), compared with ``course.optim.Lion`` over 4 steps per case.

    .. math::
        c = \beta_1 m + (1 - \beta_1) g, \quad
        \theta \leftarrow \theta (1 - \gamma\lambda) - \gamma\, \mathrm{sign}(c), \quad
        m \leftarrow \beta_2 m + (1 - \beta_2) g

    ``exp_avg`` starts as zeros.
    """
    hypers = [{"lr": 1e-4, "beta1": 0.9, "beta2": 0.99, "weight_decay": 0.0},
              {"lr": 0.01, "beta1": 0.95, "beta2": 0.98, "weight_decay": 0.1},
              {"lr": 0.3, "beta1": 0.5, "beta2": 0.9, "weight_decay": 1.0}]
    cases = _make_cases(hypers, seed=11, n_steps=4)

    def torch_hyper(h):
        return {"lr": h["lr"], "betas": (h["beta1"], h["beta2"]), "weight_decay": h["weight_decay"]}

    def learner(case):
        h = case["hyper"]
        p, m = case["param"].copy(), np.zeros_like(case["param"])
        for g in case["grads"]:
            res = _as_tuple(_call(fn, p.copy(), g.copy(), m.copy(), h["lr"], h["beta1"], h["beta2"],
                                  h["weight_decay"]), 2, "new_param, new_exp_avg")
            p, m = _arr(res[0]), _arr(res[1])
            yield {"param": p, "exp_avg": m}

    def diagnose(case, step, got):
        h = case["hyper"]
        ref = _reference(optim.Lion, torch_hyper(h), {"exp_avg": "exp_avg"}, case)
        before_m = np.zeros_like(case["param"]) if step == 1 else ref[step - 2]["exp_avg"]
        before_p = case["param"] if step == 1 else ref[step - 2]["param"]
        g = case["grads"][step - 1]
        decayed = before_p * (1 - h["lr"] * h["weight_decay"])
        m_new = h["beta2"] * before_m + (1 - h["beta2"]) * g
        if _close(got.get("param"), decayed - h["lr"] * np.sign(m_new)):
            return ("the sign uses beta1 (c = beta1*exp_avg + (1-beta1)*grad), computed from the OLD exp_avg; "
                    "exp_avg is updated with beta2 only after the step.")
        if _close(got.get("param"), decayed - h["lr"] * np.sign(h["beta1"] * before_m + (1 - h["beta1"]) * g)):
            return "the parameter is right; exp_avg is updated with beta2: exp_avg = beta2*exp_avg + (1-beta2)*grad."
        if h["weight_decay"] and _close(got.get("param"), before_p - h["lr"] * np.sign(
                h["beta1"] * before_m + (1 - h["beta1"]) * g)):
            return "weight decay is missing: first param *= 1 - lr*weight_decay (decoupled, as in AdamW)."
        return None

    return _run_checks("check_lion_step", "course.optim.Lion", cases, learner,
                       lambda c: _reference(optim.Lion, torch_hyper(c["hyper"]), {"exp_avg": "exp_avg"}, c),
                       "c = beta1*exp_avg + (1-beta1)*grad; param = param*(1 - lr*weight_decay) - lr*sign(c); "
                       "then exp_avg = beta2*exp_avg + (1-beta2)*grad.", diagnose)


@checker
def check_adadelta_step(fn) -> bool:
    r"""Check ``fn(param, grad, square_avg, acc_delta, lr, rho, eps) -> (new_param, new_square_avg,
    new_acc_delta)``: one Adadelta step, compared with ``course.optim.Adadelta`` over 4 steps per case.

    .. math::
        v \leftarrow \rho v + (1 - \rho) g^2, \quad
        \Delta = \frac{\sqrt{u + \epsilon}}{\sqrt{v + \epsilon}}\, g, \quad
        u \leftarrow \rho u + (1 - \rho) \Delta^2, \quad
        \theta \leftarrow \theta - \gamma \Delta

    ``square_avg`` (:math:`v`) and ``acc_delta`` (:math:`u`) start as zeros.
    """
    hypers = [{"lr": 1.0, "rho": 0.9, "eps": 1e-6}, {"lr": 0.5, "rho": 0.95, "eps": 1e-3},
              {"lr": 2.0, "rho": 0.5, "eps": 0.1}]
    cases = _make_cases(hypers, seed=12, n_steps=4)
    keys = {"square_avg": "square_avg", "acc_delta": "acc_delta"}

    def learner(case):
        h = case["hyper"]
        p, v, u = case["param"].copy(), np.zeros_like(case["param"]), np.zeros_like(case["param"])
        for g in case["grads"]:
            res = _as_tuple(_call(fn, p.copy(), g.copy(), v.copy(), u.copy(), h["lr"], h["rho"], h["eps"]), 3,
                            "new_param, new_square_avg, new_acc_delta")
            p, v, u = (_arr(r) for r in res)
            yield {"param": p, "square_avg": v, "acc_delta": u}

    def diagnose(case, step, got):
        h = case["hyper"]
        ref = _reference(optim.Adadelta, h, keys, case)
        before_p = case["param"] if step == 1 else ref[step - 2]["param"]
        before_u = np.zeros_like(before_p) if step == 1 else ref[step - 2]["acc_delta"]
        v, g, eps = ref[step - 1]["square_avg"], case["grads"][step - 1], h["eps"]
        outside = (np.sqrt(before_u) + eps) / (np.sqrt(v) + eps) * g
        if _close(got.get("param"), before_p - h["lr"] * outside):
            return "in Adadelta eps goes INSIDE both square roots: sqrt(acc_delta + eps) / sqrt(square_avg + eps)."
        if _close(got.get("param"), before_p - (np.sqrt(before_u + eps) / np.sqrt(v + eps)) * g) and h["lr"] != 1:
            return "torch's Adadelta multiplies the update by lr: param -= lr * delta."
        return None

    return _run_checks("check_adadelta_step", "course.optim.Adadelta", cases, learner,
                       lambda c: _reference(optim.Adadelta, c["hyper"], keys, c),
                       "square_avg = rho*square_avg + (1-rho)*grad**2; delta = sqrt(acc_delta + eps) / "
                       "sqrt(square_avg + eps) * grad (the OLD acc_delta); acc_delta = rho*acc_delta + "
                       "(1-rho)*delta**2; param -= lr*delta.", diagnose)
