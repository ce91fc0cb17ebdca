"""Figures of a ``randrnn run`` result and of a scaling sweep.

Each run figure takes a :class:`~randrnn.experiments.RunResult` and returns a matplotlib Figure;
:func:`scaling` takes a :class:`~randrnn.sweeps.ScalingResult`. :data:`ALL` names the run
figures in the order of the report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np

if TYPE_CHECKING:
    from randrnn.experiments import RunResult
    from randrnn.sweeps import ScalingResult

_PRED, _SIM, _NAIVE = "#1f77b4", "#222222", "#d62728"


def _fmt(v: float, spec: str = ".3f") -> str:
    return format(v, spec) if np.isfinite(v) else "undefined"


def autocovariance(result: RunResult) -> plt.Figure:
    """DMFT Delta(t) and C(t) against the simulated population autocovariances (+-2 SE).

    Top: raw autocovariances against the ensemble DMFT. Bottom (when predicted): centred on
    each unit's mean, the ensemble DMFT's dynamic part against this realization's own
    prediction :math:`\frac1N\\mathrm{tr}\\,C(t)` from the linear-equivalent network.
    """
    ac = result.autocovariance
    lagged = result.lagged
    rows = 2 if ac.x_realization is not None and lagged is not None else 1
    fig, axes = plt.subplots(rows, 2, figsize=(10, 3.6 * rows), squeeze=False)
    d = result.dmft
    panels: list[tuple[Any, Any, Any, str, Any]] = [
        (axes[0, 0], d.delta, ac.x, r"$\Delta(t)$ (preactivations $x$), raw", None),
        (axes[0, 1], d.c, ac.phi, r"$C(t)$ (activities $\phi$), raw", None),
    ]
    if rows == 2:
        assert lagged is not None
        panels += [
            (
                axes[1, 0],
                d.delta - d.delta_inf,
                ac.x_realization,
                r"$x$, centred on each unit's mean",
                lagged.trace_x,
            ),
            (
                axes[1, 1],
                d.c - d.c_inf,
                ac.phi_realization,
                r"$\phi$, centred on each unit's mean",
                lagged.trace_phi,
            ),
        ]
    for ax, th, comp, name, real in panels:
        lag = comp.lags
        m = d.lags <= lag.max()
        ax.plot(d.lags[m], th[m], color=_PRED, lw=2, label="DMFT (ensemble)")
        if real is not None:
            ax.plot(
                lagged.lags,  # type: ignore[union-attr]
                real,
                color="k",
                lw=1.5,
                ls="--",
                label=f"this realization (max|z| {_fmt(comp.max_abs_z, '.1f')})",
            )
        own = ac.x_self_consistent
        if real is not None and own is not None and comp is ac.x_realization:
            ax.plot(
                own.lags,
                own.predicted,
                color="tab:green",
                lw=1.2,
                ls=":",
                label=f"own order parameters (max|z| {_fmt(own.max_abs_z, '.1f')})",
            )
        y, e = comp.simulated, comp.se
        ax.fill_between(lag, y - 2 * e, y + 2 * e, color=_SIM, alpha=0.2, lw=0)
        ax.plot(lag, y, "o", ms=2.5, color=_SIM, label="simulation (±2 SE)")
        ax.set_xlabel("lag t (units of τ)")
        ax.set_title(name)
        ax.axhline(0, color="0.7", lw=0.8)
        ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def _subset(n: int, k: int = 120) -> np.ndarray:
    return np.arange(min(n, k))


def _simulated(result: RunResult, var: str) -> np.ndarray:
    et = result.simulation.equal_time
    est = et.cov_phi if var == "phi" else et.cov_x
    assert est is not None
    return np.asarray(est.value)


def covariance_heatmaps(result: RunResult) -> plt.Figure:
    """Predicted, simulated and naive-closure activity covariances (first 120 units)."""
    idx = _subset(result.realization.n)
    mats = [
        (result.prediction.c_phi, "linear-equivalent prediction"),
        (_simulated(result, "phi"), "simulation"),
    ]
    if result.naive.prediction is not None:
        mats.append((result.naive.prediction.c_phi, "naive Gaussian closure"))
    fig, axes = plt.subplots(1, len(mats), figsize=(4.2 * len(mats), 4))
    ref = mats[1][0][np.ix_(idx, idx)]
    off = ref[~np.eye(len(idx), dtype=bool)]
    vmax = float(np.percentile(np.abs(off), 99)) if off.size else 0.0
    vmax = vmax or 1.0
    for ax, (mat, title) in zip(np.atleast_1d(axes), mats, strict=True):
        im = ax.imshow(
            mat[np.ix_(idx, idx)], cmap="RdBu_r", vmin=-vmax, vmax=vmax, interpolation="nearest"
        )
        ax.set_title(title)
        ax.set_xlabel("unit j")
        ax.set_ylabel("unit i")
    fig.colorbar(im, ax=axes, shrink=0.8, label=r"cov($\phi_i, \phi_j$) (diagonal off-scale)")
    return fig


def offdiag_scatter(result: RunResult) -> plt.Figure:
    """Off-diagonal entries, prediction (and naive closure) vs simulation, for phi and x."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
    n = result.realization.n
    mask = ~np.eye(n, dtype=bool)
    rng = np.random.default_rng(0)
    pick = rng.choice(mask.sum(), size=min(20000, int(mask.sum())), replace=False)
    p, naive = result.prediction, result.naive
    for ax, var, label in ((axes[0], "phi", r"$\phi$"), (axes[1], "x", "$x$")):
        sim = _simulated(result, var)[mask][pick]
        comp = getattr(result.covariance, var)
        naive_comp = getattr(naive, var)
        if naive.prediction is not None and naive_comp is not None:
            ax.plot(
                sim,
                getattr(naive.prediction, f"c_{var}")[mask][pick],
                ".",
                ms=1.5,
                color=_NAIVE,
                alpha=0.35,
                label=f"naive closure (r = {_fmt(naive_comp.offdiag_corr)})",
            )
        ax.plot(
            sim,
            getattr(p, f"c_{var}")[mask][pick],
            ".",
            ms=1.5,
            color=_PRED,
            alpha=0.35,
            label=f"linear-equivalent (r = {_fmt(comp.offdiag_corr)}; ceiling "
            f"{_fmt(comp.offdiag_corr_ceiling)})",
        )
        lim = float(np.percentile(np.abs(sim), 99.9)) or 1.0
        ax.plot([-lim, lim], [-lim, lim], color="0.5", lw=1)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-1.5 * lim, 1.5 * lim)
        ax.set_xlabel(f"simulated cov({label}$_i$, {label}$_j$)")
        ax.set_ylabel("predicted")
        ax.legend(frameon=False, loc="upper left", markerscale=6, fontsize=8)
        ax.set_title(f"off-diagonal covariances of {label}")
    fig.tight_layout()
    return fig


