"""Figures of a ``randrnn run`` result (from its Dataset, so saved runs can be re-plotted).

Each function takes the ``results.zarr`` Dataset and returns a matplotlib Figure.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np

_PRED, _SIM, _NAIVE = "#1f77b4", "#222222", "#d62728"


def autocovariance(ds: Any) -> plt.Figure:
    """DMFT Delta(t) and C(t) against the simulated population autocovariances (+-2 SE)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    lag = ds["lag"].values
    for ax, (th, sim, se, name) in zip(
        axes,
        (
            ("dmft_delta", "sim_acf_x_raw", "sim_acf_x_se", r"$\Delta(t)$ (preactivations $x$)"),
            ("dmft_c", "sim_acf_phi_raw", "sim_acf_phi_se", r"$C(t)$ (activities $\phi$)"),
        ),
        strict=True,
    ):
        m = ds["dmft_lag"].values <= lag.max()
        ax.plot(ds["dmft_lag"].values[m], ds[th].values[m], color=_PRED, lw=2, label="DMFT")
        y, e = ds[sim].values, ds[se].values
        ax.fill_between(lag, y - 2 * e, y + 2 * e, color=_SIM, alpha=0.2, lw=0)
        ax.plot(lag, y, "o", ms=2.5, color=_SIM, label="simulation (±2 SE)")
        ax.set_xlabel("lag t (units of τ)")
        ax.set_title(name)
        ax.axhline(0, color="0.7", lw=0.8)
        ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def _subset(n: int, k: int = 120) -> np.ndarray:
    return np.arange(min(n, k))


def covariance_heatmaps(ds: Any) -> plt.Figure:
    """Predicted, simulated and naive-closure activity covariances (first 120 units)."""
    idx = _subset(ds.sizes["neuron"])
    mats = [("c_phi_pred", "linear-equivalent prediction"), ("c_phi_sim", "simulation")]
    if "c_phi_naive" in ds:
        mats.append(("c_phi_naive", "naive Gaussian closure"))
    fig, axes = plt.subplots(1, len(mats), figsize=(4.2 * len(mats), 4))
    ref = ds["c_phi_sim"].values[np.ix_(idx, idx)]
    off = ref[~np.eye(len(idx), dtype=bool)]
    vmax = float(np.percentile(np.abs(off), 99)) or 1.0
    for ax, (name, title) in zip(np.atleast_1d(axes), mats, strict=True):
        im = ax.imshow(
            ds[name].values[np.ix_(idx, idx)],
            cmap="RdBu_r",
            vmin=-vmax,
            vmax=vmax,
            interpolation="nearest",
        )
        ax.set_title(title)
        ax.set_xlabel("unit j")
        ax.set_ylabel("unit i")
    fig.colorbar(im, ax=axes, shrink=0.8, label=r"cov($\phi_i, \phi_j$) (diagonal off-scale)")
    return fig


def offdiag_scatter(ds: Any) -> plt.Figure:
    """Off-diagonal entries, prediction (and naive closure) vs simulation, for phi and x."""
    s = ds.attrs.get("summary", {}).get("comparison", {})
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
    n = ds.sizes["neuron"]
    mask = ~np.eye(n, dtype=bool)
    rng = np.random.default_rng(0)
    pick = rng.choice(mask.sum(), size=min(20000, int(mask.sum())), replace=False)
    for ax, var, label in ((axes[0], "phi", r"$\phi$"), (axes[1], "x", "$x$")):
        sim = ds[f"c_{var}_sim"].values[mask][pick]
        if f"c_{var}_naive" in ds:
            naive = ds[f"c_{var}_naive"].values[mask][pick]
            key = "naive_offdiag_corr" if var == "phi" else "naive_x_offdiag_corr"
            ax.plot(
                sim,
                naive,
                ".",
                ms=1.5,
                color=_NAIVE,
                alpha=0.35,
                label=f"naive closure (r = {s.get(key, np.nan):.3f})",
            )
        pred = ds[f"c_{var}_pred"].values[mask][pick]
        key = "offdiag_corr" if var == "phi" else "x_offdiag_corr"
        ceil = "offdiag_corr_ceiling" if var == "phi" else "x_offdiag_corr_ceiling"
        ax.plot(
            sim,
            pred,
            ".",
            ms=1.5,
            color=_PRED,
            alpha=0.35,
            label=f"linear-equivalent (r = {s.get(key, np.nan):.3f}; ceiling "
            f"{s.get(ceil, np.nan):.3f})",
        )
        lim = float(np.percentile(np.abs(sim), 99.9))
        ax.plot([-lim, lim], [-lim, lim], color="0.5", lw=1)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-1.5 * lim, 1.5 * lim)
        ax.set_xlabel(f"simulated cov({label}$_i$, {label}$_j$)")
        ax.set_ylabel("predicted")
        ax.legend(frameon=False, loc="upper left", markerscale=6, fontsize=8)
        ax.set_title(f"off-diagonal covariances of {label}")
    fig.tight_layout()
    return fig


