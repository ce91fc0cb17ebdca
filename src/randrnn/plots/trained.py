"""Figures of a trained E/I network and of its Jacobian at an equilibrium.

- :func:`training_curve` -- loss and accuracy of the training batches against the iteration
  (a running mean over 50 iterations on top of every iteration's value).
- :func:`timescales` -- histograms of the units' time constants by population (E, I).
- :func:`eigenvalues` -- the Jacobian's eigenvalues at the analysed equilibrium with the fitted
  ensemble's predicted edge (finite connectivity and dense limit), the regions and the bar.
- :func:`network_figures`, :func:`spectrum_figures` -- name -> figure function, for the report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np


def _running_mean(values: np.ndarray, window: int) -> np.ndarray:
    if values.size < window:
        return values
    kernel = np.ones(window) / window
    return np.convolve(values, kernel, mode="valid")


def training_curve(network: Any) -> Any:
    """Loss (log scale) and accuracy of every training batch, with a 50-iteration mean."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, key, log in ((axes[0], "loss", True), (axes[1], "accuracy", False)):
        values = np.asarray(network.history.get(key, []), dtype=float)
        it = np.arange(values.size)
        ax.plot(it, values, color="0.75", lw=0.6, label="each batch")
        smooth = _running_mean(values, 50)
        if smooth.size != values.size:
            ax.plot(it[49:], smooth, color="C0", label="mean of 50")
        ax.set_xlabel("iteration")
        ax.set_ylabel(key)
        if log and values.size and np.all(values > 0):
            ax.set_yscale("log")
        ax.legend(fontsize=8)
    st = network.settings
    fig.suptitle(
        f"training: {getattr(st, 'task', '')} task, n = {network.n}, noise {st.noise:g}, "
        f"seed {st.seed}",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def timescales(network: Any) -> Any:
    """Histograms of the trained time constants of the excitatory and inhibitory units."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    tau = np.asarray(network.tau, dtype=float)
    inh = np.asarray(network.inhibitory, dtype=bool)
    st = network.settings
    bins = list(np.linspace(st.tau_min, st.tau_max, 31))
    for sel, name, color in ((~inh, "E", "C0"), (inh, "I", "C3")):
        t = tau[sel]
        ax.hist(
            t,
            bins=bins,
            density=True,
            alpha=0.55,
            color=color,
            label=f"{name}: mean {t.mean():.2f}, SD {t.std(ddof=1):.2f} (n = {t.size})",
        )
    ax.set_xlabel("time constant (steps)")
    ax.set_ylabel("density")
    ax.set_title("time constants by population", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def eigenvalues(result: Any) -> Any:
    """Jacobian eigenvalues with the predicted edges, the regions and the bar."""
    fig, ax = plt.subplots(figsize=(7, 5))
    lam = np.asarray(result.eigenvalues)
    c = result.comparison
    ax.scatter(lam.real, lam.imag, s=6, color="k", alpha=0.7, label=f"eigenvalues (n = {lam.size})")
    y = np.max(np.abs(lam.imag)) if lam.size else 1.0
    ax.axvline(
        c.edge.edge, color="C3", lw=1.2, label=f"edge, finite connectivity {c.edge.edge:.4g}"
    )
    ax.axvline(
        c.dense_edge, color="C0", ls="--", lw=1.0, label=f"edge, dense limit {c.dense_edge:.4g}"
    )
    ax.axvline(0.0, color="0.5", lw=0.6)
    for k, (x0, x1, y0, y1) in enumerate(c.regions):
        y0c, y1c = max(y0, -1.5 * y), min(y1, 1.5 * y)
        ax.add_patch(
            plt.Rectangle(
                (x0, y0c), x1 - x0, y1c - y0c, fill=False, ls=":", lw=0.8, color=f"C{k + 2}"
            )
        )
    tau = np.asarray(result.tau, dtype=float)
    ax.scatter(
        -1.0 / tau, np.zeros_like(tau), marker="|", s=30, color="C1", alpha=0.4, label="-1/tau"
    )
    ax.set_xlabel("Re λ")
    ax.set_ylabel("Im λ")
    ax.set_title(
        f"Jacobian at the equilibrium (|F| = {result.residual:.1e}); "
        f"rightmost {result.rightmost:.4g}",
        fontsize=10,
    )
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def network_figures() -> dict[str, Callable[[Any], Any]]:
    """Figures of a trained network (functions of the network)."""
    return {"training_curve": training_curve, "timescales": timescales}


def spectrum_figures() -> dict[str, Callable[[Any], Any]]:
    """Figures of an equilibrium's spectrum (functions of the analysis)."""
    return {"eigenvalues": eigenvalues}
