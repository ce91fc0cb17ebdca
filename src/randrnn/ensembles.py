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
from randrnn._validation import as_rng, check_nonnegative, check_positive_int


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
    def size(self) -> int:  # noqa: D102
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
