"""Run directories and atomic writers: checks before the work, all-or-nothing replacement,
stale leftovers, the lock, strict JSON, and no temporary file left when a write fails."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from randrnn import io, report, rundir
from randrnn.cli import main
from randrnn.rundir import OutputDirectory, OutputError, is_complete_run


def _write_run(path: Path, marker: str) -> str:
    """A complete run directory holding ``data.txt`` = ``marker``; returns its run id."""
    outdir = OutputDirectory(path)
    with outdir as staging:
        (staging / "data.txt").write_text(marker)
        (staging / "sub").mkdir()
        (staging / "sub" / "more.txt").write_text(marker * 2)
    assert outdir.committed
    return outdir.run_id


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name)


def _raise_enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


# -- check(): every refusal names the path, the problem and the fix ------------------------------


def test_check_refuses_empty_path():
    with pytest.raises(OutputError, match=r"non-empty path; got ''\. Give a directory name"):
        OutputDirectory("").check()


def test_check_refuses_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match=r"/f exists and is a file, not a directory\. Choose"):
        OutputDirectory(tmp_path / "f").check()
    with pytest.raises(OutputError, match=r"/f is a file, not a directory\. Choose a path whose"):
        OutputDirectory(tmp_path / "f" / "sub" / "run").check()
    assert _siblings(tmp_path / "f") == []


def test_check_refuses_an_unwritable_parent(tmp_path, monkeypatch):
    parent = tmp_path / "ro"
    parent.mkdir()
    if os.geteuid() == 0:  # root ignores mode bits: fail the probe file as the kernel would
        real_open = os.open

        def deny(path, *args, **kwargs):
            if ".randrnn-probe-" in os.fspath(path):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(rundir.os, "open", deny)
    else:
        parent.chmod(0o555)
    try:
        with pytest.raises(OutputError, match=r"/ro/run is not writable: cannot create files in"):
            OutputDirectory(parent / "run").check()
    finally:
        parent.chmod(0o755)
    assert list(parent.iterdir()) == []


def test_check_refuses_too_little_space_and_removes_the_parents_it_created(tmp_path):
    out = tmp_path / "new" / "deeper" / "run"
    with pytest.raises(OutputError, match=r"not enough free space .* the run needs about .* free"):
        OutputDirectory(out, expected_bytes=2**62).check()
    assert list(tmp_path.iterdir()) == []


def test_check_refuses_a_foreign_non_empty_directory_unless_forced(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("user data")
    with pytest.raises(
        OutputError,
        match=r"not empty and holds no previous randrnn run: 1 entry "
        r"\(keep\.txt\)\. .* --force",
    ):
        OutputDirectory(out).check()
    assert (out / "keep.txt").exists()
    with OutputDirectory(out, force=True) as staging:
        (staging / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "new.txt"]


def test_check_replaces_a_previous_run_and_an_empty_directory(tmp_path):
    _write_run(tmp_path / "run", "one")
    _write_run(tmp_path / "run", "two")
    assert (tmp_path / "run" / "data.txt").read_text() == "two"
    (tmp_path / "empty").mkdir()
    _write_run(tmp_path / "empty", "three")
    assert is_complete_run(tmp_path / "empty")


def test_check_refuses_an_incomplete_previous_run(tmp_path):
    out = tmp_path / "run"
    _write_run(out, "one")
    (out / "sub" / "more.txt").unlink()
    assert not is_complete_run(out)
    with pytest.raises(OutputError, match=r"holds an incomplete randrnn run"):
        OutputDirectory(out).check()


def test_check_refuses_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for given in (".", str(tmp_path.parent)):
        with pytest.raises(OutputError, match=r"is the current directory or one of its parents"):
            OutputDirectory(given, force=True).check()


def test_is_complete_run_detects_a_changed_file(tmp_path):
    _write_run(tmp_path / "run", "one")
    assert is_complete_run(tmp_path / "run")
    (tmp_path / "run" / "data.txt").write_text("truncated to something longer")
    assert not is_complete_run(tmp_path / "run")
    assert not is_complete_run(tmp_path / "missing")


# -- the lock ----------------------------------------------------------------------------------


def test_a_second_writer_in_this_process_is_refused(tmp_path):
    first = OutputDirectory(tmp_path / "run")
    first.check()
    try:
        with pytest.raises(OutputError, match=rf"another randrnn process \(pid {os.getpid()}"):
            OutputDirectory(tmp_path / "run").check()
    finally:
        first.release()
    OutputDirectory(tmp_path / "run").check()  # free again (released by garbage collection too)


_HOLD_LOCK = """
import sys, time
from randrnn.rundir import OutputDirectory
held = OutputDirectory(sys.argv[1])
held.check()
print("locked", flush=True)
time.sleep(60)
"""


def test_lock_held_by_a_live_process_refuses_and_is_taken_over_after_it_dies(tmp_path):
    out = tmp_path / "run"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _HOLD_LOCK,
            str(out),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(
            OutputError,
            match=rf"being written by another randrnn process \(pid "
            rf"{holder.pid}, started .*\)\. Wait for it to finish",
        ):
            OutputDirectory(out).check()
    finally:
        holder.kill()
        holder.wait()
    lock = tmp_path / ".run.lock"
    assert json.loads(lock.read_text())["pid"] == holder.pid  # a killed holder leaves its file
    outdir = OutputDirectory(out)
    outdir.check()
    assert json.loads(lock.read_text())["pid"] == os.getpid()
    outdir.release()
    assert not lock.exists()


def test_lock_file_of_a_dead_pid_is_taken_over(tmp_path):
    (tmp_path / ".run.lock").write_text(json.dumps({"pid": _dead_pid()}))
    _write_run(tmp_path / "run", "one")
    assert _siblings(tmp_path / "run") == []


# -- atomic replacement and cleanup -------------------------------------------------------------


def test_previous_run_is_untouched_until_the_swap_and_after_a_failure(tmp_path):
    out = tmp_path / "run"
    old_id = _write_run(out, "old")

    def fail_halfway() -> None:
        with OutputDirectory(out) as staging:
            (staging / "data.txt").write_text("half")
            assert (out / "data.txt").read_text() == "old"
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_halfway()
    assert json.loads((out / "manifest.json").read_text())["run_id"] == old_id
    assert is_complete_run(out)
    assert _siblings(out) == []
    with OutputDirectory(out) as staging:
        (staging / "other.txt").write_text("new")
        assert (out / "data.txt").read_text() == "old"
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "other.txt"]  # no mix
    assert _siblings(out) == []


def test_failure_on_a_new_directory_leaves_nothing(tmp_path):
    out = tmp_path / "a" / "b" / "run"

    def interrupted() -> None:
        with OutputDirectory(out) as staging:
            (staging / "data.txt").write_text("half")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert list(tmp_path.iterdir()) == []


def test_stale_leftovers_of_dead_writers_are_removed(tmp_path):
    out = tmp_path / "run"
    _write_run(out, "old")
    dead, alive = _dead_pid(), os.getpid()
    for name in (f".run.tmp-{dead}-0123abcd", f".run.old-{dead}-89abcdef"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "chunk").write_bytes(b"x" * 10)
    (tmp_path / f".run.tmp-{alive}-00000000").mkdir()  # a live writer's: kept
    (tmp_path / ".run.tmp-2968a932").mkdir()  # no pid (older versions): kept
    outdir = OutputDirectory(out)
    outdir.check()
    outdir.release()
    assert _siblings(out) == sorted([".run.tmp-2968a932", f".run.tmp-{alive}-00000000"])


def test_a_previous_run_moved_aside_by_a_killed_swap_is_restored(tmp_path):
    out = tmp_path / "run"
    run_id = _write_run(out, "old")
    out.rename(tmp_path / f".run.old-{_dead_pid()}-0123abcd")
    outdir = OutputDirectory(out)
    outdir.check()
    outdir.release()
    assert json.loads((out / "manifest.json").read_text())["run_id"] == run_id
    assert _siblings(out) == []


def test_write_failure_in_the_body_is_an_output_error_naming_the_path(tmp_path):
    out = tmp_path / "run"
    _write_run(out, "old")
    with (
        pytest.raises(
            OutputError,
            match=r"writing the run to .*/run failed: No space left on "
            r"device\. .*/run keeps its previous contents",
        ),
        OutputDirectory(out),
    ):
        _raise_enospc()
    assert (out / "data.txt").read_text() == "old"
    assert _siblings(out) == []


def test_failed_swap_keeps_the_complete_results_and_says_where(tmp_path, monkeypatch):
    out = tmp_path / "run"
    _write_run(out, "old")

    def deny(src, dst):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dst))

    monkeypatch.setattr(io, "replace_directory", deny)
    with pytest.raises(OutputError, match=r"complete results are in (.*run\.unsaved-\w+)") as err:
        with OutputDirectory(out) as staging:
            (staging / "data.txt").write_text("new")
    kept = Path(str(err.value).split("results are in ")[1].split(":")[0])
    assert is_complete_run(kept)
    assert (kept / "data.txt").read_text() == "new"
    assert (out / "data.txt").read_text() == "old"


def test_concurrent_replacements_never_collide_nor_mix(tmp_path):
    """Two writers swap complete directories into one path while a reader lists it."""
    target = tmp_path / "store"
    sets = {"a": {"a1", "a2", "a3"}, "b": {"b1", "b2", "b3"}}
    errors: list[BaseException] = []
    seen: set[frozenset[str]] = set()
    stop = threading.Event()

    def writer(key: str) -> None:
        try:
            for _ in range(40):
                with io.AtomicDirectory(target) as tmp:
                    for name in sets[key]:
                        (tmp / name).write_text(key)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        while not stop.is_set():
            try:
                seen.add(frozenset(os.listdir(target)))
            except FileNotFoundError:  # only where no atomic exchange exists
                pass

    threads = [threading.Thread(target=writer, args=(k,)) for k in sets]
    watch = threading.Thread(target=reader)
    watch.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    watch.join()
    assert errors == []
    # never a mix of two writers' files. A listing may be a subset of one writer's set: a
    # reader that opened the directory just before it was exchanged lists the replaced
    # directory while it is being deleted (POSIX readdir is not a snapshot).
    assert all(s <= sets["a"] or s <= sets["b"] for s in seen)
    assert frozenset(sets["a"]) in seen or frozenset(sets["b"]) in seen
    assert _siblings(target) == []


# -- writers: strict JSON, consolidated Zarr, no temporary file left on failure -----------------


def test_write_json_is_strict(tmp_path):
    data = {
        "nan": float("nan"),
        "arr": np.array([np.inf, 1.5]),
        "f32": np.float32("-inf"),
        "ok": np.float64(2.0),
        "n": np.int64(3),
        "b": np.bool_(True),
    }
    path = io.write_json(data, tmp_path / "s.json")

    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")

    loaded = json.loads(path.read_text(), parse_constant=refuse)
    assert loaded == {"nan": None, "arr": [None, 1.5], "f32": None, "ok": 2.0, "n": 3, "b": True}


def test_writers_remove_their_temporary_file_on_failure(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(io.os, "replace", _raise_enospc)
    writes = {
        "write_json": lambda: io.write_json({"a": 1}, tmp_path / "s.json"),
        "write_report": lambda: report.write_report(
            tmp_path / "r.html", title="t", intro="i", sections=[], pngs={}, meta={}
        ),
        "write_figures": lambda: report.write_figures(
            None, tmp_path / "figs", {"f": lambda ds: plt.figure(figsize=(1, 1))}
        ),
    }
    for name, write in writes.items():
        with pytest.raises(OSError, match="No space left") as err:
            write()
        assert err.value.errno == errno.ENOSPC, name
    leftovers = [p.name for p in tmp_path.rglob("*") if p.is_file()]
    assert leftovers == []


def test_save_dataset_removes_its_temporary_store_on_failure(tmp_path, monkeypatch):
    import xarray as xr

    def half_write(ds, path, *, mode, group):
        (Path(path) / "zarr.json").write_text("{}")
        _raise_enospc()

    monkeypatch.setattr(io, "_to_zarr", half_write)
    with pytest.raises(OSError, match="No space left"):
        io.save_dataset(xr.Dataset({"a": ("x", np.arange(3.0))}), tmp_path / "s.zarr")
    assert list(tmp_path.iterdir()) == []


def test_saved_store_opens_with_plain_xarray_without_warnings(tmp_path):
    import xarray as xr

    ds = xr.Dataset({"a": ("x", np.arange(3.0))}, attrs={"cfg": {"g": float("nan")}, "v": 1.0})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        io.save_dataset(ds, tmp_path / "s.zarr")
        opened = xr.open_zarr(tmp_path / "s.zarr")
        assert opened["a"].values.tolist() == [0.0, 1.0, 2.0]
        assert io.load_dataset(tmp_path / "s.zarr").attrs["cfg"] == {"g": None}
        ds.to_zarr(tmp_path / "old.zarr", consolidated=False)  # as older versions wrote
        assert io.load_dataset(tmp_path / "old.zarr")["a"].shape == (3,)


# -- signals and the command line ---------------------------------------------------------------


def test_sigterm_becomes_a_terminated_exception():
    previous = signal.getsignal(signal.SIGTERM)
    try:
        rundir.install_signal_handlers()
        with pytest.raises(rundir.Terminated) as err:
            signal.raise_signal(signal.SIGTERM)
        assert err.value.exit_status == 143
        assert isinstance(err.value, KeyboardInterrupt)
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("", "non-empty path"),
        ("afile/sub", "is a file, not a directory"),
        ("full", "not enough free space"),
    ],
)
def test_simulate_refuses_a_bad_out_before_computing(tmp_path, monkeypatch, out, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")
    monkeypatch.setattr(rundir.shutil, "disk_usage", lambda p: _Usage(free=0))

    def no_work(*args, **kwargs):
        raise AssertionError("the network was realized before --out was checked")

    monkeypatch.setattr("randrnn.networks.realize", no_work)
    r = CliRunner().invoke(main, ["simulate", "--set", "ensemble.n=60", "--out", out])
    assert r.exit_code == 2, r.output
    assert "Invalid value for '--out'" in r.output
    assert message in r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


class _Usage:
    def __init__(self, free: int) -> None:
        self.free = free
