r"""Fit a sparse E/I Jacobian ensemble to one given Jacobian (``docs/theory.md`` section 5).

A trained E/I rate network (or a fixed point of one, :mod:`randrnn.fixedpoints`) gives couplings
``W``, timescales ``tau``, gains ``gain`` and the population of each unit.
:func:`fit_jacobian_ensemble` estimates the :class:`~randrnn.ensembles.JacobianEnsemble` of
Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767, of which the Jacobian
:math:`A = T^{-1}(-I + W G)` is a draw:

- Dale signs per population, from the signs of its outgoing (column) weights;
- mean in-degrees :math:`c_{ab}` (non-zeros of block :math:`a \leftarrow b` per unit of
  :math:`a`) and connection probabilities, with binomial standard errors; no self-coupling, as in
  :class:`~randrnn.ensembles.BlockEnsemble`;
- a weight-magnitude law per block (lognormal or half-normal by maximum likelihood, the better
  by AIC) and the moments :math:`E[w]`, :math:`E[w^2]` that the theory reads (through
  :math:`c\,E[w^2]`), on the log scale;
- timescale and gain laws per population (Beta on an interval, or lognormal, by maximum
  likelihood); silent units (gain exactly 0) as the atom of a
  :class:`~randrnn.ensembles.ZeroInflated` gain law;
- the Gaussian-copula correlation of a unit's timescale and gain per population, from normal
  scores of ranks (silent units enter as censored: the ensemble makes a unit silent exactly
  when its copula variable is below the quantile of the zero fraction).

Every estimate carries a standard error and the name of its estimator (:class:`Estimate`), and
every fitted marginal a Kolmogorov-Smirnov distance to the data (:class:`GoodnessOfFit`).
:func:`fit_sample` fits a :class:`~randrnn.ensembles.JacobianSample`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from randrnn._typing import FloatArray, Seed
from randrnn._validation import (
    as_rng,
    check_array,
    check_bool,
    check_in,
    check_nonnegative_int,
    check_positive_int,
    check_real,
    show,
)
from randrnn.ensembles.block import BlockEnsemble, population_sizes
from randrnn.ensembles.distributions import (
    AbstractDistribution,
    Beta,
    Fixed,
    HalfNormal,
    LogNormal,
    ZeroInflated,
)
from randrnn.ensembles.jacobian import JacobianEnsemble, JacobianSample

#: candidate weight-magnitude laws (``"auto"``: the better of the two by AIC, per block)
WEIGHT_LAWS = ("auto", "lognormal", "halfnormal")
#: candidate timescale and gain laws
UNIT_LAWS = ("beta", "lognormal")


# -- results ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Estimate:
    r"""One named estimate with its standard error.

    Parameters
    ----------
    name : str
        E.g. ``"in_degree[I][E]"`` (to a unit of ``I`` from ``E``), ``"weight[I][I].sigma"``,
        ``"weight[I][I].log_second_moment"`` (:math:`\ln E[w^2]`),
        ``"tau[E].a"``, ``"gain[I].zero_fraction"``, ``"correlation[I]"``.
    value : float
        The estimate.
    se : float
        Its standard error (0 for a given or exactly known value, NaN where none is defined).
    estimator : str
        How it was obtained.
    """

    name: str
    value: float
    se: float
    estimator: str

    def z(self, truth: float) -> float:
        """Return ``(value - truth) / se`` (0 or +-inf where ``se`` is 0, NaN where it is NaN)."""
        t = float(truth)
        if math.isnan(self.se):
            return math.nan
        if self.se == 0:
            return 0.0 if self.value == t else math.copysign(math.inf, self.value - t)
        return (self.value - t) / self.se


@dataclass(frozen=True, slots=True)
class GoodnessOfFit:
    """How well one fitted marginal law describes its data.

    Parameters
    ----------
    law : str
        ``"weight[a][b]"`` (magnitudes of block ``a <- b``), ``"tau[a]"`` or ``"gain[a]"``
        (positive gains: the base of a zero-inflated law).
    kind : str
        The fitted law's kind (``"lognormal"``, ``"halfnormal"``, ``"beta"``, ``"fixed"``).
    n : int
        Number of values fitted.
    ks_statistic : float
        Kolmogorov-Smirnov distance between the data and the fitted law.
    ks_pvalue : float
        Its p-value for a law fixed in advance; with parameters fitted to the same data it is
        conservative (too large).
    log_likelihood : dict of str to float
        Maximized log-likelihood of each candidate kind (for weights: both candidates).
    """

    law: str
    kind: str
    n: int
    ks_statistic: float
    ks_pvalue: float
    log_likelihood: dict[str, float]


def _finite_or_none(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


@dataclass(frozen=True, slots=True)
class EnsembleFit:
    r"""A :class:`JacobianEnsemble` fitted to one Jacobian, with every estimate's error.

    Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767; ``docs/theory.md`` section 5.

    Parameters
    ----------
    ensemble : JacobianEnsemble
        The fitted ensemble: a :class:`BlockEnsemble` coupling (sizes and fractions of the data,
        Dale signs, mean in-degrees, weight laws, ``scaling="none"``, ``keep_mean=True``) with
        timescale and gain laws and copula correlations per population.
    parameters : tuple of Estimate
        Every estimate, named (see :class:`Estimate`).
    goodness_of_fit : tuple of GoodnessOfFit
        One entry per fitted marginal law.
    notes : tuple of str
        Choices made for lack of data (a sign set by default, a law fixed at a mean).
    """

    ensemble: JacobianEnsemble
    parameters: tuple[Estimate, ...]
    goodness_of_fit: tuple[GoodnessOfFit, ...]
    notes: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> Estimate:
        for e in self.parameters:
            if e.name == name:
                return e
        raise KeyError(
            f"`name` must be one of the fitted parameters; got {name!r}. Known: "
            f"{[e.name for e in self.parameters]}."
        )

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the parameters, in order."""
        return tuple(e.name for e in self.parameters)

    def values(self) -> dict[str, float]:
        """Return ``{name: value}`` of every parameter."""
        return {e.name: e.value for e in self.parameters}

    def z_scores(self, truth: dict[str, float]) -> dict[str, float]:
        """Return ``(value - truth) / se`` for each named parameter of ``truth``.

        Parameters
        ----------
        truth : dict of str to float
            True values by parameter name (a name not fitted is an error).

        Returns
        -------
        dict of str to float
            The z-scores (0 or +-inf where the SE is 0, NaN where it is undefined).
        """
        return {name: self[name].z(t) for name, t in truth.items()}

    def table(self) -> list[dict[str, Any]]:
        """Rows ``{"parameter", "value", "se", "estimator"}`` for a report."""
        return [
            {"parameter": e.name, "value": e.value, "se": e.se, "estimator": e.estimator}
            for e in self.parameters
        ]

    def summary(self) -> dict[str, Any]:
        """The fitted ensemble, the estimates and the goodness of fit (strict JSON: NaN as null)."""
        ens = self.ensemble
        return {
            "n": ens.n,
            "populations": list(ens.names),
            "sizes": list(ens.sizes),
            "signs": list(getattr(ens.coupling, "signs", ())),
            "ensemble": ens.to_config(),
            "parameters": {
                e.name: {
                    "value": _finite_or_none(e.value),
                    "se": _finite_or_none(e.se),
                    "estimator": e.estimator,
                }
                for e in self.parameters
            },
            "goodness_of_fit": {
                g.law: {
                    "kind": g.kind,
                    "n": g.n,
                    "ks_statistic": _finite_or_none(g.ks_statistic),
                    "ks_pvalue": _finite_or_none(g.ks_pvalue),
                    "log_likelihood": {k: _finite_or_none(v) for k, v in g.log_likelihood.items()},
                }
                for g in self.goodness_of_fit
            },
            "notes": list(self.notes),
        }

    def to_xarray(self) -> Any:
        """Dataset over ``parameter`` (``value``, ``se``; coordinate ``estimator``) and ``law``
        (``ks_statistic``, ``ks_pvalue``, ``n_values``; coordinate ``kind``).

        Attributes: ``ensemble`` (the fitted ensemble's ``to_config()`` as a JSON string, for
        :meth:`JacobianEnsemble.from_config`) and ``notes`` (a JSON list).
        """
        import xarray as xr

        ps, gs = self.parameters, self.goodness_of_fit
        ds = xr.Dataset(
            {
                "value": ("parameter", np.array([e.value for e in ps], dtype=float)),
                "se": ("parameter", np.array([e.se for e in ps], dtype=float)),
                "ks_statistic": ("law", np.array([g.ks_statistic for g in gs], dtype=float)),
                "ks_pvalue": ("law", np.array([g.ks_pvalue for g in gs], dtype=float)),
                "n_values": ("law", np.array([g.n for g in gs], dtype=np.int64)),
            },
            coords={
                "parameter": np.array([e.name for e in ps], dtype=str),
                "estimator": ("parameter", np.array([e.estimator for e in ps], dtype=str)),
                "law": np.array([g.law for g in gs], dtype=str),
                "kind": ("law", np.array([g.kind for g in gs], dtype=str)),
            },
        )
        ds.attrs["ensemble"] = json.dumps(self.ensemble.to_config())
        ds.attrs["notes"] = json.dumps(list(self.notes))
        ds.attrs["reference"] = "Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767"
        return ds


