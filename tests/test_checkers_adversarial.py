"""Adversarial learner functions: every checker rejects every wrong one, and still accepts the
reference solutions of ``notebooks/solutions/*.ipynb`` and sensible float-rounding variants of them.

The references are read from the notebooks' code cells (the ``def`` statements, run on their
own, and the ``check_*(fn)`` call that names each one).  The wrong functions are of three kinds:

* generic corruptions of a reference's *result*: float32, complex, object, string or bool
  arrays of the right shape, nan, inf, a relative error of 1e-6, rounding to 4 digits, integers;
* generic wrong *behaviours*: right on the first call only, raising on the second call,
  printing a fake "✓" over a wrong answer, returning its inputs, changing its inputs in place
  and returning None, ignoring one argument (keeping its first value: right only for the first
  case's hyperparameters), computing in float32, patching the checker's reference (``course``'s
  optimizer or scheduler) so that later cases agree with it, never returning;
* the classic mistakes of each exercise (off-by-one in step counts, missing bias correction,
  eps in the wrong place, wrong sign, ...).

A count (``check_per_step_t_max``) gets its own corruptions (off by one, half a step, nan, a
complex or a string count, ...), a ratio checked to 1e-4 (``check_adam_first_step_ratio``) the
float ones beyond that tolerance, and the checker of a value (``check_loop_bugs``, which gets the
answers dict itself) wrong values: each loop given another bug, swapped loops, wrong keys, wrong
types, and values whose own ``__eq__`` or ``__iter__`` tries to fool it.  After every check, right
or wrong, the data the checkers compute their expected answers from is as it was.  The wrong
answers a checker still accepts are marked ``xfail(strict=True)`` in ``KNOWN_GAPS``, with why.

``python tests/test_checkers_adversarial.py`` prints the table: wrong functions per checker, and
how many each checker accepts.
"""
from __future__ import annotations

import ast
import contextlib
import copy
import functools
import inspect
import io
import json
import math
import pathlib
import sys

import numpy as np
import pytest

import course
from course import lr_finder, optim
from course.classroom import exercises as E
from course.classroom import memory_traffic, rates
from course.classroom.digits_runs import digits_data
from course.classroom.exercises import practice as pe
from course.data import DataLoader, TensorDataset
from course.optim import lr_scheduler as S

ROOT = pathlib.Path(__file__).resolve().parents[1]
# the wrong functions overflow, divide by zero and misuse losses: their warnings are expected
pytestmark = [pytest.mark.filterwarnings("ignore::RuntimeWarning"), pytest.mark.filterwarnings("ignore::UserWarning")]
HANG_LIMIT = 0.3  # seconds: the time limit the checkers get for the functions that never return


# ----------------------------------------------------------------- the references
def reference_solutions() -> dict:
    """checker name -> the function (or, for a checker of values, the value) that the solutions
    notebook passes to it.  A value is the one its cell assigns, from ``course`` imports only."""
    refs = {}
    for path in sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb")):
        namespace = {"np": np, "math": math}
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            tree = ast.parse("".join(cell["source"]))
            calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and node.args
                     and isinstance(node.args[0], ast.Name)]
            passed = {node.args[0].id for node in calls}
            kept = [node for node in tree.body if isinstance(node, ast.FunctionDef)
                    or (isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "course")
                    or (isinstance(node, ast.Assign) and len(node.targets) == 1
                        and isinstance(node.targets[0], ast.Name) and node.targets[0].id in passed)]
            if kept:
                exec(compile(ast.Module(body=kept, type_ignores=[]), str(path), "exec"), namespace)
            values = {node.targets[0].id for node in kept if isinstance(node, ast.Assign)}
            for node in calls:
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
                arg = node.args[0].id
                if name.startswith("check_") and (callable(namespace.get(arg)) or arg in values):
                    refs[name] = namespace[arg]
    return refs


from test_exercises_practice import train_one_epoch as _train_one_epoch  # noqa: E402  (its correct loop)


def _accuracy(logits, targets):
    return float(np.mean(np.argmax(logits, axis=1) == targets))


REF = reference_solutions()
# checkers that the notebooks no longer use (09 was rewritten) but course still ships: the
# reference is the one their old solutions gave
REF.setdefault("check_train_one_epoch", _train_one_epoch)
REF.setdefault("check_accuracy", _accuracy)


def _old_adam_step(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps):
    """05's old exercise 1 (05 now asks to derive instead): one torch Adam step."""
    exp_avg = beta1 * exp_avg + (1 - beta1) * grad
    exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * grad ** 2
    denom = np.sqrt(exp_avg_sq) / np.sqrt(1 - beta2 ** step) + eps
    return param - lr / (1 - beta1 ** step) * exp_avg / denom, exp_avg, exp_avg_sq


def _old_adamw_step(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay):
    return _old_adam_step(param * (1 - lr * weight_decay), grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps)


REF.setdefault("check_adam_step", _old_adam_step)
REF.setdefault("check_adamw_step", _old_adamw_step)


def _old_momentum_step(param, grad, buf, lr, momentum):
    buf = momentum * buf + grad
    return param - lr * buf, buf


def _old_nesterov_step(param, grad, buf, lr, momentum):
    """03's old exercise 2 (03 now asks for Nesterov's stable lr)."""
    buf = momentum * buf + grad
    return param - lr * (grad + momentum * buf), buf


def _old_lion_step(param, grad, exp_avg, lr, beta1, beta2, weight_decay):
    """06's old exercise 1 (06 now asks where Lion leaves a weight)."""
    c = beta1 * exp_avg + (1 - beta1) * grad
    return param * (1 - lr * weight_decay) - lr * np.sign(c), beta2 * exp_avg + (1 - beta2) * grad


REF.setdefault("check_momentum_step", _old_momentum_step)
REF.setdefault("check_nesterov_step", _old_nesterov_step)
REF.setdefault("check_lion_step", _old_lion_step)
CHECKERS = [name for name in E.__all__ if name.startswith("check_")]

# what each exercise returns
KIND = {
    **dict.fromkeys(["check_gd_step", "check_momentum_step", "check_nesterov_step", "check_adagrad_step",
                     "check_rmsprop_step", "check_adam_step", "check_adamw_step", "check_lion_step",
                     "check_adadelta_step", "check_minibatch_gradient"], "arrays"),
    **dict.fromkeys(["check_stable_lr", "check_step_lr", "check_cosine_lr", "check_warmup_cosine",
                     "check_train_one_epoch", "check_accuracy", "check_roofline_time",
                     "check_accumulating_epoch"], "scalar"),
    "check_optimal_momentum": "pair",
    "check_exponential_lrs": "list", "check_smooth_losses": "list",
    "check_epoch_batches": "batches",
    "check_is_better": "bool",
    "check_drop_epochs": "epochs",
    "check_momentum_step_inplace": "inplace",
    "check_per_step_t_max": "count",  # a whole number: a whole float is right, 540.5 or 541 is not
    "check_adam_first_step_ratio": "ratio",  # a float checked to 1e-4 (eps moves the truth by < 1e-5)
    "check_loop_bugs": "diagnosis",  # a value, not a function: {"A": bug, "B": bug, "C": bug}
}
# the checkers whose arguments include floats, for "computes in float32"
FLOAT_ARGS = {"check_gd_step", "check_momentum_step", "check_nesterov_step", "check_adagrad_step",
              "check_rmsprop_step", "check_adam_step", "check_adamw_step", "check_lion_step",
              "check_adadelta_step", "check_minibatch_gradient", "check_stable_lr", "check_step_lr",
              "check_cosine_lr", "check_warmup_cosine", "check_roofline_time", "check_optimal_momentum",
              "check_exponential_lrs", "check_smooth_losses"}


def test_every_checker_has_its_reference():
    assert sorted(REF) == sorted(CHECKERS) and set(KIND) == set(CHECKERS)


# ----------------------------------------------------------------- undoing patches
UNDO = []


def patch(obj, name, value):
    """setattr, undone after the test (a learner's function that rewrites course's reference)."""
    had = name in vars(obj)
    old = vars(obj)[name] if had else None
    setattr(obj, name, value)
    UNDO.append(lambda: setattr(obj, name, old) if had else delattr(obj, name))


def undo_all():
    while UNDO:
        UNDO.pop()()
    E.DROP_EXERCISE.clear()
    E.DROP_EXERCISE.update(copy.deepcopy(_DROP))
    pe._LOOP_ANSWERS.clear()
    pe._LOOP_ANSWERS.update(_REFERENCE_DATA["practice._LOOP_ANSWERS"])
    for now, then in zip(_digits_arrays(), _REFERENCE_DATA["the cached digits of check_accumulating_epoch"]):
        now[...] = then


def _digits_arrays():
    (X, y), (Xv, yv) = digits_data(2)  # the (cached, shared) digits the accumulating checker trains on
    return [X, y, Xv, yv]


def reference_data() -> dict:
    """A copy of the data the checkers compute their expected answers from (or show): whatever a
    wrong answer does, it must be the same after the check."""
    return copy.deepcopy({
        "DROP_EXERCISE": E.DROP_EXERCISE, "LOOP_BUGS": E.LOOP_BUGS, "practice._LOOP_ANSWERS": pe._LOOP_ANSWERS,
        "practice._LOOP_HINTS": pe._LOOP_HINTS, "practice._MACHINES": pe._MACHINES,
        "memory_traffic.MACHINES": memory_traffic.MACHINES,
        "the cached digits of check_accumulating_epoch": _digits_arrays()})


def assert_same_data(before, after):
    assert before.keys() == after.keys()
    for key in before:
        if key.startswith("the cached digits"):
            assert all(np.array_equal(a, b) for a, b in zip(before[key], after[key])), f"{key} changed"
        else:
            assert before[key] == after[key], f"{key} changed"


_DROP = copy.deepcopy(E.DROP_EXERCISE)
_REFERENCE_DATA = reference_data()


@pytest.fixture(autouse=True)
def _undo():
    yield
    undo_all()


# ----------------------------------------------------------------- generic corruptions
def leaves(out, f):
    """Apply ``f`` to every array or number of a result (tuples and lists kept)."""
    if isinstance(out, tuple):
        return tuple(leaves(o, f) for o in out)
    if isinstance(out, list):
        return [leaves(o, f) for o in out]
    return f(out)


def on_leaves(array_fn, scalar_fn):
    def f(x):
        return array_fn(np.asarray(x)) if isinstance(x, np.ndarray) else scalar_fn(x)
    return f


def _round4(x):
    return float(f"{float(x):.4g}")


WRONG_RESULTS = {
    "float32 result": on_leaves(lambda a: a.astype(np.float32), np.float32),
    "complex result, imaginary part 0 (numpy)": on_leaves(lambda a: a.astype(np.complex128), np.complex128),
    "complex result, imaginary part 1e-3": on_leaves(lambda a: a + 1e-3j, lambda x: complex(x) + 1e-3j),
    "complex result, imaginary part 1e-3 (numpy scalar)": on_leaves(lambda a: a + 1e-3j,
                                                                    lambda x: np.complex128(x) + 1e-3j),
    "object dtype": on_leaves(lambda a: a.astype(object), lambda x: np.array(x, dtype=object)),
    "strings": on_leaves(lambda a: a.astype(str), lambda x: repr(float(x))),
    "booleans": on_leaves(lambda a: a.astype(bool), bool),
    "nan": on_leaves(lambda a: np.full(a.shape, np.nan), lambda x: math.nan),
    "inf": on_leaves(lambda a: np.full(a.shape, np.inf), lambda x: math.inf),
    "-inf": on_leaves(lambda a: np.full(a.shape, -np.inf), lambda x: -math.inf),
    "off by 1e-6 relative": on_leaves(lambda a: a * (1 + 1e-6), lambda x: float(x) * (1 + 1e-6)),
    "rounded to 4 digits": on_leaves(lambda a: np.vectorize(_round4)(a), _round4),
    "integers": on_leaves(lambda a: a.astype(np.int64), int),
}
# a count (check_per_step_t_max): a whole float or numpy integer is the same count; the rest is not
WRONG_COUNTS = {
    "off by one: + 1": lambda x: x + 1,
    "off by one: - 1": lambda x: x - 1,
    "half a step more": lambda x: x + 0.5,
    "a float off by 1e-9": lambda x: float(x) + 1e-9,
    "negative": lambda x: -x,
    "zero": lambda x: 0,
    "nan": lambda x: math.nan,
    "inf": lambda x: math.inf,
    "-inf": lambda x: -math.inf,
    "huge": lambda x: 10 ** 400,
    "complex, imaginary part 0": lambda x: complex(x),
    "complex, imaginary part 0 (numpy)": lambda x: np.complex128(x),
    "complex, imaginary part 1e-3": lambda x: x + 1e-3j,
    "a string": lambda x: str(x),
    "a bool": lambda x: bool(x),
    "a one-element list": lambda x: [x],
    "a one-element array": lambda x: np.array([x]),
    "an object array": lambda x: np.array(x, dtype=object),
    "a numpy bool": lambda x: np.bool_(x),
    "a numpy int8 that wrapped around": lambda x: np.array(x).astype(np.int8)[()],
}
RIGHT_COUNTS = {
    "numpy int64": np.int64,
    "a whole float": float,
    "numpy float64": np.float64,
}
# a ratio checked to 1e-4 (check_adam_first_step_ratio): the float corruptions beyond that tolerance
WRONG_RATIOS = {label: f for label, f in {
    "off by 1e-3 relative": on_leaves(lambda a: a * (1 + 1e-3), lambda x: float(x) * (1 + 1e-3)),
    "off by 3e-4 relative (three times the tolerance)": on_leaves(lambda a: a * (1 + 3e-4),
                                                                  lambda x: float(x) * (1 + 3e-4)),
    "rounded to 3 digits": on_leaves(lambda a: a, lambda x: float(f"{float(x):.3g}")),
    "float16": on_leaves(lambda a: a.astype(np.float16), np.float16),
    "a one-element array": on_leaves(lambda a: a, lambda x: np.array([x])),
    "a string of the number": on_leaves(lambda a: a, lambda x: f"{float(x):.17g}"),
    **WRONG_RESULTS}.items() if label not in ("off by 1e-6 relative", "rounded to 4 digits")}
RIGHT_RESULTS = {
    "within 1e-13 relative": on_leaves(lambda a: a * (1 + 1e-13) if a.dtype.kind == "f" else a,
                                       lambda x: float(x) * (1 + 1e-13)),
    "numpy float64 / Python lists": on_leaves(lambda a: a.tolist(), np.float64),
}


def corrupt(out, kind):
    """A wrong answer near the right one."""
    if kind == "bool":
        return not out
    if kind == "count":
        return out + 1
    if kind == "epochs":
        return [e + 1 for e in out]
    return leaves(out, on_leaves(lambda a: a + 1 if a.dtype.kind in "iu" else a * 1.001 + 1e-3,
                                 lambda x: float(x) * 1.001 + 1e-3))


