"""Fitting a sparse E/I Jacobian ensemble to one Jacobian (``randrnn.ensembles.fit``).

The model is the ensemble of Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767
(``docs/theory.md`` section 5). Synthetic Jacobians are drawn from known ensembles (the paper's
inhibitory-core preset, a three-population block ensemble with silent units and copula
correlations, the dense-scaled reference E/I ensemble); every fitted parameter is compared with
the truth in units of its own standard error, and over independent realizations the z-scores
must be calibrated: per parameter, the sum of R squared z-scores within the two-sided 1e-3 band
of chi^2 with R degrees of freedom, and |z| < 4 in every realization. The Beta, lognormal and
half-normal maximum-likelihood estimates are checked against scipy's generic fitters, and the
Beta standard errors against a finite-difference observed information.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np
import pytest
from scipy import optimize, sparse, stats

from randrnn.ensembles import (
    AbstractDistribution,
    Beta,
    Fixed,
    HalfNormal,
    JacobianEnsemble,
    LogNormal,
    Uniform,
    ZeroInflated,
    default_ei,
)
from randrnn.ensembles.fit import (
    EnsembleFit,
    beta_mle,
    copula_correlation,
    fit_jacobian_ensemble,
    fit_sample,
)

#: realizations of the calibration checks and the two-sided level of their chi^2 band
R = 30
LEVEL = 1e-3


# -- the truth of an ensemble, in the fit's parameter names -------------------------------------
def _law_truth(label: str, d: AbstractDistribution, out: dict[str, float]) -> None:
    if isinstance(d, ZeroInflated):
        out[f"{label}.zero_fraction"] = d.zero_fraction
        d = d.base
    elif label.startswith("gain"):
        out[f"{label}.zero_fraction"] = 0.0
    if isinstance(d, Uniform):  # Uniform(low, high) is Beta(1, 1) on [low, high]
        d = Beta(a=1.0, b=1.0, low=d.low, high=d.high)
    if isinstance(d, Fixed):
        out[f"{label}.value"] = d.value
    elif isinstance(d, Beta):
        out.update({f"{label}.a": d.a, f"{label}.b": d.b})
        out.update({f"{label}.low": d.low, f"{label}.high": d.high})
    elif isinstance(d, LogNormal):
        out.update({f"{label}.median": d.median, f"{label}.sigma": d.sigma})
    else:  # pragma: no cover - the test ensembles use the laws above
        raise TypeError(d)


def truth_of(ens: JacobianEnsemble) -> dict[str, float]:
    """Every parameter the fit reports, at its true value in ``ens``."""
    c = ens.coupling
    st = c.statistics()
    names = ens.names
    P = len(names)
    out: dict[str, float] = {}
    for a in range(P):
        for b in range(P):
            lab = f"[{names[a]}][{names[b]}]"
            out[f"in_degree{lab}"] = float(st.in_degree[a, b])
            out[f"connectivity{lab}"] = float(c.connectivity[a][b])
            if st.in_degree[a, b] == 0:
                continue
            w = c.weights[a][b].scaled(c.scale)
            if isinstance(w, LogNormal):
                out.update({f"weight{lab}.median": w.median, f"weight{lab}.sigma": w.sigma})
            else:
                assert isinstance(w, HalfNormal)
                assert w.loc == 0
                out[f"weight{lab}.scale"] = w.scale
            out[f"weight{lab}.log_mean"] = math.log(w.mean)
            out[f"weight{lab}.log_second_moment"] = math.log(w.second_moment)
    for a in range(P):
        _law_truth(f"tau[{names[a]}]", ens.tau[a], out)
        _law_truth(f"gain[{names[a]}]", ens.gain[a], out)
        out[f"correlation[{names[a]}]"] = (ens.correlation or (0.0,) * P)[a]
    return out


def _kind(d: AbstractDistribution) -> str:
    if isinstance(d, ZeroInflated):
        return f"zero_inflated({_kind(d.base)})"
    return "beta" if isinstance(d, Uniform) else d.kind


def assert_same_structure(fit: EnsembleFit, ens: JacobianEnsemble) -> None:
    """Sizes, names, signs and the kind of every law of the fit are those of ``ens``."""
    got, want = fit.ensemble, ens
    assert got.sizes == want.sizes
    assert got.names == want.names
    assert got.coupling.signs == want.coupling.signs
    assert got.coupling.scaling == "none"
    assert got.keep_mean
    st = want.coupling.statistics()
    for a in range(len(want.names)):
        for b in range(len(want.names)):
            if st.in_degree[a, b] > 0:
                assert _kind(got.coupling.weights[a][b]) == _kind(want.coupling.weights[a][b])
        assert _kind(got.tau[a]) == _kind(want.tau[a])
        assert _kind(got.gain[a]) == _kind(want.gain[a])


def intervals_of(ens: JacobianEnsemble) -> dict[str, Any]:
    """``tau_intervals``/``gain_intervals`` of the Beta (or uniform) laws of ``ens``."""

    def iv(d: AbstractDistribution) -> tuple[float, float] | None:
        d = d.base if isinstance(d, ZeroInflated) else d
        return (d.low, d.high) if isinstance(d, (Beta, Uniform)) else None

    return {
        "tau_intervals": [iv(d) for d in ens.tau],
        "gain_intervals": [iv(d) for d in ens.gain],
    }


# -- the ensembles ------------------------------------------------------------------------------
def inhibitory_core(n: int) -> JacobianEnsemble:
    """The paper's preset with surviving excitatory columns and a copula in I."""
    return JacobianEnsemble.inhibitory_core(
        n=n, in_degree=4.0, surviving=0.5, correlation=(0.0, 0.6)
    )


