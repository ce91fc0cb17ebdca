"""Benchmark of Jacobian spectra: dense eigenvalues vs n, and the sparse rightmost region.

Run ``.venv/bin/python benchmarks/bench_spectrum.py``; prints a table and one JSON line.
``--sensitivity DIR`` also writes the edge-vs-statistic table (CSV) and figure (theory and
numerics together); ``--quick`` runs small sizes only; ``--skip-timing`` skips the timing table.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from randrnn import rmt, spectra
from randrnn.ensembles import (
    STATISTICS,
    HalfNormal,
    JacobianEnsemble,
    LogNormal,
    Uniform,
    default_ei,
    vary,
)


def ei(n: int) -> JacobianEnsemble:
    """The reference E/I ensemble (:func:`randrnn.ensembles.default_ei`)."""
    return default_ei(n)


def sparse_ei(n: int, degree_factor: float = 0.05) -> JacobianEnsemble:
    """Same block variances as :func:`ei`, connection probabilities times ``degree_factor``."""
    return vary(
        vary(ei(n), "sparsity", degree_factor), "weight_scale", 1 / math.sqrt(degree_factor)
    )


def bench_dense(sizes: list[int]) -> list[dict]:
    rows = []
    for n in sizes:
        ens = ei(n)
        t0 = time.perf_counter()
        s = ens.sample(0)
        t_sample = time.perf_counter() - t0
        sp = spectra.eigenvalues(s)
        est = spectra.edge_estimate(sp.eigenvalues)
        rows.append(
            dict(
                case="dense",
                n=n,
                nnz=int(s.W.nnz),
                k=n,
                sample_s=t_sample,
                eig_s=sp.seconds,
                edge_numeric=est.edge,
                edge_pred=rmt.spectral_edge(ens).edge,
            )
        )
    return rows


def bench_sparse(sizes: list[int], k: int) -> list[dict]:
    rows = []
    for n in sizes:
        ens = sparse_ei(n)
        t0 = time.perf_counter()
        s = ens.sample(0)
        t_sample = time.perf_counter() - t0
        sp = spectra.rightmost_eigenvalues(s, k=k)
        est = spectra.edge_estimate(sp.eigenvalues, n_tail=k)
        rows.append(
            dict(
                case="arnoldi_LR",
                n=n,
                nnz=int(s.W.nnz),
                k=k,
                sample_s=t_sample,
                eig_s=sp.seconds,
                edge_numeric=est.edge,
                max_real=est.max_real,
                edge_pred=rmt.spectral_edge(ens).edge,
            )
        )
    return rows


def sensitivity(out: Path, n: int, n_realizations: int) -> list[dict]:
    import matplotlib.pyplot as plt

    from randrnn.plots.spectrum import plot_edge_sensitivity

    base = JacobianEnsemble.excitatory_inhibitory(
        n=n,
        p_ee=0.1,
        p_ei=0.3,
        p_ie=0.3,
        p_ii=0.3,
        weight_e=HalfNormal(scale=1.5),
        weight_i=LogNormal(median=1.5, sigma=0.6),
        tau_e=1.0,
        tau_i=Uniform(low=1.0, high=3.0),
        gain_e=Uniform(low=0.5, high=1.5),
        gain_i=Uniform(low=0.5, high=1.5),
    )
    grid = {
        "sparsity": [0.25, 0.5, 1.0, 2.0],
        "fraction_excitatory": [0.6, 0.7, 0.8, 0.9],
        "weight_scale": [0.6, 0.8, 1.0, 1.4],
        "tau_spread": [0.0, 0.3, 0.6, 0.9],
        "gain_spread": [0.0, 0.3, 0.6, 0.95],
    }
    fig, axes = plt.subplots(1, len(STATISTICS), figsize=(3.2 * len(STATISTICS), 3))
    rows = []
    for ax, st in zip(axes, STATISTICS, strict=True):
        th = rmt.edge_sensitivity(base, st, grid[st])
        me = spectra.measure_edge_sensitivity(base, st, grid[st], n_realizations=n_realizations)
        plot_edge_sensitivity(th, me, ax=ax)
        for v, ep, en, se in zip(th.values, th.edge, me.edge, me.edge_se, strict=True):
            rows.append(
                dict(
                    statistic=st,
                    value=float(v),
                    edge_pred=float(ep),
                    edge_numeric=float(en),
                    edge_numeric_se=float(se),
                    z=float((en - ep) / se),
                    dev_over_height=float((en - ep) / th.height[0]),
                )
            )
    fig.suptitle(f"spectral edge vs statistic (n = {n}, {n_realizations} realizations)")
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "edge_sensitivity.png", dpi=110)
    with open(out / "edge_sensitivity.csv", "w") as fh:
        fh.write(",".join(rows[0]) + "\n")
        for r in rows:
            fh.write(
                ",".join(f"{v:.6g}" if isinstance(v, float) else str(v) for v in r.values()) + "\n"
            )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--sensitivity", type=Path, default=None, help="write table + figure here")
    ap.add_argument("--sens-n", type=int, default=600)
    ap.add_argument("--skip-timing", action="store_true", help="only the sensitivity part")
    ap.add_argument("--sens-realizations", type=int, default=3)
    args = ap.parse_args()
    dense_sizes = [250, 500] if args.quick else [500, 1000, 2000]
    sparse_sizes = [2000] if args.quick else [5000, 20000]
    if args.skip_timing:
        dense_sizes, sparse_sizes = [], []
    rows = bench_dense(dense_sizes) + bench_sparse(sparse_sizes, k=30)
    hdr = (
        f"{'case':<11}{'n':>7}{'nnz':>10}{'k':>6}{'sample s':>10}{'eig s':>9}"
        f"{'edge num':>10}{'edge pred':>10}"
    )
    print(hdr)
    for r in rows:
        print(
            f"{r['case']:<11}{r['n']:>7}{r['nnz']:>10}{r['k']:>6}{r['sample_s']:>10.2f}"
            f"{r['eig_s']:>9.2f}{r['edge_numeric']:>10.4f}{r['edge_pred']:>10.4f}"
        )
    result = {"benchmark": "spectrum", "rows": rows}
    big = [r for r in rows if r["case"] == "arnoldi_LR" and r["n"] == 20000]
    if big:
        result["n20000_rightmost_seconds"] = big[0]["sample_s"] + big[0]["eig_s"]
    if args.sensitivity is not None:
        sens = sensitivity(args.sensitivity, args.sens_n, args.sens_realizations)
        for r in sens:
            print(
                f"{r['statistic']:<20}{r['value']:>7.2f}  pred {r['edge_pred']:>8.4f}  "
                f"num {r['edge_numeric']:>8.4f} +- {r['edge_numeric_se']:.4f}  z {r['z']:>6.2f}"
            )
        result["sensitivity_max_abs_z"] = float(np.max(np.abs([r["z"] for r in sens])))
        result["sensitivity_max_dev_over_height"] = float(
            np.max(np.abs([r["dev_over_height"] for r in sens]))
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
