"""Run directories: check the output location first, then replace it all at once.

A run directory (``randrnn run/simulate/spectrum/scaling/dmft --out DIR``) holds files that
belong together: a store, ``summary.json``, a report, figures. :class:`OutputDirectory` makes
writing it all-or-nothing::

    outdir = OutputDirectory(out, force=force, expected_bytes=nbytes)
    outdir.check()              # before any computation: refuses a bad DIR, takes the lock
    result = compute(...)
    with outdir as staging:     # an empty sibling of DIR on the same file system
        ...                     # write the WHOLE run into staging
    # success: DIR holds exactly the new run, with its manifest written last.
    # failure (an exception, Ctrl-C, SIGTERM after install_signal_handlers): DIR is unchanged.

Next to ``DIR`` live ``.DIR.lock`` (the writer's pid), ``.DIR.tmp-<pid>-<hex>`` (the staging
directory) and, during a swap without an atomic exchange, ``.DIR.old-<pid>-<hex>``. The next
:meth:`OutputDirectory.check` removes those left by killed processes. A complete run holds
``manifest.json`` (:data:`MANIFEST`), listing every file with its size; see
:func:`is_complete_run`. The command-line glue (exit codes, click errors) is in
``randrnn.cli._output``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import shlex
import shutil
import signal
import socket
import sys
import threading
import uuid
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from randrnn import io

#: name of the manifest file a complete run directory holds (written last)
MANIFEST = "manifest.json"
#: ``format`` entry of a manifest
MANIFEST_FORMAT = "randrnn-run/1"
#: free space required on top of ``expected_bytes``: this fraction of it, plus a fixed amount
SPACE_MARGIN_FRACTION = 0.1
SPACE_MARGIN_BYTES = 4 * 2**20

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: the lock falls back to pid liveness
    fcntl = None  # type: ignore[assignment]


class OutputError(Exception):
    """An output directory cannot be used or written; the message names the path and a fix."""


class Terminated(KeyboardInterrupt):
    """Raised in the main thread on SIGTERM once :func:`install_signal_handlers` has run.

    It derives from ``KeyboardInterrupt`` so that every cleanup written for Ctrl-C runs, and
    ``except Exception`` does not swallow it.

    Parameters
    ----------
    signum : int
        The signal received.
    """

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.signum = int(signum)

    @property
    def exit_status(self) -> int:
        """The conventional exit status of a process ended by this signal (``128 + signum``)."""
        return 128 + self.signum


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated(signum)


def install_signal_handlers() -> None:
    """Turn SIGTERM into a :class:`Terminated` exception so that cleanup code runs.

    Ctrl-C (SIGINT) already raises ``KeyboardInterrupt``. A signal that is ignored (for example
    SIGTERM under ``nohup``-like launchers) stays ignored. Does nothing outside the main thread,
    where Python cannot install handlers.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) == signal.SIG_IGN:
        return
    signal.signal(signal.SIGTERM, _raise_terminated)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then deliver them (a critical section)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous: dict[int, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(sig)
        if handler in (signal.SIG_IGN, None):
            continue
        previous[sig] = handler
        signal.signal(sig, lambda signum, frame: pending.append(int(signum)))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(pending):
            signal.raise_signal(signum)


def _size(nbytes: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if nbytes < 1024 or unit == "TiB":
            return f"{nbytes:.0f} {unit}" if unit == "B" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    raise AssertionError("unreachable")


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        return None
    if not isinstance(manifest.get("files"), dict):
        return None
    return manifest


def is_complete_run(path: str | os.PathLike[str]) -> bool:
    """Return whether ``path`` holds a complete randrnn run.

    A run is complete when its manifest (:data:`MANIFEST`) is present and every file it lists
    exists with the recorded size.

    Parameters
    ----------
    path : str or Path
        A directory.

    Returns
    -------
    bool
    """
    path = Path(path)
    manifest = _read_manifest(path)
    if manifest is None:
        return False
    for rel, size in manifest["files"].items():
        try:
            if os.stat(path / rel).st_size != size:
                return False
        except OSError:
            return False
    return True


def _list_files(root: Path) -> dict[str, int]:
    files = {}
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            if rel != MANIFEST:
                files[rel] = full.stat().st_size
    return dict(sorted(files.items()))


def _is_within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _unlock(fd: int, lock: Path) -> None:
    """Remove the lock file (if it is still ours) and close it, which releases the lock."""
    with contextlib.suppress(OSError):
        if os.path.samestat(os.fstat(fd), os.stat(lock)):
            lock.unlink()
    with contextlib.suppress(OSError):
        os.close(fd)


class OutputDirectory:
    """A run directory that is checked before the work and replaced as a whole after it.

    Parameters
    ----------
    path : str or Path
        The run directory (``--out``). Missing parents are created by :meth:`check`.
    force : bool
        Replace a non-empty directory that is not a previous randrnn run (its contents are
        deleted). A previous complete run (see :func:`is_complete_run`) is replaced without it.
    expected_bytes : int
        Rough size of the run; :meth:`check` refuses when the file system has less free space
        than this plus a margin. 0 skips the check.

    Notes
    -----
    :meth:`check` takes a lock (``.<name>.lock`` next to ``path``, holding the pid), so a second
    process aiming at the same directory is refused before it computes anything. The lock is
    released when the ``with`` block ends, by :meth:`release`, when the object is garbage
    collected, or when the process exits (a killed process leaves a stale lock file, which the
    next :meth:`check` takes over).
    """

    def __init__(
        self, path: str | os.PathLike[str], *, force: bool = False, expected_bytes: int = 0
    ) -> None:
        self.given = os.fspath(path)
        self.force = bool(force)
        self.expected_bytes = int(expected_bytes)
        if self.expected_bytes < 0:
            raise ValueError(f"`expected_bytes` must be >= 0; got {expected_bytes!r}.")
        self.path = Path(os.path.abspath(self.given)) if self.given else Path()
        if self.given and self.path.is_symlink():
            self.path = Path(os.path.realpath(self.path))
        self.staging: Path | None = None
        #: True once the new run is in place
        self.committed = False
        #: the run id written to the manifest (set on success)
        self.run_id: str | None = None
        self._checked = False
        self._unlock: weakref.finalize | None = None
        self._created: list[Path] = []
        self._existed = False

    def __repr__(self) -> str:
        return f"OutputDirectory({self.given!r}, force={self.force})"

    @property
    def _lock_path(self) -> Path:
        return self.path.with_name(f".{self.path.name}.lock")

    # -- checks -------------------------------------------------------------------------------

    def check(self) -> None:
        """Check that the run can be written, before any computation; take the lock.

        Refuses (with :class:`OutputError`) an empty path, a path or parent that is a file, a
        location that is not writable, too little free space for ``expected_bytes``, a non-empty
        directory that is not a previous randrnn run (unless ``force``), a directory holding the
        current working directory, and a directory locked by another live process. Removes the
        leftovers of killed writers. Calling it again is a no-op.

        Raises
        ------
        OutputError
            Naming the path, the problem and the fix.
        """
        if self._checked:
            return
        if not self.given:
            raise OutputError(
                "the output directory must be a non-empty path; got ''. "
                "Give a directory name, e.g. results/run1."
            )
        path = self.path
        if os.path.lexists(path) and not path.is_dir():
            raise OutputError(
                f"output directory {path} exists and is a file, not a directory. "
                "Choose another path, or remove the file."
            )
        cwd = Path.cwd().resolve()
        if path.parent == path or _is_within(cwd, path.resolve()):
            raise OutputError(
                f"output directory {path} is the current directory or one of its parents; a run "
                "directory is replaced as a whole, so it must be a directory of its own. Choose "
                "a new directory, e.g. ./run1."
            )
        if path.is_dir() and os.path.ismount(path):
            raise OutputError(
                f"output directory {path} is a mount point, which cannot be replaced by a rename. "
                f"Use a directory inside it, e.g. {path / 'run1'}."
            )
        try:
            self._make_parents()
            self._probe_writable(path.parent)
            if path.is_dir():
                self._probe_writable(path)
            self._check_space()
            self._lock()
            self._cleanup_stale()
            self._check_contents()
        except BaseException:
            self.release()
            raise
        self._existed = path.is_dir()
        self._checked = True
        io.pause_point("checked")

    def _make_parents(self) -> None:
        missing = []
        parent = self.path.parent
        while not parent.exists():
            if os.path.lexists(parent):  # a dangling link
                break
            missing.append(parent)
            parent = parent.parent
        if parent.exists() and not parent.is_dir():
            raise OutputError(
                f"cannot create output directory {self.path}: {parent} is a file, not a "
                "directory. Choose a path whose parents are directories."
            )
        for directory in reversed(missing):
            try:
                directory.mkdir()
            except FileExistsError:
                continue
            except OSError as exc:
                raise OutputError(
                    f"cannot create output directory {self.path}: creating {directory} failed "
                    f"({exc.strerror}). Choose a writable location."
                ) from exc
            self._created.append(directory)

    def _probe_writable(self, directory: Path) -> None:
        probe = directory / f".randrnn-probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise OutputError(
                f"output directory {self.path} is not writable: cannot create files in "
                f"{directory} ({exc.strerror}). Choose a writable location, or fix its "
                "permissions."
            ) from exc

    def _check_space(self) -> None:
        if self.expected_bytes <= 0:
            return
        free = shutil.disk_usage(self.path.parent).free
        margin = SPACE_MARGIN_FRACTION * self.expected_bytes + SPACE_MARGIN_BYTES
        if free < self.expected_bytes + margin:
            raise OutputError(
                f"not enough free space for output directory {self.path}: the run needs about "
                f"{_size(self.expected_bytes)} (plus a margin of {_size(margin)}), but "
                f"{self.path.parent} has {_size(free)} free. Free some space, or choose a "
                "location on another file system."
            )

    def _check_contents(self) -> None:
        path = self.path
        if not path.is_dir() or self.force:
            return
        entries = sorted(e.name for e in path.iterdir())
        if not entries or is_complete_run(path):
            return
        shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
        what = (
            "an incomplete randrnn run (files listed in its manifest are missing or changed)"
            if _read_manifest(path) is not None
            else "no previous randrnn run"
        )
        raise OutputError(
            f"output directory {path} is not empty and holds {what}: {len(entries)} "
            f"{'entry' if len(entries) == 1 else 'entries'} ({shown}). Choose a new or empty "
            "directory, or replace it with --force (force=True), which deletes its contents."
        )

    # -- lock ---------------------------------------------------------------------------------

    def _lock(self) -> None:
        if self._unlock is not None:
            return
        lock = self._lock_path
        for _ in range(100):
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT | (0 if fcntl else os.O_EXCL), 0o644)
            except FileExistsError:  # no flock: the pid decides
                if io.pid_alive(self._holder(lock).get("pid", -1)):
                    raise OutputError(self._locked_message(lock)) from None
                with contextlib.suppress(OSError):
                    lock.unlink()
                continue
            except OSError as exc:
                raise OutputError(
                    f"cannot lock output directory {self.path}: creating {lock} failed "
                    f"({exc.strerror}). Choose a writable location."
                ) from exc
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    os.close(fd)
                    raise OutputError(self._locked_message(lock)) from None
                try:  # the holder before us may have removed the file while we opened it
                    same = os.path.samestat(os.fstat(fd), os.stat(lock))
                except FileNotFoundError:
                    same = False
                if not same:
                    os.close(fd)
                    continue
            record = {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            }
            os.ftruncate(fd, 0)
            os.write(fd, (json.dumps(record) + "\n").encode())
            self._unlock = weakref.finalize(self, _unlock, fd, lock)
            return
        raise OutputError(f"could not lock output directory {self.path}: {lock} keeps changing.")

    @staticmethod
    def _holder(lock: Path) -> dict[str, Any]:
        try:
            record = json.loads(lock.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return record if isinstance(record, dict) else {}

    def _locked_message(self, lock: Path) -> str:
        holder = self._holder(lock)
        who = f"pid {holder['pid']}" if "pid" in holder else "pid unknown"
        if "started" in holder:
            who += f", started {holder['started']}"
        return (
            f"output directory {self.path} is being written by another randrnn process ({who}; "
            f"lock file {lock}). Wait for it to finish, or choose another directory."
        )

    def release(self) -> None:
        """Release the lock; if no run was written, remove the parents :meth:`check` created.

        Called by ``__exit__``; call it yourself when the work fails before the ``with`` block.
        Calling it again is a no-op.
        """
        if self._unlock is not None:
            self._unlock()
            self._unlock = None
        if not self.committed:
            for directory in reversed(self._created):
                with contextlib.suppress(OSError):
                    directory.rmdir()
        self._created = []
        self._checked = False

    def _cleanup_stale(self) -> None:
        """Remove leftovers of killed writers; restore a previous run a killed swap left aside."""
        stale = io.stale_siblings(self.path)
        if not os.path.lexists(self.path):
            aside = [s for s in stale if ".old-" in s.name and is_complete_run(s)]
            if aside:
                newest = max(aside, key=lambda p: p.stat().st_mtime)
                os.rename(newest, self.path)
        io.remove_stale_siblings(self.path)

    # -- writing ------------------------------------------------------------------------------

    def __enter__(self) -> Path:
        self.check()
        self.staging = io.temp_sibling(self.path, "tmp")
        try:
            self.staging.mkdir()
        except OSError as exc:
            self.release()
            raise OutputError(
                f"cannot write output directory {self.path}: creating {self.staging} failed "
                f"({exc.strerror}). Choose a writable location."
            ) from exc
        return self.staging

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        staging = self.staging
        assert staging is not None, "__exit__ without __enter__"
        try:
            if exc_type is None:
                self._commit(staging)
                return
            with _signals_deferred():
                shutil.rmtree(staging, ignore_errors=True)
            if isinstance(exc, OSError) and (
                exc.filename is None or _is_within(Path(os.path.abspath(exc.filename)), staging)
            ):
                raise OutputError(self._write_failed(exc, staging)) from exc
        finally:
            self.release()

    def _write_failed(self, exc: OSError, staging: Path) -> str:
        where = ""
        if exc.filename is not None:
            where = f" while writing {Path(os.path.abspath(exc.filename)).relative_to(staging)}"
        kept = (
            f"{self.path} keeps its previous contents" if self._existed else "Nothing was written"
        )
        return (
            f"writing the run to {self.path} failed{where}: {exc.strerror or exc}. {kept}; "
            "free some space or fix the location, then run again."
        )

    def _commit(self, staging: Path) -> None:
        """Write the manifest, then swap ``staging`` into place (signals held during the swap)."""
        try:
            self.run_id = uuid.uuid4().hex
            stamp = io.provenance()
            argv = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv else []
            manifest = {
                "format": MANIFEST_FORMAT,
                "run_id": self.run_id,
                "created": stamp["created"],
                "randrnn_version": stamp["randrnn_version"],
                "command": shlex.join(argv),
                "files": _list_files(staging),
            }
            io.write_json(manifest, staging / MANIFEST)
            io.pause_point("before-swap")
        except BaseException as exc:
            with _signals_deferred():
                shutil.rmtree(staging, ignore_errors=True)
            if isinstance(exc, OSError):
                raise OutputError(self._write_failed(exc, staging)) from exc
            raise
        with _signals_deferred():
            try:
                io.replace_directory(staging, self.path)
            except OSError as exc:
                raise OutputError(self._swap_failed(exc, staging)) from exc
            self.committed = True
            io.pause_point("swapped")

    def _swap_failed(self, exc: OSError, staging: Path) -> str:
        assert self.run_id is not None
        kept = self.path.with_name(f"{self.path.name}.unsaved-{self.run_id[:8]}")
        try:
            os.rename(staging, kept)
        except OSError:
            kept = staging
        hint = f"move them there yourself (e.g. mv {kept} {self.path})"
        if kept == staging:
            hint += f"; the next run into {self.path} deletes them"
        return (
            f"could not move the finished run into {self.path} ({exc.strerror or exc}). "
            f"The complete results are in {kept}: {hint}."
        )
