"""Eigenvalues of sampled E/I Jacobians against the random-matrix theory: ``randrnn spectrum``.

For a :class:`~randrnn.ensembles.JacobianEnsemble`: predict the support, its edge, the density
and the outliers (:mod:`randrnn.rmt`), measure spectra of sampled Jacobians
(:mod:`randrnn.spectra`), and sweep the edge along each statistic of the ensemble (theory and
dense numerics at a second size), compared by :func:`randrnn.verify.compare_edge_sensitivity`.
Chotibut, Evnin & Horinouchi (2025), arXiv 2512.12767.

- :func:`run_spectrum` -- the experiment -> :class:`SpectrumResult`.
- :func:`run_sensitivity` -- the sweep alone -> :class:`SensitivitySweep`.
- :func:`run_sparse` -- the finite-connectivity comparison alone -> :class:`SparseSpectrum`
  (used by :func:`run_spectrum` when ``spectrum.theory`` resolves to ``sparse``).
- :func:`automatic_regions` -- the four default regions of the region-fraction comparison.
- :func:`density_chi2` -- predicted cell masses against binned eigenvalues.
- :func:`run_degree_sweep` -- the edge against the mean in-degree -> :class:`DegreeSweep`.
- :func:`spectrum_config` -- a :class:`~randrnn.config.SpectrumConfig` from a mapping of tables
  merged onto the preset (a sparse E/I ensemble with lognormal inhibitory timescales and
  uniform gains), checked.
- :func:`count_realizations` -- how many sampled Jacobians a config asks for (progress bars).

Config tables: ``[ensemble]`` (:class:`~randrnn.ensembles.JacobianEnsemble`, or ``preset =
"inhibitory_core"`` with the keyword arguments of
:meth:`~randrnn.ensembles.JacobianEnsemble.inhibitory_core`), ``[spectrum]``
(:class:`~randrnn.config.SpectrumSettings`), ``[sensitivity]``
(:class:`~randrnn.config.SensitivitySettings`: one list of values per statistic; see
:func:`randrnn.ensembles.vary`), ``[cavity]`` (:class:`~randrnn.rmt.CavitySettings`) and
``[sparse]`` (:class:`~randrnn.config.SparseSettings`).

The finite-connectivity comparison (``spectrum.theory`` = ``sparse``, or ``auto`` on a sparse
block ensemble with its block means kept; ``docs/theory.md`` sections 5.5 and 5.7) adds to the
dense-limit results: the edge by the growth criterion and the support boundary
(:func:`randrnn.rmt.sparse_edge`, :func:`randrnn.rmt.sparse_boundary`), the outliers outside the
finite-connectivity support, the bar (:func:`randrnn.rmt.strong_component`); the fractions of
eigenvalues in regions predicted by population dynamics (:func:`randrnn.rmt.cavity_regions`)
and in the dense limit (:func:`randrnn.rmt.dense_regions`) against the fractions and exact bar
counts of sampled spectra (:func:`randrnn.spectra.measure_regions`,
:func:`randrnn.verify.compare_regions`); the predicted density per cell
(:func:`randrnn.rmt.cavity_density`) against the histogram of the sampled eigenvalues (a
chi-square over the cells off the real axis); and the edge along the mean in-degree at fixed
:math:`c_{ab}E[w_{ab}^2]` (:func:`randrnn.ensembles.at_degree`) against the rightmost eigenvalue
of the giant strongly connected component and a high quantile of the real parts
(:func:`randrnn.spectra.measure_rightmost_sparse`). The sampled spectra of the sparse theory come
from the strongly connected components (:func:`randrnn.spectra.eigenvalues_by_components`: exact
bar eigenvalues, dense LAPACK on the giant component only), from the same realizations as the
region measurement.
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as _sps

from randrnn import io, rmt, spectra
from randrnn.config import (
    SensitivitySettings,
    SparseSettings,
    SpectrumConfig,
    config_from_mapping,
    pole_segment,
)
from randrnn.ensembles import STATISTICS, BlockEnsemble, JacobianEnsemble, at_degree
from randrnn.errors import ConvergenceError, RegimeWarning
from randrnn.experiments._common import quiet_numerics, strict_json
from randrnn.verify import (
    EdgeSensitivityComparison,
    RegionComparison,
    compare_edge_sensitivity,
    compare_regions,
)

#: seed offset between the sensitivity sweeps of successive statistics
_SEED_STRIDE = 1000
#: seed offset of the edge-vs-degree sweep: degree factor ``k`` uses ``seed + 10**6 + k``
_DEGREE_SEED = 10**6
#: automatic regions: the right region starts this fraction of the bulk height left of the edge
RIGHT_FRACTION = 0.15
#: automatic regions: half-width of the real-axis strip, as a fraction of the bulk height
AXIS_FRACTION = 1.0 / 8.0
#: smallest expected count of a cell in the density chi-square
MIN_EXPECTED = 5.0
#: padding of the density grid around the support, as a fraction of the bulk height
_GRID_PAD = 0.05
#: names of the automatic regions
AUTOMATIC_REGION_NAMES = ("R1 right part", "R2 upper bulk", "R3 real-axis strip", "R4 lower bulk")


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SensitivitySweep:
    """The spectral edge along each statistic of an ensemble: theory, numerics, comparison.

    Parameters
    ----------
    n, n_realizations : int
        Size and realizations per point of the numerics.
    theory : dict of str to randrnn.rmt.EdgeSensitivity
        Predicted edges per statistic.
    measurement : dict of str to randrnn.spectra.EdgeSensitivityMeasurement
        Measured edges per statistic.
    comparisons : dict of str to EdgeSensitivityComparison
        Their agreement, with criterion and verdict (filled by :func:`run_spectrum`, which
        knows the bulk width).
    skipped : dict of str to str
        Statistics that do not apply to the ensemble, with the reason.
    """

    n: int
    n_realizations: int
    theory: dict[str, Any]
    measurement: dict[str, Any]
    comparisons: dict[str, EdgeSensitivityComparison]
    skipped: dict[str, str]

    def to_xarray(self) -> Any:
        """Dims ``statistic`` x ``point``; NaN where a statistic has fewer points."""
        import xarray as xr

        names = list(self.theory)
        k = max((len(self.theory[st].values) for st in names), default=0)
        arr = {v: np.full((len(names), k), np.nan) for v in ("value", "pred", "num", "se", "h")}
        for j, st in enumerate(names):
            th, me = self.theory[st], self.measurement[st]
            m = len(th.values)
            arr["value"][j, :m] = th.values
            arr["pred"][j, :m] = th.edge
            arr["h"][j, :m] = th.height
            arr["num"][j, :m] = me.edge
            arr["se"][j, :m] = me.edge_se
        dims = ("statistic", "point")
        return xr.Dataset(
            {
                "sensitivity_value": (dims, arr["value"]),
                "sensitivity_edge_pred": (dims, arr["pred"]),
                "sensitivity_height_pred": (dims, arr["h"]),
                "sensitivity_edge_numeric": (dims, arr["num"]),
                "sensitivity_edge_numeric_se": (dims, arr["se"]),
            },
            # object dtype: Zarr v3 stores it as variable-length UTF-8 (fixed-width is unspecified)
            coords={"statistic": np.array(names, dtype=object)},
            attrs={"sensitivity_n": int(self.n)},
        )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SpectrumHistogram:
    """The sampled eigenvalues binned on the grid of the predicted density.

    Parameters
    ----------
    density : randrnn.rmt.SpectralDensity
        Predicted density on the grid.
    counts : (bins_re, bins_im) ndarray
        Fraction of the sampled eigenvalues in each cell.
    """

    density: Any
    counts: np.ndarray


# -- the finite-connectivity comparison ---------------------------------------------------------


def automatic_regions(
    ensemble: JacobianEnsemble, edge: float, height: float, support_left: float
) -> tuple[np.ndarray, tuple[str, ...]]:
    r"""The four default regions of the region-fraction comparison.

    With :math:`h` the bulk height (the vertical extent of the support), :math:`x_e` the edge and
    :math:`[p_-, p_+]` the segment of timescale poles of all populations
    (:func:`randrnn.config.pole_segment`):

    - R1, right part: :math:`\mathrm{Re}\,\lambda \ge x_r`, where the support thins out towards
      the edge. :math:`x_r = x_e - 0.15\,h` (:data:`RIGHT_FRACTION`) when that lies right of
      :math:`p_+`; else half-way between :math:`p_+` and :math:`x_e`; if the edge itself is not
      right of :math:`p_+`, just right of it (:math:`p_+ + 0.05\,h`).
    - R2, upper bulk away from the axis: :math:`\mathrm{Re}\,\lambda < x_r`,
      :math:`\mathrm{Im}\,\lambda \ge h/8` (:data:`AXIS_FRACTION`).
    - R3, the strip around the real axis holding the bar: :math:`|\mathrm{Im}\,\lambda| < h/8`,
      from left of every pole and of the support (:math:`\min(p_-, x_{left}) - 0.05\,h`) to
      :math:`x_r`.
    - R4, lower bulk: the mirror image of R2.

    They tile the plane right of R3's left side. Only R1 and R3 cross the real axis, at
    :math:`x_r > p_+` and left of :math:`p_-`: outside the pole segment, where the resolvent of
    the theory is smooth (Chotibut, Evnin & Horinouchi 2025, arXiv:2512.12767;
    ``docs/theory.md`` section 5.7).

    Parameters
    ----------
    ensemble : JacobianEnsemble
        The ensemble (its timescale laws give the pole segment).
    edge : float
        Predicted edge of the support (NaN: no bulk; the rightmost pole is used).
    height : float
        Predicted bulk height (> 0).
    support_left : float
        Leftmost real point of the predicted support (NaN: none).

    Returns
    -------
    rectangles : (4, 4) ndarray
        Rows ``[x0, x1, y0, y1]`` (closed on the left and bottom, open on the right and top).
    names : tuple of str
        :data:`AUTOMATIC_REGION_NAMES`.

    Examples
    --------
    >>> ens = JacobianEnsemble.inhibitory_core(n=1000)             # poles in [-1, -1/12]
    >>> r, names = automatic_regions(ens, edge=-0.02, height=0.2, support_left=-0.5)
    >>> np.round(r[0], 12).tolist(), np.round(r[2], 12).tolist()
    ([-0.05, inf, -inf, inf], [-1.01, -0.05, -0.025, 0.025])
    """
    if not (math.isfinite(height) and height > 0):
        raise ValueError(f"`height` must be a finite number > 0; got {height!r}.")
    p_lo, p_hi = pole_segment(ensemble)
    x_e = float(edge) if math.isfinite(edge) else p_hi
    if x_e - RIGHT_FRACTION * height > p_hi:
        x_r = x_e - RIGHT_FRACTION * height
    elif x_e > p_hi:
        x_r = 0.5 * (x_e + p_hi)
    else:
        x_r = p_hi + _GRID_PAD * height
    left = min(p_lo, support_left) if math.isfinite(support_left) else p_lo
    x_l = left - _GRID_PAD * height
    y = AXIS_FRACTION * height
    inf = math.inf
    rect = np.array(
        [
            [x_r, inf, -inf, inf],
            [-inf, x_r, y, inf],
            [x_l, x_r, -y, y],
            [-inf, x_r, -inf, -y],
        ]
    )
    return rect, AUTOMATIC_REGION_NAMES


@dataclass(frozen=True, slots=True, kw_only=True)
class DensityChi2:
    """Predicted cell masses against the binned eigenvalues of sampled spectra.

    Eigenvalues of a real matrix come in conjugate pairs, so only the upper half-plane is
    compared (the lower half mirrors it); the row of cells straddling the real axis (the bar,
    where the prediction of a cell is approximate) is left out, and so are cells expected to
    hold fewer than :data:`MIN_EXPECTED` eigenvalues. With ``O`` the observed and ``E`` the
    expected count of a cell, :math:`\\chi^2 = \\sum (O - E)^2 / (E + (N\\sigma)^2)`: Poisson
    counts plus the theory's own SE (``N`` eigenvalues in all, :math:`\\sigma` the SE of the
    cell's predicted fraction). Eigenvalues repel, so counts are sub-Poissonian and
    :math:`\\chi^2/\\mathrm{dof}` below 1 is expected for a correct theory.

    Parameters
    ----------
    chi2 : float
        The statistic.
    cells : int
        Cells compared (the degrees of freedom; nothing is fitted).
    p_value : float
        :math:`P(\\chi^2_{\\mathrm{cells}} \\ge \\chi^2)` under Poisson counts (NaN without cells).
    n_eigenvalues : int
        Eigenvalues counted (all realizations).
    min_expected : float
        The smallest expected count of a compared cell.
    """

    chi2: float
    cells: int
    p_value: float
    n_eigenvalues: int
    min_expected: float = MIN_EXPECTED

    @property
    def per_dof(self) -> float:
        """:math:`\\chi^2` per cell (NaN without cells)."""
        return self.chi2 / self.cells if self.cells else math.nan

    def to_dict(self) -> dict[str, Any]:
        """The ``summary.json`` entry."""
        return {
            "chi2": self.chi2,
            "cells": self.cells,
            "chi2_per_dof": self.per_dof,
            "p_value": self.p_value,
            "n_eigenvalues": self.n_eigenvalues,
            "min_expected": self.min_expected,
            "cells_compared": "upper half-plane, off the real-axis row, expected count >= "
            f"{self.min_expected:g}",
        }


def density_chi2(
    mass: Any,
    mass_se: Any,
    counts: Any,
    y_edges: Any,
    n_eigenvalues: int,
    *,
    min_expected: float = MIN_EXPECTED,
) -> DensityChi2:
    """Compare predicted cell masses with eigenvalue counts (see :class:`DensityChi2`).

    Parameters
    ----------
    mass, mass_se : (nx, ny) array_like
        Predicted fraction of all eigenvalues per cell and its SE.
    counts : (nx, ny) array_like
        Observed eigenvalues per cell, summed over realizations.
    y_edges : (ny + 1,) array_like
        Imaginary cell edges; cells whose lower edge is >= 0 are compared.
    n_eigenvalues : int
        Eigenvalues counted (``n`` times the realizations).
    min_expected : float
        Smallest expected count of a compared cell.

    Returns
    -------
    DensityChi2
        The statistic, its cells and p-value.

    Examples
    --------
    >>> mass = np.array([[0.0, 0.5, 0.5]]); ye = np.array([-1.0, -0.1, 0.1, 1.0])
    >>> c = density_chi2(mass, 0 * mass, np.array([[0, 50, 60]]), ye, 100)
    >>> c.cells, c.chi2
    (1, 2.0)
    """
    m = np.asarray(mass, dtype=float)
    se = np.asarray(mass_se, dtype=float)
    obs = np.asarray(counts, dtype=float)
    ye = np.asarray(y_edges, dtype=float)
    upper = np.broadcast_to(ye[:-1][None, :] >= 0.0, m.shape)
    expected = m * n_eigenvalues
    var = expected + (se * n_eigenvalues) ** 2
    use = upper & np.isfinite(expected) & (expected >= min_expected) & (var > 0)
    k = int(use.sum())
    chi2 = float(np.sum((obs[use] - expected[use]) ** 2 / var[use]))
    p = float(_sps.chi2.sf(chi2, k)) if k else math.nan
    return DensityChi2(
        chi2=chi2, cells=k, p_value=p, n_eigenvalues=int(n_eigenvalues), min_expected=min_expected
    )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class DegreeSweep:
    r"""The spectral edge against the mean in-degree at fixed :math:`c_{ab}E[w_{ab}^2]`.

    Every in-degree is multiplied by a factor and every weight by its inverse square root
    (:func:`randrnn.ensembles.at_degree`): the dense-limit statistics stay fixed while the graph
    gets sparser or denser (Chotibut, Evnin & Horinouchi 2025, arXiv:2512.12767;
    ``docs/theory.md`` section 5.7).

    Parameters
    ----------
    factors : (f,) ndarray
        Factors on the in-degrees.
    degree : (f,) ndarray
        The reference in-degree at each factor (:func:`reference_degree`).
    degree_label : str
        What ``degree`` is, in words.
    edge_sparse, edge_first_moment, edge_dense, height_sparse : (f,) ndarray
        Predicted edges: growth criterion (:func:`randrnn.rmt.sparse_edge`), first-moment
        criterion (the dense formula with second moments), dense limit with variances
        (:func:`randrnn.rmt.spectral_edge`); the bulk height by the growth criterion.
    giant_rightmost, giant_rightmost_se : (f,) ndarray
        Mean and SE over realizations of the largest real part of the giant strongly connected
        component's eigenvalues.
    rightmost, rightmost_se : (f,) ndarray
        The same over all eigenvalues.
    quantile : float
        Level of the real-part quantiles.
    quantile_real, quantile_real_se : (f,) ndarray
        The quantile of the real parts of all ``n`` eigenvalues.
    rightmost_pred : (f,) ndarray
        Predicted median of the largest real part of an ``n``-unit sample
        (:func:`randrnn.rmt.cavity_extreme`).
    quantile_pred : (f,) ndarray
        Its prediction by population dynamics (:func:`randrnn.rmt.cavity_quantile`; NaN where
        it falls inside the segment of timescale poles).
    giant_quantile_real, giant_quantile_real_se : (f,) ndarray
        The quantile of the real parts of the giant component's eigenvalues.
    giant_fraction : (f,) ndarray
        Mean fraction of units in the giant component.
    n, n_realizations : int
        Units and realizations per factor of the numerics.
    """

    factors: np.ndarray
    degree: np.ndarray
    degree_label: str
    edge_sparse: np.ndarray
    edge_first_moment: np.ndarray
    edge_dense: np.ndarray
    height_sparse: np.ndarray
    giant_rightmost: np.ndarray
    giant_rightmost_se: np.ndarray
    rightmost: np.ndarray
    rightmost_se: np.ndarray
    quantile: float
    quantile_real: np.ndarray
    quantile_real_se: np.ndarray
    quantile_pred: np.ndarray
    rightmost_pred: np.ndarray
    giant_quantile_real: np.ndarray
    giant_quantile_real_se: np.ndarray
    giant_fraction: np.ndarray
    n: int
    n_realizations: int

    _ARRAYS = (
        "degree",
        "edge_sparse",
        "edge_first_moment",
        "edge_dense",
        "height_sparse",
        "giant_rightmost",
        "giant_rightmost_se",
        "rightmost",
        "rightmost_se",
        "quantile_real",
        "quantile_real_se",
        "quantile_pred",
        "rightmost_pred",
        "giant_quantile_real",
        "giant_quantile_real_se",
        "giant_fraction",
    )

    def to_dict(self) -> dict[str, Any]:
        """The ``summary.json`` entry (lists over the factors)."""
        out: dict[str, Any] = {
            "factors": self.factors.tolist(),
            "degree_label": self.degree_label,
            "quantile": self.quantile,
            "n": self.n,
            "n_realizations": self.n_realizations,
        }
        out.update({k: np.asarray(getattr(self, k)).tolist() for k in self._ARRAYS})
        return out

    def to_xarray(self) -> Any:
        """Variables ``sweep_*`` over dimension ``degree_factor``."""
        import xarray as xr

        return xr.Dataset(
            {f"sweep_{k}": ("degree_factor", np.asarray(getattr(self, k))) for k in self._ARRAYS},
            coords={"degree_factor": self.factors},
            attrs={
                "sweep_n": int(self.n),
                "sweep_realizations": int(self.n_realizations),
                "sweep_quantile": float(self.quantile),
                "sweep_degree_label": self.degree_label,
            },
        )


def _by_in_degree(ensemble: JacobianEnsemble) -> JacobianEnsemble:
    """The same ensemble given by mean in-degrees (connection probabilities times sizes)."""
    coupling = ensemble.coupling
    if not isinstance(coupling, BlockEnsemble):
        raise ValueError(
            "the edge-vs-degree sweep needs a block coupling ensemble; got "
            f"{type(coupling).__name__}. Set sparse.sweep_enabled = false."
        )
    if coupling.in_degree is not None:
        return ensemble
    c = np.asarray(coupling.statistics().in_degree, dtype=float)
    new = dataclasses.replace(
        coupling, connectivity=None, in_degree=tuple(tuple(float(x) for x in row) for row in c)
    )
    return dataclasses.replace(ensemble, coupling=new)


def reference_degree(ensemble: JacobianEnsemble) -> tuple[float, str]:
    r"""The in-degree that labels a sparse ensemble: inhibitory inputs per unit, on average.

    :math:`c = \sum_a \alpha_a \sum_{b:\ \mathrm{sign}_b < 0} c_{ab}` (mean number of inhibitory
    inputs of a unit); all inputs when no population is inhibitory.

    Parameters
    ----------
    ensemble : JacobianEnsemble
        A block ensemble.

    Returns
    -------
    (float, str)
        The in-degree and what it counts.

    Examples
    --------
    >>> reference_degree(JacobianEnsemble.inhibitory_core(n=1000, in_degree=3.0))
    (3.0, 'mean inhibitory in-degree c')
    """
    coupling = ensemble.coupling
    c = np.asarray(coupling.statistics().in_degree, dtype=float)
    signs = np.asarray(getattr(coupling, "signs", np.ones(c.shape[0])), dtype=float)
    inhib = signs < 0
    label = "mean inhibitory in-degree c" if np.any(inhib) else "mean in-degree c"
    per_row = c[:, inhib].sum(axis=1) if np.any(inhib) else c.sum(axis=1)
    if np.all(per_row == per_row[0]):  # the same for every population: exactly that
        return float(per_row[0]), label
    return float(ensemble.alpha @ per_row), label


def run_degree_sweep(
    ensemble: JacobianEnsemble,
    settings: SparseSettings,
    n: int,
    seed: int,
    progress: Callable[..., Any] | None = None,
    cavity: rmt.CavitySettings | None = None,
) -> DegreeSweep:
    """The spectral edge along the mean in-degree: theory and numerics.

    Parameters
    ----------
    ensemble : JacobianEnsemble
        A block ensemble (mean in-degrees, or connection probabilities read as in-degrees at
        its size); resized to ``n`` units at fixed in-degrees.
    settings : SparseSettings
        ``degree_factors``, ``sweep_realizations``, ``quantile``.
    n : int
        Units of the sampled Jacobians.
    seed : int
        Base seed; factor ``k`` uses ``seed + 10**6 + k``.
    progress : callable, optional
        Called after each realization.
    cavity : randrnn.rmt.CavitySettings, optional
        Population-dynamics settings of the predicted quantile.

    Returns
    -------
    DegreeSweep
        Predicted edges and quantiles, measured rightmost eigenvalues and quantiles per factor.
    """
    base = _by_in_degree(ensemble).resized(n)
    c0, label = reference_degree(base)
    q = settings.quantile
    rows: dict[str, list[float]] = {k: [] for k in DegreeSweep._ARRAYS}
    for k, f in enumerate(settings.degree_factors):
        ens = at_degree(base, f)
        se = rmt.sparse_edge(ens)
        de = rmt.spectral_edge(ens)
        m = spectra.measure_rightmost_sparse(
            ens,
            n_realizations=settings.sweep_realizations,
            seed=seed + _DEGREE_SEED + k,
            quantiles=(q,),
            progress=progress,
        )
        vals = {
            "degree": c0 * f,
            "edge_sparse": se.edge,
            "edge_first_moment": se.edge_first_moment,
            "edge_dense": de.edge,
            "height_sparse": se.height,
            "giant_rightmost": m.giant_rightmost,
            "giant_rightmost_se": m.giant_rightmost_se,
            "rightmost": m.rightmost,
            "rightmost_se": m.rightmost_se,
            "quantile_real": float(m.quantile_real[0]),
            "quantile_real_se": float(m.quantile_real_se[0]),
            "quantile_pred": rmt.cavity_quantile(ens, q, cavity, edge=se),
            "rightmost_pred": rmt.cavity_extreme(ens, ens.n, cavity, edge=se),
            "giant_quantile_real": float(m.giant_quantile_real[0]),
            "giant_quantile_real_se": float(m.giant_quantile_real_se[0]),
            "giant_fraction": float(np.mean(m.giant_sizes) / ens.n),
        }
        for key, v in vals.items():
            rows[key].append(float(v))
    arrays = {key: np.array(v) for key, v in rows.items()}
    return DegreeSweep(
        factors=np.array(settings.degree_factors, dtype=float),
        degree_label=label,
        quantile=q,
        n=n,
        n_realizations=settings.sweep_realizations,
        **arrays,
    )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SparseSpectrum:
    """The finite-connectivity comparison of one ``randrnn spectrum``.

    Parameters
    ----------
    edge : randrnn.rmt.SparseEdge
        Edge (growth and first-moment criteria), height, growth rate at 0.
    boundary : randrnn.rmt.SparseBoundary
        Support boundary by both criteria.
    outliers : randrnn.rmt.Outliers
        Outliers outside the finite-connectivity support.
    component : randrnn.rmt.StrongComponent
        Giant strongly connected component and the bar.
    rectangles : (k, 4) ndarray
        The regions ``[x0, x1, y0, y1]``.
    region_names : tuple of str
        Their names.
    automatic : bool
        Whether the regions are :func:`automatic_regions`.
    prediction : randrnn.rmt.RegionPrediction
        Predicted fractions (population dynamics) with SEs.
    dense_fraction : (k,) ndarray
        Dense-limit fractions (no bar; NaN where that theory failed).
    dense_note : str
        Why ``dense_fraction`` is NaN (empty when it is not).
    measurement : randrnn.spectra.RegionMeasurement
        Measured fractions, bar counts, giant component over the realizations.
    comparison : randrnn.verify.RegionComparison
        z-scores, criterion and verdict.
    bar : (r, n) ndarray of bool
        Which sampled eigenvalues (``SpectrumResult.measurement.eigenvalues``) are exact bar
        eigenvalues :math:`-1/\\tau_i` (singleton components).
    density : randrnn.rmt.CavityDensity
        Predicted mass per cell.
    counts : (nx, ny) ndarray of int
        Sampled eigenvalues per cell, summed over realizations.
    chi2 : DensityChi2
        Cells off the axis compared.
    sweep : DegreeSweep or None
        The edge against the mean in-degree, when enabled.
    seconds : dict of str to float
        Wall time per stage.
    """

    edge: Any
    boundary: Any
    outliers: Any
    component: Any
    rectangles: np.ndarray
    region_names: tuple[str, ...]
    automatic: bool
    prediction: Any
    dense_fraction: np.ndarray
    dense_note: str
    measurement: Any
    comparison: RegionComparison
    bar: np.ndarray
    density: Any
    counts: np.ndarray
    chi2: DensityChi2
    sweep: DegreeSweep | None
    seconds: dict[str, float]

    @property
    def bar_count_z(self) -> float:
        """(measured - expected) exact bar count / its SE over realizations (NaN if SE is 0)."""
        m = self.measurement
        if not (m.bar_count_se > 0):
            return math.nan
        return float((m.bar_count - self.component.expected_bar_count) / m.bar_count_se)

    def summary(self) -> dict[str, Any]:
        """The ``sparse`` entry of ``summary.json`` (not yet made strict)."""
        e, m, c, p = self.edge, self.measurement, self.comparison, self.prediction
        regions = [
            {
                "name": name,
                "bounds": self.rectangles[i].tolist(),
                "pred": float(p.fraction[i]),
                "pred_se": float(p.fraction_se[i]),
                "pred_poles": float(p.pole_fraction[i]),
                "dense": float(self.dense_fraction[i]),
                "numeric": float(m.fraction[i]),
                "numeric_se": float(m.fraction_se[i]),
                "z": float(c.z[i]),
                "z_dense": float(c.z_dense[i]) if c.z_dense is not None else math.nan,
            }
            for i, name in enumerate(self.region_names)
        ]
        return {
            "edge_sparse_pred": e.edge,
            "edge_first_moment_pred": e.edge_first_moment,
            "height_sparse_pred": e.height,
            "growth_at_zero": e.growth_at_zero,
            "edge_exponent": e.exponent,
            "outliers_pred": [[float(v.real), float(v.imag)] for v in self.outliers.values],
            "giant_rightmost_numeric": m.giant_rightmost,
            "giant_rightmost_numeric_se": m.giant_rightmost_se,
            "bar_fraction_pred": self.component.bar_fraction,
            "bar_count_pred": self.component.expected_bar_count,
            "bar_count_numeric": m.bar_count,
            "bar_count_numeric_se": m.bar_count_se,
            "bar_count_z": self.bar_count_z,
            "near_bar_count_numeric": m.near_bar_count,
            "giant_fraction_pred": float(np.sum(self.component.bulk_fraction)),
            "giant_fraction_numeric": m.giant_fraction,
            "giant_fraction_numeric_se": m.giant_fraction_se,
            "regions_automatic": self.automatic,
            "regions": regions,
            "regions_comparison": {
                "max_abs_z": c.max_abs_z,
                "max_abs_z_dense": c.max_abs_z_dense,
                "z_threshold": c.z_threshold,
                "passed": c.passed,
                "criterion": c.criterion,
                "verdict": c.verdict,
            },
            "dense_note": self.dense_note,
            "density_chi2": self.chi2.to_dict(),
            "degree_sweep": None if self.sweep is None else self.sweep.to_dict(),
            "seconds": dict(self.seconds),
        }

    def to_xarray(self) -> Any:
        """Sparse-theory variables: dims ``region``, ``sparse_re``/``sparse_im``,
        ``degree_factor``, ``sparse_boundary_x``, ``sparse_outlier``, ``population``."""
        import xarray as xr

        m, c, d = self.measurement, self.comparison, self.density
        region = np.array(self.region_names, dtype=object)
        rdims = ("realization", "region")
        cs = self.component
        pieces = [
            self.edge.to_xarray(),
            self.boundary.to_xarray(),
            xr.Dataset(
                {
                    "sparse_outliers_pred_re": ("sparse_outlier", self.outliers.values.real),
                    "sparse_outliers_pred_im": ("sparse_outlier", self.outliers.values.imag),
                    "in_reach_pred": ("population", cs.in_reach),
                    "out_reach_pred": ("population", cs.out_reach),
                    "giant_fraction_pred": ("population", cs.bulk_fraction),
                    "bar_fraction_pred": ((), cs.bar_fraction),
                    "bar_count_pred": ((), cs.expected_bar_count),
                    "region_bounds": (("region", "bound"), self.rectangles),
                    "region_fraction_pred": ("region", self.prediction.fraction),
                    "region_fraction_pred_se": ("region", self.prediction.fraction_se),
                    "region_pole_fraction_pred": ("region", self.prediction.pole_fraction),
                    "region_fraction_dense": ("region", self.dense_fraction),
                    "region_fraction_numeric": ("region", m.fraction),
                    "region_fraction_numeric_se": ("region", m.fraction_se),
                    "region_fraction_per_realization": (rdims, m.fractions),
                    "region_z": ("region", c.z),
                    "region_z_dense": (
                        "region",
                        c.z_dense if c.z_dense is not None else np.full(region.size, np.nan),
                    ),
                    "bar_count_numeric": ((), m.bar_count),
                    "bar_count_numeric_se": ((), m.bar_count_se),
                    "bar_count_per_realization": ("realization", m.bar_counts),
                    "near_bar_count_per_realization": ("realization", m.near_bar_counts),
                    "giant_fraction_per_realization": ("realization", m.giant_fractions),
                    "giant_rightmost_re_per_realization": (
                        "realization",
                        m.giant_rightmosts.real,
                    ),
                    "eig_bar": (("realization", "eig"), self.bar),
                    "sparse_mass_pred": (("sparse_re", "sparse_im"), d.mass),
                    "sparse_mass_pred_se": (("sparse_re", "sparse_im"), d.mass_se),
                    "sparse_pole_mass_pred": (("sparse_re", "sparse_im"), d.pole_mass),
                    "sparse_density_pred": (("sparse_re", "sparse_im"), d.density),
                    "sparse_histogram": (("sparse_re", "sparse_im"), self.counts),
                    "sparse_re_edges": ("sparse_re_edge", d.x_edges),
                    "sparse_im_edges": ("sparse_im_edge", d.y_edges),
                },
                coords={
                    "region": region,
                    "bound": np.array(["x0", "x1", "y0", "y1"], dtype=object),
                    "population": np.array(
                        [str(x) for x in (cs.spec.names or range(cs.in_reach.size))],
                        dtype=object,
                    ),
                    "sparse_re": d.x,
                    "sparse_im": d.y,
                },
                attrs={
                    "region_criterion": c.criterion,
                    "region_verdict": c.verdict,
                    "region_z_threshold": c.z_threshold,
                    "density_chi2": self.chi2.chi2,
                    "density_chi2_cells": self.chi2.cells,
                    "density_chi2_p_value": self.chi2.p_value,
                    "cavity": self.prediction.settings.to_dict(),
                },
            ),
        ]
        if self.sweep is not None:
            pieces.append(self.sweep.to_xarray())
        return xr.merge(pieces, compat="override", combine_attrs="drop_conflicts")


def _component_spectra(
    ensemble: JacobianEnsemble,
    n_realizations: int,
    seed: int,
    skip: int,
    progress: Callable[..., Any] | None,
) -> tuple[Any, list[Any], list[np.ndarray]]:
    """All eigenvalues by strongly connected components: the ``EdgeMeasurement``, and the
    component spectra and timescales the region statistics are computed from.

    The realizations of :func:`randrnn.spectra.measure_edge` and
    :func:`randrnn.spectra.measure_regions` with the same seed (children of
    ``SeedSequence(seed)``); the edge statistics are those of ``measure_edge``.
    """
    t0 = time.perf_counter()
    comps, taus, ests = [], [], []
    for child in np.random.SeedSequence(seed).spawn(n_realizations):
        sample = ensemble.sample(np.random.default_rng(child))
        cs = spectra.eigenvalues_by_components(sample)
        comps.append(cs)
        taus.append(sample.tau)
        ests.append(spectra.edge_estimate(cs.eigenvalues, skip=skip))
        if progress is not None:
            progress()
    meas = spectra.edge_measurement(
        ests,
        [cs.eigenvalues for cs in comps],
        ensemble,
        seed=seed,
        seconds=time.perf_counter() - t0,
    )
    return meas, comps, taus


def _density_grid(boundary: Any, edge: Any, height: float, settings: SparseSettings) -> Any:
    """Cell edges around the first-moment support (a superset of the growth one)."""
    k = boundary.y_max_first_moment > 0
    if np.any(k):
        x_lo, x_hi = float(boundary.x[k].min()), float(boundary.x[k].max())
        y_top = float(boundary.y_max_first_moment.max())
    else:
        x_lo, x_hi, y_top = float(boundary.x.min()), float(boundary.x.max()), 0.5 * height
    if math.isfinite(edge.edge_first_moment):
        x_hi = max(x_hi, edge.edge_first_moment)
    pad = _GRID_PAD * max(height, 2.0 * y_top)
    xe = np.linspace(x_lo - pad, x_hi + pad, settings.bins_re + 1)
    ye = np.linspace(-(y_top + pad), y_top + pad, settings.bins_im + 1)
    return xe, ye


def run_sparse(
    config: SpectrumConfig,
    measurement: Any,
    components: Sequence[Any],
    taus: Sequence[np.ndarray],
    progress: Callable[..., Any] | None = None,
) -> SparseSpectrum:
    """The finite-connectivity comparison of a spectrum config.

    Parameters
    ----------
    config : SpectrumConfig
        The config (``[ensemble]``, ``[spectrum]``, ``[cavity]``, ``[sparse]``).
    measurement : randrnn.spectra.EdgeMeasurement
        The sampled spectra (all eigenvalues; the realizations of
        :func:`randrnn.spectra.measure_regions` with seed ``spectrum.seed``).
    components : sequence of randrnn.spectra.ComponentSpectrum
        The same realizations by strongly connected components (the region statistics and the
        exact bar come from them, without computing the spectra again).
    taus : sequence of ndarray
        Their timescales.
    progress : callable, optional
        Called after each realization of the sweep.

    Returns
    -------
    SparseSpectrum
        Predictions, measurements and comparisons.
    """
    ens, opts, sp, cav = config.ensemble, config.spectrum, config.sparse, config.cavity
    clock: dict[str, float] = {}

    def tick(name: str, t0: float) -> None:
        clock[name] = time.perf_counter() - t0

    t = time.perf_counter()
    edge = rmt.sparse_edge(ens)
    bound = rmt.sparse_boundary(ens)
    outl = rmt.outliers(ens, support="sparse")
    comp = rmt.strong_component(ens)
    tick("edge_boundary_outliers", t)
    k = bound.y_max_first_moment > 0
    support_left = float(bound.x[k].min()) if np.any(k) else math.nan
    height = edge.height
    if not (math.isfinite(height) and height > 0):  # no bulk by the growth criterion
        height = 2.0 * float(bound.y_max_first_moment.max())
    if not (math.isfinite(height) and height > 0):
        lo, hi = pole_segment(ens)
        height = max(hi - lo, 1e-3)
    if sp.regions:
        rect = np.array(sp.regions, dtype=float)
        names = tuple(f"R{i + 1}" for i in range(len(sp.regions)))
    else:
        rect, names = automatic_regions(ens, edge.edge, height, support_left)
    t = time.perf_counter()
    pred = rmt.cavity_regions(ens, rect, cav)
    tick("cavity_regions", t)
    t = time.perf_counter()
    note = ""
    try:
        with quiet_numerics():
            dense = np.asarray(rmt.dense_regions(ens, rect), dtype=float)
    except (np.linalg.LinAlgError, ConvergenceError, FloatingPointError) as exc:
        dense = np.full(rect.shape[0], np.nan)
        note = f"dense-limit fractions failed: {exc}"
    tick("dense_regions", t)
    t = time.perf_counter()
    meas = spectra.region_measurement(
        components, taus, rect, quantiles=(sp.quantile,), seed=opts.seed
    )
    bar = np.stack([cs.bar for cs in components])
    tick("measure_regions", t)
    comparison = compare_regions(
        pred.fraction,
        pred.fraction_se,
        meas.fraction,
        meas.fraction_se,
        dense,
        names=names,
        n_counted=ens.n * opts.n_realizations,
    )
    t = time.perf_counter()
    xe, ye = _density_grid(bound, edge, height, sp)
    dens = rmt.cavity_density(ens, x_edges=xe, y_edges=ye, settings=cav)
    lam = measurement.eigenvalues.ravel()
    counts, _, _ = np.histogram2d(lam.real, lam.imag, bins=[xe, ye])
    chi2 = density_chi2(dens.mass, dens.mass_se, counts, ye, lam.size)
    tick("cavity_density", t)
    sweep = None
    if sp.sweep_enabled:
        t = time.perf_counter()
        sweep = run_degree_sweep(ens, sp, config.sweep_n, opts.seed, progress, cav)
        tick("degree_sweep", t)
    return SparseSpectrum(
        edge=edge,
        boundary=bound,
        outliers=outl,
        component=comp,
        rectangles=rect,
        region_names=names,
        automatic=not sp.regions,
        prediction=pred,
        dense_fraction=dense,
        dense_note=note,
        measurement=meas,
        comparison=comparison,
        bar=bar,
        density=dens,
        counts=counts.astype(np.int64),
        chi2=chi2,
        sweep=sweep,
        seconds=clock,
    )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SpectrumResult:
    """Everything one ``randrnn spectrum`` computed.

    Parameters
    ----------
    config : SpectrumConfig
        The config (``config.to_dict()`` is recorded with the results).
    ensemble : JacobianEnsemble
        The ensemble.
    method : str
        Eigenvalue method (``dense`` or a sparse one).
    seed : int
        Seed of the sampled Jacobians.
    edge : randrnn.rmt.SpectralEdge
        Predicted edge and bulk height.
    boundary : randrnn.rmt.SupportBoundary
        Predicted support boundary.
    outliers : randrnn.rmt.Outliers
        Predicted outliers.
    measurement : randrnn.spectra.EdgeMeasurement
        Measured edge and eigenvalues.
    histogram : SpectrumHistogram or None
        Predicted density and binned eigenvalues (``dense`` method and theory only).
    sensitivity : SensitivitySweep or None
        The edge-sensitivity sweep, when enabled.
    seconds : float
        Wall time.
    theory : {"dense", "sparse"}
        The theory compared (``spectrum.theory`` resolved).
    sparse : SparseSpectrum or None
        The finite-connectivity comparison (``sparse`` theory only).
    """

    config: SpectrumConfig
    ensemble: JacobianEnsemble
    method: str
    seed: int
    edge: Any
    boundary: Any
    outliers: Any
    measurement: Any
    histogram: SpectrumHistogram | None
    sensitivity: SensitivitySweep | None
    seconds: float
    theory: str = "dense"
    sparse: SparseSpectrum | None = None

    @property
    def deviation_over_height(self) -> float:
        """(measured - predicted edge) / predicted bulk height."""
        return float((self.measurement.edge - self.edge.edge) / self.edge.height)

    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` content (strict JSON: undefined values are null)."""
        m, e = self.measurement, self.edge
        out: dict[str, Any] = {
            "edge_pred": e.edge,
            "edge_kind": e.kind,
            "height_pred": e.height,
            "edge_numeric": m.edge,
            "edge_numeric_se": m.edge_se,
            "max_real_numeric": m.max_real,
            "outliers_pred": [[float(v.real), float(v.imag)] for v in self.outliers.values],
            "n": self.ensemble.n,
            "n_realizations": m.n_realizations,
            "method": self.method,
            "theory": self.theory,
            "seconds": self.seconds,
        }
        if self.sparse is not None:
            out["sparse"] = self.sparse.summary()
        s = self.sensitivity
        if s is not None:
            out["sensitivity"] = {
                "n": s.n,
                "n_realizations": s.n_realizations,
                "statistics": {st: c.to_dict() for st, c in s.comparisons.items()},
                "skipped": dict(s.skipped),
            }
        return strict_json(out)

    def to_xarray(self) -> Any:
        """Eigenvalues, predicted support, edge, outliers, density and the sweep."""
        import xarray as xr

        pieces = [
            self.measurement.to_xarray(),
            self.edge.to_xarray(),
            self.boundary.to_xarray(),
            self.outliers.to_xarray(),
        ]
        h = self.histogram
        if h is not None:
            pieces.append(h.density.to_xarray())
            pieces.append(
                xr.Dataset(
                    {"histogram": (("re", "im"), h.counts)},
                    coords={"re": h.density.x, "im": h.density.y},
                )
            )
        if self.sensitivity is not None:
            pieces.append(self.sensitivity.to_xarray())
        if self.sparse is not None:
            pieces.append(self.sparse.to_xarray())
        ds = xr.merge(pieces, compat="override", combine_attrs="drop")
        ds.attrs.update(io.provenance())
        ds.attrs["spec"] = self.ensemble.to_config()
        ds.attrs["seed"] = int(self.seed)
        ds.attrs["config"] = self.config.to_dict()
        ds.attrs["theory"] = self.theory
        ds.attrs["references"] = ["chotibut2025"]
        if self.sparse is not None:
            sp = self.sparse
            ds.attrs["references"] += ["neri2020", "rogers2009", "metz2019"]
            ds.attrs["region_criterion"] = sp.comparison.criterion
            ds.attrs["region_verdict"] = sp.comparison.verdict
            ds.attrs["density_chi2"] = sp.chi2.to_dict()
            ds.attrs["cavity"] = self.config.cavity.to_dict()
            if sp.sweep is not None:
                ds.attrs["sweep_n"] = sp.sweep.n
                ds.attrs["sweep_degree_label"] = sp.sweep.degree_label
        return ds


