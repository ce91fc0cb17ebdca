"""Tests of randrnn.gaussian: closed forms vs quadrature, large variance, negative covariance."""

from __future__ import annotations

import math

import numpy as np
import pytest

from randrnn import gaussian
from randrnn.nonlinearities import Erf, Linear, ReLU, Tanh

# closed forms vs the trapezoid quadrature: the issue asks for 1e-12; the quadrature error is
# ~exp(-pi^2 / h) ~ 1e-17 for analytic integrands, so 1e-12 leaves room for roundoff of sums
CLOSED_FORM_ATOL = 1e-12
VARIANCES = [1e-6, 0.05, 1.0, 4.0, 30.0, 400.0]


@pytest.mark.parametrize("var", VARIANCES)
def test_erf_correlation_matches_quadrature(var: float) -> None:
    phi = Erf()
    cov = np.linspace(-var, var, 11)  # includes negative and extreme correlations
    quad = gaussian.expect_pair(phi, phi, var, cov)
    np.testing.assert_allclose(
        gaussian.erf_correlation(var, cov), quad, rtol=0, atol=CLOSED_FORM_ATOL
    )


@pytest.mark.parametrize("var", VARIANCES)
def test_erf_one_variable_closed_forms(var: float) -> None:
    phi = Erf()
    assert abs(gaussian.gain(phi, var) - gaussian.expect(phi.derivative, var)) < CLOSED_FORM_ATOL
    sq = gaussian.expect(lambda x: phi(x) ** 2, var)
    assert abs(gaussian.second_moment(phi, var) - sq) < CLOSED_FORM_ATOL
    d2 = gaussian.expect(lambda x: phi.derivative(x) ** 2, var)
    assert abs(gaussian.gain_second_moment(phi, var) - d2) < CLOSED_FORM_ATOL


@pytest.mark.parametrize("var", [0.3, 2.0, 25.0])
def test_relu_closed_forms_match_adaptive_quadrature(var: float) -> None:
    from scipy import integrate, special

    # ReLU has a kink: condition on u (the inner expectation E[relu(v) | u] is the classical
    # m Phi(m/s) + s phi(m/s)) and integrate u > 0 with adaptive quadrature (error ~1e-13)
    std = math.sqrt(var)
    for rho in (-0.7, 0.0, 0.6):
        cov = rho * var
        s = std * math.sqrt(1 - rho * rho)

        def integrand(z1: float, rho: float = rho, s: float = s) -> float:
            m = std * rho * z1
            inner = m * special.ndtr(m / s) + s * math.exp(-0.5 * (m / s) ** 2) / math.sqrt(
                2 * math.pi
            )
            return std * z1 * inner * math.exp(-0.5 * z1 * z1) / math.sqrt(2 * math.pi)

        ref, err = integrate.quad(integrand, 0, 12, epsabs=1e-14, epsrel=1e-13)
        assert abs(gaussian.relu_correlation(var, cov) - ref) < 1e-12 * var + 10 * err
    assert gaussian.mean(ReLU(), var) == pytest.approx(std / math.sqrt(2 * math.pi), rel=1e-15)
    assert gaussian.second_moment(ReLU(), var) == pytest.approx(var / 2, rel=1e-15)


def test_linear_closed_form() -> None:
    assert gaussian.correlation(Linear(), 3.0, -1.5) == pytest.approx(-1.5, abs=0)
    assert gaussian.gain(Linear(), 3.0) == 1.0


def test_tanh_gain_accurate_at_large_variance() -> None:
    """docs/theory.md: 61-point Gauss-Hermite misses mu1 by ~0.1% at g = 3; we must not."""
    from scipy import integrate

    var = 5.446326083  # Delta0 of tanh at g = 3
    std = math.sqrt(var)
    ref, err = integrate.quad(
        lambda x: math.exp(-x * x / (2 * var)) / math.cosh(x) ** 2 / math.sqrt(2 * math.pi * var),
        -60 * std,
        60 * std,
        points=[0.0],
        epsabs=1e-15,
        epsrel=1e-13,
        limit=500,
    )
    # adaptive quad is accurate to its estimate; ours to ~1e-16
    assert abs(gaussian.gain(Tanh(), var) - ref) < 1e-13 + err
    z, w = np.polynomial.hermite_e.hermegauss(61)
    gh61 = float(np.dot(w, 1 / np.cosh(std * z) ** 2) / math.sqrt(2 * math.pi))
    assert abs(gh61 - ref) > 1e-4 * ref  # the pitfall the spec warns about is real


