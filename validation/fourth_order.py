r"""Fourth-order statistics and the residual cross-covariance exponent versus network size.

A reproducible study of two leading-order claims of the linear-equivalent theory
(docs/theory.md section 3; Clark, arXiv 2604.23489):

1. fourth cross-cumulants of distinct units are suppressed relative to their Gaussian (Wick)
   part: does RMS(kappa) / RMS(W) vanish with N, and with which exponent?
2. residual cross-covariances shrink like 1/N while activity cross-covariances shrink like
   1/sqrt(N): is the fitted exponent of RMS off-diagonal cov(r) equal to -1?

and of one explanation: the leading principal components of the activity (slow modes near the
spectral edge) are non-Gaussian, and independent non-Gaussian modes imply
:math:`\kappa_{ijkl} = \sum_k c_4^{(k)} u_{ik} u_{jk} u_{kk} u_{lk}`. For a single dominant
mode of standardised excess kurtosis :math:`\kappa_{PC}`, :math:`\kappa_{ijkl} /
W_{ijkl} = \kappa_{PC} / 3`, so negative PC kurtosis gives cumulants anti-correlated with
their Gaussian part.

Per case (tanh; chaotic g = 3, sigma = 0, the ``randrnn run`` preset; noise-driven g = 0.9,
sigma = 1.5; chaotic with noise g = 1.5, sigma = 0.5), size and coupling realization, one
simulation (covariances on, all units recorded) gives:

- residual and activity mean-square cross-covariances, unbiased from two time halves
  (:func:`randrnn.stats.residual_covariance`);
- fourth cross-cumulants on random quadruples from four time quarters
  (:func:`randrnn.cumulants.cross_cumulants_from_parts`): unbiased mean squares, their ratio
  and the slope of kappa on W; and the simulator's own plug-in Wick test for reference;
- the excess kurtosis of the leading principal components of C_phi (directions from one time
  half's simulated covariance, kurtosis measured on the other half, and vice versa), the
  cumulants that those modes imply (independent modes, and the whole leading subspace);
- for one realization per case, the linear-equivalent prediction of the PC kurtosis: 0 for a
  Gaussian residual drive, and for independent non-Gaussian residuals of single-site excess
  kurtosis :math:`\kappa_r` at most :math:`|\kappa_r| \sum_m W_m^2 / (\sum_m W_m + W_\xi)^2`,
  where :math:`W_m = \int d\omega/2\pi\, |(u^T R(\omega))_m|^2 S_r(\omega)` is the variance
  that unit m's residual contributes to the projection and :math:`W_\xi` the noise part
  (filtering in time does not raise the standardised kurtosis of a sum of independent terms).

Exponents are weighted least squares in log-log space (:func:`randrnn.verify.power_law_fit`)
on realization means with SEs from the spread over realizations; the SE is inflated by
``sqrt(chi2/dof)`` when the scatter exceeds the error bars.

Run ``OPENBLAS_NUM_THREADS=1 python validation/fourth_order.py`` (defaults: the full study,
43 minutes on two cores shared with other jobs; one BLAS thread, as a multithreaded BLAS on
oversubscribed cores was ten times slower); ``--help`` lists the options. Writes
``fourth_order.json``, ``fourth_order.md`` and ``fourth_order.png`` to ``--out``;
``--from-json`` rebuilds the tables, fits and figure from stored runs.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from randrnn import (
    GaussianEnsemble,
    RateNetwork,
    Seeds,
    SimulationSettings,
    UnstableNetworkError,
    predict_covariance,
    realize,
    simulate,
    solve_stationary,
)
from randrnn.covariance import ResidualStatistics
from randrnn.cumulants import (
    cross_cumulants_from_parts,
    fourth_cross_cumulants,
    mode_cross_cumulants,
    projection_kurtosis,
)
from randrnn.stats import residual_covariance, sample_quadruples
from randrnn.sweeps import realization_seeds
from randrnn.verify import compare_fourth_cumulants, power_law_fit

#: network cases: name -> (g, sigma, description)
CASES: dict[str, tuple[float, float, str]] = {
    "chaotic": (3.0, 0.0, "chaotic, g = 3, sigma = 0 (the randrnn run preset)"),
    "noise": (0.9, 1.5, "noise-driven, g = 0.9, sigma = 1.5"),
    "mixed": (1.5, 0.5, "chaotic with noise, g = 1.5, sigma = 0.5"),
}

DEFAULT_SIZES = (250, 500, 1000, 2000, 4000)
DEFAULT_REALIZATIONS = (6, 4, 3, 2, 2)


@dataclass(frozen=True, slots=True, kw_only=True)
class StudySettings:
    """What the study runs.

    Parameters
    ----------
    sizes : tuple of int
        Network sizes (at least two).
    realizations : tuple of int
        Coupling realizations per size (same length as ``sizes``).
    cases : tuple of str
        Keys of :data:`CASES`.
    t_max : float
        Sampled duration per trial (units of tau).
    burn_in : float
        Discarded transient per trial.
    n_trials : int
        Trials per realization (>= 4: the kurtosis SE is a jackknife over trials).
    quads_per_unit : float
        Quadruples per unit (``q = quads_per_unit * N``, at most ``max_quadruples``).
    max_quadruples : int
        Cap on the number of quadruples.
    n_pcs : int
        Leading principal components whose kurtosis is measured and modelled.
    record_every : int
        Integration steps between recorded samples (dt = 0.05).
    theory_size : int
        Size at which the linear-equivalent PC kurtosis is computed (first realization).
    seed : int
        Base coupling seed (realizations from :func:`randrnn.sweeps.realization_seeds`).
    """

    sizes: tuple[int, ...] = DEFAULT_SIZES
    realizations: tuple[int, ...] = DEFAULT_REALIZATIONS
    cases: tuple[str, ...] = ("chaotic", "noise", "mixed")
    t_max: float = 300.0
    burn_in: float = 50.0
    n_trials: int = 24
    quads_per_unit: float = 12.5
    max_quadruples: int = 30_000
    n_pcs: int = 10
    record_every: int = 20
    theory_size: int = 1000
    seed: int = 0
    dt: float = 0.05
    n_quadruples_plugin: int = 2000

    def __post_init__(self) -> None:
        if len(self.sizes) < 2 or any(n < 16 for n in self.sizes):
            raise ValueError(f"`sizes` must hold >= 2 sizes, each >= 16; got {self.sizes!r}.")
        if len(self.realizations) != len(self.sizes) or min(self.realizations) < 1:
            raise ValueError(
                "`realizations` must give >= 1 realization per size (one number per size, or "
                f"one for all); got {self.realizations!r} for sizes {self.sizes!r}."
            )
        unknown = [c for c in self.cases if c not in CASES]
        if unknown or not self.cases:
            raise ValueError(f"`cases` must be among {sorted(CASES)}; got {self.cases!r}.")
        if self.n_trials < 4:
            raise ValueError(
                f"`n_trials` must be >= 4 (jackknife over trials); got {self.n_trials}."
            )

    def quadruples(self, n: int) -> int:
        """Quadruples measured at size ``n``."""
        return int(min(self.max_quadruples, max(64, round(self.quads_per_unit * n))))


# ----------------------------------------------------------------------------------------------
# Theory: single-site residual kurtosis and the linear-equivalent PC kurtosis


def residual_excess_kurtosis(delta0: float, mu1: float) -> float:
    r"""Excess kurtosis of :math:`r = \tanh(x) - \mu_1 x`, :math:`x \sim N(0, \Delta_0)`."""
    z, w = np.polynomial.hermite_e.hermegauss(200)
    w = w / w.sum()
    x = np.sqrt(delta0) * z
    r = np.tanh(x) - mu1 * x
    m2 = float(w @ r**2)
    return float(w @ r**4) / m2**2 - 3.0


def linear_equivalent_pc_kurtosis(
    J: np.ndarray, dmft: Any, sigma: float, directions: np.ndarray, *, n_freq: int = 4000
) -> dict[str, Any]:
    r"""The linear-equivalent network's prediction for the kurtosis of projections.

    With :math:`a(\omega) = \mu_1/(1 + i\omega)`, :math:`R = (I - aJ)^{-1}`, the projection
    :math:`s = u^T\phi` is the sum over units m of :math:`(u^T R)_m r_m` plus the noise part.
    Its variance is :math:`\sum_m W_m + W_\xi`; a Gaussian drive gives excess kurtosis 0;
    independent residuals of excess kurtosis :math:`\kappa_r` give at most
    :math:`|\kappa_r| \sum_m W_m^2 / (\sum_m W_m + W_\xi)^2` in magnitude.
    """
    lam, V = np.linalg.eig(J)
    vinv = np.linalg.inv(V)
    uv = directions.T.astype(complex) @ V  # (K, n)
    omega = np.concatenate([[0.0], np.geomspace(1e-3, 1e3, n_freq)])
    wt = np.zeros_like(omega)  # trapezoid weights on [0, inf), times 2 (even integrand) / 2 pi
    dw = np.diff(omega)
    wt[:-1] += dw / 2
    wt[1:] += dw / 2
    wt *= 2 / (2 * np.pi)
    s_r = ResidualStatistics.from_dmft(dmft).spectrum(omega)
    a = dmft.mu1 / (1 + 1j * omega)
    k, n = uv.shape
    w_units = np.zeros((k, n))
    w_noise = np.zeros(k)
    for c0 in range(0, len(omega), 64):
        sl = slice(c0, c0 + 64)
        d = 1.0 / (1.0 - a[sl, None] * lam[None, :])  # (c, n)
        c = d.shape[0]
        rows = (uv[None, :, :] * d[:, None, :]).reshape(c * k, n) @ vinv  # u^T R(omega)
        p = (rows.real**2 + rows.imag**2).reshape(c, k, n)
        w_units += np.einsum("c,ckn->kn", wt[sl] * s_r[sl], p)
        w_noise += np.einsum("c,ck->k", wt[sl] * sigma**2 * np.abs(a[sl]) ** 2, p.sum(2))
    var = w_units.sum(1) + w_noise
    return {
        "variance": var.tolist(),
        "noise_fraction": (w_noise / var).tolist(),
        "inverse_participation": ((w_units**2).sum(1) / var**2).tolist(),
    }


def gaussian_residual_cross_covariance(cov_x: Any) -> dict[str, float]:
    r"""Mean square of the residual cross-covariance that jointly Gaussian ``x`` would give.

    For jointly Gaussian :math:`x_i, x_j` of correlation :math:`\rho_{ij}` (Mehler),
    :math:`\mathrm{cov}(r_i, r_j) = \sum_{n \ge 2} b_{n,i} b_{n,j} \rho_{ij}^n / n!` with
    :math:`b_{n,i} = E[\tanh(\sqrt{\Delta_i} z) He_n(z)]`: for odd :math:`\phi` the leading
    term is :math:`n = 3`, of order :math:`N^{-3/2}`, so a residual cross-covariance of order
    :math:`1/N` is beyond the Gaussian closure. The mean square over :math:`i \ne j` of that
    term is estimated from the two time halves with :math:`\rho_h^3 - 3\rho_h\sigma^2` per
    half (unbiased for Gaussian noise of variance :math:`\sigma^2`, estimated from the
    halves' differences), so that sampling noise does not inflate it.
    """
    halves = np.asarray(cov_x.halves, dtype=float)
    var = np.diag(np.asarray(cov_x.value, dtype=float))
    z, w = np.polynomial.hermite_e.hermegauss(120)
    w = w / w.sum()
    b3 = (np.tanh(np.sqrt(var)[:, None] * z[None, :]) * (z**3 - 3 * z)) @ w
    n = len(var)
    off = ~np.eye(n, dtype=bool)
    rho = [h / np.sqrt(np.outer(np.diag(h), np.diag(h))) for h in halves]
    noise = float(np.mean((rho[0] - rho[1])[off] ** 2) / 2)
    cubes = [r**3 - 3 * r * noise for r in rho]
    weight = np.outer(b3, b3) / 6
    prod = (weight * cubes[0]) * (weight * cubes[1])
    return {
        "ms_offdiag_r_gaussian": float(np.mean(prod[off])),
        "ms_offdiag_rho_x": float(np.mean((rho[0] * rho[1])[off])),
        "rho_noise_variance": noise,
    }


# ----------------------------------------------------------------------------------------------
# One simulation


def _top_pcs(cov: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Leading ``k`` eigenvalues (descending) and unit eigenvectors of a symmetric matrix."""
    import scipy.linalg

    n = cov.shape[0]
    ev, vec = scipy.linalg.eigh(
        np.asarray(cov, dtype=float), subset_by_index=[n - k, n - 1], driver="evr"
    )
    return ev[::-1], vec[:, ::-1]


def _ols_slope(y: np.ndarray, x: np.ndarray) -> float:
    return float(np.polyfit(x, y, 1)[0])


def _pc_study(
    phi: np.ndarray, halves: np.ndarray, quads: np.ndarray, n_pcs: int, kappa: Any
) -> tuple[dict[str, Any], np.ndarray]:
    """PC kurtosis (cross-fitted over time halves) and the cumulants the PCs imply.

    Returns the results and the leading directions of the first half.
    """
    s = phi.shape[0] // 2
    parts = (phi[:s], phi[s : 2 * s])
    kurt, kurt_se, null, evs, dirs, pred_diag, pred_sub = [], [], [], [], [], [], []
    units, inverse = np.unique(quads, return_inverse=True)
    local = inverse.reshape(quads.shape)
    for a, b in ((0, 1), (1, 0)):
        ev, u = _top_pcs(halves[a], n_pcs)
        pk = projection_kurtosis(parts[b], u, n_surrogates=8, rng=np.random.default_rng(a))
        var_b = np.asarray(np.diag(halves[b]), dtype=float)
        kurt.append(pk.excess_kurtosis)
        kurt_se.append(np.hypot(pk.se, pk.null_se))
        null.append(pk.null_kurtosis)
        evs.append(ev)
        dirs.append(u)
        pred_diag.append(mode_cross_cumulants(u, pk.fourth_cumulant, quads, var_b))
        zb = parts[b].reshape(-1, phi.shape[2])
        proj = (zb - zb.mean(0)) @ u  # (s b, K) amplitudes in half b
        rec = proj @ u[units].T  # the leading-subspace part of phi on the quadruples' units
        pred_sub.append(fourth_cross_cumulants(rec, local, variances=var_b[units])[0])
    kurt_raw = np.mean(kurt, axis=0)
    kurt_m = kurt_raw - np.mean(null, axis=0)
    kurt_se_m = np.sqrt(np.sum(np.square(kurt_se), axis=0)) / 2
    w_mean = kappa.gaussian_mean
    ms_w = kappa.ms_gaussian
    k_mean = kappa.kappa_mean
    out: dict[str, Any] = {
        "eigenvalues": np.mean(evs, axis=0).tolist(),
        "pc_overlap": np.abs(np.sum(dirs[0] * dirs[1], axis=0)).tolist(),
        "kurtosis": kurt_m.tolist(),
        "kurtosis_se": kurt_se_m.tolist(),
        "kurtosis_uncorrected": kurt_raw.tolist(),
        "kurtosis_null": np.mean(null, axis=0).tolist(),
        "kurtosis_top5": float(kurt_m[:5].mean()),
        "kurtosis_top5_se": float(np.sqrt(np.sum(kurt_se_m[:5] ** 2)) / 5),
    }
    for name, pred in (("modes", np.mean(pred_diag, 0)), ("subspace", np.mean(pred_sub, 0))):
        ms_p = float(np.mean(pred**2))
        cross = float(np.mean(k_mean * pred))
        out[f"{name}_slope_on_w"] = float(np.mean(pred * w_mean) / ms_w) if ms_w > 0 else math.nan
        out[f"{name}_rms"] = math.sqrt(ms_p)
        out[f"{name}_regression"] = cross / ms_p if ms_p > 0 else math.nan
        denom = math.sqrt(kappa.ms_kappa * ms_p) if kappa.ms_kappa > 0 and ms_p > 0 else math.nan
        out[f"{name}_corr"] = cross / denom
    return out, dirs[0]


def run_one(
    case: str, n: int, coupling: int, st: StudySettings, dmft: Any, *, theory: bool
) -> dict[str, Any]:
    """Simulate one realization and measure everything (see the module docstring)."""
    g, sigma, _ = CASES[case]
    net = RateNetwork(ensemble=GaussianEnsemble(n=n, g=g), phi="tanh", sigma=sigma)
    real = realize(net, Seeds(coupling=coupling))
    settings = SimulationSettings(
        dt=st.dt,
        t_max=st.t_max,
        burn_in=st.burn_in,
        n_trials=st.n_trials,
        max_lag=0.0,
        n_quadruples=min(st.n_quadruples_plugin, st.quadruples(n)),
        record_units=tuple(range(n)),
        record_trials=st.n_trials,
        record_every=st.record_every,
        progress=False,
    )
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fourth-") as tmp:
        store = str(Path(tmp) / "traj.zarr")
        sim = simulate(real, settings, trajectory_store=store)
        import zarr

        phi = np.asarray(zarr.open_group(store, mode="r")["trajectory"]["x"][:])
    np.tanh(phi, out=phi)  # (time, trial, unit)
    t_sim = time.perf_counter() - t0
    et = sim.equal_time
    res = residual_covariance(et)
    quads = sample_quadruples(n, st.quadruples(n), np.random.default_rng([st.seed, n, coupling]))
    quarter = phi.shape[0] // 4  # four independent stretches of time: SEs see common noise
    kappa = cross_cumulants_from_parts(
        [phi[i * quarter : (i + 1) * quarter].reshape(-1, n) for i in range(4)], quads
    )
    if et.cov_phi is None or et.wick is None:
        raise RuntimeError("the simulation must accumulate cov_phi and the quadruple moments")
    plug = compare_fourth_cumulants(et.wick)
    out: dict[str, Any] = {
        "case": case,
        "n": n,
        "coupling_seed": coupling,
        "t_sampled": sim.t_sampled,
        "n_trials": st.n_trials,
        "ms_offdiag_r": res.ms_offdiag_r,
        "ms_offdiag_r_se": res.ms_offdiag_r_se,
        "ms_offdiag_r_plugin": res.ms_offdiag_r_naive,
        "ms_offdiag_phi": res.ms_offdiag_phi,
        "ms_offdiag_phi_se": res.ms_offdiag_phi_se,
        **gaussian_residual_cross_covariance(et.cov_x),
        "var_phi": et.var_phi,
        "n_quadruples": kappa.n_quadruples,
        "ms_kappa": kappa.ms_kappa,
        "ms_kappa_se": kappa.ms_kappa_se,
        "ms_gaussian": kappa.ms_gaussian,
        "ms_gaussian_se": kappa.ms_gaussian_se,
        "ms_kappa_noise_half": kappa.ms_noise,
        "ratio": kappa.ratio,
        "ratio_se": kappa.ratio_se,
        "slope": kappa.slope,
        "slope_se": kappa.slope_se,
        "plugin_rms_kappa": plug.rms_kappa,
        "plugin_rms_kappa_noise": plug.rms_kappa_noise,
        "plugin_rms_gaussian": plug.rms_gaussian_part,
        "plugin_slope": _ols_slope(np.asarray(et.wick.kappa), np.asarray(et.wick.gaussian_part)),
    }
    pcs, directions = _pc_study(phi, et.cov_phi.halves, quads, st.n_pcs, kappa)
    out.update(pcs)
    if theory:
        u = directions[:, :3]  # from the first half; variances checked on the second
        t1 = time.perf_counter()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                pred = predict_covariance(net, real.J, real.b, dmft, naive=False).linear
        except UnstableNetworkError as exc:
            out["linear_equivalent"] = {"unstable": str(exc)}
            return _finish(out, t0, t_sim)
        le = linear_equivalent_pc_kurtosis(np.asarray(real.J), dmft, sigma, u)
        le["variance_check"] = [float(v @ pred.c_phi @ v) for v in u.T]
        le["warnings"] = [str(w.message) for w in caught]
        le["variance_sim"] = [float(v @ et.cov_phi.halves[1] @ v) for v in u.T]
        kr = residual_excess_kurtosis(dmft.delta0, dmft.mu1)
        le["residual_kurtosis"] = kr
        le["kurtosis_bound"] = [abs(kr) * p for p in le["inverse_participation"]]
        le["seconds"] = time.perf_counter() - t1
        out["linear_equivalent"] = le
    return _finish(out, t0, t_sim)


def _finish(out: dict[str, Any], t0: float, t_sim: float) -> dict[str, Any]:
    out["seconds"] = time.perf_counter() - t0
    out["seconds_simulation"] = t_sim
    return out


# ----------------------------------------------------------------------------------------------
# Aggregation and fits


def _mean_se(values: Sequence[float], ses: Sequence[float]) -> tuple[float, float]:
    """Mean over realizations; SE from their spread (>= 3), else from the within-run SEs."""
    v = np.asarray(values, dtype=float)
    s = np.asarray(ses, dtype=float)
    k = len(v)
    within = float(np.sqrt(np.sum(s**2)) / k)
    if k >= 3:
        return float(v.mean()), max(float(v.std(ddof=1) / np.sqrt(k)), within)
    if k == 2:
        return float(v.mean()), max(float(abs(v[0] - v[1]) / 2), within)
    return float(v[0]), within


def fit_exponent(
    sizes: Sequence[float], y: Sequence[float], y_se: Sequence[float], scale: float = 1.0
) -> dict[str, Any]:
    """Exponent of ``y ** scale`` vs N (weighted log-log fit), SE inflated by sqrt(chi2/dof).

    Points with ``y <= 2 y_se`` (not resolved from 0) are left out and listed.
    """
    x = np.asarray(sizes, dtype=float)
    yy = np.asarray(y, dtype=float)
    ss = np.asarray(y_se, dtype=float)
    ok = np.isfinite(yy) & (yy > 2 * ss)
    out: dict[str, Any] = {"sizes_used": x[ok].astype(int).tolist()}
    out["sizes_unresolved"] = x[~ok].astype(int).tolist()
    if ok.sum() < 2:
        return {**out, "exponent": math.nan, "exponent_se": math.nan, "chi2_dof": math.nan}
    fit = power_law_fit(x[ok], yy[ok], ss[ok])
    resid = (np.log(yy[ok]) - np.log(fit.prefactor) - fit.exponent * np.log(x[ok])) / (
        ss[ok] / yy[ok]
    )
    dof = int(ok.sum()) - 2
    chi2 = float(resid @ resid / dof) if dof > 0 else math.nan
    se = fit.exponent_se * (max(1.0, math.sqrt(chi2)) if dof > 0 else 1.0)
    return {
        **out,
        "exponent": fit.exponent * scale,
        "exponent_se": se * scale,
        "exponent_se_unscaled": fit.exponent_se * scale,
        "chi2_dof": chi2,
        "prefactor": fit.prefactor**scale,
    }


def two_term_fit(sizes: Sequence[float], ms: Sequence[float], ms_se: Sequence[float]) -> dict:
    """Fit RMS = a / N + b / N^1.5 (weighted, linear in a and b) to RMS = sqrt(ms).

    The 1/N term is the claim of the linear-equivalent theory; the N^-1.5 term is the
    leading residual cross-covariance of jointly Gaussian preactivations. ``n_cross`` =
    (b / a)^2 is where they are equal.
    """
    x = np.asarray(sizes, dtype=float)
    m = np.asarray(ms, dtype=float)
    ok = np.isfinite(m) & (m > 0)
    if ok.sum() < 3:
        return {"a": math.nan, "a_se": math.nan, "b": math.nan, "b_se": math.nan}
    y = np.sqrt(m[ok])
    sy = np.asarray(ms_se, dtype=float)[ok] / (2 * y)
    A = np.stack([1 / x[ok], x[ok] ** -1.5], 1) / sy[:, None]
    coef, *_ = np.linalg.lstsq(A, y / sy, rcond=None)
    cov = np.linalg.inv(A.T @ A)
    resid = A @ coef - y / sy
    dof = int(ok.sum()) - 2
    chi2 = float(resid @ resid / dof) if dof > 0 else math.nan
    cov = cov * max(1.0, chi2) if dof > 0 else cov
    a, b = coef
    return {
        "a": float(a),
        "a_se": float(np.sqrt(cov[0, 0])),
        "b": float(b),
        "b_se": float(np.sqrt(cov[1, 1])),
        "chi2_dof": chi2,
        "n_cross": float((b / a) ** 2) if a > 0 and b > 0 else math.nan,
    }


def aggregate(runs: list[dict[str, Any]], sizes: Sequence[int]) -> dict[str, Any]:
    """Per-size realization means with SEs, and the fitted exponents, for one case."""
    table: list[dict[str, Any]] = []
    for n in sizes:
        rs = [r for r in runs if r["n"] == n]
        if not rs:
            continue
        row: dict[str, Any] = {"n": n, "realizations": len(rs)}
        for key in ("ms_offdiag_r", "ms_offdiag_phi", "ms_kappa", "ms_gaussian", "slope"):
            row[key], row[key + "_se"] = _mean_se(
                [r[key] for r in rs], [r[key + "_se"] for r in rs]
            )
        row["kurtosis_pc1"], row["kurtosis_pc1_se"] = _mean_se(
            [r["kurtosis"][0] for r in rs], [r["kurtosis_se"][0] for r in rs]
        )
        row["kurtosis_top5"], row["kurtosis_top5_se"] = _mean_se(
            [r["kurtosis_top5"] for r in rs], [r["kurtosis_top5_se"] for r in rs]
        )
        for key in ("modes_slope_on_w", "subspace_slope_on_w", "modes_corr", "subspace_corr"):
            row[key] = float(np.nanmean([r[key] for r in rs]))
        row["ms_offdiag_r_gaussian"] = float(np.mean([r["ms_offdiag_r_gaussian"] for r in rs]))
        row["gaussian_fraction_r"] = row["ms_offdiag_r_gaussian"] / row["ms_offdiag_r"]
        for key in ("plugin_rms_kappa", "plugin_rms_kappa_noise", "plugin_slope", "seconds"):
            row[key] = float(np.mean([r[key] for r in rs]))
        row["eigenvalue_pc1"] = float(np.mean([r["eigenvalues"][0] for r in rs]))
        row["var_phi"] = float(np.mean([r["var_phi"] for r in rs]))
        # ratio^2 = ms_kappa / ms_gaussian per realization (unbiased numerator, may be < 0),
        # averaged over the realizations whose Gaussian part is resolved (> 3 SE); the
        # ratio of the averaged mean squares would be dominated by the realizations with the
        # strongest slow modes
        ok = [r for r in rs if r["ms_gaussian"] > 3 * r["ms_gaussian_se"]]
        row["realizations_ratio"] = len(ok)
        if ok:
            r2, r2_se = _mean_se(
                [r["ms_kappa"] / r["ms_gaussian"] for r in ok],
                [r["ms_kappa_se"] / r["ms_gaussian"] for r in ok],
            )
        else:
            r2, r2_se = math.nan, math.nan
        row["ratio_squared"], row["ratio_squared_se"] = r2, r2_se
        row["ratio"] = math.sqrt(max(r2, 0.0)) if ok else math.nan
        row["ratio_se"] = r2_se / (2 * row["ratio"]) if ok and r2 > 0 else math.nan
        # 2-sigma upper limit on the ratio (useful where ms_kappa is not resolved from 0)
        row["ratio_upper"] = math.sqrt(max(r2 + 2 * r2_se, 0.0)) if ok else math.nan
        row["rms_r_times_n"] = math.sqrt(max(row["ms_offdiag_r"], 0.0)) * n
        row["rms_phi_times_sqrt_n"] = math.sqrt(max(row["ms_offdiag_phi"], 0.0) * n)
        table.append(row)
    ns = [row["n"] for row in table]

    def col(k: str) -> list[float]:
        return [row[k] for row in table]

    fits = {
        "rms_residual": fit_exponent(ns, col("ms_offdiag_r"), col("ms_offdiag_r_se"), 0.5),
        "rms_activity": fit_exponent(ns, col("ms_offdiag_phi"), col("ms_offdiag_phi_se"), 0.5),
        "rms_kappa": fit_exponent(ns, col("ms_kappa"), col("ms_kappa_se"), 0.5),
        "rms_gaussian": fit_exponent(ns, col("ms_gaussian"), col("ms_gaussian_se"), 0.5),
        "ratio": fit_exponent(ns, col("ratio_squared"), col("ratio_squared_se"), 0.5),
        "abs_kurtosis_top5": fit_exponent(
            ns, np.abs(col("kurtosis_top5")), col("kurtosis_top5_se")
        ),
    }
    fits["rms_residual_two_terms"] = two_term_fit(ns, col("ms_offdiag_r"), col("ms_offdiag_r_se"))
    big = [i for i, n in enumerate(ns) if n >= 1000]
    if len(big) >= 2:
        sub = [ns[i] for i in big]
        fits["rms_residual_n_ge_1000"] = fit_exponent(
            sub,
            [col("ms_offdiag_r")[i] for i in big],
            [col("ms_offdiag_r_se")[i] for i in big],
            0.5,
        )
        fits["rms_activity_n_ge_1000"] = fit_exponent(
            sub,
            [col("ms_offdiag_phi")[i] for i in big],
            [col("ms_offdiag_phi_se")[i] for i in big],
            0.5,
        )
    return {"table": table, "fits": fits}


# ----------------------------------------------------------------------------------------------
# The study


def run_study(
    st: StudySettings,
    log: Callable[[str], None] | None = None,
    checkpoint: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Run every case, size and realization; return the JSON-able results.

    ``checkpoint`` is called with the results so far after each case (to write them).
    """
    t_start = time.perf_counter()
    log = log or (lambda msg: None)
    out: dict[str, Any] = {"settings": asdict(st), "cases": {}}
    for case in st.cases:
        g, sigma, desc = CASES[case]
        net = RateNetwork(ensemble=GaussianEnsemble(n=st.sizes[0], g=g), phi="tanh", sigma=sigma)
        dmft = solve_stationary(net)
        info = {
            "description": desc,
            "g": g,
            "sigma": sigma,
            "mu1": dmft.mu1,
            "g_mu1": g * dmft.mu1,
            "delta0": dmft.delta0,
            "tau_corr": dmft.tau_corr,
            "residual_kurtosis": residual_excess_kurtosis(dmft.delta0, dmft.mu1),
        }
        log(
            f"[{time.perf_counter() - t_start:7.1f}s] case {case}: {desc}; "
            f"g mu1 = {g * dmft.mu1:.4f}"
        )
        theory_n = min(st.sizes, key=lambda n: abs(n - st.theory_size))
        runs = []
        for n, n_real in zip(st.sizes, st.realizations, strict=True):
            for r, seed in enumerate(realization_seeds(st.seed, n_real)):
                res = run_one(case, n, seed, st, dmft, theory=(n == theory_n and r == 0))
                runs.append(res)
                log(
                    f"[{time.perf_counter() - t_start:7.1f}s] {case} N={n} r={r}: "
                    f"ms_r={res['ms_offdiag_r']:.3g}±{res['ms_offdiag_r_se']:.2g} "
                    f"ratio={res['ratio']:.3f}±{res['ratio_se']:.3f} "
                    f"slope={res['slope']:.3f} kurt_pc1={res['kurtosis'][0]:.2f} "
                    f"({res['seconds']:.0f}s)"
                )
        out["cases"][case] = {**info, "runs": runs, **aggregate(runs, st.sizes)}
        out["theory_size"] = theory_n
        out["seconds"] = time.perf_counter() - t_start
        if checkpoint is not None:
            checkpoint(out)
    return out


# ----------------------------------------------------------------------------------------------
# Outputs


def _fmt(v: float, se: float | None = None, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    if se is None or not math.isfinite(se):
        return f"{v:.{digits}g}"
    return f"{v:.{digits}g} ± {se:.2g}"


def _fit_text(f: dict[str, Any]) -> str:
    if "a" in f:
        return (
            f"RMS = a/N + b/N^1.5 with a = {_fmt(f['a'], f['a_se'])}, b = "
            f"{_fmt(f['b'], f['b_se'])} (chi2/dof {_fmt(f.get('chi2_dof', math.nan))}; equal "
            f"at N = {_fmt(f.get('n_cross', math.nan))})"
        )
    if not math.isfinite(f["exponent"]):
        return f"not fitted (resolved sizes: {f['sizes_used']})"
    extra = f" (unresolved, left out: {f['sizes_unresolved']})" if f["sizes_unresolved"] else ""
    return f"{f['exponent']:.3f} ± {f['exponent_se']:.3f} (chi2/dof {f['chi2_dof']:.2f}){extra}"


def conclusions(results: dict[str, Any]) -> list[str]:
    """Sentences that follow from the numbers (each states the number it rests on)."""
    lines = []
    for case, c in results["cases"].items():
        f = c["fits"]
        t = c["table"]
        rfit = f["ratio"]
        if math.isfinite(rfit["exponent"]):
            z = rfit["exponent"] / rfit["exponent_se"]
            verdict = "vanishes with N" if z < -3 else "is not shown to vanish with N"
            lines.append(
                f"{case}: RMS(kappa)/RMS(W) {verdict}: exponent {_fit_text(rfit)}; "
                f"from {t[0]['ratio']:.3f} at N = {t[0]['n']} to "
                f"{_fmt(t[-1]['ratio'], t[-1]['ratio_se'])} at N = {t[-1]['n']} "
                f"(2-sigma upper limit {t[-1]['ratio_upper']:.3f})."
            )
        else:
            lines.append(f"{case}: the ratio could not be fitted: {_fit_text(rfit)}.")
        res = f["rms_residual"]
        if math.isfinite(res["exponent"]):
            z = (res["exponent"] + 1) / res["exponent_se"]
            lines.append(
                f"{case}: RMS residual cross-covariance exponent {_fit_text(res)}: "
                + ("consistent with -1 (within 3 SE)" if abs(z) <= 3 else f"{z:+.1f} SE from -1")
                + f"; activity exponent {_fit_text(f['rms_activity'])} (claim -1/2)."
            )
        tt = f["rms_residual_two_terms"]
        lines.append(
            f"{case}: residual RMS vs N as two terms: {_fit_text(tt)}; share of ms_r that "
            "jointly Gaussian x would give (n = 3 Mehler term): "
            + ", ".join(f"{row['gaussian_fraction_r']:.2f} (N={row['n']})" for row in t)
            + "."
        )
        if "rms_residual_n_ge_1000" in f:
            lines.append(
                f"{case}: over N >= 1000 only: residual {_fit_text(f['rms_residual_n_ge_1000'])}, "
                f"activity {_fit_text(f['rms_activity_n_ge_1000'])}."
            )
        k1 = [row["kurtosis_pc1"] for row in t]
        lines.append(
            f"{case}: PC1 excess kurtosis (simulated PCs, cross-fitted halves) "
            + ", ".join(
                f"{_fmt(row['kurtosis_pc1'], row['kurtosis_pc1_se'], 2)} (N={row['n']})"
                for row in t
            )
            + f"; mean of top 5: {_fmt(t[-1]['kurtosis_top5'], t[-1]['kurtosis_top5_se'], 2)} at "
            f"N = {t[-1]['n']}; |kurtosis top 5| exponent {_fit_text(f['abs_kurtosis_top5'])}."
            if k1
            else ""
        )
        mid = min(t, key=lambda row: abs(row["n"] - results.get("theory_size", 1000)))
        lines.append(
            f"{case} (N = {mid['n']}): slope of kappa on W measured "
            f"{_fmt(mid['slope'], mid['slope_se'])}"
            f" (plug-in {mid['plugin_slope']:.3f}); implied by the top PCs as independent modes "
            f"{mid['modes_slope_on_w']:.3f}, by the whole top-PC subspace "
            f"{mid['subspace_slope_on_w']:.3f}; correlation of measured kappa with them "
            f"{mid['modes_corr']:.2f} and {mid['subspace_corr']:.2f} (noise-corrected)."
        )
        le = next((r["linear_equivalent"] for r in c["runs"] if "linear_equivalent" in r), None)
        if le is not None and "unstable" in le:
            lines.append(f"{case}: no linear-equivalent PC kurtosis: {le['unstable']}")
        elif le is not None:
            lines.append(
                f"{case}: linear-equivalent prediction of the PC kurtosis: 0 (Gaussian drive); "
                f"with independent residuals (single-site excess kurtosis "
                f"{le['residual_kurtosis']:.2f}) at most "
                + ", ".join(f"{b:.1e}" for b in le["kurtosis_bound"])
                + " for PCs 1-3; predicted/simulated PC variances "
                + ", ".join(
                    f"{p:.3g}/{s:.3g}"
                    for p, s in zip(le["variance_check"], le["variance_sim"], strict=True)
                )
                + f" (filter integral {', '.join(f'{v:.3g}' for v in le['variance'])})."
            )
    return [line for line in lines if line]


def write_markdown(results: dict[str, Any], path: Path) -> None:
    """The table, the fitted exponents and the conclusions."""
    st = results["settings"]
    lines = [
        "# Fourth-order statistics and the residual exponent vs N",
        "",
        (
            f"Generated by `validation/fourth_order.py` in {results['seconds'] / 60:.1f} min. "
            f"Per run: {st['n_trials']} trials x {st['t_max']:g} tau (after {st['burn_in']:g} "
            f"burn-in), dt = {st['dt']}; quadruples {st['quads_per_unit']:g} per unit (at most "
            f"{st['max_quadruples']}); {st['n_pcs']} PCs; base seed {st['seed']}."
        ),
        "",
        (
            "Mean squares are unbiased products of independent parts of each run (time "
            "halves for covariances, quarters for cumulants); SEs over realizations (and "
            "within runs). kappa, W: standardised fourth cross-cumulant of distinct units and "
            "its Gaussian part. ratio = RMS kappa / RMS W. slope: of kappa on W (unbiased); "
            "modes/subspace: the slope implied by the top PCs. kurt: excess kurtosis of "
            "simulated PCs (directions from one half, measured on the other) minus the "
            "Gaussian-surrogate null."
        ),
        "",
    ]
    head = (
        "| N | R | RMS r x N | Gaussian share of ms r | RMS phi x sqrt N | RMS W | ratio | "
        "ratio 2-sigma upper | "
        "slope | modes | subspace | kurt PC1 | kurt top5 | lambda1 | plug-in RMS kappa "
        "(noise) | s/run |"
    )
    for case, c in results["cases"].items():
        lines += [
            f"## {case}: {c['description']}",
            "",
            (
                f"g mu1 = {c['g_mu1']:.4f}, Delta0 = {c['delta0']:.3f}, tau_corr = "
                f"{c['tau_corr']:.2f}, single-site residual excess kurtosis "
                f"{c['residual_kurtosis']:.3f}."
            ),
            "",
            head,
            "|" + "---|" * (head.count("|") - 1),
        ]
        for row in c["table"]:
            lines.append(
                f"| {row['n']} | {row['realizations']} | {row['rms_r_times_n']:.3g} | "
                f"{row['gaussian_fraction_r']:.2f} | "
                f"{row['rms_phi_times_sqrt_n']:.3g} | {math.sqrt(row['ms_gaussian']):.3g} | "
                f"{_fmt(row['ratio'], row['ratio_se'])} | {row['ratio_upper']:.3g} | "
                f"{_fmt(row['slope'], row['slope_se'])} | {row['modes_slope_on_w']:.3f} | "
                f"{row['subspace_slope_on_w']:.3f} | "
                f"{_fmt(row['kurtosis_pc1'], row['kurtosis_pc1_se'], 2)} | "
                f"{_fmt(row['kurtosis_top5'], row['kurtosis_top5_se'], 2)} | "
                f"{row['eigenvalue_pc1']:.3g} | {row['plugin_rms_kappa']:.3g} "
                f"({row['plugin_rms_kappa_noise']:.2g}) | {row['seconds']:.0f} |"
            )
        lines += ["", "Fitted exponents (vs N):", ""]
        for name, f in c["fits"].items():
            lines.append(f"- {name}: {_fit_text(f)}")
        lines.append("")
    lines += ["## Conclusions (generated from the numbers above)", ""]
    lines += [f"- {s}" for s in conclusions(results)]
    path.write_text("\n".join(lines) + "\n")


def write_figure(results: dict[str, Any], path: Path) -> None:
    """Four panels: ratio, RMS cross-covariances, PC kurtosis, and slopes vs N."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(2, 2, figsize=(11, 8.5))
    colors = dict(zip(CASES, ("C0", "C1", "C2"), strict=True))
    for case, c in results["cases"].items():
        t = c["table"]
        n = np.array([row["n"] for row in t], dtype=float)
        col = colors[case]

        def arr(key: str, rows: list[dict[str, Any]] = t) -> np.ndarray:
            return np.array([row[key] for row in rows], dtype=float)

        # resolved points with error bars; where not resolved from 0, 2-sigma upper limits
        ok = arr("ratio_squared") > 2 * arr("ratio_squared_se")
        ax[0, 0].errorbar(
            n[ok], arr("ratio")[ok], arr("ratio_se")[ok], fmt="o-", color=col, label=case
        )
        up = np.isfinite(arr("ratio_upper")) & ~ok & (arr("ratio_upper") < 1)  # informative
        ax[0, 0].plot(n[up], arr("ratio_upper")[up], "v", color=col, alpha=0.6)
        for key, fmt in (("ms_offdiag_r", "o-"), ("ms_offdiag_phi", "s--")):
            ms, se = arr(key), arr(key + "_se")
            ok = ms > 2 * se
            y = np.sqrt(np.maximum(ms, 1e-30))
            name = "r" if key.endswith("r") else "phi"
            ax[0, 1].errorbar(
                n[ok], y[ok], (se / (2 * y))[ok], fmt=fmt, color=col, label=f"{case} {name}"
            )
            up = np.sqrt(np.maximum(ms + 2 * se, 1e-30))
            ax[0, 1].plot(n[~ok], up[~ok], "v", color=col, alpha=0.6)
        ax[1, 0].errorbar(
            n, arr("kurtosis_pc1"), arr("kurtosis_pc1_se"), fmt="o-", color=col, label=f"{case} PC1"
        )
        ax[1, 0].errorbar(
            n,
            arr("kurtosis_top5"),
            arr("kurtosis_top5_se"),
            fmt="s:",
            color=col,
            label=f"{case} top 5",
        )
        # the slope needs a resolved W and is shown where it is measured to better than 0.2
        ok = (arr("ms_gaussian") > 3 * arr("ms_gaussian_se")) & (arr("slope_se") < 0.2)
        if ok.any():
            ax[1, 1].errorbar(
                n[ok],
                arr("slope")[ok],
                arr("slope_se")[ok],
                fmt="o-",
                color=col,
                label=f"{case} measured",
            )
            ax[1, 1].plot(
                n[ok], arr("subspace_slope_on_w")[ok], "^--", color=col, label=f"{case} subspace"
            )
            ax[1, 1].plot(
                n[ok], arr("modes_slope_on_w")[ok], "x:", color=col, label=f"{case} as modes"
            )
    first = next(iter(results["cases"].values()))["table"][0]  # reference slopes through it
    nn = np.array([min(results["settings"]["sizes"]), max(results["settings"]["sizes"])], float)
    for key, power, style in (("ms_offdiag_r", -1.0, "k:"), ("ms_offdiag_phi", -0.5, "k-.")):
        y0 = math.sqrt(max(first[key], 1e-30)) * (nn[0] / first["n"]) ** power
        ax[0, 1].plot(nn, y0 * (nn / nn[0]) ** power, style, label=f"N^{power:g}")
    ax[0, 0].set(
        xscale="log",
        yscale="log",
        xlabel="N",
        ylabel="RMS kappa / RMS W",
        title="fourth cross-cumulants vs Gaussian part",
    )
    ax[0, 1].set(
        xscale="log",
        yscale="log",
        xlabel="N",
        ylabel="RMS off-diagonal covariance",
        title="residual (o) and activity (s) cross-covariances",
    )
    ax[1, 0].set(
        xscale="log",
        xlabel="N",
        ylabel="excess kurtosis",
        title="leading principal components of C_phi",
    )
    ax[1, 0].axhline(0, color="k", lw=0.5)
    ax[1, 1].set(
        xscale="log",
        xlabel="N",
        ylabel="slope of kappa on W",
        title="anti-correlation: measured vs implied by PCs",
    )
    ax[1, 1].axhline(0, color="k", lw=0.5)
    sizes = results["settings"]["sizes"]
    for a in ax.flat:
        a.set_xticks(sizes, [str(v) for v in sizes], minor=False)
        a.set_xticks([], minor=True)
        a.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON-serialisable: {type(o).__name__}")


def _finite(o: Any) -> Any:
    """NaN/inf -> None, recursively (strict JSON)."""
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_finite(v) for v in o]
    return o


def write_outputs(results: dict[str, Any], out: Path) -> None:
    """``fourth_order.json``, ``.md`` and ``.png`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_finite(json.loads(json.dumps(results, default=_json_default))), indent=1)
    (out / "fourth_order.json").write_text(text)
    write_markdown(results, out / "fourth_order.md")
    write_figure(results, out / "fourth_order.png")


def _ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers; got {text!r}"
        ) from None


def parse_args(argv: Sequence[str] | None = None) -> tuple[StudySettings, Path]:
    """Settings and output folder from the command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=_ints, default=DEFAULT_SIZES, help="e.g. 250,500,1000,2000,4000")
    p.add_argument(
        "--realizations",
        type=_ints,
        default=DEFAULT_REALIZATIONS,
        help="coupling realizations: one number for all sizes, or one per size (6,4,3,2,2)",
    )
    p.add_argument("--t-max", type=float, default=300.0, help="sampled time per trial (tau)")
    p.add_argument("--n-trials", type=int, default=24)
    p.add_argument("--cases", default="chaotic,noise,mixed", help=f"among {sorted(CASES)}")
    p.add_argument("--quads-per-unit", type=float, default=12.5)
    p.add_argument("--n-pcs", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    p.add_argument(
        "--from-json",
        type=Path,
        default=None,
        help="re-aggregate the runs of an earlier fourth_order.json (no simulation) into --out",
    )
    a = p.parse_args(argv)
    reals = a.realizations if len(a.realizations) != 1 else a.realizations * len(a.sizes)
    st = StudySettings(
        sizes=a.sizes,
        realizations=reals,
        cases=tuple(c.strip() for c in a.cases.split(",") if c.strip()),
        t_max=a.t_max,
        n_trials=a.n_trials,
        quads_per_unit=a.quads_per_unit,
        n_pcs=a.n_pcs,
        seed=a.seed,
    )
    return st, a.out, a.from_json


def reaggregate(results: dict[str, Any]) -> dict[str, Any]:
    """Recompute the per-size tables and fits of stored results from their runs."""

    def nan(o: Any) -> Any:  # strict JSON stored NaN as null
        if o is None:
            return math.nan
        if isinstance(o, dict):
            return {k: nan(v) for k, v in o.items()}
        if isinstance(o, list):
            return [nan(v) for v in o]
        return o

    sizes = results["settings"]["sizes"]
    for c in results["cases"].values():
        c["runs"] = nan(c["runs"])
        c.update(aggregate(c["runs"], sizes))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study (or re-aggregate a stored one) and write its outputs."""
    st, out, stored = parse_args(argv)

    def log(msg: str) -> None:
        sys.stdout.write(msg + "\n")
        sys.stdout.flush()

    if stored is not None:
        results = reaggregate(json.loads(stored.read_text()))
        write_outputs(results, out)
    else:
        results = run_study(st, log, checkpoint=lambda r: write_outputs(r, out))
    log(f"wrote {out}/fourth_order.{{json,md,png}}")
    for line in conclusions(results):
        log(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
