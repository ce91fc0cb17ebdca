"""Spectra of sparse Jacobians by strongly connected components (randrnn.spectra).

Independent routes: dense LAPACK on the whole matrix (:func:`spectra.eigenvalues`), the
components found from all-pairs reachability (breadth-first shortest paths, not Tarjan's
algorithm), a direct loop for region counts, ``np.quantile`` on full spectra, and dense blocks
against Arnoldi for the rightmost region.

Tolerances: LAPACK's eigenvalues have backward error ~ n eps ||A|| (~1e-13 here); eigenvalues
of the two dense routes agree to 1e-9 max(1, |lambda|) unless one is ill-conditioned beyond
1e4, which these random sparse blocks are not. ARPACK runs at ``tol=1e-12``, so its
eigenvalues agree with the dense ones to well below the 1e-8 asserted.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csgraph

from randrnn import spectra
from randrnn.ensembles import Fixed, JacobianEnsemble, LogNormal, Uniform, ZeroInflated

RTOL = 1e-9


def core(n=600, surviving=0.0, **kw):
    return JacobianEnsemble.inhibitory_core(n=n, in_degree=4.0, surviving=surviving, **kw)


def three_populations(n=600, gain=None, allow_self_coupling=False):
    """Three populations with finite mean in-degrees, unscaled weights, means kept."""
    return JacobianEnsemble.from_blocks(
        n=n,
        fractions=(0.5, 0.3, 0.2),
        signs=(1, 1, -1),
        in_degree=((0.6, 0.8, 1.5), (0.5, 0.4, 1.2), (1.0, 0.5, 0.8)),
        weights=((0.5, 0.4, LogNormal(median=1.0, sigma=0.5)),) * 3,
        scaling="none",
        keep_mean=True,
        allow_self_coupling=allow_self_coupling,
        tau=(Uniform(low=1.0, high=3.0), Uniform(low=1.0, high=5.0), Uniform(low=2.0, high=8.0)),
        gain=gain if gain is not None else (1.0, Uniform(low=0.5, high=1.0), 0.8),
    )


def reachability_components(s):
    """Size of each unit's strongly connected component from mutual reachability (BFS)."""
    WG = (s.W @ sparse.diags(s.gain)).tocsr()
    WG.eliminate_zeros()
    WG.data[:] = 1.0  # structure only
    D = csgraph.shortest_path(WG, directed=True, unweighted=True)
    R = np.isfinite(D)
    return np.count_nonzero(R & R.T, axis=1)


def assert_same_multiset(a, b, rtol=RTOL):
    """Optimal matching of two spectra; every matched pair within rtol * max(1, |lambda|)."""
    assert a.shape == b.shape
    cost = np.abs(a[:, None] - b[None, :])
    i, j = linear_sum_assignment(cost)
    dev = cost[i, j] / np.maximum(1.0, np.abs(a[i]))
    assert dev.max() <= rtol, f"worst matched deviation {dev.max():.3g} > {rtol}"


