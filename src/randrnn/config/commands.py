"""Whole-command configs: the tables of one command, checked across tables.

``dt`` against ``tau``, the run length, and the memory a run needs against what this machine has.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np

from randrnn._validation import (
    available_memory,
    format_bytes,
    show,
)
from randrnn.config.tables import (
    SPARSE_MAX_IN_DEGREE,
    ApproximationSettings,
    ContextSettings,
    FixedPointSettings,
    LowRankSettings,
    OperatingPointSettings,
    PredictionSettings,
    SensitivitySettings,
    SparseSettings,
    SpectrumSettings,
)
from randrnn.ensembles import (
    AbstractDistribution,
    BlockEnsemble,
    JacobianEnsemble,
    LowRankEnsemble,
)
from randrnn.networks import RateNetwork, Seeds
from randrnn.rmt import CavitySettings
from randrnn.simulate import SimulationSettings

# ----------------------------------------------------------------------------------------------
# Checks across tables

#: peak and retained bytes per N x N entry of the linear-equivalent prediction (eigenbasis
#: method: complex eigenvectors, their inverse Gram matrix and the three covariances), and of
#: the naive closure on top of it; measured at N = 2000 (peak resident memory)
_PREDICTION_PEAK, _PREDICTION_KEPT, _NAIVE_PEAK, _NAIVE_KEPT = 145, 58, 49, 24
#: peak bytes per N x N entry of one dense spectrum (a dense float64 Jacobian, the LAPACK work
#: copy and the eigenvalues); measured at N = 2000
_DENSE_SPECTRUM = 28

#: per part of the memory a run needs: how it reads in a message (``{}``: bytes per N x N
#: entry) and how to shrink it
_PARTS = {
    "couplings and N x N accumulators": (
        "{} bytes per entry of an N x N matrix",
        (
            "turn off `simulation.covariance` and `simulation.cross_covariance` (60 of the 76 "
            "bytes per entry)"
        ),
    ),
    "trial states and sample buffers": (
        "`simulation.n_trials` x `ensemble.n` floats",
        "reduce `simulation.n_trials`",
    ),
    "quadruple moments": (
        "`simulation.n_quadruples` quadruples of every sample of `simulation.n_trials` trials",
        "reduce `simulation.n_quadruples` or `simulation.n_trials`",
    ),
    "autocovariance ring": (
        (
            "`simulation.max_lag` / (`simulation.acf_every` x `simulation.dt`) lags of "
            "`simulation.acf_trials` trials"
        ),
        "reduce `simulation.max_lag` or `simulation.acf_trials`",
    ),
    "linear-equivalent prediction": (
        "{} bytes per entry of an N x N matrix",
        "set `prediction.naive` = false (the naive closure takes 49 of them)",
    ),
    "predicted covariances": ("{} bytes per entry of an N x N matrix", ""),
}
#: the parts that grow as N^2
_QUADRATIC = ("couplings and N x N accumulators", "linear-equivalent prediction")


def _min_tau(network: RateNetwork) -> float | None:
    """The smallest time constant ``network`` can have (None where it has no positive bound)."""
    tau = network.tau
    if isinstance(tau, tuple):
        lows = [float(d.support[0]) for d in tau if isinstance(d, AbstractDistribution)]
        return min(lows) if lows and min(lows) > 0 else None
    return float(np.min(tau))


def _largest_fitting(need: Any, budget: int, n: int) -> int:
    """The largest ``m <= n`` with ``need(m) <= budget`` (``need`` increasing), or 0."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if need(mid) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _prediction_bytes(m: int, naive: bool) -> tuple[int, int]:
    """Peak and retained bytes of the prediction stage of ``randrnn run`` at ``m`` units."""
    nn = m * m
    peak = (8 + _PREDICTION_PEAK + (_NAIVE_PEAK if naive else 0)) * nn
    return peak, (_PREDICTION_KEPT + (_NAIVE_KEPT if naive else 0)) * nn


