"""Benchmark of spectra of sparse E/I Jacobians by strongly connected components.

Two tables on the inhibitory-core preset (``JacobianEnsemble.inhibitory_core``, mean inhibitory
in-degree c = 4; Chotibut, Evnin & Horinouchi 2025, arXiv:2512.12767; ``docs/theory.md``
section 5.5):

1. All eigenvalues of one sample: :func:`randrnn.spectra.eigenvalues_by_components` against
   dense LAPACK (:func:`randrnn.spectra.eigenvalues`) on the same sample -- seconds, their
   ratio, and the agreement (largest difference of the sorted real and of the sorted imaginary
   parts, and the exact bar count against the dense eigenvalues at a pole).
2. Rightmost region (:func:`randrnn.spectra.rightmost_sparse`): dense blocks against Arnoldi on
   the giant component, with the 0.99 and 0.999 quantiles of all real parts.

Run ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_spectrum_sparse.py`` (single
BLAS thread: the timings then compare algorithms, not thread counts); ``--quick`` runs small
sizes only. Prints both tables and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from randrnn import spectra
from randrnn.ensembles import JacobianEnsemble


def preset(n: int, surviving: float = 0.0) -> JacobianEnsemble:
    """The inhibitory-core preset with mean inhibitory in-degree 4."""
    return JacobianEnsemble.inhibitory_core(n=n, in_degree=4.0, surviving=surviving)


def bench_full(sizes: list[int], seed: int) -> list[dict]:
    rows = []
    for n in sizes:
        s = preset(n).sample(seed)
        cs = spectra.eigenvalues_by_components(s)
        dense = spectra.eigenvalues(s)
        lam_d, lam_c = dense.eigenvalues, cs.eigenvalues
        poles = spectra.at_poles(lam_d, -1.0 / s.tau, rtol=1e-8)
        rows.append(
            dict(
                n=n,
                giant=cs.giant_size,
                n_exact=cs.n_exact,
                components_s=cs.seconds,
                dense_s=dense.seconds,
                ratio=dense.seconds / cs.seconds,
                max_dre=float(np.max(np.abs(np.sort(lam_d.real) - np.sort(lam_c.real)))),
                max_dim=float(np.max(np.abs(np.sort(lam_d.imag) - np.sort(lam_c.imag)))),
                dense_at_poles=int(np.count_nonzero(poles)),
            )
        )
    return rows


def bench_rightmost(cases: list[tuple[int, float, tuple[str, ...]]], seed: int) -> list[dict]:
    rows = []
    for n, surviving, methods in cases:
        t0 = time.perf_counter()
        s = preset(n, surviving).sample(seed)
        t_sample = time.perf_counter() - t0
        ref = None
        for method in methods:
            r = spectra.rightmost_sparse(s, method=method)
            row = dict(
                n=n,
                surviving=surviving,
                method=r.method,
                giant=r.giant_size,
                k=r.k,
                sample_s=t_sample,
                seconds=r.seconds,
                rightmost=r.rightmost.real,
                q99=float(r.quantile_real[0]),
                q999=float(r.quantile_real[1]),
            )
            if ref is None:
                ref = r
            else:
                row["d_rightmost"] = abs(r.rightmost.real - ref.rightmost.real)
                row["d_quantile"] = float(np.max(np.abs(r.quantile_real - ref.quantile_real)))
            rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.quick:
        sizes = [1000, 2000]
        cases = [(5000, 0.0, ("components", "arnoldi")), (5000, 0.05, ("arnoldi",))]
    else:
        sizes = [5000, 10000]
        cases = [
            (10000, 0.0, ("components", "arnoldi")),
            (20000, 0.0, ("components", "arnoldi")),
            (20000, 0.05, ("arnoldi",)),
        ]
    full = bench_full(sizes, args.seed)
    print("all eigenvalues: components vs dense LAPACK (same sample)")
    print(
        f"{'n':>7}{'giant':>7}{'exact':>7}{'comp s':>9}{'dense s':>9}{'ratio':>8}"
        f"{'max dRe':>10}{'max dIm':>10}{'dense@pole':>11}"
    )
    for r in full:
        print(
            f"{r['n']:>7}{r['giant']:>7}{r['n_exact']:>7}{r['components_s']:>9.2f}"
            f"{r['dense_s']:>9.2f}{r['ratio']:>8.1f}{r['max_dre']:>10.1e}{r['max_dim']:>10.1e}"
            f"{r['dense_at_poles']:>11}"
        )
    right = bench_rightmost(cases, args.seed)
    print("\nrightmost region: dense giant block vs Arnoldi on the giant component")
    print(
        f"{'n':>7}{'surv':>6}{'method':>12}{'giant':>7}{'k':>5}{'seconds':>9}"
        f"{'rightmost':>11}{'q0.99':>9}{'q0.999':>9}{'d right':>9}{'d quant':>9}"
    )
    for r in right:
        d1 = f"{r['d_rightmost']:>9.1e}" if "d_rightmost" in r else f"{'':>9}"
        d2 = f"{r['d_quantile']:>9.1e}" if "d_quantile" in r else f"{'':>9}"
        print(
            f"{r['n']:>7}{r['surviving']:>6.2f}{r['method']:>12}{r['giant']:>7}{r['k']:>5}"
            f"{r['seconds']:>9.2f}{r['rightmost']:>11.5f}{r['q99']:>9.4f}{r['q999']:>9.4f}{d1}{d2}"
        )
    print(json.dumps({"benchmark": "spectrum_sparse", "full": full, "rightmost": right}))


if __name__ == "__main__":
    main()
