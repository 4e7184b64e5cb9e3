"""Checks for the exercises: ``check_*(your_function)`` compares it with the reference.

One module per part of the course; every checker is importable from here::

    from course.classroom.exercises import check_adam_step
"""
from .minibatch import *  # noqa: F401,F403
from .minibatch import __all__ as _minibatch
from .optimizers import *  # noqa: F401,F403
from .optimizers import __all__ as _optimizers
from .practice import *  # noqa: F401,F403
from .practice import __all__ as _practice
from .schedulers import *  # noqa: F401,F403
from .schedulers import __all__ as _schedulers
from .zoo import *  # noqa: F401,F403
from .zoo import __all__ as _zoo

__all__ = [*_optimizers, *_minibatch, *_zoo, *_schedulers, *_practice]
