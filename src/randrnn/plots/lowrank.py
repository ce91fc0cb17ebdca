"""Figures of ``randrnn lowrank``: latent mean-field theory against full low-rank networks.

The theory is the mean-field latent dynamics :math:`\\dot\\kappa = F(\\kappa)` of a
Gaussian-mixture low-rank network (Beiran, Dubreuil, Valente, Mastrogiuseppe & Ostojic,
arXiv:2007.02062; docs/theory.md section 7.1); the networks are sampled from the same mixture
and their state is projected on the latent space.

- :func:`flow_figure` -- a rank-two example: flow of the theory's field, its nullclines, fixed
  points, limit cycle or ring, and the projected trajectories of a full network over the
  theory's trajectories from the same starts.
- :func:`field_figure` -- a rank-one example: :math:`F(\\kappa)` with its fixed points, and
  :math:`\\kappa(t)` of a full network against the theory.
- :func:`agreement_figure` -- the z-score of every compared quantity, grouped by example.
- :func:`figures` -- name -> figure function of a
  :class:`~randrnn.experiments.lowrank.LowRankResult`.
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Circle
from matplotlib.ticker import NullLocator

from randrnn.lowrank import MixtureLatentDynamics
from randrnn.nonlinearities import nonlinearity

#: marker style of a theory fixed point by stability: filled, open, diamond
_POINT_STYLE: dict[str, dict[str, Any]] = {
    "stable": {"marker": "o", "facecolors": "k", "edgecolors": "k"},
    "unstable": {"marker": "o", "facecolors": "white", "edgecolors": "k"},
    "marginal": {"marker": "D", "facecolors": "C1", "edgecolors": "k"},
}

#: z values labelled on the agreement figure's axis
_Z_TICKS = (-1000, -300, -100, -30, -10, -3, 0, 3, 10, 30, 100, 300, 1000)

#: grid points per axis of the field drawn in a flow figure
GRID = 41


def latent_dynamics(comparison: Any) -> MixtureLatentDynamics:
    """The mean-field latent dynamics of a comparison's example and nonlinearity."""
    ex = comparison.example
    return MixtureLatentDynamics(mixture=ex.mixture, rank=ex.rank, phi=nonlinearity(comparison.phi))


def _finite(*arrays: Any, rank: int) -> Any:
    parts = [np.asarray(a, dtype=float).reshape(-1, rank) for a in arrays if a is not None]
    pts = np.concatenate(parts, axis=0) if parts else np.zeros((0, rank))
    return pts[np.all(np.isfinite(pts), axis=1)]


def _extent(comparison: Any) -> tuple[Any, Any]:
    """Lower and upper corner of the latent region that holds everything drawn, padded."""
    c = comparison
    R = c.example.rank
    orbit = None if c.cycle is None else c.cycle.orbit
    pts = _finite(
        c.theory.points,
        orbit,
        c.network_points,
        c.trajectories["theory"],
        c.trajectories["network"],
        np.asarray(c.example.starts, dtype=float),
        rank=R,
    )
    if math.isfinite(c.ring_radius):
        pts = np.concatenate([pts, np.full((1, R), c.ring_radius), np.full((1, R), -c.ring_radius)])
    if pts.size == 0:
        return -np.ones(R), np.ones(R)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = max(float(np.max(hi - lo)), 0.5)
    mid = 0.5 * (lo + hi)
    half = 0.5 * span * 1.25
    return mid - half, mid + half


def _theory_points(
    ax: Any, points: Any, stability: Any, *, y: Any = None, size: float = 60
) -> None:
    for lab, style in _POINT_STYLE.items():
        sel = np.asarray(stability) == lab
        if not np.any(sel):
            continue
        p = np.asarray(points)[sel]
        yy = p[:, 1] if y is None else np.broadcast_to(y, p[:, 0].shape)
        ax.scatter(p[:, 0], yy, s=size, linewidths=1.2, zorder=5, label=f"theory: {lab}", **style)


def _title(comparison: Any) -> str:
    c = comparison
    S = c.network_points.shape[0]
    return (
        f"{c.example.name} ({c.phi}): {c.example.description}\n"
        f"theory (mean field) vs full networks, n = {c.n}, {S} realizations"
    )


