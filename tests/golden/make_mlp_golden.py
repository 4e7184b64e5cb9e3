"""Golden run of two small MLPs trained by plain gradient descent in torch 2.13.

Run with the system interpreter (it has torch):

    python3 tests/golden/make_mlp_golden.py

Two models, each in float64 and float32, from initial weights drawn here with NumPy
(torch's default distribution, U(-1/sqrt(fan_in), 1/sqrt(fan_in))) and on fixed
batches drawn here too:

- ``classifier``: Linear(4, 16) -> Tanh -> Linear(16, 3), CrossEntropyLoss;
- ``simple_nn``: SimpleNN (Linear(10, 50) -> ReLU -> Linear(50, 1)), MSELoss.

Step ``i`` uses batch ``i % n_batches`` and does ``p -= lr * p.grad`` under no_grad.
Writes tests/golden/data/mlp.npz: per model and dtype the initial and final state
dicts (torch's keys, in torch's order), the batches, and the loss of every step.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "data" / "mlp.npz"
SEED = 7

# name -> sizes, activation, loss, lr, steps, n_batches, batch size
MODELS = {
    "classifier": dict(sizes=(4, 16, 3), activation="Tanh", loss="CrossEntropyLoss", lr=0.5, steps=50,
                       n_batches=4, batch=16),
    "simple_nn": dict(sizes=(10, 50, 1), activation="ReLU", loss="MSELoss", lr=0.1, steps=50,
                      n_batches=4, batch=32),
}
DTYPES = ("float64", "float32")


def layer_names(name):
    return ("0", "2") if name == "classifier" else ("fc1", "fc2")


def initial_state(name):
    """Initial weights in float64, keyed as torch keys them."""
    rng = np.random.default_rng([SEED, list(MODELS).index(name)])
    n_in, n_hidden, n_out = MODELS[name]["sizes"]
    state = {}
    for layer, (fan_in, fan_out) in zip(layer_names(name), [(n_in, n_hidden), (n_hidden, n_out)]):
        bound = 1 / np.sqrt(fan_in)
        state[f"{layer}.weight"] = rng.uniform(-bound, bound, size=(fan_out, fan_in))
        state[f"{layer}.bias"] = rng.uniform(-bound, bound, size=(fan_out,))
    return state


def batches(name):
    """``X`` of shape (n_batches, batch, in) in float64 and the targets of a learnable teacher."""
    cfg = MODELS[name]
    rng = np.random.default_rng([SEED, list(MODELS).index(name), 1])
    n_in, _, n_out = cfg["sizes"]
    X = rng.normal(size=(cfg["n_batches"], cfg["batch"], n_in))
    teacher = rng.normal(size=(n_in, n_out))
    if cfg["loss"] == "CrossEntropyLoss":
        y = np.argmax(np.tanh(X @ teacher) + 0.3 * rng.normal(size=X.shape[:2] + (n_out,)), axis=-1)
        return X, y.astype(np.int64)
    y = X @ teacher / np.sqrt(n_in) + 0.1 * rng.normal(size=X.shape[:2] + (n_out,))
    return X, y


def torch_model(name, dtype):
    import torch

    n_in, n_hidden, n_out = MODELS[name]["sizes"]
    act = getattr(torch.nn, MODELS[name]["activation"])
    if name == "classifier":
        return torch.nn.Sequential(torch.nn.Linear(n_in, n_hidden, dtype=dtype), act(),
                                   torch.nn.Linear(n_hidden, n_out, dtype=dtype))

    class SimpleNN(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(n_in, n_hidden, dtype=dtype)
            self.relu = act()
            self.fc2 = torch.nn.Linear(n_hidden, n_out, dtype=dtype)

        def forward(self, x):
            return self.fc2(self.relu(self.fc1(x)))

    return SimpleNN()


def train_torch(name, dtype_name):
    import torch

    cfg = MODELS[name]
    dtype = getattr(torch, dtype_name)
    model = torch_model(name, dtype)
    init = initial_state(name)
    assert list(model.state_dict()) == list(init), "key order"
    model.load_state_dict({k: torch.from_numpy(v).to(dtype) for k, v in init.items()})
    X, y = batches(name)
    X = torch.from_numpy(X).to(dtype)
    y = torch.from_numpy(y) if cfg["loss"] == "CrossEntropyLoss" else torch.from_numpy(y).to(dtype)
    loss_fn = getattr(torch.nn, cfg["loss"])()
    losses = []
    for step in range(cfg["steps"]):
        b = step % cfg["n_batches"]
        model.zero_grad()
        loss = loss_fn(model(X[b]), y[b])
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= cfg["lr"] * p.grad
        losses.append(loss.item())
    final = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    return np.array(losses), final


def main():
    import torch

    assert torch.__version__.startswith("2.13"), torch.__version__
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    arrays = {"torch_version": np.array(torch.__version__)}
    for name in MODELS:
        X, y = batches(name)
        arrays[f"{name}/keys"] = np.array(list(initial_state(name)))
        for dtype in DTYPES:
            prefix = f"{name}/{dtype}"
            arrays[f"{prefix}/X"] = X.astype(dtype)
            arrays[f"{prefix}/y"] = y if y.dtype == np.int64 else y.astype(dtype)
            for k, v in initial_state(name).items():
                arrays[f"{prefix}/init/{k}"] = v.astype(dtype)
            losses, final = train_torch(name, dtype)
            arrays[f"{prefix}/losses"] = losses
            for k, v in final.items():
                arrays[f"{prefix}/final/{k}"] = v
            print(f"{prefix}: loss {losses[0]:.4f} -> {losses[-1]:.4f}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
