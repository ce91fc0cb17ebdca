"""randrnn: theory and simulation of large random recurrent networks.

DMFT, linear-equivalent covariance, random-matrix spectra and low-rank structure, with a fast
simulator to check every prediction against.
"""

from __future__ import annotations

from randrnn._provenance import __version__ as __version__
from randrnn.covariance import CovariancePrediction as CovariancePrediction
from randrnn.covariance import ResidualStatistics as ResidualStatistics
from randrnn.covariance import UnstableNetworkError as UnstableNetworkError
from randrnn.covariance import linear_equivalent_covariance as linear_equivalent_covariance
from randrnn.covariance import naive_closure_covariance as naive_closure_covariance
from randrnn.covariance import participation_ratio as participation_ratio
from randrnn.covariance import predict_covariance as predict_covariance
from randrnn.dmft import FixedPoint as FixedPoint
from randrnn.dmft import StationarySolution as StationarySolution
from randrnn.dmft import solve_classical as solve_classical
from randrnn.dmft import solve_stationary as solve_stationary
from randrnn.ensembles import AbstractEnsemble as AbstractEnsemble
from randrnn.ensembles import BlockEnsemble as BlockEnsemble
from randrnn.ensembles import GaussianEnsemble as GaussianEnsemble
from randrnn.ensembles import GaussianMixture as GaussianMixture
from randrnn.ensembles import JacobianEnsemble as JacobianEnsemble
from randrnn.ensembles import JacobianSample as JacobianSample
from randrnn.ensembles import LowRankEnsemble as LowRankEnsemble
from randrnn.errors import ConvergenceError as ConvergenceError
from randrnn.errors import DivergenceError as DivergenceError
from randrnn.errors import FiniteSizeWarning as FiniteSizeWarning
from randrnn.errors import RegimeWarning as RegimeWarning
from randrnn.networks import RateNetwork as RateNetwork
from randrnn.networks import Realization as Realization
from randrnn.networks import Seeds as Seeds
from randrnn.networks import jacobian as jacobian
from randrnn.networks import realize as realize
from randrnn.nonlinearities import Custom as Custom
from randrnn.nonlinearities import Erf as Erf
from randrnn.nonlinearities import Linear as Linear
from randrnn.nonlinearities import ReLU as ReLU
from randrnn.nonlinearities import Sigmoid as Sigmoid
from randrnn.nonlinearities import Tanh as Tanh
from randrnn.nonlinearities import nonlinearity as nonlinearity
from randrnn.simulate import Simulation as Simulation
from randrnn.simulate import SimulationSettings as SimulationSettings
from randrnn.simulate import simulate as simulate

__all__ = [
    "AbstractEnsemble",
    "BlockEnsemble",
    "ConvergenceError",
    "CovariancePrediction",
    "Custom",
    "DivergenceError",
    "Erf",
    "FiniteSizeWarning",
    "FixedPoint",
    "GaussianEnsemble",
    "GaussianMixture",
    "JacobianEnsemble",
    "JacobianSample",
    "Linear",
    "LowRankEnsemble",
    "RateNetwork",
    "ReLU",
    "Realization",
    "RegimeWarning",
    "ResidualStatistics",
    "Seeds",
    "Sigmoid",
    "Simulation",
    "SimulationSettings",
    "StationarySolution",
    "Tanh",
    "UnstableNetworkError",
    "__version__",
    "jacobian",
    "linear_equivalent_covariance",
    "naive_closure_covariance",
    "nonlinearity",
    "participation_ratio",
    "predict_covariance",
    "realize",
    "simulate",
    "solve_classical",
    "solve_stationary",
]
