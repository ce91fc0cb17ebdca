"""Spectra and dimension of covariance matrices.

Participation ratio, the Hu-Sompolinsky density, the large-N participation ratio per unit.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from randrnn._typing import FloatArray
from randrnn._validation import check_array, check_nonnegative, check_positive
from randrnn.covariance._common import (
    _frequency_rule,
)

# ---------------------------------------------------------------------------------------------
# spectra and dimension
# ---------------------------------------------------------------------------------------------


def participation_ratio(C: ArrayLike) -> float:
    r"""Participation ratio :math:`(\operatorname{tr} C)^2/\operatorname{tr}(C^2)`.

    Parameters
    ----------
    C : (n, n) array_like
        A symmetric (centred) covariance matrix.

    Returns
    -------
    float
        Between 1 and n for a positive semi-definite ``C``.

    Notes
    -----
    :math:`\operatorname{tr} C^2 = \sum_{ij} C_{ij}^2` for symmetric ``C``, so no
    eigendecomposition is needed (Clark, Abbott & Litwin-Kumar, PRL 131, 118401, 2023).

    Examples
    --------
    >>> participation_ratio(np.diag([1.0, 1.0, 0.0]))
    2.0
    """
    Cm = check_array("C", C)
    if Cm.ndim != 2 or Cm.shape[0] != Cm.shape[1]:
        raise ValueError(f"`C` must be a square matrix; got shape {Cm.shape}.")
    tr2 = float(np.sum(Cm * Cm.T))
    if tr2 <= 0:
        raise ValueError("`C` must be non-zero; got tr(C^2) = 0.")
    return float(np.trace(Cm)) ** 2 / tr2


def linear_covariance_density(g: float, x: ArrayLike, *, sigma: float = 1.0) -> FloatArray:
    r"""Large-N eigenvalue density of the long-window covariance of a linear i.i.d. network.

    For :math:`\dot x = -x + Jx + \sigma\xi` with :math:`J_{ij}\sim\mathcal N(0, g^2/N)`,
    :math:`g < 1`, the covariance of activity integrated over long windows (the zero-frequency
    spectral matrix) is :math:`C = \sigma^2 (I-J)^{-1}(I-J)^{-T}`. This returns the density of
    its eigenvalues, Hu & Sompolinsky [1]_ Eq. (5). It is **not** the density of the
    equal-time (Lyapunov) covariance, for which no closed scalar equation is known.

    Parameters
    ----------
    g : float
        Coupling gain, :math:`0 \le g < 1`.
    x : array_like
        Eigenvalues at which to evaluate the density.
    sigma : float
        Noise amplitude (scales eigenvalues by :math:`\sigma^2`).

    Returns
    -------
    ndarray
        Density (integrates to 1 over its support), same shape as ``x``.

    Notes
    -----
    :math:`C^{-1} = \sigma^{-2}(I-J)^T(I-J)`, whose eigenvalues are the squared singular values
    of the shifted Ginibre matrix :math:`I - J`. Hermitising with
    :math:`H = [[0, I-J],[(I-J)^T, 0]]` and closing the self-energy (Gaussian :math:`J`, large N)
    gives for :math:`m(\eta) = N^{-1}\operatorname{tr}(\eta - (I-J)^T(I-J))^{-1}` the cubic

    .. math:: \eta g^4 m^3 - 2\eta g^2 m^2 + (\eta - 1 + g^2)\, m - 1 = 0,

    and :math:`p_{W}(\mu) = |\operatorname{Im} m(\mu)|/\pi` on the support (where the cubic has
    a complex pair of roots), zero elsewhere. Then :math:`p_C(x) = p_W(\sigma^2/x)\,
    \sigma^2/x^2`. The cubic is solved per point (companion-matrix eigenvalues), which is the
    Cardano closed form evaluated stably. At :math:`g=0` it gives a point mass at
    :math:`\sigma^2`.

    **Assumptions and approximations**

    - N → ∞; i.i.d. Gaussian couplings with zero mean, :math:`g < 1`; linear units; white
      noise of equal variance for all units.
    - Bulk only (no outliers from low-rank structure).

    References
    ----------
    .. [1] Y. Hu & H. Sompolinsky, PLoS Comput. Biol. 18, e1010327 (2022), Eqs. (2), (5).

    Examples
    --------
    >>> from scipy.integrate import quad
    >>> total = quad(lambda v: linear_covariance_density(0.5, v), 0.0, 20.0, limit=200)[0]
    >>> bool(abs(total - 1.0) < 1e-6)
    True
    """
    gg = check_nonnegative("g", g)
    if gg >= 1.0:
        raise ValueError(f"`g` must be < 1 for a stable linear network; got {g!r}.")
    sig = check_positive("sigma", sigma)
    xv = np.asarray(x, dtype=float)
    out = np.zeros(xv.shape)
    pos = xv > 0
    eta = sig**2 / xv[pos]
    if gg == 0.0:
        return out
    c3 = eta * gg**4
    # monic cubic m^3 + b m^2 + c m + d = 0
    b = -2.0 * eta * gg**2 / c3
    c = (eta - 1.0 + gg**2) / c3
    d = -1.0 / c3
    comp = np.zeros((eta.size, 3, 3))
    comp[:, 0, :] = np.stack([-b, -c, -d], axis=-1)
    comp[:, 1, 0] = 1.0
    comp[:, 2, 1] = 1.0
    roots = np.linalg.eigvals(comp)
    p_w = np.abs(roots.imag).max(axis=-1) / np.pi
    out[pos] = p_w * eta / xv[pos]
    return out


def pr_per_n_iid(
    spectrum: Callable[[FloatArray], FloatArray],
    *,
    g: float,
    mu1: float = 1.0,
    rate: float = 1.0,
) -> float:
    r"""Large-N participation ratio per unit, PR/N, of an i.i.d. network (docs/theory.md section 4).

    Parameters
    ----------
    spectrum : callable
        Population power spectrum :math:`\hat C(\omega)` (real, even, vectorised) of the
        quantity whose covariance is measured (activities in the nonlinear network).
    g : float
        Coupling gain.
    mu1 : float
        Gain :math:`\mu_1`; the effective coupling is :math:`g\mu_1 < 1`.
    rate : float
        Frequency scale of the narrowest feature of :math:`\hat C` (used by the quadrature).

    Returns
    -------
    float
        :math:`\mathrm{PR}/N`.

    Notes
    -----
    With :math:`S(\omega) = a(\omega) = \mu_1/(1+i\omega)`,

    .. math:: \frac{\mathrm{PR}}{N} = \frac{\big[\int \hat C(\omega)\,d\omega\big]^2}
              {\iint \hat C(\omega)\hat C(\omega')\,|1 - g^2 S(\omega)\overline{S(\omega')}|^{-2}
              \,d\omega\,d\omega'}.

    It follows from the linear-equivalent form: :math:`C = \int R q R^H d\omega/2\pi` with
    :math:`q = (1 - g^2|a|^2)\hat C`, and for i.i.d. :math:`J` at large N
    :math:`N^{-1}\operatorname{tr}[R R^H R' R'^H] = [(1-g^2|a|^2)(1-g^2|a'|^2)
    |1 - g^2 a\bar a'|^2]^{-1}`; :math:`(\operatorname{tr} C)^2/N` is the squared
    numerator. The double integral uses a tensor composite Gauss-Legendre rule resolving the
    poles of the kernel (distance :math:`1 - g^2\mu_1^2` from the axis) and of
    :math:`\hat C` (:math:`\sqrt{1 - g^2\mu_1^2}` and ``rate``).

    **Assumptions and approximations**

    - N → ∞ (PR/N has :math:`O(1/N)` corrections); i.i.d. Gaussian :math:`J`; linear
      equivalence; ``tau = 1``.

    References
    ----------
    .. [1] D. G. Clark, L. F. Abbott & A. Litwin-Kumar, PRL 131, 118401 (2023).
    .. [2] D. G. Clark, arXiv:2604.23489 (2026).

    Examples
    --------
    Without coupling all units are independent and PR = N:

    >>> round(pr_per_n_iid(lambda w: 1.0 / (1.0 + w**2), g=0.0), 12)
    1.0
    """
    gg = check_nonnegative("g", g)
    m1 = check_positive("mu1", mu1)
    kap = check_positive("rate", rate)
    ge2 = (gg * m1) ** 2
    if ge2 >= 1.0:
        raise ValueError(f"`g * mu1` must be < 1; got g={g!r}, mu1={mu1!r}.")
    if not callable(spectrum):
        raise TypeError(f"`spectrum` must be callable; got {type(spectrum).__name__}.")
    poles = np.array([1j * (1.0 - ge2), 1j * math.sqrt(1.0 - ge2), 1j, 1j * kap])
    w, wt = _frequency_rule(poles)
    # full real line by symmetry: nodes +-w
    wf = np.concatenate([-w[::-1], w])
    wtf = np.concatenate([wt[::-1], wt])
    c = np.asarray(spectrum(wf), dtype=float).reshape(wf.shape)
    s = m1 / (1.0 + 1j * wf)
    kern = 1.0 / np.abs(1.0 - gg**2 * s[:, None] * s.conj()[None, :]) ** 2
    num = float(np.sum(wtf * c)) ** 2
    cw = wtf * c
    den = float(cw @ kern @ cw)
    return num / den
