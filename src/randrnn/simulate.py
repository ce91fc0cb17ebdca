r"""Batched simulation of rate networks with streaming statistics.

.. math:: \tau_i \dot x_i = -x_i + \sum_j J_{ij}\phi(x_j) + b_i + \sigma \xi_i(t)

- :class:`SimulationSettings` -- integration and sampling settings (frozen).
- :func:`simulate` -- run ``n_trials`` trials of one realization (same ``J``, independent
  initial states and noise) and return a :class:`Simulation` of streamed statistics.

Integrator (physics.md section 1): exponential Euler. Over a step ``dt`` the recurrent input
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
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from tqdm.auto import tqdm

from randrnn import _kernels
from randrnn._validation import (
    check_in,
    check_nonnegative,
    check_positive,
    check_positive_int,
)
from randrnn.errors import DivergenceError
from randrnn.networks import Realization
from randrnn.nonlinearities import Erf, Linear, ReLU, Tanh
from randrnn.stats import (
    AutocovarianceAccumulator,
    AutocovarianceEstimate,
    CovarianceAccumulator,
    CovarianceEstimate,
    sample_quadruples,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationSettings:
    """Integration and sampling settings.

    Parameters
    ----------
    dt : float
        Step (units of tau); must be smaller than the smallest ``tau``.
    t_max : float
        Sampled duration after burn-in (rounded up to whole blocks).
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
    """

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
        check_positive("dt", self.dt)
        check_positive("t_max", self.t_max)
        check_nonnegative("burn_in", self.burn_in)
        check_positive_int("n_trials", self.n_trials)
        check_positive_int("stats_every", self.stats_every)
        check_positive_int("acf_every", self.acf_every)
        check_nonnegative("max_lag", self.max_lag)
        check_positive_int("acf_trials", self.acf_trials)
        check_positive_int("n_blocks", self.n_blocks)
        if self.n_blocks < 4:
            raise ValueError(
                f"`n_blocks` must be >= 4 for meaningful standard errors; got {self.n_blocks!r}."
            )
        check_in("dtype", self.dtype, ("float32", "float64"))
        check_nonnegative("x0_std", self.x0_std)
        if self.n_quadruples < 0:
            raise ValueError(f"`n_quadruples` must be >= 0; got {self.n_quadruples!r}.")
        object.__setattr__(self, "record_units", tuple(int(u) for u in self.record_units))
        check_positive_int("record_trials", self.record_trials)
        check_positive_int("record_every", self.record_every)
        check_positive("max_abs", self.max_abs)
        if self.max_lag > 0 and self.block_length < self.max_lag + self.acf_every * self.dt:
            raise ValueError(
                f"`max_lag` must be shorter than a block ({self.block_length:g} time units with "
                f"t_max={self.t_max:g}, n_blocks={self.n_blocks}); got {self.max_lag!r}. "
                "Increase t_max or reduce n_blocks or max_lag."
            )

    @property
    def block_length(self) -> float:
        """Duration of one time block (``t_max`` is rounded up to whole blocks)."""
        dt_stat = self.stats_every * self.dt
        return math.ceil(self.t_max / dt_stat / self.n_blocks) * dt_stat

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a plain dict."""
        d = asdict(self)
        d["record_units"] = list(self.record_units)
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
        for name in ("x", "phi", "xphi"):
            c = getattr(et, f"cov_{name}")
            if c is None:
                continue
            data[f"cov_{name}"] = (("neuron", "neuron_j"), c)
            data[f"cov_{name}_se"] = (("neuron", "neuron_j"), getattr(et, f"cov_{name}_se"))
            data[f"cov_{name}_halves"] = (
                ("half", "neuron", "neuron_j"),
                getattr(et, f"cov_{name}_halves"),
            )
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


def _phi_code(phi: Any, dtype: np.dtype) -> int:
    """Code of ``phi`` for the fused step kernel (``PHI_NONE``: evaluated in Python)."""
    if isinstance(phi, Tanh):
        return _kernels.PHI_TANH_RATIONAL if dtype == np.float32 else _kernels.PHI_TANH_EXACT
    if isinstance(phi, Erf):
        return _kernels.PHI_ERF
    if isinstance(phi, ReLU):
        return _kernels.PHI_RELU
    if isinstance(phi, Linear):
        return _kernels.PHI_LINEAR
    return _kernels.PHI_NONE


