"""Tests of randrnn.nonlinearities: capabilities, closed forms on the classes, Custom."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from randrnn import GaussianEnsemble, RateNetwork, gaussian
from randrnn.dmft import solve_stationary
from randrnn.nonlinearities import Custom, Erf, Linear, ReLU, Tanh, nonlinearity

EPS = float(np.finfo(float).eps)


@pytest.mark.parametrize(
    ("phi", "odd", "bounded"),
    [(Tanh(), True, True), (Erf(), True, True), (ReLU(), False, False), (Linear(), True, False)],
)
def test_capabilities(phi, odd: bool, bounded: bool) -> None:
    assert phi.is_odd is odd
    assert phi.is_bounded is bounded
    assert type(phi).is_bounded.fget(phi) is bounded  # a property of the class
    assert phi.has_antiderivative


def test_tanh_has_no_closed_forms_and_a_safe_derivative() -> None:
    phi = Tanh()
    assert phi.gaussian_mean(0.3, 1.0) is None
    assert phi.gaussian_correlation(1.0, 0.5) is None
    x = np.array([0.0, 0.7, -3.0, 400.0, -1e4])
    with np.errstate(over="raise"):  # no overflow of cosh at large |x|
        d = phi.derivative(x)
    np.testing.assert_allclose(d[:3], 1.0 / np.cosh(x[:3]) ** 2, rtol=4 * EPS)
    assert d[3] == 0.0
    assert d[4] == 0.0


# ---------------------------------------------------------------------------------------------
# Custom
# ---------------------------------------------------------------------------------------------


def test_custom_without_derivative_differentiates_numerically() -> None:
    f = Custom(np.sin)
    x = np.linspace(-6.0, 6.0, 241)
    # documented error: truncation h^4 |f^(5)| / 30 plus rounding 1.5 eps |f| / h with
    # h = eps^(1/5) max(1, |x|); |f^(5)|, |f| <= 1 for sin; a factor 2 for the rounding of f
    h = EPS**0.2 * np.maximum(1.0, np.abs(x))
    bound = 2.0 * (h**4 / 30.0 + 1.5 * EPS / h)
    assert np.all(np.abs(f.derivative(x) - np.cos(x)) <= bound)
    assert f.is_bounded
    assert not f.is_odd  # not declared


def test_custom_sin_gain_is_the_mean_of_cos() -> None:
    """Custom(np.sin) used to take tanh's derivative: mu1 = 0.7131 instead of E[cos x] = 0.7626."""
    net = RateNetwork(ensemble=GaussianEnsemble(n=1, g=0.5), phi=Custom(np.sin), sigma=1.0)
    sol = solve_stationary(net)
    exact = gaussian.expect(np.cos, sol.delta0)  # E[cos x] = exp(-Delta0 / 2)
    assert exact == pytest.approx(math.exp(-sol.delta0 / 2), rel=1e-13)
    # numerical derivative (~1e-12) under the quadrature: the gains agree to 1e-10
    assert abs(sol.mu1 - exact) <= 1e-10
    assert round(sol.mu1, 4) == 0.7626
    with_deriv = solve_stationary(
        RateNetwork(
            ensemble=GaussianEnsemble(n=1, g=0.5), phi=Custom(np.sin, deriv=np.cos), sigma=1.0
        )
    )
    assert abs(with_deriv.mu1 - sol.mu1) <= 1e-10


@pytest.mark.parametrize(
    "deriv",
    [
        lambda x: 1.0 / np.cosh(x) ** 2,  # tanh's derivative, the old silent default
        np.tanh,
        lambda x: np.cos(x) * (1.0 + 1e-6),  # off by one part in a million
    ],
)
def test_custom_rejects_a_derivative_that_disagrees(deriv) -> None:
    with pytest.raises(ValueError, match="`deriv` must be the derivative of `func`"):
        Custom(np.sin, deriv=deriv)


@pytest.mark.parametrize(
    ("func", "deriv"),
    [
        (np.sin, np.cos),
        (np.arctan, lambda x: 1.0 / (1.0 + x**2)),
        (lambda x: x**3, lambda x: 3.0 * x**2),
        (lambda x: 1e6 * np.tanh(x), lambda x: 1e6 / np.cosh(x) ** 2),  # large scale
        (np.abs, np.sign),  # kink at 0 (the check grid avoids it)
        (lambda x: np.maximum(x, 0.0), lambda x: (x > 0) * 1.0),
        (np.exp, np.exp),
    ],
)
def test_custom_accepts_correct_derivatives(func, deriv) -> None:
    f = Custom(func, deriv=deriv)
    np.testing.assert_array_equal(f.derivative(np.array([0.5])), deriv(np.array([0.5])))


def test_custom_boundedness() -> None:
    assert Custom(np.tanh).is_bounded
    assert not Custom(lambda x: x**3).is_bounded
    assert not Custom(np.sinh).is_bounded  # overflows far out: unbounded
    assert not Custom(np.sin, is_bounded_function=False).is_bounded  # declared
    with pytest.raises(ValueError, match="`is_bounded_function` must match `func`"):
        Custom(lambda x: np.log1p(np.abs(x)), is_bounded_function=True)


def test_custom_argument_errors() -> None:
    with pytest.raises(TypeError, match="`func` must be callable"):
        Custom(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`deriv` must be callable or None"):
        Custom(np.sin, deriv=2.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="func"):
        Custom()  # type: ignore[call-arg]


def test_theory_modules_dispatch_on_capabilities_not_classes() -> None:
    src = Path(__file__).resolve().parents[1] / "src" / "randrnn"
    files = [src / "gaussian.py", *sorted((src / "dmft").glob("*.py"))]
    files += sorted((src / "covariance").glob("*.py"))
    pattern = re.compile(r"isinstance\(.*(Tanh|Erf|ReLU|Linear|GaussianEnsemble|BlockEnsemble)")
    hits = [
        f"{p.name}:{i}"
        for p in files
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert hits == []


def test_sup_abs_is_the_sup_over_the_line_not_the_value_at_large_x():
    # a bump: |phi| is largest at 0 and vanishes at large |x|
    bump = Custom(lambda x: 3.0 * np.exp(-np.asarray(x, dtype=float) ** 2))
    assert bump.is_bounded
    assert bump.sup_abs() == pytest.approx(3.0, rel=1e-6)
    assert nonlinearity("tanh").sup_abs() == 1.0
    assert nonlinearity("sigmoid").sup_abs() == 1.0
    assert nonlinearity("relu").sup_abs() == np.inf
