"""The realization's own autocovariance and order parameters against simulation, vs N.

For the default network of ``randrnn run`` (tanh, g = 3, no noise) at several N, one
realization each: the simulated population autocovariance (centred on each unit's mean)
against (a) the ensemble DMFT, (b) the realization-level prediction (1/N) tr C_x(t) with the
DMFT's order parameters (the paper's prediction), (c) the same with order parameters solved
from the realization's own autocovariance; z-scores per lag up to ``max_lag``; the covariance
agreement (fraction of the split-half ceiling) for (b) and (c); and the edge proximity
1 / (N min Re alpha^2) behind the FiniteSizeWarning.

    python validation/realization_autocovariance.py --sizes 500 1000 2000
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

from randrnn import Seeds, realize, solve_stationary
from randrnn.config import config_from_mapping, default_mapping
from randrnn.covariance import predict_covariance
from randrnn.experiments.run import _prediction_lags
from randrnn.simulate import simulate
from randrnn.verify import compare_autocovariance, compare_covariance


def measure(n: int, trials: int, t_max: float, g: float, sigma: float, seed: int) -> dict:
    mapping = default_mapping("run")
    mapping["ensemble"]["n"] = n
    mapping["ensemble"]["g"] = g
    mapping["network"]["sigma"] = sigma
    mapping["simulation"].update(
        {"n_trials": trials, "t_max": t_max, "n_quadruples": 0, "progress": False}
    )
    cfg = config_from_mapping("run", mapping)
    net, st = cfg.network, cfg.simulation
    dmft = solve_stationary(net)
    real = realize(net, Seeds(coupling=seed, noise=seed + 100, initial=seed + 200))
    lags = _prediction_lags(dmft, st.max_lag)
    out: dict = {"n": n, "g": g, "sigma": sigma, "seed": seed, "trials": trials, "t_max": t_max}
    preds = {}
    for kind in ("ensemble", "realization"):
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            preds[kind] = predict_covariance(
                net, real.J, real.b, dmft, naive=False, lags=lags, order_parameters=kind
            )
        out[f"seconds_{kind}"] = time.perf_counter() - t0
        out["finite_size_warning"] = any("FiniteSizeWarning" in str(x.category) for x in w)
    t0 = time.perf_counter()
    sim = simulate(real, st)
    out["seconds_simulation"] = time.perf_counter() - t0
    ac = sim.autocovariance
    nb = ac.n_blocks
    ens = compare_autocovariance(
        dmft.lags, dmft.delta - dmft.delta_inf, ac.lags, ac.acf_x, ac.acf_x_se, n_blocks=nb
    )
    out["edge_proximity"] = preds["ensemble"].edge_proximity
    out["min_re_alpha"] = preds["ensemble"].linear.min_re_alpha
    out["lags"] = ac.lags.tolist()
    out["sim_acf_x"] = ac.acf_x.tolist()
    out["sim_acf_x_se"] = ac.acf_x_se.tolist()
    out["dmft_z"] = ens.z.tolist()
    out["dmft_max_abs_z"] = float(ens.max_abs_z)
    for kind, p in preds.items():
        lg = p.lagged
        comp = compare_autocovariance(
            lg.lags, lg.trace_x, ac.lags, ac.acf_x, ac.acf_x_se, n_blocks=nb
        )
        cphi = compare_covariance(p.linear.c_phi, sim.equal_time.cov_phi)
        out[kind] = {
            "max_abs_z": float(comp.max_abs_z),
            "z": comp.z.tolist(),
            "trace_x": lg.trace_x.tolist(),
            "pred_lags": lg.lags.tolist(),
            "ceiling_fraction": cphi.ceiling_fraction,
            "ceiling_fraction_se": cphi.ceiling_fraction_se,
            "offdiag_corr": cphi.offdiag_corr,
            "diag_corr": cphi.diag_corr,
            "pr_pred": cphi.pr_pred,
            "pr_sim_unbiased": cphi.pr_sim_unbiased,
        }
        if p.order_parameters is not None:
            out[kind]["mu1"] = p.order_parameters.mu1
            out[kind]["mu1_ensemble"] = p.order_parameters.mu1_ensemble
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000])
    ap.add_argument("--trials", type=int, default=32)
    ap.add_argument("--t-max", type=float, default=1000.0)
    ap.add_argument("--g", type=float, default=3.0)
    ap.add_argument("--sigma", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="validation/results/realization_autocovariance.json")
    a = ap.parse_args()
    rows = []
    for n in a.sizes:
        r = measure(n, a.trials, a.t_max, a.g, a.sigma, a.seed)
        brief = {k: v for k, v in r.items() if not isinstance(v, (list, dict))}
        brief.update(
            {
                k: {kk: vv for kk, vv in r[k].items() if not isinstance(vv, list)}
                for k in ("ensemble", "realization")
            }
        )
        print(json.dumps(brief, indent=1), flush=True)
        rows.append(r)
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps(rows))


if __name__ == "__main__":
    main()
