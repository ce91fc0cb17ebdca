r"""Batched simulation of rate networks with streaming statistics.

.. math:: \tau_i \dot x_i = -x_i + \sum_j J_{ij}\phi(x_j) + b_i + \sigma \xi_i(t)

- :class:`SimulationSettings` -- integration and sampling settings (frozen).
- :func:`simulate` -- run ``n_trials`` trials of one realization (same ``J``, independent
  initial states and noise) and return a :class:`Simulation` of streamed statistics.
- :func:`simulate_trajectories` -- trials from given initial states (and a time-dependent
  input), recording read-outs of the state (e.g. the latent variables of a low-rank network).

Integrator (docs/theory.md section 1): exponential Euler. Over a step ``dt`` the recurrent input
:math:`I_i = \sum_j J_{ij}\phi(x_j) + b_i` is held fixed and the leak and the Ornstein-Uhlenbeck
noise are integrated exactly:

.. math:: x_i(t+dt) = e_i x_i(t) + (1 - e_i) I_i(t)
          + \sigma\sqrt{(1 - e_i^2)/(2\tau_i)}\;\eta_i,
          \qquad e_i = e^{-dt/\tau_i},\; \eta_i \sim \mathcal N(0, 1)

so a network without recurrence (an OU process per unit) is integrated exactly for any ``dt``;
the recurrent input is first order in ``dt`` (for a linear network the stationary covariance
along an eigenmode :math:`\lambda` is biased by :math:`-\mathrm{Re}\,\lambda\,dt/2` relative).

One step is one float32 GEMM ``(B x N) @ (N x N)`` fused with the leak (BLAS ``beta``), a
compiled elementwise ``phi`` and, with noise, one batch of normal variates. Statistics are
sampled every ``stats_every`` steps into a buffer and folded in by BLAS ``syrk``/``gemm``
(NumPy's BLAS, the same as the step's).
No trajectory is kept unless ``record_units`` is set.

With ``SimulationSettings(backend="jax")`` the same integrator runs on JAX (CPU or GPU,
:mod:`randrnn._jax_stepping`): one compiled call per statistics block keeps the block sums on
the device and hands them to the same accumulators, so both backends give the same estimators
with the same standard errors (from different noise streams; identical initial states).
"""

from __future__ import annotations

import importlib.util
import math
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from tqdm.auto import tqdm

