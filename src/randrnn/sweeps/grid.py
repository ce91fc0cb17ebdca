"""The ``[sweep]`` table: which experiment, which grid, how to run it; the cells of the grid.

A sweep config is the config of one experiment plus a ``[sweep]`` table::

    [sweep]
    experiment = "run"          # run, simulate, dmft, spectrum, fixedpoints, lowrank
    realizations = 2            # independent draws per grid point (seeds spawned, see below)
    ensemble.g = [1.5, 2.0, 3.0]   # grid axes: any config field, a list of values
    ensemble.n = [500, 1000]
    network.phi = ["tanh", "erf"]

    [ensemble]                  # the experiment's own tables, as for its command
    kind = "gaussian"

- :class:`SweepSettings` -- the scalar entries of ``[sweep]`` (experiment, realizations, workers,
  retries, which per-cell arrays to keep).
- :class:`SweepAxis` -- one grid axis: the config field, its dimension name and its values.
- :class:`Cell` -- one grid point and realization: its key, coordinates and config tables.
- :class:`SweepPlan` -- the whole grid, every cell's config checked before any work starts
  (:func:`plan_sweep`).

Seeds: realization ``r`` of every grid point uses the ``r``-th child of
``SeedSequence(seed).spawn(realizations)`` for every seed field of the experiment
(:data:`SEED_FIELDS`): draws are independent across realizations and shared across the other
axes (common random numbers, so a curve along ``g`` is one realization's, not noise). The seeds
of every cell are recorded with it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from randrnn._validation import check_in, check_nonnegative_int, check_positive_int, show
from randrnn.config import TABLES, config_from_mapping, merge_config

#: the experiments a sweep can run, and the command whose tables and preset each one takes
EXPERIMENT_COMMANDS: dict[str, str] = {
    "run": "run",
    "simulate": "simulate",
    "dmft": "simulate",
    "spectrum": "spectrum",
    "fixedpoints": "fixedpoints",
    "lowrank": "lowrank",
}

#: per experiment, the seed fields (``table.key``) that realizations spawn from
SEED_FIELDS: dict[str, tuple[str, ...]] = {
    "run": ("seeds.coupling", "seeds.input", "seeds.initial", "seeds.noise"),
    "simulate": ("seeds.coupling", "seeds.input", "seeds.initial", "seeds.noise"),
    "dmft": (),
    "spectrum": ("spectrum.seed",),
    "fixedpoints": (
        "seeds.coupling",
        "seeds.input",
        "seeds.initial",
        "seeds.noise",
        "fixedpoints.seed",
    ),
    "lowrank": ("lowrank.seed",),
}

#: ``[sweep] arrays`` choices besides a list of names
ARRAY_CHOICES = ("small", "all", "none")

_SAFE = re.compile(r"[A-Za-z0-9_.+-]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepSettings:
    """The scalar entries of the ``[sweep]`` table.

    Parameters
    ----------
    experiment : {"run", "simulate", "dmft", "spectrum", "fixedpoints", "lowrank"}
        The experiment run in every cell (``dmft``: the stationary DMFT of the ``[network]``
        table of ``randrnn simulate``'s config).
    realizations : int
        Independent draws per grid point (a dimension ``realization`` of the results).
    workers : int
        Worker processes of the local cluster; 0 chooses ``cpu_count // threads_per_worker``.
    threads_per_worker : int
        Cells run at once per worker (1: a cell's memory is its process's, and the per-stage
        memory reading is exact).
    blas_threads : int
        BLAS/OpenMP threads per cell; 0 chooses ``cpu_count // (workers * threads_per_worker)``
        (at least 1).
    retries : int
        Extra attempts of a cell whose worker raised or died; then the cell is reported as
        failed and the sweep finishes the rest (a rerun tries it again).
    arrays : {"small", "all", "none"} or list of str
        Per-cell arrays kept in the cell's group: ``small`` those with at most
        ``max_array_elements`` elements, ``all``, ``none``, or the names to keep.
    max_array_elements : int
        The size limit of ``small``.
    """

    experiment: str = "run"
    realizations: int = 1
    workers: int = 0
    threads_per_worker: int = 1
    blas_threads: int = 0
    retries: int = 2
    arrays: str | tuple[str, ...] = "small"
    max_array_elements: int = 65536

    def __post_init__(self) -> None:
        check_in("sweep.experiment", self.experiment, list(EXPERIMENT_COMMANDS))
        check_positive_int("sweep.realizations", self.realizations)
        check_nonnegative_int("sweep.workers", self.workers)
        check_positive_int("sweep.threads_per_worker", self.threads_per_worker)
        check_nonnegative_int("sweep.blas_threads", self.blas_threads)
        check_nonnegative_int("sweep.retries", self.retries)
        check_nonnegative_int("sweep.max_array_elements", self.max_array_elements)
        arrays = self.arrays
        if isinstance(arrays, str):
            check_in("sweep.arrays", arrays, ARRAY_CHOICES, " or give a list of array names")
        elif isinstance(arrays, Sequence) and all(isinstance(a, str) for a in arrays):
            object.__setattr__(self, "arrays", tuple(arrays))
        else:
            raise TypeError(
                f"`sweep.arrays` must be one of {list(ARRAY_CHOICES)} or a list of array names "
                f"(e.g. ['spec_phi_pred']); got {show(arrays)}."
            )
        if self.experiment == "dmft" and self.realizations != 1:
            raise ValueError(
                f"`sweep.realizations` must be 1 for the dmft experiment (it draws nothing); got "
                f"{self.realizations}."
            )

    def to_dict(self) -> dict[str, Any]:
        """The settings as TOML-able values."""
        return {
            "experiment": self.experiment,
            "realizations": self.realizations,
            "workers": self.workers,
            "threads_per_worker": self.threads_per_worker,
            "blas_threads": self.blas_threads,
            "retries": self.retries,
            "arrays": self.arrays if isinstance(self.arrays, str) else list(self.arrays),
            "max_array_elements": self.max_array_elements,
        }

    def resolved_workers(self, cpu_count: int | None = None) -> int:
        """Worker processes for a local cluster on a machine with ``cpu_count`` cores."""
        if self.workers:
            return self.workers
        cores = cpu_count or os.cpu_count() or 1
        return max(1, cores // self.threads_per_worker)

    def resolved_blas_threads(self, workers: int, cpu_count: int | None = None) -> int:
        """BLAS threads per cell for ``workers`` workers."""
        if self.blas_threads:
            return self.blas_threads
        cores = cpu_count or os.cpu_count() or 1
        return max(1, cores // (workers * self.threads_per_worker))


@dataclass(frozen=True, slots=True)
class SweepAxis:
    """One grid axis.

    Parameters
    ----------
    field : str
        The config field, ``table.key`` (e.g. ``ensemble.g``).
    dim : str
        Its dimension name in the results: the key (``g``), or ``table_key`` when two axes
        share a key.
    values : tuple
        The grid values (numbers, strings or booleans), in the order given.
    """

    field: str
    dim: str
    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Cell:
    """One grid point and realization.

    Parameters
    ----------
    key : str
        Directory name of the cell in the store: ``dim=value`` pairs joined by ``,``.
    index : tuple of int
        Position along each dimension (the axes, then ``realization``).
    coords : dict
        The value along each dimension.
    tables : dict
        The cell's full config mapping (the base config, its axis values, its seeds).
    """

    key: str
    index: tuple[int, ...]
    coords: dict[str, Any]
    tables: dict[str, Any] = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepPlan:
    """A checked sweep: settings, axes, base config and cells.

    Parameters
    ----------
    settings : SweepSettings
        The ``[sweep]`` scalars.
    axes : tuple of SweepAxis
        The grid axes, in the order given.
    base : dict
        The experiment's config mapping without ``[sweep]`` (merged onto the command preset by
        each cell).
    cells : tuple of Cell
        Every cell, in C order over ``dims``.
    seeds : dict
        Per realization, the seed fields it uses (``{"seeds.coupling": [...], ...}``).
    """

    settings: SweepSettings
    axes: tuple[SweepAxis, ...]
    base: dict[str, Any]
    cells: tuple[Cell, ...]
    seeds: dict[str, list[int]]

    @property
    def dims(self) -> tuple[str, ...]:
        """The result dimensions: the axes, then ``realization``."""
        return (*(a.dim for a in self.axes), "realization")

    @property
    def shape(self) -> tuple[int, ...]:
        """Cells along each dimension."""
        return (*(len(a.values) for a in self.axes), self.settings.realizations)

    @property
    def command(self) -> str:
        """The command whose tables and preset the cells use."""
        return EXPERIMENT_COMMANDS[self.settings.experiment]

    def fingerprint(self) -> str:
        """A hash of what makes two sweeps' cells comparable: experiment and base config.

        Grid values may differ between two runs into one store (a grid may grow); a cell's key
        names its values, so a cell computed before is reused only where its values recur.
        """
        text = json.dumps(
            {"experiment": self.settings.experiment, "base": self.base}, sort_keys=True, default=str
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-able values (recorded in the store)."""
        return {
            "settings": self.settings.to_dict(),
            "axes": [{"field": a.field, "dim": a.dim, "values": list(a.values)} for a in self.axes],
            "base": self.base,
            "seeds": self.seeds,
            "fingerprint": self.fingerprint(),
        }


