r"""Where predictions meet measurements: comparisons with their noise ceilings.

- :func:`compare_covariance` -- a predicted covariance matrix against a simulated one:
  off-diagonal correlation and relative Frobenius error next to the simulation's own split-half
  ceiling, diagonal agreement, leading eigenvalues, participation ratios.
- :func:`compare_autocovariance` -- the DMFT autocovariance against the population-averaged
  simulated one, as z-scores.
- :func:`power_law_fit` -- exponent of a scaling law with its standard error.
- :func:`compare_edge_sensitivity` -- the predicted spectral edge along one statistic against
  the measured one.

The noise ceiling: if the two halves of the run give estimates whose off-diagonal entries
correlate with :math:`r_h`, the full-run estimate has reliability
:math:`\rho = 2r_h/(1+r_h)` (Spearman-Brown), and even an exact prediction correlates with it
at most :math:`\sqrt{\rho}` on average. That is ``offdiag_corr_ceiling``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from randrnn._typing import FloatArray
from randrnn.covariance import participation_ratio


def _offdiag(a: FloatArray) -> FloatArray:
    a = np.asarray(a, dtype=float)
    return a[~np.eye(a.shape[0], dtype=bool)]


def _corr(a: FloatArray, b: FloatArray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


@dataclass(frozen=True, slots=True, kw_only=True)
class CovarianceComparison:
    r"""Agreement between a predicted and a simulated covariance matrix.

    Parameters
    ----------
    offdiag_corr : float
        Pearson correlation of off-diagonal entries, prediction vs full-run estimate.
    offdiag_corr_halves : float
        The same correlation between the two half-run estimates.
    offdiag_corr_ceiling : float
        :math:`\sqrt{2 r_h / (1 + r_h)}`: the expected correlation of an exact prediction.
    ceiling_fraction : float
        ``offdiag_corr / offdiag_corr_ceiling``.
    rel_frobenius : float
        :math:`\|P - S\|_F / \|S\|_F` over all entries.
    rel_frobenius_noise : float
        The part of it expected from sampling noise alone,
        :math:`\sqrt{\sum SE_{ij}^2} / \|S\|_F`.
    diag_corr : float
        Correlation of the diagonals (per-unit variances).
    diag_ratio : float
        Mean predicted over mean simulated variance.
    pr_pred, pr_sim : float
        Participation ratios; ``pr_sim`` uses the plug-in :math:`\mathrm{tr}(C^2)`.
    pr_sim_unbiased : float
        With :math:`\mathrm{tr}(C_1 C_2)` from the two halves (no sampling-noise inflation).
    eig_pred, eig_sim : (k,) ndarray
        Leading eigenvalues.
    """

    offdiag_corr: float
    offdiag_corr_halves: float
    offdiag_corr_ceiling: float
    ceiling_fraction: float
    rel_frobenius: float
    rel_frobenius_noise: float
    diag_corr: float
    diag_ratio: float
    pr_pred: float
    pr_sim: float
    pr_sim_unbiased: float
    eig_pred: FloatArray
    eig_sim: FloatArray

    def to_dict(self) -> dict[str, Any]:
        """Scalars and short arrays as plain Python values."""
        d = asdict(self)
        d["eig_pred"] = self.eig_pred.tolist()
        d["eig_sim"] = self.eig_sim.tolist()
        return d


def compare_covariance(
    predicted: FloatArray,
    simulated: FloatArray,
    halves: FloatArray,
    se: FloatArray | None = None,
    *,
    n_eig: int = 20,
) -> CovarianceComparison:
    """Compare a predicted covariance with a simulated one and its split halves.

    Parameters
    ----------
    predicted : (n, n) ndarray
        Theory.
    simulated : (n, n) ndarray
        Full-run estimate.
    halves : (2, n, n) ndarray
        Estimates from the two halves of the run (independent sampling noise).
    se : (n, n) ndarray, optional
        Entry-wise standard errors of ``simulated``.
    n_eig : int
        Number of leading eigenvalues to return.

    Returns
    -------
    CovarianceComparison
        Metrics with their ceilings.
    """
    p = np.asarray(predicted, dtype=float)
    s = np.asarray(simulated, dtype=float)
    if p.shape != s.shape or p.ndim != 2 or p.shape[0] != p.shape[1]:
        raise ValueError(
            f"`predicted` and `simulated` must be square of equal shape; got {p.shape} and "
            f"{s.shape}."
        )
    po, so = _offdiag(p), _offdiag(s)
    r = _corr(po, so)
    rh = _corr(_offdiag(halves[0]), _offdiag(halves[1]))
    ceiling = float(np.sqrt(max(2 * rh / (1 + rh), 0.0))) if rh > -1 else float("nan")
    norm = float(np.linalg.norm(s))
    noise = (
        float(np.sqrt(np.sum(np.asarray(se, dtype=float) ** 2)) / norm)
        if se is not None
        else float("nan")
    )
    h0, h1 = (np.asarray(h, dtype=float) for h in halves)
    tr2_unbiased = float(np.sum(h0 * h1.T))
    k = min(n_eig, p.shape[0])
    return CovarianceComparison(
        offdiag_corr=r,
        offdiag_corr_halves=rh,
        offdiag_corr_ceiling=ceiling,
        ceiling_fraction=r / ceiling if ceiling > 0 else float("nan"),
        rel_frobenius=float(np.linalg.norm(p - s) / norm),
        rel_frobenius_noise=noise,
        diag_corr=_corr(np.diag(p), np.diag(s)),
        diag_ratio=float(np.trace(p) / np.trace(s)),
        pr_pred=participation_ratio(p),
        pr_sim=participation_ratio(s),
        pr_sim_unbiased=float(np.trace(s) ** 2 / tr2_unbiased),
        eig_pred=np.linalg.eigvalsh((p + p.T) / 2)[::-1][:k],
        eig_sim=np.linalg.eigvalsh((s + s.T) / 2)[::-1][:k],
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class AutocovarianceComparison:
    """DMFT autocovariance vs the simulated population average.

    Parameters
    ----------
    lags : (L,) ndarray
        Lags compared.
    predicted, simulated, se : (L,) ndarray
        Theory, measurement and its standard error.
    z : (L,) ndarray
        ``(simulated - predicted) / se``.
    delta0_pred, delta0_sim, delta0_se : float
        Zero-lag values.
    """

    lags: FloatArray
    predicted: FloatArray
    simulated: FloatArray
    se: FloatArray
    z: FloatArray
    delta0_pred: float
    delta0_sim: float
    delta0_se: float

    @property
    def max_abs_z(self) -> float:
        """Largest ``|z|`` over lags."""
        return float(np.max(np.abs(self.z)))


def compare_autocovariance(
    lags_pred: FloatArray,
    predicted: FloatArray,
    lags_sim: FloatArray,
    simulated: FloatArray,
    se: FloatArray,
) -> AutocovarianceComparison:
    """Interpolate a predicted autocovariance onto the simulated lags and form z-scores.

    Parameters
    ----------
    lags_pred, predicted : (M,) ndarray
        Theory on its own grid (``lags_pred`` increasing, covering ``lags_sim``).
    lags_sim, simulated, se : (L,) ndarray
        Measurement and its standard errors.

    Returns
    -------
    AutocovarianceComparison
        Values and z-scores on the simulated lags.
    """
    lags_sim = np.asarray(lags_sim, dtype=float)
    if lags_sim.max() > np.max(lags_pred) + 1e-12:
        raise ValueError(
            f"`lags_pred` must cover the simulated lags up to {lags_sim.max():g}; got a "
            f"prediction up to {np.max(lags_pred):g}."
        )
    pred = np.interp(lags_sim, lags_pred, predicted)
    z = (np.asarray(simulated) - pred) / np.asarray(se)
    return AutocovarianceComparison(
        lags=lags_sim,
        predicted=pred,
        simulated=np.asarray(simulated, dtype=float),
        se=np.asarray(se, dtype=float),
        z=z,
        delta0_pred=float(pred[0]),
        delta0_sim=float(simulated[0]),
        delta0_se=float(se[0]),
    )


def power_law_fit(x: FloatArray, y: FloatArray, y_se: FloatArray | None = None) -> dict[str, float]:
    r"""Fit :math:`y = A x^{b}` by weighted least squares in log-log space.

    Parameters
    ----------
    x, y : (k,) ndarray
        Positive abscissae and values (``k >= 2``).
    y_se : (k,) ndarray, optional
        Standard errors of ``y`` (weights :math:`(y/\mathrm{se})^2` in log space).

    Returns
    -------
    dict
        ``exponent``, ``exponent_se``, ``prefactor``. With ``k = 2`` or no weights the SE comes
        from the residual scatter when it can (``nan`` with two points and no ``y_se``).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(x) < 2 or np.any(x <= 0) or np.any(y <= 0):
        raise ValueError(f"`x` and `y` must be positive with >= 2 points; got x={x}, y={y}.")
    lx, ly = np.log(x), np.log(y)
    w = np.ones_like(lx) if y_se is None else (y / np.asarray(y_se, dtype=float)) ** 2
    A = np.stack([np.ones_like(lx), lx], 1)
    cov = np.linalg.inv(A.T @ (w[:, None] * A))
    coef = cov @ A.T @ (w * ly)
    dof = len(x) - 2
    if y_se is None:
        resid = ly - A @ coef
        scale = float(resid @ resid / dof) if dof > 0 else float("nan")
        cov = cov * scale
    return {
        "exponent": float(coef[1]),
        "exponent_se": float(np.sqrt(cov[1, 1])),
        "prefactor": float(np.exp(coef[0])),
    }