from randrnn._stepping import FactoredStepper, NumpyStepper, Schedule, TrajectoryRecorder
from randrnn._validation import (
    check_bool,
    check_in,
    check_nonnegative,
    check_nonnegative_int,
    check_optional_bool,
    check_positive,
    check_positive_int,
    show,
)
from randrnn.errors import DivergenceError
from randrnn.networks import Realization
from randrnn.stats import (
    AutocovarianceAccumulator,
    AutocovarianceEstimate,
    CovarianceAccumulator,
    CovarianceEstimate,
    sample_quadruples,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationSettings:
    """Integration and sampling settings, validated at construction.

    Every field is type-checked strictly (strings are not booleans, ``2.5`` is not an integer);
    the run length is checked too: settings whose step count is absurd, or whose ``t_max`` the
    rounding to whole blocks would more than double, are refused, and a run of more than
    :attr:`long_run_steps` steps gives a warning.

    Parameters
    ----------
    dt : float
        Step (units of tau); must be smaller than the smallest ``tau``.
    t_max : float
        Sampled duration after burn-in (rounded up to whole blocks, see :attr:`t_sampled`).
    burn_in : float
        Discarded transient.
    n_trials : int
        Trials ``B`` run in parallel (same couplings, independent initial states and noise).
    stats_every : int
        Steps between samples of the equal-time statistics.
    acf_every : int
        Steps between samples of the autocovariance (its lag resolution is ``acf_every*dt``).
    max_lag : float
        Largest lag of the autocovariance (0 disables it).
    acf_trials : int
        Number of trials whose units enter the autocovariance (all units of each).
    n_blocks : int
        Time blocks for batch-means standard errors and the split-half estimate.
    dtype : {"float32", "float64"}
        State dtype (accumulators are float64 either way).
    backend : {"numpy", "jax"}
        Where the trials are stepped: ``"numpy"`` (NumPy's BLAS and compiled kernels) or
        ``"jax"`` (JAX on its default device, CPU or GPU; needs ``pip install "randrnn[jax]"``).
        Both feed the same estimators (:mod:`randrnn.stats`) and give the same statistics
        within their standard errors; the JAX noise is a different random stream (the initial
        states are identical). The JAX backend supports the built-in nonlinearities and no
        ``record_units``.
    covariance : bool
        Accumulate the ``N x N`` covariances of ``x`` and ``phi``.
    cross_covariance : bool
        Accumulate the ``N x N`` cross-covariance of ``x`` and ``phi``.
    n_quadruples : int
        Random quadruples of distinct units on which fourth-order cross-cumulants of ``phi``
        are accumulated (the Wick test; 0 disables it). Drawn from the ``initial`` seed.
    x0_std : float
        Standard deviation of the i.i.d. Gaussian initial states.
    record_units : tuple of int
        Units whose trajectories are written (requires a ``trajectory_store``).
    record_trials : int
        Number of trials recorded.
    record_every : int
        Steps between recorded samples.
    max_abs : float
        ``|x|`` above this counts as divergence (as do NaN and inf).
    progress : bool or None
        Progress bar; ``None`` shows it only on a terminal.

    Raises
    ------
    TypeError
        For a value of the wrong type (a string for a bool, a float for an integer).
    ValueError
        For a value out of range, more than :attr:`max_steps` integration steps, a ``t_max``
        that whole blocks would more than double, or a ``max_lag`` longer than a block.

    Examples
    --------
    >>> st = SimulationSettings(t_max=50.0, burn_in=10.0, n_trials=4, max_lag=2.0)
    >>> st.n_steps, st.t_sampled   # 16 blocks of 7 samples, one every 10 steps of 0.05
    (1320, 56.0)
    >>> SimulationSettings(t_max=50.0, stats_every=100_000)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `t_max` = 50.0 would be rounded up to 80000 time units (1600x): ...
    """

    #: integration steps (burn-in included) above which constructing settings warns
    long_run_steps: ClassVar[int] = 2 * 10**6
    #: integration steps above which settings are refused (days of work even for tiny networks)
    max_steps: ClassVar[int] = 10**10

    dt: float = 0.05
    t_max: float = 200.0
    burn_in: float = 50.0
    n_trials: int = 16
    stats_every: int = 10
    acf_every: int = 5
    max_lag: float = 10.0
    acf_trials: int = 8
    n_blocks: int = 16
    dtype: Literal["float32", "float64"] = "float32"
    backend: Literal["numpy", "jax"] = "numpy"
    covariance: bool = True
    cross_covariance: bool = True
    n_quadruples: int = 0
    x0_std: float = 1.0
    record_units: tuple[int, ...] = field(default=())
    record_trials: int = 1
    record_every: int = 10
    max_abs: float = 1e8
    progress: bool | None = None

    def __post_init__(self) -> None:
        for name, check in (
            ("dt", check_positive),
            ("t_max", check_positive),
            ("burn_in", check_nonnegative),
            ("max_lag", check_nonnegative),
            ("x0_std", check_nonnegative),
            ("max_abs", check_positive),
        ):
            object.__setattr__(self, name, check(name, getattr(self, name)))
        for name in (
            "n_trials",
            "stats_every",
            "acf_every",
            "acf_trials",
            "n_blocks",
            "record_trials",
            "record_every",
        ):
            object.__setattr__(self, name, check_positive_int(name, getattr(self, name)))
        if self.n_blocks < 4:
            raise ValueError(
                f"`n_blocks` must be >= 4 for meaningful standard errors; got {self.n_blocks!r}."
            )
        options = ["float32", "float64"]
        check_in("dtype", self.dtype, options)
        object.__setattr__(self, "dtype", options[options.index(self.dtype)])
        self._check_backend()
        for name in ("covariance", "cross_covariance"):
            object.__setattr__(self, name, check_bool(name, getattr(self, name)))
        object.__setattr__(
            self, "n_quadruples", check_nonnegative_int("n_quadruples", self.n_quadruples)
        )
        units = self.record_units
        if isinstance(units, (str, bytes)) or not isinstance(units, (Sequence, np.ndarray)):
            raise TypeError(
                f"`record_units` must be a list of unit indices (integers >= 0); got {show(units)}."
            )
        object.__setattr__(
            self,
            "record_units",
            tuple(check_nonnegative_int(f"record_units[{i}]", u) for i, u in enumerate(units)),
        )
        object.__setattr__(self, "progress", check_optional_bool("progress", self.progress))
        if self.backend == "jax" and self.record_units:
            raise ValueError(
                f"`record_units` = {list(self.record_units)} is not supported by `backend` = "
                "'jax' (trajectories are recorded by the NumPy backend only). Use `backend` = "
                "'numpy' to record trajectories, or leave `record_units` empty."
            )
        self._check_run_length()
        if self.max_lag > 0 and self.block_length < self.max_lag + self.acf_every * self.dt:
            raise ValueError(
                f"`max_lag` must be shorter than a block; got {self.max_lag!r}. A block is "
                f"{self.block_length:g} time units (`t_max` = {self.t_max:g} over `n_blocks` = "
                f"{self.n_blocks}, in whole samples of `stats_every` x `dt` = "
                f"{self.stats_every * self.dt:g}), and one autocovariance step (`acf_every` x "
                f"`dt` = {self.acf_every * self.dt:g}) must fit after `max_lag`. Increase `t_max`, "
                "or reduce `n_blocks`, `max_lag` or `acf_every`."
            )

    def _check_backend(self) -> None:
        """``backend`` is one of the backends, and JAX is importable for ``"jax"``."""
        options = ["numpy", "jax"]
        check_in(
            "backend",
            self.backend,
            options,
            "Use 'numpy' (the default) or 'jax' (JAX on its default device, CPU or GPU).",
        )
        object.__setattr__(self, "backend", options[options.index(self.backend)])
        if self.backend == "jax" and importlib.util.find_spec("jax") is None:
            raise ImportError(
                "`simulation.backend` = 'jax' needs JAX, which is not installed. Install it "
                'with `pip install "randrnn[jax]"` (jax[cuda12] for an NVIDIA GPU), or use '
                "`simulation.backend` = 'numpy'."
            )

    def _check_run_length(self) -> None:
        """Refuse absurd step counts and a ``t_max`` inflated by whole blocks; warn on long runs."""
        dt = self.dt
        one_sample_per_block = self.n_blocks * self.stats_every * dt
        steps = (self.burn_in + max(self.t_max, one_sample_per_block)) / dt  # float: may be inf
        if not steps <= self.max_steps:
            raise ValueError(
                f"`dt` = {dt!r} with `t_max` = {self.t_max!r} and `burn_in` = {self.burn_in!r} "
                f"needs about {steps:.3g} integration steps; at most {self.max_steps:.0e} are "
                "allowed. Increase `dt` (dt <= tau/10 is usually enough) or reduce `t_max` or "
                "`burn_in`."
            )
        if self.t_sampled > 2 * self.t_max:
            largest = math.floor(self.t_max / (self.n_blocks * dt))
            hint = (
                f"Reduce `stats_every` (at most {largest} keeps the rounding below 2x) or "
                "`n_blocks`, or increase `t_max`."
                if largest >= 1
                else "Reduce `n_blocks` or increase `t_max`."
            )
            raise ValueError(
                f"`t_max` = {self.t_max!r} would be rounded up to {self.t_sampled:g} time units "
                f"({self.t_sampled / self.t_max:.0f}x): the sampled time is `n_blocks` = "
                f"{self.n_blocks} whole blocks, each of at least one sample every `stats_every` = "
                f"{self.stats_every} steps of `dt` = {dt!r}. {hint}"
            )
        if self.n_steps > self.long_run_steps:
            warnings.warn(
                f"the simulation will take {self.n_steps:,} integration steps (`burn_in` + "
                f"`t_max` = {self.burn_in + self.t_sampled:g} time units at `dt` = {dt!r}), "
                "which can take hours. Increase `dt` or reduce `t_max` if that is not intended.",
                UserWarning,
                stacklevel=4,
            )

    @property
    def samples_per_block(self) -> int:
        """Equal-time samples per time block (at least one)."""
        return max(1, math.ceil(self.t_max / (self.stats_every * self.dt) / self.n_blocks))

    @property
    def block_length(self) -> float:
        """Duration of one time block (``t_max`` is rounded up to whole blocks)."""
        dt_stat = self.stats_every * self.dt
        return math.ceil(self.t_max / dt_stat / self.n_blocks) * dt_stat

    @property
    def t_sampled(self) -> float:
        """Sampled duration after rounding ``t_max`` up to whole blocks."""
        return self.n_blocks * self.samples_per_block * self.stats_every * self.dt

    @property
    def n_steps(self) -> int:
        """Integration steps: burn-in plus the sampled blocks."""
        burn = math.ceil(self.burn_in / self.dt)
        return burn + self.n_blocks * self.samples_per_block * self.stats_every

    @property
    def n_lags(self) -> int:
        """Lags of the autocovariance, lag 0 included (0 when ``max_lag`` is 0)."""
        if self.max_lag == 0:
            return 0
        return round(self.max_lag / (self.acf_every * self.dt)) + 1

    def estimated_bytes(self, n: int) -> int:
        """Peak memory of :func:`simulate` for a network of ``n`` units, in bytes.

        The sum of :meth:`memory_breakdown`. Measured peak resident memory is within about
        15 % of it (N = 1000-3000).

        Parameters
        ----------
        n : int
            Number of units.

        Returns
        -------
        int
            Bytes.

        Examples
        --------
        >>> st = SimulationSettings(t_max=1000.0, n_trials=128, max_lag=0.0)
        >>> round(st.estimated_bytes(20_000) / 20_000**2)   # bytes per N x N entry
        76
        """
        return sum(self.memory_breakdown(n).values())

    def memory_breakdown(self, n: int) -> dict[str, int]:
        """What :func:`simulate` holds at its peak for ``n`` units, in bytes, by purpose.

        Counted from what :func:`simulate` and the accumulators of :mod:`randrnn.stats`
        allocate (``s`` = the state itemsize, 4 for float32; ``p`` = number of ``N x N``
        covariances accumulated, 3 with ``covariance`` and ``cross_covariance`` on):

        - ``couplings and N x N accumulators``: the larger of the integration, per entry the
          realization's float64 ``J`` (8), the scaled ``J^T`` of the step (``s``), per
          covariance a block sum (``s``), a float64 running mean (8), a float32 Welford sum (4)
          and a float32 first-half sum (4), and one shared scratch matrix (``s``) -- 76 bytes
          per entry for float32 with ``p = 3`` -- and the end, ``J`` (8) and per covariance the
          estimate (8), its SE (4) and the two split halves (8), plus the first-half sum of the
          one being finished (4);
        - ``trial states and sample buffers``: four ``(trials, N)`` states and two sample
          buffers (32 MiB, or 512 rows);
        - ``quadruple moments``: the float64 copy of each sample buffer at the quadruples;
        - ``autocovariance ring``: ``n_lags`` samples of ``acf_trials`` trials, for x and phi;
        - ``BLAS work buffers``: 64 MiB, allocated by BLAS on its first product.

        Parameters
        ----------
        n : int
            Number of units.

        Returns
        -------
        dict of str to int
            Bytes per part.
        """
        n = check_positive_int("n", n)
        item = np.dtype(self.dtype).itemsize
        nn = n * n
        p = 2 * int(self.covariance) + int(self.cross_covariance)
        scratch = item if p else 0
        setup = 8 + 8 + 2 * item  # J, (1 - e) J in float64, its cast and its contiguous copy
        integrate = 8 + item + p * (item + 8 + 4 + 4) + scratch
        finalize = 8 + (20 * p + 4 if p else 0)
        B = self.n_trials
        rows = max(512, (32 << 20) // (n * item))
        k_rows = max(1, min(self.samples_per_block, math.ceil(rows / B))) * B
        return {
            "couplings and N x N accumulators": max(setup, integrate, finalize) * nn,
            "trial states and sample buffers": (4 * B + 2 * k_rows) * n * item,
            "quadruple moments": (
                k_rows * self.n_quadruples * (4 * (item + 8) + 16) if n >= 4 else 0
            ),
            "autocovariance ring": 2 * self.n_lags * min(self.acf_trials, B) * n * item,
            "BLAS work buffers": 64 << 20,
        }

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a plain dict (no ``progress`` when None: TOML has no null)."""
        d = asdict(self)
        d["record_units"] = list(self.record_units)
        if d["progress"] is None:
            del d["progress"]
        return d


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Simulation:
    """Streamed statistics of one simulated realization.

    Parameters
    ----------
    equal_time : CovarianceEstimate
        Means, covariances of ``x``, ``phi``, cross-covariance, standard errors, split halves.
    autocovariance : AutocovarianceEstimate or None
        Population-averaged autocovariances of ``x`` and ``phi``.
    realization : Realization
        What was simulated (network, seeds, ``J``, ``b``, ``tau``).
    settings : SimulationSettings
        How.
    t_sampled : float
        Sampled duration (after burn-in), after rounding to whole blocks.
    n_steps : int
        Total integration steps including burn-in.
    seconds : dict
        Wall time: ``setup``, ``integrate``, ``finalize``, ``total``.
    trajectory_store : str or None
        Zarr store holding recorded trajectories (group ``trajectory``).
    """

    equal_time: CovarianceEstimate
    autocovariance: AutocovarianceEstimate | None
    realization: Realization
    settings: SimulationSettings
    t_sampled: float
    n_steps: int
    seconds: dict[str, float]
    trajectory_store: str | None = None

    def to_xarray(self) -> Any:
        """Return the statistics as a labelled ``xarray.Dataset`` (provenance in ``attrs``)."""
        import xarray as xr

        from randrnn._provenance import provenance

        et = self.equal_time
        n = self.realization.n
        coords = {"neuron": np.arange(n), "neuron_j": np.arange(n), "half": [0, 1]}
        data: dict[str, Any] = {
            "mean_x": (("neuron",), et.mean_x, {"long_name": "time-and-trial mean of x"}),
            "mean_x_se": (("neuron",), et.mean_x_se),
            "mean_phi": (("neuron",), et.mean_phi),
            "mean_phi_se": (("neuron",), et.mean_phi_se),
            "var_x_blocks": (("block",), et.var_x_blocks),
            "var_phi_blocks": (("block",), et.var_phi_blocks),
            "b": (("neuron",), self.realization.b, {"long_name": "static input"}),
            "tau": (("neuron",), self.realization.tau),
        }
        for name, c in (("x", et.cov_x), ("phi", et.cov_phi), ("xphi", et.cov_xphi)):
            if c is None:
                continue
            data[f"cov_{name}"] = (("neuron", "neuron_j"), c.value)
            data[f"cov_{name}_se"] = (("neuron", "neuron_j"), c.se)
            data[f"cov_{name}_halves"] = (("half", "neuron", "neuron_j"), c.halves)
        ac = self.autocovariance
        if ac is not None:
            coords["lag"] = ac.lags
            for name in ("acf_x", "acf_x_se", "acf_phi", "acf_phi_se", "acf_x_raw", "acf_phi_raw"):
                data[name] = (("lag",), getattr(ac, name))
        ds = xr.Dataset(data, coords=coords)
        ds.attrs.update(provenance())
        ds.attrs.update(
            {
                "spec": self.realization.network.to_config(),
                "settings": self.settings.to_dict(),
                "seeds": self.realization.seeds.to_dict(),
                "t_sampled": self.t_sampled,
                "n_steps": self.n_steps,
                "seconds": self.seconds,
                "var_x": et.var_x,
                "var_x_se": et.var_x_se,
                "var_phi": et.var_phi,
                "var_phi_se": et.var_phi_se,
                "n_blocks": et.n_blocks,
                "references": ["sompolinsky1988"],
            }
        )
        return ds


def _divergence_message(
    realization: Realization, step: int, t: float, dt: float, lim: float
) -> str:
    net = realization.network
    phi = net.phi
    stats = net.ensemble.statistics()
    g = float(np.sqrt(np.max(stats.block_variance)))
    bounded = bool(phi.is_bounded)  # type: ignore[union-attr]
    head = (
        f"simulation diverged at step {step} (t = {t:.3f}): the state became NaN/inf or "
        f"|x| > max_abs = {lim:g}. "
    )
    if bounded:
        cause = (
            f"With a bounded phi ({phi.name}) this points to dt = {dt:g} being too large "  # type: ignore[union-attr]
            f"(try dt <= {min(dt / 2, float(np.min(realization.tau)) / 10):g}) or a huge "
            "static input."
        )
    else:
        cause = (
            f"Likely cause: an unbounded nonlinearity ({phi.name}) with coupling strength "  # type: ignore[union-attr]
            f"g = {g:.3g} (largest block standard deviation times sqrt(n)) too large, so "
            "activity grows without bound (reduce the couplings"
            + ("; for ReLU the theory needs g^2 E[relu'^2] < 1" if phi.name == "relu" else "")  # type: ignore[union-attr]
            + f"), or dt = {dt:g} too large (try dt <= "
            f"{min(dt / 2, float(np.min(realization.tau)) / 10):g})."
        )
    return head + cause


def simulate(
    realization: Realization,
    settings: SimulationSettings | None = None,
    *,
    trajectory_store: str | None = None,
) -> Simulation:
    """Simulate ``settings.n_trials`` trials of one network realization.

    Parameters
    ----------
    realization : Realization
        Couplings, input and timescales (see :func:`randrnn.realize`); its ``seeds.initial`` and
        ``seeds.noise`` drive the initial states and the noise.
    settings : SimulationSettings, optional
        Integration and sampling settings.
    trajectory_store : str, optional
        Zarr store (directory) in which the ``record_units`` trajectories are written in chunks,
        as group ``trajectory`` with array ``x`` of shape ``(time, trial, unit)``.

    Returns
    -------
    Simulation
        Streamed statistics with standard errors.

    Raises
    ------
    DivergenceError
        If the state becomes non-finite or exceeds ``settings.max_abs``; names the step, the
        time and the likely cause.

    Notes
    -----
    Memory is O(N^2 + trials * N * lags): three ``N x N`` float32 block accumulators plus
    float64/float32 running moments (about 60 bytes per matrix entry with all covariances on),
    the state, and the autocovariance ring buffer. No ``O(N * T)`` storage.

    Examples
    --------
    >>> from randrnn import GaussianEnsemble, RateNetwork, Seeds, realize
    >>> net = RateNetwork(ensemble=GaussianEnsemble(n=50, g=0.5), phi="linear", sigma=1.0)
    >>> st = SimulationSettings(t_max=40.0, burn_in=5.0, n_trials=4, max_lag=2.0, progress=False)
    >>> sim = simulate(realize(net, Seeds()), st)
    >>> sim.equal_time.cov_x.value.shape
    (50, 50)
    """
    st = SimulationSettings() if settings is None else settings
    if not isinstance(st, SimulationSettings):
        raise TypeError(
            "`settings` must be a randrnn.SimulationSettings (e.g. SimulationSettings(t_max=10)); "
            f"got {type(st).__name__}."
        )
    if not isinstance(realization, Realization):
        raise TypeError(
            f"`realization` must be a randrnn.Realization (use randrnn.realize(network, seeds)); "
            f"got {type(realization).__name__}."
        )
    t_start = time.perf_counter()
    net = realization.network
    n, B = realization.n, st.n_trials
    tau = np.asarray(realization.tau, dtype=float)
    _check_against_realization(st, realization, trajectory_store)
    dtype = np.dtype(st.dtype)
    sched = Schedule.from_settings(st)
    if st.backend == "jax":
        from randrnn._jax_stepping import phi_name

        phi_name(net.phi)  # refuse a nonlinearity without a JAX form before any work
    else:
        stepper = NumpyStepper(
            realization.J,
            realization.b,
            tau,
            net.sigma,
            net.phi,
            st.dt,
            dtype,
            realization.seeds.generator("noise"),
        )
    n_lags = round(st.max_lag / (st.acf_every * st.dt)) + 1 if st.max_lag > 0 else 0
    init_rng = realization.seeds.generator("initial")
    X = np.ascontiguousarray((st.x0_std * init_rng.standard_normal((B, n))).astype(dtype))

    quads = None
    if st.n_quadruples:
        quad_rng = np.random.default_rng(
            np.random.SeedSequence(realization.seeds.initial, spawn_key=(4,))
        )
        quads = sample_quadruples(n, st.n_quadruples, quad_rng)
    cov_acc = CovarianceAccumulator(
        n, st.n_blocks, dtype, covariance=st.covariance, cross=st.cross_covariance, quads=quads
    )
    sampler = _EqualTimeSampler(cov_acc, n, B, dtype, sched.samples_per_block)
    n_acf_tr = min(st.acf_trials, B)
    acf_acc = (
        AutocovarianceAccumulator(n_acf_tr * n, n, n_lags, st.n_blocks, dtype) if n_lags else None
    )
    rec = None
    if st.record_units:
        rec = TrajectoryRecorder(
            str(trajectory_store),
            st.record_units,
            min(st.record_trials, B),
            sched.n_steps_sampled // st.record_every,
            st.dt * st.record_every,
        )

    visible = sys.stderr.isatty() if st.progress is None else st.progress
    bar = tqdm(
        total=sched.n_steps, desc="simulate", unit="step", disable=not visible, mininterval=0.5
    )
    if st.backend == "jax":
        t_setup, t_int = _integrate_jax(
            realization, st, sched, X, quads, cov_acc, acf_acc, n_acf_tr, n_lags, bar
        )
    else:
        t_setup = time.perf_counter()
        P = stepper.start(X)
        check_every = 10
        for step in range(sched.n_steps):
            k_s = sched.sampled(step)
            if k_s >= 0:
                if k_s % st.stats_every == 0:
                    sampler.add(X, P)
                if acf_acc is not None and k_s % st.acf_every == 0:
                    acf_acc.add(X[:n_acf_tr], P[:n_acf_tr])
                    if sched.acf_block_end(k_s):
                        acf_acc.close_block()
                if rec is not None and k_s % st.record_every == 0:
                    rec.add(X)
            stepper.step(X, P)
            if step % check_every == 0 or step == sched.n_steps - 1:
                _check_finite(X, st, realization, step, bar)
                bar.update(check_every if step % check_every == 0 else 0)
        bar.close()
        t_int = time.perf_counter()
        stepper.release()
    sampler.release()
    equal_time = cov_acc.finalize()
    ac = acf_acc.finalize(st.acf_every * st.dt) if acf_acc is not None else None
    t_end = time.perf_counter()
    return Simulation(
        equal_time=equal_time,
        autocovariance=ac,
        realization=realization,
        settings=st,
        t_sampled=sched.n_steps_sampled * st.dt,
        n_steps=sched.n_steps,
        seconds={
            "setup": t_setup - t_start,
            "integrate": t_int - t_setup,
            "finalize": t_end - t_int,
            "total": t_end - t_start,
        },
        trajectory_store=str(trajectory_store) if trajectory_store is not None else None,
    )


def _integrate_jax(
    realization: Realization,
    st: SimulationSettings,
    sched: Schedule,
    X: Any,
    quads: Any,
    cov_acc: CovarianceAccumulator,
    acf_acc: AutocovarianceAccumulator | None,
    n_acf_tr: int,
    n_lags: int,
    bar: Any,
) -> tuple[float, float]:
    """The integration of :func:`simulate` on JAX; returns the times setup and integration end.

    One compiled call per block (``randrnn._jax_stepping``) returns the block's sums, which are
    folded into the NumPy accumulators while the device runs the next block.
    """
    from randrnn._jax_stepping import JaxStepper, fetch

    net = realization.network
    seed = int(realization.seeds.generator("noise").integers(2**63 - 1))
    stepper = JaxStepper(
        realization.J,
        realization.b,
        np.asarray(realization.tau, dtype=float),
        net.sigma,
        net.phi,
        st.dt,
        np.dtype(st.dtype),
        seed,
        X,
        stats_every=st.stats_every,
        acf_every=st.acf_every,
        samples_per_block=sched.samples_per_block,
        covariance=st.covariance,
        cross=st.cross_covariance,
        quads=quads,
        n_acf_trials=n_acf_tr,
        n_lags=n_lags,
        max_abs=st.max_abs,
    )
    stepper.compile(sched.steps_burn)
    t_setup = time.perf_counter()

    def diverged(bad: int) -> None:
        if bad >= 0:
            bar.close()
            t = (bad + 1) * st.dt
            raise DivergenceError(
                _divergence_message(realization, bad + 1, t, st.dt, st.max_abs),
                step=bad + 1,
                time=t,
            )

    # burn-in in chunks of one block's length (divergence checks and progress in between)
    chunk = max(sched.steps_per_block, 1)
    for s0 in range(0, sched.steps_burn, chunk):
        n = min(chunk, sched.steps_burn - s0)
        diverged(stepper.burn(n))
        bar.update(n)

    def fold(sums: Any, bad: Any) -> None:
        diverged(int(bad))
        h = fetch(sums)
        cov_acc.add_sums(
            sched.samples_per_block * st.n_trials,
            h["sum_x"],
            h["sum_p"],
            h["sq_x"],
            h["sq_p"],
            xx=h.get("xx"),
            pp=h.get("pp"),
            xp=h.get("xp"),
            quad_moments=h.get("quad"),
        )
        cov_acc.close_block()
        if acf_acc is not None:
            acf_acc.add_sums(
                round(h["cnt"][0]),
                h["raw_x"],
                h["raw_p"],
                h["cnt"],
                h["acf_sum_x"],
                h["acf_sum_p"],
            )
            acf_acc.close_block()
        bar.update(sched.steps_per_block)

    pending = None
    for _ in range(st.n_blocks):
        out = stepper.block()  # dispatched asynchronously
        if pending is not None:
            fold(*pending)  # the previous block's sums, while the device runs this one
        pending = out
    assert pending is not None
    fold(*pending)
    bar.close()
    stepper.release()
    return t_setup, time.perf_counter()


def _check_against_realization(
    st: SimulationSettings, realization: Realization, trajectory_store: str | None
) -> None:
    """Settings that depend on the realization: ``dt`` vs ``tau``, recorded units, store."""
    n = realization.n
    tau_min = float(np.min(realization.tau))
    if st.dt >= tau_min:
        raise ValueError(
            f"`simulation.dt` must be smaller than the smallest `tau`; got dt={st.dt:g}, "
            f"min(tau)={tau_min:g}. Reduce dt (dt <= tau/10 is a safe choice)."
        )
    for u in st.record_units:
        if not 0 <= u < n:
            raise ValueError(f"`simulation.record_units` must be in [0, {n}); got {u!r}.")
    if st.backend == "jax" and trajectory_store is not None:
        raise ValueError(
            f"`trajectory_store` = {trajectory_store!r} is not supported by `simulation.backend` "
            "= 'jax' (trajectories are recorded by the NumPy backend only); use `backend` = "
            "'numpy' to record trajectories."
        )
    if st.record_units and trajectory_store is None:
        raise ValueError("`trajectory_store` must be given when `record_units` is set; got None.")


def _check_finite(
    X: Any, st: SimulationSettings, realization: Realization, step: int, bar: Any
) -> None:
    """Raise :class:`DivergenceError` if the state is non-finite or exceeds ``max_abs``."""
    s = float(np.abs(X).max())
    if not s <= st.max_abs:  # catches NaN too
        bar.close()
        t = (step + 1) * st.dt
        raise DivergenceError(
            _divergence_message(realization, step + 1, t, st.dt, st.max_abs),
            step=step + 1,
            time=t,
        )


class _EqualTimeSampler:
    """Buffers equal-time samples and folds them into the accumulator in large products.

    The buffer is flushed when it holds >= 32 MiB (at least 512 rows, for BLAS efficiency)
    or at a block end; fewer, larger products also save the scratch additions.
    """

    def __init__(
        self, acc: CovarianceAccumulator, n: int, B: int, dtype: np.dtype, spb: int
    ) -> None:
        rows = max(512, (32 << 20) // (n * dtype.itemsize))
        self.k_buf = max(1, min(spb, math.ceil(rows / B)))
        self.buf_x = np.empty((self.k_buf * B, n), dtype=dtype)
        self.buf_p = np.empty((self.k_buf * B, n), dtype=dtype)
        self.acc, self.B, self.spb = acc, B, spb
        self.n_buf = 0
        self.n_samples = 0

    def add(self, X: Any, P: Any) -> None:
        B = self.B
        self.buf_x[self.n_buf * B : (self.n_buf + 1) * B] = X
        self.buf_p[self.n_buf * B : (self.n_buf + 1) * B] = P
        self.n_buf += 1
        self.n_samples += 1
        block_end = self.n_samples % self.spb == 0
        if self.n_buf == self.k_buf or block_end:
            self.acc.add(self.buf_x[: self.n_buf * B], self.buf_p[: self.n_buf * B])
            self.n_buf = 0
        if block_end:
            self.acc.close_block()

    def release(self) -> None:
        self.buf_x = self.buf_p = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Trajectories:
    """Read-outs of the state of a batch of trials from given initial states.

    Attributes
    ----------
    t : (T,) ndarray
        Times of the samples (the first is the initial state).
    readout : (T, B, k) ndarray
        ``x(t) @ readout_matrix`` per trial (the full state when no read-out was given).
    x_final : (B, n) ndarray
        State at the last sample.
    seeds : dict
        The realization's seeds (the noise stream drives the trials).
    dt : float
        Integration step.
    """

    t: Any
    readout: Any
    x_final: Any
    seeds: dict[str, Any]
    dt: float

    def to_xarray(self) -> Any:
        """Dataset with dimensions ``time``, ``trial``, ``component``."""
        import xarray as xr

        return xr.Dataset(
            {"readout": (("time", "trial", "component"), self.readout)},
            coords={"time": self.t},
            attrs={"dt": self.dt, **{f"seed_{k}": str(v) for k, v in self.seeds.items()}},
        )


def simulate_trajectories(
    realization: Realization,
    x0: Any,
    t_max: float,
    *,
    dt: float = 0.02,
    record_every: int = 5,
    readout: Any = None,
    inputs: Any = None,
    u: Any = None,
    dtype: Literal["float32", "float64"] = "float64",
    max_abs: float = 1e8,
    progress: bool | None = None,
) -> Trajectories:
    r"""Integrate the trials that start at the rows of ``x0`` and record read-outs of the state.

    The integrator of :func:`simulate` (exponential Euler, the realization's noise ``sigma``
    and noise seed), started from given states; every ``record_every`` steps the state is
    multiplied by ``readout`` (e.g. the pseudo-inverse of the loadings, to follow the latent
    variables of a low-rank network). A coupling that is purely low rank
    (:math:`J = MN^T/n`, no random part) is applied through its factors, ``O(B n R)`` per step.

    Parameters
    ----------
    realization : Realization
        The network.
    x0 : (B, n) array_like
        Initial states, one trial per row.
    t_max : float
        Duration.
    dt : float
        Step (smaller than the smallest ``tau``).
    record_every : int
        Steps between samples.
    readout : (n, k) array_like, optional
        Read-out matrix (default: the identity, i.e. full states; mind the memory).
    inputs : (n, K) array_like, optional
        Input weights of a time-dependent input ``inputs @ u(t)`` added to ``b``.
    u : callable or (K,) array_like, optional
        ``u(t) -> (K,)``, held fixed over each step, or a constant.
    dtype : {"float64", "float32"}
        State dtype.
    max_abs : float
        Divergence threshold on ``|x|``.
    progress : bool or None
        Progress bar (None: only on a terminal).

    Returns
    -------
    Trajectories

    Raises
    ------
    DivergenceError
        If the state becomes non-finite or exceeds ``max_abs``.
    """
    if not isinstance(realization, Realization):
        raise TypeError(
            f"`realization` must be a randrnn.Realization; got {type(realization).__name__}."
        )
    n = realization.n
    X0 = np.atleast_2d(np.asarray(x0, dtype=float))
    if X0.ndim != 2 or X0.shape[1] != n or not np.all(np.isfinite(X0)):
        raise ValueError(f"`x0` must be finite with shape (B, {n}); got shape {X0.shape}.")
    check_positive("t_max", t_max)
    check_positive("dt", dt)
    check_positive_int("record_every", record_every)
    check_in("dtype", dtype, ("float32", "float64"))
    tau = np.asarray(realization.tau, dtype=float)
    if dt >= float(tau.min()):
        raise ValueError(
            f"`dt` must be smaller than the smallest `tau`; got dt={dt:g}, min(tau)="
            f"{float(tau.min()):g}. Reduce dt."
        )
    Rd = np.eye(n) if readout is None else np.asarray(readout, dtype=float)
    if Rd.ndim != 2 or Rd.shape[0] != n:
        raise ValueError(f"`readout` must have shape ({n}, k); got shape {Rd.shape}.")
    b = np.asarray(realization.b, dtype=float)
    B_in: Any = None
    u_of_t: Any = None
    if inputs is not None or u is not None:
        if inputs is None or u is None:
            raise ValueError("`inputs` and `u` must be given together; got only one of them.")
        B_in = np.asarray(inputs, dtype=float)
        if B_in.ndim != 2 or B_in.shape[0] != n:
            raise ValueError(f"`inputs` must have shape ({n}, K); got shape {B_in.shape}.")
        K = B_in.shape[1]
        if callable(u):
            u_of_t = u
        else:
            uc = np.asarray(u, dtype=float).reshape(K)
            u_of_t = lambda _t: uc  # noqa: E731
    dt_ = np.dtype(dtype)
    net = realization.network
    c = realization.coupling
    args = (b, tau, net.sigma, net.phi, dt, dt_, realization.seeds.generator("noise"))
    factors = None
    if c is not None and not realization.custom and c.low_rank is not None:
        W = c.W
        if isinstance(W, np.ndarray) and not np.any(W) and not np.any(c.mean_removed):
            factors = c.low_rank
    stepper: NumpyStepper
    if factors is not None:
        stepper = FactoredStepper(np.asarray(factors[0]), np.asarray(factors[1]), *args)
    else:
        stepper = NumpyStepper(realization.J, *args)
    n_steps = math.ceil(t_max / dt)
    n_rec = n_steps // record_every + 1
    out = np.empty((n_rec, X0.shape[0], Rd.shape[1]))
    X = np.ascontiguousarray(X0.astype(dt_))
    P = stepper.start(X)
    e_vec = np.exp(-dt / tau)
    visible = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(total=n_steps, desc="trajectories", unit="step", disable=not visible)
    k = 0
    for step in range(n_steps + 1):
        if step % record_every == 0:
            out[k] = X @ Rd
            k += 1
        if step == n_steps:
            break
        if u_of_t is not None:
            drive = b + B_in @ np.asarray(u_of_t(step * dt), dtype=float)
            stepper.cb = ((1.0 - e_vec) * drive).astype(dt_)
        stepper.step(X, P)
        if step % 10 == 0:
            s = float(np.abs(X).max())
            if not s <= max_abs:
                bar.close()
                t_div = (step + 1) * dt
                raise DivergenceError(
                    _divergence_message(realization, step + 1, t_div, dt, max_abs),
                    step=step + 1,
                    time=t_div,
                )
            bar.update(10)
    bar.close()
    return Trajectories(
        t=np.arange(k) * record_every * dt,
        readout=out[:k],
        x_final=X.astype(float),
        seeds=realization.seeds.to_dict(),
        dt=float(dt),
    )
