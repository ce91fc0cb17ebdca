"""Simulator: exactness of the integrator, streamed statistics, standard errors, reproducibility.

Per-test false-failure budget: assertions use z = 5 standard errors (about 6e-7 per element
under Gaussian errors); the largest matrix tests make ~2000 comparisons, so a seed-independent
failure rate below 1e-3 per test.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla

from randrnn import GaussianEnsemble, RateNetwork, Seeds, realize
from randrnn.errors import DivergenceError
from randrnn.simulate import SimulationSettings, simulate
from randrnn.testing import assert_within_se


def _linear_net(n: int, g: float, sigma: float, tau: float = 1.0) -> RateNetwork:
    return RateNetwork(ensemble=GaussianEnsemble(n=n, g=g), phi="linear", sigma=sigma, tau=tau)


def test_ou_unit_variance_and_autocovariance_exact():
    """J = 0: every unit is an OU process, var = sigma^2/(2 tau), acf = var exp(-|t|/tau)."""
    sigma, tau = 1.3, 1.0
    net = _linear_net(40, 0.0, sigma, tau)
    st = SimulationSettings(
        dt=0.1,
        t_max=1600.0,
        burn_in=10.0,
        n_trials=4,
        max_lag=3.0,
        acf_every=2,
        n_blocks=64,
        progress=False,
    )
    sim = simulate(realize(net, Seeds(noise=11)), st)
    var = sigma**2 / (2 * tau)
    et = sim.equal_time
    dof = et.n_blocks - 1  # SEs are estimated from the blocks: t-distributed z-scores
    assert_within_se(et.var_x, var, et.var_x_se, dof=dof, label="OU variance")
    ac = sim.autocovariance
    # the integrator is exact for J = 0 at any dt < tau: no discretisation allowance
    assert_within_se(ac.acf_x, var * np.exp(-ac.lags / tau), ac.acf_x_se, dof=dof, label="acf")
    # entrywise (820 distinct entries): the covariance matrix is var * identity
    iu = np.triu_indices(net.n)
    expected = var * np.eye(net.n)
    cx = et.cov_x
    assert_within_se(cx.value[iu], expected[iu], cx.se[iu], dof=dof, label="OU covariance")


@pytest.mark.parametrize("dt", [0.02, 0.2, 0.6])
def test_noise_scaling_for_several_dt(dt):
    """Exact OU step: the stationary variance does not depend on dt (a sqrt(dt) bug would)."""
    sigma, tau = 0.7, 1.5
    net = _linear_net(100, 0.0, sigma, tau)
    st = SimulationSettings(
        dt=dt,
        t_max=600.0,
        burn_in=10.0,
        n_trials=4,
        max_lag=0.0,
        stats_every=max(1, int(0.2 / dt)),
        progress=False,
    )
    et = simulate(realize(net, Seeds(noise=5)), st).equal_time
    assert_within_se(et.var_x, sigma**2 / (2 * tau), et.var_x_se, label=f"variance at dt={dt}")


def test_halving_dt_changes_nothing_beyond_se():
    """OU network: the same statistic at dt and dt/2 agrees within the combined SE."""
    net = _linear_net(100, 0.0, 1.0)
    out = []
    for dt in (0.2, 0.1):
        st = SimulationSettings(
            dt=dt,
            t_max=500.0,
            burn_in=5.0,
            n_trials=4,
            max_lag=2.0,
            acf_every=int(0.2 / dt),
            stats_every=int(0.4 / dt),
            progress=False,
        )
        out.append(simulate(realize(net, Seeds(noise=int(dt * 100))), st))
    a, b = (s.autocovariance for s in out)
    assert_within_se(a.acf_x, b.acf_x, np.hypot(a.acf_x_se, b.acf_x_se), label="acf dt vs dt/2")
    ea, eb = (s.equal_time for s in out)
    assert_within_se(ea.var_x, eb.var_x, np.hypot(ea.var_x_se, eb.var_x_se), label="var")


def test_linear_network_matches_lyapunov():
    """phi = x, g < 1, sigma > 0: covariance = Lyapunov solution, acf = tr(expm(A t) C)/N.

    Allowance: exponential Euler holds the recurrent input fixed over a step, which biases the
    stationary covariance along an eigenmode lambda by -Re(lambda) dt/2 (relative; derived in
    simulate's module docstring). With |lambda| <~ g(1 + 2/sqrt(n)), bias <= g (1.3) dt/2 max|C|.
    """
    n, g, sigma, dt = 40, 0.5, 1.0, 0.02
    net = _linear_net(n, g, sigma)
    real = realize(net, Seeds(coupling=3, noise=4))
    st = SimulationSettings(
        dt=dt,
        t_max=1600.0,
        burn_in=20.0,
        n_trials=8,
        max_lag=3.0,
        acf_every=10,
        stats_every=10,
        dtype="float64",
        n_blocks=64,
        progress=False,
    )
    sim = simulate(real, st)
    A = -np.eye(n) + real.J
    C = sla.solve_continuous_lyapunov(A, -(sigma**2) * np.eye(n))
    bias = g * 1.3 * dt / 2 * np.abs(C).max()
    et = sim.equal_time
    dof = et.n_blocks - 1
    iu = np.triu_indices(n)  # 820 distinct entries
    assert_within_se(
        et.cov_x.value[iu],
        C[iu],
        et.cov_x.se[iu],
        bias=bias,
        dof=dof,
        label="linear-network covariance",
    )
    # phi = x: the three covariance estimates coincide exactly
    np.testing.assert_allclose(et.cov_phi.value, et.cov_x.value, rtol=0, atol=1e-12)
    np.testing.assert_allclose(et.cov_xphi.value, et.cov_x.value, rtol=0, atol=1e-12)
    ac = sim.autocovariance
    exact = np.array([np.trace(sla.expm(A * t) @ C) / n for t in ac.lags])
    assert_within_se(ac.acf_x, exact, ac.acf_x_se, bias=bias, dof=dof, label="linear acf")
    # z-scores of the covariance entries are roughly unit normal (errors are not tuned away)
    z = (et.cov_x.value - C) / et.cov_x.se
    assert 0.7 < float(np.std(z[np.triu_indices(n)])) < 1.4


def test_standard_errors_are_calibrated():
    """Over 20 noise seeds, z-scores of the OU variance have standard deviation in [0.7, 1.4].

    With 16 blocks the z-score is t-distributed with 15 dof (sd 1.07); the sample sd of 20
    such values lies in [0.7, 1.4] with probability > 0.99.
    """
    net = _linear_net(50, 0.0, 1.0)
    real = realize(net, Seeds())
    st = SimulationSettings(
        dt=0.2, t_max=320.0, burn_in=5.0, n_trials=2, max_lag=0.0, stats_every=2, progress=False
    )
    zs = []
    for seed in range(20):
        sim = simulate(realize(net, Seeds(noise=100 + seed)), st)
        et = sim.equal_time
        zs.append((et.var_x - 0.5) / et.var_x_se)
    assert real.J.shape == (50, 50)
    sd = float(np.std(zs, ddof=1))
    assert 0.7 <= sd <= 1.4, f"z-score sd {sd:.2f} outside [0.7, 1.4]: SEs are miscalibrated"


def test_streamed_statistics_equal_direct_estimates(tmp_path):
    """Brute-force oracle: record every unit of every trial at every sample, recompute."""
    import zarr

    n, B = 30, 3
    net = RateNetwork(ensemble=GaussianEnsemble(n=n, g=1.8), phi="tanh", sigma=0.3)
    st = SimulationSettings(
        dt=0.05,
        t_max=64.0,
        burn_in=5.0,
        n_trials=B,
        stats_every=4,
        acf_every=4,
        max_lag=1.0,
        n_blocks=4,
        record_units=tuple(range(n)),
        record_trials=B,
        record_every=4,
        dtype="float64",
        progress=False,
    )
    sim = simulate(realize(net, Seeds()), st, trajectory_store=str(tmp_path / "t.zarr"))
    x = zarr.open_group(str(tmp_path / "t.zarr"))["trajectory/x"][...].astype(float)  # (T, B, n)
    p = np.tanh(x)
    flat_x, flat_p = x.reshape(-1, n), p.reshape(-1, n)
    et = sim.equal_time
    # recorded in float32 -> agreement to float32 rounding of O(1) values
    atol = 1e-5
    np.testing.assert_allclose(et.mean_x, flat_x.mean(0), atol=atol)
    np.testing.assert_allclose(et.cov_x.value, np.cov(flat_x.T, bias=True), atol=atol)
    np.testing.assert_allclose(et.cov_phi.value, np.cov(flat_p.T, bias=True), atol=atol)
    cxp = (flat_x - flat_x.mean(0)).T @ (flat_p - flat_p.mean(0)) / len(flat_x)
    np.testing.assert_allclose(et.cov_xphi.value, cxp, atol=atol)
    ac = sim.autocovariance
    T = x.shape[0]
    raw = [np.mean(np.sum(x[: T - l] * x[l:], axis=(1, 2)) / (B * n)) for l in range(len(ac.lags))]
    np.testing.assert_allclose(ac.acf_x_raw, raw, atol=atol)
    # split halves: each is the covariance of its half of the run, centred on its own mean
    for k, half in enumerate((x[: T // 2], x[T // 2 :])):
        hx = half.reshape(-1, n)
        np.testing.assert_allclose(et.cov_x.halves[k], np.cov(hx.T, bias=True), atol=atol)


def test_reproducible_and_separate_streams():
    net = RateNetwork(ensemble=GaussianEnsemble(n=60, g=2.0), phi="tanh", sigma=0.2)
    st = SimulationSettings(t_max=20.0, burn_in=1.0, n_trials=2, max_lag=1.0, progress=False)
    a = simulate(realize(net, Seeds(coupling=1, noise=2)), st)
    b = simulate(realize(net, Seeds(coupling=1, noise=2)), st)
    c = simulate(realize(net, Seeds(coupling=1, noise=9)), st)
    assert np.array_equal(a.realization.J, b.realization.J)
    assert np.array_equal(a.equal_time.cov_x.value, b.equal_time.cov_x.value)  # bitwise identical
    assert np.array_equal(a.realization.J, c.realization.J)  # noise seed does not move J
    assert not np.array_equal(a.equal_time.cov_x.value, c.equal_time.cov_x.value)
    d = realize(net, Seeds(coupling=2, noise=2))
    assert not np.array_equal(a.realization.J, d.J)


def test_coupling_draw_is_pinned():
    """The coupling stream is a documented function of the seed (same on every machine)."""
    J = realize(RateNetwork(ensemble=GaussianEnsemble(n=3, g=1.0)), Seeds(coupling=0)).J
    ss = np.random.SeedSequence(0, spawn_key=(0,))
    expected = np.random.default_rng(ss).standard_normal((3, 3)) * (1.0 / np.sqrt(3))
    np.testing.assert_array_equal(J, expected)


def test_tanh_kernel_accuracy():
    """The float32 path evaluates tanh by a rational approximation: max error < 5e-8."""
    from randrnn import _kernels

    x = np.linspace(-20, 20, 400_001)
    out = np.empty_like(x)
    _kernels.tanh_rational(x, out)
    assert np.abs(out - np.tanh(x)).max() < 5e-8  # below float32 half-ulp at 1 (6e-8)


@pytest.mark.parametrize("phi", ["tanh", "erf", "relu", "linear"])
def test_fused_kernel_matches_numpy(phi):
    from randrnn import _kernels, nonlinearity
    from randrnn._stepping import phi_code as _phi_code

    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 50)) * 3
    h, z = rng.standard_normal((2, 3, 50))
    e, cb, s = rng.uniform(0.5, 1, (3, 50))
    out = np.empty_like(x)
    x1 = x.copy()
    f = nonlinearity(phi)
    _kernels.fused_step(x1, h, e, cb, z, s, out, _phi_code(f, np.dtype("float64")))
    ref = e * x + h + cb + s * z
    np.testing.assert_allclose(x1, ref, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(out, f(ref), rtol=1e-14, atol=1e-14)


def test_heterogeneous_tau_ou():
    """Per-unit tau: var_i = sigma^2 / (2 tau_i)."""
    tau = np.linspace(1.0, 3.0, 40)
    net = RateNetwork(ensemble=GaussianEnsemble(n=40, g=0.0), phi="linear", sigma=1.0, tau=tau)
    st = SimulationSettings(
        dt=0.1, t_max=1000.0, burn_in=10.0, n_trials=4, max_lag=0.0, progress=False
    )
    et = simulate(realize(net, Seeds()), st).equal_time
    assert_within_se(
        np.diag(et.cov_x.value),
        1.0 / (2 * tau),
        np.diag(et.cov_x.se),
        dof=et.n_blocks - 1,
        label="var",
    )


def test_static_input_shifts_mean():
    """J = 0, b given: mean = b, variance unchanged."""
    b = np.linspace(-1, 1, 20)
    net = RateNetwork(ensemble=GaussianEnsemble(n=20, g=0.0), phi="linear", sigma=1.0, b=b)
    st = SimulationSettings(
        dt=0.1, t_max=400.0, burn_in=10.0, n_trials=4, max_lag=0.0, progress=False
    )
    et = simulate(realize(net, Seeds()), st).equal_time
    assert_within_se(et.mean_x, b, et.mean_x_se, dof=et.n_blocks - 1, label="mean")


def test_divergence_raises_with_step_time_and_cause():
    net = RateNetwork(ensemble=GaussianEnsemble(n=200, g=3.0), phi="relu")
    st = SimulationSettings(t_max=500.0, burn_in=0.0, n_trials=2, progress=False)
    with pytest.raises(DivergenceError, match=r"diverged at step \d+ \(t = .*relu.*g = 3\b"):
        simulate(realize(net, Seeds()), st)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dt": -0.1}, r"`dt` must be > 0; got -0\.1"),
        ({"t_max": 0.0}, r"`t_max` must be > 0; got 0\.0"),
        ({"n_trials": 0}, r"`n_trials` must be a positive integer; got 0"),
        ({"dtype": "float16"}, r"`dtype` must be one of \['float32', 'float64'\]; got 'float16'"),
        ({"n_blocks": 2}, r"`n_blocks` must be >= 4"),
    ],
)
def test_invalid_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SimulationSettings(**kwargs)


def test_dt_not_smaller_than_tau():
    net = RateNetwork(ensemble=GaussianEnsemble(n=10, g=1.0), tau=0.05)
    with pytest.raises(
        ValueError, match=r"`simulation.dt` must be smaller than the smallest `tau`; got dt=0\.05"
    ):
        simulate(realize(net), SimulationSettings(dt=0.05, progress=False))


def test_max_lag_longer_than_block():
    with pytest.raises(ValueError, match=r"`max_lag` must be shorter than a block"):
        SimulationSettings(t_max=16.0, max_lag=5.0, progress=False)


def test_record_units_need_store():
    net = RateNetwork(ensemble=GaussianEnsemble(n=10, g=1.0))
    st = SimulationSettings(t_max=32.0, max_lag=0.0, record_units=(1,), progress=False)
    with pytest.raises(ValueError, match=r"`trajectory_store` must be given"):
        simulate(realize(net), st)
    with pytest.raises(ValueError, match=r"`simulation.record_units` must be in \[0, 10\); got 12"):
        simulate(
            realize(net),
            SimulationSettings(t_max=32.0, max_lag=1.0, record_units=(12,), progress=False),
            trajectory_store="unused",
        )
