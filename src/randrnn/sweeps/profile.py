"""Time and memory of each stage of the run experiment vs the network size, from a sweep.

- :func:`stage_scaling` -- per stage (``dmft``, ``prediction``, ``simulation``,
  ``comparison``) and the total, the mean and SE of its wall time and peak memory at each
  value of a size axis, and power-law exponents of both vs N -> :class:`StageScaling`.
- :data:`THEORY_EXPONENTS` -- the large-N exponents the algorithms imply.

The expected costs, at fixed trials B, duration T and lags (the prediction: Clark,
arXiv:2604.23489, ``docs/theory.md`` sections 3.4-3.5; the simulation: section 1.3):

- ``dmft``: the stationary mean-field equations do not involve N: time and memory ~ N^0.
- ``prediction``: an eigendecomposition (or LU solves) of the N x N coupling matrix and the
  covariances built from it: time ~ N^3, memory ~ N^2.
- ``simulation``: per step one GEMM of the B x N state with the N x N couplings, and the N x N
  equal-time statistics every few steps: time ~ N^2 per step, memory ~ N^2 (couplings and
  accumulators).
- ``comparison``: eigenvalues of the N x N predicted and simulated covariances: time ~ N^3,
  memory ~ N^2.

At moderate N the lower-order terms (per-step overheads, the O(N) parts, the O(N^2) set-up of
the prediction) still count, so the measured exponents approach these from below.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from randrnn import io
from randrnn.verify import PowerLawFit, power_law_fit

#: the stages of the run experiment, in the order they run
STAGES = ("dmft", "prediction", "simulation", "comparison")

#: large-N exponents vs N of each stage's wall time and peak memory (see the module docstring)
THEORY_EXPONENTS: dict[str, dict[str, float]] = {
    "seconds": {"dmft": 0.0, "prediction": 3.0, "simulation": 2.0, "comparison": 3.0},
    "memory": {"dmft": 0.0, "prediction": 2.0, "simulation": 2.0, "comparison": 2.0},
}

_NAN_FIT = PowerLawFit(exponent=float("nan"), exponent_se=float("nan"), prefactor=float("nan"))


def _finite_or_none(v: Any) -> Any:
    return None if isinstance(v, float) and not np.isfinite(v) else v


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class StageScaling:
    """Wall time and peak memory of each stage vs the network size, with fitted exponents.

    Parameters
    ----------
    dim : str
        The size axis of the sweep (``n``).
    values : tuple
        Its values, ascending.
    stages : tuple of str
        The stages, then ``total`` (the whole experiment; time only).
    cells : (n_values,) ndarray of int
        Done cells pooled at each value (realizations and every other axis).
    seconds, seconds_se : (n_stages, n_values) ndarray
        Mean wall time of each stage (s) over those cells, and its SE (NaN with one cell).
    memory, memory_se : (n_stages, n_values) ndarray
        Mean peak resident memory of each stage above the process's memory at its start
        (bytes), and its SE; NaN for ``total`` and where the platform has no reading.
    seconds_fit, memory_fit : dict of PowerLawFit
        Per stage, ``mean ~ A N^b``: exponent ``b`` and its SE (NaN where fewer than 2 values
        have a positive mean).
    """

    dim: str
    values: tuple[float, ...]
    stages: tuple[str, ...]
    cells: np.ndarray
    seconds: np.ndarray
    seconds_se: np.ndarray
    memory: np.ndarray
    memory_se: np.ndarray
    seconds_fit: dict[str, PowerLawFit]
    memory_fit: dict[str, PowerLawFit]

    def exponents(self) -> dict[str, dict[str, float]]:
        """Per stage: ``seconds``, ``seconds_se``, ``memory``, ``memory_se`` exponents and
        the theory's (NaN where it has none)."""
        out = {}
        for s in self.stages:
            t, m = self.seconds_fit[s], self.memory_fit[s]
            out[s] = {
                "seconds": t.exponent,
                "seconds_se": t.exponent_se,
                "seconds_theory": THEORY_EXPONENTS["seconds"].get(s, float("nan")),
                "memory": m.exponent,
                "memory_se": m.exponent_se,
                "memory_theory": THEORY_EXPONENTS["memory"].get(s, float("nan")),
            }
        return out

    def summary(self) -> dict[str, Any]:
        """A JSON-ready dict (undefined values are null): the table and the exponents."""

        def rows(a: np.ndarray) -> dict[str, list[Any]]:
            return {s: [_finite_or_none(float(v)) for v in a[i]] for i, s in enumerate(self.stages)}

        return {
            "dim": self.dim,
            "values": list(self.values),
            "cells": [int(c) for c in self.cells],
            "seconds": rows(self.seconds),
            "seconds_se": rows(self.seconds_se),
            "memory": rows(self.memory),
            "memory_se": rows(self.memory_se),
            "exponents": {
                s: {k: _finite_or_none(float(v)) for k, v in e.items()}
                for s, e in self.exponents().items()
            },
        }

    def to_xarray(self) -> Any:
        """Dims ``(stage, dim)``: means, SEs and cell counts; exponents per ``stage``."""
        import xarray as xr

        two = ("stage", self.dim)
        ex = self.exponents()

        def per_stage(key: str) -> tuple[str, np.ndarray]:
            return ("stage", np.array([ex[s][key] for s in self.stages]))

        ds = xr.Dataset(
            {
                "seconds": (two, self.seconds, {"units": "s", "long_name": "mean wall time"}),
                "seconds_se": (two, self.seconds_se, {"units": "s"}),
                "memory": (
                    two,
                    self.memory,
                    {"units": "bytes", "long_name": "mean peak memory above the stage's start"},
                ),
                "memory_se": (two, self.memory_se, {"units": "bytes"}),
                "cells": (self.dim, np.asarray(self.cells)),
                **{
                    f"{kind}_exponent{suffix}": per_stage(f"{kind}{suffix}")
                    for kind in ("seconds", "memory")
                    for suffix in ("", "_se", "_theory")
                },
            },
            coords={"stage": list(self.stages), self.dim: list(self.values)},
        )
        ds.attrs.update(io.provenance())
        ds.attrs["references"] = ["clark2026"]
        return ds


