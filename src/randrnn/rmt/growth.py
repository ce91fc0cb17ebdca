r"""Support, edge and outliers at finite connectivity from the linearized cavity equations.

See ``docs/theory.md`` section 5.3 and :mod:`randrnn.rmt` for the theory and its assumptions.

On the locally tree-like graph of a sparse block ensemble, the cavity variables of the
Hermitized resolvent (:mod:`randrnn.rmt.cavity`) obey, near the trivial solution
:math:`\alpha = \beta = 0`, the linear recursion :math:`\alpha_j = \sum_{k \to j} \xi_k
\alpha_k` with :math:`\xi_k = w_{jk}^2 h_k^2 / |1 + z\tau_k|^2`: a branching random walk along
the in-edges. Point ``z`` lies in the support of the continuous spectrum iff the recursion grows
on a *typical* tree, i.e. iff Biggins' growth rate

.. math:: \gamma(z) = \inf_{0 < s \le 1} \frac{1}{s}\log \rho\big(K(z; s)\big),\qquad
          K_{ab}(z; s) = c_{ab}\,E[w_{ab}^{2s}]\,E_b\Big[\Big(\frac{h^2}{|1 + z\tau|^2}\Big)^s\Big]

is positive (:math:`\rho` the Perron root). At ``s = 1`` this is the first-moment (dense)
criterion :math:`\rho(K(z; 1)) \ge 1` with the second moment :math:`c\,E[w^2]` in place of the
variance; at small ``s`` the rare strong paths that dominate the mean are discounted, so the
support shrinks when the weights, gains and timescales are broadly distributed and ``c`` is small.
As :math:`s \to 0`, :math:`\rho(K(z; 0))` is the Perron root of :math:`c_{ab} P_b(h > 0)`: no
support without a giant strongly connected component.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize

from randrnn._typing import ComplexArray, FloatArray
from randrnn._validation import check_array, check_positive_int
from randrnn.ensembles import BlockEnsemble, JacobianEnsemble
from randrnn.rmt.perron import _check_ensemble, _perron_root_of

_REFS = ("chotibut2025", "neri2020", "biggins1977")

#: exponents s at which the growth rate is scanned before a golden-section refinement
_S_GRID = np.concatenate([np.geomspace(1e-3, 0.05, 8)[:-1], np.linspace(0.05, 1.0, 39)])


def _block_ensemble(ens: JacobianEnsemble) -> BlockEnsemble:
    if not isinstance(ens.coupling, BlockEnsemble):
        raise ValueError(
            "the finite-connectivity theory needs a sparse block coupling ensemble "
            "(BlockEnsemble with connection probabilities or mean in-degrees); got "
            f"{type(ens.coupling).__name__}. Build one with JacobianEnsemble.inhibitory_core or "
            "JacobianEnsemble.from_blocks."
        )
    return ens.coupling


@dataclass(frozen=True, slots=True)
class _Laws:
    """Per-block weight moments and per-population unit rules used by the growth rate."""

    c: FloatArray  # (P, P) mean in-degrees
    log_w2s: list[list[Any]]  # splines of log E[w^{2s}] in s per block (None: no edges)
    nodes: list[tuple[FloatArray, FloatArray, FloatArray]]  # tau, gain^2, weight per population

    def weight_moment(self, s: FloatArray) -> FloatArray:
        """E[w^{2s}] (scale included) with shape ``s.shape + (P, P)``; 0 for empty blocks."""
        P = self.c.shape[0]
        out = np.zeros((*np.shape(s), P, P))
        for a in range(P):
            for b in range(P):
                spl = self.log_w2s[a][b]
                if spl is not None:
                    out[..., a, b] = np.exp(spl(s))
        return out


def _laws(ens: JacobianEnsemble, n_quad: int) -> _Laws:
    from scipy.interpolate import CubicSpline

    block = _block_ensemble(ens)
    c = np.asarray(block.statistics().in_degree, dtype=float)
    P = c.shape[0]
    s_knots = np.concatenate([[0.0], np.geomspace(1e-3, 0.05, 6)[:-1], np.linspace(0.05, 1.0, 20)])
    splines: list[list[Any]] = [[None] * P for _ in range(P)]
    for a in range(P):
        for b in range(P):
            if c[a, b] > 0:
                d = block.weights[a][b]
                pos = 1.0 - d.zero_fraction
                vals = [math.log(pos)] + [
                    math.log(d.moment(2 * si)) + 2 * si * math.log(block.scale)
                    for si in s_knots[1:]
                ]
                splines[a][b] = CubicSpline(s_knots, vals)
    nodes = []
    for b in range(P):
        t, g, w = ens.unit_quadrature(b, n_quad)
        keep = g > 0  # silent units (h = 0) carry no path: their weight is lost at every s
        nodes.append((t[keep], g[keep] ** 2, w[keep]))
    return _Laws(c=c, log_w2s=splines, nodes=nodes)


def _log_rho(laws: _Laws, z: Any, s: Any) -> FloatArray:
    r"""log of the Perron root of :math:`K(z; s)`, elementwise over broadcast ``z`` and ``s``."""
    z, s = np.broadcast_arrays(np.asarray(z, dtype=complex), np.asarray(s, dtype=float))
    P = len(laws.nodes)
    m = np.zeros((*z.shape, P))
    for b, (t, g2, w) in enumerate(laws.nodes):
        if w.size == 0:
            continue
        d2 = np.abs(np.multiply.outer(z, t) + 1.0) ** 2
        with np.errstate(divide="ignore"):
            logx = np.log(g2) - np.log(d2)
        m[..., b] = np.sum(w * np.exp(logx * s[..., None]), axis=-1)
    K = laws.c * laws.weight_moment(s) * m[..., None, :]
    with np.errstate(divide="ignore"):
        return np.log(_perron_root_of(K))


@dataclass(frozen=True, slots=True, kw_only=True)
class GrowthRate:
    r"""Growth rate of the linearized cavity recursion at points ``z``.

    Attributes
    ----------
    z : ndarray of complex
        Points.
    growth : ndarray
        :math:`\gamma(z) = \min_{0<s\le1} s^{-1}\log\rho(K(z;s))`; the support is
        :math:`\gamma \ge 0`.
    exponent : ndarray
        The minimizing ``s`` (1: the first-moment criterion decides).
    first_moment : ndarray
        :math:`\log\rho(K(z; 1))` (the dense-limit criterion with second moments).
    """

    z: ComplexArray
    growth: FloatArray
    exponent: FloatArray
    first_moment: FloatArray


def growth_rate(ensemble: JacobianEnsemble, z: Any, *, n_quad: int = 32) -> GrowthRate:
    r"""Biggins growth rate of the linearized cavity recursion; the support is ``growth >= 0``.

    Parameters
    ----------
    ensemble : JacobianEnsemble
        A sparse block ensemble (:meth:`JacobianEnsemble.inhibitory_core`, or ``from_blocks``
        with ``in_degree``).
    z : complex or array_like of complex
        Points.
    n_quad : int
        Quadrature nodes per dimension of the per-unit (timescale, gain) law.

    Returns
    -------
    GrowthRate
        Growth rate, minimizing exponent and first-moment criterion at every point.

    Notes
    -----
    See the module docstring and ``docs/theory.md`` section 5.3. The minimum over ``s`` is taken
    on a grid of 46 exponents and refined by a parabola through the three grid points around it.

    **Assumptions and approximations**

    - Locally tree-like directed graph, independent entries, Poisson degrees (Erdős-Rényi blocks
      at finite mean in-degree), :math:`n \to \infty`.
    - Multi-type branching random walk: the growth of the typical recursion is
      :math:`\inf_s s^{-1}\log\rho(K(s))` (Biggins 1977; its multi-type form for an
      irreducible mean matrix).

    Examples
    --------
    >>> ens = JacobianEnsemble.from_blocks(
    ...     n=10_000, fractions=(1.0,), signs=(1,), in_degree=((3.0,),), weights=((1.0,),),
    ...     scaling="none", tau=(1.0,), gain=(1.0,))
    >>> r = growth_rate(ens, [-1 + 1.5j, -1 + 2.0j])    # c w^2 = 3: circle of radius sqrt(3)
    >>> bool(r.growth[0] > 0 > r.growth[1])
    True
    """
    ens = _check_ensemble(ensemble)
    zz = np.asarray(z, dtype=complex)
    g, s_best, first = _growth(_laws(ens, n_quad), zz.ravel())
    return GrowthRate(
        z=zz,
        growth=g.reshape(zz.shape),
        exponent=s_best.reshape(zz.shape),
        first_moment=first.reshape(zz.shape),
    )


def _growth(laws: _Laws, flat: ComplexArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Growth rate, minimizing exponent and first-moment log Perron root at flat points."""
    lr = _log_rho(laws, flat[:, None], _S_GRID[None, :])  # (nz, S)
    vals = np.where(np.isnan(lr), np.inf, lr / _S_GRID)
    k = np.argmin(vals, axis=1)
    g = vals[np.arange(flat.size), k]
    s_best = _S_GRID[k].copy()
    # golden-section refinement of the convex-in-practice minimum between the grid neighbours
    inner = (k > 0) & np.isfinite(g)
    if np.any(inner):
        idx = np.flatnonzero(inner)
        a = _S_GRID[k[idx] - 1]
        b = _S_GRID[np.minimum(k[idx] + 1, _S_GRID.size - 1)]
        zi = flat[idx]
        ratio = (math.sqrt(5.0) - 1.0) / 2.0

        def f(t: FloatArray) -> FloatArray:
            return _log_rho(laws, zi, t) / t

        c1, c2 = b - ratio * (b - a), a + ratio * (b - a)
        f1, f2 = f(c1), f(c2)
        for _ in range(16):  # bracket 0.618^16 = 5e-4 of a grid step
            left = f1 < f2  # the minimum lies in [a, c2]
            b = np.where(left, c2, b)
            a = np.where(left, a, c1)
            c1, c2 = (
                np.where(left, b - ratio * (b - a), c2),
                np.where(left, c1, a + ratio * (b - a)),
            )
            # one new point per z: c1 where the bracket moved left, c2 otherwise
            t_new = np.where(left, c1, c2)
            f_new = _log_rho(laws, zi, t_new) / t_new
            f1, f2 = np.where(left, f_new, f2), np.where(left, f1, f_new)
        t = 0.5 * (a + b)
        ft = f(t)
        better = ft < g[idx]
        g[idx[better]] = ft[better]
        s_best[idx[better]] = t[better]
    return g, s_best, lr[:, -1]


