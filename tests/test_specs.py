"""Network specs: validation messages name the argument, the value and the fix."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from randrnn import Custom, GaussianEnsemble, RateNetwork, Seeds, nonlinearity, realize
from randrnn.io import apply_overrides, experiment_from_config


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"n": -5, "g": 1.0}, ValueError, r"`ensemble.n` must be a positive integer; got -5"),
        ({"n": 0, "g": 1.0}, ValueError, r"`ensemble.n` must be a positive integer; got 0"),
        ({"n": 2.5, "g": 1.0}, TypeError, r"`ensemble.n` must be a positive integer; got 2\.5"),
        ({"n": 10, "g": -1.0}, ValueError, r"`ensemble.g` must be >= 0; got -1\.0"),
        ({"n": 10, "g": float("nan")}, ValueError, r"`ensemble.g` must be finite; got nan"),
    ],
)
def test_ensemble_validation(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        GaussianEnsemble(**kwargs)


def test_network_validation():
    ens = GaussianEnsemble(n=4, g=1.0)
    with pytest.raises(ValueError, match=r"`sigma` must be >= 0; got -0\.5"):
        RateNetwork(ensemble=ens, sigma=-0.5)
    with pytest.raises(ValueError, match=r"`phi` must be one of .*; got 'softplus'"):
        RateNetwork(ensemble=ens, phi="softplus")
    with pytest.raises(ValueError, match=r"`network.tau` must have shape \(4,\); got shape \(3,\)"):
        RateNetwork(ensemble=ens, tau=np.ones(3))
    with pytest.raises(ValueError, match=r"`network.tau` must be > 0"):
        RateNetwork(ensemble=ens, tau=-1.0)
    with pytest.raises(ValueError, match=r"`b` must have shape \(4,\); got shape \(2, 2\)"):
        RateNetwork(ensemble=ens, b=np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"`b` and `sigma_b` are exclusive"):
        RateNetwork(ensemble=ens, b=np.ones(4), sigma_b=1.0)
    with pytest.raises(TypeError, match=r"`ensemble` must be an AbstractEnsemble"):
        RateNetwork(ensemble="gaussian")
    with pytest.raises(ValueError, match=r"`seeds.noise` must be a non-negative integer; got -1"):
        Seeds(noise=-1)


def test_specs_are_frozen():
    ens = GaussianEnsemble(n=4, g=1.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ens.g = 2.0  # type: ignore[misc]
    assert dataclasses.replace(ens, g=2.0).g == 2.0


def test_custom_nonlinearity():
    f = Custom(func=np.arctan, deriv=lambda x: 1 / (1 + x**2), label="atan", is_odd_function=True)
    assert f.is_odd
    assert f.to_config() == "custom:atan"
    with pytest.raises(TypeError, match=r"`func` must be callable"):
        Custom(func=3, deriv=np.cos)
    with pytest.raises(ValueError, match=r"`is_odd_function` must match `func`"):
        Custom(func=np.exp, deriv=np.exp, is_odd_function=True)


@pytest.mark.parametrize("name", ["tanh", "erf", "relu", "linear"])
def test_derivatives_and_antiderivatives(name):
    """phi' and Phi checked against finite differences (tolerance: O(h^2) central differences)."""
    f = nonlinearity(name)
    x = np.linspace(-3, 3, 61) + 0.013  # avoid the ReLU kink at 0
    h = 1e-5
    np.testing.assert_allclose(f.derivative(x), (f(x + h) - f(x - h)) / (2 * h), atol=1e-8)
    np.testing.assert_allclose(
        f(x), (f.antiderivative(x + h) - f.antiderivative(x - h)) / (2 * h), atol=1e-8
    )
    assert float(f.antiderivative(np.array(0.0))) == pytest.approx(0.0, abs=1e-15)


def test_static_input_draw_uses_input_stream():
    net = RateNetwork(ensemble=GaussianEnsemble(n=100, g=1.0), sigma_b=0.5)
    a = realize(net, Seeds(input=1, coupling=5))
    b = realize(net, Seeds(input=1, coupling=6))
    assert np.array_equal(a.b, b.b)
    assert not np.array_equal(a.J, b.J)
    assert abs(a.b.std() - 0.5) < 5 * 0.5 / np.sqrt(2 * 100)  # 5 SE of a sample std


def test_config_unknown_keys_are_listed():
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['gain'\] in \[network\]; valid keys"):
        experiment_from_config({"ensemble": {"n": 10, "g": 1.0}, "network": {"gain": 2}})
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['dtt'\] in \[simulation\]"):
        experiment_from_config({"ensemble": {"n": 10, "g": 1.0}, "simulation": {"dtt": 2}})
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['G'\] in `ensemble`"):
        experiment_from_config({"ensemble": {"n": 10, "G": 1.0}})
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['netwrk'\] in \[config\]"):
        experiment_from_config({"netwrk": {}})


def test_overrides_parse_toml_values():
    cfg = apply_overrides({"ensemble": {"g": 1.0}}, ["ensemble.g=2.5", "network.phi=erf"])
    assert cfg == {"ensemble": {"g": 2.5}, "network": {"phi": "erf"}}
    with pytest.raises(ValueError, match=r"`--set` must be key=value"):
        apply_overrides({}, ["ensemble.g"])
