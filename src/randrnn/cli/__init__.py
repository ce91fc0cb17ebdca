"""The ``randrnn`` command line: thin wrappers around the public API.

Commands: ``run`` (the main job), ``scaling``, ``simulate``, ``dmft``, ``spectrum``, ``info``
(one module each in this package).
"""

from __future__ import annotations

import click

from randrnn._provenance import __version__
from randrnn.cli import dmft as _dmft
from randrnn.cli import info as _info
from randrnn.cli import run as _run
from randrnn.cli import scaling as _scaling
from randrnn.cli import simulate as _simulate
from randrnn.cli import spectrum as _spectrum


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="randrnn")
def main() -> None:
    """Theory and simulation of large random recurrent networks."""


main.add_command(_run.command)
main.add_command(_scaling.command)
main.add_command(_info.command)
main.add_command(_simulate.command)
main.add_command(_dmft.command)
main.add_command(_spectrum.command)
