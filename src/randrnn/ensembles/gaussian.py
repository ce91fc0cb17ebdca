r"""I.i.d. and partially symmetric Gaussian couplings (``docs/theory.md`` section 1).

:math:`J_{ij} \sim \mathcal N(0, g^2/n)` with :math:`n\langle J_{ij}J_{ji}\rangle = \eta g^2`:
the Sompolinsky-Crisanti-Sommers model [1]_ at :math:`\eta = 0`, and the partially symmetric
ensemble whose eigenvalues fill an ellipse with semi-axes :math:`g(1 \pm \eta)` [2]_.

References
----------
.. [1] Sompolinsky, Crisanti & Sommers (1988), Phys. Rev. Lett. 61, 259.
.. [2] Sommers, Crisanti, Sompolinsky & Stein (1988), Phys. Rev. Lett. 60, 1895.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, final

import numpy as np

from randrnn._typing import Seed
from randrnn._validation import (
    as_rng,
    check_bool,
    check_nonnegative,
    check_positive_int,
    check_real,
)
from randrnn.ensembles.base import AbstractEnsemble, Coupling, CouplingStatistics, register


@register
@final
@dataclass(frozen=True, slots=True, kw_only=True)
class GaussianEnsemble(AbstractEnsemble):
    r"""Gaussian couplings, :math:`J_{ij} \sim \mathcal N(0, g^2/n)`, partial symmetry ``eta``.

    Parameters
    ----------
    n : int
        Number of units.
    g : float
        Coupling gain (standard deviation times :math:`\sqrt n`).
    eta : float
        Correlation of :math:`J_{ij}` and :math:`J_{ji}`, in ``[-1, 1]`` (0: independent,
        1: symmetric, -1: antisymmetric). Drawn as :math:`J = (g/\sqrt n)(a X + b X^T)` with
        :math:`a^2 + b^2 = 1`, :math:`2ab = \eta`.
    allow_self_coupling : bool
        If False, the diagonal is set to zero.

    Examples
    --------
    >>> J = GaussianEnsemble(n=500, g=1.5).sample(0)
    >>> bool(abs(J.std() * 500**0.5 - 1.5) < 0.01)
    True
    >>> J = GaussianEnsemble(n=400, g=1.0, eta=0.5).sample(0)
    >>> iu = np.triu_indices(400, 1)
    >>> bool(abs(400 * np.mean(J[iu] * J.T[iu]) - 0.5) < 0.02)
    True
    """

    kind: ClassVar[str] = "gaussian"
    n: int
    g: float
    eta: float = 0.0
    allow_self_coupling: bool = True

    def __post_init__(self) -> None:
        check_positive_int("ensemble.n", self.n)
        object.__setattr__(self, "g", check_nonnegative("ensemble.g", self.g))
        eta = check_real("ensemble.eta", self.eta)
        if not -1.0 <= eta <= 1.0:
            raise ValueError(f"`ensemble.eta` must be in [-1, 1]; got {eta!r}.")
        object.__setattr__(self, "eta", eta)
        check_bool("ensemble.allow_self_coupling", self.allow_self_coupling)

    @property
    def size(self) -> int:
        return self.n

    def statistics(self) -> CouplingStatistics:
        """One population, zero mean, variance ``g**2 / n``, symmetry ``eta``, dense."""
        return CouplingStatistics(
            sizes=(self.n,),
            names=("all",),
            block_mean=np.zeros((1, 1)),
            block_variance=np.full((1, 1), self.g**2),
            in_degree=np.full((1, 1), float(self.n - (0 if self.allow_self_coupling else 1))),
            symmetry=self.eta,
        )

    def sample_coupling(self, rng: Seed = None) -> Coupling:
        """Draw ``J`` (float64, C order) from ``rng``; identical on every machine for a seed."""
        gen = as_rng(rng)
        J = gen.standard_normal((self.n, self.n))
        if self.eta != 0.0:
            a = (math.sqrt(1 + self.eta) + math.sqrt(1 - self.eta)) / 2
            b = (math.sqrt(1 + self.eta) - math.sqrt(1 - self.eta)) / 2
            J = a * J + b * J.T
        J *= self.g / math.sqrt(self.n)
        if not self.allow_self_coupling:
            np.fill_diagonal(J, 0.0)
        return Coupling(
            W=J, population=np.zeros(self.n, dtype=np.int64), mean_removed=np.zeros((1, 1))
        )


@final
@register
@dataclass(frozen=True, slots=True, kw_only=True)
class GaussianBlockEnsemble(AbstractEnsemble):
    r"""Dense Gaussian blocks: :math:`J_{ij} \sim \mathcal N(\mu_{ab}/n, s_{ab}/n)`.

    Unit ``i`` in population ``a``, ``j`` in ``b``. The O(1) block means :math:`\mu_{ab}`
    (the mean input per unit rate from population ``b``, times :math:`f_b`) make the mean
    field of each population finite at large ``n``, the setting of the multi-population DMFT
    (docs/theory.md section 8.4); block magnitudes of a :class:`BlockEnsemble` cannot do this
    (non-negative magnitudes with variance :math:`s/n` have means of order
    :math:`\sqrt{s/n}`, so their mean input grows like :math:`\sqrt n`).

    Parameters
    ----------
    n : int
        Number of units.
    fractions : tuple of float
        Population fractions (sum 1; sizes rounded as in :class:`BlockEnsemble`).
    mean : (P, P) nested sequence
        :math:`\mu_{ab} = n\,E[J_{ij}]`, row: postsynaptic population.
    var : (P, P) nested sequence
        :math:`s_{ab} = n\,\mathrm{Var}(J_{ij}) \ge 0`.
    names : tuple of str, optional
        Population names (default ``("E", "I")`` for two, else ``P0, P1, ...``).

    Examples
    --------
    >>> ens = GaussianBlockEnsemble(n=1000, fractions=(0.8, 0.2), mean=((1, -2), (1.5, -1.5)),
    ...                             var=((2, 3), (2.5, 1.5)))
    >>> J = ens.sample(0)   # E rows from I columns: n E[J] = -2, SE of the estimate 0.14
    >>> bool(abs(1000 * J[:800, 800:].mean() + 2.0) < 0.7)
    True
    """

    kind: ClassVar[str] = "gaussian_blocks"
    n: int
    fractions: tuple[float, ...]
    mean: tuple[tuple[float, ...], ...]
    var: tuple[tuple[float, ...], ...]
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_positive_int("ensemble.n", self.n)
        fr = tuple(float(check_nonnegative("ensemble.fractions", f)) for f in self.fractions)
        P = len(fr)
        if P == 0 or abs(sum(fr) - 1.0) > 1e-9:
            raise ValueError(f"`ensemble.fractions` must be non-empty and sum to 1; got {fr!r}.")
        object.__setattr__(self, "fractions", fr)
        for name in ("mean", "var"):
            arr = np.asarray(getattr(self, name), dtype=float)
            if arr.shape != (P, P) or not np.all(np.isfinite(arr)):
                raise ValueError(
                    f"`ensemble.{name}` must be a finite {P} x {P} table (one row per "
                    f"population); got shape {arr.shape}."
                )
            if name == "var" and np.any(arr < 0):
                raise ValueError(f"`ensemble.var` must be >= 0; got min {float(arr.min())!r}.")
            object.__setattr__(self, name, tuple(tuple(float(v) for v in row) for row in arr))
        names = tuple(self.names) or (("E", "I") if P == 2 else tuple(f"P{a}" for a in range(P)))
        if len(names) != P:
            raise ValueError(f"`ensemble.names` must have {P} entries; got {names!r}.")
        object.__setattr__(self, "names", names)

    @property
    def size(self) -> int:
        return self.n

    def statistics(self) -> CouplingStatistics:
        """Block means and variances as given, dense."""
        from randrnn.ensembles.block import population_sizes

        sizes = population_sizes(self.n, self.fractions)
        return CouplingStatistics(
            sizes=sizes,
            names=self.names,
            block_mean=np.array(self.mean, dtype=float),
            block_variance=np.array(self.var, dtype=float),
            in_degree=np.array([[float(s) for s in sizes]] * len(sizes)),
        )

    def sample_coupling(self, rng: Seed = None) -> Coupling:
        """Draw ``J`` from ``rng`` (one standard normal per entry, row by row)."""
        gen = as_rng(rng)
        pop = self.population_index()
        mu = np.array(self.mean, dtype=float)[pop][:, pop] / self.n
        sd = np.sqrt(np.array(self.var, dtype=float)[pop][:, pop] / self.n)
        J = mu + sd * gen.standard_normal((self.n, self.n))
        return Coupling(W=J, population=pop, mean_removed=np.zeros((len(self.fractions),) * 2))
