"""Write tests/golden/data/optim_<Name>.npz: parameter trajectories from torch.optim 2.13.

Run with the system interpreter, which has torch:  python3 tests/golden/make_optim_golden.py
The problem (shapes, grads, None grads, configs) lives in tests/optim_helpers.py, shared
with the tests, which replay it on course.optim and compare.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import optim_helpers as H  # noqa: E402

DTYPES = {"float64": torch.float64, "float32": torch.float32}


def torch_run(name, kwargs, dtype):
    def set_grad(p, g):
        p.grad = g

    def make_opt(groups, kw):
        return getattr(torch.optim, name)(groups, **kw)

    with torch.no_grad():
        return H.run(lambda a: torch.nn.Parameter(a), make_opt, set_grad, lambda a: a.detach().numpy(),
                     torch.from_numpy, kwargs, dtype)


def torch_lbfgs(kwargs, dtype):
    params = [torch.nn.Parameter(torch.from_numpy(a)) for a in H.lbfgs_initial(dtype)]
    opt = torch.optim.LBFGS(params, **kwargs)

    def closure():
        opt.zero_grad()
        loss = H.lbfgs_loss(params, np.dtype(dtype).name)
        loss.backward()
        return loss

    out, losses = [], []
    for _ in range(H.LBFGS_STEPS):
        losses.append(float(opt.step(closure)))
        out.append(np.concatenate([p.detach().numpy().copy() for p in params]))
    state = opt.state[params[0]]
    return np.array(out), np.array(losses), np.array([state["func_evals"], state["n_iter"]])


def main():
    torch.set_default_dtype(torch.float32)
    out_dir = HERE / "data"
    out_dir.mkdir(exist_ok=True)
    for name, configs in H.CONFIGS.items():
        arrays = {"configs": np.array(json.dumps(configs))}
        for i, kwargs in enumerate(configs):
            for dname in DTYPES:
                arrays[f"{i}_{dname}"] = torch_run(name, kwargs, np.dtype(dname))
        np.savez_compressed(out_dir / f"optim_{name}.npz", **arrays)
    arrays = {"configs": np.array(json.dumps(H.LBFGS_CONFIGS))}
    for i, kwargs in enumerate(H.LBFGS_CONFIGS):
        for dname in DTYPES:
            traj, losses, counts = torch_lbfgs(kwargs, np.dtype(dname))
            arrays[f"{i}_{dname}"], arrays[f"{i}_{dname}_loss"], arrays[f"{i}_{dname}_counts"] = traj, losses, counts
    np.savez_compressed(out_dir / "optim_LBFGS.npz", **arrays)
    sizes = {p.name: p.stat().st_size for p in sorted(out_dir.glob("optim_*.npz"))}
    print(json.dumps(sizes, indent=1), "total", sum(sizes.values()))


if __name__ == "__main__":
    main()
