r"""Spectra and dimension of covariance matrices (docs/theory.md section 4).

- :func:`participation_ratio` -- :math:`(\operatorname{tr} C)^2/\operatorname{tr} C^2` of a matrix.
- :func:`pr_per_n` -- large-N participation ratio per unit of activities or preactivations of
  an i.i.d. network, from its DMFT solution; :func:`pr_per_n_iid` from a given spectrum.
- :func:`long_window_covariance` -- the zero-frequency (long time window) covariance
  :math:`C(\omega = 0)` of one realization (:class:`LongWindowCovariance`).
- :func:`long_window_spectrum` -- large-N eigenvalue density of that covariance for a linear
  i.i.d. network (Hu & Sompolinsky 2022) with its support, moments and participation ratio
  (:class:`LongWindowSpectrum`); :func:`linear_covariance_density` evaluates the density alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import roots_legendre

from randrnn._typing import ComplexArray, FloatArray
from randrnn._validation import (
    check_array,
    check_in,
    check_integer,
    check_nonnegative,
    check_positive,
)
from randrnn.covariance._common import _alpha_and_check, _frequency_rule
from randrnn.covariance.prediction import _check_coupling, _check_tau
from randrnn.covariance.residual import ResidualStatistics

#: Gauss-Legendre nodes of the density quadrature over the support (see ``long_window_spectrum``)
_DENSITY_NODES = 800

# ---------------------------------------------------------------------------------------------
# participation ratio of a matrix
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
    eigendecomposition is needed (Clark, Abbott & Litwin-Kumar, PRL 131, 118401, 2023;
    docs/theory.md section 4.1).

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


# ---------------------------------------------------------------------------------------------
# large-N participation ratio of an i.i.d. network
# ---------------------------------------------------------------------------------------------


def _full_line_rule(poles: ComplexArray) -> tuple[FloatArray, FloatArray]:
    """Nodes and weights on the whole real line (mirror of the half-line frequency rule)."""
    w, wt = _frequency_rule(poles)
    return np.concatenate([-w[::-1], w]), np.concatenate([wt[::-1], wt])


def _phi_ratio(c: FloatArray, a: ComplexArray, wt: FloatArray, g: float) -> float:
    """PR/N of activities from the spectrum ``c`` at the nodes (docs/theory.md section 4.2)."""
    kern = 1.0 / np.abs(1.0 - g**2 * a[:, None] * a.conj()[None, :]) ** 2
    cw = wt * c
    return float(np.sum(cw)) ** 2 / float(cw @ kern @ cw)


def pr_per_n_iid(
    spectrum: Callable[[FloatArray], FloatArray],
    *,
    g: float,
    mu1: float = 1.0,
    rate: float = 1.0,
) -> float:
    r"""Large-N participation ratio per unit, PR/N, of activities for a given spectrum.

    The activity case of :func:`pr_per_n` for a user-supplied population spectrum
    :math:`\hat C(\omega)` and gain :math:`\mu_1` (docs/theory.md section 4.2). Use
    :func:`pr_per_n` with a DMFT solution: it takes spectrum, gain and scales from it, and also
    gives the PR of preactivations.

    Parameters
    ----------
    spectrum : callable
        Population power spectrum :math:`\hat C(\omega)` (real, even, vectorised) of the
        activities, in units of the time constant.
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

    Raises
    ------
    ValueError
        If :math:`g\mu_1 \ge 1` or an argument is out of range.
    TypeError
        If ``spectrum`` is not callable.

    Notes
    -----
    With :math:`a(\omega) = \mu_1/(1+i\omega)`,

    .. math:: \frac{\mathrm{PR}}{N} = \frac{\big[\int \hat C(\omega)\,d\omega\big]^2}
              {\iint \hat C(\omega)\hat C(\omega')\,|1 - g^2 a(\omega)\overline{a(\omega')}|^{-2}
              \,d\omega\,d\omega'}

    (derivation in :func:`pr_per_n`). The double integral uses a tensor composite
    Gauss-Legendre rule resolving the poles of the kernel (distance :math:`1 - g^2\mu_1^2`
    from the axis) and of :math:`\hat C` (:math:`\sqrt{1 - g^2\mu_1^2}` and ``rate``).

    **Assumptions and approximations**

    - N → ∞ (PR/N has :math:`O(1/N)` corrections); i.i.d. Gaussian :math:`J`; linear
      equivalence; ``tau = 1``; centred covariances.

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
    w, wt = _full_line_rule(np.array([1j * (1.0 - ge2), 1j * math.sqrt(1.0 - ge2), 1j, 1j * kap]))
    c = np.asarray(spectrum(w), dtype=float).reshape(w.shape)
    return _phi_ratio(c, m1 / (1.0 + 1j * w), wt, gg)


