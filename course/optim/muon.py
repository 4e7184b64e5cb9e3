"""Muon: momentum, orthogonalized by a Newton-Schulz iteration in bfloat16 (``torch.optim.Muon``)."""
from __future__ import annotations

import math
import numbers

from ._lerp import lerp_
from .optimizer import Optimizer, _f32, _kind, _where, flag, hyperparameter, is_complex, namespace

__all__ = ["Muon"]

# torch's defaults: the quintic's coefficients, its steps and the floor of the norm
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)
NS_STEPS = 5
EPS = 1e-7

# ---------------------------------------------------------------- bfloat16, emulated
# torch runs the iteration in bfloat16 (8 significant bits, float32's exponent range).  The
# array API has no bfloat16, so course keeps bfloat16 values in float64 arrays and rounds after
# every operation torch rounds.  Products of bfloat16 numbers are exact in float64 and their
# sums nearly so; torch accumulates them in float32 and rounds the result to bfloat16.
_SPLIT = 2.0**45 + 1  # Veltkamp's splitting constant: 53 - 45 = 8 bits are kept
_TINY = 2.0**-126     # below it bfloat16 is subnormal: a fixed grid of 2**-133


def to_bfloat16(x):
    """``x`` (a float64 array) rounded as torch rounds to bfloat16, still float64.

    As torch: first to float32 (torch converts a double to float first), then to nearest with
    8 significant bits, ties to even.  The rounding is Veltkamp's splitting, ``g - (g - x)``
    with ``g = (2**45 + 1) x``, plain arithmetic that every array library has (no bit views).
    """
    xp = namespace(x)
    x = xp.astype(xp.astype(x, xp.float32), xp.float64)
    big = x * _SPLIT
    r = big - (big - x)
    r = xp.where(xp.abs(x) < _TINY, xp.round(x * 2.0**133) * 2.0**-133, r)  # round: ties to even
    return xp.where(xp.isfinite(x), r, x)  # inf - inf would be NaN


def _bfloat16_scalar(v: float) -> float:
    """A Python number rounded to bfloat16, as :func:`to_bfloat16`."""
    x = _f32(float(v))
    if not math.isfinite(x):
        return x
    if abs(x) < _TINY:
        return round(x * 2.0**133) * 2.0**-133
    big = x * _SPLIT
    return big - (big - x)


def newton_schulz(update, coefficients=NS_COEFFICIENTS, steps: int = NS_STEPS, eps: float = EPS):
    r"""The orthogonalization of a matrix :math:`G` by ``steps`` quintic Newton-Schulz steps,
    computed as torch computes it, in bfloat16.

    .. math::
        X_0 = G / \max(\lVert G \rVert_F, \varepsilon), \qquad
        A_k = X_k X_k^\top, \qquad X_{k+1} = a X_k + (b A_k + c A_k^2) X_k

    on :math:`G^\top` when :math:`G` has more rows than columns (so :math:`A` is the smaller
    Gram matrix).  The coefficients make the map steep at 0: the singular values of the
    result end near 1 (in about 0.7 to 1.2), not exactly at 1.  Returns a float64 array of
    bfloat16 values, shaped like ``update``.

    Each product, and the norm, is rounded as torch rounds it (float32, then bfloat16).  torch
    sums the products in float32, in its own order, course in float64: where the float32 sums
    are exact (small matrices) the result is torch's bit for bit; on larger ones a few float32
    sums round to the other bfloat16 neighbour, and the iteration spreads such one-ulp
    differences (2**-8, relative) over the result (``tests/test_muon_adafactor.py`` measures it).
    """
    xp = namespace(update)
    a, b, c = coefficients
    x = to_bfloat16(xp.astype(update, xp.float64))
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = x.T
    norm = to_bfloat16(xp.sqrt(xp.sum(x * x)))
    floor = _bfloat16_scalar(eps)  # torch's clamp converts its bound to bfloat16
    norm = xp.where(norm < floor, floor, norm)  # a NaN norm stays NaN
    x = to_bfloat16(xp.astype(xp.astype(x, xp.float32) / xp.astype(norm, xp.float32), xp.float64))
    # torch's addmm(C, A, B, beta, alpha) for bfloat16 on the CPU: float32 coefficients, the
    # float32 dot rounded, then one multiply-add rounded once: fma(beta, C, alpha * dot)
    a, b, c = _f32(a), _f32(b), _f32(c)
    for _ in range(steps):
        gram = to_bfloat16(x @ x.T)
        gram_update = to_bfloat16(b * gram + _float32(c * _float32(gram @ gram)))
        x = to_bfloat16(a * x + _float32(gram_update @ x))
    return x.T if tall else x


def _float32(x):
    """A float64 array rounded to float32, kept float64."""
    xp = namespace(x)
    return xp.astype(xp.astype(x, xp.float32), xp.float64)