def _check_dt(network: RateNetwork, dt: Any) -> None:
    """Refuse ``dt`` not below the smallest time constant (a non-number is left to the table)."""
    tau_min = _min_tau(network)
    if tau_min is None or isinstance(dt, bool) or not isinstance(dt, (int, float, np.number)):
        return
    if not 0 < dt < math.inf:  # not a valid step: the [simulation] table says so
        return
    if not dt < tau_min:
        raise ValueError(
            f"`simulation.dt` must be smaller than the smallest `network.tau`; got dt = "
            f"{show(dt)}, min(tau) = {show(tau_min)}. Reduce simulation.dt "
            f"(dt <= tau/10 = {tau_min / 10:g} is a safe choice)."
        )


def _check_simulation(
    network: RateNetwork, simulation: SimulationSettings, *, naive: bool | None = None
) -> None:
    """Checks of a simulated config across its tables; ``naive`` not None: ``randrnn run``."""
    n = network.n
    st = simulation
    _check_dt(network, st.dt)
    if st.n_quadruples > 0 and n < 4:
        raise ValueError(
            f"`simulation.n_quadruples` = {st.n_quadruples} needs `ensemble.n` >= 4 "
            f"(quadruples of distinct units); got n = {n}. Set simulation.n_quadruples=0 to "
            "skip the fourth-order (Wick) test."
        )
    bad = [u for u in st.record_units if u >= n]
    if bad:
        raise ValueError(
            f"`simulation.record_units` must be unit indices in [0, {n}) (`ensemble.n` = {n}); "
            f"got {show(bad[0])}."
        )
    avail = available_memory()

    def need(m: int) -> int:
        if naive is None:
            return st.estimated_bytes(m)
        peak, kept = _prediction_bytes(m, naive)
        return max(peak, kept + st.estimated_bytes(m))

    if avail is None or need(n) <= avail:
        return
    parts = st.memory_breakdown(n)
    if naive is not None:
        peak, kept = _prediction_bytes(n, naive)
        if peak >= kept + sum(parts.values()):
            parts = {"linear-equivalent prediction": peak}
        else:
            parts["predicted covariances"] = kept
    total = need(n)
    shown = [(k, v) for k, v in sorted(parts.items(), key=lambda kv: -kv[1]) if v >= 0.1 * total]
    what = "; ".join(
        f"the {k}: {format_bytes(v)} ({_PARTS[k][0].format(round(v / n**2))})" for k, v in shown
    )
    fixes = [_PARTS[k][1] for k, _ in shown if _PARTS[k][1]]
    if shown[0][0] in _QUADRATIC:
        fits = _largest_fitting(need, avail, n)
        fixes.insert(0, f"reduce `ensemble.n` (at most about {fits} fits)")
    if naive is False:
        fixes = [f for f in fixes if "prediction.naive" not in f]
    if not fixes:
        fixes = ["reduce `ensemble.n`"]
    command = "the simulation" if naive is None else "randrnn run"
    raise ValueError(
        f"{command} with `ensemble.n` = {n} needs about {format_bytes(total)} of memory, more "
        f"than the {format_bytes(avail)} available; {what}. To fit, "
        + ", or ".join(dict.fromkeys(fixes))
        + "."
    )


# ----------------------------------------------------------------------------------------------
# Whole-command configs


def _check_type(name: str, value: Any, cls: type) -> None:
    if not isinstance(value, cls):
        raise TypeError(f"`{name}` must be a {cls.__name__}; got {type(value).__name__}.")


def _network_table(network: RateNetwork) -> dict[str, Any]:
    table = dict(network.to_config())
    table.pop("ensemble", None)
    return table


