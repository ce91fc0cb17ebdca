r"""Random coupling ensembles and their sampling.

- :class:`AbstractEnsemble` -- interface: ``n``, ``sample(rng)``, ``to_config()``.
- :class:`GaussianEnsemble` -- i.i.d. :math:`J_{ij} \sim \mathcal N(0, g^2/n)`, the
  Sompolinsky-Crisanti-Sommers model [1]_.

Block excitatory/inhibitory, sparse, low-rank-plus-random and partially symmetric ensembles
subclass :class:`AbstractEnsemble` the same way.

References
----------
.. [1] Sompolinsky, Crisanti & Sommers (1988), Phys. Rev. Lett. 61, 259.
"""

from __future__ import annotations

import abc
import math
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, final

import numpy as np

from randrnn._typing import FloatArray, Seed
from randrnn._validation import (
    as_rng,
    check_array,
    check_fraction,
    check_in,
    check_nonnegative,
    check_positive,
    check_positive_int,
    check_real,
)


class AbstractEnsemble(abc.ABC):
    """A distribution over coupling matrices of a fixed size."""

    kind: ClassVar[str] = "abstract"

    @property
    @abc.abstractmethod
    def size(self) -> int:
        """Number of units."""

    @abc.abstractmethod
    def sample(self, rng: Seed = None) -> FloatArray:
        """Draw one coupling matrix (float64, shape ``(n, n)``)."""

    def to_config(self) -> dict[str, Any]:
        """Return the TOML-able description (``kind`` plus the dataclass fields)."""
        return {"kind": self.kind, **asdict(self)}  # type: ignore[call-overload]


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class GaussianEnsemble(AbstractEnsemble):
    r"""I.i.d. Gaussian couplings, :math:`J_{ij} \sim \mathcal N(0, g^2/n)`.

    Parameters
    ----------
    n : int
        Number of units.
    g : float
        Coupling gain (standard deviation times :math:`\sqrt n`).
    allow_self_coupling : bool
        If False, the diagonal is set to zero.

    Examples
    --------
    >>> J = GaussianEnsemble(n=500, g=1.5).sample(0)
    >>> bool(abs(J.std() * 500**0.5 - 1.5) < 0.01)
    True
    """

    kind: ClassVar[str] = "gaussian"
    n: int
    g: float
    allow_self_coupling: bool = True

    def __post_init__(self) -> None:
        check_positive_int("n", self.n)
        check_nonnegative("g", self.g)

    @property
    def size(self) -> int:
        return self.n

    def sample(self, rng: Seed = None) -> FloatArray:
        """Draw ``J`` (float64, C order) from ``rng``; identical on every machine for a seed."""
        gen = as_rng(rng)
        J = gen.standard_normal((self.n, self.n))
        J *= self.g / math.sqrt(self.n)
        if not self.allow_self_coupling:
            np.fill_diagonal(J, 0.0)
        return J


ENSEMBLES: dict[str, type[AbstractEnsemble]] = {"gaussian": GaussianEnsemble}


def ensemble_from_config(config: dict[str, Any]) -> AbstractEnsemble:
    """Build an ensemble from a config mapping with a ``kind`` key (default ``gaussian``).

    Parameters
    ----------
    config : dict
        ``{"kind": ..., **fields}``.

    Returns
    -------
    AbstractEnsemble
        The ensemble.
    """
    cfg = dict(config)
    kind = cfg.pop("kind", "gaussian")
    if kind not in ENSEMBLES:
        raise ValueError(f"`ensemble.kind` must be one of {sorted(ENSEMBLES)}; got {kind!r}.")
    cls = ENSEMBLES[kind]
    valid = sorted(f for f in cls.__dataclass_fields__ if not f.startswith("_"))  # type: ignore[attr-defined]
    unknown = sorted(set(cfg) - set(valid))
    if unknown:
        raise ValueError(
            f"unknown key(s) {unknown} in `ensemble` (kind={kind!r}); valid keys: {valid}."
        )
    return cls(**cfg)


