r"""Stationary dynamical mean-field theory of the i.i.d. Gaussian rate network.

Solves the self-consistent equation for the population autocovariance of the preactivations
(docs/theory.md section 2; Sompolinsky, Crisanti & Sommers 1988, Eq. (4)),

.. math:: (1 - \partial_t^2)\,\Delta(t) = g^2\,C(\Delta(t); \Delta_0) + \sigma^2\delta(t)
          + \sigma_b^2 ,

on a uniform lag grid with discrete cosine transforms, solved by Newton-Krylov iteration.

- :func:`solve_stationary` -- the solver; returns a :class:`StationarySolution`.
- :class:`FixedPoint` -- solver settings (method, iterations, mixing, lag grid).
- :func:`self_consistency_residual` -- re-measures the residual of a returned solution.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import fft as _fft

from randrnn import _fixedpoint as _solvers
from randrnn import gaussian
from randrnn._typing import ComplexArray, FloatArray
from randrnn._validation import (
    check_array,
    check_in,
    check_positive,
)
from randrnn.dmft._coverage import check_network, iid_gain
from randrnn.dmft._map import (
    _TOL_FLOOR,
    FixedPoint,
    _e1,
    _e2,
    _e3,
    _explain,
    _failed,
    _grid,
    _growth,
    _norm,
    _Problem,
    _solve_from,
    _spec_params,
    _starts,
)
from randrnn.errors import ConvergenceError, RegimeWarning
from randrnn.networks import RateNetwork
from randrnn.nonlinearities import AbstractNonlinearity

_REFERENCES = ("sompolinsky1988", "knoll2004")
#: negative power below -this * max(c_hat) rejects a solution: far above DCT roundoff
#: (~1e-14 relative) and the Chebyshev table error (~1e-14), far below any genuine negativity
_SPECTRUM_RTOL = 1e-8
Regime = Literal["quiescent", "static", "chaotic", "noise-driven", "divergent"]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class StationarySolution:
    r"""Stationary DMFT solution (docs/theory.md section 2).

    All times are in the units of the network (``tau`` included); spectra use
    :math:`F(\omega) = \int f(t) e^{-i\omega t}\,dt`.

    Parameters
    ----------
    lags : (m,) ndarray
        Uniform lag grid, ``lags[0] = 0``.
    delta : (m,) ndarray
        :math:`\Delta(t)`, including the static part :math:`\Delta_\infty`.
    c : (m,) ndarray
        :math:`C(t) = E[\phi(x(s))\phi(x(s+t))]`, including its static part :math:`C_\infty`.
    freqs : (m,) ndarray
        Angular frequencies :math:`\omega_k = \pi k / t_{max}` (``k = 0..m-1``).
    delta_hat, c_hat : (m,) ndarray
        Spectra of the dynamic parts :math:`\Delta - \Delta_\infty`, :math:`C - C_\infty`;
        real and nonnegative. ``delta_hat`` includes the white-noise part
        :math:`\sigma^2/(1+\omega^2)` exactly.
    delta0, delta_inf : float
        :math:`\Delta_0 = \Delta(0)` and the static part :math:`\Delta_\infty`.
    c_inf : float
        :math:`C_\infty = \lim_{t\to\infty} C(t)`.
    mu0, mu1, c0 : float
        :math:`E[\phi]`, :math:`E[\phi']` and :math:`E[\phi^2] = C(0)` over
        :math:`x \sim \mathcal N(0, \Delta_0)`.
    s_r, s_r_hat : (m,) ndarray
        Residual autocorrelation of the linear-equivalent decomposition (docs/theory.md section 3)
        of the *connected* (temporal) parts,
        :math:`s_r(t) = [C(t) - C_\infty] - \mu_1^2\,[\Delta(t) - \Delta_\infty]`, and its
        spectrum. The static parts (per-unit means, quenched) are excluded because the
        covariance of one realization is taken around each unit's own mean; their residual is
        ``s_r_static``. With white noise :math:`s_r` has a kink at 0.
    s_r_static : float
        :math:`C_\infty - \mu_0^2 - \mu_1^2 \Delta_\infty` (0 without static input).
    tau_corr : float
        Correlation time :math:`\int_0^\infty [\Delta(t)-\Delta_\infty]\,dt /
        (\Delta_0 - \Delta_\infty)` (0 if there are no dynamics).
    regime : str
        ``"quiescent"``, ``"static"`` (a fixed point with quenched per-unit values),
        ``"chaotic"``, ``"noise-driven"`` (any state with ``sigma > 0`` and dynamics), or
        ``"divergent"`` (no stationary state: activity of an unbounded :math:`\phi` grows
        without bound; every quantity is then NaN and ``converged`` is False).
    converged : bool
        Whether the residual reached ``tol`` with a nonnegative spectrum.
    n_iter : int
        Iterations (map evaluations), summed over the lag grids tried.
    residual : float
        :math:`\max_t |F[\Delta](t) - \Delta(t)| / \max(\Delta_0, 1)` of the discrete map on the
        returned grid (relative for :math:`\Delta_0 \ge 1`, absolute below).
    tol : float
        Requested tolerance.
    message : str
        Why the iteration stopped.
    seconds : float
        Wall time of the solve.
    spec : RateNetwork
        The network solved.
    solver : FixedPoint
        Settings used.
    references : tuple of str
        Bibliography keys (:func:`randrnn.references.cite`).
    """

    lags: FloatArray
    delta: FloatArray
    c: FloatArray
    freqs: FloatArray
    delta_hat: FloatArray
    c_hat: FloatArray
    delta0: float
    delta_inf: float
    c_inf: float
    mu0: float
    mu1: float
    c0: float
    s_r: FloatArray
    s_r_hat: FloatArray
    s_r_static: float
    tau_corr: float
    regime: str
    converged: bool
    n_iter: int
    residual: float
    tol: float
    message: str
    seconds: float
    spec: RateNetwork
    solver: FixedPoint
    references: tuple[str, ...] = _REFERENCES
    _laplace: dict[str, Any] = field(default_factory=dict, repr=False)

    def residual_laplace(self, alpha: complex | ComplexArray) -> ComplexArray:
        r"""One-sided Laplace transform of the residual autocorrelation.

        .. math:: S(\alpha) = \int_0^\infty s_r(t)\, e^{-\alpha t}\, dt,
                  \qquad \mathrm{Re}\,\alpha > 0 .

        Parameters
        ----------
        alpha : complex or array_like of complex
            Arguments, in the network's units of inverse time.

        Returns
        -------
        ndarray of complex
            :math:`S(\alpha)`, shape of ``alpha``.

        Notes
        -----
        Exact for the trigonometric interpolant of :math:`s_r` on ``[0, t_max]`` (spectrally
        accurate for smooth :math:`s_r`); the white-noise kinks at :math:`t = 0`
        (:math:`|t|` and :math:`|t|^3` terms) are carried by analytic functions with known
        transforms, and the part beyond ``t_max`` by its exponential tail. Used by the
        eigenmode form of the linear-equivalent covariance, docs/theory.md section 3,
        :math:`P(\alpha) = (1-\alpha^2) S(\alpha) + \alpha s_r(0)`.

        **Assumptions and approximations**

        - :math:`s_r` decays exponentially beyond the grid, at the rate of the linearised
          DMFT around :math:`\Delta_\infty`.

        Examples
        --------
        >>> from randrnn import GaussianEnsemble, RateNetwork
        >>> net = RateNetwork(ensemble=GaussianEnsemble(n=100, g=2.0), phi="tanh")
        >>> sol = solve_stationary(net)
        >>> import numpy as np
        >>> t, s = sol.lags, sol.s_r
        >>> direct = np.sum(s * np.exp(-0.5 * t)) * (t[1] - t[0]) - s[0] * (t[1] - t[0]) / 2
        >>> bool(abs(sol.residual_laplace(0.5) - direct) < 1e-5)   # trapezoid is O(dt^2)
        True
        """
        a = np.asarray(alpha, dtype=complex)
        if np.any(a.real <= 0):
            raise ValueError(
                f"`alpha` must have a positive real part; got min Re = {float(a.real.min())!r}."
            )
        lp = self._laplace
        tau = lp["tau"]
        z = a.reshape(-1) * tau  # dimensionless argument
        w = lp["w"]
        coef = lp["coef"]
        big_l = lp["L"]
        sign = lp["sign"]
        out = np.empty(z.shape, dtype=complex)
        # chunk to bound memory: (chunk, m) complex matrix
        chunk = max(1, 2_000_000 // max(len(w), 1))
        for s in range(0, z.size, chunk):
            zz = z[s : s + chunk, None]
            ez = np.exp(-zz * big_l)
            kern = zz * (1.0 - sign[None, :] * ez) / (zz * zz + w[None, :] ** 2)
            out[s : s + chunk] = kern @ coef
        q = 1.0 + z
        e1 = 0.5 / q
        e2 = 0.25 * (1.0 / q + 1.0 / q**2)
        e3 = (3.0 / q + 3.0 / q**2 + 2.0 / q**3) / 16.0
        out += lp["b1"] * e1 + lp["b2"] * e2 + lp["b3"] * e3
        out += lp["tail"] * np.exp(-z * big_l) / (z + lp["k"])
        return (tau * out).reshape(a.shape)

    def spectrum(
        self,
        omega: float | ArrayLike,
        which: Literal["phi", "x", "residual"] = "phi",
    ) -> FloatArray:
        r"""Power spectrum of the dynamic part at any frequency, accurate to solver tolerance.

        ``which="phi"`` gives :math:`\hat C(\omega)`, the spectrum of :math:`C(t) - C_\infty`;
        ``"x"`` gives :math:`\hat\Delta(\omega)`, the spectrum of :math:`\Delta(t) -
        \Delta_\infty` (white-noise part included); ``"residual"`` gives :math:`S_r(\omega)`,
        the spectrum of the connected residual autocorrelation ``s_r`` (docs/theory.md
        sections 2.4, 2.6 and 3.1). At the grid frequencies ``freqs`` (below the last one, the
        Nyquist frequency of the lag grid) the values equal ``c_hat``, ``delta_hat`` and
        ``s_r_hat`` to the solver's residual.

        Parameters
        ----------
        omega : float or array_like
            Angular frequencies in the network's units of inverse time (as ``freqs``); any
            real values (the spectra are even), not only grid frequencies.
        which : {"phi", "x", "residual"}
            Which spectrum.

        Returns
        -------
        ndarray
            Real, nonnegative up to the solver's tolerance; shape of ``omega``.

        Raises
        ------
        ValueError
            For an unknown ``which``, non-finite ``omega``, or a solution without a stationary
            state (regime ``"divergent"``).

        Notes
        -----
        The decomposition is the one :meth:`residual_laplace` and the solver use
        (docs/theory.md section 2.4): a smooth remainder tabulated on the lag grid
        :math:`[0, L]` plus the white-noise kink functions :math:`e^{-|t|}/2`,
        :math:`(1+|t|)e^{-|t|}/4`, :math:`(3+3|t|+t^2)e^{-|t|}/16` with transforms
        :math:`(1+\omega^2)^{-1,-2,-3}`. The remainder's cosine interpolant
        :math:`\sum_k c_k\cos(\omega_k t)` on :math:`[-L, L]` is transformed exactly,

        .. math:: 2\int_0^L \cos(\omega_k t)\cos(\omega t)\,dt
                  = L\,[\operatorname{sinc}((\omega-\omega_k)L) +
                  \operatorname{sinc}((\omega+\omega_k)L)],

        (:math:`\operatorname{sinc} u = \sin u / u`; equal to :math:`L\delta_{jk}` at grid
        frequencies, so grid values are reproduced), and the part beyond :math:`L` is the
        exponential tail of :meth:`residual_laplace`. For a remainder that has decayed at
        :math:`L` (the grid grows until it has, to ``tol``) this is the sinc interpolation of
        a time-limited function, which is exact: no interpolation error between grid
        frequencies, unlike linear interpolation of ``c_hat`` (errors of a few 1e-4 in
        dimensions built from it). Then

        - ``"phi"``: :math:`\hat C = R_C + a_1/(1+\omega^2) + a_2/(1+\omega^2)^2`,
        - ``"x"``: :math:`\hat\Delta = (g^2\hat C + \sigma^2)/(1+\omega^2)` (the DMFT
          equation, docs/theory.md section 2.1),
        - ``"residual"``: the remainder and kink terms of :math:`s_r`, i.e.
          :math:`2\operatorname{Re} S(0^+ + i\omega)` of :meth:`residual_laplace`, evaluated
          without its cancellation at grid frequencies. It equals :math:`\hat C -
          \mu_1^2\hat\Delta` to the solver's residual.

        Time units: with :math:`\tau \ne 1` the spectra are :math:`\tau F(\omega\tau)` of the
        dimensionless solution, as ``c_hat``.

        **Assumptions and approximations**

        - The dynamic part has decayed to the solver tolerance at the end of the grid (what
          the grid adaptation of :func:`solve_stationary` ensures), and decays exponentially
          beyond it.
        - Cost :math:`O(m)` per frequency for a grid of :math:`m` lags.

        Examples
        --------
        >>> from randrnn import GaussianEnsemble, RateNetwork
        >>> net = RateNetwork(ensemble=GaussianEnsemble(n=100, g=0.5), phi="linear", sigma=1.0)
        >>> sol = solve_stationary(net)
        >>> w = np.array([0.0, 0.37, 2.9])       # linear network: sigma^2 / (1 + w^2 - g^2)
        >>> bool(np.allclose(sol.spectrum(w), 1.0 / (1.0 + w**2 - 0.25), rtol=1e-9))
        True
        """
        check_in("which", which, ("phi", "x", "residual"))
        w_in = check_array("omega", omega)
        if self.regime == "divergent" or not self._laplace:
            raise ValueError(
                f"the solution has no stationary state ({self.message}); it has no spectrum."
            )
        lp = self._laplace
        tau = float(lp["tau"])
        w = np.abs(w_in.reshape(-1)) * tau  # dimensionless frequency
        q = 1.0 / (1.0 + w * w)
        if which == "residual":
            out = _cosine_series_transform(lp["coef"], lp["L"], lp["w"], w)
            out += _tail_transform(lp["tail"], lp["k"], lp["L"], w)
            out += lp["b1"] * q + lp["b2"] * q**2 + lp["b3"] * q**3
            return (tau * out).reshape(w_in.shape)
        g2 = iid_gain(self.spec, "StationarySolution.spectrum") ** 2
        s2 = self.spec.sigma**2 / tau
        a1 = lp["b1"] + self.mu1**2 * s2
        a2 = lp["b2"] + self.mu1**2 * g2 * a1
        t = self.lags / tau
        c_rem = (self.c - self.c_inf) - a1 * _e1(t) - a2 * _e2(t)
        coef = _fft.dct(c_rem, type=1) / (t.size - 1)
        coef[0] /= 2.0
        coef[-1] /= 2.0
        out = _cosine_series_transform(coef, lp["L"], lp["w"], w)
        out += _tail_transform(float(c_rem[-1]), lp["k"], lp["L"], w)
        out += a1 * q + a2 * q**2
        if which == "x":
            out = (g2 * out + s2) * q
        return (tau * out).reshape(w_in.shape)

    def to_xarray(self) -> Any:
        """Return the solution as an ``xarray.Dataset`` (dims ``lag`` and ``freq``).

        Returns
        -------
        xarray.Dataset
            Arrays with units in their ``attrs``; scalars and provenance in the Dataset
            ``attrs``.
        """
        import json

        import xarray as xr

        from randrnn._provenance import __version__

        unit_t = "tau"
        ds = xr.Dataset(
            {
                "delta": ("lag", self.delta, {"long_name": "Delta(t), preactivation autocov."}),
                "c": ("lag", self.c, {"long_name": "C(t), activity autocorrelation"}),
                "s_r": ("lag", self.s_r, {"long_name": "residual autocorrelation (connected)"}),
                "delta_hat": (
                    "freq",
                    self.delta_hat,
                    {"long_name": "spectrum of Delta - Delta_inf"},
                ),
                "c_hat": ("freq", self.c_hat, {"long_name": "spectrum of C - C_inf"}),
                "s_r_hat": ("freq", self.s_r_hat, {"long_name": "spectrum of s_r"}),
            },
            coords={
                "lag": ("lag", self.lags, {"units": unit_t}),
                "freq": ("freq", self.freqs, {"units": f"rad / {unit_t}"}),
            },
        )
        ds.attrs.update(
            {
                k: getattr(self, k)
                for k in (
                    "delta0",
                    "delta_inf",
                    "c_inf",
                    "mu0",
                    "mu1",
                    "c0",
                    "s_r_static",
                    "tau_corr",
                    "regime",
                    "n_iter",
                    "residual",
                    "tol",
                    "message",
                    "seconds",
                )
            }
        )
        ds.attrs["converged"] = int(self.converged)
        ds.attrs["spec"] = json.dumps(self.spec.to_config())
        ds.attrs["references"] = list(self.references)
        ds.attrs["randrnn_version"] = __version__
        return ds

    def summary(self) -> dict[str, Any]:
        """Return the scalar order parameters and diagnostics as a plain dict."""
        return {
            "delta0": self.delta0,
            "delta_inf": self.delta_inf,
            "mu0": self.mu0,
            "mu1": self.mu1,
            "c0": self.c0,
            "tau_corr": self.tau_corr,
            "regime": self.regime,
            "converged": self.converged,
            "n_iter": self.n_iter,
            "residual": self.residual,
            "seconds": self.seconds,
        }


def _cosine_series_transform(
    coef: FloatArray, big_l: float, w_grid: FloatArray, w: FloatArray
) -> FloatArray:
    r"""Fourier transform of :math:`\sum_k c_k\cos(\omega_k t)` restricted to :math:`[-L, L]`.

    :math:`\sum_k c_k L[\operatorname{sinc}((\omega-\omega_k)L) +
    \operatorname{sinc}((\omega+\omega_k)L)]`, evaluated in chunks of frequencies so that the
    ``(chunk, m)`` kernel stays near 16 MB; stable at every :math:`\omega` (no 0/0).
    """
    out = np.empty(w.shape)
    step = max(1, 2_000_000 // max(w_grid.size, 1))
    scale = big_l / math.pi  # numpy's sinc(u) is sin(pi u) / (pi u)
    for s in range(0, w.size, step):
        ww = w[s : s + step, None]
        kern = np.sinc((ww - w_grid[None, :]) * scale) + np.sinc((ww + w_grid[None, :]) * scale)
        out[s : s + step] = big_l * (kern @ coef)
    return out


def _tail_transform(amplitude: float, rate: float, big_l: float, w: FloatArray) -> FloatArray:
    r"""Transform of the even continuation :math:`A e^{-k(|t| - L)}` for :math:`|t| > L`.

    :math:`2\operatorname{Re}[A e^{-i\omega L}/(k + i\omega)]`; zero when there is no decay
    rate (the amplitude is then at the tolerance level and has no tail to continue).
    """
    if amplitude == 0.0 or not rate > 0.0:
        return np.zeros(w.shape)
    return 2.0 * np.real(amplitude * np.exp(-1j * w * big_l) / (rate + 1j * w))


def solve_stationary(
    network: RateNetwork,
    *,
    tol: float = 1e-10,
    solver: FixedPoint | None = None,
    on_failure: Literal["raise", "warn", "return"] = "raise",
) -> StationarySolution:
    r"""Solve the stationary DMFT of an i.i.d. Gaussian rate network.

    Finds the self-consistent autocovariance :math:`\Delta(t)` of the preactivations of a
    large random network with couplings :math:`J_{ij}\sim\mathcal N(0, g^2/N)`, white noise of
    amplitude :math:`\sigma` and i.i.d. static input of standard deviation :math:`\sigma_b`
    (docs/theory.md sections 1-2). Covers the quiescent fixed point, static (input-driven) fixed
    points, chaos and noise-driven fluctuations, for any nonlinearity.

    Parameters
    ----------
    network : RateNetwork
        Spec with one population of i.i.d. zero-mean couplings (read from
        ``network.ensemble.statistics()``: a :class:`~randrnn.ensembles.GaussianEnsemble` with
        ``eta = 0``) and one ``tau`` for all units.
    tol : float
        Tolerance on the residual of the discrete self-consistency map (see
        :attr:`StationarySolution.residual`); at least 3.6e-15 (float64 rounding).
    solver : FixedPoint, optional
        Iteration and grid settings.
    on_failure : {"raise", "warn", "return"}
        What to do if the solver does not converge, finds a negative spectrum, or there is no
        stationary state (regime ``"divergent"``).

    Returns
    -------
    StationarySolution
        Order parameters, autocovariances, spectra and diagnostics.

    Raises
    ------
    TypeError
        If the ensemble is not one population of i.i.d. zero-mean couplings; the message names
        what it has instead (populations, block means, symmetry, low rank, sparseness) and the
        theory that would be needed.
    ValueError
        If ``tau`` differs between units, ``tol`` is below float64 resolution, or an argument
        is invalid.
    ConvergenceError
        With ``on_failure="raise"``: if the residual stays above ``tol`` (from every start),
        the solution has a negative power spectrum, the autocovariance needs lags beyond
        ``solver.t_max_limit`` to decay (said before iterating when it is known in advance),
        or there is no stationary state (unbounded :math:`\phi` with
        :math:`g^2 E[\phi'^2] \ge 1` at large amplitude: ReLU at :math:`g \ge \sqrt 2`,
        linear at :math:`g \ge 1`).

    Warns
    -----
    RegimeWarning
        With ``on_failure="warn"`` for the failures above; when the iteration settles on the
        unstable quiescent state; for a static input vector with a nonzero mean.

    Notes
    -----
    Implements Eq. (4) of [1]_ generalised to noise and static input (docs/theory.md section 2):

    .. math:: (1 - \partial_t^2)\,\Delta(t) = g^2\, C(\Delta(t); \Delta_0)
              + \sigma^2 \delta(t) + \sigma_b^2 ,
              \qquad \hat\Delta(\omega) = \frac{g^2 \hat C(\omega) + \sigma^2}{1+\omega^2}

    with :math:`C(\Delta;\Delta_0) = E[\phi(u)\phi(v)]` for Gaussians of variance
    :math:`\Delta_0` and covariance :math:`\Delta` (:mod:`randrnn.gaussian`, Chebyshev table
    per iterate). The dynamic part lives on :math:`t \in [0, t_{max}]` with an even periodic
    extension, so the operator :math:`(1-\partial_t^2)^{-1}` is a DCT-I multiplier
    (spectrally accurate for smooth :math:`\Delta`). The static part obeys
    :math:`\Delta_\infty = g^2 C(\Delta_\infty) + \sigma_b^2`. With white noise,
    :math:`\Delta` and :math:`C` have kinks at 0; the :math:`\sigma^2 e^{-|t|}/2` part of
    :math:`\Delta` (whose high-frequency tail :math:`\sigma^2/\pi\omega_{max}` a grid would
    lose) and the :math:`|t|`, :math:`|t|^3` singularities of :math:`C` are carried
    analytically, which leaves an :math:`O(dt^5)` discretisation error. The grid grows until
    the dynamic part at :math:`t_{max}` is below ``tol`` (the correlation time diverges at the
    transition). Iteration: Newton-Krylov [2]_ with the analytic Jacobian
    :math:`g^2 K[C'(\Delta)\,\delta\Delta + \partial_{\Delta_0}C\,\delta\Delta_0]`, a
    preconditioner exact in the tail, and a line search that keeps
    :math:`g^2 C'(\Delta_\infty) < 1` (the side of the singular Jacobian where the physical
    solution lies); a converged solution whose spectrum :math:`\hat C` is negative beyond
    roundoff is rejected.

    Starts, best first: for odd :math:`\phi` with a closed-form antiderivative above the
    transition, the noise-free classical-particle solution (:func:`solve_classical`'s energy
    root and equation of motion, with the analytic tail :math:`e^{-kt}`,
    :math:`k = \sqrt{1 - g^2 E[\phi']^2}`) on a grid as long as that tail needs: exact up to
    discretisation without noise, and close with weak noise. Near :math:`g = 1` the width of
    :math:`\Delta(t)` grows like :math:`1/(g-1)` and a generic start on a short grid is far
    from the solution, which is where Newton's method used to fail. Otherwise, or if that
    start fails, a generic :math:`\mathrm{sech}^2` profile, then the same on a grid eight
    times longer. Grids grow by the analytic tail rate :math:`\sqrt{1 - g^2
    C'(\Delta_\infty)}`.

    **Assumptions and approximations**

    - Self-averaging over :math:`J`; i.i.d. zero-mean couplings (``TypeError`` otherwise).
    - One time constant (``ValueError`` for per-unit ``tau``; ``tau`` rescales time).
    - :math:`N \to \infty`: ``ensemble.n`` and ``allow_self_coupling`` (an :math:`O(1/N)`
      change of each unit's input) do not enter the solution.
    - A stationary state exists: for unbounded :math:`\phi` (``phi.is_bounded`` False) this
      needs :math:`g^2 E[\phi'^2] < 1` at large amplitude (regime ``"divergent"``
      otherwise).
    - Static input zero-mean i.i.d. (``RegimeWarning`` for a vector with a clear mean).
    - Residual measured for the discrete map; the lag-grid discretisation error is
      spectrally small without noise and :math:`O(dt^5)` with noise.

    References
    ----------
    .. [1] Sompolinsky, Crisanti & Sommers (1988), Phys. Rev. Lett. 61, 259, Eq. (4).
    .. [2] Knoll & Keyes (2004), J. Comput. Phys. 193, 357 (Newton-Krylov methods).

    Examples
    --------
    >>> from randrnn import GaussianEnsemble, RateNetwork
    >>> sol = solve_stationary(RateNetwork(ensemble=GaussianEnsemble(n=1000, g=0.5)))
    >>> bool(sol.delta0 < 1e-12), sol.regime   # below the transition: quiescent
    (True, 'quiescent')
    >>> sol = solve_stationary(RateNetwork(ensemble=GaussianEnsemble(n=1000, g=2.0)))
    >>> sol.regime, bool(sol.residual <= 1e-10), round(sol.delta0, 4)
    ('chaotic', True, 1.9248)
    """
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    network = check_network(network, "solve_stationary")
    tol = check_positive("tol", tol)
    if tol < _TOL_FLOOR:
        raise ValueError(
            f"`tol` must be >= {_TOL_FLOOR:.1e} for solve_stationary; got {tol!r}. The residual "
            "is measured in float64 relative to max(Delta0, 1) and rounding leaves about 1e-15 "
            "of it, so a smaller tolerance is below what float64 can reach. Use tol >= 1e-14."
        )
    solver = FixedPoint() if solver is None else solver
    if not isinstance(solver, FixedPoint):
        raise TypeError(f"`solver` must be a FixedPoint; got {type(solver).__name__}.")
    check_in("on_failure", on_failure, ("raise", "warn", "return"))
    g, s2, sb2, tau = _spec_params(network)
    phi: AbstractNonlinearity = network.phi  # type: ignore[assignment]
    dt = solver.dt / tau
    t_max = (40.0 if solver.t_max is None else solver.t_max) / tau
    limit = max(solver.t_max_limit / tau, t_max)
    growth = _growth(phi, g)
    if growth >= 1.0:
        prob = _grid(phi, g, s2, sb2, dt, t_max)
        u = np.full(prob.m + 1, np.nan)
        it = _solvers.IterationResult(
            u,
            u,
            0,
            math.inf,
            False,
            f"g^2 E[phi'^2] = {growth:.3g} >= 1 at large amplitude for "
            f"the unbounded {phi.name} (g = {g:g}); activity grows without bound",
        )
        sol = _assemble(network, prob, u, it, 0, tol, solver, tau, g, start, divergent=True)
        return _on_failure(sol, on_failure)
    with threadpool_limits(limits=1, user_api="blas"):
        n_iter = 0
        tried: list[str] = []
        for prob, u, needed in _starts(
            phi,
            g,
            s2,
            sb2,
            dt=dt,
            t_max=t_max,
            limit=limit,
            tol=tol,
            classical_start=solver.classical_start,
        ):
            if needed > limit:
                it = _solvers.IterationResult(
                    u,
                    u,
                    0,
                    math.inf,
                    False,
                    f"the autocovariance decays too slowly near the transition: it needs lags "
                    f"up to {tau * needed:.4g} to fall below tol, beyond t_max_limit="
                    f"{solver.t_max_limit!r}; raise FixedPoint(t_max_limit=...) or loosen tol",
                )
                break
            prob, u, it, n = _solve_from(solver, prob, u, tol, limit)
            n_iter += n
            if it.converged or solver.method != "newton" or n >= solver.max_iter:
                break  # converged, or another method, or the evaluation budget is spent
            tried.append(it.message)
        if not it.converged and len(tried) > 1:
            it = _failed(it, f"{it.message} (from {len(tried)} starts: {'; '.join(tried)})")
        sol = _assemble(network, prob, u, _explain(it, tol), n_iter, tol, solver, tau, g, start)
    if not sol.converged:
        return _on_failure(sol, on_failure)
    slope0 = abs(float(np.asarray(phi.derivative(np.zeros(1)))[0]))
    if sol.regime == "quiescent" and s2 == 0 and slope0 * g > 1.0:
        warnings.warn(
            "the iteration settled on the quiescent solution, which is unstable for "
            f"g |phi'(0)| = {g * slope0:.3g} > 1; the chaotic solution was not found.",
            RegimeWarning,
            stacklevel=2,
        )
    return sol


def _on_failure(sol: StationarySolution, on_failure: str) -> StationarySolution:
    what = (
        "there is no stationary state"
        if sol.regime == "divergent"
        else "stationary DMFT did not converge"
    )
    if on_failure == "raise":
        raise ConvergenceError(
            f"{what}: {sol.message}", n_iter=sol.n_iter, residual=sol.residual, tol=sol.tol
        )
    if on_failure == "warn":
        warnings.warn(
            f"{what}: {sol.message} (iterations={sol.n_iter}, residual={sol.residual:.3e}, "
            f"tol={sol.tol:.1e})",
            RegimeWarning,
            stacklevel=3,
        )
    return sol


def _assemble(
    network: RateNetwork,
    prob: _Problem,
    u: FloatArray,
    it: _solvers.IterationResult,
    n_iter: int,
    tol: float,
    solver: FixedPoint,
    tau: float,
    g: float,
    start: float,
    *,
    divergent: bool = False,
) -> StationarySolution:
    if divergent:
        return _divergent(network, prob, it, tol, solver, tau, start)
    p = prob.pieces(u)
    d = u[:-1]
    dinf = float(u[-1])
    delta0 = p["d0"]
    phi = prob.phi
    w = prob.w
    t = prob.t
    a1, a2 = p["a1"], p["a2"]
    c_hat = p["c_rem_hat"] + a1 / (1.0 + w**2) + a2 / (1.0 + w**2) ** 2
    d_hat = (prob.g2 * c_hat + prob.s2) / (1.0 + w**2)
    cinf = p["cinf"]
    mu0 = gaussian.mean(phi, delta0)
    mu1 = gaussian.gain(phi, delta0)
    c0 = gaussian.second_moment(phi, delta0)
    cdyn = p["cfull"] - cinf
    s_r = cdyn - mu1**2 * d
    s_r_hat = c_hat - mu1**2 * d_hat
    converged = it.converged
    message = it.message
    cmax = float(np.max(np.abs(c_hat))) if c_hat.size else 0.0
    # relative to the largest power, but never below the rounding of the transforms (a static
    # state has c_hat ~ 1e-14 of both signs)
    neg_tol = max(_SPECTRUM_RTOL * cmax, 1e-12 * max(abs(c0), 1.0))
    if converged and cmax > 0 and float(c_hat.min()) < -neg_tol:
        converged = False
        message = (
            f"rejected: negative power spectrum (min c_hat = {float(c_hat.min()):.3e}, "
            f"max = {cmax:.3e}); not a valid autocorrelation"
        )
    dyn = float(d[0])
    scale = max(delta0, 1.0)
    if dyn <= 1e3 * tol * scale:
        regime: Regime = "quiescent" if delta0 <= 1e3 * tol * scale else "static"
        tau_corr = 0.0
    else:
        regime = "noise-driven" if prob.s2 > 0 else "chaotic"
        tau_corr = tau * float(d_hat[0]) / (2.0 * dyn)
    # data for the Laplace transform of s_r (dimensionless units)
    b1 = a1 - mu1**2 * prob.s2
    b2 = a2 - mu1**2 * prob.g2 * a1
    b3 = -(mu1**2) * prob.g2 * a2
    s_rem = s_r - b1 * _e1(t) - b2 * _e2(t) - b3 * _e3(t)
    m = prob.m
    coef = _fft.dct(s_rem, type=1) / (m - 1)
    coef[0] /= 2.0
    coef[-1] /= 2.0
    k1inf = float(p["kern"].derivative(np.array([min(max(dinf, p["kern"].lo), delta0)]), 1)[0])
    k_tail = math.sqrt(max(1.0 - prob.g2 * k1inf, 0.0))
    lap = {
        "tau": tau,
        "w": w,
        "coef": coef,
        "sign": (-1.0) ** np.arange(m),
        "L": prob.big_l,
        "b1": b1,
        "b2": b2,
        "b3": b3,
        "tail": float(s_rem[-1]),
        "k": k_tail,
    }
    return StationarySolution(
        lags=tau * t,
        delta=d + dinf,
        c=p["cfull"],
        freqs=w / tau,
        delta_hat=tau * d_hat,
        c_hat=tau * c_hat,
        delta0=delta0,
        delta_inf=dinf,
        c_inf=cinf,
        mu0=mu0,
        mu1=mu1,
        c0=c0,
        s_r=s_r,
        s_r_hat=tau * s_r_hat,
        s_r_static=cinf - mu0**2 - mu1**2 * dinf,
        tau_corr=tau_corr,
        regime=regime,
        converged=converged,
        n_iter=n_iter,
        residual=it.residual,
        tol=tol,
        message=message,
        seconds=time.perf_counter() - start,
        spec=network,
        solver=solver,
        _laplace=lap,
    )


def _divergent(
    network: RateNetwork,
    prob: _Problem,
    it: _solvers.IterationResult,
    tol: float,
    solver: FixedPoint,
    tau: float,
    start: float,
) -> StationarySolution:
    """A result that says there is no stationary state: every quantity is NaN."""
    nan = np.full(prob.m, np.nan)
    return StationarySolution(
        lags=tau * prob.t,
        delta=nan,
        c=nan,
        freqs=prob.w / tau,
        delta_hat=nan,
        c_hat=nan,
        delta0=math.nan,
        delta_inf=math.nan,
        c_inf=math.nan,
        mu0=math.nan,
        mu1=math.nan,
        c0=math.nan,
        s_r=nan,
        s_r_hat=nan,
        s_r_static=math.nan,
        tau_corr=math.nan,
        regime="divergent",
        converged=False,
        n_iter=it.n_iter,
        residual=it.residual,
        tol=tol,
        message=it.message,
        seconds=time.perf_counter() - start,
        spec=network,
        solver=solver,
    )


def self_consistency_residual(solution: StationarySolution) -> float:
    r"""Re-measure the residual of the self-consistency equation on the solution's grid.

    Parameters
    ----------
    solution : StationarySolution
        A result of :func:`solve_stationary`.

    Returns
    -------
    float
        :math:`\max_t |F[\Delta](t) - \Delta(t)| / \max(\Delta_0, 1)`, with the discrete map
        :math:`F` of :func:`solve_stationary` rebuilt from the spec (fresh Gaussian tables).

    Examples
    --------
    >>> from randrnn import GaussianEnsemble, RateNetwork
    >>> sol = solve_stationary(RateNetwork(ensemble=GaussianEnsemble(n=10, g=1.5)), tol=1e-9)
    >>> bool(self_consistency_residual(sol) <= 1e-9)
    True
    """
    g, s2, sb2, tau = _spec_params(solution.spec)
    t = solution.lags / tau
    prob = _Problem(
        phi=solution.spec.phi,  # type: ignore[arg-type]
        g2=g * g,
        s2=s2,
        sb2=sb2,
        dt=float(t[1] - t[0]),
        m=t.size,
    )
    u = np.concatenate([solution.delta - solution.delta_inf, [solution.delta_inf]])
    return _norm(prob(u) - u, u)
