"""Argument validation with one message style.

Every message reads ``"`<arg>` must be <constraint>; got <value>. <fix>"``. Values are shown
as a user typed them (``1.0``, not ``np.float64(1.0)``; long values shortened), shapes as
``(100,)``.

Also here: :func:`available_memory` (what this process may still allocate) and
:func:`format_bytes`, for the memory checks made before large allocations.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from randrnn._typing import Seed

#: longest value representation shown in a message
_MAX_SHOWN = 80


def show(value: Any) -> str:
    """Return ``value`` as shown in a message: numpy scalars as plain numbers, arrays by shape.

    Examples
    --------
    >>> show(np.float64(1.0)), show(2.5), show("abc"), show(np.zeros((3, 2)))
    ('1.0', '2.5', "'abc'", 'an array of shape (3, 2)')
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        return f"an array of shape {format_shape(value.shape)}"
    text = repr(value)
    if len(text) > _MAX_SHOWN:
        close = {"[": "]", "(": ")", "{": "}"}.get(text[0], "")
        text = text[: _MAX_SHOWN - 5] + " ..." + close
    return text


def format_shape(shape: Sequence[Any]) -> str:
    """Return a shape as Python writes a tuple: ``(100,)``, ``(3, 2)``, ``()``.

    Examples
    --------
    >>> format_shape((100,)), format_shape([3, "any"])
    ('(100,)', '(3, any)')
    """
    parts = [str(s) for s in shape]
    return "(" + parts[0] + ",)" if len(parts) == 1 else "(" + ", ".join(parts) + ")"


def _msg(name: str, constraint: str, value: Any, fix: str = "") -> str:
    text = f"`{name}` must be {constraint}; got {show(value)}."
    return f"{text} {fix}" if fix else text


def check_real(name: str, value: Any, fix: str = "") -> float:
    """Return ``value`` as a finite float or raise ``ValueError``/``TypeError``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(_msg(name, "a real number", value, fix))
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(_msg(name, "finite", value, fix))
    return value


def check_positive(name: str, value: Any, fix: str = "") -> float:
    """Return ``value`` if it is a finite real number > 0."""
    v = check_real(name, value, fix)
    if v <= 0:
        raise ValueError(_msg(name, "> 0", value, fix))
    return v


def check_nonnegative(name: str, value: Any, fix: str = "") -> float:
    """Return ``value`` if it is a finite real number >= 0."""
    v = check_real(name, value, fix)
    if v < 0:
        raise ValueError(_msg(name, ">= 0", value, fix))
    return v


def check_integer(name: str, value: Any, fix: str = "") -> int:
    """Return ``value`` if it is an integer (floats such as ``2.0`` and bools are refused).

    Examples
    --------
    >>> check_integer("n_quadruples", 2.5)
    Traceback (most recent call last):
    ...
    TypeError: `n_quadruples` must be an integer; got 2.5.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(_msg(name, "an integer", value, fix))
    return int(value)


def check_positive_int(name: str, value: Any, fix: str = "") -> int:
    """Return ``value`` if it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(_msg(name, "a positive integer", value, fix))
    if value < 1:
        raise ValueError(_msg(name, "a positive integer", value, fix))
    return int(value)


def check_nonnegative_int(name: str, value: Any, fix: str = "") -> int:
    """Return ``value`` if it is an integer >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(_msg(name, "a non-negative integer", value, fix))
    if value < 0:
        raise ValueError(_msg(name, "a non-negative integer", value, fix))
    return int(value)


