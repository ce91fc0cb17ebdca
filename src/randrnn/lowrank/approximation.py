r"""Approximating a given flow with a Gaussian-mixture low-rank network (docs/theory.md 7.3).

Beiran, Dubreuil, Valente, Mastrogiuseppe & Ostojic (arXiv:2007.02062, section "Approximating
arbitrary dynamics with multiple populations") fix the statistics of the components' ``m`` and
input loadings at random; the mean-field latent field

.. math::
    F(\kappa) = -\kappa + \sum_p\alpha_p\big[\mu_{n,p}\langle\phi\rangle_p(\kappa)
    + \Sigma^{nm}_p\kappa\,\langle\phi'\rangle_p(\kappa)\big],
    \qquad x_p\sim\mathcal N(\mu_{m,p}\cdot\kappa + \mu_{I,p},\ \kappa^T\Sigma^{mm}_p\kappa
    + \sigma^2_{I,p}),

(constant input ``v = 1``, :math:`\mathrm{cov}(m, I) = \mathrm{cov}(n, I) = 0`) is then linear in
the ``n``-statistics :math:`\theta_p = (\mu_{n,p}, \Sigma^{nm}_p)`, which a regularised least
squares fits to a target field on a grid.

What this module adds to the authors' recipe (docs/theory.md 7.3):

- **Minimal n-variances.** A component's loading covariance is positive semi-definite iff
  :math:`\Sigma^{nn}_p \succeq \Sigma^{nm}_p(\Sigma^{mm}_p)^{-1}\Sigma^{mn}_p`; we take that
  Schur bound plus :math:`\epsilon I` (:math:`n = \mu_n + B(m - \mu_m) + \sqrt\epsilon\,\xi`),
  instead of inflating the variances until the matrix is positive definite.
- **Finite-size noise as the penalty.** A network of ``N`` units sampled from the mixture has
  the latent field :math:`F_N(\kappa) = -\kappa + \frac1N\sum_i n_i\phi(x_i)`, unbiased for
  :math:`F`, with variance :math:`\frac1N\sum_p\alpha_p\mathrm{Var}_p[n_r\phi(x)]`
  (:func:`latent_field_noise`). With the minimal n-variances this variance is a quadratic form
  :math:`\theta^TQ\theta` in the fitted statistics, so the ridge
  :math:`\overline{|A\theta - g|^2} + \lambda\,\theta^TQ\theta` with :math:`\lambda = 1/N` is
  the expected squared error of the *sampled network's* field on the grid: the fit is
  optimal for the network that will actually be simulated (``penalty="noise"``). The
  authors' plain ridge :math:`\lambda|\theta|^2` is ``penalty="plain"``.
- **Relative weighting.** ``weight="relative"`` fits the relative field error, which is what
  sets a limit cycle's period (:math:`T = \oint ds/|f|`), instead of spending the components
  on the corners of the box where :math:`|f|` is largest.

Functions: :func:`van_der_pol`, :func:`stuart_landau` (targets), :func:`draw_component_statistics`,
:func:`fit_flow`, :func:`latent_field_noise`, :func:`sample_flow_network`,
:func:`network_limit_cycles`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from randrnn._typing import FloatArray
from randrnn._validation import (
    check_array,
    check_in,
    check_nonnegative,
    check_positive,
    check_positive_int,
)
from randrnn.ensembles.lowrank import GaussianMixture, LowRankEnsemble
from randrnn.gaussian import derivative_averages
from randrnn.lowrank.latent import (
    AbstractLatentDynamics,
    LimitCycle,
    MixtureLatentDynamics,
    NetworkLatentDynamics,
    find_limit_cycle,
)
from randrnn.nonlinearities import AbstractNonlinearity, nonlinearity

__all__ = [
    "ComponentStatistics",
    "FlowFit",
    "FlowTarget",
    "NetworkCycles",
    "draw_component_statistics",
    "fit_flow",
    "latent_field_noise",
    "network_limit_cycles",
    "sample_flow_network",
    "stuart_landau",
    "van_der_pol",
]

#: The constant input of the fitted networks (``v = u = 1``, the authors' static input).
INPUT_LEVEL = 1.0

_PENALTIES = ("noise", "plain")
#: A network orbit smaller than this fraction of the target's radius is not a limit cycle.
MIN_RADIUS = 1e-3
#: ``weight="relative"``: :math:`w = 1/(|f|^2 + c\,\overline{|f|^2})` with this ``c``.
RELATIVE_FLOOR = 0.05
_LAWS = ("random", "authors")


# ---------------------------------------------------------------------------------------------
# targets


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class FlowTarget(AbstractLatentDynamics):
    r"""A target flow :math:`\dot\kappa = f(\kappa)` on :math:`\mathbb R^R` (no input).

    It is latent dynamics itself, so :func:`~randrnn.lowrank.find_limit_cycle` measures its
    period exactly as it measures the fitted mixture's and the sampled networks'.

    Parameters
    ----------
    function : callable
        ``(..., R) -> (..., R)``, vectorised over leading dimensions.
    name : str
        Label.
    rank : int
        R.
    domain : sequence of R pairs
        Box ``((lo_1, hi_1), ...)`` on which to fit.
    kappa0 : (R,) sequence
        A start in the basin of the limit cycle of interest.
    params : dict
        Parameters of the named target (recorded).
    """

    function: Callable[[FloatArray], Any]
    name: str = "custom"
    rank: int = 2
    domain: tuple[tuple[float, float], ...] = ((-3.0, 3.0), (-3.0, 3.0))
    kappa0: tuple[float, ...] = (2.0, 0.0)
    params: dict[str, float] = field(default_factory=dict)
    n_inputs: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if not callable(self.function):
            raise TypeError(
                f"`target` must be callable (..., R) -> (..., R); got {type(self.function)}."
            )
        check_positive_int("rank", self.rank)
        dom = _check_domain("domain", self.domain, self.rank)
        k0 = check_array("kappa0", self.kappa0, shape=(self.rank,))
        out = np.asarray(self.function(k0[None, :]), dtype=float)
        if out.shape != (1, self.rank) or not np.all(np.isfinite(out)):
            raise ValueError(
                f"`target` must map (..., {self.rank}) to (..., {self.rank}) finite values; on "
                f"an array of shape (1, {self.rank}) it returned shape {out.shape} ({out!r}). "
                "Vectorise the function over leading dimensions."
            )
        object.__setattr__(self, "domain", tuple((float(a), float(b)) for a, b in dom))
        object.__setattr__(self, "kappa0", tuple(float(x) for x in k0))

    def __call__(self, kappa: Any) -> FloatArray:
        """``f(kappa)``, shape ``(..., R)``."""
        return self.field(kappa)

    def field(self, kappa: Any, v: Any = None) -> FloatArray:
        k, _ = self._inputs(kappa, v)
        return np.asarray(self.function(k), dtype=float)

    def jacobian(self, kappa: Any, v: Any = None) -> FloatArray:
        k, _ = self._inputs(kappa, v)
        R = self.rank
        h = 1e-6 * (1.0 + np.abs(k))
        cols = []
        for s in range(R):
            e = np.zeros(R)
            e[s] = 1.0
            hs = h[..., s : s + 1]
            cols.append((self.field(k + hs * e) - self.field(k - hs * e)) / (2.0 * hs))
        return np.stack(cols, axis=-1)

    def scale(self) -> float:
        return float(max(max(abs(a), abs(b)) for a, b in self.domain))

    def limit_cycle(self, **kwargs: Any) -> LimitCycle:
        """The target's own limit cycle from ``kappa0`` (:func:`find_limit_cycle`, DOP853)."""
        return find_limit_cycle(self, np.asarray(self.kappa0), **kwargs)

    def to_dict(self) -> dict[str, Any]:
        """Name, parameters, domain and start."""
        return {
            "name": self.name,
            "params": dict(self.params),
            "rank": self.rank,
            "domain": [list(d) for d in self.domain],
            "kappa0": list(self.kappa0),
        }


