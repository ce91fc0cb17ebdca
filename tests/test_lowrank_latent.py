r"""Latent dynamics of Gaussian-mixture low-rank networks, each checked by a second route.

Beiran, Dubreuil, Valente, Mastrogiuseppe & Ostojic, arXiv:2007.02062; docs/theory.md
section 7.1. The mean-field field

.. math:: F(\kappa, v) = -\kappa + \sum_p\alpha_p E_p[n\,\phi(m\cdot\kappa + I\cdot v)]

is compared with a Monte Carlo average of its definition (tolerance from the standard error),
its Jacobian with central differences, and its fixed points, limit cycles and trajectories
with the paper's examples solved by one-dimensional root finding on the scalar Gaussian
averages of :mod:`randrnn.gaussian` (``brentq``), by the polar form of rotation-symmetric
fields, and by matrix exponentials of linear fields. The field of one sampled network is
checked against the full network (its fixed points, its Jacobian spectrum) and against the
mean field (the spread over draws is the predicted :math:`O(n^{-1/2})` sampling error).
:func:`randrnn.gaussian.derivative_averages`, the vectorised Gaussian averages behind all of
it, is checked against the scalar routes and finite differences.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.linalg import expm
from scipy.optimize import brentq

from randrnn import RateNetwork, Seeds, gaussian, realize
from randrnn import _fixedpoint as _solvers
from randrnn.ensembles.lowrank import GaussianMixture, LowRankEnsemble
from randrnn.fixedpoints import rate_field
from randrnn.gaussian import derivative_averages
from randrnn.lowrank import (
    MixtureLatentDynamics,
    NetworkLatentDynamics,
    effective_circuit,
    find_latent_fixed_points,
    find_limit_cycle,
    integrate_latent,
    orbit_statistics,
    poincare_crossings,
)
from randrnn.nonlinearities import Custom, nonlinearity

SMOOTH = ("tanh", "sigmoid", "erf", "linear")
MEANS = np.array([-2.5, -0.4, 0.0, 0.7, 3.0])
VARS = np.array([0.0, 1e-8, 0.3, 1.0, 4.0, 400.0])


def _custom() -> Custom:
    """A smooth non-odd function with an exact derivative (no closed-form averages)."""
    return Custom(
        func=lambda x: np.tanh(x) + 0.3 * np.sin(x),
        deriv=lambda x: 1.0 / np.cosh(x) ** 2 + 0.3 * np.cos(x),
        label="tanh_plus_sin",
    )


def _phi(name: str):  # type: ignore[no-untyped-def]
    return _custom() if name == "custom" else nonlinearity(name)


# ---------------------------------------------------------------------------------------------
# derivative_averages


@pytest.mark.parametrize("name", [*SMOOTH, "relu", "custom"])
def test_derivative_averages_match_scalar_routes(name: str) -> None:
    """Rows 0 and 1 equal ``gaussian.mean`` / ``gaussian.gain`` at every (mean, var)."""
    phi = _phi(name)
    m, v = np.meshgrid(MEANS, VARS, indexing="ij")
    a = derivative_averages(phi, m, v, order=1)
    assert a.shape == (2, *m.shape)
    want0 = np.vectorize(lambda mm, vv: gaussian.mean(phi, vv, mean=mm))(m, v)
    want1 = np.vectorize(lambda mm, vv: gaussian.gain(phi, vv, mean=mm))(m, v)
    np.testing.assert_allclose(a[0], want0, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(a[1], want1, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", [*SMOOTH, "custom"])
def test_derivative_averages_match_expect_of_phi(name: str) -> None:
    """Rows 0 and 1 equal ``gaussian.expect`` of ``phi`` and ``phi'`` themselves.

    ``expect`` integrates the functions directly (no closed form), an independent route for the
    closed forms of erf and linear.
    """
    phi = _phi(name)
    m, v = np.meshgrid(MEANS, VARS, indexing="ij")
    a = derivative_averages(phi, m, v, order=1)
    for k, f in enumerate((phi, phi.derivative)):
        want = np.vectorize(lambda mm, vv, f=f: gaussian.expect(f, vv, mean=mm))(m, v)
        np.testing.assert_allclose(a[k], want, rtol=1e-11, atol=1e-13)


def test_derivative_averages_relu_against_expect() -> None:
    """ReLU closed forms against ``expect`` (a kink: the trapezoid rule is O(h^2) accurate).

    With step h = 0.25 in x the trapezoid error at a kink is about h^2 pdf(0)/12 < 3e-3 of the
    density scale; the comparison uses variances where the step is fine compared with sigma.
    """
    phi = nonlinearity("relu")
    for mm in MEANS:
        for vv in (1.0, 4.0, 400.0):
            a = derivative_averages(phi, mm, vv, order=1)
            s = math.sqrt(vv)
            tol = 0.25**2 / (12.0 * s) + 1e-12
            assert abs(a[0] - gaussian.expect(phi, vv, mean=mm, step=0.25 / 64)) < tol
            assert abs(a[1] - gaussian.expect(phi.derivative, vv, mean=mm, step=0.25 / 64)) < tol


def _d_dmean(fun, m: float, h: float, order: int) -> float:  # type: ignore[no-untyped-def]
    """Five-point central differences: error h^4 f^(5)/30 (first), h^4 f^(6)/90 (second)."""
    f = [fun(m + k * h) for k in (-2, -1, 0, 1, 2)]
    if order == 1:
        return (f[0] - 8 * f[1] + 8 * f[3] - f[4]) / (12 * h)
    return (-f[0] + 16 * f[1] - 30 * f[2] + 16 * f[3] - f[4]) / (12 * h * h)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "erf", "relu", "custom"])
def test_higher_derivative_averages_are_mean_derivatives_of_the_gain(name: str) -> None:
    r""":math:`E[\phi''] = \partial_m E[\phi']` and :math:`E[\phi'''] = \partial_m^2 E[\phi']`.

    Finite differences of the scalar ``gaussian.gain`` in the mean, step h = 0.02: truncation
    ~ h^4 = 2e-7 times derivatives of order one, rounding eps/h^2 ~ 1e-12.
    """
    phi = _phi(name)
    h = 0.02
    for mm in MEANS:
        for vv in (0.3, 1.0, 4.0, 400.0):
            a = derivative_averages(phi, mm, vv, order=3)
            g = lambda x, vv=vv: gaussian.gain(phi, vv, mean=x)  # noqa: E731
            d1 = _d_dmean(g, mm, h, 1)
            d2 = _d_dmean(g, mm, h, 2)
            assert abs(a[2] - d1) < 1e-6, (mm, vv, a[2], d1)
            assert abs(a[3] - d2) < 1e-5, (mm, vv, a[3], d2)


def _check_zero_variance(phi, means, var_other):  # type: ignore[no-untyped-def]
    """Compare the averages at ``var = 0`` (optionally next to one point of ``var_other``).

    The quadrature route evaluates the Stein forms at a standard deviation of 1e-3, a variance
    shift of 1e-6: the error is about 1e-6 |phi^(4)|/2 (documented in derivative_averages).
    Derivatives of phi' by five-point differences, h = 1e-3 (error ~1e-12).
    """
    h = 1e-3
    d = lambda x: float(phi.derivative(np.array(x)))  # noqa: E731
    extra = [] if var_other is None else [var_other]
    v = np.array([0.0] * len(means) + extra)
    m = np.array(list(means) + [0.0] * len(extra))
    a = derivative_averages(phi, m, v, order=3)
    for i, mm in enumerate(means):
        assert abs(a[0, i] - float(phi(np.array(mm)))) < 1e-15
        assert abs(a[1, i] - d(mm)) < 1e-15
        assert abs(a[2, i] - _d_dmean(d, mm, h, 1)) < 1e-5, (mm, a[:, i])
        assert abs(a[3, i] - _d_dmean(d, mm, h, 2)) < 1e-5, (mm, a[:, i])


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "custom"])
def test_higher_derivative_averages_at_zero_variance_in_a_mixed_batch(name: str) -> None:
    r"""At ``var = 0`` the averages are :math:`\phi^{(k)}(m)` (next to a point with var = 1)."""
    _check_zero_variance(_phi(name), MEANS, 1.0)


def test_higher_derivative_averages_at_zero_variance_closed_form() -> None:
    """The erf closed forms at ``var = 0``, alone."""
    _check_zero_variance(nonlinearity("erf"), MEANS, None)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "custom"])
def test_higher_derivative_averages_at_zero_variance_alone(name: str) -> None:
    """The same, with only zero-variance points in the call."""
    _check_zero_variance(_phi(name), MEANS, None)


def test_derivative_averages_linear_and_relu_exact() -> None:
    """Linear: (m, 1, 0, 0). ReLU at var = 0: (max(m, 0), step(m)); E[phi''] = pdf / s."""
    m = np.array([-1.0, 0.5, 2.0])
    a = derivative_averages("linear", m, 3.0, order=3)
    np.testing.assert_array_equal(a, np.stack([m, np.ones(3), np.zeros(3), np.zeros(3)]))
    r = derivative_averages("relu", m, 0.0, order=1)
    np.testing.assert_array_equal(r, np.stack([np.maximum(m, 0), (m > 0).astype(float)]))
    s = 1.7
    r2 = derivative_averages("relu", m, s * s, order=2)
    pdf = np.exp(-0.5 * (m / s) ** 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(r2[2], pdf / s, rtol=1e-15)


def test_derivative_averages_broadcasting() -> None:
    """Means and variances broadcast together; the derivative order is the leading axis."""
    m = np.linspace(-1, 1, 3)[:, None]
    v = np.array([0.1, 0.5, 1.0, 2.0])
    a = derivative_averages("tanh", m, v, order=3)
    assert a.shape == (4, 3, 4)
    for i in range(3):
        for j in range(4):
            np.testing.assert_allclose(
                a[:, i, j],
                derivative_averages("tanh", m[i, 0], v[j], order=3),
                rtol=1e-13,
                atol=1e-15,
            )
    assert derivative_averages("erf", 0.2, 1.0, order=0).shape == (1,)
    assert derivative_averages("tanh", np.zeros((2, 0)), 1.0).shape == (2, 2, 0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mean": 0.0, "var": -1.0}, "var"),
        ({"mean": np.nan, "var": 1.0}, "mean"),
        ({"mean": 0.0, "var": np.inf}, "var"),
        ({"mean": 0.0, "var": 1.0, "order": 4}, "order"),
    ],
)
def test_derivative_averages_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        derivative_averages("tanh", **kwargs)
    with pytest.raises(ValueError, match="phi"):
        derivative_averages("softplus", 0.0, 1.0)


# ---------------------------------------------------------------------------------------------
# the mixture field


def _random_mixture(seed: int, P: int = 3, R: int = 2, K: int = 1) -> GaussianMixture:
    """P components with nonzero means and full covariances of ``(m, n, I)`` (n-m, n-I coupled)."""
    rng = np.random.default_rng(seed)
    D = 2 * R + K
    w = np.array([0.5, 0.3, 0.2][:P]) if P <= 3 else np.full(P, 1.0 / P)
    w = w / w.sum()
    means = 0.8 * rng.standard_normal((P, D))
    covs = []
    for _ in range(P):
        A = rng.standard_normal((D, D))
        covs.append(A @ A.T / D + 0.2 * np.eye(D))
    return GaussianMixture(weights=w, means=means, covariances=np.array(covs))


STATES = np.array([[0.0, 0.0], [0.6, -0.3], [-1.2, 0.8], [2.0, 1.5]])
INPUTS = np.array([[0.3], [0.7], [-0.4], [1.1]])


@pytest.mark.parametrize("name", ["tanh", "relu"])
def test_mixture_field_matches_monte_carlo(name: str) -> None:
    r"""F against :math:`-\kappa + \sum_p\alpha_pE_p[n\phi(m\cdot\kappa + I\cdot v)]` sampled.

    2e5 loading vectors per component; every entry within 5 standard errors (the standard error
    from the samples, components independent).
    """
    mix = _random_mixture(7)
    dyn = MixtureLatentDynamics(mixture=mix, rank=2, n_inputs=1, phi=name)
    F = dyn.field(STATES, INPUTS)
    assert F.shape == STATES.shape
    rng = np.random.default_rng(11)
    S = 200_000
    phi = nonlinearity(name)
    mc = -STATES.copy()
    var = np.zeros_like(STATES)
    for p in range(mix.n_components):
        L = np.linalg.cholesky(mix.covariances[p])
        Y = mix.means[p] + rng.standard_normal((S, 5)) @ L.T
        m, n, inp = Y[:, :2], Y[:, 2:4], Y[:, 4:]
        for s, (k, v) in enumerate(zip(STATES, INPUTS, strict=True)):
            val = n * phi(m @ k + inp @ v)[:, None]
            mc[s] += mix.weights[p] * val.mean(axis=0)
            var[s] += mix.weights[p] ** 2 * val.var(axis=0) / S
    z = (F - mc) / np.sqrt(var)
    assert np.all(np.abs(z) < 5.0), z


def _fd_jacobian(dyn, k, v, h: float = 1e-5):  # type: ignore[no-untyped-def]
    """Central differences of the field, column by column."""
    R = k.shape[-1]
    cols = []
    for s in range(R):
        e = np.zeros(R)
        e[s] = h
        cols.append((dyn.field(k + e, v) - dyn.field(k - e, v)) / (2 * h))
    return np.stack(cols, axis=-1)


@pytest.mark.parametrize("name", ["tanh", "erf", "relu", "sigmoid"])
def test_mixture_jacobian_matches_finite_differences(name: str) -> None:
    """Exact Jacobian vs central differences (h = 1e-5: error ~1e-10 + rounding ~1e-11)."""
    dyn = MixtureLatentDynamics(mixture=_random_mixture(3), rank=2, n_inputs=1, phi=name)
    J = dyn.jacobian(STATES[1:], INPUTS[1:])
    assert J.shape == (3, 2, 2)
    np.testing.assert_allclose(J, _fd_jacobian(dyn, STATES[1:], INPUTS[1:]), atol=1e-8)


def test_network_jacobian_matches_finite_differences() -> None:
    rng = np.random.default_rng(5)
    n = 50
    dyn = NetworkLatentDynamics(
        M=rng.standard_normal((n, 2)),
        N=rng.standard_normal((n, 2)),
        inputs=rng.standard_normal((n, 1)),
        phi="tanh",
    )
    J = dyn.jacobian(STATES, INPUTS)
    np.testing.assert_allclose(J, _fd_jacobian(dyn, STATES, INPUTS), atol=1e-9)


def test_effective_circuit_reassembles_the_field() -> None:
    r""":math:`\sum_p[\text{drive}_p + J^{eff}_p\kappa + B^{eff}_pv] = F + \kappa`."""
    dyn = MixtureLatentDynamics(mixture=_random_mixture(9), rank=2, n_inputs=1, phi="tanh")
    ec = effective_circuit(dyn, STATES, INPUTS)
    assert ec.j_eff.shape == (4, 3, 2, 2)
    assert ec.b_eff.shape == (4, 3, 2, 1)
    total = (
        ec.drive.sum(axis=1)
        + np.einsum("sprq,sq->sr", ec.j_eff, STATES)
        + np.einsum("sprk,sk->sr", ec.b_eff, INPUTS)
    )
    np.testing.assert_allclose(total, dyn.field(STATES, INPUTS) + STATES, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(ec.total, ec.j_eff.sum(axis=1))
    # the gain is the scalar gaussian.gain at each component's mean and variance
    mean, var, _ = dyn.moments(STATES, INPUTS)
    g = np.vectorize(lambda mm, vv: gaussian.gain("tanh", vv, mean=mm))(mean, var)
    np.testing.assert_allclose(ec.gain, g, rtol=1e-12)
    assert set(ec.to_xarray().data_vars) == {"kappa", "gain", "j_eff", "b_eff", "drive"}


def test_field_shape_errors() -> None:
    dyn = MixtureLatentDynamics(mixture=_random_mixture(1), rank=2, n_inputs=1)
    assert dyn.field(np.zeros((3, 4, 2)), [0.5]).shape == (3, 4, 2)
    with pytest.raises(ValueError, match="kappa"):
        dyn.field(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="`v`"):
        dyn.field(np.zeros((3, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="mixture"):
        MixtureLatentDynamics(mixture=_random_mixture(1), rank=1, n_inputs=1)
    with pytest.raises(TypeError, match="MixtureLatentDynamics"):
        effective_circuit(NetworkLatentDynamics(M=np.ones((3, 1)), N=np.ones((3, 1))), [[0.0]])


# ---------------------------------------------------------------------------------------------
# the paper's examples (Beiran et al., arXiv:2007.02062, Figs 2-5)


def _one_component(
    sigma: np.ndarray, var_n: float = 4.0, phi: str = "tanh"
) -> MixtureLatentDynamics:
    """Zero means, unit-variance independent ``m_r``, ``cov(n_r, m_s) = sigma[r, s]``."""
    R = sigma.shape[0]
    C = np.eye(2 * R)
    C[R:, R:] *= var_n
    C[R:, :R] = sigma
    C[:R, R:] = sigma.T
    mix = GaussianMixture(weights=[1.0], means=np.zeros((1, 2 * R)), covariances=C[None])
    return MixtureLatentDynamics(mixture=mix, rank=R, phi=phi)


def _radius(a: float, phi: str) -> float:
    r"""Root of :math:`a\langle\phi'\rangle(r^2) = 1` (scalar gain, brentq)."""
    return float(brentq(lambda r: a * gaussian.gain(phi, r * r) - 1.0, 1e-6, 20.0, xtol=1e-15))


@pytest.mark.parametrize("phi", ["tanh", "erf"])
def test_rank_one_bistability(phi: str) -> None:
    r"""Rank one: :math:`\kappa = \sigma_{mn}\kappa\langle\phi'\rangle(\kappa^2)`.

    One stable state (the origin) for sigma_mn = 0.5; for 1.2 the origin is unstable (slope
    0.2) and +-kappa* are stable (Fig 2). tanh: kappa* = 0.48628 (lowrank_params.md); erf in
    closed form: :math:`1 + \pi\kappa^2/2 = 1.44`.
    """
    lo = find_latent_fixed_points(_one_component(np.array([[0.5]]), 0.5**2 + 0.09, phi))
    assert lo.summary()["n_fixed"] == 1
    assert lo.summary()["n_stable"] == 1
    np.testing.assert_allclose(lo.fixed.points, [[0.0]], atol=1e-14)
    np.testing.assert_allclose(lo.fixed.eigenvalues, [[-0.5]], atol=1e-14)
    hi = find_latent_fixed_points(_one_component(np.array([[1.2]]), 1.2**2 + 0.09, phi)).fixed
    assert len(hi) == 3
    assert np.all(hi.residual < 1e-10)
    k = np.sort(hi.points[:, 0])
    ks = _radius(1.2, phi)
    np.testing.assert_allclose(k, [-ks, 0.0, ks], atol=1e-12)
    if phi == "tanh":
        assert round(ks, 5) == 0.48628
    else:
        assert abs(ks - math.sqrt(0.44 * 2 / math.pi)) < 1e-13
    stab = dict(zip(np.round(hi.points[:, 0], 6), hi.stability, strict=True))
    assert stab[0.0] == "unstable"
    assert stab[round(ks, 6)] == stab[round(-ks, 6)] == "stable"
    origin = hi.eigenvalues[np.argmin(np.abs(hi.points[:, 0]))]
    np.testing.assert_allclose(origin, [0.2], atol=1e-13)


def _gain_dvar(phi: str, var: float, h: float = 1e-4) -> float:
    """d<phi'>/dvar by central differences of the scalar gain."""
    return (gaussian.gain(phi, var + h) - gaussian.gain(phi, var - h)) / (2 * h)


