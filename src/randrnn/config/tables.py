"""The tables of the command configs that have no spec class elsewhere.

``[ensemble]``, ``[network]``, ``[simulation]`` and ``[seeds]`` are :mod:`randrnn.ensembles`,
:class:`~randrnn.networks.RateNetwork`, :class:`~randrnn.simulate.SimulationSettings` and
:class:`~randrnn.networks.Seeds`; the others are here, one frozen dataclass per table.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from randrnn._validation import (
    check_bool,
    check_fraction,
    check_in,
    check_nonnegative,
    check_nonnegative_int,
    check_positive,
    check_positive_int,
    check_real,
    show,
)
from randrnn.ensembles import (
    PAPER_EXAMPLES,
    STATISTICS,
    AbstractDistribution,
    Beta,
    BlockEnsemble,
    HalfNormal,
    LogNormal,
    distribution_from_config,
)
from randrnn.networks import RateNetwork, Seeds
from randrnn.nonlinearities import nonlinearity


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictionSettings:
    """The ``[prediction]`` table of ``randrnn run``.

    Parameters
    ----------
    method : {"auto", "eigen", "quadrature"}
        How the linear-equivalent covariance is computed (see
        :func:`randrnn.covariance.linear_equivalent_covariance`).
    naive : bool
        Also compute the naive Gaussian closure, for comparison.
    order_parameters : {"ensemble", "realization"}
        Gain and residual statistics from the ensemble DMFT (the paper's prediction, default)
        or solved from the realization's own autocovariance
        (:func:`randrnn.covariance.realization_order_parameters`; every unit alike).
    backend : {"numpy", "jax"}
        Where the linear-equivalent covariance is computed (``"jax"``: frequency quadrature
        with batched LU solves on JAX's default device; homogeneous theory only, see
        :func:`randrnn.covariance.predict_covariance`).
    """

    method: Literal["auto", "eigen", "quadrature"] = "auto"
    naive: bool = True
    order_parameters: Literal["ensemble", "realization"] = "ensemble"
    backend: Literal["numpy", "jax"] = "numpy"

    def __post_init__(self) -> None:
        check_in("method", self.method, ["auto", "eigen", "quadrature"])
        check_in("backend", self.backend, ["numpy", "jax"])
        object.__setattr__(self, "naive", check_bool("naive", self.naive))
        check_in("order_parameters", self.order_parameters, ["ensemble", "realization"])

    def to_dict(self) -> dict[str, Any]:
        """The table as a plain dict."""
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class SpectrumSettings:
    """The ``[spectrum]`` table of ``randrnn spectrum``.

    Parameters
    ----------
    method : {"dense", "arnoldi"}
        All eigenvalues, or the ``k`` of largest real part (sparse Arnoldi). The sparse theory
        needs all eigenvalues (``dense``; they come from the strongly connected components).
    n_realizations : int
        Sampled Jacobians (the edge's standard error is over them).
    seed : int
        Root seed of the realizations.
    k : int
        Eigenvalues per realization with ``arnoldi``.
    bins : int
        Bins per axis of the eigenvalue histogram (``dense`` theory and method).
    theory : {"auto", "dense", "sparse"}
        The random-matrix theory compared: the dense limit (``docs/theory.md`` sections
        5.2-5.4), or in addition the finite-connectivity theory (sections 5.5, 5.7: growth-rate
        edge, cavity density, region fractions, the bar). ``auto``: ``sparse`` when the coupling
        is a block ensemble given by mean in-degrees, or one whose block mean in-degrees are
        all <= :data:`SPARSE_MAX_IN_DEGREE`, and its samples keep their block means (the
        sparse matrix is then the whole Jacobian); ``dense`` otherwise
        (:meth:`~randrnn.config.SpectrumConfig.resolved_theory`).
    """

    method: Literal["dense", "arnoldi"] = "dense"
    n_realizations: int = 3
    seed: int = 0
    k: int = 80
    bins: int = 25
    theory: Literal["auto", "dense", "sparse"] = "auto"

    def __post_init__(self) -> None:
        check_in("method", self.method, ["dense", "arnoldi"])
        check_in("theory", self.theory, ["auto", "dense", "sparse"])
        for name in ("n_realizations", "k", "bins"):
            object.__setattr__(self, name, check_positive_int(name, getattr(self, name)))
        object.__setattr__(self, "seed", check_nonnegative_int("seed", self.seed))

    def to_dict(self) -> dict[str, Any]:
        """The table as a plain dict."""
        return dataclasses.asdict(self)


#: largest block mean in-degree at which ``spectrum.theory = "auto"`` picks the sparse theory
SPARSE_MAX_IN_DEGREE = 30.0


def _region(name: str, value: Any) -> tuple[float, float, float, float]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(
            f"`{name}` must be a list [x0, x1, y0, y1]; got {show(value)}. E.g. "
            "[-0.1, inf, -inf, inf] for everything right of Re = -0.1."
        )
    if len(value) != 4:
        raise ValueError(f"`{name}` must have 4 entries [x0, x1, y0, y1]; got {show(list(value))}.")
    out = []
    for i, v in enumerate(value):
        if v is None:  # an unbounded side, as strict JSON records +-inf
            out.append(-math.inf if i in (0, 2) else math.inf)
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"`{name}[{i}]` must be a number (inf allowed); got {show(v)}.")
        if math.isnan(float(v)):
            raise ValueError(f"`{name}[{i}]` must not be NaN; use inf or -inf for an open side.")
        out.append(float(v))
    x0, x1, y0, y1 = out
    if not (x0 < x1 and y0 < y1):
        raise ValueError(
            f"`{name}` must have x0 < x1 and y0 < y1 ([x0, x1, y0, y1]); got {show(out)}."
        )
    return (x0, x1, y0, y1)


@dataclass(frozen=True, slots=True, kw_only=True)
class SparseSettings:
    r"""The ``[sparse]`` table of ``randrnn spectrum``: the finite-connectivity comparison.

    Used when ``spectrum.theory`` resolves to ``sparse`` (Chotibut, Evnin & Horinouchi 2025,
    arXiv:2512.12767; ``docs/theory.md`` sections 5.5 and 5.7).

    Parameters
    ----------
    regions : tuple of [x0, x1, y0, y1]
        Rectangles of the complex plane (closed on the left and bottom, open on the right and
        top; ``inf`` allowed, and ``null``/None for an unbounded side, as strict JSON records
        it) whose eigenvalue fractions are predicted and measured. Sides that
        cross the real axis must do so outside the segment of timescale poles
        :math:`[-1/\tau_{\min}, -1/\tau_{\max}]`, where the theory is smooth. Empty (default):
        four automatic regions from the predicted edge and height
        (:func:`randrnn.experiments.spectrum.automatic_regions`).
    bins_re, bins_im : int
        Cells of the density grid along Re and Im. ``bins_im`` must be odd: the real axis then
        runs through the middle of a row of cells, and no grid line lies on the timescale poles.
    degree_factors : tuple of float
        Factors on every mean in-degree for the edge-vs-degree sweep; weights are scaled by
        ``factor**-0.5`` so that every :math:`c_{ab}E[w_{ab}^2]` (the dense-limit statistics)
        stays fixed (:func:`randrnn.ensembles.at_degree`).
    sweep_n : int, optional
        Units of the sweep's sampled Jacobians (default: ``ensemble.n``).
    sweep_realizations : int
        Realizations per degree factor.
    sweep_enabled : bool
        Run the sweep.
    quantile : float
        Level in (0, 1) of the real-part quantile measured in the sweep beside the rightmost
        eigenvalue of the giant component.
    """

    regions: tuple[tuple[float, float, float, float], ...] = ()
    bins_re: int = 60
    bins_im: int = 61
    degree_factors: tuple[float, ...] = (0.375, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0)
    sweep_n: int | None = None
    sweep_realizations: int = 3
    sweep_enabled: bool = True
    quantile: float = 0.99

    def __post_init__(self) -> None:
        regions = self.regions
        if isinstance(regions, (str, bytes)) or not isinstance(regions, (Sequence, np.ndarray)):
            raise TypeError(
                f"`sparse.regions` must be a list of [x0, x1, y0, y1] lists; got {show(regions)}."
                " Use [] for the automatic regions."
            )
        object.__setattr__(
            self,
            "regions",
            tuple(_region(f"sparse.regions[{i}]", r) for i, r in enumerate(regions)),
        )
        bx = check_positive_int("sparse.bins_re", self.bins_re)
        if bx < 2:
            raise ValueError(f"`sparse.bins_re` must be >= 2; got {bx}.")
        by = check_positive_int("sparse.bins_im", self.bins_im)
        if by < 3 or by % 2 == 0:
            raise ValueError(
                f"`sparse.bins_im` must be odd and >= 3 (the real axis through the middle of a "
                f"row of cells, no grid line on the timescale poles); got {by}. Use "
                f"{max(3, by + 1)}."
            )
        factors = self.degree_factors
        if isinstance(factors, (str, bytes)) or not isinstance(factors, (Sequence, np.ndarray)):
            raise TypeError(
                f"`sparse.degree_factors` must be a list of numbers > 0; got {show(factors)}."
            )
        object.__setattr__(
            self,
            "degree_factors",
            tuple(check_positive(f"sparse.degree_factors[{i}]", f) for i, f in enumerate(factors)),
        )
        object.__setattr__(
            self, "sweep_enabled", check_bool("sparse.sweep_enabled", self.sweep_enabled)
        )
        if self.sweep_enabled and not self.degree_factors:
            raise ValueError(
                "`sparse.degree_factors` must name at least one factor when "
                "`sparse.sweep_enabled` is true; got []. Set sparse.sweep_enabled = false to skip "
                "the sweep."
            )
        if self.sweep_n is not None:
            m = check_positive_int("sparse.sweep_n", self.sweep_n)
            if m < 10:
                raise ValueError(f"`sparse.sweep_n` must be >= 10; got {m}.")
        check_positive_int("sparse.sweep_realizations", self.sweep_realizations)
        q = check_real("sparse.quantile", self.quantile)
        if not 0.0 < q < 1.0:
            raise ValueError(f"`sparse.quantile` must be in (0, 1); got {show(self.quantile)}.")

    def to_dict(self) -> dict[str, Any]:
        """The table as a plain dict (lists for tuples; ``sweep_n`` left out when unset)."""
        out: dict[str, Any] = {
            "regions": [list(r) for r in self.regions],
            "bins_re": self.bins_re,
            "bins_im": self.bins_im,
            "degree_factors": list(self.degree_factors),
            "sweep_realizations": self.sweep_realizations,
            "sweep_enabled": self.sweep_enabled,
            "quantile": self.quantile,
        }
        if self.sweep_n is not None:
            out["sweep_n"] = self.sweep_n
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class FixedPointSettings:
    r"""The ``[fixedpoints]`` table of ``randrnn fixedpoints``.

    Parameters
    ----------
    n_random : int
        Random starts (Gaussian states of the size of the recurrent input).
    n_simulation_starts : int
        Starts sampled from the recorded simulation (0: none).
    tol : float
        A fixed point has ``|F(x*)|_2 <= tol``.
    max_iter : int
        Newton iterations per start.
    minimize : bool
        Minimise ``q = |F|^2 / 2`` where Newton stalls (slow points).
    slow_speed_max : float
        Keep slow points whose rms speed per unit, :math:`\sqrt{2q/N}`, is at most this (in
        units of 1/tau: 0.1 means a unit moves by 1 in about 10 time constants).
    stability_tol : float
        Real-part tolerance of the stability classification.
    gain_tol : float
        Gains at or below this are treated as silent units in the linearizations.
    n_linearized : int
        Fixed points (most stable first) whose eigenvectors are kept in the results (every
        fixed point is linearized and its relations are reported).
    seed : int
        Seed of the random starts.
    context : bool
        Run the context-dependence study (``[context]`` table).
    operating_point : bool
        Run the E/I operating-point spectrum study (``[operating]`` table).
    """

    n_random: int = 200
    n_simulation_starts: int = 50
    tol: float = 1e-11
    max_iter: int = 100
    minimize: bool = True
    slow_speed_max: float = 0.1
    stability_tol: float = 1e-8
    gain_tol: float = 0.0
    n_linearized: int = 3
    seed: int = 0
    context: bool = True
    operating_point: bool = True

    def __post_init__(self) -> None:
        for name in ("n_random", "n_simulation_starts", "seed"):
            object.__setattr__(self, name, check_nonnegative_int(name, getattr(self, name)))
        for name in ("max_iter", "n_linearized"):
            object.__setattr__(self, name, check_positive_int(name, getattr(self, name)))
        if self.n_random + self.n_simulation_starts == 0:
            raise ValueError(
                "`n_random` + `n_simulation_starts` must be >= 1 (no starts, no fixed points); "
                "got 0 and 0."
            )
        for name in ("tol", "slow_speed_max", "stability_tol"):
            check_positive(name, getattr(self, name))
        x = check_real("gain_tol", self.gain_tol)
        if x < 0:
            raise ValueError(f"`gain_tol` must be >= 0; got {show(self.gain_tol)}.")

    def to_dict(self) -> dict[str, Any]:
        """The table as a plain dict."""
        return dataclasses.asdict(self)


#: the designs a ``rank`` selects
DESIGNS = {
    1: "one shared slow mode; context gates which population feeds its selection vector",
    2: "one mode per population; context selects which mode is slow",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ContextSettings:
    r"""Parameters of the context network and of the operating-point search.

    Parameters
    ----------
    n : int
        Number of units (two populations of ``n // 2`` and ``n - n // 2``); at least 20.
    rank : int
        1: one shared mode, :math:`\mathrm{cov}_p(m, n) =` ``overlap`` in both populations;
        2: one mode per population, :math:`\mathrm{cov}_p(m_p, n_p) =` ``overlap`` in
        population ``p`` only (:data:`DESIGNS`).
    overlap : float
        Covariance of the output loading ``m`` and the input-selection loading ``n`` within a
        population (> 0). At the operating point of context ``c`` the slow mode has eigenvalue
        about :math:`-1 + \tfrac12\,\mathrm{overlap}\,\langle\phi'\rangle_c` (population
        ``c`` is the active one), so ``overlap`` below :math:`2/\langle\phi'\rangle_c` keeps
        it stable.
    input_overlap : float
        Covariance of sensory input ``k`` with ``n`` (with ``n_k`` for ``rank=2``) in
        population ``k`` (> 0): the strength of the input's route onto the mode.
    g : float
        Gain of the random part :math:`g\chi`, :math:`\chi_{ij} \sim \mathcal N(0, 1/n)`
        (>= 0; 0: purely low-rank).
    context_strength : float
        Amplitude of the active context input, a constant push on the gated population (> 0).
        Its gain is about :math:`1/\cosh^2(\mathrm{context\_strength})`.
    n_modes : int
        Number of slowest modes whose drives and selection vectors are reported (1..n).
    n_starts : int
        Random starts of the fixed-point search, besides the settled state (>= 0).
    settle_time : float
        Time (units of tau) the network is integrated from :math:`x = C u_c` before the
        fixed-point search starts from there (>= 0).
    seed : int
        Coupling seed (loadings and random part).
    start_seed : int
        Seed of the random starts.

    Examples
    --------
    >>> ContextSettings(n=200).rank
    1
    >>> ContextSettings(rank=3)
    Traceback (most recent call last):
    ...
    ValueError: `rank` must be 1 or 2; got 3. ...
    """

    n: int = 300
    rank: int = 1
    overlap: float = 2.0
    input_overlap: float = 1.5
    g: float = 0.5
    context_strength: float = 3.0
    n_modes: int = 1
    n_starts: int = 4
    settle_time: float = 50.0
    seed: int = 0
    start_seed: int = 0

    #: smallest network: two populations large enough to carry a mode each
    MIN_N: ClassVar[int] = 20

    def __post_init__(self) -> None:
        n = check_positive_int("n", self.n)
        if n < self.MIN_N:
            raise ValueError(
                f"`n` must be >= {self.MIN_N} (two populations of at least 10 units); got {n}. "
                "Use n = 300 or more for a clean separation of the slow mode from the bulk."
            )
        rank = check_positive_int("rank", self.rank)
        if rank not in DESIGNS:
            raise ValueError(
                f"`rank` must be 1 or 2; got {rank}. rank=1: {DESIGNS[1]}; rank=2: {DESIGNS[2]}."
            )
        object.__setattr__(self, "overlap", check_positive("overlap", self.overlap))
        object.__setattr__(
            self, "input_overlap", check_positive("input_overlap", self.input_overlap)
        )
        object.__setattr__(
            self,
            "g",
            check_nonnegative("g", self.g, "Use g = 0 for a purely low-rank network."),
        )
        object.__setattr__(
            self,
            "context_strength",
            check_positive(
                "context_strength",
                self.context_strength,
                "A context input must push its population towards saturation (e.g. 3).",
            ),
        )
        k = check_positive_int("n_modes", self.n_modes)
        if k > n:
            raise ValueError(f"`n_modes` must be <= n = {n}; got {k}.")
        check_nonnegative_int("n_starts", self.n_starts)
        object.__setattr__(self, "settle_time", check_nonnegative("settle_time", self.settle_time))
        check_nonnegative_int("seed", self.seed)
        check_nonnegative_int("start_seed", self.start_seed)

    def to_dict(self) -> dict[str, Any]:
        """The settings as a plain (JSON-able) dict."""
        return dataclasses.asdict(self)


#: default laws of the settings: excitatory and inhibitory weight magnitudes and timescales
#: (inhibitory timescales slower and more diverse)
DEFAULT_WEIGHT_E: AbstractDistribution = HalfNormal(scale=0.45)
DEFAULT_WEIGHT_I: AbstractDistribution = LogNormal(median=0.6, sigma=0.5)
DEFAULT_TAU_E: AbstractDistribution = Beta(a=2.0, b=2.0, low=1.0, high=2.0)
DEFAULT_TAU_I: AbstractDistribution = Beta(a=2.0, b=3.0, low=1.5, high=6.0)


def _pair(name: str, value: Any, check: Callable[[str, Any], float]) -> tuple[float, float]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(f"`{name}` must be a pair (excitatory, inhibitory); got {value!r}.")
    return (check(f"{name}[0]", value[0]), check(f"{name}[1]", value[1]))


def _law(name: str, value: Any) -> AbstractDistribution:
    return distribution_from_config(value, name=name)


@dataclass(frozen=True, slots=True, kw_only=True)
class OperatingPointSettings:
    r"""An E/I rate network with heterogeneous timescales and how its equilibrium is measured.

    The network is :math:`\tau_i\dot x_i = -x_i + \sum_j J_{ij}\phi(x_j) + b_i`, with ``J`` from
    a :class:`~randrnn.ensembles.BlockEnsemble` (populations ``E`` then ``I``, Dale signs
    ``(+1, -1)``, magnitudes not scaled with ``n``, block means kept), timescales drawn per
    population, and a Gaussian static input per population. The defaults give a unique stable
    equilibrium with sigmoid units at low rates (gains well below their maximum 1/4).

    Parameters
    ----------
    n : int
        Number of units (>= 10).
    inhibitory_fraction : float
        Fraction of inhibitory units, in (0, 1).
    connectivity : ((p_EE, p_EI), (p_IE, p_II))
        Connection probabilities (row: postsynaptic, column: presynaptic). Zero in the ``E``
        column (``p_EE = p_IE = 0``) prunes every excitatory outgoing weight.
    weight_e, weight_i : AbstractDistribution or float or dict
        Magnitude laws of excitatory and inhibitory weights (by presynaptic population).
    phi : str
        Transfer function (``sigmoid``, ``tanh``, ``erf``, ``relu``; any monotone one of
        :func:`randrnn.nonlinearities.nonlinearity`).
    input_mean, input_sd : (E, I) pairs of float
        Mean and standard deviation of the static input :math:`b_i` per population (drawn from
        the ``input`` stream of ``Seeds(seed, seed, seed, seed)``).
    tau_e, tau_i : AbstractDistribution or float or dict
        Timescale laws per population (positive support).
    seed : int
        Seed of the couplings, timescales, input, fixed-point starts and gain permutation.
    n_starts : int
        Starts of the fixed-point search (:func:`relaxed_starts`): the input ``b`` (the state
        of zero recurrent input) and ``n_starts - 1`` random states, each relaxed along the
        dynamics before Newton's method.
    axis_band : float
        The comparison regions leave out ``|Im z| < axis_band * height`` (``height``: the
        predicted vertical extent of the bulk), where real eigenvalues (the bar, the real
        eigenvalues every real matrix has) and the depletion of complex eigenvalues next to the
        real axis sit; in [0, 0.25).
    weight_values : int
        At most this many values per block in the measured weight laws (moment-preserving
        quantile compression, :func:`measured_ensemble`).
    density_grid : (nx, ny)
        Cells of the predicted-density grid across the real extent of the support and across
        its upper half (each >= 4).

    Examples
    --------
    >>> s = OperatingPointSettings(n=300, seed=2)
    >>> s.network().n, s.connectivity[1][0]
    (300, 0.1)
    >>> OperatingPointSettings.inhibitory_core(n=300).connectivity[0][0]
    0.0
    """

    n: int = 1000
    inhibitory_fraction: float = 0.2
    connectivity: tuple[tuple[float, float], tuple[float, float]] = ((0.1, 0.3), (0.1, 0.3))
    weight_e: AbstractDistribution = DEFAULT_WEIGHT_E
    weight_i: AbstractDistribution = DEFAULT_WEIGHT_I
    phi: str = "sigmoid"
    input_mean: tuple[float, float] = (0.0, 0.0)
    input_sd: tuple[float, float] = (0.5, 0.5)
    tau_e: AbstractDistribution = DEFAULT_TAU_E
    tau_i: AbstractDistribution = DEFAULT_TAU_I
    seed: int = 0
    n_starts: int = 20
    axis_band: float = 0.05
    weight_values: int = 128
    density_grid: tuple[int, int] = (64, 24)

    def __post_init__(self) -> None:
        n = check_positive_int("settings.n", self.n)
        if n < 10:
            raise ValueError(f"`settings.n` must be >= 10; got {n!r}.")
        f = check_fraction("settings.inhibitory_fraction", self.inhibitory_fraction)
        if not 0.0 < f < 1.0:
            raise ValueError(
                f"`settings.inhibitory_fraction` must be in (0, 1); got {f!r}. Both "
                "populations must have units."
            )
        rows = self.connectivity
        if isinstance(rows, (str, bytes)) or not hasattr(rows, "__len__") or len(rows) != 2:
            raise ValueError(
                "`settings.connectivity` must be ((p_EE, p_EI), (p_IE, p_II)); got "
                f"{self.connectivity!r}."
            )
        conn = tuple(
            _pair(f"settings.connectivity[{a}]", r, check_fraction) for a, r in enumerate(rows)
        )
        object.__setattr__(self, "connectivity", conn)
        object.__setattr__(self, "weight_e", _law("settings.weight_e", self.weight_e))
        object.__setattr__(self, "weight_i", _law("settings.weight_i", self.weight_i))
        phi = nonlinearity(self.phi)
        object.__setattr__(self, "phi", phi.name if isinstance(self.phi, str) else self.phi)
        object.__setattr__(
            self, "input_mean", _pair("settings.input_mean", self.input_mean, check_real)
        )
        object.__setattr__(
            self, "input_sd", _pair("settings.input_sd", self.input_sd, check_nonnegative)
        )
        for name in ("tau_e", "tau_i"):
            d = _law(f"settings.{name}", getattr(self, name))
            if d.support[0] <= 0 and not (d.kind == "lognormal" and d.mean > 0):
                raise ValueError(
                    f"`settings.{name}` must have support in (0, inf); got {d!r}. Timescales "
                    "must be > 0: use e.g. Beta(a=2, b=2, low=1, high=2)."
                )
            object.__setattr__(self, name, d)
        check_nonnegative_int("settings.seed", self.seed)
        check_positive_int("settings.n_starts", self.n_starts)
        band = check_real("settings.axis_band", self.axis_band)
        if not 0.0 <= band < 0.25:
            raise ValueError(
                f"`settings.axis_band` must be in [0, 0.25) (a fraction of the bulk height); "
                f"got {band!r}."
            )
        wv = check_positive_int("settings.weight_values", self.weight_values)
        if wv < 2:
            raise ValueError(f"`settings.weight_values` must be >= 2; got {wv!r}.")
        grid = self.density_grid
        if isinstance(grid, (str, bytes)) or not hasattr(grid, "__len__") or len(grid) != 2:
            raise ValueError(f"`settings.density_grid` must be (nx, ny); got {grid!r}.")
        g = tuple(check_positive_int(f"settings.density_grid[{k}]", v) for k, v in enumerate(grid))
        if min(g) < 4:
            raise ValueError(f"`settings.density_grid` must have >= 4 cells each way; got {g!r}.")
        object.__setattr__(self, "density_grid", g)

    @classmethod
    def inhibitory_core(cls, **changes: Any) -> OperatingPointSettings:
        r"""The "inhibitory core, excitatory periphery" preset: excitatory outgoing weights pruned.

        ``p_EE = p_IE = 0``; inhibitory columns sparse (``p_EI = 0.3``, ``p_II = 0.1``) with
        broad lognormal weights; inhibitory timescales slower and more diverse (Beta on
        [2, 10]). Every excitatory unit is then an exact eigenvalue :math:`-1/\tau_j` (the
        bar); the bulk comes from the inhibitory core. Keyword arguments override fields.
        """
        base: dict[str, Any] = {
            "connectivity": ((0.0, 0.3), (0.0, 0.1)),
            "weight_i": LogNormal(median=1.5, sigma=0.8),
            "input_mean": (10.0, 1.0),
            "tau_i": Beta(a=2.0, b=3.0, low=2.0, high=10.0),
        }
        base.update(changes)
        return cls(**base)

    @property
    def sizes(self) -> tuple[int, int]:
        """Population sizes ``(n_E, n_I)``."""
        s = self.ensemble().sizes
        return (s[0], s[1])

    def ensemble(self) -> BlockEnsemble:
        """The coupling ensemble (E, I; Dale signs; block means kept; ``scaling="none"``)."""
        f = self.inhibitory_fraction
        return BlockEnsemble(
            n=self.n,
            fractions=(1.0 - f, f),
            signs=(1, -1),
            connectivity=self.connectivity,
            weights=((self.weight_e, self.weight_i), (self.weight_e, self.weight_i)),
            scaling="none",
            keep_mean=True,
        )

    def seeds(self) -> Seeds:
        """The seeds of every stream (all ``seed``; the streams stay independent)."""
        s = self.seed
        return Seeds(coupling=s, input=s, initial=s, noise=s)

    def network(self) -> RateNetwork:
        """The rate network, with its static input drawn from the ``input`` stream."""
        ens = self.ensemble()
        pop = ens.population_index()
        z = self.seeds().generator("input").standard_normal(self.n)
        mean = np.asarray(self.input_mean)[pop]
        sd = np.asarray(self.input_sd)[pop]
        return RateNetwork(
            ensemble=ens, phi=self.phi, tau=(self.tau_e, self.tau_i), b=mean + sd * z
        )

    def to_config(self) -> dict[str, Any]:
        """JSON/TOML-able description (laws as ``{"kind": ...}`` tables)."""
        out: dict[str, Any] = {}
        for fld in dataclasses.fields(self):
            v = getattr(self, fld.name)
            if isinstance(v, AbstractDistribution):
                v = v.to_config()
            elif isinstance(v, tuple):
                v = [list(x) if isinstance(x, tuple) else x for x in v]
            elif not isinstance(v, (int, float, str)):
                v = getattr(v, "name", str(v))
            out[fld.name] = v
        return out

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> OperatingPointSettings:
        """Build from a mapping of fields; an unknown key is an error listing the valid ones."""
        valid = sorted(f.name for f in dataclasses.fields(cls))
        unknown = sorted(set(config) - set(valid))
        if unknown:
            raise ValueError(f"unknown key(s) {unknown} in the settings; valid keys: {valid}.")
        cfg = dict(config)
        for key in ("connectivity", "input_mean", "input_sd", "density_grid"):
            if key in cfg and isinstance(cfg[key], list):
                cfg[key] = tuple(tuple(x) if isinstance(x, list) else x for x in cfg[key])
        return cls(**cfg)


# -- the measured ensemble ---------------------------------------------------------------------


def _values(name: str, value: Any, *, fraction: bool = False) -> tuple[float, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(f"`{name}` must be a list of numbers; got {show(value)}.")
    out = []
    for i, v in enumerate(value):
        x = check_real(f"{name}[{i}]", v)
        if x < 0 or (fraction and x > 1):
            bound = "in [0, 1]" if fraction else ">= 0"
            raise ValueError(f"`{name}[{i}]` must be {bound}; got {show(v)}.")
        out.append(x)
    return tuple(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class SensitivitySettings:
    """The ``[sensitivity]`` table of ``randrnn spectrum``: the edge along each statistic.

    Parameters
    ----------
    enabled : bool
        Run the sweeps.
    n : int
        Network size of the sweeps.
    n_realizations : int
        Realizations per point.
    sparsity, weight_scale : tuple of float
        Factors on every connection probability / weight magnitude (>= 0).
    fraction_excitatory : tuple of float
        Excitatory fractions (in [0, 1]; two populations only).
    tau_spread, gain_spread : tuple of float
        Spread of every non-fixed timescale / gain law (>= 0).

    See :func:`randrnn.ensembles.vary` for what each statistic changes.
    """

    enabled: bool = True
    n: int = 1000
    n_realizations: int = 3
    sparsity: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0)
    fraction_excitatory: tuple[float, ...] = (0.6, 0.7, 0.8, 0.9)
    weight_scale: tuple[float, ...] = (0.6, 0.8, 1.0, 1.2)
    tau_spread: tuple[float, ...] = (0.0, 0.3, 0.6, 0.9)
    gain_spread: tuple[float, ...] = (0.0, 0.3, 0.6, 0.9)

    def __post_init__(self) -> None:
        object.__setattr__(self, "enabled", check_bool("enabled", self.enabled))
        for name in ("n", "n_realizations"):
            object.__setattr__(self, name, check_positive_int(name, getattr(self, name)))
        for name in STATISTICS:
            vals = _values(name, getattr(self, name), fraction=name == "fraction_excitatory")
            object.__setattr__(self, name, vals)

    def values(self, statistic: str) -> tuple[float, ...]:
        """The values swept for ``statistic`` (one of :data:`randrnn.ensembles.STATISTICS`)."""
        check_in("statistic", statistic, STATISTICS)
        return getattr(self, statistic)  # type: ignore[no-any-return]

    @property
    def n_points(self) -> int:
        """Number of swept points over all statistics."""
        return sum(len(self.values(st)) for st in STATISTICS)

    def to_dict(self) -> dict[str, Any]:
        """The table as a plain dict (lists for the tuples)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in _fields(self).items()}


def _fields(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


@dataclass(frozen=True, slots=True, kw_only=True)
class LowRankSettings:
    r"""The ``[lowrank]`` table of ``randrnn lowrank``: theory vs full networks.

    Parameters
    ----------
    examples : tuple of str
        The paper's examples to reproduce
        (:data:`randrnn.ensembles.lowrank.PAPER_EXAMPLES`; empty: none). A low-rank
        ``[ensemble]`` table adds the user's own mixture as example ``custom``.
    phis : tuple of str
        Nonlinearities; every example runs with each.
    n : int
        Units per full network.
    realizations : int
        Networks sampled per example (at least 2: the finite-size spread is their standard
        error).
    dt : float
        Integration step of the full-network simulations.
    record_every : int
        Steps between recorded samples.
    seed : int
        Realization ``s`` uses coupling seed ``seed + s``.
    """

    examples: tuple[str, ...] = PAPER_EXAMPLES
    phis: tuple[str, ...] = ("tanh", "erf")
    n: int = 4000
    realizations: int = 5
    dt: float = 0.01
    record_every: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("examples", "phis"):
            v = getattr(self, name)
            if isinstance(v, str) or not all(isinstance(x, str) for x in v):
                raise TypeError(f"`lowrank.{name}` must be a list of names; got {show(v)}.")
            object.__setattr__(self, name, tuple(v))
        for ex in self.examples:
            check_in("lowrank.examples", ex, PAPER_EXAMPLES)
        if not self.phis:
            raise ValueError("`lowrank.phis` must name at least one nonlinearity; got [].")
        for p in self.phis:
            nonlinearity(p)
        check_positive_int("lowrank.n", self.n)
        if check_positive_int("lowrank.realizations", self.realizations) < 2:
            raise ValueError(
                "`lowrank.realizations` must be >= 2 (the finite-size spread is their standard "
                f"error); got {self.realizations}."
            )
        check_positive("lowrank.dt", self.dt)
        check_positive_int("lowrank.record_every", self.record_every)
        check_nonnegative_int("lowrank.seed", self.seed)

    def to_dict(self) -> dict[str, Any]:
        """The table as a plain dict (lists for tuples)."""
        return {
            k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ApproximationSettings:
    r"""The ``[approximation]`` table of ``randrnn lowrank``: fit a mixture to a 2-D flow.

    Parameters
    ----------
    enabled : bool
        Run the approximation study.
    target : {"van_der_pol", "stuart_landau"}
        The target vector field.
    mu : float
        Van der Pol parameter.
    components : tuple of int
        Numbers of mixture components P to fit (the field error vs P table).
    n : int
        Units of the sampled networks (at the largest P).
    realizations : int
        Networks sampled at the largest P.
    seed : int
        Seed of the random m- and input-statistics and of the sampled networks.
    """

    enabled: bool = True
    target: str = "van_der_pol"
    mu: float = 1.0
    components: tuple[int, ...] = (5, 10, 20, 40)
    n: int = 100000
    realizations: int = 5
    seed: int = 0

    def __post_init__(self) -> None:
        check_bool("approximation.enabled", self.enabled)
        check_in("approximation.target", self.target, ("van_der_pol", "stuart_landau"))
        check_positive("approximation.mu", self.mu)
        comps = self.components
        if isinstance(comps, (str, int)) or not comps:
            raise TypeError(
                "`approximation.components` must be a non-empty list of integers; got "
                f"{show(comps)}."
            )
        object.__setattr__(
            self,
            "components",
            tuple(check_positive_int("approximation.components", c) for c in comps),
        )
        check_positive_int("approximation.n", self.n)
        if check_positive_int("approximation.realizations", self.realizations) < 2:
            raise ValueError(f"`approximation.realizations` must be >= 2; got {self.realizations}.")
        check_nonnegative_int("approximation.seed", self.seed)

    def to_dict(self) -> dict[str, Any]:
        """The table as a plain dict (lists for tuples)."""
        return {
            k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()
        }