def three_populations(n: int) -> JacobianEnsemble:
    """Two excitatory and one inhibitory population: mixed weight laws, a constant timescale,
    silent units (zero-inflated gains) under a copula, and a negative copula correlation."""
    ln, hn = LogNormal, HalfNormal
    ens = JacobianEnsemble.from_blocks(
        n=n,
        fractions=(0.5, 0.3, 0.2),
        signs=(1, 1, -1),
        names=("A", "B", "C"),
        in_degree=((5.0, 2.0, 3.0), (3.0, 4.0, 2.0), (2.0, 2.5, 1.5)),
        weights=(
            (hn(scale=0.3), ln(median=0.5, sigma=0.7), ln(median=1.0, sigma=1.0)),
            (ln(median=0.2, sigma=0.5), hn(scale=1.0), ln(median=2.0, sigma=0.4)),
            (hn(scale=0.5), hn(scale=0.1), ln(median=1.0, sigma=1.2)),
        ),
        scaling="none",
        keep_mean=True,
        tau=(
            Beta(a=3.0, b=2.0, low=0.5, high=2.0),
            Fixed(value=1.0),
            Beta(a=2.0, b=3.0, low=1.0, high=6.0),
        ),
        gain=(
            ZeroInflated(base=Beta(a=2.0, b=2.0, low=0.1, high=1.0), zero_fraction=0.25),
            Beta(a=1.5, b=2.5, low=0.0, high=1.0),
            Beta(a=2.0, b=2.0, low=0.2, high=0.8),
        ),
    )
    return dataclasses.replace(ens, correlation=(0.5, 0.0, -0.4))


ENSEMBLES = {"inhibitory_core": inhibitory_core, "three_populations": three_populations}


# -- recovery and calibration -------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "n"), [("inhibitory_core", 4000), ("three_populations", 3000)])
def test_every_parameter_recovered(kind: str, n: int) -> None:
    ens = ENSEMBLES[kind](n)
    fit = fit_sample(ens.sample(7), **intervals_of(ens))
    assert_same_structure(fit, ens)
    truth = truth_of(ens)
    assert set(fit.names) <= set(truth)
    z = fit.z_scores({k: truth[k] for k in fit.names})
    bad = {k: v for k, v in z.items() if not abs(v) < 4}
    assert not bad
    # each fitted marginal describes its data (conservative KS p-values: parameters fitted)
    assert all(g.ks_pvalue > LEVEL for g in fit.goodness_of_fit)
    assert fit.notes == ()


@pytest.mark.parametrize(("kind", "n"), [("inhibitory_core", 1000), ("three_populations", 900)])
def test_standard_errors_calibrated(kind: str, n: int) -> None:
    ens = ENSEMBLES[kind](n)
    truth = truth_of(ens)
    kw = intervals_of(ens)
    zs: dict[str, list[float]] = {}
    ses: dict[str, list[float]] = {}
    for r in range(R):
        fit = fit_sample(ens.sample(r), **kw)
        for e in fit.parameters:
            zs.setdefault(e.name, []).append(e.z(truth[e.name]))
            ses.setdefault(e.name, []).append(e.se)
    lo, hi = stats.chi2.ppf([LEVEL / 2, 1 - LEVEL / 2], R)
    checked = 0
    for name, z_list in zs.items():
        z, se = np.array(z_list), np.array(ses[name])
        assert z.size == R
        if np.all(se == 0):  # given intervals, a constant timescale, no silent units
            assert np.all(z == 0), name
            continue
        assert np.all(se > 0), name
        assert np.all(np.abs(z) < 4), (name, z)
        assert lo <= float(np.sum(z**2)) <= hi, (name, float(np.mean(z**2)))
        checked += 1
    groups = {name.split("[")[0] for name in zs}
    assert groups == {"in_degree", "connectivity", "weight", "tau", "gain", "correlation"}
    assert checked >= 25


def test_round_trip() -> None:
    ens = inhibitory_core(3000)
    fit = fit_sample(ens.sample(3), **intervals_of(ens))
    refit = fit_sample(fit.ensemble.sample(4), **intervals_of(fit.ensemble))
    assert_same_structure(refit, fit.ensemble)
    assert refit.names == fit.names
    z = refit.z_scores(fit.values())
    assert all(abs(v) < 4 for v in z.values()), z


def test_dense_scaled_reference_ensemble() -> None:
    """Connection probabilities, 1/sqrt(n) weights, a lognormal timescale law, uniform gains
    (Beta(1, 1) on their interval) and a constant timescale."""
    ens = default_ei(1000, keep_mean=True)
    fit = fit_sample(
        ens.sample(2),
        tau_law="lognormal",
        gain_intervals=[(0.5, 1.5), (0.5, 1.5)],
    )
    assert_same_structure(fit, ens)
    assert isinstance(fit.ensemble.tau[0], Fixed)
    assert isinstance(fit.ensemble.tau[1], LogNormal)
    truth = truth_of(ens)
    z = fit.z_scores({k: truth[k] for k in fit.names})
    assert all(abs(v) < 4 for v in z.values()), z


# -- silent units, missing columns, estimated intervals -----------------------------------------
def test_silent_units_give_zero_inflated_gains() -> None:
    base = Beta(a=2.0, b=3.0, low=0.05, high=0.25)
    ens = JacobianEnsemble.inhibitory_core(
        n=3000,
        surviving=0.5,
        gain_i=ZeroInflated(base=base, zero_fraction=0.3),
        correlation=(0.0, 0.5),
    )
    s = ens.sample(11)
    fit = fit_sample(s, **intervals_of(ens))
    g = fit.ensemble.gain[1]
    assert isinstance(g, ZeroInflated)
    assert isinstance(g.base, Beta)
    assert g.zero_fraction == np.mean(s.gain[s.population == 1] == 0)
    z = fit.z_scores(
        {
            "gain[I].zero_fraction": 0.3,
            "gain[I].a": 2.0,
            "gain[I].b": 3.0,
            "correlation[I]": 0.5,
        }
    )
    assert all(abs(v) < 4 for v in z.values()), z
    assert "bootstrap" in fit["correlation[I]"].estimator
    assert not isinstance(fit.ensemble.gain[0], ZeroInflated)  # no silent E unit


def test_all_silent_population() -> None:
    ens = JacobianEnsemble.inhibitory_core(n=500, surviving=0.5, gain_e=0.0)
    fit = fit_sample(ens.sample(0))
    assert fit.ensemble.gain[0] == Fixed(value=0.0)
    assert fit["gain[E].zero_fraction"].value == 1.0
    assert any("silent" in note for note in fit.notes)