def _solution_tau(spec: Any) -> float:
    """The one time constant of a network that the stationary DMFT solved (it checked that
    every unit has the same; a law per population then has zero spread)."""
    tau = spec.tau
    if isinstance(tau, tuple):
        return float(tau[0].mean)
    return float(np.asarray(tau, dtype=float).reshape(-1)[0])


def _iid_dmft(dmft: Any, entry: str, *, fluctuating: bool = True) -> tuple[float, float]:
    """Check a stationary DMFT solution of the i.i.d. network; return ``(g, tau)``.

    ``fluctuating``: also refuse states without fluctuations (their PR is undefined).
    """
    spec: Any = getattr(dmft, "spec", None)
    statistics = getattr(getattr(spec, "ensemble", None), "statistics", None)
    if not callable(getattr(dmft, "spectrum", None)) or statistics is None:
        raise TypeError(
            f"`dmft` must be a stationary DMFT solution of one population of i.i.d. couplings "
            f"(randrnn.solve_stationary) for {entry}; got {type(dmft).__name__}. Dimensions "
            "per population (block ensembles) are not implemented."
        )
    g = statistics().iid_gain()
    if g is None:
        raise TypeError(
            f"{entry} covers one population of i.i.d. zero-mean couplings; got a solution for "
            f"{type(spec.ensemble).__name__} with {statistics().describe_unsupported()}. "
            "Dimensions per population are not implemented."
        )
    if dmft.regime == "divergent" or not dmft.converged:
        raise ValueError(
            f"`dmft` must be a converged solution with a stationary state for {entry}; got "
            f"regime {dmft.regime!r}, which stopped with: {dmft.message}."
        )
    if fluctuating and dmft.regime in ("quiescent", "static"):
        raise ValueError(
            f"`dmft` is in the {dmft.regime} regime: nothing fluctuates, the covariance is zero "
            f"and its participation ratio is undefined ({entry} needs the chaotic or "
            "noise-driven regime)."
        )
    given = spec.b is not None and bool(np.any(np.asarray(spec.b) != 0))
    mu0 = float(dmft.mu0)
    if spec.sigma_b > 0 or given or abs(mu0) > 1e-10 * max(1.0, math.sqrt(abs(dmft.c0))):
        cause = (
            f"static input (sigma_b={spec.sigma_b!r}, b given: {given})"
            if spec.sigma_b > 0 or given
            else f"a nonzero mean rate mu0 = E[phi(x)] = {mu0:.4g} (row sums of J act as static "
            "input)"
        )
        raise ValueError(
            f"{entry} assumes one gain and one residual spectrum for all units; the network has "
            f"{cause}, which gives every unit its own. The per-unit theory is not implemented: "
            "use sigma_b = 0, no input vector and a nonlinearity with E[phi] = 0."
        )
    return float(g), _solution_tau(spec)