def spectra(ds: Any) -> plt.Figure:
    """Eigenvalues of predicted, simulated and naive covariances (rank plot)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    s = ds.attrs.get("summary", {}).get("comparison", {})
    for ax, var, label in ((axes[0], "phi", r"$C_\phi$"), (axes[1], "x", "$C_x$")):
        rank = ds["rank"].values
        ax.loglog(
            rank,
            np.clip(ds[f"spec_{var}_sim"].values, 1e-12, None),
            color=_SIM,
            lw=2,
            label="simulation",
        )
        ax.loglog(
            rank,
            np.clip(ds[f"spec_{var}_pred"].values, 1e-12, None),
            color=_PRED,
            ls="--",
            lw=2,
            label="linear-equivalent",
        )
        if f"spec_{var}_naive" in ds:
            ax.loglog(
                rank,
                np.clip(ds[f"spec_{var}_naive"].values, 1e-12, None),
                color=_NAIVE,
                ls=":",
                lw=2,
                label="naive closure",
            )
        pr_p = s.get("pr_pred" if var == "phi" else "x_pr_pred", np.nan)
        pr_s = s.get("pr_sim_unbiased" if var == "phi" else "x_pr_sim_unbiased", np.nan)
        ax.set_title(f"spectrum of {label}: PR pred {pr_p:.1f}, sim {pr_s:.1f}")
        ax.set_xlabel("rank")
        ax.set_ylabel("eigenvalue")
        ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def naive_vs_correct(ds: Any) -> plt.Figure:
    """Bar chart: agreement metrics of the linear-equivalent prediction and the naive closure."""
    s = ds.attrs.get("summary", {}).get("comparison", {})
    metrics = [
        ("off-diag corr (φ)", s.get("offdiag_corr"), s.get("naive_offdiag_corr")),
        ("off-diag corr (x)", s.get("x_offdiag_corr"), s.get("naive_x_offdiag_corr")),
        ("rel. Frobenius err (φ)", s.get("rel_frobenius"), s.get("naive_rel_frobenius")),
        ("rel. Frobenius err (x)", s.get("x_rel_frobenius"), s.get("naive_x_rel_frobenius")),
    ]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    xs = np.arange(len(metrics))
    good = [m[1] if m[1] is not None else np.nan for m in metrics]
    bad = [m[2] if m[2] is not None else np.nan for m in metrics]
    ax.bar(xs - 0.2, good, 0.4, color=_PRED, label="linear-equivalent")
    ax.bar(xs + 0.2, bad, 0.4, color=_NAIVE, label="naive Gaussian closure")
    ceil = s.get("offdiag_corr_ceiling")
    if ceil is not None:
        ax.hlines(ceil, -0.45, 0.05, color=_SIM, ls="--", label="split-half ceiling (φ)")
    ax.set_xticks(xs, [m[0] for m in metrics], fontsize=8)
    ax.legend(frameon=False, fontsize=8)
    ax.set_title("linear-equivalent prediction vs naive closure, against the same simulation")
    fig.tight_layout()
    return fig


def residuals(ds: Any) -> plt.Figure:
    """Residual cross-covariances vs activity cross-covariances; Wick test."""
    s = ds.attrs.get("summary", {})
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    n = ds.sizes["neuron"]
    mask = ~np.eye(n, dtype=bool)
    cr = ds["c_r_sim"].values[mask]
    cp = ds["c_phi_sim"].values[mask]
    lim = float(np.percentile(np.abs(cp), 99.5))
    bins = np.linspace(-lim, lim, 121)
    axes[0].hist(cp, bins=bins, color=_SIM, alpha=0.5, label=r"cov($\phi_i, \phi_j$)")
    axes[0].hist(cr, bins=bins, color=_PRED, alpha=0.7, label=r"cov($r_i, r_j$)")
    rr = s.get("residuals", {}).get("rms_ratio", np.nan)
    axes[0].set_title(f"residuals: RMS ratio (bias-corrected) = {rr:.3f}")
    axes[0].set_yscale("log")
    axes[0].legend(frameon=False)
    axes[0].set_xlabel("off-diagonal covariance")
    if "wick_kappa" in ds:
        k, se, gp = ds["wick_kappa"].values, ds["wick_kappa_se"].values, ds["wick_gaussian"].values
        axes[1].errorbar(gp, k, yerr=se, fmt=".", ms=2, color=_PRED, alpha=0.4, lw=0.5)
        lim2 = float(np.percentile(np.abs(np.r_[gp, k]), 99.5)) or 1.0
        axes[1].plot([-lim2, lim2], [-lim2, lim2], color="0.6", lw=1, label="y = x")
        axes[1].axhline(0, color=_SIM, lw=1)
        axes[1].set_xlabel("Gaussian (Wick) part of 4th moment, standardised")
        axes[1].set_ylabel("4th cross-cumulant κ4, standardised")
        w = s.get("wick", {})
        axes[1].set_title(
            f"Wick test: RMS κ4 {w.get('rms_kappa', np.nan):.2g} "
            f"(noise {w.get('rms_kappa_noise', np.nan):.2g})"
        )
        axes[1].legend(frameon=False)
    fig.tight_layout()
    return fig


ALL = {
    "autocovariance": autocovariance,
    "covariance_heatmaps": covariance_heatmaps,
    "offdiag_scatter": offdiag_scatter,
    "spectra": spectra,
    "naive_vs_correct": naive_vs_correct,
    "residuals": residuals,
}


def scaling(ds: Any) -> plt.Figure:
    """Agreement and residual cross-covariances vs N (from a ``run_scaling`` Dataset)."""
    n = ds["n"].values
    fits = ds.attrs.get("fits", {})
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    ax = axes[0]
    for var, color, label in (
        ("offdiag_corr", _PRED, "linear-equivalent"),
        ("offdiag_corr_ceiling", _SIM, "split-half ceiling"),
        ("naive_offdiag_corr", _NAIVE, "naive closure"),
    ):
        v = ds[var]
        ax.errorbar(n, v.mean("realization"), yerr=_se(v), marker="o", color=color, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("N")
    ax.set_ylabel("off-diagonal correlation (φ)")
    ax.legend(frameon=False)
    ax = axes[1]
    for var, color, name in (
        ("ms_offdiag_phi", _SIM, "activity"),
        ("ms_offdiag_r", _PRED, "residual"),
    ):
        rms = np.sqrt(np.clip(ds[var], 0, None))
        b = fits.get(f"rms_{name}_exponent", np.nan)
        be = fits.get(f"rms_{name}_exponent_se", np.nan)
        ax.errorbar(
            n,
            rms.mean("realization"),
            yerr=_se(rms),
            marker="o",
            color=color,
            label=f"RMS off-diag cov, {name}: N^({b:.2f} ± {be:.2f})",
        )
    ax.loglog(
        n,
        np.sqrt(np.clip(ds["ms_offdiag_r"].mean("realization").values[0], 1e-30, None))
        * (n / n[0]) ** -1.0,
        ":",
        color=_PRED,
        label="∝ 1/N",
    )
    ax.loglog(
        n,
        np.sqrt(ds["ms_offdiag_phi"].mean("realization").values[0]) * (n / n[0]) ** -0.5,
        ":",
        color=_SIM,
        label="∝ 1/√N",
    )
    ax.set_xlabel("N")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def _se(v: Any) -> Any:
    k = v.sizes["realization"]
    return v.std("realization", ddof=1) / np.sqrt(k) if k > 1 else None
