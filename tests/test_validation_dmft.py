"""DMFT against simulation: population-averaged Delta0 and Delta(t).

Mean-field predictions are N -> infinity statements. Following the style guide, the finite-size
allowance is not a tuned constant: each case is simulated at two sizes, N and N/4, averaged
over 3 coupling realizations (standard errors across realizations include the quenched
disorder), and the 1/N extrapolation ``(4 D(N) - D(N/4)) / 3`` (finite-size corrections to SCS
order parameters are O(1/N)) must match the DMFT within 5 of its standard errors. The raw
value at N must additionally lie within 5 SE plus the measured finite-size shift.

Full size (N = 2000 and 500) runs with RANDRNN_FULL_VALIDATION=1; by default N = 500 and 125.
Per-test false-failure budget: 2 x 5-SE assertions per lag, ~50 lags: < 1e-4.
"""

from __future__ import annotations

import numpy as np
import pytest

from randrnn import GaussianEnsemble, RateNetwork, Seeds, realize, solve_stationary
from randrnn.simulate import SimulationSettings, simulate

CASES = [
    ("tanh", 1.5, 0.0),
    ("tanh", 3.0, 0.0),
    ("tanh", 1.5, 0.5),
    ("tanh", 3.0, 0.5),
    ("erf", 2.0, 0.0),
]


def _measure(phi: str, g: float, sigma: float, n: int, n_real: int = 3):
    net = RateNetwork(ensemble=GaussianEnsemble(n=n, g=g), phi=phi, sigma=sigma)
    st = SimulationSettings(
        dt=0.05,
        t_max=400.0,
        burn_in=100.0,
        n_trials=16,
        max_lag=10.0,
        acf_every=4,
        covariance=False,
        cross_covariance=False,
        progress=False,
    )
    acfs = []
    for r in range(n_real):
        sim = simulate(realize(net, Seeds(coupling=100 + r, noise=200 + r)), st)
        acfs.append(sim.autocovariance.acf_x_raw)
    acfs = np.array(acfs)
    return sim.autocovariance.lags, acfs.mean(0), acfs.std(0, ddof=1) / np.sqrt(n_real)


@pytest.mark.validation
@pytest.mark.parametrize(("phi", "g", "sigma"), CASES)
def test_delta_matches_dmft_with_finite_size_extrapolation(phi, g, sigma, reduced, record_property):
    n = 500 if reduced else 2000
    sol = solve_stationary(RateNetwork(ensemble=GaussianEnsemble(n=n, g=g), phi=phi, sigma=sigma))
    lags, big, big_se = _measure(phi, g, sigma, n)
    _, small, small_se = _measure(phi, g, sigma, n // 4)
    theory = np.interp(lags, sol.lags, sol.delta)
    extrap = (4 * big - small) / 3
    extrap_se = np.sqrt(16 * big_se**2 + small_se**2) / 3
    dev = np.abs(extrap - theory)
    # reported in the JUnit XML (--junitxml) for the closing notes
    record_property("delta0_dmft", float(theory[0]))
    record_property("delta0_sim_n", f"{big[0]:.4f} +- {big_se[0]:.4f} (N={n})")
    record_property("delta0_sim_n4", f"{small[0]:.4f} +- {small_se[0]:.4f} (N={n // 4})")
    record_property("delta0_extrapolated", f"{extrap[0]:.4f} +- {extrap_se[0]:.4f}")
    record_property("max_abs_z_extrapolated", float(np.max(dev / extrap_se)))
    assert np.all(dev <= 5 * extrap_se), (
        f"extrapolated Delta(t) off by up to {np.max(dev / extrap_se):.1f} SE; "
        f"Delta0: DMFT {theory[0]:.4f}, N={n}: {big[0]:.4f}, N={n // 4}: {small[0]:.4f}"
    )
    shift = np.abs(big - small) / 3  # the measured O(1/N) correction at size N
    assert np.all(np.abs(big - theory) <= 5 * big_se + shift + 5 * small_se / 3)
