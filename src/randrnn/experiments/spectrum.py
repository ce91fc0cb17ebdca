"""Eigenvalues of sampled E/I Jacobians against the random-matrix theory: ``randrnn spectrum``.

For a :class:`~randrnn.ensembles.JacobianEnsemble`: predict the support, its edge, the density
and the outliers (:mod:`randrnn.rmt`), measure spectra of sampled Jacobians
(:mod:`randrnn.spectra`), and sweep the edge along each statistic of the ensemble (theory and
dense numerics at a second size), compared by :func:`randrnn.verify.compare_edge_sensitivity`.
Chotibut, Evnin & Horinouchi (2025), arXiv 2512.12767.

- :func:`run_spectrum` -- the experiment -> :class:`SpectrumResult`.
- :func:`run_sensitivity` -- the sweep alone -> :class:`SensitivitySweep`.
- :func:`spectrum_config` -- a :class:`~randrnn.config.SpectrumConfig` from a mapping of tables
  merged onto the preset (a sparse E/I ensemble with lognormal inhibitory timescales and
  uniform gains), checked.
- :func:`count_realizations` -- how many sampled Jacobians a config asks for (progress bars).

Config tables: ``[ensemble]`` (:class:`~randrnn.ensembles.JacobianEnsemble`), ``[spectrum]``
(:class:`~randrnn.config.SpectrumSettings`) and ``[sensitivity]``
(:class:`~randrnn.config.SensitivitySettings`: one list of values per statistic; see
:func:`randrnn.ensembles.vary`).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from randrnn import io, rmt, spectra
from randrnn.config import SensitivitySettings, SpectrumConfig, config_from_mapping
from randrnn.ensembles import STATISTICS, JacobianEnsemble
from randrnn.errors import RegimeWarning
from randrnn.experiments._common import quiet_numerics, strict_json
from randrnn.verify import EdgeSensitivityComparison, compare_edge_sensitivity

#: seed offset between the sensitivity sweeps of successive statistics
_SEED_STRIDE = 1000


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SensitivitySweep:
    """The spectral edge along each statistic of an ensemble: theory, numerics, comparison.

    Parameters
    ----------
    n, n_realizations : int
        Size and realizations per point of the numerics.
    theory : dict of str to randrnn.rmt.EdgeSensitivity
        Predicted edges per statistic.
    measurement : dict of str to randrnn.spectra.EdgeSensitivityMeasurement
        Measured edges per statistic.
    comparisons : dict of str to EdgeSensitivityComparison
        Their agreement, with criterion and verdict (filled by :func:`run_spectrum`, which
        knows the bulk width).
    skipped : dict of str to str
        Statistics that do not apply to the ensemble, with the reason.
    """

    n: int
    n_realizations: int
    theory: dict[str, Any]
    measurement: dict[str, Any]
    comparisons: dict[str, EdgeSensitivityComparison]
    skipped: dict[str, str]

    def to_xarray(self) -> Any:
        """Dims ``statistic`` x ``point``; NaN where a statistic has fewer points."""
        import xarray as xr

        names = list(self.theory)
        k = max((len(self.theory[st].values) for st in names), default=0)
        arr = {v: np.full((len(names), k), np.nan) for v in ("value", "pred", "num", "se", "h")}
        for j, st in enumerate(names):
            th, me = self.theory[st], self.measurement[st]
            m = len(th.values)
            arr["value"][j, :m] = th.values
            arr["pred"][j, :m] = th.edge
            arr["h"][j, :m] = th.height
            arr["num"][j, :m] = me.edge
            arr["se"][j, :m] = me.edge_se
        dims = ("statistic", "point")
        return xr.Dataset(
            {
                "sensitivity_value": (dims, arr["value"]),
                "sensitivity_edge_pred": (dims, arr["pred"]),
                "sensitivity_height_pred": (dims, arr["h"]),
                "sensitivity_edge_numeric": (dims, arr["num"]),
                "sensitivity_edge_numeric_se": (dims, arr["se"]),
            },
            # object dtype: Zarr v3 stores it as variable-length UTF-8 (fixed-width is unspecified)
            coords={"statistic": np.array(names, dtype=object)},
            attrs={"sensitivity_n": int(self.n)},
        )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SpectrumHistogram:
    """The sampled eigenvalues binned on the grid of the predicted density.

    Parameters
    ----------
    density : randrnn.rmt.SpectralDensity
        Predicted density on the grid.
    counts : (bins_re, bins_im) ndarray
        Fraction of the sampled eigenvalues in each cell.
    """

    density: Any
    counts: np.ndarray


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SpectrumResult:
    """Everything one ``randrnn spectrum`` computed.

    Parameters
    ----------
    config : SpectrumConfig
        The config (``config.to_dict()`` is recorded with the results).
    ensemble : JacobianEnsemble
        The ensemble.
    method : str
        Eigenvalue method (``dense`` or a sparse one).
    seed : int
        Seed of the sampled Jacobians.
    edge : randrnn.rmt.SpectralEdge
        Predicted edge and bulk height.
    boundary : randrnn.rmt.SupportBoundary
        Predicted support boundary.
    outliers : randrnn.rmt.Outliers
        Predicted outliers.
    measurement : randrnn.spectra.EdgeMeasurement
        Measured edge and eigenvalues.
    histogram : SpectrumHistogram or None
        Predicted density and binned eigenvalues (``dense`` method only).
    sensitivity : SensitivitySweep or None
        The edge-sensitivity sweep, when enabled.
    seconds : float
        Wall time.
    """

    config: SpectrumConfig
    ensemble: JacobianEnsemble
    method: str
    seed: int
    edge: Any
    boundary: Any
    outliers: Any
    measurement: Any
    histogram: SpectrumHistogram | None
    sensitivity: SensitivitySweep | None
    seconds: float

    @property
    def deviation_over_height(self) -> float:
        """(measured - predicted edge) / predicted bulk height."""
        return float((self.measurement.edge - self.edge.edge) / self.edge.height)

    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` content (strict JSON: undefined values are null)."""
        m, e = self.measurement, self.edge
        out: dict[str, Any] = {
            "edge_pred": e.edge,
            "edge_kind": e.kind,
            "height_pred": e.height,
            "edge_numeric": m.edge,
            "edge_numeric_se": m.edge_se,
            "max_real_numeric": m.max_real,
            "outliers_pred": [[float(v.real), float(v.imag)] for v in self.outliers.values],
            "n": self.ensemble.n,
            "n_realizations": m.n_realizations,
            "method": self.method,
            "seconds": self.seconds,
        }
        s = self.sensitivity
        if s is not None:
            out["sensitivity"] = {
                "n": s.n,
                "n_realizations": s.n_realizations,
                "statistics": {st: c.to_dict() for st, c in s.comparisons.items()},
                "skipped": dict(s.skipped),
            }
        return strict_json(out)

    def to_xarray(self) -> Any:
        """Eigenvalues, predicted support, edge, outliers, density and the sweep."""
        import xarray as xr

        pieces = [
            self.measurement.to_xarray(),
            self.edge.to_xarray(),
            self.boundary.to_xarray(),
            self.outliers.to_xarray(),
        ]
        h = self.histogram
        if h is not None:
            pieces.append(h.density.to_xarray())
            pieces.append(
                xr.Dataset(
                    {"histogram": (("re", "im"), h.counts)},
                    coords={"re": h.density.x, "im": h.density.y},
                )
            )
        if self.sensitivity is not None:
            pieces.append(self.sensitivity.to_xarray())
        ds = xr.merge(pieces, compat="override", combine_attrs="drop")
        ds.attrs.update(io.provenance())
        ds.attrs["spec"] = self.ensemble.to_config()
        ds.attrs["seed"] = int(self.seed)
        ds.attrs["config"] = self.config.to_dict()
        ds.attrs["references"] = ["chotibut2025"]
        return ds