# -- estimators -------------------------------------------------------------------------------
def _ks(x: FloatArray, law: AbstractDistribution) -> tuple[float, float]:
    from scipy import stats

    if isinstance(law, Fixed):
        return (0.0, 1.0) if np.all(x == law.value) else (1.0, 0.0)
    res = stats.kstest(x, law.cdf)
    return float(res.statistic), float(res.pvalue)


def beta_mle(y: FloatArray) -> tuple[float, float, FloatArray, float]:
    r"""Maximum-likelihood Beta(a, b) of values ``y`` in (0, 1).

    Newton's method on the convex negative log-likelihood
    :math:`m[\ln B(a, b) - (a-1)\overline{\ln y} - (b-1)\overline{\ln(1-y)}]` from the
    method-of-moments start; its Hessian (the observed information, equal to the Fisher
    information of this exponential family) is
    :math:`m\begin{pmatrix}\psi_1(a)-\psi_1(a+b) & -\psi_1(a+b)\\ -\psi_1(a+b) &
    \psi_1(b)-\psi_1(a+b)\end{pmatrix}`.

    Parameters
    ----------
    y : (m,) ndarray
        Values strictly inside (0, 1), not all equal.

    Returns
    -------
    a, b : float
        The estimates.
    cov : (2, 2) ndarray
        Their covariance, the inverse observed information.
    log_likelihood : float
        The maximized log-likelihood of ``y``.

    Examples
    --------
    >>> y = np.random.default_rng(0).beta(2.0, 5.0, 4000)
    >>> a, b, cov, _ = beta_mle(y)
    >>> bool(abs(a - 2.0) < 4 * cov[0, 0] ** 0.5 and abs(b - 5.0) < 4 * cov[1, 1] ** 0.5)
    True
    """
    from scipy.special import betaln, digamma, polygamma

    m = y.size
    l1, l2 = float(np.mean(np.log(y))), float(np.mean(np.log1p(-y)))
    mu, var = float(np.mean(y)), float(np.var(y))
    common = mu * (1.0 - mu) / var - 1.0 if var > 0 else 2.0
    if not common > 0:
        common = 1.0
    theta = np.array([mu * common, (1.0 - mu) * common])

    def nll(t: FloatArray) -> float:
        return float(betaln(t[0], t[1]) - (t[0] - 1.0) * l1 - (t[1] - 1.0) * l2)

    def hessian(t: FloatArray) -> FloatArray:
        ab = polygamma(1, t[0] + t[1])
        return np.array(
            [[polygamma(1, t[0]) - ab, -ab], [-ab, polygamma(1, t[1]) - ab]], dtype=float
        )

    f = nll(theta)
    for _ in range(200):
        s = digamma(theta[0] + theta[1])
        grad = np.array([digamma(theta[0]) - s - l1, digamma(theta[1]) - s - l2])
        step = np.linalg.solve(hessian(theta), grad)
        lam = 1.0
        while True:
            new = theta - lam * step
            if np.all(new > 0):
                f_new = nll(new)
                if f_new <= f + 1e-12 * (1.0 + abs(f)):  # flat within rounding near the optimum
                    break
            lam *= 0.5
            if lam < 1e-12:
                new, f_new = theta, f
                break
        done = bool(np.all(np.abs(new - theta) <= 1e-12 * np.abs(theta)))
        theta, f = new, f_new
        if done:
            break
    cov = np.linalg.inv(m * hessian(theta))
    return float(theta[0]), float(theta[1]), cov, -m * f


