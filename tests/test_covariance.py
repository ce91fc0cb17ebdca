"""Tests of the linear-equivalent covariance prediction (randrnn.covariance)."""

from __future__ import annotations

import itertools
import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import integrate
from scipy.linalg import solve_continuous_lyapunov

from randrnn.covariance import (
    COND_THRESHOLD,
    ResidualStatistics,
    UnstableNetworkError,
    linear_covariance_density,
    linear_equivalent_covariance,
    participation_ratio,
    pr_per_n_iid,
)
from randrnn.ensembles import GaussianEnsemble

# The brief requires eigen vs quadrature to agree to 1e-6 (relative Frobenius). Both routes are
# far more accurate (eigen: ~eps*cond ~ 1e-12 at these sizes; quadrature panels: ~1e-15 per
# panel for rational spectra), so 1e-6 is a loose, requirement-level bound.
RTOL_METHODS = 1e-6
# Double-precision routes to the same matrix: 1e-10 leaves room for eps * cond(V) ~ 1e-13.
RTOL_EXACT = 1e-10

COVS = ("c_phi", "c_x", "c_xphi")


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def _coupling(n: int, g: float, seed: int) -> np.ndarray:
    return GaussianEnsemble(n=n, g=g).sample(seed)


@pytest.mark.parametrize(
    ("n", "g", "mu1", "sigma"),
    [
        (60, 3.0, 0.3, 0.0),  # chaotic-like: g*mu1 = 0.9
        (120, 3.1, 0.3, 0.5),  # g*mu1 = 0.93 with noise: narrow Lorentzians
        (150, 0.9, 0.8, 1.5),  # noise-driven regime
        (80, 1.5, 0.6, 0.0),
    ],
)
def test_eigen_matches_quadrature(n: int, g: float, mu1: float, sigma: float) -> None:
    J = _coupling(n, g, seed=n)
    res = ResidualStatistics.exponential(amplitude=0.3, rate=0.4, mu1=mu1)
    e = linear_equivalent_covariance(J, res, sigma=sigma, method="eigen")
    q = linear_equivalent_covariance(J, res, sigma=sigma, method="quadrature")
    assert e.method == "eigen"
    assert q.method == "quadrature"
    assert q.n_freq > 0
    for name in COVS:
        assert _rel(getattr(e, name), getattr(q, name)) < RTOL_METHODS, name
    # the auto choice for a well-conditioned i.i.d. matrix is the eigenbasis formula
    assert e.cond_v < COND_THRESHOLD
    a = linear_equivalent_covariance(J, res, sigma=sigma)
    assert a.method == "eigen"
    np.testing.assert_allclose(a.c_phi, e.c_phi, rtol=0, atol=0)


def test_sampled_residual_consistent_and_close_to_analytic() -> None:
    amp, rate, mu1 = 0.3, 0.5, 0.4
    dt = 0.01
    lags = dt * np.arange(6001)  # to t = 60: e^{-30} ~ 1e-13 left for the tail
    sampled = ResidualStatistics.from_samples(lags, amp * np.exp(-rate * lags), mu1)
    exact = ResidualStatistics.exponential(amplitude=amp, rate=rate, mu1=mu1)
    alpha = np.array([0.05 + 0.3j, 1.0, 2.0 - 1.0j])
    # piecewise-linear interpolation error: (dt^2/12) * |s''| / |s| ~ 2e-6 relative at worst
    # for rate = 0.5 (s'' = rate^2 s); allow 1e-5
    np.testing.assert_allclose(sampled.laplace(alpha), exact.laplace(alpha), rtol=1e-5)
    w = np.array([0.0, 0.3, 2.0, 10.0])
    np.testing.assert_allclose(sampled.spectrum(w), exact.spectrum(w), rtol=1e-5)
    # the two transforms of the interpolant are consistent to rounding, so the two methods agree
    J = _coupling(50, 2.0, seed=3)
    e = linear_equivalent_covariance(J, sampled, sigma=0.3, method="eigen")
    q = linear_equivalent_covariance(J, sampled, sigma=0.3, method="quadrature")
    for name in COVS:
        assert _rel(getattr(e, name), getattr(q, name)) < RTOL_METHODS, name


