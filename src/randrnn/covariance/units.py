r"""Per-unit order parameters of one realization: means, gains and residual statistics.

With static input, nonzero block means or a nonlinearity with a nonzero mean rate, the units
of one realization differ: unit :math:`i` fluctuates around its own time-averaged
preactivation :math:`m_i`, so its gain :math:`\mu_{1,i}` and its residual autocovariance
:math:`s_{r,i}(t)` are its own (docs/theory.md section 8.2). This module computes them:

- :func:`realization_mean_field` -- the means :math:`m = b + J\psi(m)` of one realization;
- :class:`UnitResiduals` -- gains and residual statistics of every unit, with the Laplace
  transforms, power spectra and lagged partial transforms the covariance predictions need;
- :func:`unit_residuals` -- builds them from the means and the dynamic autocovariance of the
  DMFT.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.polynomial import chebyshev as _cheb
from numpy.typing import ArrayLike
from scipy import fft as _fft

from randrnn import gaussian
from randrnn._typing import ComplexArray, FloatArray
from randrnn._validation import check_array, check_positive
from randrnn.covariance.residual import _piecewise_linear_laplace
from randrnn.errors import ConvergenceError
from randrnn.nonlinearities import AbstractNonlinearity, nonlinearity

#: relative size of the trailing Chebyshev coefficients (in the mean) accepted for s_r(m, t)
_MEAN_RTOL = 1e-10
#: most Chebyshev nodes in the mean per population
_MAX_MEAN_NODES = 129
#: Chebyshev nodes in the covariance for the pair expectation at one mean
_COV_NODES = 65

# ---------------------------------------------------------------------------------------------
# one-variable Gaussian moments at many means (vectorised)
# ---------------------------------------------------------------------------------------------


def smoothed_moments(
    phi: AbstractNonlinearity, means: FloatArray, var: FloatArray
) -> tuple[FloatArray, FloatArray]:
    r"""Return :math:`\psi_i = E[\phi(m_i + \sqrt{q_i} z)]` and :math:`\mu_{1,i} = E[\phi']`.

    Closed forms of the nonlinearity where it has them (erf, ReLU, linear), else the
    trapezoid rule of :mod:`randrnn.gaussian` (spectrally accurate for smooth :math:`\phi`),
    vectorised over units.

    Parameters
    ----------
    phi : AbstractNonlinearity
        Transfer function.
    means : (n,) ndarray
        Means :math:`m_i`.
    var : (n,) ndarray
        Variances :math:`q_i \ge 0`.

    Returns
    -------
    psi, mu1 : (n,) ndarray
        The smoothed rate and gain of every unit.
    """
    m = np.asarray(means, dtype=float)
    v = np.broadcast_to(np.asarray(var, dtype=float), m.shape)
    if phi.gaussian_mean(0.0, 1.0) is not None and phi.gaussian_gain(0.0, 1.0) is not None:
        psi = np.array([phi.gaussian_mean(float(a), float(b)) for a, b in zip(m, v, strict=True)])
        mu1 = np.array([phi.gaussian_gain(float(a), float(b)) for a, b in zip(m, v, strict=True)])
        return psi, mu1
    psi = np.empty(m.shape)
    mu1 = np.empty(m.shape)
    # units share their variance within a population: one node set per distinct variance
    for val in np.unique(v):
        sel = v == val
        x, w = gaussian._nodes(float(val))
        arg = m[sel, None] + x[None, :]
        psi[sel] = np.asarray(phi(arg), dtype=float) @ w
        mu1[sel] = np.asarray(phi.derivative(arg), dtype=float) @ w
    return psi, mu1


# ---------------------------------------------------------------------------------------------
# realization-level mean field
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class MeanField:
    r"""Time-averaged state of one realization at large N.

    Parameters
    ----------
    means : (n,) ndarray
        :math:`m_i`, time-averaged preactivations.
    rates : (n,) ndarray
        :math:`\psi_i = E[\phi(m_i + \sqrt{q_i} z)]`, time-averaged activities.
    gains : (n,) ndarray
        :math:`\mu_{1,i} = E[\phi'(m_i + \sqrt{q_i} z)]`.
    var_dynamic : (n,) ndarray
        :math:`q_i`, the dynamic variance of each unit's preactivation (from the DMFT).
    residual : float
        :math:`\max_i |m_i - b_i - \sum_j J_{ij}\psi_j|`.
    n_iter : int
        Newton iterations.
    seconds : float
        Wall time.
    """

    means: FloatArray
    rates: FloatArray
    gains: FloatArray
    var_dynamic: FloatArray
    residual: float
    n_iter: int
    seconds: float


def realization_mean_field(
    J: ArrayLike,
    b: ArrayLike,
    phi: AbstractNonlinearity | str,
    var_dynamic: ArrayLike,
    *,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> MeanField:
    r"""Solve :math:`m = b + J\,\psi(m)` for the time-averaged preactivations of a realization.

    Parameters
    ----------
    J : (n, n) array_like
        Couplings of the realization (including any block means).
    b : (n,) array_like
        Static input of the realization.
    phi : AbstractNonlinearity or str
        Transfer function.
    var_dynamic : float or (n,) array_like
        Dynamic variance :math:`q_i = \Delta_i(0) - \Delta_{i,\infty}` of each unit's
        preactivation, from the DMFT (one value per population).
    tol : float
        Tolerance on :math:`\max_i|m_i - b_i - (J\psi)_i|`.
    max_iter : int
        Newton iterations allowed.

    Returns
    -------
    MeanField
        Means, rates, gains and diagnostics.

    Raises
    ------
    ConvergenceError
        If Newton's method does not reach ``tol``.

    Notes
    -----
    **Derivation** (docs/theory.md section 8.2). Averaging
    :math:`\tau_i\dot x_i = -x_i + \sum_j J_{ij}\phi(x_j) + b_i + \sigma\xi_i` over time gives
    exactly :math:`m_i = b_i + \sum_j J_{ij}\bar\phi_j`. At large N the dynamic part of
    :math:`x_j` is Gaussian with the variance :math:`q_j` of the DMFT (the fluctuating input
    :math:`\sum_k J_{jk}\delta\phi_k` sums many weakly correlated terms), so
    :math:`\bar\phi_j = \psi_j(m_j) = E[\phi(m_j + \sqrt{q_j}z)]`. For couplings without
    symmetry (:math:`E[J_{ij}J_{ji}] = 0`) the reaction of unit :math:`j` to unit :math:`i`'s
    own fluctuation (the Onsager term of symmetric models) is of relative order
    :math:`1/\sqrt N` and is left out. Newton's method on
    :math:`F(m) = m - b - J\psi(m)`, Jacobian :math:`I - J\,\mathrm{diag}(\mu_1)`, with
    backtracking on :math:`|F|`, started from :math:`m = b`.

    **Assumptions and approximations**

    - Large N, Gaussian dynamic fluctuations of variance ``var_dynamic`` (the ensemble DMFT's),
      no coupling symmetry.
    - A unique stable solution reached from :math:`m = b` (strongly coupled static states may
      have several; the one found is the one reported).
    """
    t0 = time.perf_counter()
    phi = nonlinearity(phi)
    Jm = np.asarray(J.toarray() if hasattr(J, "toarray") else J, dtype=float)
    n = Jm.shape[0]
    bv = check_array("b", b, shape=(n,))
    q = np.broadcast_to(np.asarray(var_dynamic, dtype=float), (n,)).copy()
    if np.any(q < 0) or not np.all(np.isfinite(q)):
        raise ValueError(
            f"`var_dynamic` must be finite and >= 0; got min {float(np.min(q))!r}. It is the "
            "dynamic variance Delta(0) - Delta_inf of the DMFT."
        )
    m = bv.copy()
    psi, mu1 = smoothed_moments(phi, m, q)
    F = m - bv - Jm @ psi
    res = float(np.max(np.abs(F)))
    it = 0
    while res > tol and it < max_iter:
        it += 1
        jac = np.eye(n) - Jm * mu1[None, :]
        step = np.linalg.solve(jac, -F)
        lam = 1.0
        while True:
            m_new = m + lam * step
            psi_new, mu1_new = smoothed_moments(phi, m_new, q)
            F_new = m_new - bv - Jm @ psi_new
            res_new = float(np.max(np.abs(F_new)))
            if res_new < res or lam < 1e-4:
                break
            lam *= 0.5
        m, psi, mu1, F, res = m_new, psi_new, mu1_new, F_new, res_new
    if not res <= tol:
        raise ConvergenceError(
            f"the realization's mean field m = b + J psi(m) did not converge: residual "
            f"{res:.3e} after {it} Newton iterations (tol {tol:.1e}). The network may have "
            "several static states (strong mean coupling); check the block means.",
            n_iter=it,
            residual=res,
            tol=tol,
        )
    return MeanField(
        means=m,
        rates=psi,
        gains=mu1,
        var_dynamic=q,
        residual=res,
        n_iter=it,
        seconds=time.perf_counter() - t0,
    )


# ---------------------------------------------------------------------------------------------
# residual autocovariance at one mean
# ---------------------------------------------------------------------------------------------


def _residual_profile(
    phi: AbstractNonlinearity, mean: float, q: float, delta_dyn: FloatArray
) -> tuple[FloatArray, float, float]:
    r"""Return :math:`s_r(t)` on the lag grid for a unit of mean ``mean``, and psi, mu1.

    :math:`s_r(t) = E[\phi(m+u)\phi(m+v)] - \psi^2 - \mu_1^2\,c` at
    :math:`c = \Delta_{dyn}(t)` (:math:`u, v` of variance :math:`q`, covariance :math:`c`),
    with the pair expectation interpolated from Chebyshev nodes in :math:`c`.
    """
    psi, mu1 = (float(a[0]) for a in smoothed_moments(phi, np.array([mean]), np.array([q])))
    if q <= 0:
        return np.zeros(delta_dyn.shape), psi, mu1
    lo = max(min(float(delta_dyn.min()), 0.0), -q)
    span = q - lo
    k = np.arange(_COV_NODES)
    x = np.cos(np.pi * k / (_COV_NODES - 1))
    cov = np.clip(lo + 0.5 * (x + 1.0) * span, -q, q)
    vals = gaussian.expect_pair(phi, phi, q, cov, mean=mean) - psi * psi - mu1 * mu1 * cov
    coef = _fft.dct(vals, type=1) / (_COV_NODES - 1)
    coef[0] /= 2.0
    coef[-1] /= 2.0
    xs = (2.0 * np.clip(delta_dyn, lo, q) - (q + lo)) / span
    return _cheb.chebval(xs, coef), psi, mu1


# ---------------------------------------------------------------------------------------------
# exact transforms of piecewise-linear functions, many at once
# ---------------------------------------------------------------------------------------------


def _filon(alpha: ComplexArray, dt: float, values: FloatArray) -> ComplexArray:
    """Transforms of the piecewise-linear interpolants in ``values`` (m, k): (len(alpha), k)."""
    return _piecewise_linear_laplace(np.ravel(alpha), dt, values, None)


def _laplace_profiles(alpha: ComplexArray, dt: float, values: FloatArray) -> ComplexArray:
    r"""Laplace transforms of sampled profiles, Richardson-extrapolated to :math:`O(dt^4)`.

    The piecewise-linear transform errs by :math:`O(dt^2)` (the curvature of the profile
    between samples); combining the grids ``dt`` and ``2 dt`` as ``(4 L_dt - L_2dt) / 3``
    removes that term (checked against the spectrally accurate transform of the DMFT in the
    tests). The profiles must have decayed at the end of the grid.
    """
    m = values.shape[0]
    if m < 5:
        return _filon(alpha, dt, values)
    if (m - 1) % 2 == 0:
        fine = _filon(alpha, dt, values)
        coarse = _filon(alpha, 2.0 * dt, values[::2])
        return (4.0 * fine - coarse) / 3.0
    # odd number of steps: extrapolate all but the last step, add that step as it is
    head = values[:-1]
    fine_head = _filon(alpha, dt, head)
    coarse = _filon(alpha, 2.0 * dt, head[::2])
    last = _filon(alpha, dt, values) - fine_head
    return (4.0 * fine_head - coarse) / 3.0 + last


# ---------------------------------------------------------------------------------------------
# per-unit residual statistics
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Group:
    """Units sharing one dynamic autocovariance (a population), interpolated in the mean."""

    units: Any  # (n_g,) int indices
    node_means: FloatArray  # (c,)
    profiles: FloatArray  # (m, c): s_r at the nodes
    interp: FloatArray  # (n_g, c) barycentric interpolation matrix
    q: float


def _cheb_lobatto(lo: float, hi: float, n: int) -> FloatArray:
    if n == 1:
        return np.array([0.5 * (lo + hi)])
    x = np.cos(np.pi * np.arange(n) / (n - 1))
    return lo + 0.5 * (x + 1.0) * (hi - lo)


def _barycentric_matrix(nodes: FloatArray, x: FloatArray) -> FloatArray:
    """Interpolation matrix from values at Chebyshev-Lobatto ``nodes`` to points ``x``."""
    c = nodes.size
    if c == 1:
        return np.ones((x.size, 1))
    w = (-1.0) ** np.arange(c)
    w[0] *= 0.5
    w[-1] *= 0.5
    diff = x[:, None] - nodes[None, :]
    exact = diff == 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        k = w[None, :] / diff
        k /= k.sum(axis=1, keepdims=True)
    rows = np.flatnonzero(exact.any(axis=1))
    k[rows] = exact[rows].astype(float)
    return k


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class UnitResiduals:
    r"""Gains and residual statistics of every unit of one realization.

    Unit :math:`i` has mean :math:`m_i`, gain :math:`\mu_{1,i}` and residual autocovariance
    :math:`s_{r,i}(t) = E[\phi(x_i(s))\phi(x_i(s+t))] - \psi_i^2 - \mu_{1,i}^2\Delta_{a}(t)`
    (connected parts), where :math:`\Delta_a(t)` is the dynamic autocovariance of its
    population. The transforms are vectorised over units; they are evaluated at Chebyshev
    nodes in the mean and interpolated (nodes are added until the Chebyshev tail is below
    ``1e-10`` relative, at most 129; the tests bound the interpolation error by 1e-9 for means
    spread over several units of the dynamic standard deviation).

    Parameters
    ----------
    means, rates, gains, s_r0 : (n,) ndarray
        :math:`m_i`, :math:`\psi_i`, :math:`\mu_{1,i}`, :math:`s_{r,i}(0)`.
    population : (n,) ndarray of int
        Group (population) of each unit.
    lags : (m,) ndarray
        Uniform lag grid of the profiles (network time units).
    var_dynamic : (P,) ndarray
        Dynamic variance :math:`q_a` of each population.
    n_nodes : tuple of int
        Chebyshev nodes in the mean per population.
    description : str
        Where the statistics come from.
    """

    means: FloatArray
    rates: FloatArray
    gains: FloatArray
    s_r0: FloatArray
    population: Any
    lags: FloatArray
    var_dynamic: FloatArray
    n_nodes: tuple[int, ...]
    description: str
    _groups: tuple[_Group, ...] = ()

    @property
    def n(self) -> int:
        """Number of units."""
        return int(self.means.size)

    @property
    def dt(self) -> float:
        """Lag step of the profiles."""
        return float(self.lags[1] - self.lags[0])

    @property
    def rate(self) -> float:
        r"""Frequency scale of the narrowest feature of the residual spectra (1 / corr. time)."""
        rates = []
        for g in self._groups:
            p = np.abs(g.profiles).max(axis=1)
            if p[0] <= 1e-12 * max(g.q, 1e-300):  # no residual (linear phi): rounding only
                continue
            area = float(np.sum(p)) * self.dt
            rates.append(max(p[0] / max(area, 1e-300), 1e-8))
        return float(min(rates)) if rates else 1.0

    def profile(self, units: ArrayLike) -> FloatArray:
        r"""Return :math:`s_{r,i}(t)` on ``lags`` for the given units, shape ``(len(units), m)``."""
        idx = np.atleast_1d(np.asarray(units, dtype=int))
        out = np.empty((idx.size, self.lags.size))
        for g in self._groups:
            pos = np.searchsorted(g.units, idx)
            pos = np.minimum(pos, g.units.size - 1)
            hit = g.units[pos] == idx
            if np.any(hit):
                out[hit] = g.interp[pos[hit]] @ g.profiles.T
        return out

    def _per_unit(self, node_values: list[ComplexArray]) -> ComplexArray:
        """Interpolate ``(c, k)`` node values of each group to ``(n, k)`` unit values."""
        k = node_values[0].shape[1]
        out = np.empty((self.n, k), dtype=np.complex128)
        for g, v in zip(self._groups, node_values, strict=True):
            out[g.units] = g.interp @ v
        return out

    def laplace(self, alpha: ArrayLike) -> ComplexArray:
        r"""Return :math:`S_i(\alpha_k) = \int_0^\infty s_{r,i}(t)e^{-\alpha_k t}dt`, ``(n, k)``."""
        a = np.asarray(alpha, dtype=np.complex128).ravel()
        return self._per_unit([_laplace_profiles(a, self.dt, g.profiles).T for g in self._groups])

    def spectrum(self, w: ArrayLike) -> FloatArray:
        r"""Return :math:`S_{r,i}(\omega) = 2\,\mathrm{Re}\,S_i(i\omega)`, shape ``(n, len(w))``."""
        wv = np.asarray(w, dtype=float).ravel()
        return 2.0 * self.laplace(1j * wv + 1e-300).real

    def lagged(
        self, alpha: ArrayLike, lag_steps: ArrayLike
    ) -> list[tuple[ComplexArray, ComplexArray]]:
        r"""Partial transforms at the lags :math:`t_j = ` ``lag_steps[j] * dt``.

        Returns, per lag, ``(past, future)``, each ``(n, k)``:
        :math:`\int_{-\infty}^{t} s_{r,i}(u)e^{-\alpha_k(t-u)}du` and
        :math:`\int_t^\infty s_{r,i}(u)e^{-\alpha_k(u-t)}du` (``s_r`` is even). Computed by
        exact recursions over the lag grid for the piecewise-linear profiles,
        Richardson-extrapolated over the steps ``dt`` and ``2 dt`` at even lags (lag 0 is the
        Laplace transform itself); cost :math:`O(nkc)` per lag step for ``c`` nodes.
        """
        a = np.asarray(alpha, dtype=np.complex128).ravel()
        steps = np.asarray(lag_steps, dtype=int).ravel()
        node_vals = []
        for g in self._groups:
            s_full = _laplace_profiles(a, self.dt, g.profiles).T  # (c, k)
            head, fut = _recursions(a, self.dt, g.profiles, steps)
            node_vals.append((s_full, head, fut))
        out = []
        for j, st in enumerate(steps):
            t = st * self.dt
            decay = np.exp(-a * t)[None, :]
            past = [sf * decay + hd[j] for sf, hd, _ in node_vals]
            future = [sf if st == 0 else ft[j] for sf, _, ft in node_vals]
            out.append((self._per_unit(past), self._per_unit(future)))
        return out


def _recursion_pass(
    alpha: ComplexArray, h: float, prof: FloatArray, steps: Any
) -> tuple[ComplexArray, ComplexArray]:
    """Head and future partial transforms at ``steps`` (grid ``h``), shapes ``(L, c, k)``."""
    m, c = prof.shape
    z = alpha * h
    e = np.exp(-z)
    small = np.abs(z) < 1e-4
    with np.errstate(divide="ignore", invalid="ignore"):
        i0 = np.where(small, h * (1 - z / 2 + z * z / 6), (1 - e) / alpha)
        i1 = np.where(small, h * (0.5 - z / 3 + z * z / 8), (1.0 - i0 / h) / alpha)
        j1 = np.where(small, h * (0.5 - z / 6 + z * z / 24), (i0 / h - e) / alpha)
    L = len(steps)
    head = np.zeros((L, c, alpha.size), dtype=np.complex128)
    fut = np.zeros((L, c, alpha.size), dtype=np.complex128)
    want: dict[int, list[int]] = {}
    for idx, st in enumerate(steps):
        want.setdefault(int(st), []).append(idx)
    top = max(want)
    acc = np.zeros((c, alpha.size), dtype=np.complex128)
    for j in range(min(top, m - 1) + 1):
        if j in want:
            for idx in want[j]:
                head[idx] = acc
        if j + 1 < m:
            ds = prof[j + 1] - prof[j]
            acc = e[None, :] * acc + prof[j][:, None] * i0[None, :] + ds[:, None] * i1[None, :]
    for st, idxs in want.items():  # lags beyond the profile: the head is complete
        if st >= m:
            for idx in idxs:
                head[idx] = acc * np.exp(-alpha * (st - m + 1) * h)[None, :]
    acc = np.zeros((c, alpha.size), dtype=np.complex128)
    for j in range(m - 2, -1, -1):
        ds = prof[j + 1] - prof[j]
        acc = e[None, :] * acc + prof[j][:, None] * i0[None, :] + ds[:, None] * j1[None, :]
        if j in want:
            for idx in want[j]:
                fut[idx] = acc
    return head, fut


def _recursions(
    alpha: ComplexArray, h: float, prof: FloatArray, steps: Any
) -> tuple[ComplexArray, ComplexArray]:
    """Richardson-extrapolated recursions at even steps (``(4 f_h - f_2h) / 3``)."""
    head, fut = _recursion_pass(alpha, h, prof, steps)
    even = np.array([st % 2 == 0 for st in steps])
    if prof.shape[0] >= 5 and np.any(even):
        half = [int(st) // 2 for st in np.asarray(steps)[even]]
        h2, f2 = _recursion_pass(alpha, 2.0 * h, prof[::2], half)
        head[even] = (4.0 * head[even] - h2) / 3.0
        fut[even] = (4.0 * fut[even] - f2) / 3.0
    return head, fut


def unit_residuals(
    phi: AbstractNonlinearity | str,
    means: ArrayLike,
    lags: ArrayLike,
    delta_dynamic: ArrayLike,
    population: ArrayLike | None = None,
    *,
    description: str = "per-unit residuals",
) -> UnitResiduals:
    r"""Per-unit gains and residual statistics from the means and the DMFT autocovariance.

    Parameters
    ----------
    phi : AbstractNonlinearity or str
        Transfer function.
    means : (n,) array_like
        Time-averaged preactivations :math:`m_i` (:func:`realization_mean_field`).
    lags : (m,) array_like
        Uniform lag grid starting at 0.
    delta_dynamic : (m,) or (P, m) array_like
        Dynamic autocovariance :math:`\Delta_a(t) - \Delta_{a,\infty}` of each population on
        ``lags`` (decayed at the end of the grid).
    population : (n,) array_like of int, optional
        Population of each unit (default: all in population 0).
    description : str
        Recorded with the result.

    Returns
    -------
    UnitResiduals
        The statistics.

    Notes
    -----
    For each population the profile :math:`s_r(m, t)` is tabulated at Chebyshev-Lobatto nodes
    in the mean spanning the units' means (9, 17, 33, ..., at most 129, nested, until the trailing
    Chebyshev coefficients fall below 1e-10 of the largest), each node's pair expectation
    :math:`E[\phi(m+u)\phi(m+v)]` interpolated in the covariance from 65 Chebyshev nodes.
    """
    phi = nonlinearity(phi)
    mv = check_array("means", means, shape=(None,))
    n = mv.size
    t = check_array("lags", lags, shape=(None,))
    if t.size < 3 or t[0] != 0.0:
        raise ValueError(f"`lags` must be a uniform grid starting at 0; got {t[:3]!r}.")
    check_positive("lags[1]", float(t[1] - t[0]))
    dd = np.atleast_2d(np.asarray(delta_dynamic, dtype=float))
    if dd.shape[1] != t.size:
        raise ValueError(
            f"`delta_dynamic` must have {t.size} lags (one row per population); got shape "
            f"{dd.shape}."
        )
    pop = np.zeros(n, dtype=int) if population is None else np.asarray(population, dtype=int)
    if pop.shape != (n,) or pop.min() < 0 or pop.max() >= dd.shape[0]:
        raise ValueError(
            f"`population` must hold {n} indices below {dd.shape[0]} (rows of delta_dynamic); "
            f"got shape {pop.shape}."
        )
    # the DMFT grid may be far longer than the profiles' support: trim where Delta_dyn has
    # decayed to 1e-13 of its peak in every population
    peak = np.abs(dd).max(axis=1, keepdims=True)
    alive = np.abs(dd) > 1e-13 * np.maximum(peak, 1e-300)
    last = int(np.max(np.nonzero(alive.any(axis=0))[0], initial=0))
    keep = min(t.size, last + 20)
    t = t[:keep]
    dd = dd[:, :keep]
    groups = []
    rates = np.empty(n)
    gains = np.empty(n)
    s0 = np.empty(n)
    n_nodes = []
    for a in range(dd.shape[0]):
        units = np.flatnonzero(pop == a)
        if units.size == 0:
            n_nodes.append(0)
            continue
        q = float(dd[a, 0])
        lo, hi = float(mv[units].min()), float(mv[units].max())
        if hi - lo <= 1e-12 * max(1.0, abs(hi)):
            nodes = np.array([0.5 * (lo + hi)])
            profiles = _residual_profile(phi, float(nodes[0]), q, dd[a])[0][:, None]
        else:
            nodes, profiles = _adaptive_nodes(phi, lo, hi, q, dd[a])
        interp = _barycentric_matrix(nodes, mv[units])
        groups.append(_Group(units=units, node_means=nodes, profiles=profiles, interp=interp, q=q))
        n_nodes.append(int(nodes.size))
        psi_u, mu_u = smoothed_moments(phi, mv[units], np.full(units.size, q))
        rates[units] = psi_u
        gains[units] = mu_u
        s0[units] = interp @ profiles[0]
    return UnitResiduals(
        means=mv,
        rates=rates,
        gains=gains,
        s_r0=s0,
        population=pop,
        lags=t,
        var_dynamic=dd[:, 0].copy(),
        n_nodes=tuple(n_nodes),
        description=description,
        _groups=tuple(groups),
    )


def _adaptive_nodes(
    phi: AbstractNonlinearity, lo: float, hi: float, q: float, delta_dyn: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Chebyshev-Lobatto nodes in the mean, doubled until the profiles are resolved."""
    cache: dict[float, tuple[FloatArray, float, float]] = {}

    def at(nodes: FloatArray) -> FloatArray:
        out = []
        for x in nodes:
            key = round(float(x), 12)
            if key not in cache:
                cache[key] = _residual_profile(phi, float(x), q, delta_dyn)
            out.append(cache[key][0])
        return np.stack(out, axis=1)

    c = 9
    while True:
        nodes = _cheb_lobatto(lo, hi, c)
        prof = at(nodes)
        # Chebyshev coefficients in the mean, per lag: tail relative to the largest
        coef = _fft.dct(prof[:, ::-1], type=1, axis=1) / (c - 1)
        scale = max(float(np.abs(coef).max()), 1e-300)
        tail = float(np.abs(coef[:, -3:]).max()) / scale
        if tail <= _MEAN_RTOL or c >= _MAX_MEAN_NODES:
            return nodes, prof
        c = 2 * c - 1
