r"""Where predictions meet measurements: comparisons that carry their criteria and verdicts.

- :func:`compare_covariance` -- a predicted covariance matrix against a measured one
  (:class:`~randrnn.stats.MatrixEstimate`): off-diagonal correlation and relative Frobenius
  error next to the measurement's own noise levels, diagonal agreement, leading eigenvalues,
  participation ratios.
- :func:`compare_autocovariance` -- the DMFT autocovariance against the population-averaged
  simulated one, as z-scores.
- :func:`compare_fourth_cumulants` -- the Wick test: fourth cross-cumulants of distinct units
  against zero.
- :func:`power_law_fit` -- exponent of a scaling law with its standard error.
- :func:`compare_edge_sensitivity` -- the predicted spectral edge along one statistic against
  the measured one.
- :func:`compare_regions` -- predicted fractions of eigenvalues in regions of the complex plane
  (finite-connectivity theory, with its pool SE) against fractions measured over realizations.

Each comparison states its criterion (``criterion``), whether it holds (``passed``) and a
one-line ``verdict``; the reports print them and decide nothing themselves.

The noise ceiling: if the two halves of the run give estimates whose off-diagonal entries
correlate with :math:`r_h`, the full-run estimate has reliability
:math:`\rho = 2r_h/(1+r_h)` (Spearman-Brown), and even an exact prediction correlates with it
at most :math:`\sqrt{\rho}` on average. That is ``offdiag_corr_ceiling``.

What the standard errors contain: every SE here is a batch-means SE over the time blocks of one
simulation, i.e. the temporal sampling noise of that run. The deviation of one coupling
realization from the ensemble (quenched disorder) and the finite-N bias of a large-N theory are
not in it; a z criterion against a large-N theory can therefore fail on a perfect simulation.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from scipy import stats as _sps

from randrnn._typing import FloatArray
from randrnn.covariance import participation_ratio
from randrnn.stats import FourthCumulantEstimate, MatrixEstimate

#: two-sided tail probability of a 3-sigma deviation of a standard normal variable
P_3SIGMA = float(2 * _sps.norm.sf(3.0))
#: number of groups of units in the delete-a-group jackknife of the ceiling fraction
N_JACKKNIFE_GROUPS = 16


def _offdiag(a: FloatArray) -> FloatArray:
    a = np.asarray(a, dtype=float)
    return a[~np.eye(a.shape[0], dtype=bool)]


def _corr(a: FloatArray, b: FloatArray) -> float:
    """Pearson correlation; NaN (without a warning) when either operand is constant."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.corrcoef(a, b)[0, 1])


def _ratio(a: float, b: float) -> float:
    return a / b if b != 0 and np.isfinite(b) else float("nan")


def _as_dict(obj: Any) -> dict[str, Any]:
    """Dataclass fields as plain Python values (arrays as lists)."""
    out: dict[str, Any] = {}
    for f in fields(obj):
        v = getattr(obj, f.name)
        out[f.name] = v.tolist() if isinstance(v, np.ndarray) else v
    return out


# ----------------------------------------------------------------------------------------------
# Covariance matrices


