r"""Measured spectra of sampled Jacobians :math:`A = T^{-1}(-I + W G)` (measurement layer).

Independent of the theory in :mod:`randrnn.rmt`; the two meet in tests and in ``verify``.

Eigenvalues
    - :func:`eigenvalues` -- all eigenvalues of one realization (dense LAPACK, n up to a few
      thousand).
    - :func:`rightmost_eigenvalues` -- the eigenvalues nearest a real shift right of the bulk
      (shift-invert Arnoldi on the sparse matrix plus the rank-P mean correction), for large n.
Edge estimates
    - :func:`edge_estimate` -- robust spectral-edge estimate from one spectrum (tail fit of the
      largest real parts, high quantiles of real parts and of :math:`|\lambda - c|`).
    - :func:`measure_edge` -- the edge over several realizations with its standard error.
    - :func:`measure_edge_sensitivity` -- the measured edge along one statistic.
Structure
    - :func:`bar_fraction` -- fraction of eigenvalues exactly at :math:`-1/\tau_i`, and the
      fraction of units outside the giant strongly connected component of the graph.
    - :func:`at_poles` -- which eigenvalues sit at given poles :math:`-1/\tau_j`.
Sparse Jacobians by strongly connected components (means kept)
    - :func:`eigenvalues_by_components` -- all eigenvalues from the block-triangular form:
      singleton components exactly, larger ones by dense LAPACK on their diagonal block only.
    - :func:`region_fractions` -- fractions of eigenvalues in rectangles of the complex plane.
    - :func:`measure_regions` -- region fractions, bar counts, giant component and high
      quantiles of the real parts over realizations.
    - :func:`rightmost_sparse` / :func:`measure_rightmost_sparse` -- rightmost eigenvalue and
      high real-part quantiles for n up to tens of thousands (dense blocks, or Arnoldi on the
      giant component).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg
from scipy import sparse
from scipy.sparse import csgraph
from scipy.sparse import linalg as splinalg

from randrnn._typing import ComplexArray, FloatArray, Seed
from randrnn._validation import (
    as_rng,
    available_memory,
    check_array,
    check_in,
    check_nonnegative_int,
    check_positive_int,
    check_real,
    format_bytes,
    format_shape,
)
from randrnn.ensembles import STATISTICS, JacobianEnsemble, JacobianSample, vary

__all__ = [
    "ComponentSpectrum",
    "EdgeEstimate",
    "EdgeMeasurement",
    "EdgeSensitivityMeasurement",
    "RegionMeasurement",
    "RightmostMeasurement",
    "RightmostSpectrum",
    "Spectrum",
    "at_poles",
    "bar_fraction",
    "edge_estimate",
    "edge_measurement",
    "eigenvalues",
    "eigenvalues_by_components",
    "measure_edge",
    "measure_edge_sensitivity",
    "measure_regions",
    "measure_rightmost_sparse",
    "region_fractions",
    "region_measurement",
    "rightmost_eigenvalues",
    "rightmost_sparse",
]


def _check_sample(sample: Any) -> JacobianSample:
    if not isinstance(sample, JacobianSample):
        raise TypeError(
            f"`sample` must be a JacobianSample (from JacobianEnsemble.sample or "
            "randrnn.jacobian(realization, x_star)); "
            f"got {type(sample).__name__}."
        )
    return sample


@dataclass(frozen=True, slots=True, kw_only=True)
class Spectrum:
    """Eigenvalues of one Jacobian realization.

    Attributes
    ----------
    eigenvalues : (k,) ndarray of complex
        Eigenvalues (all of them for ``method="dense"``; the ``k`` nearest ``shift`` otherwise),
        sorted by decreasing real part.
    n : int
        Matrix size.
    method : str
        ``"dense"`` or ``"shift_invert"``.
    shift : float
        Shift used by ``shift_invert`` (NaN for dense).
    seconds : float
        Wall time of the eigen-solver.
    spec : JacobianEnsemble
        The ensemble of the realization.
    """

    eigenvalues: ComplexArray
    n: int
    method: str
    shift: float
    seconds: float
    spec: JacobianEnsemble

    def to_xarray(self) -> Any:
        """Return an ``xarray.Dataset`` with real and imaginary parts over dimension ``eig``."""
        import xarray as xr

        return xr.Dataset(
            {
                "eig_re": ("eig", self.eigenvalues.real, {"long_name": "Re lambda"}),
                "eig_im": ("eig", self.eigenvalues.imag, {"long_name": "Im lambda"}),
            },
            attrs={"n": self.n, "method": self.method, "shift": self.shift},
        )


def _sorted(vals: ComplexArray) -> ComplexArray:
    return vals[np.lexsort((-vals.imag, -vals.real))]


def eigenvalues(sample: JacobianSample) -> Spectrum:
    """Return all eigenvalues of one realization (dense LAPACK ``geev``).

    Parameters
    ----------
    sample : JacobianSample
        A realization from :meth:`JacobianEnsemble.sample`.

    Returns
    -------
    Spectrum
        All ``n`` eigenvalues.

    Examples
    --------
    >>> ens = JacobianEnsemble.from_blocks(
    ...     n=200, fractions=(1.0,), signs=(1,), connectivity=((1.0,),),
    ...                     weights=(({"kind": "halfnormal", "scale": 1.0},),), tau=(2.0,),
    ...                     gain=(1.0,), keep_mean=True)
    >>> sp = eigenvalues(ens.sample(0))
    >>> bool(abs(sp.eigenvalues.mean().real + 0.5) < 1e-10)   # trace = -sum 1/tau (W_ii = 0)
    True
    """
    s = _check_sample(sample)
    A = s.to_dense()
    t0 = time.perf_counter()
    vals = scipy.linalg.eigvals(A, overwrite_a=True, check_finite=False)
    dt = time.perf_counter() - t0
    return Spectrum(
        eigenvalues=_sorted(vals), n=s.n, method="dense", shift=math.nan, seconds=dt, spec=s.spec
    )


def _default_shift(s: JacobianSample) -> float:
    """A real shift right of the bulk from measured matrix statistics (no theory).

    Uses the centre ``-mean(1/tau)`` plus a margin of the root-mean-square row norm of the
    off-diagonal part (the bulk radius of an i.i.d. matrix with that second moment).
    """
    A = s.to_sparse()
    diag = A.diagonal()
    off = A - sparse.diags(diag)
    rms = math.sqrt(float(off.multiply(off).sum()) / s.n)
    return float(np.max(diag) if rms == 0 else np.mean(diag) + rms)


def _operator(s: JacobianSample) -> Any:
    """Matrix-free ``A = T^{-1}(-I + (W - U V^T) G)`` (sparse part plus the rank-P correction)."""
    A = s.to_sparse()
    if not np.any(s.mean_removed):
        return A
    U, V = s.low_rank_factors()
    Uf = U / s.tau[:, None]
    Vg = V * s.gain[:, None]

    def mv(x: Any) -> Any:
        x = np.asarray(x).reshape(-1)
        return A @ x - Uf @ (Vg.T @ x)

    def rmv(x: Any) -> Any:
        x = np.asarray(x).reshape(-1)
        return A.T @ x - Vg @ (Uf.T @ x)

    return splinalg.LinearOperator((s.n, s.n), matvec=mv, rmatvec=rmv, dtype=float)


def rightmost_eigenvalues(
    sample: JacobianSample,
    *,
    k: int = 30,
    method: str = "arnoldi",
    shift: float | None = None,
    tol: float = 1e-8,
    ncv: int | None = None,
    rng: Seed = 0,
) -> Spectrum:
    r"""Return ``k`` eigenvalues of the rightmost region of a large sparse realization's spectrum.

    Two ARPACK routes, both on the sparse matrix plus the rank-P mean correction (never a dense
    ``n x n`` array):

    - ``"arnoldi"`` (default): implicitly restarted Arnoldi for the ``k`` eigenvalues of largest
      real part (only sparse matrix-vector products; suited to random graphs, whose LU fills in).
    - ``"shift_invert"``: Arnoldi on :math:`(A - \sigma I)^{-1}` (sparse LU plus the
      Sherman-Morrison-Woodbury formula for the mean correction); returns the ``k`` eigenvalues
      nearest the real ``shift``. Fast when the LU stays sparse (small n or very low degree).

    Parameters
    ----------
    sample : JacobianSample
        A realization.
    k : int
        Number of eigenvalues.
    method : {"arnoldi", "shift_invert"}
        Route.
    shift : float, optional
        Real shift :math:`\sigma` for ``shift_invert``; default: measured centre plus the
        root-mean-square row norm (about the right edge of a homogeneous bulk).
    tol : float
        ARPACK relative tolerance.
    ncv : int, optional
        Arnoldi basis size (default ``max(4k, 40)`` for ``arnoldi``, ``max(2k + 1, 20)`` for
        ``shift_invert``).
    rng : int, Generator or None
        Seed of ARPACK's starting vector (reproducible results).

    Returns
    -------
    Spectrum
        ``k`` eigenvalues sorted by decreasing real part.

    Examples
    --------
    >>> ens = JacobianEnsemble.excitatory_inhibitory(n=600, p_ee=0.05, weight_e=1.0, weight_i=1.0)
    >>> s = ens.sample(1)
    >>> full = eigenvalues(s).eigenvalues
    >>> part = rightmost_eigenvalues(s, k=6)
    >>> bool(np.allclose(np.sort(part.eigenvalues.real)[-6:], np.sort(full.real)[-6:]))
    True
    >>> si = rightmost_eigenvalues(s, k=10, method="shift_invert", shift=0.0)
    >>> near = full[np.argsort(np.abs(full))[:11]]    # k-th place may split a conjugate pair
    >>> bool(np.all(np.min(np.abs(si.eigenvalues[:, None] - near), axis=1) < 1e-8))
    True
    """
    s = _check_sample(sample)
    check_positive_int("k", k)
    check_in("method", method, ["arnoldi", "shift_invert"])
    if k >= s.n - 1:
        raise ValueError(f"`k` must be < n - 1 = {s.n - 1}; got {k!r}. Use eigenvalues() instead.")
    v0 = as_rng(rng).standard_normal(s.n)
    t0 = time.perf_counter()
    if method == "arnoldi":
        vals = splinalg.eigs(
            _operator(s),
            k=k,
            which="LR",
            tol=tol,
            v0=v0,
            ncv=ncv or min(s.n - 1, max(4 * k, 40)),
            return_eigenvectors=False,
        )
        dt = time.perf_counter() - t0
        return Spectrum(
            eigenvalues=_sorted(vals), n=s.n, method=method, shift=math.nan, seconds=dt, spec=s.spec
        )
    sigma = _default_shift(s) if shift is None else check_real("shift", shift)
    B = (s.to_sparse() - sigma * sparse.identity(s.n)).tocsc()
    lu = splinalg.splu(B, permc_spec="COLAMD")
    if np.any(s.mean_removed):
        # A - sigma = B - T^{-1} U V^T G  with M = U V^T
        U, V = s.low_rank_factors()
        Uf = U / s.tau[:, None]
        Vg = V * s.gain[:, None]
        BinvU = lu.solve(Uf)
        cap = np.eye(U.shape[1]) - Vg.T @ BinvU

        def solve(b: Any) -> Any:
            y = lu.solve(np.asarray(b, dtype=float))
            return y + BinvU @ np.linalg.solve(cap, Vg.T @ y)
    else:

        def solve(b: Any) -> Any:
            return lu.solve(np.asarray(b, dtype=float))

    op = splinalg.LinearOperator((s.n, s.n), matvec=solve, dtype=float)
    mu = splinalg.eigs(
        op,
        k=k,
        which="LM",
        tol=tol,
        v0=v0,
        ncv=ncv or min(s.n - 1, max(2 * k + 1, 20)),
        return_eigenvectors=False,
    )
    vals = sigma + 1.0 / mu
    dt = time.perf_counter() - t0
    return Spectrum(
        eigenvalues=_sorted(vals), n=s.n, method=method, shift=sigma, seconds=dt, spec=s.spec
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class EdgeEstimate:
    r"""Robust edge statistics of one spectrum.

    Attributes
    ----------
    edge : float
        Tail-fit estimate of the rightmost real point of the bulk (see :func:`edge_estimate`).
    max_real : float
        Largest real part (after dropping ``skip`` outliers); fluctuates more than ``edge``.
    quantile_real : float
        The ``q`` quantile of the real parts.
    center : complex
        Mean eigenvalue (``trace / n``) of the spectrum used.
    quantile_radius : float
        The ``q`` quantile of :math:`|\lambda - c|`.
    height : float
        :math:`2\times` the ``q`` quantile of :math:`|\mathrm{Im}\,\lambda|` mapped to the maximum
        by the same tail fit (bulk vertical extent).
    n_tail : int
        Number of extreme eigenvalues in the tail fits.
    """

    edge: float
    max_real: float
    quantile_real: float
    center: complex
    quantile_radius: float
    height: float
    n_tail: int


def _tail_fit(values: FloatArray, n_tail: int) -> float:
    r"""Intercept of :math:`x_{(k)} = e - b\,k^{2/3}` over the ``n_tail`` largest values."""
    top = np.sort(values)[::-1][:n_tail]
    kk = np.arange(1, top.size + 1, dtype=float) ** (2.0 / 3.0)
    X = np.stack([np.ones_like(kk), kk], axis=1)
    coef, *_ = np.linalg.lstsq(X, top, rcond=None)
    return float(coef[0])


def edge_estimate(
    eigenvalues: Any, *, skip: int = 0, q: float = 0.99, n_tail: int | None = None
) -> EdgeEstimate:
    r"""Estimate the spectral edge of the bulk robustly from one spectrum.

    The single largest real part fluctuates by :math:`O(\sqrt{\log n / n})` of the bulk size.
    Where a 2-D density is positive up to a smooth boundary, the marginal density of the real
    part vanishes like :math:`(e - x)^{1/2}` at the rightmost point ``e``, so the ``k``-th largest
    real part is :math:`x_{(k)} \approx e - b\,k^{2/3}`; a least-squares fit of that law to the
    ``n_tail`` largest values returns ``e`` from many eigenvalues instead of one. The same fit on
    :math:`|\mathrm{Im}\,\lambda|` gives the bulk height. Where the support ends in a pointed tip
    (half-height :math:`\propto (e - x)^a` with :math:`a \neq 1/2`, e.g. next to the pole of a
    bounded timescale distribution) the law is off and the fit is biased at small n; compare it
    with ``max_real`` there.

    Parameters
    ----------
    eigenvalues : array_like of complex
        A full spectrum (or its rightmost part, containing at least ``skip + n_tail`` values).
    skip : int
        Number of rightmost eigenvalues to drop first (known outliers).
    q : float
        Quantile for ``quantile_real`` and ``quantile_radius``.
    n_tail : int, optional
        Tail size; default :math:`\lceil\sqrt{n}\rceil` (balances the statistical error,
        :math:`\propto n_{tail}^{-1/2}`, against the curvature bias of the boundary).

    Returns
    -------
    EdgeEstimate
        The statistics.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> lam = np.sqrt(rng.random(20000)) * np.exp(2j * np.pi * rng.random(20000))  # unit disc
    >>> bool(abs(edge_estimate(lam).edge - 1.0) < 0.01)
    True
    """
    lam = check_array("eigenvalues", eigenvalues, shape=(None,), dtype=complex)
    check_nonnegative_int("skip", skip)
    qq = check_real("q", q)
    if not 0 < qq < 1:
        raise ValueError(f"`q` must be in (0, 1); got {q!r}.")
    lam = lam[np.argsort(-lam.real, kind="stable")][skip:]
    nt = math.ceil(math.sqrt(lam.size)) if n_tail is None else check_positive_int("n_tail", n_tail)
    if lam.size < max(nt, 3):
        raise ValueError(
            f"`eigenvalues` must hold at least skip + n_tail = {skip + max(nt, 3)} values; "
            f"got {lam.size + skip}."
        )
    c = complex(lam.mean())
    return EdgeEstimate(
        edge=_tail_fit(lam.real, nt),
        max_real=float(lam.real.max()),
        quantile_real=float(np.quantile(lam.real, qq)),
        center=c,
        quantile_radius=float(np.quantile(np.abs(lam - c), qq)),
        height=2.0 * _tail_fit(np.abs(lam.imag), 2 * nt),
        n_tail=nt,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class EdgeMeasurement:
    """Edge statistics over independent realizations, with standard errors.

    Attributes
    ----------
    edge, edge_se : float
        Mean tail-fit edge and its standard error across realizations.
    max_real, max_real_se : float
        Mean largest real part and its standard error.
    height, height_se : float
        Mean bulk height and its standard error (meaningful for ``method="dense"`` only).
    edges : (r,) ndarray
        Per-realization tail-fit edges.
    eigenvalues : (r, k) ndarray of complex
        The spectra.
    n_realizations : int
        Number of realizations.
    seconds : float
        Total wall time.
    seed : int or None
        Root seed (realization ``i`` uses ``SeedSequence(seed).spawn(r)[i]``).
    spec : JacobianEnsemble
        The ensemble.
    """

    edge: float
    edge_se: float
    max_real: float
    max_real_se: float
    height: float
    height_se: float
    edges: FloatArray
    eigenvalues: ComplexArray
    n_realizations: int
    seconds: float
    seed: int | None
    spec: JacobianEnsemble

    def to_xarray(self) -> Any:
        """Return an ``xarray.Dataset`` with spectra over ``(realization, eig)`` and the edges."""
        import xarray as xr

        return xr.Dataset(
            {
                "eig_re": (("realization", "eig"), self.eigenvalues.real),
                "eig_im": (("realization", "eig"), self.eigenvalues.imag),
                "edge_numeric_per_realization": ("realization", self.edges),
                "edge_numeric": ((), self.edge),
                "edge_numeric_se": ((), self.edge_se),
            },
            attrs={"seed": -1 if self.seed is None else self.seed, "n": self.spec.n},
        )


def _se(x: FloatArray) -> float:
    return float(np.std(x, ddof=1) / math.sqrt(x.size)) if x.size > 1 else math.nan


def measure_edge(
    ensemble: JacobianEnsemble,
    *,
    n_realizations: int = 3,
    seed: int | None = 0,
    skip: int = 0,
    method: str = "dense",
    k: int = 80,
    progress: Any = None,
) -> EdgeMeasurement:
    """Measure the spectral edge over independent realizations.

    Parameters
    ----------
    ensemble : JacobianEnsemble
        The ensemble.
    n_realizations : int
        Number of independent realizations (SE across them).
    seed : int, optional
        Root seed; realization ``i`` uses the ``i``-th child of ``SeedSequence(seed)``.
    skip : int
        Rightmost eigenvalues to drop as outliers before the edge fit.
    method : {"dense", "arnoldi"}
        Full spectrum, or the ``k`` eigenvalues of largest real part (:func:`rightmost_eigenvalues`;
        the tail fit then uses ``min(ceil(sqrt(n)), k - skip)`` values).
    k : int
        Eigenvalues per realization for ``arnoldi``.
    progress : callable, optional
        Called with no arguments after each realization (e.g. a progress bar's ``update``).

    Returns
    -------
    EdgeMeasurement
        Mean edge, SE and the spectra.

    Examples
    --------
    >>> ens = JacobianEnsemble.excitatory_inhibitory(n=300, p_ee=0.2)
    >>> m = measure_edge(ens, n_realizations=2, seed=1)
    >>> m.eigenvalues.shape, bool(m.edge_se > 0)
    ((2, 300), True)
    """
    if not isinstance(ensemble, JacobianEnsemble):
        raise TypeError(f"`ensemble` must be a JacobianEnsemble; got {type(ensemble).__name__}.")
    r = check_positive_int("n_realizations", n_realizations)
    check_in("method", method, ["dense", "arnoldi"])
    t0 = time.perf_counter()
    children = np.random.SeedSequence(seed).spawn(r)
    spectra, ests = [], []
    for child in children:
        sample = ensemble.sample(np.random.default_rng(child))
        if method == "dense":
            sp = eigenvalues(sample)
        else:
            sp = rightmost_eigenvalues(sample, k=k)
        spectra.append(sp.eigenvalues)
        # for a partial spectrum only the tail fit and maxima are meaningful
        nt = None if method == "dense" else max(3, min(math.ceil(math.sqrt(ensemble.n)), k - skip))
        ests.append(edge_estimate(sp.eigenvalues, skip=skip, n_tail=nt))
        if progress is not None:
            progress()
    return edge_measurement(ests, spectra, ensemble, seed=seed, seconds=time.perf_counter() - t0)


def edge_measurement(
    estimates: Sequence[EdgeEstimate],
    spectra: Sequence[Any],
    ensemble: JacobianEnsemble,
    *,
    seed: int | None = None,
    seconds: float = 0.0,
) -> EdgeMeasurement:
    """Mean and SE over realizations of per-realization :func:`edge_estimate` results.

    Parameters
    ----------
    estimates : sequence of EdgeEstimate
        One per realization.
    spectra : sequence of (k,) ndarray of complex
        The realizations' eigenvalues (kept in the result).
    ensemble : JacobianEnsemble
        Their ensemble.
    seed : int, optional
        Root seed of the realizations (recorded).
    seconds : float
        Time spent (recorded).

    Returns
    -------
    EdgeMeasurement
        Edge, maximum real part and height with their standard errors, and the spectra.
    """
    edges = np.array([e.edge for e in estimates])
    mx = np.array([e.max_real for e in estimates])
    ht = np.array([e.height for e in estimates])
    return EdgeMeasurement(
        edge=float(edges.mean()),
        edge_se=_se(edges),
        max_real=float(mx.mean()),
        max_real_se=_se(mx),
        height=float(ht.mean()),
        height_se=_se(ht),
        edges=edges,
        eigenvalues=np.stack(spectra),
        n_realizations=len(estimates),
        seconds=float(seconds),
        seed=seed,
        spec=ensemble,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class EdgeSensitivityMeasurement:
    """Measured edge along one statistic.

    Attributes
    ----------
    statistic : str
        Which statistic varies.
    values : (k,) ndarray
        Its values.
    edge, edge_se : (k,) ndarray
        Mean tail-fit edge and standard error across realizations.
    height, height_se : (k,) ndarray
        Mean bulk height and standard error.
    spec : JacobianEnsemble
        Base spec.
    """

    statistic: str
    values: FloatArray
    edge: FloatArray
    edge_se: FloatArray
    height: FloatArray
    height_se: FloatArray
    spec: JacobianEnsemble

    def to_xarray(self) -> Any:
        """Return an ``xarray.Dataset`` over the swept statistic."""
        import xarray as xr

        st = self.statistic
        return xr.Dataset(
            {
                "edge_numeric": (st, self.edge),
                "edge_numeric_se": (st, self.edge_se),
                "height_numeric": (st, self.height),
                "height_numeric_se": (st, self.height_se),
            },
            coords={st: self.values},
        )


def measure_edge_sensitivity(
    ensemble: JacobianEnsemble,
    statistic: str,
    values: Any,
    *,
    n_realizations: int = 3,
    seed: int | None = 0,
    skip: int = 0,
    progress: Any = None,
) -> EdgeSensitivityMeasurement:
    """Measure the spectral edge along one statistic (dense spectra).

    Parameters
    ----------
    ensemble : JacobianEnsemble
        Base spec.
    statistic : str
        One of :data:`randrnn.ensembles.STATISTICS`.
    values : array_like
        Values of the statistic.
    n_realizations : int
        Realizations per value.
    seed : int, optional
        Root seed (value ``i`` uses child ``i``).
    skip : int
        Outliers to drop before the edge fit.
    progress : callable, optional
        Called after each realization.

    Returns
    -------
    EdgeSensitivityMeasurement
        Edge and SE per value.
    """
    check_in("statistic", statistic, STATISTICS)
    vals = check_array("values", values, shape=(None,))
    seeds = np.random.SeedSequence(seed).generate_state(vals.size)
    ms = [
        measure_edge(
            vary(ensemble, statistic, float(v)),
            n_realizations=n_realizations,
            seed=int(sd),
            skip=skip,
            progress=progress,
        )
        for v, sd in zip(vals, seeds, strict=True)
    ]
    return EdgeSensitivityMeasurement(
        statistic=statistic,
        values=vals,
        edge=np.array([m.edge for m in ms]),
        edge_se=np.array([m.edge_se for m in ms]),
        height=np.array([m.height for m in ms]),
        height_se=np.array([m.height_se for m in ms]),
        spec=ensemble,
    )


def at_poles(lam: ComplexArray, poles: FloatArray, *, rtol: float) -> Any:
    r"""Mask of the eigenvalues ``lam`` within ``rtol * max(1, |lambda|)`` of some pole.

    The poles are the exact bar values :math:`-1/\tau_j`; only the nearest is compared (a
    sorted search, O(n log n)).
    """
    poles = np.sort(np.asarray(poles, dtype=float))
    lam = np.asarray(lam)
    if poles.size == 0:
        return np.zeros(lam.shape, dtype=bool)
    idx = np.clip(np.searchsorted(poles, lam.real), 1, max(poles.size - 1, 1))
    lo, hi = poles[idx - 1], poles[np.minimum(idx, poles.size - 1)]
    near = np.minimum(np.abs(lam - lo), np.abs(lam - hi))
    return near <= rtol * np.maximum(1.0, np.abs(lam))


def bar_fraction(sample: JacobianSample, spectrum: Spectrum | None = None) -> tuple[float, float]:
    r"""Measure the real "bar": units outside the giant strongly connected component.

    The bar is exact for ``keep_mean=True``; removing the block means adds a dense rank-P
    correction that connects every unit and moves these eigenvalues slightly.

    Parameters
    ----------
    sample : JacobianSample
        A realization.
    spectrum : Spectrum, optional
        Its dense spectrum; if given, also count eigenvalues equal to some :math:`-1/\tau_i`.

    Returns
    -------
    graph_fraction : float
        Fraction of units outside the largest strongly connected component of the graph of
        :math:`WG` (edge :math:`j \to i` iff :math:`W_{ij} g_j \ne 0`).
    eigen_fraction : float
        Fraction of eigenvalues within :math:`10^{-8}\max(1, |\lambda|)` of a value
        :math:`-1/\tau_i` of a unit outside that component (NaN without ``spectrum``); the
        tolerance is far above LAPACK's backward error for these triangular-block eigenvalues.
        Units of the giant component that lie only on weak cycles (e.g. a few surviving
        excitatory connections with small gains) can also have eigenvalues that close to their
        pole; :func:`eigenvalues_by_components` counts the exact ones.

    Examples
    --------
    >>> ens = JacobianEnsemble.from_blocks(
    ...     n=400, fractions=(1.0,), signs=(1,), connectivity=((0.004,),),
    ...                     weights=((1.0,),), tau=({"kind": "uniform", "low": 1, "high": 2},),
    ...                     gain=(1.0,), keep_mean=True)
    >>> s = ens.sample(3)
    >>> g, e = bar_fraction(s, eigenvalues(s))
    >>> bool(abs(g - e) < 0.02)
    True
    """
    s = _check_sample(sample)
    WG = (s.W @ sparse.diags(s.gain)).tocsr()
    WG.eliminate_zeros()
    _, labels = csgraph.connected_components(WG, directed=True, connection="strong")
    counts = np.bincount(labels)
    giant = labels == np.argmax(counts)
    graph = 1.0 - giant.mean()
    if spectrum is None:
        return float(graph), math.nan
    poles = np.sort(-1.0 / s.tau[~giant])
    lam = spectrum.eigenvalues
    if poles.size == 0:
        return float(graph), 0.0
    return float(graph), float(at_poles(lam, poles, rtol=1e-8).mean())


# -- sparse Jacobians by strongly connected components ---------------------------------------
#
# Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767; docs/theory.md section 5.5. With the
# block means kept, A = T^{-1}(-I + W G) has A_ij != 0 (i != j) only on edges j -> i of the graph
# of W G; ordering its strongly connected components (SCCs) topologically makes A block
# triangular, so the spectrum is the union of the spectra of the diagonal blocks A[C, C].

#: bytes of one float64 entry of a dense block
_ENTRY_BYTES = 8


def _require_kept_mean(s: JacobianSample, name: str) -> None:
    if np.any(s.mean_removed):
        raise ValueError(
            f"`{name}` must keep its block means (mean_removed == 0); got a sample with block "
            f"means removed (max |M_ab| = {float(np.max(np.abs(s.mean_removed))):.3g}). The "
            "removed mean is a dense rank-P correction that couples every pair of units, so the "
            "Jacobian is dense and has no block-triangular form. Use eigenvalues() (dense) on "
            "the sample, or an ensemble with keep_mean=True."
        )


def _check_block_memory(m: int) -> None:
    """Refuse a dense ``m x m`` block that does not fit in the memory this process has left."""
    need = _ENTRY_BYTES * m * m
    if need < 2**28:  # below 256 MiB: not worth reading /proc
        return
    avail = available_memory()
    if avail is not None and need > avail:
        raise MemoryError(
            f"a strongly connected component of {m} units needs a dense block of "
            f"{format_bytes(need)}; only {format_bytes(avail)} is available. Use "
            "rightmost_sparse / measure_rightmost_sparse (Arnoldi on the giant component) for "
            "the rightmost region, or a smaller n."
        )


@dataclass(frozen=True, slots=True)
class _Decomposition:
    """SCCs of the graph of ``W G``: singleton units, larger blocks, the giant one."""

    labels: Any  # (n,) component of each unit
    sizes: Any  # (n_components,) units per component
    singles: Any  # units in singleton components
    blocks: list[Any]  # units of each component of >= 2 units, giant first
    Wb: Any  # W restricted to the units of ``blocks`` (CSR), in the order of ``blocks``
    offsets: Any  # block b is rows/columns offsets[b]:offsets[b + 1] of Wb


def _decompose(s: JacobianSample) -> _Decomposition:
    WG = (s.W @ sparse.diags(s.gain)).tocsr()
    WG.eliminate_zeros()
    _, labels = csgraph.connected_components(WG, directed=True, connection="strong")
    sizes = np.bincount(labels)
    single = sizes[labels] == 1
    multi = np.flatnonzero(~single)
    # giant first, then the other components by label
    big = int(np.argmax(sizes))
    key = np.where(labels[multi] == big, -1, labels[multi])
    multi = multi[np.argsort(key, kind="stable")]
    cuts = np.flatnonzero(np.diff(labels[multi])) + 1
    blocks = np.split(multi, cuts) if multi.size else []
    offsets = np.concatenate([[0], np.cumsum([b.size for b in blocks], dtype=int)]).astype(int)
    Wb = s.W[multi][:, multi].tocsr() if multi.size else sparse.csr_matrix((0, 0))
    return _Decomposition(
        labels=labels,
        sizes=sizes,
        singles=np.flatnonzero(single),
        blocks=blocks,
        Wb=Wb,
        offsets=offsets,
    )


def _singleton_values(s: JacobianSample, units: Any) -> tuple[FloatArray, Any]:
    """Eigenvalues of the 1 x 1 blocks, ``(W_ii g_i - 1) / tau_i``, and the mask ``W_ii g_i == 0``.

    Computed as :meth:`JacobianSample.to_dense` forms the diagonal; without self-coupling this is
    bit-exactly ``-1 / tau_i``.
    """
    d = s.W.diagonal()[units] * s.gain[units]
    return (d - 1.0) / s.tau[units], d == 0


def _block_matrix(s: JacobianSample, dec: _Decomposition, b: int, *, dense: bool) -> Any:
    """Diagonal block ``A[C, C]`` of component ``b`` (dense, or CSR for Arnoldi)."""
    units = dec.blocks[b]
    lo, hi = dec.offsets[b], dec.offsets[b + 1]
    Wc = dec.Wb[lo:hi, lo:hi]
    tau, gain = s.tau[units], s.gain[units]
    if not dense:
        return sparse.diags(1.0 / tau) @ (Wc @ sparse.diags(gain) - sparse.identity(units.size))
    m = units.size
    _check_block_memory(m)
    blk = Wc.toarray()
    blk *= gain[None, :]
    blk[np.diag_indices(m)] -= 1.0
    blk /= tau[:, None]
    return blk


def _dense_block_eigvals(s: JacobianSample, dec: _Decomposition, b: int) -> ComplexArray:
    blk = _block_matrix(s, dec, b, dense=True)
    # the transpose is Fortran-ordered: LAPACK works in place (no copy) on the same spectrum
    return scipy.linalg.eigvals(blk.T, overwrite_a=True, check_finite=False)


def _giant_size(dec: _Decomposition) -> int:
    return int(dec.blocks[0].size) if dec.blocks else 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentSpectrum:
    r"""All eigenvalues of one sparse realization from its strongly connected components.

    Attributes
    ----------
    eigenvalues : (n,) ndarray of complex
        All eigenvalues, sorted by decreasing real part (then decreasing imaginary part), like
        :func:`eigenvalues`.
    exact : (n,) ndarray of bool
        Eigenvalues of singleton components (1 x 1 diagonal blocks): the diagonal entry
        :math:`(W_{ii}g_i - 1)/\tau_i`, no eigen-solver; bit-exactly :math:`-1/\tau_i` without
        self-coupling.
    bar : (n,) ndarray of bool
        The exact eigenvalues that are bit-exactly :math:`-1/\tau_i` (singletons with
        :math:`W_{ii}g_i = 0`; all of ``exact`` unless the ensemble allows self-coupling).
    giant : (n,) ndarray of bool
        Eigenvalues of the giant (largest) component of at least 2 units.
    component_sizes : (n_components,) ndarray of int
        Sizes of all strongly connected components, largest first.
    giant_size : int
        Units in the giant component (0 when every component is a singleton).
    giant_population_counts : (P,) ndarray of int
        Units of each population in the giant component.
    n : int
        Matrix size.
    seconds : float
        Wall time of the decomposition and the eigen-solves.
    spec : JacobianEnsemble
        The ensemble of the realization.
    """

    eigenvalues: ComplexArray
    exact: Any
    bar: Any
    giant: Any
    component_sizes: Any
    giant_size: int
    giant_population_counts: Any
    n: int
    seconds: float
    spec: JacobianEnsemble

    @property
    def n_exact(self) -> int:
        """Number of eigenvalues from singleton components."""
        return int(np.count_nonzero(self.exact))

    def _population_names(self) -> list[Any]:
        names = list(self.spec.names)
        P = int(self.giant_population_counts.size)
        return names if len(names) == P else list(range(P))

    @property
    def n_bar(self) -> int:
        r"""Number of eigenvalues bit-exactly at their :math:`-1/\tau_i`."""
        return int(np.count_nonzero(self.bar))

    def to_xarray(self) -> Any:
        """Return an ``xarray.Dataset`` over ``eig``, ``component`` and ``population``."""
        import xarray as xr

        return xr.Dataset(
            {
                "eig_re": ("eig", self.eigenvalues.real, {"long_name": "Re lambda"}),
                "eig_im": ("eig", self.eigenvalues.imag, {"long_name": "Im lambda"}),
                "exact": ("eig", self.exact),
                "bar": ("eig", self.bar),
                "giant": ("eig", self.giant),
                "component_size": ("component", self.component_sizes),
                "giant_population_count": ("population", self.giant_population_counts),
            },
            coords={"population": self._population_names()},
            attrs={
                "n": self.n,
                "giant_size": self.giant_size,
                "n_exact": self.n_exact,
                "seconds": self.seconds,
                "method": "components",
            },
        )


def _population_counts(s: JacobianSample, units: Any) -> Any:
    P = max(int(s.mean_removed.shape[0]), int(np.max(s.population)) + 1 if s.n else 0)
    return np.bincount(np.asarray(s.population)[units], minlength=P)


def eigenvalues_by_components(sample: JacobianSample) -> ComponentSpectrum:
    r"""Return all eigenvalues of a sparse realization from its strongly connected components.

    With the block means kept, :math:`A = T^{-1}(-I + WG)` is block triangular once the strongly
    connected components (SCCs) of the graph of :math:`WG` (edge :math:`j \to i` iff
    :math:`W_{ij}g_j \ne 0`) are ordered topologically (Chotibut, Evnin & Horinouchi 2025,
    arXiv:2512.12767; ``docs/theory.md`` section 5.5). Its eigenvalues are those of the
    diagonal blocks: a unit on no cycle is a singleton SCC with the exact eigenvalue
    :math:`-1/\tau_i` (the bar; no eigen-solver), and each larger SCC contributes the
    eigenvalues of its block :math:`A[C, C]` (dense LAPACK ``geev`` on that block only, memory
    :math:`8m^2` bytes for :math:`m` units: 32 MB at :math:`m = 2000`, 288 MB at 6000). The
    giant SCC carries the complex bulk.

    Parameters
    ----------
    sample : JacobianSample
        A realization with its block means kept (``mean_removed`` all zero, e.g. from an
        ensemble with ``keep_mean=True``).

    Returns
    -------
    ComponentSpectrum
        All ``n`` eigenvalues with the exact (singleton) and giant masks.

    Raises
    ------
    ValueError
        If the sample's block means were removed (the Jacobian is then dense).
    MemoryError
        If a component's dense block does not fit in memory.

    Examples
    --------
    >>> ens = JacobianEnsemble.inhibitory_core(n=500, in_degree=4.0)
    >>> s = ens.sample(0)
    >>> cs = eigenvalues_by_components(s)
    >>> cs.n_exact == s.n - int(cs.component_sizes[cs.component_sizes > 1].sum())
    True
    >>> dense = eigenvalues(s).eigenvalues
    >>> bool(np.allclose(np.sort(cs.eigenvalues.real), np.sort(dense.real), atol=1e-9))
    True
    """
    s = _check_sample(sample)
    _require_kept_mean(s, "sample")
    t0 = time.perf_counter()
    dec = _decompose(s)
    vals1, bar1 = _singleton_values(s, dec.singles)
    parts = [vals1.astype(complex)] + [
        _dense_block_eigvals(s, dec, b) for b in range(len(dec.blocks))
    ]
    vals = np.concatenate(parts)
    n1, ng = dec.singles.size, _giant_size(dec)
    exact = np.zeros(s.n, dtype=bool)
    exact[:n1] = True
    bar = np.zeros(s.n, dtype=bool)
    bar[:n1] = bar1
    giant = np.zeros(s.n, dtype=bool)
    giant[n1 : n1 + ng] = True
    order = np.lexsort((-vals.imag, -vals.real))
    dt = time.perf_counter() - t0
    giant_units = dec.blocks[0] if dec.blocks else np.zeros(0, dtype=int)
    return ComponentSpectrum(
        eigenvalues=vals[order],
        exact=exact[order],
        bar=bar[order],
        giant=giant[order],
        component_sizes=np.sort(dec.sizes)[::-1],
        giant_size=ng,
        giant_population_counts=_population_counts(s, giant_units),
        n=s.n,
        seconds=dt,
        spec=s.spec,
    )


# -- region counts ----------------------------------------------------------------------------


def _check_rectangles(rectangles: Any) -> FloatArray:
    R = check_array("rectangles", rectangles, finite=False)
    if R.ndim != 2 or R.shape[1] != 4:
        raise ValueError(
            f"`rectangles` must have shape (k, 4), one row [x0, x1, y0, y1] per rectangle; got "
            f"shape {format_shape(R.shape)}. For one rectangle pass [[x0, x1, y0, y1]]."
        )
    nan = np.flatnonzero(np.isnan(R).any(axis=1))
    if nan.size:
        raise ValueError(
            f"`rectangles` must not contain NaN; got NaN in row {int(nan[0])} = "
            f"{R[nan[0]].tolist()}. Use -inf or inf for an unbounded side."
        )
    for lo, hi, axis in ((0, 1, "x"), (2, 3, "y")):
        bad = np.flatnonzero(R[:, hi] < R[:, lo])
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"`rectangles` must have {axis}0 <= {axis}1 in every row [x0, x1, y0, y1]; got "
                f"row {i} = {R[i].tolist()}. Swap the two {axis} bounds."
            )
    return R


def region_fractions(eigenvalues: Any, rectangles: Any) -> FloatArray:
    r"""Fractions of the eigenvalues inside each rectangle of the complex plane.

    Rectangles are closed on the left and bottom, open on the right and top: ``lambda`` is in
    row ``[x0, x1, y0, y1]`` iff :math:`x_0 \le \mathrm{Re}\,\lambda < x_1` and
    :math:`y_0 \le \mathrm{Im}\,\lambda < y_1`, so adjacent rectangles tile without double
    counting. Infinite bounds are allowed (``[-inf, inf, -inf, inf]`` holds every eigenvalue);
    real eigenvalues (the bar, ``docs/theory.md`` section 5.5) lie in rows with
    :math:`y_0 \le 0 < y_1`. These are the region counts :math:`N(R)/N` of the
    finite-connectivity theory (``docs/theory.md`` section 5.7; Chotibut, Evnin & Horinouchi
    2025, arXiv:2512.12767).

    Parameters
    ----------
    eigenvalues : array_like of complex, shape (n,)
        A spectrum.
    rectangles : array_like, shape (k, 4)
        Rows ``[x0, x1, y0, y1]`` with ``x0 <= x1`` and ``y0 <= y1`` (equal bounds: an empty
        rectangle).

    Returns
    -------
    (k,) ndarray
        Fraction of the ``n`` eigenvalues in each rectangle (NaN for an empty spectrum).

    Examples
    --------
    >>> lam = np.array([-1.0, -0.5 + 0.2j, -0.5 - 0.2j, 0.1])
    >>> region_fractions(lam, [[-np.inf, 0, -np.inf, np.inf], [-1, 0, 0, np.inf], [0, 1, 0, 1]])
    array([0.75, 0.5 , 0.25])
    """
    lam = check_array("eigenvalues", eigenvalues, shape=(None,), dtype=complex)
    R = _check_rectangles(rectangles)
    k = R.shape[0]
    if lam.size == 0:
        return np.full(k, np.nan)
    x, y = lam.real[None, :], lam.imag[None, :]
    out = np.empty(k)
    step = max(1, 2**22 // lam.size)  # bounded (rectangles x eigenvalues) masks
    for a in range(0, k, step):
        r = R[a : a + step]
        inside = (x >= r[:, 0:1]) & (x < r[:, 1:2]) & (y >= r[:, 2:3]) & (y < r[:, 3:4])
        out[a : a + step] = np.count_nonzero(inside, axis=1) / lam.size
    return out


# -- high quantiles of the real parts from the largest ones -----------------------------------


def _check_quantiles(quantiles: Any) -> FloatArray:
    q = check_array("quantiles", quantiles, shape=(None,))
    if q.size == 0 or np.any((q <= 0) | (q >= 1)):
        raise ValueError(
            f"`quantiles` must be a non-empty sequence of levels in (0, 1); got "
            f"{q.tolist()}. E.g. quantiles=(0.99, 0.999)."
        )
    return q


def _needed(n: int, q: float) -> int:
    """How many of the largest of ``n`` values the (linear) quantile ``q`` reads.

    ``n - floor((n - 1) q)``, at most ``ceil((1 - q) n) + 1``.
    """
    return n - math.floor((n - 1) * q)


def _upper_quantile(top: FloatArray, n: int, q: float) -> float:
    """``np.quantile(x, q)`` (method ``"linear"``) of ``n`` values ``x`` from the largest ones.

    ``top`` holds at least ``_needed(n, q)`` largest values of ``x``, sorted decreasing; same
    arithmetic as numpy (virtual index ``(n - 1) q``, its two-sided linear interpolation).
    """
    if n == 0:
        return math.nan
    h = (n - 1) * q
    i = math.floor(h)
    t = h - i
    a = float(top[n - 1 - i])
    b = float(top[n - 2 - i]) if i + 1 < n else a
    diff = b - a
    return b - diff * (1.0 - t) if t >= 0.5 else a + diff * t


def _quantiles_from_top(top: FloatArray, n: int, q: FloatArray) -> FloatArray:
    return np.array([_upper_quantile(top, n, float(x)) for x in q])


# -- region measurement over realizations -----------------------------------------------------


def _check_ensemble(ensemble: Any) -> JacobianEnsemble:
    if not isinstance(ensemble, JacobianEnsemble):
        raise TypeError(
            f"`ensemble` must be a JacobianEnsemble (e.g. JacobianEnsemble.inhibitory_core); "
            f"got {type(ensemble).__name__}."
        )
    return ensemble


def _mean_se(x: Any) -> tuple[Any, Any]:
    """Mean and standard error over axis 0 (NaN SE for one realization)."""
    x = np.asarray(x, dtype=float)
    mean = x.mean(axis=0)
    if x.shape[0] < 2:
        return mean, np.full_like(mean, np.nan)
    return mean, x.std(axis=0, ddof=1) / math.sqrt(x.shape[0])


def _quantile_variables(m: Any) -> dict[str, Any]:
    """The quantile-of-real-parts variables shared by the region and rightmost measurements."""
    return {
        "quantile_real_per_realization": (("realization", "quantile"), m.quantiles_real),
        "quantile_real": ("quantile", m.quantile_real),
        "quantile_real_se": ("quantile", m.quantile_real_se),
        "giant_quantile_real_per_realization": (
            ("realization", "quantile"),
            m.giant_quantiles_real,
        ),
        "giant_quantile_real": ("quantile", m.giant_quantile_real),
        "giant_quantile_real_se": ("quantile", m.giant_quantile_real_se),
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class RegionMeasurement:
    r"""Region fractions, bar counts, giant component and high real-part quantiles.

    Singular names are means over realizations (with ``_se``: their standard errors), plural
    names the per-realization values.

    Attributes
    ----------
    rectangles : (k, 4) ndarray
        Rows ``[x0, x1, y0, y1]`` (see :func:`region_fractions`).
    fraction, fraction_se : (k,) ndarray
        Mean fraction of eigenvalues in each rectangle and its standard error.
    fractions : (r, k) ndarray
        Per realization.
    bar_count, bar_count_se : float
        Eigenvalues bit-exactly at their :math:`-1/\tau_i` (singleton components).
    bar_counts : (r,) ndarray of int
    near_bar_count, near_bar_count_se : float
        Eigenvalues within :math:`10^{-8}\max(1, |\lambda|)` of some :math:`-1/\tau_j` of the
        sample (:func:`at_poles`): the exact ones plus any giant-component eigenvalue there.
    near_bar_counts : (r,) ndarray of int
    giant_fraction, giant_fraction_se : float
        Fraction of units in the giant strongly connected component.
    giant_fractions : (r,) ndarray
    giant_rightmost, giant_rightmost_se : float
        Largest real part of the giant component's eigenvalues (NaN without a giant component).
    giant_rightmosts : (r,) ndarray of complex
        The rightmost giant-component eigenvalue of each realization.
    quantiles : (q,) ndarray
        Quantile levels.
    quantile_real, quantile_real_se : (q,) ndarray
        Quantiles of the real parts of all ``n`` eigenvalues.
    quantiles_real : (r, q) ndarray
    giant_quantile_real, giant_quantile_real_se : (q,) ndarray
        Quantiles of the real parts of the giant component's eigenvalues.
    giant_quantiles_real : (r, q) ndarray
    n_realizations : int
        Number of realizations.
    seconds : float
        Total wall time (sampling included).
    seed : int or None
        Root seed (realization ``i`` uses ``SeedSequence(seed).spawn(r)[i]``).
    spec : JacobianEnsemble
        The ensemble.
    """

    rectangles: FloatArray
    fraction: FloatArray
    fraction_se: FloatArray
    fractions: FloatArray
    bar_count: float
    bar_count_se: float
    bar_counts: Any
    near_bar_count: float
    near_bar_count_se: float
    near_bar_counts: Any
    giant_fraction: float
    giant_fraction_se: float
    giant_fractions: FloatArray
    giant_rightmost: float
    giant_rightmost_se: float
    giant_rightmosts: ComplexArray
    quantiles: FloatArray
    quantile_real: FloatArray
    quantile_real_se: FloatArray
    quantiles_real: FloatArray
    giant_quantile_real: FloatArray
    giant_quantile_real_se: FloatArray
    giant_quantiles_real: FloatArray
    n_realizations: int
    seconds: float
    seed: int | None
    spec: JacobianEnsemble

    def to_xarray(self) -> Any:
        """Return an ``xarray.Dataset`` over ``(realization, region)`` and ``quantile``."""
        import xarray as xr

        rect = {
            f"region_{c}": ("region", self.rectangles[:, i])
            for i, c in enumerate(("x0", "x1", "y0", "y1"))
        }
        return xr.Dataset(
            {
                "fraction_per_realization": (("realization", "region"), self.fractions),
                "fraction": ("region", self.fraction),
                "fraction_se": ("region", self.fraction_se),
                "bar_count_per_realization": ("realization", self.bar_counts),
                "bar_count": ((), self.bar_count),
                "bar_count_se": ((), self.bar_count_se),
                "near_bar_count_per_realization": ("realization", self.near_bar_counts),
                "near_bar_count": ((), self.near_bar_count),
                "near_bar_count_se": ((), self.near_bar_count_se),
                "giant_fraction_per_realization": ("realization", self.giant_fractions),
                "giant_fraction": ((), self.giant_fraction),
                "giant_fraction_se": ((), self.giant_fraction_se),
                "giant_rightmost_re_per_realization": (
                    "realization",
                    self.giant_rightmosts.real,
                ),
                "giant_rightmost_im_per_realization": (
                    "realization",
                    self.giant_rightmosts.imag,
                ),
                "giant_rightmost": ((), self.giant_rightmost),
                "giant_rightmost_se": ((), self.giant_rightmost_se),
                **_quantile_variables(self),
            },
            coords={
                "realization": np.arange(self.n_realizations),
                "region": np.arange(self.rectangles.shape[0]),
                "quantile": self.quantiles,
                **rect,
            },
            attrs={
                "seed": -1 if self.seed is None else self.seed,
                "n": self.spec.n,
                "seconds": self.seconds,
                "region_convention": "x0 <= Re < x1 and y0 <= Im < y1",
            },
        )


def measure_regions(
    ensemble: JacobianEnsemble,
    rectangles: Any,
    *,
    n_realizations: int = 3,
    seed: int | None = 0,
    quantiles: Any = (0.99, 0.999),
    progress: Any = None,
) -> RegionMeasurement:
    r"""Measure region fractions and the bar/blob structure over independent realizations.

    Each realization's full spectrum comes from :func:`eigenvalues_by_components`; from it:
    the fraction of eigenvalues in each rectangle (:func:`region_fractions`, the region counts
    :math:`N(R)/N` of ``docs/theory.md`` section 5.7), the number of eigenvalues bit-exactly on
    the bar (singleton components) and the number within :math:`10^{-8}\max(1, |\lambda|)` of
    some :math:`-1/\tau_j` of the sample (:func:`at_poles`), the fraction of units in the giant
    component, its rightmost eigenvalue, and high quantiles of the real parts of all
    eigenvalues and of the giant component's (Chotibut, Evnin & Horinouchi 2025,
    arXiv:2512.12767; ``docs/theory.md`` section 5.5).

    Parameters
    ----------
    ensemble : JacobianEnsemble
        An ensemble whose samples keep their block means (``keep_mean=True``).
    rectangles : array_like, shape (k, 4)
        Rows ``[x0, x1, y0, y1]`` (closed-open, see :func:`region_fractions`).
    n_realizations : int
        Number of independent realizations.
    seed : int, optional
        Root seed; realization ``i`` uses the ``i``-th child of ``SeedSequence(seed)``.
    quantiles : sequence of float
        Quantile levels in (0, 1) of the real parts.
    progress : callable, optional
        Called with no arguments after each realization (e.g. a progress bar's ``update``).

    Returns
    -------
    RegionMeasurement
        Means, standard errors and per-realization values.

    Examples
    --------
    >>> ens = JacobianEnsemble.inhibitory_core(n=400, in_degree=4.0)
    >>> m = measure_regions(ens, [[-np.inf, np.inf, 0.0, np.inf]], n_realizations=2, seed=1)
    >>> m.fractions.shape, bool(m.fraction[0] > 0.5)         # Im >= 0: the bar and half the blob
    ((2, 1), True)
    """
    ens = _check_ensemble(ensemble)
    R = _check_rectangles(rectangles)
    r = check_positive_int("n_realizations", n_realizations)
    _check_quantiles(quantiles)
    t0 = time.perf_counter()
    comps, taus = [], []
    for child in np.random.SeedSequence(seed).spawn(r):
        s = ens.sample(np.random.default_rng(child))
        _require_kept_mean(s, "ensemble")
        comps.append(eigenvalues_by_components(s))
        taus.append(s.tau)
        if progress is not None:
            progress()
    return region_measurement(
        comps, taus, R, quantiles=quantiles, seed=seed, seconds=time.perf_counter() - t0
    )


def region_measurement(
    components: Sequence[ComponentSpectrum],
    taus: Sequence[Any],
    rectangles: Any,
    *,
    quantiles: Any = (0.99, 0.999),
    seed: int | None = None,
    seconds: float = 0.0,
) -> RegionMeasurement:
    """The statistics of :func:`measure_regions` from spectra already computed.

    Parameters
    ----------
    components : sequence of ComponentSpectrum
        One per realization (:func:`eigenvalues_by_components`), all of one ensemble.
    taus : sequence of (n,) ndarray
        The realizations' timescales (for the count near a pole).
    rectangles : array_like, shape (k, 4)
        Rows ``[x0, x1, y0, y1]`` (closed-open, see :func:`region_fractions`).
    quantiles : sequence of float
        Quantile levels in (0, 1) of the real parts.
    seed : int, optional
        The root seed the realizations came from (recorded).
    seconds : float
        Time spent computing the spectra (recorded).

    Returns
    -------
    RegionMeasurement
        Means, standard errors and per-realization values.
    """
    R = _check_rectangles(rectangles)
    q = _check_quantiles(quantiles)
    if len(components) == 0 or len(components) != len(taus):
        raise ValueError(
            f"`components` and `taus` must be non-empty and of equal length; got "
            f"{len(components)} and {len(taus)}."
        )
    fr, nbar, nnear, gfrac, grm, qr, gqr = [], [], [], [], [], [], []
    for cs, tau in zip(components, taus, strict=True):
        lam = cs.eigenvalues
        fr.append(region_fractions(lam, R))
        nbar.append(cs.n_bar)
        nnear.append(int(np.count_nonzero(at_poles(lam, -1.0 / np.asarray(tau), rtol=1e-8))))
        gfrac.append(cs.giant_size / cs.n)
        g = lam[cs.giant]  # still sorted by decreasing real part
        grm.append(g[0] if g.size else complex(math.nan, math.nan))
        qr.append(_quantiles_from_top(lam.real, cs.n, q))
        gqr.append(_quantiles_from_top(g.real, g.size, q))
    r = len(components)
    fractions = np.stack(fr)
    bar_counts, near_counts = np.array(nbar), np.array(nnear)
    giant_fractions, giant_rm = np.array(gfrac), np.array(grm, dtype=complex)
    qreal, gqreal = np.stack(qr), np.stack(gqr)
    f_m, f_se = _mean_se(fractions)
    b_m, b_se = _mean_se(bar_counts)
    nb_m, nb_se = _mean_se(near_counts)
    gf_m, gf_se = _mean_se(giant_fractions)
    gr_m, gr_se = _mean_se(giant_rm.real)
    q_m, q_se = _mean_se(qreal)
    gq_m, gq_se = _mean_se(gqreal)
    return RegionMeasurement(
        rectangles=R,
        fraction=f_m,
        fraction_se=f_se,
        fractions=fractions,
        bar_count=float(b_m),
        bar_count_se=float(b_se),
        bar_counts=bar_counts,
        near_bar_count=float(nb_m),
        near_bar_count_se=float(nb_se),
        near_bar_counts=near_counts,
        giant_fraction=float(gf_m),
        giant_fraction_se=float(gf_se),
        giant_fractions=giant_fractions,
        giant_rightmost=float(gr_m),
        giant_rightmost_se=float(gr_se),
        giant_rightmosts=giant_rm,
        quantiles=q,
        quantile_real=q_m,
        quantile_real_se=q_se,
        quantiles_real=qreal,
        giant_quantile_real=gq_m,
        giant_quantile_real_se=gq_se,
        giant_quantiles_real=gqreal,
        n_realizations=r,
        seconds=float(seconds),
        seed=seed,
        spec=components[0].spec,
    )


# -- rightmost region at large n --------------------------------------------------------------

#: default largest giant component solved by dense LAPACK in ``method="auto"``
MAX_DENSE_GIANT = 2000


@dataclass(frozen=True, slots=True, kw_only=True)
class RightmostSpectrum:
    r"""Rightmost eigenvalue and high real-part quantiles of one sparse realization.

    Attributes
    ----------
    rightmost : complex
        Eigenvalue of largest real part among all ``n``.
    giant_rightmost : complex
        Eigenvalue of largest real part of the giant component (NaN without one).
    quantiles : (q,) ndarray
        Quantile levels.
    quantile_real : (q,) ndarray
        Quantiles of the real parts of all ``n`` eigenvalues (``np.quantile``, linear).
    giant_quantile_real : (q,) ndarray
        Quantiles of the real parts of the giant component's eigenvalues.
    eigenvalues : (m,) ndarray of complex
        The eigenvalues computed, sorted by decreasing real part: all ``n`` for
        ``"components"``; for ``"arnoldi"`` the exact singleton values, the small components'
        and the ``k`` Arnoldi values of the giant component -- every eigenvalue with real part
        above ``complete_above`` is among them.
    complete_above : float
        Real part above which ``eigenvalues`` is complete (``-inf`` for ``"components"``; the
        smallest Arnoldi real part for ``"arnoldi"``).
    method : str
        ``"components"`` or ``"arnoldi"``.
    k : int
        Arnoldi eigenvalues of the giant component (0 for ``"components"``).
    giant_size : int
        Units in the giant component.
    n_exact : int
        Eigenvalues from singleton components.
    n : int
        Matrix size.
    seconds : float
        Wall time (decomposition and eigen-solves).
    spec : JacobianEnsemble
        The ensemble of the realization.
    """

    rightmost: complex
    giant_rightmost: complex
    quantiles: FloatArray
    quantile_real: FloatArray
    giant_quantile_real: FloatArray
    eigenvalues: ComplexArray
    complete_above: float
    method: str
    k: int
    giant_size: int
    n_exact: int
    n: int
    seconds: float
    spec: JacobianEnsemble

    def to_xarray(self) -> Any:
        """Return an ``xarray.Dataset`` with the quantiles over ``quantile`` and the eigenvalues."""
        import xarray as xr

        return xr.Dataset(
            {
                "quantile_real": ("quantile", self.quantile_real),
                "giant_quantile_real": ("quantile", self.giant_quantile_real),
                "eig_re": ("eig", self.eigenvalues.real),
                "eig_im": ("eig", self.eigenvalues.imag),
                "rightmost_re": ((), self.rightmost.real),
                "rightmost_im": ((), self.rightmost.imag),
                "giant_rightmost_re": ((), self.giant_rightmost.real),
                "giant_rightmost_im": ((), self.giant_rightmost.imag),
            },
            coords={"quantile": self.quantiles},
            attrs={
                "n": self.n,
                "method": self.method,
                "k": self.k,
                "giant_size": self.giant_size,
                "n_exact": self.n_exact,
                "complete_above": self.complete_above,
                "seconds": self.seconds,
            },
        )


def _arnoldi_giant(B: Any, k: int, *, tol: float, v0: FloatArray, ncv: int | None) -> ComplexArray:
    m = B.shape[0]
    try:
        return splinalg.eigs(  # type: ignore[no-any-return]
            B,
            k=k,
            which="LR",
            tol=tol,
            v0=v0,
            ncv=min(m - 1, ncv or max(2 * k + 1, k + 20)),
            return_eigenvectors=False,
        )
    except splinalg.ArpackNoConvergence as exc:
        raise RuntimeError(
            f"ARPACK did not converge for the k = {k} rightmost eigenvalues of the giant "
            f"component ({m} units); pass a larger `ncv`, a looser `tol`, or "
            "method='components' (dense LAPACK on the giant block)."
        ) from exc


def _sorted_desc(vals: ComplexArray) -> ComplexArray:
    return vals[np.lexsort((-vals.imag, -vals.real))]


def rightmost_sparse(
    sample: JacobianSample,
    *,
    quantiles: Any = (0.99, 0.999),
    method: str = "auto",
    k: int | None = None,
    max_dense: int = MAX_DENSE_GIANT,
    tol: float = 1e-12,
    ncv: int | None = None,
    rng: Seed = 0,
) -> RightmostSpectrum:
    r"""Rightmost eigenvalue and high real-part quantiles of a large sparse realization.

    The strongly connected components of the graph of :math:`WG` make :math:`A` block
    triangular (``docs/theory.md`` section 5.5; Chotibut, Evnin & Horinouchi 2025,
    arXiv:2512.12767): singleton components give their eigenvalues exactly, small components
    by dense LAPACK; only the giant component needs work. Two routes for it:

    - ``"components"``: dense LAPACK on the giant block (all its eigenvalues; memory
      :math:`8m^2` bytes for :math:`m` units, 32 MB at 2000, 288 MB at 6000; single-core time
      about 2 s at 2000 and 1 min at 5500).
    - ``"arnoldi"``: ARPACK implicitly restarted Arnoldi (``which="LR"``) on the giant block as
      a sparse matrix, for its ``k`` eigenvalues of largest real part. A quantile ``q`` of the
      ``n`` real parts reads the top ``n - floor((n - 1) q)`` :math:`\le \lceil(1-q)n\rceil + 1`
      of them; the exact singleton values and the small components' are merged with the Arnoldi
      values, and the result is accepted only when the needed values all lie at or above the
      smallest Arnoldi real part (below it the giant's eigenvalues are unknown); otherwise
      ``k`` is doubled.
    - ``"auto"`` (default): ``"components"`` when the giant component has at most
      ``max_dense`` units, else ``"arnoldi"``.

    Parameters
    ----------
    sample : JacobianSample
        A realization with its block means kept (``mean_removed`` all zero).
    quantiles : sequence of float
        Quantile levels in (0, 1) of the real parts.
    method : {"auto", "components", "arnoldi"}
        Route for the giant component.
    k : int, optional
        Initial number of Arnoldi eigenvalues; default ``n - floor((n - 1) max(quantiles)) + 2``
        (enough whatever the split between the giant component and the rest). Raised to what
        the giant component's own quantiles need; doubled while the check above fails.
    max_dense : int
        Largest giant component solved densely by ``"auto"``.
    tol : float
        ARPACK relative tolerance.
    ncv : int, optional
        Arnoldi basis size (default ``max(2k + 1, k + 20)``).
    rng : int, Generator or None
        Seed of ARPACK's starting vector.

    Returns
    -------
    RightmostSpectrum
        Rightmost eigenvalues and quantiles.

    Raises
    ------
    ValueError
        If the sample's block means were removed (the Jacobian is then dense).

    Examples
    --------
    >>> ens = JacobianEnsemble.inhibitory_core(n=3000, in_degree=4.0)
    >>> s = ens.sample(0)
    >>> a = rightmost_sparse(s, method="arnoldi")
    >>> c = rightmost_sparse(s, method="components")
    >>> a.k > 0, bool(abs(a.rightmost - c.rightmost) < 1e-8)
    (True, True)
    >>> bool(np.allclose(a.quantile_real, c.quantile_real, rtol=0, atol=1e-8))
    True
    """
    s = _check_sample(sample)
    _require_kept_mean(s, "sample")
    q = _check_quantiles(quantiles)
    check_in("method", method, ["auto", "components", "arnoldi"])
    check_nonnegative_int("max_dense", max_dense)
    tol = check_real("tol", tol)
    gen = as_rng(rng)
    t0 = time.perf_counter()
    dec = _decompose(s)
    n, ng = s.n, _giant_size(dec)
    vals1, _ = _singleton_values(s, dec.singles)
    known = [vals1.astype(complex)] + [
        _dense_block_eigvals(s, dec, b) for b in range(1, len(dec.blocks))
    ]
    need = max(_needed(n, float(x)) for x in q)
    need_g = max(_needed(ng, float(x)) for x in q) if ng else 0
    route = method
    if route == "auto":
        route = "components" if ng <= max_dense else "arnoldi"
    kk = need + 2 if k is None else check_positive_int("k", k)
    kk = max(kk, need_g + 1, 1)
    if route == "arnoldi" and kk >= ng - 1:
        route = "components"  # the giant component is too small for ARPACK: all of it densely
    floor_re = -math.inf
    if route == "components":
        giant = _dense_block_eigvals(s, dec, 0) if ng else np.zeros(0, dtype=complex)
        used_k = 0
    else:
        B = _block_matrix(s, dec, 0, dense=False).tocsr()
        v0 = gen.standard_normal(ng)
        while True:
            giant = _arnoldi_giant(B, kk, tol=tol, v0=v0, ncv=ncv)
            floor_re = float(giant.real.min())
            top = np.sort(np.concatenate([*known, giant]).real)[::-1]
            if top.size >= need and top[need - 1] >= floor_re:
                break
            if kk >= ng - 2:
                raise RuntimeError(
                    f"the {need} largest real parts needed by `quantiles` {q.tolist()} are not "
                    f"all above the smallest of the k = {kk} Arnoldi eigenvalues of the giant "
                    f"component ({ng} units); use method='components'."
                )
            kk = min(2 * kk, ng - 2)
        used_k = kk
    allv = _sorted_desc(np.concatenate([*known, giant]))
    giant = _sorted_desc(giant)
    nan_c = complex(math.nan, math.nan)
    return RightmostSpectrum(
        rightmost=complex(allv[0]) if allv.size else nan_c,
        giant_rightmost=complex(giant[0]) if giant.size else nan_c,
        quantiles=q,
        quantile_real=_quantiles_from_top(allv.real, n, q),
        giant_quantile_real=_quantiles_from_top(giant.real, ng, q),
        eigenvalues=allv,
        complete_above=floor_re,
        method=route,
        k=used_k,
        giant_size=ng,
        n_exact=int(dec.singles.size),
        n=n,
        seconds=time.perf_counter() - t0,
        spec=s.spec,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class RightmostMeasurement:
    """Rightmost eigenvalue and high real-part quantiles over realizations.

    Singular names are means over realizations (with ``_se``: standard errors), plural names
    the per-realization values.

    Attributes
    ----------
    rightmost, rightmost_se : float
        Largest real part among all ``n`` eigenvalues.
    rightmosts : (r,) ndarray
    giant_rightmost, giant_rightmost_se : float
        Largest real part of the giant component's eigenvalues.
    giant_rightmosts : (r,) ndarray
    quantiles : (q,) ndarray
        Quantile levels.
    quantile_real, quantile_real_se : (q,) ndarray
        Quantiles of the real parts of all ``n`` eigenvalues.
    quantiles_real : (r, q) ndarray
    giant_quantile_real, giant_quantile_real_se : (q,) ndarray
        Quantiles of the real parts of the giant component's eigenvalues.
    giant_quantiles_real : (r, q) ndarray
    giant_sizes : (r,) ndarray of int
        Units in the giant component.
    methods : tuple of str
        Route of each realization (``"components"`` or ``"arnoldi"``).
    ks : (r,) ndarray of int
        Arnoldi ``k`` of each realization (0 for ``"components"``).
    seconds_per_realization : (r,) ndarray
        Eigen-solver wall time of each realization.
    n_realizations : int
        Number of realizations.
    seconds : float
        Total wall time (sampling included).
    seed : int or None
        Root seed.
    spec : JacobianEnsemble
        The ensemble.
    """

    rightmost: float
    rightmost_se: float
    rightmosts: FloatArray
    giant_rightmost: float
    giant_rightmost_se: float
    giant_rightmosts: FloatArray
    quantiles: FloatArray
    quantile_real: FloatArray
    quantile_real_se: FloatArray
    quantiles_real: FloatArray
    giant_quantile_real: FloatArray
    giant_quantile_real_se: FloatArray
    giant_quantiles_real: FloatArray
    giant_sizes: Any
    methods: tuple[str, ...]
    ks: Any
    seconds_per_realization: FloatArray
    n_realizations: int
    seconds: float
    seed: int | None
    spec: JacobianEnsemble

    def to_xarray(self) -> Any:
        """Return an ``xarray.Dataset`` over ``realization`` and ``quantile``."""
        import xarray as xr

        return xr.Dataset(
            {
                "rightmost_per_realization": ("realization", self.rightmosts),
                "rightmost": ((), self.rightmost),
                "rightmost_se": ((), self.rightmost_se),
                "giant_rightmost_per_realization": ("realization", self.giant_rightmosts),
                "giant_rightmost": ((), self.giant_rightmost),
                "giant_rightmost_se": ((), self.giant_rightmost_se),
                **_quantile_variables(self),
                "giant_size": ("realization", self.giant_sizes),
                "method": ("realization", list(self.methods)),
                "k": ("realization", self.ks),
                "seconds_per_realization": ("realization", self.seconds_per_realization),
            },
            coords={"realization": np.arange(self.n_realizations), "quantile": self.quantiles},
            attrs={
                "seed": -1 if self.seed is None else self.seed,
                "n": self.spec.n,
                "seconds": self.seconds,
            },
        )


def measure_rightmost_sparse(
    ensemble: JacobianEnsemble,
    *,
    n_realizations: int = 3,
    seed: int | None = 0,
    k: int | None = None,
    quantiles: Any = (0.99, 0.999),
    method: str = "auto",
    max_dense: int = MAX_DENSE_GIANT,
    tol: float = 1e-12,
    progress: Any = None,
) -> RightmostMeasurement:
    """Measure the rightmost eigenvalue and high real-part quantiles over realizations.

    Each realization goes through :func:`rightmost_sparse` (components, plus dense LAPACK or
    Arnoldi on the giant component), for ``n`` up to tens of thousands (``docs/theory.md``
    section 5.5; Chotibut, Evnin & Horinouchi 2025, arXiv:2512.12767).

    Parameters
    ----------
    ensemble : JacobianEnsemble
        An ensemble whose samples keep their block means (``keep_mean=True``).
    n_realizations : int
        Number of independent realizations.
    seed : int, optional
        Root seed; realization ``i`` uses the ``i``-th child of ``SeedSequence(seed)`` for the
        sample and then for ARPACK's starting vector.
    k, quantiles, method, max_dense, tol
        As for :func:`rightmost_sparse`.
    progress : callable, optional
        Called with no arguments after each realization.

    Returns
    -------
    RightmostMeasurement
        Means, standard errors and per-realization values.

    Examples
    --------
    >>> ens = JacobianEnsemble.inhibitory_core(n=1000, in_degree=4.0)
    >>> m = measure_rightmost_sparse(ens, n_realizations=2, seed=3)
    >>> m.quantiles_real.shape, m.methods
    ((2, 2), ('components', 'components'))
    """
    ens = _check_ensemble(ensemble)
    r = check_positive_int("n_realizations", n_realizations)
    q = _check_quantiles(quantiles)
    check_in("method", method, ["auto", "components", "arnoldi"])
    t0 = time.perf_counter()
    res = []
    for child in np.random.SeedSequence(seed).spawn(r):
        gen = np.random.default_rng(child)
        s = ens.sample(gen)
        _require_kept_mean(s, "ensemble")
        res.append(
            rightmost_sparse(
                s, quantiles=q, method=method, k=k, max_dense=max_dense, tol=tol, rng=gen
            )
        )
        if progress is not None:
            progress()
    rm = np.array([x.rightmost.real for x in res])
    grm = np.array([x.giant_rightmost.real for x in res])
    qr = np.stack([x.quantile_real for x in res])
    gqr = np.stack([x.giant_quantile_real for x in res])
    rm_m, rm_se = _mean_se(rm)
    g_m, g_se = _mean_se(grm)
    q_m, q_se = _mean_se(qr)
    gq_m, gq_se = _mean_se(gqr)
    return RightmostMeasurement(
        rightmost=float(rm_m),
        rightmost_se=float(rm_se),
        rightmosts=rm,
        giant_rightmost=float(g_m),
        giant_rightmost_se=float(g_se),
        giant_rightmosts=grm,
        quantiles=q,
        quantile_real=q_m,
        quantile_real_se=q_se,
        quantiles_real=qr,
        giant_quantile_real=gq_m,
        giant_quantile_real_se=gq_se,
        giant_quantiles_real=gqr,
        giant_sizes=np.array([x.giant_size for x in res]),
        methods=tuple(x.method for x in res),
        ks=np.array([x.k for x in res]),
        seconds_per_realization=np.array([x.seconds for x in res]),
        n_realizations=r,
        seconds=time.perf_counter() - t0,
        seed=seed,
        spec=ens,
    )
