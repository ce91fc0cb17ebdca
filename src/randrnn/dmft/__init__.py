r"""Dynamical mean-field theory (DMFT) of random rate networks (docs/theory.md section 2).

Stationary state of the i.i.d. Gaussian network:

- :func:`solve_stationary` -- self-consistent autocovariance :math:`\Delta(t)` for any
  nonlinearity, with white noise and static input; returns a :class:`StationarySolution`.
- :class:`FixedPoint` -- its solver settings.
- :func:`self_consistency_residual` -- re-measure the residual of a solution.

Independent check for odd :math:`\phi` without noise or input:

- :func:`solve_classical` -- the classical-particle (energy conservation) method of
  Sompolinsky, Crisanti & Sommers (1988); returns a :class:`ClassicalSolution`.
"""

from __future__ import annotations

from randrnn.dmft.classical import ClassicalSolution as ClassicalSolution
from randrnn.dmft.classical import solve_classical as solve_classical
from randrnn.dmft.stationary import FixedPoint as FixedPoint
from randrnn.dmft.stationary import StationarySolution as StationarySolution
from randrnn.dmft.stationary import self_consistency_residual as self_consistency_residual
from randrnn.dmft.stationary import solve_stationary as solve_stationary

__all__ = [
    "ClassicalSolution",
    "FixedPoint",
    "StationarySolution",
    "self_consistency_residual",
    "solve_classical",
    "solve_stationary",
]
