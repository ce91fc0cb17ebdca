"""Fitting the sparse E/I ensemble to one Jacobian and comparing its predicted spectrum.

The synthetic Jacobian is drawn from a known inhibitory-core ensemble: the fit must recover it
(z-scores), its predicted edge must agree with the true ensemble's, and the predicted
fractions, bar and quantile must agree with the Jacobian's own eigenvalues within their
standard errors (binomial for one Jacobian: conservative for repelling eigenvalues).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from randrnn import rmt
from randrnn.ensembles import JacobianEnsemble
from randrnn.experiments.jacobian_fit import compare_fit


@pytest.fixture(scope="module")
def comparison():
    # independent timescales and gains (the copula fit is tested in test_ensemble_fit.py; a
    # fitted copula makes every prediction use a 32 x 32 rule instead of 32 x 10)
    truth = JacobianEnsemble.inhibitory_core(n=6000, in_degree=4.0)
    s = truth.sample(7)
    cmp = compare_fit(
        s,
        cavity=rmt.CavitySettings(pool=1000, sweeps=120),
        tau_intervals=[(1.0, 5.0), (2.0, 12.0)],
        gain_intervals=[(0.05, 0.25), (0.05, 0.25)],
        correlation=False,
    )
    return truth, cmp


def test_fit_recovers_the_ensemble(comparison) -> None:
    truth, cmp = comparison
    z = cmp.fit.z_scores(
        {
            "in_degree[I][I]": 4.0,
            "in_degree[E][I]": 4.0,
            "weight[I][I].sigma": 1.0,
            "tau[I].a": 2.0,
            "tau[I].b": 2.0,
            "gain[I].a": 2.0,
            "gain[I].b": 2.0,
        }
    )
    assert max(abs(v) for v in z.values()) < 4.0, z
    true_edge = rmt.sparse_edge(truth)
    # the fitted ensemble's edge moves with the estimates' errors only: well within 2 % of width
    assert abs(cmp.edge.edge - true_edge.edge) < 0.02 * true_edge.height


def test_predicted_spectrum_against_the_eigenvalues(comparison) -> None:
    _, cmp = comparison
    assert np.all(np.abs(cmp.z) < 4.0), cmp.rows()
    # the dense limit misses the bar and the support: rejected on the same regions
    se = np.maximum(cmp.measured_se, 1e-12)
    assert np.max(np.abs(cmp.measured - cmp.dense) / se) > 10
    # the exact bar: singletons against n times the predicted fraction (+ O(1) small components)
    assert abs(cmp.bar_measured - cmp.bar_predicted) < 4 * np.sqrt(cmp.bar_predicted) + 10
    # the 0.99 quantile of the real parts, within a tenth of the bulk width
    assert abs(cmp.quantile_measured - cmp.quantile_predicted) < 0.1 * cmp.width
    # the rightmost eigenvalue: inside the edge, not below the level where n F(x) = 4.6 (the
    # first percentile of the maximum of Poisson counts); its predicted median lies between
    low = rmt.cavity_quantile(
        cmp.fit.ensemble, 1 - 4.6 / cmp.n, rmt.CavitySettings(pool=1000, sweeps=120), edge=cmp.edge
    )
    assert low < cmp.rightmost_predicted < cmp.edge.edge
    assert low < cmp.rightmost < cmp.edge.edge


def test_summary_and_dataset(comparison) -> None:
    _, cmp = comparison
    json.dumps(cmp.summary(), allow_nan=False)
    ds = cmp.to_xarray()
    assert ds.sizes["region"] == len(cmp.region_names) == 4
    assert "fraction_sparse_pred" in ds
    assert len(cmp.rows()) == 4