def spectra(result: RunResult) -> plt.Figure:
    """Eigenvalues of predicted, simulated and naive covariances (rank plot)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, var, label in ((axes[0], "phi", r"$C_\phi$"), (axes[1], "x", "$C_x$")):
        comp = getattr(result.covariance, var)
        rank = np.arange(1, len(comp.eig_sim) + 1)
        curves = [(comp.eig_sim, _SIM, "-", "simulation"), (comp.eig_pred, _PRED, "--", "pred")]
        naive_comp = getattr(result.naive, var)
        if naive_comp is not None:
            curves.append((naive_comp.eig_pred, _NAIVE, ":", "naive closure"))
        for eig, color, ls, name in curves:
            label_ = "linear-equivalent" if name == "pred" else name
            ax.loglog(rank, np.clip(eig, 1e-12, None), color=color, ls=ls, lw=2, label=label_)
        ax.set_title(
            f"spectrum of {label}: PR pred {_fmt(comp.pr_pred, '.1f')}, "
            f"sim {_fmt(comp.pr_sim_unbiased, '.1f')}"
        )
        ax.set_xlabel("rank")
        ax.set_ylabel("eigenvalue")
        ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def naive_vs_correct(result: RunResult) -> plt.Figure:
    """Bar chart: agreement metrics of the linear-equivalent prediction and the naive closure."""
    c, naive = result.covariance, result.naive
    nan = float("nan")
    metrics = [
        ("off-diag corr (φ)", c.phi.offdiag_corr, naive.phi.offdiag_corr if naive.phi else nan),
        ("off-diag corr (x)", c.x.offdiag_corr, naive.x.offdiag_corr if naive.x else nan),
        (
            "rel. Frobenius err (φ)",
            c.phi.rel_frobenius,
            naive.phi.rel_frobenius if naive.phi else nan,
        ),
        ("rel. Frobenius err (x)", c.x.rel_frobenius, naive.x.rel_frobenius if naive.x else nan),
    ]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    xs = np.arange(len(metrics))
    ax.bar(xs - 0.2, [m[1] for m in metrics], 0.4, color=_PRED, label="linear-equivalent")
    ax.bar(xs + 0.2, [m[2] for m in metrics], 0.4, color=_NAIVE, label="naive Gaussian closure")
    if np.isfinite(c.phi.offdiag_corr_ceiling):
        ax.hlines(
            c.phi.offdiag_corr_ceiling,
            -0.45,
            0.05,
            color=_SIM,
            ls="--",
            label="split-half ceiling (φ)",
        )
    ax.set_xticks(xs, [m[0] for m in metrics], fontsize=8)
    ax.legend(frameon=False, fontsize=8)
    title = "linear-equivalent prediction vs naive closure, against the same simulation"
    if naive.phi is None:
        title = f"naive closure {naive.description}"[:90]
    ax.set_title(title)
    fig.tight_layout()
    return fig


def residuals(result: RunResult) -> plt.Figure:
    """Residual cross-covariances vs activity cross-covariances; Wick test."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    n = result.realization.n
    mask = ~np.eye(n, dtype=bool)
    cr = result.residuals.cov_r[mask]
    cp = _simulated(result, "phi")[mask]
    lim = float(np.percentile(np.abs(cp), 99.5)) or 1.0
    bins = np.linspace(-lim, lim, 121)
    axes[0].hist(cp, bins=bins, color=_SIM, alpha=0.5, label=r"cov($\phi_i, \phi_j$)")
    axes[0].hist(cr, bins=bins, color=_PRED, alpha=0.7, label=r"cov($r_i, r_j$)")
    axes[0].set_title(f"residuals: RMS ratio (bias-corrected) = {_fmt(result.residuals.rms_ratio)}")
    axes[0].set_yscale("log")
    axes[0].legend(frameon=False)
    axes[0].set_xlabel("off-diagonal covariance")
    est = result.simulation.equal_time.wick
    if est is not None and result.wick is not None:
        k, se, gp = est.kappa, est.kappa_se, est.gaussian_part
        axes[1].errorbar(gp, k, yerr=se, fmt=".", ms=2, color=_PRED, alpha=0.4, lw=0.5)
        finite = np.r_[gp, k]
        finite = finite[np.isfinite(finite)]
        lim2 = (float(np.percentile(np.abs(finite), 99.5)) if finite.size else 0.0) or 1.0
        axes[1].plot([-lim2, lim2], [-lim2, lim2], color="0.6", lw=1, label="y = x")
        axes[1].axhline(0, color=_SIM, lw=1)
        axes[1].set_xlabel("Gaussian (Wick) part of 4th moment, standardised")
        axes[1].set_ylabel("4th cross-cumulant κ4, standardised")
        w = result.wick
        axes[1].set_title(
            f"Wick test: RMS κ4 {_fmt(w.rms_kappa, '.2g')} (noise {_fmt(w.rms_kappa_noise, '.2g')})"
        )
        axes[1].legend(frameon=False)
    fig.tight_layout()
    return fig


