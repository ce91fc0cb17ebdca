"""Config files, provenance and atomic writing of results.

- :func:`save_dataset` -- write an ``xarray.Dataset`` to Zarr atomically (temporary name, rename).
- :func:`write_json` -- write JSON atomically.
- :func:`provenance` -- versions, machine and timestamp to record with every result.
- :func:`load_toml`, :func:`apply_overrides` -- TOML configs with ``--set key=value`` overrides.
- :class:`AtomicDirectory` -- build a directory (e.g. a Zarr store) under a temporary name.
"""

from __future__ import annotations

import json
import os
import shutil
import tomllib
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from randrnn._provenance import provenance as provenance


class AtomicDirectory:
    """Context manager: a temporary sibling directory renamed to ``path`` on success.

    On an exception (including ``KeyboardInterrupt``) the temporary directory is removed and
    ``path`` is left untouched, so an interrupted run never leaves a half-written store.

    Parameters
    ----------
    path : str or Path
        Final location. An existing directory there is replaced only on success.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.tmp = self.path.with_name(f".{self.path.name}.tmp-{uuid.uuid4().hex[:8]}")

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self.tmp

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        if self.path.exists():
            old = self.path.with_name(f".{self.path.name}.old-{uuid.uuid4().hex[:8]}")
            os.replace(self.path, old)
            os.replace(self.tmp, self.path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(self.tmp, self.path)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


def to_json(obj: Any) -> str:
    """Serialise ``obj`` (dicts, lists, numpy scalars/arrays) to a JSON string."""
    return json.dumps(_jsonable(obj), indent=2, sort_keys=False)


def write_json(obj: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``obj`` as JSON to ``path`` atomically.

    Parameters
    ----------
    obj : object
        JSON-able data (numpy scalars and arrays are converted).
    path : str or Path
        Destination.

    Returns
    -------
    Path
        The written path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    tmp.write_text(to_json(obj) + "\n")
    os.replace(tmp, path)
    return path


def save_dataset(
    ds: Any,
    path: str | os.PathLike[str],
    *,
    group: str | None = None,
    into_existing: bool = False,
) -> Path:
    """Write an ``xarray.Dataset`` to a Zarr store atomically.

    Dataset attributes that are dicts or lists are stored as JSON strings.

    Parameters
    ----------
    ds : xarray.Dataset
        The data.
    path : str or Path
        Destination store (a directory).
    group : str, optional
        Zarr group inside the store.
    into_existing : bool
        Write into ``path`` directly (``mode="a"``), for a store that is itself being built
        under a temporary name (see :class:`AtomicDirectory`).

    Returns
    -------
    Path
        The written store.
    """
    ds = ds.copy()
    ds.attrs = {
        k: (to_json(v) if isinstance(v, (dict, list, tuple)) else _jsonable(v))
        for k, v in ds.attrs.items()
    }
    if into_existing:
        ds.to_zarr(path, mode="a", group=group, consolidated=False)
        return Path(path)
    with AtomicDirectory(path) as tmp:
        ds.to_zarr(tmp, mode="w", group=group, consolidated=False)
    return Path(path)


def load_dataset(path: str | os.PathLike[str], *, group: str | None = None) -> Any:
    """Open a Zarr store written by :func:`save_dataset` (JSON attributes decoded)."""
    import xarray as xr

    ds = xr.open_zarr(path, group=group, consolidated=False).load()
    for k, v in list(ds.attrs.items()):
        if isinstance(v, str) and v[:1] in "[{":
            try:
                ds.attrs[k] = json.loads(v)
            except json.JSONDecodeError:
                pass
    return ds


def load_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a TOML config file."""
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def _parse_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(
    config: dict[str, Any], overrides: list[str] | tuple[str, ...]
) -> dict[str, Any]:
    """Apply ``section.key=value`` overrides (values parsed as TOML, else strings).

    Parameters
    ----------
    config : dict
        Nested config (modified copy returned).
    overrides : list of str
        Items like ``"network.sigma=0.5"`` or ``"ensemble.g=2"``.

    Returns
    -------
    dict
        The updated config.
    """
    out = json.loads(json.dumps(config))
    for item in overrides:
        if "=" not in item:
            raise ValueError(f"`--set` must be key=value (e.g. ensemble.g=2.0); got {item!r}.")
        key, text = item.split("=", 1)
        parts = key.strip().split(".")
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ValueError(f"`--set` key {key!r} goes through a non-table value.")
        node[parts[-1]] = _parse_value(text.strip())
    return out


def check_keys(section: str, given: dict[str, Any], valid: list[str] | tuple[str, ...]) -> None:
    """Raise ``ValueError`` listing the valid keys if ``given`` has unknown ones."""
    unknown = sorted(set(given) - set(valid))
    if unknown:
        raise ValueError(f"unknown key(s) {unknown} in [{section}]; valid keys: {sorted(valid)}.")


# ----------------------------------------------------------------------------------------------
# Experiment configs: TOML tables map 1:1 onto the spec dataclasses.

#: tables of an experiment config and the dataclass fields each accepts
CONFIG_TABLES = ("ensemble", "network", "simulation", "seeds")

DEFAULT_SIMULATE_CONFIG: dict[str, Any] = {
    "ensemble": {"kind": "gaussian", "n": 1000, "g": 2.0},
    "network": {"phi": "tanh", "tau": 1.0, "sigma": 0.0, "sigma_b": 0.0},
    "simulation": {"dt": 0.05, "t_max": 200.0, "burn_in": 50.0, "n_trials": 16},
    "seeds": {"coupling": 0, "input": 1, "initial": 2, "noise": 3},
}


def merge_config(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated table-by-table with ``override`` (one level of nesting)."""
    out = json.loads(json.dumps(base))
    for key, val in override.items():
        if isinstance(val, dict) and isinstance(out.get(key), dict):
            out[key].update(val)
        else:
            out[key] = val
    return out


def experiment_from_config(config: dict[str, Any]) -> tuple[Any, Any, Any]:
    """Build ``(RateNetwork, Seeds, SimulationSettings)`` from a config mapping.

    Parameters
    ----------
    config : dict
        Tables ``ensemble``, ``network``, ``simulation``, ``seeds``; keys are the dataclass
        fields. Unknown tables or keys raise ``ValueError`` listing the valid ones.

    Returns
    -------
    tuple
        The network spec, the seeds and the simulation settings.
    """
    from randrnn.ensembles import ensemble_from_config
    from randrnn.networks import RateNetwork, Seeds
    from randrnn.simulate import SimulationSettings

    check_keys("config", config, CONFIG_TABLES)
    ens = ensemble_from_config(config.get("ensemble", {}))
    net_cfg = dict(config.get("network", {}))
    check_keys("network", net_cfg, ("phi", "tau", "sigma", "sigma_b", "b"))
    network = RateNetwork(ensemble=ens, **net_cfg)
    seeds_cfg = config.get("seeds", {})
    check_keys("seeds", seeds_cfg, tuple(Seeds.__dataclass_fields__))
    seeds = Seeds(**seeds_cfg)
    sim_cfg = dict(config.get("simulation", {}))
    check_keys("simulation", sim_cfg, tuple(SimulationSettings.__dataclass_fields__))
    if "record_units" in sim_cfg:
        sim_cfg["record_units"] = tuple(sim_cfg["record_units"])
    settings = SimulationSettings(**sim_cfg)
    return network, seeds, settings
