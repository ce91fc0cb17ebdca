r"""Latent dynamics of low-rank networks with Gaussian-mixture loadings (docs/theory.md 7.1).

A network :math:`\dot x_i = -x_i + \frac1N\sum_{j,r} m_i^r n_j^r\phi(x_j) + \sum_k I_i^k u_k(t)`
whose state starts in the span of the loadings stays there:
:math:`x = \sum_r\kappa_r m^r + \sum_k v_k I^k`, with the filtered inputs
:math:`\dot v = -v + u(t)` and the latent variables

.. math:: \dot\kappa_r = -\kappa_r + \frac1N\sum_j n_j^r\,\phi(x_j)

(any component of the initial state outside that span decays as :math:`e^{-t}` and does not
feed back). Two fields implement the right-hand side:

- :class:`MixtureLatentDynamics` -- the mean-field limit :math:`N\to\infty`, the sum over units
  replaced by the mixture average, evaluated with Stein's lemma inside each component
  (Beiran, Dubreuil, Valente, Mastrogiuseppe & Ostojic, arXiv:2007.02062, eqs. 8-11):
  :math:`E_p[n_r\phi(x)] = \mu_{n_r,p}\langle\phi\rangle_p + \mathrm{cov}_p(n_r, x)
  \langle\phi'\rangle_p`;
- :class:`NetworkLatentDynamics` -- the same sum over the units of one sampled network: exact
  at finite ``N`` (its fixed points are fixed points of the full network, its Jacobian gives
  the ``R`` non-trivial eigenvalues of the full Jacobian, the others being ``-1``).

Both evaluate on any batch of latent states at once. On them: :func:`find_latent_fixed_points`
(the shared root machinery of :mod:`randrnn._fixedpoint`), :func:`integrate_latent`,
:func:`find_limit_cycle` (Poincare section) and :func:`effective_circuit`.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from randrnn import _fixedpoint as _solvers
from randrnn._typing import FloatArray
from randrnn._validation import (
    check_array,
    check_nonnegative_int,
    check_positive,
    check_positive_int,
)
from randrnn.ensembles.lowrank import GaussianMixture, LowRankEnsemble
from randrnn.gaussian import derivative_averages
from randrnn.nonlinearities import AbstractNonlinearity, nonlinearity


class AbstractLatentDynamics(abc.ABC):
    r"""Right-hand side of the latent dynamics, :math:`F(\kappa, v)`, on batches of states.

    ``kappa`` has shape ``(..., R)``; ``v`` (the filtered inputs) shape ``(..., K)`` or
    ``(K,)``, broadcast against ``kappa``; ``None`` means zero.
    """

    rank: int
    n_inputs: int
    phi: AbstractNonlinearity

    @abc.abstractmethod
    def field(self, kappa: Any, v: Any = None) -> FloatArray:
        r"""Return :math:`\dot\kappa = F(\kappa, v)`, shape ``(..., R)``."""

    @abc.abstractmethod
    def jacobian(self, kappa: Any, v: Any = None) -> FloatArray:
        r"""Return :math:`\partial F_r / \partial\kappa_s`, shape ``(..., R, R)``."""

    @abc.abstractmethod
    def scale(self) -> float:
        """Size of the region that holds every fixed point (for random starts)."""

    def _inputs(self, kappa: Any, v: Any) -> tuple[FloatArray, FloatArray]:
        k = np.asarray(kappa, dtype=float)
        if k.ndim == 0 or k.shape[-1] != self.rank:
            raise ValueError(
                f"`kappa` must have last dimension rank = {self.rank}; got shape {k.shape}."
            )
        if v is None:
            vv = np.zeros((*k.shape[:-1], self.n_inputs))
        else:
            vv = np.asarray(v, dtype=float)
            if vv.ndim == 0 or vv.shape[-1] != self.n_inputs:
                raise ValueError(
                    f"`v` must have last dimension n_inputs = {self.n_inputs}; got shape "
                    f"{vv.shape}."
                )
            vv = np.broadcast_to(vv, (*k.shape[:-1], self.n_inputs))
        return k, vv


@dataclass(frozen=True, slots=True, eq=False)
class _Blocks:
    """Per-component statistics of ``y = (kappa, v)`` and ``n`` (internal layout)."""

    alpha: FloatArray  # (P,)
    mu_y: FloatArray  # (P, R+K): means of (m, I)
    mu_n: FloatArray  # (P, R)
    s_yy: FloatArray  # (P, R+K, R+K): covariance of (m, I)
    s_ny: FloatArray  # (P, R, R+K): covariance of n with (m, I)


def _blocks(mixture: GaussianMixture, rank: int, n_inputs: int) -> _Blocks:
    R, K = rank, n_inputs
    idx_y = np.r_[0:R, 2 * R : 2 * R + K]
    idx_n = np.arange(R, 2 * R)
    mu, cov = mixture.means, mixture.covariances
    return _Blocks(
        alpha=np.asarray(mixture.weights, dtype=float),
        mu_y=mu[:, idx_y],
        mu_n=mu[:, idx_n],
        s_yy=cov[:, idx_y][:, :, idx_y],
        s_ny=cov[:, idx_n][:, :, idx_y],
    )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class MixtureLatentDynamics(AbstractLatentDynamics):
    r"""Mean-field latent dynamics of a Gaussian-mixture low-rank network (``N -> infinity``).

    .. math::
        F_r(\kappa, v) = -\kappa_r + \sum_p \alpha_p\Big[\mu_{n_r,p}\langle\phi\rangle_p
        + \Big(\sum_s\Sigma^{nm}_{p,rs}\kappa_s + \sum_k\Sigma^{nI}_{p,rk}v_k\Big)
        \langle\phi'\rangle_p\Big],

    :math:`\langle\cdot\rangle_p` the average over :math:`x\sim\mathcal N(\mathrm{mean}_p,
    \mathrm{var}_p)`, :math:`\mathrm{mean}_p = \mu_{m,p}\cdot\kappa + \mu_{I,p}\cdot v`,
    :math:`\mathrm{var}_p = y^T\Sigma^{yy}_p y` with :math:`y = (\kappa, v)` (Beiran et al.,
    arXiv:2007.02062, eqs. 8-11; docs/theory.md section 7.1). Gaussian averages by
    :func:`randrnn.gaussian.derivative_averages` (closed forms for erf, ReLU, linear).

    Parameters
    ----------
    mixture : GaussianMixture
        Law of a unit's loadings :math:`(m_1..m_R, n_1..n_R, I_1..I_K)`.
    rank : int
        R.
    n_inputs : int
        K.
    phi : AbstractNonlinearity or str
        Transfer function.

    Examples
    --------
    >>> from randrnn.ensembles import GaussianMixture
    >>> mix = GaussianMixture(weights=[1.0], means=[[0.0, 0.0]],
    ...                       covariances=[[[1.0, 2.0], [2.0, 5.0]]])
    >>> dyn = MixtureLatentDynamics(mixture=mix, rank=1)
    >>> float(dyn.field([[0.0]])[0, 0])   # the origin is a fixed point of an odd phi
    0.0
    """

    mixture: GaussianMixture
    rank: int
    n_inputs: int = 0
    phi: AbstractNonlinearity = field(default="tanh")  # type: ignore[assignment]
    _b: _Blocks = field(init=False, repr=False)

    def __post_init__(self) -> None:
        check_positive_int("rank", self.rank)
        check_nonnegative_int("n_inputs", self.n_inputs)
        if not isinstance(self.mixture, GaussianMixture):
            raise TypeError(
                f"`mixture` must be a GaussianMixture; got {type(self.mixture).__name__}."
            )
        want = 2 * self.rank + self.n_inputs
        if self.mixture.dim != want:
            raise ValueError(
                f"`mixture` must have dimension 2*rank + n_inputs = {want} (m_1..m_R, n_1..n_R, "
                f"input weights); got {self.mixture.dim}."
            )
        object.__setattr__(self, "phi", nonlinearity(self.phi))
        object.__setattr__(self, "_b", _blocks(self.mixture, self.rank, self.n_inputs))

    @classmethod
    def from_ensemble(
        cls, ensemble: LowRankEnsemble, phi: AbstractNonlinearity | str = "tanh"
    ) -> MixtureLatentDynamics:
        """The latent dynamics of a :class:`~randrnn.ensembles.LowRankEnsemble` without random part.

        Raises
        ------
        ValueError
            If the ensemble has a random part ``chi``: its latent dynamics couple to a DMFT of
            the random bulk (Mastrogiuseppe & Ostojic 2018), which is not implemented.
        """
        if not isinstance(ensemble, LowRankEnsemble):
            raise TypeError(f"`ensemble` must be a LowRankEnsemble; got {type(ensemble).__name__}.")
        if ensemble.chi is not None:
            raise ValueError(
                "`ensemble.chi` must be None for the closed latent dynamics: a random part adds "
                "a self-consistent variance (a DMFT of the random bulk) that is not implemented; "
                "drop `chi` or study the network with randrnn.fixedpoints."
            )
        return cls(
            mixture=ensemble.mixture,
            rank=ensemble.rank,
            n_inputs=ensemble.n_inputs,
            phi=nonlinearity(phi),
        )

    @property
    def n_components(self) -> int:
        """Number of mixture components P."""
        return int(self._b.alpha.size)

    def moments(self, kappa: Any, v: Any = None) -> tuple[FloatArray, FloatArray, FloatArray]:
        r"""Return ``mean_p``, ``var_p`` (``(..., P)``) and :math:`\mathrm{cov}_p(n, x)`
        (``(..., P, R)``) at each state."""
        k, vv = self._inputs(kappa, v)
        y = np.concatenate([k, vv], axis=-1)
        b = self._b
        mean = y @ b.mu_y.T
        sy = np.einsum("pab,...b->...pa", b.s_yy, y)
        var = np.maximum(np.einsum("...pa,...a->...p", sy, y), 0.0)
        cov_n = np.einsum("prb,...b->...pr", b.s_ny, y)
        return mean, var, cov_n

    def averages(self, kappa: Any, v: Any = None, *, order: int = 1) -> FloatArray:
        r"""Return :math:`\langle\phi^{(k)}\rangle_p`, shape ``(order + 1, ..., P)``."""
        mean, var, _ = self.moments(kappa, v)
        return derivative_averages(self.phi, mean, var, order=order)

    def field(self, kappa: Any, v: Any = None) -> FloatArray:
        k, vv = self._inputs(kappa, v)
        mean, var, cov_n = self.moments(k, vv)
        a = derivative_averages(self.phi, mean, var, order=1)
        b = self._b
        drive = a[0][..., None] * b.mu_n + a[1][..., None] * cov_n  # (..., P, R)
        return -k + np.einsum("p,...pr->...r", b.alpha, drive)

    def jacobian(self, kappa: Any, v: Any = None) -> FloatArray:
        k, vv = self._inputs(kappa, v)
        R = self.rank
        mean, var, cov_n = self.moments(k, vv)
        a = derivative_averages(self.phi, mean, var, order=3)
        b = self._b
        y = np.concatenate([k, vv], axis=-1)
        mu_m = b.mu_y[:, :R]  # (P, R)
        dvar = 2.0 * np.einsum("psb,...b->...ps", b.s_yy[:, :R, :], y)  # (..., P, R)
        d0 = a[1][..., None] * mu_m + 0.5 * a[2][..., None] * dvar  # d<phi>/dkappa_s
        d1 = a[2][..., None] * mu_m + 0.5 * a[3][..., None] * dvar  # d<phi'>/dkappa_s
        jac = (
            np.einsum("pr,...ps->...prs", b.mu_n, d0)
            + a[1][..., None, None] * b.s_ny[:, :, :R]
            + np.einsum("...pr,...ps->...prs", cov_n, d1)
        )
        return np.einsum("p,...prs->...rs", b.alpha, jac) - np.eye(R)

    def scale(self) -> float:
        # a fixed point is kappa* = sum_p alpha_p E_p[n phi(x)], |E_p[n_r phi]| <= sup|phi| E|n_r|
        b = self._b
        idx = np.arange(self.rank, 2 * self.rank)
        var_n = np.einsum("prr->pr", self.mixture.covariances[:, idx][:, :, idx])
        e_abs_n = b.alpha @ np.sqrt(b.mu_n**2 + var_n)  # (R,)
        sup = self.phi.sup_abs()
        if math.isfinite(sup):
            return max(sup * float(np.linalg.norm(e_abs_n)), 1e-3)
        return max(3.0 * float(np.linalg.norm(e_abs_n)), 1.0)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class NetworkLatentDynamics(AbstractLatentDynamics):
    r"""Latent dynamics of one sampled low-rank network, exact at finite ``N``.

    :math:`F_r(\kappa, v) = -\kappa_r + \frac1N\sum_i n_{ir}\phi(m_i\cdot\kappa + I_i\cdot v)`:
    the restriction of the network's own field to the span of its loadings. A root is a fixed
    point :math:`x^* = M\kappa^* + Iv` of the full network, and the eigenvalues of
    :math:`\partial F/\partial\kappa` are the full Jacobian's eigenvalues other than the
    :math:`N - R` equal to ``-1`` (the full Jacobian is :math:`-1 + MN^T\mathrm{diag}
    (\phi')/N`, whose non-trivial part acts on the span of ``M``).

    Parameters
    ----------
    M, N : (n, R) array_like
        Loadings (``J = M N^T / n``).
    inputs : (n, K) array_like, optional
        Input weights ``I``.
    phi : AbstractNonlinearity or str
        Transfer function.
    """

    M: FloatArray
    N: FloatArray
    inputs: FloatArray | None = None
    phi: AbstractNonlinearity = field(default="tanh")  # type: ignore[assignment]
    rank: int = field(init=False)
    n_inputs: int = field(init=False)

    def __post_init__(self) -> None:
        M = check_array("M", self.M, shape=(None, None))
        n, R = M.shape
        N = check_array("N", self.N, shape=(n, R))
        inp = (
            np.zeros((n, 0))
            if self.inputs is None
            else check_array("inputs", self.inputs, shape=(n, None))
        )
        for name, arr in (("M", M), ("N", N), ("inputs", inp)):
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "rank", R)
        object.__setattr__(self, "n_inputs", inp.shape[1])
        object.__setattr__(self, "phi", nonlinearity(self.phi))

    @classmethod
    def from_realization(cls, realization: Any) -> NetworkLatentDynamics:
        """The exact latent dynamics of a realization of a :class:`LowRankEnsemble` (no ``chi``).

        Raises
        ------
        ValueError
            If the realization has no low-rank part (or couplings of its own), a random part,
            static input ``b``, time constants other than 1, or noise: then the network's
            dynamics are not the latent field (they do not close on the loadings, run on
            another clock, or are driven outside the loadings' span, which feeds back through
            ``phi``). For the noise-free skeleton of a noisy network build the dynamics from
            its loadings directly, ``NetworkLatentDynamics(M=, N=, inputs=, phi=)``.
        """
        c = realization.coupling
        ens = realization.network.ensemble
        if (
            c is None
            or realization.custom
            or c.low_rank is None
            or not isinstance(ens, LowRankEnsemble)
        ):
            raise ValueError(
                "`realization` must be drawn from a LowRankEnsemble (it has no low-rank part, "
                "or couplings of its own)."
            )
        if ens.chi is not None:
            raise ValueError(
                "`realization` has a random part `chi`: its dynamics do not close on the "
                "loadings; use randrnn.fixedpoints on the full network."
            )
        tau = np.asarray(realization.tau, dtype=float)
        if np.any(tau != 1.0) or np.any(np.asarray(realization.b) != 0):
            raise ValueError(
                "`realization` must have tau = 1 for every unit and no static input `b` for the "
                "latent reduction (the latent field is in units of the time constant); got "
                f"tau in [{float(tau.min()):g}, {float(tau.max()):g}]. Give constant inputs "
                "through the input loadings instead of `b`."
            )
        if realization.network.sigma > 0:
            raise ValueError(
                f"`realization` has noise sigma = {realization.network.sigma:g}: noise drives "
                "the state outside the loadings' span, which feeds back through phi, so the "
                "latent field is not its dynamics. Use a noise-free network, or "
                "NetworkLatentDynamics(M=, N=, inputs=, phi=) for the noise-free skeleton."
            )
        M, N = c.low_rank
        R = ens.rank
        inputs = None
        if ens.n_inputs:
            inputs = np.asarray(c.loadings)[:, 2 * R : 2 * R + ens.n_inputs]
        return cls(M=M, N=N, inputs=inputs, phi=realization.network.phi)

    @property
    def n(self) -> int:
        """Number of units."""
        return int(self.M.shape[0])

    def _preact(self, k: FloatArray, vv: FloatArray) -> FloatArray:
        h = k @ self.M.T
        if self.n_inputs:
            h = h + vv @ self.inputs.T  # type: ignore[union-attr]
        return h

    def field(self, kappa: Any, v: Any = None) -> FloatArray:
        k, vv = self._inputs(kappa, v)
        return -k + self.phi(self._preact(k, vv)) @ self.N / self.n

    def jacobian(self, kappa: Any, v: Any = None) -> FloatArray:
        k, vv = self._inputs(kappa, v)
        g = self.phi.derivative(self._preact(k, vv))  # (..., n)
        jac = np.einsum("ir,...i,is->...rs", self.N, g, self.M) / self.n
        return jac - np.eye(self.rank)

    def scale(self) -> float:
        sup = self.phi.sup_abs()
        nrm = float(np.linalg.norm(self.N, axis=0).max()) / math.sqrt(self.n)
        if math.isfinite(sup):
            return max(sup * nrm * math.sqrt(self.rank), 1e-3)
        return max(3.0 * nrm, 1.0)


# ---------------------------------------------------------------------------------------------
# fixed points


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LatentFixedPoints:
    """Distinct fixed points (and slow points) of the latent dynamics.

    Attributes
    ----------
    points : (K, R) ndarray
        Latent states :math:`\\kappa^*`.
    residual : (K,) ndarray
        :math:`|F(\\kappa^*)|_2`.
    kind, method, stability : (K,) ndarray of str
        ``fixed`` / ``slow``; ``newton`` / ``minimization``; ``stable`` / ``marginal`` /
        ``unstable``.
    eigenvalues : (K, R) complex ndarray
        Eigenvalues of :math:`\\partial F/\\partial\\kappa`, by decreasing real part.
    count : (K,) ndarray of int
        Starts that ended at each point.
    v : (K_in,) ndarray
        The constant filtered input.
    starts : dict
        Start counts.
    tol : float
        Residual tolerance of a fixed point.
    """

    points: FloatArray
    residual: FloatArray
    kind: Any
    method: Any
    stability: Any
    eigenvalues: Any
    n_unstable: Any
    count: Any
    v: FloatArray
    starts: dict[str, int]
    tol: float

    def __len__(self) -> int:
        return int(self.points.shape[0])

    def select(self, mask: Any) -> LatentFixedPoints:
        """The points where ``mask`` is true."""
        m = np.asarray(mask)
        return LatentFixedPoints(
            points=self.points[m],
            residual=self.residual[m],
            kind=self.kind[m],
            method=self.method[m],
            stability=self.stability[m],
            eigenvalues=self.eigenvalues[m],
            n_unstable=self.n_unstable[m],
            count=self.count[m],
            v=self.v,
            starts=self.starts,
            tol=self.tol,
        )

    @property
    def fixed(self) -> LatentFixedPoints:
        """Only the fixed points (no slow points)."""
        return self.select(self.kind == "fixed")

    def summary(self) -> dict[str, Any]:
        """Counts by kind and stability, largest residual."""
        fx = self.kind == "fixed"
        return {
            "n_fixed": int(fx.sum()),
            "n_slow": int((~fx).sum()),
            "n_stable": int(np.sum(fx & (self.stability == "stable"))),
            "n_unstable": int(np.sum(fx & (self.stability == "unstable"))),
            "n_marginal": int(np.sum(fx & (self.stability == "marginal"))),
            "max_residual": float(self.residual[fx].max(initial=0.0)),
        }

    def to_xarray(self) -> Any:
        """Dataset with dimensions ``point``, ``latent`` and ``mode``; labels as CF flags."""
        import xarray as xr

        R = self.points.shape[1]
        ds = xr.Dataset(
            {
                "kappa": (("point", "latent"), self.points),
                "residual": ("point", self.residual),
                "eigenvalue_real": (("point", "mode"), np.real(self.eigenvalues)),
                "eigenvalue_imag": (("point", "mode"), np.imag(self.eigenvalues)),
                "n_unstable": ("point", np.asarray(self.n_unstable, dtype=int)),
                "count": ("point", np.asarray(self.count, dtype=int)),
            },
            coords={"latent": np.arange(R), "mode": np.arange(R)},
            attrs={"tol": self.tol, "v": self.v.tolist()},
        )
        for name, arr, labels in (
            ("kind", self.kind, ("fixed", "slow")),
            ("method", self.method, ("newton", "minimization")),
            ("stability", self.stability, _solvers.STABILITY),
        ):
            codes = np.array([labels.index(str(x)) for x in arr], dtype=np.int8)
            ds[name] = ("point", codes)
            ds[name].attrs.update(
                flag_values=list(range(len(labels))), flag_meanings=" ".join(labels)
            )
        return ds


def latent_starts(dyn: AbstractLatentDynamics, n_random: int, *, seed: int = 0) -> FloatArray:
    """Random starts, uniform in the ball of radius ``1.5 * dyn.scale()``, plus the origin."""
    rng = np.random.default_rng(seed)
    R = dyn.rank
    d = rng.standard_normal((n_random, R))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    r = 1.5 * dyn.scale() * rng.random(n_random) ** (1.0 / R)
    return np.concatenate([np.zeros((1, R)), d * r[:, None]])


def find_latent_fixed_points(
    dyn: AbstractLatentDynamics,
    *,
    v: Any = None,
    starts: Any = None,
    n_random: int = 200,
    tol: float = 1e-12,
    minimize: bool = True,
    stability_tol: float = 1e-8,
    seed: int = 0,
) -> LatentFixedPoints:
    r"""Fixed points and slow points of the latent dynamics at a constant input.

    Newton from the origin, the given ``starts`` and ``n_random`` random starts, a
    minimisation of :math:`|F|^2/2` where Newton stalls, duplicates merged and stability from
    the ``R`` eigenvalues (:func:`randrnn._fixedpoint.find_roots`, the machinery of
    :func:`randrnn.fixedpoints.find_fixed_points`).

    Parameters
    ----------
    dyn : AbstractLatentDynamics
        Mean-field (:class:`MixtureLatentDynamics`) or one network's
        (:class:`NetworkLatentDynamics`) latent dynamics.
    v : (K,) array_like, optional
        Constant filtered input (at a fixed point ``v = u``).
    starts : (S, R) array_like, optional
        Starts of your own.
    n_random : int
        Random starts (:func:`latent_starts`).
    tol : float
        A fixed point has :math:`|F(\kappa^*)|_2 \le` ``tol``.
    minimize : bool
        Look for slow points where Newton stalls.
    stability_tol : float
        Real-part tolerance of the stability labels.
    seed : int
        Seed of the random starts.

    Returns
    -------
    LatentFixedPoints

    Examples
    --------
    >>> from randrnn.ensembles import GaussianMixture
    >>> mix = GaussianMixture(weights=[1.0], means=[[0.0, 0.0]],
    ...                       covariances=[[[1.0, 2.0], [2.0, 5.0]]])
    >>> fp = find_latent_fixed_points(MixtureLatentDynamics(mixture=mix, rank=1), n_random=20)
    >>> fp.summary()["n_stable"], bool(fp.residual.max() < 1e-12)   # bistable: +-kappa*
    (2, True)
    """
    if not isinstance(dyn, AbstractLatentDynamics):
        raise TypeError(
            "`dyn` must be latent dynamics (MixtureLatentDynamics or NetworkLatentDynamics); "
            f"got {type(dyn).__name__}."
        )
    check_nonnegative_int("n_random", n_random)
    check_positive("tol", tol)
    K = dyn.n_inputs
    vv = np.zeros(K) if v is None else check_array("v", np.atleast_1d(v), shape=(K,))
    X0 = latent_starts(dyn, n_random, seed=seed)
    if starts is not None:
        given = check_array("starts", np.atleast_2d(starts), shape=(None, dyn.rank))
        X0 = np.concatenate([given, X0])

    def f(X: FloatArray) -> FloatArray:
        return dyn.field(X, vv)

    def jac(X: FloatArray) -> FloatArray:
        return dyn.jacobian(X, vv)

    roots = _solvers.find_roots(
        f,
        jac,
        X0,
        tol=tol,
        max_step=4.0 * dyn.scale() + 1.0,
        chunk=max(32, X0.shape[0]),
        minimize=minimize,
        stability_tol=stability_tol,
    )
    return LatentFixedPoints(
        points=roots.points,
        residual=roots.residual,
        kind=roots.kind,
        method=roots.method,
        stability=roots.stability,
        eigenvalues=roots.eigenvalues,
        n_unstable=roots.n_unstable,
        count=roots.count,
        v=vv,
        starts=roots.starts,
        tol=float(tol),
    )


# ---------------------------------------------------------------------------------------------
# trajectories and limit cycles


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LatentTrajectory:
    """Latent trajectories of a batch of initial states.

    Attributes
    ----------
    t : (T,) ndarray
        Times.
    kappa : (T, B, R) ndarray
        Latent states.
    v : (T, B, K) ndarray
        Filtered inputs.
    """

    t: FloatArray
    kappa: FloatArray
    v: FloatArray

    def to_xarray(self) -> Any:
        """Dataset with dimensions ``time``, ``trial``, ``latent`` (and ``input``)."""
        import xarray as xr

        return xr.Dataset(
            {
                "kappa": (("time", "trial", "latent"), self.kappa),
                "v": (("time", "trial", "input"), self.v),
            },
            coords={"time": self.t},
        )


def _input_function(u: Any, K: int) -> Callable[[float], FloatArray]:
    if u is None:
        zero = np.zeros(K)
        return lambda t: zero
    if callable(u):
        return lambda t: np.asarray(u(t), dtype=float).reshape(K)
    const = check_array("u", np.atleast_1d(u), shape=(K,))
    return lambda t: const


def integrate_latent(
    dyn: AbstractLatentDynamics,
    kappa0: Any,
    t: Any,
    *,
    u: Any = None,
    v0: Any = None,
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> LatentTrajectory:
    r"""Integrate :math:`\dot\kappa = F(\kappa, v)`, :math:`\dot v = -v + u(t)` from a batch.

    Parameters
    ----------
    dyn : AbstractLatentDynamics
        The latent dynamics.
    kappa0 : (B, R) or (R,) array_like
        Initial latent states.
    t : (T,) array_like
        Output times (increasing; the first is the initial time).
    u : (K,) array_like or callable, optional
        Network input, constant or a function of time returning ``(K,)``.
    v0 : (K,) array_like, optional
        Initial filtered input (default ``u(t[0])``: the input has been on for long).
    rtol, atol : float
        Tolerances of the DOP853 integrator.

    Returns
    -------
    LatentTrajectory
    """
    k0 = np.atleast_2d(check_array("kappa0", kappa0))
    if k0.shape[1] != dyn.rank:
        raise ValueError(f"`kappa0` must have {dyn.rank} columns; got shape {k0.shape}.")
    tt = check_array("t", t, shape=(None,))
    if tt.size < 2 or np.any(np.diff(tt) <= 0):
        raise ValueError("`t` must hold at least two increasing times.")
    B, R, K = k0.shape[0], dyn.rank, dyn.n_inputs
    uf = _input_function(u, K)
    vstart = uf(float(tt[0])) if v0 is None else check_array("v0", np.atleast_1d(v0), shape=(K,))

    def rhs(time: float, y: FloatArray) -> FloatArray:
        Y = y.reshape(B, R + K)
        k, vv = Y[:, :R], Y[:, R:]
        dk = dyn.field(k, vv)
        dv = -vv + uf(time)[None, :]
        return np.concatenate([dk, dv], axis=1).ravel()

    y0 = np.concatenate([k0, np.broadcast_to(vstart, (B, K))], axis=1).ravel()
    sol = solve_ivp(rhs, (tt[0], tt[-1]), y0, method="DOP853", t_eval=tt, rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"latent integration failed: {sol.message}")
    Y = sol.y.T.reshape(tt.size, B, R + K)
    return LatentTrajectory(t=tt, kappa=Y[:, :, :R], v=Y[:, :, R:])


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LimitCycle:
    """A periodic orbit found from a Poincare section.

    Attributes
    ----------
    period : float
        Mean time between the last crossings of the section.
    period_spread : float
        Largest deviation of those return times from ``period`` (convergence measure).
    center : (R,) ndarray
        Time average of the state over one period.
    radius : float
        Time average of :math:`|\\kappa - \\text{center}|` over one period.
    amplitude : (R,) ndarray
        Half the peak-to-peak range of each latent coordinate over one period.
    orbit : (S, R) ndarray
        States over one period, equally spaced in time.
    converged : bool
        Whether the return times agree to ``rtol``.
    """

    period: float
    period_spread: float
    center: FloatArray
    radius: float
    amplitude: FloatArray
    orbit: FloatArray
    converged: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-able scalars."""
        return {
            "period": self.period,
            "period_spread": self.period_spread,
            "center": self.center.tolist(),
            "radius": self.radius,
            "amplitude": self.amplitude.tolist(),
            "converged": self.converged,
        }


def poincare_crossings(
    t: FloatArray, kappa: FloatArray, center: FloatArray, normal: FloatArray
) -> FloatArray:
    """Times where ``(kappa - center) . normal`` crosses zero upwards (linear interpolation).

    ``t`` (T,), ``kappa`` (T, R): one sampled trajectory (e.g. a network's projected state).
    """
    s = (kappa - center) @ normal
    up = np.flatnonzero((s[:-1] < 0) & (s[1:] >= 0))
    frac = s[up] / (s[up] - s[up + 1])
    return t[up] + frac * (t[up + 1] - t[up])


def poincare_section(kappa: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``(center, normal)`` of the Poincare section of sampled states ``kappa`` (T, R).

    The hyperplane through their mean, normal to their second principal axis: an orbit
    sampled over whole periods crosses it upwards once per period.
    """
    center = kappa.mean(axis=0)
    _, _, vt = np.linalg.svd(kappa - center, full_matrices=False)
    return center, vt[1]


def orbit_statistics(orbit: FloatArray) -> tuple[FloatArray, float, FloatArray]:
    """``(center, radius, amplitude)`` of states sampled uniformly over one period."""
    center = orbit.mean(axis=0)
    radius = float(np.linalg.norm(orbit - center, axis=1).mean())
    amplitude = 0.5 * (orbit.max(axis=0) - orbit.min(axis=0))
    return center, radius, amplitude


def find_limit_cycle(
    dyn: AbstractLatentDynamics,
    kappa0: Any,
    *,
    v: Any = None,
    t_transient: float = 200.0,
    max_periods: int = 50,
    rtol: float = 1e-8,
    n_orbit: int = 400,
) -> LimitCycle:
    r"""Period and size of the attracting periodic orbit reached from ``kappa0``.

    Integrate for ``t_transient``; take the section through the mean of the last stretch,
    normal to its second principal axis, crossed upwards; continue until two consecutive return
    times agree to ``rtol`` relative; then sample one period.

    Raises
    ------
    RuntimeError
        If the trajectory settles at a fixed point (no crossings) or the return times do not
        converge within ``max_periods`` periods.
    """
    k0 = check_array("kappa0", np.atleast_1d(kappa0), shape=(dyn.rank,))
    K = dyn.n_inputs
    vv = np.zeros(K) if v is None else check_array("v", np.atleast_1d(v), shape=(K,))
    check_positive("t_transient", t_transient)
    if dyn.rank < 2:
        raise ValueError("a limit cycle needs rank >= 2 latent dynamics; got rank 1.")

    def rhs(time: float, y: FloatArray) -> FloatArray:
        return dyn.field(y[None, :], vv[None, :])[0]

    pre = solve_ivp(
        rhs, (0.0, t_transient), k0, method="DOP853", rtol=1e-10, atol=1e-12, dense_output=True
    )
    ts = np.linspace(0.5 * t_transient, t_transient, 2000)
    late = pre.sol(ts).T
    center, normal = poincare_section(late)
    if float(np.abs(late - center).max()) < 1e-6 * (1.0 + float(np.abs(center).max())):
        raise RuntimeError(
            "the trajectory settled at a fixed point (no oscillation after `t_transient`)."
        )
    window = max(t_transient, 1.0)
    state, t0 = late[-1], ts[-1]
    crossings: list[float] = []
    periods: list[float] = []
    sol = None
    for _ in range(max_periods):
        sol = solve_ivp(
            rhs,
            (t0, t0 + window),
            state,
            method="DOP853",
            rtol=1e-11,
            atol=1e-13,
            dense_output=True,
        )
        tg = np.linspace(t0, t0 + window, 20000)
        yg = sol.sol(tg).T
        for tc in poincare_crossings(tg, yg, center, normal):
            # refine the crossing on the dense output (secant on the section function)
            a, b = tc - (tg[1] - tg[0]), tc + (tg[1] - tg[0])
            for _ in range(50):
                sa = (sol.sol(a) - center) @ normal
                sb = (sol.sol(b) - center) @ normal
                if sb == sa:
                    break
                c = b - sb * (b - a) / (sb - sa)
                a, b = b, c
                if abs(b - a) < 1e-14 * max(1.0, abs(b)):
                    break
            crossings.append(float(b))
        periods = np.diff(crossings).tolist()
        if len(periods) >= 3 and abs(periods[-1] - periods[-2]) <= rtol * periods[-1]:
            break
        state, t0 = yg[-1], tg[-1]
    if len(periods) < 2:
        raise RuntimeError(
            "no periodic orbit found: fewer than three crossings of the Poincare section "
            f"within {max_periods} windows of {window}."
        )
    period = float(periods[-1])
    spread = float(abs(periods[-1] - periods[-2]))
    assert sol is not None
    tc = crossings[-1]
    if tc + period > sol.t[-1]:
        tc = crossings[-2]
    orbit = sol.sol(np.linspace(tc, tc + period, n_orbit, endpoint=False)).T
    c, radius, amp = orbit_statistics(orbit)
    return LimitCycle(
        period=period,
        period_spread=spread,
        center=c,
        radius=radius,
        amplitude=amp,
        orbit=orbit,
        converged=spread <= rtol * period,
    )


# ---------------------------------------------------------------------------------------------
# effective circuit


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class EffectiveCircuit:
    r"""The latent dynamics as a circuit with state-dependent gains, per component.

    :math:`F(\kappa) = -\kappa + \sum_p[\text{drive}_p + J^{\text{eff}}_p\kappa +
    B^{\text{eff}}_p v]` with :math:`J^{\text{eff}}_p = \alpha_p\langle\phi'\rangle_p
    \Sigma^{nm}_p`, :math:`B^{\text{eff}}_p = \alpha_p\langle\phi'\rangle_p\Sigma^{nI}_p`,
    :math:`\text{drive}_p = \alpha_p\mu_{n,p}\langle\phi\rangle_p` (Beiran et al.,
    arXiv:2007.02062; docs/theory.md 7.1).

    Attributes
    ----------
    kappa : (S, R) ndarray
        States.
    gain : (S, P) ndarray
        :math:`\langle\phi'\rangle_p`.
    j_eff : (S, P, R, R) ndarray
    b_eff : (S, P, R, K) ndarray
    drive : (S, P, R) ndarray
    """

    kappa: FloatArray
    gain: FloatArray
    j_eff: FloatArray
    b_eff: FloatArray
    drive: FloatArray

    @property
    def total(self) -> FloatArray:
        """:math:`\\sum_p J^{\\text{eff}}_p`, ``(S, R, R)``."""
        return self.j_eff.sum(axis=1)

    def to_xarray(self) -> Any:
        """Dataset over ``state``, ``component``, ``latent``, ``latent_in`` and ``input``."""
        import xarray as xr

        return xr.Dataset(
            {
                "kappa": (("state", "latent"), self.kappa),
                "gain": (("state", "component"), self.gain),
                "j_eff": (("state", "component", "latent", "latent_in"), self.j_eff),
                "b_eff": (("state", "component", "latent", "input"), self.b_eff),
                "drive": (("state", "component", "latent"), self.drive),
            }
        )


def effective_circuit(dyn: MixtureLatentDynamics, kappa: Any, v: Any = None) -> EffectiveCircuit:
    """The per-component effective circuit at each of the states ``kappa`` (``(S, R)``)."""
    if not isinstance(dyn, MixtureLatentDynamics):
        raise TypeError(f"`dyn` must be MixtureLatentDynamics; got {type(dyn).__name__}.")
    k, vv = dyn._inputs(np.atleast_2d(kappa), v)
    a = dyn.averages(k, vv, order=1)
    b = dyn._b
    R = dyn.rank
    w = b.alpha[None, :] * a[1]  # (S, P)
    j_eff = w[:, :, None, None] * b.s_ny[None, :, :, :R]
    b_eff = w[:, :, None, None] * b.s_ny[None, :, :, R:]
    drive = (b.alpha[None, :] * a[0])[:, :, None] * b.mu_n[None]
    return EffectiveCircuit(kappa=k, gain=a[1], j_eff=j_eff, b_eff=b_eff, drive=drive)