def spectrum_config(config: SpectrumConfig | Mapping[str, Any] | None = None) -> SpectrumConfig:
    """The checked config of a spectrum experiment.

    Parameters
    ----------
    config : SpectrumConfig or mapping, optional
        A config, or tables (``ensemble``, ``spectrum``, ``sensitivity``) merged onto the
        preset of ``randrnn spectrum`` (:func:`randrnn.config.config_from_mapping`).

    Returns
    -------
    SpectrumConfig
        Validated before any work.
    """
    if isinstance(config, SpectrumConfig):
        return config
    return config_from_mapping("spectrum", dict(config or {}))  # type: ignore[return-value]


def count_realizations(config: SpectrumConfig) -> int:
    """Number of sampled Jacobians :func:`run_spectrum` draws for ``config`` (for progress)."""
    total = config.spectrum.n_realizations
    sens = config.sensitivity
    if sens.enabled:
        total += sens.n_points * sens.n_realizations
    return total


def run_sensitivity(
    ensemble: JacobianEnsemble,
    settings: SensitivitySettings,
    seed: int,
    width: float,
    progress: Callable[..., Any] | None = None,
) -> SensitivitySweep:
    """The spectral edge along each statistic of ``ensemble``: theory and dense numerics.

    Statistics that do not apply to the ensemble (e.g. ``fraction_excitatory`` with other than
    two populations) are skipped and listed with the reason.

    Parameters
    ----------
    ensemble : JacobianEnsemble
        The base ensemble (resized to ``settings.n``).
    settings : SensitivitySettings
        The ``[sensitivity]`` table.
    seed : int
        Base seed; statistic ``i`` uses ``seed + 1000 (i + 1)``.
    width : float
        Bulk width the deviations are measured in (the predicted height of the base ensemble).
    progress : callable, optional
        Called after each realization.

    Returns
    -------
    SensitivitySweep
        Theory, measurement and comparison per statistic.
    """
    base = ensemble.resized(settings.n)
    theory, meas, skipped = {}, {}, {}
    for i, st in enumerate(STATISTICS):
        values = list(settings.values(st))
        if not values:
            continue
        try:
            theory[st] = rmt.edge_sensitivity(base, st, values)
        except ValueError as exc:
            skipped[st] = str(exc)
            continue
        meas[st] = spectra.measure_edge_sensitivity(
            base,
            st,
            values,
            n_realizations=settings.n_realizations,
            seed=seed + _SEED_STRIDE * (i + 1),
            progress=progress,
        )
    return SensitivitySweep(
        n=settings.n,
        n_realizations=settings.n_realizations,
        theory=theory,
        measurement=meas,
        comparisons={
            st: compare_edge_sensitivity(th, meas[st], width) for st, th in theory.items()
        },
        skipped=skipped,
    )


