r"""The rate network spec and its realizations.

.. math:: \tau_i \dot x_i = -x_i + \sum_j J_{ij}\,\phi(x_j) + b_i + \sigma\,\xi_i(t)

(physics.md section 1.)

- :class:`RateNetwork` -- ensemble, nonlinearity, timescales, noise and static input.
- :class:`Seeds` -- separate seeds for the coupling draw, the static input, initial states and
  the noise.
- :func:`realize` -- draw one realization (``J``, ``b``, ``tau``) from a network and seeds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from randrnn._typing import FloatArray
from randrnn._validation import (
    check_array,
    check_in,
    check_nonnegative,
    check_nonnegative_int,
    check_positive,
)
from randrnn.ensembles import AbstractEnsemble
from randrnn.nonlinearities import AbstractNonlinearity, nonlinearity

#: stream indices used to derive independent generators from the recorded seeds
STREAMS = ("coupling", "input", "initial", "noise")


@dataclass(frozen=True, slots=True, kw_only=True)
class Seeds:
    """Seeds of the independent random streams of one experiment.

    Each stream ``s`` uses ``SeedSequence(seed_s, spawn_key=(index_s,))``, so streams are
    independent even when two seeds are equal, and the coupling draw does not depend on the
    noise seed.

    Parameters
    ----------
    coupling : int
        Quenched disorder: the coupling matrix.
    input : int
        The static input vector (when ``sigma_b > 0``).
    initial : int
        Initial states of all trials.
    noise : int
        Dynamical noise of all trials.
    """

    coupling: int = 0
    input: int = 1
    initial: int = 2
    noise: int = 3

    def __post_init__(self) -> None:
        for name in STREAMS:
            check_nonnegative_int(f"seeds.{name}", getattr(self, name))

    def generator(self, stream: str) -> np.random.Generator:
        """Return a fresh generator for ``stream`` (one of ``coupling, input, initial, noise``)."""
        check_in("stream", stream, STREAMS)
        seed = getattr(self, stream)
        return np.random.default_rng(
            np.random.SeedSequence(seed, spawn_key=(STREAMS.index(stream),))
        )

    def to_dict(self) -> dict[str, int]:
        """Return the seeds as a plain dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class RateNetwork:
    r"""A random rate network (physics.md section 1).

    Parameters
    ----------
    ensemble : AbstractEnsemble
        Coupling ensemble; its size is the number of units.
    phi : AbstractNonlinearity or str
        Transfer function or its name (``tanh``, ``erf``, ``relu``, ``linear``).
    tau : float or (n,) array_like
        Time constant(s), in units of the reference time constant.
    sigma : float
        White-noise amplitude, :math:`\langle\xi_i(t)\xi_j(s)\rangle = \delta_{ij}\delta(t-s)`.
    sigma_b : float
        Standard deviation of an i.i.d. Gaussian static input (drawn from the ``input`` seed).
    b : (n,) array_like, optional
        A given static input vector (exclusive with ``sigma_b > 0``).

    Examples
    --------
    >>> from randrnn.ensembles import GaussianEnsemble
    >>> net = RateNetwork(ensemble=GaussianEnsemble(n=100, g=2.0), phi="tanh")
    >>> net.n, net.phi.name
    (100, 'tanh')
    """

    ensemble: AbstractEnsemble
    phi: AbstractNonlinearity | str = "tanh"
    tau: float | FloatArray = 1.0
    sigma: float = 0.0
    sigma_b: float = 0.0
    b: FloatArray | None = field(default=None)

    def __post_init__(self) -> None:
        if not isinstance(self.ensemble, AbstractEnsemble):
            raise TypeError(
                f"`ensemble` must be an AbstractEnsemble (e.g. GaussianEnsemble); "
                f"got {type(self.ensemble).__name__}."
            )
        object.__setattr__(self, "phi", nonlinearity(self.phi))
        n = self.ensemble.size
        if np.ndim(self.tau) == 0:
            object.__setattr__(self, "tau", check_positive("tau", self.tau))
        else:
            tau = check_array("tau", self.tau, shape=(n,))
            if np.any(tau <= 0):
                raise ValueError(f"`tau` must be > 0 for every unit; got min(tau)={tau.min()!r}.")
            tau.setflags(write=False)
            object.__setattr__(self, "tau", tau)
        object.__setattr__(self, "sigma", check_nonnegative("sigma", self.sigma))
        object.__setattr__(self, "sigma_b", check_nonnegative("sigma_b", self.sigma_b))
        if self.b is not None:
            if self.sigma_b > 0:
                raise ValueError(
                    "`b` and `sigma_b` are exclusive; got a vector b and "
                    f"sigma_b={self.sigma_b!r}. "
                    "Set sigma_b=0 to use a given input vector."
                )
            b = check_array("b", self.b, shape=(n,))
            b.setflags(write=False)
            object.__setattr__(self, "b", b)

    @property
    def n(self) -> int:
        """Number of units."""
        return self.ensemble.size

    @property
    def heterogeneous_tau(self) -> bool:
        """Whether ``tau`` is given per unit."""
        return np.ndim(self.tau) == 1

    def tau_vector(self) -> FloatArray:
        """Return ``tau`` as an ``(n,)`` array."""
        return np.broadcast_to(np.asarray(self.tau, dtype=float), (self.n,)).copy()

    def to_config(self) -> dict[str, Any]:
        """Return a JSON/TOML-able description of the spec."""
        tau = self.tau if np.ndim(self.tau) == 0 else np.asarray(self.tau).tolist()
        out: dict[str, Any] = {
            "ensemble": self.ensemble.to_config(),
            "phi": self.phi.to_config(),  # type: ignore[union-attr]
            "tau": tau,
            "sigma": self.sigma,
            "sigma_b": self.sigma_b,
        }
        if self.b is not None:
            out["b"] = np.asarray(self.b).tolist()
        return out


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Realization:
    """One draw of a network: couplings, static input and time constants.

    Parameters
    ----------
    network : RateNetwork
        The spec it was drawn from.
    seeds : Seeds
        The seeds used (the ``coupling`` and ``input`` streams are consumed here).
    J : (n, n) ndarray
        Couplings, float64.
    b : (n,) ndarray
        Static input (zeros if none).
    tau : (n,) ndarray
        Time constants.
    """

    network: RateNetwork
    seeds: Seeds
    J: FloatArray
    b: FloatArray
    tau: FloatArray

    @property
    def n(self) -> int:
        """Number of units."""
        return self.network.n