def _pole_interval(ens: JacobianEnsemble, laws: _Laws) -> tuple[float, float]:
    """Range of the timescale poles -1/tau of populations that send edges into the recursion."""
    lo, hi = math.inf, -math.inf
    for b, (_t, _, w) in enumerate(laws.nodes):
        if w.size == 0 or not np.any(laws.c[:, b] > 0):
            continue
        t_lo, t_hi = ens.tau[b].support
        hi = max(hi, -1.0 / t_hi if math.isfinite(t_hi) else 0.0)
        lo = min(lo, -1.0 / t_lo if t_lo > 0 else -math.inf)
    return lo, hi


@dataclass(frozen=True, slots=True, kw_only=True)
class SparseEdge:
    r"""The spectral edge at finite connectivity, with the dense-limit edge beside it.

    Attributes
    ----------
    edge : float
        Rightmost point of the support (real): the largest ``x`` with :math:`\gamma(x) \ge 0`
        right of the timescale poles (``nan`` without a giant strongly connected component).
    edge_first_moment : float
        The same with the first-moment criterion :math:`\rho(K(x; 1)) = 1` (the dense formula
        with second moments).
    exponent : float
        Minimizing ``s`` at the edge (1 when both criteria agree).
    growth_at_zero : float
        :math:`\gamma(0)`; the bulk is unstable iff it is >= 0. Independent of the timescales
        (:math:`|1 + 0\cdot\tau| = 1`).
    first_moment_at_zero : float
        :math:`\log\rho(K(0; 1))`.
    distance_to_instability : float
        ``-edge``.
    height : float
        :math:`2\max \mathrm{Im}` over the support (by the growth criterion).
    spec : JacobianEnsemble
        Input spec.
    references : tuple of str
        Bib keys.
    """

    edge: float
    edge_first_moment: float
    exponent: float
    growth_at_zero: float
    first_moment_at_zero: float
    distance_to_instability: float
    height: float
    spec: JacobianEnsemble
    references: tuple[str, ...] = _REFS

    def to_xarray(self) -> Any:
        """Scalar variables of the edge."""
        import xarray as xr

        return xr.Dataset(
            {
                "edge_sparse_pred": ((), self.edge),
                "edge_first_moment_pred": ((), self.edge_first_moment),
                "edge_exponent": ((), self.exponent),
                "growth_at_zero": ((), self.growth_at_zero),
                "height_sparse_pred": ((), self.height),
            },
            attrs={"references": list(self.references)},
        )


