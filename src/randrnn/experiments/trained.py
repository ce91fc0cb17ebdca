"""The Jacobian of a network at its equilibria against the sparse E/I random-matrix ensemble.

Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767, propose that a random-matrix ensemble
with sparse inhibitory columns and Beta-distributed timescales and gains captures the spectra of
the Jacobians of E/I rate networks trained with noise (Rungratsameetaweemana, Kim, Chotibut &
Sejnowski, PNAS 122, e2316745122, 2025). :func:`analyze_equilibria` tests it on one network
(trained, or any realization):

1. the fixed points and slow points of the network at a constant input (the delay period: no
   input) from random starts (:func:`randrnn.fixedpoints.find_fixed_points`): equilibria of the
   noiseless vector field with the realization's couplings, input, timescales and ``phi`` (its
   noise amplitude does not enter an equilibrium);
2. at the chosen equilibrium, the Jacobian :math:`T^{-1}(-I + W\\,\\mathrm{diag}(\\phi'(x^*)))`
   (:func:`randrnn.networks.jacobian`) and its exact eigenvalues;
3. the measured statistics of ``W``, the timescales and the gains per population and the fitted
   ensemble (:func:`randrnn.ensembles.fit_sample`), and its predicted spectrum -- edge at
   finite connectivity and in the dense limit, fractions of eigenvalues in regions, the bar of
   exact eigenvalues :math:`-1/\\tau_j`, the median rightmost eigenvalue at this size -- against
   the eigenvalues (:func:`randrnn.experiments.jacobian_fit.compare_fit`).

-> :class:`EquilibriumSpectrum` (``summary()``, ``to_xarray()``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from randrnn import io
from randrnn._validation import check_in, check_nonnegative_int, check_positive, show
from randrnn.experiments._common import strict_json
from randrnn.experiments.jacobian_fit import FitComparison, compare_fit
from randrnn.fixedpoints import FixedPoints, find_fixed_points
from randrnn.networks import Realization, jacobian

#: how the analysed equilibrium is chosen among the fixed points found
CHOICES = ("most_stable", "rightmost_stable")


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class EquilibriumSpectrum:
    """A network's equilibria and the ensemble's prediction for the Jacobian at one of them.

    Parameters
    ----------
    fixed_points : randrnn.fixedpoints.FixedPoints
        Every fixed and slow point found (most stable first).
    index : int
        The analysed fixed point (a row of ``fixed_points``).
    eigenvalues : (n,) complex ndarray
        The Jacobian's eigenvalues there, by decreasing real part.
    comparison : FitComparison
        Fitted ensemble and its predictions against those eigenvalues.
    tau, gain : (n,) ndarray
        Timescales and gains :math:`\\phi'(x^*)` of the units.
    population : (n,) ndarray of int
        Population of each unit (0: excitatory, 1: inhibitory for an E/I network).
    names : tuple of str
        Population names.
    seconds : dict
        Wall time: ``fixed_points``, ``compare``, ``total``.
    """

    fixed_points: FixedPoints
    index: int
    eigenvalues: np.ndarray
    comparison: FitComparison
    tau: np.ndarray
    gain: np.ndarray
    population: np.ndarray
    names: tuple[str, ...]
    seconds: dict[str, float]

    @property
    def residual(self) -> float:
        """:math:`|F(x^*)|_2` at the analysed fixed point."""
        return float(self.fixed_points.residual[self.index])

    @property
    def rightmost(self) -> float:
        """The largest real part of the Jacobian's eigenvalues (its distance from 0 is -this)."""
        return float(np.max(self.eigenvalues.real))

    def population_stats(self) -> list[dict[str, Any]]:
        """Per population: units, timescale and gain mean, SD and quantiles."""
        rows = []
        for k, name in enumerate(self.names):
            sel = self.population == k
            t, g = self.tau[sel], self.gain[sel]
            rows.append(
                {
                    "population": name,
                    "units": int(sel.sum()),
                    "tau_mean": float(t.mean()) if t.size else float("nan"),
                    "tau_sd": float(t.std(ddof=1)) if t.size > 1 else float("nan"),
                    "tau_q10_q90": [float(v) for v in np.quantile(t, [0.1, 0.9])] if t.size else [],
                    "gain_mean": float(g.mean()) if g.size else float("nan"),
                    "gain_sd": float(g.std(ddof=1)) if g.size > 1 else float("nan"),
                }
            )
        return rows

    def summary(self) -> dict[str, Any]:
        """Strict-JSON summary: the fixed points, the analysed one, populations, comparison."""
        fp = self.fixed_points
        return strict_json(
            {
                "fixed_points": {
                    "count": len(fp),
                    "kinds": [str(k) for k in fp.kind],
                    "residual": [float(r) for r in fp.residual],
                    "stability": None if fp.stability is None else [str(s) for s in fp.stability],
                    "max_real": [float(v) for v in fp.max_real],
                },
                "analysed": self.index,
                "residual": self.residual,
                "rightmost": self.rightmost,
                "distance_from_zero": -self.rightmost,
                "populations": self.population_stats(),
                "comparison": self.comparison.summary(),
                "seconds": self.seconds,
            }
        )

    def to_xarray(self) -> Any:
        """Eigenvalues, units' timescales and gains, the comparison's fractions; summary."""
        ds = self.comparison.to_xarray()
        ds["eig_real"] = ("eig", self.eigenvalues.real)
        ds["eig_imag"] = ("eig", self.eigenvalues.imag)
        ds["tau"] = ("unit", self.tau)
        ds["gain"] = ("unit", self.gain)
        ds["population"] = ("unit", self.population)
        ds["x_star"] = ("unit", self.fixed_points.points[self.index])
        ds.attrs.update(io.provenance())
        ds.attrs["summary"] = self.summary()
        return ds


