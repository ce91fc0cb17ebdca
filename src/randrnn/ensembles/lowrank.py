r"""Low-rank plus random couplings with Gaussian-mixture loadings (``docs/theory.md`` section 7).

:math:`J = M N^T / n + \chi`. Each unit ``i`` belongs to one of P mixture components (contiguous
blocks, sizes by largest remainder of the weights) and draws its loading vector
:math:`(m_{i1}..m_{iR}, n_{i1}..n_{iR}, I_{i1}..I_{iK})` from that component's Gaussian.
Beiran, Dubreuil, Valente, Mastrogiuseppe & Ostojic (2021), arXiv:2007.02062.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, final

import numpy as np

from randrnn._typing import FloatArray, Seed
from randrnn._validation import as_rng, check_array, check_nonnegative_int, check_positive_int
from randrnn.ensembles.base import (
    AbstractEnsemble,
    Coupling,
    CouplingStatistics,
    ensemble_from_config,
    register,
)
from randrnn.ensembles.block import population_sizes

#: the examples of Beiran et al. (arXiv:2007.02062) that ``randrnn lowrank`` reproduces (their
#: mixtures: :func:`randrnn.experiments.lowrank.paper_example`)
PAPER_EXAMPLES = (
    "rank1_monostable",
    "rank1_bistable",
    "rank2_axes",
    "rank2_cycle",
    "rank2_ring",
    "rank1_two_components",
    "rank2_hexagon",
)


@final
@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class GaussianMixture:
    r"""A mixture of P Gaussians over the D-dimensional loading vector of a unit.

    Parameters
    ----------
    weights : (P,) array_like
        Component weights (sum to 1).
    means : (P, D) array_like
        Component means.
    covariances : (P, D, D) array_like
        Component covariances (symmetric positive semi-definite).

    Examples
    --------
    >>> mix = GaussianMixture(weights=[0.5, 0.5], means=[[1.0, 0.0], [-1.0, 0.0]],
    ...                       covariances=[np.eye(2), np.eye(2)])
    >>> mix.n_components, mix.dim
    (2, 2)
    """

    weights: FloatArray
    means: FloatArray
    covariances: FloatArray

    def __post_init__(self) -> None:
        w = check_array("mixture.weights", self.weights, shape=(None,))
        P = w.size
        if P == 0 or np.any(w < 0) or abs(w.sum() - 1.0) > 1e-9:
            raise ValueError(
                f"`mixture.weights` must be non-negative and sum to 1; got {w.tolist()!r}."
            )
        mu = check_array("mixture.means", self.means, shape=(P, None))
        D = mu.shape[1]
        cov = check_array("mixture.covariances", self.covariances, shape=(P, D, D))
        for p in range(P):
            c = cov[p]
            if not np.allclose(c, c.T, atol=1e-12):
                raise ValueError(f"`mixture.covariances[{p}]` must be symmetric; got {c!r}.")
            if np.linalg.eigvalsh(c).min() < -1e-10 * max(1.0, np.abs(c).max()):
                raise ValueError(
                    f"`mixture.covariances[{p}]` must be positive semi-definite; got "
                    f"eigenvalues {np.linalg.eigvalsh(c)!r}."
                )
        for name, arr in (("weights", w), ("means", mu), ("covariances", cov)):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def n_components(self) -> int:
        """Number of components P."""
        return int(self.weights.size)

    @property
    def dim(self) -> int:
        """Dimension D of a loading vector."""
        return int(self.means.shape[1])

    def sizes(self, n: int) -> tuple[int, ...]:
        """Component sizes among ``n`` units (largest-remainder rounding of ``n * weights``)."""
        return population_sizes(n, tuple(float(x) for x in self.weights))

    def sample(self, rng: np.random.Generator, n: int) -> tuple[FloatArray, Any]:
        """Draw ``(loadings (n, D), component (n,))``: unit ``i`` from its component's Gaussian."""
        sizes = self.sizes(n)
        comp = np.repeat(np.arange(self.n_components), sizes)
        out = np.empty((n, self.dim))
        start = 0
        for p, k in enumerate(sizes):
            # factor via eigh so that semi-definite covariances work
            lam, vec = np.linalg.eigh(self.covariances[p])
            L = vec * np.sqrt(np.clip(lam, 0.0, None))[None, :]
            out[start : start + k] = self.means[p] + rng.standard_normal((k, self.dim)) @ L.T
            start += k
        return out, comp

    def to_config(self) -> dict[str, Any]:
        """TOML-able description."""
        return {
            "weights": self.weights.tolist(),
            "means": self.means.tolist(),
            "covariances": self.covariances.tolist(),
        }