def _ranks_to_scores(x: FloatArray) -> FloatArray:
    """Van der Waerden normal scores :math:`\\Phi^{-1}(r/(n+1))` along the last axis."""
    from scipy.special import ndtri
    from scipy.stats import rankdata

    n = x.shape[-1]
    return np.asarray(ndtri(rankdata(x, axis=-1) / (n + 1.0)))


def _censored_copula(tau: FloatArray, gain: FloatArray) -> FloatArray:
    r"""Gaussian-copula correlation from units ``(tau, gain)`` (rows: replicates), silent units
    (gain 0) censored below the normal quantile of the zero fraction.

    Pseudo-log-likelihood in :math:`\rho` of normal scores :math:`u` (timescales) and :math:`v`
    (gains, ranked among all units): :math:`\sum_{g>0} \ln\varphi_\rho(v \mid u) +
    \sum_{g=0}\ln\Phi((c - \rho u)/\sqrt{1-\rho^2})`, :math:`c = \Phi^{-1}((k_0 + 1/2)/(n+1))`,
    maximized on a grid and by golden-section search, one :math:`\rho` per row.
    """
    from scipy.special import log_ndtr, ndtri

    B, n = tau.shape
    # scores scaled to unit variance: the n scores Phi^-1(i/(n+1)) have variance below 1
    unit = np.sqrt(np.mean(ndtri(np.arange(1, n + 1) / (n + 1.0)) ** 2))
    u = _ranks_to_scores(tau) / unit
    v = _ranks_to_scores(gain) / unit
    zero = gain == 0
    k0 = zero.sum(axis=1)
    c = np.asarray(ndtri((k0 + 0.5) / (n + 1.0))) / unit
    pos = ~zero
    n_pos = pos.sum(axis=1)
    suu = np.sum(np.where(pos, u * u, 0.0), axis=1)
    suv = np.sum(np.where(pos, u * v, 0.0), axis=1)
    svv = np.sum(np.where(pos, v * v, 0.0), axis=1)
    kmax = max(int(k0.max()), 1)
    order = np.argsort(pos, axis=1, kind="stable")[:, :kmax]  # silent units first
    uz = np.take_along_axis(u, order, axis=1)
    mask = np.arange(kmax)[None, :] < k0[:, None]

    def loglik(r: FloatArray) -> FloatArray:
        s2 = 1.0 - r * r
        ll = -0.5 * n_pos * np.log(s2) - (svv - 2.0 * r * suv + r * r * suu) / (2.0 * s2)
        t = (c[:, None] - r[:, None] * uz) / np.sqrt(s2)[:, None]
        return np.asarray(ll + np.sum(np.where(mask, log_ndtr(t), 0.0), axis=1))

    edge = 0.995
    grid = np.linspace(-edge, edge, 21)
    vals = np.stack([loglik(np.full(B, g)) for g in grid], axis=1)
    best = np.argmax(vals, axis=1)
    lo = grid[np.maximum(best - 1, 0)]
    hi = grid[np.minimum(best + 1, grid.size - 1)]
    phi = (math.sqrt(5.0) - 1.0) / 2.0
    x1, x2 = hi - phi * (hi - lo), lo + phi * (hi - lo)
    f1, f2 = loglik(x1), loglik(x2)
    for _ in range(32):  # bracket 0.2 wide: 0.2 * 0.618**32 < 1e-7
        left = f1 >= f2  # the maximum lies in [lo, x2]
        hi = np.where(left, x2, hi)
        lo = np.where(left, lo, x1)
        x2n = np.where(left, x1, lo + phi * (hi - lo))
        x1n = np.where(left, hi - phi * (hi - lo), x2)
        fnew = loglik(np.where(left, x1n, x2n))
        f2, f1 = np.where(left, f1, fnew), np.where(left, fnew, f2)
        x1, x2 = x1n, x2n
    return np.asarray(0.5 * (lo + hi))


