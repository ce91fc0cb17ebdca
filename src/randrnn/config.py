"""Configs of the commands: one frozen dataclass per TOML table, one source of defaults.

A command's config is built in three steps, and all of it is checked before any work starts:

1. its preset (:data:`PRESETS`): the entries where the command's defaults differ from the
   defaults of the dataclasses (``randrnn run``: tanh, ``g = 3``, ``N = 1000``, 128 trials of
   1000 tau; ``randrnn simulate``: ``g = 2``, 16 trials of 200 tau);
2. a CONFIG file and ``--set TABLE.KEY=VALUE`` overrides, merged onto the preset table by table
   (an empty file gives the defaults; a table with another ``kind`` replaces the preset's);
3. one dataclass per table, then the whole-command config, which checks across tables: ``dt``
   against ``tau``, the run length, the memory the run needs against what this machine has.

Types are strict: strings are not booleans, ``2.5`` is not an integer, a value is not a table.
Every error names the full key (``simulation.n_quadruples``), the value and a fix.

- :class:`PredictionSettings`, :class:`SpectrumSettings`, :class:`SensitivitySettings` -- the
  tables that have no spec class elsewhere (``[ensemble]``, ``[network]``, ``[simulation]`` and
  ``[seeds]`` are :mod:`randrnn.ensembles`, :class:`~randrnn.networks.RateNetwork`,
  :class:`~randrnn.simulate.SimulationSettings` and :class:`~randrnn.networks.Seeds`).
- :class:`SimulateConfig`, :class:`RunConfig`, :class:`SpectrumConfig` -- whole-command configs;
  ``to_dict()`` is the full TOML-able config recorded with results.
- :func:`load_config` -- preset, CONFIG file and overrides to a config object.
- :func:`config_from_mapping` -- the same from a mapping; :func:`default_mapping` -- a preset as
  a plain mapping (nothing checked against this machine).
- :func:`read_toml`, :func:`apply_overrides`, :func:`merge_config`, :func:`check_keys` -- the
  mapping-level pieces (from :mod:`randrnn.io`).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import re
import typing
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeAlias

import numpy as np

from randrnn._validation import (
    available_memory,
    check_bool,
    check_in,
    check_integer,
    check_nonnegative_int,
    check_optional_bool,
    check_positive,
    check_positive_int,
    check_real,
    format_bytes,
    show,
)
from randrnn.ensembles import (
    ENSEMBLES,
    STATISTICS,
    AbstractDistribution,
    JacobianEnsemble,
    ensemble_from_config,
)
from randrnn.io import apply_overrides, check_keys, merge_config, parse_value
from randrnn.io import load_toml as read_toml
from randrnn.networks import RateNetwork, Seeds
from randrnn.simulate import SimulationSettings

Command: TypeAlias = Literal["run", "simulate", "spectrum", "scaling"]

#: the commands that read a config, and the tables of each
TABLES: dict[str, tuple[str, ...]] = {
    "simulate": ("ensemble", "network", "simulation", "seeds"),
    "run": ("ensemble", "network", "simulation", "seeds", "prediction"),
    "scaling": ("ensemble", "network", "simulation", "seeds", "prediction"),
    "spectrum": ("ensemble", "spectrum", "sensitivity"),
}

# ----------------------------------------------------------------------------------------------
# Tables without a spec class elsewhere


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictionSettings:
    """The ``[prediction]`` table of ``randrnn run``.

    Parameters
    ----------
    method : {"auto", "eigen", "quadrature"}
        How the linear-equivalent covariance is computed (see
        :func:`randrnn.covariance.linear_equivalent_covariance`).
    naive : bool
        Also compute the naive Gaussian closure, for comparison.
    order_parameters : {"ensemble", "realization"}
        Gain and residual statistics from the ensemble DMFT (the paper's prediction, default)
        or solved from the realization's own autocovariance
        (:func:`randrnn.covariance.realization_order_parameters`; every unit alike).
    """

    method: Literal["auto", "eigen", "quadrature"] = "auto"
    naive: bool = True
    order_parameters: Literal["ensemble", "realization"] = "ensemble"

    def __post_init__(self) -> None:
        check_in("method", self.method, ["auto", "eigen", "quadrature"])
        object.__setattr__(self, "naive", check_bool("naive", self.naive))
        check_in("order_parameters", self.order_parameters, ["ensemble", "realization"])

    def to_dict(self) -> dict[str, Any]:
        """The table as a plain dict."""
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class SpectrumSettings:
    """The ``[spectrum]`` table of ``randrnn spectrum``.

    Parameters
    ----------
    method : {"dense", "arnoldi"}
        All eigenvalues, or the ``k`` of largest real part (sparse Arnoldi).
    n_realizations : int
        Sampled Jacobians (the edge's standard error is over them).
    seed : int
        Root seed of the realizations.
    k : int
        Eigenvalues per realization with ``arnoldi``.
    bins : int
        Bins per axis of the eigenvalue histogram (``dense``).
    """

    method: Literal["dense", "arnoldi"] = "dense"
    n_realizations: int = 3
    seed: int = 0
    k: int = 80
    bins: int = 25

    def __post_init__(self) -> None:
        check_in("method", self.method, ["dense", "arnoldi"])
        for name in ("n_realizations", "k", "bins"):
            object.__setattr__(self, name, check_positive_int(name, getattr(self, name)))
        object.__setattr__(self, "seed", check_nonnegative_int("seed", self.seed))

    def to_dict(self) -> dict[str, Any]:
        """The table as a plain dict."""
        return dataclasses.asdict(self)


def _values(name: str, value: Any, *, fraction: bool = False) -> tuple[float, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(f"`{name}` must be a list of numbers; got {show(value)}.")
    out = []
    for i, v in enumerate(value):
        x = check_real(f"{name}[{i}]", v)
        if x < 0 or (fraction and x > 1):
            bound = "in [0, 1]" if fraction else ">= 0"
            raise ValueError(f"`{name}[{i}]` must be {bound}; got {show(v)}.")
        out.append(x)
    return tuple(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class SensitivitySettings:
    """The ``[sensitivity]`` table of ``randrnn spectrum``: the edge along each statistic.

    Parameters
    ----------
    enabled : bool
        Run the sweeps.
    n : int
        Network size of the sweeps.
    n_realizations : int
        Realizations per point.
    sparsity, weight_scale : tuple of float
        Factors on every connection probability / weight magnitude (>= 0).
    fraction_excitatory : tuple of float
        Excitatory fractions (in [0, 1]; two populations only).
    tau_spread, gain_spread : tuple of float
        Spread of every non-fixed timescale / gain law (>= 0).

    See :func:`randrnn.ensembles.vary` for what each statistic changes.
    """

    enabled: bool = True
    n: int = 1000
    n_realizations: int = 3
    sparsity: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0)
    fraction_excitatory: tuple[float, ...] = (0.6, 0.7, 0.8, 0.9)
    weight_scale: tuple[float, ...] = (0.6, 0.8, 1.0, 1.2)
    tau_spread: tuple[float, ...] = (0.0, 0.3, 0.6, 0.9)
    gain_spread: tuple[float, ...] = (0.0, 0.3, 0.6, 0.9)

    def __post_init__(self) -> None:
        object.__setattr__(self, "enabled", check_bool("enabled", self.enabled))
        for name in ("n", "n_realizations"):
            object.__setattr__(self, name, check_positive_int(name, getattr(self, name)))
        for name in STATISTICS:
            vals = _values(name, getattr(self, name), fraction=name == "fraction_excitatory")
            object.__setattr__(self, name, vals)

    def values(self, statistic: str) -> tuple[float, ...]:
        """The values swept for ``statistic`` (one of :data:`randrnn.ensembles.STATISTICS`)."""
        check_in("statistic", statistic, STATISTICS)
        return getattr(self, statistic)  # type: ignore[no-any-return]

    @property
    def n_points(self) -> int:
        """Number of swept points over all statistics."""
        return sum(len(self.values(st)) for st in STATISTICS)

    def to_dict(self) -> dict[str, Any]:
        """The table as a plain dict (lists for the tuples)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in _fields(self).items()}


def _fields(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


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


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SpectrumConfig:
    """The config of ``randrnn spectrum``.

    Parameters
    ----------
    ensemble : JacobianEnsemble
        The ``[ensemble]`` table: coupling fields (``kind``, default ``block``), ``tau``, ``gain``.
    spectrum : SpectrumSettings
        The ``[spectrum]`` table.
    sensitivity : SensitivitySettings
        The ``[sensitivity]`` table.

    Raises
    ------
    ValueError
        ``spectrum.k`` too large for ``arnoldi``; more memory than this machine has.
    """

    ensemble: JacobianEnsemble
    spectrum: SpectrumSettings = dataclasses.field(default_factory=SpectrumSettings)
    sensitivity: SensitivitySettings = dataclasses.field(default_factory=SensitivitySettings)

    def __post_init__(self) -> None:
        _check_type("ensemble", self.ensemble, JacobianEnsemble)
        _check_type("spectrum", self.spectrum, SpectrumSettings)
        _check_type("sensitivity", self.sensitivity, SensitivitySettings)
        n = self.ensemble.n
        sp = self.spectrum
        if sp.method == "arnoldi" and sp.k >= n - 1:
            raise ValueError(
                f"`spectrum.k` must be < `ensemble.n` - 1 = {n - 1} with method 'arnoldi'; got "
                f"{sp.k}. Reduce spectrum.k or use spectrum.method = 'dense'."
            )
        sizes = [n] if sp.method == "dense" else []
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
        }


CommandConfig: TypeAlias = RunConfig | SimulateConfig | SpectrumConfig

# ----------------------------------------------------------------------------------------------
# Presets: the one place where command defaults differ from the dataclass defaults

#: per command, the entries that differ from the dataclass defaults (every other value is the
#: default of its dataclass: :class:`~randrnn.simulate.SimulationSettings`,
#: :class:`~randrnn.networks.Seeds`, :class:`PredictionSettings`, ...)
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "simulate": {"ensemble": {"kind": "gaussian", "n": 1000, "g": 2.0}},
    "run": {
        "ensemble": {"kind": "gaussian", "n": 1000, "g": 3.0},
        "simulation": {
            "t_max": 1000.0,
            "n_trials": 128,
            "acf_every": 4,
            "max_lag": 20.0,
            "n_quadruples": 2000,
        },
    },
    "spectrum": {
        "ensemble": {
            "kind": "block",
            "n": 1000,
            "fractions": [0.8, 0.2],
            "signs": [1, -1],
            "connectivity": [[0.05, 0.2], [0.2, 0.2]],
            "weights": [
                [
                    {"kind": "halfnormal", "scale": 2.4},
                    {"kind": "lognormal", "median": 2.4, "sigma": 0.8},
                ],
                [
                    {"kind": "halfnormal", "scale": 2.4},
                    {"kind": "lognormal", "median": 2.4, "sigma": 0.8},
                ],
            ],
            "tau": [1.0, {"kind": "lognormal", "median": 3.0, "sigma": 0.5}],
            "gain": [
                {"kind": "uniform", "low": 0.5, "high": 1.5},
                {"kind": "uniform", "low": 0.5, "high": 1.5},
            ],
            "keep_mean": False,
        },
    },
}
PRESETS["scaling"] = PRESETS["run"]


