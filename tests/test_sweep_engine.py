"""randrnn.sweeps: planning a grid, the store's cells and view, resuming (in this process)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from randrnn.sweeps import (
    SweepStoreError,
    open_cell,
    open_sweep,
    plan_sweep,
    read_ledger,
    realization_seeds,
    run_sweep,
)
from randrnn.sweeps.cells import completed_keys

DMFT = {"sweep": {"experiment": "dmft", "ensemble": {"g": [0.5, 1.5, 2.5]}}}
SIM = {
    "sweep": {
        "experiment": "simulate",
        "realizations": 2,
        "ensemble": {"n": [20, 30]},
        "network": {"sigma": [0.5, 1.0]},
    },
    "simulation": {"t_max": 20.0, "n_trials": 2, "max_lag": 1.0, "n_blocks": 4},
}


def test_plan_lists_cells_in_c_order_with_spawned_seeds():
    plan = plan_sweep(SIM)
    assert plan.dims == ("n", "sigma", "realization")
    assert plan.shape == (2, 2, 2)
    assert [c.key for c in plan.cells[:3]] == [
        "n=20,sigma=0.5,realization=0",
        "n=20,sigma=0.5,realization=1",
        "n=20,sigma=1.0,realization=0",
    ]
    # seeds: spawned per realization from the config's seeds, shared across the other axes
    coupling = realization_seeds(0, 2)
    noise = realization_seeds(3, 2)
    for c in plan.cells:
        r = c.coords["realization"]
        assert c.tables["seeds"]["coupling"] == coupling[r]
        assert c.tables["seeds"]["noise"] == noise[r]
        assert c.tables["ensemble"]["n"] == c.coords["n"]
        assert c.tables["network"]["sigma"] == c.coords["sigma"]
    assert plan.seeds["seeds.coupling"] == list(coupling)


@pytest.mark.parametrize(
    ("sweep", "error", "match"),
    [
        ({"experiment": "nope"}, ValueError, r"`sweep.experiment` must be one of"),
        ({"ensemble": {"g": []}}, ValueError, r"`sweep.ensemble.g` is empty"),
        ({"ensemble": {"g": 2.0}}, TypeError, r"`sweep.ensemble.g` must be a list"),
        ({"ensemble": {"g": [1.0, "a"]}}, TypeError, r"mixes"),
        ({"ensemble": {"g": [1.0, 1.0]}}, ValueError, r"repeats a value"),
        ({"cavity": {"pool": [1]}}, ValueError, r"`sweep.cavity` names no table"),
        ({"seeds": {"coupling": [1, 2]}}, ValueError, r"is a seed; use `sweep.realizations`"),
        ({"realizations": 0}, ValueError, r"`sweep.realizations`"),
        ({"retries": -1}, ValueError, r"`sweep.retries`"),
        ({"arrays": "some"}, ValueError, r"`sweep.arrays` must be one of"),
        ({"colour": 1}, ValueError, r"unknown key `sweep.colour`"),
        ({"network": {"phi": ["tanh", "a b"]}}, ValueError, r"letters, digits"),
    ],
)
def test_bad_sweep_tables_are_named(sweep, error, match):
    with pytest.raises(error, match=match):
        plan_sweep({"sweep": {"experiment": "run", **sweep}})


def test_a_bad_cell_fails_before_any_work_and_is_named():
    with pytest.raises(ValueError, match=r"sweep cell g=-1.0,realization=0: .*ensemble.g"):
        plan_sweep({"sweep": {"experiment": "dmft", "ensemble": {"g": [1.0, -1.0]}}})
    with pytest.raises(ValueError, match=r"no \[sweep\] table"):
        plan_sweep({"ensemble": {"g": 1.0}})
    with pytest.raises(ValueError, match=r"`sweep.realizations` must be 1 for the dmft"):
        plan_sweep({"sweep": {"experiment": "dmft", "realizations": 2}})


def test_inline_sweep_writes_cells_view_and_resumes(tmp_path):
    store = tmp_path / "s.zarr"
    first = run_sweep(SIM, store, scheduler="inline", progress=False)
    assert len(first.computed) == 8
    assert not first.reused
    assert not first.failed
    view = open_sweep(store)
    assert view["status"].dims == ("n", "sigma", "realization")
    assert (view["status"].values == 1).all()
    # the view holds the experiment's scalar metrics; the simulated variance grows with sigma
    var = view["var_x"] if "var_x" in view else None
    assert var is not None, sorted(view.data_vars)
    assert (var.sel(sigma=1.0) > var.sel(sigma=0.5)).all()
    assert view["seconds"].attrs["kind"] == "resource"
    assert view["seed_seeds_coupling"].values.tolist() == list(realization_seeds(0, 2))
    # a cell's group: its arrays, config and seeds, readable on its own
    cell = open_cell(store, n=30, sigma=1.0, realization=1)
    assert cell.attrs["config"]["seeds"]["coupling"] == realization_seeds(0, 2)[1]
    assert cell.attrs["metrics"]["var_x"] == pytest.approx(float(var.sel(n=30, sigma=1.0)[1]))
    assert any(v.ndim > 0 for v in cell.data_vars.values())
    with pytest.raises(KeyError, match="give one value for each of"):
        open_cell(store, n=30)
    # rerun: nothing computed again, the same view
    again = run_sweep(SIM, store, scheduler="inline", progress=False)
    assert not again.computed
    assert len(again.reused) == 8
    np.testing.assert_array_equal(open_sweep(store)["var_x"].values, var.values)
    starts = [e for e in read_ledger(store) if e["event"] == "start"]
    assert len(starts) == 8
    # a grid that grows reuses the cells it shares
    grown = json.loads(json.dumps(SIM))
    grown["sweep"]["ensemble"]["n"] = [20, 30, 40]
    third = run_sweep(grown, store, scheduler="inline", progress=False)
    assert len(third.reused) == 8
    assert len(third.computed) == 4
    assert open_sweep(store)["status"].shape == (3, 2, 2)


def test_a_store_of_another_sweep_is_refused(tmp_path):
    store = tmp_path / "d.zarr"
    run_sweep(DMFT, store, scheduler="inline", progress=False)
    other = {**DMFT, "network": {"phi": "erf"}}
    with pytest.raises(SweepStoreError, match="holds another sweep"):
        run_sweep(other, store, scheduler="inline", progress=False)
    res = run_sweep(other, store, scheduler="inline", progress=False, force=True)
    assert len(res.computed) == 3
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "f").write_text("mine")
    with pytest.raises(SweepStoreError, match="is not a sweep store"):
        run_sweep(DMFT, tmp_path / "x", scheduler="inline", progress=False)
    assert (tmp_path / "x" / "f").read_text() == "mine"


def test_dmft_sweep_matches_direct_solutions_and_records_the_transition(tmp_path):
    from randrnn import GaussianEnsemble, RateNetwork, solve_stationary

    res = run_sweep(DMFT, tmp_path / "d.zarr", scheduler="inline", progress=False)
    view = res.view
    for g in (0.5, 1.5, 2.5):
        sol = solve_stationary(RateNetwork(ensemble=GaussianEnsemble(n=1000, g=g), phi="tanh"))
        assert float(view["delta0"].sel(g=g, realization=0)) == sol.delta0
    # below g = 1 the noiseless tanh network is quiescent, above it chaotic
    assert float(view["delta0"].sel(g=0.5)[0]) == 0.0
    assert float(view["delta0"].sel(g=2.5)[0]) > 0.1


def test_an_interrupted_cell_write_leaves_no_cell_and_is_redone(tmp_path, monkeypatch):
    """A cell killed while its group is written is not in the store; the rerun computes it."""
    from randrnn import io
    from randrnn.sweeps import cells

    store = tmp_path / "d.zarr"
    calls = {"n": 0}
    real = io.save_dataset

    def dying(ds, path, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            with io.AtomicDirectory(path) as tmp:
                ds.to_zarr(tmp / "partial", mode="w", consolidated=False)
                raise KeyboardInterrupt  # the process is stopped half-way through the write
        return real(ds, path, **kw)

    monkeypatch.setattr(cells.io, "save_dataset", dying)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(DMFT, store, scheduler="inline", progress=False)
    assert completed_keys(store) == {"g=0.5,realization=0"}
    assert not [p for p in os.listdir(store / "cells") if p.startswith(".")]
    res = run_sweep(DMFT, store, scheduler="inline", progress=False)
    assert res.reused == ("g=0.5,realization=0",)
    assert set(res.computed) == {"g=1.5,realization=0", "g=2.5,realization=0"}


def test_the_readme_sweep_config_plans():
    """The README's sweep example is a valid config: 3 x 3 x 2 cells of the run experiment."""
    import tomllib
    from pathlib import Path

    text = (Path(__file__).parents[1] / "README.md").read_text()
    section = text.split("## Sweeps", 1)[1]
    block = section.split("```toml\n", 1)[1].split("```", 1)[0]
    plan = plan_sweep(tomllib.loads(block))
    assert plan.settings.experiment == "run"
    assert plan.dims == ("g", "n", "realization")
    assert plan.shape == (3, 3, 2)
    assert {c.tables["simulation"]["t_max"] for c in plan.cells} == {500.0}