def van_der_pol(
    mu: float = 1.0, *, domain: Sequence[Sequence[float]] = ((-3.0, 3.0), (-3.0, 3.0))
) -> FlowTarget:
    r"""The Van der Pol oscillator :math:`\dot x = y`, :math:`\dot y = -x + \mu(1 - x^2)y`.

    The example of Beiran et al. (arXiv:2007.02062, their Fig. 7, ``mu = 1``, fit on
    :math:`[-3, 3]^2`). Its limit cycle has period 6.6632868593... at ``mu = 1``.
    """
    m = check_nonnegative("mu", mu)

    def f(k: FloatArray) -> FloatArray:
        x, y = k[..., 0], k[..., 1]
        return np.stack([y, -x + m * (1.0 - x * x) * y], axis=-1)

    return FlowTarget(
        function=f,
        name="van_der_pol",
        rank=2,
        domain=_pairs(domain),
        kappa0=(2.0, 0.0),
        params={"mu": m},
    )


def stuart_landau(
    omega: float = 1.0,
    radius: float = 1.5,
    *,
    domain: Sequence[Sequence[float]] = ((-3.0, 3.0), (-3.0, 3.0)),
) -> FlowTarget:
    r"""Hopf normal form :math:`\dot z = (1 - |z|^2/\rho^2)z + i\omega z`, :math:`z = \kappa_1 +
    i\kappa_2`: a circular limit cycle of radius :math:`\rho`, period :math:`2\pi/\omega`."""
    w = check_positive("omega", omega)
    r = check_positive("radius", radius)

    def f(k: FloatArray) -> FloatArray:
        x, y = k[..., 0], k[..., 1]
        g = 1.0 - (x * x + y * y) / (r * r)
        return np.stack([g * x - w * y, g * y + w * x], axis=-1)

    return FlowTarget(
        function=f,
        name="stuart_landau",
        rank=2,
        domain=_pairs(domain),
        kappa0=(r, 0.0),
        params={"omega": w, "radius": r},
    )


def _pairs(domain: Any) -> tuple[tuple[float, float], ...]:
    return tuple((float(d[0]), float(d[1])) for d in domain)


def _check_domain(name: str, domain: Any, rank: int) -> FloatArray:
    dom = check_array(name, domain, shape=(rank, 2))
    if np.any(dom[:, 1] <= dom[:, 0]):
        raise ValueError(
            f"`{name}` must hold {rank} intervals (lo, hi) with lo < hi; got {dom.tolist()}."
        )
    return dom


def _as_target(target: Any) -> FlowTarget:
    if isinstance(target, FlowTarget):
        return target
    if callable(target):
        return FlowTarget(function=target)
    raise TypeError(
        "`target` must be a FlowTarget (e.g. van_der_pol(1.0)) or a callable (..., 2) -> "
        f"(..., 2); got {type(target).__name__}."
    )