def pr_per_n(dmft: Any, which: Literal["phi", "x"] = "phi") -> float:
    r"""Large-N participation ratio per unit, PR/N, of activities or preactivations.

    For the i.i.d. Gaussian network solved by :func:`randrnn.dmft.solve_stationary`, the
    participation ratio :math:`(\operatorname{tr}C)^2/\operatorname{tr}C^2` of the equal-time
    covariance of one realization, divided by N, in the limit N → ∞ (docs/theory.md
    section 4.2). ``which="phi"`` is for activities :math:`\phi(x)`, ``"x"`` for
    preactivations. Covariances are centred (connected): each unit's fluctuations around its
    own mean.

    Parameters
    ----------
    dmft : StationarySolution
        Converged stationary solution of a network of one population of i.i.d. zero-mean
        couplings, chaotic or noise-driven, without static input.
    which : {"phi", "x"}
        Activities or preactivations.

    Returns
    -------
    float
        :math:`\mathrm{PR}/N`, in :math:`(0, 1]`.

    Raises
    ------
    TypeError
        If ``dmft`` is not a single-population stationary DMFT solution (dimensions per
        population are not implemented).
    ValueError
        For an unknown ``which``, a solution that did not converge or has no fluctuations
        (quiescent or static regime), or units with their own gains (static input or a nonzero
        mean rate), which the homogeneous theory does not describe.

    Notes
    -----
    **Activities** (docs/theory.md sections 3.3 and 4.2). In units of :math:`\tau`, with
    :math:`a = \mu_1/(1+i\omega)`, :math:`b = 1/(1+i\omega)` and :math:`R = (I - aJ)^{-1}`,
    the linear-equivalent spectral matrix is :math:`C_\phi(\omega) = q R R^H` with
    :math:`q = S_r + |a|^2\sigma^2 = (1 - u)\hat C`, :math:`u = g^2|a|^2`. The equal-time
    covariance is :math:`\int C(\omega)\,d\omega/2\pi`, so
    :math:`\operatorname{tr}C/N \to \int \hat C\,d\omega/2\pi` and
    :math:`\operatorname{tr}C^2/N \to \iint N^{-1}\operatorname{tr}[C(\omega)C(\omega')]`.
    For i.i.d. :math:`J` at large N only planar pairings of :math:`J` with :math:`J^T`
    survive: for analytic :math:`F_k(J) = \sum_n f_{k,n}J^n`,

    .. math:: N^{-1}\operatorname{tr}[F_1F_2^HF_3F_4^H] = \sum_{k_{12},k_{23},k_{34},k_{41}\ge0}
              f_{1,k_{41}+k_{12}}\,\bar f_{2,k_{12}+k_{23}}\,f_{3,k_{23}+k_{34}}\,
              \bar f_{4,k_{34}+k_{41}}\; g^{2(k_{12}+k_{23}+k_{34}+k_{41})},

    (:math:`k_{ij}` counts the pairings between neighbouring factors). For :math:`R`,
    :math:`f_n = a^n`, the sums are geometric:
    :math:`N^{-1}\operatorname{tr}[RR^HR'R'^H] = [(1-u)(1-u')(1-v)(1-\bar v)]^{-1}` with
    :math:`v = g^2 a\bar a'` (primes at :math:`\omega'`), hence

    .. math:: \frac{\mathrm{PR}_\phi}{N} = \frac{[\int\hat C\,d\omega]^2}
              {\iint \hat C(\omega)\hat C(\omega')\,|1 - v|^{-2}\,d\omega\,d\omega'} .

    **Preactivations.** With :math:`A = R - I = aJR` (coefficients :math:`a^n` for
    :math:`n \ge 1`),
    :math:`C_x(\omega) = S_r AA^H/\mu_1^2 + \sigma^2|b|^2RR^H`. A factor :math:`A` removes
    from the planar sum the terms whose two pairing counts next to it vanish; by
    inclusion-exclusion over the set :math:`\mathcal S` of such factors,
    :math:`N^{-1}\operatorname{tr}[\cdots] = \sum_{\mathcal S}(-1)^{|\mathcal S|}
    \prod_{e\,\cap\,\mathcal S=\emptyset}(1-q_e)^{-1}` over the four edges
    :math:`q_e \in \{u, \bar v, u', v\}`. Collecting the four noise combinations and using the
    DMFT relations :math:`S_r + |a|^2\sigma^2 = (1-u)\hat C` and
    :math:`\hat\Delta = |b|^2(g^2\hat C + \sigma^2)` (docs/theory.md sections 2.1, 3.3), the
    sum reduces exactly to

    .. math:: N^{-1}\operatorname{tr}[C_x(\omega)C_x(\omega')] = \hat\Delta\hat\Delta'
              + |U|^2\hat C\hat C' + 2\mu_1^2\operatorname{Re}(U)\,\hat\Delta\hat\Delta',
              \qquad U = \frac{g^2\,b\,\bar b'}{1 - v},

    (the tests check the reduction against the planar sums to rounding), so

    .. math:: \frac{\mathrm{PR}_x}{N} = \frac{[\int\hat\Delta\,d\omega]^2}
              {\iint [(1 + 2\mu_1^2\operatorname{Re}U)\hat\Delta\hat\Delta'
              + |U|^2\hat C\hat C']\,d\omega\,d\omega'} .

    Without noise both are the two-site cavity results of Clark, Abbott & Litwin-Kumar [1]_
    (continuous time), which the linear-equivalent theory [2]_ reproduces and extends to
    white noise. :math:`\hat C` and :math:`\hat\Delta` come from
    :meth:`~randrnn.dmft.StationarySolution.spectrum` (exact between grid frequencies). The
    double integrals use a tensor composite Gauss-Legendre rule whose panels resolve the
    poles of the kernels (distance :math:`1 - g^2\mu_1^2` from the axis), of the spectra
    (decay rate :math:`\sqrt{1 - g^2\mu_1^2}` of the autocovariance, the inverse correlation
    time) and of the noise terms (distance 1); the result is converged to about 1e-10.

    **Assumptions and approximations**

    - N → ∞: PR/N of a realization has :math:`O(1/N)` corrections plus realization
      fluctuations, both amplified when :math:`g\mu_1 \to 1` (the chaotic state just above
      the transition), where the slowest modes of :math:`J` dominate.
    - Linear equivalence (docs/theory.md section 3.2); i.i.d. Gaussian :math:`J`; one time
      constant (it cancels: PR does not depend on the time unit).
    - Homogeneous units: refused with static input or a nonzero mean rate.

    References
    ----------
    .. [1] D. G. Clark, L. F. Abbott & A. Litwin-Kumar, PRL 131, 118401 (2023).
    .. [2] D. G. Clark, arXiv:2604.23489 (2026).

    Examples
    --------
    >>> from randrnn import GaussianEnsemble, RateNetwork, solve_stationary
    >>> sol = solve_stationary(RateNetwork(ensemble=GaussianEnsemble(n=1000, g=2.0)))
    >>> round(pr_per_n(sol, "phi"), 5), round(pr_per_n(sol, "x"), 5)
    (0.01974, 0.01591)
    """
    check_in("which", which, ("phi", "x"))
    g, tau = _iid_dmft(dmft, "pr_per_n")
    mu1 = float(dmft.mu1)
    ge2 = (g * mu1) ** 2
    if not ge2 < 1.0:  # pragma: no cover - a converged stationary state has g mu1 < 1
        raise ValueError(f"`g * mu1` must be < 1 for a stationary state; got {g * mu1!r}.")
    poles = [1j * (1.0 - ge2), 1j * math.sqrt(1.0 - ge2), 1j]
    if dmft.tau_corr > 0:
        poles.append(1j * tau / float(dmft.tau_corr))
    w, wt = _full_line_rule(np.array(poles))  # dimensionless frequencies w = omega tau
    a = mu1 / (1.0 + 1j * w)
    c = np.asarray(dmft.spectrum(w / tau, "phi"), dtype=float)
    if which == "phi":
        return _phi_ratio(c, a, wt, g)
    d = np.asarray(dmft.spectrum(w / tau, "x"), dtype=float)
    b = 1.0 / (1.0 + 1j * w)
    big_u = g**2 * b[:, None] * b.conj()[None, :] / (1.0 - g**2 * a[:, None] * a.conj()[None, :])
    cw, dw = wt * c, wt * d
    num = float(np.sum(dw)) ** 2
    den = num + float(cw @ (np.abs(big_u) ** 2) @ cw) + 2.0 * mu1**2 * float(dw @ big_u.real @ dw)
    return num / den


