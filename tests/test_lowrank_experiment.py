"""The paper's low-rank examples: latent mean-field theory against full networks.

Validation tests (marker ``validation``): reduced size by default (n = 2000, 5 realizations; tanh
for every example, erf for the rank-one and rank-two ones), full size (n = 4000, 5 realizations,
tanh and erf everywhere) with ``RANDRNN_FULL_VALIDATION=1 pytest -m validation
tests/test_lowrank_experiment.py``.

Each compared quantity (a fixed point's coordinates, its eigenvalues, a cycle's period and radius,
a ring's radius) is the mean over realizations of the full networks' value, tested against the
theory with the Student t quantile of the realizations' own standard error at a two-sided level
of 1e-3 per quantity (the spread over realizations *is* the finite-size allowance: the bias of
the mean-field limit is O(1/n), below the O(1/sqrt(n S)) standard error at these sizes).
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from scipy import stats

from randrnn.experiments.lowrank import EXAMPLES, compare_example, paper_example

pytestmark = pytest.mark.validation

REDUCED = os.environ.get("RANDRNN_FULL_VALIDATION", "").lower() not in {"1", "true", "yes"}
SIZE = {"n": 2000, "realizations": 5} if REDUCED else {"n": 4000, "realizations": 5}


#: what each example shows in the theory: (fixed points, stable ones)
STRUCTURE = {
    "rank1_monostable": (1, 1),
    "rank1_bistable": (3, 2),
    "rank2_axes": (5, 2),
    "rank2_cycle": (1, 0),
    "rank2_ring": (1, 0),  # the origin; the ring is compared through its radius
    "rank1_two_components": (5, 3),
    "rank2_hexagon": (13, 6),
}

CASES = [(name, "tanh") for name in EXAMPLES] + [
    (name, "erf") for name in ("rank1_bistable", "rank2_axes", "rank2_cycle", "rank2_ring")
]


@pytest.fixture(scope="module")
def comparisons():
    cases = CASES if REDUCED else [(n, p) for n in EXAMPLES for p in ("tanh", "erf")]
    return {
        (name, phi): compare_example(name, phi=phi, dt=0.02, record_every=5, **SIZE)
        for name, phi in cases
    }


def test_theory_structure_and_residuals(comparisons):
    """The theory shows each example's structure; every fixed point to 1e-10 residual."""
    for (name, phi), c in comparisons.items():
        n_fixed, n_stable = STRUCTURE[name]
        assert len(c.theory) == n_fixed, (name, phi, c.theory.points)
        assert int(np.sum(c.theory.stability == "stable")) == n_stable, (name, phi)
        assert c.theory.residual.max() < 1e-10, (name, phi, c.theory.residual)
        if c.example.feature == "cycle":
            assert c.cycle is not None
            assert c.cycle.converged
        if c.example.feature == "ring":
            assert math.isfinite(c.ring_radius)
            assert c.ring_radius > 0.5


def test_every_theory_point_has_a_network_counterpart(comparisons):
    """Each theory fixed point is matched, with the same stability, in every realization."""
    for (name, phi), c in comparisons.items():
        assert np.all(np.isfinite(c.network_points)), (name, phi, c.network_points)


def test_network_means_agree_with_theory(comparisons):
    """Every quantity: |mean - theory| <= t_{S-1}(1 - 5e-4) * SE over realizations."""
    bad = []
    for (name, phi), c in comparisons.items():
        for row in c.table:
            k = row["n_realizations"]
            assert k >= 2, (name, phi, row)
            tq = stats.t.ppf(1 - 5e-4, k - 1)
            diff = abs(row["mean"] - row["theory"])
            if not diff <= tq * row["se"] + 1e-12 * (1 + abs(row["theory"])):
                bad.append((name, phi, row["quantity"], row["theory"], row["mean"], row["se"]))
    assert not bad, bad


def test_cycle_period_from_the_simulated_network(comparisons):
    """The simulated full network oscillates with the theory's period (2 pi a / b = 4 pi)."""
    c = comparisons[("rank2_cycle", "tanh")]
    assert c.cycle is not None
    assert abs(c.cycle.period - 4 * math.pi) < 1e-8
    per = c.network_cycle[:, 1]
    assert np.all(np.isfinite(per))
    se = per.std(ddof=1) / math.sqrt(per.size)
    assert abs(per.mean() - 4 * math.pi) <= stats.t.ppf(1 - 5e-4, per.size - 1) * se


def test_simulated_trials_end_at_network_stable_points(comparisons):
    """Trials of the bistable network end at its stable fixed points (found independently)."""
    c = comparisons[("rank1_bistable", "tanh")]
    stable = c.theory.stability == "stable"
    for s in range(c.end_states.shape[0]):
        pts = c.network_points[s][stable]  # (2, 1)
        d = np.abs(c.end_states[s][:, None, 0] - pts[None, :, 0]).min(axis=1)
        assert np.all(d < 1e-6), d


def test_paper_example_rejects_unknown_name():
    with pytest.raises(ValueError, match="`example` must be one of"):
        paper_example("rank3_cube")
