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
    result = CliRunner().invoke(main, ["dmft", "--phi", "softsign", "--g", "2"])
    assert result.exit_code == 2
    assert "`phi` must be one of" in result.output


def test_non_convergence_exits_nonzero() -> None:
    # one map evaluation cannot converge from the generic start (noise present)
    from unittest import mock

    import randrnn.dmft
    from randrnn.dmft import FixedPoint

    def one_step(network, **kw):  # type: ignore[no-untyped-def]
        return solve_stationary(network, solver=FixedPoint(max_iter=1), **kw)

    with mock.patch.object(randrnn.dmft, "solve_stationary", one_step):
        result = CliRunner().invoke(main, ["dmft", "--g", "2", "--sigma", "1"])
    assert result.exit_code == 1
    assert "did not converge" in result.output


def test_diverging_network_is_not_reported_converged() -> None:
    """ReLU at g = 3: g^2 E[phi'^2] = 4.5 >= 1, no stationary state (not "converged, quiescent")."""
    result = CliRunner().invoke(main, ["dmft", "--phi", "relu", "--g", "3", "--json"])
    assert result.exit_code == 1
    out = json.loads(result.output.strip().splitlines()[0])  # strict JSON: NaN became null
    assert out["converged"] is False
    assert out["regime"] == "divergent"
    assert out["delta0"] is None
    assert "no stationary state" in result.output
    assert "grows without bound" in result.output


def test_unreachable_tolerance_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["dmft", "--g", "2", "--tol", "1e-30"])
    assert result.exit_code == 2
    assert "below what float64 can reach" in result.output
    assert "line search" not in result.output
