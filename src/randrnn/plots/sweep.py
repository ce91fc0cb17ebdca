"""Figures of a sweep (``randrnn sweep``): metrics along an axis, and the cost of each stage vs N.

- :func:`metric_lines` -- one metric of a sweep's view against one of its axes, one line per
  combination of the other axes, the mean over realizations with SE error bars.
- :func:`stage_scaling` -- wall time and peak memory of each stage of the run experiment vs N
  on log-log axes, with the fitted power laws (a
  :class:`~randrnn.sweeps.StageScaling`).
- :func:`figures` -- name -> figure function of a sweep's view (``xarray.Dataset``), for
  :func:`randrnn.report.write_sweep_report`.
- :data:`RUN_METRICS` -- the metrics shown by default for the run experiment.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np

if TYPE_CHECKING:
    from randrnn.sweeps import StageScaling

#: the metrics of the run experiment shown by :func:`figures` by default
RUN_METRICS = (
    "comparison_ceiling_fraction",
    "comparison_offdiag_corr",
    "residuals_ms_offdiag_r",
    "dmft_delta0",
)

_STAGE_COLORS = {
    "dmft": "C2",
    "prediction": "C0",
    "simulation": "C3",
    "comparison": "C1",
    "total": "k",
}


def _axes(view: Any) -> list[str]:
    """The sweep axes of a view (its dimensions but ``realization``)."""
    return [str(d) for d in view.dims if d != "realization"]


def _numeric(view: Any, dim: str) -> bool:
    return bool(np.issubdtype(np.asarray(view[dim].values).dtype, np.number))


def _default_x(view: Any) -> str:
    axes = _axes(view)
    if not axes:
        raise ValueError(
            f"`view` has no sweep axis (dimensions {list(view.dims)}); a sweep view has the "
            "axes of its grid and `realization`."
        )
    varied = [d for d in axes if view.sizes[d] > 1] or axes
    numeric = [d for d in varied if _numeric(view, d)]
    return (numeric or varied)[0]


def _log_x(view: Any, x: str) -> bool:
    if x == "n":
        return True
    if not _numeric(view, x):
        return False
    v = np.asarray(view[x].values, dtype=float)
    v = v[np.isfinite(v)]
    return bool(v.size > 1 and np.all(v > 0) and v.max() / v.min() > 10)


def _fmt_value(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        return str(float(v))
    if isinstance(v, bytes):
        return v.decode()
    return str(v.item() if hasattr(v, "item") else v)


def metric_lines(view: Any, metric: str, *, x: str | None = None) -> Any:
    """A metric of a sweep against one axis, one line per combination of the other axes.

    Parameters
    ----------
    view : xarray.Dataset
        A sweep's view (:func:`randrnn.sweeps.open_sweep`).
    metric : str
        A variable of the view (a metric or a resource such as ``seconds``).
    x : str, optional
        The axis on the horizontal (default: the first axis with more than one value,
        preferring a numeric one). Logarithmic when it is ``n`` or spans more than a decade.

    Returns
    -------
    matplotlib.figure.Figure
        Mean over the realizations (cells that are not done are left out) with SE error bars
        (none with one realization); the legend names each line's other axes
        (``g=2, phi=tanh``).

    Raises
    ------
    ValueError
        ``metric`` or ``x`` is not in the view (the message lists what is).
    """
    if metric not in view.data_vars:
        names = [v for v in view.data_vars if v != "status"]
        raise ValueError(f"`metric` must be a variable of the view; got {metric!r}, have {names}.")
    axes = _axes(view)
    if x is None:
        x = _default_x(view)
    elif x not in axes:
        raise ValueError(f"`x` must be an axis of the sweep; got {x!r}, the axes are {axes}.")
    da = view[metric]
    if "status" in view.data_vars:
        da = da.where(view["status"] == 1)
    others = [d for d in axes if d != x]
    xs = view[x].values
    positions = np.asarray(xs, dtype=float) if _numeric(view, x) else np.arange(len(xs))
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    combos = list(itertools.product(*(range(view.sizes[d]) for d in others)))
    for combo in combos:
        sel = dict(zip(others, combo, strict=True))
        line = da.isel(sel) if sel else da
        if "realization" in line.dims:
            arr = line.transpose(x, "realization").values.astype(float)
        else:
            arr = line.values.astype(float)[:, None]
        k = np.isfinite(arr).sum(1)
        mean = np.where(k > 0, np.nansum(arr, 1) / np.maximum(k, 1), np.nan)
        dev = np.where(np.isfinite(arr), arr - mean[:, None], 0.0)
        se = np.where(
            k > 1, np.sqrt((dev**2).sum(1) / np.maximum(k - 1, 1) / np.maximum(k, 1)), np.nan
        )
        label = ", ".join(f"{d}={_fmt_value(view[d].values[i])}" for d, i in sel.items())
        ax.errorbar(
            positions,
            mean,
            yerr=se if np.any(np.isfinite(se)) else None,
            marker="o",
            ms=4,
            capsize=2,
            label=label or None,
        )
    if not _numeric(view, x):
        ax.set_xticks(positions, [_fmt_value(v) for v in xs])
    elif _log_x(view, x):
        ax.set_xscale("log")
        if len(positions) <= 12:
            ax.set_xticks(positions, [_fmt_value(v) for v in xs])
            ax.minorticks_off()
    ax.set_xlabel(f"{x} ({view[x].attrs['field']})" if "field" in view[x].attrs else x)
    ax.set_ylabel(metric)
    r = view.sizes.get("realization", 1)
    what = f"mean over {r} realizations, ±1 SE" if r > 1 else "one realization"
    ax.set_title(f"{metric} vs {x}: {what}", fontsize=10)
    if others and len(combos) <= 12 and ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def stage_scaling(result: StageScaling) -> Any:
    """Wall time and peak memory of each stage vs N on log-log axes, with the fitted power laws.

    Parameters
    ----------
    result : StageScaling
        From :func:`randrnn.sweeps.stage_scaling`.

    Returns
    -------
    matplotlib.figure.Figure
        Left: time per stage and in total; right: peak memory above each stage's start. Means
        over the cells at each N with SE error bars; dotted: the fitted ``A N^b`` (exponent
        ± SE and the large-N theory's in the legend). A stage whose memory reads 0 at some N
        (it needed nothing beyond what the process held) is drawn only where positive.
    """
    from randrnn.sweeps.profile import THEORY_EXPONENTS

    n = np.asarray(result.values, dtype=float)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    panels = (
        (axes[0], "seconds", result.seconds, result.seconds_se, result.seconds_fit, 1.0),
        (axes[1], "memory", result.memory, result.memory_se, result.memory_fit, 2.0**-20),
    )
    for ax, kind, mean, se, fits, scale in panels:
        for i, stage in enumerate(result.stages):
            y, e = mean[i] * scale, se[i] * scale
            ok = np.isfinite(y) & (y > 0)
            if not ok.any():
                continue
            fit = fits[stage]
            theory = THEORY_EXPONENTS[kind].get(stage)
            label = stage
            if np.isfinite(fit.exponent):
                se_txt = f" ± {fit.exponent_se:.2f}" if np.isfinite(fit.exponent_se) else ""
                label += f": N^({fit.exponent:.2f}{se_txt})"
                if theory is not None:
                    label += f", theory {theory:g}"
            color = _STAGE_COLORS.get(stage)
            ax.errorbar(
                n[ok],
                y[ok],
                yerr=np.where(np.isfinite(e[ok]), e[ok], 0.0),
                marker="o",
                ms=4,
                capsize=2,
                color=color,
                label=label,
            )
            if np.isfinite(fit.exponent):
                grid = np.geomspace(n.min(), n.max(), 50)
                ax.plot(grid, fit.prefactor * grid**fit.exponent * scale, ":", color=color)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(n, [f"{v:g}" for v in n])
        ax.minorticks_off()
        ax.set_xlabel(result.dim if result.dim != "n" else "N")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(frameon=False, fontsize=7)
        else:  # no stage has a reading on this platform (memory off Linux, or all zero)
            ax.text(0.5, 0.5, "no readings", transform=ax.transAxes, ha="center", color="0.5")
    axes[0].set_ylabel("wall time (s)")
    axes[0].set_title("time per stage", fontsize=10)
    axes[1].set_ylabel("peak memory above the stage's start (MiB)")
    axes[1].set_title("memory per stage", fontsize=10)
    fig.tight_layout()
    return fig


def _has_stage_resources(view: Any) -> bool:
    from randrnn.sweeps.profile import STAGES

    names = [f"{k}_{s}" for s in STAGES for k in ("seconds", "memory")] + ["seconds_total"]
    return (
        "n" in view.dims and view.sizes["n"] >= 2 and all(name in view.data_vars for name in names)
    )


def _default_metrics(view: Any) -> list[str]:
    if view.attrs.get("experiment") == "run":
        return [m for m in RUN_METRICS if m in view.data_vars]
    out = []
    for name in view.data_vars:
        da = view[name]
        if name == "status" or da.attrs.get("kind") == "resource":
            continue
        if np.issubdtype(da.dtype, np.number) and np.isfinite(da.values).any():
            out.append(str(name))
        if len(out) == 4:
            break
    return out


def figures(view: Any, metrics: Sequence[str] | None = None) -> dict[str, Any]:
    """Name -> figure function of a sweep's view (for :func:`randrnn.report.write_figures`).

    Parameters
    ----------
    view : xarray.Dataset
        A sweep's view.
    metrics : sequence of str, optional
        Metrics to plot against the default axis (:func:`metric_lines`). Default: for the run
        experiment :data:`RUN_METRICS`; otherwise the first 4 metrics with finite values.

    Returns
    -------
    dict
        ``metric_<name>`` per metric, and ``stage_scaling`` when the view has an ``n`` axis with
        at least 2 values and the run experiment's stage resources; each a function of the view.
    """
    if metrics is None:
        metrics = _default_metrics(view)
    missing = [m for m in metrics if m not in view.data_vars]
    if missing:
        have = [v for v in view.data_vars if v != "status"]
        raise ValueError(f"`metrics` must be variables of the view; got {missing}, have {have}.")
    out: dict[str, Any] = {}
    for m in metrics:
        out[f"metric_{m}"] = lambda v, m=m: metric_lines(v, m)
    if _has_stage_resources(view):
        from randrnn.sweeps import stage_scaling as fit_stages

        out["stage_scaling"] = lambda v: stage_scaling(fit_stages(v))
    return out
