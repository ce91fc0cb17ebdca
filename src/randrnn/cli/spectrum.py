"""``randrnn spectrum``: eigenvalues of sampled E/I Jacobians against the random-matrix theory.

A thin wrapper: load and validate the config, check ``--out``, call
:func:`randrnn.experiments.spectrum.run_spectrum`, write ``spectrum.zarr``, the report
(:func:`randrnn.report.write_spectrum_report`) and ``summary.json``. The config tables are
described in :mod:`randrnn.experiments.spectrum`; ``[ensemble] preset = "inhibitory_core"``
(or ``--set ensemble.preset=inhibitory_core``) starts from
:meth:`randrnn.ensembles.JacobianEnsemble.inhibitory_core`, and the finite-connectivity theory
(``[spectrum] theory``, ``[cavity]``, ``[sparse]``) adds its figures and report sections.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from randrnn.cli._options import config_options, load_command_config
from randrnn.cli._output import experiment_errors, force_option, output_directory


def _expected_bytes(cfg: Any) -> int:
    """Upper estimate of the bytes ``randrnn spectrum`` writes for ``cfg``.

    Complex eigenvalues of every sampled Jacobian (16 bytes each, counted over every
    realization drawn), figures and report (8 MiB); with the sparse theory also the bar mask of
    the spectra (1 byte per eigenvalue), the five arrays of the density grid (8 bytes per cell
    each) and three more figures (6 MiB).
    """
    from randrnn.experiments import spectrum

    n = cfg.ensemble.n
    total = 16 * n * spectrum.count_realizations(cfg) + 8 * 2**20
    if cfg.resolved_theory == "sparse":
        sp = cfg.sparse
        total += n * cfg.spectrum.n_realizations + 40 * sp.bins_re * sp.bins_im + 6 * 2**20
    return total


@click.command("spectrum")
@config_options
@click.option(
    "--out", "out", required=True, type=click.Path(file_okay=False), help="Output folder."
)
@force_option
def command(config: str | None, overrides: tuple[str, ...], out: str, force: bool) -> None:
    """Eigenvalues of sampled E/I Jacobians vs the predicted support, edge and outliers.

    With spectrum.theory = sparse (automatic for a sparse block ensemble with its block means
    kept, e.g. --set ensemble.preset=inhibitory_core) also the finite-connectivity theory:
    edge, region fractions, the bar, the density, and the edge against the mean in-degree.
    """
    from tqdm import tqdm

    from randrnn import io, report
    from randrnn.experiments import quiet_numerics, spectrum

    cfg = load_command_config("spectrum", config, overrides)  # exit 2 on a bad config
    total = spectrum.count_realizations(cfg)
    out_dir = Path(out)
    with output_directory(out, force=force, expected_bytes=_expected_bytes(cfg)) as outdir:
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
