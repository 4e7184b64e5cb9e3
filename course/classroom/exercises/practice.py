"""Checks for the exercises of the practice notebooks 09 (training loop), 10 (LR finder) and 11 (GPU).

Each ``check_*`` runs your function on several seeded cases, compares it with the
reference in ``course``, prints one verdict and returns True or False:

* ``"✓ name: all N cases match ..."`` when every case agrees;
* ``"✗ name, case i (...): ..."`` with expected against got and a hint otherwise;
* ``"… name: not implemented yet. ..."`` while your function is a stub (it raises
  ``NotImplementedError`` or returns ``None``), never a traceback.

>>> def accuracy(logits, targets):
...     return float((logits.argmax(axis=1) == targets).mean())
>>> check_accuracy(accuracy)
✓ check_accuracy: all 4 cases match course.training.accuracy.
True
>>> def accuracy(logits, targets):
...     raise NotImplementedError
>>> check_accuracy(accuracy)
… check_accuracy: not implemented yet. Write your function, run its cell, then run this check again.
False
"""
from __future__ import annotations

import math

import numpy as np

from .. import memory_traffic
from ... import lr_finder, nn, optim
from ...data import DataLoader, TensorDataset, make_regression
from ...training import accuracy as _accuracy
from ...training import fit
from ..digits_runs import digits_data, digits_mlp
from ._checking import _BadReturn, _call, _invoke, _numbers, _precision_hint, _raised, _scalar, _Stub, _TimedOut, checker

__all__ = ["check_train_one_epoch", "check_accuracy", "check_exponential_lrs", "check_smooth_losses",
           "check_momentum_step_inplace", "check_roofline_time", "check_per_step_t_max", "LOOP_BUGS",
           "check_loop_bugs", "check_adam_first_step_ratio", "check_accumulating_epoch"]

RTOL = 1e-9


def _not_yet(name):
    print(f"… {name}: not implemented yet. Write your function, run its cell, then run this check again.")
    return False


def _fail(name, i, desc, message, hint=None):
    print(f"✗ {name}, case {i} ({desc}): {message}")
    if hint:
        print(f"    hint: {hint}")
    return False


def _run(name, reference_name, cases, check_case, stub_returns_none=True, expect=None):
    """``check_case(case, expected) -> None`` when it matches, or ``(message, hint)``.

    ``expect(case)`` gives each case's expected answer, all of them computed before the
    learner's function first runs (so that it cannot change them)."""
    expected = [expect(case) if expect is not None else None for case in cases]
    for i, (case, want) in enumerate(zip(cases, expected), 1):
        try:
            problem = check_case(case, want)
        except _Stub:
            return _not_yet(name)
        except _NoneReturned:
            if stub_returns_none and i == 1:
                return _not_yet(name)
            return _fail(name, i, case["desc"], "your function returned None", "return the value (add `return ...`).")
        except _BadReturn as e:
            return _fail(name, i, case["desc"], str(e))
        except _TimedOut as e:
            print(f"✗ {name}: {e} on case {i} ({case['desc']}).")
            print("    hint: look for a loop that never ends (a while loop whose condition never changes).")
            return False
        except Exception as e:  # the learner's bug: report it, do not raise
            return _fail(name, i, case["desc"], _raised(e))
        if problem:
            return _fail(name, i, case["desc"], *problem)
    print(f"✓ {name}: all {len(cases)} cases match {reference_name}.")
    return True


class _NoneReturned(Exception):
    pass


def _value(fn, *args, **kwargs):
    out = _call(fn, *args, none_is_stub=False, **kwargs)
    if out is None:
        raise _NoneReturned
    return out


_as_float = _scalar  # a number, or _BadReturn saying what came instead


def _number_mismatch(got: float, expected: float, hint: str):
    """The ``(message, hint)`` of a wrong number: both to 10 digits, and the float32 hint first."""
    return f"returned {got:.10g}, expected {expected:.10g}", _precision_hint(expected, got) or hint


