"""Tests of randrnn.rmt: analytic limits, internal consistency, invalid inputs.

Theory only (no sampling) except where stated; theory-vs-eigenvalue checks live in
test_spectra.py (small n) and test_validation_rmt.py (large n).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from randrnn import rmt
from randrnn.ensembles import (
    Fixed,
    GaussianEnsemble,
    HalfNormal,
    JacobianEnsemble,
    LogNormal,
    Samples,
    Uniform,
    vary,
)
from randrnn.errors import RegimeWarning

# Solver tolerance of the theory (brentq xtol 1e-13 relative, bisection to 2^-60): every
# "analytic" comparison below allows 1e-9, far above those and far below any physics effect.
ANALYTIC = 1e-9


def one_population(*, p=0.5, scale=1.0, tau=1.0, gain=1.0, keep_mean=False, n=1000):
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


def ei_ensemble(n=1000, **kw):
    base = dict(
        n=n,
        p_ee=0.1,
        p_ei=0.3,
        p_ie=0.3,
        p_ii=0.3,
        weight_e=HalfNormal(scale=1.5),
        weight_i=LogNormal(median=1.5, sigma=0.6),
        tau_e=1.0,
        tau_i=Uniform(low=1.0, high=4.0),
        gain_e=Uniform(low=0.5, high=1.5),
        gain_i=Uniform(low=0.5, high=1.5),
    )
    base.update(kw)
    return JacobianEnsemble.excitatory_inhibitory(**base)


# -- circular-law limit ----------------------------------------------------------------------


@pytest.mark.parametrize(("tau", "gain"), [(1.0, 1.0), (2.0, 0.7), (0.5, 1.3)])
def test_circular_law_limit(tau, gain):
    """Fixed tau and gain: disc of centre -1/tau and radius sqrt(s) g / tau."""
    ens = one_population(tau=tau, gain=gain)
    s = ens.block_variance[0, 0]
    radius = math.sqrt(s) * gain / tau
    edge = rmt.spectral_edge(ens)
    assert edge.kind == "perron"
    assert abs(edge.edge - (-1.0 / tau + radius)) < ANALYTIC
    assert abs(edge.leftmost - (-1.0 / tau - radius)) < ANALYTIC
    assert abs(edge.height - 2.0 * radius) < 1e-6  # bounded scalar search tolerance
    theta = np.linspace(0, 2 * np.pi, 7)
    on_circle = -1.0 / tau + radius * np.exp(1j * theta)
    np.testing.assert_allclose(rmt.perron_root(ens, on_circle), 1.0, atol=ANALYTIC)
    b = rmt.support_boundary(ens, x=-1.0 / tau + radius * np.cos(theta[1:3]))
    np.testing.assert_allclose(b.y_max, radius * np.sin(theta[1:3]), atol=ANALYTIC)


def test_block_variance_closed_form():
    """s = p E[w^2] - p^2 E[w]^2 for a half-normal magnitude."""
    ens = one_population(p=0.3, scale=2.0)
    m1, m2 = 2.0 * math.sqrt(2 / math.pi), 4.0
    assert abs(ens.block_variance[0, 0] - (0.3 * m2 - 0.09 * m1**2)) < 1e-14


def test_issue_form_has_same_perron_root():
    """The issue's row-indexed diag(alpha m) S and the derived S diag(alpha m) are similar."""
    ens = ei_ensemble()
    for z in (0.1, -0.4 + 0.3j, -2.0 + 0.5j):
        M = rmt.perron_matrix(ens, z)
        S = ens.block_variance
        am = M[0] / S[0]  # alpha_b m_b
        issue = am[:, None] * S
        r1 = np.max(np.abs(np.linalg.eigvals(M)))
        r2 = np.max(np.abs(np.linalg.eigvals(issue)))
        assert abs(r1 - r2) < 1e-12 * r1  # eigenvalues of similar matrices, float64 rounding
        assert abs(rmt.perron_root(ens, z) - r1) < 1e-12 * r1


def test_uniform_closed_form_matches_quadrature():
    """Exact E[1/|tau z + 1|^2] for uniform tau vs a 400-point Gauss-Legendre rule."""
    u = Uniform(low=0.5, high=2.5)
    t, w = u.quadrature(400)
    for z in (0.2, -0.1, 0.3 + 0.5j, -3.0 + 0.2j):
        exact = rmt.perron._inv_abs2(u, np.asarray(z), 8)
        quad = np.sum(w / np.abs(z * t + 1) ** 2)
        # smooth integrand away from the pole segment [-2, -0.4]: Gauss rule converges
        # exponentially; 1e-10 is round-off level for 400 terms of size O(1)
        assert abs(exact - quad) < 1e-10 * max(1.0, quad)


