"""Fitting Gaussian-mixture low-rank networks to a target flow (randrnn.lowrank.approximation)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from randrnn.ensembles import GaussianMixture
from randrnn.lowrank.approximation import (
    ComponentStatistics,
    FlowFit,
    _noise_form,
    draw_component_statistics,
    fit_flow,
    latent_field_noise,
    sample_flow_network,
    stuart_landau,
    van_der_pol,
)
from randrnn.lowrank.latent import MixtureLatentDynamics, NetworkLatentDynamics

SMALL = {"points": 12, "limit_cycle": False}


def test_target_periods_match_known_values() -> None:
    # Van der Pol mu = 1: T = 6.663286859... (e.g. Strogatz; computed to 1e-9 by many sources)
    assert van_der_pol(1.0).limit_cycle(t_transient=50.0).period == pytest.approx(
        6.6632868593, rel=1e-8
    )
    sl = stuart_landau(omega=1.3, radius=1.5).limit_cycle(t_transient=50.0)
    assert sl.period == pytest.approx(2 * math.pi / 1.3, rel=1e-8)
    assert sl.radius == pytest.approx(1.5, rel=1e-8)


def test_fitted_field_matches_regression_and_covariance_is_pd() -> None:
    fit = fit_flow(van_der_pol(1.0), n_components=6, seed=3, **SMALL)
    assert isinstance(fit, FlowFit)
    # independent assembly: the mixture's mean-field dynamics evaluated from its parameters
    field = MixtureLatentDynamics(mixture=fit.mixture, rank=2, n_inputs=1, phi="tanh").field(
        fit.grid, fit.v
    )
    scale = float(np.abs(fit.fitted).max())
    np.testing.assert_allclose(field, fit.fitted, rtol=0, atol=1e-11 * scale)
    for c in fit.mixture.covariances:
        np.linalg.cholesky(c)  # raises unless positive definite
        # the n-block is the Schur bound plus a small multiple of the identity
        s_mm, s_nm, s_nn = c[:2, :2], c[2:4, :2], c[2:4, 2:4]
        schur = s_nn - s_nm @ np.linalg.solve(s_mm, s_nm.T)
        assert np.linalg.eigvalsh(schur).min() > 0
        assert np.linalg.eigvalsh(schur).max() <= 1e-7 * max(1.0, float(np.diag(s_nn).max()))
    ds = fit.to_xarray()
    assert ds.sizes["component"] == 6
    assert fit.to_dict()["field_error"] == fit.field_error


def _representable(seed: int) -> tuple[ComponentStatistics, MixtureLatentDynamics]:
    comp = draw_component_statistics(4, seed=seed)
    rng = np.random.default_rng(100 + seed)
    P, R = 4, 2
    means = np.concatenate(
        [comp.mean_m, rng.normal(0, 1, (P, R)), comp.mean_input[:, None]], axis=1
    )
    covs = np.zeros((P, 5, 5))
    for p in range(P):
        a = rng.normal(0, 1, (5, 5))
        c = a @ a.T + np.eye(5)  # arbitrary n-n and n-m statistics
        c[:2, :2] = comp.cov_m[p]
        c[4, :] = c[:, 4] = 0.0
        c[4, 4] = comp.var_input[p]
        c[2:4, :2] *= 0.1 * float(np.sqrt(np.diag(comp.cov_m[p])).min())
        c[:2, 2:4] = c[2:4, :2].T
        c[2:4, 2:4] += 10.0 * np.eye(2)
        covs[p] = c
    mix = GaussianMixture(weights=comp.weights, means=means, covariances=covs)
    return comp, MixtureLatentDynamics(mixture=mix, rank=2, n_inputs=1)


def test_representable_target_is_recovered() -> None:
    comp, dyn = _representable(0)

    def target(k: np.ndarray) -> np.ndarray:
        return dyn.field(k, np.ones((*k.shape[:-1], 1)))

    fit = fit_flow(target, components=comp, penalty="plain", ridge=0.0, **SMALL)
    assert fit.field_error < 1e-8
    assert fit.heldout_error < 1e-8
    # the n-statistics themselves are identified (the design has full column rank here)
    np.testing.assert_allclose(fit.mean_n, dyn.mixture.means[:, 2:4], atol=1e-6)
    np.testing.assert_allclose(fit.cov_nm, dyn.mixture.covariances[:, 2:4, :2], atol=1e-6)


def test_field_error_decreases_with_components() -> None:
    kw = {"points": 15, "limit_cycle": False, "ridge": 1e-7}
    err = {
        P: [fit_flow(van_der_pol(1.0), n_components=P, seed=s, **kw).field_error for s in range(4)]
        for P in (2, 12)
    }
    # every one of the larger fits beats every one of the smaller
    assert max(err[12]) < min(err[2])


def test_noise_penalty_is_the_finite_size_variance() -> None:
    # the quadratic form that penalises theta equals the variance of latent_field_noise
    fit = fit_flow(van_der_pol(1.0), n_components=5, seed=1, schur_eps=1e-14, **SMALL)
    Q = _noise_form(fit.components, fit.phi, fit.grid, np.ones(fit.grid.shape[0]))
    theta = np.concatenate([fit.mean_n[:, None, :], np.swapaxes(fit.cov_nm, 1, 2)], axis=1)
    quad = np.einsum("par,pab,pbr->", theta, Q, theta)
    sd = latent_field_noise(fit.dynamics(), fit.grid, fit.v)
    assert quad == pytest.approx(float(np.mean(np.sum(sd**2, axis=-1))), rel=1e-8)


def _general_mixture() -> MixtureLatentDynamics:
    # nonzero means everywhere, cov(n, I) and cov(m, I) nonzero: the general formula
    rng = np.random.default_rng(7)
    P = 3
    covs = np.empty((P, 5, 5))
    for p in range(P):
        a = rng.normal(0, 0.6, (5, 5))
        covs[p] = a @ a.T + 0.2 * np.eye(5)
    mix = GaussianMixture(weights=[0.2, 0.3, 0.5], means=rng.normal(0, 1, (P, 5)), covariances=covs)
    return MixtureLatentDynamics(mixture=mix, rank=2, n_inputs=1)


@pytest.mark.parametrize("which", ["general", "fitted"])
def test_sampled_field_noise_follows_one_over_sqrt_n(which: str) -> None:
    if which == "general":
        dyn = _general_mixture()
    else:
        dyn = fit_flow(van_der_pol(1.0), n_components=5, seed=2, **SMALL).dynamics()
    kappa = np.array([[0.0, 0.0], [1.0, -0.5], [-1.5, 2.0]])
    v = np.ones((3, 1))
    mean_field = dyn.field(kappa, v)
    sd = latent_field_noise(dyn, kappa, v)  # (3, 2), per unit
    S = 400
    for n in (200, 3200):
        dev = np.empty((S, 3, 2))
        for s in range(S):
            L, _ = dyn.mixture.sample(np.random.default_rng(1000 * n + s), n)
            net = NetworkLatentDynamics(M=L[:, :2], N=L[:, 2:4], inputs=L[:, 4:])
            dev[s] = net.field(kappa, v) - mean_field
        # unbiased: the mean deviation is within 5 standard errors
        assert np.all(np.abs(dev.mean(axis=0)) < 5 * sd / math.sqrt(n * S))
        # the variance is sd^2 / n: the sample-variance ratio has SE sqrt(2 / (S - 1))
        ratio = (dev**2).mean(axis=0) * n / sd**2
        se = math.sqrt(2 / (S - 1))
        assert np.all(np.abs(ratio - 1) < 5 * se)
        assert abs(ratio.mean() - 1) < 4 * se  # the mean of 6 correlated ratios: SE <= se


def test_sample_flow_network_draws_the_mixture() -> None:
    fit = fit_flow(van_der_pol(1.0), n_components=4, seed=0, **SMALL)
    net = sample_flow_network(fit, 400, seed=5)
    L, _ = fit.mixture.sample(np.random.default_rng(5), 400)
    np.testing.assert_array_equal(net.M, L[:, :2])
    np.testing.assert_array_equal(net.N, L[:, 2:4])
    assert fit.ensemble(400).mixture is fit.mixture


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_components": 0}, "n_components"),
        ({"n_components": 3, "points": 1}, "points"),
        ({"n_components": 3, "penalty": "lasso"}, "penalty"),
        ({"n_components": 3, "ridge": -1.0}, "ridge"),
        ({"n_components": 3, "m_law": "uniform"}, "m_law"),
        ({"n_components": 3, "domain": ((1.0, -1.0), (0.0, 1.0))}, "domain"),
        ({"n_components": 3, "weight": "cycle"}, "weight"),
        ({"n_components": 3, "schur_eps": 0.0}, "schur_eps"),
        ({}, "n_components"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict, name: str) -> None:
    with pytest.raises((ValueError, TypeError), match=f"`{name}`"):
        fit_flow(van_der_pol(1.0), limit_cycle=False, **kwargs)


def test_bad_target_is_named() -> None:
    with pytest.raises(ValueError, match="`target`"):
        fit_flow(lambda k: k[..., :1], n_components=2, limit_cycle=False)
    with pytest.raises(TypeError, match="`target`"):
        fit_flow(3.0, n_components=2, limit_cycle=False)
    with pytest.raises(ValueError, match="`mu`"):
        van_der_pol(-1.0)
