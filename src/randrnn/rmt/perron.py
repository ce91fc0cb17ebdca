"""The Perron matrix M(z) whose Perron root decides whether z lies in the bulk support.

See :mod:`randrnn.rmt` for the theory and its assumptions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from randrnn._typing import ComplexArray, FloatArray
from randrnn.ensembles import (
    AbstractDistribution,
    JacobianEnsemble,
    Uniform,
    as_jacobian_ensemble,
)

_REFS = ("chotibut2025",)
#: default number of quadrature nodes per distribution (Gauss rules; exact for fixed/samples)
N_QUAD = 48


def _check_ensemble(ensemble: Any) -> JacobianEnsemble:
    """The Jacobian ensemble of ``ensemble`` (a spec or a sample), refusing what rmt cannot do."""
    ens = as_jacobian_ensemble(ensemble)
    stats = ens.coupling.statistics()
    unsupported = []
    if stats.symmetry != 0:
        unsupported.append(f"partial symmetry eta = {stats.symmetry:g} (an elliptic law)")
    if stats.rank:
        unsupported.append(f"a rank-{stats.rank} structured part")
    if unsupported:
        raise ValueError(
            "randrnn.rmt covers Jacobians of couplings with independent entries (block means "
            "and variances, Dale signs, sparse blocks); got " + " and ".join(unsupported) + "."
        )
    return ens


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


def _moment_matrix(ens: JacobianEnsemble, z: ComplexArray, n_quad: int) -> FloatArray:
    r""":math:`m_b(z) = E_b[g^2/|\tau z+1|^2]` with shape ``z.shape + (P,)``."""
    if ens.correlated:
        out = []
        for b in range(ens.n_populations):
            t, g, w = ens.unit_quadrature(b, n_quad)
            d2 = np.abs(np.multiply.outer(z, t) + 1.0) ** 2
            with np.errstate(divide="ignore"):
                out.append(np.sum(w * g**2 / d2, axis=-1))
        return np.stack(out, axis=-1)
    cols = [
        gd.second_moment * _inv_abs2(td, z, n_quad)
        for td, gd in zip(ens.tau, ens.gain, strict=True)
    ]
    return np.stack(cols, axis=-1)


def _perron_from_m(ens: JacobianEnsemble, m: FloatArray) -> FloatArray:
    s = ens.block_variance
    with np.errstate(invalid="ignore"):
        M = s * (ens.alpha * m)[..., None, :]
    return _perron_root_of(M)


def _perron_root_of(M: FloatArray) -> FloatArray:
    """Perron root of non-negative P x P matrices over leading axes (inf where not finite)."""
    P = M.shape[-1]
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


def perron_matrix(ensemble: JacobianEnsemble, z: complex, *, n_quad: int = N_QUAD) -> FloatArray:
    r"""Return the P x P matrix :math:`M_{ab}(z) = s_{ab}\,\alpha_b\,E_b[g^2/|\tau z + 1|^2]`.

    Point ``z`` lies in the support of the bulk eigenvalue density of
    :math:`A = T^{-1}(-I + W G)` iff the Perron root of :math:`M(z)` is at least 1.

    Parameters
    ----------
    ensemble : JacobianEnsemble
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
    - Sparse blocks: valid when :math:`n p_{ab} \to \infty`. At finite connectivity this is the
      first-moment bound of the support; the support itself is given by the growth rate of the
      linearized cavity recursion (:func:`randrnn.rmt.growth_rate`, [3]_), smaller at small mean
      degree with broad laws, and a fraction of eigenvalues detaches into the real bar
      (:func:`strong_component`).

    References
    ----------
    .. [1] Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767v1, Secs. III-IV.
    .. [2] Alt, Erdős & Krüger (2018), "Local inhomogeneous circular law", Ann. Appl. Probab.
    .. [3] Neri & Metz (2020), "Linear stability analysis of large dynamical systems on random
       directed graphs", Phys. Rev. Research 2, 033313.

    Examples
    --------
    >>> ens = JacobianEnsemble.from_blocks(
    ...     n=100, fractions=(1.0,), signs=(1,), connectivity=((1.0,),),
    ...                     weights=((1.0,),), tau=(1.0,), gain=(1.0,), keep_mean=False)
    >>> float(perron_matrix(ens, 0.0)[0, 0])  # p E[w^2] - p^2 E[w]^2 = 0 for fixed dense weights
    0.0
    """
    ens = _check_ensemble(ensemble)
    m = _moment_matrix(ens, np.asarray(complex(z)), n_quad)
    return ens.block_variance * (ens.alpha * m)[None, :]


def perron_root(ensemble: JacobianEnsemble, z: Any, *, n_quad: int = N_QUAD) -> FloatArray:
    r"""Return the Perron root :math:`\rho(M(z))` for an array of points ``z``.

    Parameters
    ----------
    ensemble : JacobianEnsemble
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
    >>> ens = JacobianEnsemble.from_blocks(
    ...     n=100, fractions=(1.0,), signs=(1,), connectivity=((0.5,),),
    ...                     weights=((2.0,),), tau=(2.0,), gain=(1.0,), keep_mean=False)
    >>> # circular law: s = 0.5*4 - 0.25*4 = 1, centre -1/tau, radius sqrt(s)*g/tau = 0.5
    >>> bool(abs(perron_root(ens, -0.5 + 0.5j) - 1.0) < 1e-12)
    True
    """
    ens = _check_ensemble(ensemble)
    zz = np.asarray(z, dtype=complex)
    return _perron_from_m(ens, _moment_matrix(ens, zz, n_quad))
