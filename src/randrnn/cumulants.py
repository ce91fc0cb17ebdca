r"""Fourth-order statistics of sampled activity: cross-cumulants and kurtosis of projections.

Measurement side (docs/theory.md section 3: higher-order cross-site moments reduce, at leading
order, to products of pairwise covariances, so fourth cross-cumulants of distinct units are
suppressed). All estimators take plain sample arrays (rows = samples), so they apply to
recorded trajectories of a simulation as well as to synthetic data with known answers.

- :func:`fourth_cross_cumulants` -- standardised plug-in fourth cross-cumulants
  :math:`\kappa_{ijkl}` of quadruples of distinct units and their Gaussian (Wick) parts
  :math:`C_{ij}C_{kl} + C_{ik}C_{jl} + C_{il}C_{jk}`, from one sample.
- :func:`cross_cumulants_from_parts` -- the same on independent parts of a run, with the
  mean squares :math:`\overline{\kappa^2}` and :math:`\overline{W^2}` estimated without the
  sampling-noise bias from products of distinct parts (:math:`E[\kappa^{(p)}\kappa^{(q)}] =
  \kappa^2` when the parts' errors are independent), and the regression slope of
  :math:`\kappa` on the Gaussian part, likewise unbiased -> :class:`CrossCumulantSplit`.
- :func:`projection_kurtosis` -- excess kurtosis of projections of the activity onto given
  directions (e.g. principal components), with jackknife standard errors over trials ->
  :class:`ProjectionKurtosis`.
- :func:`mode_cross_cumulants` -- the cross-cumulants implied by independent non-Gaussian
  modes: :math:`\kappa_{ijkl} = \sum_k c_4^{(k)} v_{ik} v_{jk} v_{kk} v_{lk}`.

Plug-in estimators (moments about the sample mean) are biased by :math:`O(W / n_{eff})` for an
effective sample size :math:`n_{eff}`; products of independent parts remove the noise
floor of a mean square, not that bias, which is negligible for runs of thousands of
correlation times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from randrnn._typing import FloatArray, IntArray
from randrnn._validation import check_positive_int

#: pairs (a, b) of a quadruple; pair k and pair 5 - k are complementary
_PAIRS = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))
#: floats of a chunk of gathered samples (samples x quadruples x 4), about 32 MiB of float64
_CHUNK_FLOATS = 4_000_000


def _check_samples(name: str, samples: object, ndim: int, min_rows: int = 2) -> np.ndarray:
    a = np.asarray(samples)
    if a.ndim != ndim or not np.issubdtype(a.dtype, np.floating):
        raise ValueError(
            f"`{name}` must be a real float array with {ndim} dimensions; got dtype "
            f"{a.dtype} and shape {a.shape}."
        )
    if a.shape[0] < min_rows:
        raise ValueError(f"`{name}` must hold >= {min_rows} samples (rows); got {a.shape[0]}.")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"`{name}` must be finite; got NaN or inf entries.")
    return a


def _check_quads(quads: object, n: int) -> IntArray:
    q = np.asarray(quads)
    if q.ndim != 2 or q.shape[1] != 4 or len(q) == 0 or not np.issubdtype(q.dtype, np.integer):
        raise ValueError(
            f"`quads` must be a non-empty (q, 4) integer array of unit indices; got dtype "
            f"{q.dtype} and shape {q.shape}."
        )
    if q.min() < 0 or q.max() >= n:
        raise ValueError(f"`quads` must hold unit indices in [0, {n}); got {q.min()}..{q.max()}.")
    s = np.sort(q, axis=1)
    if np.any(s[:, 1:] == s[:, :-1]):
        raise ValueError(
            "`quads` must hold 4 distinct units per row (cross-cumulants of distinct units); "
            "got a row with a repeated unit. Draw them with randrnn.stats.sample_quadruples."
        )
    return q.astype(np.intp)


def fourth_cross_cumulants(
    samples: FloatArray, quads: IntArray, *, variances: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    r"""Standardised fourth cross-cumulants of quadruples of distinct units, and Wick parts.

    With :math:`u = z - \bar z` (sample means) and :math:`C_{ab} = \overline{u_a u_b}`:
    :math:`\kappa_{ijkl} = \overline{u_i u_j u_k u_l} - W_{ijkl}`,
    :math:`W_{ijkl} = C_{ij}C_{kl} + C_{ik}C_{jl} + C_{il}C_{jk}` (the Gaussian part; for
    jointly Gaussian variables :math:`\kappa = 0`, Isserlis/Wick), both divided by
    :math:`\sqrt{v_i v_j v_k v_l}`.

    Parameters
    ----------
    samples : (s, n) ndarray
        Samples (rows) of ``n`` units; float32 or float64 (accumulated in float64).
    quads : (q, 4) int ndarray
        Quadruples of distinct units.
    variances : (n,) ndarray, optional
        Per-unit variances used to standardise (default: the sample's own). Pass the
        variances of the full activity when ``samples`` hold only a part of it (a projection).

    Returns
    -------
    kappa, gaussian_part : (q,) ndarray
        Standardised cumulants and Gaussian parts.

    Examples
    --------
    Independent uniform units: a cross-cumulant of distinct units is 0 (independence).

    >>> rng = np.random.default_rng(0)
    >>> z = rng.uniform(-1, 1, size=(20000, 6))
    >>> k, w = fourth_cross_cumulants(z, np.array([[0, 1, 2, 3], [2, 3, 4, 5]]))
    >>> bool(np.all(np.abs(k) < 0.05)), bool(np.all(np.abs(w) < 0.05))
    (True, True)
    """
    z = _check_samples("samples", samples, 2)
    q = _check_quads(quads, z.shape[1])
    units, inverse = np.unique(q, return_inverse=True)
    idx = inverse.reshape(q.shape)
    u = z[:, units].astype(np.float64)
    u -= u.mean(axis=0)
    s = u.shape[0]
    if variances is None:
        var = np.einsum("si,si->i", u, u) / s
    else:
        v = np.asarray(variances, dtype=float)
        if v.shape != (z.shape[1],) or not np.all(v > 0):
            raise ValueError(
                f"`variances` must be {z.shape[1]} positive numbers (one per unit); got "
                f"shape {v.shape}."
            )
        var = v[units]
    kappa = np.empty(len(q))
    wick = np.empty(len(q))
    step = max(1, _CHUNK_FLOATS // (4 * s))
    for c0 in range(0, len(q), step):
        sl = slice(c0, c0 + step)
        g = u[:, idx[sl]]  # (s, c, 4)
        m4 = np.prod(g, axis=2).mean(axis=0)
        c = np.stack([np.einsum("sq,sq->q", g[:, :, a], g[:, :, b]) / s for a, b in _PAIRS], 1)
        w = c[:, 0] * c[:, 5] + c[:, 1] * c[:, 4] + c[:, 2] * c[:, 3]
        norm = np.sqrt(np.prod(var[idx[sl]], axis=1))
        kappa[sl] = (m4 - w) / norm
        wick[sl] = w / norm
    return kappa, wick


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class CrossCumulantSplit:
    r"""Fourth cross-cumulants measured on ``P`` independent parts of a run.

    Mean squares are averages over ordered pairs of distinct parts,
    :math:`\overline{\kappa^{(p)}\kappa^{(q)}}`, which estimate :math:`\overline{\kappa^2}`
    without the sampling-noise floor (the parts' errors are independent); they can come out
    negative when the signal is below the noise.

    Standard errors add two jackknifes in quadrature: over ``n_groups`` disjoint groups of
    quadruples (which quadruples were drawn, and noise independent across quadruples) and,
    with ``P >= 3``, over the parts (all temporal sampling noise, including the part common
    to every quadruple, such as the sample kurtosis of one dominant mode, which the groups
    cannot see).

    Parameters
    ----------
    kappa, gaussian_part : (P, q) ndarray
        Standardised cumulants and Gaussian parts in each part.
    quads : (q, 4) int ndarray
        The quadruples.
    ms_kappa, ms_kappa_se : float
        Unbiased mean square of the cumulants and its SE.
    ms_gaussian, ms_gaussian_se : float
        Unbiased mean square of the Gaussian parts and its SE.
    ms_noise : float
        Noise variance of one part's ``kappa`` (spread between parts, averaged).
    ratio, ratio_se : float
        :math:`\sqrt{\max(\overline{\kappa^2}, 0) / \overline{W^2}}` (RMS cumulant over RMS
        Gaussian part) and its SE.
    slope, slope_se : float
        Least-squares slope of :math:`\kappa` on :math:`W` through the origin,
        :math:`\overline{\kappa^{(p)}W^{(q)}} / \overline{W^{(p)}W^{(q)}}` over distinct parts,
        and its SE.
    n_groups : int
        Groups of quadruples behind the SEs.
    """

    kappa: FloatArray
    gaussian_part: FloatArray
    quads: IntArray
    ms_kappa: float
    ms_kappa_se: float
    ms_gaussian: float
    ms_gaussian_se: float
    ms_noise: float
    ratio: float
    ratio_se: float
    slope: float
    slope_se: float
    n_groups: int

    @property
    def n_quadruples(self) -> int:
        """Number of quadruples."""
        return int(self.quads.shape[0])

    @property
    def n_parts(self) -> int:
        """Number of parts."""
        return int(np.shape(self.kappa)[0])

    @property
    def kappa_mean(self) -> FloatArray:
        """Average of the parts' cumulants (the full-run estimate)."""
        return np.asarray(self.kappa).mean(axis=0)

    @property
    def gaussian_mean(self) -> FloatArray:
        """Average of the parts' Gaussian parts."""
        return np.asarray(self.gaussian_part).mean(axis=0)


def _jackknife(values: FloatArray) -> float:
    """Jackknife SE from leave-one-out values (NaN where undefined)."""
    v = np.asarray(values, dtype=float)
    k = len(v)
    if k < 2 or not np.all(np.isfinite(v)):
        return float("nan")
    return float(np.sqrt((k - 1) / k * np.sum((v - v.mean()) ** 2)))


def _pair_products(k: FloatArray, w: FloatArray) -> FloatArray:
    """Per quadruple, averages over ordered pairs of distinct parts of k k, w w and k w.

    ``k``, ``w``: (P, q). Returns (3, q).
    """
    p = k.shape[0]
    sk, sw = k.sum(0), w.sum(0)
    norm = p * (p - 1)
    return np.stack(
        [
            (sk**2 - (k**2).sum(0)) / norm,
            (sw**2 - (w**2).sum(0)) / norm,
            (sk * sw - (k * w).sum(0)) / norm,
        ]
    )


def _summaries(means: FloatArray) -> FloatArray:
    """(ms_kappa, ms_gaussian, ratio, slope) from mean pair products (kk, ww, kw)."""
    kk, ww, kw = means
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.sqrt(np.maximum(kk, 0.0) / ww) if ww > 0 else np.nan
        slope = kw / ww if ww > 0 else np.nan
    return np.array([kk, ww, ratio, slope], dtype=float)


def cross_cumulants_from_parts(
    parts: Sequence[FloatArray], quads: IntArray, *, n_groups: int = 16
) -> CrossCumulantSplit:
    r"""Fourth cross-cumulants on independent parts of a run, with unbiased mean squares.

    Parameters
    ----------
    parts : sequence of (s_p, n) ndarray
        Samples of the same ``n`` units from ``P >= 2`` independent parts of a run (groups of
        trials, or consecutive stretches of time much longer than the correlation time).
        Use ``P >= 3`` for standard errors that include noise common to all quadruples.
    quads : (q, 4) int ndarray
        Quadruples of distinct units (``q >= n_groups``).
    n_groups : int
        Disjoint groups of quadruples for the standard errors (>= 2).

    Returns
    -------
    CrossCumulantSplit
        Per-part cumulants and Gaussian parts, unbiased mean squares, their ratio and the
        regression slope of the cumulant on the Gaussian part.

    Examples
    --------
    Gaussian data: the mean square of the cumulants is 0 within its SE, however correlated.

    >>> rng = np.random.default_rng(1)
    >>> mix = rng.standard_normal((8, 8)) / 2 + np.eye(8)
    >>> parts = [rng.standard_normal((10000, 8)) @ mix for _ in range(4)]
    >>> quads = np.array([rng.choice(8, 4, replace=False) for _ in range(64)])
    >>> h = cross_cumulants_from_parts(parts, quads, n_groups=8)
    >>> bool(abs(h.ms_kappa) < 3 * h.ms_kappa_se), bool(h.ms_gaussian > 3 * h.ms_gaussian_se)
    (True, True)
    """
    if isinstance(parts, np.ndarray) or len(parts) < 2:
        raise ValueError(
            "`parts` must be a sequence of >= 2 sample arrays (independent parts of a run); "
            f"got {type(parts).__name__} of length {len(parts)}."
        )
    arrays = [_check_samples(f"parts[{i}]", a, 2) for i, a in enumerate(parts)]
    n = arrays[0].shape[1]
    if any(a.shape[1] != n for a in arrays):
        raise ValueError(
            "`parts` must all hold the same units; got column counts "
            f"{[a.shape[1] for a in arrays]}."
        )
    q = _check_quads(quads, n)
    n_groups = check_positive_int("n_groups", n_groups)
    if n_groups < 2 or n_groups > len(q):
        raise ValueError(
            f"`n_groups` must be in [2, {len(q)}] (number of quadruples); got {n_groups}."
        )
    kw = [fourth_cross_cumulants(a, q) for a in arrays]
    k = np.stack([c[0] for c in kw])
    w = np.stack([c[1] for c in kw])
    prods = _pair_products(k, w)  # (3, q)
    values = _summaries(prods.mean(1))
    groups = np.array_split(np.arange(len(q)), n_groups)
    sums = np.stack([prods[:, g].sum(1) for g in groups])  # (G, 3)
    counts = np.array([len(g) for g in groups], dtype=float)
    loo_groups = np.stack(
        [_summaries((sums.sum(0) - sums[i]) / (len(q) - counts[i])) for i in range(n_groups)]
    )
    # the mean squares are plain means over groups; ratio and slope by the jackknife
    group_se = sums / counts[:, None]
    se = np.array(
        [
            group_se[:, 0].std(ddof=1) / np.sqrt(n_groups),
            group_se[:, 1].std(ddof=1) / np.sqrt(n_groups),
            _jackknife(loo_groups[:, 2]),
            _jackknife(loo_groups[:, 3]),
        ]
    )
    n_parts = len(arrays)
    if n_parts >= 3:
        keep = [np.delete(np.arange(n_parts), i) for i in range(n_parts)]
        loo_parts = np.stack([_summaries(_pair_products(k[j], w[j]).mean(1)) for j in keep])
        se = np.hypot(se, [_jackknife(loo_parts[:, i]) for i in range(4)])
    return CrossCumulantSplit(
        kappa=k,
        gaussian_part=w,
        quads=q,
        ms_kappa=float(values[0]),
        ms_kappa_se=float(se[0]),
        ms_gaussian=float(values[1]),
        ms_gaussian_se=float(se[1]),
        ms_noise=float(np.mean(k.var(axis=0, ddof=1))),
        ratio=float(values[2]),
        ratio_se=float(se[2]),
        slope=float(values[3]),
        slope_se=float(se[3]),
        n_groups=n_groups,
    )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ProjectionKurtosis:
    r"""Excess kurtosis of projections :math:`s_k = d_k^T z` of sampled activity.

    Parameters
    ----------
    excess_kurtosis : (K,) ndarray
        :math:`m_4 / m_2^2 - 3` of each projection (0 for a Gaussian, -1.2 for a uniform,
        -1.5 for a sinusoid of random phase).
    se : (K,) ndarray
        Jackknife standard error over trials (leave one trial out).
    variance : (K,) ndarray
        :math:`m_2`, the variance of each projection.
    fourth_cumulant : (K,) ndarray
        :math:`m_4 - 3 m_2^2`.
    n_trials : int
        Independent trials behind the SE.
    null_kurtosis, null_se : (K,) ndarray
        Mean excess kurtosis of Gaussian surrogates with the same sample structure and power
        spectrum (the finite-sample bias of the estimator under Gaussianity; negative for
        slow projections) and its SE; NaN without surrogates.
    """

    excess_kurtosis: FloatArray
    se: FloatArray
    variance: FloatArray
    fourth_cumulant: FloatArray
    n_trials: int
    null_kurtosis: FloatArray
    null_se: FloatArray

    @property
    def corrected(self) -> FloatArray:
        """Excess kurtosis minus its Gaussian-surrogate null (NaN without surrogates)."""
        return np.asarray(self.excess_kurtosis) - np.asarray(self.null_kurtosis)


def _kurtosis_from_sums(p: FloatArray, n: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(excess kurtosis, m2, c4) from power sums ``p`` (4, K) of ``n`` samples."""
    m1, r2, r3, r4 = p[0] / n, p[1] / n, p[2] / n, p[3] / n
    m2 = r2 - m1**2
    m4 = r4 - 4 * m1 * r3 + 6 * m1**2 * r2 - 3 * m1**4
    return m4 / m2**2 - 3.0, m2, m4 - 3 * m2**2


def _pooled_kurtosis(proj: FloatArray) -> FloatArray:
    """Excess kurtosis over axes 0 and 1 of ``proj`` (s, b, K)."""
    c = proj - proj.mean(axis=(0, 1))
    m2 = np.mean(c**2, axis=(0, 1))
    return np.mean(c**4, axis=(0, 1)) / m2**2 - 3.0


def _surrogate_null(
    proj: FloatArray, n_surrogates: int, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Mean and SE of the excess kurtosis of Gaussian surrogates of ``proj`` (s, b, K).

    Each trial's series is replaced by a Gaussian process whose expected periodogram is the
    trial-averaged periodogram (the trials share one spectrum): its square root times
    independent complex normals. Random amplitudes matter: keeping each trial's own amplitudes
    would keep a sinusoid's kurtosis, and multiplying them by random ones would double their
    scatter (a positive bias).
    """
    amp = np.sqrt(np.mean(np.abs(np.fft.rfft(proj, axis=0)) ** 2, axis=1, keepdims=True))
    shape = (amp.shape[0], proj.shape[1], proj.shape[2])
    vals = []
    for _ in range(n_surrogates):
        z = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)
        vals.append(_pooled_kurtosis(np.fft.irfft(amp * z, n=proj.shape[0], axis=0)))
    v = np.array(vals)
    se = v.std(axis=0, ddof=1) / np.sqrt(len(v)) if len(v) > 1 else np.full(v.shape[1], np.nan)
    return v.mean(axis=0), se


def projection_kurtosis(
    samples: FloatArray,
    directions: FloatArray,
    *,
    n_surrogates: int = 0,
    rng: np.random.Generator | None = None,
) -> ProjectionKurtosis:
    """Excess kurtosis of projections onto ``directions``, with jackknife SEs over trials.

    Parameters
    ----------
    samples : (s, b, n) ndarray
        ``s`` time-ordered samples of ``b`` independent trials of ``n`` units (``b >= 2``).
    directions : (n, K) ndarray
        Directions (columns; any normalisation: the kurtosis is scale-free).
    n_surrogates : int
        Gaussian surrogates (same power spectrum per trial) for the null value of the
        estimator; 0 skips them. The sample excess kurtosis of a Gaussian series is biased
        low by about ``6 / n_eff``, which matters for slow projections.
    rng : numpy Generator, optional
        For the surrogates (default: a fixed seed, so results are reproducible).

    Returns
    -------
    ProjectionKurtosis
        Excess kurtosis, SE, variance and fourth cumulant of each projection (moments about
        the mean over all samples and trials), and the surrogate null.

    Examples
    --------
    A uniform source (excess kurtosis -1.2) seen through two units plus Gaussian noise.

    >>> rng = np.random.default_rng(2)
    >>> src = rng.uniform(-np.sqrt(3), np.sqrt(3), size=(50000, 8))
    >>> z = np.stack([src, src + 0.1 * rng.standard_normal(src.shape)], axis=-1)
    >>> pk = projection_kurtosis(z, np.array([[1.0], [1.0]]))
    >>> bool(abs(pk.excess_kurtosis[0] + 1.2) < 4 * pk.se[0] + 0.03)
    True
    """
    z = _check_samples("samples", samples, 3)
    d = np.asarray(directions, dtype=float)
    if d.ndim != 2 or d.shape[0] != z.shape[2]:
        raise ValueError(
            f"`directions` must have shape ({z.shape[2]}, K) (one column per direction); "
            f"got {d.shape}."
        )
    n_trials = z.shape[1]
    if n_trials < 2:
        raise ValueError(
            f"`samples` must hold >= 2 trials (axis 1) for the jackknife SE; got {n_trials}."
        )
    proj = np.einsum("sbn,nk->sbk", z, d, dtype=np.float64, optimize=True)
    proj -= proj.mean(axis=(0, 1))  # centred: the power-sum formulas lose no precision
    sums = np.stack([np.sum(proj**p, axis=0) for p in (1, 2, 3, 4)])  # (4, b, K)
    total = sums.sum(axis=1)
    s = z.shape[0]
    kurt, m2, c4 = _kurtosis_from_sums(total, float(s * n_trials))
    loo = np.array(
        [
            _kurtosis_from_sums(total - sums[:, t], float(s * (n_trials - 1)))[0]
            for t in range(n_trials)
        ]
    )
    se = np.sqrt((n_trials - 1) / n_trials * np.sum((loo - loo.mean(0)) ** 2, axis=0))
    if n_surrogates:
        gen = np.random.default_rng(0) if rng is None else rng
        null, null_se = _surrogate_null(proj, check_positive_int("n_surrogates", n_surrogates), gen)
    else:
        null = null_se = np.full(d.shape[1], np.nan)
    return ProjectionKurtosis(
        excess_kurtosis=kurt,
        se=se,
        variance=m2,
        fourth_cumulant=c4,
        n_trials=n_trials,
        null_kurtosis=null,
        null_se=null_se,
    )


def mode_cross_cumulants(
    vectors: FloatArray,
    fourth_cumulants: FloatArray,
    quads: IntArray,
    variances: FloatArray,
) -> FloatArray:
    r"""Standardised cross-cumulants implied by independent non-Gaussian modes.

    If :math:`z = \sum_k v_k s_k + \text{(Gaussian part)}` with independent mode amplitudes
    :math:`s_k` of fourth cumulants :math:`c_4^{(k)}`, then :math:`\kappa_{ijkl} = \sum_k
    c_4^{(k)} v_{ik} v_{jk} v_{kk} v_{lk}` (cumulants are additive over independent terms and
    multilinear).

    Parameters
    ----------
    vectors : (n, K) ndarray
        Mode vectors (columns), in the units of ``s_k``.
    fourth_cumulants : (K,) ndarray
        :math:`c_4^{(k)}`.
    quads : (q, 4) int ndarray
        Quadruples of distinct units.
    variances : (n,) ndarray
        Per-unit variances used to standardise, as in :func:`fourth_cross_cumulants`.

    Returns
    -------
    (q,) ndarray
        :math:`\kappa_{ijkl}/\sqrt{v_i v_j v_k v_l}`.

    Examples
    --------
    >>> v = np.array([[1.0], [2.0], [1.0], [0.5]])
    >>> float(mode_cross_cumulants(v, np.array([-1.2]), np.array([[0, 1, 2, 3]]), np.ones(4))[0])
    -1.2
    """
    v = np.asarray(vectors, dtype=float)
    c4 = np.asarray(fourth_cumulants, dtype=float)
    if v.ndim != 2 or c4.shape != (v.shape[1],):
        raise ValueError(
            f"`vectors` must be (n, K) and `fourth_cumulants` (K,); got shapes {v.shape} and "
            f"{c4.shape}."
        )
    q = _check_quads(quads, v.shape[0])
    var = np.asarray(variances, dtype=float)
    if var.shape != (v.shape[0],) or not np.all(var > 0):
        raise ValueError(
            f"`variances` must be {v.shape[0]} positive numbers (one per unit); got shape "
            f"{var.shape}."
        )
    prod = v[q[:, 0]] * v[q[:, 1]] * v[q[:, 2]] * v[q[:, 3]]  # (q, K)
    return (prod @ c4) / np.sqrt(np.prod(var[q], axis=1))
