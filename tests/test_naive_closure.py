"""Tests of the naive Gaussian closure (randrnn.covariance.naive_closure_covariance)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate
from scipy.linalg import solve_continuous_lyapunov

from randrnn.covariance import (
    ResidualStatistics,
    UnstableNetworkError,
    linear_equivalent_covariance,
    naive_closure_covariance,
)
from randrnn.ensembles import GaussianEnsemble

# Same-quantity double-precision routes: rounding ~ eps * cond(V) ~ 1e-13; quadrature rule
# error ~ 1e-15 per panel. 1e-9 is a safe bound.
RTOL_EXACT = 1e-9


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def test_exact_without_recurrence() -> None:
    res = ResidualStatistics.exponential(amplitude=0.4, rate=0.6, mu1=0.7)
    J = np.zeros((5, 5))
    naive = naive_closure_covariance(J, res, sigma=0.9)
    exact = linear_equivalent_covariance(J, res, sigma=0.9)
    for name in ("c_phi", "c_x", "c_xphi"):
        assert _rel(getattr(naive, name), getattr(exact, name)) < RTOL_EXACT, name
    # closed form: C_phi = (s_r0 + mu1^2 sigma^2 / 2) I
    np.testing.assert_allclose(np.diag(exact.c_phi), 0.4 + 0.49 * 0.81 / 2, rtol=1e-12)
    assert naive.method == "naive"


def test_matches_closed_form_frequency_integral() -> None:
    """The quadrature over w equals the closed form with beta = sqrt(1 - mu1^2 lam_k conj lam_l)."""
    amp, rate, mu1, sigma = 0.3, 0.5, 0.4, 0.7
    res = ResidualStatistics.exponential(amplitude=amp, rate=rate, mu1=mu1)
    J = GaussianEnsemble(n=60, g=2.0).sample(4)
    naive = naive_closure_covariance(J, res, sigma=sigma)
    lam, V = np.linalg.eig(J)
    Vi = np.linalg.inv(V)
    W = Vi @ Vi.conj().T
    z = lam[:, None] * lam.conj()[None, :]
    beta = np.sqrt(1 - mu1**2 * z)
    S = amp / (beta + rate)
    k_phi = amp + mu1**2 * z * S / beta + sigma**2 * mu1**2 / (2 * beta)
    k_x = z * (S / beta + mu1**2 * sigma**2 / (2 * beta * (1 + beta))) + sigma**2 / 2
    c_phi = (V @ (k_phi * W) @ V.conj().T).real
    c_x = (V @ (k_x * W) @ V.conj().T).real
    assert _rel(naive.c_phi, c_phi) < RTOL_EXACT
    assert _rel(naive.c_x, c_x) < RTOL_EXACT
    np.testing.assert_allclose(naive.c_xphi, mu1 * naive.c_x, rtol=0, atol=0)


def test_brute_force_oracle_three_units() -> None:
    """Per frequency solve C = |a|^2 J C J^T + q I by vectorisation and integrate with quad."""
    J = np.array([[0.1, -0.8, 0.3], [0.5, -0.2, 0.9], [-0.6, 0.4, 0.2]])
    mu1, sigma = 0.6, 0.4
    res = ResidualStatistics.exponential(amplitude=0.5, rate=0.8, mu1=mu1)
    naive = naive_closure_covariance(J, res, sigma=sigma)
    kron = np.kron(J, J)

    def c_phi(w: float) -> np.ndarray:
        a2 = mu1**2 / (1 + w**2)
        q = float(res.spectrum(np.array([w]))[0]) + a2 * sigma**2
        vec = np.linalg.solve(np.eye(9) - a2 * kron, q * np.eye(3).ravel())
        return vec.reshape(3, 3)

    oracle = np.array(
        [
            [
                integrate.quad(
                    lambda w, i=i, j=j: c_phi(w)[i, j] / np.pi,
                    0,
                    np.inf,
                    epsabs=1e-13,
                    epsrel=1e-11,
                    limit=400,
                )[0]
                for j in range(3)
            ]
            for i in range(3)
        ]
    )
    assert _rel(naive.c_phi, oracle) < RTOL_EXACT


def test_first_order_difference_in_coupling() -> None:
    r"""As g -> 0 the closures differ at first order: C_exact - C_naive = c1 (J + J^T) + O(g^2).

    R = I + aJ + O(J^2) gives C_exact = c0 I + c1 (J + J^T) + O(g^2) with
    c1 = int dw/2pi q(w) a(w) = mu1 S(1) + mu1^3 sigma^2 / 4, while the naive closure has no
    first-order term. So ||diff/g - c1 (Jh + Jh^T)|| / ||c1 (Jh + Jh^T)|| = O(g) (Jh = J/g);
    at g = 1e-3 we allow 10 g (the O(g^2) coefficient is O(1) here).
    """
    amp, rate, mu1, sigma = 0.3, 0.5, 0.6, 0.8
    res = ResidualStatistics.exponential(amplitude=amp, rate=rate, mu1=mu1)
    Jh = GaussianEnsemble(n=50, g=1.0).sample(9)
    c1 = mu1 * amp / (1 + rate) + mu1**3 * sigma**2 / 4
    first = c1 * (Jh + Jh.T)
    for g in (1e-3, 2e-3):
        J = g * Jh
        exact = linear_equivalent_covariance(J, res, sigma=sigma)
        naive = naive_closure_covariance(J, res, sigma=sigma)
        diff = (exact.c_phi - naive.c_phi) / g
        assert _rel(diff, first) < 10 * g


def test_differs_clearly_from_lyapunov_in_linear_network() -> None:
    """Linear network at g = 0.9: the exact answer is Lyapunov; the naive closure is far off.

    The missing cross terms a J C + conj(a) C J^T are of relative size ~g, so the relative
    Frobenius error of the naive closure is O(1) (measured ~0.6 here) while the
    linear-equivalent prediction is exact to rounding. We require > 0.3 vs < 1e-9.
    """
    n, g, sigma = 300, 0.9, 1.0
    J = GaussianEnsemble(n=n, g=g).sample(2)
    lyap = solve_continuous_lyapunov(J - np.eye(n), -(sigma**2) * np.eye(n))
    res = ResidualStatistics.linear()
    exact = linear_equivalent_covariance(J, res, sigma=sigma)
    naive = naive_closure_covariance(J, res, sigma=sigma)
    assert _rel(exact.c_x, lyap) < RTOL_EXACT
    off = ~np.eye(n, dtype=bool)
    err_naive = np.linalg.norm((naive.c_x - lyap)[off]) / np.linalg.norm(lyap[off])
    assert err_naive > 0.3
    corr = np.corrcoef(naive.c_x[off], lyap[off])[0, 1]
    assert corr < 0.9


def test_naive_instability_raises() -> None:
    # stable linear-equivalent network (Re(1 - lam) > 0) but mu1 |lam| > 1
    J = np.diag([-1.5, 0.2])
    with pytest.raises(UnstableNetworkError, match=r"mu1 \* max\|lam_k\| < 1"):
        naive_closure_covariance(J, ResidualStatistics.linear(), sigma=1.0)
    with pytest.raises(ValueError, match="`sigma` must be >= 0"):
        naive_closure_covariance(np.zeros((2, 2)), ResidualStatistics.linear(), sigma=-1.0)
