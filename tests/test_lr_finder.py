"""The LR range test: exponential sweep, smoothing, early stop, restoration, suggestions."""
import math

import numpy as np
import pytest

from course import lr_finder, nn, optim
from course.data import DataLoader, TensorDataset, make_regression


def _setup(seed=0):
    X, y = make_regression(n_samples=128, n_features=10, seed=seed)
    loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True, seed=seed)
    model = nn.SimpleNN(seed=seed)
    return model, nn.MSELoss(), loader


def test_sweep_is_exponential_and_restores_everything():
    model, loss_fn, loader = _setup()
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    before = {k: np.array(v, copy=True) for k, v in model.state_dict().items()}
    model.eval()
    result = lr_finder.lr_find(model, loss_fn, optimizer, loader, start_lr=1e-5, end_lr=1.0, num_iter=30)
    ratios = np.diff(np.log(result.lrs))
    np.testing.assert_allclose(ratios, math.log(1e5) / 29, rtol=1e-12)
    assert result.lrs[0] == pytest.approx(1e-5)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(np.asarray(v), before[k])
    assert optimizer.param_groups[0]["lr"] == 0.05
    assert optimizer.state_dict()["state"] == {}
    assert all(p.grad is None for p in model.parameters())
    assert model.training is False  # the mode it was in


def test_smoothing_is_a_debiased_ewma():
    model, loss_fn, loader = _setup()
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    r = lr_finder.lr_find(model, loss_fn, optimizer, loader, start_lr=1e-6, end_lr=1e-3, num_iter=10, beta=0.9)
    avg = 0.0
    for i, loss in enumerate(r.losses):
        avg = 0.9 * avg + 0.1 * loss
        assert r.smoothed[i] == pytest.approx(avg / (1 - 0.9 ** (i + 1)), rel=1e-12)
    assert r.smoothed[0] == pytest.approx(r.losses[0])


def test_stops_when_the_loss_explodes():
    model, loss_fn, loader = _setup()
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    r = lr_finder.lr_find(model, loss_fn, optimizer, loader, start_lr=1e-4, end_lr=1e3, num_iter=200)
    assert r.stopped_early and len(r.lrs) < 200
    assert r.smoothed[-1] > 4 * min(r.smoothed) or not math.isfinite(r.smoothed[-1])


def test_suggestions_on_a_known_curve():
    lrs = [10 ** (k / 10 - 5) for k in range(51)]
    # falls linearly in log lr until k=30, then rises
    curve = [3.0 - 0.1 * k if k <= 30 else 0.0 + 0.5 * (k - 30) for k in range(51)]
    assert lr_finder.suggest(lrs, curve, "minimum/10") == pytest.approx(lrs[30] / 10)
    steep = lr_finder.suggest(lrs, curve, "steepest")
    assert lrs[1] <= steep <= lrs[29]
    for method in ("valley", "longest-descent"):
        assert lrs[10] <= lr_finder.suggest(lrs, curve, method) <= lrs[25]  # well inside the falling stretch


# a hand-made curve: 30 points; the first 3 and the last 5 are what fastai's valley does not read
#   0-2: 10 (flat start)    3-12: 9, 8, 8.5, 7, 6, 5, 4, 3, 2, 1 (a fall with one bump at 5)
#   13-24: 1.5, 2, ..., 7 (rising)    25-29: 0.5 (past the blow-up, a low value to ignore)
HAND = [10.0] * 3 + [9, 8, 8.5, 7, 6, 5, 4, 3, 2, 1] + [1.5 + 0.5 * k for k in range(12)] + [0.5] * 5
HAND_LRS = [10 ** (k / 10 - 3) for k in range(30)]


