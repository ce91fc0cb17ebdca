"""Tests of the multi-population stationary DMFT (randrnn.dmft.populations).

Reductions to the one-population solver (one population; identical populations), independent
re-measurement of the residual, the damped-iteration route, the closed forms of the kernel at a
nonzero mean, refusals, and (marker ``validation``) E/I networks with block means and with two
time constants against simulation.

Why the E/I networks use a test-local ensemble: a dense ``BlockEnsemble`` draws non-negative
magnitudes with Dale signs, so a block with :math:`n\\,\\mathrm{Var}(J) = s` has mean
:math:`|n E[J]| \\ge \\sqrt{3 n s}` (uniform magnitudes; ``scaling="sqrt_n"`` or ``"none"``
alike): its mean input grows like :math:`\\sqrt n` (a balanced network), never O(1). The
theory's large-n limit has O(1) block means, so the validation draws
:math:`J_{ij} \\sim \\mathcal N(\\mu_{ab}/n, s_{ab}/n)` with E columns positive and I columns
negative in the mean ("explicit blocks", below).
"""

from __future__ import annotations

import math
import os
import tempfile
from typing import Any

import numpy as np
import pytest

from randrnn import ConvergenceError, GaussianEnsemble, RateNetwork, Seeds, gaussian, realize
from randrnn.dmft import FixedPoint, solve_stationary
from randrnn.dmft import _populations_map as pm
from randrnn.dmft.populations import (
    PopulationSolution,
    populations_residual,
    solve_populations,
)
from randrnn.dmft.stationary import StationarySolution
from randrnn.ensembles import (
    BlockEnsemble,
    Fixed,
    GaussianBlockEnsemble,
    Samples,
    Uniform,
)
from randrnn.nonlinearities import nonlinearity

TOL = 1e-10


#: E/I block means (n E[J]: to row population from column population) and variances
EI_MEAN = ((1.0, -2.0), (1.5, -1.5))
EI_VAR = {"noise-driven": ((2.0, 3.0), (2.5, 1.5)), "chaotic": ((4.0, 6.0), (5.0, 3.0))}
EI_INPUT = (0.3, 0.1)  # static input of the E and I units


def ei_network(n: int, regime: str, tau: Any = 1.0) -> RateNetwork:
    ens = GaussianBlockEnsemble(n=n, fractions=(0.8, 0.2), mean=EI_MEAN, var=EI_VAR[regime])
    b = np.where(ens.population_index() == 0, *EI_INPUT)
    sigma = 0.5 if regime == "noise-driven" else 0.0
    return RateNetwork(ensemble=ens, phi="tanh", b=b, sigma=sigma, tau=tau)


def gaussian_net(g: float, phi: str, **kw: Any) -> RateNetwork:
    return RateNetwork(ensemble=GaussianEnsemble(n=10, g=g), phi=phi, **kw)


def _assert_matches_single(pop: StationarySolution, single: StationarySolution) -> None:
    assert pop.lags.size == single.lags.size
    np.testing.assert_allclose(pop.lags, single.lags, rtol=0, atol=1e-12)
    for name in ("delta", "c", "s_r"):
        diff = np.max(np.abs(getattr(pop, name) - getattr(single, name)))
        assert diff <= 1e-8, f"{name} differs by {diff:.2e}"
    assert abs(pop.mu1 - single.mu1) <= 1e-8
    assert abs(pop.mu0 - single.mu0) <= 1e-8


# ---------------------------------------------------------------------------------------------
# reductions to the one-population solver
# ---------------------------------------------------------------------------------------------

ONE_POPULATION = [
    ("tanh", 2.0, {}),  # chaotic
    ("tanh", 1.5, {"sigma": 0.5, "sigma_b": 0.5}),  # noise-driven with static input
    ("relu", 1.2, {"sigma": 0.5}),  # sub-critical ReLU: nonzero mu0 and static part
    ("tanh", 1.5, {"sigma": 0.5, "tau": 2.0}),  # time in the network's units
]


