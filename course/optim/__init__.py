"""Optimizers, one module each, numerically identical to ``torch.optim``.

Each rule is written once, on arrays, and runs on NumPy, CuPy and any array-API array.
``Lion`` and the schedule-free ``AdamWScheduleFree`` and ``SGDScheduleFree`` (exact to the
``schedulefree`` package) are the ones torch lacks.  ``lr_scheduler`` holds the schedulers and
``swa_utils`` the weight averaging (SWA and EMA).
"""
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .lion import Lion
from .muon import Muon
from .adafactor import Adafactor
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .schedule_free import AdamWScheduleFree, SGDScheduleFree  # not in __all__: they step in train mode only
from .sgd import SGD
from . import lr_scheduler
from . import swa_utils  # after lr_scheduler: SWALR is a scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam",
           "RAdam", "ASGD", "Rprop", "LBFGS", "Lion", "Muon", "Adafactor", "AdamWScheduleFree", "SGDScheduleFree", "lr_scheduler", "swa_utils"]