@pytest.mark.parametrize("var", [0.01, 2.0, 50.0])
def test_tanh_pair_symmetries_and_limits(var: float) -> None:
    phi = Tanh()
    cov = np.array([-var, -0.3 * var, 0.0, 0.3 * var, var])
    c = gaussian.expect_pair(phi, phi, var, cov)
    # odd phi: C(-c) = -C(c), C(0) = E[phi]^2 = 0; C(var) = E[phi^2] (roundoff-level checks)
    np.testing.assert_allclose(c, -c[::-1], atol=1e-15)
    assert abs(c[2]) < 1e-16
    assert c[-1] == pytest.approx(gaussian.second_moment(phi, var), rel=1e-13)


@pytest.mark.parametrize("var", [0.5, 4.0, 40.0])
def test_correlation_table_matches_direct_quadrature(var: float) -> None:
    table = gaussian.correlation_function(Tanh(), var, -var)
    cov = np.linspace(-var, var, 17)
    direct = gaussian.expect_pair(Tanh(), Tanh(), var, cov)
    # the table stops refining at trailing Chebyshev coefficients <= 1e-14 of the largest
    np.testing.assert_allclose(table(cov), direct, rtol=0, atol=1e-13)
    # Price's theorem: dC/dc at c = var is E[phi'^2]
    d1 = float(table.derivative(np.array([var]), 1)[0])
    assert d1 == pytest.approx(gaussian.gain_second_moment(Tanh(), var), rel=1e-9)


def test_erf_closed_form_derivatives() -> None:
    cf = gaussian.correlation_function(Erf(), 2.0)
    c = np.array([-1.0, 0.5, 1.9])
    h = 1e-5
    for k in (1, 2, 3):
        lower = cf(c) if k == 1 else cf.derivative(c, k - 1)
        upper = cf(c + h) if k == 1 else cf.derivative(c + h, k - 1)
        # forward difference: error ~ h * |next derivative| ~ 1e-5
        np.testing.assert_allclose(cf.derivative(c, k), (upper - lower) / h, rtol=1e-4)


def test_expect_pair_rejects_cov_above_var() -> None:
    with pytest.raises(ValueError, match="`cov` must lie in"):
        gaussian.expect_pair(np.tanh, np.tanh, 1.0, 2.0)


def test_expect_rejects_negative_variance() -> None:
    with pytest.raises(ValueError, match="`var` must be >= 0"):
        gaussian.expect(np.tanh, -1.0)


def test_general_pair_with_different_functions() -> None:
    # E[u * v] = cov for any variance; the two-function path (f is not h)
    c = gaussian.expect_pair(lambda x: x, lambda x: 1.0 * x, 3.0, np.array([-2.0, 0.5, 2.9]))
    np.testing.assert_allclose(c, [-2.0, 0.5, 2.9], atol=1e-13)


# ---------------------------------------------------------------------------------------------
# nonzero means: closed forms on the classes against adaptive quadrature
# ---------------------------------------------------------------------------------------------

MEAN_VAR = [(0.0, 1.0), (0.7, 0.3), (-1.5, 2.0), (2.5, 25.0), (0.3, 1e-4)]


