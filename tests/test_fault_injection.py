"""Commands interrupted or failing while they write their output directory.

Each case runs a command as a subprocess that waits at a named stage of its output writing
(``RANDRNN_TEST_PAUSE_AT``, see :func:`randrnn.io.pause_point`), sends it a signal there, and
checks that ``--out`` holds the complete previous run or the complete new one (never a mix), that
the exit status is 130/143/-9, and that the next run leaves no leftovers. All cases start
together (seven small processes, about 25 s of CPU in all). To cover another command (``run``,
``spectrum``, ...) add a :class:`CommandSpec` to ``COMMANDS``; ``_markers`` reads the t_max that
each part of its run directory records.
"""

from __future__ import annotations

import errno
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from randrnn import io
from randrnn.cli import main
from randrnn.rundir import MANIFEST, OutputDirectory, OutputError, is_complete_run

#: t_max of the run already in --out, and of the interrupted one (tells them apart)
T_PREVIOUS, T_NEW = 20.0, 24.0
#: seconds a process may take to reach its pause point or to exit (generous: loaded machines)
WAIT_S = 240.0


@dataclass(frozen=True)
class CommandSpec:
    """A command under test: its arguments (``{t_max}`` is filled in) and its store."""

    name: str
    args: tuple[str, ...]
    store: str
    extra_files: tuple[str, ...] = ()  # written besides the store, summary.json and manifest

    def argv(self, t_max: float, out: Path) -> list[str]:
        return [a.format(t_max=t_max) for a in self.args] + ["--out", str(out)]


COMMANDS = {
    "simulate": CommandSpec(
        name="simulate",
        args=(
            "simulate",
            "--set",
            "ensemble.n=60",
            "--set",
            "simulation.t_max={t_max}",
            "--set",
            "simulation.n_trials=2",
            "--set",
            "simulation.max_lag=1",
        ),
        store="simulation.zarr",
    ),
    "run": CommandSpec(
        name="run",
        args=(
            "run",
            "--set",
            "ensemble.n=60",
            "--set",
            "simulation.t_max={t_max}",
            "--set",
            "simulation.n_trials=2",
            "--set",
            "simulation.max_lag=1",
            "--set",
            "simulation.n_quadruples=0",
        ),
        store="results.zarr",
        extra_files=("figures", "report.html"),
    ),
}


@dataclass(frozen=True)
class Case:
    command: str
    sig: signal.Signals
    stage: str  # "{store}" is filled in
    previous: bool  # --out already holds a complete run
    expect: str  # "previous" or "new": what --out holds afterwards
    pause_s: float = 120.0  # how long the process waits at the stage

    @property
    def id(self) -> str:
        stage = self.stage.replace("{store}", "store").replace(":", "-")
        return f"{self.command}-{self.sig.name}-{stage}-{'rerun' if self.previous else 'fresh'}"


CASES = [
    case
    for name in COMMANDS
    for case in (
        Case(name, signal.SIGINT, "checked", previous=False, expect="previous"),
        Case(name, signal.SIGINT, "saved:{store}", previous=True, expect="previous"),
        Case(name, signal.SIGTERM, "saved:{store}", previous=True, expect="previous"),
        Case(name, signal.SIGKILL, "saved:{store}", previous=True, expect="previous"),
        Case(name, signal.SIGKILL, "before-swap", previous=False, expect="previous"),
        # signals are held during the swap: the run completes, then the process exits 130
        Case(name, signal.SIGINT, "swapped", previous=True, expect="new", pause_s=2.0),
    )
]

EXIT_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGKILL: -signal.SIGKILL}


def _launch(argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "from randrnn.cli import main; main(prog_name='randrnn')", *argv],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # non-interactive shells start jobs with SIGINT ignored; Python then never raises
        # KeyboardInterrupt, so restore the default before the interpreter starts
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_for_pause(proc: subprocess.Popen, deadline: float) -> bytes:
    """Read stderr until the pause line; return what was read."""
    seen = b""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stderr, selectors.EVENT_READ)
        while b"randrnn: paused at" not in seen:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(timeout=left):
                raise AssertionError(f"no pause within {WAIT_S} s; stderr so far: {seen!r}")
            chunk = os.read(proc.stderr.fileno(), 65536)
            if not chunk:
                raise AssertionError(f"exited (rc {proc.wait()}) before pausing: {seen!r}")
            seen += chunk
    return seen


def _markers(out: Path, store: str) -> dict[str, Any]:
    """The t_max each part of a run directory records (all equal in a consistent run)."""
    summary = json.loads((out / "summary.json").read_text())
    ds = io.load_dataset(out / store)
    return {
        "summary.json": summary["config"]["simulation"]["t_max"],
        store: ds.attrs["config"]["simulation"]["t_max"],
    }