@dataclass(frozen=True, slots=True, kw_only=True)
class CovarianceComparison:
    r"""Agreement between a predicted and a measured covariance matrix, with its criterion.

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
    ceiling_fraction_se : float
        Its standard error from a delete-a-group jackknife over
        :data:`N_JACKKNIFE_GROUPS` groups of units (entries that share a unit are dependent).
    rel_frobenius : float
        :math:`\|P - S\|_F / \|S\|_F` over all entries.
    rel_frobenius_noise : float
        The part of it expected from sampling noise alone,
        :math:`\sqrt{\sum SE_{ij}^2} / \|S\|_F`: the value an exact prediction has on average.
    frobenius_tolerance : float
        Largest ``rel_frobenius / rel_frobenius_noise`` consistent with an exact prediction:
        :math:`1 + 3/\sqrt{2(n_\mathrm{blocks} - 1)}`, three standard deviations of the
        estimated noise level (its square has :math:`n_\mathrm{blocks} - 1` degrees of freedom
        at worst, when the noise of all entries moves together).
    n_blocks : int
        Time blocks behind the SEs of the measurement.
    diag_corr : float
        Correlation of the diagonals (per-unit variances).
    diag_ratio : float
        Mean predicted over mean measured variance.
    pr_pred, pr_sim : float
        Participation ratios; ``pr_sim`` uses the plug-in :math:`\mathrm{tr}(C^2)`.
    pr_sim_unbiased : float
        With :math:`\mathrm{tr}(C_1 C_2)` from the two halves (no sampling-noise inflation).
    eig_pred, eig_sim : (k,) ndarray
        Leading eigenvalues.
    undefined : tuple of (str, str)
        ``(field, reason)`` for every metric that is undefined (NaN); see :meth:`why`.
    """

    offdiag_corr: float
    offdiag_corr_halves: float
    offdiag_corr_ceiling: float
    ceiling_fraction: float
    ceiling_fraction_se: float
    rel_frobenius: float
    rel_frobenius_noise: float
    frobenius_tolerance: float
    n_blocks: int
    diag_corr: float
    diag_ratio: float
    pr_pred: float
    pr_sim: float
    pr_sim_unbiased: float
    eig_pred: FloatArray
    eig_sim: FloatArray
    undefined: tuple[tuple[str, str], ...] = ()

    def why(self, field: str) -> str | None:
        """Why ``field`` is undefined (NaN), or None when it is defined."""
        return dict(self.undefined).get(field)

    @property
    def frobenius_over_noise(self) -> float:
        """``rel_frobenius / rel_frobenius_noise`` (about 1 for an exact prediction)."""
        return _ratio(self.rel_frobenius, self.rel_frobenius_noise)

    @property
    def reaches_ceiling(self) -> bool:
        """The off-diagonal correlation is within 3 jackknife SEs of the noise ceiling."""
        return bool(self.ceiling_fraction >= 1.0 - 3.0 * self.ceiling_fraction_se)

    @property
    def within_noise(self) -> bool:
        """The Frobenius error is at the level that sampling noise alone explains."""
        return bool(self.frobenius_over_noise <= self.frobenius_tolerance)

    @property
    def passed(self) -> bool:
        """Both criteria hold: the prediction is consistent with the measurement's noise."""
        return self.reaches_ceiling and self.within_noise

    @property
    def criterion(self) -> str:
        """The criterion, in words, with its thresholds."""
        return (
            "consistent with sampling noise when the off-diagonal correlation reaches the "
            f"split-half noise ceiling within 3 jackknife SE (fraction >= "
            f"{1.0 - 3.0 * self.ceiling_fraction_se:.3f}) and the relative Frobenius error is "
            f"at most {self.frobenius_tolerance:.2f} x its sampling-noise level (SEs from "
            f"{self.n_blocks} time blocks: temporal noise only)"
        )

    @property
    def verdict(self) -> str:
        """One line: consistent, or how far from the noise level the prediction is."""
        if not (np.isfinite(self.ceiling_fraction) and np.isfinite(self.frobenius_over_noise)):
            why = self.why("ceiling_fraction") or self.why("rel_frobenius") or "a metric is NaN"
            return f"undefined: {why}"
        if self.passed:
            return "consistent with sampling noise"
        error = f"Frobenius error {self.frobenius_over_noise:.2g} x its sampling-noise level"
        if self.reaches_ceiling:
            return f"reaches the noise ceiling in correlation; {error}"
        return f"{self.ceiling_fraction:.1%} of the noise ceiling; {error}"

    def outperforms(self, other: CovarianceComparison) -> bool:
        """Higher off-diagonal correlation and lower Frobenius error than ``other``.

        Both comparisons must be against the same measurement (e.g. the linear-equivalent
        prediction and the naive closure against one simulation).
        """
        return bool(
            self.offdiag_corr > other.offdiag_corr and self.rel_frobenius < other.rel_frobenius
        )

    def to_dict(self) -> dict[str, Any]:
        """Fields, criterion and verdict as plain Python values."""
        d = _as_dict(self)
        d["undefined"] = dict(self.undefined)
        d.update(passed=self.passed, criterion=self.criterion, verdict=self.verdict)
        return d


def _jackknife_ceiling_fraction(
    p: FloatArray, s: FloatArray, h0: FloatArray, h1: FloatArray, n_groups: int
) -> float:
    """Delete-a-group jackknife SE of ``corr(p, s) / sqrt(SB(corr(h0, h1)))`` (off-diagonal).

    Leaving a group of units out removes their rows and columns. All leave-one-out sums come
    from the group-by-group block sums of the five moments of each pair, in O(n^2 G).
    """
    n = p.shape[0]
    g = min(n_groups, n)
    if g < 3:
        return float("nan")
    labels = np.repeat(np.arange(g), [len(a) for a in np.array_split(np.arange(n), g)])
    onehot = np.zeros((n, g))
    onehot[np.arange(n), labels] = 1.0
    sizes = onehot.sum(0)
    count = np.outer(sizes, sizes) - np.diag(sizes)  # off-diagonal entries per group pair

    def block_sums(m: FloatArray) -> FloatArray:
        """Sums over off-diagonal entries (i in group a, j in group b)."""
        out = onehot.T @ m @ onehot
        out[np.diag_indices(g)] -= np.bincount(labels, weights=np.diag(m), minlength=g)
        return out

    def leave_one_out(a: FloatArray, b: FloatArray) -> FloatArray:
        blocks = [block_sums(m) for m in (a, b, a * a, b * b, a * b)] + [count]
        tot = np.array(
            [
                [bl.sum() - bl[k].sum() - bl[:, k].sum() + bl[k, k] for bl in blocks]
                for k in range(g)
            ]
        )
        sa, sb, saa, sbb, sab, m = tot.T
        cov = sab / m - sa * sb / m**2
        va, vb = saa / m - (sa / m) ** 2, sbb / m - (sb / m) ** 2
        return cov / np.sqrt(va * vb)

    with np.errstate(invalid="ignore", divide="ignore"):
        r = leave_one_out(p, s)
        rh = leave_one_out(h0, h1)
        cf = r / np.sqrt(np.clip(2 * rh / (1 + rh), 0.0, None))
    if not np.all(np.isfinite(cf)):
        return float("nan")
    return float(np.sqrt((g - 1) / g * np.sum((cf - cf.mean()) ** 2)))