# ---------------------------------------------------------------------------------------------
# m- and input statistics


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ComponentStatistics:
    r"""The fixed (not fitted) statistics of each component: weights, ``m`` and input.

    Attributes
    ----------
    weights : (P,) ndarray
        :math:`\alpha_p`.
    mean_m : (P, R) ndarray
        :math:`\mu_{m,p}`.
    cov_m : (P, R, R) ndarray
        :math:`\Sigma^{mm}_p` (positive definite).
    mean_input : (P,) ndarray
        :math:`\mu_{I,p}` (the input weight's mean; the input is ``v = 1``).
    var_input : (P,) ndarray
        :math:`\sigma^2_{I,p} \ge 0`.
    law : str
        How they were drawn.
    """

    weights: FloatArray
    mean_m: FloatArray
    cov_m: FloatArray
    mean_input: FloatArray
    var_input: FloatArray
    law: str = "given"

    def __post_init__(self) -> None:
        w = check_array("components.weights", self.weights, shape=(None,))
        P = w.size
        if P == 0 or np.any(w <= 0) or abs(w.sum() - 1.0) > 1e-9:
            raise ValueError(
                f"`components.weights` must be positive and sum to 1; got {w.tolist()}."
            )
        mu = check_array("components.mean_m", self.mean_m, shape=(P, None))
        R = mu.shape[1]
        cov = check_array("components.cov_m", self.cov_m, shape=(P, R, R))
        for p in range(P):
            if not np.allclose(cov[p], cov[p].T) or np.linalg.eigvalsh(cov[p]).min() <= 0:
                raise ValueError(
                    f"`components.cov_m[{p}]` must be symmetric positive definite (the fit "
                    f"penalises cov(n, m) through its inverse); got {cov[p].tolist()}."
                )
        mi = check_array("components.mean_input", self.mean_input, shape=(P,))
        vi = check_array("components.var_input", self.var_input, shape=(P,))
        if np.any(vi < 0):
            raise ValueError(f"`components.var_input` must be >= 0; got {vi.tolist()}.")
        for name, arr in (
            ("weights", w),
            ("mean_m", mu),
            ("cov_m", cov),
            ("mean_input", mi),
            ("var_input", vi),
        ):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def n_components(self) -> int:
        """P."""
        return int(self.weights.size)

    @property
    def rank(self) -> int:
        """R."""
        return int(self.mean_m.shape[1])


def draw_component_statistics(
    n_components: int,
    *,
    rank: int = 2,
    seed: int = 0,
    law: str = "random",
    domain: Any = None,
) -> ComponentStatistics:
    r"""Draw the components' ``m`` and input statistics at random (equal weights).

    Parameters
    ----------
    n_components : int
        P.
    rank : int
        R.
    seed : int
        Seed.
    law : {"random", "authors"}
        ``"authors"``: Beiran et al.'s Fig. 7 law (rank 2 only): :math:`\sigma^2_{m_x},
        \sigma^2_{m_y}` exponential, divided by their standard deviation over components,
        :math:`\mu_{m_x}, \mu_I \sim U(0, 4)` minus their mean over components,
        :math:`\mu_{m_y} = 0`, :math:`\sigma^2_I\sim\mathrm{Exp}(1)`, diagonal
        :math:`\Sigma^{mm}`. ``"random"``: in units of the domain's half-width ``h`` (centre
        ``c``), a direction ``u`` uniform on the sphere, :math:`\mu_m = u\,g/h` with
        :math:`g\sim U(0.5, 2)`, the sigmoid's centre plane at signed distance
        :math:`d\sim U(-h, h)` from ``c`` (:math:`\mu_I = -\mu_m\cdot c - |\mu_m| d`),
        :math:`\Sigma^{mm} = O\,\mathrm{diag}(s)\,O^T/h^2` with ``O`` a random rotation and
        :math:`s_i\sim U(0.1, 1)`, :math:`\sigma^2_I\sim U(0.05, 0.5)`. Every component then
        has a transition region inside the domain and m-variances bounded away from zero
        (the finite-size noise grows as :math:`(\Sigma^{mm})^{-1}`).
    domain : sequence of R pairs, optional
        Box of the fit (default :math:`[-3, 3]^R`).
    """
    P = check_positive_int("n_components", n_components)
    R = check_positive_int("rank", rank)
    check_in("law", law, _LAWS)
    dom = _check_domain("domain", ((-3.0, 3.0),) * R if domain is None else domain, R)
    rng = np.random.default_rng(seed)
    weights = np.full(P, 1.0 / P)
    if law == "authors":
        if R != 2:
            raise ValueError(f"`law` 'authors' is the rank-2 law of the paper; got rank={R}.")
        s = rng.exponential(1.0, size=(P, 2))
        if P > 1:
            s = s / s.std(axis=0, keepdims=True)
        cov = np.zeros((P, 2, 2))
        cov[:, 0, 0], cov[:, 1, 1] = s[:, 0], s[:, 1]
        mean_m = np.zeros((P, 2))
        mx = rng.uniform(0.0, 4.0, P)
        mean_m[:, 0] = mx - mx.mean()
        mi = rng.uniform(0.0, 4.0, P)
        mean_input = mi - mi.mean()
        var_input = rng.exponential(1.0, P)
    else:
        c = dom.mean(axis=1)
        h = 0.5 * float(np.max(dom[:, 1] - dom[:, 0]))
        u = rng.standard_normal((P, R))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        g = rng.uniform(0.5, 2.0, P) / h
        mean_m = u * g[:, None]
        d = rng.uniform(-h, h, P)
        mean_input = -(mean_m @ c) - g * d
        cov = np.empty((P, R, R))
        for p in range(P):
            o, _ = np.linalg.qr(rng.standard_normal((R, R)))
            cov[p] = (o * rng.uniform(0.1, 1.0, R)) @ o.T / h**2
            cov[p] = 0.5 * (cov[p] + cov[p].T)
        var_input = rng.uniform(0.05, 0.5, P)
    return ComponentStatistics(
        weights=weights,
        mean_m=mean_m,
        cov_m=cov,
        mean_input=mean_input,
        var_input=var_input,
        law=law,
    )


# ---------------------------------------------------------------------------------------------
# finite-size noise

_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(96)
_GH_WEIGHTS = _GH_WEIGHTS / math.sqrt(2.0 * math.pi)


def _z_moments(phi: AbstractNonlinearity, mean: FloatArray, sd: FloatArray) -> FloatArray:
    r""":math:`E[z^j\phi^k(m + sz)]` for ``(j, k)`` in ``(0,1), (1,1), (0,2), (1,2), (2,2)``."""
    x = mean[..., None] + sd[..., None] * _GH_NODES
    f = phi(x)
    f2 = f * f
    z = _GH_NODES
    w = _GH_WEIGHTS
    return np.stack([f @ w, f @ (w * z), f2 @ w, f2 @ (w * z), f2 @ (w * z * z)])


