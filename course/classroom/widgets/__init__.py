"""Slider explorers, each with a static first view (``w.static()``) and a live widget.

============================  =============================================================
``optimizer_explorer``        an optimizer on a landscape: ``explore``, ``race`` (01-06)
``decay_explorer``            Adam + L2 against AdamW: where weight decay leaves two weights (05)
``schedule_explorer``         lr schedules and ReduceLROnPlateau (07, 08)
``training_explorers``        the training picker (09), the lr finder (10), traffic (11)
``preconditioner_explorer``   a rotated bowl: diagonal against full-matrix AdaGrad (12)
``scale_explorers``           the noise ball against the lr and the batch size (13)
``view``                      what every explorer shares: named inputs, ``set``, ``static``
``sliders``, ``png``          slider values that hold their start, fast PNG rendering
============================  =============================================================

The explorers are importable from here: ``from course.classroom import widgets`` then
``widgets.explore(...)``, ``widgets.schedule_explorer(...)``, ``widgets.training_picker()``.
"""
from .optimizer_explorer import (RACE_OPTIMIZERS, Explorer, adam_explorer, explore, lr_explorer, make_slider,
                                 momentum_explorer, race, rmsprop_explorer, sgd_explorer)
from .schedule_explorer import (SCHEDULES, LiveFigure, PlateauExplorer, ScheduleExplorer, make_control,
                                plateau_explorer, schedule_explorer)
from .training_explorers import (Panel, finder_explorer, finder_result, finder_sweep, traffic_explorer,
                                 training_picker)
from .preconditioner_explorer import rotation_explorer
from .scale_explorers import noise_ball_explorer
from .decay_explorer import decay_explorer
from .view import WidgetView

__all__ = ["Explorer", "explore", "lr_explorer", "sgd_explorer", "momentum_explorer", "rmsprop_explorer",
           "adam_explorer", "race", "make_slider", "RACE_OPTIMIZERS",
           "LiveFigure", "ScheduleExplorer", "PlateauExplorer", "schedule_explorer", "plateau_explorer",
           "SCHEDULES", "make_control",
           "Panel", "training_picker", "finder_sweep", "finder_result", "finder_explorer", "traffic_explorer",
           "rotation_explorer", "WidgetView", "noise_ball_explorer", "decay_explorer"]
