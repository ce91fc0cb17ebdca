"""``randrnn sweep``: any experiment over a grid, on Dask, into one resumable Zarr store.

A thin wrapper: read CONFIG and ``--set``, plan the grid (every cell's config is checked before
any work), call :func:`randrnn.sweeps.run_sweep`, then write the report
(:func:`randrnn.report.write_sweep_report`) and ``summary.json`` into the report folder. Running
the same command again resumes: the cells in the store are not computed again.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from randrnn.cli._output import output_directory


def _report_dir(store: Path) -> Path:
    name = store.name[: -len(".zarr")] if store.name.endswith(".zarr") else store.name
    return store.with_name(f"{name}-report")


@click.command("sweep")
@click.argument("config", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a config entry, e.g. --set sweep.realizations=4 --set simulation.t_max=500.",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False),
    help="The Zarr store (created; an existing store of the same sweep is resumed).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="A running Dask scheduler (tcp://host:8786) instead of a new local cluster; 'inline' "
    "runs every cell in this process (no Dask).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes of the local cluster (default: [sweep] workers, else one per core).",
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for report.html, figures and summary.json (default: STORE-report beside it).",
)
@click.option(
    "--force",
    is_flag=True,
    default=False,
    help="Replace a store that holds something else or another sweep (its cells are deleted).",
)
def command(
    config: str,
    overrides: tuple[str, ...],
    out: str,
    scheduler: str | None,
    workers: int | None,
    report_dir: str | None,
    force: bool,
) -> None:
    """Run an experiment over the grid of CONFIG's [sweep] table (resumable).

    CONFIG holds a [sweep] table -- experiment (run, simulate, dmft, spectrum, fixedpoints,
    lowrank), realizations, and axes such as ensemble.g = [1.5, 2, 3] -- and the experiment's own
    tables. Every finished cell is written into the store at once; rerun the same command after an
    interruption to compute only the cells that are missing.
    """
    from randrnn import io, report
    from randrnn.experiments import quiet_numerics
    from randrnn.sweeps import SweepStoreError, plan_sweep, run_sweep

    try:
        mapping = io.apply_overrides(io.load_toml(config), list(overrides))
        plan = plan_sweep(mapping)
    except (ValueError, TypeError) as exc:
        raise click.UsageError(str(exc)) from exc
    store = Path(out)
    rdir = Path(report_dir) if report_dir is not None else _report_dir(store)
    with output_directory(str(rdir), force=force) as outdir:
        assert outdir is not None
        try:
            result = run_sweep(
                plan,
                store,
                scheduler=scheduler,
                workers=workers,
                force=force,
                echo=lambda text: click.echo(text, err=True),
                progress=sys.stderr.isatty(),
            )
        except SweepStoreError as exc:
            raise click.BadParameter(str(exc), param_hint="'--out'") from exc
        except KeyboardInterrupt:
            click.echo(
                f"The finished cells are in {store}; run the same command again to resume.",
                err=True,
            )
            raise
        report.use_headless_backend()
        from randrnn.plots import sweep as sweep_plots

        with outdir as staging, quiet_numerics():
            report.write_sweep_report(result, staging, sweep_plots.figures(result.view))
            io.write_json(result.summary(), staging / "summary.json")
    click.echo(f"{report.sweep_headline(result)}. Report: {rdir / 'report.html'}")
    if result.failed:
        raise click.ClickException(
            f"{len(result.failed)} cell(s) failed after every retry (listed in the report); run "
            "the same command again to retry them."
        )
