"""Residual statistics of the linear-equivalent network (docs/theory.md section 3).

Gain, residual autocorrelation, its Laplace transform and its power spectrum.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from randrnn._typing import ComplexArray, FloatArray
from randrnn._validation import check_array, check_in, check_nonnegative, check_positive

# ---------------------------------------------------------------------------------------------
# residual statistics
# ---------------------------------------------------------------------------------------------


def _phi2(z: ComplexArray) -> ComplexArray:
    """Return ``(exp(-z) - 1 + z) / z**2``, accurate also for small ``|z|``."""
    z = np.asarray(z, dtype=np.complex128)
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
    z = np.asarray(z, dtype=np.complex128)
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
    ``values[-1] * exp(-tail_rate (t - T))`` if ``tail_rate`` is given, else as zero. With
    ``values`` of shape ``(m, k)`` (k functions on one grid) the result has shape
    ``alpha.shape + (k,)``.
    """
    a = np.asarray(alpha, dtype=np.complex128)
    shape = a.shape + values.shape[1:]
    a = a.ravel()
    m = values.shape[0]
    t_end = (m - 1) * dt
    out = np.zeros((a.size, *values.shape[1:]), dtype=np.complex128)
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
            res = res + np.multiply.outer(np.exp(-aa * t_end) / (aa + tail_rate), values[-1])
        out[s : s + chunk] = res
    return out.reshape(shape)


#: real part used to evaluate a one-sided Laplace transform on the imaginary axis
_SPECTRUM_EPS = 1e-12


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ResidualStatistics:
    r"""Second-order statistics of the residual :math:`r_i = \phi_i - \mu_0 - \mu_1 x_i`.

    The linear-equivalent theory needs the gain :math:`\mu_1 = E[\phi'(x)]` and the residual
    autocovariance :math:`s_r(t) = C(t) - \mu_1^2 \Delta(t)` (docs/theory.md section 3) through

    - ``s_r0`` :math:`= s_r(0)`,
    - ``laplace(alpha)`` :math:`= S(\alpha) = \int_0^\infty s_r(t)\,e^{-\alpha t}\,dt` for complex
      :math:`\alpha` with :math:`\operatorname{Re}\alpha > 0` (vectorised over an array),
    - ``spectrum(w)`` :math:`= S_r(\omega) = \int s_r(t) e^{-i\omega t} dt = 2\operatorname{Re}
      S(i\omega)`, real and even (vectorised).

    Times and frequencies are in the network's units (``tau`` included), as a DMFT solution of
    the network gives them; the predictions convert to units of ``tau`` with their ``tau``
    argument.

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
            return amp / (np.asarray(alpha, dtype=np.complex128) + kap)

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
            return np.zeros(np.shape(alpha), dtype=np.complex128)

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

        direct = getattr(solution, "spectrum", None)

        def spectrum(w: ArrayLike) -> FloatArray:
            # the solution's own residual spectrum: the same decomposition (smooth remainder,
            # kink terms, tail) as its Laplace transform, so the eigenbasis and quadrature
            # routes integrate one and the same residual; 2 Re S(0+ + i w) is the fallback
            # (it cancels to ~1e-7 relative near the grid frequencies)
            wa = np.abs(np.asarray(w, dtype=float))
            if callable(direct):
                return np.asarray(direct(wa, "residual"), dtype=float)
            return 2.0 * np.real(laplace(_SPECTRUM_EPS + 1j * wa))

        return cls(
            mu1=base.mu1,
            s_r0=base.s_r0,
            laplace=laplace,
            spectrum=spectrum,
            rate=base.rate,
            description=f"dmft({type(solution).__name__})",
        )