def _divergence_message(
    realization: Realization, step: int, t: float, dt: float, lim: float
) -> str:
    net = realization.network
    phi = net.phi
    g = getattr(net.ensemble, "g", None)
    bounded = isinstance(phi, (Tanh, Erf))
    head = (
        f"simulation diverged at step {step} (t = {t:.3f}): the state became NaN/inf or "
        f"|x| > max_abs = {lim:g}. "
    )
    if bounded:
        cause = (
            f"With a bounded phi ({phi.name}) this points to dt = {dt:g} being too large "  # type: ignore[union-attr]
            f"(try dt <= {min(realization.tau) / 10:g}) or a huge static input."
        )
    else:
        cause = (
            f"Likely cause: an unbounded nonlinearity ({phi.name}) with coupling gain "  # type: ignore[union-attr]
            f"g = {g} too large, so activity grows without bound (reduce g; for ReLU the "
            f"theory needs g^2 E[relu'^2] < 1), or dt = {dt:g} too large."
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
    >>> sim.equal_time.cov_x.shape
    (50, 50)
    """
    st = SimulationSettings() if settings is None else settings
    if not isinstance(realization, Realization):
        raise TypeError(
            f"`realization` must be a randrnn.Realization (use randrnn.realize(network, seeds)); "
            f"got {type(realization).__name__}."
        )
    t_start = time.perf_counter()
    net = realization.network
    n, B = realization.n, st.n_trials
    tau = np.asarray(realization.tau, dtype=float)
    if st.dt >= tau.min():
        raise ValueError(
            f"`dt` must be smaller than `tau`; got dt={st.dt!r}, min(tau)={tau.min()!r}. "
            "Reduce dt (dt <= tau/10 is a safe choice)."
        )
    for u in st.record_units:
        if not 0 <= u < n:
            raise ValueError(f"`record_units` must be in [0, {n}); got {u!r}.")
    if st.record_units and trajectory_store is None:
        raise ValueError("`trajectory_store` must be given when `record_units` is set; got None.")
    dtype = np.dtype(st.dtype)
    e_vec = np.exp(-st.dt / tau)
    # Coupling scaled by (1 - e_i) row-wise, C-ordered; its transpose view is Fortran-ordered J^T
    JcT = np.ascontiguousarray(((1.0 - e_vec)[:, None] * realization.J).T.astype(dtype))
    cb = ((1.0 - e_vec) * realization.b).astype(dtype)
    noise_scale = (net.sigma * np.sqrt((1.0 - e_vec**2) / (2.0 * tau))).astype(dtype)
    has_noise = net.sigma > 0
    e_dt = e_vec.astype(dtype)
    code = _phi_code(net.phi, dtype)
    fused = _kernels.fused_step

    # sampling schedule: burn-in steps, then n_blocks blocks of samples
    steps_burn = math.ceil(st.burn_in / st.dt)
    dt_stat = st.stats_every * st.dt
    spb = max(1, math.ceil(st.t_max / dt_stat / st.n_blocks))  # samples per block
    steps_per_block = spb * st.stats_every
    n_steps_sampled = steps_per_block * st.n_blocks
    n_steps = steps_burn + n_steps_sampled
    n_lags = round(st.max_lag / (st.acf_every * st.dt)) + 1 if st.max_lag > 0 else 0

    init_rng = realization.seeds.generator("initial")
    noise_rng = realization.seeds.generator("noise")
    X = np.ascontiguousarray((st.x0_std * init_rng.standard_normal((B, n))).astype(dtype))
    P = np.empty_like(X)
    H = np.empty_like(X)
    Z = np.zeros_like(X)  # stays zero without noise (the fused kernel always adds s * z)

    quads = None
    if st.n_quadruples:
        quad_rng = np.random.default_rng(
            np.random.SeedSequence(realization.seeds.initial, spawn_key=(4,))
        )
        quads = sample_quadruples(n, st.n_quadruples, quad_rng)
    cov_acc = CovarianceAccumulator(
        n, st.n_blocks, dtype, covariance=st.covariance, cross=st.cross_covariance, quads=quads
    )
    # flush the sample buffer when it holds >= 32 MiB (at least 512 rows, for BLAS efficiency)
    # or at a block end; fewer, larger products also save the scratch additions
    rows = max(512, (32 << 20) // (n * dtype.itemsize))
    k_buf = max(1, min(spb, math.ceil(rows / B)))
    buf_x = np.empty((k_buf * B, n), dtype=dtype)
    buf_p = np.empty((k_buf * B, n), dtype=dtype)
    n_buf = 0
    n_acf_tr = min(st.acf_trials, B)
    acf_acc = (
        AutocovarianceAccumulator(n_acf_tr * n, n, n_lags, st.n_blocks, dtype) if n_lags else None
    )

    rec = None
    rec_buf = None
    if st.record_units:
        import zarr

        n_rec_tr = min(st.record_trials, B)
        n_rec = n_steps_sampled // st.record_every
        chunk = min(max(n_rec, 1), 1024)
        grp = zarr.open_group(trajectory_store, mode="a")
        tg = grp.require_group("trajectory")
        rec = tg.create_array(
            "x",
            shape=(n_rec, n_rec_tr, len(st.record_units)),
            chunks=(chunk, n_rec_tr, len(st.record_units)),
            dtype="float32",
            overwrite=True,
        )
        rec.attrs["dt"] = st.dt * st.record_every
        rec.attrs["units"] = list(st.record_units)
        rec.attrs["dims"] = ["time", "trial", "unit"]
        rec_buf = np.empty((chunk, n_rec_tr, len(st.record_units)), dtype=np.float32)
        rec_units = np.array(st.record_units)
        rec_i = rec_pos = 0

    show = sys.stderr.isatty() if st.progress is None else st.progress
    bar = tqdm(total=n_steps, desc="simulate", unit="step", disable=not show, mininterval=0.5)
    t_setup = time.perf_counter()

    P[...] = net.phi(X)
    check_every = 10
    for step in range(n_steps):
        k_s = step - steps_burn  # steps since sampling began
        if k_s >= 0:
            if k_s % st.stats_every == 0:
                buf_x[n_buf * B : (n_buf + 1) * B] = X
                buf_p[n_buf * B : (n_buf + 1) * B] = P
                n_buf += 1
                sample_idx = k_s // st.stats_every
                block_end = (sample_idx + 1) % spb == 0
                if n_buf == k_buf or block_end:
                    cov_acc.add(buf_x[: n_buf * B], buf_p[: n_buf * B])
                    n_buf = 0
                if block_end:
                    cov_acc.close_block()
            if acf_acc is not None and k_s % st.acf_every == 0:
                acf_acc.add(X[:n_acf_tr], P[:n_acf_tr])
                if (k_s + st.acf_every) % steps_per_block < st.acf_every:
                    acf_acc.close_block()
            if rec is not None and k_s % st.record_every == 0 and rec_i < rec.shape[0]:
                rec_buf[rec_pos] = X[: rec_buf.shape[1]][:, rec_units]  # type: ignore[index]
                rec_pos += 1
                rec_i += 1
                if rec_pos == rec_buf.shape[0] or rec_i == rec.shape[0]:  # type: ignore[union-attr]
                    rec[rec_i - rec_pos : rec_i] = rec_buf[:rec_pos]  # type: ignore[index]
                    rec_pos = 0
        # x <- e x + P @ ((1-e) J)^T + (1-e) b + noise; P <- phi(x)  (one GEMM, one fused pass)
        np.matmul(P, JcT, out=H)
        if has_noise:
            noise_rng.standard_normal(out=Z, dtype=dtype)
        fused(X, H, e_dt, cb, Z, noise_scale, P, code)
        if code == _kernels.PHI_NONE:
            P[...] = net.phi(X)
        if step % check_every == 0 or step == n_steps - 1:
            s = float(np.abs(X).max())
            if not s <= st.max_abs:  # catches NaN too
                bar.close()
                raise DivergenceError(
                    _divergence_message(
                        realization, step + 1, (step + 1) * st.dt, st.dt, st.max_abs
                    ),
                    step=step + 1,
                    time=(step + 1) * st.dt,
                )
            bar.update(check_every if step % check_every == 0 else 0)
    bar.close()
    t_int = time.perf_counter()
    del buf_x, buf_p, JcT, H, Z  # free before the (memory-hungry) finalization
    equal_time = cov_acc.finalize()
    ac = acf_acc.finalize(st.acf_every * st.dt) if acf_acc is not None else None
    t_end = time.perf_counter()
    return Simulation(
        equal_time=equal_time,
        autocovariance=ac,
        realization=realization,
        settings=st,
        t_sampled=n_steps_sampled * st.dt,
        n_steps=n_steps,
        seconds={
            "setup": t_setup - t_start,
            "integrate": t_int - t_setup,
            "finalize": t_end - t_int,
            "total": t_end - t_start,
        },
        trajectory_store=str(trajectory_store) if trajectory_store is not None else None,
    )
