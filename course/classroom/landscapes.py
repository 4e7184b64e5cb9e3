r"""Two-dimensional test functions: the landscapes the optimizers race on.

A :class:`Landscape` is a function :math:`f(x, y)` with its analytic gradient, its known
minima, a plotting window and a default start point.  The same formula runs on Python
numbers, on arrays of any backend (NumPy, CuPy, array-API), and on :class:`course.Tensor`,
so ``loss = landscape(p); loss.backward()`` gives the gradient by autograd.

==============  =============================================  ========================
name            :math:`f(x, y)`                                minima (value 0 unless
                                                               noted)
==============  =============================================  ========================
quadratic       :math:`\tfrac12 [x\ y] A [x\ y]^T`,             (0, 0)
                eigenvalues :math:`\mu \le L` of :math:`A`
rosenbrock      :math:`(a - x)^2 + b (y - x^2)^2`               (a, a^2)
beale           :math:`\sum_i (c_i - x + x y^i)^2`,             (3, 0.5)
                :math:`c = (1.5, 2.25, 2.625)`
himmelblau      :math:`(x^2 + y - 11)^2 + (x + y^2 - 7)^2`      four, e.g. (3, 2)
saddle          :math:`x^2 - y^2`                              none (unbounded below)
rastrigin       :math:`2A + \sum (x_i^2 - A\cos 2\pi x_i)`      (0, 0), many local ones
==============  =============================================  ========================

Example:
    >>> import numpy as np, course
    >>> bowl = quadratic(condition_number=10)
    >>> bowl.L, bowl.mu
    (1.0, 0.1)
    >>> p = course.Parameter(np.array([1.0, 1.0]))
    >>> loss = bowl(p)
    >>> loss.backward()
    >>> p.grad, bowl.grad(np.array([1.0, 1.0]))     # autograd == analytic
    (array([0.1, 1. ]), array([0.1, 1. ]))
"""
from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..tensor import Tensor

__all__ = ["Landscape", "quadratic", "rosenbrock", "beale", "himmelblau", "saddle", "rastrigin",
           "LANDSCAPES", "get"]


# Elementwise functions that work on Python numbers, backend arrays and Tensors alike.
def _cos(x):
    if isinstance(x, Tensor):
        return x.cos()
    if isinstance(x, (int, float)):
        return math.cos(x)
    return backend.namespace(x).cos(x)


def _sin(x):
    if isinstance(x, (int, float)):
        return math.sin(x)
    return backend.namespace(x).sin(x)


