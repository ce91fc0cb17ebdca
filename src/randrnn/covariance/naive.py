"""The naive Gaussian closure (docs/theory.md section 3).

Computed for comparison with the linear-equivalent prediction.
"""

from __future__ import annotations

import math
import time

import numpy as np
from numpy.typing import ArrayLike

from randrnn.covariance._common import (
    UnstableNetworkError,
    _alpha_and_check,
    _c,
    _EigenBasis,
    _frequency_rule,
)
from randrnn.covariance.prediction import CovariancePrediction, _check_inputs, _dimensionless
from randrnn.covariance.residual import ResidualStatistics

# ---------------------------------------------------------------------------------------------
# naive Gaussian closure
# ---------------------------------------------------------------------------------------------


def naive_closure_covariance(
    J: ArrayLike,
    residual: ResidualStatistics,
    *,
    sigma: float = 0.0,
    tau: float = 1.0,
) -> CovariancePrediction:
    r"""Covariances under the naive Gaussian closure (wrong; for comparison).

    Treats every pair of preactivations as jointly Gaussian, so that
    :math:`C_{\phi,ij} = \mu_1^2 C_{x,ij}` for :math:`i \ne j`, with the diagonal set by the
    DMFT, and :math:`C_x = (J C_\phi J^T + \sigma^2 I)/(1+\omega^2)` (docs/theory.md section 3).
    Compared with :func:`linear_equivalent_covariance` it misses the cross terms
    :math:`aJC_\phi + \bar a C_\phi J^T`, already at first order in ``J``.

    Parameters
    ----------
    J : (n, n) array_like
        Couplings of the realization.
    residual : ResidualStatistics
        Gain and residual statistics.
    sigma : float
        White-noise amplitude.
    tau : float
        The time constant of every unit; ``residual`` is in the same time units (as for
        :func:`linear_equivalent_covariance`, which also derives the rescaling).

    Returns
    -------
    CovariancePrediction
        With ``method="naive"``; ``c_xphi = mu1 * c_x`` (Price/Bussgang for jointly Gaussian
        pairs, including the diagonal).

    Raises
    ------
    UnstableNetworkError
        If :math:`\mu_1 \max_k|\lambda_k| \ge 1` (the closure's own fixed-point equation then has
        no positive solution) or the linear-equivalent network is unstable.

    Notes
    -----
    **Reduction.** Write :math:`C_\phi(\omega) = \mu_1^2 C_x(\omega) + D(\omega)` with
    :math:`D` diagonal, :math:`D_{ii} = C_{\phi,ii} - \mu_1^2 C_{x,ii}`. Setting the diagonal to
    its mean-field value, :math:`D_{ii} = \hat C(\omega) - \mu_1^2\hat\Delta(\omega) =
    S_r(\omega)`, and substituting :math:`C_x` gives per frequency

    .. math:: C_\phi = |a|^2 J C_\phi J^T + q(\omega) I, \qquad
              q = S_r(\omega) + |a(\omega)|^2\sigma^2.

    (Enforcing :math:`C_{\phi,ii} = \hat C(\omega)` unit by unit would instead solve an
    :math:`n`-dimensional linear system per frequency; the difference is a finite-size
    correction of the diagonal.) In the eigenbasis, :math:`\tilde C = V^{-1}C_\phi V^{-H}`
    solves :math:`\tilde C_{kl}(1 - |a|^2\lambda_k\bar\lambda_l) = q\,W_{kl}`,
    :math:`W = V^{-1}V^{-H}`, and :math:`V^{-1}C_xV^{-H} = (\Lambda\tilde C\Lambda^H +
    \sigma^2 W)/(1+\omega^2)`. The :math:`\omega` integral can be done in closed form,
    :math:`\int\frac{d\omega}{2\pi}\frac{q}{1 - |a|^2 z} = s_r(0) + \mu_1^2 z\,S(\beta)/\beta +
    \mu_1^2\sigma^2/(2\beta)` with :math:`\beta = \sqrt{1 - \mu_1^2 z}`,
    :math:`z = \lambda_k\bar\lambda_l`, but that needs :math:`S` at :math:`n^2` points; instead
    the integral is done with the composite Gauss-Legendre rule of the quadrature method
    (poles at :math:`\omega = i\beta_{\min}`, :math:`i`, :math:`i\kappa`), at :math:`O(n^2)`
    per node. The tests check it against the closed form.

    **Assumptions and approximations**

    - Jointly Gaussian preactivation pairs (the assumption that fails: residuals are
      independent across units, not Gaussian-coupled to :math:`x_j`).
    - Diagonal from the mean-field residual spectrum; homogeneous units; one ``tau``.
    - Eigenbasis of ``J`` (no fallback for ill-conditioned eigenvectors).

    References
    ----------
    .. [1] D. G. Clark, arXiv:2604.23489 (2026), comparison with the naive closure.

    Examples
    --------
    Without recurrence the closure is exact:

    >>> from randrnn.covariance import linear_equivalent_covariance
    >>> res = ResidualStatistics.exponential(amplitude=0.1, rate=1.0, mu1=0.5)
    >>> naive = naive_closure_covariance(np.zeros((3, 3)), res, sigma=0.5)
    >>> exact = linear_equivalent_covariance(np.zeros((3, 3)), res, sigma=0.5)
    >>> bool(np.allclose(naive.c_phi, exact.c_phi) and np.allclose(naive.c_x, exact.c_x))
    True
    """
    Jm, sig0, tau_f = _check_inputs(J, residual, sigma, tau)
    res_s, sig = _dimensionless(residual, sig0, tau_f)  # time in units of tau from here on
    mu1 = residual.mu1
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    basis = _EigenBasis(Jm)
    lam = basis.lam
    seconds["eig"] = time.perf_counter() - t0
    _, min_re = _alpha_and_check(lam, mu1)
    rho = float(np.abs(lam).max())
    if mu1 * rho >= 1.0:
        bad = lam[mu1 * np.abs(lam) >= 1.0]
        raise UnstableNetworkError(
            f"`J` must satisfy mu1 * max|lam_k| < 1 for the naive closure; got mu1*|lam|="
            f"{mu1 * rho:.6g} (lam={_c(bad[np.argmax(np.abs(bad))])}). The closure "
            "C = |a|^2 J C J^T + q I has no positive solution at w = 0.",
            eigenvalues=bad,
        )

    t0 = time.perf_counter()
    beta_min = math.sqrt(max(1.0 - (mu1 * rho) ** 2, 1e-300))
    w, wt = _frequency_rule(np.array([1j * beta_min, 1j, 1j * res_s.rate]))
    sr = np.asarray(res_s.spectrum(w), dtype=float).reshape(w.shape)
    seconds["transforms"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    Z = lam[:, None] * lam.conj()[None, :]
    n = lam.size
    k_phi = np.zeros((n, n), dtype=np.complex128)
    k_x = np.zeros((n, n), dtype=np.complex128)
    lor = 1.0 / (1.0 + w**2)
    for wf, srf, lf in zip(wt, sr, lor, strict=True):
        a2 = mu1**2 * lf
        q = srf + a2 * sig**2
        g = 1.0 / (1.0 - a2 * Z)  # 1 / (1 - |a|^2 lam_k conj(lam_l))
        k_phi += (wf * q) * g
        k_x += (wf * lf) * (q * Z * g + sig**2)
    k_phi /= np.pi  # (1/pi) int_0^inf = int_{-inf}^{inf} dw / 2 pi (integrands even in w)
    k_x /= np.pi
    c_phi, i1 = basis.assemble(k_phi * basis.W)
    c_x, i2 = basis.assemble(k_x * basis.W)
    c_phi = 0.5 * (c_phi + c_phi.T)
    c_x = 0.5 * (c_x + c_x.T)
    seconds["assembly"] = time.perf_counter() - t0
    return CovariancePrediction(
        c_phi=c_phi,
        c_x=c_x,
        c_xphi=mu1 * c_x,
        method="naive",
        cond_v=basis.cond,
        min_re_alpha=min_re,
        eigenvalues=lam,
        seconds=seconds,
        n_freq=int(w.size),
        imag_residual=max(i1, i2),
        sigma=sig0,
        residual=residual,
        spectra_freqs=np.zeros(0),
        spectra_phi=np.zeros((0, n, n), dtype=np.complex128),
        spectra_x=np.zeros((0, n, n), dtype=np.complex128),
        tau=tau_f,
    )
