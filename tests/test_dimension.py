"""Tests of spectra and dimension: the DMFT spectrum accessor, large-N participation ratios,
the long-window covariance and its Hu-Sompolinsky density (docs/theory.md sections 2.6, 4)."""

from __future__ import annotations

import itertools
import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.optimize import brentq

from randrnn import GaussianEnsemble, RateNetwork
from randrnn.covariance import (
    ResidualStatistics,
    UnstableNetworkError,
    linear_covariance_density,
    linear_equivalent_covariance,
    participation_ratio,
    pr_per_n_iid,
)
from randrnn.covariance.dimension import (
    long_window_covariance,
    long_window_spectrum,
    pr_per_n,
)
from randrnn.dmft import solve_stationary
from randrnn.ensembles import BlockEnsemble

#: Reference values of the two-site cavity theory (continuous time, tanh, no noise) computed by
#: D. G. Clark's rnn-lyapunov (data/participation_theory/pr_theory_delta0.json): g -> (PR_x/N,
#: PR_phi/N). That code solves the DMFT with second-order differences at lag step 0.025, which
#: moves Delta0 by 3e-7 relative (1.92480478 vs 1.92480541 here at g = 2) and PR/N by about
#: 2e-6; 1e-5 bounds that with a factor 5.
PEER_PR = {
    2.0: (0.015914813340254165, 0.01974070192971226),
    3.0: (0.031372018138846984, 0.0446510186217858),
}
RTOL_PEER = 1e-5


def _solve(g: float, sigma: float = 0.0, *, phi: str = "tanh", tau: float = 1.0, **kw):
    net = RateNetwork(ensemble=GaussianEnsemble(n=100, g=g), phi=phi, sigma=sigma, tau=tau, **kw)
    return solve_stationary(net)


@pytest.fixture(scope="module")
def chaotic():
    """tanh, g = 2, no noise: the chaotic state (g mu1 = 0.974)."""
    return _solve(2.0)


@pytest.fixture(scope="module")
def noisy():
    """tanh, g = 0.9, sigma = 1.5: the noise-driven state (g mu1 = 0.50)."""
    return _solve(0.9, 1.5)


# ---------------------------------------------------------------------------------------------
# StationarySolution.spectrum
# ---------------------------------------------------------------------------------------------


def _tail_bound(sol) -> float:
    """Largest spectrum of the dynamic part left beyond the grid (in the network's units).

    The grid grows until the dynamic part at its end is below 0.1 tol max(Delta0, 1); the
    accessor continues it as A e^{-k(t - L)}, whose transform is at most 2 A / k, with
    k = sqrt(1 - g^2 mu1^2) the DMFT's tail rate without static part.
    """
    g = sol.spec.ensemble.g
    k = math.sqrt(1.0 - (g * sol.mu1) ** 2)
    return 2.0 * 0.1 * sol.tol * max(sol.delta0, 1.0) / k * float(sol.spec.tau)


@pytest.mark.parametrize(("g", "sigma", "tau"), [(2.0, 0.0, 1.0), (0.9, 1.5, 2.0), (1.5, 0.3, 1.0)])
def test_spectrum_reproduces_grid_values(g: float, sigma: float, tau: float) -> None:
    """At grid frequencies the accessor returns c_hat, delta_hat, s_r_hat.

    phi and x are the same numbers rebuilt exactly (rounding, 1e-12 of the maximum, plus the
    exponential tail beyond the grid, which c_hat leaves out). The residual spectrum is built
    from s_r, i.e. from the iterate Delta, while s_r_hat uses the map's output: they differ by
    the solver residual, transformed: at most 2 mu1^2 residual max(Delta0, 1) L.
    """
    sol = _solve(g, sigma, tau=tau)
    f = sol.freqs[:-1]  # the last one is the grid's Nyquist frequency (aliased)
    tail = _tail_bound(sol)
    for which, ref in (("phi", sol.c_hat), ("x", sol.delta_hat)):
        atol = 1e-12 * np.abs(ref).max() + tail
        np.testing.assert_allclose(sol.spectrum(f, which), ref[:-1], rtol=0, atol=atol)
    solver = 2.0 * sol.mu1**2 * sol.residual * max(sol.delta0, 1.0) * sol.lags[-1]
    np.testing.assert_allclose(
        sol.spectrum(f, "residual"), sol.s_r_hat[:-1], rtol=0, atol=solver + tail * 2
    )


