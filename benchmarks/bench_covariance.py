"""Timing of the linear-equivalent covariance prediction: eigenbasis formula vs quadrature.

Run ``python benchmarks/bench_covariance.py [--sizes 1000 2000 4000] [--quadrature-sizes 1000
2000]``. Prints a table (seconds per stage: eigendecomposition, transforms, assembly) and a
final JSON line. The residual is a synthetic exponential (mu1 = 0.3, s_r(0) = 0.25, rate 0.3,
plausible for tanh at g = 3) and J is i.i.d. Gaussian with g = 3.2, so g * mu1 = 0.96.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np

from randrnn.covariance import ResidualStatistics, linear_equivalent_covariance
from randrnn.ensembles import GaussianEnsemble

MU1 = 0.3
G = 3.2  # g * mu1 = 0.96


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000])
    parser.add_argument("--quadrature-sizes", type=int, nargs="*", default=[1000, 2000])
    parser.add_argument("--sigma", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    res = ResidualStatistics.exponential(amplitude=0.25, rate=0.3, mu1=MU1)
    rows = []
    for n in sorted(set(args.sizes) | set(args.quadrature_sizes)):
        J = GaussianEnsemble(n=n, g=G).sample(args.seed)
        row: dict = {"n": n}
        eig = None
        if n in args.sizes:
            t0 = time.perf_counter()
            eig = linear_equivalent_covariance(J, res, sigma=args.sigma, method="eigen")
            row["eigen_total"] = time.perf_counter() - t0
            row.update({f"eigen_{k}": v for k, v in eig.seconds.items()})
            row["cond_v"] = eig.cond_v
            row["min_re_alpha"] = eig.min_re_alpha
        if n in args.quadrature_sizes:
            t0 = time.perf_counter()
            quad = linear_equivalent_covariance(J, res, sigma=args.sigma, method="quadrature")
            row["quad_total"] = time.perf_counter() - t0
            row.update({f"quad_{k}": v for k, v in quad.seconds.items()})
            row["quad_n_freq"] = quad.n_freq
            row["min_re_alpha"] = quad.min_re_alpha
            if eig is not None:
                row["rel_diff_c_phi"] = float(
                    np.linalg.norm(eig.c_phi - quad.c_phi) / np.linalg.norm(quad.c_phi)
                )
                row["rel_diff_c_x"] = float(
                    np.linalg.norm(eig.c_x - quad.c_x) / np.linalg.norm(quad.c_x)
                )
        rows.append(row)
        print(json.dumps(row), flush=True)

    cols = [
        ("n", "{:>6d}"),
        ("eigen_eig", "{:>10.2f}"),
        ("eigen_transforms", "{:>10.4f}"),
        ("eigen_assembly", "{:>10.2f}"),
        ("eigen_total", "{:>10.2f}"),
        ("quad_n_freq", "{:>8d}"),
        ("quad_total", "{:>10.2f}"),
        ("rel_diff_c_phi", "{:>10.1e}"),
        ("cond_v", "{:>10.1e}"),
        ("min_re_alpha", "{:>8.4f}"),
    ]
    print(" ".join(f"{c:>{max(8, len(c))}}" for c, _ in cols))
    for row in rows:
        cells = []
        for c, fmt in cols:
            width = max(8, len(c))
            cells.append(fmt.format(row[c]).rjust(width) if c in row else "-".rjust(width))
        print(" ".join(cells))
    meta = {
        "benchmark": "covariance",
        "g": G,
        "mu1": MU1,
        "sigma": args.sigma,
        "cpu_count": os.cpu_count(),
        "load_avg_1min": os.getloadavg()[0],
        "machine": platform.machine(),
        "rows": rows,
    }
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