def _participation_ratio(c: FloatArray) -> float:
    try:
        return participation_ratio(c)
    except ValueError:  # a zero matrix; the reason is given by _undefined
        return float("nan")


#: causes that make covariance metrics undefined, and the metrics each one affects
_CAUSES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "pred_offdiag",
        "the prediction's off-diagonal entries are all equal (no correlations between units)",
        ("offdiag_corr", "ceiling_fraction", "ceiling_fraction_se"),
    ),
    (
        "sim_offdiag",
        "the measurement's off-diagonal entries are all equal",
        ("offdiag_corr", "ceiling_fraction", "ceiling_fraction_se"),
    ),
    (
        "halves_offdiag",
        "the off-diagonal entries of a half-run estimate are all equal",
        ("offdiag_corr_halves", "offdiag_corr_ceiling", "ceiling_fraction", "ceiling_fraction_se"),
    ),
    (
        "ceiling",
        "the two half-run estimates do not correlate positively (no noise ceiling)",
        ("offdiag_corr_ceiling", "ceiling_fraction", "ceiling_fraction_se"),
    ),
    ("zero_sim", "the measured covariance is zero", ("rel_frobenius", "rel_frobenius_noise")),
    ("zero_sim", "the measured covariance is zero", ("diag_ratio", "pr_sim")),
    ("zero_pred", "the predicted covariance is zero", ("pr_pred",)),
    ("pred_diag", "the predicted variances are all equal", ("diag_corr",)),
    ("sim_diag", "the measured variances are all equal", ("diag_corr",)),
    ("halves_tr", "tr(C1 C2) of the two half-run estimates is not positive", ("pr_sim_unbiased",)),
)


def _undefined(
    values: dict[str, Any], p: FloatArray, s: FloatArray, h0: FloatArray, h1: FloatArray
) -> tuple[tuple[str, str], ...]:
    """``(field, reason)`` for each NaN metric in ``values``."""

    def constant(a: FloatArray) -> bool:
        return a.size > 0 and float(np.ptp(a)) == 0.0

    active = {
        "pred_offdiag": constant(_offdiag(p)),
        "sim_offdiag": constant(_offdiag(s)),
        "halves_offdiag": constant(_offdiag(h0)) or constant(_offdiag(h1)),
        "ceiling": not values["offdiag_corr_halves"] > 0,
        "zero_sim": not np.any(s),
        "zero_pred": not np.any(p),
        "pred_diag": constant(np.diag(p)),
        "sim_diag": constant(np.diag(s)),
        "halves_tr": not float(np.sum(h0 * h1.T)) > 0,
    }
    out: dict[str, str] = {}
    for name, reason, affected in _CAUSES:
        for field in affected:
            if active[name] and field not in out and not np.isfinite(values[field]):
                out[field] = reason
    for field in _SCALAR_FIELDS:
        if field not in out and not np.isfinite(values[field]):
            out[field] = (
                "fewer than 3 groups of units, or a leave-one-group-out estimate is undefined"
                if field == "ceiling_fraction_se"
                else "a non-finite entry in the prediction or the measurement"
            )
    return tuple(out.items())


_SCALAR_FIELDS = (
    "offdiag_corr",
    "offdiag_corr_halves",
    "offdiag_corr_ceiling",
    "ceiling_fraction",
    "ceiling_fraction_se",
    "rel_frobenius",
    "rel_frobenius_noise",
    "diag_corr",
    "diag_ratio",
    "pr_pred",
    "pr_sim",
    "pr_sim_unbiased",
)


