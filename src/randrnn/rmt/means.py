"""Outliers created by the block means.

See :mod:`randrnn.rmt` for the theory and its assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize

from randrnn._typing import ComplexArray, FloatArray
from randrnn._validation import check_in
from randrnn.ensembles import (
    JacobianEnsemble,
)
from randrnn.rmt.perron import (
    _REFS,
    N_QUAD,
    _check_ensemble,
    _inv_lin,
    perron_root,
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
    spec : JacobianEnsemble
        Input spec.
    references : tuple of str
        Bib keys.
    """

    values: ComplexArray
    residual: FloatArray
    spec: JacobianEnsemble
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


def _outlier_matrix(ens: JacobianEnsemble, z: complex, n_quad: int) -> ComplexArray:
    if ens.correlated:
        hj = []
        for b in range(ens.n_populations):
            t, g, w = ens.unit_quadrature(b, n_quad)
            hj.append(complex(np.sum(w * g / (z * t + 1.0))))
        return ens.block_mean * (ens.alpha * np.array(hj))[None, :]
    h = np.array(
        [
            gd.mean * complex(_inv_lin(td, np.asarray(z), n_quad))
            for td, gd in zip(ens.tau, ens.gain, strict=True)
        ]
    )
    return ens.block_mean * (ens.alpha * h)[None, :]


def outliers(
    ensemble: JacobianEnsemble, *, n_quad: int = N_QUAD, support: str = "dense"
) -> Outliers:
    r"""Predict the outliers created by the block means (``keep_mean=True``).

    Parameters
    ----------
    ensemble : JacobianEnsemble
        The spec (no outliers are returned when ``keep_mean`` is False).
    n_quad : int
        Quadrature nodes per timescale distribution.
    support : {"dense", "sparse"}
        Which support an outlier must lie outside: the dense-limit one (:func:`perron_root`) or
        the finite-connectivity one (:func:`randrnn.rmt.growth_rate`; block ensembles only). At
        finite connectivity :math:`\mu_{ab}\alpha_b = \mathrm{sign}_b\,c_{ab}E[w_{ab}]`: the
        equation is the one of a single population, :math:`c\mu E[h/(1 + \lambda\tau)] = 1`.

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
    >>> ens = JacobianEnsemble.from_blocks(
    ...     n=400, fractions=(1.0,), signs=(1,), connectivity=((0.1,),),
    ...                     weights=((1.0,),), tau=(1.0,), gain=(1.0,), keep_mean=True)
    >>> o = outliers(ens)                     # z = mu - 1 for fixed tau = g = 1
    >>> bool(abs(o.values[0] - (0.1 * 400**0.5 - 1)) < 1e-10)
    True
    """
    ens = _check_ensemble(ensemble)
    check_in("support", support, ["dense", "sparse"])
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
        if support == "sparse":
            from randrnn.rmt.growth import growth_rate

            if float(growth_rate(ens, root).growth) >= 0.0:
                continue
        elif float(perron_root(ens, root, n_quad=n_quad)) >= 1.0:
            continue
        found.append(root)
    vals = np.array(sorted(found, key=lambda c: (-c.real, -c.imag)), dtype=complex)
    return Outliers(values=vals, residual=np.array([abs(f(v)) for v in vals]), spec=ens)
