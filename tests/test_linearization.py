"""The two linearizations at a fixed point against independent eigendecompositions.

For :math:`T\\dot x = -x + W\\phi(x) + Bu` at :math:`x^*` with :math:`D = \\mathrm{diag}\\,
\\phi'(x^*)` (Pagan, Valente, Ostojic & Brody, arXiv:2309.04030; docs/theory.md section 9.2):
:math:`A_x = T^{-1}(-I + WD)`, :math:`A_r = -T^{-1} + DT^{-1}W`, :math:`b_x = T^{-1}B`,
:math:`b_r = Db_x`. The dense matrices are built here from ``J``, ``tau`` and ``phi'`` and
decomposed by ``numpy.linalg.eig`` separately, with numpy's own biorthonormal left vectors
:math:`L = V^{-1}`; :func:`randrnn.fixedpoints.linearize` builds every vector from one
decomposition of the active block instead. Eigenvectors are compared as directions
(:math:`|\\cos| = 1`), and drives through the scale-free component of the input along each
mode, :math:`v\\,(l^T b)`, which obeys :math:`v_r (l_r^T b_r) = D\\,v_x (l_x^T b_x)`.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.linalg import subspace_angles
from scipy.optimize import linear_sum_assignment

from randrnn import GaussianEnsemble, RateNetwork, Seeds, realize
from randrnn.fixedpoints import find_fixed_points, linearize, rate_field
from randrnn.fixedpoints.field import RateField
from randrnn.nonlinearities import Custom

N = 60
TOL = 1e-10


def _network(phi, g, sigma_b, tau, seed=1):  # type: ignore[no-untyped-def]
    net = RateNetwork(ensemble=GaussianEnsemble(n=N, g=g), phi=phi, sigma_b=sigma_b, tau=tau)
    return realize(net, Seeds(coupling=seed, input=seed + 1))


def _distinct_tau(seed=0):  # type: ignore[no-untyped-def]
    """Per-unit time constants, all different (no two silent eigenvalues coincide)."""
    return np.random.default_rng(seed).permutation(np.linspace(0.5, 2.0, N))


def _stable_point(real):  # type: ignore[no-untyped-def]
    fp = find_fixed_points(real, n_random=20)
    fx = fp.select((fp.kind == "fixed") & (fp.stability == "stable"))
    assert len(fx) >= 1
    return fp.field, fx.points[0]


def _dense(field, x):  # type: ignore[no-untyped-def]
    """``A_x``, ``A_r`` and ``D`` written out from ``J``, ``tau`` and ``phi'``."""
    d = np.asarray(field.phi.derivative(x), dtype=float)
    Tinv = np.diag(1.0 / field.tau)
    A_x = Tinv @ (-np.eye(field.n) + field.J @ np.diag(d))
    A_r = -Tinv + np.diag(d) @ Tinv @ field.J
    return A_x, A_r, d


def _eig(A):  # type: ignore[no-untyped-def]
    """numpy's eigenpairs with biorthonormal left vectors (rows of ``L = V^-1``)."""
    lam, V = np.linalg.eig(A)
    return lam, V, np.linalg.inv(V)


def _match(a, b):  # type: ignore[no-untyped-def]
    """Index ``p`` with ``b[p]`` closest to ``a`` (optimal assignment)."""
    _, p = linear_sum_assignment(np.abs(a[:, None] - b[None, :]))
    return p


def _abs_cos(u, v):  # type: ignore[no-untyped-def]
    """|cos| of the angle between complex vectors (columns), 1 for parallel directions."""
    num = np.abs(np.sum(np.conj(u) * v, axis=0))
    return num / (np.linalg.norm(u, axis=0) * np.linalg.norm(v, axis=0))


def _assert_parallel(u, v, tol=TOL):  # type: ignore[no-untyped-def]
    c = _abs_cos(u, v)
    assert np.all(np.abs(1.0 - c) <= tol), float(np.abs(1.0 - c).max())


def _assert_close(a, b, tol=TOL):  # type: ignore[no-untyped-def]
    """``|a - b| <= tol * max|b|`` elementwise."""
    err = np.abs(a - b).max() / np.abs(b).max()
    assert err <= tol, err


def _assert_relations(lin, tol=TOL):  # type: ignore[no-untyped-def]
    rel = lin.relations()
    worst = {k: v for k, v in rel.items() if k != "n_silent" and v > tol}
    assert not worst, worst


