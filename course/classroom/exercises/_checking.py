"""The machinery behind every ``check_*``: run the learner's function and the reference
case by case, compare, and print a verdict that says which case failed and why.

A stub (raises ``NotImplementedError``, returns ``None`` or ``...``) gets "not implemented
yet", never a traceback; any other exception in the learner's code is reported, not raised.
"""
from __future__ import annotations

import numpy as np

from ...tensor import Parameter

RTOL, ATOL = 1e-7, 1e-10


class _Stub(Exception):
    """The learner's function is not written yet."""


class _BadReturn(Exception):
    """The learner's function returned the wrong kind of thing."""


def _call(fn, *args, none_is_stub: bool = True, **kwargs):
    """``fn(*args, **kwargs)``, raising ``_Stub`` for a stub: ``NotImplementedError``, ``...``,
    or ``None`` (unless the exercise's function works in place and returns nothing)."""
    try:
        out = fn(*args, **kwargs)
    except NotImplementedError:
        raise _Stub from None
    if out is Ellipsis or (out is None and none_is_stub):
        raise _Stub
    return out


def _fmt(x):
    return np.array2string(np.asarray(x, dtype=float), precision=6, separator=", ", threshold=12)


def _cases_arrays(seed, shapes, n_steps):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=s), [rng.normal(size=s) * 2 for _ in range(n_steps)]) for s in shapes]


def _run_checks(name, reference_name, cases, run_learner, run_reference, hint, diagnose=None):
    """Compare learner and reference case by case, step by step; print a verdict."""
    for i, case in enumerate(cases, 1):
        desc = ", ".join(f"{k}={v}" for k, v in case["hyper"].items())
        expected = run_reference(case)
        steps = run_learner(case)  # a generator: one dict per step, compared as it comes
        for step, exp_step in enumerate(expected, 1):
            try:
                got_step = next(steps)
            except _Stub:
                print(f"… {name}: not implemented yet. Write your function, run its cell, then run this check again.")
                return False
            except _BadReturn as e:
                print(f"✗ {name}, case {i} ({desc}): {e}")
                return False
            except Exception as e:  # the learner's bug: report it, do not raise
                print(f"✗ {name}, case {i} ({desc}): your function raised {type(e).__name__}: {e}")
                return False
            for key, e_val in exp_step.items():
                g_val = got_step.get(key)
                problem = _compare(e_val, g_val)
                if problem:
                    where = f", step {step}" if len(expected) > 1 else ""
                    print(f"✗ {name}, case {i} ({desc}){where}: {key} {problem}")
                    print(f"    expected {_fmt(e_val)}")
                    if g_val is not None and problem == "differs":
                        print(f"    got      {_fmt(g_val)}")
                        e_arr, g_arr = np.asarray(e_val, dtype=float), np.asarray(g_val, dtype=float)
                        if e_arr.size > 1:
                            bad = ~np.isclose(g_arr, e_arr, rtol=RTOL, atol=ATOL, equal_nan=True)
                            idx = tuple(int(k) for k in np.argwhere(bad)[0])
                            print(f"    first difference at index {idx}: expected {e_arr[idx]:.12g}, got {g_arr[idx]:.12g}"
                                  f" (off by {g_arr[idx] - e_arr[idx]:.3g})")
                    specific = diagnose(case, step, got_step) if diagnose else None
                    print(f"    hint: {specific or hint}")
                    return False
    print(f"✓ {name}: all {len(cases)} cases match {reference_name}.")
    return True


def _compare(expected, got):
    if got is None:
        return "is missing"
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"is not an array of numbers (got {type(got).__name__})"
    expected = np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        return f"has shape {got.shape}, expected {expected.shape}"
    if not np.allclose(got, expected, rtol=RTOL, atol=ATOL, equal_nan=True):
        return "differs"
    return ""


def _arr(x):
    """A learner's returned value as a float array, or a clear complaint."""
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise _BadReturn(f"your function must return arrays of numbers, got {type(x).__name__}") from None


def _as_tuple(out, n, what):
    if not isinstance(out, (tuple, list)) or len(out) != n:
        raise _BadReturn(f"your function must return a tuple ({what}), got {type(out).__name__}")
    return out


def _reference(opt_cls, hyper, state_keys, case):
    """Run ``course.optim`` on the case's grads; record param and state after each step."""
    p = Parameter(case["param"].copy())
    opt = opt_cls([p], **hyper)
    out = []
    for g in case["grads"]:
        p.grad = g.copy()
        opt.step()
        rec = {"param": p.data.copy()}
        for ours, theirs in state_keys.items():
            rec[ours] = np.array(opt.state[p][theirs], copy=True)
        out.append(rec)
    return out


def _make_cases(hypers, seed, shapes=((3,), (2, 2), (5,)), n_steps=3):
    arrays = _cases_arrays(seed, shapes, n_steps)
    return [{"param": p, "grads": gs, "hyper": h} for (p, gs), h in zip(arrays, hypers)]
