"""Checks for the exercises: your function against the reference, ``course.optim``, on several cases.

Each ``check_*`` runs your function on a few seeded cases (several steps each, with
different shapes and hyperparameters), compares every returned array with what
``course.optim`` computes, prints a verdict and returns True or False:

* all cases agree: ``"✓ ... all N cases match"``;
* a case differs: which case and step, expected against got, and a hint (for a few
  classic mistakes, a hint that names the mistake);
* your function is still a stub (raises ``NotImplementedError``, returns ``None`` or
  ``...``): ``"not implemented yet"``, never a traceback.

Every function works on NumPy arrays (float64) and Python floats, and must not rely on
being called with the same array objects twice: return the new values.

Example:
    >>> def my_gd_step(param, grad, lr):
    ...     return param - lr * grad
    >>> check_gd_step(my_gd_step)
    ✓ check_gd_step: all 3 cases match course.optim.SGD.
    True
    >>> def my_gd_step(param, grad, lr):
    ...     raise NotImplementedError
    >>> check_gd_step(my_gd_step)
    … check_gd_step: not implemented yet. Write your function, run its cell, then run this check again.
    False
"""
from __future__ import annotations

import math

import numpy as np

from ... import optim
from ._checking import _arr, _as_tuple, _call, _make_cases, _reference, _run_checks, _scalar, checker

__all__ = ['check_gd_step', 'check_stable_lr', 'check_momentum_step', 'check_nesterov_step', 'check_optimal_momentum', 'check_adagrad_step', 'check_rmsprop_step', 'check_adam_step', 'check_adamw_step']

# -------------------------------------------------------------- 01: GD
@checker
def check_gd_step(fn) -> bool:
    r"""Check ``fn(param, grad, lr) -> new_param``, one step of gradient descent
    :math:`\theta \leftarrow \theta - \gamma g`, against ``course.optim.SGD``.
    """
    cases = _make_cases([{"lr": 0.1}, {"lr": 0.5}, {"lr": 1e-3}], seed=1)

    def learner(case):
        p = case["param"].copy()
        for g in case["grads"]:
            p = _arr(_call(fn, p.copy(), g.copy(), case["hyper"]["lr"]))
            yield {"param": p}

    return _run_checks("check_gd_step", "course.optim.SGD", cases, learner,
                       lambda c: _reference(optim.SGD, c["hyper"], {}, c),
                       "a step moves *against* the gradient: param - lr * grad.")


@checker
def check_stable_lr(fn) -> bool:
    r"""Check ``fn(hessian) -> float``: the largest stable lr of gradient descent on
    :math:`\tfrac12 \theta^T H \theta` (H a symmetric positive definite NumPy matrix), i.e.
    :math:`2 / L` with :math:`L` the largest eigenvalue.
    """
    rng = np.random.default_rng(2)
    cases = []
    for n, scale in ((2, 1.0), (3, 10.0), (4, 0.1)):
        q, _ = np.linalg.qr(rng.normal(size=(n, n)))
        h = q @ np.diag(scale * rng.uniform(0.1, 1.0, size=n)) @ q.T
        cases.append({"param": None, "grads": [None], "hessian": (h + h.T) / 2,
                      "hyper": {"n": n, "scale": scale}})

    def learner(case):
        yield {"lr": _scalar(_call(fn, case["hessian"].copy()))}

    def reference(case):
        return [{"lr": 2.0 / float(np.max(np.linalg.eigvalsh(case["hessian"])))}]

    def diagnose(case, step, got):
        eig = np.linalg.eigvalsh(case["hessian"])
        lr = got.get("lr")
        if lr is not None and math.isclose(lr, 1.0 / eig[-1], rel_tol=1e-6):
            return "1/L is the best lr along the steepest direction, not the limit: the limit is 2/L."
        if lr is not None and math.isclose(lr, 2.0 / eig[0], rel_tol=1e-6):
            return "use the largest eigenvalue L (the steepest direction), not the smallest."
        return None

    return _run_checks("check_stable_lr", "2 / max(eigvalsh(H))", cases, learner, reference,
                       "GD multiplies the error along eigenvalue h by (1 - lr*h); |1 - lr*h| < 1 for every h "
                       "means lr < 2/L (np.linalg.eigvalsh gives the eigenvalues).", diagnose)


