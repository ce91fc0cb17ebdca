"""Assertions with derived tolerances, for randrnn's tests and for users' own experiments.

- :func:`assert_within_se` -- estimate vs expectation within ``z`` standard errors (plus a stated
  finite-size allowance).
- :func:`assert_residual_small` -- a residual measured in units of the requested tolerance.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def assert_within_se(
    estimate: ArrayLike,
    expected: ArrayLike,
    se: ArrayLike,
    *,
    z: float = 5.0,
    bias: ArrayLike = 0.0,
    dof: int | None = None,
    label: str = "estimate",
) -> None:
    """Assert ``|estimate - expected| <= z * se + bias`` elementwise.

    When ``se`` is itself estimated from ``dof + 1`` batches, ``(estimate - expected) / se`` is
    t-distributed: with ``dof`` given, ``z`` is replaced by the t quantile with the same
    two-sided tail probability as ``z`` under a normal (``z = 5``: 6e-7 per element).

    Parameters
    ----------
    estimate, expected, se : array_like
        Measured values, predicted values and standard errors of the measurement.
    z : float
        Allowed number of standard errors; 5 gives a per-element false-failure rate of ~6e-7.
    bias : array_like
        Documented allowance for systematic (e.g. finite-size) deviations.
    dof : int, optional
        Degrees of freedom of the standard-error estimate (``n_blocks - 1``).
    label : str
        Name used in the failure message.

    Raises
    ------
    AssertionError
        Reporting the worst z-score and where it occurred.
    """
    if dof is not None:
        from scipy import stats

        z = float(stats.t.isf(stats.norm.sf(z), dof))
    est = np.asarray(estimate, dtype=float)
    exp = np.asarray(expected, dtype=float)
    err = np.asarray(se, dtype=float)
    allow = z * err + np.asarray(bias, dtype=float)
    dev = np.abs(est - exp)
    bad = dev > allow
    if np.any(bad):
        with np.errstate(divide="ignore", invalid="ignore"):
            zs = np.broadcast_to((dev - np.asarray(bias, dtype=float)) / err, dev.shape)
        k = int(np.nanargmax(np.where(np.isfinite(zs), zs, np.inf)))
        idx = np.unravel_index(k, dev.shape) if dev.ndim else ()
        raise AssertionError(
            f"{label}: {int(bad.sum())} of {bad.size} element(s) outside {z} SE"
            f" (+ bias); worst z-score {float(zs.flat[k]):.2f} at index {idx}: "
            f"estimate={float(np.broadcast_to(est, dev.shape)[idx]):.6g}, "
            f"expected={float(np.broadcast_to(exp, dev.shape)[idx]):.6g}, "
            f"se={float(np.broadcast_to(err, dev.shape)[idx]):.3g}"
        )


def assert_residual_small(residual: float, tol: float, *, factor: float = 1.0) -> None:
    """Assert ``residual <= factor * tol`` and report the residual in units of ``tol``.

    Parameters
    ----------
    residual : float
        Measured residual of a defining equation.
    tol : float
        The tolerance the solver was asked for.
    factor : float
        Allowed multiple of ``tol``.

    Raises
    ------
    AssertionError
        If the residual exceeds ``factor * tol``.
    """
    ratio = float(residual) / float(tol)
    if not ratio <= factor:
        raise AssertionError(f"residual = {ratio:.3g} x tol (allowed {factor} x tol = {tol:.1e})")
