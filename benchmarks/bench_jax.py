"""The JAX backend against the NumPy one on the CPU: simulator step time and the quadrature.

Run: ``.venv/bin/python benchmarks/bench_jax.py [--quick]``. For a single-thread comparison set
``OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1`` and
``XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"`` (printed at
the top). Prints a table and, last, one JSON line. Everything is measured in one process,
interleaved, on the same matrices:

- ``gemm np`` / ``gemm jax``: the bare float32 GEMM ``(B x N) @ (N x N)`` in NumPy
  (``np.matmul(..., out=)``) and in JAX (inside one jitted ``fori_loop``, no dispatch per
  product);
- ``np`` / ``jax``: :func:`randrnn.simulate` per step, ``backend="numpy"`` / ``"jax"`` (chaotic
  tanh, g = 2, sigma = 0, B = 64, float32), all equal-time statistics every 10 steps, the
  autocovariance off; the faster of two timed runs after a warm-up run with the same settings;
  the JAX compile time (``seconds["setup"]`` of the warm-up, column ``compile s``) is not in
  the step time;
- ``noisy``: the same with sigma = 0.5 (the JAX noise is ``jax.random.normal`` per step);
- the covariance prediction, ``linear_equivalent_covariance(method="quadrature")`` with
  ``backend="numpy"`` and ``"jax"`` (second call; the first, with compilation, also shown).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np

from randrnn import GaussianEnsemble, RateNetwork, Seeds, realize
from randrnn.covariance import ResidualStatistics, linear_equivalent_covariance
from randrnn.simulate import SimulationSettings, simulate


def _gemm_np(P: np.ndarray, JT: np.ndarray, reps: int) -> float:
    H = np.empty_like(P)
    for _ in range(3):
        np.matmul(P, JT, out=H)
    t = time.perf_counter()
    for _ in range(reps):
        np.matmul(P, JT, out=H)
    return (time.perf_counter() - t) / reps


def _gemm_jax(P: np.ndarray, JT: np.ndarray, reps: int) -> float:
    import jax
    import jax.numpy as jnp

    @jax.jit
    def loop(P, JT, reps):
        def body(i, H):
            # a per-iteration scale keeps the product inside the loop (no hoisting)
            s = 1.0 + i.astype(P.dtype) * 1e-7
            return H + jnp.matmul(P * s, JT, precision=jax.lax.Precision.HIGHEST)

        return jax.lax.fori_loop(0, reps, body, jnp.zeros_like(P))

    Pd, Jd = jnp.asarray(P), jnp.asarray(JT)
    loop(Pd, Jd, 3).block_until_ready()
    t = time.perf_counter()
    loop(Pd, Jd, reps).block_until_ready()
    return (time.perf_counter() - t) / reps


def _step_time(real, B: int, n_steps: int, backend: str, every: int = 10) -> tuple[float, float]:
    """Seconds per step and setup seconds of :func:`simulate` with all equal-time statistics."""
    dt = 0.05
    st = SimulationSettings(
        dt=dt,
        t_max=n_steps * dt,
        burn_in=0.0,
        n_trials=B,
        stats_every=every,
        n_blocks=4,
        max_lag=0.0,
        progress=False,
        backend=backend,
    )
    first = simulate(real, st)  # warm-up: JAX compiles, NumPy's kernels and BLAS buffers
    # the faster of two timed runs (the machine may be shared)
    best = min(simulate(real, st).seconds["integrate"] for _ in range(2))
    return best / first.n_steps, first.seconds["setup"]


def _prediction(n: int) -> dict[str, float]:
    J = np.random.default_rng(0).normal(0, 1.5 / np.sqrt(n), (n, n))
    res = ResidualStatistics.exponential(amplitude=0.3, rate=1.5, mu1=0.5)
    out: dict[str, float] = {"n": n}
    t = time.perf_counter()
    ref = linear_equivalent_covariance(J, res, sigma=0.4, method="quadrature")
    out["numpy_s"] = time.perf_counter() - t
    out["n_freq"] = ref.n_freq
    for key in ("jax_first_s", "jax_s"):
        t = time.perf_counter()
        got = linear_equivalent_covariance(J, res, sigma=0.4, method="quadrature", backend="jax")
        out[key] = time.perf_counter() - t
    out["ratio"] = out["numpy_s"] / out["jax_s"]
    out["max_rel_diff"] = max(
        float(np.abs(getattr(got, k) - getattr(ref, k)).max() / np.abs(getattr(ref, k)).max())
        for k in ("c_phi", "c_x", "c_xphi")
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="N in {500, 1000}, fewer steps")
    ap.add_argument("--sizes", type=int, nargs="+", help="override the N values")
    ap.add_argument("--batch", type=int, default=64, help="trials B (default 64)")
    ap.add_argument("--pred-sizes", type=int, nargs="*", help="override the prediction N values")
    args = ap.parse_args()
    import jax

    threads = {k: os.environ.get(k, "") for k in ("OPENBLAS_NUM_THREADS", "XLA_FLAGS")}
    print(
        f"# {platform.processor() or platform.machine()}, jax {jax.__version__} "
        f"on {jax.devices()[0]}, {threads}"
    )
    sizes = args.sizes or ([500, 1000] if args.quick else [500, 1000, 2000])
    pred_sizes = (
        args.pred_sizes if args.pred_sizes is not None else ([300] if args.quick else [500, 1000])
    )
    B = args.batch
    rows = []
    print(
        f"{'N':>5} {'B':>4} {'gemm np':>8} {'gemm jax':>8} {'np ms':>8} {'jax ms':>8} "
        f"{'np/gemm':>8} {'jax/gemm':>8} {'jax/np':>7} {'noisy np':>9} {'noisy jax':>9} "
        f"{'compile s':>9}"
    )
    for n in sizes:
        net = RateNetwork(ensemble=GaussianEnsemble(n=n, g=2.0), phi="tanh")
        real = realize(net, Seeds())
        noisy = realize(
            RateNetwork(ensemble=GaussianEnsemble(n=n, g=2.0), phi="tanh", sigma=0.5), Seeds()
        )
        JT = np.ascontiguousarray(real.J.T.astype(np.float32))
        P = np.tanh(np.random.default_rng(1).standard_normal((B, n))).astype(np.float32)
        budget = 5e9 if args.quick else 2e10  # GEMM flops per measurement
        n_steps = int(max(80, min(4000, budget / (2 * B * n * n))))
        n_steps -= n_steps % 40
        reps = max(20, n_steps // 4)
        g_np = [_gemm_np(P, JT, reps)]
        g_jx = [_gemm_jax(P, JT, reps)]
        t_np, _ = _step_time(real, B, n_steps, "numpy")
        t_jx, compile_s = _step_time(real, B, n_steps, "jax")
        g_np.append(_gemm_np(P, JT, reps))
        g_jx.append(_gemm_jax(P, JT, reps))
        tn_np, _ = _step_time(noisy, B, n_steps, "numpy")
        tn_jx, _ = _step_time(noisy, B, n_steps, "jax")
        g_np.append(_gemm_np(P, JT, reps))
        g_jx.append(_gemm_jax(P, JT, reps))
        gn, gj = float(np.median(g_np)), float(np.median(g_jx))
        row = {
            "n": n,
            "B": B,
            "steps": n_steps,
            "gemm_np_ms": gn * 1e3,
            "gemm_jax_ms": gj * 1e3,
            "np_ms": t_np * 1e3,
            "jax_ms": t_jx * 1e3,
            "np_over_gemm_np": t_np / gn,
            "jax_over_gemm_jax": t_jx / gj,
            "jax_over_np": t_jx / t_np,
            "noisy_np_ms": tn_np * 1e3,
            "noisy_jax_ms": tn_jx * 1e3,
            "jax_setup_s": compile_s,
        }
        rows.append(row)
        print(
            f"{n:>5} {B:>4} {gn * 1e3:>8.3f} {gj * 1e3:>8.3f} {t_np * 1e3:>8.3f} "
            f"{t_jx * 1e3:>8.3f} {t_np / gn:>8.2f} {t_jx / gj:>8.2f} {t_jx / t_np:>7.2f} "
            f"{tn_np * 1e3:>9.3f} {tn_jx * 1e3:>9.3f} {compile_s:>9.2f}",
            flush=True,
        )
    preds = []
    if pred_sizes:
        print(
            f"\n{'N':>5} {'nodes':>5} {'quad np s':>9} {'quad jax s':>10} {'first jax s':>11} "
            f"{'np/jax':>6} {'max rel diff':>12}"
        )
    for n in pred_sizes:
        p = _prediction(n)
        preds.append(p)
        print(
            f"{n:>5} {int(p['n_freq']):>5} {p['numpy_s']:>9.2f} {p['jax_s']:>10.2f} "
            f"{p['jax_first_s']:>11.2f} {p['ratio']:>6.2f} {p['max_rel_diff']:>12.1e}",
            flush=True,
        )
    print(json.dumps({"benchmark": "jax", "threads": threads, "rows": rows, "prediction": preds}))


if __name__ == "__main__":
    main()
