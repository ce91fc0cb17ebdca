"""The JAX backend on an NVIDIA GPU: simulator step time and the quadrature prediction.

Run on a machine with a GPU and ``pip install "randrnn[jax]" "jax[cuda12]"``::

    python benchmarks/gpu_backend.py --out gpu_backend.json

It checks ``jax.devices()`` and exits with a message when there is no GPU (``--cpu-smoke``
runs the same code on the CPU at tiny sizes, to check that it executes). Measured, each as a
ratio against the bare operation it cannot avoid, on the same device:

- simulator (:func:`randrnn.simulate`, ``backend="jax"``, chaotic tanh, g = 2, sigma = 0.5,
  float32) per step for N in (2000, 5000, 10000, 20000) and B in (64, 256, 1024), with all
  equal-time statistics every 10 steps (``all stats``; the ``N x N`` block sums are fetched
  and folded in by NumPy on the host once per block) and with the means only
  (``means only``: no ``N x N`` work on the host), against the bare float32 GEMM
  ``(B x N) @ (N x N)`` (``Precision.HIGHEST``, as the simulator's step) in a jitted loop;
  combinations whose device or host memory would exceed 80 % of what is available are
  skipped;
- the covariance prediction, ``linear_equivalent_covariance(method="quadrature",
  backend="jax")`` at N = 8000, against the bare batched complex128 solve
  ``jnp.linalg.solve(I - aJ, I)`` times the number of frequency nodes (second call; the first,
  with compilation, is reported as ``first_call_s``).

Prints a table and writes the rows to the JSON file given by ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from typing import Any

import numpy as np

from randrnn import GaussianEnsemble, RateNetwork, Seeds, realize
from randrnn.covariance import ResidualStatistics, linear_equivalent_covariance
from randrnn.simulate import SimulationSettings, simulate


def _gpu_or_exit(cpu_smoke: bool) -> Any:
    if cpu_smoke:
        os.environ["JAX_PLATFORMS"] = "cpu"  # before JAX starts: everything on the CPU
    try:
        import jax
    except ImportError:
        sys.exit('JAX is not installed: pip install "randrnn[jax]" "jax[cuda12]".')
    if cpu_smoke:
        return jax.devices("cpu")[0]
    gpus = [d for d in jax.devices() if d.platform == "gpu"]
    if not gpus:
        sys.exit(
            f"no GPU visible to JAX (jax.devices() = {jax.devices()}); install jax[cuda12] on "
            "a machine with an NVIDIA GPU, or run with --cpu-smoke to check the script on the "
            "CPU."
        )
    return gpus[0]


def _device_bytes(device: Any) -> float:
    stats = device.memory_stats() if hasattr(device, "memory_stats") else None
    if stats and "bytes_limit" in stats:
        return float(stats["bytes_limit"])
    return _host_bytes()


def _host_bytes() -> float:
    return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def _bare_gemm(n: int, B: int, reps: int) -> float:
    import jax
    import jax.numpy as jnp

    @jax.jit
    def loop(P, JT, reps):
        def body(i, H):
            s = 1.0 + i.astype(P.dtype) * 1e-7  # keeps the product inside the loop
            return H + jnp.matmul(P * s, JT, precision=jax.lax.Precision.HIGHEST)

        return jax.lax.fori_loop(0, reps, body, jnp.zeros_like(P))

    rng = np.random.default_rng(0)
    P = jnp.asarray(np.tanh(rng.standard_normal((B, n))).astype(np.float32))
    JT = jnp.asarray((rng.standard_normal((n, n)) / np.sqrt(n)).astype(np.float32))
    loop(P, JT, 2).block_until_ready()
    t = time.perf_counter()
    loop(P, JT, reps).block_until_ready()
    return (time.perf_counter() - t) / reps


def _sim_step(real: Any, B: int, n_steps: int, stats: bool) -> tuple[float, float]:
    dt = 0.05
    st = SimulationSettings(
        dt=dt,
        t_max=n_steps * dt,
        burn_in=0.0,
        n_trials=B,
        stats_every=10,
        n_blocks=4,
        max_lag=0.0,
        covariance=stats,
        cross_covariance=stats,
        backend="jax",
        progress=False,
    )
    first = simulate(real, st)  # compiles
    sim = simulate(real, st)
    return sim.seconds["integrate"] / sim.n_steps, first.seconds["setup"]


def _bare_solve(n: int) -> float:
    import jax
    import jax.numpy as jnp

    with jax.enable_x64(True):
        J = jnp.asarray(np.random.default_rng(1).normal(0, 1.0 / np.sqrt(n), (n, n)))
        eye = jnp.eye(n, dtype=jnp.complex128)

        @jax.jit
        def solve(a):
            A = eye - a * J
            return jnp.linalg.solve(A[None], eye[None])

        solve(0.3 + 0.1j).block_until_ready()
        t = time.perf_counter()
        solve(0.2 + 0.2j).block_until_ready()
        return time.perf_counter() - t


def _prediction(n: int) -> dict[str, Any]:
    J = np.random.default_rng(0).normal(0, 1.5 / np.sqrt(n), (n, n))
    res = ResidualStatistics.exponential(amplitude=0.3, rate=1.5, mu1=0.5)
    t = time.perf_counter()
    linear_equivalent_covariance(J, res, sigma=0.4, method="quadrature", backend="jax")
    first = time.perf_counter() - t  # with compilation
    t = time.perf_counter()
    pred = linear_equivalent_covariance(J, res, sigma=0.4, method="quadrature", backend="jax")
    total = time.perf_counter() - t
    solve = _bare_solve(n)
    quad = pred.seconds["assembly"]
    return {
        "n": n,
        "n_freq": pred.n_freq,
        "first_call_s": first,
        "total_s": total,
        "eig_s": pred.seconds["eig"],
        "quadrature_s": quad,
        "bare_solve_s": solve,
        "ratio": quad / (pred.n_freq * solve),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="JSON file for the results")
    ap.add_argument("--cpu-smoke", action="store_true", help="tiny sizes on the CPU")
    ap.add_argument("--steps", type=int, default=200, help="timed steps per run (default 200)")
    ap.add_argument("--sizes", type=int, nargs="+", help="override the N values")
    ap.add_argument("--batches", type=int, nargs="+", help="override the B values")
    ap.add_argument("--pred-n", type=int, help="override the prediction N (default 8000)")
    args = ap.parse_args()
    device = _gpu_or_exit(args.cpu_smoke)
    import jax

    sizes = args.sizes or ([120, 240] if args.cpu_smoke else [2000, 5000, 10000, 20000])
    batches = args.batches or ([8, 32] if args.cpu_smoke else [64, 256, 1024])
    pred_n = args.pred_n or (150 if args.cpu_smoke else 8000)
    n_steps = max(40, args.steps - args.steps % 40)
    dev_mem, host_mem = _device_bytes(device), _host_bytes()
    print(
        f"# {device.device_kind} ({device.platform}), jax {jax.__version__}, "
        f"{platform.node()}, device memory {dev_mem / 2**30:.0f} GiB, "
        f"host memory {host_mem / 2**30:.0f} GiB"
    )
    print(
        f"{'N':>6} {'B':>5} {'gemm ms':>9} {'all ms':>9} {'all/gemm':>8} {'means ms':>9} "
        f"{'means/gemm':>10} {'compile s':>9}"
    )
    rows: list[dict[str, Any]] = []
    for n in sizes:
        real = realize(
            RateNetwork(ensemble=GaussianEnsemble(n=n, g=2.0), phi="tanh", sigma=0.5), Seeds()
        )
        for B in batches:
            # device: J^T, three N x N block sums, their copies on return, states and noise
            need_dev = 4.0 * (6 * n * n + 16 * B * n)
            st = SimulationSettings(
                t_max=n_steps * 0.05,
                burn_in=0.0,
                n_trials=B,
                n_blocks=4,
                max_lag=0.0,
                stats_every=10,
            )
            need_host = float(st.estimated_bytes(n))
            if need_dev > 0.8 * dev_mem or need_host > 0.8 * host_mem:
                print(
                    f"{n:>6} {B:>5} skipped: needs {need_dev / 2**30:.1f} GiB on the device, "
                    f"{need_host / 2**30:.1f} GiB on the host"
                )
                rows.append({"n": n, "B": B, "skipped": True})
                continue
            gemm = _bare_gemm(n, B, max(20, n_steps // 2))
            t_all, compile_s = _sim_step(real, B, n_steps, stats=True)
            t_means, _ = _sim_step(real, B, n_steps, stats=False)
            row = {
                "n": n,
                "B": B,
                "steps": n_steps,
                "gemm_ms": gemm * 1e3,
                "all_stats_ms": t_all * 1e3,
                "all_stats_over_gemm": t_all / gemm,
                "means_only_ms": t_means * 1e3,
                "means_only_over_gemm": t_means / gemm,
                "compile_s": compile_s,
            }
            rows.append(row)
            print(
                f"{n:>6} {B:>5} {gemm * 1e3:>9.3f} {t_all * 1e3:>9.3f} {t_all / gemm:>8.2f} "
                f"{t_means * 1e3:>9.3f} {t_means / gemm:>10.2f} {compile_s:>9.2f}",
                flush=True,
            )
    pred = _prediction(pred_n)
    print(
        f"\nprediction (quadrature, jax) N = {pred_n}: {pred['n_freq']} nodes, "
        f"quadrature {pred['quadrature_s']:.2f} s, eig (host) {pred['eig_s']:.2f} s, bare "
        f"solve {pred['bare_solve_s'] * 1e3:.1f} ms per node, ratio {pred['ratio']:.2f}"
    )
    result = {
        "benchmark": "gpu_backend",
        "device": f"{device.device_kind} ({device.platform})",
        "jax": jax.__version__,
        "cpu_smoke": args.cpu_smoke,
        "simulate": rows,
        "prediction": pred,
    }
    with open(args.out, "w") as fh:
        json.dump(result, fh, indent=1)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
