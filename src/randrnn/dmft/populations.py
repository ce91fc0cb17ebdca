r"""Stationary dynamical mean-field theory of rate networks with several dense populations.

Each unit of population ``a`` (fraction :math:`f_a`, time constant :math:`\tau_a`) sees a
Gaussian field whose mean and autocovariance are set by the populations it receives from
(docs/theory.md sections 2 and 8; Kadmon & Sompolinsky 2015, Eqs. (4)-(6)):

.. math:: M_a = \bar b_a + \sum_b f_b \mu_{ab}\,\psi_b ,\qquad
          (1 - \tau_a^2\partial_t^2)[\Delta_a(t) - \Delta_{a,\infty}]
          = \sum_b f_b s_{ab}\,[C_b(t) - C_{b,\infty}] + \sigma^2\delta(t) ,\qquad
          \Delta_{a,\infty} = \sum_b f_b s_{ab}\,C_{b,\infty} + \sigma_{b,a}^2 ,

with :math:`\mu_{ab} = n E[J_{ij}]`, :math:`s_{ab} = n\,\mathrm{Var}(J_{ij})` (``i`` in ``a``,
``j`` in ``b``), :math:`\psi_b = E[\phi(x)]` and
:math:`C_b(t) = E[\phi(x(s))\phi(x(s+t))]` (raw, not centred) for :math:`x` Gaussian of mean
:math:`M_b` and autocovariance :math:`\Delta_b`.

- :func:`solve_populations` -- the solver; returns a :class:`PopulationSolution`.
- :func:`populations_residual` -- re-measures the residual of a returned solution.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import fft as _fft

from randrnn import _fixedpoint as _solvers
from randrnn import gaussian
from randrnn._typing import ComplexArray, FloatArray
from randrnn._validation import check_in, check_positive
from randrnn.dmft._coverage import check_network
from randrnn.dmft._map import _TOL_FLOOR, FixedPoint, _e1, _e2, _e3, _explain, _failed
from randrnn.dmft._populations_map import (
    PopulationProblem,
    growth,
    make_problem,
    norm,
    solve_from,
    starts,
    with_grid,
)
from randrnn.dmft.stationary import StationarySolution
from randrnn.errors import ConvergenceError, RegimeWarning
from randrnn.networks import RateNetwork

_REFERENCES = ("sompolinsky1988", "kadmon2015", "knoll2004")
#: negative power below -this * max(c_hat) rejects a solution (as in the one-population solver)
_SPECTRUM_RTOL = 1e-8
#: what the solver covers, as said in every refusal
_COVERS = (
    "dense populations of independent couplings: an ensemble whose statistics() has "
    "dense=True, symmetry 0 and rank 0 (GaussianEnsemble with eta = 0; BlockEnsemble with "
    "every connection probability 1)"
)
#: quadrature nodes per population whose time constants follow a law with a spread
TAU_NODES = 8
_MAX_TAU_NODES = 64
Regime = Literal["quiescent", "static", "chaotic", "noise-driven", "divergent"]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class PopulationSolution:
    r"""Stationary multi-population DMFT solution (docs/theory.md sections 2 and 8).

    Arrays are indexed ``[population, ...]``. Times are in the network's units (``tau`` is
    *not* scaled out: populations may have different time constants); spectra use
    :math:`F(\omega) = \int f(t) e^{-i\omega t}\,dt`.

    Parameters
    ----------
    names : tuple of str
        Population names (from the ensemble). A population whose time constants follow a law
        with a spread is solved as sub-populations at the nodes of a quadrature of the law,
        named ``"I[tau=1.23]"``; every array then has one row per sub-population.
    parent : tuple of int
        The network population of each (sub-)population.
    fractions : (P,) ndarray
        Fractions :math:`f_a = n_a / n` (times the quadrature weight for a sub-population).
    tau : (P,) ndarray
        Time constant of each (sub-)population.
    lags : (m,) ndarray
        Uniform lag grid shared by all populations, ``lags[0] = 0``.
    freqs : (m,) ndarray
        Angular frequencies :math:`\omega_k = \pi k / t_{max}`.
    mean : (P,) ndarray
        :math:`M_a`, population mean of the preactivations (the mean input
        :math:`\bar b_a + \sum_b f_b \mu_{ab}\psi_b`).
    delta : (P, m) ndarray
        :math:`\Delta_a(t)`, autocovariance of :math:`x` around :math:`M_a`, including the
        static (quenched) part.
    delta_dynamic : (P, m) ndarray
        :math:`\Delta_a(t) - \Delta_{a,\infty}`.
    c : (P, m) ndarray
        :math:`C_a(t) = E[\phi(x(s))\phi(x(s+t))]`, raw (includes :math:`\psi_a^2` and the
        static part).
    delta_hat, c_hat : (P, m) ndarray
        Spectra of :math:`\Delta_a - \Delta_{a,\infty}` (white noise included exactly) and of
        :math:`C_a - C_{a,\infty}`; real and nonnegative.
    delta0, delta_inf, q : (P,) ndarray
        :math:`\Delta_a(0)`, :math:`\Delta_{a,\infty}` and the dynamic variance
        :math:`q_a = \Delta_a(0) - \Delta_{a,\infty}`.
    c_inf : (P,) ndarray
        :math:`C_{a,\infty}` (average over the quenched field of :math:`(E_{dyn}\phi)^2`).
    mu0, mu1, c0 : (P,) ndarray
        :math:`\psi_a = E[\phi]`, :math:`E[\phi']` and :math:`E[\phi^2] = C_a(0)` over
        :math:`x \sim \mathcal N(M_a, \Delta_a(0))`.
    s_r, s_r_hat : (P, m) ndarray
        Residual autocorrelation of the linear-equivalent decomposition (docs/theory.md
        section 3) of the connected parts,
        :math:`s_{r,a}(t) = [C_a(t) - C_{a,\infty}] - \mu_{1,a}^2 [\Delta_a(t) -
        \Delta_{a,\infty}]`, and its spectrum.
    s_r_static : (P,) ndarray
        :math:`C_{a,\infty} - \mu_{0,a}^2 - \mu_{1,a}^2 \Delta_{a,\infty}`.
    tau_corr : (P,) ndarray
        Correlation time :math:`\int_0^\infty [\Delta_a - \Delta_{a,\infty}]\,dt / q_a`
        (0 without dynamics).
    regime : str
        ``"quiescent"`` (all :math:`x = 0`), ``"static"`` (a fixed point with per-unit values),
        ``"chaotic"``, ``"noise-driven"`` (``sigma > 0`` and dynamics), or ``"divergent"`` (no
        stationary state; every quantity NaN, ``converged`` False).
    converged : bool
        Whether the residual reached ``tol`` with nonnegative spectra.
    n_iter : int
        Map evaluations, summed over the lag grids tried.
    residual : float
        Largest over populations of :math:`\max_t |F[\Delta_a] - \Delta_a| / \max(\Delta_a(0),
        1)` (dynamic and static parts) and of :math:`|F[M_a] - M_a| / \max(|M_a|,
        \sqrt{\Delta_a(0)}, 1)`, for the discrete map on the returned grid.
    tol : float
        Requested tolerance.
    message : str
        Why the iteration stopped.
    seconds : float
        Wall time of the solve.
    spec : RateNetwork
        The network solved.
    solver : FixedPoint
        Settings used.
    references : tuple of str
        Bibliography keys (:func:`randrnn.references.cite`).
    """

    names: tuple[str, ...]
    parent: tuple[int, ...]
    fractions: FloatArray
    tau: FloatArray
    lags: FloatArray
    freqs: FloatArray
    mean: FloatArray
    delta: FloatArray
    delta_dynamic: FloatArray
    c: FloatArray
    delta_hat: FloatArray
    c_hat: FloatArray
    delta0: FloatArray
    delta_inf: FloatArray
    q: FloatArray
    c_inf: FloatArray
    mu0: FloatArray
    mu1: FloatArray
    c0: FloatArray
    s_r: FloatArray
    s_r_hat: FloatArray
    s_r_static: FloatArray
    tau_corr: FloatArray
    regime: str
    converged: bool
    n_iter: int
    residual: float
    tol: float
    message: str
    seconds: float
    spec: RateNetwork
    solver: FixedPoint
    references: tuple[str, ...] = _REFERENCES
    _laplace: tuple[dict[str, Any], ...] = field(default=(), repr=False)

    @property
    def n_populations(self) -> int:
        """Number of populations P."""
        return len(self.names)

    def _index(self, a: int | str) -> int:
        if isinstance(a, str):
            if a not in self.names:
                raise ValueError(f"`a` must be a population name in {self.names!r}; got {a!r}.")
            return self.names.index(a)
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"`a` must be a population index or name; got {a!r}.")
        if not 0 <= int(a) < self.n_populations:
            raise ValueError(
                f"`a` must be in [0, {self.n_populations}) (one of {self.names!r}); got {a!r}."
            )
        return int(a)

    def averaged(self) -> StationarySolution:
        r"""The population average, as a single-population result (for network-wide comparisons).

        Weighted by the fractions: ``delta`` is the raw (non-centred) autocovariance
        :math:`\sum_a f_a[\Delta_a(t) + M_a^2]`, ``delta_inf`` its static part, ``c`` and
        ``c_inf`` the raw :math:`\sum_a f_aC_a`, ``mu0``, ``mu1``, ``c0``, ``s_r`` and the
        spectra averages of the populations' values. This is what a population-averaged
        simulated autocovariance measures; it is not the solution of any single-population
        DMFT, and it has no residual Laplace transform (use :meth:`population`).

        Returns
        -------
        StationarySolution
            The averaged view.
        """
        f = np.asarray(self.fractions, dtype=float)[:, None]
        m2 = np.asarray(self.mean, dtype=float) ** 2

        def avg(x: Any) -> Any:
            arr = np.asarray(x, dtype=float)
            return (f * arr).sum(axis=0) if arr.ndim == 2 else float(np.sum(f[:, 0] * arr))

        delta = avg(np.asarray(self.delta) + m2[:, None])
        return StationarySolution(
            lags=self.lags,
            delta=delta,
            c=avg(self.c),
            freqs=self.freqs,
            delta_hat=avg(self.delta_hat),
            c_hat=avg(self.c_hat),
            delta0=float(delta[0]),
            delta_inf=avg(np.asarray(self.delta_inf) + m2),
            c_inf=avg(self.c_inf),
            mu0=avg(self.mu0),
            mu1=avg(self.mu1),
            c0=avg(self.c0),
            s_r=avg(self.s_r),
            s_r_hat=avg(self.s_r_hat),
            s_r_static=avg(self.s_r_static),
            tau_corr=avg(self.tau_corr),
            regime=self.regime,
            converged=self.converged,
            n_iter=self.n_iter,
            residual=self.residual,
            tol=self.tol,
            message=self.message,
            seconds=self.seconds,
            spec=self.spec,
            solver=self.solver,
            references=self.references,
        )

    def population(self, a: int | str) -> StationarySolution:
        r"""The one-population view of population ``a``.

        Parameters
        ----------
        a : int or str
            Population index or name.

        Returns
        -------
        StationarySolution
            The arrays and order parameters of population ``a`` in the single-population
            result type (its ``mu0``, ``mu1``, ``c0`` are averages over
            :math:`\mathcal N(M_a, \Delta_a(0))`, and ``delta`` is centred on :math:`M_a`);
            diagnostics, ``spec`` and ``solver`` are those of the whole solve. Its
            :meth:`~StationarySolution.residual_laplace` is this population's.
        """
        i = self._index(a)
        return StationarySolution(
            lags=self.lags,
            delta=self.delta[i],
            c=self.c[i],
            freqs=self.freqs,
            delta_hat=self.delta_hat[i],
            c_hat=self.c_hat[i],
            delta0=float(self.delta0[i]),
            delta_inf=float(self.delta_inf[i]),
            c_inf=float(self.c_inf[i]),
            mu0=float(self.mu0[i]),
            mu1=float(self.mu1[i]),
            c0=float(self.c0[i]),
            s_r=self.s_r[i],
            s_r_hat=self.s_r_hat[i],
            s_r_static=float(self.s_r_static[i]),
            tau_corr=float(self.tau_corr[i]),
            regime=self.regime,
            converged=self.converged,
            n_iter=self.n_iter,
            residual=self.residual,
            tol=self.tol,
            message=self.message,
            seconds=self.seconds,
            spec=self.spec,
            solver=self.solver,
            references=self.references,
            _laplace=dict(self._laplace[i]) if self._laplace else {},
        )

    def residual_laplace(self, a: int | str, alpha: complex | ComplexArray) -> ComplexArray:
        r"""One-sided Laplace transform of population ``a``'s residual autocorrelation.

        .. math:: S_a(\alpha) = \int_0^\infty s_{r,a}(t)\, e^{-\alpha t}\, dt,
                  \qquad \mathrm{Re}\,\alpha > 0 .

        Parameters
        ----------
        a : int or str
            Population index or name.
        alpha : complex or array_like of complex
            Arguments, in the network's units of inverse time.

        Returns
        -------
        ndarray of complex
            :math:`S_a(\alpha)`, shape of ``alpha``.

        Notes
        -----
        The construction of :meth:`StationarySolution.residual_laplace`, in units of
        :math:`\tau_a`: exact for the trigonometric interpolant of the smooth remainder of
        :math:`s_{r,a}` on ``[0, t_max]``; the white-noise kinks at :math:`t = 0` (:math:`|t|`
        and :math:`|t|^3` terms of :math:`C_a` and of :math:`\Delta_a`) are carried by analytic
        functions with known transforms, the part beyond ``t_max`` by the slowest mode of the
        linearised tail.

        **Assumptions and approximations**

        - :math:`s_{r,a}` decays exponentially beyond the grid.

        Examples
        --------
        >>> from randrnn import GaussianEnsemble, RateNetwork
        >>> sol = solve_populations(RateNetwork(ensemble=GaussianEnsemble(n=100, g=2.0)))
        >>> t, s = sol.lags, sol.s_r[0]
        >>> direct = np.sum(s * np.exp(-0.5 * t)) * (t[1] - t[0]) - s[0] * (t[1] - t[0]) / 2
        >>> bool(abs(sol.residual_laplace(0, 0.5) - direct) < 1e-5)   # trapezoid is O(dt^2)
        True
        """
        return self.population(a).residual_laplace(alpha)

    def to_xarray(self) -> Any:
        """Return the solution as an ``xarray.Dataset`` (dims ``population``, ``lag``, ``freq``).

        Returns
        -------
        xarray.Dataset
            Arrays with their meaning in ``attrs``; diagnostics and provenance in the Dataset
            ``attrs``.
        """
        import xarray as xr

        from randrnn._provenance import __version__

        pl, pf, p = ("population", "lag"), ("population", "freq"), ("population",)
        ds = xr.Dataset(
            {
                "delta": (pl, self.delta, {"long_name": "Delta_a(t), preactivation autocov."}),
                "delta_dynamic": (pl, self.delta_dynamic, {"long_name": "Delta_a - Delta_a,inf"}),
                "c": (pl, self.c, {"long_name": "C_a(t), raw activity autocorrelation"}),
                "s_r": (pl, self.s_r, {"long_name": "residual autocorrelation (connected)"}),
                "delta_hat": (pf, self.delta_hat, {"long_name": "spectrum of Delta - Delta_inf"}),
                "c_hat": (pf, self.c_hat, {"long_name": "spectrum of C - C_inf"}),
                "s_r_hat": (pf, self.s_r_hat, {"long_name": "spectrum of s_r"}),
                "mean": (p, self.mean, {"long_name": "population mean of x"}),
                "fraction": (p, self.fractions),
                "parent": (p, np.asarray(self.parent), {"long_name": "network population"}),
                "tau": (p, self.tau, {"units": "tau"}),
                **{
                    k: (p, getattr(self, k))
                    for k in (
                        "delta0",
                        "delta_inf",
                        "q",
                        "c_inf",
                        "mu0",
                        "mu1",
                        "c0",
                        "s_r_static",
                        "tau_corr",
                    )
                },
            },
            coords={
                "population": ("population", list(self.names)),
                "lag": ("lag", self.lags, {"units": "tau"}),
                "freq": ("freq", self.freqs, {"units": "rad / tau"}),
            },
        )
        ds.attrs.update(
            {
                "regime": self.regime,
                "converged": int(self.converged),
                "n_iter": self.n_iter,
                "residual": self.residual,
                "tol": self.tol,
                "message": self.message,
                "seconds": self.seconds,
                "spec": json.dumps(self.spec.to_config()),
                "references": list(self.references),
                "randrnn_version": __version__,
            }
        )
        return ds

    def summary(self) -> dict[str, Any]:
        """Return the order parameters per population and the diagnostics as a plain dict."""
        keys = ("mean", "delta0", "delta_inf", "q", "mu0", "mu1", "c0", "tau_corr")
        return {
            "populations": {
                name: {k: float(getattr(self, k)[i]) for k in keys}
                for i, name in enumerate(self.names)
            },
            "regime": self.regime,
            "converged": self.converged,
            "n_iter": self.n_iter,
            "residual": self.residual,
            "seconds": self.seconds,
        }


# ----------------------------------------------------------------------------------------------
# reading the network
# ----------------------------------------------------------------------------------------------


def _statistics(network: RateNetwork) -> Any:
    ens = network.ensemble
    statistics = getattr(ens, "statistics", None)
    if statistics is None:
        raise TypeError(
            f"solve_populations covers {_COVERS}; got {type(ens).__name__}, which does not "
            "describe its coupling statistics (AbstractEnsemble.statistics())."
        )
    stats = statistics()
    bad = []
    if not stats.dense:
        bad.append(
            "finite connectivity (connection probabilities below 1: the DMFT of sparse "
            "couplings is needed)"
        )
    if stats.symmetry != 0:
        bad.append(
            f"partial symmetry eta = {stats.symmetry:g} (needs the DMFT of partially "
            "symmetric couplings)"
        )
    if stats.rank:
        bad.append(f"a rank-{stats.rank} structured part (needs the low-rank mean-field theory)")
    if bad:
        raise TypeError(
            f"solve_populations covers {_COVERS}; got {type(ens).__name__} with "
            f"{'; '.join(bad)}, which randrnn does not have yet."
        )
    return stats


def _population_tau(network: RateNetwork, stats: Any, index: Any) -> list[tuple[Any, Any]]:
    """Quadrature nodes and weights of the time constants of each population.

    One node for a fixed value; :data:`TAU_NODES` nodes of the law's own rule
    (``law.quadrature``) for a law with a spread; ``ValueError`` naming ``network.tau`` for
    per-unit values that differ within a population.
    """
    P = stats.n_populations
    tau = network.tau
    out: list[tuple[Any, Any]] = []
    if isinstance(tau, tuple):
        for a, law in enumerate(tau):
            lo, hi = law.support
            if lo == hi:
                out.append((np.array([float(law.mean)]), np.ones(1)))
                continue
            nodes, weights = law.quadrature(TAU_NODES)
            nodes, weights = np.asarray(nodes, dtype=float), np.asarray(weights, dtype=float)
            if nodes.size > _MAX_TAU_NODES or np.any(nodes <= 0):
                raise ValueError(
                    f"`network.tau[{a}]` must have a quadrature of at most {_MAX_TAU_NODES} "
                    f"positive nodes for solve_populations; got {law!r} ({nodes.size} nodes, "
                    f"smallest {float(nodes.min()):.3g}). Use a law with fewer distinct values "
                    "or a fixed value per population, e.g. tau=(Fixed(value=1.0), "
                    "Fixed(value=2.0))."
                )
            out.append((nodes, weights / weights.sum()))
        return out
    if np.ndim(tau) == 0:
        return [(np.array([float(tau)]), np.ones(1)) for _ in range(P)]  # type: ignore[arg-type]
    arr = np.asarray(tau, dtype=float)
    for a in range(P):
        vals = arr[index == a]
        if vals.size and np.any(vals != vals[0]):
            raise ValueError(
                f"`network.tau` must be one value per population for solve_populations; got "
                f"per-unit values in population {stats.names[a]!r} from {vals.min():g} to "
                f"{vals.max():g}. Pass one value or one law per population, e.g. "
                "tau=(Fixed(value=1.0), Fixed(value=2.0)) or tau=(Fixed(value=1.0), "
                "Uniform(low=1.0, high=3.0))."
            )
        out.append((np.array([float(vals[0]) if vals.size else 1.0]), np.ones(1)))
    return out


def _input(network: RateNetwork, stats: Any, index: Any) -> tuple[FloatArray, FloatArray]:
    """Mean and within-population variance of the static input of each population."""
    P = stats.n_populations
    if network.b is None:
        return np.zeros(P), np.full(P, network.sigma_b**2)
    b = np.asarray(network.b, dtype=float)
    bbar = np.array([float(b[index == a].mean()) if np.any(index == a) else 0.0 for a in range(P)])
    var = np.array([float(b[index == a].var()) if np.any(index == a) else 0.0 for a in range(P)])
    return bbar, var


def _base_problem(
    network: RateNetwork, dt: float
) -> tuple[PopulationProblem, tuple[str, ...], tuple[int, ...]]:
    """The map's parameters, the (sub-)population names and the parent of each."""
    stats = _statistics(network)
    index = np.asarray(network.ensemble.population_index())
    rules = _population_tau(network, stats, index)
    bbar, sb2 = _input(network, stats, index)
    names0 = tuple(stats.names) or tuple(f"P{a}" for a in range(stats.n_populations))
    parent: list[int] = []
    names: list[str] = []
    tau: list[float] = []
    weight: list[float] = []
    for a, (nodes, weights) in enumerate(rules):
        for node, wgt in zip(nodes, weights, strict=True):
            parent.append(a)
            tau.append(float(node))
            weight.append(float(wgt))
            names.append(names0[a] if nodes.size == 1 else f"{names0[a]}[tau={node:.4g}]")
    k = np.array(parent)
    base = PopulationProblem(
        phi=network.phi,  # type: ignore[arg-type]
        f=np.asarray(stats.fractions, dtype=float)[k] * np.array(weight),
        s=np.asarray(stats.block_variance, dtype=float)[np.ix_(k, k)],
        mu=np.asarray(stats.block_mean, dtype=float)[np.ix_(k, k)],
        bbar=bbar[k],
        sb2=sb2[k],
        sigma2=float(network.sigma) ** 2,
        tau=np.array(tau),
        dt=dt,
        m=2,
    )
    return base, tuple(names), tuple(parent)