def test_from_dmft_duck_typed() -> None:
    lags = 0.05 * np.arange(800)
    s_r = 0.2 * np.exp(-0.7 * lags)
    exact = ResidualStatistics.exponential(amplitude=0.2, rate=0.7, mu1=0.35)
    sol = SimpleNamespace(mu1=0.35, lags=lags, s_r=s_r, residual_laplace=exact.laplace)
    res = ResidualStatistics.from_dmft(sol)
    assert res.mu1 == 0.35
    assert res.s_r0 == 0.2
    assert res.laplace is exact.laplace
    # spectrum from samples: interpolation error (dt^2/12) rate^2 ~ 1e-4 relative
    np.testing.assert_allclose(res.spectrum(np.array([0.0, 1.0])), exact.spectrum([0, 1]), 1e-3)
    with pytest.raises(TypeError, match="`solution` must have attributes"):
        ResidualStatistics.from_dmft(SimpleNamespace(mu1=0.3))


def test_linear_network_solves_lyapunov() -> None:
    n, g, sigma = 120, 0.8, 0.7
    J = _coupling(n, g, seed=11)
    pred = linear_equivalent_covariance(J, ResidualStatistics.linear(), sigma=sigma)
    lyap = solve_continuous_lyapunov(J - np.eye(n), -(sigma**2) * np.eye(n))
    for name in COVS:  # phi = x: all three are the same matrix
        assert _rel(getattr(pred, name), lyap) < RTOL_EXACT, name
    quad = linear_equivalent_covariance(
        J, ResidualStatistics.linear(), sigma=sigma, method="quadrature"
    )
    assert _rel(quad.c_x, lyap) < RTOL_METHODS


@pytest.mark.parametrize("tau", [0.5, 2.0])
def test_time_constant_solves_the_lyapunov_equation_with_tau(tau: float) -> None:
    """tau dx = (J - I) x dt + sigma dW: (J - I) C + C (J - I)^T + (sigma^2 / tau) I = 0."""
    n, g, sigma = 60, 0.8, 0.7
    J = _coupling(n, g, seed=11)
    lyap = solve_continuous_lyapunov(J - np.eye(n), -(sigma**2 / tau) * np.eye(n))
    for method in ("eigen", "quadrature"):
        pred = linear_equivalent_covariance(
            J, ResidualStatistics.linear(), sigma=sigma, tau=tau, method=method
        )
        assert _rel(pred.c_x, lyap) < (RTOL_EXACT if method == "eigen" else RTOL_METHODS)
        assert pred.tau == tau
    # the tau = 1 answer is off by the factor tau: the defect of passing no tau
    plain = linear_equivalent_covariance(J, ResidualStatistics.linear(), sigma=sigma)
    assert _rel(plain.c_x, lyap) == pytest.approx(abs(tau - 1.0), rel=1e-9)


@pytest.mark.parametrize("method", ["eigen", "quadrature", "naive"])
def test_time_constant_rescales_time_only(method: str) -> None:
    """A residual s_r(t) = A exp(-kappa t / tau) at time constant tau is the residual
    A exp(-kappa s) in s = t / tau: same equal-time covariances with noise sigma / sqrt(tau)."""
    from randrnn.covariance import naive_closure_covariance

    n, g, mu1, amp, kappa, sigma, tau = 50, 1.4, 0.5, 0.15, 0.8, 0.6, 2.5
    J = _coupling(n, g, seed=4)

    def predict(res: ResidualStatistics, sig: float, t: float):  # type: ignore[no-untyped-def]
        if method == "naive":
            return naive_closure_covariance(J, res, sigma=sig, tau=t)
        return linear_equivalent_covariance(J, res, sigma=sig, tau=t, method=method)

    phys = ResidualStatistics.exponential(amplitude=amp, rate=kappa / tau, mu1=mu1)
    unit = ResidualStatistics.exponential(amplitude=amp, rate=kappa, mu1=mu1)
    a = predict(phys, sigma, tau)
    b = predict(unit, sigma / math.sqrt(tau), 1.0)
    for name in COVS:
        assert _rel(getattr(a, name), getattr(b, name)) < RTOL_EXACT, name
    assert a.sigma == sigma
    assert a.residual is phys


