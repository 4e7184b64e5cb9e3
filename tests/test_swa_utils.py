"""course.optim.swa_utils against torch 2.13: golden data (tests/golden/make_swa_golden.py) and live.

Tolerances: float64 runs match to 1e-12 relative (the same arithmetic; NumPy may round a
fused multiply-add differently), float32 to 1e-6 (a few ulps: torch's vectorised lerp fuses
the multiply-add on AVX2/AVX-512 CPUs, see course/optim/_lerp.py).
"""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import course
from course import nn
from course.optim import SGD
from course.optim import swa_utils as S

sys.path.insert(0, str(Path(__file__).parent / "golden"))
from make_swa_golden import AVERAGING, DECAY, OUT, SWALR_CASES, draw  # noqa: E402

TOL = {"float64": 1e-12, "float32": 1e-6}


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.register_buffer("running", course.Tensor(np.zeros(2, dtype=np.float32)))

    def forward(self, x):
        return self.fc(x)


def _averaged(how, model, use_buffers):
    kwargs = {"default": {}, "swa_multi": {"multi_avg_fn": S.get_swa_multi_avg_fn()},
              "ema_multi": {"multi_avg_fn": S.get_ema_multi_avg_fn(DECAY)},
              "ema_avg": {"avg_fn": S.get_ema_avg_fn(DECAY)}}[how]
    return S.AveragedModel(model, use_buffers=use_buffers, **kwargs)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(AVERAGING))
def test_averaged_model_matches_torch_golden(name, dtype):
    data = np.load(OUT)
    how, use_buffers = AVERAGING[name]
    model = Net().to(dtype)
    avg = _averaged(how, model, use_buffers)
    for t, (w, b, r) in enumerate(draw(dtype)):
        model.fc.weight.data[...] = w
        model.fc.bias.data[...] = b
        model.running.data[...] = r
        avg.update_parameters(model)
        for key, got in (("weight", avg.module.fc.weight.data), ("bias", avg.module.fc.bias.data),
                         ("running", avg.module.running.data)):
            assert got.dtype == np.dtype(dtype)
            np.testing.assert_allclose(got, data[f"{dtype}/{name}/{t}/{key}"], rtol=TOL[dtype], atol=0,
                                       err_msg=f"{name} {dtype} update {t} {key}")
    assert int(avg.n_averaged.item()) == len(draw(dtype))
    assert avg.n_averaged.dtype == np.int64


