"""Tests of randrnn.dmft: analytic limits, residuals in units of tol, two independent methods."""

from __future__ import annotations

import math

import numpy as np
import pytest

from randrnn import ConvergenceError, GaussianEnsemble, RateNetwork, RegimeWarning
from randrnn.dmft import (
    FixedPoint,
    self_consistency_residual,
    solve_classical,
    solve_stationary,
)
from randrnn.dmft import _map as _stationary
from randrnn.ensembles import BlockEnsemble
from randrnn.testing import assert_residual_small

TOL = 1e-10


def net(g: float, phi: str = "tanh", **kw: float) -> RateNetwork:
    return RateNetwork(ensemble=GaussianEnsemble(n=10, g=g), phi=phi, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# two methods
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("phi", ["tanh", "erf"])
@pytest.mark.parametrize("g", [1.2, 1.5, 2.0, 3.0, 5.0])
def test_two_methods_agree_on_delta0(phi: str, g: float) -> None:
    """FFT/Newton solver vs classical-particle root, relative 1e-8.

    The iteration starts from the generic guess (not from the classical solution, the default
    near the transition), so the two routes are independent.
    """
    fft = solve_stationary(net(g, phi), tol=TOL, solver=FixedPoint(classical_start=False))
    particle = solve_classical(net(g, phi))
    # the FFT solution's Delta0 is within ~tol of its fixed point (spectral grid), the root is
    # at machine precision; the bound 1e-8 is 100x the solver tolerance
    assert abs(fft.delta0 - particle.delta0) <= 1e-8 * particle.delta0
    assert fft.regime == "chaotic"
    assert fft.converged
    # Delta(t) from the equation of motion: on the unstable approach to 0 an error in Delta0
    # grows like Delta0 / Delta(t); where Delta(t) >= Delta0 / 100 that is <= 100 x the ~1e-12
    # disagreement of Delta0, so 1e-8 of Delta0 bounds it with margin
    n = min(fft.lags.size, particle.lags.size)
    np.testing.assert_allclose(particle.lags[:n], fft.lags[:n], rtol=1e-12)
    keep = particle.delta[:n] >= 0.01 * particle.delta0
    diff = np.abs(fft.delta[:n] - particle.delta[:n])[keep]
    assert np.max(diff) <= 1e-8 * particle.delta0


# ---------------------------------------------------------------------------------------------
# analytic limits
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("g", [0.3, 0.9])
def test_quiescent_below_transition(g: float) -> None:
    sol = solve_stationary(net(g))
    assert sol.regime == "quiescent"
    assert sol.delta0 == 0.0  # Delta = 0 is an exact fixed point of the discrete map
    assert sol.tau_corr == 0.0


@pytest.mark.parametrize("g", [0.3, 0.8])
@pytest.mark.parametrize("sigma", [0.5, 2.0])
def test_linear_network_with_noise_is_ornstein_uhlenbeck(g: float, sigma: float) -> None:
    sol = solve_stationary(net(g, "linear", sigma=sigma), tol=TOL)
    k = math.sqrt(1 - g * g)
    exact = sigma**2 * np.exp(-k * sol.lags) / (2 * k)
    # white-noise kinks are carried analytically up to |t|^3; the rest converges as dt^5:
    # (0.05)^5 ~ 3e-7 times derivatives O(1)/k^5 of the remainder, well below 1e-6 * Delta0
    assert np.max(np.abs(sol.delta - exact)) <= 1e-6 * exact[0]
    assert sol.delta0 == pytest.approx(sigma**2 / (2 * k), rel=1e-6)
    assert sol.regime == "noise-driven"
    # linear phi: C = Delta exactly, so the residual autocorrelation vanishes (roundoff)
    assert np.max(np.abs(sol.s_r)) <= 1e-12 * sol.delta0
    # correlation time of exp(-k t) is 1/k, up to the same discretisation error
    assert sol.tau_corr == pytest.approx(1 / k, rel=1e-6)


def test_linear_noise_delta0_converges_with_dt() -> None:
    """The white-noise tail sigma^2/(pi w_max) is added back: no O(dt) error in Delta0."""
    g, sigma = 0.6, 1.0
    exact = sigma**2 / (2 * math.sqrt(1 - g * g))
    errs = [
        abs(
            solve_stationary(net(g, "linear", sigma=sigma), solver=FixedPoint(dt=dt)).delta0 - exact
        )
        for dt in (0.2, 0.1)
    ]
    # the dt^5 law predicts a 32x drop; anything worse than 8x would signal a lost tail
    assert errs[1] <= errs[0] / 8 or errs[1] <= 1e-13


def test_static_fixed_point_with_input() -> None:
    """g < 1 with static input: Delta0 = Delta_inf solves Delta = g^2 E[phi^2] + sigma_b^2."""
    from randrnn import gaussian

    g, sb = 0.5, 1.0
    sol = solve_stationary(net(g, sigma_b=sb), tol=TOL)
    assert sol.regime == "static"
    assert sol.delta0 == pytest.approx(sol.delta_inf, abs=1e-12)
    lhs = g * g * gaussian.second_moment("tanh", sol.delta0) + sb * sb
    assert abs(lhs - sol.delta0) <= TOL * max(sol.delta0, 1)


def test_relu_noise_driven_linear_scaling() -> None:
    """ReLU is positively homogeneous: Delta scales as sigma^2 (exact symmetry of the map)."""
    a = solve_stationary(net(1.0, "relu", sigma=1.0, sigma_b=0.5), tol=TOL)
    b = solve_stationary(net(1.0, "relu", sigma=2.0, sigma_b=1.0), tol=TOL)
    # both solved to tol relative to max(Delta0, 1): the ratio is 4 within a few tol
    assert b.delta0 / a.delta0 == pytest.approx(4.0, rel=10 * TOL)
    assert a.mu1 == 0.5
    assert a.mu0 > 0


# ---------------------------------------------------------------------------------------------
# residuals, spectra, consistency of the returned fields
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        {"g": 2.0},
        {"g": 1.5, "phi": "erf", "sigma": 0.3, "sigma_b": 0.3},
        {"g": 0.9, "sigma": 1.5},
        {"g": 2.0, "sigma_b": 1.0},
    ],
)
@pytest.mark.parametrize("tol", [1e-8, 1e-11])
def test_residual_below_requested_tolerance(spec: dict[str, float], tol: float) -> None:
    spec = dict(spec)
    g = spec.pop("g")
    sol = solve_stationary(net(g, **spec), tol=tol)  # type: ignore[arg-type]
    assert_residual_small(sol.residual, tol)
    # re-measured from scratch on the returned grid: same map, fresh Gaussian tables
    assert_residual_small(self_consistency_residual(sol), tol)
    # the grid was extended until the dynamic part decayed below 0.1 tol (in the same units)
    assert abs(sol.delta[-1] - sol.delta_inf) <= 0.1 * tol * max(sol.delta0, 1.0)


