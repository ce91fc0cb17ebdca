r"""The trainable continuous-time E/I rate network and its Euler dynamics (JAX).

Dynamics (Kim, Li & Sejnowski, PNAS 116, 22811 (2019); Rungratsameetaweemana, Kim, Chotibut &
Sejnowski, PNAS 122, e2316745122 (2025); the network of docs/theory.md section 1 with
:math:`\phi` the logistic sigmoid and a time-dependent input):

.. math:: \tau_i \dot x_i = -x_i + \sum_j W_{ij} r_j + \sum_k W^{\rm in}_{ik} u_k(t) + b_i
          + \sigma\,\xi_i(t), \qquad r = \mathrm{sigmoid}(x),

with :math:`\langle\xi_i(t)\xi_j(s)\rangle = \delta_{ij}\delta(t - s)` (the convention of
:class:`randrnn.RateNetwork`), Dale's law through :math:`W = |W^{\rm raw}| \odot M \odot s`
(``s_j = +1`` for an excitatory, ``-1`` for an inhibitory presynaptic unit ``j``; the mask
``M`` is drawn once with connection probability ``p`` and no self-connections, and stays fixed:
weights may shrink to zero but no edge is created), trainable time constants
:math:`\tau_i = \tau_{\min} + (\tau_{\max} - \tau_{\min})\,\mathrm{sigmoid}(\tau^{\rm raw}_i)`
and the readout :math:`o(t) = w^{\rm out}\cdot r(t) + b^{\rm out}`.

Euler discretisation with step ``dt = 1`` (all times, ``tau`` included, are in steps):

.. math:: x \leftarrow x + \frac{dt}{\tau}\bigl(-x + W r + W^{\rm in} u(t) + b\bigr)
          + \frac{\sqrt{dt}\,\sigma}{\tau}\,\eta, \qquad \eta \sim \mathcal N(0, I),

the Euler--Maruyama step of the equation above (a fresh :math:`\eta` each step); the state
starts at :math:`x = 0` and the readout is taken after each step. Excitatory units come first
(indices ``0 .. n_E - 1``), as in :meth:`randrnn.ensembles.BlockEnsemble.population_index`.

This module imports JAX at import time; :mod:`randrnn.training` imports it only when training
or evaluating.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from randrnn.ensembles import BlockEnsemble

#: the Euler step; durations and time constants are in units of it
DT = 1.0

_HI = lax.Precision.HIGHEST


def ei_ensemble(n: int, fraction_inhibitory: float, connectivity: float) -> BlockEnsemble:
    """The two-population (E first, then I) Dale ensemble matching a trained network's layout.

    Its ``sizes`` fix the number of excitatory and inhibitory units (largest-remainder rounding
    of ``n * (1 - f, f)``) and its ``population_index()`` marks them (0 = E, 1 = I).
    """
    p = float(connectivity)
    return BlockEnsemble(
        n=n,
        fractions=(1.0 - fraction_inhibitory, fraction_inhibitory),
        signs=(1, -1),
        connectivity=((p, p), (p, p)),
        weights=((1.0, 1.0), (1.0, 1.0)),  # type: ignore[arg-type]
    )


def init_params(
    n: int,
    n_inputs: int,
    *,
    fraction_inhibitory: float,
    connectivity: float,
    gain: float,
    rng: np.random.Generator,
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    r"""Initial trainable parameters, the fixed mask and the presynaptic signs.

    Magnitudes :math:`|W^{\rm raw}_{ij}| = g\,|z_{ij}|/\sqrt{n p}` (``z`` standard normal),
    the inhibitory columns multiplied by :math:`n_E/n_I` so that the expected input from the
    two populations cancels at equal rates (balanced initialisation); ``W_in`` standard normal,
    ``w_out`` normal with variance ``1/n``, ``b = b_out = 0``, ``tau_raw`` standard normal.

    Returns
    -------
    params : dict of float32 ndarray
        ``w_raw`` (n, n), ``w_in`` (n, n_inputs), ``b`` (n,), ``w_out`` (n,), ``b_out`` (),
        ``tau_raw`` (n,).
    mask : (n, n) ndarray of bool
        Allowed connections (no diagonal).
    sign : (n,) ndarray of float32
        +1 for the first ``n_E`` (excitatory) units, -1 for the rest.
    """
    n_e, n_i = ei_ensemble(n, fraction_inhibitory, connectivity).sizes
    mask = rng.random((n, n)) < connectivity
    np.fill_diagonal(mask, False)
    sign = np.concatenate([np.ones(n_e), -np.ones(n_i)])
    scale = np.where(sign > 0, 1.0, n_e / max(n_i, 1)) * gain / math.sqrt(n * connectivity)
    w_raw = np.abs(rng.standard_normal((n, n))) * scale[None, :]
    params = {
        "w_raw": w_raw,
        "w_in": rng.standard_normal((n, n_inputs)),
        "b": np.zeros(n),
        "w_out": rng.standard_normal(n) / math.sqrt(n),
        "b_out": np.zeros(()),
        "tau_raw": rng.standard_normal(n),
    }
    return (
        {k: np.asarray(v, dtype=np.float32) for k, v in params.items()},
        mask,
        sign.astype(np.float32),
    )


def effective_weights(w_raw: Any, mask: Any, sign: Any) -> Any:
    """``W = |w_raw| * mask * sign`` (sign per presynaptic column)."""
    return jnp.abs(w_raw) * mask * sign[None, :]


def time_constants(tau_raw: Any, tau_min: float, tau_max: float) -> Any:
    """``tau = tau_min + (tau_max - tau_min) * sigmoid(tau_raw)``."""
    return tau_min + (tau_max - tau_min) * jax.nn.sigmoid(tau_raw)


def drift(x: Any, u: Any, w: Any, w_in: Any, b: Any, tau: Any) -> Any:
    r"""The deterministic field :math:`\tau^{-1}(-x + W r + W^{\rm in} u + b)` on a batch.

    ``x`` is (B, n), ``u`` (B, k); returns (B, n).
    """
    r = jax.nn.sigmoid(x)
    drive = jnp.matmul(r, w.T, precision=_HI) + jnp.matmul(u, w_in.T, precision=_HI) + b
    return (-x + drive) / tau


def run(
    w: Any,
    w_in: Any,
    b: Any,
    w_out: Any,
    b_out: Any,
    tau: Any,
    u: Any,
    eta: Any,
    sigma: float,
) -> Any:
    """Integrate a batch of trials from ``x = 0``; return the readout ``(T, B)``.

    Parameters
    ----------
    w, w_in, b, w_out, b_out, tau
        Effective parameters.
    u : (T, B, k) array
        Inputs.
    eta : (T, B, n) array
        Standard normal noise (one draw per step).
    sigma : float
        Noise amplitude (the Euler--Maruyama increment is ``sqrt(dt) sigma eta / tau``).
    """
    n = w.shape[0]
    x0 = jnp.zeros((u.shape[1], n), dtype=w.dtype)
    noise_scale = math.sqrt(DT) * sigma / tau

    def step(x: Any, inp: Any) -> tuple[Any, Any]:
        u_t, eta_t = inp
        x = x + DT * drift(x, u_t, w, w_in, b, tau) + noise_scale * eta_t
        out = jnp.matmul(jax.nn.sigmoid(x), w_out, precision=_HI) + b_out
        return x, out

    _, out = lax.scan(step, x0, (u, eta))
    return out


#: :func:`run` compiled (``sigma`` traced: one compilation per shape)
run_jit = jax.jit(run)


def effective(
    params: dict[str, Any], mask: Any, sign: Any, tau_min: float, tau_max: float
) -> tuple[Any, Any, Any, Any, Any, Any]:
    """``(w, w_in, b, w_out, b_out, tau)`` from the trainable parameters."""
    return (
        effective_weights(params["w_raw"], mask, sign),
        params["w_in"],
        params["b"],
        params["w_out"],
        params["b_out"],
        time_constants(params["tau_raw"], tau_min, tau_max),
    )


def loss_and_accuracy(out: Any, target: Any, mask: Any, labels: Any) -> tuple[Any, Any]:
    """Masked mean squared error and the accuracy (sign of the mean response-window output)."""
    loss = jnp.sum(mask * (out - target) ** 2) / jnp.sum(mask)
    mean_out = jnp.sum(mask * out, axis=0) / jnp.sum(mask, axis=0)
    accuracy = jnp.mean(jnp.sign(mean_out) == labels)
    return loss, accuracy
