r"""One theory-versus-simulation experiment: the main job of ``randrnn run``.

For a network spec and seeds: solve the DMFT (theory), draw the realization, predict its full
covariance from the linear-equivalent network and from the naive Gaussian closure (theory),
simulate the same realization (measurement), and compare them (:mod:`randrnn.verify`).
Physics.md sections 2-4; Clark (2026), arXiv 2604.23489.

- :func:`run_experiment` -- all stages, with timings and progress; no printing, no files.
- :class:`RunResult` -- the typed result; ``summary()`` (the ``summary.json`` content) and
  ``to_xarray()`` (matrices, functions and the scalar metrics as 0-d variables).
- :data:`METRICS` -- every scalar metric: its table, name and meaning.
- :func:`run_config` -- a :class:`~randrnn.config.RunConfig` from a mapping of tables merged
  onto the command's preset (tanh, g = 3, N = 1000, 128 trials x 1000 tau), checked.

A network without fluctuations (the DMFT finds a quiescent state or a static fixed point)
stops right after the DMFT with :class:`NothingToCompareError`. The naive closure is optional:
where it does not apply (``mu1 |lambda_k| >= 1`` for some eigenvalue of the realization) the
result records it as not applicable, with the reason, and the experiment goes on.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from tqdm.auto import tqdm

from randrnn import io
from randrnn.config import RunConfig, config_from_mapping
from randrnn.covariance import (
    CovariancePrediction,
    LaggedCovariance,
    MeanField,
    NetworkCovariancePrediction,
    RealizationOrderParameters,
    UnstableNetworkError,
    predict_covariance,
    realization_order_parameters,
)
from randrnn.dmft import (
    PopulationSolution,
    StationarySolution,
    solve_populations,
    solve_stationary,
)
from randrnn.errors import ConvergenceError
from randrnn.experiments._common import NothingToCompareError, StageClock, quiet_numerics
from randrnn.networks import RateNetwork, Realization, realize
from randrnn.simulate import Simulation, simulate
from randrnn.stats import MatrixEstimate, ResidualEstimate, residual_covariance
from randrnn.verify import (
    AutocovarianceComparison,
    CovarianceComparison,
    FourthCumulantComparison,
    compare_autocovariance,
    compare_covariance,
    compare_fourth_cumulants,
)

#: The scalar metrics of a run: ``{table: {name: meaning}}``. ``summary.json`` holds them
#: under ``summary[table][name]``; ``RunResult.to_xarray()`` holds each numeric one as a 0-d
#: variable ``f"{table}_{name}"`` (e.g. ``comparison_offdiag_corr``) whose ``long_name`` is the
#: meaning. "phi" is the activity covariance, "x" the preactivation covariance; "sim" the
#: simulation, "pred" the linear-equivalent prediction, "naive" the naive Gaussian closure.
METRICS: dict[str, dict[str, str]] = {
    "dmft": {
        "delta0": "DMFT variance of x, Delta(0)",
        "delta_inf": "DMFT static part of the autocovariance of x, Delta(infinity)",
        "mu0": "DMFT mean gain E[phi(x)]",
        "mu1": "DMFT gain of the linear-equivalent network, E[phi'(x)]",
        "c0": "DMFT E[phi(x)^2]",
        "g_mu1": "g mu1; 1 - g mu1 is the distance to the edge of stability",
        "tau_corr": "DMFT correlation time of x (units of tau)",
        "regime": "quiescent, static, chaotic or noise-driven",
        "converged": "the DMFT solver reached its tolerance",
        "residual": "final residual of the DMFT solver",
    },
    "prediction": {
        "method": "algorithm of the linear-equivalent prediction (eigen or quadrature)",
        "seconds": "wall time of the linear-equivalent prediction",
        "min_re_alpha": "min Re(1 - mu1 lambda_k) over eigenvalues of J: stability margin",
        "edge_proximity": (
            "1 / (N min_re_alpha^2): neglected O(1/N) errors amplified by the slowest mode; "
            "FiniteSizeWarning from 1"
        ),
        "cond_v": "condition number of the eigenvector matrix of J",
    },
    "comparison": {
        "offdiag_corr": "off-diagonal correlation of C_phi, prediction vs simulation",
        "offdiag_corr_ceiling": "the same for an exact prediction (split-half noise ceiling)",
        "ceiling_fraction": "offdiag_corr / offdiag_corr_ceiling",
        "ceiling_fraction_se": "jackknife SE of ceiling_fraction (over groups of units)",
        "rel_frobenius": "relative Frobenius error of C_phi, prediction vs simulation",
        "rel_frobenius_noise": "rel_frobenius expected from sampling noise alone",
        "diag_corr": "correlation of the per-unit variances of phi, prediction vs simulation",
        "diag_ratio": "mean predicted over mean simulated variance of phi",
        "pr_pred": "participation ratio of the predicted C_phi",
        "pr_sim": "participation ratio of the simulated C_phi (plug-in tr C^2)",
        "pr_sim_unbiased": "participation ratio of the simulated C_phi, tr(C1 C2) of halves",
        "passed": "C_phi prediction consistent with sampling noise (see verdicts)",
        "x_offdiag_corr": "off-diagonal correlation of C_x, prediction vs simulation",
        "x_offdiag_corr_ceiling": "split-half noise ceiling of x_offdiag_corr",
        "x_rel_frobenius": "relative Frobenius error of C_x",
        "x_pr_pred": "participation ratio of the predicted C_x",
        "x_pr_sim": "participation ratio of the simulated C_x (plug-in)",
        "x_pr_sim_unbiased": "participation ratio of the simulated C_x, tr(C1 C2) of halves",
        "xphi_offdiag_corr": "off-diagonal correlation of cov(x, phi), prediction vs simulation",
        "naive_closure": "compared, disabled, or not applicable (with the reason)",
        "naive_offdiag_corr": "off-diagonal correlation of C_phi, naive closure vs simulation",
        "naive_rel_frobenius": "relative Frobenius error of C_phi, naive closure",
        "naive_pr": "participation ratio of the naive-closure C_phi",
        "naive_x_offdiag_corr": "off-diagonal correlation of C_x, naive closure vs simulation",
        "naive_x_rel_frobenius": "relative Frobenius error of C_x, naive closure",
        "linear_beats_naive": "linear-equivalent better than the naive closure on both metrics",
    },
    "simulation": {
        "var_x": "population-averaged variance of x",
        "var_x_se": "its batch-means SE",
        "var_phi": "population-averaged variance of phi",
        "var_phi_se": "its batch-means SE",
        "t_sampled": "sampled duration per trial (units of tau)",
        "n_trials": "number of trials",
        "delta0_dmft": "DMFT Delta(0) on the simulated lags",
        "delta0_sim": "simulated population-averaged raw autocovariance of x at lag 0",
        "delta0_sim_se": "its batch-means SE",
        "acf_x_max_abs_z": "max |z| over lags, DMFT Delta(t) vs simulation (raw)",
        "acf_x_z_threshold": "largest max |z| consistent with sampling noise (3-sigma, Sidak)",
        "acf_x_connected_max_abs_z": "max |z|, Delta(t) - Delta_inf vs connected simulation",
        "acf_x_realization_max_abs_z": (
            "max |z|, this realization's (1/N) tr C_x(t) vs connected simulation"
        ),
        "acf_phi_realization_max_abs_z": (
            "max |z|, this realization's (1/N) tr C_phi(t) vs connected simulation"
        ),
        "acf_x_self_consistent_max_abs_z": (
            "max |z|, (1/N) tr C_x(t) with the realization's own order parameters vs simulation"
        ),
        "theory": "covariance theory used: homogeneous or heterogeneous (per-unit gains)",
        "means_rms_z": "RMS z-score, simulated per-unit means of x vs predicted m_i",
        "means_max_abs_z": "largest |z|, simulated per-unit means of x vs predicted m_i",
    },
    "residuals": {
        "rms_ratio": "RMS off-diagonal cov(r) / RMS off-diagonal cov(phi), bias-corrected",
        "ms_offdiag_r": "mean square off-diagonal residual covariance (halves, unbiased)",
        "ms_offdiag_r_se": "its SE over row groups",
        "ms_offdiag_phi": "mean square off-diagonal covariance of phi (halves, unbiased)",
        "ms_offdiag_phi_se": "its SE over row groups",
    },
    "wick": {
        "n_quadruples": "quadruples of distinct units measured",
        "n_zero_se": "quadruples with zero SE, left out of frac_abs_z_gt_3",
        "rms_kappa": "RMS standardised fourth cross-cumulant of phi",
        "rms_kappa_noise": "RMS of its SE",
        "rms_gaussian_part": "RMS Gaussian (Wick) part of the fourth moment, standardised",
        "frac_abs_z_gt_3": "fraction of quadruples (nonzero SE) with |kappa / SE| > 3",
        "expected_frac": "that fraction if kappa4 = 0 (Student t, n_blocks - 1 dof)",
    },
}


@dataclass(frozen=True, slots=True, kw_only=True)
class CovarianceComparisons:
    """The linear-equivalent prediction against the simulation, per covariance.

    Parameters
    ----------
    phi, x, xphi : CovarianceComparison
        Activities, preactivations and their cross-covariance.
    """

    phi: CovarianceComparison
    x: CovarianceComparison
    xphi: CovarianceComparison


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class NaiveClosure:
    """The optional naive-Gaussian-closure comparison and whether it could be made.

    Parameters
    ----------
    status : {"compared", "disabled", "not applicable"}
        ``disabled`` by ``prediction.naive = false``; ``not applicable`` when the closure
        does not exist for this realization (``reason`` says why).
    reason : str
        Empty unless not applicable.
    prediction : CovariancePrediction or None
        The naive covariances when compared.
    phi, x : CovarianceComparison or None
        Against the simulation, when compared.
    """

    status: Literal["compared", "disabled", "not applicable"]
    reason: str = ""
    prediction: CovariancePrediction | None = None
    phi: CovarianceComparison | None = None
    x: CovarianceComparison | None = None

    @property
    def description(self) -> str:
        """``compared``, ``disabled`` or ``not applicable: <reason>``."""
        return f"{self.status}: {self.reason}" if self.reason else self.status


@dataclass(frozen=True, slots=True, kw_only=True)
class AutocovarianceComparisons:
    r"""DMFT autocovariances against the simulated population averages.

    Parameters
    ----------
    x : AutocovarianceComparison
        Raw (non-centred) autocovariance of ``x`` vs :math:`\Delta(t)`.
    phi : AutocovarianceComparison
        Raw autocovariance of ``phi`` vs :math:`C(t)`.
    x_connected : AutocovarianceComparison
        Centred on each unit's temporal mean vs :math:`\Delta(t) - \Delta_\infty`: removes
        the static part, which at finite N includes the quenched per-unit means that the
        N -> infinity theory does not have.
    x_realization, phi_realization : AutocovarianceComparison or None
        Centred on each unit's mean vs this realization's own prediction
        :math:`\frac1N\mathrm{tr}\,C_x(t)`, :math:`\frac1N\mathrm{tr}\,C_\phi(t)` from the
        linear-equivalent network (its slow modes included); None when not predicted (per-unit
        time constants).
    x_self_consistent : AutocovarianceComparison or None
        The same for :math:`\frac1N\mathrm{tr}\,C_x(t)` with order parameters solved from the
        realization itself (:func:`randrnn.covariance.realization_order_parameters`; units
        alike only), None otherwise.
    """

    x: AutocovarianceComparison
    phi: AutocovarianceComparison
    x_connected: AutocovarianceComparison
    x_realization: AutocovarianceComparison | None = None
    phi_realization: AutocovarianceComparison | None = None
    x_self_consistent: AutocovarianceComparison | None = None


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class RunResult:
    """Everything one ``randrnn run`` computed.

    Parameters
    ----------
    config : RunConfig
        The config that produced it (``config.to_dict()`` is recorded with the results).
    realization : Realization
        Spec, seeds and couplings.
    dmft : StationarySolution
        Mean-field order parameters and functions.
    prediction : CovariancePrediction
        Linear-equivalent covariances of this realization.
    naive : NaiveClosure
        The naive Gaussian closure: compared, disabled or not applicable.
    simulation : Simulation
        Streamed statistics of the same realization.
    covariance : CovarianceComparisons
        Prediction vs simulation, with criteria and verdicts.
    autocovariance : AutocovarianceComparisons
        DMFT vs simulated autocovariances.
    residuals : ResidualEstimate
        Residual cross-covariances measured in the simulation.
    wick : FourthCumulantComparison or None
        The Wick test (None with ``simulation.n_quadruples = 0``).
    seconds : dict
        Wall time per stage and ``total``.
    memory : dict
        Peak resident memory of each stage above the memory at its start, in bytes (NaN where
        the kernel does not report it; see :class:`~randrnn.experiments._common.StageClock`).
    theory : {"homogeneous", "heterogeneous"}
        The covariance theory used (see :func:`randrnn.covariance.predict_covariance`).
    mean_field : MeanField or None
        The realization's predicted means, rates and gains (heterogeneous theory), with each
        unit's own dynamic variance (``NetworkCovariancePrediction.means_refined``).
    lagged : LaggedCovariance or None
        The realization's predicted population autocovariances.
    """

    config: RunConfig
    realization: Realization
    dmft: StationarySolution
    prediction: CovariancePrediction
    naive: NaiveClosure
    simulation: Simulation
    covariance: CovarianceComparisons
    autocovariance: AutocovarianceComparisons
    residuals: ResidualEstimate
    wick: FourthCumulantComparison | None
    seconds: dict[str, float]
    theory: str = "homogeneous"
    mean_field: MeanField | None = None
    lagged: LaggedCovariance | None = None
    memory: dict[str, float] = field(default_factory=dict)

    @property
    def means_z(self) -> Any:
        """z-scores of the simulated per-unit means of x against the predicted means (or None)."""
        if self.mean_field is None:
            return None
        et = self.simulation.equal_time
        with np.errstate(divide="ignore", invalid="ignore"):
            return (et.mean_x - self.mean_field.means) / et.mean_x_se

    @property
    def linear_beats_naive(self) -> bool | None:
        """The linear-equivalent prediction outperforms the naive closure on C_phi.

        Higher off-diagonal correlation and lower relative Frobenius error against the same
        simulation; None when the naive closure was not compared.
        """
        if self.naive.phi is None:
            return None
        return self.covariance.phi.outperforms(self.naive.phi)

    def metrics(self) -> dict[str, dict[str, Any]]:
        """The scalar metrics of :data:`METRICS`, by table, from the typed fields.

        Undefined values are NaN here (``summary()`` writes them as null with the reason).
        """
        d, p = self.dmft, self.prediction
        c, ac = self.covariance, self.autocovariance
        et = self.simulation.equal_time
        gain = self.realization.network.ensemble.statistics().iid_gain()
        out: dict[str, dict[str, Any]] = {
            "dmft": {
                "delta0": d.delta0,
                "delta_inf": d.delta_inf,
                "mu0": d.mu0,
                "mu1": d.mu1,
                "c0": d.c0,
                "g_mu1": float(gain * d.mu1) if gain is not None else float("nan"),
                "tau_corr": d.tau_corr,
                "regime": d.regime,
                "converged": d.converged,
                "residual": d.residual,
            },
            "prediction": {
                "method": p.method,
                "seconds": float(sum(p.seconds.values())),
                "min_re_alpha": p.min_re_alpha,
                "edge_proximity": 1.0 / (p.n * max(p.min_re_alpha, 1e-300) ** 2),
                "cond_v": p.cond_v,
            },
            "comparison": {
                "offdiag_corr": c.phi.offdiag_corr,
                "offdiag_corr_ceiling": c.phi.offdiag_corr_ceiling,
                "ceiling_fraction": c.phi.ceiling_fraction,
                "ceiling_fraction_se": c.phi.ceiling_fraction_se,
                "rel_frobenius": c.phi.rel_frobenius,
                "rel_frobenius_noise": c.phi.rel_frobenius_noise,
                "diag_corr": c.phi.diag_corr,
                "diag_ratio": c.phi.diag_ratio,
                "pr_pred": c.phi.pr_pred,
                "pr_sim": c.phi.pr_sim,
                "pr_sim_unbiased": c.phi.pr_sim_unbiased,
                "passed": c.phi.passed,
                "x_offdiag_corr": c.x.offdiag_corr,
                "x_offdiag_corr_ceiling": c.x.offdiag_corr_ceiling,
                "x_rel_frobenius": c.x.rel_frobenius,
                "x_pr_pred": c.x.pr_pred,
                "x_pr_sim": c.x.pr_sim,
                "x_pr_sim_unbiased": c.x.pr_sim_unbiased,
                "xphi_offdiag_corr": c.xphi.offdiag_corr,
                "naive_closure": self.naive.description,
            },
            "simulation": {
                "var_x": et.var_x,
                "var_x_se": et.var_x_se,
                "var_phi": et.var_phi,
                "var_phi_se": et.var_phi_se,
                "t_sampled": self.simulation.t_sampled,
                "n_trials": self.simulation.settings.n_trials,
                "delta0_dmft": ac.x.delta0_pred,
                "delta0_sim": ac.x.delta0_sim,
                "delta0_sim_se": ac.x.delta0_se,
                "acf_x_max_abs_z": ac.x.max_abs_z,
                "acf_x_z_threshold": ac.x.z_threshold,
                "acf_x_connected_max_abs_z": ac.x_connected.max_abs_z,
                "theory": self.theory,
            },
            "residuals": {
                "rms_ratio": self.residuals.rms_ratio,
                "ms_offdiag_r": self.residuals.ms_offdiag_r,
                "ms_offdiag_r_se": self.residuals.ms_offdiag_r_se,
                "ms_offdiag_phi": self.residuals.ms_offdiag_phi,
                "ms_offdiag_phi_se": self.residuals.ms_offdiag_phi_se,
            },
        }
        sim_table = out["simulation"]
        if ac.x_realization is not None and ac.phi_realization is not None:
            sim_table["acf_x_realization_max_abs_z"] = ac.x_realization.max_abs_z
            sim_table["acf_phi_realization_max_abs_z"] = ac.phi_realization.max_abs_z
        if ac.x_self_consistent is not None:
            sim_table["acf_x_self_consistent_max_abs_z"] = ac.x_self_consistent.max_abs_z
        if self.means_z is not None:
            sim_table["means_rms_z"] = _rms(self.means_z)
            sim_table["means_max_abs_z"] = _max_abs(self.means_z)
        nv = self.naive
        if nv.phi is not None and nv.x is not None and nv.prediction is not None:
            out["comparison"].update(
                {
                    "naive_offdiag_corr": nv.phi.offdiag_corr,
                    "naive_rel_frobenius": nv.phi.rel_frobenius,
                    "naive_pr": nv.phi.pr_pred,
                    "naive_x_offdiag_corr": nv.x.offdiag_corr,
                    "naive_x_rel_frobenius": nv.x.rel_frobenius,
                    "linear_beats_naive": self.linear_beats_naive,
                }
            )
        if self.wick is not None:
            w = self.wick
            out["wick"] = {
                "n_quadruples": w.n_quadruples,
                "n_zero_se": w.n_zero_se,
                "rms_kappa": w.rms_kappa,
                "rms_kappa_noise": w.rms_kappa_noise,
                "rms_gaussian_part": w.rms_gaussian_part,
                "frac_abs_z_gt_3": w.frac_abs_z_gt_3,
                "expected_frac": w.expected_frac,
            }
        return out

    def verdicts(self) -> dict[str, dict[str, Any]]:
        """Each comparison's verdict, whether it passed and its criterion."""
        items: dict[str, Any] = {
            "covariance_phi": self.covariance.phi,
            "covariance_x": self.covariance.x,
            "acf_x": self.autocovariance.x,
            "acf_x_connected": self.autocovariance.x_connected,
        }
        if self.autocovariance.x_realization is not None:
            items["acf_x_realization"] = self.autocovariance.x_realization
        if self.wick is not None:
            items["wick"] = self.wick
        return {
            k: {"verdict": v.verdict, "passed": v.passed, "criterion": v.criterion}
            for k, v in items.items()
        }

    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` content: config, seeds, versions, timings, metrics, verdicts.

        Strict JSON: an undefined metric is ``null`` and ``summary["undefined"]`` maps its
        ``table.name`` to the reason.
        """
        metrics = self.metrics()
        undefined = _reasons(self)
        for path in undefined:
            table, key = path.split(".", 1)
            metrics[table][key] = None
        out: dict[str, Any] = {
            "config": self.config.to_dict(),
            "seeds": self.realization.seeds.to_dict(),
            "versions": io.provenance(),
            "seconds": dict(self.seconds),
            **metrics,
            "verdicts": self.verdicts(),
        }
        if undefined:
            out["undefined"] = undefined
        return json.loads(io.to_json(out))

    def to_xarray(self) -> Any:
        """Matrices, spectra, functions and scalar metrics as one labelled ``xarray.Dataset``.

        Matrices: ``c_{phi,x,xphi}_pred``, ``c_{phi,x,xphi}_sim`` (with ``_se``, and
        ``c_phi_sim_halves``), ``c_{phi,x}_naive`` (when compared), ``c_r_sim`` (residuals);
        spectra ``spec_*`` (dim ``rank``); DMFT functions ``dmft_*`` (dim ``dmft_lag``);
        simulated autocovariances ``sim_acf_*`` (dim ``lag``); the Wick test ``wick_*`` (dim
        ``quad``). Every numeric entry of :data:`METRICS` is a 0-d variable
        ``f"{table}_{name}"`` (booleans as 0/1, undefined as NaN); string metrics and the
        summary are in ``attrs``.
        """
        import xarray as xr

        n = self.realization.n
        sim = self.simulation
        et = sim.equal_time
        cov_phi, cov_x, cov_xphi = _covariances(sim)
        p = self.prediction
        c = self.covariance
        nn = ("neuron", "neuron_j")
        data: dict[str, Any] = {
            "c_phi_pred": (nn, p.c_phi, {"long_name": "predicted activity covariance"}),
            "c_x_pred": (nn, p.c_x, {"long_name": "predicted preactivation covariance"}),
            "c_xphi_pred": (nn, p.c_xphi),
            "c_phi_sim": (nn, cov_phi.value, {"long_name": "simulated activity covariance"}),
            "c_x_sim": (nn, cov_x.value),
            "c_xphi_sim": (nn, cov_xphi.value),
            "c_phi_sim_se": (nn, cov_phi.se),
            "c_x_sim_se": (nn, cov_x.se),
            "c_phi_sim_halves": (("half", *nn), cov_phi.halves),
            "c_r_sim": (nn, self.residuals.cov_r, {"long_name": "residual covariance"}),
            "gain_sim": (("neuron",), self.residuals.gains),
            "j_eig_real": (("eig",), p.eigenvalues.real),
            "j_eig_imag": (("eig",), p.eigenvalues.imag),
            "mean_x_sim": (("neuron",), et.mean_x),
            "mean_phi_sim": (("neuron",), et.mean_phi),
            "spec_phi_pred": (("rank",), c.phi.eig_pred),
            "spec_x_pred": (("rank",), c.x.eig_pred),
            "spec_phi_sim": (("rank",), c.phi.eig_sim),
            "spec_x_sim": (("rank",), c.x.eig_sim),
        }
        nv = self.naive
        if nv.prediction is not None and nv.phi is not None and nv.x is not None:
            data["c_phi_naive"] = (nn, nv.prediction.c_phi)
            data["c_x_naive"] = (nn, nv.prediction.c_x)
            data["spec_phi_naive"] = (("rank",), nv.phi.eig_pred)
            data["spec_x_naive"] = (("rank",), nv.x.eig_pred)
        d = self.dmft
        data["dmft_delta"] = (("dmft_lag",), d.delta, {"long_name": "DMFT Delta(t)"})
        data["dmft_c"] = (("dmft_lag",), d.c, {"long_name": "DMFT C(t)"})
        data["dmft_s_r"] = (("dmft_lag",), d.s_r)
        if self.lagged is not None:
            lg = self.lagged
            data["realization_trace_x"] = (
                ("pred_lag",),
                lg.trace_x,
                {"long_name": "this realization's predicted (1/N) tr C_x(t)"},
            )
            data["realization_trace_phi"] = (
                ("pred_lag",),
                lg.trace_phi,
                {"long_name": "this realization's predicted (1/N) tr C_phi(t)"},
            )
            pred_lags = lg.lags
        if self.mean_field is not None:
            data["mean_x_pred"] = (
                ("neuron",),
                self.mean_field.means,
                {"long_name": "predicted time-averaged x_i (m = b + J psi(m))"},
            )
            data["gain_pred"] = (("neuron",), self.mean_field.gains)
        ac = sim.autocovariance
        if ac is not None:
            for name in ("acf_x_raw", "acf_phi_raw", "acf_x", "acf_phi", "acf_x_se", "acf_phi_se"):
                data[f"sim_{name}"] = (("lag",), getattr(ac, name))
        if et.wick is not None:
            data["wick_kappa"] = (("quad",), et.wick.kappa)
            data["wick_kappa_se"] = (("quad",), et.wick.kappa_se)
            data["wick_gaussian"] = (("quad",), et.wick.gaussian_part)
        strings: dict[str, str] = {}
        for table, values in self.metrics().items():
            for key, v in values.items():
                name = f"{table}_{key}"
                if isinstance(v, str):
                    strings[name] = v
                    continue
                value = float("nan") if v is None else float(v)
                data[name] = ((), value, {"long_name": METRICS[table][key]})
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
        if self.lagged is not None:
            coords["pred_lag"] = pred_lags
        ds = xr.Dataset(data, coords=coords)
        summ = self.summary()
        ds.attrs.update(io.provenance())
        ds.attrs.update(strings)
        ds.attrs.update(
            {
                "config": summ["config"],
                "seeds": summ["seeds"],
                "seconds": self.seconds,
                "summary": summ,
                "spec": self.realization.network.to_config(),
                "references": sorted(set(p.references) | set(d.references)),
            }
        )
        return ds


def _covariances(sim: Simulation) -> tuple[MatrixEstimate, MatrixEstimate, MatrixEstimate]:
    """``cov_phi``, ``cov_x``, ``cov_xphi`` of a simulation, all required by a run."""
    et = sim.equal_time
    if et.cov_phi is None or et.cov_x is None or et.cov_xphi is None:
        raise ValueError(
            "`simulation` must hold cov_x, cov_phi and cov_xphi for randrnn run; got a "
            "simulation with covariance or cross_covariance off."
        )
    return et.cov_phi, et.cov_x, et.cov_xphi


def _reasons(result: RunResult) -> dict[str, str]:
    """``table.name`` -> why that metric is undefined, for every NaN metric of the summary."""
    c, nv = result.covariance, result.naive
    sources: list[tuple[str, CovarianceComparison | None, dict[str, str]]] = [
        ("naive_x_", nv.x, {}),
        ("naive_", nv.phi, {"pr": "pr_pred"}),
        ("xphi_", c.xphi, {}),
        ("x_", c.x, {}),
        ("", c.phi, {}),
    ]
    out: dict[str, str] = {}
    for table, values in result.metrics().items():
        for key, v in values.items():
            if not (isinstance(v, float) and not np.isfinite(v)):
                continue
            reason = _OTHER_REASONS.get(table, "undefined for this run")
            if table == "comparison":
                for prefix, comp, renames in sources:
                    if comp is not None and key.startswith(prefix):
                        metric = key[len(prefix) :]
                        reason = comp.why(renames.get(metric, metric)) or reason
                        break
            out[f"{table}.{key}"] = reason
    return out


_OTHER_REASONS = {
    "dmft": "not defined for this ensemble (no single i.i.d. gain g)",
    "simulation": "no lag with a nonzero standard error",
    "residuals": "the off-diagonal covariances of phi are zero",
    "wick": "no quadruple with a nonzero standard error",
}


def run_config(config: RunConfig | Mapping[str, Any] | None = None) -> RunConfig:
    """The checked config of a run.

    Parameters
    ----------
    config : RunConfig or mapping, optional
        A config, or tables (``ensemble``, ``network``, ``simulation``, ``seeds``,
        ``prediction``) merged onto the preset of ``randrnn run`` table by table
        (:func:`randrnn.config.config_from_mapping`).

    Returns
    -------
    RunConfig
        Validated before any work: unknown keys, wrong types, out-of-range values,
        ``simulation.max_lag = 0``, a run too large for this machine.
    """
    if isinstance(config, RunConfig):
        return config
    return config_from_mapping("run", dict(config or {}))  # type: ignore[return-value]


def _check_fluctuations(dmft: StationarySolution, network: RateNetwork) -> None:
    """Stop when there is nothing to compare: no stationary state, or no fluctuations."""
    phi = network.phi.name  # type: ignore[union-attr]
    if dmft.regime == "divergent":
        raise NothingToCompareError(
            f"divergent: nothing to compare. The DMFT of this network ({phi}, sigma = "
            f"{network.sigma:g}) has no stationary state ({dmft.message}). Reduce the coupling "
            "gain (ensemble.g) or use a bounded nonlinearity (network.phi = 'tanh')."
        )
    if dmft.regime not in ("quiescent", "static"):
        return
    what = "quiescent" if dmft.regime == "quiescent" else "static fixed point"
    raise NothingToCompareError(
        f"{what}: nothing to compare. The DMFT of this network ({phi}, sigma = "
        f"{network.sigma:g}) has no temporal fluctuations (Delta(0) - Delta(inf) = "
        f"{dmft.delta0 - dmft.delta_inf:.3g}), so every covariance is zero. Raise the coupling "
        "gain above the transition (ensemble.g) or add noise (network.sigma > 0)."
    )


def run_experiment(
    config: RunConfig | Mapping[str, Any] | None = None, *, progress: bool | None = None
) -> RunResult:
    """Run DMFT, prediction, simulation and comparison for one network realization.

    Parameters
    ----------
    config : RunConfig or mapping, optional
        The run config, or tables merged onto the preset of ``randrnn run`` (see
        :func:`run_config`); checked before any work.
    progress : bool, optional
        Show progress bars (default: only on a terminal).

    Returns
    -------
    RunResult
        All results with timings.

    Raises
    ------
    NothingToCompareError
        If the DMFT finds no stationary state or no fluctuations (before any simulation).
    randrnn.covariance.UnstableNetworkError
        If the linear-equivalent network of this realization is unstable.
    randrnn.errors.ConvergenceError
        If the DMFT does not converge.
    randrnn.errors.DivergenceError
        If the simulation diverges.
    ValueError, TypeError
        A bad config, or a network the prediction does not cover (named, before the
        simulation).
    """
    cfg = run_config(config)
    network, settings = cfg.network, cfg.simulation
    show = sys.stderr.isatty() if progress is None else progress
    if settings.progress is None:
        settings = replace(settings, progress=show)
    clock = StageClock()
    stages = tqdm(total=4, desc="dmft", disable=not show, unit="stage")
    with clock("dmft"):
        populations = _needs_populations(network)
        full: StationarySolution | PopulationSolution = (
            solve_populations(network) if populations else solve_stationary(network)
        )
        dmft = full.averaged() if isinstance(full, PopulationSolution) else full
    _check_fluctuations(dmft, network)
    stages.update(1)

    stages.set_description("prediction")
    with clock("prediction"):
        real = realize(network, cfg.seeds)
        pred = predict_covariance(
            network,
            real.J,
            real.b,
            full,
            method=cfg.prediction.method,
            naive=cfg.prediction.naive,
            tau=real.tau,
            order_parameters=cfg.prediction.order_parameters,
            backend=cfg.prediction.backend,
            lags=_prediction_lags(full, settings.max_lag) if _one_tau(real.tau) else None,
        )
        own = _own_order_parameters(pred, real, full, network)
    stages.update(1)

    stages.set_description("simulation")
    with clock("simulation"):
        sim = simulate(real, settings)
    stages.update(1)

    stages.set_description("comparison")
    with clock("comparison"), quiet_numerics():
        result = _compare(cfg, real, dmft, pred, sim, own)
    stages.update(1)
    stages.close()
    return replace(result, seconds=clock.total(), memory=dict(clock.memory))


def _rms(z: Any) -> float:
    return float(np.sqrt(np.nanmean(np.asarray(z) ** 2)))


def _max_abs(z: Any) -> float:
    return float(np.nanmax(np.abs(np.asarray(z))))


def _needs_populations(network: RateNetwork) -> bool:
    """Whether the network needs the multi-population DMFT (block statistics, per-pop tau)."""
    return network.ensemble.statistics().iid_gain() is None or network.heterogeneous_tau


def _one_tau(tau: Any) -> bool:
    return bool(np.all(tau == tau[0]))


#: most lags at which the realization's own autocovariance is predicted
_MAX_PREDICTED_LAGS = 51


def _prediction_lags(dmft: StationarySolution | PopulationSolution, max_lag: float) -> Any:
    """Lags on the DMFT's grid covering ``[0, max_lag]`` (at most 51)."""
    dt = float(dmft.lags[1] - dmft.lags[0])
    steps = math.ceil(max_lag / dt - 1e-9)
    stride = max(1, math.ceil(steps / (_MAX_PREDICTED_LAGS - 1)))
    last = min(math.ceil(steps / stride) * stride, dmft.lags.size - 1)
    return dt * np.arange(0, last + 1, stride)


def _own_order_parameters(
    pred: NetworkCovariancePrediction, real: Realization, dmft: Any, network: RateNetwork
) -> RealizationOrderParameters | None:
    """The realization-level self-consistent profile (units alike only; None if it fails)."""
    if pred.theory != "homogeneous":
        return None
    if pred.order_parameters is not None:
        return pred.order_parameters
    try:
        return realization_order_parameters(
            real.J, dmft, sigma=network.sigma, tau=float(real.tau[0])
        )
    except (ConvergenceError, UnstableNetworkError):
        return None


def _realization_acf(
    pred: NetworkCovariancePrediction,
    ac: Any,
    nb: int,
    own: RealizationOrderParameters | None = None,
) -> dict[str, AutocovarianceComparison]:
    lagged = pred.lagged
    if lagged is None or lagged.lags[-1] < ac.lags[-1] - 1e-9:
        return {}
    extra = {}
    if own is not None and own.lags[-1] >= ac.lags[-1] - 1e-9:
        extra["x_self_consistent"] = compare_autocovariance(
            own.lags, own.delta, ac.lags, ac.acf_x, ac.acf_x_se, n_blocks=nb
        )
    return {
        **extra,
        "x_realization": compare_autocovariance(
            lagged.lags, lagged.trace_x, ac.lags, ac.acf_x, ac.acf_x_se, n_blocks=nb
        ),
        "phi_realization": compare_autocovariance(
            lagged.lags, lagged.trace_phi, ac.lags, ac.acf_phi, ac.acf_phi_se, n_blocks=nb
        ),
    }


def _compare(
    cfg: RunConfig,
    real: Realization,
    dmft: StationarySolution,
    pred: NetworkCovariancePrediction,
    sim: Simulation,
    own: RealizationOrderParameters | None = None,
) -> RunResult:
    et = sim.equal_time
    cov_phi, cov_x, cov_xphi = _covariances(sim)
    ac = sim.autocovariance
    if ac is None:
        raise ValueError(
            "`simulation.max_lag` must be > 0 for randrnn run; got a simulation without "
            "autocovariances."
        )
    n = real.n
    linear = pred.linear
    covariance = CovarianceComparisons(
        phi=compare_covariance(linear.c_phi, cov_phi, n_eig=n),
        x=compare_covariance(linear.c_x, cov_x, n_eig=n),
        xphi=compare_covariance(linear.c_xphi, cov_xphi, n_eig=0),
    )
    if pred.naive is not None:
        naive = NaiveClosure(
            status="compared",
            prediction=pred.naive,
            phi=compare_covariance(pred.naive.c_phi, cov_phi, n_eig=n),
            x=compare_covariance(pred.naive.c_x, cov_x, n_eig=n),
        )
    else:
        naive = NaiveClosure(status=pred.naive_status, reason=pred.naive_reason)
    nb = ac.n_blocks
    acf = AutocovarianceComparisons(
        x=compare_autocovariance(
            dmft.lags, dmft.delta, ac.lags, ac.acf_x_raw, ac.acf_x_se, n_blocks=nb
        ),
        phi=compare_autocovariance(
            dmft.lags, dmft.c, ac.lags, ac.acf_phi_raw, ac.acf_phi_se, n_blocks=nb
        ),
        x_connected=compare_autocovariance(
            dmft.lags, dmft.delta - dmft.delta_inf, ac.lags, ac.acf_x, ac.acf_x_se, n_blocks=nb
        ),
        **_realization_acf(pred, ac, nb, own),
    )
    return RunResult(
        config=cfg,
        realization=real,
        dmft=dmft,
        prediction=linear,
        naive=naive,
        simulation=sim,
        covariance=covariance,
        autocovariance=acf,
        residuals=residual_covariance(et),
        wick=compare_fourth_cumulants(et.wick) if et.wick is not None else None,
        seconds={},
        theory=pred.theory,
        mean_field=pred.means_refined or pred.mean_field,
        lagged=pred.lagged,
    )