@pytest.mark.parametrize(("g", "sigma"), [(2.0, 0.0), (0.9, 1.5)])
def test_spectrum_between_grid_frequencies(g: float, sigma: float) -> None:
    """Off the grid the residual spectrum is 2 Re of residual_laplace on the imaginary axis, and
    C - mu1^2 Delta of the other two.

    Half-way between grid frequencies residual_laplace has no cancellation; its real shift
    1e-12 moves it by 1e-12 int t |s_r| dt (far below 1e-10 of the maximum). The identity
    S_r = C - mu1^2 Delta holds to the solver residual (bound as in the grid test).
    """
    sol = _solve(g, sigma)
    half = 0.5 * (sol.freqs[1] - sol.freqs[0])
    w = np.concatenate([sol.freqs[:200] + half, [3.3, 17.0, 150.0]])
    s_r = sol.spectrum(w, "residual")
    lap = 2.0 * np.real(sol.residual_laplace(1e-12 + 1j * w))
    np.testing.assert_allclose(s_r, lap, rtol=0, atol=1e-10 * np.abs(s_r).max())
    solver = 2.0 * sol.mu1**2 * sol.residual * max(sol.delta0, 1.0) * sol.lags[-1]
    ident = sol.spectrum(w, "phi") - sol.mu1**2 * sol.spectrum(w, "x")
    np.testing.assert_allclose(s_r, ident, rtol=0, atol=solver + 3 * _tail_bound(sol))
    # even in omega, and a scalar is accepted
    assert sol.spectrum(-3.3, "x") == pytest.approx(float(sol.spectrum(3.3, "x")), rel=1e-15)


@pytest.mark.parametrize("tau", [1.0, 2.0])
def test_spectrum_linear_network_lorentzian(tau: float) -> None:
    """phi(x) = x: C^(w) = Delta^(w) = sigma^2 / (1 + (w tau)^2 - g^2), S_r = 0, at any w.

    The lag-grid discretisation with white noise is O(dt^5) after the kink terms; the
    measured error is below 4e-9 relative and 1e-11 of the maximum, we allow 1e-8 and 1e-10.
    """
    g, sigma = 0.5, 1.3
    sol = _solve(g, sigma, phi="linear", tau=tau)
    w = np.concatenate([np.linspace(0.0, 5.0, 501), [17.3, 62.0, 1e3]])
    ref = sigma**2 / (1.0 + (w * tau) ** 2 - g**2)
    for which in ("phi", "x"):
        np.testing.assert_allclose(sol.spectrum(w, which), ref, rtol=1e-8, atol=1e-10 * ref.max())
    assert np.abs(sol.spectrum(w, "residual")).max() < 1e-10 * ref.max()


def test_spectrum_rejects_bad_input(chaotic) -> None:
    with pytest.raises(ValueError, match="`which` must be one of"):
        chaotic.spectrum(1.0, "y")
    with pytest.raises(ValueError, match="`omega` must contain only finite"):
        chaotic.spectrum([0.0, np.nan])
    relu = RateNetwork(ensemble=GaussianEnsemble(n=10, g=3.0), phi="relu")
    divergent = solve_stationary(relu, on_failure="return")
    with pytest.raises(ValueError, match="no stationary state"):
        divergent.spectrum(0.0)


# ---------------------------------------------------------------------------------------------
# large-N participation ratio
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("g", sorted(PEER_PR))
def test_pr_per_n_matches_two_site_cavity_reference(g: float) -> None:
    sol = _solve(g)
    pr_x, pr_phi = PEER_PR[g]
    assert pr_per_n(sol, "phi") == pytest.approx(pr_phi, rel=RTOL_PEER)
    assert pr_per_n(sol, "x") == pytest.approx(pr_x, rel=RTOL_PEER)


# the planar four-resolvent sum: edges (12, 23, 34, 41) between the factors F1 F2^H F3 F4^H
_EDGES = ((0, 1), (1, 2), (2, 3), (3, 0))


def _planar(q: list, restricted: tuple[int, ...]):
    """N^-1 tr[F1 F2^H F3 F4^H] for F = R or R - I (the factors in ``restricted``).

    Inclusion-exclusion over the factors forced to order 0 (both neighbouring pairing counts
    zero), each remaining edge a geometric sum 1 / (1 - q_e).
    """
    total = 0.0
    for r in range(len(restricted) + 1):
        for forced in itertools.combinations(restricted, r):
            term = (-1.0) ** r
            for e, (i, j) in enumerate(_EDGES):
                if i not in forced and j not in forced:
                    term = term / (1.0 - q[e])
            total = total + term
    return total


