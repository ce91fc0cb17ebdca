"""The discretised DMFT self-consistency map and the strategy that solves it.

:class:`FixedPoint` (solver settings), the map on a lag grid (:class:`_Problem`: FFT/DCT
transforms of the autocovariance, Gaussian tables, tail conditions), the starts tried in order
(classical-particle solution, generic guess, longer grids) and the grid adaptation. Used by
:func:`randrnn.dmft.stationary.solve_stationary` (``docs/theory.md`` section 2).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import fft as _fft

from randrnn import _fixedpoint as _solvers
from randrnn import gaussian
from randrnn._typing import FloatArray
from randrnn._validation import (
    check_in,
    check_positive,
    check_positive_int,
)
from randrnn.dmft._coverage import iid_gain, scalar_tau
from randrnn.dmft.classical import energy_root, integrate_profile
from randrnn.errors import RegimeWarning
from randrnn.networks import RateNetwork
from randrnn.nonlinearities import AbstractNonlinearity

#: the residual is max|F(u) - u| / max(Delta0, 1) in float64: the transforms and the Gaussian
#: tables round at ~1e-16 each, and the map combines a few of them, so residuals stall near
#: 1e-15; a tolerance below 16 eps = 3.6e-15 cannot be met reliably
_TOL_FLOOR = 16.0 * float(np.finfo(float).eps)
#: variance at which E[phi'^2] of an unbounded phi has reached its large-amplitude value
_GROWTH_VAR = 1.0e6


@dataclass(frozen=True, slots=True, kw_only=True)
class FixedPoint:
    r"""Settings of the stationary DMFT solver.

    Parameters
    ----------
    method : {"newton", "anderson", "damped"}
        Newton-Krylov (default: GMRES on the analytic Jacobian, line search that keeps the
        tail stable), Anderson-accelerated iteration, or plain damped iteration (reference).
    max_iter : int
        Map evaluations allowed per lag grid.
    damping : float
        Mixing parameter in (0, 1]: the damping of ``"damped"`` and the :math:`\beta` of
        Anderson mixing (unused by Newton).
    memory : int
        Anderson history length.
    dt : float
        Lag step, in units of ``tau``.
    t_max : float, optional
        Initial largest lag (units of ``tau``); default 40.
    t_max_limit : float
        Largest lag the grid may grow to while waiting for :math:`\Delta(t)` to decay.
    adapt_grid : bool
        Extend the grid until the dynamic autocovariance has decayed below ``tol``.
    classical_start : bool
        For odd phi in the chaotic regime, start from the classical-particle solution (robust
        near the transition). False iterates from the generic start only, which keeps the
        iteration independent of :func:`solve_classical` (the cross-check in the tests).

    Examples
    --------
    >>> FixedPoint(method="damped", damping=0.5).max_iter
    2000
    """

    method: Literal["newton", "anderson", "damped"] = "newton"
    max_iter: int = 2000
    damping: float = 0.5
    memory: int = 12
    dt: float = 0.05
    t_max: float | None = None
    t_max_limit: float = 20000.0
    adapt_grid: bool = True
    classical_start: bool = True

    def __post_init__(self) -> None:
        check_in("method", self.method, ("newton", "anderson", "damped"))
        check_positive_int("max_iter", self.max_iter)
        check_positive_int("memory", self.memory)
        d = check_positive("damping", self.damping)
        if d > 1.0:
            raise ValueError(f"`damping` must be in (0, 1]; got {self.damping!r}.")
        check_positive("dt", self.dt)
        check_positive("t_max_limit", self.t_max_limit)
        if self.t_max is not None:
            check_positive("t_max", self.t_max)
            if self.t_max <= 20 * self.dt:
                raise ValueError(
                    f"`t_max` must exceed 20 * dt = {20 * self.dt!r}; got {self.t_max!r}."
                )


# ----------------------------------------------------------------------------------------------
# the discretised map
# ----------------------------------------------------------------------------------------------


def _e1(t: FloatArray) -> FloatArray:
    """Inverse transform of 1/(1+w^2)."""
    return 0.5 * np.exp(-t)


def _e2(t: FloatArray) -> FloatArray:
    """Inverse transform of 1/(1+w^2)^2."""
    return 0.25 * (1.0 + t) * np.exp(-t)


def _e3(t: FloatArray) -> FloatArray:
    """Inverse transform of 1/(1+w^2)^3."""
    return (3.0 + 3.0 * t + t * t) * np.exp(-t) / 16.0


@dataclass(frozen=True, slots=True, eq=False)
class _Problem:
    """The DMFT map on one lag grid, in units of tau (time s = t / tau)."""

    phi: AbstractNonlinearity
    g2: float
    s2: float  # sigma^2 / tau
    sb2: float
    dt: float
    m: int  # grid points 0..m-1, L = (m - 1) dt

    @property
    def big_l(self) -> float:
        return (self.m - 1) * self.dt

    @property
    def t(self) -> FloatArray:
        return self.dt * np.arange(self.m)

    @property
    def w(self) -> FloatArray:
        return np.pi * np.arange(self.m) / self.big_l

    def pieces(self, u: FloatArray) -> dict[str, Any]:
        """Evaluate the map at ``u = (d(t_0..t_{m-1}), Delta_inf)`` with all intermediates."""
        d = u[:-1]
        dinf = float(u[-1])
        delta = d + dinf
        d0 = max(float(delta[0]), 0.0)
        delta_c = np.clip(delta, -d0, d0)
        dinf_c = min(max(dinf, -d0), d0)
        lo = min(float(delta_c.min()), dinf_c)
        kern = gaussian.correlation_function(self.phi, d0, lo)
        cfull = kern(delta_c)
        cinf = float(kern(np.array([dinf_c]))[0])
        c = cfull - cinf
        t = self.t
        w2 = self.w**2
        # white-noise kinks of c at t = 0: |t| and |t|^3 terms carried analytically
        a1 = a2 = 0.0
        if self.s2 > 0 and d0 > 0:
            dp = -0.5 * self.s2  # Delta'(0+)
            k1 = float(kern.derivative(np.array([d0]), 1)[0])
            k2 = float(kern.derivative(np.array([d0]), 2)[0])
            k3 = float(kern.derivative(np.array([d0]), 3)[0])
            dpp = d0 - self.g2 * float(cfull[0]) - self.sb2  # Delta''(0+)
            dppp = dp * (1.0 - self.g2 * k1)  # Delta'''(0+)
            c1 = k1 * dp
            a1 = -2.0 * c1
            c3 = k3 * dp**3 + 3.0 * k2 * dp * dpp + k1 * dppp
            a2 = 2.0 * c3 + a1 if math.isfinite(c3) else a1
        c_rem = c - a1 * _e1(t) - a2 * _e2(t)
        y = _fft.dct(c_rem, type=1)
        d_new = _fft.idct(self.g2 * y / (1.0 + w2), type=1)
        d_new += self.s2 * _e1(t) + self.g2 * (a1 * _e2(t) + a2 * _e3(t))
        dinf_new = self.g2 * cinf + self.sb2
        return {
            "u_new": np.concatenate([d_new, [dinf_new]]),
            "kern": kern,
            "cfull": cfull,
            "cinf": cinf,
            "c_rem_hat": self.dt * y,
            "a1": a1,
            "a2": a2,
            "d0": d0,
        }

    def __call__(self, u: FloatArray) -> FloatArray:
        return self.pieces(u)["u_new"]

    def tail_slope(self, u: FloatArray) -> float:
        r"""Return :math:`g^2 C'(\Delta_\infty; \Delta_0)` at the iterate ``u`` (NaN if
        :math:`\Delta_0 \le 0`).

        The tail of a stationary solution decays as :math:`e^{-kt}`,
        :math:`k = \sqrt{1 - g^2 C'(\Delta_\infty)}`, so it must be below 1.
        """
        d0 = float(u[0] + u[-1])
        if not d0 > 0:
            return math.nan
        dinf = min(max(float(u[-1]), -d0), d0)
        closed = self.phi.gaussian_correlation_derivative(d0, np.array([dinf]), 1)
        if closed is not None:
            slope = float(closed[0])
        elif dinf == 0.0:  # C'(0) = E[phi']^2: a one-variable expectation
            slope = gaussian.gain(self.phi, d0) ** 2
        else:
            der = self.phi.derivative
            slope = float(gaussian.expect_pair(der, der, d0, dinf))
        return self.g2 * slope

    def tail_stable(self, u: FloatArray) -> bool:
        r"""Whether the iterate's tail decays: :math:`g^2 C'(\Delta_\infty; \Delta_0) < 1`.

        A stationary solution must satisfy it; the set where it fails to hold strictly is where
        the Jacobian of the map is singular, so Newton steps are kept on the stable side.
        """
        return bool(self.tail_slope(u) < 1.0)

    def map_jac(self, u: FloatArray) -> tuple[FloatArray, Any]:
        r"""Return the map at ``u`` and a function applying its Jacobian.

        The Jacobian keeps the terms of the continuum equation: :math:`C'(\Delta(t))` on the
        diagonal and the rank-one dependence on :math:`\Delta_0` (by a forward difference of
        the Gaussian table); the kink bookkeeping only moves discretisation error and is
        left out, which makes Newton's convergence linear with a negligible rate.
        """
        p = self.pieces(u)
        kern = p["kern"]
        d0 = p["d0"]
        delta = np.clip(u[:-1] + u[-1], -d0, d0)
        dinf = min(max(float(u[-1]), kern.lo), d0)
        c1 = kern.derivative(delta, 1)
        c1inf = float(kern.derivative(np.array([dinf]), 1)[0])
        w2 = self.w**2
        cache: dict[str, Any] = {}

        def d0_sensitivity() -> tuple[FloatArray, float]:
            if "s" not in cache:
                eps = 1e-6 * max(d0, 1e-12)
                kp = gaussian.correlation_function(self.phi, d0 + eps, kern.lo)
                s_t = (kp(delta) - p["cfull"]) / eps
                s_inf = (float(kp(np.array([dinf]))[0]) - p["cinf"]) / eps
                cache["s"] = (s_t, s_inf)
            return cache["s"]

        def jvp(v: FloatArray) -> FloatArray:
            dd = v[:-1] + v[-1]
            dd0 = float(v[0] + v[-1])
            s_t, s_inf = d0_sensitivity()
            dc = c1 * dd + s_t * dd0
            dcinf = c1inf * float(v[-1]) + s_inf * dd0
            out_d = _fft.idct(self.g2 * _fft.dct(dc - dcinf, type=1) / (1.0 + w2), type=1)
            return np.concatenate([out_d, [self.g2 * dcinf]])

        def prec(v: FloatArray) -> FloatArray:
            # (I - J)^{-1} for the tail, where Delta ~ Delta_inf: a Fourier multiplier
            out_d = _fft.idct(
                _fft.dct(v[:-1], type=1) * (1.0 + w2) / (1.0 + w2 - self.g2 * c1inf), type=1
            )
            return np.concatenate([out_d, [v[-1] / max(1.0 - self.g2 * c1inf, 1e-3)]])

        jvp.precondition = prec  # type: ignore[attr-defined]
        return p["u_new"], jvp


def _norm(f: FloatArray, u: FloatArray) -> float:
    return float(np.max(np.abs(f))) / max(abs(float(u[0] + u[-1])), 1.0)


def _spec_params(network: RateNetwork) -> tuple[float, float, float, float]:
    """Return (g, sigma_eff^2 in units of tau, sigma_b^2, tau) after checking coverage."""
    g = iid_gain(network, "solve_stationary")
    tau = scalar_tau(network, "solve_stationary")
    sb2 = network.sigma_b**2
    if network.b is not None:
        b = np.asarray(network.b, dtype=float)
        sb2 = float(np.mean(b**2))
        if b.size > 1 and abs(float(b.mean())) > 5.0 * float(b.std()) / math.sqrt(b.size) + 1e-12:
            warnings.warn(
                f"the DMFT treats the static input as zero-mean i.i.d.; got mean(b)={b.mean():.3g}"
                ". The solution uses sigma_b^2 = mean(b^2) and ignores the common offset.",
                RegimeWarning,
                stacklevel=3,
            )
    return g, network.sigma**2 / tau, sb2, tau


def _growth(phi: AbstractNonlinearity, g: float) -> float:
    r""":math:`g^2 E[\phi'^2]` at large amplitude for an unbounded :math:`\phi` (0 if bounded).

    At or above 1 a large fluctuation grows faster than the leak removes it: no stationary
    state (exact for positively homogeneous :math:`\phi` such as ReLU and linear).
    """
    if phi.is_bounded:
        return 0.0
    return g * g * gaussian.gain_second_moment(phi, _GROWTH_VAR)


def _initial_guess(prob: _Problem, g: float) -> FloatArray:
    """A generic start: a sech^2 profile of the amplitude of the noise or of the instability."""
    growth = _growth(prob.phi, g)
    if growth > 0.0:  # unbounded phi: the Ornstein-Uhlenbeck amplitude of the linear network
        amp = 0.5 * prob.s2 / math.sqrt(max(1.0 - growth, 0.01))
    else:
        amp = max(g * g - 1.0, 0.0) + 0.5 * prob.s2
    e = np.exp(-prob.t)
    d = amp * 4.0 * e / (1.0 + e) ** 2  # amp / cosh(t/2)^2 without overflow
    return np.concatenate([d, [prob.sb2]])


def _classical_start(phi: AbstractNonlinearity, g: float) -> tuple[float, Any, float, float] | None:
    r"""The noise-free classical-particle solution as a start (odd phi, chaos).

    Returns :math:`\Delta_0`, the dense profile :math:`\Delta(t)` (until it fell to
    :math:`10^{-3}\Delta_0` at ``t_stop``), ``t_stop`` and the tail rate
    :math:`k = \sqrt{1 - g^2 E[\phi']^2}`; None where the method does not apply. Near the
    transition this start is within the discretisation error of the solution, where the generic
    start is far from it (the width of :math:`\Delta(t)` diverges like :math:`1/(g-1)`).
    """
    if not phi.is_odd or not phi.has_antiderivative:
        return None
    if g * abs(float(np.asarray(phi.derivative(np.zeros(1)))[0])) <= 1.0:
        return None
    try:
        d0, _ = energy_root(phi, g)
        profile, t_stop = integrate_profile(phi, g, d0, None)
    except (ValueError, ArithmeticError):
        return None
    k2 = 1.0 - (g * gaussian.gain(phi, d0)) ** 2
    if not (math.isfinite(d0) and d0 > 0 and k2 > 0):
        return None
    return d0, profile, t_stop, math.sqrt(k2)


def _grid(
    phi: AbstractNonlinearity, g: float, s2: float, sb2: float, dt: float, big_l: float
) -> _Problem:
    m = _fft.next_fast_len(math.ceil(big_l / dt), real=True) + 1
    return _Problem(phi=phi, g2=g * g, s2=s2, sb2=sb2, dt=dt, m=m)


def _starts(
    phi: AbstractNonlinearity,
    g: float,
    s2: float,
    sb2: float,
    *,
    dt: float,
    t_max: float,
    limit: float,
    tol: float,
    classical_start: bool = True,
) -> Iterator[tuple[_Problem, FloatArray, float]]:
    """Grids and starts of the iteration, best first; with the lag length the tail needs.

    For odd phi in the chaotic regime, the noise-free classical-particle solution (exact up to
    discretisation without noise or input, and close to the solution when they are weak: near
    the transition the generic start is far from it, as the width of Delta(t) diverges like
    1/(g - 1)); otherwise, or when that fails, the generic start; then the generic start on a
    grid eight times longer (a correlation time beyond the default grid). The needed length is
    0 when it is not known in advance.
    """
    noisy = s2 > 0 or sb2 > 0
    classical = _classical_start(phi, g) if classical_start else None
    # weak noise and input (compared with the chaotic Delta0) leave the classical start close
    weak = classical is not None and 0.5 * s2 + sb2 <= 0.1 * classical[0]
    if not weak:
        prob = _grid(phi, g, s2, sb2, dt, t_max)
        yield prob, _initial_guess(prob, g), 0.0
    if classical is not None:
        d0, profile, t_stop, k = classical
        target = 0.1 * tol * max(d0, 1.0)
        d_stop = float(profile(t_stop)[0])
        needed = t_stop + math.log(max(d_stop, target) / target) / k + 10.0
        length = needed
        if noisy:  # noise and input raise Delta0, hence the tail's decay rate: a shorter grid
            d0_est = d0 + 0.5 * s2 + sb2
            k_est = math.sqrt(max(1.0 - (g * gaussian.gain(phi, d0_est)) ** 2, k * k))
            length = math.log(max(d0_est, target) / target) / k_est + 10.0
        prob = _grid(phi, g, s2, sb2, dt, min(max(t_max, length), limit))
        t = prob.t
        inside = t <= t_stop
        d = np.empty(t.size)
        d[inside] = profile(t[inside])[0]
        d[~inside] = d_stop * np.exp(-k * (t[~inside] - t_stop))
        # with noise the tail decays faster than without: no length is required in advance
        yield prob, np.concatenate([d, [sb2]]), 0.0 if noisy else needed
    if weak and noisy:
        prob = _grid(phi, g, s2, sb2, dt, t_max)
        yield prob, _initial_guess(prob, g), 0.0
    if noisy and 8.0 * t_max <= limit:
        prob = _grid(phi, g, s2, sb2, dt, 8.0 * t_max)
        yield prob, _initial_guess(prob, g), 0.0


def _solve_from(
    solver: FixedPoint, prob: _Problem, u: FloatArray, tol: float, limit: float
) -> tuple[_Problem, FloatArray, _solvers.IterationResult, int]:
    """Iterate from ``u``, growing the grid until the dynamic part has decayed below tol."""
    n_iter = 0
    while True:
        it = _iterate(solver, prob, u, tol)
        n_iter += it.n_iter
        u = it.x
        if not it.converged or not solver.adapt_grid:
            return prob, u, it, n_iter
        scale = max(abs(float(u[0] + u[-1])), 1.0)
        new_l = _tail_extension(u, prob, 0.1 * tol * scale)
        if new_l is None:
            return prob, u, it, n_iter
        if prob.big_l >= limit:
            msg = (
                f"the autocovariance had not decayed by t_max_limit={solver.t_max_limit!r}"
                " (correlation time too long: near the transition?)"
            )
            return prob, u, _failed(it, msg), n_iter
        new_prob = _grid(
            prob.phi, math.sqrt(prob.g2), prob.s2, prob.sb2, prob.dt, min(new_l, limit)
        )
        u = _regrid(u, prob, new_prob)
        prob = new_prob


def _regrid(u: FloatArray, old: _Problem, new: _Problem) -> FloatArray:
    """Carry a solution to a longer grid, extending its tail at the analytic decay rate."""
    d = u[:-1]
    t_new = new.t
    d_new = np.interp(t_new, old.t, d)
    beyond = t_new > old.big_l
    if np.any(beyond):
        k = _tail_rate(u, old)
        if k is None:
            n5 = max(round(5.0 / old.dt), 2)
            ratio = d[-1] / d[-1 - n5] if d[-1 - n5] != 0 else 0.0
            k = -math.log(ratio) / (n5 * old.dt) if 0 < ratio < 1 else 1.0
        # the even periodic extension flattens the end of the old grid: continue the tail
        # from the middle of the old grid instead
        j = (old.m - 1) // 2
        after = t_new > old.t[j]
        d_new[after] = d[j] * np.exp(-k * (t_new[after] - old.t[j]))
    return np.concatenate([d_new, [u[-1]]])


def _tail_rate(u: FloatArray, prob: _Problem) -> float | None:
    r"""Decay rate :math:`\sqrt{1 - g^2 C'(\Delta_\infty)}` of the linearised tail, or None."""
    slope = prob.tail_slope(u)
    return math.sqrt(1.0 - slope) if slope < 1.0 else None


def _tail_extension(u: FloatArray, prob: _Problem, target: float) -> float | None:
    """Lag length needed for the tail to fall below ``target``; None if already there."""
    d = u[:-1]
    if abs(d[-1]) <= target:
        return None
    k = _tail_rate(u, prob)
    if k is None or k < 1e-6:
        n5 = max(round(5.0 / prob.dt), 2)
        ratio = d[-1] / d[-1 - n5] if d[-1 - n5] != 0 else 0.0
        k = -math.log(ratio) / (n5 * prob.dt) if 0 < ratio < 1 else 0.05
        k = max(k, 1e-3)
    # extrapolate from the middle of the grid, away from the flattening at the periodic end
    j = (prob.m - 1) // 2
    amp = max(abs(float(d[j])), abs(float(d[-1])), target)
    needed = prob.t[j] + 1.1 * math.log(amp / target) / k + 10.0
    return max(needed, 1.25 * prob.big_l)


def _iterate(
    solver: FixedPoint, prob: _Problem, u: FloatArray, tol: float
) -> _solvers.IterationResult:
    if solver.method == "newton":
        return _solvers.newton_krylov(
            prob.map_jac, u, norm=_norm, tol=tol, max_iter=solver.max_iter, valid=prob.tail_stable
        )
    if solver.method == "anderson":
        return _solvers.anderson(
            prob,
            u,
            norm=_norm,
            tol=tol,
            max_iter=solver.max_iter,
            memory=solver.memory,
            beta=solver.damping,
        )
    return _solvers.damped(
        prob, u, norm=_norm, tol=tol, max_iter=solver.max_iter, damping=solver.damping
    )


def _failed(it: _solvers.IterationResult, message: str) -> _solvers.IterationResult:
    return _solvers.IterationResult(it.x, it.gx, it.n_iter, it.residual, False, message)


def _explain(it: _solvers.IterationResult, tol: float) -> _solvers.IterationResult:
    """Say when a failed iteration stalled at the rounding level of float64."""
    if it.converged or not math.isfinite(it.residual) or it.residual > 1e3 * _TOL_FLOOR:
        return it
    return _failed(
        it,
        f"{it.message}: stalled at residual {it.residual:.1e}, the rounding level of the "
        f"float64 map (about 1e-15); tol={tol:.1e} cannot be reached, use tol >= "
        f"{max(10.0 * it.residual, 1e-14):.0e}",
    )
