"""Benchmark: two-population stationary DMFT, Newton-Krylov vs plain damped iteration.

Two dense populations (80/20, block variances differing, means removed, a static input with a
different mean per population so that the mean field is nonzero), tanh, time constants 1 and 2,
with and without white noise. Solve with :func:`randrnn.dmft.populations.solve_populations`
(adaptive lag grid; target below 2 s), then, on its final grid and from the same generic start,
time the Newton-Krylov iteration and a damped fixed-point iteration (damping 0.5) to residual
1e-10. Both use the same discrete map, so the ratio of times is the ratio of algorithms.

Run: ``.venv/bin/python benchmarks/bench_dmft_populations.py`` (prints a table and one final
JSON line).
"""

from __future__ import annotations

import json
import time

import numpy as np
from threadpoolctl import threadpool_limits

from randrnn import BlockEnsemble, RateNetwork
from randrnn import _fixedpoint as _solvers
from randrnn.dmft import _populations_map as pm
from randrnn.dmft.populations import solve_populations
from randrnn.ensembles import Fixed, Uniform

TOL = 1e-10
TARGET_SECONDS = 2.0


def _network(sigma: float, scale: float) -> RateNetwork:
    def w(var: float) -> Uniform:  # uniform magnitudes on [0, h]: n Var(J) = h^2 / 12
        return Uniform(low=0.0, high=float(np.sqrt(12.0 * var * scale)))

    ens = BlockEnsemble(
        n=1000,
        fractions=(0.8, 0.2),
        signs=(1, -1),
        connectivity=((1.0, 1.0), (1.0, 1.0)),
        weights=((w(2.0), w(3.0)), (w(2.5), w(1.5))),
        keep_mean=False,
    )
    b = np.where(ens.population_index() == 0, 0.3, -0.2)
    return RateNetwork(
        ensemble=ens, phi="tanh", sigma=sigma, b=b, tau=(Fixed(value=1.0), Fixed(value=2.0))
    )


CASES = {
    "noise-driven": _network(0.5, 1.0),
    "chaotic": _network(0.0, 1.0),
    "chaotic, strong": _network(0.0, 2.0),
}


def _time(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> dict[str, object]:
    rows = []
    for name, net in CASES.items():
        solve_populations(net, tol=TOL)  # warm-up (imports, caches)
        full, t_full = _time(lambda net=net: solve_populations(net, tol=TOL))
        t = full.lags
        base = pm.PopulationProblem(
            phi=net.phi,  # type: ignore[arg-type]
            f=full.fractions,
            s=np.asarray(net.ensemble.statistics().block_variance),
            mu=np.asarray(net.ensemble.statistics().block_mean),
            bbar=np.array([0.3, -0.2]),
            sb2=np.zeros(2),
            sigma2=net.sigma**2,
            tau=full.tau,
            dt=float(t[1] - t[0]),
            m=t.size,
        )
        u0 = pm._generic(base)
        nrm = pm.norm(base)
        with threadpool_limits(limits=1, user_api="blas"):
            newton, t_newton = _time(
                lambda p=base, u=u0, nrm=nrm: _solvers.newton_krylov(
                    p.map_jac, u, norm=nrm, tol=TOL, max_iter=400, valid=p.tail_stable
                )
            )
            damped, t_damped = _time(
                lambda p=base, u=u0, nrm=nrm: _solvers.damped(
                    p, u, norm=nrm, tol=TOL, max_iter=50_000, damping=0.5
                )
            )
        dn = base.unpack(newton.x)
        dd = base.unpack(damped.x)
        rows.append(
            {
                "case": name,
                "regime": full.regime,
                "grid_points": int(t.size),
                "t_max": float(t[-1]),
                "delta0": [float(x) for x in full.delta0],
                "solve_seconds": t_full,
                "solve_n_iter": full.n_iter,
                "within_target": t_full < TARGET_SECONDS,
                "newton_seconds": t_newton,
                "newton_evals": newton.n_iter,
                "newton_residual": newton.residual,
                "newton_converged": newton.converged,
                "damped_seconds": t_damped,
                "damped_iters": damped.n_iter,
                "damped_residual": damped.residual,
                "damped_converged": damped.converged,
                "speedup": t_damped / t_newton,
                "max_delta0_damped_minus_newton": float(
                    np.max(np.abs((dd[0][:, 0] + dd[1]) - (dn[0][:, 0] + dn[1])))
                ),
            }
        )
    header = (
        f"{'case':>16} {'regime':>13} {'points':>7} {'solve[s]':>9} {'newton[s]':>10}"
        f" {'evals':>6} {'damped[s]':>10} {'iters':>6} {'speedup':>8}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['case']:>16} {r['regime']:>13} {r['grid_points']:>7d} "
            f"{r['solve_seconds']:>9.3f} {r['newton_seconds']:>10.3f} {r['newton_evals']:>6d} "
            f"{r['damped_seconds']:>10.3f} {r['damped_iters']:>6d} {r['speedup']:>8.1f}"
        )
    result = {"benchmark": "dmft_populations", "tol": TOL, "rows": rows}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
