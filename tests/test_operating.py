"""Tests of randrnn.experiments.operating: Jacobian spectra at stable equilibria vs randrnn.rmt.

Statistical assertions use z = 5 standard errors (false-failure rate ~6e-7 each). The spectral
comparison uses the finite-size scale of the bulk's extreme eigenvalues stated in
docs/theory.md 5.2, sqrt(log N_b / N_b) of the bulk radius (N_b bulk eigenvalues).
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from randrnn import io
from randrnn.ensembles import LogNormal, Uniform
from randrnn.experiments.operating import (
    REGIONS,
    NoStableFixedPointError,
    OperatingPointSettings,
    measured_ensemble,
    relaxed_starts,
    run_operating_point,
)
from randrnn.fixedpoints import find_fixed_points
from randrnn.networks import Realization, Seeds, realize
from randrnn.testing import assert_within_se

Z = 5.0


def core(seed: int, **kw):
    """The inhibitory-core preset at n = 400 with half the units inhibitory (a bulk of 200)."""
    return OperatingPointSettings.inhibitory_core(n=400, inhibitory_fraction=0.5, seed=seed, **kw)


@pytest.fixture(scope="module")
def core_runs():
    return [run_operating_point(core(seed)) for seed in range(3)]


# -- the measured ensemble ---------------------------------------------------------------------


def test_measured_ensemble_recovers_block_statistics():
    s = OperatingPointSettings(n=400, seed=1)
    real = realize(s.network(), s.seeds())
    x = np.asarray(real.b)
    ens = measured_ensemble(real, x, weight_values=None)
    truth = s.ensemble()
    pop = real.population
    sizes = truth.sizes
    J = real.J
    for a in range(2):
        for b in range(2):
            block = J[np.ix_(pop == a, pop == b)]
            avail = block.size - (sizes[a] if a == b else 0)
            p = truth.connectivity[a][b]
            assert_within_se(
                ens.connectivity[a][b], p, math.sqrt(p * (1 - p) / avail), z=Z, label="p_ab"
            )
            w = np.abs(block[block != 0])
            law, meas = truth.weights[a][b], ens.coupling.weights[a][b]
            se1 = w.std(ddof=1) / math.sqrt(w.size)
            se2 = (w**2).std(ddof=1) / math.sqrt(w.size)
            assert_within_se(meas.mean, law.mean, se1, z=Z, label="E[w]")
            assert_within_se(meas.second_moment, law.second_moment, se2, z=Z, label="E[w^2]")
    # the ensemble's block variances and means are n times the empirical moments of the entries
    for a in range(2):
        for b in range(2):
            block = J[np.ix_(pop == a, pop == b)]
            off = ~np.eye(*block.shape, dtype=bool) if a == b else np.ones(block.shape, bool)
            e = block[off]
            np.testing.assert_allclose(ens.block_mean[a, b], real.n * e.mean(), rtol=1e-10)
            np.testing.assert_allclose(ens.block_variance[a, b], real.n * e.var(), rtol=1e-10)
            se = ((e - e.mean()) ** 2).std(ddof=1) / math.sqrt(e.size)
            assert_within_se(
                ens.block_variance[a, b] / real.n,
                truth.block_variance[a, b] / real.n,
                se,
                z=Z,
                label="Var J_ij",
            )
    for a, law in enumerate((s.tau_e, s.tau_i)):
        t = real.tau[pop == a]
        assert_within_se(ens.tau[a].mean, law.mean, t.std(ddof=1) / math.sqrt(t.size), z=Z)
        gain = real.network.phi.derivative(x[pop == a])
        np.testing.assert_array_equal(np.sort(ens.gain[a].values), np.sort(gain))
    assert ens.coupling.signs == (1, -1)
    assert ens.keep_mean
    assert ens.coupling.scaling == "none"


def test_weight_compression_keeps_the_moments_the_theory_reads():
    s = OperatingPointSettings(n=300, seed=2)
    real = realize(s.network(), s.seeds())
    full = measured_ensemble(real, np.zeros(300), weight_values=None)
    small = measured_ensemble(real, np.zeros(300), weight_values=16)
    np.testing.assert_allclose(small.block_variance, full.block_variance, rtol=1e-12)
    np.testing.assert_allclose(small.block_mean, full.block_mean, rtol=1e-12)
    assert all(len(w.values) <= 16 for row in small.coupling.weights for w in row)
    assert small.connectivity == full.connectivity


def test_measured_ensemble_refuses_couplings_without_dale_signs():
    s = OperatingPointSettings(n=100)
    real = realize(s.network(), s.seeds())
    J = np.array(real.J)
    i, j = np.argwhere(J[:, :80] > 0)[0]
    J[i, j] = -J[i, j]
    mixed = Realization(
        network=real.network, seeds=real.seeds, J=J, b=real.b, tau=real.tau, drawn_from=None
    )
    with pytest.raises(ValueError, match="both signs"):
        measured_ensemble(mixed, np.zeros(100))


def test_fixed_points_do_not_depend_on_the_timescales():
    # the measured laws of tau and h are independent because x* solves -x + J phi(x) + b = 0
    a = OperatingPointSettings(n=200, seed=4)
    b = dataclasses.replace(
        a, tau_e=Uniform(low=3.0, high=4.0), tau_i=LogNormal(median=0.5, sigma=1)
    )
    ra, rb = realize(a.network(), a.seeds()), realize(b.network(), b.seeds())
    np.testing.assert_array_equal(ra.J, rb.J)
    assert not np.allclose(ra.tau, rb.tau)
    xa = find_fixed_points(ra, starts=relaxed_starts(ra, 3), n_random=0, eigen=False).points
    xb = find_fixed_points(rb, starts=relaxed_starts(rb, 3), n_random=0, eigen=False).points
    assert xa.shape[0] == xb.shape[0] == 1
    np.testing.assert_allclose(xa, xb, atol=1e-9)


# -- the bar -----------------------------------------------------------------------------------


def test_bar_count_equals_the_pruned_units(core_runs):
    for r in core_runs:
        n_e = r.settings.sizes[0]
        for sp in (r.actual, r.shuffled):
            assert sp.bar_count == sp.graph_bar == n_e
        assert abs(r.predicted_bar_count - n_e) < 0.5


def test_bar_count_equals_the_pruned_and_silent_units():
    # relu units below threshold have gain 0: their columns of J H vanish, like pruned ones
    s = core(3, phi="relu", connectivity=((0.0, 0.3), (0.0, 0.3)))
    s = dataclasses.replace(s, n=200, weight_i=LogNormal(median=0.1, sigma=0.8))
    r = run_operating_point(s)
    pop = r.realization.population
    silent = int(np.sum((r.gain == 0) & (pop == 1)))
    assert silent > 10
    n_e = s.sizes[0]
    assert r.actual.bar_count == r.actual.graph_bar == n_e + silent
    assert r.shuffled.bar_count == n_e + silent
    assert abs(r.predicted_bar_count - (n_e + silent)) < 0.5
    # every bar eigenvalue is an exact -1/tau_j of a pruned or silent unit
    lam = r.actual.eigenvalues[r.actual.bar]
    poles = -1.0 / r.realization.tau[(pop == 0) | (r.gain == 0)]
    assert np.all(np.min(np.abs(lam[:, None] - poles[None, :]), axis=1) < 1e-9)


# -- the spectrum against the prediction ---------------------------------------------------------


def test_shuffled_gains_follow_the_prediction_and_actual_gains_do_not(core_runs):
    """Edge of the bulk in units of the predicted height, averaged over realizations.

    The bulk's extreme eigenvalues fluctuate on the scale sqrt(log N_b / N_b) of its radius
    (height / 2) at N_b bulk eigenvalues (docs/theory.md 5.2): that is the allowance. The
    shuffled-gain control must stay within it; the actual gains, whose dependence on J makes
    strongly inhibited units (large in-strength) less gainful, must pull the edge inside by more.
    """
    n_b = core_runs[0].settings.n - core_runs[0].settings.sizes[0]
    allowance = 0.5 * math.sqrt(math.log(n_b) / n_b)
    shuffled = np.mean([r.edge_deviation("shuffled")["tail_fit"] for r in core_runs])
    actual = np.mean([r.edge_deviation("actual")["tail_fit"] for r in core_runs])
    assert abs(shuffled) <= allowance
    assert actual < -allowance
    for r in core_runs:
        assert r.actual.edge.max_real < 0  # a stable equilibrium
        assert r.edge.perron_at_zero > 1  # ... whose independent-gain bulk would be unstable


def test_gain_dependence_is_measured_and_removed_by_the_control(core_runs):
    n_i = core_runs[0].settings.sizes[1]
    se0 = 1.0 / math.sqrt(n_i - 1)  # SE of a rank correlation under independence
    for r in core_runs:
        dep = r.dependence["I"]
        assert dep["rank_corr_h2_in_strength"] < -Z * se0
        assert abs(dep["rank_corr_h2_in_strength_shuffled"]) < Z * se0
        assert abs(dep["rank_corr_tau_h2"]) < Z * se0  # fixed points do not depend on tau
        assert abs(dep["rank_corr_h2_out_strength"]) < Z * se0
        # the dependence shrinks the bulk: strongly inhibited units have small gains
        assert dep["strength_gain_ratio"] < dep["strength_gain_ratio_shuffled"]


def test_region_fractions_are_fractions_of_the_spectrum(core_runs):
    r = core_runs[0]
    for sp in (r.actual, r.shuffled):
        lam = sp.bulk
        b = r.bounds
        off = np.abs(lam.imag) > b["y_cut"]
        assert sp.counts["right"] == np.sum(off & (lam.real > b["x_split"])) / r.settings.n
        assert sp.counts["top"] == np.sum(np.abs(lam.imag) > b["y_top"]) / r.settings.n
    # the predicted masses: all inside the bulk's share of the units, right + left <= that
    share = 1 - r.component.bar_fraction
    assert 0 < r.predicted["right"] + r.predicted["left"] <= share + 1e-9
    assert r.predicted["top"] < r.predicted["right"] + r.predicted["left"]
    assert r.density.converged


# -- results -----------------------------------------------------------------------------------


def test_summary_and_xarray_round_trip(core_runs, tmp_path):
    r = core_runs[0]
    s = r.summary()
    assert json.loads(json.dumps(s)) == s
    assert s["actual"]["bar_count"] == r.actual.bar_count
    assert s["fractions_pred"] == r.predicted
    ds = r.to_xarray()
    io.save_dataset(ds, tmp_path / "op.zarr")
    back = io.load_dataset(tmp_path / "op.zarr")
    np.testing.assert_array_equal(back["eig_actual_re"].values, r.actual.eigenvalues.real)
    np.testing.assert_array_equal(back["eig_shuffled_im"].values, r.shuffled.eigenvalues.imag)
    np.testing.assert_array_equal(back["gain_shuffled"].values, r.gain_shuffled)
    assert list(back["region"].values) == list(REGIONS)
    np.testing.assert_allclose(back["fraction_pred"].values, [r.predicted[k] for k in REGIONS])
    assert back.attrs["summary"] == s
    settings = OperatingPointSettings.from_config(back.attrs["settings"])
    assert settings == r.settings


def test_operating_figure(core_runs):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from randrnn.plots.operating import operating_figure

    fig = operating_figure(core_runs[0])
    assert len(fig.axes) == 4
    plt.close(fig)


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"n": 5}, r"settings\.n"),
        ({"inhibitory_fraction": 1.0}, "inhibitory_fraction"),
        ({"connectivity": ((0.1, 0.2),)}, "connectivity"),
        ({"connectivity": ((0.1, 1.5), (0.1, 0.1))}, r"connectivity\[0\]\[1\]"),
        ({"phi": "softplus"}, "phi"),
        ({"tau_i": Uniform(low=0.0, high=1.0)}, "tau_i"),
        ({"input_sd": (0.5, -1.0)}, r"input_sd\[1\]"),
        ({"axis_band": 0.3}, "axis_band"),
        ({"n_starts": 0}, "n_starts"),
        ({"density_grid": (64, 2)}, "density_grid"),
        ({"weight_e": {"kind": "gamma"}}, "weight_e"),
    ],
)
def test_bad_settings_raise(changes, match):
    with pytest.raises((ValueError, TypeError), match=match):
        OperatingPointSettings(**changes)


def test_unknown_config_key_is_named():
    with pytest.raises(ValueError, match="n_units"):
        OperatingPointSettings.from_config({"n_units": 10})


def test_no_stable_equilibrium_raises():
    s = OperatingPointSettings(n=60, phi="tanh", weight_e=5.0, weight_i=5.0, n_starts=2)
    with pytest.raises(NoStableFixedPointError, match="stable equilibrium"):
        run_operating_point(s)


def test_run_refuses_other_settings():
    with pytest.raises(TypeError, match="OperatingPointSettings"):
        run_operating_point({"n": 100})  # type: ignore[arg-type]


def test_seeds_are_all_streams():
    assert OperatingPointSettings(seed=7).seeds() == Seeds(coupling=7, input=7, initial=7, noise=7)
