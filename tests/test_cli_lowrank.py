"""Tests of ``randrnn lowrank``: outputs, equivalence with the public API, config errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from randrnn.cli import main
from randrnn.config import load_config
from randrnn.experiments.lowrank import compare_example
from randrnn.io import load_dataset

#: two examples at a small size, the approximation off
SMALL = [
    "--set", 'lowrank.examples=["rank1_bistable", "rank2_cycle"]',
    "--set", 'lowrank.phis=["tanh"]',
    "--set", "lowrank.n=300",
    "--set", "lowrank.realizations=2",
    "--set", "lowrank.dt=0.05",
    "--set", "lowrank.record_every=2",
    "--set", "approximation.enabled=false",
]  # fmt: skip


def test_lowrank_writes_outputs_and_matches_the_api(tmp_path):
    out = tmp_path / "lr"
    res = CliRunner().invoke(main, ["lowrank", *SMALL, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "quantities agree" in res.output
    summary = json.loads((out / "summary.json").read_text())
    names = [(e["example"], e["phi"]) for e in summary["examples"]]
    assert names == [("rank1_bistable", "tanh"), ("rank2_cycle", "tanh")]
    bist = summary["examples"][0]
    assert bist["theory"]["n_stable"] == 2
    assert bist["theory"]["max_residual"] < 1e-10
    assert summary["examples"][1]["cycle"]["period"] == pytest.approx(4 * np.pi, rel=1e-8)
    assert (out / "report.html").stat().st_size > 0
    assert len(list((out / "figures").glob("*.png"))) >= 3
    root = load_dataset(out / "lowrank.zarr")
    assert root.attrs["config"]["lowrank"]["n"] == 300
    grp = load_dataset(out / "lowrank.zarr", group="rank2_cycle_tanh")
    assert grp.attrs["theory_period"] == pytest.approx(4 * np.pi, rel=1e-8)
    # the effective circuit at the origin: J_eff = <phi'>(0) Sigma_nm = the overlap matrix
    np.testing.assert_allclose(grp["j_eff"].values[0, 0], [[1.6, -0.8], [0.8, 1.6]], rtol=1e-12)
    # the same comparison through the public API gives the same network values
    cfg = load_config("lowrank", overrides=[s for s in SMALL if s != "--set"])
    c = compare_example(
        "rank1_bistable",
        phi="tanh",
        n=cfg.lowrank.n,
        realizations=cfg.lowrank.realizations,
        dt=cfg.lowrank.dt,
        record_every=cfg.lowrank.record_every,
    )
    g1 = load_dataset(out / "lowrank.zarr", group="rank1_bistable_tanh")
    np.testing.assert_allclose(g1["network_kappa"].values, c.network_points, rtol=1e-12)


def test_lowrank_custom_mixture_from_the_config(tmp_path):
    """A user's rank-one mixture in [ensemble] runs as example ``custom``."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[lowrank]\nexamples = []\nphis = ["tanh"]\nn = 300\nrealizations = 2\n'
        "dt = 0.05\nrecord_every = 2\n[approximation]\nenabled = false\n"
        '[ensemble]\nkind = "lowrank"\nrank = 1\n[ensemble.mixture]\nweights = [1.0]\n'
        "means = [[0.0, 0.0]]\ncovariances = [[[1.0, 1.5], [1.5, 2.5]]]\n"
    )
    out = tmp_path / "lr"
    res = CliRunner().invoke(main, ["lowrank", str(cfg), "--out", str(out)])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    (ex,) = summary["examples"]
    assert ex["example"] == "custom"
    assert ex["theory"]["n_stable"] == 2  # overlap 1.5 > 1: bistable


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ('lowrank.examples=["rank3_cube"]', "lowrank.examples"),
        ("lowrank.realizations=1", "lowrank.realizations"),
        ('lowrank.phis=["nope"]', "phi"),
        ('ensemble.kind="gaussian"', "ensemble"),
        ("approximation.components=[]", "approximation.components"),
    ],
)
def test_lowrank_config_errors(tmp_path, override, message):
    res = CliRunner().invoke(main, ["lowrank", "--set", override, "--out", str(tmp_path / "x")])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert not (tmp_path / "x").exists()


def test_lowrank_approximation_outputs(tmp_path):
    """The flow-approximation study alone: table over P, networks' cycles, figures, report."""
    out = tmp_path / "ap"
    args = [
        "--set", "lowrank.examples=[]",
        "--set", "approximation.components=[4, 8]",
        "--set", "approximation.n=20000",
        "--set", "approximation.realizations=2",
    ]  # fmt: skip
    res = CliRunner().invoke(main, ["lowrank", *args, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "networks' period" in res.output
    assert "quantities agree" not in res.output  # no examples were run
    ap = json.loads((out / "summary.json").read_text())["approximation"]
    assert [r["components"] for r in ap["table"]] == [4, 8]
    assert ap["target_cycle"]["period"] == pytest.approx(6.6632868593, rel=1e-6)
    last = ap["table"][-1]
    assert "network_period" in last
    assert ap["network"]["n"] == 20000
    for fig in ("approximation_field", "approximation_cycles"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 0
    assert "Approximating a flow" in (out / "report.html").read_text()
    tab = load_dataset(out / "lowrank.zarr", group="approximation")
    assert list(tab["components"].values) == [4, 8]