def _copy(x):
    return x.copy() if isinstance(x, np.ndarray) else x


def f32(x):
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return x.astype(np.float32)
    if isinstance(x, float):
        return np.float32(x)
    if isinstance(x, list) and x and all(isinstance(v, float) for v in x):
        return [np.float32(v) for v in x]
    return x


def to64(out):
    return leaves(out, on_leaves(lambda a: a.astype(np.float64) if a.dtype.kind == "f" else a,
                                 lambda x: float(x) if isinstance(x, np.floating) else x))


def generic_wrong(name, ref):
    """label -> (wrong function, time limit or None)."""
    kind = KIND[name]
    if kind == "diagnosis":
        return {label: (value, None) for label, value in diagnosis_wrong(ref).items()}
    out = {}
    results = {"count": WRONG_COUNTS, "ratio": WRONG_RATIOS}.get(kind, WRONG_RESULTS)
    if kind in ("arrays", "scalar", "pair", "list", "batches", "count", "ratio"):
        for label, f in results.items():
            if kind == "batches" and label == "integers":
                continue  # the indices are integers already

            def fn(*args, _f=f, **kwargs):
                return leaves(ref(*args, **kwargs), _f)
            out[label] = fn
    if name in FLOAT_ARGS:
        def float32_inside(*args, **kwargs):
            return to64(ref(*(f32(a) for a in args), **{k: f32(v) for k, v in kwargs.items()}))
        out["computes in float32, returns float64"] = float32_inside

    def first_call_only(*args, _calls=[0], **kwargs):
        _calls[0] += 1
        if kind == "inplace":
            ref(*args, **kwargs)
            if _calls[0] > 1:
                args[0] *= 1.001
            return None
        result = ref(*args, **kwargs)
        return result if _calls[0] == 1 else corrupt(result, kind)
    out["right on the first call only"] = first_call_only

    def raises_second(*args, _calls=[0], **kwargs):
        _calls[0] += 1
        if _calls[0] == 2:
            raise RuntimeError("the second call breaks")
        return ref(*args, **kwargs)
    out["raises on the second call"] = raises_second

    def fake_success(*args, **kwargs):
        print(f"✓ {name}: all 3 cases match the reference.")
        if kind == "inplace":
            ref(*args, **kwargs)
            args[0] *= 1.001
            return None
        return corrupt(ref(*args, **kwargs), kind)
    out["prints a fake success, returns a wrong answer"] = fake_success

    def never_returns(*args, _calls=[0], **kwargs):
        _calls[0] += 1
        if _calls[0] >= 2:
            while True:
                pass
        return ref(*args, **kwargs)
    out["never returns (from the second call on)"] = (never_returns, HANG_LIMIT)

    if kind != "epochs":
        def returns_inputs(*args, **kwargs):
            if kind == "arrays":
                arrays = [a for i, a in enumerate(args) if isinstance(a, np.ndarray) and i != 1]
                n = len(ref(*[_copy(a) for a in args])) if isinstance(ref(*[_copy(a) for a in args]), tuple) else 1
                return arrays[0] if n == 1 else tuple(arrays[:n])
            return args[0] if kind != "inplace" else None
        out["returns its inputs"] = returns_inputs

        params = list(inspect.signature(ref).parameters.values())
        for k, param in enumerate(params):
            def frozen(*args, _k=k, _p=param, _first={}, **kwargs):
                args = list(args)
                if _p.kind == _p.KEYWORD_ONLY or _p.name in kwargs:
                    kwargs[_p.name] = _first.setdefault("v", _copy(kwargs[_p.name]))
                else:
                    args[_k] = _first.setdefault("v", _copy(args[_k]))
                return ref(*args, **kwargs)
            out[f"ignores {param.name} (keeps its first value)"] = frozen
    if kind == "arrays":
        def in_place_returns_none(*args, **kwargs):
            result = ref(*[_copy(a) for a in args], **kwargs)
            results = result if isinstance(result, tuple) else (result,)
            targets = [a for i, a in enumerate(args) if isinstance(a, np.ndarray) and i != 1]
            for target, value in zip(targets, results):
                if target.shape == np.shape(value):
                    target[...] = value
            return None
        out["changes its inputs in place, returns None"] = in_place_returns_none
    return {label: (v if isinstance(v, tuple) else (v, None)) for label, v in _signed(out, ref).items()}


def generic_right(name, ref):
    kind = KIND[name]
    if kind == "diagnosis":
        return {"the reference solution": ref, **diagnosis_right(ref)}
    out = {"the reference solution": ref}
    if kind in ("count", "ratio"):
        rights = RIGHT_COUNTS if kind == "count" else {
            **RIGHT_RESULTS, "within 1e-6 relative (eps moves the truth by more)": lambda x: float(x) * (1 + 1e-6)}
        for label, f in rights.items():
            def fn(*args, _f=f, **kwargs):
                return _f(ref(*args, **kwargs))
            out[label] = fn
    if kind == "ratio":
        def float32_inside(*args, **kwargs):  # float32 rounding (~1e-7) is far below the tolerance
            return float(ref(*(f32(a) for a in args), **kwargs))
        out["computes in float32, returns a float"] = float32_inside
    if kind in ("arrays", "scalar", "pair", "list", "batches"):
        for label, f in RIGHT_RESULTS.items():
            if kind == "batches" and label.startswith("within"):
                continue

            def fn(*args, _f=f, **kwargs):
                return leaves(ref(*args, **kwargs), _f)
            out[label] = fn

    def debug_prints(*args, **kwargs):
        print("debugging: my inputs are", *(type(a).__name__ for a in args))
        return ref(*args, **kwargs)
    out["prints while it works"] = debug_prints
    if kind == "arrays":
        def in_place(*args, **kwargs):
            result = ref(*[_copy(a) for a in args], **kwargs)
            results = result if isinstance(result, tuple) else (result,)
            targets = [a for i, a in enumerate(args) if isinstance(a, np.ndarray) and i != 1]
            if any(t.shape != np.shape(v) for t, v in zip(targets, results)):
                return result
            for target, value in zip(targets, results):
                target[...] = value
            for a in args:  # and scribbles over the rest: its arguments are its own copies
                if isinstance(a, np.ndarray) and not any(a is t for t in targets):
                    a *= 0
            return tuple(targets[:len(results)]) if isinstance(result, tuple) else targets[0]
        out["changes its inputs in place, returns them"] = in_place
    return _signed(out, ref)


def _signed(fns, ref):
    """The wrappers with the reference's signature (notebook 11's checker reads it)."""
    out = {}
    for label, v in fns.items():
        fn, limit = v if isinstance(v, tuple) else (v, None)
        if fn is not ref:
            fn = functools.wraps(ref)(fn)
        out[label] = fn if limit is None else (fn, limit)
    return out


# ----------------------------------------------------------------- a checker of values
class _EqualsEverything(str):
    """A string that says it equals every string (and differs from none)."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = str.__hash__


class _RewritesTheKey(dict):
    """A dict that, once the checker looks at its keys, rewrites the checker's answer key to agree."""

    def __iter__(self):
        for loop, bug in dict.items(self):
            pe._LOOP_ANSWERS[loop] = bug
        return dict.__iter__(self)


def diagnosis_wrong(right):
    """label -> a wrong value for ``check_loop_bugs``."""
    bugs, loops = E.LOOP_BUGS, sorted(right)
    out = {}
    for loop in loops:  # each loop given each bug that is not its own
        for bug in bugs:
            if bug != right[loop]:
                out[f"loop {loop}: {bug!r}"] = dict(right, **{loop: bug})
    a, b, c = (right[k] for k in loops)
    out |= {
        "A and B swapped": {"A": b, "B": a, "C": c},
        "the bugs shifted by one loop": {"A": b, "B": c, "C": a},
        "A's bug everywhere": {"A": a, "B": a, "C": a},
        "lower-case keys": {k.lower(): v for k, v in right.items()},
        "keys 0, 1, 2": dict(enumerate(right[k] for k in loops)),
        "an extra loop D": dict(right, D=bugs[3]),
        "loop C missing": {"A": a, "B": b},
        "an empty dict": {},
        "indices into LOOP_BUGS": {k: bugs.index(v) for k, v in right.items()},
        "a trailing space": {k: v + " " for k, v in right.items()},
        "capitalised": {k: v.capitalize() if v[0].islower() else v.lower() for k, v in right.items()},
        "bytes": {k: v.encode() for k, v in right.items()},
        "one-element lists": {k: [v] for k, v in right.items()},
        "the three bugs as a list": [a, b, c],
        "the three bugs as a tuple": (a, b, c),
        "a set": {a, b, c},
        "A's bug, a string": a,
        "LOOP_BUGS itself": bugs,
        "None": None,
        "...": ...,
        "... for B": dict(right, B=...),
        "None for C": dict(right, C=None),
        "a function that returns the answers": lambda: dict(right),
        "one-element numpy arrays": {k: np.array([v]) for k, v in right.items()},
        "the three bugs as a numpy array": np.array([a, b, c]),
        "a two-element numpy array for A": dict(right, A=np.array([a, b])),
        "a string that equals every string": {k: _EqualsEverything("?") for k in loops},
        "a dict that rewrites the checker's answer key": _RewritesTheKey(right, B=bugs[3]),
    }
    return out


def diagnosis_right(right):
    import collections

    loops = sorted(right)
    return {
        "the strings typed anew": {k: "".join(list(v)) for k, v in right.items()},
        "keys in another order": {k: right[k] for k in reversed(loops)},
        "an OrderedDict": collections.OrderedDict(right),
        "numpy str_ values": {k: np.str_(v) for k, v in right.items()},
        "dict(zip(...))": dict(zip(loops, [right[k] for k in loops])),
    }


# ----------------------------------------------------------------- patching the reference
def sabotage_optimizer(cls, ref, first_shape=(3,)):
    """Right on the first case; then the learner patches ``cls.step`` to add 1e-3 to every
    parameter of another shape, and returns the same wrong answer."""
    def fn(*args, _done=[False], **kwargs):
        if not _done[0]:
            _done[0] = True
            original = cls.step

            def step(self, *a, **k):
                loss = original(self, *a, **k)
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.data.shape != first_shape:
                            p.data[...] += 1e-3
                return loss
            patch(cls, "step", step)
        result = ref(*args, **kwargs)
        if np.shape(args[0]) == first_shape:
            return result
        return (result[0] + 1e-3, *result[1:]) if isinstance(result, tuple) else result + 1e-3
    return fn


def sabotage_inplace(p, g, buf, *, lr, momentum, _done=[False]):
    if not _done[0]:
        _done[0] = True
        original = optim.SGD.step

        def step(self, *a, **k):
            loss = original(self, *a, **k)
            for group in self.param_groups:
                for q in group["params"]:
                    if q.data.size != 5:
                        q.data[...] += 1e-3
            return loss
        patch(optim.SGD, "step", step)
    REF["check_momentum_step_inplace"](p, g, buf, lr=lr, momentum=momentum)
    if p.size != 5:
        p += 1e-3


def sabotage_stable_lr(hessian, _done=[False]):
    if not _done[0]:
        _done[0] = True
        original = np.linalg.eigvalsh
        patch(np.linalg, "eigvalsh", lambda h, *a, **k: 2 * original(h, *a, **k))
        return REF["check_stable_lr"](hessian)
    return 1.0 / float(np.max(np.linalg.eigvalsh(hessian)))  # 1/L, which the patched reference says


def sabotage_optimal_momentum(L, mu, _done=[False]):
    pair = REF["check_optimal_momentum"]
    if not _done[0]:
        _done[0] = True
        original = rates.optimal_momentum
        patch(rates, "optimal_momentum", lambda L, mu: original(L, mu)._replace(lr=original(L, mu).lr * 2)
              if hasattr(original(L, mu), "_replace") else original(L, mu))
        return pair(L, mu)
    lr, m = pair(L, mu)
    return 2 * lr, m


