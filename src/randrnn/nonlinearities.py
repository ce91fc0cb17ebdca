r"""Single-unit transfer functions :math:`\phi`, their derivatives and their Gaussian averages.

Concrete nonlinearities (all frozen, final):

- :class:`Tanh` -- :math:`\tanh x`.
- :class:`Erf` -- :math:`\mathrm{erf}(\sqrt{\pi} x / 2)`, slope 1 at 0 like tanh, with closed-form
  Gaussian integrals.
- :class:`ReLU` -- :math:`\max(x, 0)`.
- :class:`Sigmoid` -- the logistic function :math:`1/(1 + e^{-x})` (rates in (0, 1), as in
  trained E/I networks).
- :class:`Linear` -- :math:`x`.
- :class:`Custom` -- any user function, with its derivative or a numerical one.

Capabilities instead of type checks: every nonlinearity says whether it is odd
(:attr:`~AbstractNonlinearity.is_odd`) and bounded (:attr:`~AbstractNonlinearity.is_bounded`),
and offers the closed forms of its Gaussian averages over :math:`x = m + \sqrt v\, z`,
:math:`z \sim \mathcal N(0, 1)`, returning ``None`` where there is none:

- :meth:`~AbstractNonlinearity.gaussian_mean` -- :math:`E[\phi(x)]`;
- :meth:`~AbstractNonlinearity.gaussian_gain` -- :math:`E[\phi'(x)]`;
- :meth:`~AbstractNonlinearity.gaussian_second_moment` -- :math:`E[\phi(x)^2]`;
- :meth:`~AbstractNonlinearity.gaussian_gain_second_moment` -- :math:`E[\phi'(x)^2]`;
- :meth:`~AbstractNonlinearity.gaussian_correlation` and
  :meth:`~AbstractNonlinearity.gaussian_correlation_derivative` -- :math:`E[\phi(u)\phi(v)]`
  for zero-mean :math:`u, v` of equal variance and its derivatives in the covariance.

:mod:`randrnn.gaussian` uses them and falls back to quadrature. :func:`nonlinearity` builds one
from its name (used by config files and the CLI).
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, final

import numpy as np
from scipy import special

from randrnn._typing import FloatArray

_ERF_SCALE = math.sqrt(math.pi) / 2.0
#: erf(a x) with a = sqrt(pi)/2: 2 a^2 = pi / 2 enters every closed form
_ERF_K2 = math.pi / 2.0
_EPS = float(np.finfo(float).eps)
#: step of the numerical derivative: eps^(1/5) balances the h^4 truncation of the five-point
#: stencil against its eps / h rounding
_FD_STEP = _EPS**0.2


def _std_normal_pdf(x: FloatArray | float) -> Any:
    return np.exp(-0.5 * np.square(x)) / math.sqrt(2.0 * math.pi)


class AbstractNonlinearity(abc.ABC):
    r"""Interface of a transfer function.

    ``phi(x)`` and ``phi.derivative(x)`` evaluate :math:`\phi` and :math:`\phi'`;
    ``is_odd`` and ``is_bounded`` describe it; the ``gaussian_*`` methods return closed forms
    of Gaussian averages, or ``None`` when the class has none (then :mod:`randrnn.gaussian`
    integrates numerically).
    """

    name: ClassVar[str] = "abstract"
    #: True if ``phi(-x) == -phi(x)`` (needed by the classical-particle DMFT method).
    odd: ClassVar[bool] = False
    #: True if ``sup |phi|`` is finite (activity cannot grow without bound).
    bounded: ClassVar[bool] = False

    @abc.abstractmethod
    def __call__(self, x: FloatArray) -> FloatArray:
        """Evaluate :math:`\\phi(x)` elementwise."""

    @abc.abstractmethod
    def derivative(self, x: FloatArray) -> FloatArray:
        """Evaluate :math:`\\phi'(x)` elementwise."""

    def antiderivative(self, x: FloatArray) -> FloatArray:
        r"""Evaluate :math:`\Phi(x) = \int_0^x \phi(u)\,du` elementwise.

        Raises
        ------
        TypeError
            If this nonlinearity has no closed-form antiderivative.
        """
        raise TypeError(
            f"`phi` must have a closed-form antiderivative (tanh, erf, relu, linear); "
            f"got {self.name!r}."
        )

    @property
    def has_antiderivative(self) -> bool:
        """Whether :meth:`antiderivative` has a closed form."""
        return type(self).antiderivative is not AbstractNonlinearity.antiderivative

    @property
    def is_odd(self) -> bool:
        """Whether :math:`\\phi` is odd."""
        return self.odd

    @property
    def is_bounded(self) -> bool:
        """Whether :math:`\\phi` is bounded."""
        return self.bounded

    # -- closed forms of Gaussian averages (None: no closed form) ----------------------------

    def gaussian_mean(self, mean: float, var: float) -> float | None:
        r"""Return :math:`E[\phi(m + \sqrt v z)]` in closed form, or None."""
        return None

    def gaussian_gain(self, mean: float, var: float) -> float | None:
        r"""Return :math:`E[\phi'(m + \sqrt v z)]` in closed form, or None."""
        return None

    def gaussian_second_moment(self, mean: float, var: float) -> float | None:
        r"""Return :math:`E[\phi(m + \sqrt v z)^2]` in closed form, or None."""
        return None

    def gaussian_gain_second_moment(self, mean: float, var: float) -> float | None:
        r"""Return :math:`E[\phi'(m + \sqrt v z)^2]` in closed form, or None."""
        return None

    def gaussian_correlation(self, var: float, cov: float | FloatArray) -> FloatArray | None:
        r"""Return :math:`E[\phi(u)\phi(v)]` (zero means, variances ``var``) or None."""
        return None

    def gaussian_derivative_averages(
        self, mean: FloatArray, var: FloatArray, order: int
    ) -> FloatArray | None:
        r"""Return :math:`E[\phi^{(k)}(m + \sqrt v z)]`, ``k = 0..order``, stacked on a first
        axis, for arrays of means and variances (same shape) in closed form, or None."""
        return None

    def gaussian_correlation_derivative(
        self, var: float, cov: float | FloatArray, order: int
    ) -> FloatArray | None:
        r"""Return :math:`d^k E[\phi(u)\phi(v)] / dc^k` at ``cov`` in closed form, or None."""
        return None

    def gaussian_correlation_at_mean(
        self, mean: float, var: float, cov: FloatArray, order: int = 0
    ) -> FloatArray | None:
        r"""Return :math:`d^k E[\phi(m+u)\phi(m+v)]/dc^k` (common mean ``mean``) or None.

        ``u, v`` have variance ``var > 0`` and covariance ``cov``; ``order`` = k >= 0. Closed
        forms where the class has one (linear, ReLU), otherwise None (callers then tabulate
        by quadrature).
        """
        return None

    def sup_abs(self) -> float:
        r"""Return :math:`\sup|\phi|` (``inf`` when unbounded), from the grid that decides
        :attr:`is_bounded` for a custom function (:math:`|x| \le 10^{12}`)."""
        if not self.is_bounded:
            return math.inf
        _, inner, outer = _looks_bounded(self)
        return max(inner, outer)

    def to_config(self) -> str:
        """Return the name used in config files."""
        return self.name


@final
@dataclass(frozen=True, slots=True)
class Tanh(AbstractNonlinearity):
    r""":math:`\phi(x) = \tanh x` (Gaussian averages by quadrature: no closed forms)."""

    name: ClassVar[str] = "tanh"
    odd: ClassVar[bool] = True
    bounded: ClassVar[bool] = True

    def __call__(self, x: FloatArray) -> FloatArray:
        return np.tanh(x)

    def derivative(self, x: FloatArray) -> FloatArray:
        e = np.exp(-2.0 * np.abs(np.asarray(x, dtype=float)))
        return 4.0 * e / (1.0 + e) ** 2  # sech^2 without the overflow of cosh at large |x|

    def antiderivative(self, x: FloatArray) -> FloatArray:
        a = np.abs(x)
        return a + np.log1p(np.exp(-2.0 * a)) - math.log(2.0)


@final
@dataclass(frozen=True, slots=True)
class Sigmoid(AbstractNonlinearity):
    r""":math:`\phi(x) = 1/(1 + e^{-x})`; :math:`\phi' = \phi(1 - \phi)` (quadrature averages).

    Examples
    --------
    >>> float(Sigmoid()(np.array(0.0))), float(Sigmoid().derivative(np.array(0.0)))
    (0.5, 0.25)
    """

    name: ClassVar[str] = "sigmoid"
    bounded: ClassVar[bool] = True

    def __call__(self, x: FloatArray) -> FloatArray:
        return special.expit(x)

    def derivative(self, x: FloatArray) -> FloatArray:
        s = special.expit(x)
        return s * (1.0 - s)

    def antiderivative(self, x: FloatArray) -> FloatArray:
        return np.logaddexp(0.0, x) - math.log(2.0)  # log(1 + e^x), zero at x = 0


@final
@dataclass(frozen=True, slots=True)
class Erf(AbstractNonlinearity):
    r""":math:`\phi(x) = \mathrm{erf}(\sqrt{\pi}\,x/2)`; :math:`\phi'(x) = e^{-\pi x^2/4}`.

    Closed forms with :math:`k = \pi/2`: :math:`E[\phi] = \mathrm{erf}(\sqrt{\pi} m / 2 /
    \sqrt{1 + k v})`, :math:`E[\phi'] = e^{-k m^2/(2(1+kv))}/\sqrt{1 + kv}`,
    :math:`E[\phi'^2] = e^{-k m^2/(1+2kv)}/\sqrt{1 + 2kv}`, :math:`E[\phi^2]` through Owen's
    :math:`T` function, and the correlation :math:`\frac{2}{\pi}\arcsin\frac{kc}{1+kv}`.
    """

    name: ClassVar[str] = "erf"
    odd: ClassVar[bool] = True
    bounded: ClassVar[bool] = True
    #: the factor :math:`\sqrt{\pi}/2` multiplying ``x`` inside erf
    scale: ClassVar[float] = _ERF_SCALE

    def __call__(self, x: FloatArray) -> FloatArray:
        return special.erf(_ERF_SCALE * np.asarray(x))

    def derivative(self, x: FloatArray) -> FloatArray:
        return np.exp(-(_ERF_SCALE**2) * np.asarray(x) ** 2)

    def antiderivative(self, x: FloatArray) -> FloatArray:
        x = np.asarray(x, dtype=float)
        a = _ERF_SCALE
        return x * special.erf(a * x) + (np.exp(-((a * x) ** 2)) - 1.0) / (a * math.sqrt(math.pi))

    def gaussian_mean(self, mean: float, var: float) -> float:
        return float(special.erf(_ERF_SCALE * mean / math.sqrt(1.0 + _ERF_K2 * var)))

    def gaussian_gain(self, mean: float, var: float) -> float:
        q = 1.0 + _ERF_K2 * var
        return math.exp(-0.5 * _ERF_K2 * mean * mean / q) / math.sqrt(q)

    def gaussian_second_moment(self, mean: float, var: float) -> float:
        # erf(a x) = 2 Phi(b x) - 1 with b = sqrt(2) a; E[Phi(h0 + s z)^2] =
        # Phi(h) - 2 T(h, 1/sqrt(1 + 2 s^2)), h = h0 / sqrt(1 + s^2) (Owen 1980, table 10,010.8)
        b = math.sqrt(2.0) * _ERF_SCALE
        h0, s = b * mean, b * math.sqrt(var)
        h = h0 / math.sqrt(1.0 + s * s)
        e_phi = float(special.ndtr(h))
        e_phi2 = e_phi - 2.0 * float(special.owens_t(h, 1.0 / math.sqrt(1.0 + 2.0 * s * s)))
        return 4.0 * e_phi2 - 4.0 * e_phi + 1.0

    def gaussian_gain_second_moment(self, mean: float, var: float) -> float:
        q = 1.0 + 2.0 * _ERF_K2 * var
        return math.exp(-_ERF_K2 * mean * mean / q) / math.sqrt(q)

    def gaussian_correlation(self, var: float, cov: float | FloatArray) -> FloatArray:
        c = np.asarray(cov, dtype=float)
        return (2.0 / math.pi) * np.arcsin(_ERF_K2 * c / (1.0 + _ERF_K2 * float(var)))

    def gaussian_derivative_averages(
        self, mean: FloatArray, var: FloatArray, order: int
    ) -> FloatArray:
        # E[phi'] = exp(-k m^2 / 2q) / sqrt(q), q = 1 + k v; higher orders are its m-derivatives
        m, v = np.asarray(mean, dtype=float), np.asarray(var, dtype=float)
        q = 1.0 + _ERF_K2 * v
        g1 = np.exp(-0.5 * _ERF_K2 * m * m / q) / np.sqrt(q)
        a = _ERF_K2 * m / q
        vals = [special.erf(_ERF_SCALE * m / np.sqrt(q)), g1, -a * g1, (a * a - _ERF_K2 / q) * g1]
        return np.stack(vals[: order + 1])

    def gaussian_correlation_derivative(
        self, var: float, cov: float | FloatArray, order: int
    ) -> FloatArray:
        c = np.asarray(cov, dtype=float)
        kap = _ERF_K2 / (1.0 + _ERF_K2 * float(var))
        u = kap * c
        q = 1.0 - u * u
        if order == 1:
            return (2.0 / math.pi) * kap / np.sqrt(q)
        if order == 2:
            return (2.0 / math.pi) * kap**2 * u / q**1.5
        if order == 3:
            return (2.0 / math.pi) * kap**3 * (1.0 + 2.0 * u * u) / q**2.5
        raise ValueError(f"`order` must be 1, 2 or 3 for erf; got {order!r}.")


@final
@dataclass(frozen=True, slots=True)
class ReLU(AbstractNonlinearity):
    r""":math:`\phi(x) = \max(x, 0)`, with :math:`\phi'(0) = 0`.

    Closed forms with :math:`s = \sqrt v`, :math:`h = m/s`: :math:`E[\phi] = m\Phi(h) +
    s\varphi(h)`, :math:`E[\phi'] = E[\phi'^2] = \Phi(h)`, :math:`E[\phi^2] = (m^2 + v)\Phi(h)
    + m s \varphi(h)`, and the arc-cosine correlation kernel.
    """

    name: ClassVar[str] = "relu"

    def __call__(self, x: FloatArray) -> FloatArray:
        return np.maximum(x, 0.0)

    def derivative(self, x: FloatArray) -> FloatArray:
        return (np.asarray(x) > 0).astype(float)

    def antiderivative(self, x: FloatArray) -> FloatArray:
        return 0.5 * np.maximum(x, 0.0) ** 2

    def gaussian_mean(self, mean: float, var: float) -> float:
        if var <= 0.0:
            return max(mean, 0.0)
        s = math.sqrt(var)
        h = mean / s
        return mean * float(special.ndtr(h)) + s * float(_std_normal_pdf(h))

    def gaussian_gain(self, mean: float, var: float) -> float:
        if var <= 0.0:
            return 1.0 if mean > 0 else 0.0
        return float(special.ndtr(mean / math.sqrt(var)))

    def gaussian_second_moment(self, mean: float, var: float) -> float:
        if var <= 0.0:
            return max(mean, 0.0) ** 2
        s = math.sqrt(var)
        h = mean / s
        return (mean * mean + var) * float(special.ndtr(h)) + mean * s * float(_std_normal_pdf(h))

    def gaussian_gain_second_moment(self, mean: float, var: float) -> float:
        return self.gaussian_gain(mean, var)

    def gaussian_correlation_at_mean(
        self, mean: float, var: float, cov: FloatArray, order: int = 0
    ) -> FloatArray:
        # truncated bivariate normal moments (Rosenbaum 1961), the orthant probability through
        # Owen's T function: Phi_2(a, a; r) = Phi(a) - 2 T(a, sqrt((1 - r) / (1 + r)))
        c = np.asarray(cov, dtype=float)
        sd = math.sqrt(var)
        a = mean / sd
        r = np.clip(c / var, -1.0 + 1e-16, 1.0)
        s = np.sqrt((1.0 - r) / (1.0 + r))
        p2 = special.ndtr(a) - 2.0 * special.owens_t(a, s)
        if order == 0:
            pdf = math.exp(-0.5 * a * a) / math.sqrt(2.0 * math.pi)
            tail = np.sqrt(1.0 - r * r) * np.exp(-a * a / (1.0 + r)) / (2.0 * math.pi)
            return var * ((a * a + r) * p2 + 2.0 * a * pdf * special.ndtr(a * s) + tail)
        if order == 1:
            return p2
        with np.errstate(divide="ignore", invalid="ignore"):
            dens = np.exp(-a * a / (1.0 + r)) / (2.0 * math.pi * np.sqrt(1.0 - r * r))
            if order == 2:
                return dens / var
            if order == 3:
                return dens * (a * a / (1.0 + r) ** 2 + r / (1.0 - r * r)) / var**2
        return np.full(c.shape, np.nan)

    def gaussian_correlation(self, var: float, cov: float | FloatArray) -> FloatArray:
        v = float(var)
        c = np.asarray(cov, dtype=float)
        if v <= 0.0:
            return np.zeros_like(c)
        rho = np.clip(c / v, -1.0, 1.0)
        theta = np.arccos(rho)
        return (v / (2.0 * math.pi)) * (np.sqrt(1.0 - rho * rho) + (math.pi - theta) * rho)

    def gaussian_correlation_derivative(
        self, var: float, cov: float | FloatArray, order: int
    ) -> FloatArray:
        v = float(var)
        c = np.asarray(cov, dtype=float)
        if v <= 0:
            return np.zeros(c.shape)
        rho = np.clip(c / v, -1.0, 1.0)
        if order == 1:
            return (math.pi - np.arccos(rho)) / (2.0 * math.pi)
        if order == 2:
            with np.errstate(divide="ignore"):
                return 1.0 / (2.0 * math.pi * v * np.sqrt(1.0 - rho * rho))
        return np.full(c.shape, np.nan)  # singular at c = var; never needed

    def gaussian_derivative_averages(
        self, mean: FloatArray, var: FloatArray, order: int
    ) -> FloatArray:
        # the kink gives E[phi''] = pdf(h) / s and its m-derivative; var = 0: phi^(k)(m)
        m, v = np.asarray(mean, dtype=float), np.asarray(var, dtype=float)
        s = np.sqrt(v)
        pos = s > 0
        s1 = np.where(pos, s, 1.0)
        h = np.where(pos, m / s1, 0.0)
        pdf = np.asarray(_std_normal_pdf(h))
        cdf = special.ndtr(h)
        vals = [
            np.where(pos, m * cdf + s * pdf, np.maximum(m, 0.0)),
            np.where(pos, cdf, (m > 0).astype(float)),
            np.where(pos, pdf / s1, 0.0),
            np.where(pos, -h * pdf / s1**2, 0.0),
        ]
        return np.stack(vals[: order + 1])


@final
@dataclass(frozen=True, slots=True)
class Linear(AbstractNonlinearity):
    r""":math:`\phi(x) = x` (Gaussian averages: :math:`m`, 1, :math:`m^2 + v`, 1, :math:`c`)."""

    name: ClassVar[str] = "linear"
    odd: ClassVar[bool] = True

    def __call__(self, x: FloatArray) -> FloatArray:
        return np.asarray(x) * 1.0

    def derivative(self, x: FloatArray) -> FloatArray:
        return np.ones_like(np.asarray(x, dtype=float))

    def antiderivative(self, x: FloatArray) -> FloatArray:
        return 0.5 * np.asarray(x) ** 2

    def gaussian_mean(self, mean: float, var: float) -> float:
        return float(mean)

    def gaussian_gain(self, mean: float, var: float) -> float:
        return 1.0

    def gaussian_second_moment(self, mean: float, var: float) -> float:
        return float(mean * mean + var)

    def gaussian_gain_second_moment(self, mean: float, var: float) -> float:
        return 1.0

    def gaussian_correlation_at_mean(
        self, mean: float, var: float, cov: FloatArray, order: int = 0
    ) -> FloatArray:
        c = np.asarray(cov, dtype=float)
        if order == 0:
            return mean * mean + c
        return np.full(c.shape, 1.0 if order == 1 else 0.0)

    def gaussian_correlation(self, var: float, cov: float | FloatArray) -> FloatArray:
        return np.asarray(cov, dtype=float) * 1.0

    def gaussian_correlation_derivative(
        self, var: float, cov: float | FloatArray, order: int
    ) -> FloatArray:
        return np.full(np.shape(cov), 1.0 if order == 1 else 0.0)

    def gaussian_derivative_averages(
        self, mean: FloatArray, var: FloatArray, order: int
    ) -> FloatArray:
        m = np.asarray(mean, dtype=float) + 0.0 * np.asarray(var, dtype=float)
        vals = [m, np.ones_like(m), np.zeros_like(m), np.zeros_like(m)]
        return np.stack(vals[: order + 1])


def _five_point_derivative(f: Callable[[Any], Any], x: FloatArray, h: FloatArray) -> FloatArray:
    """Fourth-order central difference of ``f`` at ``x`` with steps ``h`` (same shape)."""
    fm2 = np.asarray(f(x - 2.0 * h), dtype=float)
    fm1 = np.asarray(f(x - h), dtype=float)
    fp1 = np.asarray(f(x + h), dtype=float)
    fp2 = np.asarray(f(x + 2.0 * h), dtype=float)
    return (fm2 - 8.0 * fm1 + 8.0 * fp1 - fp2) / (12.0 * h)


def _numerical_derivative(f: Callable[[Any], Any], x: Any) -> FloatArray:
    xa = np.asarray(x, dtype=float)
    h = _FD_STEP * np.maximum(1.0, np.abs(xa))
    return _five_point_derivative(f, xa, h)


#: grid on which a supplied derivative is compared with finite differences; the offset keeps
#: the nodes (and their stencils) away from 0, where kinked functions usually break
_CHECK_GRID = np.linspace(-3.0, 3.0, 61) + 0.0137


def _derivative_mismatch(f: Callable[[Any], Any], deriv: Callable[[Any], Any]) -> str | None:
    """Compare ``deriv`` with finite differences of ``f``; describe the worst disagreement."""
    x = _CHECK_GRID
    h = _FD_STEP * np.maximum(1.0, np.abs(x))
    d1 = _five_point_derivative(f, x, h)
    d2 = _five_point_derivative(f, x, 2.0 * h)
    given = np.asarray(deriv(x), dtype=float)
    if given.shape != x.shape:
        return f"`deriv` returned shape {given.shape} for input shape {x.shape}"
    stencil = (x[:, None] + np.arange(-4, 5) * h[:, None] / 2).ravel()
    scale = np.max(np.abs(np.asarray(f(stencil), dtype=float)).reshape(x.size, 9), axis=1)
    # truncation: d1 errs by ~|d1 - d2| / 15 (Richardson, h^4); 2 |d1 - d2| bounds it with room
    # and also covers stencils that straddle a kink. Rounding: the stencil's coefficients sum to
    # 1.5 / h in absolute value, so eps * scale * 1.5 / h, times 16 for the evaluations of f.
    tol = 2.0 * np.abs(d1 - d2) + 16.0 * _EPS * (1.5 * scale / h + np.abs(d1))
    bad = ~(np.abs(given - d1) <= tol)
    if not np.any(bad):
        return None
    i = int(np.argmax(np.where(bad, np.abs(given - d1) - tol, -np.inf)))
    return (
        f"at x={x[i]:.4g} `deriv` gives {given[i]:.6g} but finite differences of `func` give "
        f"{d1[i]:.6g} (allowed difference {tol[i]:.1e}; {int(bad.sum())} of {x.size} grid points "
        "disagree)"
    )


def _looks_bounded(f: Callable[[Any], Any]) -> tuple[bool, float, float]:
    """Heuristic: does ``sup |f|`` over ``|x| <= 1e12`` stay within twice its value on [-100, 100]?

    Returns the verdict and the two maxima.
    """
    inner = np.linspace(-100.0, 100.0, 4001)
    outer = np.logspace(2.0, 12.0, 81)
    outer = np.concatenate([-outer, outer])
    with np.errstate(all="ignore"):
        m_in = float(np.max(np.abs(np.asarray(f(inner), dtype=float))))
        y_out = np.abs(np.asarray(f(outer), dtype=float))
    m_out = float(np.max(y_out)) if np.all(np.isfinite(y_out)) else math.inf
    return bool(math.isfinite(m_in) and m_out <= 2.0 * m_in + 1e-300), m_in, m_out


@final
@dataclass(frozen=True, slots=True)
class Custom(AbstractNonlinearity):
    r"""A user-supplied nonlinearity.

    Parameters
    ----------
    func : callable
        Vectorised :math:`\phi`.
    deriv : callable, optional
        Vectorised :math:`\phi'`. It is checked at construction against finite differences of
        ``func`` at 61 points of :math:`[-3, 3]`; a disagreement beyond the finite-difference
        error estimate raises ``ValueError``. Without it, :meth:`derivative` differentiates
        ``func`` numerically with the fourth-order central difference
        :math:`[f(x-2h) - 8f(x-h) + 8f(x+h) - f(x+2h)]/12h`,
        :math:`h = \epsilon^{1/5}\max(1, |x|) \approx 7\times 10^{-4}\max(1,|x|)`: error
        :math:`h^4 |f^{(5)}|/30` (truncation) plus :math:`1.5\,\epsilon |f|/h` (rounding),
        about :math:`10^{-14}\max(1,|x|)^4 |f^{(5)}| + 5\times 10^{-13} |f|/\max(1,|x|)`
        near ``x``: :math:`10^{-12}` for unit-scale smooth functions at :math:`|x| \le 3`
        (at a kink it returns a weighted mean of the one-sided slopes).
    label : str
        Name recorded with results.
    is_odd_function : bool
        Declare :math:`\phi` odd (checked numerically on a grid).
    is_bounded_function : bool, optional
        Declare :math:`\phi` bounded (True, checked) or unbounded (False). By default it is
        detected: bounded when :math:`\sup|\phi|` over :math:`|x| \le 10^{12}` (a logarithmic
        grid) is at most twice its maximum over :math:`[-100, 100]`.

    Examples
    --------
    >>> import numpy as np
    >>> f = Custom(np.sin)                      # numerical derivative
    >>> bool(abs(f.derivative(np.array(0.3)) - np.cos(0.3)) < 1e-11), f.is_bounded
    (True, True)
    >>> Custom(np.sin, deriv=np.tanh)           # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `deriv` must be the derivative of `func`; got a mismatch: at x=...
    """

    name: ClassVar[str] = "custom"
    func: Callable[[Any], Any]
    deriv: Callable[[Any], Any] | None = None
    label: str = "custom"
    is_odd_function: bool = False
    is_bounded_function: bool | None = None

    def __post_init__(self) -> None:
        if not callable(self.func):
            raise TypeError(f"`func` must be callable; got {self.func!r}.")
        if self.deriv is not None and not callable(self.deriv):
            raise TypeError(
                f"`deriv` must be callable or None (numerical derivative); got {self.deriv!r}."
            )
        if not isinstance(self.label, str):
            raise TypeError(f"`label` must be a string; got {self.label!r}.")
        grid = np.linspace(-3.0, 3.0, 61)
        y = np.asarray(self.func(grid), dtype=float)
        if y.shape != grid.shape:
            raise ValueError(
                f"`func` must be vectorised (same shape out as in); got shape {y.shape} "
                f"for input shape {grid.shape}."
            )
        if not np.all(np.isfinite(y)):
            raise ValueError("`func` must be finite on [-3, 3]; got non-finite values.")
        if not isinstance(self.is_odd_function, (bool, np.bool_)):
            raise TypeError(f"`is_odd_function` must be a bool; got {self.is_odd_function!r}.")
        if self.is_odd_function and not np.allclose(y, -np.asarray(self.func(-grid)), atol=1e-12):
            raise ValueError("`is_odd_function` must match `func`; got True for a non-odd func.")
        if self.deriv is not None:
            problem = _derivative_mismatch(self.func, self.deriv)
            if problem is not None:
                raise ValueError(
                    f"`deriv` must be the derivative of `func`; got a mismatch: {problem}. "
                    "Fix `deriv`, or omit it to differentiate `func` numerically."
                )
        declared = self.is_bounded_function
        if declared is not None and not isinstance(declared, (bool, np.bool_)):
            raise TypeError(f"`is_bounded_function` must be a bool or None; got {declared!r}.")
        if declared is None or declared:
            bounded, m_in, m_out = _looks_bounded(self.func)
            if declared and not bounded:
                raise ValueError(
                    "`is_bounded_function` must match `func`; got True but max |func| grows "
                    f"from {m_in:.3g} on [-100, 100] to {m_out:.3g} for |x| <= 1e12."
                )
            object.__setattr__(self, "is_bounded_function", bounded)

    @property
    def is_odd(self) -> bool:
        return bool(self.is_odd_function)

    @property
    def is_bounded(self) -> bool:
        return bool(self.is_bounded_function)

    def __call__(self, x: FloatArray) -> FloatArray:
        return np.asarray(self.func(x))

    def derivative(self, x: FloatArray) -> FloatArray:
        if self.deriv is None:
            return _numerical_derivative(self.func, x)
        return np.asarray(self.deriv(x))

    def to_config(self) -> str:
        return f"custom:{self.label}"


_BY_NAME: dict[str, type[AbstractNonlinearity]] = {
    "tanh": Tanh,
    "erf": Erf,
    "relu": ReLU,
    "linear": Linear,
    "sigmoid": Sigmoid,
}


def nonlinearity(name: str | AbstractNonlinearity) -> AbstractNonlinearity:
    """Return the nonlinearity called ``name`` (``tanh``, ``erf``, ``relu``, ``linear``, ...).

    Names: ``tanh``, ``erf``, ``relu``, ``linear``, ``sigmoid``.

    Parameters
    ----------
    name : str or AbstractNonlinearity
        A name, or an instance (returned unchanged).

    Returns
    -------
    AbstractNonlinearity
        The transfer function.
    """
    if isinstance(name, AbstractNonlinearity):
        return name
    if not isinstance(name, str) or name.lower() not in _BY_NAME:
        raise ValueError(
            f"`phi` must be one of {sorted(_BY_NAME)} or a Custom instance; got {name!r}. "
            "Pass randrnn.Custom(func=...) for another function."
        )
    return _BY_NAME[name.lower()]()