# ----------------------------------------------------------------------------------------------
# the solver
# ----------------------------------------------------------------------------------------------


def solve_populations(
    network: RateNetwork,
    *,
    tol: float = 1e-10,
    solver: FixedPoint | None = None,
    on_failure: Literal["raise", "warn", "return"] = "raise",
) -> PopulationSolution:
    r"""Solve the stationary DMFT of a rate network with several dense populations.

    Finds, for every population ``a``, the mean :math:`M_a` and the self-consistent
    autocovariance :math:`\Delta_a(t)` of the preactivations of a large network whose couplings
    from population ``b`` onto ``a`` have mean :math:`\mu_{ab}/n` and variance
    :math:`s_{ab}/n` (read from ``network.ensemble.statistics()``), with white noise
    :math:`\sigma`, static input, and one time constant per population.

    Parameters
    ----------
    network : RateNetwork
        Spec whose ensemble has dense, independent couplings (``statistics()`` with
        ``dense=True``, ``symmetry = 0``, ``rank = 0``): e.g. a
        :class:`~randrnn.ensembles.GaussianEnsemble` (``eta = 0``) or a
        :class:`~randrnn.ensembles.BlockEnsemble` with every connection probability 1. ``tau``
        is a scalar, one law per population, or per-unit values equal within each population.
        A law with a spread is replaced by :data:`TAU_NODES` sub-populations at the nodes of
        its quadrature rule (``law.quadrature``), each its own row of the result. The static
        input is ``sigma_b`` (i.i.d., zero mean) or a vector ``b`` (its population means enter
        :math:`M_a`, its variance within each population the static part
        :math:`\Delta_{a,\infty}`).
    tol : float
        Tolerance on the residual of the discrete map (:attr:`PopulationSolution.residual`);
        at least 3.6e-15.
    solver : FixedPoint, optional
        Iteration and grid settings (``dt``, ``t_max`` and ``t_max_limit`` in the network's
        time units).
    on_failure : {"raise", "warn", "return"}
        What to do if the solver does not converge, finds a negative spectrum, or there is no
        stationary state (regime ``"divergent"``).

    Returns
    -------
    PopulationSolution
        Order parameters, autocovariances, spectra and diagnostics per population.

    Raises
    ------
    TypeError
        If the ensemble is sparse (finite connectivity), partially symmetric or has a low-rank
        part; the message names what it has and the theory that would be needed.
    ValueError
        If per-unit time constants differ within a population (pass a law instead), ``tol``
        is below float64 resolution, or an argument is invalid.
    ConvergenceError
        With ``on_failure="raise"``: if the residual stays above ``tol``, a spectrum is
        negative, the autocovariance needs lags beyond ``solver.t_max_limit``, or there is no
        stationary state (unbounded :math:`\phi` with Perron root of
        :math:`f_b s_{ab} E[\phi'^2] \ge 1` at large amplitude).

    Warns
    -----
    RegimeWarning
        With ``on_failure="warn"`` for the failures above; when the iteration settles on an
        unstable quiescent state.

    Notes
    -----
    Implements the population DMFT of [1]_ (their Eqs. (4)-(6), with time constants, white
    noise, static input and block means; docs/theory.md section 8):

    .. math:: \hat\Delta_a(\omega) = \frac{\sum_b f_b s_{ab} \hat C_b(\omega) + \sigma^2}
              {1 + \omega^2\tau_a^2},\qquad
              \Delta_{a,\infty} = \sum_b f_b s_{ab} C_{b,\infty} + \sigma_{b,a}^2,\qquad
              M_a = \bar b_a + \sum_b f_b \mu_{ab}\,\psi_b .

    :math:`C_b(t) = K_b(\Delta_b(t))` with :math:`K_b(c) = E[\phi(M_b + u)\phi(M_b + v)]`
    (variance :math:`\Delta_b(0)`, covariance :math:`c`): the random part of :math:`J` couples
    the *raw* rates, so the static field variance includes :math:`\psi_b^2`. :math:`K_b` is a
    Chebyshev table (:func:`randrnn.gaussian.correlation_function` at zero mean, the same
    construction with :func:`randrnn.gaussian.expect_pair` at a nonzero mean), a closed form
    for linear :math:`\phi`, and Owen's-T closed form for ReLU at a nonzero mean. The unknowns
    are the P dynamic profiles on one lag grid in the network's time units (time cannot be
    rescaled when the :math:`\tau_a` differ), the P static parts and the P means. The
    discretisation is that of :func:`~randrnn.dmft.solve_stationary` per population: DCT-I
    multipliers :math:`1/(1 + \omega^2\tau_a^2)`, the white-noise kinks (:math:`|t|`,
    :math:`|t|^3` terms of every :math:`C_b`) carried analytically in units of
    :math:`\tau_a`, grid growth at the slowest rate of the linearised tail (the smallest
    eigenvalue of :math:`T^{-2}(I - S')`, :math:`S'_{ab} = f_b s_{ab} K_b'(\Delta_{b,\infty})`).
    Newton-Krylov [2]_ with the analytic Jacobian (dependences on :math:`\Delta_b(0)` and
    :math:`M_b` by forward differences of the tables), a per-frequency P x P preconditioner
    exact in the tail, and a line search that keeps the Perron root of :math:`S'` below 1. A
    converged solution with a negative spectrum :math:`\hat C_a` is rejected. When every
    population obeys the same single-population equation (one :math:`\tau`, equal row sums
    of :math:`f_b s_{ab}`, no mean field), the starts are those of
    :func:`~randrnn.dmft.solve_stationary`, including its classical-particle start near the
    transition; one population then reproduces :func:`~randrnn.dmft.solve_stationary` to the
    solver tolerance.

    **Assumptions and approximations**

    - Self-averaging over :math:`J`, :math:`n \to \infty` with fixed fractions; couplings
      independent (``TypeError`` otherwise), their mean :math:`O(1/n)` (``block_mean`` is read
      as given: an ensemble whose means grow like :math:`\sqrt n` is a balanced network, for
      which this large-:math:`n` theory is not the right limit).
    - Every block dense: the field is Gaussian by the central limit theorem (``TypeError``
      for finite connectivity).
    - One time constant per population, or a quadrature of its law with :data:`TAU_NODES`
      nodes (the rule's error; a discrete law with at most 64 values is exact).
    - A stationary state exists (regime ``"divergent"`` for the growth condition above; a
      runaway of the mean field of an unbounded :math:`\phi` shows as non-convergence).
    - Residual measured for the discrete map; discretisation error as in
      :func:`~randrnn.dmft.solve_stationary` (spectral without noise, :math:`O(dt^5)` with).

    References
    ----------
    .. [1] Kadmon & Sompolinsky (2015), Phys. Rev. X 5, 041030, Eqs. (4)-(6); Sompolinsky,
       Crisanti & Sommers (1988), Phys. Rev. Lett. 61, 259.
    .. [2] Knoll & Keyes (2004), J. Comput. Phys. 193, 357 (Newton-Krylov methods).

    Examples
    --------
    >>> from randrnn import BlockEnsemble, RateNetwork
    >>> from randrnn.ensembles import Uniform
    >>> w = Uniform(low=0.0, high=6.0)       # n Var(J) = 3 in every block, means removed
    >>> ens = BlockEnsemble(n=1000, fractions=(0.8, 0.2), signs=(1, -1),
    ...                     connectivity=((1.0, 1.0), (1.0, 1.0)),
    ...                     weights=((w, w), (w, w)), keep_mean=False)
    >>> sol = solve_populations(RateNetwork(ensemble=ens, phi="tanh", tau=(1.0, 2.0)))
    >>> sol.regime, bool(sol.residual <= 1e-10), sol.names
    ('chaotic', True, ('E', 'I'))
    """
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    network = check_network(network, "solve_populations")
    tol = check_positive("tol", tol)
    if tol < _TOL_FLOOR:
        raise ValueError(
            f"`tol` must be >= {_TOL_FLOOR:.1e} for solve_populations; got {tol!r}. The "
            "residual is measured in float64 relative to max(Delta0, 1) and rounding leaves "
            "about 1e-15 of it. Use tol >= 1e-14."
        )
    solver = FixedPoint() if solver is None else solver
    if not isinstance(solver, FixedPoint):
        raise TypeError(f"`solver` must be a FixedPoint; got {type(solver).__name__}.")
    check_in("on_failure", on_failure, ("raise", "warn", "return"))
    base, names, parent = _base_problem(network, solver.dt)
    t_max = 40.0 if solver.t_max is None else solver.t_max
    limit = max(solver.t_max_limit, t_max)
    tau_ref = float(np.max(base.tau))
    gr = growth(base)
    if gr >= 1.0:
        prob = make_problem(base, t_max)
        u = np.full(prob.size, np.nan)
        it = _solvers.IterationResult(
            u,
            u,
            0,
            math.inf,
            False,
            f"Perron root of f_b s_ab E[phi'^2] = {gr:.3g} >= 1 at large amplitude for the "
            f"unbounded {network.phi.name}; activity grows without bound",  # type: ignore[union-attr]
        )
        sol = _assemble(network, names, parent, prob, u, it, 0, tol, solver, start, divergent=True)
        return _on_failure(sol, on_failure)
    with threadpool_limits(limits=1, user_api="blas"):
        n_iter = 0
        tried: list[str] = []
        for prob, u, needed in starts(
            base, t_max=t_max, limit=limit, tol=tol, classical_start=solver.classical_start
        ):
            if needed > limit:
                it = _solvers.IterationResult(
                    u,
                    u,
                    0,
                    math.inf,
                    False,
                    f"the autocovariance decays too slowly near the transition: it needs lags "
                    f"up to {needed:.4g} to fall below tol, beyond t_max_limit="
                    f"{solver.t_max_limit!r}; raise FixedPoint(t_max_limit=...) or loosen tol",
                )
                break
            prob, u, it, n = solve_from(solver, prob, u, tol, limit, tau_ref)
            n_iter += n
            if it.converged or solver.method != "newton" or n >= solver.max_iter:
                break
            tried.append(it.message)
        if not it.converged and len(tried) > 1:
            it = _failed(it, f"{it.message} (from {len(tried)} starts: {'; '.join(tried)})")
        sol = _assemble(
            network, names, parent, prob, u, _explain(it, tol), n_iter, tol, solver, start
        )
    if not sol.converged:
        return _on_failure(sol, on_failure)
    slope0 = abs(float(np.asarray(base.phi.derivative(np.zeros(1)))[0]))
    rho = float(np.max(np.abs(np.linalg.eigvals(base.fs))))
    if sol.regime == "quiescent" and base.sigma2 == 0 and slope0 * slope0 * rho > 1.0:
        warnings.warn(
            "the iteration settled on the quiescent solution, which is unstable for "
            f"phi'(0)^2 rho(f s) = {slope0 * slope0 * rho:.3g} > 1; the chaotic solution was "
            "not found.",
            RegimeWarning,
            stacklevel=2,
        )
    return sol


