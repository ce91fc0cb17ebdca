"""The fixed-point finder on networks whose fixed points are known by a second route.

A pure low-rank network :math:`J = M N^T / n` (Beiran, Dubreuil, Valente, Mastrogiuseppe &
Ostojic, arXiv:2007.02062; docs/theory.md section 7) has every fixed point of the form
:math:`x = M\\kappa + b` with the R-dimensional equation
:math:`\\kappa = N^T \\phi(M\\kappa + b) / n`, exactly at finite ``n``. That equation is solved
here by algorithms other than the finder's batched Newton in ``n`` dimensions: bracketing and
``brentq`` in one dimension (rank one), ``scipy.optimize.root`` from a dense grid of latent
starts (rank two) and a polar decomposition into a radial and a tangential equation (the
degenerate rank-two "ring"). The Jacobian :math:`-I + M N^T D / n` has the eigenvalue -1 on the
complement of span(M) and the eigenvalues of the R x R matrix :math:`N^T D M / n - I` on it, so
stability is known in the latent space too. A ReLU fixed point solves a linear system once its
active set is known; fixed points do not depend on the time constants.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import brentq, root

from randrnn import GaussianEnsemble, RateNetwork, Seeds, gaussian, realize
from randrnn.ensembles.lowrank import GaussianMixture, LowRankEnsemble
from randrnn.fixedpoints import find_fixed_points, random_starts, rate_field

N_UNITS = 200
N_STARTS = 200


def _mixture(rhos: tuple[float, ...], noise: float = 1.0) -> GaussianMixture:
    """Zero-mean loadings with ``m_r ~ N(0, 1)`` and ``n_r = rho_r m_r + sqrt(noise) xi_r``."""
    R = len(rhos)
    C = np.eye(2 * R)
    for r, rho in enumerate(rhos):
        C[r, R + r] = C[R + r, r] = rho
        C[R + r, R + r] = rho**2 + noise
    return GaussianMixture(weights=[1.0], means=[[0.0] * (2 * R)], covariances=[C])


def _lowrank(rhos: tuple[float, ...], seed: int, **network):  # type: ignore[no-untyped-def]
    ens = LowRankEnsemble(n=N_UNITS, rank=len(rhos), mixture=_mixture(rhos))
    return realize(RateNetwork(ensemble=ens, phi="tanh", **network), Seeds(coupling=seed))


def _wide_starts(real):  # type: ignore[no-untyped-def]
    """Random starts of per-unit size ``|J|_2``.

    Every fixed point obeys :math:`|x - b| = |J\\phi(x)| \\le |J|_2 |\\phi(x)|`, and
    :math:`|\\phi(x)| \\le \\sqrt n` for tanh, so this scale covers the region of the fixed
    points; every start has the largest size (the default starts spread theirs log-uniformly).
    """
    return random_starts(real, N_STARTS, scale=float(np.linalg.norm(real.J, 2)), seed=0)


def _fixed(fp):  # type: ignore[no-untyped-def]
    return fp.select(fp.kind == "fixed")


def _assert_matched(found, expected, tol=1e-9):  # type: ignore[no-untyped-def]
    """Every expected point is matched by a distinct found one (max-norm, relative)."""
    assert found.shape == expected.shape, (found.shape, expected.shape)
    if expected.shape[0] == 0:
        return np.zeros(0, dtype=int)
    d = np.abs(found[:, None, :] - expected[None, :, :]).max(axis=2)
    d /= 1.0 + np.abs(expected).max(axis=1)[None, :]
    pick = d.argmin(axis=0)
    worst = float(d[pick, np.arange(expected.shape[0])].max())
    assert worst <= tol, f"worst distance found-expected {worst:.3g}"
    assert np.unique(pick).size == expected.shape[0]
    return pick


def _latent_eigenvalues(M, N, x):  # type: ignore[no-untyped-def]
    """Eigenvalues of the Jacobian on span(M): those of ``N^T D M / n - I``."""
    d = 1.0 - np.tanh(x) ** 2
    return np.linalg.eigvals((N.T * d) @ M / M.shape[0] - np.eye(M.shape[1]))


def _assert_stability_from_latent(fp, M, N):  # type: ignore[no-untyped-def]
    """The finder's spectrum contains the latent eigenvalues and -1; labels follow them."""
    for k in range(len(fp)):
        lat = _latent_eigenvalues(M, N, fp.points[k])
        ev = fp.eigenvalues[k]
        for mu in lat:
            assert np.abs(ev - mu).min() <= 1e-9 * (1.0 + abs(mu))
        # all other eigenvalues are -1 (the complement of span(M))
        rest = np.sort_complex(ev)[: ev.size - lat.size]
        assert np.abs(rest + 1.0).max() < 1e-6
        want = "stable" if lat.real.max() < 0 else "unstable"
        assert fp.stability[k] == want