def test_tau_spread_moves_edge_and_keeps_perron_at_zero():
    """rho(M(0)) does not depend on tau; spreading tau (same median) changes the edge shape."""
    a = one_population(tau=2.0, scale=1.6)
    b = dataclasses.replace(a, tau=(LogNormal(median=2.0, sigma=0.4),))
    assert abs(rmt.spectral_edge(a).perron_at_zero - rmt.spectral_edge(b).perron_at_zero) < 1e-12
    assert rmt.spectral_edge(a).edge != rmt.spectral_edge(b).edge


def test_unbounded_tau_gives_segment_edge_when_stable():
    """Lognormal tau has poles up to 0^-: a stable bulk then has the 'segment' edge at 0."""
    ens = one_population(tau=LogNormal(median=1.0, sigma=0.5), scale=0.5)
    e = rmt.spectral_edge(ens)
    assert e.kind == "segment"
    assert e.edge == 0.0
    assert e.perron_at_zero < 1


def test_edge_scaling_with_weights():
    """Fixed tau = g = 1: edge + 1 = sqrt(s) scales linearly with a weight-scale factor."""
    ens = one_population()
    e1 = rmt.spectral_edge(ens).edge
    e2 = rmt.spectral_edge(vary(ens, "weight_scale", 1.7)).edge
    assert abs((e2 + 1.0) - 1.7 * (e1 + 1.0)) < ANALYTIC


def test_edge_sensitivity_consistent():
    ens = ei_ensemble()
    s = rmt.edge_sensitivity(ens, "gain_spread", [0.0, 0.5])
    assert abs(s.edge[1] - rmt.spectral_edge(vary(ens, "gain_spread", 0.5)).edge) < ANALYTIC
    ds = s.to_xarray()
    assert ds["edge_pred"].dims == ("gain_spread",)
    w = rmt.edge_sensitivity(ens, "weight_scale", [0.8, 1.0, 1.2])
    assert np.all(np.diff(w.edge) > 0)


# -- density ---------------------------------------------------------------------------------


def test_density_circular_law_uniform_and_normalised():
    """Uniform density 1/(pi r^2) inside the disc, zero outside; total mass 1."""
    ens = one_population(tau=2.0, gain=1.0)
    r = math.sqrt(ens.block_variance[0, 0]) / 2.0
    xe = np.linspace(-0.5 - 1.5 * r, -0.5 + 1.5 * r, 31)
    ye = np.linspace(-1.5 * r, 1.5 * r, 31)
    d = rmt.eigenvalue_density(ens, x_edges=xe, y_edges=ye)
    assert d.converged
    # the total is the trapezoid rule for (2 pi i)^-1 * contour integral of 1/(z - c) on the
    # outer rectangle (half-width R = 1.5 r, step h = r/10): error O((h/R)^2) = 4e-3 relative
    # times an O(0.1) constant of the rule's second-derivative term; allow 1e-3
    assert abs(d.mass.sum() - 1.0) < 1e-3
    X, Y = np.meshgrid(d.x, d.y, indexing="ij")
    deep = np.hypot(X + 0.5, Y) < 0.8 * r
    far = np.hypot(X + 0.5, Y) > 1.2 * r
    # inside: g = conj(z - c) / r^2 is linear, so the trapezoid rule is exact
    np.testing.assert_allclose(d.density[deep], 1 / (np.pi * r**2), rtol=1e-8)
    # outside: g analytic, the cell integral vanishes up to the trapezoid error
    # O(h^2 |g''| h^2) = O(h^4 / dist^3) ~ 1e-4 at the closest far cell
    assert np.max(np.abs(d.mass[far])) < 1e-4


def test_density_residual_and_gauge():
    """Heterogeneous E/I: equations converge to the requested tolerance; mass <= 1."""
    ens = ei_ensemble()
    e = rmt.spectral_edge(ens)
    xe = np.linspace(-2.0, e.edge + 0.1, 12)
    ye = np.linspace(-0.6 * e.height, 0.6 * e.height, 9)
    d = rmt.eigenvalue_density(ens, x_edges=xe, y_edges=ye, tol=1e-10)
    assert d.converged
    assert d.residual <= 1e-10
    # masses are non-negative up to the trapezoid error of the cell contours, O(h^2 g'') with
    # h ~ 0.2 next to the pole segment where g varies on the scale of the bulk (~1): < 1e-3
    assert np.all(d.mass > -1e-3)
    assert d.mass.sum() <= 1.0 + 1e-3
    ds = d.to_xarray()
    assert ds["density_pred"].dims == ("re", "im")


def test_density_outside_support_is_resolvent_of_diagonal():
    ens = one_population(tau=Samples(values=(1.0, 2.0)), scale=0.3)
    d = rmt.eigenvalue_density(ens, x_edges=[0.5, 1.0], y_edges=[0.5, 1.0])
    z = d.x_edges[:, None] + 1j * d.y_edges[None, :]
    expected = 0.5 * (1 / (z + 1.0) + 1 / (z + 0.5))
    np.testing.assert_allclose(d.resolvent, expected, rtol=1e-12)


