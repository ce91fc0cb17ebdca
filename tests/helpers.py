"""Shared problem factories for the tests (small, fast, documented sizes)."""

from __future__ import annotations

from typing import Any

import numpy as np

from randrnn.stats import MatrixEstimate

#: simulation settings of a run that takes seconds: short, few trials, few quadruples
FAST_SIMULATION: dict[str, Any] = {
    "t_max": 64.0,
    "burn_in": 10.0,
    "n_trials": 8,
    "max_lag": 3.0,
    "n_quadruples": 50,
}


def run_config(
    *, n: int = 60, g: float = 0.9, sigma: float = 1.5, coupling: int = 0, **tables: Any
) -> dict[str, Any]:
    """A run config of ``n`` units (noise-driven by default) with :data:`FAST_SIMULATION`.

    Extra keyword arguments are tables merged over the result (``prediction={"naive": False}``).
    """
    cfg: dict[str, Any] = {
        "ensemble": {"n": n, "g": g},
        "network": {"phi": "tanh", "sigma": sigma},
        "simulation": dict(FAST_SIMULATION),
        "seeds": {"coupling": coupling},
    }
    for table, values in tables.items():
        cfg.setdefault(table, {}).update(values)
    return cfg


def quiescent_run_config() -> dict[str, Any]:
    """tanh, g = 0.9, no noise, no input: the DMFT is quiescent (nothing fluctuates)."""
    return run_config(g=0.9, sigma=0.0)


def naive_unstable_run_config() -> dict[str, Any]:
    """tanh, g = 3, n = 40, coupling seed 1: the realization's eigenvalues reach
    ``mu1 |lambda| = 1.15`` (the naive closure does not exist), while the linear-equivalent
    network is stable (``mu1 Re(lambda) < 1``)."""
    return run_config(n=40, g=3.0, sigma=0.0, coupling=1)


def to_cli_overrides(config: dict[str, Any]) -> list[str]:
    """``--set table.key=value`` arguments reproducing ``config`` over the defaults."""
    args: list[str] = []
    for table, values in config.items():
        for key, v in values.items():
            text = repr(v) if not isinstance(v, bool) else str(v).lower()
            args += ["--set", f"{table}.{key}={text}"]
    return args


def noisy_covariance(
    truth: np.ndarray, noise_sd: float, rng: np.random.Generator, *, n_blocks: int = 16
) -> MatrixEstimate:
    """A measured covariance: ``truth`` plus independent symmetric noise in each half.

    Each half's off-diagonal noise has SD ``noise_sd / sqrt(2)``, so the SE of their mean (the
    full-run estimate) is ``noise_sd / 2`` off the diagonal; that is the SE returned.
    """
    n = truth.shape[0]
    noise = [rng.normal(0.0, noise_sd, (n, n)) for _ in range(2)]
    halves = np.stack([truth + (e + e.T) / 2 for e in noise])
    se = np.full((n, n), noise_sd / 2)
    return MatrixEstimate(halves.mean(0), se, halves, n_blocks)


def low_rank_covariance(n: int, rank: int, rng: np.random.Generator) -> np.ndarray:
    """``I + U U^T / 10`` with ``U`` an ``(n, rank)`` standard normal matrix."""
    u = rng.normal(size=(n, rank))
    return np.eye(n) + u @ u.T / 10


#: a two-population E/I spectrum config small enough for a test (n = 200, 2 realizations)
SPECTRUM_CONFIG_TOML = """
[ensemble]
n = 200
fractions = [0.8, 0.2]
signs = [1, -1]
connectivity = [[0.1, 0.3], [0.3, 0.3]]
weights = [[{kind = "halfnormal", scale = 1.5}, 2.0], [{kind = "halfnormal", scale = 1.5}, 2.0]]
tau = [1.0, {kind = "uniform", low = 1.0, high = 3.0}]
gain = [{kind = "uniform", low = 0.5, high = 1.5}, 1.0]
keep_mean = false

[spectrum]
n_realizations = 2
seed = 3
bins = 9

[sensitivity]
n = 150
n_realizations = 2
sparsity = [0.5, 1.0]
weight_scale = [0.8, 1.2]
fraction_excitatory = []
tau_spread = []
gain_spread = []
"""


def scaling_result_example(*, naive: bool = True) -> Any:
    """A ScalingResult with made-up metrics following the large-N laws (no simulation).

    Two realizations at N = 100, 200, 400; mean squares ~ 1/N^2 (residual) and 1/N (activity).
    """
    from randrnn.sweeps import SCALING_METRICS, ExponentFit, ScalingResult

    sizes = (100, 200, 400)
    n = np.array(sizes, dtype=float)[:, None] * np.ones((1, 2))
    metrics = {k: np.full((3, 2), 0.5) for k in SCALING_METRICS}
    metrics["ms_offdiag_r"] = 1.0 / n**2
    metrics["ms_offdiag_phi"] = 1.0 / n
    metrics["ms_offdiag_r_se"] = 0.01 / n**2
    metrics["ms_offdiag_phi_se"] = 0.01 / n
    status = "compared"
    if not naive:
        metrics["naive_offdiag_corr"] = np.full((3, 2), np.nan)
        status = "not applicable: the naive closure is unstable"
    return ScalingResult(
        config={},
        sizes=sizes,
        coupling_seeds=(11, 12),
        metrics=metrics,
        naive_status=tuple((status, status) for _ in sizes),
        residual=ExponentFit(exponent=-1.0, exponent_se=0.01, theory=-1.0),
        activity=ExponentFit(exponent=-0.5, exponent_se=0.01, theory=-0.5),
    )
