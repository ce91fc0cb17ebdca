"""Config files, provenance and atomic writing of results.

- :func:`save_dataset` -- write an ``xarray.Dataset`` to Zarr atomically (temporary name, rename),
  with consolidated metadata so a plain ``xarray.open_zarr`` opens it.
- :func:`write_json` -- write strict JSON atomically (NaN and inf become ``null``).
- :func:`write_file_atomic` -- write bytes or text atomically; the temporary file is removed on
  any failure (a full disk, an interrupt).
- :func:`provenance` -- versions, machine and timestamp to record with every result.
- :func:`load_toml`, :func:`apply_overrides` -- TOML configs with ``--set key=value`` overrides.
- :class:`AtomicDirectory` -- build a directory (e.g. a Zarr store) under a temporary name.
- :func:`replace_directory` -- move a finished directory into place; a reader sees the old or the
  new one, never a mix, and concurrent writers do not collide (the last one wins).
- :func:`temp_sibling`, :func:`remove_stale_siblings` -- temporary names that carry the writer's
  process id, so leftovers of killed processes are recognised and removed by the next writer.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import errno
import json
import math
import os
import re
import shutil
import sys
import tomllib
import uuid
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from randrnn._provenance import provenance as provenance
from randrnn._validation import show

#: kinds of temporary sibling a writer creates (see :func:`temp_sibling`)
_TEMP_KINDS = ("tmp", "old")
#: attempts of :func:`replace_directory` when concurrent writers keep replacing the target
_REPLACE_ATTEMPTS = 100


def temp_sibling(path: str | os.PathLike[str], kind: str = "tmp") -> Path:
    """Return a fresh hidden sibling name ``.<name>.<kind>-<pid>-<random>`` of ``path``.

    The process id in the name lets a later writer recognise the leftovers of a process that was
    killed (see :func:`remove_stale_siblings`). A sibling lives on the same file system, so it can
    be renamed onto ``path`` atomically.

    Parameters
    ----------
    path : str or Path
        The final location.
    kind : {"tmp", "old"}
        ``"tmp"`` for something being written, ``"old"`` for something being replaced.

    Returns
    -------
    Path
        A name that does not exist yet.
    """
    if kind not in _TEMP_KINDS:
        raise ValueError(f"`kind` must be one of {list(_TEMP_KINDS)}; got {kind!r}.")
    path = Path(path)
    return path.with_name(f".{path.name}.{kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def pause_point(stage: str) -> None:
    """Testing hook: wait at ``stage`` when the variable ``RANDRNN_TEST_PAUSE_AT`` names it.

    Fault-injection tests send a signal to a process paused at a known point of its output
    writing. The process writes ``randrnn: paused at <stage>`` to stderr, then waits
    ``RANDRNN_TEST_PAUSE_SECONDS`` seconds (default 60) and carries on. Stages:
    ``saved:<store name>`` (after :func:`save_dataset`), ``wrote:<file name>`` (after
    :func:`write_file_atomic`), and those of :class:`randrnn.rundir.OutputDirectory`.
    """
    if os.environ.get("RANDRNN_TEST_PAUSE_AT") != stage:
        return
    import time

    sys.stderr.write(f"randrnn: paused at {stage} (pid {os.getpid()})\n")
    sys.stderr.flush()
    deadline = time.monotonic() + float(os.environ.get("RANDRNN_TEST_PAUSE_SECONDS", "60"))
    while time.monotonic() < deadline:
        time.sleep(0.02)


def pid_alive(pid: int) -> bool:
    """Return whether a process with id ``pid`` exists on this machine (zombies count)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists but belongs to another user
        return True
    except OSError:
        return False
    return True


def stale_siblings(path: str | os.PathLike[str]) -> list[Path]:
    """Temporary siblings of ``path`` (see :func:`temp_sibling`) whose writer no longer runs.

    Names without a process id (written by older versions) are not listed: nothing tells
    whether their writer still runs.
    """
    path = Path(path)
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(?:{'|'.join(_TEMP_KINDS)})-(\d+)-[0-9a-f]+")
    try:
        entries = list(path.parent.iterdir())
    except OSError:
        return []
    return sorted(
        e for e in entries if (m := pattern.fullmatch(e.name)) and not pid_alive(int(m.group(1)))
    )


