"""Shared test configuration.

``CI=true`` selects the reduced sizes of the ``validation`` tests (see ``ci_scale``).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture
def ci() -> bool:
    """True when running in CI (validation tests shrink)."""
    return IN_CI


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator for test inputs."""
    return np.random.default_rng(12345)
