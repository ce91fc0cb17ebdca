"""The command line: simulate on its default, run on a small network, errors and atomicity."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

from randrnn import __version__
from randrnn.cli import main


def test_version_and_info():
    r = CliRunner().invoke(main, ["--version"])
    assert r.exit_code == 0
    assert __version__ in r.output
    r = CliRunner().invoke(main, ["info"])
    assert r.exit_code == 0
    assert "numpy" in r.output
    assert "cores" in r.output


def test_simulate_default_writes_store_and_summary(tmp_path):
    """The default simulate runs and its summary is complete (speed: benchmarks/)."""
    r = CliRunner().invoke(main, ["simulate", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    s = json.loads((tmp_path / "summary.json").read_text())
    for key in ("config", "seeds", "versions", "seconds", "var_x", "var_phi", "store"):
        assert key in s
    from randrnn.io import load_dataset

    ds = load_dataset(s["store"])
    assert ds.attrs["seeds"] == s["seeds"]
    assert ds.attrs["config"]["ensemble"]["g"] == 2.0
    assert np.isclose(
        float(np.trace(ds["cov_x"].values)) / ds.sizes["neuron"], s["var_x"], rtol=1e-6
    )


def test_simulate_equals_python_api(tmp_path):
    """The CLI is a thin wrapper: same numbers as the public API for the same config."""
    from randrnn import GaussianEnsemble, RateNetwork, Seeds, realize
    from randrnn.simulate import SimulationSettings, simulate

    args = [
        "simulate",
        "--out",
        str(tmp_path),
        "--set",
        "ensemble.n=50",
        "--set",
        "simulation.t_max=40.0",
        "--set",
        "simulation.max_lag=2.0",
        "--set",
        "network.sigma=0.3",
    ]
    assert CliRunner().invoke(main, args).exit_code == 0
    s = json.loads((tmp_path / "summary.json").read_text())
    net = RateNetwork(ensemble=GaussianEnsemble(n=50, g=2.0), phi="tanh", sigma=0.3)
    sim = simulate(
        realize(net, Seeds()),
        SimulationSettings(t_max=40.0, burn_in=50.0, n_trials=16, max_lag=2.0, progress=False),
    )
    assert s["var_x"] == sim.equal_time.var_x


def test_unknown_config_key_lists_valid_keys(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[network]\nphi = 'tanh'\ngain = 2.0\n")
    r = CliRunner().invoke(main, ["simulate", str(cfg), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert "unknown key(s) ['gain'] in [network]; valid keys" in r.output


def test_diverging_run_leaves_no_store(tmp_path):
    """ReLU with g = 3: divergence error naming step and cause; no simulation.zarr left."""
    out = tmp_path / "o"
    r = CliRunner().invoke(
        main,
        [
            "simulate",
            "--out",
            str(out),
            "--set",
            "network.phi='relu'",
            "--set",
            "ensemble.g=3.0",
            "--set",
            "ensemble.n=300",
        ],
    )
    assert r.exit_code == 1
    assert "diverged at step" in r.output
    assert "relu" in r.output
    assert not (out / "simulation.zarr").exists()
    assert not any(p.name.startswith(".simulation.zarr") for p in out.glob(".*"))


def test_run_small_network(tmp_path):
    """`randrnn run` end to end on a small noise-driven network: all outputs, sane numbers."""
    args = [
        "run",
        "--out",
        str(tmp_path),
        "--set",
        "ensemble.n=120",
        "--set",
        "ensemble.g=0.9",
        "--set",
        "network.sigma=1.5",
        "--set",
        "simulation.t_max=160.0",
        "--set",
        "simulation.n_trials=16",
        "--set",
        "simulation.max_lag=4.0",
        "--set",
        "simulation.n_quadruples=50",
    ]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    s = json.loads((tmp_path / "summary.json").read_text())
    for key in (
        "offdiag_corr",
        "offdiag_corr_ceiling",
        "rel_frobenius",
        "diag_corr",
        "pr_pred",
        "pr_sim",
        "naive_offdiag_corr",
        "naive_rel_frobenius",
    ):
        assert np.isfinite(s["comparison"][key]), key
    for key in ("delta0", "mu1", "c0"):
        assert key in s["dmft"]
    assert {"method", "seconds", "min_re_alpha"} <= set(s["prediction"])
    assert s["comparison"]["offdiag_corr"] > s["comparison"]["naive_offdiag_corr"]
    html = (tmp_path / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 6
    assert (tmp_path / "results.zarr").is_dir()
    assert len(list((tmp_path / "figures").glob("*.png"))) == 6


def test_run_rejects_bad_prediction_option(tmp_path):
    r = CliRunner().invoke(main, ["run", "--out", str(tmp_path), "--set", "prediction.mode=1"])
    assert r.exit_code == 2
    assert "unknown key(s) ['mode'] in [prediction]" in r.output


def _strict(path):
    def refuse(token):
        raise ValueError(f"non-strict JSON token {token}")

    return json.loads(path.read_text(), parse_constant=refuse)


def test_theory_failures_exit_1_alike_in_run_and_scaling(tmp_path):
    """A quiescent network: rc 1, the reason and "No output was written.", no usage banner."""
    from helpers import quiescent_run_config, to_cli_overrides

    args = to_cli_overrides(quiescent_run_config())
    for command in (["run"], ["scaling", "--sizes", "30,40", "--realizations", "1"]):
        out = tmp_path / command[0]
        r = CliRunner().invoke(main, [*command, "--out", str(out), *args])
        assert r.exit_code == 1, r.output
        assert "quiescent: nothing to compare." in r.output
        assert r.output.rstrip().endswith("No output was written.")
        assert "Usage:" not in r.output
        assert not (out / "summary.json").exists()


def test_spectrum_exit_codes(tmp_path, monkeypatch):
    """spectrum: a theory failure is rc 1 like run's; a config mistake is a usage error (2)."""
    from randrnn.errors import ConvergenceError
    from randrnn.experiments import spectrum

    def fail(*args, **kwargs):
        raise ConvergenceError("edge did not converge", n_iter=3, residual=1.0, tol=1e-9)

    monkeypatch.setattr(spectrum, "run_spectrum", fail)
    r = CliRunner().invoke(main, ["spectrum", "--out", str(tmp_path / "a")])
    assert r.exit_code == 1, r.output
    assert "edge did not converge" in r.output
    assert r.output.rstrip().endswith("No output was written.")
    r = CliRunner().invoke(
        main, ["spectrum", "--out", str(tmp_path / "b"), "--set", "spectrum.x=1"]
    )
    assert r.exit_code == 2
    assert "unknown key(s) ['x'] in [spectrum]" in r.output


def test_run_goes_on_when_the_naive_closure_does_not_apply(tmp_path):
    """n = 40, g = 3, coupling seed 1: the naive closure is unstable, the run completes."""
    from helpers import naive_unstable_run_config, to_cli_overrides

    args = ["run", "--out", str(tmp_path), *to_cli_overrides(naive_unstable_run_config())]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    assert "Note: naive closure not compared:" in r.output
    assert "RuntimeWarning" not in r.output
    s = _strict(tmp_path / "summary.json")
    assert s["comparison"]["naive_closure"].startswith("not applicable: ")
    assert "naive_offdiag_corr" not in s["comparison"]
    html = (tmp_path / "report.html").read_text()
    assert "not applicable to this realization" in html
    assert s["verdicts"]["covariance_phi"]["verdict"] in html
