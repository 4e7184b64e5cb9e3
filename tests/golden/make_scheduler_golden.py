"""Golden learning-rate sequences from torch.optim.lr_scheduler (torch 2.13).

Run with the system interpreter, which has torch:

    python3 tests/golden/make_scheduler_golden.py

It writes tests/golden/data/schedulers.npz.  The cases, the way a scheduler is built
from a case and the loop that records it live here and nowhere else: the tests import
this file (without torch) and run the very same code on course.optim.lr_scheduler.

For every case and step i the loop records what the i-th ``optimizer.step()`` used
(``lr`` per group, and the cycled momentum or beta1), then ``get_last_lr()`` after the
scheduler step, and for ReduceLROnPlateau its ``best``, ``num_bad_epochs``,
``cooldown_counter`` and ``in_cooldown``.  Cases with ``resume_at`` are run a second
time, saving both state dicts at that step and going on with a fresh optimizer and
scheduler that load them.
"""
from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "data" / "schedulers.npz"


# -------------------------------------------------------- functions used by the cases
def inv_decay(epoch):
    return 1.0 / (1.0 + 0.05 * epoch)


def pow097(epoch):
    return 0.97**epoch


def times098(epoch):
    return 0.98


def tenth_drop(epoch):
    return 0.7 if epoch % 10 == 0 else 1.0


def sine_scale(x):
    return 0.5 * (1 + math.sin(x * math.pi / 2))


def decay_scale(x):
    return 1.0 / (1.0 + 0.01 * x)


class Warmup:
    """A callable object: its ``__dict__`` is what LambdaLR's state_dict keeps."""

    def __init__(self, warmup):
        self.warmup = warmup
        self.calls = 0

    def __call__(self, epoch):
        self.calls += 1
        return min(1.0, (epoch + 1) / self.warmup) * 0.995**epoch


FUNCTIONS = {
    "inv_decay": inv_decay,
    "pow097": pow097,
    "times098": times098,
    "tenth_drop": tenth_drop,
    "sine_scale": sine_scale,
    "decay_scale": decay_scale,
}


def resolve(value):
    """'@name' -> a function; '@Warmup(n)' -> a fresh callable object; lists element-wise."""
    if isinstance(value, list):
        return [resolve(v) for v in value]
    if isinstance(value, str) and value.startswith("@"):
        name = value[1:]
        if name.startswith("Warmup("):
            return Warmup(int(name[7:-1]))
        return FUNCTIONS[name]
    return value


# ------------------------------------------------------------------------- cases
def case(cid, sched, steps=250, groups=(0.1, 0.05), opt="sgd", **extra):
    return {"id": cid, "sched": sched, "steps": steps, "groups": list(groups), "opt": opt, **extra}


def S(cls, **kw):
    return {"cls": cls, "kw": kw}


def metrics_spec(seed, kind="noisy", nan_at=()):
    return {"seed": seed, "kind": kind, "nan_at": list(nan_at)}


