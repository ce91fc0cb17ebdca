"""Benchmark: batched fixed-point search vs a Python loop of ``scipy.optimize.root`` (hybr).

Two tanh networks of ``--n`` units (default 500), each in one run on one machine:

- ``g = 1.2`` with static input ``sigma_b = 0.5``: Newton converges from random starts.
  ``--starts`` (default 1000) random starts (:func:`randrnn.fixedpoints.random_starts`) go
  through :func:`randrnn.fixedpoints.find_fixed_points` (``eigen=False``; Newton systems by
  batched GMRES, LU where GMRES does not converge) and through
  :func:`randrnn._fixedpoint.batched_newton` with direct LU solves only (no Krylov, no
  minimisation fallback, no de-duplication, ``max_step`` unbounded): the second baseline;
- ``g = 2`` without input (chaotic): most starts stall and end in the minimisation of
  :math:`|F|^2/2` (slow points); fewer starts (``--chaotic-starts``, default 40).

Baseline, same network, same starts, same run: ``scipy.optimize.root(F, x0, jac=J,
method="hybr", options={"xtol": 1e-13})`` (MINPACK hybrj, exact Jacobian; its default
``xtol`` stops near ``|F| ~ 1e-9``, so it is tightened to reach the finder's accuracy) in a
Python loop over the first ``--baseline-starts`` starts (default 50), timed on that subset and
extrapolated per search.
A start counts as converged when ``|F(x)|_2 <= 1e-11`` (the finder's ``tol``) for every
method; hybr's own success flag is reported separately. Where Newton and hybr both converged
from the same start, the roots are compared (same point if the max-norm distance is at most
``1e-8 (1 + |x|_inf)``), and every converged hybr root is looked up among the finder's
distinct fixed points.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_fixedpoints.py [--n 500]
[--starts 1000] [--threads 1]`` (prints a table and one final JSON line). BLAS threads are
limited with threadpoolctl to ``--threads``; a BLAS started with fewer threads (the
environment variable) cannot be raised above them, so set both.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from typing import Any

import numpy as np
from scipy.optimize import root
from threadpoolctl import threadpool_info, threadpool_limits

from randrnn import GaussianEnsemble, RateNetwork, Seeds, realize
from randrnn import _fixedpoint as _solvers
from randrnn.fixedpoints import find_fixed_points, random_starts, rate_field

TOL = 1e-11
#: hybr's relative step tolerance: its default (1.5e-8) stops at |F| ~ 1e-9, above TOL
HYBR_XTOL = 1e-13
CASES = (
    ("tanh g=1.2 sigma_b=0.5", 1.2, 0.5, "starts"),
    ("tanh g=2 no input (chaotic)", 2.0, 0.0, "chaotic_starts"),
)


def _same(a: Any, b: Any) -> Any:
    """Max-norm distance of rows ``a`` and ``b`` relative to ``1 + |b|_inf``."""
    return np.abs(a - b).max(axis=-1) / (1.0 + np.abs(b).max(axis=-1))


def run_case(label: str, g: float, sigma_b: float, n: int, n_starts: int, n_base: int, seed: int):  # type: ignore[no-untyped-def]
    """Time the three methods on one network and compare their roots."""
    real = realize(
        RateNetwork(ensemble=GaussianEnsemble(n=n, g=g), phi="tanh", sigma_b=sigma_b),
        Seeds(coupling=seed, input=seed + 1),
    )
    f = rate_field(real)
    X0 = random_starts(real, n_starts, seed=seed)
    find_fixed_points(real, starts=X0[:2], n_random=0, eigen=False)  # warm-up

    t0 = time.perf_counter()
    fp = find_fixed_points(real, starts=X0, n_random=0, eigen=False, tol=TOL)
    t_find = time.perf_counter() - t0

    t0 = time.perf_counter()
    nw = _solvers.batched_newton(f, f.jacobian, X0, tol=TOL, max_iter=100)
    t_newton = time.perf_counter() - t0

    n_base = min(n_base, n_starts)
    xh = np.empty((n_base, n))
    flag = np.zeros(n_base, dtype=bool)
    t0 = time.perf_counter()
    for k in range(n_base):
        sol = root(f, X0[k], jac=f.jacobian, method="hybr", options={"xtol": HYBR_XTOL})
        xh[k], flag[k] = sol.x, sol.success
    t_hybr = time.perf_counter() - t0
    conv_h = np.linalg.norm(f(xh), axis=1) <= TOL
    conv_n = nw.converged & (nw.residual <= TOL)

    # roots from the same start, where both converged
    both = np.flatnonzero(conv_n[:n_base] & conv_h)
    dist = _same(nw.x[both], xh[both]) if both.size else np.zeros(0)
    same = dist <= 1e-8
    # converged hybr roots among the finder's distinct fixed points
    fixed = fp.points[fp.kind == "fixed"]
    if fixed.shape[0] and conv_h.any():
        d = _same(xh[conv_h][:, None, :], fixed[None, :, :]).min(axis=1)
        in_finder = int(np.sum(d <= 1e-8))
    else:
        in_finder = 0

    s = fp.starts
    row: dict[str, Any] = {
        "case": label,
        "n": n,
        "starts": n_starts,
        "find_seconds": t_find,
        "find_per_second": n_starts / t_find,
        "newton_seconds": t_newton,
        "newton_per_second": n_starts / t_newton,
        "newton_mean_iterations": float(np.mean(nw.n_iter)),
        "frac_converged_newton": s["converged_newton"] / s["total"],
        "frac_minimization": s["minimization"] / s["total"],
        "frac_slow": s["slow"] / s["total"],
        "frac_failed": s["failed"] / s["total"],
        "n_fixed": int(np.sum(fp.kind == "fixed")),
        "n_slow": int(np.sum(fp.kind == "slow")),
        "newton_alone_converged": float(np.mean(conv_n)),
        "baseline_starts": n_base,
        "hybr_seconds_subset": t_hybr,
        "hybr_seconds_per_search": t_hybr / n_base,
        "hybr_per_second": n_base / t_hybr,
        "hybr_extrapolated_seconds": t_hybr / n_base * n_starts,
        "frac_converged_hybr": float(np.mean(conv_h)),
        "frac_hybr_success_flag": float(np.mean(flag)),
        "ratio_hybr_vs_find": (t_hybr / n_base) / (t_find / n_starts),
        "ratio_hybr_vs_newton": (t_hybr / n_base) / (t_newton / n_starts),
        "both_converged": int(both.size),
        "same_root": int(np.sum(same)),
        "different_root": int(np.sum(~same)),
        "max_distance_same_root": float(dist[same].max()) if same.any() else None,
        "hybr_roots_in_finder": in_finder,
        "hybr_converged": int(np.sum(conv_h)),
    }
    return row


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--starts", type=int, default=1000)
    parser.add_argument("--chaotic-starts", type=int, default=40)
    parser.add_argument("--baseline-starts", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows = []
    with threadpool_limits(limits=args.threads, user_api="blas"):
        blas = [
            {k: i.get(k) for k in ("internal_api", "num_threads", "version")}
            for i in threadpool_info()
            if i.get("user_api") == "blas"
        ]
        for label, g, sigma_b, key in CASES:
            rows.append(
                run_case(
                    label,
                    g,
                    sigma_b,
                    args.n,
                    getattr(args, key),
                    args.baseline_starts,
                    args.seed,
                )
            )
    print(
        f"{'case':<28} {'starts':>6} {'find[s]':>8} {'find/s':>7} {'newton[s]':>9}"
        f" {'newton/s':>8} {'hybr[s/1]':>9} {'hybr/s':>7} {'x find':>7} {'x newton':>8}"
    )
    for r in rows:
        print(
            f"{r['case']:<28} {r['starts']:>6} {r['find_seconds']:>8.2f}"
            f" {r['find_per_second']:>7.1f} {r['newton_seconds']:>9.2f}"
            f" {r['newton_per_second']:>8.1f} {r['hybr_seconds_per_search']:>9.3f}"
            f" {r['hybr_per_second']:>7.2f} {r['ratio_hybr_vs_find']:>7.1f}"
            f" {r['ratio_hybr_vs_newton']:>8.1f}"
        )
    print(
        f"\n{'case':<28} {'newton':>7} {'to min':>7} {'slow':>6} {'failed':>7} {'fixed':>6}"
        f" {'slow pts':>8} {'newton alone':>12} {'hybr |F|<=tol':>13} {'hybr flag':>9}"
        f" {'same/both':>9} {'max dist':>9} {'hybr in finder':>14}"
    )
    for r in rows:
        md = r["max_distance_same_root"]
        print(
            f"{r['case']:<28} {r['frac_converged_newton']:>7.3f} {r['frac_minimization']:>7.3f}"
            f" {r['frac_slow']:>6.3f} {r['frac_failed']:>7.3f} {r['n_fixed']:>6}"
            f" {r['n_slow']:>8} {r['newton_alone_converged']:>12.3f}"
            f" {r['frac_converged_hybr']:>13.3f} {r['frac_hybr_success_flag']:>9.3f}"
            f" {r['same_root']:>4}/{r['both_converged']:<4}"
            f" {'-' if md is None else f'{md:.1e}':>9}"
            f" {r['hybr_roots_in_finder']:>6}/{r['hybr_converged']:<7}"
        )
    print(
        "hybr timed on the first baseline_starts starts and extrapolated per search; "
        "x find / x newton: hybr seconds per search over the batched method's."
    )
    summary = {
        "benchmark": "fixed_points_batched_vs_scipy_hybr",
        "tol": TOL,
        "hybr_xtol": HYBR_XTOL,
        "rows": rows,
        "machine": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "threads": args.threads,
        "blas": blas,
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