def test_population_without_outgoing_weights() -> None:
    s = JacobianEnsemble.inhibitory_core(n=600, surviving=0.0).sample(0)
    assert fit_sample(s).ensemble.coupling.signs == (1, -1)  # the spec's signs
    fit = fit_jacobian_ensemble(s.W, s.tau, s.gain, s.population)
    assert fit.ensemble.coupling.signs == (1, -1)
    assert any("no outgoing weights" in note for note in fit.notes)
    assert fit["in_degree[I][E]"].value == 0.0
    assert "weight[I][E].scale" not in fit.names
    flipped = fit_jacobian_ensemble(s.W, s.tau, s.gain, s.population, signs=(-1, -1))
    assert flipped.ensemble.coupling.signs == (-1, -1)


def test_estimated_interval() -> None:
    s = inhibitory_core(1000).sample(5)
    fit = fit_sample(s)
    t = np.asarray(s.tau[s.population == 1])
    r = t.max() - t.min()
    assert fit["tau[I].low"].value == max(0.0, t.min() - r / (t.size - 1))
    assert fit["tau[I].high"].value == t.max() + r / (t.size - 1)
    assert math.isnan(fit["tau[I].low"].se)
    assert "range" in fit["tau[I].low"].estimator
    assert any(note.startswith("tau[I]: Beta interval") for note in fit.notes)


def test_few_weights_give_fixed_law() -> None:
    ens = JacobianEnsemble.from_blocks(
        n=1000,
        fractions=(0.8, 0.2),
        signs=(1, -1),
        in_degree=((5.0, 0.005), (4.0, 2.0)),
        weights=((HalfNormal(scale=0.2), LogNormal(median=1.0, sigma=0.5)),) * 2,
        scaling="none",
        tau=(1.0, 2.0),
        gain=(Beta(a=2.0, b=2.0), Beta(a=2.0, b=2.0)),
    )
    s = ens.sample(1)
    k = int(s.W[:800, 800:].nnz)
    assert 0 < k < 10
    fit = fit_sample(s, min_weights=10)
    w = fit.ensemble.coupling.weights[0][1]
    assert isinstance(w, Fixed)
    assert w.value == pytest.approx(float(np.abs(s.W[:800, 800:].data).mean()), rel=1e-12)
    assert any("min_weights" in note for note in fit.notes)


# -- invariances and alternative inputs ---------------------------------------------------------
def test_unit_order_and_dense_input_do_not_matter() -> None:
    s = three_populations(600).sample(2)
    fit = fit_sample(s)
    perm = np.random.default_rng(0).permutation(s.n)
    W = s.W.toarray()[np.ix_(perm, perm)]  # dense input, populations interleaved
    other = fit_jacobian_ensemble(
        W, s.tau[perm], s.gain[perm], s.population[perm], names=("A", "B", "C")
    )
    assert other.names == fit.names
    for e, f in zip(other.parameters, fit.parameters, strict=True):
        if "bootstrap" in e.estimator:  # a golden-section search to < 1e-7; resampled SE
            assert e.value == pytest.approx(f.value, abs=1e-6), e.name
            continue
        assert e.value == pytest.approx(f.value, rel=1e-12, abs=1e-15), e.name
        assert e.se == pytest.approx(f.se, rel=1e-12, abs=1e-15, nan_ok=True), e.name


def test_goodness_of_fit_detects_the_wrong_weight_law() -> None:
    s = inhibitory_core(2000).sample(0)
    auto = fit_sample(s)
    forced = fit_sample(s, weight_law="halfnormal")
    g_auto = next(g for g in auto.goodness_of_fit if g.law == "weight[I][I]")
    g_forced = next(g for g in forced.goodness_of_fit if g.law == "weight[I][I]")
    assert g_auto.kind == "lognormal"
    assert g_forced.kind == "halfnormal"
    assert g_auto.log_likelihood == g_forced.log_likelihood  # both candidates reported
    assert g_auto.log_likelihood["lognormal"] > g_auto.log_likelihood["halfnormal"]
    assert g_forced.ks_pvalue < LEVEL < g_auto.ks_pvalue