@pytest.mark.parametrize("phi", ["tanh", "erf"])
def test_rank_two_diagonal_five_fixed_points(phi: str) -> None:
    r"""Sigma = diag(1.2, 1.6) (Fig 3A-D): 5 fixed points.

    Stable pair on the kappa_2 axis at +-r(1.6), saddles on kappa_1 at +-r(1.2), origin
    unstable with eigenvalues eig(Sigma) - 1. Along axis ``a`` at radius r the Jacobian is
    diagonal: :math:`-1 + \Sigma_{bb}\,g(r^2)` across and :math:`-1 + \Sigma_{aa}(g + 2r^2
    \partial_vg)` along, g the scalar gain.
    """
    sig = np.diag([1.2, 1.6])
    fp = find_latent_fixed_points(_one_component(sig, phi=phi))
    assert fp.summary()["n_fixed"] == 5
    assert fp.summary()["n_slow"] == 0
    assert np.all(fp.residual < 1e-10)
    for i, p in enumerate(fp.points):
        ev = np.sort(fp.eigenvalues[i].real)
        assert np.all(np.abs(fp.eigenvalues[i].imag) < 1e-12)
        if np.linalg.norm(p) < 1e-12:
            np.testing.assert_allclose(ev, np.linalg.eigvals(sig).real - 1.0, atol=1e-13)
            assert fp.stability[i] == "unstable"
            continue
        a = int(np.argmax(np.abs(p)))
        r = _radius(sig[a, a], phi)
        assert abs(p[1 - a]) < 1e-12
        assert abs(abs(p[a]) - r) < 1e-12
        g = gaussian.gain(phi, r * r)
        along = -1.0 + sig[a, a] * (g + 2 * r * r * _gain_dvar(phi, r * r))
        across = -1.0 + sig[1 - a, 1 - a] * g
        np.testing.assert_allclose(ev, np.sort([along, across]), atol=1e-7)
        assert fp.stability[i] == ("stable" if a == 1 else "unstable")
    if phi == "tanh":  # lowrank_params.md: stable (-0.25, -0.577), saddle (-0.291, +0.333)
        np.testing.assert_allclose(np.sort(fp.eigenvalues[0].real), [-0.577, -0.25], atol=5e-4)