def compare_covariance(
    prediction: FloatArray, measured: MatrixEstimate, *, n_eig: int = 20
) -> CovarianceComparison:
    """Compare a predicted covariance with a measured one, its split halves and its SE.

    Parameters
    ----------
    prediction : (n, n) ndarray
        Theory.
    measured : MatrixEstimate
        The full-run estimate, its entry-wise SE and the estimates from the two halves of the
        run (independent sampling noise).
    n_eig : int
        Number of leading eigenvalues to return.

    Returns
    -------
    CovarianceComparison
        Metrics with their noise levels, the criterion and the verdict.

    Examples
    --------
    >>> from randrnn.stats import MatrixEstimate
    >>> rng = np.random.default_rng(0)
    >>> u = rng.normal(size=(60, 3))
    >>> truth = np.eye(60) + u @ u.T / 10
    >>> noise = [rng.normal(0, 0.1, (60, 60)) for _ in range(2)]
    >>> halves = np.stack([truth + (e + e.T) / 2 for e in noise])  # off-diagonal SD 0.1/sqrt(2)
    >>> se = np.full((60, 60), 0.05)  # SE of the mean of the two halves
    >>> c = compare_covariance(truth, MatrixEstimate(halves.mean(0), se, halves, 16))
    >>> c.passed, c.verdict
    (True, 'consistent with sampling noise')
    """
    if not isinstance(measured, MatrixEstimate):
        raise TypeError(
            "`measured` must be a randrnn.stats.MatrixEstimate (value, se, halves, n_blocks), "
            f"e.g. simulation.equal_time.cov_phi; got {type(measured).__name__}."
        )
    p = np.asarray(prediction, dtype=float)
    s = np.asarray(measured.value, dtype=float)
    if p.shape != s.shape or p.ndim != 2 or p.shape[0] != p.shape[1]:
        raise ValueError(
            f"`prediction` and `measured` must be square of equal shape; got {p.shape} and "
            f"{s.shape}."
        )
    h0, h1 = (np.asarray(h, dtype=float) for h in measured.halves)
    r = _corr(_offdiag(p), _offdiag(s))
    rh = _corr(_offdiag(h0), _offdiag(h1))
    ceiling = float(np.sqrt(max(2 * rh / (1 + rh), 0.0))) if rh > -1 else float("nan")
    norm = float(np.linalg.norm(s))
    tr2_unbiased = float(np.sum(h0 * h1.T))
    values: dict[str, Any] = {
        "offdiag_corr": r,
        "offdiag_corr_halves": rh,
        "offdiag_corr_ceiling": ceiling,
        "ceiling_fraction": r / ceiling if ceiling > 0 else float("nan"),
        "ceiling_fraction_se": _jackknife_ceiling_fraction(p, s, h0, h1, N_JACKKNIFE_GROUPS),
        "rel_frobenius": _ratio(float(np.linalg.norm(p - s)), norm),
        "rel_frobenius_noise": _ratio(
            float(np.sqrt(np.sum(np.asarray(measured.se, dtype=float) ** 2))), norm
        ),
        "diag_corr": _corr(np.diag(p), np.diag(s)),
        "diag_ratio": _ratio(float(np.trace(p)), float(np.trace(s))),
        "pr_pred": _participation_ratio(p),
        "pr_sim": _participation_ratio(s),
        "pr_sim_unbiased": (
            float(np.trace(s) ** 2 / tr2_unbiased) if tr2_unbiased > 0 else float("nan")
        ),
    }
    k = min(n_eig, p.shape[0])
    return CovarianceComparison(
        **values,
        frobenius_tolerance=1.0 + 3.0 / np.sqrt(2.0 * (measured.n_blocks - 1)),
        n_blocks=int(measured.n_blocks),
        eig_pred=np.linalg.eigvalsh((p + p.T) / 2)[::-1][:k],
        eig_sim=np.linalg.eigvalsh((s + s.T) / 2)[::-1][:k],
        undefined=_undefined(values, p, s, h0, h1),
    )


# ----------------------------------------------------------------------------------------------
# Autocovariance functions


def _familywise_threshold(n_tests: int, dof: int | None) -> float:
    """|z| exceeded with probability :data:`P_3SIGMA` by the largest of ``n_tests`` null z's.

    Sidak correction over the tests (exact for independent ones, conservative for positively
    correlated ones such as neighbouring lags); Student's t with ``dof`` degrees of freedom
    for batch-means SEs, the normal distribution when ``dof`` is None.
    """
    if n_tests < 1:
        return float("nan")
    p_each = 1.0 - (1.0 - P_3SIGMA) ** (1.0 / n_tests)
    dist = _sps.norm if dof is None else _sps.t(dof)
    return float(dist.isf(p_each / 2))


@dataclass(frozen=True, slots=True, kw_only=True)
class AutocovarianceComparison:
    """A predicted autocovariance function vs the simulated population average, as z-scores.

    The SE is the batch-means SE of the population average over the time blocks of one run
    (temporal sampling noise only): the deviation of this coupling realization from the
    ensemble and the finite-N bias of the DMFT are not in it.

    Parameters
    ----------
    lags : (L,) ndarray
        Lags compared.
    predicted, simulated, se : (L,) ndarray
        Theory, measurement and its standard error.
    z : (L,) ndarray
        ``(simulated - predicted) / se``; NaN where ``se`` is zero (not counted).
    delta0_pred, delta0_sim, delta0_se : float
        Zero-lag values.
    z_threshold : float
        Largest ``|z|`` consistent with the prediction: the level that the largest of the
        compared lags' ``|z|`` exceeds with probability :data:`P_3SIGMA` (0.27 %) when the
        prediction is exact (Sidak over lags; Student's t with ``n_blocks - 1`` degrees of
        freedom).
    n_zero_se : int
        Lags left out because their SE is zero.
    """

    lags: FloatArray
    predicted: FloatArray
    simulated: FloatArray
    se: FloatArray
    z: FloatArray
    delta0_pred: float
    delta0_sim: float
    delta0_se: float
    z_threshold: float
    n_zero_se: int = 0

    @property
    def max_abs_z(self) -> float:
        """Largest ``|z|`` over the lags with a nonzero SE (NaN if there are none)."""
        finite = np.abs(self.z[np.isfinite(self.z)])
        return float(finite.max()) if finite.size else float("nan")

    @property
    def passed(self) -> bool:
        """``max_abs_z <= z_threshold``."""
        return bool(self.max_abs_z <= self.z_threshold)

    @property
    def criterion(self) -> str:
        """The criterion, in words."""
        return (
            f"max |z| over {int(np.isfinite(self.z).sum())} lags <= {self.z_threshold:.2f} "
            "(3-sigma family-wise; SE temporal only)"
        )

    @property
    def verdict(self) -> str:
        """One line."""
        if not np.isfinite(self.max_abs_z):
            return "undefined: no lag with a nonzero SE"
        if self.passed:
            return "consistent with sampling noise"
        return f"differs: max |z| = {self.max_abs_z:.3g} > {self.z_threshold:.2f}"