def _pr_x_planar(sol, n_theta: int) -> float:
    """PR_x/N from the linear-equivalent C_x(w) = S_r A A^H / mu1^2 + sigma^2 |b|^2 R R^H,
    A = R - I, with the planar sums of each term (no reduction), on a trapezoid rule in
    w = tan(theta) (spectral for these even integrands)."""
    g = sol.spec.ensemble.g
    mu1, s2 = sol.mu1, sol.spec.sigma**2
    theta = -0.5 * np.pi + np.pi * (np.arange(n_theta) + 0.5) / n_theta
    w = np.tan(theta)
    wt = (np.pi / n_theta) / np.cos(theta) ** 2
    a, b = mu1 / (1.0 + 1j * w), 1.0 / (1.0 + 1j * w)
    u = g**2 * np.abs(a) ** 2
    v = g**2 * a[:, None] * a.conj()[None, :]
    q = [u[:, None], v.conj(), u[None, :], v]
    res = sol.spectrum(w, "residual") / mu1**2
    noise = s2 * np.abs(b) ** 2
    trace2 = (
        np.outer(res, res) * _planar(q, (0, 1, 2, 3))
        + np.outer(res, noise) * _planar(q, (0, 1))
        + np.outer(noise, res) * _planar(q, (2, 3))
        + np.outer(noise, noise) * _planar(q, ())
    ).real
    trace1 = res * u / (1.0 - u) + noise / (1.0 - u)  # N^-1 tr C_x(w)
    np.testing.assert_allclose(trace1, sol.spectrum(w, "x"), rtol=1e-8)
    return float(np.sum(wt * trace1)) ** 2 / float(wt @ trace2 @ wt)


@pytest.mark.parametrize(("g", "sigma", "n_theta"), [(0.9, 1.5, 300), (2.0, 0.5, 600)])
def test_pr_x_equals_planar_sums_of_linear_equivalent_covariance(
    g: float, sigma: float, n_theta: int
) -> None:
    """The reduced kernel of pr_per_n(x) against the unreduced planar sums, independent rule.

    The theta rule has spacing pi / n_theta near w = 0, against kernel poles at distance
    1 - g^2 mu1^2 (0.75 and 0.09) from the axis: its error, about exp(-2 n_theta (1 - g^2
    mu1^2)), is below 1e-40; doubling n_theta checks that at 1e-10.
    """
    sol = _solve(g, sigma)
    direct = _pr_x_planar(sol, n_theta)
    assert direct == pytest.approx(_pr_x_planar(sol, 2 * n_theta), rel=1e-10)
    assert pr_per_n(sol, "x") == pytest.approx(direct, rel=1e-9)


def test_pr_per_n_linear_network() -> None:
    """phi(x) = x: activities are the preactivations, and C^ is a Lorentzian (closed form).

    The two routes read C^ and Delta^ = (g^2 C^ + sigma^2) / (1 + w^2), equal for phi(x) = x
    up to the lag-grid discretisation (4e-9 relative, see the Lorentzian test): rel 1e-8.
    """
    g, sigma = 0.6, 1.0
    sol = _solve(g, sigma, phi="linear")
    pr_phi = pr_per_n(sol, "phi")
    assert pr_per_n(sol, "x") == pytest.approx(pr_phi, rel=1e-8)
    closed = pr_per_n_iid(lambda w: sigma**2 / (1.0 + w**2 - g**2), g=g)
    assert pr_phi == pytest.approx(closed, rel=1e-9)  # both quadratures converged to ~1e-10


def test_pr_per_n_is_independent_of_the_time_unit() -> None:
    """tau = 2 with noise sigma is tau = 1 with sigma / sqrt(2) (docs/theory.md section 0.1).

    Both solves use the same dimensionless grid, so they agree to the solver tolerance.
    """
    slow, unit = _solve(0.9, 1.5, tau=2.0), _solve(0.9, 1.5 / math.sqrt(2.0))
    for which in ("phi", "x"):
        assert pr_per_n(slow, which) == pytest.approx(pr_per_n(unit, which), rel=1e-8)


def test_pr_per_n_matches_realizations(noisy) -> None:
    """Large-N PR/N vs the PR of linear-equivalent covariances of three N = 400 realizations.

    Noise-driven regime, where finite N converges fast: measured over 12 realizations, the
    mean is 0.1% below the limit (the O(1/N) correction) and one realization scatters by 0.15%
    (SD). Three realizations: SE 0.09%; we allow 0.6% (1/N bias bound 0.25% + 4 SE).
    """
    n, sigma = 400, noisy.spec.sigma
    res = ResidualStatistics.from_dmft(noisy)
    ratios: dict[str, list[float]] = {"phi": [], "x": []}
    for seed in range(3):
        J = GaussianEnsemble(n=n, g=0.9).sample(seed)
        c = linear_equivalent_covariance(J, res, sigma=sigma)
        ratios["phi"].append(participation_ratio(c.c_phi) / n)
        ratios["x"].append(participation_ratio(c.c_x) / n)
    for which, values in ratios.items():
        assert np.mean(values) == pytest.approx(pr_per_n(noisy, which), rel=6e-3)


