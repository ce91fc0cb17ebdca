r"""One theory-versus-simulation experiment: the main job of ``randrnn run``.

For a network spec and seeds: solve the DMFT (theory), draw the realization, predict its full
covariance from the linear-equivalent network and from the naive Gaussian closure (theory),
simulate the same realization (measurement), and compare them (``verify``). Physics.md
sections 2-4; Clark (2026), arXiv 2604.23489.

- :func:`run_experiment` -- all stages, with timings and progress.
- :class:`Experiment` -- the results; ``to_xarray()`` and ``summary()``.
- :data:`DEFAULT_RUN_CONFIG` -- the built-in default (tanh, g = 3, N = 1000, 128 trials x 1000).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from randrnn import io
from randrnn.covariance import (
    CovariancePrediction,
    ResidualStatistics,
    linear_equivalent_covariance,
    naive_closure_covariance,
)
from randrnn.dmft import StationarySolution, solve_stationary
from randrnn.networks import RateNetwork, Realization, Seeds, realize
from randrnn.simulate import Simulation, SimulationSettings, simulate
from randrnn.stats import ResidualEstimate, residual_covariance
from randrnn.verify import (
    AutocovarianceComparison,
    CovarianceComparison,
    compare_autocovariance,
    compare_covariance,
)

DEFAULT_RUN_CONFIG: dict[str, Any] = {
    "ensemble": {"kind": "gaussian", "n": 1000, "g": 3.0},
    "network": {"phi": "tanh", "tau": 1.0, "sigma": 0.0, "sigma_b": 0.0},
    "simulation": {
        "dt": 0.05,
        "t_max": 1000.0,
        "burn_in": 50.0,
        "n_trials": 128,
        "stats_every": 10,
        "acf_every": 4,
        "max_lag": 20.0,
        "n_blocks": 16,
        "n_quadruples": 2000,
    },
    "prediction": {"method": "auto", "naive": True},
    "seeds": {"coupling": 0, "input": 1, "initial": 2, "noise": 3},
}

PREDICTION_KEYS = ("method", "naive")


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Experiment:
    r"""Everything one ``randrnn run`` computed.

    Parameters
    ----------
    config : dict
        The full config that produced it.
    realization : Realization
        Spec, seeds and couplings.
    dmft : StationarySolution
        Mean-field order parameters and functions.
    prediction : CovariancePrediction
        Linear-equivalent covariances of this realization.
    naive : CovariancePrediction or None
        The naive Gaussian closure.
    simulation : Simulation
        Streamed statistics of the same realization.
    comparison : dict of CovarianceComparison
        Keys ``phi``, ``x``, ``xphi`` (prediction vs simulation), ``naive_phi``, ``naive_x``.
    acf : dict of AutocovarianceComparison
        Keys ``x`` (vs DMFT Delta) and ``phi`` (vs DMFT C), raw (non-centred) autocovariances;
        ``x_connected``: the simulation centred on each unit's temporal mean vs
        :math:`\Delta(t) - \Delta_\infty` (removes the static part, which at finite N includes
        the quenched per-unit means that the N -> infinity theory does not have).
    residuals : ResidualEstimate
        Residual cross-covariances measured in the simulation.
    seconds : dict
        Wall time per stage.
    """

    config: dict[str, Any]
    realization: Realization
    dmft: StationarySolution
    prediction: CovariancePrediction
    naive: CovariancePrediction | None
    simulation: Simulation
    comparison: dict[str, CovarianceComparison]
    acf: dict[str, AutocovarianceComparison]
    residuals: ResidualEstimate
    seconds: dict[str, float]

    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` content: config, seeds, versions, timings and the metrics."""
        d, p, c = self.dmft, self.prediction, self.comparison
        wick = self.simulation.equal_time.wick
        out: dict[str, Any] = {
            "config": self.config,
            "seeds": self.realization.seeds.to_dict(),
            "versions": io.provenance(),
            "seconds": self.seconds,
            "dmft": {
                "delta0": d.delta0,
                "delta_inf": d.delta_inf,
                "mu0": d.mu0,
                "mu1": d.mu1,
                "c0": d.c0,
                "g_mu1": float(getattr(self.realization.network.ensemble, "g", np.nan) * d.mu1),
                "tau_corr": d.tau_corr,
                "regime": d.regime,
                "converged": d.converged,
                "residual": d.residual,
            },
            "prediction": {
                "method": p.method,
                "seconds": float(sum(p.seconds.values())),
                "min_re_alpha": p.min_re_alpha,
                "cond_v": p.cond_v,
            },
            "comparison": {
                "offdiag_corr": c["phi"].offdiag_corr,
                "offdiag_corr_ceiling": c["phi"].offdiag_corr_ceiling,
                "ceiling_fraction": c["phi"].ceiling_fraction,
                "rel_frobenius": c["phi"].rel_frobenius,
                "rel_frobenius_noise": c["phi"].rel_frobenius_noise,
                "diag_corr": c["phi"].diag_corr,
                "diag_ratio": c["phi"].diag_ratio,
                "pr_pred": c["phi"].pr_pred,
                "pr_sim": c["phi"].pr_sim,
                "pr_sim_unbiased": c["phi"].pr_sim_unbiased,
                "x_offdiag_corr": c["x"].offdiag_corr,
                "x_offdiag_corr_ceiling": c["x"].offdiag_corr_ceiling,
                "x_rel_frobenius": c["x"].rel_frobenius,
                "x_pr_pred": c["x"].pr_pred,
                "x_pr_sim": c["x"].pr_sim,
                "x_pr_sim_unbiased": c["x"].pr_sim_unbiased,
                "xphi_offdiag_corr": c["xphi"].offdiag_corr,
            },
            "simulation": {
                "var_x": self.simulation.equal_time.var_x,
                "var_x_se": self.simulation.equal_time.var_x_se,
                "var_phi": self.simulation.equal_time.var_phi,
                "var_phi_se": self.simulation.equal_time.var_phi_se,
                "t_sampled": self.simulation.t_sampled,
                "n_trials": self.simulation.settings.n_trials,
                "delta0_dmft": self.acf["x"].delta0_pred,
                "delta0_sim": self.acf["x"].delta0_sim,
                "delta0_sim_se": self.acf["x"].delta0_se,
                "acf_x_max_abs_z": self.acf["x"].max_abs_z,
                "acf_x_connected_max_abs_z": self.acf["x_connected"].max_abs_z,
            },
            "residuals": {
                "rms_ratio": self.residuals.rms_ratio,
                "ms_offdiag_r": self.residuals.ms_offdiag_r,
                "ms_offdiag_r_se": self.residuals.ms_offdiag_r_se,
                "ms_offdiag_phi": self.residuals.ms_offdiag_phi,
                "ms_offdiag_phi_se": self.residuals.ms_offdiag_phi_se,
            },
        }
        if self.naive is not None:
            out["comparison"].update(
                {
                    "naive_offdiag_corr": c["naive_phi"].offdiag_corr,
                    "naive_rel_frobenius": c["naive_phi"].rel_frobenius,
                    "naive_pr": c["naive_phi"].pr_pred,
                    "naive_x_offdiag_corr": c["naive_x"].offdiag_corr,
                    "naive_x_rel_frobenius": c["naive_x"].rel_frobenius,
                }
            )
        if wick is not None:
            k, se, gpart = wick["kappa"], wick["kappa_se"], wick["wick"]
            out["wick"] = {
                "n_quadruples": len(k),
                "rms_kappa": float(np.sqrt(np.mean(k**2))),
                "rms_kappa_noise": float(np.sqrt(np.mean(se**2))),
                "rms_gaussian_part": float(np.sqrt(np.mean(gpart**2))),
                "frac_abs_z_gt_3": float(np.mean(np.abs(k / se) > 3)),
            }
        return json.loads(io.to_json(out))

    def to_xarray(self) -> Any:
        """All matrices, spectra, functions and metrics as one labelled ``xarray.Dataset``."""
        import xarray as xr

        n = self.realization.n
        sim = self.simulation
        et = sim.equal_time
        p = self.prediction
        nn = ("neuron", "neuron_j")
        data: dict[str, Any] = {
            "c_phi_pred": (nn, p.c_phi, {"long_name": "predicted activity covariance"}),
            "c_x_pred": (nn, p.c_x, {"long_name": "predicted preactivation covariance"}),
            "c_xphi_pred": (nn, p.c_xphi),
            "c_phi_sim": (nn, et.cov_phi, {"long_name": "simulated activity covariance"}),
            "c_x_sim": (nn, et.cov_x),
            "c_xphi_sim": (nn, et.cov_xphi),
            "c_phi_sim_se": (nn, et.cov_phi_se),
            "c_x_sim_se": (nn, et.cov_x_se),
            "c_phi_sim_halves": (("half", *nn), et.cov_phi_halves),
            "c_r_sim": (nn, self.residuals.cov_r, {"long_name": "residual covariance"}),
            "gain_sim": (("neuron",), self.residuals.gains),
            "j_eig_real": (("eig",), p.eigenvalues.real),
            "j_eig_imag": (("eig",), p.eigenvalues.imag),
            "mean_x_sim": (("neuron",), et.mean_x),
            "mean_phi_sim": (("neuron",), et.mean_phi),
        }
        for name, c in (
            ("phi_pred", p.c_phi),
            ("x_pred", p.c_x),
            ("phi_sim", et.cov_phi),
            ("x_sim", et.cov_x),
        ):
            data[f"spec_{name}"] = (("rank",), np.linalg.eigvalsh((c + c.T) / 2)[::-1])
        if self.naive is not None:
            data["c_phi_naive"] = (nn, self.naive.c_phi)
            data["c_x_naive"] = (nn, self.naive.c_x)
            for name in ("phi", "x"):
                c = getattr(self.naive, f"c_{name}")
                data[f"spec_{name}_naive"] = (("rank",), np.linalg.eigvalsh((c + c.T) / 2)[::-1])
        d = self.dmft
        data["dmft_delta"] = (("dmft_lag",), d.delta, {"long_name": "DMFT Delta(t)"})
        data["dmft_c"] = (("dmft_lag",), d.c, {"long_name": "DMFT C(t)"})
        data["dmft_s_r"] = (("dmft_lag",), d.s_r)
        ac = sim.autocovariance
        if ac is not None:
            for name in ("acf_x_raw", "acf_phi_raw", "acf_x", "acf_phi", "acf_x_se", "acf_phi_se"):
                data[f"sim_{name}"] = (("lag",), getattr(ac, name))
        if et.wick is not None:
            data["wick_kappa"] = (("quad",), et.wick["kappa"])
            data["wick_kappa_se"] = (("quad",), et.wick["kappa_se"])
            data["wick_gaussian"] = (("quad",), et.wick["wick"])
        coords: dict[str, Any] = {
            "neuron": np.arange(n),
            "neuron_j": np.arange(n),
            "half": [0, 1],
            "rank": np.arange(1, n + 1),
            "eig": np.arange(n),
            "dmft_lag": d.lags,
        }
        if ac is not None:
            coords["lag"] = ac.lags
        ds = xr.Dataset(data, coords=coords)
        summ = self.summary()
        ds.attrs.update(io.provenance())
        ds.attrs.update(
            {
                "config": self.config,
                "seeds": summ["seeds"],
                "seconds": self.seconds,
                "summary": summ,
                "spec": self.realization.network.to_config(),
                "references": sorted(set(p.references) | set(d.references)),
            }
        )
        return ds


