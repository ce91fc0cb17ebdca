"""Experiments repeated over a grid: the scaling study, and sweeps of any experiment on Dask.

- :func:`run_sweep` (:mod:`randrnn.sweeps.engine`) -- any experiment over a grid of config
  values and realizations, its cells run on ``dask.distributed`` (a ``LocalCluster`` by
  default) and written one by one into a resumable Zarr store -> :class:`SweepResult`;
  :func:`open_sweep`, :func:`open_cell` read a store back.
- :func:`plan_sweep` (:mod:`randrnn.sweeps.grid`) -- the ``[sweep]`` table to checked cells;
  :class:`SweepSettings`, :class:`SweepPlan`, :func:`realization_seeds`.
- :func:`stage_scaling` (:mod:`randrnn.sweeps.profile`) -- time and memory of each stage of the
  run experiment vs N from a sweep, with fitted exponents -> :class:`StageScaling`.
- :func:`run_scaling` (:mod:`randrnn.sweeps.scaling`) -- the run experiment over network sizes
  and realizations in one process, with the residual and activity cross-covariance exponents ->
  :class:`ScalingResult`.
"""

from __future__ import annotations

from randrnn.sweeps.engine import SweepResult as SweepResult
from randrnn.sweeps.engine import SweepStoreError as SweepStoreError
from randrnn.sweeps.engine import assemble_view as assemble_view
from randrnn.sweeps.engine import open_cell as open_cell
from randrnn.sweeps.engine import open_sweep as open_sweep
from randrnn.sweeps.engine import read_ledger as read_ledger
from randrnn.sweeps.engine import run_sweep as run_sweep
from randrnn.sweeps.grid import SweepAxis as SweepAxis
from randrnn.sweeps.grid import SweepPlan as SweepPlan
from randrnn.sweeps.grid import SweepSettings as SweepSettings
from randrnn.sweeps.grid import plan_sweep as plan_sweep
from randrnn.sweeps.grid import realization_seeds as realization_seeds
from randrnn.sweeps.profile import THEORY_EXPONENTS as THEORY_EXPONENTS
from randrnn.sweeps.profile import StageScaling as StageScaling
from randrnn.sweeps.profile import stage_scaling as stage_scaling
from randrnn.sweeps.scaling import SCALING_METRICS as SCALING_METRICS
from randrnn.sweeps.scaling import ExponentFit as ExponentFit
from randrnn.sweeps.scaling import ScalingResult as ScalingResult
from randrnn.sweeps.scaling import run_scaling as run_scaling
from randrnn.sweeps.scaling import size_config as size_config

__all__ = [
    "SCALING_METRICS",
    "THEORY_EXPONENTS",
    "ExponentFit",
    "ScalingResult",
    "StageScaling",
    "SweepAxis",
    "SweepPlan",
    "SweepResult",
    "SweepSettings",
    "SweepStoreError",
    "assemble_view",
    "open_cell",
    "open_sweep",
    "plan_sweep",
    "read_ledger",
    "realization_seeds",
    "run_scaling",
    "run_sweep",
    "size_config",
    "stage_scaling",
]
