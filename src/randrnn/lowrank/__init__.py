r"""Low-rank networks: latent mean-field dynamics (docs/theory.md section 7).

Latent dynamics of Gaussian-mixture low-rank networks (Beiran, Dubreuil, Valente,
Mastrogiuseppe & Ostojic, arXiv:2007.02062):

- :class:`MixtureLatentDynamics` -- the mean-field field :math:`F(\kappa, v)` of a mixture,
  any rank, any number of components, any nonlinearity, on batches of states.
- :class:`NetworkLatentDynamics` -- the same field summed over one sampled network (exact at
  finite ``N``).
- :func:`find_latent_fixed_points`, :func:`integrate_latent`, :func:`find_limit_cycle`,
  :func:`effective_circuit`.
- :func:`fit_flow` -- a mixture whose latent field approximates a given 2-D flow
  (:func:`van_der_pol`, :func:`stuart_landau`, any :class:`FlowTarget`), the n-statistics
  fitted with the sampled network's finite-size noise as penalty; :func:`sample_flow_network`,
  :func:`network_limit_cycles`, :func:`latent_field_noise`.

Low-rank linear RNNs and latent linear dynamical systems (Valente, Ostojic & Pillow,
arXiv:2110.09804; :mod:`randrnn.lowrank.lds`):

- :class:`LowRankLinearRNN`, :class:`LatentLDS` -- the two models, discrete or continuous time.
- :func:`rnn_to_lds` (exact), :func:`lds_to_rnn` (in its limits, else
  :class:`NotConvertibleError`), :func:`output_autocovariance`, :func:`markov_gap`,
  :func:`kalman_predicted_cov`, :func:`to_dynamax`, :func:`from_dynamax`.
"""

from __future__ import annotations

from randrnn.lowrank.approximation import ComponentStatistics as ComponentStatistics
from randrnn.lowrank.approximation import FlowFit as FlowFit
from randrnn.lowrank.approximation import FlowTarget as FlowTarget
from randrnn.lowrank.approximation import NetworkCycles as NetworkCycles
from randrnn.lowrank.approximation import draw_component_statistics as draw_component_statistics
from randrnn.lowrank.approximation import fit_flow as fit_flow
from randrnn.lowrank.approximation import latent_field_noise as latent_field_noise
from randrnn.lowrank.approximation import network_limit_cycles as network_limit_cycles
from randrnn.lowrank.approximation import sample_flow_network as sample_flow_network
from randrnn.lowrank.approximation import stuart_landau as stuart_landau
from randrnn.lowrank.approximation import van_der_pol as van_der_pol
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
from randrnn.lowrank.latent import poincare_section as poincare_section
from randrnn.lowrank.lds import LatentLDS as LatentLDS
from randrnn.lowrank.lds import LowRankLinearRNN as LowRankLinearRNN
from randrnn.lowrank.lds import MarkovGap as MarkovGap
from randrnn.lowrank.lds import NotConvertibleError as NotConvertibleError
from randrnn.lowrank.lds import UnstableDynamicsError as UnstableDynamicsError
from randrnn.lowrank.lds import from_dynamax as from_dynamax
from randrnn.lowrank.lds import kalman_predicted_cov as kalman_predicted_cov
from randrnn.lowrank.lds import lds_to_rnn as lds_to_rnn
from randrnn.lowrank.lds import markov_gap as markov_gap
from randrnn.lowrank.lds import output_autocovariance as output_autocovariance
from randrnn.lowrank.lds import rnn_to_lds as rnn_to_lds
from randrnn.lowrank.lds import to_dynamax as to_dynamax

__all__ = [
    "AbstractLatentDynamics",
    "ComponentStatistics",
    "EffectiveCircuit",
    "FlowFit",
    "FlowTarget",
    "LatentFixedPoints",
    "LatentLDS",
    "LatentTrajectory",
    "LimitCycle",
    "LowRankLinearRNN",
    "MarkovGap",
    "MixtureLatentDynamics",
    "NetworkCycles",
    "NetworkLatentDynamics",
    "NotConvertibleError",
    "UnstableDynamicsError",
    "draw_component_statistics",
    "effective_circuit",
    "find_latent_fixed_points",
    "find_limit_cycle",
    "fit_flow",
    "from_dynamax",
    "integrate_latent",
    "kalman_predicted_cov",
    "latent_field_noise",
    "latent_starts",
    "lds_to_rnn",
    "markov_gap",
    "network_limit_cycles",
    "orbit_statistics",
    "output_autocovariance",
    "poincare_crossings",
    "poincare_section",
    "rnn_to_lds",
    "sample_flow_network",
    "stuart_landau",
    "to_dynamax",
    "van_der_pol",
]
