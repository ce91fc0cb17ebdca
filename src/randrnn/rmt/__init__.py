r"""Random-matrix theory of Jacobians :math:`A = T^{-1}(-I + W G)` of sparse E/I block ensembles.

Large-N predictions for :class:`~randrnn.ensembles.JacobianEnsemble` (docs/theory.md section 5;
Chotibut, Evnin & Horinouchi 2025 [1]_), derived from the Hermitized resolvent of a matrix with a
block variance profile plus a diagonal.

Support and edge
    - :func:`perron_matrix`, :func:`perron_root` -- the P x P matrix whose Perron root decides
      whether ``z`` lies in the support of the bulk.
    - :func:`support_boundary` -- the boundary curve :math:`y = \pm y_{\max}(x)`.
    - :func:`spectral_edge` -- rightmost point of the support, the bulk's height (width).
Density
    - :func:`eigenvalue_density` -- eigenvalue mass per cell of a grid from the self-consistent
      Hermitized-resolvent equations; :func:`dense_regions` -- fractions in rectangles.
Outliers and sparse structure
    - :func:`outliers` -- eigenvalues created by the block means.
    - :func:`strong_component` -- finite-connectivity structure: fraction of units in the giant
      strongly connected component (the bulk) and in the real "bar" at :math:`-1/\tau_i`.
Sensitivity
    - :func:`edge_sensitivity` -- predicted edge as a function of one statistic.
Finite connectivity (sparse block ensembles at finite mean in-degree)
    - :func:`growth_rate` -- Biggins growth rate of the linearized cavity recursion; the support
      is where it is >= 0 (the dense criterion with second moments is its ``s = 1`` bound).
    - :func:`sparse_edge`, :func:`sparse_boundary` -- edge, stability, height and boundary by
      the growth criterion and by the first-moment one.
    - :func:`cavity_regions`, :func:`cavity_density` -- eigenvalue fractions in rectangles and
      mass per grid cell by population dynamics on the cavity equations
      (:class:`CavitySettings`; :func:`cavity_resolvent` for the raw pool estimates);
      :func:`cavity_quantile` -- a high quantile of the real parts; :func:`cavity_extreme` --
      the median rightmost eigenvalue of an n-unit sample; :func:`cavity_pool` -- the
      joint law of the cavity variables at one point.

References
----------
.. [1] Chotibut, Evnin & Horinouchi (2025), "Random matrix theory of sparse neuronal networks
   with heterogeneous timescales", arXiv:2512.12767v1.
"""

from __future__ import annotations

from randrnn.rmt.cavity import CavityDensity as CavityDensity
from randrnn.rmt.cavity import CavityPool as CavityPool
from randrnn.rmt.cavity import CavityResolvent as CavityResolvent
from randrnn.rmt.cavity import CavitySettings as CavitySettings
from randrnn.rmt.cavity import RegionPrediction as RegionPrediction
from randrnn.rmt.cavity import cavity_density as cavity_density
from randrnn.rmt.cavity import cavity_extreme as cavity_extreme
from randrnn.rmt.cavity import cavity_pool as cavity_pool
from randrnn.rmt.cavity import cavity_quantile as cavity_quantile
from randrnn.rmt.cavity import cavity_regions as cavity_regions
from randrnn.rmt.cavity import cavity_resolvent as cavity_resolvent
from randrnn.rmt.density import SpectralDensity as SpectralDensity
from randrnn.rmt.density import dense_regions as dense_regions
from randrnn.rmt.density import eigenvalue_density as eigenvalue_density
from randrnn.rmt.growth import GrowthRate as GrowthRate
from randrnn.rmt.growth import SparseBoundary as SparseBoundary
from randrnn.rmt.growth import SparseEdge as SparseEdge
from randrnn.rmt.growth import growth_rate as growth_rate
from randrnn.rmt.growth import sparse_boundary as sparse_boundary
from randrnn.rmt.growth import sparse_edge as sparse_edge
from randrnn.rmt.means import Outliers as Outliers
from randrnn.rmt.means import outliers as outliers
from randrnn.rmt.perron import N_QUAD as N_QUAD
from randrnn.rmt.perron import perron_matrix as perron_matrix
from randrnn.rmt.perron import perron_root as perron_root
from randrnn.rmt.sensitivity import EdgeSensitivity as EdgeSensitivity
from randrnn.rmt.sensitivity import edge_sensitivity as edge_sensitivity
from randrnn.rmt.sparse import StrongComponent as StrongComponent
from randrnn.rmt.sparse import strong_component as strong_component
from randrnn.rmt.support import SpectralEdge as SpectralEdge
from randrnn.rmt.support import SupportBoundary as SupportBoundary
from randrnn.rmt.support import spectral_edge as spectral_edge
from randrnn.rmt.support import support_boundary as support_boundary

__all__ = [
    "CavityDensity",
    "CavityPool",
    "CavityResolvent",
    "CavitySettings",
    "EdgeSensitivity",
    "GrowthRate",
    "Outliers",
    "RegionPrediction",
    "SparseBoundary",
    "SparseEdge",
    "SpectralDensity",
    "SpectralEdge",
    "StrongComponent",
    "SupportBoundary",
    "cavity_density",
    "cavity_extreme",
    "cavity_pool",
    "cavity_quantile",
    "cavity_regions",
    "cavity_resolvent",
    "dense_regions",
    "edge_sensitivity",
    "eigenvalue_density",
    "growth_rate",
    "outliers",
    "perron_matrix",
    "perron_root",
    "sparse_boundary",
    "sparse_edge",
    "spectral_edge",
    "strong_component",
    "support_boundary",
]
