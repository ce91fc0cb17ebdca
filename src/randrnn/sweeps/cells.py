"""One cell of a sweep, as it runs on a worker: the experiment, its numbers, its group in the store.

- :class:`CellTask` -- what a worker needs to run one cell (picklable, small).
- :class:`CellOutcome` -- what it sends back: status, scalar metrics, resources, timings.
- :func:`run_cell` -- run the experiment of one cell and write its group ``cells/<key>`` of the
  store atomically (temporary name, then rename), so a cell is in the store whole or not at all.
- :data:`RUNNERS` -- per experiment, config -> result.
- :func:`cell_dataset` -- a result as the cell's dataset: every 0-d number of its
  ``to_xarray()`` is a metric, wall times and memory are resources, other arrays are kept as
  ``[sweep] arrays`` says.
- :func:`read_cell`, :func:`completed_keys` -- what a store holds, read from the cells' metadata
  only (no array is loaded).

Every start and end of a cell's computation is appended to ``ledger.jsonl`` in the store (one
JSON line, written with ``O_APPEND``): which run, process and host computed which cell, in how
long, and how long its writing took.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from randrnn import io

#: the store's directory of cell groups, and the ledger of computations
CELLS = "cells"
LEDGER = "ledger.jsonl"

#: cell status codes of the store's ``status`` variable
STATUS_CODES = {"pending": 0, "done": 1, "theory_failure": 2, "error": -1}


@dataclass(frozen=True, slots=True, kw_only=True)
class CellTask:
    """One cell to compute.

    Parameters
    ----------
    key : str
        The cell's directory name (``g=1.5,n=500,realization=0``).
    coords : dict
        Its value along each dimension.
    tables : dict
        Its full config mapping.
    experiment, command : str
        The experiment (see :data:`RUNNERS`) and the command whose config it takes.
    store : str
        The sweep's store (a path every worker can reach).
    arrays : str or tuple of str
        Which per-cell arrays to keep (``[sweep] arrays``).
    max_array_elements : int
        The size limit of ``arrays = "small"``.
    blas_threads : int
        BLAS/OpenMP threads while the cell runs.
    run_id : str
        The sweep run that submitted it (recorded in the ledger and the cell).
    """

    key: str
    coords: dict[str, Any]
    tables: dict[str, Any] = field(repr=False)
    experiment: str
    command: str
    store: str
    arrays: str | tuple[str, ...] = "small"
    max_array_elements: int = 65536
    blas_threads: int = 1
    run_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CellOutcome:
    """What a computed (or found) cell reports back.

    Parameters
    ----------
    key : str
        The cell.
    status : {"done", "theory_failure"}
        ``theory_failure``: the experiment ran and the science failed (an unstable network,
        no convergence, a divergence); the cell is complete, its metrics undefined.
    metrics : dict
        Scalar results by name (NaN where undefined).
    resources : dict
        Wall times (``seconds``, ``seconds_<stage>``) and memory (``memory_<stage>``, bytes).
    message : str
        The failure's message, or empty.
    compute_seconds, write_seconds : float
        Time of the experiment (its config built, run) and of writing the cell's group.
    reused : bool
        The cell was already in the store (nothing computed).
    pid : int
        Process that computed it.
    """

    key: str
    status: str
    metrics: dict[str, float]
    resources: dict[str, float]
    message: str = ""
    compute_seconds: float = float("nan")
    write_seconds: float = float("nan")
    reused: bool = False
    pid: int = 0


def _run(config: Any) -> Any:
    from randrnn.experiments import run_experiment

    return run_experiment(config, progress=False)


@dataclass(frozen=True, slots=True)
class _SimulationCell:
    """A simulation with its population scalars (the variances, their SEs) as 0-d variables."""

    simulation: Any

    @property
    def seconds(self) -> dict[str, float]:
        return dict(self.simulation.seconds)

    def to_xarray(self) -> Any:
        ds = self.simulation.to_xarray()
        et = self.simulation.equal_time
        for name in ("var_x", "var_x_se", "var_phi", "var_phi_se"):
            ds[name] = ((), float(getattr(et, name)))
        ds["mean_x_pop"] = ((), float(et.mean_x.mean()))
        ds["mean_phi_pop"] = ((), float(et.mean_phi.mean()))
        return ds


def _simulate(config: Any) -> Any:
    from dataclasses import replace

    from randrnn.networks import realize
    from randrnn.simulate import simulate

    sim = simulate(
        realize(config.network, config.seeds), replace(config.simulation, progress=False)
    )
    return _SimulationCell(sim)


def _dmft(config: Any) -> Any:
    from randrnn.dmft import solve_stationary

    return solve_stationary(config.network)


def _spectrum(config: Any) -> Any:
    from randrnn.experiments.spectrum import run_spectrum

    return run_spectrum(config)


def _fixedpoints(config: Any) -> Any:
    from randrnn.experiments.fixedpoints import run_fixedpoints

    return run_fixedpoints(config)


def _lowrank(config: Any) -> Any:
    from randrnn.experiments.lowrank import run_lowrank

    return run_lowrank(config)


#: per experiment: its config -> its result (every result has ``to_xarray()``)
RUNNERS: dict[str, Callable[[Any], Any]] = {
    "run": _run,
    "simulate": _simulate,
    "dmft": _dmft,
    "spectrum": _spectrum,
    "fixedpoints": _fixedpoints,
    "lowrank": _lowrank,
}


def _is_resource(name: str) -> bool:
    return name == "seconds" or name.endswith("_seconds") or name.startswith("seconds_")


#: summary entries that are not results (recorded otherwise) and are not read as metrics
_NOT_METRICS = ("config", "seeds", "versions", "plan", "seconds", "memory")


def _name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _summary_numbers(summary: Any) -> dict[str, float]:
    """Numbers of a summary, at most two levels deep, named ``outer_inner``."""
    out: dict[str, float] = {}
    if not isinstance(summary, Mapping):
        return out

    def number(value: Any) -> bool:
        return isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating))

    for key, value in summary.items():
        if key in _NOT_METRICS or "seed" in str(key):
            continue
        if number(value):
            out[_name(str(key))] = float(value)
        elif isinstance(value, Mapping):
            for sub, v in value.items():
                if number(v) and "seed" not in str(sub):
                    out[_name(f"{key}_{sub}")] = float(v)
    return out


def _keep_array(name: str, size: int, arrays: str | tuple[str, ...], limit: int) -> bool:
    if isinstance(arrays, tuple):
        return name in arrays
    return arrays == "all" or (arrays == "small" and size <= limit)


def cell_dataset(
    result: Any,
    *,
    arrays: str | tuple[str, ...] = "small",
    max_array_elements: int = 65536,
    summary: Any = None,
) -> tuple[Any, dict[str, float], dict[str, float]]:
    """Split an experiment's result into the cell's dataset, metrics and resources.

    Parameters
    ----------
    result : object with ``to_xarray()``
        An experiment's result.
    arrays : {"small", "all", "none"} or tuple of str
        Which arrays (variables with dimensions) to keep.
    max_array_elements : int
        The size limit of ``"small"``.
    summary : mapping, optional
        ``result.summary()`` when the caller has it already (it is computed otherwise).

    Returns
    -------
    dataset : xarray.Dataset
        The kept arrays (the scalars go into the cell's attributes: one variable per scalar
        would cost a file and its metadata each).
    metrics : dict
        0-d numbers of the result and numbers among its attributes (provenance aside;
        booleans as 0/1), without wall times.
    resources : dict
        Wall times (variables named ``seconds``/``*_seconds``, and the result's
        ``seconds`` per stage as ``seconds_<stage>``) and the result's ``memory`` per stage
        (``memory_<stage>``, bytes).
    """
    import xarray as xr

    ds = result.to_xarray()
    metrics: dict[str, float] = {}
    resources: dict[str, float] = {}
    keep = []
    for name, var in ds.data_vars.items():
        if var.ndim == 0:
            if var.dtype.kind not in "biuf":
                continue
            value = float(var.values)
            (resources if _is_resource(str(name)) else metrics)[str(name)] = value
        elif var.dtype.kind in "biufc" and _keep_array(
            str(name), int(var.size), arrays, max_array_elements
        ):
            keep.append(name)
    # results that keep their scalars in the dataset's attributes (the DMFT's order parameters)
    provenance = set(io.provenance())
    for name, value in ds.attrs.items():
        if name in provenance or name in metrics or name in resources or "seed" in name:
            continue  # seeds are recorded as the view's coordinates
        if isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating)):
            (resources if _is_resource(str(name)) else metrics)[str(name)] = float(value)
    # and the numbers of its summary (two levels deep: ``agreement.max_abs_z`` ->
    # ``agreement_max_abs_z``) that the dataset does not hold
    if summary is None and hasattr(result, "summary"):
        summary = result.summary()
    for name, value in _summary_numbers(summary).items():
        if name not in metrics and name not in resources:
            (resources if _is_resource(name) else metrics)[name] = value
    for attr in ("seconds", "memory"):
        per_stage = getattr(result, attr, None)
        if isinstance(per_stage, Mapping):  # per-stage wall times or memory
            for stage, value in per_stage.items():
                resources[_name(f"{attr}_{stage}")] = float(value)
    out = ds[keep] if keep else xr.Dataset()
    out.attrs = {}
    return out, metrics, resources


def _ledger(store: str, event: str, task: CellTask, **extra: Any) -> None:
    """Append one event to the store's ledger (a single ``O_APPEND`` write: lines never mix)."""
    line = io.to_json(
        {
            "event": event,
            "key": task.key,
            "run": task.run_id,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "time": time.time(),
            **extra,
        }
    )
    fd = os.open(Path(store) / LEDGER, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line.replace("\n", " ") + "\n").encode())
    finally:
        os.close(fd)


