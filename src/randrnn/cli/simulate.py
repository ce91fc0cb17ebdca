"""``randrnn simulate``: placeholder until the simulator lands."""

from __future__ import annotations

import click


@click.command("simulate")
def command() -> None:
    """Not implemented yet."""
    raise click.ClickException("`randrnn simulate` is not implemented yet.")