@pytest.mark.parametrize("phi", ["tanh", "erf"])
def test_rotation_limit_cycle(phi: str) -> None:
    r"""Sigma = [[a, -b], [b, a]] (Fig 3E-H): a circle of radius r, :math:`a\langle\phi'\rangle
    (r^2) = 1`, run at angular speed b/a, so the period is :math:`2\pi a/b`."""
    a, b = 1.6, 0.8
    dyn = _one_component(np.array([[a, -b], [b, a]]), phi=phi)
    lc = find_limit_cycle(dyn, [0.3, -0.1])
    r = _radius(a, phi)
    assert lc.converged
    assert abs(lc.period - 2 * math.pi * a / b) < 1e-6 * lc.period
    assert abs(lc.radius - r) < 1e-6 * r
    np.testing.assert_allclose(np.linalg.norm(lc.orbit, axis=1), r, rtol=1e-6)
    np.testing.assert_allclose(lc.center, 0.0, atol=1e-6)
    # half peak-to-peak of 400 samples per period: the extremes are missed by up to
    # 1 - cos(pi / 400) = 3.1e-5 relative
    np.testing.assert_allclose(lc.amplitude, r, rtol=1 - math.cos(math.pi / lc.orbit.shape[0]))
    # orbit_statistics and poincare_crossings on the analytic circle
    th = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    circle = np.c_[1.0 + r * np.cos(th), r * np.sin(th)]
    c, rad, amp = orbit_statistics(circle)
    np.testing.assert_allclose(c, [1.0, 0.0], atol=1e-14)
    assert abs(rad - r) < 1e-14
    np.testing.assert_allclose(amp, r * np.array([1.0, np.sin(np.pi / 2)]), rtol=1e-12)
    t = np.linspace(0, 3 * 2 * np.pi, 3001)  # three turns: up-crossings of kappa_2 at 2 pi k
    traj = np.c_[np.cos(t), np.sin(t)]
    tc = poincare_crossings(t, traj, np.zeros(2), np.array([0.0, 1.0]))
    np.testing.assert_allclose(tc, [2 * np.pi, 4 * np.pi], atol=1e-5)
    with pytest.raises(RuntimeError, match="fixed point"):
        find_limit_cycle(_one_component(np.diag([1.2, 1.6]), phi=phi), [0.3, 0.1])
    with pytest.raises(ValueError, match="rank"):
        find_limit_cycle(_one_component(np.array([[1.2]]), phi=phi), [0.3])


@pytest.mark.parametrize("phi", ["tanh", "erf"])
def test_isotropic_ring(phi: str) -> None:
    """Sigma = 1.6 I (Fig 3I-L): every nonzero fixed point lies on the ring, marginal."""
    fp = find_latent_fixed_points(_one_component(1.6 * np.eye(2), phi=phi), n_random=60).fixed
    r = _radius(1.6, phi)
    rad = np.linalg.norm(fp.points, axis=1)
    ring = rad > 1e-8
    assert ring.sum() >= 10
    assert (~ring).sum() == 1
    assert np.all(fp.residual < 1e-10)
    np.testing.assert_allclose(rad[ring], r, rtol=1e-10)
    assert np.all(fp.stability[ring] == "marginal")
    assert fp.stability[~ring][0] == "unstable"
    # one zero eigenvalue (along the ring), one radial
    g = gaussian.gain(phi, r * r)
    radial = -1.0 + 1.6 * (g + 2 * r * r * _gain_dvar(phi, r * r))
    ev = np.sort(fp.eigenvalues[ring].real, axis=1)
    np.testing.assert_allclose(ev[:, 1], 0.0, atol=1e-10)
    np.testing.assert_allclose(ev[:, 0], radial, atol=1e-7)


def _two_component_rank_one(phi: str) -> MixtureLatentDynamics:
    """Fig 4: weights 1/2, var m = (1.98, 0.02), cov(m, n) = (-10, 4.5), n noise 0.3."""
    covs = []
    for vm, c in ((1.98, -10.0), (0.02, 4.5)):
        covs.append([[vm, c], [c, c * c / vm + 0.09]])
    mix = GaussianMixture(weights=[0.5, 0.5], means=np.zeros((2, 2)), covariances=covs)
    return MixtureLatentDynamics(mixture=mix, rank=1, phi=phi)