def experiment_from_config(
    config: dict[str, Any],
) -> tuple[RateNetwork, Seeds, SimulationSettings, dict[str, Any]]:
    """Split a run config into network, seeds, simulation settings and prediction options.

    Parameters
    ----------
    config : dict
        Tables ``ensemble``, ``network``, ``simulation``, ``seeds``, ``prediction``.

    Returns
    -------
    tuple
        ``(network, seeds, settings, prediction_options)``.
    """
    cfg = dict(config)
    pred = dict(cfg.pop("prediction", {}))
    io.check_keys("prediction", pred, PREDICTION_KEYS)
    network, seeds, settings = io.experiment_from_config(cfg)
    opts = {"method": pred.get("method", "auto"), "naive": bool(pred.get("naive", True))}
    return network, seeds, settings, opts


def run_experiment(
    config: dict[str, Any] | None = None, *, progress: bool | None = None
) -> Experiment:
    """Run DMFT, prediction, simulation and comparison for one network realization.

    Parameters
    ----------
    config : dict, optional
        Run config (see :data:`DEFAULT_RUN_CONFIG`; missing entries take its values).
    progress : bool, optional
        Show progress bars (default: only on a terminal).

    Returns
    -------
    Experiment
        All results with timings.

    Raises
    ------
    randrnn.covariance.UnstableNetworkError
        If the linear-equivalent network of this realization is unstable.
    randrnn.errors.DivergenceError
        If the simulation diverges.
    """
    cfg = io.merge_config(DEFAULT_RUN_CONFIG, config or {})
    network, seeds, settings, opts = experiment_from_config(cfg)
    show = sys.stderr.isatty() if progress is None else progress
    settings = _with_progress(settings, show)
    seconds: dict[str, float] = {}
    stages = tqdm(total=4, desc="dmft", disable=not show, unit="stage")

    t0 = time.perf_counter()
    dmft = solve_stationary(network)
    seconds["dmft"] = time.perf_counter() - t0
    stages.update(1)

    stages.set_description("prediction")
    t0 = time.perf_counter()
    real = realize(network, seeds)
    residual = ResidualStatistics.from_dmft(dmft)
    pred = linear_equivalent_covariance(
        real.J, residual, sigma=network.sigma, method=opts["method"]
    )
    naive = (
        naive_closure_covariance(real.J, residual, sigma=network.sigma) if opts["naive"] else None
    )
    seconds["prediction"] = time.perf_counter() - t0
    stages.update(1)

    stages.set_description("simulation")
    t0 = time.perf_counter()
    sim = simulate(real, settings)
    seconds["simulation"] = time.perf_counter() - t0
    stages.update(1)

    stages.set_description("comparison")
    t0 = time.perf_counter()
    et = sim.equal_time
    comparison = {
        "phi": compare_covariance(pred.c_phi, et.cov_phi, et.cov_phi_halves, et.cov_phi_se),
        "x": compare_covariance(pred.c_x, et.cov_x, et.cov_x_halves, et.cov_x_se),
        "xphi": compare_covariance(pred.c_xphi, et.cov_xphi, et.cov_xphi_halves, et.cov_xphi_se),
    }
    if naive is not None:
        comparison["naive_phi"] = compare_covariance(
            naive.c_phi, et.cov_phi, et.cov_phi_halves, et.cov_phi_se
        )
        comparison["naive_x"] = compare_covariance(
            naive.c_x, et.cov_x, et.cov_x_halves, et.cov_x_se
        )
    ac = sim.autocovariance
    if ac is None:
        raise ValueError("`simulation.max_lag` must be > 0 for `randrnn run`; got 0.")
    acf = {
        "x": compare_autocovariance(dmft.lags, dmft.delta, ac.lags, ac.acf_x_raw, ac.acf_x_se),
        "phi": compare_autocovariance(dmft.lags, dmft.c, ac.lags, ac.acf_phi_raw, ac.acf_phi_se),
        "x_connected": compare_autocovariance(
            dmft.lags, dmft.delta - dmft.delta_inf, ac.lags, ac.acf_x, ac.acf_x_se
        ),
    }
    residuals = residual_covariance(et)
    seconds["comparison"] = time.perf_counter() - t0
    stages.update(1)
    stages.close()
    seconds["total"] = float(sum(seconds.values()))
    return Experiment(
        config=cfg,
        realization=real,
        dmft=dmft,
        prediction=pred,
        naive=naive,
        simulation=sim,
        comparison=comparison,
        acf=acf,
        residuals=residuals,
        seconds=seconds,
    )


def _with_progress(settings: SimulationSettings, show: bool) -> SimulationSettings:
    from dataclasses import replace

    return settings if settings.progress is not None else replace(settings, progress=show)