def spectrum_config(config: SpectrumConfig | Mapping[str, Any] | None = None) -> SpectrumConfig:
    """The checked config of a spectrum experiment.

    Parameters
    ----------
    config : SpectrumConfig or mapping, optional
        A config, or tables (``ensemble``, ``spectrum``, ``sensitivity``) merged onto the
        preset of ``randrnn spectrum`` (:func:`randrnn.config.config_from_mapping`).

    Returns
    -------
    SpectrumConfig
        Validated before any work.
    """
    if isinstance(config, SpectrumConfig):
        return config
    return config_from_mapping("spectrum", dict(config or {}))  # type: ignore[return-value]


def count_realizations(config: SpectrumConfig) -> int:
    """Number of sampled Jacobians :func:`run_spectrum` draws for ``config`` (for progress).

    The sparse theory adds ``sweep_realizations`` per degree factor (its region statistics
    reuse the ``n_realizations`` spectra).
    """
    total = config.spectrum.n_realizations
    if config.resolved_theory == "sparse":
        sp = config.sparse
        if sp.sweep_enabled:
            total += len(sp.degree_factors) * sp.sweep_realizations
    sens = config.sensitivity
    if sens.enabled:
        total += sens.n_points * sens.n_realizations
    return total


def run_sensitivity(
    ensemble: JacobianEnsemble,
    settings: SensitivitySettings,
    seed: int,
    width: float,
    progress: Callable[..., Any] | None = None,
) -> SensitivitySweep:
    """The spectral edge along each statistic of ``ensemble``: theory and dense numerics.

    Statistics that do not apply to the ensemble (e.g. ``fraction_excitatory`` with other than
    two populations) are skipped and listed with the reason.

    Parameters
    ----------
    ensemble : JacobianEnsemble
        The base ensemble (resized to ``settings.n``).
    settings : SensitivitySettings
        The ``[sensitivity]`` table.
    seed : int
        Base seed; statistic ``i`` uses ``seed + 1000 (i + 1)``.
    width : float
        Bulk width the deviations are measured in (the predicted height of the base ensemble).
    progress : callable, optional
        Called after each realization.

    Returns
    -------
    SensitivitySweep
        Theory, measurement and comparison per statistic.
    """
    base = ensemble.resized(settings.n)
    theory, meas, skipped = {}, {}, {}
    for i, st in enumerate(STATISTICS):
        values = list(settings.values(st))
        if not values:
            continue
        try:
            theory[st] = rmt.edge_sensitivity(base, st, values)
        except ValueError as exc:
            skipped[st] = str(exc)
            continue
        meas[st] = spectra.measure_edge_sensitivity(
            base,
            st,
            values,
            n_realizations=settings.n_realizations,
            seed=seed + _SEED_STRIDE * (i + 1),
            progress=progress,
        )
    return SensitivitySweep(
        n=settings.n,
        n_realizations=settings.n_realizations,
        theory=theory,
        measurement=meas,
        comparisons={
            st: compare_edge_sensitivity(th, meas[st], width) for st, th in theory.items()
        },
        skipped=skipped,
    )