def _right_root(f: Any, x0: float, scale: float) -> float:
    """Largest root of a decreasing-to-the-right function f on (x0, inf), f(x0+) > 0."""
    x_in = x0 + 1e-9 * scale
    if not f(x_in) > 0:
        return x0
    x_out = x0 + scale
    while f(x_out) >= 0:
        x_out = x0 + 2.0 * (x_out - x0)
    return float(optimize.brentq(f, x_in, x_out, xtol=1e-12 * scale, rtol=1e-14))


def sparse_edge(ensemble: JacobianEnsemble, *, n_quad: int = 32, height: bool = True) -> SparseEdge:
    r"""Predict the rightmost point of the support at finite connectivity.

    Parameters
    ----------
    ensemble : JacobianEnsemble
        A sparse block ensemble.
    n_quad : int
        Quadrature nodes per dimension of the per-unit law.
    height : bool
        Also compute the bulk height (a boundary scan; NaN when False).

    Returns
    -------
    SparseEdge
        Edge by the growth criterion and by the first-moment criterion, the stability criterion
        at 0, the distance to instability and the bulk height.

    Notes
    -----
    Right of every timescale pole, :math:`|1 + x\tau|` increases with ``x``, so
    :math:`\rho(K(x; s))` decreases for every ``s`` and so does :math:`\gamma(x)`; the edge is its
    unique root there (or the rightmost pole, if :math:`\gamma < 0` already at the pole). Each
    :math:`\rho(K(x + iy; s))` decreases in :math:`|y|`, so the rightmost point of the support is
    real and each vertical line meets the support in one interval (:func:`sparse_boundary`).

    Examples
    --------
    >>> ens = JacobianEnsemble.from_blocks(
    ...     n=10_000, fractions=(1.0,), signs=(1,), in_degree=((2.0,),),
    ...     weights=(({"kind": "lognormal", "median": 1.0, "sigma": 1.0},),), scaling="none",
    ...     tau=(1.0,), gain=(1.0,))
    >>> e = sparse_edge(ens)     # lognormal weights at c = 2: the typical growth decides
    >>> r_first = (2.0 * np.exp(2.0)) ** 0.5             # sqrt(c E[w^2])
    >>> r_typ = np.exp(np.sqrt(2 * np.log(2.0)))         # exp(min_s (log c + 2 s^2) / (2 s))
    >>> bool(abs(e.edge_first_moment - (r_first - 1)) < 1e-8 and abs(e.edge - (r_typ - 1)) < 1e-6)
    True
    """
    ens = _check_ensemble(ensemble)
    laws = _laws(ens, n_quad)
    _, x0 = _pole_interval(ens, laws)
    if not math.isfinite(x0):
        nan = math.nan
        return SparseEdge(
            edge=nan, edge_first_moment=nan, exponent=nan, growth_at_zero=-math.inf,
            first_moment_at_zero=-math.inf, distance_to_instability=nan, height=0.0, spec=ens,
        )  # fmt: skip
    scale = max(1.0, abs(x0))

    def grow(x: float) -> float:
        return float(_growth(laws, np.array([complex(x)]))[0][0])

    def first(x: float) -> float:
        return float(_log_rho(laws, complex(x), 1.0))

    x_g = _right_root(grow, x0, scale)
    x_f = _right_root(first, x0, scale)
    at0 = growth_rate(ens, 0.0, n_quad=n_quad)
    h = _height(ens, laws, x0, x_g) if height else math.nan
    return SparseEdge(
        edge=x_g,
        edge_first_moment=x_f,
        exponent=float(_growth(laws, np.array([complex(x_g)]))[1][0]),
        growth_at_zero=float(at0.growth),
        first_moment_at_zero=float(at0.first_moment),
        distance_to_instability=-x_g,
        height=h,
        spec=ens,
    )