#: the run figures, name -> function of a RunResult, in report order
ALL = {
    "autocovariance": autocovariance,
    "covariance_heatmaps": covariance_heatmaps,
    "offdiag_scatter": offdiag_scatter,
    "spectra": spectra,
    "naive_vs_correct": naive_vs_correct,
    "residuals": residuals,
}


def scaling(result: ScalingResult) -> plt.Figure:
    """Agreement and residual cross-covariances vs N (from :func:`randrnn.sweeps.run_scaling`)."""
    n = np.asarray(result.sizes, dtype=float)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    ax = axes[0]
    for var, color, label in (
        ("offdiag_corr", _PRED, "linear-equivalent"),
        ("offdiag_corr_ceiling", _SIM, "split-half ceiling"),
        ("naive_offdiag_corr", _NAIVE, "naive closure"),
    ):
        mean = result.mean(var)
        if not np.any(np.isfinite(mean)):
            continue
        ax.errorbar(n, mean, yerr=result.se(var), marker="o", color=color, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("N")
    ax.set_ylabel("off-diagonal correlation (φ)")
    ax.legend(frameon=False)
    ax = axes[1]
    for var, color, name, fit in (
        ("ms_offdiag_phi", _SIM, "activity", result.activity),
        ("ms_offdiag_r", _PRED, "residual", result.residual),
    ):
        rms = np.sqrt(np.clip(np.asarray(result.metrics[var]), 0, None))
        k = rms.shape[1]
        se = rms.std(1, ddof=1) / np.sqrt(k) if k > 1 else None
        ax.errorbar(
            n,
            rms.mean(1),
            yerr=se,
            marker="o",
            color=color,
            label=f"RMS off-diag cov, {name}: N^({_fmt(fit.exponent, '.2f')} ± "
            f"{_fmt(fit.exponent_se, '.2f')})",
        )
    r0 = np.sqrt(np.clip(result.mean("ms_offdiag_r")[0], 1e-30, None))
    p0 = np.sqrt(np.clip(result.mean("ms_offdiag_phi")[0], 1e-30, None))
    ax.loglog(n, r0 * (n / n[0]) ** -1.0, ":", color=_PRED, label="∝ 1/N")
    ax.loglog(n, p0 * (n / n[0]) ** -0.5, ":", color=_SIM, label="∝ 1/√N")
    ax.set_xlabel("N")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig
