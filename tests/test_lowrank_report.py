"""Figures and report of ``randrnn lowrank`` from a small typed result.

The result (n = 200, two realizations; a rank-one example, the limit cycle and the ring) is
built once per module. What the figures draw is checked against the theory by routes that do
not go through the plotting code: the zeros of the drawn field against the theory's fixed
points (Newton), the drawn nullclines against the field evaluated on them; the report's counts
against the experiment's own summary.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest

from randrnn import report
from randrnn.experiments.lowrank import run_lowrank

EXAMPLES = ("rank1_bistable", "rank2_cycle", "rank2_ring")


@pytest.fixture(scope="module")
def plt():
    report.use_headless_backend()
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


@pytest.fixture(scope="module")
def result():
    return run_lowrank(
        {
            "lowrank": {"n": 200, "realizations": 2, "phis": ["tanh"], "examples": list(EXAMPLES)},
            "approximation": {"enabled": False},
        }
    )


@pytest.fixture(scope="module")
def written(result, plt, tmp_path_factory):
    from randrnn.plots.lowrank import figures

    out = tmp_path_factory.mktemp("lowrank")
    figs = figures(result)
    path = report.write_lowrank_report(result, out, figs)
    return out, path, figs


def _comparison(result, name):
    return next(c for c in result.comparisons if c.example.name == name)


def test_one_figure_per_comparison_and_the_agreement(written):
    out, _, figs = written
    assert set(figs) == {
        "field_rank1_bistable_tanh",
        "flow_rank2_cycle_tanh",
        "flow_rank2_ring_tanh",
        "agreement",
    }
    for name in figs:
        png = (out / "figures" / f"{name}.png").read_bytes()
        assert png.startswith(b"\x89PNG"), name
        assert len(png) > 10_000, name


def test_report_has_each_section_table_and_figure(result, written):
    _, path, figs = written
    text = path.read_text()
    assert ">nan<" not in text
    assert "None" not in text
    heads = re.findall(r"<h2>(.*?)</h2>", text)
    assert heads == ["Agreement", *(f"{e} (tanh)" for e in EXAMPLES), "Provenance"]
    for name in figs:
        assert f"alt='{name}' src='data:image/png;base64," in text
    _, sections = report.lowrank_sections(result)
    assert {f for s in sections for f in s[3]} == set(figs)
    rows = result.table()
    counted = [r for r in rows if not r["exact"]]
    assert text.count("<span class='ok'>✓</span>") == sum(bool(r["agree"]) for r in counted)
    marked = text.count("<span class='bad'>✗</span>") + text.count(
        "title='fewer than two realizations"
    )
    assert marked == sum(not r["agree"] for r in counted)
    assert text.count("title='exact by symmetry") == len(rows) - len(counted)
    for r in rows:
        assert f"<td>{r['quantity']}</td>" in text
    assert "arXiv:2007.02062" in text
    assert "|z| &le; 3" in text


def test_sections_list_the_theory_points_cycle_and_ring(result):
    intro, sections = report.lowrank_sections(result)
    assert "S = 2 realizations of n = 200 units" in intro
    by_head = {s[0]: s for s in sections}
    for c in result.comparisons:
        _, _, rows, figs = by_head[f"{c.example.name} (tanh)"]
        points = [r for r in rows if r[0].startswith("point ")]
        assert [r[0] for r in points] == [
            f"point {k} ({s})" for k, s in enumerate(c.theory.stability)
        ]
        assert figs == [
            ("field_" if c.example.rank == 1 else "flow_") + f"{c.label}".replace("/", "_")
        ]
    cyc = _comparison(result, "rank2_cycle")
    rows = dict((r[0], r[1]) for r in by_head["rank2_cycle (tanh)"][2])
    assert rows["limit cycle: period"] == cyc.cycle.period
    assert rows["limit cycle: radius"] == cyc.cycle.radius
    ring = _comparison(result, "rank2_ring")
    rows = dict((r[0], r[1]) for r in by_head["rank2_ring (tanh)"][2])
    assert rows["ring of fixed points: radius"] == ring.ring_radius
    assert "limit cycle: period" not in rows


def test_headline_counts_match_the_experiments_summary(result):
    agreement = result.summary()["agreement"]
    line = report.lowrank_headline(result)
    m = re.match(r"(\d+)/(\d+) quantities agree \(\|z\| <= 3\) over (\d+) examples x tanh; ", line)
    assert m, line
    assert int(m[1]) == agreement["agree"]
    assert int(m[2]) == agreement["quantities"]
    assert int(m[3]) == len(EXAMPLES)
    assert f"max |z| = {agreement['max_abs_z']:.3g}" in line
    exact = agreement["exact_by_symmetry"]
    assert exact > 0  # the origin of tanh with zero-mean loadings
    assert f"; {exact} exact by symmetry, not counted" in line
    assert line.endswith(f"({result.seconds['total']:.1f} s)")


def test_headline_counts_of_a_written_table():
    rows = [
        {"z": 1.0, "agree": True, "exact": False},
        {"z": -5.0, "agree": False, "exact": False},
        {"z": float("nan"), "agree": False, "exact": False},
        {"z": 2.5, "agree": True, "exact": False},
        {"z": 0.0, "agree": True, "exact": True},
    ]
    comps = [
        SimpleNamespace(example=SimpleNamespace(name=name), phi=phi, table=[])
        for name in ("a", "b")
        for phi in ("tanh", "erf")
    ]
    fake = SimpleNamespace(comparisons=comps, table=lambda: rows, seconds={"total": 3.25})
    assert report.lowrank_headline(fake) == (
        "2/4 quantities agree (|z| <= 3) over 2 examples x tanh/erf; max |z| = 5; "
        "1 without a z (< 2 realizations); 1 exact by symmetry, not counted (3.2 s)"
    )
    rows.append({"z": float("inf"), "agree": False, "exact": False})
    assert "2/5 quantities agree" in report.lowrank_headline(fake)
    assert "max |z| = inf;" in report.lowrank_headline(fake)


def test_rank_one_field_vanishes_at_the_theory_fixed_points(result, plt):
    from randrnn.plots.lowrank import field_figure

    c = _comparison(result, "rank1_bistable")
    fig = field_figure(c)
    line = fig.axes[0].get_lines()[0]
    k, F = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    i = np.flatnonzero(np.sign(F[:-1]) != np.sign(F[1:]))
    zeros = k[i] - F[i] * (k[i + 1] - k[i]) / (F[i + 1] - F[i])
    step = k[1] - k[0]
    theory = np.sort(c.theory.points[:, 0])
    assert zeros.size == theory.size
    np.testing.assert_allclose(np.sort(zeros), theory, atol=step)
    plt.close(fig)


def test_flow_figure_draws_nullclines_cycle_points_and_trajectories(result, plt):
    from matplotlib.collections import PathCollection
    from matplotlib.contour import ContourSet

    from randrnn.plots.lowrank import flow_figure, latent_dynamics

    c = _comparison(result, "rank2_cycle")
    fig = flow_figure(c, grid=25, density=0.3)
    ax = fig.axes[0]
    dyn = latent_dynamics(c)
    contours = [a for a in ax.collections if isinstance(a, ContourSet)]
    assert len(contours) == 2
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    h = max(x1 - x0, y1 - y0) / (25 - 1)
    X, Y = np.meshgrid(np.linspace(x0, x1, 4 * 25), np.linspace(y0, y1, 4 * 25))
    jac = dyn.jacobian(np.stack([X, Y], axis=-1))
    for r, cs in enumerate(contours):
        verts = np.concatenate([p.vertices for p in cs.get_paths()])
        assert verts.shape[0] > 10
        # each vertex lies on a grid edge (length <= h) where F_r changes sign: the true zero
        # is on that edge, so |F_r(vertex)| <= h * max |grad F_r|
        lipschitz = np.linalg.norm(jac[..., r, :], axis=-1).max()
        assert np.all(np.abs(dyn.field(verts)[:, r]) <= h * lipschitz)
        assert np.abs(dyn.field(verts)[:, 1 - r]).max() > h * lipschitz
    orbit = np.vstack([c.cycle.orbit, c.cycle.orbit[:1]])
    assert any(np.array_equal(line.get_xydata(), orbit) for line in ax.get_lines()), (
        "theory cycle missing"
    )
    net = c.trajectories["network"]
    drawn = [line.get_xydata() for line in ax.get_lines()]
    for b in range(net.shape[1]):
        assert any(np.array_equal(d, net[:, b, :]) for d in drawn)
        assert any(np.array_equal(d, c.trajectories["theory"][:, b, :]) for d in drawn)
    offsets = [np.asarray(p.get_offsets()) for p in ax.collections if isinstance(p, PathCollection)]
    allpts = np.concatenate(offsets)
    for p in c.theory.points:
        assert np.any(np.all(np.isclose(allpts, p), axis=1))
    net_pts = c.network_points.reshape(-1, 2)
    for p in net_pts[np.all(np.isfinite(net_pts), axis=1)]:
        assert np.any(np.all(np.isclose(allpts, p), axis=1))
    plt.close(fig)


def test_flow_figure_draws_the_ring(result, plt):
    from matplotlib.patches import Circle

    from randrnn.plots.lowrank import flow_figure

    c = _comparison(result, "rank2_ring")
    fig = flow_figure(c, grid=15, density=0.3)
    circles = [p for p in fig.axes[0].patches if isinstance(p, Circle)]
    assert [p.get_radius() for p in circles] == [c.ring_radius]
    plt.close(fig)


def test_agreement_figure_plots_every_quantity_once(result, plt):
    from randrnn.plots.lowrank import agreement_figure

    fig = agreement_figure(result)
    ax = fig.axes[0]
    sizes = [len(p.get_offsets()) for p in ax.collections]
    rows = result.table()
    assert sum(sizes) == len(rows)
    green = sum(
        len(p.get_offsets())
        for p in ax.collections
        if np.allclose(p.get_facecolor()[0][:3], plt.matplotlib.colors.to_rgb("C2"))
    )
    assert green == sum(bool(r["agree"]) and not r["exact"] for r in rows)
    plt.close(fig)


def test_figures_name_the_rank_they_need(result):
    from randrnn.plots.lowrank import field_figure, flow_figure

    with pytest.raises(ValueError, match=r"rank-two example.*rank1_bistable/tanh has rank 1"):
        flow_figure(_comparison(result, "rank1_bistable"))
    with pytest.raises(ValueError, match=r"rank-one example.*rank2_ring/tanh has rank 2"):
        field_figure(_comparison(result, "rank2_ring"))
