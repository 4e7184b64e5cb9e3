"""Learning-rate schedulers, one job per module, identical to ``torch.optim.lr_scheduler``.

Every scheduler rewrites ``optimizer.param_groups[i]["lr"]`` when you call ``step()``,
after ``optimizer.step()``, once per epoch (or per batch for CyclicLR and OneCycleLR).
``simulate`` gives a schedule's lrs without a model (``course.classroom.plots.plot_schedules`` draws them).
A ``step()`` or ``load_state_dict()`` that raises changes nothing: not the scheduler, not a
param group (``base`` says how); ``load_state_dict`` checks the whole state dict first.
"""
from .base import LRScheduler, _LRScheduler  # noqa: F401  (torch keeps the old name too)
from .composite import ChainedScheduler, SequentialLR
from .constant_linear import ConstantLR, LinearLR
from .cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from .cyclic import CyclicLR
from .exponential import ExponentialLR
from .lambda_lr import LambdaLR, MultiplicativeLR
from .one_cycle import OneCycleLR
from .plateau import ReduceLROnPlateau
from .polynomial import PolynomialLR
from .simulate import simulate
from .step_lr import MultiStepLR, StepLR

__all__ = [
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "SequentialLR",
    "CosineAnnealingLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
    "CyclicLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
    "PolynomialLR",
    "LRScheduler",
    "simulate",
]