def test_fields_are_consistent() -> None:
    from randrnn import gaussian

    sol = solve_stationary(net(2.0, sigma=0.5, sigma_b=0.5))
    assert sol.lags[0] == 0.0
    assert sol.delta[0] == pytest.approx(sol.delta0, rel=1e-14)
    assert sol.c[0] == pytest.approx(sol.c0, rel=1e-12)  # table vs 1-D quadrature
    assert sol.mu1 == pytest.approx(gaussian.gain("tanh", sol.delta0), rel=1e-15)
    # spectra: nonnegative, and the Delta spectrum obeys the frequency-domain equation
    assert np.all(sol.c_hat >= -1e-8 * sol.c_hat.max())
    w = sol.freqs
    np.testing.assert_allclose(sol.delta_hat, (4.0 * sol.c_hat + 0.25) / (1 + w**2), rtol=1e-13)
    # s_r: connected parts, as documented
    np.testing.assert_allclose(
        sol.s_r, (sol.c - sol.c_inf) - sol.mu1**2 * (sol.delta - sol.delta_inf), atol=1e-15
    )
    # the area under the dynamic spectrum is the dynamic variance (Parseval on the grid)
    dw = w[1] - w[0]
    area = (np.sum(sol.delta_hat) - 0.5 * (sol.delta_hat[0] + sol.delta_hat[-1])) * dw / math.pi
    # docs/theory.md: the grid misses the white-noise tail sigma^2 / (pi w_max) of Delta0; with it
    # added the sum matches to the next order, ~ g^2 c_hat(w_max) / w_max ~ 1e-6
    tail = 0.25 / (math.pi * w[-1])
    assert area + tail == pytest.approx(sol.delta0 - sol.delta_inf, rel=1e-6)
    assert abs(area - (sol.delta0 - sol.delta_inf)) > 0.5 * tail  # without it: a visible error


def test_residual_laplace_matches_quadrature() -> None:
    sol = solve_stationary(net(2.0, sigma=0.5))
    alpha = np.array([0.05 + 0.0j, 0.3 + 0.8j, 1.5 - 0.4j])
    got = sol.residual_laplace(alpha)
    from scipy import integrate

    t, s = sol.lags, sol.s_r
    # composite Simpson on the returned samples: O(dt^4) and the kink sits at the endpoint
    ref = np.array([integrate.simpson(s * np.exp(-a * t), x=t) for a in alpha])
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-9)
    assert got.shape == alpha.shape
    with pytest.raises(ValueError, match="`alpha` must have a positive real part"):
        sol.residual_laplace(-1.0)