@pytest.mark.parametrize("phi", ["tanh", "erf"])
def test_two_components_three_stable_states(phi: str) -> None:
    r"""Fig 4: :math:`\kappa = \frac12\sum_p c_p\kappa\langle\phi'\rangle(s_p\kappa^2)`.

    The roots of the scalar equation (scalar ``gaussian.gain``) bracketed on a grid and solved
    by brentq. tanh: stable 0 and +-6.45233, unstable +-2.86611 (the equation with the Gaussian
    averages by adaptive ``scipy.integrate.quad``). The paper's scripts average with 200-node
    Gauss-Hermite quadrature, which at var = 1.98 kappa^2 ~ 80-140 spaces its nodes ~2 apart
    in x, coarser than the width of tanh': that gives 2.8616 and 8.3435 (lowrank_params.md),
    which are quadrature artefacts; the exact mean-field values are tested here.
    """
    fp = find_latent_fixed_points(_two_component_rank_one(phi)).fixed
    assert np.all(fp.residual < 1e-10)

    def f(k: float) -> float:
        return -k + 0.5 * k * sum(
            c * gaussian.gain(phi, vm * k * k) for vm, c in ((1.98, -10.0), (0.02, 4.5))
        )

    grid = np.linspace(0.05, 30.0, 600)
    vals = np.array([f(k) for k in grid])
    roots = [
        brentq(f, grid[i], grid[i + 1], xtol=1e-14)
        for i in np.flatnonzero(np.sign(vals[:-1]) != np.sign(vals[1:]))
    ]
    want = np.sort([0.0, *roots, *(-np.array(roots))])
    got = np.sort(fp.points[:, 0])
    np.testing.assert_allclose(got, want, atol=1e-9)
    if phi == "tanh":
        np.testing.assert_allclose(np.sort(roots), [2.86611, 6.45233], atol=5e-6)
    order = np.argsort(fp.points[:, 0])
    assert fp.stability[order].tolist() == ["stable", "unstable", "stable", "unstable", "stable"]


