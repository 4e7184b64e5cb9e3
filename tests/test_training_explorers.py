"""The practice widgets (09-11), driven headless: a control change reruns, moves artists, renders."""
import math
import threading
import time

import numpy as np
import pytest

from course import lr_finder, nn, optim
from course.classroom import digits_runs, widgets
from course.training import History, fit


@pytest.fixture(autouse=True)
def no_background_training_left():
    """A picker trains in a background thread; let it finish before the next test patches things."""
    yield
    for thread in threading.enumerate():
        if thread.name == "course-prefetch":
            thread.join()


def test_digits_run_is_fit_on_the_same_setup():
    h = digits_runs.digits_run("SGD", 0.05, "none", epochs=2, seed=1)
    (_, _), val = digits_runs.digits_data(1)
    model = digits_runs.digits_mlp(32, 1)
    ref = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.05, momentum=0.9),
              digits_runs.digits_loader(64, 1), 2, val=val, classification=True)
    assert h.as_dict() == ref.as_dict()


@pytest.mark.parametrize("name, interval, expected", [
    ("none", "epoch", [0.1] * 4),
    ("StepLR", "epoch", [0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1]),
    ("cosine", "epoch", [0.1 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)]),
])
def test_scheduler_lrs_are_the_real_schedulers(name, interval, expected):
    h = digits_runs.digits_run("Adam", 0.1, name, epochs=4)
    np.testing.assert_allclose(h.lr, expected, rtol=1e-12)