# ---------------------------------------------------------------------------------------------
# long-window covariance of a realization
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LongWindowCovariance:
    r"""Zero-frequency (long time window) covariances of one realization.

    :math:`C(\omega=0) = \lim_{T\to\infty} T^{-1}\operatorname{Cov}[\int_0^T y\,dt]` for
    :math:`y = \phi` and :math:`y = x` (connected parts), from the linear-equivalent network
    (docs/theory.md sections 3.3 and 4.3).

    Parameters
    ----------
    c_phi, c_x : (n, n) ndarray
        :math:`C_\phi(0)` and :math:`C_x(0)`, real symmetric.
    mu1 : float
        Gain :math:`\mu_1` used.
    s_r0 : float
        Residual power at zero frequency, :math:`S_r(0) = \int s_r(t)\,dt`, in the network's
        time units.
    sigma : float
        White-noise amplitude used.
    tau : float
        Time constant of the network (the result does not depend on it).
    min_re_alpha : float
        :math:`\min_k\operatorname{Re}(1 - \mu_1\lambda_k)`: distance to instability.
    references : tuple of str
        Bibliography keys (:func:`randrnn.references.cite`).
    """

    c_phi: FloatArray
    c_x: FloatArray
    mu1: float
    s_r0: float
    sigma: float
    tau: float
    min_re_alpha: float
    references: tuple[str, ...] = ("clark2026", "hu2022")

    @property
    def n(self) -> int:
        """Number of units."""
        return int(self.c_phi.shape[0])


