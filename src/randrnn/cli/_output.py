"""Click glue for run directories (:mod:`randrnn.rundir`): ``--out``/``--force``, exit codes.

How a command writes its run directory (``run``, ``simulate``, ``spectrum``, ``scaling``,
``dmft``)::

    @click.option("--out", "out", required=True, type=click.Path(file_okay=False))
    @force_option
    def command(..., out, force):
        ...  # parse and validate the config first (exit 2 on a bad value)
        with output_directory(out, force=force, expected_bytes=nbytes) as outdir:  # checks --out
            result = compute(...)           # Ctrl-C: exit 130, SIGTERM: exit 143
            with outdir as staging:         # write the WHOLE run into staging
                io.save_dataset(ds, staging / "results.zarr")
                io.write_json(summary, staging / "summary.json")
        # DIR now holds exactly this run (manifest.json last)

A bad ``--out`` exits 2 before any computation; a failed write exits 1 naming the path; after
any failure or interrupt DIR holds its previous contents (or does not exist). Paths recorded in
the summary should name the final ``Path(out) / ...``, not ``staging``.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

import click

from randrnn.rundir import (
    OutputDirectory,
    OutputError,
    Terminated,
    install_signal_handlers,
)

#: exit status after Ctrl-C (128 + SIGINT)
EXIT_INTERRUPTED = 128 + signal.SIGINT

FORCE_HELP = (
    "Replace a non-empty --out that does not hold a previous randrnn run (its contents are "
    "deleted). A previous run is always replaced."
)


def force_option(func):
    """Attach ``--force`` (see :data:`FORCE_HELP`) to a command."""
    return click.option("--force", "force", is_flag=True, default=False, help=FORCE_HELP)(func)


@contextlib.contextmanager
def output_directory(
    out: str | None, *, force: bool = False, expected_bytes: int = 0
) -> Iterator[OutputDirectory | None]:
    """Check ``--out`` now and yield its :class:`~randrnn.rundir.OutputDirectory`.

    Parameters
    ----------
    out : str or None
        The ``--out`` value; None (an optional ``--out`` not given) yields None and only maps
        interrupts to exit codes.
    force : bool
        The ``--force`` flag.
    expected_bytes : int
        Rough size of the run, for the free-space check (0 skips it).

    Raises
    ------
    click.BadParameter
        ``--out`` cannot be used (exit status 2), before any computation.
    click.ClickException
        Writing the run failed (exit status 1); the message names the path.
    click.exceptions.Exit
        130 after Ctrl-C, 143 after SIGTERM; the message says whether the run was written.
    """
    previous = signal.getsignal(signal.SIGTERM)
    install_signal_handlers()
    outdir = None
    try:
        if out is not None:
            outdir = OutputDirectory(out, force=force, expected_bytes=expected_bytes)
            try:
                outdir.check()
            except OutputError as exc:
                raise click.BadParameter(str(exc), param_hint="'--out'") from exc
        yield outdir
    except KeyboardInterrupt as exc:
        status = exc.exit_status if isinstance(exc, Terminated) else EXIT_INTERRUPTED
        what = "Terminated" if isinstance(exc, Terminated) else "Interrupted"
        click.echo(f"{what}. {_state(out, outdir)}", err=True)
        raise click.exceptions.Exit(status) from exc
    except OutputError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        if outdir is not None:
            outdir.release()
        if previous is not None:
            with contextlib.suppress(ValueError):  # not the main thread
                signal.signal(signal.SIGTERM, previous)


def _state(out: str | None, outdir: OutputDirectory | None) -> str:
    if outdir is None:
        return "No output was written." if out is not None else ""
    if outdir.committed:
        return f"The run had been written completely to {out}."
    return f"No output was written; {out} is unchanged."


@contextlib.contextmanager
def experiment_errors() -> Iterator[None]:
    """Map an experiment's failures to exit statuses, the same in every command.

    A failure of the science (unstable, not converged, diverged, nothing to compare) exits 1
    with "No output was written."; a network or setting the experiment does not cover
    (``ValueError``/``TypeError``) is a usage error, exit 2.
    """
    from randrnn.experiments import THEORY_FAILURES

    try:
        yield
    except THEORY_FAILURES as exc:
        msg = str(exc).rstrip()
        if not msg.endswith((".", "!", "?")):
            msg += "."
        raise click.ClickException(f"{msg} No output was written.") from exc
    except (ValueError, TypeError) as exc:
        raise click.UsageError(str(exc)) from exc
