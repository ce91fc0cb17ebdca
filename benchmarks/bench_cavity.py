"""Population dynamics of the finite-connectivity density: speed on a grid and per update.

Times ``rmt.cavity_density`` on a 100 x 101 grid of the inhibitory-core ensemble (c = 4) and
compares the compiled pool kernel with the same synchronous update written in NumPy (one point,
vectorised over members and edges with ``np.add.reduceat``), per member update.

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_cavity.py``.
"""

from __future__ import annotations

import time

import numpy as np

from randrnn import rmt
from randrnn.ensembles import JacobianEnsemble
from randrnn.rmt.cavity import _draw, _numpy_sweeps, _pool_kernel


def main() -> None:
    ens = JacobianEnsemble.inhibitory_core(n=10_000, in_degree=4.0)
    st = rmt.CavitySettings(pool=1000, burn_in=40, sweeps=120, batches=8)
    e = rmt.sparse_edge(ens)
    h = 0.5 * e.height
    xe = np.linspace(-0.55, e.edge + 0.05 * h, 101)
    ye = np.linspace(-1.15 * h, 1.15 * h, 102)
    rmt.cavity_density(ens, x_edges=xe[:3], y_edges=ye[:4], settings=st)  # compile
    t0 = time.perf_counter()
    d = rmt.cavity_density(ens, x_edges=xe, y_edges=ye, settings=st)
    t_grid = time.perf_counter() - t0
    print(
        f"density on {xe.size - 1} x {ye.size - 1} cells: {t_grid:.1f} s "
        f"(pool {st.pool}, {st.burn_in + st.sweeps} sweeps, batches {st.batches}); "
        f"mass in the grid {d.mass.sum():.4f}"
    )
    dr = _draw(ens, st, st.burn_in + st.sweeps)
    z = np.array([-0.25 + 0.05j])
    out = [np.zeros((1, st.batches)) for _ in range(2)] + [np.zeros(1)]
    args = (dr.tau, dr.h2, dr.weight, dr.in_ptr, dr.in_src, dr.in_w)
    args2 = (dr.out_ptr, dr.out_dst, dr.out_w, 1e-7, st.burn_in, st.batches)
    reps = 20
    t0 = time.perf_counter()
    for _ in range(reps):
        _pool_kernel(z.real.copy(), z.imag.copy(), *args, *args2, *out)
    t_kernel = (time.perf_counter() - t0) / reps
    t0 = time.perf_counter()
    _numpy_sweeps(dr, complex(z[0]), 1e-7)
    t_numpy = time.perf_counter() - t0
    updates = dr.tau.size
    print(
        f"one point, {updates} member updates: compiled {1e9 * t_kernel / updates:.1f} ns, "
        f"NumPy {1e9 * t_numpy / updates:.1f} ns per update; ratio {t_numpy / t_kernel:.1f}"
    )


if __name__ == "__main__":
    main()