def test_cross_spectra_with_tau_are_in_the_networks_units() -> None:
    # linear network: C_x(w) = sigma^2 |1 + i w tau - J|^{-2}-type product at each frequency
    n, g, sigma, tau = 20, 0.5, 0.8, 3.0
    J = _coupling(n, g, seed=5)
    w = np.array([0.0, 0.4])
    pred = linear_equivalent_covariance(
        J, ResidualStatistics.linear(), sigma=sigma, tau=tau, freqs=w
    )
    for k, wk in enumerate(w):
        Rinv = np.linalg.inv((1.0 + 1j * wk * tau) * np.eye(n) - J)
        np.testing.assert_allclose(
            pred.spectra_x[k], sigma**2 * Rinv @ Rinv.conj().T, rtol=1e-10, atol=1e-13
        )


def test_brute_force_oracle_three_units() -> None:
    """Direct adaptive integration of every matrix element of the spectra (N = 3)."""
    J = np.array([[0.1, -0.8, 0.3], [0.5, -0.2, 0.9], [-0.6, 0.4, 0.2]])
    mu1, sigma = 0.6, 0.4
    res = ResidualStatistics.exponential(amplitude=0.5, rate=0.8, mu1=mu1)
    pred = linear_equivalent_covariance(J, res, sigma=sigma, method="eigen")
    eye = np.eye(3)

    def spectra(w: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a = mu1 / (1 + 1j * w)
        R = np.linalg.inv(eye - a * J)
        sr = float(res.spectrum(np.array([w]))[0])
        lor = 1 / (1 + w**2)
        c_phi = R @ R.conj().T * (sr + abs(a) ** 2 * sigma**2)
        c_x = (J @ R @ R.conj().T @ J.T * sr + sigma**2 * R @ R.conj().T) * lor
        c_xphi = (J @ R @ R.conj().T * sr + sigma**2 * np.conj(a) * R @ R.conj().T) / (1 + 1j * w)
        return c_phi, c_x, c_xphi

    for k, name in enumerate(COVS):
        oracle = np.empty((3, 3))
        for i in range(3):
            for j in range(3):
                val, _ = integrate.quad(
                    lambda w, i=i, j=j, k=k: spectra(w)[k][i, j].real / (2 * math.pi),
                    -np.inf,
                    np.inf,
                    epsabs=1e-13,
                    epsrel=1e-11,
                    limit=400,
                )
                oracle[i, j] = val
        # quad's requested epsrel 1e-11 per element; 1e-9 on the matrix norm
        assert _rel(getattr(pred, name), oracle) < 1e-9, name


def test_trace_approaches_dmft_value_linear_network() -> None:
    """(1/N) tr C_x -> sigma^2 / (2 sqrt(1 - g^2)) for the linear network.

    Linear spectral statistics of i.i.d. matrices fluctuate by O(1) and have O(1) mean
    corrections (Rider & Silverstein 2006), so (1/N) tr C deviates from its limit by O(1/N).
    At g = 0.6, N * (relative deviation) has a standard deviation of 1.5 over seeds, the same
    at N = 100, 400 and 1000 (20/10/3 seeds), and a mean below 0.7: we allow
    (5 * 1.5 + 0.7) / N ~ 8 / N. The shrinkage with N is checked on the mean over three seeds
    (expected ratio ~4 between N = 100 and 400).
    """
    g, sigma = 0.6, 1.0
    target = sigma**2 / (2 * math.sqrt(1 - g**2))
    mean_dev = {}
    for n in (100, 200, 400):
        devs = []
        for seed in range(3):
            J = _coupling(n, g, seed=seed + 100)
            pred = linear_equivalent_covariance(J, ResidualStatistics.linear(), sigma=sigma)
            dev = abs(np.trace(pred.c_x) / n / target - 1)
            assert dev < 8.0 / n, (n, seed, dev)
            devs.append(dev)
        mean_dev[n] = float(np.mean(devs))
    assert mean_dev[400] < mean_dev[100]


def test_unstable_realization_names_eigenvalue() -> None:
    J = np.diag([4.0, 0.1, -0.5])
    res = ResidualStatistics.exponential(amplitude=0.2, rate=1.0, mu1=0.3)
    with pytest.raises(UnstableNetworkError, match=r"lam=4\+0j \(mu1\*lam=1\.2\+0j\)") as info:
        linear_equivalent_covariance(J, res)
    np.testing.assert_allclose(info.value.eigenvalues, [4.0])
    with pytest.raises(ValueError, match="unstable eigenvalue"):
        linear_equivalent_covariance(J, res, method="quadrature")


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"J": np.ones((3, 4))}, ValueError, "`J` must be a non-empty square matrix"),
        ({"J": np.ones(3)}, ValueError, "`J` must be a non-empty square matrix"),
        ({"sigma": -1.0}, ValueError, "`sigma` must be >= 0"),
        ({"tau": 0.0}, ValueError, "`tau` must be > 0"),
        ({"tau": np.ones(3)}, ValueError, "`tau` must be one positive number"),
        ({"J": 0.1 * np.eye(3) + 0j}, TypeError, "`J` must be real"),
        ({"method": "fft"}, ValueError, "`method` must be one of"),
        ({"residual": 0.3}, TypeError, "`residual` must be a ResidualStatistics"),
        ({"J": np.full((2, 2), np.nan)}, ValueError, "`J` must contain only finite values"),
    ],
)
def test_invalid_inputs(kwargs: dict, exc: type[Exception], match: str) -> None:
    args = {
        "J": 0.1 * np.eye(3),
        "residual": ResidualStatistics.exponential(amplitude=0.1, rate=1.0, mu1=0.5),
    }
    args.update(kwargs)
    J = args.pop("J")
    residual = args.pop("residual")
    with pytest.raises(exc, match=match):
        linear_equivalent_covariance(J, residual, **args)