# ----------------------------------------------------------- 03: momentum
def _momentum_like(name, fn, nesterov):
    hypers = [{"lr": 0.1, "momentum": 0.9}, {"lr": 0.01, "momentum": 0.5}, {"lr": 0.3, "momentum": 0.99}]
    cases = _make_cases(hypers, seed=3 + nesterov, n_steps=4)

    def learner(case):
        h = case["hyper"]
        p, buf = case["param"].copy(), np.zeros_like(case["param"])
        for g in case["grads"]:
            res = _as_tuple(_call(fn, p.copy(), g.copy(), buf.copy(), h["lr"], h["momentum"]), 2,
                            "new_param, new_buf")
            p, buf = _arr(res[0]), _arr(res[1])
            yield {"param": p, "buf": buf}

    def diagnose(case, step, got):
        ref = _reference(optim.SGD, {**case["hyper"], "nesterov": nesterov}, {"buf": "momentum_buffer"}, case)
        buf = got.get("buf")
        if buf is not None and np.shape(buf) == ref[step - 1]["buf"].shape and np.allclose(
                np.asarray(buf) / -case["hyper"]["lr"], ref[step - 1]["buf"], rtol=1e-6):
            return ("your buffer is Sutskever's v = momentum*v - lr*grad. torch keeps buf = momentum*buf + grad "
                    "and steps param -= lr*buf: equal only while lr is constant.")
        return None

    hint = ("buf = momentum*buf + grad, then param -= lr*" + ("(grad + momentum*buf)" if nesterov else "buf")
            + " (torch's convention; buf starts at zeros, so the first buf is grad).")
    return _run_checks(name, "course.optim.SGD" + (" (nesterov=True)" if nesterov else ""), cases, learner,
                       lambda c: _reference(optim.SGD, {**c["hyper"], "nesterov": nesterov},
                                            {"buf": "momentum_buffer"}, c), hint, diagnose)


@checker
def check_momentum_step(fn) -> bool:
    r"""Check ``fn(param, grad, buf, lr, momentum) -> (new_param, new_buf)``: heavy-ball momentum
    in torch's convention, :math:`b \leftarrow \mu b + g,\ \theta \leftarrow \theta - \gamma b`.

    ``buf`` starts as zeros (the same as torch's first step ``buf = grad``, with dampening 0).
    Compared with ``course.optim.SGD(momentum=...)`` over 4 steps per case.
    """
    return _momentum_like("check_momentum_step", fn, nesterov=False)


@checker
def check_nesterov_step(fn) -> bool:
    r"""Check ``fn(param, grad, buf, lr, momentum) -> (new_param, new_buf)``: Nesterov momentum
    in torch's form, :math:`b \leftarrow \mu b + g,\ \theta \leftarrow \theta - \gamma (g + \mu b)`.

    ``buf`` starts as zeros.  Compared with ``course.optim.SGD(momentum=..., nesterov=True)``.
    """
    return _momentum_like("check_nesterov_step", fn, nesterov=True)


@checker
def check_optimal_momentum(fn) -> bool:
    r"""Check ``fn(L, mu) -> (lr, momentum)``: the best heavy-ball pair on a quadratic with
    Hessian eigenvalues in :math:`[\mu, L]`, in torch's convention:
    :math:`\gamma^* = (2 / (\sqrt L + \sqrt\mu))^2`, :math:`\beta^* = ((\sqrt\kappa - 1)/(\sqrt\kappa + 1))^2`.
    """
    from ..rates import optimal_momentum

    cases = [{"param": None, "grads": [None], "hyper": {"L": L, "mu": mu}}
             for L, mu in ((1.0, 0.01), (10.0, 1.0), (2.0, 0.002))]

    def learner(case):
        res = _as_tuple(_call(fn, case["hyper"]["L"], case["hyper"]["mu"]), 2, "lr, momentum")
        yield {"lr": _scalar(res[0]), "momentum": _scalar(res[1])}

    def reference(case):
        opt = optimal_momentum(case["hyper"]["L"], case["hyper"]["mu"])
        return [{"lr": opt.lr, "momentum": opt.momentum}]

    return _run_checks("check_optimal_momentum", "course.classroom.rates.optimal_momentum", cases, learner, reference,
                       "with kappa = L/mu: lr = (2 / (sqrt(L) + sqrt(mu)))**2 and "
                       "momentum = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))**2.")