def compare_autocovariance(
    lags_pred: FloatArray,
    predicted: FloatArray,
    lags_sim: FloatArray,
    simulated: FloatArray,
    se: FloatArray,
    *,
    n_blocks: int | None = None,
) -> AutocovarianceComparison:
    """Interpolate a predicted autocovariance onto the simulated lags and form z-scores.

    Parameters
    ----------
    lags_pred, predicted : (M,) ndarray
        Theory on its own grid (``lags_pred`` increasing, covering ``lags_sim``).
    lags_sim, simulated, se : (L,) ndarray
        Measurement and its standard errors.
    n_blocks : int, optional
        Time blocks behind ``se`` (Student's t thresholds); normal thresholds when omitted.

    Returns
    -------
    AutocovarianceComparison
        Values, z-scores on the simulated lags and the criterion.
    """
    lags_sim = np.asarray(lags_sim, dtype=float)
    if lags_sim.max() > np.max(lags_pred) + 1e-12:
        raise ValueError(
            f"`lags_pred` must cover the simulated lags up to {lags_sim.max():g}; got a "
            f"prediction up to {np.max(lags_pred):g}."
        )
    pred = np.interp(lags_sim, lags_pred, predicted)
    sim = np.asarray(simulated, dtype=float)
    se_arr = np.asarray(se, dtype=float)
    ok = se_arr > 0
    z = np.full(sim.shape, np.nan)
    z[ok] = (sim[ok] - pred[ok]) / se_arr[ok]
    dof = None if n_blocks is None else int(n_blocks) - 1
    return AutocovarianceComparison(
        lags=lags_sim,
        predicted=pred,
        simulated=sim,
        se=se_arr,
        z=z,
        delta0_pred=float(pred[0]),
        delta0_sim=float(sim[0]),
        delta0_se=float(se_arr[0]),
        z_threshold=_familywise_threshold(int(ok.sum()), dof),
        n_zero_se=int((~ok).sum()),
    )


# ----------------------------------------------------------------------------------------------
# The Wick test


@dataclass(frozen=True, slots=True, kw_only=True)
class FourthCumulantComparison:
    r"""The Wick test: standardised fourth cross-cumulants of distinct units against zero.

    Jointly Gaussian activities have zero fourth cross-cumulants. Each quadruple's
    ``z = kappa / kappa_se`` is Student-t distributed with ``n_blocks - 1`` degrees of freedom
    when the cumulant is zero; ``kappa_se`` is temporal sampling noise only.

    Parameters
    ----------
    n_quadruples : int
        Quadruples measured.
    n_zero_se : int
        Quadruples left out of the z statistics because their SE is zero (e.g. units stuck at
        a bound of ``phi``): their z would be infinite or undefined.
    rms_kappa, rms_kappa_noise, rms_gaussian_part : float
        RMS of the standardised cumulants, of their SEs and of the Gaussian (Wick) parts.
    frac_abs_z_gt_3 : float
        Fraction of the quadruples with a nonzero SE whose ``|z| > 3``.
    expected_frac : float
        That fraction for zero cumulants: :math:`2\,P(t_{n_b - 1} > 3)`.
    max_count : int
        Largest count of ``|z| > 3`` consistent with zero cumulants: the binomial
        :math:`1 - P_{3\sigma}` quantile (treating quadruples as independent).
    """

    n_quadruples: int
    n_zero_se: int
    rms_kappa: float
    rms_kappa_noise: float
    rms_gaussian_part: float
    frac_abs_z_gt_3: float
    expected_frac: float
    max_count: int

    @property
    def n_tested(self) -> int:
        """Quadruples with a nonzero SE."""
        return self.n_quadruples - self.n_zero_se

    @property
    def passed(self) -> bool:
        """The count of ``|z| > 3`` is consistent with zero fourth cumulants."""
        return bool(round(self.frac_abs_z_gt_3 * self.n_tested) <= self.max_count)

    @property
    def criterion(self) -> str:
        """The criterion, in words."""
        return (
            f"at most {self.max_count} of {self.n_tested} quadruples with |z| > 3 "
            f"(expected fraction {self.expected_frac:.2g} if kappa4 = 0)"
        )

    @property
    def verdict(self) -> str:
        """One line."""
        if self.n_tested == 0:
            return "undefined: no quadruple with a nonzero SE"
        return "consistent with Gaussian activity" if self.passed else "non-Gaussian activity"

    def to_dict(self) -> dict[str, Any]:
        """Fields, criterion and verdict as plain Python values."""
        d = _as_dict(self)
        d.update(passed=self.passed, criterion=self.criterion, verdict=self.verdict)
        return d


