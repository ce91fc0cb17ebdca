"""Training noise vs the timescales and the Jacobian spectrum of trained E/I networks.

Rungratsameetaweemana, Kim, Chotibut & Sejnowski (PNAS 2025) report that noise during training
slows and diversifies the inhibitory timescales and leaves the networks near marginally stable
equilibria; Chotibut, Evnin & Horinouchi (arXiv:2512.12767) model the Jacobians by the sparse
E/I ensemble. For every training-noise level and seed this script trains a network on the DMS
task for a fixed number of iterations (:func:`randrnn.training.train`), measures its accuracy on
fresh noisy trials, the time constants by population, finds its equilibria with no input
(:func:`randrnn.experiments.trained.analyze_equilibria`) and compares the rightmost Jacobian
eigenvalue with the fitted ensemble's predicted edge. Networks are trained in parallel on a Dask
``LocalCluster`` (one process per core).

Run: ``OPENBLAS_NUM_THREADS=1 python validation/trained_noise_sweep.py [--quick]``; writes
``validation/results/trained_noise_sweep.json`` and ``.png`` (time constants, rightmost eigenvalue
and predicted edges vs noise) and prints the table (mean +- SE over seeds).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).parent / "results"


def one_network(noise: float, seed: int, n: int, iterations: int, root: str) -> dict[str, Any]:
    """Train one network, evaluate it, analyse its equilibrium; the row of the table."""
    from threadpoolctl import threadpool_limits

    from randrnn.experiments.trained import analyze_equilibria
    from randrnn.rmt import CavitySettings
    from randrnn.training import TrainSettings, train

    t0 = time.perf_counter()
    settings = TrainSettings(
        n=n, noise=noise, seed=seed, n_iterations=iterations, target_accuracy=None
    )
    where = Path(root) / f"noise{noise:g}_seed{seed}"
    net = train(settings, out=where / "checkpoints", progress=False)
    net.save(where / "network")
    accuracy = net.evaluate(n_trials=1000, seed=seed + 1000)
    tau = np.asarray(net.tau)
    inh = np.asarray(net.inhibitory, dtype=bool)
    row: dict[str, Any] = {
        "noise": noise,
        "seed": seed,
        "iterations": net.iterations,
        "train_seconds": net.seconds,
        "accuracy": accuracy,
        "tau_E_mean": float(tau[~inh].mean()),
        "tau_E_sd": float(tau[~inh].std(ddof=1)),
        "tau_I_mean": float(tau[inh].mean()),
        "tau_I_sd": float(tau[inh].std(ddof=1)),
    }
    try:
        with threadpool_limits(1):
            res = analyze_equilibria(
                net.realization(),
                n_random=32,
                cavity=CavitySettings(pool=500, burn_in=30, sweeps=60, batches=6),
            )
        c = res.comparison
        row.update(
            {
                "fixed_points": len(res.fixed_points),
                "residual": res.residual,
                "rightmost": res.rightmost,
                "edge_sparse_pred": float(c.edge.edge),
                "edge_dense_pred": float(c.dense_edge),
                "rightmost_pred": float(c.rightmost_predicted),
                "max_abs_z": float(np.max(np.abs(c.z))),
                "regions": c.rows(),
            }
        )
    except (ValueError, RuntimeError) as exc:  # no fixed point found, a solver failure
        row["analysis_error"] = f"{type(exc).__name__}: {exc}"
    row["seconds"] = time.perf_counter() - t0
    return row


def _table(rows: list[dict[str, Any]]) -> str:
    keys = [
        ("accuracy", "{:.3f}"),
        ("tau_E_mean", "{:.2f}"),
        ("tau_E_sd", "{:.2f}"),
        ("tau_I_mean", "{:.2f}"),
        ("tau_I_sd", "{:.2f}"),
        ("rightmost", "{:.4f}"),
        ("edge_sparse_pred", "{:.4f}"),
        ("edge_dense_pred", "{:.4f}"),
    ]
    lines = ["| noise | seeds | " + " | ".join(k for k, _ in keys) + " |"]
    lines.append("|" + "---|" * (len(keys) + 2))
    for noise in sorted({r["noise"] for r in rows}):
        sel = [r for r in rows if r["noise"] == noise]
        cells = []
        for k, fmt in keys:
            v = np.array([r.get(k, np.nan) for r in sel], dtype=float)
            v = v[np.isfinite(v)]
            if v.size == 0:
                cells.append("—")
                continue
            se = v.std(ddof=1) / np.sqrt(v.size) if v.size > 1 else float("nan")
            cells.append(f"{fmt.format(v.mean())} ± {fmt.format(se)}")
        lines.append(f"| {noise:g} | {len(sel)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    """Time constants by population, and the rightmost eigenvalue with the predicted edges, vs
    the training noise (mean +- SE over seeds)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    noises = sorted({r["noise"] for r in rows})

    def stat(key: str) -> tuple[np.ndarray, np.ndarray]:
        m, e = [], []
        for noise in noises:
            v = np.array([r.get(key, np.nan) for r in rows if r["noise"] == noise], dtype=float)
            v = v[np.isfinite(v)]
            m.append(v.mean() if v.size else np.nan)
            e.append(v.std(ddof=1) / np.sqrt(v.size) if v.size > 1 else np.nan)
        return np.array(m), np.array(e)

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for key, label, color in (
        ("tau_E_mean", "E mean", "C0"),
        ("tau_I_mean", "I mean", "C3"),
    ):
        m, e = stat(key)
        axes[0].errorbar(noises, m, e, marker="o", color=color, label=label, capsize=3)
    axes[0].set_ylabel("time constant (steps)")
    for key, label, color in (("tau_E_sd", "E SD", "C0"), ("tau_I_sd", "I SD", "C3")):
        m, e = stat(key)
        axes[1].errorbar(noises, m, e, marker="s", color=color, label=label, capsize=3)
    axes[1].set_ylabel("SD of the time constants")
    for key, label, color in (
        ("rightmost", "rightmost eigenvalue", "k"),
        ("edge_sparse_pred", "predicted edge (finite c)", "C3"),
        ("edge_dense_pred", "predicted edge (dense)", "C0"),
    ):
        m, e = stat(key)
        axes[2].errorbar(noises, m, e, marker="o", color=color, label=label, capsize=3)
    axes[2].axhline(0.0, color="0.6", lw=0.6)
    axes[2].set_ylabel("Re λ")
    for ax in axes:
        ax.set_xlabel("training noise σ")
        ax.legend(fontsize=8)
    fig.suptitle("trained E/I networks (DMS) vs training noise; mean ± SE over seeds", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 seeds, 150 iterations, n = 100.")
    ap.add_argument("--noise", default="0.1,0.5,1.0", help="Comma-separated noise levels.")
    ap.add_argument("--seeds", type=int, default=None, help="Seeds per level (default 3).")
    ap.add_argument("--iterations", type=int, default=None, help="Training iterations.")
    ap.add_argument("--n", type=int, default=None, help="Units (default 200).")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--plot-only", action="store_true", help="Redraw the figure from the JSON.")
    a = ap.parse_args()
    if a.plot_only:
        data = json.loads((RESULTS / "trained_noise_sweep.json").read_text())
        print(_table(data["rows"]))
        plot(data["rows"], RESULTS / "trained_noise_sweep.png")
        return
    noises = [float(v) for v in a.noise.split(",")]
    seeds = a.seeds or (2 if a.quick else 3)
    iterations = a.iterations or (150 if a.quick else 500)
    n = a.n or (100 if a.quick else 200)
    root = RESULTS / "trained_noise_sweep"
    jobs = [(noise, seed) for noise in noises for seed in range(seeds)]
    t0 = time.perf_counter()
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True) as cluster,
        Client(cluster) as client,
    ):
        futures = [
            client.submit(one_network, noise, seed, n, iterations, str(root), pure=False)
            for noise, seed in jobs
        ]
        rows = client.gather(futures)
    wall = time.perf_counter() - t0
    table = _table(rows)
    print(
        f"n = {n}, DMS, {iterations} iterations, seeds {seeds}, {a.workers} workers, {wall:.0f} s"
    )
    print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "trained_noise_sweep.json").write_text(
        json.dumps(
            {"n": n, "iterations": iterations, "seeds": seeds, "wall_seconds": wall, "rows": rows},
            indent=1,
            default=float,
        )
    )
    plot(rows, RESULTS / "trained_noise_sweep.png")


if __name__ == "__main__":
    main()