# ---------------------------------------------------- 04: Adagrad, RMSprop
@checker
def check_adagrad_step(fn) -> bool:
    r"""Check ``fn(param, grad, state_sum, lr, eps) -> (new_param, new_state_sum)``: Adagrad,
    :math:`s \leftarrow s + g^2,\ \theta \leftarrow \theta - \gamma g / (\sqrt s + \epsilon)`.

    ``state_sum`` starts as zeros.  Compared with ``course.optim.Adagrad`` (lr_decay 0).
    """
    hypers = [{"lr": 0.1, "eps": 1e-10}, {"lr": 0.5, "eps": 1e-3}, {"lr": 0.01, "eps": 0.5}]
    cases = _make_cases(hypers, seed=5)

    def learner(case):
        h = case["hyper"]
        p, s = case["param"].copy(), np.zeros_like(case["param"])
        for g in case["grads"]:
            res = _as_tuple(_call(fn, p.copy(), g.copy(), s.copy(), h["lr"], h["eps"]), 2, "new_param, new_state_sum")
            p, s = _arr(res[0]), _arr(res[1])
            yield {"param": p, "state_sum": s}

    return _run_checks("check_adagrad_step", "course.optim.Adagrad", cases, learner,
                       lambda c: _reference(optim.Adagrad, c["hyper"], {"state_sum": "sum"}, c),
                       "state_sum += grad**2; param -= lr * grad / (sqrt(state_sum) + eps) (eps outside the root).")


@checker
def check_rmsprop_step(fn) -> bool:
    r"""Check ``fn(param, grad, square_avg, lr, alpha, eps) -> (new_param, new_square_avg)``: RMSprop,
    :math:`v \leftarrow \alpha v + (1 - \alpha) g^2,\ \theta \leftarrow \theta - \gamma g / (\sqrt v + \epsilon)`.

    ``square_avg`` starts as zeros.  Compared with ``course.optim.RMSprop`` (no momentum, not centered).
    """
    hypers = [{"lr": 0.01, "alpha": 0.99, "eps": 1e-8}, {"lr": 0.1, "alpha": 0.9, "eps": 1e-3},
              {"lr": 0.05, "alpha": 0.5, "eps": 0.1}]
    cases = _make_cases(hypers, seed=6)

    def learner(case):
        h = case["hyper"]
        p, v = case["param"].copy(), np.zeros_like(case["param"])
        for g in case["grads"]:
            res = _as_tuple(_call(fn, p.copy(), g.copy(), v.copy(), h["lr"], h["alpha"], h["eps"]), 2,
                            "new_param, new_square_avg")
            p, v = _arr(res[0]), _arr(res[1])
            yield {"param": p, "square_avg": v}

    def diagnose(case, step, got):
        h = case["hyper"]
        ref = _reference(optim.RMSprop, h, {"square_avg": "square_avg"}, case)
        v = ref[step - 1]["square_avg"]
        before = case["param"] if step == 1 else ref[step - 2]["param"]
        inside = before - h["lr"] * case["grads"][step - 1] / np.sqrt(v + h["eps"])
        p = got.get("param")
        if p is not None and np.shape(p) == inside.shape and np.allclose(p, inside, rtol=1e-6):
            return "eps goes outside the square root in torch: sqrt(square_avg) + eps."
        return None

    return _run_checks("check_rmsprop_step", "course.optim.RMSprop", cases, learner,
                       lambda c: _reference(optim.RMSprop, c["hyper"], {"square_avg": "square_avg"}, c),
                       "square_avg = alpha*square_avg + (1 - alpha)*grad**2; "
                       "param -= lr * grad / (sqrt(square_avg) + eps).", diagnose)


