r"""Linear-equivalent covariances of a realization with heterogeneous units.

Units differ in gain :math:`\mu_{1,i}`, residual spectrum :math:`S_{r,i}(\omega)` and time
constant :math:`\tau_i` (docs/theory.md sections 8.2-8.3). Three routes:

- the eigenbasis of :math:`JG`, :math:`G = \mathrm{diag}(\mu_{1,i})`, exact in frequency, for
  one time constant (:func:`heterogeneous_covariance` with ``method="eigen"``);
- frequency quadrature with LU solves, for any time constants (``method="quadrature"``,
  the cross-check and the route for per-unit or per-population time constants);
- lagged covariances and the realization's population autocovariances in the same
  eigenbasis (:func:`lagged_covariance`).

The naive Gaussian closure with heterogeneous units is :func:`heterogeneous_naive_closure`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from randrnn._typing import ComplexArray, FloatArray
from randrnn._validation import check_array, check_in, check_nonnegative
from randrnn.covariance._common import (
    COND_THRESHOLD,
    UnstableNetworkError,
    _alpha_and_check,
    _c,
    _frequency_rule,
)
from randrnn.covariance.prediction import CovariancePrediction, _check_coupling
from randrnn.covariance.units import UnitResiduals


def _check_tau_vector(tau: Any, n: int) -> FloatArray:
    arr = np.asarray(tau, dtype=float)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    tv = check_array("tau", arr, shape=(n,))
    if np.any(tv <= 0):
        raise ValueError(f"`tau` must be > 0 for every unit; got min {float(tv.min())!r}.")
    return tv


def _check(J: ArrayLike, residuals: UnitResiduals, sigma: float) -> tuple[FloatArray, float]:
    Jm = _check_coupling(J)
    if not isinstance(residuals, UnitResiduals):
        raise TypeError(
            "`residuals` must be a UnitResiduals (randrnn.covariance.unit_residuals); got "
            f"{type(residuals).__name__}."
        )
    if residuals.n != Jm.shape[0]:
        raise ValueError(
            f"`residuals` describe {residuals.n} units but `J` has {Jm.shape[0]}; build them "
            "from this realization's means."
        )
    return Jm, check_nonnegative("sigma", sigma)


@dataclass(frozen=True, slots=True, eq=False)
class _Basis:
    r"""Eigenbasis of :math:`JG`: ``lam``, ``V``, ``U = V^{-1}``, ``Y = U J``."""

    lam: ComplexArray
    V: ComplexArray
    U: ComplexArray
    Y: ComplexArray
    cond: float
    seconds: float


def _basis(J: FloatArray, gains: FloatArray) -> _Basis:
    t0 = time.perf_counter()
    lam, V = np.linalg.eig(J * gains[None, :])
    U = np.asarray(np.linalg.inv(V), dtype=np.complex128)
    cond = float(math.sqrt(lam.size) * np.linalg.norm(U))
    Y = np.asarray(U @ J, dtype=np.complex128)
    return _Basis(lam=lam, V=V, U=U, Y=Y, cond=cond, seconds=time.perf_counter() - t0)


def _alpha(lam: ComplexArray) -> tuple[ComplexArray, float]:
    # _alpha_and_check takes mu1 * lam; the eigenvalues of J G already carry the gains
    return _alpha_and_check(lam, 1.0)


def _x_kernel(
    b: _Basis,
    alpha: ComplexArray,
    past: ComplexArray,
    future: ComplexArray,
    noise: float,
    decay: ComplexArray | None = None,
) -> ComplexArray:
    r"""The matrix :math:`X` with :math:`C_x = \mathrm{Re}\,V X V^H` (:func:`lagged_covariance`)."""
    D = 1.0 / (alpha[:, None] + alpha.conj()[None, :])
    Y = b.Y
    X = (Y * past.T) @ Y.conj().T
    # equal time: the second term is the Hermitian transpose of the first
    X += X.conj().T if future is past else Y @ (Y * future.T).conj().T
    if noise:
        UU = b.U @ b.U.conj().T
        X += noise * (UU if decay is None else decay[:, None] * UU)
    X *= D
    return X


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LaggedCovariance:
    r"""Lagged covariances of one realization from the linear-equivalent network.

    :math:`C(t) = \langle\delta v(s+t)\,\delta v(s)^T\rangle` (row: the later time).

    Parameters
    ----------
    lags : (L,) ndarray
        Lags :math:`t \ge 0` (network time units).
    trace_x, trace_phi : (L,) ndarray
        The realization's population autocovariances :math:`\frac1N\mathrm{tr}\,C_x(t)` and
        :math:`\frac1N\mathrm{tr}\,C_\phi(t)` (connected: around each unit's own mean).
    c_x, c_phi : (L, n, n) ndarray or None
        The full matrices (only when requested).
    seconds : float
        Wall time.
    """

    lags: FloatArray
    trace_x: FloatArray
    trace_phi: FloatArray
    c_x: FloatArray | None
    c_phi: FloatArray | None
    seconds: float

    def to_xarray(self) -> Any:
        """Return an ``xarray.Dataset`` with dim ``lag`` (and ``neuron``, ``neuron_j``)."""
        import xarray as xr

        data: dict[str, Any] = {
            "trace_x": (("lag",), self.trace_x, {"long_name": "(1/N) tr C_x(t)"}),
            "trace_phi": (("lag",), self.trace_phi, {"long_name": "(1/N) tr C_phi(t)"}),
        }
        if self.c_x is not None and self.c_phi is not None:
            dims = ("lag", "neuron", "neuron_j")
            data["c_x_lagged"] = (dims, self.c_x)
            data["c_phi_lagged"] = (dims, self.c_phi)
        return xr.Dataset(data, coords={"lag": self.lags})


def _lag_steps(lags: FloatArray, residuals: UnitResiduals, tau: float) -> FloatArray:
    dt = residuals.dt
    steps = lags / dt
    if np.any(np.abs(steps - np.round(steps)) > 1e-6):
        raise ValueError(
            f"`lags` must be multiples of the residual profiles' lag step {dt!r} (the DMFT "
            f"grid); got {lags!r}. Choose lags on that grid or solve the DMFT with a step "
            "that divides them (FixedPoint(dt=...))."
        )
    return np.round(steps).astype(int)


def _lagged_from_basis(
    b: _Basis,
    J: FloatArray,
    residuals: UnitResiduals,
    sigma: float,
    tau: float,
    lags: FloatArray,
    full: bool,
) -> LaggedCovariance:
    t0 = time.perf_counter()
    alpha, _ = _alpha(b.lam)
    steps = _lag_steps(lags, residuals, tau)
    gains = residuals.gains
    n = J.shape[0]
    V = b.V
    # traces in O(n^2) per lag: tr(G^2 V X V^H) = sum_kl X_kl (V^H G^2 V)_lk, and the X terms
    # sum_i Y_ki A_ik Y*_li D_kl M_lk = sum_i Y_ki A_ik Z_ki with Z = (D o M^T) conj(Y)
    D = 1.0 / (alpha[:, None] + alpha.conj()[None, :])
    VhV = V.conj().T @ V
    VhGV = V.conj().T @ (gains[:, None] ** 2 * V)
    UU = b.U @ b.U.conj().T
    Yc = b.Y.conj()

    def z_of(M: ComplexArray) -> tuple[ComplexArray, ComplexArray]:
        DM = D * M.T
        # term 1: sum_i Y_ki P_ik Z1_ki, Z1 = (D o M^T) conj(Y)
        # term 2: sum_kl D_kl M_lk Y_ki conj(Y_li F_il) = sum_i conj(Y_li F_il) Z2_li,
        #         Z2 = (D o M^T)^T Y
        return DM @ Yc, DM.T @ b.Y

    z1x, z2x = z_of(VhV)
    z1p, z2p = z_of(VhGV)
    noise_x = np.sum(D * UU * VhV.T, axis=1)  # per k, times e^{-alpha_k s}
    noise_p = np.sum(D * UU * VhGV.T, axis=1)
    tr_x = np.empty(lags.size)
    tr_p = np.empty(lags.size)
    cx_all = np.empty((lags.size, n, n)) if full else None
    cp_all = np.empty((lags.size, n, n)) if full else None
    a_s = alpha / tau
    noise = sigma**2 / tau
    Y = b.Y
    profiles = residuals.profile(np.arange(n))
    partial = residuals.lagged(a_s, steps)
    for j, (t, st) in enumerate(zip(lags, steps, strict=True)):
        past, future = partial[j]
        past = past / tau
        future = future / tau
        decay = np.exp(-alpha * (t / tau))
        t1x = np.sum(Y * past.T * z1x)
        t2x = np.sum((Y * future.T).conj() * z2x)
        trx = float((t1x + t2x + noise * np.sum(decay * noise_x)).real)
        t1p = np.sum(Y * past.T * z1p)
        t2p = np.sum((Y * future.T).conj() * z2p)
        trgx = float((t1p + t2p + noise * np.sum(decay * noise_p)).real)
        # C_xr(t)_ii = sum_k V_ik Y_ki past_i(alpha_k); C_rx(t)_ii = sum_k V_ik Y_ki future
        cxr = np.sum(V * (Y * past.T).T, axis=1).real
        crx = np.sum(V * (Y * future.T).T, axis=1).real
        s_t = profiles[:, int(st)] if st < profiles.shape[1] else np.zeros(n)
        tr_x[j] = trx / n
        tr_p[j] = (trgx + float(np.sum(gains * (cxr + crx))) + float(np.sum(s_t))) / n
        if full:
            X = _x_kernel(b, alpha, past, future, noise, decay)
            cx = (V @ X @ V.conj().T).real
            Cxr = (V @ (Y * past.T)).real
            Crx = (V @ (Y * future.T)).real.T
            cp = gains[:, None] * cx * gains[None, :] + gains[:, None] * Cxr + Crx * gains
            cp[np.diag_indices(n)] += s_t
            cx_all[j] = cx  # type: ignore[index]
            cp_all[j] = cp  # type: ignore[index]
    return LaggedCovariance(
        lags=lags,
        trace_x=tr_x,
        trace_phi=tr_p,
        c_x=cx_all,
        c_phi=cp_all,
        seconds=time.perf_counter() - t0,
    )


def heterogeneous_covariance(
    J: ArrayLike,
    residuals: UnitResiduals,
    *,
    sigma: float = 0.0,
    tau: float | ArrayLike = 1.0,
    method: Literal["auto", "eigen", "quadrature"] = "auto",
) -> CovariancePrediction:
    r"""Equal-time covariances of a realization whose units differ in gain, residual and tau.

    Parameters
    ----------
    J : (n, n) array_like
        Couplings of the realization (including block means).
    residuals : UnitResiduals
        Per-unit gains and residual statistics (:func:`~randrnn.covariance.unit_residuals`).
    sigma : float
        White-noise amplitude.
    tau : float or (n,) array_like
        Time constants; per-unit values need ``method="quadrature"`` (``"auto"`` picks it).
    method : {"auto", "eigen", "quadrature"}
        ``"eigen"``: exact frequency integrals in the eigenbasis of :math:`JG` (one time
        constant). ``"quadrature"``: frequency quadrature with LU solves (any time constants).
        ``"auto"``: eigen when the time constant is common and the eigenvector condition
        number is at most :data:`~randrnn.covariance.COND_THRESHOLD`.

    Returns
    -------
    CovariancePrediction
        ``c_phi``, ``c_x``, ``c_xphi`` (connected, around each unit's mean) and diagnostics;
        ``residual`` holds ``residuals``.

    Raises
    ------
    UnstableNetworkError
        If the linear-equivalent network is unstable
        (:math:`\operatorname{Re}\,\lambda_k(T^{-1}(I - JG)) \le 0`).
    ValueError
        For mismatched shapes, per-unit ``tau`` with ``method="eigen"``, or bad values.

    Notes
    -----
    **Model** (docs/theory.md section 8.2; Clark [1]_ with diagonal gains). Unit :math:`i`'s
    activity is :math:`\phi_i = \psi_i + \mu_{1,i}\,\delta x_i + r_i` with residuals independent
    across units, spectrum :math:`S_{r,i}(\omega)`. With :math:`G = \mathrm{diag}(\mu_{1,i})`,
    :math:`T = \mathrm{diag}(\tau_i)`,

    .. math::

        (I + i\omega T - JG)\,\delta\hat x = J\hat r + \sigma\hat\xi, \qquad
        \delta\hat\phi = G\,\delta\hat x + \hat r,

    so with :math:`R_x = (I + i\omega T - JG)^{-1}`,

    .. math::

        C_x(\omega) = R_x\,[J S_r J^T + \sigma^2 I]\,R_x^H, \quad
        C_{xr}(\omega) = R_x J S_r, \quad
        C_\phi = G C_x G + G C_{xr} + C_{xr}^H G + S_r, \quad
        C_{x\phi} = C_x G + C_{xr}.

    **Eigenbasis** (one :math:`\tau`; time in units of :math:`\tau`). With
    :math:`JG = V\Lambda U`, :math:`U = V^{-1}`, :math:`\alpha_k = 1 - \lambda_k`,
    :math:`Y = UJ` and :math:`S_i(\alpha) = \int_0^\infty s_{r,i}(t)e^{-\alpha t}dt`,
    partial fractions give

    .. math::

        C_x = \mathrm{Re}\,V X V^H,\quad
        X_{kl} = \frac{\sum_i Y_{ki}\bar Y_{li}\,[S_i(\alpha_k) + \overline{S_i(\alpha_l)}]
            + \sigma^2 (UU^H)_{kl}}{\alpha_k + \bar\alpha_l},\qquad
        C_{xr} = \mathrm{Re}\,V\,[Y_{ki} S_i(\alpha_k)].

    The sums over :math:`i` are matrix products of :math:`Y\circ S^T` with :math:`Y^H`: cost
    :math:`O(n^3)` (one ``eig``, one inverse, about six complex products) plus the
    :math:`n^2` transforms :math:`S_i(\alpha_k)`, interpolated in the mean from a few nodes.
    No :math:`G^{-1}` appears, so silent units (:math:`\mu_{1,i} \to 0`, ReLU) are harmless.
    With all gains and residuals equal this is the homogeneous formula of
    :func:`~randrnn.covariance.linear_equivalent_covariance` (tested to 1e-10).

    **Quadrature** (any :math:`T`): :math:`\frac1\pi\mathrm{Re}\int_0^\infty` of the spectral
    matrices on the composite Gauss-Legendre rule of the homogeneous prediction, with poles at
    :math:`i\,\mathrm{eig}(T^{-1}(I - JG))`; per node one complex inverse and three complex
    products, :math:`\approx 4 n^3` complex multiply-adds, i.e. several hundred times the
    eigenbasis cost for a few hundred nodes (minutes at N = 1000, an hour at N = 2000 on two
    cores).

    **Assumptions and approximations**

    - Linear-equivalence ansatz with per-unit gains and residual spectra; residuals of
      different units independent (:math:`O(1/N)` errors, growing near the edge).
    - Per-unit residual statistics from the ensemble DMFT's dynamic autocovariance of the
      unit's population and the unit's own mean (docs/theory.md section 8.2).
    - Additive white noise independent across units; connected covariances.

    References
    ----------
    .. [1] D. G. Clark, "Linear equivalence of nonlinear recurrent neural networks",
       arXiv:2604.23489 (2026).
    """
    return _predict(J, residuals, sigma, tau, method)[0]


def _predict(
    J: ArrayLike, residuals: UnitResiduals, sigma: float, tau: Any, method: str
) -> tuple[CovariancePrediction, _Basis | None]:
    """:func:`heterogeneous_covariance` and the eigenbasis of ``J G`` it computed (or None)."""
    Jm, sig = _check(J, residuals, sigma)
    check_in("method", method, ["auto", "eigen", "quadrature"])
    n = Jm.shape[0]
    tv = _check_tau_vector(tau, n)
    one_tau = bool(np.all(tv == tv[0]))
    b: _Basis | None = None
    if method == "eigen" and not one_tau:
        raise ValueError(
            "`method` = 'eigen' needs one time constant for all units (the eigenbasis shortcut "
            "needs one frequency dependence); got per-unit tau. Use method='quadrature' or "
            "'auto'."
        )
    gains = residuals.gains
    seconds: dict[str, float] = {}
    if one_tau and method != "quadrature":
        b = _basis(Jm, gains)
        seconds["eig"] = b.seconds
        alpha, min_re = _alpha(b.lam)
        if method == "eigen" or b.cond <= COND_THRESHOLD:
            t0 = time.perf_counter()
            c_x, c_xr, imag = _eigen_equal_time(b, alpha, residuals, sig, float(tv[0]))
            seconds["assembly"] = time.perf_counter() - t0
            pred = _result(
                Jm,
                residuals,
                c_x,
                c_xr,
                "eigen",
                b.cond,
                min_re,
                b.lam,
                seconds,
                0,
                imag,
                sig,
                float(tv[0]),
            )
            return pred, b
    t0 = time.perf_counter()
    lam_t, min_re = _tau_poles(Jm, gains, tv)
    lam = np.asarray(np.linalg.eigvals(Jm * gains[None, :]), dtype=np.complex128)
    seconds["eig"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    c_x, c_xr, n_freq = _quadrature(Jm, residuals, sig, tv, lam_t)
    seconds["assembly"] = time.perf_counter() - t0
    pred = _result(
        Jm,
        residuals,
        c_x,
        c_xr,
        "quadrature",
        math.nan,
        min_re,
        lam,
        seconds,
        n_freq,
        0.0,
        sig,
        float(tv[0]) if one_tau else tv,
    )
    return pred, b


def _eigen_equal_time(
    b: _Basis, alpha: ComplexArray, residuals: UnitResiduals, sigma: float, tau: float
) -> tuple[FloatArray, FloatArray, float]:
    S = residuals.laplace(alpha / tau) / tau  # (n units, n modes)
    X = _x_kernel(b, alpha, S, S, sigma**2 / tau)
    cx = b.V @ X @ b.V.conj().T
    cxr = b.V @ (b.Y * S.T)
    scale = float(np.abs(cx.real).max()) or 1.0
    imag = float(np.abs(cx.imag).max()) / scale
    return cx.real, cxr.real, imag


def _tau_poles(J: FloatArray, gains: FloatArray, tau: FloatArray) -> tuple[ComplexArray, float]:
    r"""Eigenvalues :math:`\kappa_k` of :math:`T^{-1}(I - JG)` (poles :math:`\omega = i\kappa`)."""
    n = J.shape[0]
    kappa = np.linalg.eigvals((np.eye(n) - J * gains[None, :]) / tau[:, None])
    bad = kappa.real <= 0
    if np.any(bad):
        worst = kappa[bad][np.argsort(kappa.real[bad])][:5]
        raise UnstableNetworkError(
            "the linear-equivalent network must be stable, Re eig(T^-1 (I - J G)) > 0; got "
            f"{int(bad.sum())} unstable mode(s): {', '.join(_c(v) for v in worst)}. The theory "
            "has no stationary state for this realization.",
            eigenvalues=worst,
        )
    return np.asarray(kappa, dtype=np.complex128), float(kappa.real.min())


def _quadrature(
    J: FloatArray,
    residuals: UnitResiduals,
    sigma: float,
    tau: FloatArray,
    kappa: ComplexArray,
) -> tuple[FloatArray, FloatArray, int]:
    n = J.shape[0]
    poles = np.concatenate([1j * kappa, 1j / tau, [1j * residuals.rate]])
    w, wt = _frequency_rule(poles)
    S = residuals.spectrum(w)  # (n, f)
    base = np.eye(n) - J * residuals.gains[None, :]
    acc_x = np.zeros((n, n), dtype=np.complex128)
    acc_xr = np.zeros((n, n), dtype=np.complex128)
    for f in range(w.size):
        M = base + (1j * w[f]) * np.diag(tau)
        R = np.linalg.inv(M)
        RJ = R @ J
        acc_x += wt[f] * ((RJ * S[:, f][None, :]) @ RJ.conj().T + sigma**2 * (R @ R.conj().T))
        acc_xr += wt[f] * (RJ * S[:, f][None, :])
    return acc_x.real / np.pi, acc_xr.real / np.pi, int(w.size)


def _result(
    J: FloatArray,
    residuals: UnitResiduals,
    c_x: FloatArray,
    c_xr: FloatArray,
    method: str,
    cond: float,
    min_re: float,
    lam: ComplexArray,
    seconds: dict[str, float],
    n_freq: int,
    imag: float,
    sigma: float,
    tau: Any,
) -> CovariancePrediction:
    g = residuals.gains
    c_x = 0.5 * (c_x + c_x.T)
    c_phi = g[:, None] * c_x * g[None, :] + g[:, None] * c_xr + c_xr.T * g[None, :]
    c_phi[np.diag_indices_from(c_phi)] += residuals.s_r0
    c_phi = 0.5 * (c_phi + c_phi.T)
    c_xphi = c_x * g[None, :] + c_xr
    n = J.shape[0]
    return CovariancePrediction(
        c_phi=c_phi,
        c_x=c_x,
        c_xphi=c_xphi,
        method=method,
        cond_v=cond,
        min_re_alpha=min_re,
        eigenvalues=lam,
        seconds=seconds,
        n_freq=n_freq,
        imag_residual=imag,
        sigma=sigma,
        residual=residuals,  # type: ignore[arg-type]
        spectra_freqs=np.zeros(0),
        spectra_phi=np.zeros((0, n, n), dtype=np.complex128),
        spectra_x=np.zeros((0, n, n), dtype=np.complex128),
        tau=tau,
    )


def lagged_covariance(
    J: ArrayLike,
    residuals: UnitResiduals,
    lags: ArrayLike,
    *,
    sigma: float = 0.0,
    tau: float = 1.0,
    full: bool = False,
) -> LaggedCovariance:
    r"""Lagged covariances and population autocovariances of one realization.

    Parameters
    ----------
    J : (n, n) array_like
        Couplings of the realization.
    residuals : UnitResiduals
        Per-unit gains and residual statistics (one population of identical units is the
        homogeneous theory).
    lags : (L,) array_like
        Lags :math:`t \ge 0`, multiples of the residual profiles' lag step.
    sigma : float
        White-noise amplitude.
    tau : float
        The time constant of every unit.
    full : bool
        Also return the full :math:`C_x(t)`, :math:`C_\phi(t)` (cost :math:`O(n^3)` per lag;
        the traces cost :math:`O(n^2)` per lag after an :math:`O(n^3)` set-up).

    Returns
    -------
    LaggedCovariance
        Traces per lag and, with ``full``, the matrices.

    Notes
    -----
    :math:`C(t) = \int\frac{d\omega}{2\pi}e^{i\omega t}C(\omega)` (docs/theory.md section 8.3).
    In the eigenbasis of :func:`heterogeneous_covariance`, for :math:`t \ge 0` and time in
    units of :math:`\tau`,

    .. math::

        \int\frac{d\omega}{2\pi}\frac{e^{i\omega t}S_{r,i}(\omega)}{(\alpha_k+i\omega)
            (\bar\alpha_l - i\omega)} = \frac{A_i(\alpha_k, t) + \overline{F_i(\alpha_l, t)}}
            {\alpha_k + \bar\alpha_l},\quad
        A_i(\alpha, t) = \int_{-\infty}^t s_{r,i}(u)e^{-\alpha(t-u)}du,\quad
        F_i(\alpha, t) = \int_t^\infty s_{r,i}(u)e^{-\alpha(u-t)}du,

    and the white-noise term is :math:`e^{-\alpha_k t}/(\alpha_k + \bar\alpha_l)`; at
    :math:`t = 0` both reduce to the equal-time formula. :math:`C_{xr}(t) =
    \mathrm{Re}\,V[Y_{ki}A_i(\alpha_k,t)]`, :math:`C_{rx}(t) = C_{xr}(-t)^T` uses :math:`F`,
    and :math:`C_\phi(t) = GC_x(t)G + GC_{xr}(t) + C_{rx}(t)G + \mathrm{diag}(s_{r,i}(t))`.
    With a single exponential residual these are sums of exponentials; here the partial
    transforms are computed on the lag grid of the DMFT (Richardson-extrapolated
    piecewise-linear transforms, :math:`O(dt^4)`).

    **Assumptions and approximations**

    - Those of :func:`heterogeneous_covariance` (one time constant).
    """
    Jm, sig = _check(J, residuals, sigma)
    lv = check_array("lags", lags, shape=(None,))
    if np.any(lv < 0):
        raise ValueError(f"`lags` must be >= 0; got min {float(lv.min())!r}.")
    tv = _check_tau_vector(tau, Jm.shape[0])
    if not np.all(tv == tv[0]):
        raise ValueError(
            "`tau` must be one value for lagged_covariance (eigenbasis route); got per-unit "
            "time constants."
        )
    b = _basis(Jm, residuals.gains)
    return _lagged_from_basis(b, Jm, residuals, sig, float(tv[0]), lv, bool(full))


def heterogeneous_naive_closure(
    J: ArrayLike,
    residuals: UnitResiduals,
    *,
    sigma: float = 0.0,
    tau: float = 1.0,
) -> CovariancePrediction:
    r"""The naive Gaussian closure with per-unit gains and residual spectra (for comparison).

    Parameters
    ----------
    J : (n, n) array_like
        Couplings of the realization.
    residuals : UnitResiduals
        Per-unit gains and residual statistics.
    sigma : float
        White-noise amplitude.
    tau : float
        The time constant of every unit.

    Returns
    -------
    CovariancePrediction
        With ``method="naive"``.

    Raises
    ------
    UnstableNetworkError
        If :math:`\max_k|\lambda_k(GJ)| \ge 1`: the closure's equation at :math:`\omega = 0`
        has no positive solution.

    Notes
    -----
    The closure treats preactivation pairs as jointly Gaussian:
    :math:`C_{\phi,ij} = \mu_{1,i}\mu_{1,j}C_{x,ij}` for :math:`i \ne j`, diagonal
    :math:`S_{r,i}(\omega)` above :math:`\mu_{1,i}^2 C_{x,ii}`, and
    :math:`C_x = \ell(\omega)(JC_\phi J^T + \sigma^2 I)`, :math:`\ell = 1/(1+\omega^2\tau^2)`.
    Hence :math:`C_\phi = \ell\,A C_\phi A^T + Q(\omega)` with :math:`A = GJ` and
    :math:`Q = \mathrm{diag}(S_{r,i}(\omega) + \ell\mu_{1,i}^2\sigma^2)` (docs/theory.md
    section 3). In the eigenbasis :math:`A = V\Lambda U`:
    :math:`(UC_\phi U^H)_{kl} = (UQU^H)_{kl}/(1 - \ell\lambda_k\bar\lambda_l)`. The per-unit
    spectra are compressed by an SVD over the frequency nodes,
    :math:`S_{r,i}(\omega_f) \approx \sum_{r} u_{ir}s_r v_r(\omega_f)` (singular values kept
    down to 1e-12 of the largest), so :math:`UQU^H` costs one :math:`n^3` product per kept
    component; the frequency integrals use the composite Gauss-Legendre rule of the
    homogeneous closure. The spectra of the sampled residual profiles are inexact near the
    Nyquist frequency of the lag grid, where :math:`\ell \approx 0` and the kernel is 1; the
    diagonal is corrected there so that :math:`\int S_{r,i}\,d\omega/2\pi = s_{r,i}(0)`
    holds exactly.
    """
    Jm, sig = _check(J, residuals, sigma)
    tv = _check_tau_vector(tau, Jm.shape[0])
    if not np.all(tv == tv[0]):
        raise ValueError("`tau` must be one value for the naive closure; got per-unit values.")
    tau_f = float(tv[0])
    n = Jm.shape[0]
    gains = residuals.gains
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    A = gains[:, None] * Jm
    lam, V = np.linalg.eig(A)
    U = np.linalg.inv(V)
    JV = Jm @ V
    seconds["eig"] = time.perf_counter() - t0
    _, min_re = _alpha(lam)
    rho = float(np.abs(lam).max())
    if rho >= 1.0:
        raise UnstableNetworkError(
            f"the naive closure needs max|lam_k(G J)| < 1; got {rho:.6g}. Its equation "
            "C = l A C A^T + Q has no positive solution at w = 0.",
            eigenvalues=lam[np.abs(lam) >= 1.0],
        )
    t0 = time.perf_counter()
    beta_min = math.sqrt(max(1.0 - rho**2, 1e-300))
    w, wt = _frequency_rule(np.array([1j * beta_min / tau_f, 1j / tau_f, 1j * residuals.rate]))
    Smat = residuals.spectrum(w)
    u_s, s_s, vt_s = np.linalg.svd(Smat, full_matrices=False)
    keep = s_s > 1e-12 * max(float(s_s[0]), 1e-300) if s_s.size else np.zeros(0, bool)
    comps = [(u_s[:, r], s_s[r] * vt_s[r]) for r in np.flatnonzero(keep)]
    ell = 1.0 / (1.0 + (w * tau_f) ** 2)
    comps.append((gains**2, sig**2 * ell))
    seconds["transforms"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    coef = np.array([wt * prof for _, prof in comps])  # (R, F)
    coef_l = coef * ell[None, :]
    Uh = U.conj().T
    Ct = np.zeros((n, n), dtype=np.complex128)  # int U C_phi U^H
    Cl = np.zeros((n, n), dtype=np.complex128)  # int l U C_phi U^H
    # K_r = sum_f coef_rf / (1 - l_f lam_k conj(lam_l)): a GEMM over the frequency nodes,
    # in blocks of rows k so that the (F, rows * n) table stays near 32 MB
    rows = max(1, min(n, int(2_000_000 // max(w.size * n, 1))))
    for k0 in range(0, n, rows):
        sl = slice(k0, k0 + rows)
        Zb = (lam[sl, None] * lam.conj()[None, :]).ravel()
        G = 1.0 / (1.0 - ell[:, None] * Zb[None, :])
        K = coef @ G
        Kl = coef_l @ G
        for r, (diag_u, _) in enumerate(comps):
            M = (U[sl] * diag_u[None, :]) @ Uh  # rows of U diag(u_r) U^H
            Ct[sl] += M * K[r].reshape(-1, n)
            Cl[sl] += M * Kl[r].reshape(-1, n)
    Ct /= np.pi
    Cl /= np.pi
    c_phi = (V @ Ct @ V.conj().T).real
    # the sampled profiles' spectra are inexact near and beyond the Nyquist frequency of the
    # lag grid, where the closure's kernel is 1: restore int S_r dw / 2 pi = s_r(0) there
    c_phi[np.diag_indices(n)] += residuals.s_r0 - (Smat @ wt) / np.pi
    lint = float(np.sum(wt * ell)) / np.pi
    c_x = (JV @ Cl @ JV.conj().T).real + sig**2 * lint * np.eye(n)
    c_phi = 0.5 * (c_phi + c_phi.T)
    c_x = 0.5 * (c_x + c_x.T)
    seconds["assembly"] = time.perf_counter() - t0
    return CovariancePrediction(
        c_phi=c_phi,
        c_x=c_x,
        c_xphi=c_x * gains[None, :],
        method="naive",
        cond_v=float(math.sqrt(n) * np.linalg.norm(U)),
        min_re_alpha=min_re,
        eigenvalues=lam,
        seconds=seconds,
        n_freq=int(w.size),
        imag_residual=0.0,
        sigma=sig,
        residual=residuals,  # type: ignore[arg-type]
        spectra_freqs=np.zeros(0),
        spectra_phi=np.zeros((0, n, n), dtype=np.complex128),
        spectra_x=np.zeros((0, n, n), dtype=np.complex128),
        tau=tau_f,
    )