def _on_failure(sol: PopulationSolution, on_failure: str) -> PopulationSolution:
    what = (
        "there is no stationary state"
        if sol.regime == "divergent"
        else "multi-population DMFT did not converge"
    )
    if on_failure == "raise":
        raise ConvergenceError(
            f"{what}: {sol.message}", n_iter=sol.n_iter, residual=sol.residual, tol=sol.tol
        )
    if on_failure == "warn":
        warnings.warn(
            f"{what}: {sol.message} (iterations={sol.n_iter}, residual={sol.residual:.3e}, "
            f"tol={sol.tol:.1e})",
            RegimeWarning,
            stacklevel=3,
        )
    return sol


def _spectrum(prob: PopulationProblem, c_dyn: FloatArray, c1: float, c3: float, tau: float):
    """Spectrum of one ``C_b - C_b,inf`` (DCT of the smooth part plus analytic kink terms)
    and the kink coefficients in units of ``tau``."""
    s = prob.t / tau
    k1 = -2.0 * tau * c1
    k2 = k1 + 2.0 * tau**3 * c3 if math.isfinite(c3) else k1
    rem = c_dyn - k1 * _e1(s) - k2 * _e2(s)
    lor = 1.0 / (1.0 + (prob.w * tau) ** 2)
    return prob.dt * _fft.dct(rem, type=1) + tau * (k1 * lor + k2 * lor**2), k1, k2


