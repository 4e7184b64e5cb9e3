"""The digits experiment behind notebooks 09-11: one seeded MLP run, named by its settings.

:func:`digits_run` trains :func:`digits_mlp` on the digits with ``course.training.fit`` for an
optimizer, lr and scheduler given by name; :class:`RunCache` memoizes the runs (and trains the
likely next ones in the background) for the training picker of notebook 09.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .. import nn, optim
from ..data import DataLoader, TensorDataset, load_digits, train_val_split
from ..training import History, evaluate, fit
from . import progress_bar

__all__ = ["OPTIMIZERS", "SCHEDULERS", "digits_data", "digits_splits", "digits_mlp", "digits_loader",
           "make_optimizer", "make_scheduler", "digits_run", "Trial", "digits_trial", "RunCache"]

OPTIMIZERS = ("SGD", "RMSprop", "Adam")  # SGD always with momentum 0.9
SCHEDULERS = ("none", "StepLR", "cosine", "OneCycleLR")
EXTRA_SCHEDULERS = ("cosine-per-step",)  # accepted by make_scheduler, not offered by the picker


def _epochs_bar(epochs):
    return progress_bar.progress(epochs, description="epochs")


# ------------------------------------------------------------ the experiment
@lru_cache(maxsize=4)
def _digits_split(seed: int):
    X, y = load_digits()
    return train_val_split(X, y, val_fraction=0.2, seed=seed)


def _copies(split):
    """Fresh arrays of a cached split: code that writes into what it got cannot change the cache."""
    return tuple(tuple(a.copy() for a in part) for part in split)


def digits_data(seed: int = 0):
    """The digits, split 80/20 with ``seed``: ``(X_train, y_train), (X_val, y_val)`` (loaded once,
    fresh copies each call)."""
    return _copies(_digits_split(seed))


@lru_cache(maxsize=1)
def _three_way():
    (X, y), test = digits_data(0)
    train, val = train_val_split(X, y, val_fraction=0.2, seed=1)
    return train, val, test


def digits_splits():
    """A fixed three-way split of the digits: ``train`` (1150 images), ``val`` (288) to tune on,
    and ``test`` (359, the held-out part of ``digits_data(0)``) to report on, each ``(X, y)``."""
    return _three_way()


def digits_mlp(hidden: int = 32, seed: int = 0, *, batch_norm: bool = False, dropout: float = 0.0,
               dtype: str = "float32"):
    """``Linear(64, hidden) -> [BatchNorm1d] -> ReLU -> [Dropout] -> Linear(hidden, 10)``, the
    linear layers drawn from one seeded generator (the bracketed layers only when asked for).
    ``dtype="float64"`` makes a run whose last bits a CPU's matrix product cannot move visibly."""
    rng = np.random.default_rng(seed)
    layers = [nn.Linear(64, hidden, seed=rng, dtype=dtype)]
    if batch_norm:
        layers.append(nn.BatchNorm1d(hidden))
    layers.append(nn.ReLU())
    if dropout:
        layers.append(nn.Dropout(dropout, seed=rng.integers(2**31)))
    layers.append(nn.Linear(hidden, 10, seed=rng, dtype=dtype))
    return nn.Sequential(*layers)


def digits_loader(batch_size: int = 64, seed: int = 0):
    """A shuffling ``DataLoader`` over the digits' training part."""
    (X, y), _ = digits_data(seed)
    return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True, seed=seed)


def make_optimizer(name: str, params, lr: float):
    """``'SGD'`` (momentum 0.9), ``'RMSprop'`` or ``'Adam'`` with learning rate ``lr``."""
    if name == "SGD":
        return optim.SGD(params, lr=lr, momentum=0.9)
    if name == "RMSprop":
        return optim.RMSprop(params, lr=lr)
    if name == "Adam":
        return optim.Adam(params, lr=lr)
    raise ValueError(f"Invalid optimizer: {name!r} (expected one of {OPTIMIZERS})")


