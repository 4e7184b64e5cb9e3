r"""The gradient-noise scale: how large a batch is worth it (notebook 13).

With per-sample gradients :math:`g_i` of a loss :math:`L = \frac1N\sum_i \ell_i`, the full
gradient is :math:`G = \frac1N\sum_i g_i` and their covariance is
:math:`\Sigma = \frac1N\sum_i (g_i - G)(g_i - G)^T`.  A batch of :math:`B` samples drawn with
replacement gives :math:`G_B` with :math:`\mathbb E\,|G_B|^2 = |G|^2 + \operatorname{tr}\Sigma / B`.
The **simple noise scale**

.. math::
    B_\text{simple} = \frac{\operatorname{tr}\Sigma}{|G|^2}

is the batch size at which the noise in :math:`G_B` is as large as the signal: well below it a
bigger batch buys an almost proportionally bigger step (linear scaling works), well above it
the extra samples are wasted.  Two batch sizes, no per-sample gradients, suffice to estimate
it: solve the expectation above for :math:`|G|^2` and :math:`\operatorname{tr}\Sigma`.
McCandlish, Kaplan, Amodei and the OpenAI Dota Team, "An Empirical Model of Large-Batch
Training" (2018).

>>> import numpy as np
>>> g = np.array([[1.0, 0.0], [3.0, 0.0]])        # G = (2, 0), tr(Sigma) = 1
>>> b_simple(g)
0.25
"""
from __future__ import annotations

import numpy as np

__all__ = ["per_sample_gradients", "b_simple", "batch_gradient_norms", "two_batch_estimate", "noise_ball",
           "sgd_ball_variance"]


def per_sample_gradients(model, loss_fn, X, Y) -> np.ndarray:
    """One row per sample: the gradient of ``loss_fn`` on that sample alone, by autograd."""
    rows = []
    for i in range(len(X)):
        model.zero_grad()
        loss_fn(model(X[i:i + 1]), Y[i:i + 1]).backward()
        rows.append(np.concatenate([np.asarray(p.grad, dtype=np.float64).ravel() for p in model.parameters()]))
    return np.stack(rows)


def b_simple(per_sample) -> float:
    """:math:`\\operatorname{tr}\\Sigma / |G|^2` from per-sample gradients (rows)."""
    g = np.asarray(per_sample, dtype=np.float64)
    mean = g.mean(axis=0)
    return float(((g - mean) ** 2).sum(axis=1).mean() / (mean @ mean))


def batch_gradient_norms(per_sample, batch_size: int, draws: int, seed: int = 0) -> np.ndarray:
    """``|G_B|^2`` of ``draws`` batches of ``batch_size`` rows drawn with replacement."""
    g = np.asarray(per_sample, dtype=np.float64)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(g), size=(draws, batch_size))
    means = g[idx].mean(axis=1)
    return (means ** 2).sum(axis=1)


def two_batch_estimate(norm2_small: float, b_small: int, norm2_big: float, b_big: int) -> float:
    """:math:`B_\\text{simple}` from the mean ``|G_B|^2`` at two batch sizes (McCandlish et al.'s
    unbiased pair): :math:`|G|^2 = (B_b S_b - B_s S_s)/(B_b - B_s)`,
    :math:`\\operatorname{tr}\\Sigma = (S_s - S_b)/(1/B_s - 1/B_b)`."""
    g2 = (b_big * norm2_big - b_small * norm2_small) / (b_big - b_small)
    trace = (norm2_small - norm2_big) / (1 / b_small - 1 / b_big)
    return float(trace / g2)


# ------------------------------------------------------------------ the noise ball of notebook 02, at scale
def noise_ball(optimizer: str, lr: float, batch: int, steps: int = 2000, seeds: int = 1, *,
               curvatures=(1.0, 0.25), sigma: float = 1.0, seed: int = 0,
               betas=(0.9, 0.999), eps: float = 1e-8) -> np.ndarray:
    r"""Iterates of ``"SGD"`` (no momentum) or ``"Adam"`` on :math:`\frac12\sum_k h_k x_k^2` with the
    gradient of a batch of ``batch`` samples: :math:`h \odot x + \sigma\,\xi / \sqrt{B}`,
    :math:`\xi \sim N(0, I)`, from :math:`x = 0`.  ``seeds`` independent runs are done at once.
    The steps are torch's SGD and Adam rules, written on arrays of shape ``(seeds, dims)`` so
    that a slider can rerun them (``tests/test_noise_scale.py`` checks them against
    ``course.optim``).  Returns an array ``(steps, seeds, dims)``, the iterate after each step.
    """
    if optimizer not in ("SGD", "Adam"):
        raise ValueError(f"Invalid optimizer: {optimizer!r} (expected 'SGD' or 'Adam')")
    h = np.asarray(curvatures, dtype=np.float64)
    noise = np.random.default_rng(seed).normal(size=(steps, seeds, h.size)) * (sigma / np.sqrt(batch))
    x, m, v = np.zeros((seeds, h.size)), np.zeros((seeds, h.size)), np.zeros((seeds, h.size))
    b1, b2 = betas
    out = np.empty((steps, seeds, h.size))
    with np.errstate(all="ignore"):  # a diverging run overflows: its inf is the result
        for t in range(steps):
            g = h * x + noise[t]
            if optimizer == "SGD":
                x = x - lr * g
            else:
                m = b1 * m + (1 - b1) * g
                v = b2 * v + (1 - b2) * g * g
                x = x - (lr / (1 - b1 ** (t + 1))) * m / (np.sqrt(v) / np.sqrt(1 - b2 ** (t + 1)) + eps)
            out[t] = x
    return out


def sgd_ball_variance(lr: float, batch: int, curvatures=(1.0, 0.25), sigma: float = 1.0) -> np.ndarray:
    r"""The stationary variance of each coordinate of :func:`noise_ball`'s SGD: from
    :math:`x' = (1 - \eta h)x - \eta\sigma\xi/\sqrt B`,
    :math:`\operatorname{Var} = \frac{\eta\,\sigma^2}{B\,h\,(2 - \eta h)}` (infinite where
    :math:`\eta h \ge 2`); for small :math:`\eta h` it is :math:`\frac{\eta}{B}\frac{\sigma^2}{2h}`:
    the ball depends on the lr and the batch only through ``lr / batch``.

    >>> sgd_ball_variance(0.1, 10, curvatures=(1.0,)).round(6).tolist()
    [0.005263]
    """
    h = np.asarray(curvatures, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(lr * h < 2, lr * sigma ** 2 / (batch * h * np.maximum(2 - lr * h, 0)), np.inf)