# -- the estimators against independent routes --------------------------------------------------
def test_beta_mle_against_scipy_and_numerical_information() -> None:
    y = np.random.default_rng(3).beta(2.5, 4.0, 3000)
    a, b, cov, ll = beta_mle(y)
    a_s, b_s, _, _ = stats.beta.fit(y, floc=0.0, fscale=1.0)
    assert (a, b) == pytest.approx((a_s, b_s), rel=1e-4)
    assert ll == pytest.approx(float(np.sum(stats.beta.logpdf(y, a, b))), rel=1e-12)

    def nll(p: Any) -> float:
        return -float(np.sum(stats.beta.logpdf(y, p[0], p[1])))

    h = 1e-3
    H = np.zeros((2, 2))
    x0 = np.array([a, b])
    for i in range(2):
        for j in range(2):
            ei, ej = np.eye(2)[i] * h, np.eye(2)[j] * h
            H[i, j] = (
                nll(x0 + ei + ej) - nll(x0 + ei - ej) - nll(x0 - ei + ej) + nll(x0 - ei - ej)
            ) / (4 * h * h)
    np.testing.assert_allclose(cov, np.linalg.inv(H), rtol=1e-4)
    assert optimize.minimize(nll, x0).fun >= nll(x0) - 1e-6


def test_weight_mle_against_scipy() -> None:
    rng = np.random.default_rng(4)
    x = LogNormal(median=0.7, sigma=0.9).sample(rng, 500)
    W = sparse.csr_matrix((-x, (np.arange(1, 501) % 500, np.arange(500))), shape=(500, 500))
    fit = fit_jacobian_ensemble(
        W, np.ones(500), np.full(500, 0.5), np.zeros(500, dtype=int), correlation=False
    )
    s, _, scale = stats.lognorm.fit(x, floc=0.0)
    assert fit["weight[P0][P0].sigma"].value == pytest.approx(s, rel=1e-6)
    assert fit["weight[P0][P0].median"].value == pytest.approx(scale, rel=1e-6)
    y = HalfNormal(scale=0.4).sample(rng, 500)
    W = sparse.csr_matrix((y, (np.arange(1, 501) % 500, np.arange(500))), shape=(500, 500))
    fit = fit_jacobian_ensemble(W, np.ones(500), np.full(500, 0.5), np.zeros(500, dtype=int))
    _, scale = stats.halfnorm.fit(y, floc=0.0)
    assert fit["weight[P0][P0].scale"].value == pytest.approx(scale, rel=1e-6)
    assert fit.ensemble.coupling.in_degree == ((1.0,),)


def test_censored_copula_matches_the_uncensored_estimate() -> None:
    """Censoring the lowest gains to 0 leaves the copula correlation unchanged within SEs."""
    rng = np.random.default_rng(6)
    u = rng.standard_normal(3000)
    v = -0.4 * u + math.sqrt(1 - 0.16) * rng.standard_normal(3000)
    tau, gain = np.exp(u), stats.norm.cdf(v)
    r0, se0, how0 = copula_correlation(tau, gain)
    gain_c = np.where(gain < np.quantile(gain, 0.3), 0.0, gain)
    r1, se1, how1 = copula_correlation(tau, gain_c, n_bootstrap=100, seed=1)
    assert "van der Waerden" in how0
    assert "censored" in how1
    assert se1 > se0  # censoring loses information
    assert abs(r1 - r0) < 4 * math.sqrt(se1**2 - se0**2)
    assert abs(r0 + 0.4) < 4 * se0


# -- outputs ------------------------------------------------------------------------------------
def test_outputs() -> None:
    ens = three_populations(600)
    fit = fit_sample(ens.sample(1))
    summary = fit.summary()
    text = json.dumps(summary, allow_nan=False)
    assert json.loads(text)["parameters"]["tau[A].low"]["se"] is None  # NaN as null
    assert summary["sizes"] == list(ens.sizes)
    ds = fit.to_xarray()
    assert ds.sizes["parameter"] == len(fit.parameters)
    assert list(ds["parameter"].values) == list(fit.names)
    np.testing.assert_array_equal(ds["value"].values, [e.value for e in fit.parameters])
    rebuilt = JacobianEnsemble.from_config(json.loads(ds.attrs["ensemble"]))
    assert rebuilt.to_config() == fit.ensemble.to_config()
    assert ds.sizes["law"] == len(fit.goodness_of_fit)
    rows = fit.table()
    assert [r["parameter"] for r in rows] == list(fit.names)
    assert set(rows[0]) == {"parameter", "value", "se", "estimator"}
    with pytest.raises(KeyError, match="fitted parameters"):
        fit.z_scores({"in_degree[X][Y]": 1.0})


