r"""Order parameters solved from one realization's own autocovariance (beyond the paper).

The linear-equivalent prediction takes its gain :math:`\mu_1` and residual autocovariance
:math:`s_r(t)` from the ensemble DMFT. At finite N the realization's own population
autocovariance :math:`\frac1N\mathrm{tr}\,C_x(t)` differs from the DMFT's :math:`\Delta(t)`
through its slow modes. :func:`realization_order_parameters` closes the loop on the
realization: :math:`\mu_1` and :math:`s_r` are computed through the Gaussian map from the
predicted :math:`\frac1N\mathrm{tr}\,C_x(t)` until it reproduces itself (docs/theory.md
section 8.5). For i.i.d. couplings the average of :math:`\frac1N\mathrm{tr}\,C_x(t)` over
realizations is the DMFT's, so the result reduces to the paper's prediction as N grows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from randrnn import _fixedpoint as _solvers
from randrnn._typing import ComplexArray, FloatArray
from randrnn._validation import check_nonnegative, check_positive
from randrnn.covariance._common import _alpha_and_check
from randrnn.covariance.prediction import _check_coupling
from randrnn.covariance.units import (
    UnitResiduals,
    _laplace_profiles,
    _recursion_pass,
    unit_residuals,
)
from randrnn.errors import ConvergenceError
from randrnn.nonlinearities import AbstractNonlinearity, nonlinearity


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class RealizationOrderParameters:
    r"""Gain and residual statistics solved self-consistently for one realization.

    Parameters
    ----------
    lags : (m,) ndarray
        Lag grid (network time units).
    delta : (m,) ndarray
        The realization's population autocovariance :math:`\frac1N\mathrm{tr}\,C_x(t)`
        (connected) at the fixed point.
    delta_ensemble : (m,) ndarray
        The ensemble DMFT's :math:`\Delta(t) - \Delta_\infty` on the same lags (the start).
    mu1 : float
        Gain at the fixed point (ensemble value in ``mu1_ensemble``).
    mu1_ensemble : float
        The DMFT's gain.
    residuals : UnitResiduals
        Residual statistics at the fixed point (one node: every unit alike), for
        :func:`~randrnn.covariance.heterogeneous_covariance`.
    n_iter : int
        Map evaluations.
    residual : float
        :math:`\max_t|F[\Delta](t) - \Delta(t)| / \Delta(0)` at the returned solution.
    converged : bool
        Whether ``residual <= tol``.
    seconds : float
        Wall time.
    """

    lags: FloatArray
    delta: FloatArray
    delta_ensemble: FloatArray
    mu1: float
    mu1_ensemble: float
    residuals: UnitResiduals
    n_iter: int
    residual: float
    converged: bool
    seconds: float


def _partial_transforms(
    alpha: ComplexArray, h: float, s: FloatArray
) -> tuple[ComplexArray, ComplexArray]:
    r"""``A[j, k] = int_{-inf}^{t_j} s e^{-alpha_k (t_j - u)}`` and the future ``F[j, k]``.

    Exact for the piecewise-linear interpolant of ``s`` on the grid (the recursions of
    :meth:`UnitResiduals.lagged` at every lag, O(n m)); ``A[0] = S(alpha)``.
    """
    m = s.size
    S0 = _laplace_profiles(alpha, h, s[:, None])[:, 0]
    head, fut = _recursion_pass(alpha, h, s[:, None], np.arange(m))
    A = np.exp(-np.outer(h * np.arange(m), alpha)) * S0[None, :] + head[:, 0, :]
    return A, fut[:, 0, :]


def _check_alike(dmft: Any, sigma: float, tau: float) -> None:
    """Refuse a DMFT whose units are not alike, or whose noise or time constant differ."""
    spec = getattr(dmft, "spec", None)
    if spec is None or hasattr(dmft, "delta_dynamic") or not hasattr(dmft, "delta_inf"):
        raise TypeError(
            "`dmft` must be a single-population stationary DMFT solution (solve_stationary) "
            f"for realization_order_parameters; got {type(dmft).__name__}."
        )
    if not getattr(dmft, "converged", False):
        raise ValueError(f"`dmft` must be a converged solution; got: {dmft.message}.")
    static = spec.sigma_b > 0 or (spec.b is not None and np.any(np.asarray(spec.b) != 0))
    if static or abs(float(dmft.mu0)) > 1e-10 * max(1.0, abs(float(dmft.c0)) ** 0.5):
        raise ValueError(
            "realization_order_parameters needs units that are alike (no static input, zero "
            f"mean rate); got sigma_b = {spec.sigma_b!r}, mu0 = {float(dmft.mu0):.3g}. The "
            "per-unit means are not in this closure: use predict_covariance (heterogeneous "
            "theory)."
        )
    if not np.isclose(sigma, spec.sigma, rtol=1e-12, atol=0.0):
        raise ValueError(
            f"`sigma` must be the DMFT's noise {spec.sigma!r}; got {sigma!r}. Pass the "
            "network's sigma."
        )
    t = spec.tau  # a number, one per unit, or one law per population
    spec_tau = np.unique([d.mean for d in t] if isinstance(t, tuple) else np.ravel(t))
    if spec_tau.size != 1 or not np.isclose(tau, spec_tau[0], rtol=1e-12):
        raise ValueError(
            f"`tau` must be the DMFT's one time constant {spec_tau.tolist()!r}; got {tau!r}."
        )


def _trace_weights(J: FloatArray) -> dict[str, Any]:
    lam, V = np.linalg.eig(J)
    U = np.linalg.inv(V)
    Y = U @ J
    M = V.conj().T @ V
    return {
        "lam": lam,
        "H": (Y @ Y.conj().T) * M.T,
        "Hn": (U @ U.conj().T) * M.T,
        "d": np.sum(Y * V.T, axis=1),  # (Y V)_kk
    }


def realization_order_parameters(
    J: ArrayLike,
    dmft: Any,
    *,
    sigma: float = 0.0,
    tau: float = 1.0,
    tol: float = 1e-8,
    max_iter: int = 200,
) -> RealizationOrderParameters:
    r"""Solve :math:`\mu_1` and :math:`s_r` from the realization's own autocovariance.

    Parameters
    ----------
    J : (n, n) array_like
        Couplings of the realization (i.i.d. ensemble, no static input: every unit alike).
    dmft : StationarySolution
        The ensemble DMFT of the network (start and lag grid; ``phi`` from its spec).
    sigma : float
        White-noise amplitude.
    tau : float
        The time constant of every unit.
    tol : float
        Tolerance on :math:`\max_t|F[\Delta] - \Delta| / \Delta(0)`.
    max_iter : int
        Map evaluations allowed.

    Returns
    -------
    RealizationOrderParameters
        The self-consistent profile, gain and residual statistics.

    Raises
    ------
    ConvergenceError
        If the iteration does not reach ``tol``.
    randrnn.covariance.UnstableNetworkError
        If an iterate makes the linear-equivalent network unstable.

    Notes
    -----
    **Map.** For a profile :math:`\Delta(t)` (connected, :math:`q = \Delta(0)`):
    :math:`\mu_1 = E[\phi'(\sqrt q z)]`, :math:`s_r(t) = E[\phi(u)\phi(v)] - \mu_1^2\Delta(t)`
    (:func:`~randrnn.covariance.unit_residuals` with zero means), then
    :math:`F[\Delta](t) = \frac1N\mathrm{tr}\,C_x(t)` of the linear-equivalent network with
    these order parameters. With :math:`J = V\Lambda U`, :math:`\alpha_k = 1 - \mu_1\lambda_k`
    (:math:`\tau` = 1 units), :math:`Y = UJ`, :math:`M = V^HV` and the partial fractions of
    :func:`~randrnn.covariance.lagged_covariance`,

    .. math::

        N F[\Delta](t) = \mathrm{Re}\sum_k\big[h_k A(\alpha_k, t) + h'_k
            \overline{F(\alpha_k, t)} + \sigma^2 h''_k e^{-\alpha_k t}\big],\quad
        h_k = \sum_l \frac{(YY^H)_{kl}M_{lk}}{\alpha_k + \bar\alpha_l},\
        h'_l = \sum_k \frac{(YY^H)_{kl}M_{lk}}{\alpha_k + \bar\alpha_l},

    (:math:`h''` with :math:`UU^H`), so after one ``eig`` each evaluation costs
    :math:`O(n^2)` for the weights and :math:`O(nm)` for the partial transforms :math:`A`,
    :math:`F`, computed by exact recursions over the lag grid. Anderson-accelerated iteration
    from the DMFT's profile.

    **Assumptions and approximations**

    - Those of the linear-equivalent theory; every unit alike (i.i.d. couplings, no static
      input, zero mean rate, one time constant).
    - Not a DMFT of the realization in any controlled sense: the closure replaces the ensemble
      average by the trace over this realization's modes. It is offered as a measured
      alternative (docs/theory.md section 8.5).
    """
    t_start = time.perf_counter()
    Jm = _check_coupling(J)
    n = Jm.shape[0]
    sig = check_nonnegative("sigma", sigma)
    tau_f = check_positive("tau", tau)
    _check_alike(dmft, sig, tau_f)
    phi: AbstractNonlinearity = nonlinearity(dmft.spec.phi)
    lags = np.asarray(dmft.lags, dtype=float)
    d_ens = np.asarray(dmft.delta - dmft.delta_inf, dtype=float)
    # trim the grid where the ensemble profile has decayed
    alive = np.abs(d_ens) > 1e-12 * abs(d_ens[0])
    m = min(lags.size, int(np.max(np.nonzero(alive)[0], initial=0)) + 20)
    lags, d_ens = lags[:m], d_ens[:m]
    h = float(lags[1] - lags[0]) / tau_f  # in units of tau
    w = _trace_weights(Jm)
    lam = w["lam"]
    noise = sig**2 / tau_f
    state: dict[str, Any] = {}

    def order(delta: FloatArray) -> tuple[UnitResiduals, float]:
        units = unit_residuals(
            phi,
            np.zeros(1),
            lags,
            np.maximum(delta, -abs(delta[0]))[None, :],
            description="realization-level self-consistent residual",
        )
        return units, float(units.gains[0])

    def F(delta: FloatArray) -> FloatArray:
        units, mu1 = order(delta)
        alpha, _ = _alpha_and_check(lam, mu1)
        D = 1.0 / (alpha[:, None] + alpha.conj()[None, :])
        hk = np.sum(w["H"] * D, axis=1)
        hl = np.sum(w["H"] * D, axis=0)
        hn = np.sum(w["Hn"] * D, axis=1)
        s = units.profile([0])[0]
        s = np.concatenate([s, np.zeros(max(0, m - s.size))])[:m]
        A, Fut = _partial_transforms(alpha, h, s)
        t = lags / tau_f
        out = (A @ hk).real + (Fut.conj() @ hl).real
        out += noise * (np.exp(-np.outer(t, alpha)) @ hn).real
        state["units"], state["mu1"] = units, mu1
        return out / n

    def norm(f: FloatArray, u: FloatArray) -> float:
        return float(np.max(np.abs(f))) / max(abs(float(u[0])), 1e-300)

    it = _solvers.anderson(
        F, d_ens.copy(), norm=norm, tol=tol, max_iter=max_iter, memory=8, beta=0.5
    )
    delta = it.x
    if not it.converged:
        raise ConvergenceError(
            f"the realization-level self-consistency did not converge: residual "
            f"{it.residual:.3e} after {it.n_iter} iterations (tol {tol:.1e}): {it.message}",
            n_iter=it.n_iter,
            residual=it.residual,
            tol=tol,
        )
    F(delta)  # the order parameters at the returned profile
    return RealizationOrderParameters(
        lags=lags,
        delta=delta,
        delta_ensemble=d_ens,
        mu1=float(state["mu1"]),
        mu1_ensemble=float(dmft.mu1),
        residuals=state["units"],
        n_iter=it.n_iter,
        residual=float(it.residual),
        converged=bool(it.converged),
        seconds=time.perf_counter() - t_start,
    )
