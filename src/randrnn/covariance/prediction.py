"""Equal-time covariances of one realization from the linear-equivalent network.

Two algorithms: the eigenbasis formula and frequency quadrature with LU solves.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from randrnn._typing import ComplexArray, FloatArray
from randrnn._validation import check_array, check_in, check_nonnegative, check_positive, show
from randrnn.covariance._common import (
    _REFERENCES,
    COND_THRESHOLD,
    _alpha_and_check,
    _batch_size,
    _EigenBasis,
    _frequency_rule,
    _resolvents,
)
from randrnn.covariance.residual import ResidualStatistics

# ---------------------------------------------------------------------------------------------
# result
# ---------------------------------------------------------------------------------------------


def _check_coupling(J: ArrayLike) -> FloatArray:
    """Return ``J`` as a non-empty real square float64 array (sparse input is densified)."""
    if hasattr(J, "toarray"):
        J = J.toarray()
    if np.iscomplexobj(J):
        raise TypeError(
            f"`J` must be real; got a complex array (dtype {np.asarray(J).dtype}). The "
            "covariance prediction is for real couplings: pass J.real if the imaginary part is "
            "rounding."
        )
    Jm = check_array("J", J)
    if Jm.ndim != 2 or Jm.shape[0] != Jm.shape[1] or Jm.shape[0] == 0:
        raise ValueError(f"`J` must be a non-empty square matrix; got shape {Jm.shape}.")
    return Jm


def _check_tau(tau: Any) -> float:
    if isinstance(tau, (bool, np.bool_)) or np.ndim(tau) != 0:
        raise ValueError(
            f"`tau` must be one positive number (a scalar time constant); got {show(tau)}. "
            "Per-unit time constants would need per-unit residual statistics, which the "
            "linear-equivalent prediction does not have."
        )
    return check_positive("tau", tau)


def _check_inputs(
    J: ArrayLike, residual: ResidualStatistics, sigma: float, tau: Any
) -> tuple[FloatArray, float, float]:
    Jm = _check_coupling(J)
    if not isinstance(residual, ResidualStatistics):
        raise TypeError(
            "`residual` must be a ResidualStatistics (see ResidualStatistics.exponential, "
            f".from_samples, .from_dmft); got {type(residual).__name__}."
        )
    sig = check_nonnegative("sigma", sigma)
    return Jm, sig, _check_tau(tau)


def _dimensionless(
    residual: ResidualStatistics, sigma: float, tau: float
) -> tuple[ResidualStatistics, float]:
    r"""The residual statistics and noise amplitude of the network in units of ``tau``.

    In time :math:`s = t/\tau` the network :math:`\tau\dot x = -x + J\phi + \sigma\xi(t)`
    reads :math:`dx/ds = -x + J\phi + (\sigma/\sqrt\tau)\,\xi'(s)` (white noise of unit
    intensity in :math:`s`, since :math:`\delta(\tau\,\Delta s) = \delta(\Delta s)/\tau`),
    and the residual autocovariance :math:`s_r(t)` becomes :math:`s_r(\tau s)`, whose Laplace
    transform is :math:`S(\alpha/\tau)/\tau` and power spectrum :math:`S_r(w/\tau)/\tau`.
    Equal-time covariances do not depend on the time unit.
    """
    if tau == 1.0:
        return residual, sigma
    lap, spec = residual.laplace, residual.spectrum

    def laplace(alpha: ComplexArray) -> ComplexArray:
        return (
            np.asarray(lap(np.asarray(alpha, dtype=np.complex128) / tau), dtype=np.complex128) / tau
        )

    def spectrum(w: FloatArray) -> FloatArray:
        return np.asarray(spec(np.asarray(w, dtype=float) / tau), dtype=float) / tau

    scaled = ResidualStatistics(
        mu1=residual.mu1,
        s_r0=residual.s_r0,
        laplace=laplace,
        spectrum=spectrum,
        rate=residual.rate * tau,
        description=f"{residual.description} in units of tau={tau!r}",
    )
    return scaled, sigma / math.sqrt(tau)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class CovariancePrediction:
    r"""Predicted equal-time covariances of one realization (connected parts).

    Parameters
    ----------
    c_phi : (n, n) ndarray
        :math:`\langle \delta\phi\, \delta\phi^T\rangle`.
    c_x : (n, n) ndarray
        :math:`\langle \delta x\, \delta x^T\rangle`.
    c_xphi : (n, n) ndarray
        :math:`\langle \delta x\, \delta\phi^T\rangle` (row: preactivation, column: activity).
    method : str
        ``"eigen"``, ``"quadrature"`` or ``"naive"``.
    cond_v : float
        Frobenius condition number of the eigenvector matrix (NaN if not computed).
    min_re_alpha : float
        :math:`\min_k \operatorname{Re}(1 - \mu_1 \lambda_k)` (distance to instability).
    eigenvalues : (n,) ndarray
        Eigenvalues :math:`\lambda_k` of ``J``.
    seconds : dict
        Wall time per stage: ``eig``, ``transforms``, ``assembly``.
    n_freq : int
        Frequency nodes used (0 for the eigenbasis formula).
    imag_residual : float
        Largest discarded imaginary part relative to the largest entry (a rounding check).
    sigma : float
        White-noise amplitude used.
    residual : ResidualStatistics
        The residual statistics used (in the network's time units).
    spectra_freqs : (f,) ndarray
        Frequencies at which cross-spectral matrices were requested.
    spectra_phi, spectra_x : (f, n, n) ndarray
        Cross-spectral matrices :math:`C_\phi(\omega)`, :math:`C_x(\omega)` (complex).
    tau : float
        Time constant of the network (one for all units).
    references : tuple of str
        Keys of :data:`randrnn.references.REFERENCES`.
    """

    c_phi: FloatArray
    c_x: FloatArray
    c_xphi: FloatArray
    method: str
    cond_v: float
    min_re_alpha: float
    eigenvalues: ComplexArray
    seconds: dict[str, float]
    n_freq: int
    imag_residual: float
    sigma: float
    residual: ResidualStatistics
    spectra_freqs: FloatArray
    spectra_phi: ComplexArray
    spectra_x: ComplexArray
    tau: float = 1.0
    references: tuple[str, ...] = _REFERENCES

    @property
    def n(self) -> int:
        """Number of units."""
        return int(self.c_phi.shape[0])

    def to_xarray(self) -> Any:
        """Return an ``xarray.Dataset`` with dims ``neuron``, ``neuron_j`` (and ``freq``/``eig``).

        Returns
        -------
        xarray.Dataset
            ``c_phi``, ``c_x``, ``c_xphi``, ``eigenvalue_re/im`` and, if requested,
            ``spectrum_phi_re/im`` and ``spectrum_x_re/im``; diagnostics in ``attrs``.
        """
        import xarray as xr

        dims = ("neuron", "neuron_j")
        data: dict[str, Any] = {
            "c_phi": (dims, self.c_phi, {"long_name": "covariance of activities phi"}),
            "c_x": (dims, self.c_x, {"long_name": "covariance of preactivations x"}),
            "c_xphi": (dims, self.c_xphi, {"long_name": "cross-covariance <x phi^T>"}),
            "eigenvalue_re": (("eig",), self.eigenvalues.real),
            "eigenvalue_im": (("eig",), self.eigenvalues.imag),
        }
        coords: dict[str, Any] = {"neuron": np.arange(self.n), "neuron_j": np.arange(self.n)}
        if self.spectra_freqs.size:
            fdims = ("freq", "neuron", "neuron_j")
            coords["freq"] = self.spectra_freqs
            data["spectrum_phi_re"] = (fdims, self.spectra_phi.real)
            data["spectrum_phi_im"] = (fdims, self.spectra_phi.imag)
            data["spectrum_x_re"] = (fdims, self.spectra_x.real)
            data["spectrum_x_im"] = (fdims, self.spectra_x.imag)
        attrs = {
            "method": self.method,
            "cond_v": self.cond_v,
            "min_re_alpha": self.min_re_alpha,
            "n_freq": self.n_freq,
            "imag_residual": self.imag_residual,
            "sigma": self.sigma,
            "tau": self.tau,
            "mu1": self.residual.mu1,
            "s_r0": self.residual.s_r0,
            "residual": self.residual.description,
            "references": list(self.references),
            **{f"seconds_{k}": v for k, v in self.seconds.items()},
        }
        return xr.Dataset(data, coords=coords, attrs=attrs)


# ---------------------------------------------------------------------------------------------
# linear-equivalent prediction
# ---------------------------------------------------------------------------------------------


def linear_equivalent_covariance(
    J: ArrayLike,
    residual: ResidualStatistics,
    *,
    sigma: float = 0.0,
    tau: float = 1.0,
    method: Literal["auto", "eigen", "quadrature"] = "auto",
    freqs: ArrayLike = (),
    backend: Literal["numpy", "jax"] = "numpy",
) -> CovariancePrediction:
    r"""Predict the equal-time covariances of one realization from the linear-equivalent network.

    Each unit's activity is split as :math:`\phi_i = \mu_0 + \mu_1 x_i + r_i` with residuals
    :math:`r_i` that are, to leading order in :math:`1/N`, independent across units with power
    spectrum :math:`S_r(\omega)` and uncorrelated with :math:`x` and the noise. Fluctuations
    then obey a linear network with the couplings ``J`` of this realization, driven by the
    residuals and by the white noise. This function returns the resulting equal-time
    covariances of activities, preactivations and their cross-covariance.

    Parameters
    ----------
    J : (n, n) array_like
        Couplings of the realization (real).
    residual : ResidualStatistics
        Gain and residual statistics (from the DMFT; see :meth:`ResidualStatistics.from_dmft`).
    sigma : float
        White-noise amplitude :math:`\sigma \ge 0`.
    tau : float
        The time constant of every unit, :math:`\tau\dot x = -x + J\phi + \sigma\xi`;
        ``residual`` and ``freqs`` are in the same time units (as
        :meth:`ResidualStatistics.from_dmft` of a DMFT of this network gives them).
    method : {"auto", "eigen", "quadrature"}
        ``"eigen"``: exact frequency integral in the eigenbasis of ``J``. ``"quadrature"``:
        frequency quadrature with LU solves, robust to ill-conditioned eigenvectors. ``"auto"``:
        eigen if the eigenvector condition number is at most :data:`COND_THRESHOLD`.
    freqs : (f,) array_like
        Frequencies at which to also return the cross-spectral matrices
        :math:`C_\phi(\omega)` and :math:`C_x(\omega)` (empty by default; n^2 f complex memory).
    backend : {"numpy", "jax"}
        Where the frequency quadrature runs. ``"jax"`` (``pip install "randrnn[jax]"``): the
        batched LU solves and the sums over the nodes on JAX's default device (CPU or GPU) in
        complex128, with the NumPy route's frequency rule; it always takes the quadrature route
        (``method="auto"`` means ``"quadrature"`` there, and ``method="eigen"`` is refused).
        The eigenvalues of ``J`` (the poles of the rule and the stability check) and the
        requested ``freqs`` spectra are computed by NumPy either way.

    Returns
    -------
    CovariancePrediction
        ``c_phi``, ``c_x``, ``c_xphi`` and diagnostics.

    Raises
    ------
    UnstableNetworkError
        If :math:`\operatorname{Re}(1 - \mu_1 \lambda_k) \le 0` for an eigenvalue of ``J``.
    ValueError
        For a non-square ``J``, negative ``sigma``, a ``tau`` that is not one positive number
        (per-unit time constants are not covered), an unknown ``method`` or ``backend``, or
        ``method="eigen"`` with ``backend="jax"``.
    ImportError
        For ``backend="jax"`` without JAX installed.
    TypeError
        For a complex ``J``, or ``residual`` that is not a :class:`ResidualStatistics`.

    Notes
    -----
    **Model** (docs/theory.md section 3; Clark [1]_, linear-equivalence ansatz of Shen & Hu [2]_).
    With :math:`a(\omega) = \mu_1/(1+i\omega)` and :math:`R(\omega) = (I - aJ)^{-1}`, Fourier
    transforming :math:`\dot x = -x + J\phi + \sigma\xi` and inserting
    :math:`\phi = \mu_1 x + r` gives :math:`(1 + i\omega - \mu_1 J)\hat x = J\hat r +
    \sigma\hat\xi`, hence (``J`` and ``R`` commute)

    .. math::

        \hat x = \frac{J R\,\hat r + \sigma R\,\hat\xi}{1 + i\omega}, \qquad
        \hat\phi = \mu_1\hat x + \hat r = R\,\hat r + a\sigma R\,\hat\xi

    using :math:`I + aJR = R`. With :math:`\langle\hat r\hat r^H\rangle \propto S_r I` and
    :math:`\langle\hat\xi\hat\xi^H\rangle \propto I` the spectral matrices are

    .. math::

        C_\phi(\omega) &= R\,[S_r + |a|^2\sigma^2]\,R^H, \\
        C_x(\omega) &= \frac{J R S_r R^H J^T + \sigma^2 R R^H}{1+\omega^2}, \\
        C_{x\phi}(\omega) &= \langle\hat x\hat\phi^H\rangle
            = \frac{J R S_r R^H + \sigma^2 \bar a\, R R^H}{1 + i\omega}
            = \mu_1 C_x(\omega) + \frac{S_r\, J R}{1 + i\omega},

    and each equal-time covariance is :math:`\int d\omega/2\pi` of its spectrum
    (:math:`C(-\omega) = \overline{C(\omega)}`, so the result is real).

    **Eigenbasis formula** (``method="eigen"``). With :math:`J = V\Lambda V^{-1}`,
    :math:`\alpha_k = 1 - \mu_1\lambda_k` and :math:`a(1+i\omega) = \mu_1`,

    .. math::

        R = V\,\mathrm{diag}\Big(\frac{1+i\omega}{\alpha_k + i\omega}\Big)V^{-1},\quad
        \frac{JR}{1+i\omega} = V\,\mathrm{diag}\Big(\frac{\lambda_k}{\alpha_k+i\omega}\Big)V^{-1},
        \quad
        \frac{aR}{1} = V\,\mathrm{diag}\Big(\frac{\mu_1}{\alpha_k+i\omega}\Big)V^{-1},

    so every covariance is :math:`V[K \circ (V^{-1}V^{-H})]V^H` with a kernel
    :math:`K_{kl} = \int \frac{d\omega}{2\pi} f(\omega)\,/\,[(\alpha_k + i\omega)(\beta_l -
    i\omega)]`, :math:`\beta_l = \bar\alpha_l`. Writing :math:`S(\alpha) = \int_0^\infty s_r(t)
    e^{-\alpha t}dt` and using :math:`\int\frac{d\omega}{2\pi}\frac{S_r(\omega)}{\alpha+i\omega}
    = S(\alpha)`, :math:`\int\frac{d\omega}{2\pi}\frac{S_r(\omega)}{\beta - i\omega} = S(\beta)`
    (evenness of :math:`s_r`), :math:`\int \frac{d\omega}{2\pi} S_r = s_r(0)` and the partial
    fractions

    .. math::

        \frac{1+\omega^2}{(\alpha+i\omega)(\beta-i\omega)} &= 1 + \frac{1}{\alpha+\beta}
            \Big[\frac{1-\alpha^2}{\alpha+i\omega} + \frac{1-\beta^2}{\beta-i\omega}\Big], \\
        \frac{1 - i\omega}{(\alpha+i\omega)(\beta-i\omega)} &= \frac{1}{\alpha+\beta}
            \Big[\frac{1+\alpha}{\alpha+i\omega} + \frac{1-\beta}{\beta-i\omega}\Big], \\
        \int\frac{d\omega}{2\pi}\frac{1}{(\alpha+i\omega)(\beta-i\omega)} &=
            \frac{1}{\alpha+\beta},

    (every piece converges absolutely when :math:`s_r` is integrable) the kernels are

    .. math::

        K^{\phi}_{kl} &= \frac{P(\alpha_k) + \overline{P(\alpha_l)} + \mu_1^2\sigma^2}
            {\alpha_k + \bar\alpha_l}, \qquad P(\alpha) = (1-\alpha^2)S(\alpha) +
            \alpha\, s_r(0), \\
        K^{x}_{kl} &= \frac{\lambda_k\bar\lambda_l\,[S(\alpha_k) + \overline{S(\alpha_l)}]
            + \sigma^2}{\alpha_k+\bar\alpha_l}, \\
        K^{x\phi}_{kl} &= \frac{\lambda_k\,[(1+\alpha_k)S(\alpha_k) + (1-\bar\alpha_l)
            \overline{S(\alpha_l)}] + \mu_1\sigma^2}{\alpha_k+\bar\alpha_l}.

    The :math:`K^\phi` residual part is the formula of docs/theory.md section 3 (verified here
    numerically against quadrature); :math:`S(\bar\alpha) = \overline{S(\alpha)}` because
    :math:`s_r` is real, so only the n values :math:`S(\alpha_k)` are needed. For real ``J``
    the congruences are assembled in real arithmetic (``_EigenBasis``): cost
    :math:`O(n^3)` once, dominated by ``eig`` and six real matrix products.

    **Frequency quadrature** (``method="quadrature"``): :math:`\frac{1}{\pi}\operatorname{Re}
    \int_0^\infty` of the spectral matrices, with :math:`R(\omega)` from LU solves and the
    identities :math:`JR/(1+i\omega) = (R - I)/\mu_1`, so per node one inverse and one product
    :math:`RR^H` give all three covariances. The nodes are a composite Gauss-Legendre rule
    whose panels shrink near the poles :math:`\omega = i\alpha_k` (Lorentzians of width
    :math:`\operatorname{Re}\alpha_k`), :math:`\omega = i` and :math:`\omega = i\kappa` (the
    residual's ``rate``), with an algebraic map of the tail; its error is far below 1e-10 for
    rational :math:`S_r`.

    **Assumptions and approximations**

    - Linear-equivalence ansatz: residuals of different units uncorrelated (their
      cross-covariances are :math:`O(1/N)` against :math:`O(1/\sqrt N)` for activities), so the
      prediction carries :math:`O(1/N)`-relative errors; it improves with N, slowly when
      :math:`g\mu_1 \to 1` (roughly N must exceed :math:`(1-g\mu_1)^{-2}`).
    - Homogeneous units: one :math:`\mu_1` and one :math:`S_r` for all units; stationarity.
    - One time constant for all units. It only sets the time unit: in :math:`s = t/\tau`
      the network has unit time constant, noise :math:`\sigma/\sqrt\tau` and residual
      :math:`s_r(\tau s)`, so the equal-time covariances are those of the :math:`\tau = 1`
      formulas with these (a linear network with noise then solves
      :math:`(J - I)C + C(J - I)^T + (\sigma^2/\tau) I = 0`).
    - Additive white noise independent across units.
    - Connected covariances only (the static mean :math:`\mu_0` drops out).

    References
    ----------
    .. [1] D. G. Clark, "Linear equivalence of nonlinear recurrent neural networks",
       arXiv:2604.23489 (2026), section on the covariance of one realization.
    .. [2] X. Shen & Y. Hu, "Covariance spectrum in nonlinear recurrent neural networks",
       arXiv:2508.05288 (2025).

    Examples
    --------
    A linear network (:math:`\phi(x) = x`) with white noise solves the Lyapunov equation:

    >>> from scipy.linalg import solve_continuous_lyapunov
    >>> J = np.random.default_rng(0).normal(0, 0.5 / np.sqrt(20), (20, 20))
    >>> pred = linear_equivalent_covariance(J, ResidualStatistics.linear(), sigma=1.0)
    >>> lyap = solve_continuous_lyapunov(J - np.eye(20), -np.eye(20))
    >>> bool(np.allclose(pred.c_x, lyap) and np.allclose(pred.c_phi, lyap)), pred.method
    (True, 'eigen')
    """
    Jm, sig, tau_f = _check_inputs(J, residual, sigma, tau)
    check_in("method", method, ["auto", "eigen", "quadrature"])
    _check_backend(backend, method)
    if backend == "jax":
        method = "quadrature"
    fr = check_array("freqs", freqs, shape=(None,))
    mu1 = residual.mu1
    res_s, sig_s = _dimensionless(residual, sig, tau_f)  # time in units of tau from here on
    n = Jm.shape[0]
    seconds: dict[str, float] = {}

    t0 = time.perf_counter()
    basis: _EigenBasis | None = None
    if method in ("auto", "eigen"):
        basis = _EigenBasis(Jm)
        lam = basis.lam
        cond = basis.cond
    else:
        lam = np.linalg.eigvals(Jm)
        cond = float("nan")
    seconds["eig"] = time.perf_counter() - t0
    alpha, min_re = _alpha_and_check(lam, mu1)
    if method == "auto":
        method_used = "eigen" if cond <= COND_THRESHOLD else "quadrature"
    else:
        method_used = method

    n_freq = 0
    if method_used == "eigen":
        assert basis is not None
        c_phi, c_x, c_xphi, imag, tt, ta = _eigen_covariances(basis, alpha, res_s, sig_s)
        seconds["transforms"], seconds["assembly"] = tt, ta
    else:
        c_phi, c_x, c_xphi, imag, tt, ta, n_freq = _quadrature_covariances(
            Jm, alpha, res_s, sig_s, backend=backend
        )
        seconds["transforms"], seconds["assembly"] = tt, ta

    spectra_phi: ComplexArray = np.zeros((0, n, n), dtype=np.complex128)
    spectra_x: ComplexArray = np.zeros((0, n, n), dtype=np.complex128)
    if fr.size:
        t0 = time.perf_counter()
        # a spectrum in the network's units: C(w) = tau C_s(w tau) (density per unit frequency)
        spectra_phi, spectra_x = _spectral_matrices(Jm, res_s, sig_s, fr * tau_f)
        spectra_phi *= tau_f
        spectra_x *= tau_f
        seconds["spectra"] = time.perf_counter() - t0

    return CovariancePrediction(
        c_phi=c_phi,
        c_x=c_x,
        c_xphi=c_xphi,
        method=method_used,
        cond_v=cond,
        min_re_alpha=min_re,
        eigenvalues=lam,
        seconds=seconds,
        n_freq=n_freq,
        imag_residual=imag,
        sigma=sig,
        residual=residual,
        spectra_freqs=fr,
        spectra_phi=spectra_phi,
        spectra_x=spectra_x,
        tau=tau_f,
    )


def _check_backend(backend: Any, method: str) -> None:
    """``backend`` is known, JAX is importable for ``"jax"``, which takes no ``"eigen"``."""
    check_in(
        "backend",
        backend,
        ["numpy", "jax"],
        "Use 'numpy' (the default) or 'jax' (the quadrature on JAX's default device).",
    )
    if backend != "jax":
        return
    import importlib.util

    if importlib.util.find_spec("jax") is None:
        raise ImportError(
            "`backend` = 'jax' needs JAX, which is not installed. Install it with "
            '`pip install "randrnn[jax]"` (jax[cuda12] for an NVIDIA GPU), or use '
            "`backend` = 'numpy'."
        )
    if method == "eigen":
        raise ValueError(
            "`method` = 'eigen' is not available with `backend` = 'jax' (the JAX backend runs "
            "the frequency quadrature). Use method='quadrature' (or 'auto') with backend='jax', "
            "or backend='numpy' for the eigenbasis formula."
        )


def _eigen_covariances(
    basis: _EigenBasis, alpha: ComplexArray, residual: ResidualStatistics, sigma: float
) -> tuple[FloatArray, FloatArray, FloatArray, float, float, float]:
    mu1, s0 = residual.mu1, residual.s_r0
    lam = basis.lam
    t0 = time.perf_counter()
    S = np.asarray(residual.laplace(alpha), dtype=np.complex128).reshape(alpha.shape)
    t_transforms = time.perf_counter() - t0

    t0 = time.perf_counter()
    W = basis.W
    D = 1.0 / (alpha[:, None] + alpha.conj()[None, :])
    DW = D * W
    P = (1.0 - alpha**2) * S + alpha * s0
    X = (P[:, None] + P.conj()[None, :] + mu1**2 * sigma**2) * DW
    c_phi, i1 = basis.assemble(X)
    X = (lam[:, None] * lam.conj()[None, :]) * (S[:, None] + S.conj()[None, :]) + sigma**2
    X *= DW
    c_x, i2 = basis.assemble(X)
    X = lam[:, None] * (((1.0 + alpha) * S)[:, None] + ((1.0 - alpha.conj()) * S.conj())[None, :])
    X += mu1 * sigma**2
    X *= DW
    c_xphi, i3 = basis.assemble(X)
    t_assembly = time.perf_counter() - t0
    # symmetrise the symmetric ones (removes rounding asymmetry only)
    c_phi = 0.5 * (c_phi + c_phi.T)
    c_x = 0.5 * (c_x + c_x.T)
    return c_phi, c_x, c_xphi, max(i1, i2, i3), t_transforms, t_assembly


def _quadrature_covariances(
    J: FloatArray,
    alpha: ComplexArray,
    residual: ResidualStatistics,
    sigma: float,
    *,
    backend: str = "numpy",
) -> tuple[FloatArray, FloatArray, FloatArray, float, float, float, int]:
    mu1 = residual.mu1
    n = J.shape[0]
    t0 = time.perf_counter()
    poles = np.concatenate([1j * alpha, [1j, 1j * residual.rate]])
    w, wt = _frequency_rule(poles)
    sr = np.asarray(residual.spectrum(w), dtype=float).reshape(w.shape)
    t_transforms = time.perf_counter() - t0

    t0 = time.perf_counter()
    if backend == "jax":
        from randrnn.covariance._jax import quadrature_sums

        a = mu1 / (1.0 + 1j * w)
        lf = 1.0 / (1.0 + w**2)
        coef = np.stack(
            [
                wt * (sr + mu1**2 * sigma**2 * lf),
                wt * sr / mu1**2,
                wt * sigma**2 * lf,
                wt * sr / mu1,
                wt * sigma**2 * mu1 * lf,
            ]
        )
        s_phi, s_x, s_xphi = quadrature_sums(J, a, coef)
        c_phi, c_x, c_xphi = s_phi / np.pi, s_x / np.pi, s_xphi / np.pi
        t_assembly = time.perf_counter() - t0
        c_phi = 0.5 * (c_phi + c_phi.T)
        c_x = 0.5 * (c_x + c_x.T)
        return c_phi, c_x, c_xphi, 0.0, t_transforms, t_assembly, int(w.size)
    eye = np.eye(n)
    acc_phi = np.zeros((n, n), dtype=np.complex128)
    acc_x = np.zeros((n, n), dtype=np.complex128)
    acc_xphi = np.zeros((n, n), dtype=np.complex128)
    a_all = mu1 / (1.0 + 1j * w)
    lor = 1.0 / (1.0 + w**2)
    step = _batch_size(n)
    for s in range(0, w.size, step):
        sl = slice(s, s + step)
        Rb = _resolvents(J, a_all[sl])
        for R, wf, srf, lf in zip(Rb, wt[sl], sr[sl], lor[sl], strict=True):
            RRh = R @ R.conj().T
            Rh = R.conj().T
            # C_phi = (S_r + mu1^2 sigma^2 lor) R R^H
            acc_phi += (wf * (srf + mu1**2 * sigma**2 * lf)) * RRh
            # C_x = S_r (R - I)(R - I)^H / mu1^2 + sigma^2 lor R R^H
            acc_x += (wf * srf / mu1**2) * (RRh - R - Rh + eye) + (wf * sigma**2 * lf) * RRh
            # C_xphi = S_r (R - I) R^H / mu1 + sigma^2 mu1 lor R R^H
            acc_xphi += (wf * srf / mu1) * (RRh - Rh) + (wf * sigma**2 * mu1 * lf) * RRh
    # int_{-inf}^{inf} dw/2pi C(w) = (1/pi) Re int_0^inf C(w) dw
    c_phi = acc_phi.real / np.pi
    c_x = acc_x.real / np.pi
    c_xphi = acc_xphi.real / np.pi
    t_assembly = time.perf_counter() - t0
    c_phi = 0.5 * (c_phi + c_phi.T)
    c_x = 0.5 * (c_x + c_x.T)
    return c_phi, c_x, c_xphi, 0.0, t_transforms, t_assembly, int(w.size)


def _spectral_matrices(
    J: FloatArray, residual: ResidualStatistics, sigma: float, freqs: FloatArray
) -> tuple[ComplexArray, ComplexArray]:
    mu1 = residual.mu1
    n = J.shape[0]
    eye = np.eye(n)
    a = mu1 / (1.0 + 1j * freqs)
    sr = np.asarray(residual.spectrum(freqs), dtype=float).reshape(freqs.shape)
    out_phi = np.empty((freqs.size, n, n), dtype=np.complex128)
    out_x = np.empty((freqs.size, n, n), dtype=np.complex128)
    for f in range(freqs.size):
        R = np.linalg.inv(eye - a[f] * J)
        RRh = R @ R.conj().T
        lf = 1.0 / (1.0 + freqs[f] ** 2)
        out_phi[f] = (sr[f] + mu1**2 * sigma**2 * lf) * RRh
        M = R - eye
        out_x[f] = (sr[f] / mu1**2) * (M @ M.conj().T) + sigma**2 * lf * RRh
    return out_phi, out_x