def make_scheduler(name: str, optimizer, epochs: int, steps_per_epoch: int):
    """A scheduler and how often to step it: ``(scheduler or None, 'epoch' | 'batch')``.

    - ``'none'``: a constant lr;
    - ``'StepLR'``: ``StepLR(step_size=epochs // 2, gamma=0.1)``, stepped per epoch;
    - ``'cosine'``: ``CosineAnnealingLR(T_max=epochs)``, stepped per epoch;
    - ``'OneCycleLR'``: ``OneCycleLR(max_lr=lr, epochs, steps_per_epoch, cycle_momentum=False)``,
      stepped per batch (only the lr cycles, so the comparison is about the lr alone);
    - ``'cosine-per-step'``: ``CosineAnnealingLR(T_max=epochs * steps_per_epoch)``, stepped per batch.
    """
    S = optim.lr_scheduler
    if name == "none":
        return None, "epoch"
    if name == "StepLR":
        return S.StepLR(optimizer, step_size=max(1, epochs // 2), gamma=0.1), "epoch"
    if name == "cosine":
        return S.CosineAnnealingLR(optimizer, T_max=epochs), "epoch"
    if name == "OneCycleLR":
        lr = optimizer.param_groups[0]["lr"]
        return S.OneCycleLR(optimizer, max_lr=lr, epochs=epochs, steps_per_epoch=steps_per_epoch,
                            cycle_momentum=False), "batch"
    if name == "cosine-per-step":
        return S.CosineAnnealingLR(optimizer, T_max=epochs * steps_per_epoch), "batch"
    raise ValueError(f"Invalid scheduler: {name!r} (expected one of {SCHEDULERS})")


def digits_run(optimizer: str = "Adam", lr: float = 1e-3, scheduler: str = "none", epochs: int = 20, *,
               batch_size: int = 64, hidden: int = 32, seed: int = 0, progress: bool = False):
    """Train :func:`digits_mlp` on the digits with ``course.training.fit``; return its ``History``.

    >>> h = digits_run("Adam", 1e-3, "cosine", epochs=2)
    >>> len(h.train_loss), len(h.val_accuracy), h.lr[0]
    (2, 2, 0.001)
    """
    _, val = digits_data(seed)
    loader = digits_loader(batch_size, seed)
    model = digits_mlp(hidden, seed)
    opt = make_optimizer(optimizer, model.parameters(), lr)
    sched, interval = make_scheduler(scheduler, opt, epochs, len(loader))
    with np.errstate(all="ignore"):  # a diverging run overflows: its nan loss is the result
        return fit(model, nn.CrossEntropyLoss(), opt, loader, epochs, sched, val=val, classification=True,
                   scheduler_interval=interval, progress=_epochs_bar if progress else None)


@dataclass
class Trial:
    """A run of :func:`digits_trial`: its ``History`` (validation = the tuning split) and the
    test loss and accuracy of the final weights (never used to choose anything)."""

    history: History
    test_loss: float
    test_accuracy: float


def digits_trial(optimizer: str = "Adam", lr: float = 1e-3, scheduler: str = "none", epochs: int = 30, *,
                 seed: int = 0, batch_size: int = 64, hidden: int = 32, dtype: str = "float32") -> Trial:
    """Train :func:`digits_mlp` on :func:`digits_splits`' train part (``seed``: weights and shuffling;
    the split is fixed), validate each epoch on its val part, test once at the end. ``dtype`` is
    the model's and the images' (float64: a race whose digits no CPU's last bits can move).

    >>> t = digits_trial("Adam", 1e-3, epochs=1)
    >>> len(t.history.val_accuracy), 0 <= t.test_accuracy <= 1
    (1, True)
    """
    (X, y), (X_val, y_val), (X_test, y_test) = digits_splits()
    loader = DataLoader(TensorDataset(X.astype(dtype), y), batch_size=batch_size, shuffle=True, seed=seed)
    model = digits_mlp(hidden, seed, dtype=dtype)
    opt = make_optimizer(optimizer, model.parameters(), lr)
    sched, interval = make_scheduler(scheduler, opt, epochs, len(loader))
    loss_fn = nn.CrossEntropyLoss()
    with np.errstate(all="ignore"):
        history = fit(model, loss_fn, opt, loader, epochs, sched, val=(X_val.astype(dtype), y_val),
                      classification=True, scheduler_interval=interval)
        test_loss, test_accuracy = evaluate(model, loss_fn, X_test.astype(dtype), y_test, classification=True)
    return Trial(history, test_loss, test_accuracy)


class RunCache:
    """Memoized :func:`digits_run` results, keyed by (optimizer, lr to 4 significant digits, scheduler).

    :meth:`prefetch` trains the runs a learner is likely to ask for next in a background thread,
    so that the next slider notch is already there. A run is trained once: asking for one that
    the background is training waits for it. Every run is seeded, so where it was trained
    changes nothing.

    >>> cache = RunCache(epochs=1)
    >>> cache.get("SGD", 0.0100000001, "none") is cache.get("SGD", 0.01, "none")
    True
    """

    def __init__(self, epochs: int = 20, **run_kwargs):
        self.epochs, self.run_kwargs, self.runs = epochs, run_kwargs, {}
        self._lock = threading.Lock()
        self._training = {}  # key -> Event, set when that run is in self.runs (or failed)
        self._generation = 0  # a new prefetch list makes the old one stop
        self.prefetcher = None  # the background thread, while it works

    @staticmethod
    def key(optimizer, lr, scheduler):
        return optimizer, float(f"{lr:.4g}"), scheduler

    def get(self, optimizer, lr, scheduler):
        key = self.key(optimizer, lr, scheduler)
        while True:
            with self._lock:
                if key in self.runs:
                    return self.runs[key]
                busy = self._training.get(key)
                if busy is None:
                    done = self._training[key] = threading.Event()
            if busy is None:
                break
            busy.wait()  # the other thread's run; if it failed, train it here (and raise here)
        try:
            run = digits_run(*key, epochs=self.epochs, **self.run_kwargs)
            with self._lock:
                self.runs[key] = run
            return run
        finally:
            with self._lock:
                del self._training[key]
            done.set()

    def prefetch(self, settings) -> threading.Thread:
        """Train ``settings`` (``(optimizer, lr, scheduler)`` tuples, most wanted first) in a
        background thread. A later call replaces the list: the thread stops after its current run."""
        with self._lock:
            self._generation += 1
            generation = self._generation

        def work():
            for setting in settings:
                if self._generation != generation:
                    return
                try:
                    self.get(*setting)
                except Exception:  # noqa: BLE001 - the foreground will meet (and show) the same error
                    return

        self.prefetcher = threading.Thread(target=work, name="course-prefetch", daemon=True)
        self.prefetcher.start()
        return self.prefetcher

    def precompute(self, optimizers=OPTIMIZERS, lrs=(1e-3,), schedulers=SCHEDULERS):
        """Fill the cache for a grid (same code path as a live change)."""
        for o in optimizers:
            for lr in lrs:
                for s in schedulers:
                    self.get(o, lr, s)
        return self