# ------------------------------------------------------------- 05: Adam
def _adam_like(name, fn, decoupled):
    hypers = [{"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
              {"lr": 0.1, "beta1": 0.8, "beta2": 0.99, "eps": 1e-3},
              {"lr": 0.05, "beta1": 0.0, "beta2": 0.9, "eps": 0.1}]
    if decoupled:
        for h, wd in zip(hypers, (0.01, 0.1, 0.5)):
            h["weight_decay"] = wd
    cases = _make_cases(hypers, seed=7 + decoupled, n_steps=4)
    cls = optim.AdamW if decoupled else optim.Adam
    keys = {"exp_avg": "exp_avg", "exp_avg_sq": "exp_avg_sq"}

    def torch_hyper(h):
        h = dict(h)
        h["betas"] = (h.pop("beta1"), h.pop("beta2"))
        if not decoupled:
            h["weight_decay"] = 0.0
        return h

    def learner(case):
        h = case["hyper"]
        p, m, v = case["param"].copy(), np.zeros_like(case["param"]), np.zeros_like(case["param"])
        for t, g in enumerate(case["grads"], 1):
            args = [p.copy(), g.copy(), m.copy(), v.copy(), t, h["lr"], h["beta1"], h["beta2"], h["eps"]]
            if decoupled:
                args.append(h["weight_decay"])
            res = _as_tuple(_call(fn, *args), 3, "new_param, new_exp_avg, new_exp_avg_sq")
            p, m, v = (_arr(r) for r in res)
            yield {"param": p, "exp_avg": m, "exp_avg_sq": v}

    def diagnose(case, step, got):
        h = case["hyper"]
        ref = _reference(cls, torch_hyper(h), keys, case)
        m, v = ref[step - 1]["exp_avg"], ref[step - 1]["exp_avg_sq"]
        before = case["param"] if step == 1 else ref[step - 2]["param"]
        base = before * (1 - h["lr"] * h.get("weight_decay", 0.0))
        b1, b2 = 1 - h["beta1"] ** step, 1 - h["beta2"] ** step
        p = got.get("param")
        if p is None or np.shape(p) != base.shape:
            return None
        variants = {
            "bias correction is missing: divide exp_avg by (1 - beta1**step) and exp_avg_sq by (1 - beta2**step).":
                base - h["lr"] * m / (np.sqrt(v) + h["eps"]),
            "eps sits outside the square root in torch: sqrt(exp_avg_sq / (1 - beta2**step)) + eps.":
                base - h["lr"] * (m / b1) / np.sqrt(v / b2 + h["eps"]),
        }
        if decoupled:
            l2 = _reference(optim.Adam, torch_hyper(h), keys, case)[step - 1]["param"] if step == 1 else None
            variants["AdamW decays the weights first, param *= 1 - lr*weight_decay, instead of adding "
                     "weight_decay*param to the grad (that is Adam's L2 penalty)."] = l2
        for msg, cand in variants.items():
            if cand is not None and np.allclose(p, cand, rtol=1e-6):
                return msg
        return None

    hint = ("exp_avg = beta1*exp_avg + (1-beta1)*grad; exp_avg_sq = beta2*exp_avg_sq + (1-beta2)*grad**2; "
            "param -= lr * (exp_avg/(1-beta1**step)) / (sqrt(exp_avg_sq/(1-beta2**step)) + eps)")
    if decoupled:
        hint = "first param *= 1 - lr*weight_decay, then the Adam step: " + hint
    return _run_checks(name, f"course.optim.{cls.__name__}", cases, learner,
                       lambda c: _reference(cls, torch_hyper(c["hyper"]), keys, c), hint, diagnose)


@checker
def check_adam_step(fn) -> bool:
    r"""Check ``fn(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps)
    -> (new_param, new_exp_avg, new_exp_avg_sq)``: one Adam step.

    ``step`` is the number of this step, starting at 1; ``exp_avg`` and ``exp_avg_sq`` start
    as zeros.  Compared with ``course.optim.Adam`` over 4 steps per case:

    .. math::
        m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad v \leftarrow \beta_2 v + (1 - \beta_2) g^2, \quad
        \theta \leftarrow \theta - \gamma \frac{m / (1 - \beta_1^t)}{\sqrt{v / (1 - \beta_2^t)} + \epsilon}
    """
    return _adam_like("check_adam_step", fn, decoupled=False)


@checker
def check_adamw_step(fn) -> bool:
    r"""Check ``fn(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay)
    -> (new_param, new_exp_avg, new_exp_avg_sq)``: one AdamW step, the decoupled decay
    :math:`\theta \leftarrow \theta (1 - \gamma\lambda)` first, then Adam's step.

    Compared with ``course.optim.AdamW`` over 4 steps per case.
    """
    return _adam_like("check_adamw_step", fn, decoupled=True)
