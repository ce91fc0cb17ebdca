"""Compiled elementwise kernels of the simulator (private).

NumPy's float32 ``tanh`` is not vectorised on common x86 builds (about 4 ns per element, a
quarter of a (128 x 1000) @ (1000 x 1000) GEMM at N = 1000). These numba kernels evaluate
``tanh`` through a rational approximation in float64 (max abs error 3.3e-8 on the real line,
below the float32 half-ulp of 1), fused with the leak and noise update in one pass.
"""

from __future__ import annotations

import math
from typing import Any

import numba as nb
import numpy as np

# All kernels use ``error_model="numpy"``: the Python model's zero-division check on the
# rational tanh's ``num / den`` (den > 0 on the clipped range) blocked vectorisation (4x slower).

# tanh(x) ~ x P(x^2) / Q(x^2) for |x| <= 9 (tanh(9) = 1 - 3e-8 rounds to 1 in float32); fitted
# by iteratively reweighted least squares on [0, 9]; max abs error 3.3e-8 (tests check < 5e-8).
_P = (
    9.9999994476752996e-01,
    -1.5887335331051730e-01,
    3.1421590227113751e-02,
    7.9534084893569876e-03,
    2.2609963638471533e-04,
    1.3438456706073298e-06,
    8.5512691372358063e-10,
)
_Q = (
    1.0,
    1.7445964646445217e-01,
    -4.3757927534803176e-02,
    2.4073865242878020e-02,
    1.6312165407345168e-03,
    2.1443898797244860e-05,
    5.0346723373673186e-08,
)
P0, P1, P2, P3, P4, P5, P6 = _P
Q0, Q1, Q2, Q3, Q4, Q5, Q6 = _Q
_ERF_SCALE = math.sqrt(math.pi) / 2.0


def _cached_njit(**options: Any) -> Any:
    """``numba.njit(cache=True, **options)``, without the on-disk cache where none is writable.

    A user who can write neither the package's ``__pycache__`` nor a cache directory (no home,
    ``NUMBA_CACHE_DIR`` unset) gets the kernels compiled in memory on each start instead of a
    ``RuntimeError: cannot cache function``.
    """

    def decorate(func: Any) -> Any:
        try:
            return nb.njit(cache=True, **options)(func)
        except RuntimeError:
            return nb.njit(cache=False, **options)(func)

    return decorate


#: codes of the transfer functions the fused step kernel evaluates itself
PHI_TANH_RATIONAL, PHI_TANH_EXACT, PHI_ERF, PHI_RELU, PHI_LINEAR, PHI_NONE = 0, 1, 2, 3, 4, 5


@nb.njit(fastmath=True, inline="always", error_model="numpy")
def _tanh_r(v):  # pragma: no cover - compiled
    v = min(max(v, -9.0), 9.0)
    s = v * v
    num = v * (P0 + s * (P1 + s * (P2 + s * (P3 + s * (P4 + s * (P5 + s * P6))))))
    den = Q0 + s * (Q1 + s * (Q2 + s * (Q3 + s * (Q4 + s * (Q5 + s * Q6)))))
    return min(max(num / den, -1.0), 1.0)


@nb.njit(fastmath=True, inline="always", error_model="numpy")
def _update_row(x, h, e, cb, z, s, out, code, r):  # pragma: no cover
    # one branch per row, none per element, so that each inner loop vectorises
    n = x.shape[1]
    if code == 0:
        for i in range(n):
            v = e[i] * x[r, i] + h[r, i] + cb[i] + s[i] * z[r, i]
            x[r, i] = v
            out[r, i] = _tanh_r(np.float64(v))
    elif code == 1:
        for i in range(n):
            v = e[i] * x[r, i] + h[r, i] + cb[i] + s[i] * z[r, i]
            x[r, i] = v
            out[r, i] = np.tanh(v)
    elif code == 2:
        for i in range(n):
            v = e[i] * x[r, i] + h[r, i] + cb[i] + s[i] * z[r, i]
            x[r, i] = v
            out[r, i] = math.erf(_ERF_SCALE * v)
    elif code == 3:
        for i in range(n):
            v = e[i] * x[r, i] + h[r, i] + cb[i] + s[i] * z[r, i]
            x[r, i] = v
            out[r, i] = max(v, 0.0)
    else:
        for i in range(n):
            v = e[i] * x[r, i] + h[r, i] + cb[i] + s[i] * z[r, i]
            x[r, i] = v
            out[r, i] = v


@_cached_njit(fastmath=True, nogil=True, error_model="numpy")
def fused_step(x, h, e, cb, z, s, out, code):  # pragma: no cover
    """One exponential-Euler update after the GEMM, fused with ``phi``.

    ``x[r, i] <- e[i] x[r, i] + h[r, i] + cb[i] + s[i] z[r, i]`` and ``out = phi(x)``, where
    ``h = phi(x_old) @ ((1 - e) J)^T`` (``z`` all zeros without noise). ``code`` selects ``phi``;
    with ``PHI_NONE`` (and ``PHI_LINEAR``) ``out`` is a copy of ``x``. Serial on purpose: a
    threaded version competes with the BLAS threads of the next GEMM (measured in the full
    step: 1.3-1.6x the bare GEMM threaded vs 1.2-1.35x serial at N = 1000, B = 128).
    """
    for r in range(x.shape[0]):
        _update_row(x, h, e, cb, z, s, out, code, r)


@_cached_njit(fastmath=True, error_model="numpy")
def tanh_rational(x, out):  # pragma: no cover - compiled
    """``out[:] = tanh(x)`` on flat arrays (the approximation the fused step uses)."""
    for i in range(x.size):
        out[i] = _tanh_r(np.float64(x[i]))


@_cached_njit(fastmath=False, error_model="numpy")
def welford_block(block, count, mu, mv, k, first_half, mean, m2, half):  # pragma: no cover
    """Fold one block's second moments into running per-entry statistics, in one pass.

    With ``t = block / count - mu mv^T`` (the block covariance): ``mean += (t - mean) / k``,
    ``m2 += (t - mean_old) (t - mean_new)`` (Welford) and, in the first half, ``half += t``.
    ``mean`` is float64; ``block``, ``m2``, ``half`` may be float32 (arithmetic in float64).
    """
    inv = 1.0 / count
    for i in range(block.shape[0]):
        ui = mu[i]
        for j in range(block.shape[1]):
            t = np.float64(block[i, j]) * inv - ui * mv[j]
            old = mean[i, j]
            new = old + (t - old) / k
            mean[i, j] = new
            m2[i, j] += (t - old) * (t - new)
            if first_half:
                half[i, j] += t
