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

from randrnn.cli._output import force_option, output_directory
from randrnn.cli.run import theory_failure
from randrnn.cli.simulate import load_config


@click.command("spectrum")
@click.argument("config", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--out", "out", required=True, type=click.Path(file_okay=False), help="Output folder."
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a config value, e.g. ensemble.n=2000.",
)
@force_option
def command(config: str | None, out: str, overrides: tuple[str, ...], force: bool) -> None:
    """Eigenvalues of sampled E/I Jacobians vs the predicted support, edge and outliers."""
    from tqdm import tqdm

    from randrnn import io, report
    from randrnn.experiments import THEORY_FAILURES, quiet_numerics
    from randrnn.experiments.spectrum import (
        DEFAULT_SPECTRUM_CONFIG,
        check_spectrum_config,
        count_realizations,
        run_spectrum,
    )

    try:
        cfg = check_spectrum_config(load_config(config, overrides, DEFAULT_SPECTRUM_CONFIG))
        total = count_realizations(cfg)
    except (ValueError, TypeError) as exc:
        raise click.UsageError(str(exc)) from exc
    n = int(cfg["ensemble"]["n"])
    out_dir = Path(out)
    with output_directory(out, force=force, expected_bytes=16 * n * total + 8 * 2**20) as outdir:
        try:
            with tqdm(total=total, desc="realizations", disable=not sys.stderr.isatty()) as bar:
                result = run_spectrum(cfg, progress=bar.update)
        except THEORY_FAILURES as exc:
            raise theory_failure(exc) from exc
        except (ValueError, TypeError) as exc:
            raise click.UsageError(str(exc)) from exc
        report.use_headless_backend()
        with outdir as staging, quiet_numerics():
            io.save_dataset(result.to_xarray(), staging / "spectrum.zarr")
            report.write_spectrum_report(result, staging)
            io.write_json(result.summary(), staging / "summary.json")
    click.echo(f"{report.spectrum_headline(result)}. Report: {out_dir / 'report.html'}")
