"""Sweep throughput with 1 and 2 workers, and the per-cell cost of the cluster for 10 s cells.

Run: ``.venv/bin/python benchmarks/bench_sweep.py [--quick]``. Prints a table and, last, one
JSON line. Every sweep runs the run experiment on a fresh ``LocalCluster`` into a fresh store
(a temporary folder), one BLAS thread per cell:

- ``throughput``: the same small grid (g x realizations at one N, cells of about 1-2 s) with 1
  worker, then with 2; cells per minute from the first submission to the last result
  (``SweepResult.seconds["cells"]``), and including the cluster's start-up and the view.
- ``overhead``: 8 cells of about 10 s on 2 workers (N = 600, T = 100, B = 32: the prediction's
  eigendecomposition, ~N^3, alone takes ~20 s at N = 1000 on one core, so a 10 s cell is
  smaller; ``--n``, ``--t-max``, ``--trials`` to change it); per cell ``(workers x wall -
  sum of the cells' experiment times) / cells``
  (:meth:`randrnn.sweeps.SweepResult.overhead`: scheduling, transfers, writing the cell's
  group, and workers idle at the end when the cells do not divide evenly), as a fraction of the
  mean cell time, and the mean time to write a cell (from the store's ledger,
  :func:`randrnn.sweeps.read_ledger`).

The overhead is split from the store's ledger (per worker process): ``in cell`` (a cell's own
work outside the experiment: its config, its dataset, writing its group), ``between`` (from one
cell's end to the next one's start on a worker: scheduling and transfer) and ``idle`` (the rest:
workers starting, and idle at the end while the last cells run). The overhead grid draws its
realizations from ``seeds.coupling = 1``: with the preset's seed, realization 0 at N = 600 has a
prediction stage of ~50 s against 5-10 s for the others, and that one cell would make the idle
time of the other worker the whole overhead.

The load average before and after each part is printed: on a shared machine the other work
slows both workers, and a second worker only helps when a second core is free.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

#: the small grid's experiment tables (cells of about 1-2 s on one core)
SMALL = {
    "simulation": {
        "t_max": 100.0,
        "n_trials": 16,
        "max_lag": 4.0,
        "n_blocks": 8,
        "n_quadruples": 200,
    },
}


def _sweep(config: dict[str, Any], workers: int, root: Path, name: str) -> dict[str, Any]:
    from randrnn.sweeps import read_ledger, run_sweep

    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    result = run_sweep(config, root / f"{name}.zarr", workers=workers, progress=False)
    wall = time.perf_counter() - t0
    events = read_ledger(result.store)
    ledger = [e for e in events if e["event"] == "done"]
    compute = [float(e["compute_seconds"]) for e in ledger]
    write = [float(e["write_seconds"]) for e in ledger]
    ov = result.overhead()
    cells = len(result.computed)
    # the ledger per worker process: time inside a cell but outside the experiment (config,
    # the cell's dataset, writing), time between one cell's end and the next one's start on the
    # same worker (scheduling, transfer), and the rest of workers x wall (start-up of the
    # workers, idle workers at the end)
    starts = {e["key"]: float(e["time"]) for e in events if e["event"] == "start"}
    spans: dict[int, list[float]] = {}
    in_cell = 0.0
    for e in ledger:
        t0, t1 = starts[e["key"]], float(e["time"])
        in_cell += t1 - t0
        lo_hi = spans.setdefault(int(e["pid"]), [t0, t1])
        lo_hi[0], lo_hi[1] = min(lo_hi[0], t0), max(lo_hi[1], t1)
    span = sum(hi - lo for lo, hi in spans.values())
    per = max(cells, 1)
    return {
        "workers": result.workers,
        "cells": cells,
        "failed": len(result.failed),
        "seconds": result.seconds,
        "wall": wall,
        "cells_per_minute": 60 * cells / result.seconds["cells"],
        "cells_per_minute_total": 60 * cells / wall,
        "cell_mean": statistics.fmean(compute) if compute else float("nan"),
        "cell_min": min(compute, default=float("nan")),
        "cell_max": max(compute, default=float("nan")),
        "overhead_per_cell": (ov["busy"] - ov["compute"]) / cells if cells else float("nan"),
        "overhead_fraction": ov["fraction"],
        "in_cell_per_cell": (in_cell - sum(compute)) / per,
        "between_cells_per_cell": (span - in_cell) / per,
        "idle_per_cell": (ov["busy"] - span) / per,
        "write_per_cell": ov["write_per_cell"],
        "sweep_per_cell": ov["per_cell"],
        "sweep_per_cell_fraction": ov["per_cell_fraction"],
        "extract_per_cell": ov["extract_per_cell"],
        "gap_per_cell": ov["gap_per_cell"],
        "write_max": max(write, default=float("nan")),
        "load_before": load,
        "load_after": os.getloadavg()[0],
    }


def _config(
    n: int, g: list[float], realizations: int, tables: dict[str, Any], workers: int
) -> dict[str, Any]:
    return {
        "sweep": {
            "experiment": "run",
            "realizations": realizations,
            "workers": workers,
            "blas_threads": 1,
            "retries": 0,
            "arrays": "small",
            "ensemble": {"g": g, "n": [n]},
        },
        **json.loads(json.dumps(tables)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="Fewer, shorter cells.")
    ap.add_argument("--small-n", type=int, default=150, help="N of the throughput grid.")
    ap.add_argument(
        "--n", type=int, default=None, help="N of the overhead cells (default 600; quick 400)."
    )
    ap.add_argument(
        "--t-max", type=float, default=None, help="Duration of the overhead cells' simulation."
    )
    ap.add_argument("--trials", type=int, default=32, help="Trials of the overhead cells.")
    a = ap.parse_args()

    g = [2.0, 2.5, 3.0]
    realizations = 2 if a.quick else 4
    n_big = a.n if a.n is not None else (400 if a.quick else 600)
    t_max = a.t_max if a.t_max is not None else (60.0 if a.quick else 100.0)
    big_cells = 4 if a.quick else 8
    big = {
        "seeds": {"coupling": 1},
        "simulation": {
            "t_max": t_max,
            "n_trials": a.trials,
            "max_lag": 4.0,
            "n_blocks": 8,
            "n_quadruples": 500,
        },
    }
    rows: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        root = Path(tmp)
        for w in (1, 2):
            rows[f"throughput, {w} worker(s)"] = _sweep(
                _config(a.small_n, g, realizations, SMALL, w), w, root, f"small{w}"
            )
        rows["overhead, 2 workers"] = _sweep(
            _config(n_big, [3.0], big_cells, big, 2), 2, root, "big"
        )

    one, two = rows["throughput, 1 worker(s)"], rows["throughput, 2 worker(s)"]
    print(
        f"run experiment; throughput grid: N = {a.small_n}, g = {g}, {realizations} "
        f"realizations ({len(g) * realizations} cells); overhead: N = {n_big}, T = {t_max:g}, "
        f"B = {a.trials}, {big_cells} cells on 2 workers; 1 BLAS thread per cell; "
        f"{os.cpu_count()} cores\n"
    )
    head = (
        f"{'sweep':<24}{'cells':>6}{'cell s':>8}{'min-max':>12}{'cells/min':>10}{'(+start)':>9}"
        f"{'start s':>8}{'ovh/cell s':>11}{'ovh frac':>9}{'write s':>8}{'in cell':>8}"
        f"{'between':>8}{'idle':>7}{'load':>11}"
    )
    print(head)
    print("-" * len(head))
    # columns: cell s = mean experiment time of a cell (min-max); cells/min from the first
    # submission to the last result ((+start): with the cluster's start-up and the view);
    # ovh/cell = (workers x wall - compute) / cells = in cell + between + idle
    for name, r in rows.items():
        print(
            f"{name:<24}{r['cells']:>6}{r['cell_mean']:>8.2f}"
            f"{r['cell_min']:>6.1f}-{r['cell_max']:<5.1f}{r['cells_per_minute']:>10.1f}"
            f"{r['cells_per_minute_total']:>9.1f}{r['seconds']['cluster']:>8.2f}"
            f"{r['overhead_per_cell']:>11.3f}{r['overhead_fraction']:>9.3f}"
            f"{r['write_per_cell']:>8.3f}{r['in_cell_per_cell']:>8.3f}"
            f"{r['between_cells_per_cell']:>8.3f}{r['idle_per_cell']:>7.3f}"
            f"{r['load_before']:>5.1f}->{r['load_after']:<4.1f}"
        )
    speedup = two["cells_per_minute"] / one["cells_per_minute"]
    big_row = rows["overhead, 2 workers"]
    print(
        f"\n2 workers / 1 worker throughput: {speedup:.2f}x (cells only; "
        f"{two['cells_per_minute_total'] / one['cells_per_minute_total']:.2f}x with start-up "
        f"and view). 10 s cells: overhead {big_row['overhead_per_cell']:.2f} s per cell "
        f"({100 * big_row['overhead_per_cell'] / big_row['cell_mean']:.1f} % of a cell), "
        f"writing {big_row['write_per_cell'] * 1000:.0f} ms per cell.\n"
        f"The sweep's own cost per 10 s cell (SweepResult.overhead()['per_cell']: reading the "
        f"results {big_row['extract_per_cell'] * 1000:.0f} ms + writing the cell "
        f"{big_row['write_per_cell'] * 1000:.0f} ms + scheduling gap "
        f"{big_row['gap_per_cell'] * 1000:.0f} ms) = {big_row['sweep_per_cell']:.3f} s, "
        f"{100 * big_row['sweep_per_cell_fraction']:.1f} % of the mean cell time; the rest of "
        "ovh/cell is workers starting and idle at the end (uneven cells)."
    )
    print(json.dumps({"quick": a.quick, "speedup": speedup, **rows}, default=float))


if __name__ == "__main__":
    main()
