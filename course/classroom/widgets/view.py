"""What every course widget shares, whatever it draws: its inputs by name, ``values()``,
``set(**values)`` to move several at once, ``static()`` for a plain picture, and its display.

A widget class derives from :class:`WidgetView` and has ``sliders`` (name -> ipywidget; or
overrides :meth:`WidgetView.inputs`), ``canvas`` (Agg, holding the last draw) and ``box`` (the
ipywidgets container that Jupyter shows).
"""
from __future__ import annotations

from . import png

__all__ = ["WidgetView"]


class WidgetView:
    def inputs(self) -> dict:
        """The input widgets, by name."""
        return self.sliders

    def values(self) -> dict:
        """The current input values, by name."""
        return {name: w.value for name, w in self.inputs().items()}

    def set(self, **values):
        """Set several inputs (each set redraws); returns self.  ``w.set(lr=0.1, momentum=0.9)``."""
        inputs = self.inputs()
        unknown = [name for name in values if name not in inputs]
        if unknown:  # check all first: a failed call moves nothing
            raise ValueError(f"no slider named {unknown[0]!r}; sliders: {list(inputs)}")
        for name, value in values.items():
            inputs[name].value = value
        return self

    def static(self):
        """The current view as a plain PNG (``IPython.display.Image``), for GitHub and nbviewer."""
        return png.static_image(self.canvas)

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.box._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data["text/plain"] = repr(self)
        return bundle
