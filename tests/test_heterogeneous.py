"""Linear-equivalent covariances with heterogeneous units: routes against each other and limits.

Every check compares two independent computations: the eigenbasis of J G against frequency
quadrature with LU solves, the per-unit machinery with equal units against the homogeneous
formula (whose transforms are the DMFT's spectrally accurate ones), lagged covariances against
the matrix exponential of a linear network and against a quadrature of e^{i w t} C(w), and the
linear network's Lyapunov equation with per-unit time constants.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.linalg import expm, solve_continuous_lyapunov

from randrnn import GaussianEnsemble, RateNetwork, Seeds, gaussian, realize, solve_stationary
from randrnn.covariance import (
    ResidualStatistics,
    UnstableNetworkError,
    heterogeneous_covariance,
    heterogeneous_naive_closure,
    lagged_covariance,
    linear_equivalent_covariance,
    naive_closure_covariance,
    predict_covariance,
    realization_mean_field,
    realization_order_parameters,
    unit_residuals,
)
from randrnn.covariance._common import _frequency_rule
from randrnn.covariance.units import _residual_profile
from randrnn.nonlinearities import nonlinearity

N = 50


@pytest.fixture(scope="module")
def setup():  # type: ignore[no-untyped-def]
    net = RateNetwork(ensemble=GaussianEnsemble(n=N, g=1.2), phi="tanh", sigma=0.8, tau=2.0)
    sol = solve_stationary(net)
    real = realize(net, Seeds(coupling=3))
    means = np.random.default_rng(1).normal(0.0, 0.8, N)
    units = unit_residuals("tanh", means, sol.lags, sol.delta - sol.delta_inf)
    return net, sol, real, units


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / np.abs(b).max())


def test_equal_units_reproduce_the_homogeneous_prediction(setup) -> None:  # type: ignore[no-untyped-def]
    _net, sol, real, _ = setup
    same = unit_residuals("tanh", np.zeros(N), sol.lags, sol.delta - sol.delta_inf)
    assert same.n_nodes == (1,)
    hom = linear_equivalent_covariance(
        real.J, ResidualStatistics.from_dmft(sol), sigma=0.8, tau=2.0
    )
    het = heterogeneous_covariance(real.J, same, sigma=0.8, tau=2.0)
    # the per-unit transforms are O(dt^4) (Richardson); 1e-8 is 25x their measured error here
    for name in ("c_phi", "c_x", "c_xphi"):
        assert _rel(getattr(het, name), getattr(hom, name)) < 1e-8, name
    nh = naive_closure_covariance(real.J, ResidualStatistics.from_dmft(sol), sigma=0.8, tau=2.0)
    nn = heterogeneous_naive_closure(real.J, same, sigma=0.8, tau=2.0)
    for name in ("c_phi", "c_x"):
        assert _rel(getattr(nn, name), getattr(nh, name)) < 1e-7, name


def test_eigenbasis_and_quadrature_agree_with_heterogeneous_units(setup) -> None:  # type: ignore[no-untyped-def]
    _, _, real, units = setup
    assert units.n_nodes[0] >= 9
    e = heterogeneous_covariance(real.J, units, sigma=0.8, tau=2.0, method="eigen")
    q = heterogeneous_covariance(real.J, units, sigma=0.8, tau=2.0, method="quadrature")
    assert e.method == "eigen"
    assert q.method == "quadrature"
    for name in ("c_phi", "c_x", "c_xphi"):
        assert _rel(e.c_phi if name == "c_phi" else getattr(e, name), getattr(q, name)) < 1e-9
    # the heterogeneity matters: per-unit variances differ from a common-gain answer
    assert float(np.std(np.diag(e.c_phi)) / np.mean(np.diag(e.c_phi))) > 0.1


def test_interpolation_in_the_mean_matches_direct_profiles(setup) -> None:  # type: ignore[no-untyped-def]
    _, sol, _, units = setup
    phi = nonlinearity("tanh")
    dd = sol.delta - sol.delta_inf
    for i in (0, 7, 31):
        direct, psi, mu1 = _residual_profile(phi, float(units.means[i]), float(dd[0]), dd)
        got = units.profile([i])[0]
        m = got.size
        assert np.abs(got - direct[:m]).max() < 1e-9 * np.abs(direct).max()
        assert abs(units.gains[i] - mu1) < 1e-12
        assert abs(units.rates[i] - psi) < 1e-12


def test_lag_zero_is_the_equal_time_covariance(setup) -> None:  # type: ignore[no-untyped-def]
    _, sol, real, units = setup
    dt = float(sol.lags[1])
    e = heterogeneous_covariance(real.J, units, sigma=0.8, tau=2.0, method="eigen")
    lag = lagged_covariance(real.J, units, [0.0, 10 * dt], sigma=0.8, tau=2.0, full=True)
    assert lag.c_x is not None
    assert lag.c_phi is not None
    assert _rel(lag.c_x[0], e.c_x) < 1e-12
    assert _rel(lag.c_phi[0], e.c_phi) < 1e-12
    for k in range(2):  # O(n^2) traces equal the traces of the O(n^3) matrices
        assert abs(lag.trace_x[k] - np.trace(lag.c_x[k]) / N) < 1e-12
        assert abs(lag.trace_phi[k] - np.trace(lag.c_phi[k]) / N) < 1e-12


def test_lagged_covariance_matches_a_frequency_integral() -> None:
    """C_x(t) = int dw/2pi e^{iwt} R_x J S_r J^T R_x^H, by quadrature in w.

    Without white noise (chaos, smooth residuals) the integrand decays fast enough for the
    oscillating factor; the white-noise term is checked exactly by the linear-network test.
    """
    n = 40
    net = RateNetwork(ensemble=GaussianEnsemble(n=n, g=1.3), phi="tanh", tau=2.0)
    sol = solve_stationary(net)
    real = realize(net, Seeds(coupling=1))
    means = np.random.default_rng(2).normal(0.0, 0.5, n)
    units = unit_residuals("tanh", means, sol.lags, sol.delta - sol.delta_inf)
    t = 40 * float(sol.lags[1])
    lag = lagged_covariance(real.J, units, [t], sigma=0.0, tau=2.0, full=True)
    J, tau = real.J, 2.0
    kappa = np.linalg.eigvals((np.eye(n) - J * units.gains[None, :]) / tau)
    w, wt = _frequency_rule(np.concatenate([1j * kappa, [1j / tau, 1j * units.rate]]))
    S = units.spectrum(w)
    acc = np.zeros((n, n), dtype=complex)
    for f in range(w.size):  # C(t) = (1/pi) Re int_0^inf e^{iwt} C(w) dw, C(-w) = conj C(w)
        R = np.linalg.inv(np.eye(n) * (1 + 1j * w[f] * tau) - J * units.gains[None, :])
        RJ = R @ J
        acc += wt[f] * np.exp(1j * w[f] * t) * ((RJ * S[:, f]) @ RJ.conj().T)
    ref = acc.real / np.pi
    assert lag.c_x is not None
    assert _rel(lag.c_x[0], ref) < 1e-7


def test_linear_network_lags_are_matrix_exponentials() -> None:
    net = RateNetwork(ensemble=GaussianEnsemble(n=40, g=0.7), phi="linear", sigma=1.0, tau=2.0)
    sol = solve_stationary(net)
    real = realize(net, Seeds(coupling=5))
    units = unit_residuals("linear", np.zeros(40), sol.lags, sol.delta - sol.delta_inf)
    dt = float(sol.lags[1])
    lag = lagged_covariance(real.J, units, [0.0, 20 * dt, 60 * dt], sigma=1.0, tau=2.0, full=True)
    A = (real.J - np.eye(40)) / 2.0
    c0 = solve_continuous_lyapunov(A, -np.eye(40) / 4.0)
    assert lag.c_x is not None
    for t, c in zip(lag.lags, lag.c_x, strict=True):
        assert _rel(c, expm(A * t) @ c0) < 1e-12


def test_per_unit_time_constants_solve_the_lyapunov_equation() -> None:
    """Linear network, tau_i dx = (-x + J x) dt + sigma dW: A C + C A^T + sigma^2 T^-2 = 0."""
    n = 30
    net = RateNetwork(ensemble=GaussianEnsemble(n=n, g=0.6), phi="linear", sigma=0.7)
    sol = solve_stationary(net)
    real = realize(net, Seeds(coupling=2))
    tau = np.where(np.arange(n) < n // 2, 1.0, 3.0)
    units = unit_residuals("linear", np.zeros(n), sol.lags, sol.delta - sol.delta_inf)
    pred = heterogeneous_covariance(real.J, units, sigma=0.7, tau=tau)
    assert pred.method == "quadrature"
    A = (real.J - np.eye(n)) / tau[:, None]
    ref = solve_continuous_lyapunov(A, -np.diag(0.49 / tau**2))
    assert _rel(pred.c_x, ref) < 1e-9
    with pytest.raises(ValueError, match=r"one time constant"):
        heterogeneous_covariance(real.J, units, sigma=0.7, tau=tau, method="eigen")


def test_mean_field_of_a_linear_network_is_exact() -> None:
    rng = np.random.default_rng(0)
    J = rng.normal(0, 0.5 / np.sqrt(40), (40, 40))
    b = rng.normal(0, 1, 40)
    mf = realization_mean_field(J, b, "linear", 0.3)
    assert np.abs(mf.means - np.linalg.solve(np.eye(40) - J, b)).max() < 1e-12
    mf = realization_mean_field(J, b, "tanh", 0.3)
    psi = np.array([gaussian.mean("tanh", 0.3, mean=float(m)) for m in mf.means])
    gain = np.array([gaussian.gain("tanh", 0.3, mean=float(m)) for m in mf.means])
    assert np.abs(mf.rates - psi).max() < 1e-13
    assert np.abs(mf.gains - gain).max() < 1e-13
    assert np.abs(mf.means - b - J @ psi).max() <= 1e-12


def test_static_input_network_uses_the_heterogeneous_theory() -> None:
    net = RateNetwork(ensemble=GaussianEnsemble(n=60, g=1.2), phi="tanh", sigma=0.8, sigma_b=0.8)
    sol = solve_stationary(net)
    real = realize(net, Seeds(coupling=4, input=5))
    dt = float(sol.lags[1])
    pred = predict_covariance(net, real.J, real.b, sol, lags=[0.0, 5 * dt])
    assert pred.theory == "heterogeneous"
    assert pred.mean_field is not None
    assert pred.naive_status == "compared"
    assert pred.lagged is not None
    assert abs(pred.lagged.trace_x[0] - np.trace(pred.linear.c_x) / 60) < 1e-12
    # the mean field solves m = b + J psi(m) with the DMFT's dynamic variance
    mf = pred.mean_field
    assert np.allclose(mf.var_dynamic, sol.delta0 - sol.delta_inf)
    assert np.abs(mf.means - real.b - real.J @ mf.rates).max() <= 1e-12
    # the refined means use each unit's own predicted dynamic variance
    ref = pred.means_refined
    assert ref is not None
    assert np.allclose(ref.var_dynamic, np.diag(pred.linear.c_x))
    assert np.abs(ref.means - real.b - real.J @ ref.rates).max() <= 1e-12


def test_realization_order_parameters_reproduce_their_own_autocovariance() -> None:
    """At the fixed point, (1/N) tr C_x(t) of the prediction equals the profile it came from.

    The fixed point's map uses exact recursions for the piecewise-linear residual (O(dt^2))
    and lagged_covariance their Richardson extrapolation (O(dt^4)): they agree to ~1e-5.
    """
    net = RateNetwork(ensemble=GaussianEnsemble(n=120, g=1.2), phi="tanh", sigma=0.8)
    sol = solve_stationary(net)
    real = realize(net, Seeds(coupling=6))
    dt = float(sol.lags[1])
    lags = [0.0, 10 * dt, 40 * dt]
    pred = predict_covariance(
        net, real.J, real.b, sol, lags=lags, order_parameters="realization", naive=False
    )
    rop = pred.order_parameters
    assert rop is not None
    assert rop.converged
    assert pred.lagged is not None
    ref = np.interp(lags, rop.lags, rop.delta)
    assert np.abs(pred.lagged.trace_x - ref).max() < 1e-4 * ref[0]
    # a different realization-level profile than the ensemble's (finite N), same scale
    assert 0.0 < abs(rop.mu1 - sol.mu1) < 0.05
    net_b = RateNetwork(ensemble=GaussianEnsemble(n=120, g=1.2), phi="tanh", sigma_b=0.5)
    r_b = realize(net_b, Seeds(coupling=6))
    sol_b = solve_stationary(net_b)
    with pytest.raises(ValueError, match=r"order_parameters.*'realization'"):
        predict_covariance(net_b, r_b.J, r_b.b, sol_b, order_parameters="realization")
    with pytest.raises(ValueError, match=r"needs units that are alike"):
        realization_order_parameters(r_b.J, sol_b)
    with pytest.raises(ValueError, match=r"`sigma` must be the DMFT's noise 0.8"):
        realization_order_parameters(real.J, sol, sigma=0.0)


def test_run_experiment_handles_static_input_and_ei_blocks() -> None:
    """`randrnn run`'s experiment: the heterogeneous theory, the realization's autocovariance
    and its means, for a static-input network and an E/I network with block means."""
    from tests.helpers import run_config

    from randrnn.experiments import run_experiment

    static = run_experiment(run_config(n=60, network={"sigma_b": 0.6}), progress=False)
    assert static.theory == "heterogeneous"
    assert static.autocovariance.x_realization is not None
    assert "means_rms_z" in static.metrics()["simulation"]
    ei = run_config(
        n=80,
        ensemble={
            "kind": "gaussian_blocks",
            "fractions": [0.8, 0.2],
            "mean": [[1.0, -2.0], [1.5, -1.5]],
            "var": [[2.0, 3.0], [2.5, 1.5]],
        },
    )
    del ei["ensemble"]["g"]
    result = run_experiment(ei, progress=False)
    assert result.theory == "heterogeneous"
    assert result.mean_field is not None
    assert np.isfinite(result.covariance.phi.offdiag_corr)
    ds = result.to_xarray()
    assert "mean_x_pred" in ds
    assert "realization_trace_x" in ds


def test_finite_size_warning_from_the_slowest_mode() -> None:
    """edge_proximity = 1 / (N min Re alpha^2); the warning fires from 1, not below."""
    from randrnn.errors import FiniteSizeWarning

    net = RateNetwork(ensemble=GaussianEnsemble(n=12, g=0.95), phi="linear", sigma=1.0)
    dmft = solve_stationary(net)
    seen = {True: 0, False: 0}
    for seed in range(12):
        real = realize(net, Seeds(coupling=seed))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                pred = predict_covariance(net, real.J, real.b, dmft, naive=False)
            except UnstableNetworkError:
                continue
        expected = 1.0 / (12 * pred.linear.min_re_alpha**2)
        assert pred.edge_proximity == pytest.approx(expected, rel=1e-12)
        warned = any(issubclass(w.category, FiniteSizeWarning) for w in caught)
        assert warned == (expected >= 1.0)
        seen[warned] += 1
    assert seen[True] > 0
    assert seen[False] > 0