def _inside(laws: _Laws, z: ComplexArray) -> Any:
    """Whether growth >= 0 at flat points: the grid minimum decides unless it is small.

    A negative value of :math:`s^{-1}\\log\rho` at any grid exponent proves ``z`` outside; a grid
    minimum above 0.05 leaves it inside (the refined minimum is lower by far less); only the
    points in between get the golden-section refinement of :func:`_growth`.
    """
    lr = _log_rho(laws, z[:, None], _S_GRID[None, :])
    g = np.min(np.where(np.isnan(lr), np.inf, lr / _S_GRID), axis=1)
    out = g >= 0
    amb = (g >= 0) & (g < 0.05)
    if np.any(amb):
        out[amb] = _growth(laws, z[amb])[0] >= 0
    return out


def _y_max(laws: _Laws, x: FloatArray, y_hi: float, n_iter: int = 45) -> FloatArray:
    """Vectorized bisection for the upper boundary by the growth criterion (0 off support)."""
    inside = _inside(laws, x.astype(complex))
    lo = np.zeros_like(x)
    hi = np.full_like(x, y_hi)
    for _ in range(n_iter):
        mid = 0.5 * (lo + hi)
        up = _inside(laws, x + 1j * mid)
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    return np.where(inside, 0.5 * (lo + hi), 0.0)