def _histogram(ensemble: JacobianEnsemble, edge: Any, lam: np.ndarray, bins: int) -> Any:
    x_lo = float(np.quantile(lam.real, 0.001))
    pad = 0.05 * edge.height
    xe = np.linspace(x_lo - pad, max(edge.edge, float(lam.real.max())) + pad, bins + 1)
    ymax = 0.5 * edge.height + pad
    ye = np.linspace(-ymax, ymax, bins + (1 if bins % 2 == 0 else 0) + 1)
    with quiet_numerics(), warnings.catch_warnings():
        # the density is shown where it converged; failures are drawn as gaps
        warnings.simplefilter("ignore", RegimeWarning)
        dens = rmt.eigenvalue_density(ensemble, x_edges=xe, y_edges=ye, on_failure="warn")
    counts, _, _ = np.histogram2d(lam.real, lam.imag, bins=[xe, ye])
    return SpectrumHistogram(density=dens, counts=counts / lam.size)


def run_spectrum(
    config: SpectrumConfig | Mapping[str, Any] | None = None,
    progress: Callable[..., Any] | None = None,
) -> SpectrumResult:
    """Measure Jacobian spectra and compare them with the random-matrix theory.

    Parameters
    ----------
    config : SpectrumConfig or mapping, optional
        The config, or tables merged onto the preset (see :func:`spectrum_config`).
    progress : callable, optional
        Called after each sampled Jacobian.

    Returns
    -------
    SpectrumResult
        Predictions, measurements, the sweep and its comparisons.
    """
    cfg = spectrum_config(config)
    ens, opts = cfg.ensemble, cfg.spectrum
    t0 = time.perf_counter()
    edge = rmt.spectral_edge(ens)
    outl = rmt.outliers(ens)
    n_right = int(np.sum(outl.values.real > edge.edge))
    meas = spectra.measure_edge(
        ens,
        n_realizations=opts.n_realizations,
        seed=opts.seed,
        skip=n_right,
        method=opts.method,
        k=opts.k,
        progress=progress,
    )
    bound = rmt.support_boundary(ens)
    hist = None
    if opts.method == "dense":
        hist = _histogram(ens, edge, meas.eigenvalues.ravel(), opts.bins)
    sens = None
    if cfg.sensitivity.enabled:
        sens = run_sensitivity(ens, cfg.sensitivity, opts.seed, edge.height, progress)
    return SpectrumResult(
        config=cfg,
        ensemble=ens,
        method=opts.method,
        seed=opts.seed,
        edge=edge,
        boundary=bound,
        outliers=outl,
        measurement=meas,
        histogram=hist,
        sensitivity=sens,
        seconds=time.perf_counter() - t0,
    )
