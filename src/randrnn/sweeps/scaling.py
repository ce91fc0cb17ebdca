"""Experiments repeated over a parameter grid, stacked into one ``xarray.Dataset``.

- :func:`run_scaling` -- the run experiment over network sizes and coupling realizations:
  agreement with the linear-equivalent prediction and residual cross-covariances vs N, with
  fitted exponents (docs/theory.md section 3: residual cross-covariances ~ 1/N, activity
  cross-covariances ~ 1/sqrt(N)) -> :class:`ScalingResult`.
- :func:`size_config` -- the run config of one size and realization.
- :data:`SCALING_METRICS` -- the per-run scalars it collects, each read from a typed field of
  :class:`~randrnn.experiments.RunResult`.

Realization ``r`` of every size uses the coupling seed drawn from the ``r``-th child of
``SeedSequence(seeds.coupling).spawn(n_realizations)``: independent streams, recorded in the
result.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from randrnn import io
from randrnn.config import RunConfig, config_from_mapping, merge_config
from randrnn.experiments import RunResult, run_config, run_experiment
from randrnn.sweeps.grid import realization_seeds
from randrnn.verify import PowerLawFit, power_law_fit


def _naive(attr: str, comparison: str = "phi") -> Callable[[RunResult], float]:
    def get(r: RunResult) -> float:
        c = getattr(r.naive, comparison)
        return float("nan") if c is None else float(getattr(c, attr))

    return get


#: per-run scalars collected by :func:`run_scaling`: name -> (meaning, accessor of RunResult)
SCALING_METRICS: dict[str, tuple[str, Callable[[RunResult], float]]] = {
    "offdiag_corr": (
        "off-diagonal correlation of C_phi, prediction vs simulation",
        lambda r: r.covariance.phi.offdiag_corr,
    ),
    "offdiag_corr_ceiling": (
        "its split-half noise ceiling",
        lambda r: r.covariance.phi.offdiag_corr_ceiling,
    ),
    "ceiling_fraction": (
        "offdiag_corr / offdiag_corr_ceiling",
        lambda r: r.covariance.phi.ceiling_fraction,
    ),
    "rel_frobenius": (
        "relative Frobenius error of C_phi",
        lambda r: r.covariance.phi.rel_frobenius,
    ),
    "x_offdiag_corr": (
        "off-diagonal correlation of C_x, prediction vs simulation",
        lambda r: r.covariance.x.offdiag_corr,
    ),
    "pr_pred": ("participation ratio of the predicted C_phi", lambda r: r.covariance.phi.pr_pred),
    "pr_sim": (
        "participation ratio of the simulated C_phi (halves, unbiased)",
        lambda r: r.covariance.phi.pr_sim_unbiased,
    ),
    "naive_offdiag_corr": (
        "off-diagonal correlation of C_phi, naive closure (NaN: not applicable or disabled)",
        _naive("offdiag_corr"),
    ),
    "ms_offdiag_r": (
        "mean square off-diagonal residual covariance",
        lambda r: r.residuals.ms_offdiag_r,
    ),
    "ms_offdiag_r_se": ("its SE", lambda r: r.residuals.ms_offdiag_r_se),
    "ms_offdiag_phi": (
        "mean square off-diagonal covariance of phi",
        lambda r: r.residuals.ms_offdiag_phi,
    ),
    "ms_offdiag_phi_se": ("its SE", lambda r: r.residuals.ms_offdiag_phi_se),
    "min_re_alpha": (
        "stability margin min Re(1 - mu1 lambda_k)",
        lambda r: r.prediction.min_re_alpha,
    ),
    "seconds": ("wall time of the run", lambda r: r.seconds["total"]),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ExponentFit:
    """An RMS cross-covariance exponent fitted over N.

    Parameters
    ----------
    exponent, exponent_se : float
        Exponent of the RMS off-diagonal cross-covariance vs N, and its SE (half those of
        the mean square); NaN when a mean square is not positive.
    theory : float
        The large-N prediction (-1 for residuals, -1/2 for activities).
    """

    exponent: float
    exponent_se: float
    theory: float


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ScalingResult:
    """The run experiment over sizes and realizations.

    Parameters
    ----------
    config : RunConfig
        The base config (``ensemble.n`` and ``seeds.coupling`` are set per run).
    sizes : tuple of int
        Network sizes.
    coupling_seeds : tuple of int
        Coupling seed of each realization (the same for every size).
    metrics : dict of (n_sizes, n_realizations) ndarray
        :data:`SCALING_METRICS` by name.
    naive_status : tuple of tuple of str
        The naive closure's status per size and realization (``compared``, ``disabled`` or
        ``not applicable: ...``).
    residual, activity : ExponentFit
        Exponents of the RMS residual and activity cross-covariances.
    """

    config: RunConfig
    sizes: tuple[int, ...]
    coupling_seeds: tuple[int, ...]
    metrics: dict[str, np.ndarray]
    naive_status: tuple[tuple[str, ...], ...]
    residual: ExponentFit
    activity: ExponentFit

    @property
    def n_realizations(self) -> int:
        """Realizations per size."""
        return len(self.coupling_seeds)

    def mean(self, name: str) -> np.ndarray:
        """Realization mean of a metric, per size."""
        return np.asarray(self.metrics[name]).mean(axis=1)

    def se(self, name: str) -> np.ndarray | None:
        """Standard error of that mean over realizations (None with one realization)."""
        k = self.n_realizations
        if k < 2:
            return None
        return np.asarray(self.metrics[name]).std(axis=1, ddof=1) / np.sqrt(k)

    def fits(self) -> dict[str, float]:
        """The exponents under their ``summary.json`` names."""
        return {
            "rms_residual_exponent": self.residual.exponent,
            "rms_residual_exponent_se": self.residual.exponent_se,
            "rms_activity_exponent": self.activity.exponent,
            "rms_activity_exponent_se": self.activity.exponent_se,
        }

    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` content (strict JSON: undefined values are null)."""
        metrics = {
            k: [[_finite_or_none(v) for v in row] for row in np.asarray(a).tolist()]
            for k, a in self.metrics.items()
        }
        return {
            "config": self.config.to_dict(),
            "sizes": list(self.sizes),
            "realizations": self.n_realizations,
            "coupling_seeds": list(self.coupling_seeds),
            "fits": {k: _finite_or_none(v) for k, v in self.fits().items()},
            "metrics": metrics,
            "naive_status": [list(row) for row in self.naive_status],
        }

    def to_xarray(self) -> Any:
        """Metrics with dims ``(n, realization)``; fits and provenance in ``attrs``."""
        import xarray as xr

        ds = xr.Dataset(
            {
                k: (("n", "realization"), np.asarray(v), {"long_name": SCALING_METRICS[k][0]})
                for k, v in self.metrics.items()
            },
            coords={
                "n": list(self.sizes),
                "realization": np.arange(self.n_realizations),
                "coupling_seed": ("realization", np.asarray(self.coupling_seeds, dtype=np.int64)),
            },
        )
        ds.attrs.update(io.provenance())
        ds.attrs.update(
            {
                "config": self.config.to_dict(),
                "fits": self.fits(),
                "naive_status": [list(row) for row in self.naive_status],
                "references": ["clark2026"],
            }
        )
        return ds


