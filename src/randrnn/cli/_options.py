"""Options shared by the commands that read a config: ``CONFIG``, ``--set``, ``--out``.

- :func:`config_options` -- attach the ``CONFIG`` argument and ``--set KEY=VALUE``.
- :func:`out_option` -- attach ``--out DIR`` with a default.
- :func:`load_command_config` -- the validated config of a command
  (:func:`randrnn.config.load_config`), with every config error a usage error (exit status 2)
  and warnings printed as one line each.
"""

from __future__ import annotations

import warnings
from typing import Any

import click


def config_options(func: Any) -> Any:
    """Attach ``CONFIG`` and ``--set`` to a command."""
    func = click.option(
        "--set",
        "overrides",
        multiple=True,
        metavar="KEY=VALUE",
        help="Override a config entry, e.g. --set ensemble.g=3 --set simulation.t_max=500.",
    )(func)
    return click.argument("config", required=False, type=click.Path(exists=True, dir_okay=False))(
        func
    )


def out_option(default: str) -> Any:
    """Attach ``--out DIR`` (default ``default``) to a command."""
    return click.option(
        "--out",
        "out",
        default=default,
        show_default=True,
        type=click.Path(file_okay=False),
        help="Output directory.",
    )


def load_command_config(command: str, config: str | None, overrides: tuple[str, ...]) -> Any:
    """The validated config of ``command`` from its preset, ``CONFIG`` and ``--set``.

    Parameters
    ----------
    command : {"run", "simulate", "spectrum", "scaling"}
        The command.
    config : str, optional
        The ``CONFIG`` path.
    overrides : tuple of str
        The ``--set`` items.

    Returns
    -------
    RunConfig, SimulateConfig or SpectrumConfig
        See :func:`randrnn.config.load_config`.

    Raises
    ------
    click.UsageError
        For any error in the config (exit status 2, no traceback).
    """
    from randrnn.config import load_config as load

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = load(command, config, overrides)  # type: ignore[arg-type]
        except (ValueError, TypeError) as exc:
            raise click.UsageError(str(exc)) from exc
    for w in caught:
        click.echo(f"Warning: {w.message}", err=True)
    return result
