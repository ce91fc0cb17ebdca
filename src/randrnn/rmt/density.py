"""Eigenvalue density inside the support from the Hermitized resolvent.

See :mod:`randrnn.rmt` for the theory and its assumptions.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from randrnn._typing import ComplexArray, FloatArray
from randrnn._validation import check_array, check_in
from randrnn.ensembles import (
    JacobianEnsemble,
)
from randrnn.errors import ConvergenceError, RegimeWarning
from randrnn.rmt.cavity import _check_rectangles
from randrnn.rmt.perron import (
    _REFS,
    _check_ensemble,
    perron_root,
)
from randrnn.rmt.sparse import strong_component

# -- density from the Hermitized resolvent ----------------------------------------------------


def _joint_nodes(
    ens: JacobianEnsemble, n_quad: int
) -> list[tuple[FloatArray, FloatArray, FloatArray]]:
    """Per population: tau nodes, gain nodes and weights of the joint rule
    (:meth:`JacobianEnsemble.unit_quadrature`: a product rule without a copula)."""
    return [ens.unit_quadrature(b, n_quad) for b in range(ens.n_populations)]


def _core_populations(s: FloatArray) -> Any:
    """Populations on a cycle of the population graph (nonzero row and column within the set).

    The others (e.g. a pruned periphery whose columns vanish) have a zero self-energy product
    and contribute their poles ``tau / d`` to ``g`` exactly.
    """
    act = np.ones(s.shape[0], dtype=bool)
    while True:
        sub = s[np.ix_(act, act)]
        keep = (sub.sum(axis=0) > 0) & (sub.sum(axis=1) > 0)
        if np.all(keep):
            return act
        act[np.flatnonzero(act)[~keep]] = False
        if not np.any(act):
            return act


def _solve_hermitized(
    ens: JacobianEnsemble,
    z: ComplexArray,
    nodes: list[tuple[FloatArray, FloatArray, FloatArray]],
    tol: float,
    max_iter: int,
) -> tuple[FloatArray, FloatArray, ComplexArray, FloatArray, int]:
    """The self-consistent equations on the core populations, plus the poles of the others."""
    s = ens.block_variance
    act = _core_populations(s)
    al = ens.alpha
    nz = z.size
    gz = np.zeros(nz, dtype=complex)
    for c in np.flatnonzero(~act):
        t, _, w = nodes[c]
        gz += al[c] * np.sum(w * t / (np.multiply.outer(z, t) + 1.0), axis=1)
    if not np.any(act):
        P = ens.n_populations
        return np.zeros((nz, P)), np.zeros((nz, P)), gz, np.zeros(nz), 0
    idx = np.flatnonzero(act)
    B, Gh, g_core, res, it = _solve_core(
        s[np.ix_(idx, idx)], al[idx], z, [nodes[c] for c in idx], tol, max_iter
    )
    return B, Gh, gz + g_core, res, it


def _solve_core(
    s: FloatArray,
    al: FloatArray,
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
    P = s.shape[0]
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
    ens: JacobianEnsemble, z: ComplexArray, nodes: list[tuple[FloatArray, FloatArray, FloatArray]]
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
    spec : JacobianEnsemble
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
    spec: JacobianEnsemble
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
    ensemble: JacobianEnsemble,
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
    ensemble : JacobianEnsemble
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
    >>> ens = JacobianEnsemble.from_blocks(
    ...     n=100, fractions=(1.0,), signs=(1,), connectivity=((1.0,),),
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


def dense_regions(
    ensemble: JacobianEnsemble,
    rectangles: Any,
    *,
    points_per_side: int = 64,
    n_quad: int = 32,
    tol: float = 1e-11,
    max_iter: int = 60,
) -> FloatArray:
    r"""Dense-limit fraction of eigenvalues in each rectangle (to compare with the sparse theory).

    The contour integral :math:`(2\pi i)^{-1}\oint_{\partial R} g\,dz` of the dense-limit
    resolvent (:func:`eigenvalue_density`'s equations) by Gauss-Legendre on each side. In the
    dense limit every eigenvalue belongs to the bulk: there is no bar.

    Parameters
    ----------
    ensemble : JacobianEnsemble
        The spec.
    rectangles : (k, 4) array_like
        ``[x0, x1, y0, y1]`` per region; infinite bounds are cut where the support ends. Sides
        that cross the real axis should do so outside the segment of timescale poles.
    points_per_side : int
        Gauss-Legendre points per side.
    n_quad : int
        Quadrature nodes per timescale law.
    tol, max_iter : float, int
        Newton tolerance and iterations of the self-consistent equations.

    Returns
    -------
    (k,) ndarray
        Predicted fractions.

    Examples
    --------
    >>> ens = JacobianEnsemble.from_blocks(
    ...     n=100, fractions=(1.0,), signs=(1,), connectivity=((1.0,),),
    ...     weights=(({"kind": "halfnormal", "scale": 1.0},),), tau=(1.0,), gain=(1.0,),
    ...     keep_mean=False)
    >>> r = ens.block_variance[0, 0] ** 0.5      # uniform disc of radius r around -1
    >>> f = dense_regions(ens, [[-1.0, np.inf, -np.inf, np.inf], [-1 - r, -1 + r, 0.5 * r, 2 * r]])
    >>> bool(abs(f[0] - 0.5) < 1e-6)
    True
    """
    from randrnn.rmt.support import spectral_edge

    ens = _check_ensemble(ensemble)
    rect = _check_rectangles(rectangles)
    e = spectral_edge(ens, n_quad=n_quad)
    pad = 0.1 * e.height + 1e-9
    left = e.leftmost if np.isfinite(e.leftmost) else e.edge - 4 * e.height
    # the box must hold every timescale pole too (units outside the bulk sit on them)
    t_lo = min(d.support[0] for d in ens.tau)
    t_hi = max(d.support[1] for d in ens.tau)
    left = min(left, -1.0 / t_lo if t_lo > 0 else -1e6)
    right = max(e.edge, -1.0 / t_hi if np.isfinite(t_hi) else 0.0)
    r = rect.copy()
    r[:, 0] = np.maximum(r[:, 0], left - pad)
    r[:, 1] = np.minimum(r[:, 1], right + pad)
    r[:, 2] = np.maximum(r[:, 2], -0.5 * e.height - pad)
    r[:, 3] = np.minimum(r[:, 3], 0.5 * e.height + pad)
    u, w = np.polynomial.legendre.leggauss(points_per_side)
    u, w = 0.5 * (u + 1.0), 0.5 * w
    nodes = _joint_nodes(ens, n_quad)
    out = np.zeros(rect.shape[0])
    for k, (x0, x1, y0, y1) in enumerate(r):
        if x1 <= x0 or y1 <= y0:
            continue
        c = [complex(x0, y0), complex(x1, y0), complex(x1, y1), complex(x0, y1)]
        z = np.concatenate([c[j] + (c[(j + 1) % 4] - c[j]) * u for j in range(4)])
        dz = np.concatenate([(c[(j + 1) % 4] - c[j]) * w for j in range(4)])
        g = _resolvent_outside(ens, z, nodes)
        inside = perron_root(ens, z, n_quad=n_quad) > 1.0 + 1e-9
        if np.any(inside):
            g[inside] = _solve_hermitized(ens, z[inside], nodes, tol, max_iter)[2]
        out[k] = float((np.sum(g * dz) / (2j * np.pi)).real)
    return out