def _simulation_tables(
    network: RateNetwork, simulation: SimulationSettings, seeds: Seeds
) -> dict[str, Any]:
    """The ``[ensemble]``, ``[network]``, ``[simulation]`` and ``[seeds]`` tables."""
    return {
        "ensemble": network.ensemble.to_config(),
        "network": _network_table(network),
        "simulation": simulation.to_dict(),
        "seeds": seeds.to_dict(),
    }


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SimulateConfig:
    """The config of ``randrnn simulate``: what to simulate and how.

    Parameters
    ----------
    network : RateNetwork
        The ``[ensemble]`` and ``[network]`` tables.
    seeds : Seeds
        The ``[seeds]`` table.
    simulation : SimulationSettings
        The ``[simulation]`` table.

    Raises
    ------
    ValueError
        ``dt`` not below the smallest ``tau``; quadruples with fewer than 4 units; recorded
        units out of range; more memory than this machine has.
    """

    network: RateNetwork
    seeds: Seeds
    simulation: SimulationSettings

    def __post_init__(self) -> None:
        _check_type("network", self.network, RateNetwork)
        _check_type("seeds", self.seeds, Seeds)
        _check_type("simulation", self.simulation, SimulationSettings)
        _check_simulation(self.network, self.simulation)

    def to_dict(self) -> dict[str, Any]:
        """The full config as TOML-able tables (recorded with the results)."""
        return _simulation_tables(self.network, self.simulation, self.seeds)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class RunConfig:
    """The config of ``randrnn run`` (and of each size of ``randrnn scaling``).

    Parameters
    ----------
    network : RateNetwork
        The ``[ensemble]`` and ``[network]`` tables.
    seeds : Seeds
        The ``[seeds]`` table.
    simulation : SimulationSettings
        The ``[simulation]`` table; ``max_lag`` must be > 0 (the DMFT autocovariance is
        compared over lags) and no units are recorded.
    prediction : PredictionSettings
        The ``[prediction]`` table.

    Raises
    ------
    ValueError
        As :class:`SimulateConfig`, and for ``max_lag = 0`` or ``record_units``; the memory
        check includes the prediction.
    """

    network: RateNetwork
    seeds: Seeds
    simulation: SimulationSettings
    prediction: PredictionSettings = dataclasses.field(default_factory=PredictionSettings)

    def __post_init__(self) -> None:
        _check_type("network", self.network, RateNetwork)
        _check_type("seeds", self.seeds, Seeds)
        _check_type("simulation", self.simulation, SimulationSettings)
        _check_type("prediction", self.prediction, PredictionSettings)
        st = self.simulation
        if st.max_lag <= 0:
            raise ValueError(
                f"`simulation.max_lag` must be > 0 for randrnn run (the DMFT autocovariance is "
                f"compared over lags); got {show(st.max_lag)}. Set simulation.max_lag to a few "
                f"correlation times, e.g. {min(20.0, st.block_length / 2):g}."
            )
        if st.record_units:
            raise ValueError(
                "`simulation.record_units` must be empty for randrnn run (it writes no "
                f"trajectories); got {show(list(st.record_units))}. Use randrnn simulate to "
                "record trajectories."
            )
        _check_simulation(self.network, st, naive=self.prediction.naive)

    def to_dict(self) -> dict[str, Any]:
        """The full config as TOML-able tables (recorded with the results)."""
        tables = _simulation_tables(self.network, self.simulation, self.seeds)
        tables["prediction"] = self.prediction.to_dict()
        return tables


def _sparse_block(ensemble: JacobianEnsemble) -> bool:
    """Whether the coupling is a block ensemble at finite connectivity (mean in-degrees given,
    or every block mean in-degree <= :data:`~randrnn.config.tables.SPARSE_MAX_IN_DEGREE`)."""
    coupling = ensemble.coupling
    if not isinstance(coupling, BlockEnsemble):
        return False
    if coupling.in_degree is not None:
        return True
    c = np.asarray(coupling.statistics().in_degree, dtype=float)
    return bool(np.all(c <= SPARSE_MAX_IN_DEGREE))


#: tail probability of a timescale law beyond which its poles count as outside the pole segment
#: (laws with unbounded support, e.g. lognormal)
POLE_TAIL = 1e-6


