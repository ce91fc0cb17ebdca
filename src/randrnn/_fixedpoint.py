"""Fixed-point machinery shared by the theories (private; imports nothing above foundations).

Solvers of ``x = G(x)`` that stop when ``norm(G(x) - x, x) <= tol``:

- :func:`newton_krylov` -- Newton's method with GMRES on ``(I - G'(x)) dx = G(x) - x`` and a
  backtracking line search (the DMFT default).
- :func:`anderson` -- Anderson acceleration (type II, Walker & Ni 2011) with restarts.
- :func:`damped` -- plain damped fixed-point iteration (the reference the benchmark compares to).

Roots of a batch of vector fields ``F(x) = 0`` (many starts at once, exact Jacobians):

- :func:`batched_newton` -- Newton's method with a backtracking line search on ``|F|``, every
  start advanced together (batched residuals, chunked batched LU solves).
- :func:`batched_levenberg_marquardt` -- minimisation of ``q = |F|^2 / 2`` (for starts where
  Newton stalls: slow points are local minima of ``q`` with ``q > 0``).

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


# -- batched roots of vector fields ----------------------------------------------------------

#: status codes of :class:`BatchedResult`
STATUS = ("converged", "stalled", "max_iter", "non_finite", "slow_point")


@dataclass(frozen=True, slots=True)
class BatchedResult:
    """Outcome of a batched root search (one row per start).

    Attributes
    ----------
    x : (B, n) ndarray
        Last iterate of each start.
    residual : (B,) ndarray
        ``|F(x)|`` (2-norm) at ``x``.
    error : (B,) ndarray
        Norm of the last Newton correction ``|J(x)^{-1} F(x)|`` (first-order distance to the
        root; ``inf`` where none was computed), or of the last minimisation step.
    gradient : (B,) ndarray
        ``|J(x)^T F(x)|``, the gradient of ``q = |F|^2 / 2`` (NaN where not computed).
    n_iter : (B,) ndarray of int
        Iterations (Jacobian solves) per start.
    status : (B,) ndarray of int
        Index into :data:`STATUS`.
    """

    x: FloatArray
    residual: FloatArray
    error: FloatArray
    gradient: FloatArray
    n_iter: Any
    status: Any

    @property
    def converged(self) -> Any:
        """Boolean mask of the starts that reached ``|F| <= tol``."""
        return self.status == STATUS.index("converged")


#: forcing of the inexact Newton steps: relative GMRES residual min(_ETA_MAX, |F|^_ETA_POWER).
#: The power 1/2 gives superlinear convergence of order 3/2. Far from a root a loose solve
#: (0.1) turns Newton into a Picard-like step that drifts to the stable points and misses
#: saddles (measured: 3 of the 5 fixed points of a rank-two network from 200 starts); 1e-2
#: finds all 5, and at n = 500 (tanh, g = 1.2, static input) costs half the time of exact LU.
_ETA_POWER = 0.5
_ETA_MAX = 1e-2
#: bytes of Krylov basis per batch of GMRES rows: Gram-Schmidt reads the basis four times per
#: iteration, so it should stay in cache (measured at n = 500: 16 MB is 3x faster than 200 MB)
_KRYLOV_BYTES = 16e6


def batched_gmres(
    matvec: Callable[[FloatArray], FloatArray],
    R: FloatArray,
    *,
    rtol: FloatArray,
    maxiter: int,
) -> tuple[FloatArray, Any]:
    """GMRES from zero for ``A_k y_k = R_k``, every row ``k`` at once.

    ``matvec(V)`` applies each row's own matrix to row ``k`` of ``V`` (one matrix product for
    the whole batch when the matrices share a factor). Arnoldi with classical Gram-Schmidt
    applied twice, Givens rotations per row; row ``k`` stops growing its solution at the first
    iteration where its residual is at most ``rtol[k] |R_k|``. Returns the solutions and the
    mask of rows that reached their tolerance within ``maxiter`` iterations.
    """
    B, n = R.shape
    beta = np.linalg.norm(R, axis=1)
    tol = np.asarray(rtol, dtype=float) * beta
    m_max = max(int(maxiter), 1)
    Q = np.empty((B, m_max + 1, n))  # row-major per batch row: Gram-Schmidt as matmuls
    Q[:, 0] = R / np.where(beta > 0, beta, 1.0)[:, None]
    H = np.zeros((B, m_max + 1, m_max))
    cs = np.zeros((B, m_max))
    sn = np.zeros((B, m_max))
    g = np.zeros((B, m_max + 1))
    g[:, 0] = beta
    first = np.where(beta <= tol, 0, m_max)  # iterations each row uses
    m = 0
    for j in range(m_max):
        m = j + 1
        w = matvec(np.ascontiguousarray(Q[:, j]))
        Qj = Q[:, : j + 1]
        for _ in range(2):  # CGS2: as stable as modified Gram-Schmidt, in matrix products
            h = np.matmul(Qj, w[:, :, None])[..., 0]
            w = w - np.matmul(h[:, None, :], Qj)[:, 0]
            H[:, : j + 1, j] += h
        hn = np.linalg.norm(w, axis=1)
        H[:, j + 1, j] = hn
        Q[:, j + 1] = w / np.where(hn > 0, hn, 1.0)[:, None]
        for i in range(j):
            a, b = H[:, i, j].copy(), H[:, i + 1, j].copy()
            H[:, i, j] = cs[:, i] * a + sn[:, i] * b
            H[:, i + 1, j] = -sn[:, i] * a + cs[:, i] * b
        a, b = H[:, j, j], H[:, j + 1, j]
        den = np.hypot(a, b)
        safe = np.where(den > 0, den, 1.0)
        cs[:, j] = np.where(den > 0, a / safe, 1.0)
        sn[:, j] = b / safe
        H[:, j, j] = den
        H[:, j + 1, j] = 0.0
        g[:, j + 1] = -sn[:, j] * g[:, j]
        g[:, j] = cs[:, j] * g[:, j]
        newly = (np.abs(g[:, j + 1]) <= tol) & (first == m_max)
        first[newly] = j + 1
        if np.all(first < m_max) or j == m_max - 1:
            break
    # each row's triangular system of its own size: rows beyond it are the identity
    Hm = H[:, :m, :m].copy()
    gm = g[:, :m].copy()
    idx = np.arange(m)
    beyond = idx[None, :] >= np.minimum(first, m)[:, None]
    Hm = np.where(beyond[:, :, None] | beyond[:, None, :], 0.0, Hm)
    Hm[:, idx, idx] = np.where(beyond, 1.0, Hm[:, idx, idx])
    gm[beyond] = 0.0
    ok = np.all(np.isfinite(Hm), axis=(1, 2)) & (np.abs(Hm[:, idx, idx]) > 0).all(axis=1)
    y = np.zeros((B, m))
    if ok.any():
        y[ok] = np.linalg.solve(Hm[ok], gm[ok][..., None])[..., 0]
    Y = np.matmul(y[:, None, :], Q[:, :m])[:, 0]
    converged = ok & (first <= m) & ((first < m_max) | (np.abs(g[:, m]) <= tol))
    return Y, converged


def _solve_batch(
    jacobian: Callable[[FloatArray], FloatArray],
    X: FloatArray,
    R: FloatArray,
    chunk: int,
    jvp: Callable[[FloatArray], Callable[[FloatArray], FloatArray]] | None = None,
    rtol: FloatArray | None = None,
    krylov_iter: int = 60,
) -> FloatArray:
    """Return ``J(X_k)^{-1} R_k`` for every row.

    With ``jvp`` (batched Jacobian-vector products) GMRES runs first on every row, to the
    relative tolerance ``rtol`` (an inexact Newton step); rows it does not resolve within
    ``krylov_iter`` iterations are solved directly. The direct solver forms the Jacobians
    ``chunk`` at a time and uses batched LU; exactly singular ones get the least-squares
    (minimum-norm) solution.
    """
    out = np.empty_like(R)
    todo = np.arange(X.shape[0])
    if jvp is not None and todo.size:
        n = X.shape[1]
        rows = max(1, int(_KRYLOV_BYTES / (8 * (krylov_iter + 1) * n)))
        rt = np.full(X.shape[0], 1e-10) if rtol is None else np.asarray(rtol, dtype=float)
        left = []
        for lo in range(0, todo.size, rows):
            sl = slice(lo, lo + rows)
            Y, conv = batched_gmres(jvp(X[sl]), R[sl], rtol=rt[sl], maxiter=krylov_iter)
            out[sl] = Y
            left.append(np.flatnonzero(~conv) + lo)
        todo = np.concatenate(left) if left else todo[:0]
    for lo in range(0, todo.size, chunk):
        sub = todo[lo : lo + chunk]
        A = jacobian(X[sub])
        try:
            out[sub] = np.linalg.solve(A, R[sub][..., None])[..., 0]
        except np.linalg.LinAlgError:
            for k in range(A.shape[0]):
                out[sub[k]] = np.linalg.lstsq(A[k], R[sub[k]], rcond=None)[0]
    return out


def batched_newton(
    field: Callable[[FloatArray], FloatArray],
    jacobian: Callable[[FloatArray], FloatArray],
    x0: FloatArray,
    *,
    tol: float,
    max_iter: int = 100,
    max_step: float = np.inf,
    chunk: int = 32,
    polish: bool = True,
    jvp: Callable[[FloatArray], Callable[[FloatArray], FloatArray]] | None = None,
    krylov_iter: int = 60,
) -> BatchedResult:
    """Newton's method on ``F(x) = 0`` from every row of ``x0`` at once.

    Each iteration solves ``J(x) dx = -F(x)`` for all unfinished starts (batched LU, ``chunk``
    Jacobians at a time), clips ``|dx|`` to ``max_step``, and backtracks (halving, up to 30
    times) until the Armijo condition ``|F(x + s dx)| <= (1 - 1e-4 s) |F(x)|`` holds; a start
    whose step cannot be accepted is ``stalled`` (its Newton direction is not a descent
    direction of ``|F|``: a singular Jacobian, or a slow point). Starts stop when
    ``|F| <= tol``; with ``polish`` one more Newton correction is applied where it does not
    increase ``|F|``, and its length is recorded as ``error``.

    Parameters
    ----------
    field : callable
        ``F(X)``: (B, n) -> (B, n).
    jacobian : callable
        ``J(X)``: (B, n) -> (B, n, n), exact.
    x0 : (B, n) ndarray
        Starts.
    tol : float
        Stop when ``|F(x)|_2 <= tol``.
    max_iter, max_step, chunk, polish
        See above.
    jvp : callable, optional
        ``jvp(X)`` returns ``V -> `` the Jacobian at row ``k`` of ``X`` applied to row ``k``
        of ``V``. With
        it each Newton system is first solved by batched GMRES (one matrix product per
        Krylov iteration for the whole batch) to the forcing tolerance
        ``min(0.01, |F|^(1/2))`` relative, but never tighter than ``0.1 tol / |F|`` (inexact
        Newton, Eisenstat & Walker 1996), and only the
        rows GMRES leaves unresolved after ``krylov_iter`` iterations by LU.
    """
    X = np.array(x0, dtype=float, copy=True)
    B = X.shape[0]
    F = field(X)
    r = np.linalg.norm(F, axis=1)
    error = np.full(B, np.inf)
    n_iter = np.zeros(B, dtype=int)
    status = np.full(B, STATUS.index("max_iter"))
    bad = ~np.isfinite(r)
    status[bad] = STATUS.index("non_finite")
    done = r <= tol
    status[done] = STATUS.index("converged")
    active = ~(done | bad)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        # forcing: min(0.1, |F|^p); a relative residual 0.1 tol / |F| already brings the next
        # |F| below tol, so never ask for more
        eta = np.maximum(
            np.minimum(r[idx] ** _ETA_POWER, _ETA_MAX), 0.1 * tol / np.maximum(r[idx], 1e-300)
        )
        dx = -_solve_batch(jacobian, X[idx], F[idx], chunk, jvp, eta, krylov_iter)
        n_iter[idx] += 1
        nrm = np.linalg.norm(dx, axis=1)
        finite = np.isfinite(nrm)
        dx[~finite] = 0.0
        clip = np.where(nrm > max_step, max_step / np.where(nrm > 0, nrm, 1.0), 1.0)
        dx *= clip[:, None]
        nrm = np.where(finite, nrm * clip, np.inf)
        s = np.ones(idx.size)
        pending = finite.copy()
        for _ls in range(31):
            p = np.flatnonzero(pending)
            if p.size == 0:
                break
            Xt = X[idx[p]] + s[p, None] * dx[p]
            Ft = field(Xt)
            rt = np.linalg.norm(Ft, axis=1)
            ok = np.isfinite(rt) & (rt <= (1.0 - 1e-4 * s[p]) * r[idx[p]])
            acc = idx[p[ok]]
            X[acc], F[acc], r[acc] = Xt[ok], Ft[ok], rt[ok]
            error[acc] = s[p[ok]] * nrm[p[ok]]
            pending[p[ok]] = False
            s[p[~ok]] *= 0.5
        stalled = idx[pending | ~finite]
        status[stalled] = STATUS.index("stalled")
        active[stalled] = False
        conv = idx[r[idx] <= tol]
        status[conv] = STATUS.index("converged")
        active[conv] = False
    if polish:
        conv = np.flatnonzero(status == STATUS.index("converged"))
        if conv.size:
            # the error estimate needs a few digits only
            rt = np.full(conv.size, 1e-3)
            dx = -_solve_batch(jacobian, X[conv], F[conv], chunk, jvp, rt, krylov_iter)
            error[conv] = np.linalg.norm(dx, axis=1)
            Xt = X[conv] + dx
            Ft = field(Xt)
            rt = np.linalg.norm(Ft, axis=1)
            ok = np.isfinite(rt) & (rt <= r[conv])
            X[conv[ok]], F[conv[ok]], r[conv[ok]] = Xt[ok], Ft[ok], rt[ok]
    return BatchedResult(
        x=X, residual=r, error=error, gradient=np.full(B, np.nan), n_iter=n_iter, status=status
    )


def batched_levenberg_marquardt(
    field: Callable[[FloatArray], FloatArray],
    jacobian: Callable[[FloatArray], FloatArray],
    x0: FloatArray,
    *,
    tol: float,
    gtol: float = 1e-9,
    max_iter: int = 500,
    chunk: int = 32,
) -> BatchedResult:
    r"""Minimise :math:`q(x) = |F(x)|^2 / 2` from every row of ``x0`` (Levenberg-Marquardt).

    Each iteration solves :math:`(J^T J + \lambda\,\bar d\, I)\,dx = -J^T F` per start
    (:math:`\bar d` the mean diagonal of :math:`J^T J`); an accepted step (lower ``q``) divides
    :math:`\lambda` by 3, a rejected one multiplies it by 4. A start ends ``converged`` when
    ``|F| <= tol`` (a fixed point: polish it with :func:`batched_newton`), ``slow_point`` when
    the relative gradient :math:`|J^T F| / (|J|_F |F|)` falls below ``gtol`` with
    ``|F| > tol`` (a local minimum of ``q``), else ``max_iter``.
    """
    X = np.array(x0, dtype=float, copy=True)
    B, n = X.shape
    F = field(X)
    q = 0.5 * np.sum(F * F, axis=1)
    lam = np.full(B, 1e-3)
    error = np.full(B, np.inf)
    grad = np.full(B, np.nan)
    n_iter = np.zeros(B, dtype=int)
    status = np.full(B, STATUS.index("max_iter"))
    bad = ~np.isfinite(q)
    status[bad] = STATUS.index("non_finite")
    conv0 = np.sqrt(2.0 * q) <= tol
    status[conv0] = STATUS.index("converged")
    active = ~(bad | conv0)
    eye = np.eye(n)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        for lo in range(0, idx.size, chunk):
            sub = idx[lo : lo + chunk]
            A = jacobian(X[sub])
            At = A.transpose(0, 2, 1)
            g = np.matmul(At, F[sub][..., None])[..., 0]
            H = np.matmul(At, A)
            dbar = np.trace(H, axis1=1, axis2=2) / n
            gn = np.linalg.norm(g, axis=1)
            grad[sub] = gn
            rel = gn / np.maximum(np.sqrt(np.maximum(dbar * n, 0.0)) * np.sqrt(2 * q[sub]), 1e-300)
            slow = rel <= gtol
            status[sub[slow]] = STATUS.index("slow_point")
            active[sub[slow]] = False
            keep = ~slow
            sub, g, H, dbar = sub[keep], g[keep], H[keep], dbar[keep]
            if sub.size == 0:
                continue
            n_iter[sub] += 1
            M = H + (lam[sub] * np.maximum(dbar, 1e-300))[:, None, None] * eye
            try:
                dx = -np.linalg.solve(M, g[..., None])[..., 0]
            except np.linalg.LinAlgError:
                dx = np.stack(
                    [-np.linalg.lstsq(Mk, gk, rcond=None)[0] for Mk, gk in zip(M, g, strict=True)]
                )
            Xt = X[sub] + dx
            Ft = field(Xt)
            qt = 0.5 * np.sum(Ft * Ft, axis=1)
            ok = np.isfinite(qt) & (qt < q[sub])
            acc = sub[ok]
            X[acc], F[acc], q[acc] = Xt[ok], Ft[ok], qt[ok]
            error[acc] = np.linalg.norm(dx[ok], axis=1)
            lam[acc] = np.maximum(lam[acc] / 3.0, 1e-12)
            lam[sub[~ok]] *= 4.0
            stuck = sub[~ok & (lam[sub] > 1e12)]
            status[stuck] = STATUS.index("slow_point")
            active[stuck] = False
            conv = acc[np.sqrt(2.0 * q[acc]) <= tol]
            status[conv] = STATUS.index("converged")
            active[conv] = False
    return BatchedResult(
        x=X,
        residual=np.sqrt(2.0 * q),
        error=error,
        gradient=grad,
        n_iter=n_iter,
        status=status,
    )


#: labels of :attr:`RootSet.stability`
STABILITY = ("stable", "marginal", "unstable")
#: relative gradient |J^T F| / (|J|_F |F|) at which a minimisation stops at a slow point
SLOW_GTOL = 1e-9


@dataclass(frozen=True, slots=True)
class RootSet:
    """Distinct roots and slow points of a vector field, from many starts.

    Rows are sorted: fixed points first, then slow points; within each kind by the rightmost
    eigenvalue (most stable first) when eigenvalues were computed, else by ``|F|``.

    Attributes
    ----------
    index : (K,) ndarray of int
        Row of the start that represents each distinct point.
    points, residual, error : ndarray
        Location, ``|F|`` and last correction length of each point.
    kind, method : (K,) ndarray of str
        ``fixed`` / ``slow``; ``newton`` / ``minimization``.
    count : (K,) ndarray of int
        Starts that ended at each point.
    eigenvalues : (K, n) complex ndarray or None
        Jacobian spectrum, by decreasing real part.
    stability : (K,) ndarray of str or None
        Labels of :data:`STABILITY`.
    n_unstable : (K,) ndarray of int or None
        Eigenvalues with real part above the stability tolerance.
    starts : dict
        Start counts: ``total``, ``converged_newton``, ``minimization``, ``slow``, ``failed``.
    """

    index: Any
    points: FloatArray
    residual: FloatArray
    error: FloatArray
    kind: Any
    method: Any
    count: Any
    eigenvalues: Any
    stability: Any
    n_unstable: Any
    starts: dict[str, int]


def _dedup(x: FloatArray, radius: FloatArray) -> tuple[Any, Any]:
    """Greedy clustering: ``x_i`` joins the first kept point within ``radius_i + radius_k``.

    Returns the kept indices (rows of ``x``, in order) and, for every row, its cluster.
    """
    kept: list[int] = []
    label = np.empty(x.shape[0], dtype=int)
    for i in range(x.shape[0]):
        if kept:
            k = np.asarray(kept)
            d = np.linalg.norm(x[k] - x[i], axis=1)
            hit = np.flatnonzero(d <= radius[k] + radius[i])
            if hit.size:
                label[i] = int(hit[np.argmin(d[hit])])
                continue
        label[i] = len(kept)
        kept.append(i)
    return np.asarray(kept, dtype=int), label


def find_roots(
    field: Callable[[FloatArray], FloatArray],
    jacobian: Callable[[FloatArray], FloatArray],
    x0: FloatArray,
    *,
    tol: float,
    max_iter: int = 100,
    max_step: float = np.inf,
    chunk: int = 32,
    jvp: Callable[[FloatArray], Callable[[FloatArray], FloatArray]] | None = None,
    minimize: bool = True,
    slow_q_max: float | None = None,
    eigen: bool = True,
    stability_tol: float = 1e-8,
) -> RootSet:
    r"""Distinct fixed points and slow points of ``F`` reached from the rows of ``x0``.

    :func:`batched_newton` from every start; :func:`batched_levenberg_marquardt` on
    :math:`q = |F|^2/2` from the starts where Newton stalls (those that reach a root are
    polished by Newton, the others that stop at a local minimum of ``q`` are slow points);
    duplicates merged; each distinct point classified by the spectrum of its Jacobian.

    Two points are the same when their distance is at most ``r_i + r_k``, with
    :math:`r_i = 10\,|J(x_i)^{-1}F(x_i)| + \epsilon\sqrt n\,(1 + |x_i|_\infty)`: the Newton
    correction bounds a fixed point's distance to its exact root to first order, and
    :math:`\epsilon = 10^{-9}` is the rounding floor of float64 arithmetic on states of that
    size. A slow point is a minimum of :math:`q`, flat to second order, located only to about
    the square root of the gradient tolerance :data:`SLOW_GTOL`: there
    :math:`\epsilon = \sqrt{10^{-9}}` and ``r_i`` uses the last minimisation step. A point is
    ``stable`` when every eigenvalue has real part below ``-stability_tol``, ``unstable`` when
    one exceeds ``stability_tol``, else ``marginal``.
    """
    X0 = np.asarray(x0, dtype=float)
    n = X0.shape[1]
    res = batched_newton(
        field, jacobian, X0, tol=tol, max_iter=max_iter, max_step=max_step, chunk=chunk, jvp=jvp
    )
    x, resid, err, status = res.x, res.residual.copy(), res.error.copy(), res.status.copy()
    method = np.full(X0.shape[0], "newton", dtype=object)
    conv_code = STATUS.index("converged")
    slow_code = STATUS.index("slow_point")
    n_newton = int(np.sum(status == conv_code))
    todo = np.flatnonzero(status != conv_code)
    if minimize and todo.size:
        lm = batched_levenberg_marquardt(
            field, jacobian, x[todo], tol=tol, gtol=SLOW_GTOL, chunk=chunk
        )
        x[todo] = lm.x
        resid[todo], err[todo], status[todo] = lm.residual, lm.error, lm.status
        method[todo] = "minimization"
        # polish the minimisations that reached a root
        back = todo[lm.status == conv_code]
        if back.size:
            pol = batched_newton(
                field, jacobian, x[back], tol=tol, max_iter=max_iter, chunk=chunk, jvp=jvp
            )
            x[back], resid[back], err[back] = pol.x, pol.residual, pol.error
            status[back] = pol.status
    ok_fixed = (status == conv_code) & (resid <= tol)
    ok_slow = status == slow_code
    if slow_q_max is not None:
        ok_slow &= 0.5 * resid**2 <= slow_q_max
    keep = np.flatnonzero(ok_fixed | ok_slow)
    kinds = np.where(ok_fixed, "fixed", "slow").astype(object)
    # fixed points first, then slow points by increasing q
    order = keep[np.lexsort((resid[keep], ~ok_fixed[keep]))]
    e = np.where(np.isfinite(err[order]), err[order], 0.0)
    size = np.sqrt(n) * (1.0 + np.abs(x[order]).max(axis=1, initial=0.0))
    floor = np.where(ok_fixed[order], 1e-9, np.sqrt(SLOW_GTOL))
    radius = 10.0 * e + floor * size
    rep, label = _dedup(x[order], radius)
    counts = np.bincount(label, minlength=rep.size)
    sel = order[rep]
    eig: Any = None
    stab: Any = None
    n_unst: Any = None
    if eigen and sel.size:
        ev: Any = np.linalg.eigvals(jacobian(x[sel]))
        ev = np.take_along_axis(ev, np.argsort(-ev.real, axis=1, kind="stable"), axis=1)
        eig = ev
        n_unst = np.sum(ev.real > stability_tol, axis=1)
        mr = ev[:, 0].real
        stab = np.where(
            mr < -stability_tol, "stable", np.where(n_unst > 0, "unstable", "marginal")
        ).astype(object)
        # sort within kind by the rightmost eigenvalue (most stable first)
        o = np.lexsort((mr, kinds[sel] != "fixed"))
        sel, counts, eig, n_unst, stab = sel[o], counts[o], eig[o], n_unst[o], stab[o]
    elif eigen:
        eig = np.zeros((0, n), dtype=complex)
        n_unst = np.zeros(0, dtype=int)
        stab = np.zeros(0, dtype=object)
    starts_info = {
        "total": int(X0.shape[0]),
        "converged_newton": n_newton,
        "minimization": int(todo.size if minimize else 0),
        "slow": int(np.sum(ok_slow)),
        "failed": int(X0.shape[0] - np.sum(ok_fixed | ok_slow)),
    }
    return RootSet(
        index=sel,
        points=x[sel],
        residual=resid[sel],
        error=err[sel],
        kind=kinds[sel],
        method=method[sel],
        count=counts,
        eigenvalues=eig,
        stability=stab,
        n_unstable=n_unst,
        starts=starts_info,
    )