def latent_field_noise(dyn: MixtureLatentDynamics, kappa: Any, v: Any = None) -> FloatArray:
    r"""Per-unit standard deviation of a sampled network's latent field, ``(..., R)``.

    A network of ``N`` units sampled from the mixture (component sizes :math:`\alpha_pN`) has
    the latent field :math:`F_N(\kappa) = -\kappa + \frac1N\sum_in_i\phi(x_i)`, with mean the
    mixture field :math:`F(\kappa)` and

    .. math:: N\,\mathrm{Var}[F_{N,r}(\kappa)] = \sum_p\alpha_p\mathrm{Var}_p[n_r\phi(x)],

    returned here as its square root (so the standard deviation at ``N`` is this divided by
    :math:`\sqrt N`). Inside component ``p``, with :math:`x = \mathrm{mean} + sz` and
    :math:`c = \mathrm{cov}(n_r, x)`, :math:`n_r = \mu_{n_r} + (c/s)z + e`,
    :math:`\mathrm{Var}\,e = \mathrm{Var}\,n_r - c^2/s^2` independent of ``z``, hence

    .. math::
        E[n_r^2\phi^2] = E[(\mu_{n_r} + cz/s)^2\phi^2] + (\mathrm{Var}\,n_r - c^2/s^2)
        \langle\phi^2\rangle,\qquad E[n_r\phi] = \mu_{n_r}\langle\phi\rangle + (c/s)
        \langle z\phi\rangle,

    by 96-point Gauss-Hermite quadrature in ``z`` (Beiran et al., arXiv:2007.02062;
    docs/theory.md 7.3).

    Parameters
    ----------
    dyn : MixtureLatentDynamics
        The mixture.
    kappa : (..., R) array_like
        Latent states.
    v : (..., K) array_like, optional
        Filtered inputs.
    """
    if not isinstance(dyn, MixtureLatentDynamics):
        raise TypeError(f"`dyn` must be MixtureLatentDynamics; got {type(dyn).__name__}.")
    k, vv = dyn._inputs(kappa, v)
    mean, var, cov_n = dyn.moments(k, vv)  # (..., P), (..., P), (..., P, R)
    R = dyn.rank
    idx = np.arange(R, 2 * R)
    cov = dyn.mixture.covariances
    var_n = np.einsum("prr->pr", cov[:, idx][:, :, idx])  # (P, R)
    mu_n = dyn.mixture.means[:, idx]  # (P, R)
    sd = np.sqrt(var)
    safe = np.where(sd > 0, sd, 1.0)
    beta = np.where(sd[..., None] > 0, cov_n / safe[..., None], 0.0)  # (..., P, R)
    e1, ez1, e2, ez2, ezz2 = _z_moments(dyn.phi, mean, sd)  # each (..., P)
    second = (
        mu_n**2 * e2[..., None]
        + 2.0 * mu_n * beta * ez2[..., None]
        + beta**2 * ezz2[..., None]
        + np.maximum(var_n - beta**2, 0.0) * e2[..., None]
    )
    first = mu_n * e1[..., None] + beta * ez1[..., None]
    var_p = np.maximum(second - first**2, 0.0)
    alpha = np.asarray(dyn.mixture.weights, dtype=float)
    return np.sqrt(np.einsum("p,...pr->...r", alpha, var_p))