@pytest.mark.parametrize("name", list(SWALR_CASES))
def test_swalr_matches_torch_golden(name):
    data = np.load(OUT)
    lrs, swa_lr, anneal_epochs, strategy = SWALR_CASES[name]
    params = [course.Parameter(np.zeros(1)) for _ in lrs]
    opt = SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)])
    sched = S.SWALR(opt, swa_lr=swa_lr, anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    seen = []
    for _ in range(15):
        seen.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    np.testing.assert_allclose(seen, data[f"swalr/{name}"], rtol=1e-12, atol=1e-15)


def test_swalr_resumes_from_its_state_dict_and_refuses_bad_arguments():
    opt = SGD([course.Parameter(np.zeros(1))], lr=0.1)
    sched = S.SWALR(opt, swa_lr=0.01, anneal_epochs=5)
    for _ in range(2):
        opt.step(); sched.step()
    saved = sched.state_dict()
    assert "optimizer" not in saved
    opt2 = SGD([course.Parameter(np.zeros(1))], lr=0.1)
    sched2 = S.SWALR(opt2, swa_lr=0.01, anneal_epochs=5)
    opt2.param_groups[0]["lr"] = opt.param_groups[0]["lr"]
    sched2.load_state_dict(saved)
    for _ in range(4):
        opt.step(); sched.step(); opt2.step(); sched2.step()
        assert opt.param_groups[0]["lr"] == opt2.param_groups[0]["lr"]
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear'"):
        S.SWALR(opt, swa_lr=0.01, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
        S.SWALR(opt, swa_lr=0.01, anneal_epochs=-1)
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
        S.SWALR(opt, swa_lr=0.01, anneal_epochs=2.5)


def test_averaged_model_rules():
    model = Net()
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        S.AveragedModel(model, avg_fn=S.get_swa_avg_fn(), multi_avg_fn=S.get_swa_multi_avg_fn())
    with pytest.raises(ValueError, match=r"Invalid decay value 1.5"):
        S.get_ema_multi_avg_fn(1.5)
    with pytest.raises(ValueError, match=r"Invalid decay value -0.1"):
        S.get_ema_avg_fn(-0.1)
    avg = S.AveragedModel(model)
    assert avg.module is not model and avg.module.fc.weight is not model.fc.weight  # a deep copy
    x = np.ones((4, 3), dtype=np.float32)
    np.testing.assert_array_equal(avg(x).data, model(x).data)  # forward is the copy's
    assert [name for name, _ in avg.named_buffers()] == ["n_averaged", "module.running"]
    assert "n_averaged" in avg.state_dict()


def test_averaged_weights_sit_nearer_the_minimum_than_the_iterates():
    """What SWA is for: SGD with noisy grads on a quadratic bounces around the minimum;
    the average of its late iterates is far nearer to it than any of them (notebook 02's noise ball)."""
    rng = np.random.default_rng(0)
    model = nn.Linear(4, 1, bias=False).to("float64")
    opt = SGD(model.parameters(), lr=0.1)
    avg = S.AveragedModel(model)
    dists, n = [], 0
    for t in range(1200):
        w = model.weight.data
        model.weight.grad = w + rng.standard_normal(w.shape)  # grad of |w|^2/2 plus noise; minimum at 0
        opt.step()
        if t >= 200:
            avg.update_parameters(model)
            dists.append(float(np.linalg.norm(model.weight.data)))
    assert float(np.linalg.norm(avg.module.weight.data)) < 0.3 * np.median(dists)


class CountingNorm(nn.Module):
    """A stand-in for a batch-norm layer: running mean of its inputs, with torch's momentum rule."""

    def __init__(self):
        super().__init__()
        self.momentum = 0.1
        self.register_buffer("running_mean", course.Tensor(np.zeros(2)))
        self.register_buffer("num_batches_tracked", course.Tensor(np.asarray(0, dtype=np.int64)))

    def reset_running_stats(self):
        self.running_mean.data[...] = 0
        self.num_batches_tracked.data[...] = 0

    def forward(self, x):
        if self.training:
            self.num_batches_tracked.data[...] += 1
            m = self.momentum if self.momentum is not None else 1 / int(self.num_batches_tracked.item())
            self.running_mean.data[...] = (1 - m) * self.running_mean.data + m * x.data.mean(axis=0)
        return x


def test_update_bn_recomputes_the_running_statistics_as_a_plain_mean():
    model = nn.Sequential(CountingNorm())
    model.eval()
    batches = [(np.full((3, 2), float(v)), None) for v in (1.0, 2.0, 6.0)]
    S.update_bn(batches, model)
    norm = model[0]
    np.testing.assert_allclose(norm.running_mean.data, [3.0, 3.0])  # cumulative: (1 + 2 + 6) / 3
    assert norm.momentum == 0.1 and not model.training  # both put back
    S.update_bn(batches, nn.Sequential(nn.Linear(2, 2)))  # nothing to update: no error


def test_against_torch_live():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    tmodel = torch.nn.Linear(5, 3).double()
    model = nn.Linear(5, 3).to("float64")
    for decay in (0.5, 0.99):
        tavg = torch.optim.swa_utils.AveragedModel(tmodel, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(decay))
        avg = S.AveragedModel(model, multi_avg_fn=S.get_ema_multi_avg_fn(decay))
        for _ in range(20):
            w, b = rng.standard_normal((3, 5)), rng.standard_normal(3)
            with torch.no_grad():
                tmodel.weight.copy_(torch.from_numpy(w)); tmodel.bias.copy_(torch.from_numpy(b))
            model.weight.data[...] = w; model.bias.data[...] = b
            tavg.update_parameters(tmodel); avg.update_parameters(model)
        np.testing.assert_allclose(avg.module.weight.data, tavg.module.weight.detach().numpy(), rtol=1e-12)
    assert math.isclose(float(avg.n_averaged.item()), float(tavg.n_averaged))
