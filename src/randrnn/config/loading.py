"""From presets, CONFIG files and ``--set`` overrides to a checked command config.

Types are strict: strings are not booleans, ``2.5`` is not an integer, a value is not a table.
Every error names the full key (``simulation.n_quadruples``), the value and a fix.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import inspect
import re
import typing
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeAlias

import numpy as np

from randrnn._validation import (
    check_bool,
    check_in,
    check_integer,
    check_optional_bool,
    check_positive,
    check_real,
    show,
)
from randrnn.config.commands import (
    CommandConfig,
    FixedPointsConfig,
    LowRankConfig,
    RunConfig,
    SimulateConfig,
    SpectrumConfig,
    _check_dt,
)
from randrnn.config.tables import (
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
    ENSEMBLES,
    AbstractDistribution,
    JacobianEnsemble,
    LowRankEnsemble,
    ensemble_from_config,
)
from randrnn.io import apply_overrides, check_keys, merge_config
from randrnn.io import load_toml as read_toml
from randrnn.networks import RateNetwork, Seeds
from randrnn.rmt import CavitySettings
from randrnn.simulate import SimulationSettings

Command: TypeAlias = Literal["run", "simulate", "spectrum", "scaling", "fixedpoints", "lowrank"]

#: the commands that read a config, and the tables of each
TABLES: dict[str, tuple[str, ...]] = {
    "simulate": ("ensemble", "network", "simulation", "seeds"),
    "run": ("ensemble", "network", "simulation", "seeds", "prediction"),
    "scaling": ("ensemble", "network", "simulation", "seeds", "prediction"),
    "spectrum": ("ensemble", "spectrum", "sensitivity", "cavity", "sparse"),
    "fixedpoints": (
        "ensemble",
        "network",
        "simulation",
        "seeds",
        "fixedpoints",
        "context",
        "operating",
    ),
    "lowrank": ("lowrank", "approximation", "ensemble"),
}


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
#: the paper's examples with tanh and erf at N = 4000 over 5 realizations, and the Van der Pol
#: approximation (the dataclass defaults); no custom mixture unless an [ensemble] table is given
PRESETS["lowrank"] = {}
#: a chaotic tanh network small enough for a dense search: unstable fixed points, slow points
PRESETS["fixedpoints"] = {
    "ensemble": {"kind": "gaussian", "n": 200, "g": 1.5},
    "simulation": {"t_max": 100.0, "burn_in": 20.0, "n_trials": 4, "max_lag": 0.0},
}


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
    "cavity": CavitySettings,
    "sparse": SparseSettings,
    "fixedpoints": FixedPointSettings,
    "context": ContextSettings,
    "operating": OperatingPointSettings,
    "lowrank": LowRankSettings,
    "approximation": ApproximationSettings,
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
        cls = _TABLE_CLASSES.get(table)
        if cls is None:
            base = {}
        elif cls is OperatingPointSettings:  # fields that hold distributions: their TOML tables
            base = cls().to_config()
        else:
            base = _table_defaults(cls, ("ensemble",))
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


#: named Jacobian ensembles an ``[ensemble]`` table of ``randrnn spectrum`` can start from
#: (``preset = NAME`` plus the constructor's keyword arguments)
ENSEMBLE_PRESETS: dict[str, Callable[..., JacobianEnsemble]] = {
    "inhibitory_core": JacobianEnsemble.inhibitory_core,
}


def _preset_ensemble(table: Mapping[str, Any]) -> JacobianEnsemble:
    """Build ``[ensemble] preset = NAME`` with the other keys as keyword arguments.

    ``inhibitory_core``: :meth:`JacobianEnsemble.inhibitory_core` (Chotibut, Evnin & Horinouchi
    2025, arXiv:2512.12767; ``docs/theory.md`` section 5).
    """
    rest = dict(table)
    name = rest.pop("preset")
    if "kind" in rest:
        raise ValueError(
            f"`ensemble.preset` and `ensemble.kind` exclude each other; got preset = "
            f"{show(name)} and kind = {show(rest['kind'])}. Drop `kind` to use the preset, or "
            "`preset` to give every field."
        )
    check_in("ensemble.preset", name, sorted(ENSEMBLE_PRESETS))
    build = ENSEMBLE_PRESETS[name]
    params = inspect.signature(build).parameters
    check_keys("ensemble", rest, ["preset", *params])
    for key, value in rest.items():
        default = params[key].default
        label = f"ensemble.{key}"
        if isinstance(default, bool):
            check_bool(label, value)
        elif isinstance(default, int):
            check_integer(label, value)
        elif isinstance(default, float):
            check_real(label, value)
        elif isinstance(default, tuple):
            if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
                raise TypeError(f"`{label}` must be a list; got {show(value)}.")
            rest[key] = tuple(value)
    with _naming("ensemble", set(params)):
        try:
            return build(**rest)
        except TypeError as exc:
            if "`" in str(exc):
                raise
            # a law table with a missing or unknown field: say which table it came from
            raise TypeError(
                f"[ensemble] (preset = {name!r}): {exc}. Check the law tables (kind and its "
                "fields, e.g. {kind = 'lognormal', median = 1.0, sigma = 1.0})."
            ) from exc


def _build_ensemble(table: Mapping[str, Any], *, jacobian: bool) -> Any:
    if jacobian and "preset" in table:
        return _preset_ensemble(table)
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
    if command == "lowrank":
        ens_table = tables["ensemble"]
        custom = None
        if ens_table:
            lr = _build("lowrank", LowRankSettings, tables["lowrank"])
            custom = _build_ensemble({"n": lr.n, **ens_table}, jacobian=False)
            if not isinstance(custom, LowRankEnsemble):
                raise ValueError(
                    "`ensemble.kind` must be 'lowrank' for `randrnn lowrank` (a Gaussian-mixture "
                    f"low-rank network); got {show(ens_table.get('kind'))}."
                )
        return LowRankConfig(
            lowrank=_build("lowrank", LowRankSettings, tables["lowrank"]),
            approximation=_build("approximation", ApproximationSettings, tables["approximation"]),
            ensemble=custom,
        )
    if command == "spectrum":
        given = mapping.get("ensemble")
        if isinstance(given, Mapping) and "preset" in given:
            # a preset replaces the command's default ensemble instead of merging onto it
            tables["ensemble"] = dict(given)
        elif isinstance(given, Mapping):
            # connection probabilities and mean in-degrees are alternatives: one given replaces
            # the other of the default table
            for mine, other in (("in_degree", "connectivity"), ("connectivity", "in_degree")):
                if mine in given and other not in given:
                    tables["ensemble"].pop(other, None)
        return SpectrumConfig(
            ensemble=_build_ensemble(tables["ensemble"], jacobian=True),
            spectrum=_build("spectrum", SpectrumSettings, tables["spectrum"]),
            sensitivity=_build("sensitivity", SensitivitySettings, tables["sensitivity"]),
            cavity=_build("cavity", CavitySettings, tables["cavity"]),
            sparse=_build("sparse", SparseSettings, tables["sparse"]),
        )
    ensemble = _build_ensemble(tables["ensemble"], jacobian=False)
    network = _build("network", RateNetwork, tables["network"], ensemble=ensemble)
    seeds = _build("seeds", Seeds, tables["seeds"])
    _check_dt(network, tables["simulation"].get("dt"))  # before the run-length checks
    simulation = _build("simulation", SimulationSettings, tables["simulation"])
    if command == "simulate":
        return SimulateConfig(network=network, seeds=seeds, simulation=simulation)
    if command == "fixedpoints":
        return FixedPointsConfig(
            network=network,
            seeds=seeds,
            simulation=simulation,
            fixedpoints=_build("fixedpoints", FixedPointSettings, tables["fixedpoints"]),
            context=_build("context", ContextSettings, tables["context"]),
            operating=_build("operating", OperatingPointSettings, tables["operating"]),
        )
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
