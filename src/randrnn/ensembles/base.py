r"""The coupling-ensemble interface shared by every network model.

- :class:`AbstractEnsemble` -- a distribution over coupling matrices: sampling (dense or
  ``scipy.sparse``), the statistics theory needs (:class:`CouplingStatistics`), and its config.
- :class:`Coupling` -- one draw with its structure (population of each unit, removed block
  means, low-rank factors and loadings).
- :func:`ensemble_from_config` -- build any registered ensemble from a ``{"kind": ...}`` table.

Theory reads an ensemble only through :meth:`AbstractEnsemble.statistics`, so a theory states
what it covers in terms of those statistics (one population, zero means, no symmetry, ...)
rather than by concrete class (``docs/theory.md`` section 1).
"""

from __future__ import annotations

import abc
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import numpy as np

from randrnn._typing import FloatArray, Seed
from randrnn._validation import as_rng


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class CouplingStatistics:
    r"""Population-level statistics of a coupling ensemble, as used by the theories.

    Entries are for a postsynaptic unit ``i`` in population ``a`` and a presynaptic ``j`` in
    ``b`` (row ``a``, column ``b``).

    Parameters
    ----------
    sizes : tuple of int
        Population sizes :math:`n_a`.
    names : tuple of str
        Population names.
    block_mean : (P, P) ndarray
        :math:`n\,E[J_{ij}]` of the random (non-low-rank) part as sampled (zero where the
        block means are removed).
    block_variance : (P, P) ndarray
        :math:`n\,\mathrm{Var}(J_{ij})` of the random part.
    in_degree : (P, P) ndarray
        Expected number of non-zero inputs a unit of ``a`` receives from ``b`` (``n_b`` when
        dense).
    symmetry : float
        :math:`\eta = n\langle J_{ij}J_{ji}\rangle / g^2` of the random part (0: independent).
    rank : int
        Rank of a structured part :math:`M N^T / n` (0: none).
    dense : bool
        Every entry drawn (no finite connectivity).
    """

    sizes: tuple[int, ...]
    names: tuple[str, ...]
    block_mean: FloatArray
    block_variance: FloatArray
    in_degree: FloatArray
    symmetry: float = 0.0
    rank: int = 0
    dense: bool = True

    @property
    def n(self) -> int:
        """Number of units."""
        return int(sum(self.sizes))

    @property
    def n_populations(self) -> int:
        """Number of populations P."""
        return len(self.sizes)

    @property
    def fractions(self) -> FloatArray:
        r"""Realized population fractions :math:`\alpha_a = n_a / n`."""
        return np.asarray(self.sizes, dtype=float) / self.n

    def unsupported_by_iid(self) -> list[str]:
        """What makes this ensemble differ from i.i.d. zero-mean couplings (empty if nothing)."""
        out = []
        if self.n_populations > 1 and not (
            np.allclose(self.block_variance, self.block_variance.flat[0])
            and np.allclose(self.block_mean, 0.0)
        ):
            out.append(f"{self.n_populations} populations with different block statistics")
        if np.any(self.block_mean != 0):
            out.append("nonzero block means")
        if self.symmetry != 0:
            out.append(f"partial symmetry eta = {self.symmetry:g}")
        if self.rank:
            out.append(f"a rank-{self.rank} structured part")
        if not self.dense:
            out.append("finite connectivity (sparse couplings)")
        return out

    def iid_gain(self) -> float | None:
        r""":math:`g` if the couplings are i.i.d. with zero mean and variance :math:`g^2/n`.

        That is the Sompolinsky-Crisanti-Sommers setting of the single-population DMFT and of
        the linear-equivalent covariance; ``None`` otherwise (see
        :meth:`unsupported_by_iid`).
        """
        if self.unsupported_by_iid():
            return None
        return float(np.sqrt(self.block_variance.flat[0]))

    def describe_unsupported(self) -> str:
        """One line naming what makes the ensemble not i.i.d. (empty if it is)."""
        return ", ".join(self.unsupported_by_iid())


