"""Figures for Jacobian spectra: eigenvalue clouds with the predicted support, edge sensitivity.

- :func:`plot_spectrum` -- eigenvalues, predicted boundary, outliers and edges on one Axes.
- :func:`plot_edge_sensitivity` -- predicted vs measured edge along one statistic.
- :func:`spectrum_figure`, :func:`edge_sensitivity_figure`, :func:`figures` -- the figures of a
  :class:`~randrnn.experiments.spectrum.SpectrumResult`.

Finite-connectivity theory (``result.sparse``; Chotibut, Evnin & Horinouchi 2025,
arXiv:2512.12767; ``docs/theory.md`` sections 5.5 and 5.7):

- :func:`sparse_spectrum_figure` -- the eigenvalue cloud with the dense-limit and the
  finite-connectivity support boundaries, the exact bar eigenvalues and the predicted outliers.
- :func:`sparse_density_figure` -- predicted eigenvalue mass per cell beside the histogram of the
  sampled eigenvalues, on one colour scale.
- :func:`regions_figure` -- the regions on the cloud, and their predicted (finite connectivity,
  dense limit) and measured eigenvalue fractions.
- :func:`edge_degree_figure` -- the edge against the mean in-degree: theories and numerics.
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


def _cloud(ax: Any, result: Any) -> None:
    """All sampled eigenvalues, the exact bar ones marked."""
    lam = np.asarray(result.measurement.eigenvalues).ravel()
    bar = np.asarray(result.sparse.bar).ravel()
    ax.scatter(lam[~bar].real, lam[~bar].imag, s=3, c="0.35", alpha=0.6, lw=0, label="eigenvalues")
    ax.scatter(
        lam[bar].real,
        lam[bar].imag,
        s=14,
        marker="|",
        c="C1",
        lw=0.6,
        alpha=0.5,
        label=r"bar: exact $-1/\tau_i$ (units on no cycle)",
    )


def sparse_spectrum_figure(result: Any) -> Any:
    """The sampled eigenvalues against the dense-limit and finite-connectivity supports.

    Parameters
    ----------
    result : SpectrumResult
        A result of the sparse theory (``result.sparse`` set).

    Returns
    -------
    matplotlib.figure.Figure
        One panel: the eigenvalue cloud, the exact bar eigenvalues, the dense-limit boundary
        (dashed), the finite-connectivity boundary by the growth criterion (solid), the
        predicted outliers (open circles) and both predicted edges.
    """
    sp = result.sparse
    fig, ax = plt.subplots(figsize=(7, 5))
    _cloud(ax, result)
    b = result.boundary
    k = b.y_max > 0
    ax.plot(b.x[k], b.y_max[k], "C3--", lw=1.2, label="support, dense limit")
    ax.plot(b.x[k], -b.y_max[k], "C3--", lw=1.2)
    sb = sp.boundary
    k = sb.y_max > 0
    ax.plot(sb.x[k], sb.y_max[k], "C0-", lw=1.4, label="support, finite connectivity")
    ax.plot(sb.x[k], -sb.y_max[k], "C0-", lw=1.4)
    o = np.asarray(sp.outliers.values, dtype=complex)
    if o.size:
        ax.scatter(
            o.real, o.imag, s=70, facecolors="none", edgecolors="C2", label="outliers (predicted)"
        )
    if np.isfinite(sp.edge.edge):
        ax.axvline(sp.edge.edge, color="C0", ls=":", lw=0.9, label=f"edge {sp.edge.edge:.4f}")
    ax.axvline(
        result.edge.edge, color="C3", ls=":", lw=0.9, label=f"dense edge {result.edge.edge:.4f}"
    )
    ax.axvline(0.0, color="k", lw=0.5)
    ax.set_xlabel(r"Re $\lambda$ (decay rate, 1/time)")
    ax.set_ylabel(r"Im $\lambda$ (angular frequency)")
    m = result.measurement
    ax.set_title(
        f"Jacobian eigenvalues, n = {result.ensemble.n}, {m.n_realizations} realizations: "
        "bulk (giant component) and bar"
    )
    ax.legend(loc="best", fontsize=7)
    fig.tight_layout()
    return fig


def sparse_density_figure(result: Any) -> Any:
    """Predicted eigenvalue fraction per cell beside the histogram of the sampled eigenvalues.

    The row of cells on the real axis (the bar, and cells the prediction treats only
    approximately) is masked in both panels; both share one colour scale.

    Parameters
    ----------
    result : SpectrumResult
        A result of the sparse theory.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels, same axes and colour scale.
    """
    sp = result.sparse
    d = sp.density
    n_total = np.asarray(result.measurement.eigenvalues).size
    pred = np.array(d.mass, dtype=float)
    meas = sp.counts / n_total
    ye = d.y_edges
    axis_row = (ye[:-1] < 0) & (ye[1:] > 0)
    pred[:, axis_row] = np.nan
    meas = np.where(axis_row[None, :], np.nan, meas)
    top = np.nanmax([np.nanmax(pred), np.nanmax(meas), 1e-12])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharex=True, sharey=True)
    extent = (d.x_edges[0], d.x_edges[-1], ye[0], ye[-1])
    ims = []
    for ax, data, title in (
        (axes[0], pred, "predicted (population dynamics on the cavity equations)"),
        (axes[1], meas, f"sampled eigenvalues ({n_total} in all)"),
    ):
        im = ax.imshow(
            data.T,
            origin="lower",
            extent=extent,
            aspect="auto",
            cmap="magma",
            vmin=0.0,
            vmax=top,
            interpolation="nearest",
        )
        ims.append(im)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel(r"Re $\lambda$")
    axes[0].set_ylabel(r"Im $\lambda$")
    fig.colorbar(ims[0], ax=axes, label="fraction of all eigenvalues per cell")
    c = sp.chi2
    fig.suptitle(
        "Eigenvalue density at finite connectivity (real-axis row masked); "
        f"chi2/cell = {c.per_dof:.3g} over {c.cells} upper cells"
    )
    return fig


def _draw_rectangles(ax: Any, rect: np.ndarray, names: Any) -> None:
    from matplotlib.patches import Rectangle

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    for i, (a, b, c, d) in enumerate(rect):
        a, b = max(a, x0), min(b, x1)
        c, d = max(c, y0), min(d, y1)
        if b <= a or d <= c:
            continue
        ax.add_patch(Rectangle((a, c), b - a, d - c, fill=False, ec=f"C{i % 10}", lw=1.3, ls="-"))
        ax.text(a, d, f" {str(names[i]).split()[0]}", color=f"C{i % 10}", fontsize=8, va="top")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)


def regions_figure(result: Any) -> Any:
    """The regions on the eigenvalue cloud, and their predicted and measured fractions.

    Parameters
    ----------
    result : SpectrumResult
        A result of the sparse theory.

    Returns
    -------
    matplotlib.figure.Figure
        Left: the cloud with the regions. Right: per region, the measured fraction (mean ± 1 SE
        over realizations), the finite-connectivity prediction (± 1 SE of the population
        dynamics) and the dense limit, on a log scale.
    """
    sp = result.sparse
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [3, 2]})
    _cloud(ax0, result)
    ax0.set_xlabel(r"Re $\lambda$")
    ax0.set_ylabel(r"Im $\lambda$")
    ax0.set_title("regions of the complex plane")
    _draw_rectangles(ax0, sp.rectangles, sp.region_names)
    ax0.legend(loc="lower left", fontsize=7)
    k = np.arange(len(sp.region_names))
    p, m, c = sp.prediction, sp.measurement, sp.comparison
    ax1.errorbar(
        k - 0.15,
        p.fraction,
        yerr=p.fraction_se,
        fmt="s",
        color="C0",
        ms=5,
        capsize=3,
        label="finite connectivity (± 1 SE)",
    )
    ax1.plot(k, sp.dense_fraction, "D", color="C3", mfc="none", ms=6, label="dense limit")
    ax1.errorbar(
        k + 0.15,
        m.fraction,
        yerr=m.fraction_se,
        fmt="o",
        color="k",
        ms=4,
        capsize=3,
        label=f"measured (± 1 SE, {m.n_realizations} realizations)",
    )
    for i in k:
        if np.isfinite(c.z[i]):
            ax1.annotate(
                f"z={c.z[i]:.2g}",
                (i, m.fraction[i]),
                fontsize=7,
                xytext=(4, 6),
                textcoords="offset points",
            )
    ax1.set_xticks(k)
    ax1.set_xticklabels([str(n) for n in sp.region_names], rotation=20, fontsize=8)
    vals = np.concatenate([p.fraction, m.fraction, sp.dense_fraction])
    if np.all(vals[np.isfinite(vals)] > 0):
        ax1.set_yscale("log")
    ax1.set_ylabel("fraction of all eigenvalues")
    ax1.set_title(f"eigenvalue fractions: {c.verdict}", fontsize=9)
    ax1.legend(fontsize=7)
    fig.tight_layout()
    return fig


def edge_degree_figure(result: Any) -> Any:
    r"""The spectral edge against the mean in-degree at fixed :math:`c\,E[w^2]`.

    Parameters
    ----------
    result : SpectrumResult
        A result of the sparse theory with the degree sweep.

    Returns
    -------
    matplotlib.figure.Figure
        Predicted edges (finite connectivity, its first-moment bound, dense limit) and the
        measured rightmost eigenvalue of the giant component and real-part quantile (± 1 SE over
        realizations) against the in-degree, log scale.
    """
    sw = result.sparse.sweep
    fig, ax = plt.subplots(figsize=(6.5, 4.4))
    c = sw.degree
    ax.plot(c, sw.edge_sparse, "C0-o", ms=3, label="edge, finite connectivity (growth rate)")
    ax.plot(
        c, sw.edge_first_moment, "C0--", lw=1, label="edge, first moment (dense formula, c E[w²])"
    )
    ax.plot(c, sw.edge_dense, "C3:", lw=1.4, label="edge, dense limit (variances)")
    ax.errorbar(
        c,
        sw.giant_rightmost,
        yerr=sw.giant_rightmost_se,
        fmt="o",
        color="k",
        ms=4,
        capsize=3,
        label="measured: rightmost eigenvalue of the giant component",
    )
    ax.errorbar(
        c,
        sw.quantile_real,
        yerr=sw.quantile_real_se,
        fmt="s",
        color="C2",
        ms=4,
        capsize=3,
        mfc="none",
        label=f"measured: {sw.quantile:g} quantile of Re λ (all eigenvalues)",
    )
    ax.plot(
        c,
        sw.rightmost_pred,
        "-",
        color="k",
        lw=1,
        label=f"predicted median rightmost of {sw.n} eigenvalues (population dynamics)",
    )
    ax.plot(
        c,
        sw.quantile_pred,
        "-",
        color="C2",
        lw=1,
        label=f"predicted {sw.quantile:g} quantile (population dynamics)",
    )
    ax.set_xscale("log")
    ax.set_xticks(c, [f"{v:.3g}" for v in c])
    ax.minorticks_off()
    ax.set_xlabel(sw.degree_label + " (weights scaled to keep c E[w²] fixed)")
    ax.set_ylabel(r"Re $\lambda$ at the edge")
    ax.set_title(
        f"Edge vs connectivity: n = {sw.n}, {sw.n_realizations} realizations per point",
        fontsize=10,
    )
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def figures(result: Any) -> dict[str, Any]:
    """Name -> figure function of a spectrum result (the sweep only when it has statistics).

    With the sparse theory, ``spectrum`` shows both supports and the bar, and
    ``sparse_density``, ``regions`` and (with the degree sweep) ``edge_vs_degree`` are added.
    """
    sparse = getattr(result, "sparse", None)
    out: dict[str, Any] = {
        "spectrum": spectrum_figure if sparse is None else sparse_spectrum_figure
    }
    if sparse is not None:
        out["sparse_density"] = sparse_density_figure
        out["regions"] = regions_figure
        if sparse.sweep is not None:
            out["edge_vs_degree"] = edge_degree_figure
    if result.sensitivity is not None and result.sensitivity.theory:
        out["edge_sensitivity"] = edge_sensitivity_figure
    return out
