r"""Random-matrix theory of Jacobians :math:`A = T^{-1}(-I + W G)` of sparse E/I block ensembles.

Large-N predictions for :class:`~randrnn.ensembles.BlockEnsemble` (physics.md section 5;
Chotibut, Evnin & Horinouchi 2025 [1]_), derived from the Hermitized resolvent of a matrix with a
block variance profile plus a diagonal.

Support and edge
    - :func:`perron_matrix`, :func:`perron_root` -- the P x P matrix whose Perron root decides
      whether ``z`` lies in the support of the bulk.
    - :func:`support_boundary` -- the boundary curve :math:`y = \pm y_{\max}(x)`.
    - :func:`spectral_edge` -- rightmost point of the support, the bulk's height (width).
Density
    - :func:`eigenvalue_density` -- eigenvalue mass per cell of a grid from the self-consistent
      Hermitized-resolvent equations.
Outliers and sparse structure
    - :func:`outliers` -- eigenvalues created by the block means.
    - :func:`strong_component` -- finite-connectivity structure: fraction of units in the giant
      strongly connected component (the bulk) and in the real "bar" at :math:`-1/\tau_i`.
Sensitivity
    - :func:`edge_sensitivity` -- predicted edge as a function of one statistic.

References
----------
.. [1] Chotibut, Evnin & Horinouchi (2025), "Random matrix theory of sparse neuronal networks
   with heterogeneous timescales", arXiv:2512.12767v1.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize

from randrnn._typing import ComplexArray, FloatArray
from randrnn._validation import check_array, check_in, check_positive_int
from randrnn.ensembles import (
    STATISTICS,
    AbstractDistribution,
    BlockEnsemble,
    Fixed,
    Samples,
    Uniform,
    vary,
)
from randrnn.errors import ConvergenceError, RegimeWarning

__all__ = [
    "EdgeSensitivity",
    "Outliers",
    "SpectralDensity",
    "SpectralEdge",
    "StrongComponent",
    "SupportBoundary",
    "edge_sensitivity",
    "eigenvalue_density",
    "outliers",
    "perron_matrix",
    "perron_root",
    "spectral_edge",
    "strong_component",
    "support_boundary",
]

_REFS = ("chotibut2025",)
#: default number of quadrature nodes per distribution (Gauss rules; exact for fixed/samples)
N_QUAD = 48


def _check_ensemble(ensemble: Any) -> BlockEnsemble:
    if not isinstance(ensemble, BlockEnsemble):
        raise TypeError(
            f"`ensemble` must be a BlockEnsemble (the only supported type); "
            f"got {type(ensemble).__name__}."
        )
    return ensemble


# -- expectations over the timescale distribution --------------------------------------------


def _inv_abs2(dist: AbstractDistribution, z: ComplexArray, n_quad: int) -> FloatArray:
    r""":math:`E_\tau[1/|\tau z + 1|^2]`, closed form for uniform, quadrature otherwise."""
    if isinstance(dist, Uniform) and dist.high > dist.low:
        lo, hi = dist.low, dist.high
        x, y = z.real, np.abs(z.imag)
        r2 = x * x + y * y
        with np.errstate(divide="ignore", invalid="ignore"):
            off = (np.arctan((r2 * hi + x) / y) - np.arctan((r2 * lo + x) / y)) / y
            on = (hi - lo) / ((lo * x + 1.0) * (hi * x + 1.0))
            on = np.where((lo * x + 1.0) * (hi * x + 1.0) > 0, on, np.inf)
        return np.where(y > 0, off, on) / (hi - lo)
    t, w = dist.quadrature(n_quad)
    d2 = np.abs(np.multiply.outer(z, t) + 1.0) ** 2
    with np.errstate(divide="ignore"):
        return np.sum(w / d2, axis=-1)


def _inv_lin(dist: AbstractDistribution, z: ComplexArray, n_quad: int) -> ComplexArray:
    r""":math:`E_\tau[1/(\tau z + 1)]`, closed form for uniform, quadrature otherwise."""
    if isinstance(dist, Uniform) and dist.high > dist.low:
        lo, hi = dist.low, dist.high
        return np.log((z * hi + 1.0) / (z * lo + 1.0)) / (z * (hi - lo))
    t, w = dist.quadrature(n_quad)
    return np.sum(w / (np.multiply.outer(z, t) + 1.0), axis=-1)


def _moment_matrix(ens: BlockEnsemble, z: ComplexArray, n_quad: int) -> FloatArray:
    r""":math:`m_b(z) = E_b[g^2/|\tau z+1|^2]` with shape ``z.shape + (P,)``."""
    cols = [
        gd.second_moment * _inv_abs2(td, z, n_quad)
        for td, gd in zip(ens.tau, ens.gain, strict=True)
    ]
    return np.stack(cols, axis=-1)


def _perron_from_m(ens: BlockEnsemble, m: FloatArray) -> FloatArray:
    s = ens.block_variance
    with np.errstate(invalid="ignore"):
        M = s * (ens.alpha * m)[..., None, :]
    P = ens.n_populations
    if P == 1:
        return M[..., 0, 0]
    if P == 2:
        with np.errstate(invalid="ignore"):
            tr = M[..., 0, 0] + M[..., 1, 1]
            det = M[..., 0, 0] * M[..., 1, 1] - M[..., 0, 1] * M[..., 1, 0]
            disc = np.sqrt(np.maximum(tr * tr / 4 - det, 0.0))
        out = tr / 2 + disc
        return np.where(np.isfinite(tr), out, np.inf)
    bad = ~np.all(np.isfinite(M), axis=(-1, -2))
    Mf = np.where(bad[..., None, None], 0.0, M)
    out = np.max(np.abs(np.linalg.eigvals(Mf)), axis=-1)
    return np.where(bad, np.inf, out)


def perron_matrix(ensemble: BlockEnsemble, z: complex, *, n_quad: int = N_QUAD) -> FloatArray:
    r"""Return the P x P matrix :math:`M_{ab}(z) = s_{ab}\,\alpha_b\,E_b[g^2/|\tau z + 1|^2]`.

    Point ``z`` lies in the support of the bulk eigenvalue density of
    :math:`A = T^{-1}(-I + W G)` iff the Perron root of :math:`M(z)` is at least 1.

    Parameters
    ----------
    ensemble : BlockEnsemble
        The spec.
    z : complex
        Point of the complex plane.
    n_quad : int
        Quadrature nodes per timescale distribution (uniform timescales are integrated exactly).

    Returns
    -------
    (P, P) ndarray
        Non-negative matrix :math:`M(z)`.

    Notes
    -----
    **Derivation.** Write :math:`z - A = T^{-1}(D(z) - Y)` with :math:`D(z) = zT + I` (diagonal,
    :math:`d_i = z\tau_i + 1`) and :math:`Y = \tilde W G`, where :math:`\tilde W` is the centred
    coupling matrix; :math:`Y_{ij}` has variance :math:`S_{ij} = s_{a(i)b(j)}\,g_j^2/n`, with
    :math:`s_{ab} = n\,\mathrm{Var}\,W_{ij}`. Hermitize :math:`Z = D - Y` and close the
    second-order (Gaussian) self-energies of the 2x2 block resolvent at :math:`\eta \to 0^+`
    [1]_ (Sec. III, Hermitized resolvent; same structure as the quadratic vector equations of
    inhomogeneous circular laws [2]_). With :math:`-i a_i` and :math:`-i b_i` the diagonal of the
    two diagonal blocks,

    .. math:: a_i = \frac{\gamma_i}{\beta_i\gamma_i + |d_i|^2},\quad
              b_i = \frac{\beta_i}{\beta_i\gamma_i + |d_i|^2},\quad
              \beta = S b,\ \gamma = S^{\mathsf T} a .

    The trivial solution :math:`a = b = 0` (outside the support) is unstable exactly when the
    linearisation :math:`\beta_i = \sum_j S_{ij} \beta_j / |d_j|^2` has spectral radius
    :math:`\ge 1`. Because row ``i`` carries :math:`1/|d_i|^2` only through the *column* index of
    :math:`S` (the presynaptic unit ``j`` carries both :math:`g_j^2` and :math:`1/|d_j|^2`), the
    block reduction gives :math:`M_{ab} = s_{ab}\,\alpha_b\,E_b[g^2/|\tau z+1|^2]`: fraction and
    expectation sit on the **column** (presynaptic) population ``b``.

    *Correction to the issue text*: the issue writes :math:`\alpha_a E_a[\cdot]\,s_{ab}` (row
    index). That matrix is :math:`\mathrm{diag}(\alpha m)\,S`, which is similar to
    :math:`S\,\mathrm{diag}(\alpha m)` (conjugation by the positive diagonal), so the Perron
    root -- and hence the support -- is the same; the Perron *vectors* differ. The transposed
    form is used here because it is the one the derivation produces and the one whose Perron
    vector gives the population-resolved :math:`\beta_a`.

    **Assumptions and approximations**

    - :math:`n \to \infty` at fixed fractions; entries of :math:`W` independent (no reciprocal
      correlations), so only second moments of the centred entries enter.
    - Timescale and gain of a unit independent of each other and of :math:`W`;
      :math:`E_b[g^2/|\tau z+1|^2] = E_b[g^2]\,E_b[1/|\tau z+1|^2]`.
    - Block means removed, or treated separately as a finite-rank perturbation (:func:`outliers`).
    - Sparse blocks: valid when :math:`n p_{ab} \to \infty`; at finite connectivity the boundary of
      the continuous part is unchanged for locally tree-like directed graphs [3]_ but a fraction
      of eigenvalues detaches into the real bar (:func:`strong_component`).

    References
    ----------
    .. [1] Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767v1, Secs. III-IV.
    .. [2] Alt, Erdős & Krüger (2018), "Local inhomogeneous circular law", Ann. Appl. Probab.
    .. [3] Neri & Metz (2020), "Linear stability analysis of large dynamical systems on random
       directed graphs", Phys. Rev. Research 2, 033313.

    Examples
    --------
    >>> ens = BlockEnsemble(n=100, fractions=(1.0,), signs=(1,), connectivity=((1.0,),),
    ...                     weights=((1.0,),), tau=(1.0,), gain=(1.0,), keep_mean=False)
    >>> float(perron_matrix(ens, 0.0)[0, 0])  # p E[w^2] - p^2 E[w]^2 = 0 for fixed dense weights
    0.0
    """
    ens = _check_ensemble(ensemble)
    m = _moment_matrix(ens, np.asarray(complex(z)), n_quad)
    return ens.block_variance * (ens.alpha * m)[None, :]


def perron_root(ensemble: BlockEnsemble, z: Any, *, n_quad: int = N_QUAD) -> FloatArray:
    r"""Return the Perron root :math:`\rho(M(z))` for an array of points ``z``.

    Parameters
    ----------
    ensemble : BlockEnsemble
        The spec.
    z : complex or array_like of complex
        Points.
    n_quad : int
        Quadrature nodes per timescale distribution.

    Returns
    -------
    ndarray
        Same shape as ``z``; ``z`` is in the support iff the value is >= 1.

    Notes
    -----
    See :func:`perron_matrix` for the derivation and the **Assumptions and approximations**.

    Examples
    --------
    >>> ens = BlockEnsemble(n=100, fractions=(1.0,), signs=(1,), connectivity=((0.5,),),
    ...                     weights=((2.0,),), tau=(2.0,), gain=(1.0,), keep_mean=False)
    >>> # circular law: s = 0.5*4 - 0.25*4 = 1, centre -1/tau, radius sqrt(s)*g/tau = 0.5
    >>> bool(abs(perron_root(ens, -0.5 + 0.5j) - 1.0) < 1e-12)
    True
    """
    ens = _check_ensemble(ensemble)
    zz = np.asarray(z, dtype=complex)
    return _perron_from_m(ens, _moment_matrix(ens, zz, n_quad))


# -- support, boundary and edge ----------------------------------------------------------------


def _pole_range(ens: BlockEnsemble) -> tuple[float, float]:
    """Range of the poles -1/tau over populations that feed the bulk (-inf/0 for unbounded)."""
    lo, hi = math.inf, -math.inf
    s = ens.block_variance
    for b, td in enumerate(ens.tau):
        if not np.any(s[:, b] > 0) or ens.gain[b].second_moment == 0:
            continue
        t_lo, t_hi = td.support
        hi = max(hi, -1.0 / t_hi if math.isfinite(t_hi) else 0.0)
        lo = min(lo, -1.0 / t_lo if t_lo > 0 else -math.inf)
    return lo, hi


def _rightmost_real(ens: BlockEnsemble, n_quad: int) -> tuple[float, str]:
    x0 = _pole_range(ens)[1]
    if not math.isfinite(x0):
        return -1.0, "no-bulk"
    f = lambda x: float(perron_root(ens, x, n_quad=n_quad)) - 1.0  # noqa: E731
    scale = max(1.0, abs(x0))
    x_in = x0 + 1e-9 * scale
    if not f(x_in) > 0:
        return x0, "segment"
    x_out = x0 + scale
    while f(x_out) >= 0:
        x_out = x0 + 2.0 * (x_out - x0)
    return float(optimize.brentq(f, x_in, x_out, xtol=1e-13 * scale, rtol=1e-15)), "perron"


def _y_max(ens: BlockEnsemble, x: FloatArray, n_quad: int, y_hi: float) -> FloatArray:
    """Vectorized bisection for the upper boundary y_max(x) (0 where rho(M(x)) < 1)."""
    inside = perron_root(ens, x.astype(complex), n_quad=n_quad) >= 1.0
    lo = np.zeros_like(x)
    hi = np.full_like(x, y_hi)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        r = perron_root(ens, x + 1j * mid, n_quad=n_quad)
        up = r >= 1.0
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    return np.where(inside, 0.5 * (lo + hi), 0.0)


def _height_scale(ens: BlockEnsemble) -> float:
    """An upper bound on max Im over the support: rho <= rho(s diag(alpha E[g^2]/(tau^2 y^2)))."""
    m = np.array(
        [gd.second_moment * _inv_tau2(td) for td, gd in zip(ens.tau, ens.gain, strict=True)]
    )
    r0 = float(_perron_from_m(ens, m))
    return math.sqrt(max(r0, 1e-300)) * 1.01 + 1e-12


def _inv_tau2(d: AbstractDistribution) -> float:
    t, w = d.quadrature(N_QUAD)
    if isinstance(d, Uniform) and d.high > d.low:
        return 1.0 / (d.low * d.high) if d.low > 0 else math.inf
    return float(np.sum(w / t**2))


@dataclass(frozen=True, slots=True, kw_only=True)
class SupportBoundary:
    r"""Boundary of the bulk support, :math:`\{x + iy : |y| \le y_{\max}(x)\}`.

    Attributes
    ----------
    x : (k,) ndarray
        Real parts scanned.
    y_max : (k,) ndarray
        Upper boundary (0 where the vertical line misses the support).
    spec : BlockEnsemble
        Input spec.
    references : tuple of str
        Bib keys.
    """

    x: FloatArray
    y_max: FloatArray
    spec: BlockEnsemble
    references: tuple[str, ...] = _REFS

    def points(self) -> ComplexArray:
        """Return the closed boundary as complex points (upper branch, then lower reversed)."""
        k = self.y_max > 0
        x, y = self.x[k], self.y_max[k]
        return np.concatenate([x + 1j * y, (x - 1j * y)[::-1]])

    def to_xarray(self) -> Any:
        """Return an ``xarray.Dataset`` with ``y_max`` over dimension ``x``."""
        import xarray as xr

        return xr.Dataset(
            {"boundary_y_max": ("boundary_x", self.y_max, {"long_name": "upper boundary Im z"})},
            coords={"boundary_x": ("boundary_x", self.x, {"long_name": "Re z"})},
            attrs={"references": list(self.references)},
        )


def support_boundary(
    ensemble: BlockEnsemble,
    *,
    x: Any = None,
    n_points: int = 400,
    n_quad: int = N_QUAD,
) -> SupportBoundary:
    r"""Return the boundary curve of the support of the bulk eigenvalue density.

    Because :math:`|\tau(x+iy) + 1|` grows with :math:`|y|`, every entry of :math:`M(x+iy)` and
    its Perron root decrease in :math:`|y|`; each vertical line meets the support in one interval
    :math:`[-y_{\max}(x), y_{\max}(x)]`, found by bisection on :math:`\rho(M(x+iy)) = 1`.

    Parameters
    ----------
    ensemble : BlockEnsemble
        The spec.
    x : array_like, optional
        Real parts to scan; default ``n_points`` points across the support's real extent.
    n_points : int
        Number of scan points when ``x`` is not given.
    n_quad : int
        Quadrature nodes per timescale distribution.

    Returns
    -------
    SupportBoundary
        ``x`` and ``y_max``.

    Notes
    -----
    Support condition: :math:`\rho(M(z)) \ge 1` with :math:`M` from :func:`perron_matrix`
    (derivation there; [1]_, Secs. III-IV).

    **Assumptions and approximations**

    - As in :func:`perron_matrix`. Continuous timescale distributions make :math:`\rho = \infty` on
      the real segment of poles :math:`-1/\tau`; quadrature resolves it only at its nodes, so
      :math:`y_{\max}` near isolated nodes of that segment is approximate.

    References
    ----------
    .. [1] Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767v1.

    Examples
    --------
    >>> ens = BlockEnsemble(n=100, fractions=(1.0,), signs=(1,), connectivity=((1.0,),),
    ...                     weights=(({"kind": "halfnormal", "scale": 1.0},),), tau=(1.0,),
    ...                     gain=(1.0,), keep_mean=False)
    >>> b = support_boundary(ens, x=[-1.0])
    >>> s = ens.block_variance[0, 0]
    >>> bool(abs(b.y_max[0] - s**0.5) < 1e-10)   # circle of radius sqrt(s) g / tau
    True
    """
    ens = _check_ensemble(ensemble)
    check_positive_int("n_points", n_points)
    y_hi = _height_scale(ens)
    if x is None:
        x_r, _ = _rightmost_real(ens, n_quad)
        lo, hi = _pole_range(ens)
        x_l = _leftmost_real(ens, n_quad)
        if not math.isfinite(x_l):
            x_l = min(lo if math.isfinite(lo) else hi, x_r) - y_hi
        xs = np.linspace(x_l, x_r, n_points)
    else:
        xs = check_array("x", x, shape=(None,))
    return SupportBoundary(x=xs, y_max=_y_max(ens, xs, n_quad, y_hi), spec=ens)


def _leftmost_real(ens: BlockEnsemble, n_quad: int) -> float:
    lo, _ = _pole_range(ens)
    if not math.isfinite(lo):
        return lo
    f = lambda x: float(perron_root(ens, x, n_quad=n_quad)) - 1.0  # noqa: E731
    scale = max(1.0, abs(lo))
    x_in = lo - 1e-9 * scale
    if not f(x_in) > 0:
        return lo
    x_out = lo - scale
    while f(x_out) >= 0:
        x_out = lo - 2.0 * (lo - x_out)
    return float(optimize.brentq(f, x_out, x_in, xtol=1e-13 * scale, rtol=1e-15))


@dataclass(frozen=True, slots=True, kw_only=True)
class SpectralEdge:
    r"""Predicted spectral edge of the bulk.

    Attributes
    ----------
    rightmost : complex
        Rightmost point of the support (always real, see :func:`spectral_edge`).
    edge : float
        Its real part: the spectral abscissa of the bulk (``> 0`` means unstable).
    kind : str
        ``"perron"`` if the edge solves :math:`\rho(M(x)) = 1`; ``"segment"`` if the bulk lies
        left of the rightmost timescale pole :math:`-1/\tau_{\max}`, which is then the edge.
    leftmost : float
        Leftmost real point of the support (``-inf`` for unbounded-below timescale poles).
    height : float
        :math:`2\max_{z \in \mathrm{supp}} \mathrm{Im}\,z`, the bulk's vertical extent; equals the
        diameter :math:`2 g/\tau` for the circular law. Used as the "bulk width" in comparisons
        because the horizontal extent is stretched by the real segment of poles.
    x_at_height : float
        Real part where the height is attained.
    perron_at_zero : float
        :math:`\rho(M(0))`; the bulk crosses the imaginary axis iff it exceeds 1 (with a
        rightmost pole :math:`\le 0`).
    spec : BlockEnsemble
        Input spec.
    references : tuple of str
        Bib keys.
    """

    rightmost: complex
    edge: float
    kind: str
    leftmost: float
    height: float
    x_at_height: float
    perron_at_zero: float
    spec: BlockEnsemble
    references: tuple[str, ...] = _REFS

    def to_xarray(self) -> Any:
        """Return an ``xarray.Dataset`` of scalar variables."""
        import xarray as xr

        return xr.Dataset(
            {
                "edge_pred": ((), self.edge, {"long_name": "rightmost real point of the support"}),
                "height_pred": ((), self.height, {"long_name": "2 max Im over the support"}),
                "leftmost_pred": ((), self.leftmost),
                "perron_at_zero": ((), self.perron_at_zero),
            },
            attrs={"edge_kind": self.kind, "references": list(self.references)},
        )


def spectral_edge(ensemble: BlockEnsemble, *, n_quad: int = N_QUAD) -> SpectralEdge:
    r"""Predict the rightmost point of the bulk support and the bulk's height.

    Parameters
    ----------
    ensemble : BlockEnsemble
        The spec.
    n_quad : int
        Quadrature nodes per timescale distribution.

    Returns
    -------
    SpectralEdge
        Edge, its kind, leftmost point, height and :math:`\rho(M(0))`.

    Notes
    -----
    On the real axis right of every pole, :math:`x > -1/\tau_{\max}`, each :math:`|\tau x + 1|`
    increases with ``x`` so :math:`\rho(M(x))` decreases monotonically: the edge is the unique
    root of :math:`\rho(M(x)) = 1` there ([1]_, spectral-edge condition, Sec. IV), or the pole
    :math:`-1/\tau_{\max}` if :math:`\rho < 1` already at the pole. Since :math:`\rho(M(x+iy))`
    decreases in :math:`|y|`, the rightmost point of the support is on the real axis, so the
    rightmost point and the real part of the rightmost support point coincide.

    **Assumptions and approximations**

    - Those of :func:`perron_matrix` (large n, independent entries, tau and gain independent).
    - Outliers from the block means are not included (see :func:`outliers`).
    - At finite n the largest real part exceeds the edge by :math:`O(\sqrt{\log n / n})` times
      the bulk size (edge fluctuations); compare with robust edge estimators.

    References
    ----------
    .. [1] Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767v1.

    Examples
    --------
    >>> ens = BlockEnsemble(n=100, fractions=(1.0,), signs=(1,), connectivity=((1.0,),),
    ...                     weights=(({"kind": "halfnormal", "scale": 1.5},),), tau=(2.0,),
    ...                     gain=(0.8,), keep_mean=False)
    >>> e = spectral_edge(ens)
    >>> r = ens.block_variance[0, 0] ** 0.5 * 0.8 / 2.0   # circular law: radius sqrt(s) g / tau
    >>> bool(abs(e.edge - (-0.5 + r)) < 1e-10 and abs(e.height - 2 * r) < 1e-6)
    True
    """
    ens = _check_ensemble(ensemble)
    x_r, kind = _rightmost_real(ens, n_quad)
    x_l = _leftmost_real(ens, n_quad)
    y_hi = _height_scale(ens)
    lo_scan = x_l if math.isfinite(x_l) else min(_pole_range(ens)[0], x_r) - y_hi
    if not math.isfinite(lo_scan):
        t_nodes = np.concatenate([d.quadrature(n_quad)[0] for d in ens.tau])
        lo_scan = float(np.min(-1.0 / t_nodes[t_nodes > 0])) - y_hi
    xs = np.linspace(lo_scan, x_r, 401)
    ys = _y_max(ens, xs, n_quad, y_hi)
    k = int(np.argmax(ys))
    # refine the maximum of y_max(x) with a bounded scalar search around the best grid point
    a, b = xs[max(k - 1, 0)], xs[min(k + 1, xs.size - 1)]
    if b > a:
        res = optimize.minimize_scalar(
            lambda t: -float(_y_max(ens, np.array([t]), n_quad, y_hi)[0]),
            bounds=(a, b),
            method="bounded",
            options={"xatol": 1e-10 * max(1.0, abs(a))},
        )
        x_h, h = float(res.x), -float(res.fun)
        if h < ys[k]:
            x_h, h = float(xs[k]), float(ys[k])
    else:
        x_h, h = float(xs[k]), float(ys[k])
    return SpectralEdge(
        rightmost=complex(x_r),
        edge=x_r,
        kind=kind,
        leftmost=x_l,
        height=2.0 * h,
        x_at_height=x_h,
        perron_at_zero=float(perron_root(ens, 0.0, n_quad=n_quad)),
        spec=ens,
    )


# -- density from the Hermitized resolvent ----------------------------------------------------


def _joint_nodes(
    ens: BlockEnsemble, n_quad: int
) -> list[tuple[FloatArray, FloatArray, FloatArray]]:
    """Per population: tau nodes, gain nodes and weights of the product rule (tau, gain indep.)."""
    out = []
    for td, gd in zip(ens.tau, ens.gain, strict=True):
        t, wt = td.quadrature(n_quad)
        g, wg = gd.quadrature(max(8, n_quad // 3))
        T, Gn = np.meshgrid(t, g, indexing="ij")
        out.append((T.ravel(), Gn.ravel(), np.outer(wt, wg).ravel()))
    return out


def _solve_hermitized(
    ens: BlockEnsemble,
    z: ComplexArray,
    nodes: list[tuple[FloatArray, FloatArray, FloatArray]],
    tol: float,
    max_iter: int,
) -> tuple[FloatArray, FloatArray, ComplexArray, FloatArray, int]:
    r"""Solve for (beta_a, gammahat_a) at every z (flattened); return them, g(z), residual, iters.

    Unknowns are logs of :math:`\beta_a, \hat\gamma_a`; the gauge :math:`\beta \to c\beta,
    \hat\gamma \to \hat\gamma/c` is fixed by :math:`\sum_a \alpha_a\langle a\rangle_a =
    \sum_a \alpha_a\langle b\rangle_a` (equal traces of the two diagonal blocks).
    """
    P = ens.n_populations
    s = ens.block_variance
    al = ens.alpha
    d2 = [np.abs(np.multiply.outer(z, t) + 1.0) ** 2 for t, _, _ in nodes]

    def parts(
        lb: FloatArray, lg: FloatArray, idx: Any = slice(None)
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        B, Gh = np.exp(lb), np.exp(lg)
        aa = np.empty_like(B)  # E[g^2/den]: <a>_a / gammahat_a and <g^2 b>_a / beta_a
        bb = np.empty_like(B)  # E[1/den]: <b>_a / beta_a
        for c, (_, g, w) in enumerate(nodes):
            den = (B[:, c] * Gh[:, c])[:, None] * g**2 + d2[c][idx]
            inv = w / den
            aa[:, c] = inv @ (g**2)
            bb[:, c] = inv.sum(axis=1)
        return B, Gh, aa, bb

    def resid(lb: FloatArray, lg: FloatArray, idx: Any = slice(None)) -> FloatArray:
        B, Gh, aa, bb = parts(lb, lg, idx)
        rb = ((B * al * aa) @ s.T) / B  # sum_b s_ab alpha_b beta_b <g^2/den>_b / beta_a
        rg = ((Gh * al * aa) @ s) / Gh  # sum_a s_ab alpha_a gh_a <g^2/den>_a / gh_b
        gauge = np.log(np.sum(al * Gh * aa, axis=1)) - np.log(np.sum(al * B * bb, axis=1))
        return np.concatenate([np.log(rb), np.log(rg[:, : P - 1]), gauge[:, None]], axis=1)

    nz = z.size
    lb = np.zeros((nz, P))
    lg = np.zeros((nz, P))
    # damped fixed-point warm start (log-space, gauge renormalised)
    for _ in range(30):
        B, Gh, aa, bb = parts(lb, lg)
        nb = np.log(np.maximum((B * al * aa) @ s.T, 1e-300))
        ng = np.log(np.maximum((Gh * al * aa) @ s, 1e-300))
        lb, lg = 0.5 * (lb + nb), 0.5 * (lg + ng)
        B, Gh, aa, bb = parts(lb, lg)
        c = 0.5 * (np.log(np.sum(al * Gh * aa, axis=1)) - np.log(np.sum(al * B * bb, axis=1)))
        lb, lg = lb + c[:, None], lg - c[:, None]
    u = np.concatenate([lb, lg], axis=1)
    h = 1e-7
    it = 0
    r = resid(u[:, :P], u[:, P:])
    for it in range(1, max_iter + 1):  # noqa: B007
        err = np.max(np.abs(r), axis=1)
        act = err > tol
        if not np.any(act):
            break
        ua, ra = u[act], r[act]
        J = np.empty((ua.shape[0], 2 * P, 2 * P))
        for k in range(2 * P):
            up = ua.copy()
            up[:, k] += h
            J[:, :, k] = (resid(up[:, :P], up[:, P:], act) - ra) / h
        # pseudo-inverse: robust where the equations degenerate (d = 0, or beta -> 0 at the edge)
        step = (np.linalg.pinv(J) @ -ra[..., None])[..., 0]
        step = np.clip(step, -2.0, 2.0)
        u[act] = ua + step
        r[act] = resid(u[act, :P], u[act, P:], act)
    B, Gh = np.exp(u[:, :P]), np.exp(u[:, P:])
    gz = np.zeros(nz, dtype=complex)
    for c, (t, g, w) in enumerate(nodes):
        d = np.multiply.outer(z, t) + 1.0
        den = (B[:, c] * Gh[:, c])[:, None] * g**2 + d2[c]
        gz += al[c] * ((w * t) * np.conj(d) / den).sum(axis=1)
    return B, Gh, gz, np.max(np.abs(r), axis=1), it


def _resolvent_outside(
    ens: BlockEnsemble, z: ComplexArray, nodes: list[tuple[FloatArray, FloatArray, FloatArray]]
) -> ComplexArray:
    gz = np.zeros(z.shape, dtype=complex)
    with np.errstate(divide="ignore", invalid="ignore"):
        for c, (t, _, w) in enumerate(nodes):
            gz += ens.alpha[c] * np.sum(w * t / (np.multiply.outer(z, t) + 1.0), axis=-1)
    return gz


@dataclass(frozen=True, slots=True, kw_only=True)
class SpectralDensity:
    r"""Predicted eigenvalue mass per cell of a rectangular grid.

    Attributes
    ----------
    x_edges, y_edges : ndarray
        Cell edges (real and imaginary parts).
    mass : (nx, ny) ndarray
        Predicted fraction of eigenvalues in each cell (sums to the fraction inside the grid).
    density : (nx, ny) ndarray
        ``mass`` divided by the cell area.
    resolvent : (nx + 1, ny + 1) ndarray of complex
        :math:`g(z) = n^{-1}\,\mathrm{Tr}(z - A)^{-1}` at the grid nodes.
    converged : bool
        Whether every node reached ``tol``.
    residual : float
        Largest residual of the self-consistent equations (log scale).
    n_iter : int
        Newton iterations used.
    spec : BlockEnsemble
        Input spec.
    references : tuple of str
        Bib keys.
    """

    x_edges: FloatArray
    y_edges: FloatArray
    mass: FloatArray
    density: FloatArray
    resolvent: ComplexArray
    converged: bool
    residual: float
    n_iter: int
    spec: BlockEnsemble
    references: tuple[str, ...] = _REFS

    @property
    def x(self) -> FloatArray:
        """Cell centres (real part)."""
        return 0.5 * (self.x_edges[1:] + self.x_edges[:-1])

    @property
    def y(self) -> FloatArray:
        """Cell centres (imaginary part)."""
        return 0.5 * (self.y_edges[1:] + self.y_edges[:-1])

    def real_part_mass(self) -> FloatArray:
        """Predicted fraction of eigenvalues per real-part bin (sum over the imaginary cells)."""
        return self.mass.sum(axis=1)

    def to_xarray(self) -> Any:
        """Return an ``xarray.Dataset`` with ``density``/``mass`` over ``(re, im)``."""
        import xarray as xr

        return xr.Dataset(
            {
                "density_pred": (("re", "im"), self.density, {"long_name": "eigenvalue density"}),
                "mass_pred": (("re", "im"), self.mass, {"long_name": "fraction per cell"}),
            },
            coords={"re": self.x, "im": self.y},
            attrs={
                "converged": int(self.converged),
                "residual": self.residual,
                "references": list(self.references),
            },
        )


def eigenvalue_density(
    ensemble: BlockEnsemble,
    *,
    x_edges: Any,
    y_edges: Any,
    n_quad: int = 32,
    tol: float = 1e-11,
    max_iter: int = 60,
    on_failure: str = "raise",
) -> SpectralDensity:
    r"""Predict the eigenvalue mass in each cell of a grid from the Hermitized resolvent.

    Solves the population-resolved self-consistent equations (2P unknowns
    :math:`\beta_a, \hat\gamma_a`) at every grid node, evaluates
    :math:`g(z) = n^{-1}\mathrm{Tr}(z-A)^{-1}` and integrates
    :math:`\rho = \pi^{-1}\partial_{\bar z} g` over each cell with Green's theorem,
    :math:`\int_{\rm cell}\rho = (2\pi i)^{-1}\oint g\,dz` (trapezoid rule on
    the cell edges). Masses are directly comparable to a 2-D histogram.

    Parameters
    ----------
    ensemble : BlockEnsemble
        The spec.
    x_edges, y_edges : array_like
        Increasing cell edges. Keep grid nodes off the real timescale poles of units outside the
        support (e.g. use an odd number of imaginary cells, so that the real axis is a cell centre).
    n_quad : int
        Quadrature nodes per timescale distribution (gains use ``max(8, n_quad // 3)``).
    tol : float
        Tolerance on the (log-scale) residual of the self-consistent equations.
    max_iter : int
        Newton iterations.
    on_failure : {"raise", "warn", "return"}
        What to do when a node does not converge.

    Returns
    -------
    SpectralDensity
        Cell masses and densities, the resolvent at the nodes, convergence diagnostics.

    Raises
    ------
    ConvergenceError
        If a node stays above ``tol`` and ``on_failure="raise"``.

    Warns
    -----
    RegimeWarning
        If the ensemble is so sparse that more than 1% of the eigenvalues leave the bulk for the
        real bar (:func:`strong_component`), which this dense-limit density does not contain.

    Notes
    -----
    With :math:`d = z\tau + 1` and population-resolved self-energies (derivation in
    :func:`perron_matrix`; [1]_ Sec. III),

    .. math::
        \beta_a = \sum_b s_{ab}\alpha_b\,E_b\!\left[\frac{g^2\beta_b}{\beta_b\hat\gamma_b g^2 +
        |d|^2}\right],\quad
        \hat\gamma_b = \sum_a s_{ab}\alpha_a\,E_a\!\left[\frac{g^2\hat\gamma_a}
        {\beta_a\hat\gamma_a g^2 + |d|^2}\right],

    .. math:: g(z) = \sum_a \alpha_a\,E_a\!\left[\frac{\tau\,\bar d}
              {\beta_a\hat\gamma_a g^2 + |d|^2}\right].

    Outside the support :math:`\beta = \hat\gamma = 0` and
    :math:`g = \sum_a\alpha_a E_a[1/(z + 1/\tau)]` is analytic (zero density). The product
    :math:`\beta_a\hat\gamma_a` is gauge invariant; the gauge is fixed by equal block traces.

    **Assumptions and approximations**

    - Those of :func:`perron_matrix`; block means excluded (outliers carry mass 1/n each).
    - Expectations by quadrature: for continuous timescales the thin part of the density along
      the real segment of poles is lumped at quadrature nodes; only cells containing several
      nodes are accurate there.
    - Dense limit: at finite connectivity eigenvalues of units outside the giant strongly
      connected component sit exactly at :math:`-1/\tau_i` (not described here).

    References
    ----------
    .. [1] Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767v1.

    Examples
    --------
    >>> ens = BlockEnsemble(n=100, fractions=(1.0,), signs=(1,), connectivity=((1.0,),),
    ...                     weights=(({"kind": "halfnormal", "scale": 1.0},),), tau=(1.0,),
    ...                     gain=(1.0,), keep_mean=False)
    >>> r = ens.block_variance[0, 0] ** 0.5
    >>> d = eigenvalue_density(ens, x_edges=[-1 - 0.3 * r, -1 + 0.3 * r],
    ...                        y_edges=[-0.3 * r, 0.3 * r])
    >>> bool(abs(d.density[0, 0] - 1 / (np.pi * r**2)) < 1e-6)   # uniform disc 1/(pi r^2)
    True
    """
    ens = _check_ensemble(ensemble)
    xe = check_array("x_edges", x_edges, shape=(None,))
    ye = check_array("y_edges", y_edges, shape=(None,))
    for name, e in (("x_edges", xe), ("y_edges", ye)):
        if e.size < 2 or np.any(np.diff(e) <= 0):
            raise ValueError(f"`{name}` must be increasing with at least 2 entries; got {e!r}.")
    check_in("on_failure", on_failure, ["raise", "warn", "return"])
    sc = strong_component(ens)
    if sc.bar_fraction > 0.01:
        warnings.warn(
            f"{100 * sc.bar_fraction:.1f}% of the eigenvalues are predicted on the real bar "
            "(units outside the giant strongly connected component); the dense-limit density "
            "does not contain them.",
            RegimeWarning,
            stacklevel=2,
        )
    Z = xe[:, None] + 1j * ye[None, :]
    z = Z.ravel()
    nodes = _joint_nodes(ens, n_quad)
    rho = perron_root(ens, z, n_quad=n_quad)
    # within 1e-9 of the boundary the non-trivial solution is O(1e-9) (continuous at the edge),
    # so the trivial one is used there; this avoids log-variables running to -inf
    inside = rho > 1.0 + 1e-9
    gz = _resolvent_outside(ens, z, nodes)
    resid, n_it = 0.0, 0
    if np.any(inside):
        _, _, g_in, res, n_it = _solve_hermitized(ens, z[inside], nodes, tol, max_iter)
        gz[inside] = g_in
        resid = float(np.max(res))
    G = gz.reshape(Z.shape)
    # Green: mass = (1/(2 pi i)) * closed contour integral of g dz, counter-clockwise
    dx = np.diff(xe)[:, None]
    dy = np.diff(ye)[None, :]
    bottom = 0.5 * (G[:-1, :-1] + G[1:, :-1]) * dx
    right = 0.5 * (G[1:, :-1] + G[1:, 1:]) * (1j * dy)
    top = -0.5 * (G[:-1, 1:] + G[1:, 1:]) * dx
    left = -0.5 * (G[:-1, :-1] + G[:-1, 1:]) * (1j * dy)
    mass = ((bottom + right + top + left) / (2j * np.pi)).real
    converged = resid <= tol
    if not converged:
        msg = "Hermitized-resolvent equations did not converge at every grid node"
        if on_failure == "raise":
            raise ConvergenceError(msg, n_iter=n_it, residual=resid, tol=tol)
        if on_failure == "warn":
            warnings.warn(f"{msg} (residual {resid:.2e}).", RegimeWarning, stacklevel=2)
    return SpectralDensity(
        x_edges=xe,
        y_edges=ye,
        mass=mass,
        density=mass / (dx * dy),
        resolvent=G,
        converged=bool(converged),
        residual=resid,
        n_iter=n_it,
        spec=ens,
    )


# -- outliers ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Outliers:
    r"""Eigenvalues created by the block means, outside the bulk.

    Attributes
    ----------
    values : (k,) ndarray of complex
        Predicted outliers, sorted by decreasing real part.
    residual : (k,) ndarray
        :math:`|\det(I - K(z))|` at each value.
    spec : BlockEnsemble
        Input spec.
    references : tuple of str
        Bib keys.
    """

    values: ComplexArray
    residual: FloatArray
    spec: BlockEnsemble
    references: tuple[str, ...] = _REFS

    def to_xarray(self) -> Any:
        """Return an ``xarray.Dataset`` with the outliers over dimension ``outlier``."""
        import xarray as xr

        return xr.Dataset(
            {
                "outliers_pred_re": ("outlier", self.values.real),
                "outliers_pred_im": ("outlier", self.values.imag),
            },
            attrs={"references": list(self.references)},
        )


def _outlier_matrix(ens: BlockEnsemble, z: complex, n_quad: int) -> ComplexArray:
    h = np.array(
        [
            gd.mean * complex(_inv_lin(td, np.asarray(z), n_quad))
            for td, gd in zip(ens.tau, ens.gain, strict=True)
        ]
    )
    return ens.block_mean * (ens.alpha * h)[None, :]


def outliers(ensemble: BlockEnsemble, *, n_quad: int = N_QUAD) -> Outliers:
    r"""Predict the outliers created by the block means (``keep_mean=True``).

    Parameters
    ----------
    ensemble : BlockEnsemble
        The spec (no outliers are returned when ``keep_mean`` is False).
    n_quad : int
        Quadrature nodes per timescale distribution.

    Returns
    -------
    Outliers
        Outlier positions (outside the bulk) and residuals.

    Notes
    -----
    Split :math:`W = \tilde W + \bar W`, :math:`\bar W_{ij} = \mu_{a(i)b(j)}/n` (rank P). Then
    :math:`\det(zT + I - \tilde WG - \bar WG) = 0` with :math:`zT + I - \tilde W G` invertible
    outside the bulk gives :math:`\det(I_n - (zT + I - \tilde W G)^{-1}\bar W G) = 0`. Outside the
    support the resolvent's deterministic equivalent on delocalised vectors is
    :math:`(zT+I)^{-1}` (the random part contributes only to the Hermitized, not the holomorphic,
    resolvent there), and the rank-P reduction gives ([1]_, outliers from the Dale structure)

    .. math:: \det\big(I_P - K(z)\big) = 0,\qquad
              K_{ab}(z) = \mu_{ab}\,\alpha_b\,E_b\!\left[\frac{g}{\tau z + 1}\right].

    Roots are found by Newton from the eigenvalues of the "mean timescale" reduction
    :math:`\bar T^{-1}(\mu\,\mathrm{diag}(\alpha E[g]) - I)` and from a ring of starting points;
    only roots with :math:`\rho(M(z)) < 1` (outside the bulk) are kept.

    **Assumptions and approximations**

    - Large n with the block means as a finite-rank perturbation; finite-n fluctuations of the
      outliers are :math:`O(n^{-1/2})` times the bulk scale (plus fluctuations of the sampled
      timescales and gains, which enter multiplied by :math:`\mu \propto \sqrt n`).
    - Timescale and gain independent within a population.

    References
    ----------
    .. [1] Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767v1.

    Examples
    --------
    >>> ens = BlockEnsemble(n=400, fractions=(1.0,), signs=(1,), connectivity=((0.1,),),
    ...                     weights=((1.0,),), tau=(1.0,), gain=(1.0,), keep_mean=True)
    >>> o = outliers(ens)                     # z = mu - 1 for fixed tau = g = 1
    >>> bool(abs(o.values[0] - (0.1 * 400**0.5 - 1)) < 1e-10)
    True
    """
    ens = _check_ensemble(ensemble)
    P = ens.n_populations
    if not ens.keep_mean or not np.any(ens.block_mean):
        return Outliers(values=np.zeros(0, complex), residual=np.zeros(0), spec=ens)

    def f(z: complex) -> complex:
        return complex(np.linalg.det(np.eye(P) - _outlier_matrix(ens, z, n_quad)))

    tbar = np.array([d.mean for d in ens.tau])
    gbar = np.array([d.mean for d in ens.gain])
    K0 = ens.block_mean * (ens.alpha * gbar)[None, :]
    starts = list(np.linalg.eigvals((K0 - np.eye(P)) / tbar[:, None]))
    scale = max(1.0, float(np.max(np.abs(starts))))
    starts += [scale * np.exp(2j * np.pi * k / 8) for k in range(8)]
    found: list[complex] = []
    for z0 in starts:
        try:
            with np.errstate(all="ignore"):
                root = complex(
                    optimize.newton(f, complex(z0) + 1e-3j * scale, tol=1e-13, maxiter=200)
                )
        except (RuntimeError, OverflowError, ZeroDivisionError):
            continue
        if not np.isfinite(root) or abs(f(root)) > 1e-8:
            continue
        if abs(root.imag) < 1e-9 * max(1.0, abs(root)):
            root = complex(root.real)
        if any(abs(root - r) < 1e-7 * max(1.0, abs(r)) for r in found):
            continue
        if float(perron_root(ens, root, n_quad=n_quad)) >= 1.0:
            continue
        found.append(root)
    vals = np.array(sorted(found, key=lambda c: (-c.real, -c.imag)), dtype=complex)
    return Outliers(values=vals, residual=np.array([abs(f(v)) for v in vals]), spec=ens)


# -- finite connectivity: giant strongly connected component and the real bar -----------------


def _prob_positive(d: AbstractDistribution) -> float:
    if isinstance(d, Fixed):
        return float(d.value > 0)
    if isinstance(d, Samples):
        return float(np.mean(np.asarray(d.values) > 0))
    if isinstance(d, Uniform):
        return 1.0 if d.high > 0 else 0.0
    return 1.0 if d.support[1] > 0 else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class StrongComponent:
    r"""Finite-connectivity structure of the directed graph of :math:`W G`.

    Attributes
    ----------
    in_reach : (P,) ndarray
        :math:`x_a`: probability that a unit of population ``a`` is reached from the giant
        strongly connected component (GSCC) along synapses.
    out_reach : (P,) ndarray
        :math:`y_a`: probability that it reaches the GSCC (requires a non-zero gain).
    bulk_fraction : (P,) ndarray
        :math:`\alpha_a x_a y_a`: fraction of all eigenvalues in the bulk from population ``a``.
    bar_fraction : float
        :math:`1 - \sum_a \alpha_a x_a y_a`: fraction of eigenvalues exactly at :math:`-1/\tau_i`.
    spec : BlockEnsemble
        Input spec.
    references : tuple of str
        Bib keys.
    """

    in_reach: FloatArray
    out_reach: FloatArray
    bulk_fraction: FloatArray
    bar_fraction: float
    spec: BlockEnsemble
    references: tuple[str, ...] = ("chotibut2025", "neri2020")

    def to_xarray(self) -> Any:
        """Return an ``xarray.Dataset`` over dimension ``population``."""
        import xarray as xr

        return xr.Dataset(
            {
                "in_reach": ("population", self.in_reach),
                "out_reach": ("population", self.out_reach),
                "bulk_fraction": ("population", self.bulk_fraction),
                "bar_fraction_pred": ((), self.bar_fraction),
            },
            coords={"population": list(self.spec.names or ())},
            attrs={"references": list(self.references)},
        )


def strong_component(
    ensemble: BlockEnsemble, *, tol: float = 1e-14, max_iter: int = 100_000
) -> StrongComponent:
    r"""Predict how many eigenvalues sit in the bulk and how many on the real bar.

    A unit outside every directed cycle of the graph of :math:`W G` (edge :math:`j \to i` when
    :math:`W_{ij} g_j \ne 0`) is a singleton strongly connected component; ordering components
    topologically makes :math:`A` block triangular, so each such unit contributes the exact real
    eigenvalue :math:`-1/\tau_i` -- the "bar" of the bar-and-blob spectra of sparse networks [1]_.
    In the large-n limit at fixed mean degrees almost every unit outside the giant strongly
    connected component (GSCC) is such a singleton; the GSCC carries the complex bulk.

    Parameters
    ----------
    ensemble : BlockEnsemble
        The spec.
    tol : float
        Tolerance of the fixed-point iteration.
    max_iter : int
        Iteration cap.

    Returns
    -------
    StrongComponent
        In/out reach probabilities, bulk and bar fractions.

    Raises
    ------
    ConvergenceError
        If the iteration does not converge.

    Notes
    -----
    Branching-process (locally tree-like) equations with exact binomial degrees, :math:`q_b` the
    probability of a non-zero gain in population ``b`` and :math:`n_b` its size:

    .. math:: x_a = 1 - \prod_b (1 - p_{ab} q_b x_b)^{n_b},\qquad
              y_b = q_b\Big[1 - \prod_a (1 - p_{ab} y_a)^{n_a}\Big],

    largest solutions (iteration from 1); the GSCC fraction of population ``a`` is
    :math:`x_a y_a` (in- and out-neighbourhoods independent on a tree). The continuous bulk keeps
    the dense support boundary (:func:`spectral_edge`) for oriented locally tree-like graphs [2]_.

    **Assumptions and approximations**

    - Independent entries, no reciprocal correlations (locally tree-like directed graph).
    - Small strongly connected components other than singletons are neglected (O(1) of them).
    - :math:`n \to \infty`; for :math:`n p_{ab} \gg 1` the bar fraction vanishes exponentially.

    References
    ----------
    .. [1] Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767v1 (bar-and-blob spectra).
    .. [2] Neri & Metz (2020), Phys. Rev. Research 2, 033313.

    Examples
    --------
    >>> ens = BlockEnsemble(n=10_000, fractions=(1.0,), signs=(1,), connectivity=((2e-4,),),
    ...                     weights=((1.0,),), tau=(1.0,), gain=(1.0,))
    >>> sc = strong_component(ens)          # mean degree c = 2: x = 1 - exp(-c x)
    >>> x = sc.in_reach[0]
    >>> bool(abs(x - (1 - np.exp(-2 * x))) < 1e-3 and abs(sc.bar_fraction - (1 - x * x)) < 1e-12)
    True
    """
    ens = _check_ensemble(ensemble)
    p = np.asarray(ens.connectivity)
    nb = np.asarray(ens.sizes, dtype=float)
    q = np.array([_prob_positive(d) for d in ens.gain])
    x = np.ones(ens.n_populations)
    y = q.copy()
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        with np.errstate(divide="ignore"):
            x_new = 1.0 - np.exp(
                np.sum(nb[None, :] * np.log1p(-np.minimum(p * (q * x)[None, :], 1.0)), axis=1)
            )
            y_new = q * (
                1.0
                - np.exp(np.sum(nb[:, None] * np.log1p(-np.minimum(p * y[:, None], 1.0)), axis=0))
            )
        x_new = np.nan_to_num(x_new, nan=1.0)
        y_new = np.nan_to_num(y_new, nan=1.0)
        err = max(np.max(np.abs(x_new - x)), np.max(np.abs(y_new - y)))
        x, y = x_new, y_new
        if err < tol or (np.all(x < 1e-300) and np.all(y < 1e-300)):
            break
    else:
        raise ConvergenceError(
            "giant-component equations did not converge", n_iter=it, residual=err, tol=tol
        )
    bulk = ens.alpha * x * y
    return StrongComponent(
        in_reach=x,
        out_reach=y,
        bulk_fraction=bulk,
        bar_fraction=float(max(0.0, 1.0 - bulk.sum())),
        spec=ens,
    )


# -- sensitivity --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class EdgeSensitivity:
    """Predicted spectral edge along one statistic.

    Attributes
    ----------
    statistic : str
        Which statistic varies (see :func:`randrnn.ensembles.vary`).
    values : (k,) ndarray
        Its values.
    edge : (k,) ndarray
        Predicted edge (rightmost real point of the support).
    height : (k,) ndarray
        Predicted bulk height.
    kind : tuple of str
        Edge kind per value.
    spec : BlockEnsemble
        Base spec.
    references : tuple of str
        Bib keys.
    """

    statistic: str
    values: FloatArray
    edge: FloatArray
    height: FloatArray
    kind: tuple[str, ...]
    spec: BlockEnsemble
    references: tuple[str, ...] = _REFS

    def to_xarray(self) -> Any:
        """Return an ``xarray.Dataset`` over the swept statistic."""
        import xarray as xr

        return xr.Dataset(
            {
                "edge_pred": (self.statistic, self.edge),
                "height_pred": (self.statistic, self.height),
            },
            coords={self.statistic: self.values},
            attrs={"references": list(self.references)},
        )


def edge_sensitivity(
    ensemble: BlockEnsemble, statistic: str, values: Any, *, n_quad: int = N_QUAD
) -> EdgeSensitivity:
    r"""Predicted spectral edge as a function of one statistic of the ensemble.

    Parameters
    ----------
    ensemble : BlockEnsemble
        Base spec.
    statistic : {"sparsity", "fraction_excitatory", "weight_scale", "tau_spread", "gain_spread"}
        See :func:`randrnn.ensembles.vary`.
    values : array_like
        Values of the statistic.
    n_quad : int
        Quadrature nodes per timescale distribution.

    Returns
    -------
    EdgeSensitivity
        Edge and height per value.

    Notes
    -----
    Applies :func:`spectral_edge` ([1]_, spectral-edge condition) to ``vary(ensemble, statistic,
    v)`` for each ``v``.

    **Assumptions and approximations**

    - Those of :func:`spectral_edge`.

    References
    ----------
    .. [1] Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767v1.

    Examples
    --------
    >>> ens = BlockEnsemble.excitatory_inhibitory(n=1000, p_ee=0.2, weight_e=1.0, weight_i=2.0)
    >>> s = edge_sensitivity(ens, "weight_scale", [0.5, 1.0, 2.0])
    >>> bool(np.all(np.diff(s.edge) > 0))      # larger weights push the edge right
    True
    """
    ens = _check_ensemble(ensemble)
    check_in("statistic", statistic, STATISTICS)
    vals = check_array("values", values, shape=(None,))
    edges = [spectral_edge(vary(ens, statistic, float(v)), n_quad=n_quad) for v in vals]
    return EdgeSensitivity(
        statistic=statistic,
        values=vals,
        edge=np.array([e.edge for e in edges]),
        height=np.array([e.height for e in edges]),
        kind=tuple(e.kind for e in edges),
        spec=ens,
    )