# ------------------------------------------------------------------- 09
def _epoch_cases():
    """Each case builds a fresh model, loss and loader, on its own copy of the data: whatever the
    learner's function does to them, the next build (and the digits of the notebooks) is intact."""
    def regression(n, batch, seed):
        X, y = make_regression(n_samples=n, n_features=10, seed=seed)

        def build():
            model = nn.SimpleNN(seed=seed)
            loader = DataLoader(TensorDataset(X.copy(), y.copy()), batch_size=batch, shuffle=True, seed=seed)
            return model, nn.MSELoss(), loader
        return build

    def digits(batch, seed):
        def build():  # digits_loader(batch, seed), on a copy of the (cached, shared) digits
            (X, y), _ = digits_data(seed)
            loader = DataLoader(TensorDataset(X.copy(), y.copy()), batch_size=batch, shuffle=True, seed=seed)
            return digits_mlp(16, seed), nn.CrossEntropyLoss(), loader
        return build

    return [
        {"desc": "SimpleNN, 250 samples, batch 32, SGD lr=0.01", "build": regression(250, 32, 0),
         "opt": lambda p: optim.SGD(p, lr=0.01)},
        {"desc": "SimpleNN, 120 samples, batch 50, RMSprop lr=0.001", "build": regression(120, 50, 1),
         "opt": lambda p: optim.RMSprop(p, lr=0.001)},
        {"desc": "digits MLP, batch 64, Adam lr=0.003", "build": digits(64, 2),
         "opt": lambda p: optim.Adam(p, lr=0.003)},
    ]


@checker
def check_train_one_epoch(train_one_epoch) -> bool:
    """``train_one_epoch(model, loss_fn, optimizer, loader) -> float``: one pass over the loader.

    It must train exactly like ``course.training.fit`` for one epoch (zero_grad, forward,
    loss, backward, step for every batch) and return the epoch's mean loss per *sample*
    (each batch's loss weighted by its number of samples, as ``fit`` records it).
    """
    name = "check_train_one_epoch"

    def expect(case):
        model, loss_fn, loader = case["build"]()
        loss = fit(model, loss_fn, case["opt"](model.parameters()), loader, 1).train_loss[0]
        sizes = {len(inputs) for inputs, _ in case["build"]()[2]}
        return loss, [np.array(p.data, copy=True) for p in model.parameters()], sizes

    def check(case, want):
        expected, expected_params, sizes = want
        model, loss_fn, loader = case["build"]()
        got = _as_float(_value(train_one_epoch, model, loss_fn, case["opt"](model.parameters()), loader),
                        "a number (the epoch's mean loss, a float: loss.item())")
        for (a, b) in zip(model.parameters(), expected_params):
            if not np.allclose(np.asarray(a.data), b, rtol=1e-9, atol=1e-12):
                return ("the parameters after the epoch differ from course.training.fit's",
                        "every batch needs optimizer.zero_grad(), forward, loss, loss.backward(), optimizer.step() "
                        "in that order; without zero_grad the gradients of earlier batches are added in.")
        if not math.isclose(got, expected, rel_tol=RTOL, abs_tol=1e-12):
            # the classic slip: the plain mean of the batch losses (the last batch is smaller)
            hint = ("weight each batch's loss by its number of samples: total += loss.item() * len(inputs); "
                    "count += len(inputs); return total / count." if len(sizes) > 1 else
                    "return the mean over the epoch of loss.item(), weighted by the batch sizes.")
            return (f"returned {got:.10g}, expected {expected:.10g} (the parameters are right)",
                    _precision_hint(expected, got) or hint)
        return None

    return _run(name, "course.training.fit (one epoch)", _epoch_cases(), check, expect=expect)