@pytest.mark.parametrize(
    ("config", "metric"),
    [
        (
            {
                "sweep": {"experiment": "spectrum", "ensemble": {"n": [150]}},
                "spectrum": {"n_realizations": 2},
                "sensitivity": {"enabled": False},
            },
            "edge_pred",
        ),
        (
            {
                "sweep": {"experiment": "fixedpoints", "ensemble": {"g": [1.5]}},
                "ensemble": {"n": 40},
                "fixedpoints": {
                    "n_random": 6,
                    "n_simulation_starts": 3,
                    "context": False,
                    "operating_point": False,
                },
            },
            "starts_total",
        ),
        (
            {
                "sweep": {"experiment": "lowrank", "lowrank": {"n": [200]}},
                "lowrank": {"examples": ["rank1_bistable"], "phis": ["tanh"]},
                "approximation": {"enabled": False},
            },
            "agreement_max_abs_z",
        ),
    ],
    ids=["spectrum", "fixedpoints", "lowrank"],
)
def test_every_experiment_sweeps(tmp_path, config, metric):
    res = run_sweep(config, tmp_path / "s.zarr", scheduler="inline", progress=False)
    assert (res.view["status"].values == 1).all()
    assert np.isfinite(res.view[metric].values).all()


def test_a_failing_cell_is_retried_then_reported_and_the_rest_finishes(tmp_path, monkeypatch):
    """On a running scheduler (--scheduler ADDRESS; here an in-process cluster): a cell whose
    worker raises is retried ``retries`` times, reported, and retried again by a rerun."""
    from dask.distributed import LocalCluster

    from randrnn.sweeps import cells

    attempts: dict[float, int] = {}
    real = cells.RUNNERS["dmft"]

    def flaky(config):
        g = config.network.ensemble.g
        attempts[g] = attempts.get(g, 0) + 1
        if g == 1.5:
            raise RuntimeError("worker lost its disk")
        return real(config)

    monkeypatch.setitem(cells.RUNNERS, "dmft", flaky)
    config = {"sweep": {**DMFT["sweep"], "retries": 1}}
    store = tmp_path / "f.zarr"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False) as cluster:
        res = run_sweep(config, store, scheduler=cluster.scheduler_address, progress=False)
        assert res.workers == 1
        assert set(res.failed) == {"g=1.5,realization=0"}
        assert "RuntimeError: worker lost its disk" in res.failed["g=1.5,realization=0"]
        assert attempts == {0.5: 1, 1.5: 2, 2.5: 1}  # one retry, then reported
        status = res.view["status"].sel(realization=0)
        assert status.values.tolist() == [1, -1, 1]
        assert (store / "failures" / "g=1.5,realization=0.json").exists()
        assert "worker lost its disk" in res.view.attrs["failures"]["g=1.5,realization=0"]
        # the rerun computes only the failed cell
        monkeypatch.setitem(cells.RUNNERS, "dmft", real)
        again = run_sweep(config, store, scheduler=cluster.scheduler_address, progress=False)
    assert again.computed == ("g=1.5,realization=0",)
    assert not again.failed
    assert not (store / "failures" / "g=1.5,realization=0.json").exists()
    assert (again.view["status"].values == 1).all()


def test_stage_memory_reads_the_peak_of_a_known_allocation():
    """StageClock's memory is the stage's peak resident memory above its start (Linux)."""
    from randrnn.experiments._common import StageClock

    clock = StageClock()
    size = 80 * 2**20
    with clock("allocate"):
        block = np.ones(size // 8)  # touched: resident
        del block
    with clock("idle"):
        pass
    if np.isnan(clock.memory["allocate"]):
        pytest.skip("the kernel does not report peak resident memory here")
    # allowance: up to 1 MiB of the block may reuse pages already resident (the allocator's
    # free lists), and the interpreter may touch a few MiB more
    assert size - 2**20 <= clock.memory["allocate"] < size + 16 * 2**20
    assert clock.memory["idle"] < 4 * 2**20
    assert set(clock.seconds) == {"allocate", "idle"}