# -- bad input ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small() -> Any:
    return JacobianEnsemble.inhibitory_core(n=300, surviving=0.5).sample(0)


def test_bad_shapes(small: Any) -> None:
    s = small
    with pytest.raises(ValueError, match=r"`W` must have shape \(300, 300\)"):
        fit_jacobian_ensemble(s.W[:, :299], s.tau, s.gain, s.population)
    with pytest.raises(ValueError, match=r"`gain` must have shape \(300,\)"):
        fit_jacobian_ensemble(s.W, s.tau, s.gain[:-1], s.population)
    with pytest.raises(ValueError, match=r"`population` must have shape \(300,\)"):
        fit_jacobian_ensemble(s.W, s.tau, s.gain, s.population[:10])
    with pytest.raises(ValueError, match=r"`tau_intervals` must have one entry per population"):
        fit_sample(s, tau_intervals=[(1.0, 5.0)])
    with pytest.raises(ValueError, match="`names` must give 2 distinct"):
        fit_sample(s, names=("E", "E"))


def test_mixed_sign_columns(small: Any) -> None:
    W = small.W.tolil()
    i, j = next((i, j) for i, j in zip(*small.W.nonzero(), strict=True) if j < 240)
    W[i, j] = -1.0
    with pytest.raises(ValueError, match=r"population 'E' \(index 0\).*1 negative weights"):
        fit_jacobian_ensemble(W.tocsr(), small.tau, small.gain, small.population)
    with pytest.raises(ValueError, match=r"`signs\[1\]` = 1 disagrees"):
        fit_sample(small, signs=(1, 1))


def test_bad_values(small: Any) -> None:
    s = small
    tau = np.array(s.tau)
    tau[3] = 0.0
    with pytest.raises(ValueError, match=r"`tau` must be > 0 \(timescales\); got tau\[3\] = 0.0"):
        fit_jacobian_ensemble(s.W, tau, s.gain, s.population)
    gain = np.array(s.gain)
    gain[5] = -0.1
    with pytest.raises(ValueError, match=r"`gain` must be >= 0.*gain\[5\] = -0.1"):
        fit_jacobian_ensemble(s.W, s.tau, gain, s.population)
    with pytest.raises(ValueError, match=r"`tau_intervals\[1\]` = \(2.0, 6.0\).*outside"):
        fit_sample(s, tau_intervals=[(1.0, 5.0), (2.0, 6.0)])
    t_i = s.tau[s.population == 1]
    with pytest.raises(ValueError, match=r"`tau_intervals\[1\]`.*equal to a bound"):
        fit_sample(s, tau_intervals=[None, (float(t_i.min()), 12.0)])
    with pytest.raises(ValueError, match=r"`gain_intervals\[0\]` must satisfy 0 <= low < high"):
        fit_sample(s, gain_intervals=[(0.3, 0.1), None])
    W = s.W.tolil()
    W[2, 2] = 0.5
    with pytest.raises(ValueError, match=r"`W` must have a zero diagonal.*W\[2, 2\] = 0.5"):
        fit_jacobian_ensemble(W.tocsr(), s.tau, s.gain, s.population)
    with pytest.raises(ValueError, match="`weight_law` must be one of"):
        fit_sample(s, weight_law="gamma")


def test_too_few_units(small: Any) -> None:
    pop = np.array(small.population)
    pop[:3] = 2  # a third population of 3 units
    with pytest.raises(ValueError, match=r"min_units = 10 units; got 3 in population 'P2'"):
        fit_jacobian_ensemble(small.W, small.tau, small.gain, pop)
    with pytest.raises(ValueError, match="`population` must use every index"):
        fit_jacobian_ensemble(small.W, small.tau, small.gain, np.where(pop == 1, 2, 0))


def test_removed_means_refused() -> None:
    s = default_ei(200).sample(0)  # keep_mean=False: dense means removed from W
    with pytest.raises(ValueError, match=r"`sample\.mean_removed` must be zero"):
        fit_sample(s)
