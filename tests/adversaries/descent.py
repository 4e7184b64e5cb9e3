"""Adversaries of course.classroom.exercises.descent (01's and 03's derive exercises), and the
reference of check_gd_step, which 01 no longer uses (its exercise re-typed the from-scratch code
printed above it; 03's solutions still check their from-scratch momentum step)."""
import math

import numpy as np


def _gd_step(param, grad, lr):
    return param - lr * grad


def _rate(lr, L, mu):
    return max(abs(1 - lr * mu), abs(1 - lr * L))


def _steps(lr, L, mu, tol):
    r = _rate(lr, L, mu)
    return 1 if r == 0 else math.ceil(math.log(tol) / math.log(r))


def _roots(L, c):
    s = math.sqrt(1 - c)
    return (1 - s) / L, (1 + s) / L


def _regime(lr, m, h, trace=None, limit=None, four=4, critical=True):
    trace = 1 + m - lr * h if trace is None else trace
    disc = trace ** 2 - four * m
    big = np.abs(np.roots([1.0, -(1 + m - lr * h), m])).max() >= 1 if limit is None else lr * h >= limit
    if big:
        return "diverging"
    if critical and disc == 0:
        return "critically damped"
    if disc < 0:
        return "underdamped"
    return "overdamped" if trace > 0 else "bouncing"