CASES = [
    # LambdaLR / MultiplicativeLR
    case("LambdaLR_inv", S("LambdaLR", lr_lambda="@inv_decay"), resume_at=77),
    case("LambdaLR_two", S("LambdaLR", lr_lambda=["@inv_decay", "@pow097"])),
    case("LambdaLR_object", S("LambdaLR", lr_lambda="@Warmup(20)"), resume_at=13),
    case("MultiplicativeLR_const", S("MultiplicativeLR", lr_lambda="@times098"), resume_at=100),
    case("MultiplicativeLR_two", S("MultiplicativeLR", lr_lambda=["@tenth_drop", "@times098"])),
    # StepLR / MultiStepLR
    case("StepLR_30", S("StepLR", step_size=30, gamma=0.1), resume_at=45),
    case("StepLR_7_half", S("StepLR", step_size=7, gamma=0.5), groups=(1.0, 0.3, 0.01)),
    case("StepLR_1", S("StepLR", step_size=1, gamma=0.99), steps=400),
    case("StepLR_default_gamma", S("StepLR", step_size=50), groups=(0.2,)),
    case("MultiStepLR", S("MultiStepLR", milestones=[30, 80, 150], gamma=0.1), resume_at=60),
    case("MultiStepLR_dup", S("MultiStepLR", milestones=[0, 10, 10, 50], gamma=0.5)),
    # ConstantLR / LinearLR
    case("ConstantLR_default", S("ConstantLR"), steps=60),
    case("ConstantLR_half40", S("ConstantLR", factor=0.5, total_iters=40)),
    case("ConstantLR_zero_iters", S("ConstantLR", factor=0.5, total_iters=0), steps=30),
    case("LinearLR_default", S("LinearLR"), steps=60),
    case("LinearLR_warmup", S("LinearLR", start_factor=0.05, total_iters=40), resume_at=20),
    case("LinearLR_decay", S("LinearLR", start_factor=1.0, end_factor=0.1, total_iters=100)),
    case("LinearLR_to_zero", S("LinearLR", start_factor=0.5, end_factor=0.0, total_iters=30), steps=60),
    # ExponentialLR / PolynomialLR
    case("ExponentialLR_099", S("ExponentialLR", gamma=0.99), steps=400, resume_at=200),
    case("ExponentialLR_09", S("ExponentialLR", gamma=0.9)),
    case("ExponentialLR_up", S("ExponentialLR", gamma=1.01)),
    case("PolynomialLR_default", S("PolynomialLR"), steps=30),
    case("PolynomialLR_sq", S("PolynomialLR", total_iters=100, power=2.0), resume_at=50),
    case("PolynomialLR_sqrt", S("PolynomialLR", total_iters=50, power=0.5)),
    case("PolynomialLR_p0", S("PolynomialLR", total_iters=10, power=0.0), steps=30),
    # cosine
    case("CosineAnnealingLR_50", S("CosineAnnealingLR", T_max=50), steps=300, resume_at=120),
    case("CosineAnnealingLR_eta", S("CosineAnnealingLR", T_max=100, eta_min=0.001), steps=400),
    case("CosineAnnealingLR_1", S("CosineAnnealingLR", T_max=1, eta_min=0.01), steps=40),
    case("CosineAnnealingLR_7", S("CosineAnnealingLR", T_max=7, eta_min=0.01), steps=200),
    case("CAWR_10", S("CosineAnnealingWarmRestarts", T_0=10), resume_at=33),
    case("CAWR_mult2", S("CosineAnnealingWarmRestarts", T_0=5, T_mult=2, eta_min=1e-3), steps=300),
    case("CAWR_1", S("CosineAnnealingWarmRestarts", T_0=1), steps=20),
    case("CAWR_frac", S("CosineAnnealingWarmRestarts", T_0=3, T_mult=2, eta_min=1e-4), steps=300,
         epochs={"kind": "fraction", "per_epoch": 7}),
    case("CAWR_frac_mult1", S("CosineAnnealingWarmRestarts", T_0=4), steps=200,
         epochs={"kind": "fraction", "per_epoch": 5}),
    case("CAWR_jump", S("CosineAnnealingWarmRestarts", T_0=6, T_mult=3), steps=120,
         epochs={"kind": "jumps", "seed": 3}),
    # CyclicLR
    case("CyclicLR_triangular", S("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=20), steps=300,
         resume_at=55),
    case("CyclicLR_triangular2", S("CyclicLR", base_lr=[0.001, 0.01], max_lr=[0.1, 0.2], step_size_up=10,
                                   step_size_down=30, mode="triangular2"), steps=300),
    case("CyclicLR_exp_range", S("CyclicLR", base_lr=0.001, max_lr=0.05, step_size_up=15, mode="exp_range",
                                 gamma=0.99), steps=300),
    case("CyclicLR_scale_cycle", S("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=8, scale_fn="@sine_scale"),
         steps=200),
    case("CyclicLR_scale_iter", S("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=8, scale_fn="@decay_scale",
                                  scale_mode="iterations", base_momentum=[0.7, 0.8], max_momentum=[0.9, 0.95]),
         steps=200),
    case("CyclicLR_adam", S("CyclicLR", base_lr=0.001, max_lr=0.006, step_size_up=12, base_momentum=0.8,
                            max_momentum=0.9), opt="adam", steps=200),
    case("CyclicLR_no_momentum", S("CyclicLR", base_lr=0.001, max_lr=0.006, step_size_up=5,
                                   cycle_momentum=False), opt="plain", steps=60),
    case("CyclicLR_down0", S("CyclicLR", base_lr=0.0, max_lr=1.0, step_size_up=4, step_size_down=0), steps=30),
    # OneCycleLR
    case("OneCycleLR_cos", S("OneCycleLR", max_lr=0.1, total_steps=300), steps=300, resume_at=150),
    case("OneCycleLR_linear", S("OneCycleLR", max_lr=[0.1, 0.5], total_steps=200, anneal_strategy="linear",
                                pct_start=0.25), steps=200),
    case("OneCycleLR_three", S("OneCycleLR", max_lr=0.1, total_steps=250, three_phase=True), steps=250),
    case("OneCycleLR_three_linear", S("OneCycleLR", max_lr=1.0, epochs=10, steps_per_epoch=20, three_phase=True,
                                      anneal_strategy="linear", div_factor=10.0, final_div_factor=100.0),
         steps=200),
    case("OneCycleLR_adam", S("OneCycleLR", max_lr=0.01, total_steps=150, base_momentum=[0.8, 0.85],
                              max_momentum=0.95), opt="adam", steps=150),
    case("OneCycleLR_nomom", S("OneCycleLR", max_lr=0.01, total_steps=100, cycle_momentum=False), opt="plain",
         steps=100),
    # ReduceLROnPlateau
    case("Plateau_default", S("ReduceLROnPlateau"), steps=300, metrics=metrics_spec(0), resume_at=150),
    case("Plateau_fast", S("ReduceLROnPlateau", patience=2, factor=0.5, cooldown=3), steps=300,
         metrics=metrics_spec(1, "plateau")),
    case("Plateau_minlr", S("ReduceLROnPlateau", patience=1, factor=0.3, min_lr=[0.01, 0.001]), steps=200,
         metrics=metrics_spec(2, "plateau")),
    case("Plateau_max_abs", S("ReduceLROnPlateau", mode="max", threshold_mode="abs", threshold=0.01, patience=3),
         steps=300, metrics=metrics_spec(3, "rising")),
    case("Plateau_max_rel", S("ReduceLROnPlateau", mode="max", threshold=0.05, patience=0, cooldown=1), steps=200,
         metrics=metrics_spec(4, "rising")),
    case("Plateau_eps", S("ReduceLROnPlateau", patience=0, factor=0.5, eps=1e-3), steps=100,
         metrics=metrics_spec(5, "flat")),
    case("Plateau_flat_zero_threshold", S("ReduceLROnPlateau", patience=2, threshold=0.0), steps=100,
         metrics=metrics_spec(6, "flat")),
    case("Plateau_nan", S("ReduceLROnPlateau", patience=2, factor=0.5), steps=150,
         metrics=metrics_spec(7, "noisy", nan_at=[3, 4, 5, 40, 41, 90])),
    case("Plateau_abs_min", S("ReduceLROnPlateau", threshold_mode="abs", threshold=0.02, patience=4, cooldown=2,
                              min_lr=1e-4), steps=300, metrics=metrics_spec(8)),
    # composites
    case("Sequential_warmup_cosine",
         {"cls": "SequentialLR", "kw": {"milestones": [10]},
          "schedulers": [S("LinearLR", start_factor=0.1, total_iters=10), S("CosineAnnealingLR", T_max=90)]},
         steps=300, resume_at=50),
    case("Sequential_three",
         {"cls": "SequentialLR", "kw": {"milestones": [5, 50]},
          "schedulers": [S("ConstantLR", factor=0.1, total_iters=5), S("ExponentialLR", gamma=0.97),
                         S("StepLR", step_size=30, gamma=0.5)]}, steps=250),
    case("Sequential_lambda",
         {"cls": "SequentialLR", "kw": {"milestones": [20]},
          "schedulers": [S("LambdaLR", lr_lambda="@inv_decay"), S("MultiStepLR", milestones=[10, 60])]},
         steps=150),
    case("Sequential_zero_milestone",
         {"cls": "SequentialLR", "kw": {"milestones": [0, 30]},
          "schedulers": [S("ConstantLR", factor=0.5), S("ExponentialLR", gamma=0.95),
                         S("PolynomialLR", total_iters=40, power=2.0)]}, steps=120),
    case("Chained_constant_exp",
         {"cls": "ChainedScheduler", "schedulers": [S("ConstantLR", factor=0.1, total_iters=2),
                                                     S("ExponentialLR", gamma=0.9)]}, steps=100, resume_at=30),
    case("Chained_three",
         {"cls": "ChainedScheduler", "schedulers": [S("LinearLR", start_factor=0.2, total_iters=20),
                                                     S("StepLR", step_size=25, gamma=0.5),
                                                     S("CosineAnnealingLR", T_max=60, eta_min=0.0)]}, steps=250),
    # the deprecated epoch argument (closed forms) and resuming through last_epoch
    case("StepLR_epoch_arg", S("StepLR", step_size=10, gamma=0.5), steps=100, epochs={"kind": "shift", "by": 1}),
    case("MultiStepLR_epoch_skip", S("MultiStepLR", milestones=[10, 25, 26, 60]), steps=60,
         epochs={"kind": "jumps", "seed": 1}),
    case("ExponentialLR_epoch_arg", S("ExponentialLR", gamma=0.95), steps=100, epochs={"kind": "jumps", "seed": 2}),
    case("CosineAnnealingLR_epoch_arg", S("CosineAnnealingLR", T_max=30, eta_min=0.01), steps=100,
         epochs={"kind": "jumps", "seed": 4}),
    case("LinearLR_epoch_arg", S("LinearLR", start_factor=0.2, total_iters=25), steps=60,
         epochs={"kind": "shift", "by": 1}),
    case("ConstantLR_epoch_arg", S("ConstantLR", factor=0.25, total_iters=12), steps=40,
         epochs={"kind": "jumps", "seed": 5}),
    case("PolynomialLR_epoch_arg", S("PolynomialLR", total_iters=50, power=3.0), steps=70,
         epochs={"kind": "jumps", "seed": 6}),
    case("LambdaLR_epoch_arg", S("LambdaLR", lr_lambda="@pow097"), steps=60, epochs={"kind": "jumps", "seed": 7}),
    case("Plateau_epoch_arg", S("ReduceLROnPlateau", patience=1), steps=60, metrics=metrics_spec(9, "plateau"),
         epochs={"kind": "shift", "by": 1}),
    case("CosineAnnealingLR_last_epoch", S("CosineAnnealingLR", T_max=40, eta_min=0.001, last_epoch=15),
         steps=150, preset_initial_lr=[0.2, 0.1]),
    case("StepLR_last_epoch", S("StepLR", step_size=10, gamma=0.5, last_epoch=25), steps=60,
         preset_initial_lr=[0.2, 0.1]),
    case("ExponentialLR_last_epoch", S("ExponentialLR", gamma=0.9, last_epoch=5), steps=40,
         preset_initial_lr=[0.2, 0.1]),
    case("LinearLR_last_epoch", S("LinearLR", start_factor=0.1, total_iters=20, last_epoch=4), steps=40,
         preset_initial_lr=[0.2, 0.1]),
]


def make_metrics(spec) -> np.ndarray:
    """The validation-metric curve of a plateau case (seeded, so it is the same everywhere)."""
    m = spec["metrics"]
    n = spec["steps"]
    rng = np.random.default_rng(m["seed"])
    t = np.arange(n, dtype=np.float64)
    if m["kind"] == "noisy":
        values = 1.0 / (1.0 + 0.05 * t) + 0.05 * rng.standard_normal(n)
    elif m["kind"] == "plateau":
        values = np.maximum(1.0 - 0.02 * t, 0.5) + 0.01 * rng.standard_normal(n)
    elif m["kind"] == "rising":
        values = 1.0 - np.exp(-t / 40.0) + 0.02 * rng.standard_normal(n)
    else:  # flat: many exact ties with the best value
        values = np.round(1.0 + 0.3 * rng.random(n), 1)
    values[m["nan_at"]] = np.nan
    return values


def make_epochs(spec) -> list | None:
    """The explicit ``epoch`` passed to step(), for the cases that use the deprecated argument."""
    e = spec.get("epochs")
    if e is None:
        return None
    n = spec["steps"]
    if e["kind"] == "shift":
        return [i + e["by"] for i in range(n)]
    if e["kind"] == "fraction":
        return [(i + 1) / e["per_epoch"] for i in range(n)]
    rng = np.random.default_rng(e["seed"])  # jumps: forward, sometimes skipping, sometimes back
    out, epoch = [], 0
    for _ in range(n):
        epoch = max(0, epoch + int(rng.choice([1, 1, 1, 2, 3, 0, -2])))
        out.append(epoch)
    return out


# --------------------------------------------------------- building and running
def build(L, optimizer, sched):
    """A scheduler (of the module ``L``: torch's or course's) from a case's description."""
    if sched["cls"] == "ChainedScheduler":
        return L.ChainedScheduler([build(L, optimizer, s) for s in sched["schedulers"]], optimizer)
    kw = {k: resolve(v) for k, v in sched["kw"].items()}
    if sched["cls"] == "SequentialLR":
        return L.SequentialLR(optimizer, [build(L, optimizer, s) for s in sched["schedulers"]], **kw)
    return getattr(L, sched["cls"])(optimizer, **kw)


def momentum_of(group):
    if "betas" in group:
        return float(group["betas"][0])
    return float(group.get("momentum", np.nan))


def run_case(L, make_optimizer, spec) -> dict:
    """Run a case with scheduler module ``L`` and ``make_optimizer(kind, lrs)``; return its records."""
    steps = spec["steps"]
    metrics = make_metrics(spec) if "metrics" in spec else None
    epochs = make_epochs(spec)

    def fresh():
        opt = make_optimizer(spec["opt"], spec["groups"])
        for group, lr in zip(opt.param_groups, spec.get("preset_initial_lr", [])):
            group["initial_lr"] = lr
        return opt, build(L, opt, spec["sched"])

    def loop(resume_at=None):
        opt, sched = fresh()
        rec = {k: [] for k in ("lr", "momentum", "last_lr", "plateau")}
        for i in range(steps):
            if i == resume_at:
                saved_opt = copy.deepcopy(opt.state_dict())
                saved_sched = copy.deepcopy(sched.state_dict())
                opt, sched = fresh()
                opt.load_state_dict(saved_opt)
                sched.load_state_dict(saved_sched)
            rec["lr"].append([float(g["lr"]) for g in opt.param_groups])
            rec["momentum"].append([momentum_of(g) for g in opt.param_groups])
            opt.step()
            args = [] if metrics is None else [float(metrics[i])]
            kwargs = {} if epochs is None else {"epoch": epochs[i]}
            sched.step(*args, **kwargs)
            rec["last_lr"].append([float(v) for v in sched.get_last_lr()])
            if metrics is not None:
                rec["plateau"].append([float(sched.best), sched.num_bad_epochs, sched.cooldown_counter,
                                       float(sched.in_cooldown)])
        return {k: np.asarray(v, dtype=np.float64) for k, v in rec.items() if v}

    out = loop()
    if metrics is not None:
        out["metrics"] = metrics
    if "resume_at" in spec:
        out["lr_resumed"] = loop(spec["resume_at"])["lr"]
    return out


def torch_optimizer(kind, lrs):
    import torch

    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=lrs[0], momentum=0.9)
    if kind == "adam":
        return torch.optim.Adam(groups, lr=lrs[0])
    return torch.optim.SGD(groups, lr=lrs[0])


def main():
    import warnings

    import torch

    assert torch.__version__.startswith("2.13"), torch.__version__
    from torch.optim import lr_scheduler as L

    arrays = {}
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the epoch argument's deprecation warning
        for spec in CASES:
            arrays[spec["id"] + "/spec"] = np.array(json.dumps(spec, sort_keys=True))
            for key, value in run_case(L, torch_optimizer, spec).items():
                arrays[f"{spec['id']}/{key}"] = value
    arrays["torch_version"] = np.array(torch.__version__)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {len(CASES)} cases to {OUT} ({OUT.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
