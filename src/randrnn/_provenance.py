"""Package version and the provenance record attached to every result (lowest layer).

Kept apart from :mod:`randrnn.io` so that every layer (theory, measurement, I/O) can record
provenance without importing the package root or the layers above it.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

try:
    __version__ = version("randrnn")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"


def provenance() -> dict[str, Any]:
    """Return versions, machine and timestamp for the attributes of a result."""
    import scipy

    return {
        "randrnn_version": __version__,
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "python_version": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
