r"""The classical-particle method of Sompolinsky, Crisanti & Sommers (1988).

For odd :math:`\phi` without noise or static input, the stationary DMFT equation
:math:`\ddot\Delta = \Delta - g^2 C(\Delta)` is Newton's equation of a particle in the
potential :math:`V(\Delta) = -\Delta^2/2 + g^2 F(\Delta)`, with
:math:`F(D) = E[\Phi(u)\Phi(v)]` (:math:`\Phi' = \phi`; variance :math:`\Delta_0`,
covariance :math:`D`). The decaying solution starts at rest at :math:`\Delta_0` and reaches
:math:`0` as :math:`t\to\infty`, so energy conservation :math:`V(\Delta_0) = V(0)` fixes
:math:`\Delta_0` by a one-dimensional root (docs/theory.md section 2). It shares no code with the
FFT solver except the Gaussian expectations, and serves as its independent check.

- :func:`solve_classical` -- :math:`\Delta_0` and :math:`\Delta(t)`; returns a
  :class:`ClassicalSolution`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import integrate, optimize

from randrnn import gaussian
from randrnn._typing import FloatArray
from randrnn._validation import check_positive
from randrnn.dmft._coverage import check_network, iid_gain, scalar_tau
from randrnn.networks import RateNetwork
from randrnn.nonlinearities import AbstractNonlinearity


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ClassicalSolution:
    r"""Result of :func:`solve_classical`.

    Parameters
    ----------
    delta0 : float
        :math:`\Delta_0`, the root of :math:`V(\Delta_0) = V(0)`.
    lags : (m,) ndarray
        Uniform lags (units of ``tau``) on which :math:`\Delta(t)` was integrated.
    delta : (m,) ndarray
        :math:`\Delta(t)` from the equation of motion.
    energy_residual : float
        :math:`|V(\Delta_0) - V(0)| / \Delta_0^2` at the root.
    spec : RateNetwork
        The network.
    references : tuple of str
        Bibliography keys.
    """

    delta0: float
    lags: FloatArray
    delta: FloatArray
    energy_residual: float
    spec: RateNetwork
    references: tuple[str, ...] = ("sompolinsky1988",)

    def to_xarray(self) -> Any:
        """Return the solution as an ``xarray.Dataset`` (dim ``lag``).

        Returns
        -------
        xarray.Dataset
            ``delta`` on ``lag``; ``delta0`` and provenance in ``attrs``.
        """
        import json

        import xarray as xr

        from randrnn._provenance import __version__

        ds = xr.Dataset(
            {"delta": ("lag", self.delta, {"long_name": "Delta(t), classical-particle method"})},
            coords={"lag": ("lag", self.lags, {"units": "tau"})},
        )
        ds.attrs.update(
            {
                "delta0": self.delta0,
                "energy_residual": self.energy_residual,
                "spec": json.dumps(self.spec.to_config()),
                "references": list(self.references),
                "randrnn_version": __version__,
            }
        )
        return ds


def _variance_of_antiderivative(phi: AbstractNonlinearity, var: float) -> float:
    big_phi = phi.antiderivative
    m1 = gaussian.expect(big_phi, var)
    m2 = gaussian.expect(lambda x: np.asarray(big_phi(x)) ** 2, var)
    return m2 - m1 * m1


def energy_root(phi: AbstractNonlinearity, g: float) -> tuple[float, float]:
    r"""Return the root :math:`\Delta_0` of :math:`\Delta_0^2/2 = g^2 \mathrm{Var}[\Phi(x)]`.

    Also returns the relative residual of the energy condition at the root.

    ``phi`` must be odd with a closed-form antiderivative and :math:`g |\phi'(0)| > 1`;
    raises ``ValueError`` when the energy condition has no root below :math:`10^8`.
    """
    g2 = g * g

    def q(d0: float) -> float:
        return 0.5 - g2 * _variance_of_antiderivative(phi, d0) / (d0 * d0)

    lo, hi = 1e-3, 1.0
    while q(lo) >= 0 and lo > 1e-12:
        lo *= 0.1
    if q(lo) >= 0:
        raise ValueError(f"no root of the energy condition above Delta0 = 1e-12 for g={g!r}.")
    while q(hi) <= 0:
        hi *= 2.0
        if hi > 1e8:
            raise ValueError(f"no root of the energy condition below Delta0 = 1e8 for g={g!r}.")
    d0 = float(optimize.brentq(q, lo, hi, xtol=1e-15, rtol=4.0 * np.finfo(float).eps, maxiter=200))
    return d0, abs(q(d0))


def _scalar_kernel(kern: gaussian.CorrelationFunction) -> Callable[[float], float]:
    """``C(c)`` for one float: Clenshaw's recurrence in Python floats (no array overhead)."""
    if kern.coefficients is None:
        return lambda c: float(kern(np.array([c]))[0])
    coef = [float(a) for a in kern.coefficients[::-1]]
    mid, half = 0.5 * (kern.var + kern.lo), 0.5 * (kern.var - kern.lo)

    def value(c: float) -> float:
        x = (c - mid) / half
        b1 = b2 = 0.0
        for a in coef[:-1]:
            b1, b2 = a + 2.0 * x * b1 - b2, b1
        return coef[-1] + x * b1 - b2

    return value


