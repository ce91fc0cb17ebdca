r"""The discretised multi-population DMFT map and the strategy that solves it (private).

Unknowns on one lag grid in the network's time units: for each population ``a`` the dynamic
autocovariance :math:`d_a(t) = \Delta_a(t) - \Delta_{a,\infty}`, its static part
:math:`\Delta_{a,\infty}`, and the population mean :math:`M_a` of the preactivations. The map
(docs/theory.md sections 2 and 8) is

.. math:: \hat d_a(\omega) = \frac{\sum_b f_b s_{ab} \hat C_b(\omega) + \sigma^2}
          {1 + \omega^2 \tau_a^2},\qquad
          \Delta_{a,\infty} = \sum_b f_b s_{ab} C_{b,\infty} + \sigma_{b,a}^2,\qquad
          M_a = \bar b_a + \sum_b f_b \mu_{ab} \psi_b ,

with :math:`C_b(t) = K_b(\Delta_b(t))`, :math:`K_b(c) = E[\phi(M_b + u)\phi(M_b + v)]` for
Gaussians of variance :math:`\Delta_b(0)` and covariance :math:`c`, and
:math:`\psi_b = E[\phi(M_b + u)]`. Used by :func:`randrnn.dmft.populations.solve_populations`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.polynomial import chebyshev as _cheb
from scipy import fft as _fft

from randrnn import _fixedpoint as _solvers
from randrnn import gaussian
from randrnn._typing import FloatArray
from randrnn.dmft._map import (
    FixedPoint,
    _e1,
    _e2,
    _e3,
    _failed,
    _growth,
    _starts,
)
from randrnn.nonlinearities import AbstractNonlinearity

# ----------------------------------------------------------------------------------------------
# the correlation kernel at a nonzero mean
# ----------------------------------------------------------------------------------------------


def _closed_at_mean(phi: AbstractNonlinearity) -> bool:
    """Whether ``phi`` has a closed-form pair correlation at a nonzero mean (linear, ReLU)."""
    return phi.gaussian_correlation_at_mean(1.0, 1.0, np.array([0.5])) is not None


@dataclass(frozen=True, slots=True, eq=False)
class _Kernel:
    r""":math:`K(c) = E[\phi(M + u)\phi(M + v)]` on covariances ``[lo, var]`` (any mean).

    Zero mean: the Chebyshev table or closed form of :func:`randrnn.gaussian.correlation_function`
    (so that one population reproduces the single-population solver exactly). Nonzero mean:
    closed forms for linear and ReLU, otherwise an adaptive Chebyshev table of
    :func:`randrnn.gaussian.expect_pair` (the same construction, with ``mean=M``).
    """

    phi: AbstractNonlinearity
    var: float
    mean: float
    lo: float
    zero_mean: Any = None  # gaussian.CorrelationFunction when mean == 0
    coefficients: Any = None
    deriv: dict[int, FloatArray] | None = None

    def __call__(self, cov: FloatArray) -> FloatArray:
        c = np.asarray(cov, dtype=float)
        if self.zero_mean is not None:
            return np.asarray(self.zero_mean(c), dtype=float)
        if self.var <= 0.0:
            val = float(np.asarray(self.phi(np.array([self.mean])))[0])
            return np.full(c.shape, val * val)
        closed = self.phi.gaussian_correlation_at_mean(self.mean, self.var, c, 0)
        if closed is not None:
            return np.asarray(closed, dtype=float)
        return _cheb.chebval(self._x(c), self.coefficients)

    def _x(self, c: FloatArray) -> FloatArray:
        return (2.0 * c - (self.var + self.lo)) / (self.var - self.lo)

    def derivative(self, cov: FloatArray, order: int = 1) -> FloatArray:
        r""":math:`d^k K/dc^k` (Price's theorem: :math:`E[\phi^{(k)}\phi^{(k)}]`)."""
        c = np.asarray(cov, dtype=float)
        if self.zero_mean is not None:
            return np.asarray(self.zero_mean.derivative(c, order), dtype=float)
        if self.var <= 0.0:
            if order == 1:
                val = float(np.asarray(self.phi.derivative(np.array([self.mean])))[0])
                return np.full(c.shape, val * val)
            return np.zeros(c.shape)
        closed = self.phi.gaussian_correlation_at_mean(self.mean, self.var, c, order)
        if closed is not None:
            return np.asarray(closed, dtype=float)
        assert self.deriv is not None
        assert self.coefficients is not None
        if order not in self.deriv:
            scale = (2.0 / (self.var - self.lo)) ** order
            self.deriv[order] = _cheb.chebder(self.coefficients, order) * scale
        return _cheb.chebval(self._x(c), self.deriv[order])


def kernel(
    phi: AbstractNonlinearity, var: float, mean: float, lo: float, *, rtol: float = 1e-14
) -> _Kernel:
    """Tabulate :math:`K(c)` on ``[lo, var]`` at mean ``mean`` (see :class:`_Kernel`)."""
    if mean == 0.0:
        return _Kernel(phi, var, 0.0, lo, zero_mean=gaussian.correlation_function(phi, var, lo))
    lo = max(min(lo, var), -var)
    if var <= 0.0 or _closed_at_mean(phi):
        return _Kernel(phi, var, mean, lo)
    span = var - lo
    if span <= 1e-13 * var:  # degenerate interval: first-order Taylor table, as gaussian does
        c0 = float(gaussian.expect_pair(phi, phi, var, var, mean=mean))
        d1 = float(gaussian.expect_pair(phi.derivative, phi.derivative, var, var, mean=mean))
        lo = var - max(span, 1e-13 * var)
        coef = np.array([c0 - d1 * (var - lo) / 2, d1 * (var - lo) / 2])
        return _Kernel(phi, var, mean, lo, coefficients=coef, deriv={})
    n = 16
    x = np.cos(np.pi * np.arange(n + 1) / n)
    vals = gaussian.expect_pair(
        phi, phi, var, np.clip(lo + 0.5 * (x + 1.0) * span, -var, var), mean=mean
    )
    while True:
        coef = _fft.dct(vals, type=1) / n
        coef[0] /= 2.0
        coef[-1] /= 2.0
        scale = max(float(np.max(np.abs(coef))), 1e-300)
        tail = float(np.max(np.abs(coef[-3:]))) / scale
        if tail <= rtol or n + 1 >= 513:
            break
        n2 = 2 * n
        xo = np.cos(np.pi * np.arange(1, n2, 2) / n2)
        vo = gaussian.expect_pair(
            phi, phi, var, np.clip(lo + 0.5 * (xo + 1.0) * span, -var, var), mean=mean
        )
        merged = np.empty(n2 + 1)
        merged[0::2] = vals
        merged[1::2] = vo
        vals, n = merged, n2
    keep = np.nonzero(np.abs(coef) > 1e-17 * scale)[0]
    coef = coef[: (keep[-1] + 1 if keep.size else 1)]
    return _Kernel(phi, var, mean, lo, coefficients=coef, deriv={})


def kernel_slope(phi: AbstractNonlinearity, var: float, mean: float, cov: float) -> float:
    r""":math:`K'(c) = E[\phi'(M+u)\phi'(M+v)]` at one covariance, without a table."""
    if var <= 0.0:
        val = float(np.asarray(phi.derivative(np.array([mean])))[0])
        return val * val
    cov = min(max(cov, -var), var)
    if mean == 0.0:
        closed = phi.gaussian_correlation_derivative(var, np.array([cov]), 1)
        if closed is not None:
            return float(closed[0])
        if cov == 0.0:
            return gaussian.gain(phi, var) ** 2
    elif _closed_at_mean(phi):
        return float(_Kernel(phi, var, mean, -var).derivative(np.array([cov]), 1)[0])
    if cov == 0.0:
        return gaussian.gain(phi, var, mean=mean) ** 2
    der = phi.derivative
    return float(gaussian.expect_pair(der, der, var, cov, mean=mean))


# ----------------------------------------------------------------------------------------------
# the map
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class PopulationProblem:
    """The multi-population DMFT map on one lag grid (network time units)."""

    phi: AbstractNonlinearity
    f: FloatArray  # (P,) fractions
    s: FloatArray  # (P, P) n Var(J)
    mu: FloatArray  # (P, P) n E[J]
    bbar: FloatArray  # (P,) mean static input
    sb2: FloatArray  # (P,) variance of the static input within each population
    sigma2: float  # white-noise intensity sigma^2
    tau: FloatArray  # (P,)
    dt: float
    m: int

    @property
    def n_pop(self) -> int:
        return int(self.f.size)

    @property
    def big_l(self) -> float:
        return (self.m - 1) * self.dt

    @property
    def t(self) -> FloatArray:
        return self.dt * np.arange(self.m)

    @property
    def w(self) -> FloatArray:
        return np.pi * np.arange(self.m) / self.big_l

    @property
    def size(self) -> int:
        return self.n_pop * (self.m + 2)

    @property
    def fs(self) -> FloatArray:
        """:math:`f_b s_{ab}`."""
        return self.s * self.f[None, :]

    @property
    def fmu(self) -> FloatArray:
        r""":math:`f_b \mu_{ab}`."""
        return self.mu * self.f[None, :]

    def unpack(self, u: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Split ``u`` into ``d (P, m)``, ``dinf (P,)``, ``M (P,)`` (views)."""
        P, m = self.n_pop, self.m
        dd = u[: P * (m + 1)].reshape(P, m + 1)
        return dd[:, :m], dd[:, m], u[P * (m + 1) :]

    def pack(self, d: FloatArray, dinf: FloatArray, mean: FloatArray) -> FloatArray:
        return np.concatenate([np.column_stack([d, dinf]).reshape(-1), mean])

    def pieces(self, u: FloatArray) -> dict[str, Any]:
        """Evaluate the map at ``u`` with all intermediates."""
        d, dinf, mean = self.unpack(u)
        P, t, w2 = self.n_pop, self.t, self.w**2
        fs = self.fs
        kern, cfull, cinf, d0s, psi, dinf_c = [], [], np.empty(P), np.empty(P), np.empty(P), []
        for b in range(P):
            delta = d[b] + dinf[b]
            d0 = max(float(delta[0]), 0.0)
            delta_c = np.clip(delta, -d0, d0)
            di = min(max(float(dinf[b]), -d0), d0)
            lo = min(float(delta_c.min()), di)
            k = kernel(self.phi, d0, float(mean[b]), lo)
            kern.append(k)
            cfull.append(k(delta_c))
            cinf[b] = float(k(np.array([di]))[0])
            d0s[b] = d0
            dinf_c.append(di)
            psi[b] = gaussian.mean(self.phi, d0, mean=float(mean[b]))
        cf = np.array(cfull)
        # white-noise kinks of C_b at t = 0: |t| and |t|^3 terms (third derivative c3)
        c1 = np.zeros(P)
        c3 = np.zeros(P)
        if self.sigma2 > 0:
            dp = -0.5 * self.sigma2 / self.tau**2  # Delta_b'(0+)
            k1 = np.array([float(kern[b].derivative(np.array([d0s[b]]), 1)[0]) for b in range(P)])
            k1 = np.where(d0s > 0, k1, 0.0)
            c1 = k1 * dp
            dpp = (d0s - fs @ cf[:, 0] - self.sb2) / self.tau**2
            dppp = (dp - fs @ c1) / self.tau**2
            for b in range(P):
                if d0s[b] <= 0:
                    continue
                k2 = float(kern[b].derivative(np.array([d0s[b]]), 2)[0])
                k3 = float(kern[b].derivative(np.array([d0s[b]]), 3)[0])
                with np.errstate(invalid="ignore", over="ignore"):  # ReLU: singular at c = var
                    c3[b] = k3 * dp[b] ** 3 + 3.0 * k2 * dp[b] * dpp[b] + k1[b] * dppp[b]
        f_dyn = fs @ (cf - cinf[:, None])
        big_f1 = fs @ c1
        finite3 = np.isfinite(c3)
        big_f3 = fs @ np.where(finite3, c3, 0.0)
        a1 = -2.0 * self.tau * big_f1
        a2 = a1 + np.where((fs[:, ~finite3] != 0).any(axis=1), 0.0, 2.0 * self.tau**3 * big_f3)
        d_new = np.empty_like(d)
        for a in range(P):
            sa = t / self.tau[a]
            rem = f_dyn[a] - a1[a] * _e1(sa) - a2[a] * _e2(sa)
            y = _fft.dct(rem, type=1)
            d_new[a] = _fft.idct(y / (1.0 + w2 * self.tau[a] ** 2), type=1)
            d_new[a] += (self.sigma2 / self.tau[a]) * _e1(sa) + a1[a] * _e2(sa) + a2[a] * _e3(sa)
        dinf_new = fs @ cinf + self.sb2
        mean_new = self.bbar + self.fmu @ psi
        return {
            "u_new": self.pack(d_new, dinf_new, mean_new),
            "kern": kern,
            "cfull": cf,
            "cinf": cinf,
            "d0": d0s,
            "dinf_c": np.array(dinf_c),
            "psi": psi,
            "c1": c1,
            "c3": c3,
        }

    def __call__(self, u: FloatArray) -> FloatArray:
        return self.pieces(u)["u_new"]

    def slope_matrix(self, u: FloatArray) -> FloatArray:
        r""":math:`S'_{ab} = f_b s_{ab} K_b'(\Delta_{b,\infty})` at the iterate (NaN if any
        :math:`\Delta_b(0) \le 0` while its row couples)."""
        d, dinf, mean = self.unpack(u)
        k1 = np.empty(self.n_pop)
        for b in range(self.n_pop):
            d0 = float(d[b, 0] + dinf[b])
            if not d0 > 0:
                k1[b] = math.nan
                continue
            k1[b] = kernel_slope(self.phi, d0, float(mean[b]), min(max(float(dinf[b]), -d0), d0))
        return self.fs * k1[None, :]

    def tail_stable(self, u: FloatArray) -> bool:
        r"""Whether the linearised tail decays: Perron root of :math:`S'` below 1."""
        sm = self.slope_matrix(u)
        if not np.all(np.isfinite(sm)):
            return False
        return bool(np.max(np.abs(np.linalg.eigvals(sm))) < 1.0)

    def tail_rate(self, u: FloatArray) -> float | None:
        r"""Slowest decay rate :math:`k` of the linearised tail, or None if it does not decay.

        Modes :math:`e^{-kt}` of :math:`(1 - \tau_a^2\partial_t^2) d_a = \sum_b S'_{ab} d_b`:
        :math:`k^2` are the eigenvalues of :math:`T^{-2}(I - S')`.
        """
        sm = self.slope_matrix(u)
        if not np.all(np.isfinite(sm)):
            return None
        ev = np.linalg.eigvals((np.eye(self.n_pop) - sm) / self.tau[:, None] ** 2)
        if np.any(ev.real <= 0):
            return None
        return float(math.sqrt(float(np.min(ev.real))))

    def map_jac(self, u: FloatArray) -> tuple[FloatArray, Callable[[FloatArray], FloatArray]]:
        r"""Return the map at ``u`` and a function applying its Jacobian.

        As in the single-population map: :math:`K_b'(\Delta_b(t))` on the diagonal, the
        dependence on :math:`\Delta_b(0)` and on :math:`M_b` by forward differences of the
        kernel tables, and :math:`\partial\psi_b`; the kink bookkeeping is left out.
        """
        p = self.pieces(u)
        d, dinf, mean = self.unpack(u)
        P, w2 = self.n_pop, self.w**2
        fs, fmu = self.fs, self.fmu
        kern, d0s, psi = p["kern"], p["d0"], p["psi"]
        deltas = [np.clip(d[b] + dinf[b], -d0s[b], d0s[b]) for b in range(P)]
        dic = p["dinf_c"]
        c1 = [kern[b].derivative(deltas[b], 1) for b in range(P)]
        c1inf = np.array([float(kern[b].derivative(np.array([dic[b]]), 1)[0]) for b in range(P)])
        mu1 = np.array([gaussian.gain(self.phi, d0s[b], mean=float(mean[b])) for b in range(P)])
        cache: dict[tuple[str, int], Any] = {}

        def sens(kind: str, b: int) -> tuple[FloatArray, float, float]:
            key = (kind, b)
            if key not in cache:
                d0, mb = float(d0s[b]), float(mean[b])
                if kind == "d0":
                    eps = 1e-6 * max(d0, 1e-12)
                    kp = kernel(self.phi, d0 + eps, mb, kern[b].lo)
                    dpsi = (gaussian.mean(self.phi, d0 + eps, mean=mb) - psi[b]) / eps
                else:
                    eps = 1e-6 * max(abs(mb), math.sqrt(max(d0, 0.0)), 1e-3)
                    kp = kernel(self.phi, d0, mb + eps, kern[b].lo)
                    dpsi = float(mu1[b])
                s_t = (kp(deltas[b]) - p["cfull"][b]) / eps
                s_inf = (float(kp(np.array([dic[b]]))[0]) - p["cinf"][b]) / eps
                cache[key] = (s_t, s_inf, dpsi)
            return cache[key]

        def jvp(v: FloatArray) -> FloatArray:
            vd, vinf, vm = self.unpack(v)
            dc = np.empty((P, self.m))
            dcinf = np.empty(P)
            dpsi = np.zeros(P)
            for b in range(P):
                dd0 = float(vd[b, 0] + vinf[b])
                dc[b] = c1[b] * (vd[b] + vinf[b])
                dcinf[b] = c1inf[b] * vinf[b]
                if dd0 != 0.0:
                    s_t, s_inf, dps = sens("d0", b)
                    dc[b] += s_t * dd0
                    dcinf[b] += s_inf * dd0
                    dpsi[b] += dps * dd0
                if vm[b] != 0.0:
                    m_t, m_inf, dps = sens("mean", b)
                    dc[b] += m_t * vm[b]
                    dcinf[b] += m_inf * vm[b]
                    dpsi[b] += dps * vm[b]
            f_dyn = fs @ (dc - dcinf[:, None])
            out_d = np.empty((P, self.m))
            for a in range(P):
                y = _fft.dct(f_dyn[a], type=1)
                out_d[a] = _fft.idct(y / (1.0 + w2 * self.tau[a] ** 2), type=1)
            return self.pack(out_d, fs @ dcinf, fmu @ dpsi)

        s1 = fs * c1inf[None, :]
        eye = np.eye(P)
        h = 1.0 / (1.0 + w2[:, None] * self.tau[None, :] ** 2)  # (m, P)
        mats = eye[None] - h[:, :, None] * s1[None]
        with np.errstate(all="ignore"):
            try:
                inv_dyn = np.linalg.inv(mats)
            except np.linalg.LinAlgError:
                inv_dyn = np.broadcast_to(eye, mats.shape).copy()
        bad = ~np.all(np.isfinite(inv_dyn), axis=(1, 2)) | (np.abs(inv_dyn).max(axis=(1, 2)) > 1e6)
        inv_dyn[bad] = eye
        inv_inf = _safe_inverse(eye - s1)
        inv_mean = _safe_inverse(eye - fmu * mu1[None, :])

        def prec(v: FloatArray) -> FloatArray:
            # (I - J)^{-1} for the tail, where Delta_b ~ Delta_b,inf: a Fourier multiplier
            vd, vinf, vm = self.unpack(v)
            y = _fft.dct(vd, type=1, axis=1)  # (P, m)
            z = np.einsum("kab,bk->ak", inv_dyn, y)
            out_d = _fft.idct(z, type=1, axis=1)
            return self.pack(out_d, inv_inf @ vinf, inv_mean @ vm)

        jvp.precondition = prec  # type: ignore[attr-defined]
        return p["u_new"], jvp


def _safe_inverse(mat: FloatArray) -> FloatArray:
    """Inverse of a small matrix, or the identity if it is (nearly) singular."""
    try:
        inv = np.linalg.inv(mat)
    except np.linalg.LinAlgError:
        return np.eye(mat.shape[0])
    if not np.all(np.isfinite(inv)) or np.max(np.abs(inv)) > 1e3:
        return np.eye(mat.shape[0])
    return inv


def norm(prob: PopulationProblem) -> Callable[[FloatArray, FloatArray], float]:
    r"""The residual norm: per population, :math:`\max_t |F - u|` of the autocovariance parts
    over :math:`\max(\Delta_a(0), 1)`, and :math:`|F_M - M_a|` over
    :math:`\max(|M_a|, \sqrt{\Delta_a(0)}, 1)`; the largest over populations."""

    def _norm(r: FloatArray, u: FloatArray) -> float:
        rd, rinf, rm = prob.unpack(r)
        d, dinf, mean = prob.unpack(u)
        d0 = np.abs(d[:, 0] + dinf)
        auto = np.maximum(np.max(np.abs(rd), axis=1), np.abs(rinf)) / np.maximum(d0, 1.0)
        means = np.abs(rm) / np.maximum(np.maximum(np.abs(mean), np.sqrt(d0)), 1.0)
        return float(max(np.max(auto), np.max(means)))

    return _norm


# ----------------------------------------------------------------------------------------------
# grids and starts
# ----------------------------------------------------------------------------------------------


def with_grid(base: PopulationProblem, m: int) -> PopulationProblem:
    """The same map on ``m`` grid points of step ``base.dt``."""
    return PopulationProblem(
        phi=base.phi,
        f=base.f,
        s=base.s,
        mu=base.mu,
        bbar=base.bbar,
        sb2=base.sb2,
        sigma2=base.sigma2,
        tau=base.tau,
        dt=base.dt,
        m=m,
    )


def make_problem(base: PopulationProblem, big_l: float) -> PopulationProblem:
    """The same map on a grid of length at least ``big_l`` (fast DCT sizes, as the
    single-population solver picks them)."""
    return with_grid(base, _fft.next_fast_len(math.ceil(big_l / base.dt), real=True) + 1)


def growth(prob: PopulationProblem) -> float:
    r"""Perron root of :math:`f_b s_{ab} E[\phi'^2]` at large amplitude (0 for bounded phi)."""
    if prob.phi.is_bounded:
        return 0.0
    g2 = float(np.max(np.abs(np.linalg.eigvals(prob.fs))))
    return _growth(prob.phi, math.sqrt(g2))


def _generic(prob: PopulationProblem) -> FloatArray:
    """A sech^2 profile per population of the amplitude of the noise or of the instability."""
    g2 = prob.fs.sum(axis=1)
    gr = growth(prob)
    d = np.empty((prob.n_pop, prob.m))
    for a in range(prob.n_pop):
        s2 = prob.sigma2 / prob.tau[a]
        if gr > 0.0:
            amp = 0.5 * s2 / math.sqrt(max(1.0 - gr, 0.01))
        else:
            amp = max(float(g2[a]) - 1.0, 0.0) + 0.5 * s2
        e = np.exp(-prob.t / prob.tau[a])
        d[a] = amp * 4.0 * e / (1.0 + e) ** 2
    return prob.pack(d, prob.sb2.copy(), prob.bbar.copy())


def equivalent_populations(prob: PopulationProblem) -> bool:
    """Whether every population obeys the same single-population DMFT (one tau, equal row sums
    of ``f s``, equal input variance, and a zero mean field that stays zero)."""
    fs = prob.fs.sum(axis=1)
    zero_mean = np.all(prob.bbar == 0) and (np.all(prob.mu == 0) or prob.phi.is_odd)
    return bool(
        zero_mean
        and np.all(prob.tau == prob.tau[0])
        and np.allclose(fs, fs[0], rtol=1e-13, atol=0)
        and np.all(prob.sb2 == prob.sb2[0])
    )


def starts(
    base: PopulationProblem,
    *,
    t_max: float,
    limit: float,
    tol: float,
    classical_start: bool,
) -> Iterator[tuple[PopulationProblem, FloatArray, float]]:
    """Grids and starts, best first, with the lag length the tail needs (0: not known).

    Equivalent populations use the starts of the single-population solver (the
    classical-particle solution near the transition), copied to every population; otherwise
    the generic start, then the generic start on a grid eight times longer.
    """
    P = base.n_pop
    if equivalent_populations(base):
        tau = float(base.tau[0])
        g = math.sqrt(float(base.fs.sum(axis=1)[0]))
        for sp, u1, needed in _starts(
            base.phi,
            g,
            base.sigma2 / tau,
            float(base.sb2[0]),
            dt=base.dt / tau,
            t_max=t_max / tau,
            limit=limit / tau,
            tol=tol,
            classical_start=classical_start,
        ):
            prob = with_grid(base, sp.m)  # the same grid, in the network's time units
            d = np.broadcast_to(u1[:-1], (P, prob.m))
            yield prob, prob.pack(d, np.full(P, u1[-1]), np.zeros(P)), needed * tau
        return
    prob = make_problem(base, t_max)
    yield prob, _generic(prob), 0.0
    noisy = base.sigma2 > 0 or np.any(base.sb2 > 0) or np.any(base.bbar != 0)
    if noisy and 8.0 * t_max <= limit:
        prob = make_problem(base, 8.0 * t_max)
        yield prob, _generic(prob), 0.0


def _iterate(
    solver: FixedPoint, prob: PopulationProblem, u: FloatArray, tol: float
) -> _solvers.IterationResult:
    nrm = norm(prob)
    if solver.method == "newton":
        return _solvers.newton_krylov(
            prob.map_jac, u, norm=nrm, tol=tol, max_iter=solver.max_iter, valid=prob.tail_stable
        )
    if solver.method == "anderson":
        return _solvers.anderson(
            prob,
            u,
            norm=nrm,
            tol=tol,
            max_iter=solver.max_iter,
            memory=solver.memory,
            beta=solver.damping,
        )
    return _solvers.damped(
        prob, u, norm=nrm, tol=tol, max_iter=solver.max_iter, damping=solver.damping
    )


def solve_from(
    solver: FixedPoint,
    prob: PopulationProblem,
    u: FloatArray,
    tol: float,
    limit: float,
    tau_ref: float,
) -> tuple[PopulationProblem, FloatArray, _solvers.IterationResult, int]:
    """Iterate from ``u``, growing the grid until every dynamic part has decayed below tol."""
    n_iter = 0
    while True:
        it = _iterate(solver, prob, u, tol)
        n_iter += it.n_iter
        u = it.x
        if not it.converged or not solver.adapt_grid:
            return prob, u, it, n_iter
        new_l = _tail_extension(u, prob, tol, tau_ref)
        if new_l is None:
            return prob, u, it, n_iter
        if prob.big_l >= limit:
            msg = (
                f"the autocovariance had not decayed by t_max_limit={solver.t_max_limit!r}"
                " (correlation time too long: near the transition?)"
            )
            return prob, u, _failed(it, msg), n_iter
        new_prob = make_problem(prob, min(new_l, limit))
        u = _regrid(u, prob, new_prob, tau_ref)
        prob = new_prob


def _fallback_rate(d: FloatArray, prob: PopulationProblem, tau_ref: float) -> float | None:
    n5 = max(round(5.0 * tau_ref / prob.dt), 2)
    ratio = d[-1] / d[-1 - n5] if d[-1 - n5] != 0 else 0.0
    return -math.log(ratio) / (n5 * prob.dt) if 0 < ratio < 1 else None


def _regrid(
    u: FloatArray, old: PopulationProblem, new: PopulationProblem, tau_ref: float
) -> FloatArray:
    """Carry a solution to a longer grid, extending each tail at the analytic decay rate."""
    d, dinf, mean = old.unpack(u)
    t_new = new.t
    k = old.tail_rate(u)
    j = (old.m - 1) // 2
    after = t_new > old.t[j]
    out = np.empty((old.n_pop, new.m))
    for a in range(old.n_pop):
        out[a] = np.interp(t_new, old.t, d[a])
        if np.any(t_new > old.big_l):
            ka = k
            if ka is None:
                ka = _fallback_rate(d[a], old, tau_ref) or 1.0 / tau_ref
            # the even periodic extension flattens the end of the old grid: continue the tail
            # from the middle of the old grid instead
            out[a, after] = d[a, j] * np.exp(-ka * (t_new[after] - old.t[j]))
    return new.pack(out, dinf.copy(), mean.copy())


def _tail_extension(
    u: FloatArray, prob: PopulationProblem, tol: float, tau_ref: float
) -> float | None:
    """Lag length needed for every tail to fall below ``0.1 tol max(Delta_a(0), 1)``."""
    d, dinf, _ = prob.unpack(u)
    targets = 0.1 * tol * np.maximum(np.abs(d[:, 0] + dinf), 1.0)
    if np.all(np.abs(d[:, -1]) <= targets):
        return None
    k = prob.tail_rate(u)
    j = (prob.m - 1) // 2
    needed = 0.0
    for a in range(prob.n_pop):
        ka = k
        if ka is None or ka < 1e-6 / tau_ref:
            ka = _fallback_rate(d[a], prob, tau_ref) or 0.05 / tau_ref
            ka = max(ka, 1e-3 / tau_ref)
        amp = max(abs(float(d[a, j])), abs(float(d[a, -1])), float(targets[a]))
        needed = max(needed, prob.t[j] + 1.1 * math.log(amp / targets[a]) / ka + 10.0 * tau_ref)
    return max(needed, 1.25 * prob.big_l)