@pytest.mark.parametrize(("phi", "g", "kw"), ONE_POPULATION)
def test_one_population_equals_solve_stationary(phi: str, g: float, kw: dict) -> None:
    """Both solve the same discrete equation to TOL: 1e-8 leaves 100x for 1/(1 - contraction)."""
    net = gaussian_net(g, phi, **kw)
    single = solve_stationary(net, tol=TOL)
    sol = solve_populations(net, tol=TOL)
    assert sol.converged
    assert sol.regime == single.regime
    assert sol.n_populations == 1
    _assert_matches_single(sol.population(0), single)
    if phi == "relu":
        assert sol.mu0[0] > 0.1  # the case exercises the static part f s psi^2
        assert sol.delta_inf[0] > 0.01


@pytest.mark.parametrize("sigma", [0.0, 0.5])
def test_identical_populations_equal_single_population(sigma: float) -> None:
    """Two dense blocks of equal variance, means removed: each population is the SCS network."""
    w = Uniform(low=0.0, high=6.0)  # n Var(J) = 36 / 12 = 3 in every block
    ens = BlockEnsemble(
        n=1000,
        fractions=(0.3, 0.7),
        signs=(1, -1),
        connectivity=((1.0, 1.0), (1.0, 1.0)),
        weights=((w, w), (w, w)),
        keep_mean=False,
    )
    assert ens.statistics().dense
    sol = solve_populations(RateNetwork(ensemble=ens, phi="tanh", sigma=sigma), tol=TOL)
    single = solve_stationary(gaussian_net(math.sqrt(3.0), "tanh", sigma=sigma), tol=TOL)
    assert sol.names == ("E", "I")
    for a in (0, "I"):
        _assert_matches_single(sol.population(a), single)
    np.testing.assert_array_equal(sol.mean, 0.0)


def test_residual_laplace_matches_single_population() -> None:
    """The Laplace transform (kink terms included) is the one-population transform."""
    net = gaussian_net(1.5, "tanh", sigma=0.8)
    single = solve_stationary(net, tol=TOL)
    sol = solve_populations(net, tol=TOL)
    alpha = np.array([0.05, 0.5 + 2.0j, 3.0 - 1.0j, 40.0])
    np.testing.assert_allclose(
        sol.residual_laplace(0, alpha), single.residual_laplace(alpha), rtol=1e-8, atol=1e-12
    )


# ---------------------------------------------------------------------------------------------
# residuals and a second route
# ---------------------------------------------------------------------------------------------


def _pair(phi: Any, var: float, cov: float, mean: float) -> float:
    return float(gaussian.expect_pair(phi, phi, var, cov, mean=mean))


@pytest.mark.parametrize("tau", [1.0, (Fixed(value=1.0), Fixed(value=2.0))])
def test_residual_is_below_tol_and_remeasured_independently(tau: Any) -> None:
    """E/I with block means: the reported residual, a rebuilt map, and direct quadrature."""
    net = ei_network(100, "noise-driven", tau=tau)
    sol = solve_populations(net, tol=TOL)
    assert sol.converged
    assert sol.residual <= TOL
    assert populations_residual(sol) <= TOL
    phi = nonlinearity("tanh")
    f = sol.fractions
    mu, s = np.array(EI_MEAN), np.array(EI_VAR["noise-driven"])
    scale = np.maximum(sol.delta0, 1.0)
    # mean and static equations by quadrature (no tables): a table interpolates to ~1e-14
    psi = np.array([gaussian.mean(phi, sol.delta0[b], mean=sol.mean[b]) for b in range(2)])
    cinf = np.array([_pair(phi, sol.delta0[b], sol.delta_inf[b], sol.mean[b]) for b in range(2)])
    assert np.all(np.abs(np.array(EI_INPUT) + (mu * f) @ psi - sol.mean) <= TOL * scale + 1e-12)
    assert np.all(np.abs((s * f) @ cinf - sol.delta_inf) <= TOL * scale + 1e-12)
    # the dynamic equation tau_a^2 d'' = d - sum_b f_b s_ab (C_b - C_b,inf) at t > 0 by central
    # differences: truncation dt^2/12 |d''''| (measured from fourth differences) plus the
    # residual tol amplified by 4/dt^2, both times tau_a^2
    t, dt = sol.lags, float(sol.lags[1] - sol.lags[0])
    idx = np.arange(20, 200, 7)
    ctab = np.array(
        [[_pair(phi, sol.delta0[b], sol.delta[b, i], sol.mean[b]) for i in idx] for b in range(2)]
    )
    for a in range(2):
        d = sol.delta_dynamic[a]
        d2 = (d[idx + 1] - 2 * d[idx] + d[idx - 1]) / dt**2
        d4 = (d[idx + 2] - 4 * d[idx + 1] + 6 * d[idx] - 4 * d[idx - 1] + d[idx - 2]) / dt**4
        rhs = d[idx] - (s[a] * f) @ (ctab - cinf[:, None])
        fd_error = dt**2 / 12 * np.max(np.abs(d4)) * 2 + 4 * TOL * scale[a] / dt**2
        bound = sol.tau[a] ** 2 * fd_error + 1e-12
        assert np.max(np.abs(sol.tau[a] ** 2 * d2 - rhs)) <= bound
    assert t[idx[-1]] < t[-1] / 2