def _hexagon(phi: str) -> MixtureLatentDynamics:
    """Fig 5: P = 6, mean m radius 1.4, mean n radius 3/1.4, covariance 0.04 I (m, n order)."""
    ang = np.arange(6) * np.pi / 3
    u = np.c_[np.cos(ang), np.sin(ang)]
    means = np.c_[1.4 * u, (3 / 1.4) * u]
    mix = GaussianMixture(
        weights=np.full(6, 1 / 6), means=means, covariances=np.tile(0.04 * np.eye(4), (6, 1, 1))
    )
    return MixtureLatentDynamics(mixture=mix, rank=2, phi=phi)


@pytest.mark.parametrize("phi", ["tanh", "erf"])
def test_hexagon_six_stable_states(phi: str) -> None:
    r"""Fig 5: 6 stable states on the vertex directions, 6 saddles between, origin unstable.

    By symmetry the field is radial on those directions; the radius solves
    :math:`r = \frac16\sum_p(\mu_{n,p}\cdot e)\langle\phi\rangle(\mu_{m,p}\cdot e\,r, 0.04r^2)`,
    scalar ``gaussian.mean`` and brentq. tanh: 1.09218 and 1.04105 (lowrank_params.md).
    """
    fp = find_latent_fixed_points(_hexagon(phi)).fixed
    assert np.all(fp.residual < 1e-10)
    ang = np.arange(6) * np.pi / 3
    u = np.c_[np.cos(ang), np.sin(ang)]

    def radial(r: float, th: float) -> float:
        e = np.array([np.cos(th), np.sin(th)])
        return (
            -r
            + sum(
                (3 / 1.4) * (up @ e) * gaussian.mean(phi, 0.04 * r * r, mean=1.4 * (up @ e) * r)
                for up in u
            )
            / 6
        )

    r_v = brentq(radial, 0.3, 3.0, args=(0.0,), xtol=1e-15)
    r_s = brentq(radial, 0.3, 3.0, args=(np.pi / 6,), xtol=1e-15)
    if phi == "tanh":
        assert (round(r_v, 5), round(r_s, 5)) == (1.09218, 1.04105)
    assert len(fp) == 13
    rad = np.linalg.norm(fp.points, axis=1)
    th = np.mod(np.arctan2(fp.points[:, 1], fp.points[:, 0]), np.pi / 3)
    stable = fp.stability == "stable"
    assert stable.sum() == 6
    np.testing.assert_allclose(rad[stable], r_v, atol=1e-10)
    np.testing.assert_allclose(np.minimum(th[stable], np.pi / 3 - th[stable]), 0.0, atol=1e-9)
    saddle = (fp.n_unstable == 1) & (rad > 1e-8)
    assert saddle.sum() == 6
    np.testing.assert_allclose(rad[saddle], r_s, atol=1e-10)
    np.testing.assert_allclose(th[saddle], np.pi / 6, atol=1e-9)
    origin = rad < 1e-12
    assert origin.sum() == 1
    assert fp.n_unstable[origin][0] == 2


# ---------------------------------------------------------------------------------------------
# one sampled network


def _lowrank_realization(n: int, seed: int = 0):  # type: ignore[no-untyped-def]
    ens = LowRankEnsemble(n=n, rank=2, n_inputs=1, mixture=_random_mixture(21))
    return realize(RateNetwork(ensemble=ens, phi="tanh"), Seeds(coupling=seed))