# ---------------------------------------------------------------------------------------------
# the fit


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class FlowFit:
    r"""A Gaussian-mixture low-rank network fitted to a target flow (:func:`fit_flow`).

    Attributes
    ----------
    target : FlowTarget
        The flow.
    components : ComponentStatistics
        The fixed m- and input statistics.
    mean_n : (P, R) ndarray
        Fitted :math:`\mu_{n,p}`.
    cov_nm : (P, R, R) ndarray
        Fitted :math:`\Sigma^{nm}_p` (``[p, r, s] = cov(n_r, m_s)``).
    cov_nn : (P, R, R) ndarray
        :math:`\Sigma^{nm}_p(\Sigma^{mm}_p)^{-1}\Sigma^{mn}_p + \epsilon_pI`.
    mixture : GaussianMixture
        The loading law, order ``(m_1..m_R, n_1..n_R, I)``.
    phi : AbstractNonlinearity
        Transfer function.
    penalty : str
        ``"noise"`` or ``"plain"``.
    ridge : float
        :math:`\lambda`.
    n_sample : int
        Network size the ridge was set for (``ridge = 1 / n_sample`` unless given).
    grid : (G, R) ndarray
        Fit points.
    fitted : (G, R) ndarray
        The regression's prediction of the field on the grid, :math:`A\theta - \kappa`.
    weight : (G,) ndarray
        Grid weights of the fit (mean 1).
    field_error, heldout_error : float
        RMS of :math:`F - f` over the grid (and over the midpoints of its cells), relative to
        the RMS of ``f`` there.
    noise : float
        :math:`\sqrt{\overline{\sum_rN\mathrm{Var}F_{N,r}}}` over the grid, relative to the RMS
        of ``f`` (:func:`latent_field_noise`): a sampled network of ``N`` units has relative
        field error :math:`\sqrt{\text{field\_error}^2 + \text{noise}^2/N}` on average.
    max_n_variance : float
        Largest n-variance of the loadings.
    target_cycle, mixture_cycle : LimitCycle or None
        Limit cycles from ``target.kappa0`` (``None`` if the mixture has none there).
    """

    target: FlowTarget
    components: ComponentStatistics
    mean_n: FloatArray
    cov_nm: FloatArray
    cov_nn: FloatArray
    mixture: GaussianMixture
    phi: AbstractNonlinearity
    penalty: str
    ridge: float
    n_sample: int
    seed: int
    grid: FloatArray
    fitted: FloatArray
    weight: FloatArray
    field_error: float
    heldout_error: float
    noise: float
    max_n_variance: float
    target_cycle: LimitCycle | None
    mixture_cycle: LimitCycle | None

    @property
    def n_components(self) -> int:
        """P."""
        return self.components.n_components

    @property
    def rank(self) -> int:
        """R."""
        return self.components.rank

    @property
    def v(self) -> FloatArray:
        """The constant (filtered) input, ``(1,)``."""
        return np.array([INPUT_LEVEL])

    def dynamics(self) -> MixtureLatentDynamics:
        """The mixture's mean-field latent dynamics (evaluate at ``v = self.v``)."""
        return MixtureLatentDynamics(mixture=self.mixture, rank=self.rank, n_inputs=1, phi=self.phi)

    def ensemble(self, n: int) -> LowRankEnsemble:
        """A :class:`~randrnn.ensembles.LowRankEnsemble` of ``n`` units (drive with ``u = 1``)."""
        return LowRankEnsemble(
            n=check_positive_int("n", n), rank=self.rank, mixture=self.mixture, n_inputs=1
        )

    def predicted_network_error(self, n: int) -> float:
        """Expected relative RMS field error of a sampled network of ``n`` units on the grid."""
        check_positive_int("n", n)
        return math.sqrt(self.field_error**2 + self.noise**2 / n)

    @property
    def period_error(self) -> float:
        """Relative error of the mixture's period (``nan`` without a cycle)."""
        if self.mixture_cycle is None or self.target_cycle is None:
            return math.nan
        return self.mixture_cycle.period / self.target_cycle.period - 1.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (the mixture as :meth:`GaussianMixture.to_config`)."""
        return {
            "target": self.target.to_dict(),
            "n_components": self.n_components,
            "law": self.components.law,
            "phi": self.phi.to_config(),
            "penalty": self.penalty,
            "ridge": self.ridge,
            "n_sample": self.n_sample,
            "seed": self.seed,
            "grid_points": int(self.grid.shape[0]),
            "field_error": self.field_error,
            "heldout_error": self.heldout_error,
            "noise": self.noise,
            "max_n_variance": self.max_n_variance,
            "target_cycle": None if self.target_cycle is None else self.target_cycle.to_dict(),
            "mixture_cycle": None if self.mixture_cycle is None else self.mixture_cycle.to_dict(),
            "period_error": self.period_error,
            "mixture": self.mixture.to_config(),
            "input_level": INPUT_LEVEL,
        }

    def to_xarray(self) -> Any:
        """Per-component statistics over ``component``, ``latent``, ``latent_in``; scalars as
        attributes."""
        import xarray as xr

        c = self.components
        attrs = {k: v for k, v in self.to_dict().items() if isinstance(v, (int, float, str))}
        for name, cyc in (("target", self.target_cycle), ("mixture", self.mixture_cycle)):
            attrs[f"{name}_period"] = math.nan if cyc is None else cyc.period
            attrs[f"{name}_radius"] = math.nan if cyc is None else cyc.radius
        return xr.Dataset(
            {
                "weight": ("component", c.weights),
                "mean_m": (("component", "latent"), c.mean_m),
                "cov_m": (("component", "latent", "latent_in"), c.cov_m),
                "mean_input": ("component", c.mean_input),
                "var_input": ("component", c.var_input),
                "mean_n": (("component", "latent"), self.mean_n),
                "cov_nm": (("component", "latent", "latent_in"), self.cov_nm),
                "cov_nn": (("component", "latent", "latent_in"), self.cov_nn),
            },
            attrs=attrs,
        )


def _grid(dom: FloatArray, points: int) -> FloatArray:
    axes = [np.linspace(lo, hi, points) for lo, hi in dom]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, dom.shape[0])


def _midpoints(dom: FloatArray, points: int) -> FloatArray:
    axes = []
    for lo, hi in dom:
        a = np.linspace(lo, hi, points)
        axes.append(0.5 * (a[1:] + a[:-1]))
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, dom.shape[0])


def _component_x(comp: ComponentStatistics, kappa: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Mean and variance of the preactivation per component, ``(G, P)`` each."""
    mean = kappa @ comp.mean_m.T + INPUT_LEVEL * comp.mean_input
    var = np.einsum("gr,prs,gs->gp", kappa, comp.cov_m, kappa) + INPUT_LEVEL**2 * comp.var_input
    return mean, np.maximum(var, 0.0)


def _design(comp: ComponentStatistics, phi: AbstractNonlinearity, kappa: FloatArray) -> FloatArray:
    r"""Columns :math:`\alpha_p\langle\phi\rangle_p`, :math:`\alpha_p\kappa_s\langle\phi'
    \rangle_p`, shape ``(G, P, 1 + R)``."""
    mean, var = _component_x(comp, kappa)
    a = derivative_averages(phi, mean, var, order=1)  # (2, G, P)
    al = comp.weights
    col0 = al * a[0]
    cols = (al * a[1])[:, :, None] * kappa[:, None, :]
    return np.concatenate([col0[:, :, None], cols], axis=2)


