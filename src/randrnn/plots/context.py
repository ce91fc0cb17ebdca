r"""Figure of the context experiment: activations vs activities across two contexts.

:func:`context_figure` draws a :class:`~randrnn.experiments.context.ContextResult` in four
panels: the gains :math:`\phi'(x^*)` that the context moves, the input vectors (:math:`b_x`
fixed, :math:`b_r = D b_x` modulated), the selection vectors of the slowest mode
(:math:`l_x = D l_r` modulated) and the mode drives :math:`|l^T b|` (equal in both coordinates,
switched by the context). Pagan, Valente, Ostojic & Brody, arXiv:2309.04030; docs/theory.md
section 6.3.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

#: colours of the two populations and of the two coordinate systems
_POP_COLORS = ("C0", "C3")
_X_COLOR, _R_COLOR = "0.35", "C2"


def _identity(ax: Any, *arrays: Any) -> None:
    """Draw the identity line over the range of ``arrays``."""
    v = np.concatenate([np.ravel(a) for a in arrays])
    lo, hi = float(v.min()), float(v.max())
    pad = 0.05 * (hi - lo if hi > lo else 1.0)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="k", lw=0.8, ls=":", zorder=0)


def _unit(v: Any) -> Any:
    """Real part of ``v`` scaled to norm ``sqrt(n)`` (entries of order 1)."""
    v = np.real(np.asarray(v))
    nrm = float(np.linalg.norm(v))
    return v * (np.sqrt(v.size) / nrm) if nrm > 0 else v


def plot_gains(result: Any, *, ax: Any = None) -> Any:
    """Gains :math:`\\phi'(x^*)` of every unit in context 2 against context 1, by population."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4))
    g0, g1 = (lin.gain for lin in result.linearizations)
    pop = np.asarray(result.population)
    for p, col in enumerate(_POP_COLORS):
        k = pop == p
        ax.scatter(g0[k], g1[k], s=6, c=col, lw=0, alpha=0.7, label=f"population {p + 1}")
    _identity(ax, g0, g1)
    ax.set_xlabel(r"gain $\phi'(x^*)$, context 1")
    ax.set_ylabel(r"gain $\phi'(x^*)$, context 2")
    ax.set_title("context moves the operating point: $D$ changes")
    ax.legend(fontsize=8, loc="center right")
    return ax


def plot_input_vectors(result: Any, *, sensory: int = 0, ax: Any = None) -> Any:
    """Input vector of one sensory input, context 2 against context 1, in both coordinates."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4))
    L0, L1 = result.linearizations
    bx0, bx1 = L0.b_x[:, sensory], L1.b_x[:, sensory]
    br0, br1 = L0.b_r[:, sensory], L1.b_r[:, sensory]
    ax.scatter(bx0, bx1, s=10, c=_X_COLOR, lw=0, alpha=0.6, label=r"$b_x = T^{-1}B$")
    pop = np.asarray(result.population)
    for p, col in enumerate(_POP_COLORS):
        k = pop == p
        ax.scatter(
            br0[k], br1[k], s=8, c=col, marker="^", lw=0, alpha=0.8,
            label=rf"$b_r = D\,b_x$ (population {p + 1})",
        )  # fmt: skip
    _identity(ax, bx0, bx1)
    ax.set_xlabel(f"input vector of sensory {sensory + 1}, context 1")
    ax.set_ylabel(f"input vector of sensory {sensory + 1}, context 2")
    ax.set_title(
        rf"inputs: cos $b_x$ = {result.cos_b_x[sensory]:.3f}, "
        rf"cos $b_r$ = {result.cos_b_r[sensory]:.3f}"
    )
    ax.legend(fontsize=7, loc="upper left")
    return ax


def plot_selection_vectors(result: Any, *, mode: int = 0, ax: Any = None) -> Any:
    """Selection vector of a slow mode, context 2 against context 1, in both coordinates.

    Each vector is scaled to norm :math:`\\sqrt n` (their natural scales differ by ``D``).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4))
    lx0, lx1 = _unit(result.left_x[0, :, mode]), _unit(result.left_x[1, :, mode])
    lr0, lr1 = _unit(result.left_r[0, :, mode]), _unit(result.left_r[1, :, mode])
    ax.scatter(lx0, lx1, s=10, c=_X_COLOR, lw=0, alpha=0.6, label=r"$l_x = D\,l_r$")
    ax.scatter(lr0, lr1, s=8, c=_R_COLOR, marker="^", lw=0, alpha=0.7, label=r"$l_r$")
    _identity(ax, lx0, lx1, lr0, lr1)
    ax.set_xlabel("selection vector (unit scale), context 1")
    ax.set_ylabel("selection vector (unit scale), context 2")
    ax.set_title(
        rf"slowest mode: cos $l_x$ = {result.cos_left_x[mode]:.3f}, "
        rf"cos $l_r$ = {result.cos_left_r[mode]:.3f}"
    )
    ax.legend(fontsize=8, loc="upper left")
    return ax