# -- rank one: the 1-D self-consistency ------------------------------------------------------


def _rank_one_kappas(m, nvec):  # type: ignore[no-untyped-def]
    """All roots of ``h(k) = n . tanh(m k) / N - k`` (fine grid, sign changes, brentq).

    ``|n . tanh(m k)| / N <= sum|n_i| / N`` bounds every root; k = 0 is an exact root.
    """
    N = m.size

    def h(k):  # type: ignore[no-untyped-def]
        return np.tanh(np.multiply.outer(np.atleast_1d(k), m)) @ nvec / N - np.atleast_1d(k)

    K = 1.01 * float(np.abs(nvec).sum()) / N
    half = np.linspace(0.0, K, 10_001)[1:]
    grid = np.concatenate([-half[::-1], [0.0], half])
    hv = h(grid)
    roots = list(grid[hv == 0.0])
    for i in np.flatnonzero(hv[:-1] * hv[1:] < 0):
        roots.append(brentq(lambda k: float(h(k)[0]), grid[i], grid[i + 1], xtol=1e-15, rtol=1e-15))
    return np.sort(np.asarray(roots))


def _rank_one_slope(m, nvec, kappa):  # type: ignore[no-untyped-def]
    """``h'(kappa)``: the nontrivial Jacobian eigenvalue at ``x = m kappa``."""
    return float(np.sum(nvec * m * (1.0 - np.tanh(m * kappa) ** 2)) / m.size) - 1.0


@pytest.mark.parametrize(("rho", "n_expected"), [(2.0, 3), (0.5, 1)])
def test_rank_one_fixed_points_match_the_one_dimensional_equation(rho, n_expected):
    real = _lowrank((rho,), seed=3)
    M, N = real.coupling.low_rank
    m, nvec = M[:, 0], N[:, 0]
    kappas = _rank_one_kappas(m, nvec)
    assert kappas.size == n_expected  # (bistable: 0 and +-; monostable: 0)
    fp = find_fixed_points(real, starts=_wide_starts(real), n_random=0)
    fx = _fixed(fp)
    assert fx.residual.max() < 1e-10
    # the finder's points, projected on the latent variable, solve the 1-D equation
    pick = _assert_matched(fx.points, np.outer(kappas, m))
    for j, kappa in enumerate(kappas):
        k = pick[j]
        slope = _rank_one_slope(m, nvec, kappa)
        # the nontrivial eigenvalue is h'(kappa), every other one is -1
        assert np.abs(fx.eigenvalues[k] - slope).min() <= 1e-9
        assert fx.stability[k] == ("stable" if slope < 0 else "unstable")
    _assert_stability_from_latent(fx, M, N)


def test_rank_one_default_random_starts_on_monostable_network():
    real = _lowrank((0.5,), seed=3)
    fp = find_fixed_points(real, n_random=N_STARTS)
    fx = _fixed(fp)
    assert len(fx) == 1
    assert fx.stability[0] == "stable"
    assert np.abs(fx.points[0]).max() < 1e-12


def test_rank_one_bistable_found_from_default_random_starts():
    # the default starts reach per-unit sizes up to |J|_2 sup|phi|: the nontrivial points of a
    # low-rank J (|kappa| ~ 1) are inside, although the rms row norm of J is only ~ 0.16
    real = _lowrank((2.0,), seed=3)
    M, N = real.coupling.low_rank
    kappas = _rank_one_kappas(M[:, 0], N[:, 0])
    fx = _fixed(find_fixed_points(real, n_random=N_STARTS))
    _assert_matched(fx.points, np.outer(kappas, M[:, 0]))


# -- rank two: the 2-D self-consistency ------------------------------------------------------


