"""randrnn: theory and simulation of large random recurrent networks.

DMFT, linear-equivalent covariance, random-matrix spectra and low-rank structure, with a fast
simulator to check every prediction against.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from randrnn.ensembles import AbstractEnsemble as AbstractEnsemble
from randrnn.ensembles import GaussianEnsemble as GaussianEnsemble
from randrnn.errors import ConvergenceError as ConvergenceError
from randrnn.errors import DivergenceError as DivergenceError
from randrnn.errors import FiniteSizeWarning as FiniteSizeWarning
from randrnn.errors import RegimeWarning as RegimeWarning
from randrnn.networks import RateNetwork as RateNetwork
from randrnn.networks import Realization as Realization
from randrnn.networks import Seeds as Seeds
from randrnn.networks import realize as realize
from randrnn.nonlinearities import Custom as Custom
from randrnn.nonlinearities import Erf as Erf
from randrnn.nonlinearities import Linear as Linear
from randrnn.nonlinearities import ReLU as ReLU
from randrnn.nonlinearities import Tanh as Tanh
from randrnn.nonlinearities import nonlinearity as nonlinearity

try:
    __version__ = version("randrnn")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = [
    "AbstractEnsemble",
    "ConvergenceError",
    "Custom",
    "DivergenceError",
    "Erf",
    "FiniteSizeWarning",
    "GaussianEnsemble",
    "Linear",
    "RateNetwork",
    "ReLU",
    "Realization",
    "RegimeWarning",
    "Seeds",
    "Tanh",
    "__version__",
    "nonlinearity",
    "realize",
]
