r"""Dynamical mean-field theory (DMFT) of random rate networks (docs/theory.md section 2).

Stationary state of the i.i.d. Gaussian network:

- :func:`solve_stationary` -- self-consistent autocovariance :math:`\Delta(t)` for any
  nonlinearity, with white noise and static input; returns a :class:`StationarySolution`.
- :class:`FixedPoint` -- its solver settings.
- :func:`self_consistency_residual` -- re-measure the residual of a solution.

Several populations (block variances and means, per-population timescales; docs/theory.md
section 8.4):

- :func:`solve_populations` -- order parameters per population; returns a
  :class:`PopulationSolution`.
- :func:`populations_residual` -- re-measure its residual.

Independent check for odd :math:`\phi` without noise or input:

- :func:`solve_classical` -- the classical-particle (energy conservation) method of
  Sompolinsky, Crisanti & Sommers (1988); returns a :class:`ClassicalSolution`.
"""

from __future__ import annotations

from randrnn.dmft.classical import ClassicalSolution as ClassicalSolution
from randrnn.dmft.classical import solve_classical as solve_classical
from randrnn.dmft.populations import PopulationSolution as PopulationSolution
from randrnn.dmft.populations import populations_residual as populations_residual
from randrnn.dmft.populations import solve_populations as solve_populations
from randrnn.dmft.stationary import FixedPoint as FixedPoint
from randrnn.dmft.stationary import StationarySolution as StationarySolution
from randrnn.dmft.stationary import self_consistency_residual as self_consistency_residual
from randrnn.dmft.stationary import solve_stationary as solve_stationary

__all__ = [
    "ClassicalSolution",
    "FixedPoint",
    "PopulationSolution",
    "StationarySolution",
    "populations_residual",
    "self_consistency_residual",
    "solve_classical",
    "solve_populations",
    "solve_stationary",
]