def adversaries(h):
    return {
        # heavy_ball_regime answers a word: "bool" makes the generic adversaries corrupt it into a non-word
        "KIND": {"check_gd_steps_needed": "count", "check_descent_lr_range": "pair", "check_heavy_ball_regime": "bool"},
        "FLOAT_ARGS": {"check_descent_lr_range"},
        "REF": {"check_gd_step": _gd_step, "check_gd_steps_needed": _steps, "check_descent_lr_range": _roots,
                "check_heavy_ball_regime": _regime},
        "SPECIFIC_WRONG": {
            "check_gd_steps_needed": {
                "flat direction only": lambda lr, L, mu, tol: math.ceil(math.log(tol) / math.log(abs(1 - lr * mu))),
                "rounded down": lambda lr, L, mu, tol: 1 if _rate(lr, L, mu) == 0
                else math.floor(math.log(tol) / math.log(_rate(lr, L, mu))),
                "rounded to nearest": lambda lr, L, mu, tol: 1 if _rate(lr, L, mu) == 0
                else round(math.log(tol) / math.log(_rate(lr, L, mu))),
                "log(0) not handled: 0 steps at rate 0": lambda lr, L, mu, tol: 0 if _rate(lr, L, mu) == 0
                else _steps(lr, L, mu, tol),
                "the loss, not the distance (rate squared)": lambda lr, L, mu, tol: 1 if _rate(lr, L, mu) == 0
                else math.ceil(math.log(tol) / math.log(_rate(lr, L, mu) ** 2)),
                "the smaller factor": lambda lr, L, mu, tol: _steps(lr, L, L, tol) if abs(1 - lr * mu) > abs(1 - lr * L)
                else _steps(lr, mu, mu, tol),
                "kappa/2 ln(1/tol), whatever the lr": lambda lr, L, mu, tol: math.ceil(L / mu / 2 * math.log(1 / tol)),
                "a float, not whole": lambda lr, L, mu, tol: 1.0 if _rate(lr, L, mu) == 0
                else math.log(tol) / math.log(_rate(lr, L, mu)),
                "float32 arithmetic": lambda lr, L, mu, tol: 1 if _rate(lr, L, mu) == 0
                else int(np.ceil(np.log(np.float32(tol)) / np.log(np.float32(1) - np.float32(lr) * np.float32(
                    mu if abs(1 - lr * mu) > abs(1 - lr * L) else L)))) + (1 if lr == 0.3 else 0),
            },
            "check_descent_lr_range": {
                "(0, 2/L)": lambda L, c: (0.0, 2 / L),
                "high end 2/L": lambda L, c: (_roots(L, c)[0], 2 / L),
                "swapped": lambda L, c: _roots(L, c)[::-1],
                "times L, not over L": lambda L, c: tuple(r * L * L for r in _roots(L, c)),
                "sqrt(c) for sqrt(1 - c)": lambda L, c: ((1 - math.sqrt(c)) / L, (1 + math.sqrt(c)) / L),
                "fraction of the bound at 2/L-scale": lambda L, c: ((1 - math.sqrt(1 - c)) * 2 / L,
                                                                    (1 + math.sqrt(1 - c)) * 2 / L),
                "1 - c instead of its root": lambda L, c: ((1 - (1 - c)) / L, (1 + (1 - c)) / L),
                "rounded to 4 digits": lambda L, c: tuple(h._round4(r) for r in _roots(L, c)),
                "float32": lambda L, c: tuple(np.float32(r) for r in _roots(L, c)),
                "three numbers": lambda L, c: (*_roots(L, c), 1 / L),
                "a string": lambda L, c: str(_roots(L, c)),
            },
            "check_heavy_ball_regime": {
                "no divergence check": lambda lr, m, hh: _regime(lr, m, hh, limit=math.inf),
                "gradient descent's limit 2/h": lambda lr, m, hh: _regime(lr, m, hh, limit=2.0),
                "the limit 2(1 + m) taken as strict inside": lambda lr, m, hh: _regime(lr, m, hh, limit=2 * (1 + m) + 1),
                "trace without momentum": lambda lr, m, hh: _regime(lr, m, hh, trace=1 - lr * hh),
                "discriminant with 2 m": lambda lr, m, hh: _regime(lr, m, hh, four=2),
                "never critically damped": lambda lr, m, hh: _regime(lr, m, hh, critical=False),
                "signs swapped": lambda lr, m, hh: {"overdamped": "bouncing", "bouncing": "overdamped"}.get(
                    _regime(lr, m, hh), _regime(lr, m, hh)),
                "complex called overdamped": lambda lr, m, hh: {"underdamped": "overdamped", "overdamped": "underdamped"}.get(
                    _regime(lr, m, hh), _regime(lr, m, hh)),
                "Capitalized": lambda lr, m, hh: _regime(lr, m, hh).capitalize(),
                "'critical' for 'critically damped'": lambda lr, m, hh: _regime(lr, m, hh).replace("critically damped", "critical"),
                "an index, not a word": lambda lr, m, hh: ["underdamped", "critically damped", "overdamped", "bouncing",
                                                          "diverging"].index(_regime(lr, m, hh)),
                "always underdamped": lambda lr, m, hh: "underdamped",
                "momentum > 0.5 means underdamped": lambda lr, m, hh: "underdamped" if m > 0.5 else _regime(lr, m, hh),
                "a list of one word": lambda lr, m, hh: [_regime(lr, m, hh)],
            },
        },
        "SPECIFIC_RIGHT": {
            "check_gd_steps_needed": {
                "counting steps in a loop": lambda lr, L, mu, tol: next(
                    t for t in range(1, 10 ** 6) if _rate(lr, L, mu) ** t <= tol),
                "numpy int": lambda lr, L, mu, tol: np.int64(_steps(lr, L, mu, tol)),
            },
            "check_descent_lr_range": {
                "numpy array": lambda L, c: np.array(_roots(L, c)),
                "a list, via np.roots": lambda L, c: sorted(float(r.real) for r in np.roots([-L / 2, 1, -c / (2 * L)])),
            },
            "check_heavy_ball_regime": {
                "critical by isclose": lambda lr, m, hh: "critically damped"
                if abs((1 + m - lr * hh) ** 2 - 4 * m) < 1e-12 and lr * hh < 2 * (1 + m) else _regime(lr, m, hh),
                "a numpy str": lambda lr, m, hh: np.str_(_regime(lr, m, hh)),
            },
        },
    }
