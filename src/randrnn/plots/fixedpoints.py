"""Figures of ``randrnn fixedpoints``: fixed points among the simulated states, Jacobian spectra.

- :func:`states_figure` -- fixed and slow points projected on the leading principal components
  of a simulation of the same network, over its trajectories.
- :func:`eigenvalues_figure` -- the Jacobian eigenvalues at the linearized fixed points with
  the support predicted from the measured gains.
- :func:`figures` -- name -> figure function of a
  :class:`~randrnn.experiments.fixedpoints.FixedPointsResult` (with the context and
  operating-point figures when those studies ran).
"""

from __future__ import annotations

import textwrap
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from randrnn.plots.spectrum import plot_spectrum

_COLORS = {"stable": "C2", "marginal": "C1", "unstable": "C3"}


def states_figure(result: Any) -> Any:
    """Fixed points (filled, by stability) and slow points (open) on PC1-PC2 and PC1-PC3."""
    st, fp = result.states, result.fixed_points
    k = st.components.shape[1]
    pairs = [(0, 1), (0, 2)] if k >= 3 else [(0, min(1, k - 1))]
    fig, axes = plt.subplots(1, len(pairs), figsize=(5.2 * len(pairs), 4.4), squeeze=False)
    proj = st.project(fp.points) if len(fp) else np.zeros((0, k))
    for ax, (a, b) in zip(axes[0], pairs, strict=True):
        tr = st.trajectories
        for j in range(tr.shape[1]):
            ax.plot(tr[:, j, a], tr[:, j, b], lw=0.4, color="0.65", alpha=0.7)
        for lab, col in _COLORS.items():
            sel = (fp.kind == "fixed") & (fp.stability == lab) if fp.stability is not None else []
            if np.any(sel):
                ax.scatter(proj[sel, a], proj[sel, b], s=30, c=col, label=f"{lab} fixed point")
        slow = fp.kind == "slow"
        if np.any(slow):
            ax.scatter(
                proj[slow, a],
                proj[slow, b],
                s=30,
                facecolors="none",
                edgecolors="C0",
                label="slow point",
            )
        ax.set_xlabel(f"PC{a + 1} ({100 * st.explained[a]:.0f} %)")
        ax.set_ylabel(f"PC{b + 1} ({100 * st.explained[b]:.0f} %)")
    axes[0][0].legend(fontsize=7, loc="best")
    fig.suptitle(
        f"{int(np.sum(fp.kind == 'fixed'))} fixed and {int(np.sum(fp.kind == 'slow'))} slow "
        f"points of one realization (n = {result.realization.n}) over its simulated trajectories"
    )
    fig.tight_layout()
    return fig


def eigenvalues_figure(result: Any) -> Any:
    """Eigenvalues at each linearized fixed point with the support predicted from its gains."""
    preds = result.predictions
    m = max(len(preds), 1)
    fig, axes = plt.subplots(1, m, figsize=(4.6 * m, 4.2), squeeze=False)
    fp = result.fixed_points
    for ax, p in zip(axes[0], preds, strict=False):
        plot_spectrum(
            fp.eigenvalues[p.point],
            boundary=p.boundary,
            edge_pred=p.edge.edge,
            edge_numeric=p.measured_edge,
            ax=ax,
            title=f"point {p.point}: {fp.stability[p.point]}",
        )
    if not preds:
        why = result.no_prediction or "no fixed point to linearize"
        axes[0][0].text(0.5, 0.5, textwrap.fill(why, 50), ha="center", va="center", fontsize=8)
    fig.suptitle("Jacobian eigenvalues at the fixed points vs the dense random-matrix support")
    fig.tight_layout()
    return fig


def figures(result: Any) -> dict[str, Any]:
    """Name -> figure function of a fixed-points result."""
    out: dict[str, Any] = {"eigenvalues": eigenvalues_figure}
    if result.states is not None:
        out["states"] = states_figure
    if result.context is not None:
        from randrnn.plots.context import context_figure

        out["context"] = lambda r: context_figure(r.context)
    if result.operating is not None:
        from randrnn.plots.operating import operating_figure

        out["operating_point"] = lambda r: operating_figure(r.operating)
    return out
