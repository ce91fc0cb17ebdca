r"""Jacobian spectra of E/I rate networks at a stable equilibrium against the random-matrix theory.

An E/I rate network with Dale's law, sparse block couplings, per-population timescale laws and a
static input (:class:`OperatingPointSettings`) is driven to a stable equilibrium
:math:`x^* = J\phi(x^*) + b`. Its Jacobian :math:`A = T^{-1}(-I + J H)`,
:math:`H = \mathrm{diag}(\phi'(x^*))`, is compared with the random-matrix prediction of
:mod:`randrnn.rmt` for the ensemble built from the *measured* statistics of that realization
(:func:`measured_ensemble`): block connection probabilities and weight laws of ``J``, and the
per-population laws of the timescales and of the gains :math:`h_j = \phi'(x^*_j)`.
Docs/theory.md section 5; Chotibut, Evnin & Horinouchi (2025), arXiv:2512.12767; the
"inhibitory core, excitatory periphery" architecture of Rungratsameetaweemana, Kim, Chotibut &
Sejnowski, PNAS 122, e2316745122 (2025) is the :meth:`OperatingPointSettings.inhibitory_core`
preset.

The theory treats the gains as drawn independently of ``J``. At a fixed point they are not:
:math:`x^*_j = \sum_k J_{jk}\phi(x^*_k) + b_j` depends on unit ``j``'s incoming weights. The
experiment isolates this assumption with a control: the same ``J`` and ``tau`` with the gains
permuted at random within each population (same gain laws, hence the same prediction, but no
dependence on ``J``).

- :class:`OperatingPointSettings` -- the network and the measurement options.
- :func:`measured_ensemble` -- the :class:`~randrnn.ensembles.JacobianEnsemble` of a
  realization's measured statistics at a state.
- :func:`run_operating_point` -- the experiment -> :class:`OperatingPointResult`.
- :func:`relaxed_starts` -- starts of the fixed-point search relaxed along the dynamics.
- :class:`OperatingSpectrum` -- one measured spectrum, split into bar, outliers and bulk.
- :class:`NoStableFixedPointError` -- no start reached a stable equilibrium.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse, stats

from randrnn import io, rmt, spectra
from randrnn._typing import ComplexArray, FloatArray
from randrnn._validation import (
    check_array,
    check_in,
    check_nonnegative,
    check_positive_int,
)
from randrnn.config import OperatingPointSettings
from randrnn.ensembles import (
    AbstractDistribution,
    BlockEnsemble,
    Fixed,
    JacobianEnsemble,
    JacobianSample,
    Samples,
)
from randrnn.errors import RegimeWarning
from randrnn.experiments._common import StageClock, quiet_numerics, strict_json
from randrnn.fixedpoints import find_fixed_points, random_starts
from randrnn.networks import Realization, jacobian, realize
from randrnn.nonlinearities import AbstractNonlinearity

__all__ = [
    "REGIONS",
    "NoStableFixedPointError",
    "OperatingPointResult",
    "OperatingPointSettings",
    "OperatingSpectrum",
    "measured_ensemble",
    "relaxed_starts",
    "run_operating_point",
]

#: tolerance of "an eigenvalue equals -1/tau_j": relative to max(1, |lambda|)
BAR_TOL = 1e-9
#: real-part tolerance of the stability test of an equilibrium
STABILITY_TOL = 1e-8
#: the comparison regions (see :class:`OperatingPointResult`)
REGIONS = ("right", "left", "top")
#: quantile of the real parts of the bulk reported beside its maximum
QUANTILE = 0.99
#: values per population kept for the timescale and gain laws of the density grid
_DENSITY_TAU_VALUES = 32
_DENSITY_GAIN_VALUES = 24


class NoStableFixedPointError(RuntimeError):
    """No start of the fixed-point search reached a stable equilibrium.

    Raised by :func:`run_operating_point`: the fixed points found are unstable (the network
    oscillates or is chaotic at these settings: too strong couplings, slow inhibition against
    fast excitation, or an input that does not place the units on a stable branch).
    """


def _quantile_values(values: FloatArray, k: int) -> FloatArray:
    r"""``k`` equally weighted values: the empirical quantiles at ``(i + 1/2) / k``.

    :math:`E[f(x)] = \int_0^1 f(Q(u))\,du` with the quantile function ``Q`` of ``values``, so the
    mean of ``f`` over these values is the midpoint rule of that integral for any ``f``.
    Returns the sorted ``values`` when there are at most ``k``.
    """
    v = np.sort(np.asarray(values, dtype=float))
    if v.size <= k:
        return v
    return np.quantile(v, (np.arange(k) + 0.5) / k)


def _compress(values: FloatArray, k: int) -> FloatArray:
    """At most ``k`` equally weighted values with the same mean and second moment as ``values``.

    The midpoint quantiles (:func:`_quantile_values`) stretched about their mean to the
    variance of ``values``. Returns ``values`` unchanged when there are at most ``k`` of them or
    when the stretch would make a value negative.
    """
    v = np.asarray(values, dtype=float)
    q = _quantile_values(v, k)
    if q.size == v.size:
        return v
    sd, sd_q = float(v.std()), float(q.std())
    out = np.full(k, v.mean()) if sd_q == 0 else v.mean() + (q - q.mean()) * (sd / sd_q)
    return v if np.any(out < 0) else out


def measured_ensemble(
    realization: Realization, x_star: Any, *, weight_values: int | None = 128
) -> JacobianEnsemble:
    r"""The Jacobian ensemble of a realization's measured statistics at the state ``x_star``.

    Per block ``(a, b)`` of ``J`` (row: postsynaptic population): the connection probability
    :math:`p_{ab}` = non-zero entries / available pairs (self-pairs excluded when ``J`` has a
    zero diagonal), the magnitude law :math:`|J_{ij}|` of the non-zero entries (a
    :class:`~randrnn.ensembles.Samples` law) and the sign of population ``b``'s columns (Dale's
    law). Per population: the timescales and the gains :math:`h_j = \phi'(x^*_j)` as
    :class:`~randrnn.ensembles.Samples` laws. The coupling is a
    :class:`~randrnn.ensembles.BlockEnsemble` with ``scaling="none"`` and ``keep_mean=True``, so
    its block variances :math:`s_{ab} = n(p_{ab}E[w^2] - p_{ab}^2E[w]^2)` and means
    :math:`\mu_{ab} = n\,\mathrm{sign}_b\,p_{ab}E[w]` are the empirical variance and mean of the
    entries of the block, and the predictions of :mod:`randrnn.rmt` (support, edge, outliers,
    density, giant strongly connected component) apply to it directly.

    Parameters
    ----------
    realization : Realization
        Couplings ``J`` (Dale signs by population), timescales and populations.
    x_star : (n,) array_like
        The state; gains are :math:`\phi'(x^*)` of the realization's transfer function (>= 0).
    weight_values : int or None
        Keep at most this many values per block in the weight laws: the midpoint quantiles of
        the magnitudes, stretched about their mean to the measured variance, so :math:`E[w]`
        and :math:`E[w^2]` -- the only weight statistics the theory reads (docs/theory.md
        5.1-5.5) -- are kept exactly. ``None`` keeps every value (exact but slow:
        the rmt functions recompute block moments from the values at every call).

    Returns
    -------
    JacobianEnsemble
        The measured ensemble (population names from the realization's ensemble).

    Raises
    ------
    ValueError
        If a population's outgoing weights have both signs (no Dale's law), or the gains are
        negative somewhere (a decreasing transfer function).

    Notes
    -----
    :mod:`randrnn.rmt` takes timescale and gain independent within a population, so its
    expectations factorize, :math:`E_b[h^2/|1+z\tau|^2] = E_b[h^2]\,E_b[1/|1+z\tau|^2]`
    (docs/theory.md 5.2). At a fixed point this holds in law: the fixed points
    :math:`x^* = J\phi(x^*) + b` do not depend on the timescales (they solve
    :math:`T^{-1}(-x + J\phi(x) + b) = 0` for every ``T``), and the timescales are drawn
    independently of ``J`` and ``b``; :func:`run_operating_point` reports the measured
    correlation of ``tau`` and ``h^2`` as a check. The other assumption, gains independent of
    ``J``, does *not* hold: :math:`x^*_j` is a sum over row ``j`` of ``J``. That is what the
    shuffled-gain control of :func:`run_operating_point` isolates.

    Examples
    --------
    >>> s = OperatingPointSettings(n=200)
    >>> real = realize(s.network(), s.seeds())
    >>> ens = measured_ensemble(real, np.zeros(200))
    >>> ens.coupling.signs, float(ens.gain[0].mean)      # sigmoid'(0) = 1/4
    ((1, -1), 0.25)
    """
    if not isinstance(realization, Realization):
        raise TypeError(
            f"`realization` must be a randrnn.Realization; got {type(realization).__name__}."
        )
    if weight_values is not None:
        check_positive_int("weight_values", weight_values)
    n = realization.n
    x = check_array("x_star", x_star, shape=(n,))
    phi = realization.network.phi
    gain = np.asarray(phi.derivative(x), dtype=float)  # type: ignore[union-attr]
    if np.any(gain < 0):
        raise ValueError(
            "`x_star` gives negative gains phi'(x*) for some units; the measured ensemble needs "
            "gains >= 0 (a monotone transfer function)."
        )
    J = np.asarray(realization.J)
    pop = np.asarray(realization.population)
    P = int(pop.max()) + 1
    sizes = np.bincount(pop, minlength=P)
    if np.any(sizes == 0):
        raise ValueError(f"`realization.population` leaves a population empty; sizes {sizes}.")
    members = [np.flatnonzero(pop == a) for a in range(P)]
    self_coupling = bool(np.any(np.diag(J) != 0))
    base_signs = getattr(realization.network.ensemble, "signs", None)
    signs = []
    for b in range(P):
        col = J[:, members[b]]
        pos, neg = bool(np.any(col > 0)), bool(np.any(col < 0))
        if pos and neg:
            raise ValueError(
                f"population {b}'s outgoing weights have both signs; the measured ensemble needs "
                "Dale's law (one sign per presynaptic population)."
            )
        signs.append(1 if pos else -1 if neg else (int(base_signs[b]) if base_signs else 1))
    conn: list[tuple[float, ...]] = []
    weights: list[tuple[AbstractDistribution, ...]] = []
    for a in range(P):
        c_row: list[float] = []
        w_row: list[AbstractDistribution] = []
        for b in range(P):
            block = J[np.ix_(members[a], members[b])]
            avail = block.size - (sizes[a] if a == b and not self_coupling else 0)
            nz = np.abs(block[block != 0])
            c_row.append(nz.size / avail if avail > 0 else 0.0)
            if nz.size == 0:
                w_row.append(Fixed(value=0.0))
            else:
                vals = nz if weight_values is None else _compress(nz, weight_values)
                w_row.append(Samples(values=tuple(vals)))
        conn.append(tuple(c_row))
        weights.append(tuple(w_row))
    names = getattr(realization.network.ensemble.statistics(), "names", None)
    coupling = BlockEnsemble(
        n=n,
        fractions=tuple(float(s) / n for s in sizes),
        signs=tuple(signs),
        connectivity=tuple(conn),
        weights=tuple(weights),
        scaling="none",
        keep_mean=True,
        allow_self_coupling=self_coupling,
        names=tuple(names) if names and len(names) == P else None,
    )
    if coupling.sizes != tuple(int(s) for s in sizes):
        raise ValueError(
            f"population sizes {tuple(sizes)} are not reproduced by their fractions; got "
            f"{coupling.sizes}."
        )
    tau = tuple(Samples(values=tuple(realization.tau[m])) for m in members)
    gains = tuple(Samples(values=tuple(gain[m])) for m in members)
    return JacobianEnsemble(coupling=coupling, tau=tau, gain=gains)


def _coupled_populations(ens: JacobianEnsemble) -> list[int]:
    r"""Populations on a cycle of the block graph (edge b -> a iff s_ab > 0 and E_b[h^2] > 0).

    A population off every cycle makes the Jacobian block triangular: its units are exact
    eigenvalues :math:`-1/\tau_j` (the bar of a pruned or silent population) and drop out of
    the Hermitized-resolvent equations, whose unknowns vanish for them.
    """
    s = np.asarray(ens.block_variance)
    live = np.array([d.second_moment > 0 for d in ens.gain])
    adj = (s > 0) & live[None, :]
    reach = adj.copy()
    for _ in range(len(live)):
        reach = reach | ((reach.astype(int) @ adj.astype(int)) > 0)
    return [a for a in range(len(live)) if reach[a, a]]


def _density_ensemble(ens: JacobianEnsemble) -> tuple[JacobianEnsemble | None, float]:
    r"""The coupled populations with compact timescale and gain laws, for the density solver.

    Returns the ensemble of the populations on a cycle of the block graph (None if there are
    none) and their share of the units. With ``scaling="none"`` the Perron matrix
    :math:`s_{ab}\alpha_b E_b[\cdot] = n_b(p_{ab}E[w^2] - p_{ab}^2E[w]^2)E_b[\cdot]` does
    not depend on the other populations, so the reduced ensemble has the same equations. The
    solver takes expectations over the product of the timescale and gain values of each
    population; gains enter only through :math:`h^2`, so they are compressed to values with the
    measured :math:`E[h^2]`, timescales to midpoint quantiles (smooth integrands off the real
    axis, where the comparison regions lie; the predicted region fractions change by < 1e-3
    against 200 x 100 values).
    """
    keep = _coupled_populations(ens)
    if not keep:
        return None, 0.0
    c = ens.coupling
    assert isinstance(c, BlockEnsemble)
    sizes = np.asarray(c.sizes)[keep]
    n_core = int(sizes.sum())
    tau, gain = [], []
    for b in keep:
        t_c = _quantile_values(ens.tau[b].quadrature(1)[0], _DENSITY_TAU_VALUES)
        h2 = np.asarray(ens.gain[b].quadrature(1)[0]) ** 2
        g2 = _quantile_values(h2, _DENSITY_GAIN_VALUES)
        g2 *= h2.mean() / g2.mean()
        tau.append(Samples(values=tuple(t_c)))
        gain.append(Samples(values=tuple(np.sqrt(g2))))
    conn = np.asarray(c.connectivity)[np.ix_(keep, keep)]
    core = BlockEnsemble(
        n=n_core,
        fractions=tuple(float(k) / n_core for k in sizes),
        signs=tuple(c.signs[b] for b in keep),
        connectivity=tuple(tuple(float(v) for v in row) for row in conn),
        weights=tuple(tuple(c.weights[a][b] for b in keep) for a in keep),
        scaling="none",
        keep_mean=True,
        allow_self_coupling=c.allow_self_coupling,
        names=tuple((c.names or ())[b] for b in keep) if c.names else None,
    )
    return JacobianEnsemble(coupling=core, tau=tuple(tau), gain=tuple(gain)), n_core / c.n


# -- measurement of one spectrum ---------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class OperatingSpectrum:
    r"""One measured Jacobian spectrum, split into the bar, the outliers and the bulk.

    Parameters
    ----------
    eigenvalues : (n,) ndarray of complex
        All eigenvalues, by decreasing real part.
    bar : (n,) ndarray of bool
        Eigenvalues equal to some :math:`-1/\tau_j` within ``BAR_TOL * max(1, |lambda|)``.
    outlier_index : (k,) ndarray of int
        Index of the eigenvalue matched to each predicted outlier (nearest non-bar eigenvalue,
        in the order of the prediction).
    graph_bar : int
        Units outside the largest strongly connected component of the graph of :math:`JH`
        (edge :math:`j \to i` iff :math:`J_{ij}h_j \ne 0`): the exact bar count.
    edge : randrnn.spectra.EdgeEstimate
        Edge statistics of the bulk (all eigenvalues but the bar and the outliers): its largest
        real part ``max_real``, the tail-fit ``edge``, the ``0.99`` quantile of real parts.
    counts : dict of str to float
        Fraction of all ``n`` eigenvalues that are bulk eigenvalues inside each region.
    """

    eigenvalues: ComplexArray
    bar: Any
    outlier_index: Any
    graph_bar: int
    edge: spectra.EdgeEstimate
    counts: dict[str, float]

    @property
    def bar_count(self) -> int:
        """Number of eigenvalues on the bar."""
        return int(np.sum(self.bar))

    @property
    def bulk(self) -> ComplexArray:
        """The bulk eigenvalues (neither bar nor matched outliers)."""
        return self.eigenvalues[self._bulk_mask()]

    @property
    def outliers(self) -> ComplexArray:
        """The eigenvalues matched to the predicted outliers."""
        return self.eigenvalues[self.outlier_index]

    def _bulk_mask(self) -> Any:
        keep = ~np.asarray(self.bar)
        keep[np.asarray(self.outlier_index, dtype=int)] = False
        return keep

    def summary(self) -> dict[str, Any]:
        """JSON-able statistics."""
        return {
            "bar_count": self.bar_count,
            "graph_bar_count": int(self.graph_bar),
            "max_real": self.edge.max_real,
            "tail_fit_edge": self.edge.edge,
            "quantile_real": self.edge.quantile_real,
            "height": self.edge.height,
            "outliers": [[float(v.real), float(v.imag)] for v in self.outliers],
            "fractions": dict(self.counts),
        }


def _in_region(lam: ComplexArray, region: str, bounds: Mapping[str, float]) -> Any:
    off = np.abs(lam.imag) > bounds["y_cut"]
    if region == "right":
        return off & (lam.real > bounds["x_split"])
    if region == "left":
        return off & (lam.real < bounds["x_split"])
    return np.abs(lam.imag) > bounds["y_top"]


def _measure(
    sample: JacobianSample,
    outliers: ComplexArray,
    bounds: Mapping[str, float],
    lam: ComplexArray | None = None,
) -> OperatingSpectrum:
    if lam is None:
        lam = spectra.eigenvalues(sample).eigenvalues
    bar = spectra.at_poles(lam, -1.0 / np.asarray(sample.tau), rtol=BAR_TOL)
    taken = bar.copy()
    idx = []
    for o in outliers:
        d = np.where(taken, np.inf, np.abs(lam - o))
        k = int(np.argmin(d))
        idx.append(k)
        taken[k] = True
    bulk = lam[~taken]
    counts = {r: float(np.sum(_in_region(bulk, r, bounds))) / lam.size for r in REGIONS}
    return OperatingSpectrum(
        eigenvalues=lam,
        bar=bar,
        outlier_index=np.asarray(idx, dtype=int),
        graph_bar=round(sample.n * spectra.bar_fraction(sample)[0]),
        edge=spectra.edge_estimate(bulk, q=QUANTILE),
        counts=counts,
    )


# -- the result --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class OperatingPointResult:
    r"""A stable equilibrium's Jacobian spectrum against the prediction from measured statistics.

    Regions (bounds in ``bounds``; every region leaves out the real axis band
    ``|Im z| <= y_cut = axis_band * height``):

    - ``right``: :math:`\mathrm{Re}\,z > x_{split}` (``x_split``: the real part where the
      predicted support is highest), ``|Im z| > y_cut``;
    - ``left``: :math:`\mathrm{Re}\,z < x_{split}`, ``|Im z| > y_cut``;
    - ``top``: :math:`|\mathrm{Im}\,z| > y_{top} = \mathrm{height}/4` (the outer half of the
      bulk's vertical extent).

    Parameters
    ----------
    settings : OperatingPointSettings
        The settings.
    realization : Realization
        Couplings, timescales and input.
    x_star : (n,) ndarray
        The stable equilibrium.
    residual : float
        :math:`|F(x^*)|_2`.
    fixed_points : dict
        The search: ``starts``, ``converged_newton``, distinct ``n_fixed`` and ``n_slow``
        points, ``tried`` (fixed points examined, most visited first, until a stable one) and
        ``count`` (starts that reached the chosen one).
    gain, gain_shuffled : (n,) ndarray
        :math:`\phi'(x^*)`, and the same values permuted within each population.
    ensemble : JacobianEnsemble
        :func:`measured_ensemble` of the realization at ``x_star``.
    edge : randrnn.rmt.SpectralEdge
        Predicted edge and height of the bulk.
    boundary : randrnn.rmt.SupportBoundary
        Predicted support boundary.
    outliers : randrnn.rmt.Outliers
        Predicted outliers from the block means.
    component : randrnn.rmt.StrongComponent
        Predicted giant strongly connected component and bar fraction.
    density : randrnn.rmt.SpectralDensity
        Predicted eigenvalue mass on the comparison grid.
    bounds : dict of str to float
        ``x_split``, ``y_cut``, ``y_top``.
    predicted : dict of str to float
        Predicted fraction of the ``n`` eigenvalues in each region.
    actual, shuffled : OperatingSpectrum
        The measured spectra with the actual and the permuted gains.
    dependence : dict
        Per population: rank correlations of the gains with the couplings and timescales and
        the strength-gain ratio, actual and shuffled (see :func:`run_operating_point`).
    seconds : dict of str to float
        Wall time per stage.
    """

    settings: OperatingPointSettings
    realization: Realization
    x_star: FloatArray
    residual: float
    fixed_points: dict[str, Any]
    gain: FloatArray
    gain_shuffled: FloatArray
    ensemble: JacobianEnsemble
    edge: Any
    boundary: Any
    outliers: Any
    component: Any
    density: Any
    bounds: dict[str, float]
    predicted: dict[str, float]
    actual: OperatingSpectrum
    shuffled: OperatingSpectrum
    dependence: dict[str, Any]
    seconds: dict[str, float]

    @property
    def predicted_bar_count(self) -> float:
        """Expected number of bar eigenvalues, :math:`n` times the predicted bar fraction."""
        return float(self.component.bar_fraction * self.settings.n)

    def edge_deviation(self, which: str = "actual") -> dict[str, float]:
        """(measured - predicted edge) / predicted height for the bulk's max and tail-fit edge.

        Parameters
        ----------
        which : {"actual", "shuffled"}
            The spectrum with the actual gains or the shuffled-gain control.
        """
        check_in("which", which, ("actual", "shuffled"))
        sp = self.actual if which == "actual" else self.shuffled
        h = self.edge.height
        return {
            "max_real": (sp.edge.max_real - self.edge.edge) / h,
            "tail_fit": (sp.edge.edge - self.edge.edge) / h,
        }

    def summary(self) -> dict[str, Any]:
        """JSON-able summary (undefined values are null).

        Keys: the fixed point (``residual``, ``fixed_points``, ``max_real_fixed_point``), the
        prediction (``edge_pred``, ``edge_kind``, ``height_pred``, ``perron_at_zero``,
        ``outliers_pred``, ``bar_count_pred``, ``fractions_pred``, ``density_converged``), the
        measurements ``actual`` and ``shuffled`` (:meth:`OperatingSpectrum.summary` plus
        ``edge_deviation``), ``dependence``, ``bounds``, ``n``, ``sizes``, ``seconds``.
        """
        out: dict[str, Any] = {
            "n": self.settings.n,
            "sizes": list(self.settings.sizes),
            "phi": self.settings.phi,
            "seed": self.settings.seed,
            "residual": self.residual,
            "fixed_points": dict(self.fixed_points),
            "max_real_fixed_point": float(self.actual.eigenvalues[0].real),
            "edge_pred": self.edge.edge,
            "edge_kind": self.edge.kind,
            "height_pred": self.edge.height,
            "x_at_height_pred": self.edge.x_at_height,
            "perron_at_zero": self.edge.perron_at_zero,
            "outliers_pred": [[float(v.real), float(v.imag)] for v in self.outliers.values],
            "bar_count_pred": self.predicted_bar_count,
            "fractions_pred": dict(self.predicted),
            "density_converged": bool(self.density.converged),
            "bounds": dict(self.bounds),
            "dependence": self.dependence,
            "seconds": dict(self.seconds),
        }
        for which, sp in (("actual", self.actual), ("shuffled", self.shuffled)):
            out[which] = {**sp.summary(), "edge_deviation": self.edge_deviation(which)}
        return strict_json(out)

    def to_xarray(self) -> Any:
        """Eigenvalues (actual and shuffled), gains, timescales, equilibrium and predictions.

        Dims ``eig`` (eigenvalues by decreasing real part: ``eig_{actual,shuffled}_{re,im}``,
        ``bar_{actual,shuffled}``), ``unit`` (``x_star``, ``gain``, ``gain_shuffled``, ``tau``,
        ``population``), ``region`` (``fraction_pred``, ``fraction_actual``,
        ``fraction_shuffled``), plus the predicted boundary, edge, outliers and density. The
        summary is in ``attrs["summary"]`` (JSON text).
        """
        import xarray as xr

        data: dict[str, Any] = {}
        for which, sp in (("actual", self.actual), ("shuffled", self.shuffled)):
            data[f"eig_{which}_re"] = ("eig", sp.eigenvalues.real)
            data[f"eig_{which}_im"] = ("eig", sp.eigenvalues.imag)
            data[f"bar_{which}"] = ("eig", np.asarray(sp.bar, dtype=np.int8))
        real = self.realization
        data.update(
            {
                "x_star": ("unit", self.x_star),
                "gain": ("unit", self.gain),
                "gain_shuffled": ("unit", self.gain_shuffled),
                "tau": ("unit", np.asarray(real.tau)),
                "population": ("unit", np.asarray(real.population)),
                "fraction_pred": ("region", [self.predicted[r] for r in REGIONS]),
                "fraction_actual": ("region", [self.actual.counts[r] for r in REGIONS]),
                "fraction_shuffled": ("region", [self.shuffled.counts[r] for r in REGIONS]),
            }
        )
        ds = xr.Dataset(data, coords={"region": np.array(REGIONS, dtype=object)})
        pieces = [
            ds,
            self.edge.to_xarray(),
            self.boundary.to_xarray(),
            self.outliers.to_xarray(),
            self.density.to_xarray(),
        ]
        out = xr.merge(pieces, compat="override", combine_attrs="drop")
        out.attrs.update(io.provenance())
        out.attrs["settings"] = io.to_json(self.settings.to_config())
        out.attrs["summary"] = io.to_json(self.summary())
        out.attrs["references"] = ["chotibut2025", "rungratsameetaweemana2025"]
        return out


# -- the experiment ----------------------------------------------------------------------------


def relaxed_starts(
    realization: Realization, n_starts: int, *, seed: int = 0, t_relax: float = 30.0
) -> FloatArray:
    r"""Starts for the fixed-point search: states relaxed along the deterministic dynamics.

    Row 0 starts at the input ``b`` (zero recurrent input), the others at the random states of
    :func:`randrnn.fixedpoints.random_starts`; each is integrated for ``t_relax`` (in units of
    the reference timescale) with the exponential Euler step
    :math:`x \leftarrow e^{-\Delta/\tau}x + (1 - e^{-\Delta/\tau})(J\phi(x) + b)`,
    :math:`\Delta = \tau_{\min}/2` (exact for the leak, so stable for any step on it). Newton's
    method from a state inside the basin of a stable equilibrium converges in a few steps,
    where from a random state of saturated units it often stalls.

    Parameters
    ----------
    realization : Realization
        The network.
    n_starts : int
        Number of starts.
    seed : int
        Seed of the random states.
    t_relax : float
        Relaxation time.

    Returns
    -------
    (n_starts, n) ndarray
        The relaxed states.
    """
    check_positive_int("n_starts", n_starts)
    t_relax = check_nonnegative("t_relax", t_relax)
    b = np.asarray(realization.b)
    X = np.concatenate([b[None, :], random_starts(realization, n_starts - 1, seed=seed)])
    tau = np.asarray(realization.tau)
    dt = 0.5 * float(tau.min())
    decay = np.exp(-dt / tau)
    J = sparse.csr_matrix(realization.J)
    phi = realization.network.phi
    assert isinstance(phi, AbstractNonlinearity)
    for _ in range(math.ceil(t_relax / dt)):
        X = decay * X + (1.0 - decay) * ((J @ phi(X).T).T + b)
    return X


def _stable_equilibrium(
    real: Realization, settings: OperatingPointSettings
) -> tuple[FloatArray, float, JacobianSample, ComplexArray, dict[str, Any]]:
    starts = relaxed_starts(real, settings.n_starts, seed=settings.seed)
    # Newton only: a start that relaxation did not bring into the basin of a stable
    # equilibrium (a limit cycle, chaos) would only lead a minimisation to a slow point
    fp = find_fixed_points(
        real,
        starts=starts,
        origin="relaxed",
        n_random=0,
        minimize=False,
        eigen=False,
        seed=settings.seed,
    )
    fixed = np.flatnonzero(fp.kind == "fixed")
    order = fixed[np.argsort(-fp.count[fixed], kind="stable")]
    tried = 0
    for k in order:
        tried += 1
        sample = jacobian(real, fp.points[k])
        lam = spectra.eigenvalues(sample).eigenvalues
        if lam[0].real < -STABILITY_TOL:
            info = {
                "n_fixed": int(fixed.size),
                "n_slow": int(np.sum(fp.kind != "fixed")),
                "tried": tried,
                "count": int(fp.count[k]),
                "starts": int(fp.starts["total"]),
                "converged_newton": int(fp.starts["converged_newton"]),
            }
            return fp.points[k], float(fp.residual[k]), sample, lam, info
    raise NoStableFixedPointError(
        f"none of {settings.n_starts} starts reached a stable equilibrium ({fixed.size} fixed "
        f"points found, {tried} unstable; Newton's method from states relaxed along the "
        "dynamics). The network may oscillate or be chaotic: weaken the couplings (weight_e, "
        "weight_i, connectivity), speed up inhibition (tau_i) or move the operating point "
        "with input_mean."
    )


def _shuffle_gains(gain: FloatArray, population: Any, seed: int) -> FloatArray:
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(11,)))
    out = gain.copy()
    for a in np.unique(population):
        idx = np.flatnonzero(population == a)
        out[idx] = gain[rng.permutation(idx)]
    out.setflags(write=False)
    return out


def _rank_corr(a: FloatArray, b: FloatArray) -> float:
    """Spearman's rank correlation (NaN when either argument is constant)."""
    if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan
    return float(np.corrcoef(stats.rankdata(a), stats.rankdata(b))[0, 1])


def _strength_ratio(r_in: FloatArray, c_out: FloatArray, h2: FloatArray) -> float:
    den = float(np.mean(r_in) * np.mean(c_out * h2))
    return float(np.mean(r_in * c_out * h2)) / den if den > 0 else math.nan


def _dependence(
    real: Realization, gain: FloatArray, shuffled: FloatArray, names: tuple[str, ...]
) -> dict[str, Any]:
    J2 = np.asarray(real.J) ** 2
    r_in, c_out = J2.sum(axis=1), J2.sum(axis=0)
    pop = np.asarray(real.population)
    tau = np.asarray(real.tau)
    out: dict[str, Any] = {}
    for a, name in enumerate(names):
        m = pop == a
        h2, h2s = gain[m] ** 2, shuffled[m] ** 2
        out[name] = {
            "rank_corr_h2_in_strength": _rank_corr(h2, r_in[m]),
            "rank_corr_h2_in_strength_shuffled": _rank_corr(h2s, r_in[m]),
            "rank_corr_h2_out_strength": _rank_corr(h2, c_out[m]),
            "rank_corr_tau_h2": _rank_corr(tau[m], h2),
            "strength_gain_ratio": _strength_ratio(r_in[m], c_out[m], h2),
            "strength_gain_ratio_shuffled": _strength_ratio(r_in[m], c_out[m], h2s),
        }
    return out


def _predicted_fractions(
    ens: JacobianEnsemble, edge: Any, settings: OperatingPointSettings
) -> tuple[Any, dict[str, float], dict[str, float]]:
    h = edge.height
    bounds = {
        "x_split": float(edge.x_at_height),
        "y_cut": float(settings.axis_band * h),
        "y_top": float(h / 4.0),
    }
    nx, ny = settings.density_grid
    pad = 0.05 * h
    x_lo, x_hi = edge.leftmost - pad, edge.edge + pad
    xs = bounds["x_split"]
    # split the cells in proportion to the lengths, at least 2 each side of x_split
    n_left = min(nx - 2, max(2, round(nx * (xs - x_lo) / (x_hi - x_lo))))
    x_edges = np.concatenate(
        [np.linspace(x_lo, xs, n_left + 1), np.linspace(xs, x_hi, nx - n_left + 1)[1:]]
    )
    y_lo, y_top, y_hi = bounds["y_cut"], bounds["y_top"], 0.5 * h + pad
    n_low = min(ny - 2, max(2, round(ny * (y_top - y_lo) / (y_hi - y_lo))))
    y_edges = np.concatenate(
        [np.linspace(y_lo, y_top, n_low + 1), np.linspace(y_top, y_hi, ny - n_low + 1)[1:]]
    )
    if y_edges[0] <= 0:  # keep the nodes off the real axis (poles of the bar)
        y_edges[0] = 1e-3 * (y_edges[1] - y_edges[0])
    core, share = _density_ensemble(ens)
    with quiet_numerics(), warnings.catch_warnings():
        # the bar is compared separately (strong_component); the regions leave the axis out
        warnings.simplefilter("ignore", RegimeWarning)
        dens = rmt.eigenvalue_density(
            core if core is not None else ens,
            x_edges=x_edges,
            y_edges=y_edges,
            on_failure="return",
        )
    # per unit of the whole network; the lower half-plane by conjugate symmetry
    mass = 2.0 * share * dens.mass
    pred = {
        "right": float(mass[n_left:, :].sum()),
        "left": float(mass[:n_left, :].sum()),
        "top": float(mass[:, n_low:].sum()),
    }
    return dens, pred, bounds


def run_operating_point(
    settings: OperatingPointSettings | None = None,
    progress: Callable[..., Any] | None = None,
) -> OperatingPointResult:
    r"""Measure a stable equilibrium's Jacobian spectrum against the random-matrix prediction.

    Stages: draw the realization; find its fixed points from ``n_starts`` starts and keep the
    stable one reached most often; measure the ensemble at it (:func:`measured_ensemble`);
    predict the bulk edge, the support boundary, the outliers from the block means, the bar
    (units outside the giant strongly connected component, exact eigenvalues
    :math:`-1/\tau_j`) and the eigenvalue fractions in the comparison regions (contour
    integrals of the predicted resolvent, :func:`randrnn.rmt.eigenvalue_density`); compute the
    Jacobian's eigenvalues with the actual gains and with the gains permuted within each
    population (the control), and split each spectrum into bar, outliers and bulk.

    Parameters
    ----------
    settings : OperatingPointSettings, optional
        The network and measurement options (defaults if None).
    progress : callable, optional
        Called with the name of each finished stage.

    Returns
    -------
    OperatingPointResult
        The equilibrium, the prediction and both measured spectra.

    Raises
    ------
    NoStableFixedPointError
        If no start reached a stable equilibrium.

    Notes
    -----
    The permuted gains keep every statistic :func:`measured_ensemble` reads (the gain laws per
    population are the same multisets), so both spectra share one prediction. Where the
    control agrees with it and the actual spectrum does not, the difference is the dependence
    of the gains on the couplings. ``summary()["dependence"]`` measures it per population:
    Spearman rank correlations of :math:`h_j^2` with the in-strength
    :math:`R_j = \sum_k J_{jk}^2` (the row that sets :math:`x^*_j`), with the out-strength
    :math:`C_j = \sum_k J_{kj}^2`, and of :math:`\tau_j` with :math:`h_j^2` (zero in law: fixed
    points do not depend on the timescales); and ``strength_gain_ratio``
    :math:`E[RCh^2]/(E[R]\,E[Ch^2])`, the factor by which this dependence rescales the squared
    radius of a one-population bulk whose variance profile is :math:`R_iC_jh_j^2/\sum C`
    (inhomogeneous circular law: radius squared = Perron root of the profile; Alt, Erdős &
    Krüger 2018), 1 for gains independent of the couplings.

    Assumptions: those of :mod:`randrnn.rmt` (large ``n``; the dense-limit density, whose
    corrections at finite in-degree are not included; docs/theory.md 5.3, 5.7) and a static
    input that places the network at a stable equilibrium.
    """
    s = OperatingPointSettings() if settings is None else settings
    if not isinstance(s, OperatingPointSettings):
        raise TypeError(f"`settings` must be an OperatingPointSettings; got {type(s).__name__}.")
    clock = StageClock()

    def done(stage: str) -> None:
        if progress is not None:
            progress(stage)

    with clock("realize"):
        real = realize(s.network(), s.seeds())
    done("realize")
    with clock("fixed_point"):
        x_star, resid, sample, lam, fp_info = _stable_equilibrium(real, s)
    done("fixed_point")
    gain = np.asarray(sample.gain)
    shuffled = _shuffle_gains(gain, real.population, s.seed)
    with clock("theory"):
        ens = measured_ensemble(real, x_star, weight_values=s.weight_values)
        with quiet_numerics():
            edge = rmt.spectral_edge(ens)
            bound = rmt.support_boundary(ens)
            outl = rmt.outliers(ens)
            comp = rmt.strong_component(ens)
        dens, pred, bounds = _predicted_fractions(ens, edge, s)
    done("theory")
    with clock("spectra"):
        actual = _measure(sample, outl.values, bounds, lam)
        control = _measure(dataclasses.replace(sample, gain=shuffled), outl.values, bounds)
    done("spectra")
    names = tuple(ens.names) if ens.names else ("E", "I")
    return OperatingPointResult(
        settings=s,
        realization=real,
        x_star=np.asarray(x_star),
        residual=resid,
        fixed_points=fp_info,
        gain=gain,
        gain_shuffled=shuffled,
        ensemble=ens,
        edge=edge,
        boundary=bound,
        outliers=outl,
        component=comp,
        density=dens,
        bounds=bounds,
        predicted=pred,
        actual=actual,
        shuffled=control,
        dependence=_dependence(real, gain, shuffled, names),
        seconds=clock.total(),
    )
