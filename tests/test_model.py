"""One model for every network: ensembles, realizations, simulation and Jacobians.

An E/I block network and a low-rank-plus-random network are realized, simulated and (for E/I)
linearized at a fixed point whose Jacobian goes to both ``rmt`` and ``spectra``; the same
``rmt`` call takes a Gaussian network's Jacobian.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import optimize, stats

import randrnn as rr
from randrnn import rmt, spectra
from randrnn.cli import main
from randrnn.ensembles import (
    BlockEnsemble,
    GaussianEnsemble,
    GaussianMixture,
    HalfNormal,
    JacobianEnsemble,
    LowRankEnsemble,
    Uniform,
    ensemble_from_config,
    vary,
)


def ei_network(phi: str, n: int = 300) -> rr.RateNetwork:
    """Inhibition-dominated E/I network: Dale signs, mean in-degree 20, static input."""
    ens = BlockEnsemble(
        n=n,
        fractions=(0.8, 0.2),
        signs=(1, -1),
        in_degree=((20.0, 20.0), (20.0, 20.0)),
        weights=((HalfNormal(scale=0.6), HalfNormal(scale=1.5)),) * 2,
        scaling="none",
        keep_mean=True,
    )
    scale = 0.1  # effective radius sqrt(sum_b c_ab E[w_ab^2]) ~ 0.7 < 1: a stable fixed point
    ens = dataclasses.replace(
        ens,
        connectivity=None,
        weights=tuple(tuple(d.scaled(scale) for d in row) for row in ens.weights),
    )
    return rr.RateNetwork(ensemble=ens, phi=phi, tau=(1.0, 2.0), sigma=0.2, b=np.full(n, 0.5))


def fixed_point(real: rr.Realization) -> np.ndarray:
    """Noise-free fixed point of ``-x + J phi(x) + b`` by Newton (scipy.optimize.root)."""
    phi = real.network.phi

    def f(x):
        return -x + real.J @ phi(x) + real.b

    def jac(x):
        return -np.eye(real.n) + real.J * phi.derivative(x)[None, :]

    sol = optimize.root(f, np.array(real.b), jac=jac, method="hybr", tol=1e-12)
    assert sol.success, sol.message
    assert np.max(np.abs(f(sol.x))) < 1e-9
    return sol.x


@pytest.mark.parametrize("phi", ["tanh", "relu"])
def test_ei_network_realized_simulated_and_linearized(phi):
    net = ei_network(phi)
    real = rr.realize(net, rr.Seeds(coupling=3))
    n_e = net.ensemble.sizes[0]
    # Dale's law per presynaptic population, per-population timescales, static input
    assert np.all(real.J[:, :n_e] >= 0)
    assert np.all(real.J[:, n_e:] <= 0)
    assert np.all(real.tau[:n_e] == 1.0)
    assert np.all(real.tau[n_e:] == 2.0)
    np.testing.assert_array_equal(real.population, np.repeat([0, 1], net.ensemble.sizes))
    # mean in-degree 20 per block, within the binomial spread of the realized counts
    counts = (real.J[:n_e, :n_e] != 0).sum(axis=1)
    se = math.sqrt(20.0 * (1 - 20.0 / n_e) / n_e)
    assert abs(counts.mean() - 20.0) < 5 * se

    st = rr.SimulationSettings(
        dt=0.05, t_max=60.0, burn_in=20.0, n_trials=4, max_lag=2.0, progress=False
    )
    sim = rr.simulate(real, st)
    assert np.isfinite(sim.equal_time.var_x)

    x_star = fixed_point(real)
    jac = rr.jacobian(real, x_star)
    dense = jac.to_dense()
    expected = (-np.eye(real.n) + real.J * net.phi.derivative(x_star)[None, :]) / real.tau[:, None]
    np.testing.assert_allclose(dense, expected, rtol=0, atol=1e-12)
    # the Jacobian goes to the spectrum measurement and to rmt
    measured = spectra.eigenvalues(jac)
    np.testing.assert_allclose(
        np.sort_complex(measured.eigenvalues), np.sort_complex(np.linalg.eigvals(dense)), atol=1e-8
    )
    edge = rmt.spectral_edge(jac)
    assert np.isfinite(edge.edge)
    out = rmt.outliers(jac)
    assert out is not None


def test_ei_network_simulate_cli_with_toml(tmp_path):
    cfg = tmp_path / "ei.toml"
    cfg.write_text(
        """