def _histogram(ensemble: JacobianEnsemble, edge: Any, lam: np.ndarray, bins: int) -> Any:
    x_lo = float(np.quantile(lam.real, 0.001))
    pad = 0.05 * edge.height
    xe = np.linspace(x_lo - pad, max(edge.edge, float(lam.real.max())) + pad, bins + 1)
    ymax = 0.5 * edge.height + pad
    ye = np.linspace(-ymax, ymax, bins + (1 if bins % 2 == 0 else 0) + 1)
    with quiet_numerics(), warnings.catch_warnings():
        # the density is shown where it converged; failures are drawn as gaps
        warnings.simplefilter("ignore", RegimeWarning)
        dens = rmt.eigenvalue_density(ensemble, x_edges=xe, y_edges=ye, on_failure="warn")
    counts, _, _ = np.histogram2d(lam.real, lam.imag, bins=[xe, ye])
    return SpectrumHistogram(density=dens, counts=counts / lam.size)


def run_spectrum(
    config: SpectrumConfig | Mapping[str, Any] | None = None,
    progress: Callable[..., Any] | None = None,
) -> SpectrumResult:
    """Measure Jacobian spectra and compare them with the random-matrix theory.

    Parameters
    ----------
    config : SpectrumConfig or mapping, optional
        The config, or tables merged onto the preset (see :func:`spectrum_config`).
    progress : callable, optional
        Called after each sampled Jacobian.

    Returns
    -------
    SpectrumResult
        Predictions, measurements, the sweep and its comparisons; with the sparse theory also
        :class:`SparseSpectrum` (``result.sparse``).

    Notes
    -----
    With the sparse theory the sampled spectra come from the strongly connected components
    (:func:`randrnn.spectra.eigenvalues_by_components`; the same realizations as
    :func:`randrnn.spectra.measure_edge`, whose edge statistics are reported), and the dense
    histogram is replaced by the finite-connectivity density.
    """
    cfg = spectrum_config(config)
    ens, opts = cfg.ensemble, cfg.spectrum
    theory = cfg.resolved_theory
    t0 = time.perf_counter()
    edge = rmt.spectral_edge(ens)
    outl = rmt.outliers(ens)
    n_right = int(np.sum(outl.values.real > edge.edge))
    comps: list[Any] = []
    taus: list[np.ndarray] = []
    if theory == "sparse":
        meas, comps, taus = _component_spectra(
            ens, opts.n_realizations, opts.seed, n_right, progress
        )
    else:
        meas = spectra.measure_edge(
            ens,
            n_realizations=opts.n_realizations,
            seed=opts.seed,
            skip=n_right,
            method=opts.method,
            k=opts.k,
            progress=progress,
        )
    bound = rmt.support_boundary(ens)
    hist = None
    if opts.method == "dense" and theory == "dense":
        hist = _histogram(ens, edge, meas.eigenvalues.ravel(), opts.bins)
    sparse = None
    if theory == "sparse":
        sparse = run_sparse(cfg, meas, comps, taus, progress)
    sens = None
    if cfg.sensitivity.enabled:
        sens = run_sensitivity(ens, cfg.sensitivity, opts.seed, edge.height, progress)
    return SpectrumResult(
        config=cfg,
        ensemble=ens,
        method=opts.method,
        seed=opts.seed,
        edge=edge,
        boundary=bound,
        outliers=outl,
        measurement=meas,
        histogram=hist,
        sensitivity=sens,
        seconds=time.perf_counter() - t0,
        theory=theory,
        sparse=sparse,
    )
