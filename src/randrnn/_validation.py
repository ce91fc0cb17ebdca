"""Argument validation with one message style.

Every message reads ``"`<arg>` must be <constraint>; got <value>. <fix>"``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from randrnn._typing import Seed


def _msg(name: str, constraint: str, value: Any, fix: str = "") -> str:
    text = f"`{name}` must be {constraint}; got {value!r}."
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
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"`{name}` must have shape {want}; got shape {arr.shape}.")
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


def as_rng(seed: Seed) -> np.random.Generator:
    """Normalise ``seed`` (int, SeedSequence, Generator or None) to a ``Generator``."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (int, np.integer, np.random.SeedSequence)):
        return np.random.default_rng(seed)
    raise TypeError(_msg("rng", "an int, a numpy Generator, a SeedSequence or None", seed))
