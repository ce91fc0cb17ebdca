r"""Fixed points of network realizations and their two linearizations.

- :func:`find_fixed_points` -- batched Newton from many starts, minimisation fallback for slow
  points, de-duplication and stability (:class:`FixedPoints`).
- :func:`rate_field` -- the vector field and its exact batched Jacobian (:class:`RateField`).
- :func:`linearize` -- the Jacobians in activation (``x``) and activity (``r = phi(x)``)
  coordinates, their eigenvectors, input vectors and mode drives (:class:`Linearization`;
  Pagan, Valente, Ostojic & Brody, arXiv:2309.04030).

docs/theory.md section 6.
"""

from __future__ import annotations

from randrnn.fixedpoints.field import RateField as RateField
from randrnn.fixedpoints.field import rate_field as rate_field
from randrnn.fixedpoints.linearization import Linearization as Linearization
from randrnn.fixedpoints.linearization import linearize as linearize
from randrnn.fixedpoints.search import FixedPoints as FixedPoints
from randrnn.fixedpoints.search import find_fixed_points as find_fixed_points
from randrnn.fixedpoints.search import random_starts as random_starts

__all__ = [
    "FixedPoints",
    "Linearization",
    "RateField",
    "find_fixed_points",
    "linearize",
    "random_starts",
    "rate_field",
]
