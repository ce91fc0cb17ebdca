"""Figures (matplotlib only; the only place randrnn imports matplotlib besides ``report``).

Each submodule takes results or Datasets and returns Axes/Figures.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
