"""``randrnn dmft``: placeholder until its issue lands."""

from __future__ import annotations

import click


@click.command("dmft")
def command() -> None:
    """Not implemented yet."""
    raise click.ClickException("`randrnn dmft` is not implemented yet.")
