"""Golden trajectories of the schedulefree package (1.4.1, on torch): run with both installed,
    python3 tests/golden/make_schedule_free_golden.py
It writes tests/golden/data/schedule_free.npz: per config and dtype, the parameters (y) after
every 4th of 120 steps, the parameters in eval mode (x) and back in train mode after steps 40,
80 and 120 (a train/eval round trip), the final state arrays and group counters.

The protocol (`run`) is shared with tests/test_schedule_free.py, which runs it on course.  Two
groups; parameter 2 (group 1) gets no grad before step LATE, so its state is made late and the
switches skip it until then.  Each grad is a fixed noise plus 0.5 * the parameter (a quadratic
pull), computed in NumPy from the parameter's bits, so both libraries see the same grads as long
as they agree.  The starts and noises are not stored: `draws` makes them again from the seed."""
from pathlib import Path

import numpy as np

CONFIGS = {
    "adamw": ("AdamWScheduleFree",
              dict(lr=0.02, betas=(0.9, 0.999), weight_decay=0.01, warmup_steps=20, r=0.0, weight_lr_power=2.0),
              dict(lr=0.005, r=1.0, betas=(0.8, 0.99), weight_lr_power=1.0)),
    "adamw_defaults": ("AdamWScheduleFree", dict(), dict()),
    # beta1 < 0.5: both switches take torch's other lerp branch (|w| >= 0.5)
    "adamw_low_beta": ("AdamWScheduleFree", dict(lr=0.05, betas=(0.3, 0.999), warmup_steps=5),
                       dict(eps=1e-3, weight_decay=0.1)),
    "sgd": ("SGDScheduleFree", dict(lr=0.1, momentum=0.9, weight_decay=0.001, warmup_steps=15),
            dict(momentum=0.5, r=0.5, weight_lr_power=0)),
    "sgd_defaults": ("SGDScheduleFree", dict(), dict()),
}
SHAPES = [(4, 3), (5,), (2, 2)]
STEPS = 120
LATE = 7  # parameter 2's first grad
CHECKS = (40, 80, 120)  # eval() then train() after these steps
COUNTERS = ("k", "weight_sum", "lr_max", "scheduled_lr")


def draws(dtype, seed):
    rng = np.random.default_rng(seed)
    starts = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    noises = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(STEPS)]
    return starts, noises


def _torch_side(cls):
    import schedulefree
    import torch

    def make(w):
        return torch.nn.Parameter(torch.tensor(w))

    def read(p):
        return p.detach().numpy().copy()

    def set_grad(p, g):
        p.grad = None if g is None else torch.tensor(g)

    return make, lambda gs: getattr(schedulefree, cls)(gs), read, set_grad


def _course_side(cls, xp):
    import course
    from course import backend

    def make(w):
        return course.Parameter(w if xp is None else xp.asarray(w))

    def read(p):
        return backend.to_numpy(p.data).copy()

    def set_grad(p, g):
        p.grad = None if g is None else g if xp is None else xp.asarray(g)

    return make, lambda gs: getattr(course.optim, cls)(gs), read, set_grad


def run(impl, name, dtype, seed, xp=None):
    """The protocol on ``impl`` ("schedulefree" or "course", on namespace ``xp``): a dict of arrays."""
    cls, kw0, kw1 = CONFIGS[name]
    make, build, read, set_grad = _torch_side(cls) if impl == "schedulefree" else _course_side(cls, xp)
    starts, noises = draws(dtype, seed)
    params = [make(w.copy()) for w in starts]
    opt = build([{"params": params[:2], **kw0}, {"params": params[2:], **kw1}])
    opt.train()  # no state yet: nothing moves
    out = {f"y{i}": [] for i in range(len(SHAPES))}
    for t in range(1, STEPS + 1):
        for i, (p, noise) in enumerate(zip(params, noises[t - 1])):
            set_grad(p, None if i == 2 and t < LATE else noise + dtype(0.5) * read(p))
        opt.step()
        if t % 4 == 0:
            for i, p in enumerate(params):
                out[f"y{i}"].append(read(p))
        if t in CHECKS:
            opt.eval()
            for i, p in enumerate(params):
                out[f"x{i}_at{t}"] = read(p)
            opt.train()
            for i, p in enumerate(params):
                out[f"y{i}_at{t}"] = read(p)
    out = {k: np.stack(v) if isinstance(v, list) else v for k, v in out.items()}
    for i, p in enumerate(params):
        for key, value in opt.state[p].items():
            out[f"state{i}_{key}"] = value.detach().numpy().copy() if impl == "schedulefree" else read_array(value)
    for g, group in enumerate(opt.param_groups):
        out[f"group{g}"] = np.array([float(group[c]) for c in COUNTERS])
    return out


def read_array(a):
    from course import backend

    return backend.to_numpy(a).copy()


def main():
    out = {}
    for name in CONFIGS:
        for dtype in (np.float64, np.float32):
            for key, value in run("schedulefree", name, dtype, seed=len(name)).items():
                out[f"{name}/{np.dtype(dtype).name}/{key}"] = value
    path = Path(__file__).parent / "data" / "schedule_free.npz"
    np.savez_compressed(path, **out)
    print(f"wrote {path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
