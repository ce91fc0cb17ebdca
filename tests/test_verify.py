"""verify: comparisons against synthetic data with known answers, criteria and verdicts."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats as sps

from helpers import low_rank_covariance, noisy_covariance
from randrnn.stats import FourthCumulantEstimate, MatrixEstimate
from randrnn.verify import (
    P_3SIGMA,
    compare_autocovariance,
    compare_covariance,
    compare_edge_sensitivity,
    compare_fourth_cumulants,
    power_law_fit,
)


def test_exact_prediction_reaches_the_ceiling_and_passes(rng):
    """Truth + independent noise in two halves: an exact prediction sits at the ceiling.

    Off-diagonal correlation and ceiling are both estimated from ~40000 entries; their ratio
    scatters by O(1/sqrt(40000)) ~ 0.005, so 5 x that is the tolerance.
    """
    truth = low_rank_covariance(200, 5, rng)
    measured = noisy_covariance(truth, 0.3, rng)
    c = compare_covariance(truth, measured)
    assert abs(c.ceiling_fraction - 1) < 5 * 0.005
    # the Frobenius error of an exact prediction is its sampling noise: ratio ~ 1
    assert c.frobenius_over_noise == pytest.approx(1.0, abs=0.05)
    assert c.passed
    assert c.verdict == "consistent with sampling noise"
    assert "3 jackknife SE" in c.criterion
    assert "16 time blocks" in c.criterion
    worse = compare_covariance(
        truth + noisy_covariance(np.zeros((200, 200)), 1.0, rng).value, measured
    )
    assert worse.offdiag_corr < c.offdiag_corr
    # sampling noise adds to tr(C^2), so the plug-in PR is below the halves-based one, which
    # estimates the PR of the truth (within 5%: tr(C1 C2) from 40000 noisy entries)
    assert c.pr_sim < c.pr_sim_unbiased
    assert c.pr_sim_unbiased == pytest.approx(c.pr_pred, rel=0.05)


def test_verdicts_name_what_fails(rng):
    """A scale error keeps the correlation at the ceiling but not the Frobenius error; added
    structure lowers both. Sizes: T = I + U U^T / 10 with U of rank 5 and n = 200 has
    ||T||_F ~ sqrt(200 + 5 * 20^2) ~ 47; against a noise norm of 0.15 * 200 = 30 the error of
    2 T is sqrt(30^2 + 47^2) / 30 ~ 1.9 times the noise, above the 1.55 of 16 blocks."""
    truth = low_rank_covariance(200, 5, rng)
    measured = noisy_covariance(truth, 0.3, rng)
    scaled = compare_covariance(2.0 * truth, measured)
    assert scaled.reaches_ceiling
    assert not scaled.within_noise
    assert not scaled.passed
    assert scaled.verdict.startswith("reaches the noise ceiling in correlation; Frobenius error")
    wrong = compare_covariance(low_rank_covariance(200, 5, rng), measured)
    assert not wrong.reaches_ceiling
    assert "of the noise ceiling" in wrong.verdict
    assert compare_covariance(truth, measured).outperforms(wrong)
    assert not wrong.outperforms(compare_covariance(truth, measured))


def test_frobenius_tolerance_follows_the_number_of_blocks(rng):
    truth = low_rank_covariance(30, 2, rng)
    for nb in (4, 16, 64):
        m = noisy_covariance(truth, 0.1, rng, n_blocks=nb)
        assert compare_covariance(truth, m).frobenius_tolerance == pytest.approx(
            1 + 3 / np.sqrt(2 * (nb - 1))
        )


def test_jackknife_se_of_the_ceiling_fraction_matches_its_scatter():
    """Over 24 independent measurements, the SD of the ceiling fraction and the mean jackknife
    SE agree: the SD estimated from 24 values has relative SE 1/sqrt(46) ~ 0.15, and the
    delete-a-group jackknife with 16 groups its own ~ 1/sqrt(30) ~ 0.18, so a ratio within
    1 +- 3 x 0.23 (0.3 to 1.7) is required."""
    rng = np.random.default_rng(7)
    truth = low_rank_covariance(100, 3, rng)
    cf, se = [], []
    for _ in range(24):
        c = compare_covariance(truth, noisy_covariance(truth, 0.2, rng))
        cf.append(c.ceiling_fraction)
        se.append(c.ceiling_fraction_se)
    ratio = np.std(cf, ddof=1) / np.mean(se)
    assert 0.3 < ratio < 1.7, ratio


def test_undefined_metrics_carry_a_reason_and_no_warning(rng):
    """A prediction without off-diagonal structure: correlations are NaN with the reason."""
    n = 40
    measured = noisy_covariance(low_rank_covariance(n, 2, rng), 0.1, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = compare_covariance(np.eye(n), measured)
    assert np.isnan(c.offdiag_corr)
    assert "off-diagonal entries are all equal" in c.why("offdiag_corr")
    assert c.why("diag_corr") == "the predicted variances are all equal"
    assert c.why("rel_frobenius") is None
    assert c.verdict.startswith("undefined: the prediction's off-diagonal entries")
    assert not c.passed
    zero = MatrixEstimate(np.zeros((n, n)), np.zeros((n, n)), np.zeros((2, n, n)), 8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z = compare_covariance(np.eye(n), zero)
    assert z.why("rel_frobenius") == "the measured covariance is zero"
    assert z.why("pr_sim") == "the measured covariance is zero"
    assert set(z.to_dict()["undefined"]) >= {"offdiag_corr", "pr_sim", "pr_sim_unbiased"}


def test_measurement_must_be_a_matrix_estimate():
    with pytest.raises(TypeError, match=r"`measured` must be a randrnn.stats.MatrixEstimate"):
        compare_covariance(np.eye(3), np.eye(3))  # type: ignore[arg-type]
    m = MatrixEstimate(np.eye(4), np.ones((4, 4)), np.zeros((2, 4, 4)), 4)
    with pytest.raises(ValueError, match=r"must be square of equal shape"):
        compare_covariance(np.eye(3), m)


def test_participation_ratio_known_values():
    from randrnn import participation_ratio

    assert participation_ratio(np.eye(7)) == pytest.approx(7.0)
    assert participation_ratio(np.diag([1.0, 0, 0])) == pytest.approx(1.0)


def test_power_law_fit_recovers_exponent(rng):
    x = np.array([250.0, 500, 1000, 2000])
    y = 3.0 * x**-1.0 * np.exp(0.01 * rng.standard_normal(4))
    fit = power_law_fit(x, y, 0.01 * y)
    assert abs(fit.exponent + 1.0) < 5 * fit.exponent_se
    assert fit.to_dict()["prefactor"] == fit.prefactor
    with pytest.raises(ValueError, match=r"`x` and `y` must be positive"):
        power_law_fit([1.0], [1.0])


def test_autocovariance_comparison_z_scores_and_criterion():
    lags = np.linspace(0, 10, 101)
    c = compare_autocovariance(
        lags, np.exp(-lags), lags[::10], np.exp(-lags[::10]) + 0.01, np.full(11, 0.01)
    )
    np.testing.assert_allclose(c.z, 1.0, atol=1e-12)
    # Sidak over 11 lags at the 3-sigma family-wise level, normal quantiles without n_blocks
    p_each = 1 - (1 - P_3SIGMA) ** (1 / 11)
    assert c.z_threshold == pytest.approx(sps.norm.isf(p_each / 2))
    assert c.passed
    assert c.verdict == "consistent with sampling noise"
    with pytest.raises(ValueError, match=r"`lags_pred` must cover"):
        compare_autocovariance(lags[:5], lags[:5], lags, lags, lags + 1)


def test_autocovariance_zero_se_lags_are_left_out_and_t_thresholds_are_wider():
    lags = np.arange(5.0)
    se = np.array([0.0, 0.1, 0.1, 0.1, 0.1])
    sim = np.array([1.0, 0.0, 0.0, 0.0, 0.9])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = compare_autocovariance(lags, np.zeros(5), lags, sim, se, n_blocks=8)
    assert c.n_zero_se == 1
    assert np.isnan(c.z[0])
    assert c.max_abs_z == pytest.approx(9.0)
    assert c.z_threshold > compare_autocovariance(lags, np.zeros(5), lags, sim, se).z_threshold
    assert not c.passed
    assert c.verdict.startswith("differs: max |z| = 9")
    assert "over 4 lags" in c.criterion


def test_wick_test_leaves_out_zero_se_quadruples():
    """Quadruples with zero SE would give infinite z: they are counted apart, not as |z| > 3.

    98 tested quadruples, 10 of them at z = 30: far above the binomial 3-sigma count for the
    Student-t tail probability of 15 degrees of freedom (expected 0.9)."""
    kappa = np.zeros(100)
    se = np.full(100, 0.01)
    se[:2] = 0.0
    kappa[:2] = 0.5  # zero SE: left out
    kappa[2:12] = 0.3  # z = 30
    est = FourthCumulantEstimate(kappa, se, np.ones(100), np.zeros((100, 4), dtype=int), 16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w = compare_fourth_cumulants(est)
    assert (w.n_quadruples, w.n_zero_se, w.n_tested) == (100, 2, 98)
    assert w.frac_abs_z_gt_3 == pytest.approx(10 / 98)
    assert w.expected_frac == pytest.approx(2 * sps.t(15).sf(3.0))
    assert w.max_count == int(sps.binom(98, w.expected_frac).isf(P_3SIGMA))
    assert w.max_count < 10
    assert not w.passed
    assert w.verdict == "non-Gaussian activity"
    assert w.to_dict()["n_zero_se"] == 2
    kappa[2:12] = 0.0
    null = compare_fourth_cumulants(
        FourthCumulantEstimate(kappa, se, np.ones(100), np.zeros((100, 4), dtype=int), 16)
    )
    assert null.passed
    assert null.verdict == "consistent with Gaussian activity"


def test_edge_comparison_with_nothing_compared():
    from types import SimpleNamespace as NS

    th = NS(values=np.array([0.5]), edge=np.array([0.0]), kind=("segment",), statistic="tau")
    me = NS(edge=np.array([-0.1]), edge_se=np.array([0.01]))
    r = compare_edge_sensitivity(th, me, width=1.0)
    assert r.passed is None
    assert r.verdict == "-"
    d = r.to_dict()
    assert d["agrees_within_2pct_width"] is None
    assert d["points_segment"] == [0.5]
