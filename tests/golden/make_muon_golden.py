"""Golden trajectories of torch.optim.Muon (torch 2.13): run with torch installed,
    python3 tests/golden/make_muon_golden.py
It writes tests/golden/data/muon.npz: per config and dtype, the parameters after every 10th of
120 steps on a 6x4 and a 3x7 matrix.  The starts and grads are not stored: `draws` makes them
again from the seed (NumPy's generator gives the same numbers on every machine)."""
from pathlib import Path

import numpy as np

CONFIGS = {
    "default": dict(lr=0.02),
    "plain_momentum": dict(lr=0.02, nesterov=False, weight_decay=0.0),
    "match_rms_adamw": dict(lr=0.01, adjust_lr_fn="match_rms_adamw", weight_decay=0.05),
    "three_steps": dict(lr=0.05, ns_steps=3, momentum=0.9, eps=1e-5),
}
SHAPES = [(6, 4), (3, 7)]
STEPS = 120


def draws(dtype, seed):
    rng = np.random.default_rng(seed)
    starts = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(STEPS)]
    return starts, grads


def run(config, dtype, seed):
    import torch  # only the generator and the live test need the reference

    starts, grads = draws(dtype, seed)
    params = [torch.nn.Parameter(torch.tensor(w.copy())) for w in starts]
    opt = torch.optim.Muon(params, **config)
    traj = []
    for g in grads:
        for p, gi in zip(params, g):
            p.grad = torch.tensor(gi.copy())
        opt.step()
        traj.append([p.detach().numpy().copy() for p in params])
    return starts, grads, traj


def write(filename, configs, run):
    """Run every config in float64 and float32 and save every 10th step of each parameter's
    trajectory to ``data/<filename>`` (the Adafactor generator uses it too)."""
    out = {}
    for name, config in configs.items():
        for dtype in (np.float64, np.float32):
            starts, grads, traj = run(config, dtype, seed=len(name))
            key = f"{name}/{np.dtype(dtype).name}"
            for i in range(len(starts)):
                out[f"{key}/traj{i}"] = np.stack([t[i] for t in traj[9::10]])
    path = Path(__file__).parent / "data" / filename
    np.savez_compressed(path, **out)
    print(f"wrote {path} ({path.stat().st_size // 1024} KB)")


def main():
    write("muon.npz", CONFIGS, run)


if __name__ == "__main__":
    main()
