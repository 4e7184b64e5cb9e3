"""Golden trajectories of torch.optim.Adafactor (torch 2.13): run with torch installed,
    python3 tests/golden/make_adafactor_golden.py
It writes tests/golden/data/adafactor.npz: per config and dtype, the parameters after every 10th
of 120 steps on a matrix, a 3-D array (factored over its last two dims), a vector and a scalar,
in two groups (the second at its own lr).  The starts and grads are not stored: `draws` makes
them again from the seed (NumPy's generator gives the same numbers on every machine)."""
import numpy as np

CONFIGS = {
    "default": dict(),
    "decay": dict(lr=0.05, weight_decay=0.1),
    "maximize": dict(lr=0.02, maximize=True, beta2_decay=-0.5),
    "clip_eps": dict(lr=0.1, d=2.0, eps=(1e-4, 1e-2)),
    "foreach": dict(lr=0.03, eps=(None, 1e-3), foreach=True, weight_decay=0.01),
}
SHAPES = [[(6, 4), (2, 3, 5)], [(7,), ()]]
STEPS = 120
SECOND_LR = 0.004


def draws(dtype, seed):
    rng = np.random.default_rng(seed)
    shapes = [s for g in SHAPES for s in g]
    starts = [np.asarray(rng.standard_normal(s)).astype(dtype) for s in shapes]
    # grads of a bowl plus noise, some coordinates tiny (the eps floors), one grad missing now and then
    grads = [[None if (t % 17 == 5 and i == 2) else
              np.asarray(0.5 * w * (1 + i) + rng.standard_normal(s) * (1e-3 if t % 9 == 0 else 0.3)).astype(dtype)
              for i, (s, w) in enumerate(zip(shapes, starts))] for t in range(STEPS)]
    return starts, grads


def groups(params, config):
    n = len(SHAPES[0])
    return [{"params": params[:n]}, {"params": params[n:], "lr": SECOND_LR}]


def run(config, dtype, seed):
    import torch  # only the generator and the live test need the reference

    starts, grads = draws(dtype, seed)
    params = [torch.nn.Parameter(torch.tensor(w.copy())) for w in starts]
    opt = torch.optim.Adafactor(groups(params, config), **config)
    traj = []
    for g in grads:
        for p, gi in zip(params, g):
            p.grad = None if gi is None else torch.tensor(gi.copy())
        opt.step()
        traj.append([p.detach().numpy().copy() for p in params])
    return starts, grads, traj


def main():
    from make_muon_golden import write

    write("adafactor.npz", CONFIGS, run)


if __name__ == "__main__":
    main()