def _inputs(seed=3, k=2):  # type: ignore[no-untyped-def]
    return np.random.default_rng(seed).standard_normal((N, k))


# -- all gains positive: the full similarity --------------------------------------------------


def test_tanh_static_input_heterogeneous_tau_against_numpy():
    real = _network("tanh", g=0.8, sigma_b=0.5, tau=_distinct_tau())
    field, x = _stable_point(real)
    B = _inputs()
    lin = linearize(field, x, inputs=B)
    A_x, A_r, d = _dense(field, x)
    assert np.all(d > 0)
    assert not lin.silent_mode.any()
    assert lin.silent_statement() == ""
    _assert_close(lin.A_x, A_x, 1e-15)
    _assert_close(lin.A_r, A_r, 1e-15)
    lx, Vx, Lx = _eig(A_x)
    lr, Vr, Lr = _eig(A_r)
    scale = np.abs(lx).max()
    px, pr = _match(lin.eigenvalues, lx), _match(lin.eigenvalues, lr)
    assert np.abs(lin.eigenvalues - lx[px]).max() <= TOL * scale
    assert np.abs(lin.eigenvalues - lr[pr]).max() <= TOL * scale
    Vx, Lx, Vr, Lr = Vx[:, px], Lx[px].T, Vr[:, pr], Lr[pr].T  # left vectors as columns
    # numpy's two decompositions obey the maps between coordinates ...
    _assert_parallel(Vr, d[:, None] * Vx)
    _assert_parallel(Lr, Lx / d[:, None])
    b_x, b_r = B / field.tau[:, None], d[:, None] * B / field.tau[:, None]
    for j in range(B.shape[1]):
        comp_x = Vx * (Lx.T @ b_x[:, j])[None, :]  # v (l^T b), free of the eigenvector scale
        comp_r = Vr * (Lr.T @ b_r[:, j])[None, :]
        _assert_close(comp_r, d[:, None] * comp_x)
        # ... and linearize's vectors point the same way, with the same mode components
        lin_x = lin.right_x * lin.drive_x[:, j][None, :]
        lin_r = lin.right_r * lin.drive_r[:, j][None, :]
        _assert_close(lin_x, comp_x)
        _assert_close(lin_r, comp_r)
    for ours, theirs in ((lin.right_x, Vx), (lin.left_x, Lx), (lin.right_r, Vr), (lin.left_r, Lr)):
        _assert_parallel(ours, theirs)
    _assert_close(lin.b_x, b_x, 1e-15)
    _assert_close(lin.b_r, b_r, 1e-15)
    # with every gain positive the drives are equal mode by mode
    _assert_close(lin.drive_r, lin.drive_x)
    _assert_relations(lin)


# -- silent units: singular D ----------------------------------------------------------------


@pytest.fixture(scope="module")
def relu_point():  # type: ignore[no-untyped-def]
    real = _network("relu", g=0.8, sigma_b=1.0, tau=_distinct_tau())
    field, x = _stable_point(real)
    return field, x


