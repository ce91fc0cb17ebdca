"""Shared test configuration.

The slow ``validation`` tests (theory against simulation) run at a reduced size by default, so
``python -m pytest`` stays fast on a fresh clone with or without ``CI=true``. Set
``RANDRNN_FULL_VALIDATION=1`` to run them at full size (see the README).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

FULL_VALIDATION = os.environ.get("RANDRNN_FULL_VALIDATION", "").lower() in {"1", "true", "yes"}


@pytest.fixture
def reduced() -> bool:
    """True unless full-size validation was requested (``RANDRNN_FULL_VALIDATION=1``)."""
    return not FULL_VALIDATION


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator for test inputs."""
    return np.random.default_rng(12345)