# ---------------------------------------------------------------------------------------------
# Sparse excitatory/inhibitory block ensembles of Jacobians (physics.md section 5)
# ---------------------------------------------------------------------------------------------
#
# These specs describe A = T^{-1}(-I + W G) rather than a bare coupling matrix, so they do not
# follow AbstractEnsemble's ``sample(rng) -> (n, n) ndarray`` contract and are not registered in
# ENSEMBLES; ``BlockEnsemble.sample`` returns a :class:`JacobianSample`.


class AbstractDistribution(abc.ABC):
    """A distribution of one positive scalar (a weight magnitude, a timescale or a gain).

    Concrete distributions provide sampling, the first two moments (used by the theory), a
    quadrature rule for expectations, the support, and ``to_config()``.
    """

    kind: ClassVar[str] = "abstract"

    @abc.abstractmethod
    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw ``size`` values (float64) from ``rng``."""

    @property
    @abc.abstractmethod
    def mean(self) -> float:
        """First moment."""

    @property
    @abc.abstractmethod
    def second_moment(self) -> float:
        """Second moment :math:`E[x^2]`."""

    @property
    @abc.abstractmethod
    def support(self) -> tuple[float, float]:
        """Closed support ``(lo, hi)``; ``hi`` may be ``inf``."""

    @abc.abstractmethod
    def quadrature(self, n: int) -> tuple[FloatArray, FloatArray]:
        """Return nodes and weights (summing to 1) of an ``n``-point rule for :math:`E[f(x)]`."""

    @abc.abstractmethod
    def scaled(self, factor: float) -> AbstractDistribution:
        """Return the distribution of ``factor * x``."""

    @abc.abstractmethod
    def with_spread(self, spread: float) -> AbstractDistribution:
        """Return a distribution with the same centre and dimensionless spread ``spread``.

        The centre is the value (fixed), the midpoint (uniform) or the median (lognormal); the
        spread is the relative half-width (uniform; ``Fixed`` becomes ``Uniform`` when
        ``spread > 0``) or the standard deviation of ``log x`` (lognormal).
        """

    def to_config(self) -> dict[str, Any]:
        """Return the TOML-able description (``kind`` plus the dataclass fields)."""
        out = {"kind": self.kind, **asdict(self)}  # type: ignore[call-overload]
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in out.items()}


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class Fixed(AbstractDistribution):
    """A point mass at ``value`` (>= 0).

    Examples
    --------
    >>> Fixed(value=2.0).second_moment
    4.0
    """

    kind: ClassVar[str] = "fixed"
    value: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", check_nonnegative("value", self.value))

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return np.full(size, self.value)

    @property
    def mean(self) -> float:
        return self.value

    @property
    def second_moment(self) -> float:
        return self.value**2

    @property
    def support(self) -> tuple[float, float]:
        return (self.value, self.value)

    def quadrature(self, n: int) -> tuple[FloatArray, FloatArray]:
        return np.array([self.value]), np.array([1.0])

    def scaled(self, factor: float) -> Fixed:
        return Fixed(value=self.value * factor)

    def with_spread(self, spread: float) -> AbstractDistribution:
        check_nonnegative("spread", spread)
        if spread == 0:
            return self
        return Uniform(low=self.value * (1 - spread), high=self.value * (1 + spread))


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class Uniform(AbstractDistribution):
    """Uniform on ``[low, high]`` with ``0 <= low <= high``.

    Examples
    --------
    >>> Uniform(low=0.5, high=1.5).mean
    1.0
    """

    kind: ClassVar[str] = "uniform"
    low: float
    high: float

    def __post_init__(self) -> None:
        lo = check_nonnegative("low", self.low)
        hi = check_real("high", self.high)
        if hi < lo:
            raise ValueError(f"`high` must be >= `low`; got low={lo!r}, high={hi!r}. Swap them.")
        object.__setattr__(self, "low", lo)
        object.__setattr__(self, "high", hi)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.uniform(self.low, self.high, size)

    @property
    def mean(self) -> float:
        return 0.5 * (self.low + self.high)

    @property
    def second_moment(self) -> float:
        return (self.low**2 + self.low * self.high + self.high**2) / 3.0

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def quadrature(self, n: int) -> tuple[FloatArray, FloatArray]:
        x, w = np.polynomial.legendre.leggauss(n)
        return self.mean + 0.5 * (self.high - self.low) * x, w / 2.0

    def scaled(self, factor: float) -> Uniform:
        return Uniform(low=self.low * factor, high=self.high * factor)

    def with_spread(self, spread: float) -> AbstractDistribution:
        if not 0 <= check_real("spread", spread) <= 1:
            raise ValueError(f"`spread` must be in [0, 1] for a uniform; got {spread!r}.")
        c = self.mean
        return (
            Fixed(value=c) if spread == 0 else Uniform(low=c * (1 - spread), high=c * (1 + spread))
        )


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class LogNormal(AbstractDistribution):
    r"""Lognormal: :math:`\log x \sim \mathcal N(\log \mathrm{median}, \sigma^2)`.

    Examples
    --------
    >>> d = LogNormal(median=1.0, sigma=0.5)
    >>> bool(abs(d.mean - np.exp(0.125)) < 1e-15)
    True
    """

    kind: ClassVar[str] = "lognormal"
    median: float
    sigma: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "median", check_positive("median", self.median))
        object.__setattr__(self, "sigma", check_nonnegative("sigma", self.sigma))

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return self.median * np.exp(self.sigma * rng.standard_normal(size))

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)

    @property
    def second_moment(self) -> float:
        return self.median**2 * math.exp(2 * self.sigma**2)

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, math.inf) if self.sigma > 0 else (self.median, self.median)

    def quadrature(self, n: int) -> tuple[FloatArray, FloatArray]:
        x, w = np.polynomial.hermite_e.hermegauss(n)
        return self.median * np.exp(self.sigma * x), w / w.sum()

    def scaled(self, factor: float) -> LogNormal:
        return LogNormal(median=self.median * factor, sigma=self.sigma)

    def with_spread(self, spread: float) -> LogNormal:
        return LogNormal(median=self.median, sigma=spread)


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class HalfNormal(AbstractDistribution):
    r"""Folded normal :math:`|y|`, :math:`y \sim \mathcal N(\mathrm{loc}, \mathrm{scale}^2)`.

    ``loc = 0`` (default) is the half-normal.

    Examples
    --------
    >>> bool(abs(HalfNormal(scale=1.0).mean - (2 / np.pi) ** 0.5) < 1e-15)
    True
    """

    kind: ClassVar[str] = "halfnormal"
    scale: float
    loc: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale", check_nonnegative("scale", self.scale))
        object.__setattr__(self, "loc", check_real("loc", self.loc))

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return np.abs(self.loc + self.scale * rng.standard_normal(size))

    @property
    def mean(self) -> float:
        m, s = self.loc, self.scale
        if s == 0:
            return abs(m)
        return s * math.sqrt(2 / math.pi) * math.exp(-(m**2) / (2 * s**2)) + m * math.erf(
            m / (s * math.sqrt(2))
        )

    @property
    def second_moment(self) -> float:
        return self.loc**2 + self.scale**2

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, math.inf) if self.scale > 0 else (abs(self.loc), abs(self.loc))

    def quadrature(self, n: int) -> tuple[FloatArray, FloatArray]:
        x, w = np.polynomial.hermite_e.hermegauss(n)
        return np.abs(self.loc + self.scale * x), w / w.sum()

    def scaled(self, factor: float) -> HalfNormal:
        return HalfNormal(scale=self.scale * abs(factor), loc=self.loc * factor)

    def with_spread(self, spread: float) -> HalfNormal:
        c = self.loc if self.loc != 0 else self.scale
        return HalfNormal(scale=abs(c) * spread, loc=self.loc)


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class Samples(AbstractDistribution):
    """The empirical distribution of given non-negative ``values`` (resampled with replacement).

    Examples
    --------
    >>> Samples(values=(1.0, 3.0)).mean
    2.0
    """

    kind: ClassVar[str] = "samples"
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        v = check_array("values", self.values, shape=(None,))
        if v.size == 0 or np.any(v < 0):
            raise ValueError(
                f"`values` must be a non-empty sequence of numbers >= 0; got {self.values!r}."
            )
        object.__setattr__(self, "values", tuple(float(x) for x in v))

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.choice(np.asarray(self.values), size=size, replace=True)

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def second_moment(self) -> float:
        return float(np.mean(np.square(self.values)))

    @property
    def support(self) -> tuple[float, float]:
        return (min(self.values), max(self.values))

    def quadrature(self, n: int) -> tuple[FloatArray, FloatArray]:
        v = np.asarray(self.values)
        return v, np.full(v.size, 1.0 / v.size)

    def scaled(self, factor: float) -> Samples:
        return Samples(values=tuple(factor * x for x in self.values))

    def with_spread(self, spread: float) -> Samples:
        v = np.asarray(self.values)
        med = float(np.median(v))
        log_dev = np.log(v / med)
        sd = float(log_dev.std())
        if sd == 0:
            raise ValueError(
                f"`values` must vary to rescale their spread; got constant {v[0]!r}. "
                "Use Uniform or LogNormal."
            )
        return Samples(values=tuple(med * np.exp(log_dev * spread / sd)))


DISTRIBUTIONS: dict[str, type[AbstractDistribution]] = {
    "fixed": Fixed,
    "uniform": Uniform,
    "lognormal": LogNormal,
    "halfnormal": HalfNormal,
    "samples": Samples,
}


def distribution_from_config(config: Any, *, name: str = "distribution") -> AbstractDistribution:
    """Build a distribution from a number (a point mass) or a ``{"kind": ..., **fields}`` table.

    Parameters
    ----------
    config : float or dict or AbstractDistribution
        The description.
    name : str
        Name used in error messages (e.g. ``"tau[1]"``).

    Returns
    -------
    AbstractDistribution
        The distribution.

    Examples
    --------
    >>> distribution_from_config({"kind": "lognormal", "median": 2.0, "sigma": 0.5})
    LogNormal(median=2.0, sigma=0.5)
    """
    if isinstance(config, AbstractDistribution):
        return config
    if isinstance(config, (int, float)) and not isinstance(config, bool):
        return Fixed(value=float(config))
    if not isinstance(config, dict):
        raise TypeError(f"`{name}` must be a number or a table with a `kind` key; got {config!r}.")
    cfg = dict(config)
    kind = cfg.pop("kind", None)
    if kind not in DISTRIBUTIONS:
        raise ValueError(f"`{name}.kind` must be one of {sorted(DISTRIBUTIONS)}; got {kind!r}.")
    cls = DISTRIBUTIONS[kind]
    valid = sorted(cls.__dataclass_fields__)  # type: ignore[attr-defined]
    unknown = sorted(set(cfg) - set(valid))
    if unknown:
        raise ValueError(
            f"unknown key(s) {unknown} in `{name}` (kind={kind!r}); valid keys: {valid}."
        )
    if "values" in cfg:
        cfg["values"] = tuple(cfg["values"])
    return cls(**cfg)


def _as_tuple(name: str, value: Any, length: int | None = None) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(f"`{name}` must be a sequence; got {value!r}.")
    out = tuple(value)
    if length is not None and len(out) != length:
        raise ValueError(
            f"`{name}` must have one entry per population ({length}); got {len(out)} entries."
        )
    return out


@dataclass(frozen=True, slots=True)
class JacobianSample:
    r"""One realization of a :class:`BlockEnsemble`: :math:`A = T^{-1}(-I + (W - M) G)`.

    Parameters
    ----------
    W : scipy.sparse.csr_matrix, shape (n, n)
        Signed sparse couplings (column sign = presynaptic population, Dale's law), already scaled
        by :math:`1/\sqrt n`.
    tau : (n,) ndarray
        Timescales (row ``i`` of ``A`` carries :math:`1/\tau_i`).
    gain : (n,) ndarray
        Gains (column ``j`` of ``W G`` carries ``gain[j]``).
    population : (n,) ndarray of int
        Population index of each unit.
    mean_removed : (P, P) ndarray
        Block values :math:`M_{ab}` subtracted from every entry of block ``(a, b)`` (zeros when
        the ensemble keeps its means).
    spec : BlockEnsemble
        The ensemble it was drawn from.
    """

    W: Any
    tau: FloatArray
    gain: FloatArray
    population: Any
    mean_removed: FloatArray
    spec: BlockEnsemble

    @property
    def n(self) -> int:
        """Number of units."""
        return int(self.tau.size)

    def low_rank_factors(self) -> tuple[FloatArray, FloatArray]:
        """Return ``U (n, P)``, ``V (n, P)`` with ``M = U V^T`` (the removed block means)."""
        P = self.mean_removed.shape[0]
        ind = np.zeros((self.n, P))
        ind[np.arange(self.n), self.population] = 1.0
        return ind @ self.mean_removed, ind

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


def _bernoulli_positions(rng: np.random.Generator, total: int, p: float) -> Any:
    """Sorted flat indices of i.i.d. Bernoulli(p) successes among ``total`` trials (O(count))."""
    if p <= 0 or total == 0:
        return np.zeros(0, dtype=np.int64)
    if p >= 1:
        return np.arange(total, dtype=np.int64)
    k = int(rng.binomial(total, p))
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    if k > total // 4:
        return np.flatnonzero(rng.random(total) < p).astype(np.int64)
    # k distinct positions uniformly: conditioned on the count this is exactly Bernoulli(p)
    pos = np.unique(rng.integers(0, total, size=int(k * 1.1) + 16))
    while pos.size < k:
        pos = np.unique(np.concatenate([pos, rng.integers(0, total, size=k - pos.size + 16)]))
    return np.sort(rng.choice(pos, size=k, replace=False))


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class BlockEnsemble:
    r"""Sparse P-population block ensemble of Jacobians :math:`A = T^{-1}(-I + W G)`.

    Unit ``i`` belongs to population ``a(i)``. Entry :math:`W_{ij}` is non-zero with probability
    :math:`p_{a(i)b(j)}`; its magnitude is drawn from ``weights[a][b]`` and scaled by
    :math:`1/\sqrt n`; its sign is ``signs[b(j)]`` (Dale's law: the presynaptic, column
    population sets the sign). Timescales and gains are drawn per unit from the distributions of
    its population (independently of each other). Chotibut, Evnin & Horinouchi (2025) [1]_, Sec. II.

    Parameters
    ----------
    n : int
        Number of units.
    fractions : sequence of float
        Population fractions :math:`\alpha_a` (sum to 1); sizes are rounded by largest remainder.
    signs : sequence of {+1, -1}
        Sign of each population's outgoing weights (+1 excitatory, -1 inhibitory).
    connectivity : (P, P) nested sequence of float
        Connection probabilities :math:`p_{ab}` (row: postsynaptic ``a``; column: presynaptic
        ``b``).
    weights : (P, P) nested sequence of AbstractDistribution or float
        Weight-magnitude distribution of each block (a number means a fixed magnitude).
    tau : sequence of AbstractDistribution or float
        Timescale distribution of each population.
    gain : sequence of AbstractDistribution or float
        Gain distribution of each population.
    keep_mean : bool
        If False, the expected block mean :math:`E[W_{ij}]` is subtracted from every entry of the
        block (a rank-P correction kept separately so ``W`` stays sparse); if True the means stay
        and create outliers.
    allow_self_coupling : bool
        If False (default), :math:`W_{ii} = 0`.
    names : sequence of str, optional
        Population names (default ``E``/``I`` for two populations, else ``P0, P1, ...``).

    References
    ----------
    .. [1] Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767.

    Examples
    --------
    >>> ens = BlockEnsemble.excitatory_inhibitory(n=400, p_ee=0.1, p_ei=0.5, p_ie=0.5, p_ii=0.5)
    >>> s = ens.sample(0)
    >>> s.W.shape, ens.sizes
    ((400, 400), (320, 80))
    >>> bool(np.all(s.W[:, :320].data > 0) and np.all(s.W[:, 320:].data < 0))
    True
    """

    n: int
    fractions: tuple[float, ...]
    signs: tuple[int, ...]
    connectivity: tuple[tuple[float, ...], ...]
    weights: tuple[tuple[AbstractDistribution, ...], ...]
    tau: tuple[AbstractDistribution, ...]
    gain: tuple[AbstractDistribution, ...]
    keep_mean: bool = True
    allow_self_coupling: bool = False
    names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        check_positive_int("n", self.n)
        fr = _as_tuple("fractions", self.fractions)
        P = len(fr)
        if P == 0:
            raise ValueError("`fractions` must have at least one entry; got ().")
        fr = tuple(check_fraction(f"fractions[{a}]", f) for a, f in enumerate(fr))
        if abs(sum(fr) - 1.0) > 1e-9:
            raise ValueError(f"`fractions` must sum to 1; got {fr!r} (sum {sum(fr)!r}).")
        object.__setattr__(self, "fractions", fr)
        signs = _as_tuple("signs", self.signs, P)
        for a, s in enumerate(signs):
            if s not in (1, -1):
                raise ValueError(f"`signs[{a}]` must be +1 or -1; got {s!r}.")
        object.__setattr__(self, "signs", tuple(int(s) for s in signs))
        conn = _as_tuple("connectivity", self.connectivity, P)
        conn = tuple(
            tuple(
                check_fraction(f"connectivity[{a}][{b}]", p)
                for b, p in enumerate(_as_tuple(f"connectivity[{a}]", row, P))
            )
            for a, row in enumerate(conn)
        )
        object.__setattr__(self, "connectivity", conn)
        wts = _as_tuple("weights", self.weights, P)
        wts = tuple(
            tuple(
                distribution_from_config(d, name=f"weights[{a}][{b}]")
                for b, d in enumerate(_as_tuple(f"weights[{a}]", row, P))
            )
            for a, row in enumerate(wts)
        )
        object.__setattr__(self, "weights", wts)
        for field_name in ("tau", "gain"):
            dists = tuple(
                distribution_from_config(d, name=f"{field_name}[{a}]")
                for a, d in enumerate(_as_tuple(field_name, getattr(self, field_name), P))
            )
            object.__setattr__(self, field_name, dists)
        for a, d in enumerate(self.tau):
            if d.support[0] <= 0 and not isinstance(d, LogNormal):
                raise ValueError(
                    f"`tau[{a}]` must have support in (0, inf); got {d!r}. Timescales must be > 0."
                )
        if not isinstance(self.keep_mean, bool):
            raise TypeError(f"`keep_mean` must be a bool; got {self.keep_mean!r}.")
        if self.names is None:
            names = (
                ("E", "I") if P == 2 and self.signs == (1, -1) else tuple(f"P{a}" for a in range(P))
            )
        else:
            names = tuple(str(x) for x in _as_tuple("names", self.names, P))
        object.__setattr__(self, "names", names)

    # -- derived quantities ------------------------------------------------------------------
    @property
    def n_populations(self) -> int:
        """Number of populations P."""
        return len(self.fractions)

    @property
    def sizes(self) -> tuple[int, ...]:
        """Population sizes (largest-remainder rounding of ``n * fractions``)."""
        raw = np.asarray(self.fractions) * self.n
        base = np.floor(raw).astype(int)
        rem = self.n - int(base.sum())
        order = np.argsort(-(raw - base), kind="stable")
        base[order[:rem]] += 1
        return tuple(int(x) for x in base)

    @property
    def alpha(self) -> FloatArray:
        r"""Realized population fractions :math:`\alpha_a = n_a / n`."""
        return np.asarray(self.sizes, dtype=float) / self.n

    @property
    def block_variance(self) -> FloatArray:
        r"""Block variances :math:`s_{ab} = n\,\mathrm{Var}(W_{ij}) = p\,E[w^2] - p^2 E[w]^2`."""
        p = np.asarray(self.connectivity)
        m1 = np.array([[d.mean for d in row] for row in self.weights])
        m2 = np.array([[d.second_moment for d in row] for row in self.weights])
        return p * m2 - (p * m1) ** 2

    @property
    def block_mean(self) -> FloatArray:
        r"""Block means times n, :math:`\mu_{ab} = n E[W_{ij}] = \sqrt n\,s_b p_{ab} E[w_{ab}]`."""
        p = np.asarray(self.connectivity)
        m1 = np.array([[d.mean for d in row] for row in self.weights])
        return math.sqrt(self.n) * p * m1 * np.asarray(self.signs, dtype=float)[None, :]

    def population_index(self) -> Any:
        """Return the ``(n,)`` population index of each unit (populations in contiguous blocks)."""
        return np.repeat(np.arange(self.n_populations), self.sizes)

    # -- sampling ------------------------------------------------------------------------------
    def sample(self, rng: Seed = None) -> JacobianSample:
        """Draw one Jacobian realization (sparse ``W``, ``tau``, ``gain``) from ``rng``.

        Parameters
        ----------
        rng : int, Generator, SeedSequence or None
            Seed of the quenched disorder.

        Returns
        -------
        JacobianSample
            The realization.
        """
        from scipy import sparse

        gen = as_rng(rng)
        sizes = self.sizes
        starts = np.concatenate([[0], np.cumsum(sizes)])
        tau = np.concatenate([d.sample(gen, k) for d, k in zip(self.tau, sizes, strict=True)])
        gain = np.concatenate([d.sample(gen, k) for d, k in zip(self.gain, sizes, strict=True)])
        rows, cols, vals = [], [], []
        scale = 1.0 / math.sqrt(self.n)
        for a in range(self.n_populations):
            for b in range(self.n_populations):
                na, nb = sizes[a], sizes[b]
                pos = _bernoulli_positions(gen, na * nb, self.connectivity[a][b])
                r, c = np.divmod(pos, nb)
                r += starts[a]
                c += starts[b]
                if not self.allow_self_coupling and a == b:
                    keep = r != c
                    r, c = r[keep], c[keep]
                w = self.weights[a][b].sample(gen, r.size) * (self.signs[b] * scale)
                rows.append(r)
                cols.append(c)
                vals.append(w)
        W = sparse.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(self.n, self.n),
        )
        mean = np.zeros((self.n_populations,) * 2)
        if not self.keep_mean:
            mean = self.block_mean / self.n
        for arr in (tau, gain, mean):
            arr.setflags(write=False)
        return JacobianSample(
            W=W,
            tau=tau,
            gain=gain,
            population=self.population_index(),
            mean_removed=mean,
            spec=self,
        )

    def to_config(self) -> dict[str, Any]:
        """Return the TOML-able description of the spec."""
        return {
            "n": self.n,
            "fractions": list(self.fractions),
            "signs": list(self.signs),
            "connectivity": [list(r) for r in self.connectivity],
            "weights": [[d.to_config() for d in row] for row in self.weights],
            "tau": [d.to_config() for d in self.tau],
            "gain": [d.to_config() for d in self.gain],
            "keep_mean": self.keep_mean,
            "allow_self_coupling": self.allow_self_coupling,
            "names": list(self.names or ()),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> BlockEnsemble:
        """Build from a mapping of the fields; an unknown key is an error listing the valid ones.

        Parameters
        ----------
        config : dict
            Fields of :class:`BlockEnsemble` (distributions as numbers or tables).

        Returns
        -------
        BlockEnsemble
            The ensemble.
        """
        valid = sorted(cls.__dataclass_fields__)  # type: ignore[attr-defined]
        unknown = sorted(set(config) - set(valid))
        if unknown:
            raise ValueError(f"unknown key(s) {unknown} in [ensemble]; valid keys: {valid}.")
        return cls(**config)

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
    ) -> BlockEnsemble:
        """Two-population E/I ensemble (``p_ab``: to ``a`` from ``b``; weights by presynaptic type).

        Parameters
        ----------
        n : int
            Number of units.
        fraction_excitatory : float
            Fraction of excitatory units.
        p_ee, p_ei, p_ie, p_ii : float
            Connection probabilities (``p_ei``: to E from I).
        weight_e, weight_i : AbstractDistribution or float
            Magnitude distributions of excitatory and inhibitory weights.
        tau_e, tau_i, gain_e, gain_i : AbstractDistribution or float
            Timescale and gain distributions per population.
        keep_mean : bool
            Whether the block means stay (outliers) or are removed.

        Returns
        -------
        BlockEnsemble
            The spec.
        """
        f = check_fraction("fraction_excitatory", fraction_excitatory)
        return cls(
            n=n,
            fractions=(f, 1.0 - f),
            signs=(1, -1),
            connectivity=((p_ee, p_ei), (p_ie, p_ii)),
            weights=((weight_e, weight_i), (weight_e, weight_i)),
            tau=(tau_e, tau_i),
            gain=(gain_e, gain_i),
            keep_mean=keep_mean,
        )


#: statistics that :func:`vary` can change, for edge-sensitivity sweeps
STATISTICS = ("sparsity", "fraction_excitatory", "weight_scale", "tau_spread", "gain_spread")


def vary(ensemble: BlockEnsemble, statistic: str, value: float) -> BlockEnsemble:
    """Return ``ensemble`` with one statistic changed (for edge-sensitivity sweeps).

    Parameters
    ----------
    ensemble : BlockEnsemble
        Base spec.
    statistic : {"sparsity", "fraction_excitatory", "weight_scale", "tau_spread", "gain_spread"}
        ``sparsity``: every :math:`p_{ab}` multiplied by ``value`` (clipped to 1);
        ``fraction_excitatory``: fractions set to ``(value, 1 - value)`` (two populations);
        ``weight_scale``: every weight magnitude multiplied by ``value`` (variances by value**2);
        ``tau_spread`` / ``gain_spread``: every timescale / gain distribution of a non-fixed kind
        gets spread ``value`` (:meth:`AbstractDistribution.with_spread`).
    value : float
        New value or factor.

    Returns
    -------
    BlockEnsemble
        The modified spec.

    Examples
    --------
    >>> ens = BlockEnsemble.excitatory_inhibitory(n=100, p_ee=0.2)
    >>> vary(ens, "sparsity", 0.5).connectivity[0][0]
    0.1
    """
    import dataclasses

    check_in("statistic", statistic, STATISTICS)
    v = check_nonnegative("value", value)
    if statistic == "sparsity":
        conn = tuple(tuple(min(1.0, p * v) for p in row) for row in ensemble.connectivity)
        return dataclasses.replace(ensemble, connectivity=conn)
    if statistic == "fraction_excitatory":
        if ensemble.n_populations != 2:
            raise ValueError(
                f"`statistic` 'fraction_excitatory' needs two populations; got "
                f"{ensemble.n_populations}."
            )
        f = check_fraction("value", v)
        return dataclasses.replace(ensemble, fractions=(f, 1.0 - f))
    if statistic == "weight_scale":
        wts = tuple(tuple(d.scaled(v) for d in row) for row in ensemble.weights)
        return dataclasses.replace(ensemble, weights=wts)
    if statistic in ("tau_spread", "gain_spread"):
        key = statistic.split("_")[0]
        dists = tuple(
            d if isinstance(d, Fixed) else d.with_spread(v) for d in getattr(ensemble, key)
        )
        return dataclasses.replace(ensemble, **{key: dists})
    raise ValueError(f"`statistic` must be one of {list(STATISTICS)}; got {statistic!r}.")
