r"""Covariance matrices of one network realization from the linear-equivalent theory.

A nonlinear rate network is replaced by a linear network with the same couplings, gain
:math:`\mu_1` and an independent residual noise per unit whose power spectrum
:math:`S_r(\omega)` comes from the DMFT (physics.md section 3; Clark, arXiv 2604.23489). The
functions here take those order parameters as inputs; they do not solve the DMFT.

Residual statistics

- :class:`ResidualStatistics` -- :math:`\mu_1`, :math:`s_r(0)`, the Laplace transform
  :math:`S(\alpha)` and the power spectrum :math:`S_r(\omega)` of the residual; built
  analytically (:meth:`~ResidualStatistics.exponential`, :meth:`~ResidualStatistics.linear`),
  from samples (:meth:`~ResidualStatistics.from_samples`) or from a DMFT solution
  (:meth:`~ResidualStatistics.from_dmft`).

Predictions for one coupling matrix

- :func:`linear_equivalent_covariance` -- equal-time covariances of activities, preactivations
  and their cross-covariance (eigenbasis formula or frequency quadrature).
- :func:`naive_closure_covariance` -- the same quantities under the (wrong) naive Gaussian
  closure, for comparison.
- :class:`CovariancePrediction` -- the result of both.
- :class:`UnstableNetworkError` -- the linear-equivalent network of a realization is unstable.

Spectra and dimension

- :func:`participation_ratio` -- :math:`(\operatorname{tr} C)^2/\operatorname{tr} C^2`.
- :func:`linear_covariance_density` -- large-N eigenvalue density of the long-window
  covariance of a linear i.i.d. network (Hu & Sompolinsky 2022).
- :func:`pr_per_n_iid` -- large-N participation ratio per unit of an i.i.d. network.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from randrnn._typing import ComplexArray, FloatArray
from randrnn._validation import check_array, check_in, check_nonnegative, check_positive

__all__ = [
    "COND_THRESHOLD",
    "CovariancePrediction",
    "ResidualStatistics",
    "UnstableNetworkError",
    "linear_covariance_density",
    "linear_equivalent_covariance",
    "naive_closure_covariance",
    "participation_ratio",
    "pr_per_n_iid",
]

#: ``method="auto"`` uses the eigenbasis formula when the Frobenius condition number of the
#: eigenvector matrix (unit columns) is at most this value. Measured against the quadrature, the
#: eigenbasis result has a relative error of about ``eps * cond`` (3e-13 at cond ~ 1e3), so the
#: threshold keeps it near 1e-8; i.i.d. matrices have cond ~ N**1.5 (6e4 at N = 2000).
COND_THRESHOLD = 1.0e8

#: Gauss-Legendre nodes per panel of the frequency rule (see ``_frequency_rule``).
_GL_NODES = 10

_REFERENCES = ("clark2026", "shen2025")


class UnstableNetworkError(ValueError):
    r"""The linear-equivalent network of a realization is unstable.

    Raised when some eigenvalue :math:`\lambda_k` of ``J`` has
    :math:`\operatorname{Re}(1 - \mu_1\lambda_k) \le 0` (or, for the naive closure,
    :math:`\mu_1 |\lambda_k| \ge 1`). ``eigenvalues`` holds the offending :math:`\lambda_k`.

    Parameters
    ----------
    message : str
        What failed, naming the eigenvalues.
    eigenvalues : array_like
        The offending eigenvalues of ``J``.
    """

    def __init__(self, message: str, *, eigenvalues: ArrayLike) -> None:
        self.eigenvalues = np.asarray(eigenvalues)
        super().__init__(message)


# ---------------------------------------------------------------------------------------------
# residual statistics
# ---------------------------------------------------------------------------------------------


def _phi2(z: ComplexArray) -> ComplexArray:
    """Return ``(exp(-z) - 1 + z) / z**2``, accurate also for small ``|z|``."""
    z = np.asarray(z, dtype=complex)
    out = np.empty_like(z)
    small = np.abs(z) < 0.1
    zs = z[small]
    # Taylor series sum_{m>=0} (-z)^m / (m + 2)!; 10 terms are exact to eps for |z| < 0.1
    acc = np.zeros_like(zs)
    for m in range(9, -1, -1):
        acc = acc * (-zs) + 1.0 / math.factorial(m + 2)
    out[small] = acc
    zb = z[~small]
    out[~small] = (np.exp(-zb) - 1.0 + zb) / zb**2
    return out


def _sinc2(z: ComplexArray) -> ComplexArray:
    """Return ``(sinh(z/2) / (z/2))**2`` with the removable singularity at 0 filled."""
    z = np.asarray(z, dtype=complex)
    half = 0.5 * z
    out = np.ones_like(z)
    nz = np.abs(half) > 1e-8
    out[nz] = (np.sinh(half[nz]) / half[nz]) ** 2
    return out


def _piecewise_linear_laplace(
    alpha: ArrayLike, dt: float, values: FloatArray, tail_rate: float | None
) -> ComplexArray:
    r"""Exact Laplace transform of the piecewise-linear interpolant of ``values`` (+ tail).

    ``values[j]`` is the function at ``t = j dt``; beyond the last lag the function continues as
    ``values[-1] * exp(-tail_rate (t - T))`` if ``tail_rate`` is given, else as zero.
    """
    a = np.asarray(alpha, dtype=complex)
    shape = a.shape
    a = a.ravel()
    m = values.size
    t_end = (m - 1) * dt
    out = np.zeros(a.shape, dtype=complex)
    # chunk over alpha so that the (chunk, m) exponential table stays ~ 32 MB
    chunk = max(1, int(2_000_000 // max(m, 1)))
    t = dt * np.arange(m)
    for s in range(0, a.size, chunk):
        aa = a[s : s + chunk]
        z = aa * dt
        e = np.exp(-np.outer(aa, t))  # (chunk, m)
        # interior hat functions: dt * sinc2(z) * e^{-alpha t_j}
        w = dt * _sinc2(z)[:, None] * e
        # first and last half-hats
        w[:, 0] = dt * _phi2(z)
        w[:, -1] = dt * _phi2(-z) * e[:, -1]
        res = w @ values
        if tail_rate is not None:
            res = res + values[-1] * np.exp(-aa * t_end) / (aa + tail_rate)
        out[s : s + chunk] = res
    return out.reshape(shape)


#: real part used to evaluate a one-sided Laplace transform on the imaginary axis
_SPECTRUM_EPS = 1e-12


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ResidualStatistics:
    r"""Second-order statistics of the residual :math:`r_i = \phi_i - \mu_0 - \mu_1 x_i`.

    The linear-equivalent theory needs the gain :math:`\mu_1 = E[\phi'(x)]` and the residual
    autocovariance :math:`s_r(t) = C(t) - \mu_1^2 \Delta(t)` (physics.md section 3) through

    - ``s_r0`` :math:`= s_r(0)`,
    - ``laplace(alpha)`` :math:`= S(\alpha) = \int_0^\infty s_r(t)\,e^{-\alpha t}\,dt` for complex
      :math:`\alpha` with :math:`\operatorname{Re}\alpha > 0` (vectorised over an array),
    - ``spectrum(w)`` :math:`= S_r(\omega) = \int s_r(t) e^{-i\omega t} dt = 2\operatorname{Re}
      S(i\omega)`, real and even (vectorised).

    Parameters
    ----------
    mu1 : float
        Gain :math:`\mu_1 > 0`.
    s_r0 : float
        Residual variance :math:`s_r(0) \ge 0`.
    laplace : callable
        :math:`S(\alpha)`, complex array in, complex array out.
    spectrum : callable
        :math:`S_r(\omega)`, real array in, real array out.
    rate : float
        Frequency scale of the narrowest feature of :math:`S_r` (for an exponential
        :math:`s_r` its decay rate). The frequency quadrature resolves this scale.
    description : str
        Where the statistics come from (recorded in results).

    Examples
    --------
    >>> res = ResidualStatistics.exponential(amplitude=0.2, rate=0.5, mu1=0.3)
    >>> complex(res.laplace(np.array([1.5 + 0j]))[0])
    (0.1+0j)
    >>> float(res.spectrum(np.array([0.0]))[0])   # 2 A / rate
    0.8
    """

    mu1: float
    s_r0: float
    laplace: Callable[[ComplexArray], ComplexArray] = field(repr=False)
    spectrum: Callable[[FloatArray], FloatArray] = field(repr=False)
    rate: float = 1.0
    description: str = "user"

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "mu1", check_positive("mu1", self.mu1, "The gain E[phi'(x)] must be > 0.")
        )
        object.__setattr__(self, "s_r0", check_nonnegative("s_r0", self.s_r0))
        object.__setattr__(self, "rate", check_positive("rate", self.rate))
        for name in ("laplace", "spectrum"):
            if not callable(getattr(self, name)):
                raise TypeError(
                    f"`{name}` must be callable; got {type(getattr(self, name)).__name__}."
                )

    @classmethod
    def exponential(cls, *, amplitude: float, rate: float, mu1: float) -> ResidualStatistics:
        r"""Residual with :math:`s_r(t) = A e^{-\kappa |t|}` (analytic transforms).

        :math:`S(\alpha) = A/(\alpha + \kappa)`, :math:`S_r(\omega) = 2A\kappa/(\kappa^2 +
        \omega^2)`.

        Parameters
        ----------
        amplitude : float
            :math:`A = s_r(0) \ge 0`.
        rate : float
            Decay rate :math:`\kappa > 0`.
        mu1 : float
            Gain :math:`\mu_1 > 0`.

        Returns
        -------
        ResidualStatistics
            The statistics.
        """
        amp = check_nonnegative("amplitude", amplitude)
        kap = check_positive("rate", rate)

        def laplace(alpha: ComplexArray) -> ComplexArray:
            return amp / (np.asarray(alpha, dtype=complex) + kap)

        def spectrum(w: FloatArray) -> FloatArray:
            w = np.asarray(w, dtype=float)
            return 2.0 * amp * kap / (kap**2 + w**2)

        return cls(
            mu1=mu1,
            s_r0=amp,
            laplace=laplace,
            spectrum=spectrum,
            rate=kap,
            description=f"exponential(amplitude={amp!r}, rate={kap!r})",
        )

    @classmethod
    def linear(cls, *, mu1: float = 1.0) -> ResidualStatistics:
        r"""No residual (:math:`s_r \equiv 0`): a linear network with gain ``mu1``.

        Parameters
        ----------
        mu1 : float
            Gain; 1 for :math:`\phi(x) = x`.

        Returns
        -------
        ResidualStatistics
            The statistics.
        """

        def laplace(alpha: ComplexArray) -> ComplexArray:
            return np.zeros(np.shape(alpha), dtype=complex)

        def spectrum(w: FloatArray) -> FloatArray:
            return np.zeros(np.shape(w), dtype=float)

        return cls(
            mu1=mu1, s_r0=0.0, laplace=laplace, spectrum=spectrum, rate=1.0, description="none"
        )

    @classmethod
    def from_samples(
        cls,
        lags: ArrayLike,
        s_r: ArrayLike,
        mu1: float,
        *,
        tail: Literal["exponential", "none"] = "exponential",
    ) -> ResidualStatistics:
        r"""Build the transforms from :math:`s_r` sampled on a uniform lag grid :math:`t \ge 0`.

        Both transforms integrate the piecewise-linear interpolant of the samples exactly
        (Filon-type weights: each hat function is transformed in closed form), so they are
        consistent with each other: ``spectrum(w) == 2 Re laplace(i w)`` to rounding, and the
        eigenbasis and quadrature predictions agree to their own accuracy. The error with
        respect to the true transform is :math:`O(\Delta t^2\, s_r'')` plus the kink of
        :math:`s_r` at 0 (resolved exactly: the grid starts at the kink).

        Parameters
        ----------
        lags : (m,) array_like
            ``0, dt, 2 dt, ...`` (uniform, starting at 0).
        s_r : (m,) array_like
            Residual autocovariance at ``lags`` (an even function sampled for ``t >= 0``).
        mu1 : float
            Gain.
        tail : {"exponential", "none"}
            Continue beyond the last lag with an exponential fitted to the last tenth of the
            samples (when they decay monotonically with one sign), or with zero.

        Returns
        -------
        ResidualStatistics
            The statistics.
        """
        t = check_array("lags", lags, shape=(None,))
        s = check_array("s_r", s_r, shape=(t.size,))
        check_in("tail", tail, ["exponential", "none"])
        if t.size < 3:
            raise ValueError(f"`lags` must have at least 3 points; got {t.size}.")
        dt = float(t[1] - t[0])
        if t[0] != 0.0 or dt <= 0 or not np.allclose(np.diff(t), dt, rtol=1e-9, atol=0):
            raise ValueError(
                "`lags` must be a uniform grid starting at 0; got "
                f"lags[0]={t[0]!r}, spacings in [{np.diff(t).min()!r}, {np.diff(t).max()!r}]."
            )
        s = s.copy()
        s.setflags(write=False)
        tail_rate: float | None = None
        if tail == "exponential":
            k = max(2, t.size // 10)
            a, b = s[-k - 1], s[-1]
            if a * b > 0 and abs(b) < abs(a):
                tail_rate = math.log(a / b) / (k * dt)
        # inverse correlation time: the frequency scale of S_r
        area = float(np.trapezoid(np.abs(s), t))
        rate = float(s[0] / area) if area > 0 and s[0] > 0 else 1.0 / float(t[-1])

        def laplace(alpha: ComplexArray) -> ComplexArray:
            return _piecewise_linear_laplace(alpha, dt, s, tail_rate)

        def spectrum(w: FloatArray) -> FloatArray:
            w = np.asarray(w, dtype=float)
            return 2.0 * _piecewise_linear_laplace(1j * w, dt, s, tail_rate).real

        return cls(
            mu1=mu1,
            s_r0=float(s[0]),
            laplace=laplace,
            spectrum=spectrum,
            rate=max(rate, 1.0 / float(t[-1])),
            description=f"samples(m={t.size}, dt={dt!r}, tail={tail})",
        )

    @classmethod
    def from_dmft(cls, solution: Any) -> ResidualStatistics:
        r"""Build from a DMFT solution by duck typing.

        Reads ``solution.mu1`` and ``solution.lags``/``solution.s_r`` (uniform, from 0). The
        Laplace transform is ``solution.residual_laplace`` when present (it may include analytic
        tail corrections), otherwise it is computed from the samples; the spectrum is always
        computed from the samples as ``2 Re S(i w)`` of their piecewise-linear interpolant. A
        tabulated ``s_r_hat`` on an FFT grid is deliberately not interpolated: it stops at the
        grid's Nyquist frequency, whose tail the quadrature needs.

        Parameters
        ----------
        solution : object
            With attributes ``mu1``, ``lags``, ``s_r`` and optionally ``residual_laplace``.

        Returns
        -------
        ResidualStatistics
            The statistics.
        """
        missing = [a for a in ("mu1", "lags", "s_r") if not hasattr(solution, a)]
        if missing:
            raise TypeError(
                "`solution` must have attributes mu1, lags and s_r (a DMFT solution); "
                f"got {type(solution).__name__} without {missing}."
            )
        base = cls.from_samples(solution.lags, solution.s_r, float(solution.mu1))
        laplace = getattr(solution, "residual_laplace", None)
        if laplace is None:
            return base

        def spectrum(w: ArrayLike) -> FloatArray:
            # S_r(w) = 2 Re S(0+ + i w): the same transform as the eigenbasis formula uses, so
            # the two algorithms integrate one and the same residual (the piecewise-linear
            # interpolant of the samples misses the analytic kink and tail corrections)
            w = np.abs(np.asarray(w, dtype=float))
            return 2.0 * np.real(laplace(_SPECTRUM_EPS + 1j * w))

        return cls(
            mu1=base.mu1,
            s_r0=base.s_r0,
            laplace=laplace,
            spectrum=spectrum,
            rate=base.rate,
            description=f"dmft({type(solution).__name__})",
        )


# ---------------------------------------------------------------------------------------------
# result
# ---------------------------------------------------------------------------------------------


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
        The residual statistics used.
    spectra_freqs : (f,) ndarray
        Frequencies at which cross-spectral matrices were requested.
    spectra_phi, spectra_x : (f, n, n) ndarray
        Cross-spectral matrices :math:`C_\phi(\omega)`, :math:`C_x(\omega)` (complex).
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
            "mu1": self.residual.mu1,
            "s_r0": self.residual.s_r0,
            "residual": self.residual.description,
            "references": list(self.references),
            **{f"seconds_{k}": v for k, v in self.seconds.items()},
        }
        return xr.Dataset(data, coords=coords, attrs=attrs)


# ---------------------------------------------------------------------------------------------
# shared machinery
# ---------------------------------------------------------------------------------------------


def _check_inputs(
    J: ArrayLike, residual: ResidualStatistics, sigma: float, tau: Any
) -> tuple[FloatArray, float]:
    Jm = check_array("J", J)
    if Jm.ndim != 2 or Jm.shape[0] != Jm.shape[1] or Jm.shape[0] == 0:
        raise ValueError(f"`J` must be a non-empty square matrix; got shape {Jm.shape}.")
    if not isinstance(residual, ResidualStatistics):
        raise TypeError(
            "`residual` must be a ResidualStatistics (see ResidualStatistics.exponential, "
            f".from_samples, .from_dmft); got {type(residual).__name__}."
        )
    sig = check_nonnegative("sigma", sigma)
    if np.ndim(tau) != 0 or float(tau) != 1.0:
        raise ValueError(
            f"`tau` must be 1 (a scalar); got {tau!r}. Heterogeneous or rescaled time "
            "constants are not supported yet; measure time in units of tau."
        )
    return Jm, sig


def _c(v: complex) -> str:
    return f"{v.real:.6g}{v.imag:+.6g}j"


def _alpha_and_check(lam: ComplexArray, mu1: float) -> tuple[ComplexArray, float]:
    alpha = 1.0 - mu1 * lam
    bad = alpha.real <= 0
    if np.any(bad):
        worst = lam[bad][np.argsort(alpha.real[bad])][:5]
        listed = ", ".join(f"lam={_c(v)} (mu1*lam={_c(mu1 * v)})" for v in worst)
        raise UnstableNetworkError(
            f"`J` must give a stable linear-equivalent network, Re(1 - mu1*lam_k) > 0 for every "
            f"eigenvalue lam_k of J; got {int(bad.sum())} unstable eigenvalue(s) with mu1="
            f"{mu1:.6g}: {listed}. The theory has no stationary state for this realization; "
            "check mu1 and the coupling scale.",
            eigenvalues=lam[bad],
        )
    return alpha, float(alpha.real.min())


class _EigenBasis:
    r"""Real-arithmetic eigenbasis of a real matrix.

    ``numpy.linalg.eig`` returns complex-conjugate eigenpairs adjacent (positive imaginary part
    first). With :math:`V = V_r B`, where :math:`V_r` holds ``Re v, Im v`` for each pair and
    :math:`B` is block diagonal with blocks ``[[1, 1], [i, -i]]``, every congruence
    :math:`V X V^H = V_r (B X B^H) V_r^T` is assembled with real matrix products (4x fewer
    flops than complex ones); the :math:`B` actions are O(n^2).
    """

    def __init__(self, J: FloatArray) -> None:
        lam, V = np.linalg.eig(J)
        self.lam = lam
        n = lam.size
        first = np.flatnonzero(lam.imag > 0)
        if first.size and (
            first[-1] + 1 >= n or not np.array_equal(lam[first + 1], lam[first].conj())
        ):  # pragma: no cover - LAPACK guarantees the pairing for real input
            raise RuntimeError("eigenvalues of a real matrix were not in conjugate pairs")
        self.p = first
        self.q = first + 1
        Vr = V.real.copy()
        Vr[:, self.q] = V[:, self.p].imag
        self.Vr = Vr
        Vr_inv = np.linalg.inv(Vr)
        G = Vr_inv @ Vr_inv.T  # real symmetric
        self.W = self.right_binv_h(self.left_binv(G.astype(complex)))  # V^{-1} V^{-H}
        # ||V||_F = sqrt(n) (unit columns); ||V^{-1}||_F^2 = tr W
        self.cond = float(math.sqrt(n * max(float(np.trace(self.W).real), 0.0)))

    # B and B^{-1} act on pairs of rows/columns (p, q)
    def left_b(self, X: ComplexArray) -> ComplexArray:
        p, q = self.p, self.q
        Y = X.copy()
        Y[p] = X[p] + X[q]
        Y[q] = 1j * (X[p] - X[q])
        return Y

    def right_b_h(self, X: ComplexArray) -> ComplexArray:
        p, q = self.p, self.q
        Y = X.copy()
        Y[:, p] = X[:, p] + X[:, q]
        Y[:, q] = -1j * (X[:, p] - X[:, q])
        return Y

    def left_binv(self, X: ComplexArray) -> ComplexArray:
        p, q = self.p, self.q
        Y = X.copy()
        Y[p] = 0.5 * (X[p] - 1j * X[q])
        Y[q] = 0.5 * (X[p] + 1j * X[q])
        return Y

    def right_binv_h(self, X: ComplexArray) -> ComplexArray:
        p, q = self.p, self.q
        Y = X.copy()
        Y[:, p] = 0.5 * (X[:, p] + 1j * X[:, q])
        Y[:, q] = 0.5 * (X[:, p] - 1j * X[:, q])
        return Y

    def assemble(self, X: ComplexArray) -> tuple[FloatArray, float]:
        """Return ``Re(V X V^H)`` and the relative size of the discarded imaginary part."""
        Y = self.right_b_h(self.left_b(X))
        scale = float(np.abs(Y.real).max()) or 1.0
        imag = float(np.abs(Y.imag).max()) / scale
        Yr = np.ascontiguousarray(Y.real)
        return (self.Vr @ Yr) @ self.Vr.T, imag


def _gauss_legendre(n: int) -> tuple[FloatArray, FloatArray]:
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (x + 1.0), 0.5 * w  # on [0, 1]


def _frequency_rule(poles: ComplexArray, n_gl: int = _GL_NODES) -> tuple[FloatArray, FloatArray]:
    r"""Nodes and weights for :math:`\int_0^\infty f(\omega)\,d\omega`, f analytic near the axis.

    Composite Gauss-Legendre: panels grow from 0 with length ``h = d/2``, where ``d`` is the
    distance from the panel's left end to the nearest pole of ``f`` (``poles``, complex). The
    nearest pole is then at least ``3h/2`` from the panel centre, i.e. outside the Bernstein
    ellipse with parameter :math:`\rho = 3 + \sqrt 8`, so each panel's error is
    :math:`O(\rho^{-2 n_{gl}}) \approx 5\times 10^{-16}` relative to the pole's local weight.
    Beyond :math:`W = 2\max|p|` the tail is mapped with :math:`u = W/\omega` onto two panels
    (all poles then lie at :math:`|u| \ge 2`).
    """
    poles = np.unique(np.round(np.asarray(poles, dtype=complex), 12))
    pr, pi = poles.real, np.abs(poles.imag)
    x0, w0 = _gauss_legendre(n_gl)
    big = max(2.0 * float(np.abs(poles).max()), 1.0)
    nodes: list[FloatArray] = []
    weights: list[FloatArray] = []
    w = 0.0
    while w < big:
        d = float(np.sqrt((pr - w) ** 2 + pi**2).min())
        h = min(0.5 * d, big - w)
        nodes.append(w + h * x0)
        weights.append(h * w0)
        w += h
    for lo, hi in ((0.0, 0.5), (0.5, 1.0)):  # tail: omega = big / u, d omega = big / u^2 du
        u = lo + (hi - lo) * x0
        nodes.append(big / u)
        weights.append((hi - lo) * w0 * big / u**2)
    return np.concatenate(nodes), np.concatenate(weights)


def _resolvents(J: FloatArray, a: ComplexArray) -> ComplexArray:
    """Return ``(I - a_f J)^{-1}`` for a batch of ``a_f`` (LU solves, batched)."""
    n = J.shape[0]
    eye = np.eye(n)
    A = eye[None, :, :] - a[:, None, None] * J[None, :, :]
    return np.linalg.inv(A)


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
        Time constant; only 1 is supported (time in units of tau).
    method : {"auto", "eigen", "quadrature"}
        ``"eigen"``: exact frequency integral in the eigenbasis of ``J``. ``"quadrature"``:
        frequency quadrature with LU solves, robust to ill-conditioned eigenvectors. ``"auto"``:
        eigen if the eigenvector condition number is at most :data:`COND_THRESHOLD`.
    freqs : (f,) array_like
        Frequencies at which to also return the cross-spectral matrices
        :math:`C_\phi(\omega)` and :math:`C_x(\omega)` (empty by default; n^2 f complex memory).

    Returns
    -------
    CovariancePrediction
        ``c_phi``, ``c_x``, ``c_xphi`` and diagnostics.

    Raises
    ------
    UnstableNetworkError
        If :math:`\operatorname{Re}(1 - \mu_1 \lambda_k) \le 0` for an eigenvalue of ``J``.
    ValueError
        For a non-square ``J``, negative ``sigma``, ``tau != 1`` or an unknown ``method``.

    Notes
    -----
    **Model** (physics.md section 3; Clark [1]_, linear-equivalence ansatz of Shen & Hu [2]_).
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

    The :math:`K^\phi` residual part is the formula of physics.md section 3 (verified here
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
    - ``tau = 1``; additive white noise independent across units.
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
    Jm, sig = _check_inputs(J, residual, sigma, tau)
    check_in("method", method, ["auto", "eigen", "quadrature"])
    fr = check_array("freqs", freqs, shape=(None,))
    mu1 = residual.mu1
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
        c_phi, c_x, c_xphi, imag, tt, ta = _eigen_covariances(basis, alpha, residual, sig)
        seconds["transforms"], seconds["assembly"] = tt, ta
    else:
        c_phi, c_x, c_xphi, imag, tt, ta, n_freq = _quadrature_covariances(Jm, alpha, residual, sig)
        seconds["transforms"], seconds["assembly"] = tt, ta

    spectra_phi = np.zeros((0, n, n), dtype=complex)
    spectra_x = np.zeros((0, n, n), dtype=complex)
    if fr.size:
        t0 = time.perf_counter()
        spectra_phi, spectra_x = _spectral_matrices(Jm, residual, sig, fr)
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
    )


def _eigen_covariances(
    basis: _EigenBasis, alpha: ComplexArray, residual: ResidualStatistics, sigma: float
) -> tuple[FloatArray, FloatArray, FloatArray, float, float, float]:
    mu1, s0 = residual.mu1, residual.s_r0
    lam = basis.lam
    t0 = time.perf_counter()
    S = np.asarray(residual.laplace(alpha), dtype=complex).reshape(alpha.shape)
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


def _batch_size(n: int) -> int:
    # keep a batch of complex n x n matrices (and the inverse workspace) near 64 MB
    return max(1, min(64, int(4_000_000 // (n * n))))


def _quadrature_covariances(
    J: FloatArray, alpha: ComplexArray, residual: ResidualStatistics, sigma: float
) -> tuple[FloatArray, FloatArray, FloatArray, float, float, float, int]:
    mu1 = residual.mu1
    n = J.shape[0]
    t0 = time.perf_counter()
    poles = np.concatenate([1j * alpha, [1j, 1j * residual.rate]])
    w, wt = _frequency_rule(poles)
    sr = np.asarray(residual.spectrum(w), dtype=float).reshape(w.shape)
    t_transforms = time.perf_counter() - t0

    t0 = time.perf_counter()
    eye = np.eye(n)
    acc_phi = np.zeros((n, n), dtype=complex)
    acc_x = np.zeros((n, n), dtype=complex)
    acc_xphi = np.zeros((n, n), dtype=complex)
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
    out_phi = np.empty((freqs.size, n, n), dtype=complex)
    out_x = np.empty((freqs.size, n, n), dtype=complex)
    for f in range(freqs.size):
        R = np.linalg.inv(eye - a[f] * J)
        RRh = R @ R.conj().T
        lf = 1.0 / (1.0 + freqs[f] ** 2)
        out_phi[f] = (sr[f] + mu1**2 * sigma**2 * lf) * RRh
        M = R - eye
        out_x[f] = (sr[f] / mu1**2) * (M @ M.conj().T) + sigma**2 * lf * RRh
    return out_phi, out_x


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
    DMFT, and :math:`C_x = (J C_\phi J^T + \sigma^2 I)/(1+\omega^2)` (physics.md section 3).
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
        Time constant; only 1 is supported.

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
    - Diagonal from the mean-field residual spectrum; homogeneous units; ``tau = 1``.
    - Eigenbasis of ``J`` (no fallback for ill-conditioned eigenvectors).

    References
    ----------
    .. [1] D. G. Clark, arXiv:2604.23489 (2026), comparison with the naive closure.

    Examples
    --------
    Without recurrence the closure is exact:

    >>> res = ResidualStatistics.exponential(amplitude=0.1, rate=1.0, mu1=0.5)
    >>> naive = naive_closure_covariance(np.zeros((3, 3)), res, sigma=0.5)
    >>> exact = linear_equivalent_covariance(np.zeros((3, 3)), res, sigma=0.5)
    >>> bool(np.allclose(naive.c_phi, exact.c_phi) and np.allclose(naive.c_x, exact.c_x))
    True
    """
    Jm, sig = _check_inputs(J, residual, sigma, tau)
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
    w, wt = _frequency_rule(np.array([1j * beta_min, 1j, 1j * residual.rate]))
    sr = np.asarray(residual.spectrum(w), dtype=float).reshape(w.shape)
    seconds["transforms"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    Z = lam[:, None] * lam.conj()[None, :]
    n = lam.size
    k_phi = np.zeros((n, n), dtype=complex)
    k_x = np.zeros((n, n), dtype=complex)
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
        sigma=sig,
        residual=residual,
        spectra_freqs=np.zeros(0),
        spectra_phi=np.zeros((0, n, n), dtype=complex),
        spectra_x=np.zeros((0, n, n), dtype=complex),
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
    r"""Large-N participation ratio per unit, PR/N, of an i.i.d. network (physics.md section 4).

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
