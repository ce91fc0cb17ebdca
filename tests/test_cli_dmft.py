"""Tests of ``randrnn dmft``: it prints what the public API computes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from randrnn import GaussianEnsemble, RateNetwork
from randrnn.cli import main
from randrnn.dmft import solve_stationary


def test_json_matches_api() -> None:
    result = CliRunner().invoke(main, ["dmft", "--phi", "tanh", "--g", "2.0", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output.strip().splitlines()[-1])
    sol = solve_stationary(RateNetwork(ensemble=GaussianEnsemble(n=1, g=2.0), phi="tanh"))
    for key in ("delta0", "delta_inf", "mu0", "mu1", "c0", "tau_corr"):
        # same code path, same grid: identical up to roundoff
        assert out[key] == pytest.approx(getattr(sol, key), rel=1e-12, abs=1e-14)
    assert out["regime"] == "chaotic"
    assert out["converged"] is True
    assert {"seconds", "residual", "n_iter"} <= set(out)


def test_text_output_and_out_dir(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["dmft", "--g", "0.9", "--sigma", "1.5", "--sigma-b", "0.2", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "noise-driven" in result.output
    assert "delta0" in result.output
    assert (out / "dmft.png").stat().st_size > 0
    from randrnn.io import load_dataset

    ds = load_dataset(out / "dmft.zarr")
    assert set(ds.dims) == {"lag", "freq"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["delta0"] == pytest.approx(float(ds["delta"][0]), rel=1e-14)


def test_bad_phi_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["dmft", "--phi", "sigmoid", "--g", "2"])
    assert result.exit_code == 2
    assert "`phi` must be one of" in result.output


def test_non_convergence_exits_nonzero() -> None:
    with pytest.warns(UserWarning, match="Activity grows without bound"):
        result = CliRunner().invoke(main, ["dmft", "--phi", "relu", "--g", "1.6", "--sigma", "1"])
    assert result.exit_code == 1
    assert "did not converge" in result.output