def test_damped_iteration_agrees_with_newton() -> None:
    """A second route to the same discrete fixed point.

    Both end within ``r / (1 - rho)`` of it, ``r`` their residual and ``rho`` the contraction
    of the map, measured from the damped run: it reduces the residual (from at most 10 Delta0)
    by ``lam = 1 - damping (1 - rho)`` per sweep.
    """
    net = ei_network(100, "noise-driven")
    tol = 1e-12
    newton = solve_populations(net, tol=tol)
    damped = solve_populations(
        net, tol=tol, solver=FixedPoint(method="damped", damping=0.5, max_iter=20_000)
    )
    assert damped.converged
    assert newton.n_iter < damped.n_iter / 5  # Newton's point: far fewer map evaluations
    lam = (tol / (10 * np.max(newton.delta0))) ** (1.0 / damped.n_iter)
    rho = 1.0 - (1.0 - lam) / 0.5
    bound = 2 * tol * np.max(np.maximum(newton.delta0, 1.0)) / (1.0 - rho)
    lags = newton.lags[newton.lags <= min(newton.lags[-1], damped.lags[-1])]
    for a in range(2):
        both = np.interp(lags, damped.lags, damped.delta[a]) - np.interp(
            lags, newton.lags, newton.delta[a]
        )
        assert np.max(np.abs(both)) <= bound
    assert np.max(np.abs(damped.mean - newton.mean)) <= bound


# ---------------------------------------------------------------------------------------------
# the kernel at a nonzero mean
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("phi", ["tanh", "relu", "erf", "linear"])
@pytest.mark.parametrize("mean", [-0.7, 0.4])
def test_kernel_at_nonzero_mean_meets_one_variable_identities(phi: str, mean: float) -> None:
    """K(var) = E[phi^2], K(0) = E[phi]^2, K'(0) = E[phi']^2 (Price), K'(var) = E[phi'^2].

    One-variable closed forms or quadrature (error ~1e-15; ReLU's kinked quadrature is
    avoided by its closed forms) against the table or closed form of two variables.
    """
    p = nonlinearity(phi)
    var = 1.7
    k = pm.kernel(p, var, mean, -var)
    m0 = gaussian.mean(p, var, mean=mean)
    assert abs(float(k(np.array([var]))[0]) - gaussian.second_moment(p, var, mean=mean)) < 1e-12
    assert abs(float(k(np.array([0.0]))[0]) - m0**2) < 1e-12
    g1 = gaussian.gain(p, var, mean=mean)
    assert abs(float(k.derivative(np.array([0.0]), 1)[0]) - g1**2) < 1e-10
    g2 = gaussian.gain_second_moment(p, var, mean=mean)
    assert abs(float(k.derivative(np.array([var]), 1)[0]) - g2) < 1e-9
    assert abs(pm.kernel_slope(p, var, mean, 0.0) - g1**2) < 1e-12


# ---------------------------------------------------------------------------------------------
# results and refusals
# ---------------------------------------------------------------------------------------------


