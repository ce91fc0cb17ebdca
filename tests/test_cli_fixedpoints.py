"""Tests of ``randrnn fixedpoints``: outputs, equivalence with the public API, config errors."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

from randrnn import Seeds, realize
from randrnn.cli import main
from randrnn.config import load_config
from randrnn.fixedpoints import find_fixed_points
from randrnn.io import load_dataset

#: a 60-unit chaotic network, few starts, a short simulation; the two studies off
SMALL = [
    "--set", "ensemble.n=60",
    "--set", "fixedpoints.n_random=30",
    "--set", "fixedpoints.n_simulation_starts=10",
    "--set", "simulation.t_max=40.0",
    "--set", "simulation.burn_in=10.0",
    "--set", "simulation.n_trials=2",
    "--set", "fixedpoints.context=false",
    "--set", "fixedpoints.operating_point=false",
]  # fmt: skip
#: the two studies on, small
STUDIES = [
    "--set", "fixedpoints.context=true",
    "--set", "fixedpoints.operating_point=true",
    "--set", "context.n=120",
    "--set", "operating.n=300",
]  # fmt: skip


def test_fixedpoints_writes_outputs_and_matches_the_api(tmp_path):
    out = tmp_path / "fp"
    res = CliRunner().invoke(main, ["fixedpoints", *SMALL, "--out", str(out)])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    fps = summary["fixed_points"]
    assert fps["n_fixed"] >= 1
    assert fps["max_residual_fixed"] < 1e-10
    assert fps["starts"]["simulation"] == 10
    assert fps["starts"]["random"] == 30
    for fig in ("states", "eigenvalues"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 0
    report = (out / "report.html").read_text()
    assert "Two linearizations" in report
    assert "Fixed and slow points" in report
    ds = load_dataset(out / "fixedpoints.zarr")
    assert ds.attrs["config"]["fixedpoints"]["n_random"] == 30
    assert ds.attrs["seeds"] == Seeds().to_dict()
    lin = load_dataset(out / "fixedpoints.zarr", group="linearization_0")
    assert lin.attrs["relation_drive"] < 1e-10
    # the same search through the public API finds the same random-start points
    cfg = load_config("fixedpoints", overrides=[s for s in SMALL if s != "--set"])
    real = realize(cfg.network, cfg.seeds)
    api = find_fixed_points(real, n_random=30, minimize=True)
    fixed = ds["x_star"].values[ds["kind"].values == 0]
    for x in api.points[api.kind == "fixed"]:
        assert np.min(np.linalg.norm(fixed - x, axis=1)) < 1e-8


@pytest.mark.parametrize(
    ("override", "match"),
    [
        ("fixedpoints.tol=-1.0", r"fixedpoints\.tol"),
        ("fixedpoints.n_random=2.5", r"fixedpoints\.n_random"),
        ("fixedpoints.bogus=1", r"bogus"),
    ],
)
def test_bad_config_is_a_usage_error(tmp_path, override, match):
    res = CliRunner().invoke(main, ["fixedpoints", "--set", override, "--out", str(tmp_path / "x")])
    assert res.exit_code == 2
    assert re.search(match, res.output)
    assert not (tmp_path / "x").exists()


def test_fixedpoints_with_both_studies_writes_their_groups_figures_and_sections(tmp_path):
    out = tmp_path / "fp"
    res = CliRunner().invoke(main, ["fixedpoints", *SMALL, *STUDIES, "--out", str(out)])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["context"]["settings"]["n"] == 120
    assert summary["operating_point"]["n"] == 300
    for fig in ("context", "operating_point"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 0
    report = (out / "report.html").read_text()
    assert "Context dependence" in report
    assert "operating point" in report
    ctx = load_dataset(out / "fixedpoints.zarr", group="context")
    op = load_dataset(out / "fixedpoints.zarr", group="operating_point")
    assert float(ctx["cos_b_x"].min()) == 1.0  # input vectors fixed in activation coordinates
    assert float(ctx["drive_agreement"].max()) < 1e-10
    assert op["eig_actual_re"].size == 300
    cfg = load_dataset(out / "fixedpoints.zarr").attrs["config"]
    assert cfg["operating"]["n"] == 300
    assert cfg["context"]["n"] == 120


LOWRANK = """
[ensemble]
kind = "lowrank"
n = 150
rank = 1
[ensemble.mixture]
weights = [1.0]
means = [[0.0, 0.0]]
covariances = [[[1.0, 2.0], [2.0, 5.0]]]
"""


def test_a_network_outside_the_random_matrix_theory_is_searched_and_says_why_not_predicted(
    tmp_path,
):
    cfg = tmp_path / "lowrank.toml"
    cfg.write_text(LOWRANK)
    out = tmp_path / "fp"
    res = CliRunner().invoke(main, ["fixedpoints", str(cfg), *SMALL[2:], "--out", str(out)])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["fixed_points"]["n_fixed"] == 3  # 0 and the bistable pair (overlap 2)
    assert summary["rmt"] == []
    assert "rank-1 structured part" in summary["rmt_not_predicted"]
    assert "Not predicted for this network" in (out / "report.html").read_text()