def _noise_form(
    comp: ComponentStatistics, phi: AbstractNonlinearity, kappa: FloatArray, w: FloatArray
) -> FloatArray:
    r"""Per-component :math:`Q_p` (``(P, 1+R, 1+R)``): grid mean of
    :math:`\alpha_p\mathrm{Var}_p[n_r\phi]` as a quadratic form in
    :math:`\theta_{p,r} = (\mu_{n_r,p}, \Sigma^{nm}_{p,r\cdot})` with the minimal n-variance
    (:func:`latent_field_noise`)."""
    mean, var = _component_x(comp, kappa)
    sd = np.sqrt(var)
    safe = np.where(sd > 0, sd, 1.0)
    e1, ez1, e2, ez2, ezz2 = _z_moments(phi, mean, sd)  # (G, P)
    G, P = mean.shape
    R = kappa.shape[1]
    kk = np.broadcast_to(kappa[:, None, :], (G, P, R)) / safe[..., None]  # k/s
    kk = np.where(sd[..., None] > 0, kk, 0.0)
    # E[u u^T] with u = (phi, (z/s) phi k)
    Q = np.zeros((G, P, 1 + R, 1 + R))
    Q[..., 0, 0] = e2
    Q[..., 0, 1:] = ez2[..., None] * kk
    Q[..., 1:, 0] = ez2[..., None] * kk
    Q[..., 1:, 1:] = ezz2[..., None, None] * kk[..., :, None] * kk[..., None, :]
    # minus E[u] E[u]^T
    d = np.concatenate([e1[..., None], ez1[..., None] * kk], axis=-1)
    Q -= d[..., :, None] * d[..., None, :]
    # the part of n independent of x: w (S^-1 - k k^T / s^2) w^T <phi^2>
    sinv = np.linalg.inv(comp.cov_m)  # (P, R, R)
    resid = sinv[None] - kk[..., :, None] * kk[..., None, :]
    Q[..., 1:, 1:] += e2[..., None, None] * resid
    Q = np.einsum("g,gpab->pab", w, Q) / w.size * comp.weights[:, None, None]
    return 0.5 * (Q + np.swapaxes(Q, 1, 2))


def _weights(weight: Any, f_grid: FloatArray, grid: FloatArray) -> FloatArray:
    if isinstance(weight, str):
        check_in("weight", weight, ("uniform", "relative"))
        if weight == "uniform":
            w = np.ones(grid.shape[0])
        else:
            sq = np.sum(f_grid**2, axis=-1)
            w = 1.0 / (sq + np.mean(sq) * RELATIVE_FLOOR)
    elif callable(weight):
        w = check_array("weight", weight(grid), shape=(grid.shape[0],))
    else:
        raise TypeError(
            "`weight` must be 'uniform', 'relative' or a callable (G, R) -> (G,); got "
            f"{type(weight).__name__}."
        )
    if np.any(w < 0) or not np.any(w > 0):
        raise ValueError("`weight` must be >= 0 and not all zero on the grid.")
    return w / w.mean()