def _quad(f, mean: float, var: float) -> tuple[float, float]:
    """E[f(mean + sqrt(var) z)] by adaptive quadrature in z, with a break point at x = 0."""
    from scipy import integrate

    std = math.sqrt(var)
    z0 = -mean / std  # where x = 0 (ReLU's kink)
    pts = [z0] if abs(z0) < 12 else None

    def integrand(z: float) -> float:
        return (
            float(f(np.array([mean + std * z]))[0])
            * math.exp(-0.5 * z * z)
            / math.sqrt(2 * math.pi)
        )

    val, err = integrate.quad(integrand, -14, 14, points=pts, epsabs=1e-15, epsrel=1e-13, limit=400)
    return val, err


@pytest.mark.parametrize(("mean", "var"), MEAN_VAR)
@pytest.mark.parametrize("phi", [Erf(), ReLU(), Linear(), Tanh()])
def test_one_variable_moments_with_a_mean(phi, mean: float, var: float) -> None:
    """Closed forms (erf incl. Owen's T, ReLU, linear) and quadrature (tanh) vs adaptive quad.

    Adaptive quad is accurate to its own error estimate; ours to ~1e-15 (closed forms: rounding;
    trapezoid: exp(-pi^2/h) for analytic integrands), so 1e-12 plus the estimate bounds both.
    """
    cases = {
        gaussian.mean: phi,
        gaussian.gain: phi.derivative,
        gaussian.second_moment: lambda x: phi(x) ** 2,
        gaussian.gain_second_moment: lambda x: phi.derivative(x) ** 2,
    }
    for func, integrand in cases.items():
        ref, err = _quad(integrand, mean, var)
        got = func(phi, var, mean=mean)
        assert abs(got - ref) <= 1e-12 * max(1.0, abs(ref)) + 10 * err, (func.__name__, got, ref)


def test_closed_forms_are_used_where_the_class_has_them() -> None:
    # the Owen's-T second moment of erf differs from the trapezoid by rounding only
    phi = Erf()
    closed = phi.gaussian_second_moment(0.8, 3.0)
    assert closed is not None
    quad = gaussian.expect(lambda x: phi(x) ** 2, 3.0, mean=0.8)
    assert abs(closed - quad) <= 1e-13
    assert gaussian.second_moment(phi, 3.0, mean=0.8) == closed
    # zero mean: the arcsin form of the correlation at c = var
    assert phi.gaussian_second_moment(0.0, 3.0) == pytest.approx(
        float(gaussian.erf_correlation(3.0, 3.0)), rel=1e-14
    )


def test_monte_carlo_agrees_with_shifted_quadrature(rng: np.random.Generator) -> None:
    """An independent check of the mean shift: a Monte Carlo estimate within 5 standard errors."""
    mean, var = 0.9, 1.7
    x = mean + math.sqrt(var) * rng.standard_normal(400_000)
    for f in (np.tanh, lambda y: np.tanh(y) ** 2, lambda y: 1.0 / np.cosh(y) ** 2):
        vals = f(x)
        se = vals.std(ddof=1) / math.sqrt(x.size)
        assert abs(vals.mean() - gaussian.expect(f, var, mean=mean)) <= 5 * se


def test_expect_pair_with_a_common_mean() -> None:
    # E[(m + u)(m + v)] = m^2 + c exactly; E[tanh] pair is symmetric in the sign of the mean
    c = gaussian.expect_pair(lambda x: x, lambda x: 1.0 * x, 2.0, np.array([-1.0, 0.5]), mean=1.5)
    np.testing.assert_allclose(c, [1.25, 2.75], atol=1e-13)
    a = gaussian.expect_pair(np.tanh, np.tanh, 1.0, 0.3, mean=0.4)
    b = gaussian.expect_pair(np.tanh, np.tanh, 1.0, 0.3, mean=-0.4)
    assert abs(a - b) <= 1e-15
    assert gaussian.expect_pair(np.tanh, np.tanh, 1.0, 1.0, mean=0.4) == pytest.approx(
        gaussian.second_moment(Tanh(), 1.0, mean=0.4), rel=1e-13
    )


def test_bad_mean_is_refused() -> None:
    with pytest.raises(ValueError, match="`mean` must be finite"):
        gaussian.gain("tanh", 1.0, mean=float("nan"))
