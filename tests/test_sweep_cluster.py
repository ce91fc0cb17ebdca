"""randrnn sweep on a real Dask LocalCluster: 2 workers, a kill mid-way, the resume.

The 3 x 3 x 2 grid (g x N x realizations) of the run experiment at small N is run once without
interruption (in this process), and once by ``randrnn sweep`` in a child process that is
interrupted: a worker process is killed while it computes a cell, then the whole command (client,
scheduler, nannies, workers) is killed. The same command then resumes. The resumed store must
equal the uninterrupted one cell by cell, and no cell complete at the kill may be computed again
(counted in the store's ledger).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from randrnn.errors import FiniteSizeWarning
from randrnn.sweeps import open_sweep, read_ledger, run_sweep
from randrnn.sweeps.cells import completed_keys

CONFIG = """
[sweep]
experiment = "run"
realizations = 2
workers = 2
ensemble.g = [2.0, 2.5, 3.0]
ensemble.n = [30, 40, 50]

[simulation]
t_max = 60.0
n_trials = 4
max_lag = 2.0
n_quadruples = 50
n_blocks = 8
"""

CLI = str(Path(sys.executable).with_name("randrnn"))


def _wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def _metrics(view):
    return {k: v for k, v in view.data_vars.items() if v.attrs.get("kind") != "resource"}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted sweep, on a LocalCluster with 2 workers."""
    from randrnn import io

    root = tmp_path_factory.mktemp("sweep")
    config = root / "sweep.toml"
    config.write_text(CONFIG)
    res = run_sweep(io.load_toml(config), root / "ref.zarr", progress=False)
    return config, res


def test_uninterrupted_sweep_on_a_local_cluster(reference):
    _, res = reference
    assert res.workers == 2
    assert len(res.computed) == 18
    assert not res.failed
    assert not res.reused
    view = open_sweep(res.store)
    assert view["status"].dims == ("g", "n", "realization")
    assert view["status"].shape == (3, 3, 2)
    assert int((view["status"] >= 1).sum()) == 18
    # a cell's metrics are those of the same experiment run here on the cell's config
    from randrnn.config import config_from_mapping
    from randrnn.experiments import run_experiment

    cell = res.plan.cells[7]
    with warnings.catch_warnings():  # near the edge at this N: recorded with the cell
        warnings.simplefilter("ignore", FiniteSizeWarning)
        direct = run_experiment(config_from_mapping("run", cell.tables), progress=False)
    got = view.isel(dict(zip(res.plan.dims, cell.index, strict=True)))
    assert float(got["comparison_offdiag_corr"]) == direct.covariance.phi.offdiag_corr
    assert float(got["dmft_delta0"]) == direct.dmft.delta0
    assert float(got["simulation_var_x"]) == direct.simulation.equal_time.var_x
    # both workers ran cells
    pids = {e["pid"] for e in read_ledger(res.store) if e["event"] == "done"}
    assert len(pids) == 2


def test_killed_sweep_resumes_to_the_same_store(reference, tmp_path):
    config, ref = reference
    store = tmp_path / "killed.zarr"
    cmd = [CLI, "sweep", str(config), "--out", str(store), "--report", str(tmp_path / "r")]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        cmd, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:

        def done_events():
            return [e for e in read_ledger(store) if e["event"] == "done"]

        _wait(lambda: len(done_events()) >= 2, 120, "two finished cells")
        # kill a worker process while it computes a cell (started, not finished)
        events = read_ledger(store)
        finished = {e["key"] for e in events if e["event"] == "done"}
        busy = [e for e in events if e["event"] == "start" and e["key"] not in finished]
        assert busy, events
        victim = busy[-1]["pid"]
        os.kill(victim, signal.SIGKILL)
        n_before = len(done_events())
        _wait(lambda: len(done_events()) > n_before, 120, "a cell after the worker was killed")
        # then kill the whole command: client, scheduler, nannies and workers
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    complete_at_kill = completed_keys(store)
    assert 2 <= len(complete_at_kill) < 18
    first_run = {e["run"] for e in read_ledger(store)}
    assert len(first_run) == 1

    resumed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    ledger = read_ledger(store)
    second = [e for e in ledger if e["run"] not in first_run]
    # no cell complete at the kill was computed again, every other one was computed once more
    recomputed = {e["key"] for e in second if e["event"] == "start"}
    assert not recomputed & complete_at_kill
    assert recomputed == completed_keys(store) - complete_at_kill
    done_counts: dict[str, int] = {}
    for e in ledger:
        if e["event"] == "done":
            done_counts[e["key"]] = done_counts.get(e["key"], 0) + 1
    assert max(done_counts.values()) == 1, done_counts
    assert len(completed_keys(store)) == 18

    # the resumed store equals the uninterrupted one, cell by cell
    a, b = open_sweep(ref.store), open_sweep(store)
    assert set(_metrics(a)) == set(_metrics(b))
    for name, var in _metrics(a).items():
        np.testing.assert_array_equal(var.values, b[name].values, err_msg=name)
    for dim in a.dims:
        np.testing.assert_array_equal(a[dim].values, b[dim].values)
    assert (tmp_path / "r" / "report.html").exists()