def _mean_se(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and SE along axis 1 of the finite entries (rows: values of the size axis)."""
    k = np.isfinite(a).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(k > 0, np.nansum(a, 1) / np.maximum(k, 1), np.nan)
        dev = np.where(np.isfinite(a), a - mean[:, None], 0.0)
        var = (dev**2).sum(1) / np.maximum(k - 1, 1)
        se = np.where(k > 1, np.sqrt(var / np.maximum(k, 1)), np.nan)
    return mean, se


def _fit(x: np.ndarray, mean: np.ndarray, se: np.ndarray) -> PowerLawFit:
    """``mean ~ A x^b`` over the values with a positive mean.

    Weighted by the SEs when every one is positive and finite, and the exponent's SE scaled
    up by the Birge ratio ``sqrt(chi^2 / dof)`` when the means scatter about the power law by
    more than their SEs (lower-order terms, contention); otherwise unweighted, the SE from the
    scatter (NaN with two values).
    """
    ok = np.isfinite(mean) & (mean > 0)
    if ok.sum() < 2:
        return _NAN_FIT
    x, y, e = x[ok], mean[ok], se[ok]
    if not (np.all(np.isfinite(e)) and np.all(e > 0)):
        return power_law_fit(x, y)
    fit = power_law_fit(x, y, e)
    dof = len(x) - 2
    if dof > 0:
        resid = (np.log(y) - np.log(fit.prefactor) - fit.exponent * np.log(x)) * (y / e)
        birge = float(np.sqrt(resid @ resid / dof))
        if birge > 1:
            return PowerLawFit(
                exponent=fit.exponent,
                exponent_se=fit.exponent_se * birge,
                prefactor=fit.prefactor,
            )
    return fit


def stage_scaling(view: Any, *, dim: str = "n", stages: Sequence[str] = STAGES) -> StageScaling:
    """Time and memory of each stage of the run experiment vs ``dim``, from a sweep's view.

    Parameters
    ----------
    view : xarray.Dataset
        A sweep's view (:attr:`~randrnn.sweeps.SweepResult.view` or
        :func:`~randrnn.sweeps.open_sweep`) of the run experiment, with the resources
        ``seconds_<stage>``, ``memory_<stage>`` and ``seconds_total``.
    dim : str
        The size axis (positive values; at least two).
    stages : sequence of str
        The stages (default: all four of the run experiment).

    Returns
    -------
    StageScaling
        Per stage and the total, per value of ``dim``: mean and SE over the done cells at that
        value (realizations and every other axis pooled) of the wall time and peak memory, and
        their power-law exponents vs ``dim`` (:func:`randrnn.verify.power_law_fit`, weighted by
        the SEs; unweighted, the SE from the scatter, when a value has a single done cell).
        Expected large-N exponents: :data:`THEORY_EXPONENTS` (simulation time ~ N^2 per step at
        fixed trials and duration, prediction time ~ N^3, memory ~ N^2).

    Raises
    ------
    ValueError
        ``view`` has no axis ``dim`` (the message names its axes), fewer than 2 values along
        it, values that are not positive, or no stage resources (not the run experiment).
    """
    dims = [d for d in view.dims if d != "realization"]
    if dim not in view.dims or dim == "realization":
        raise ValueError(
            f"`dim` must be an axis of the sweep; got {dim!r}, and the view's axes are {dims} "
            "(add a size axis, e.g. ensemble.n = [250, 500, 1000], or pass dim=...)."
        )
    values = np.asarray(view[dim].values)
    if values.size < 2:
        raise ValueError(
            f"`view` must have >= 2 values along {dim!r} to fit exponents; got "
            f"{values.tolist()} (add values to the axis)."
        )
    try:
        x = values.astype(float)
    except (TypeError, ValueError):
        raise ValueError(
            f"`dim` must be a numeric axis; got {dim!r} with values {values.tolist()}."
        ) from None
    if not np.all(np.isfinite(x) & (x > 0)):
        raise ValueError(f"the values along {dim!r} must be positive; got {values.tolist()}.")
    stages = tuple(stages)
    if not stages:
        raise ValueError("`stages` must name at least one stage; got an empty sequence.")
    wanted = [f"seconds_{s}" for s in stages] + [f"memory_{s}" for s in stages]
    wanted.append("seconds_total")
    missing = [v for v in wanted if v not in view.data_vars]
    if missing:
        experiment = view.attrs.get("experiment", "unknown")
        have = sorted(v for v in view.data_vars if view[v].attrs.get("kind") == "resource")
        raise ValueError(
            f"`view` has no stage resources {missing} (experiment {experiment!r}; resources "
            f"there: {have}). Stage times and memory come from the run experiment: sweep "
            '`experiment = "run"`, or pass `stages` it has.'
        )
    order = np.argsort(x)
    x = x[order]
    if "status" in view.data_vars:
        done = view["status"] == 1
    else:
        done = view[f"seconds_{stages[0]}"].notnull()

    def pooled(name: str) -> np.ndarray:
        da = view[name].where(done)
        other = [d for d in da.dims if d != dim]
        arr = da.transpose(dim, *other).values.reshape(values.size, -1)
        return np.asarray(arr, dtype=float)[order]

    rows = (*stages, "total")
    cells = pooled(f"seconds_{stages[0]}")
    n_cells = np.isfinite(cells).sum(1)
    shape = (len(rows), values.size)
    sec, sec_se = np.full(shape, np.nan), np.full(shape, np.nan)
    mem, mem_se = np.full(shape, np.nan), np.full(shape, np.nan)
    sfit: dict[str, PowerLawFit] = {}
    mfit: dict[str, PowerLawFit] = {}
    for i, s in enumerate(rows):
        sec[i], sec_se[i] = _mean_se(pooled(f"seconds_{s}"))
        sfit[s] = _fit(x, sec[i], sec_se[i])
        if s == "total":
            mfit[s] = _NAN_FIT
            continue
        mem[i], mem_se[i] = _mean_se(pooled(f"memory_{s}"))
        mfit[s] = _fit(x, mem[i], mem_se[i])
    return StageScaling(
        dim=dim,
        values=tuple(values[order].tolist()),
        stages=rows,
        cells=n_cells,
        seconds=sec,
        seconds_se=sec_se,
        memory=mem,
        memory_se=mem_se,
        seconds_fit=sfit,
        memory_fit=mfit,
    )
