"""``randrnn scaling``: the run experiment over network sizes, with fitted exponents.

A thin wrapper: load and validate the config, check ``--out``, call
:func:`randrnn.sweeps.run_scaling`, write ``scaling.zarr``, the report
(:func:`randrnn.report.write_scaling_report`) and ``summary.json``.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from randrnn.cli._options import config_options, load_command_config, out_option
from randrnn.cli._output import experiment_errors, force_option, output_directory


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError as exc:
        raise click.BadParameter(
            f"must be comma-separated integers, e.g. 500,1000,2000; got {text!r}.",
            param_hint="'--sizes'",
        ) from exc
    if len(sizes) < 2 or any(s < 4 for s in sizes):
        raise click.BadParameter(
            f"must hold >= 2 sizes, each >= 4 (e.g. 500,1000,2000); got {text!r}.",
            param_hint="'--sizes'",
        )
    return sizes


@click.command("scaling")
@config_options
@click.option("--sizes", default="500,1000,2000", show_default=True, help="Comma-separated N.")
@click.option(
    "--realizations",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Coupling realizations per size.",
)
@out_option("randrnn-scaling")
@force_option
def command(
    config: str | None,
    overrides: tuple[str, ...],
    sizes: str,
    realizations: int,
    out: str,
    force: bool,
) -> None:
    """Agreement and residual cross-covariance vs N (writes scaling.zarr, figure, report)."""
    from randrnn import io, report
    from randrnn.experiments import quiet_numerics
    from randrnn.sweeps import run_scaling, size_config

    t0 = time.perf_counter()
    size_list = _sizes(sizes)
    cfg = load_command_config("scaling", config, overrides)  # exit 2 on a bad config
    try:
        for n in size_list:  # every size is checked (memory) before any work
            size_config(cfg, n, cfg.seeds.coupling)
    except (ValueError, TypeError) as exc:
        raise click.UsageError(str(exc)) from exc
    out_dir = Path(out)
    with output_directory(out, force=force, expected_bytes=4 * 2**20) as outdir:
        assert outdir is not None  # --out always has a value
        with experiment_errors():
            result = run_scaling(cfg, size_list, n_realizations=realizations)
        report.use_headless_backend()
        from randrnn.plots import run as run_plots

        with outdir as staging, quiet_numerics():
            io.save_dataset(result.to_xarray(), staging / "scaling.zarr")
            figures = {"scaling": run_plots.scaling}
            report.write_scaling_report(
                result, staging, figures, {"total": time.perf_counter() - t0}
            )
            summary = result.summary()
            summary["seconds"] = time.perf_counter() - t0
            summary["store"] = str(out_dir / "scaling.zarr")
            io.write_json(summary, staging / "summary.json")
    click.echo(f"{report.scaling_headline(result)}. Report: {out_dir / 'report.html'}")
