"""Simulator step time vs the bare float32 GEMM it cannot avoid, and vs a plain NumPy loop.

Run: ``.venv/bin/python benchmarks/bench_simulate.py [--quick]``. Prints a table and, last, one
JSON line. All ratios are measured in the same process, interleaved, on the same matrices:

- ``gemm``: ``np.matmul(P, JT, out=H)`` with ``P`` (B x N) and ``JT`` (N x N), float32;
- ``randrnn``: :func:`randrnn.simulate` per step (chaotic tanh, g = 2, sigma = 0), with all
  equal-time statistics (means, cov x, cov phi, cross-cov) sampled every 10 steps and the
  autocovariance off (``--acf`` turns it on);
- ``plain``: the loop a careful researcher writes in NumPy -- exponential Euler, ``np.tanh``,
  the same statistics every 10 steps accumulated with ``X.T @ X`` products into float64.

Also: the noisy case (sigma = 0.5), the step without statistics (``nostats``: GEMM + fused
update only) and the peak RSS of a N = 4000, B = 256 run in a fresh
subprocess.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

from randrnn import GaussianEnsemble, RateNetwork, Seeds, realize
from randrnn.simulate import SimulationSettings, simulate


def _gemm_time(P: np.ndarray, JT: np.ndarray, reps: int) -> float:
    H = np.empty_like(P)
    for _ in range(5):
        np.matmul(P, JT, out=H)
    t = time.perf_counter()
    for _ in range(reps):
        np.matmul(P, JT, out=H)
    return (time.perf_counter() - t) / reps


def _plain_loop(J: np.ndarray, B: int, n_steps: int, every: int, dt: float) -> float:
    """A careful plain NumPy loop: float32 state, float64 statistics every ``every`` steps."""
    n = J.shape[0]
    rng = np.random.default_rng(0)
    e = np.float32(np.exp(-dt))
    JT = np.ascontiguousarray(((1 - e) * J).T.astype(np.float32))
    X = rng.standard_normal((B, n)).astype(np.float32)
    sxx = np.zeros((n, n))
    spp = np.zeros((n, n))
    sxp = np.zeros((n, n))
    sx = np.zeros(n)
    sp = np.zeros(n)
    t = time.perf_counter()
    for k in range(n_steps):
        P = np.tanh(X)
        if k % every == 0:
            sxx += X.T @ X
            spp += P.T @ P
            sxp += X.T @ P
            sx += X.sum(0)
            sp += P.sum(0)
        X = e * X + P @ JT
    return (time.perf_counter() - t) / n_steps


def _ours(
    real, B: int, n_steps: int, every: int, dt: float, acf: bool, stats: bool = True
) -> float:
    # 4 blocks of equal length; no burn-in so that every step is a timed, sampled step
    t_max = n_steps * dt
    st = SimulationSettings(
        dt=dt,
        t_max=t_max,
        burn_in=0.0,
        n_trials=B,
        stats_every=every,
        n_blocks=4,
        max_lag=5.0 if acf else 0.0,
        acf_every=5,
        covariance=stats,
        cross_covariance=stats,
        progress=False,
    )
    sim = simulate(real, st)
    return sim.seconds["integrate"] / sim.n_steps


def peak_rss(n: int, B: int, steps: int) -> float:
    """Peak RSS (GiB) of a fresh process running ``steps`` steps at (n, B) with all statistics."""
    code = (
        "import resource\n"
        "from randrnn import *\n"
        "from randrnn.simulate import *\n"
        f"net=RateNetwork(ensemble=GaussianEnsemble(n={n}, g=2.0), phi='tanh')\n"
        "r=realize(net, Seeds())\n"
        f"st=SimulationSettings(dt=0.05, t_max={steps}*0.05, burn_in=0.0, n_trials={B},"
        " n_blocks=4, stats_every=10, max_lag=1.0, acf_every=5, progress=False)\n"
        "s=simulate(r, st)\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')]\n"
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(int(hwm[0].split()[1]) if hwm else rss)\n"
    )
    # VmHWM is the peak of this process image only; ru_maxrss can carry the parent's peak
    # across fork + exec on Linux (measured: +0.2 GB when called from this benchmark)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024**2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="N in {500, 1000}, B in {32, 128}")
    ap.add_argument("--acf", action="store_true", help="also stream the autocovariance")
    ap.add_argument("--no-rss", action="store_true", help="skip the N=4000 peak-RSS run")
    ap.add_argument("--sizes", type=int, nargs="+", help="override the N values")
    ap.add_argument("--batches", type=int, nargs="+", help="override the B values")
    args = ap.parse_args()
    sizes = args.sizes or ([500, 1000] if args.quick else [500, 1000, 2000, 4000])
    batches = args.batches or ([32, 128] if args.quick else [32, 128, 256])
    dt, every = 0.05, 10
    rows = []
    print(
        f"{'N':>5} {'B':>4} {'gemm ms':>8} {'ours ms':>8} {'ratio':>6} {'plain ms':>9} "
        f"{'plain/gemm':>10} {'noisy ms':>9} {'noisy/gemm':>10} {'nostats/gemm':>12}"
    )
    for n in sizes:
        net = RateNetwork(ensemble=GaussianEnsemble(n=n, g=2.0), phi="tanh")
        real = realize(net, Seeds())
        noisy = realize(
            RateNetwork(ensemble=GaussianEnsemble(n=n, g=2.0), phi="tanh", sigma=0.5), Seeds()
        )
        JT = np.ascontiguousarray(real.J.T.astype(np.float32))
        for B in [1, *batches] if n == 1000 else batches:
            P = np.tanh(np.random.default_rng(1).standard_normal((B, n))).astype(np.float32)
            n_steps = int(max(200, min(4000, 4e10 / (B * n * n) * 10)))
            n_steps -= n_steps % (every * 4)
            reps = max(20, n_steps // 4)
            g1 = _gemm_time(P, JT, reps)
            ours = _ours(real, B, n_steps, every, dt, args.acf)
            g2 = _gemm_time(P, JT, reps)
            plain = _plain_loop(real.J, B, max(every * 4, n_steps // 4), every, dt)
            ours_noisy = _ours(noisy, B, n_steps, every, dt, args.acf)
            g3 = _gemm_time(P, JT, reps)
            bare = _ours(real, B, n_steps, every, dt, False, stats=False)
            g4 = _gemm_time(P, JT, reps)
            gemm = float(np.median([g1, g2, g3, g4]))
            row = {
                "n": n,
                "B": B,
                "gemm_ms": gemm * 1e3,
                "ours_ms": ours * 1e3,
                "ratio": ours / gemm,
                "plain_ms": plain * 1e3,
                "plain_ratio": plain / gemm,
                "noisy_ms": ours_noisy * 1e3,
                "noisy_ratio": ours_noisy / gemm,
                "nostats_ms": bare * 1e3,
                "nostats_ratio": bare / gemm,
                "gemm_spread": (max(g1, g2, g3, g4) - min(g1, g2, g3, g4)) / gemm,
            }
            rows.append(row)
            print(
                f"{n:>5} {B:>4} {row['gemm_ms']:>8.3f} {row['ours_ms']:>8.3f} "
                f"{row['ratio']:>6.2f} {row['plain_ms']:>9.3f} {row['plain_ratio']:>10.2f} "
                f"{row['noisy_ms']:>9.3f} {row['noisy_ratio']:>10.2f} "
                f"{row['nostats_ratio']:>12.2f}",
                flush=True,
            )
    result = {"benchmark": "simulate", "rows": rows}
    if not args.no_rss:
        result["peak_rss_gib_n4000_b256"] = peak_rss(4000, 256, 200)
        print(
            f"peak RSS, N=4000 B=256, all statistics: {result['peak_rss_gib_n4000_b256']:.2f} GiB"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