def _choose(fp: FixedPoints, choice: str, tol: float) -> int:
    fixed = np.flatnonzero(np.asarray(fp.kind) == "fixed")
    if fixed.size == 0:
        raise ValueError(
            f"no fixed point with residual <= {tol:g} was found ({len(fp)} slow points); give "
            "more starts (`n_random`)."
        )
    if choice == "most_stable":
        return int(fixed[0])
    real = fp.max_real[fixed]
    stable = fixed[real < 0]
    if stable.size == 0:
        raise ValueError("no stable fixed point was found; use choice='most_stable'.")
    return int(stable[np.argmax(fp.max_real[stable])])


def analyze_equilibria(
    realization: Realization,
    *,
    n_random: int = 64,
    seed: int = 0,
    tol: float = 1e-11,
    choice: str = "most_stable",
    cavity: Any = None,
    quantile: float = 0.99,
    **fit_options: Any,
) -> EquilibriumSpectrum:
    """Fixed points of a network, and the fitted ensemble against its Jacobian at one of them.

    Parameters
    ----------
    realization : Realization
        The network (e.g. ``TrainedNetwork.realization(u)``: couplings with Dale signs, the
        static input ``b + W_in u`` of a constant input ``u`` -- none in the delay period --,
        per-unit timescales, ``phi``).
    n_random : int
        Random starts of the fixed-point search.
    seed : int
        Seed of the starts.
    tol : float
        Residual :math:`|F|_2` below which a point is a fixed point.
    choice : {"most_stable", "rightmost_stable"}
        The analysed fixed point: the most stable one, or the stable one whose rightmost
        eigenvalue is closest to 0 (the marginal equilibrium of the delay period).
    cavity : randrnn.rmt.CavitySettings, optional
        Population-dynamics settings of the prediction.
    quantile : float
        Quantile of the real parts compared.
    **fit_options
        Passed to :func:`randrnn.ensembles.fit_sample` (``tau_intervals``, ``gain_intervals``,
        ``weight_law``, ...).

    Returns
    -------
    EquilibriumSpectrum
        The fixed points, the analysed one's eigenvalues and the comparison.

    Raises
    ------
    ValueError
        Bad arguments, or no fixed point found (the message says what to change).
    """
    if not isinstance(realization, Realization):
        raise TypeError(
            "`realization` must be a randrnn.Realization (e.g. TrainedNetwork.realization()); "
            f"got {type(realization).__name__}."
        )
    check_nonnegative_int("n_random", n_random)
    check_positive("tol", tol)
    check_in("choice", choice, CHOICES)
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"`quantile` must lie in (0, 1); got {show(quantile)}.")
    t0 = time.perf_counter()
    fp = find_fixed_points(realization, n_random=n_random, seed=seed, tol=tol)
    t1 = time.perf_counter()
    index = _choose(fp, choice, tol)
    x_star = fp.points[index]
    sample = jacobian(realization, x_star)
    comparison = compare_fit(sample, cavity=cavity, quantile=quantile, **fit_options)
    eig = np.asarray(fp.eigenvalues[index]) if fp.eigenvalues is not None else None
    if eig is None:
        eig = np.linalg.eigvals(fp.jacobians()[index])
    eig = eig[np.argsort(-eig.real)]
    t2 = time.perf_counter()
    names = tuple(getattr(sample.spec, "names", None) or ("E", "I"))
    return EquilibriumSpectrum(
        fixed_points=fp,
        index=index,
        eigenvalues=eig,
        comparison=comparison,
        tau=np.asarray(sample.tau, dtype=float),
        gain=np.asarray(sample.gain, dtype=float),
        population=np.asarray(sample.population, dtype=int),
        names=names,
        seconds={"fixed_points": t1 - t0, "compare": t2 - t1, "total": t2 - t0},
    )