def test_relu_silent_units_against_numpy(relu_point):
    field, x = relu_point
    B = _inputs()
    lin = linearize(field, x, inputs=B)
    A_x, A_r, d = _dense(field, x)
    Z = np.flatnonzero(d == 0)
    assert 5 <= Z.size <= N - 5
    sil = lin.silent_mode
    assert int(sil.sum()) == Z.size
    # exact eigenvalues -1/tau_j of the silent units
    np.testing.assert_array_equal(np.sort(lin.eigenvalues[sil].real), np.sort(-1.0 / field.tau[Z]))
    assert np.all(lin.eigenvalues[sil].imag == 0)
    lx, Vx, Lx = _eig(A_x)
    lr, Vr, Lr = _eig(A_r)
    scale = np.abs(lx).max()
    # distinct tau: the spectrum is simple, so every mode is compared with numpy
    gaps = np.abs(lin.eigenvalues[:, None] - lin.eigenvalues[None, :]) + np.eye(N)
    assert gaps.min() > 1e-4
    px, pr = _match(lin.eigenvalues, lx), _match(lin.eigenvalues, lr)
    assert np.abs(lin.eigenvalues - lx[px]).max() <= TOL * scale
    assert np.abs(lin.eigenvalues - lr[pr]).max() <= TOL * scale
    Vx, Lx, Vr, Lr = Vx[:, px], Lx[px].T, Vr[:, pr], Lr[pr].T
    for ours, theirs in ((lin.right_x, Vx), (lin.left_x, Lx), (lin.right_r, Vr), (lin.left_r, Lr)):
        _assert_parallel(ours, theirs)
    act = ~sil
    S = d > 0
    # active modes: v_r = D v_x, l_x = D l_r, l_r = D^-1 l_x on the active units
    _assert_parallel(Vr[:, act], d[:, None] * Vx[:, act])
    _assert_parallel(Lx[:, act], d[:, None] * Lr[:, act])
    _assert_parallel(Lr[S][:, act], Lx[S][:, act] / d[S][:, None])
    # silent modes: D v_x = 0 (v_x = e_j) while v_r is not 0; l_r = e_j
    assert np.all(np.abs(d[:, None] * lin.right_x[:, sil]) == 0)
    assert np.all(np.linalg.norm(lin.right_r[:, sil], axis=0) > 0.0)
    assert np.all(np.linalg.norm(Vr[:, sil], axis=0) > 0.0)
    np.testing.assert_array_equal(np.abs(lin.right_x[:, sil]).sum(axis=0), 1.0)
    b_x = B / field.tau[:, None]
    b_r = d[:, None] * b_x
    for j in range(B.shape[1]):
        comp_x = Vx * (Lx.T @ b_x[:, j])[None, :]
        comp_r = Vr * (Lr.T @ b_r[:, j])[None, :]
        _assert_close(comp_r[:, act], d[:, None] * comp_x[:, act])
        # silent modes get no drive in activity coordinates (numpy's and ours) ...
        assert np.abs(Lr[:, sil].T @ b_r[:, j]).max() <= TOL * np.abs(b_r).max()
        np.testing.assert_array_equal(lin.drive_r[sil, j], 0.0)
        # ... but do in activation coordinates
        assert np.abs(lin.drive_x[sil, j]).max() > 0.1 * np.abs(lin.drive_x[act, j]).max()
        lin_x = lin.right_x * lin.drive_x[:, j][None, :]
        _assert_close(lin_x, comp_x)
        lin_r = lin.right_r[:, act] * lin.drive_r[act, j][None, :]
        _assert_close(lin_r, comp_r[:, act])
    _assert_relations(lin)
    assert lin.relations()["n_silent"] == Z.size
    assert lin.silent_statement() != ""
    assert f"{Z.size} silent" in lin.silent_statement()


def test_relu_silent_units_with_equal_tau_span_the_invariant_subspace():
    real = _network("relu", g=0.8, sigma_b=1.0, tau=0.7)
    field, x = _stable_point(real)
    lin = linearize(field, x, inputs=_inputs(k=1))
    A_x, A_r, d = _dense(field, x)
    Z = np.flatnonzero(d == 0)
    sil = lin.silent_mode
    assert Z.size >= 5
    assert int(sil.sum()) == Z.size
    np.testing.assert_array_equal(lin.eigenvalues[sil], -1.0 / 0.7)
    # numpy's eigenvectors of the repeated eigenvalue -1/tau span what linearize returns
    lx, Vx, Lx = _eig(A_x)
    lr, Vr, Lr = _eig(A_r)
    scale = np.abs(lx).max()
    cx = np.flatnonzero(np.abs(lx + 1.0 / 0.7) < 1e-8)
    cr = np.flatnonzero(np.abs(lr + 1.0 / 0.7) < 1e-8)
    assert cx.size == Z.size
    assert cr.size == Z.size
    E_Z = np.eye(N)[:, Z]
    for ours, theirs in (
        (lin.right_x[:, sil], Vx[:, cx]),  # span{e_j : j silent}
        (lin.right_x[:, sil], E_Z),
        (lin.left_r[:, sil], Lr[cr].T),  # left: span{e_j : j silent}
        (lin.left_r[:, sil], E_Z),
        (lin.right_r[:, sil], Vr[:, cr]),
        (lin.left_x[:, sil], Lx[cx].T),
    ):
        assert subspace_angles(ours, theirs).max() < 1e-9
    # the active spectrum is simple: mode by mode as before
    act = ~sil
    pa = _match(lin.eigenvalues[act], lx)
    assert np.abs(lin.eigenvalues[act] - lx[pa]).max() <= TOL * scale
    _assert_parallel(lin.right_x[:, act], Vx[:, pa])
    _assert_parallel(lin.left_x[:, act], Lx[pa].T)
    _assert_relations(lin)