def compare_edge_sensitivity(theory: Any, measurement: Any, width: float) -> dict[str, Any]:
    """Agreement of measured with predicted spectral edges along one statistic.

    Parameters
    ----------
    theory : randrnn.rmt.EdgeSensitivity
        Predicted edges and their kinds.
    measurement : randrnn.spectra.EdgeSensitivityMeasurement
        Measured edges and SEs at the same values.
    width : float
        Bulk width (predicted height) that deviations are measured in; the criterion is 2 % of
        it (issue 4's criterion for the spectral edge).

    Returns
    -------
    dict
        ``points_compared``, ``points_segment`` (values not compared), ``max_abs_dev_over_width``,
        ``max_abs_z`` and ``agrees_within_2pct_width`` (None when nothing is compared).

    Notes
    -----
    Only points whose edge solves the Perron condition are compared. Where the predicted edge is
    the end of the timescale support (kind ``segment``: eigenvalues near ``-1/tau_max``), the
    finite-n edge reaches it only like an extreme value of the sampled timescales.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> th = NS(values=np.array([0.5, 1.0]), edge=np.array([0.0, 0.1]), kind=("segment", "perron"))
    >>> me = NS(edge=np.array([-0.05, 0.11]), edge_se=np.array([0.01, 0.005]))
    >>> r = compare_edge_sensitivity(th, me, width=1.0)
    >>> r["points_segment"], round(r["max_abs_z"], 6), r["agrees_within_2pct_width"]
    ([0.5], 2.0, True)
    """
    ok = np.array([k == "perron" for k in theory.kind])
    dev = (np.asarray(measurement.edge) - np.asarray(theory.edge))[ok]
    z = dev / np.asarray(measurement.edge_se)[ok]
    rel = np.abs(dev) / width
    any_ok = bool(ok.any())
    return {
        "points_compared": int(ok.sum()),
        "points_segment": [float(v) for v in np.asarray(theory.values)[~ok]],
        "max_abs_dev_over_width": float(rel.max()) if any_ok else float("nan"),
        "max_abs_z": float(np.max(np.abs(z))) if any_ok else float("nan"),
        "agrees_within_2pct_width": bool(np.all(rel <= 0.02)) if any_ok else None,
    }
