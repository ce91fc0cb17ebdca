"""Finite-connectivity spectra: growth-rate support and edge, population dynamics, outliers, bar.

Independent routes: closed forms of the growth rate (fixed and lognormal weights), the
block-structure identities (two identical populations = one), the population dynamics' own order
parameter against the growth criterion, and dense eigenvalues of sampled matrices (fractions in
regions compared with a standard error over realizations plus the prediction's own).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from randrnn import rmt
from randrnn.ensembles import Beta, JacobianEnsemble, LogNormal, ZeroInflated
from randrnn.rmt.cavity import CavitySettings, cavity_density, cavity_regions, cavity_resolvent
from randrnn.rmt.growth import growth_rate, sparse_boundary, sparse_edge


def one_population(c: float, weight: object, tau: object = 1.0, gain: object = 1.0, n=4000):
    return JacobianEnsemble.from_blocks(
        n=n,
        fractions=(1.0,),
        signs=(1,),
        in_degree=((c,),),
        weights=((weight,),),
        scaling="none",
        tau=(tau,),
        gain=(gain,),
    )


def sampled_fractions(ens: JacobianEnsemble, rect: np.ndarray, reps: int):
    """Mean and SE over ``reps`` dense spectra of the fraction of eigenvalues in each rectangle."""
    fr = []
    for seed in range(reps):
        lam = np.linalg.eigvals(ens.sample(seed).to_dense())
        fr.append(
            [
                np.mean((lam.real >= x0) & (lam.real < x1) & (lam.imag >= y0) & (lam.imag < y1))
                for x0, x1, y0, y1 in rect
            ]
        )
    fr = np.array(fr)
    return fr.mean(0), fr.std(0, ddof=1) / np.sqrt(reps)


# -- growth rate ------------------------------------------------------------------------------


def test_growth_equals_first_moment_without_disorder() -> None:
    # fixed w, h, tau: K(z; s) = c (w h / |1 + z tau|)^{2s}, minimized at s = 1 for c > 1
    ens = one_population(3.0, 0.8, tau=2.0, gain=1.5)
    z = np.array([-0.5 + 0.1j, -0.2 + 0.5j, 0.3 + 0.0j, -1.0 + 1.0j])
    r = growth_rate(ens, z)
    d2 = np.abs(1 + 2.0 * z) ** 2
    np.testing.assert_allclose(r.first_moment, np.log(3.0 * 0.8**2 * 1.5**2 / d2), rtol=1e-12)
    np.testing.assert_allclose(r.growth, r.first_moment, rtol=1e-10, atol=1e-12)
    e = sparse_edge(ens)
    radius = math.sqrt(3.0) * 0.8 * 1.5 / 2.0  # circle of radius sqrt(c) w h / tau at -1/tau
    assert e.edge == pytest.approx(-0.5 + radius, abs=1e-9)
    assert e.edge_first_moment == pytest.approx(e.edge, abs=1e-9)
    assert e.height == pytest.approx(2 * radius, rel=1e-6)


@pytest.mark.parametrize(("c", "sigma"), [(2.0, 1.0), (3.0, 0.7), (6.0, 1.2), (4.0, 0.3)])
def test_growth_lognormal_closed_form(c: float, sigma: float) -> None:
    # log E[w^{2s}] = 2 s^2 sigma^2: growth = min_{0<s<=1} (log c + 2 s^2 sigma^2)/s - log|D|^2
    ens = one_population(c, LogNormal(median=1.0, sigma=sigma))
    z = np.array([-1 + 0.5j, -1 + 2.0j, 0.5 + 0.0j, -1 + 3.0j])
    s_star = min(1.0, math.sqrt(math.log(c) / (2 * sigma**2)))
    expect = (math.log(c) + 2 * s_star**2 * sigma**2) / s_star - np.log(np.abs(z + 1) ** 2)
    r = growth_rate(ens, z)
    np.testing.assert_allclose(r.growth, expect, atol=1e-6)
    np.testing.assert_allclose(r.exponent, s_star, atol=2e-3)


def test_no_support_without_giant_component() -> None:
    # c = 0.8 < 1: no giant strongly connected component, whatever the weights
    ens = one_population(0.8, 10.0)
    r = growth_rate(ens, np.array([-1 + 0.5j, -1 + 2j]))
    assert np.all(r.first_moment > 0)  # the first-moment criterion would claim a bulk
    assert np.all(r.growth < 0)
    # silent units thin the graph the same way: c P(h > 0) = 3 * 0.3 < 1
    silent = one_population(3.0, 10.0, gain=ZeroInflated(base=1.0, zero_fraction=0.7))
    assert np.all(growth_rate(silent, np.array([-1 + 0.5j])).growth < 0)


def test_growth_never_exceeds_first_moment_and_blocks_are_consistent() -> None:
    tau = Beta(a=2.0, b=3.0, low=1.0, high=4.0)
    gain = Beta(a=2.0, b=2.0, low=0.2, high=1.0)
    w = LogNormal(median=1.2, sigma=0.9)
    one = one_population(3.0, w, tau=tau, gain=gain)
    two = JacobianEnsemble.from_blocks(
        n=4000,
        fractions=(0.5, 0.5),
        signs=(-1, -1),
        in_degree=((1.5, 1.5), (1.5, 1.5)),
        weights=((w, w), (w, w)),
        scaling="none",
        tau=(tau, tau),
        gain=(gain, gain),
    )
    rng = np.random.default_rng(0)
    z = rng.uniform(-1.5, 0.5, 30) + 1j * rng.uniform(-1, 1, 30)
    g1, g2 = growth_rate(one, z), growth_rate(two, z)
    assert np.all(g1.growth <= g1.first_moment + 1e-12)
    np.testing.assert_allclose(g2.growth, g1.growth, atol=1e-6)
    np.testing.assert_allclose(g2.first_moment, g1.first_moment, atol=1e-10)


def test_edge_tends_to_dense_at_large_degree_and_stability_ignores_timescales() -> None:
    def ens(c: float, tau: object) -> JacobianEnsemble:
        return JacobianEnsemble.inhibitory_core(
            n=20_000,
            in_degree=c,
            weight_i=LogNormal(median=(4.0 / c) ** 0.5, sigma=1.0),
            tau_i=tau,
        )

    edges = [sparse_edge(ens(c, None), height=False) for c in (2.0, 4.0, 8.0, 64.0)]
    gaps = [e.edge_first_moment - e.edge for e in edges]
    assert all(g >= -1e-9 for g in gaps)
    assert gaps == sorted(gaps, reverse=True)  # the dense limit is approached from inside
    assert gaps[-1] < 1e-6
    assert gaps[0] > 1e-3
    # the first-moment edge depends only on c E[w^2] (fixed here)
    assert np.ptp([e.edge_first_moment for e in edges]) < 1e-9
    # bulk stability at z = 0 does not depend on the timescales
    a = sparse_edge(ens(4.0, Beta(a=2.0, b=2.0, low=2.0, high=12.0)), height=False)
    b = sparse_edge(ens(4.0, Beta(a=5.0, b=1.5, low=1.0, high=30.0)), height=False)
    assert a.growth_at_zero == pytest.approx(b.growth_at_zero, abs=1e-12)
    assert a.edge != pytest.approx(b.edge, abs=1e-4)


def test_sparse_boundary_contains_growth_inside_first_moment() -> None:
    ens = one_population(2.0, LogNormal(median=1.0, sigma=1.0))
    b = sparse_boundary(ens, x=np.linspace(-4, 2, 13))
    assert np.all(b.y_max <= b.y_max_first_moment + 1e-9)
    r_typ = math.exp(math.sqrt(2 * math.log(2.0)))  # circle around -1 of the growth criterion
    expect = np.sqrt(np.maximum(r_typ**2 - (b.x + 1) ** 2, 0.0))
    np.testing.assert_allclose(b.y_max, expect, atol=1e-6)


def test_growth_refuses_dense_ensembles() -> None:
    from randrnn.ensembles import GaussianEnsemble

    ens = JacobianEnsemble(coupling=GaussianEnsemble(n=50, g=1.0), tau=(1.0,), gain=(1.0,))
    with pytest.raises(ValueError, match="sparse block coupling ensemble"):
        growth_rate(ens, 0.0)


# -- population dynamics -----------------------------------------------------------------------

FAST = CavitySettings(pool=600, burn_in=40, sweeps=64, batches=8, points_per_side=40)


def test_population_dynamics_order_parameter_follows_the_growth_criterion() -> None:
    # lognormal weights at c = 2: the first-moment radius is 3.84, the growth radius 3.25;
    # the pool must relax to the trivial solution in between, and stay non-trivial inside
    ens = one_population(2.0, LogNormal(median=1.0, sigma=1.0))
    r = np.array([1.0, 2.0, 3.5, 3.7])
    z = -1 + r * np.exp(0.4j)
    res = cavity_resolvent(ens, z, CavitySettings(pool=2000, burn_in=60, sweeps=60, batches=4))
    g = growth_rate(ens, z)
    assert g.growth[0] > 0.5
    assert g.growth[1] > 0.3
    assert np.all(g.growth[2:] < -0.05)
    assert np.all(g.first_moment[2:] > 0.0)
    assert np.all(res.blob[:2] > 0.05)
    assert np.all(res.blob[2:] < 1e-6)


def test_population_dynamics_is_reproducible_and_masks_outside() -> None:
    ens = one_population(3.0, 1.0, tau=Beta(a=2.0, b=2.0, low=1.0, high=2.0))
    z = np.array([-0.7 + 0.3j, -0.7 + 5.0j])
    a = cavity_resolvent(ens, z, FAST)
    b = cavity_resolvent(ens, z, FAST)
    np.testing.assert_array_equal(a.correction, b.correction)
    assert np.all(a.correction[1] == 0)  # far outside: not iterated
    assert a.blob[1] == 0
    other = cavity_resolvent(ens, z, CavitySettings(**{**FAST.to_dict(), "seed": 1}))
    assert not np.array_equal(other.correction[0], a.correction[0])


def test_fractions_of_a_partition_add_up() -> None:
    ens = JacobianEnsemble.inhibitory_core(n=5000, in_degree=3.0)
    e = sparse_edge(ens)
    h = e.height / 2
    xs = [-1.5, -0.3, -0.1, 0.3]
    ys = [-2 * h, -0.3 * h, 0.3 * h, 2 * h]
    rect = [[xs[i], xs[i + 1], ys[j], ys[j + 1]] for i in range(3) for j in range(3)]
    r = cavity_regions(ens, rect, FAST)
    # everything (every pole, every bulk eigenvalue) lies in the box
    assert r.fraction.sum() == pytest.approx(1.0, abs=5e-4)
    assert r.pole_fraction.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(r.fraction > -3 * r.fraction_se - 1e-4)


def test_region_fractions_against_sampled_spectra() -> None:
    # a single sparse population with broad weights and heterogeneous timescales and gains;
    # dense eigenvalues of n = 1000 matrices, 6 realizations
    tau = Beta(a=2.0, b=2.0, low=1.0, high=3.0)
    gain = Beta(a=2.0, b=2.0, low=0.5, high=1.0)
    ens = one_population(3.0, LogNormal(median=0.8, sigma=0.8), tau=tau, gain=gain, n=1000)
    e = sparse_edge(ens)
    h = e.height / 2
    # sides cross the real axis right of every pole (-1/3) or left of every pole (-1)
    rect = np.array(
        [
            [-0.3, np.inf, -np.inf, np.inf],  # right of the poles
            [-1.2, -0.3, 0.25 * h, np.inf],  # upper bulk
            [-1.2, -0.3, -0.25 * h, 0.25 * h],  # strip around the real axis, with the bar
        ]
    )
    pred = cavity_regions(ens, rect, CavitySettings(pool=1500, burn_in=40, sweeps=120))
    m, se = sampled_fractions(ens, rect, 6)
    z = (m - pred.fraction) / np.sqrt(se**2 + pred.fraction_se**2)
    assert np.all(np.abs(z) < 3.5), (m, se, pred.fraction, pred.fraction_se)
    # the bar: units outside the giant strongly connected component sit in the strip
    sc = rmt.strong_component(ens)
    assert pred.fraction[2] > sc.bar_fraction


def test_density_grid_masses() -> None:
    ens = one_population(3.0, 1.0, tau=Beta(a=2.0, b=2.0, low=1.0, high=2.0))
    xe = np.linspace(-3.0, 1.5, 19)
    ye = np.linspace(-2.5, 2.5, 22)  # an odd number of cells: the real axis is a cell centre
    d = cavity_density(ens, x_edges=xe, y_edges=ye, settings=FAST)
    # the box holds every eigenvalue: poles and the bulk move mass only inside it
    assert d.mass.sum() == pytest.approx(1.0, abs=1e-3)
    assert d.pole_mass.sum() == pytest.approx(1.0, abs=1e-12)
    off = np.ones(d.mass.shape, bool)
    off[:, 10] = False
    assert np.all(d.mass[off] > -4 * d.mass_se[off] - 1e-5)
    # the mass is symmetric under conjugation
    np.testing.assert_allclose(d.mass, d.mass[:, ::-1], atol=5 * d.mass_se.max() + 1e-6)


def test_cavity_bad_input() -> None:
    ens = one_population(3.0, 1.0)
    with pytest.raises(ValueError, match=r"x0 < x1"):
        cavity_regions(ens, [[1.0, 0.0, -1.0, 1.0]], FAST)
    with pytest.raises(ValueError, match="shape"):
        cavity_regions(ens, [[0.0, 1.0, 2.0]], FAST)
    with pytest.raises(ValueError, match="real axis"):
        cavity_regions(ens, [[-2.0, 0.0, 0.0, np.inf]], FAST)
    with pytest.raises(ValueError, match=r"cavity\.batches"):
        CavitySettings(batches=1)
    with pytest.raises(ValueError, match=r"cavity\.pool"):
        CavitySettings(pool=0)


# -- outliers and the bar ----------------------------------------------------------------------


def test_sparse_outlier_against_sampled_spectra() -> None:
    # one inhibitory population, fixed weights: -c w E[1/(1 + lambda tau)] = 1 left of the bulk
    tau = Beta(a=2.0, b=2.0, low=1.0, high=2.0)
    ens = JacobianEnsemble.from_blocks(
        n=1500,
        fractions=(1.0,),
        signs=(-1,),
        in_degree=((4.0,),),
        weights=((1.0,),),
        scaling="none",
        tau=(tau,),
        gain=(1.0,),
    )
    o = rmt.outliers(ens, support="sparse")
    assert o.values.size == 1
    lam0 = o.values[0]
    t, w = tau.quadrature(64)
    mu = ens.block_mean[0, 0] * ens.alpha[0]  # -c w n / (n - 1): zero diagonal
    assert mu * np.sum(w / (1 + lam0.real * t)) == pytest.approx(1.0, abs=1e-10)
    left = [np.min(np.linalg.eigvals(ens.sample(s).to_dense()).real) for s in range(5)]
    m, se = np.mean(left), np.std(left, ddof=1) / math.sqrt(5)
    # finite-n fluctuations of the outlier: O(n^-1/2) times the bulk scale sqrt(c)/tau
    assert abs(m - lam0.real) < 3 * se + 2.0 / math.sqrt(1500)


def test_bar_count_against_components() -> None:
    from scipy.sparse import csgraph

    ens = one_population(2.0, 1.0, tau=Beta(a=2.0, b=2.0, low=1.0, high=2.0), n=3000)
    sc = rmt.strong_component(ens)
    counts = []
    for seed in range(6):
        s = ens.sample(seed)
        _, lab = csgraph.connected_components(s.W, directed=True, connection="strong")
        sizes = np.bincount(lab)
        counts.append(int(np.sum(sizes == 1)))
    m, se = np.mean(counts), np.std(counts, ddof=1) / math.sqrt(len(counts))
    # small non-singleton components (O(1) of them) are not in the prediction
    assert abs(m - sc.expected_bar_count) < 3 * se + 10


def test_three_populations_against_sampled_spectra() -> None:
    # two inhibitory populations with different timescale laws and degrees, plus a pruned
    # excitatory one: several pools, cross-population in- and out-degrees c_ba n_b / n_a
    w = LogNormal(median=0.9, sigma=0.6)
    ens = JacobianEnsemble.from_blocks(
        n=1200,
        fractions=(0.5, 0.25, 0.25),
        signs=(1, -1, -1),
        in_degree=((0.0, 2.0, 1.0), (0.0, 1.0, 3.0), (0.0, 2.5, 1.5)),
        weights=((0.3, w, w), (0.3, w, w), (0.3, w, w)),
        scaling="none",
        tau=(1.0, Beta(a=2.0, b=2.0, low=1.0, high=2.0), Beta(a=2.0, b=2.0, low=2.5, high=4.0)),
        gain=(1.0, Beta(a=2.0, b=2.0, low=0.6, high=1.0), 0.8),
    )
    right_pole = -0.25
    rect = np.array(
        [
            [right_pole + 0.01, np.inf, -np.inf, np.inf],
            [-1.5, right_pole + 0.01, 0.15, np.inf],
            [-1.5, right_pole + 0.01, -0.15, 0.15],
        ]
    )
    pred = cavity_regions(ens, rect, CavitySettings(pool=1500, burn_in=40, sweeps=120))
    m, se = sampled_fractions(ens, rect, 6)
    z = (m - pred.fraction) / np.sqrt(se**2 + pred.fraction_se**2)
    assert np.all(np.abs(z) < 3.5), (m, se, pred.fraction, pred.fraction_se)
    assert pred.fraction[0] > 0.01  # the test sees the bulk right of the poles


def test_compiled_pool_equals_the_numpy_update() -> None:
    # same draws, same synchronous update: the kernel's order parameter over the last two
    # sweeps equals the NumPy reference's, member by member summed with the population weights
    import dataclasses

    from randrnn.rmt.cavity import _draw, _numpy_sweeps, cavity_pool

    ens = JacobianEnsemble.inhibitory_core(n=5000, in_degree=3.0, surviving=0.1)
    st = CavitySettings(pool=300, burn_in=18, sweeps=2, batches=2)
    z = -0.15 + 0.04j
    res = cavity_resolvent(ens, np.array([z]), st)
    dr = _draw(ens, st, 20)
    lw = []
    for k in (19, 20):
        part = dataclasses.replace(
            dr, tau=dr.tau[:k], h2=dr.h2[:k], in_ptr=dr.in_ptr[:k], out_ptr=dr.out_ptr[:k]
        )
        al, be, _, _ = _numpy_sweeps(part, z, st.regulator)
        d2 = np.abs(1 + z * part.tau[-1]) ** 2
        lw.append(np.sum(dr.weight * al * be / (al * be + d2)))
    assert res.blob[0] == pytest.approx(np.mean(lw), rel=1e-10)
    assert res.blob[0] > 0.01
    pool = cavity_pool(ens, z, CavitySettings(pool=300, burn_in=18, sweeps=2, batches=2))
    assert set(np.unique(pool.population)) == {0, 1}  # surviving E columns: two pools
    assert np.sum(dr.weight * pool.local_weight) == pytest.approx(lw[1], rel=1e-10)


def test_dense_theory_uses_the_copula() -> None:
    # the dense Perron matrix averages g^2 / |1 + z tau|^2 over the joint (copula) law:
    # against a Monte Carlo average of sampled units; the support's height is not cut short
    from randrnn.rmt.perron import _moment_matrix
    from randrnn.rmt.support import _height_scale, _y_max

    tau = Beta(a=1.0, b=1.0, low=0.5, high=10.0)
    ens = JacobianEnsemble.inhibitory_core(
        n=4000, tau_i=tau, correlation=(0.0, -0.9), keep_mean=False
    )
    z = np.array([0.1 + 0.3j])  # away from the poles, where a 48-point rule is accurate
    m = _moment_matrix(ens, z, 48)[0, 1]
    taus, gains = ens.sample_units(np.random.default_rng(0), (1, 200_000))
    x = gains[1] ** 2 / np.abs(1 + z[0] * taus[1]) ** 2
    assert m == pytest.approx(x.mean(), abs=4 * x.std() / np.sqrt(x.size))
    # small gains on slow units, large on fast ones: E[g^2/tau^2] far above E[g^2] E[1/tau^2]
    # (the product made the bisection start below the top of the support)
    wide = JacobianEnsemble.inhibitory_core(
        n=4000,
        tau_i=Beta(a=1.0, b=1.0, low=0.2, high=10.0),
        gain_i=Beta(a=1.0, b=1.0, low=0.01, high=1.0),
        correlation=(0.0, -0.95),
        keep_mean=False,
    )
    xs = np.linspace(-5.0, 0.5, 56)
    tall = _y_max(wide, xs, 48, 50.0)  # bisection from far above any support
    np.testing.assert_allclose(_y_max(wide, xs, 48, _height_scale(wide)), tall, atol=1e-9)
