"""Exact conversion between low-rank linear RNNs and latent linear dynamical systems.

Valente, Ostojic & Pillow, "Probing the relationship between latent linear dynamical systems and
low-rank recurrent neural network models", arXiv:2110.09804; docs/theory.md section 7.4.

A low-rank linear RNN (:class:`LowRankLinearRNN`) with connectivity :math:`J = MN^T` of rank
:math:`r` driven by Gaussian noise of covariance :math:`S` is, observed through any set of units,
exactly a latent linear dynamical system (:class:`LatentLDS`) of latent dimension
:math:`\\operatorname{rank}[M, SN] \\le 2r` (:func:`rnn_to_lds`). The reverse holds only in limits
(:func:`lds_to_rnn`); away from them :func:`markov_gap` measures how much one-step predictability
a Markov model of the observations loses against the Kalman filter of the latent system.
:func:`output_autocovariance` gives the stationary output autocovariance of either model in
closed form, and :func:`to_dynamax` / :func:`from_dynamax` translate a discrete-time
:class:`LatentLDS` to and from the parameter layout of dynamax's ``ParamsLGSSM``.

Conventions. Discrete time: ``x_{t+1} = J x_t + eps_t``, ``eps_t ~ N(0, S)``. Continuous time
(units of the leak time constant): ``dx = (-x + J x) dt + dW``, ``<dW dW^T> = S dt``. The output
autocovariance at lag ``k`` is ``Gamma(k) = E[y_{t+k} y_t^T]`` (so ``Gamma(-k) = Gamma(k)^T``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import scipy.linalg as sla

from randrnn._typing import FloatArray
from randrnn._validation import check_array, check_in, check_positive, show
from randrnn.errors import ConvergenceError

__all__ = [
    "LatentLDS",
    "LowRankLinearRNN",
    "MarkovGap",
    "NotConvertibleError",
    "UnstableDynamicsError",
    "from_dynamax",
    "kalman_predicted_cov",
    "lds_to_rnn",
    "markov_gap",
    "output_autocovariance",
    "rnn_to_lds",
    "to_dynamax",
]

Time = Literal["discrete", "continuous"]
_TIMES = ("discrete", "continuous")
#: relative tolerance for "this symmetric matrix is positive semi-definite"
_PSD_TOL = 1e-10


class NotConvertibleError(ValueError):
    """A latent LDS has no exact (or requested approximate) low-rank RNN equivalent."""


class UnstableDynamicsError(ValueError):
    """The dynamics have no stationary state (spectral radius >= 1 or real parts >= 0)."""


# ----------------------------------------------------------------------------------------------
# validation helpers


def _check_psd(name: str, value: Any, n: int, fix: str = "") -> FloatArray:
    """Return a symmetric PSD ``(n, n)`` matrix (symmetrised) or raise naming ``name``."""
    a = check_array(name, value, shape=(n, n))
    scale = max(float(np.max(np.abs(a))), 1e-300)
    if np.max(np.abs(a - a.T)) > 1e-10 * scale:
        raise ValueError(
            f"`{name}` must be symmetric; got max |{name} - {name}^T| = "
            f"{np.max(np.abs(a - a.T)):.3e}. {fix}".strip()
        )
    a = 0.5 * (a + a.T)
    if n:
        low = float(np.linalg.eigvalsh(a)[0])
        if low < -_PSD_TOL * scale:
            raise ValueError(
                f"`{name}` must be positive semi-definite; got smallest eigenvalue {low:.3e}. "
                f"{fix}".strip()
            )
    return a


def _check_time(time: Any) -> Time:
    out: Time = check_in("time", time, _TIMES)
    return out


def _check_stable(name: str, F: FloatArray, time: Time, fix: str) -> None:
    """Raise :class:`UnstableDynamicsError` if ``F`` (the drift or transition) is not stable."""
    if F.size == 0:
        return
    ev = np.linalg.eigvals(F)
    if time == "discrete":
        rho = float(np.max(np.abs(ev)))
        if rho >= 1.0:
            raise UnstableDynamicsError(
                f"`{name}` must have spectral radius < 1 for stationary statistics; got "
                f"{rho:.6g}. {fix}"
            )
    else:
        re = float(np.max(ev.real))
        if re >= 0.0:
            raise UnstableDynamicsError(
                f"`{name}` must have eigenvalues with negative real parts for stationary "
                f"statistics; got max real part {re:.6g}. {fix}"
            )


def _observation_matrix(observe: Any, n: int) -> FloatArray:
    """Turn ``observe`` (None, unit indices or a ``(p, n)`` matrix) into a ``(p, n)`` matrix."""
    if observe is None:
        return np.eye(n)
    arr = np.asarray(observe)
    if arr.ndim == 1:
        if arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(
                f"`observe` must be a non-empty sequence of integer unit indices or a (p, {n}) "
                f"matrix; got {show(observe)}. Pass e.g. observe=[0, 1, 2] or observe=None "
                "(all units)."
            )
        if np.any(arr < 0) or np.any(arr >= n) or np.unique(arr).size != arr.size:
            raise ValueError(
                f"`observe` must hold distinct unit indices in [0, {n}); got {show(observe)}."
            )
        D = np.zeros((arr.size, n))
        D[np.arange(arr.size), arr] = 1.0
        return D
    return check_array("observe", arr, shape=(None, n))


# ----------------------------------------------------------------------------------------------
# models


@dataclass(frozen=True, eq=False)
class LowRankLinearRNN:
    """A linear RNN with low-rank connectivity ``J = M N^T`` driven by Gaussian noise.

    Discrete time: :math:`x_{t+1} = MN^Tx_t + \\varepsilon_t`, :math:`\\varepsilon_t\\sim
    \\mathcal N(0, S)`. Continuous time (units of the leak time constant):
    :math:`dx = (-x + MN^Tx)\\,dt + dW`, :math:`\\langle dW\\,dW^T\\rangle = S\\,dt`. The output
    is :math:`y = Dx`. Valente, Ostojic & Pillow, arXiv:2110.09804; docs/theory.md section 7.4.

    Parameters
    ----------
    M, N : (n, r) array_like
        Left and right connectivity vectors.
    noise_cov : (n, n) array_like or None
        Noise covariance :math:`S` (PSD; may be singular). Default: identity.
    time : {"discrete", "continuous"}
        Discrete steps or continuous time.
    observe : sequence of int, (p, n) array_like or None
        Observed unit indices or an observation matrix :math:`D`. Default: all units. After
        construction this field holds the ``(p, n)`` matrix.

    Raises
    ------
    ValueError
        Bad shapes, a non-PSD ``noise_cov``, bad ``observe``.
    UnstableDynamicsError
        ``M N^T`` has spectral radius >= 1 (discrete) or ``-I + M N^T`` an eigenvalue with
        real part >= 0 (continuous): there are no stationary statistics.
    """

    M: FloatArray
    N: FloatArray
    noise_cov: FloatArray | None = None
    time: Time = "discrete"
    observe: Any = None

    def __post_init__(self) -> None:
        M = check_array("M", self.M)
        if M.ndim == 1:
            M = M[:, None]
        if M.ndim != 2 or M.shape[0] == 0:
            raise ValueError(f"`M` must have shape (n, r); got shape {M.shape}.")
        n, r = M.shape
        N = check_array("N", self.N)
        if N.ndim == 1:
            N = N[:, None]
        if N.shape != (n, r):
            raise ValueError(
                f"`N` must have the shape of `M`, ({n}, {r}); got shape {N.shape}. "
                "Each column pair (M[:, k], N[:, k]) is one rank-one term of J = M N^T."
            )
        S = np.eye(n) if self.noise_cov is None else _check_psd("noise_cov", self.noise_cov, n)
        time = _check_time(self.time)
        D = _observation_matrix(self.observe, n)
        for key, val in (("M", M), ("N", N), ("noise_cov", S), ("time", time), ("observe", D)):
            object.__setattr__(self, key, val)
        _check_stable(
            "M N^T" if time == "discrete" else "-I + M N^T",
            self.drift,
            time,
            "Scale M or N down.",
        )

    @property
    def n(self) -> int:
        """Number of units."""
        return int(self.M.shape[0])

    @property
    def rank(self) -> int:
        """Number of rank-one terms ``r`` (columns of M)."""
        return int(self.M.shape[1])

    @property
    def p(self) -> int:
        """Number of observations (rows of the observation matrix)."""
        return int(self.observe.shape[0])

    @property
    def J(self) -> FloatArray:
        """The connectivity ``M N^T`` (n, n)."""
        return np.asarray(self.M @ self.N.T)

    @property
    def drift(self) -> FloatArray:
        """``J`` (discrete) or ``-I + J`` (continuous)."""
        return self.J if self.time == "discrete" else self.J - np.eye(self.n)

    def stationary_cov(self, method: Literal["auto", "lyapunov", "lowrank"] = "auto") -> FloatArray:
        """Stationary covariance :math:`\\Sigma_x` of the state ``x`` (n, n).

        ``"lyapunov"``: the n-dimensional Lyapunov equation (``scipy.linalg``), discrete
        :math:`\\Sigma_x = J\\Sigma_xJ^T + S`, continuous :math:`(J-I)\\Sigma_x +
        \\Sigma_x(J-I)^T + S = 0`. ``"lowrank"`` (discrete time): :math:`\\Sigma_x = S + MKM^T`
        with the r-dimensional :math:`K = BKB^T + N^TSN`, :math:`B = N^TM` (from
        :math:`J^k = MB^{k-1}N^T`); exact, cost :math:`O(n^2r)`. ``"auto"``: ``"lowrank"`` in
        discrete time when ``n > 400``, else ``"lyapunov"``.
        """
        check_in("method", method, ("auto", "lyapunov", "lowrank"))
        S = np.asarray(self.noise_cov)
        if method == "auto":
            method = "lowrank" if self.time == "discrete" and self.n > 400 else "lyapunov"
        if method == "lowrank":
            if self.time != "discrete":
                raise ValueError(
                    "`method` must be 'lyapunov' or 'auto' in continuous time; got 'lowrank'."
                )
            B = self.N.T @ self.M
            K = sla.solve_discrete_lyapunov(B, self.N.T @ S @ self.N)
            X = S + self.M @ K @ self.M.T
        elif self.time == "discrete":
            X = sla.solve_discrete_lyapunov(self.J, S)
        else:
            X = sla.solve_continuous_lyapunov(self.drift, -S)
        return np.asarray(0.5 * (X + X.T))

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python parameters (nested lists)."""
        return {
            "M": self.M.tolist(),
            "N": self.N.tolist(),
            "noise_cov": np.asarray(self.noise_cov).tolist(),
            "time": self.time,
            "observe": np.asarray(self.observe).tolist(),
        }

    def to_xarray(self) -> Any:
        """Return an ``xarray.Dataset`` of the parameters (dims ``unit``, ``rank``, ``output``)."""
        import xarray as xr

        return xr.Dataset(
            {
                "M": (("unit", "rank"), self.M),
                "N": (("unit", "rank"), self.N),
                "noise_cov": (("unit", "unit_j"), self.noise_cov),
                "observe": (("output", "unit"), self.observe),
            },
            attrs={"time": self.time, "model": "LowRankLinearRNN"},
        )


