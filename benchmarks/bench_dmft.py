"""Benchmark: stationary DMFT, Newton-Krylov vs plain damped iteration (damping 0.5).

For tanh at g in {1.2, 2, 3}: solve with :func:`randrnn.dmft.solve_stationary` (adaptive lag
grid), then, on that final grid and from the same initial guess, time the Newton-Krylov
iteration and a damped fixed-point iteration to residual 1e-10. Both use the same discrete map
(same Gaussian tables, same DCTs), so the ratio of times is the ratio of algorithms. One run,
one process, so the ratios are measured under the same machine load.

Run: ``.venv/bin/python benchmarks/bench_dmft.py`` (prints a table and one final JSON line).
"""

from __future__ import annotations

import json
import time

from threadpoolctl import threadpool_limits

from randrnn import GaussianEnsemble, RateNetwork
from randrnn import _fixedpoint as _solvers
from randrnn.dmft import solve_stationary
from randrnn.dmft import stationary as st

TOL = 1e-10
G_VALUES = (1.2, 2.0, 3.0)


def _time(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> dict[str, object]:
    rows = []
    for g in G_VALUES:
        net = RateNetwork(ensemble=GaussianEnsemble(n=1, g=g), phi="tanh")
        solve_stationary(net, tol=TOL)  # warm-up (imports, caches)
        full, t_full = _time(lambda net=net: solve_stationary(net, tol=TOL))
        g2, s2, sb2, _tau = g * g, 0.0, 0.0, 1.0
        t = full.lags
        prob = st._Problem(phi=net.phi, g2=g2, s2=s2, sb2=sb2, dt=float(t[1] - t[0]), m=t.size)  # type: ignore[arg-type]
        u0 = st._initial_guess(prob, g)
        with threadpool_limits(limits=1, user_api="blas"):
            newton, t_newton = _time(
                lambda p=prob, u=u0: _solvers.newton_krylov(
                    p.map_jac, u, norm=st._norm, tol=TOL, max_iter=200, valid=p.tail_stable
                )
            )
            damped, t_damped = _time(
                lambda p=prob, u=u0: _solvers.damped(
                    p, u, norm=st._norm, tol=TOL, max_iter=50_000, damping=0.5
                )
            )
        rows.append(
            {
                "g": g,
                "grid_points": int(t.size),
                "t_max": float(t[-1]),
                "delta0": full.delta0,
                "solve_seconds": t_full,
                "solve_n_iter": full.n_iter,
                "newton_seconds": t_newton,
                "newton_evals": newton.n_iter,
                "newton_residual": newton.residual,
                "damped_seconds": t_damped,
                "damped_iters": damped.n_iter,
                "damped_residual": damped.residual,
                "damped_converged": damped.converged,
                "speedup": t_damped / t_newton,
                "delta0_damped_minus_newton": float(
                    (damped.x[0] + damped.x[-1]) - (newton.x[0] + newton.x[-1])
                ),
            }
        )
    header = (
        f"{'g':>4} {'points':>7} {'t_max':>7} {'delta0':>14} {'solve[s]':>9} {'newton[s]':>10}"
        f" {'evals':>6} {'damped[s]':>10} {'iters':>6} {'speedup':>8}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['g']:>4} {r['grid_points']:>7} {r['t_max']:>7.1f} {r['delta0']:>14.10f}"
            f" {r['solve_seconds']:>9.3f} {r['newton_seconds']:>10.3f} {r['newton_evals']:>6}"
            f" {r['damped_seconds']:>10.3f} {r['damped_iters']:>6} {r['speedup']:>8.1f}"
        )
    summary = {"benchmark": "dmft_stationary_tanh", "tol": TOL, "rows": rows}
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