def sabotage_is_better(a, best, mode, threshold_mode, threshold, _done=[False]):
    def loose(a, best):
        if mode == "min":
            return a <= (best * (1 - threshold) if threshold_mode == "rel" else best - threshold)
        return a >= (best * (1 + threshold) if threshold_mode == "rel" else best + threshold)
    if not _done[0]:
        _done[0] = True
        patch(S.ReduceLROnPlateau, "is_better", lambda self, a, best: (
            a <= (best * (1 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold)
            if self.mode == "min" else
            a >= (best * (1 + self.threshold) if self.threshold_mode == "rel" else best + self.threshold)))
    return loose(a, best)


def sabotage_epoch_batches(n, batch_size, epochs, seed, _done=[False]):
    if not _done[0]:
        _done[0] = True
        original = DataLoader.__iter__

        def unshuffled(self):
            if len(self.dataset) == 10:
                yield from original(self)
                return
            for b in range(len(self)):
                yield self._batch(np.arange(len(self.dataset))[b * self.batch_size:(b + 1) * self.batch_size])
        patch(DataLoader, "__iter__", unshuffled)
    if n == 10:
        return REF["check_epoch_batches"](n, batch_size, epochs, seed)
    return [np.arange(n)[i:i + batch_size] for _ in range(epochs) for i in range(0, n, batch_size)]


def sabotage_lr_find(field, wrong, first_n):
    """Right on the first case; then patches ``course.lr_finder.lr_find`` so that ``field`` of
    its result is what ``wrong`` gives, and returns that."""
    def patched(original):
        def lr_find(*args, **kwargs):
            r = original(*args, **kwargs)
            if kwargs.get("num_iter") == first_n:
                return r
            import dataclasses
            if field == "lrs":
                s, e, n = kwargs["start_lr"], kwargs["end_lr"], kwargs["num_iter"]
                return dataclasses.replace(r, lrs=wrong(s, e, n))
            return dataclasses.replace(r, smoothed=wrong(r.losses, kwargs["beta"]))
        return lr_find

    def fn(*args, _done=[False]):
        if not _done[0]:
            _done[0] = True
            patch(lr_finder, "lr_find", patched(lr_finder.lr_find))
        return None
    return fn


def wrong_lrs(s, e, n):
    return [s * (e / s) ** (i / n) for i in range(n)]


def sabotage_exponential(start_lr, end_lr, num_iter, _hook=sabotage_lr_find("lrs", wrong_lrs, 5)):
    _hook()
    if num_iter == 5:
        return REF["check_exponential_lrs"](start_lr, end_lr, num_iter)
    return wrong_lrs(start_lr, end_lr, num_iter)


def no_debias(losses, beta):
    avg, out = 0.0, []
    for loss in losses:
        avg = beta * avg + (1 - beta) * loss
        out.append(avg)
    return out


def sabotage_smooth(losses, beta, _hook=sabotage_lr_find("smoothed", no_debias, 20)):
    _hook()
    if len(losses) == 20:
        return REF["check_smooth_losses"](losses, beta)
    return no_debias(losses, beta)


def sabotage_roofline(f, b, n, bw, peak, _done=[False]):
    if not _done[0]:
        _done[0] = True
        patch(memory_traffic, "roofline_time", lambda f, b, n, m: b * n / m.bandwidth + f * n / m.flops)
        return REF["check_roofline_time"](f, b, n, bw, peak)
    return b * n / bw + f * n / peak


def sabotage_train(model, loss_fn, optimizer, loader, _done=[False]):
    """Right on the first case; then makes RMSprop and Adam do nothing, and trains with them."""
    if not _done[0]:
        _done[0] = True
        for cls in (optim.RMSprop, optim.Adam):
            patch(cls, "step", lambda self, closure=None: None)
    return REF["check_train_one_epoch"](model, loss_fn, optimizer, loader)


def sabotage_step_lr(base_lr, gamma, step_size, epoch, _done=[False]):
    if not _done[0]:
        _done[0] = True
        patch(S, "simulate", lambda *a, **k: [0.5] * 1000)
    return 0.5


def sabotage_accuracy(logits, targets, _done=[False]):
    import course.training as T
    if not _done[0]:
        _done[0] = True
        patch(T, "accuracy", lambda logits, targets: 100 * float(np.mean(np.argmax(logits, axis=1) == targets)))
    return 100 * float(np.mean(np.argmax(logits, axis=1) == targets))


def sabotage_per_step(n_train, batch_size, epochs, drop_last=False, _done=[False]):
    """Right on the first case; then makes every DataLoader drop its last batch, and answers so."""
    if not _done[0]:
        _done[0] = True
        patch(DataLoader, "__len__", lambda self: len(self.dataset) // self.batch_size)
        return REF["check_per_step_t_max"](n_train, batch_size, epochs, drop_last=drop_last)
    return n_train // batch_size * epochs


def sabotage_adam_ratio(lr, weight, _done=[False]):
    """Right on the first case; then doubles every step of course.optim.Adam, and answers so."""
    if not _done[0]:
        _done[0] = True
        original = optim.Adam.step

        def step(self, *a, **k):
            old = [np.array(p.data, copy=True) for group in self.param_groups for p in group["params"]]
            loss = original(self, *a, **k)
            for before, p in zip(old, [p for group in self.param_groups for p in group["params"]]):
                p.data[...] = before + 2 * (np.asarray(p.data) - before)
            return loss
        patch(optim.Adam, "step", step)
        return REF["check_adam_first_step_ratio"](lr, weight)
    return 2 * REF["check_adam_first_step_ratio"](lr, weight)


def sabotage_accumulating(model, loss_fn, optimizer, loader, accumulate, _done=[False]):
    """Right on the first case; then makes SGD and Adam do nothing, and trains with them."""
    if not _done[0]:
        _done[0] = True
        result = REF["check_accumulating_epoch"](model, loss_fn, optimizer, loader, accumulate)
        for cls in (optim.SGD, optim.Adam):
            patch(cls, "step", lambda self, closure=None: None)
        return result
    return REF["check_accumulating_epoch"](model, loss_fn, optimizer, loader, accumulate)


def scribbles_on_the_digits(model, loss_fn, optimizer, loader, accumulate, _done=[False]):
    """Right on the first case, then zeroes the cached digits that the checker copies its data from."""
    result = REF["check_accumulating_epoch"](model, loss_fn, optimizer, loader, accumulate)
    if not _done[0]:
        _done[0] = True
        digits_data(2)[0][0][...] = 0.0
    return result


def test_the_cached_digits_cannot_be_scribbled_on():
    """digits_data gives fresh copies: a learner's function that zeroes what it got changes
    nothing that a later check (or exercise) reads."""
    before = digits_data(2)[0][0].copy()
    scribbles_on_the_digits.__defaults__[0][0] = False
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert E.check_accumulating_epoch(scribbles_on_the_digits) is True, out.getvalue()
    np.testing.assert_array_equal(digits_data(2)[0][0], before)
    assert np.any(before != 0)


# ----------------------------------------------------------------- the classic mistakes
def _accumulating(model, loss_fn, optimizer, loader, accumulate, *, zero_each=False, from_zero=False,
                  record_scaled=False, weighted=True, every_batch=False, never=False, epochs=1):
    total, count, losses, pending = 0.0, 0, [], 0
    optimizer.zero_grad()
    for _ in range(epochs):
        for i, (inputs, targets) in enumerate(loader):
            if zero_each:
                optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            (loss / accumulate).backward()
            item = loss.item() / accumulate if record_scaled else loss.item()
            total, count, pending = total + item * len(inputs), count + len(inputs), pending + 1
            losses.append(item)
            due = i % accumulate == 0 if from_zero else pending == accumulate
            if not never and (due or every_batch):
                optimizer.step()
                optimizer.zero_grad()
                pending = 0
        if pending and not never and not from_zero:
            optimizer.step()
            optimizer.zero_grad()
            pending = 0
    return total / count if weighted else sum(losses) / len(losses)


def _adam_parts(p, g, m, v, t, lr, b1, b2, eps):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    return m, v


def _adam(p, g, m, v, t, lr, b1, b2, eps, correct_m=True, correct_v=True, inside=False, t_used=None):
    m, v = _adam_parts(p, g, m, v, t, lr, b1, b2, eps)
    t = t if t_used is None else t_used
    mh = m / (1 - b1 ** t) if correct_m else m
    vh = v / (1 - b2 ** t) if correct_v else v
    denom = np.sqrt(vh + eps) if inside else np.sqrt(vh) + eps
    return p - lr * mh / denom, m, v


def _lion(p, g, m, lr, b1, b2, wd, sign_beta=None, update_beta=None, decay=True, decay_after=False):
    c = (sign_beta or b1) * m + (1 - (sign_beta or b1)) * g
    if decay_after:
        new = (p - lr * np.sign(c)) * (1 - lr * wd)
    else:
        new = (p * (1 - lr * wd) if decay else p) - lr * np.sign(c)
    ub = b2 if update_beta is None else update_beta
    return new, ub * m + (1 - ub) * g


def _adadelta(p, g, v, u, lr, rho, eps, outside=False, use_lr=True, new_u=False):
    v = rho * v + (1 - rho) * g * g
    if outside:
        delta = (np.sqrt(u) + eps) / (np.sqrt(v) + eps) * g
    else:
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
    u2 = rho * u + (1 - rho) * delta ** 2
    if new_u:
        delta = np.sqrt(u2 + eps) / np.sqrt(v + eps) * g
    return p - (lr if use_lr else 1.0) * delta, v, u2


def _minibatch(X, y, w, idx):
    Xb, yb = X[idx], y[idx]
    return 2 * Xb.T @ (Xb @ w - yb) / len(idx)


def _batches(n, b, epochs, seed, fresh=False, shuffle=True, drop_last=False):
    rng = np.random.default_rng(seed)
    out = []
    for epoch in range(epochs):
        if fresh:
            rng = np.random.default_rng(seed)
        order = rng.permutation(n) if shuffle else np.arange(n)
        out += [order[i:i + b] for i in range(0, n, b) if not (drop_last and i + b > n)]
    return out


def _cos(base_lr, eta_min, T_max, epoch):
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * epoch / T_max)) / 2


def _warmup(base_lr, sf, warmup, total, eta_min, epoch, T=None, shift=True, div=None):
    if epoch < warmup:
        return base_lr * (sf + (1 - sf) * epoch / (warmup if div is None else div))
    return _cos(base_lr, eta_min, total - warmup if T is None else T, epoch - warmup if shift else epoch)


def _is_better(a, best, mode, tm, th, strict=True, rel_only=False, abs_best=False):
    tm = "rel" if rel_only else tm
    b = abs(best) if abs_best else best
    if mode == "min":
        bound = best - b * th if tm == "rel" else best - th
        return a < bound if strict else a <= bound
    bound = best + b * th if tm == "rel" else best + th
    return a > bound if strict else a >= bound


def _train(model, loss_fn, optimizer, loader, *, zero=True, weighted=True, order="normal", epochs=1,
           last=False, per_batch_size=False):
    total, count, losses = 0.0, 0, []
    for _ in range(epochs):
        for x, y in loader:
            if zero and order != "zero after backward":
                optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            if order == "zero after backward":
                optimizer.zero_grad()
            optimizer.step()
            total += loss.item() * len(x)
            count += len(x)
            losses.append(loss.item())
    if last:
        return losses[-1]
    if per_batch_size:
        return total / (len(loader) * loader.batch_size)
    return total / count if weighted else sum(losses) / len(losses)


def _smooth(losses, beta, debias=True, power_offset=1, start_first=False):
    avg, out = (losses[0] if start_first else 0.0), []
    for i, loss in enumerate(losses):
        avg = beta * avg + (1 - beta) * loss
        out.append(avg / (1 - beta ** (i + power_offset)) if debias else avg)
    return out


def _smooth_lerp(losses, beta):
    avg, out = 0.0, []
    for i, loss in enumerate(losses):
        avg = avg + (1 - beta) * (loss - avg)
        out.append(avg / (1 - beta ** (i + 1)))
    return out


def _momentum_tricks(p, g, buf, *, lr, momentum, how):
    if how == "copies":
        buf[...] = momentum * buf + g
        p[...] = p - lr * buf
    elif how == "new arrays":
        return p - lr * (momentum * buf + g)
    elif how == "buf not in place":
        buf = momentum * buf + g
        p -= lr * buf
    elif how == "nesterov":
        buf *= momentum
        buf += g
        p -= lr * (g + momentum * buf)
    elif how == "no momentum":
        p -= lr * g
    elif how == "extra temporaries":
        buf *= momentum
        buf += g
        p -= lr * buf * 1.0
    elif how == "step before the buffer":
        p -= lr * buf
        buf *= momentum
        buf += g
    elif how == "float32 lr":
        buf *= momentum
        buf += g
        p -= np.float32(lr) * buf
    elif how == "dampening":
        buf *= momentum
        buf += (1 - momentum) * g
        p -= lr * buf
    return None


def _drop_empties_metrics():
    E.DROP_EXERCISE["metrics"].clear()
    return []


def _drop_changes_kwargs():
    from course.classroom.plateau_demo import plateau_timeline
    E.DROP_EXERCISE["kwargs"]["patience"] = 100
    t = plateau_timeline(E.DROP_EXERCISE["metrics"], lr=E.DROP_EXERCISE["lr"], **E.DROP_EXERCISE["kwargs"])
    return t.reductions.tolist()


def _drop_patches_scheduler():
    patch(S.ReduceLROnPlateau, "_reduce_lr", lambda self, *a, **k: None)
    patch(S.ReduceLROnPlateau, "step", lambda self, metrics, *a, **k: None)
    return []