def _latent_roots(M, N, b, n_grid=25):  # type: ignore[no-untyped-def]
    """Roots of ``G(k) = N^T tanh(M k + b) / n - k`` from a grid of latent starts (hybr)."""
    n, R = M.shape

    def G(k):  # type: ignore[no-untyped-def]
        return N.T @ np.tanh(M @ k + b) / n - k

    def dG(k):  # type: ignore[no-untyped-def]
        d = 1.0 - np.tanh(M @ k + b) ** 2
        return (N.T * d) @ M / n - np.eye(R)

    K = np.abs(N).sum(axis=0) / n  # |kappa_r| <= sum_i |n_ir| / n
    axes = [np.linspace(-K[r], K[r], n_grid) for r in range(R)]
    roots: list[np.ndarray] = []
    for k0 in itertools.product(*axes):
        sol = root(G, np.asarray(k0), jac=dG, method="hybr", options={"xtol": 1e-14})
        if not (sol.success and np.linalg.norm(G(sol.x)) < 1e-12):
            continue
        if all(np.abs(sol.x - r).max() > 1e-8 for r in roots):
            roots.append(sol.x)
    return np.asarray(roots).reshape(-1, R)


@pytest.mark.parametrize(
    ("rhos", "sigma_b", "n_expected"),
    [((2.0, 3.0), 0.0, 5), ((2.0, 3.0), 0.3, None)],
    ids=["symmetric", "static_input"],
)
def test_rank_two_fixed_points_match_the_latent_equation(rhos, sigma_b, n_expected):
    real = _lowrank(rhos, seed=5, sigma_b=sigma_b)
    M, N = real.coupling.low_rank
    kappas = _latent_roots(M, N, real.b)
    if n_expected is not None:
        # 0, +-axis 1, +-axis 2 (rho_1 != rho_2: no mixed states)
        assert kappas.shape[0] == n_expected
    else:
        assert kappas.shape[0] >= 1
    fx = _fixed(find_fixed_points(real, starts=_wide_starts(real), n_random=0))
    assert fx.residual.max() < 1e-10
    _assert_matched(fx.points, kappas @ M.T + real.b)
    _assert_stability_from_latent(fx, M, N)


# -- degenerate rank two: a ring at n -> inf, a few fixed points at finite n -----------------


def test_degenerate_rank_two_points_lie_on_the_finite_size_ring():
    rho = 2.5
    real = _lowrank((rho, rho), seed=5)
    M, N = real.coupling.low_rank
    n = N_UNITS

    def unit(th):  # type: ignore[no-untyped-def]
        return np.array([np.cos(th), np.sin(th)]), np.array([-np.sin(th), np.cos(th)])

    def radius(th):  # type: ignore[no-untyped-def]
        # radial part of kappa = N^T tanh(M kappa) / n at kappa = r u(theta)
        u, _ = unit(th)
        return brentq(lambda r: u @ (N.T @ np.tanh(r * (M @ u))) / n - r, 1e-6, 20.0, xtol=1e-15)

    def tangential(th):  # type: ignore[no-untyped-def]
        u, w = unit(th)
        return w @ (N.T @ np.tanh(radius(th) * (M @ u))) / n

    # independent count: fixed points on the ring are the zeros of the tangential part
    thetas = np.linspace(-np.pi, np.pi, 721)
    tang = np.array([tangential(t) for t in thetas])
    n_ring = int(np.sum(np.sign(tang[1:]) != np.sign(tang[:-1])))
    radii = np.array([radius(t) for t in thetas])

    fp = find_fixed_points(real, starts=_wide_starts(real), n_random=0)
    fx = _fixed(fp)
    kap = (N.T @ np.tanh(fp.points.T)).T / n
    r_found = np.linalg.norm(kap, axis=1)
    th_found = np.arctan2(kap[:, 1], kap[:, 0])
    on_ring = r_found > 1e-6
    assert len(fx) == 1 + n_ring
    assert int(np.sum(on_ring[fp.kind == "fixed"])) == n_ring
    # exact at finite n: a fixed point's radius is the root of the radial equation at its angle
    for k in np.flatnonzero(on_ring & (fp.kind == "fixed")):
        assert abs(r_found[k] - radius(th_found[k])) < 1e-9
        assert abs(tangential(th_found[k])) < 1e-9

    # n -> inf: 1 = rho <tanh'>(r^2); the finite-n radius deviates by delta f / |df/dr|, with
    # delta f the standard error of the mean over units of (u.n_i) tanh(r u.m_i)
    r_inf = brentq(lambda r: rho * gaussian.gain("tanh", r * r) - 1.0, 1e-6, 20.0, xtol=1e-14)
    h = 1e-5

    def f_inf(r):  # type: ignore[no-untyped-def]
        return rho * r * gaussian.gain("tanh", r * r) - r

    slope = (f_inf(r_inf + h) - f_inf(r_inf - h)) / (2 * h)
    sd = np.array(
        [np.std((N @ unit(t)[0]) * np.tanh(r_inf * (M @ unit(t)[0]))) / np.sqrt(n) for t in thetas]
    ) / abs(slope)
    assert np.all(np.abs(radii - r_inf) <= 5.0 * sd)
    # every point found (fixed or slow) away from the origin lies within that spread
    assert np.all(np.abs(r_found[on_ring] - r_inf) <= 5.0 * sd.max())