def test_result_views_xarray_and_summary() -> None:
    sol = solve_populations(ei_network(100, "noise-driven"), tol=TOL)
    assert isinstance(sol, PopulationSolution)
    P, m = 2, sol.lags.size
    assert sol.delta.shape == sol.delta_dynamic.shape == sol.c.shape == sol.s_r.shape == (P, m)
    np.testing.assert_allclose(sol.q, sol.delta0 - sol.delta_inf, atol=1e-15)
    np.testing.assert_allclose(sol.delta_dynamic, sol.delta - sol.delta_inf[:, None], atol=1e-15)
    ds = sol.to_xarray()
    assert ds["delta"].dims == ("population", "lag")
    assert ds["c_hat"].dims == ("population", "freq")
    assert list(ds["population"].values) == ["E", "I"]
    view = sol.population("I")
    assert view.delta0 == sol.delta0[1]
    assert view.mu1 == sol.mu1[1]
    summary = sol.summary()
    assert set(summary["populations"]) == {"E", "I"}
    assert summary["converged"] is True
    with pytest.raises(ValueError, match="population name"):
        sol.population("X")
    with pytest.raises(ValueError, match=r"must be in \[0, 2\)"):
        sol.population(2)


def test_residual_laplace_with_two_time_constants_matches_quadrature() -> None:
    """Against the trapezoid with its Euler-Maclaurin end correction on [0, t_max].

    The corrected rule errs by ~dt^4 |g'''|/720 at each end plus the error of the one-sided
    estimate of g'(0) (second order: dt^2 |g'''| / 3, times dt^2 / 12); the bound takes 4x
    their sum with g''' from third differences. The tail beyond t_max is below tol.
    """
    sol = solve_populations(
        ei_network(100, "noise-driven", tau=(Fixed(value=1.0), Fixed(value=2.0))), tol=TOL
    )
    t = sol.lags
    dt = float(t[1] - t[0])
    for a in range(2):
        for alpha in (0.3, 1.0 + 1.0j):
            g = sol.s_r[a] * np.exp(-alpha * t)
            trap = dt * (np.sum(g) - 0.5 * (g[0] + g[-1]))
            gp0 = (-3 * g[0] + 4 * g[1] - g[2]) / (2 * dt)
            gpl = (g[-1] - g[-2]) / dt
            corrected = trap - dt**2 / 12 * (gpl - gp0)
            g3 = abs((g[3] - 3 * g[2] + 3 * g[1] - g[0]) / dt**3)
            bound = 4 * dt**4 * g3 * (1 / 360 + 1 / 36) + 10 * TOL
            assert abs(sol.residual_laplace(a, alpha) - corrected) <= bound


def test_refuses_what_it_does_not_cover() -> None:
    sparse = BlockEnsemble.excitatory_inhibitory(n=200, keep_mean=False)
    with pytest.raises(TypeError, match="finite connectivity"):
        solve_populations(RateNetwork(ensemble=sparse))
    with pytest.raises(TypeError, match=r"partial symmetry eta = 0\.5"):
        solve_populations(RateNetwork(ensemble=GaussianEnsemble(n=50, g=1.5, eta=0.5)))
    ens = GaussianBlockEnsemble(n=50, fractions=(0.8, 0.2), mean=EI_MEAN, var=EI_VAR["chaotic"])
    per_unit = RateNetwork(ensemble=ens, tau=np.linspace(1.0, 2.0, 50))
    with pytest.raises(ValueError, match="one value per population"):
        solve_populations(per_unit)
    with pytest.raises(ValueError, match="`tol` must be >="):
        solve_populations(RateNetwork(ensemble=ens), tol=1e-16)


