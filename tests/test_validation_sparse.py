"""Validation: finite-connectivity theory of the inhibitory-core ensemble vs sampled Jacobians.

Reduced (N = 10000, i.e. 2000 inhibitory units, c = 4, 8 realizations) by default; full (c = 2,
4, 8, 16 realizations) with
``RANDRNN_FULL_VALIDATION=1 pytest -m validation tests/test_validation_sparse.py``.

Fractions of eigenvalues in five rectangles (one holding the bar) from population dynamics
against the mean over realizations: |z| below the two-sided familywise 1e-3 Student-t
quantile, with z = (measured - predicted) / sqrt(SE_measured^2 + SE_predicted^2). The
dense-limit prediction of the same rectangles must be rejected (it has no bar and the wrong
support), so the test can tell the two theories apart. The exact bar count (singleton
components) against N times the predicted fraction outside the giant strongly connected
component, within the same quantile of its SE plus the O(1) small components.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from scipy import stats

from randrnn import rmt, spectra
from randrnn.ensembles import JacobianEnsemble, at_degree

pytestmark = pytest.mark.validation

REDUCED = os.environ.get("RANDRNN_FULL_VALIDATION", "").lower() not in {"1", "true", "yes"}

REGIONS = np.array(
    [
        [-0.06, np.inf, -np.inf, np.inf],
        [-1.2, -0.06, 0.025, np.inf],
        [-1.2, -0.06, -0.025, 0.025],
        [-1.2, -0.06, -np.inf, -0.025],
        [-0.3, -0.06, 0.06, np.inf],
    ]
)


def _cases(reduced: bool) -> list[float]:
    return [4.0] if reduced else [2.0, 4.0, 8.0]


@pytest.fixture(scope="module")
def runs():
    n = 10_000
    reps = 8 if REDUCED else 16
    cav = rmt.CavitySettings(pool=2000 if REDUCED else 4000, sweeps=160)
    out = []
    for c in _cases(REDUCED):
        ens = at_degree(JacobianEnsemble.inhibitory_core(n=n, in_degree=4.0), c / 4.0)
        out.append(
            (
                c,
                ens,
                rmt.cavity_regions(ens, REGIONS, cav),
                rmt.dense_regions(ens, REGIONS),
                spectra.measure_regions(ens, REGIONS, n_realizations=reps, seed=11),
            )
        )
    return out


def test_region_fractions_sparse_theory(runs) -> None:
    for c, _, pred, dense, meas in runs:
        reps = meas.fractions.shape[0]
        crit = stats.t.ppf(1 - 1e-3 / (2 * len(REGIONS)), reps - 1)
        z = (meas.fraction - pred.fraction) / np.sqrt(meas.fraction_se**2 + pred.fraction_se**2)
        z_dense = (meas.fraction - dense) / meas.fraction_se
        print(f"\nc = {c}: z sparse {np.round(z, 2)}, z dense {np.round(z_dense, 1)}")  # noqa: T201
        assert np.all(np.abs(z) < crit), (c, z)
        assert np.max(np.abs(z_dense)) > crit, (c, z_dense)


def test_bar_count(runs) -> None:
    for c, ens, _, _, meas in runs:
        reps = len(meas.bar_counts)
        crit = stats.t.ppf(1 - 1e-3 / 2, reps - 1)
        expect = rmt.strong_component(ens).expected_bar_count
        # O(1) small non-singleton components are not singletons: allowance of 10 units
        assert abs(meas.bar_count - expect) < crit * meas.bar_count_se + 10, (c, meas.bar_count)