# -- ReLU with static input; per-unit time constants; Jacobian vs finite differences --------


def _fd_jacobian(field, x, h=1e-6):  # type: ignore[no-untyped-def]
    """Central differences of ``field`` at ``x`` (column j: d F / d x_j)."""
    E = h * np.eye(x.size)
    return ((field(x + E) - field(x - E)) / (2.0 * h)).T


def _assert_jacobian_matches_fd(field, X, h=1e-6):  # type: ignore[no-untyped-def]
    for x in X:
        A = field.jacobian(x)
        err = np.abs(A - _fd_jacobian(field, x, h)).max() / np.abs(A).max()
        assert err < 1e-6, err


def test_relu_fixed_point_solves_the_linear_system_of_its_active_set():
    net = RateNetwork(ensemble=GaussianEnsemble(n=100, g=0.8), phi="relu", sigma_b=1.0)
    real = realize(net, Seeds(coupling=1))
    fp = find_fixed_points(real, n_random=N_STARTS)
    fx = _fixed(fp)
    assert len(fx) >= 1
    assert fx.residual.max() < 1e-10
    J, b = real.J, real.b
    for x in fx.points:
        S = x > 0
        xs = np.linalg.solve(np.eye(S.sum()) - J[np.ix_(S, S)], b[S])
        exact = J[:, S] @ xs + b
        assert np.all(exact[S] > 0)
        assert np.all(exact[~S] <= 0)
        assert np.abs(x - exact).max() <= 1e-12 * (1.0 + np.abs(exact).max())
    # Jacobian at the fixed points and at random states, away from the kinks
    rng = np.random.default_rng(0)
    X = np.concatenate([fx.points, rng.standard_normal((3, 100))])
    assert np.abs(X).min() > 1e-4  # central differences of step 1e-6 do not cross a kink
    _assert_jacobian_matches_fd(fp.field, X)


def test_fixed_points_do_not_depend_on_time_constants():
    n = N_UNITS
    tau = np.exp(np.random.default_rng(4).uniform(np.log(0.3), np.log(3.0), n))
    ens = LowRankEnsemble(n=n, rank=1, mixture=_mixture((2.0,)), chi=GaussianEnsemble(n=n, g=0.5))
    found = []
    for t in (1.0, tau):
        real = realize(RateNetwork(ensemble=ens, tau=t, sigma_b=0.2), Seeds(coupling=2))
        fp = find_fixed_points(real, starts=_wide_starts(real), n_random=0)
        fx = _fixed(fp)
        assert fx.residual.max() < 1e-10
        found.append(fx)
    one, het = found
    assert len(one) >= 3  # bistable plus the saddle between
    _assert_matched(het.points, one.points, tol=1e-10)
    # a root of one field is a root of the other (F_tau = T^-1 F_1)
    assert np.linalg.norm(one.field(het.points), axis=1).max() < 1e-10
    assert np.linalg.norm(het.field(one.points), axis=1).max() < 1e-10
    # tanh Jacobian with per-unit tau against central differences
    rng = np.random.default_rng(1)
    _assert_jacobian_matches_fd(het.field, np.concatenate([het.points, rng.normal(size=(2, n))]))


# -- bad input -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small():  # type: ignore[no-untyped-def]
    return realize(RateNetwork(ensemble=GaussianEnsemble(n=10, g=0.5), sigma_b=0.5))


def test_bad_starts_shape_is_refused(small):
    with pytest.raises(ValueError, match="`starts`"):
        find_fixed_points(small, starts=np.zeros((3, 11)))
    with pytest.raises(ValueError, match="`starts`"):
        find_fixed_points(small, starts=np.zeros((2, 3, 10)))


def test_inputs_without_u_is_refused(small):
    with pytest.raises(ValueError, match="`inputs`"):
        find_fixed_points(small, inputs=np.ones((10, 1)))
    with pytest.raises(ValueError, match="`u`"):
        rate_field(small, u=[1.0])


def test_origin_of_wrong_length_is_refused(small):
    with pytest.raises(ValueError, match="`origin`"):
        find_fixed_points(small, starts=np.zeros((3, 10)), origin=["simulation"] * 2)


def test_no_starts_is_refused(small):
    with pytest.raises(ValueError, match="n_random"):
        find_fixed_points(small, n_random=0)
