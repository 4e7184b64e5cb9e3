"""Write tests/golden/data/optim_complex.npz: complex128 parameter trajectories from torch.optim 2.13.

Run with the system interpreter, which has torch:  python3 tests/golden/make_optim_complex_golden.py
The problem lives in tests/optim_complex_helpers.py, shared with tests/test_optim_surface.py.
torch steps a complex parameter through its real view (``torch.view_as_real``).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import optim_complex_helpers as C  # noqa: E402


def torch_run(name, kwargs):
    with torch.no_grad():
        return C.run(torch.nn.Parameter, lambda ps, kw: getattr(torch.optim, name)(ps, **kw),
                     lambda p: p.detach().numpy(), torch.from_numpy, kwargs)


def main():
    arrays = {}
    for name in C.NAMES:
        for i, kwargs in enumerate(C.configs(name)):
            arrays[f"{name}_{i}"] = torch_run(name, kwargs)
    arrays["torch_version"] = np.array(torch.__version__)
    out = HERE / "data" / "optim_complex.npz"
    np.savez_compressed(out, **arrays)
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