def realization_seeds(base: int, n_realizations: int) -> tuple[int, ...]:
    """Seeds of ``n_realizations`` independent realizations derived from ``base``.

    The ``r``-th is drawn from the ``r``-th child of ``SeedSequence(base).spawn(n)``, so the
    first ``k`` seeds do not depend on ``n``.

    Examples
    --------
    >>> a = realization_seeds(0, 3)
    >>> len(set(a)), a == realization_seeds(0, 3), a[:2] == realization_seeds(0, 2)
    (3, True, True)
    """
    import numpy as np

    children = np.random.SeedSequence(int(base)).spawn(int(n_realizations))
    return tuple(int(c.generate_state(1, dtype=np.uint32)[0]) for c in children)


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _axis_values(name: str, values: Any) -> tuple[Any, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(
            f"the sweep axis `sweep.{name}` must be a list of values (e.g. {name} = [1.5, 2.0]); "
            f"got {show(values)}."
        )
    if not values:
        raise ValueError(f"the sweep axis `sweep.{name}` is empty; give at least one value.")
    kinds = set()
    for v in values:
        if isinstance(v, bool):
            kinds.add("bool")
        elif isinstance(v, (int, float)):
            if isinstance(v, float) and not math.isfinite(v):
                raise ValueError(f"`sweep.{name}` holds {v!r}; give finite values.")
            kinds.add("number")
        elif isinstance(v, str):
            if not _SAFE.fullmatch(v):
                raise ValueError(
                    f"`sweep.{name}` holds {v!r}; string values may use letters, digits and "
                    "'_.+-' only (they name the cells' directories)."
                )
            kinds.add("str")
        else:
            raise TypeError(
                f"`sweep.{name}` must hold numbers, strings or booleans (one per grid point); got "
                f"{show(v)}. Sweep a table-valued field through several config files instead."
            )
    if len(kinds) > 1:
        raise TypeError(f"`sweep.{name}` mixes {sorted(kinds)}; give values of one type.")
    if len({_format_value(v) for v in values}) != len(values):
        raise ValueError(f"`sweep.{name}` repeats a value; got {list(values)!r}.")
    return tuple(values)


def _parse_sweep(table: Any, command_tables: Sequence[str]) -> tuple[dict[str, Any], list[Any]]:
    """Split ``[sweep]`` into its scalar settings and its axes ``(field, values)``."""
    if not isinstance(table, Mapping):
        raise TypeError(f"`sweep` must be a table ([sweep]); got {show(table)}.")
    scalars: dict[str, Any] = {}
    axes: list[tuple[str, Any]] = []
    names = SweepSettings.__dataclass_fields__  # type: ignore[attr-defined]
    for key, value in table.items():
        if isinstance(value, Mapping):
            if key not in command_tables:
                raise ValueError(
                    f"`sweep.{key}` names no table of this experiment; axes are `TABLE.KEY = "
                    f"[values]` with TABLE one of {list(command_tables)}."
                )
            for sub, values in value.items():
                if isinstance(values, Mapping):
                    raise TypeError(
                        f"`sweep.{key}.{sub}` is a table; an axis is `{key}.KEY = [values]`."
                    )
                axes.append((f"{key}.{sub}", values))
        elif key in names:
            scalars[key] = value
        else:
            raise ValueError(
                f"unknown key `sweep.{key}`; the [sweep] table takes {sorted(names)} and axes "
                "`TABLE.KEY = [values]`."
            )
    return scalars, axes


def _dims(fields: Sequence[str]) -> list[str]:
    keys = [f.split(".", 1)[1] for f in fields]
    dims = [
        k if keys.count(k) == 1 else f.replace(".", "_") for k, f in zip(keys, fields, strict=True)
    ]
    if "realization" in dims:
        raise ValueError("a sweep axis may not be named `realization`; it is the draws' dimension.")
    return dims


def _set(tables: dict[str, Any], path: str, value: Any) -> None:
    table, key = path.split(".", 1)
    tables.setdefault(table, {})[key] = value


def _get(tables: Mapping[str, Any], path: str, default: Any) -> Any:
    table, key = path.split(".", 1)
    return tables.get(table, {}).get(key, default)


def plan_sweep(mapping: Mapping[str, Any]) -> SweepPlan:
    """Check a sweep config and list its cells.

    Parameters
    ----------
    mapping : mapping
        The config: a ``[sweep]`` table and the experiment's own tables.

    Returns
    -------
    SweepPlan
        Every cell's config has been built and checked (types, ranges, memory) before this
        returns, so a bad grid value fails before any work.

    Raises
    ------
    ValueError, TypeError
        A bad ``[sweep]`` entry, an axis over an unknown table, or a cell whose config fails
        (the message names the cell).

    Examples
    --------
    >>> plan = plan_sweep({"sweep": {"experiment": "dmft", "ensemble": {"g": [0.5, 2.0]}}})
    >>> plan.dims, plan.shape, plan.cells[1].key
    (('g', 'realization'), (2, 1), 'g=2.0,realization=0')
    """
    if not isinstance(mapping, Mapping):
        raise TypeError(f"the sweep config must be a table of tables; got {show(mapping)}.")
    if "sweep" not in mapping:
        raise ValueError(
            "the sweep config has no [sweep] table; add one naming the experiment and the axes, "
            "e.g. [sweep] experiment = 'run', ensemble.g = [1.5, 2.0]."
        )
    experiment = (
        mapping["sweep"].get("experiment", "run")
        if isinstance(mapping["sweep"], Mapping)
        else "run"
    )
    check_in("sweep.experiment", experiment, list(EXPERIMENT_COMMANDS))
    command = EXPERIMENT_COMMANDS[experiment]
    scalars, raw_axes = _parse_sweep(mapping["sweep"], TABLES[command])
    settings = SweepSettings(**scalars)
    base = {k: v for k, v in mapping.items() if k != "sweep"}
    fields = [f for f, _ in raw_axes]
    if len(set(fields)) != len(fields):
        raise ValueError(f"a sweep axis is given twice: {fields}.")
    dims = _dims(fields)
    axes = tuple(
        SweepAxis(f, d, _axis_values(f, v)) for (f, v), d in zip(raw_axes, dims, strict=True)
    )
    seed_fields = SEED_FIELDS[experiment]
    overlap = set(fields) & set(seed_fields)
    if overlap:
        raise ValueError(
            f"the sweep axis {sorted(overlap)} is a seed; use `sweep.realizations` for "
            "independent draws (seeds are spawned per realization)."
        )
    defaults = config_from_mapping(command, base).to_dict()  # type: ignore[arg-type]
    seeds = {
        f: list(realization_seeds(_get(defaults, f, 0), settings.realizations)) for f in seed_fields
    }
    import itertools

    cells = []
    for index in itertools.product(
        *(range(n) for n in (*(len(a.values) for a in axes), settings.realizations))
    ):
        coords = {a.dim: a.values[i] for a, i in zip(axes, index, strict=False)}
        r = index[-1]
        coords["realization"] = r
        override: dict[str, Any] = {}
        for a, i in zip(axes, index, strict=False):
            _set(override, a.field, a.values[i])
        for f in seed_fields:
            _set(override, f, seeds[f][r])
        tables = base
        for table, values in override.items():
            tables = merge_config(tables, {table: values})
        key = ",".join(f"{d}={_format_value(v)}" for d, v in coords.items())
        try:
            config_from_mapping(command, tables)  # type: ignore[arg-type]
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"sweep cell {key}: {exc}") from exc
        cells.append(Cell(key=key, index=tuple(index), coords=coords, tables=tables))
    return SweepPlan(settings=settings, axes=axes, base=dict(base), cells=tuple(cells), seeds=seeds)
