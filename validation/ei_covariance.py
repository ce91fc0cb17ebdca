"""E/I network with nonzero block means: multi-population DMFT + heterogeneous prediction.

tanh, fractions (0.8, 0.2), block means n E[J] = ((1, -2), (1.5, -1.5)), static input 0.3 (E)
and 0.1 (I); noise-driven (variances ((2, 3), (2.5, 1.5)), sigma = 0.5) and chaotic
(((4, 6), (5, 3)), sigma = 0). One realization per case and size: off-diagonal correlation of
C_phi against the split-half ceiling, per-unit variance correlation, simulated means vs the
realization's mean field, and the naive closure.

    python validation/ei_covariance.py --sizes 2000
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from randrnn import RateNetwork, Seeds, realize
from randrnn.covariance import predict_covariance
from randrnn.dmft import solve_populations
from randrnn.ensembles import GaussianBlockEnsemble
from randrnn.simulate import SimulationSettings, simulate
from randrnn.verify import compare_covariance

MEAN = ((1.0, -2.0), (1.5, -1.5))
VAR = {"noise-driven": ((2.0, 3.0), (2.5, 1.5)), "chaotic": ((4.0, 6.0), (5.0, 3.0))}
SIGMA = {"noise-driven": 0.5, "chaotic": 0.0}


def network(n: int, regime: str) -> RateNetwork:
    ens = GaussianBlockEnsemble(n=n, fractions=(0.8, 0.2), mean=MEAN, var=VAR[regime])
    b = np.where(ens.population_index() == 0, 0.3, 0.1)
    return RateNetwork(ensemble=ens, phi="tanh", b=b, sigma=SIGMA[regime])


def measure(n: int, regime: str, t_max: float, trials: int, seed: int) -> dict:
    net = network(n, regime)
    t0 = time.perf_counter()
    dmft = solve_populations(net)
    t_dmft = time.perf_counter() - t0
    real = realize(net, Seeds(coupling=seed, noise=seed + 1, initial=seed + 2))
    t0 = time.perf_counter()
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
    out: dict = {
        "n": n,
        "regime": regime,
        "seed": seed,
        "t_max": t_max,
        "trials": trials,
        "seconds_dmft": t_dmft,
        "seconds_prediction": t_pred,
        "theory": pred.theory,
        "edge_proximity": pred.edge_proximity,
        "dmft_regime": dmft.regime,
        "dmft_mean": np.asarray(dmft.mean).tolist(),
        "dmft_mu1": np.asarray(dmft.mu1).tolist(),
    }
    for name, p in (("linear", pred.linear), ("naive", pred.naive)):
        if p is None:
            out[name] = {"status": pred.naive_status, "reason": pred.naive_reason[:200]}
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
            "corr": float(np.corrcoef(et.mean_x, mf.means)[0, 1]),
            "rms_diff": float(np.sqrt(np.mean((et.mean_x - mf.means) ** 2))),
            "rms_se": float(np.sqrt(np.mean(et.mean_x_se**2))),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000])
    ap.add_argument("--regimes", nargs="+", default=["noise-driven", "chaotic"])
    ap.add_argument("--t-max", type=float, default=600.0)
    ap.add_argument("--trials", type=int, default=16)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--out", default="validation/results/ei_covariance.json")
    a = ap.parse_args()
    rows = []
    for n in a.sizes:
        for regime in a.regimes:
            r = measure(n, regime, a.t_max, a.trials, a.seed)
            print(json.dumps(r, indent=1), flush=True)
            rows.append(r)
            Path(a.out).parent.mkdir(parents=True, exist_ok=True)
            Path(a.out).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
