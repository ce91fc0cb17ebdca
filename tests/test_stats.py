"""stats: the result types of the accumulators (MatrixEstimate and friends) on known data."""

from __future__ import annotations

import numpy as np
import pytest

from randrnn.stats import (
    AutocovarianceAccumulator,
    CovarianceAccumulator,
    FourthCumulantEstimate,
    MatrixEstimate,
    QuadrupleAccumulator,
    residual_covariance,
)


def _stream(rng, n_blocks=8, per_block=50, n=6):
    """Correlated Gaussian samples in blocks; returns the accumulator inputs and the data."""
    mix = rng.standard_normal((n, n)) / np.sqrt(n) + np.eye(n)
    blocks = [rng.standard_normal((per_block, n)) @ mix.T for _ in range(n_blocks)]
    return [np.ascontiguousarray(b) for b in blocks]


def test_matrix_estimates_hold_value_se_halves_and_blocks(rng):
    blocks = _stream(rng)
    acc = CovarianceAccumulator(6, 8, np.float64)
    for b in blocks:
        acc.add(b, np.tanh(b))
        acc.close_block()
    est = acc.finalize()
    for name in ("cov_x", "cov_phi", "cov_xphi"):
        m = getattr(est, name)
        assert isinstance(m, MatrixEstimate)
        assert m.shape == (6, 6)
        assert m.n_blocks == 8
    flat = np.concatenate(blocks)
    np.testing.assert_allclose(est.cov_x.value, np.cov(flat.T, bias=True), atol=1e-12)
    first = np.concatenate(blocks[:4])
    np.testing.assert_allclose(est.cov_x.halves[0], np.cov(first.T, bias=True), atol=1e-5)
    # the SE is the spread of the block covariances over sqrt(n_blocks) (float32)
    per_block = np.array([np.cov(b.T, bias=True) for b in blocks])
    np.testing.assert_allclose(
        est.cov_x.se, per_block.std(0, ddof=1) / np.sqrt(8), rtol=1e-4, atol=1e-6
    )
    res = residual_covariance(est)
    assert res.cov_r.shape == (6, 6)


def test_covariances_off_give_none_and_residuals_refuse(rng):
    acc = CovarianceAccumulator(4, 4, np.float64, covariance=False, cross=False)
    for b in _stream(rng, n_blocks=4, n=4):
        acc.add(b, b)
        acc.close_block()
    est = acc.finalize()
    assert est.cov_x is None
    assert est.cov_phi is None
    assert est.cov_xphi is None
    with pytest.raises(ValueError, match=r"`est` must contain cov_x, cov_phi and cov_xphi"):
        residual_covariance(est)


def test_matrix_estimate_checks_shapes_and_blocks():
    with pytest.raises(ValueError, match=r"shapes \(n, m\), \(n, m\) and \(2, n, m\)"):
        MatrixEstimate(np.eye(3), np.eye(2), np.zeros((2, 3, 3)), 4)
    with pytest.raises(ValueError, match=r"`n_blocks` of a MatrixEstimate must be >= 2"):
        MatrixEstimate(np.eye(3), np.eye(3), np.zeros((2, 3, 3)), 1)


def test_fourth_cumulants_are_typed_with_their_blocks(rng):
    quads = np.array([[0, 1, 2, 3], [1, 2, 3, 4]])
    acc = QuadrupleAccumulator(quads)
    for b in _stream(rng, n_blocks=6, n=5):
        acc.add(b)
        acc.close_block()
    est = acc.finalize(np.ones(5))
    assert isinstance(est, FourthCumulantEstimate)
    assert est.n_quadruples == 2
    assert est.n_blocks == 6
    assert est.gaussian_part.shape == est.kappa.shape == est.kappa_se.shape == (2,)


def test_autocovariance_estimate_records_its_blocks(rng):
    acc = AutocovarianceAccumulator(n_series=8, n_units=4, n_lags=3, n_blocks=5, dtype=np.float64)
    for _ in range(5):
        for _ in range(10):
            x = rng.standard_normal(8)
            acc.add(x, np.tanh(x))
        acc.close_block()
    est = acc.finalize(0.1)
    assert est.n_blocks == 5
    np.testing.assert_allclose(est.lags, [0.0, 0.1, 0.2])