def adjusted_lr(lr: float, adjust_lr_fn, shape) -> float:
    r"""The lr scaled for an :math:`A \times B` matrix: ``None``/``"original"`` (Jordan's):
    :math:`\sqrt{\max(1, A/B)}`; ``"match_rms_adamw"`` (Moonshot's, Liu et al. 2025):
    :math:`0.2\sqrt{\max(A, B)}`, which gives the update AdamW's RMS; any other value: 1, as torch."""
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return lr * math.sqrt(max(1, rows / cols))
    if adjust_lr_fn == "match_rms_adamw":
        return lr * (0.2 * math.sqrt(max(rows, cols)))
    return lr * 1.0


# ------------------------------------------------------- float32: rounded once, as torch
def _fused(start, other, weight):
    """``start + weight * other`` into ``start``, rounded once when ``start`` is float32: torch's
    vectorized CPU kernels (AVX2, AVX-512, NEON) fuse that multiply-add (an FMA), and in Muon a
    last bit decides a bfloat16 rounding.  In float64 the product of two float32 numbers is
    exact and the sum, at these sizes, too: one rounding back to float32 is the FMA's."""
    xp = namespace(start)
    if start.dtype == xp.float32:
        w = _f32(weight)  # torch converts the scalar to the tensor's dtype
        start[...] = xp.astype(xp.astype(start, xp.float64) + w * xp.astype(other, xp.float64), xp.float32)
    else:
        start += weight * other
    return start


def _lerp(start, end, weight):
    """torch's ``lerp_`` (see ``_lerp.py``), its multiply-add rounded once in float32 (see ``_fused``)."""
    xp = namespace(start)
    if start.dtype != xp.float32:
        return lerp_(start, end, weight)
    w = _f32(weight)
    if abs(w) < 0.5:
        return _fused(start, end - start, w)  # a + w (b - a)
    diff = end - start
    start[...] = end
    return _fused(start, diff, -_f32(1 - w))  # b - (b - a)(1 - w)


# ----------------------------------------------------------------------- checks
def _lr_ok(v):
    return 0.0 <= v


def _adjust_lr_fn_ok(h, where):
    """torch checks it at construction only; at a step an unknown name scales by 1, as torch's."""
    if where is None:
        fn = h["adjust_lr_fn"]
        if fn is not None and fn not in ["original", "match_rms_adamw"]:
            raise ValueError(f"Adjust learning rate function {fn} is not supported")


_adjust_lr_fn_ok.names = ("adjust_lr_fn",)


def _iteration_ok(h, where):
    """What the iteration reads, checked before anything moves (torch raises midway)."""
    if where is None:
        return  # torch checks none of it at construction
    at = f" (in param group {where})" if type(where) is int else f" (in {where})"
    steps, coefficients, eps = h["ns_steps"], h["ns_coefficients"], h["eps"]
    if not isinstance(steps, numbers.Integral):
        raise TypeError(f"Invalid ns_steps value: {steps!r}: ns_steps must be an integer, not {_kind(steps)}{at}")
    if steps >= 100:
        raise ValueError(f"Number of steps must be less than 100 for computational efficiency, not ns_steps={steps}{at}")
    try:
        n = len(coefficients)
    except TypeError:
        raise TypeError(f"Invalid ns_coefficients: {coefficients!r}: it must be a tuple of 3 real numbers{at}") from None
    if n != 3:
        raise ValueError(f"Coefficients must be a tuple of exactly 3 values, not ns_coefficients={coefficients!r}{at}")
    if not all(isinstance(v, numbers.Real) for v in coefficients):
        raise TypeError(f"Invalid ns_coefficients: {coefficients!r}: it must be a tuple of 3 real numbers{at}")
    if not isinstance(eps, numbers.Real):
        raise TypeError(f"Invalid eps value: {eps!r}: eps must be a real number, not {_kind(eps)}{at}")
    if type(where) is int:  # at a step: the parameters that have a grad
        for i, p in enumerate(h["params"]):
            if p.grad is None:
                continue
            if is_complex(p.data):
                raise RuntimeError(f"Muon does not support complex parameters ({_where(i, where)})")
            if p.data.ndim != 2:
                raise ValueError(f"Param gradient must be a 2D matrix, but the grad of {_where(i, where)} "
                                 f"has shape {tuple(p.data.shape)}")


_iteration_ok.names = ("ns_steps", "ns_coefficients", "eps")


