r"""Scalar distributions of weight magnitudes, timescales and gains.

- :class:`AbstractDistribution` -- sampling, first two moments, support, quadrature.
- :class:`Fixed`, :class:`Uniform`, :class:`LogNormal`, :class:`HalfNormal`, :class:`Beta`,
  :class:`Samples` -- the concrete laws; :func:`distribution_from_config` builds one from a
  number or a TOML table.

Used by the block coupling ensembles (weight magnitudes), by per-population timescales of a
:class:`~randrnn.networks.RateNetwork`, and by the Jacobian ensembles of ``docs/theory.md``
section 5 (timescales and gains).
"""

from __future__ import annotations

import abc
import math
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, final

import numpy as np

from randrnn._typing import FloatArray
from randrnn._validation import (
    check_array,
    check_nonnegative,
    check_positive,
    check_real,
)


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

    @abc.abstractmethod
    def cdf(self, x: Any) -> FloatArray:
        r"""Return :math:`P(X \le x)` elementwise."""

    @abc.abstractmethod
    def ppf(self, u: Any) -> FloatArray:
        """Return the quantile function at probabilities ``u`` in ``[0, 1]`` (elementwise)."""

    def moment(self, p: float) -> float:
        """Return :math:`E[X^p]` for a real ``p > 0`` (quadrature unless a closed form exists)."""
        p = check_positive("p", p)
        x, w = self.quadrature(96)
        return float(np.sum(w * np.power(np.maximum(x, 0.0), p)))

    @property
    def zero_fraction(self) -> float:
        """Probability of the value 0 exactly (a silent unit, for gains)."""
        return 0.0

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

    def cdf(self, x: Any) -> FloatArray:
        return (np.asarray(x, dtype=float) >= self.value).astype(float)

    def ppf(self, u: Any) -> FloatArray:
        return np.full(np.shape(u), self.value)

    def moment(self, p: float) -> float:
        return float(self.value ** check_positive("p", p))

    @property
    def zero_fraction(self) -> float:
        return 1.0 if self.value == 0 else 0.0

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

    def cdf(self, x: Any) -> FloatArray:
        x = np.asarray(x, dtype=float)
        if self.high == self.low:
            return (x >= self.low).astype(float)
        return np.clip((x - self.low) / (self.high - self.low), 0.0, 1.0)

    def ppf(self, u: Any) -> FloatArray:
        return self.low + (self.high - self.low) * np.asarray(u, dtype=float)

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

    def cdf(self, x: Any) -> FloatArray:
        from scipy.special import ndtr

        x = np.asarray(x, dtype=float)
        if self.sigma == 0:
            return (x >= self.median).astype(float)
        with np.errstate(divide="ignore"):
            return np.where(
                x > 0, ndtr(np.log(np.maximum(x, 1e-300) / self.median) / self.sigma), 0.0
            )

    def ppf(self, u: Any) -> FloatArray:
        from scipy.special import ndtri

        return self.median * np.exp(self.sigma * ndtri(np.asarray(u, dtype=float)))

    def moment(self, p: float) -> float:
        p = check_positive("p", p)
        return float(self.median**p * math.exp(0.5 * (p * self.sigma) ** 2))

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

    def cdf(self, x: Any) -> FloatArray:
        from scipy.special import ndtr

        x = np.asarray(x, dtype=float)
        if self.scale == 0:
            return (x >= abs(self.loc)).astype(float)
        s, m = self.scale, self.loc
        return np.where(x >= 0, ndtr((x - m) / s) - ndtr((-x - m) / s), 0.0)

    def ppf(self, u: Any) -> FloatArray:
        from scipy import stats

        u = np.asarray(u, dtype=float)
        if self.scale == 0:
            return np.full(u.shape, abs(self.loc))
        return np.asarray(stats.foldnorm(abs(self.loc) / self.scale, scale=self.scale).ppf(u))

    def moment(self, p: float) -> float:
        p = check_positive("p", p)
        if self.loc == 0:
            return float(
                self.scale**p * 2 ** (p / 2) * math.gamma((p + 1) / 2) / math.sqrt(math.pi)
            )
        from scipy import integrate

        m, sd = self.loc, self.scale
        if sd == 0:
            return float(abs(m) ** p)
        f = lambda y: abs(y) ** p * math.exp(-0.5 * ((y - m) / sd) ** 2)  # noqa: E731
        lo, hi = m - 12 * sd, m + 12 * sd
        pts = [0.0] if lo < 0 < hi else None
        val = integrate.quad(f, lo, hi, points=pts, limit=200)[0]
        return float(val / (sd * math.sqrt(2 * math.pi)))

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

    def cdf(self, x: Any) -> FloatArray:
        v = np.sort(np.asarray(self.values))
        return np.searchsorted(v, np.asarray(x, dtype=float), side="right") / v.size

    def ppf(self, u: Any) -> FloatArray:
        return np.quantile(
            np.asarray(self.values), np.asarray(u, dtype=float), method="inverted_cdf"
        )

    def moment(self, p: float) -> float:
        return float(np.mean(np.power(np.asarray(self.values), check_positive("p", p))))

    @property
    def zero_fraction(self) -> float:
        return float(np.mean(np.asarray(self.values) == 0))

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


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class Beta(AbstractDistribution):
    r"""A Beta law stretched onto ``[low, high]``: :math:`x = \mathrm{low} + (\mathrm{high} -
    \mathrm{low})\,y`, :math:`y \sim \mathrm{Beta}(a, b)`.

    The timescale and gain laws of Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767.

    Examples
    --------
    >>> d = Beta(a=2.0, b=2.0, low=1.0, high=3.0)
    >>> d.mean
    2.0
    >>> bool(abs(d.second_moment - (4.0 + 0.2)) < 1e-12)
    True
    """

    kind: ClassVar[str] = "beta"
    a: float
    b: float
    low: float = 0.0
    high: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "a", check_positive("a", self.a))
        object.__setattr__(self, "b", check_positive("b", self.b))
        lo = check_nonnegative("low", self.low)
        hi = check_real("high", self.high)
        if hi < lo:
            raise ValueError(f"`high` must be >= `low`; got low={lo!r}, high={hi!r}. Swap them.")
        object.__setattr__(self, "low", lo)
        object.__setattr__(self, "high", hi)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return self.low + (self.high - self.low) * rng.beta(self.a, self.b, size)

    @property
    def _unit_moments(self) -> tuple[float, float]:
        a, b = self.a, self.b
        m = a / (a + b)
        var = a * b / ((a + b) ** 2 * (a + b + 1))
        return m, var

    @property
    def mean(self) -> float:
        m, _ = self._unit_moments
        return self.low + (self.high - self.low) * m

    @property
    def second_moment(self) -> float:
        _, var = self._unit_moments
        return self.mean**2 + (self.high - self.low) ** 2 * var

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def quadrature(self, n: int) -> tuple[FloatArray, FloatArray]:
        from scipy.special import roots_jacobi

        # Gauss-Jacobi on [-1, 1] with weight (1-t)^(b-1) (1+t)^(a-1), t = 2y - 1
        t, w = roots_jacobi(n, self.b - 1.0, self.a - 1.0)
        y = (t + 1.0) / 2.0
        return self.low + (self.high - self.low) * y, w / w.sum()

    def _frozen(self) -> Any:
        from scipy import stats

        return stats.beta(self.a, self.b, loc=self.low, scale=self.high - self.low)

    def cdf(self, x: Any) -> FloatArray:
        x = np.asarray(x, dtype=float)
        if self.high == self.low:
            return (x >= self.low).astype(float)
        return np.asarray(self._frozen().cdf(x))

    def ppf(self, u: Any) -> FloatArray:
        u = np.asarray(u, dtype=float)
        if self.high == self.low:
            return np.full(u.shape, self.low)
        return np.asarray(self._frozen().ppf(u))

    def scaled(self, factor: float) -> Beta:
        return Beta(a=self.a, b=self.b, low=self.low * factor, high=self.high * factor)

    def with_spread(self, spread: float) -> AbstractDistribution:
        if not 0 <= check_real("spread", spread) <= 1:
            raise ValueError(f"`spread` must be in [0, 1] for a Beta law; got {spread!r}.")
        c = 0.5 * (self.low + self.high)
        if spread == 0:
            return Fixed(value=self.mean)
        return Beta(a=self.a, b=self.b, low=c * (1 - spread), high=c * (1 + spread))


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class ZeroInflated(AbstractDistribution):
    r"""``base`` with an atom at 0 of mass ``zero_fraction``: gains of silent units.

    A unit with gain 0 has an empty column in :math:`W G`; its Jacobian eigenvalue is exactly
    :math:`-1/\tau` (the bar of ``docs/theory.md`` section 5.4).

    Examples
    --------
    >>> d = ZeroInflated(base=Beta(a=2.0, b=2.0, low=0.1, high=0.3), zero_fraction=0.25)
    >>> bool(abs(d.mean - 0.75 * 0.2) < 1e-15), float(d.cdf(0.0))
    (True, 0.25)
    """

    kind: ClassVar[str] = "zero_inflated"
    base: AbstractDistribution
    zero_fraction: float  # type: ignore[assignment]

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", distribution_from_config(self.base, name="base"))
        q = check_real("zero_fraction", self.zero_fraction)
        if not 0.0 <= q < 1.0:
            raise ValueError(
                f"`zero_fraction` must be in [0, 1); got {q!r}. For silent units only use "
                "Fixed(value=0)."
            )
        object.__setattr__(self, "zero_fraction", q)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        silent = rng.random(size) < self.zero_fraction
        x = self.base.sample(rng, size)
        return np.where(silent, 0.0, x)

    @property
    def mean(self) -> float:
        return (1.0 - self.zero_fraction) * self.base.mean

    @property
    def second_moment(self) -> float:
        return (1.0 - self.zero_fraction) * self.base.second_moment

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, self.base.support[1])

    def quadrature(self, n: int) -> tuple[FloatArray, FloatArray]:
        x, w = self.base.quadrature(n)
        q = self.zero_fraction
        return np.concatenate([[0.0], x]), np.concatenate([[q], (1.0 - q) * w])

    def cdf(self, x: Any) -> FloatArray:
        x = np.asarray(x, dtype=float)
        q = self.zero_fraction
        return np.where(x >= 0, q + (1.0 - q) * self.base.cdf(x), 0.0)

    def ppf(self, u: Any) -> FloatArray:
        u = np.asarray(u, dtype=float)
        q = self.zero_fraction
        v = np.clip((u - q) / (1.0 - q), 0.0, 1.0)
        return np.where(u <= q, 0.0, self.base.ppf(v))

    def moment(self, p: float) -> float:
        return (1.0 - self.zero_fraction) * self.base.moment(p)

    def scaled(self, factor: float) -> ZeroInflated:
        return ZeroInflated(base=self.base.scaled(factor), zero_fraction=self.zero_fraction)

    def with_spread(self, spread: float) -> ZeroInflated:
        return ZeroInflated(base=self.base.with_spread(spread), zero_fraction=self.zero_fraction)

    def to_config(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "base": self.base.to_config(),
            "zero_fraction": self.zero_fraction,
        }


DISTRIBUTIONS: dict[str, type[AbstractDistribution]] = {
    "zero_inflated": ZeroInflated,
    "beta": Beta,
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
    if isinstance(config, (int, float, np.integer, np.floating)) and not isinstance(config, bool):
        if not (math.isfinite(config) and config >= 0):
            raise ValueError(f"`{name}` must be a finite number >= 0; got {config!r}.")
        return Fixed(value=float(config))
    if not isinstance(config, dict):
        raise TypeError(f"`{name}` must be a number or a table with a `kind` key; got {config!r}.")
    cfg = dict(config)
    kind = cfg.pop("kind", None)
    if not isinstance(kind, str) or kind not in DISTRIBUTIONS:
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
