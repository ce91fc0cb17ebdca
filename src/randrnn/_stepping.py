r"""The pieces of the simulator: sampling schedule, stepping kernel, trajectory recorder.

:func:`randrnn.simulate.simulate` composes them; a second backend replaces
:class:`NumpyStepper` and feeds the same accumulators (:mod:`randrnn.stats`).

Exponential Euler (``docs/theory.md`` section 1): over a step ``dt`` the recurrent input
:math:`I = J\phi(x) + b` is held fixed, the leak and the Ornstein-Uhlenbeck noise are exact,

.. math:: x \leftarrow e\,x + (1 - e)\,I + \sigma\sqrt{(1 - e^2)/(2\tau)}\;\eta,
          \qquad e = e^{-dt/\tau}.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from randrnn import _kernels
from randrnn._typing import FloatArray

#: fused-kernel code of each built-in nonlinearity, by name (others are evaluated in Python)
_PHI_CODES = {
    "erf": _kernels.PHI_ERF,
    "relu": _kernels.PHI_RELU,
    "linear": _kernels.PHI_LINEAR,
}


def phi_code(phi: Any, dtype: np.dtype) -> int:
    """Code of ``phi`` for the fused step kernel (``PHI_NONE``: evaluated in Python)."""
    name = getattr(phi, "name", "")
    if name == "tanh":
        return _kernels.PHI_TANH_RATIONAL if dtype == np.float32 else _kernels.PHI_TANH_EXACT
    return _PHI_CODES.get(name, _kernels.PHI_NONE)


@dataclass(frozen=True, slots=True)
class Schedule:
    """When each step samples: burn-in, then ``n_blocks`` blocks of ``samples_per_block``.

    Parameters
    ----------
    steps_burn : int
        Discarded steps.
    stats_every, acf_every, record_every : int
        Steps between samples of the equal-time statistics, the autocovariance and the
        recorded trajectories.
    samples_per_block : int
        Equal-time samples per block.
    n_blocks : int
        Number of blocks.
    """

    steps_burn: int
    stats_every: int
    acf_every: int
    record_every: int
    samples_per_block: int
    n_blocks: int

    @classmethod
    def from_settings(cls, st: Any) -> Schedule:
        """The schedule of :class:`~randrnn.simulate.SimulationSettings` ``st``."""
        dt_stat = st.stats_every * st.dt
        spb = max(1, math.ceil(st.t_max / dt_stat / st.n_blocks))
        return cls(
            steps_burn=math.ceil(st.burn_in / st.dt),
            stats_every=st.stats_every,
            acf_every=st.acf_every,
            record_every=st.record_every,
            samples_per_block=spb,
            n_blocks=st.n_blocks,
        )

    @property
    def steps_per_block(self) -> int:
        """Integration steps per block."""
        return self.samples_per_block * self.stats_every

    @property
    def n_steps_sampled(self) -> int:
        """Steps after burn-in."""
        return self.steps_per_block * self.n_blocks

    @property
    def n_steps(self) -> int:
        """All integration steps."""
        return self.steps_burn + self.n_steps_sampled

    def sampled(self, step: int) -> int:
        """Steps since sampling began (negative during burn-in)."""
        return step - self.steps_burn

    def acf_block_end(self, k_s: int) -> bool:
        """Whether the autocovariance sample at ``k_s`` is the last of its block."""
        return (k_s + self.acf_every) % self.steps_per_block < self.acf_every


class NumpyStepper:
    """One exponential-Euler step of ``B`` trials: one GEMM fused with leak, input and noise.

    Parameters
    ----------
    J : (n, n) ndarray
        Couplings.
    b, tau : (n,) ndarray
        Static input and time constants.
    sigma : float
        Noise amplitude.
    phi : AbstractNonlinearity
        Transfer function.
    dt : float
        Step.
    dtype : numpy dtype
        State dtype.
    noise_rng : numpy.random.Generator
        Noise stream.
    """

    def __init__(
        self,
        J: FloatArray,
        b: FloatArray,
        tau: FloatArray,
        sigma: float,
        phi: Any,
        dt: float,
        dtype: np.dtype,
        noise_rng: np.random.Generator,
    ) -> None:
        e_vec = np.exp(-dt / tau)
        # coupling scaled by (1 - e_i) row-wise, C-ordered; its transpose view is Fortran J^T
        self.JcT = np.ascontiguousarray(((1.0 - e_vec)[:, None] * J).T.astype(dtype))
        self.cb = ((1.0 - e_vec) * b).astype(dtype)
        self.noise_scale = (sigma * np.sqrt((1.0 - e_vec**2) / (2.0 * tau))).astype(dtype)
        self.e_dt = e_vec.astype(dtype)
        self.has_noise = sigma > 0
        self.phi = phi
        self.code = phi_code(phi, dtype)
        self.dtype = dtype
        self.noise_rng = noise_rng
        self.H: FloatArray | None = None
        self.Z: FloatArray | None = None

    def start(self, X: FloatArray) -> FloatArray:
        """Allocate scratch for states shaped like ``X``; return ``phi(X)``."""
        self.H = np.empty_like(X)
        self.Z = np.zeros_like(X)  # stays zero without noise (the kernel always adds s * z)
        P = np.empty_like(X)
        P[...] = self.phi(X)
        return P

    def step(self, X: FloatArray, P: FloatArray) -> None:
        """Advance ``X`` in place and set ``P = phi(X)``."""
        assert self.H is not None
        assert self.Z is not None
        np.matmul(P, self.JcT, out=self.H)
        if self.has_noise:
            self.noise_rng.standard_normal(out=self.Z, dtype=self.dtype)
        _kernels.fused_step(X, self.H, self.e_dt, self.cb, self.Z, self.noise_scale, P, self.code)
        if self.code == _kernels.PHI_NONE:
            P[...] = self.phi(X)

    def release(self) -> None:
        """Free the coupling copy and the scratch (before the memory-hungry finalization)."""
        self.JcT = self.H = self.Z = None  # type: ignore[assignment]


class TrajectoryRecorder:
    """Writes the states of some units of the first trials to a Zarr array in chunks.

    Parameters
    ----------
    store : str
        Zarr store; group ``trajectory``, array ``x`` of shape ``(time, trial, unit)``.
    units : sequence of int
        Recorded units.
    n_trials : int
        Recorded trials.
    n_samples : int
        Number of recorded samples.
    dt : float
        Time between samples.
    """

    def __init__(self, store: str, units: Any, n_trials: int, n_samples: int, dt: float) -> None:
        import zarr

        chunk = min(max(n_samples, 1), 1024)
        grp = zarr.open_group(store, mode="a")
        tg = grp.require_group("trajectory")
        self.array = tg.create_array(
            "x",
            shape=(n_samples, n_trials, len(units)),
            chunks=(chunk, n_trials, len(units)),
            dtype="float32",
            overwrite=True,
        )
        self.array.attrs["dt"] = dt
        self.array.attrs["units"] = list(units)
        self.array.attrs["dims"] = ["time", "trial", "unit"]
        self.buf = np.empty((chunk, n_trials, len(units)), dtype=np.float32)
        self.units = np.asarray(units)
        self.i = self.pos = 0

    def add(self, X: FloatArray) -> None:
        """Record the current state (ignored once the array is full)."""
        total = self.array.shape[0]
        if self.i >= total:
            return
        self.buf[self.pos] = X[: self.buf.shape[1]][:, self.units]
        self.pos += 1
        self.i += 1
        if self.pos == self.buf.shape[0] or self.i == total:
            self.array[self.i - self.pos : self.i] = self.buf[: self.pos]
            self.pos = 0


class FactoredStepper(NumpyStepper):
    r""":class:`NumpyStepper` for couplings :math:`J = MN^T/n` given by their factors.

    One step costs two thin products, :math:`(P N)\,(M^T/n)`, ``O(B n R)`` instead of the
    ``O(B n^2)`` GEMM, and feeds the same fused kernel.
    """

    def __init__(
        self,
        M: FloatArray,
        N: FloatArray,
        b: FloatArray,
        tau: FloatArray,
        sigma: float,
        phi: Any,
        dt: float,
        dtype: np.dtype,
        noise_rng: np.random.Generator,
    ) -> None:
        n = M.shape[0]
        super().__init__(np.zeros((n, 0)), b, tau, sigma, phi, dt, dtype, noise_rng)
        e_vec = np.exp(-dt / tau)
        self.Nf = np.ascontiguousarray(np.asarray(N, dtype=dtype))
        self.McT = np.ascontiguousarray(((1.0 - e_vec)[:, None] * M / n).T.astype(dtype))

    def step(self, X: FloatArray, P: FloatArray) -> None:
        """Advance ``X`` in place and set ``P = phi(X)``."""
        assert self.H is not None
        assert self.Z is not None
        np.matmul(P @ self.Nf, self.McT, out=self.H)
        if self.has_noise:
            self.noise_rng.standard_normal(out=self.Z, dtype=self.dtype)
        _kernels.fused_step(X, self.H, self.e_dt, self.cb, self.Z, self.noise_scale, P, self.code)
        if self.code == _kernels.PHI_NONE:
            P[...] = self.phi(X)