@checker
def check_accuracy(accuracy) -> bool:
    """``accuracy(logits, targets) -> float``: the fraction of rows whose largest logit is the target."""
    rng = np.random.default_rng(0)
    cases = []
    for i, (n, c) in enumerate([(5, 3), (100, 10), (64, 2)]):
        logits = rng.normal(size=(n, c)).astype(np.float32)
        cases.append({"desc": f"{n} rows, {c} classes", "logits": logits, "targets": rng.integers(0, c, size=n)})
    tied = np.array([[1.0, 1.0, 0.0], [0.0, 2.0, 2.0], [3.0, 3.0, 3.0]], dtype=np.float32)
    cases.append({"desc": "ties: the first largest logit wins, as argmax does", "logits": tied,
                  "targets": np.array([0, 2, 0])})

    def check(case, expected):
        got = _as_float(_value(accuracy, case["logits"].copy(), case["targets"].copy()),
                        "a number (a fraction in [0, 1])")
        if not math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-12):
            hint = ("a fraction in [0, 1] is expected, not a percentage." if math.isclose(got, 100 * expected)
                    else "compare argmax over the class axis (axis=1) with the targets, then take the mean.")
            return _number_mismatch(got, expected, hint)
        return None

    return _run("check_accuracy", "course.training.accuracy", cases, check,
                expect=lambda case: _accuracy(case["logits"], case["targets"]))


def _int_answer(got):
    """A learner's count as an int; None for a float that is not whole; ``_BadReturn`` for the rest."""
    if isinstance(got, bool) or not isinstance(got, (int, np.integer, float, np.floating)):
        raise _BadReturn(f"returned {type(got).__name__}, expected a whole number of steps")
    if isinstance(got, np.integer) and np.dtype(type(got)).itemsize < 4:
        raise _BadReturn(f"returned a numpy {np.dtype(type(got))}, expected a whole number: return a Python int "
                         "(small integer types wrap around silently; int8 stops at 127)")
    if isinstance(got, (int, np.integer)):
        return int(got)
    if not math.isfinite(float(got)):  # nan, inf
        raise _BadReturn(f"returned {got!r}, expected a whole number of steps")
    if float(got) != int(got):
        return None
    return int(got)


