"""experiments.trained: equilibria of an E/I sigmoid network and its Jacobian vs the ensemble."""

from __future__ import annotations

import json

import numpy as np
import pytest

from randrnn import RateNetwork, Seeds, realize
from randrnn.ensembles import BlockEnsemble, HalfNormal, Uniform
from randrnn.experiments.trained import analyze_equilibria
from randrnn.rmt import CavitySettings

FAST = CavitySettings(pool=200, burn_in=10, sweeps=20, batches=4, points_per_side=8)


@pytest.fixture(scope="module")
def realization():
    ens = BlockEnsemble(
        n=120,
        fractions=(0.8, 0.2),
        signs=(1, -1),
        in_degree=((12.0, 6.0), (12.0, 6.0)),
        weights=((HalfNormal(scale=0.5), HalfNormal(scale=1.5)),) * 2,
        scaling="none",
    )
    net = RateNetwork(
        ensemble=ens,
        phi="sigmoid",
        tau=[Uniform(low=4.0, high=10.0), Uniform(low=8.0, high=25.0)],
        sigma_b=0.3,
    )
    return realize(net, Seeds(coupling=2))


@pytest.fixture(scope="module")
def result(realization):
    return analyze_equilibria(realization, n_random=8, cavity=FAST)


def test_the_equilibrium_and_its_jacobian_by_hand(realization, result):
    """The analysed point is a fixed point to 1e-8 and its eigenvalues are those of
    T^-1 (-I + W diag(phi'(x*))) built here from the couplings."""
    x = result.fixed_points.points[result.index]
    phi = realization.network.phi
    r = np.asarray(phi(x))
    drift = (-x + realization.J @ r + realization.b) / realization.tau
    assert np.linalg.norm(drift) <= 1e-8
    assert result.residual <= 1e-8
    gain = np.asarray(phi.derivative(x)) if hasattr(phi, "derivative") else r * (1 - r)
    jac = (-np.eye(len(x)) + realization.J * gain[None, :]) / realization.tau[:, None]
    eig = np.linalg.eigvals(jac)
    assert result.rightmost == pytest.approx(float(eig.real.max()), abs=1e-9)
    np.testing.assert_allclose(result.gain, gain, rtol=1e-12)
    np.testing.assert_allclose(np.sort(result.eigenvalues.real), np.sort(eig.real), atol=1e-8)


def test_summary_and_dataset(result):
    s = json.loads(json.dumps(result.summary()), parse_constant=pytest.fail)
    assert [p["population"] for p in s["populations"]] == ["E", "I"]
    assert s["populations"][0]["units"] == 96
    # the inhibitory timescales were drawn slower: the measured means say so
    assert s["populations"][1]["tau_mean"] > s["populations"][0]["tau_mean"]
    c = s["comparison"]
    assert np.isfinite(c["edge_sparse_pred"])
    assert np.isfinite(c["edge_dense_pred"])
    assert len(c["regions"]) >= 2
    ds = result.to_xarray()
    assert ds["eig_real"].size == 120
    assert ds["tau"].dims == ("unit",)


def test_bad_arguments_are_named(realization):
    with pytest.raises(ValueError, match="`choice` must be one of"):
        analyze_equilibria(realization, choice="best")
    with pytest.raises(TypeError, match=r"`realization` must be a randrnn\.Realization"):
        analyze_equilibria(np.eye(3))
    with pytest.raises(ValueError, match="`quantile` must lie in"):
        analyze_equilibria(realization, quantile=1.5)
