"""randrnn train and randrnn trained-spectrum, end to end on a tiny network."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from randrnn.cli import main

pytest.importorskip("jax")
pytest.importorskip("optax")


def test_train_then_trained_spectrum(tmp_path):
    runner = CliRunner()
    out = tmp_path / "net"
    args = [
        "train",
        "--out",
        str(out),
        "--set",
        "train.n=60",
        "--set",
        "train.task=delayed_sign",
        "--set",
        "train.n_iterations=300",
        "--trials",
        "200",
    ]
    r = runner.invoke(main, args)
    assert r.exit_code == 0, r.output
    s = json.loads((out / "summary.json").read_text())
    assert s["settings"]["n"] == 60
    assert [p["population"] for p in s["populations"]] == ["E", "I"]
    assert (out / "report.html").exists()
    assert (out / "figures" / "training_curve.png").exists()
    # the same command again resumes from the checkpoint: nothing more to train
    again = runner.invoke(main, args)
    assert again.exit_code == 0, again.output
    assert json.loads((out / "summary.json").read_text())["iterations"] == s["iterations"]

    r = runner.invoke(main, ["trained-spectrum", str(out), "--quick", "--n-random", "8"])
    assert r.exit_code == 0, r.output
    spec = json.loads((out / "spectrum" / "summary.json").read_text())
    assert spec["residual"] <= 1e-8
    assert spec["comparison"]["regions"]
    assert (out / "spectrum" / "figures" / "eigenvalues.png").exists()


def test_bad_train_config_is_a_usage_error(tmp_path):
    r = CliRunner().invoke(main, ["train", "--out", str(tmp_path / "x"), "--set", "train.nn=3"])
    assert r.exit_code == 2
    assert "train.nn" in r.output or "nn" in r.output
    (tmp_path / "y").mkdir()
    (tmp_path / "y" / "f").write_text("mine")
    r = CliRunner().invoke(main, ["train", "--out", str(tmp_path / "y")])
    assert r.exit_code == 2
    assert "holds no training run" in r.output
