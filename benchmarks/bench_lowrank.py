"""Benchmark: the vectorised latent field of a Gaussian-mixture low-rank network vs a loop.

Latent dynamics of Beiran, Dubreuil, Valente, Mastrogiuseppe & Ostojic (arXiv:2007.02062;
docs/theory.md section 7.1) for rank ``R = 2`` and ``--components`` mixture components (default
10, random means and covariances, fixed seed), evaluated on a ``--grid`` x ``--grid`` lattice of
latent states (default 100 x 100 = 1e4 points) in one run on one machine:

- ``MixtureLatentDynamics.field`` on the whole grid (one call; the Gaussian averages by
  :func:`randrnn.gaussian.derivative_averages`: trapezoid quadrature for tanh, closed forms for
  erf), best of ``--repeats``;
- the naive route on the same states: a Python loop over points and components of the scalar
  ``gaussian.mean`` / ``gaussian.gain``, timed on ``--baseline-points`` points spread evenly
  over the grid (default 300) and extrapolated to the grid; the two fields are compared there;
- ``MixtureLatentDynamics.jacobian`` on the grid, against central differences of the vectorised
  field (``2 R`` field calls, step 1e-5), time and largest difference.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_lowrank.py [--grid 100]
[--components 10] [--threads 1]`` (prints a table and one final JSON line; writes nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from randrnn import gaussian
from randrnn.ensembles.lowrank import GaussianMixture
from randrnn.lowrank import MixtureLatentDynamics

R = 2


def make_mixture(P: int, seed: int) -> GaussianMixture:
    """P components of ``(m_1, m_2, n_1, n_2)``: random means and covariances, random weights."""
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.5, 1.5, P)
    means = rng.standard_normal((P, 2 * R))
    covs = []
    for _ in range(P):
        A = rng.standard_normal((2 * R, 2 * R))
        covs.append(A @ A.T / (2 * R) + 0.1 * np.eye(2 * R))
    return GaussianMixture(weights=w / w.sum(), means=means, covariances=np.array(covs))


def naive_field(dyn: MixtureLatentDynamics, K: Any) -> Any:
    """The field point by point and component by component with the scalar averages."""
    mix = dyn.mixture
    out = np.empty_like(K)
    for i, k in enumerate(K):
        f = -k.copy()
        for p in range(mix.n_components):
            mu, C = mix.means[p], mix.covariances[p]
            mean = float(mu[:R] @ k)
            var = float(k @ C[:R, :R] @ k)
            cov_n = C[R:, :R] @ k
            f += mix.weights[p] * (
                mu[R:] * gaussian.mean(dyn.phi, var, mean=mean)
                + cov_n * gaussian.gain(dyn.phi, var, mean=mean)
            )
        out[i] = f
    return out


def best_of(fn: Any, repeats: int) -> tuple[float, Any]:
    """Smallest wall time over ``repeats`` calls and the last result."""
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run_case(phi: str, mix: GaussianMixture, grid: int, n_base: int, repeats: int) -> dict:
    """Time the vectorised field, the naive loop (extrapolated) and the Jacobian."""
    dyn = MixtureLatentDynamics(mixture=mix, rank=R, phi=phi)
    ax = np.linspace(-2.0, 2.0, grid)
    K = np.stack(np.meshgrid(ax, ax, indexing="ij"), axis=-1).reshape(-1, R)
    dyn.field(K[:10])  # warm-up
    t_field, F = best_of(lambda: dyn.field(K), repeats)
    n_base = min(n_base, K.shape[0])
    sub = np.linspace(0, K.shape[0] - 1, n_base).astype(int)  # spread over the grid
    t0 = time.perf_counter()
    F_naive = naive_field(dyn, K[sub])
    t_naive = (time.perf_counter() - t0) / n_base * K.shape[0]
    t_jac, J = best_of(lambda: dyn.jacobian(K), repeats)
    h = 1e-5

    def fd() -> Any:
        cols = []
        for s in range(R):
            e = np.zeros(R)
            e[s] = h
            cols.append((dyn.field(K + e) - dyn.field(K - e)) / (2 * h))
        return np.stack(cols, axis=-1)

    t_fd, J_fd = best_of(fd, repeats)
    return {
        "phi": phi,
        "points": int(K.shape[0]),
        "components": mix.n_components,
        "field_seconds": t_field,
        "naive_seconds_extrapolated": t_naive,
        "naive_points_timed": n_base,
        "ratio_naive_vs_field": t_naive / t_field,
        "max_abs_diff_field_vs_naive": float(np.abs(F[sub] - F_naive).max()),
        "jacobian_seconds": t_jac,
        "fd_jacobian_seconds": t_fd,
        "ratio_fd_vs_jacobian": t_fd / t_jac,
        "max_abs_diff_jacobian_vs_fd": float(np.abs(J - J_fd).max()),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--grid", type=int, default=100)
    parser.add_argument("--components", type=int, default=10)
    parser.add_argument("--baseline-points", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    mix = make_mixture(args.components, args.seed)
    with threadpool_limits(limits=args.threads, user_api="blas"):
        rows = [
            run_case(phi, mix, args.grid, args.baseline_points, args.repeats)
            for phi in ("tanh", "erf")
        ]
    print(
        f"{'phi':<5} {'points':>6} {'P':>3} {'field[s]':>9} {'naive[s]':>9} {'x naive':>8}"
        f" {'|dF|':>8} {'jac[s]':>8} {'fd jac[s]':>9} {'x fd':>6} {'|dJ|':>8}"
    )
    for r in rows:
        print(
            f"{r['phi']:<5} {r['points']:>6} {r['components']:>3} {r['field_seconds']:>9.4f}"
            f" {r['naive_seconds_extrapolated']:>9.2f} {r['ratio_naive_vs_field']:>8.0f}"
            f" {r['max_abs_diff_field_vs_naive']:>8.1e} {r['jacobian_seconds']:>8.4f}"
            f" {r['fd_jacobian_seconds']:>9.4f} {r['ratio_fd_vs_jacobian']:>6.2f}"
            f" {r['max_abs_diff_jacobian_vs_fd']:>8.1e}"
        )
    print(
        "naive: scalar gaussian.mean/gain in a Python loop, timed on baseline_points points and "
        "extrapolated to the grid; x naive = naive seconds / field seconds; fd jac: central "
        "differences of the vectorised field (2R calls)."
    )
    summary = {
        "benchmark": "lowrank_latent_field_vectorised_vs_scalar_loop",
        "rows": rows,
        "threads": args.threads,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