def test_pr_per_n_refuses_what_it_does_not_cover(chaotic) -> None:
    with pytest.raises(ValueError, match="`which` must be one of"):
        pr_per_n(chaotic, "y")
    with pytest.raises(TypeError, match="stationary DMFT solution"):
        pr_per_n(SimpleNamespace(mu1=0.5), "phi")
    with pytest.raises(ValueError, match="quiescent"):
        pr_per_n(_solve(0.5), "phi")
    with pytest.raises(ValueError, match="static input"):
        pr_per_n(_solve(2.0, 0.3, sigma_b=0.5), "x")
    relu = _solve(0.8, 0.5, phi="relu")
    with pytest.raises(ValueError, match="nonzero mean rate"):
        pr_per_n(relu, "phi")
    block = BlockEnsemble(
        n=40,
        fractions=(0.5, 0.5),
        signs=(1, -1),
        connectivity=((1.0, 1.0), (1.0, 1.0)),
        weights=((1.0, 1.0), (1.0, 1.0)),
    )
    per_population = SimpleNamespace(
        spectrum=chaotic.spectrum, spec=RateNetwork(ensemble=block), mu1=0.5
    )
    with pytest.raises(TypeError, match="per population"):
        pr_per_n(per_population, "phi")


# ---------------------------------------------------------------------------------------------
# long-window covariance
# ---------------------------------------------------------------------------------------------


def test_long_window_covariance_is_the_zero_frequency_spectral_matrix() -> None:
    n, sigma = 60, 0.5
    J = GaussianEnsemble(n=n, g=1.5).sample(4)
    res = ResidualStatistics.exponential(amplitude=0.3, rate=0.4, mu1=0.6)
    lw = long_window_covariance(J, res, sigma=sigma)
    ref = linear_equivalent_covariance(J, res, sigma=sigma, freqs=[0.0])
    np.testing.assert_allclose(lw.c_phi, ref.spectra_phi[0].real, rtol=1e-10, atol=0)
    np.testing.assert_allclose(lw.c_x, ref.spectra_x[0].real, rtol=1e-10, atol=1e-12)
    assert lw.s_r0 == pytest.approx(2 * 0.3 / 0.4, rel=1e-15)
    assert lw.n == n
    assert lw.min_re_alpha == pytest.approx(ref.min_re_alpha, rel=1e-12)


def test_long_window_covariance_from_dmft(noisy) -> None:
    """From a DMFT solution: S_r(0) from the spectrum accessor, sigma and tau from its network;
    the trace per unit approaches the population spectrum at zero frequency.

    tr C(0) / N of a realization fluctuates by O(N^-1/2) around C^(0); at N = 400 in the
    noise-driven regime the measured deviation is 0.3%; we allow 2%.
    """
    n = 400
    J = GaussianEnsemble(n=n, g=0.9).sample(11)
    lw = long_window_covariance(J, noisy)
    assert lw.sigma == noisy.spec.sigma
    assert lw.tau == 1.0
    assert lw.s_r0 == pytest.approx(float(noisy.spectrum(0.0, "residual")), rel=1e-15)
    same = long_window_covariance(J, ResidualStatistics.from_dmft(noisy), sigma=1.5)
    # from_dmft evaluates 2 Re S(1e-12) at zero frequency, which cancels to about 1e-6
    np.testing.assert_allclose(lw.c_phi, same.c_phi, rtol=1e-5)
    assert np.trace(lw.c_phi) / n == pytest.approx(float(noisy.spectrum(0.0)), rel=0.02)
    assert np.trace(lw.c_x) / n == pytest.approx(float(noisy.spectrum(0.0, "x")), rel=0.02)
    with pytest.raises(ValueError, match="`sigma` must match the network"):
        long_window_covariance(J, noisy, sigma=1.0)
    with pytest.raises(ValueError, match="`tau` must match the network"):
        long_window_covariance(J, noisy, tau=2.0)