def pole_segment(ensemble: JacobianEnsemble) -> tuple[float, float]:
    r"""The segment :math:`[-1/\tau_{\min}, -1/\tau_{\max}]` of the timescale poles of all units.

    Every unit off the giant strongly connected component has the exact eigenvalue
    :math:`-1/\tau_i` (the bar, ``docs/theory.md`` section 5.5), and the resolvent of the
    finite-connectivity theory is singular there; contours of region fractions cross the real
    axis outside this segment (Chotibut, Evnin & Horinouchi 2025, arXiv:2512.12767).

    Parameters
    ----------
    ensemble : JacobianEnsemble
        The ensemble; the support of every population's timescale law counts, an unbounded end
        replaced by its :data:`POLE_TAIL` quantile.

    Returns
    -------
    (float, float)
        ``(left, right)`` ends, ``left <= right < 0``.

    Examples
    --------
    >>> ens = JacobianEnsemble.inhibitory_core(n=1000)      # tau_E in [1, 5], tau_I in [2, 12]
    >>> tuple(round(v, 6) for v in pole_segment(ens))
    (-1.0, -0.083333)
    """
    lo, hi = math.inf, -math.inf
    for d in ensemble.tau:
        t_lo, t_hi = (float(v) for v in d.support)
        if not t_lo > 0:
            t_lo = float(d.ppf(POLE_TAIL))
        if not math.isfinite(t_hi):
            t_hi = float(d.ppf(1.0 - POLE_TAIL))
        lo, hi = min(lo, -1.0 / t_lo), max(hi, -1.0 / t_hi)
    return lo, hi


def _check_regions(ensemble: JacobianEnsemble, sparse: SparseSettings) -> None:
    """Refuse a region side that crosses the real axis inside the pole segment."""
    lo, hi = pole_segment(ensemble)
    for i, (x0, x1, y0, y1) in enumerate(sparse.regions):
        if not (y0 <= 0.0 < y1):
            continue
        for x in (x0, x1):
            if math.isfinite(x) and lo <= x <= hi:
                raise ValueError(
                    f"`sparse.regions[{i}]` = {[x0, x1, y0, y1]} has a side at Re = {x:g} that "
                    f"crosses the real axis inside the segment of timescale poles "
                    f"[{lo:.4g}, {hi:.4g}], where the theory is singular. Move the side left of "
                    f"{lo:.4g} or right of {hi:.4g}, or keep the region off the axis."
                )


