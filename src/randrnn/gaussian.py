r"""Gaussian expectations of transfer functions, shared by all theory code.

Mean-field theories of random networks reduce to averages of :math:`\phi` over one Gaussian
variable or over a pair of correlated Gaussian variables (docs/theory.md section 2). This module
computes them accurately over the whole range of variances and correlations a solver visits:
small and large variances, positive and negative correlations.

One variable, :math:`x \sim \mathcal N(m, v)` (mean ``m = 0`` unless given):

- :func:`expect` -- :math:`E[f(x)]` for any vectorised ``f``.
- :func:`mean`, :func:`gain`, :func:`second_moment`, :func:`gain_second_moment` --
  :math:`\mu_0 = E[\phi]`, :math:`\mu_1 = E[\phi']`, :math:`E[\phi^2]`, :math:`E[\phi'^2]`.
- :func:`derivative_averages` -- :math:`E[\phi^{(k)}]`, ``k = 0..3``, vectorised over arrays of
  means and variances (the latent dynamics of low-rank networks evaluate it on whole grids).

Two variables of equal variance :math:`v` and covariance :math:`c`:

- :func:`expect_pair` -- :math:`E[f(u)\,h(v)]` by nested quadrature (common mean allowed).
- :func:`correlation` -- :math:`C(c) = E[\phi(u)\phi(v)]` at zero mean.
- :func:`erf_correlation`, :func:`relu_correlation` -- the closed forms.
- :func:`correlation_function` -- the fast path: :math:`C` on :math:`[c_{lo}, v]` as a
  :class:`CorrelationFunction` (closed form, or a Chebyshev table of adaptive degree that is
  evaluated and differentiated at any array of covariances).

Quadrature: the trapezoidal rule in the original variable :math:`x` with step
``h = min(0.25, std / 1.5)`` over :math:`\pm 8.6` standard deviations. For integrands analytic in
the strip :math:`|\mathrm{Im}\,x| < \pi/2` (tanh, erf, the Gaussian) its error is of order
:math:`e^{-2\pi (\pi/2)/h} \approx 10^{-17}`, independent of the variance, which is why it stays
accurate at large variance where low-order Gauss-Hermite rules fail. Functions with kinks
(ReLU, user functions with corners) converge only as :math:`h^2` with it; ReLU uses closed forms.

Closed forms are not chosen here: each nonlinearity offers its own (``phi.gaussian_mean``,
``phi.gaussian_gain``, ``phi.gaussian_second_moment``, ``phi.gaussian_gain_second_moment``,
``phi.gaussian_correlation``, ``phi.gaussian_correlation_derivative``; erf, ReLU and linear
have them, tanh and user functions do not), and these functions fall back to the quadrature
when a method returns None.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.polynomial import chebyshev as _cheb
from scipy import fft as _fft

from randrnn._typing import FloatArray
from randrnn._validation import check_nonnegative, check_real
from randrnn.nonlinearities import AbstractNonlinearity, Erf, ReLU, nonlinearity

#: trapezoid step (in x) for integrands analytic in |Im x| < pi/2: error ~ exp(-pi^2 / h)
_STEP = 0.25
#: the Gaussian weight must be resolved: std / h >= 1.5 gives an error ~ exp(-2 pi^2 1.5^2)
_STD_PER_STEP = 1.5
#: half-width of the quadrature range in standard deviations: exp(-8.6^2 / 2) ~ 1e-16
_RANGE = 8.6


def _nodes(var: float, step: float = _STEP) -> tuple[FloatArray, FloatArray]:
    """Trapezoid nodes and weights for :math:`E[f(x)]`, :math:`x \\sim N(0, var)`."""
    if var <= 0.0:
        return np.zeros(1), np.ones(1)
    std = math.sqrt(var)
    h = min(step, std / _STD_PER_STEP)
    n = math.ceil(_RANGE * std / h)
    x = h * np.arange(-n, n + 1, dtype=float)
    w = (h / math.sqrt(2.0 * math.pi * var)) * np.exp(-0.5 * x * x / var)
    return x, w


def expect(f: Callable[[Any], Any], var: float, *, mean: float = 0.0, step: float = _STEP) -> float:
    r"""Return :math:`E[f(x)]` for :math:`x \sim \mathcal N(\mathrm{mean}, \mathrm{var})`.

    Parameters
    ----------
    f : callable
        Vectorised function of one array.
    var : float
        Variance, >= 0 (``var = 0`` returns ``f(mean)``).
    mean : float
        Mean of :math:`x`; the nodes are shifted, so the accuracy does not depend on it.
    step : float
        Largest trapezoid step in ``x``; the default suits functions analytic in the strip
        :math:`|\mathrm{Im}\,x| < \pi/2` (tanh) or entire (erf).

    Returns
    -------
    float
        The expectation.

    Notes
    -----
    Trapezoidal rule in ``x`` (not in ``x / std``), so the error does not grow with the
    variance (see the module notes; docs/theory.md section 2, "Gaussian expectations").

    **Assumptions and approximations**

    - ``f`` grows at most polynomially; kinks reduce the accuracy to :math:`O(h^2)`.

    Examples
    --------
    >>> import numpy as np
    >>> bool(abs(expect(lambda x: x**2, 9.0) - 9.0) < 1e-13)
    True
    >>> bool(abs(expect(np.tanh, 100.0)) < 1e-15)   # odd function, large variance
    True
    >>> bool(abs(expect(lambda x: x**2, 4.0, mean=3.0) - 13.0) < 1e-13)   # m^2 + v
    True
    """
    var = check_nonnegative("var", var)
    mean = check_real("mean", mean)
    x, w = _nodes(var, step)
    return float(np.dot(w, np.asarray(f(mean + x if mean else x), dtype=float)))


def expect_pair(
    f: Callable[[Any], Any],
    h: Callable[[Any], Any],
    var: float,
    cov: float | FloatArray,
    *,
    mean: float = 0.0,
    step: float = _STEP,
) -> FloatArray:
    r"""Return :math:`E[f(u)\,h(v)]` for jointly Gaussian :math:`u, v` of equal variance.

    Parameters
    ----------
    f, h : callable
        Vectorised functions.
    var : float
        Common variance :math:`E[u^2] = E[v^2]`, >= 0.
    cov : float or array_like
        Covariance(s) :math:`E[uv] - E[u]E[v]`, each in ``[-var, var]`` (negative allowed).
    mean : float
        Common mean of :math:`u` and :math:`v` (default 0).
    step : float
        Largest trapezoid step, as in :func:`expect`.

    Returns
    -------
    ndarray
        The expectation for each covariance (shape of ``cov``).

    Notes
    -----
    With :math:`a = \sqrt{|c|}`, :math:`b = \sqrt{v - |c|}` write :math:`u = a z_0 + b z_1`,
    :math:`v = \pm a z_0 + b z_2` (sign of :math:`c`), so that
    :math:`E[f(u)h(v)] = E_{z_0}[m_f(a z_0)\, m_h(\pm a z_0)]` with the Gaussian-smoothed
    functions :math:`m_f(y) = E_z f(y + b z)`. Both levels use the trapezoidal rule of
    :func:`expect`.

    **Assumptions and approximations**

    - Equal variances (the stationary DMFT case, docs/theory.md section 2).
    - As in :func:`expect` for the smoothness of ``f`` and ``h``.

    Examples
    --------
    >>> import numpy as np
    >>> c = expect_pair(np.tanh, np.tanh, 2.0, [-1.0, 0.0, 1.0])
    >>> bool(abs(c[0] + c[2]) < 1e-14 and abs(c[1]) < 1e-15)   # odd phi: C(-c) = -C(c)
    True
    """
    var = check_nonnegative("var", var)
    mean = check_real("mean", mean)
    if mean:
        same = h is f
        f = _shifted(f, mean)
        h = f if same else _shifted(h, mean)
    covs = np.asarray(cov, dtype=float)
    if np.any(np.abs(covs) > var * (1.0 + 1e-12)):
        raise ValueError(
            f"`cov` must lie in [-var, var] = [{-var!r}, {var!r}]; got values up to "
            f"{float(np.max(np.abs(covs)))!r}. A covariance cannot exceed the variance."
        )
    flat = covs.reshape(-1)
    res = np.empty(flat.shape)
    a2 = np.minimum(np.abs(flat), var)
    b2 = np.maximum(var - a2, 0.0)
    # covariances whose two levels both resolve on the common step share one grid (one matrix
    # product for all of them); the others (near 0 or near +-var) are done one by one
    lim = (_STD_PER_STEP * step) ** 2
    shared = (a2 >= lim) & (b2 >= lim)
    if np.any(shared):
        res[shared] = _pair_shared_grid(f, h, var, flat[shared], a2[shared], b2[shared], step)
    for i in np.nonzero(~shared)[0]:
        y, wy = _nodes(float(a2[i]), step)
        z, wz = _nodes(float(b2[i]), step)
        arg = y[:, None] + z[None, :]
        mf = np.asarray(f(arg), dtype=float) @ wz
        mh = mf if h is f else np.asarray(h(arg), dtype=float) @ wz
        if flat[i] < 0:
            mh = mh[::-1]  # the y grid is symmetric: m_h(-y)
        res[i] = float(np.dot(wy, mf * mh))
    return res.reshape(covs.shape)


def _shifted(f: Callable[[Any], Any], mean: float) -> Callable[[Any], Any]:
    def shifted(x: Any) -> Any:
        return f(mean + x)

    return shifted


def _pair_shared_grid(
    f: Callable[[Any], Any],
    h: Callable[[Any], Any],
    var: float,
    cov: FloatArray,
    a2: FloatArray,
    b2: FloatArray,
    step: float,
) -> FloatArray:
    """:func:`expect_pair` for many covariances on one grid of step ``step``."""
    ny = math.ceil(_RANGE * math.sqrt(float(a2.max())) / step)
    nz = math.ceil(_RANGE * math.sqrt(float(b2.max())) / step)
    x = step * np.arange(-(ny + nz), ny + nz + 1, dtype=float)
    y = step * np.arange(-ny, ny + 1, dtype=float)
    z = step * np.arange(-nz, nz + 1, dtype=float)
    # W[j, k] = weight of inner node j for covariance k; Wy likewise for the outer level
    wz = (step / np.sqrt(2.0 * np.pi * b2)) * np.exp(-0.5 * z[:, None] ** 2 / b2)
    wy = (step / np.sqrt(2.0 * np.pi * a2)) * np.exp(-0.5 * y[:, None] ** 2 / a2)
    fx = np.asarray(f(x), dtype=float)
    # Hankel matrix F[i, j] = f(y_i + z_j) as a strided view: no copy, one evaluation of f
    mf = np.lib.stride_tricks.sliding_window_view(fx, 2 * nz + 1) @ wz
    if h is f:
        mh = mf.copy()
    else:
        hx = np.asarray(h(x), dtype=float)
        mh = np.lib.stride_tricks.sliding_window_view(hx, 2 * nz + 1) @ wz
    neg = cov < 0
    mh[:, neg] = mh[::-1, neg]
    return np.einsum("ik,ik,ik->k", wy, mf, mh)


# ----------------------------------------------------------------------------------------------
# closed forms
# ----------------------------------------------------------------------------------------------


def erf_correlation(var: float, cov: float | FloatArray) -> FloatArray:
    r"""Closed form of :math:`E[\phi(u)\phi(v)]` for :math:`\phi(x) = \mathrm{erf}(\sqrt\pi x/2)`.

    Parameters
    ----------
    var : float
        Common variance.
    cov : float or array_like
        Covariance(s).

    Returns
    -------
    ndarray
        :math:`\frac{2}{\pi}\arcsin\frac{(\pi/2)\,c}{1 + (\pi/2)\,v}`.

    Notes
    -----
    The classical identity :math:`E[\mathrm{erf}(ku)\mathrm{erf}(kv)] =
    \frac{2}{\pi}\arcsin\frac{2k^2 c}{\sqrt{(1+2k^2 v)^2}}` with :math:`k = \sqrt\pi/2`
    (docs/theory.md section 1 defines this scaling of erf).

    **Assumptions and approximations**

    - None (exact).

    Examples
    --------
    >>> import numpy as np
    >>> from randrnn.nonlinearities import Erf
    >>> phi = Erf()
    >>> bool(abs(erf_correlation(3.0, -1.2) - expect_pair(phi, phi, 3.0, -1.2)) < 1e-13)
    True
    """
    return Erf().gaussian_correlation(float(var), cov)


def relu_correlation(var: float, cov: float | FloatArray) -> FloatArray:
    r"""Closed form of :math:`E[\max(u,0)\max(v,0)]` (the arc-cosine kernel).

    Parameters
    ----------
    var : float
        Common variance.
    cov : float or array_like
        Covariance(s).

    Returns
    -------
    ndarray
        :math:`\frac{v}{2\pi}\,[\sin\theta + (\pi - \theta)\cos\theta]`,
        :math:`\cos\theta = c / v`.

    Notes
    -----
    **Assumptions and approximations**

    - None (exact); its derivatives in ``cov`` are singular at ``cov = +-var``.

    Examples
    --------
    >>> bool(abs(relu_correlation(2.0, 2.0) - 1.0) < 1e-15)   # E[relu(x)^2] = var / 2
    True
    """
    return ReLU().gaussian_correlation(float(var), cov)


def _moment(
    phi: AbstractNonlinearity | str,
    var: float,
    mean: float,
    method: str,
    integrand: Callable[[AbstractNonlinearity], Callable[[Any], Any]],
) -> float:
    """Closed form ``phi.<method>(mean, var)`` if the class has one, else quadrature."""
    phi = nonlinearity(phi)
    var = check_nonnegative("var", var)
    mean = check_real("mean", mean)
    closed = getattr(phi, method)(mean, var)
    if closed is not None:
        return float(closed)
    return expect(integrand(phi), var, mean=mean)


def mean(phi: AbstractNonlinearity | str, var: float, *, mean: float = 0.0) -> float:
    r"""Return :math:`\mu_0 = E[\phi(x)]`, :math:`x \sim \mathcal N(\mathrm{mean}, \mathrm{var})`.

    Parameters
    ----------
    phi : AbstractNonlinearity or str
        Transfer function.
    var : float
        Variance.
    mean : float
        Mean of :math:`x` (default 0).

    Returns
    -------
    float
        The mean activity (0 for odd ``phi`` at zero mean; :math:`\sqrt{v/2\pi}` for ReLU).

    Notes
    -----
    Closed form from ``phi.gaussian_mean`` where the class has one (erf, ReLU, linear),
    otherwise the quadrature of :func:`expect`.

    Examples
    --------
    >>> bool(abs(mean("relu", 2 * 3.141592653589793) - 1.0) < 1e-15)
    True
    >>> bool(abs(mean("tanh", 1.0, mean=0.5) - expect(np.tanh, 1.0, mean=0.5)) == 0)
    True
    """
    phi = nonlinearity(phi)
    if mean == 0.0 and phi.is_odd and phi.gaussian_mean(0.0, 1.0) is None:
        check_nonnegative("var", var)
        return 0.0
    return _moment(phi, var, mean, "gaussian_mean", lambda p: p)


def gain(phi: AbstractNonlinearity | str, var: float, *, mean: float = 0.0) -> float:
    r"""Return :math:`\mu_1 = E[\phi'(x)]`, :math:`x \sim \mathcal N(\mathrm{mean}, \mathrm{var})`.

    Parameters
    ----------
    phi : AbstractNonlinearity or str
        Transfer function.
    var : float
        Variance.
    mean : float
        Mean of :math:`x` (default 0).

    Returns
    -------
    float
        The mean gain (:math:`1/\sqrt{1 + \pi v/2}` for erf, 1/2 for ReLU, 1 for linear at
        zero mean).

    Examples
    --------
    >>> bool(abs(gain("erf", 2 / 3.141592653589793) - 2**-0.5) < 1e-15)
    True
    """
    return _moment(phi, var, mean, "gaussian_gain", lambda p: p.derivative)


def second_moment(phi: AbstractNonlinearity | str, var: float, *, mean: float = 0.0) -> float:
    r"""Return :math:`E[\phi(x)^2]`, :math:`x \sim \mathcal N(\mathrm{mean}, \mathrm{var})`.

    Parameters
    ----------
    phi : AbstractNonlinearity or str
        Transfer function.
    var : float
        Variance.
    mean : float
        Mean of :math:`x` (default 0).

    Returns
    -------
    float
        :math:`C(0) = E[\phi^2]` of the stationary DMFT (at zero mean).

    Examples
    --------
    >>> bool(abs(second_moment("linear", 4.0, mean=1.0) - 5.0) < 1e-15)
    True
    """
    return _moment(
        phi, var, mean, "gaussian_second_moment", lambda p: lambda x: np.asarray(p(x)) ** 2
    )


def gain_second_moment(phi: AbstractNonlinearity | str, var: float, *, mean: float = 0.0) -> float:
    r"""Return :math:`E[\phi'(x)^2]`, :math:`x \sim \mathcal N(\mathrm{mean}, \mathrm{var})`.

    Parameters
    ----------
    phi : AbstractNonlinearity or str
        Transfer function.
    var : float
        Variance.
    mean : float
        Mean of :math:`x` (default 0).

    Returns
    -------
    float
        :math:`dC/dc` at :math:`c = v` (Price's theorem) at zero mean.

    Examples
    --------
    >>> bool(abs(gain_second_moment("erf", 1.0) - 1 / (1 + 3.141592653589793) ** 0.5) < 1e-15)
    True
    """
    return _moment(
        phi,
        var,
        mean,
        "gaussian_gain_second_moment",
        lambda p: lambda x: np.asarray(p.derivative(x)) ** 2,
    )


def correlation(phi: AbstractNonlinearity | str, var: float, cov: float | FloatArray) -> FloatArray:
    r"""Return :math:`C(c) = E[\phi(u)\phi(v)]` for equal variances ``var`` and covariance ``cov``.

    Parameters
    ----------
    phi : AbstractNonlinearity or str
        Transfer function.
    var : float
        Common variance.
    cov : float or array_like
        Covariance(s) in ``[-var, var]``.

    Returns
    -------
    ndarray
        ``phi.gaussian_correlation`` where the class has a closed form (erf, ReLU, linear);
        :func:`expect_pair` otherwise.

    Notes
    -----
    The kernel :math:`C(\Delta)` of the DMFT equation (docs/theory.md section 2).

    **Assumptions and approximations**

    - Zero means; otherwise as in :func:`expect_pair`.

    Examples
    --------
    >>> bool(abs(correlation("tanh", 1.0, 1.0) - second_moment("tanh", 1.0)) < 1e-15)
    True
    """
    phi = nonlinearity(phi)
    var = check_nonnegative("var", var)
    closed = phi.gaussian_correlation(var, cov)
    if closed is not None:
        return closed
    return expect_pair(phi, phi, var, cov)


# ----------------------------------------------------------------------------------------------
# fast path: C on an interval of covariances
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class CorrelationFunction:
    r""":math:`C(c) = E[\phi(u)\phi(v)]` at fixed variance, on covariances in ``[lo, var]``.

    Built by :func:`correlation_function`. Call it on an array of covariances; use
    :meth:`derivative` for :math:`d^k C / dc^k` (by Price's theorem
    :math:`E[\phi^{(k)}(u)\phi^{(k)}(v)]`).

    Parameters
    ----------
    phi : AbstractNonlinearity
        Transfer function.
    var : float
        Common variance.
    lo : float
        Smallest covariance covered.
    coefficients : ndarray or None
        Chebyshev coefficients on ``[lo, var]`` (None for a closed form).
    tail : float
        Size of the last Chebyshev coefficients relative to the largest (interpolation error
        estimate; 0 for a closed form).
    """

    phi: AbstractNonlinearity
    var: float
    lo: float
    coefficients: FloatArray | None = None
    tail: float = 0.0
    _deriv_cache: dict[int, FloatArray] = field(default_factory=dict, repr=False)

    @property
    def n_nodes(self) -> int:
        """Number of Chebyshev nodes (0 for a closed form)."""
        return 0 if self.coefficients is None else len(self.coefficients)

    def _x(self, cov: float | FloatArray) -> FloatArray:
        span = self.var - self.lo
        return (2.0 * np.asarray(cov, dtype=float) - (self.var + self.lo)) / span

    def __call__(self, cov: float | FloatArray) -> FloatArray:
        """Evaluate :math:`C` at ``cov``."""
        if self.coefficients is None:
            closed = self.phi.gaussian_correlation(self.var, cov)
            if closed is None:  # zero variance: C is the constant phi(0)^2
                return np.full(np.shape(cov), float(np.asarray(self.phi(np.zeros(1)))[0]) ** 2)
            return closed
        return _cheb.chebval(self._x(cov), self.coefficients)

    def derivative(self, cov: float | FloatArray, order: int = 1) -> FloatArray:
        """Evaluate :math:`d^k C/dc^k` at ``cov`` (``order`` = k >= 1)."""
        c = np.asarray(cov, dtype=float)
        if self.coefficients is None:
            closed = self.phi.gaussian_correlation_derivative(self.var, c, order)
            # no closed form only at zero variance, where C is constant
            return np.zeros(c.shape) if closed is None else closed
        if order not in self._deriv_cache:
            scale = (2.0 / (self.var - self.lo)) ** order
            self._deriv_cache[order] = _cheb.chebder(self.coefficients, order) * scale
        return _cheb.chebval(self._x(c), self._deriv_cache[order])


def correlation_function(
    phi: AbstractNonlinearity | str,
    var: float,
    lo: float | None = None,
    *,
    rtol: float = 1e-14,
    max_nodes: int = 513,
) -> CorrelationFunction:
    r"""Tabulate :math:`C(c) = E[\phi(u)\phi(v)]` for :math:`c \in [\mathrm{lo}, \mathrm{var}]`.

    The fast path of the DMFT solver: :math:`C` is evaluated by :func:`expect_pair` at
    Chebyshev points (17, 33, 65, ... nested) until the trailing Chebyshev coefficients fall
    below ``rtol`` times the largest, then interpolated (and differentiated) anywhere in the
    interval at the cost of a polynomial evaluation. Closed forms (erf, ReLU, linear) are
    returned as they are.

    Parameters
    ----------
    phi : AbstractNonlinearity or str
        Transfer function.
    var : float
        Common variance :math:`\Delta_0`.
    lo : float, optional
        Smallest covariance needed, in ``[-var, var]``; default ``-var``.
    rtol : float
        Target relative size of the trailing Chebyshev coefficients.
    max_nodes : int
        Largest number of nodes (the result records the achieved ``tail``).

    Returns
    -------
    CorrelationFunction
        Callable on arrays of covariances.

    Notes
    -----
    :math:`C` is analytic in :math:`c` inside :math:`(-v, v)` and, for smooth :math:`\phi`,
    slightly beyond, so Chebyshev interpolation converges geometrically; the rate slows as the
    variance grows (:math:`\phi` then looks like a step), which the adaptive degree absorbs.

    **Assumptions and approximations**

    - Interpolation error about ``tail`` times :math:`\max|C|` (recorded on the result).

    Examples
    --------
    >>> import numpy as np
    >>> cf = correlation_function("tanh", 4.0, 0.0)
    >>> c = np.linspace(0.0, 4.0, 7)
    >>> bool(np.max(np.abs(cf(c) - correlation("tanh", 4.0, c))) < 1e-13)
    True
    """
    phi = nonlinearity(phi)
    var = check_nonnegative("var", var)
    lo = -var if lo is None else min(check_real("lo", lo), var)
    lo = max(lo, -var)
    if var <= 0.0 or phi.gaussian_correlation(var, var) is not None:
        return CorrelationFunction(phi=phi, var=var, lo=lo)
    span = var - lo
    if span <= 1e-13 * var:  # degenerate interval: a constant (first-order Taylor) table
        c0 = float(expect_pair(phi, phi, var, var))
        d1 = expect(lambda x: np.asarray(phi.derivative(x)) ** 2, var)
        lo = var - max(span, 1e-13 * var)
        return CorrelationFunction(
            phi=phi,
            var=var,
            lo=lo,
            coefficients=np.array([c0 - d1 * (var - lo) / 2, d1 * (var - lo) / 2]),
        )
    n = 16
    k = np.arange(n + 1)
    x = np.cos(np.pi * k / n)
    vals = expect_pair(phi, phi, var, np.clip(lo + 0.5 * (x + 1.0) * span, -var, var))
    while True:
        coef = _fft.dct(vals, type=1) / n
        coef[0] /= 2.0
        coef[-1] /= 2.0
        scale = max(float(np.max(np.abs(coef))), 1e-300)
        tail = float(np.max(np.abs(coef[-3:]))) / scale
        if tail <= rtol or n + 1 >= max_nodes:
            break
        # nested refinement: the new nodes are the odd ones of the doubled grid
        n2 = 2 * n
        xo = np.cos(np.pi * np.arange(1, n2, 2) / n2)
        vo = expect_pair(phi, phi, var, np.clip(lo + 0.5 * (xo + 1.0) * span, -var, var))
        merged = np.empty(n2 + 1)
        merged[0::2] = vals
        merged[1::2] = vo
        vals, n = merged, n2
    # trim the coefficients below roundoff
    keep = np.nonzero(np.abs(coef) > 1e-17 * scale)[0]
    coef = coef[: (keep[-1] + 1 if keep.size else 1)]
    return CorrelationFunction(phi=phi, var=var, lo=lo, coefficients=coef, tail=tail)


#: quadrature points handled per batch by :func:`derivative_averages` (bounds its memory)
_BATCH_NODES = 2_000_000
#: below this standard deviation the Stein forms of the second and third derivative averages
#: are evaluated at it (their rounding error grows as eps / std^k)
_STEIN_MIN_STD = 1e-3


def derivative_averages(
    phi: AbstractNonlinearity | str, mean: Any, var: Any, *, order: int = 1
) -> FloatArray:
    r"""Return :math:`E[\phi^{(k)}(x)]`, :math:`x\sim\mathcal N(m, v)`, for ``k = 0..order``.

    Vectorised over any shape of means and variances (broadcast together): the Gaussian averages
    of the latent dynamics of low-rank networks (docs/theory.md section 7.1), where every
    mixture component at every latent state has its own mean and variance.

    Parameters
    ----------
    phi : AbstractNonlinearity or str
        Transfer function.
    mean, var : array_like
        Means and variances (``var >= 0``; ``var = 0`` gives :math:`\phi^{(k)}(m)`).
    order : {0, 1, 2, 3}
        Highest derivative.

    Returns
    -------
    (order + 1, *shape) ndarray
        Row ``k`` holds :math:`E[\phi^{(k)}]`.

    Notes
    -----
    Closed forms where the nonlinearity has them (``phi.gaussian_derivative_averages``: erf,
    ReLU, linear). Otherwise the trapezoidal rule of
    :func:`expect` in the standardised variable :math:`x = m + sz`, with each point's own step
    :math:`h_z = \min(0.25/s, 1/1.5)` (so the step in ``x`` is that of :func:`expect`) over
    :math:`|z| \le 8.6`; points are processed in batches sorted by node count. Only
    :math:`\phi` and :math:`\phi'` are evaluated: the higher averages come from Stein's lemma,
    :math:`E[\phi''] = E[z\phi'(x)]/s`, :math:`E[\phi'''] = E[(z^2 - 1)\phi'(x)]/s^2`,
    evaluated at :math:`s = \max(s, 10^{-3})` (their rounding error grows as
    :math:`\epsilon/s^k`; the shift of the variance changes them by :math:`O(10^{-6})`
    relative, which only the Jacobians used by Newton's method see).

    Examples
    --------
    >>> import numpy as np
    >>> a = derivative_averages("erf", [0.0, 1.0], [1.0, 0.0], order=1)
    >>> bool(np.allclose(a[1], [1 / np.sqrt(1 + np.pi / 2), np.exp(-np.pi / 4)]))
    True
    >>> t = derivative_averages("tanh", 0.3, 2.0, order=0)
    >>> bool(abs(t[0] - mean("tanh", 2.0, mean=0.3)) < 1e-14)
    True
    """
    f = nonlinearity(phi)
    if order not in (0, 1, 2, 3):
        raise ValueError(f"`order` must be 0, 1, 2 or 3; got {order!r}.")
    m, v = np.broadcast_arrays(np.asarray(mean, dtype=float), np.asarray(var, dtype=float))
    if not (np.all(np.isfinite(v)) and np.all(np.isfinite(m))) or np.any(v < 0):
        raise ValueError(
            "`var` must be finite and >= 0 and `mean` finite; got min var "
            f"{float(np.nanmin(v, initial=0.0))!r} and "
            f"{int(np.sum(~np.isfinite(v)) + np.sum(~np.isfinite(m)))} non-finite entries."
        )
    closed = f.gaussian_derivative_averages(m, v, order)
    if closed is None:
        return _quadrature_derivative_averages(f, m, v, order)
    return np.asarray(closed, dtype=float).reshape((order + 1, *m.shape))


def _quadrature_derivative_averages(
    f: AbstractNonlinearity, m: FloatArray, v: FloatArray, order: int
) -> FloatArray:
    """Trapezoid route of :func:`derivative_averages` (batched by node count)."""
    flat_m, flat_v = m.ravel(), v.ravel()
    res = np.empty((order + 1, flat_m.size))
    s = np.sqrt(flat_v)
    pos = s > 0
    hz = np.where(pos, np.minimum(_STEP / np.where(pos, s, 1.0), 1.0 / _STD_PER_STEP), 1.0)
    n_half = np.where(pos, np.ceil(_RANGE / hz), 0).astype(int)
    idx_sorted = np.argsort(n_half, kind="stable")
    start = 0
    while start < idx_sorted.size:
        kmax = int(n_half[idx_sorted[start]])
        stop = start + 1
        while stop < idx_sorted.size:
            k_next = int(n_half[idx_sorted[stop]])
            if (stop - start + 1) * (2 * k_next + 1) > _BATCH_NODES:
                break
            kmax = k_next
            stop += 1
        idx = idx_sorted[start:stop]
        j = np.arange(-kmax, kmax + 1, dtype=float)
        z = hz[idx, None] * j[None, :]
        w = np.exp(-0.5 * z * z)
        w[np.abs(z) > _RANGE + 1e-9] = 0.0
        # trapezoid weights normalised: their sum is 1 to rounding for a resolved Gaussian,
        # and exactly 1 at var = 0 (one node)
        w /= w.sum(axis=1, keepdims=True)
        si = s[idx, None]
        x = flat_m[idx, None] + si * z
        res[0, idx] = np.sum(w * f(x), axis=1)
        if order >= 1:
            d1 = np.asarray(f.derivative(x), dtype=float)
            res[1, idx] = np.sum(w * d1, axis=1)
        if order >= 2:
            se = np.maximum(si[:, 0], _STEIN_MIN_STD)
            res[2, idx] = np.sum(w * z * d1, axis=1) / se
            if order >= 3:
                res[3, idx] = np.sum(w * (z * z - 1.0) * d1, axis=1) / se**2
            small = si[:, 0] < _STEIN_MIN_STD
            if np.any(small):
                # the Stein forms need a spread: evaluate them at std _STEIN_MIN_STD on its
                # own resolved rule
                js = np.arange(
                    -math.ceil(_RANGE * _STD_PER_STEP), math.ceil(_RANGE * _STD_PER_STEP) + 1
                )
                zs = js / _STD_PER_STEP
                ws = np.exp(-0.5 * zs * zs)
                ws[np.abs(zs) > _RANGE + 1e-9] = 0.0
                ws /= ws.sum()
                ds = f.derivative(flat_m[idx[small], None] + _STEIN_MIN_STD * zs[None, :])
                res[2, idx[small]] = (ds @ (ws * zs)) / _STEIN_MIN_STD
                if order >= 3:
                    res[3, idx[small]] = (ds @ (ws * (zs * zs - 1.0))) / _STEIN_MIN_STD**2
        start = stop
    return res.reshape((order + 1, *m.shape))
