"""Fit the sparse E/I ensemble to one Jacobian and compare its predicted spectrum with the
Jacobian's eigenvalues (``docs/theory.md`` sections 5.7-5.9).

Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767: the random-matrix ensemble is meant to
capture the spectra of Jacobians of trained E/I networks. Given such a Jacobian (a trained
network's at an equilibrium, or one found by :mod:`randrnn.fixedpoints`), :func:`compare_fit`

1. estimates the ensemble from ``W``, ``tau`` and the gains (:func:`randrnn.ensembles.fit_sample`),
2. predicts its spectrum at finite connectivity (growth-rate edge, population-dynamics fractions
   in the regions of :func:`randrnn.experiments.spectrum.automatic_regions`, the bar, a high
   quantile of the real parts, the median rightmost eigenvalue at its size) and in the dense
   limit,
3. measures the same on the Jacobian's exact eigenvalues (strongly connected components), and
4. compares them with standard errors (the prediction's from the pool; the measurement's
   binomial, which overstates the spread of repelling eigenvalues, so the z-scores are
   conservative).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from randrnn import io, rmt, spectra
from randrnn.ensembles import EnsembleFit, JacobianSample, fit_sample
from randrnn.experiments._common import strict_json
from randrnn.experiments.spectrum import automatic_regions


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class FitComparison:
    """A fitted ensemble's predicted spectrum against the Jacobian it was fitted to.

    Parameters
    ----------
    fit : randrnn.ensembles.EnsembleFit
        The fitted ensemble with its estimates and standard errors.
    edge : randrnn.rmt.SparseEdge
        Predicted edge at finite connectivity (and by the first-moment criterion).
    dense_edge : float
        Dense-limit edge (:func:`randrnn.rmt.spectral_edge`).
    regions : (k, 4) ndarray
        :func:`randrnn.experiments.spectrum.automatic_regions` of the fitted ensemble.
    region_names : tuple of str
        Their names.
    predicted, predicted_se : (k,) ndarray
        Population-dynamics fractions and their standard errors.
    dense : (k,) ndarray
        Dense-limit fractions.
    measured, measured_se : (k,) ndarray
        Fractions of the Jacobian's eigenvalues, binomial standard errors.
    bar_measured : int
        Exact eigenvalues at :math:`-1/\\tau_j` (singleton components).
    bar_predicted : float
        ``n`` times the predicted fraction outside the giant strongly connected component.
    rightmost : float
        Largest real part of the giant component's eigenvalues.
    rightmost_predicted : float
        Predicted median of the largest real part of an ``n``-unit sample
        (:func:`randrnn.rmt.cavity_extreme`): inside the edge by the density's tail.
    tail_edge : float
        Tail-fit edge of those eigenvalues (:func:`randrnn.spectra.edge_estimate`).
    quantile : float
        ``q`` of the comparison of quantiles.
    quantile_measured, quantile_predicted : float
        The ``q``-quantile of all real parts, measured and predicted
        (:func:`randrnn.rmt.cavity_quantile`; NaN left of the rightmost pole).
    n : int
        Units.
    """

    fit: EnsembleFit
    edge: Any
    dense_edge: float
    regions: np.ndarray
    region_names: tuple[str, ...]
    predicted: np.ndarray
    predicted_se: np.ndarray
    dense: np.ndarray
    measured: np.ndarray
    measured_se: np.ndarray
    bar_measured: int
    bar_predicted: float
    rightmost: float
    rightmost_predicted: float
    tail_edge: float
    quantile: float
    quantile_measured: float
    quantile_predicted: float
    n: int

    @property
    def z(self) -> np.ndarray:
        """(measured - predicted) / combined standard error, per region."""
        se = np.sqrt(self.measured_se**2 + self.predicted_se**2)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(se > 0, (self.measured - self.predicted) / se, 0.0)

    @property
    def width(self) -> float:
        """The predicted bulk height (the scale of edge deviations)."""
        return float(self.edge.height)

    def rows(self) -> list[dict[str, Any]]:
        """One row per region: predicted (sparse, dense), measured, z."""
        z = self.z
        return [
            {
                "region": name,
                "bounds": [float(v) for v in self.regions[k]],
                "sparse": float(self.predicted[k]),
                "sparse_se": float(self.predicted_se[k]),
                "dense": float(self.dense[k]),
                "measured": float(self.measured[k]),
                "measured_se": float(self.measured_se[k]),
                "z": float(z[k]),
            }
            for k, name in enumerate(self.region_names)
        ]

    def summary(self) -> dict[str, Any]:
        """Strict-JSON summary: fit, edges, fractions, bar, quantile."""
        w = self.width
        return strict_json(
            {
                "n": self.n,
                "fit": self.fit.summary(),
                "edge_sparse_pred": self.edge.edge,
                "edge_first_moment_pred": self.edge.edge_first_moment,
                "edge_dense_pred": self.dense_edge,
                "height_pred": w,
                "rightmost": self.rightmost,
                "rightmost_pred": self.rightmost_predicted,
                "rightmost_minus_pred_over_width": (self.rightmost - self.rightmost_predicted) / w,
                "tail_edge": self.tail_edge,
                "rightmost_minus_edge_over_width": (self.rightmost - self.edge.edge) / w,
                "tail_edge_minus_edge_over_width": (self.tail_edge - self.edge.edge) / w,
                "regions": self.rows(),
                "max_abs_z": float(np.max(np.abs(self.z))),
                "bar_measured": self.bar_measured,
                "bar_predicted": self.bar_predicted,
                "quantile": self.quantile,
                "quantile_measured": self.quantile_measured,
                "quantile_predicted": self.quantile_predicted,
            }
        )

    def to_xarray(self) -> Any:
        """Fractions over ``region``, scalars, the fit's parameters, provenance."""
        import xarray as xr

        ds = xr.Dataset(
            {
                "region_bounds": (("region", "bound"), self.regions),
                "fraction_sparse_pred": ("region", self.predicted),
                "fraction_sparse_pred_se": ("region", self.predicted_se),
                "fraction_dense_pred": ("region", self.dense),
                "fraction_measured": ("region", self.measured),
                "fraction_measured_se": ("region", self.measured_se),
                "edge_sparse_pred": ((), self.edge.edge),
                "edge_dense_pred": ((), self.dense_edge),
                "height_pred": ((), self.width),
                "rightmost": ((), self.rightmost),
                "rightmost_pred": ((), self.rightmost_predicted),
                "tail_edge": ((), self.tail_edge),
                "bar_measured": ((), self.bar_measured),
                "bar_predicted": ((), self.bar_predicted),
            },
            coords={
                "region": list(self.region_names),
                "bound": ["x0", "x1", "y0", "y1"],
            },
        )
        ds = xr.merge([ds, self.fit.to_xarray()], combine_attrs="no_conflicts")
        ds.attrs.update(io.provenance())
        ds.attrs["references"] = ["chotibut2025"]
        return ds