def _check_sparse_theory(ensemble: JacobianEnsemble, spectrum: SpectrumSettings) -> None:
    """Refuse ``spectrum.theory = 'sparse'`` where the sparse comparison cannot run."""
    if not isinstance(ensemble.coupling, BlockEnsemble):
        raise ValueError(
            "`spectrum.theory` = 'sparse' needs a block coupling ensemble (`ensemble.kind` = "
            f"'block'); got kind {ensemble.coupling.to_config().get('kind')!r}. Use "
            "spectrum.theory = 'dense', or ensemble.preset = 'inhibitory_core'."
        )
    if not ensemble.keep_mean:
        raise ValueError(
            "`spectrum.theory` = 'sparse' needs `ensemble.keep_mean` = true (the sampled sparse "
            "matrix must be the whole Jacobian for its strongly connected components and bar); "
            "got false. Set ensemble.keep_mean = true, or spectrum.theory = 'dense'."
        )
    if spectrum.method != "dense":
        raise ValueError(
            f"`spectrum.method` must be 'dense' with spectrum.theory = 'sparse' (region "
            f"fractions and the density need every eigenvalue; they come from the strongly "
            f"connected components, cheaply); got {spectrum.method!r}."
        )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SpectrumConfig:
    """The config of ``randrnn spectrum``.

    Parameters
    ----------
    ensemble : JacobianEnsemble
        The ``[ensemble]`` table: coupling fields (``kind``, default ``block``), ``tau``, ``gain``;
        or ``preset = "inhibitory_core"`` with that constructor's keyword arguments
        (:meth:`JacobianEnsemble.inhibitory_core`), recorded as the resolved ensemble.
    spectrum : SpectrumSettings
        The ``[spectrum]`` table.
    sensitivity : SensitivitySettings
        The ``[sensitivity]`` table.
    cavity : randrnn.rmt.CavitySettings
        The ``[cavity]`` table: population dynamics of the finite-connectivity density.
    sparse : SparseSettings
        The ``[sparse]`` table: regions, density grid, edge-vs-degree sweep.

    Raises
    ------
    ValueError
        ``spectrum.k`` too large for ``arnoldi``; ``spectrum.theory = 'sparse'`` with an
        ensemble or method it cannot compare; more memory than this machine has.
    """

    ensemble: JacobianEnsemble
    spectrum: SpectrumSettings = dataclasses.field(default_factory=SpectrumSettings)
    sensitivity: SensitivitySettings = dataclasses.field(default_factory=SensitivitySettings)
    cavity: CavitySettings = dataclasses.field(default_factory=CavitySettings)
    sparse: SparseSettings = dataclasses.field(default_factory=SparseSettings)

    @property
    def resolved_theory(self) -> str:
        """``"dense"`` or ``"sparse"``: ``spectrum.theory`` with ``auto`` resolved.

        ``auto`` is ``sparse`` for a block coupling at finite connectivity (mean in-degrees
        given, or all <= 30) whose samples keep their block means; ``dense`` otherwise.
        """
        th = self.spectrum.theory
        if th != "auto":
            return th
        ens = self.ensemble
        return "sparse" if _sparse_block(ens) and ens.keep_mean else "dense"

    @property
    def sweep_n(self) -> int:
        """Units of the edge-vs-degree sweep (``sparse.sweep_n``, default ``ensemble.n``)."""
        return self.sparse.sweep_n if self.sparse.sweep_n is not None else self.ensemble.n

    def __post_init__(self) -> None:
        _check_type("ensemble", self.ensemble, JacobianEnsemble)
        _check_type("spectrum", self.spectrum, SpectrumSettings)
        _check_type("sensitivity", self.sensitivity, SensitivitySettings)
        _check_type("cavity", self.cavity, CavitySettings)
        _check_type("sparse", self.sparse, SparseSettings)
        n = self.ensemble.n
        sp = self.spectrum
        if sp.method == "arnoldi" and sp.k >= n - 1:
            raise ValueError(
                f"`spectrum.k` must be < `ensemble.n` - 1 = {n - 1} with method 'arnoldi'; got "
                f"{sp.k}. Reduce spectrum.k or use spectrum.method = 'dense'."
            )
        sparse = self.resolved_theory == "sparse"
        if sparse:
            _check_sparse_theory(self.ensemble, sp)
            _check_regions(self.ensemble, self.sparse)
        # the sparse theory's spectra come from the strongly connected components: no dense
        # n x n eigenproblem
        sizes = [n] if sp.method == "dense" and not sparse else []
        if self.sensitivity.enabled and self.sensitivity.n_points:
            sizes.append(self.sensitivity.n)
        if not sizes:
            return
        m = max(sizes)
        need = _DENSE_SPECTRUM * m * m + (64 << 20)
        avail = available_memory()
        if avail is not None and need > avail:
            key = "`ensemble.n`" if m == n and sp.method == "dense" else "`sensitivity.n`"
            raise ValueError(
                f"a dense spectrum of {m} units needs about {format_bytes(need)} of memory, "
                f"more than the {format_bytes(avail)} available ({key} = {m}). Reduce {key}"
                + (
                    ", or use spectrum.method = 'arnoldi'"
                    if key == "`ensemble.n`"
                    else " or set sensitivity.enabled = false"
                )
                + "."
            )

    def to_dict(self) -> dict[str, Any]:
        """The full config as TOML-able tables (recorded with the results)."""
        return {
            "ensemble": self.ensemble.to_config(),
            "spectrum": self.spectrum.to_dict(),
            "sensitivity": self.sensitivity.to_dict(),
            "cavity": self.cavity.to_dict(),
            "sparse": self.sparse.to_dict(),
        }


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class FixedPointsConfig:
    """The config of ``randrnn fixedpoints``.

    Parameters
    ----------
    network : RateNetwork
        The ``[ensemble]`` and ``[network]`` tables.
    seeds : Seeds
        The ``[seeds]`` table.
    simulation : SimulationSettings
        The ``[simulation]`` table: the run whose states seed the search and give the
        principal components of the figure (every unit of ``record_trials`` trials is recorded
        every ``record_every`` steps; set ``n_trials`` small).
    fixedpoints : FixedPointSettings
        The ``[fixedpoints]`` table.
    context : ContextSettings
        The ``[context]`` table (the context-dependence study).
    operating : OperatingPointSettings
        The ``[operating]`` table (the E/I operating-point study).

    Raises
    ------
    ValueError
        ``dt`` not below the smallest ``tau``; more memory than this machine has (the batched
        Jacobians and the eigendecompositions).
    """

    network: RateNetwork
    seeds: Seeds
    simulation: SimulationSettings
    fixedpoints: FixedPointSettings
    context: ContextSettings = dataclasses.field(default_factory=ContextSettings)
    operating: OperatingPointSettings = dataclasses.field(default_factory=OperatingPointSettings)

    def __post_init__(self) -> None:
        _check_type("network", self.network, RateNetwork)
        _check_type("seeds", self.seeds, Seeds)
        _check_type("simulation", self.simulation, SimulationSettings)
        _check_type("fixedpoints", self.fixedpoints, FixedPointSettings)
        _check_type("context", self.context, ContextSettings)
        _check_type("operating", self.operating, OperatingPointSettings)
        n = self.network.n
        # batched Jacobians (32 at a time, with the LU copy and J^T J) and a few eigenbases
        need = (3 * 32 + 8) * 8 * n * n + (64 << 20)
        avail = available_memory()
        if avail is not None and need > avail:
            raise ValueError(
                f"the fixed-point search on {n} units needs about {format_bytes(need)} of "
                f"memory, more than the {format_bytes(avail)} available (`ensemble.n` = {n}). "
                "Reduce `ensemble.n`."
            )
        if self.fixedpoints.n_simulation_starts:
            _check_simulation(self.network, self.simulation)

    def to_dict(self) -> dict[str, Any]:
        """The full config as TOML-able tables (recorded with the results)."""
        tables = _simulation_tables(self.network, self.simulation, self.seeds)
        tables["fixedpoints"] = self.fixedpoints.to_dict()
        tables["context"] = self.context.to_dict()
        tables["operating"] = self.operating.to_config()
        return tables


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LowRankConfig:
    """The config of ``randrnn lowrank``.

    Parameters
    ----------
    lowrank : LowRankSettings
        The ``[lowrank]`` table (which examples, nonlinearities, network size, realizations).
    approximation : ApproximationSettings
        The ``[approximation]`` table (fitting a mixture to a 2-D flow).
    ensemble : LowRankEnsemble or None
        An optional ``[ensemble]`` table of kind ``lowrank`` without random part: the user's
        own mixture, run as example ``custom`` (its ``n`` is replaced by ``lowrank.n``).
    """

    lowrank: LowRankSettings
    approximation: ApproximationSettings
    ensemble: LowRankEnsemble | None = None

    def __post_init__(self) -> None:
        _check_type("lowrank", self.lowrank, LowRankSettings)
        _check_type("approximation", self.approximation, ApproximationSettings)
        if self.ensemble is not None:
            _check_type("ensemble", self.ensemble, LowRankEnsemble)
            if self.ensemble.chi is not None:
                raise ValueError(
                    "`ensemble.chi` must be absent for `randrnn lowrank`: the closed latent "
                    "theory has no random part; drop the `chi` table."
                )
        if not self.lowrank.examples and self.ensemble is None and not self.approximation.enabled:
            raise ValueError(
                "nothing to run: `lowrank.examples` is empty, there is no [ensemble] table and "
                "`approximation.enabled` is false. Name an example or give a mixture."
            )

    def to_dict(self) -> dict[str, Any]:
        """The full config as TOML-able tables (recorded with the results)."""
        out: dict[str, Any] = {
            "lowrank": self.lowrank.to_dict(),
            "approximation": self.approximation.to_dict(),
        }
        if self.ensemble is not None:
            out["ensemble"] = self.ensemble.to_config()
        return out


CommandConfig: TypeAlias = (
    RunConfig | SimulateConfig | SpectrumConfig | FixedPointsConfig | LowRankConfig
)