def test_network_fixed_points_are_fixed_points_of_the_full_network() -> None:
    r"""Roots of the network's latent field give :math:`x^* = M\kappa^* + Iv`: full residual
    < 1e-10; the latent Jacobian's eigenvalues are among the full Jacobian's, the other
    n - R are -1 (``np.linalg.eigvals`` of the n x n matrix)."""
    real = _lowrank_realization(300)
    dyn = NetworkLatentDynamics.from_realization(real)
    assert (dyn.n, dyn.rank, dyn.n_inputs) == (300, 2, 1)
    v = np.array([0.5])
    fp = find_latent_fixed_points(dyn, v=v).fixed
    assert len(fp) >= 1
    assert np.all(fp.residual < 1e-10)
    inputs = np.asarray(real.coupling.loadings)[:, 4:5]
    full = rate_field(real, inputs=inputs, u=v)
    for k, ev_lat in zip(fp.points, fp.eigenvalues, strict=True):
        x = dyn.M @ k + inputs @ v
        assert np.linalg.norm(full(x)) < 1e-10
        ev = np.linalg.eigvals(full.jacobian(x))
        for lam in ev_lat:
            d = np.abs(ev - lam)
            assert d.min() < 1e-9, (lam, d.min())
            ev = np.delete(ev, np.argmin(d))
        np.testing.assert_allclose(ev, -1.0, atol=1e-9)


def test_network_field_converges_to_the_mixture_field() -> None:
    r"""Network field minus mean field, over 40 draws at n = 300 and n = 4800.

    Units in component p are ``alpha_p n`` i.i.d. draws, so the difference has mean zero and
    variance :math:`\sum_p\alpha_p\mathrm{Var}_p[n_r\phi(x)]/n` (variances by Monte Carlo,
    2e5 samples): the z-scores have mean square 1 at both sizes (bounds: +-4 standard
    deviations of a mean of 120 independent chi-square(1) / 2), i.e. the spread falls as
    :math:`n^{-1/2}`.
    """
    mix = _random_mixture(21)
    mf = MixtureLatentDynamics(mixture=mix, rank=2, n_inputs=1)
    states, inputs = STATES[1:], INPUTS[1:]
    F_mf = mf.field(states, inputs)
    rng = np.random.default_rng(3)
    var = np.zeros_like(states)
    for p in range(mix.n_components):
        L = np.linalg.cholesky(mix.covariances[p])
        Y = mix.means[p] + rng.standard_normal((200_000, 5)) @ L.T
        for s, (k, v) in enumerate(zip(states, inputs, strict=True)):
            var[s] += mix.weights[p] * np.var(
                Y[:, 2:4] * np.tanh(Y[:, :2] @ k + Y[:, 4:] @ v)[:, None], axis=0
            )
    rms = {}
    for n in (300, 4800):
        z = []
        for seed in range(40):
            Y, _ = mix.sample(np.random.default_rng(seed), n)
            net = NetworkLatentDynamics(M=Y[:, :2], N=Y[:, 2:4], inputs=Y[:, 4:], phi="tanh")
            z.append((net.field(states, inputs) - F_mf) / np.sqrt(var / n))
        zz = np.array(z)
        ms = float(np.mean(zz**2))
        sd = math.sqrt(2.0 / 120)
        assert 1 - 4 * sd < ms < 1 + 4 * sd, (n, ms)
        assert abs(float(zz.mean())) < 4 / math.sqrt(120), (n, zz.mean())
        rms[n] = math.sqrt(ms / n)
    assert 3.0 < rms[300] / rms[4800] < 5.3


def test_network_from_realization_errors() -> None:
    from randrnn import GaussianEnsemble

    real = realize(RateNetwork(ensemble=GaussianEnsemble(n=20, g=1.0)))
    with pytest.raises(ValueError, match="LowRankEnsemble"):
        NetworkLatentDynamics.from_realization(real)
    ens = LowRankEnsemble(n=60, rank=2, n_inputs=1, mixture=_random_mixture(21))
    with pytest.raises(ValueError, match="static input"):
        NetworkLatentDynamics.from_realization(
            realize(RateNetwork(ensemble=ens, sigma_b=0.3), Seeds())
        )
    with pytest.raises(ValueError, match="chi"):
        NetworkLatentDynamics.from_realization(
            realize(
                RateNetwork(
                    ensemble=LowRankEnsemble(
                        n=60,
                        rank=2,
                        n_inputs=1,
                        mixture=_random_mixture(21),
                        chi=GaussianEnsemble(n=60, g=0.5),
                    )
                )
            )
        )


# ---------------------------------------------------------------------------------------------
# integrate_latent