def test_saturated_tanh_with_gain_tol_treats_tiny_gains_as_silent():
    # a large static input saturates a share of the units: gains below 1e-6
    real = _network("tanh", g=0.8, sigma_b=6.0, tau=_distinct_tau(1))
    field, x = _stable_point(real)
    A_x, _, d = _dense(field, x)
    gain_tol = 1e-6
    small = d <= gain_tol
    assert small.sum() >= 5
    assert np.all(d > 0)
    exact = linearize(field, x)
    assert not exact.silent_mode.any()
    lin = linearize(field, x, inputs=_inputs(), gain_tol=gain_tol)
    assert int(lin.silent_mode.sum()) == int(small.sum())
    np.testing.assert_array_equal(lin.gain[small], 0.0)
    np.testing.assert_array_equal(lin.gain[~small], d[~small])
    np.testing.assert_array_equal(
        np.sort(lin.eigenvalues[lin.silent_mode].real), np.sort(-1.0 / field.tau[small])
    )
    _assert_relations(lin)
    # Bauer-Fike: the truncated spectrum lies within cond(V) |A_x - A_x'|_2 of the exact one
    dA = np.linalg.norm(A_x - lin.A_x, 2)
    assert 0 < dA <= gain_tol * np.linalg.norm(field.J, 2) / field.tau.min()
    cond = np.linalg.cond(lin.right_x)
    lx = np.linalg.eigvals(A_x)
    p = _match(lin.eigenvalues, lx)
    assert np.abs(lin.eigenvalues - lx[p]).max() <= cond * dA * (1 + 1e-6)


# -- relations are algebraic: valid away from a fixed point, and they can fail --------------


def test_relations_hold_away_from_a_fixed_point_and_detect_a_wrong_vector(relu_point):
    field, x = relu_point
    rng = np.random.default_rng(7)
    x_off = x + 0.3 * rng.standard_normal(N)
    assert np.linalg.norm(field(x_off)) > 1.0  # not a fixed point
    lin = linearize(field, x_off, inputs=_inputs())
    assert lin.silent_mode.any()
    _assert_relations(lin)
    lin_t = linearize(rate_field(_network("tanh", 0.8, 0.5, _distinct_tau())), rng.normal(size=N))
    _assert_relations(lin_t)
    # perturb one active right eigenvector in activity coordinates
    bad = lin.right_r.copy()
    bad[:, 0] += 1e-3 * rng.standard_normal(N)
    rel = dataclasses.replace(lin, right_r=bad).relations()
    assert rel["eig_right_r"] > 1e-6
    assert rel["right_map"] > 1e-6
    assert rel["biorth_r"] > 1e-6
    bad_l = lin.left_x.copy()
    bad_l[:, 1] *= 1.0 + 1e-3
    rel = dataclasses.replace(lin, left_x=bad_l).relations()
    assert rel["biorth_x"] > 1e-6
    assert rel["left_map"] > 1e-6


# -- bad input -------------------------------------------------------------------------------


def test_decreasing_phi_is_refused():
    phi = Custom(lambda v: -np.tanh(v), deriv=lambda v: np.tanh(v) ** 2 - 1.0, label="negtanh")
    net = RateNetwork(ensemble=GaussianEnsemble(n=8, g=0.5), phi=phi)
    field = rate_field(realize(net))
    with pytest.raises(ValueError, match="negative gains"):
        linearize(field, np.zeros(8))


def test_bad_shapes_are_refused():
    field = rate_field(_network("tanh", 0.5, 0.0, 1.0))
    x = np.zeros(N)
    with pytest.raises(ValueError, match="`x_star`"):
        linearize(field, np.zeros(N + 1))
    with pytest.raises(ValueError, match="`inputs`"):
        linearize(field, x, inputs=np.ones((N + 1, 2)))
    with pytest.raises(ValueError, match="`inputs`"):
        linearize(field, x, inputs=np.ones(N - 1))
    with pytest.raises(ValueError, match="gain_tol"):
        linearize(field, x, gain_tol=-1.0)
    with pytest.raises(TypeError, match="`field`"):
        linearize(field.J, x)  # type: ignore[arg-type]
    assert isinstance(field, RateField)
