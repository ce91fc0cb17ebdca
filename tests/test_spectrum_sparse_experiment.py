"""The finite-connectivity part of ``run_spectrum``: config, regions, comparison, end to end.

The end-to-end run uses the inhibitory-core ensemble at n = 2000, c = 4 (two realizations, a
small pool, a coarse grid, the degree sweep off: the CLI test runs it).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from randrnn import rmt, spectra
from randrnn.config import SparseSettings, config_from_mapping, load_config, pole_segment
from randrnn.ensembles import JacobianEnsemble
from randrnn.experiments.spectrum import (
    AUTOMATIC_REGION_NAMES,
    automatic_regions,
    density_chi2,
    run_spectrum,
)
from randrnn.io import to_json
from randrnn.verify import compare_regions

SMALL_CAVITY = {"pool": 400, "burn_in": 20, "sweeps": 40, "batches": 4, "points_per_side": 16}
CONFIG = {
    "ensemble": {"preset": "inhibitory_core", "n": 2000, "in_degree": 4.0},
    "spectrum": {"n_realizations": 2, "seed": 1},
    "sensitivity": {"enabled": False},
    "cavity": SMALL_CAVITY,
    "sparse": {"bins_re": 16, "bins_im": 11, "sweep_enabled": False},
}


@pytest.fixture(scope="module")
def result():
    return run_spectrum(CONFIG)


# ----------------------------------------------------------------------------------------------
# Config


def test_theory_resolves_from_the_ensemble():
    assert load_config("spectrum").resolved_theory == "dense"  # the default E/I ensemble, c >= 40
    core = ["ensemble.preset=inhibitory_core", "ensemble.n=500"]
    assert load_config("spectrum", overrides=core).resolved_theory == "sparse"
    dense = load_config("spectrum", overrides=[*core, 'spectrum.theory="dense"'])
    assert dense.resolved_theory == "dense"
    kept = ["ensemble.keep_mean=true", "ensemble.n=200", 'spectrum.theory="sparse"']
    assert load_config("spectrum", overrides=kept).resolved_theory == "sparse"
    # in-degree 16 <= 30 but the means are removed: the sampled matrix is dense, so dense
    low = ["ensemble.connectivity=[[0.02, 0.08], [0.02, 0.08]]", "ensemble.n=200"]
    assert load_config("spectrum", overrides=low).resolved_theory == "dense"
    assert (
        load_config("spectrum", overrides=[*low, "ensemble.keep_mean=true"]).resolved_theory
        == "sparse"
    )


def test_preset_config_records_the_resolved_ensemble_and_round_trips():
    cfg = load_config("spectrum", overrides=["ensemble.preset=inhibitory_core", "ensemble.n=500"])
    ens = JacobianEnsemble.inhibitory_core(n=500)
    assert cfg.to_dict()["ensemble"] == ens.to_config()
    again = config_from_mapping("spectrum", cfg.to_dict())
    assert again.to_dict() == cfg.to_dict()
    assert set(cfg.to_dict()) == {"ensemble", "spectrum", "sensitivity", "cavity", "sparse"}
    assert cfg.to_dict()["cavity"] == rmt.CavitySettings().to_dict()
    s = SparseSettings(regions=[[0, math.inf, -math.inf, math.inf]], sweep_n=300)
    assert SparseSettings(**s.to_dict()) == s
    # strict JSON (the zarr attributes) records an unbounded side as null: still the same table
    assert SparseSettings(**json.loads(to_json(s.to_dict()))) == s


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["sparse.bins_im=60"], "`sparse.bins_im` must be odd and >= 3"),
        (["sparse.bins_re=1"], "`sparse.bins_re` must be >= 2; got 1"),
        (["sparse.regions=[[0, 1, 2]]"], "`sparse.regions[0]` must have 4 entries"),
        (["sparse.regions=[[1, 0, 0, 1]]"], "must have x0 < x1 and y0 < y1"),
        (["sparse.degree_factors=[0.5, -1]"], "`sparse.degree_factors[1]` must be > 0"),
        (["sparse.quantile=1.0"], "`sparse.quantile` must be in (0, 1)"),
        (["sparse.sweep_n=5"], "`sparse.sweep_n` must be >= 10"),
        (["cavity.batches=1"], "`cavity.batches` must be >= 2"),
        (["cavity.pool=1.5"], "`cavity.pool` must be an integer"),
        (['spectrum.theory="cavity"'], "`spectrum.theory` must be one of"),
        (["ensemble.preset=foo"], "`ensemble.preset` must be one of ['inhibitory_core']"),
        (
            ["ensemble.preset=inhibitory_core", 'ensemble.kind="block"'],
            "`ensemble.preset` and `ensemble.kind` exclude each other",
        ),
        (
            ["ensemble.preset=inhibitory_core", "ensemble.in_degre=3"],
            "unknown key(s) ['in_degre'] in [ensemble]",
        ),
        (
            ["ensemble.preset=inhibitory_core", "ensemble.in_degree=-1"],
            "`ensemble.in_degree` must be >= 0",
        ),
        (['spectrum.theory="sparse"'], "needs `ensemble.keep_mean` = true"),
        (
            ["ensemble.preset=inhibitory_core", 'spectrum.method="arnoldi"'],
            "`spectrum.method` must be 'dense' with spectrum.theory = 'sparse'",
        ),
        (
            # tau_I in [2, 12]: poles in [-0.5, -1/12]; a side at -0.3 crossing the axis
            ["ensemble.preset=inhibitory_core", "sparse.regions=[[-0.3, 0.0, -0.1, 0.1]]"],
            "crosses the real axis inside the segment of timescale poles",
        ),
    ],
)
def test_config_errors_name_the_key_value_and_fix(overrides, message):
    with pytest.raises((ValueError, TypeError)) as info:
        load_config("spectrum", overrides=["ensemble.n=300", *overrides])
    assert message in str(info.value)


def test_a_region_off_the_axis_may_have_sides_anywhere():
    cfg = load_config(
        "spectrum",
        overrides=[
            "ensemble.preset=inhibitory_core",
            "ensemble.n=300",
            "sparse.regions=[[-0.3, 0.0, 0.05, inf], [0.0, inf, -inf, inf]]",
        ],
    )
    assert cfg.sparse.regions[0] == (-0.3, 0.0, 0.05, math.inf)


# ----------------------------------------------------------------------------------------------
# Automatic regions


def _tau_poles(ens):
    """Pole segment from the timescale supports, computed here independently."""
    lows = [d.support[0] for d in ens.tau]
    highs = [d.support[1] for d in ens.tau]
    return -1.0 / min(lows), -1.0 / max(highs)


@pytest.mark.parametrize(
    ("tau_i", "edge", "height"),
    [
        (None, -0.02, 0.2),  # edge right of the poles: x_r = edge - 0.15 h
        (None, -0.07, 0.2),  # edge - 0.15 h left of the rightmost pole: half-way to the edge
        (None, -0.2, 0.3),  # edge left of the rightmost pole (tip at the tau support)
        ({"kind": "uniform", "low": 1.0, "high": 3.0}, -0.1, 0.4),
        (2.0, -0.3, 0.1),  # fixed timescale: the pole segment of I is one point
    ],
)
def test_automatic_regions_cross_the_axis_outside_the_pole_segment(tau_i, edge, height):
    ens = JacobianEnsemble.inhibitory_core(n=500, tau_i=tau_i)
    p_lo, p_hi = _tau_poles(ens)
    assert pole_segment(ens) == pytest.approx((p_lo, p_hi), rel=1e-12)
    rect, names = automatic_regions(ens, edge, height, support_left=-0.6)
    assert names == AUTOMATIC_REGION_NAMES
    for x0, x1, y0, y1 in rect:
        if y0 <= 0.0 < y1:  # crosses the real axis: both finite sides off [p_lo, p_hi]
            for x in (x0, x1):
                assert not (math.isfinite(x) and p_lo <= x <= p_hi), (x, p_lo, p_hi)
    x_r = rect[0, 0]
    assert x_r > p_hi
    if edge > p_hi:
        assert x_r < edge  # R1 reaches into the bulk from the right
    # the four regions tile the plane right of R3's left side (closed-open rectangles)
    rng = np.random.default_rng(0)
    z = rng.uniform(rect[2, 0], 0.5, 4000) + 1j * rng.uniform(-1, 1, 4000) * height
    z[:50] = z[:50].real  # real points (the bar)
    inside = [(z.real >= a) & (z.real < b) & (z.imag >= c) & (z.imag < d) for a, b, c, d in rect]
    assert np.all(np.sum(inside, axis=0) == 1)


def test_automatic_regions_with_unbounded_timescales_use_tail_quantiles():
    tau = {"kind": "lognormal", "median": 3.0, "sigma": 0.5}
    ens = JacobianEnsemble.inhibitory_core(n=500, tau_i=tau)
    d = ens.tau[1]
    lo, hi = pole_segment(ens)
    assert hi == pytest.approx(-1.0 / float(d.ppf(1 - 1e-6)), rel=1e-12)
    assert lo == pytest.approx(-1.0 / float(d.ppf(1e-6)), rel=1e-12)  # shorter than tau_E >= 1
    rect, _ = automatic_regions(ens, -0.02, 0.2, support_left=-0.6)
    assert rect[0, 0] > hi
    assert rect[2, 0] < lo


def test_automatic_regions_refuse_a_bad_height():
    ens = JacobianEnsemble.inhibitory_core(n=500)
    with pytest.raises(ValueError, match="`height` must be a finite number > 0"):
        automatic_regions(ens, -0.02, 0.0, support_left=-0.5)


# ----------------------------------------------------------------------------------------------
# Comparisons on hand-made numbers


def test_compare_regions_z_threshold_and_verdict():
    c = compare_regions(
        [0.1, 0.3, 0.6],
        [0.003, 0.0, 0.004],
        [0.104, 0.3, 0.5],
        [0.004, 0.01, 0.003],
        dense=[0.2, 0.3, 0.5],
        names=["a", "b", "c"],
    )
    # z = (m - p) / sqrt(se_m^2 + se_p^2): 0.004 / 0.005, 0, -0.1 / 0.005
    np.testing.assert_allclose(c.z, [0.8, 0.0, -20.0], rtol=1e-12)
    np.testing.assert_allclose(c.z_dense, [-19.2, 0.0, 0.0], atol=1e-9)
    assert c.z_threshold == pytest.approx(stats.norm.isf(1e-3 / 6), rel=1e-12)
    assert c.passed is False
    assert c.verdict.startswith("differs: max |z| = 20")
    assert "(c)" in c.verdict
    d = c.to_dict()
    assert d["names"] == ["a", "b", "c"]
    assert d["passed"] is False
    json.dumps(d)
    ok = compare_regions([0.1, 0.3], [0.003, 0.0], [0.104, 0.31], [0.004, 0.004])
    assert ok.passed is True
    assert ok.names == ("R1", "R2")
    assert ok.max_abs_z == pytest.approx(2.5)


def test_compare_regions_floors_the_measured_se_and_skips_zero_se():
    # all realizations saw 0 eigenvalues where 0.01 of 1000 are predicted: without the floor the
    # SE is that of the theory alone
    c = compare_regions([0.01, 0.5], [0.001, 0.0], [0.0, 0.5], [0.0, 0.0])
    assert c.z[0] == pytest.approx(-10.0)
    assert np.isnan(c.z[1])
    assert c.n_compared == 1
    f = compare_regions([0.01, 0.5], [0.001, 0.0], [0.0, 0.5], [0.0, 0.0], n_counted=1000)
    se0 = math.sqrt(0.01 * 0.99 / 1000 + 0.001**2)
    assert f.z[0] == pytest.approx(-0.01 / se0)
    assert f.z[1] == 0.0
    assert f.n_compared == 2
    none = compare_regions([0.5], [0.0], [0.5], [0.0])
    assert none.passed is None
    assert none.verdict.startswith("undefined")
    with pytest.raises(ValueError, match="`meas_se` must have one entry per region"):
        compare_regions([0.1, 0.2], [0.0, 0.0], [0.1, 0.2], [0.0])


def test_density_chi2_counts_the_upper_cells_only():
    ye = np.array([-1.0, -0.2, 0.2, 0.6, 1.0])  # rows: lower, axis, upper, upper
    mass = np.array([[0.2, 0.2, 0.3, 0.001], [0.1, 0.05, 0.1, 0.049]])
    counts = np.array([[0, 999, 33, 0], [999, 0, 8, 0]])
    c = density_chi2(mass, np.zeros_like(mass), counts, ye, 100)
    # compared: (0, 2) expected 30 and (1, 2) expected 10; the rest is below 5 or off the half
    assert c.cells == 2
    assert c.chi2 == pytest.approx(9 / 30 + 4 / 10)
    assert c.p_value == pytest.approx(stats.chi2.sf(c.chi2, 2))
    se = np.full_like(mass, 0.01)  # theory SE adds (N se)^2 = 1 to each variance
    assert density_chi2(mass, se, counts, ye, 100).chi2 == pytest.approx(9 / 31 + 4 / 11)


# ----------------------------------------------------------------------------------------------
# End to end


def test_sparse_run_agrees_with_simulation_and_dense_limit_does_not(result):
    sp = result.sparse
    assert result.theory == "sparse"
    assert result.histogram is None
    c = sp.comparison
    # the finite-connectivity fractions agree within the family-wise criterion ...
    assert c.passed, c.to_dict()
    # ... and the criterion can fail: the dense limit (no bar) is far off in every region
    assert c.max_abs_z_dense > 3 * c.z_threshold
    # the automatic regions hold every eigenvalue: fractions sum to 1
    assert sp.automatic
    assert sp.region_names == AUTOMATIC_REGION_NAMES
    np.testing.assert_allclose(sp.measurement.fractions.sum(axis=1), 1.0, rtol=1e-12)
    assert (
        abs(sp.prediction.fraction.sum() - 1.0)
        < 4 * math.sqrt(np.sum(sp.prediction.fraction_se**2)) + 1e-9
    )


def test_sparse_run_spectra_are_the_region_measurement_realizations(result):
    sp = result.sparse
    lam = result.measurement.eigenvalues
    for i in range(lam.shape[0]):  # region_fractions of the spectra vs measure_regions
        np.testing.assert_array_equal(
            spectra.region_fractions(lam[i], sp.rectangles), sp.measurement.fractions[i]
        )
    np.testing.assert_array_equal(sp.bar.sum(axis=1), sp.measurement.bar_counts)
    # the exact bar eigenvalues are -1/tau of units off the giant component: real
    assert np.all(lam[sp.bar].imag == 0)


def test_sparse_run_bar_count_and_density(result):
    sp = result.sparse
    cs, m = sp.component, sp.measurement
    n, r = result.ensemble.n, m.n_realizations
    # binomial spread of the number of units off the giant component, over r realizations
    se = math.sqrt(n * cs.bar_fraction * (1 - cs.bar_fraction) / r)
    assert abs(m.bar_count - cs.expected_bar_count) < 4 * se
    ch = sp.chi2
    assert ch.cells >= 5
    assert ch.n_eigenvalues == n * r
    assert ch.p_value > 1e-3, ch.to_dict()
    lam = result.measurement.eigenvalues.ravel()
    xe, ye = sp.density.x_edges, sp.density.y_edges
    in_grid = (
        (lam.real >= xe[0]) & (lam.real <= xe[-1]) & (lam.imag >= ye[0]) & (lam.imag <= ye[-1])
    )
    assert sp.counts.sum() == np.count_nonzero(in_grid)


def test_sparse_run_predictions_are_the_public_api(result):
    sp = result.sparse
    ens = JacobianEnsemble.inhibitory_core(n=2000, in_degree=4.0)
    pred = rmt.cavity_regions(ens, sp.rectangles, rmt.CavitySettings(**SMALL_CAVITY))
    np.testing.assert_array_equal(pred.fraction, sp.prediction.fraction)
    assert sp.component.expected_bar_count == rmt.strong_component(ens).expected_bar_count


def test_sparse_run_outputs_are_strict_json_and_xarray(result):
    s = result.summary()
    text = json.dumps(s, allow_nan=False)
    assert "NaN" not in text
    sp = s["sparse"]
    assert [r["name"] for r in sp["regions"]] == list(AUTOMATIC_REGION_NAMES)
    for key in ("edge_sparse_pred", "bar_count_pred", "bar_count_numeric", "density_chi2"):
        assert key in sp
    assert sp["degree_sweep"] is None
    assert s["theory"] == "sparse"
    ds = result.to_xarray()
    assert ds["region_fraction_pred"].dims == ("region",)
    assert ds["sparse_mass_pred"].dims == ("sparse_re", "sparse_im")
    assert ds["eig_bar"].shape == ds["eig_re"].shape
    assert "histogram" not in ds
    assert ds.attrs["theory"] == "sparse"