def _cell_attrs(path: Path) -> dict[str, Any] | None:
    """The attributes of a complete cell group, or None if ``path`` holds no complete cell."""
    try:
        meta = json.loads((path / "zarr.json").read_text())
    except (OSError, ValueError):
        return None
    attrs = meta.get("attributes", {})
    return attrs if attrs.get("complete") else None


def _numbers(text: Any) -> dict[str, float]:
    values = json.loads(text) if isinstance(text, str) else dict(text or {})
    return {k: float("nan") if v is None else float(v) for k, v in values.items()}


def read_cell(store: str | os.PathLike[str], key: str) -> CellOutcome | None:
    """The outcome recorded by a complete cell of ``store`` (None if the cell is not there).

    Reads the group's metadata only.
    """
    attrs = _cell_attrs(Path(store) / CELLS / key)
    if attrs is None:
        return None
    return CellOutcome(
        key=key,
        status=str(attrs.get("status", "done")),
        metrics=_numbers(attrs.get("metrics")),
        resources=_numbers(attrs.get("resources")),
        message=str(attrs.get("message", "")),
        compute_seconds=float(attrs.get("compute_seconds") or float("nan")),
        reused=True,
        pid=int(attrs.get("pid", 0)),
    )


def completed_keys(store: str | os.PathLike[str]) -> set[str]:
    """Keys of the complete cells in ``store`` (temporary and partial groups are not counted)."""
    root = Path(store) / CELLS
    if not root.is_dir():
        return set()
    return {
        p.name for p in root.iterdir() if not p.name.startswith(".") and _cell_attrs(p) is not None
    }


