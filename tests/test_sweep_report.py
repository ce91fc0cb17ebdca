"""Sweep figures, the stage-scaling analysis and the sweep report."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import xarray as xr

from randrnn import report
from randrnn.plots import sweep as sweep_plots
from randrnn.sweeps import StageScaling, run_sweep, stage_scaling

STAGES = ("dmft", "prediction", "simulation", "comparison")


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """A 1 x 2 x 2 inline sweep of the run experiment; realization 1 at n = 24 is unstable."""
    config = {
        "sweep": {"experiment": "run", "realizations": 2, "ensemble": {"g": [3.0], "n": [24, 32]}},
        "simulation": {
            "t_max": 60.0,
            "n_trials": 4,
            "max_lag": 2.0,
            "n_quadruples": 50,
            "n_blocks": 8,
        },
    }
    store = tmp_path_factory.mktemp("sweep") / "s.zarr"
    return run_sweep(config, store, scheduler="inline", progress=False)


def _synthetic(rng, *, exponent=2.0, noise=0.05, realizations=8):
    """A hand-built view: stage times ~ a N^b (b per stage), memory ~ N^2, lognormal noise."""
    n = np.array([100, 200, 400, 800, 1600])
    g = np.array([1.5, 3.0])
    shape = (len(g), len(n), realizations)
    big_n = n[None, :, None]
    exps = {"dmft": 0.0, "prediction": 3.0, "simulation": exponent, "comparison": 1.0}
    data = {}
    for s, b in exps.items():
        data[f"seconds_{s}"] = 1e-6 * big_n**b * np.exp(noise * rng.standard_normal(shape))
        data[f"memory_{s}"] = 8.0 * big_n**2 * np.exp(noise * rng.standard_normal(shape))
    data["seconds_total"] = sum(data[f"seconds_{s}"] for s in exps)
    dims = ("g", "n", "realization")
    ds = xr.Dataset(
        {k: (dims, v, {"kind": "resource"}) for k, v in data.items()},
        coords={"g": g, "n": n, "realization": np.arange(realizations)},
    )
    ds["status"] = (dims, np.ones(shape, dtype=np.int8))
    ds.attrs["experiment"] = "run"
    return ds


def test_stage_fits_recover_a_known_exponent():
    rng = np.random.default_rng(1)
    noise = 0.05
    view = _synthetic(rng, noise=noise)
    prof = stage_scaling(view)
    assert isinstance(prof, StageScaling)
    assert prof.stages == (*STAGES, "total")
    # least squares in log N: each point's log-mean has SE noise / sqrt(cells)
    log_n = np.log(view["n"].values)
    expected_se = noise / np.sqrt(16) / np.sqrt(((log_n - log_n.mean()) ** 2).sum())
    for stage, b in (("simulation", 2.0), ("prediction", 3.0), ("dmft", 0.0), ("comparison", 1.0)):
        fit = prof.seconds_fit[stage]
        assert 0.5 < fit.exponent_se / expected_se < 2, (stage, fit, expected_se)
        assert abs(fit.exponent - b) < 3 * fit.exponent_se, (stage, fit)
        mfit = prof.memory_fit[stage]
        assert abs(mfit.exponent - 2.0) < 3 * mfit.exponent_se
    # a wrong exponent is excluded by the same bound
    sim = prof.seconds_fit["simulation"]
    assert abs(sim.exponent - 2.2) > 3 * sim.exponent_se
    ds = prof.to_xarray()
    assert ds["seconds"].dims == ("stage", "n")
    assert ds["seconds_exponent_theory"].sel(stage="simulation") == 2.0
    s = prof.summary()
    assert s["exponents"]["total"]["memory"] is None
    assert s["cells"] == [16] * 5


def test_stage_means_pool_done_cells_over_the_other_axes():
    rng = np.random.default_rng(2)
    view = _synthetic(rng, realizations=3)
    # a cell that is not done carries no weight, whatever its numbers
    view["status"][0, 1, 2] = 2
    view["seconds_simulation"][0, 1, 2] = 1e6
    prof = stage_scaling(view, stages=("simulation",))
    pooled = np.concatenate(
        [view["seconds_simulation"].values[0, 1, :2], view["seconds_simulation"].values[1, 1, :]]
    )
    assert prof.cells.tolist() == [6, 5, 6, 6, 6]
    assert prof.seconds[0, 1] == pytest.approx(pooled.mean())
    assert prof.seconds_se[0, 1] == pytest.approx(pooled.std(ddof=1) / np.sqrt(5))
    assert prof.stages == ("simulation", "total")
    # a stage that needed no memory beyond the process's at the smallest N: that point is
    # left out of the fit, which still recovers the exponent from the others
    view["memory_simulation"][:, 0, :] = 0.0
    fit = stage_scaling(view, stages=("simulation",)).memory_fit["simulation"]
    assert prof.memory[0, 0] > 0
    assert abs(fit.exponent - 2.0) < 3 * fit.exponent_se


def test_stage_scaling_errors_are_clear():
    view = _synthetic(np.random.default_rng(3), realizations=2)
    with pytest.raises(ValueError, match=r"'size'.*axes are \['g', 'n'\]"):
        stage_scaling(view, dim="size")
    with pytest.raises(ValueError, match=">= 2 values along 'n'"):
        stage_scaling(view.isel(n=[0]))
    other = view.drop_vars([v for v in view.data_vars if v.startswith("memory")])
    other.attrs["experiment"] = "spectrum"
    with pytest.raises(ValueError, match=r"experiment 'spectrum'.*run experiment"):
        stage_scaling(other)


def test_metric_lines_default_axis_legend_and_scale():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(4)
    dims = ("g", "phi", "n", "realization")
    shape = (1, 2, 3, 2)
    view = xr.Dataset(
        {"metric": (dims, rng.standard_normal(shape)), "status": (dims, np.ones(shape, np.int8))},
        coords={"g": [2.0], "phi": ["tanh", "erf"], "n": [10, 20, 40], "realization": [0, 1]},
    )
    fig = sweep_plots.metric_lines(view, "metric")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "n"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["g=2.0, phi=tanh", "g=2.0, phi=erf"]
    plt.close(fig)
    fig = sweep_plots.metric_lines(view, "metric", x="phi")
    assert fig.axes[0].get_xscale() == "linear"
    plt.close(fig)
    with pytest.raises(ValueError, match=r"`metric` must be a variable.*'nope'"):
        sweep_plots.metric_lines(view, "nope")
    with pytest.raises(ValueError, match=r"`x` must be an axis.*\['g', 'phi', 'n'\]"):
        sweep_plots.metric_lines(view, "metric", x="realization")


def test_figures_of_a_sweep_render(swept, tmp_path):
    figs = sweep_plots.figures(swept.view)
    assert list(figs) == [f"metric_{m}" for m in sweep_plots.RUN_METRICS] + ["stage_scaling"]
    pngs = report.write_figures(swept.view, tmp_path, figs)
    assert all(png.startswith(b"\x89PNG") for png in pngs.values())
    # another experiment's view: the first metrics with values, no stage figure
    other = swept.view.drop_vars([v for v in swept.view.data_vars if v.startswith("memory")])
    other.attrs["experiment"] = "simulate"
    names = list(sweep_plots.figures(other))
    assert len(names) == 4
    assert "stage_scaling" not in names
    with pytest.raises(ValueError, match="`metrics` must be variables"):
        sweep_plots.figures(swept.view, metrics=["nope"])
    # no stage needed memory beyond the process's (small N, warm process): the memory panel
    # says so instead of drawing an empty legend
    flat = swept.view.copy()
    for v in [v for v in flat.data_vars if v.startswith("memory")]:
        flat[v] = flat[v] * 0.0
    report.write_figures(flat, tmp_path / "flat", {"s": sweep_plots.figures(flat)["stage_scaling"]})


def test_report_has_the_grid_failures_and_store(swept, tmp_path):
    key = "g=3.0,n=24,realization=1"
    assert swept.view["status"].sel(g=3.0, n=24, realization=1) == 2
    failed = replace(swept, failed={"g=3.0,n=32,realization=0": "RuntimeError: worker died"})
    figs = {"stage_scaling": sweep_plots.figures(swept.view)["stage_scaling"]}
    path = report.write_sweep_report(failed, tmp_path / "rep", figs)
    text = path.read_text()
    assert path == tmp_path / "rep" / "report.html"
    assert (tmp_path / "rep" / "figures" / "stage_scaling.png").exists()
    assert "<h2>The grid</h2>" in text
    assert "<td>n</td><td class='num'>ensemble.n</td><td class='num'>24</td>" in text
    assert key in text
    assert "theory failure" in text
    assert "UnstableNetworkError" in text
    assert "RuntimeError: worker died" in text
    assert "Time and memory of each stage vs N" in text
    assert f"xarray.open_zarr({str(swept.store)!r})" in text
    assert "open_cell(" in text
    assert "overhead fraction" in text
    line = report.sweep_headline(swept)
    assert line.startswith("sweep run: 3/4 cells done (4 computed, 0 reused); 1 theory failure")
    assert line.endswith(str(swept.store))
