"""``randrnn info``: versions, BLAS and cores, for bug reports."""

from __future__ import annotations

import os
import platform

import click


@click.command("info")
def command() -> None:
    """Print versions, BLAS library and cores."""
    import numpy as np
    import scipy
    from threadpoolctl import threadpool_info

    from randrnn._provenance import __version__

    click.echo(f"randrnn   {__version__}")
    click.echo(f"python    {platform.python_version()} ({platform.machine()}, {platform.system()})")
    click.echo(f"numpy     {np.__version__}")
    click.echo(f"scipy     {scipy.__version__}")
    for mod in ("numba", "xarray", "zarr", "matplotlib"):
        try:
            m = __import__(mod)
            click.echo(f"{mod:<9} {m.__version__}")
        except ImportError:
            click.echo(f"{mod:<9} not installed")
    click.echo(f"cores     {os.cpu_count()}")
    for pool in threadpool_info():
        click.echo(
            f"threads   {pool.get('internal_api')} {pool.get('version')} "
            f"({pool.get('user_api')}, {pool.get('num_threads')} threads, "
            f"{pool.get('architecture')})"
        )
