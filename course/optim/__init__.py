"""Optimizers, one module each, numerically identical to ``torch.optim``.

Each rule is written once, on arrays, and runs on NumPy, CuPy and any array-API array.
``Lion`` is the one optimizer that torch lacks.  ``lr_scheduler`` holds the schedulers and
``swa_utils`` the weight averaging (SWA and EMA).
"""
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .lion import Lion
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from . import lr_scheduler
from . import swa_utils  # after lr_scheduler: SWALR is a scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam",
           "RAdam", "ASGD", "Rprop", "LBFGS", "Lion", "lr_scheduler", "swa_utils"]