@checker
def check_per_step_t_max(per_step_t_max) -> bool:
    """``per_step_t_max(n_train, batch_size, epochs, drop_last=False) -> int``: the ``T_max`` that makes
    ``CosineAnnealingLR``, stepped after every batch, reach its minimum at the last step of training."""
    cases = [{"desc": f"{n} images, batch {b}, {e} epochs" + (", drop_last=True" if d else ""), "args": (n, b, e, d)}
             for n, b, e, d in [(1150, 64, 30, False), (1000, 100, 5, False), (1000, 64, 10, True),
                                (50, 64, 3, False), (1150, 64, 30, True)]]

    def expect(case):
        n, b, e, d = case["args"]
        loader = DataLoader(TensorDataset(np.zeros((n, 1)), np.zeros(n)), batch_size=b, drop_last=d)
        return len(loader) * e  # the scheduler is called once per batch the loader yields

    def check(case, expected):
        n, b, e, d = case["args"]
        raw = _value(per_step_t_max, n, b, e, drop_last=d)
        got = _int_answer(raw)
        if got == expected:
            return None
        if got is None:
            hint = "a loader yields whole batches: count them with math.ceil (or // with drop_last=True)."
        elif got == e:
            hint = "that counts epochs; stepped after every batch, the scheduler is called once per batch."
        elif got == (n // b) * e and not d:
            hint = "the last, smaller batch is still a batch (and a call): round up unless drop_last=True."
        elif got == -(-n // b) * e and d:
            hint = "with drop_last=True the smaller last batch is never yielded: round down."
        else:
            hint = "T_max = (batches per epoch) x epochs, with the batches per epoch of a DataLoader."
        return f"returned {raw!r}, expected {expected}", hint

    return _run("check_per_step_t_max", "len(DataLoader) x epochs", cases, check, expect=expect)


# The bugs of the three broken loops of notebook 09 (and two that none of them has).
LOOP_BUGS = ("zero_grad between backward and step", "loss kept as a tensor", "eval() never undone",
             "scheduler stepped per batch", "no zero_grad at all")
_LOOP_ANSWERS = {"A": LOOP_BUGS[0], "B": LOOP_BUGS[1], "C": LOOP_BUGS[2]}
_LOOP_HINTS = {
    "A": "look at when the gradients are read: optimizer.step() uses p.grad as it is at that moment.",
    "B": "look at what the graph counter says, and at what `total` is a sum of.",
    "C": "look at num_batches_tracked: batch norm counts the batches it trains on, and in which mode.",
}


def check_loop_bugs(answers) -> bool:
    """``answers``: a dict ``{"A": bug, "B": bug, "C": bug}``, each bug one of ``LOOP_BUGS``."""
    name = "check_loop_bugs"
    key = dict(_LOOP_ANSWERS)  # a copy: nothing the learner's object does can change the answers
    if answers is None or answers is ...:
        return _not_yet(name)
    if not isinstance(answers, dict):
        print(f"✗ {name}: expected a dict such as {{'A': LOOP_BUGS[0], ...}}, got {type(answers).__name__}.")
        return False
    try:  # plain strings only: a str subclass could compare equal to anything
        items = [(k, v) for k, v in dict.items(answers)]
    except Exception as e:
        print(f"✗ {name}: could not read the dict ({type(e).__name__}: {e}).")
        return False
    if not items or any(v is ... or v is None for _, v in items):
        return _not_yet(name)
    if sorted(str(k) for k, _ in items if type(k) in (str, np.str_)) != sorted(key) or len(items) != len(key):
        print(f"✗ {name}: expected the keys 'A', 'B' and 'C', got {sorted(map(repr, (k for k, _ in items)))}.")
        return False
    given = {}
    for loop, bug in items:
        if type(bug) not in (str, np.str_) or str(bug) not in LOOP_BUGS:
            print(f"✗ {name}, loop {loop}: {bug!r} is not one of LOOP_BUGS (a string): {list(LOOP_BUGS)}.")
            return False
        given[str(loop)] = str(bug)
    wrong = [loop for loop in sorted(key) if given[loop] != key[loop]]
    if wrong:
        loop = wrong[0]
        print(f"✗ {name}, loop {loop}: {given[loop]!r} is not its bug"
              + (f" ({len(wrong)} of 3 wrong)." if len(wrong) > 1 else "."))
        print(f"    hint: {_LOOP_HINTS[loop]}")
        return False
    print(f"✓ {name}: all 3 loops diagnosed.")
    return True


@checker
def check_adam_first_step_ratio(adam_first_step_ratio) -> bool:
    """``adam_first_step_ratio(lr, weight) -> float``: ``||w_1 - w_0|| / ||w_0||`` after Adam's first
    step from ``weight``, for any gradient without zeros (eps negligible)."""
    rng = np.random.default_rng(0)
    cases = []
    for i, (shape, lr, gscale) in enumerate([((32, 64), 0.003, 1.0), ((10, 32), 0.01, 1e-2), ((5,), 0.1, 30.0),
                                            ((200,), 1e-3, 1e-3)]):
        w = rng.normal(size=shape) * (0.1 if i % 2 else 1.0)
        g = rng.normal(size=shape) * gscale
        g[g == 0] = gscale
        cases.append({"desc": f"weight {shape}, lr={lr}, gradients of size ~{gscale:g}", "lr": lr, "w": w, "g": g})

    def expect(case):
        from ...tensor import Parameter
        p = Parameter(case["w"].copy())
        p.grad = case["g"].copy()
        optim.Adam([p], lr=case["lr"]).step()
        return float(np.linalg.norm(np.asarray(p.data) - case["w"]) / np.linalg.norm(case["w"]))

    def check(case, expected):
        got = _as_float(_value(adam_first_step_ratio, case["lr"], case["w"].copy()), "a number (the ratio)")
        if math.isclose(got, expected, rel_tol=1e-4):  # eps / |g| moves the truth by < 1e-5
            return None
        n, norm = case["w"].size, float(np.linalg.norm(case["w"]))
        if math.isclose(got, case["lr"] / norm, rel_tol=1e-4):
            hint = "every entry moves by about lr, so the update's norm is lr times the root of the number of entries."
        elif math.isclose(got, case["lr"] * n / norm, rel_tol=1e-4):
            hint = "norms add in squares: n entries of size lr have norm lr * sqrt(n), not lr * n."
        else:
            hint = ("at step 1, m_hat = g and v_hat = g**2 (bias correction undoes the betas): "
                    "each entry moves by lr * g / |g|, whatever the gradient's size.")
        return f"returned {got:.6g}, expected {expected:.6g}", hint

    return _run("check_adam_first_step_ratio", "course.optim.Adam's first step", cases, check, expect=expect)


def _accumulating_reference(model, loss_fn, optimizer, loader, accumulate, scale=True, leftover=True):
    total, count, pending = 0.0, 0, 0
    optimizer.zero_grad()
    for inputs, targets in loader:
        loss = loss_fn(model(inputs), targets)
        (loss / accumulate if scale else loss).backward()
        total, count, pending = total + loss.item() * len(inputs), count + len(inputs), pending + 1
        if pending == accumulate:
            optimizer.step()
            optimizer.zero_grad()
            pending = 0
    if pending and leftover:
        optimizer.step()
        optimizer.zero_grad()
    return total / count


@checker
def check_accumulating_epoch(train_one_epoch_accumulating) -> bool:
    """``train_one_epoch_accumulating(model, loss_fn, optimizer, loader, accumulate) -> float``: one epoch
    that steps once every ``accumulate`` batches (and once more for a last, incomplete group), on the
    gradient of the mean of those batches' losses; returns the epoch's mean loss per sample."""
    name = "check_accumulating_epoch"
    base = _epoch_cases()
    cases = [dict(base[0], accumulate=1, desc=base[0]["desc"] + ", accumulate=1"),
             dict(base[0], accumulate=2, desc=base[0]["desc"] + ", accumulate=2"),
             dict(base[0], accumulate=3, desc=base[0]["desc"] + ", accumulate=3 (8 batches: a group of 2 left)"),
             dict(base[2], accumulate=4, desc=base[2]["desc"] + ", accumulate=4")]

    def params_after(case, **variant):
        model, loss_fn, loader = case["build"]()
        loss = _accumulating_reference(model, loss_fn, case["opt"](model.parameters()), loader, case["accumulate"],
                                       **variant)
        return loss, [np.array(p.data, copy=True) for p in model.parameters()]

    def expect(case):
        return (params_after(case), params_after(case, scale=False), params_after(case, leftover=False))

    def same(params, expected):
        return all(np.allclose(np.asarray(a.data), b, rtol=1e-9, atol=1e-12) for a, b in zip(params, expected))

    def check(case, want):
        (expected, expected_params), (_, unscaled), (_, no_leftover) = want
        model, loss_fn, loader = case["build"]()
        got = _as_float(_value(train_one_epoch_accumulating, model, loss_fn, case["opt"](model.parameters()),
                               loader, case["accumulate"]), "a number (the epoch's mean loss)")
        params = list(model.parameters())
        if not same(params, expected_params):
            if same(params, unscaled):
                hint = "the step should see the mean over the group, not the sum: backward on loss / accumulate."
            elif same(params, no_leftover):
                hint = "the last group is incomplete: step (and zero_grad) once more after the loop."
            else:
                hint = ("zero_grad only after a step (gradients must add up within a group), and step every "
                        "`accumulate` batches.")
            return "the parameters after the epoch differ from the reference", hint
        if not math.isclose(got, expected, rel_tol=RTOL, abs_tol=1e-12):
            return (f"returned {got:.10g}, expected {expected:.10g} (the parameters are right)",
                    _precision_hint(expected, got) or "record the unscaled loss.item() * len(inputs), as fit does.")
        return None

    return _run(name, "the accumulating reference", cases, check, expect=expect)


# ------------------------------------------------------------------- 10
def _finder_run(start_lr, end_lr, num_iter, beta=0.98, diverge_factor=math.inf, seed=0):
    X, y = make_regression(n_samples=64, n_features=10, seed=seed)
    model = nn.SimpleNN(seed=seed)
    loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True, seed=seed)
    with np.errstate(all="ignore"):
        return lr_finder.lr_find(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.01), loader,
                                 start_lr=start_lr, end_lr=end_lr, num_iter=num_iter, beta=beta,
                                 diverge_factor=diverge_factor)