def test_discrete_tau_law_equals_explicit_subpopulations() -> None:
    """A two-valued law of E's time constants is exactly two E sub-populations of half size."""
    law = Samples(values=(1.0, 3.0))
    net2 = ei_network(100, "noise-driven", tau=(law, Fixed(value=2.0)))
    k = [0, 0, 1]
    ens3 = GaussianBlockEnsemble(
        n=100,
        fractions=(0.4, 0.4, 0.2),
        mean=tuple(tuple(EI_MEAN[i][j] for j in k) for i in k),
        var=tuple(tuple(EI_VAR["noise-driven"][i][j] for j in k) for i in k),
    )
    b3 = np.where(ens3.population_index() == 2, EI_INPUT[1], EI_INPUT[0])
    tau3 = tuple(Fixed(value=v) for v in (1.0, 3.0, 2.0))
    net3 = RateNetwork(ensemble=ens3, phi="tanh", b=b3, sigma=0.5, tau=tau3)
    two, three = solve_populations(net2, tol=TOL), solve_populations(net3, tol=TOL)
    assert two.names == ("E[tau=1]", "E[tau=3]", "I")
    assert two.parent == (0, 0, 1)
    np.testing.assert_allclose(two.fractions, three.fractions, rtol=1e-15)
    assert two.lags.size == three.lags.size
    # the same discrete equations: agreement to the solver tolerance (100x margin)
    np.testing.assert_allclose(two.delta, three.delta, rtol=0, atol=1e-8)
    np.testing.assert_allclose(two.mean, three.mean, rtol=0, atol=1e-8)


def test_tau_law_quadrature_converges(monkeypatch: pytest.MonkeyPatch) -> None:
    """Gauss-Legendre nodes over Uniform(1, 3): the 4-node error is far below the 2-node one.

    The population-averaged Delta_E(t) depends smoothly on tau, so the rule converges
    geometrically: |Q4 - Q8| must be below a tenth of |Q2 - Q4| (or at the solver tolerance).
    The default (8 nodes) is one more doubling.
    """
    from randrnn.dmft import populations

    net = ei_network(100, "noise-driven", tau=(Uniform(low=1.0, high=3.0), Fixed(value=2.0)))

    def averaged(nodes: int) -> np.ndarray:
        monkeypatch.setattr(populations, "TAU_NODES", nodes)
        sol = solve_populations(net, tol=TOL)
        e = np.array(sol.parent) == 0
        w = sol.fractions[e] / sol.fractions[e].sum()
        lags = np.arange(0.0, 20.0, 0.5)
        return w @ np.array([np.interp(lags, sol.lags, d) for d in sol.delta[e]])

    q2, q4, q8 = averaged(2), averaged(4), averaged(8)
    assert np.max(np.abs(q4 - q8)) <= max(0.1 * np.max(np.abs(q2 - q4)), 1e-8)
    assert np.max(np.abs(q2 - q4)) > 0  # the spread matters


def test_per_unit_tau_constant_within_populations_is_accepted() -> None:
    ens = GaussianBlockEnsemble(n=50, fractions=(0.8, 0.2), mean=EI_MEAN, var=EI_VAR["chaotic"])
    tau = np.where(ens.population_index() == 0, 1.0, 2.0)
    a = solve_populations(RateNetwork(ensemble=ens, tau=tau, sigma=0.3))
    b = solve_populations(
        RateNetwork(ensemble=ens, tau=(Fixed(value=1.0), Fixed(value=2.0)), sigma=0.3)
    )
    np.testing.assert_array_equal(a.tau, [1.0, 2.0])
    np.testing.assert_allclose(a.delta, b.delta, rtol=0, atol=1e-12)


def test_unbounded_growth_is_divergent() -> None:
    net = RateNetwork(ensemble=GaussianEnsemble(n=50, g=2.0), phi="relu", sigma=0.5)
    with pytest.raises(ConvergenceError, match="no stationary state"):
        solve_populations(net)
    sol = solve_populations(net, on_failure="return")
    assert sol.regime == "divergent"
    assert not sol.converged
    assert np.all(np.isnan(sol.delta))


# ---------------------------------------------------------------------------------------------
# against simulation
# ---------------------------------------------------------------------------------------------

LAGS = (0.0, 1.0, 2.0, 4.0)
QUANTITIES = ("M", *(f"Delta({lag:g})" for lag in LAGS), "C(0)")