@register
@final
@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LowRankEnsemble(AbstractEnsemble):
    r"""Low-rank plus random couplings :math:`J = M N^T / n + \chi` with mixture loadings.

    Parameters
    ----------
    n : int
        Number of units.
    rank : int
        Rank R of the structured part.
    mixture : GaussianMixture
        Law of the loading vector :math:`(m_1..m_R, n_1..n_R, I_1..I_K)` of each unit, so its
        dimension is ``2 * rank + n_inputs``.
    n_inputs : int
        Number K of input-weight columns in the loadings (kept with the realization).
    chi : AbstractEnsemble, optional
        The random part (one population, e.g. ``GaussianEnsemble(n=n, g=...)``); none if
        omitted.

    Examples
    --------
    >>> mix = GaussianMixture(weights=[1.0], means=[[0.0, 2.0]], covariances=[np.eye(2)])
    >>> ens = LowRankEnsemble(n=300, rank=1, mixture=mix)
    >>> c = ens.sample_coupling(0)
    >>> M, N = c.low_rank
    >>> bool(np.allclose(c.to_dense(), M @ N.T / 300))
    True
    """

    kind: ClassVar[str] = "lowrank"
    n: int
    rank: int
    mixture: GaussianMixture
    n_inputs: int = 0
    chi: AbstractEnsemble | None = field(default=None)

    def __post_init__(self) -> None:
        check_positive_int("ensemble.n", self.n)
        check_positive_int("ensemble.rank", self.rank)
        check_nonnegative_int("ensemble.n_inputs", self.n_inputs)
        if not isinstance(self.mixture, GaussianMixture):
            raise TypeError(
                f"`ensemble.mixture` must be a GaussianMixture; got {type(self.mixture).__name__}."
            )
        want = 2 * self.rank + self.n_inputs
        if self.mixture.dim != want:
            raise ValueError(
                f"`ensemble.mixture` must have dimension 2*rank + n_inputs = {want} "
                f"(m_1..m_R, n_1..n_R, input weights); got {self.mixture.dim}."
            )
        if self.chi is not None:
            if not isinstance(self.chi, AbstractEnsemble):
                raise TypeError(
                    f"`ensemble.chi` must be an ensemble or None; got {type(self.chi).__name__}."
                )
            if self.chi.size != self.n:
                raise ValueError(
                    f"`ensemble.chi` must have n = {self.n} units; got {self.chi.size}."
                )
            if self.chi.statistics().n_populations != 1:
                raise ValueError(
                    "`ensemble.chi` must have one population (its statistics are broadcast over "
                    f"the mixture components); got {self.chi.statistics().n_populations}."
                )

    @property
    def size(self) -> int:
        return self.n

    def statistics(self) -> CouplingStatistics:
        """Components as populations; the random part's mean and variance; ``rank`` = R."""
        sizes = self.mixture.sizes(self.n)
        P = len(sizes)
        if self.chi is None:
            mean = var = np.zeros((P, P))
            deg = np.zeros((P, P))
            dense, eta = True, 0.0
        else:
            s = self.chi.statistics()
            mean = np.full((P, P), s.block_mean[0, 0])
            var = np.full((P, P), s.block_variance[0, 0])
            deg = s.in_degree[0, 0] * np.asarray(sizes, dtype=float)[None, :] / self.n
            deg = np.broadcast_to(deg, (P, P)).copy()
            dense, eta = s.dense, s.symmetry
        return CouplingStatistics(
            sizes=sizes,
            names=tuple(f"C{p}" for p in range(P)),
            block_mean=mean,
            block_variance=var,
            in_degree=deg,
            symmetry=eta,
            rank=self.rank,
            dense=dense,
        )

    def sample_coupling(self, rng: Seed = None) -> Coupling:
        """Draw the loadings (then ``chi`` from the same stream)."""
        gen = as_rng(rng)
        loadings, comp = self.mixture.sample(gen, self.n)
        R = self.rank
        M = np.ascontiguousarray(loadings[:, :R])
        N = np.ascontiguousarray(loadings[:, R : 2 * R])
        if self.chi is None:
            W: Any = np.zeros((self.n, self.n))
        else:
            c = self.chi.sample_coupling(gen)
            W = c.to_dense()
        for arr in (loadings, M, N):
            arr.setflags(write=False)
        return Coupling(
            W=W,
            population=comp,
            mean_removed=np.zeros((self.mixture.n_components,) * 2),
            low_rank=(M, N),
            loadings=loadings,
            component=comp,
        )

    def to_config(self) -> dict[str, Any]:
        """TOML-able description (the mixture as a nested table)."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "n": self.n,
            "rank": self.rank,
            "n_inputs": self.n_inputs,
            "mixture": self.mixture.to_config(),
        }
        if self.chi is not None:
            out["chi"] = self.chi.to_config()
        return out

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LowRankEnsemble:
        """Build from ``n``, ``rank``, ``n_inputs``, a ``mixture`` table and an optional ``chi``.

        ``chi`` may omit ``n`` (it takes the ensemble's).
        """
        cfg = {k: v for k, v in config.items() if k != "kind"}
        mix = cfg.get("mixture")
        if not isinstance(mix, dict):
            raise TypeError(
                "`ensemble.mixture` must be a table with `weights`, `means`, `covariances`; "
                f"got {mix!r}."
            )
        unknown = sorted(set(mix) - {"weights", "means", "covariances"})
        if unknown:
            raise ValueError(
                f"unknown key(s) {unknown} in `ensemble.mixture`; valid keys: "
                "['covariances', 'means', 'weights']."
            )
        missing = sorted({"weights", "means", "covariances"} - set(mix))
        if missing:
            raise ValueError(f"`ensemble.mixture` is missing {missing}.")
        cfg["mixture"] = GaussianMixture(**mix)
        chi = cfg.get("chi")
        if isinstance(chi, dict):
            chi = dict(chi)
            chi.setdefault("n", cfg.get("n"))
            cfg["chi"] = ensemble_from_config(chi)
        return cls(**cfg)
