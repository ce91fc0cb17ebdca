"""The typed run experiment: summary and Dataset from typed fields, and its behaviour when a
comparison does not apply (small sizes: each run takes a few seconds)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from helpers import naive_unstable_run_config, quiescent_run_config, run_config
from randrnn.experiments import METRICS, NothingToCompareError, RunResult, run_experiment
from randrnn.experiments import run as run_module

#: the summary.json keys of each table before results were typed (all must survive)
LEGACY_KEYS = {
    "dmft": {
        "delta0", "delta_inf", "mu0", "mu1", "c0", "g_mu1", "tau_corr", "regime", "converged",
        "residual",
    },
    "prediction": {"method", "seconds", "min_re_alpha", "cond_v"},
    "comparison": {
        "offdiag_corr", "offdiag_corr_ceiling", "ceiling_fraction", "rel_frobenius",
        "rel_frobenius_noise", "diag_corr", "diag_ratio", "pr_pred", "pr_sim", "pr_sim_unbiased",
        "x_offdiag_corr", "x_offdiag_corr_ceiling", "x_rel_frobenius", "x_pr_pred", "x_pr_sim",
        "x_pr_sim_unbiased", "xphi_offdiag_corr", "naive_offdiag_corr", "naive_rel_frobenius",
        "naive_pr", "naive_x_offdiag_corr", "naive_x_rel_frobenius",
    },
    "simulation": {
        "var_x", "var_x_se", "var_phi", "var_phi_se", "t_sampled", "n_trials", "delta0_dmft",
        "delta0_sim", "delta0_sim_se", "acf_x_max_abs_z", "acf_x_connected_max_abs_z",
    },
    "residuals": {"rms_ratio", "ms_offdiag_r", "ms_offdiag_r_se", "ms_offdiag_phi",
                  "ms_offdiag_phi_se"},
    "wick": {"n_quadruples", "rms_kappa", "rms_kappa_noise", "rms_gaussian_part",
             "frac_abs_z_gt_3"},
}  # fmt: skip


def _strict_json(summary):
    def refuse(token):
        raise ValueError(f"non-strict JSON token {token}")

    return json.loads(json.dumps(summary), parse_constant=refuse)


@pytest.fixture(scope="module")
def result() -> RunResult:
    return run_experiment(run_config(), progress=False)


def test_summary_keeps_every_key_and_is_generated_from_typed_fields(result):
    s = _strict_json(result.summary())
    for table, keys in LEGACY_KEYS.items():
        assert keys <= set(s[table]), (table, keys - set(s[table]))
    assert {"config", "seeds", "versions", "seconds", "verdicts"} <= set(s)
    c = result.covariance.phi
    assert s["comparison"]["offdiag_corr"] == c.offdiag_corr
    assert s["comparison"]["pr_sim"] == c.pr_sim
    assert s["comparison"]["naive_offdiag_corr"] == result.naive.phi.offdiag_corr
    assert s["comparison"]["naive_closure"] == "compared"
    assert s["comparison"]["linear_beats_naive"] == result.linear_beats_naive
    assert s["simulation"]["acf_x_max_abs_z"] == result.autocovariance.x.max_abs_z
    assert s["verdicts"]["covariance_phi"] == {
        "verdict": c.verdict,
        "passed": c.passed,
        "criterion": c.criterion,
    }
    assert "undefined" not in s


def test_metrics_are_documented_and_dataset_variables(result):
    metrics = result.metrics()
    for table, values in metrics.items():
        assert set(values) <= set(METRICS[table]), (table, set(values) - set(METRICS[table]))
    ds = result.to_xarray()
    for table, values in metrics.items():
        for key, v in values.items():
            name = f"{table}_{key}"
            if isinstance(v, str):
                assert ds.attrs[name] == v
                continue
            assert ds[name].ndim == 0
            assert ds[name].attrs["long_name"] == METRICS[table][key]
            assert float(ds[name]) == pytest.approx(float(v), nan_ok=True)
    np.testing.assert_array_equal(ds["spec_phi_sim"].values, result.covariance.phi.eig_sim)
    assert ds.sizes["rank"] == result.realization.n


def test_quiescent_network_stops_after_the_dmft(monkeypatch):
    def no_simulation(*args, **kwargs):
        raise AssertionError("the simulation must not start for a quiescent network")

    monkeypatch.setattr(run_module, "simulate", no_simulation)
    with pytest.raises(NothingToCompareError, match=r"^quiescent: nothing to compare\."):
        run_experiment(quiescent_run_config(), progress=False)


def test_naive_closure_not_applicable_is_recorded_and_the_run_goes_on():
    r = run_experiment(naive_unstable_run_config(), progress=False)
    assert r.naive.status == "not applicable"
    assert "naive closure" in r.naive.reason
    assert r.naive.phi is None
    assert r.linear_beats_naive is None
    s = _strict_json(r.summary())
    assert s["comparison"]["naive_closure"].startswith("not applicable: ")
    assert "naive_offdiag_corr" not in s["comparison"]
    assert np.isfinite(s["comparison"]["offdiag_corr"])


def test_disabled_naive_closure():
    r = run_experiment(run_config(n=30, prediction={"naive": False}), progress=False)
    assert r.naive.status == "disabled"
    assert r.summary()["comparison"]["naive_closure"] == "disabled"


def test_uncoupled_network_gives_strict_json_with_reasons_and_no_warnings():
    """g = 0: the prediction has no off-diagonal structure; correlations are undefined."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        r = run_experiment(run_config(n=30, g=0.0, sigma=1.0), progress=False)
        s = _strict_json(r.summary())
    assert s["comparison"]["offdiag_corr"] is None
    assert "off-diagonal entries are all equal" in s["undefined"]["comparison.offdiag_corr"]
    assert s["undefined"]["comparison.diag_corr"] == "the predicted variances are all equal"
    assert r.covariance.phi.verdict.startswith("undefined: ")


def test_max_lag_zero_is_refused_before_any_work(monkeypatch):
    def no_dmft(*args, **kwargs):
        raise AssertionError("validation must come first")

    monkeypatch.setattr(run_module, "solve_stationary", no_dmft)
    with pytest.raises(ValueError, match=r"`simulation.max_lag` must be > 0 for randrnn run"):
        run_experiment(run_config(simulation={"max_lag": 0.0}), progress=False)
