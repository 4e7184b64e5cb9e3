"""The machinery behind every ``check_*``: run the learner's function and the reference
case by case, compare, and print a verdict that says which case failed and why.

A stub (raises ``NotImplementedError``, returns ``None`` or ``...``) gets "not implemented
yet", never a traceback; any other exception in the learner's code is reported, not raised.
What the checks guard against, whatever the learner's function does:

* the expected answers are all computed *before* the learner's function first runs, from
  data it never gets (it gets copies), so that it cannot change them;
* a result must be real numbers of the right kind: complex, bool, string and object
  results are refused with a clear message (never silently converted), and float arrays
  must be float64 (float32 keeps only ~7 digits);
* every call of the learner's function has a time limit (:data:`TIME_LIMIT` seconds, or
  ``check_*(fn, time_limit=...)``): an endless loop gets "your function did not return
  within N s on case ...", not a hung notebook;
* what the learner's function prints is shown indented under "your function printed:",
  so that it cannot pass for the checker's verdict.
"""
from __future__ import annotations

import collections.abc
import contextlib
import contextvars
import functools
import io
import math
import numbers
import signal
import threading
import time

import numpy as np

from ...tensor import Parameter

RTOL, ATOL = 1e-9, 1e-12  # float64 rounding is ~1e-16: tight enough to refuse float32 (~6e-8)
TIME_LIMIT = 5.0  # seconds per call of the learner's function (set_time_limit, or time_limit=...)
MAX_PRINTED_LINES = 20  # of the learner's own prints, per check


class _Stub(Exception):
    """The learner's function is not written yet."""


class _BadReturn(Exception):
    """The learner's function returned the wrong kind of thing."""


class _TimedOut(BaseException):
    """The learner's function did not return in time (a BaseException: ``except Exception``
    in the learner's code does not swallow it)."""

    def __init__(self, seconds):
        super().__init__(seconds)
        self.seconds = seconds

    def __str__(self):
        return f"your function did not return within {_secs(self.seconds)}"


class _Exited(Exception):
    """The learner's function called ``exit()`` or ``sys.exit()``."""


def _secs(seconds) -> str:
    return f"{seconds:g} s"


def set_time_limit(seconds) -> float:
    """Set the time limit of every check, in seconds per call of your function (None: no
    limit); returns the previous one.  ``check_*(fn, time_limit=...)`` sets it for one check.

    >>> old = set_time_limit(10)
    >>> set_time_limit(old)
    10.0
    """
    global TIME_LIMIT
    previous, TIME_LIMIT = TIME_LIMIT, _valid_limit(seconds)
    return previous


def _valid_limit(seconds):
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real) or not seconds > 0:
        raise ValueError(f"Invalid time limit: {seconds!r} (expected a number of seconds > 0, or None)")
    return float(seconds)


class _Session:
    """One check under way: its time limit and how much of the learner's printing it showed."""

    def __init__(self, time_limit):
        self.time_limit = time_limit
        self.printed = 0


_SESSION: contextvars.ContextVar = contextvars.ContextVar("course_exercise_check", default=None)


def _session() -> _Session:
    return _SESSION.get() or _Session(TIME_LIMIT)


def checker(check):
    """Make ``check(fn) -> bool`` a checker: ``check(fn, *, time_limit=None)``, which refuses a
    non-function clearly and turns anything that still escapes into a verdict, not a traceback."""
    name = check.__name__

    @functools.wraps(check)
    def run(fn, *, time_limit=None) -> bool:
        if not callable(fn):
            print(f"✗ {name}: pass your function itself, {name}(my_function), not what it returns "
                  f"(got {type(fn).__name__}).")
            return False
        limit = TIME_LIMIT if time_limit is None else _valid_limit(time_limit)
        token = _SESSION.set(_Session(limit))
        try:
            return bool(check(fn))
        except _TimedOut as e:
            print(f"✗ {name}: {e}.")
            return False
        except Exception as e:  # noqa: BLE001 - a verdict, whatever the learner's function did
            print(f"✗ {name}: your function's answer could not be checked ({type(e).__name__}: {e}).")
            return False
        finally:
            _SESSION.reset(token)

    return run


