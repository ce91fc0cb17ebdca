r"""The covariance prediction for one realization of a network spec (docs/theory.md section 3).

:func:`predict_covariance` is the entry point for code that holds a
:class:`~randrnn.networks.RateNetwork`: it checks that the linear-equivalent theory covers every
property of the network (or refuses, naming the property), takes the noise and the time
constant from the network, and returns the linear-equivalent prediction with the optional
naive-closure comparison (:class:`NetworkCovariancePrediction`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from randrnn._validation import check_array, check_bool, check_in
from randrnn.covariance._common import UnstableNetworkError
from randrnn.covariance.heterogeneous import (
    LaggedCovariance,
    _basis,
    _lagged_from_basis,
    _predict,
    heterogeneous_naive_closure,
)
from randrnn.covariance.naive import naive_closure_covariance
from randrnn.covariance.prediction import (
    CovariancePrediction,
    _check_coupling,
    linear_equivalent_covariance,
)
from randrnn.covariance.residual import ResidualStatistics
from randrnn.covariance.selfconsistent import (
    RealizationOrderParameters,
    realization_order_parameters,
)
from randrnn.covariance.units import (
    MeanField,
    UnitResiduals,
    realization_mean_field,
    unit_residuals,
)
from randrnn.errors import ConvergenceError, FiniteSizeWarning
from randrnn.networks import RateNetwork

_ENTRY = "the linear-equivalent covariance prediction"
_COVERS = (
    "dense couplings without symmetry or low-rank part, with one population (i.i.d.) or "
    "several (block variances and means; the DMFT of randrnn.dmft.solve_populations)"
)
NaiveStatus = Literal["compared", "disabled", "not applicable"]

#: ``edge_proximity`` from which :func:`predict_covariance` warns (see its Notes)
EDGE_PROXIMITY_WARNING = 1.0


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class NetworkCovariancePrediction:
    r"""Covariance predictions for one realization of a network.

    Unpacks as ``(linear, naive)``.

    Parameters
    ----------
    linear : CovariancePrediction
        The linear-equivalent prediction.
    naive : CovariancePrediction or None
        The naive Gaussian closure, or None when it was disabled or does not apply.
    naive_status : {"compared", "disabled", "not applicable"}
        What happened to the naive closure.
    naive_reason : str
        Why it does not apply (empty otherwise), e.g. its fixed-point equation has no positive
        solution for this realization (:math:`\mu_1\max_k|\lambda_k| \ge 1`, common at small N).
    network : RateNetwork
        The network predicted.
    theory : {"homogeneous", "heterogeneous"}
        ``"homogeneous"``: one gain and residual spectrum for all units (i.i.d. couplings, no
        static input, zero mean rate, one time constant). ``"heterogeneous"``: per-unit means,
        gains and residual spectra (docs/theory.md section 8.2).
    mean_field : MeanField or None
        The realization's means, rates and gains (heterogeneous theory).
    residuals : UnitResiduals
        Per-unit residual statistics (one node for the homogeneous theory).
    lagged : LaggedCovariance or None
        Lagged covariances and the realization's population autocovariances, when lags were
        requested.
    edge_proximity : float
        :math:`1/(N\,\min_k(\operatorname{Re}\alpha_k)^2)`, the relative size of the
        neglected :math:`O(1/N)` residual correlations after amplification by the slowest mode
        (see :func:`predict_covariance`); a :class:`~randrnn.errors.FiniteSizeWarning` is
        issued from :data:`EDGE_PROXIMITY_WARNING`.
    order_parameters : RealizationOrderParameters or None
        The realization-level self-consistent order parameters, when requested.
    means_refined : MeanField or None
        The means solved once more with each unit's own dynamic variance
        :math:`q_i = (C_x)_{ii}` of the prediction instead of its population's (heterogeneous
        theory); the better estimate of the time-averaged :math:`x_i`. The covariance itself
        uses ``mean_field``.
    """

    linear: CovariancePrediction
    naive: CovariancePrediction | None
    naive_status: NaiveStatus
    naive_reason: str
    network: RateNetwork
    theory: Literal["homogeneous", "heterogeneous"] = "homogeneous"
    mean_field: MeanField | None = None
    residuals: UnitResiduals | None = None
    lagged: LaggedCovariance | None = None
    edge_proximity: float = 0.0
    order_parameters: RealizationOrderParameters | None = None
    means_refined: MeanField | None = None

    @property
    def finite_size_warning(self) -> bool:
        """Whether the realization is too close to the edge for the large-N theory."""
        return self.edge_proximity >= EDGE_PROXIMITY_WARNING

    def __iter__(self) -> Iterator[CovariancePrediction | None]:
        return iter((self.linear, self.naive))


def _check_covered(network: RateNetwork) -> None:
    stats = network.ensemble.statistics()
    bad = []
    if stats.symmetry != 0:
        bad.append(f"partial symmetry eta = {stats.symmetry:g}")
    if stats.rank:
        bad.append(f"a rank-{stats.rank} structured part")
    if not stats.dense:
        bad.append("finite connectivity (sparse couplings)")
    if bad:
        raise TypeError(
            f"{_ENTRY} covers {_COVERS}; got {type(network.ensemble).__name__} with "
            f"{', '.join(bad)}. The DMFT that supplies the residual statistics does not "
            "describe this ensemble."
        )


def _unit_tau(network: RateNetwork, tau: ArrayLike | None, n: int, pop: Any) -> Any:
    """The time constant of every unit, checked to be one value per population."""
    if tau is not None:
        tv = check_array("tau", tau, shape=(n,))
    elif network.tau_is_random:
        raise ValueError(
            "`tau` must be given (the realization's time constants, realization.tau): "
            "`network.tau` draws them per realization from a law."
        )
    else:
        tv = network.tau_vector()
    if np.any(tv <= 0):
        raise ValueError(f"`tau` must be > 0; got min {float(tv.min())!r}.")
    for a in np.unique(pop):
        vals = tv[pop == a]
        if not np.all(vals == vals[0]):
            raise ValueError(
                f"`tau` must be one value within each population for {_ENTRY}; population "
                f"{int(a)} has values from {float(vals.min()):.4g} to {float(vals.max()):.4g}. "
                "The residual statistics come from a DMFT with one time constant per "
                "population; give each population a Fixed law or one number."
            )
    return tv


def _dmft_profiles(dmft: Any) -> tuple[Any, Any]:
    """Lags and dynamic autocovariances ``(P, m)`` of a single- or multi-population DMFT."""
    if hasattr(dmft, "delta_dynamic"):
        return dmft.lags, np.atleast_2d(dmft.delta_dynamic)
    return dmft.lags, (dmft.delta - dmft.delta_inf)[None, :]


def _check_dmft_populations(dmft: Any, network: RateNetwork, tau: Any, pop: Any) -> None:
    spec = getattr(dmft, "spec", None)
    if not isinstance(spec, RateNetwork):
        raise TypeError(
            "`dmft` must be a DMFT solution of the network (randrnn.solve_stationary or "
            f"randrnn.dmft.solve_populations); got {type(dmft).__name__}."
        )
    if getattr(dmft, "regime", None) == "divergent":
        raise ValueError(f"`dmft` has no stationary state ({dmft.message}); nothing to predict.")
    if not getattr(dmft, "converged", False):
        raise ValueError(
            f"`dmft` must be a converged solution; got one that stopped with: {dmft.message}."
        )
    mine, theirs = network.ensemble.statistics(), spec.ensemble.statistics()
    mismatch = []
    if spec.phi != network.phi:
        mismatch.append(f"phi {spec.phi.to_config()!r} vs {network.phi.to_config()!r}")  # type: ignore[union-attr]
    if mine.n_populations != theirs.n_populations or not (
        np.allclose(mine.fractions, theirs.fractions, rtol=1e-12)
        and np.allclose(mine.block_variance, theirs.block_variance, rtol=1e-12)
        and np.allclose(mine.block_mean, theirs.block_mean, rtol=1e-12)
    ):
        mismatch.append("coupling statistics (fractions, block means or variances)")
    for name, a, b in (
        ("sigma", spec.sigma, network.sigma),
        ("sigma_b", spec.sigma_b, network.sigma_b),
    ):
        if not math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0):
            mismatch.append(f"{name} {a!r} vs {b!r}")
    if hasattr(dmft, "delta_dynamic"):
        taus = getattr(dmft, "tau", None)
        if taus is not None:
            for a in np.unique(pop):
                if not math.isclose(float(np.asarray(taus)[a]), float(tau[pop == a][0])):
                    mismatch.append(f"tau of population {int(a)}")
    else:
        try:
            t_dmft = _scalar_tau(spec)
        except ValueError:
            t_dmft = math.nan
        if not np.allclose(tau, t_dmft, rtol=1e-12):
            mismatch.append(f"tau {t_dmft!r} vs the network's")
    if mismatch:
        raise ValueError(
            f"`dmft` must be solved for the same network; got {', '.join(mismatch)} (dmft vs "
            "network). Solve the DMFT of this network."
        )


def _iid_gain(network: RateNetwork) -> float:
    stats = network.ensemble.statistics()
    g = stats.iid_gain()
    if g is None:
        raise TypeError(
            f"{_ENTRY} covers {_COVERS}; got {type(network.ensemble).__name__} with "
            f"{stats.describe_unsupported()}. Its residual statistics come from the "
            "single-population DMFT, which does not describe this ensemble."
        )
    return float(g)


def _scalar_tau(network: RateNetwork) -> float:
    tau = network.tau
    if isinstance(tau, tuple):  # one law per population
        if not network.heterogeneous_tau:
            return float(tau[0].mean)
    elif np.ndim(tau) == 0:
        return float(tau)  # type: ignore[arg-type]
    else:
        arr = np.asarray(tau, dtype=float)
        if np.all(arr == arr.flat[0]):
            return float(arr.flat[0])
    raise ValueError(
        f"`network.tau` must be one value for all units for {_ENTRY}; got time constants that "
        "differ between units. Heterogeneous time constants would need per-unit residual "
        "statistics, which are not implemented: pass a scalar tau."
    )


def _check_dmft(dmft: Any, network: RateNetwork, g: float, tau: float) -> None:
    spec = getattr(dmft, "spec", None)
    if not isinstance(spec, RateNetwork):
        raise TypeError(
            "`dmft` must be a stationary DMFT solution of the network (randrnn.solve_stationary)"
            f"; got {type(dmft).__name__}."
        )
    if getattr(dmft, "regime", None) == "divergent":
        raise ValueError(
            f"`dmft` has no stationary state ({dmft.message}); there is nothing to predict."
        )
    if not getattr(dmft, "converged", False):
        raise ValueError(
            f"`dmft` must be a converged solution; got one that stopped with: {dmft.message}."
        )
    mismatch = []
    if spec.phi != network.phi:
        mismatch.append(f"phi {spec.phi.to_config()!r} vs {network.phi.to_config()!r}")  # type: ignore[union-attr]
    g_dmft = spec.ensemble.statistics().iid_gain()
    if g_dmft is None or not math.isclose(g_dmft, g, rel_tol=1e-12):
        mismatch.append(f"g {g_dmft!r} vs {g!r}")
    for name, a, b in (
        ("sigma", spec.sigma, network.sigma),
        ("sigma_b", spec.sigma_b, network.sigma_b),
    ):
        if not math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0):
            mismatch.append(f"{name} {a!r} vs {b!r}")
    try:
        tau_dmft = _scalar_tau(spec)
    except ValueError:
        tau_dmft = math.nan
    if not math.isclose(tau_dmft, tau, rel_tol=1e-12):
        mismatch.append(f"tau {tau_dmft!r} vs {tau!r}")
    if mismatch:
        raise ValueError(
            "`dmft` must be solved for the same network (phi, g, sigma, sigma_b, tau); got "
            f"{', '.join(mismatch)} (dmft vs network). Solve the DMFT of this network."
        )
    if not dmft.mu1 > 0:
        raise ValueError(
            f"the DMFT state ({dmft.regime}) has gain mu1 = E[phi'(x)] = {dmft.mu1!r}: the "
            "linear-equivalent network is disconnected and there is nothing to predict."
        )


def _homogeneous(network: RateNetwork, b: Any, tau: Any, dmft: Any) -> bool:
    """Whether one gain and one residual spectrum describe every unit."""
    if hasattr(dmft, "delta_dynamic") or network.ensemble.statistics().iid_gain() is None:
        return False
    if not np.all(tau == tau[0]) or network.sigma_b > 0 or np.any(b != 0):
        return False
    mu0 = float(getattr(dmft, "mu0", 0.0))
    return abs(mu0) <= 1e-10 * max(1.0, math.sqrt(abs(float(getattr(dmft, "c0", 1.0)))))


def predict_covariance(
    network: RateNetwork,
    J: ArrayLike,
    b: ArrayLike | None,
    dmft: Any,
    *,
    method: Literal["auto", "eigen", "quadrature"] = "auto",
    naive: bool = True,
    tau: ArrayLike | None = None,
    lags: ArrayLike | None = None,
    order_parameters: Literal["ensemble", "realization"] = "ensemble",
    backend: Literal["numpy", "jax"] = "numpy",
) -> NetworkCovariancePrediction:
    r"""Predict the covariances of one realization of ``network``.

    Checks that the linear-equivalent theory covers the network, then picks the theory the
    network needs: the homogeneous one (one gain :math:`\mu_1` and one residual spectrum, from
    :meth:`ResidualStatistics.from_dmft`) for i.i.d. couplings without static input, with a
    zero mean rate and one time constant; otherwise the heterogeneous one, with the
    realization's own means :math:`m = b + J\psi(m)` (:func:`realization_mean_field`), per-unit
    gains and residual spectra (:func:`unit_residuals`) and, for per-population time
    constants, frequency quadrature (:func:`heterogeneous_covariance`).

    Parameters
    ----------
    network : RateNetwork
        The network spec the realization was drawn from.
    J : (n, n) array_like
        Its couplings (real; sparse matrices are densified).
    b : (n,) array_like or None
        Its static input (None: zero).
    dmft : StationarySolution or PopulationSolution
        The converged DMFT of ``network``: :func:`randrnn.solve_stationary` for one population,
        :func:`randrnn.dmft.solve_populations` for several.
    method : {"auto", "eigen", "quadrature"}
        Algorithm (see :func:`linear_equivalent_covariance`, :func:`heterogeneous_covariance`).
    naive : bool
        Also compute the naive Gaussian closure (for comparison).
    tau : (n,) array_like, optional
        The realization's time constants (``realization.tau``); needed when ``network.tau``
        is drawn from a law. Must be one value within each population.
    lags : array_like, optional
        Lags at which to also predict the realization's population autocovariances
        :math:`\frac1N\mathrm{tr}\,C_x(t)`, :math:`\frac1N\mathrm{tr}\,C_\phi(t)`
        (:func:`lagged_covariance`; multiples of the DMFT's lag step; one time constant).
    order_parameters : {"ensemble", "realization"}
        ``"ensemble"`` (default, the paper's prediction): gain and residual statistics from
        the DMFT. ``"realization"``: solved from this realization's own predicted
        autocovariance (:func:`realization_order_parameters`; homogeneous theory only).
    backend : {"numpy", "jax"}
        Where the linear-equivalent covariance of the homogeneous theory is computed: ``"jax"``
        runs its frequency quadrature with batched LU solves on JAX's default device (a GPU
        when there is one; see :func:`linear_equivalent_covariance`). The heterogeneous theory
        and ``order_parameters="realization"`` run in NumPy only.

    Returns
    -------
    NetworkCovariancePrediction
        ``linear`` and ``naive`` (unpacks as the pair), ``theory``, ``mean_field``,
        ``residuals`` and ``lagged``; when the naive closure does not apply to this
        realization, ``naive`` is None and ``naive_reason`` says why.

    Raises
    ------
    TypeError
        If ``network`` is not a RateNetwork, its ensemble has coupling symmetry, a low-rank
        part or finite connectivity, ``J`` is complex, or ``dmft`` is not a DMFT solution.
    ValueError
        If the time constant differs within a population, ``J`` or ``b`` have the wrong shape,
        or ``dmft`` did not converge or belongs to another network.
    UnstableNetworkError
        If the linear-equivalent network of this realization is unstable.
    randrnn.errors.ConvergenceError
        If the realization's mean field does not converge.

    Warns
    -----
    FiniteSizeWarning
        When ``edge_proximity`` :math:`\ge 1` (see Notes).

    Notes
    -----
    **What is honoured, field by field.** ``phi``: through ``dmft`` (checked to be the same)
    and the per-unit Gaussian averages. ``tau``: one value rescales time; one value per
    population goes through the per-population DMFT and frequency quadrature. ``sigma``: from
    the network. ``sigma_b`` and ``b``: through the realization's means. ``ensemble``: through
    ``J`` (block means included) and the DMFT's block statistics; symmetry, low rank and
    sparseness are refused.

    **Finite size.** The theory neglects residual cross-covariances of order :math:`1/N`
    (docs/theory.md section 3.8). They drive every mode of the linear-equivalent network, and
    mode :math:`k` integrates its drive over its lifetime :math:`1/\operatorname{Re}\alpha_k`
    in amplitude, so its variance error relative to its prediction is of order
    :math:`1/(N(\operatorname{Re}\alpha_k)^2)`. ``edge_proximity`` is that ratio for the
    slowest mode; from :data:`EDGE_PROXIMITY_WARNING` = 1 (the slowest mode within the
    :math:`N^{-1/2}` fluctuation zone of the spectral edge) a
    :class:`~randrnn.errors.FiniteSizeWarning` is issued. This replaces the ensemble rule
    :math:`N \gg (1-g\mu_1)^{-2}` by the realization's own slowest mode.

    **Assumptions and approximations**

    - Those of :func:`linear_equivalent_covariance` and :func:`heterogeneous_covariance`;
      each property of the network outside them raises instead of being ignored.

    Examples
    --------
    >>> from randrnn import GaussianEnsemble, RateNetwork, realize, solve_stationary
    >>> net = RateNetwork(ensemble=GaussianEnsemble(n=50, g=0.5), phi="linear", sigma=1.0, tau=2.0)
    >>> real = realize(net)
    >>> linear, naive = predict_covariance(net, real.J, real.b, solve_stationary(net))
    >>> from scipy.linalg import solve_continuous_lyapunov   # tau dx = (J - I) x dt + sigma dW
    >>> lyap = solve_continuous_lyapunov(real.J - np.eye(50), -np.eye(50) / 2.0)
    >>> bool(np.allclose(linear.c_x, lyap, rtol=1e-6, atol=1e-9))
    True
    """
    if not isinstance(network, RateNetwork):
        raise TypeError(
            f"`network` must be a RateNetwork for {_ENTRY}; got {type(network).__name__}."
        )
    check_in("method", method, ["auto", "eigen", "quadrature"])
    naive = check_bool("naive", naive)
    _check_covered(network)
    Jm = _check_coupling(J)
    n = network.n
    if Jm.shape != (n, n):
        raise ValueError(
            f"`J` must have shape ({n}, {n}) for a network of n = {n} units; got shape {Jm.shape}."
        )
    bv = np.zeros(n) if b is None else check_array("b", b, shape=(n,))
    if network.sigma_b == 0 and (
        (network.b is None and np.any(bv != 0))
        or (network.b is not None and not np.array_equal(bv, np.asarray(network.b, dtype=float)))
    ):
        raise ValueError(
            "`b` must be the network's static input (realization.b); got a vector that "
            f"differs from it (max |b| = {float(np.max(np.abs(bv))):.3g}). Put the input in "
            "the network (RateNetwork(b=...) or sigma_b) so that the DMFT sees it too."
        )
    pop = np.asarray(network.ensemble.population_index())
    tv = _unit_tau(network, tau, n, pop)
    lv = None if lags is None else check_array("lags", lags, shape=(None,))
    lag_t, lag_d = _dmft_profiles(dmft) if hasattr(dmft, "lags") else (np.zeros(0), np.zeros(0))
    check_in("order_parameters", order_parameters, ["ensemble", "realization"])
    check_in("backend", backend, ["numpy", "jax"])
    homogeneous = _homogeneous(network, bv, tv, dmft)
    if backend == "jax" and (not homogeneous or order_parameters == "realization"):
        raise ValueError(
            "`backend` = 'jax' covers the homogeneous theory with order_parameters='ensemble' "
            "(i.i.d. couplings, no static input, zero mean rate, one tau); this prediction runs "
            "in NumPy only. Use backend='numpy'."
        )
    if order_parameters == "realization" and not homogeneous:
        raise ValueError(
            "`order_parameters` = 'realization' is implemented for networks whose units are "
            "alike (i.i.d. couplings, no static input, zero mean rate, one tau); this network "
            "needs the heterogeneous theory. Use order_parameters='ensemble'."
        )
    rop = None
    if homogeneous and order_parameters == "realization":
        g = _iid_gain(network)
        _check_dmft(dmft, network, g, float(tv[0]))
        rop = realization_order_parameters(Jm, dmft, sigma=network.sigma, tau=float(tv[0]))
        units = unit_residuals(
            network.phi,  # type: ignore[arg-type]
            np.zeros(n),
            rop.lags,
            rop.delta,
            description="realization-level self-consistent residual of every unit",
        )
        linear, basis = _predict(Jm, units, network.sigma, float(tv[0]), method)

        def closure() -> CovariancePrediction:
            return heterogeneous_naive_closure(Jm, units, sigma=network.sigma, tau=float(tv[0]))

        mean_field = None
        theory: Literal["homogeneous", "heterogeneous"] = "homogeneous"
    elif homogeneous:
        g = _iid_gain(network)
        _check_dmft(dmft, network, g, float(tv[0]))
        residual = ResidualStatistics.from_dmft(dmft)
        linear = linear_equivalent_covariance(
            Jm,
            residual,
            sigma=network.sigma,
            tau=float(tv[0]),
            method=method,
            backend=backend,
        )
        basis = None
        units = unit_residuals(
            network.phi,  # type: ignore[arg-type]
            np.zeros(n),
            lag_t,
            lag_d,
            description="homogeneous: DMFT residual of every unit",
        )

        def closure() -> CovariancePrediction:
            return naive_closure_covariance(Jm, residual, sigma=network.sigma, tau=float(tv[0]))

        mean_field = None
        theory = "homogeneous"
    else:
        _check_dmft_populations(dmft, network, tv, pop)
        q_units = lag_d[pop, 0]
        mean_field = realization_mean_field(Jm, bv, network.phi, q_units)  # type: ignore[arg-type]
        units = unit_residuals(
            network.phi,  # type: ignore[arg-type]
            mean_field.means,
            lag_t,
            lag_d,
            pop,
            description="per unit: realization means and the DMFT's dynamic autocovariance",
        )
        linear, basis = _predict(Jm, units, network.sigma, tv, method)
        one_tau = bool(np.all(tv == tv[0]))
        # one refinement of the means: each unit's own dynamic variance, the diagonal of the
        # predicted C_x, instead of its population's (docs/theory.md section 8.2)
        try:
            refined = realization_mean_field(
                Jm,
                bv,
                network.phi,  # type: ignore[arg-type]
                np.maximum(np.diag(linear.c_x), 0.0),
            )
        except ConvergenceError:
            refined = None

        def closure() -> CovariancePrediction:
            if not one_tau:
                raise UnstableNetworkError(
                    "the naive closure is implemented for one time constant; this network has "
                    "one per population",
                    eigenvalues=np.zeros(0),
                )
            return heterogeneous_naive_closure(Jm, units, sigma=network.sigma, tau=float(tv[0]))

        theory = "heterogeneous"
    if theory == "homogeneous":
        refined = None
    lagged = None
    if lv is not None and lv.size:
        if not np.all(tv == tv[0]):
            raise ValueError(
                "`lags` need one time constant for all units (eigenbasis route); this network "
                "has one per population. Leave lags out."
            )
        if basis is None:  # the homogeneous or quadrature route diagonalised something else
            basis = _basis(Jm, units.gains)
        lagged = _lagged_from_basis(basis, Jm, units, network.sigma, float(tv[0]), lv, False)
    proximity = 1.0 / (n * max(linear.min_re_alpha, 1e-300) ** 2)
    if proximity >= EDGE_PROXIMITY_WARNING:
        warnings.warn(
            f"this realization is close to the edge of stability for the large-N theory: "
            f"min Re(1 - lambda_k(J G)) = {linear.min_re_alpha:.3g} at N = {n}, so "
            f"1 / (N min Re^2) = {proximity:.2g} >= {EDGE_PROXIMITY_WARNING:g}. The neglected "
            "residual correlations (O(1/N)) are amplified by the slowest mode to an O(1) "
            "relative error in its variance; expect the prediction to overestimate the slow "
            "modes. Use a larger N or a network further from the transition.",
            FiniteSizeWarning,
            stacklevel=2,
        )
    status: NaiveStatus = "disabled"
    reason = ""
    naive_pred = None
    if naive:
        try:
            naive_pred = closure()
            status = "compared"
        except UnstableNetworkError as exc:
            status, reason = "not applicable", str(exc)
    return NetworkCovariancePrediction(
        linear=linear,
        naive=naive_pred,
        naive_status=status,
        naive_reason=reason,
        network=network,
        theory=theory,
        mean_field=mean_field,
        residuals=units,
        lagged=lagged,
        edge_proximity=proximity,
        order_parameters=rop,
        means_refined=refined,
    )
