r"""The covariance prediction for one realization of a network spec (docs/theory.md section 3).

:func:`predict_covariance` is the entry point for code that holds a
:class:`~randrnn.networks.RateNetwork`: it checks that the linear-equivalent theory covers every
property of the network (or refuses, naming the property), takes the noise and the time
constant from the network, and returns the linear-equivalent prediction with the optional
naive-closure comparison (:class:`NetworkCovariancePrediction`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from randrnn._validation import check_array, check_bool, check_in
from randrnn.covariance._common import UnstableNetworkError
from randrnn.covariance.naive import naive_closure_covariance
from randrnn.covariance.prediction import (
    CovariancePrediction,
    _check_coupling,
    linear_equivalent_covariance,
)
from randrnn.covariance.residual import ResidualStatistics
from randrnn.networks import RateNetwork

_ENTRY = "the linear-equivalent covariance prediction"
_COVERS = "one population of i.i.d. zero-mean couplings (GaussianEnsemble, eta = 0)"
NaiveStatus = Literal["compared", "disabled", "not applicable"]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class NetworkCovariancePrediction:
    r"""Covariance predictions for one realization of a network.

    Unpacks as ``(linear, naive)``.

    Parameters
    ----------
    linear : CovariancePrediction
        The linear-equivalent prediction.
    naive : CovariancePrediction or None
        The naive Gaussian closure, or None when it was disabled or does not apply.
    naive_status : {"compared", "disabled", "not applicable"}
        What happened to the naive closure.
    naive_reason : str
        Why it does not apply (empty otherwise), e.g. its fixed-point equation has no positive
        solution for this realization (:math:`\mu_1\max_k|\lambda_k| \ge 1`, common at small N).
    network : RateNetwork
        The network predicted.
    """

    linear: CovariancePrediction
    naive: CovariancePrediction | None
    naive_status: NaiveStatus
    naive_reason: str
    network: RateNetwork

    def __iter__(self) -> Iterator[CovariancePrediction | None]:
        return iter((self.linear, self.naive))


def _iid_gain(network: RateNetwork) -> float:
    stats = network.ensemble.statistics()
    g = stats.iid_gain()
    if g is None:
        raise TypeError(
            f"{_ENTRY} covers {_COVERS}; got {type(network.ensemble).__name__} with "
            f"{stats.describe_unsupported()}. Its residual statistics come from the "
            "single-population DMFT, which does not describe this ensemble."
        )
    return float(g)


def _scalar_tau(network: RateNetwork) -> float:
    tau = network.tau
    if isinstance(tau, tuple):  # one law per population
        if not network.heterogeneous_tau:
            return float(tau[0].mean)
    elif np.ndim(tau) == 0:
        return float(tau)  # type: ignore[arg-type]
    else:
        arr = np.asarray(tau, dtype=float)
        if np.all(arr == arr.flat[0]):
            return float(arr.flat[0])
    raise ValueError(
        f"`network.tau` must be one value for all units for {_ENTRY}; got time constants that "
        "differ between units. Heterogeneous time constants would need per-unit residual "
        "statistics, which are not implemented: pass a scalar tau."
    )


def _check_static_input(network: RateNetwork, b: ArrayLike | None, n: int) -> None:
    bv = None if b is None else check_array("b", b, shape=(n,))
    given = network.b is not None and bool(np.any(np.asarray(network.b) != 0))
    drawn = bv is not None and bool(np.any(bv != 0))
    if network.sigma_b > 0 or given or drawn:
        what = (
            f"sigma_b={network.sigma_b!r}"
            if network.sigma_b > 0
            else f"max |b| = {float(np.max(np.abs(bv if drawn else network.b))):.3g}"  # type: ignore[arg-type]
        )
        raise ValueError(
            f"the linear-equivalent prediction for heterogeneous units (static input) is not "
            f"implemented; it would silently use one gain for all units. Got {what}; set "
            "sigma_b = 0 and no input vector b."
        )


def _check_dmft(dmft: Any, network: RateNetwork, g: float, tau: float) -> None:
    spec = getattr(dmft, "spec", None)
    if not isinstance(spec, RateNetwork):
        raise TypeError(
            "`dmft` must be a stationary DMFT solution of the network (randrnn.solve_stationary)"
            f"; got {type(dmft).__name__}."
        )
    if getattr(dmft, "regime", None) == "divergent":
        raise ValueError(
            f"`dmft` has no stationary state ({dmft.message}); there is nothing to predict."
        )
    if not getattr(dmft, "converged", False):
        raise ValueError(
            f"`dmft` must be a converged solution; got one that stopped with: {dmft.message}."
        )
    mismatch = []
    if spec.phi != network.phi:
        mismatch.append(f"phi {spec.phi.to_config()!r} vs {network.phi.to_config()!r}")  # type: ignore[union-attr]
    g_dmft = spec.ensemble.statistics().iid_gain()
    if g_dmft is None or not math.isclose(g_dmft, g, rel_tol=1e-12):
        mismatch.append(f"g {g_dmft!r} vs {g!r}")
    for name, a, b in (
        ("sigma", spec.sigma, network.sigma),
        ("sigma_b", spec.sigma_b, network.sigma_b),
    ):
        if not math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0):
            mismatch.append(f"{name} {a!r} vs {b!r}")
    try:
        tau_dmft = _scalar_tau(spec)
    except ValueError:
        tau_dmft = math.nan
    if not math.isclose(tau_dmft, tau, rel_tol=1e-12):
        mismatch.append(f"tau {tau_dmft!r} vs {tau!r}")
    if mismatch:
        raise ValueError(
            "`dmft` must be solved for the same network (phi, g, sigma, sigma_b, tau); got "
            f"{', '.join(mismatch)} (dmft vs network). Solve the DMFT of this network."
        )
    if not dmft.mu1 > 0:
        raise ValueError(
            f"the DMFT state ({dmft.regime}) has gain mu1 = E[phi'(x)] = {dmft.mu1!r}: the "
            "linear-equivalent network is disconnected and there is nothing to predict."
        )
    mu0 = float(dmft.mu0)
    if abs(mu0) > 1e-10 * max(1.0, math.sqrt(abs(float(dmft.c0)))):
        raise ValueError(
            f"`network.phi` ({network.phi.name}) has a nonzero mean rate mu0 = E[phi(x)] = "  # type: ignore[union-attr]
            f"{mu0:.4g}: the row sums of J give every unit its own static input (standard "
            f"deviation g |mu0| = {g * abs(mu0):.3g}), so units differ in gain and residual "
            "statistics, which this prediction (one gain for all units) does not honour. Use a "
            "nonlinearity with E[phi] = 0 (tanh, erf, linear); the per-unit theory is not "
            "implemented yet."
        )


def predict_covariance(
    network: RateNetwork,
    J: ArrayLike,
    b: ArrayLike | None,
    dmft: Any,
    *,
    method: Literal["auto", "eigen", "quadrature"] = "auto",
    naive: bool = True,
) -> NetworkCovariancePrediction:
    r"""Predict the equal-time covariances of one realization of ``network``.

    Checks that the linear-equivalent theory covers the network, then calls
    :func:`linear_equivalent_covariance` with the couplings ``J``, the residual statistics of
    ``dmft`` (:meth:`ResidualStatistics.from_dmft`), the noise ``network.sigma`` and the time
    constant ``network.tau``; with ``naive=True`` also :func:`naive_closure_covariance`.

    Parameters
    ----------
    network : RateNetwork
        The network spec the realization was drawn from.
    J : (n, n) array_like
        Its couplings (real; sparse matrices are densified).
    b : (n,) array_like or None
        Its static input (must be zero: see Raises).
    dmft : StationarySolution
        The converged stationary DMFT of ``network`` (same phi, g, sigma, sigma_b, tau).
    method : {"auto", "eigen", "quadrature"}
        Algorithm of :func:`linear_equivalent_covariance`.
    naive : bool
        Also compute the naive Gaussian closure (for comparison).

    Returns
    -------
    NetworkCovariancePrediction
        ``linear`` and ``naive`` (unpacks as the pair); when the naive closure does not apply
        to this realization, ``naive`` is None and ``naive_reason`` says why (no exception:
        it is an optional comparison).

    Raises
    ------
    TypeError
        If ``network`` is not a RateNetwork, its ensemble is not one population of i.i.d.
        zero-mean couplings, ``J`` is complex, or ``dmft`` is not a DMFT solution.
    ValueError
        If the time constant differs between units, there is static input (``sigma_b > 0``,
        an input vector, or a nonzero ``b``), ``J`` does not have shape ``(n, n)``, or
        ``dmft`` did not converge or belongs to another network.
    UnstableNetworkError
        If the linear-equivalent network of this realization is unstable.

    Notes
    -----
    **What is honoured, field by field.** ``phi``: through ``dmft`` (checked to be the same).
    ``tau``: one time constant rescales time (derived in :func:`linear_equivalent_covariance`).
    ``sigma``: taken from the network. ``ensemble`` (``g``, ``eta``, ``n``,
    ``allow_self_coupling``): through ``J`` and the i.i.d. check; ``g`` must match the DMFT's.
    ``sigma_b`` and ``b``: refused (the units would need one gain each).

    **Assumptions and approximations**

    - Those of :func:`linear_equivalent_covariance`; each property of the network outside
      them raises instead of being ignored.

    Examples
    --------
    >>> from randrnn import GaussianEnsemble, RateNetwork, realize, solve_stationary
    >>> net = RateNetwork(ensemble=GaussianEnsemble(n=50, g=0.5), phi="linear", sigma=1.0, tau=2.0)
    >>> real = realize(net)
    >>> linear, naive = predict_covariance(net, real.J, real.b, solve_stationary(net))
    >>> from scipy.linalg import solve_continuous_lyapunov   # tau dx = (J - I) x dt + sigma dW
    >>> lyap = solve_continuous_lyapunov(real.J - np.eye(50), -np.eye(50) / 2.0)
    >>> bool(np.allclose(linear.c_x, lyap, rtol=1e-6, atol=1e-9))
    True
    """
    if not isinstance(network, RateNetwork):
        raise TypeError(
            f"`network` must be a RateNetwork for {_ENTRY}; got {type(network).__name__}."
        )
    check_in("method", method, ["auto", "eigen", "quadrature"])
    naive = check_bool("naive", naive)
    g = _iid_gain(network)
    tau = _scalar_tau(network)
    Jm = _check_coupling(J)
    n = network.n
    if Jm.shape != (n, n):
        raise ValueError(
            f"`J` must have shape ({n}, {n}) for a network of n = {n} units; got shape {Jm.shape}."
        )
    _check_static_input(network, b, n)
    _check_dmft(dmft, network, g, tau)
    residual = ResidualStatistics.from_dmft(dmft)
    linear = linear_equivalent_covariance(Jm, residual, sigma=network.sigma, tau=tau, method=method)
    if not naive:
        return NetworkCovariancePrediction(
            linear=linear, naive=None, naive_status="disabled", naive_reason="", network=network
        )
    try:
        closure = naive_closure_covariance(Jm, residual, sigma=network.sigma, tau=tau)
    except UnstableNetworkError as exc:
        return NetworkCovariancePrediction(
            linear=linear,
            naive=None,
            naive_status="not applicable",
            naive_reason=str(exc),
            network=network,
        )
    return NetworkCovariancePrediction(
        linear=linear, naive=closure, naive_status="compared", naive_reason="", network=network
    )