def test_invalid_residual_statistics() -> None:
    with pytest.raises(ValueError, match="`mu1` must be > 0"):
        ResidualStatistics.exponential(amplitude=0.1, rate=1.0, mu1=0.0)
    with pytest.raises(ValueError, match="`mu1` must be > 0"):
        ResidualStatistics.linear(mu1=-1.0)
    with pytest.raises(ValueError, match="`rate` must be > 0"):
        ResidualStatistics.exponential(amplitude=0.1, rate=-1.0, mu1=0.5)
    with pytest.raises(ValueError, match="`amplitude` must be >= 0"):
        ResidualStatistics.exponential(amplitude=-0.1, rate=1.0, mu1=0.5)
    with pytest.raises(ValueError, match="`lags` must be a uniform grid starting at 0"):
        ResidualStatistics.from_samples([0.0, 0.1, 0.3], [1.0, 0.5, 0.2], 0.5)
    with pytest.raises(ValueError, match=r"`s_r` must have shape \(3,\)"):
        ResidualStatistics.from_samples([0.0, 0.1, 0.2], [1.0, 0.5], 0.5)
    with pytest.raises(TypeError, match="`laplace` must be callable"):
        ResidualStatistics(mu1=0.5, s_r0=0.1, laplace=1.0, spectrum=abs)  # type: ignore[arg-type]


def test_auto_falls_back_to_quadrature_for_ill_conditioned_eigenvectors() -> None:
    # a nearly defective (Jordan-like) block: eigenvectors almost parallel
    J = np.array([[0.3, 50.0, 0.0], [0.0, 0.3 + 1e-9, 0.0], [0.0, 0.0, -0.2]])
    sigma = 0.5
    pred = linear_equivalent_covariance(J, ResidualStatistics.linear(), sigma=sigma)
    assert pred.method == "quadrature"
    assert pred.cond_v > COND_THRESHOLD
    lyap = solve_continuous_lyapunov(J - np.eye(3), -(sigma**2) * np.eye(3))
    assert _rel(pred.c_x, lyap) < RTOL_METHODS