def _measure_once(net: RateNetwork, seeds: Seeds, store: str, reduced: bool) -> np.ndarray:
    """Per population: mean of x, Delta_a at LAGS (around the population mean), C_a(0)."""
    import zarr

    from randrnn.simulate import SimulationSettings, simulate

    every = 10  # record every 0.5 time units: the LAGS are multiples
    trials = 4 if reduced else 8
    st = SimulationSettings(
        dt=0.05,
        t_max=200.0 if reduced else 400.0,
        burn_in=100.0,
        n_trials=trials,
        max_lag=0.0,
        covariance=False,
        cross_covariance=False,
        progress=False,
        record_units=tuple(range(net.n)),
        record_trials=trials,
        record_every=every,
    )
    simulate(realize(net, seeds), st, trajectory_store=store)
    x = zarr.open_group(store, mode="r")["trajectory"]["x"]  # (time, trial, unit), float32
    pop = net.ensemble.population_index()
    idx = [round(lag / (every * st.dt)) for lag in LAGS]
    n_lag = max(idx) + 1
    out = []
    for a in range(2):
        units = np.flatnonzero(pop == a)
        xa = np.asarray(x[:, :, units[0] : units[-1] + 1], dtype=float)
        m_a = float(xa.mean())
        T = xa.shape[0]
        acf = np.zeros(n_lag)
        for k in range(xa.shape[1]):  # one trial at a time bounds the FFT's memory
            spec = np.fft.rfft(xa[:, k] - m_a, n=2 * T, axis=0)
            acf += np.fft.irfft(np.abs(spec) ** 2, axis=0)[:n_lag].mean(axis=1)
        acf /= xa.shape[1] * (T - np.arange(n_lag))
        out.append([m_a, *acf[idx], float(np.mean(np.tanh(xa) ** 2))])
    return np.array(out)


def _measure(net: RateNetwork, reduced: bool, n_real: int = 3) -> tuple[np.ndarray, np.ndarray]:
    with tempfile.TemporaryDirectory() as tmp:
        vals = np.array(
            [
                _measure_once(
                    net,
                    Seeds(coupling=100 + r, input=150 + r, initial=200 + r, noise=300 + r),
                    os.path.join(tmp, f"r{r}.zarr"),
                    reduced,
                )
                for r in range(n_real)
            ]
        )
    return vals.mean(0), vals.std(0, ddof=1) / np.sqrt(n_real)


def _check_against_simulation(regime: str, tau: Any, reduced: bool, record_property: Any) -> None:
    """Two sizes N and N/4, 3 realizations each, 1/N extrapolation within 5 SE (as in
    test_validation_dmft; the raw value at N within 5 SE plus the measured finite-size shift).
    """
    n = 500 if reduced else 2000
    sol = solve_populations(ei_network(n, regime, tau=tau))
    theory = np.array(
        [[sol.mean[a], *np.interp(LAGS, sol.lags, sol.delta[a]), sol.c0[a]] for a in range(2)]
    )
    big, big_se = _measure(ei_network(n, regime, tau=tau), reduced)
    small, small_se = _measure(ei_network(n // 4, regime, tau=tau), reduced)
    extrap = (4 * big - small) / 3
    extrap_se = np.sqrt(16 * big_se**2 + small_se**2) / 3
    z = (extrap - theory) / extrap_se
    for a, name in enumerate(sol.names):
        for j, q in enumerate(QUANTITIES):
            record_property(
                f"{name}_{q}",
                f"dmft {theory[a, j]:.4f} sim(N={n}) {big[a, j]:.4f}+-{big_se[a, j]:.4f} "
                f"sim(N={n // 4}) {small[a, j]:.4f}+-{small_se[a, j]:.4f} z_extrap {z[a, j]:+.2f}",
            )
    record_property("max_abs_z_extrapolated", float(np.max(np.abs(z))))
    assert np.all(np.abs(z) <= 5), f"extrapolated z-scores {np.round(z, 2)} (rows E, I)"
    shift = np.abs(big - small) / 3
    assert np.all(np.abs(big - theory) <= 5 * big_se + shift + 5 * small_se / 3)


@pytest.mark.validation
@pytest.mark.parametrize("regime", ["noise-driven", "chaotic"])
def test_ei_block_means_match_simulation(regime: str, reduced: bool, record_property: Any) -> None:
    _check_against_simulation(regime, 1.0, reduced, record_property)


@pytest.mark.validation
def test_two_time_constants_match_simulation(reduced: bool, record_property: Any) -> None:
    _check_against_simulation(
        "noise-driven", (Fixed(value=1.0), Fixed(value=2.0)), reduced, record_property
    )