def _assemble(
    network: RateNetwork,
    names: tuple[str, ...],
    parent: tuple[int, ...],
    prob: PopulationProblem,
    u: FloatArray,
    it: _solvers.IterationResult,
    n_iter: int,
    tol: float,
    solver: FixedPoint,
    start: float,
    *,
    divergent: bool = False,
) -> PopulationSolution:
    P, m = prob.n_pop, prob.m
    t, w = prob.t, prob.w
    if divergent:
        nan_pm: Any = np.full((P, m), np.nan)
        nan_p: Any = np.full(P, np.nan)
        return PopulationSolution(
            names=names,
            parent=parent,
            fractions=prob.f,
            tau=prob.tau,
            lags=t,
            freqs=w,
            **{
                k: nan_pm
                for k in ("delta", "delta_dynamic", "c", "delta_hat", "c_hat", "s_r", "s_r_hat")
            },
            **{
                k: nan_p
                for k in (
                    "mean",
                    "delta0",
                    "delta_inf",
                    "q",
                    "c_inf",
                    "mu0",
                    "mu1",
                    "c0",
                    "s_r_static",
                    "tau_corr",
                )
            },
            regime="divergent",
            converged=False,
            n_iter=it.n_iter,
            residual=it.residual,
            tol=tol,
            message=it.message,
            seconds=time.perf_counter() - start,
            spec=network,
            solver=solver,
        )
    p = prob.pieces(u)
    d, dinf, mean = (np.array(x) for x in prob.unpack(u))
    delta0 = p["d0"]
    cinf = p["cinf"]
    cfull = p["cfull"]
    phi = prob.phi
    mu0 = np.array([gaussian.mean(phi, delta0[a], mean=float(mean[a])) for a in range(P)])
    mu1 = np.array([gaussian.gain(phi, delta0[a], mean=float(mean[a])) for a in range(P)])
    c0 = np.array([gaussian.second_moment(phi, delta0[a], mean=float(mean[a])) for a in range(P)])
    c_hat = np.empty((P, m))
    kinks = []
    for b in range(P):
        c_hat[b], k1, k2 = _spectrum(
            prob, cfull[b] - cinf[b], float(p["c1"][b]), float(p["c3"][b]), float(prob.tau[b])
        )
        kinks.append((k1, k2))
    lor = 1.0 / (1.0 + (w[None, :] * prob.tau[:, None]) ** 2)
    d_hat = (prob.fs @ c_hat + prob.sigma2) * lor
    cdyn = cfull - cinf[:, None]
    s_r = cdyn - mu1[:, None] ** 2 * d
    s_r_hat = c_hat - mu1[:, None] ** 2 * d_hat
    q = d[:, 0]
    scale = np.maximum(delta0, 1.0)
    dynamic = q > 1e3 * tol * scale
    converged, message = it.converged, it.message
    # only populations with dynamics have a spectrum to check (a static one is roundoff)
    cmax = np.max(np.abs(c_hat), axis=1)
    neg = dynamic & (cmax > 0) & (c_hat.min(axis=1) < -_SPECTRUM_RTOL * cmax)
    if converged and np.any(neg):
        a = int(np.nonzero(neg)[0][0])
        converged = False
        message = (
            f"rejected: negative power spectrum in population {names[a]!r} (min c_hat = "
            f"{float(c_hat[a].min()):.3e}, max = {float(cmax[a]):.3e}); not a valid "
            "autocorrelation"
        )
    if not np.any(dynamic):
        still = np.all(delta0 <= 1e3 * tol * scale) and np.all(np.abs(mean) <= 1e3 * tol)
        regime: Regime = "quiescent" if still else "static"
    else:
        regime = "noise-driven" if prob.sigma2 > 0 else "chaotic"
    tau_corr = np.where(dynamic, d_hat[:, 0] / (2.0 * np.where(dynamic, q, 1.0)), 0.0)
    # data for the Laplace transform of s_r, per population in units of its tau
    k_tail = prob.tail_rate(u) or 0.0
    big_a1 = -2.0 * prob.tau * (prob.fs @ p["c1"])
    finite3 = np.isfinite(p["c3"])
    big_a2 = big_a1 + np.where(
        (prob.fs[:, ~finite3] != 0).any(axis=1),
        0.0,
        2.0 * prob.tau**3 * (prob.fs @ np.where(finite3, p["c3"], 0.0)),
    )
    laplace = []
    for a in range(P):
        ta = float(prob.tau[a])
        sa = t / ta
        k1, k2 = kinks[a]
        b1 = k1 - mu1[a] ** 2 * prob.sigma2 / ta
        b2 = k2 - mu1[a] ** 2 * big_a1[a]
        b3 = -(mu1[a] ** 2) * big_a2[a]
        s_rem = s_r[a] - b1 * _e1(sa) - b2 * _e2(sa) - b3 * _e3(sa)
        coef = _fft.dct(s_rem, type=1) / (m - 1)
        coef[0] /= 2.0
        coef[-1] /= 2.0
        laplace.append(
            {
                "tau": ta,
                "w": w * ta,
                "coef": coef,
                "sign": (-1.0) ** np.arange(m),
                "L": prob.big_l / ta,
                "b1": b1,
                "b2": b2,
                "b3": b3,
                "tail": float(s_rem[-1]),
                "k": k_tail * ta,
            }
        )
    return PopulationSolution(
        names=names,
        parent=parent,
        fractions=prob.f,
        tau=prob.tau,
        lags=t,
        freqs=w,
        mean=mean,
        delta=d + dinf[:, None],
        delta_dynamic=d,
        c=cfull,
        delta_hat=d_hat,
        c_hat=c_hat,
        delta0=delta0,
        delta_inf=dinf,
        q=q,
        c_inf=cinf,
        mu0=mu0,
        mu1=mu1,
        c0=c0,
        s_r=s_r,
        s_r_hat=s_r_hat,
        s_r_static=cinf - mu0**2 - mu1**2 * dinf,
        tau_corr=tau_corr,
        regime=regime,
        converged=converged,
        n_iter=n_iter,
        residual=it.residual,
        tol=tol,
        message=message,
        seconds=time.perf_counter() - start,
        spec=network,
        solver=solver,
        _laplace=tuple(laplace),
    )


def populations_residual(solution: PopulationSolution) -> float:
    r"""Re-measure the residual of the multi-population map on the solution's grid.

    Parameters
    ----------
    solution : PopulationSolution
        A result of :func:`solve_populations`.

    Returns
    -------
    float
        The residual norm of :attr:`PopulationSolution.residual`, with the discrete map rebuilt
        from the spec (fresh Gaussian tables).

    Examples
    --------
    >>> from randrnn import GaussianEnsemble, RateNetwork
    >>> sol = solve_populations(RateNetwork(ensemble=GaussianEnsemble(n=10, g=1.5)), tol=1e-9)
    >>> bool(populations_residual(sol) <= 1e-9)
    True
    """
    if not isinstance(solution, PopulationSolution):
        raise TypeError(f"`solution` must be a PopulationSolution; got {type(solution).__name__}.")
    t = solution.lags
    base, _, _ = _base_problem(solution.spec, float(t[1] - t[0]))
    prob = with_grid(base, t.size)
    u = prob.pack(solution.delta_dynamic, solution.delta_inf, solution.mean)
    return norm(prob)(prob(u) - u, u)