def plot_drives(result: Any, *, mode: int = 0, ax: Any = None) -> Any:
    r"""Bars of :math:`|l^T b|` of a slow mode per context and sensory input, both coordinates."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4))
    dx = np.abs(result.drive_x[:, mode, :])  # (context, input)
    dr = np.abs(result.drive_r[:, mode, :])
    labels, xs = [], []
    w = 0.38
    for c in range(2):
        for k in range(2):
            i = 2 * c + k + 0.5 * c
            xs.append(i)
            labels.append(f"ctx {c + 1}\nsens {k + 1}")
            col = _POP_COLORS[k]
            ax.bar(i - w / 2, dx[c, k], w, color=col, alpha=0.9)
            ax.bar(i + w / 2, dr[c, k], w, color=col, alpha=0.45, hatch="//")
    handles = [
        Patch(facecolor="0.5", alpha=0.9, label=r"activations $|l_x^T b_x|$"),
        Patch(facecolor="0.5", alpha=0.45, hatch="//", label=r"activities $|l_r^T b_r|$"),
    ]
    ax.set_xticks(xs)
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_ylabel("drive of the slowest mode")
    lam = result.eigenvalues[:, mode]
    ax.set_title(
        rf"drives agree (rel. diff $\leq$ {float(np.max(result.drive_agreement)):.0e}); "
        rf"$\lambda$ = {lam[0].real:.2f}, {lam[1].real:.2f}",
        fontsize=9,
    )
    ax.legend(handles=handles, fontsize=8, loc="upper center")
    return ax


def context_figure(result: Any, *, mode: int = 0, sensory: int = 0) -> Any:
    """The four panels of a :class:`~randrnn.experiments.context.ContextResult`.

    Parameters
    ----------
    result : ContextResult
        The experiment (:func:`randrnn.experiments.context.run_context`).
    mode : int
        Which reported slow mode to draw (0: the slowest).
    sensory : int
        Which sensory input's vectors to draw (0 or 1).

    Returns
    -------
    matplotlib.figure.Figure
    """
    K = result.eigenvalues.shape[1]
    if not 0 <= mode < K:
        raise ValueError(f"`mode` must be in 0..{K - 1} (the reported slow modes); got {mode!r}.")
    if sensory not in (0, 1):
        raise ValueError(f"`sensory` must be 0 or 1; got {sensory!r}.")
    fig, axes = plt.subplots(2, 2, figsize=(10, 9), layout="constrained")
    plot_gains(result, ax=axes[0, 0])
    plot_input_vectors(result, sensory=sensory, ax=axes[0, 1])
    plot_selection_vectors(result, mode=mode, ax=axes[1, 0])
    plot_drives(result, mode=mode, ax=axes[1, 1])
    fig.suptitle(
        r"Context changes the input vectors in activity coordinates ($b_r = D\,b_x$) and the "
        "selection vectors in activation coordinates ($l_x = D\\,l_r$);\n"
        "$b_x$ stays fixed, and the mode drives $l^T b$ agree in both coordinates",
        fontsize=10,
    )
    return fig
