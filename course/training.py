"""The training loop of the course, written once so that notebooks can compare runs.

``fit`` is the loop from notebook 00 (zero_grad, forward, loss, backward, step, and
the scheduler) plus the bookkeeping a comparison needs: per-epoch train and validation
loss, accuracy, and the learning rate each epoch actually used.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import backend
from .tensor import Tensor, no_grad

__all__ = ["History", "fit", "evaluate", "accuracy", "graph_size"]


@dataclass
class History:
    """What ``fit`` recorded, one entry per epoch (``lr``: the lr used during that epoch)."""

    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    lr: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"train_loss": self.train_loss, "val_loss": self.val_loss,
                "val_accuracy": self.val_accuracy, "lr": self.lr}


def accuracy(logits, targets) -> float:
    """Fraction of rows whose largest logit is the target class."""
    logits = logits.data if isinstance(logits, Tensor) else logits
    targets = targets.data if isinstance(targets, Tensor) else targets
    xp = backend.namespace(logits)
    predicted = xp.argmax(logits, axis=-1)
    return float(xp.mean(xp.astype(predicted == xp.astype(targets, predicted.dtype), xp.float64)))


def evaluate(model, loss_fn, inputs, targets, classification: bool = False):
    """Validation loss (and accuracy for classifiers), with no graph and in eval mode."""
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        with no_grad():
            outputs = model(inputs)
            loss = float(loss_fn(outputs, targets).item())
    finally:
        model.train(was_training)
    return (loss, accuracy(outputs, targets)) if classification else (loss, None)


def graph_size(tensor) -> tuple[int, int]:
    """``(nodes, bytes)``: the operations of the autograd graph that ``tensor`` keeps alive, and
    the bytes of their results (intermediate arrays, leaves such as weights and data not counted).

    As long as ``tensor`` is referenced, all of them stay in memory, for a backward that
    evaluation never calls. Under ``no_grad()`` there is no graph: ``(0, 0)``.

    >>> import numpy as np
    >>> w = Tensor(np.ones(3), requires_grad=True)
    >>> graph_size(((w * 2.0).exp()).sum())       # three nodes; 3 + 3 + 1 float64 results
    (3, 56)
    """
    seen, stack, nodes, nbytes = set(), [tensor], 0, 0
    while stack:
        t = stack.pop()
        if id(t) in seen or not t._parents:
            continue
        seen.add(id(t))
        nodes += 1
        data = t.data
        size = getattr(data, "nbytes", None)
        if size is None:
            xp = backend.namespace(data)
            info = xp.finfo(data.dtype) if xp.isdtype(data.dtype, "real floating") else xp.iinfo(data.dtype)
            size = t.size * info.bits // 8
        nbytes += int(size)
        stack.extend(t._parents)
    return nodes, nbytes


def _is_plateau(scheduler) -> bool:
    return type(scheduler).__name__ == "ReduceLROnPlateau"


def fit(model, loss_fn, optimizer, loader, epochs: int, scheduler=None, *, val=None,
        classification: bool = False, scheduler_interval: str = "epoch", progress=None) -> History:
    """Train ``model`` for ``epochs`` passes over ``loader`` and return its ``History``.

    ``val`` is ``(inputs, targets)``; ReduceLROnPlateau is stepped with the validation
    loss (the training loss when there is no ``val``). ``scheduler_interval='batch'``
    steps the scheduler after every optimizer step (OneCycleLR, CyclicLR).
    ``progress`` wraps the range of epochs to show how far training got, as ``tqdm.tqdm``
    or the notebooks' ``course.classroom.progress_bar.progress`` do (default: nothing shown).
    """
    if scheduler_interval not in ("epoch", "batch"):
        raise ValueError(f"scheduler_interval must be 'epoch' or 'batch', got {scheduler_interval!r}")
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    history = History()
    model.train()
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be a callable that wraps an iterable (such as tqdm.tqdm) or None, got {progress!r}")
    epoch_iter = progress(range(epochs)) if progress is not None else range(epochs)
    for _ in epoch_iter:
        history.lr.append(optimizer.param_groups[0]["lr"])
        total, count = 0.0, 0
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            optimizer.step()
            if scheduler is not None and scheduler_interval == "batch":
                scheduler.step()
            n = len(inputs)
            total += float(loss.item()) * n
            count += n
        history.train_loss.append(total / max(count, 1))
        if val is not None:
            val_loss, val_acc = evaluate(model, loss_fn, *val, classification=classification)
            history.val_loss.append(val_loss)
            if classification:
                history.val_accuracy.append(val_acc)
        if scheduler is not None and scheduler_interval == "epoch":
            if _is_plateau(scheduler):
                scheduler.step(history.val_loss[-1] if val is not None else history.train_loss[-1])
            else:
                scheduler.step()
    return history
