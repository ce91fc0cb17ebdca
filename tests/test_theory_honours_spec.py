"""Every theory entry point honours every property of the network it is given, or refuses.

For each field of :class:`~randrnn.networks.RateNetwork` (and of its Gaussian ensemble) and
each entry point, changing the field from a base network must either change the prediction or
raise an error that names the property. The only exceptions are stated here with their reason:
the DMFT is an N -> infinity theory, so ``n`` and ``allow_self_coupling`` (an O(1/N) change of
each unit's input) do not enter it; the realization-level prediction sees them through ``J``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from randrnn import GaussianEnsemble, RateNetwork, Seeds, realize
from randrnn.covariance import UnstableNetworkError, predict_covariance
from randrnn.dmft import FixedPoint, solve_classical, solve_stationary


def _ens(net: RateNetwork, **kw: Any) -> RateNetwork:
    return dataclasses.replace(net, ensemble=dataclasses.replace(net.ensemble, **kw))


def _alternating(n: int, value: float) -> np.ndarray:
    return value * (-1.0) ** np.arange(n)  # zero mean: the DMFT's i.i.d. input assumption holds


#: field -> how to change it from a base network
VARIATIONS: dict[str, Callable[[RateNetwork], RateNetwork]] = {
    "phi": lambda net: dataclasses.replace(net, phi="erf"),
    "tau": lambda net: dataclasses.replace(net, tau=2.0),
    "tau per unit": lambda net: dataclasses.replace(net, tau=np.linspace(1.0, 2.0, net.n)),
    "sigma": lambda net: dataclasses.replace(net, sigma=net.sigma + 0.3),
    "sigma_b": lambda net: dataclasses.replace(net, sigma_b=0.5),
    "b": lambda net: dataclasses.replace(net, b=_alternating(net.n, 0.5)),
    "ensemble.g": lambda net: _ens(net, g=net.ensemble.g + 0.3),
    "ensemble.eta": lambda net: _ens(net, eta=0.5),
    "ensemble.n": lambda net: _ens(net, n=2 * net.ensemble.n),
    "allow_self_coupling": lambda net: _ens(net, allow_self_coupling=False),
}

CHANGES = "changes"
N_INFINITY = "invariant: the DMFT is an N -> infinity theory"
TAU_REFUSED = ("raises", ValueError, r"`network\.tau` must be one value for all units")
ETA_REFUSED = ("raises", TypeError, r"eta = 0\.5.*partially symmetric")

#: (entry point, field) -> expected outcome
EXPECTED: dict[str, dict[str, Any]] = {
    "solve_stationary": {
        "phi": CHANGES,
        "tau": CHANGES,  # time axis (and sigma^2 / tau)
        "tau per unit": TAU_REFUSED,
        "sigma": CHANGES,
        "sigma_b": CHANGES,
        "b": CHANGES,  # its mean square enters as sigma_b^2
        "ensemble.g": CHANGES,
        "ensemble.eta": ETA_REFUSED,
        "ensemble.n": N_INFINITY,
        "allow_self_coupling": N_INFINITY,
    },
    "solve_classical": {
        "phi": CHANGES,
        "tau": CHANGES,  # time axis only: Delta0 is the same
        "tau per unit": TAU_REFUSED,
        "sigma": ("raises", ValueError, r"sigma = sigma_b = 0"),
        "sigma_b": ("raises", ValueError, r"sigma = sigma_b = 0"),
        "b": ("raises", ValueError, r"no input vector"),
        "ensemble.g": CHANGES,
        "ensemble.eta": ETA_REFUSED,
        "ensemble.n": N_INFINITY,
        "allow_self_coupling": N_INFINITY,
    },
    "predict_covariance": {
        "phi": CHANGES,
        "tau": CHANGES,
        "tau per unit": TAU_REFUSED,  # by the DMFT it needs
        "sigma": CHANGES,
        "sigma_b": CHANGES,  # per-unit means, gains and residuals
        "b": CHANGES,
        "ensemble.g": CHANGES,
        "ensemble.eta": ETA_REFUSED,
        "ensemble.n": CHANGES,  # another J
        "allow_self_coupling": CHANGES,  # J without its diagonal
    },
}

BASE = {
    "solve_stationary": RateNetwork(ensemble=GaussianEnsemble(n=30, g=1.5), phi="tanh", sigma=0.3),
    "solve_classical": RateNetwork(ensemble=GaussianEnsemble(n=30, g=1.5), phi="tanh"),
    "predict_covariance": RateNetwork(
        ensemble=GaussianEnsemble(n=30, g=0.6), phi="tanh", sigma=0.5
    ),
}


def _dmft_summary(sol: Any) -> np.ndarray:
    # order parameters and the autocovariance at fixed times (in the network's units)
    t = np.array([0.5, 2.0, 5.0])
    at = np.interp(t, sol.lags, sol.delta)
    return np.concatenate([[sol.delta0, sol.delta_inf], at])


def _stationary(net: RateNetwork) -> np.ndarray:
    # the same lag step in units of tau keeps the discrete problems comparable
    tau = float(np.max(net.tau)) if np.ndim(net.tau) else float(net.tau)
    return _dmft_summary(solve_stationary(net, solver=FixedPoint(dt=0.05 * tau)))


def _classical(net: RateNetwork) -> np.ndarray:
    sol = solve_classical(net)
    return np.concatenate([[sol.delta0], np.interp([0.5, 2.0, 5.0], sol.lags, sol.delta)])


def _predict(net: RateNetwork) -> np.ndarray:
    real = realize(net, Seeds(coupling=3))
    linear, _ = predict_covariance(net, real.J, real.b, solve_stationary(net), naive=False)
    return np.concatenate([linear.c_x.ravel(), linear.c_phi.ravel()])


ENTRIES: dict[str, Callable[[RateNetwork], np.ndarray]] = {
    "solve_stationary": _stationary,
    "solve_classical": _classical,
    "predict_covariance": _predict,
}

_CACHE: dict[str, np.ndarray] = {}


def _base(entry: str) -> np.ndarray:
    if entry not in _CACHE:
        _CACHE[entry] = ENTRIES[entry](BASE[entry])
    return _CACHE[entry]


@pytest.mark.parametrize("field", list(VARIATIONS))
@pytest.mark.parametrize("entry", list(ENTRIES))
def test_changing_a_field_changes_the_prediction_or_raises(entry: str, field: str) -> None:
    expected = EXPECTED[entry][field]
    varied = VARIATIONS[field](BASE[entry])
    if isinstance(expected, tuple):
        _, exc, match = expected
        with pytest.raises(exc, match=match):
            ENTRIES[entry](varied)
        return
    base = _base(entry)
    got = ENTRIES[entry](varied)
    if expected == CHANGES:
        # a different array length is a change too (another n); otherwise more than the solver
        # tolerance (1e-10 relative) and rounding could explain
        same = got.shape == base.shape and np.allclose(got, base, rtol=1e-8, atol=1e-12)
        assert not same, f"{entry} ignored {field}"
    else:
        np.testing.assert_array_equal(got, base, err_msg=f"{entry}, {field}: {expected}")


def test_every_field_and_entry_has_an_expectation() -> None:
    fields = {f.name for f in dataclasses.fields(RateNetwork)} - {"ensemble"}
    fields |= {f"ensemble.{f.name}" for f in dataclasses.fields(GaussianEnsemble)} - {
        "ensemble.allow_self_coupling"
    }
    fields |= {"allow_self_coupling"}
    assert fields <= set(VARIATIONS)
    for entry in ENTRIES:
        assert set(EXPECTED[entry]) == set(VARIATIONS)


# ---------------------------------------------------------------------------------------------
# predict_covariance refuses by itself, not only because the DMFT did
# ---------------------------------------------------------------------------------------------

NET = BASE["predict_covariance"]


@pytest.fixture(scope="module")
def dmft():  # type: ignore[no-untyped-def]
    return solve_stationary(NET)


def test_prediction_refuses_a_dmft_of_another_network(dmft) -> None:  # type: ignore[no-untyped-def]
    J = realize(NET).J
    for other, what in [
        (dataclasses.replace(NET, phi="erf"), "phi"),
        (dataclasses.replace(NET, sigma=0.9), "sigma"),
        (dataclasses.replace(NET, tau=3.0), "tau"),
        (_ens(NET, g=0.7), "g"),
    ]:
        with pytest.raises(ValueError, match=rf"same network.*{what} "):
            predict_covariance(other, J, None, dmft)


def test_prediction_refuses_what_it_does_not_cover(dmft) -> None:  # type: ignore[no-untyped-def]
    J = realize(NET).J
    with pytest.raises(ValueError, match=r"`b` must be the network's static input"):
        predict_covariance(NET, J, _alternating(NET.n, 0.1), dmft)
    with pytest.raises(ValueError, match=r"`tau` must be one value within each population"):
        predict_covariance(dataclasses.replace(NET, tau=np.linspace(1, 2, NET.n)), J, None, dmft)
    with pytest.raises(TypeError, match=r"eta = 0\.5"):
        predict_covariance(_ens(NET, eta=0.5), J, None, dmft)
    with pytest.raises(TypeError, match=r"`J` must be real"):
        predict_covariance(NET, J + 1e-3j, None, dmft)
    with pytest.raises(ValueError, match=r"`J` must have shape \(30, 30\)"):
        predict_covariance(NET, J[:5, :5], None, dmft)
    with pytest.raises(TypeError, match=r"`dmft` must be a stationary DMFT solution"):
        predict_covariance(NET, J, None, object())
    with pytest.raises(TypeError, match=r"`naive` must be true or false"):
        predict_covariance(NET, J, None, dmft, naive="false")  # type: ignore[arg-type]
    failed = solve_stationary(
        dataclasses.replace(NET, sigma=0.5), solver=FixedPoint(max_iter=1), on_failure="return"
    )
    with pytest.raises(ValueError, match=r"`dmft` must be a converged solution"):
        predict_covariance(NET, J, None, failed)


@pytest.mark.filterwarnings("ignore::randrnn.errors.FiniteSizeWarning")
def test_naive_closure_not_applicable_is_reported_not_raised() -> None:
    """Small N, g * mu1 near 1: the naive closure's fixed point has no positive solution for
    many realizations (mu1 max|lam| >= 1) while the linear-equivalent network is stable."""
    net = RateNetwork(ensemble=GaussianEnsemble(n=12, g=0.95), phi="linear", sigma=1.0)
    dmft = solve_stationary(net)
    reports = []
    for seed in range(40):
        real = realize(net, Seeds(coupling=seed))
        try:
            result = predict_covariance(net, real.J, real.b, dmft)
        except UnstableNetworkError:
            continue  # the main prediction may refuse an unstable realization
        reports.append(result)
        if result.naive_status == "not applicable":
            linear, naive = result
            assert naive is None
            assert "mu1 * max|lam_k| < 1" in result.naive_reason
            assert linear.c_x.shape == (12, 12)
            break
    else:
        pytest.fail(f"no realization without a naive closure among {len(reports)} stable ones")
    off = predict_covariance(net, real.J, real.b, dmft, naive=False)
    assert off.naive_status == "disabled"
    assert off.naive is None


def test_tau_is_honoured_exactly_not_only_noticed() -> None:
    """tau only sets the time unit: at tau = 2 the equal-time covariances are those of tau = 1
    with sigma / sqrt(2) (the DMFTs solved on the same grid in units of tau, so both sides are
    the same discrete problem up to rounding). Ignoring tau gives about twice the variance."""
    slow = dataclasses.replace(NET, tau=2.0)
    fast = dataclasses.replace(NET, sigma=NET.sigma / np.sqrt(2.0))
    J = realize(NET).J
    a = predict_covariance(slow, J, None, solve_stationary(slow, solver=FixedPoint(dt=0.1)))
    b = predict_covariance(fast, J, None, solve_stationary(fast, solver=FixedPoint(dt=0.05)))
    for name in ("c_x", "c_phi", "c_xphi"):
        np.testing.assert_allclose(
            getattr(a.linear, name), getattr(b.linear, name), rtol=1e-9, atol=1e-12
        )
    assert a.naive is not None
    assert b.naive is not None
    np.testing.assert_allclose(a.naive.c_x, b.naive.c_x, rtol=1e-9, atol=1e-12)
    assert a.linear.tau == 2.0
    assert a.linear.sigma == NET.sigma


def test_prediction_gives_units_of_a_nonzero_mean_rate_their_own_gains() -> None:
    """ReLU has E[phi] > 0: J's row sums make per-unit mean inputs, so the prediction must use
    the heterogeneous theory (one gain for all units gave a participation ratio of 73.8
    against 6.5 simulated at g = 1.2, sigma = 0.5, N = 100)."""
    net = RateNetwork(ensemble=GaussianEnsemble(n=100, g=1.2), phi="relu", sigma=0.5)
    real = realize(net, Seeds())
    pred = predict_covariance(net, real.J, real.b, solve_stationary(net))
    assert pred.theory == "heterogeneous"
    mf = pred.mean_field
    assert mf is not None
    assert mf.residual <= 1e-12
    assert float(np.std(mf.means)) > 0.1  # the row sums of J give units different means
    assert float(np.std(pred.residuals.gains)) > 0.05