def test_integrate_linear_field_with_time_varying_input() -> None:
    r"""Linear phi: :math:`\dot\kappa = A\kappa + Bv`, :math:`\dot v = -v + \sin\omega t`.

    :math:`A = -I + \sum_p\alpha_p(\mu_{n,p}\mu_{m,p}^T + \Sigma^{nm}_p)`, :math:`B` likewise
    with the input statistics; the state ``(kappa, v, sin wt, cos wt)`` obeys a linear
    autonomous system, solved by its matrix exponential.
    """
    mix = _random_mixture(4)
    dyn = MixtureLatentDynamics(mixture=mix, rank=2, n_inputs=1, phi="linear")
    a, mu, C = mix.weights, mix.means, mix.covariances
    AB = -np.eye(2, 3) + sum(
        a[p] * (np.outer(mu[p, 2:4], mu[p, [0, 1, 4]]) + C[p][2:4][:, [0, 1, 4]]) for p in range(3)
    )
    w = 1.3
    G = np.zeros((6, 6))
    G[:2, :3] = AB
    G[2, 2], G[2, 3] = -1.0, 1.0
    G[3, 4], G[4, 3] = w, -w
    k0, v0 = np.array([0.4, -0.2]), 0.3
    t = np.linspace(0.0, 3.0, 7)
    tr = integrate_latent(dyn, k0, t, u=lambda s: np.array([math.sin(w * s)]), v0=[v0])
    z0 = np.r_[k0, v0, 0.0, 1.0, 0.0]
    # (sin, cos) sit at indices 3, 4; index 5 unused
    want = np.array([expm(G * s) @ z0 for s in t])
    np.testing.assert_allclose(tr.kappa[:, 0], want[:, :2], rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(tr.v[:, 0], want[:, 2:3], rtol=1e-8, atol=1e-9)
    v_exact = (np.sin(w * t) - w * np.cos(w * t)) / (1 + w * w) + (v0 + w / (1 + w * w)) * np.exp(
        -t
    )
    np.testing.assert_allclose(tr.v[:, 0, 0], v_exact, atol=1e-9)
    # a constant input defaults to v0 = u: v stays constant
    tc = integrate_latent(dyn, np.array([k0, -k0]), t, u=[0.8])
    np.testing.assert_allclose(tc.v, 0.8, atol=1e-12)
    A, Bv = AB[:, :2], AB[:, 2] * 0.8
    ks = -np.linalg.solve(A, Bv)
    for b, kk in enumerate((k0, -k0)):
        want_k = np.array([ks + expm(A * s) @ (kk - ks) for s in t])
        np.testing.assert_allclose(tc.kappa[:, b], want_k, rtol=1e-8, atol=1e-9)
    ds = tc.to_xarray()
    assert ds["kappa"].shape == (7, 2, 2)


@pytest.mark.parametrize("phi", ["tanh", "erf"])
def test_integrate_rotation_against_polar_equations(phi: str) -> None:
    r"""Rotation field: :math:`\dot r = -r + a\,r\,g(r^2)`, :math:`\dot\theta = b\,g(r^2)`.

    Integrated separately (scalar gain) and compared with the latent trajectory.
    """
    a, b = 1.6, 0.8
    dyn = _one_component(np.array([[a, -b], [b, a]]), phi=phi)
    t = np.linspace(0.0, 8.0, 9)
    k0 = np.array([0.2, 0.1])
    tr = integrate_latent(dyn, k0, t)

    def polar(_s: float, y: np.ndarray) -> list[float]:
        g = gaussian.gain(phi, y[0] ** 2)
        return [-y[0] + a * y[0] * g, b * g]

    y0 = [float(np.hypot(*k0)), float(np.arctan2(k0[1], k0[0]))]
    sol = solve_ivp(polar, (0, 8), y0, t_eval=t, rtol=1e-12, atol=1e-13, method="DOP853")
    want = sol.y[0][:, None] * np.c_[np.cos(sol.y[1]), np.sin(sol.y[1])]
    np.testing.assert_allclose(tr.kappa[:, 0], want, atol=1e-8)


def test_integrate_latent_errors() -> None:
    dyn = _one_component(np.diag([1.2, 1.6]))
    with pytest.raises(ValueError, match="kappa0"):
        integrate_latent(dyn, [0.1, 0.2, 0.3], [0.0, 1.0])
    with pytest.raises(ValueError, match="`t`"):
        integrate_latent(dyn, [0.1, 0.2], [0.0, 1.0, 1.0])


def test_find_roots_ghost_of_a_saddle_node() -> None:
    r"""Saddle-node normal form :math:`F = (\mu + x^2, -y)`.

    mu = -0.01: a stable node at (-0.1, 0) and a saddle at (0.1, 0). mu = +0.01: no root, the
    ghost at the origin is a slow point with :math:`|F| = \mu`.
    """

    def make(mu: float):  # type: ignore[no-untyped-def]
        def f(X: np.ndarray) -> np.ndarray:
            return np.c_[mu + X[:, 0] ** 2, -X[:, 1]]

        def jac(X: np.ndarray) -> np.ndarray:
            J = np.zeros((X.shape[0], 2, 2))
            J[:, 0, 0] = 2 * X[:, 0]
            J[:, 1, 1] = -1.0
            return J

        return f, jac

    X0 = np.random.default_rng(0).uniform(-1, 1, (40, 2))
    rs = _solvers.find_roots(*make(-0.01), X0, tol=1e-12)
    fixed = rs.kind == "fixed"
    assert fixed.sum() == 2
    order = np.argsort(rs.points[fixed, 0])
    np.testing.assert_allclose(rs.points[fixed][order], [[-0.1, 0.0], [0.1, 0.0]], atol=1e-12)
    assert rs.stability[fixed][order].tolist() == ["stable", "unstable"]
    ghost = _solvers.find_roots(*make(0.01), X0, tol=1e-12)
    assert np.all(ghost.kind == "slow")
    assert len(ghost.points) == 1
    np.testing.assert_allclose(ghost.points[0], 0.0, atol=1e-4)
    assert abs(ghost.residual[0] - 0.01) < 1e-8


def test_network_from_realization_refuses_noise_and_other_timescales() -> None:
    """A noisy network, or one on another clock, is not its latent field: refused."""
    ens = LowRankEnsemble(n=60, rank=2, n_inputs=1, mixture=_random_mixture(21))
    with pytest.raises(ValueError, match=r"noise sigma = 0\.5"):
        NetworkLatentDynamics.from_realization(
            realize(RateNetwork(ensemble=ens, sigma=0.5), Seeds())
        )
    with pytest.raises(ValueError, match="tau = 1"):
        NetworkLatentDynamics.from_realization(realize(RateNetwork(ensemble=ens, tau=2.0), Seeds()))
