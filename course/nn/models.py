"""The small models the course trains."""
from __future__ import annotations

from .activation import ReLU
from .init import generator
from .linear import Linear
from .module import Module

__all__ = ["SimpleNN"]


class SimpleNN(Module):
    """The course's regression MLP: ``Linear(in, hidden) -> ReLU -> Linear(hidden, out)``.

    Torch equivalent::

        class SimpleNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(10, 50)
                self.relu = nn.ReLU()
                self.fc2 = nn.Linear(50, 1)

            def forward(self, x):
                return self.fc2(self.relu(self.fc1(x)))

    Both layers draw from one generator seeded with ``seed``, ``fc1`` first.

    >>> import numpy as np
    >>> model = SimpleNN()
    >>> [(name, p.shape) for name, p in model.named_parameters()]
    [('fc1.weight', (50, 10)), ('fc1.bias', (50,)), ('fc2.weight', (1, 50)), ('fc2.bias', (1,))]
    >>> model(np.zeros((4, 10), dtype=np.float32)).shape
    (4, 1)
    """

    def __init__(self, in_features: int = 10, hidden_features: int = 50, out_features: int = 1, *,
                 seed=0, dtype="float32"):
        super().__init__()
        rng = generator(seed)
        self.fc1 = Linear(in_features, hidden_features, seed=rng, dtype=dtype)
        self.relu = ReLU()
        self.fc2 = Linear(hidden_features, out_features, seed=rng, dtype=dtype)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x)))
