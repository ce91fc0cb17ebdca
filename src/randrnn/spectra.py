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
"""

from __future__ import annotations

import math
import time
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
    check_array,
    check_in,
    check_nonnegative_int,
    check_positive_int,
    check_real,
)
from randrnn.ensembles import STATISTICS, JacobianEnsemble, JacobianSample, vary

__all__ = [
    "EdgeEstimate",
    "EdgeMeasurement",
    "EdgeSensitivityMeasurement",
    "Spectrum",
    "at_poles",
    "bar_fraction",
    "edge_estimate",
    "eigenvalues",
    "measure_edge",
    "measure_edge_sensitivity",
    "rightmost_eigenvalues",
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
    edges = np.array([e.edge for e in ests])
    mx = np.array([e.max_real for e in ests])
    ht = np.array([e.height for e in ests])
    return EdgeMeasurement(
        edge=float(edges.mean()),
        edge_se=_se(edges),
        max_real=float(mx.mean()),
        max_real_se=_se(mx),
        height=float(ht.mean()),
        height_se=_se(ht),
        edges=edges,
        eigenvalues=np.stack(spectra),
        n_realizations=r,
        seconds=time.perf_counter() - t0,
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
        tolerance is far above LAPACK's backward error for these triangular-block eigenvalues
        and far below the bulk's eigenvalue spacing :math:`\sim n^{-1/2}`.

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
