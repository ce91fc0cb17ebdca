"""Context dependence of the two linearizations (Pagan, Valente, Ostojic & Brody, arXiv:2309.04030).

Every number of :func:`run_context` is checked by a second route: the operating point by the
field written out with numpy, the input-vector cosine by the gains alone (the sensory entries
are independent of the gains, so they add sampling noise of a delta-method standard error),
the drives and eigenvalues of a purely low-rank network by the R x R eigenproblem of
``N^T D M / n``, and the mode response by an eigendecomposition of ``A_r`` of its own.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from randrnn.experiments.context import (
    ContextResult,
    ContextSettings,
    context_mixture,
    context_network,
    run_context,
)

EPS = float(np.finfo(float).eps)


@pytest.fixture(scope="module")
def result() -> ContextResult:
    return run_context(ContextSettings(n=300))


@pytest.fixture(scope="module")
def low_rank() -> dict[int, ContextResult]:
    return {R: run_context(ContextSettings(n=300, g=0.0, rank=R)) for R in (1, 2)}


def test_operating_point_is_a_stable_fixed_point_of_the_field_written_out(result):
    real, _B, C = context_network(result.settings)
    for c in range(2):
        x = result.x_star[c]
        u = result.u_context[c]
        F = -x + real.J @ np.tanh(x) + C @ u
        assert np.linalg.norm(F) <= result.fixed_points[c].tol
        assert result.kind[c] == "fixed"
        assert result.stability[c] == "stable"
        assert result.eigenvalues[c, 0].real < 0
    # the context is the only difference between the two operating points
    np.testing.assert_array_equal(result.u_context, result.settings.context_strength * np.eye(2))


def test_context_saturates_the_gated_population(result):
    g = result.mean_gain  # (context, population)
    # context 1 gates population 2 off and context 2 population 1: the gated population's
    # gain is far below the active one's
    assert g[0, 1] < g[0, 0]
    assert g[1, 0] < g[1, 1]
    # the gains are those of tanh at the operating point, population by population
    pop = np.asarray(result.population)
    for c in range(2):
        sech2 = 1.0 / np.cosh(result.x_star[c]) ** 2
        for p in range(2):
            assert g[c, p] == pytest.approx(sech2[pop == p].mean(), rel=1e-12)


def test_b_x_is_identical_across_contexts(result):
    L0, L1 = result.linearizations
    np.testing.assert_array_equal(L0.b_x, L1.b_x)
    np.testing.assert_array_equal(result.cos_b_x, [1.0, 1.0])


def test_b_r_changes_by_the_gain_change(result):
    """cos(D1 b, D2 b) against cos(d1, d2): b_i^2 is independent of the gains (mean 1, var 2)."""
    L0, L1 = result.linearizations
    d1, d2 = L0.gain, L1.gain
    a, p, q = d1 * d2, d1**2, d2**2
    cos_d = a.sum() / np.sqrt(p.sum() * q.sum())
    # delta method: b_i^2 = 1 + e_i, Var e_i = 2
    coef = a / a.sum() - p / (2 * p.sum()) - q / (2 * q.sum())
    se = cos_d * np.sqrt(2.0 * np.sum(coef**2))
    margin = 1.0 - cos_d - 4.0 * se
    assert margin > 0  # the gain change alone guarantees a visible change of b_r
    for k in range(2):
        b = L0.b_x[:, k]
        direct = (d1 * b) @ (d2 * b) / (np.linalg.norm(d1 * b) * np.linalg.norm(d2 * b))
        assert result.cos_b_r[k] == pytest.approx(direct, abs=1e-14)
        assert abs(result.cos_b_r[k] - cos_d) <= 4.0 * se
        assert result.cos_b_r[k] < 1.0 - margin


def test_drives_equal_in_both_coordinates(result):
    assert np.all(result.drive_agreement < 1e-10)
    for lin in result.linearizations:
        scale = np.abs(lin.drive_x).max()
        assert np.abs(lin.drive_x - lin.drive_r).max() / scale < 1e-10


def test_relations_hold(result):
    for c in range(2):
        assert result.relations[c]["n_silent"] == 0
        assert result.max_relation(c) < 1e-10


def test_mode_response_from_an_independent_eigendecomposition_of_A_r(result):
    """v l^T b / (l^T v) is scale-free: in rates it is D times the one in activations."""
    for c in range(2):
        lin = result.linearizations[c]
        Ar = lin.A_r
        lam, V = np.linalg.eig(Ar)
        lamL, Lv = np.linalg.eig(Ar.T)
        i, j = np.argmax(lam.real), np.argmax(lamL.real)
        assert lam[i] == pytest.approx(result.eigenvalues[c, 0], abs=1e-12)
        v, left = V[:, i], Lv[:, j]
        resp_r = np.outer(v, left @ lin.b_r) / (left @ v)  # (n, inputs)
        vx, lx = result.right_x[c, :, 0], result.left_x[c, :, 0]
        resp_x = np.outer(vx, lx @ lin.b_x)  # l_x^T v_x = 1
        # first-order eigenvector error: n eps |A| |l||v| / (|l^T v| gap)
        gap = lam.real[i] - np.sort(lam.real)[-2]
        kappa = np.linalg.norm(left) * np.linalg.norm(v) / abs(left @ v)
        tol = Ar.shape[0] * EPS * np.linalg.norm(Ar, 2) * kappa / gap
        err = np.abs(resp_r - lin.gain[:, None] * resp_x).max() / np.abs(resp_r).max()
        assert err < tol


def test_context_selects_the_sensory_input(result, low_rank):
    for res in (result, *low_rank.values()):
        d = res.abs_drive[:, 0, :]
        assert d[0, 0] > d[0, 1]
        assert d[1, 1] > d[1, 0]
        assert res.design_works
        np.testing.assert_array_equal(res.selected_input, [0, 1])
        assert np.all(res.selectivity > 1)


@pytest.mark.parametrize("rank", [1, 2])
def test_purely_low_rank_limit_matches_the_latent_eigenproblem(low_rank, rank):
    """g = 0: slow mode v = M a, l = D N b; K = N^T D M / n, K a = mu a, b^T K = mu b^T."""
    res = low_rank[rank]
    real, B, _C = context_network(res.settings)
    assert real.coupling is not None
    assert real.coupling.low_rank is not None
    M, N = real.coupling.low_rank
    n = res.n
    for c in range(2):
        lin = res.linearizations[c]
        d = lin.gain
        K = N.T @ (d[:, None] * M) / n
        mu, A = np.linalg.eig(K)
        Bl = np.linalg.inv(A).T
        j = int(np.argmax(mu.real))
        v, left = M @ A[:, j], d * (N @ Bl[:, j])
        drive = np.linalg.norm(v) * (left @ B) / (left @ v)
        # the n - R bulk eigenvalues are all -1: the eigenbasis is ill-conditioned, and the
        # left vectors (rows of its inverse) carry an error of n eps cond(V)
        tol = n * EPS * np.linalg.cond(lin.right_x)
        assert res.eigenvalues[c, 0] == pytest.approx(mu[j] - 1.0, abs=n * EPS)
        np.testing.assert_allclose(np.abs(res.drive_x[c, 0]), np.abs(drive), rtol=tol)
        np.testing.assert_allclose(np.abs(res.drive_r[c, 0]), np.abs(drive), rtol=tol)
    if rank == 1:
        # l_r is proportional to n in both contexts; l_x = D n follows the gains
        L0, L1 = res.linearizations
        tol = n * EPS * max(np.linalg.cond(L.right_x) for L in res.linearizations)
        assert res.cos_left_r[0] == pytest.approx(1.0, abs=tol)
        a, b = L0.gain * N[:, 0], L1.gain * N[:, 0]
        cos_dn = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
        assert res.cos_left_x[0] == pytest.approx(cos_dn, abs=tol)
        assert res.cos_left_x[0] < res.cos_left_r[0]


def test_selection_vector_is_more_stable_in_activities_for_the_shared_mode(result):
    assert result.cos_left_r[0] > result.cos_left_x[0]


def test_mixture_design():
    s = ContextSettings(n=40, rank=2, overlap=1.5, input_overlap=0.5)
    mix = context_mixture(s)
    assert mix.dim == 2 * 2 + 4
    # population p: cov(m_p, n_p) = overlap, cov(n_p, I_sp) = input_overlap; context 1 - p
    # has mean 1 on p
    for p in range(2):
        cov = mix.covariances[p]
        assert cov[p, 2 + p] == 1.5
        assert cov[2 + p, 4 + p] == 0.5
        assert cov[1 - p, 2 + (1 - p)] == 0.0
        assert mix.means[p, 6 + (1 - p)] == 1.0
        assert mix.means[p, 6 + p] == 0.0
    real, _B, C = context_network(s)
    comp = real.coupling.component
    np.testing.assert_array_equal(C[:, 0], (comp == 1).astype(float))
    np.testing.assert_array_equal(C[:, 1], (comp == 0).astype(float))


def test_summary_is_strict_json_and_matches_the_result(result):
    s = result.summary()
    text = json.dumps(s, allow_nan=False)
    back = json.loads(text)
    assert back["design_works"] is True
    cos = back["cosine_across_contexts"]
    assert [cos["b_r"]["sensory 1"], cos["b_r"]["sensory 2"]] == result.cos_b_r.tolist()
    assert cos["b_x"] == {"sensory 1": 1.0, "sensory 2": 1.0}
    assert cos["left_r"]["mode 0"] == result.cos_left_r[0]
    for c in range(2):
        ctx = back["contexts"][f"context {c + 1}"]
        mode = ctx["modes"]["mode 0"]
        assert mode["eigenvalue"]["real"] == result.eigenvalues[c, 0].real
        assert mode["abs_drive"]["sensory 2"] == result.abs_drive[c, 0, 1]
        assert mode["drive_r"]["sensory 1"]["real"] == result.drive_r[c, 0, 0].real
        assert ctx["operating_point"]["kind"] == "fixed"
        assert ctx["selected_input"] == f"sensory {c + 1}"
        assert ctx["u_context"][f"context {c + 1}"] == result.settings.context_strength


def test_to_xarray(result):
    ds = result.to_xarray()
    assert dict(ds.sizes) == {
        "context": 2,
        "context_input": 2,
        "unit": result.n,
        "input": 2,
        "mode": result.settings.n_modes,
        "population": 2,
    }
    np.testing.assert_array_equal(ds["b_r"].values[1], result.linearizations[1].b_r)
    np.testing.assert_array_equal(ds["drive_x_real"].values, result.drive_x.real)
    np.testing.assert_array_equal(ds["cos_left_r"].values, result.cos_left_r)
    assert ds.attrs["settings_rank"] == 1
    assert ds.attrs["design_works"] == 1
    assert ds.attrs["max_relation_context_1"] < 1e-10


def test_figure_builds(result):
    from randrnn.report import use_headless_backend

    use_headless_backend()
    import matplotlib.pyplot as plt

    from randrnn.plots.context import context_figure

    fig = context_figure(result)
    try:
        assert len(fig.axes) == 4
        fig.canvas.draw()
        with pytest.raises(ValueError, match="`mode`"):
            context_figure(result, mode=5)
        with pytest.raises(ValueError, match="`sensory`"):
            context_figure(result, sensory=2)
    finally:
        plt.close("all")


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"rank": 3}, "`rank`"),
        ({"n": 10}, "`n`"),
        ({"overlap": 0.0}, "`overlap`"),
        ({"input_overlap": -1.0}, "`input_overlap`"),
        ({"g": -0.1}, "`g`"),
        ({"context_strength": 0.0}, "`context_strength`"),
        ({"n_modes": 0}, "`n_modes`"),
        ({"n": 30, "n_modes": 31}, "`n_modes`"),
        ({"settle_time": -1.0}, "`settle_time`"),
        ({"n_starts": -1}, "`n_starts`"),
        ({"overlap": float("nan")}, "`overlap`"),
    ],
)
def test_bad_settings_raise_a_clear_value_error(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ContextSettings(**kwargs)


def test_bad_types_raise_type_error():
    with pytest.raises(TypeError, match="`n`"):
        ContextSettings(n=300.0)
    with pytest.raises(TypeError, match="`settings`"):
        run_context({"n": 300})
