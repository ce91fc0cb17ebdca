r"""``simulate_trajectories``: factored low-rank stepping, latent read-outs, noise and errors.

A pure low-rank realization (:math:`J = MN^T/n`, Beiran, Dubreuil, Valente, Mastrogiuseppe &
Ostojic, arXiv:2007.02062; docs/theory.md section 7.1) is stepped through its factors; the
same couplings given densely go through the dense stepper, and the two agree to rounding. A
state that starts in the span of the loadings stays there, and its projection follows the
exact latent dynamics of the network (:class:`randrnn.lowrank.NetworkLatentDynamics`,
integrated to 1e-10 by :func:`randrnn.lowrank.integrate_latent`); the exponential-Euler
integrator is first order, so the error halves with ``dt``.
"""

from __future__ import annotations

import importlib
import math
from typing import Any

import numpy as np
import pytest

from randrnn import GaussianEnsemble, RateNetwork, Seeds, realize
from randrnn.ensembles.lowrank import GaussianMixture, LowRankEnsemble
from randrnn.errors import DivergenceError
from randrnn.lowrank import NetworkLatentDynamics, integrate_latent
from randrnn.networks import Realization
from randrnn.simulate import simulate_trajectories

N = 200
#: the module (``randrnn.simulate`` the attribute is the function of that name)
sim = importlib.import_module("randrnn.simulate")


def _mixture() -> GaussianMixture:
    """Two components, rank 2, one input column; a stable fixed point and a rotation-like
    transient (n-m covariance with an antisymmetric part)."""
    covs = []
    for s in (1.0, -1.0):
        C = 0.3 * np.eye(5)
        C[:2, :2] = np.eye(2)
        C[2:4, :2] = np.array([[1.4, -0.6 * s], [0.6 * s, 1.2]])
        C[:2, 2:4] = C[2:4, :2].T
        C[2:4, 2:4] = 3.5 * np.eye(2)
        C[4, 4] = 1.0
        C[4, 2:4] = C[2:4, 4] = [0.4, -0.3]
        covs.append(C)
    means = np.array([[0.3, 0.0, 0.5, 0.2, 0.4], [-0.3, 0.1, -0.2, 0.4, -0.1]])
    return GaussianMixture(weights=[0.5, 0.5], means=means, covariances=covs)


def _real(sigma: float = 0.0, seeds: Seeds | None = None, phi: str = "tanh") -> Realization:
    ens = LowRankEnsemble(n=N, rank=2, n_inputs=1, mixture=_mixture())
    return realize(RateNetwork(ensemble=ens, phi=phi, sigma=sigma), seeds or Seeds(coupling=5))


def _dense_copy(real: Realization) -> Realization:
    """The same couplings given as a matrix of one's own (dense stepping)."""
    return Realization(
        network=real.network, seeds=real.seeds, J=real.J.copy(), b=real.b, tau=real.tau
    )


def _x0(real: Realization, B: int = 3) -> np.ndarray:
    return np.random.default_rng(1).standard_normal((B, real.n))