class Muon(Optimizer):
    r"""Muon: SGD momentum whose update, a matrix, is orthogonalized before it is applied.

    .. math::
        \begin{aligned}
        &\textbf{for } t = 1, 2, \dots: \\
        &\quad G_t \leftarrow \nabla_\theta f_t(\theta_{t-1}) \\
        &\quad B_t \leftarrow \mu B_{t-1} + (1 - \mu) G_t \\
        &\quad \tilde B_t \leftarrow \mu B_t + (1 - \mu) G_t \text{ if nesterov else } B_t \\
        &\quad O_t \leftarrow \mathrm{NS}_k^{(a, b, c)}(\tilde B_t; \varepsilon) \\
        &\quad \theta_t \leftarrow \theta_{t-1}(1 - \gamma\lambda)
               - \gamma \,\mathrm{adjust}(A, B)\, O_t
        \end{aligned}

    :math:`\mathrm{NS}` (:func:`newton_schulz`) replaces the singular values of the momentum by
    values near 1: every direction of the update gets the same step, however small its share
    of the gradient.  :math:`\mathrm{adjust}` (:func:`adjusted_lr`) scales the lr by the
    shape :math:`A \times B` of :math:`\theta`.  The moving averages are lerps, as torch's code
    (torch's docs write :math:`B_t = \mu B_{t-1} + G_t`); state: ``momentum_buffer``
    (:math:`B`).  Only 2-D parameters: the weight matrices of hidden layers.  Biases, gains,
    embeddings and the output layer go to another optimizer (AdamW), as below.

    Numbers: torch computes :math:`\mathrm{NS}` in bfloat16, whatever the parameter's dtype;
    course emulates it (see :func:`newton_schulz`), and rounds float32 multiply-adds once, as
    torch's CPU kernels do.  On the test problem (110 steps, matrices up to 4x6) course is
    torch bit for bit in float32 and float64; on larger matrices torch's float32 sums differ
    from course's in a few bfloat16 roundings, and trajectories agree to about 1e-3.

    Jordan et al., "Muon: An optimizer for hidden layers in neural networks" (blog post, 2024),
    kellerjordan.github.io/posts/muon; ``"match_rms_adamw"``: Liu et al., "Muon is Scalable for
    LLM Training" (2025).

    Args:
        params: parameters or parameter groups, every one a matrix (2-D).
        lr (float): learning rate :math:`\gamma` (default: 1e-3).
        weight_decay (float): decoupled weight decay :math:`\lambda` (default: 0.1).
        momentum (float): momentum :math:`\mu` (default: 0.95).
        nesterov (bool): use Nesterov momentum (default: True).
        ns_coefficients (tuple[float, float, float]): :math:`(a, b, c)` (default: (3.4445, -4.7750, 2.0315)).
        eps (float): floor :math:`\varepsilon` of the norm that scales the momentum (default: 1e-7).
        ns_steps (int): Newton-Schulz steps :math:`k`, less than 100 (default: 5).
        adjust_lr_fn (str): None or ``"original"``, or ``"match_rms_adamw"`` (default: None).

    Example: Muon for the hidden matrices, AdamW for the rest.

        >>> import numpy as np, course
        >>> rng = np.random.default_rng(0)
        >>> w1, w2 = course.Parameter(rng.standard_normal((8, 4))), course.Parameter(rng.standard_normal((1, 8)))
        >>> b1 = course.Parameter(np.zeros(8))
        >>> muon = Muon([w1], lr=0.02)
        >>> adamw = course.optim.AdamW([w2, b1], lr=3e-4)
        >>> for p in (w1, w2, b1):
        ...     p.grad = np.ones_like(p.data)
        >>> muon.step(); adamw.step()
        >>> before = w1.data.copy()
        >>> w1.grad = rng.standard_normal((8, 4))
        >>> muon.step()
        >>> s = np.linalg.svd(w1.data - before * (1 - 0.02 * 0.1), compute_uv=False)
        >>> bool(np.all((s > 0.02 * 1.4 * 0.6) & (s < 0.02 * 1.4 * 1.3)))   # all alike: lr sqrt(8/4) x ~1
        True
    """

    def __init__(self, params, lr: float = 1e-3, weight_decay: float = 0.1, momentum: float = 0.95,
                 nesterov: bool = True, ns_coefficients=NS_COEFFICIENTS, eps: float = EPS,
                 ns_steps: int = NS_STEPS, adjust_lr_fn=None):
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn)
        self._check_arguments(defaults)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.data.ndim != 2:  # torch checks here, after the groups (not in add_param_group)
                    raise ValueError("Muon only supports 2D parameters whereas we found a parameter with size: "
                                     f"{tuple(p.data.shape)}")

    # torch's checks in torch's order, then what the step reads
    _hyperparameters = (
        hyperparameter("lr", _lr_ok, "Learning rate should be >= 0 but is: {}", range_at_step=False),
        hyperparameter("momentum", _lr_ok, "momentum should be >= 0 but is: {}"),
        hyperparameter("weight_decay", _lr_ok, "weight decay should be >= 0 but is: {}"),
        _adjust_lr_fn_ok,
        flag("nesterov"),
        _iteration_ok,
    )

    def _state_spec(self, group):
        return {"momentum_buffer": "array"}

    def _init_state(self, param, group):
        return {"momentum_buffer": namespace(param).zeros_like(param)}

    def _flat_ready(self, state, group):
        return False  # not elementwise: the iteration needs each whole matrix

    def _update(self, param, grad, state, group, s):
        xp = namespace(param)
        lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
        scaled_lr = adjusted_lr(lr, group["adjust_lr_fn"], param.shape)  # Python numbers first
        decay = 1 - lr * weight_decay
        buf = state["momentum_buffer"]
        _lerp(buf, grad, 1 - momentum)
        update = _lerp(xp.asarray(grad, copy=True), buf, momentum) if group["nesterov"] else buf
        orthogonal = newton_schulz(update, group["ns_coefficients"], group["ns_steps"], group["eps"])
        param *= decay
        _fused(param, xp.astype(orthogonal, param.dtype), -scaled_lr)
