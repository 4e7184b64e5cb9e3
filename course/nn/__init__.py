"""``course.nn``: modules, layers and losses with torch's names and behaviour."""
from .activation import ReLU, Sigmoid, Tanh
from .batchnorm import BatchNorm1d
from .container import Sequential
from .dropout import Dropout
from .init import manual_seed
from .linear import Linear
from .loss import CrossEntropyLoss, MSELoss
from .models import SimpleNN
from .module import Module
from . import utils
from ..tensor import Parameter

__all__ = ["Module", "Parameter", "Linear", "ReLU", "Tanh", "Sigmoid", "Sequential", "MSELoss",
           "CrossEntropyLoss", "SimpleNN", "manual_seed", "utils", "Dropout", "BatchNorm1d"]
