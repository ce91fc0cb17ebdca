r"""Spectral density at finite connectivity: population dynamics on the cavity equations.

``docs/theory.md`` section 5.3; Rogers & Pérez Castillo (2009), Metz, Neri & Rogers (2019) for
the cavity method of the Hermitized resolvent of sparse non-Hermitian matrices; the ensemble of
Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767.

For :math:`A = T^{-1}(-I + WH)` write :math:`M(z) = WH - D(z)`, :math:`D = \mathrm{diag}(1 +
z\tau_i)`. On the locally tree-like graph of a sparse block ensemble the diagonal of the
regularized Hermitized resolvent obeys, for each unit ``j``,

.. math::
    \alpha_j = \epsilon + \sum_{k \to j} w_{jk}^2 h_k^2\, d_k,\qquad
    \beta_j = \epsilon + h_j^2 \sum_{j \to k} w_{kj}^2\, a_k,\qquad
    a_j = \beta_j/\Delta_j,\quad d_j = \alpha_j/\Delta_j,\quad
    \Delta_j = \alpha_j\beta_j + |1 + z\tau_j|^2,

and :math:`g(z) = n^{-1}\mathrm{Tr}(z - A)^{-1} = E[\tau\,\overline{D}/\Delta]`. With Poisson
degrees the cavity and full laws coincide; the joint law of :math:`(\tau, h, a, d)` per
population is sampled by a pool that is updated in sweeps (population dynamics). The eigenvalue
mass in a region ``R`` is the contour integral :math:`(2\pi i)^{-1}\oint_{\partial R} g\,dz`
(no numerical differentiation).

Variance reduction:

- **Common random numbers.** Every point ``z`` is iterated with the same random draws (degrees,
  neighbours, weights, timescales, gains), so ``g`` is a smooth function of ``z`` and contour
  integrals over small cells do not difference independent noise.
- **Control variate for the poles.** :math:`g = \sum_b \alpha_b E_b[\tau/(1 + z\tau)] +
  E[\tau\overline D/\Delta - \tau/D]`. The first term is known exactly; its contour integral is
  the fraction of timescale poles :math:`-1/\tau` inside ``R`` (from the timescale laws' CDFs).
  The pool only estimates the second term, which vanishes outside the continuous support and for
  units outside the giant strongly connected component (the bar).

Populations without outgoing edges (a pruned excitatory periphery) carry no pool: their
eigenvalues are exactly :math:`-1/\tau` and their :math:`a_k = O(\epsilon)` feed back only at
order :math:`\epsilon`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numba as nb
import numpy as np

from randrnn._typing import ComplexArray, FloatArray
from randrnn._validation import (
    as_rng,
    check_array,
    check_nonnegative_int,
    check_positive,
    check_positive_int,
)
from randrnn.ensembles import JacobianEnsemble
from randrnn.errors import ConvergenceError
from randrnn.rmt.growth import _block_ensemble, _laws, _log_rho
from randrnn.rmt.perron import _check_ensemble

_REFS = ("chotibut2025", "rogers2009", "metz2019")
#: Gauss-Legendre points per cell edge near the real axis in :func:`cavity_density`
_EDGE_POINTS = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class CavitySettings:
    """Population-dynamics settings of the finite-connectivity density.

    Parameters
    ----------
    pool : int
        Pool members per population with outgoing edges.
    burn_in : int
        Sweeps before measuring (each sweep redraws every member once).
    sweeps : int
        Measured sweeps (averaged).
    batches : int
        Batches of the measured sweeps; their spread gives the standard errors.
    regulator : float
        :math:`\\epsilon` of the Hermitized resolvent (absolute; the bulk has
        :math:`\\alpha\\beta = O(1)`).
    points_per_side : int
        Gauss-Legendre points per rectangle side in region integrals.
    seed : int
        Seed of the pool's random draws.
    """

    pool: int = 2000
    burn_in: int = 60
    sweeps: int = 120
    batches: int = 12
    regulator: float = 1e-7
    points_per_side: int = 64
    seed: int = 0

    def __post_init__(self) -> None:
        check_positive_int("cavity.pool", self.pool)
        check_nonnegative_int("cavity.burn_in", self.burn_in)
        check_positive_int("cavity.sweeps", self.sweeps)
        check_positive_int("cavity.batches", self.batches)
        check_positive("cavity.regulator", self.regulator)
        check_positive_int("cavity.points_per_side", self.points_per_side)
        check_nonnegative_int("cavity.seed", self.seed)
        if self.batches < 2 or self.sweeps < self.batches:
            raise ValueError(
                f"`cavity.batches` must be >= 2 and <= `cavity.sweeps` ({self.sweeps}) for "
                f"standard errors; got {self.batches}."
            )

    def to_dict(self) -> dict[str, Any]:
        """The ``[cavity]`` table."""
        return {
            "pool": self.pool,
            "burn_in": self.burn_in,
            "sweeps": self.sweeps,
            "batches": self.batches,
            "regulator": self.regulator,
            "points_per_side": self.points_per_side,
            "seed": self.seed,
        }


# -- the pool's random draws, shared by every z -------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Draws:
    tau: FloatArray  # (S, M) timescales per sweep and member
    h2: FloatArray  # (S, M) squared gains
    weight: FloatArray  # (M,) population fraction / pool size
    in_ptr: Any  # (S, M + 1) int64 offsets into in_src / in_w
    in_src: Any
    in_w: FloatArray  # w^2 h_src^2 (h of the source as drawn in the previous sweep)
    out_ptr: Any
    out_dst: Any
    out_w: FloatArray  # w^2
    active: tuple[int, ...]  # populations with a pool


def _active_populations(ens: JacobianEnsemble, c: FloatArray) -> tuple[int, ...]:
    """Populations that send edges (a column of ``c`` non-zero) and are not all silent."""
    return tuple(
        b for b in range(c.shape[0]) if np.any(c[:, b] > 0) and ens.gain[b].zero_fraction < 1.0
    )


def _draw(ens: JacobianEnsemble, settings: CavitySettings, n_sweeps: int) -> _Draws:
    block = _block_ensemble(ens)
    stats = block.statistics()
    c = np.asarray(stats.in_degree, dtype=float)
    sizes = np.asarray(stats.sizes, dtype=float)
    alpha = ens.alpha
    act = _active_populations(ens, c)
    M = settings.pool
    A = len(act)
    rng = as_rng(settings.seed)
    starts = {b: i * M for i, b in enumerate(act)}
    Mt = A * M
    tau = np.empty((n_sweeps + 1, Mt))
    h2 = np.empty((n_sweeps + 1, Mt))
    for s in range(n_sweeps + 1):
        counts = [M if b in starts else 0 for b in range(ens.n_populations)]
        taus, gains = ens.sample_units(rng, counts)
        for b in act:
            tau[s, starts[b] : starts[b] + M] = taus[b]
            h2[s, starts[b] : starts[b] + M] = gains[b] ** 2
    weight = np.concatenate([np.full(M, alpha[b] / M) for b in act])
    scale2 = block.scale**2
    in_ptr = np.zeros((n_sweeps, Mt + 1), dtype=np.int64)
    out_ptr = np.zeros((n_sweeps, Mt + 1), dtype=np.int64)
    in_src_l: list[Any] = []
    in_w_l: list[Any] = []
    out_dst_l: list[Any] = []
    out_w_l: list[Any] = []
    n_in = n_out = 0
    for s in range(n_sweeps):
        src_s, cnt_in = [], np.zeros(Mt, dtype=np.int64)
        dst_s, cnt_out = [], np.zeros(Mt, dtype=np.int64)
        for a in act:
            ia = starts[a]
            for b in act:
                # in-edges of members of a from pool b: Poisson(c_ab)
                if c[a, b] > 0:
                    k = rng.poisson(c[a, b], M)
                    owner = np.repeat(np.arange(M), k) + ia
                    src = starts[b] + rng.integers(0, M, k.sum())
                    w2 = block.weights[a][b].sample(rng, src.size) ** 2 * scale2
                    src_s.append((owner, src, w2 * h2[s, src]))
                    cnt_in[ia : ia + M] += k
                # out-edges of members of a into pool b: Poisson(c_ba n_b / n_a)
                if c[b, a] > 0:
                    k = rng.poisson(c[b, a] * sizes[b] / sizes[a], M)
                    owner = np.repeat(np.arange(M), k) + ia
                    dst = starts[b] + rng.integers(0, M, k.sum())
                    w2 = block.weights[b][a].sample(rng, dst.size) ** 2 * scale2
                    dst_s.append((owner, dst, w2))
                    cnt_out[ia : ia + M] += k
        for parts, cnt, ptr, idx_l, w_l, base in (
            (src_s, cnt_in, in_ptr, in_src_l, in_w_l, n_in),
            (dst_s, cnt_out, out_ptr, out_dst_l, out_w_l, n_out),
        ):
            if parts:
                owner = np.concatenate([p[0] for p in parts])
                order = np.argsort(owner, kind="stable")
                idx_l.append(np.concatenate([p[1] for p in parts])[order])
                w_l.append(np.concatenate([p[2] for p in parts])[order])
            ptr[s, 1:] = base + np.cumsum(cnt)
            ptr[s, 0] = base
        n_in = int(in_ptr[s, -1])
        n_out = int(out_ptr[s, -1])

    def cat(parts: list[Any], dtype: Any) -> Any:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

    return _Draws(
        tau=tau[1:],
        h2=h2[1:],
        weight=weight,
        in_ptr=in_ptr,
        in_src=cat(in_src_l, np.int64),
        in_w=cat(in_w_l, float),
        out_ptr=out_ptr,
        out_dst=cat(out_dst_l, np.int64),
        out_w=cat(out_w_l, float),
        active=act,
    )


@nb.njit(parallel=True, cache=True, error_model="numpy")
def _pool_kernel(  # pragma: no cover - compiled
    zr: Any,
    zi: Any,
    tau: Any,
    h2: Any,
    weight: Any,
    in_ptr: Any,
    in_src: Any,
    in_w: Any,
    out_ptr: Any,
    out_dst: Any,
    out_w: Any,
    eps: float,
    burn: int,
    n_batches: int,
    corr_re: Any,
    corr_im: Any,
    blob: Any,
) -> None:
    nz = zr.size
    S, M = tau.shape
    per = (S - burn) // n_batches
    for iz in nb.prange(nz):
        a = np.ones(M)
        d = np.ones(M)
        an = np.empty(M)
        dn = np.empty(M)
        x = zr[iz]
        y = zi[iz]
        for s in range(S):
            k = (s - burn) // per if s >= burn else -1
            if k >= n_batches:
                k = n_batches - 1
            for i in range(M):
                t = tau[s, i]
                Dr = 1.0 + x * t
                Di = y * t
                D2 = Dr * Dr + Di * Di
                al = eps
                for e in range(in_ptr[s, i], in_ptr[s, i + 1]):
                    al += in_w[e] * d[in_src[e]]
                be = 0.0
                for e in range(out_ptr[s, i], out_ptr[s, i + 1]):
                    be += out_w[e] * a[out_dst[e]]
                be = eps + h2[s, i] * be
                ab = al * be
                den = ab + D2
                an[i] = be / den
                dn[i] = al / den
                if k >= 0:
                    # tau conj(D) / den - tau / D = -tau conj(D) ab / (den |D|^2)
                    f = -weight[i] * t * ab / (den * D2)
                    corr_re[iz, k] += f * Dr
                    corr_im[iz, k] -= f * Di
                    blob[iz] += weight[i] * ab / den
            a, an = an, a
            d, dn = dn, d
        for k in range(n_batches):
            n_k = per if k < n_batches - 1 else (S - burn) - per * (n_batches - 1)
            corr_re[iz, k] /= n_k
            corr_im[iz, k] /= n_k
        blob[iz] /= S - burn


@dataclass(frozen=True, slots=True, kw_only=True)
class CavityResolvent:
    r"""The pool's estimate of the resolvent correction at points ``z``.

    Attributes
    ----------
    z : ndarray of complex
        Points.
    correction : (nz, batches) ndarray of complex
        :math:`E[\tau\overline D/\Delta - \tau/D]` per batch of measured sweeps (zero outside
        the first-moment support, where it vanishes as :math:`\epsilon \to 0`).
    blob : (nz,) ndarray
        :math:`E[\alpha\beta/\Delta]`: the population-weighted order parameter of the
        continuous part (0 outside the support).
    settings : CavitySettings
        The settings.
    active : tuple of int
        Populations with a pool.
    seconds : float
        Wall time of the population dynamics.
    """

    z: ComplexArray
    correction: ComplexArray
    blob: FloatArray
    settings: CavitySettings
    active: tuple[int, ...]
    seconds: float

    @property
    def mean(self) -> ComplexArray:
        """Correction averaged over batches."""
        return np.asarray(self.correction.mean(axis=-1))


def _support_mask(ens: JacobianEnsemble, z: ComplexArray, n_quad: int, margin: float) -> Any:
    """Points where the first-moment criterion allows a continuous part (a superset)."""
    laws = _laws(ens, n_quad)
    return _log_rho(laws, z, 1.0) >= -margin


def cavity_resolvent(
    ensemble: JacobianEnsemble,
    z: Any,
    settings: CavitySettings | None = None,
    *,
    n_quad: int = 32,
) -> CavityResolvent:
    """Run the population dynamics at points ``z`` (common random numbers across points).

    Parameters
    ----------
    ensemble : JacobianEnsemble
        A sparse block ensemble.
    z : array_like of complex
        Points.
    settings : CavitySettings, optional
        Pool size, sweeps, batches, regulator, seed.
    n_quad : int
        Quadrature nodes of the first-moment mask.

    Returns
    -------
    CavityResolvent
        The correction per batch and the order parameter.
    """
    ens = _check_ensemble(ensemble)
    st = settings or CavitySettings()
    zz = np.asarray(z, dtype=complex).ravel()
    n_b = st.batches
    corr = np.zeros((zz.size, n_b), dtype=complex)
    blob = np.zeros(zz.size)
    t0 = time.perf_counter()
    mask = _support_mask(ens, zz, n_quad, margin=0.05) if zz.size else np.zeros(0, bool)
    idx = np.flatnonzero(mask)
    dr = _draw(ens, st, st.burn_in + st.sweeps)
    if idx.size and dr.tau.shape[1]:
        cr = np.zeros((idx.size, n_b))
        ci = np.zeros((idx.size, n_b))
        bl = np.zeros(idx.size)
        _pool_kernel(
            np.ascontiguousarray(zz.real[idx]),
            np.ascontiguousarray(zz.imag[idx]),
            dr.tau,
            dr.h2,
            dr.weight,
            dr.in_ptr,
            dr.in_src,
            dr.in_w,
            dr.out_ptr,
            dr.out_dst,
            dr.out_w,
            float(st.regulator),
            int(st.burn_in),
            int(n_b),
            cr,
            ci,
            bl,
        )
        corr[idx] = cr + 1j * ci
        blob[idx] = bl
    return CavityResolvent(
        z=zz,
        correction=corr,
        blob=blob,
        settings=st,
        active=dr.active,
        seconds=time.perf_counter() - t0,
    )


def _drift_z(batches: FloatArray) -> FloatArray:
    """(late half - early half) of the batch means over its standard error, along the last axis.

    A stationary pool gives |z| of order 1; a large value says the burn-in was too short.
    """
    k = batches.shape[-1] // 2
    a, b = batches[..., :k], batches[..., k:]
    se = np.sqrt(a.var(axis=-1, ddof=1) / a.shape[-1] + b.var(axis=-1, ddof=1) / b.shape[-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (b.mean(axis=-1) - a.mean(axis=-1)) / se
    return np.where(se > 0, z, 0.0)


# -- exact pole part ------------------------------------------------------------------------------


def _pole_mass(ens: JacobianEnsemble, x0: Any, x1: Any) -> FloatArray:
    r"""Fraction of all timescale poles :math:`-1/\tau` in ``(x0, x1)`` (elementwise)."""
    x0 = np.asarray(x0, dtype=float)
    x1 = np.minimum(np.asarray(x1, dtype=float), 0.0)
    out = np.zeros(np.broadcast(x0, x1).shape)
    # -1/tau > x0  <=>  tau > -1/x0 ;  -1/tau < x1  <=>  tau < -1/x1   (x0 < x1 <= 0)
    with np.errstate(divide="ignore"):
        t_lo = np.where(x0 < 0, -1.0 / np.minimum(x0, -1e-300), np.inf)
        t_hi = np.where(x1 < 0, -1.0 / np.minimum(x1, -1e-300), np.inf)
    for a, d in enumerate(ens.tau):
        hi = np.asarray(d.cdf(np.where(np.isfinite(t_hi), t_hi, 1e300)))
        lo = np.asarray(d.cdf(np.where(np.isfinite(t_lo), t_lo, 1e300)))
        p = np.where(np.isfinite(t_hi), hi, 1.0) - np.where(np.isfinite(t_lo), lo, 1.0)
        out = out + ens.alpha[a] * np.where(x0 < x1, np.clip(p, 0.0, 1.0), 0.0)
    return out


# -- regions --------------------------------------------------------------------------------------


def _check_rectangles(rectangles: Any) -> FloatArray:
    r = check_array("rectangles", rectangles, shape=(None, 4), finite=False)
    if np.any(np.isnan(r)):
        raise ValueError("`rectangles` must not contain NaN; use +-inf for unbounded sides.")
    bad = (r[:, 1] <= r[:, 0]) | (r[:, 3] <= r[:, 2])
    if np.any(bad):
        raise ValueError(
            "`rectangles` rows must be [x0, x1, y0, y1] with x0 < x1 and y0 < y1; got "
            f"{r[bad].tolist()}."
        )
    return r


@dataclass(frozen=True, slots=True, kw_only=True)
class RegionPrediction:
    """Predicted fraction of eigenvalues in rectangles at finite connectivity.

    Attributes
    ----------
    rectangles : (k, 4) ndarray
        ``[x0, x1, y0, y1]`` per region.
    fraction : (k,) ndarray
        Predicted fraction of all eigenvalues.
    fraction_se : (k,) ndarray
        Its standard error (batch means of the pool).
    pole_fraction : (k,) ndarray
        Exact part: fraction of timescale poles inside (all units).
    continuous_fraction : (k,) ndarray
        The pool's part (``fraction - pole_fraction``).
    drift_z : (k,) ndarray
        Convergence diagnostic: the late half of the batches minus the early half, over its
        standard error (order 1 for a stationary pool; large: raise ``burn_in``).
    settings : CavitySettings
        Pool settings.
    seconds : float
        Wall time.
    """

    rectangles: FloatArray
    fraction: FloatArray
    fraction_se: FloatArray
    pole_fraction: FloatArray
    continuous_fraction: FloatArray
    drift_z: FloatArray
    settings: CavitySettings
    seconds: float

    def to_xarray(self) -> Any:
        """Variables over dimension ``region``."""
        import xarray as xr

        return xr.Dataset(
            {
                "region_bounds": (("region", "bound"), self.rectangles),
                "region_fraction_pred": ("region", self.fraction),
                "region_fraction_pred_se": ("region", self.fraction_se),
                "region_pole_fraction": ("region", self.pole_fraction),
                "region_drift_z": ("region", self.drift_z),
            },
            coords={"bound": ["x0", "x1", "y0", "y1"]},
            attrs={"cavity": str(self.settings.to_dict())},
        )


def _support_box(ens: JacobianEnsemble, n_quad: int) -> tuple[float, float, float]:
    """(x_left, x_right, y_top) enclosing the first-moment support, padded (the boundary on
    its default 60-point grid is computed once per ensemble, see ``sparse_boundary``)."""
    from randrnn.rmt.growth import sparse_boundary

    b = sparse_boundary(ens, n_points=60, n_quad=n_quad)
    k = b.y_max_first_moment > 0
    if not np.any(k):
        return -1.0, 0.0, 1.0
    xs = b.x[k]
    pad = 0.05 * (xs.max() - xs.min() + 1e-12)
    return float(xs.min() - pad), float(xs.max() + pad), float(1.05 * b.y_max_first_moment.max())


def cavity_regions(
    ensemble: JacobianEnsemble,
    rectangles: Any,
    settings: CavitySettings | None = None,
    *,
    n_quad: int = 32,
) -> RegionPrediction:
    r"""Predict the fraction of eigenvalues in each rectangle at finite connectivity.

    Parameters
    ----------
    ensemble : JacobianEnsemble
        A sparse block ensemble.
    rectangles : (k, 4) array_like
        ``[x0, x1, y0, y1]`` per region (infinite bounds allowed). Sides that cross the real
        axis should do so outside the segment of timescale poles, where ``g`` is smooth.
    settings : CavitySettings, optional
        Pool settings.
    n_quad : int
        Quadrature nodes of the support mask.

    Returns
    -------
    RegionPrediction
        Fractions with standard errors, split into the exact pole part and the pool's part.

    Notes
    -----
    :math:`N(R)/N = \sum_b \alpha_b P_b(-1/\tau \in R) + (2\pi i)^{-1}\oint_{\partial R}
    E[\tau\overline D/\Delta - \tau/D]\,dz`, the contour integral by Gauss-Legendre on each side
    (infinite sides are cut where the first-moment support ends: the integrand vanishes beyond).
    """
    ens = _check_ensemble(ensemble)
    st = settings or CavitySettings()
    rect = _check_rectangles(rectangles)
    on_axis = (rect[:, 2] == 0) | (rect[:, 3] == 0)
    if np.any(on_axis):
        raise ValueError(
            "`rectangles` must not have a side on the real axis (it runs through the timescale "
            f"poles and the bar); got {rect[on_axis].tolist()}. Use a strip around the axis, "
            "e.g. y0 = -0.01 * height, or a side just off it."
        )
    t0 = time.perf_counter()
    xl, xr, yt = _support_box(ens, n_quad)
    r = rect.copy()
    r[:, 0] = np.maximum(r[:, 0], xl)
    r[:, 1] = np.minimum(r[:, 1], xr)
    r[:, 2] = np.maximum(r[:, 2], -yt)
    r[:, 3] = np.minimum(r[:, 3], yt)
    u, w = np.polynomial.legendre.leggauss(st.points_per_side)
    u, w = 0.5 * (u + 1.0), 0.5 * w
    pts, wts, owner = [], [], []
    for k, (x0, x1, y0, y1) in enumerate(r):
        if x1 <= x0 or y1 <= y0:
            continue
        corners = [complex(x0, y0), complex(x1, y0), complex(x1, y1), complex(x0, y1)]
        for j in range(4):
            p, q = corners[j], corners[(j + 1) % 4]
            pts.append(p + (q - p) * u)
            wts.append((q - p) * w)
            owner.append(np.full(u.size, k))
    cont = np.zeros((rect.shape[0], st.batches))
    if pts:
        zz = np.concatenate(pts)
        res = cavity_resolvent(ens, zz, st, n_quad=n_quad)
        vals = res.correction * np.concatenate(wts)[:, None]  # (nz, batches)
        ow = np.concatenate(owner)
        integ = np.zeros((rect.shape[0], st.batches), dtype=complex)
        np.add.at(integ, ow, vals)
        cont = (integ / (2j * np.pi)).real
    crosses = (rect[:, 2] < 0) & (rect[:, 3] > 0)
    poles = np.where(crosses, _pole_mass(ens, rect[:, 0], rect[:, 1]), 0.0)
    mean = cont.mean(axis=1)
    se = cont.std(axis=1, ddof=1) / math.sqrt(st.batches)
    return RegionPrediction(
        rectangles=rect,
        fraction=poles + mean,
        fraction_se=se,
        pole_fraction=poles,
        continuous_fraction=mean,
        drift_z=_drift_z(cont),
        settings=st,
        seconds=time.perf_counter() - t0,
    )


# -- density on a grid ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CavityDensity:
    """Predicted eigenvalue mass per cell of a grid at finite connectivity.

    Attributes
    ----------
    x_edges, y_edges : ndarray
        Cell edges.
    mass : (nx, ny) ndarray
        Predicted fraction of all eigenvalues per cell.
    mass_se : (nx, ny) ndarray
        Standard error of the pool's part (batch means).
    pole_mass : (nx, ny) ndarray
        Exact part: timescale poles in cells that straddle the real axis.
    density : (nx, ny) ndarray
        ``mass`` / cell area.
    blob : (nx + 1, ny + 1) ndarray
        Order parameter :math:`E[\\alpha\\beta/\\Delta]` at the grid nodes.
    max_drift_z : float
        Largest convergence diagnostic over cells (see :class:`RegionPrediction`).
    settings : CavitySettings
        Pool settings.
    seconds : float
        Wall time.
    """

    x_edges: FloatArray
    y_edges: FloatArray
    mass: FloatArray
    mass_se: FloatArray
    pole_mass: FloatArray
    density: FloatArray
    blob: FloatArray
    max_drift_z: float
    settings: CavitySettings
    seconds: float

    @property
    def x(self) -> FloatArray:
        """Cell centres (real part)."""
        return 0.5 * (self.x_edges[1:] + self.x_edges[:-1])

    @property
    def y(self) -> FloatArray:
        """Cell centres (imaginary part)."""
        return 0.5 * (self.y_edges[1:] + self.y_edges[:-1])

    def to_xarray(self) -> Any:
        """``mass``/``density`` over ``(re, im)``."""
        import xarray as xr

        return xr.Dataset(
            {
                "sparse_density_pred": (("re", "im"), self.density),
                "sparse_mass_pred": (("re", "im"), self.mass),
                "sparse_mass_pred_se": (("re", "im"), self.mass_se),
            },
            coords={"re": self.x, "im": self.y},
            attrs={"cavity": str(self.settings.to_dict()), "seconds": self.seconds},
        )


def cavity_density(
    ensemble: JacobianEnsemble,
    *,
    x_edges: Any,
    y_edges: Any,
    settings: CavitySettings | None = None,
    n_quad: int = 32,
) -> CavityDensity:
    r"""Predict the eigenvalue mass per cell of a grid at finite connectivity.

    Parameters
    ----------
    ensemble : JacobianEnsemble
        A sparse block ensemble.
    x_edges, y_edges : array_like
        Increasing cell edges; use an odd number of imaginary cells so that the real axis is a
        cell centre (no grid node on the real segment of timescale poles).
    settings : CavitySettings, optional
        Pool settings.
    n_quad : int
        Quadrature nodes of the support mask.

    Returns
    -------
    CavityDensity
        Masses with standard errors, the exact pole part, the order parameter at the nodes.

    Notes
    -----
    Each cell's mass is the exact fraction of timescale poles inside (cells straddling the
    real axis) plus the contour integral of the pool's correction around the cell: the
    trapezoid rule on the grid nodes, and 8 Gauss-Legendre points per edge on the edges within
    about two cells of the real axis, where the correction varies on the scale of the distance to
    the poles of bulk units. Cells straddling the real axis *inside the continuous support* are
    approximate: their vertical edges cross poles of bulk units, where the correction is
    singular; compare cells off the axis, and use :func:`cavity_regions` with sides crossing the
    axis outside the pole segment for masses that include the axis.

    Raises
    ------
    ConvergenceError
        If a grid node inside the support gives a non-finite correction.
    """
    ens = _check_ensemble(ensemble)
    st = settings or CavitySettings()
    xe = check_array("x_edges", x_edges, shape=(None,))
    ye = check_array("y_edges", y_edges, shape=(None,))
    for name, e in (("x_edges", xe), ("y_edges", ye)):
        if e.size < 2 or np.any(np.diff(e) <= 0):
            raise ValueError(f"`{name}` must be increasing with at least 2 entries; got {e!r}.")
    t0 = time.perf_counter()
    Z = xe[:, None] + 1j * ye[None, :]
    nx = xe.size - 1
    # edges near the real axis see the poles of bulk units at about half a cell: Gauss-Legendre
    # points there (8 per edge), the trapezoid rule on the grid nodes elsewhere
    h_axis = float(np.min(np.diff(ye)))
    near_h = np.flatnonzero((np.abs(ye) < 1.6 * h_axis) & (ye != 0))  # horizontal edge rows
    yc = 0.5 * (ye[1:] + ye[:-1])
    near_v = np.flatnonzero((np.abs(yc) < 2.6 * h_axis) & ~((ye[:-1] < 0) & (ye[1:] > 0)))
    u, w = np.polynomial.legendre.leggauss(_EDGE_POINTS)
    u, w = 0.5 * (u + 1.0), 0.5 * w
    hz = (xe[:-1, None, None] + np.diff(xe)[:, None, None] * u) + 1j * ye[None, near_h, None]
    vz = xe[:, None, None] + 1j * (ye[None, near_v, None] + np.diff(ye)[near_v][None, :, None] * u)
    pts = np.concatenate([Z.ravel(), hz.ravel(), vz.ravel()])
    res = cavity_resolvent(ens, pts, st, n_quad=n_quad)
    if not np.all(np.isfinite(res.correction)):
        raise ConvergenceError(
            "population dynamics gave a non-finite resolvent at some grid node; raise "
            "cavity.regulator or move the grid off the timescale poles",
            n_iter=st.burn_in + st.sweeps,
            residual=math.inf,
            tol=0.0,
        )
    nb_ = st.batches
    n0, n1 = Z.size, Z.size + hz.size
    G = res.correction[:n0].reshape((*Z.shape, nb_))
    # edge integrals of g dz: H[i, j] along +x at y_j, V[i, j] along +y at x_i
    H = 0.5 * (G[:-1, :] + G[1:, :]) * np.diff(xe)[:, None, None]
    V = 0.5 * (G[:, :-1] + G[:, 1:]) * (1j * np.diff(ye)[None, :, None])
    gh = res.correction[n0:n1].reshape((nx, near_h.size, _EDGE_POINTS, nb_))
    H[:, near_h] = np.einsum("ijkb,k->ijb", gh, w) * np.diff(xe)[:, None, None]
    gv = res.correction[n1:].reshape((nx + 1, near_v.size, _EDGE_POINTS, nb_))
    V[:, near_v] = np.einsum("ijkb,k->ijb", gv, w) * (1j * np.diff(ye)[near_v][None, :, None])
    loop = H[:, :-1] - H[:, 1:] + V[1:, :] - V[:-1, :]
    cont = (loop / (2j * np.pi)).real  # (nx, ny, batches)
    straddle = (ye[:-1] < 0) & (ye[1:] > 0)
    poles = _pole_mass(ens, xe[:-1], xe[1:])[:, None] * straddle[None, :]
    mass = poles + cont.mean(axis=-1)
    se = cont.std(axis=-1, ddof=1) / math.sqrt(st.batches)
    area = np.diff(xe)[:, None] * np.diff(ye)[None, :]
    return CavityDensity(
        x_edges=xe,
        y_edges=ye,
        mass=mass,
        mass_se=se,
        pole_mass=poles,
        density=mass / area,
        blob=res.blob[:n0].reshape(Z.shape),
        max_drift_z=float(np.max(np.abs(_drift_z(cont)))) if cont.size else 0.0,
        settings=st,
        seconds=time.perf_counter() - t0,
    )


def cavity_quantile(
    ensemble: JacobianEnsemble,
    q: float,
    settings: CavitySettings | None = None,
    *,
    n_points: int = 24,
    edge: Any = None,
) -> float:
    r"""Predicted ``q``-quantile of the real parts of all eigenvalues (right of every pole).

    The fraction :math:`F(x)` of eigenvalues with real part :math:`\ge x` comes from half-plane
    regions (:func:`cavity_regions`) at ``n_points`` abscissae between the rightmost timescale
    pole and the growth-rate edge; the quantile solves :math:`F(x) = 1 - q` by interpolating
    :math:`\log F` (monotone). A robust counterpart of the rightmost eigenvalue, whose finite-n
    value is dominated by rare local structures at small mean degree.

    Parameters
    ----------
    ensemble : JacobianEnsemble
        A sparse block ensemble.
    q : float
        Quantile in (0, 1), e.g. 0.99.
    settings : CavitySettings, optional
        Pool settings.
    n_points : int
        Abscissae.
    edge : SparseEdge, optional
        The ensemble's :func:`randrnn.rmt.sparse_edge` (computed if not given).

    Returns
    -------
    float
        The quantile, or NaN when it lies left of the rightmost pole (where half-plane sides
        would cross the segment of poles).
    """
    from randrnn.rmt.growth import sparse_edge

    ens = _check_ensemble(ensemble)
    if not 0.0 < q < 1.0:
        raise ValueError(f"`q` must be in (0, 1); got {q!r}.")
    check_positive_int("n_points", n_points)
    e = sparse_edge(ens) if edge is None else edge
    if not math.isfinite(e.edge):
        return math.nan
    right_pole = max(-1.0 / d.support[1] if math.isfinite(d.support[1]) else 0.0 for d in ens.tau)
    lo = max(right_pole + 1e-3 * e.height, e.edge - 0.6 * e.height)
    if lo >= e.edge:
        return math.nan
    # abscissae denser towards the edge, where F falls fastest
    u = np.linspace(0.0, 1.0, n_points)
    xs = e.edge - 1e-4 * e.height - (e.edge - 1e-4 * e.height - lo) * (1.0 - u) ** 2
    rect = np.array([[x, np.inf, -np.inf, np.inf] for x in xs])
    f = cavity_regions(ens, rect, settings).fraction
    ok = f > 0
    target = 1.0 - q
    if not np.any(ok) or not (f[ok].min() <= target <= f[ok].max()):
        return math.nan
    return float(np.interp(np.log(target), np.log(f[ok][::-1]), xs[ok][::-1]))


def _numpy_sweeps(dr: _Draws, z: complex, eps: float) -> tuple[FloatArray, FloatArray, Any, Any]:
    """The pool kernel's synchronous update for one point, in NumPy (reference and final pool).

    Returns the last sweep's ``(alpha, beta, a, d)`` per member. Edge sums use
    ``np.add.reduceat`` over each member's slice (a zero pads both ends; empty slices are
    masked to 0).
    """
    S, M = dr.tau.shape
    a = np.ones(M)
    d = np.ones(M)
    al = be = np.zeros(M)
    for s in range(S):
        D2 = np.abs(1.0 + z * dr.tau[s]) ** 2
        lo, hi = dr.in_ptr[s, 0], dr.in_ptr[s, -1]
        terms = np.concatenate([[0.0], dr.in_w[lo:hi] * d[dr.in_src[lo:hi]], [0.0]])
        al = eps + np.add.reduceat(terms, dr.in_ptr[s, :-1] - lo + 1) * (np.diff(dr.in_ptr[s]) > 0)
        lo, hi = dr.out_ptr[s, 0], dr.out_ptr[s, -1]
        terms = np.concatenate([[0.0], dr.out_w[lo:hi] * a[dr.out_dst[lo:hi]], [0.0]])
        sums = np.add.reduceat(terms, dr.out_ptr[s, :-1] - lo + 1) * (np.diff(dr.out_ptr[s]) > 0)
        be = eps + dr.h2[s] * sums
        den = al * be + D2
        a, d = be / den, al / den
    return al, be, a, d


@dataclass(frozen=True, slots=True, kw_only=True)
class CavityPool:
    r"""The pool at one point ``z``: a sample of the joint law of the cavity variables.

    Attributes
    ----------
    z : complex
        The point.
    population : (m,) ndarray of int
        Population of each member (populations with a pool only).
    tau, gain : (m,) ndarray
        The members' timescales and gains (last sweep).
    alpha, beta : (m,) ndarray
        In- and out-self-energies :math:`\alpha, \beta` (``docs/theory.md`` section 5.7).
    a, d : (m,) ndarray
        The diagonal resolvent entries :math:`a = \beta/\Delta`, :math:`d = \alpha/\Delta`.
    local_weight : (m,) ndarray
        :math:`\alpha\beta/\Delta \in [0, 1)`: 0 for a member on the bar (or outside the
        support), near 1 deep in the bulk.
    settings : CavitySettings
        Pool settings.
    """

    z: complex
    population: Any
    tau: FloatArray
    gain: FloatArray
    alpha: FloatArray
    beta: FloatArray
    a: FloatArray
    d: FloatArray
    local_weight: FloatArray
    settings: CavitySettings

    def to_xarray(self) -> Any:
        """Member arrays over dimension ``member``."""
        import xarray as xr

        return xr.Dataset(
            {
                k: ("member", np.asarray(getattr(self, k)))
                for k in ("population", "tau", "gain", "alpha", "beta", "a", "d", "local_weight")
            },
            attrs={
                "z_re": self.z.real,
                "z_im": self.z.imag,
                "cavity": str(self.settings.to_dict()),
            },
        )


def cavity_pool(
    ensemble: JacobianEnsemble, z: complex, settings: CavitySettings | None = None
) -> CavityPool:
    """Run the population dynamics at one point and return the final pool (the joint law).

    Parameters
    ----------
    ensemble : JacobianEnsemble
        A sparse block ensemble.
    z : complex
        The point.
    settings : CavitySettings, optional
        Pool size, sweeps (``burn_in + sweeps`` in all), regulator and seed.

    Returns
    -------
    CavityPool
        Timescales, gains and cavity variables of every member.

    Examples
    --------
    >>> ens = JacobianEnsemble.inhibitory_core(n=10_000)
    >>> p = cavity_pool(ens, -0.15 + 0.05j, CavitySettings(pool=500, burn_in=20, sweeps=20))
    >>> bool(0.0 < p.local_weight.mean() < 1.0)    # inside the bulk: a non-trivial solution
    True
    """
    ens = _check_ensemble(ensemble)
    st = settings or CavitySettings()
    dr = _draw(ens, st, st.burn_in + st.sweeps)
    al, be, a, d = _numpy_sweeps(dr, complex(z), float(st.regulator))
    M = st.pool
    pop = np.repeat(np.asarray(dr.active, dtype=int), M)
    D2 = np.abs(1.0 + complex(z) * dr.tau[-1]) ** 2
    return CavityPool(
        z=complex(z),
        population=pop,
        tau=dr.tau[-1].copy(),
        gain=np.sqrt(dr.h2[-1]),
        alpha=al,
        beta=be,
        a=a,
        d=d,
        local_weight=al * be / (al * be + D2),
        settings=st,
    )


def cavity_extreme(
    ensemble: JacobianEnsemble,
    n: int,
    settings: CavitySettings | None = None,
    *,
    n_points: int = 24,
    edge: Any = None,
) -> float:
    r"""Predicted median of the largest real part among the eigenvalues of one ``n``-unit sample.

    At finite connectivity the density vanishes smoothly at the edge, so a finite sample's
    rightmost eigenvalue sits inside it by an amount set by the density's tail. If the
    eigenvalues beyond :math:`x` were independent, their number would be Poisson with mean
    :math:`nF(x)` (:math:`F` the predicted fraction with real part :math:`\ge x`), and the
    median of the maximum solves :math:`nF(x) = \log 2`: the :func:`cavity_quantile` at level
    :math:`1 - \log 2/n`. Eigenvalue repulsion and rare local structures (strong short cycles)
    are not in it.

    Parameters
    ----------
    ensemble : JacobianEnsemble
        A sparse block ensemble.
    n : int
        Units (eigenvalues) of the sample.
    settings : CavitySettings, optional
        Pool settings.
    n_points : int
        Abscissae of :func:`cavity_quantile`.
    edge : SparseEdge, optional
        The ensemble's :func:`randrnn.rmt.sparse_edge`.

    Returns
    -------
    float
        The predicted median rightmost real part (NaN left of the rightmost pole).
    """
    check_positive_int("n", n)
    if n < 2:
        raise ValueError(f"`n` must be >= 2; got {n}.")
    return cavity_quantile(
        ensemble, 1.0 - math.log(2.0) / n, settings, n_points=n_points, edge=edge
    )
