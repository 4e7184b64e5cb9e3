"""L-BFGS with an optional strong-Wolfe line search (``torch.optim.LBFGS``)."""
from __future__ import annotations

import math
import numbers

import numpy as np

from .. import backend
from ..tensor import enable_grad
from .optimizer import LR, Optimizer, _bump_version, _counter, _is_array, _kind, check, hyperparameter

__all__ = ["LBFGS"]


def _line_search_ok(line_search_fn):
    if line_search_fn not in (None, "strong_wolfe"):
        raise ValueError(f"Invalid line_search_fn: {line_search_fn!r} (only 'strong_wolfe' or None)")


def _history_ok(history_size):
    if not isinstance(history_size, numbers.Integral):
        raise TypeError(history_size)


def _sqrt(v):
    if type(v) is float or type(v) is int:
        return math.sqrt(v)
    return np.sqrt(v) if isinstance(v, np.generic) else backend.namespace(v).sqrt(v)


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimizer of the cubic through (x1, f1, g1) and (x2, f2, g2), clipped to ``bounds``.

    The slopes ``g1``, ``g2`` are 0-d arrays (NumPy scalars) as torch's are tensors, and so are the
    steps once the first step length (or an interpolation) made them so: where ``x1 == x2`` the
    division gives inf or nan, as torch's, and the search goes on with it; a nan ``d2_square``
    takes the midpoint, as torch's ``d2_square >= 0`` test does."""
    xmin_bound, xmax_bound = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    dx = x1 - x2
    if type(dx) is float or type(dx) is int:  # Python numbers: 0 raises ZeroDivisionError, as torch's do
        d1 = g1 + g2 - 3 * (f1 - f2) / dx
    else:  # a 0-d step (torch's tensor): torch divides a number by it as reciprocal, then product
        d1 = g1 + g2 - (1 / dx) * (3 * (f1 - f2))
    d2_square = d1**2 - g1 * g2
    if not d2_square >= 0:
        return (xmin_bound + xmax_bound) / 2.0
    d2 = _sqrt(d2_square)
    if x1 <= x2:
        min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(min_pos, xmin_bound), xmax_bound)