def _residual_source(
    residual_or_dmft: Any, sigma: float | None, tau: float | None
) -> tuple[float, float, float, float]:
    """Return ``(mu1, S_r(0), sigma, tau)`` from residual statistics or a DMFT solution."""
    if isinstance(residual_or_dmft, ResidualStatistics):
        res = residual_or_dmft
        sig = 0.0 if sigma is None else check_nonnegative("sigma", sigma)
        tau_f = 1.0 if tau is None else _check_tau(tau)
        s0 = float(np.asarray(res.spectrum(np.zeros(1)), dtype=float).reshape(-1)[0])
        return res.mu1, s0, sig, tau_f
    if not callable(getattr(residual_or_dmft, "spectrum", None)):
        raise TypeError(
            "`residual_or_dmft` must be a ResidualStatistics or a stationary DMFT solution "
            f"(randrnn.solve_stationary); got {type(residual_or_dmft).__name__}."
        )
    dmft = residual_or_dmft
    _, tau_dmft = _iid_dmft(dmft, "long_window_covariance", fluctuating=False)
    spec = dmft.spec
    for name, given, own in (("sigma", sigma, spec.sigma), ("tau", tau, tau_dmft)):
        if given is not None and not math.isclose(float(given), own, rel_tol=1e-12):
            raise ValueError(
                f"`{name}` must match the network of the DMFT solution ({own!r}); got "
                f"{given!r}. Omit it to use the solution's value."
            )
    s0 = float(dmft.spectrum(0.0, "residual"))
    return float(dmft.mu1), s0, float(spec.sigma), tau_dmft


def long_window_covariance(
    J: ArrayLike,
    residual_or_dmft: Any,
    *,
    sigma: float | None = None,
    tau: float | None = None,
) -> LongWindowCovariance:
    r"""Zero-frequency (long time window) covariance of one realization, for phi and for x.

    The covariance of activity summed over long time windows,
    :math:`\lim_{T\to\infty}T^{-1}\operatorname{Cov}[\int_0^T y\,dt] = C_y(\omega = 0)`, the
    matrix whose eigenvalue density Hu & Sompolinsky compute (:func:`long_window_spectrum`).
    Same as ``linear_equivalent_covariance(J, residual, freqs=[0.0])`` (docs/theory.md
    section 3.3) without computing the equal-time covariances.

    Parameters
    ----------
    J : (n, n) array_like
        Couplings of the realization (real).
    residual_or_dmft : ResidualStatistics or StationarySolution
        Gain and residual spectrum (:class:`ResidualStatistics`, in the network's time
        units), or a converged DMFT solution of the network (its residual spectrum at zero
        frequency, noise and time constant are used).
    sigma : float, optional
        White-noise amplitude. Default: the DMFT network's, or 0 with residual statistics.
        With a DMFT solution it must match the solution's network.
    tau : float, optional
        The time constant of every unit. Default: the DMFT network's, or 1. It does not
        change the result (see Notes); with a DMFT solution it must match the solution's.

    Returns
    -------
    LongWindowCovariance
        ``c_phi`` and ``c_x``.

    Raises
    ------
    TypeError
        For a complex ``J``, or ``residual_or_dmft`` of another type (dimensions per
        population are not implemented).
    ValueError
        For a non-square ``J``, negative ``sigma``, a ``sigma`` or ``tau`` that contradicts
        the DMFT solution, or a solution the homogeneous theory does not cover (see
        :func:`pr_per_n`).
    UnstableNetworkError
        If the linear-equivalent network of the realization is unstable
        (:math:`\operatorname{Re}(1 - \mu_1\lambda_k) \le 0`): it has no stationary state.

    Notes
    -----
    At :math:`\omega = 0`, :math:`a = \mu_1` and :math:`R_0 = (I - \mu_1 J)^{-1}`, and the
    spectral matrices of docs/theory.md section 3.3 are

    .. math:: C_\phi(0) = [S_r(0) + \mu_1^2\sigma^2]\,R_0R_0^T, \qquad
              C_x(0) = S_r(0)\,\frac{(R_0 - I)(R_0 - I)^T}{\mu_1^2} + \sigma^2R_0R_0^T .

    A spectrum at zero frequency is a time integral, :math:`\int C(t)\,dt`: with one time
    constant it is the same in any time unit (the :math:`\tau` of the dimensionless formulas
    cancels against the units of :math:`S_r` and :math:`\sigma^2`), which is why ``tau`` does
    not enter. For a linear network (:math:`\mu_1 = 1`, :math:`S_r = 0`) both are
    :math:`\sigma^2(I-J)^{-1}(I-J)^{-T}`, the matrix of Hu & Sompolinsky [2]_.

    **Assumptions and approximations**

    - Those of :func:`~randrnn.covariance.linear_equivalent_covariance`: linear equivalence
      (:math:`O(1/N)`-relative errors, amplified near :math:`g\mu_1 \to 1`), homogeneous units,
      additive white noise, connected covariances.

    References
    ----------
    .. [1] D. G. Clark, arXiv:2604.23489 (2026).
    .. [2] Y. Hu & H. Sompolinsky, PLoS Comput. Biol. 18, e1010327 (2022).

    Examples
    --------
    >>> J = np.random.default_rng(0).normal(0, 0.5 / np.sqrt(30), (30, 30))
    >>> cov = long_window_covariance(J, ResidualStatistics.linear(), sigma=1.0)
    >>> A = np.linalg.inv(np.eye(30) - J)
    >>> bool(np.allclose(cov.c_x, A @ A.T) and np.allclose(cov.c_phi, A @ A.T))
    True
    """
    Jm = _check_coupling(J)
    mu1, s0, sig, tau_f = _residual_source(residual_or_dmft, sigma, tau)
    _, min_re = _alpha_and_check(np.linalg.eigvals(Jm).astype(np.complex128), mu1)
    n = Jm.shape[0]
    eye = np.eye(n)
    R0 = np.linalg.inv(eye - mu1 * Jm)
    RRt = R0 @ R0.T
    M = R0 - eye
    c_phi = (s0 + mu1**2 * sig**2) * RRt
    c_x = (s0 / mu1**2) * (M @ M.T) + sig**2 * RRt
    return LongWindowCovariance(
        c_phi=0.5 * (c_phi + c_phi.T),
        c_x=0.5 * (c_x + c_x.T),
        mu1=mu1,
        s_r0=s0,
        sigma=sig,
        tau=tau_f,
        min_re_alpha=min_re,
    )