@pytest.fixture(scope="module")
def fault_runs(tmp_path_factory) -> Iterator[dict[str, dict[str, Any]]]:
    """Run every case at once; return per case the exit status, output and directory."""
    root = tmp_path_factory.mktemp("faults")
    previous = {}
    for name, spec in COMMANDS.items():
        proc = _launch(spec.argv(T_PREVIOUS, root / f"previous-{name}"))
        out, err = proc.communicate(timeout=WAIT_S)
        assert proc.returncode == 0, err.decode()
        previous[name] = root / f"previous-{name}"
    runs: dict[str, dict[str, Any]] = {}
    for case in CASES:
        spec = COMMANDS[case.command]
        parent = root / case.id
        parent.mkdir()
        out = parent / "run" if case.previous else parent / "fresh" / "run"
        if case.previous:
            shutil.copytree(previous[case.command], out)
        stage = case.stage.format(store=spec.store)
        env = {"RANDRNN_TEST_PAUSE_AT": stage, "RANDRNN_TEST_PAUSE_SECONDS": str(case.pause_s)}
        runs[case.id] = {"proc": _launch(spec.argv(T_NEW, out), env), "out": out}
    try:
        deadline = time.monotonic() + WAIT_S
        for case in CASES:
            run = runs[case.id]
            run["stderr"] = _wait_for_pause(run["proc"], deadline)
            run["proc"].send_signal(case.sig)
        for case in CASES:
            run = runs[case.id]
            _, err = run["proc"].communicate(timeout=WAIT_S)
            run["stderr"] = (run["stderr"] + err).decode(errors="replace")
            run["rc"] = run["proc"].returncode
            manifest = json.loads((previous[case.command] / MANIFEST).read_text())
            run["previous_id"] = manifest["run_id"]
        yield runs
    finally:
        for run in runs.values():
            if run["proc"].poll() is None:
                run["proc"].kill()
                run["proc"].wait()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_interrupted_run_leaves_the_old_or_the_new_run_never_a_mix(fault_runs, case):
    run = fault_runs[case.id]
    out: Path = run["out"]
    store = COMMANDS[case.command].store
    assert run["rc"] == EXIT_STATUS[case.sig], run["stderr"]
    assert "Traceback" not in run["stderr"]
    if case.sig != signal.SIGKILL:
        assert ("Interrupted." if case.sig == signal.SIGINT else "Terminated.") in run["stderr"]
    if case.expect == "previous" and not case.previous:
        assert not out.exists()
    else:
        assert is_complete_run(out)
        run_id = json.loads((out / MANIFEST).read_text())["run_id"]
        markers = _markers(out, store)
        expected_t = T_PREVIOUS if case.expect == "previous" else T_NEW
        assert set(markers.values()) == {expected_t}, markers
        assert (run_id == run["previous_id"]) == (case.expect == "previous")
        extra = COMMANDS[case.command].extra_files
        assert sorted(p.name for p in out.iterdir()) == sorted(
            [MANIFEST, store, "summary.json", *extra]
        )

    # the next run into the same directory removes every leftover of the interrupted one
    with OutputDirectory(out) as staging:
        (staging / "next.txt").write_text("next")
    assert is_complete_run(out)
    assert sorted(p.name for p in out.parent.iterdir()) == ["run"]
    if not case.previous:
        assert sorted(p.name for p in out.parent.parent.iterdir()) == ["fresh"]


# -- a full disk ----------------------------------------------------------------------------------


def test_disk_full_while_writing_keeps_the_previous_run(tmp_path, monkeypatch):
    """ENOSPC on the summary, after the store was written: exit 1 naming the path, no
    traceback, the previous run intact and nothing left beside it (no staging, no temp file)."""
    out = tmp_path / "run"
    spec = COMMANDS["simulate"]
    assert CliRunner().invoke(main, spec.argv(T_PREVIOUS, out)).exit_code == 0
    before = json.loads((out / MANIFEST).read_text())["run_id"]
    real_replace = os.replace

    def full_disk(src, dst):
        if Path(dst).name == "summary.json":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_replace(src, dst)

    monkeypatch.setattr(io.os, "replace", full_disk)
    r = CliRunner().invoke(main, spec.argv(T_NEW, out))
    assert r.exit_code == 1, r.output
    assert f"writing the run to {out} failed: No space left on device" in r.output
    assert f"{out} keeps its previous contents" in r.output
    assert not isinstance(r.exception, OSError)
    assert json.loads((out / MANIFEST).read_text())["run_id"] == before
    assert is_complete_run(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 2 MiB tmpfs (root only; skipped where mounting is not allowed)."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    cmd = ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)]
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    if subprocess.run(cmd, capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs is not allowed here")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_real_full_disk(small_tmpfs, monkeypatch):
    """On a real 2 MiB file system: the command refuses up front, a write that runs out of
    space removes its staging directory, and a failed JSON write leaves no temporary file."""
    monkeypatch.chdir(small_tmpfs)
    spec = COMMANDS["simulate"]
    r = CliRunner().invoke(main, [*spec.argv(T_NEW, small_tmpfs / "run")])
    assert r.exit_code == 2, r.output
    assert "not enough free space" in r.output

    def write_too_much() -> None:
        with OutputDirectory(small_tmpfs / "run") as staging:
            (staging / "big.bin").write_bytes(b"\0" * 3 * 2**20)

    with pytest.raises(OutputError, match=r"No space left on device\. Nothing was written"):
        write_too_much()
    assert list(small_tmpfs.iterdir()) == []
    filler = small_tmpfs / "filler"
    with pytest.raises(OSError, match="No space left"):
        filler.write_bytes(b"\0" * 3 * 2**20)  # fills the file system
    with pytest.raises(OSError, match="No space left"):
        io.write_json({"values": list(range(10_000))}, small_tmpfs / "summary.json")
    assert sorted(p.name for p in small_tmpfs.iterdir()) == ["filler"]