def check_bool(name: str, value: Any, fix: str = "") -> bool:
    """Return ``value`` if it is a bool (``True``/``False``, numpy bools too); strings are refused.

    Examples
    --------
    >>> check_bool("naive", False)
    False
    >>> check_bool("naive", "false")
    Traceback (most recent call last):
    ...
    TypeError: `naive` must be true or false (a TOML boolean, unquoted); got 'false'.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(_msg(name, "true or false (a TOML boolean, unquoted)", value, fix))


def check_optional_bool(name: str, value: Any, fix: str = "") -> bool | None:
    """Return ``value`` if it is a bool or None."""
    return None if value is None else check_bool(name, value, fix)


def check_in(name: str, value: Any, options: Iterable[Any], fix: str = "") -> Any:
    """Return ``value`` if it is one of ``options``."""
    opts = list(options)
    if value not in opts:
        raise ValueError(_msg(name, f"one of {opts}", value, fix))
    return value


def check_array(
    name: str,
    value: Any,
    *,
    shape: Sequence[int | None] | None = None,
    dtype: Any = np.float64,
    finite: bool = True,
) -> np.ndarray:
    """Return ``value`` as an array of ``dtype`` with the given shape (``None`` = any length)."""
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(_msg(name, f"an array convertible to {np.dtype(dtype)}", value)) from exc
    if shape is not None:
        ok = arr.ndim == len(shape) and all(
            s is None or s == a for s, a in zip(shape, arr.shape, strict=True)
        )
        if not ok:
            want = format_shape(["any" if s is None else s for s in shape])
            raise ValueError(
                f"`{name}` must have shape {want}; got shape {format_shape(arr.shape)}."
            )
    if finite and arr.size and not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must contain only finite values; got NaN or inf.")
    return arr


def check_square(name: str, value: Any, n: int | None = None) -> np.ndarray:
    """Return ``value`` as a float64 square matrix (of size ``n`` if given)."""
    return check_array(name, value, shape=(n, n) if n is not None else (None, None))


def check_fraction(name: str, value: Any, fix: str = "") -> float:
    """Return ``value`` if it lies in [0, 1]."""
    v = check_real(name, value, fix)
    if not 0.0 <= v <= 1.0:
        raise ValueError(_msg(name, "in [0, 1]", value, fix))
    return v


def format_bytes(n_bytes: float) -> str:
    """Return a byte count in binary units: ``'7.3 TiB'``, ``'512 MiB'``.

    Examples
    --------
    >>> format_bytes(8 * 10**12), format_bytes(3 * 2**20), format_bytes(100)
    ('7.3 TiB', '3.0 MiB', '100 B')
    """
    value = float(n_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _read_int(path: str, scale: int = 1) -> int | None:
    try:
        with open(path) as fh:
            text = fh.read().strip()
    except OSError:
        return None
    return int(text) * scale if text.isdigit() else None


def _proc_field(path: str, key: str) -> int | None:
    """A ``kB`` field of a ``/proc`` status file in bytes (``MemAvailable``, ``VmSize``)."""
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def available_memory() -> int | None:
    """Bytes this process can still allocate, or None where nothing tells.

    The smallest of: the memory the kernel reports as available (``MemAvailable`` in
    ``/proc/meminfo``, else the free physical pages), what is left under a cgroup memory limit
    (containers, batch schedulers), and what is left under an address-space limit
    (``ulimit -v``).

    Returns
    -------
    int or None
        Bytes, or None on a system that reports none of these.
    """
    limits: list[int] = []
    avail = _proc_field("/proc/meminfo", "MemAvailable")
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, ValueError, OSError):
            avail = None
    if avail is not None:
        limits.append(avail)
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        limit, usage = _read_int(limit_file), _read_int(usage_file)
        if limit is not None and usage is not None and limit < 2**60:
            limits.append(max(0, limit - usage))
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY:
            used = _proc_field("/proc/self/status", "VmSize") or 0
            limits.append(max(0, soft - used))
    except (ImportError, OSError, ValueError):  # pragma: no cover - not on Windows
        pass
    return min(limits) if limits else None


def as_rng(seed: Seed) -> np.random.Generator:
    """Normalise ``seed`` (int, SeedSequence, Generator or None) to a ``Generator``."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (int, np.integer, np.random.SeedSequence)):
        return np.random.default_rng(seed)
    raise TypeError(_msg("rng", "an int, a numpy Generator, a SeedSequence or None", seed))
