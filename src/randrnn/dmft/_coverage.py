"""What the single-population DMFT covers, checked on a network spec (private).

The DMFT solvers read a network only through these functions: the coupling ensemble through
its :meth:`~randrnn.ensembles.AbstractEnsemble.statistics` (one population of i.i.d.
zero-mean couplings), the time constant as one scalar. Anything else is refused with an error
that names what is unsupported and what is.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from randrnn.networks import RateNetwork

#: what the single-population DMFT covers, as said in every refusal
COVERS = "one population of i.i.d. zero-mean couplings (GaussianEnsemble, eta = 0)"


def check_network(network: Any, entry: str) -> RateNetwork:
    """Return ``network`` if it is a :class:`~randrnn.networks.RateNetwork`."""
    if not isinstance(network, RateNetwork):
        raise TypeError(
            f"`network` must be a RateNetwork for {entry}; got {type(network).__name__}. "
            "Build one with randrnn.RateNetwork(ensemble=..., phi=...)."
        )
    return network


def _needs(stats: Any) -> str:
    needs = []
    if stats.n_populations > 1 or np.any(np.asarray(stats.block_mean) != 0):
        needs.append("the multi-population DMFT")
    if stats.symmetry != 0:
        needs.append("the DMFT of partially symmetric couplings")
    if stats.rank:
        needs.append("the low-rank mean-field theory")
    if not stats.dense:
        needs.append("the DMFT of sparse couplings (finite in-degree)")
    return " and ".join(needs) or "a DMFT for this ensemble"


def iid_gain(network: RateNetwork, entry: str) -> float:
    """Return ``g`` of an i.i.d. zero-mean ensemble, or raise ``TypeError`` saying what is not."""
    ens = network.ensemble
    statistics = getattr(ens, "statistics", None)
    if statistics is None:
        raise TypeError(
            f"{entry} covers {COVERS}; got {type(ens).__name__}, which does not describe its "
            "coupling statistics (AbstractEnsemble.statistics())."
        )
    stats = statistics()
    g = stats.iid_gain()
    if g is None:
        raise TypeError(
            f"{entry} covers {COVERS}; got {type(ens).__name__} with "
            f"{stats.describe_unsupported()}: this needs {_needs(stats)}, which randrnn does "
            "not have yet."
        )
    return float(g)


def scalar_tau(network: RateNetwork, entry: str) -> float:
    """Return the one time constant of ``network``, or raise ``ValueError`` for several."""
    tau = network.tau
    if isinstance(tau, tuple):  # one law per population
        if not network.heterogeneous_tau:
            return float(tau[0].mean)
        raise ValueError(
            f"`network.tau` must be one value for all units for {entry}; got one law per "
            f"population ({', '.join(repr(d) for d in tau)}). The single-population DMFT "
            "assumes one time constant: pass a scalar tau."
        )
    if np.ndim(tau) == 0:
        return float(tau)  # type: ignore[arg-type]
    arr = np.asarray(tau, dtype=float)
    if arr.size and np.all(arr == arr.flat[0]):
        return float(arr.flat[0])
    raise ValueError(
        f"`network.tau` must be one value for all units for {entry}; got per-unit tau of shape "
        f"{arr.shape} (min {arr.min():g}, max {arr.max():g}). The single-population DMFT "
        "assumes one time constant: pass a scalar tau."
    )