def _compare_lists(got, expected, what):
    try:
        got = _numbers(got)
    except _BadReturn as e:
        return f"did not return a list of numbers: {e}", None
    if len(got) != len(expected):
        return f"returned {len(got)} {what}, expected {len(expected)}", None
    for k, (g, e) in enumerate(zip(got, expected)):
        if not math.isclose(g, e, rel_tol=RTOL, abs_tol=0.0):
            return f"{what}[{k}] is {g:.10g}, expected {e:.10g}", _precision_hint(expected, got)
    return None


@checker
def check_exponential_lrs(exponential_lrs) -> bool:
    """``exponential_lrs(start_lr, end_lr, num_iter) -> list``: the lrs of ``lr_find``'s sweep."""
    cases = [{"desc": f"start_lr={s}, end_lr={e}, num_iter={n}", "args": (s, e, n)}
             for s, e, n in [(1e-4, 1.0, 5), (1e-7, 10.0, 30), (0.001, 0.1, 3)]]

    def check(case, expected):
        problem = _compare_lists(_value(exponential_lrs, *case["args"]), expected, "lrs")
        if problem:
            return problem[0], problem[1] or ("lr_i = start_lr * (end_lr / start_lr) ** (i / (num_iter - 1)) for i in "
                                "range(num_iter): the first is start_lr and the last is end_lr.")
        return None

    return _run("check_exponential_lrs", "course.lr_finder.lr_find", cases, check,
                expect=lambda case: list(_finder_run(*case["args"]).lrs))