def test_density_warns_when_too_sparse():
    ens = one_population(p=0.0008, scale=30.0, n=2000)
    with pytest.warns(RegimeWarning, match="real bar"):
        rmt.eigenvalue_density(ens, x_edges=[-1.5, -0.5], y_edges=[-0.5, 0.5])


# -- outliers --------------------------------------------------------------------------------


def test_outlier_single_population_exact():
    """Fixed tau, g: K(z) = mu g / (tau z + 1) so z = (mu g - 1) / tau."""
    ens = one_population(keep_mean=True, tau=2.0, gain=0.5, n=900)
    mu = ens.block_mean[0, 0]
    o = rmt.outliers(ens)
    assert o.values.size == 1
    assert abs(o.values[0] - (mu * 0.5 - 1.0) / 2.0) < ANALYTIC
    assert o.residual[0] < 1e-8


def test_outliers_removed_means_give_none():
    assert rmt.outliers(ei_ensemble(keep_mean=False)).values.size == 0


def test_outliers_two_populations_solve_determinant():
    ens = ei_ensemble(keep_mean=True)
    o = rmt.outliers(ens)
    assert o.values.size >= 1
    for z in o.values:
        K = rmt.means._outlier_matrix(ens, complex(z), rmt.N_QUAD)
        assert abs(np.linalg.det(np.eye(2) - K)) < 1e-8
        assert rmt.perron_root(ens, z) < 1.0


# -- sparse structure ------------------------------------------------------------------------


def test_strong_component_dense_limit_and_er():
    dense = rmt.strong_component(ei_ensemble())
    assert dense.bar_fraction < 1e-12
    c = 1.5
    ens = one_population(p=c / 20000, n=20000)
    sc = rmt.strong_component(ens)
    x = sc.in_reach[0]
    # binomial vs Poisson degrees differ by O(c^2 / n) = 1e-4
    assert abs(x - (1 - math.exp(-c * x))) < 1e-3
    assert abs(sc.bar_fraction - (1 - x * x)) < 1e-12


def test_strong_component_zero_gain_units_are_bar():
    ens = dataclasses.replace(ei_ensemble(), gain=(Fixed(value=0.0), Uniform(low=0.5, high=1.0)))
    sc = rmt.strong_component(ens)
    assert sc.out_reach[0] == 0.0
    assert abs(sc.bar_fraction - ens.alpha[0]) < 1e-12


# -- invalid inputs --------------------------------------------------------------------------


def test_invalid_inputs():
    with pytest.raises(TypeError, match="`ensemble` must be a JacobianEnsemble"):
        rmt.spectral_edge(GaussianEnsemble(n=10, g=1.0))
    ens = one_population()
    with pytest.raises(ValueError, match="`x_edges` must be increasing"):
        rmt.eigenvalue_density(ens, x_edges=[1.0, 0.0], y_edges=[0.0, 1.0])
    with pytest.raises(ValueError, match="`on_failure` must be one of"):
        rmt.eigenvalue_density(ens, x_edges=[0, 1], y_edges=[0, 1], on_failure="ignore")
    with pytest.raises(ValueError, match="`statistic` must be one of"):
        rmt.edge_sensitivity(ens, "noise", [1.0])
    with pytest.raises(ValueError, match="`fractions` must sum to 1"):
        JacobianEnsemble.excitatory_inhibitory(n=10, fraction_excitatory=0.8).__class__.from_blocks(
            n=10,
            fractions=(0.5, 0.4),
            signs=(1, -1),
            connectivity=((0.1, 0.1), (0.1, 0.1)),
            weights=((1, 1), (1, 1)),
            tau=(1, 1),
            gain=(1, 1),
        )
    with pytest.raises(ValueError, match=r"`signs\[1\]` must be \+1 or -1"):
        JacobianEnsemble.from_blocks(
            n=10,
            fractions=(0.5, 0.5),
            signs=(1, 2),
            connectivity=((0.1, 0.1), (0.1, 0.1)),
            weights=((1, 1), (1, 1)),
            tau=(1, 1),
            gain=(1, 1),
        )
    with pytest.raises(ValueError, match=r"`tau\[0\]` must have support in \(0, inf\)"):
        one_population(tau=Uniform(low=0.0, high=1.0))
    with pytest.raises(ValueError, match=r"`connectivity\[0\]\[0\]` must be in \[0, 1\]"):
        one_population(p=1.5)
    with pytest.raises(ValueError, match=r"`weights\[0\]\[0\].kind` must be one of"):
        one_population(scale=1.0).__class__.from_blocks(
            n=10,
            fractions=(1.0,),
            signs=(1,),
            connectivity=((0.1,),),
            weights=(({"kind": "gamma"},),),
            tau=(1.0,),
            gain=(1.0,),
        )