# ---------------------------------------------------------------------------------------------
# Hu-Sompolinsky density of the long-window covariance of a linear network
# ---------------------------------------------------------------------------------------------


def _check_linear_gain(g: float) -> float:
    gg = check_nonnegative("g", g)
    if gg >= 1.0:
        raise ValueError(
            f"`g` must be < 1 for a stable linear network; got {g!r}. For g >= 1 the linear "
            "network has no stationary state."
        )
    return gg


def _singular_density(g: float, mu: FloatArray) -> FloatArray:
    r"""Density of the eigenvalues ``mu`` of :math:`(I-J)^T(I-J)` (zero off the support).

    :math:`|\operatorname{Im} m|/\pi` for the complex pair of roots of the cubic
    :math:`\eta g^4m^3 - 2\eta g^2m^2 + (\eta - 1 + g^2)m - 1 = 0` at :math:`\eta = \mu`, by
    Cardano: for the depressed cubic :math:`y^3 + py + q` with :math:`D = (q/2)^2 + (p/3)^3 > 0`
    the pair is :math:`-(S+T)/2 \pm i\frac{\sqrt3}{2}(S - T)`,
    :math:`S, T = \sqrt[3]{-q/2 \pm \sqrt D}`, and
    :math:`S - T = 2\sqrt D/(S^2 + ST + T^2)` has no cancellation near the edges (where
    :math:`D \to 0`); :math:`D \le 0` (three real roots) is outside the support.
    """
    out = np.zeros(mu.shape)
    pos = mu > 0
    eta = mu[pos]
    b = -2.0 / g**2  # monic cubic m^3 + b m^2 + c m + d
    c = (eta - 1.0 + g**2) / (eta * g**4)
    d = -1.0 / (eta * g**4)
    p = c - b * b / 3.0
    q = 2.0 * b**3 / 27.0 - b * c / 3.0 + d
    disc = (0.5 * q) ** 2 + (p / 3.0) ** 3
    inside = disc > 0
    r = np.sqrt(disc[inside])
    s_plus = np.cbrt(-0.5 * q[inside] + r)
    s_minus = np.cbrt(-0.5 * q[inside] - r)
    im = math.sqrt(3.0) * r / (s_plus**2 + s_plus * s_minus + s_minus**2)
    dens = np.zeros(eta.shape)
    dens[inside] = im / np.pi
    out[pos] = dens
    return out


def _singular_edges(g: float) -> tuple[float, float]:
    r"""Edges :math:`\eta_\mp` of the support of the eigenvalues of :math:`(I-J)^T(I-J)`."""
    b = 8.0 + 20.0 * g**2 - g**4
    root = g * (g**2 + 8.0) ** 1.5
    hi = (b + root) / 8.0
    # eta_- eta_+ = (1 - g^2)^3: the product form avoids cancellation as g -> 1
    return (1.0 - g**2) ** 3 / hi, hi