CASES = {
    "core_pruned": lambda: core(surviving=0.0),
    "core_surviving": lambda: core(surviving=0.05),
    "three_populations": lambda: three_populations(),
    "silent_units": lambda: three_populations(
        gain=(
            ZeroInflated(base=Uniform(low=0.5, high=1.5), zero_fraction=0.3),
            ZeroInflated(base=Fixed(value=1.0), zero_fraction=0.5),
            1.0,
        )
    ),
    "self_coupling": lambda: three_populations(allow_self_coupling=True),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_components_match_dense(case):
    ens = CASES[case]()
    s = ens.sample(7)
    cs = spectra.eigenvalues_by_components(s)
    dense = spectra.eigenvalues(s).eigenvalues
    assert cs.eigenvalues.shape == (s.n,)
    assert_same_multiset(cs.eigenvalues, dense)
    # sorted like eigenvalues(): decreasing real part
    assert np.all(np.diff(cs.eigenvalues.real) <= 0)
    # components against mutual reachability
    size = reachability_components(s)
    single = size == 1
    assert cs.n_exact == s.n - int(np.count_nonzero(size > 1))
    assert cs.giant_size == size.max()
    assert int(cs.component_sizes.sum()) == s.n
    assert int(np.count_nonzero(cs.component_sizes == 1)) == int(single.sum())
    # singleton eigenvalues are the diagonal entries, bit-exactly (no eigen-solver)
    diag = s.W.diagonal() * s.gain
    expected = np.sort((diag[single] - 1.0) / s.tau[single])
    np.testing.assert_array_equal(np.sort(cs.eigenvalues[cs.exact].real), expected)
    assert np.all(cs.eigenvalues[cs.exact].imag == 0)
    bar_units = single & (diag == 0)
    np.testing.assert_array_equal(
        np.sort(cs.eigenvalues[cs.bar].real), np.sort(-1.0 / s.tau[bar_units])
    )
    # giant component: its eigenvalues and populations
    assert int(cs.giant.sum()) == cs.giant_size
    assert int(cs.giant_population_counts.sum()) == cs.giant_size
    if np.count_nonzero(size == size.max()) == size.max():  # a unique largest component
        counts = np.bincount(s.population[size == size.max()], minlength=ens.n_populations)
        np.testing.assert_array_equal(cs.giant_population_counts, counts)
    ds = cs.to_xarray()
    assert ds["eig_re"].dims == ("eig",)
    assert ds.attrs["giant_size"] == cs.giant_size


@pytest.mark.parametrize("case", ["core_pruned", "silent_units", "three_populations"])
def test_exact_bar_count_equals_dense_count_at_poles(case):
    """Without self-coupling every singleton is on the bar, and here the dense spectrum has
    exactly as many eigenvalues within 1e-8 relative of some -1/tau_j: the components of two
    or more units carry no eigenvalue that close to a pole."""
    s = CASES[case]().sample(3)
    cs = spectra.eigenvalues_by_components(s)
    dense = spectra.eigenvalues(s).eigenvalues
    assert cs.n_bar == cs.n_exact
    assert cs.n_exact == s.n - int(cs.component_sizes[cs.component_sizes > 1].sum())
    at = spectra.at_poles(dense, -1.0 / s.tau, rtol=1e-8)
    assert int(np.count_nonzero(at)) == cs.n_exact


def test_near_bar_count_exceeds_exact_count_with_weak_cycles():
    """With surviving excitatory inputs (weights ~0.2 times gains ~0.15) some giant-component
    units lie only on weak cycles; their eigenvalues sit within 1e-8 of their own -1/tau_i
    without being exact. The near-pole count is then larger than the exact count, the same
    on the dense and the component spectra, and the surplus is all in the giant component."""
    s = core(surviving=0.05).sample(3)
    cs = spectra.eigenvalues_by_components(s)
    dense = spectra.eigenvalues(s).eigenvalues
    poles = -1.0 / s.tau
    near_c = spectra.at_poles(cs.eigenvalues, poles, rtol=1e-8)
    near_d = spectra.at_poles(dense, poles, rtol=1e-8)
    assert np.all(near_c[cs.exact])
    assert int(near_c.sum()) == int(near_d.sum()) > cs.n_exact
    assert np.all(cs.giant[near_c & ~cs.exact])


def test_silent_units_are_on_the_bar():
    """A unit of gain 0 has an empty column of W G: a singleton with eigenvalue -1/tau_i."""
    s = CASES["silent_units"]().sample(11)
    silent = s.gain == 0
    assert silent.sum() > 50
    cs = spectra.eigenvalues_by_components(s)
    assert np.all(np.isin(-1.0 / s.tau[silent], cs.eigenvalues[cs.bar].real))


def test_self_coupled_singletons_are_exact_but_off_the_bar():
    """A singleton with a self-loop keeps an exact 1 x 1 block, (W_ii g_i - 1)/tau_i."""
    s = CASES["self_coupling"]().sample(7)
    size = reachability_components(s)
    loops = np.flatnonzero(size == 1)[::5]
    w = np.zeros(s.n)
    w[loops] = np.linspace(0.2, 0.9, loops.size)
    s = dataclasses.replace(s, W=(s.W + sparse.diags(w)).tocsr())
    cs = spectra.eigenvalues_by_components(s)
    assert_same_multiset(cs.eigenvalues, spectra.eigenvalues(s).eigenvalues)
    assert cs.n_exact == int(np.count_nonzero(size == 1))
    assert cs.n_exact - cs.n_bar == loops.size
    expected = (w[loops] * s.gain[loops] - 1.0) / s.tau[loops]
    assert np.all(np.isin(expected, cs.eigenvalues[cs.exact & ~cs.bar].real))


# -- region fractions --------------------------------------------------------------------------


def direct_fractions(lam, rects):
    out = []
    for x0, x1, y0, y1 in rects:
        hits = sum(1 for z in lam if x0 <= z.real < x1 and y0 <= z.imag < y1)
        out.append(hits / len(lam))
    return np.array(out)


def test_region_fractions_against_loop_and_tiling(rng):
    # points on a grid hit the rectangle boundaries exactly; real ones sit on y = 0
    grid = (rng.integers(-4, 4, 300) + 1j * rng.integers(-3, 3, 300)) / 2
    lam = np.concatenate([grid, rng.normal(size=200) + 1j * rng.normal(size=200), -rng.random(50)])
    xs = np.array([-np.inf, -1.0, -0.5, 0.0, 0.5, np.inf])
    ys = np.array([-np.inf, -0.5, 0.0, 1.0, np.inf])
    tiles = np.array(
        [[xs[i], xs[i + 1], ys[j], ys[j + 1]] for i in range(5) for j in range(4)], dtype=float
    )
    rects = np.concatenate([tiles, [[-0.5, 0.5, 0.0, 0.0], [0.0, 0.0, -1, 1], [-2.0, 1.0, -1, 2]]])
    got = spectra.region_fractions(lam, rects)
    np.testing.assert_allclose(got, direct_fractions(lam, rects), rtol=0, atol=1e-15)
    # closed-open tiles partition the plane: every eigenvalue counted once
    assert math.isclose(got[: len(tiles)].sum(), 1.0, rel_tol=1e-12)
    assert got[len(tiles)] == 0
    assert got[len(tiles) + 1] == 0


def test_region_fractions_edge_cases():
    lam = np.array([-1.0, 0.5j, -0.5j, 2.0])
    full = [[-np.inf, np.inf, -np.inf, np.inf]]
    assert spectra.region_fractions(lam, full).tolist() == [1.0]
    assert spectra.region_fractions(lam, np.zeros((0, 4))).shape == (0,)
    assert np.isnan(spectra.region_fractions(np.array([], dtype=complex), full)).all()
    # the real axis belongs to the upper half-plane [0, inf)
    halves = [[-np.inf, np.inf, 0.0, np.inf], [-np.inf, np.inf, -np.inf, 0.0]]
    assert spectra.region_fractions(lam, halves).tolist() == [0.75, 0.25]


def test_region_fractions_bad_rectangles():
    lam = np.array([0.0j])
    with pytest.raises(ValueError, match=r"`rectangles` must have shape \(k, 4\)"):
        spectra.region_fractions(lam, [0.0, 1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match=r"`rectangles` must have shape"):
        spectra.region_fractions(lam, np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"`rectangles` must have x0 <= x1.*row 1"):
        spectra.region_fractions(lam, [[0, 1, 0, 1], [1.0, 0.0, 0.0, 1.0]])
    with pytest.raises(ValueError, match=r"`rectangles` must have y0 <= y1"):
        spectra.region_fractions(lam, [[0, 1, 1, 0]])
    with pytest.raises(ValueError, match=r"`rectangles` must not contain NaN"):
        spectra.region_fractions(lam, [[0, np.nan, 0, 1]])


# -- measure_regions ---------------------------------------------------------------------------


def test_measure_regions_matches_per_realization_spectra():
    ens = core(n=500, surviving=0.05)
    rects = np.array([[-np.inf, -0.2, -np.inf, np.inf], [-0.2, np.inf, 0.0, np.inf]])
    calls = []
    m = spectra.measure_regions(
        ens, rects, n_realizations=3, seed=5, progress=lambda: calls.append(1)
    )
    assert len(calls) == 3
    children = np.random.SeedSequence(5).spawn(3)
    for i, child in enumerate(children):
        s = ens.sample(np.random.default_rng(child))
        lam = spectra.eigenvalues(s).eigenvalues  # dense: an independent spectrum
        np.testing.assert_allclose(m.fractions[i], direct_fractions(lam, rects), atol=1e-15)
        size = reachability_components(s)
        assert m.bar_counts[i] == np.count_nonzero(size == 1)
        assert m.near_bar_counts[i] == np.count_nonzero(
            spectra.at_poles(lam, -1.0 / s.tau, rtol=1e-8)
        )
        assert m.giant_fractions[i] == size.max() / s.n
        np.testing.assert_allclose(
            m.quantiles_real[i], np.quantile(lam.real, [0.99, 0.999]), rtol=0, atol=1e-9
        )
        giant = spectra.eigenvalues_by_components(s)
        g = giant.eigenvalues[giant.giant]
        np.testing.assert_allclose(
            m.giant_quantiles_real[i], np.quantile(g.real, [0.99, 0.999]), rtol=0, atol=1e-12
        )
        assert abs(m.giant_rightmosts[i].real - g.real.max()) < 1e-12
    np.testing.assert_allclose(m.fraction, m.fractions.mean(axis=0))
    np.testing.assert_allclose(m.fraction_se, m.fractions.std(axis=0, ddof=1) / math.sqrt(3))
    assert m.giant_rightmost_se == pytest.approx(np.std(m.giant_rightmosts.real, ddof=1) / 3**0.5)
    ds = m.to_xarray()
    assert ds["fraction_per_realization"].dims == ("realization", "region")
    assert ds["quantile_real"].dims == ("quantile",)


# -- rightmost region: Arnoldi on the giant component vs dense blocks --------------------------


def test_arnoldi_route_matches_components_route():
    s = core(n=2500, surviving=0.05).sample(2)
    c = spectra.rightmost_sparse(s, method="components")
    a = spectra.rightmost_sparse(s, method="arnoldi")
    assert (c.method, a.method) == ("components", "arnoldi")
    assert a.k > 0
    assert a.giant_size > a.k + 2
    full = spectra.eigenvalues(s).eigenvalues
    assert abs(c.rightmost.real - full.real.max()) < 1e-8
    assert abs(a.rightmost.real - c.rightmost.real) < 1e-8
    assert abs(a.giant_rightmost - c.giant_rightmost) < 1e-8
    np.testing.assert_allclose(c.quantile_real, np.quantile(full.real, c.quantiles), atol=1e-12)
    np.testing.assert_allclose(a.quantile_real, c.quantile_real, rtol=0, atol=1e-8)
    np.testing.assert_allclose(a.giant_quantile_real, c.giant_quantile_real, rtol=0, atol=1e-8)
    # everything Arnoldi reports above its floor is in the full spectrum
    top = a.eigenvalues[a.eigenvalues.real > a.complete_above]
    assert top.size >= a.k - 2
    assert_same_multiset(top, full[: top.size], rtol=1e-8)
    # a too-small starting k is doubled until the needed real parts are covered
    small = spectra.rightmost_sparse(s, method="arnoldi", k=3)
    assert small.k >= s.n - math.floor((s.n - 1) * 0.99)
    np.testing.assert_allclose(small.quantile_real, c.quantile_real, rtol=0, atol=1e-8)


def test_arnoldi_check_accepts_small_k_when_singletons_fill_the_top():
    """Slow excitatory units (-1/tau_E near 0) put the exact bar right of the blob: the top
    real parts are known without Arnoldi, and a k smaller than the quantile needs is accepted."""
    ens = core(n=2500, surviving=0.0, tau_e=Uniform(low=50.0, high=100.0))
    s = ens.sample(4)
    c = spectra.rightmost_sparse(s, method="components")
    a = spectra.rightmost_sparse(s, method="arnoldi", k=1)
    need = s.n - math.floor((s.n - 1) * 0.99)
    assert a.method == "arnoldi"
    assert a.k < need
    np.testing.assert_array_equal(a.quantile_real, c.quantile_real)  # exact singleton values
    np.testing.assert_allclose(a.giant_quantile_real, c.giant_quantile_real, rtol=0, atol=1e-8)
    assert a.rightmost == c.rightmost


def test_measure_rightmost_sparse_routes_agree():
    ens = core(n=3000, surviving=0.0)
    kw = dict(n_realizations=2, seed=9)
    calls = []
    auto = spectra.measure_rightmost_sparse(ens, progress=lambda: calls.append(1), **kw)
    arn = spectra.measure_rightmost_sparse(ens, method="arnoldi", **kw)
    assert len(calls) == 2
    assert auto.methods == ("components", "components")
    assert arn.methods == ("arnoldi", "arnoldi")
    np.testing.assert_allclose(arn.rightmosts, auto.rightmosts, rtol=0, atol=1e-8)
    np.testing.assert_allclose(arn.quantiles_real, auto.quantiles_real, rtol=0, atol=1e-8)
    assert auto.rightmost_se == pytest.approx(np.std(auto.rightmosts, ddof=1) / math.sqrt(2))
    forced = spectra.measure_rightmost_sparse(ens, max_dense=0, **kw)
    assert forced.methods == ("arnoldi", "arnoldi")
    ds = auto.to_xarray()
    assert ds["quantile_real_per_realization"].dims == ("realization", "quantile")


# -- errors ------------------------------------------------------------------------------------


def test_removed_mean_is_refused():
    ens = core(n=300, keep_mean=False)
    s = ens.sample(0)
    assert np.any(s.mean_removed)
    for call in (
        lambda: spectra.eigenvalues_by_components(s),
        lambda: spectra.rightmost_sparse(s),
    ):
        with pytest.raises(ValueError, match=r"`sample` must keep its block means.*keep_mean=True"):
            call()
    with pytest.raises(ValueError, match=r"`ensemble` must keep its block means"):
        spectra.measure_regions(ens, [[0, 1, 0, 1]], n_realizations=1)
    with pytest.raises(ValueError, match=r"`ensemble` must keep its block means"):
        spectra.measure_rightmost_sparse(ens, n_realizations=1)


def test_invalid_arguments():
    ens = core(n=200)
    s = ens.sample(0)
    with pytest.raises(ValueError, match=r"`quantiles` must be .* in \(0, 1\)"):
        spectra.rightmost_sparse(s, quantiles=(0.5, 1.0))
    with pytest.raises(ValueError, match=r"`method` must be one of"):
        spectra.rightmost_sparse(s, method="dense")
    with pytest.raises(TypeError, match=r"`ensemble` must be a JacobianEnsemble"):
        spectra.measure_regions(s, [[0, 1, 0, 1]])
    with pytest.raises(TypeError, match=r"`sample` must be a JacobianSample"):
        spectra.eigenvalues_by_components(ens)
    with pytest.raises(ValueError, match=r"`rectangles` must have shape"):
        spectra.measure_regions(ens, [[0, 1, 0]], n_realizations=1)
