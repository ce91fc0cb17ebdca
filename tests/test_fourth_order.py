"""Fourth-order statistics: estimators with known answers, and the fourth-order study.

Known answers: Gaussian data have zero cross-cumulants; independent non-Gaussian sources mixed
linearly have cross-cumulants ``sum_m A_im A_jm A_km A_lm c4_m``; one dominant mode of excess
kurtosis ``k`` gives cumulants equal to ``k / 3`` times their Gaussian part; a sinusoid of
random phase has excess kurtosis -3/2 exactly over whole periods.

The validation test runs ``validation/fourth_order.py`` at a reduced size (full size with
``RANDRNN_FULL_VALIDATION=1``).
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from randrnn.cumulants import (
    cross_cumulants_from_parts,
    fourth_cross_cumulants,
    mode_cross_cumulants,
    projection_kurtosis,
)

#: excess kurtosis of a uniform law
UNIFORM_KURTOSIS = -1.2


def _uniform(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Unit-variance uniform samples (fourth cumulant -1.2)."""
    return rng.uniform(-math.sqrt(3), math.sqrt(3), size=shape)


def _quads(rng: np.random.Generator, n: int, q: int) -> np.ndarray:
    return np.array([rng.choice(n, 4, replace=False) for _ in range(q)])


def test_gaussian_data_have_zero_cross_cumulants(rng):
    n, s, n_parts = 12, 20_000, 4
    mix = rng.standard_normal((n, n)) / 2 + np.eye(n) + 0.5  # correlated units
    parts = [rng.standard_normal((s, n)) @ mix.T for _ in range(n_parts)]
    h = cross_cumulants_from_parts(parts, _quads(rng, n, 200), n_groups=16)
    # the Gaussian part is resolved, the cumulant is zero within its SE (3 SE: two-sided 1%)
    assert h.ms_gaussian > 3 * h.ms_gaussian_se
    assert abs(h.ms_kappa) < 3 * h.ms_kappa_se
    # the average over parts is at the noise level: its mean square is the noise variance of
    # the average, ms_noise / n_parts (within a factor 2: q = 200 correlated quadruples)
    assert np.mean(h.kappa_mean**2) < 2 * h.ms_noise / n_parts


def test_mixed_independent_sources_give_the_mode_cumulants(rng):
    n, m, s = 30, 3, 40_000
    A = rng.standard_normal((n, m))
    noise = 0.5
    var = (A**2).sum(1) + noise**2
    parts = [_uniform(rng, (s, m)) @ A.T + noise * rng.standard_normal((s, n)) for _ in range(2)]
    quads = _quads(rng, n, 300)
    h = cross_cumulants_from_parts(parts, quads, n_groups=16)
    expected = mode_cross_cumulants(A, np.full(m, UNIFORM_KURTOSIS), quads, var)
    # residual of the average of the parts against the exact cumulants, in units of its noise
    # variance (ms_noise / 2); for q quadruples the ratio is 1 +- 2 / sqrt(q) (two chi2_q / q)
    ratio = np.mean((h.kappa_mean - expected) ** 2) / (h.ms_noise / 2)
    assert ratio < 1 + 3 * 2 / math.sqrt(len(quads))
    # and the test has power: the signal is far above the noise
    assert np.mean(expected**2) > 100 * h.ms_noise


def test_one_dominant_mode_gives_slope_kurtosis_over_three(rng):
    """kappa = c4 a_i a_j a_k a_l and W = 3 a_i a_j a_k a_l: slope c4 / 3 = -0.4."""
    n, s = 20, 20_000
    a = rng.uniform(0.5, 1.5, n) * rng.choice([-1, 1], n)
    parts = [np.outer(_uniform(rng, (s,)), a) for _ in range(4)]
    parts = [p + 0.05 * rng.standard_normal(p.shape) for p in parts]  # nearly pure mode
    h = cross_cumulants_from_parts(parts, _quads(rng, n, 200), n_groups=16)
    # independent noise on each unit changes variances only: off the diagonal both kappa and W
    # are standardised by the same product, so the slope and the ratio are exact. Their noise
    # (the sample kurtosis of the one source) is common to all quadruples: only the jackknife
    # over parts sees it
    assert h.slope == pytest.approx(UNIFORM_KURTOSIS / 3, abs=3 * h.slope_se)
    assert h.ratio == pytest.approx(abs(UNIFORM_KURTOSIS) / 3, abs=3 * h.ratio_se)


def test_fourth_cross_cumulants_take_given_variances(rng):
    z = _uniform(rng, (20_000, 1)) @ np.ones((1, 4))
    k_own, _ = fourth_cross_cumulants(z, np.array([[0, 1, 2, 3]]))
    k_half, _ = fourth_cross_cumulants(z, np.array([[0, 1, 2, 3]]), variances=np.full(4, 2.0))
    assert k_half[0] == pytest.approx(k_own[0] * np.var(z[:, 0]) ** 2 / 4, rel=1e-12)


def test_projection_kurtosis_of_a_uniform_source(rng):
    s, b, n = 5_000, 8, 6
    src = _uniform(rng, (s, b))
    w = rng.standard_normal(n)
    z = src[:, :, None] * w + 0.3 * rng.standard_normal((s, b, n))
    d = w[:, None] / np.linalg.norm(w)
    pk = projection_kurtosis(z, d, n_surrogates=8, rng=rng)
    signal = np.linalg.norm(w) ** 2
    expected = UNIFORM_KURTOSIS * (signal / (signal + 0.3**2)) ** 2
    assert pk.excess_kurtosis[0] == pytest.approx(expected, abs=3 * pk.se[0])
    assert abs(pk.null_kurtosis[0]) < 3 * pk.se[0]  # the Gaussian null of this estimator
    assert pk.variance[0] == pytest.approx(signal + 0.3**2, rel=0.05)


