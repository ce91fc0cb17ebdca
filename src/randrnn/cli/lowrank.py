"""``randrnn lowrank``: latent theory of low-rank networks against full networks.

A thin wrapper: load and validate the config, check ``--out``, call
:func:`randrnn.experiments.lowrank.run_lowrank`, write ``lowrank.zarr`` (the agreement table at
the root; one group per example and nonlinearity, and the approximation study), the report
(:func:`randrnn.report.write_lowrank_report`) and ``summary.json``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from randrnn.cli._options import config_options, load_command_config
from randrnn.cli._output import experiment_errors, force_option, output_directory


@click.command("lowrank")
@config_options
@click.option(
    "--out", "out", required=True, type=click.Path(file_okay=False), help="Output folder."
)
@force_option
def command(config: str | None, overrides: tuple[str, ...], out: str, force: bool) -> None:
    """Latent mean-field dynamics of Gaussian-mixture low-rank networks vs full networks."""
    from randrnn import io, report
    from randrnn.experiments import lowrank, quiet_numerics

    cfg = load_command_config("lowrank", config, overrides)  # exit 2 on a bad config
    out_dir = Path(out)
    with output_directory(out, force=force, expected_bytes=64 * 2**20) as outdir:
        assert outdir is not None  # --out always has a value

        def progress(stage: str) -> None:
            if sys.stderr.isatty():
                click.echo(f"[{stage}]", err=True)

        with experiment_errors():
            result = lowrank.run_lowrank(cfg, progress=progress)
        report.use_headless_backend()
        from randrnn.plots import lowrank as lowrank_plots

        with outdir as staging, quiet_numerics():
            store = staging / "lowrank.zarr"
            io.save_dataset(result.to_xarray(), store)
            for name, ds in result.groups().items():
                io.save_dataset(ds, store, group=name, into_existing=True)
            report.write_lowrank_report(result, staging, lowrank_plots.figures(result))
            io.write_json(result.summary(), staging / "summary.json")
    click.echo(f"{report.lowrank_headline(result)}. Report: {out_dir / 'report.html'}")