SPECIFIC_WRONG = {
    "check_per_step_t_max": {
        "counts epochs": lambda n, b, e, drop_last=False: e,
        "counts the batches of one epoch": lambda n, b, e, drop_last=False: math.ceil(n / b),
        "always rounds down": lambda n, b, e, drop_last=False: n // b * e,
        "always rounds up (ignores drop_last)": lambda n, b, e, drop_last=False: math.ceil(n / b) * e,
        "drop_last the wrong way round": lambda n, b, e, drop_last=False: REF["check_per_step_t_max"](
            n, b, e, drop_last=not drop_last),
        "n / b * e, not whole": lambda n, b, e, drop_last=False: n / b * e,
        "round(n / b) * e": lambda n, b, e, drop_last=False: round(n / b) * e,
        "n // b + 1 batches": lambda n, b, e, drop_last=False: (n // b + 1) * e,
        "the number of samples": lambda n, b, e, drop_last=False: n * e,
        "all epochs' samples in batches": lambda n, b, e, drop_last=False: (
            n * e // b if drop_last else math.ceil(n * e / b)),
        "patches DataLoader.__len__ for later cases": sabotage_per_step,
    },
    "check_adam_first_step_ratio": {
        "lr / ||w||": lambda lr, w: lr / np.linalg.norm(w),
        "lr * n / ||w||": lambda lr, w: lr * w.size / np.linalg.norm(w),
        "upside down": lambda lr, w: np.linalg.norm(w) / (lr * math.sqrt(w.size)),
        "the step's norm, not the ratio": lambda lr, w: lr * math.sqrt(w.size),
        "the squared ratio": lambda lr, w: lr ** 2 * w.size / np.linalg.norm(w) ** 2,
        "the L1 norm of w": lambda lr, w: lr * math.sqrt(w.size) / np.abs(w).sum(),
        "lr / max |w|": lambda lr, w: lr / np.abs(w).max(),
        "the number of rows, not of entries": lambda lr, w: lr * math.sqrt(w.shape[0]) / np.linalg.norm(w),
        "no bias correction: (1 - beta1) / sqrt(1 - beta2)": lambda lr, w: (
            lr * math.sqrt(w.size) / np.linalg.norm(w) * 0.1 / math.sqrt(0.001)),
        "SGD's ratio with g = w": lambda lr, w: lr,
        "patches course.optim.Adam for later cases": sabotage_adam_ratio,
    },
    "check_accumulating_epoch": {
        "the loss not scaled": lambda *a: pe._accumulating_reference(*a, scale=False),
        "no step for the incomplete last group": lambda *a: pe._accumulating_reference(*a, leftover=False),
        "ignores accumulate (one epoch of fit)": lambda m, l, o, d, a: _train(m, l, o, d),
        "zero_grad every batch": lambda *a: _accumulating(*a, zero_each=True),
        "off by one: steps after batch 0, accumulate, 2 accumulate, ...": lambda *a: _accumulating(*a, from_zero=True),
        "records the scaled loss": lambda *a: _accumulating(*a, record_scaled=True),
        "the mean of the batch losses": lambda *a: _accumulating(*a, weighted=False),
        "steps every batch, on the scaled loss": lambda *a: _accumulating(*a, every_batch=True),
        "never steps": lambda *a: _accumulating(*a, never=True),
        "two epochs": lambda *a: _accumulating(*a, epochs=2),
        "patches SGD and Adam for later cases": sabotage_accumulating,
    },
    "check_gd_step": {
        "wrong sign": lambda p, g, lr: p + lr * g,
        "forgets the lr": lambda p, g, lr: p - g,
        "squares the gradient": lambda p, g, lr: p - lr * g * g,
        "sign of the gradient": lambda p, g, lr: p - lr * np.sign(g),
        "the default lr 0.01": lambda p, g, lr: p - 0.01 * g,
        "returns the step, not the new param": lambda p, g, lr: -lr * g,
    },
    "check_stable_lr": {
        "1/L": lambda H: 1 / np.linalg.eigvalsh(H).max(),
        "2/mu (the smallest eigenvalue)": lambda H: 2 / np.linalg.eigvalsh(H).min(),
        "2/trace": lambda H: 2 / np.trace(H),
        "2/Frobenius norm": lambda H: 2 / np.linalg.norm(H),
        "2/max diagonal": lambda H: 2 / np.max(np.diag(H)),
        "2/max |entry|": lambda H: 2 / np.max(np.abs(H)),
        "2/(L + mu), the best lr": lambda H: 2 / (np.linalg.eigvalsh(H).max() + np.linalg.eigvalsh(H).min()),
        "an array of one value": lambda H: np.array([2 / np.linalg.eigvalsh(H).max()]),
        "every 2/eigenvalue": lambda H: 2 / np.linalg.eigvalsh(H),
        "patches numpy's eigvalsh for later cases": sabotage_stable_lr,
    },
    "check_momentum_step": {
        "Sutskever's buffer": lambda p, g, b, lr, mu: (p + (mu * b - lr * g), mu * b - lr * g),
        "lr inside the buffer": lambda p, g, b, lr, mu: (p - (mu * b + lr * g), mu * b + lr * g),
        "ignores the buffer": lambda p, g, b, lr, mu: (p - lr * g, g),
        "dampening (1 - momentum)": lambda p, g, b, lr, mu: (p - lr * (mu * b + (1 - mu) * g), mu * b + (1 - mu) * g),
        "Nesterov's step": lambda p, g, b, lr, mu: (p - lr * (g + mu * (mu * b + g)), mu * b + g),
        "steps with the old buffer": lambda p, g, b, lr, mu: (p - lr * b, mu * b + g),
        "wrong sign": lambda p, g, b, lr, mu: (p + lr * (mu * b + g), mu * b + g),
        "returns (buf, param)": lambda p, g, b, lr, mu: (mu * b + g, p - lr * (mu * b + g)),
        "patches course.optim.SGD for later cases": sabotage_optimizer(optim.SGD, REF["check_momentum_step"]),
    },
    "check_nesterov_step": {
        "heavy-ball step": lambda p, g, b, lr, mu: (p - lr * (mu * b + g), mu * b + g),
        "looks ahead with the old buffer": lambda p, g, b, lr, mu: (p - lr * (g + mu * b), mu * b + g),
        "forgets the gradient": lambda p, g, b, lr, mu: (p - lr * mu * (mu * b + g), mu * b + g),
        "Sutskever's form": lambda p, g, b, lr, mu: (p + mu * (mu * b - lr * g) - lr * g, mu * b - lr * g),
        "patches course.optim.SGD for later cases": sabotage_optimizer(optim.SGD, REF["check_nesterov_step"]),
    },
    "check_optimal_momentum": {
        "swapped": lambda L, mu: REF["check_optimal_momentum"](L, mu)[::-1],
        "momentum not squared": lambda L, mu: ((2 / (math.sqrt(L) + math.sqrt(mu))) ** 2,
                                               (math.sqrt(L / mu) - 1) / (math.sqrt(L / mu) + 1)),
        "GD's best lr 2/(L + mu)": lambda L, mu: (2 / (L + mu), ((math.sqrt(L / mu) - 1) / (math.sqrt(L / mu) + 1)) ** 2),
        "lr not squared": lambda L, mu: (2 / (math.sqrt(L) + math.sqrt(mu)),
                                         ((math.sqrt(L / mu) - 1) / (math.sqrt(L / mu) + 1)) ** 2),
        "kappa = L - mu": lambda L, mu: ((2 / (math.sqrt(L) + math.sqrt(mu))) ** 2,
                                         ((math.sqrt(L - mu) - 1) / (math.sqrt(L - mu) + 1)) ** 2),
        "patches course.classroom.rates for later cases": sabotage_optimal_momentum,
    },
    "check_adagrad_step": {
        "eps inside the root": lambda p, g, s, lr, eps: (p - lr * g / np.sqrt(s + g * g + eps), s + g * g),
        "no accumulation": lambda p, g, s, lr, eps: (p - lr * g / (np.sqrt(g * g) + eps), g * g),
        "precedence: lr*g/sqrt(s) + eps": lambda p, g, s, lr, eps: (p - (lr * g / np.sqrt(s + g * g) + eps), s + g * g),
        "returns the old sum": lambda p, g, s, lr, eps: (p - lr * g / (np.sqrt(s + g * g) + eps), s),
        "sums |g|, not g**2": lambda p, g, s, lr, eps: (p - lr * g / (np.sqrt(s + np.abs(g)) + eps), s + np.abs(g)),
        "wrong sign": lambda p, g, s, lr, eps: (p + lr * g / (np.sqrt(s + g * g) + eps), s + g * g),
        "patches course.optim.Adagrad for later cases": sabotage_optimizer(optim.Adagrad, REF["check_adagrad_step"]),
    },
    "check_rmsprop_step": {
        "eps inside the root": lambda p, g, v, lr, a, eps: (p - lr * g / np.sqrt(a * v + (1 - a) * g * g + eps),
                                                            a * v + (1 - a) * g * g),
        "alpha and 1 - alpha swapped": lambda p, g, v, lr, a, eps: (
            p - lr * g / (np.sqrt((1 - a) * v + a * g * g) + eps), (1 - a) * v + a * g * g),
        "no (1 - alpha)": lambda p, g, v, lr, a, eps: (p - lr * g / (np.sqrt(a * v + g * g) + eps), a * v + g * g),
        "steps with the old average": lambda p, g, v, lr, a, eps: (p - lr * g / (np.sqrt(v) + eps),
                                                                   a * v + (1 - a) * g * g),
        "bias-corrected like Adam": lambda p, g, v, lr, a, eps: (
            p - lr * g / (np.sqrt((a * v + (1 - a) * g * g) / (1 - a)) + eps), a * v + (1 - a) * g * g),
        "patches course.optim.RMSprop for later cases": sabotage_optimizer(optim.RMSprop, REF["check_rmsprop_step"]),
    },
    "check_adam_step": {
        "missing bias correction": lambda *a: _adam(*a, correct_m=False, correct_v=False),
        "bias correction of m only": lambda *a: _adam(*a, correct_v=False),
        "bias correction of v only": lambda *a: _adam(*a, correct_m=False),
        "eps inside the root": lambda *a: _adam(*a, inside=True),
        "off by one: step - 1": lambda *a: _adam(*a, t_used=a[4] - 1),
        "off by one: step + 1": lambda *a: _adam(*a, t_used=a[4] + 1),
        "betas swapped": lambda p, g, m, v, t, lr, b1, b2, eps: _adam(p, g, m, v, t, lr, b2, b1, eps),
        "wrong sign": lambda *a: (2 * a[0] - _adam(*a)[0], *_adam(*a)[1:]),
        "returns the old moments": lambda *a: (_adam(*a)[0], a[2], a[3]),
        "patches course.optim.Adam for later cases": sabotage_optimizer(optim.Adam, REF["check_adam_step"]),
    },
    "check_adamw_step": {
        "Adam's L2 penalty": lambda p, g, m, v, t, lr, b1, b2, eps, wd: _adam(p, g + wd * p, m, v, t, lr, b1, b2, eps),
        "no weight decay": lambda p, g, m, v, t, lr, b1, b2, eps, wd: _adam(p, g, m, v, t, lr, b1, b2, eps),
        "decays after the step": lambda p, g, m, v, t, lr, b1, b2, eps, wd: (
            _adam(p, g, m, v, t, lr, b1, b2, eps)[0] * (1 - lr * wd), *_adam(p, g, m, v, t, lr, b1, b2, eps)[1:]),
        "decay without lr": lambda p, g, m, v, t, lr, b1, b2, eps, wd: _adam(p * (1 - wd), g, m, v, t, lr, b1, b2, eps),
        "missing bias correction": lambda p, g, m, v, t, lr, b1, b2, eps, wd: _adam(
            p * (1 - lr * wd), g, m, v, t, lr, b1, b2, eps, correct_m=False, correct_v=False),
        "patches course.optim.AdamW for later cases": sabotage_optimizer(optim.AdamW, REF["check_adamw_step"]),
    },
    "check_lion_step": {
        "sign of the new exp_avg (beta2)": lambda p, g, m, lr, b1, b2, wd: (
            p * (1 - lr * wd) - lr * np.sign(b2 * m + (1 - b2) * g), b2 * m + (1 - b2) * g),
        "exp_avg updated with beta1": lambda *a: _lion(*a, update_beta=a[4]),
        "no weight decay": lambda *a: _lion(*a, decay=False),
        "decays after the step": lambda *a: _lion(*a, decay_after=True),
        "no sign": lambda p, g, m, lr, b1, b2, wd: (p * (1 - lr * wd) - lr * (b1 * m + (1 - b1) * g),
                                                    b2 * m + (1 - b2) * g),
        "wrong sign": lambda p, g, m, lr, b1, b2, wd: (p * (1 - lr * wd) + lr * np.sign(b1 * m + (1 - b1) * g),
                                                       b2 * m + (1 - b2) * g),
        "patches course.optim.Lion for later cases": sabotage_optimizer(optim.Lion, REF["check_lion_step"]),
    },
    "check_adadelta_step": {
        "eps outside the roots": lambda *a: _adadelta(*a, outside=True),
        "forgets the lr": lambda *a: _adadelta(*a, use_lr=False),
        "uses the new acc_delta": lambda *a: _adadelta(*a, new_u=True),
        "rho and 1 - rho swapped": lambda p, g, v, u, lr, rho, eps: _adadelta(p, g, v, u, lr, 1 - rho, eps),
        "patches course.optim.Adadelta for later cases": sabotage_optimizer(optim.Adadelta, REF["check_adadelta_step"]),
    },
    "check_minibatch_gradient": {
        "the sum, not the mean": lambda X, y, w, i: _minibatch(X, y, w, i) * len(i),
        "wrong sign": lambda X, y, w, i: -_minibatch(X, y, w, i),
        "no factor 2": lambda X, y, w, i: _minibatch(X, y, w, i) / 2,
        "the full batch": lambda X, y, w, i: _minibatch(X, y, w, np.arange(len(X))),
        "divides by N": lambda X, y, w, i: _minibatch(X, y, w, i) * len(i) / len(X),
        "flat shape (d,)": lambda X, y, w, i: _minibatch(X, y, w, i).ravel(),
        "transposed (1, d)": lambda X, y, w, i: _minibatch(X, y, w, i).T,
        "indices off by one": lambda X, y, w, i: _minibatch(X, y, w, (i + 1) % len(X)),
    },
    "check_epoch_batches": {
        "a fresh generator every epoch": lambda n, b, e, s: _batches(n, b, e, s, fresh=True),
        "unshuffled": lambda n, b, e, s: _batches(n, b, e, s, shuffle=False),
        "drops the last batch": lambda n, b, e, s: _batches(n, b, e, s, drop_last=True),
        "legacy np.random.seed": lambda n, b, e, s: (np.random.seed(s), [
            o[i:i + b] for o in [np.random.permutation(n) for _ in range(e)] for i in range(0, n, b)])[1],
        "one epoch only": lambda n, b, e, s: _batches(n, b, 1, s),
        "seed + epoch": lambda n, b, e, s: [o[i:i + b] for k in range(e)
                                            for o in [np.random.default_rng(s + k).permutation(n)]
                                            for i in range(0, n, b)],
        "with replacement": lambda n, b, e, s: (lambda rng: [o[i:i + b] for _ in range(e)
                                                             for o in [rng.choice(n, n)] for i in range(0, n, b)])(
            np.random.default_rng(s)),
        "1-based indices": lambda n, b, e, s: [x + 1 for x in _batches(n, b, e, s)],
        "float indices": lambda n, b, e, s: [x.astype(float) for x in _batches(n, b, e, s)],
        "boolean masks": lambda n, b, e, s: [np.isin(np.arange(n), x) for x in _batches(n, b, e, s)],
        "patches course.data.DataLoader for later cases": sabotage_epoch_batches,
    },
    "check_step_lr": {
        "decays one epoch late": lambda lr, g, s, e: lr * g ** ((e - 1) // s) if e > 0 else lr,
        "decays one epoch early": lambda lr, g, s, e: lr * g ** ((e + 1) // s),
        "no floor": lambda lr, g, s, e: lr * g ** (e / s),
        "gamma times the count": lambda lr, g, s, e: lr * (g * (e // s) if e // s else 1),
        "patches lr_scheduler.simulate": sabotage_step_lr,
    },
    "check_cosine_lr": {
        "stays at eta_min after T_max": lambda b, m, T, e: _cos(b, m, T, min(e, T)),
        "T_max + 1": lambda b, m, T, e: _cos(b, m, T + 1, e),
        "(1 - cos) / 2": lambda b, m, T, e: m + (b - m) * (1 - math.cos(math.pi * e / T)) / 2,
        "no pi": lambda b, m, T, e: m + (b - m) * (1 + math.cos(e / T)) / 2,
        "integer division": lambda b, m, T, e: m + (b - m) * (1 + math.cos(math.pi * (e // T))) / 2,
        "forgets eta_min": lambda b, m, T, e: b * (1 + math.cos(math.pi * e / T)) / 2,
        "adds eta_min to the full curve": lambda b, m, T, e: m + b * (1 + math.cos(math.pi * e / T)) / 2,
    },
    "check_warmup_cosine": {
        "T_max = total": lambda *a: _warmup(*a, T=a[3]),
        "the cosine not shifted": lambda *a: _warmup(*a, shift=False),
        "warmup reaches base_lr one epoch early": lambda *a: _warmup(*a, div=max(a[2] - 1, 1)),
        "warmup from 0": lambda b, sf, w, t, m, e: _warmup(b, 0.0, w, t, m, e),
        "no warmup": lambda b, sf, w, t, m, e: _cos(b, m, t - w, max(e - w, 0)),
    },
    "check_is_better": {
        "not strict (<=)": lambda *a: _is_better(*a, strict=False),
        "always relative": lambda *a: _is_better(*a, rel_only=True),
        "relative to |best|": lambda *a: _is_better(*a, abs_best=True),
        "max mode as min": lambda a, best, mode, tm, th: _is_better(a, best, "min", tm, th),
        "returns 1 or 0": lambda *a: int(REF["check_is_better"](*a)),
        "returns 'True' or 'False'": lambda *a: str(REF["check_is_better"](*a)),
        "returns the opposite": lambda *a: not REF["check_is_better"](*a),
        "rearranged: best - a > best*threshold (wrong at best=inf)": lambda a, best, mode, tm, th: (
            (best - a > (best * th if tm == "rel" else th)) if mode == "min" else
            (a - best > (best * th if tm == "rel" else th))),
        "patches ReduceLROnPlateau.is_better": sabotage_is_better,
    },
    "check_drop_epochs": {
        "one epoch late": lambda: [6, 11, 16],
        "one epoch early": lambda: [4, 9, 14],
        "non-integers": lambda: [5.6, 10.6, 15.6],
        "inf": lambda: [float("inf")],
        "nan": lambda: [float("nan")],
        "-inf": lambda: [-math.inf, 5, 10, 15],
        "strings": lambda: ["5", "10", "15"],
        "booleans": lambda: [True, True, True],
        "a duplicate": lambda: [5, 5, 10, 15],
        "one missing": lambda: [5, 10],
        "one too many": lambda: [5, 10, 15, 16],
        "complex": lambda: [5 + 0j, 10 + 0j, 15 + 0j],
        "a string": lambda: "5, 10, 15",
        "a dict": lambda: {5: True, 10: True, 15: True},
        "a number": lambda: 5,
        "empties DROP_EXERCISE['metrics'], answers []": _drop_empties_metrics,
        "raises patience in DROP_EXERCISE, answers for it": _drop_changes_kwargs,
        "patches ReduceLROnPlateau to never reduce, answers []": _drop_patches_scheduler,
        "huge": lambda: [10 ** 400],
    },
    "check_train_one_epoch": {
        "the mean of the batch losses": lambda *a: _train(*a, weighted=False),
        "no zero_grad": lambda *a: _train(*a, zero=False),
        "zero_grad between backward and step": lambda *a: _train(*a, order="zero after backward"),
        "the last batch's loss": lambda *a: _train(*a, last=True),
        "two epochs": lambda *a: _train(*a, epochs=2),
        "divides by len(loader) * batch_size": lambda *a: _train(*a, per_batch_size=True),
        "patches RMSprop and Adam for later cases": sabotage_train,
    },
    "check_accuracy": {
        "a percentage": lambda l, t: 100 * float(np.mean(np.argmax(l, axis=1) == t)),
        "argmin": lambda l, t: float(np.mean(np.argmin(l, axis=1) == t)),
        "the count": lambda l, t: int(np.sum(np.argmax(l, axis=1) == t)),
        "the error rate": lambda l, t: 1 - float(np.mean(np.argmax(l, axis=1) == t)),
        "ties go to the last": lambda l, t: float(np.mean(l.shape[1] - 1 - np.argmax(l[:, ::-1], axis=1) == t)),
        "axis 0": lambda l, t: float(np.mean(np.argmax(l, axis=0) == t[: l.shape[1]])),
        "patches course.training.accuracy": sabotage_accuracy,
    },
    "check_exponential_lrs": {
        "i / num_iter": wrong_lrs,
        "linear": lambda s, e, n: list(np.linspace(s, e, n)),
        "one too many": lambda s, e, n: [s * (e / s) ** (i / (n - 1)) for i in range(n + 1)],
        "reversed": lambda s, e, n: [s * (e / s) ** (i / (n - 1)) for i in range(n)][::-1],
        "starts at the second": lambda s, e, n: [s * (e / s) ** ((i + 1) / n) for i in range(n)],
        "patches course.lr_finder.lr_find for later cases": sabotage_exponential,
    },
    "check_smooth_losses": {
        "no bias correction": no_debias,
        "1 - beta**i": lambda l, b: _smooth(l, b, power_offset=0) if b else _smooth(l, b, power_offset=2),
        "starts from the first loss": lambda l, b: _smooth(l, b, start_first=True),
        "beta and 1 - beta swapped": lambda l, b: _smooth(l, 1 - b) if b not in (0.0, 1.0) else _smooth(l, 0.5),
        "the running mean": lambda l, b: list(np.cumsum(l) / np.arange(1, len(l) + 1)),
        "patches course.lr_finder.lr_find for later cases": sabotage_smooth,
    },
    "check_momentum_step_inplace": {
        how: (lambda p, g, buf, *, lr, momentum, _how=how: _momentum_tricks(p, g, buf, lr=lr, momentum=momentum,
                                                                             how=_how))
        for how in ("copies", "new arrays", "buf not in place", "nesterov", "no momentum", "extra temporaries",
                    "step before the buffer", "float32 lr", "dampening")
    } | {"patches course.optim.SGD for later cases": sabotage_inplace},
    "check_roofline_time": {
        "the sum": lambda f, b, n, bw, pk: b * n / bw + f * n / pk,
        "the min": lambda f, b, n, bw, pk: min(b * n / bw, f * n / pk),
        "in ms": lambda f, b, n, bw, pk: 1e3 * max(b * n / bw, f * n / pk),
        "memory only": lambda f, b, n, bw, pk: b * n / bw,
        "compute only": lambda f, b, n, bw, pk: f * n / pk,
        "flops over bandwidth": lambda f, b, n, bw, pk: max(f * n / bw, b * n / pk),
        "forgets n": lambda f, b, n, bw, pk: max(b / bw, f / pk),
        "patches memory_traffic.roofline_time": sabotage_roofline,
    },
}

# ----------------------------------------------------------------- right variants
def _accumulating_zero_first(model, loss_fn, optimizer, loader, accumulate):
    total, count, pending = 0.0, 0, 0
    for inputs, targets in loader:
        if pending == 0:
            optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        (loss / accumulate).backward()
        total, count, pending = total + loss.item() * len(inputs), count + len(inputs), pending + 1
        if pending == accumulate:
            optimizer.step()
            pending = 0
    if pending:
        optimizer.step()
    return total / count


def _real_adam_ratio(lr, w):
    from course.tensor import Parameter
    p = Parameter(w.copy())
    p.grad = np.ones_like(w)
    optim.Adam([p], lr=lr).step()
    return float(np.linalg.norm(np.asarray(p.data) - w) / np.linalg.norm(w))


SPECIFIC_RIGHT = {
    "check_per_step_t_max": {
        "-(-n // b)": lambda n, b, e, drop_last=False: (n // b if drop_last else -(-n // b)) * e,
        "len(range(...))": lambda n, b, e, drop_last=False: len(range(0, n - b + 1 if drop_last else n, b)) * e,
        "len of a course DataLoader": lambda n, b, e, drop_last=False: len(DataLoader(
            TensorDataset(np.zeros((n, 1)), np.zeros(n)), batch_size=b, drop_last=drop_last)) * e,
    },
    "check_adam_first_step_ratio": {
        "lr / RMS(w)": lambda lr, w: lr / float(np.sqrt(np.mean(w ** 2))),
        "a real Adam step with gradient 1": _real_adam_ratio,
        "scribbles over its weight after using it": lambda lr, w: (
            REF["check_adam_first_step_ratio"](lr, w), w.__imul__(0))[0],
    },
    "check_accumulating_epoch": {
        "the loop of the wrong variants, with no slip": lambda m, l, o, d, a: _accumulating(m, l, o, d, a),
        "zero_grad before each group's first batch": lambda m, l, o, d, a: _accumulating_zero_first(m, l, o, d, a),
    },
    "check_gd_step": {"p + (-lr) * g": lambda p, g, lr: p + (-lr) * g,
                      "np.subtract": lambda p, g, lr: np.subtract(p, np.multiply(lr, g))},
    "check_stable_lr": {"2 / spectral norm": lambda H: 2 / np.linalg.norm(H, 2),
                        "2 / max of eigvals (real)": lambda H: 2 / max(np.linalg.eigvals(H).real),
                        "2 / largest singular value": lambda H: 2 / np.linalg.svd(H, compute_uv=False)[0],
                        "numpy float64": lambda H: np.float64(2) / np.linalg.eigvalsh(H)[-1]},
    "check_momentum_step": {"in place, torch style": lambda p, g, b, lr, mu: (
        lambda b2: (p - lr * b2, b2))(np.add(np.multiply(b, mu), g))},
    "check_nesterov_step": {"p - lr*g - lr*mu*buf": lambda p, g, b, lr, mu: (
        lambda b2: (p - lr * g - lr * mu * b2, b2))(mu * b + g)},
    "check_optimal_momentum": {
        "with math.sqrt": lambda L, mu: (4 / (math.sqrt(L) + math.sqrt(mu)) ** 2,
                                         ((math.sqrt(L) - math.sqrt(mu)) / (math.sqrt(L) + math.sqrt(mu))) ** 2),
        "a list": lambda L, mu: list(REF["check_optimal_momentum"](L, mu)),
        "kappa = mu / L (the same square)": lambda L, mu: (
            (2 / (math.sqrt(L) + math.sqrt(mu))) ** 2, ((math.sqrt(mu / L) - 1) / (math.sqrt(mu / L) + 1)) ** 2),
    },
    "check_adagrad_step": {"np.square": lambda p, g, s, lr, eps: (
        lambda s2: (p - lr * g / (np.sqrt(s2) + eps), s2))(s + np.square(g))},
    "check_rmsprop_step": {"lerp form": lambda p, g, v, lr, a, eps: (
        lambda v2: (p - lr * g / (np.sqrt(v2) + eps), v2))(v + (1 - a) * (g * g - v))},
    "check_adam_step": {
        "the formula with eps after the corrected root": lambda *a: _adam(*a),
        "lerp moments, step size form": lambda p, g, m, v, t, lr, b1, b2, eps: (
            lambda m2, v2: (p - (lr / (1 - b1 ** t)) * m2 / (np.sqrt(v2) / math.sqrt(1 - b2 ** t) + eps), m2, v2))(
            m + (g - m) * (1 - b1), v + (g * g - v) * (1 - b2)),
    },
    "check_adamw_step": {"decay inside one expression": lambda p, g, m, v, t, lr, b1, b2, eps, wd: (
        lambda r: (r[0] - lr * wd * p, r[1], r[2]))(_adam(p, g, m, v, t, lr, b1, b2, eps))},
    "check_lion_step": {"torch's lerp": lambda p, g, m, lr, b1, b2, wd: (
        p * (1 - lr * wd) - lr * np.sign(m + (g - m) * (1 - b1)), m + (g - m) * (1 - b2))},
    "check_adadelta_step": {"np.sqrt of a ratio": lambda p, g, v, u, lr, rho, eps: (
        lambda v2: (lambda d: (p - lr * d, v2, rho * u + (1 - rho) * d * d))(
            np.sqrt((u + eps) / (v2 + eps)) * g))(rho * v + (1 - rho) * g ** 2)},
    "check_minibatch_gradient": {"mean of per-sample gradients": lambda X, y, w, i: np.mean(
        [2 * X[k][:, None] * (X[k] @ w - y[k]) for k in i], axis=0),
        "indices.size": lambda X, y, w, i: 2 / i.size * X[i].T @ (X[i] @ w - y[i])},
    "check_epoch_batches": {
        "rng.shuffle of arange": lambda n, b, e, s: (lambda rng: [
            o[i:i + b] for _ in range(e) for o in [(lambda a: (rng.shuffle(a), a)[1])(np.arange(n))]
            for i in range(0, n, b)])(np.random.default_rng(s)),
        "lists of Python ints": lambda n, b, e, s: [x.tolist() for x in _batches(n, b, e, s)],
        "a generator": lambda n, b, e, s: (x for x in _batches(n, b, e, s)),
        "int32": lambda n, b, e, s: [x.astype(np.int32) for x in _batches(n, b, e, s)],
    },
    "check_step_lr": {"math.floor": lambda lr, g, s, e: lr * g ** math.floor(e / s),
                      "repr round trip": lambda lr, g, s, e: float(repr(lr * g ** (e // s)))},
    "check_cosine_lr": {"np.cos": lambda b, m, T, e: float(m + 0.5 * (b - m) * (1 + np.cos(np.pi * e / T)))},
    "check_warmup_cosine": {"written out": lambda b, sf, w, t, m, e: (
        b * (sf + (1 - sf) * e / w) if e < w else m + (b - m) * (1 + math.cos(math.pi * (e - w) / (t - w))) / 2)},
    "check_is_better": {
        "numpy bools": lambda a, best, mode, tm, th: np.bool_(REF["check_is_better"](a, best, mode, tm, th)),
        "np.less / np.greater": lambda a, best, mode, tm, th: (
            np.less(a, best * (1 - th) if tm == "rel" else best - th) if mode == "min" else
            np.greater(a, best * (1 + th) if tm == "rel" else best + th)),
    },
    "check_drop_epochs": {
        "a tuple": lambda: (5, 10, 15),
        "a numpy array": lambda: np.array([5, 10, 15]),
        "unsorted": lambda: [15, 5, 10],
        "a set": lambda: {5, 10, 15},
        "whole floats": lambda: [5.0, 10.0, 15.0],
        "numpy ints": lambda: [np.int64(5), np.int32(10), np.int64(15)],
        "a generator": lambda: (e for e in [5, 10, 15]),
        "from the real scheduler": lambda: __import__("course.classroom.plateau_demo", fromlist=["x"]).plateau_timeline(
            E.DROP_EXERCISE["metrics"], lr=E.DROP_EXERCISE["lr"], **E.DROP_EXERCISE["kwargs"]).reductions,
    },
    "check_train_one_epoch": {
        "model.zero_grad": lambda model, loss_fn, optimizer, loader: (lambda sizes, losses: float(
            np.average(losses, weights=sizes)))(*zip(*[
                (len(x), (model.zero_grad(), (lambda loss: (loss.backward(), optimizer.step(), loss.item())[2])(
                    loss_fn(model(x), y)))[1]) for x, y in loader])),
    },
    "check_accuracy": {"softmax first": lambda l, t: float(np.mean(np.argmax(
        np.exp(l - l.max(1, keepdims=True)), axis=1) == t)),
        "count / size": lambda l, t: np.count_nonzero(l.argmax(1) == t) / t.size},
    "check_exponential_lrs": {"np.geomspace": lambda s, e, n: np.geomspace(s, e, n),
                              "np.logspace": lambda s, e, n: list(np.logspace(math.log10(s), math.log10(e), n)),
                              "a tuple": lambda s, e, n: tuple(REF["check_exponential_lrs"](s, e, n))},
    "check_smooth_losses": {"lerp": lambda l, b: _smooth_lerp(l, b),
        "numpy array": lambda l, b: np.array(_smooth(l, b))},
    "check_momentum_step_inplace": {
        "ufuncs with out=": lambda p, g, buf, *, lr, momentum: (np.multiply(buf, momentum, out=buf),
                                                                np.add(buf, g, out=buf), p.__isub__(lr * buf))
        and None,
    },
    "check_roofline_time": {"n * max": lambda f, b, n, bw, pk: n * max(b / bw, f / pk),
                            "np.maximum": lambda f, b, n, bw, pk: np.maximum(b * n / bw, f * n / pk)},
}


# ----------------------------------------------------------------- notebook 13 (training at scale)
# its checkers' kinds, and the classic mistakes of its four exercises
KIND.update({"check_first_rectified_step": "count", "check_scaled_lr": "scalar", "check_edge_threshold": "scalar",
             "check_b_simple": "scalar"})
FLOAT_ARGS |= {"check_scaled_lr", "check_edge_threshold", "check_b_simple"}


def _rho(t, b):
    return 2 / (1 - b) - 1 - 2 * t * b ** t / (1 - b ** t)


def _first_t(test):
    t = 1
    while not test(t):
        t += 1
    return t


SPECIFIC_WRONG.update({
    "check_first_rectified_step": {
        "the paper's first threshold, rho_t > 4": lambda b: _first_t(lambda t: _rho(t, b) > 4),
        "counts steps from 0": lambda b: _first_t(lambda t: _rho(t, b) > 5) - 1,
        "the last step without rectification": lambda b: _first_t(lambda t: _rho(t, b) > 5) - 1,
        "tests rho_inf, not rho_t": lambda b: 1,
        "no division by 1 - beta2**t": lambda b: _first_t(lambda t: 2 / (1 - b) - 1 - 2 * t * b ** t > 5),
        "always 6 (true for the usual betas only)": lambda b: 6,
        "an int8": lambda b: np.int8(_first_t(lambda t: _rho(t, b) > 5)),
    },
    "check_scaled_lr": {
        "the rules swapped": lambda lr, b, nb, o: lr * math.sqrt(nb / b) if o == "SGD" else lr * nb / b,
        "linear for both": lambda lr, b, nb, o: lr * nb / b,
        "square root for both": lambda lr, b, nb, o: lr * math.sqrt(nb / b),
        "upside down": lambda lr, b, nb, o: lr * b / nb if o == "SGD" else lr * math.sqrt(b / nb),
        "lr unchanged": lambda lr, b, nb, o: lr,
        "squared for Adam": lambda lr, b, nb, o: lr * nb / b if o == "SGD" else lr * (nb / b) ** 2,
    },
    "check_edge_threshold": {
        "plain GD's 2 / lr": lambda lr, m: 2 / lr,
        "momentum as a larger lr: 2 (1 - m) / lr": lambda lr, m: 2 * (1 - m) / lr,
        "2 / (lr / (1 - m))": lambda lr, m: 2 / (lr / (1 - m)),
        "(2 + m) / lr": lambda lr, m: (2 + m) / lr,
        "2 (1 + m) / lr**2": lambda lr, m: 2 * (1 + m) / lr ** 2,
        "Nesterov's limit, (2 + 2m) / (lr (1 + 2m))": lambda lr, m: (2 + 2 * m) / (lr * (1 + 2 * m)),
    },
    "check_b_simple": {
        "covariance divided by N - 1": lambda g: float(np.trace(np.cov(g.T)) / (g.mean(0) @ g.mean(0))),
        "divided by |G|, not |G|**2": lambda g: float(((g - g.mean(0)) ** 2).sum(1).mean() / np.linalg.norm(g.mean(0))),
        "no mean subtracted": lambda g: float((g ** 2).sum(1).mean() / (g.mean(0) @ g.mean(0))),
        "the noise of the full batch, tr(Sigma) / N": lambda g: float(
            ((g - g.mean(0)) ** 2).sum(1).mean() / len(g) / (g.mean(0) @ g.mean(0))),
        "upside down": lambda g: float((g.mean(0) @ g.mean(0)) / ((g - g.mean(0)) ** 2).sum(1).mean()),
        "mean over parameters, not the trace": lambda g: float(
            ((g - g.mean(0)) ** 2).mean() / (g.mean(0) @ g.mean(0))),
        "the mean of per-sample noise scales": lambda g: float(np.mean(
            ((g - g.mean(0)) ** 2).sum(1) / (g ** 2).sum(1))),
    },
})
SPECIFIC_RIGHT.update({
    "check_first_rectified_step": {
        "a for loop, numpy int": lambda b: np.int64(next(t for t in range(1, 10_000) if _rho(t, b) > 5)),
    },
    "check_scaled_lr": {"** 0.5": lambda lr, b, nb, o: lr * (nb / b) ** (1 if o == "SGD" else 0.5)},
    "check_edge_threshold": {"(2 + 2 m) / lr": lambda lr, m: (2 + 2 * m) / lr},
    "check_b_simple": {
        "trace of np.cov(bias=True)": lambda g: float(np.trace(np.cov(g.T, bias=True)) / (g.mean(0) @ g.mean(0))),
        "the variances' sum": lambda g: float(g.var(axis=0).sum() / np.sum(g.mean(axis=0) ** 2)),
    },
})

# ----------------------------------------------------------------- notebook 05 (derive exercises)
KIND.update({"check_adamw_halving_steps": "count", "check_uncorrected_first_step": "scalar"})
FLOAT_ARGS |= {"check_uncorrected_first_step"}


def _halving(lr, wd):
    return math.ceil(math.log(0.5) / math.log(1 - lr * wd))


SPECIFIC_WRONG.update({
    "check_adamw_halving_steps": {
        "ln 2 / (lr wd), rounded up": lambda lr, wd: math.ceil(math.log(2) / (lr * wd)),
        "ln 2 / (lr wd), rounded": lambda lr, wd: round(math.log(2) / (lr * wd)),
        "rounded down": lambda lr, wd: math.floor(math.log(0.5) / math.log(1 - lr * wd)),
        "decay lr only, no weight_decay": lambda lr, wd: math.ceil(math.log(0.5) / math.log(1 - lr)),
        "1 / (lr wd)": lambda lr, wd: math.ceil(1 / (lr * wd)),
        "one step less": lambda lr, wd: _halving(lr, wd) - 1,
        "to reach zero: Adam's L2 reasoning": lambda lr, wd: math.ceil(0.5 / lr),
    },
    "check_uncorrected_first_step": {
        "with bias correction: 1": lambda b1, b2: 1.0,
        "(1 - b1) / (1 - b2)": lambda b1, b2: (1 - b1) / (1 - b2),
        "upside down": lambda b1, b2: math.sqrt(1 - b2) / (1 - b1),
        "b1 / sqrt(b2)": lambda b1, b2: b1 / math.sqrt(b2) if b2 else 0.0,
        "no root": lambda b1, b2: (1 - b1) / (1 - b2) ** 2 if b2 < 1 else 0.0,
        "beta1 ignored": lambda b1, b2: 1 / math.sqrt(1 - b2),
    },
})
SPECIFIC_RIGHT.update({
    "check_adamw_halving_steps": {"a loop": lambda lr, wd: next(k for k in range(1, 10 ** 6)
                                                                 if (1 - lr * wd) ** k <= 0.5)},
    "check_uncorrected_first_step": {"** 0.5": lambda b1, b2: (1 - b1) * (1 - b2) ** -0.5},
})


# ----------------------------------------------------------------- notebooks 03 and 06 (stability)
KIND.update({"check_nesterov_stable_lr": "scalar", "check_lion_resting_point": "scalar"})
FLOAT_ARGS |= {"check_nesterov_stable_lr"}
SPECIFIC_WRONG.update({
    "check_nesterov_stable_lr": {
        "the heavy ball's 2 (1 + m) / h": lambda h, m: 2 * (1 + m) / h,
        "plain GD's 2 / h": lambda h, m: 2 / h,
        "2 / (h (1 + 2 m))": lambda h, m: 2 / (h * (1 + 2 * m)),
        "2 (1 + m) / (h (1 + m)**2)": lambda h, m: 2 * (1 + m) / (h * (1 + m) ** 2),
        "2 (1 - m) / h": lambda h, m: 2 * (1 - m) / h,
        "(2 + 2 m) / (1 + 2 m), h forgotten": lambda h, m: (2 + 2 * m) / (1 + 2 * m),
    },
    "check_lion_resting_point": {
        "-g / weight_decay": lambda g, wd: -g / wd,
        "sign the wrong way": lambda g, wd: float(np.sign(g)) / wd,
        "always 0": lambda g, wd: 0.0,
        "-1 / weight_decay, even for g = 0": lambda g, wd: -math.copysign(1, g) / wd,
        "-sign(g) weight_decay": lambda g, wd: -float(np.sign(g)) * wd,
        "-sign(g)": lambda g, wd: -float(np.sign(g)),
    },
})
SPECIFIC_RIGHT.update({
    "check_nesterov_stable_lr": {"as one fraction": lambda h, m: (2 + 2 * m) / (h + 2 * h * m)},
    "check_lion_resting_point": {"a branch": lambda g, wd: 0.0 if g == 0 else (-1 / wd if g > 0 else 1 / wd)},
})


# ----------------------------------------------------------------- notebook 12 (beyond Adam)
# its checkers' kinds, and the classic mistakes of its four exercises
KIND.update({"check_jacobi_condition_number": "scalar", "check_adafactor_saving": "scalar",
             "check_ns_steps": "count", "check_shampoo_as_full_matrix": "arrays"})
FLOAT_ARGS |= {"check_shampoo_as_full_matrix"}
_NS = (3.4445, -4.7750, 2.0315)


def _ns_count(fraction, threshold, step=None):
    a, b, c = _NS
    step = step or (lambda x: a * x + b * x ** 3 + c * x ** 5)
    x, k = fraction, 0
    while x < threshold and k < 1000:
        x, k = step(x), k + 1
    return k


def _spd_power(S, p):
    w, V = np.linalg.eigh(S)
    return (V * w ** p) @ V.T


def _jacobi_r(kappa, degrees):
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    mu = 1 / kappa
    return abs((mu - 1) * c * s) / math.sqrt((mu * c * c + s * s) * (mu * s * s + c * c))


def _saving(shape):
    return 2.0 if len(shape) == 1 else 2 * shape[-2] * shape[-1] / (shape[-2] + shape[-1])


SPECIFIC_WRONG.update({
    "check_jacobi_condition_number": {
        "the bowl's own kappa": lambda k, d: k,
        "always 1 (a diagonal rounds every bowl)": lambda k, d: 1.0,
        "the eigenvalue ratio 1 + r, not (1 + r) / (1 - r)": lambda k, d: 1 + _jacobi_r(k, d),
        "degrees used as radians": lambda k, d: REF["check_jacobi_condition_number"](k, math.degrees(d)),
        "the square root of the right answer": lambda k, d: math.sqrt(REF["check_jacobi_condition_number"](k, d)),
        "1 / (1 - r)": lambda k, d: 1 / (1 - _jacobi_r(k, d)),
    },
    "check_adafactor_saving": {
        "Adam keeps one array": lambda shape: _saving(shape) / 2,
        "upside down": lambda shape: 1 / _saving(shape),
        "a vector saves nothing": lambda shape: 1.0 if len(shape) == 1 else _saving(shape),
        "one row and column for a whole stack": lambda shape: 2 * math.prod(shape) / (shape[-2] + shape[-1])
        if len(shape) > 1 else 2.0,
        "the first two dimensions, not the last two": lambda shape: 2 * shape[0] * shape[1] / (shape[0] + shape[1])
        if len(shape) > 1 else 2.0,
        "integer division": lambda shape: 2 if len(shape) == 1 else 2 * shape[-2] * shape[-1] // (shape[-2] + shape[-1]),
    },
    "check_ns_steps": {
        "the linear part only, a x": lambda f, t: 0 if f >= t else math.ceil(math.log(t / f) / math.log(_NS[0])),
        "one step too many": lambda f, t: _ns_count(f, t) + 1,
        "the linear estimate rounded down": lambda f, t: max(0, math.floor(math.log(t / f) / math.log(_NS[0]))),
        "the cubic Newton-Schulz, 1.5 x - 0.5 x**3": lambda f, t: _ns_count(f, t, lambda x: 1.5 * x - 0.5 * x ** 3),
        "always 5, torch's default": lambda f, t: 5,
        "starts from the value, not its fraction (times 10)": lambda f, t: _ns_count(10 * f, t),
    },
    "check_shampoo_as_full_matrix": {
        "the order for rows stacked": lambda L, R: np.kron(_spd_power(L, -0.25), _spd_power(R, -0.25)),
        "-1/2 powers": lambda L, R: np.kron(_spd_power(R, -0.5), _spd_power(L, -0.5)),
        "elementwise powers": lambda L, R: np.kron(np.abs(R) ** -0.25, np.abs(L) ** -0.25),
        "the block-diagonal sum, not the product": lambda L, R: np.kron(_spd_power(R, -0.25), np.eye(len(L)))
        + np.kron(np.eye(len(R)), _spd_power(L, -0.25)),
        "+1/4 powers": lambda L, R: np.kron(_spd_power(R, 0.25), _spd_power(L, 0.25)),
        "the inverse square root of kron(R, L)": lambda L, R: _spd_power(np.kron(R, L), -0.5),
    },
})
SPECIFIC_RIGHT.update({
    "check_jacobi_condition_number": {
        "from the eigenvalues of the 2 x 2": lambda k, d: (lambda w: float(w[1] / w[0]))(np.linalg.eigvalsh(
            np.array([[1.0, _jacobi_r(k, d)], [_jacobi_r(k, d), 1.0]]))),
    },
    "check_adafactor_saving": {"numpy float": lambda shape: np.float64(_saving(shape))},
    "check_ns_steps": {"numpy int": lambda f, t: np.int64(_ns_count(f, t))},
    "check_shampoo_as_full_matrix": {"the fourth root of the inverse square root of kron(R, L)": lambda L, R:
                                     _spd_power(_spd_power(np.kron(R, L), -0.5), 0.5)},
})


# ----------------------------------------------------------------- notebook 10 (the smoothing's lag)
# two derivations, each a number of iterations (floats checked to 1e-9)
KIND.update({"check_ema_lag": "scalar", "check_debiased_lag": "scalar"})
FLOAT_ARGS |= {"check_ema_lag", "check_debiased_lag"}


def _steady_lag(b):
    return b / (1 - b)


SPECIFIC_WRONG.update({
    "check_ema_lag": {
        "1 / (1 - beta): the newest loss counted 1 iteration old": lambda b: 1 / (1 - b),
        "upside down, (1 - beta) / beta": lambda b: (1 - b) / b if b else math.inf,
        "the time constant -1 / ln(beta)": lambda b: -1 / math.log(b) if b else 0.0,
        "the half-life ln(0.5) / ln(beta)": lambda b: math.log(0.5) / math.log(b) if b else 0.0,
        "pandas' span, 2 / (1 - beta) - 1": lambda b: 2 / (1 - b) - 1,
        "beta / (1 - beta)**2": lambda b: b / (1 - b) ** 2,
        "half the memory, 1 / (2 (1 - beta))": lambda b: 1 / (2 * (1 - b)),
        "rounded to whole iterations": lambda b: float(round(b / (1 - b))),
        "always 50 (the lag for the default beta)": lambda b: 50.0,
        "the lag at iteration 99 (bias correction not faded)": lambda b: _steady_lag(b) - 100 * b ** 100 / (1 - b ** 100),
    },
    "check_debiased_lag": {
        "the steady lag beta / (1 - beta), no bias correction": lambda i, b: _steady_lag(b),
        "power i, not i + 1": lambda i, b: _steady_lag(b) - i * b ** i / (1 - b ** i) if i and b else 0.0,
        "equal weights, i / 2": lambda i, b: i / 2,
        "1 / (1 - beta) minus the correction": lambda i, b: 1 / (1 - b) - (i + 1) * b ** (i + 1) / (1 - b ** (i + 1)),
        "the correction's sign flipped": lambda i, b: _steady_lag(b) + (i + 1) * b ** (i + 1) / (1 - b ** (i + 1)),
        "the lag of the average without correction": lambda i, b: _steady_lag(b) - (i + 1) * b ** (i + 1) / (1 - b),
        "capped at i / 2": lambda i, b: min(_steady_lag(b), i / 2),
        "the steady lag times (1 - beta**(i + 1))": lambda i, b: _steady_lag(b) * (1 - b ** (i + 1)),
    },
})
SPECIFIC_RIGHT.update({
    "check_ema_lag": {
        "the sum of k (1 - beta) beta**k, summed far enough": lambda b: math.fsum(
            k * (1 - b) * b ** k for k in range(20000)),
        "1 / (1 - beta) - 1": lambda b: 1 / (1 - b) - 1,
    },
    "check_debiased_lag": {
        "the mean age of the normalized weights": lambda i, b: math.fsum(
            k * (1 - b) * b ** k for k in range(i + 1)) / math.fsum((1 - b) * b ** k for k in range(i + 1)),
        "numpy": lambda i, b: float(np.sum(np.arange(i + 1) * b ** np.arange(i + 1.0)) / np.sum(b ** np.arange(i + 1.0))),
    },
})


# ----------------------------------------------------------------- notebook 04 (AdaGrad and RMSProp)
# its checkers' kinds, and the classic mistakes of its three exercises (derive, predict, diagnose)
KIND.update({"check_adagrad_effective_lr": "scalar", "check_rmsprop_step_ratio": "scalar", "check_eps_inside": "bool"})
FLOAT_ARGS |= {"check_adagrad_effective_lr", "check_rmsprop_step_ratio"}


def _placements(g, lr, alpha, eps, v=None):
    """RMSProp's first step, eps after the root and inside it (v_1 = (1 - alpha) g**2 unless given)."""
    v = (1 - alpha) * g * g if v is None else v
    return -lr * g / (math.sqrt(v) + eps), -lr * g / math.sqrt(v + eps)


def _nearer_inside(step, after, inside):
    return abs(step - inside) < abs(step - after)


SPECIFIC_WRONG.update({
    "check_adagrad_effective_lr": {
        "t instead of sqrt(t)": lambda lr, g, t, eps: lr / (t * abs(g) + eps),
        "g, not |g| (negative for a negative g)": lambda lr, g, t, eps: lr / (math.sqrt(t) * g + eps),
        "forgets g: lr / (sqrt(t) + eps)": lambda lr, g, t, eps: lr / (math.sqrt(t) + eps),
        "eps inside the root": lambda lr, g, t, eps: lr / math.sqrt(t * g * g + eps),
        "the first step's: lr / (|g| + eps)": lambda lr, g, t, eps: lr / (abs(g) + eps),
        "eps left out": lambda lr, g, t, eps: lr / (math.sqrt(t) * abs(g)),
        "eps times sqrt(t)": lambda lr, g, t, eps: lr / (math.sqrt(t) * (abs(g) + eps)),
        "the sum of t - 1 gradients": lambda lr, g, t, eps: lr / (math.sqrt(max(t - 1, 1)) * abs(g) + eps),
        "the step, not the step over |g|": lambda lr, g, t, eps: lr * abs(g) / (math.sqrt(t) * abs(g) + eps),
    },
    "check_rmsprop_step_ratio": {
        "the first step's 1 / sqrt(1 - alpha)": lambda a, t: 1 / math.sqrt(1 - a),
        "no square root": lambda a, t: 1 / (1 - a ** t),
        "upside down": lambda a, t: math.sqrt(1 - a ** t),
        "the long-run 1": lambda a, t: 1.0,
        "alpha**(t + 1)": lambda a, t: 1 / math.sqrt(1 - a ** (t + 1)),
        "alpha**(t - 1)": lambda a, t: 1 / math.sqrt(1 - a ** (t - 1)) if t > 1 else 1 / math.sqrt(1 - a),
        "(1 - alpha)**t": lambda a, t: 1 / math.sqrt(1 - (1 - a) ** t) if a > 0 else 1.0,
        "1 / sqrt(1 - alpha)**t": lambda a, t: (1 / math.sqrt(1 - a)) ** t,
    },
    "check_eps_inside": {
        "always True": lambda g, step, lr, a, eps: True,
        "always False": lambda g, step, lr, a, eps: False,
        "the answer swapped": lambda g, step, lr, a, eps: not _nearer_inside(step, *_placements(g, lr, a, eps)),
        "a step below lr means inside": lambda g, step, lr, a, eps: abs(step) < lr,
        "a step below lr / sqrt(1 - alpha) means inside": lambda g, step, lr, a, eps: abs(step) < lr / math.sqrt(1 - a),
        "v_1 = g**2 (forgets 1 - alpha)": lambda g, step, lr, a, eps: _nearer_inside(
            step, *_placements(g, lr, a, eps, v=g * g)),
        "tiny gradient means inside": lambda g, step, lr, a, eps: abs(g) < 1e-3,
        "the string 'inside' or 'after'": lambda g, step, lr, a, eps: (
            "inside" if _nearer_inside(step, *_placements(g, lr, a, eps)) else "after"),
        "1 or 0": lambda g, step, lr, a, eps: int(_nearer_inside(step, *_placements(g, lr, a, eps))),
        "a one-element array": lambda g, step, lr, a, eps: np.array([_nearer_inside(step, *_placements(g, lr, a, eps))]),
        "None for the ordinary gradients": lambda g, step, lr, a, eps: (
            _nearer_inside(step, *_placements(g, lr, a, eps)) if abs(g) < 1e-5 else None),
    },
})
SPECIFIC_RIGHT.update({
    "check_adagrad_effective_lr": {"via t * g**2": lambda lr, g, t, eps: lr / (np.sqrt(t * g ** 2) + eps)},
    "check_rmsprop_step_ratio": {"the geometric sum": lambda a, t: (sum((1 - a) * a ** k for k in range(t))) ** -0.5},
    "check_eps_inside": {
        "not np.isclose to torch's step": lambda g, step, lr, a, eps: not np.isclose(step, _placements(g, lr, a, eps)[0]),
        "a numpy bool": lambda g, step, lr, a, eps: np.bool_(_nearer_inside(step, *_placements(g, lr, a, eps))),
    },
})


# ----------------------------------------------------------------- notebook 02 (SGD and mini-batches)
# its two new checkers' kinds and the classic mistakes of their exercises; the notebook no longer
# uses its two older checkers, whose references are the right answers written above
KIND.update({"check_lr_for_batch": "scalar", "check_expected_excess": "scalar"})
FLOAT_ARGS |= {"check_lr_for_batch", "check_expected_excess"}
REF.setdefault("check_minibatch_gradient", _minibatch)
REF.setdefault("check_epoch_batches", _batches)


def _bisect_lr(lr, b, nb, h, iterations=200, ball=lambda g, h: np.sum(g / (2 - g * h))):
    h = np.asarray(h, dtype=float)
    target = nb / b * ball(lr, h)
    lo, hi = 0.0, 2 / h.max()
    for _ in range(iterations):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if ball(mid, h) < target else (lo, mid)
    return (lo + hi) / 2


def _excess(lr, b, s, h, z0, t, power=2, half=True, var=None, ramp=True, square=True, steps_off=0, total=np.sum):
    h, z0 = np.asarray(h, dtype=float), np.asarray(z0, dtype=float)
    t = t + steps_off
    decay = (1 - lr * h) ** (power * t)
    ball = lr * (s ** 2 / b if var is None else var(s, b)) / (h * (2 - lr * h))
    start = z0 ** 2 if square else np.abs(z0)
    value = total(h * (decay * start + ball * ((1 - decay) if ramp else 1)))
    return float(value / 2 if half else value)


def sabotage_lr_for_batch(lr, b, nb, h, _done=[False]):
    """Right on its first call, which also makes the checker's bisection give the linear rule;
    the linear rule after that."""
    if not _done[0]:
        _done[0] = True
        patch(E.minibatch, "_lr_for_ball", lambda target, batch, hs: target * 2 * batch / len(hs))
        return _bisect_lr(lr, b, nb, h)
    return lr * nb / b


def sabotage_expected_excess(lr, b, s, h, z0, t, _done=[False]):
    if not _done[0]:
        _done[0] = True
        patch(E.minibatch, "_expected_excess_reference", lambda *args: 0.0)
        return _excess(lr, b, s, h, z0, t)
    return 0.0


SPECIFIC_WRONG.update({
    "check_lr_for_batch": {
        "the linear rule": lambda lr, b, nb, h: lr * nb / b,
        "the linear rule, capped at 2 / L": lambda lr, b, nb, h: min(lr * nb / b, 2 / max(h)),
        "the linear rule, capped at 2 / (L + mu)": lambda lr, b, nb, h: min(lr * nb / b, 2 / (max(h) + min(h))),
        "the square-root rule": lambda lr, b, nb, h: lr * math.sqrt(nb / b),
        "upside down": lambda lr, b, nb, h: _bisect_lr(lr, nb, b, h),
        "the stability limit 2 / L": lambda lr, b, nb, h: 2 / max(h),
        "the first eigenvalue only": lambda lr, b, nb, h: _bisect_lr(lr, b, nb, h[:1]),
        "the largest eigenvalue only": lambda lr, b, nb, h: _bisect_lr(lr, b, nb, [max(h)]),
        "the smallest eigenvalue only": lambda lr, b, nb, h: _bisect_lr(lr, b, nb, [min(h)]),
        "the mean eigenvalue": lambda lr, b, nb, h: _bisect_lr(lr, b, nb, [np.mean(h)]),
        "a bisection stopped at 20 halvings": lambda lr, b, nb, h: _bisect_lr(lr, b, nb, h, iterations=20),
        "the ball without the 1/h of V_h, weighted by h twice": lambda lr, b, nb, h: _bisect_lr(
            lr, b, nb, h, ball=lambda g, hs: np.sum(hs * g / (2 - g * hs))),
        "(2 - lr h) squared": lambda lr, b, nb, h: _bisect_lr(lr, b, nb, h, ball=lambda g, hs: np.sum(g / (2 - g * hs) ** 2)),
        "the batch ratio squared": lambda lr, b, nb, h: _bisect_lr(lr, b * b, nb * nb, h),
        "patches the checker's bisection for later cases": sabotage_lr_for_batch,
    },
    "check_expected_excess": {
        "the stationary ball only": lambda lr, b, s, h, z, t: _excess(lr, b, s, h, z, 10 ** 6),
        "no noise (the mean only)": lambda lr, b, s, h, z, t: _excess(lr, b, 0.0, h, z, t),
        "(1 - lr h)**t, not **(2 t)": lambda lr, b, s, h, z, t: _excess(lr, b, s, h, z, t, power=1),
        "no factor 1/2": lambda lr, b, s, h, z, t: _excess(lr, b, s, h, z, t, half=False),
        "noise not divided by B": lambda lr, b, s, h, z, t: _excess(lr, b, s, h, z, t, var=lambda s, b: s ** 2),
        "noise variance divided by sqrt(B)": lambda lr, b, s, h, z, t: _excess(
            lr, b, s, h, z, t, var=lambda s, b: s ** 2 / math.sqrt(b)),
        "noise standard deviation, not variance": lambda lr, b, s, h, z, t: _excess(
            lr, b, s, h, z, t, var=lambda s, b: s / b),
        "the whole ball from step 0": lambda lr, b, s, h, z, t: _excess(lr, b, s, h, z, t, ramp=False),
        "the start not squared": lambda lr, b, s, h, z, t: _excess(lr, b, s, h, z, t, square=False),
        "one step too many": lambda lr, b, s, h, z, t: _excess(lr, b, s, h, z, t, steps_off=1),
        "one step too few": lambda lr, b, s, h, z, t: _excess(lr, b, s, h, z, t, steps_off=-1),
        "the mean over directions, not the sum": lambda lr, b, s, h, z, t: _excess(lr, b, s, h, z, t, total=np.mean),
        "the small-lr ball lr s^2 d / (4 B) plus the mean": lambda lr, b, s, h, z, t: _excess(
            lr, b, 0.0, h, z, t) + lr * s ** 2 * len(h) / (4 * b),
        "patches the checker's reference for later cases": sabotage_expected_excess,
    },
})
def _lr_while(lr, b, nb, h):
    def ball(g):
        return sum(g / (2 - g * x) for x in h)   # a Python loop over the eigenvalues
    target, lo, hi = nb / b * ball(lr), 0.0, 2 / max(h)
    while hi - lo > 1e-15 * hi:
        mid = (lo + hi) / 2
        if ball(mid) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _excess_steps(lr, b, s, h, z0, t):
    h, mean, var = np.asarray(h, float), np.asarray(z0, float), np.zeros(len(h))
    for _ in range(t):  # the mean's and the variance's recursions
        mean, var = (1 - lr * h) * mean, (1 - lr * h) ** 2 * var + lr ** 2 * s ** 2 / b
    return float(np.sum(h * (mean ** 2 + var)) / 2)


SPECIFIC_RIGHT.update({
    "check_lr_for_batch": {"a while loop to a 1e-15 bracket, a loop over the eigenvalues": _lr_while,
                           "a numpy float": lambda lr, b, nb, h: np.float64(_bisect_lr(lr, b, nb, h))},
    "check_expected_excess": {"the recursions, step by step": _excess_steps},
})


# ----------------------------------------------------------------- notebook 07 (lr schedulers)
# its exercises now predict and derive; the three closed-form checkers it used before keep their
# old solutions as references
def _old_step_lr(base_lr, gamma, step_size, epoch):
    return base_lr * gamma ** (epoch // step_size)


def _old_warmup_cosine(base_lr, start_factor, warmup, total, eta_min, epoch):
    return _warmup(base_lr, start_factor, warmup, total, eta_min, epoch)


REF.setdefault("check_step_lr", _old_step_lr)
REF.setdefault("check_cosine_lr", _cos)
REF.setdefault("check_warmup_cosine", _old_warmup_cosine)
KIND.update({"check_chained_lr": "scalar", "check_first_epoch_below": "count", "check_warm_restart_lr": "scalar"})
FLOAT_ARGS |= {"check_chained_lr", "check_warm_restart_lr"}


def _chained(b, sf, w, T, k, lin=None, cos_k=None):
    lin = sf + (1 - sf) * min(k, w) / w if lin is None else lin
    return b * lin * (1 + math.cos(math.pi * (k if cos_k is None else cos_k) / T)) / 2


def _below_x(b, w, t, th, T=None, two=2):
    return ((t - w) if T is None else T) / math.pi * math.acos(two * th / b - 1)


def _restart(b, m, T0, Tm, t, grow=True, frac=True, sign=1):
    t = t if frac else math.floor(t)
    Ti = T0
    while t >= Ti:
        t -= Ti
        Ti = Ti * Tm if grow else Ti
    return m + (b - m) * (1 + sign * math.cos(math.pi * t / Ti)) / 2


SPECIFIC_WRONG.update({
    "check_chained_lr": {
        "SequentialLR's lr (the cosine waits for the warmup)": lambda b, sf, w, T, k: (
            _chained(b, sf, w, T, k, lin=1.0, cos_k=k - w) if k >= w else _chained(b, sf, w, T, k, cos_k=0)),
        "the warmup factor only": lambda b, sf, w, T, k: b * (sf + (1 - sf) * min(k, w) / w),
        "the cosine only": lambda b, sf, w, T, k: _chained(b, sf, w, T, k, lin=1.0),
        "the factors added, not multiplied": lambda b, sf, w, T, k: b * (
            sf + (1 - sf) * min(k, w) / w + (1 + math.cos(math.pi * k / T)) / 2 - 1),
        "LinearLR's factor not clamped after the warmup": lambda b, sf, w, T, k: _chained(
            b, sf, w, T, k, lin=sf + (1 - sf) * k / w),
        "the warmup one epoch late": lambda b, sf, w, T, k: _chained(b, sf, w, T, k, lin=sf + (1 - sf) * min(
            max(k - 1, 0), w) / w),
        "the cosine over T_max - warmup": lambda b, sf, w, T, k: _chained(b, sf, w, max(T - w, 1), k),
        "the warmup from 0": lambda b, sf, w, T, k: _chained(b, 0.0, w, T, k),
    },
    "check_first_epoch_below": {
        "the last epoch still above (floor)": lambda b, w, t, th: w + math.floor(_below_x(b, w, t, th)),
        "forgets the warmup offset": lambda b, w, t, th: math.floor(_below_x(b, w, t, th)) + 1,
        "the cosine over total epochs": lambda b, w, t, th: w + math.floor(_below_x(b, w, t, th, T=t)) + 1,
        "no factor 2 (acos(threshold / base_lr - 1))": lambda b, w, t, th: w + math.floor(
            _below_x(b, w, t, th, two=1)) + 1,
        "rounded to the nearest epoch": lambda b, w, t, th: w + round(_below_x(b, w, t, th)),
        "the crossing itself, a float": lambda b, w, t, th: w + _below_x(b, w, t, th),
        "counts epochs from 1": lambda b, w, t, th: w + math.floor(_below_x(b, w, t, th)) + 2,
        "(1 - cos) instead of (1 + cos)": lambda b, w, t, th: w + math.floor(
            (t - w) / math.pi * math.acos(1 - 2 * th / b)) + 1,
        "an int8": lambda b, w, t, th: np.int8(w + math.floor(_below_x(b, w, t, th)) + 1),
    },
    "check_warm_restart_lr": {
        "restarts every T_0 (T_mult ignored)": lambda b, m, T0, Tm, t: _restart(b, m, T0, Tm, t, grow=False),
        "the epoch floored (no fraction)": lambda b, m, T0, Tm, t: _restart(b, m, T0, Tm, t, frac=False),
        "(1 - cos) / 2": lambda b, m, T0, Tm, t: _restart(b, m, T0, Tm, t, sign=-1),
        "forgets eta_min": lambda b, m, T0, Tm, t: _restart(b, 0.0, T0, Tm, t) * b / (b if b else 1) + 0 * m,
        "no restart at all (one cosine of T_0)": lambda b, m, T0, Tm, t: _cos(b, m, T0, t),
        "the cycle start with T_mult**n in place of its sum": lambda b, m, T0, Tm, t: (lambda n: _cos(
            b, m, T0 * Tm ** n, t - T0 * Tm ** n if n else t))(
            int(math.log(t / T0 * (Tm - 1) + 1, Tm)) if Tm > 1 else int(t // T0)),
    },
})
SPECIFIC_RIGHT.update({
    "check_chained_lr": {"np.cos, numpy float": lambda b, sf, w, T, k: np.float64(b) * (
        sf + (1 - sf) * np.minimum(k, w) / w) * (1 + np.cos(np.pi * k / T)) / 2},
    "check_first_epoch_below": {
        "math.ceil (no crossing falls on a whole epoch)": lambda b, w, t, th: w + math.ceil(_below_x(b, w, t, th)),
        "a loop over the closed form": lambda b, w, t, th: next(
            e for e in range(w, t) if b * (1 + math.cos(math.pi * (e - w) / (t - w))) / 2 < th),
    },
    "check_warm_restart_lr": {"subtracting whole cycles in a loop": _restart},
})


def _merge_plugins():
    """Adversaries kept in their own files: ``tests/adversaries/<name>.py`` defines
    ``adversaries(h)``, ``h`` being this module (its helpers: ``f32``, ``_round4``, ...), and returns
    a dict with any of ``KIND``, ``FLOAT_ARGS``, ``REF``, ``SPECIFIC_WRONG``, ``SPECIFIC_RIGHT``."""
    import importlib
    for path in sorted((ROOT / "tests" / "adversaries").glob("[!_]*.py")):
        table = importlib.import_module(f"adversaries.{path.stem}").adversaries(sys.modules[__name__])
        KIND.update(table.get("KIND", {}))
        FLOAT_ARGS.update(table.get("FLOAT_ARGS", ()))
        for name, fn in table.get("REF", {}).items():
            REF.setdefault(name, fn)
        for name, fns in table.get("SPECIFIC_WRONG", {}).items():
            SPECIFIC_WRONG.setdefault(name, {}).update(fns)
        for name, fns in table.get("SPECIFIC_RIGHT", {}).items():
            SPECIFIC_RIGHT.setdefault(name, {}).update(fns)


_merge_plugins()


def _table():
    wrong, right = [], []
    for name in CHECKERS:
        ref = REF[name]
        for label, (fn, limit) in generic_wrong(name, ref).items():
            wrong.append((name, label, fn, limit))
        for label, fn in SPECIFIC_WRONG.get(name, {}).items():
            wrong.append((name, label, fn, None))
        for label, fn in generic_right(name, ref).items():
            right.append((name, label, fn))
        for label, fn in SPECIFIC_RIGHT.get(name, {}).items():
            right.append((name, label, fn))
    return wrong, right


WRONG, RIGHT = _table()
# wrong answers a checker still accepts (or chokes on): reported to the lead, the checkers left as they are
KNOWN_GAPS = {}


def _params(rows):
    return [pytest.param(*row, marks=pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[row[0], row[1]]))
            if (row[0], row[1]) in KNOWN_GAPS else row for row in rows]


def verdict(name, fn, limit=None):
    """(the checker's return value, what it printed)."""
    buf = io.StringIO()
    kwargs = {} if limit is None else {"time_limit": limit}
    with contextlib.redirect_stdout(buf):
        result = getattr(E, name)(fn, **kwargs)
    return result, buf.getvalue()


@pytest.mark.parametrize("name, label, fn, limit", _params(WRONG), ids=[f"{n}: {lab}" for n, lab, _, _ in WRONG])
def test_a_wrong_function_is_rejected_with_a_clear_verdict(name, label, fn, limit):
    before = reference_data()
    result, out = verdict(name, fn, limit)
    assert result is False, out
    assert_same_data(before, reference_data())
    assert "Traceback" not in out and name in out, out
    assert not any(line.startswith("✓") for line in out.splitlines()), out  # no success line, not even a fake one
    if limit is not None:
        assert f"did not return within {limit:g} s" in out and "case" in out, out


@pytest.mark.parametrize("name, label, fn", RIGHT, ids=[f"{n}: {lab}" for n, lab, _ in RIGHT])
def test_the_references_and_their_rounding_variants_are_accepted(name, label, fn):
    before = reference_data()
    result, out = verdict(name, fn)
    assert result is True, out
    assert_same_data(before, reference_data())
    last = out.strip().splitlines()[-1]
    assert name in last and ("✓" in last or "pass" in last or "correct" in last), out


def test_there_are_adversaries_for_every_checker():
    per = {name: sum(n == name for n, *_ in WRONG) for name in CHECKERS}
    assert min(per.values()) >= 15, per
    assert len(WRONG) >= 500


def test_the_learners_code_cannot_change_drop_exercise():
    before = copy.deepcopy(E.DROP_EXERCISE)
    assert verdict("check_drop_epochs", _drop_empties_metrics)[0] is False
    assert E.DROP_EXERCISE == before  # restored for the rest of the notebook
    assert verdict("check_drop_epochs", lambda: [5, 10, 15])[0] is True


def test_a_changed_drop_exercise_does_not_change_the_answer():
    E.DROP_EXERCISE["metrics"][:] = [1.0] * 16  # the learner edits the data outside the function
    result, out = verdict("check_drop_epochs", lambda: [5, 10, 15])
    assert result is True and "DROP_EXERCISE" in out, out
    assert E.DROP_EXERCISE == _DROP


# ----------------------------------------------------------------- the time limit, closely
def _hang(*args, **kwargs):
    while True:
        pass


def test_an_endless_loop_is_stopped_and_named_on_unix_and_in_the_main_thread():
    import signal
    import time

    if not hasattr(signal, "setitimer"):
        pytest.skip("no setitimer (Windows): the thread fallback is tested below")
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    signal.setitimer(signal.ITIMER_REAL, 30.0)  # somebody else's timer: it must survive the check
    try:
        start = time.monotonic()
        result, out = verdict("check_adam_step", _hang, 0.2)
        assert time.monotonic() - start < 2
        assert result is False and "did not return within 0.2 s on case 1" in out, out
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 25 < remaining <= 30 and signal.getsignal(signal.SIGALRM) is not None and not fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_the_thread_fallback_stops_an_endless_loop(monkeypatch):
    """Without SIGALRM (Windows), a daemon thread with join(timeout); CPython then stops the loop."""
    import signal
    import threading
    import time

    from course.classroom.exercises import _checking

    monkeypatch.delattr(_checking.signal, "setitimer", raising=False)
    result, out = verdict("check_step_lr", _hang, 0.2)
    assert result is False and "did not return within 0.2 s on the case (0.1, 0.1, 30, 0)" in out, out
    deadline = time.monotonic() + 5
    while any(t.name == "course-check" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(t.name == "course-check" for t in threading.enumerate())  # the loop was stopped
    assert verdict("check_step_lr", REF["check_step_lr"])[0] is True  # and the fallback passes right answers
    assert hasattr(signal, "signal")


def test_a_check_from_another_thread_uses_the_fallback():
    import threading

    box = {}

    def work():
        box["verdict"] = verdict("check_gd_step", _hang, 0.2)
        box["right"] = verdict("check_gd_step", REF["check_gd_step"])

    t = threading.Thread(target=work)
    t.start()
    t.join(10)
    assert box["verdict"][0] is False and "did not return within 0.2 s" in box["verdict"][1]
    assert box["right"][0] is True


def test_swallowing_exception_does_not_swallow_the_time_limit():
    def stubborn(p, g, lr):
        while True:
            try:
                while True:
                    pass
            except Exception:  # noqa: BLE001 - what a learner might write
                pass

    result, out = verdict("check_gd_step", stubborn, 0.2)
    assert result is False and "did not return within" in out


def test_the_time_limit_is_configurable():
    from course.classroom.exercises import _checking

    old = E.set_time_limit(0.2)
    try:
        result, out = verdict("check_gd_step", _hang)
        assert result is False and "did not return within 0.2 s" in out
    finally:
        E.set_time_limit(old)
    assert _checking.TIME_LIMIT == old == 5.0
    with pytest.raises(ValueError, match="time limit"):
        E.set_time_limit(-1)
    result, out = verdict("check_gd_step", REF["check_gd_step"], None)
    assert result is True


def test_an_endless_iterator_is_refused():
    import itertools

    result, out = verdict("check_epoch_batches", lambda n, b, e, s: (np.arange(b) for _ in itertools.count()), 5)
    assert result is False and "endless" in out, out


def test_exit_and_non_functions_get_a_verdict():
    result, out = verdict("check_gd_step", lambda p, g, lr: sys.exit(1))
    assert result is False and "SystemExit" in out and "exit" in out
    result, out = verdict("check_gd_step", REF["check_gd_step"](np.zeros(2), np.ones(2), 0.1))
    assert result is False and "pass your function itself" in out
    result, out = verdict("check_is_better", 3)
    assert result is False and "pass your function itself" in out


def test_forgetting_return_after_working_in_place_is_named():
    def forgot(param, grad, lr):
        param -= lr * grad

    result, out = verdict("check_gd_step", forgot)
    assert result is False and "returned None" in out and "not implemented" not in out


def test_a_float32_answer_gets_a_float32_hint():
    result, out = verdict("check_gd_step", lambda p, g, lr: (p.astype(np.float32) - np.float32(lr) * g.astype(
        np.float32)).astype(np.float64))
    assert result is False and "float32" in out and "to about 7 digits" in out


def test_the_learners_prints_are_shown_and_marked():
    def chatty(p, g, lr):
        print("step!")
        return p - lr * g

    result, out = verdict("check_gd_step", chatty)
    assert result is True
    assert out.count("your function printed: step!") == 9 and out.splitlines()[-1].startswith("✓")


if __name__ == "__main__":  # the table of the report
    import signal

    class Hung(BaseException):
        pass

    def alarm(*_):
        raise Hung

    signal.signal(signal.SIGALRM, alarm)
    counts = {}
    for name, label, fn, limit in WRONG:
        c = counts.setdefault(name, {"wrong": 0, "accepted": 0, "crashed": 0, "hung": 0})
        c["wrong"] += 1
        signal.alarm(3)
        try:
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                try:
                    ok = getattr(E, name)(fn, **({} if limit is None or "--old" in sys.argv else {"time_limit": limit}))
                except Hung:
                    ok = "hung"
            if ok == "hung":
                c["hung"] += 1
            elif ok is not False:
                c["accepted"] += 1
                print(f"  accepted: {name}: {label}", file=sys.stderr)
        except Hung:
            c["hung"] += 1
        except Exception as e:  # noqa: BLE001
            c["crashed"] += 1
            print(f"  crashed: {name}: {label}: {type(e).__name__}: {e}", file=sys.stderr)
        finally:
            signal.alarm(0)
            undo_all()
    print(f"{'checker':32s} {'wrong':>5s} {'accepted':>8s} {'crashed':>7s} {'hung':>4s}")
    for name, c in counts.items():
        print(f"{name:32s} {c['wrong']:5d} {c['accepted']:8d} {c['crashed']:7d} {c['hung']:4d}")
    total = {k: sum(c[k] for c in counts.values()) for k in ("wrong", "accepted", "crashed", "hung")}
    print(f"{'total':32s} {total['wrong']:5d} {total['accepted']:8d} {total['crashed']:7d} {total['hung']:4d}")