def realize(network: RateNetwork, seeds: Seeds | None = None) -> Realization:
    """Draw the couplings and static input of ``network`` from ``seeds``.

    Parameters
    ----------
    network : RateNetwork
        The spec.
    seeds : Seeds, optional
        Seeds; defaults to ``Seeds()``.

    Returns
    -------
    Realization
        ``J`` from the ``coupling`` stream, ``b`` from the ``input`` stream.

    Examples
    --------
    >>> from randrnn.ensembles import GaussianEnsemble
    >>> net = RateNetwork(ensemble=GaussianEnsemble(n=50, g=1.0))
    >>> a = realize(net, Seeds(coupling=7, noise=1))
    >>> b = realize(net, Seeds(coupling=7, noise=2))
    >>> bool((a.J == b.J).all())
    True
    """
    seeds = Seeds() if seeds is None else seeds
    if not isinstance(seeds, Seeds):
        raise TypeError(f"`seeds` must be a randrnn.Seeds; got {type(seeds).__name__}.")
    J = network.ensemble.sample(seeds.generator("coupling"))
    if network.b is not None:
        b = np.array(network.b, dtype=float)
    elif network.sigma_b > 0:
        b = network.sigma_b * seeds.generator("input").standard_normal(network.n)
    else:
        b = np.zeros(network.n)
    return Realization(network=network, seeds=seeds, J=J, b=b, tau=network.tau_vector())