@checker
def check_smooth_losses(smooth_losses) -> bool:
    """``smooth_losses(losses, beta) -> list``: the bias-corrected moving average ``lr_find`` records."""
    cases = [{"desc": f"beta={b}, {n} losses", "beta": b, "n": n} for b, n in [(0.9, 20), (0.98, 40), (0.0, 10)]]

    def expect(case):
        r = _finder_run(1e-4, 0.1, case["n"], beta=case["beta"])
        return list(r.losses), list(r.smoothed)

    def check(case, want):
        losses, smoothed = want
        got = _value(smooth_losses, list(losses), case["beta"])
        problem = _compare_lists(got, smoothed, "smoothed")
        if problem:
            try:
                first = _numbers(got)[:1]
            except _BadReturn:
                first = []
            hint = ("without the bias correction the first values are pulled towards 0: divide the average by "
                    "1 - beta ** (i + 1)." if first and first[0] < 0.5 * losses[0] else
                    "avg = beta * avg + (1 - beta) * loss (avg starts at 0), then record avg / (1 - beta ** (i + 1)).")
            return problem[0], problem[1] or hint
        return None

    return _run("check_smooth_losses", "course.lr_finder.lr_find", cases, check, expect=expect)


# ------------------------------------------------------------------- 11
@checker
def check_momentum_step_inplace(momentum_step) -> bool:
    """``momentum_step(p, g, buf, *, lr, momentum)``: SGD with momentum, updating ``p`` and ``buf`` in place.

    It must give the numbers of ``course.optim.SGD`` (after the first step, whose buffer
    is the gradient itself) and use in-place operators only: no ``p[...] = ...`` copy
    and at most one temporary array.
    """
    from ...tensor import Parameter

    name = "check_momentum_step_inplace"
    cases = [{"desc": f"{n} parameters, lr={lr}, momentum={mu}", "n": n, "lr": lr, "momentum": mu, "seed": s}
             for s, (n, lr, mu) in enumerate([(5, 0.1, 0.9), (1000, 0.01, 0.5), (7, 1.0, 0.99)])]

    def expect(case):
        """The start (after SGD's first step, whose buffer is the gradient), the grads, and SGD's p after each step."""
        rng = np.random.default_rng(case["seed"])
        p0, grads = rng.normal(size=case["n"]), [rng.normal(size=case["n"]) for _ in range(4)]
        ref = Parameter(p0.copy())
        opt = optim.SGD([ref], lr=case["lr"], momentum=case["momentum"])
        ref.grad = grads[0].copy()
        opt.step()  # the first step sets buf = g: the learner takes over from there
        start = np.array(ref.data, copy=True), np.array(opt.state[ref]["momentum_buffer"], copy=True)
        after = []
        for g in grads[1:]:
            ref.grad = g.copy()
            opt.step()
            after.append(np.array(ref.data, copy=True))
        return start, grads[1:], after

    def check(case, want):
        (p, buf), grads, after = want
        p, buf = p.copy(), buf.copy()
        for step, (g, expected) in enumerate(zip(grads, after), 2):
            out = _call(momentum_step, p, g.copy(), buf, none_is_stub=False, lr=case["lr"], momentum=case["momentum"])
            if out is not None and not isinstance(out, np.ndarray):
                return f"returned {type(out).__name__}; update p and buf in place (return nothing)", None
            if p.dtype != np.float64 or not np.allclose(p, expected, rtol=1e-12, atol=1e-14):
                return (f"after step {step}, p differs from course.optim.SGD",
                        "buf *= momentum; buf += g; p -= lr * buf, all in place (p = p - ... makes a new array "
                        "and leaves the caller's p unchanged).")
        t = _invoke(memory_traffic.trace, momentum_step, n=8, lr=case["lr"], momentum=case["momentum"])
        copies = sum(op.name == "copy" for op in t.ops)
        if copies or t.temporaries > 1:
            return (f"the numbers are right, but the step made {t.temporaries} temporaries and {copies} copies "
                    f"({t.bytes_per_param(4)} bytes per float32 parameter)",
                    "use augmented assignment only (*=, +=, -=): one temporary, lr * buf, is enough.")
        return None

    return _run(name, "course.optim.SGD", cases, check, stub_returns_none=False, expect=expect)


