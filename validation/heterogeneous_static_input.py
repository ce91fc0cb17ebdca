"""Static input: the heterogeneous linear-equivalent prediction against simulation.

tanh, g = 1.5, sigma = 0.5, sigma_b = 0.8; one realization at each N. Prints and writes
validation/results/heterogeneous_static_input.json: off-diagonal correlation of C_phi and its
split-half ceiling, per-unit variance correlation, simulated means vs the predicted m_i
(z-scores), and the naive closure on the same data.

    python validation/heterogeneous_static_input.py --sizes 800 2000
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from randrnn import GaussianEnsemble, RateNetwork, Seeds, realize, solve_stationary
from randrnn.covariance import predict_covariance
from randrnn.simulate import SimulationSettings, simulate
from randrnn.verify import compare_covariance


def measure(n: int, t_max: float, trials: int, seed: int) -> dict:
    net = RateNetwork(ensemble=GaussianEnsemble(n=n, g=1.5), phi="tanh", sigma=0.5, sigma_b=0.8)
    t0 = time.perf_counter()
    dmft = solve_stationary(net)
    real = realize(net, Seeds(coupling=seed, input=seed + 1, noise=seed + 2))
    pred = predict_covariance(net, real.J, real.b, dmft)
    t_pred = time.perf_counter() - t0
    st = SimulationSettings(
        dt=0.05,
        t_max=t_max,
        burn_in=50.0,
        n_trials=trials,
        max_lag=0.0,
        progress=False,
        n_quadruples=0,
    )
    sim = simulate(real, st)
    et = sim.equal_time
    out = {"n": n, "seed": seed, "seconds_prediction": t_pred, "t_max": t_max, "trials": trials}
    for name, p in (("linear", pred.linear), ("naive", pred.naive)):
        if p is None:
            out[name] = {"status": pred.naive_status, "reason": pred.naive_reason}
            continue
        c = compare_covariance(p.c_phi, et.cov_phi)
        out[name] = {
            "offdiag_corr": c.offdiag_corr,
            "ceiling": c.offdiag_corr_ceiling,
            "ceiling_fraction": c.ceiling_fraction,
            "ceiling_fraction_se": c.ceiling_fraction_se,
            "diag_corr": c.diag_corr,
            "pr_pred": c.pr_pred,
            "pr_sim_unbiased": c.pr_sim_unbiased,
        }
    for key, mf in (("means", pred.means_refined), ("means_population_q", pred.mean_field)):
        z = (et.mean_x - mf.means) / et.mean_x_se
        out[key] = {
            "rms_z": float(np.sqrt(np.mean(z**2))),
            "max_abs_z": float(np.max(np.abs(z))),
            "mean_abs_diff": float(np.mean(np.abs(et.mean_x - mf.means))),
            "rms_se": float(np.sqrt(np.mean(et.mean_x_se**2))),
            "std_m": float(np.std(mf.means)),
            "corr": float(np.corrcoef(et.mean_x, mf.means)[0, 1]),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[800, 2000])
    ap.add_argument("--t-max", type=float, default=1000.0)
    ap.add_argument("--trials", type=int, default=16)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", default="validation/results/heterogeneous_static_input.json")
    a = ap.parse_args()
    rows = []
    for n in a.sizes:
        r = measure(n, a.t_max, a.trials, a.seed)
        print(json.dumps(r, indent=1), flush=True)
        rows.append(r)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
