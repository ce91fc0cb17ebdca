"""Experiments repeated over a parameter grid, stacked into one ``xarray.Dataset``.

- :func:`run_scaling` -- the same experiment over network sizes and coupling realizations:
  agreement with the linear-equivalent prediction and residual cross-covariances vs N, with
  fitted exponents (physics.md section 3: residual cross-covariances ~ 1/N, activity
  cross-covariances ~ 1/sqrt(N)).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from randrnn import io
from randrnn.experiment import DEFAULT_RUN_CONFIG, run_experiment
from randrnn.verify import power_law_fit

#: per-run scalars collected by :func:`run_scaling` (name -> path in ``Experiment.summary()``)
SCALING_METRICS = {
    "offdiag_corr": ("comparison", "offdiag_corr"),
    "offdiag_corr_ceiling": ("comparison", "offdiag_corr_ceiling"),
    "ceiling_fraction": ("comparison", "ceiling_fraction"),
    "rel_frobenius": ("comparison", "rel_frobenius"),
    "x_offdiag_corr": ("comparison", "x_offdiag_corr"),
    "pr_pred": ("comparison", "pr_pred"),
    "pr_sim": ("comparison", "pr_sim_unbiased"),
    "naive_offdiag_corr": ("comparison", "naive_offdiag_corr"),
    "ms_offdiag_r": ("residuals", "ms_offdiag_r"),
    "ms_offdiag_r_se": ("residuals", "ms_offdiag_r_se"),
    "ms_offdiag_phi": ("residuals", "ms_offdiag_phi"),
    "ms_offdiag_phi_se": ("residuals", "ms_offdiag_phi_se"),
    "min_re_alpha": ("prediction", "min_re_alpha"),
    "seconds": ("seconds", "total"),
}


def run_scaling(
    config: dict[str, Any] | None,
    sizes: Sequence[int],
    *,
    n_realizations: int = 1,
    progress: bool | None = None,
) -> Any:
    """Run :func:`randrnn.experiment.run_experiment` for every size and coupling realization.

    Parameters
    ----------
    config : dict, optional
        Base run config; ``ensemble.n`` and ``seeds.coupling`` are overridden.
    sizes : sequence of int
        Network sizes.
    n_realizations : int
        Coupling realizations per size (coupling seeds ``base, base+1, ...``).
    progress : bool, optional
        Progress bars (default: on a terminal).

    Returns
    -------
    xarray.Dataset
        Metrics with dims ``(n, realization)``; ``attrs["fits"]`` holds the exponents of the
        RMS off-diagonal residual and activity cross-covariances vs N (with SEs), fitted to
        the realization means.
    """
    import xarray as xr

    cfg = io.merge_config(DEFAULT_RUN_CONFIG, config or {})
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or any(s < 4 for s in sizes):
        raise ValueError(f"`sizes` must hold >= 2 sizes, each >= 4; got {sizes!r}.")
    if n_realizations < 1:
        raise ValueError(f"`n_realizations` must be >= 1; got {n_realizations!r}.")
    base_seed = int(cfg.get("seeds", {}).get("coupling", 0))
    values = {k: np.full((len(sizes), n_realizations), np.nan) for k in SCALING_METRICS}
    runs = [(i, n, r) for i, n in enumerate(sizes) for r in range(n_realizations)]
    show = sys.stderr.isatty() if progress is None else bool(progress)
    bar = tqdm(runs, desc="scaling", unit="run", disable=not show)
    for i, n, r in bar:
        bar.set_postfix(n=n, realization=r)
        run_cfg = io.apply_overrides(cfg, [f"ensemble.n={n}", f"seeds.coupling={base_seed + r}"])
        summ = run_experiment(run_cfg, progress=progress).summary()
        for k, (table, key) in SCALING_METRICS.items():
            values[k][i, r] = summ.get(table, {}).get(key, np.nan)
    ds = xr.Dataset(
        {k: (("n", "realization"), v) for k, v in values.items()},
        coords={"n": sizes, "realization": np.arange(n_realizations)},
    )
    fits = {}
    for name, ms in (("residual", "ms_offdiag_r"), ("activity", "ms_offdiag_phi")):
        m = ds[ms].mean("realization").values
        if n_realizations > 1:
            se = ds[ms].std("realization", ddof=1).values / np.sqrt(n_realizations)
            se = np.sqrt(se**2 + (ds[f"{ms}_se"] ** 2).mean("realization").values / n_realizations)
        else:
            se = ds[f"{ms}_se"].isel(realization=0).values
        if np.all(m > 0):
            # RMS = sqrt(mean square): exponent and SE of the RMS are half those of the MS
            fit = power_law_fit(np.array(sizes, dtype=float), m, se)
            fits[f"rms_{name}_exponent"] = fit["exponent"] / 2
            fits[f"rms_{name}_exponent_se"] = fit["exponent_se"] / 2
        else:
            fits[f"rms_{name}_exponent"] = float("nan")
            fits[f"rms_{name}_exponent_se"] = float("nan")
    ds.attrs.update(io.provenance())
    ds.attrs.update({"config": cfg, "fits": fits, "references": ["clark2026"]})
    return ds