def _finite_or_none(v: Any) -> Any:
    return None if isinstance(v, float) and not np.isfinite(v) else v


def _fit(sizes: Sequence[int], ms: np.ndarray, ms_se: np.ndarray, theory: float) -> ExponentFit:
    """Exponent of sqrt(mean over realizations of ``ms``) vs N with its SE."""
    k = ms.shape[1]
    m = ms.mean(1)
    if k > 1:
        se = ms.std(1, ddof=1) / np.sqrt(k)
        se = np.sqrt(se**2 + (ms_se**2).mean(1) / k)
    else:
        se = ms_se[:, 0]
    if not (np.all(np.isfinite(m)) and np.all(m > 0)):
        return ExponentFit(exponent=float("nan"), exponent_se=float("nan"), theory=theory)
    # RMS = sqrt(mean square): exponent and SE of the RMS are half those of the MS
    fit: PowerLawFit = power_law_fit(np.array(sizes, dtype=float), m, se)
    return ExponentFit(exponent=fit.exponent / 2, exponent_se=fit.exponent_se / 2, theory=theory)


def size_config(config: RunConfig, n: int, coupling: int) -> RunConfig:
    """``config`` with ``n`` units and coupling seed ``coupling``, checked again (memory)."""
    tables = merge_config(config.to_dict(), {"ensemble": {"n": n}, "seeds": {"coupling": coupling}})
    return config_from_mapping("run", tables)  # type: ignore[return-value]


def run_scaling(
    config: RunConfig | Mapping[str, Any] | None,
    sizes: Sequence[int],
    *,
    n_realizations: int = 1,
    progress: bool | None = None,
) -> ScalingResult:
    """Run :func:`randrnn.experiments.run_experiment` for every size and coupling realization.

    Parameters
    ----------
    config : RunConfig or mapping, optional
        Base run config (a mapping is merged onto the preset of ``randrnn run``);
        ``ensemble.n`` and ``seeds.coupling`` are set per run.
    sizes : sequence of int
        Network sizes (at least two, each >= 4).
    n_realizations : int
        Coupling realizations per size (seeds from :func:`realization_seeds`).
    progress : bool, optional
        Progress bars (default: on a terminal).

    Returns
    -------
    ScalingResult
        Per-run metrics and the fitted exponents of the RMS off-diagonal residual and activity
        cross-covariances vs N (fitted to the realization means).

    Raises
    ------
    ValueError, TypeError
        Bad sizes, realizations or config (every size is checked before the first run).
    """
    cfg = run_config(config)
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or any(s < 4 for s in sizes):
        raise ValueError(f"`sizes` must hold >= 2 sizes, each >= 4; got {sizes!r}.")
    if n_realizations < 1:
        raise ValueError(f"`n_realizations` must be >= 1; got {n_realizations!r}.")
    seeds = realization_seeds(cfg.seeds.coupling, n_realizations)
    configs = {(n, r): size_config(cfg, n, seeds[r]) for n in sizes for r in range(n_realizations)}
    values = {k: np.full((len(sizes), n_realizations), np.nan) for k in SCALING_METRICS}
    status = [["" for _ in range(n_realizations)] for _ in sizes]
    runs = [(i, n, r) for i, n in enumerate(sizes) for r in range(n_realizations)]
    show = sys.stderr.isatty() if progress is None else bool(progress)
    bar = tqdm(runs, desc="scaling", unit="run", disable=not show)
    for i, n, r in bar:
        bar.set_postfix(n=n, realization=r)
        result = run_experiment(configs[n, r], progress=progress)
        for k, (_, get) in SCALING_METRICS.items():
            values[k][i, r] = get(result)
        status[i][r] = result.naive.description
    return ScalingResult(
        config=cfg,
        sizes=tuple(sizes),
        coupling_seeds=seeds,
        metrics=values,
        naive_status=tuple(tuple(row) for row in status),
        residual=_fit(sizes, values["ms_offdiag_r"], values["ms_offdiag_r_se"], -1.0),
        activity=_fit(sizes, values["ms_offdiag_phi"], values["ms_offdiag_phi_se"], -0.5),
    )