def test_long_window_covariance_refuses_bad_input() -> None:
    J = GaussianEnsemble(n=30, g=3.0).sample(0)
    with pytest.raises(UnstableNetworkError):
        long_window_covariance(J, ResidualStatistics.linear())
    with pytest.raises(TypeError, match="`residual_or_dmft` must be a ResidualStatistics"):
        long_window_covariance(J, object())
    with pytest.raises(ValueError, match="`J` must be a non-empty square matrix"):
        long_window_covariance(np.ones((2, 3)), ResidualStatistics.linear())
    with pytest.raises(ValueError, match="`sigma` must be >= 0"):
        long_window_covariance(J / 10, ResidualStatistics.linear(), sigma=-1.0)


# ---------------------------------------------------------------------------------------------
# Hu-Sompolinsky density
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("g", [0.3, 0.8, 0.95])
def test_long_window_spectrum_moments_match_trace_identities(g: float) -> None:
    """mean = sigma^2 / (1 - g^2), second moment = sigma^4 / (1 - g^2)^4, PR/N = (1 - g^2)^2.

    The quadrature converges spectrally (measured 1e-13); 1e-9 is far from any real defect.
    """
    sigma = 1.3
    spec = long_window_spectrum(g, sigma=sigma)
    assert spec.weights.sum() == pytest.approx(1.0, rel=1e-9)
    assert spec.mean == pytest.approx(sigma**2 / (1 - g**2), rel=1e-9)
    assert spec.second_moment == pytest.approx(sigma**4 / (1 - g**2) ** 4, rel=1e-9)
    assert spec.pr_per_n == pytest.approx((1 - g**2) ** 2, rel=1e-9)
    # the same density; rounding x = sigma^2 / mu moves mu by an ulp, which near a square-root
    # edge (nearest node 1e-6 of the support away) changes the density by about 1e-13
    np.testing.assert_allclose(
        spec.density,
        linear_covariance_density(g, spec.x, sigma=sigma),
        rtol=0,
        atol=1e-11 * spec.density.max(),
    )
    lo, hi = spec.support
    assert lo <= spec.x.min()
    assert spec.x.max() <= hi
    assert np.all(np.diff(spec.x) > 0)


@pytest.mark.parametrize("g", [0.3, 0.8])
def test_long_window_spectrum_support_is_where_the_density_vanishes(g: float) -> None:
    """Each analytic edge against a root-finder on the density's positivity.

    Outside the support all roots of the cubic are real (density 0); inside, a complex pair
    appears. Bisection on that sign change locates the edge to the rounding of the cubic's
    discriminant (relative ~1e-12 here); we allow 1e-8.
    """
    spec = long_window_spectrum(g)
    lo, hi = spec.support

    def positive(x: float) -> float:
        return 1.0 if linear_covariance_density(g, [x])[0] > 0 else -1.0

    mid = spec.x[np.argmax(spec.density)]
    assert brentq(positive, 0.5 * lo, mid, xtol=1e-14 * lo) == pytest.approx(lo, rel=1e-8)
    assert brentq(positive, mid, 2.0 * hi, xtol=1e-14 * hi) == pytest.approx(hi, rel=1e-8)


def test_long_window_spectrum_matches_realizations() -> None:
    """PR/N and the extreme eigenvalues of sigma^2 (I - J)^-1 (I - J)^-T at N = 1000.

    PR/N of a realization has O(1/N) bias and O(1/N) fluctuations (a linear spectral
    statistic): over 8 realizations it stayed within 0.75% of the limit; we allow 2%. The
    extreme eigenvalues fluctuate on the Tracy-Widom scale, so their positions are checked
    through the density's mass beyond them: O(1/N) (measured at most 1.3/N), below 4/N.
    """
    n, g, sigma = 1000, 0.5, 1.3
    spec = long_window_spectrum(g, sigma=sigma)
    J = GaussianEnsemble(n=n, g=g).sample(21)
    A = np.linalg.inv(np.eye(n) - J)
    cov = sigma**2 * A @ A.T
    assert participation_ratio(cov) / n == pytest.approx(spec.pr_per_n, rel=0.02)
    ev = np.linalg.eigvalsh(cov)
    assert n * spec.weights[spec.x < ev[0]].sum() < 4.0
    assert n * spec.weights[spec.x > ev[-1]].sum() < 4.0


def test_long_window_spectrum_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="point mass"):
        long_window_spectrum(0.0)
    with pytest.raises(ValueError, match="`g` must be < 1"):
        long_window_spectrum(1.0)
    with pytest.raises(ValueError, match="`sigma` must be > 0"):
        long_window_spectrum(0.5, sigma=0.0)
    with pytest.raises(ValueError, match="`n_points` must be >= 20"):
        long_window_spectrum(0.5, n_points=5)