[ensemble]
kind = "block"
n = 120
fractions = [0.8, 0.2]
signs = [1, -1]
in_degree = [[10.0, 10.0], [10.0, 10.0]]
weights = [[{kind = "halfnormal", scale = 0.15}, {kind = "halfnormal", scale = 0.4}],
           [{kind = "halfnormal", scale = 0.15}, {kind = "halfnormal", scale = 0.4}]]
scaling = "none"
keep_mean = true

[network]
phi = "relu"
tau = [1.0, 2.0]
sigma = 0.2
sigma_b = 0.3

[simulation]
t_max = 20.0
burn_in = 5.0
n_trials = 2
max_lag = 1.0
"""
    )
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["simulate", str(cfg), "--out", str(out)])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["ensemble"]["kind"] == "block"
    assert summary["config"]["network"]["tau"] in (
        [1.0, 2.0],
        [{"kind": "fixed", "value": 1.0}, {"kind": "fixed", "value": 2.0}],
    )


def test_gaussian_jacobian_in_the_same_rmt_call():
    net = rr.RateNetwork(ensemble=GaussianEnsemble(n=400, g=0.8), phi="tanh")
    real = rr.realize(net, rr.Seeds(coupling=1))
    jac = rr.jacobian(real, np.zeros(real.n))  # gains phi'(0) = 1: A = -I + J
    edge = rmt.spectral_edge(jac)
    # circular law of radius g centred at -1: the rightmost point is -1 + g
    assert abs(edge.edge - (-1.0 + 0.8)) < 1e-6
    vals = np.linalg.eigvals(jac.to_dense())
    # largest real part within the finite-N edge fluctuation (~ g n^{-1/2} scale, generous 0.1)
    assert abs(vals.real.max() - edge.edge) < 0.1


def test_rmt_refuses_what_it_does_not_cover():
    net = rr.RateNetwork(ensemble=GaussianEnsemble(n=50, g=0.5, eta=0.5), phi="tanh")
    jac = rr.jacobian(rr.realize(net), np.zeros(50))
    with pytest.raises(ValueError, match=r"partial symmetry eta = 0\.5"):
        rmt.spectral_edge(jac)


def test_low_rank_mixture_statistics_and_simulation():
    n = 4000
    means = np.array([[1.0, 2.0, 0.5, -1.0, 0.3], [-1.0, 0.5, 1.0, 2.0, -0.3]])
    covs = np.array([np.diag([1.0, 0.5, 2.0, 1.0, 0.2]), np.eye(5) * 0.8])
    covs[0, 0, 2] = covs[0, 2, 0] = 0.6  # a within-component m1-n1 covariance
    mix = GaussianMixture(weights=[0.3, 0.7], means=means, covariances=covs)
    ens = LowRankEnsemble(n=n, rank=2, mixture=mix, n_inputs=1, chi=GaussianEnsemble(n=n, g=0.5))
    c = ens.sample_coupling(0)
    comp = c.component
    assert np.bincount(comp).tolist() == [1200, 2800]
    for p in range(2):
        L = c.loadings[comp == p]
        k = L.shape[0]
        se_mean = np.sqrt(np.diag(covs[p]) / k)
        z = (L.mean(axis=0) - means[p]) / se_mean
        assert np.all(np.abs(z) < 4.5), z  # 10 z-scores: Bonferroni-level bound
        # covariance entries: SE of a sample covariance of Gaussians is sqrt((s_ii s_jj + s_ij^2)/k)
        S = np.cov(L.T)
        d = np.diag(covs[p])
        se_cov = np.sqrt((np.outer(d, d) + covs[p] ** 2) / k)
        assert np.all(np.abs(S - covs[p]) < 4.5 * se_cov)
    M, N = c.low_rank
    J = c.to_dense()
    chi = J - M @ N.T / n
    assert abs(chi.std() * math.sqrt(n) - 0.5) < 0.01
    stats_ = ens.statistics()
    assert stats_.rank == 2
    assert stats_.sizes == (1200, 2800)
    # realized and simulated through the same API as every other network
    small = dataclasses.replace(ens, n=300, chi=GaussianEnsemble(n=300, g=0.5))
    net = rr.RateNetwork(ensemble=small, phi="tanh", sigma=0.3)
    real = rr.realize(net, rr.Seeds(coupling=2))
    assert real.coupling.loadings.shape == (300, 5)
    sim = rr.simulate(
        real,
        rr.SimulationSettings(t_max=30.0, burn_in=10.0, n_trials=2, max_lag=1.0, progress=False),
    )
    assert np.isfinite(sim.equal_time.var_x)


def test_low_rank_from_config():
    cfg = {
        "kind": "lowrank",
        "n": 100,
        "rank": 1,
        "mixture": {"weights": [1.0], "means": [[0.0, 1.5]], "covariances": [[[1, 0], [0, 1]]]},
        "chi": {"kind": "gaussian", "g": 0.3},
    }
    ens = ensemble_from_config(cfg)
    assert ens.chi.n == 100
    assert ensemble_from_config(json.loads(json.dumps(ens.to_config()))).to_config() == (
        ens.to_config()
    )
    with pytest.raises(ValueError, match="dimension 2\\*rank \\+ n_inputs = 2"):
        ensemble_from_config(
            {
                **cfg,
                "mixture": {
                    **cfg["mixture"],
                    "means": [[0.0, 1, 2]],
                    "covariances": [np.eye(3).tolist()],
                },
            }
        )


def test_partial_symmetry_statistics():
    eta, g, n = -0.4, 1.2, 600
    J = GaussianEnsemble(n=n, g=g, eta=eta).sample(5)
    iu = np.triu_indices(n, 1)
    prod = n * J[iu] * J.T[iu] / g**2
    assert abs(prod.mean() - eta) < 5 * prod.std() / math.sqrt(prod.size)
    var = n * J[iu].var() / g**2
    assert abs(var - 1.0) < 5 * math.sqrt(2.0 / iu[0].size)
    # eta = 0 keeps the draw of the i.i.d. ensemble (same numbers as before for a seed)
    a = GaussianEnsemble(n=50, g=1.0).sample(0)
    b = np.random.default_rng(0).standard_normal((50, 50)) * (1.0 / math.sqrt(50))
    np.testing.assert_array_equal(a, b)


def test_block_statistics_match_samples():
    ens = BlockEnsemble.excitatory_inhibitory(n=2000, p_ee=0.2, keep_mean=True)
    J = ens.sample(0).toarray()
    s = ens.statistics()
    sizes = ens.sizes
    edges = np.cumsum((0, *sizes))
    for a in range(2):
        for b in range(2):
            blk = J[edges[a] : edges[a + 1], edges[b] : edges[b + 1]]
            m = 2000 * blk.mean()
            se = 2000 * blk.std() / math.sqrt(blk.size)
            assert abs(m - s.block_mean[a, b]) < 5 * se
            v = 2000 * blk.var()
            assert abs(v - s.block_variance[a, b]) / s.block_variance[a, b] < 0.05


def test_jacobian_ensemble_config_roundtrip_and_resize():
    ens = JacobianEnsemble.excitatory_inhibitory(n=200, p_ee=0.1, tau_i=2.0)
    again = JacobianEnsemble.from_config(json.loads(json.dumps(ens.to_config())))
    assert again.to_config() == ens.to_config()
    assert ens.resized(100).n == 100
    with pytest.raises(ValueError, match=r"must give \['gain'\]"):
        JacobianEnsemble.from_config({k: v for k, v in ens.to_config().items() if k != "gain"})


# -- realizations are validated -----------------------------------------------------------


def _net(n=20, **kw):
    return rr.RateNetwork(ensemble=GaussianEnsemble(n=n, g=0.5), **kw)


def test_realization_rejects_mismatched_sizes_and_values():
    real = rr.realize(_net())
    with pytest.raises(ValueError, match=r"`J` must have shape \(30, 30\) to match network.n"):
        dataclasses.replace(real, network=_net(30), drawn_from=None)
    with pytest.raises(ValueError, match=r"`b` must have shape \(20,\)"):
        dataclasses.replace(real, b=np.zeros(5))
    bad = real.J.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        dataclasses.replace(real, J=bad, drawn_from=None)
    with pytest.raises(TypeError, match="`J` must be real"):
        dataclasses.replace(real, J=real.J + 0j, drawn_from=None)


def test_realization_refuses_a_swapped_spec():
    real = rr.realize(_net())
    with pytest.raises(ValueError, match="no longer match the ones this realization was drawn"):
        dataclasses.replace(real, network=_net(phi="linear", sigma=3.0))
    own = dataclasses.replace(real, network=_net(phi="linear"), drawn_from=None)
    assert own.custom


def test_per_population_tau_laws_drawn_after_the_couplings():
    ens = BlockEnsemble.excitatory_inhibitory(n=200)
    laws = (1.0, {"kind": "uniform", "low": 2.0, "high": 4.0})
    net = rr.RateNetwork(ensemble=ens, tau=laws)
    real = rr.realize(net, rr.Seeds(coupling=4))
    n_e = ens.sizes[0]
    assert np.all(real.tau[:n_e] == 1.0)
    assert real.tau[n_e:].min() >= 2.0
    assert real.tau[n_e:].max() <= 4.0
    assert stats.kstest((real.tau[n_e:] - 2.0) / 2.0, "uniform").pvalue > 1e-3
    # the couplings are the same as with a scalar tau
    np.testing.assert_array_equal(
        real.J, rr.realize(dataclasses.replace(net, tau=1.0), rr.Seeds(coupling=4)).J
    )
    with pytest.raises(ValueError, match="one law per population"):
        rr.RateNetwork(ensemble=ens, tau=(1.0, 2.0, 3.0))


@pytest.mark.parametrize(
    ("statistic", "value"),
    [
        ("sparsity", 0.5),
        ("fraction_excitatory", 0.7),
        ("weight_scale", 1.2),
        ("tau_spread", 0.6),
        ("gain_spread", 0.6),
    ],
)
def test_rmt_edge_honours_every_statistic(statistic, value):
    """Changing any statistic of the Jacobian ensemble moves the predicted edge."""
    base = JacobianEnsemble.excitatory_inhibitory(
        n=400, p_ee=0.1, tau_i=Uniform(low=1.5, high=2.5), gain_e=Uniform(low=0.5, high=1.5)
    )
    changed = vary(base, statistic, value)
    assert rmt.spectral_edge(changed).edge != pytest.approx(rmt.spectral_edge(base).edge, rel=1e-6)


def test_rmt_outliers_honour_keep_mean():
    kept = JacobianEnsemble.excitatory_inhibitory(n=400, p_ee=0.2, keep_mean=True)
    removed = JacobianEnsemble.excitatory_inhibitory(n=400, p_ee=0.2, keep_mean=False)
    assert len(rmt.outliers(kept).values) > 0
    assert len(rmt.outliers(removed).values) == 0
