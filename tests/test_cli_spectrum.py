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