def test_cross_spectral_matrix_at_zero_frequency() -> None:
    n, g, sigma = 40, 0.5, 0.8
    J = _coupling(n, g, seed=5)
    pred = linear_equivalent_covariance(
        J, ResidualStatistics.linear(), sigma=sigma, freqs=[0.0, 0.7]
    )
    Rinv = np.linalg.inv(np.eye(n) - J)
    # linear network: C_x(0) = sigma^2 (I - J)^{-1} (I - J)^{-T}
    np.testing.assert_allclose(pred.spectra_x[0], sigma**2 * Rinv @ Rinv.T, atol=1e-12)
    np.testing.assert_allclose(pred.spectra_phi[1], pred.spectra_x[1], atol=1e-12)
    ds = pred.to_xarray()
    assert ds["c_phi"].dims == ("neuron", "neuron_j")
    assert ds["spectrum_x_re"].dims == ("freq", "neuron", "neuron_j")
    assert ds.attrs["method"] == "eigen"
    assert "clark2026" in ds.attrs["references"]


def test_participation_ratio() -> None:
    assert participation_ratio(np.eye(7)) == pytest.approx(7.0, rel=1e-15)
    assert participation_ratio(np.ones((4, 4))) == pytest.approx(1.0, rel=1e-15)
    with pytest.raises(ValueError, match="`C` must be a square matrix"):
        participation_ratio(np.ones((2, 3)))


def test_hu_sompolinsky_density_matches_histogram() -> None:
    """Long-window covariance eigenvalues of one N = 1000 realization vs the density.

    Tolerance: eigenvalues of random matrices are more rigid than independent samples, so
    Poisson counting errors sqrt(expected) bound the bin fluctuations from above; we allow
    5 of those plus 1 count per bin for the O(N^{-2/3}) edge smearing and bin discretisation.
    """
    n, g, sigma = 1000, 0.5, 1.3
    J = _coupling(n, g, seed=21)
    A = np.linalg.inv(np.eye(n) - J)
    ev = np.linalg.eigvalsh(sigma**2 * A @ A.T)
    # normalisation and support
    total = integrate.quad(
        lambda x: linear_covariance_density(g, x, sigma=sigma),
        0,
        50 * 1.69,
        limit=400,
        points=[0.5, 1.0, 2.0, 5.0],
    )[0]
    assert total == pytest.approx(1.0, abs=1e-6)  # quad accuracy on a square-root edge
    edges = np.quantile(ev, np.linspace(0, 1, 31))
    edges[0] *= 0.9
    edges[-1] *= 1.1
    expected = np.array(
        [
            n * integrate.quad(lambda x: linear_covariance_density(g, x, sigma=sigma), lo, hi)[0]
            for lo, hi in itertools.pairwise(edges)
        ]
    )
    counts, _ = np.histogram(ev, edges)
    assert np.all(np.abs(counts - expected) <= 5 * np.sqrt(expected) + 1), (counts, expected)
    with pytest.raises(ValueError, match="`g` must be < 1"):
        linear_covariance_density(1.0, [1.0])


def test_pr_per_n_matches_linear_network() -> None:
    """PR/N from the large-N formula vs the exact Lyapunov covariance of the linear network.

    For phi(x) = x the population spectrum is C(w) = sigma^2 / (1 + w^2 - g^2). PR/N of a
    finite realization has O(1/N) corrections plus O(1/N) realization fluctuations (linear
    spectral statistics); at N = 800 the observed spread is ~1%, we allow 5%.
    """
    g, sigma, n = 0.6, 1.0, 800
    pred = pr_per_n_iid(lambda w: sigma**2 / (1 + w**2 - g**2), g=g)
    J = _coupling(n, g, seed=8)
    lyap = solve_continuous_lyapunov(J - np.eye(n), -(sigma**2) * np.eye(n))
    assert participation_ratio(lyap) / n == pytest.approx(pred, rel=0.05)
    with pytest.raises(ValueError, match=r"`g \* mu1` must be < 1"):
        pr_per_n_iid(lambda w: 1 / (1 + w**2), g=2.0, mu1=0.5)
