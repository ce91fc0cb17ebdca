"""Figures of a Jacobian spectrum at a stable equilibrium against the random-matrix prediction.

- :func:`operating_figure` -- the eigenvalues with the actual gains and with the
  shuffled-gain control, each with the predicted support boundary, outliers, edge and bar, and
  the gain and timescale distributions by population
  (:class:`~randrnn.experiments.operating.OperatingPointResult`).
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from randrnn.plots.spectrum import plot_spectrum


def _spectrum_panel(result: Any, which: str, ax: Any) -> None:
    sp = result.actual if which == "actual" else result.shuffled
    bar = np.asarray(sp.bar)
    plot_spectrum(
        sp.eigenvalues[~bar],
        boundary=result.boundary,
        outliers=result.outliers.values,
        edge_pred=result.edge.edge,
        edge_numeric=sp.edge.max_real,
        ax=ax,
        title=(
            "actual gains phi'(x*)"
            if which == "actual"
            else "control: gains permuted within populations"
        ),
    )
    out = sp.outliers
    if out.size:
        ax.scatter(out.real, out.imag, marker="x", s=40, color="C0", label="outliers (measured)")
    lam = sp.eigenvalues[bar]
    if lam.size:
        ax.scatter(
            lam.real,
            lam.imag,
            marker="|",
            s=30,
            color="C1",
            lw=0.8,
            label=f"bar: {lam.size} (pred. {result.predicted_bar_count:.0f})",
        )
    b = result.bounds
    ax.axvline(b["x_split"], color="0.5", ls=":", lw=0.8)
    ax.axhspan(-b["y_cut"], b["y_cut"], color="0.9", zorder=-1)
    for y in (b["y_top"], -b["y_top"]):
        ax.axhline(y, color="0.5", ls=":", lw=0.8)
    counts = ", ".join(
        f"{r} {sp.counts[r]:.3f}/{result.predicted[r]:.3f}" for r in result.predicted
    )
    ax.text(
        0.01,
        0.01,
        f"fraction measured/predicted: {counts}",
        transform=ax.transAxes,
        fontsize=7,
        va="bottom",
    )
    ax.legend(loc="upper left", fontsize=7)


def _distribution_panel(result: Any, values: Any, label: str, ax: Any, log: bool) -> None:
    pop = np.asarray(result.realization.population)
    names = list(result.ensemble.names or [f"P{a}" for a in range(int(pop.max()) + 1)])
    v = np.asarray(values, dtype=float)
    pos = v[v > 0]
    if log and pos.size:
        lo, hi = float(pos.min()), float(pos.max())
        bins = np.geomspace(lo, hi if hi > lo else lo * 10, 40)
        ax.set_xscale("log")
    else:
        bins = np.linspace(float(v.min()), float(v.max()) + 1e-12, 40)
    for a, name in enumerate(names):
        sel = v[pop == a]
        if log:
            n_zero = int(np.sum(sel <= 0))
            sel = sel[sel > 0]
            if n_zero:
                name = f"{name} ({n_zero} zero)"
        ax.hist(sel, bins=bins, histtype="step", lw=1.2, color=f"C{a}", label=name)
    ax.set_xlabel(label)
    ax.set_ylabel("units")
    ax.legend(fontsize=7)


def operating_figure(result: Any) -> Any:
    r"""Eigenvalues (actual and shuffled gains) with the prediction; gain and tau distributions.

    Parameters
    ----------
    result : OperatingPointResult
        From :func:`randrnn.experiments.operating.run_operating_point`.

    Returns
    -------
    matplotlib.figure.Figure
        Top: the two spectra (bulk eigenvalues, bar eigenvalues as ticks, measured outliers as
        crosses, predicted support boundary, outliers and edge, the measured largest bulk real
        part, the comparison regions: the shaded real-axis band, the split line and the ``top``
        lines). Bottom: the gains :math:`\phi'(x^*)` and the timescales by population.
    """
    fig = plt.figure(figsize=(12, 8.5))
    grid = fig.add_gridspec(3, 2, height_ratios=(1.0, 1.0, 0.7))
    ax_a = fig.add_subplot(grid[0:2, 0])
    ax_s = fig.add_subplot(grid[0:2, 1], sharex=ax_a, sharey=ax_a)
    _spectrum_panel(result, "actual", ax_a)
    _spectrum_panel(result, "shuffled", ax_s)
    _distribution_panel(
        result, result.gain, r"gain $\phi'(x^*)$", fig.add_subplot(grid[2, 0]), True
    )
    _distribution_panel(
        result,
        result.realization.tau,
        r"timescale $\tau$",
        fig.add_subplot(grid[2, 1]),
        False,
    )
    s = result.settings
    fig.suptitle(
        f"Jacobian at a stable equilibrium: {s.phi}, n = {s.n}, seed {s.seed}; "
        f"edge pred. {result.edge.edge:.3f}, height {result.edge.height:.3f}"
    )
    fig.tight_layout()
    return fig