def _y_bound(laws: _Laws, x: float) -> float:
    """A height above which the first-moment criterion (hence the growth one) fails."""
    y = 1.0
    while float(_log_rho(laws, complex(x, y), 1.0)) >= 0:
        y *= 2.0
    return y


def _height(ens: JacobianEnsemble, laws: _Laws, x0: float, x_r: float) -> float:
    lo, _ = _pole_interval(ens, laws)
    left = lo if math.isfinite(lo) else x0 - 2.0 * max(1.0, abs(x0))
    y_hi = max(_y_bound(laws, xx) for xx in (left, 0.5 * (left + x_r), x_r))
    xs = np.linspace(left - 0.5 * y_hi, x_r, 81)
    ys = _y_max(laws, xs, y_hi)
    k = int(np.argmax(ys))
    if ys[k] <= 0:
        return 0.0
    # golden-section refinement of the maximum of y_max(x) between the grid neighbours
    a, b = xs[max(k - 1, 0)], xs[min(k + 1, xs.size - 1)]
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    best = float(ys[k])
    for _ in range(12):
        c = np.array([b - ratio * (b - a), a + ratio * (b - a)])
        yc = _y_max(laws, c, y_hi)
        best = max(best, float(yc.max()))
        if yc[0] >= yc[1]:
            b = c[1]
        else:
            a = c[0]
    return 2.0 * best


