r"""Run an optimizer on a 2-D landscape and record what it did.

:func:`run` is the training loop of the course, on one 2-D parameter::

    p = Parameter(start)
    for t in range(steps):
        lrs[t] = optimizer.param_groups[0]["lr"]   # the lr this step really uses
        optimizer.zero_grad()
        loss = landscape(p); loss.backward()       # autograd gives the gradient
        optimizer.step()
        scheduler.step()                           # if there is one
        stop if p or the loss is not finite, or |p| > bound: "diverged at step t+1"

It never raises on divergence and never hangs: it stops, and says so in the result.
:func:`tune_lr` picks an lr by a small grid search, for fair comparisons.
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field

import numpy as np

from .. import backend, optim
from .landscapes import Landscape, get as get_landscape
from ..tensor import Parameter

__all__ = ["Result", "run", "tune_lr", "make_optimizer", "optimizer_name", "accepted_kwargs"]


@dataclass
class Result:
    """What one run did.

    Attributes:
        path: NumPy array ``(n + 1, 2)``: the start and the point after each of the ``n``
            steps taken (``n == steps`` unless the run diverged; the last point of a
            diverged run is the first bad one, possibly inf or NaN).
        losses: NumPy array ``(n + 1,)``: the loss at each point of ``path``.
        lrs: NumPy array ``(n,)``: the lr each step used (``param_groups[0]['lr']``).
        grads: NumPy array ``(n, 2)``: the gradient each step used (noise included).
        diverged: whether the run stopped early on a non-finite value or ``|p| > bound``.
        diverged_at: the step after which it stopped (1-based), or None.
        label: a name for legends, e.g. ``"SGD"``.
        landscape: the :class:`~course.classroom.landscapes.Landscape`.
    """

    path: np.ndarray
    losses: np.ndarray
    lrs: np.ndarray
    grads: np.ndarray
    diverged: bool = False
    diverged_at: int | None = None
    label: str = ""
    landscape: Landscape | None = field(default=None, repr=False)

    @property
    def steps(self) -> int:
        """Number of optimizer steps taken."""
        return len(self.lrs)

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])

    @property
    def effective_lrs(self) -> np.ndarray:
        r"""Per-coordinate effective step size :math:`-\Delta\theta_i / g_i`, shape ``(n, 2)``.

        For SGD it is the lr; for RMSprop (no momentum) exactly
        :math:`\gamma / (\sqrt{v_i} + \epsilon)`.  NaN where the gradient is ~0.
        """
        step = np.diff(self.path, axis=0)
        g = self.grads
        with np.errstate(all="ignore"):
            out = -step / g
        return np.where(np.abs(g) > 1e-300, out, np.nan)

    @property
    def message(self) -> str:
        """``"diverged at step k"`` or ``""``."""
        return f"diverged at step {self.diverged_at}" if self.diverged else ""


def optimizer_name(optimizer) -> str:
    """A label for an optimizer spec: a class or its name, ``(cls, kwargs)`` or a factory."""
    if isinstance(optimizer, str):
        return optimizer
    if isinstance(optimizer, tuple):
        return optimizer_name(optimizer[0])
    if isinstance(optimizer, type):
        return optimizer.__name__
    return getattr(optimizer, "__name__", type(optimizer).__name__)


def _resolve_class(spec):
    if isinstance(spec, str):
        cls = getattr(optim, spec, None)
        if not (isinstance(cls, type) and issubclass(cls, optim.Optimizer)):
            names = [n for n in optim.__all__ if n not in ("Optimizer", "lr_scheduler")]
            raise ValueError(f"Unknown optimizer: {spec!r}; choose one of {names}")
        return cls
    return spec


def _merge_betas(cls, kwargs: dict) -> dict:
    """Turn ``beta1``/``beta2`` into ``betas=(beta1, beta2)`` for classes that take ``betas``."""
    if "beta1" not in kwargs and "beta2" not in kwargs:
        return kwargs
    names = inspect.signature(cls.__init__).parameters
    if "betas" not in names:
        return kwargs
    kwargs = dict(kwargs)
    d1, d2 = kwargs.pop("betas", names["betas"].default)
    kwargs["betas"] = (kwargs.pop("beta1", d1), kwargs.pop("beta2", d2))
    return kwargs


def accepted_kwargs(optimizer, kwargs: dict) -> dict:
    """The subset of ``kwargs`` that the optimizer class (or name) accepts; ``beta1``/``beta2``
    become ``betas``.  Lets one set of sliders drive several optimizers.

    Example:
        >>> accepted_kwargs("Adam", {"lr": 0.1, "momentum": 0.9, "beta2": 0.99})
        {'lr': 0.1, 'betas': (0.9, 0.99)}
    """
    cls = _resolve_class(optimizer)
    kwargs = _merge_betas(cls, kwargs)
    names = inspect.signature(cls.__init__).parameters
    return {k: v for k, v in kwargs.items() if k in names}


def make_optimizer(optimizer, params, **hyper):
    """Build an optimizer from a spec.

    ``optimizer`` is a ``course.optim`` class or its name (``hyper`` are its keyword
    arguments), a tuple ``(cls, kwargs)`` (``hyper`` override ``kwargs``), or a factory
    ``params -> optimizer`` (then ``hyper`` must be empty).

    Example:
        >>> import numpy as np, course
        >>> p = course.Parameter(np.zeros(2))
        >>> make_optimizer("SGD", [p], lr=0.1, momentum=0.9).defaults["momentum"]
        0.9
    """
    if isinstance(optimizer, tuple):
        if len(optimizer) != 2 or not isinstance(optimizer[1], dict):
            raise TypeError(f"an optimizer tuple must be (class, kwargs), got {optimizer!r}")
        cls, kwargs = optimizer
        return make_optimizer(cls, params, **{**kwargs, **hyper})
    optimizer = _resolve_class(optimizer)
    if isinstance(optimizer, type):
        return optimizer(params, **_merge_betas(optimizer, hyper))
    if not callable(optimizer):
        raise TypeError(f"optimizer must be a class, a name, (class, kwargs) or a factory, got {optimizer!r}")
    if hyper:
        raise TypeError(f"keyword arguments {sorted(hyper)} cannot be passed to an optimizer factory")
    return optimizer(params)


def _make_scheduler(scheduler, opt):
    if scheduler is None:
        return None
    if isinstance(scheduler, tuple):
        cls, kwargs = scheduler
        return cls(opt, **kwargs)
    return scheduler(opt)


def run(optimizer, landscape, start=None, steps: int = 100, scheduler=None, *, bound: float = 1e6,
        noise: float = 0.0, batch_size: int = 1, seed: int = 0, dtype=None, label: str | None = None,
        autograd: bool = True, **hyper) -> Result:
    r"""Run ``optimizer`` on ``landscape`` for ``steps`` steps and return a :class:`Result`.

    Args:
        optimizer: a ``course.optim`` class or name (with its hyperparameters in ``hyper``,
            e.g. ``run("SGD", bowl, lr=0.1, momentum=0.9)``), a tuple ``(cls, kwargs)``,
            or a factory ``params -> optimizer``.
        landscape: a :class:`~course.classroom.landscapes.Landscape` or its name.
        start: the start point (a pair, or a backend array of shape (2,), whose backend
            and dtype the run then uses); default: ``landscape.start``.
        steps (int): number of optimizer steps (default: 100).
        scheduler: None, a factory ``optimizer -> scheduler`` or ``(cls, kwargs)``; stepped
            after every optimizer step (``ReduceLROnPlateau`` gets the loss).
        bound (float): stop, marked diverged, when any coordinate exceeds it (default: 1e6).
        noise (float), batch_size (int): simulate mini-batch gradients: add Gaussian noise of
            standard deviation ``noise / sqrt(batch_size)`` to each gradient coordinate (the
            mean of ``batch_size`` independent samples with standard deviation ``noise``).
        seed (int): seed of the noise.
        dtype: the dtype of the parameter (default: float64, or that of ``start``).
        label (str): the label of the result (default: the optimizer's name).
        autograd (bool): get the gradient by ``loss.backward()`` (default); False uses the
            landscape's analytic ``grad``, the same numbers about twice as fast (widgets).

    Example:
        >>> from course.classroom.landscapes import quadratic
        >>> r = run("SGD", quadratic(condition_number=10), steps=50, lr=1.0)
        >>> r.path.shape, r.diverged, r.path[-1].round(4)    # y (L = 1) is solved in one step
        ((51, 2), False, array([-0.0258,  0.    ]))
        >>> r = run("SGD", quadratic(condition_number=10), steps=50, lr=2.5)   # 2.5 > 2/L
        >>> r.diverged, r.message
        (True, 'diverged at step 33')
    """
    landscape = get_landscape(landscape)
    steps = int(steps)
    if steps < 0:
        raise ValueError(f"Invalid steps: {steps} (must be >= 0)")
    if not bound > 0:
        raise ValueError(f"Invalid bound: {bound} (must be > 0)")
    if batch_size < 1:
        raise ValueError(f"Invalid batch_size: {batch_size} (must be >= 1)")
    if not noise >= 0:
        raise ValueError(f"Invalid noise: {noise} (must be >= 0)")
    if start is None:
        start = landscape.start
    if isinstance(start, (tuple, list)):
        data = backend.asarray([float(v) for v in start], dtype=dtype or backend.get().float64)
    else:
        data = backend.asarray(start, dtype=dtype)
        data = backend.namespace(data).asarray(data, copy=True)
    if tuple(data.shape) != (2,):
        raise ValueError(f"Invalid start: shape {tuple(data.shape)}, expected (2,)")
    p = Parameter(data)
    opt = make_optimizer(optimizer, [p], **hyper)
    sched = _make_scheduler(scheduler, opt)
    plateau = type(sched).__name__ == "ReduceLROnPlateau"
    rng = np.random.default_rng(seed) if noise > 0 else None
    sigma = noise / math.sqrt(batch_size)

    path, losses, lrs, grads = [backend.to_numpy(p.data).astype(float)], [], [], []
    diverged_at = None
    with np.errstate(all="ignore"):
        for t in range(steps):
            lrs.append(float(opt.param_groups[0]["lr"]))
            opt.zero_grad()
            if autograd:
                loss = landscape(p)
                loss.backward()
            else:
                loss = landscape(p.data)
                p.grad = landscape.grad(p.data)
            losses.append(float(loss))
            if rng is not None:
                p.grad = p.grad + backend.asarray(rng.normal(0.0, sigma, size=2), dtype=p.data.dtype, like=p.data)
            grads.append(backend.to_numpy(p.grad).astype(float))
            opt.step()
            if sched is not None:
                sched.step(losses[-1]) if plateau else sched.step()
            point = backend.to_numpy(p.data).astype(float)
            path.append(point)
            x, y = float(point[0]), float(point[1])  # Python floats: cheaper than NumPy reductions
            if not (abs(x) <= bound and abs(y) <= bound):  # also False for NaN
                diverged_at = t + 1
                break
        losses.append(float(landscape(p.data)))
    if diverged_at is None and not math.isfinite(losses[-1]):
        diverged_at = len(lrs)
    return Result(path=np.array(path), losses=np.array(losses), lrs=np.array(lrs),
                  grads=np.array(grads).reshape(-1, 2), diverged=diverged_at is not None,
                  diverged_at=diverged_at, label=label or optimizer_name(optimizer), landscape=landscape)


def tune_lr(optimizer, landscape, lrs=None, steps: int = 100, start=None, *, return_all: bool = False,
            **kwargs):
    r"""The lr from a log grid that reaches the lowest final loss: a fair race needs tuned lrs.

    Each candidate is scored by its final suboptimality :math:`f(\theta_T) - f^*` (floored
    at 1e-12, so that all runs that converge tie), then by the mean loss along the way
    (faster wins the tie).  Diverged runs score infinity.

    Args:
        optimizer, landscape, steps, start, kwargs: as for :func:`run` (``kwargs`` must
            not contain ``lr``).
        lrs: the candidate lrs (default: ``np.logspace(-4, 0, 9)``).
        return_all (bool): also return a dict ``lr -> Result``.

    Example:
        >>> from course.classroom.landscapes import quadratic
        >>> tune_lr("SGD", quadratic(condition_number=10), lrs=[0.01, 0.1, 1.0, 3.0], steps=30)
        1.0
    """
    if "lr" in kwargs:
        raise TypeError("tune_lr chooses lr itself: do not pass lr")
    landscape = get_landscape(landscape)
    lrs = np.logspace(-4, 0, 9) if lrs is None else lrs
    lrs = [float(v) for v in lrs]
    if not lrs or any(not (v > 0 and math.isfinite(v)) for v in lrs):
        raise ValueError(f"Invalid lrs: {lrs} (need positive finite values)")
    f_min = landscape.f_min if landscape.f_min is not None else 0.0
    best, best_key, results = None, None, {}
    for lr in lrs:
        r = run(optimizer, landscape, start=start, steps=steps, lr=lr, **kwargs)
        results[lr] = r
        if r.diverged or not np.all(np.isfinite(r.losses)):
            key = (math.inf, math.inf)
        else:
            key = (max(r.final_loss - f_min, 1e-12), float(np.mean(r.losses)))
        if best_key is None or key < best_key:
            best, best_key = lr, key
    if best_key[0] == math.inf:
        best = min(lrs)  # everything diverged: the most careful choice
    return (best, results) if return_all else best