def integrate_profile(
    phi: AbstractNonlinearity, g: float, d0: float, t_end: float | None
) -> tuple[Any, float]:
    r"""Integrate :math:`\ddot\Delta = \Delta - g^2 C(\Delta)` from rest at ``d0``.

    Time in units of tau. Without ``t_end``, stops where :math:`\Delta` has fallen to
    :math:`10^{-3}\Delta_0`. Returns the dense ODE solution and the last time reached.
    """
    g2 = g * g
    kern = _scalar_kernel(gaussian.correlation_function(phi, d0, -d0))

    def rhs(_t: float, y: FloatArray) -> FloatArray:
        dd = min(max(float(y[0]), -d0), d0)
        return np.array([y[1], y[0] - g2 * kern(dd)])

    def fallen(_t: float, y: FloatArray) -> float:
        return y[0] - 1e-3 * d0

    fallen.terminal = True  # type: ignore[attr-defined]
    sol = integrate.solve_ivp(
        rhs,
        (0.0, 1e6 if t_end is None else t_end),
        np.array([d0, 0.0]),
        method="DOP853",
        rtol=1e-12,
        atol=1e-14 * d0,
        dense_output=True,
        events=None if t_end is not None else fallen,
    )
    return sol.sol, float(sol.t[-1])


def solve_classical(
    network: RateNetwork,
    *,
    t_max: float | None = None,
    dt: float = 0.05,
) -> ClassicalSolution:
    r"""Solve the noise-free stationary DMFT of an odd nonlinearity by energy conservation.

    Parameters
    ----------
    network : RateNetwork
        Spec with one population of i.i.d. zero-mean couplings (``GaussianEnsemble``,
        ``eta = 0``), a bounded odd ``phi`` with a closed-form antiderivative (tanh, erf),
        :math:`g|\phi'(0)| > 1`, ``sigma = sigma_b = 0``, no input vector, one ``tau``.
    t_max : float, optional
        Largest lag of the integrated :math:`\Delta(t)`; default: until :math:`\Delta` has
        fallen to :math:`10^{-3}\Delta_0` (beyond, the unstable approach to :math:`\Delta=0`
        amplifies the error of :math:`\Delta_0` like :math:`\Delta_0/\Delta(t)`).
    dt : float
        Spacing of the returned lags.

    Returns
    -------
    ClassicalSolution
        :math:`\Delta_0` (to about machine precision) and :math:`\Delta(t)`.

    Raises
    ------
    TypeError
        If the ensemble is not one population of i.i.d. zero-mean couplings, or ``phi`` is not
        odd with a closed-form antiderivative.
    ValueError
        If there is noise or static input, ``tau`` differs between units, ``phi`` is
        unbounded, or :math:`g|\phi'(0)| \le 1` (no chaotic solution).

    Notes
    -----
    Implements Eqs. (5)-(7) of [1]_ (docs/theory.md section 2). With :math:`\Phi` even,
    :math:`F(\Delta_0) = E[\Phi^2]` and :math:`F(0) = E[\Phi]^2`, so
    :math:`V(\Delta_0) = V(0)` reads

    .. math:: \Delta_0^2 / 2 = g^2\, \mathrm{Var}[\Phi(x)], \qquad x\sim\mathcal N(0,\Delta_0),

    solved by Brent's method on :math:`1/2 - g^2\mathrm{Var}[\Phi]/\Delta_0^2`. Then
    :math:`\ddot\Delta = \Delta - g^2 C(\Delta)` (Price's theorem:
    :math:`dF/dD = C`) is integrated from rest at :math:`\Delta_0` with an 8th-order
    Runge-Kutta method.

    **Assumptions and approximations**

    - :math:`N\to\infty` (``n`` and ``allow_self_coupling`` do not enter), i.i.d.
      zero-mean couplings (read from ``network.ensemble.statistics()``), bounded odd
      :math:`\phi`, no noise or input, chaotic regime; each is checked and raises.
    - One :math:`\tau` for all units; it rescales time.

    References
    ----------
    .. [1] Sompolinsky, Crisanti & Sommers (1988), Phys. Rev. Lett. 61, 259.

    Examples
    --------
    >>> from randrnn import GaussianEnsemble, RateNetwork
    >>> sol = solve_classical(RateNetwork(ensemble=GaussianEnsemble(n=10, g=2.0), phi="erf"))
    >>> round(sol.delta0, 6), bool(sol.energy_residual < 1e-14)
    (2.06408, True)
    """
    network = check_network(network, "solve_classical")
    g = iid_gain(network, "solve_classical")
    tau = scalar_tau(network, "solve_classical")
    phi: AbstractNonlinearity = network.phi  # type: ignore[assignment]
    if not (phi.is_odd and phi.has_antiderivative):
        raise TypeError(
            "`phi` must be odd with a closed-form antiderivative for the classical-particle "
            f"method (tanh, erf, linear); got {phi.name!r}. Use solve_stationary."
        )
    if network.sigma > 0 or network.sigma_b > 0 or network.b is not None:
        raise ValueError(
            "`network` must have sigma = sigma_b = 0 and no input vector for the "
            f"classical-particle method; got sigma={network.sigma!r}, "
            f"sigma_b={network.sigma_b!r}"
            + (", and a vector b" if network.b is not None else "")
            + ". Use solve_stationary."
        )
    slope0 = abs(float(np.asarray(phi.derivative(np.zeros(1)))[0]))
    if g * slope0 <= 1.0:
        raise ValueError(
            f"`g` must be > 1 / |phi'(0)| = {1.0 / slope0 if slope0 else math.inf:g} for a "
            f"chaotic solution; got {g!r}. Below the transition the solution is quiescent "
            "(Delta = 0)."
        )
    if not phi.is_bounded:
        raise ValueError(
            f"`phi` must be bounded for a chaotic solution; got the unbounded {phi.name!r} at "
            f"g={g!r} > 1, whose activity grows without bound."
        )
    dt = check_positive("dt", dt)
    d0, energy_residual = energy_root(phi, g)
    t_end = None if t_max is None else t_max / tau
    profile, t_stop = integrate_profile(phi, g, d0, t_end)
    s = dt / tau * np.arange(math.floor(t_stop / (dt / tau)) + 1)
    delta = profile(s)[0]
    return ClassicalSolution(
        delta0=d0, lags=tau * s, delta=delta, energy_residual=energy_residual, spec=network
    )
