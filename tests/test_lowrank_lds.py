"""Low-rank linear RNNs vs latent LDS (Valente, Ostojic & Pillow, arXiv:2110.09804).

docs/theory.md section 7.4. Every conversion is checked against an independent route: the
n-dimensional Lyapunov equations of the RNN itself, a Monte Carlo of both models, the reverse
conversion, or a second Riccati solver.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from randrnn.lowrank.lds import (
    LatentLDS,
    LowRankLinearRNN,
    MarkovGap,
    NotConvertibleError,
    UnstableDynamicsError,
    _riccati_iteration,
    from_dynamax,
    kalman_predicted_cov,
    lds_to_rnn,
    markov_gap,
    output_autocovariance,
    rnn_to_lds,
    to_dynamax,
)

#: relative agreement of two closed forms (solver precision; docs/theory.md 0.6)
EXACT = 1e-10
DISCRETE_LAGS = np.arange(11)
CONTINUOUS_LAGS = np.linspace(0.0, 5.0, 11)


def _lags(time: str) -> np.ndarray:
    return DISCRETE_LAGS if time == "discrete" else CONTINUOUS_LAGS


def _anisotropic(rng: np.random.Generator, n: int) -> np.ndarray:
    L = rng.normal(size=(n, n)) / np.sqrt(n)
    return L @ L.T + np.diag(rng.uniform(0.1, 0.5, n))


def _rnn(
    rng: np.random.Generator,
    n: int,
    r: int,
    *,
    time: str = "discrete",
    observe: object = None,
    isotropic: bool = False,
    radius: float = 0.8,
) -> LowRankLinearRNN:
    M = rng.normal(size=(n, r))
    N = rng.normal(size=(n, r))
    N *= radius / np.max(np.abs(np.linalg.eigvals(N.T @ M)))
    S = np.eye(n) if isotropic else _anisotropic(rng, n)
    return LowRankLinearRNN(M, N, S, time=time, observe=observe)  # type: ignore[arg-type]


def _relerr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def _lds(rng: np.random.Generator, d: int, p: int, *, noise: float, time: str = "discrete"):
    A = rng.normal(size=(d, d))
    A *= 0.8 / np.max(np.abs(np.linalg.eigvals(A)))
    if time == "continuous":
        A = A - 1.5 * np.eye(d)
    B = rng.normal(size=(d, d))
    Q = B @ B.T + 0.1 * np.eye(d)
    C = rng.normal(size=(p, d))
    R = noise * np.diag(rng.uniform(0.5, 2.0, p))
    return LatentLDS(A, Q, C, R, time=time)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# RNN -> LDS


@pytest.mark.parametrize("time", ["discrete", "continuous"])
def test_rnn_to_lds_autocovariance_exact(time: str) -> None:
    rng = np.random.default_rng(1)
    rnn = _rnn(rng, 12, 2, time=time, observe=[0, 3, 5, 7, 11])
    lds = rnn_to_lds(rnn)
    assert lds.time == time
    assert lds.observation_noise == ("white" if time == "discrete" else "ou")
    lags = _lags(time)
    ref = output_autocovariance(rnn, lags)
    assert ref.shape == (lags.size, 5, 5)
    assert _relerr(output_autocovariance(lds, lags), ref) < EXACT
    # negative lags are transposes
    neg = output_autocovariance(lds, -lags[1:3])
    np.testing.assert_allclose(neg, np.swapaxes(ref[1:3], 1, 2), atol=EXACT * np.abs(ref).max())


@pytest.mark.parametrize("time", ["discrete", "continuous"])
def test_latent_basis_needs_span_SN_not_span_N(time: str) -> None:
    # the same construction with a basis of span[M, N] (instead of span[M, S N]) is not exact
    # for anisotropic noise: the projected noise P eps leaves span[M, N]
    rng = np.random.default_rng(2)
    rnn = _rnn(rng, 12, 2, time=time)
    M, N, S = rnn.M, rnn.N, np.asarray(rnn.noise_cov)
    U, _ = np.linalg.qr(np.hstack([M, N]))
    P = S @ N @ np.linalg.solve(N.T @ S @ N, N.T)
    IP = np.eye(rnn.n) - P
    A = U.T @ M @ N.T @ U - (0.0 if time == "discrete" else np.eye(U.shape[1]))
    Q = U.T @ P @ S @ P.T @ U
    wrong = LatentLDS(A, 0.5 * (Q + Q.T), U, IP @ S @ IP.T, time=time)  # type: ignore[arg-type]
    lags = _lags(time)
    assert _relerr(output_autocovariance(wrong, lags), output_autocovariance(rnn, lags)) > 1e-3
    assert (
        _relerr(output_autocovariance(rnn_to_lds(rnn), lags), output_autocovariance(rnn, lags))
        < EXACT
    )


def test_latent_dimension() -> None:
    rng = np.random.default_rng(3)
    r = 2
    assert rnn_to_lds(_rnn(rng, 10, r)).latent_dim == 2 * r
    assert rnn_to_lds(_rnn(rng, 10, r, isotropic=True)).latent_dim == 2 * r
    # span M = span N and S = I
    M = rng.normal(size=(10, r))
    N = M @ rng.normal(size=(r, r))
    N *= 0.7 / np.max(np.abs(np.linalg.eigvals(N.T @ M)))
    iso = LowRankLinearRNN(M, N)
    lds = rnn_to_lds(iso)
    assert lds.latent_dim == r
    assert lds.basis is not None
    assert lds.basis.shape == (10, r)
    assert (
        _relerr(
            output_autocovariance(lds, DISCRETE_LAGS), output_autocovariance(iso, DISCRETE_LAGS)
        )
        < EXACT
    )
    # anisotropic S with span(S N) inside span(M): N = S^{-1} M T
    S = _anisotropic(rng, 10)
    N2 = np.linalg.solve(S, M @ rng.normal(size=(r, r)))
    N2 *= 0.7 / np.max(np.abs(np.linalg.eigvals(N2.T @ M)))
    assert rnn_to_lds(LowRankLinearRNN(M, N2, S)).latent_dim == r
    # same S, span N = span M: the latent space is 2r (span(SN) != span(M))
    assert rnn_to_lds(LowRankLinearRNN(M, N, S)).latent_dim == 2 * r


@pytest.mark.parametrize("case", ["noise_missing_along_N", "dependent_columns"])
def test_rnn_to_lds_with_singular_NSN(case: str) -> None:
    rng = np.random.default_rng(4)
    n, r = 9, 2
    M = rng.normal(size=(n, r))
    N = rng.normal(size=(n, r))
    if case == "dependent_columns":
        M = np.hstack([M, M[:, :1]])
        N = np.hstack([N, N[:, :1]])
        S = _anisotropic(rng, n)
    else:
        # no noise along an S-direction that N reads: S = V diag V^T with a zero eigenvalue on
        # a vector not orthogonal to N
        V, _ = np.linalg.qr(np.hstack([N[:, :1], rng.normal(size=(n, n - 1))]))
        w = rng.uniform(0.5, 1.5, n)
        w[0] = 0.0
        S = (V * w) @ V.T
        N = N - np.outer(V[:, 0], V[:, 0]) @ N  # keep span(N) out of ker S partly
        N[:, 1] += V[:, 0]
    N *= 0.7 / np.max(np.abs(np.linalg.eigvals(N.T @ M)))
    rnn = LowRankLinearRNN(M, N, S, observe=[1, 2, 4, 8])
    assert np.linalg.matrix_rank(N.T @ S @ N) < N.shape[1]
    lds = rnn_to_lds(rnn)
    assert (
        _relerr(
            output_autocovariance(lds, DISCRETE_LAGS), output_autocovariance(rnn, DISCRETE_LAGS)
        )
        < EXACT
    )


def test_stationary_cov_lowrank_matches_lyapunov() -> None:
    rnn = _rnn(np.random.default_rng(5), 15, 3)
    a = rnn.stationary_cov(method="lyapunov")
    assert _relerr(rnn.stationary_cov(method="lowrank"), a) < EXACT


def _simulate_rnn(rnn: LowRankLinearRNN, chains: int, steps: int, rng: np.random.Generator):
    L = np.linalg.cholesky(np.asarray(rnn.noise_cov) + 0.0 * np.eye(rnn.n))
    x = np.zeros((rnn.n, chains))
    out = []
    for _ in range(steps):
        x = rnn.M @ (rnn.N.T @ x) + L @ rng.standard_normal((rnn.n, chains))
        out.append(np.asarray(rnn.observe) @ x)
    return np.array(out)  # (steps, p, chains)


def _simulate_lds(lds: LatentLDS, chains: int, steps: int, rng: np.random.Generator):
    def factor(X: np.ndarray) -> np.ndarray:
        w, V = np.linalg.eigh(X)
        return V * np.sqrt(np.clip(w, 0.0, None))

    LQ, LR = factor(lds.Q), factor(lds.R)
    z = np.zeros((lds.latent_dim, chains))
    out = []
    for _ in range(steps):
        z = lds.A @ z + LQ @ rng.standard_normal((lds.latent_dim, chains))
        out.append(lds.C @ z + LR @ rng.standard_normal((lds.p, chains)))
    return np.array(out)


def test_simulation_rnn_vs_lds() -> None:
    # independent chains from zero; the burn-in (radius 0.6) leaves 0.6^(2*60) of the transient
    rng = np.random.default_rng(6)
    rnn = _rnn(rng, 6, 2, observe=[0, 2, 5], radius=0.6)
    lds = rnn_to_lds(rnn)
    chains, burn, lags = 20_000, 60, np.arange(4)
    theory = output_autocovariance(rnn, lags)
    theory_lds = output_autocovariance(lds, lags)
    n_checks = 2 * theory.size
    z_max = stats.norm.isf(1e-4 / (2 * n_checks))  # family-wise false-alarm rate 1e-4
    for sim, ref in (
        (_simulate_rnn(rnn, chains, burn + lags[-1] + 1, rng), theory_lds),
        (_simulate_lds(lds, chains, burn + lags[-1] + 1, rng), theory),
    ):
        y0 = sim[burn]
        for k in lags:
            prod = sim[burn + k][:, None, :] * y0[None, :, :]  # (p, p, chains)
            mean = prod.mean(axis=2)
            se = prod.std(axis=2, ddof=1) / np.sqrt(chains)
            assert np.all(np.abs(mean - ref[k]) < z_max * se), (k, (mean - ref[k]) / se)


# --------------------------------------------------------------------------------------------
# LDS -> RNN


@pytest.mark.parametrize("time", ["discrete", "continuous"])
def test_lds_to_rnn_exact_round_trip(time: str) -> None:
    rng = np.random.default_rng(7)
    lds = _lds(rng, 3, 6, noise=0.0, time=time)
    rnn = lds_to_rnn(lds)
    assert (rnn.n, rnn.rank, rnn.time) == (6, 3, time)
    lags = _lags(time)
    ref = output_autocovariance(lds, lags)
    assert _relerr(output_autocovariance(rnn, lags), ref) < EXACT
    back = rnn_to_lds(rnn)
    assert back.latent_dim == 3
    assert _relerr(output_autocovariance(back, lags), ref) < EXACT


def test_lds_to_rnn_error_paths() -> None:
    rng = np.random.default_rng(8)
    noisy = _lds(rng, 3, 6, noise=0.3)
    with pytest.raises(NotConvertibleError, match=r"`lds.R` must be zero.*markov_gap"):
        lds_to_rnn(noisy)
    lowrank_C = LatentLDS(noisy.A, noisy.Q, noisy.C[:, :1] @ np.ones((1, 3)), np.zeros((6, 6)))
    with pytest.raises(NotConvertibleError, match=r"`lds.C` must have full column rank 3"):
        lds_to_rnn(lowrank_C)
    with pytest.raises(NotConvertibleError, match=r"`lds.R` must be positive definite"):
        lds_to_rnn(
            LatentLDS(noisy.A, noisy.Q, noisy.C, np.zeros((6, 6))), limit="many_observations"
        )
    cont = _lds(rng, 2, 5, noise=1.0, time="continuous")
    fast = LatentLDS(cont.A, cont.Q, cont.C, cont.R, time="continuous", noise_rate=3.0)
    with pytest.raises(NotConvertibleError, match=r"`lds.noise_rate` must be 1"):
        lds_to_rnn(fast, limit="many_observations")
    with pytest.raises(ValueError, match="`limit` must be one of"):
        lds_to_rnn(noisy, limit="approximate")  # type: ignore[arg-type]


@pytest.mark.parametrize("time", ["discrete", "continuous"])
def test_many_observations_limit_converges(time: str) -> None:
    # nested observations of one latent system: the error of the Markov approximation is
    # O((C^T R^-1 C)^-1) = O(1/p) relative (docs/theory.md 7.4)
    rng = np.random.default_rng(9)
    big = _lds(rng, 2, 640, noise=1.0, time=time)
    lags = _lags(time)[:6]
    ps = np.array([10, 40, 160, 640])
    errs = []
    for p in ps:
        sub = LatentLDS(big.A, big.Q, big.C[:p], big.R[:p, :p], time=time)  # type: ignore[arg-type]
        ref = output_autocovariance(sub, lags)
        approx = output_autocovariance(lds_to_rnn(sub, limit="many_observations"), lags)
        errs.append(np.max(np.linalg.norm(approx - ref, axis=(1, 2))) / np.linalg.norm(ref[0]))
    errs_a = np.array(errs)
    assert np.all(np.diff(errs_a) < 0), errs_a
    slope = np.polyfit(np.log(ps), np.log(errs_a), 1)[0]
    assert -1.3 < slope < -0.7, (slope, errs_a)


# --------------------------------------------------------------------------------------------
# Markov gap


def test_markov_gap_zero_when_markov() -> None:
    rng = np.random.default_rng(10)
    full = rnn_to_lds(_rnn(rng, 10, 2))  # every unit observed: x is Markov although R != 0
    assert np.linalg.norm(full.R) > 0.1
    g = markov_gap(full)
    assert isinstance(g, MarkovGap)
    assert abs(g.relative_gap) < EXACT
    np.testing.assert_allclose(g.kalman_cov, g.markov_cov, atol=EXACT * np.abs(g.markov_cov).max())
    exact = _lds(rng, 3, 3, noise=0.0)  # zero observation noise, C invertible
    assert abs(markov_gap(exact).relative_gap) < EXACT
    assert abs(markov_gap(exact).logdet_gap) < EXACT


def test_markov_gap_positive_and_decreasing_with_p() -> None:
    rng = np.random.default_rng(11)
    partial = rnn_to_lds(_rnn(rng, 10, 2, observe=[0, 1, 2]))
    g = markov_gap(partial)
    assert g.relative_gap > 1e-4
    assert g.logdet_gap > 1e-4
    assert np.linalg.eigvalsh(g.markov_cov - g.kalman_cov)[0] > -EXACT * np.trace(g.markov_cov)
    big = _lds(rng, 4, 200, noise=1.0)
    gaps = [
        markov_gap(LatentLDS(big.A, big.Q, big.C[:p], big.R[:p, :p])).relative_gap
        for p in (5, 25, 100, 200)
    ]
    assert np.all(np.diff(gaps) < 0), gaps
    assert gaps[-1] > 0
    xr = g.to_xarray()
    assert xr["markov_cov"].shape == (3, 3)
    assert xr.attrs["p"] == 3


def test_kalman_two_riccati_solvers_agree() -> None:
    # information form (d-dim DARE) vs the Riccati recursion on the p-dim form
    lds = _lds(np.random.default_rng(12), 3, 8, noise=0.5)
    X = kalman_predicted_cov(lds)
    Y = _riccati_iteration(lds.A, lds.C, lds.Q, lds.R, lds.stationary_cov())
    assert _relerr(X, Y) < 1e-9


def test_markov_gap_refuses_continuous() -> None:
    lds = _lds(np.random.default_rng(13), 2, 3, noise=1.0, time="continuous")
    with pytest.raises(ValueError, match=r"`lds\.time` must be 'discrete'"):
        markov_gap(lds)


# --------------------------------------------------------------------------------------------
# dynamax layout


def test_dynamax_dict_round_trip() -> None:
    lds = _lds(np.random.default_rng(14), 3, 5, noise=0.4)
    params = to_dynamax(lds)
    assert params["dynamics"]["weights"].shape == (3, 3)
    assert params["dynamics"]["input_weights"].shape == (3, 0)
    assert params["emissions"]["weights"].shape == (5, 3)
    assert params["emissions"]["bias"].shape == (5,)
    np.testing.assert_allclose(params["initial"]["cov"], lds.stationary_cov())
    back = from_dynamax(params)
    for key in ("A", "Q", "C", "R"):
        np.testing.assert_array_equal(getattr(back, key), getattr(lds, key))
    params["dynamics"]["bias"] = np.ones(3)
    with pytest.raises(ValueError, match=r"`params.dynamics.bias` must be zero"):
        from_dynamax(params)
    params["dynamics"]["bias"] = np.zeros(3)
    params["emissions"]["cov"] = np.diag(lds.R)  # diagonal form
    np.testing.assert_array_equal(from_dynamax(params).R, lds.R)
    with pytest.raises(ValueError, match=r"`lds\.time` must be 'discrete'"):
        to_dynamax(_lds(np.random.default_rng(0), 2, 2, noise=1.0, time="continuous"))


def test_real_dynamax_round_trip() -> None:
    lgssm = pytest.importorskip("dynamax.linear_gaussian_ssm")
    lds = _lds(np.random.default_rng(15), 2, 4, noise=0.4)
    jnp = pytest.importorskip("jax.numpy")
    d = {k: {kk: jnp.asarray(vv) for kk, vv in v.items()} for k, v in to_dynamax(lds).items()}
    params = lgssm.ParamsLGSSM(
        initial=lgssm.ParamsLGSSMInitial(**d["initial"]),
        dynamics=lgssm.ParamsLGSSMDynamics(**d["dynamics"]),
        emissions=lgssm.ParamsLGSSMEmissions(**d["emissions"]),
    )
    back = from_dynamax(params)
    for key in ("A", "Q", "C", "R"):
        np.testing.assert_allclose(getattr(back, key), getattr(lds, key), rtol=1e-6)
    # dynamax's own Kalman filter reaches the steady state of kalman_predicted_cov
    post = lgssm.lgssm_filter(params, jnp.zeros((200, lds.p)))
    Sf = np.asarray(post.filtered_covariances[-1], dtype=float)
    predicted = lds.A @ Sf @ lds.A.T + lds.Q
    np.testing.assert_allclose(predicted, kalman_predicted_cov(lds), rtol=1e-4, atol=1e-5)


# --------------------------------------------------------------------------------------------
# bad input


def test_bad_input_names_the_argument() -> None:
    rng = np.random.default_rng(16)
    M, N = rng.normal(size=(5, 2)), 0.1 * rng.normal(size=(5, 2))
    with pytest.raises(ValueError, match="`N` must have the shape of `M`"):
        LowRankLinearRNN(M, N[:, :1])
    with pytest.raises(ValueError, match="`noise_cov` must be positive semi-definite"):
        LowRankLinearRNN(M, N, -np.eye(5))
    with pytest.raises(ValueError, match="`noise_cov` must be symmetric"):
        LowRankLinearRNN(M, N, np.triu(np.ones((5, 5))))
    with pytest.raises(ValueError, match="`time` must be one of"):
        LowRankLinearRNN(M, N, time="hourly")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`observe` must hold distinct unit indices"):
        LowRankLinearRNN(M, N, observe=[0, 7])
    with pytest.raises(UnstableDynamicsError, match="`M N\\^T` must have spectral radius < 1"):
        LowRankLinearRNN(M, 10 * rng.normal(size=(5, 2)) + M)
    with pytest.raises(UnstableDynamicsError, match="`-I \\+ M N\\^T` must have eigenvalues"):
        LowRankLinearRNN(M, 3 * M / np.sum(M * M, axis=0), time="continuous")
    with pytest.raises(ValueError, match="`A` must be square"):
        LatentLDS(np.zeros((2, 3)), np.eye(2), np.eye(2), np.eye(2))
    with pytest.raises(ValueError, match="`R` must be positive semi-definite"):
        LatentLDS(0.5 * np.eye(2), np.eye(2), np.eye(2), -np.eye(2))
    with pytest.raises(ValueError, match="`observation_noise` must be 'ou' in continuous time"):
        LatentLDS(
            -np.eye(2),
            np.eye(2),
            np.eye(2),
            np.eye(2),
            time="continuous",
            observation_noise="white",
        )
    with pytest.raises(UnstableDynamicsError, match="`A` must have spectral radius < 1"):
        LatentLDS(1.5 * np.eye(2), np.eye(2), np.eye(2), np.eye(2))
    rnn = LowRankLinearRNN(M, N)
    with pytest.raises(ValueError, match="`lags` must be integers"):
        output_autocovariance(rnn, [0.5])
    with pytest.raises(TypeError, match="`model` must be a LowRankLinearRNN or a LatentLDS"):
        output_autocovariance("rnn", [0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`rnn` must be a LowRankLinearRNN"):
        rnn_to_lds("rnn")  # type: ignore[arg-type]


def test_to_xarray_and_to_dict() -> None:
    rnn = _rnn(np.random.default_rng(17), 6, 2, observe=[1, 2])
    lds = rnn_to_lds(rnn)
    assert rnn.to_xarray()["observe"].shape == (2, 6)
    ds = lds.to_xarray()
    assert ds["basis"].shape == (6, lds.latent_dim)
    assert LatentLDS(**{k: v for k, v in lds.to_dict().items()}).latent_dim == lds.latent_dim