def block_mean_factors(population: Any, block_values: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``U (n, P)``, ``V (n, P)`` with ``(U V^T)_ij = block_values[a(i), b(j)]`` (rank P)."""
    population = np.asarray(population)
    P = block_values.shape[0]
    ind = np.zeros((population.size, P))
    ind[np.arange(population.size), population] = 1.0
    return ind @ block_values, ind


@dataclass(frozen=True, slots=True, eq=False)
class Coupling:
    r"""One coupling draw with its structure: :math:`J = W - U V^T + M N^T / n`.

    Parameters
    ----------
    W : ndarray or scipy.sparse matrix, shape (n, n)
        The random part as sampled (dense or CSR).
    population : (n,) ndarray of int
        Population index of each unit.
    mean_removed : (P, P) ndarray
        Block values subtracted from every entry of block ``(a, b)`` (a rank-P correction kept
        apart so ``W`` stays sparse; zeros when the means are kept).
    low_rank : tuple of (n, R) ndarrays, optional
        ``(M, N)`` with the structured part :math:`M N^T / n`.
    loadings : (n, D) ndarray, optional
        The per-unit loadings the low-rank part was drawn from (columns ``m_1..m_R, n_1..n_R``
        then input weights).
    component : (n,) ndarray of int, optional
        Mixture component of each unit.
    """

    W: Any
    population: Any
    mean_removed: FloatArray
    low_rank: tuple[FloatArray, FloatArray] | None = None
    loadings: FloatArray | None = None
    component: Any = field(default=None)

    @property
    def n(self) -> int:
        """Number of units."""
        return int(self.W.shape[0])

    @property
    def is_sparse(self) -> bool:
        """Whether ``W`` is a ``scipy.sparse`` matrix."""
        return not isinstance(self.W, np.ndarray)

    def mean_factors(self) -> tuple[FloatArray, FloatArray]:
        """Return ``U (n, P)``, ``V (n, P)`` with the removed block means ``U V^T``."""
        return block_mean_factors(self.population, self.mean_removed)

    def to_dense(self) -> FloatArray:
        """Return :math:`J` as a dense float64 C-ordered array (``W`` itself when it already is)."""
        corrected = bool(np.any(self.mean_removed)) or self.low_rank is not None
        if not self.is_sparse and not corrected:
            return np.ascontiguousarray(self.W, dtype=float)  # no n x n copy
        J = self.W.toarray() if self.is_sparse else np.array(self.W, dtype=float, order="C")
        if np.any(self.mean_removed):
            U, V = self.mean_factors()
            J -= U @ V.T
        if self.low_rank is not None:
            M, N = self.low_rank
            J += (M @ N.T) / self.n
        return J


class AbstractEnsemble(abc.ABC):
    """A distribution over coupling matrices of a fixed size.

    Subclasses implement :meth:`sample_coupling` and :meth:`statistics`; :meth:`sample`
    returns the dense or sparse matrix alone.
    """

    kind: ClassVar[str] = "abstract"

    @property
    @abc.abstractmethod
    def size(self) -> int:
        """Number of units."""

    @abc.abstractmethod
    def sample_coupling(self, rng: Seed = None) -> Coupling:
        """Draw one coupling matrix with its structure from ``rng``."""

    @abc.abstractmethod
    def statistics(self) -> CouplingStatistics:
        """Population-level statistics used by the theories."""

    def sample(self, rng: Seed = None) -> Any:
        """Draw one coupling matrix (dense float64 ``(n, n)``, or sparse where the ensemble is)."""
        c = self.sample_coupling(as_rng(rng))
        if not np.any(c.mean_removed) and c.low_rank is None:
            return c.W
        return c.to_dense()

    def population_index(self) -> Any:
        """Return the ``(n,)`` population index of each unit (populations in contiguous blocks)."""
        sizes = self.statistics().sizes
        return np.repeat(np.arange(len(sizes)), sizes)

    def to_config(self) -> dict[str, Any]:
        """Return the TOML-able description (``kind`` plus the dataclass fields)."""
        return {"kind": self.kind, **asdict(self)}  # type: ignore[call-overload]


#: registered ensembles by ``kind`` (filled by the modules that define them)
ENSEMBLES: dict[str, type[AbstractEnsemble]] = {}


def register(cls: type[AbstractEnsemble]) -> type[AbstractEnsemble]:
    """Class decorator: make ``cls`` buildable from configs by its ``kind``."""
    ENSEMBLES[cls.kind] = cls
    return cls


def ensemble_from_config(config: dict[str, Any]) -> AbstractEnsemble:
    """Build an ensemble from a config mapping with a ``kind`` key (default ``gaussian``).

    Parameters
    ----------
    config : dict
        ``{"kind": ..., **fields}``; an ensemble class with a ``from_config`` classmethod
        parses its own nested tables.

    Returns
    -------
    AbstractEnsemble
        The ensemble.

    Raises
    ------
    ValueError
        For an unknown ``kind`` or key, listing the valid ones.
    """
    if not isinstance(config, dict):
        raise TypeError(
            f"`ensemble` must be a table ([ensemble] or --set ensemble.KEY=VALUE); got {config!r}."
        )
    cfg = dict(config)
    kind = cfg.pop("kind", "gaussian")
    if not isinstance(kind, str) or kind not in ENSEMBLES:
        raise ValueError(f"`ensemble.kind` must be one of {sorted(ENSEMBLES)}; got {kind!r}.")
    cls = ENSEMBLES[kind]
    valid = sorted(f for f in cls.__dataclass_fields__ if not f.startswith("_"))  # type: ignore[attr-defined]
    unknown = sorted(set(cfg) - set(valid))
    if unknown:
        raise ValueError(
            f"unknown key(s) {unknown} in `ensemble` (kind={kind!r}); valid keys: {valid}."
        )
    from_config = getattr(cls, "from_config", None)
    if from_config is not None:
        return from_config(cfg)  # type: ignore[no-any-return]
    return cls(**cfg)