@pytest.mark.parametrize("phi", ["tanh", "erf", "relu"])
def test_factored_stepping_matches_dense(monkeypatch: pytest.MonkeyPatch, phi: str) -> None:
    """Same network, factored (O(n R)) vs dense (O(n^2)) steps: equal to float rounding."""
    built = []

    base: Any = sim.FactoredStepper

    class Spy(base):  # type: ignore[misc,valid-type]
        def __init__(self, *a, **k):  # type: ignore[no-untyped-def]
            built.append(1)
            super().__init__(*a, **k)

    monkeypatch.setattr(sim, "FactoredStepper", Spy)
    real = _real(phi=phi)
    x0 = _x0(real)
    u = lambda t: np.array([math.sin(t)])  # noqa: E731
    inputs = np.asarray(real.coupling.loadings)[:, 4:5]
    kw = {"dt": 0.05, "record_every": 4, "inputs": inputs, "u": u, "progress": False}
    a = simulate_trajectories(real, x0, 6.0, **kw)
    assert built == [1]
    b = simulate_trajectories(_dense_copy(real), x0, 6.0, **kw)
    assert built == [1]  # the matrix of one's own goes through the dense stepper
    assert a.readout.shape == (31, 3, N)
    assert a.t.shape == (31,)
    np.testing.assert_allclose(a.t, 0.2 * np.arange(31), rtol=1e-14)
    scale = float(np.abs(b.readout).max())
    np.testing.assert_allclose(a.readout, b.readout, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(a.x_final, b.x_final, rtol=0, atol=1e-12 * scale)
    np.testing.assert_array_equal(a.readout[0], x0)


def test_noise_stream_is_the_realizations() -> None:
    """Same seeds: identical trials (factored and dense alike); another noise seed: different."""
    real = _real(sigma=0.5, seeds=Seeds(coupling=5, noise=8))
    x0 = _x0(real, 2)
    kw = {"dt": 0.05, "record_every": 10, "progress": False}
    a = simulate_trajectories(real, x0, 2.0, **kw)
    b = simulate_trajectories(real, x0, 2.0, **kw)
    np.testing.assert_array_equal(a.readout, b.readout)
    d = simulate_trajectories(_dense_copy(real), x0, 2.0, **kw)
    np.testing.assert_allclose(a.readout, d.readout, atol=1e-11)
    other = _real(sigma=0.5, seeds=Seeds(coupling=5, noise=9))
    np.testing.assert_array_equal(other.J, real.J)
    c = simulate_trajectories(other, x0, 2.0, **kw)
    assert float(np.abs(c.readout[-1] - a.readout[-1]).min()) > 0.0
    # the noise actually moves the state: the noiseless run differs by O(sigma)
    q = simulate_trajectories(_real(sigma=0.0, seeds=Seeds(coupling=5, noise=8)), x0, 2.0, **kw)
    assert float(np.abs(q.readout[-1] - a.readout[-1]).mean()) > 0.05
    assert a.seeds == real.seeds.to_dict()
    assert a.to_xarray()["readout"].shape == a.readout.shape


def _latent_error(real: Realization, dt: float, t_max: float) -> tuple[float, float]:
    """Max errors of the projected network trajectory (kappa, v) vs the latent integration."""
    dyn = NetworkLatentDynamics.from_realization(real)
    inputs = dyn.inputs
    k0 = np.array([[0.8, -0.5], [-0.3, 1.0]])
    u = lambda t: np.array([0.6 * math.cos(1.5 * t)])  # noqa: E731
    x0 = k0 @ dyn.M.T  # in span(M), v(0) = 0
    rd = np.linalg.pinv(np.c_[dyn.M, inputs]).T  # (n, R + K): reads (kappa, v)
    steps = round(1.0 / dt)
    tr = simulate_trajectories(
        real, x0, t_max, dt=dt, record_every=steps, readout=rd, inputs=inputs, u=u, progress=False
    )
    lat = integrate_latent(dyn, k0, tr.t, u=u, v0=[0.0])
    return (
        float(np.abs(tr.readout[..., :2] - lat.kappa).max()),
        float(np.abs(tr.readout[..., 2:] - lat.v).max()),
    )


def test_projected_trajectory_follows_the_latent_dynamics_at_first_order() -> None:
    r"""Projection on (M, I) of the full trajectory vs :func:`integrate_latent` of the
    network's latent field with the filtered input :math:`\dot v = -v + u(t)`.

    Exponential Euler holds the recurrent input and ``u`` over a step: error O(dt). Halving dt
    halves the error: ratios within [1.7, 2.3] (first order with an O(dt^2) remainder).
    """
    real = _real()
    errs = np.array([_latent_error(real, dt, 6.0) for dt in (0.04, 0.02, 0.01)])
    assert np.all(errs[0] < 0.05)
    ratios = errs[:-1] / errs[1:]  # rows: halvings; columns: kappa, v
    assert np.all((ratios > 1.7) & (ratios < 2.3)), (errs, ratios)


def test_simulate_trajectories_errors() -> None:
    real = _real()
    x0 = _x0(real, 1)
    with pytest.raises(TypeError, match="realization"):
        simulate_trajectories("net", x0, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="x0"):
        simulate_trajectories(real, np.zeros((2, N + 1)), 1.0)
    with pytest.raises(ValueError, match="x0"):
        simulate_trajectories(real, np.full((1, N), np.nan), 1.0)
    with pytest.raises(ValueError, match="t_max"):
        simulate_trajectories(real, x0, -1.0)
    with pytest.raises(ValueError, match="dt"):
        simulate_trajectories(real, x0, 1.0, dt=1.5)
    with pytest.raises(ValueError, match="record_every"):
        simulate_trajectories(real, x0, 1.0, record_every=0)
    with pytest.raises(ValueError, match="readout"):
        simulate_trajectories(real, x0, 1.0, readout=np.ones((N - 1, 2)))
    with pytest.raises(ValueError, match="together"):
        simulate_trajectories(real, x0, 1.0, inputs=np.ones((N, 1)))
    with pytest.raises(ValueError, match="inputs"):
        simulate_trajectories(real, x0, 1.0, inputs=np.ones((N - 1, 1)), u=[1.0])
    with pytest.raises(ValueError, match="dtype"):
        simulate_trajectories(real, x0, 1.0, dtype="float16")  # type: ignore[arg-type]
    big = realize(RateNetwork(ensemble=GaussianEnsemble(n=20, g=1.0), phi="linear"))
    with pytest.raises(DivergenceError):
        simulate_trajectories(
            big, np.ones((1, 20)), 50.0, inputs=np.ones((20, 1)), u=[1e9], max_abs=1e6
        )
