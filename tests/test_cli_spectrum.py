"""Tests of ``randrnn spectrum``: outputs, equivalence with the public API, config errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from helpers import SPECTRUM_CONFIG_TOML
from randrnn import rmt, spectra
from randrnn.cli import main
from randrnn.ensembles import JacobianEnsemble
from randrnn.io import load_dataset

CONFIG = SPECTRUM_CONFIG_TOML


@pytest.fixture
def config_file(tmp_path):
    p = tmp_path / "spec.toml"
    p.write_text(CONFIG)
    return p


def test_spectrum_writes_outputs_and_matches_api(config_file, tmp_path):
    out = tmp_path / "run"
    res = CliRunner().invoke(main, ["spectrum", str(config_file), "--out", str(out)])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    for key in ("edge_pred", "edge_numeric", "edge_numeric_se", "n", "seconds"):
        assert key in summary
    for fig in ("spectrum", "edge_sensitivity"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 0
    report = (out / "report.html").read_text()
    assert "Edge sensitivity" in report
    assert report.count("data:image/png;base64,") == 2
    ds = load_dataset(out / "spectrum.zarr")
    for var in ("eig_re", "eig_im", "boundary_y_max", "density_pred", "edge_pred", "histogram"):
        assert var in ds
    # the CLI is a few lines of the public API: same numbers from the same seed
    import tomllib

    cfg = tomllib.loads(CONFIG)
    ens = JacobianEnsemble.from_config(cfg["ensemble"])
    assert summary["edge_pred"] == rmt.spectral_edge(ens).edge
    m = spectra.measure_edge(ens, n_realizations=2, seed=3)
    assert summary["edge_numeric"] == m.edge
    np.testing.assert_array_equal(ds["eig_re"].values, m.eigenvalues.real)
    # the sensitivity sweep: theory from the public API at the sweep's n, one row per statistic

    sens = summary["sensitivity"]
    assert list(sens["statistics"]) == ["sparsity", "weight_scale"]
    th = rmt.edge_sensitivity(ens.resized(150), "weight_scale", [0.8, 1.2])
    np.testing.assert_allclose(
        ds["sensitivity_edge_pred"].sel(statistic="weight_scale").values, th.edge, rtol=1e-12
    )
    assert np.all(np.isfinite(ds["sensitivity_edge_numeric_se"].values))


def test_spectrum_set_override(config_file, tmp_path):
    out = tmp_path / "run2"
    res = CliRunner().invoke(
        main, ["spectrum", str(config_file), "--out", str(out), "--set", "ensemble.n=150"]
    )
    assert res.exit_code == 0, res.output
    assert json.loads((out / "summary.json").read_text())["n"] == 150


def test_spectrum_unknown_key_lists_valid(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text(CONFIG.replace("seed = 3", "seed = 3\nrealisations = 4"))
    res = CliRunner().invoke(main, ["spectrum", str(p), "--out", str(tmp_path / "x")])
    assert res.exit_code == 2
    assert "unknown key(s) ['realisations'] in [spectrum]" in res.output
    assert "n_realizations" in res.output


def test_spectrum_unknown_ensemble_key(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text(CONFIG.replace("keep_mean = false", "keep_mean = false\nsparsity = 0.1"))
    res = CliRunner().invoke(main, ["spectrum", str(p), "--out", str(tmp_path / "x")])
    assert res.exit_code == 2
    assert "unknown key(s) ['sparsity']" in res.output
    assert "ensemble" in res.output


#: the inhibitory-core ensemble by its preset at n = 2000, c = 4: two realizations, a small pool,
#: a coarse grid, a degree sweep of two factors at 600 units
SPARSE_CONFIG = """
[ensemble]
preset = "inhibitory_core"
n = 2000
in_degree = 4.0

[spectrum]
n_realizations = 2
seed = 1

[sensitivity]
enabled = false

[cavity]
pool = 400
burn_in = 20
sweeps = 40
batches = 4
points_per_side = 16

[sparse]
bins_re = 16
bins_im = 11
degree_factors = [0.5, 2.0]
sweep_n = 600
sweep_realizations = 2
"""


def _strict(text):
    def refuse(const):
        raise ValueError(f"summary.json holds {const}")

    return json.loads(text, parse_constant=refuse)


def test_spectrum_sparse_theory_writes_its_outputs(tmp_path):
    p = tmp_path / "sparse.toml"
    p.write_text(SPARSE_CONFIG)
    out = tmp_path / "sparse"
    res = CliRunner().invoke(
        main, ["spectrum", str(p), "--out", str(out), "--set", 'spectrum.theory="sparse"']
    )
    assert res.exit_code == 0, res.output
    assert "edge_sparse_pred=" in res.output
    assert "regions max|z|=" in res.output
    summary = _strict((out / "summary.json").read_text())
    sp = summary["sparse"]
    assert summary["theory"] == "sparse"
    assert len(sp["regions"]) == 4
    assert sp["regions_comparison"]["passed"] is True
    assert sp["degree_sweep"]["factors"] == [0.5, 2.0]
    assert sp["degree_sweep"]["degree"] == [2.0, 8.0]  # c = 4 times the factors
    ds = load_dataset(out / "spectrum.zarr")
    for var in (
        "edge_sparse_pred",
        "sparse_boundary_y_max",
        "region_fraction_pred",
        "region_fraction_numeric",
        "region_z",
        "bar_count_pred",
        "eig_bar",
        "sparse_mass_pred",
        "sparse_histogram",
        "sweep_edge_sparse",
        "sweep_giant_rightmost",
    ):
        assert var in ds, var
    assert ds["sweep_edge_sparse"].dims == ("degree_factor",)
    # the recorded ensemble is the resolved preset, and rebuilds it
    ens = JacobianEnsemble.inhibitory_core(n=2000, in_degree=4.0)
    assert ds.attrs["spec"] == ens.to_config()
    # same seed, same spectra as the public API (all eigenvalues from the components)
    m = spectra.measure_regions(ens, np.array(ds["region_bounds"].values), n_realizations=2, seed=1)
    np.testing.assert_array_equal(ds["region_fraction_numeric"].values, m.fraction)
    assert summary["sparse"]["bar_count_numeric"] == m.bar_count
    report = (out / "report.html").read_text()
    for heading in (
        "Finite connectivity: edge, bar and outliers",
        "Eigenvalue fractions in regions",
        "Eigenvalue density at finite connectivity",
        "Edge vs mean in-degree",
    ):
        assert heading in report
    assert report.count("data:image/png;base64,") == 4
    for fig in ("spectrum", "sparse_density", "regions", "edge_vs_degree"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 0


def test_spectrum_sparse_config_errors_exit_2(tmp_path):
    res = CliRunner().invoke(
        main,
        ["spectrum", "--out", str(tmp_path / "x"), "--set", 'spectrum.theory="sparse"'],
    )
    assert res.exit_code == 2
    assert "needs `ensemble.keep_mean` = true" in res.output
    res = CliRunner().invoke(
        main,
        [
            "spectrum",
            "--out",
            str(tmp_path / "y"),
            "--set",
            "ensemble.preset=inhibitory_core",
            "--set",
            "sparse.bins_im=10",
        ],
    )
    assert res.exit_code == 2
    assert "`sparse.bins_im` must be odd" in res.output