def _table_defaults(cls: type, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """TOML-able defaults of a dataclass's fields (None, which TOML cannot hold, left out)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        if f.default is not dataclasses.MISSING:
            value = f.default
        elif f.default_factory is not dataclasses.MISSING:
            value = f.default_factory()
        else:
            continue
        if value is not None:
            out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


#: the dataclass behind each table that has one (the ensemble depends on its ``kind``)
_TABLE_CLASSES: dict[str, type] = {
    "network": RateNetwork,
    "simulation": SimulationSettings,
    "seeds": Seeds,
    "prediction": PredictionSettings,
    "spectrum": SpectrumSettings,
    "sensitivity": SensitivitySettings,
}


def default_mapping(command: Command) -> dict[str, dict[str, Any]]:
    """The defaults of ``command`` as plain tables: its preset over the dataclass defaults.

    Nothing is checked against this machine (no memory estimate), so this is safe to call at
    import time.

    Parameters
    ----------
    command : {"run", "simulate", "spectrum", "scaling"}
        The command.

    Returns
    -------
    dict
        ``{table: {key: value}}``, a fresh copy.

    Examples
    --------
    >>> d = default_mapping("run")
    >>> d["ensemble"], d["simulation"]["n_trials"], d["prediction"]["order_parameters"]
    ({'kind': 'gaussian', 'n': 1000, 'g': 3.0}, 128, 'ensemble')
    """
    check_in("command", command, list(TABLES))
    out: dict[str, dict[str, Any]] = {}
    for table in TABLES[command]:
        base = _table_defaults(_TABLE_CLASSES[table], ("ensemble",)) if table != "ensemble" else {}
        out[table] = {**base, **copy.deepcopy(PRESETS[command].get(table, {}))}
    return out


# ----------------------------------------------------------------------------------------------
# Mappings: files, overrides, merging


# ----------------------------------------------------------------------------------------------
# Building the dataclasses

_NAME = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)((?:\[[^\]`]*\]|\.[A-Za-z_][A-Za-z0-9_]*)*)`")


def _qualify(message: str, table: str, keys: set[str]) -> str:
    """Prefix every backticked key of ``table`` in ``message`` with ``table.``."""

    def sub(m: re.Match[str]) -> str:
        return f"`{table}.{m.group(1)}{m.group(2)}`" if m.group(1) in keys else m.group(0)

    return _NAME.sub(sub, message)


@contextlib.contextmanager
def _naming(table: str, keys: set[str]) -> Iterator[None]:
    """Re-raise ``ValueError``/``TypeError`` (and re-issue warnings) with full key names."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except (ValueError, TypeError) as exc:
            text = _qualify(str(exc), table, keys)
            if text == str(exc):
                raise
            raise (ValueError if isinstance(exc, ValueError) else TypeError)(text) from exc
    for w in caught:
        text = _qualify(str(w.message), table, keys)
        warnings.warn(text, w.category, stacklevel=4)


def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # an unresolvable annotation: check nothing by type
        return {}


def _check_types(table: str, cls: type, values: Mapping[str, Any]) -> None:
    """Strict checks of the scalar fields of ``cls`` by their annotations."""
    hints = _hints(cls)
    for key, value in values.items():
        hint = hints.get(key)
        name = f"{table}.{key}"
        if hint is bool:
            check_bool(name, value)
        elif hint == bool | None:
            check_optional_bool(name, value)
        elif hint is int:
            check_integer(name, value)
        elif hint is float:
            check_real(name, value)


def _check_required(table: str, cls: type, values: Mapping[str, Any], where: str = "") -> None:
    missing = [
        f.name
        for f in dataclasses.fields(cls)
        if f.init
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
        and f.name not in values
    ]
    if missing:
        raise ValueError(
            f"[{table}]{where} is missing the key(s) {missing}; add them to the table (or "
            f"--set {table}.{missing[0]}=VALUE)."
        )


def _check_network(values: Mapping[str, Any]) -> None:
    """TOML shapes of the array-like entries of ``[network]``: ``tau`` (> 0) and ``b``."""
    tau = values.get("tau")
    fix = (
        "Give one time constant, one per unit, or one law per population (a number or a "
        "table such as {kind = 'lognormal', median = 2.0, sigma = 0.5})."
    )
    if isinstance(tau, (list, tuple)):
        for i, x in enumerate(tau):
            if not isinstance(x, (Mapping, AbstractDistribution)):
                check_positive(f"network.tau[{i}]", x, fix)
    elif tau is not None and not isinstance(tau, (Mapping, np.ndarray, AbstractDistribution)):
        check_positive("network.tau", tau, fix)
    b = values.get("b")
    if isinstance(b, (list, tuple)):
        for i, x in enumerate(b):
            check_real(f"network.b[{i}]", x)
    elif b is not None and not isinstance(b, np.ndarray):
        raise TypeError(f"`network.b` must be a list of numbers, one per unit; got {show(b)}.")


def _build(table: str, cls: type, values: Mapping[str, Any], **extra: Any) -> Any:
    fields = [f.name for f in dataclasses.fields(cls) if f.init and f.name not in extra]
    check_keys(table, values, fields)
    _check_types(table, cls, values)
    if table == "network":
        _check_network(values)
    _check_required(table, cls, {**values, **extra})
    with _naming(table, set(fields)):
        return cls(**values, **extra)


def _build_ensemble(table: Mapping[str, Any], *, jacobian: bool) -> Any:
    kind = table.get("kind", "block" if jacobian else "gaussian")
    check_in("ensemble.kind", kind, sorted(ENSEMBLES))
    cls = ENSEMBLES[kind]
    keys = set(table) | {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    fields = {k: v for k, v in table.items() if k not in ("kind", "tau", "gain")}
    if set(fields) <= keys - {"tau", "gain"}:  # unknown keys: the ensemble lists the valid ones
        _check_types("ensemble", cls, fields)
        _check_required("ensemble", cls, fields, f" (kind = {kind!r})")
    with _naming("ensemble", keys | {"tau", "gain", "kind"}):
        if jacobian:
            return JacobianEnsemble.from_config(dict(table))
        return ensemble_from_config(dict(table))


def _tables(command: str, mapping: Any) -> dict[str, dict[str, Any]]:
    """Check the top level of ``mapping`` and merge it onto the preset of ``command``."""
    check_in("command", command, list(TABLES))
    if not isinstance(mapping, Mapping):
        raise TypeError(
            f"the config must be a table of tables ({', '.join(f'[{t}]' for t in TABLES[command])}"
            f"); got {show(mapping)}."
        )
    check_keys("config", mapping, TABLES[command])
    for table, value in mapping.items():
        if not isinstance(value, Mapping):
            raise TypeError(
                f"`{table}` must be a table ([{table}] or --set {table}.KEY=VALUE); got "
                f"{show(value)}."
            )
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise TypeError(f"the keys of [{table}] must be strings; got {show(bad[0])}.")
    return merge_config(default_mapping(command), mapping)  # type: ignore[arg-type]


def config_from_mapping(command: Command, mapping: Mapping[str, Any]) -> CommandConfig:
    """Build and check the config of ``command`` from a mapping of tables.

    Parameters
    ----------
    command : {"run", "simulate", "spectrum", "scaling"}
        The command (``scaling`` takes the config of ``run``).
    mapping : mapping
        ``{table: {key: value}}``, merged onto the command's preset table by table.

    Returns
    -------
    RunConfig, SimulateConfig or SpectrumConfig
        The validated config.

    Raises
    ------
    TypeError
        A value of the wrong type, or a table that is not a table.
    ValueError
        An unknown table or key (the valid ones are listed), a value out of range, settings
        inconsistent across tables, or a run that needs more memory than there is.

    Examples
    --------
    >>> cfg = config_from_mapping("simulate", {"ensemble": {"n": 100}})
    >>> cfg.network.n, cfg.network.ensemble.g, cfg.simulation.n_trials
    (100, 2.0, 16)
    >>> config_from_mapping("simulate", {"simulation": {"n_quadruples": 2.5}})
    Traceback (most recent call last):
    ...
    TypeError: `simulation.n_quadruples` must be an integer; got 2.5.
    """
    tables = _tables(command, mapping)
    if command == "spectrum":
        return SpectrumConfig(
            ensemble=_build_ensemble(tables["ensemble"], jacobian=True),
            spectrum=_build("spectrum", SpectrumSettings, tables["spectrum"]),
            sensitivity=_build("sensitivity", SensitivitySettings, tables["sensitivity"]),
        )
    ensemble = _build_ensemble(tables["ensemble"], jacobian=False)
    network = _build("network", RateNetwork, tables["network"], ensemble=ensemble)
    seeds = _build("seeds", Seeds, tables["seeds"])
    _check_dt(network, tables["simulation"].get("dt"))  # before the run-length checks
    simulation = _build("simulation", SimulationSettings, tables["simulation"])
    if command == "simulate":
        return SimulateConfig(network=network, seeds=seeds, simulation=simulation)
    prediction = _build("prediction", PredictionSettings, tables["prediction"])
    return RunConfig(network=network, seeds=seeds, simulation=simulation, prediction=prediction)


def load_config(
    command: Command, path: str | Path | None = None, overrides: Sequence[str] = ()
) -> CommandConfig:
    """The config of ``command``: its preset, a CONFIG file and ``--set`` overrides, checked.

    Parameters
    ----------
    command : {"run", "simulate", "spectrum", "scaling"}
        The command.
    path : str or Path, optional
        A TOML file; its tables are merged onto the preset table by table (an empty file
        gives the defaults).
    overrides : sequence of str
        ``TABLE.KEY=VALUE`` items, applied after the file.

    Returns
    -------
    RunConfig, SimulateConfig or SpectrumConfig
        The validated config (``to_dict()`` gives the full config to record).

    Raises
    ------
    ValueError, TypeError
        As :func:`config_from_mapping`, and for an unreadable or invalid file (named, with the
        line).

    Examples
    --------
    >>> cfg = load_config("run", overrides=["ensemble.n=200", "prediction.naive=false"])
    >>> cfg.network.n, cfg.prediction.naive, cfg.simulation.max_lag
    (200, False, 20.0)
    """
    mapping = read_toml(path) if path is not None else {}
    return config_from_mapping(command, apply_overrides(mapping, list(overrides)))


__all__ = [
    "PRESETS",
    "TABLES",
    "Command",
    "CommandConfig",
    "PredictionSettings",
    "RunConfig",
    "SensitivitySettings",
    "SimulateConfig",
    "SpectrumConfig",
    "SpectrumSettings",
    "apply_overrides",
    "check_keys",
    "config_from_mapping",
    "default_mapping",
    "load_config",
    "merge_config",
    "parse_value",
    "read_toml",
]