def compare_fourth_cumulants(estimate: FourthCumulantEstimate) -> FourthCumulantComparison:
    """The Wick test on a measured set of fourth cross-cumulants.

    Parameters
    ----------
    estimate : FourthCumulantEstimate
        From a simulation with ``n_quadruples > 0``.

    Returns
    -------
    FourthCumulantComparison
        RMS values, the fraction of ``|z| > 3`` (quadruples with zero SE left out and
        counted), the criterion and the verdict.
    """
    k = np.asarray(estimate.kappa, dtype=float)
    se = np.asarray(estimate.kappa_se, dtype=float)
    ok = np.isfinite(se) & (se > 0) & np.isfinite(k)
    n_ok = int(ok.sum())
    expected = float(2 * _sps.t(estimate.n_blocks - 1).sf(3.0))
    frac = float(np.mean(np.abs(k[ok] / se[ok]) > 3)) if n_ok else float("nan")
    with np.errstate(invalid="ignore"):
        return FourthCumulantComparison(
            n_quadruples=len(k),
            n_zero_se=len(k) - n_ok,
            rms_kappa=float(np.sqrt(np.mean(k**2))),
            rms_kappa_noise=float(np.sqrt(np.mean(se**2))),
            rms_gaussian_part=float(np.sqrt(np.mean(np.asarray(estimate.gaussian_part) ** 2))),
            frac_abs_z_gt_3=frac,
            expected_frac=expected,
            max_count=int(_sps.binom(n_ok, expected).isf(P_3SIGMA)) if n_ok else 0,
        )


# ----------------------------------------------------------------------------------------------
# Scaling laws and spectral edges


@dataclass(frozen=True, slots=True, kw_only=True)
class PowerLawFit:
    """A fitted :math:`y = A x^b`.

    Parameters
    ----------
    exponent, exponent_se : float
        :math:`b` and its standard error.
    prefactor : float
        :math:`A`.
    """

    exponent: float
    exponent_se: float
    prefactor: float

    def to_dict(self) -> dict[str, float]:
        """Fields as a dict."""
        return _as_dict(self)