_MACHINES = dict(memory_traffic.MACHINES)  # the checker's own copy, made at import


@checker
def check_roofline_time(roofline_time) -> bool:
    """``roofline_time(flops_per_param, bytes_per_param, n, bandwidth, peak_flops) -> seconds``.

    Six cases: three steps (memory-bound Adam and SGD, a compute-bound matmul-like one) on
    one CPU core and on an H100.
    """
    cases = [{"desc": f"{label}, {m.short}", "args": (f, b, n, m.bandwidth, m.flops)}
             for label, f, b, n in [("Adam fused, 10M", 13, 28, 1e7), ("SGD in place, 1M", 2, 12, 1e6),
                                    ("a matmul-like 100 flop/byte, 1M", 3200, 32, 1e6)]
             for m in (_MACHINES["cpu"], _MACHINES["h100"])]

    def expect(case):
        f, b, n, bw, peak = case["args"]
        return memory_traffic.roofline_time(f, b, n, memory_traffic.Machine("", "", bw, peak, ""))

    def check(case, expected):
        f, b, n, bw, peak = case["args"]
        try:
            got = _as_float(_value(roofline_time, *case["args"]), "a number of seconds")
        finally:  # the machines of notebook 11 stay as they are, whatever the function did to them
            if memory_traffic.MACHINES != _MACHINES:
                memory_traffic.MACHINES.clear()
                memory_traffic.MACHINES.update(_MACHINES)
        if not math.isclose(got, expected, rel_tol=1e-9):
            memory, compute = b * n / bw, f * n / peak
            hint = ("the step takes as long as the slower of the two: max(bytes / bandwidth, flops / peak)."
                    if math.isclose(got, min(memory, compute), rel_tol=1e-9) or math.isclose(got, memory + compute, rel_tol=1e-9)
                    else "bytes moved = bytes_per_param * n; flops = flops_per_param * n; time in seconds.")
            return f"returned {got:.10g} s, expected {expected:.10g} s", _precision_hint(expected, got) or hint
        return None

    return _run("check_roofline_time", "course.classroom.memory_traffic.roofline_time", cases, check, expect=expect)