def test_residual_laplace_linear_limit() -> None:
    # for tanh without noise, S(alpha) -> int s_r = s_r_hat(0) / 2 as alpha -> 0
    sol = solve_stationary(net(3.0))
    small = sol.residual_laplace(1e-7)
    assert small.real == pytest.approx(sol.s_r_hat[0] / 2, rel=1e-5)


def test_tau_rescales_time() -> None:
    a = solve_stationary(net(2.0, sigma=0.5))
    b = solve_stationary(
        RateNetwork(ensemble=GaussianEnsemble(n=10, g=2.0), tau=2.0, sigma=0.5),
        solver=FixedPoint(dt=0.1, t_max=80.0),
    )
    # with tau = 2, sigma^2/tau sets the noise: compare with tau = 1 at sigma^2 / 2 on the
    # same dimensionless grid (dt / tau), so the two discrete problems are identical
    c = solve_stationary(net(2.0, sigma=0.5 / math.sqrt(2)), solver=FixedPoint(dt=0.05, t_max=40.0))
    assert b.delta0 == pytest.approx(c.delta0, rel=1e-12)
    assert b.tau_corr == pytest.approx(2 * c.tau_corr, rel=1e-12)
    assert a.delta0 != b.delta0
    np.testing.assert_allclose(b.lags[:10], 2 * c.lags[:10])


def test_to_xarray_and_cite() -> None:
    from randrnn.references import cite

    sol = solve_stationary(net(2.0))
    ds = sol.to_xarray()
    assert set(ds.dims) == {"lag", "freq"}
    assert ds.attrs["regime"] == "chaotic"
    assert float(ds["delta"][0]) == sol.delta0
    assert "Sompolinsky" in cite(sol)
    cls = solve_classical(net(2.0)).to_xarray()
    assert "delta" in cls


# ---------------------------------------------------------------------------------------------
# speed and iteration counts (the performance acceptance)
# ---------------------------------------------------------------------------------------------


def test_newton_far_fewer_map_evaluations_than_damped() -> None:
    prob = _stationary._Problem(phi=net(2.0).phi, g2=4.0, s2=0.0, sb2=0.0, dt=0.05, m=2001)  # type: ignore[arg-type]
    u0 = _stationary._initial_guess(prob, 2.0)
    from randrnn import _fixedpoint as _solvers

    newton = _solvers.newton_krylov(
        prob.map_jac, u0, norm=_stationary._norm, tol=TOL, max_iter=100, valid=prob.tail_stable
    )
    damped = _solvers.damped(prob, u0, norm=_stationary._norm, tol=1e-6, max_iter=2000, damping=0.5)
    assert newton.converged
    assert damped.converged
    # damped needs >= 250 sweeps even to 1e-6 (contraction ~0.97 per sweep), Newton < 15 to 1e-10
    assert newton.n_iter * 20 <= damped.n_iter


# ---------------------------------------------------------------------------------------------
# errors and warnings
# ---------------------------------------------------------------------------------------------


def test_convergence_error_on_forced_failure() -> None:
    # with noise the start is generic (without, the classical-particle start may already meet
    # tol at the first evaluation); one evaluation cannot converge, and no other start is tried
    with pytest.raises(ConvergenceError, match="did not converge") as info:
        solve_stationary(net(2.0, sigma=0.5), solver=FixedPoint(max_iter=1))
    assert info.value.n_iter == 1
    assert info.value.tol == TOL
    assert info.value.residual > TOL


def test_on_failure_return_and_warn() -> None:
    spec = net(2.0, sigma=0.5)
    sol = solve_stationary(spec, solver=FixedPoint(max_iter=1), on_failure="return")
    assert not sol.converged
    with pytest.warns(RegimeWarning, match="did not converge"):
        solve_stationary(spec, solver=FixedPoint(max_iter=1), on_failure="warn")


@pytest.mark.parametrize(
    ("phi", "g", "sigma"), [("relu", 1.6, 1.0), ("relu", 3.0, 0.0), ("linear", 1.2, 0.0)]
)
def test_unbounded_phi_above_blowup_is_divergent_not_converged(
    phi: str, g: float, sigma: float
) -> None:
    """g^2 E[phi'^2] >= 1 for ReLU (1/2) or linear (1): no stationary state, whatever the noise.

    Without noise the quiescent state is a fixed point of the map; it must not be reported as a
    converged solution.
    """
    sol = solve_stationary(net(g, phi, sigma=sigma), on_failure="return")
    assert sol.regime == "divergent"
    assert not sol.converged
    assert math.isnan(sol.delta0)
    assert np.all(np.isnan(sol.delta))
    assert "grows without bound" in sol.message
    with pytest.warns(RegimeWarning, match="no stationary state"):
        solve_stationary(net(g, phi, sigma=sigma), on_failure="warn")
    with pytest.raises(ConvergenceError, match="no stationary state"):
        solve_stationary(net(g, phi, sigma=sigma))


