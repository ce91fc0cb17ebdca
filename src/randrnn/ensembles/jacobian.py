r"""Random-matrix ensembles of Jacobians :math:`A = T^{-1}(-I + J G)` built on a coupling ensemble.

Timescales :math:`T = \mathrm{diag}(\tau)` and gains :math:`G = \mathrm{diag}(\phi'(x^*))` are
drawn per unit from one law per population (``docs/theory.md`` section 5; Chotibut, Evnin &
Horinouchi (2025), arXiv:2512.12767). The Jacobian of a simulated network at an operating point
is :func:`randrnn.networks.jacobian`, which returns the same :class:`JacobianSample` type.

- :class:`JacobianEnsemble` -- the spec (a coupling ensemble plus timescale and gain laws).
- :class:`JacobianSample` -- one realization (sparse ``W``, ``tau``, ``gain``).
- :func:`vary` -- change one statistic of the spec (edge-sensitivity sweeps).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import Any, final

import numpy as np

from randrnn._typing import FloatArray, Seed
from randrnn._validation import (
    as_rng,
    check_fraction,
    check_in,
    check_nonnegative,
    check_real,
)
from randrnn.ensembles.base import AbstractEnsemble, block_mean_factors, ensemble_from_config
from randrnn.ensembles.block import BlockEnsemble
from randrnn.ensembles.distributions import (
    AbstractDistribution,
    Fixed,
    HalfNormal,
    LogNormal,
    Uniform,
    _as_tuple,
    distribution_from_config,
)


@dataclass(frozen=True, slots=True, eq=False)
class JacobianSample:
    r"""One Jacobian :math:`A = T^{-1}(-I + (W - U V^T) G)`.

    Parameters
    ----------
    W : scipy.sparse.csr_matrix, shape (n, n)
        Couplings (the random part as sampled; for a network, its whole ``J``).
    tau : (n,) ndarray
        Timescales (row ``i`` of ``A`` carries :math:`1/\tau_i`).
    gain : (n,) ndarray
        Gains (column ``j`` of ``W G`` carries ``gain[j]``).
    population : (n,) ndarray of int
        Population index of each unit.
    mean_removed : (P, P) ndarray
        Block values :math:`M_{ab}` subtracted from every entry of block ``(a, b)``.
    spec : JacobianEnsemble
        The ensemble it was drawn from (for a network's Jacobian: the coupling ensemble with the
        empirical timescale and gain laws of the realization, per population).
    """

    W: Any
    tau: FloatArray
    gain: FloatArray
    population: Any
    mean_removed: FloatArray
    spec: JacobianEnsemble

    @property
    def n(self) -> int:
        """Number of units."""
        return int(self.tau.size)

    def low_rank_factors(self) -> tuple[FloatArray, FloatArray]:
        """Return ``U (n, P)``, ``V (n, P)`` with ``M = U V^T`` (the removed block means)."""
        return block_mean_factors(self.population, self.mean_removed)

    def to_dense(self) -> FloatArray:
        """Return the dense Jacobian ``A`` (float64, shape ``(n, n)``)."""
        Wd = self.W.toarray()
        if np.any(self.mean_removed):
            U, V = self.low_rank_factors()
            Wd -= U @ V.T
        Wd *= self.gain[None, :]
        Wd[np.diag_indices(self.n)] -= 1.0
        Wd /= self.tau[:, None]
        return Wd

    def to_sparse(self) -> Any:
        """Return the sparse part ``T^{-1}(-I + W G)`` (CSR); the removed means are not included."""
        from scipy import sparse

        A = sparse.diags(1.0 / self.tau) @ (
            self.W @ sparse.diags(self.gain) - sparse.identity(self.n)
        )
        return sparse.csr_matrix(A)


@functools.lru_cache(maxsize=256)
def _unit_rule(
    td: AbstractDistribution, gd: AbstractDistribution, r: float, n: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The (timescale, gain) rule of :meth:`JacobianEnsemble.unit_quadrature` (cached: the laws
    are frozen and hashable; the arrays are read-only)."""
    from scipy.special import ndtr

    if r == 0:
        t, wt = td.quadrature(n)
        g, wg = gd.quadrature(max(8, n // 3))
        T, G = np.meshgrid(t, g, indexing="ij")
        out = (T.ravel(), G.ravel(), np.outer(wt, wg).ravel())
    else:
        x, w = np.polynomial.hermite_e.hermegauss(n)
        w = w / w.sum()
        U, V = np.meshgrid(x, x, indexing="ij")
        t = np.asarray(td.ppf(ndtr(U.ravel())), dtype=float)
        g = np.asarray(gd.ppf(ndtr(r * U.ravel() + math.sqrt(1 - r * r) * V.ravel())), dtype=float)
        out = (t, g, np.outer(w, w).ravel())
    for arr in out:
        arr.setflags(write=False)
    return out


def _per_population(name: str, value: Any, P: int) -> tuple[AbstractDistribution, ...]:
    return tuple(
        distribution_from_config(d, name=f"{name}[{a}]")
        for a, d in enumerate(_as_tuple(name, value, P))
    )


#: fields of :class:`BlockEnsemble` accepted by :meth:`JacobianEnsemble.from_blocks`
_BLOCK_FIELDS = tuple(f for f in BlockEnsemble.__dataclass_fields__)


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class JacobianEnsemble:
    r"""Jacobians :math:`A = T^{-1}(-I + J G)`: ``J`` from ``coupling``, laws of ``tau``, ``gain``.

    Parameters
    ----------
    coupling : AbstractEnsemble
        The coupling ensemble (block E/I, Gaussian, ...).
    tau : sequence of AbstractDistribution or float
        Timescale law of each population of ``coupling``.
    gain : sequence of AbstractDistribution or float
        Gain law of each population.
    correlation : sequence of float, optional
        Per population, the correlation of a Gaussian copula joining a unit's timescale and
        gain (0, the default: independent). The marginals stay ``tau[a]`` and ``gain[a]``.

    Examples
    --------
    >>> ens = JacobianEnsemble.excitatory_inhibitory(n=400, p_ee=0.1, tau_i=2.0)
    >>> s = ens.sample(0)
    >>> s.W.shape, ens.sizes, float(s.tau[-1])
    ((400, 400), (320, 80), 2.0)
    """

    coupling: AbstractEnsemble
    tau: tuple[AbstractDistribution, ...]
    gain: tuple[AbstractDistribution, ...]
    correlation: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.coupling, AbstractEnsemble):
            raise TypeError(
                f"`coupling` must be a coupling ensemble (e.g. BlockEnsemble); got "
                f"{type(self.coupling).__name__}."
            )
        P = self.coupling.statistics().n_populations
        object.__setattr__(self, "tau", _per_population("tau", self.tau, P))
        object.__setattr__(self, "gain", _per_population("gain", self.gain, P))
        rho = (0.0,) * P if self.correlation is None else self.correlation
        rho = tuple(
            check_real(f"correlation[{a}]", r)
            for a, r in enumerate(_as_tuple("correlation", rho, P))
        )
        for a, r in enumerate(rho):
            if not -1.0 < r < 1.0:
                raise ValueError(
                    f"`correlation[{a}]` must be in (-1, 1) (a Gaussian-copula correlation of "
                    f"timescale and gain); got {r!r}."
                )
        object.__setattr__(self, "correlation", rho)
        for a, d in enumerate(self.tau):
            lo = d.support[0]
            if lo <= 0 and not (d.kind == "lognormal" and d.mean > 0):
                raise ValueError(
                    f"`tau[{a}]` must have support in (0, inf); got {d!r}. Timescales must be > 0."
                )

    # -- the statistics rmt reads (delegated to the coupling ensemble) -----------------------
    @property
    def n(self) -> int:
        """Number of units."""
        return self.coupling.size

    @property
    def n_populations(self) -> int:
        """Number of populations P."""
        return self.coupling.statistics().n_populations

    @property
    def sizes(self) -> tuple[int, ...]:
        """Population sizes."""
        return self.coupling.statistics().sizes

    @property
    def alpha(self) -> FloatArray:
        r"""Realized population fractions :math:`\alpha_a`."""
        return self.coupling.statistics().fractions

    @property
    def names(self) -> tuple[str, ...]:
        """Population names."""
        return self.coupling.statistics().names

    @property
    def block_variance(self) -> FloatArray:
        r"""Block variances :math:`n\,\mathrm{Var}(J_{ij})`."""
        return self.coupling.statistics().block_variance

    @property
    def block_mean(self) -> FloatArray:
        r"""Block means :math:`n\,E[J_{ij}]` of the ensemble (even where samples remove them)."""
        mean = getattr(self.coupling, "block_mean", None)
        return np.asarray(mean) if mean is not None else self.coupling.statistics().block_mean

    @property
    def keep_mean(self) -> bool:
        """Whether sampled couplings keep their block means (else removed: no outliers)."""
        return bool(getattr(self.coupling, "keep_mean", True))

    @property
    def connectivity(self) -> tuple[tuple[float, ...], ...]:
        """Connection probabilities :math:`p_{ab}`."""
        conn = getattr(self.coupling, "connectivity", None)
        if conn is not None:
            return conn  # type: ignore[no-any-return]
        s = self.coupling.statistics()
        p = s.in_degree / np.asarray(s.sizes, dtype=float)[None, :]
        return tuple(tuple(float(x) for x in row) for row in np.clip(p, 0.0, 1.0))

    def population_index(self) -> Any:
        """Population index of each unit."""
        return self.coupling.population_index()

    def resized(self, n: int) -> JacobianEnsemble:
        """The same ensemble with ``n`` units (mean in-degrees, if given, are kept)."""
        extra: dict[str, Any] = {}
        if getattr(self.coupling, "in_degree", None) is not None:
            extra["connectivity"] = None
        try:
            coupling = dataclasses.replace(self.coupling, n=n, **extra)  # type: ignore[type-var]
        except TypeError as exc:
            raise ValueError(
                f"`coupling` {type(self.coupling).__name__} cannot be resized by its `n`."
            ) from exc
        return dataclasses.replace(self, coupling=coupling)

    # -- per-unit laws ------------------------------------------------------------------------
    @property
    def correlated(self) -> bool:
        """Whether any population joins timescale and gain through a copula."""
        return any(r != 0 for r in self.correlation or ())

    def sample_units(
        self, rng: Seed, counts: Any = None
    ) -> tuple[list[FloatArray], list[FloatArray]]:
        """Draw timescales and gains per population (``counts[a]`` units each).

        All timescales are drawn first, then all gains; a population with a copula correlation
        draws its timescales through the normal quantile of a standard normal ``u`` and its gains
        through ``rho u + sqrt(1 - rho^2) v``.

        Parameters
        ----------
        rng : int, Generator or None
            Random source.
        counts : sequence of int, optional
            Units per population (default: the population sizes).

        Returns
        -------
        tau, gain : list of ndarray
            One array per population.
        """
        from scipy.special import ndtr

        gen = as_rng(rng)
        counts = self.sizes if counts is None else tuple(int(k) for k in counts)
        rho = self.correlation or (0.0,) * len(counts)
        tau: list[FloatArray] = []
        latent: list[Any] = []
        for d, k, r in zip(self.tau, counts, rho, strict=True):
            if r == 0:
                tau.append(d.sample(gen, k))
                latent.append(None)
            else:
                u = gen.standard_normal(k)
                tau.append(np.asarray(d.ppf(ndtr(u)), dtype=float))
                latent.append(u)
        gain = []
        for d, k, r, u in zip(self.gain, counts, rho, latent, strict=True):
            if u is None:
                gain.append(d.sample(gen, k))
            else:
                v = r * u + math.sqrt(1.0 - r * r) * gen.standard_normal(k)
                gain.append(np.asarray(d.ppf(ndtr(v)), dtype=float))
        return tau, gain

    def unit_quadrature(self, a: int, n: int = 32) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Nodes and weights of a rule for :math:`E_a[f(\\tau, g)]` over population ``a``.

        A product rule of the two marginal rules without a copula; with one, a Gauss-Hermite
        rule in the copula's normal variables mapped through the marginal quantile functions.

        Parameters
        ----------
        a : int
            Population.
        n : int
            Nodes per dimension.

        Returns
        -------
        tau, gain, weight : ndarray
            Flat arrays (weights sum to 1).
        """
        r = (self.correlation or (0.0,) * self.n_populations)[a]
        return _unit_rule(self.tau[a], self.gain[a], float(r), int(n))

    # -- sampling ------------------------------------------------------------------------------
    def sample(self, rng: Seed = None) -> JacobianSample:
        """Draw ``tau``, ``gain`` (per population, in this order) and then the couplings."""
        from scipy import sparse

        gen = as_rng(rng)
        taus, gains = self.sample_units(gen)
        tau, gain = np.concatenate(taus), np.concatenate(gains)
        c = self.coupling.sample_coupling(gen)
        if c.low_rank is not None:
            raise ValueError(
                "`coupling` with a low-rank part has no sparse Jacobian sample; use "
                "randrnn.networks.jacobian on a realization instead."
            )
        W = sparse.csr_matrix(c.W)
        for arr in (tau, gain, c.mean_removed):
            arr.setflags(write=False)
        return JacobianSample(
            W=W,
            tau=tau,
            gain=gain,
            population=c.population,
            mean_removed=c.mean_removed,
            spec=self,
        )

    # -- construction and configs --------------------------------------------------------------
    @classmethod
    def from_blocks(cls, *, tau: Any, gain: Any, **blocks: Any) -> JacobianEnsemble:
        """Build from the fields of :class:`BlockEnsemble` plus ``tau`` and ``gain``."""
        return cls(coupling=BlockEnsemble(**blocks), tau=tau, gain=gain)

    def to_config(self) -> dict[str, Any]:
        """Flat TOML-able description: the coupling's fields plus ``tau``, ``gain`` and, when
        used, ``correlation``."""
        out = dict(self.coupling.to_config())
        out["tau"] = [d.to_config() for d in self.tau]
        out["gain"] = [d.to_config() for d in self.gain]
        if self.correlated:
            out["correlation"] = list(self.correlation or ())
        return out

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> JacobianEnsemble:
        """Build from a flat table: coupling fields (``kind`` default ``block``), ``tau``, ``gain``.

        Parameters
        ----------
        config : dict
            E.g. the ``[ensemble]`` table of ``randrnn spectrum``.

        Returns
        -------
        JacobianEnsemble
            The spec.
        """
        if not isinstance(config, dict):
            raise TypeError(
                f"`ensemble` must be a table ([ensemble] or --set ensemble.KEY=VALUE); got "
                f"{config!r}."
            )
        cfg = dict(config)
        missing = [k for k in ("tau", "gain") if k not in cfg]
        if missing:
            raise ValueError(
                f"`ensemble` must give {missing} (one law per population) for a Jacobian ensemble."
            )
        tau, gain = cfg.pop("tau"), cfg.pop("gain")
        corr = cfg.pop("correlation", None)
        cfg.setdefault("kind", "block")
        return cls(coupling=ensemble_from_config(cfg), tau=tau, gain=gain, correlation=corr)

    @classmethod
    def excitatory_inhibitory(
        cls,
        *,
        n: int,
        fraction_excitatory: float = 0.8,
        p_ee: float = 0.1,
        p_ei: float = 0.5,
        p_ie: float = 0.5,
        p_ii: float = 0.5,
        weight_e: AbstractDistribution | float = 1.0,
        weight_i: AbstractDistribution | float = 1.0,
        tau_e: AbstractDistribution | float = 1.0,
        tau_i: AbstractDistribution | float = 1.0,
        gain_e: AbstractDistribution | float = 1.0,
        gain_i: AbstractDistribution | float = 1.0,
        keep_mean: bool = False,
    ) -> JacobianEnsemble:
        """Two-population E/I Jacobians (see :meth:`BlockEnsemble.excitatory_inhibitory`).

        Parameters
        ----------
        n, fraction_excitatory, p_ee, p_ei, p_ie, p_ii, weight_e, weight_i, keep_mean
            As for :meth:`BlockEnsemble.excitatory_inhibitory`.
        tau_e, tau_i, gain_e, gain_i : AbstractDistribution or float
            Timescale and gain laws per population.

        Returns
        -------
        JacobianEnsemble
            The spec.
        """
        coupling = BlockEnsemble.excitatory_inhibitory(
            n=n,
            fraction_excitatory=fraction_excitatory,
            p_ee=p_ee,
            p_ei=p_ei,
            p_ie=p_ie,
            p_ii=p_ii,
            weight_e=weight_e,
            weight_i=weight_i,
            keep_mean=keep_mean,
        )
        tau = _per_population("tau", (tau_e, tau_i), 2)
        gain = _per_population("gain", (gain_e, gain_i), 2)
        return cls(coupling=coupling, tau=tau, gain=gain)

    @classmethod
    def inhibitory_core(
        cls,
        *,
        n: int = 10_000,
        fraction_inhibitory: float = 0.2,
        in_degree: float = 4.0,
        excitatory_in_degree: float | None = None,
        surviving: float = 0.0,
        weight_i: AbstractDistribution | float | dict[str, Any] | None = None,
        weight_e: AbstractDistribution | float | dict[str, Any] | None = None,
        tau_e: AbstractDistribution | float | dict[str, Any] | None = None,
        tau_i: AbstractDistribution | float | dict[str, Any] | None = None,
        gain_e: AbstractDistribution | float | dict[str, Any] | None = None,
        gain_i: AbstractDistribution | float | dict[str, Any] | None = None,
        correlation: tuple[float, float] = (0.0, 0.0),
        keep_mean: bool = True,
    ) -> JacobianEnsemble:
        r"""The inhibitory-core, excitatory-periphery ensemble of trained E/I Jacobians.

        Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767 (``docs/theory.md`` section 5):
        every unit receives on average ``in_degree`` inhibitory inputs (sparse Erdős-Rényi
        inhibitory columns, finite mean in-degree, broadly distributed magnitudes); excitatory
        outgoing weights are pruned, a fraction ``surviving`` of the ``excitatory_in_degree``
        excitatory inputs per unit survives; timescales and gains follow Beta laws on intervals,
        independent or joined by a Gaussian copula. Weights are used as given (finite
        connectivity scaling, no :math:`1/\\sqrt n`).

        Parameters
        ----------
        n : int
            Number of units.
        fraction_inhibitory : float
            Fraction of inhibitory units (population ``I``, listed second).
        in_degree : float
            Mean number of inhibitory inputs per unit, :math:`c`.
        excitatory_in_degree : float, optional
            Mean number of excitatory inputs per unit before pruning (default: the same
            connection probability as the inhibitory columns).
        surviving : float
            Fraction of excitatory connections that survive pruning (0: pure periphery).
        weight_i, weight_e : distribution, number or table, optional
            Magnitude laws (default ``LogNormal(median=1, sigma=1)`` for I, ``HalfNormal(0.2)``
            for E).
        tau_e, tau_i : distribution, number or table, optional
            Timescale laws (default ``Beta(2, 5)`` on [1, 5] for E, slower and broader
            ``Beta(2, 2)`` on [2, 12] for I).
        gain_e, gain_i : distribution, number or table, optional
            Gain laws (default ``Beta(2, 2)`` on [0.05, 0.25], sigmoid slopes).
        correlation : (float, float)
            Copula correlation of timescale and gain in E and in I.
        keep_mean : bool
            Keep the weight means in the samples (the sparse matrix itself; the mean gives an
            outlier) or remove them as a dense rank-2 correction.

        Returns
        -------
        JacobianEnsemble
            The spec (populations ``E``, ``I``).

        Examples
        --------
        >>> ens = JacobianEnsemble.inhibitory_core(n=1000, in_degree=3.0)
        >>> ens.sizes, ens.coupling.in_degree
        ((800, 200), ((0.0, 3.0), (0.0, 3.0)))
        >>> s = ens.sample(0)
        >>> bool(s.W[:, :800].nnz == 0)          # pruned excitatory columns
        True
        """
        from randrnn.ensembles.distributions import Beta

        f = check_fraction("fraction_inhibitory", fraction_inhibitory)
        if not 0.0 < f < 1.0:
            raise ValueError(
                f"`fraction_inhibitory` must be in (0, 1); got {f!r}. For one population use "
                "JacobianEnsemble.from_blocks."
            )
        c = check_nonnegative("in_degree", in_degree)
        c_e = (
            c * (1.0 - f) / f
            if excitatory_in_degree is None
            else check_nonnegative("excitatory_in_degree", excitatory_in_degree)
        )
        q = check_fraction("surviving", surviving)

        def law(value: Any, default: AbstractDistribution, name: str) -> AbstractDistribution:
            return default if value is None else distribution_from_config(value, name=name)

        wi = law(weight_i, LogNormal(median=1.0, sigma=1.0), "weight_i")
        we = law(weight_e, HalfNormal(scale=0.2), "weight_e")
        coupling = BlockEnsemble(
            n=n,
            fractions=(1.0 - f, f),
            signs=(1, -1),
            in_degree=((c_e * q, c), (c_e * q, c)),
            weights=((we, wi), (we, wi)),
            scaling="none",
            keep_mean=keep_mean,
        )
        tau = (
            law(tau_e, Beta(a=2.0, b=5.0, low=1.0, high=5.0), "tau_e"),
            law(tau_i, Beta(a=2.0, b=2.0, low=2.0, high=12.0), "tau_i"),
        )
        g_default = Beta(a=2.0, b=2.0, low=0.05, high=0.25)
        gain = (law(gain_e, g_default, "gain_e"), law(gain_i, g_default, "gain_i"))
        return cls(coupling=coupling, tau=tau, gain=gain, correlation=tuple(correlation))


def default_ei(n: int = 1000, *, keep_mean: bool = False) -> JacobianEnsemble:
    r"""The reference E/I Jacobian ensemble (``randrnn spectrum``'s default, the benchmarks' and
    the validation tests').

    Pruned excitatory periphery (:math:`p_{EE} = 0.05`, other blocks 0.2), half-normal E and
    broad lognormal I weight magnitudes (scale 2.4), lognormal inhibitory timescales (median 3),
    uniform gains on [0.5, 1.5]; close to marginal stability (:math:`\rho(M(0)) = 1.4`).

    Parameters
    ----------
    n : int
        Number of units.
    keep_mean : bool
        Keep the block means (outliers) or remove them.

    Returns
    -------
    JacobianEnsemble
        The spec.

    Examples
    --------
    >>> default_ei(500).sizes
    (400, 100)
    """
    ws = 2.4
    return JacobianEnsemble.excitatory_inhibitory(
        n=n,
        p_ee=0.05,
        p_ei=0.2,
        p_ie=0.2,
        p_ii=0.2,
        weight_e=HalfNormal(scale=ws),
        weight_i=LogNormal(median=ws, sigma=0.8),
        tau_e=1.0,
        tau_i=LogNormal(median=3.0, sigma=0.5),
        gain_e=Uniform(low=0.5, high=1.5),
        gain_i=Uniform(low=0.5, high=1.5),
        keep_mean=keep_mean,
    )


def as_jacobian_ensemble(obj: Any) -> JacobianEnsemble:
    """Return the :class:`JacobianEnsemble` of ``obj`` (an ensemble, or a sample's spec).

    Parameters
    ----------
    obj : JacobianEnsemble or JacobianSample
        A spec, or a sample (from :meth:`JacobianEnsemble.sample` or
        :func:`randrnn.networks.jacobian`) whose spec is used.

    Returns
    -------
    JacobianEnsemble
        The spec.
    """
    if isinstance(obj, JacobianSample):
        return obj.spec
    if isinstance(obj, JacobianEnsemble):
        return obj
    raise TypeError(
        "`ensemble` must be a JacobianEnsemble (e.g. JacobianEnsemble.excitatory_inhibitory) or "
        "a JacobianSample (e.g. randrnn.jacobian(realization, x_star)); got "
        f"{type(obj).__name__}."
    )


def at_degree(ensemble: JacobianEnsemble, factor: float) -> JacobianEnsemble:
    r"""Multiply every mean in-degree by ``factor`` and every weight by ``factor**-0.5``.

    Keeps every :math:`c_{ab}E[w_{ab}^2]` (the dense-limit statistics) fixed while the graph gets
    sparser or denser: the sweep along which the finite-connectivity theory departs from the
    dense limit (``docs/theory.md`` section 5.3).

    Parameters
    ----------
    ensemble : JacobianEnsemble
        A block ensemble given by mean in-degrees (e.g. :meth:`JacobianEnsemble.inhibitory_core`).
    factor : float
        Factor on the in-degrees (> 0).

    Returns
    -------
    JacobianEnsemble
        The changed spec.

    Examples
    --------
    >>> ens = JacobianEnsemble.inhibitory_core(n=2000, in_degree=4.0)
    >>> e2 = at_degree(ens, 0.5)
    >>> e2.coupling.in_degree[1][1], round(e2.coupling.weights[1][1].median, 6)
    (2.0, 1.414214)
    """
    from randrnn._validation import check_positive

    f = check_positive("factor", factor)
    c = getattr(ensemble.coupling, "in_degree", None)
    if c is None:
        raise ValueError(
            "`ensemble` must be a block ensemble given by mean in-degrees (`in_degree`) to scale "
            f"its degrees; got {type(ensemble.coupling).__name__} with connection probabilities. "
            "Build it with JacobianEnsemble.inhibitory_core or from_blocks(in_degree=...)."
        )
    wts = ensemble.coupling.weights  # type: ignore[attr-defined]
    coupling = _replace_coupling(
        ensemble,
        "degree",
        in_degree=tuple(tuple(x * f for x in row) for row in c),
        connectivity=None,
        weights=tuple(tuple(d.scaled(f**-0.5) for d in row) for row in wts),
    )
    return dataclasses.replace(ensemble, coupling=coupling)


#: statistics that :func:`vary` can change, for edge-sensitivity sweeps
STATISTICS = ("sparsity", "fraction_excitatory", "weight_scale", "tau_spread", "gain_spread")


def _replace_coupling(ensemble: JacobianEnsemble, statistic: str, **changes: Any) -> Any:
    try:
        return dataclasses.replace(ensemble.coupling, **changes)  # type: ignore[type-var]
    except TypeError as exc:
        raise ValueError(
            f"`statistic` {statistic!r} needs a block coupling ensemble (fields "
            f"{sorted(changes)}); got {type(ensemble.coupling).__name__}."
        ) from exc


def vary(ensemble: JacobianEnsemble, statistic: str, value: float) -> JacobianEnsemble:
    """Return ``ensemble`` with one statistic changed (for edge-sensitivity sweeps).

    Parameters
    ----------
    ensemble : JacobianEnsemble
        Base spec (``sparsity``, ``fraction_excitatory`` and ``weight_scale`` need a block
        coupling ensemble).
    statistic : {"sparsity", "fraction_excitatory", "weight_scale", "tau_spread", "gain_spread"}
        ``sparsity``: every :math:`p_{ab}` multiplied by ``value`` (clipped to 1);
        ``fraction_excitatory``: fractions set to ``(value, 1 - value)`` (two populations);
        ``weight_scale``: every weight magnitude multiplied by ``value`` (variances by value**2);
        ``tau_spread`` / ``gain_spread``: every timescale / gain law of a non-fixed kind
        gets spread ``value`` (:meth:`AbstractDistribution.with_spread`).
    value : float
        New value or factor.

    Returns
    -------
    JacobianEnsemble
        The modified spec.

    Examples
    --------
    >>> ens = JacobianEnsemble.excitatory_inhibitory(n=100, p_ee=0.2)
    >>> vary(ens, "sparsity", 0.5).connectivity[0][0]
    0.1
    """
    check_in("statistic", statistic, STATISTICS)
    v = check_nonnegative("value", value)
    if statistic == "sparsity":
        conn = tuple(tuple(min(1.0, p * v) for p in row) for row in ensemble.connectivity)
        coupling = _replace_coupling(ensemble, statistic, connectivity=conn, in_degree=None)
        return dataclasses.replace(ensemble, coupling=coupling)
    if statistic == "fraction_excitatory":
        if ensemble.n_populations != 2:
            raise ValueError(
                f"`statistic` 'fraction_excitatory' needs two populations; got "
                f"{ensemble.n_populations}."
            )
        f = check_fraction("value", v)
        extra: dict[str, Any] = {}
        if getattr(ensemble.coupling, "in_degree", None) is not None:
            extra["connectivity"] = None  # re-derived from the in-degrees for the new sizes
        coupling = _replace_coupling(ensemble, statistic, fractions=(f, 1.0 - f), **extra)
        return dataclasses.replace(ensemble, coupling=coupling)
    if statistic == "weight_scale":
        wts = getattr(ensemble.coupling, "weights", None)
        if wts is None:
            raise ValueError(
                f"`statistic` 'weight_scale' needs a block coupling ensemble; got "
                f"{type(ensemble.coupling).__name__}."
            )
        new = tuple(tuple(d.scaled(v) for d in row) for row in wts)
        keep: dict[str, Any] = {}
        if getattr(ensemble.coupling, "in_degree", None) is not None:
            keep["connectivity"] = None  # re-derived from the mean in-degrees
        coupling = _replace_coupling(ensemble, statistic, weights=new, **keep)
        return dataclasses.replace(ensemble, coupling=coupling)
    key = statistic.split("_")[0]
    dists = tuple(d if isinstance(d, Fixed) else d.with_spread(v) for d in getattr(ensemble, key))
    if key == "tau":
        return dataclasses.replace(ensemble, tau=dists)
    return dataclasses.replace(ensemble, gain=dists)
