"""sweeps: the scaling sweep, typed, with spawned realization seeds (small sizes)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers import run_config
from randrnn.covariance import UnstableNetworkError
from randrnn.covariance import network as covariance_network
from randrnn.sweeps import SCALING_METRICS, realization_seeds, run_scaling


def test_realization_seeds_are_spawned_not_consecutive():
    seeds = realization_seeds(5, 4)
    assert seeds == realization_seeds(5, 4)
    assert len(set(seeds)) == 4
    assert seeds != (5, 6, 7, 8)
    children = np.random.SeedSequence(5).spawn(4)
    assert seeds[2] == int(children[2].generate_state(1, dtype=np.uint32)[0])


def test_scaling_goes_on_when_the_naive_closure_does_not_apply(monkeypatch):
    """The optional naive closure failing at every size leaves NaN there, not an aborted sweep."""

    def unstable(*args, **kwargs):
        raise UnstableNetworkError("naive closure unstable (forced)", eigenvalues=np.array([2.0]))

    monkeypatch.setattr(covariance_network, "naive_closure_covariance", unstable)
    res = run_scaling(run_config(coupling=3), [30, 40], n_realizations=2, progress=False)
    assert res.sizes == (30, 40)
    assert res.coupling_seeds == realization_seeds(3, 2)
    assert set(res.metrics) == set(SCALING_METRICS)
    assert np.all(np.isnan(res.metrics["naive_offdiag_corr"]))
    assert np.all(np.isfinite(res.metrics["offdiag_corr"]))
    assert all(
        s.startswith("not applicable: naive closure unstable")
        for row in res.naive_status
        for s in row
    )
    s = json.loads(json.dumps(res.summary()), parse_constant=pytest.fail)
    assert s["metrics"]["naive_offdiag_corr"] == [[None, None], [None, None]]
    assert s["coupling_seeds"] == list(res.coupling_seeds)
    assert set(s["fits"]) == {
        "rms_residual_exponent",
        "rms_residual_exponent_se",
        "rms_activity_exponent",
        "rms_activity_exponent_se",
    }
    ds = res.to_xarray()
    assert list(ds["coupling_seed"].values) == list(res.coupling_seeds)
    assert ds["offdiag_corr"].dims == ("n", "realization")
    assert ds["offdiag_corr"].attrs["long_name"] == SCALING_METRICS["offdiag_corr"][0]
    np.testing.assert_array_equal(res.mean("offdiag_corr"), ds["offdiag_corr"].mean("realization"))


def test_scaling_rejects_bad_sizes():
    with pytest.raises(ValueError, match=r"`sizes` must hold >= 2 sizes, each >= 4"):
        run_scaling(run_config(), [100])
    with pytest.raises(ValueError, match=r"`n_realizations` must be >= 1"):
        run_scaling(run_config(), [10, 20], n_realizations=0)
