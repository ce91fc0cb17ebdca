"""Run a sweep on Dask into one resumable Zarr store, and read it back.

- :func:`run_sweep` -- plan the grid, skip the cells the store already holds, run the rest on a
  ``dask.distributed`` cluster (a ``LocalCluster`` by default, or an existing scheduler), write
  each cell as soon as it is done, then the store's labelled view -> :class:`SweepResult`.
- :func:`assemble_view` -- the view: one ``xarray.Dataset`` with the sweep axes and
  ``realization`` as dimensions, every scalar metric as a variable, cell status and resources.
- :func:`open_sweep`, :func:`open_cell` -- read a store's view, or one cell's arrays.

Store layout (``STORE.zarr``)::

    zarr.json, <variables>     the view (consolidated: ``xarray.open_zarr(STORE)`` reads it)
    cells/<key>/               one Zarr group per complete cell: scalars, kept arrays, config,
                               seeds, provenance (``key`` = ``g=1.5,n=500,realization=0``)
    failures/<key>.json        cells whose worker raised or died after every retry
    ledger.jsonl               start and end of every computation (run, process, times)
    sweep.json                 the plan of the last run (settings, axes, base config, seeds)

Lossless and resumable: a cell's group is written under a temporary name and renamed, so it is
in the store whole or not at all; a rerun computes exactly the cells that are not there. The
view is derived from the cells and rebuilt at the end of every run. A grid may grow between
runs into one store (more values along an axis, more realizations): the cells computed before
are reused, as long as the experiment and the base config are unchanged.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from randrnn import io
from randrnn.sweeps.cells import (
    CELLS,
    LEDGER,
    STATUS_CODES,
    CellOutcome,
    CellTask,
    completed_keys,
    read_cell,
    run_cell,
    warm_worker,
)
from randrnn.sweeps.grid import SweepPlan, plan_sweep

PLAN = "sweep.json"
FAILURES = "failures"
#: entries of the store root that are not part of the view
_KEPT = {CELLS, FAILURES, LEDGER, PLAN}


class SweepStoreError(ValueError):
    """A store that holds something else, or another sweep (different experiment or config)."""


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SweepResult:
    """A finished (or partly finished) sweep.

    Parameters
    ----------
    plan : SweepPlan
        The grid and its cells.
    store : Path
        The Zarr store.
    view : xarray.Dataset
        :func:`assemble_view` of the store after this run.
    computed : tuple of str
        Cells computed in this run.
    reused : tuple of str
        Cells found complete in the store (not computed again).
    failed : dict
        Cells whose worker raised or died after every retry: key -> message (a rerun tries
        them again).
    seconds : dict
        ``cluster`` (start-up), ``cells`` (from the first submission to the last result),
        ``view`` (assembling and writing the view) and ``total``.
    workers : int
        Workers that ran the cells (0 inline).
    """

    plan: SweepPlan
    store: Path
    view: Any
    computed: tuple[str, ...]
    reused: tuple[str, ...]
    failed: dict[str, str]
    seconds: dict[str, float]
    workers: int

    def to_xarray(self) -> Any:
        """The labelled view (dimensions: the axes and ``realization``)."""
        return self.view

    def overhead(self) -> dict[str, float]:
        """What running the cells on the cluster cost beyond computing them (from the ledger).

        - ``per_cell``: the sweep's own cost per cell: reading the experiment's numbers
          (``extract_per_cell``), writing the cell's group (``write_per_cell``) and the gap
          between one cell's end and the next one's start on a worker (``gap_per_cell``:
          scheduling, transfer); ``per_cell_fraction``: that over the mean cell time
          (``cell_mean``, the experiment's own time).
        - ``fraction``: ``1 - compute / busy`` end to end, where ``busy`` is workers x the
          cells' wall time: the above plus workers idle at the end while the last cells run
          (which depends on how evenly the cells divide among the workers, not on the sweep).
        """
        ledger = read_ledger(self.store)
        mine = set(self.computed)
        done = [e for e in ledger if e["event"] == "done" and e["key"] in mine]
        compute = [float(e.get("compute_seconds") or 0.0) for e in done]
        write = [float(e.get("write_seconds") or 0.0) for e in done]
        extract = [float(e.get("extract_seconds") or 0.0) for e in done]
        runs = {e["run"] for e in done}
        gaps: list[float] = []
        by_pid: dict[Any, list[dict[str, Any]]] = {}
        for e in ledger:
            if e["run"] in runs and e["key"] in mine and e["event"] in ("start", "done"):
                by_pid.setdefault((e["host"], e["pid"]), []).append(e)
        for events in by_pid.values():
            events.sort(key=lambda e: e["time"])
            for a, b in itertools.pairwise(events):
                if a["event"] == "done" and b["event"] == "start":
                    gaps.append(float(b["time"]) - float(a["time"]))
        busy = max(self.workers, 1) * self.seconds.get("cells", float("nan"))
        cell_mean = float(np.mean(compute)) if compute else float("nan")
        per_cell = _mean(extract) + _mean(write) + _mean(gaps)
        return {
            "cells": float(len(done)),
            "cell_mean": cell_mean,
            "compute": float(sum(compute)),
            "busy": busy,
            "fraction": 1.0 - sum(compute) / busy if busy > 0 else float("nan"),
            "extract_per_cell": _mean(extract),
            "write_per_cell": _mean(write),
            "gap_per_cell": _mean(gaps),
            "per_cell": per_cell,
            "per_cell_fraction": per_cell / cell_mean if cell_mean > 0 else float("nan"),
        }

    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` content."""
        return {
            "store": str(self.store),
            "experiment": self.plan.settings.experiment,
            "dims": dict(zip(self.plan.dims, self.plan.shape, strict=True)),
            "cells": len(self.plan.cells),
            "computed": len(self.computed),
            "reused": len(self.reused),
            "failed": self.failed,
            "workers": self.workers,
            "seconds": self.seconds,
            "overhead": self.overhead(),
            "plan": self.plan.to_dict(),
            "versions": io.provenance(),
        }


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else 0.0


def read_ledger(store: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The events of a store's ledger (an unfinished last line, from a killed writer, skipped)."""
    path = Path(store) / LEDGER
    if not path.exists():
        return []
    events = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(ValueError):
            events.append(json.loads(line))
    return events


def _prepare_store(path: Path, plan: SweepPlan, force: bool) -> None:
    """Create the store, or check that it holds this sweep (same experiment and base config)."""
    if path.exists() and not path.is_dir():
        raise SweepStoreError(f"`--out` {str(path)!r} is a file; give a directory for the store.")
    meta = path / PLAN
    if path.is_dir() and any(path.iterdir()):
        if not meta.exists():
            if not force:
                raise SweepStoreError(
                    f"{str(path)!r} exists and is not a sweep store; give another `--out`, or "
                    "`--force` to replace it."
                )
            shutil.rmtree(path)
        else:
            old = json.loads(meta.read_text())
            if old.get("fingerprint") != plan.fingerprint():
                if not force:
                    raise SweepStoreError(
                        f"the store {str(path)!r} holds another sweep (experiment "
                        f"{old.get('settings', {}).get('experiment')!r}, a different base "
                        "config); its cells are not comparable with this one's. Give another "
                        "`--out`, or `--force` to replace the store."
                    )
                shutil.rmtree(path)
    (path / CELLS).mkdir(parents=True, exist_ok=True)
    (path / FAILURES).mkdir(exist_ok=True)
    io.write_json(plan.to_dict(), meta)


def _tasks(plan: SweepPlan, store: Path, blas: int, run_id: str, todo: set[str]) -> list[CellTask]:
    st = plan.settings
    return [
        CellTask(
            key=c.key,
            coords=c.coords,
            tables=c.tables,
            experiment=st.experiment,
            command=plan.command,
            store=str(store),
            arrays=st.arrays,
            max_array_elements=st.max_array_elements,
            blas_threads=blas,
            run_id=run_id,
        )
        for c in plan.cells
        if c.key in todo
    ]


@contextlib.contextmanager
def _client(
    scheduler: str | None, workers: int, threads: int, blas: int, retries: int
) -> Iterator[Any]:
    """A Dask client: a new ``LocalCluster`` (closed on exit) or one connected to ``scheduler``."""
    import dask
    from dask.distributed import Client, LocalCluster

    if scheduler and scheduler != "local":
        with Client(scheduler) as client:
            yield client
        return
    threads_env = {
        name: str(blas)
        for name in (
            "OPENBLAS_NUM_THREADS",
            "OMP_NUM_THREADS",
            "MKL_NUM_THREADS",
            "NUMBA_NUM_THREADS",
        )
    }
    dashboard = ":0"
    try:
        import bokeh  # noqa: F401  (the dashboard needs it)
    except ImportError:
        dashboard = None  # type: ignore[assignment]
    with dask.config.set(
        {
            # a cell whose worker dies is rescheduled; after this many deaths it is reported
            "distributed.scheduler.allowed-failures": retries,
            "distributed.nanny.pre-spawn-environ": threads_env,
        }
    ):
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=threads,
            processes=True,
            dashboard_address=dashboard,
            silence_logs=logging.ERROR,
        )
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()


def _record_failure(store: Path, key: str, message: str) -> None:
    io.write_json(
        {"key": key, "message": message, "time": time.time()}, store / FAILURES / f"{key}.json"
    )


def _clear_failure(store: Path, key: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        (store / FAILURES / f"{key}.json").unlink()


def run_sweep(
    config: SweepPlan | Mapping[str, Any],
    store: str | os.PathLike[str],
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    force: bool = False,
    progress: bool | None = None,
    echo: Any = None,
) -> SweepResult:
    """Run every cell of a sweep that ``store`` does not hold yet; write the view.

    Parameters
    ----------
    config : SweepPlan or mapping
        A plan from :func:`~randrnn.sweeps.grid.plan_sweep`, or the config mapping (a
        ``[sweep]`` table and the experiment's tables).
    store : str or Path
        The Zarr store (a directory; created if missing). With a remote ``scheduler`` it must
        be a path that every worker reaches (a shared file system).
    scheduler : str, optional
        ``None`` or ``"local"``: a new ``LocalCluster`` with ``[sweep] workers`` processes;
        ``"inline"``: every cell in this process, one after the other (no Dask, no retries: an
        error stops the sweep, the finished cells stay in the store; for debugging);
        otherwise the address of a running scheduler (``tcp://host:8786``).
    workers : int, optional
        Overrides ``[sweep] workers`` for the local cluster.
    force : bool
        Replace a store that holds something else or another sweep.
    progress : bool, optional
        A progress bar (default: on a terminal).
    echo : callable, optional
        Called with one line of text for the dashboard link (default: print to stderr when
        ``progress`` is on).

    Returns
    -------
    SweepResult
        The view and what this run computed, reused and failed.

    Raises
    ------
    ValueError, TypeError
        A bad config or cell (before any work).
    SweepStoreError
        ``store`` holds something else or another sweep, without ``force``.
    """
    t_start = time.perf_counter()
    plan = config if isinstance(config, SweepPlan) else plan_sweep(config)
    if workers is not None and workers < 1:
        raise ValueError(f"`workers` must be >= 1; got {workers!r}.")
    path = Path(store)
    _prepare_store(path, plan, force)
    st = plan.settings
    n_workers = workers or st.resolved_workers()
    blas = st.resolved_blas_threads(n_workers)
    done = completed_keys(path)
    keys = [c.key for c in plan.cells]
    reused = tuple(k for k in keys if k in done)
    todo = {k for k in keys if k not in done}
    run_id = uuid.uuid4().hex[:12]
    tasks = _tasks(plan, path, blas, run_id, todo)
    show = sys.stderr.isatty() if progress is None else bool(progress)
    say = echo if echo is not None else (lambda text: sys.stderr.write(f"{text}\n"))
    computed: list[str] = []
    failed: dict[str, str] = {}
    seconds = {"cluster": 0.0, "cells": 0.0}
    bar = tqdm(
        total=len(plan.cells),
        initial=len(reused),
        desc=f"sweep {st.experiment}",
        unit="cell",
        disable=not show,
    )

    def finished(outcome: CellOutcome) -> None:
        computed.append(outcome.key)
        _clear_failure(path, outcome.key)
        bar.update(1)

    try:
        if tasks and scheduler == "inline":
            t0 = time.perf_counter()
            for task in tasks:
                finished(run_cell(task))
            seconds["cells"] = time.perf_counter() - t0
            n_workers = 1
        elif tasks:
            from dask.distributed import as_completed

            t0 = time.perf_counter()
            with _client(scheduler, n_workers, st.threads_per_worker, blas, st.retries) as client:
                if scheduler and scheduler != "local":
                    n_workers = max(len(client.scheduler_info().get("workers", {})), 1)
                client.run(warm_worker)  # imports and a first write, before any cell
                seconds["cluster"] = time.perf_counter() - t0
                if show or echo is not None:
                    say(f"Dask dashboard: {client.dashboard_link}")
                t1 = time.perf_counter()
                futures = client.map(
                    run_cell,
                    tasks,
                    key=[f"cell-{run_id}-{t.key}" for t in tasks],
                    pure=False,
                    retries=st.retries,
                )
                by_key = {f.key: t.key for f, t in zip(futures, tasks, strict=True)}
                for fut in as_completed(futures):
                    if fut.status == "finished":
                        finished(fut.result())
                    else:
                        exc = fut.exception()
                        key = by_key[fut.key]
                        failed[key] = f"{type(exc).__name__}: {exc}"
                        _record_failure(path, key, failed[key])
                        bar.update(1)
                    fut.release()
                seconds["cells"] = time.perf_counter() - t1
    finally:
        bar.close()
    t2 = time.perf_counter()
    view = assemble_view(plan, path)
    write_view(view, path)
    seconds["view"] = time.perf_counter() - t2
    seconds["total"] = time.perf_counter() - t_start
    return SweepResult(
        plan=plan,
        store=path,
        view=view,
        computed=tuple(computed),
        reused=reused,
        failed=failed,
        seconds=seconds,
        workers=0 if scheduler == "inline" else n_workers,
    )


def assemble_view(plan: SweepPlan, store: str | os.PathLike[str]) -> Any:
    """The labelled view of a store's cells for ``plan``'s grid.

    Returns
    -------
    xarray.Dataset
        Dimensions: the axes, then ``realization``. Every scalar metric of the cells as a
        float variable (NaN where a cell is missing, failed or has no such metric);
        ``status`` per cell (0 pending, 1 done, 2 theory failure, -1 error after retries);
        resources (``seconds``, ``seconds_<stage>``, ``memory_<stage>``; attribute ``kind =
        "resource"``); the seeds of each realization as coordinates; the plan, failures and
        provenance in ``attrs``.
    """
    import xarray as xr

    path = Path(store)
    shape = plan.shape
    outcomes: dict[tuple[int, ...], CellOutcome] = {}
    status = np.zeros(shape, dtype=np.int8)
    failures: dict[str, str] = {}
    for cell in plan.cells:
        found = read_cell(path, cell.key)
        if found is not None:
            outcomes[cell.index] = found
            status[cell.index] = STATUS_CODES[
                "done" if found.status == "done" else "theory_failure"
            ]
            if found.status != "done":
                failures[cell.key] = found.message
        elif (path / FAILURES / f"{cell.key}.json").exists():
            status[cell.index] = STATUS_CODES["error"]
            with contextlib.suppress(OSError, ValueError):
                failures[cell.key] = json.loads((path / FAILURES / f"{cell.key}.json").read_text())[
                    "message"
                ]
    metric_names: dict[str, None] = {}
    resource_names: dict[str, None] = {}
    for o in outcomes.values():
        metric_names.update(dict.fromkeys(o.metrics))
        resource_names.update(dict.fromkeys(o.resources))
    reserved = {*plan.dims, "status", *(f"seed_{f.replace('.', '_')}" for f in plan.seeds)}
    data: dict[str, Any] = {}
    for names, attr in ((metric_names, "metrics"), (resource_names, "resources")):
        for name in names:
            if name in reserved:  # a config value echoed by the summary (``n``): a coordinate
                continue
            arr = np.full(shape, np.nan)
            for index, o in outcomes.items():
                arr[index] = getattr(o, attr).get(name, np.nan)
            attrs: dict[str, Any] = {}
            if attr == "resources":
                attrs = {"kind": "resource", "units": "bytes" if name.startswith("memory") else "s"}
            data[name] = (plan.dims, arr, attrs)
    data["status"] = (
        plan.dims,
        status,
        {
            "flag_values": list(STATUS_CODES.values()),
            "flag_meanings": " ".join(STATUS_CODES),
            "long_name": "cell status",
        },
    )
    coords: dict[str, Any] = {a.dim: list(a.values) for a in plan.axes}
    coords["realization"] = np.arange(plan.settings.realizations)
    for field_, values in plan.seeds.items():
        coords[f"seed_{field_.replace('.', '_')}"] = (
            "realization",
            np.asarray(values, dtype=np.int64),
        )
    ds = xr.Dataset(data, coords=coords)
    for a in plan.axes:
        ds[a.dim].attrs["field"] = a.field
    ds.attrs.update(io.provenance())
    ds.attrs.update(
        {
            "experiment": plan.settings.experiment,
            "plan": plan.to_dict(),
            "failures": failures,
            "cells_done": int((status == 1).sum()),
            "cells_total": int(status.size),
        }
    )
    return ds


def write_view(view: Any, store: str | os.PathLike[str]) -> None:
    """Write the view into the store's root, keeping its cells, failures, ledger and plan.

    The view is written whole under a temporary name, then its entries are moved into the root
    (metadata last). The view is derived from the cells: a run interrupted here leaves them
    intact, and the next run writes the view again.
    """
    path = Path(store)
    io.remove_stale_siblings(path / "view")
    tmp = io.temp_sibling(path / "view", "tmp")
    try:
        io.save_dataset(view, tmp)
        for entry in path.iterdir():
            if entry.name not in _KEPT and not entry.name.startswith("."):
                if entry.is_dir():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
        names = sorted(os.listdir(tmp), key=lambda n: n == "zarr.json")
        for name in names:
            os.replace(tmp / name, path / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def open_sweep(store: str | os.PathLike[str]) -> Any:
    """The view of a sweep store as an ``xarray.Dataset`` (loaded; attributes decoded).

    ``xarray.open_zarr(store)`` reads the same view lazily (attributes that are tables stay JSON
    strings there).
    """
    return io.load_dataset(Path(store))


def open_cell(store: str | os.PathLike[str], **coords: Any) -> Any:
    """One cell's dataset (its kept arrays, scalars, config and provenance).

    Parameters
    ----------
    store : str or Path
        The sweep store.
    **coords
        The cell's value along every dimension (``g=1.5, n=500, realization=0``).

    Raises
    ------
    KeyError
        No complete cell with these coordinates (the message lists the cells there).
    """
    path = Path(store)
    meta = json.loads((path / PLAN).read_text())
    dims = [a["dim"] for a in meta["axes"]] + ["realization"]
    missing = [d for d in dims if d not in coords]
    if missing or set(coords) - set(dims):
        raise KeyError(f"give one value for each of {dims}; got {sorted(coords)}.")
    from randrnn.sweeps.grid import _format_value

    key = ",".join(f"{d}={_format_value(coords[d])}" for d in dims)
    if read_cell(path, key) is None:
        have = sorted(completed_keys(path))[:5]
        raise KeyError(f"no complete cell {key!r} in {str(path)!r}; cells there include {have}.")
    return io.load_dataset(path / CELLS / key)