def copula_correlation(
    tau: Any, gain: Any, *, n_bootstrap: int = 200, seed: Seed = 0
) -> tuple[float, float, str]:
    r"""Gaussian-copula correlation of timescale and gain in one population, with its SE.

    Without silent units: the correlation of van der Waerden normal scores of the ranks, SE
    :math:`(1-\hat\rho^2)/\sqrt{n-3}` (the normal-scores correlation is efficient under a
    Gaussian copula, asymptotic variance :math:`(1-\rho^2)^2/n`). With silent units (gain 0):
    in :class:`~randrnn.ensembles.JacobianEnsemble` a unit is silent exactly when its copula
    variable lies below :math:`\Phi^{-1}(q)`, so silent units are censored observations, not
    missing ones; :math:`\rho` maximizes the censored Gaussian pseudo-likelihood of the normal
    scores, SE by a bootstrap over units. Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767.

    Parameters
    ----------
    tau, gain : (n,) array_like
        Timescales and gains (>= 0) of the population's units.
    n_bootstrap : int
        Bootstrap replicates (used with silent units only).
    seed : int, Generator or None
        Random source of the bootstrap.

    Returns
    -------
    rho, se : float
        Estimate and standard error.
    estimator : str
        The estimator used.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> u = rng.standard_normal(2000); v = 0.5 * u + 0.75**0.5 * rng.standard_normal(2000)
    >>> rho, se, _ = copula_correlation(np.exp(u), np.exp(v))
    >>> bool(abs(rho - 0.5) < 4 * se)
    True
    """
    t = np.asarray(tau, dtype=float)
    g = np.asarray(gain, dtype=float)
    n = t.size
    if not np.any(g == 0):
        u, v = _ranks_to_scores(t), _ranks_to_scores(g)
        r = float(np.corrcoef(u, v)[0, 1])
        return r, (1.0 - r * r) / math.sqrt(n - 3), "van der Waerden normal-score correlation"
    r = float(_censored_copula(t[None, :], g[None, :])[0])
    B = check_positive_int("n_bootstrap", n_bootstrap)
    if B < 2:
        raise ValueError(f"`n_bootstrap` must be >= 2 with silent units; got {B}.")
    idx = as_rng(seed).integers(0, n, size=(B, n))
    boot = _censored_copula(t[idx], g[idx])
    return (
        r,
        float(np.std(boot, ddof=1)),
        f"censored Gaussian-copula pseudo-likelihood, bootstrap SE ({B} replicates)",
    )