@dataclass(frozen=True, slots=True, kw_only=True)
class SparseBoundary:
    r"""Boundary of the support at finite connectivity, :math:`|y| \le y_{\max}(x)`.

    Attributes
    ----------
    x : ndarray
        Real parts.
    y_max : ndarray
        Upper boundary by the growth criterion (0 where the line misses the support).
    y_max_first_moment : ndarray
        The same by the first-moment (dense) criterion.
    """

    x: FloatArray
    y_max: FloatArray
    y_max_first_moment: FloatArray

    def points(self, which: str = "growth") -> ComplexArray:
        """The closed boundary (upper branch, then the lower one reversed)."""
        y = self.y_max if which == "growth" else self.y_max_first_moment
        k = y > 0
        return np.concatenate([self.x[k] + 1j * y[k], (self.x[k] - 1j * y[k])[::-1]])

    def to_xarray(self) -> Any:
        """Both boundaries over ``sparse_boundary_x``."""
        import xarray as xr

        return xr.Dataset(
            {
                "sparse_boundary_y_max": ("sparse_boundary_x", self.y_max),
                "sparse_boundary_y_max_first_moment": (
                    "sparse_boundary_x",
                    self.y_max_first_moment,
                ),
            },
            coords={"sparse_boundary_x": self.x},
        )


def sparse_boundary(
    ensemble: JacobianEnsemble, *, x: Any = None, n_points: int = 200, n_quad: int = 32
) -> SparseBoundary:
    """Support boundary by the growth criterion and by the first-moment criterion.

    Parameters
    ----------
    ensemble : JacobianEnsemble
        A sparse block ensemble.
    x : array_like, optional
        Real parts (default: ``n_points`` across the support).
    n_points : int
        Points when ``x`` is not given.
    n_quad : int
        Quadrature nodes per dimension of the per-unit law.

    Returns
    -------
    SparseBoundary
        ``y_max(x)`` for both criteria.
    """
    ens = _check_ensemble(ensemble)
    check_positive_int("n_points", n_points)
    if x is None:
        # a pure function of the (frozen) ensemble on its default grid: computed once; the
        # region, quantile and fit comparisons of one ensemble all ask for it
        try:
            return _default_boundary(ens, n_points, n_quad)
        except TypeError:  # unhashable parts (laws given by samples): not cached
            pass
    return _boundary(ens, x, n_points, n_quad)


@functools.lru_cache(maxsize=64)
def _default_boundary(ens: JacobianEnsemble, n_points: int, n_quad: int) -> SparseBoundary:
    return _boundary(ens, None, n_points, n_quad)


def _boundary(ens: JacobianEnsemble, x: Any, n_points: int, n_quad: int) -> SparseBoundary:
    laws = _laws(ens, n_quad)
    lo, x0 = _pole_interval(ens, laws)
    if x is None:
        if not math.isfinite(x0):
            xs = np.linspace(-1.0, 0.0, n_points)
        else:
            scale = max(1.0, abs(x0))
            x_f = _right_root(
                lambda t: float(_log_rho(laws, complex(t), 1.0)),
                x0,
                scale,
            )
            left = lo if math.isfinite(lo) else x0 - 2 * scale
            y_hi = _y_bound(laws, 0.5 * (left + x_f))
            xs = np.linspace(left - 0.5 * y_hi, x_f, n_points)
    else:
        xs = check_array("x", x, shape=(None,))
    y_hi = max(_y_bound(laws, float(t)) for t in (xs[0], xs[xs.size // 2], xs[-1]))
    y_g = _y_max(laws, xs, y_hi)
    inside_f = _log_rho(laws, xs.astype(complex), 1.0) >= 0
    lo_y = np.zeros_like(xs)
    hi_y = np.full_like(xs, y_hi)
    for _ in range(40):
        mid = 0.5 * (lo_y + hi_y)
        up = _log_rho(laws, xs + 1j * mid, 1.0) >= 0
        lo_y = np.where(up, mid, lo_y)
        hi_y = np.where(up, hi_y, mid)
    return SparseBoundary(
        x=xs, y_max=y_g, y_max_first_moment=np.where(inside_f, 0.5 * (lo_y + hi_y), 0.0)
    )