@dataclass(frozen=True, eq=False)
class LatentLDS:
    """A latent linear dynamical system with Gaussian noise.

    Discrete time: :math:`z_{t+1} = Az_t + w_t`, :math:`w\\sim\\mathcal N(0,Q)`;
    :math:`y_t = Cz_t + v_t`, :math:`v\\sim\\mathcal N(0,R)` white (``observation_noise="white"``).

    Continuous time: :math:`dz = Az\\,dt + dV`, :math:`\\langle dV dV^T\\rangle = Q\\,dt`;
    :math:`y = Cz + \\eta`. White observation noise has no meaning for a continuous-time output
    observed at instants, so the observation noise is an Ornstein-Uhlenbeck process
    (``observation_noise="ou"``): :math:`d\\eta = -\\lambda\\eta\\,dt + dB`,
    :math:`\\langle dB dB^T\\rangle = R\\,dt`, with rate :math:`\\lambda` = ``noise_rate``
    (stationary covariance :math:`R/2\\lambda`, autocovariance
    :math:`e^{-\\lambda|\\tau|}R/2\\lambda`), independent of :math:`V`. This is what the exact
    conversion of a continuous-time RNN produces, with :math:`\\lambda = 1` (the leak): the part of
    the noise outside the latent space is low-pass filtered by the leak. docs/theory.md 7.4.

    Parameters
    ----------
    A : (d, d) array_like
        Latent transition (discrete) or drift (continuous) matrix; must be stable.
    Q : (d, d) array_like
        Latent noise covariance (PSD).
    C : (p, d) array_like
        Observation matrix.
    R : (p, p) array_like
        Observation noise covariance (white, discrete) or diffusion matrix of the OU observation
        noise (continuous); PSD, may be singular or zero.
    time : {"discrete", "continuous"}
    initial_mean : (d,) array_like or None
        Mean of the first latent state (default 0, the stationary mean).
    initial_cov : (d, d) array_like or None
        Covariance of the first latent state (default: the stationary covariance).
    observation_noise : {"white", "ou"} or None
        Default "white" in discrete time, "ou" in continuous time ("white" is refused there
        unless ``R`` is zero).
    noise_rate : float
        Rate :math:`\\lambda` of the OU observation noise (continuous time only).
    basis : (n, d) array_like or None
        When the system was made by :func:`rnn_to_lds`: the orthonormal basis ``U`` of the latent
        space in the RNN's state space (latent part of the state ``s = U z``).

    Raises
    ------
    ValueError
        Bad shapes or non-PSD covariances, ``"white"`` noise in continuous time.
    UnstableDynamicsError
        ``A`` is not stable.
    """

    A: FloatArray
    Q: FloatArray
    C: FloatArray
    R: FloatArray
    time: Time = "discrete"
    initial_mean: FloatArray | None = None
    initial_cov: FloatArray | None = None
    observation_noise: Literal["white", "ou"] | None = None
    noise_rate: float = 1.0
    basis: FloatArray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        A = check_array("A", self.A, shape=(None, None))
        d = A.shape[0]
        if A.shape != (d, d):
            raise ValueError(f"`A` must be square; got shape {A.shape}.")
        Q = _check_psd("Q", self.Q, d)
        C = check_array("C", self.C, shape=(None, d))
        p = C.shape[0]
        R = _check_psd("R", self.R, p)
        time = _check_time(self.time)
        obs = self.observation_noise
        if obs is None:
            obs = "white" if time == "discrete" else "ou"
        check_in("observation_noise", obs, ("white", "ou"))
        if time == "discrete" and obs == "ou":
            raise ValueError(
                "`observation_noise` must be 'white' in discrete time; got 'ou'. Colored "
                "observation noise in discrete time is not supported; augment the latent state "
                "with it instead."
            )
        if time == "continuous" and obs == "white" and np.any(R != 0):
            raise ValueError(
                "`observation_noise` must be 'ou' in continuous time when `R` is not zero; got "
                "'white'. White noise has no value at an instant; use observation_noise='ou' "
                "with its `noise_rate`."
            )
        rate = check_positive("noise_rate", self.noise_rate)
        mean = None
        if self.initial_mean is not None:
            mean = check_array("initial_mean", self.initial_mean, shape=(d,))
        cov0 = None
        if self.initial_cov is not None:
            cov0 = _check_psd("initial_cov", self.initial_cov, d)
        basis = None
        if self.basis is not None:
            basis = check_array("basis", self.basis, shape=(None, d))
        values = {
            "A": A,
            "Q": Q,
            "C": C,
            "R": R,
            "time": time,
            "initial_mean": mean,
            "initial_cov": cov0,
            "observation_noise": obs,
            "noise_rate": rate,
            "basis": basis,
        }
        for key, val in values.items():
            object.__setattr__(self, key, val)
        _check_stable("A", A, time, "Scale A down (or make its eigenvalues' real parts < 0).")

    @property
    def latent_dim(self) -> int:
        """Latent dimension ``d``."""
        return int(self.A.shape[0])

    @property
    def p(self) -> int:
        """Number of observations."""
        return int(self.C.shape[0])

    def stationary_cov(self) -> FloatArray:
        """Stationary covariance of the latent state ``z``."""
        if self.time == "discrete":
            X = sla.solve_discrete_lyapunov(self.A, self.Q)
        else:
            X = sla.solve_continuous_lyapunov(self.A, -self.Q)
        return np.asarray(0.5 * (X + X.T))

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python parameters (nested lists; None where unset)."""

        def lst(a: FloatArray | None) -> Any:
            return None if a is None else np.asarray(a).tolist()

        return {
            "A": lst(self.A),
            "Q": lst(self.Q),
            "C": lst(self.C),
            "R": lst(self.R),
            "time": self.time,
            "initial_mean": lst(self.initial_mean),
            "initial_cov": lst(self.initial_cov),
            "observation_noise": self.observation_noise,
            "noise_rate": self.noise_rate,
            "basis": lst(self.basis),
        }

    def to_xarray(self) -> Any:
        """Return an ``xarray.Dataset`` of the parameters (dims ``latent``, ``output``)."""
        import xarray as xr

        data: dict[str, Any] = {
            "A": (("latent", "latent_j"), self.A),
            "Q": (("latent", "latent_j"), self.Q),
            "C": (("output", "latent"), self.C),
            "R": (("output", "output_j"), self.R),
        }
        if self.basis is not None:
            data["basis"] = (("unit", "latent"), self.basis)
        return xr.Dataset(
            data,
            attrs={
                "time": self.time,
                "observation_noise": str(self.observation_noise),
                "noise_rate": self.noise_rate,
                "model": "LatentLDS",
            },
        )


# ----------------------------------------------------------------------------------------------
# RNN -> LDS


def rnn_to_lds(rnn: LowRankLinearRNN, *, tol: float = 1e-10) -> LatentLDS:
    """Exact latent LDS of a low-rank linear RNN (Valente, Ostojic & Pillow, arXiv:2110.09804).

    The noise is split by the oblique projector :math:`P = SN(N^TSN)^{+}N^T` onto
    :math:`\\mathrm{span}(SN)` along :math:`\\ker N^T`. :math:`N^T(I-P)\\varepsilon = 0` and
    :math:`PS(I-P)^T = 0`, so :math:`P\\varepsilon` and :math:`(I-P)\\varepsilon` are independent
    and the recurrent input only sees the first. Discrete time: :math:`s_t = MN^Tx_{t-1} +
    P\\varepsilon_{t-1}` is a Markov chain :math:`s_{t+1} = MN^Ts_t + P\\varepsilon_t` and
    :math:`x_t = s_t + (I-P)\\varepsilon_{t-1}` (white observation noise). Continuous time:
    :math:`x = s + o` with :math:`ds = (-s + MN^Ts)dt + P\\,dW` and the Ornstein-Uhlenbeck part
    :math:`do = -o\\,dt + (I-P)dW` (rate 1: colored observation noise). :math:`s` lives in
    :math:`\\mathrm{span}[M, SN]`; with its orthonormal basis :math:`U` (kept as ``basis``):
    :math:`A = U^TMN^TU` (discrete) or :math:`U^TMN^TU - I` (continuous), :math:`Q =
    U^TPSP^TU`, :math:`C = DU`, :math:`R = D(I-P)S(I-P)^TD^T`. docs/theory.md section 7.4.

    The latent dimension is :math:`\\operatorname{rank}[M, SN] \\le 2r`; it is :math:`r` when
    :math:`\\mathrm{span}(SN) \\subseteq \\mathrm{span}(M)` (e.g. :math:`S = I` and
    :math:`\\mathrm{span}\\,M = \\mathrm{span}\\,N`). The pseudo-inverse makes the construction
    exact also when :math:`N^TSN` is singular (noise missing along some direction of ``N``, or
    dependent columns of ``N``): then :math:`N^T(I-P)L = 0` still holds for any factor
    :math:`S = LL^T`.

    Parameters
    ----------
    rnn : LowRankLinearRNN
    tol : float
        Relative singular-value threshold for the rank of ``[M, SN]`` and of ``N^T S N``.

    Returns
    -------
    LatentLDS
        With the same ``time``; ``basis`` holds ``U`` (n, d).
    """
    if not isinstance(rnn, LowRankLinearRNN):
        raise TypeError(f"`rnn` must be a LowRankLinearRNN; got {type(rnn).__name__}.")
    tol = check_positive("tol", tol)
    M, N, S, D = rnn.M, rnn.N, np.asarray(rnn.noise_cov), np.asarray(rnn.observe)
    n = rnn.n
    SN = S @ N
    G = N.T @ SN
    P = SN @ np.linalg.pinv(G, rcond=tol, hermitian=True) @ N.T
    K = np.hstack([M, SN])
    u, sv, _ = np.linalg.svd(K, full_matrices=False)
    smax = float(sv[0]) if sv.size else 0.0
    d = int(np.sum(sv > tol * smax)) if smax > 0 else 0
    U = u[:, :d]
    IP = np.eye(n) - P
    A = U.T @ M @ (N.T @ U)
    if rnn.time == "continuous":
        A = A - np.eye(d)
    # Gram forms keep Q and R positive semi-definite to rounding: S = L L^T
    w, V = np.linalg.eigh(S)
    L = V * np.sqrt(np.clip(w, 0.0, None))
    BQ = U.T @ (P @ L)
    BR = D @ (IP @ L)
    Q = BQ @ BQ.T
    Rn = BR @ BR.T
    C = D @ U
    return LatentLDS(
        A=A,
        Q=Q,
        C=C,
        R=Rn,
        time=rnn.time,
        observation_noise="white" if rnn.time == "discrete" else "ou",
        noise_rate=1.0,
        basis=U,
    )


# ----------------------------------------------------------------------------------------------
# autocovariances


def _lags(lags: Any, time: Time) -> FloatArray:
    arr = np.atleast_1d(np.asarray(lags))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"`lags` must be a non-empty 1-d sequence; got {show(lags)}.")
    if time == "discrete":
        if np.issubdtype(arr.dtype, np.integer):
            return arr.astype(np.int64)
        f = check_array("lags", arr)
        if np.any(f != np.round(f)):
            raise ValueError(
                f"`lags` must be integers (steps) for a discrete-time model; got {show(lags)}."
            )
        return np.round(f).astype(np.int64)
    return check_array("lags", arr)


def _discrete_autocov(
    F: FloatArray | tuple[FloatArray, FloatArray], Xo: FloatArray, Co: FloatArray, lags: Any
) -> FloatArray:
    """``Co F^k Xo`` for ``k = |lag|`` (transposed for negative lags); ``F = (M, N)`` means
    ``M N^T``, applied without forming it."""
    out = np.empty((lags.size, Co.shape[0], Co.shape[0]))
    order = np.argsort(np.abs(lags), kind="stable")
    k, cur = 0, Xo.copy()
    for i in order:
        target = abs(int(lags[i]))
        while k < target:
            cur = F[0] @ (F[1].T @ cur) if isinstance(F, tuple) else F @ cur
            k += 1
        g = Co @ cur
        out[i] = g if lags[i] >= 0 else g.T
    return out


def output_autocovariance(model: LowRankLinearRNN | LatentLDS, lags: Any) -> FloatArray:
    """Stationary output autocovariance ``Gamma(k) = E[y_{t+k} y_t^T]`` in closed form.

    Discrete time: RNN :math:`\\Gamma(k) = DJ^k\\Sigma_xD^T` with :math:`\\Sigma_x =
    J\\Sigma_xJ^T + S`; LDS :math:`\\Gamma(k) = CA^k\\Sigma_zC^T + \\delta_{k0}R` with
    :math:`\\Sigma_z = A\\Sigma_zA^T + Q`. Continuous time: RNN :math:`\\Gamma(\\tau) =
    De^{(J-I)\\tau}\\Sigma_xD^T` with :math:`(J-I)\\Sigma_x + \\Sigma_x(J-I)^T + S = 0`; LDS
    :math:`\\Gamma(\\tau) = Ce^{A\\tau}\\Sigma_zC^T + e^{-\\lambda\\tau}R/2\\lambda` (OU observation
    noise; white observation noise, allowed only with zero ``R``, adds nothing). Negative lags
    give the transpose. Lyapunov equations by ``scipy.linalg``; no simulation. docs/theory.md 7.4.

    Parameters
    ----------
    model : LowRankLinearRNN or LatentLDS
    lags : sequence of int (discrete) or float (continuous)

    Returns
    -------
    (L, p, p) ndarray
    """
    if isinstance(model, LowRankLinearRNN):
        lg = _lags(lags, model.time)
        D = np.asarray(model.observe)
        X = model.stationary_cov()
        if model.time == "discrete":
            return _discrete_autocov((model.M, model.N), X @ D.T, D, lg)
        F = model.drift
        out = np.empty((lg.size, model.p, model.p))
        XD = X @ D.T
        for i, t in enumerate(lg):
            g = D @ (sla.expm(F * abs(t)) @ XD)
            out[i] = g if t >= 0 else g.T
        return out
    if isinstance(model, LatentLDS):
        lg = _lags(lags, model.time)
        Sz = model.stationary_cov()
        C = model.C
        if model.time == "discrete":
            acov = _discrete_autocov(model.A, Sz @ C.T, C, lg)
            acov[lg == 0] += model.R
            return acov
        out = np.empty((lg.size, model.p, model.p))
        SC = Sz @ C.T
        lam = model.noise_rate
        for i, t in enumerate(lg):
            g = C @ (sla.expm(model.A * abs(t)) @ SC)
            if model.observation_noise == "ou":
                g = g + np.exp(-lam * abs(t)) * model.R / (2.0 * lam)
            out[i] = g if t >= 0 else g.T
        return out
    raise TypeError(
        f"`model` must be a LowRankLinearRNN or a LatentLDS; got {type(model).__name__}."
    )


# ----------------------------------------------------------------------------------------------
# LDS -> RNN


def _relnorm(a: FloatArray, ref: float) -> float:
    return float(np.linalg.norm(a, 2)) / ref if ref > 0 else float(np.linalg.norm(a, 2))


def lds_to_rnn(
    lds: LatentLDS,
    *,
    limit: Literal["exact", "many_observations"] = "exact",
    tol: float = 1e-10,
) -> LowRankLinearRNN:
    """Low-rank linear RNN of a latent LDS, exact or in the many-observations limit.

    ``limit="exact"`` needs zero observation noise and an observation matrix ``C`` of full
    column rank; then :math:`z = C^+y` and the observations are themselves Markov:
    discrete :math:`J = CAC^+`, continuous :math:`J = C(A+I)C^+` (so that :math:`-I + J` acts
    as :math:`CAC^+` on :math:`\\mathrm{span}\\,C`; the complement decays), noise
    :math:`S = CQC^T` (singular when ``p > d``). The RNN has ``n = p`` units, all observed,
    ``M = CA`` (or ``C(A+I)``) and ``N = (C^+)^T``.

    ``limit="many_observations"`` (approximate) replaces :math:`C^+` by the generalized
    least-squares read-out :math:`W = (C^TR^{-1}C)^{-1}C^TR^{-1}`: :math:`J = CAW` (discrete) or
    :math:`C(A+I)W` (continuous, OU observation noise of rate 1 only), noise :math:`CQC^T + R`.
    What is approximate: the latent state is replaced by its one-observation estimate
    :math:`Wy_t = z_t + Wv_t`, whose error covariance :math:`(C^TR^{-1}C)^{-1}` is neglected, and
    the observation noise is treated as part of the Markov state. The error vanishes as
    :math:`(C^TR^{-1}C)^{-1} \\to 0`, i.e. as the number of informative observations grows
    (like ``1/p`` for ``p`` observations of comparable quality). Valente, Ostojic & Pillow,
    arXiv:2110.09804; docs/theory.md section 7.4.

    Parameters
    ----------
    lds : LatentLDS
    limit : {"exact", "many_observations"}
    tol : float
        Relative tolerance for "``R`` is zero" (against the signal covariance
        :math:`\\|C\\Sigma_zC^T\\|`) and for the column rank of ``C``.

    Returns
    -------
    LowRankLinearRNN

    Raises
    ------
    NotConvertibleError
        The condition of the requested limit fails (message names it, with numbers).
    """
    if not isinstance(lds, LatentLDS):
        raise TypeError(f"`lds` must be a LatentLDS; got {type(lds).__name__}.")
    check_in("limit", limit, ("exact", "many_observations"))
    tol = check_positive("tol", tol)
    C, A, Q, R = lds.C, lds.A, lds.Q, lds.R
    p, d = C.shape
    sv = np.linalg.svd(C, compute_uv=False)
    crank = int(np.sum(sv > tol * sv[0])) if sv.size and sv[0] > 0 else 0
    if crank < d:
        raise NotConvertibleError(
            f"`lds.C` must have full column rank {d} for any conversion to an RNN; got rank "
            f"{crank} (singular values {show(np.round(sv, 12).tolist())}). The latent state is "
            "not identifiable from one observation; reduce the latent space to its observable "
            "part, or use `markov_gap` to measure how far the observations are from Markov."
        )
    shift = np.zeros((d, d)) if lds.time == "discrete" else np.eye(d)
    if limit == "exact":
        signal = float(np.linalg.norm(C @ lds.stationary_cov() @ C.T, 2))
        rn = _relnorm(R, signal)
        if rn > tol:
            raise NotConvertibleError(
                f"`lds.R` must be zero for an exact conversion (observations Markov); got "
                f"||R||_2 / ||C Sigma_z C^T||_2 = {rn:.3e} > tol = {tol:.1e}. With observation "
                "noise the observations are not Markov: measure the loss with "
                "`markov_gap(lds)`, or use lds_to_rnn(lds, limit='many_observations') when "
                "there are many informative observations."
            )
        W = np.linalg.pinv(C)
        S = C @ Q @ C.T
    else:
        if lds.time == "continuous" and lds.observation_noise == "ou" and lds.noise_rate != 1.0:
            raise NotConvertibleError(
                f"`lds.noise_rate` must be 1 (the leak) for a low-rank RNN in continuous time; "
                f"got {lds.noise_rate!r}. The Markov approximation then has J = (1 - rate) I + "
                "C (A + rate I) W, which is not low rank; use `markov_gap` on a discretized "
                "model instead."
            )
        try:
            cf = sla.cho_factor(R)
        except np.linalg.LinAlgError:
            cf = None
        if cf is None or np.min(np.linalg.eigvalsh(R)) <= tol * np.max(np.abs(R)):
            low = float(np.linalg.eigvalsh(R)[0]) if p else 0.0
            raise NotConvertibleError(
                "`lds.R` must be positive definite for the many-observations limit (its "
                f"read-out weights R^-1); got smallest eigenvalue {low:.3e}. With zero "
                "observation noise use limit='exact'; with singular noise, restrict the "
                "observations to a subspace where R is invertible."
            )
        RiC = sla.cho_solve(cf, C)
        W = np.linalg.solve(C.T @ RiC, RiC.T)
        S = C @ Q @ C.T + R
    S = 0.5 * (S + S.T)
    return LowRankLinearRNN(M=C @ (A + shift), N=W.T, noise_cov=S, time=lds.time, observe=np.eye(p))


# ----------------------------------------------------------------------------------------------
# Markov gap


@dataclass(frozen=True, eq=False)
class MarkovGap:
    """One-step predictability lost by a Markov model of the observations (discrete time).

    Attributes
    ----------
    markov_cov : (p, p) ndarray
        Prediction-error covariance of the best linear AR(1) model,
        :math:`\\Gamma_0 - \\Gamma_1\\Gamma_0^{-1}\\Gamma_1^T` with :math:`\\Gamma_k =
        E[y_{t+k}y_t^T]` (weights :math:`\\Gamma_1\\Gamma_0^{-1}`).
    kalman_cov : (p, p) ndarray
        Steady-state innovation covariance of the Kalman filter :math:`C\\Sigma_pC^T + R`, the
        smallest one-step prediction error of any predictor using the whole past.
    markov_trace, kalman_trace : float
    relative_gap : float
        ``(markov_trace - kalman_trace) / kalman_trace`` (>= 0; 0 when the observations are
        Markov).
    markov_logdet, kalman_logdet : float
        Log-determinants (``-inf`` for singular covariances).
    logdet_gap : float
        ``markov_logdet - kalman_logdet`` (nats per step; >= 0).
    p, latent_dim : int
    """

    markov_cov: FloatArray
    kalman_cov: FloatArray
    markov_trace: float
    kalman_trace: float
    relative_gap: float
    markov_logdet: float
    kalman_logdet: float
    logdet_gap: float
    p: int
    latent_dim: int

    def to_dict(self) -> dict[str, Any]:
        """Scalars only (the covariances are in :meth:`to_xarray`)."""
        return {
            "p": self.p,
            "latent_dim": self.latent_dim,
            "markov_trace": self.markov_trace,
            "kalman_trace": self.kalman_trace,
            "relative_gap": self.relative_gap,
            "markov_logdet": self.markov_logdet,
            "kalman_logdet": self.kalman_logdet,
            "logdet_gap": self.logdet_gap,
        }

    def to_xarray(self) -> Any:
        """``xarray.Dataset`` with both covariances (dims ``output``, ``output_j``), scalars as
        attributes."""
        import xarray as xr

        dims = ("output", "output_j")
        return xr.Dataset(
            {"markov_cov": (dims, self.markov_cov), "kalman_cov": (dims, self.kalman_cov)},
            attrs=self.to_dict(),
        )


def _logdet(a: FloatArray) -> float:
    sign, val = np.linalg.slogdet(a)
    return float(val) if sign > 0 else -np.inf


def _riccati_iteration(
    A: FloatArray, C: FloatArray, Q: FloatArray, R: FloatArray, X0: FloatArray
) -> FloatArray:
    """Predicted-state covariance by the Riccati recursion from ``X0`` (fallback path)."""
    X = X0
    max_iter, rtol = 100_000, 1e-14
    delta = np.inf
    for _ in range(max_iter):
        V = C @ X @ C.T + R
        K = A @ X @ C.T @ np.linalg.pinv(V, hermitian=True)
        Xn = A @ X @ A.T + Q - K @ C @ X @ A.T
        Xn = 0.5 * (Xn + Xn.T)
        delta = float(np.max(np.abs(Xn - X))) / max(float(np.max(np.abs(Xn))), 1e-300)
        X = Xn
        if delta <= rtol:
            return X
    raise ConvergenceError(
        "Riccati recursion for the Kalman predictor did not converge",
        n_iter=max_iter,
        residual=delta,
        tol=rtol,
    )


def kalman_predicted_cov(lds: LatentLDS) -> FloatArray:
    """Steady-state predicted latent covariance :math:`\\Sigma_p` of the Kalman filter.

    Solves :math:`\\Sigma_p = A\\Sigma_pA^T + Q - A\\Sigma_pC^T(C\\Sigma_pC^T+R)^{-1}C\\Sigma_pA^T`.
    With ``R`` positive definite, in information form :math:`\\Sigma_p = A(\\Sigma_p^{-1} +
    C^TR^{-1}C)^{-1}A^T + Q`, a ``d``-dimensional ``scipy.linalg.solve_discrete_are`` with
    ``B = L`` (``L L^T = C^T R^{-1} C``) and unit weight; otherwise the ``p``-dimensional form
    ``solve_discrete_are(A^T, C^T, Q, R)``, falling back on the Riccati recursion when the
    pencil is too ill-conditioned (e.g. ``R = 0`` with ``p > d``). Discrete time only.
    """
    if lds.time != "discrete":
        raise ValueError(
            "`lds.time` must be 'discrete' for the Kalman predictor; got 'continuous'. "
            "Discretize the model first (the continuous-time filter is not implemented)."
        )
    A, C, Q, R = lds.A, lds.C, lds.Q, lds.R
    cf = None
    if lds.p and np.all(np.isfinite(R)):
        try:
            cf = sla.cho_factor(R)
            ev = np.linalg.eigvalsh(R)
            if ev[0] <= 1e-10 * ev[-1]:
                cf = None
        except np.linalg.LinAlgError:
            cf = None
    if cf is not None:
        G = C.T @ sla.cho_solve(cf, C)
        w, V = np.linalg.eigh(0.5 * (G + G.T))
        keep = w > 1e-14 * max(float(w[-1]), 1e-300)
        L = V[:, keep] * np.sqrt(w[keep])
        if L.shape[1]:
            X = sla.solve_discrete_are(A.T, L, Q, np.eye(L.shape[1]))
        else:
            X = lds.stationary_cov()
    else:
        try:
            X = sla.solve_discrete_are(A.T, C.T, Q, R)
        except (ValueError, np.linalg.LinAlgError):
            X = _riccati_iteration(A, C, Q, R, lds.stationary_cov())
    return np.asarray(0.5 * (X + X.T))


def markov_gap(lds: LatentLDS) -> MarkovGap:
    """Gap between the best Markov model of the observations and the Kalman filter.

    The best linear AR(1) model :math:`\\hat y_{t+1} = \\Gamma_1\\Gamma_0^{-1}y_t` has error
    covariance :math:`E_M = \\Gamma_0 - \\Gamma_1\\Gamma_0^{-1}\\Gamma_1^T`; the Kalman filter,
    the best predictor from the whole past, has the steady-state innovation covariance
    :math:`E_K = C\\Sigma_pC^T + R` (:func:`kalman_predicted_cov`). :math:`E_M \\succeq E_K`, with
    equality when the observations are Markov (e.g. every unit of a low-rank RNN observed, or
    zero observation noise with ``C`` of full column rank). Discrete time only: for a
    continuous-time model discretize first (the exact conversion of a continuous RNN has colored
    observation noise, which a discrete filter must carry in its state). Valente, Ostojic &
    Pillow, arXiv:2110.09804; docs/theory.md section 7.4.

    Parameters
    ----------
    lds : LatentLDS
        Discrete time.

    Returns
    -------
    MarkovGap
    """
    if not isinstance(lds, LatentLDS):
        raise TypeError(f"`lds` must be a LatentLDS; got {type(lds).__name__}.")
    if lds.time != "discrete":
        raise ValueError(
            "`lds.time` must be 'discrete' for markov_gap; got 'continuous'. Sample the "
            "continuous model at a step h (A -> expm(A h), with the matching noise) first."
        )
    C, A, R = lds.C, lds.A, lds.R
    Sz = lds.stationary_cov()
    G0 = C @ Sz @ C.T + R
    G1 = C @ A @ Sz @ C.T
    G0 = 0.5 * (G0 + G0.T)
    try:  # Gamma_0^{-1} Gamma_1^T (least squares if Gamma_0 is singular)
        sol = sla.cho_solve(sla.cho_factor(G0), G1.T)
    except np.linalg.LinAlgError:
        sol = np.linalg.lstsq(G0, G1.T, rcond=None)[0]
    EM = G0 - G1 @ sol
    EM = 0.5 * (EM + EM.T)
    X = kalman_predicted_cov(lds)
    EK = C @ X @ C.T + R
    EK = 0.5 * (EK + EK.T)
    tm, tk = float(np.trace(EM)), float(np.trace(EK))
    lm, lk = _logdet(EM), _logdet(EK)
    gap = lm - lk if np.isfinite(lm) and np.isfinite(lk) else float("nan")
    return MarkovGap(
        markov_cov=EM,
        kalman_cov=EK,
        markov_trace=tm,
        kalman_trace=tk,
        relative_gap=(tm - tk) / tk if tk > 0 else float("nan"),
        markov_logdet=lm,
        kalman_logdet=lk,
        logdet_gap=gap,
        p=lds.p,
        latent_dim=lds.latent_dim,
    )


# ----------------------------------------------------------------------------------------------
# dynamax layout


def to_dynamax(lds: LatentLDS) -> dict[str, dict[str, FloatArray]]:
    """Parameters in the nested layout of dynamax's ``ParamsLGSSM`` (plain numpy arrays).

    dynamax's linear Gaussian SSM: :math:`z_1\\sim\\mathcal N(m, S_0)`, :math:`z_{t+1} = Fz_t +
    Bu_t + b + w_t` (:math:`w\\sim\\mathcal N(0,Q)`), :math:`y_t = Hz_t + Du_t + d + v_t`
    (:math:`v\\sim\\mathcal N(0,R)`). Returns ``{"initial": {"mean", "cov"}, "dynamics":
    {"weights", "bias", "input_weights", "cov"}, "emissions": {...}}`` with zero biases and
    ``input_weights`` of shape ``(d, 0)`` / ``(p, 0)``; the initial state defaults to the
    stationary distribution. Build a real one with ``ParamsLGSSM(initial=ParamsLGSSMInitial(
    **out["initial"]), dynamics=ParamsLGSSMDynamics(**out["dynamics"]),
    emissions=ParamsLGSSMEmissions(**out["emissions"]))``. Discrete time only.
    """
    if not isinstance(lds, LatentLDS):
        raise TypeError(f"`lds` must be a LatentLDS; got {type(lds).__name__}.")
    if lds.time != "discrete":
        raise ValueError(
            "`lds.time` must be 'discrete' for the dynamax layout (dynamax's LGSSM is a "
            "discrete-time model); got 'continuous'. Sample the model at a step first."
        )
    d, p = lds.latent_dim, lds.p
    mean = np.zeros(d) if lds.initial_mean is None else np.array(lds.initial_mean)
    cov = lds.stationary_cov() if lds.initial_cov is None else np.array(lds.initial_cov)
    return {
        "initial": {"mean": mean, "cov": cov},
        "dynamics": {
            "weights": np.array(lds.A),
            "bias": np.zeros(d),
            "input_weights": np.zeros((d, 0)),
            "cov": np.array(lds.Q),
        },
        "emissions": {
            "weights": np.array(lds.C),
            "bias": np.zeros(p),
            "input_weights": np.zeros((p, 0)),
            "cov": np.array(lds.R),
        },
    }


def _get(obj: Any, key: str, where: str) -> Any:
    if isinstance(obj, Mapping):
        if key not in obj:
            raise ValueError(f"`{where}` must have an entry {key!r}; got keys {list(obj)}.")
        return obj[key]
    if not hasattr(obj, key):
        raise ValueError(
            f"`{where}` must have an attribute {key!r} (dynamax ParamsLGSSM layout); got "
            f"{type(obj).__name__}."
        )
    return getattr(obj, key)


def _must_be_zero(name: str, value: Any) -> None:
    if value is None:
        return
    arr = np.asarray(value, dtype=float)
    if arr.size and np.any(arr != 0):
        raise ValueError(
            f"`{name}` must be zero (LatentLDS has no bias or inputs); got max |value| = "
            f"{float(np.max(np.abs(arr))):.3e}. Subtract the stationary mean first."
        )


def from_dynamax(params: Any) -> LatentLDS:
    """A discrete-time :class:`LatentLDS` from dynamax's ``ParamsLGSSM`` layout.

    Accepts the dict of :func:`to_dynamax` or any object with attributes ``initial``,
    ``dynamics``, ``emissions`` (a real ``ParamsLGSSM``; jax arrays are converted with
    ``numpy.asarray``). Biases and input weights must be zero; a 1-d emission covariance is
    read as a diagonal. Time-varying (3-d) weights are refused.
    """

    def arr(value: Any, name: str) -> FloatArray:
        out = np.asarray(value, dtype=float)
        if out.ndim == 3:
            raise ValueError(
                f"`{name}` must be time-invariant (2-d); got shape {out.shape}. Time-varying "
                "parameters have no LatentLDS equivalent."
            )
        return out

    init = _get(params, "initial", "params")
    dyn = _get(params, "dynamics", "params")
    emi = _get(params, "emissions", "params")
    A = arr(_get(dyn, "weights", "params.dynamics"), "params.dynamics.weights")
    Q = arr(_get(dyn, "cov", "params.dynamics"), "params.dynamics.cov")
    C = arr(_get(emi, "weights", "params.emissions"), "params.emissions.weights")
    R = arr(_get(emi, "cov", "params.emissions"), "params.emissions.cov")
    if R.ndim == 1:
        R = np.diag(R)
    for part, where in ((dyn, "params.dynamics"), (emi, "params.emissions")):
        for key in ("bias", "input_weights"):
            val = part.get(key) if isinstance(part, Mapping) else getattr(part, key, None)
            _must_be_zero(f"{where}.{key}", val)
    mean = arr(_get(init, "mean", "params.initial"), "params.initial.mean")
    cov = arr(_get(init, "cov", "params.initial"), "params.initial.cov")
    return LatentLDS(A=A, Q=Q, C=C, R=R, time="discrete", initial_mean=mean, initial_cov=cov)