def linear_covariance_density(g: float, x: ArrayLike, *, sigma: float = 1.0) -> FloatArray:
    r"""Large-N eigenvalue density of the long-window covariance of a linear i.i.d. network.

    For :math:`\dot x = -x + Jx + \sigma\xi` with :math:`J_{ij}\sim\mathcal N(0, g^2/N)`,
    :math:`g < 1`, the covariance of activity integrated over long windows (the zero-frequency
    spectral matrix, :func:`long_window_covariance`) is
    :math:`C = \sigma^2 (I-J)^{-1}(I-J)^{-T}`. This returns the density of its eigenvalues,
    Hu & Sompolinsky [1]_ Eq. (5) (docs/theory.md section 4.3). It is **not** the density of
    the equal-time (Lyapunov) covariance, for which no closed scalar equation is known.
    :func:`long_window_spectrum` gives the same density with its support, moments and
    participation ratio.

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
    \sigma^2/x^2`. The cubic is solved per point by Cardano's formula, written so that the
    imaginary part does not cancel near the edges of the support. At :math:`g=0` the spectrum
    is a point mass at :math:`\sigma^2` and the density returned is zero.

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
    gg = _check_linear_gain(g)
    sig = check_positive("sigma", sigma)
    xv = np.asarray(x, dtype=float)
    out = np.zeros(xv.shape)
    if gg == 0.0:
        return out
    pos = xv > 0
    mu = sig**2 / xv[pos]
    out[pos] = _singular_density(gg, mu) * mu / xv[pos]
    return out


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LongWindowSpectrum:
    r"""Large-N eigenvalue spectrum of the long-window covariance of a linear i.i.d. network.

    The matrix :math:`C = \sigma^2(I-J)^{-1}(I-J)^{-T}` (Hu & Sompolinsky 2022;
    docs/theory.md section 4.3).

    Parameters
    ----------
    g, sigma : float
        Coupling gain and noise amplitude.
    support : tuple of float
        ``(lo, hi)``: the eigenvalues lie in ``[lo, hi]`` (computed from the edge condition).
    x : (k,) ndarray
        Eigenvalues on the support, increasing, denser near the edges (quadrature nodes).
    density : (k,) ndarray
        The density :math:`p(x)` at ``x``.
    weights : (k,) ndarray
        Quadrature weights: :math:`\sum_j w_j f(x_j) \approx \int f(x)\,p(x)\,dx` for smooth
        ``f`` (they sum to 1 within the quadrature error).
    mean, second_moment : float
        :math:`\int x\,p(x)\,dx` and :math:`\int x^2 p(x)\,dx` from the density, i.e. the
        large-N limits of :math:`\operatorname{tr}C/N` and :math:`\operatorname{tr}C^2/N`.
    pr_per_n : float
        ``mean**2 / second_moment``: the large-N participation ratio per unit.
    references : tuple of str
        Bibliography keys (:func:`randrnn.references.cite`).
    """

    g: float
    sigma: float
    support: tuple[float, float]
    x: FloatArray
    density: FloatArray
    weights: FloatArray
    mean: float
    second_moment: float
    pr_per_n: float
    references: tuple[str, ...] = ("hu2022",)


def long_window_spectrum(
    g: float, *, sigma: float = 1.0, n_points: int = _DENSITY_NODES
) -> LongWindowSpectrum:
    r"""Eigenvalue density of the long-window covariance of a linear network, with its summary.

    Support, density on a grid, mean, second moment and participation ratio of the large-N
    spectrum of :math:`C = \sigma^2(I-J)^{-1}(I-J)^{-T}`, the zero-frequency covariance of
    :math:`\dot x = -x + Jx + \sigma\xi` with :math:`J_{ij}\sim\mathcal N(0, g^2/N)`
    (Hu & Sompolinsky [1]_; docs/theory.md section 4.3).

    Parameters
    ----------
    g : float
        Coupling gain, :math:`0 < g < 1`.
    sigma : float
        Noise amplitude (eigenvalues scale with :math:`\sigma^2`).
    n_points : int
        Quadrature nodes on the support (at least 20). The moments converge spectrally; the
        default gives relative errors below 1e-10 up to :math:`g = 0.99` (measured against
        the trace identities below); closer to 1 the largest eigenvalues need more.

    Returns
    -------
    LongWindowSpectrum
        ``support``, ``x``, ``density``, ``weights``, ``mean``, ``second_moment``,
        ``pr_per_n``.

    Raises
    ------
    ValueError
        If ``g`` is not in (0, 1) (at ``g = 0`` the spectrum is a point mass at
        :math:`\sigma^2`, without a density), ``sigma <= 0``, or ``n_points < 20``.

    Notes
    -----
    **Support.** The density of :math:`\mu`, the eigenvalues of :math:`(I-J)^T(I-J)`, is
    :math:`|\operatorname{Im}m(\mu)|/\pi` with :math:`m` a root of the cubic of
    :func:`linear_covariance_density`; the edges are where two roots merge, i.e. where the
    discriminant of the cubic in :math:`m` vanishes. As a polynomial in :math:`\eta` its
    cubic terms cancel, leaving :math:`4\eta^2 - (8 + 20g^2 - g^4)\eta + 4(1-g^2)^3 = 0`,

    .. math:: \eta_\pm = \frac{8 + 20g^2 - g^4 \pm g\,(g^2 + 8)^{3/2}}{8},

    and the eigenvalues of :math:`C` fill :math:`[\sigma^2/\eta_+, \sigma^2/\eta_-]`
    (:math:`\eta_- \to 0` as :math:`g \to 1`: the largest eigenvalue diverges).

    **Moments.** With :math:`\mu = \eta_- + (\eta_+ - \eta_-)(1 - \cos\theta)/2` the
    square-root edges turn into :math:`\sin^2\theta` times an analytic function, and
    Gauss-Legendre in :math:`\theta \in [0, \pi]` converges geometrically;
    :math:`x = \sigma^2/\mu`. As :math:`g \to 1` the weight :math:`x^2 = \sigma^4/\mu^2`
    has a pole at distance about :math:`2\sqrt{\eta_-/\eta_+}` from :math:`\theta = 0`,
    where Gauss-Legendre nodes cluster, so the rule still converges there, more slowly. The
    analytic trace identities, from the planar four-resolvent sum at :math:`\omega = 0`
    (:func:`pr_per_n`), are

    .. math:: \int x\,p = \frac{\sigma^2}{1 - g^2}, \qquad
              \int x^2 p = \frac{\sigma^4}{(1 - g^2)^4}, \qquad
              \frac{\mathrm{PR}}{N} = (1 - g^2)^2,

    which the tests check against the quadrature (and the participation ratio against large
    random realizations).

    **Assumptions and approximations**

    - N → ∞: the largest eigenvalues of a realization fluctuate far beyond
      :math:`\sigma^2/\eta_-` when :math:`g \to 1` (the smallest singular value of
      :math:`I - J` is then near zero).
    - i.i.d. Gaussian couplings, linear units, equal white noise.

    References
    ----------
    .. [1] Y. Hu & H. Sompolinsky, PLoS Comput. Biol. 18, e1010327 (2022), Eqs. (2), (5).

    Examples
    --------
    >>> spec = long_window_spectrum(0.8)
    >>> round(spec.pr_per_n, 6), round((1 - 0.8**2) ** 2, 6)
    (0.1296, 0.1296)
    >>> [round(e, 4) for e in spec.support]
    [0.1965, 109.0627]
    """
    gg = _check_linear_gain(g)
    if gg == 0.0:
        raise ValueError(
            "`g` must be > 0 for long_window_spectrum; got 0. Without coupling the spectrum is "
            "a point mass at sigma**2 (every eigenvalue equals sigma**2) and has no density."
        )
    sig = check_positive("sigma", sigma)
    n_pts = check_integer("n_points", n_points)
    if n_pts < 20:
        raise ValueError(
            f"`n_points` must be >= 20; got {n_points!r}. The quadrature over the support "
            "needs at least 20 nodes (the default is 800)."
        )
    lo, hi = _singular_edges(gg)
    t, wt = roots_legendre(n_pts)
    theta = 0.5 * math.pi * (t + 1.0)
    mu = lo + 0.5 * (hi - lo) * (1.0 - np.cos(theta))
    p_mu = _singular_density(gg, mu)
    w_mu = p_mu * 0.5 * (hi - lo) * np.sin(theta) * 0.5 * math.pi * wt  # weights of int dmu
    x = sig**2 / mu
    order = np.argsort(x)
    x, w_mu, p_mu, mu = x[order], w_mu[order], p_mu[order], mu[order]
    mean = float(np.sum(w_mu * x))
    second = float(np.sum(w_mu * x * x))
    return LongWindowSpectrum(
        g=gg,
        sigma=sig,
        support=(sig**2 / hi, sig**2 / lo),
        x=x,
        density=p_mu * mu / x,  # p_C(x) = p_W(sigma^2 / x) sigma^2 / x^2
        weights=w_mu,
        mean=mean,
        second_moment=second,
        pr_per_n=mean**2 / second,
    )