def remove_stale_siblings(path: str | os.PathLike[str]) -> list[Path]:
    """Remove the leftovers of killed writers of ``path``; return what was removed."""
    removed = []
    for entry in stale_siblings(path):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()
        if not os.path.lexists(entry):
            removed.append(entry)
    return removed


def _renameat2() -> Any:
    """``renameat2`` from the C library (Linux), or None."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step; False if the OS or file system cannot."""
    func = _renameat2()
    if func is None:
        return False
    import ctypes

    at_fdcwd, rename_exchange = -100, 2
    if func(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOENT, errno.ENOTDIR):
        return False  # not supported here, or the target vanished: use plain renames
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def replace_directory(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Move the finished directory ``src`` to ``dst``, replacing a directory there.

    A reader of ``dst`` sees the old or the new directory, never a mix: on Linux the two are
    exchanged in one step (``renameat2``); elsewhere the old one is renamed aside first (so
    ``dst`` is briefly absent). The replaced directory is deleted. Concurrent callers with the
    same ``dst`` do not fail; the last one wins. If the move fails, ``src`` and the previous
    ``dst`` are left as they were.

    Parameters
    ----------
    src : str or Path
        The new directory, on the same file system as ``dst`` (e.g. a :func:`temp_sibling`).
    dst : str or Path
        The final location.
    """
    src, dst = Path(src), Path(dst)
    busy = (errno.ENOTEMPTY, errno.EEXIST)
    for _ in range(_REPLACE_ATTEMPTS):
        try:
            os.rename(src, dst)  # dst absent or an empty directory
            return
        except OSError as exc:
            if exc.errno not in busy:
                raise
        if _exchange(src, dst):  # src now holds the replaced directory
            shutil.rmtree(src, ignore_errors=True)
            return
        old = temp_sibling(dst, "old")
        try:
            os.rename(dst, old)
        except FileNotFoundError:
            continue  # another writer moved it away: try again
        try:
            os.rename(src, dst)
        except OSError as exc:
            if exc.errno in busy:  # another writer got in between: replace theirs next round
                shutil.rmtree(old, ignore_errors=True)
                continue
            with contextlib.suppress(OSError):
                os.rename(old, dst)
            raise
        shutil.rmtree(old, ignore_errors=True)
        return
    raise OSError(
        errno.EBUSY,
        f"could not replace {dst}: other writers kept replacing it ({_REPLACE_ATTEMPTS} attempts)",
        str(dst),
    )


class AtomicDirectory:
    """Context manager: an empty temporary sibling directory moved to ``path`` on success.

    On an exception (including ``KeyboardInterrupt``) the temporary directory is removed and
    ``path`` is left untouched, so an interrupted write never leaves a half-written store. On
    entry, the leftovers of killed writers of ``path`` are removed. The move is done by
    :func:`replace_directory`, so concurrent writers of one ``path`` do not collide.

    Parameters
    ----------
    path : str or Path
        Final location. An existing directory there is replaced only on success.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.tmp = temp_sibling(self.path, "tmp")

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_siblings(self.path)
        self.tmp.mkdir()
        return self.tmp

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        try:
            replace_directory(self.tmp, self.path)
        except BaseException:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise


def _jsonable(obj: Any) -> Any:
    """Plain JSON types for ``obj``; NaN and inf become None (JSON ``null``)."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def to_json(obj: Any) -> str:
    """Serialise ``obj`` (dicts, lists, numpy scalars/arrays) to a strict JSON string.

    NaN and inf (undefined or unbounded values) are written as ``null``, so every JSON parser
    reads the result.
    """
    return json.dumps(_jsonable(obj), indent=2, sort_keys=False, allow_nan=False)


def write_file_atomic(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary sibling file and a rename.

    A reader sees the old file or the complete new one. On any failure (a full disk, a
    permission error, an interrupt) the temporary file is removed and ``path`` is unchanged.

    Parameters
    ----------
    path : str or Path
        Destination; missing parent directories are created.
    data : bytes or str
        The content (text is encoded as UTF-8).

    Returns
    -------
    Path
        The written path.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(path, "tmp")
    try:
        with open(tmp, "xb") as fh:
            fh.write(payload)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    pause_point(f"wrote:{path.name}")
    return path


def write_json(obj: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``obj`` as strict JSON to ``path`` atomically.

    Parameters
    ----------
    obj : object
        JSON-able data (numpy scalars and arrays are converted; NaN and inf become ``null``).
    path : str or Path
        Destination.

    Returns
    -------
    Path
        The written path.
    """
    return write_file_atomic(path, to_json(obj) + "\n")


def save_dataset(
    ds: Any,
    path: str | os.PathLike[str],
    *,
    group: str | None = None,
    into_existing: bool = False,
) -> Path:
    """Write an ``xarray.Dataset`` to a Zarr store atomically.

    Dataset attributes that are dicts or lists are stored as JSON strings (NaN as ``null``).
    The store carries consolidated metadata, so a plain ``xarray.open_zarr`` opens it without a
    warning. Concurrent writers of one ``path`` do not collide (the last one wins) and leave no
    temporary directories behind.

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
        _to_zarr(ds, path, mode="a", group=group)
    else:
        with AtomicDirectory(path) as tmp:
            _to_zarr(ds, tmp, mode="w", group=group)
    pause_point(f"saved:{Path(path).name}")
    return Path(path)


def _to_zarr(ds: Any, path: str | os.PathLike[str], *, mode: str, group: str | None) -> None:
    # Zarr 3 warns that consolidated metadata is not yet part of its format-3 specification;
    # xarray and zarr-python read it, and it spares readers a warning and a slow directory scan.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Consolidated metadata is currently not part", category=UserWarning
        )
        # string labels (coordinates such as "context 1") have no Zarr 3 data-type spec yet;
        # zarr-python and xarray read them, which is what the stores are for
        warnings.filterwarnings(
            "ignore", message="The data type .* does not have a Zarr V3 specification"
        )
        ds.to_zarr(path, mode=mode, group=group, consolidated=True)


def load_dataset(path: str | os.PathLike[str], *, group: str | None = None) -> Any:
    """Open a Zarr store written by :func:`save_dataset` (JSON attributes decoded).

    Stores without consolidated metadata (written by older versions) are opened too.
    """
    import xarray as xr

    try:
        ds = xr.open_zarr(path, group=group, consolidated=True).load()
    except (KeyError, ValueError):
        ds = xr.open_zarr(path, group=group, consolidated=False).load()
    for k, v in list(ds.attrs.items()):
        if isinstance(v, str) and v[:1] in "[{":
            try:
                ds.attrs[k] = json.loads(v)
            except json.JSONDecodeError:
                pass
    return ds


# ----------------------------------------------------------------------------------------------
# Config files as plain tables. The command configs (one dataclass per table, the presets, the
# checks across tables) are in :mod:`randrnn.config`, which builds on these.

#: tables of a ``randrnn simulate`` config
CONFIG_TABLES = ("ensemble", "network", "simulation", "seeds")


def load_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a TOML config file; errors name the file (and the line for a syntax error).

    A UTF-8 byte-order mark is accepted (some Windows editors write one).

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    dict
        The parsed tables.

    Raises
    ------
    ValueError
        When the file cannot be read, is not UTF-8 (e.g. UTF-16), or is not valid TOML.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(f"CONFIG {str(path)!r} cannot be read: {exc.strerror or exc}.") from exc
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    fix = "Save it as UTF-8 (the editor's 'encoding' setting)."
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw:
        raise ValueError(
            f"CONFIG must be UTF-8 TOML; got {str(path)!r}, which looks like UTF-16 or UTF-32 "
            f"(it has NUL bytes). {fix}"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"CONFIG must be UTF-8 TOML; got {str(path)!r}, which is not valid UTF-8 (byte "
            f"0x{raw[exc.start]:02x} at position {exc.start}). {fix}"
        ) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"CONFIG {str(path)!r} is not valid TOML: {exc}.") from exc


def parse_value(text: str) -> Any:
    """Parse the value of ``--set KEY=VALUE`` as TOML; text that is not TOML stays a string.

    Examples
    --------
    >>> parse_value("2"), parse_value("false"), parse_value("tanh"), parse_value('"false"')
    (2, False, 'tanh', 'false')
    """
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(
    config: Mapping[str, Any], overrides: Sequence[str] | tuple[str, ...]
) -> dict[str, Any]:
    """Apply ``TABLE.KEY=VALUE`` overrides (values parsed as TOML, else strings).

    Parameters
    ----------
    config : mapping
        Nested config (not modified; a copy is returned).
    overrides : sequence of str
        Items like ``"network.sigma=0.5"`` or ``"ensemble.g=2"``.

    Returns
    -------
    dict
        The updated config.

    Raises
    ------
    ValueError
        For an item without ``=`` or a key through a value that is not a table.
    """
    out = copy.deepcopy(dict(config))
    for item in overrides:
        if not isinstance(item, str) or "=" not in item:
            raise ValueError(f"`--set` must be key=value (e.g. ensemble.g=2.0); got {show(item)}.")
        key, text = item.split("=", 1)
        parts = key.strip().split(".")
        node = out
        for i, p in enumerate(parts[:-1]):
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                where = ".".join(parts[: i + 1])
                raise ValueError(
                    f"`--set {key.strip()}` goes through `{where}`, which is not a table; got "
                    f"{where} = {show(node)}."
                )
        node[parts[-1]] = parse_value(text.strip())
    return out


def merge_config(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated table by table with ``override`` (one level of nesting).

    A table of ``override`` with a ``kind`` other than the one in ``base`` replaces the table
    (the keys of one ensemble kind mean nothing to another); a value that is not a table
    replaces whatever was there (and is refused later, naming the table).

    Examples
    --------
    >>> merge_config({"ensemble": {"kind": "gaussian", "n": 10, "g": 2.0}},
    ...              {"ensemble": {"g": 3.0}})
    {'ensemble': {'kind': 'gaussian', 'n': 10, 'g': 3.0}}
    >>> merge_config({"ensemble": {"kind": "gaussian", "n": 10, "g": 2.0}},
    ...              {"ensemble": {"kind": "block", "n": 5}})
    {'ensemble': {'kind': 'block', 'n': 5}}
    """
    out = copy.deepcopy(dict(base))
    for key, val in override.items():
        cur = out.get(key)
        if isinstance(val, Mapping) and isinstance(cur, dict):
            if "kind" in val and "kind" in cur and val["kind"] != cur["kind"]:
                out[key] = copy.deepcopy(dict(val))
            else:
                cur.update(copy.deepcopy(dict(val)))
        else:
            out[key] = copy.deepcopy(val)
    return out


def check_keys(section: str, given: Mapping[str, Any], valid: Sequence[str]) -> None:
    """Raise ``ValueError`` listing the valid keys if ``given`` has unknown ones."""
    unknown = sorted(set(given) - set(valid), key=str)
    if unknown:
        hint = ""
        close = difflib.get_close_matches(str(unknown[0]), [str(v) for v in valid], n=1)
        if close:
            hint = f" Did you mean {close[0]!r}?"
        raise ValueError(
            f"unknown key(s) {unknown} in [{section}]; valid keys: {sorted(valid)}.{hint}"
        )


def _parse_value(text: str) -> Any:
    return parse_value(text)


def experiment_from_config(config: dict[str, Any]) -> tuple[Any, Any, Any]:
    """Build ``(RateNetwork, Seeds, SimulationSettings)`` from complete tables.

    No defaults are merged in and nothing is checked across tables: use
    :func:`randrnn.config.config_from_mapping` (``"simulate"``) for a command's config.

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
    for table, value in config.items():
        if not isinstance(value, dict):
            raise TypeError(
                f"`{table}` must be a table ([{table}] or --set {table}.KEY=VALUE); got {value!r}."
            )
    ens = ensemble_from_config(config.get("ensemble", {}))
    net_cfg = dict(config.get("network", {}))
    check_keys("network", net_cfg, ("phi", "tau", "sigma", "sigma_b", "b"))
    network = RateNetwork(ensemble=ens, **net_cfg)
    seeds_cfg = config.get("seeds", {})
    check_keys("seeds", seeds_cfg, tuple(Seeds.__dataclass_fields__))
    seeds = Seeds(**seeds_cfg)
    sim_cfg = dict(config.get("simulation", {}))
    check_keys("simulation", sim_cfg, tuple(SimulationSettings.__dataclass_fields__))
    return network, seeds, SimulationSettings(**sim_cfg)
