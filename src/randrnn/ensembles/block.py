r"""Block couplings of P populations: Dale signs, sparse or dense blocks, finite in-degree.

Unit ``i`` belongs to population ``a(i)``. Entry :math:`J_{ij}` is non-zero with probability
:math:`p_{a(i)b(j)}` (or mean in-degree :math:`c_{ab} = p_{ab} n_b`), its magnitude is drawn
from ``weights[a][b]`` and scaled by :math:`1/\sqrt n` (``scaling="sqrt_n"``) or not
(``"none"``), and its sign is ``signs[b(j)]`` (Dale's law: the presynaptic population sets the
sign). ``docs/theory.md`` section 5; Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, final

import numpy as np

from randrnn._typing import FloatArray, Seed
from randrnn._validation import (
    as_rng,
    check_bool,
    check_fraction,
    check_in,
    check_nonnegative,
    check_positive_int,
)
from randrnn.ensembles.base import AbstractEnsemble, Coupling, CouplingStatistics, register
from randrnn.ensembles.distributions import (
    AbstractDistribution,
    _as_tuple,
    distribution_from_config,
)


def bernoulli_positions(rng: np.random.Generator, total: int, p: float) -> Any:
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


def population_sizes(n: int, fractions: tuple[float, ...]) -> tuple[int, ...]:
    """Largest-remainder rounding of ``n * fractions`` (sizes sum to ``n``)."""
    raw = np.asarray(fractions) * n
    base = np.floor(raw).astype(int)
    rem = n - int(base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rem]] += 1
    return tuple(int(x) for x in base)


def _matrix(name: str, value: Any, P: int, check: Any) -> tuple[tuple[float, ...], ...]:
    rows = _as_tuple(name, value, P)
    return tuple(
        tuple(check(f"{name}[{a}][{b}]", x) for b, x in enumerate(_as_tuple(f"{name}[{a}]", r, P)))
        for a, r in enumerate(rows)
    )


@register
@final
@dataclass(frozen=True, slots=True, kw_only=True)
class BlockEnsemble(AbstractEnsemble):
    r"""Sparse or dense P-population block couplings with Dale signs.

    Parameters
    ----------
    n : int
        Number of units.
    fractions : sequence of float
        Population fractions :math:`\alpha_a` (sum to 1); sizes by largest remainder.
    signs : sequence of {+1, -1}
        Sign of each population's outgoing weights (+1 excitatory, -1 inhibitory).
    connectivity : (P, P) nested sequence of float, optional
        Connection probabilities :math:`p_{ab}` (row: postsynaptic ``a``; column: presynaptic
        ``b``). Exactly one of ``connectivity`` and ``in_degree`` is given.
    in_degree : (P, P) nested sequence of float, optional
        Mean in-degrees :math:`c_{ab}` (finite connectivity): :math:`p_{ab} = c_{ab}/n_b`
        (``connectivity`` is then derived; pass ``connectivity=None`` to
        ``dataclasses.replace`` when changing other fields).
    weights : (P, P) nested sequence of AbstractDistribution or float
        Weight-magnitude law of each block (a number is a fixed magnitude).
    scaling : {"sqrt_n", "none"}
        Magnitudes multiplied by :math:`1/\sqrt n` (dense-limit scaling) or used as given
        (finite-connectivity scaling).
    keep_mean : bool
        If False, the expected block mean is subtracted from every entry of the block (kept as a
        rank-P correction so ``W`` stays sparse); if True the means stay (outliers, and a mean
        input in a simulated network).
    allow_self_coupling : bool
        If False (default), :math:`J_{ii} = 0`.
    names : sequence of str, optional
        Population names (default ``E``/``I`` for two populations with signs (+1, -1), else
        ``P0, P1, ...``).

    Examples
    --------
    >>> ens = BlockEnsemble.excitatory_inhibitory(n=400, p_ee=0.1, p_ei=0.5, p_ie=0.5, p_ii=0.5)
    >>> W = ens.sample_coupling(0).W                 # sparse part; the removed means are apart
    >>> W.shape, ens.sizes
    ((400, 400), (320, 80))
    >>> bool(np.all(W[:, :320].data > 0) and np.all(W[:, 320:].data < 0))
    True
    >>> sp = BlockEnsemble(n=1001, fractions=(1.0,), signs=(-1,), in_degree=((5.0,),),
    ...                    weights=((1.0,),), scaling="none")   # no self-coupling: 1000 inputs
    >>> sp.connectivity, float(sp.statistics().in_degree[0, 0])
    (((0.005,),), 5.0)
    """

    kind: ClassVar[str] = "block"
    n: int
    fractions: tuple[float, ...]
    signs: tuple[int, ...]
    connectivity: tuple[tuple[float, ...], ...] | None = None
    in_degree: tuple[tuple[float, ...], ...] | None = None
    weights: tuple[tuple[AbstractDistribution, ...], ...] = ((1.0,),)  # type: ignore[assignment]
    scaling: Literal["sqrt_n", "none"] = "sqrt_n"
    keep_mean: bool = True
    allow_self_coupling: bool = False
    names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        check_positive_int("ensemble.n", self.n)
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
            if isinstance(s, bool) or s not in (1, -1):
                raise ValueError(f"`signs[{a}]` must be +1 or -1; got {s!r}.")
        object.__setattr__(self, "signs", tuple(int(s) for s in signs))
        if (self.connectivity is None) == (self.in_degree is None):
            raise ValueError(
                "exactly one of `connectivity` (probabilities p_ab) and `in_degree` (mean "
                f"in-degrees c_ab) must be given; got connectivity={self.connectivity!r}, "
                f"in_degree={self.in_degree!r}."
            )
        sizes = population_sizes(self.n, fr)
        if self.in_degree is not None:
            c = _matrix("in_degree", self.in_degree, P, check_nonnegative)
            conn = []
            for a in range(P):
                row = []
                for b in range(P):
                    avail = sizes[b] - (0 if self.allow_self_coupling or a != b else 1)
                    p = c[a][b] / avail if avail > 0 else 0.0
                    if p > 1:
                        raise ValueError(
                            f"`in_degree[{a}][{b}]` must be <= the {avail} available "
                            f"presynaptic units; got {c[a][b]!r}. Reduce it or increase n."
                        )
                    row.append(p)
                conn.append(tuple(row))
            object.__setattr__(self, "in_degree", c)
            object.__setattr__(self, "connectivity", tuple(conn))
        else:
            conn_t = _matrix("connectivity", self.connectivity, P, check_fraction)
            object.__setattr__(self, "connectivity", conn_t)
        wts = tuple(
            tuple(
                distribution_from_config(d, name=f"weights[{a}][{b}]")
                for b, d in enumerate(_as_tuple(f"weights[{a}]", row, P))
            )
            for a, row in enumerate(_as_tuple("weights", self.weights, P))
        )
        object.__setattr__(self, "weights", wts)
        check_in("scaling", self.scaling, ("sqrt_n", "none"))
        check_bool("keep_mean", self.keep_mean)
        check_bool("allow_self_coupling", self.allow_self_coupling)
        if self.names is None:
            names = (
                ("E", "I") if P == 2 and self.signs == (1, -1) else tuple(f"P{a}" for a in range(P))
            )
        else:
            names = tuple(str(x) for x in _as_tuple("names", self.names, P))
        object.__setattr__(self, "names", names)

    # -- derived quantities ------------------------------------------------------------------
    @property
    def size(self) -> int:
        return self.n

    @property
    def n_populations(self) -> int:
        """Number of populations P."""
        return len(self.fractions)

    @property
    def sizes(self) -> tuple[int, ...]:
        """Population sizes (largest-remainder rounding of ``n * fractions``)."""
        return population_sizes(self.n, self.fractions)

    @property
    def alpha(self) -> FloatArray:
        r"""Realized population fractions :math:`\alpha_a = n_a / n`."""
        return np.asarray(self.sizes, dtype=float) / self.n

    @property
    def scale(self) -> float:
        """Factor applied to every magnitude (:math:`1/\\sqrt n` or 1)."""
        return 1.0 / math.sqrt(self.n) if self.scaling == "sqrt_n" else 1.0

    @property
    def block_variance(self) -> FloatArray:
        r"""Block variances :math:`s_{ab} = n\,\mathrm{Var}(J_{ij})`."""
        p = np.asarray(self.connectivity)
        m1 = np.array([[d.mean for d in row] for row in self.weights])
        m2 = np.array([[d.second_moment for d in row] for row in self.weights])
        return self.n * self.scale**2 * (p * m2 - (p * m1) ** 2)

    @property
    def block_mean(self) -> FloatArray:
        r"""Block means times n: :math:`\mu_{ab} = n\,s\,\mathrm{sign}_b\,p_{ab} E[w_{ab}]`.

        The ensemble's mean whether or not ``keep_mean`` removes it from the samples.
        """
        p = np.asarray(self.connectivity)
        m1 = np.array([[d.mean for d in row] for row in self.weights])
        return self.n * self.scale * p * m1 * np.asarray(self.signs, dtype=float)[None, :]

    def statistics(self) -> CouplingStatistics:
        """Block means (as sampled: zero when removed), variances and mean in-degrees."""
        p = np.asarray(self.connectivity)
        sizes = np.asarray(self.sizes, dtype=float)
        avail = np.broadcast_to(sizes[None, :], p.shape).copy()
        if not self.allow_self_coupling:
            avail[np.diag_indices(self.n_populations)] -= 1
        return CouplingStatistics(
            sizes=self.sizes,
            names=tuple(self.names or ()),
            block_mean=self.block_mean if self.keep_mean else np.zeros_like(p),
            block_variance=self.block_variance,
            in_degree=p * avail,
            dense=bool(np.all(p >= 1.0)),
        )

    # -- sampling ------------------------------------------------------------------------------
    def sample_coupling(self, rng: Seed = None) -> Coupling:
        """Draw sparse ``W`` (CSR) and the removed block means from ``rng``."""
        from scipy import sparse

        gen = as_rng(rng)
        sizes = self.sizes
        starts = np.concatenate([[0], np.cumsum(sizes)])
        rows, cols, vals = [], [], []
        for a in range(self.n_populations):
            for b in range(self.n_populations):
                na, nb = sizes[a], sizes[b]
                pos = bernoulli_positions(gen, na * nb, self.connectivity[a][b])  # type: ignore[index]
                r, c = np.divmod(pos, nb)
                r += starts[a]
                c += starts[b]
                if not self.allow_self_coupling and a == b:
                    keep = r != c
                    r, c = r[keep], c[keep]
                w = self.weights[a][b].sample(gen, r.size) * (self.signs[b] * self.scale)
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
        return Coupling(W=W, population=self.population_index(), mean_removed=mean)

    def population_index(self) -> Any:
        """Return the ``(n,)`` population index of each unit (populations in contiguous blocks)."""
        return np.repeat(np.arange(self.n_populations), self.sizes)

    def to_config(self) -> dict[str, Any]:
        """Return the TOML-able description of the spec."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "n": self.n,
            "fractions": list(self.fractions),
            "signs": list(self.signs),
        }
        if self.in_degree is not None:
            out["in_degree"] = [list(r) for r in self.in_degree]
        else:
            out["connectivity"] = [list(r) for r in self.connectivity]  # type: ignore[union-attr]
        out.update(
            {
                "weights": [[d.to_config() for d in row] for row in self.weights],
                "scaling": self.scaling,
                "keep_mean": self.keep_mean,
                "allow_self_coupling": self.allow_self_coupling,
                "names": list(self.names or ()),
            }
        )
        return out

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> BlockEnsemble:
        """Build from a mapping of the fields; an unknown key is an error listing the valid ones."""
        cfg = {k: v for k, v in config.items() if k != "kind"}
        valid = sorted(cls.__dataclass_fields__)  # type: ignore[attr-defined]
        unknown = sorted(set(cfg) - set(valid))
        if unknown:
            raise ValueError(f"unknown key(s) {unknown} in `ensemble`; valid keys: {valid}.")
        return cls(**cfg)

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
        keep_mean: bool = False,
    ) -> BlockEnsemble:
        """Two-population E/I couplings (``p_ab``: to ``a`` from ``b``; weights by presynaptic).

        Parameters
        ----------
        n : int
            Number of units.
        fraction_excitatory : float
            Fraction of excitatory units.
        p_ee, p_ei, p_ie, p_ii : float
            Connection probabilities (``p_ei``: to E from I).
        weight_e, weight_i : AbstractDistribution or float
            Magnitude laws of excitatory and inhibitory weights.
        keep_mean : bool
            Whether the block means stay (outliers) or are removed.

        Returns
        -------
        BlockEnsemble
            The spec.
        """
        f = check_fraction("fraction_excitatory", fraction_excitatory)
        we = distribution_from_config(weight_e, name="weight_e")
        wi = distribution_from_config(weight_i, name="weight_i")
        return cls(
            n=n,
            fractions=(f, 1.0 - f),
            signs=(1, -1),
            connectivity=((p_ee, p_ei), (p_ie, p_ii)),
            weights=((we, wi), (we, wi)),
            keep_mean=keep_mean,
        )