class Landscape:
    r"""A 2-D test function with its gradient, minima, plotting window and start point.

    Args:
        name (str): short name, e.g. ``"rosenbrock"``.
        f (callable): ``f(x, y)``, built from ``+ - * **`` and :func:`_cos` only, so that it
            runs on numbers, arrays and Tensors.
        grad (callable): ``grad(x, y) -> (df/dx, df/dy)``, the analytic gradient.
        minima (list of (x, y)): the known global minima (empty when there is none).
        window (((xmin, xmax), (ymin, ymax))): where to plot.
        start ((x, y)): a default start point that makes an instructive race.
        f_min (float or None): the value at the minima (None: unbounded below).
        log_levels (bool): whether log-spaced contour levels suit it.
        saddle_points (list of (x, y)): stationary points that are not minima, to mark.
        title (str): a label for plots, e.g. ``"Rosenbrock (a=1, b=100)"``.

    Quadratics also carry ``L`` and ``mu`` (the largest and smallest Hessian eigenvalue),
    ``condition_number`` and ``hessian`` (a 2x2 NumPy array); other landscapes have
    ``L = mu = None``.

    Example:
        >>> r = rosenbrock()
        >>> float(r(np.array([1.0, 1.0]))), r.grad(np.array([1.0, 1.0])) + 0.0
        (0.0, array([0., 0.]))
        >>> r.f(np.array([0.0, -1.0]), np.array([0.0, 0.0]))    # works on grids too
        array([  1., 104.])
    """

    def __init__(self, name, f, grad, minima, window, start, f_min=0.0, log_levels=True,
                 saddle_points=(), title=None):
        self.name = name
        self._f = f
        self._grad = grad
        self.minima = [tuple(float(v) for v in m) for m in minima]
        self.window = tuple(tuple(float(v) for v in w) for w in window)
        self.start = tuple(float(v) for v in start)
        self.f_min = None if f_min is None else float(f_min)
        self.log_levels = bool(log_levels)
        self.saddle_points = [tuple(float(v) for v in s) for s in saddle_points]
        self.title = title or name
        self.L = self.mu = self.condition_number = self.hessian = None

    def __repr__(self):
        return f"<Landscape {self.title}>"

    # ------------------------------------------------------------------ values
    def f(self, x, y):
        """The value at ``(x, y)``: numbers, arrays of one backend (any shape), or Tensors."""
        return self._f(x, y)

    def __call__(self, xy):
        """The value at the point ``xy``: a Tensor, an array of shape ``(..., 2)``, or a pair."""
        x, y = _split(xy)
        return self._f(x, y)

    def grad(self, xy):
        """The analytic gradient at ``xy``, an array like ``xy`` (NumPy for a tuple or list)."""
        if isinstance(xy, Tensor):
            xy = xy.data
        if isinstance(xy, (tuple, list)):
            xy = np.asarray(xy, dtype=float)
        gx, gy = self._grad(xy[..., 0], xy[..., 1])
        if type(xy) is np.ndarray and xy.ndim == 1:  # the common case, a point: skip the generic path
            return np.array([gx, gy], dtype=xy.dtype)
        return backend.namespace(xy).stack([gx, gy], axis=-1)

    def grid(self, n: int = 200):
        """``X, Y, Z`` NumPy arrays of shape ``(n, n)`` over the window, for contour plots."""
        (x0, x1), (y0, y1) = self.window
        X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
        with np.errstate(all="ignore"):
            Z = self._f(X, Y)
        return X, Y, np.asarray(Z, dtype=float)


def _split(xy):
    if isinstance(xy, (tuple, list)):
        if len(xy) != 2:
            raise ValueError(f"a point of a 2-D landscape needs 2 coordinates, got {len(xy)}")
        return xy[0], xy[1]
    if tuple(xy.shape)[-1:] != (2,):
        raise ValueError(f"a point of a 2-D landscape needs a last axis of size 2, got shape {tuple(xy.shape)}")
    return xy[..., 0], xy[..., 1]


# ------------------------------------------------------------------ quadratic
def quadratic(condition_number: float = 10.0, rotation: float = 0.0, scale: float = 1.0) -> Landscape:
    r"""A quadratic bowl :math:`f(z) = \tfrac12 z^T A z` with a chosen condition number.

    .. math::
        A = R_\theta \begin{pmatrix} \mu & 0 \\ 0 & L \end{pmatrix} R_\theta^T,
        \qquad L = \text{scale}, \quad \mu = L / \kappa

    At ``rotation=0`` the flat direction (eigenvalue :math:`\mu`) is the x axis and the
    steep one (:math:`L`) the y axis.  Gradient descent is stable exactly when
    ``lr < 2 / L``; the best constant lr is ``2 / (L + mu)``.

    Args:
        condition_number (float): :math:`\kappa = L / \mu \ge 1` (default: 10).
        rotation (float): angle of the eigenvectors, in degrees (default: 0).
        scale (float): the largest eigenvalue :math:`L > 0` (default: 1).

    Example:
        >>> q = quadratic(condition_number=4, rotation=90)
        >>> q.L, q.mu, abs(q.hessian.round(12))
        (1.0, 0.25, array([[1.  , 0.  ],
               [0.  , 0.25]]))
    """
    kappa, scale, rotation = float(condition_number), float(scale), float(rotation)
    if not (math.isfinite(kappa) and kappa >= 1.0):
        raise ValueError(f"Invalid condition_number: {condition_number} (must be >= 1)")
    if not (math.isfinite(scale) and scale > 0.0):
        raise ValueError(f"Invalid scale: {scale} (must be > 0)")
    if not math.isfinite(rotation):
        raise ValueError(f"Invalid rotation: {rotation}")
    L, mu = scale, scale / kappa
    c, s = math.cos(math.radians(rotation)), math.sin(math.radians(rotation))
    a = mu * c * c + L * s * s  # A = mu e1 e1^T + L e2 e2^T, e1 = (c, s), e2 = (-s, c)
    b = (mu - L) * c * s
    d = mu * s * s + L * c * c

    def f(x, y):
        return 0.5 * (a * x * x + 2 * b * x * y + d * y * y)

    def grad(x, y):
        return a * x + b * y, b * x + d * y

    land = Landscape("quadratic", f, grad, minima=[(0.0, 0.0)], window=((-6.0, 6.0), (-4.0, 4.0)),
                     start=(-5.0, 2.0), title=f"quadratic (kappa={kappa:g}, rotation={rotation:g} deg)")
    land.L, land.mu, land.condition_number = L, mu, kappa
    land.hessian = np.array([[a, b], [b, d]])
    return land


