"""Linear equivalence end to end: DMFT -> prediction -> simulation -> comparison.

The validation tests run at the sizes of the acceptance criteria (docs/theory.md section 3: the
noise-driven regime, tanh, g = 0.9, sigma = 1.5, N = 400, is the fast, sharp check).
"""

from __future__ import annotations

import numpy as np
import pytest

from randrnn import (
    GaussianEnsemble,
    RateNetwork,
    ResidualStatistics,
    Seeds,
    linear_equivalent_covariance,
    naive_closure_covariance,
    realize,
    solve_stationary,
)
from randrnn.experiments import run_experiment


def test_trace_of_prediction_approaches_dmft_c0():
    """(1/N) tr C_phi -> C(0) - C_inf as N grows (docs/theory.md section 3 consistency check).

    Deviations have a realization-to-realization scatter ~ 1/sqrt(N) (the trace is a sum of N
    weakly dependent terms) and a mean ~ 1/N; we check that the mean absolute deviation over
    4 realizations falls from N = 100 to N = 800 and that at N = 800 it is within 5 standard
    errors of the scatter plus a 1/N allowance (c = 1 in units of C(0)).
    """
    net0 = RateNetwork(ensemble=GaussianEnsemble(n=100, g=0.9), phi="tanh", sigma=1.5)
    sol = solve_stationary(net0)
    res = ResidualStatistics.from_dmft(sol)
    target = sol.c0 - sol.c_inf
    devs = {}
    for n in (100, 800):
        d = []
        for seed in range(4):
            J = GaussianEnsemble(n=n, g=0.9).sample(seed)
            c = linear_equivalent_covariance(J, res, sigma=1.5).c_phi
            d.append(np.trace(c) / n - target)
        devs[n] = np.array(d)
    assert np.mean(np.abs(devs[800])) < np.mean(np.abs(devs[100]))
    se = devs[800].std(ddof=1) / 2
    assert abs(devs[800].mean()) < 5 * se + target / 800


def test_naive_closure_differs_where_recurrence_matters():
    net = RateNetwork(ensemble=GaussianEnsemble(n=150, g=0.9), phi="tanh", sigma=1.5)
    sol = solve_stationary(net)
    res = ResidualStatistics.from_dmft(sol)
    J = realize(net, Seeds()).J
    good = linear_equivalent_covariance(J, res, sigma=1.5).c_phi
    naive = naive_closure_covariance(J, res, sigma=1.5).c_phi
    off = ~np.eye(150, dtype=bool)
    assert np.corrcoef(good[off], naive[off])[0, 1] < 0.9
    # without couplings both reduce to the single-unit answer C(0) - C_inf on the diagonal
    J0 = np.zeros((150, 150))
    a = linear_equivalent_covariance(J0, res, sigma=1.5).c_phi
    b = naive_closure_covariance(J0, res, sigma=1.5).c_phi
    np.testing.assert_allclose(a, b, atol=1e-9)


@pytest.mark.validation
def test_noise_driven_regime_agrees_and_naive_fails(record_property):
    """Acceptance: tanh, g = 0.9, sigma = 1.5, N = 400: off-diag corr >= 0.97, naive < 0.6.

    64 trials x 1000 tau give a split-half ceiling of ~0.98-0.99 at N = 400.
    """
    exp = run_experiment(
        {
            "ensemble": {"n": 400, "g": 0.9},
            "network": {"phi": "tanh", "sigma": 1.5},
            "simulation": {"t_max": 1000.0, "n_trials": 64, "max_lag": 10.0, "n_quadruples": 500},
        },
        progress=False,
    )
    c, naive = exp.covariance.phi, exp.naive.phi
    assert naive is not None
    for key in ("offdiag_corr", "offdiag_corr_ceiling", "rel_frobenius"):
        record_property(key, getattr(c, key))  # in the JUnit XML (--junitxml)
    record_property("naive_offdiag_corr", naive.offdiag_corr)
    assert c.offdiag_corr >= 0.97, c
    assert naive.offdiag_corr < 0.6
    assert c.rel_frobenius < naive.rel_frobenius
    assert exp.linear_beats_naive
    # DMFT Delta(t) vs simulation: the noise-driven state is far from any transition, so the
    # finite-size bias is O(1/N) = 0.25%: allow 5 SE plus 1/N relative
    ac = exp.autocovariance.x
    bias = ac.predicted[0] / 400
    assert np.all(np.abs(ac.simulated - ac.predicted) <= 5 * ac.se + bias)
    assert exp.prediction.method == "eigen"
    assert exp.residuals.rms_ratio < 0.2  # residual cross-covariances are small


@pytest.mark.parametrize(("g", "sigma"), [(0.9, 1.5), (2.0, 0.0), (1.5, 0.5)])
def test_eigen_and_quadrature_agree_with_dmft_residuals(g, sigma):
    """The two prediction algorithms agree to 1e-6 relative with a DMFT residual spectrum."""
    net = RateNetwork(ensemble=GaussianEnsemble(n=120, g=g), phi="tanh", sigma=sigma)
    res = ResidualStatistics.from_dmft(solve_stationary(net))
    J = realize(net, Seeds(coupling=7)).J
    a = linear_equivalent_covariance(J, res, sigma=sigma, method="eigen")
    q = linear_equivalent_covariance(J, res, sigma=sigma, method="quadrature")
    for name in ("c_phi", "c_x", "c_xphi"):
        x, y = getattr(a, name), getattr(q, name)
        assert np.linalg.norm(x - y) / np.linalg.norm(x) < 1e-6, name
