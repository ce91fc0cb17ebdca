"""verify: comparison metrics against synthetic data with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from randrnn.verify import compare_autocovariance, compare_covariance, power_law_fit


def _sym_noise(rng, n, scale):
    a = rng.standard_normal((n, n)) * scale
    return (a + a.T) / np.sqrt(2)


def test_exact_prediction_reaches_the_ceiling(rng):
    """Truth + independent noise in two halves: an exact prediction sits at the ceiling.

    Off-diagonal correlation and ceiling are both estimated from ~40000 entries; their ratio
    scatters by O(1/sqrt(40000)) ~ 0.005, so 5 x that is the tolerance.
    """
    n = 200
    u = rng.standard_normal((n, 5))
    truth = u @ u.T / 5 + np.eye(n)
    h = np.stack([truth + _sym_noise(rng, n, 0.3) for _ in range(2)])
    full = h.mean(0)
    c = compare_covariance(truth, full, h)
    assert abs(c.ceiling_fraction - 1) < 5 * 0.005
    worse = compare_covariance(truth + _sym_noise(rng, n, 0.5), full, h)
    assert worse.offdiag_corr < c.offdiag_corr
    # sampling noise adds to tr(C^2), so the plug-in PR is below the halves-based one, which
    # estimates the PR of the truth (within 5%: tr(C1 C2) from 40000 noisy entries)
    assert c.pr_sim < c.pr_sim_unbiased
    assert c.pr_sim_unbiased == pytest.approx(c.pr_pred, rel=0.05)


def test_participation_ratio_known_values():
    from randrnn import participation_ratio

    assert participation_ratio(np.eye(7)) == pytest.approx(7.0)
    assert participation_ratio(np.diag([1.0, 0, 0])) == pytest.approx(1.0)


def test_power_law_fit_recovers_exponent(rng):
    x = np.array([250.0, 500, 1000, 2000])
    y = 3.0 * x**-1.0 * np.exp(0.01 * rng.standard_normal(4))
    fit = power_law_fit(x, y, 0.01 * y)
    assert abs(fit["exponent"] + 1.0) < 5 * fit["exponent_se"]
    with pytest.raises(ValueError, match=r"`x` and `y` must be positive"):
        power_law_fit([1.0], [1.0])


def test_autocovariance_comparison_z_scores():
    lags = np.linspace(0, 10, 101)
    c = compare_autocovariance(
        lags, np.exp(-lags), lags[::10], np.exp(-lags[::10]) + 0.01, np.full(11, 0.01)
    )
    np.testing.assert_allclose(c.z, 1.0, atol=1e-12)
    with pytest.raises(ValueError, match=r"`lags_pred` must cover"):
        compare_autocovariance(lags[:5], lags[:5], lags, lags, lags + 1)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match=r"must be square of equal shape"):
        compare_covariance(np.eye(3), np.eye(4), np.zeros((2, 4, 4)))
