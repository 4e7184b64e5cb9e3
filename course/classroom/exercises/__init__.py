"""Checks for the exercises: ``check_*(your_function)`` compares it with the reference.

One module per part of the course; every checker is importable from here::

    from course.classroom.exercises import check_adam_step

Every checker takes ``time_limit=`` (seconds per call of your function, default
:data:`~course.classroom.exercises._checking.TIME_LIMIT`, 5 s); ``set_time_limit(seconds)``
changes the default for all of them.
"""
from .adaptive import *  # noqa: F401,F403
from .adaptive import __all__ as _adaptive
from .adam_derivations import *  # noqa: F401,F403
from .adam_derivations import __all__ as _adam_derivations
from .beyond_adam import *  # noqa: F401,F403
from .beyond_adam import __all__ as _beyond_adam
from .descent import *  # noqa: F401,F403
from .descent import __all__ as _descent
from .finder_reading import *  # noqa: F401,F403
from .finder_reading import __all__ as _finder_reading
from .lr_range import *  # noqa: F401,F403
from .lr_range import __all__ as _lr_range
from .minibatch import *  # noqa: F401,F403
from .minibatch import __all__ as _minibatch
from .optimizers import *  # noqa: F401,F403
from .optimizers import __all__ as _optimizers
from .plateau_reading import *  # noqa: F401,F403
from .plateau_reading import __all__ as _plateau_reading
from .practice import *  # noqa: F401,F403
from .practice import __all__ as _practice
from .scale import *  # noqa: F401,F403
from .scale import __all__ as _scale
from .schedulers import *  # noqa: F401,F403
from .schedulers import __all__ as _schedulers
from .stability import *  # noqa: F401,F403
from .stability import __all__ as _stability
from ._checking import set_time_limit
from .traffic import *  # noqa: F401,F403
from .traffic import __all__ as _traffic
from .zoo import *  # noqa: F401,F403
from .zoo import __all__ as _zoo

__all__ = [*_optimizers, *_minibatch, *_zoo, *_schedulers, *_practice, *_adam_derivations, *_beyond_adam,
           *_scale, *_adaptive, *_lr_range, *_stability, *_descent, *_plateau_reading, *_finder_reading,
           *_traffic, "set_time_limit"]
