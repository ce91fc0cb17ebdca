"""The JAX backend (simulator and quadrature prediction) against the NumPy one and exact results.

Statistical comparisons use the block standard errors of both runs (z-scores of independent
estimates of the same quantity: the two backends draw different noise); scalars must lie within
|z| < 4 (t-distributed with 2 (n_blocks - 1) degrees of freedom: about 4e-4 per comparison),
whole matrices must have a mean z^2 below 1.5 (expected about 1.1 with estimated SEs) and fewer
than 2 % of the entries beyond |z| = 3 (expected about 0.5 %). Each test also shows that the
comparison has power: a wrong coupling strength gives |z| far above 4.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.linalg as sla

from randrnn import GaussianEnsemble, RateNetwork, Seeds, realize
from randrnn.covariance import ResidualStatistics, linear_equivalent_covariance
from randrnn.errors import DivergenceError
from randrnn.nonlinearities import Custom
from randrnn.simulate import SimulationSettings, simulate
from randrnn.testing import assert_within_se

jax = pytest.importorskip("jax")


def _z(a, b, sa, sb):
    return (np.asarray(a) - np.asarray(b)) / np.hypot(sa, sb)


def _both(real, **settings):
    out = {}
    for backend in ("numpy", "jax"):
        st = SimulationSettings(progress=False, backend=backend, **settings)
        out[backend] = simulate(real, st)
    return out["numpy"], out["jax"]


def _assert_matrix_z(z: np.ndarray, label: str) -> None:
    z2, tail = float(np.mean(z**2)), float(np.mean(np.abs(z) > 3))
    assert z2 < 1.5, f"{label}: mean z^2 = {z2:.3f}"
    assert tail < 0.02, f"{label}: {tail:.2%} of the entries beyond |z| = 3"


def test_deterministic_run_matches_numpy_to_rounding():
    """sigma = 0, float64: same x0, same integrator, same schedule: every statistic agrees.

    Exercises the sampling schedule (stats_every = 2 and acf_every = 3 do not divide each
    other), the autocovariance ring across blocks, the quadruple moments, per-unit tau and b,
    and the estimators.
    """
    n = 30
    net = RateNetwork(
        ensemble=GaussianEnsemble(n=n, g=0.8),
        phi="tanh",
        sigma=0.0,
        tau=list(np.linspace(0.5, 2.0, n)),  # per-unit time constants and static input
        b=list(np.linspace(-0.5, 0.5, n)),
    )
    a, b = _both(
        realize(net, Seeds(coupling=1)),
        t_max=20.0,
        burn_in=1.0,
        n_trials=4,
        max_lag=1.0,
        acf_every=3,
        stats_every=2,
        n_quadruples=10,
        dtype="float64",
        n_blocks=4,
    )
    ea, eb = a.equal_time, b.equal_time
    for name in ("cov_x", "cov_phi", "cov_xphi"):
        np.testing.assert_allclose(getattr(eb, name).value, getattr(ea, name).value, atol=1e-12)
        np.testing.assert_allclose(getattr(eb, name).halves, getattr(ea, name).halves, atol=1e-6)
    np.testing.assert_allclose(eb.mean_phi, ea.mean_phi, atol=1e-12)
    np.testing.assert_allclose(eb.var_x_blocks, ea.var_x_blocks, rtol=1e-12)
    np.testing.assert_allclose(eb.wick.kappa, ea.wick.kappa, atol=1e-9)
    aa, ab = a.autocovariance, b.autocovariance
    np.testing.assert_allclose(ab.acf_x, aa.acf_x, rtol=1e-12)
    np.testing.assert_allclose(ab.acf_phi_se, aa.acf_phi_se, rtol=1e-9)
    assert a.n_steps == b.n_steps
    assert a.t_sampled == b.t_sampled


def test_linear_network_matches_numpy_and_lyapunov():
    """phi = x, g < 1, sigma > 0, float32: JAX vs NumPy within SE, and vs the Lyapunov solution.

    Allowance against Lyapunov: exponential Euler biases the stationary covariance along an
    eigenmode lambda by -Re(lambda) dt/2 (relative; simulate's module docstring), at most
    g (1.3) dt/2 max|C| with |lambda| <~ g (1 + 2/sqrt(n)).
    """
    n, g, sigma, dt = 50, 0.5, 1.0, 0.05
    net = RateNetwork(ensemble=GaussianEnsemble(n=n, g=g), phi="linear", sigma=sigma)
    real = realize(net, Seeds(coupling=3, noise=4))
    a, b = _both(real, dt=dt, t_max=400.0, burn_in=10.0, n_trials=8, max_lag=2.0, n_blocks=32)
    ea, eb = a.equal_time, b.equal_time
    assert b.settings.backend == "jax"
    assert eb.cov_x.value.dtype == np.float64
    assert abs(_z(eb.var_x, ea.var_x, eb.var_x_se, ea.var_x_se)) < 4
    iu = np.triu_indices(n)
    _assert_matrix_z(_z(eb.cov_x.value, ea.cov_x.value, eb.cov_x.se, ea.cov_x.se)[iu], "cov_x")
    A = real.J - np.eye(n)
    C = sla.solve_continuous_lyapunov(A, -(sigma**2) * np.eye(n))
    bias = g * 1.3 * dt / 2 * np.abs(C).max()
    dof = eb.n_blocks - 1
    assert_within_se(eb.cov_x.value[iu], C[iu], eb.cov_x.se[iu], bias=bias, dof=dof, label="C")
    assert_within_se(eb.var_x, np.trace(C) / n, eb.var_x_se, z=4, bias=bias, dof=dof)
    # power: the Lyapunov covariance of 1.3 J is far outside the errors
    C_wrong = sla.solve_continuous_lyapunov(1.3 * real.J - np.eye(n), -(sigma**2) * np.eye(n))
    assert abs(eb.var_x - np.trace(C_wrong) / n) / eb.var_x_se > 10


def test_tanh_network_matches_numpy():
    """tanh, g = 1.5, sigma = 1.5: variances, mean |C|, autocovariance, covariance entries.

    The mean off-diagonal |C_phi| gets the conservative SE mean_ij(se_ij) (an upper bound on
    the SE of a mean of entries, whatever their correlation).
    """
    n = 80
    net = RateNetwork(ensemble=GaussianEnsemble(n=n, g=1.5), phi="tanh", sigma=1.5)
    real = realize(net, Seeds(coupling=3, noise=5))
    settings = dict(dt=0.05, t_max=800.0, burn_in=20.0, n_trials=8, max_lag=3.0, n_blocks=16)
    a, b = _both(real, **settings)
    ea, eb = a.equal_time, b.equal_time
    zs = {
        "var_x": _z(eb.var_x, ea.var_x, eb.var_x_se, ea.var_x_se),
        "var_phi": _z(eb.var_phi, ea.var_phi, eb.var_phi_se, ea.var_phi_se),
    }
    off = ~np.eye(n, dtype=bool)
    se_bound = np.hypot(ea.cov_phi.se, eb.cov_phi.se)[off].mean()
    zs["mean |C_phi|"] = (
        np.abs(eb.cov_phi.value[off]).mean() - np.abs(ea.cov_phi.value[off]).mean()
    ) / se_bound
    aa, ab = a.autocovariance, b.autocovariance
    for k in (0, 4, 8, 12):  # lags 0, 1, 2, 3
        zs[f"acf_x({aa.lags[k]:g})"] = _z(ab.acf_x[k], aa.acf_x[k], ab.acf_x_se[k], aa.acf_x_se[k])
    np.testing.assert_allclose(ab.lags, aa.lags)
    worst = max(zs, key=lambda k: abs(zs[k]))
    assert abs(zs[worst]) < 4, f"{worst}: z = {zs[worst]:.2f} ({zs})"
    iu = np.triu_indices(n, 1)
    z_phi = _z(eb.cov_phi.value, ea.cov_phi.value, eb.cov_phi.se, ea.cov_phi.se)[iu]
    _assert_matrix_z(z_phi, "cov_phi")
    # power: a NumPy run at g = 1.2 differs from the JAX run at g = 1.5 by far more than 4 SE
    weak = RateNetwork(ensemble=GaussianEnsemble(n=n, g=1.2), phi="tanh", sigma=1.5)
    ec = simulate(
        realize(weak, Seeds(coupling=3, noise=5)), SimulationSettings(progress=False, **settings)
    ).equal_time
    assert abs(_z(eb.var_x, ec.var_x, eb.var_x_se, ec.var_x_se)) > 10


def test_float64_ou_network_is_exact():
    """J = 0, float64 on JAX: each unit is an OU process, var = sigma^2/2, acf = var e^{-|t|}."""
    sigma = 1.3
    net = RateNetwork(ensemble=GaussianEnsemble(n=40, g=0.0), phi="linear", sigma=sigma)
    st = SimulationSettings(
        dt=0.1,
        t_max=800.0,
        burn_in=10.0,
        n_trials=4,
        max_lag=2.0,
        acf_every=2,
        n_blocks=32,
        dtype="float64",
        backend="jax",
        progress=False,
    )
    sim = simulate(realize(net, Seeds(noise=11)), st)
    var = sigma**2 / 2
    et, ac = sim.equal_time, sim.autocovariance
    dof = et.n_blocks - 1
    # the integrator is exact for J = 0 at any dt: no allowance
    assert_within_se(et.var_x, var, et.var_x_se, z=4, dof=dof, label="OU variance")
    assert_within_se(ac.acf_x, var * np.exp(-ac.lags), ac.acf_x_se, z=4, dof=dof, label="acf")
    iu = np.triu_indices(40)
    assert_within_se(et.cov_x.value[iu], var * np.eye(40)[iu], et.cov_x.se[iu], dof=dof)
    # power: a 10 % error in the noise variance is far outside the errors
    assert abs(et.var_x - 1.1 * var) / et.var_x_se > 10


def test_divergence_raises_the_same_error():
    """An unstable ReLU network diverges on JAX as on NumPy (DivergenceError, with its step)."""
    net = RateNetwork(ensemble=GaussianEnsemble(n=20, g=6.0), phi="relu", sigma=0.0)
    st = SimulationSettings(
        t_max=40.0, burn_in=0.0, n_trials=2, max_lag=0.0, backend="jax", progress=False
    )
    with pytest.raises(DivergenceError, match="unbounded nonlinearity") as err:
        simulate(realize(net, Seeds(coupling=2)), st)
    assert 0 < err.value.step <= st.n_steps


@pytest.mark.parametrize("n", [120])
def test_quadrature_prediction_matches_numpy(n):
    """linear_equivalent_covariance on JAX: the NumPy quadrature to 1e-6 (relative)."""
    J = np.random.default_rng(0).normal(0, 1.5 / np.sqrt(n), (n, n))
    res = ResidualStatistics.exponential(amplitude=0.3, rate=1.5, mu1=0.5)
    ref = linear_equivalent_covariance(J, res, sigma=0.4, method="quadrature")
    got = linear_equivalent_covariance(J, res, sigma=0.4, backend="jax")  # auto -> quadrature
    assert got.method == "quadrature"
    assert got.n_freq == ref.n_freq
    for name in ("c_phi", "c_x", "c_xphi"):
        want, have = getattr(ref, name), getattr(got, name)
        assert np.abs(have - want).max() / np.abs(want).max() < 1e-6, name
    with pytest.raises(ValueError, match="`method` = 'eigen'"):
        linear_equivalent_covariance(J, res, method="eigen", backend="jax")


def test_bad_backend_and_unsupported_options():
    with pytest.raises(ValueError, match="`backend` must be one of"):
        SimulationSettings(backend="cuda")
    with pytest.raises(ValueError, match=r"`record_units`.*backend"):
        SimulationSettings(backend="jax", record_units=(0, 1))
    net = RateNetwork(ensemble=GaussianEnsemble(n=10, g=0.5), phi="tanh", sigma=1.0)
    st = SimulationSettings(t_max=40.0, n_trials=2, max_lag=0.0, backend="jax", progress=False)
    with pytest.raises(ValueError, match="`trajectory_store`"):
        simulate(realize(net, Seeds()), st, trajectory_store="unused.zarr")
    custom = RateNetwork(
        ensemble=GaussianEnsemble(n=10, g=0.5), phi=Custom(np.sin, np.cos), sigma=1.0
    )
    with pytest.raises(ValueError, match="has no JAX form"):
        simulate(realize(custom, Seeds()), st)
    J = np.zeros((4, 4))
    with pytest.raises(ValueError, match="`backend` must be one of"):
        linear_equivalent_covariance(J, ResidualStatistics.linear(), backend="cuda")


def test_import_randrnn_does_not_import_jax():
    code = (
        "import sys, randrnn, randrnn.simulate, randrnn.covariance\n"
        "from randrnn.simulate import SimulationSettings\n"
        "SimulationSettings(backend='jax')\n"
        "print('jax' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.filterwarnings("ignore::randrnn.errors.FiniteSizeWarning")
def test_run_experiment_with_the_jax_prediction_and_simulator():
    """``[prediction] backend`` and ``[simulation] backend`` through the run experiment: the
    prediction equals NumPy's quadrature to 1e-6 relative; the simulated variance agrees within
    SE; the heterogeneous theory refuses the JAX prediction by name."""
    from randrnn.config import config_from_mapping
    from randrnn.experiments import run_experiment

    base = {
        "ensemble": {"n": 40, "g": 2.0},
        "network": {"sigma": 0.5},
        "simulation": {"t_max": 200.0, "n_trials": 8, "max_lag": 2.0, "n_quadruples": 0},
        "prediction": {"method": "quadrature", "naive": False},
    }
    ref = run_experiment(config_from_mapping("run", base), progress=False)
    jx = run_experiment(
        config_from_mapping(
            "run",
            {
                **base,
                "prediction": {**base["prediction"], "backend": "jax"},
                "simulation": {**base["simulation"], "backend": "jax"},
            },
        ),
        progress=False,
    )
    for name in ("c_phi", "c_x", "c_xphi"):
        a, b = getattr(ref.prediction, name), getattr(jx.prediction, name)
        assert np.max(np.abs(a - b)) <= 1e-6 * np.max(np.abs(a)), name
    ea, eb = ref.simulation.equal_time, jx.simulation.equal_time
    assert abs(_z(ea.var_x, eb.var_x, ea.var_x_se, eb.var_x_se)) < 4
    from randrnn import GaussianEnsemble, RateNetwork, realize
    from randrnn.covariance import predict_covariance
    from randrnn.dmft import solve_stationary

    net = RateNetwork(ensemble=GaussianEnsemble(n=30, g=2.0), phi="tanh", sigma_b=0.5)
    real = realize(net, Seeds())
    dmft = solve_stationary(net)
    with pytest.raises(ValueError, match=r"`backend` = 'jax' covers the homogeneous"):
        predict_covariance(net, real.J, real.b, dmft, backend="jax")