def test_onecycle_is_stepped_per_batch():
    h = digits_runs.digits_run("Adam", 0.1, "OneCycleLR", epochs=3)
    steps = len(digits_runs.digits_loader())
    model = digits_runs.digits_mlp()
    opt = optim.Adam(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, epochs=3, steps_per_epoch=steps, cycle_momentum=False)
    lrs = []
    for _ in range(3 * steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert h.lr == [lrs[0], lrs[steps], lrs[2 * steps]]


@pytest.mark.parametrize("call, match", [
    (lambda: digits_runs.make_optimizer("Adagrad", [], 0.1), "Adagrad"),
    (lambda: digits_runs.make_scheduler("linear", None, 3, 3), "linear"),
])
def test_bad_names(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_cache_rounds_the_lr_and_reuses_runs():
    cache = digits_runs.RunCache(epochs=1)
    a = cache.get("Adam", 0.001 * (1 + 1e-9), "none")
    assert cache.get("Adam", 0.001, "none") is a
    cache.precompute(optimizers=("SGD",), lrs=(0.01, 0.1), schedulers=("none",))
    assert set(cache.runs) == {("Adam", 0.001, "none"), ("SGD", 0.01, "none"), ("SGD", 0.1, "none")}


def test_picker_moves_its_lines_to_the_chosen_run():
    p = widgets.training_picker(epochs=3)
    before = p.lines["acc"].get_ydata().copy(), p.png
    assert p.png[:8] == b"\x89PNG\r\n\x1a\n"
    p.controls["lr"].value = 0.01
    h = p.cache.get("Adam", 0.01, "none")
    np.testing.assert_array_equal(p.lines["acc"].get_ydata(), h.val_accuracy)
    np.testing.assert_array_equal(p.lines["train"].get_ydata(), h.train_loss)
    assert not np.array_equal(before[0], h.val_accuracy) and p.png != before[1]
    assert "lr=0.01" in p.text
    p.controls["scheduler"].value = "StepLR"
    np.testing.assert_array_equal(p.lines["lr"].get_ydata(), p.cache.get("Adam", 0.01, "StepLR").lr)
    p.controls["optimizer"].value = "SGD"
    assert p.text.startswith("SGD")
    # the gray reference keeps the first view
    np.testing.assert_array_equal(p.lines["ref_acc"].get_ydata(), p.cache.get("Adam", 0.001, "none").val_accuracy)


class _FakeCache:
    epochs = 3

    def get(self, optimizer, lr, scheduler):
        bad = lr > 0.5
        return History(train_loss=[1.0, math.inf if bad else 0.5, math.nan if bad else 0.2],
                       val_loss=[1.0, 0.9, 0.8], val_accuracy=[0.5, 0.6, 0.7], lr=[lr] * 3)


def test_picker_reports_divergence():
    p = widgets.training_picker(epochs=3, cache=_FakeCache(), prefetch=False)
    p.controls["lr"].value = 1.0
    assert "diverged in epoch 2" in p.text
    y = p.lines["train"].get_ydata()
    assert y[0] == 1.0 and np.isnan(y[1:]).all()


@pytest.mark.parametrize("beta, factor", [(0.98, 4.0), (0.9, 4.0), (0.0, 2.0), (0.5, 1.5)])
def test_finder_result_equals_lr_find(beta, factor):
    sweep = widgets.finder_sweep(1e-4, 10.0, 60)
    model = digits_runs.digits_mlp()
    with np.errstate(all="ignore"):
        direct = lr_finder.lr_find(model, nn.CrossEntropyLoss(), digits_runs.make_optimizer("Adam", model.parameters(), 1e-3),
                                   digits_runs.digits_loader(), start_lr=1e-4, end_lr=10.0, num_iter=60, beta=beta,
                                   diverge_factor=factor)
    derived = widgets.finder_result(sweep, beta, factor)
    assert derived == direct


def test_finder_explorer_beta_resmooths_and_range_resweeps():
    p = widgets.finder_explorer(num_iter=40, start_lr=1e-4)
    background = p._background
    smoothed = p.lines["smoothed"].get_ydata().copy()
    p.controls["beta"].value = 0.5
    assert not np.array_equal(p.lines["smoothed"].get_ydata()[: len(smoothed)], smoothed[: len(p.result.lrs)]) \
        or len(p.result.lrs) != len(smoothed)
    assert p._background is background  # a beta change keeps the saved background
    for name in ("valley", "steepest", "minimum/10"):
        assert p.lines[name].get_xdata()[0] == p.result.suggestion(name)
    assert len(p.sweeps) == 1
    p.controls["start_lr"].value = 1e-6
    assert len(p.sweeps) == 2 and p._background is background  # fixed axes: only lines move
    assert p.result.lrs[0] == pytest.approx(1e-6)
    lo, hi = p.axes["loss"].get_xlim()
    assert lo <= 1e-7 and hi >= 100  # the axes cover every range the sliders allow
    np.testing.assert_array_equal(p.lines["raw"].get_xdata(), p.result.lrs)


def test_traffic_explorer_marker_follows_the_slider():
    p = widgets.traffic_explorer(log10_n=6)
    p.controls["log10_n"].value = 8
    xs, ys = p.lines["marker"].get_data()
    assert np.all(np.asarray(xs) == pytest.approx(1e8))
    assert min(ys) > 0 and "n = 1e+08" in p.text
    from io import BytesIO

    from PIL import Image
    stored, live = (np.asarray(Image.open(BytesIO(b))) for b in (p.static().data, p.png))
    assert np.array_equal(stored, live)  # the static picture shows exactly the live view


class _SlowRuns:
    """Stands in for digits_run: counts the runs, and each takes a while."""

    def __init__(self, seconds=0.05, fail=()):
        self.calls, self.seconds, self.fail = [], seconds, fail

    def __call__(self, optimizer, lr, scheduler, **kwargs):
        self.calls.append((optimizer, lr, scheduler))
        time.sleep(self.seconds)
        if lr in self.fail:
            raise ValueError(f"bad lr {lr}")
        return History(train_loss=[lr], val_loss=[lr], val_accuracy=[0.5], lr=[lr])


def test_prefetch_trains_in_the_background_and_each_run_once(monkeypatch):
    runs = _SlowRuns()
    monkeypatch.setattr(digits_runs, "digits_run", runs)
    cache = digits_runs.RunCache(epochs=1)
    cache.prefetch([("Adam", 0.1, "none"), ("Adam", 0.2, "none")])
    time.sleep(0.01)  # the thread is inside the first run ...
    first = cache.get("Adam", 0.1, "none")  # ... which the foreground waits for, not trains again
    cache.prefetcher.join()
    assert runs.calls == [("Adam", 0.1, "none"), ("Adam", 0.2, "none")]
    assert cache.get("Adam", 0.1, "none") is first and ("Adam", 0.2, "none") in cache.runs


def test_a_new_prefetch_list_stops_the_old_one(monkeypatch):
    runs = _SlowRuns()
    monkeypatch.setattr(digits_runs, "digits_run", runs)
    cache = digits_runs.RunCache(epochs=1)
    old = cache.prefetch([("SGD", lr, "none") for lr in (0.1, 0.2, 0.3, 0.4, 0.5)])
    time.sleep(0.01)
    cache.prefetch([("Adam", 0.01, "none")]).join()
    old.join()
    assert ("Adam", 0.01, "none") in cache.runs
    assert len([c for c in runs.calls if c[0] == "SGD"]) <= 2  # the one under way, perhaps one more


def test_a_run_that_fails_in_the_background_raises_in_the_foreground(monkeypatch):
    runs = _SlowRuns(fail=(0.3,))
    monkeypatch.setattr(digits_runs, "digits_run", runs)
    cache = digits_runs.RunCache(epochs=1)
    cache.prefetch([("Adam", 0.3, "none"), ("Adam", 0.4, "none")])
    time.sleep(0.01)
    with pytest.raises(ValueError, match="bad lr 0.3"):
        cache.get("Adam", 0.3, "none")
    cache.prefetcher.join()
    assert ("Adam", 0.4, "none") not in cache.runs  # the background stopped at the failure
    assert not cache._training  # nothing left marked as under way


def test_picker_prefetches_every_lr_notch_nearest_first():
    p = widgets.training_picker(epochs=1, lr=1e-2)
    p.cache.prefetcher.join()
    notches = [float(f"{10 ** e:.4g}") for e in np.arange(-4, 0.01, 0.25)]
    assert {k for k in p.cache.runs if k[0] == "Adam" and k[2] == "none"} == {("Adam", lr, "none") for lr in notches}
    again = digits_runs.digits_run("Adam", notches[3], "none", epochs=1)
    assert p.cache.runs["Adam", notches[3], "none"].as_dict() == again.as_dict()  # seeded: same anywhere


def test_digits_splits_are_disjoint_and_trial_tests_once():
    import numpy as np
    (Xt, _), (Xv, _), (Xs, _) = digits_runs.digits_splits()
    assert (len(Xt), len(Xv), len(Xs)) == (1150, 288, 359)
    assert len(Xt) + len(Xv) + len(Xs) == 1797
    t = digits_runs.digits_trial("Adam", 0.01, "cosine-per-step", epochs=2, seed=1)
    assert len(t.history.lr) == 2 and t.history.lr[1] < 0.01 and 0 <= t.test_accuracy <= 1
    m = digits_runs.digits_mlp(8, 0, batch_norm=True, dropout=0.5)
    assert [type(x).__name__ for x in m] == ["Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear"]


def test_traffic_explorer_launch_slider_moves_the_gpu_lines_and_the_crossovers():
    from course.classroom import memory_traffic
    p = widgets.traffic_explorer(log10_n=4, launch_us=5.0)
    h100, cpu = memory_traffic.MACHINES["h100"], memory_traffic.MACHINES["cpu"]
    fused = memory_traffic.adam_traffic(4)["fused kernel"]
    ns = p.lines["h100:fused kernel"].get_xdata()
    np.testing.assert_allclose(p.lines["h100:fused kernel"].get_ydata(),
                               [(5e-6 + fused * n / h100.bandwidth) * 1e3 for n in ns], rtol=1e-12)
    cpu_before = p.lines["cpu:fused kernel"].get_ydata().copy()
    xs, _ = p.lines["crossover"].get_data()
    assert min(xs) == pytest.approx(5e-6 * h100.bandwidth / fused)  # the fused kernel's crossover
    assert "launches of 5 µs" in p.figure.axes[0].get_title()
    p.controls["launch_us"].value = 10.0
    xs2, _ = p.lines["crossover"].get_data()
    assert min(xs2) == pytest.approx(2 * min(xs))  # twice the launch cost, twice the crossover
    np.testing.assert_array_equal(p.lines["cpu:fused kernel"].get_ydata(), cpu_before)  # the CPU has no launches
    p.controls["launch_us"].value = 0.0
    assert len(p.lines["crossover"].get_data()[0]) == 0 and "no launch cost" in p.figure.axes[0].get_title()
    np.testing.assert_allclose(p.lines["h100:fused kernel"].get_ydata(),
                               [fused * n / h100.bandwidth * 1e3 for n in ns], rtol=1e-12)
    assert cpu.bandwidth < h100.bandwidth
