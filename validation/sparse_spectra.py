"""Finite-connectivity spectra of the inhibitory-core E/I ensemble against sampled Jacobians.

Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767; ``docs/theory.md`` section 5.3.

Measures, for ``JacobianEnsemble.inhibitory_core`` at fixed ``c E[w^2]`` (``at_degree``):

1. fractions of eigenvalues in five rectangles (one holding the bar) at c = 2, 4, 8 with
   N_I = 2000 inhibitory units (N = 10000): population dynamics (sparse) and the dense limit
   against the mean +- SE over realizations;
2. the bar at c = 2: exact eigenvalues at -1/tau_j (singleton components) against N times the
   predicted fraction outside the giant strongly connected component;
3. the density at c = 4: chi^2 per degree of freedom of the 2-D histogram against the
   population-dynamics cell masses (off-axis cells with expected count >= 5);
4. the edge against c at fixed c E[w^2]: the growth-rate edge, the dense edge and the numerics
   (rightmost eigenvalue of the giant component, 0.99 quantile of all real parts, mean +- SE)
   at N = 2000 and N = 20000, and the population-dynamics prediction of that quantile;
5. the fit of the ensemble to one synthetic Jacobian (N = 10000): fitted parameters against
   the truth (z-scores) and the edge predicted from the fit against the true ensemble's and
   the realization's;
6. the time of the density on a 101 x 101 grid.

Run: ``OPENBLAS_NUM_THREADS=1 python validation/sparse_spectra.py [--quick]``; writes
``validation/results/sparse_spectra.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from randrnn import rmt, spectra
from randrnn.ensembles import JacobianEnsemble, at_degree, fit_sample

OUT = Path(__file__).parent / "results" / "sparse_spectra.json"


def base_ensemble(n: int) -> JacobianEnsemble:
    """The preset at c = 4 (lognormal I weights, sigma = 1)."""
    return JacobianEnsemble.inhibitory_core(n=n, in_degree=4.0)


#: [x0, x1, y0, y1]: every side crosses the real axis right of all poles (-1/12) or left of
#: all of them (-1)
REGIONS = np.array(
    [
        [-0.06, np.inf, -np.inf, np.inf],  # right part of the bulk, up to the edge
        [-1.2, -0.06, 0.025, np.inf],  # upper bulk
        [-1.2, -0.06, -0.025, 0.025],  # strip around the real axis: the bar and the bulk there
        [-1.2, -0.06, -np.inf, -0.025],  # lower bulk
        [-0.3, -0.06, 0.06, np.inf],  # upper bulk, far from the axis
    ]
)
NAMES = ["right", "upper", "axis strip (bar)", "lower", "upper far"]


def fractions_table(cavity: rmt.CavitySettings, n: int, reps: int, seed: int) -> list[dict]:
    rows = []
    for c in (2.0, 4.0, 8.0):
        ens = at_degree(base_ensemble(n), c / 4.0)
        t0 = time.perf_counter()
        pred = rmt.cavity_regions(ens, REGIONS, cavity)
        t_pred = time.perf_counter() - t0
        dense = rmt.dense_regions(ens, REGIONS)
        meas = spectra.measure_regions(ens, REGIONS, n_realizations=reps, seed=seed)
        sc = rmt.strong_component(ens)
        m, se = np.asarray(meas.fraction), np.asarray(meas.fraction_se)
        z = (m - pred.fraction) / np.sqrt(se**2 + pred.fraction_se**2)
        zd = (m - dense) / se
        rows.append(
            {
                "c": c,
                "n": n,
                "realizations": reps,
                "regions": NAMES,
                "sparse": pred.fraction.tolist(),
                "sparse_se": pred.fraction_se.tolist(),
                "dense": dense.tolist(),
                "measured": m.tolist(),
                "measured_se": se.tolist(),
                "z_sparse": z.tolist(),
                "z_dense": zd.tolist(),
                "bar_exact_mean": float(meas.bar_count),
                "bar_exact_se": float(meas.bar_count_se),
                "bar_near_pole_mean": float(meas.near_bar_count),
                "bar_predicted": sc.expected_bar_count,
                "prediction_seconds": t_pred,
            }
        )
        print(f"c = {c:g}: prediction {t_pred:.1f} s")
        for k, name in enumerate(NAMES):
            print(
                f"  {name:18s} sparse {pred.fraction[k]:.5f}+-{pred.fraction_se[k]:.5f}  "
                f"dense {dense[k]:.5f}  measured {m[k]:.5f}+-{se[k]:.5f}  z {z[k]:+.2f}  "
                f"z_dense {zd[k]:+.1f}"
            )
        print(
            f"  bar: exact {rows[-1]['bar_exact_mean']:.1f}+-{rows[-1]['bar_exact_se']:.1f}, "
            f"predicted {sc.expected_bar_count:.1f}, near a pole "
            f"{rows[-1]['bar_near_pole_mean']:.1f}"
        )
    return rows


def density_chi2(cavity: rmt.CavitySettings, n: int, reps: int, seed: int) -> dict:
    ens = base_ensemble(n)
    e = rmt.sparse_edge(ens)
    h = 0.5 * e.height
    xe = np.linspace(-0.55, e.edge + 0.05 * h, 61)
    ye = np.linspace(-1.15 * h, 1.15 * h, 62)  # 61 cells: the real axis is a cell centre
    t0 = time.perf_counter()
    d = rmt.cavity_density(ens, x_edges=xe, y_edges=ye, settings=cavity)
    secs = time.perf_counter() - t0
    H = np.zeros_like(d.mass)
    total = 0
    ss = np.random.SeedSequence(seed).spawn(reps)
    for s in ss:
        lam = spectra.eigenvalues_by_components(ens.sample(np.random.default_rng(s))).eigenvalues
        H += np.histogram2d(lam.real, lam.imag, bins=[xe, ye])[0]
        total += lam.size
    expect = d.mass * total
    off = np.ones(d.mass.shape, bool)
    off[:, 30] = False
    k = off & (expect >= 5)
    chi2 = float(np.sum((H[k] - expect[k]) ** 2 / expect[k]))
    # the dense-limit density on the same grid and histogram
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dense = rmt.eigenvalue_density(ens, x_edges=xe, y_edges=ye, on_failure="warn")
    exp_d = dense.mass * total
    kd = off & (exp_d >= 5)
    chi2_d = float(np.sum((H[kd] - exp_d[kd]) ** 2 / exp_d[kd]))
    out = {
        "dense_cells": int(kd.sum()),
        "dense_chi2_per_dof": chi2_d / int(kd.sum()),
        "c": 4.0,
        "n": n,
        "realizations": reps,
        "cells": int(k.sum()),
        "chi2_per_dof": chi2 / int(k.sum()),
        "counted": float(H[k].sum()),
        "expected": float(expect[k].sum()),
        "grid": [60, 61],
        "density_seconds": secs,
    }
    print(
        f"density c = 4: chi2/dof = {out['chi2_per_dof']:.3f} over {out['cells']} cells "
        f"(counted {out['counted']:.0f}, expected {out['expected']:.0f}); {secs:.1f} s; "
        f"dense limit: {out['dense_chi2_per_dof']:.2f} over {out['dense_cells']} cells"
    )
    return out


def edge_sweep(cavity: rmt.CavitySettings, sizes: tuple[int, ...], reps: int, seed: int) -> list:
    rows = []
    for c in (1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 16.0):
        ens = at_degree(base_ensemble(10_000), c / 4.0)
        se_ = rmt.sparse_edge(ens)
        de = rmt.spectral_edge(ens)
        row = {
            "c": c,
            "edge_sparse": se_.edge,
            "edge_first_moment": se_.edge_first_moment,
            "edge_dense": de.edge,
            "exponent": se_.exponent,
            "height_sparse": se_.height,
            "quantile_0.99_pred": rmt.cavity_quantile(ens, 0.99, cavity),
        }
        for n in sizes:
            row[f"rightmost_{n}_pred"] = rmt.cavity_extreme(ens, n, cavity, edge=se_)
            m = spectra.measure_rightmost_sparse(
                ens.resized(n), n_realizations=reps, seed=seed, quantiles=(0.99,)
            )
            row[f"rightmost_{n}"] = float(m.giant_rightmost)
            row[f"rightmost_{n}_se"] = float(m.giant_rightmost_se)
            row[f"rightmost_{n}_median"] = float(np.median(m.giant_rightmosts))
            row[f"q99_{n}"] = float(m.quantile_real[0])
            row[f"q99_{n}_se"] = float(m.quantile_real_se[0])
        rows.append(row)
        print(
            f"c = {c:5g}: edge sparse {se_.edge:+.4f} dense {de.edge:+.4f} "
            f"(first moment {se_.edge_first_moment:+.4f}); "
            f"q99 pred {row['quantile_0.99_pred']:+.4f}; "
            + "; ".join(
                f"N={n}: rightmost {row[f'rightmost_{n}']:+.4f}+-{row[f'rightmost_{n}_se']:.4f} "
                f"q99 {row[f'q99_{n}']:+.4f}+-{row[f'q99_{n}_se']:.4f}"
                for n in sizes
            )
        )
    return rows


def fit_check(n: int, seed: int) -> dict:
    truth_ens = JacobianEnsemble.inhibitory_core(
        n=n, in_degree=4.0, surviving=0.05, correlation=(0.0, 0.4)
    )
    s = truth_ens.sample(seed)
    t0 = time.perf_counter()
    fit = fit_sample(
        s,
        tau_intervals=[(1.0, 5.0), (2.0, 12.0)],
        gain_intervals=[(0.05, 0.25), (0.05, 0.25)],
    )
    secs = time.perf_counter() - t0
    truth = {
        "in_degree[I][I]": 4.0,
        "in_degree[E][I]": 4.0,
        "in_degree[I][E]": 16.0 * 0.05,
        "in_degree[E][E]": 16.0 * 0.05,
        "weight[I][I].median": 1.0,
        "weight[I][I].sigma": 1.0,
        "weight[E][I].median": 1.0,
        "weight[E][I].sigma": 1.0,
        "tau[E].a": 2.0,
        "tau[E].b": 5.0,
        "tau[I].a": 2.0,
        "tau[I].b": 2.0,
        "gain[E].a": 2.0,
        "gain[E].b": 2.0,
        "gain[I].a": 2.0,
        "gain[I].b": 2.0,
        "correlation[I]": 0.4,
        "correlation[E]": 0.0,
    }
    z = fit.z_scores({k: v for k, v in truth.items() if k in fit.names})
    true_edge = rmt.sparse_edge(truth_ens)
    fit_edge = rmt.sparse_edge(fit.ensemble)
    extreme = rmt.cavity_extreme(fit.ensemble, n, rmt.CavitySettings(pool=2000), edge=fit_edge)
    comp = spectra.eigenvalues_by_components(s)
    lam = comp.eigenvalues[comp.giant]
    tail = spectra.edge_estimate(lam)
    out = {
        "n": n,
        "fit_seconds": secs,
        "z": {k: float(v) for k, v in z.items()},
        "max_abs_z": float(np.nanmax(np.abs(list(z.values())))),
        "mean_z2": float(np.nanmean(np.square(list(z.values())))),
        "edge_true_ensemble": true_edge.edge,
        "edge_fitted_ensemble": fit_edge.edge,
        "height_true": true_edge.height,
        "rightmost_realization": float(lam.real.max()),
        "edge_difference_over_width": (fit_edge.edge - true_edge.edge) / true_edge.height,
        "rightmost_minus_fitted_over_width": (float(lam.real.max()) - fit_edge.edge)
        / true_edge.height,
        "rightmost_pred_fitted": extreme,
        "rightmost_minus_pred_over_width": (float(lam.real.max()) - extreme) / true_edge.height,
        "tail_fit_edge": float(tail.edge),
        "tail_fit_minus_fitted_over_width": (float(tail.edge) - fit_edge.edge) / true_edge.height,
    }
    print(
        f"fit (N = {n}, {secs:.2f} s): {len(z)} parameters, max |z| {out['max_abs_z']:.2f}, "
        f"mean z^2 {out['mean_z2']:.2f}; edge fitted {fit_edge.edge:+.5f} vs true "
        f"{true_edge.edge:+.5f} ({100 * out['edge_difference_over_width']:+.2f} % of the bulk "
        f"width {true_edge.height:.4f}); rightmost eigenvalue {lam.real.max():+.5f} "
        f"({100 * out['rightmost_minus_fitted_over_width']:+.2f} %), tail-fit edge "
        f"{tail.edge:+.5f} ({100 * out['tail_fit_minus_fitted_over_width']:+.2f} %)"
    )
    return out


def convergence(n: int) -> list[dict]:
    """Region fractions at c = 4 against pool size, sweeps and regulator."""
    ens = base_ensemble(n)
    rows = []
    for pool, sweeps, eps in [
        (500, 120, 1e-7),
        (1000, 120, 1e-7),
        (2000, 120, 1e-7),
        (4000, 120, 1e-7),
        (2000, 480, 1e-7),
        (2000, 120, 1e-5),
        (2000, 120, 1e-9),
    ]:
        st = rmt.CavitySettings(pool=pool, sweeps=sweeps, regulator=eps, seed=5)
        t0 = time.perf_counter()
        r = rmt.cavity_regions(ens, REGIONS, st)
        rows.append(
            {
                "pool": pool,
                "sweeps": sweeps,
                "regulator": eps,
                "fraction": r.fraction.tolist(),
                "fraction_se": r.fraction_se.tolist(),
                "max_abs_drift_z": float(np.max(np.abs(r.drift_z))),
                "seconds": time.perf_counter() - t0,
            }
        )
        print(
            f"pool {pool:5d} sweeps {sweeps:4d} eps {eps:.0e}: "
            + " ".join(f"{f:.5f}+-{e:.5f}" for f, e in zip(r.fraction, r.fraction_se, strict=True))
            + f"  max|drift z| {rows[-1]['max_abs_drift_z']:.2f}  {rows[-1]['seconds']:.1f} s"
        )
    return rows


def extremes_only() -> None:
    """Predicted median rightmost eigenvalues for the saved edge sweep and fit (no numerics)."""
    res = json.loads(OUT.read_text())
    cav = rmt.CavitySettings(pool=2000, sweeps=160)
    for row in res["edge_sweep"]:
        ens = at_degree(base_ensemble(10_000), row["c"] / 4.0)
        e = rmt.sparse_edge(ens)
        for n in (2000, 20_000):
            row[f"rightmost_{n}_pred"] = rmt.cavity_extreme(ens, n, cav, edge=e)
        print(
            f"c = {row['c']:5g}: predicted median rightmost "
            f"N=2000 {row['rightmost_2000_pred']:+.4f} (measured median "
            f"{row['rightmost_2000_median']:+.4f}), N=20000 {row['rightmost_20000_pred']:+.4f} "
            f"(measured median {row['rightmost_20000_median']:+.4f})"
        )
    f = res["fit"]
    truth_ens = JacobianEnsemble.inhibitory_core(
        n=f["n"], in_degree=4.0, surviving=0.05, correlation=(0.0, 0.4)
    )
    fit = fit_sample(
        truth_ens.sample(4),
        tau_intervals=[(1.0, 5.0), (2.0, 12.0)],
        gain_intervals=[(0.05, 0.25), (0.05, 0.25)],
    )
    fe = rmt.sparse_edge(fit.ensemble)
    f["rightmost_pred_fitted"] = rmt.cavity_extreme(fit.ensemble, f["n"], cav, edge=fe)
    f["rightmost_minus_pred_over_width"] = (
        f["rightmost_realization"] - f["rightmost_pred_fitted"]
    ) / f["height_true"]
    print(
        f"fit: predicted median rightmost {f['rightmost_pred_fitted']:+.5f}, measured "
        f"{f['rightmost_realization']:+.5f} "
        f"({100 * f['rightmost_minus_pred_over_width']:+.2f} % of the width)"
    )
    OUT.write_text(json.dumps(res, indent=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    ap.add_argument(
        "--convergence", action="store_true", help="only the pool/sweeps/regulator table"
    )
    ap.add_argument(
        "--extremes",
        action="store_true",
        help="add the predicted median rightmost eigenvalues to the saved results",
    )
    args = ap.parse_args()
    if args.extremes:
        extremes_only()
        return
    if args.convergence:
        rows = convergence(10_000)
        OUT.parent.mkdir(exist_ok=True)
        OUT.with_name("sparse_spectra_convergence.json").write_text(json.dumps(rows, indent=1))
        return
    quick = args.quick
    cav = rmt.CavitySettings(pool=1000 if quick else 4000, burn_in=60, sweeps=120 if quick else 240)
    n = 4000 if quick else 10_000
    reps = 3 if quick else 10
    t0 = time.perf_counter()
    res: dict = {"cavity": cav.to_dict()}
    res["fractions"] = fractions_table(cav, n, reps, seed=1)
    res["density"] = density_chi2(rmt.CavitySettings(pool=2000, sweeps=160), n, reps, seed=2)
    sizes = (2000, 5000) if quick else (2000, 20_000)
    res["edge_sweep"] = edge_sweep(cav, sizes, 3 if quick else 5, seed=3)
    res["fit"] = fit_check(n, seed=4)
    xe = np.linspace(-0.55, 0.0, 101)
    ye = np.linspace(-0.15, 0.15, 102)
    st = rmt.CavitySettings(pool=1000, burn_in=40, sweeps=120, batches=8)
    t1 = time.perf_counter()
    rmt.cavity_density(base_ensemble(n), x_edges=xe, y_edges=ye, settings=st)
    res["speed"] = {
        "grid": [100, 101],
        "seconds": time.perf_counter() - t1,
        "pool": st.pool,
        "sweeps": st.burn_in + st.sweeps,
    }
    print(f"density on 100 x 101 cells: {res['speed']['seconds']:.1f} s (pool 1000, 160 sweeps)")
    res["seconds"] = time.perf_counter() - t0
    if not quick:
        OUT.parent.mkdir(exist_ok=True)
        OUT.write_text(json.dumps(res, indent=1))
    print(f"total {res['seconds']:.0f} s")


if __name__ == "__main__":
    main()
