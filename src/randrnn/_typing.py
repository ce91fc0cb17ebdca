"""Shared type aliases for randrnn."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

FloatArray: TypeAlias = NDArray[np.floating]
ComplexArray: TypeAlias = NDArray[np.complexfloating]
IntArray: TypeAlias = NDArray[np.integer]
Seed: TypeAlias = int | np.random.Generator | np.random.SeedSequence | None
