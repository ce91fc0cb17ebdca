"""Figures (matplotlib only; the only place randrnn imports matplotlib besides ``report``).

Each submodule takes typed results and returns matplotlib Figures or Axes:
:mod:`~randrnn.plots.run` (a :class:`~randrnn.experiments.RunResult` and a scaling result),
:mod:`~randrnn.plots.spectrum` (Jacobian spectra), :mod:`~randrnn.plots.dmft`.

Importing this package leaves the matplotlib backend alone; the commands that write figures
without a display select a non-interactive one (:func:`randrnn.report.use_headless_backend`).
"""

from __future__ import annotations
