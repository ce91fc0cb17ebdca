"""``randrnn fixedpoints``: fixed points, both linearizations and Jacobian spectra of a network.

A thin wrapper: load and validate the config, check ``--out``, call
:func:`randrnn.experiments.fixedpoints.run_fixedpoints`, write ``fixedpoints.zarr`` (the fixed
points at the root; linearizations, simulation states and the two studies as groups), the
report (:func:`randrnn.report.write_fixedpoints_report`) and ``summary.json``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from randrnn.cli._options import config_options, load_command_config
from randrnn.cli._output import experiment_errors, force_option, output_directory


@click.command("fixedpoints")
@config_options
@click.option(
    "--out", "out", required=True, type=click.Path(file_okay=False), help="Output folder."
)
@force_option
def command(config: str | None, overrides: tuple[str, ...], out: str, force: bool) -> None:
    """Fixed and slow points of one realization, their linearizations and spectra."""
    from randrnn import io, report
    from randrnn.experiments import fixedpoints, quiet_numerics

    cfg = load_command_config("fixedpoints", config, overrides)  # exit 2 on a bad config
    n = cfg.network.n
    out_dir = Path(out)
    expected = 8 * n * n * (2 + 4 * cfg.fixedpoints.n_linearized) + 32 * 2**20
    with output_directory(out, force=force, expected_bytes=expected) as outdir:
        assert outdir is not None  # --out always has a value

        def progress(stage: str) -> None:
            if sys.stderr.isatty():
                click.echo(f"[{stage}]", err=True)

        with experiment_errors():
            result = fixedpoints.run_fixedpoints(cfg, progress=progress)
        report.use_headless_backend()
        from randrnn.plots import fixedpoints as fixedpoints_plots

        with outdir as staging, quiet_numerics():
            store = staging / "fixedpoints.zarr"
            io.save_dataset(result.to_xarray(), store)
            for name, ds in result.groups().items():
                io.save_dataset(ds, store, group=name, into_existing=True)
            report.write_fixedpoints_report(result, staging, fixedpoints_plots.figures(result))
            io.write_json(result.summary(), staging / "summary.json")
    click.echo(f"{report.fixedpoints_headline(result)}. Report: {out_dir / 'report.html'}")