# ------------------------------------------------------------------ calling the learner
def _invoke(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` within the check's time limit, an iterator it returns drained
    within it too; what it prints is shown indented, under "your function printed"."""
    session = _session()
    captured = io.StringIO()
    try:
        with contextlib.redirect_stdout(captured):
            return _run_limited(lambda: _drain(fn(*args, **kwargs)), session.time_limit)
    except SystemExit as e:
        raise _Exited(f"it called exit() or sys.exit({'' if e.code is None else repr(e.code)}): "
                      "return a value instead") from None
    finally:
        _show_prints(captured.getvalue(), session)


def _drain(out, limit: int = 1_000_000):
    """An iterator (a generator, map, ...) as a list, so that its code runs here, timed."""
    if not isinstance(out, collections.abc.Iterator) or isinstance(out, (str, bytes, np.ndarray)):
        return out
    items = []
    for item in out:
        items.append(item)
        if len(items) > limit:
            raise _BadReturn(f"your function returned an iterator with more than {limit} items (an endless one?)")
    return items


def _show_prints(text: str, session: _Session):
    for line in text.splitlines():
        if session.printed < MAX_PRINTED_LINES:
            print(f"    your function printed: {line}")
        elif session.printed == MAX_PRINTED_LINES:
            print("    ... (more printed by your function, not shown)")
        session.printed += 1


def _run_limited(target, seconds):
    if seconds is None or not math.isfinite(seconds):
        return target()
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        try:
            return _with_alarm(target, seconds)
        except _NoAlarm:
            pass
    return _with_thread(target, seconds)


class _NoAlarm(Exception):
    pass


def _with_alarm(target, seconds):
    """Unix, main thread: SIGALRM interrupts the learner's code (re-sent every 50 ms, should
    it swallow the first); the timer and handler in place before are put back."""
    state = {"done": False}

    def on_alarm(signum, frame):
        if not state["done"]:
            raise _TimedOut(seconds)

    try:
        previous = signal.signal(signal.SIGALRM, on_alarm)
    except (ValueError, OSError):  # not allowed here (an embedded interpreter, ...)
        raise _NoAlarm from None
    start = time.monotonic()
    outer = signal.setitimer(signal.ITIMER_REAL, seconds, 0.05)
    try:
        out = target()
        state["done"] = True
        return out
    finally:
        state["done"] = True
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer[0] > 0:  # somebody else's timer was running: let it go on
            signal.setitimer(signal.ITIMER_REAL, max(outer[0] - (time.monotonic() - start), 1e-3), outer[1])


def _with_thread(target, seconds):
    """Anywhere else (Windows, a thread): run in a daemon thread and stop waiting after
    ``seconds``; CPython is then asked to raise in that thread, to stop a pure-Python loop."""
    result = {}
    context = contextvars.copy_context()

    def work():
        try:
            result["value"] = context.run(target)
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
            result["error"] = e

    worker = threading.Thread(target=work, name="course-check", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        try:
            import ctypes

            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(_TimedOut))
        except Exception:  # noqa: BLE001 - best effort: not CPython
            pass
        raise _TimedOut(seconds)
    if "error" in result:
        raise result["error"]
    return result["value"]


def _call(fn, *args, none_is_stub: bool = True, **kwargs):
    """``fn(*args, **kwargs)`` (timed, see :func:`_invoke`), raising ``_Stub`` for a stub:
    ``NotImplementedError``, ``...``, or ``None`` (unless the exercise's function works in
    place and returns nothing).  ``None`` after changing its array arguments is no stub: it
    is a function that forgot to return its result."""
    before = [(a, a.copy()) for a in args if isinstance(a, np.ndarray)] if none_is_stub else []
    try:
        out = _invoke(fn, *args, **kwargs)
    except NotImplementedError:
        raise _Stub from None
    if out is Ellipsis:
        raise _Stub
    if out is None and none_is_stub:
        if any(not _same(a, b) for a, b in before):
            raise _BadReturn("your function changed its arguments in place and returned None: return the new "
                             "values (e.g. `return param - lr * grad`)")
        raise _Stub
    return out


def _same(a, b) -> bool:
    try:
        return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    except (TypeError, ValueError):
        return False


def _raised(e) -> str:
    """How a learner's exception is reported."""
    kind = "SystemExit" if isinstance(e, _Exited) else type(e).__name__
    return f"your function raised {kind}: {e}"


# ------------------------------------------------------------------ what the learner returned
def _dtype_problem(dtype, integer: bool = False):
    """Why an array of this dtype is not an acceptable answer ('' if it is)."""
    kind = dtype.kind
    if kind == "c":
        return (f"your function returned complex numbers ({dtype}); the values must be real "
                "(in Python a negative number ** 0.5 is complex: is something negative under a root?)")
    if kind == "b":
        return "your function returned booleans (dtype bool), expected numbers"
    if kind == "O":
        return "your function returned an array of Python objects (dtype object), expected an array of numbers"
    if kind in "US":
        return f"your function returned strings (dtype {dtype}), expected numbers"
    if kind not in "iuf":
        return f"your function returned values of dtype {dtype}, expected numbers"
    if integer:
        if kind == "f":
            return (f"your function returned floats ({dtype}), expected integer indices "
                    "(rng.permutation(n) gives integers)")
        return ""
    if kind in "iu":
        return (f"your function returned integers (dtype {dtype}), expected floats (float64): "
                "astype(int), // or rounding drops the fractions")
    if dtype.itemsize < 8:
        return (f"your function returned {dtype} values: return float64 (Python floats or float64 arrays); "
                f"{dtype} keeps only about {7 if dtype.itemsize == 4 else 3} significant digits")
    return ""


def _arr(x, integer: bool = False):
    """A learner's returned value as a float64 array (int64 for indices), a copy, or a clear complaint."""
    if isinstance(x, (str, bytes, dict, set)) or x is None:
        raise _BadReturn(f"your function must return arrays of numbers, got {type(x).__name__}")
    try:
        a = np.array(x)
    except (TypeError, ValueError):
        raise _BadReturn(f"your function must return arrays of numbers, got {type(x).__name__}") from None
    problem = _dtype_problem(a.dtype, integer)
    if problem:
        raise _BadReturn(problem)
    return a.astype(np.int64 if integer else np.float64)


def _scalar(x, what: str = "a number"):
    """A learner's returned number as a Python float, or a clear complaint (``_BadReturn``)."""
    if isinstance(x, np.ndarray):
        if x.ndim:
            raise _BadReturn(f"your function returned an array of shape {x.shape}; expected {what} "
                             "(float(...) of it, if it holds one value)")
        problem = _dtype_problem(x.dtype)
        if problem and x.dtype.kind not in "iu":
            raise _BadReturn(problem)
        x = x[()]
    if isinstance(x, (bool, np.bool_)):
        raise _BadReturn(f"your function returned a bool ({x!r}), expected {what}")
    if isinstance(x, np.generic):
        problem = _dtype_problem(x.dtype)
        if problem and x.dtype.kind not in "iu":
            raise _BadReturn(problem)
        return float(x)
    if isinstance(x, numbers.Real):
        try:
            return float(x)
        except OverflowError:
            raise _BadReturn(f"your function returned {x!r}, too large for a float") from None
    if isinstance(x, numbers.Complex):
        raise _BadReturn(f"your function returned the complex number {x!r}; expected a real number "
                         "(in Python a negative number ** 0.5 is complex)")
    if isinstance(x, (str, bytes)):
        raise _BadReturn(f"your function returned the string {x!r}, expected {what}")
    if hasattr(x, "item") and hasattr(x, "data"):  # a course.Tensor
        raise _BadReturn(f"your function returned a {type(x).__name__}, expected {what}: use .item()")
    raise _BadReturn(f"your function returned {type(x).__name__}, expected {what}")


def _numbers(got, what: str = "a list of numbers"):
    """A learner's list of numbers as a list of floats, or a clear complaint (``_BadReturn``)."""
    if isinstance(got, np.ndarray):
        if got.ndim != 1:
            raise _BadReturn(f"your function returned an array of shape {got.shape}, expected {what}")
        problem = _dtype_problem(got.dtype)
        if problem and got.dtype.kind not in "iu":
            raise _BadReturn(problem)
        return [float(v) for v in got]
    if not isinstance(got, (list, tuple)):
        raise _BadReturn(f"your function returned {type(got).__name__}, expected {what}")
    out = []
    for k, v in enumerate(got):
        try:
            out.append(_scalar(v))
        except _BadReturn as e:
            raise _BadReturn(f"item {k}: {e}") from None
    return out


# ------------------------------------------------------------------ comparing, reporting
def _fmt(x, precision=6):
    return np.array2string(np.asarray(x, dtype=float), precision=precision, separator=", ", threshold=12)


def _precision_hint(expected, got):
    """A hint for values right to about 7 digits only (float32 somewhere, or rounding), else None."""
    try:
        e, g = np.asarray(expected, dtype=float), np.asarray(got, dtype=float)
        if e.shape == g.shape and np.allclose(g, e, rtol=1e-6, atol=1e-9):
            return ("your values agree with the expected ones to about 7 digits, not to 9: is something float32 "
                    "(np.float32, .astype(np.float32)) or rounded on the way? Compute in float64.")
    except (TypeError, ValueError):
        pass
    return None


def _cases_arrays(seed, shapes, n_steps):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=s), [rng.normal(size=s) * 2 for _ in range(n_steps)]) for s in shapes]


def _run_checks(name, reference_name, cases, run_learner, run_reference, hint, diagnose=None):
    """Compare learner and reference case by case, step by step; print a verdict.

    Every expected value is computed first, before the learner's function runs at all."""
    all_expected = [run_reference(case) for case in cases]
    for i, (case, expected) in enumerate(zip(cases, all_expected), 1):
        desc = ", ".join(f"{k}={v}" for k, v in case["hyper"].items())
        steps = run_learner(case)  # a generator: one dict per step, compared as it comes
        for step, exp_step in enumerate(expected, 1):
            where = f", step {step}" if len(expected) > 1 else ""
            try:
                got_step = next(steps)
            except _Stub:
                print(f"… {name}: not implemented yet. Write your function, run its cell, then run this check again.")
                return False
            except _BadReturn as e:
                print(f"✗ {name}, case {i} ({desc}){where}: {e}")
                return False
            except _TimedOut as e:
                print(f"✗ {name}: {e} on case {i} ({desc}){where}.")
                print("    hint: look for a loop that never ends (a while loop whose condition never changes).")
                return False
            except StopIteration:
                print(f"✗ {name}, case {i} ({desc}){where}: your function gave no value for this step")
                return False
            except Exception as e:  # the learner's bug: report it, do not raise
                print(f"✗ {name}, case {i} ({desc}){where}: {_raised(e)}")
                return False
            for key, e_val in exp_step.items():
                g_val = got_step.get(key)
                problem = _compare(e_val, g_val)
                if problem:
                    print(f"✗ {name}, case {i} ({desc}){where}: {key} {problem}")
                    shown = (_fmt(e_val), _fmt(g_val)) if g_val is not None and problem.startswith(
                        ("differs", "has nan")) else (_fmt(e_val), None)
                    if shown[0] == shown[1]:  # equal to 6 digits: show more
                        shown = _fmt(e_val, 12), _fmt(g_val, 12)
                    print(f"    expected {shown[0]}")
                    if shown[1] is not None:
                        print(f"    got      {shown[1]}")
                        e_arr, g_arr = np.asarray(e_val, dtype=float), np.asarray(g_val, dtype=float)
                        if e_arr.size > 1:
                            bad = ~np.isclose(g_arr, e_arr, rtol=RTOL, atol=ATOL, equal_nan=True)
                            idx = tuple(int(k) for k in np.argwhere(bad)[0])
                            print(f"    first difference at index {idx}: expected {e_arr[idx]:.12g}, got {g_arr[idx]:.12g}"
                                  f" (off by {g_arr[idx] - e_arr[idx]:.3g})")
                    try:
                        specific = diagnose(case, step, got_step) if diagnose else None
                    except Exception:  # noqa: BLE001 - a hint is a bonus
                        specific = None
                    specific = specific or (_precision_hint(e_val, g_val) if problem == "differs" else None)
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
    if not np.isfinite(got).all() and np.isfinite(expected).all():
        return "has nan or inf values (a division by zero, or an overflow?)"
    if not np.allclose(got, expected, rtol=RTOL, atol=ATOL, equal_nan=True):
        return "differs"
    return ""


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