def test_fastai_valley_on_a_hand_made_curve():
    # read 3..24. The longest strictly decreasing subsequence, 9, 8, 7, ..., 1 (skipping the bump
    # 8.5; or 9, 8.5, 7, ...), has 9 points and first ends at index 12 (13's 1.5 also ends one of
    # 9: 9, ..., 2, 1.5). Taken to start at 12 - 9 = 3; third = 9 / 3 = 3: pick 3 + 3 + 1 = 7.
    assert len(HAND) == 30
    assert lr_finder.valley(HAND_LRS, HAND) == HAND_LRS[7]
    assert lr_finder.suggest(HAND_LRS, HAND, "valley") == HAND_LRS[7]


def test_fastai_valley_trims_by_the_requested_num_iter():
    # a sweep asked for 60 steps that stopped after 30: skip 60 // 10 = 6 points. Read 6..24: 7, 6, ..., 1
    # ends at 12 with 7 points; start 12 - 7 = 5, third = 7 / 3: pick 5 + 2 + 1 = 8.
    assert lr_finder.valley(HAND_LRS, HAND, num_iter=60) == HAND_LRS[8]


def test_longest_descent_reads_the_whole_curve_from_the_true_start():
    # untrimmed, the longest decreasing subsequence is 10, 9, 8, 7, ..., 1, 0.5: from 0 to 25 (11 points).
    # third = 25 / 3: pick 0 + 8 + 4 = 12.
    assert lr_finder.suggest(HAND_LRS, HAND, "longest-descent") == HAND_LRS[12]


def test_fastai_valley_edge_cases():
    lrs = [10 ** (k / 10 - 3) for k in range(30)]
    rising = [1.0 + k for k in range(30)]
    # nothing falls: every length is 1, the descent "starts" at -1, the pick is clamped to the first point read
    assert lr_finder.valley(lrs, rising) == lrs[3]
    # a NaN ends the curve that is read: 3..9 here, a fall 7, 6, ..., 1 with one point at 9 rising
    with_nan = [8.0, 8.0, 8.0, 7, 6, 5, 4, 3, 2, 4] + [math.nan] * 20
    # lds: 1..6 at 3..8 (the fall 7..2), end = 8 - 3 = 5 in the read part, start -1, third 2: pick -1 + 2 + 1 = 2 -> 5
    assert lr_finder.valley(lrs, with_nan) == lrs[5]
    # too short to trim (5 points): the whole curve, 5, 4, 3, 2, 1: end 4, start -1, third 5/3: pick -1 + 1 + 0 = 0
    assert lr_finder.valley(lrs[:5], [5.0, 4, 3, 2, 1]) == lrs[0]
    with pytest.raises(ValueError, match="3 points"):
        lr_finder.valley([1e-3, 1e-2], [1.0, 0.5])
    with pytest.raises(ValueError, match="equal length"):
        lr_finder.valley(lrs, rising[:-1])


def test_suggestions_lists_every_rule():
    r = lr_finder.LRFinderResult(HAND_LRS, HAND, HAND, False)
    assert list(r.suggestions) == list(lr_finder.SUGGESTIONS) == ["valley", "longest-descent", "steepest", "minimum/10"]
    assert r.suggestions["valley"] == HAND_LRS[7] and r.suggestions["longest-descent"] == HAND_LRS[12]
    assert r.suggestions["minimum/10"] == HAND_LRS[25] / 10


@pytest.mark.parametrize("kwargs, match", [
    ({"start_lr": 0.0}, "start_lr"),
    ({"start_lr": 1.0, "end_lr": 0.1}, "end_lr"),
    ({"num_iter": 2}, "num_iter"),
    ({"beta": 1.0}, "beta"),
    ({"diverge_factor": 1.0}, "diverge_factor"),
])
def test_bad_arguments(kwargs, match):
    model, loss_fn, loader = _setup()
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    with pytest.raises(ValueError, match=match):
        lr_finder.lr_find(model, loss_fn, optimizer, loader, **kwargs)


def test_unknown_suggestion_method():
    with pytest.raises(ValueError, match="'best'"):
        lr_finder.suggest([1, 2, 3], [3, 2, 1], "best")
