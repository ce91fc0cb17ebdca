"""Support boundary and spectral edge of the bulk.

See :mod:`randrnn.rmt` for the theory and its assumptions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize

from randrnn._typing import ComplexArray, FloatArray
from randrnn._validation import check_array, check_positive_int
from randrnn.ensembles import (
    AbstractDistribution,
    JacobianEnsemble,
    Uniform,
)
from randrnn.rmt.perron import (
    _REFS,
    N_QUAD,
    _check_ensemble,
    _perron_from_m,
    perron_root,
)

# -- support, boundary and edge ----------------------------------------------------------------


def _pole_range(ens: JacobianEnsemble) -> tuple[float, float]:
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


def _rightmost_real(ens: JacobianEnsemble, n_quad: int) -> tuple[float, str]:
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


def _y_max(ens: JacobianEnsemble, x: FloatArray, n_quad: int, y_hi: float) -> FloatArray:
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


def _height_scale(ens: JacobianEnsemble) -> float:
    """An upper bound on max Im over the support: rho <= rho(s diag(alpha E[g^2]/(tau^2 y^2)))."""
    if ens.correlated:  # E[g^2 / tau^2] of the joint (copula) law
        m = np.array(
            [
                float(np.sum(w * g**2 / t**2))
                for t, g, w in (ens.unit_quadrature(b, N_QUAD) for b in range(ens.n_populations))
            ]
        )
    else:
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
    spec : JacobianEnsemble
        Input spec.
    references : tuple of str
        Bib keys.
    """

    x: FloatArray
    y_max: FloatArray
    spec: JacobianEnsemble
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
    ensemble: JacobianEnsemble,
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
    ensemble : JacobianEnsemble
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
    >>> ens = JacobianEnsemble.from_blocks(
    ...     n=100, fractions=(1.0,), signs=(1,), connectivity=((1.0,),),
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


def _leftmost_real(ens: JacobianEnsemble, n_quad: int) -> float:
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
    spec : JacobianEnsemble
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
    spec: JacobianEnsemble
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


def spectral_edge(ensemble: JacobianEnsemble, *, n_quad: int = N_QUAD) -> SpectralEdge:
    r"""Predict the rightmost point of the bulk support and the bulk's height.

    Parameters
    ----------
    ensemble : JacobianEnsemble
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
    >>> ens = JacobianEnsemble.from_blocks(
    ...     n=100, fractions=(1.0,), signs=(1,), connectivity=((1.0,),),
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
