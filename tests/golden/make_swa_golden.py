"""Golden values for course.optim.swa_utils, computed by torch 2.13.

Run with the system interpreter (it has torch):

    python3 tests/golden/make_swa_golden.py

AveragedModel: a model with a weight, a bias and a float buffer is shown ``STEPS`` seeded
weight sets (``draw``), under each averaging in ``AVERAGING`` and each dtype; the averaged
weights and buffer after every update are recorded.  SWALR: the lrs of each case in
``SWALR_CASES`` over 15 steps.  Writes tests/golden/data/swa.npz; tests/test_swa_utils.py
imports the cases from here and needs no torch.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "data" / "swa.npz"
STEPS = 6
# name -> (how the averaging is made, use_buffers)
AVERAGING = {
    "swa": ("default", False),
    "swa_buffers": ("default", True),
    "swa_multi": ("swa_multi", False),
    "ema_multi": ("ema_multi", False),
    "ema_avg": ("ema_avg", False),
    "ema_multi_buffers": ("ema_multi", True),
}
DECAY = 0.9
# name -> (lrs of the groups, swa_lr, anneal_epochs, anneal_strategy)
SWALR_CASES = {
    "cos_10": ([0.1], 0.01, 10, "cos"),
    "linear_4": ([0.1], 0.02, 4, "linear"),
    "cos_0": ([0.1], 0.05, 0, "cos"),
    "two_groups": ([0.1, 0.3], [0.01, 0.2], 3, "cos"),
    "linear_1": ([0.5], 0.1, 1, "linear"),
}


def draw(dtype):
    """The weights shown at each update: STEPS of (weight (2, 3), bias (2,), buffer (2,))."""
    rng = np.random.default_rng(7)
    return [tuple(rng.standard_normal(s).astype(dtype) for s in ((2, 3), (2,), (2,))) for _ in range(STEPS)]


def main():
    import torch
    from torch.optim import swa_utils as S

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(3, 2)
            self.register_buffer("running", torch.zeros(2))

        def forward(self, x):
            return self.fc(x)

    out = {"meta": json.dumps({"AVERAGING": AVERAGING, "SWALR_CASES": SWALR_CASES})}
    for dtype in ("float64", "float32"):
        for name, (how, use_buffers) in AVERAGING.items():
            model = Net().to(getattr(torch, dtype))
            kwargs = {"default": {}, "swa_multi": {"multi_avg_fn": S.get_swa_multi_avg_fn()},
                      "ema_multi": {"multi_avg_fn": S.get_ema_multi_avg_fn(DECAY)},
                      "ema_avg": {"avg_fn": S.get_ema_avg_fn(DECAY)}}[how]
            avg = S.AveragedModel(model, use_buffers=use_buffers, **kwargs)
            for t, (w, b, r) in enumerate(draw(dtype)):
                with torch.no_grad():
                    model.fc.weight.copy_(torch.from_numpy(w))
                    model.fc.bias.copy_(torch.from_numpy(b))
                    model.running.copy_(torch.from_numpy(r))
                avg.update_parameters(model)
                out[f"{dtype}/{name}/{t}/weight"] = avg.module.fc.weight.detach().numpy().copy()
                out[f"{dtype}/{name}/{t}/bias"] = avg.module.fc.bias.detach().numpy().copy()
                out[f"{dtype}/{name}/{t}/running"] = avg.module.running.numpy().copy()
    for name, (lrs, swa_lr, anneal_epochs, strategy) in SWALR_CASES.items():
        params = [torch.nn.Parameter(torch.zeros(1)) for _ in lrs]
        opt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)])
        sched = S.SWALR(opt, swa_lr=swa_lr, anneal_epochs=anneal_epochs, anneal_strategy=strategy)
        seen = []
        for _ in range(15):
            seen.append([g["lr"] for g in opt.param_groups])
            opt.step()
            sched.step()
        out[f"swalr/{name}"] = np.array(seen)
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
