r"""Covariance matrices of one network realization from the linear-equivalent theory.

A nonlinear rate network is replaced by a linear network with the same couplings, gain
:math:`\mu_1` and an independent residual noise per unit whose power spectrum
:math:`S_r(\omega)` comes from the DMFT (docs/theory.md section 3; Clark, arXiv 2604.23489). The
functions here take those order parameters as inputs; they do not solve the DMFT.

Residual statistics

- :class:`ResidualStatistics` -- :math:`\mu_1`, :math:`s_r(0)`, the Laplace transform
  :math:`S(\alpha)` and the power spectrum :math:`S_r(\omega)` of the residual; built
  analytically (:meth:`~ResidualStatistics.exponential`, :meth:`~ResidualStatistics.linear`),
  from samples (:meth:`~ResidualStatistics.from_samples`) or from a DMFT solution
  (:meth:`~ResidualStatistics.from_dmft`).

Predictions for one realization of a network

- :func:`predict_covariance` -- the entry point for a :class:`~randrnn.networks.RateNetwork`:
  checks that the theory covers every property of the network (or refuses), takes noise and
  time constant from it; returns a :class:`NetworkCovariancePrediction` (linear-equivalent
  and, optionally, naive closure, which is reported as not applicable instead of raising).

Predictions for one coupling matrix

- :func:`linear_equivalent_covariance` -- equal-time covariances of activities, preactivations
  and their cross-covariance (eigenbasis formula or frequency quadrature).
- :func:`naive_closure_covariance` -- the same quantities under the (wrong) naive Gaussian
  closure, for comparison.
- :class:`CovariancePrediction` -- the result of both.
- :class:`UnstableNetworkError` -- the linear-equivalent network of a realization is unstable.

Heterogeneous units (static input, block means, nonzero mean rates, per-population tau)

- :func:`realization_mean_field` -- the realization's means :math:`m = b + J\psi(m)`
  (:class:`MeanField`).
- :func:`unit_residuals` -- per-unit gains and residual statistics (:class:`UnitResiduals`).
- :func:`heterogeneous_covariance` -- equal-time covariances with per-unit gains, residual
  spectra and time constants (eigenbasis or quadrature).
- :func:`heterogeneous_naive_closure` -- the naive closure with per-unit statistics.
- :func:`lagged_covariance` -- lagged covariances and the realization's own population
  autocovariances (:class:`LaggedCovariance`).
- :func:`realization_order_parameters` -- gain and residual solved from the realization's own
  autocovariance instead of the ensemble DMFT (:class:`RealizationOrderParameters`).

Spectra and dimension

- :func:`participation_ratio` -- :math:`(\operatorname{tr} C)^2/\operatorname{tr} C^2`.
- :func:`linear_covariance_density` -- large-N eigenvalue density of the long-window
  covariance of a linear i.i.d. network (Hu & Sompolinsky 2022).
- :func:`pr_per_n` -- large-N participation ratios per unit, :math:`PR^\phi/N` and
  :math:`PR^x/N`, of an i.i.d. network from its DMFT solution.
- :func:`pr_per_n_iid` -- :math:`PR^\phi/N` from a user-supplied spectrum.
- :func:`long_window_spectrum` -- the Hu-Sompolinsky density with its support, moments and
  participation ratio (:class:`LongWindowSpectrum`).
- :func:`long_window_covariance` -- the zero-frequency (long time window) covariances of a
  realization (:class:`LongWindowCovariance`).
"""

from randrnn.covariance._common import COND_THRESHOLD as COND_THRESHOLD
from randrnn.covariance._common import UnstableNetworkError as UnstableNetworkError
from randrnn.covariance.dimension import LongWindowCovariance as LongWindowCovariance
from randrnn.covariance.dimension import LongWindowSpectrum as LongWindowSpectrum
from randrnn.covariance.dimension import linear_covariance_density as linear_covariance_density
from randrnn.covariance.dimension import long_window_covariance as long_window_covariance
from randrnn.covariance.dimension import long_window_spectrum as long_window_spectrum
from randrnn.covariance.dimension import participation_ratio as participation_ratio
from randrnn.covariance.dimension import pr_per_n as pr_per_n
from randrnn.covariance.dimension import pr_per_n_iid as pr_per_n_iid
from randrnn.covariance.heterogeneous import LaggedCovariance as LaggedCovariance
from randrnn.covariance.heterogeneous import heterogeneous_covariance as heterogeneous_covariance
from randrnn.covariance.heterogeneous import (
    heterogeneous_naive_closure as heterogeneous_naive_closure,
)
from randrnn.covariance.heterogeneous import lagged_covariance as lagged_covariance
from randrnn.covariance.naive import naive_closure_covariance as naive_closure_covariance
from randrnn.covariance.network import EDGE_PROXIMITY_WARNING as EDGE_PROXIMITY_WARNING
from randrnn.covariance.network import NetworkCovariancePrediction as NetworkCovariancePrediction
from randrnn.covariance.network import predict_covariance as predict_covariance
from randrnn.covariance.prediction import CovariancePrediction as CovariancePrediction
from randrnn.covariance.prediction import (
    linear_equivalent_covariance as linear_equivalent_covariance,
)
from randrnn.covariance.residual import ResidualStatistics as ResidualStatistics
from randrnn.covariance.selfconsistent import (
    RealizationOrderParameters as RealizationOrderParameters,
)
from randrnn.covariance.selfconsistent import (
    realization_order_parameters as realization_order_parameters,
)
from randrnn.covariance.units import MeanField as MeanField
from randrnn.covariance.units import UnitResiduals as UnitResiduals
from randrnn.covariance.units import realization_mean_field as realization_mean_field
from randrnn.covariance.units import unit_residuals as unit_residuals

__all__ = [
    "COND_THRESHOLD",
    "EDGE_PROXIMITY_WARNING",
    "CovariancePrediction",
    "LaggedCovariance",
    "LongWindowCovariance",
    "LongWindowSpectrum",
    "MeanField",
    "NetworkCovariancePrediction",
    "RealizationOrderParameters",
    "ResidualStatistics",
    "UnitResiduals",
    "UnstableNetworkError",
    "heterogeneous_covariance",
    "heterogeneous_naive_closure",
    "lagged_covariance",
    "linear_covariance_density",
    "linear_equivalent_covariance",
    "long_window_covariance",
    "long_window_spectrum",
    "naive_closure_covariance",
    "participation_ratio",
    "pr_per_n",
    "pr_per_n_iid",
    "predict_covariance",
    "realization_mean_field",
    "realization_order_parameters",
    "unit_residuals",
]
