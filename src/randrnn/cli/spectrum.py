"""``randrnn spectrum``: eigenvalues of sampled E/I Jacobians against the random-matrix theory.

A thin wrapper: load and validate the config, check ``--out``, call
:func:`randrnn.experiments.spectrum.run_spectrum`, write ``spectrum.zarr``, the report
(:func:`randrnn.report.write_spectrum_report`) and ``summary.json``. The config tables are
described in :mod:`randrnn.experiments.spectrum`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from randrnn.cli._options import config_options, load_command_config
from randrnn.cli._output import experiment_errors, force_option, output_directory


@click.command("spectrum")
@config_options
@click.option(
    "--out", "out", required=True, type=click.Path(file_okay=False), help="Output folder."
)
@force_option
def command(config: str | None, overrides: tuple[str, ...], out: str, force: bool) -> None:
    """Eigenvalues of sampled E/I Jacobians vs the predicted support, edge and outliers."""
    from tqdm import tqdm

    from randrnn import io, report
    from randrnn.experiments import quiet_numerics, spectrum

    cfg = load_command_config("spectrum", config, overrides)  # exit 2 on a bad config
    total = spectrum.count_realizations(cfg)
    n = cfg.ensemble.n
    out_dir = Path(out)
    with output_directory(out, force=force, expected_bytes=16 * n * total + 8 * 2**20) as outdir:
        assert outdir is not None  # --out always has a value
        with (
            experiment_errors(),
            tqdm(total=total, desc="realizations", disable=not sys.stderr.isatty()) as bar,
        ):
            result = spectrum.run_spectrum(cfg, progress=bar.update)
        report.use_headless_backend()
        from randrnn.plots import spectrum as spectrum_plots

        with outdir as staging, quiet_numerics():
            io.save_dataset(result.to_xarray(), staging / "spectrum.zarr")
            report.write_spectrum_report(result, staging, spectrum_plots.figures(result))
            io.write_json(result.summary(), staging / "summary.json")
    click.echo(f"{report.spectrum_headline(result)}. Report: {out_dir / 'report.html'}")
