"""The seed's two training loops, verbatim except for the imports, against torch.

The golden run (tests/golden/make_seed_loop_golden.py) trains the same model in torch
from the same initial weights on the same batches; every printed line must be the same,
and the final lr of the StepLR loop is 0.001 * 0.1**3, as torch computes it.
"""
from __future__ import annotations

import importlib.util
from functools import partial
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("make_seed_loop_golden", HERE / "golden" / "make_seed_loop_golden.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

GOLDEN = np.load(HERE / "golden" / "data" / "seed_loops.npz")

# ------------------------------------------------------------------ the imports
from course import nn, optim  # noqa: E402

SimpleNN = partial(nn.SimpleNN, seed=0)  # the golden run's initial weights


class RecordingLoss:
    """``loss_fn`` that remembers every value it returns (the loops stay verbatim)."""

    def __init__(self):
        self.fn = nn.MSELoss()
        self.values = []

    def __call__(self, outputs, targets):
        loss = self.fn(outputs, targets)
        self.values.append(loss.item())
        return loss


OPTIMIZERS = {
    "Adam": lambda params: optim.Adam(params, lr=0.001),
    "SGD": lambda params: optim.SGD(params, lr=0.01, momentum=0.9),
    "RMSprop": lambda params: optim.RMSprop(params, lr=0.01),
}
BATCHES = gen.N_TRAIN // gen.BATCH


def setup():
    (X, y), (val_inputs, val_targets), _, dataloader = gen.course_setup()
    return dataloader, val_inputs, val_targets


# ------------------------------------------------------------------- the loops
def steplr_loop(make_optimizer):
    dataloader, _, _ = setup()
    loss_fn = RecordingLoss()

    model = SimpleNN()
    optimizer = make_optimizer(model.parameters())  # optim.Adam(model.parameters(), lr=0.001)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        for batch_inputs, batch_targets in dataloader:
            optimizer.zero_grad()
            outputs = model(batch_inputs)
            loss = loss_fn(outputs, batch_targets)
            loss.backward()
            optimizer.step()
        scheduler.step()
        if epoch % 10 == 0:
            print(f'Epoch [{epoch}/100], Loss: {loss.item():.4f}, LR: {scheduler.get_last_lr()[0]}')

    epoch_losses = loss_fn.values[BATCHES - 1::BATCHES]
    return epoch_losses, scheduler, optimizer


def plateau_loop(make_optimizer):
    dataloader, val_inputs, val_targets = setup()
    loss_fn = RecordingLoss()

    model = SimpleNN()
    optimizer = make_optimizer(model.parameters())  # optim.Adam(model.parameters(), lr=0.001)
    scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, 'min')
    for epoch in range(100):
        for batch_inputs, batch_targets in dataloader:
            optimizer.zero_grad()
            outputs = model(batch_inputs)
            loss = loss_fn(outputs, batch_targets)
            loss.backward()
            optimizer.step()
        val_loss = loss_fn(model(val_inputs), val_targets)
        scheduler.step(val_loss)
        if epoch % 10 == 0:
            print(f'Epoch [{epoch}/100], Loss: {loss.item():.4f}, LR: {optimizer.param_groups[0]["lr"]}')

    epoch_losses = loss_fn.values[BATCHES - 1::BATCHES + 1]  # the last batch's, not the validation loss
    return epoch_losses, scheduler, optimizer


LOOPS = {"steplr": steplr_loop, "plateau": plateau_loop}


# ------------------------------------------------------------------- the tests
def test_golden_run_saw_the_same_data_weights_and_batches():
    (X, y), _, model, _ = gen.course_setup()
    np.testing.assert_array_equal(X, GOLDEN["X_train"], err_msg="course data changed: regenerate the golden data")
    # y = X @ w + noise: a matmul, whose last bits depend on the CPU and the BLAS kernel
    np.testing.assert_allclose(y, GOLDEN["y_train"], rtol=1e-12, atol=0)
    weights = np.concatenate([np.asarray(p.data).ravel() for p in model.parameters()])
    np.testing.assert_array_equal(weights, GOLDEN["weights"], err_msg="SimpleNN(seed=0) changed: regenerate")
    np.testing.assert_array_equal(gen.batch_order(3), GOLDEN["order"][:3])


@pytest.mark.parametrize("loop,opt_name", [(loop, opt) for loop, opt, _ in gen.RUNS])
def test_seed_loop_prints_what_torch_prints(loop, opt_name, capsys):
    losses, scheduler, optimizer = LOOPS[loop](OPTIMIZERS[opt_name])
    printed = capsys.readouterr().out.strip().splitlines()
    name = gen.run_name(loop, opt_name)
    expected = str(GOLDEN[name + "/lines"]).splitlines()
    assert len(printed) == 10
    assert printed == expected
    # the unrounded loss at the end of every epoch, float32 against float32
    np.testing.assert_allclose(losses, GOLDEN[name + "/loss"], rtol=1e-4, atol=1e-7)
    assert optimizer.param_groups[0]["lr"] == GOLDEN[name + "/lr"][-1]
    assert losses[-1] < 0.5 * losses[0]  # and it learns


def test_steplr_final_lr_is_three_decays_as_torch_computes_it():
    _, scheduler, optimizer = steplr_loop(OPTIMIZERS["Adam"])
    final = scheduler.get_last_lr()[0]
    assert final == ((0.001 * 0.1) * 0.1) * 0.1  # torch multiplies the current lr at 30, 60, 90
    assert final == GOLDEN["steplr_Adam/lr"][-1]
    assert final == 0.001 * 0.1**3  # the same double
    assert optimizer.param_groups[0]["lr"] == final