def test_unbounded_phi_below_blowup_converges() -> None:
    # ReLU at g^2 / 2 = 0.98 < 1: a noise-driven stationary state exists
    sol = solve_stationary(net(1.4, "relu", sigma=0.5))
    assert sol.converged
    assert sol.regime == "noise-driven"


def test_tolerance_below_float64_resolution_is_refused() -> None:
    with pytest.raises(ValueError, match="below what float64 can reach"):
        solve_stationary(net(2.0), tol=1e-30)
    # at the floor it still converges (the residual stalls near 1e-16 for this problem)
    assert solve_stationary(net(2.0), tol=1e-14).residual <= 1e-14


COVERS = r"covers one population of i\.i\.d\. zero-mean couplings \(GaussianEnsemble, eta = 0\)"


@pytest.mark.parametrize(
    ("ensemble", "needs"),
    [
        (BlockEnsemble.excitatory_inhibitory(n=100, keep_mean=True), "multi-population DMFT"),
        (BlockEnsemble.excitatory_inhibitory(n=100), "multi-population DMFT"),
        (GaussianEnsemble(n=10, g=2.0, eta=0.5), "partially symmetric"),
    ],
)
@pytest.mark.parametrize("entry", [solve_stationary, solve_classical])
def test_unsupported_ensemble_is_refused_naming_both(ensemble, needs: str, entry) -> None:
    with pytest.raises(TypeError, match=COVERS) as info:
        entry(RateNetwork(ensemble=ensemble))
    text = str(info.value)
    assert needs in text
    assert type(ensemble).__name__ in text


@pytest.mark.parametrize("entry", [solve_stationary, solve_classical])
def test_per_unit_tau_raises(entry) -> None:
    spec = RateNetwork(ensemble=GaussianEnsemble(n=3, g=2.0), tau=np.array([1.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match=r"`network\.tau` must be one value for all units"):
        entry(spec)


def test_equal_per_unit_tau_is_the_scalar_tau() -> None:
    a = solve_stationary(RateNetwork(ensemble=GaussianEnsemble(n=3, g=2.0), tau=2.0))
    b = solve_stationary(RateNetwork(ensemble=GaussianEnsemble(n=3, g=2.0), tau=np.full(3, 2.0)))
    assert a.delta0 == b.delta0
    np.testing.assert_array_equal(a.lags, b.lags)


def test_not_a_network_is_refused() -> None:
    with pytest.raises(TypeError, match="`network` must be a RateNetwork"):
        solve_stationary(GaussianEnsemble(n=3, g=2.0))  # type: ignore[arg-type]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="`tol` must be > 0"):
        solve_stationary(net(2.0), tol=0.0)
    with pytest.raises(ValueError, match="`on_failure` must be one of"):
        solve_stationary(net(2.0), on_failure="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`method` must be one of"):
        FixedPoint(method="bisect")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`damping` must be in"):
        FixedPoint(damping=1.5)
    with pytest.raises(TypeError, match="`solver` must be a FixedPoint"):
        solve_stationary(net(2.0), solver="newton")  # type: ignore[arg-type]


def test_classical_method_rejects_outside_its_assumptions() -> None:
    with pytest.raises(ValueError, match="sigma = sigma_b = 0"):
        solve_classical(net(2.0, sigma=0.1))
    with pytest.raises(TypeError, match="`phi` must be odd"):
        solve_classical(net(2.0, "relu"))
    with pytest.raises(ValueError, match="`g` must be > 1"):
        solve_classical(net(0.8))


def test_static_input_vector_with_mean_warns() -> None:
    spec = RateNetwork(ensemble=GaussianEnsemble(n=50, g=0.5), b=np.full(50, 0.7))
    with pytest.warns(RegimeWarning, match="zero-mean"):
        sol = solve_stationary(spec)
    assert sol.regime == "static"


@pytest.mark.parametrize("method", ["anderson", "damped"])
def test_other_iterations_reach_the_same_solution(method: str) -> None:
    ref = solve_stationary(net(3.0), tol=1e-9)
    sol = solve_stationary(net(3.0), tol=1e-9, solver=FixedPoint(method=method, max_iter=4000))
    # both stop at residual <= 1e-9; the map's Jacobian has ||(I-J)^{-1}|| ~ 1/0.08, so the
    # solutions differ by at most ~2 * 1e-9 / 0.08 relative
    assert sol.delta0 == pytest.approx(ref.delta0, rel=3e-8)