def _strong_wolfe(obj_func, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Find t with f(x + t d) <= f + c1 t gtd and |g(x + t d) . d| <= -c2 gtd (Nocedal & Wright, Alg. 3.5-3.6)."""
    xp = backend.namespace(d)
    d_norm = xp.max(xp.abs(d))
    f_new, g_new = obj_func(t, d)
    ls_func_evals = 1
    gtd_new = xp.vecdot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    # bracketing phase: grow t until an interval is known to hold a point that satisfies the conditions
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f, bracket_g, bracket_gtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f, bracket_g, bracket_gtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new]
            break
        min_step, max_step = t + 0.01 * (t - t_prev), t * 10
        t_prev, t = t, _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        f_prev, g_prev, gtd_prev = f_new, g_new, gtd_new
        f_new, g_new = obj_func(t, d)
        ls_func_evals += 1
        gtd_new = xp.vecdot(g_new, d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]
    # zoom phase: shrink the bracket
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        # if t is too close to an end of the bracket, move it inside (but not twice in a row)
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(t, d)
        ls_func_evals += 1
        gtd_new = xp.vecdot(g_new, d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos], bracket_g[high_pos], bracket_gtd[high_pos] = t, f_new, g_new, gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos], bracket_g[low_pos], bracket_gtd[low_pos] = t, f_new, g_new, gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


class LBFGS(Optimizer):
    r"""L-BFGS: a quasi-Newton step from the last ``history_size`` pairs of (step, change in gradient).

    .. math::
        \begin{aligned}
        &\textbf{for each of up to max\_iter iterations:} \\
        &\quad y \leftarrow g - g_{prev},\ s \leftarrow t\, d;\quad
               \textbf{if } y^\top s > 10^{-10}: \text{remember } (y, s, \rho = 1/y^\top s),\
               H_0 \leftarrow y^\top s / y^\top y \\
        &\quad q \leftarrow -g;\quad \textbf{for } i = k-1..0:\ \alpha_i \leftarrow \rho_i s_i^\top q,\
               q \leftarrow q - \alpha_i y_i \\
        &\quad d \leftarrow H_0 q;\quad \textbf{for } i = 0..k-1:\ \beta_i \leftarrow \rho_i y_i^\top d,\
               d \leftarrow d + (\alpha_i - \beta_i) s_i \\
        &\quad t \leftarrow \text{lr} \ (\min(1, 1/\|g\|_1)\,\text{lr at the very first iteration}),
               \text{ or from the strong-Wolfe line search} \\
        &\quad \theta \leftarrow \theta + t\, d;\quad
               \text{stop on max\_eval, tolerance\_grad or tolerance\_change}
        \end{aligned}

    ``step(closure)`` needs a closure that zeroes the grads, computes the loss, calls
    ``backward()`` and returns the loss; it may call it many times.  One parameter group
    only.  State (on the first parameter, as in torch): ``func_evals``, ``n_iter``, ``d``,
    ``t``, ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``,
    ``prev_loss``, ``al``.  Nocedal, "Updating Quasi-Newton Matrices with Limited Storage"
    (Math. Comp. 1980); Liu and Nocedal (Math. Prog. 1989); line search: Nocedal and
    Wright, "Numerical Optimization", Algorithms 3.5 and 3.6.

    Args:
        params: parameters (one group).
        lr (float): learning rate (default: 1).
        max_iter (int): iterations per ``step()`` (default: 20).
        max_eval (int): closure calls per ``step()`` (default: max_iter * 5 // 4).
        tolerance_grad (float): stop when max |g| is at most this (default: 1e-7).
        tolerance_change (float): stop when the loss or the step changes less (default: 1e-9).
        history_size (int): how many pairs to remember (default: 100).
        line_search_fn (str): ``"strong_wolfe"`` or None (default: None).

    Example:
        >>> import numpy as np, course
        >>> p = course.Parameter(np.array([3.0, -2.0]))
        >>> opt = LBFGS([p], line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = ((p - 1.0) ** 2).sum()
        ...     loss.backward()
        ...     return loss
        >>> _ = opt.step(closure)
        >>> p.data.round(6)
        array([1., 1.])
    """

    def __init__(self, params, lr: float = 1, max_iter: int = 20, max_eval=None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100, line_search_fn=None):
        self._check_arguments(dict(lr=lr, line_search_fn=line_search_fn))
        if max_eval is None:
            try:
                max_eval = max_iter * 5 // 4  # torch's default, and its TypeError for None
            except TypeError:
                raise TypeError(f"Invalid max_iter value: {max_iter!r}: max_iter must be a number, "
                                f"not {type(max_iter).__name__}") from None
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # torch checks lr (course: line_search_fn too, where torch fails at the first step); a step reads the rest
    _hyperparameters = (LR, check(_line_search_ok, "line_search_fn"), hyperparameter("max_iter"),
                        hyperparameter("max_eval"), hyperparameter("tolerance_grad"), hyperparameter("tolerance_change"),
                        check(_history_ok, "history_size", torch_checks=False))

    def _make_layout(self, group):
        pass  # L-BFGS works on one flat vector of its own

    def add_param_group(self, param_group):
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    def _load_state(self, p, group, s, where):
        """L-BFGS's state (on the first parameter): counters, numbers, and flat vectors over all parameters."""
        n = sum(q.data.size for q in self._params)
        out = {}

        def vector(key, v):
            if not _is_array(v) or tuple(v.shape) != (n,):
                raise ValueError(f"loaded state {key!r} of {where} must be a vector of {n} values, not {_kind(v)}")
            return self._cast(p, key, v)

        def vectors(key, v):
            if not isinstance(v, (list, tuple)):
                raise TypeError(f"loaded state {key!r} of {where} must be a list, not {_kind(v)}")
            return [vector(key, x) for x in v]

        def numbers_(key, v):
            if not isinstance(v, (list, tuple)):
                raise TypeError(f"loaded state {key!r} of {where} must be a list, not {_kind(v)}")
            return [None if x is None else _counter(x, key, where) for x in v]

        for key, value in s.items():
            if key in ("func_evals", "n_iter"):
                count = _counter(value, key, where)
                if not count.is_integer() or count < 0:
                    raise ValueError(f"loaded state {key!r} of {where} must be a count, not {value!r}")
                out[key] = int(count)
            elif key in ("t", "H_diag", "prev_loss"):
                out[key] = None if value is None else _counter(value, key, where)
            elif key in ("d", "prev_flat_grad"):
                out[key] = None if value is None else vector(key, value)
            elif key in ("old_dirs", "old_stps"):
                out[key] = None if value is None else vectors(key, value)
            elif key in ("ro", "al"):
                out[key] = None if value is None else numbers_(key, value)
            else:
                out[key] = self._cast(p, key, value)
        return out

    # the parameters as one flat vector
    def _gather_flat_grad(self):
        self._checked_grads()
        xp = backend.namespace(self._params[0].data)
        return xp.concat([xp.reshape(p.grad, (-1,)) if p.grad is not None else xp.zeros(p.data.size, dtype=p.data.dtype)
                          for p in self._params])

    def _add_grad(self, step_size, update):
        xp = backend.namespace(update)
        offset = 0
        for p in self._params:
            n = p.data.size
            _bump_version(p)
            p.data += step_size * xp.reshape(update[offset:offset + n], p.data.shape)
            offset += n

    def _directional_evaluate(self, closure, x, t, d):
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        for p, saved in zip(self._params, x):
            _bump_version(p)
            p.data[...] = saved
        return loss, flat_grad

    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations; return the loss before them.

        The slopes (``gtd``) and the first step length stay 0-d arrays, as torch's stay tensors:
        a division by zero gives inf or nan, silently, as in torch (a zero grad with
        ``tolerance_grad=-inf``, a line-search bracket of width 0)."""
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return self._step(closure)

    def _step(self, closure):
        group = self.param_groups[0]
        self._check_group(group, "param group 0")  # before anything changes
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        closure = enable_grad()(closure)
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = closure()
        loss = float(orig_loss)
        flat_grad = self._gather_flat_grad()
        xp = backend.namespace(flat_grad)
        current_evals = 1
        state["func_evals"] += 1
        if float(xp.max(xp.abs(flat_grad))) <= tolerance_grad:
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag, prev_flat_grad, prev_loss = state.get("H_diag"), state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            # the direction: two-loop recursion over the remembered pairs
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro, H_diag = [], [], [], 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(xp.vecdot(y, s))
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / float(xp.vecdot(y, y))
                num_old = len(old_dirs)
                al = state.setdefault("al", [None] * history_size)
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = float(xp.vecdot(old_stps[i], q)) * ro[i]
                    q -= al[i] * old_dirs[i]
                d = r = q * H_diag
                for i in range(num_old):
                    be_i = float(xp.vecdot(old_dirs[i], r)) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]
            prev_flat_grad = xp.asarray(flat_grad, copy=True)
            prev_loss = loss
            # the step length
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / xp.sum(xp.abs(flat_grad))) * lr
            else:
                t = lr
            gtd = xp.vecdot(flat_grad, d)
            if gtd > -tolerance_change:  # not a descent direction
                break
            ls_func_evals = 0
            if group["line_search_fn"] == "strong_wolfe":
                x_init = [xp.asarray(p.data, copy=True) for p in self._params]

                def obj_func(t, d):
                    return self._directional_evaluate(closure, x_init, t, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(obj_func, t, d, loss, flat_grad, gtd,
                                                                  max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = float(xp.max(xp.abs(flat_grad))) <= tolerance_grad
            else:
                self._add_grad(t, d)
                opt_cond = False
                if n_iter != max_iter:  # re-evaluate, unless this was the last iteration
                    loss = float(closure())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = float(xp.max(xp.abs(flat_grad))) <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals
            # stopping conditions
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if float(xp.max(xp.abs(d * t))) <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss
