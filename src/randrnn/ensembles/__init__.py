r"""Coupling ensembles shared by theory, simulation and spectra (``docs/theory.md`` 1, 5, 7).

- :class:`AbstractEnsemble` -- the interface: ``sample``/``sample_coupling``, ``statistics()``
  (:class:`CouplingStatistics`: the block means, variances, in-degrees, symmetry and rank a
  theory reads), ``to_config()``.
- :class:`GaussianEnsemble` -- i.i.d. Gaussian couplings with partial symmetry ``eta``.
- :class:`BlockEnsemble` -- P populations, Dale signs, connection probabilities or mean
  in-degrees, weight laws per block, means kept or removed.
- :class:`LowRankEnsemble` -- :math:`M N^T/n + \chi` with Gaussian-mixture loadings
  (:class:`GaussianMixture`).
- :func:`fit_jacobian_ensemble`, :func:`fit_sample` -- estimate a sparse E/I Jacobian ensemble
  (in-degrees, weight laws, Beta timescale and gain laws, copula correlation) from one Jacobian,
  with standard errors (:class:`EnsembleFit`).
- :class:`JacobianEnsemble` -- the random-matrix spec :math:`T^{-1}(-I + J G)` on a coupling
  ensemble, with timescale and gain laws; :class:`JacobianSample` is one draw.
- Distributions (:class:`Fixed`, :class:`Uniform`, :class:`LogNormal`, :class:`HalfNormal`,
  :class:`Beta`, :class:`Samples`, :class:`ZeroInflated`) for weights, timescales and gains.
"""

from randrnn.ensembles.base import (
    ENSEMBLES as ENSEMBLES,
)
from randrnn.ensembles.base import (
    AbstractEnsemble as AbstractEnsemble,
)
from randrnn.ensembles.base import (
    Coupling as Coupling,
)
from randrnn.ensembles.base import (
    CouplingStatistics as CouplingStatistics,
)
from randrnn.ensembles.base import (
    ensemble_from_config as ensemble_from_config,
)
from randrnn.ensembles.block import BlockEnsemble as BlockEnsemble
from randrnn.ensembles.distributions import (
    DISTRIBUTIONS as DISTRIBUTIONS,
)
from randrnn.ensembles.distributions import (
    AbstractDistribution as AbstractDistribution,
)
from randrnn.ensembles.distributions import (
    Beta as Beta,
)
from randrnn.ensembles.distributions import (
    Fixed as Fixed,
)
from randrnn.ensembles.distributions import (
    HalfNormal as HalfNormal,
)
from randrnn.ensembles.distributions import (
    LogNormal as LogNormal,
)
from randrnn.ensembles.distributions import (
    Samples as Samples,
)
from randrnn.ensembles.distributions import (
    Uniform as Uniform,
)
from randrnn.ensembles.distributions import (
    ZeroInflated as ZeroInflated,
)
from randrnn.ensembles.distributions import (
    distribution_from_config as distribution_from_config,
)
from randrnn.ensembles.fit import UNIT_LAWS as UNIT_LAWS
from randrnn.ensembles.fit import WEIGHT_LAWS as WEIGHT_LAWS
from randrnn.ensembles.fit import EnsembleFit as EnsembleFit
from randrnn.ensembles.fit import Estimate as Estimate
from randrnn.ensembles.fit import GoodnessOfFit as GoodnessOfFit
from randrnn.ensembles.fit import beta_mle as beta_mle
from randrnn.ensembles.fit import copula_correlation as copula_correlation
from randrnn.ensembles.fit import fit_jacobian_ensemble as fit_jacobian_ensemble
from randrnn.ensembles.fit import fit_sample as fit_sample
from randrnn.ensembles.gaussian import GaussianBlockEnsemble as GaussianBlockEnsemble
from randrnn.ensembles.gaussian import GaussianEnsemble as GaussianEnsemble
from randrnn.ensembles.jacobian import (
    STATISTICS as STATISTICS,
)
from randrnn.ensembles.jacobian import (
    JacobianEnsemble as JacobianEnsemble,
)
from randrnn.ensembles.jacobian import (
    JacobianSample as JacobianSample,
)
from randrnn.ensembles.jacobian import (
    as_jacobian_ensemble as as_jacobian_ensemble,
)
from randrnn.ensembles.jacobian import (
    at_degree as at_degree,
)
from randrnn.ensembles.jacobian import (
    default_ei as default_ei,
)
from randrnn.ensembles.jacobian import (
    vary as vary,
)
from randrnn.ensembles.lowrank import PAPER_EXAMPLES as PAPER_EXAMPLES
from randrnn.ensembles.lowrank import GaussianMixture as GaussianMixture
from randrnn.ensembles.lowrank import LowRankEnsemble as LowRankEnsemble

__all__ = [
    "DISTRIBUTIONS",
    "ENSEMBLES",
    "PAPER_EXAMPLES",
    "STATISTICS",
    "UNIT_LAWS",
    "WEIGHT_LAWS",
    "AbstractDistribution",
    "AbstractEnsemble",
    "Beta",
    "BlockEnsemble",
    "Coupling",
    "CouplingStatistics",
    "EnsembleFit",
    "Estimate",
    "Fixed",
    "GaussianBlockEnsemble",
    "GaussianEnsemble",
    "GaussianMixture",
    "GoodnessOfFit",
    "HalfNormal",
    "JacobianEnsemble",
    "JacobianSample",
    "LogNormal",
    "LowRankEnsemble",
    "Samples",
    "Uniform",
    "ZeroInflated",
    "as_jacobian_ensemble",
    "at_degree",
    "beta_mle",
    "copula_correlation",
    "default_ei",
    "distribution_from_config",
    "ensemble_from_config",
    "fit_jacobian_ensemble",
    "fit_sample",
    "vary",
]
