"""Wall time and peak memory of each stage of the run experiment vs N, and their exponents.

A sweep (:func:`randrnn.sweeps.run_sweep`) of the run experiment with its default preset
(tanh, g = 3, B = 128 trials, T = 1000) over N, 2 coupling realizations each, into
``validation/results/stage_scaling.zarr``; then :func:`randrnn.sweeps.stage_scaling`: per stage
(dmft, prediction, simulation, comparison) and the total, the mean and SE at each N and the
power-law exponents vs N, against the large-N costs of the algorithms
(:data:`randrnn.sweeps.THEORY_EXPONENTS`: simulation ~ N^2 per step at fixed B and T, the
prediction's eigendecomposition ~ N^3, memory ~ N^2).

One worker process with one BLAS thread: the memory readings (peak resident memory above each
stage's start, from the kernel) are that process's alone, and the timings are not contended by
a second cell. The worker is reused across cells, so a stage that needs no more memory than
the process already holds reads close to 0.

The default preset also samples the fourth cumulants of 2000 unit quadruples in the simulation
(the Wick test, ``simulation.n_quadruples``): an N-independent cost (about 600 MB and most of the
simulation's time at N <= 500 with T = 200) that hides the N^2 of the GEMM at these sizes;
``--set simulation.n_quadruples=0`` leaves the GEMM and the statistics.

    python validation/stage_scaling.py                      # N = 250, 500, 1000, 2000
    python validation/stage_scaling.py --sizes 250 500 1000 --set simulation.t_max=200

Writes ``stage_scaling.json`` (the table, exponents, the sweep's overhead and the settings) and
``stage_scaling.png`` beside the store.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from randrnn.io import apply_overrides


def _table(prof) -> str:  # type: ignore[no-untyped-def]
    head = f"{'stage':<11} {'quantity':<9}" + "".join(f"{'N=' + str(v):>14}" for v in prof.values)
    head += f"{'exponent':>18}{'theory':>8}"
    lines = [head, "-" * len(head)]
    ex = prof.exponents()
    for i, s in enumerate(prof.stages):
        for kind, mean, se, scale, unit in (
            ("time", prof.seconds, prof.seconds_se, 1.0, "s"),
            ("memory", prof.memory, prof.memory_se, 2.0**-20, "MiB"),
        ):
            key = "seconds" if kind == "time" else "memory"
            if s == "total" and kind == "memory":
                continue
            cells = "".join(
                f"{mean[i, j] * scale:>8.3g}±{se[i, j] * scale:<5.2g}"
                for j in range(len(prof.values))
            )
            e, es, th = ex[s][key], ex[s][f"{key}_se"], ex[s][f"{key}_theory"]
            lines.append(f"{s:<11} {kind + ' ' + unit:<9}{cells}{e:>10.2f} ± {es:<5.2f}{th:>8.3g}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[250, 500, 1000, 2000])
    ap.add_argument("--realizations", type=int, default=2)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="Override the run preset, e.g. --set simulation.t_max=200 (repeatable).",
    )
    ap.add_argument("--out", default="validation/results", help="Folder of the store and files.")
    ap.add_argument("--force", action="store_true", help="Replace a store of another sweep.")
    a = ap.parse_args()

    from randrnn.sweeps import run_sweep, stage_scaling

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    config = apply_overrides(
        {
            "sweep": {
                "experiment": "run",
                "realizations": a.realizations,
                "workers": a.workers,
                "blas_threads": 1,
                "ensemble": {"n": list(a.sizes)},
            }
        },
        a.overrides,
    )
    load = os.getloadavg()
    t0 = time.perf_counter()
    result = run_sweep(config, out / "stage_scaling.zarr", force=a.force, progress=True)
    wall = time.perf_counter() - t0
    load_after = os.getloadavg()
    if result.failed:
        print("failed cells:", json.dumps(result.failed, indent=1))
    prof = stage_scaling(result.view)
    print(
        f"\nrun experiment, default preset with {a.overrides or 'no overrides'}; "
        f"{a.realizations} realization(s) per N; {result.workers} worker(s), 1 BLAS thread; "
        f"{len(result.computed)} cell(s) computed, {len(result.reused)} reused, "
        f"{wall:.0f} s; load average {load[0]:.2f} before, {load_after[0]:.2f} after\n"
    )
    print(_table(prof))
    summary = {
        "sizes": list(a.sizes),
        "realizations": a.realizations,
        "workers": result.workers,
        "blas_threads": 1,
        "overrides": a.overrides,
        "wall_seconds": wall,
        "loadavg_before": load[0],
        "loadavg_after": load_after[0],
        "computed": len(result.computed),
        "reused": len(result.reused),
        "failed": result.failed,
        "overhead": result.overhead(),
        "stage_scaling": prof.summary(),
    }
    (out / "stage_scaling.json").write_text(json.dumps(summary, indent=1))

    from randrnn.plots.sweep import stage_scaling as stage_figure
    from randrnn.report import use_headless_backend

    use_headless_backend()
    fig = stage_figure(prof)
    fig.savefig(out / "stage_scaling.png", dpi=110, bbox_inches="tight")
    print(f"\nwrote {out / 'stage_scaling.json'}, {out / 'stage_scaling.png'}")


if __name__ == "__main__":
    main()