def power_law_fit(x: FloatArray, y: FloatArray, y_se: FloatArray | None = None) -> PowerLawFit:
    r"""Fit :math:`y = A x^{b}` by weighted least squares in log-log space.

    Parameters
    ----------
    x, y : (k,) ndarray
        Positive abscissae and values (``k >= 2``).
    y_se : (k,) ndarray, optional
        Standard errors of ``y`` (weights :math:`(y/\mathrm{se})^2` in log space).

    Returns
    -------
    PowerLawFit
        ``exponent``, ``exponent_se``, ``prefactor``. With no weights the SE comes from the
        residual scatter when it can (``nan`` with two points and no ``y_se``).
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
    return PowerLawFit(
        exponent=float(coef[1]),
        exponent_se=float(np.sqrt(cov[1, 1])),
        prefactor=float(np.exp(coef[0])),
    )


#: the spectral-edge criterion: |numeric - predicted| within this fraction of the bulk width
EDGE_TOLERANCE = 0.02


@dataclass(frozen=True, slots=True, kw_only=True)
class EdgeSensitivityComparison:
    """Measured against predicted spectral edges along one statistic.

    Parameters
    ----------
    statistic : str
        The statistic varied.
    points_compared : int
        Values whose predicted edge is a Perron edge (compared).
    points_segment : tuple of float
        Values whose predicted edge is the end of the timescale support (not compared).
    max_abs_dev_over_width : float
        Largest ``|numeric - predicted| / width`` over the compared points.
    max_abs_z : float
        Largest ``|numeric - predicted| / SE`` (SE over realizations, temporal noise absent).
    tolerance : float
        :data:`EDGE_TOLERANCE`.
    """

    statistic: str
    points_compared: int
    points_segment: tuple[float, ...]
    max_abs_dev_over_width: float
    max_abs_z: float
    tolerance: float = EDGE_TOLERANCE

    @property
    def passed(self) -> bool | None:
        """Every compared point within the tolerance; None when nothing is compared."""
        if self.points_compared == 0:
            return None
        return bool(self.max_abs_dev_over_width <= self.tolerance)

    @property
    def criterion(self) -> str:
        """The criterion, in words."""
        return (
            f"|numeric - predicted| <= {self.tolerance:.0%} of the bulk width at every point "
            "whose predicted edge is a Perron edge"
        )

    @property
    def verdict(self) -> str:
        """``agrees``, ``differs`` or ``-`` (nothing compared)."""
        return {True: "agrees", False: "differs", None: "-"}[self.passed]

    def to_dict(self) -> dict[str, Any]:
        """The ``summary.json`` entry (``agrees_within_2pct_width`` is ``passed``)."""
        return {
            "points_compared": self.points_compared,
            "points_segment": list(self.points_segment),
            "max_abs_dev_over_width": self.max_abs_dev_over_width,
            "max_abs_z": self.max_abs_z,
            "agrees_within_2pct_width": self.passed,
            "criterion": self.criterion,
        }


def compare_edge_sensitivity(
    theory: Any, measurement: Any, width: float
) -> EdgeSensitivityComparison:
    """Agreement of measured with predicted spectral edges along one statistic.

    Parameters
    ----------
    theory : randrnn.rmt.EdgeSensitivity
        Predicted edges and their kinds.
    measurement : randrnn.spectra.EdgeSensitivityMeasurement
        Measured edges and SEs at the same values.
    width : float
        Bulk width (predicted height) that deviations are measured in; the criterion is
        :data:`EDGE_TOLERANCE` of it.

    Returns
    -------
    EdgeSensitivityComparison
        Points compared and skipped, largest deviation and z, criterion and verdict.

    Notes
    -----
    Only points whose edge solves the Perron condition are compared. Where the predicted edge is
    the end of the timescale support (kind ``segment``: eigenvalues near ``-1/tau_max``), the
    finite-n edge reaches it only like an extreme value of the sampled timescales.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> th = NS(values=np.array([0.5, 1.0]), edge=np.array([0.0, 0.1]), kind=("segment", "perron"),
    ...         statistic="sparsity")
    >>> me = NS(edge=np.array([-0.05, 0.11]), edge_se=np.array([0.01, 0.005]))
    >>> r = compare_edge_sensitivity(th, me, width=1.0)
    >>> r.points_segment, round(r.max_abs_z, 6), r.passed, r.verdict
    ((0.5,), 2.0, True, 'agrees')
    """
    ok = np.array([k == "perron" for k in theory.kind])
    dev = (np.asarray(measurement.edge) - np.asarray(theory.edge))[ok]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = dev / np.asarray(measurement.edge_se)[ok]
    rel = np.abs(dev) / width
    any_ok = bool(ok.any())
    return EdgeSensitivityComparison(
        statistic=str(getattr(theory, "statistic", "")),
        points_compared=int(ok.sum()),
        points_segment=tuple(float(v) for v in np.asarray(theory.values)[~ok]),
        max_abs_dev_over_width=float(rel.max()) if any_ok else float("nan"),
        max_abs_z=float(np.max(np.abs(z))) if any_ok else float("nan"),
    )


# ----------------------------------------------------------------------------------------------
# Eigenvalue fractions in regions of the complex plane

#: two-sided family-wise error rate of :func:`compare_regions` (Bonferroni over the regions)
REGION_ALPHA = 1e-3


@dataclass(frozen=True, slots=True, kw_only=True)
class RegionComparison:
    r"""Predicted against measured fractions of eigenvalues in regions, as z-scores.

    :math:`z_k = (m_k - p_k)/\sqrt{\sigma_{m,k}^2 + \sigma_{p,k}^2}`: measured mean ``m`` with
    its SE over realizations, predicted ``p`` with its SE (batch means of the population
    dynamics of :func:`randrnn.rmt.cavity_regions`). The regions are tested together: the
    prediction holds when every :math:`|z_k|` is at most the Bonferroni threshold
    :math:`\Phi^{-1}(1 - \alpha/(2k))` at family-wise level :math:`\alpha =`
    :data:`REGION_ALPHA` (two-sided). The SE over a few realizations is itself uncertain (the
    normal threshold ignores this); where ``n_counted`` is given, the measured SE is floored at
    the binomial SE :math:`\sqrt{p(1-p)/n_{counted}}` of the prediction, so that a chance zero
    spread over few realizations does not make the test arbitrarily strict. The finite-n bias
    of a large-n theory is not in the SE (Chotibut, Evnin & Horinouchi 2025, arXiv:2512.12767;
    ``docs/theory.md`` section 5.7).

    Parameters
    ----------
    names : tuple of str
        Region names.
    predicted, predicted_se : (k,) ndarray
        Predicted fractions and their SEs.
    measured, measured_se : (k,) ndarray
        Measured mean fractions and their SEs (as given).
    se : (k,) ndarray
        The combined SE used in ``z`` (with the floor, if any).
    z : (k,) ndarray
        z-scores; NaN where ``se`` is zero or a value is undefined (not counted).
    z_threshold : float
        Bonferroni threshold on ``|z|`` over the counted regions.
    dense : (k,) ndarray or None
        Dense-limit fractions (no bar), for comparison.
    z_dense : (k,) ndarray or None
        ``(measured - dense) / se``: how far the dense limit is off, in the same units.
    alpha : float
        Family-wise level (two-sided).
    """

    names: tuple[str, ...]
    predicted: FloatArray
    predicted_se: FloatArray
    measured: FloatArray
    measured_se: FloatArray
    se: FloatArray
    z: FloatArray
    z_threshold: float
    dense: FloatArray | None = None
    z_dense: FloatArray | None = None
    alpha: float = REGION_ALPHA

    @property
    def n_compared(self) -> int:
        """Regions with a finite z."""
        return int(np.isfinite(self.z).sum())

    @property
    def max_abs_z(self) -> float:
        """Largest ``|z|`` over the counted regions (NaN if none)."""
        finite = np.abs(self.z[np.isfinite(self.z)])
        return float(finite.max()) if finite.size else float("nan")

    @property
    def max_abs_z_dense(self) -> float:
        """Largest ``|z_dense|`` (NaN without dense fractions)."""
        if self.z_dense is None:
            return float("nan")
        finite = np.abs(self.z_dense[np.isfinite(self.z_dense)])
        return float(finite.max()) if finite.size else float("nan")

    @property
    def passed(self) -> bool | None:
        """Every counted ``|z|`` within the threshold; None when no region is counted."""
        if self.n_compared == 0:
            return None
        return bool(self.max_abs_z <= self.z_threshold)

    @property
    def criterion(self) -> str:
        """The criterion, in words."""
        return (
            f"max |z| over {self.n_compared} regions <= {self.z_threshold:.2f} (Bonferroni, "
            f"family-wise two-sided {self.alpha:g}; SE over realizations and of the theory)"
        )

    @property
    def verdict(self) -> str:
        """One line."""
        if self.passed is None:
            return "undefined: no region with a nonzero SE"
        if self.passed:
            return "consistent with sampling noise"
        worst = self.names[int(np.nanargmax(np.abs(self.z)))]
        return f"differs: max |z| = {self.max_abs_z:.3g} > {self.z_threshold:.2f} ({worst})"

    def to_dict(self) -> dict[str, Any]:
        """Fields, criterion and verdict as plain Python values."""
        d = _as_dict(self)
        d["names"] = list(self.names)
        d.update(
            n_compared=self.n_compared,
            max_abs_z=self.max_abs_z,
            max_abs_z_dense=self.max_abs_z_dense,
            passed=self.passed,
            criterion=self.criterion,
            verdict=self.verdict,
        )
        return d


def compare_regions(
    pred_fraction: Any,
    pred_se: Any,
    meas_mean: Any,
    meas_se: Any,
    dense: Any = None,
    *,
    names: Any = None,
    n_counted: int | None = None,
    alpha: float = REGION_ALPHA,
) -> RegionComparison:
    r"""Agreement of predicted and measured eigenvalue fractions in regions.

    Parameters
    ----------
    pred_fraction, pred_se : (k,) array_like
        Predicted fractions (e.g. :attr:`randrnn.rmt.RegionPrediction.fraction`) and SEs.
    meas_mean, meas_se : (k,) array_like
        Measured mean fractions and SEs over realizations
        (:class:`randrnn.spectra.RegionMeasurement`).
    dense : (k,) array_like, optional
        Dense-limit fractions (:func:`randrnn.rmt.dense_regions`), reported beside.
    names : sequence of str, optional
        Region names (default ``R1``, ``R2``, ...).
    n_counted : int, optional
        Eigenvalues behind each measured mean (``n`` times the realizations): floors the
        measured SE at the binomial SE of the prediction.
    alpha : float
        Family-wise two-sided level, in (0, 1).

    Returns
    -------
    RegionComparison
        z-scores, threshold, criterion and verdict.

    Examples
    --------
    >>> c = compare_regions([0.2, 0.5], [0.0, 0.003], [0.21, 0.5], [0.005, 0.004])
    >>> [round(float(v), 6) for v in c.z], round(c.z_threshold, 3), c.passed
    ([2.0, 0.0], 3.481, True)
    """
    p = np.asarray(pred_fraction, dtype=float).ravel()
    k = p.size
    arrays = {}
    for label, v in (("pred_se", pred_se), ("meas_mean", meas_mean), ("meas_se", meas_se)):
        a = np.asarray(v, dtype=float).ravel()
        if a.size != k:
            raise ValueError(
                f"`{label}` must have one entry per region ({k}, like `pred_fraction`); got "
                f"{a.size}."
            )
        arrays[label] = a
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"`alpha` must be in (0, 1); got {alpha!r}.")
    sp, m, sm = arrays["pred_se"], arrays["meas_mean"], arrays["meas_se"]
    if np.any(sp < 0) or np.any(sm < 0):
        raise ValueError("`pred_se` and `meas_se` must be >= 0 (standard errors).")
    nm = tuple(str(x) for x in names) if names is not None else tuple(f"R{i + 1}" for i in range(k))
    if len(nm) != k:
        raise ValueError(f"`names` must have one entry per region ({k}); got {len(nm)}.")
    sm_eff = sm.copy()
    if n_counted is not None:
        if int(n_counted) < 1:
            raise ValueError(f"`n_counted` must be >= 1; got {n_counted!r}.")
        pc = np.clip(p, 0.0, 1.0)
        sm_eff = np.fmax(sm, np.sqrt(pc * (1.0 - pc) / int(n_counted)))
    se = np.sqrt(sm_eff**2 + sp**2)
    ok = np.isfinite(se) & (se > 0) & np.isfinite(m) & np.isfinite(p)
    z = np.full(k, np.nan)
    z[ok] = (m[ok] - p[ok]) / se[ok]
    d = zd = None
    if dense is not None:
        d = np.asarray(dense, dtype=float).ravel()
        if d.size != k:
            raise ValueError(f"`dense` must have one entry per region ({k}); got {d.size}.")
        zd = np.full(k, np.nan)
        okd = ok & np.isfinite(d)
        zd[okd] = (m[okd] - d[okd]) / se[okd]
    n_ok = int(ok.sum())
    thr = float(_sps.norm.isf(alpha / (2 * n_ok))) if n_ok else float("nan")
    return RegionComparison(
        names=nm,
        predicted=p,
        predicted_se=sp,
        measured=m,
        measured_se=sm,
        se=se,
        z=z,
        z_threshold=thr,
        dense=d,
        z_dense=zd,
        alpha=float(alpha),
    )
