r"""The rate network spec and its realizations.

.. math:: \tau_i \dot x_i = -x_i + \sum_j J_{ij}\,\phi(x_j) + b_i + \sigma\,\xi_i(t)

(docs/theory.md section 1.)

- :class:`RateNetwork` -- ensemble, nonlinearity, timescales, noise and static input.
- :class:`Seeds` -- separate seeds for the coupling draw, the static input, initial states and
  the noise.
- :func:`realize` -- draw one realization (``J``, ``b``, ``tau``) from a network and seeds.
- :func:`jacobian` -- the Jacobian :math:`T^{-1}(-I + J\,\mathrm{diag}(\phi'(x^*)))` of a
  realization at a state, as the :class:`~randrnn.ensembles.JacobianSample` that
  :mod:`randrnn.rmt` and :mod:`randrnn.spectra` consume.
"""

from __future__ import annotations

import hashlib
import json
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
from randrnn.ensembles import (
    AbstractDistribution,
    AbstractEnsemble,
    Coupling,
    JacobianEnsemble,
    JacobianSample,
    Samples,
    distribution_from_config,
)
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
    r"""A random rate network (docs/theory.md section 1).

    Parameters
    ----------
    ensemble : AbstractEnsemble
        Coupling ensemble; its size is the number of units.
    phi : AbstractNonlinearity or str
        Transfer function or its name (``tanh``, ``erf``, ``relu``, ``linear``).
    tau : float, (n,) array_like, or sequence of distributions
        Time constant(s), in units of the reference time constant: one for all units, one per
        unit, or one law per population of the ensemble (numbers or
        :class:`~randrnn.ensembles.AbstractDistribution`; drawn by :func:`realize` from the
        ``coupling`` seed after the couplings).
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
    tau: float | FloatArray | tuple[AbstractDistribution, ...] = 1.0
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
        object.__setattr__(self, "tau", _check_tau(self.tau, n, self.ensemble))
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
        """Whether units may have different time constants (per unit or per population)."""
        if isinstance(self.tau, tuple):
            return len({(d.kind, d.mean, d.second_moment) for d in self.tau}) > 1 or any(
                d.support[0] != d.support[1] for d in self.tau
            )
        return np.ndim(self.tau) == 1

    @property
    def tau_is_random(self) -> bool:
        """Whether ``tau`` is drawn per population (one law each) at realization."""
        return isinstance(self.tau, tuple)

    def tau_vector(self) -> FloatArray:
        """Return ``tau`` as an ``(n,)`` array (per-population laws: see :func:`realize`)."""
        if isinstance(self.tau, tuple):
            raise ValueError(
                "`tau` is drawn per population; its values exist per realization: use "
                "randrnn.realize(network, seeds).tau."
            )
        return np.broadcast_to(np.asarray(self.tau, dtype=float), (self.n,)).copy()

    def to_config(self) -> dict[str, Any]:
        """Return a JSON/TOML-able description of the spec."""
        if isinstance(self.tau, tuple):
            tau: Any = [d.to_config() for d in self.tau]
        else:
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


def _check_tau(tau: Any, n: int, ensemble: AbstractEnsemble) -> Any:
    """Validate ``tau``: a positive scalar, an ``(n,)`` array, or one law per population."""
    if isinstance(tau, (AbstractDistribution, dict)):
        raise TypeError(
            f"`network.tau` must be a number, {n} numbers, or one law per population (a list); "
            f"got {tau!r}."
        )
    if not isinstance(tau, (list, tuple, np.ndarray)):
        return check_positive("network.tau", tau)
    P = ensemble.statistics().n_populations
    seq = list(tau) if isinstance(tau, (list, tuple)) else None
    per_pop = seq is not None and (
        any(isinstance(x, (AbstractDistribution, dict)) for x in seq) or (len(seq) == P != n)
    )
    if per_pop:
        assert seq is not None
        if len(seq) != P:
            raise ValueError(
                f"`network.tau` must have one law per population ({P}) or one value per unit "
                f"({n}); got {len(seq)} entries."
            )
        laws = tuple(
            distribution_from_config(d, name=f"network.tau[{a}]") for a, d in enumerate(seq)
        )
        for a, d in enumerate(laws):
            if d.support[0] <= 0 and not (d.kind == "lognormal" and d.mean > 0):
                raise ValueError(
                    f"`network.tau[{a}]` must have support in (0, inf); got {d!r}. Timescales "
                    "must be > 0."
                )
        return laws
    if seq is not None and len(seq) != n:
        raise ValueError(
            f"`network.tau` must have one law per population ({P}) or one value per unit "
            f"({n}); got {len(seq)} entries."
        )
    arr = check_array("network.tau", tau, shape=(n,))
    if np.any(arr <= 0):
        raise ValueError(
            f"`network.tau` must be > 0 for every unit; got min(tau)={float(arr.min())!r}."
        )
    arr.setflags(write=False)
    return arr


def fingerprint(network: RateNetwork, seeds: Seeds) -> str:
    """A short hash of a network spec and seeds (recorded by :func:`realize`)."""
    text = json.dumps({"network": network.to_config(), "seeds": seeds.to_dict()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Realization:
    """One draw of a network: couplings, static input and time constants.

    Validated at construction: shapes match the network, values are real and finite. A
    realization made by :func:`realize` records ``drawn_from``, the fingerprint of the network
    and seeds it was drawn from; one whose ``network`` or ``seeds`` were swapped afterwards
    (``dataclasses.replace``) is refused, because its couplings would no longer match the spec
    recorded with every result. Couplings of your own are accepted with ``drawn_from=None``
    (the provenance then says so).

    Parameters
    ----------
    network : RateNetwork
        The spec it was drawn from.
    seeds : Seeds
        The seeds used (the ``coupling`` and ``input`` streams are consumed here).
    J : (n, n) ndarray
        Couplings, float64 (dense).
    b : (n,) ndarray
        Static input (zeros if none).
    tau : (n,) ndarray
        Time constants.
    population : (n,) ndarray of int, optional
        Population of each unit (default: the ensemble's).
    coupling : Coupling, optional
        The draw's structure (sparse part, removed means, low-rank factors and loadings).
    drawn_from : str, optional
        Fingerprint of the network and seeds (set by :func:`realize`).
    """

    network: RateNetwork
    seeds: Seeds
    J: FloatArray
    b: FloatArray
    tau: FloatArray
    population: Any = None
    coupling: Coupling | None = None
    drawn_from: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.network, RateNetwork):
            raise TypeError(
                f"`network` must be a randrnn.RateNetwork; got {type(self.network).__name__}."
            )
        if not isinstance(self.seeds, Seeds):
            raise TypeError(f"`seeds` must be a randrnn.Seeds; got {type(self.seeds).__name__}.")
        n = self.network.n
        if np.iscomplexobj(self.J):
            raise TypeError("`J` must be real; got a complex array.")
        J = np.asarray(self.J)
        if J.shape != (n, n):
            raise ValueError(
                f"`J` must have shape ({n}, {n}) to match network.n = {n}; got {J.shape}."
            )
        if not np.all(np.isfinite(J)):
            raise ValueError("`J` must contain only finite values; got NaN or inf.")
        if J.dtype != np.float64 or not J.flags.c_contiguous:
            object.__setattr__(self, "J", np.ascontiguousarray(J, dtype=np.float64))
        b = check_array("b", self.b, shape=(n,))
        tau = check_array("tau", self.tau, shape=(n,))
        if np.any(tau <= 0):
            raise ValueError(
                f"`tau` must be > 0 for every unit; got min(tau)={float(tau.min())!r}."
            )
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "tau", tau)
        pop = (
            self.network.ensemble.population_index() if self.population is None else self.population
        )
        pop = np.asarray(pop)
        if pop.shape != (n,) or not np.issubdtype(pop.dtype, np.integer):
            raise ValueError(f"`population` must be {n} integers; got shape {pop.shape}.")
        object.__setattr__(self, "population", pop)
        if self.drawn_from is not None and self.drawn_from != fingerprint(self.network, self.seeds):
            raise ValueError(
                "`network` or `seeds` no longer match the ones this realization was drawn from "
                "(was it changed with dataclasses.replace?); its couplings would be recorded "
                "under the wrong spec. Draw a new one with randrnn.realize(network, seeds), or "
                "pass drawn_from=None to mark the couplings as your own."
            )

    @property
    def n(self) -> int:
        """Number of units."""
        return self.network.n

    @property
    def custom(self) -> bool:
        """Whether the couplings were given by the user rather than drawn by :func:`realize`."""
        return self.drawn_from is None


def realize(network: RateNetwork, seeds: Seeds | None = None) -> Realization:
    """Draw the couplings, static input and (per-population) time constants of ``network``.

    Parameters
    ----------
    network : RateNetwork
        The spec.
    seeds : Seeds, optional
        Seeds; defaults to ``Seeds()``.

    Returns
    -------
    Realization
        ``J`` (dense) then per-population ``tau`` from the ``coupling`` stream, ``b`` from the
        ``input`` stream.

    Notes
    -----
    ``J`` is stored dense (8 n^2 bytes) whatever the ensemble samples; the sparse structure
    stays in ``realization.coupling``.

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
    if not isinstance(network, RateNetwork):
        raise TypeError(f"`network` must be a randrnn.RateNetwork; got {type(network).__name__}.")
    if not isinstance(seeds, Seeds):
        raise TypeError(f"`seeds` must be a randrnn.Seeds; got {type(seeds).__name__}.")
    gen = seeds.generator("coupling")
    coupling = network.ensemble.sample_coupling(gen)
    J = coupling.to_dense()
    if isinstance(network.tau, tuple):
        sizes = network.ensemble.statistics().sizes
        tau = np.concatenate([d.sample(gen, k) for d, k in zip(network.tau, sizes, strict=True)])
    else:
        tau = network.tau_vector()
    if network.b is not None:
        b = np.array(network.b, dtype=float)
    elif network.sigma_b > 0:
        b = network.sigma_b * seeds.generator("input").standard_normal(network.n)
    else:
        b = np.zeros(network.n)
    return Realization(
        network=network,
        seeds=seeds,
        J=J,
        b=b,
        tau=tau,
        population=np.asarray(coupling.population),
        coupling=coupling,
        drawn_from=fingerprint(network, seeds),
    )


def jacobian(realization: Realization, x_star: Any) -> JacobianSample:
    r"""Jacobian of a realization at ``x_star``: :math:`T^{-1}(-I + J\,\mathrm{diag}(\phi'(x^*)))`.

    Parameters
    ----------
    realization : Realization
        Couplings and time constants.
    x_star : (n,) array_like
        The state (e.g. a fixed point): gains are :math:`\phi'(x^*_j)`.

    Returns
    -------
    JacobianSample
        ``W`` = ``J`` (CSR), the realization's ``tau`` and ``gain`` = :math:`\phi'(x^*)`; its
        ``spec`` is a :class:`~randrnn.ensembles.JacobianEnsemble` on the network's coupling
        ensemble with the empirical timescale and gain laws of each population, so
        ``rmt`` predictions can be made for it directly.

    Examples
    --------
    >>> from randrnn.ensembles import GaussianEnsemble
    >>> real = realize(RateNetwork(ensemble=GaussianEnsemble(n=60, g=0.5), phi="tanh"))
    >>> jac = jacobian(real, np.zeros(60))
    >>> bool(np.allclose(jac.to_dense(), real.J - np.eye(60)))
    True
    """
    from scipy import sparse

    if not isinstance(realization, Realization):
        raise TypeError(
            f"`realization` must be a randrnn.Realization; got {type(realization).__name__}."
        )
    n = realization.n
    x = check_array("x_star", x_star, shape=(n,))
    gain = np.asarray(realization.network.phi.derivative(x), dtype=float)  # type: ignore[union-attr]
    if np.any(gain < 0):
        raise ValueError(
            "`x_star` gives negative gains phi'(x*) for some units; the Jacobian ensembles of "
            "randrnn.rmt assume gains >= 0 (a monotone phi)."
        )
    pop = np.asarray(realization.population)
    P = int(pop.max()) + 1 if pop.size else 1
    tau_laws, gain_laws = [], []
    for a in range(P):
        sel = pop == a
        tau_laws.append(Samples(values=tuple(realization.tau[sel])))
        gain_laws.append(Samples(values=tuple(gain[sel])))
    spec = JacobianEnsemble(
        coupling=realization.network.ensemble, tau=tuple(tau_laws), gain=tuple(gain_laws)
    )
    W = sparse.csr_matrix(realization.J)
    for arr in (gain,):
        arr.setflags(write=False)
    return JacobianSample(
        W=W,
        tau=np.asarray(realization.tau),
        gain=gain,
        population=pop,
        mean_removed=np.zeros((P, P)),
        spec=spec,
    )
