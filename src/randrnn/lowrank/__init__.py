r"""Low-rank networks: latent mean-field dynamics (docs/theory.md section 7).

Latent dynamics of Gaussian-mixture low-rank networks (Beiran, Dubreuil, Valente,
Mastrogiuseppe & Ostojic, arXiv:2007.02062):

- :class:`MixtureLatentDynamics` -- the mean-field field :math:`F(\kappa, v)` of a mixture,
  any rank, any number of components, any nonlinearity, on batches of states.
- :class:`NetworkLatentDynamics` -- the same field summed over one sampled network (exact at
  finite ``N``).
- :func:`find_latent_fixed_points`, :func:`integrate_latent`, :func:`find_limit_cycle`,
  :func:`effective_circuit`.
"""

from __future__ import annotations

from randrnn.lowrank.latent import AbstractLatentDynamics as AbstractLatentDynamics
from randrnn.lowrank.latent import EffectiveCircuit as EffectiveCircuit
from randrnn.lowrank.latent import LatentFixedPoints as LatentFixedPoints
from randrnn.lowrank.latent import LatentTrajectory as LatentTrajectory
from randrnn.lowrank.latent import LimitCycle as LimitCycle
from randrnn.lowrank.latent import MixtureLatentDynamics as MixtureLatentDynamics
from randrnn.lowrank.latent import NetworkLatentDynamics as NetworkLatentDynamics
from randrnn.lowrank.latent import effective_circuit as effective_circuit
from randrnn.lowrank.latent import find_latent_fixed_points as find_latent_fixed_points
from randrnn.lowrank.latent import find_limit_cycle as find_limit_cycle
from randrnn.lowrank.latent import integrate_latent as integrate_latent
from randrnn.lowrank.latent import latent_starts as latent_starts
from randrnn.lowrank.latent import orbit_statistics as orbit_statistics
from randrnn.lowrank.latent import poincare_crossings as poincare_crossings

__all__ = [
    "AbstractLatentDynamics",
    "EffectiveCircuit",
    "LatentFixedPoints",
    "LatentTrajectory",
    "LimitCycle",
    "MixtureLatentDynamics",
    "NetworkLatentDynamics",
    "effective_circuit",
    "find_latent_fixed_points",
    "find_limit_cycle",
    "integrate_latent",
    "latent_starts",
    "orbit_statistics",
    "poincare_crossings",
]
