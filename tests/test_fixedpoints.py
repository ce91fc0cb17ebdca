"""Tests of the fixed-point search (randrnn.fixedpoints.search) and its batched solvers.

Independent routes: the Banach iteration of a contracting network, the exact solution of a
linear network, an analytic slow point (a saddle-node ghost) and brentq on a one-unit field.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from randrnn import GaussianEnsemble, RateNetwork, Seeds, realize
from randrnn._fixedpoint import STATUS, batched_levenberg_marquardt, batched_newton
from randrnn.fixedpoints import find_fixed_points, rate_field
from randrnn.networks import Realization


def _custom(J: np.ndarray, b: np.ndarray, phi: str = "tanh", tau: float = 1.0) -> Realization:
    n = J.shape[0]
    net = RateNetwork(ensemble=GaussianEnsemble(n=n, g=0.0), phi=phi, tau=tau)
    return Realization(network=net, seeds=Seeds(), J=J, b=b, tau=np.full(n, tau))


def test_contracting_network_has_one_stable_point_equal_to_the_banach_iterate():
    # g * sup tanh' = 0.5 < 1 (spectral norm ~ 2 g = 1 at most): a unique fixed point
    real = realize(RateNetwork(ensemble=GaussianEnsemble(n=80, g=0.4), sigma_b=0.7), Seeds())
    fp = find_fixed_points(real, n_random=30)
    x = np.zeros(80)
    for _ in range(2000):  # contraction factor <= 0.8: 2000 steps reach rounding
        x = real.J @ np.tanh(x) + real.b
    assert len(fp) == 1
    assert fp.kind[0] == "fixed"
    assert fp.count[0] == 30
    assert fp.residual[0] < 1e-10
    np.testing.assert_allclose(fp.points[0], x, atol=1e-12)
    assert fp.stability[0] == "stable"
    assert fp.n_unstable[0] == 0
    ev = np.linalg.eigvals(-np.eye(80) + real.J * (1 - np.tanh(x) ** 2)[None, :])
    np.testing.assert_allclose(np.sort(fp.eigenvalues[0].real), np.sort(ev.real), atol=1e-12)


def test_linear_network_fixed_point_is_the_linear_solve_and_newton_takes_one_step():
    rng = np.random.default_rng(3)
    J = 0.5 * rng.standard_normal((40, 40)) / np.sqrt(40)
    b = rng.standard_normal(40)
    real = _custom(J, b, phi="linear")
    res = batched_newton(
        rate_field(real),
        rate_field(real).jacobian,
        rng.standard_normal((5, 40)),
        tol=1e-12,
        polish=False,
    )
    assert np.all(res.status == STATUS.index("converged"))
    assert np.all(res.n_iter == 1)
    x = np.linalg.solve(np.eye(40) - J, b)
    np.testing.assert_allclose(res.x, np.broadcast_to(x, (5, 40)), atol=1e-12)


def test_saddle_node_ghost_is_a_slow_point_and_the_other_branch_a_fixed_point():
    # F(x) = -x + 2 tanh x + b: F' = 0 at x_c = arccosh(sqrt 2); with b below the tangency,
    # |F| has a local minimum |F(x_c)| > 0 there (a slow point) and F one root on x < 0
    xc = float(np.arccosh(np.sqrt(2.0)))
    b = -(-xc + 2 * np.tanh(xc)) - 0.01
    real = _custom(np.array([[2.0]]), np.array([b]))
    fp = find_fixed_points(real, n_random=40, seed=1)
    root = brentq(lambda x: -x + 2 * np.tanh(x) + b, -5.0, 0.0)
    fixed, slow = fp.select(fp.kind == "fixed"), fp.select(fp.kind == "slow")
    assert len(fixed) == 1
    assert len(slow) == 1
    assert abs(fixed.points[0, 0] - root) < 1e-12
    assert fixed.stability[0] == "stable"
    # q at the ghost: F(x_c) = -0.01 exactly; its location is the zero of F'
    assert abs(slow.q[0] - 0.5 * 0.01**2) < 1e-12
    assert abs(slow.points[0, 0] - xc) < 1e-5
    assert slow.method[0] == "minimization"


def test_slow_points_can_be_filtered_by_speed():
    xc = float(np.arccosh(np.sqrt(2.0)))
    b = -(-xc + 2 * np.tanh(xc)) - 0.01
    real = _custom(np.array([[2.0]]), np.array([b]))
    fp = find_fixed_points(real, n_random=40, seed=1, slow_q_max=1e-6)
    assert list(fp.kind) == ["fixed"]


def test_duplicates_are_merged_and_counts_add_up():
    real = realize(RateNetwork(ensemble=GaussianEnsemble(n=60, g=1.6)), Seeds(coupling=4))
    fp = find_fixed_points(real, n_random=60)
    s = fp.starts
    assert int(fp.count.sum()) == s["total"] - s["failed"]
    # distinct points are further apart than their merge radius
    d = np.linalg.norm(fp.points[:, None] - fp.points[None], axis=-1)
    off = d[~np.eye(len(fp), dtype=bool)]
    assert off.size == 0 or off.min() > 1e-6
    # odd phi, no input: the set of fixed points is symmetric under x -> -x
    fixed = fp.points[fp.kind == "fixed"]
    for x in fixed:
        assert np.min(np.linalg.norm(fixed + x, axis=1)) < 1e-8


def test_levenberg_marquardt_reaches_roots_and_reports_slow_points():
    # F(x) = x^2 - a per coordinate: roots +-sqrt(a) for a > 0; for a < 0 the minimum of
    # |F| is at x = 0 with q = a^2 / 2 (a slow point)
    a = np.array([1.0, -0.5])

    def f(X):
        return X**2 - a

    def jac(X):
        return np.stack([np.diag(2 * x) for x in X])

    X0 = np.array([[0.7, 0.3], [-2.0, -0.2]])
    res = batched_levenberg_marquardt(f, jac, X0, tol=1e-12, gtol=1e-10)
    assert np.all(res.status == STATUS.index("slow_point"))
    np.testing.assert_allclose(np.abs(res.x[:, 0]), 1.0, atol=1e-8)
    np.testing.assert_allclose(res.x[:, 1], 0.0, atol=1e-6)
    np.testing.assert_allclose(res.residual, 0.5, atol=1e-8)


def test_given_starts_are_labelled_and_to_xarray_carries_flag_meanings():
    real = realize(RateNetwork(ensemble=GaussianEnsemble(n=30, g=0.5), sigma_b=0.3), Seeds())
    fp = find_fixed_points(real, starts=np.zeros((3, 30)), origin="simulation", n_random=2)
    assert fp.starts["simulation"] == 3
    assert fp.starts["random"] == 2
    ds = fp.to_xarray()
    assert ds["kind"].attrs["flag_meanings"] == "fixed slow"
    assert ds["stability"].attrs["flag_meanings"].split()[int(ds["stability"][0])] == "stable"
    assert ds["x_star"].shape == (1, 30)
    assert fp.summary()["n_stable"] == 1


def test_constant_inputs_shift_the_fixed_point():
    real = realize(RateNetwork(ensemble=GaussianEnsemble(n=30, g=0.3)), Seeds())
    B = np.ones((30, 1))
    fp = find_fixed_points(real, inputs=B, u=[0.5], n_random=5)
    x = np.zeros(30)
    for _ in range(500):
        x = real.J @ np.tanh(x) + 0.5
    np.testing.assert_allclose(fp.points[0], x, atol=1e-12)
    assert list(fp.u) == [0.5]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"starts": np.zeros((2, 7))}, r"`starts`"),
        ({"inputs": np.ones((30, 1))}, r"`inputs` .* and `u`"),
        ({"starts": np.zeros((2, 30)), "origin": ["a"]}, r"`origin`"),
        ({"n_random": 0}, r"no starts"),
        ({"tol": -1.0}, r"`tol`"),
    ],
)
def test_bad_input_names_the_argument(kwargs, match):
    real = realize(RateNetwork(ensemble=GaussianEnsemble(n=30, g=0.3)), Seeds())
    with pytest.raises(ValueError, match=match):
        find_fixed_points(real, **kwargs)


def test_batched_gmres_reaches_each_rows_tolerance_and_flags_the_rest():
    from randrnn._fixedpoint import batched_gmres

    rng = np.random.default_rng(5)
    n, B = 80, 6
    A = np.eye(n) - 0.7 * rng.standard_normal((B, n, n)) / np.sqrt(n)
    R = rng.standard_normal((B, n))
    R[2] = 0.0  # a zero right-hand side: solved by zero without iterating

    def matvec(V):
        return np.einsum("bij,bj->bi", A, V)

    rtol = np.array([1e-2, 1e-6, 1e-6, 1e-10, 1e-12, 1e-4])
    Y, conv = batched_gmres(matvec, R, rtol=rtol, maxiter=n)
    assert conv.all()
    rel = np.linalg.norm(matvec(Y) - R, axis=1) / np.maximum(np.linalg.norm(R, axis=1), 1e-300)
    assert np.all(rel[[0, 1, 3, 4, 5]] <= rtol[[0, 1, 3, 4, 5]] * (1 + 1e-6))
    assert np.all(Y[2] == 0.0)
    x = np.linalg.solve(A[4], R[4])
    np.testing.assert_allclose(Y[4], x, rtol=0, atol=1e-9 * np.abs(x).max())
    # three iterations cannot reach 1e-10 on a spectrum of radius 0.7
    _, conv3 = batched_gmres(matvec, R, rtol=np.full(B, 1e-10), maxiter=3)
    assert list(conv3) == [False, False, True, False, False, False]
