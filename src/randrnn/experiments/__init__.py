"""Experiments: one function per experiment, a config in and a typed result out.

No printing, no files, no matplotlib: the commands in :mod:`randrnn.cli` write what these
return, and :mod:`randrnn.report` turns it into figures and HTML.

- :func:`run_experiment` (:mod:`randrnn.experiments.run`) -- DMFT, linear-equivalent prediction,
  simulation and comparison for one realization -> :class:`RunResult`.
- :func:`run_spectrum` (:mod:`randrnn.experiments.spectrum`) -- Jacobian spectra against the
  random-matrix theory, with the edge-sensitivity sweep -> :class:`SpectrumResult`.
- :func:`~randrnn.experiments.fixedpoints.run_fixedpoints` -- fixed and slow points of one
  realization, both linearizations, the random-matrix support at each fixed point, and the two
  studies below -> :class:`~randrnn.experiments.fixedpoints.FixedPointsResult`.
- :func:`~randrnn.experiments.context.run_context` -- context dependence of input vectors,
  selection vectors and mode drives in activation vs activity coordinates.
- :func:`~randrnn.experiments.operating.run_operating_point` -- the Jacobian of an E/I network
  at a stable equilibrium against the prediction from its measured statistics.
- :func:`~randrnn.experiments.lowrank.run_lowrank` -- latent mean-field theory of
  Gaussian-mixture low-rank networks (the paper's examples, a user's mixture) against full
  networks, and the approximation of a 2-D flow ->
  :class:`~randrnn.experiments.lowrank.LowRankResult`.
- :func:`randrnn.sweeps.run_scaling` -- the run experiment over sizes (one layer up).
- :func:`quiet_numerics` -- silence NumPy warnings of undefined statistics (reported instead).
- :data:`THEORY_FAILURES` -- the exceptions that mean "the science failed" (unstable, not
  converged, diverged, nothing to compare), as opposed to a bad input.
"""

from __future__ import annotations

from randrnn.experiments._common import THEORY_FAILURES as THEORY_FAILURES
from randrnn.experiments._common import NothingToCompareError as NothingToCompareError
from randrnn.experiments._common import quiet_numerics as quiet_numerics
from randrnn.experiments.run import METRICS as METRICS
from randrnn.experiments.run import AutocovarianceComparisons as AutocovarianceComparisons
from randrnn.experiments.run import CovarianceComparisons as CovarianceComparisons
from randrnn.experiments.run import NaiveClosure as NaiveClosure
from randrnn.experiments.run import RunResult as RunResult
from randrnn.experiments.run import run_config as run_config
from randrnn.experiments.run import run_experiment as run_experiment

__all__ = [
    "METRICS",
    "THEORY_FAILURES",
    "AutocovarianceComparisons",
    "CovarianceComparisons",
    "NaiveClosure",
    "NothingToCompareError",
    "RunResult",
    "quiet_numerics",
    "run_config",
    "run_experiment",
]
