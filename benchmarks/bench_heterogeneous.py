"""Timing of the heterogeneous prediction (static input) against the homogeneous one.

Run ``python benchmarks/bench_heterogeneous.py [--sizes 1000 2000]``. For tanh, g = 1.5,
sigma = 0.5, sigma_b = 0.8 (the static-input validation network) it times, in one run on the
same realization: the realization mean field, the per-unit residual statistics, the eigenbasis
prediction with per-unit gains, the naive closure with per-unit statistics, the lagged traces
(51 lags), and as the baseline the homogeneous eigenbasis prediction on the same J (what the
prediction cost before units had their own gains), plus one bare ``numpy.linalg.eig`` of J.
Prints a table and a final JSON line with the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np

from randrnn import GaussianEnsemble, RateNetwork, Seeds, realize, solve_stationary
from randrnn.covariance import (
    ResidualStatistics,
    heterogeneous_covariance,
    heterogeneous_naive_closure,
    lagged_covariance,
    linear_equivalent_covariance,
    realization_mean_field,
    unit_residuals,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000])
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        net = RateNetwork(ensemble=GaussianEnsemble(n=n, g=1.5), phi="tanh", sigma=0.5, sigma_b=0.8)
        dmft = solve_stationary(net)
        real = realize(net, Seeds(coupling=args.seed, input=args.seed + 1))
        dd = dmft.delta - dmft.delta_inf
        row: dict = {"n": n}
        t0 = time.perf_counter()
        np.linalg.eig(real.J)
        row["bare_eig"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        mf = realization_mean_field(real.J, real.b, "tanh", dd[0])
        row["mean_field"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        units = unit_residuals("tanh", mf.means, dmft.lags, dd)
        row["unit_residuals"] = time.perf_counter() - t0
        row["mean_nodes"] = units.n_nodes[0]
        t0 = time.perf_counter()
        heterogeneous_covariance(real.J, units, sigma=0.5, method="eigen")
        row["heterogeneous_eigen"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        heterogeneous_naive_closure(real.J, units, sigma=0.5)
        row["naive_closure"] = time.perf_counter() - t0
        lags = dmft.lags[1] * np.arange(0, 401, 8)
        t0 = time.perf_counter()
        lagged_covariance(real.J, units, lags, sigma=0.5)
        row["lagged_51"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        linear_equivalent_covariance(
            real.J, ResidualStatistics.from_dmft(dmft), sigma=0.5, method="eigen"
        )
        row["homogeneous_eigen"] = time.perf_counter() - t0
        row["prediction_total"] = (
            row["mean_field"] + row["unit_residuals"] + row["heterogeneous_eigen"]
        )
        row["ratio_total_vs_homogeneous"] = row["prediction_total"] / row["homogeneous_eigen"]
        row["ratio_total_vs_bare_eig"] = row["prediction_total"] / row["bare_eig"]
        rows.append(row)
        print(
            " ".join(
                f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()
            ),
            flush=True,
        )
    print(
        json.dumps(
            {
                "rows": rows,
                "machine": platform.processor() or platform.machine(),
                "cpus": os.cpu_count(),
                "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
            }
        )
    )


if __name__ == "__main__":
    main()
