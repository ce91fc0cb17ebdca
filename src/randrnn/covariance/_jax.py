r"""The frequency quadrature of the linear-equivalent covariance on JAX (CPU or accelerator).

:func:`randrnn.covariance.linear_equivalent_covariance` with ``backend="jax"`` calls
:func:`quadrature_sums`: the batched LU solves :math:`R(\omega) = (I - a(\omega)J)^{-1}`
(``jnp.linalg.solve`` over a batch of frequencies) and the weighted sums of
:math:`\operatorname{Re} R R^H` and :math:`\operatorname{Re} R` over the nodes run on the
device in complex128/float64 (64-bit types enabled for the call only, ``jax.enable_x64``).
The frequency rule and the weights are the NumPy route's (``prediction._quadrature_covariances``).

Only real parts are needed (the weights are real): with :math:`R = R_r + iR_i`,
:math:`\operatorname{Re} RR^H = R_rR_r^T + R_iR_i^T` (two real products instead of one complex
one) and :math:`\operatorname{Re} R^H = R_r^T`.

This module imports JAX at import time; :mod:`randrnn.covariance.prediction` imports it only
when the JAX backend is used.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from randrnn._typing import FloatArray

#: bytes of one batch of complex128 n x n resolvents (a few such arrays are live at once)
BATCH_BYTES = 1 << 28


def batch_size(n: int, batch_bytes: int = BATCH_BYTES) -> int:
    """Frequencies per batched solve: ``batch_bytes`` of complex128 ``n x n`` matrices, 1-64."""
    return max(1, min(64, batch_bytes // (16 * n * n)))


@functools.lru_cache(maxsize=4)
def _batch_fn() -> Any:
    def batch(J, a, c, acc):
        # a: (b,) complex; c: (5, b) real weights; acc: (3, n, n) running sums
        n = J.shape[0]
        eye = jnp.eye(n, dtype=jnp.float64)
        A = eye[None] - a[:, None, None] * J[None]
        R = jnp.linalg.solve(A, jnp.broadcast_to(eye.astype(A.dtype), A.shape))
        Rr, Ri = R.real, R.imag
        hi = jax.lax.Precision.HIGHEST
        G = jnp.matmul(Rr, Rr.transpose(0, 2, 1), precision=hi) + jnp.matmul(
            Ri, Ri.transpose(0, 2, 1), precision=hi
        )  # Re(R R^H)
        c1, c2, c3, c4, c5 = c
        ReR = jnp.einsum("f,fij->ij", c2, Rr)
        ReRt = jnp.einsum("f,fij->ij", c4, Rr)
        phi = jnp.einsum("f,fij->ij", c1, G)
        x = jnp.einsum("f,fij->ij", c2 + c3, G) - ReR - ReR.T + jnp.sum(c2) * eye
        xphi = jnp.einsum("f,fij->ij", c4 + c5, G) - ReRt.T
        return acc + jnp.stack([phi, x, xphi])

    return jax.jit(batch, donate_argnums=(3,) if jax.default_backend() != "cpu" else ())


def quadrature_sums(
    J: FloatArray,
    a: np.ndarray,
    weights: np.ndarray,
    *,
    batch: int | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    r"""Weighted sums over frequency nodes of the real parts of the resolvent products.

    Parameters
    ----------
    J : (n, n) ndarray
        Couplings (real).
    a : (f,) complex ndarray
        :math:`a(\omega_f) = \mu_1/(1 + i\omega_f)` at the nodes.
    weights : (5, f) ndarray
        Per node the real coefficients ``c1..c5`` of

        - :math:`\Sigma_\phi = \sum_f c_1 \operatorname{Re} RR^H`,
        - :math:`\Sigma_x = \sum_f c_2 \operatorname{Re}(RR^H - R - R^H + I) + c_3
          \operatorname{Re} RR^H`,
        - :math:`\Sigma_{x\phi} = \sum_f c_4 \operatorname{Re}(RR^H - R^H) + c_5
          \operatorname{Re} RR^H`.
    batch : int, optional
        Frequencies per batched solve (default :func:`batch_size`); the last batch is padded
        with zero-weight nodes so that one compiled function serves all batches.

    Returns
    -------
    tuple of (n, n) ndarray
        :math:`\Sigma_\phi`, :math:`\Sigma_x`, :math:`\Sigma_{x\phi}` (float64).
    """
    n = J.shape[0]
    f = a.size
    step = batch_size(n) if batch is None else max(1, int(batch))
    step = min(step, max(f, 1))
    n_pad = -f % step
    a_p = np.concatenate([np.asarray(a, dtype=np.complex128), np.zeros(n_pad, np.complex128)])
    c_p = np.concatenate([np.asarray(weights, dtype=float), np.zeros((5, n_pad))], axis=1)
    fn = _batch_fn()
    with jax.enable_x64(True):
        Jd = jnp.asarray(J, dtype=jnp.float64)
        acc = jnp.zeros((3, n, n), dtype=jnp.float64)
        for s in range(0, a_p.size, step):
            acc = fn(Jd, jnp.asarray(a_p[s : s + step]), jnp.asarray(c_p[:, s : s + step]), acc)
        out = np.array(acc)
    return out[0], out[1], out[2]
