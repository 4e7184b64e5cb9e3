"""Golden output of the course's two seed training loops, run in torch 2.13.

Run with the system interpreter (it has torch and course installed editable):

    python3 tests/golden/make_seed_loop_golden.py

Everything torch sees comes from course, so both runs start equal: the data from
``course.data.make_regression``, the initial weights from ``course.nn.SimpleNN(seed=0)``
and the batches in the order course's ``DataLoader`` yields them.  The torch model is
built from the course model's layers and checked to compute the same outputs before
training.  Writes tests/golden/data/seed_loops.npz: the printed lines and the unrounded
losses and learning rates of every run.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "data" / "seed_loops.npz"

N_TRAIN, N_VAL, N_FEATURES, BATCH, SEED, EPOCHS = 256, 64, 10, 32, 0, 100

# (loop, optimizer name, optimizer keyword arguments)
RUNS = [
    ("steplr", "Adam", {"lr": 0.001}),
    ("steplr", "SGD", {"lr": 0.01, "momentum": 0.9}),
    ("steplr", "RMSprop", {"lr": 0.01}),
    ("plateau", "Adam", {"lr": 0.001}),
    ("plateau", "SGD", {"lr": 0.01, "momentum": 0.9}),
    ("plateau", "RMSprop", {"lr": 0.01}),
]


def run_name(loop, opt_name):
    return f"{loop}_{opt_name}"


def course_setup():
    """The data, the model and the loader, exactly as the test builds them."""
    from course import nn
    from course.data import DataLoader, TensorDataset, make_regression

    X, y = make_regression(n_samples=N_TRAIN + N_VAL, n_features=N_FEATURES, seed=SEED)
    X, y = np.asarray(X), np.asarray(y)
    train, val = (X[:N_TRAIN], y[:N_TRAIN]), (X[N_TRAIN:], y[N_TRAIN:])
    model = nn.SimpleNN(seed=0)
    dataloader = DataLoader(TensorDataset(*train), batch_size=BATCH, shuffle=True, seed=SEED)
    return train, val, model, dataloader


def batch_order(n_epochs):
    """The sample indices of every batch course's DataLoader yields, epoch after epoch."""
    from course.data import DataLoader, TensorDataset

    train, _, _, loader = course_setup()
    index_loader = DataLoader(TensorDataset(np.arange(N_TRAIN)), batch_size=BATCH, shuffle=True, seed=SEED)
    order = []
    for _ in range(n_epochs):
        epoch = []
        for (idx,), (xb, yb) in zip(index_loader, loader):
            idx = np.asarray(getattr(idx, "data", idx))
            # the same seed must give the same order whatever the data: check it
            np.testing.assert_array_equal(np.asarray(getattr(xb, "data", xb)), train[0][idx])
            np.testing.assert_array_equal(np.asarray(getattr(yb, "data", yb)), train[1][idx])
            epoch.append(idx)
        order.append(np.concatenate(epoch))
    return np.stack(order)


def _children(module):
    kids = getattr(module, "children", None)
    if callable(kids):
        return list(kids())
    from course.nn import Module

    out = []
    for value in vars(module).values():
        if isinstance(value, Module):
            out.append(value)
        elif isinstance(value, (list, tuple)):
            out += [v for v in value if isinstance(v, Module)]
        elif isinstance(value, dict):
            out += [v for v in value.values() if isinstance(v, Module)]
    return out


def to_torch(module):
    """A torch module computing what the course module computes (same weights)."""
    import torch

    name = type(module).__name__
    if name == "Linear":
        w = np.asarray(module.weight.data)
        layer = torch.nn.Linear(w.shape[1], w.shape[0], bias=module.bias is not None, dtype=torch.from_numpy(w).dtype)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(w.copy()))
            if module.bias is not None:
                layer.bias.copy_(torch.from_numpy(np.asarray(module.bias.data).copy()))
        return layer
    if name in ("ReLU", "Tanh", "Sigmoid"):
        return getattr(torch.nn, name)()
    # Sequential, or a model whose forward applies its layers in the order they were made
    return torch.nn.Sequential(*[to_torch(m) for m in _children(module)])


def run_torch(loop, opt_name, opt_kwargs, order, train, val, model_c):
    import torch

    model = to_torch(model_c)
    Xtr, ytr = torch.from_numpy(train[0].copy()), torch.from_numpy(train[1].copy())
    val_inputs, val_targets = torch.from_numpy(val[0].copy()), torch.from_numpy(val[1].copy())
    with torch.no_grad():  # the translation computes what course's model computes
        ours = np.asarray(getattr(model_c(val[0]), "data"))
        np.testing.assert_allclose(model(val_inputs).numpy(), ours, rtol=1e-5, atol=1e-6)
    loss_fn = torch.nn.MSELoss()
    optimizer = getattr(torch.optim, opt_name)(model.parameters(), **opt_kwargs)
    if loop == "steplr":
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
    else:
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, "min")
    lines, losses, lrs = [], [], []
    for epoch in range(EPOCHS):
        for b in range(N_TRAIN // BATCH):
            idx = torch.from_numpy(order[epoch, b * BATCH:(b + 1) * BATCH].astype(np.int64))
            batch_inputs, batch_targets = Xtr[idx], ytr[idx]
            optimizer.zero_grad()
            outputs = model(batch_inputs)
            loss = loss_fn(outputs, batch_targets)
            loss.backward()
            optimizer.step()
        if loop == "steplr":
            scheduler.step()
            lr = scheduler.get_last_lr()[0]
        else:
            val_loss = loss_fn(model(val_inputs), val_targets)
            scheduler.step(val_loss)
            lr = optimizer.param_groups[0]["lr"]
        losses.append(loss.item())
        lrs.append(lr)
        if epoch % 10 == 0:
            lines.append(f"Epoch [{epoch}/100], Loss: {loss.item():.4f}, LR: {lr}")
    return lines, np.array(losses), np.array(lrs)


def main():
    import torch

    assert torch.__version__.startswith("2.13"), torch.__version__
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    order = batch_order(EPOCHS)
    train, val, model_c, _ = course_setup()
    arrays = {"order": order.astype(np.int16), "X_train": train[0], "y_train": train[1],
              "weights": np.concatenate([np.asarray(p.data).ravel() for p in model_c.parameters()]),
              "torch_version": np.array(torch.__version__)}
    for loop, opt_name, kw in RUNS:
        lines, losses, lrs = run_torch(loop, opt_name, kw, order, train, val, model_c)
        name = run_name(loop, opt_name)
        arrays[name + "/lines"] = np.array("\n".join(lines))
        arrays[name + "/loss"] = losses
        arrays[name + "/lr"] = lrs
        print(name, lines[-1])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
