"""``randrnn spectrum``: placeholder until its issue lands."""

from __future__ import annotations

import click


@click.command("spectrum")
def command() -> None:
    """Not implemented yet."""
    raise click.ClickException("`randrnn spectrum` is not implemented yet.")
