"""``course.data``: datasets, a ``DataLoader`` and small data sets (synthetic and one real, shipped)."""
from .dataloader import DataLoader
from .dataset import TensorDataset
from .digits import load_digits, train_val_split
from .synthetic import make_moons, make_regression, make_spirals

__all__ = ["TensorDataset", "DataLoader", "make_regression", "make_moons", "make_spirals",
           "load_digits", "train_val_split"]
