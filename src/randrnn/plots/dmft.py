r"""Figures of stationary DMFT solutions.

- :func:`plot_autocovariance` -- :math:`\Delta(t)` and :math:`C(t)` against the lag.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np


def plot_autocovariance(solution: Any, *, t_max: float | None = None) -> Any:
    r"""Plot :math:`\Delta(t)` and :math:`C(t)` of a stationary DMFT solution.

    Parameters
    ----------
    solution : StationarySolution or xarray.Dataset
        A result of :func:`randrnn.dmft.solve_stationary` or its ``to_xarray()``.
    t_max : float, optional
        Largest lag shown; default ``8 * tau_corr`` (at least 10).

    Returns
    -------
    matplotlib.figure.Figure
        A figure with two axes, :math:`\Delta(t)` (left) and :math:`C(t)` (right).

    Examples
    --------
    >>> from randrnn import GaussianEnsemble, RateNetwork
    >>> from randrnn.dmft import solve_stationary
    >>> sol = solve_stationary(RateNetwork(ensemble=GaussianEnsemble(n=10, g=2.0)))
    >>> fig = plot_autocovariance(sol)
    >>> len(fig.axes)
    2
    """
    if hasattr(solution, "data_vars"):
        lags = np.asarray(solution["lag"])
        delta = np.asarray(solution["delta"])
        c = np.asarray(solution["c"])
        tau_corr = float(solution.attrs.get("tau_corr", 0.0))
        title = str(solution.attrs.get("regime", ""))
    else:
        lags, delta, c = solution.lags, solution.delta, solution.c
        tau_corr = float(solution.tau_corr)
        title = solution.regime
    t_max = max(8.0 * tau_corr, 10.0) if t_max is None else float(t_max)
    keep = lags <= t_max
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.2), constrained_layout=True)
    axes[0].plot(lags[keep], delta[keep], color="C0")
    axes[0].set_xlabel("lag t (units of tau)")
    axes[0].set_ylabel(r"$\Delta(t)$")
    axes[1].plot(lags[keep], c[keep], color="C1")
    axes[1].set_xlabel("lag t (units of tau)")
    axes[1].set_ylabel(r"$C(t)$")
    fig.suptitle(f"stationary DMFT ({title})")
    return fig
