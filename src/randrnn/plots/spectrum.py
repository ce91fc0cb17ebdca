"""Figures for Jacobian spectra: eigenvalue clouds with the predicted support, edge sensitivity.

- :func:`plot_spectrum` -- eigenvalues, predicted boundary, outliers and edges on one Axes.
- :func:`plot_edge_sensitivity` -- predicted vs measured edge along one statistic.
- :func:`spectrum_figure`, :func:`edge_sensitivity_figure`, :func:`figures` -- the figures of a
  :class:`~randrnn.experiments.spectrum.SpectrumResult`.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np


def plot_spectrum(
    eigenvalues: Any,
    *,
    boundary: Any = None,
    outliers: Any = None,
    edge_pred: float | None = None,
    edge_numeric: float | None = None,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Scatter the eigenvalues with the predicted support boundary, outliers and edges.

    Parameters
    ----------
    eigenvalues : array_like of complex
        Eigenvalues (any shape; flattened).
    boundary : SupportBoundary or (x, y_max) tuple, optional
        Predicted support boundary (:func:`randrnn.rmt.support_boundary`).
    outliers : array_like of complex, optional
        Predicted outliers (drawn as open circles).
    edge_pred, edge_numeric : float, optional
        Predicted and measured edges (vertical lines).
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5))
    lam = np.asarray(eigenvalues, dtype=complex).ravel()
    ax.scatter(lam.real, lam.imag, s=2, c="0.3", alpha=0.5, lw=0, label="eigenvalues")
    if boundary is not None:
        x, y = (boundary.x, boundary.y_max) if hasattr(boundary, "y_max") else boundary
        x, y = np.asarray(x), np.asarray(y)
        k = y > 0
        ax.plot(x[k], y[k], "C3", lw=1.2, label="predicted support")
        ax.plot(x[k], -y[k], "C3", lw=1.2)
    if outliers is not None and np.size(outliers):
        o = np.asarray(outliers, dtype=complex)
        ax.scatter(
            o.real, o.imag, s=60, facecolors="none", edgecolors="C0", label="outliers (pred.)"
        )
    if edge_pred is not None:
        ax.axvline(edge_pred, color="C3", ls="--", lw=0.8, label=f"edge pred. {edge_pred:.3f}")
    if edge_numeric is not None:
        ax.axvline(edge_numeric, color="C2", ls=":", lw=1.0, label=f"edge num. {edge_numeric:.3f}")
    ax.axvline(0.0, color="k", lw=0.5)
    ax.set_xlabel(r"Re $\lambda$")
    ax.set_ylabel(r"Im $\lambda$")
    ax.legend(loc="best", fontsize=7)
    if title:
        ax.set_title(title)
    return ax


def plot_edge_sensitivity(theory: Any, measurement: Any = None, *, ax: Any = None) -> Any:
    """Plot the predicted edge along one statistic, with measured edges and error bars.

    Parameters
    ----------
    theory : EdgeSensitivity
        From :func:`randrnn.rmt.edge_sensitivity`.
    measurement : EdgeSensitivityMeasurement, optional
        From :func:`randrnn.spectra.measure_edge_sensitivity` (same values).
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 3))
    ax.plot(theory.values, theory.edge, "C3-", label="theory")
    if measurement is not None:
        ax.errorbar(
            measurement.values,
            measurement.edge,
            yerr=measurement.edge_se,
            fmt="o",
            color="C0",
            ms=3,
            capsize=2,
            label="numerics",
        )
    ax.set_xlabel(theory.statistic.replace("_", " "))
    ax.set_ylabel("spectral edge")
    ax.legend(fontsize=7)
    return ax


def spectrum_figure(result: Any) -> Any:
    """The sampled eigenvalues of a :class:`~randrnn.experiments.spectrum.SpectrumResult`."""
    ax = plot_spectrum(
        result.measurement.eigenvalues,
        boundary=result.boundary,
        outliers=result.outliers.values,
        edge_pred=result.edge.edge,
        edge_numeric=result.measurement.edge,
        title=f"n = {result.ensemble.n}",
    )
    return ax.figure


def edge_sensitivity_figure(result: Any) -> Any:
    """The edge along each statistic of a spectrum result's sweep: theory and numerics."""
    sens = result.sensitivity
    names = list(sens.theory)
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3), squeeze=False)
    for ax, st in zip(axes[0], names, strict=True):
        th = sens.theory[st]
        plot_edge_sensitivity(th, sens.measurement[st], ax=ax)
        seg = np.array([k == "segment" for k in th.kind])
        if seg.any():  # edge at the end of the timescale support: not compared
            ax.plot(th.values[seg], th.edge[seg], "x", color="C3", label="tau-support edge")
            ax.legend(fontsize=7)
    fig.suptitle(f"spectral edge vs statistic: theory (line), numerics (n = {sens.n}, ± 1 SE)")
    fig.tight_layout()
    return fig


def figures(result: Any) -> dict[str, Any]:
    """Name -> figure function of a spectrum result (the sweep only when it has statistics)."""
    out: dict[str, Any] = {"spectrum": spectrum_figure}
    if result.sensitivity is not None and result.sensitivity.theory:
        out["edge_sensitivity"] = edge_sensitivity_figure
    return out
