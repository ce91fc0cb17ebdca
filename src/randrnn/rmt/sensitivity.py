"""Predicted spectral edge along one statistic of the ensemble.

See :mod:`randrnn.rmt` for the theory and its assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from randrnn._typing import FloatArray
from randrnn._validation import check_array, check_in
from randrnn.ensembles import (
    STATISTICS,
    JacobianEnsemble,
    vary,
)
from randrnn.rmt.perron import (
    _REFS,
    N_QUAD,
    _check_ensemble,
)
from randrnn.rmt.support import (
    spectral_edge,
)

# -- sensitivity --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class EdgeSensitivity:
    """Predicted spectral edge along one statistic.

    Attributes
    ----------
    statistic : str
        Which statistic varies (see :func:`randrnn.ensembles.vary`).
    values : (k,) ndarray
        Its values.
    edge : (k,) ndarray
        Predicted edge (rightmost real point of the support).
    height : (k,) ndarray
        Predicted bulk height.
    kind : tuple of str
        Edge kind per value.
    spec : JacobianEnsemble
        Base spec.
    references : tuple of str
        Bib keys.
    """

    statistic: str
    values: FloatArray
    edge: FloatArray
    height: FloatArray
    kind: tuple[str, ...]
    spec: JacobianEnsemble
    references: tuple[str, ...] = _REFS

    def to_xarray(self) -> Any:
        """Return an ``xarray.Dataset`` over the swept statistic."""
        import xarray as xr

        return xr.Dataset(
            {
                "edge_pred": (self.statistic, self.edge),
                "height_pred": (self.statistic, self.height),
            },
            coords={self.statistic: self.values},
            attrs={"references": list(self.references)},
        )


def edge_sensitivity(
    ensemble: JacobianEnsemble, statistic: str, values: Any, *, n_quad: int = N_QUAD
) -> EdgeSensitivity:
    r"""Predicted spectral edge as a function of one statistic of the ensemble.

    Parameters
    ----------
    ensemble : JacobianEnsemble
        Base spec.
    statistic : {"sparsity", "fraction_excitatory", "weight_scale", "tau_spread", "gain_spread"}
        See :func:`randrnn.ensembles.vary`.
    values : array_like
        Values of the statistic.
    n_quad : int
        Quadrature nodes per timescale distribution.

    Returns
    -------
    EdgeSensitivity
        Edge and height per value.

    Notes
    -----
    Applies :func:`spectral_edge` ([1]_, spectral-edge condition) to ``vary(ensemble, statistic,
    v)`` for each ``v``.

    **Assumptions and approximations**

    - Those of :func:`spectral_edge`.

    References
    ----------
    .. [1] Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767v1.

    Examples
    --------
    >>> ens = JacobianEnsemble.excitatory_inhibitory(n=1000, p_ee=0.2, weight_e=1.0, weight_i=2.0)
    >>> s = edge_sensitivity(ens, "weight_scale", [0.5, 1.0, 2.0])
    >>> bool(np.all(np.diff(s.edge) > 0))      # larger weights push the edge right
    True
    """
    ens = _check_ensemble(ensemble)
    check_in("statistic", statistic, STATISTICS)
    vals = check_array("values", values, shape=(None,))
    edges = [spectral_edge(vary(ens, statistic, float(v)), n_quad=n_quad) for v in vals]
    return EdgeSensitivity(
        statistic=statistic,
        values=vals,
        edge=np.array([e.edge for e in edges]),
        height=np.array([e.height for e in edges]),
        kind=tuple(e.kind for e in edges),
        spec=ens,
    )
