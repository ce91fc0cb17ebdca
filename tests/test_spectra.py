"""Tests of the Jacobian ensemble sampling and randrnn.spectra, with small-n theory checks.

Statistical assertions use z = 5 standard errors (false-failure rate ~6e-7 each; about 20
assertions here, so < 1e-5 per run) plus, where a large-n prediction meets finite n, a stated
finite-size allowance.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from randrnn import rmt, spectra
from randrnn.ensembles import HalfNormal, JacobianEnsemble, LogNormal, Uniform
from randrnn.testing import assert_within_se


def one_population(*, n=300, p=0.5, scale=1.0, tau=1.0, gain=1.0, keep_mean=False):
    return JacobianEnsemble.from_blocks(
        n=n,
        fractions=(1.0,),
        signs=(1,),
        connectivity=((p,),),
        weights=((HalfNormal(scale=scale),),),
        tau=(tau,),
        gain=(gain,),
        keep_mean=keep_mean,
    )


def ei(n=400, keep_mean=False, **kw):
    base = dict(
        n=n,
        p_ee=0.1,
        p_ei=0.3,
        p_ie=0.3,
        p_ii=0.3,
        weight_e=HalfNormal(scale=1.5),
        weight_i=LogNormal(median=1.5, sigma=0.6),
        tau_e=1.0,
        tau_i=Uniform(low=1.0, high=3.0),
        gain_e=Uniform(low=0.5, high=1.5),
        gain_i=1.0,
        keep_mean=keep_mean,
    )
    base.update(kw)
    return JacobianEnsemble.excitatory_inhibitory(**base)


# -- sampling --------------------------------------------------------------------------------


def test_sample_reproducible_and_seed_dependent():
    ens = ei()
    a, b, c = ens.sample(5), ens.sample(5), ens.sample(6)
    assert (a.W != b.W).nnz == 0
    np.testing.assert_array_equal(a.tau, b.tau)
    assert (a.W != c.W).nnz > 0


def test_dale_signs_and_no_self_coupling():
    ens = ei()
    s = ens.sample(0)
    ne = ens.sizes[0]
    W = s.W.tocsc()
    assert np.all(W[:, :ne].data > 0)
    assert np.all(W[:, ne:].data < 0)
    assert np.all(s.W.diagonal() == 0)


def test_connectivity_and_block_variance_match_sampling():
    """Per-block connection fraction and n Var(W) within 5 binomial / sampling SE."""
    ens = ei(n=600)
    s = ens.sample(1)
    W = s.W.toarray() * math.sqrt(ens.n)
    pop = s.population
    for a in range(2):
        for b in range(2):
            block = W[np.ix_(pop == a, pop == b)]
            m = block.size - (block.shape[0] if a == b else 0)  # diagonal excluded
            p = ens.connectivity[a][b]
            frac = np.count_nonzero(block) / m
            assert_within_se(frac, p, math.sqrt(p * (1 - p) / m), label=f"p[{a}{b}]")
            x = block.ravel()
            var = x.var()
            # SE of a sample variance: sqrt((m4 - var^2) / m), m4 from the data
            se = math.sqrt(max(np.mean((x - x.mean()) ** 4) - var**2, 1e-300) / x.size)
            # diagonal zeros bias the variance of diagonal blocks by O(1/n_a): allowance 2 s / n_a
            assert_within_se(var, ens.block_variance[a, b], se, bias=2 * var / block.shape[0])


def test_removed_mean_is_block_mean():
    ens = ei(n=300)
    s = ens.sample(2)
    A = s.to_dense()
    # dense A = T^-1(-I + (W - M) G): recompute from parts
    U, V = s.low_rank_factors()
    Wd = s.W.toarray() - U @ V.T
    expected = (Wd * s.gain[None, :] - np.eye(ens.n)) / s.tau[:, None]
    np.testing.assert_allclose(A, expected, atol=1e-15)
    np.testing.assert_allclose(s.mean_removed, ens.block_mean / ens.n)


# -- eigenvalues -----------------------------------------------------------------------------


def test_dense_trace_identity():
    """sum(lambda) = trace(A) = -sum(1/tau) when W_ii = 0 and means kept (LAPACK backward
    error ~ n eps ||A||, far below 1e-8)."""
    ens = ei(n=300, keep_mean=True)
    s = ens.sample(3)
    sp = spectra.eigenvalues(s)
    assert abs(sp.eigenvalues.sum().real + np.sum(1 / s.tau)) < 1e-8
    assert sp.eigenvalues.size == 300
    ds = sp.to_xarray()
    assert ds["eig_re"].dims == ("eig",)


def test_rightmost_matches_dense_with_mean_correction():
    ens = ei(n=300, keep_mean=False)
    s = ens.sample(4)
    full = spectra.eigenvalues(s).eigenvalues
    part = spectra.rightmost_eigenvalues(s, k=8, tol=1e-12)
    # ARPACK to tol 1e-12 relative on well-separated extreme eigenvalues: agree to 1e-8
    np.testing.assert_allclose(np.sort(part.eigenvalues.real), np.sort(full.real)[-8:], atol=1e-8)
    si = spectra.rightmost_eigenvalues(s, k=8, method="shift_invert", shift=0.2, tol=1e-12)
    # each returned value is an eigenvalue among the 9 nearest the shift (a conjugate pair may
    # be split at the k-th place)
    near = full[np.argsort(np.abs(full - 0.2))[:9]]
    dist = np.min(np.abs(si.eigenvalues[:, None] - near[None, :]), axis=1)
    assert np.all(dist < 1e-8)


def test_edge_estimate_on_uniform_disc():
    """Tail fit on i.i.d. uniform points in a unit disc: unbiased to O(n_tail/n) curvature
    terms; 10 draws give an SE, allowance 5 SE."""
    rng = np.random.default_rng(11)
    est = []
    for _ in range(10):
        n = 4000
        lam = np.sqrt(rng.random(n)) * np.exp(2j * np.pi * rng.random(n))
        est.append(spectra.edge_estimate(lam).edge)
    est = np.array(est)
    # curvature bias of the k^(2/3) law over the top sqrt(n) points: O((n_tail/n)^(2/3)) ~ 0.02
    # times the O(0.1) next-order coefficient -> allowance 0.005
    assert_within_se(est.mean(), 1.0, est.std(ddof=1) / math.sqrt(10), bias=0.005)


def test_circular_law_edge_small_n():
    """Theory vs dense eigenvalues, one population: tail-fit edge and height within 5 SE across
    realizations plus a finite-size allowance 2 r / sqrt(n) (the Ginibre edge layer has width
    ~ r / sqrt(2 n))."""
    n = 300
    ens = one_population(n=n, tau=2.0, gain=1.2)
    pred = rmt.spectral_edge(ens)
    r = pred.height / 2
    m = spectra.measure_edge(ens, n_realizations=4, seed=7)
    assert_within_se(m.edge, pred.edge, m.edge_se, bias=2 * r / math.sqrt(n), label="edge")
    assert_within_se(m.height, pred.height, m.height_se, bias=4 * r / math.sqrt(n), label="height")
    centre = m.eigenvalues.mean()
    # exact: trace / n = -1/tau - mean(M_aa g)/tau with the removed mean on the diagonal
    mu_diag = ens.block_mean[0, 0] / n * 1.2
    assert abs(centre.real - (-0.5 - mu_diag / 2.0)) < 1e-9


def test_outlier_small_n():
    """Outlier of one population with kept mean: mean over realizations within 5 SE plus a
    finite-size allowance s / (mu sqrt(n)) (second-order term u^T X^2 v / mu of the rank-one
    perturbation expansion)."""
    n = 300
    ens = one_population(n=n, p=0.3, keep_mean=True)
    pred = rmt.outliers(ens).values[0]
    vals = np.array([spectra.eigenvalues(ens.sample(s)).eigenvalues[0] for s in range(4)])
    se = vals.real.std(ddof=1) / 2
    s = ens.block_variance[0, 0]
    mu = ens.block_mean[0, 0]
    assert_within_se(vals.real.mean(), pred.real, se, bias=s / (mu * math.sqrt(n)))
    assert np.all(vals.imag == 0)


def test_bar_fraction_graph_vs_eigenvalues_vs_theory():
    """Very sparse single population: units outside the giant strongly connected component
    give exact eigenvalues -1/tau_i; the graph count matches the branching-process prediction
    within 5 binomial SE plus O(1/sqrt(n)) finite-size corrections of the giant component."""
    n = 500
    ens = one_population(n=n, p=2.0 / n, tau=Uniform(low=1.0, high=2.0), keep_mean=True)
    pred = rmt.strong_component(ens).bar_fraction
    g, e = [], []
    for seed in range(3):
        s = ens.sample(seed)
        gf, ef = spectra.bar_fraction(s, spectra.eigenvalues(s))
        g.append(gf)
        e.append(ef)
    # every unit outside the giant component is a singleton SCC, up to the O(1) short cycles
    assert all(abs(a - b) <= 5 / n for a, b in zip(g, e, strict=True))
    se = math.sqrt(pred * (1 - pred) / (3 * n))
    assert_within_se(np.mean(g), pred, se, bias=1 / math.sqrt(n), label="bar fraction")


def test_measure_edge_reproducible():
    ens = ei(n=200)
    a = spectra.measure_edge(ens, n_realizations=2, seed=3)
    b = spectra.measure_edge(ens, n_realizations=2, seed=3)
    np.testing.assert_array_equal(a.eigenvalues, b.eigenvalues)
    ds = a.to_xarray()
    assert ds["eig_re"].dims == ("realization", "eig")


def test_sensitivity_small_n():
    ens = ei(n=250)
    m = spectra.measure_edge_sensitivity(ens, "weight_scale", [0.8, 1.2], n_realizations=2)
    assert m.edge[1] > m.edge[0]
    assert m.to_xarray()["edge_numeric"].dims == ("weight_scale",)


# -- invalid inputs --------------------------------------------------------------------------


def test_invalid_inputs():
    with pytest.raises(TypeError, match="`sample` must be a JacobianSample"):
        spectra.eigenvalues(np.eye(3))
    s = ei(n=50).sample(0)
    with pytest.raises(ValueError, match="`k` must be < n - 1"):
        spectra.rightmost_eigenvalues(s, k=60)
    with pytest.raises(ValueError, match="`method` must be one of"):
        spectra.rightmost_eigenvalues(s, k=3, method="lanczos")
    with pytest.raises(ValueError, match=r"`q` must be in \(0, 1\)"):
        spectra.edge_estimate(np.ones(10), q=1.5)
    with pytest.raises(ValueError, match="`eigenvalues` must hold at least"):
        spectra.edge_estimate(np.ones(3), skip=2)
    with pytest.raises(TypeError, match="`n_realizations` must be a positive integer"):
        spectra.measure_edge(ei(n=50), n_realizations=1.5)
    with pytest.raises(TypeError, match="`rng` must be"):
        ei(n=50).sample("seed")
