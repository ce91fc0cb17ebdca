r"""The simulator's stepping and block statistics on JAX (CPU or accelerator).

:func:`randrnn.simulate.simulate` with ``SimulationSettings(backend="jax")`` composes
:class:`JaxStepper` with the NumPy accumulators of :mod:`randrnn.stats`: one compiled call runs
one statistics block (a ``lax.scan`` over its samples and steps) and keeps the block sums on the
device -- per-unit sums of ``x``, ``phi``, ``x^2``, ``phi^2``; the ``N x N`` sums of
``x x^T``, ``phi phi^T``, ``x phi^T``; raw moments on quadruples of units; lagged products of
the autocovariance -- which are then handed to NumPy and finalised by the same estimators as
the NumPy backend.

The integrator is that of :class:`randrnn._stepping.NumpyStepper` (exponential Euler,
``docs/theory.md`` section 1):

.. math:: x \leftarrow e\,x + (1 - e)\,(J\phi(x) + b) + \sigma\sqrt{(1 - e^2)/(2\tau)}\;\eta,
          \qquad e = e^{-dt/\tau},

with the GEMM at full float32 (or float64) precision (``Precision.HIGHEST``: no TF32 on GPUs).
The noise :math:`\eta` of step ``k`` is ``jax.random.normal(fold_in(key, k))`` with ``key``
drawn from the realization's noise stream, so it differs from the NumPy backend's noise (the
statistics agree within their standard errors, not bit for bit); the initial state is the
caller's (the NumPy backend's, bit for bit).

64-bit types are enabled only inside the calls of this module (``jax.enable_x64`` as a context
manager); the state keeps the requested dtype and the per-unit sums are float64, as in NumPy.

This module imports JAX at import time; :mod:`randrnn.simulate` imports it only when the JAX
backend is used.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.scipy.special import erf as _erf

from randrnn._typing import FloatArray

#: jnp forms of the built-in nonlinearities, by :attr:`AbstractNonlinearity.name`
_PHI_JAX = {
    "tanh": jnp.tanh,
    "linear": lambda x: x,
    "relu": lambda x: jnp.maximum(x, 0),
    "sigmoid": jax.nn.sigmoid,
    "erf": lambda x: _erf(x * (math.sqrt(math.pi) / 2)),
}

_PAIRS = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))
_TRIPLES = ((1, 2, 3), (0, 2, 3), (0, 1, 3), (0, 1, 2))

_HIGHEST = lax.Precision.HIGHEST


def phi_name(phi: Any) -> str:
    """Name of ``phi`` if the JAX backend has a jax-traceable form of it.

    Raises
    ------
    ValueError
        For a nonlinearity without one (a ``Custom`` function): names it and the fix.
    """
    name = getattr(phi, "name", "")
    if name not in _PHI_JAX:
        raise ValueError(
            f"`network.phi` = {name or type(phi).__name__!r} has no JAX form; the JAX backend "
            f"supports {sorted(_PHI_JAX)}. Use `simulation.backend` = 'numpy' for it."
        )
    return name


@dataclass(frozen=True, slots=True)
class _Static:
    """Everything the compiled functions depend on besides array values."""

    n: int
    n_trials: int
    dtype: str
    phi: str
    noise: bool
    max_abs: float
    steps_per_chunk: int  # steps between possible autocovariance samples (gcd of the periods)
    chunks_per_sample: int  # chunks between equal-time samples
    samples_per_block: int
    covariance: bool
    cross: bool
    n_quads: int
    n_acf_trials: int
    n_lags: int


def _step_fn(cfg: _Static):
    """One exponential-Euler step with divergence tracking: ``(X, P, bad, k) -> same``."""
    phi = _PHI_JAX[cfg.phi]
    shape = (cfg.n_trials, cfg.n)
    dtype = jnp.dtype(cfg.dtype)

    def step(params, carry):
        X, P, bad, k = carry
        H = jnp.matmul(P, params["JcT"], precision=_HIGHEST)
        X = params["e"] * X + H + params["cb"]
        if cfg.noise:
            z = jax.random.normal(jax.random.fold_in(params["key"], k), shape, dtype)
            X = X + params["s"] * z
        P = phi(X)
        big = jnp.max(jnp.abs(X))
        bad = jnp.where((bad < 0) & ~(big <= cfg.max_abs), k, bad)  # NaN counts as divergence
        return X, P, bad, k + 1

    return step


def _zero_sums(cfg: _Static) -> dict[str, Any]:
    n, f64 = cfg.n, jnp.float64
    dtype = jnp.dtype(cfg.dtype)
    sums: dict[str, Any] = {k: jnp.zeros(n, f64) for k in ("sum_x", "sum_p", "sq_x", "sq_p")}
    if cfg.covariance:
        sums["xx"] = jnp.zeros((n, n), dtype)
        sums["pp"] = jnp.zeros((n, n), dtype)
    if cfg.cross:
        sums["xp"] = jnp.zeros((n, n), dtype)
    if cfg.n_quads:
        sums["quad"] = jnp.zeros((cfg.n_quads, 15), f64)
    if cfg.n_lags:
        sums["raw_x"] = jnp.zeros(cfg.n_lags, f64)
        sums["raw_p"] = jnp.zeros(cfg.n_lags, f64)
        sums["cnt"] = jnp.zeros(cfg.n_lags, f64)
        sums["acf_sum_x"] = jnp.zeros(n, f64)
        sums["acf_sum_p"] = jnp.zeros(n, f64)
    return sums


def _add_equal_time(cfg: _Static, params, sums, X, P):
    """Fold one equal-time sample of all trials into the block sums."""
    out = dict(sums)
    X64, P64 = X.astype(jnp.float64), P.astype(jnp.float64)
    out["sum_x"] = sums["sum_x"] + X64.sum(0)
    out["sum_p"] = sums["sum_p"] + P64.sum(0)
    out["sq_x"] = sums["sq_x"] + (X64 * X64).sum(0)
    out["sq_p"] = sums["sq_p"] + (P64 * P64).sum(0)
    if cfg.covariance:
        out["xx"] = sums["xx"] + jnp.matmul(X.T, X, precision=_HIGHEST)
        out["pp"] = sums["pp"] + jnp.matmul(P.T, P, precision=_HIGHEST)
    if cfg.cross:
        out["xp"] = sums["xp"] + jnp.matmul(X.T, P, precision=_HIGHEST)
    if cfg.n_quads:
        v = P64[:, params["quads"]]  # (B, q, 4)
        cols = [v.sum(0)]
        cols += [(v[:, :, a] * v[:, :, b]).sum(0)[:, None] for a, b in _PAIRS]
        cols += [(v[:, :, a] * v[:, :, b] * v[:, :, c]).sum(0)[:, None] for a, b, c in _TRIPLES]
        cols.append(jnp.prod(v, axis=2).sum(0)[:, None])
        out["quad"] = sums["quad"] + jnp.concatenate(cols, axis=1)
    return out


def _add_acf(cfg: _Static, sums, ring, X, P, take):
    """Fold an autocovariance sample into the lagged sums if ``take`` (branch-free)."""
    ring_x, ring_p, pos, count = ring
    m = cfg.n_acf_trials
    xa = X[:m].reshape(-1)
    pa = P[:m].reshape(-1)
    ring_x = ring_x.at[pos].set(jnp.where(take, xa, ring_x[pos]))
    ring_p = ring_p.at[pos].set(jnp.where(take, pa, ring_p[pos]))
    dx = jnp.matmul(ring_x, xa, precision=_HIGHEST).astype(jnp.float64)
    dp = jnp.matmul(ring_p, pa, precision=_HIGHEST).astype(jnp.float64)
    lags = jnp.arange(cfg.n_lags)
    slots = (pos - lags) % cfg.n_lags
    valid = ((lags < count + 1) & take).astype(jnp.float64)
    w = take.astype(jnp.float64)
    out = dict(sums)
    out["raw_x"] = sums["raw_x"] + valid * dx[slots]
    out["raw_p"] = sums["raw_p"] + valid * dp[slots]
    out["cnt"] = sums["cnt"] + valid
    out["acf_sum_x"] = sums["acf_sum_x"] + w * X[:m].astype(jnp.float64).sum(0)
    out["acf_sum_p"] = sums["acf_sum_p"] + w * P[:m].astype(jnp.float64).sum(0)
    pos = jnp.where(take, (pos + 1) % cfg.n_lags, pos)
    count = count + take.astype(count.dtype)
    return out, (ring_x, ring_p, pos, count)


@functools.lru_cache(maxsize=8)
def _compiled(cfg: _Static) -> tuple[Any, Any]:
    """The jitted burn-in and block functions of one configuration (cached across runs)."""
    step = _step_fn(cfg)

    def burn(params, state, n_steps):
        X, P, bad, k, ring = state
        X, P, bad, k = lax.fori_loop(0, n_steps, lambda _, c: step(params, c), (X, P, bad, k))
        return (X, P, bad, k, ring)

    def block(params, state, acf_flags):
        # acf_flags: (samples_per_block, chunks_per_sample) bool, True where an
        # autocovariance sample is taken before the chunk's steps
        sums0 = _zero_sums(cfg)

        def chunk(carry, take):
            X, P, bad, k, ring, sums = carry
            if cfg.n_lags:
                sums, ring = _add_acf(cfg, sums, ring, X, P, take)
            X, P, bad, k = lax.fori_loop(
                0, cfg.steps_per_chunk, lambda _, c: step(params, c), (X, P, bad, k)
            )
            return (X, P, bad, k, ring, sums), None

        def sample(carry, flags):
            X, P, bad, k, ring, sums = carry
            sums = _add_equal_time(cfg, params, sums, X, P)
            carry, _ = lax.scan(chunk, (X, P, bad, k, ring, sums), flags)
            return carry, None

        X, P, bad, k, ring = state
        (X, P, bad, k, ring, sums), _ = lax.scan(sample, (X, P, bad, k, ring, sums0), acf_flags)
        return (X, P, bad, k, ring), sums

    return jax.jit(burn), jax.jit(block)


class JaxStepper:
    """Trials of one realization stepped on JAX, with the statistics of each block on the device.

    Parameters
    ----------
    J : (n, n) ndarray
        Couplings.
    b, tau : (n,) ndarray
        Static input and time constants.
    sigma : float
        Noise amplitude.
    phi : AbstractNonlinearity
        Transfer function (a built-in one; see :func:`phi_name`).
    dt : float
        Step.
    dtype : numpy dtype
        State dtype (float32 or float64).
    noise_seed : int
        Seed of the ``jax.random`` key of the noise.
    X0 : (B, n) ndarray
        Initial states.
    stats_every, acf_every : int
        Steps between equal-time samples and between autocovariance samples.
    samples_per_block : int
        Equal-time samples per block.
    covariance, cross : bool
        Accumulate the ``N x N`` sums of ``x x^T``, ``phi phi^T`` and of ``x phi^T``.
    quads : (q, 4) int ndarray, optional
        Quadruples of units for the fourth-order moments of ``phi``.
    n_acf_trials, n_lags : int
        Trials whose units enter the autocovariance and its number of lags (0: off).
    max_abs : float
        ``|x|`` above this (or NaN) counts as divergence.
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
        noise_seed: int,
        X0: FloatArray,
        *,
        stats_every: int,
        acf_every: int,
        samples_per_block: int,
        covariance: bool,
        cross: bool,
        quads: np.ndarray | None,
        n_acf_trials: int,
        n_lags: int,
        max_abs: float,
    ) -> None:
        B, n = X0.shape
        per_chunk = math.gcd(stats_every, acf_every) if n_lags else stats_every
        self.cfg = _Static(
            n=n,
            n_trials=B,
            dtype=np.dtype(dtype).name,
            phi=phi_name(phi),
            noise=sigma > 0,
            max_abs=float(max_abs),
            steps_per_chunk=per_chunk,
            chunks_per_sample=stats_every // per_chunk,
            samples_per_block=samples_per_block,
            covariance=covariance,
            cross=cross,
            n_quads=0 if quads is None else len(quads),
            n_acf_trials=n_acf_trials,
            n_lags=n_lags,
        )
        self.stats_every, self.acf_every = stats_every, acf_every
        with jax.enable_x64(True):
            e_vec = np.exp(-dt / tau)
            self.params = {
                "JcT": jnp.asarray(((1.0 - e_vec)[:, None] * J).T.astype(dtype)),
                "e": jnp.asarray(e_vec.astype(dtype)),
                "cb": jnp.asarray(((1.0 - e_vec) * b).astype(dtype)),
                "s": jnp.asarray((sigma * np.sqrt((1.0 - e_vec**2) / (2.0 * tau))).astype(dtype)),
                "key": jax.random.key(int(noise_seed)),
                "quads": jnp.asarray(np.zeros((0, 4)) if quads is None else quads, dtype=jnp.int32),
            }
            X = jnp.asarray(X0)
            m = max(n_acf_trials, 1) * n
            ring = (
                jnp.zeros((max(n_lags, 1), m), X.dtype),
                jnp.zeros((max(n_lags, 1), m), X.dtype),
                jnp.asarray(0, jnp.int64),
                jnp.asarray(0, jnp.int64),
            )
            bad = jnp.asarray(-1, jnp.int64)
            k = jnp.asarray(0, jnp.int64)
            self.state = (X, _PHI_JAX[self.cfg.phi](X), bad, k, ring)
            self._burn, self._block = _compiled(self.cfg)
        self.n_blocks_run = 0

    def compile(self, steps_burn: int) -> None:
        """Compile the burn-in and block functions now (so that they are timed as setup)."""
        with jax.enable_x64(True):
            flags = jnp.asarray(self.acf_flags(0))
            if steps_burn:
                self._burn.lower(self.params, self.state, jnp.asarray(0, jnp.int64)).compile()
            self._block.lower(self.params, self.state, flags).compile()

    def acf_flags(self, block: int) -> np.ndarray:
        """Where block ``block`` takes autocovariance samples, per (sample, chunk)."""
        c = self.cfg
        spb, cps, per = c.samples_per_block, c.chunks_per_sample, c.steps_per_chunk
        k_s = block * spb * self.stats_every + per * np.arange(spb * cps).reshape(spb, cps)
        return (k_s % self.acf_every == 0) & bool(c.n_lags)

    def burn(self, n_steps: int) -> int:
        """Advance ``n_steps`` steps without statistics; return the first diverged step or -1."""
        with jax.enable_x64(True):
            self.state = self._burn(self.params, self.state, jnp.asarray(n_steps, jnp.int64))
            return int(self.state[2])

    def block(self) -> Any:
        """Run the next statistics block; return its sums (device arrays, not yet fetched)."""
        with jax.enable_x64(True):
            flags = jnp.asarray(self.acf_flags(self.n_blocks_run))
            self.state, sums = self._block(self.params, self.state, flags)
        self.n_blocks_run += 1
        return sums, self.state[2]

    def release(self) -> None:
        """Drop the device arrays (coupling copy, state)."""
        self.params = self.state = None  # type: ignore[assignment]


def fetch(sums: Any) -> dict[str, np.ndarray]:
    """Copy a block's sums to host NumPy arrays (writeable)."""
    with jax.enable_x64(True):
        return {k: np.array(v) for k, v in sums.items()}