def warm_worker() -> int:
    """Import what cells need and write one tiny group, so a worker's first cell pays no start-up.

    Run on every worker when a sweep starts (``Client.run``); returns the worker's process id.
    """
    import tempfile

    import xarray as xr

    import randrnn.experiments  # noqa: F401  (the experiments and the theory under them)

    with tempfile.TemporaryDirectory() as tmp:
        ds = xr.Dataset({"a": (("i",), np.zeros(3))}, attrs={"metrics": {"a": 1.0}})
        io.save_dataset(ds, Path(tmp) / "w")
    return os.getpid()


def run_cell(task: CellTask) -> CellOutcome:
    """Compute one cell and write its group ``cells/<key>`` into the store.

    A cell already complete in the store is not computed again (its recorded outcome is
    returned, ``reused=True``): a task that Dask runs twice (a worker lost after the write)
    costs nothing the second time. Warnings raised by the experiment are recorded in the cell's
    ``warnings`` attribute instead of being printed. A failure of the science
    (:data:`~randrnn.experiments.THEORY_FAILURES`) is a result: the cell is written with status
    ``theory_failure`` and its message. Any other
    exception propagates, for the scheduler to retry.

    Parameters
    ----------
    task : CellTask
        The cell.

    Returns
    -------
    CellOutcome
        Its status, metrics, resources and timings.
    """
    from threadpoolctl import threadpool_limits

    from randrnn.config import config_from_mapping
    from randrnn.experiments import THEORY_FAILURES, quiet_numerics

    found = read_cell(task.store, task.key)
    if found is not None:
        return found
    _ledger(task.store, "start", task)
    started = time.time()
    t0 = time.perf_counter()
    config = config_from_mapping(task.command, task.tables)  # type: ignore[arg-type]
    status, message = "done", ""
    with (
        threadpool_limits(limits=task.blas_threads),
        quiet_numerics(),
        warnings.catch_warnings(record=True) as caught,
    ):
        # a cell's warnings (e.g. a realization near the edge of stability) are recorded with
        # the cell, not printed by every worker
        warnings.simplefilter("always")
        try:
            result = RUNNERS[task.experiment](config)
        except THEORY_FAILURES as exc:
            status, message, result = "theory_failure", f"{type(exc).__name__}: {exc}", None
    notes = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    compute = time.perf_counter() - t0
    import xarray as xr

    summary = result.summary() if result is not None and hasattr(result, "summary") else None
    if result is not None:
        ds, metrics, resources = cell_dataset(
            result,
            arrays=task.arrays,
            max_array_elements=task.max_array_elements,
            summary=summary,
        )
    else:
        ds, metrics, resources = xr.Dataset(), {}, {}
    resources["seconds"] = compute
    ds.attrs = {
        "complete": True,
        "key": task.key,
        "coords": task.coords,
        "experiment": task.experiment,
        "status": status,
        "message": message,
        "warnings": notes,
        "metrics": metrics,
        "resources": resources,
        "config": config.to_dict() if hasattr(config, "to_dict") else task.tables,
        "run": task.run_id,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": started,
        "compute_seconds": compute,
        **io.provenance(),
    }
    if summary is not None:
        ds.attrs["summary"] = summary
    t1 = time.perf_counter()
    extract = t1 - t0 - compute
    io.save_dataset(ds, Path(task.store) / CELLS / task.key)
    write = time.perf_counter() - t1
    _ledger(
        task.store,
        "done",
        task,
        status=status,
        compute_seconds=compute,
        extract_seconds=extract,
        write_seconds=write,
    )
    return CellOutcome(
        key=task.key,
        status=status,
        metrics=metrics,
        resources=resources,
        message=message,
        compute_seconds=compute,
        write_seconds=write,
        pid=os.getpid(),
    )