def test_projection_kurtosis_of_a_slow_gaussian_process_is_zero_after_the_null(rng):
    s, b, a = 2_000, 16, 0.95  # AR(1), correlation time 20 samples
    x = np.empty((s, b))
    x[0] = rng.standard_normal(b) / math.sqrt(1 - a * a)
    e = rng.standard_normal((s, b))
    for t in range(1, s):
        x[t] = a * x[t - 1] + e[t]
    pk = projection_kurtosis(x[:, :, None], np.ones((1, 1)), n_surrogates=16, rng=rng)
    assert abs(pk.corrected[0]) < 3 * math.hypot(pk.se[0], pk.null_se[0])


def test_projection_kurtosis_of_a_random_phase_sinusoid_is_minus_three_halves(rng):
    t = np.arange(1000) * 2 * np.pi / 100  # 10 whole periods
    phases = rng.uniform(0, 2 * np.pi, 5)
    z = np.cos(t[:, None] + phases)[:, :, None]
    pk = projection_kurtosis(z, np.ones((1, 1)))
    assert pk.excess_kurtosis[0] == pytest.approx(-1.5, abs=1e-9)
    assert np.isnan(pk.null_kurtosis[0])


@pytest.mark.parametrize(
    ("quads", "match"),
    [
        (np.array([[0, 1, 1, 2]]), "distinct"),
        (np.array([[0, 1, 2, 9]]), r"\[0, 4\)"),
        (np.array([[0, 1, 2]]), r"\(q, 4\)"),
    ],
)
def test_bad_quadruples_are_refused(quads, match):
    with pytest.raises(ValueError, match=match):
        fourth_cross_cumulants(np.zeros((10, 4)), quads)


def test_bad_samples_are_refused():
    z = np.ones((10, 4))
    z[3, 1] = np.nan
    with pytest.raises(ValueError, match="`samples` must be finite"):
        fourth_cross_cumulants(z, np.array([[0, 1, 2, 3]]))
    with pytest.raises(ValueError, match="`samples` must hold >= 2 trials"):
        projection_kurtosis(np.zeros((10, 1, 3)), np.ones((3, 1)))
    with pytest.raises(ValueError, match="`directions` must have shape"):
        projection_kurtosis(np.zeros((10, 2, 3)), np.ones((4, 1)))
    with pytest.raises(ValueError, match="`n_groups` must be in"):
        cross_cumulants_from_parts([np.zeros((10, 4))] * 2, np.array([[0, 1, 2, 3]]), n_groups=2)
    with pytest.raises(ValueError, match="`parts` must be a sequence of >= 2"):
        cross_cumulants_from_parts([np.zeros((10, 4))], np.array([[0, 1, 2, 3]]))


# ----------------------------------------------------------------------------------------------
# The study at reduced size


def _study_module():
    path = Path(__file__).resolve().parents[1] / "validation" / "fourth_order.py"
    spec = importlib.util.spec_from_file_location("fourth_order_study", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


@pytest.mark.validation
def test_fourth_order_study_supports_its_conclusions(reduced):
    """The chaotic network (g = 3): non-Gaussian leading PCs explain the cumulants.

    Reduced: N = 125, 250, 500 (2 realizations, 12 trials x 100 tau), under a minute on two
    busy cores; full: the default study's sizes (250 ... 4000) for this case, about 15
    minutes. Every bound is 3 standard errors of the measured quantity (SEs over realizations
    and time), or of the difference of two.
    """
    study = _study_module()
    if reduced:
        st = study.StudySettings(
            sizes=(125, 250, 500),
            realizations=(2, 2, 2),
            cases=("chaotic",),
            t_max=100.0,
            n_trials=12,
            theory_size=250,
        )
    else:
        st = study.StudySettings(cases=("chaotic",))
    case = study.run_study(st)["cases"]["chaotic"]
    table, fits = case["table"], case["fits"]
    for row in table:
        # the leading PCs are platykurtic (saturating slow modes), beyond sampling noise
        assert row["kurtosis_top5"] < -3 * row["kurtosis_top5_se"], row["n"]
        # cumulants anti-correlated with their Gaussian part ...
        assert row["slope"] < -3 * row["slope_se"], row["n"]
        if row["n"] <= 1000:
            # ... as the cumulants carried by the ten leading PCs are (at larger N they carry
            # a decreasing share: 0.08 of 0.11 at N = 2000 in the full study)
            assert abs(row["slope"] - row["subspace_slope_on_w"]) < 3 * row["slope_se"], row["n"]
    # RMS cumulant / RMS Gaussian part falls with N: the full study measured N^(-0.21 +- 0.03)
    # over 250 ... 2000; the reduced sizes must agree with that, the full ones resolve it
    ratio = fits["ratio"]
    if reduced:
        assert abs(ratio["exponent"] + 0.21) < 3 * math.hypot(ratio["exponent_se"], 0.03)
    else:
        assert ratio["exponent"] < -3 * ratio["exponent_se"]
    # residual cross-covariances: RMS exponent within 3 SE of the claim -1; activities -1/2
    res = fits["rms_residual"]
    assert abs(res["exponent"] + 1.0) < 3 * res["exponent_se"]
    act = fits["rms_activity"]
    assert abs(act["exponent"] + 0.5) < 3 * act["exponent_se"]
