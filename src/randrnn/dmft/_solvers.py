"""Former home of the fixed-point solvers, now :mod:`randrnn._fixedpoint` (kept as an alias)."""

from randrnn._fixedpoint import IterationResult as IterationResult
from randrnn._fixedpoint import anderson as anderson
from randrnn._fixedpoint import damped as damped
from randrnn._fixedpoint import newton_krylov as newton_krylov
