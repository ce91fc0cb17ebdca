"""Fixed-point machinery shared by the theories (private; imports nothing above foundations).

Solvers of ``x = G(x)`` that stop when ``norm(G(x) - x, x) <= tol``:

- :func:`newton_krylov` -- Newton's method with GMRES on ``(I - G'(x)) dx = G(x) - x`` and a
  backtracking line search (the DMFT default).
- :func:`anderson` -- Anderson acceleration (type II, Walker & Ni 2011) with restarts.
- :func:`damped` -- plain damped fixed-point iteration (the reference the benchmark compares to).

Each returns an :class:`IterationResult` holding the last iterate whose residual was measured,
so the reported residual is that of the returned point. The DMFT (:mod:`randrnn.dmft`), and
later the low-rank mean-field theory and the linearization of single realizations, use them;
the module sits below every theory so that none of them depends on another for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from randrnn._typing import FloatArray


@dataclass(frozen=True, slots=True)
class IterationResult:
    """Outcome of a fixed-point iteration."""

    x: FloatArray
    gx: FloatArray
    n_iter: int
    residual: float
    converged: bool
    message: str


def _finite(v: FloatArray) -> bool:
    return bool(np.all(np.isfinite(v)))


def damped(
    fmap: Callable[[FloatArray], FloatArray],
    x0: FloatArray,
    *,
    norm: Callable[[FloatArray, FloatArray], float],
    tol: float,
    max_iter: int,
    damping: float,
) -> IterationResult:
    """Iterate ``x <- (1 - damping) x + damping G(x)`` until ``norm(G(x) - x) <= tol``."""
    x = np.asarray(x0, dtype=float).copy()
    res = np.inf
    gx = x
    for k in range(1, max_iter + 1):
        gx = fmap(x)
        if not _finite(gx):
            return IterationResult(x, gx, k, np.inf, False, "non-finite values in the iteration")
        res = norm(gx - x, x)
        if res <= tol:
            return IterationResult(x, gx, k, res, True, "converged")
        x = x + damping * (gx - x)
    return IterationResult(x, gx, max_iter, res, False, "maximum number of iterations reached")


def anderson(
    fmap: Callable[[FloatArray], FloatArray],
    x0: FloatArray,
    *,
    norm: Callable[[FloatArray, FloatArray], float],
    tol: float,
    max_iter: int,
    memory: int,
    beta: float,
) -> IterationResult:
    """Anderson-accelerated fixed-point iteration for ``x = G(x)``.

    Type-II Anderson mixing with a history of ``memory`` differences, mixing parameter ``beta``
    and a restart (history cleared) whenever the residual grows tenfold over the best one.
    """
    x = np.asarray(x0, dtype=float).copy()
    d_x: list[FloatArray] = []
    d_f: list[FloatArray] = []
    x_prev: FloatArray | None = None
    f_prev: FloatArray | None = None
    best = np.inf
    res = np.inf
    gx = x
    for k in range(1, max_iter + 1):
        gx = fmap(x)
        if not _finite(gx):
            return IterationResult(x, gx, k, np.inf, False, "non-finite values in the iteration")
        f = gx - x
        res = norm(f, x)
        if res <= tol:
            return IterationResult(x, gx, k, res, True, "converged")
        if res > 10.0 * best:  # restart: the extrapolation left the basin of the secant model
            d_x.clear()
            d_f.clear()
            x_prev = f_prev = None
        best = min(best, res)
        if x_prev is not None and f_prev is not None:
            d_x.append(x - x_prev)
            d_f.append(f - f_prev)
            if len(d_x) > memory:
                d_x.pop(0)
                d_f.pop(0)
        x_prev, f_prev = x, f
        if d_f:
            fmat = np.stack(d_f, axis=1)
            xmat = np.stack(d_x, axis=1)
            scale = np.linalg.norm(fmat, axis=0)
            scale[scale == 0] = 1.0
            gamma = np.linalg.lstsq(fmat / scale, f, rcond=1e-12)[0] / scale
            x = x + beta * f - (xmat + beta * fmat) @ gamma
        else:
            x = x + beta * f
    return IterationResult(x, gx, max_iter, res, False, "maximum number of iterations reached")


def newton_krylov(
    fmap_jac: Callable[[FloatArray], tuple[FloatArray, Callable[[FloatArray], FloatArray]]],
    x0: FloatArray,
    *,
    norm: Callable[[FloatArray, FloatArray], float],
    tol: float,
    max_iter: int,
    inner_rtol: float = 1e-9,
    valid: Callable[[FloatArray], bool] | None = None,
) -> IterationResult:
    """Newton's method for ``x = G(x)`` with GMRES on ``(I - G'(x)) dx = G(x) - x``.

    ``fmap_jac(x)`` returns ``G(x)`` and a function applying the Jacobian ``G'(x)`` to a
    vector (cheap: no evaluation of ``G``). Steps are halved (up to 8 times) until the residual
    decreases and ``valid(x)`` holds. ``n_iter`` counts evaluations of ``G``.
    """
    from scipy.sparse.linalg import LinearOperator, gmres

    x = np.asarray(x0, dtype=float).copy()
    n_eval = 0
    gx, jvp = fmap_jac(x)
    n_eval += 1
    if not _finite(gx):
        return IterationResult(x, gx, n_eval, np.inf, False, "non-finite values in the iteration")
    res = norm(gx - x, x)
    n_mv = 0
    while res > tol:
        if n_eval >= max_iter:
            return IterationResult(
                x, gx, n_eval, res, False, "maximum number of iterations reached"
            )
        r = gx - x
        op = LinearOperator((x.size, x.size), matvec=lambda v, j=jvp: v - j(v), dtype=float)
        counter = [0]

        def _count(_: Any, c: list[int] = counter) -> None:
            c[0] += 1

        pre = getattr(jvp, "precondition", None)
        mop = None if pre is None else LinearOperator((x.size, x.size), matvec=pre, dtype=float)
        # Eisenstat-Walker-like forcing: loose far away, tight near the solution
        eta = max(min(1e-2, res), inner_rtol)
        dx, _info = gmres(
            op,
            r,
            rtol=eta,
            atol=0.0,
            restart=40,
            maxiter=20,
            M=mop,
            callback=_count,
            callback_type="pr_norm",
        )
        n_mv += counter[0]
        step = 1.0
        merit = float(np.linalg.norm(r))
        for _ in range(12):
            xt = x + step * dx
            if valid is None or valid(xt):
                gt, jt = fmap_jac(xt)
                n_eval += 1
                if _finite(gt):
                    rt = norm(gt - xt, xt)
                    # Armijo condition on the Euclidean merit function
                    if float(np.linalg.norm(gt - xt)) <= (1.0 - 1e-4 * step) * merit:
                        break
            step *= 0.5
        else:
            return IterationResult(
                x,
                gx,
                n_eval,
                res,
                False,
                "line search failed: no step along the Newton direction (halved 12 times) "
                "reduced the residual",
            )
        x, gx, jvp, res = xt, gt, jt, rt
    return IterationResult(x, gx, n_eval, res, True, f"converged ({n_mv} GMRES iterations)")