# -------------------------------------------------------------- classic ones
def rosenbrock(a: float = 1.0, b: float = 100.0) -> Landscape:
    r"""Rosenbrock's banana valley :math:`(a - x)^2 + b (y - x^2)^2`, minimum 0 at :math:`(a, a^2)`.

    The valley floor is easy to reach and hard to follow: the curvature across it is
    about :math:`200 b` times the curvature along it near the minimum.
    Rosenbrock, "An automatic method for finding the greatest or least value of a
    function", The Computer Journal 3 (1960).

    Example:
        >>> rosenbrock(a=2).minima
        [(2.0, 4.0)]
    """
    a, b = float(a), float(b)
    if not b > 0:
        raise ValueError(f"Invalid b: {b} (must be > 0)")

    def f(x, y):
        return (a - x) ** 2 + b * (y - x * x) ** 2

    def grad(x, y):
        r = y - x * x
        return -2 * (a - x) - 4 * b * x * r, 2 * b * r

    w = max(2.0, abs(a) + 1.0)
    return Landscape("rosenbrock", f, grad, minima=[(a, a * a)], window=((-w, w), (-1.0, max(3.0, a * a + 1))),
                     start=(-1.2, 1.0), title=f"Rosenbrock (a={a:g}, b={b:g})")


_BEALE_C = (1.5, 2.25, 2.625)


def beale() -> Landscape:
    r"""Beale's function :math:`\sum_{i=1}^{3} (c_i - x + x y^i)^2`, :math:`c = (1.5, 2.25, 2.625)`.

    Minimum 0 at (3, 0.5), inside a narrow curved valley; steep walls where
    :math:`|y| > 1`.

    Example:
        >>> beale()(np.array([3.0, 0.5]))
        np.float64(0.0)
    """
    c1, c2, c3 = _BEALE_C

    def f(x, y):
        return (c1 - x + x * y) ** 2 + (c2 - x + x * y * y) ** 2 + (c3 - x + x * y * y * y) ** 2

    def grad(x, y):
        y2 = y * y
        y3 = y2 * y
        u1, u2, u3 = c1 - x + x * y, c2 - x + x * y2, c3 - x + x * y3
        gx = 2 * u1 * (y - 1) + 2 * u2 * (y2 - 1) + 2 * u3 * (y3 - 1)
        gy = 2 * u1 * x + 4 * u2 * x * y + 6 * u3 * x * y2
        return gx, gy

    return Landscape("beale", f, grad, minima=[(3.0, 0.5)], window=((-4.5, 4.5), (-4.5, 4.5)),
                     start=(1.0, 1.5), title="Beale")


# Computed by Newton's method on the gradient (see tests/test_landscapes.py).
_HIMMELBLAU_MINIMA = [(3.0, 2.0), (-2.805118086952745, 3.131312518250573),
                      (-3.779310253377747, -3.283185991286169), (3.5844283403304917, -1.8481265269644034)]


def himmelblau() -> Landscape:
    r"""Himmelblau's function :math:`(x^2 + y - 11)^2 + (x + y^2 - 7)^2`: four minima, all 0.

    Which one an optimizer finds depends on where it starts and how it moves.
    Himmelblau, "Applied Nonlinear Programming" (1972).

    Example:
        >>> len(himmelblau().minima)
        4
    """
    def f(x, y):
        return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2

    def grad(x, y):
        u, v = x * x + y - 11, x + y * y - 7
        return 4 * x * u + 2 * v, 2 * u + 4 * y * v

    return Landscape("himmelblau", f, grad, minima=_HIMMELBLAU_MINIMA, window=((-5.0, 5.0), (-5.0, 5.0)),
                     start=(-0.5, -0.5), title="Himmelblau")


def saddle() -> Landscape:
    r"""The saddle :math:`x^2 - y^2`: a stationary point at (0, 0) that is **not** a minimum.

    There is no minimum at all (``minima == []``, ``f_min is None``): f is unbounded
    below along y, so a good optimizer *escapes* the saddle and its loss keeps falling.
    The default start lies almost on the x axis, where the gradient barely points away
    from the saddle; gradient descent slows down near (0, 0) before it escapes.

    Example:
        >>> s = saddle()
        >>> s.minima, s.f_min, s.saddle_points
        ([], None, [(0.0, 0.0)])
    """
    def f(x, y):
        return x * x - y * y

    def grad(x, y):
        return 2 * x, -2 * y

    return Landscape("saddle", f, grad, minima=[], window=((-2.0, 2.0), (-2.0, 2.0)), start=(-1.8, 0.01),
                     f_min=None, log_levels=False, saddle_points=[(0.0, 0.0)], title="saddle x^2 - y^2")


def rastrigin(A: float = 10.0) -> Landscape:
    r"""Rastrigin's function :math:`2A + \sum_{i} (x_i^2 - A \cos 2\pi x_i)`: one global
    minimum 0 at (0, 0) among a grid of local minima near the integer points.

    Rastrigin, "Systems of extremal control" (1974).

    Example:
        >>> float(rastrigin()(np.array([0.0, 0.0])))
        0.0
    """
    A = float(A)
    if not A >= 0:
        raise ValueError(f"Invalid A: {A} (must be >= 0)")
    w = 2 * math.pi

    def f(x, y):
        return 2 * A + x * x - A * _cos(w * x) + y * y - A * _cos(w * y)

    def grad(x, y):
        return 2 * x + A * w * _sin(w * x), 2 * y + A * w * _sin(w * y)

    return Landscape("rastrigin", f, grad, minima=[(0.0, 0.0)], window=((-5.12, 5.12), (-5.12, 5.12)),
                     start=(-3.5, 3.2), log_levels=False, title=f"Rastrigin (A={A:g})")


LANDSCAPES = {"quadratic": quadratic, "rosenbrock": rosenbrock, "beale": beale, "himmelblau": himmelblau,
              "saddle": saddle, "rastrigin": rastrigin}


def get(name, **kwargs) -> Landscape:
    """A landscape by name (``"rosenbrock"``, ...), built with ``kwargs``; a Landscape passes through.

    Example:
        >>> get("quadratic", condition_number=50).condition_number
        50.0
    """
    if isinstance(name, Landscape):
        if kwargs:
            raise TypeError("keyword arguments cannot be applied to an already built Landscape")
        return name
    key = str(name).strip().lower()
    if key not in LANDSCAPES:
        raise ValueError(f"Unknown landscape: {name!r}; choose one of {sorted(LANDSCAPES)}")
    return LANDSCAPES[key](**kwargs)