# -- input checks ----------------------------------------------------------------------------
def _interval(name: str, value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(
            f"`{name}` must be a pair (low, high) or None (estimated from the data); got "
            f"{show(value)}."
        )
    lo, hi = check_real(f"{name}[0]", value[0]), check_real(f"{name}[1]", value[1])
    if not 0.0 <= lo < hi:
        raise ValueError(
            f"`{name}` must satisfy 0 <= low < high; got {(lo, hi)!r}. Give (low, high) in "
            "that order."
        )
    return lo, hi


def _intervals(name: str, value: Any, P: int) -> list[tuple[float, float] | None]:
    if value is None:
        return [None] * P
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(
            f"`{name}` must be None or one (low, high) pair (or None) per population; got "
            f"{show(value)}."
        )
    if len(value) != P:
        raise ValueError(
            f"`{name}` must have one entry per population ({P}); got {len(value)} entries. "
            "Use None for a population whose interval is to be estimated."
        )
    return [_interval(f"{name}[{a}]", v) for a, v in enumerate(value)]


def _population_index(population: Any, n: int) -> tuple[Any, int]:
    pop = np.asarray(population)
    if pop.shape != (n,):
        raise ValueError(
            f"`population` must have shape ({n},) (one index per unit of `tau`); got shape "
            f"{pop.shape}."
        )
    if pop.dtype.kind not in "iu":
        popf = check_array("population", pop, shape=(n,))
        if np.any(popf != np.round(popf)):
            raise ValueError(
                "`population` must hold integer population indices 0, ..., P-1; got "
                f"non-integer values such as {show(popf[popf != np.round(popf)][0])}."
            )
        pop = popf.astype(np.int64)
    pop = pop.astype(np.int64)
    if n and pop.min() < 0:
        raise ValueError(
            f"`population` must hold indices 0, ..., P-1; got {show(pop.min())}. Relabel the "
            "populations from 0."
        )
    P = int(pop.max()) + 1 if n else 0
    missing = [a for a in range(P) if not np.any(pop == a)]
    if missing:
        raise ValueError(
            f"`population` must use every index 0, ..., {P - 1}; got no unit in {missing}. "
            "Relabel the populations consecutively from 0."
        )
    return pop, P


def _coupling_entries(W: Any, n: int) -> tuple[Any, Any, FloatArray]:
    from scipy import sparse

    if sparse.issparse(W):
        if W.shape != (n, n):
            raise ValueError(
                f"`W` must have shape ({n}, {n}) (n = len(tau)); got shape {tuple(W.shape)}."
            )
        M = sparse.coo_matrix(W, dtype=float)
        M.sum_duplicates()
        rows, cols, vals = M.row, M.col, np.asarray(M.data, dtype=float)
        if not np.all(np.isfinite(vals)):
            raise ValueError("`W` must contain only finite values; got NaN or inf.")
    else:
        Wd = check_array("W", W)
        if Wd.shape != (n, n):
            raise ValueError(
                f"`W` must have shape ({n}, {n}) (n = len(tau)); got shape {Wd.shape}."
            )
        rows, cols = np.nonzero(Wd)
        vals = Wd[rows, cols]
    keep = vals != 0
    rows, cols, vals = rows[keep].astype(np.int64), cols[keep].astype(np.int64), vals[keep]
    diag = rows == cols
    if np.any(diag):
        i = int(rows[diag][0])
        raise ValueError(
            f"`W` must have a zero diagonal (the ensemble has no self-coupling); got "
            f"{int(diag.sum())} non-zero diagonal entries, e.g. W[{i}, {i}] = "
            f"{show(vals[diag][0])}. Fold them into the leak or set them to 0 "
            "(W.setdiag(0); W.eliminate_zeros())."
        )
    return rows, cols, vals


# -- per-block and per-population fits ----------------------------------------------------------
def _fit_weights(
    x: FloatArray, label: str, law: str, min_weights: int
) -> tuple[AbstractDistribution, list[Estimate], GoodnessOfFit | None, str | None]:
    m = x.size
    if m == 0:
        return Fixed(value=0.0), [], None, None
    if m < min_weights or np.all(x == x[0]):
        value = float(np.mean(x))
        se = float(np.std(x, ddof=1) / math.sqrt(m)) if m > 1 else math.nan
        law_d = Fixed(value=value)
        note = None
        if m < min_weights:
            note = (
                f"{label}: {m} non-zero weight(s) < min_weights = {min_weights}; magnitude law "
                f"fixed at their mean {value:.6g}."
            )
        rel = se / value
        est: list[Estimate] = [
            Estimate(f"{label}.value", value, se, "sample mean of |w|"),
            Estimate(f"{label}.log_mean", math.log(value), rel, "log of the sample mean"),
            Estimate(
                f"{label}.log_second_moment", 2 * math.log(value), 2 * rel, "log of its square"
            ),
        ]
        ks = _ks(x, law_d)
        return law_d, est, GoodnessOfFit(label, "fixed", m, *ks, {}), note
    lx = np.log(x)
    mu = float(np.mean(lx))
    sig = float(np.sqrt(np.mean((lx - mu) ** 2)))
    ll_ln = -float(np.sum(lx)) - m * math.log(sig) - 0.5 * m * math.log(2 * math.pi) - 0.5 * m
    s = float(np.sqrt(np.mean(x * x)))
    ll_hn = m * (0.5 * math.log(2 / math.pi) - math.log(s)) - 0.5 * m
    logliks = {"lognormal": ll_ln, "halfnormal": ll_hn}
    if law == "auto":
        law = "lognormal" if 2 * 2 - 2 * ll_ln < 2 * 1 - 2 * ll_hn else "halfnormal"
    est = []
    if law == "lognormal":
        med = math.exp(mu)
        d: AbstractDistribution = LogNormal(median=med, sigma=sig)
        mle = "lognormal MLE of log|w|"
        est.append(Estimate(f"{label}.median", med, med * sig / math.sqrt(m), mle))
        est.append(Estimate(f"{label}.sigma", sig, sig / math.sqrt(2 * m), mle))
        # delta method: Var(mu) = s^2/m, Var(s^2) = 2 s^4/m, independent
        v1 = sig**2 / m + 0.25 * 2 * sig**4 / m
        v2 = 4 * sig**2 / m + 4 * 2 * sig**4 / m
    else:
        d = HalfNormal(scale=s)
        mle = "half-normal MLE"
        est.append(Estimate(f"{label}.scale", s, s / math.sqrt(2 * m), mle))
        v1 = 1.0 / (2 * m)  # variances of log s and log s^2
        v2 = 4.0 / (2 * m)
    delta = f"log of the fitted {law} law's moment, delta method"
    est.append(Estimate(f"{label}.log_mean", math.log(d.mean), math.sqrt(v1), delta))
    est.append(
        Estimate(f"{label}.log_second_moment", math.log(d.second_moment), math.sqrt(v2), delta)
    )
    return d, est, GoodnessOfFit(label, law, m, *_ks(x, d), logliks), None


def _fit_unit_law(
    x: FloatArray,
    label: str,
    arg: str,
    law: str,
    interval: tuple[float, float] | None,
    pop_label: str,
) -> tuple[AbstractDistribution, list[Estimate], GoodnessOfFit, str | None]:
    m = x.size
    if np.all(x == x[0]):
        v = float(x[0])
        d = Fixed(value=v)
        if interval is not None and not interval[0] <= v <= interval[1]:
            raise ValueError(
                f"`{arg}` = {interval!r} must contain the {label} values of population "
                f"{pop_label}; got the constant {show(v)}. Widen the interval or pass None."
            )
        gof = GoodnessOfFit(label, "fixed", m, 0.0, 1.0, {})
        return d, [Estimate(f"{label}.value", v, 0.0, "constant")], gof, None
    if law == "lognormal":
        if interval is not None:
            raise ValueError(
                f"`{arg}` must be None with a lognormal law (an interval is a Beta law's "
                f"support); got {interval!r}. Drop it or use the law 'beta'."
            )
        lx = np.log(x)
        mu = float(np.mean(lx))
        sig = float(np.sqrt(np.mean((lx - mu) ** 2)))
        med = math.exp(mu)
        ln = LogNormal(median=med, sigma=sig)
        ll = -float(np.sum(lx)) - m * math.log(sig) - 0.5 * m * math.log(2 * math.pi) - 0.5 * m
        mle = "lognormal MLE of log x"
        est = [
            Estimate(f"{label}.median", med, med * sig / math.sqrt(m), mle),
            Estimate(f"{label}.sigma", sig, sig / math.sqrt(2 * m), mle),
        ]
        gof = GoodnessOfFit(label, "lognormal", m, *_ks(x, ln), {"lognormal": ll})
        return ln, est, gof, None
    xmin, xmax = float(x.min()), float(x.max())
    if interval is None:
        r = xmax - xmin
        lo, hi = max(0.0, xmin - r / (m - 1)), xmax + r / (m - 1)
        how, se_iv = "range extended by range/(n-1) on each side", math.nan
        note = (
            f"{label}: Beta interval [{lo:.6g}, {hi:.6g}] estimated from the range; the SEs of "
            "a and b are conditional on it (give the interval where it is known)."
        )
    else:
        lo, hi = interval
        outside = (x < lo) | (x > hi)
        if np.any(outside):
            raise ValueError(
                f"`{arg}` = {interval!r} must contain every {label} value of population "
                f"{pop_label}; got values in [{show(xmin)}, {show(xmax)}] "
                f"({int(outside.sum())} outside). Widen the interval or pass None to estimate it."
            )
        on_edge = (x == lo) | (x == hi)
        if np.any(on_edge):
            raise ValueError(
                f"`{arg}` = {interval!r} must contain the {label} values of population "
                f"{pop_label} strictly (a Beta law has density 0 or infinity at its ends); got "
                f"{int(on_edge.sum())} value(s) equal to a bound. Widen the interval or pass None."
            )
        how, se_iv, note = "given", 0.0, None
    y = (x - lo) / (hi - lo)
    a, b, cov, ll_y = beta_mle(y)
    d_b = Beta(a=a, b=b, low=lo, high=hi)
    mle = "Beta MLE, SE from the observed information"
    est = [
        Estimate(f"{label}.a", a, math.sqrt(cov[0, 0]), mle),
        Estimate(f"{label}.b", b, math.sqrt(cov[1, 1]), mle),
        Estimate(f"{label}.low", lo, se_iv, how),
        Estimate(f"{label}.high", hi, se_iv, how),
    ]
    ll = ll_y - m * math.log(hi - lo)
    return d_b, est, GoodnessOfFit(label, "beta", m, *_ks(x, d_b), {"beta": ll}), note


# -- the fit ----------------------------------------------------------------------------------
def fit_jacobian_ensemble(
    W: Any,
    tau: Any,
    gain: Any,
    population: Any,
    *,
    names: Sequence[str] | None = None,
    signs: Sequence[int] | None = None,
    weight_law: str = "auto",
    tau_intervals: Any = None,
    gain_intervals: Any = None,
    tau_law: str = "beta",
    gain_law: str = "beta",
    correlation: bool = True,
    min_units: int = 10,
    min_weights: int = 10,
    n_bootstrap: int = 200,
    seed: Seed = 0,
) -> EnsembleFit:
    r"""Fit a sparse E/I :class:`JacobianEnsemble` to couplings, timescales and gains.

    The model is the ensemble of Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767
    (``docs/theory.md`` section 5.1): :math:`A = T^{-1}(-I + W G)` with :math:`W` a
    :class:`BlockEnsemble` draw of finite connectivity (``scaling="none"``, means kept, no
    self-coupling) and per-population laws of timescale and gain, joined by a Gaussian copula.

    Estimators (each :class:`Estimate` names its own):

    - sign of population ``b``: the common sign of its column weights (mixed signs are an
      error); a population without outgoing weights takes ``signs[b]`` or +1 (noted);
    - ``in_degree[a][b]`` :math:`= k_{ab}/n_a` for :math:`k_{ab}` non-zeros in block
      :math:`a \leftarrow b`, SE :math:`\sqrt{\hat c(1-\hat p)/n_a}` (binomial; Poisson
      :math:`\sqrt{c/n_a}` for small :math:`p`), and ``connectivity[a][b]``
      :math:`\hat p = k_{ab}/(n_a m_{ab})` with :math:`m_{ab} = n_b - \delta_{ab}` available
      inputs;
    - ``weight[a][b].*``: lognormal (``median``, ``sigma``: MLE of :math:`\log|w|`) or half-normal
      (``scale``) by maximum likelihood, per block with at least ``min_weights`` non-zeros
      (else ``Fixed`` at the mean magnitude, or absent); ``"auto"`` picks the smaller AIC, both
      log-likelihoods are in :attr:`EnsembleFit.goodness_of_fit`; ``log_mean`` and
      ``log_second_moment``, :math:`\ln E|w|` and :math:`\ln E[w^2]` of the fitted law
      (the theory reads :math:`c\,E[w^2]`), with delta-method SEs: on the log scale because the
      moment estimates of heavy-tailed magnitudes are skewed like lognormals, so that
      value :math:`\pm` SE is a fair interval there (``se`` is the relative error of the moment);
    - ``tau[a].*`` and ``gain[a].*``: Beta ``a``, ``b`` by maximum likelihood on ``[low, high]``
      (given, or estimated as :math:`[\min - r/(n-1), \max + r/(n-1)]`, :math:`r` the range,
      clipped at 0), SEs from the observed information; or lognormal; a constant population is
      ``Fixed``; gains exactly 0 give ``gain[a].zero_fraction`` :math:`q` (binomial SE) and the
      law ``ZeroInflated(base, q)`` fitted on the positive gains;
    - ``correlation[a]``: :func:`copula_correlation` (normal scores of ranks; silent units
      censored).

    Parameters
    ----------
    W : (n, n) sparse matrix or ndarray
        Signed couplings, ``W[i, j]`` from unit ``j`` to unit ``i``, zero diagonal.
    tau : (n,) array_like
        Timescales (> 0).
    gain : (n,) array_like
        Gains (>= 0; 0 for a silent unit).
    population : (n,) array_like of int
        Population index 0, ..., P-1 of each unit (any order).
    names : sequence of str, optional
        Population names (default ``E``, ``I`` for two populations with signs +1, -1, else
        ``P0, P1, ...``).
    signs : sequence of {+1, -1}, optional
        Expected Dale signs (checked against the data; used where a population has no outgoing
        weights).
    weight_law : {"auto", "lognormal", "halfnormal"}
        Magnitude law of every block.
    tau_intervals, gain_intervals : sequence of (low, high) or None, optional
        Per population, the support of the Beta law (e.g. the bounds a trained network
        enforces); None (entirely or per population) estimates it from the data.
    tau_law, gain_law : {"beta", "lognormal"}
        Law of the timescales and of the positive gains.
    correlation : bool
        Estimate the copula correlation (else independent timescales and gains).
    min_units : int
        Fewest units a population may have (>= 4).
    min_weights : int
        Fewest non-zeros for which a block's magnitude law is fitted.
    n_bootstrap : int
        Bootstrap replicates of the correlation SE with silent units.
    seed : int, Generator or None
        Random source of the bootstrap.

    Returns
    -------
    EnsembleFit
        The fitted ensemble, the estimates with SEs and the goodness of fit.

    Examples
    --------
    >>> truth = JacobianEnsemble.inhibitory_core(n=2000, in_degree=4.0, surviving=0.5)
    >>> s = truth.sample(0)
    >>> fit = fit_jacobian_ensemble(s.W, s.tau, s.gain, s.population,
    ...                             tau_intervals=[(1.0, 5.0), (2.0, 12.0)],
    ...                             gain_intervals=[(0.05, 0.25), (0.05, 0.25)])
    >>> fit.ensemble.sizes, fit.ensemble.coupling.signs, fit.ensemble.names
    ((1600, 400), (1, -1), ('E', 'I'))
    >>> [w.kind for w in fit.ensemble.coupling.weights[1]]
    ['halfnormal', 'lognormal']
    >>> z = fit.z_scores({"in_degree[E][I]": 4.0, "weight[E][I].sigma": 1.0, "tau[I].a": 2.0})
    >>> all(abs(v) < 4 for v in z.values())
    True
    """
    tau_a = check_array("tau", tau, shape=(None,))
    n = tau_a.size
    gain_a = check_array("gain", gain)
    if gain_a.shape != (n,):
        raise ValueError(
            f"`gain` must have shape ({n},) (one gain per unit of `tau`); got shape {gain_a.shape}."
        )
    bad = np.flatnonzero(tau_a <= 0)
    if bad.size:
        raise ValueError(
            f"`tau` must be > 0 (timescales); got tau[{bad[0]}] = {show(tau_a[bad[0]])} "
            f"({bad.size} unit(s) <= 0). Pass the time constants of the units."
        )
    bad = np.flatnonzero(gain_a < 0)
    if bad.size:
        raise ValueError(
            f"`gain` must be >= 0 (slopes phi'(x*) of monotone transfer functions); got "
            f"gain[{bad[0]}] = {show(gain_a[bad[0]])} ({bad.size} unit(s) < 0). Pass the "
            "gains of a monotone increasing transfer function."
        )
    pop, P = _population_index(population, n)
    rows, cols, vals = _coupling_entries(W, n)
    check_in("weight_law", weight_law, WEIGHT_LAWS)
    check_in("tau_law", tau_law, UNIT_LAWS)
    check_in("gain_law", gain_law, UNIT_LAWS)
    check_bool("correlation", correlation)
    min_units = check_positive_int("min_units", min_units)
    if min_units < 4:
        raise ValueError(
            f"`min_units` must be >= 4 (a correlation SE needs n - 3 > 0); got {min_units}. "
            "Use the default 10."
        )
    min_weights = check_nonnegative_int("min_weights", min_weights)
    t_iv = _intervals("tau_intervals", tau_intervals, P)
    g_iv = _intervals("gain_intervals", gain_intervals, P)
    sizes = np.bincount(pop, minlength=P)
    small = [a for a in range(P) if sizes[a] < min_units]

    # Dale signs
    col_pop = pop[cols]
    pos_count = np.bincount(col_pop[vals > 0], minlength=P)
    neg_count = np.bincount(col_pop[vals < 0], minlength=P)
    given: list[int] | None = None
    if signs is not None:
        ok = not isinstance(signs, (str, bytes)) and hasattr(signs, "__len__")
        given = [s for s in signs if not isinstance(s, bool) and s in (1, -1)] if ok else []
        if not ok or len(given) != P or len(signs) != P:
            raise ValueError(
                f"`signs` must give +1 or -1 for each of the {P} populations; got {show(signs)}. "
                "E.g. (1, -1) for excitatory, inhibitory."
            )
        given = [int(s) for s in given]
    if names is None:
        # the defaults of BlockEnsemble: E, I for two populations signed (+1, -1)
        pre = [
            1 if pos_count[a] else -1 if neg_count[a] else (given[a] if given else 1)
            for a in range(P)
        ]
        labels = ("E", "I") if P == 2 and pre == [1, -1] else tuple(f"P{a}" for a in range(P))
    else:
        if isinstance(names, (str, bytes)) or not hasattr(names, "__len__"):
            raise TypeError(
                f"`names` must be a sequence of {P} strings; got {show(names)}. E.g. ('E', 'I')."
            )
        labels = tuple(str(x) for x in names)
        if len(labels) != P or len(set(labels)) != P:
            raise ValueError(f"`names` must give {P} distinct population names; got {show(names)}.")
    if small:
        a = small[0]
        raise ValueError(
            f"`population` must give every population at least min_units = {min_units} units; "
            f"got {int(sizes[a])} in population {labels[a]!r} (index {a}). Merge it with "
            "another population or lower `min_units`."
        )
    notes: list[str] = []
    sign_out: list[int] = []
    for b in range(P):
        if pos_count[b] and neg_count[b]:
            raise ValueError(
                f"`W` columns of population {labels[b]!r} (index {b}) must all have one sign "
                f"(Dale's law); got {int(pos_count[b])} positive and {int(neg_count[b])} "
                "negative weights. Fix the signs or split the population by sign."
            )
        s = 1 if pos_count[b] else (-1 if neg_count[b] else 0)
        if given is not None:
            want = given[b]
            if s and s != want:
                raise ValueError(
                    f"`signs[{b}]` = {want} disagrees with the weights of population "
                    f"{labels[b]!r}: all its {int(pos_count[b] + neg_count[b])} outgoing "
                    f"weights have sign {s:+d}. Fix `signs` or the population index."
                )
            s = want
        elif s == 0:
            s = 1
            notes.append(
                f"population {labels[b]!r} has no outgoing weights; its sign is set to +1 "
                "(pass `signs` to choose)."
            )
        sign_out.append(s)

    # blocks: in-degrees and weight laws
    key = pop[rows] * P + col_pop
    counts = np.bincount(key, minlength=P * P).reshape(P, P)
    order = np.argsort(key, kind="stable")
    mags = np.abs(vals[order])
    bounds = np.concatenate([[0], np.cumsum(counts.ravel())])
    params: list[Estimate] = []
    goodness: list[GoodnessOfFit] = []
    c_hat = np.zeros((P, P))
    weights: list[list[AbstractDistribution]] = []
    for a in range(P):
        row_laws: list[AbstractDistribution] = []
        for b in range(P):
            lab = f"[{labels[a]}][{labels[b]}]"
            k = int(counts[a, b])
            avail = int(sizes[b]) - (1 if a == b else 0)
            c = k / sizes[a]
            p = k / (sizes[a] * avail)
            c_hat[a, b] = c
            binom = "non-zeros per unit, binomial SE"
            params.append(Estimate(f"in_degree{lab}", c, math.sqrt(c * (1 - p) / sizes[a]), binom))
            params.append(
                Estimate(
                    f"connectivity{lab}", p, math.sqrt(p * (1 - p) / (sizes[a] * avail)), binom
                )
            )
            x = mags[bounds[a * P + b] : bounds[a * P + b + 1]]
            d, est, gof, note = _fit_weights(x, f"weight{lab}", weight_law, min_weights)
            row_laws.append(d)
            params.extend(est)
            if gof is not None:
                goodness.append(gof)
            if note is not None:
                notes.append(note)
        weights.append(row_laws)

    # timescale and gain laws, correlation
    tau_laws: list[AbstractDistribution] = []
    gain_laws: list[AbstractDistribution] = []
    rhos: list[float] = []
    for a in range(P):
        sel = pop == a
        t, g = tau_a[sel], gain_a[sel]
        pl = f"{labels[a]!r} (index {a})"
        d_t, est, gof, note = _fit_unit_law(
            t, f"tau[{labels[a]}]", f"tau_intervals[{a}]", tau_law, t_iv[a], pl
        )
        tau_laws.append(d_t)
        params.extend(est)
        goodness.append(gof)
        notes.extend([note] if note else [])
        m = t.size
        k0 = int(np.sum(g == 0))
        q = k0 / m
        glab = f"gain[{labels[a]}]"
        params.append(
            Estimate(
                f"{glab}.zero_fraction",
                q,
                math.sqrt(q * (1 - q) / m),
                "fraction of gains equal to 0, binomial SE",
            )
        )
        gp = g[g > 0]
        if gp.size == 0:
            gain_laws.append(Fixed(value=0.0))
            rhos.append(0.0)
            notes.append(f"{glab}: every unit is silent; gain law Fixed(0).")
            continue
        if gp.size < min_units:
            base: AbstractDistribution = Fixed(value=float(np.mean(gp)))
            params.append(Estimate(f"{glab}.value", base.mean, math.nan, "mean positive gain"))
            goodness.append(GoodnessOfFit(glab, "fixed", gp.size, *_ks(gp, base), {}))
            notes.append(
                f"{glab}: {gp.size} unit(s) with gain > 0 < min_units = {min_units}; their "
                f"law is fixed at the mean {base.mean:.6g}."
            )
        else:
            base, est, gof, note = _fit_unit_law(
                gp, glab, f"gain_intervals[{a}]", gain_law, g_iv[a], pl
            )
            params.extend(est)
            goodness.append(gof)
            notes.extend([note] if note else [])
        gain_laws.append(ZeroInflated(base=base, zero_fraction=q) if k0 else base)
        rho = 0.0
        if correlation and not isinstance(d_t, Fixed) and not isinstance(base, Fixed):
            rho, se, how = copula_correlation(t, g, n_bootstrap=n_bootstrap, seed=seed)
            rho = float(np.clip(rho, -0.995, 0.995))
            params.append(Estimate(f"correlation[{labels[a]}]", rho, se, how))
        rhos.append(rho)

    fractions = tuple(float(s) / n for s in sizes)
    if population_sizes(n, fractions) != tuple(int(s) for s in sizes):  # pragma: no cover
        raise ValueError(f"population sizes {sizes.tolist()} are not reproducible from n = {n}.")
    coupling = BlockEnsemble(
        n=n,
        fractions=fractions,
        signs=tuple(sign_out),
        in_degree=tuple(tuple(float(v) for v in row) for row in c_hat),
        weights=tuple(tuple(row) for row in weights),
        scaling="none",
        keep_mean=True,
        names=labels,
    )
    ensemble = JacobianEnsemble(
        coupling=coupling,
        tau=tuple(tau_laws),
        gain=tuple(gain_laws),
        correlation=tuple(rhos),
    )
    return EnsembleFit(
        ensemble=ensemble,
        parameters=tuple(params),
        goodness_of_fit=tuple(goodness),
        notes=tuple(notes),
    )


def fit_sample(sample: JacobianSample, **kwargs: Any) -> EnsembleFit:
    """Fit :func:`fit_jacobian_ensemble` to a :class:`JacobianSample`.

    ``sample.W``, ``sample.tau``, ``sample.gain`` and ``sample.population`` are the data; the
    population names and, for a block spec, the signs of ``sample.spec`` are the defaults of
    ``names`` and ``signs``. Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767.

    Parameters
    ----------
    sample : JacobianSample
        E.g. from :meth:`JacobianEnsemble.sample` or :func:`randrnn.networks.jacobian`; its
        ``mean_removed`` must be zero.
    **kwargs
        Keyword arguments of :func:`fit_jacobian_ensemble`.

    Returns
    -------
    EnsembleFit
        The fit.

    Examples
    --------
    >>> s = JacobianEnsemble.inhibitory_core(n=1000, surviving=0.0).sample(1)
    >>> fit_sample(s).ensemble.coupling.signs      # E has no outgoing weights: the spec's sign
    (1, -1)
    """
    if not isinstance(sample, JacobianSample):
        raise TypeError(
            f"`sample` must be a JacobianSample (JacobianEnsemble.sample or "
            f"randrnn.networks.jacobian); got {type(sample).__name__}."
        )
    M = np.asarray(sample.mean_removed, dtype=float)
    if np.any(M != 0):
        raise ValueError(
            "`sample.mean_removed` must be zero: the sample's block means were removed from "
            f"`W` as a dense correction that is not part of `W` (got max |M| = "
            f"{show(float(np.abs(M).max()))}). Draw it from a spec with keep_mean=True, or "
            "pass the full couplings to fit_jacobian_ensemble."
        )
    spec = sample.spec
    kwargs.setdefault("names", spec.names)
    spec_signs = getattr(spec.coupling, "signs", None)
    if spec_signs is not None and len(spec_signs) == len(spec.names):
        kwargs.setdefault("signs", spec_signs)
    return fit_jacobian_ensemble(sample.W, sample.tau, sample.gain, sample.population, **kwargs)