def fit_flow(
    target: Any,
    *,
    n_components: int | None = None,
    components: ComponentStatistics | None = None,
    domain: Sequence[Sequence[float]] | None = None,
    points: int = 30,
    penalty: str = "noise",
    ridge: float | None = None,
    n_sample: int = 50_000,
    seed: int = 0,
    phi: AbstractNonlinearity | str = "tanh",
    m_law: str = "random",
    schur_eps: float = 1e-8,
    weight: Any = "uniform",
    limit_cycle: bool = True,
    t_transient: float = 60.0,
) -> FlowFit:
    r"""Fit the n-statistics of a Gaussian mixture so that its latent field approximates a flow.

    The components' m- and input statistics are drawn from ``seed``
    (:func:`draw_component_statistics`) or given; the field
    :math:`\sum_p\alpha_p[\mu_{n,p}\langle\phi\rangle_p + \Sigma^{nm}_p\kappa\langle\phi'
    \rangle_p]` is linear in :math:`\theta`, and

    .. math:: \min_\theta\ \overline{|A\theta - (f(\kappa) + \kappa)|^2}
        + \lambda\,\theta^TQ\theta

    over the grid (mean over points, summed over the R outputs), solved as one least-squares
    problem (SVD). ``penalty="noise"``: :math:`Q` is the finite-size variance of the field of
    a sampled network (:func:`latent_field_noise`, minimal n-variances), so with the default
    :math:`\lambda = 1/N` the objective is the expected squared field error of a network of
    ``n_sample`` units. ``penalty="plain"``: :math:`Q = I` (Beiran et al., arXiv:2007.02062,
    Fig. 7, whose :math:`\sigma^2` on the summed squares of :math:`P\times` the target is
    :math:`\lambda = \sigma^2/(GP^2)` here). Then :math:`\Sigma^{nn}_p = \Sigma^{nm}_p
    (\Sigma^{mm}_p)^{-1}\Sigma^{mn}_p + \epsilon_pI`, :math:`\epsilon_p` = ``schur_eps``
    times ``max(1, max diag)``: the positive-definite loading covariance with the least noise.

    Parameters
    ----------
    target : FlowTarget or callable
        :func:`van_der_pol`, :func:`stuart_landau` or ``(..., R) -> (..., R)`` (then R = 2,
        domain :math:`[-3, 3]^2`).
    n_components : int, optional
        P (needed unless ``components`` is given).
    components : ComponentStatistics, optional
        Fixed statistics of your own (then ``seed`` and ``m_law`` are unused).
    domain : sequence of R pairs, optional
        Fit box (default ``target.domain``).
    points : int
        Grid points per axis (``points**R`` in all; held-out error on the cell midpoints).
    penalty : {"noise", "plain"}
        Regulariser.
    ridge : float, optional
        :math:`\lambda \ge 0` (default ``1 / n_sample``).
    n_sample : int
        Network size the default ridge is set for.
    seed : int
        Seed of the m- and input statistics.
    phi : AbstractNonlinearity or str
        Transfer function.
    m_law : {"random", "authors"}
        Law of the m- and input statistics.
    schur_eps : float
        Relative size of the n-noise added to the Schur bound (> 0: positive definite).
    weight : {"uniform", "relative"} or callable
        Grid weights: ``"relative"`` is :math:`1/(|f|^2 + c\,\overline{|f|^2})`
        (``c = RELATIVE_FLOOR``), which fits the relative error where the flow is slow, what
        sets a period; a callable maps the grid ``(G, R)`` to ``(G,)``. The noise penalty is
        weighted alike.
    limit_cycle : bool
        Measure the target's and the mixture's limit cycles.
    t_transient : float
        Transient of the mixture's limit-cycle search (:func:`find_limit_cycle`).

    Returns
    -------
    FlowFit
    """
    tgt = _as_target(target)
    R = tgt.rank
    f_phi = nonlinearity(phi)
    check_in("penalty", penalty, _PENALTIES)
    check_in("m_law", m_law, _LAWS)
    pts = check_positive_int("points", points)
    if pts < 2:
        raise ValueError(f"`points` must be >= 2 (grid points per axis); got {points}.")
    nsamp = check_positive_int("n_sample", n_sample)
    lam = 1.0 / nsamp if ridge is None else check_nonnegative("ridge", ridge)
    eps = check_positive("schur_eps", schur_eps)
    dom = _check_domain("domain", tgt.domain if domain is None else domain, R)
    if components is None:
        if n_components is None:
            raise ValueError(
                "`n_components` must be given (a positive int) unless `components` is."
            )
        comp = draw_component_statistics(
            check_positive_int("n_components", n_components),
            rank=R,
            seed=seed,
            law=m_law,
            domain=dom,
        )
    else:
        if not isinstance(components, ComponentStatistics):
            raise TypeError(
                f"`components` must be ComponentStatistics; got {type(components).__name__}."
            )
        comp = components
        if comp.rank != R:
            raise ValueError(f"`components` must have rank {R} (the target's); got {comp.rank}.")
        if n_components is not None and n_components != comp.n_components:
            raise ValueError(
                f"`n_components` = {n_components} contradicts `components` "
                f"({comp.n_components} components); drop one."
            )
    P = comp.n_components
    grid = _grid(dom, pts)
    G = grid.shape[0]
    f_grid = tgt(grid)
    g = f_grid + grid  # (G, R): the field without the leak
    w = _weights(weight, f_grid, grid)
    sw = np.sqrt(w / G)
    A = _design(comp, f_phi, grid).reshape(G, P * (1 + R)) * sw[:, None]
    if penalty == "noise":
        Qp = _noise_form(comp, f_phi, grid, w)
        lam_q, vec_q = np.linalg.eigh(Qp)  # per component
        L = vec_q * np.sqrt(np.clip(lam_q, 0.0, None))[:, None, :]  # Q_p = L_p L_p^T
        pen = np.zeros((P * (1 + R), P * (1 + R)))
        for p in range(P):
            sl = slice(p * (1 + R), (p + 1) * (1 + R))
            pen[sl, sl] = L[p].T
    else:
        pen = np.eye(P * (1 + R))
    X = np.concatenate([A, math.sqrt(lam) * pen]) if lam > 0 else A
    Y = np.concatenate([g * sw[:, None], np.zeros((X.shape[0] - G, R))])
    theta, *_ = np.linalg.lstsq(X, Y, rcond=None)  # (P(1+R), R)
    th = theta.reshape(P, 1 + R, R)
    mean_n = th[:, 0, :]  # (P, R)
    cov_nm = np.swapaxes(th[:, 1:, :], 1, 2)  # [p, r, s]
    sinv = np.linalg.inv(comp.cov_m)
    cov_nn = np.einsum("prs,pst,pqt->prq", cov_nm, sinv, cov_nm)
    cov_nn = 0.5 * (cov_nn + np.swapaxes(cov_nn, 1, 2))
    scale = np.maximum(1.0, np.einsum("prr->pr", cov_nn).max(axis=1))
    cov_nn = cov_nn + (eps * scale)[:, None, None] * np.eye(R)
    D = 2 * R + 1
    means = np.concatenate([comp.mean_m, mean_n, comp.mean_input[:, None]], axis=1)
    covs = np.zeros((P, D, D))
    covs[:, :R, :R] = comp.cov_m
    covs[:, R : 2 * R, R : 2 * R] = cov_nn
    covs[:, R : 2 * R, :R] = cov_nm
    covs[:, :R, R : 2 * R] = np.swapaxes(cov_nm, 1, 2)
    covs[:, 2 * R, 2 * R] = comp.var_input
    if np.any(comp.var_input == 0):
        covs[:, 2 * R, 2 * R] += eps  # a degenerate input weight is allowed, kept PD
    mixture = GaussianMixture(weights=comp.weights, means=means, covariances=covs)
    dyn = MixtureLatentDynamics(mixture=mixture, rank=R, n_inputs=1, phi=f_phi)
    v = np.array([INPUT_LEVEL])
    f_rms = math.sqrt(float(np.mean(np.sum(tgt(grid) ** 2, axis=-1))))
    err = dyn.field(grid, v) - tgt(grid)
    field_error = math.sqrt(float(np.mean(np.sum(err**2, axis=-1)))) / f_rms
    mid = _midpoints(dom, pts)
    err_mid = dyn.field(mid, v) - tgt(mid)
    f_rms_mid = math.sqrt(float(np.mean(np.sum(tgt(mid) ** 2, axis=-1))))
    heldout = math.sqrt(float(np.mean(np.sum(err_mid**2, axis=-1)))) / f_rms_mid
    sd = latent_field_noise(dyn, grid, v)
    noise = math.sqrt(float(np.mean(np.sum(sd**2, axis=-1)))) / f_rms
    target_cycle = mixture_cycle = None
    if limit_cycle:
        target_cycle = tgt.limit_cycle()
        try:
            mixture_cycle = find_limit_cycle(
                dyn, np.asarray(tgt.kappa0), v=v, t_transient=t_transient
            )
        except RuntimeError:
            mixture_cycle = None
    return FlowFit(
        target=tgt,
        components=comp,
        mean_n=mean_n,
        cov_nm=cov_nm,
        cov_nn=cov_nn,
        mixture=mixture,
        phi=f_phi,
        penalty=penalty,
        ridge=lam,
        n_sample=nsamp,
        seed=int(seed),
        grid=grid,
        fitted=_design(comp, f_phi, grid).reshape(G, P * (1 + R)) @ theta - grid,
        weight=w,
        field_error=field_error,
        heldout_error=heldout,
        noise=noise,
        max_n_variance=float(np.einsum("prr->pr", cov_nn).max()),
        target_cycle=target_cycle,
        mixture_cycle=mixture_cycle,
    )


