"""Finite connectivity: the giant strongly connected component and the real bar.

See :mod:`randrnn.rmt` for the theory and its assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from randrnn._typing import FloatArray
from randrnn.ensembles import (
    AbstractDistribution,
    JacobianEnsemble,
)
from randrnn.errors import ConvergenceError
from randrnn.rmt.perron import (
    _check_ensemble,
)

# -- finite connectivity: giant strongly connected component and the real bar -----------------


def _prob_positive(d: AbstractDistribution) -> float:
    """Probability of a non-zero gain (a silent unit has an empty column in W G)."""
    return 1.0 - d.zero_fraction


@dataclass(frozen=True, slots=True, kw_only=True)
class StrongComponent:
    r"""Finite-connectivity structure of the directed graph of :math:`W G`.

    Attributes
    ----------
    in_reach : (P,) ndarray
        :math:`x_a`: probability that a unit of population ``a`` is reached from the giant
        strongly connected component (GSCC) along synapses.
    out_reach : (P,) ndarray
        :math:`y_a`: probability that it reaches the GSCC (requires a non-zero gain).
    bulk_fraction : (P,) ndarray
        :math:`\alpha_a x_a y_a`: fraction of all eigenvalues in the bulk from population ``a``.
    bar_fraction : float
        :math:`1 - \sum_a \alpha_a x_a y_a`: fraction of eigenvalues exactly at :math:`-1/\tau_i`.
    expected_bar_count : float
        ``n * bar_fraction``: the expected number of exact bar eigenvalues of one realization.
    spec : JacobianEnsemble
        Input spec.
    references : tuple of str
        Bib keys.
    """

    in_reach: FloatArray
    out_reach: FloatArray
    bulk_fraction: FloatArray
    bar_fraction: float
    expected_bar_count: float
    spec: JacobianEnsemble
    references: tuple[str, ...] = ("chotibut2025", "neri2020")

    def to_xarray(self) -> Any:
        """Return an ``xarray.Dataset`` over dimension ``population``."""
        import xarray as xr

        return xr.Dataset(
            {
                "in_reach": ("population", self.in_reach),
                "out_reach": ("population", self.out_reach),
                "bulk_fraction": ("population", self.bulk_fraction),
                "bar_fraction_pred": ((), self.bar_fraction),
            },
            coords={"population": list(self.spec.names or ())},
            attrs={"references": list(self.references)},
        )


def strong_component(
    ensemble: JacobianEnsemble, *, tol: float = 1e-14, max_iter: int = 100_000
) -> StrongComponent:
    r"""Predict how many eigenvalues sit in the bulk and how many on the real bar.

    A unit outside every directed cycle of the graph of :math:`W G` (edge :math:`j \to i` when
    :math:`W_{ij} g_j \ne 0`) is a singleton strongly connected component; ordering components
    topologically makes :math:`A` block triangular, so each such unit contributes the exact real
    eigenvalue :math:`-1/\tau_i` -- the "bar" of the bar-and-blob spectra of sparse networks [1]_.
    In the large-n limit at fixed mean degrees almost every unit outside the giant strongly
    connected component (GSCC) is such a singleton; the GSCC carries the complex bulk.

    Parameters
    ----------
    ensemble : JacobianEnsemble
        The spec.
    tol : float
        Tolerance of the fixed-point iteration.
    max_iter : int
        Iteration cap.

    Returns
    -------
    StrongComponent
        In/out reach probabilities, bulk and bar fractions.

    Raises
    ------
    ConvergenceError
        If the iteration does not converge.

    Notes
    -----
    Branching-process (locally tree-like) equations with exact binomial degrees, :math:`q_b` the
    probability of a non-zero gain in population ``b`` and :math:`n_b` its size:

    .. math:: x_a = 1 - \prod_b (1 - p_{ab} q_b x_b)^{n_b},\qquad
              y_b = q_b\Big[1 - \prod_a (1 - p_{ab} y_a)^{n_a}\Big],

    largest solutions (iteration from 1); the GSCC fraction of population ``a`` is
    :math:`x_a y_a` (in- and out-neighbourhoods independent on a tree). The continuous bulk of
    the GSCC has the support of :func:`randrnn.rmt.growth_rate` [2]_.

    **Assumptions and approximations**

    - Independent entries, no reciprocal correlations (locally tree-like directed graph).
    - Small strongly connected components other than singletons are neglected (O(1) of them).
    - :math:`n \to \infty`; for :math:`n p_{ab} \gg 1` the bar fraction vanishes exponentially.

    References
    ----------
    .. [1] Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767v1 (bar-and-blob spectra).
    .. [2] Neri & Metz (2020), Phys. Rev. Research 2, 033313.

    Examples
    --------
    >>> ens = JacobianEnsemble.from_blocks(
    ...     n=10_000, fractions=(1.0,), signs=(1,), connectivity=((2e-4,),),
    ...                     weights=((1.0,),), tau=(1.0,), gain=(1.0,))
    >>> sc = strong_component(ens)          # mean degree c = 2: x = 1 - exp(-c x)
    >>> x = sc.in_reach[0]
    >>> bool(abs(x - (1 - np.exp(-2 * x))) < 1e-3 and abs(sc.bar_fraction - (1 - x * x)) < 1e-12)
    True
    """
    ens = _check_ensemble(ensemble)
    p = np.asarray(ens.connectivity)
    nb = np.asarray(ens.sizes, dtype=float)
    q = np.array([_prob_positive(d) for d in ens.gain])
    x = np.ones(ens.n_populations)
    y = q.copy()
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        with np.errstate(divide="ignore"):
            x_new = 1.0 - np.exp(
                np.sum(nb[None, :] * np.log1p(-np.minimum(p * (q * x)[None, :], 1.0)), axis=1)
            )
            y_new = q * (
                1.0
                - np.exp(np.sum(nb[:, None] * np.log1p(-np.minimum(p * y[:, None], 1.0)), axis=0))
            )
        x_new = np.nan_to_num(x_new, nan=1.0)
        y_new = np.nan_to_num(y_new, nan=1.0)
        err = max(np.max(np.abs(x_new - x)), np.max(np.abs(y_new - y)))
        x, y = x_new, y_new
        if err < tol or (np.all(x < 1e-300) and np.all(y < 1e-300)):
            break
    else:
        raise ConvergenceError(
            "giant-component equations did not converge", n_iter=it, residual=err, tol=tol
        )
    bulk = ens.alpha * x * y
    return StrongComponent(
        in_reach=x,
        out_reach=y,
        bulk_fraction=bulk,
        bar_fraction=float(max(0.0, 1.0 - bulk.sum())),
        expected_bar_count=float(ens.n * max(0.0, 1.0 - bulk.sum())),
        spec=ens,
    )
