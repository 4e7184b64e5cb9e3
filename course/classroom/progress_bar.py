"""A progress bar that is kind to nbval: a bare ipywidgets bar in notebooks, silence elsewhere.

A bare widget shown as a cell's result has a stable text repr, so strict nbval passes;
updating its value later sends no new outputs.
"""
from __future__ import annotations

__all__ = ["progress"]


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except Exception:
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def progress(iterable, total: int | None = None, description: str = ""):
    """Yield from ``iterable`` while a bar (only inside Jupyter) shows how far it got.

    >>> list(progress(range(3)))
    [0, 1, 2]
    """
    if total is None:
        try:
            total = len(iterable)
        except TypeError:
            total = None
    bar = None
    if _in_notebook() and total:
        import ipywidgets
        from IPython.display import display

        bar = ipywidgets.IntProgress(value=0, min=0, max=total, description=description)
        display(bar)
    for i, item in enumerate(iterable, 1):
        yield item
        if bar is not None:
            bar.value = i
    if bar is not None:
        bar.bar_style = "success"