# ---------------------------------------------------------------------------------------------
# sampled networks


def sample_flow_network(fit: FlowFit, n: int, seed: int = 0) -> NetworkLatentDynamics:
    """Draw a network of ``n`` units from the fitted mixture: its exact latent dynamics.

    The loadings are ``fit.mixture.sample(default_rng(seed), n)`` (components in contiguous
    blocks, sizes by largest remainder), the draw :meth:`LowRankEnsemble.sample_coupling`
    makes first, without the dense ``n x n`` coupling matrix; evaluate the returned dynamics
    at ``v = fit.v``.
    """
    if not isinstance(fit, FlowFit):
        raise TypeError(f"`fit` must be a FlowFit (from fit_flow); got {type(fit).__name__}.")
    L, _ = fit.mixture.sample(np.random.default_rng(seed), check_positive_int("n", n))
    R = fit.rank
    return NetworkLatentDynamics(
        M=L[:, :R], N=L[:, R : 2 * R], inputs=L[:, 2 * R : 2 * R + 1], phi=fit.phi
    )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class NetworkCycles:
    """Limit cycles of networks sampled from a fit, one per seed.

    Attributes
    ----------
    n : int
        Units per network.
    seeds : (S,) ndarray of int
    period, radius : (S,) ndarray
        ``nan`` where no cycle was found from ``kappa0`` (see ``failed``).
    failed : int
        Networks without a limit cycle from the start.
    target_period, target_radius : float
        The target's.
    orbit : (S, K, R) ndarray
        One period of each network's cycle, equally spaced in time (``nan`` where none).
    """

    n: int
    seeds: Any
    period: FloatArray
    radius: FloatArray
    failed: int
    target_period: float
    target_radius: float
    orbit: FloatArray

    @staticmethod
    def _mean_se(x: FloatArray) -> tuple[float, float]:
        ok = x[np.isfinite(x)]
        if ok.size == 0:
            return math.nan, math.nan
        se = float(ok.std(ddof=1) / math.sqrt(ok.size)) if ok.size > 1 else math.nan
        return float(ok.mean()), se

    @property
    def period_mean_se(self) -> tuple[float, float]:
        """Mean and standard error of the period over the networks with a cycle."""
        return self._mean_se(self.period)

    @property
    def radius_mean_se(self) -> tuple[float, float]:
        """Mean and standard error of the radius."""
        return self._mean_se(self.radius)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary."""
        pm, pse = self.period_mean_se
        rm, rse = self.radius_mean_se
        return {
            "n": self.n,
            "seeds": [int(s) for s in self.seeds],
            "period": [float(x) for x in self.period],
            "radius": [float(x) for x in self.radius],
            "failed": self.failed,
            "period_mean": pm,
            "period_se": pse,
            "radius_mean": rm,
            "radius_se": rse,
            "period_error": pm / self.target_period - 1.0,
            "target_period": self.target_period,
            "target_radius": self.target_radius,
        }

    def to_xarray(self) -> Any:
        """Dataset over ``seed``; summary as attributes."""
        import xarray as xr

        attrs = {k: v for k, v in self.to_dict().items() if not isinstance(v, list)}
        return xr.Dataset(
            {
                "period": ("seed", self.period),
                "radius": ("seed", self.radius),
                "orbit": (("seed", "orbit_sample", "latent"), self.orbit),
            },
            coords={"seed": np.asarray(self.seeds, dtype=int)},
            attrs=attrs,
        )


def network_limit_cycles(
    fit: FlowFit,
    n: int,
    seeds: Sequence[int],
    *,
    t_transient: float = 60.0,
    rtol: float = 1e-6,
    n_orbit: int = 200,
) -> NetworkCycles:
    """Period and radius of the limit cycle of networks sampled from ``fit``, one per seed.

    Each network's exact latent dynamics (:func:`sample_flow_network`) is run from the
    target's ``kappa0`` at ``v = 1`` and its cycle found by :func:`find_limit_cycle`; a network
    that settles at a fixed point, whose return times do not converge to ``rtol``, or whose
    orbit is smaller than ``MIN_RADIUS`` times the target's counts in ``failed`` (``nan``).
    """
    if not isinstance(fit, FlowFit):
        raise TypeError(f"`fit` must be a FlowFit (from fit_flow); got {type(fit).__name__}.")
    check_positive_int("n", n)
    sd = [int(s) for s in seeds]
    if not sd:
        raise ValueError("`seeds` must hold at least one seed; got an empty sequence.")
    tc = fit.target_cycle if fit.target_cycle is not None else fit.target.limit_cycle()
    check_positive_int("n_orbit", n_orbit)
    period = np.full(len(sd), math.nan)
    radius = np.full(len(sd), math.nan)
    orbit = np.full((len(sd), n_orbit, fit.rank), math.nan)
    failed = 0
    for i, s in enumerate(sd):
        net = sample_flow_network(fit, n, s)
        try:
            cyc = find_limit_cycle(
                net,
                np.asarray(fit.target.kappa0),
                v=fit.v,
                t_transient=t_transient,
                rtol=rtol,
                n_orbit=n_orbit,
            )
        except RuntimeError:
            failed += 1
            continue
        if not cyc.converged or cyc.radius < MIN_RADIUS * tc.radius:
            failed += 1  # a decaying spiral or a numerical oscillation at a fixed point
            continue
        period[i], radius[i], orbit[i] = cyc.period, cyc.radius, cyc.orbit
    return NetworkCycles(
        n=int(n),
        seeds=np.asarray(sd),
        period=period,
        radius=radius,
        failed=failed,
        target_period=tc.period,
        target_radius=tc.radius,
        orbit=orbit,
    )
