"""The ``randrnn`` command line: thin wrappers around the public API.

Commands: ``run`` (the main job), ``scaling``, ``simulate``, ``dmft``, ``spectrum``,
``fixedpoints``, ``lowrank``, ``sweep``, ``train``, ``trained-spectrum``, ``info``
(one module each in this package).
"""

from __future__ import annotations

from typing import Any

import click

from randrnn._provenance import __version__
from randrnn.cli import dmft as _dmft
from randrnn.cli import fixedpoints as _fixedpoints
from randrnn.cli import info as _info
from randrnn.cli import lowrank as _lowrank
from randrnn.cli import run as _run
from randrnn.cli import scaling as _scaling
from randrnn.cli import simulate as _simulate
from randrnn.cli import spectrum as _spectrum
from randrnn.cli import sweep as _sweep
from randrnn.cli import train as _train


class _Group(click.Group):
    """Exit 130 on Ctrl-C and 143 on SIGTERM wherever they land (not click's "Aborted!", 1)."""

    def invoke(self, ctx: click.Context) -> Any:
        from randrnn.rundir import Terminated, install_signal_handlers

        install_signal_handlers()
        try:
            return super().invoke(ctx)
        except Terminated as exc:
            click.echo("Terminated.", err=True)
            raise click.exceptions.Exit(exc.exit_status) from None
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            raise click.exceptions.Exit(130) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="randrnn")
def main() -> None:
    """Theory and simulation of large random recurrent networks."""


main.add_command(_run.command)
main.add_command(_scaling.command)
main.add_command(_info.command)
main.add_command(_simulate.command)
main.add_command(_dmft.command)
main.add_command(_spectrum.command)
main.add_command(_fixedpoints.command)
main.add_command(_lowrank.command)
main.add_command(_sweep.command)
main.add_command(_train.train_command)
main.add_command(_train.spectrum_command)