def compare_fit(
    sample: JacobianSample,
    *,
    cavity: rmt.CavitySettings | None = None,
    quantile: float = 0.99,
    **fit_options: Any,
) -> FitComparison:
    """Fit the ensemble to ``sample`` and compare its predicted spectrum with the eigenvalues.

    Parameters
    ----------
    sample : JacobianSample
        The Jacobian (sparse ``W`` with its means, ``tau``, gains, populations); e.g. from
        :func:`randrnn.networks.jacobian` at a fixed point, or a sampled one.
    cavity : randrnn.rmt.CavitySettings, optional
        Population-dynamics settings.
    quantile : float
        Quantile of the real parts compared (0.99).
    **fit_options
        Passed to :func:`randrnn.ensembles.fit_sample` (``tau_intervals``, ``gain_intervals``,
        ``weight_law``, ...).

    Returns
    -------
    FitComparison
        Fit, predictions, measurements and their comparison.
    """
    fit = fit_sample(sample, **fit_options)
    ens = fit.ensemble
    edge = rmt.sparse_edge(ens)
    bound = rmt.sparse_boundary(ens, n_points=60)  # its left end places the regions
    k = bound.y_max_first_moment > 0
    support_left = float(bound.x[k].min()) if np.any(k) else math.nan
    regions, names = automatic_regions(ens, edge.edge, edge.height, support_left)
    pred = rmt.cavity_regions(ens, regions, cavity)
    dense = rmt.dense_regions(ens, regions)
    comp = spectra.eigenvalues_by_components(sample)
    lam = comp.eigenvalues
    meas = spectra.region_fractions(lam, regions)
    meas_se = np.sqrt(meas * (1.0 - meas) / lam.size)
    giant = lam[comp.giant]
    rightmost = float(giant.real.max()) if giant.size else math.nan
    tail = float(spectra.edge_estimate(giant).edge) if giant.size > 16 else math.nan
    return FitComparison(
        fit=fit,
        edge=edge,
        dense_edge=float(rmt.spectral_edge(ens).edge),
        regions=regions,
        region_names=tuple(names),
        predicted=pred.fraction,
        predicted_se=pred.fraction_se,
        dense=dense,
        measured=meas,
        measured_se=meas_se,
        bar_measured=int(np.sum(comp.bar)),
        bar_predicted=float(rmt.strong_component(ens).expected_bar_count),
        rightmost=rightmost,
        rightmost_predicted=rmt.cavity_extreme(ens, sample.n, cavity, edge=edge),
        tail_edge=tail,
        quantile=float(quantile),
        quantile_measured=float(np.quantile(lam.real, quantile)),
        quantile_predicted=rmt.cavity_quantile(ens, quantile, cavity, edge=edge),
        n=sample.n,
    )