def flow_figure(comparison: Any, *, grid: int = GRID, density: float = 1.0) -> Any:
    """Latent flow of a rank-two example, theory against a full network.

    Draws the mean-field field :math:`F(\\kappa)` (stream lines, shaded by speed) and its
    nullclines :math:`F_1 = 0`, :math:`F_2 = 0`; the theory's fixed points (filled: stable, open:
    unstable, diamond: marginal), its limit cycle or ring of fixed points; the projected
    trajectories of one full network (solid) over the theory's trajectories from the same starts
    (dashed); and the network fixed points matched to the theory's, of every realization (small
    dots).

    Parameters
    ----------
    comparison : randrnn.experiments.lowrank.ExampleComparison
        A rank-two comparison.
    grid : int
        Grid points per axis of the drawn field.
    density : float
        Density of the stream lines (``matplotlib.pyplot.streamplot``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    c = comparison
    if c.example.rank != 2:
        raise ValueError(
            f"`comparison` must be of a rank-two example for a flow figure; {c.label} has rank "
            f"{c.example.rank} (use field_figure for rank one)."
        )
    lo, hi = _extent(c)
    xs = np.linspace(lo[0], hi[0], grid)
    ys = np.linspace(lo[1], hi[1], grid)
    X, Y = np.meshgrid(xs, ys)
    F = latent_dynamics(c).field(np.stack([X, Y], axis=-1))
    U, V = F[..., 0], F[..., 1]
    speed = np.hypot(U, V)

    fig, ax = plt.subplots(figsize=(6.8, 6.2))
    ax.streamplot(
        xs, ys, U, V, color=speed, cmap="Greys", density=density, linewidth=0.6, arrowsize=0.8
    )
    ax.contour(X, Y, U, levels=[0.0], colors="C0", linewidths=1.3)
    ax.contour(X, Y, V, levels=[0.0], colors="C1", linewidths=1.3)
    handles: list[Any] = [
        Line2D([], [], color="C0", lw=1.3, label="nullcline $F_1 = 0$"),
        Line2D([], [], color="C1", lw=1.3, label="nullcline $F_2 = 0$"),
    ]
    if c.cycle is not None:
        orb = np.vstack([c.cycle.orbit, c.cycle.orbit[:1]])
        ax.plot(orb[:, 0], orb[:, 1], color="C4", lw=2.5, alpha=0.8, zorder=3)
        handles.append(
            Line2D([], [], color="C4", lw=2.5, label=f"theory cycle, T = {c.cycle.period:.3g}")
        )
    if math.isfinite(c.ring_radius):
        ax.add_patch(
            Circle((0.0, 0.0), c.ring_radius, fill=False, color="C4", lw=2.5, alpha=0.8, zorder=3)
        )
        handles.append(
            Line2D([], [], color="C4", lw=2.5, label=f"theory ring, r = {c.ring_radius:.3g}")
        )
    tn, tt = c.trajectories["network"], c.trajectories["theory"]
    colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.9, max(tn.shape[1], 1)))
    for b in range(tn.shape[1]):
        ax.plot(tn[:, b, 0], tn[:, b, 1], color=colors[b], lw=1.0, alpha=0.9, zorder=4)
        ax.plot(tt[:, b, 0], tt[:, b, 1], color=colors[b], lw=1.0, ls="--", zorder=4)
        ax.plot(tn[0, b, 0], tn[0, b, 1], marker="x", color=colors[b], ms=5, zorder=4)
    handles += [
        Line2D([], [], color="0.3", lw=1.0, label="network (realization 0)"),
        Line2D([], [], color="0.3", lw=1.0, ls="--", label="theory, same starts"),
    ]
    _theory_points(ax, c.theory.points, c.theory.stability)
    handles += [
        Line2D(
            [],
            [],
            ls="",
            marker=st["marker"],
            markerfacecolor=st["facecolors"],
            markeredgecolor=st["edgecolors"],
            label=f"theory {lab} point",
        )
        for lab, st in _POINT_STYLE.items()
        if np.any(np.asarray(c.theory.stability) == lab)
    ]
    net = c.network_points.reshape(-1, 2)
    net = net[np.all(np.isfinite(net), axis=1)]
    if net.size:
        ax.scatter(net[:, 0], net[:, 1], s=9, c="C3", zorder=6)
        handles.append(
            Line2D([], [], ls="", marker="o", ms=3, color="C3", label="network fixed points")
        )
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal")
    ax.set_xlabel(r"$\kappa_1$")
    ax.set_ylabel(r"$\kappa_2$")
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    ax.set_title(_title(c), fontsize=9)
    fig.tight_layout()
    return fig


def field_figure(comparison: Any, *, grid: int = 400) -> Any:
    """Rank-one example: :math:`F(\\kappa)` and :math:`\\kappa(t)`, theory against networks.

    Left: the mean-field field :math:`F(\\kappa)` with its zeros, the theory's fixed points
    (filled: stable, open: unstable, diamond: marginal) and the matched network fixed points of
    every realization (small dots, on the zero line). Right: :math:`\\kappa(t)` of one full
    network (solid) and of the theory from the same starts (dashed), with the theory's fixed
    points as horizontal lines.

    Parameters
    ----------
    comparison : randrnn.experiments.lowrank.ExampleComparison
        A rank-one comparison.
    grid : int
        Points of the drawn field.

    Returns
    -------
    matplotlib.figure.Figure
    """
    c = comparison
    if c.example.rank != 1:
        raise ValueError(
            f"`comparison` must be of a rank-one example for a field figure; {c.label} has rank "
            f"{c.example.rank} (use flow_figure for rank two)."
        )
    lo, hi = _extent(c)
    k = np.linspace(lo[0], hi[0], grid)
    F = latent_dynamics(c).field(k[:, None])[:, 0]
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(11.0, 4.2))
    a0.plot(k, F, color="C0", lw=1.5, label=r"theory $F(\kappa)$")
    a0.axhline(0.0, color="0.5", lw=0.8)
    _theory_points(a0, c.theory.points, c.theory.stability, y=0.0)
    net = c.network_points.reshape(-1)
    net = net[np.isfinite(net)]
    if net.size:
        a0.scatter(net, np.zeros_like(net), s=12, c="C3", zorder=6, label="network fixed points")
    a0.set_xlim(lo[0], hi[0])
    a0.set_xlabel(r"$\kappa$")
    a0.set_ylabel(r"$F(\kappa) = \dot\kappa$")
    a0.legend(fontsize=7, loc="best")

    t, tn, tt = c.trajectories["t"], c.trajectories["network"], c.trajectories["theory"]
    colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.9, max(tn.shape[1], 1)))
    for p, st in zip(c.theory.points[:, 0], c.theory.stability, strict=True):
        a1.axhline(p, color="k", lw=0.7, ls="-" if st == "stable" else ":")
    for b in range(tn.shape[1]):
        a1.plot(t, tn[:, b, 0], color=colors[b], lw=1.0)
        a1.plot(t, tt[:, b, 0], color=colors[b], lw=1.0, ls="--")
    a1.legend(
        handles=[
            Line2D([], [], color="0.3", lw=1.0, label="network (realization 0)"),
            Line2D([], [], color="0.3", lw=1.0, ls="--", label="theory, same starts"),
            Line2D([], [], color="k", lw=0.7, label="theory stable point"),
            Line2D([], [], color="k", lw=0.7, ls=":", label="theory unstable point"),
        ],
        fontsize=7,
        loc="best",
    )
    a1.set_ylim(lo[0], hi[0])
    a1.set_xlabel("t")
    a1.set_ylabel(r"$\kappa(t)$")
    fig.suptitle(_title(c), fontsize=9)
    fig.tight_layout()
    return fig


def agreement_figure(result: Any) -> Any:
    """The z-score of every compared quantity, grouped by example, with the ``|z| <= 3`` band.

    ``z = (mean - theory) / SE`` over realizations (from each comparison's table). The axis is
    linear inside ``|z| <= 3`` and logarithmic outside; an infinite z (zero spread, different
    value) is drawn at the edge (triangle), a quantity without a z (fewer than two realizations
    measured it) as a grey cross at zero, a quantity every realization reproduces exactly (a
    symmetry; not counted) as a light grey diamond at zero.

    Parameters
    ----------
    result : randrnn.experiments.lowrank.LowRankResult

    Returns
    -------
    matplotlib.figure.Figure
    """
    comps = list(result.comparisons)
    m = sum(len(c.table) for c in comps)
    fig, ax = plt.subplots(figsize=(min(5.0 + 0.09 * m, 22.0), 4.6))
    ax.axhspan(-3.0, 3.0, color="C2", alpha=0.12, lw=0)
    ax.axhline(0.0, color="0.5", lw=0.6)
    zs = [float(r["z"]) for c in comps for r in c.table]
    finite = [abs(z) for z in zs if math.isfinite(z)]
    top = max([10.0, *finite]) * 1.5
    x0 = 0
    counts = {"agree": 0, "disagree": 0, "inf": 0, "none": 0, "exact": 0}
    for i, c in enumerate(comps):
        x = np.arange(x0, x0 + len(c.table))
        z = np.array([float(r["z"]) for r in c.table])
        ok = np.array([bool(r["agree"]) for r in c.table], dtype=bool)
        exact = np.array([bool(r.get("exact", False)) for r in c.table], dtype=bool)
        fin, inf, nan = np.isfinite(z) & ~exact, np.isinf(z) & ~exact, np.isnan(z) & ~exact
        ax.scatter(x[exact], np.zeros(int(exact.sum())), s=16, marker="D", c="0.7", zorder=3)
        ax.scatter(x[fin & ok], z[fin & ok], s=16, c="C2", zorder=4)
        ax.scatter(x[fin & ~ok], z[fin & ~ok], s=16, c="C3", zorder=4)
        ax.scatter(x[inf], np.sign(z[inf]) * top, s=24, marker="^", c="C3", zorder=4)
        ax.scatter(x[nan], np.zeros(int(nan.sum())), s=20, marker="x", c="0.55", zorder=4)
        counts["agree"] += int(np.sum(fin & ok))
        counts["disagree"] += int(np.sum(fin & ~ok))
        counts["inf"] += int(inf.sum())
        counts["none"] += int(nan.sum())
        counts["exact"] += int(exact.sum())
        if i:
            ax.axvline(x0 - 0.5, color="0.75", lw=0.8)
        narrow = len(c.table) < 0.12 * max(m, 1) or len(c.table) < 6
        ax.text(
            x0 + 0.5 * (len(c.table) - 1),
            1.01,
            f"{c.example.name} ({c.phi})" if narrow else f"{c.example.name}\n({c.phi})",
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=7,
            rotation=90 if narrow else 0,
        )
        x0 += len(c.table)
    ax.set_yscale("symlog", linthresh=3.0)
    ax.set_ylim(-top * 1.3, top * 1.3)
    ticks = [t for t in _Z_TICKS if abs(t) <= top]
    ax.set_yticks(ticks, labels=[f"{t:g}" for t in ticks])
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlim(-1, max(m, 1))
    ax.set_xticks([])
    ax.set_xlabel("compared quantity (see the tables of the report)")
    ax.set_ylabel("z = (network mean - theory) / SE")
    keys = [
        ("agree", "o", "C2", "|z| <= 3"),
        ("disagree", "o", "C3", "|z| > 3"),
        ("inf", "^", "C3", "infinite z"),
        ("none", "x", "0.55", "no z: < 2 realizations"),
        ("exact", "D", "0.7", "exact by symmetry, not counted"),
    ]
    ax.legend(
        handles=[
            Line2D([], [], ls="", marker=mk, color=col, label=f"{text} ({counts[key]})")
            for key, mk, col, text in keys
            if counts[key] or key in ("agree", "disagree")
        ],
        fontsize=7,
        loc="upper left",
        bbox_to_anchor=(1.005, 1.0),
    )
    fig.tight_layout()
    return fig


def approximation_field_figure(result: Any) -> Any:
    """Target flow vs the fitted mixture's field (largest P), with their limit cycles.

    Left: stream lines of the target with its cycle; middle: the mixture's latent field with
    its own cycle and the target's (dashed); right: the relative field error on the grid.
    """
    ap = result.approximation
    fit = ap.best
    (x0, x1), (y0, y1) = fit.target.domain
    xs, ys = np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID)
    X, Y = np.meshgrid(xs, ys)
    K = np.stack([X, Y], axis=-1)
    Ft = np.asarray(fit.target.field(K))
    Fm = fit.dynamics().field(K, fit.v)
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.4), constrained_layout=True)
    tc, mc = fit.target_cycle, fit.mixture_cycle
    for ax, F, title in (
        (axes[0], Ft, "target"),
        (axes[1], Fm, f"mixture, P = {fit.n_components}"),
    ):
        ax.streamplot(xs, ys, F[..., 0], F[..., 1], color="0.6", density=1.1, linewidth=0.7)
        if tc is not None:
            ax.plot(*np.vstack([tc.orbit, tc.orbit[:1]]).T, "k--", lw=1.5, label="target cycle")
        if mc is not None and title != "target":
            ax.plot(*np.vstack([mc.orbit, mc.orbit[:1]]).T, "C0", lw=2, label="mixture cycle")
        ax.set(
            xlim=(x0, x1), ylim=(y0, y1), xlabel=r"$\kappa_1$", ylabel=r"$\kappa_2$", title=title
        )
        ax.legend(loc="lower right", fontsize=8)
    rms = float(np.sqrt(np.mean(np.sum(Ft**2, axis=-1))))
    err = np.linalg.norm(Fm - Ft, axis=-1) / rms
    im = axes[2].pcolormesh(xs, ys, err, shading="auto", cmap="magma")
    fig.colorbar(im, ax=axes[2], label="|F - f| / rms |f|")
    if tc is not None:
        axes[2].plot(*np.vstack([tc.orbit, tc.orbit[:1]]).T, "w--", lw=1.2)
    axes[2].set(
        xlabel=r"$\kappa_1$",
        ylabel=r"$\kappa_2$",
        title=f"field error (rms {fit.field_error:.3f} on the fit grid)",
    )
    return fig


def approximation_cycles_figure(result: Any) -> Any:
    """Field error and period vs P; the sampled networks' cycles against the target's."""
    ap = result.approximation
    rows = ap.rows()
    P = [r["components"] for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), constrained_layout=True)
    axes[0].plot(P, [r["field_error"] for r in rows], "o-", label="fit grid")
    axes[0].plot(P, [r["heldout_error"] for r in rows], "s--", label="held out")
    axes[0].plot(
        P,
        [r["predicted_network_error"] for r in rows],
        "^:",
        label=f"network, n = {ap.settings.n} (predicted)",
    )
    axes[0].set(xlabel="components P", ylabel="relative rms field error", xscale="log")
    axes[0].legend(fontsize=8)
    tc = ap.best.target_cycle
    if tc is not None:
        axes[1].axhline(tc.period, color="k", ls="--", label="target")
        axes[1].axhspan(0.95 * tc.period, 1.05 * tc.period, color="0.9", label="±5 %")
    axes[1].plot(
        P,
        [np.nan if r["mixture_period"] is None else r["mixture_period"] for r in rows],
        "o-",
        label="mixture (n → ∞)",
    )
    last = (
        rows[-1] if rows[-1]["components"] == max(P) else max(rows, key=lambda r: r["components"])
    )
    if "network_period" in last:
        axes[1].errorbar(
            [last["components"]],
            [last["network_period"]],
            yerr=[last["network_period_se"]],
            fmt="s",
            color="C3",
            capsize=3,
            label=f"networks, n = {ap.settings.n} (mean ± SE)",
        )
    axes[1].set(xlabel="components P", ylabel="period", xscale="log")
    axes[1].legend(fontsize=8)
    ax = axes[2]
    if tc is not None:
        ax.plot(*np.vstack([tc.orbit, tc.orbit[:1]]).T, "k--", lw=2, label="target")
    for i, orb in enumerate(ap.network.orbit):
        if np.all(np.isfinite(orb)):
            ax.plot(
                *np.vstack([orb, orb[:1]]).T,
                color="C3",
                alpha=0.6,
                lw=1,
                label="sampled networks" if i == 0 else None,
            )
    ax.set(
        xlabel=r"$\kappa_1$",
        ylabel=r"$\kappa_2$",
        aspect="equal",
        title=f"P = {ap.best.n_components}, n = {ap.settings.n}",
    )
    ax.legend(fontsize=8)
    return fig


def figure_name(comparison: Any) -> str:
    """File name (no suffix) of a comparison's figure (``ExampleComparison.figure_name``)."""
    return str(comparison.figure_name)


def figures(result: Any) -> dict[str, Any]:
    """Name -> figure function of a low-rank result.

    One figure per comparison of rank one (:func:`field_figure`) or two (:func:`flow_figure`),
    named by :func:`figure_name`, and ``agreement`` (:func:`agreement_figure`); with the
    approximation study, ``approximation_field`` and ``approximation_cycles``. Comparisons of
    higher rank get no figure of their own.
    """
    out: dict[str, Any] = {}
    for i, c in enumerate(result.comparisons):
        name = figure_name(c)
        if not name:
            continue
        fn = flow_figure if c.example.rank == 2 else field_figure
        out[name] = lambda r, i=i, fn=fn: fn(r.comparisons[i])
    out["agreement"] = agreement_figure
    if getattr(result, "approximation", None) is not None:
        out["approximation_field"] = approximation_field_figure
        out["approximation_cycles"] = approximation_cycles_figure
    return out
